//! Account signals, health and expansion scores against the synthetic base's planted at-risk
//! decliners and mid-market power users, and every signal's evidence on hand-made records.

use saas_segmentation::activity::{Activity, ActivityEvent};
use saas_segmentation::propensity::{
    account_signals, health_bands, health_scores, rank_accounts, signal_features, usage_signals,
    AccountSignals, Entitlement, HealthWeights, RankBy, SignalKind, SignalParams, SignalSources,
    SupportTicket, Touch,
};
use saas_segmentation::records::MrrRecord;
use saas_segmentation::synthetic::{generate, SyntheticConfig, FEATURE_PLANS};
use saas_segmentation::{CustomerIndex, Date, PerCustomer};

/// Precision and recall of `flagged` against `truth` over `among`.
fn precision_recall(flagged: &[bool], truth: &[bool], among: &[bool]) -> (f64, f64, usize) {
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for i in 0..flagged.len() {
        if !among[i] {
            continue;
        }
        match (flagged[i], truth[i]) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    (
        tp as f64 / (tp + fp).max(1) as f64,
        tp as f64 / (tp + fneg).max(1) as f64,
        tp + fneg,
    )
}

#[test]
fn health_bands_and_expansion_list_find_the_planted_segments() {
    let base = generate(&SyntheticConfig::new(6_000).seed(11)).unwrap();
    let ids = base.index().dense();
    let end = base.analysis_date().add_days(-1).unwrap();
    let params = SignalParams::new(end);
    let entitlements = base.entitlements().unwrap();
    let invite = "invite_team";
    let sources = SignalSources::new(base.activity())
        .tickets(base.tickets())
        .touches(base.touches())
        .mrr(base.mrr())
        .entitlements(&entitlements)
        .feature_plans(&FEATURE_PLANS)
        .invite(&invite);
    let signals = account_signals(&ids, &sources, &params).unwrap();
    let health = health_scores(&signals, &HealthWeights::default()).unwrap();
    let bands = health_bands(&health, 80.0, 95.0).unwrap();
    let planted = |name: &str| base.planted().iter().position(|p| p.name == name).unwrap();
    let (decliners, power) = (
        planted("at-risk decliners"),
        planted("mid-market power users"),
    );
    // Customers still subscribed at the analysis date.
    let active: Vec<bool> = base
        .profiles()
        .iter()
        .map(|p| p.value.mrr.unwrap_or(0.0) > 0.0)
        .collect();
    let at_risk = bands.segment_by_name("at risk").unwrap();
    let flagged: Vec<bool> = bands.labels().iter().map(|l| *l == Some(at_risk)).collect();
    let truth: Vec<bool> = base.truth().iter().map(|t| *t == decliners).collect();
    let (precision, recall, planted_n) = precision_recall(&flagged, &truth, &active);
    eprintln!("at-risk band: precision {precision:.3}, recall {recall:.3} of {planted_n} planted");
    let expanding: Vec<bool> = health
        .values()
        .iter()
        .map(|h| h.as_ref().is_some_and(|h| h.expansion >= 15.0))
        .collect();
    let truth: Vec<bool> = base.truth().iter().map(|t| *t == power).collect();
    let (ep, er, en) = precision_recall(&expanding, &truth, &active);
    eprintln!("expansion list (score >= 15): precision {ep:.3}, recall {er:.3} of {en} planted");
    for kind in SignalKind::ALL {
        let fired = |seg: usize| {
            let (mut f, mut n) = (0, 0);
            for (i, s) in signals.values().iter().enumerate() {
                if active[i] && base.truth()[i] == seg {
                    n += 1;
                    f += usize::from(s.as_ref().unwrap().fired(kind));
                }
            }
            f as f64 / n.max(1) as f64
        };
        eprintln!(
            "{:>24}: {}",
            kind.label(),
            (0..5)
                .map(|s| format!("{:.2}", fired(s)))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    assert!(
        precision > 0.6 && recall > 0.8,
        "precision {precision}, recall {recall}"
    );
    assert!(
        ep > 0.6 && er > 0.6,
        "expansion precision {ep}, recall {er}"
    );
}

/// Two logs over one index whose order differs from key order.
fn hand_made() -> (
    CustomerIndex<&'static str>,
    Vec<Activity<&'static str, &'static str>>,
    Date,
) {
    let end: Date = "2024-03-31".parse().unwrap();
    let index =
        CustomerIndex::from_keys(["steady", "falling", "gone", "silent", "growing"]).unwrap();
    let mut log = Vec::new();
    for day in 0..84i64 {
        let date = end.add_days(day - 83).unwrap();
        log.push(Activity::new("steady", date, ActivityEvent::Login));
        if day < 56 || day % 3 == 0 {
            log.push(Activity::new(
                "falling",
                date,
                ActivityEvent::Feature(if day < 56 { "reports" } else { "export" }),
            ));
            log.push(Activity::new(
                "falling",
                date,
                ActivityEvent::Feature("dashboards"),
            ));
        }
        if day < 30 {
            log.push(Activity::new("gone", date, ActivityEvent::Login));
        }
        // Growing: one login a week in the baseline, daily in the window, with the API (a
        // Business feature) and invites.
        if day >= 56 || day % 7 == 0 {
            log.push(Activity::new("growing", date, ActivityEvent::Login));
        }
        if day >= 60 && day % 5 == 0 {
            log.push(Activity::new(
                "growing",
                date,
                ActivityEvent::Feature("api"),
            ));
            log.push(Activity::new(
                "growing",
                date,
                ActivityEvent::Workflow("invite_team"),
            ));
        }
    }
    (index, log, end)
}

#[test]
fn every_signal_carries_its_evidence() {
    let (index, log, end) = hand_made();
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let tickets = [
        SupportTicket::new("falling", d("2024-01-20"), true),
        SupportTicket::new("falling", d("2024-03-10"), true),
        SupportTicket::new("falling", d("2024-03-20"), true),
        SupportTicket::new("falling", d("2024-03-25"), false),
        SupportTicket::new("steady", d("2024-03-25"), true),
    ];
    let touches = [
        Touch::new("falling", d("2024-03-05"), None),
        Touch::new("falling", d("2024-03-12"), Some(d("2024-04-02"))), // after the analysis date
        Touch::new("falling", d("2024-03-28"), None),                  // too recent to judge
        Touch::new("steady", d("2024-03-05"), Some(d("2024-03-06"))),
        Touch::new("steady", d("2024-03-12"), None),
    ];
    let mrr = [
        MrrRecord::new("falling", d("2024-01-01"), 500.0),
        MrrRecord::new("falling", d("2024-02-01"), 500.0),
        MrrRecord::new("falling", d("2024-03-01"), 300.0),
        MrrRecord::new("growing", d("2023-12-01"), 80.0), // before the lookback
        MrrRecord::new("growing", d("2024-01-01"), 100.0),
        MrrRecord::new("growing", d("2024-02-01"), 120.0),
        MrrRecord::new("growing", d("2024-02-01"), 30.0), // a second subscription adds up
        MrrRecord::new("growing", d("2024-03-01"), 150.0),
        // gone has no February row: 0 that month, so March is a reactivation, not expansion.
        MrrRecord::new("gone", d("2024-01-01"), 200.0),
        MrrRecord::new("gone", d("2024-03-01"), 200.0),
    ];
    let mut ent = vec![None; index.len()];
    ent[index.get("growing").unwrap().index()] = Some(Entitlement {
        plan: Some(saas_segmentation::model::PlanTier::Professional),
        seats: Some(19),
        seat_limit: Some(20),
    });
    let ent = PerCustomer::new(&index, ent).unwrap();
    let invite = "invite_team";
    let sources = SignalSources::new(&log)
        .tickets(&tickets)
        .touches(&touches)
        .mrr(&mrr)
        .entitlements(&ent)
        .feature_plans(&FEATURE_PLANS)
        .invite(&invite);
    let params = SignalParams::new(end);
    let signals = account_signals(&index, &sources, &params).unwrap();
    let get = |k: &str| -> AccountSignals { signals.of_key(&index, k).unwrap().unwrap().clone() };
    let (steady, falling, gone, silent, growing) = (
        get("steady"),
        get("falling"),
        get("gone"),
        get("silent"),
        get("growing"),
    );
    assert_eq!(steady.window_from, d("2024-03-04"));
    assert_eq!(steady.baseline_from, d("2024-01-08"));
    assert!(
        steady.fired_signals().next().is_none(),
        "{:?}",
        steady.fired_signals().collect::<Vec<_>>()
    );
    assert_eq!(steady.usage.weekly_logins, vec![7; 12]);
    // Declining, narrowing, problem tickets, ignored outreach, contraction.
    let e = falling.get(SignalKind::DecliningUsage).unwrap();
    assert!(e.fired && e.change.unwrap() < -0.3 && e.since == Some(end.add_days(-27).unwrap()));
    assert!(e.strength >= 0.5 && e.strength <= 1.0);
    let t = falling.get(SignalKind::RisingTickets).unwrap();
    assert!(t.fired);
    assert_eq!((t.baseline, t.current), (Some(1.0 / 8.0), 2.0 / 4.0));
    assert_eq!(t.change, Some(3.0));
    assert_eq!(t.since, Some(d("2024-03-10")));
    let o = falling.get(SignalKind::IgnoredOutreach).unwrap();
    assert!(o.fired && o.current == 1.0 && o.since == Some(d("2024-03-05")));
    let s = steady.get(SignalKind::IgnoredOutreach).unwrap();
    assert!(
        !s.fired && s.current == 0.5,
        "one unanswered is below the minimum of two"
    );
    let c = falling.get(SignalKind::MrrContraction).unwrap();
    assert!(c.fired && c.baseline == Some(500.0) && c.current == 300.0);
    assert_eq!((c.change, c.since), (Some(-0.4), Some(d("2024-03-01"))));
    assert!(
        !falling.fired(SignalKind::FewerFeatures),
        "two features before and after"
    );
    // Gone quiet; silent has nothing to judge.
    assert!(gone.fired(SignalKind::WentQuiet) && gone.fired(SignalKind::DecliningUsage));
    assert!(silent.fired_signals().next().is_none());
    assert!(silent
        .get(SignalKind::MrrContraction)
        .is_some_and(|e| e.baseline.is_none()));
    // Growing: velocity, invites, seats, the API above a Professional plan, expansion MRR.
    for kind in [
        SignalKind::RisingVelocity,
        SignalKind::InvitingColleagues,
        SignalKind::SeatsNearLimit,
        SignalKind::FeaturesAbovePlan,
        SignalKind::ExpansionHistory,
    ] {
        assert!(
            growing.fired(kind),
            "{kind} did not fire: {:?}",
            growing.get(kind)
        );
    }
    let x = growing.get(SignalKind::ExpansionHistory).unwrap();
    assert_eq!(
        (x.since, x.baseline, x.current),
        (Some(d("2024-02-01")), Some(100.0), 150.0)
    );
    assert_eq!(x.change, Some(0.5));
    assert!(!gone.fired(SignalKind::ExpansionHistory) && !gone.fired(SignalKind::MrrContraction));
    assert_eq!(
        growing.get(SignalKind::FeaturesAbovePlan).unwrap().since,
        Some(d("2024-03-08"))
    );
    assert!(growing.get(SignalKind::SeatsNearLimit).unwrap().current == 0.95);
    for s in [&steady, &falling, &gone, &silent, &growing] {
        for e in &s.evidence {
            assert!(e.strength.is_finite() && (0.0..=1.0).contains(&e.strength));
            assert!(e.current.is_finite() && e.threshold.is_finite());
            assert_eq!(e.fired, e.strength > 0.0, "{e:?}");
        }
    }
    // Health, its parts, bands, the ranked lists with reasons.
    let health = health_scores(&signals, &HealthWeights::default()).unwrap();
    for (id, h) in health.iter() {
        let h = h.unwrap();
        let off: f64 = h
            .contributions
            .iter()
            .filter(|(k, _)| k.is_churn_risk())
            .map(|c| c.1)
            .sum();
        let up: f64 = h
            .contributions
            .iter()
            .filter(|(k, _)| !k.is_churn_risk())
            .map(|c| c.1)
            .sum();
        assert!((h.score - (100.0 - off).max(0.0)).abs() < 1e-9, "{id}");
        assert!((h.expansion - up.min(100.0)).abs() < 1e-9, "{id}");
    }
    let bands = health_bands(&health, 80.0, 95.0).unwrap();
    assert_eq!(
        bands.segment_name_of(index.get("steady").unwrap()),
        Some("healthy")
    );
    assert_eq!(
        bands.segment_name_of(index.get("falling").unwrap()),
        Some("at risk")
    );
    let cs = rank_accounts(&signals, &health, RankBy::ChurnRisk, None, 10).unwrap();
    let names: Vec<&str> = cs.iter().map(|r| *index.key(r.customer).unwrap()).collect();
    assert_eq!(names[0], "falling");
    assert!(
        cs[0].reasons[0].starts_with("declining usage"),
        "{:?}",
        cs[0].reasons
    );
    assert!(!names.contains(&"steady") && !names.contains(&"silent"));
    let stake = PerCustomer::from_keyed(&index, [("gone", 10_000.0), ("falling", 300.0)]).unwrap();
    let by_money = rank_accounts(&signals, &health, RankBy::ChurnRisk, Some(&stake), 1).unwrap();
    assert_eq!(index.key(by_money[0].customer), Some(&"gone"));
    let sales = rank_accounts(&signals, &health, RankBy::Expansion, None, 10).unwrap();
    assert_eq!(index.key(sales[0].customer), Some(&"growing"));
    assert_eq!(sales[0].reasons.len(), 5);
    // Features for a propensity model, tied to their customers.
    let features = signal_features(&signals).unwrap();
    assert_eq!(features.view().nrows(), 5);
    assert_eq!(features.customer(4), index.get("growing"));
    // Seats are known for "growing" only (the last customer): the column is there all the same.
    assert!(features
        .names()
        .iter()
        .any(|n| n == "seats near limit strength"));
    // usage_signals is the usage part.
    let usage = usage_signals(&index, &log, &params).unwrap();
    assert_eq!(
        usage.of_key(&index, "falling").unwrap(),
        Some(&falling.usage)
    );
}

#[test]
fn bad_records_and_settings_get_typed_errors() {
    let (index, log, end) = hand_made();
    let params = SignalParams::new(end);
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let run = |sources: &SignalSources<'_, &str, &str>| account_signals(&index, sources, &params);
    assert!(account_signals(&index, &SignalSources::new(&log), &params.window_weeks(0)).is_err());
    assert!(account_signals(&index, &SignalSources::new(&log), &params.rise(f64::NAN)).is_err());
    assert!(account_signals(&index, &SignalSources::new(&log), &params.min_tickets(0)).is_err());
    assert!(account_signals(&index, &SignalSources::new(&log), &params.unanswered(1.5)).is_err());
    let stranger = [Activity::new("nobody", end, ActivityEvent::<&str>::Login)];
    let e = run(&SignalSources::new(&stranger)).unwrap_err().to_string();
    assert!(e.contains("activity row 0") && e.contains("nobody"), "{e}");
    let t = [SupportTicket::new("nobody", end, true)];
    let e = run(&SignalSources::new(&log).tickets(&t))
        .unwrap_err()
        .to_string();
    assert!(e.contains("support ticket row 0"), "{e}");
    let back = [Touch::new("steady", d("2024-03-10"), Some(d("2024-03-01")))];
    let e = run(&SignalSources::new(&log).touches(&back))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("touch row 0") && e.contains("before it was sent"),
        "{e}"
    );
    for bad in [f64::NAN, -5.0, f64::INFINITY] {
        let m = [MrrRecord::new("steady", d("2024-03-01"), bad)];
        let e = run(&SignalSources::new(&log).mrr(&m))
            .unwrap_err()
            .to_string();
        assert!(e.contains("MRR row 0") && e.contains("mrr"), "{e}");
    }
    let bad = [MrrRecord::new("steady", d("2024-03-01"), f64::NAN)];
    let e = saas_segmentation::propensity::mrr_outcomes(&index, &bad, end).unwrap_err();
    assert!(e.to_string().contains("MRR row 0"), "{e}");
    let far = [
        MrrRecord::new("steady", d("0000-01-01"), 5.0),
        MrrRecord::new("steady", d("9999-12-01"), 5.0),
    ];
    let out = saas_segmentation::propensity::mrr_outcomes(&index, &far, d("9999-12-31")).unwrap();
    assert_eq!(out.churn.len(), 1);
    // Huge finite MRR and far-away dates stay finite.
    let m = [
        MrrRecord::new("steady", d("2024-02-01"), f64::MAX),
        MrrRecord::new("steady", d("2024-03-01"), f64::MAX),
        MrrRecord::new("steady", d("0001-01-01"), 1.0),
        MrrRecord::new("steady", d("9999-12-01"), 1.0),
    ];
    let s = run(&SignalSources::new(&log).mrr(&m)).unwrap();
    for e in &s.of_key(&index, "steady").unwrap().unwrap().evidence {
        assert!(e.current.is_finite() && e.strength.is_finite(), "{e:?}");
    }
    let other = CustomerIndex::from_keys(["x"]).unwrap();
    let foreign = PerCustomer::new(&other, vec![Some(Entitlement::default())]).unwrap();
    assert!(run(&SignalSources::new(&log).entitlements(&foreign)).is_err());
    let signals = run(&SignalSources::new(&log)).unwrap();
    let heavy = HealthWeights::default().set(SignalKind::DecliningUsage, 90.0);
    assert!(health_scores(&signals, &heavy).is_err());
    let health = health_scores(&signals, &HealthWeights::default()).unwrap();
    assert!(health_bands(&health, 80.0, 60.0).is_err());
    let foreign_stake = PerCustomer::from_keyed(&other, [("x", 1.0)]).unwrap();
    assert!(rank_accounts(
        &signals,
        &health,
        RankBy::ChurnRisk,
        Some(&foreign_stake),
        3
    )
    .is_err());
    let nan_stake = PerCustomer::from_keyed(&index, [("falling", f64::NAN)]).unwrap();
    assert!(rank_accounts(&signals, &health, RankBy::ChurnRisk, Some(&nan_stake), 3).is_err());
    // Learning weights needs both outcomes.
    let all_true = PerCustomer::from_fn(&index, |_| Some(true));
    assert!(HealthWeights::default()
        .learn(&signals, &all_true, true)
        .is_err());
    // No customers at all.
    let empty = CustomerIndex::<&str>::new();
    let nothing: [Activity<&str, &str>; 0] = [];
    let none = account_signals(&empty, &SignalSources::new(&nothing), &params).unwrap();
    assert!(signal_features(&none).is_err());
    assert!(health_scores(&none, &HealthWeights::default())
        .unwrap()
        .is_empty());
}

#[test]
fn learned_weights_recover_the_planted_decliners() {
    let base = generate(&SyntheticConfig::new(4_000).seed(5)).unwrap();
    let ids = base.index().dense();
    let params = SignalParams::new(base.analysis_date().add_days(-1).unwrap());
    let sources = SignalSources::new(base.activity())
        .tickets(base.tickets())
        .touches(base.touches())
        .mrr(base.mrr());
    let signals = account_signals(&ids, &sources, &params).unwrap();
    let decliners = base
        .planted()
        .iter()
        .position(|p| p.name == "at-risk decliners")
        .unwrap();
    let outcome = PerCustomer::from_fn(&ids, |id| Some(base.truth()[id.index()] == decliners));
    let learned = HealthWeights::default()
        .learn(&signals, &outcome, true)
        .unwrap();
    let churn: f64 = SignalKind::ALL
        .iter()
        .filter(|k| k.is_churn_risk())
        .map(|k| learned.get(*k))
        .sum();
    assert!((churn - 100.0).abs() < 1e-9);
    assert!(learned.get(SignalKind::IgnoredOutreach) > 0.0);
    assert!(learned.get(SignalKind::DecliningUsage) > 0.0);
    assert_eq!(
        learned.get(SignalKind::SeatsNearLimit),
        HealthWeights::default().get(SignalKind::SeatsNearLimit)
    );
    let y: Vec<bool> = outcome.values().iter().map(|o| o.unwrap()).collect();
    let auc = |w: &HealthWeights| {
        let health = health_scores(&signals, w).unwrap();
        let p: Vec<f64> = health
            .values()
            .iter()
            .map(|h| 100.0 - h.as_ref().unwrap().score)
            .collect();
        saas_segmentation::propensity::roc_auc(&y, &p, None).unwrap()
    };
    let (given, fitted) = (auc(&HealthWeights::default()), auc(&learned));
    eprintln!("AUC of the at-risk points: default weights {given:.3}, learned {fitted:.3}");
    assert!(
        fitted > 0.75 && fitted >= given - 0.01,
        "{fitted} vs {given}"
    );
}

#[test]
fn score_bands_separate_later_survival() {
    use saas_segmentation::survival::{
        compare_segments, segment_hazard_ratios, CoxParams, KaplanMeierParams, SurvivalData,
        Weighting,
    };
    // Score four months before the history ends, then follow the customers to its end.
    let base = generate(&SyntheticConfig::new(6_000).seed(23).activity_days(300)).unwrap();
    let ids = base.index().dense();
    let end = base.analysis_date();
    let as_of = end.add_days(-121).unwrap();
    let params = SignalParams::new(as_of);
    let sources = SignalSources::new(base.activity())
        .tickets(base.tickets())
        .touches(base.touches())
        .mrr(base.mrr());
    let signals = account_signals(&ids, &sources, &params).unwrap();
    let health = health_scores(&signals, &HealthWeights::default()).unwrap();
    let bands = health_bands(&health, 80.0, 95.0).unwrap();
    // Lifetimes from the scoring day: churned at the end of the last paid month.
    let as_of_month = as_of.add_days(1 - i64::from(as_of.day())).unwrap();
    let last_month = end.add_months(-1).unwrap();
    let mut last: Vec<Option<Date>> = vec![None; base.index().len()];
    let mut paying = vec![false; base.index().len()];
    for r in base.mrr() {
        let i = r.customer.index();
        if r.month == as_of_month {
            paying[i] = true;
        }
        if last[i].is_none_or(|d| r.month > d) {
            last[i] = Some(r.month);
        }
    }
    let (mut who, mut days, mut churned) = (Vec::new(), Vec::new(), Vec::new());
    for (i, l) in last.iter().enumerate() {
        let Some(l) = l else { continue };
        if !paying[i] {
            continue;
        }
        let gone = *l < last_month;
        let stop = if gone { l.add_months(1).unwrap() } else { end };
        who.push(ids.id(i).unwrap());
        days.push(stop.days_since(as_of).max(0) as f64);
        churned.push(gone);
    }
    let data = SurvivalData::new(&ids, who, days, churned).unwrap();
    let curves =
        compare_segments(&data, &bands, &KaplanMeierParams::new(), Weighting::LogRank).unwrap();
    let at = |s: usize| curves.curves[s].at(110.0).unwrap().survival;
    eprintln!(
        "retained 110 days after scoring: healthy {:.3}, watch {:.3}, at risk {:.3}; log-rank p {:.2e}",
        at(0),
        at(1),
        at(2),
        curves.test.p_value
    );
    assert!(at(0) > at(2) + 0.03 && at(1) > at(2));
    assert!(curves.test.p_value < 1e-4);
    let cox = segment_hazard_ratios(&data, &bands, 0, &CoxParams::new()).unwrap();
    let risk = cox
        .coefficients()
        .iter()
        .find(|c| c.name == "at risk")
        .unwrap();
    eprintln!(
        "hazard ratio at risk vs healthy: {:.2} (p {:.1e})",
        risk.hazard_ratio, risk.p_value
    );
    assert!(risk.hazard_ratio > 1.5 && risk.p_value < 1e-4);
}

#[test]
fn churn_propensity_from_signals_on_held_out_customers() {
    use saas_segmentation::propensity::{
        brier_score, calibration, labels_after, labels_in_window, mrr_outcomes, roc_auc,
        BinStrategy, LogisticModel, LogisticParams, PlattCalibrator,
    };
    // Features as of a cut four months before the history ends; outcome: churn in the 120
    // days after it (customers gone before the cut get no label, so nothing leaks).
    let base = generate(&SyntheticConfig::new(8_000).seed(31).activity_days(300)).unwrap();
    let ids = base.index().dense();
    let end = base.analysis_date();
    let cut = end.add_days(-121).unwrap();
    let sources = SignalSources::new(base.activity())
        .tickets(base.tickets())
        .touches(base.touches())
        .mrr(base.mrr());
    let signals = account_signals(&ids, &sources, &SignalParams::new(cut)).unwrap();
    let outcomes = mrr_outcomes(&ids, base.mrr(), end.add_days(-1).unwrap()).unwrap();
    let churn = outcomes.churn;
    let labels = labels_after(&ids, &churn, cut, 120).unwrap();
    let features = signal_features(&signals).unwrap();
    let x = features.view();
    // Customers who had signed up by the cut and have a label; even ids train, odd ids test.
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for r in 0..x.nrows() {
        let id = features.customer(r).unwrap();
        let since = base.profiles()[id.index()].value.customer_since.unwrap();
        if let (Some(&y), true) = (labels.get(id), since <= cut) {
            if id.get().is_multiple_of(2) {
                train.push((r, y))
            } else {
                test.push((r, y))
            }
        }
    }
    let rows = |set: &[(usize, bool)]| {
        let idx: Vec<usize> = set.iter().map(|s| s.0).collect();
        (
            x.select(saas_segmentation::ndarray::Axis(0), &idx),
            set.iter().map(|s| s.1).collect::<Vec<bool>>(),
        )
    };
    let ((x_train, y_train), (x_test, y_test)) = (rows(&train), rows(&test));
    let model = LogisticModel::fit(x_train.view(), &y_train, None, &LogisticParams::new()).unwrap();
    assert!(model.converged());
    let raw = model.predict_proba(x_test.view()).unwrap();
    let auc = roc_auc(&y_test, &raw, None).unwrap();
    // Platt on the training scores, applied to the held-out ones.
    let platt = PlattCalibrator::fit(
        &model.decision_function(x_train.view()).unwrap(),
        &y_train,
        None,
    )
    .unwrap();
    let calibrated = platt
        .predict(&model.decision_function(x_test.view()).unwrap())
        .unwrap();
    let (b_raw, b_cal) = (
        brier_score(&y_test, &raw, None).unwrap(),
        brier_score(&y_test, &calibrated, None).unwrap(),
    );
    let base_rate = y_test.iter().filter(|y| **y).count() as f64 / y_test.len() as f64;
    eprintln!(
        "churn in 120 days: {} train, {} test, base rate {base_rate:.3}; held-out AUC {auc:.3}, Brier {b_raw:.4} raw, {b_cal:.4} after Platt (no-skill {:.4})",
        y_train.len(), y_test.len(), base_rate * (1.0 - base_rate)
    );
    assert!(auc > 0.65, "{auc}");
    assert!(b_cal < base_rate * (1.0 - base_rate));
    let table = calibration(&y_test, &calibrated, 5, BinStrategy::Quantile).unwrap();
    assert!(!table.is_empty());
    // Each prediction is explained: contributions and the intercept sum to its log-odds.
    let top = (0..raw.len())
        .max_by(|a, b| raw[*a].total_cmp(&raw[*b]))
        .unwrap();
    let row = x_test.row(top).to_vec();
    let parts = model.contributions(&row).unwrap();
    let logit = model
        .decision_function(x_test.slice(saas_segmentation::ndarray::s![top..top + 1, ..]))
        .unwrap()[0];
    assert!((parts.iter().sum::<f64>() + model.intercept() - logit).abs() < 1e-9);
    let mut named: Vec<(&String, f64)> = features.names().iter().zip(parts).collect();
    named.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!(
        "riskiest held-out account: p = {:.2}; top reasons {:?}",
        calibrated[top],
        &named[..3]
    );
    // Expansion within 120 days from the same signals (past expansion is not a leak).
    let expanded = labels_in_window(&ids, &outcomes.expansion, cut, 120).unwrap();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (r, _) in train.iter().chain(&test) {
        let id = features.customer(*r).unwrap();
        xs.push(*r);
        ys.push(*expanded.get(id).unwrap());
    }
    let xe = x.select(saas_segmentation::ndarray::Axis(0), &xs);
    let m = LogisticModel::fit(xe.view(), &ys, None, &LogisticParams::new()).unwrap();
    let auc_e = roc_auc(&ys, &m.predict_proba(xe.view()).unwrap(), None).unwrap();
    let rate = ys.iter().filter(|y| **y).count() as f64 / ys.len() as f64;
    eprintln!("expansion in 120 days: rate {rate:.3}, in-sample AUC {auc_e:.3}");
    assert!(auc_e > 0.6, "{auc_e}");
}
