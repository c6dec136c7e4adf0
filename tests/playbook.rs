//! Goals with progress per segment, playbooks with per-tier defaults and their checks.

use saas_segmentation::economics::SegmentKpis;
use saas_segmentation::playbook::{Direction, Goal, Kpi, Play, Playbook, Team};
use saas_segmentation::validate::{validate_segmentation, Criteria, ValidationInput};
use saas_segmentation::{CustomerIndex, Date, PerCustomer, Segmentation};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn kpis(segment: &str, monthly_churn: Option<f64>) -> SegmentKpis {
    SegmentKpis {
        segment: segment.to_owned(),
        customers: 100,
        conversion: None,
        new_customers: None,
        win_rate: None,
        sales_cycle_days: None,
        cac: None,
        retention: None,
        logo_churn: None,
        monthly_churn,
        arpa: None,
        ltv: None,
        ltv_to_cac: None,
        support_load: None,
    }
}

#[test]
fn goals_track_progress_against_a_straight_path() {
    let goal = Goal::new(
        "cut SMB churn",
        Kpi::MonthlyChurn,
        0.12,
        0.09,
        d("2026-01-01"),
        d("2026-07-01"),
    )
    .unwrap()
    .segments(["smb", "mid_market"]);
    assert_eq!(goal.direction(), Direction::Down);
    // Half way through, the path is at 0.105.
    let half = d("2026-04-01");
    let ahead = goal.progress("smb", 0.10, half).unwrap();
    assert!(ahead.on_track && ahead.gap > 0.0, "{ahead:?}");
    let behind = goal.progress("smb", 0.115, half).unwrap();
    assert!(
        !behind.on_track && behind.summary.contains("off track"),
        "{behind:?}"
    );
    let done = goal.progress("smb", 0.085, d("2026-08-01")).unwrap();
    assert!(done.achieved > 1.0 && done.summary.contains("target reached"));
    assert!(goal.progress("enterprise", 0.1, half).is_err());
    let review = goal
        .review(
            &[
                kpis("smb", Some(0.118)),
                kpis("mid_market", None),
                kpis("enterprise", Some(0.01)),
            ],
            half,
        )
        .unwrap();
    assert_eq!(review.progress.len(), 1);
    assert_eq!(review.unmeasured, vec!["mid_market".to_owned()]);
    assert_eq!(review.off_track().len(), 1);
}

#[test]
fn impossible_goals_are_refused_with_the_fix() {
    let e = Goal::new("x", Kpi::Nrr, 1.0, 1.1, d("2026-06-01"), d("2026-01-01")).unwrap_err();
    assert!(e.to_string().contains("not after the baseline date"), "{e}");
    let e = Goal::new("x", Kpi::Nrr, 1.1, 1.1, d("2026-01-01"), d("2026-06-01")).unwrap_err();
    assert!(e.to_string().contains("already met"), "{e}");
    assert!(Goal::new(
        "x",
        Kpi::Nrr,
        f64::NAN,
        1.1,
        d("2026-01-01"),
        d("2026-06-01")
    )
    .is_err());
}

#[test]
fn playbooks_check_every_segment_and_feed_the_actionable_verdict() {
    let index = CustomerIndex::from_keys((0..90).map(|i| format!("c{i:02}"))).unwrap();
    let tiers = PerCustomer::from_fn(&index, |id| {
        Some(["smb", "mid_market", "enterprise"][id.get() as usize % 3].to_owned())
    });
    let segmentation = Segmentation::from_categories("tier", &tiers).unwrap();
    let defaults = Playbook::tier_defaults();
    let check = defaults.check(&segmentation);
    assert!(check.complete(), "{check:?}");
    let enterprise = defaults.play("enterprise").unwrap();
    assert!(enterprise.channels.iter().any(|c| c == "field_sales"));
    assert_eq!(enterprise.owner, Some(Team::Sales));
    // A hand-made play missing parts, and a stale one.
    let edited = defaults
        .clone()
        .with(
            "smb",
            Play {
                goal: "grow".into(),
                ..Play::default()
            },
        )
        .with("startups", Play::default());
    let check = edited.check(&segmentation);
    assert!(!check.complete());
    assert_eq!(check.incomplete[0].0, "smb");
    assert!(check.incomplete[0].1.contains(&"owner".to_owned()));
    assert_eq!(check.unused, vec!["startups".to_owned()]);
    // The validation report reads the playbook for "actionable".
    let strategies = defaults.strategies();
    let input = ValidationInput {
        strategies: Some(&strategies),
        ..ValidationInput::default()
    };
    let report = validate_segmentation(&segmentation, &input, &Criteria::default()).unwrap();
    assert!(
        report.segments.iter().all(|s| s.actionable.passed()),
        "{report:?}"
    );
}

#[test]
fn focus_flags_the_best_verticals_with_reasons_and_skips_thin_ones() {
    use saas_segmentation::focus::{rank_focus, FocusParams};
    let row = |name: &str, customers: u64, ltv: f64, churn: f64| SegmentKpis {
        customers,
        ltv: Some(ltv),
        monthly_churn: Some(churn),
        cac: Some(900.0),
        arpa: Some(ltv * churn),
        ..kpis(name, Some(churn))
    };
    let table = [
        row("tiny", 5, 50_000.0, 0.001),
        row("fintech", 80, 12_000.0, 0.01),
        row("retail", 90, 3_000.0, 0.04),
        row("health", 70, 9_000.0, 0.015),
        row("media", 60, 2_000.0, 0.05),
        row("devtools", 75, 8_000.0, 0.012),
    ];
    let ranking = rank_focus(&table, &FocusParams::default()).unwrap();
    // Mean ranks over LTV, logo retention and CAC payback: fintech 2, health 2.67, tiny 2.67
    // (too few customers), devtools 4 (not in the better half).
    assert_eq!(ranking.focus(), vec!["fintech", "health"]);
    let tiny = ranking.rows.iter().find(|r| r.key == "tiny").unwrap();
    assert!(
        !tiny.focus && tiny.reason.contains("too few"),
        "{}",
        tiny.reason
    );
    assert!(
        ranking.rows[1].reason.starts_with("focus"),
        "{:?}",
        ranking.rows[1]
    );
    assert!(rank_focus(&[], &FocusParams::default()).is_err());
}

#[test]
fn strategic_accounts_override_their_segment() {
    use saas_segmentation::focus::{with_strategic_accounts, StrategicReason};
    let index = CustomerIndex::from_keys(["a", "b", "c", "d"]).unwrap();
    let seg = Segmentation::from_labels(&index, &[0, 0, 1, 1]).unwrap();
    let strategic = PerCustomer::from_keyed(
        &index,
        [
            ("b", StrategicReason::Reference),
            ("d", StrategicReason::CaseStudy),
        ],
    )
    .unwrap();
    let out = with_strategic_accounts(&seg, &strategic).unwrap();
    assert_eq!(out.sizes(), vec![1, 1, 2]);
    assert_eq!(out.segment_of_key(&index, "d").unwrap(), Some(2));
    assert_eq!(out.segments()[2].name(), "strategic accounts");
    let other = CustomerIndex::from_keys(["x"]).unwrap();
    let foreign = PerCustomer::from_keyed(&other, [("x", StrategicReason::Partnership)]).unwrap();
    assert!(with_strategic_accounts(&seg, &foreign).is_err());
}

#[test]
fn the_data_audit_finds_sources_coverage_conflicts_and_consent() {
    use saas_segmentation::audit::{audit_variables, AuditParams, Consent, Purpose, SourceColumn};
    use saas_segmentation::validate::Variable;
    let index = CustomerIndex::from_keys((0..10).map(|i| format!("c{i}"))).unwrap();
    let seg = Segmentation::from_labels(&index, &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1]).unwrap();
    let crm = PerCustomer::from_fn(&index, |id| {
        (id.get() < 8).then(|| 100.0 * f64::from(id.get()))
    });
    let billing = PerCustomer::from_fn(&index, |id| {
        (id.get() % 2 == 0)
            .then(|| 100.0 * f64::from(id.get()) + if id.get() == 4 { 5.0 } else { 0.0 })
    });
    let audit = audit_variables(
        &seg,
        &[
            SourceColumn::new("crm", Variable::numeric("mrr", crm)),
            SourceColumn::new("billing", Variable::numeric("mrr", billing)),
        ],
        &AuditParams::default(),
    )
    .unwrap();
    let mrr = &audit.variables[0];
    assert_eq!(
        mrr.sources,
        vec![("crm".to_owned(), 0.8), ("billing".to_owned(), 0.5)]
    );
    assert_eq!(mrr.coverage_by_segment[0].1, 1.0);
    assert_eq!(mrr.coverage_by_segment[1].1, 0.8); // c5, c6, c7 from the CRM, c8 from billing
    assert_eq!(mrr.conflicts, 1); // c4: 400 vs 405
    assert_eq!(audit.gaps.len(), 2, "{:?}", audit.gaps);
    let consent = Consent::new(&index, |id| {
        Some(if id.get() < 3 {
            vec![Purpose::Analytics]
        } else {
            vec![Purpose::Analytics, Purpose::Sales]
        })
    });
    let (sales, left_out) = consent
        .restrict_segmentation(&seg, &Purpose::Sales)
        .unwrap();
    assert_eq!(left_out, 3);
    assert_eq!(sales.sizes(), vec![2, 5]);
    let revenue = PerCustomer::from_fn(&index, |_| Some(1.0));
    let (kept, dropped) = consent.restrict(&revenue, &Purpose::Sales).unwrap();
    assert_eq!((dropped, kept.values().iter().flatten().count()), (3, 7));
}

#[test]
fn buying_committees_feed_rules_and_columns() {
    use saas_segmentation::committee::{committees, Contact, Influence, Priority};
    use saas_segmentation::model::{BuyerRole, DecisionMaker, Seniority};
    use saas_segmentation::profile::{CustomerProfile, ProfileSet};
    use saas_segmentation::rules::{Condition, Rule, RuleSet};

    let mut profiles = ProfileSet::from_profiles(
        ["acme", "globex", "initech"].map(|k| (k.to_owned(), CustomerProfile::default())),
    )
    .unwrap();
    let index = profiles.index().clone();
    let contacts = [
        Contact::new("acme".to_owned())
            .decision_maker(DecisionMaker::HeadOfSales)
            .seniority(Seniority::Director),
        Contact::new("acme".to_owned())
            .decision_maker(DecisionMaker::Cfo)
            .buyer(BuyerRole::EconomicBuyer)
            .seniority(Seniority::CLevel)
            .engaged(true),
        Contact::new("acme".to_owned())
            .buyer(BuyerRole::User)
            .champion(true),
        Contact::new("globex".to_owned())
            .decision_maker(DecisionMaker::Cto)
            .influence(Influence::Security),
    ];
    let by_account = committees(&index, &contacts).unwrap();
    let acme = by_account.of_key(&index, "acme").unwrap().unwrap();
    assert_eq!(acme.contacts, 3);
    assert_eq!(acme.decision_maker, Some(DecisionMaker::Cfo));
    assert_eq!(acme.priority, Some(Priority::CostAndRoi));
    assert_eq!(acme.persona_mix, [1, 0, 0, 1]);
    assert!((acme.engaged_share - 1.0 / 3.0).abs() < 1e-12);
    let globex = by_account.of_key(&index, "globex").unwrap().unwrap();
    assert_eq!(globex.priority, Some(Priority::ArchitectureAndSecurity));
    assert_eq!(globex.influence_mix, [0, 0, 0, 1]);
    assert!(by_account.of_key(&index, "initech").unwrap().is_none());
    // Into the profiles, then a rule on champions.
    for (profile, committee) in profiles.profiles_mut().iter_mut().zip(by_account.values()) {
        if let Some(c) = committee {
            c.apply_to(&mut profile.persona);
        }
    }
    let rules = RuleSet::new(vec![Rule::new("championed", Condition::Champion(true))]).unwrap();
    let seg = rules.apply(&profiles).unwrap().into_segmentation();
    assert_eq!(seg.segment_of_key(&index, "acme").unwrap(), Some(0));
    assert_eq!(seg.segment_of_key(&index, "globex").unwrap(), None);
    // An unknown account is named.
    let stray = [Contact::new("hooli".to_owned())];
    assert!(committees(&index, &stray)
        .unwrap_err()
        .to_string()
        .contains("hooli"));
}
