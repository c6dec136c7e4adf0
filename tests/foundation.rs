//! Integration tests of the foundation through the public API: behaviour, merging, rules,
//! feature matrices, and the typed error for every kind of bad input.

mod common;
use common::cid;

use ndarray::array;
use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
use saas_segmentation::features::{Diagnostic, FeatureMatrix, MissingPolicy, Scaler, ScalerKind};
use saas_segmentation::ids::{CustomerLookup, DenseCustomers};
use saas_segmentation::model::{
    count_from_i64, Firmographic, Industry, SizeTier, SizeTierBounds, UsageTier,
    UsageTierThresholds, Value,
};
use saas_segmentation::profile::{
    ConflictPolicy, CustomerProfile, ProfileBuilder, ProfileSet, Source, SourceRecord,
};
use saas_segmentation::rules::{Condition, MatchMode, Rule, RuleSet};
use saas_segmentation::synthetic::{generate, SyntheticConfig};
use saas_segmentation::{CustomerIndex, Date, Error, Period, Segmentation};

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn with_mrr(mrr: f64) -> CustomerProfile {
    CustomerProfile {
        value: Value {
            mrr: Some(mrr),
            ..Value::default()
        },
        ..CustomerProfile::default()
    }
}

fn company(employees: u32, industry: Industry) -> CustomerProfile {
    CustomerProfile {
        firmographic: Firmographic {
            employees: Some(employees),
            industry: Some(industry),
            ..Firmographic::default()
        },
        ..CustomerProfile::default()
    }
}

// ---- dates --------------------------------------------------------------------------------

#[test]
fn date_errors_are_typed() {
    assert!(matches!(
        "2023-02-29".parse::<Date>(),
        Err(Error::InvalidDate { .. })
    ));
    assert!(matches!(
        "24-01-01".parse::<Date>(),
        Err(Error::InvalidDate { .. })
    ));
    assert!(matches!(
        Date::from_ymd(10_000, 1, 1),
        Err(Error::InvalidDate { .. })
    ));
    assert!(matches!(
        Date::MAX.add_months(1),
        Err(Error::DateOverflow { .. })
    ));
    assert!(matches!(
        Date::from_days(i64::MAX),
        Err(Error::DateOverflow { .. })
    ));
    assert!(Period::Month.start_of_index(i32::MAX).is_err());
}

#[test]
fn whole_periods_between_dates() {
    let (a, b) = (day("2023-12-31"), day("2024-01-01"));
    assert_eq!(Period::Day.periods_between(a, b), 1);
    assert_eq!(Period::IsoWeek.periods_between(a, b), 1); // Sunday to Monday
    assert_eq!(Period::Month.periods_between(a, b), 1);
    assert_eq!(Period::Quarter.periods_between(a, b), 1);
    assert_eq!(Period::Year.periods_between(a, b), 1);
    assert_eq!(Period::Month.periods_between(b, a), -1);
    assert_eq!(Period::Quarter.label(day("2024-05-17")), "2024-Q2");
    assert_eq!(Period::Month.start(day("2024-05-17")), day("2024-05-01"));
}

// ---- ids ----------------------------------------------------------------------------------

#[test]
fn unknown_customers_are_named() {
    let index = CustomerIndex::from_keys(["a".to_owned()]).unwrap();
    let err = index
        .require("zzz", || "transaction row 9".to_owned())
        .unwrap_err();
    assert_eq!(
        err,
        Error::UnknownCustomer {
            record: "transaction row 9".into(),
            customer: "\"zzz\"".into()
        }
    );
    assert!(err.to_string().contains("transaction row 9"));
    assert!(matches!(
        index.check(cid(5)),
        Err(Error::UnknownCustomerId { id: 5, len: 1 })
    ));
    assert_eq!(DenseCustomers::new(2).lookup(&cid(2)), None);
}

// ---- models -------------------------------------------------------------------------------

#[test]
fn size_tiers_are_half_open_and_configurable() {
    let bounds = SizeTierBounds::default();
    assert_eq!(bounds.tier(199).unwrap(), SizeTier::Smb);
    assert_eq!(bounds.tier(200).unwrap(), SizeTier::MidMarket);
    assert_eq!(bounds.tier(1_999).unwrap(), SizeTier::MidMarket);
    assert_eq!(bounds.tier(2_000).unwrap(), SizeTier::Enterprise);
    assert!(matches!(bounds.tier(0), Err(Error::OutOfRange { .. })));
    let custom = SizeTierBounds::new(100, 1_000).unwrap();
    assert_eq!(custom.tier(150).unwrap(), SizeTier::MidMarket);
    assert!(SizeTierBounds::new(500, 500).is_err());
    assert!(SizeTierBounds::new(1, 5).is_err());
}

#[test]
fn negative_counts_and_bad_rates_are_rejected() {
    assert!(matches!(
        count_from_i64(-1, "crm row 2", "employees"),
        Err(Error::OutOfRange { .. })
    ));
    assert!(UsageTierThresholds::new(1.0, 2.0).is_err());
    assert!(UsageTierThresholds::new(f64::NAN, 1.0).is_err());
    let tiers = UsageTierThresholds::default();
    assert_eq!(tiers.classify(0.0).unwrap(), UsageTier::Dormant);
    assert_eq!(tiers.classify(0.5).unwrap(), UsageTier::Occasional);
    assert_eq!(tiers.classify(1.0).unwrap(), UsageTier::Regular);
    assert_eq!(tiers.classify(5.0).unwrap(), UsageTier::Power);
    assert!(tiers.classify(-1.0).is_err());
}

// ---- profiles -----------------------------------------------------------------------------

#[test]
fn most_recent_observation_wins_whatever_the_order() {
    let old = SourceRecord::new("c", Source::Crm, day("2024-01-01"), with_mrr(100.0));
    let new = SourceRecord::new("c", Source::Billing, day("2024-03-01"), with_mrr(120.0));
    for records in [
        vec![old.clone(), new.clone()],
        vec![new.clone(), old.clone()],
    ] {
        let set = ProfileBuilder::new().records(records).build().unwrap();
        assert_eq!(set.profile("c").unwrap().value.mrr, Some(120.0));
        assert_eq!(set.conflicts().len(), 1);
        let conflict = &set.conflicts()[0];
        assert_eq!(conflict.kept.source, Source::Billing);
        assert_eq!(conflict.overruled.source, Source::Crm);
        assert_eq!(conflict.overruled.value, "100.0");
    }
}

#[test]
fn source_priority_overrides_dates() {
    let crm = SourceRecord::new("c", Source::Crm, day("2024-01-01"), with_mrr(100.0));
    let billing = SourceRecord::new("c", Source::Billing, day("2024-03-01"), with_mrr(120.0));
    let set = ProfileBuilder::new()
        .policy(ConflictPolicy::SourcePriority(vec![
            Source::Crm,
            Source::Billing,
        ]))
        .records([billing, crm])
        .build()
        .unwrap();
    assert_eq!(set.profile("c").unwrap().value.mrr, Some(100.0));
    assert_eq!(set.conflicts().len(), 1);
}

#[test]
fn agreeing_sources_are_not_conflicts_and_missing_stays_missing() {
    let a = SourceRecord::new(1u64, Source::Crm, day("2024-01-01"), with_mrr(50.0));
    let b = SourceRecord::new(1u64, Source::Billing, day("2024-02-01"), with_mrr(50.0));
    let c = SourceRecord::new(
        2u64,
        Source::Support,
        day("2024-02-01"),
        CustomerProfile::default(),
    );
    let set = ProfileBuilder::new().records([a, b, c]).build().unwrap();
    assert!(set.conflicts().is_empty());
    assert_eq!(set.len(), 2);
    assert_eq!(set.profile(&2).unwrap().value.mrr, None);
    assert_eq!(set.profile(&2).unwrap().firmographic.industry, None);
}

#[test]
fn lists_merge_as_sorted_unions() {
    let mut a = CustomerProfile::default();
    a.technographic.integrations = vec!["slack".into(), "hubspot".into()];
    let mut b = CustomerProfile::default();
    b.technographic.integrations = vec!["salesforce".into(), "slack".into()];
    let set = ProfileBuilder::new()
        .record(SourceRecord::new("x", Source::Crm, day("2024-01-01"), a))
        .record(SourceRecord::new(
            "x",
            Source::ProductAnalytics,
            day("2024-01-02"),
            b,
        ))
        .build()
        .unwrap();
    assert_eq!(
        set.profile("x").unwrap().technographic.integrations,
        ["hubspot", "salesforce", "slack"]
    );
}

#[test]
fn bad_profile_values_name_the_record() {
    let err = ProfileBuilder::new()
        .record(SourceRecord::new(
            "ok",
            Source::Crm,
            day("2024-01-01"),
            with_mrr(1.0),
        ))
        .record(SourceRecord::new(
            "bad",
            Source::Billing,
            day("2024-01-01"),
            with_mrr(f64::NAN),
        ))
        .build()
        .unwrap_err();
    match err {
        Error::NonFinite { record, field, .. } => {
            assert!(
                record.contains("source record 1") && record.contains("\"bad\""),
                "{record}"
            );
            assert_eq!(field, "mrr");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        ProfileBuilder::<String>::new().build(),
        Err(Error::EmptyInput { .. })
    ));
    let negative = ProfileBuilder::new()
        .record(SourceRecord::new(
            "n",
            Source::Billing,
            day("2024-01-01"),
            with_mrr(-5.0),
        ))
        .build();
    assert!(matches!(negative, Err(Error::OutOfRange { .. })));
    let zero_employees = ProfileBuilder::new()
        .record(SourceRecord::new(
            "z",
            Source::Crm,
            day("2024-01-01"),
            company(0, Industry::Retail),
        ))
        .build();
    assert!(matches!(zero_employees, Err(Error::OutOfRange { .. })));
    let duplicate = ProfileSet::from_profiles([("a", with_mrr(1.0)), ("a", with_mrr(2.0))]);
    assert!(matches!(duplicate, Err(Error::DuplicateName { .. })));
}

#[test]
fn inputs_are_not_mutated() {
    let records = vec![
        SourceRecord::new("c", Source::Crm, day("2024-01-01"), with_mrr(100.0)),
        SourceRecord::new("c", Source::Billing, day("2024-03-01"), with_mrr(120.0)),
    ];
    let copy = records.clone();
    let _ = ProfileBuilder::new()
        .records(records.iter().cloned())
        .build()
        .unwrap();
    assert_eq!(records, copy);
}

// ---- behaviour ----------------------------------------------------------------------------

#[test]
fn behaviour_counts_and_trend() {
    let index = CustomerIndex::from_keys(["a", "b"]).unwrap();
    let start = day("2024-01-01"); // a Monday
    let mut log = Vec::new();
    // Customer a: 5 active days in week 1, 3 in week 2, 1 in week 3, 0 in week 4.
    for d in [0, 1, 2, 3, 4, 7, 8, 9, 14] {
        log.push(Activity::new(
            "a",
            start.add_days(d).unwrap(),
            ActivityEvent::Login,
        ));
    }
    log.push(Activity::new("a", start, ActivityEvent::Feature("reports")));
    log.push(Activity::new("a", start, ActivityEvent::Feature("reports")));
    log.push(Activity::new("a", start, ActivityEvent::Feature("other")));
    log.push(Activity::new(
        "a",
        start,
        ActivityEvent::Workflow("onboard"),
    ));
    // Outside the window: ignored.
    log.push(Activity::new("b", day("2023-12-31"), ActivityEvent::Login));
    let config = BehaviourConfig::new(start, day("2024-01-28"))
        .unwrap()
        .core_features(vec!["reports", "alerts"])
        .key_workflows(vec!["onboard", "invite"]);
    let out = derive_behaviour(&index, &log, &config).unwrap();
    let a = out.get(cid(0)).unwrap();
    assert_eq!(a.active_days(), 9);
    assert_eq!(a.logins(), 9);
    assert_eq!(a.logins_per_week(), 9.0 / 4.0);
    assert_eq!(a.features_used(), 2);
    assert_eq!(a.core_feature_adoption(), 0.5);
    assert_eq!(a.key_workflow_completion(), 0.5);
    assert_eq!(a.usage_tier(), UsageTier::Regular);
    // Weekly active days 5, 3, 1, 0: slope = -1.7 (least squares).
    assert!((a.activity_trend().unwrap() + 1.7).abs() < 1e-12);
    let b = out.get(cid(1)).unwrap();
    assert_eq!(b.active_days(), 0);
    assert_eq!(b.usage_tier(), UsageTier::Dormant);

    let mut reversed = log.clone();
    reversed.reverse();
    assert_eq!(derive_behaviour(&index, &reversed, &config).unwrap(), out);
}

#[test]
fn behaviour_rejects_unknown_customers_and_bad_windows() {
    let index = CustomerIndex::from_keys(["a"]).unwrap();
    let log = vec![Activity::new(
        "ghost",
        day("2024-01-02"),
        ActivityEvent::<&str>::Login,
    )];
    let config = BehaviourConfig::new(day("2024-01-01"), day("2024-01-31")).unwrap();
    let err = derive_behaviour(&index, &log, &config).unwrap_err();
    assert!(matches!(err, Error::UnknownCustomer { ref record, .. } if record == "activity row 0"));
    assert!(BehaviourConfig::<&str>::new(day("2024-02-01"), day("2024-01-01")).is_err());
    let empty: CustomerIndex<&str> = CustomerIndex::new();
    assert!(matches!(
        derive_behaviour(&empty, &log, &config),
        Err(Error::EmptyInput { .. })
    ));
    let dense = vec![Activity::new(
        cid(4),
        day("2024-01-02"),
        ActivityEvent::<&str>::Login,
    )];
    assert!(derive_behaviour(&DenseCustomers::new(2), &dense, &config).is_err());
}

// ---- feature matrix -----------------------------------------------------------------------

#[test]
fn missing_values_error_or_impute() {
    let rows = [Some(1.0), None, Some(3.0), Some(10.0)];
    let err = FeatureMatrix::builder()
        .column("x", |r: &Option<f64>| *r)
        .build(&rows)
        .unwrap_err();
    assert_eq!(
        err,
        Error::MissingValue {
            record: "row 1".into(),
            column: "x".into()
        }
    );

    let mean = FeatureMatrix::builder()
        .column("x", |r: &Option<f64>| *r)
        .missing(MissingPolicy::ImputeMean)
        .build(&rows)
        .unwrap();
    assert!((mean.view()[[1, 0]] - 14.0 / 3.0).abs() < 1e-12);
    assert_eq!(mean.imputed()[0].count, 1);
    let median = FeatureMatrix::builder()
        .column("x", |r: &Option<f64>| *r)
        .missing(MissingPolicy::ImputeMedian)
        .build(&rows)
        .unwrap();
    assert_eq!(median.view()[[1, 0]], 3.0);
    let all_missing = FeatureMatrix::builder()
        .column("x", |_: &Option<f64>| None::<f64>)
        .missing(MissingPolicy::ImputeMean)
        .build(&rows);
    assert!(matches!(all_missing, Err(Error::Undefined { .. })));
}

#[test]
fn feature_errors_are_typed() {
    let rows = [1.0, f64::INFINITY];
    let err = FeatureMatrix::builder()
        .column("x", |r: &f64| *r)
        .build(&rows)
        .unwrap_err();
    assert!(matches!(err, Error::NonFinite { ref record, .. } if record == "row 1"));
    let err = FeatureMatrix::builder()
        .log1p("mrr", |r: &f64| -r)
        .build(&[1.0])
        .unwrap_err();
    assert!(matches!(err, Error::OutOfRange { .. }));
    let err = FeatureMatrix::builder()
        .column("x", |r: &f64| *r)
        .column("x", |r: &f64| *r)
        .build(&[1.0])
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateName { .. }));
    assert!(matches!(
        FeatureMatrix::builder()
            .column("x", |r: &f64| *r)
            .build(&[]),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        FeatureMatrix::builder::<f64>().build(&[1.0]),
        Err(Error::EmptyInput { .. })
    ));
    let err = FeatureMatrix::builder()
        .categorical_with("tier", &["a", "b"], |r: &&str| Some(*r))
        .build(&["a", "c"])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }));
}

#[test]
fn scalers_reject_wrong_width_and_non_finite() {
    let data = array![[1.0, 2.0], [3.0, 5.0]];
    let scaler = Scaler::fit(ScalerKind::MinMax, data.view()).unwrap();
    let err = scaler
        .transform(array![[1.0, 2.0, 3.0]].view())
        .unwrap_err();
    assert_eq!(
        err,
        Error::ShapeMismatch {
            what: "matrix given to the scaler",
            expected: 2,
            found: 3
        }
    );
    assert!(matches!(
        scaler.transform(array![[f64::NAN, 1.0]].view()),
        Err(Error::NonFiniteCell { row: 0, column: 0 })
    ));
    assert!(Scaler::fit(
        ScalerKind::Robust,
        ndarray::Array2::<f64>::zeros((0, 2)).view()
    )
    .is_err());
}

#[test]
fn categorical_columns_and_diagnostics() {
    let rows = [(1.0, "b"), (1_000.0, "a"), (5_000.0, "b")];
    let m = FeatureMatrix::builder()
        .column("big", |r: &(f64, &str)| r.0)
        .column("flag", |r: &(f64, &str)| r.1 == "a")
        .categorical("letter", |r: &(f64, &str)| Some(r.1))
        .build(&rows)
        .unwrap();
    assert_eq!(m.names(), ["big", "flag", "letter=a", "letter=b"]);
    assert_eq!(m.column("letter=b").unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
    assert!(m
        .diagnostics()
        .iter()
        .any(|d| matches!(d, Diagnostic::ScaleSpread { scaled: false, .. })));
    let constant = FeatureMatrix::builder()
        .column("c", |_: &(f64, &str)| 2.0)
        .build(&rows)
        .unwrap();
    assert_eq!(
        constant.diagnostics(),
        [Diagnostic::Constant { column: "c".into() }]
    );
}

// ---- segmentation and rules ---------------------------------------------------------------

#[test]
fn segmentation_validates_labels() {
    let none = CustomerIndex::<u32>::new();
    assert!(matches!(
        Segmentation::from_labels(&none, &[]),
        Err(Error::EmptyInput { .. })
    ));
    let three = CustomerIndex::from_keys([7u32, 8, 9]).unwrap();
    let seg = Segmentation::from_labels(&three, &[0, 2, 2]).unwrap();
    assert_eq!(seg.sizes(), vec![1, 0, 2]);
    assert_eq!(seg.complete_labels(), Some(vec![0, 2, 2]));
    assert_eq!(seg.segment_of(cid(9)), None);
    let one = CustomerIndex::from_keys([7u32]).unwrap();
    let bad = Segmentation::new(&one, vec![Some(3)], seg.segments().to_vec());
    assert!(matches!(bad, Err(Error::OutOfRange { .. })));
    // One label per customer of the set, and labels sized by the data.
    let short = Segmentation::new(&three, vec![Some(0)], seg.segments().to_vec());
    assert!(matches!(short, Err(Error::LengthMismatch { .. })));
    let huge = Segmentation::from_labels(&three, &[0, 1, 1_000_000_000_000]);
    assert!(matches!(huge, Err(Error::OutOfRange { .. })));
}

#[test]
fn rules_report_overlaps_unmatched_and_undetermined() {
    let mut unknown_size = CustomerProfile::default();
    unknown_size.firmographic.industry = Some(Industry::Retail);
    let profiles = vec![
        company(50, Industry::Retail),
        company(5_000, Industry::Retail),
        company(500, Industry::Software),
        unknown_size,
    ];
    let rules = vec![
        Rule::new("retail", Condition::Industry(vec![Industry::Retail])),
        Rule::new(
            "enterprise",
            Condition::SizeTier(vec![SizeTier::Enterprise]),
        ),
        Rule::new(
            "nobody",
            Condition::Mrr {
                min: Some(1e9),
                max: None,
            },
        ),
    ];
    let customers = DenseCustomers::new(profiles.len());
    let first = RuleSet::new(rules.clone())
        .unwrap()
        .apply_over(&customers, &profiles)
        .unwrap();
    assert_eq!(
        first.segmentation().labels(),
        &[Some(0), Some(0), None, Some(0)]
    );
    assert_eq!(first.report().overlaps().len(), 1);
    assert!(first.report().unmatched().is_empty());
    assert_eq!(first.report().undetermined(), &[cid(2)]);
    assert_eq!(first.report().unused_rules(), vec![2]);

    let exclusive = RuleSet::new(rules)
        .unwrap()
        .mode(MatchMode::Exclusive)
        .apply_over(&customers, &profiles)
        .unwrap();
    assert_eq!(
        exclusive.segmentation().labels(),
        &[Some(0), None, None, Some(0)]
    );
}

#[test]
fn three_valued_logic() {
    let bounds = SizeTierBounds::default();
    let blank = CustomerProfile::default();
    let retail = Condition::Industry(vec![Industry::Retail]);
    assert_eq!(retail.evaluate(&blank, &bounds).unwrap(), None);
    assert_eq!(
        Condition::not(retail.clone())
            .evaluate(&blank, &bounds)
            .unwrap(),
        None
    );
    let never = Condition::Champion(true);
    let mut profile = CustomerProfile::default();
    profile.persona.champion = Some(false);
    assert_eq!(
        Condition::all([retail.clone(), never.clone()])
            .evaluate(&profile, &bounds)
            .unwrap(),
        Some(false)
    );
    assert_eq!(
        Condition::any([retail, never])
            .evaluate(&profile, &bounds)
            .unwrap(),
        None
    );
    assert_eq!(
        Condition::all([]).evaluate(&blank, &bounds).unwrap(),
        Some(true)
    );
    assert_eq!(
        Condition::any([]).evaluate(&blank, &bounds).unwrap(),
        Some(false)
    );
}

#[test]
fn rule_sets_are_validated() {
    assert!(matches!(
        RuleSet::new(vec![]),
        Err(Error::EmptyInput { .. })
    ));
    let twice = vec![
        Rule::new("a", Condition::Champion(true)),
        Rule::new("a", Condition::Champion(false)),
    ];
    assert!(matches!(
        RuleSet::new(twice),
        Err(Error::DuplicateName { .. })
    ));
    let inverted = vec![Rule::new(
        "r",
        Condition::Mrr {
            min: Some(10.0),
            max: Some(5.0),
        },
    )];
    assert!(matches!(
        RuleSet::new(inverted),
        Err(Error::InvalidParameter { .. })
    ));
    let nan = vec![Rule::new(
        "r",
        Condition::LoginsPerWeek {
            min: Some(f64::NAN),
            max: None,
        },
    )];
    assert!(RuleSet::new(nan).is_err());
    let rules = RuleSet::new(vec![Rule::new(
        "e",
        Condition::SizeTier(vec![SizeTier::Smb]),
    )])
    .unwrap();
    assert!(matches!(
        rules.apply_over(&DenseCustomers::new(0), &[]),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        rules.apply_over(&DenseCustomers::new(1), &[company(0, Industry::Retail)]),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        rules.apply_over(&DenseCustomers::new(2), &[company(10, Industry::Retail)]),
        Err(Error::LengthMismatch { .. })
    ));
}

// ---- synthetic ----------------------------------------------------------------------------

#[test]
fn synthetic_base_is_seeded_and_complete() {
    let config = SyntheticConfig::new(3_000).seed(11);
    let a = generate(&config).unwrap();
    let b = generate(&config).unwrap();
    assert_eq!(a.truth(), b.truth());
    assert_eq!(a.transactions(), b.transactions());
    assert_eq!(a.mrr(), b.mrr());
    assert_ne!(
        generate(&config.clone().seed(12)).unwrap().truth(),
        a.truth()
    );

    let sizes = (0..5)
        .map(|s| a.truth().iter().filter(|&&t| t == s).count())
        .collect::<Vec<_>>();
    assert!(sizes.iter().all(|&n| n > 200), "{sizes:?}");
    assert!(a.transactions().iter().any(|t| t.amount < 0.0));
    assert!(a.transactions().iter().all(|t| t.date < a.analysis_date()));
    assert!(a.mrr().iter().all(|r| r.mrr > 0.0 && r.month.day() == 1));
    assert!(a.activity().iter().all(|e| e.date < a.analysis_date()));
    assert!(!a.leads().is_empty() && !a.opportunities().is_empty());
    let tiers: Vec<_> = a
        .profiles()
        .iter()
        .map(|p| {
            p.firmographic
                .size_tier(&SizeTierBounds::default())
                .unwrap()
                .unwrap()
        })
        .collect();
    for tier in SizeTier::ALL {
        assert!(tiers.contains(tier));
    }
    // Churned and reactivated customers both exist: some customers have a gap in their MRR.
    let mut gaps = 0;
    for w in a.mrr().windows(2) {
        if w[0].customer == w[1].customer
            && Period::Month.periods_between(w[0].month, w[1].month) > 1
        {
            gaps += 1;
        }
    }
    assert!(gaps > 0);
    let merged = ProfileBuilder::new()
        .records(a.source_records())
        .build()
        .unwrap();
    assert!(!merged.conflicts().is_empty());
}

#[test]
fn synthetic_values_are_pinned() {
    // Value stability across platforms and releases: a change here changes every seeded result.
    let base = generate(&SyntheticConfig::new(50).seed(9)).unwrap();
    assert_eq!(base.truth()[..10], [0, 0, 1, 4, 3, 3, 1, 3, 1, 0]);
    let t = &base.transactions()[3];
    assert_eq!(
        (t.customer, t.date.days(), t.amount),
        (cid(0), 20_132, 99.0)
    );
    assert_eq!((base.activity().len(), base.mrr().len()), (2_639, 527));
    assert_eq!((base.tickets().len(), base.touches().len()), (89, 498));
}

#[test]
fn synthetic_config_is_validated() {
    assert!(generate(&SyntheticConfig::new(0)).is_err());
    assert!(generate(&SyntheticConfig::new(10).months(0)).is_err());
    assert!(generate(&SyntheticConfig::new(10).refund_rate(1.5)).is_err());
    assert!(generate(&SyntheticConfig::new(10).activity_scale(f64::NAN)).is_err());
    assert!(generate(&SyntheticConfig::new(10).leads_per_customer(0.5)).is_err());
    assert!(generate(&SyntheticConfig::new(10).start(Date::MAX)).is_err());
}
