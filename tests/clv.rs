//! BG/NBD, Pareto/NBD, Gamma-Gamma and CLV against lifetimes 0.11 on the CDNOW sample it ships
//! and a synthetic log (`tests/fixtures/clv.json`, from `generate.py clv` in a lifetimes venv);
//! the sBG against the worked example of Fader & Hardie (2007).

mod common;

use common::{assert_within, fixture, vector};
use proptest::prelude::*;
use saas_segmentation::clv::{
    customer_lifetime_value, p_alive_bands, per_customer, BetaGeo, BetaGeoOptions, BetaGeoParams,
    ClvParams, Contract, ContractualFit, ContractualParams, GammaGamma, GammaGammaOptions,
    GammaGammaParams, Histories, ParetoNbd, ParetoNbdOptions, ParetoNbdParams, TransactionModel,
};
use saas_segmentation::economics::ValueQuantiles;
use saas_segmentation::{CustomerIndex, Error};

/// Predictions given the same parameters: the closed forms, to 1e-8 relative.
const PREDICTION_TOL: f64 = 1e-8;
/// Fitted parameters: the 1e-4 relative (lifetimes stops BFGS at `tol=1e-7`).
const PARAM_TOL: f64 = 1e-4;

struct Case {
    name: String,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary: Vec<f64>,
    fits: Vec<serde_json::Value>,
}

fn cases() -> Vec<Case> {
    let f = fixture("clv.json");
    f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            frequency: vector(&c["frequency"]),
            recency: vector(&c["recency"]),
            age: vector(&c["T"]),
            monetary: vector(&c["monetary"]),
            fits: c["fits"].as_array().unwrap().clone(),
        })
        .collect()
}

/// A column where lifetimes may have `null` (its NaN); `None` there.
fn optional(value: &serde_json::Value) -> Vec<Option<f64>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(serde_json::Value::as_f64)
        .collect()
}

/// Compares where lifetimes has a number; returns the positions where it has none.
fn assert_where_defined(
    actual: &[f64],
    expected: &[Option<f64>],
    tol: f64,
    what: &str,
) -> Vec<usize> {
    assert_eq!(actual.len(), expected.len(), "{what}");
    let mut missing = Vec::new();
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(a.is_finite(), "{what}[{i}]: {a}");
        match e {
            Some(e) => assert_all(&[*a], &[*e], tol, &format!("{what}[{i}]")),
            None => missing.push(i),
        }
    }
    missing
}

fn assert_all(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        if e.abs() < 1e-12 {
            assert!((a - e).abs() < 1e-12, "{what}[{i}]: got {a}, expected {e}");
        } else {
            assert_within(*a, *e, tol, &format!("{what}[{i}]"));
        }
    }
}

#[test]
fn bgnbd_matches_lifetimes() {
    for case in cases() {
        let h = Histories::new(&case.frequency, &case.recency, &case.age).unwrap();
        for fit in case.fits.iter().filter(|f| f["model"] == "bgnbd") {
            let penalizer = fit["penalizer"].as_f64().unwrap();
            let what = format!("{} penalizer {penalizer}", case.name);
            let expected = vector(&fit["params"]);
            let model = BetaGeo::fit(&h, BetaGeoOptions::new().penalizer(penalizer)).unwrap();
            let p = model.params();
            assert!(
                model.convergence().converged,
                "{what}: {:?}",
                model.convergence()
            );
            // The optimum is at least as good as lifetimes'.
            let lifetimes_objective = fit["objective"].as_f64().unwrap();
            assert!(
                model.objective() <= lifetimes_objective + 1e-12,
                "{what}: objective {} vs lifetimes {lifetimes_objective}",
                model.objective()
            );
            for (got, want) in [p.r, p.alpha, p.a, p.b].iter().zip(&expected) {
                assert_within(*got, *want, PARAM_TOL, &format!("{what} params"));
            }
            let se = vector(&fit["standard_errors"]);
            for (e, want) in model.estimates().iter().zip(&se) {
                assert_within(
                    e.standard_error.unwrap(),
                    *want,
                    1e-3,
                    &format!("{what} se {}", e.name),
                );
            }
            // Predictions at lifetimes' own parameters.
            let theirs =
                BetaGeoParams::new(expected[0], expected[1], expected[2], expected[3]).unwrap();
            assert_all(
                &theirs.p_alive_all(&h).unwrap(),
                &vector(&fit["p_alive"]),
                PREDICTION_TOL,
                &format!("{what} p_alive"),
            );
            for (key, values) in fit["conditional"].as_object().unwrap() {
                let t: f64 = key.parse().unwrap();
                let got = theirs.conditional_expected_all(t, &h).unwrap();
                let label = format!("{what} E[X({t})|history]");
                let missing = assert_where_defined(&got, &optional(values), PREDICTION_TOL, &label);
                // Where lifetimes' 2F1 overflows to NaN, mpmath at 40 digits.
                let fixes = &fit["conditional_mpmath"][key];
                assert_eq!(missing.len(), fixes.as_object().unwrap().len(), "{label}");
                for i in missing {
                    let want = fixes[i.to_string()].as_f64().unwrap();
                    assert_within(
                        got[i],
                        want,
                        PREDICTION_TOL,
                        &format!("{label}[{i}] vs mpmath"),
                    );
                }
            }
            for (t, value) in fit["unconditional"].as_object().unwrap() {
                let t: f64 = t.parse().unwrap();
                assert_within(
                    theirs.expected_purchases(t).unwrap(),
                    value.as_f64().unwrap(),
                    PREDICTION_TOL,
                    &format!("{what} E[X({t})]"),
                );
            }
            for (key, value) in fit["n_purchases"].as_object().unwrap() {
                let (n, t) = key.split_once('@').unwrap();
                let got = theirs
                    .probability_of_purchases(n.parse().unwrap(), t.parse().unwrap())
                    .unwrap();
                assert_within(
                    got,
                    value.as_f64().unwrap(),
                    PREDICTION_TOL,
                    &format!("{what} P(X({t}) = {n})"),
                );
            }
            // Gamma-Gamma on the returning customers, and CLV at lifetimes' parameters.
            let gg = &fit["gamma_gamma"];
            let gg_expected = vector(&gg["params"]);
            let spend = GammaGamma::fit(
                &case.frequency,
                &case.monetary,
                GammaGammaOptions::new().penalizer(penalizer),
            )
            .unwrap();
            assert!(
                spend.objective() <= gg["objective"].as_f64().unwrap() + 1e-12,
                "{what} Gamma-Gamma objective"
            );
            let sp = spend.params();
            for (got, want) in [sp.p, sp.q, sp.v].iter().zip(&gg_expected) {
                assert_within(
                    *got,
                    *want,
                    PARAM_TOL,
                    &format!("{what} Gamma-Gamma params"),
                );
            }
            for (e, want) in spend.estimates().iter().zip(vector(&gg["standard_errors"])) {
                assert_within(
                    e.standard_error.unwrap(),
                    want,
                    1e-3,
                    &format!("{what} Gamma-Gamma se {}", e.name),
                );
            }
            let their_spend =
                GammaGammaParams::new(gg_expected[0], gg_expected[1], gg_expected[2]).unwrap();
            if their_spend.q <= 1.0 {
                // lifetimes returns a negative "mean spend" here; we refuse it.
                assert!(matches!(
                    their_spend.population_mean(),
                    Err(Error::Undefined { .. })
                ));
                continue;
            }
            let expected_value: Vec<f64> = case
                .frequency
                .iter()
                .zip(&case.monetary)
                .map(|(x, m)| their_spend.expected_average_value(*x, *m).unwrap())
                .collect();
            assert_all(
                &expected_value,
                &vector(&gg["expected_value"]),
                PREDICTION_TOL,
                &format!("{what} expected spend"),
            );
            let clv = &fit["clv"];
            let params = ClvParams::new(12)
                .monthly_discount(clv["discount"].as_f64().unwrap())
                .periods_per_month(clv["periods_per_month"].as_f64().unwrap());
            let got = customer_lifetime_value(&theirs, &their_spend, &h, &case.monetary, &params)
                .unwrap();
            assert_where_defined(
                &got,
                &optional(&clv["values"]),
                PREDICTION_TOL,
                &format!("{what} CLV"),
            );
        }
    }
}

#[test]
fn pareto_nbd_matches_lifetimes() {
    for case in cases() {
        let h = Histories::new(&case.frequency, &case.recency, &case.age).unwrap();
        let fit = case
            .fits
            .iter()
            .find(|f| f["model"] == "pareto_nbd")
            .unwrap();
        let what = case.name.clone();
        let expected = vector(&fit["params"]);
        let theirs =
            ParetoNbdParams::new(expected[0], expected[1], expected[2], expected[3]).unwrap();
        let model = ParetoNbd::fit(&h, ParetoNbdOptions::new()).unwrap();
        // lifetimes runs Nelder-Mead to tol 1e-4: our log-likelihood is at least as high, and
        // the parameters agree to its precision.
        let ours = model.log_likelihood();
        let their_ll = theirs.log_likelihood(&h).unwrap();
        assert!(
            ours >= their_ll - 1e-9,
            "{what}: log-likelihood {ours} vs lifetimes {their_ll}"
        );
        let p = model.params();
        for (got, want) in [p.r, p.alpha, p.s, p.beta].iter().zip(&expected) {
            assert_within(*got, *want, 2e-3, &format!("{what} Pareto/NBD params"));
        }
        assert_all(
            &theirs.p_alive_all(&h).unwrap(),
            &vector(&fit["p_alive"]),
            PREDICTION_TOL,
            &format!("{what} p_alive"),
        );
        for (t, values) in fit["conditional"].as_object().unwrap() {
            let t: f64 = t.parse().unwrap();
            let got = theirs.conditional_expected_all(t, &h).unwrap();
            assert_all(
                &got,
                &vector(values),
                PREDICTION_TOL,
                &format!("{what} E[X({t})|history]"),
            );
        }
        for (t, value) in fit["unconditional"].as_object().unwrap() {
            let t: f64 = t.parse().unwrap();
            assert_within(
                theirs.expected_purchases(t).unwrap(),
                value.as_f64().unwrap(),
                PREDICTION_TOL,
                &what,
            );
        }
    }
}

#[test]
fn published_cdnow_estimates() {
    let case = cases().into_iter().find(|c| c.name == "cdnow").unwrap();
    let h = Histories::new(&case.frequency, &case.recency, &case.age).unwrap();
    // Fader, Hardie & Lee (2005a), BG/NBD: r 0.243, alpha 4.414, a 0.793, b 2.426; LL -9582.4.
    let bg = BetaGeo::fit(&h, BetaGeoOptions::new()).unwrap();
    let p = bg.params();
    for (got, want) in [(p.r, 0.243), (p.alpha, 4.414), (p.a, 0.793), (p.b, 2.426)] {
        assert!((got - want).abs() < 5e-4, "{got} vs published {want}");
    }
    assert!(
        (bg.log_likelihood() - -9582.4).abs() < 0.05,
        "{}",
        bg.log_likelihood()
    );
    // Fader, Hardie & Lee (2005b), Gamma-Gamma: p 6.25, q 3.74, gamma 15.44.
    let gg = GammaGamma::fit(&case.frequency, &case.monetary, GammaGammaOptions::new()).unwrap();
    let g = gg.params();
    for (got, want) in [(g.p, 6.25), (g.q, 3.74), (g.v, 15.44)] {
        // Published to two decimals (lifetimes agrees with us: 6.2488, 3.7446, 15.4477).
        assert!(
            (got - want).abs() < 2e-3 * want,
            "{got} vs published {want}"
        );
    }
    // Pareto/NBD (Fader, Hardie & Lee 2005c): r 0.55, alpha 10.58, s 0.61, beta 11.67, LL -9595.0.
    let pn = ParetoNbd::fit(&h, ParetoNbdOptions::new()).unwrap();
    let q = pn.params();
    for (got, want) in [(q.r, 0.55), (q.alpha, 10.58), (q.s, 0.61), (q.beta, 11.67)] {
        assert!(
            (got - want).abs() < 6e-3 * want.max(1.0),
            "{got} vs published {want}"
        );
    }
    assert!(
        (pn.log_likelihood() - -9595.0).abs() < 0.05,
        "{}",
        pn.log_likelihood()
    );
}

#[test]
fn sbg_reproduces_the_worked_example() {
    // Fader & Hardie (2007), "How to project customer retention", years 0-7.
    let regular = [1000, 631, 468, 382, 326, 289, 262, 241];
    let high_end = [1000, 869, 743, 653, 593, 551, 517, 491];
    for (alive, alpha, beta) in [(regular, 0.704, 1.182), (high_end, 0.668, 3.806)] {
        let fit = ContractualFit::fit(&alive, Contract::ShiftedBetaGeometric).unwrap();
        assert!(
            (fit.params().alpha - alpha).abs() < 5e-4,
            "{:?}",
            fit.params()
        );
        assert!(
            (fit.params().beta - beta).abs() < 5e-4,
            "{:?}",
            fit.params()
        );
        // The closed-form retention rates equal the survival ratios.
        let p = fit.params();
        for t in 1..12 {
            let r = (p.beta + f64::from(t) - 1.0) / (p.alpha + p.beta + f64::from(t) - 1.0);
            assert_within(p.retention_rate(t).unwrap(), r, 1e-12, "retention");
        }
        let projected = fit.projected_alive(12).unwrap();
        assert_eq!(projected[0], 1000.0);
        assert!(projected.windows(2).all(|w| w[1] < w[0]));
        // The closed-form DERL equals the direct discounted sum of survival ratios.
        for renewals in [0, 1, 4] {
            let d = 0.1;
            let closed = p.discounted_residual_lifetime(d, renewals).unwrap();
            let base = p.survival(renewals).unwrap();
            let direct: f64 = (0..3000)
                .map(|k| p.survival(renewals + 1 + k).unwrap() / base / (1.0 + d).powi(k as i32))
                .sum();
            assert_within(closed, direct, 1e-9, "DERL");
        }
    }
    // The beta-discrete-Weibull nests the sBG: its likelihood is at least as high.
    let sbg = ContractualFit::fit(&regular, Contract::ShiftedBetaGeometric).unwrap();
    let bdw = ContractualFit::fit(&regular, Contract::BetaDiscreteWeibull).unwrap();
    assert!(bdw.log_likelihood() >= sbg.log_likelihood() - 1e-9);
    let w = bdw.params();
    let direct = ContractualParams::bdw(w.alpha, w.beta, w.c).unwrap();
    assert!(direct.discounted_residual_lifetime(0.1, 2).unwrap() > 0.0);
}

#[test]
fn predictions_become_segments_over_a_shuffled_index() {
    let case = cases().into_iter().find(|c| c.name == "cdnow").unwrap();
    let h = Histories::new(&case.frequency, &case.recency, &case.age).unwrap();
    let bg = BetaGeo::fit(&h, BetaGeoOptions::new()).unwrap();
    let alive = bg.params().p_alive_all(&h).unwrap();
    // Keys in reverse of position; an index whose id order is neither.
    let n = case.frequency.len();
    let keys: Vec<String> = (0..n).map(|i| format!("k{:05}", n - i)).collect();
    let mut shuffled = keys.clone();
    shuffled.rotate_left(n / 3);
    let index = CustomerIndex::from_keys(shuffled).unwrap();
    let column = saas_segmentation::PerCustomer::from_keyed(
        &index,
        keys.iter().cloned().zip(alive.iter().copied()),
    )
    .unwrap();
    let bands = p_alive_bands(&column, &[0.3, 0.7]).unwrap();
    for (i, key) in keys.iter().enumerate() {
        let band = bands.segment_of_key(&index, key).unwrap().unwrap();
        let want = usize::from(alive[i] >= 0.3) + usize::from(alive[i] >= 0.7);
        assert_eq!(band, want, "{key}");
    }
    let quintiles = ValueQuantiles::new(&index, &column, 5).unwrap();
    assert_eq!(quintiles.segmentation().sizes().iter().sum::<usize>(), n);
    // A column from another index is refused.
    let other = CustomerIndex::from_keys(keys.clone()).unwrap();
    assert!(matches!(
        ValueQuantiles::new(&other, &column, 5),
        Err(Error::CustomerSetMismatch { .. })
    ));
}

#[test]
fn summary_predictions_follow_their_keys() {
    use saas_segmentation::records::Transaction;
    use saas_segmentation::rfm::{BtydParams, BtydSummary};
    use saas_segmentation::Date;
    let d = |s: &str| s.parse::<Date>().unwrap();
    let log = vec![
        Transaction::new("z", d("2024-01-01"), 10.0),
        Transaction::new("z", d("2024-02-01"), 10.0),
        Transaction::new("a", d("2024-01-10"), 5.0),
    ];
    let summary = BtydSummary::from_transactions(&log, &BtydParams::new(d("2024-03-01"))).unwrap();
    let index = CustomerIndex::from_keys(["z", "q", "a"]).unwrap();
    let column = per_customer(&summary, &index, &[1.0, 2.0]).unwrap();
    // Summary order is key order: "a" first.
    assert_eq!(column.of_key(&index, "a").unwrap(), Some(&1.0));
    assert_eq!(column.of_key(&index, "z").unwrap(), Some(&2.0));
    assert_eq!(column.of_key(&index, "q").unwrap(), None);
    assert!(matches!(
        per_customer(&summary, &index, &[1.0]),
        Err(Error::LengthMismatch { .. })
    ));
    let small = CustomerIndex::from_keys(["z"]).unwrap();
    assert!(matches!(
        per_customer(&summary, &small, &[1.0, 2.0]),
        Err(Error::UnknownCustomer { .. })
    ));
}

#[test]
fn degenerate_data_get_typed_errors() {
    // No repeat purchases at all.
    let h = Histories::new(&[0.0, 0.0], &[0.0, 0.0], &[5.0, 9.0]).unwrap();
    assert!(matches!(
        BetaGeo::fit(&h, BetaGeoOptions::new()),
        Err(Error::Undefined { .. })
    ));
    assert!(matches!(
        ParetoNbd::fit(&h, ParetoNbdOptions::new()),
        Err(Error::Undefined { .. })
    ));
    // All customers identical: the unpenalized likelihood runs to a boundary or stays finite;
    // never NaN parameters.
    let f = [2.0; 50];
    let r = [10.0; 50];
    let t = [20.0; 50];
    let h = Histories::new(&f, &r, &t).unwrap();
    match BetaGeo::fit(&h, BetaGeoOptions::new()) {
        Ok(m) => {
            let p = m.params();
            assert!([p.r, p.alpha, p.a, p.b]
                .iter()
                .all(|v| v.is_finite() && *v > 0.0));
        }
        Err(e) => assert!(matches!(e, Error::Undefined { .. }), "{e}"),
    }
    // The penalty pulls parameters towards 0, so it cannot stop a -> 0 here: a typed error.
    match BetaGeo::fit(&h, BetaGeoOptions::new().penalizer(0.1)) {
        Ok(m) => assert!(m.params().r.is_finite()),
        Err(e) => assert!(e.to_string().contains("runs to"), "{e}"),
    }
    // Everyone spends the same.
    match GammaGamma::fit(&f, &[10.0; 50], GammaGammaOptions::new()) {
        Ok(m) => assert!(m.params().p.is_finite()),
        Err(e) => assert!(matches!(e, Error::Undefined { .. }), "{e}"),
    }
    // Bad histories name the customer.
    let e = Histories::new(&[1.5], &[1.0], &[2.0]).unwrap_err();
    assert!(e.to_string().contains("position 0"), "{e}");
    assert!(Histories::new(&[1.0], &[3.0], &[2.0]).is_err());
    assert!(Histories::new(&[0.0], &[1.0], &[2.0]).is_err());
    assert!(Histories::new(&[f64::NAN], &[1.0], &[2.0]).is_err());
    assert!(matches!(
        Histories::new(&[], &[], &[]),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        GammaGamma::fit(&[1.0], &[-3.0], GammaGammaOptions::new()),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        GammaGamma::fit(&[0.0], &[0.0], GammaGammaOptions::new()),
        Err(Error::EmptyInput { .. })
    ));
    assert!(BetaGeo::fit(&h, BetaGeoOptions::new().penalizer(f64::NAN)).is_err());
    // Contractual: survivors that come back, no churn, everyone gone at once.
    assert!(ContractualFit::fit(&[100, 120], Contract::ShiftedBetaGeometric).is_err());
    assert!(ContractualFit::fit(&[100, 100, 100], Contract::ShiftedBetaGeometric).is_err());
    assert!(ContractualFit::fit(&[100, 0], Contract::ShiftedBetaGeometric).is_err());
    assert!(ContractualFit::fit(&[0, 0], Contract::ShiftedBetaGeometric).is_err());
    assert!(ContractualFit::fit(&[7], Contract::ShiftedBetaGeometric).is_err());
    // Bands refuse bad cuts and values.
    let index = CustomerIndex::from_keys(["a"]).unwrap();
    let col = saas_segmentation::PerCustomer::from_keyed(&index, [("a", 1.5)]).unwrap();
    assert!(p_alive_bands(&col, &[0.5]).is_err());
    let col = saas_segmentation::PerCustomer::from_keyed(&index, [("a", 0.5)]).unwrap();
    assert!(p_alive_bands(&col, &[0.7, 0.3]).is_err());
    assert!(p_alive_bands(&col, &[]).is_err());
}

fn history() -> impl Strategy<Value = (f64, f64, f64)> {
    (0u32..60, 0.0f64..1.0, 0.1f64..400.0).prop_map(|(x, share, t)| {
        let x = f64::from(x);
        let t_x = if x == 0.0 {
            0.0
        } else {
            (share * t * 100.0).round() / 100.0
        };
        (x, t_x.min(t), t)
    })
}

fn bg_params() -> impl Strategy<Value = BetaGeoParams> {
    (0.01f64..5.0, 0.1f64..50.0, 0.05f64..5.0, 0.05f64..20.0)
        .prop_map(|(r, alpha, a, b)| BetaGeoParams::new(r, alpha, a, b).unwrap())
}

proptest! {
    #[test]
    fn p_alive_is_a_probability_and_one_without_repeats(p in bg_params(), (x, t_x, t) in history()) {
        let alive = p.p_alive(x, t_x, t).unwrap();
        prop_assert!((0.0..=1.0).contains(&alive));
        if x == 0.0 {
            prop_assert_eq!(alive, 1.0);
        }
        let pn = ParetoNbdParams::new(p.r, p.alpha, p.a, p.b).unwrap();
        let alive = pn.p_alive(x, t_x, t).unwrap();
        prop_assert!((0.0..=1.0).contains(&alive));
    }

    #[test]
    fn expected_purchases_grow_with_the_horizon(p in bg_params(), (x, t_x, t) in history(), h in 0.1f64..200.0) {
        prop_assume!((p.a - 1.0).abs() > 1e-3);
        let short = p.conditional_expected_purchases(h, x, t_x, t).unwrap();
        let long = p.conditional_expected_purchases(2.0 * h, x, t_x, t).unwrap();
        prop_assert!(short >= 0.0 && long >= short * (1.0 - 1e-12), "{short} {long}");
        let short = p.expected_purchases(h).unwrap();
        let long = p.expected_purchases(2.0 * h).unwrap();
        prop_assert!(short >= 0.0 && long >= short * (1.0 - 1e-12));
    }

    #[test]
    fn purchase_count_probabilities_sum_below_one(p in bg_params(), t in 0.1f64..100.0) {
        let total: f64 = (0..40).map(|n| p.probability_of_purchases(n, t).unwrap()).sum();
        prop_assert!(total <= 1.0 + 1e-9, "{total}");
    }
}
