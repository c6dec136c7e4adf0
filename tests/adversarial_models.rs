//! The adversarial sweep of the model entry points: BTYD histories and fits, Gamma-Gamma, CLV,
//! contractual retention, Cox, Nelson-Aalen and the concordance index, driven with the values
//! that break numerical code. The contract: no panic, memory bounded by the data, and an `Ok`
//! result finite and in range. Failures shrink into
//! `tests/adversarial_models.proptest-regressions`, committed and replayed first.

use proptest::prelude::*;

#[path = "common/guard.rs"]
mod guard;
use guard::guarded;
use saas_segmentation::activity::{Activity, ActivityEvent};
use saas_segmentation::clv::{
    customer_lifetime_value, BetaGeo, BetaGeoOptions, BetaGeoParams, ClvParams, Contract,
    ContractualFit, ContractualParams, GammaGamma, GammaGammaOptions, GammaGammaParams, Histories,
    ParetoNbd, ParetoNbdOptions, ParetoNbdParams, TransactionModel,
};
use saas_segmentation::ndarray::Array2;
use saas_segmentation::propensity::{
    average_precision, brier_score, calibration, lift_by_decile, roc_auc, BinStrategy, ClassWeight,
    LogisticModel, LogisticParams,
};
use saas_segmentation::propensity::{health_bands, health_scores, HealthWeights, SignalParams};
use saas_segmentation::survival::{concordance_index, nelson_aalen, CoxModel, CoxParams, Ties};
use saas_segmentation::{CustomerIndex, Date, PerCustomer};

fn nasty() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0..50.0f64,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::MAX),
        1 => Just(5e-324),
        1 => Just(1e154),
        1 => Just(1e300),
        1 => Just(0.5),
        1 => (0u32..40).prop_map(f64::from),
    ]
}

fn positive_param() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.01..20.0f64,
        1 => Just(1.0),
        1 => Just(5e-324),
        1 => Just(1e-300),
        1 => Just(1e300),
        1 => Just(f64::MAX),
    ]
}

fn finite_ok(what: &str, v: f64) -> Result<(), TestCaseError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!("{what} returned {v}")))
    }
}

fn probability(what: &str, v: f64) -> Result<(), TestCaseError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what} returned {v}, not a probability"
        )))
    }
}

proptest! {
    #![proptest_config(guard::config())]

    #[test]
    fn btyd_fits_and_predictions(
        rows in prop::collection::vec((nasty(), nasty(), nasty(), nasty()), 0..12),
        penalizer in prop_oneof![Just(0.0), Just(0.01), Just(f64::NAN), Just(1e300)],
        horizon in nasty(),
    ) {
        let f: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let r: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let t: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let m: Vec<f64> = rows.iter().map(|r| r.3).collect();
        let outcome = guarded("btyd", || -> Result<(), TestCaseError> {
            if let Ok(h) = Histories::new(&f, &r, &t) {
                if let Ok(model) = BetaGeo::fit(&h, BetaGeoOptions::new().penalizer(penalizer)) {
                    let p = model.params();
                    for v in [p.r, p.alpha, p.a, p.b, model.log_likelihood()] {
                        finite_ok("BG/NBD fit", v)?;
                    }
                    for v in p.p_alive_all(&h).unwrap_or_default() {
                        probability("P(alive)", v)?;
                    }
                    if let Ok(values) = p.conditional_expected_all(horizon, &h) {
                        for v in values {
                            finite_ok("E[X(t)|history]", v)?;
                        }
                    }
                }
                if let Ok(model) = ParetoNbd::fit(&h, ParetoNbdOptions::new().penalizer(penalizer)) {
                    let p = model.params();
                    for v in [p.r, p.alpha, p.s, p.beta, model.log_likelihood()] {
                        finite_ok("Pareto/NBD fit", v)?;
                    }
                    if let Ok(values) = p.p_alive_all(&h) {
                        for v in values {
                            probability("Pareto P(alive)", v)?;
                        }
                    }
                }
            }
            if let Ok(model) = GammaGamma::fit(&f, &m, GammaGammaOptions::new().penalizer(penalizer)) {
                let g = model.params();
                for v in [g.p, g.q, g.v, model.log_likelihood()] {
                    finite_ok("Gamma-Gamma fit", v)?;
                }
            }
            Ok(())
        });
        outcome??;
    }

    #[test]
    fn closed_forms_at_extreme_parameters(
        a in positive_param(), b in positive_param(), c in positive_param(), d in positive_param(),
        x in nasty(), t_x in nasty(), age in nasty(), t in nasty(), n in 0u32..50,
        money in nasty(), discount in nasty(),
    ) {
        let outcome = guarded("closed forms", || -> Result<(), TestCaseError> {
            if let Ok(p) = BetaGeoParams::new(a, b, c, d) {
                if let Ok(v) = p.p_alive(x, t_x, age) { probability("BG P(alive)", v)?; }
                if let Ok(v) = p.conditional_expected_purchases(t, x, t_x, age) { finite_ok("BG conditional", v)?; }
                if let Ok(v) = p.expected_purchases(t) { finite_ok("BG expected", v)?; }
                if let Ok(v) = p.probability_of_purchases(n, t) { probability("BG P(X = n)", v)?; }
            }
            if let Ok(p) = ParetoNbdParams::new(a, b, c, d) {
                if let Ok(v) = p.p_alive(x, t_x, age) { probability("Pareto P(alive)", v)?; }
                if let Ok(v) = p.conditional_expected_purchases(t, x, t_x, age) { finite_ok("Pareto conditional", v)?; }
                if let Ok(v) = p.expected_purchases(t) { finite_ok("Pareto expected", v)?; }
            }
            if let Ok(g) = GammaGammaParams::new(a, b, c) {
                if let Ok(v) = g.expected_average_value(x, money) { finite_ok("expected spend", v)?; }
                if let (Ok(h), Ok(p)) = (Histories::new(&[x], &[t_x], &[age]), BetaGeoParams::new(a, b, c, d)) {
                    if let Ok(v) = customer_lifetime_value(&p, &g, &h, &[money], &ClvParams::new(n.max(1)).monthly_discount(discount)) {
                        finite_ok("CLV", v[0])?;
                    }
                }
            }
            if let Ok(p) = ContractualParams::bdw(a, b, c) {
                if let Ok(v) = p.survival(n) { probability("survival", v)?; }
                if let Ok(v) = p.churn_probability(n) { probability("churn probability", v)?; }
                if let Ok(v) = p.retention_rate(n) { probability("retention", v)?; }
                if let Ok(v) = p.discounted_residual_lifetime(discount, n) { finite_ok("DERL", v)?; }
            }
            Ok(())
        });
        outcome??;
    }

    #[test]
    fn contractual_fits(
        counts in prop::collection::vec(prop_oneof![0u64..2000, Just(u64::MAX), Just(0)], 0..10),
        weibull in any::<bool>(),
    ) {
        let contract = if weibull { Contract::BetaDiscreteWeibull } else { Contract::ShiftedBetaGeometric };
        let outcome = guarded("contractual", || -> Result<(), TestCaseError> {
            if let Ok(fit) = ContractualFit::fit(&counts, contract) {
                let p = fit.params();
                for v in [p.alpha, p.beta, p.c, fit.log_likelihood()] {
                    finite_ok("contractual fit", v)?;
                }
                for v in fit.projected_alive(24).unwrap_or_default() {
                    finite_ok("projection", v)?;
                }
            }
            Ok(())
        });
        outcome??;
    }

    #[test]
    fn cox_and_companions(
        rows in prop::collection::vec((nasty(), nasty(), nasty(), any::<bool>()), 0..25),
        penalizer in prop_oneof![Just(0.0), Just(0.1), Just(f64::NAN), Just(1e300)],
        breslow in any::<bool>(),
    ) {
        let n = rows.len();
        let mut x = Array2::zeros((n, 2));
        for (i, r) in rows.iter().enumerate() {
            x[[i, 0]] = r.0;
            x[[i, 1]] = r.1;
        }
        let d: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let e: Vec<bool> = rows.iter().map(|r| r.3).collect();
        let ties = if breslow { Ties::Breslow } else { Ties::Efron };
        let outcome = guarded("cox", || -> Result<(), TestCaseError> {
            if let Ok(model) = CoxModel::fit(x.view(), &["a", "b"], &d, &e, &CoxParams::new().ties(ties).penalizer(penalizer)) {
                for c in model.coefficients() {
                    for v in [c.coef, c.standard_error, c.lower, c.upper] {
                        finite_ok("Cox coefficient", v)?;
                    }
                    probability("Cox p-value", c.p_value)?;
                }
                probability("concordance", model.concordance())?;
                for (_, h) in model.baseline_cumulative_hazard() {
                    finite_ok("baseline", *h)?;
                }
                if let Ok(s) = model.survival(&[1.0, 2.0], &[0.0, 5.0, 1e300]) {
                    for v in s {
                        probability("Cox survival", v)?;
                    }
                }
            }
            if let Ok(rows) = nelson_aalen(&d, &e, breslow, 0.05) {
                for row in rows {
                    finite_ok("Nelson-Aalen", row.cumulative_hazard)?;
                }
            }
            if let Ok(c) = concordance_index(&d, &x.column(0).to_vec(), &e) {
                probability("concordance index", c)?;
            }
            Ok(())
        });
        outcome??;
    }

    #[test]
    fn propensity_models_and_metrics(
        rows in prop::collection::vec((nasty(), nasty(), any::<bool>(), nasty()), 0..30),
        c in prop_oneof![Just(1.0), Just(1e-6), Just(1e12), Just(0.0), Just(f64::NAN)],
        balanced in any::<bool>(),
        weighted in any::<bool>(),
        bins in 0usize..12,
    ) {
        let n = rows.len();
        let mut x = Array2::zeros((n, 2));
        for (i, r) in rows.iter().enumerate() {
            x[[i, 0]] = r.0;
            x[[i, 1]] = r.1;
        }
        let y: Vec<bool> = rows.iter().map(|r| r.2).collect();
        let w: Vec<f64> = rows.iter().map(|r| r.3).collect();
        let params = LogisticParams::new()
            .c(c)
            .class_weight(if balanced { ClassWeight::Balanced } else { ClassWeight::None });
        let outcome = guarded("propensity", || -> Result<(), TestCaseError> {
            if let Ok(model) = LogisticModel::fit(x.view(), &y, weighted.then_some(&w[..]), &params) {
                for v in model.coef().iter().chain(std::iter::once(&model.intercept())) {
                    finite_ok("logistic coefficient", *v)?;
                }
                if let Ok(p) = model.predict_proba(x.view()) {
                    for v in &p {
                        probability("predicted probability", *v)?;
                    }
                    if let Ok(v) = brier_score(&y, &p, None) { probability("Brier", v)?; }
                    if let Ok(table) = calibration(&y, &p, bins, BinStrategy::Quantile) {
                        for b in table {
                            probability("calibration observed", b.observed)?;
                            probability("calibration predicted", b.predicted)?;
                        }
                    }
                }
            }
            let score: Vec<f64> = rows.iter().map(|r| r.0).collect();
            if let Ok(v) = roc_auc(&y, &score, weighted.then_some(&w[..])) { probability("AUC", v)?; }
            if let Ok(v) = average_precision(&y, &score, weighted.then_some(&w[..])) { probability("AP", v)?; }
            if let Ok(table) = lift_by_decile(&y, &score) {
                for r in table {
                    finite_ok("lift", r.lift)?;
                }
            }
            Ok(())
        });
        outcome??;
    }

    #[test]
    fn signals_and_health(
        rows in prop::collection::vec((0u8..4, -200i64..20, 0u8..4), 0..60),
        tickets in prop::collection::vec((0u8..4, -200i64..20, any::<bool>()), 0..12),
        touches in prop::collection::vec((0u8..4, -200i64..20, prop::option::of(0i64..30)), 0..12),
        mrr in prop::collection::vec((0u8..4, -12i64..2, nasty()), 0..12),
        seats in (any::<u32>(), any::<u32>()),
        window in 0u32..6, baseline in 0u32..10,
        decline in prop_oneof![Just(0.3), Just(0.0), Just(1.0), Just(f64::NAN)],
        rise in nasty(),
        stake in nasty(),
        cuts in (nasty(), nasty()),
    ) {
        use saas_segmentation::propensity::{
            account_signals, rank_accounts, signal_features, Entitlement, RankBy,
            SignalSources, SupportTicket, Touch,
        };
        use saas_segmentation::records::MrrRecord;
        use saas_segmentation::model::PlanTier;
        let end: Date = "2024-06-30".parse().unwrap();
        let index = CustomerIndex::from_keys(["d", "a", "c", "b"]).unwrap();
        let keys = ["a", "b", "c", "d"];
        let log: Vec<Activity<&str, u8>> = rows
            .iter()
            .map(|(c, day, kind)| {
                let event = match kind { 0 => ActivityEvent::Login, 1 => ActivityEvent::Feature(*c), 2 => ActivityEvent::Feature(9), _ => ActivityEvent::Workflow(*c) };
                Activity::new(keys[*c as usize], end.add_days(*day).unwrap(), event)
            })
            .collect();
        let tickets: Vec<SupportTicket<&str>> = tickets.iter().map(|(c, day, p)| SupportTicket::new(keys[*c as usize], end.add_days(*day).unwrap(), *p)).collect();
        let touches: Vec<Touch<&str>> = touches.iter().map(|(c, day, a)| {
            let sent = end.add_days(*day).unwrap();
            Touch::new(keys[*c as usize], sent, a.map(|a| sent.add_days(a).unwrap()))
        }).collect();
        let mrr: Vec<MrrRecord<&str>> = mrr.iter().map(|(c, m, v)| MrrRecord::new(keys[*c as usize], end.add_months(*m).unwrap(), *v)).collect();
        let ent = PerCustomer::from_keyed(&index, [("a", Entitlement { plan: Some(PlanTier::Starter), seats: Some(seats.0), seat_limit: Some(seats.1) })]).unwrap();
        let plans = [(9u8, PlanTier::Business)];
        let invite = 2u8;
        let params = SignalParams::new(end).window_weeks(window).baseline_weeks(baseline).decline(decline).rise(rise);
        let outcome = guarded("signals", || -> Result<(), TestCaseError> {
            let sources = SignalSources::new(&log).tickets(&tickets).touches(&touches).mrr(&mrr).entitlements(&ent).feature_plans(&plans).invite(&invite);
            if let Ok(out) = saas_segmentation::propensity::mrr_outcomes(&index, &mrr, end) {
                let _ = saas_segmentation::propensity::labels_in_window(&index.dense(), &out.expansion, end, 30);
                let _ = saas_segmentation::propensity::labels_after(&index.dense(), &out.churn, end, 30);
            }
            if let Ok(signals) = account_signals(&index, &sources, &params) {
                for s in signals.values().iter().flatten() {
                    finite_ok("slope", s.usage.slope)?;
                    finite_ok("baseline", s.usage.baseline)?;
                    if let Some(se) = s.usage.slope_se { finite_ok("slope se", se)?; }
                    for e in &s.evidence {
                        finite_ok("current", e.current)?;
                        finite_ok("strength", e.strength)?;
                        if let Some(c) = e.change { finite_ok("change", c)?; }
                        let _ = e.reason();
                    }
                }
                if let Ok(health) = health_scores(&signals, &HealthWeights::default()) {
                    for h in health.values().iter().flatten() {
                        if !(0.0..=100.0).contains(&h.score) || !(0.0..=100.0).contains(&h.expansion) {
                            return Err(TestCaseError::fail(format!("health {} {}", h.score, h.expansion)));
                        }
                    }
                    let _ = health_bands(&health, cuts.0, cuts.1);
                    let money = PerCustomer::from_keyed(&index, [("b", stake)]).unwrap();
                    for by in [RankBy::ChurnRisk, RankBy::Expansion] {
                        let _ = rank_accounts(&signals, &health, by, Some(&money), 3);
                        let _ = rank_accounts(&signals, &health, by, None, usize::MAX);
                    }
                }
                if let Ok(m) = signal_features(&signals) {
                    for v in m.view() { finite_ok("feature", *v)?; }
                }
            }
            Ok(())
        });
        outcome??;
    }
}
