//! Usage from any event kind, daily counts and durations.

use saas_segmentation::activity::{
    derive_behaviour, Activity, ActivityEvent, BehaviourConfig, UsageBasis,
};
use saas_segmentation::model::UsageTier;
use saas_segmentation::{CustomerIndex, Date, Error};

fn day(d: u32) -> Date {
    Date::from_ymd(2024, 3, d).unwrap()
}

fn log() -> Vec<Activity<&'static str>> {
    vec![
        Activity::new("a", day(1), ActivityEvent::Login).with_count(5),
        Activity::new("a", day(2), ActivityEvent::Feature("reports".to_owned()))
            .with_count(3)
            .with_duration(12.5),
        Activity::new("a", day(9), ActivityEvent::Feature("alerts".to_owned())).with_duration(0.25),
        Activity::new("b", day(3), ActivityEvent::Feature("reports".to_owned())).with_count(40),
        Activity::new("b", day(4), ActivityEvent::Workflow("export".to_owned())).with_count(2),
        Activity::new("b", day(5), ActivityEvent::Login).with_count(0),
    ]
}

#[test]
fn counts_and_durations_add_up() {
    let index = CustomerIndex::from_keys(["a", "b", "c"]).unwrap();
    let config = BehaviourConfig::new(day(1), day(28)).unwrap();
    let summaries = derive_behaviour(&index, &log(), &config).unwrap();
    let a = summaries.of_key(&index, "a").unwrap().unwrap();
    assert_eq!((a.logins(), a.events(), a.active_days()), (5, 9, 3));
    assert_eq!(a.usage_minutes(), Some(12.75));
    assert_eq!(a.uses(), 5);
    let b = summaries.of_key(&index, "b").unwrap().unwrap();
    // The count-0 login is no activity at all.
    assert_eq!((b.logins(), b.events(), b.active_days()), (0, 42, 2));
    assert_eq!(b.usage_minutes(), Some(0.0));
    assert_eq!(b.usage_tier(), UsageTier::Dormant);
    // Logins alone made a feature-only customer dormant; counting every event does not.
    let all =
        derive_behaviour(&index, &log(), &config.clone().usage(UsageBasis::AllEvents)).unwrap();
    let b = all.of_key(&index, "b").unwrap().unwrap();
    assert_eq!(b.uses(), 42);
    assert!((b.uses_per_week() - 10.5).abs() < 1e-12);
    assert_ne!(b.usage_tier(), UsageTier::Dormant);
    // Only the events the caller marks.
    let marked = config.usage(UsageBasis::Events(vec![ActivityEvent::Feature(
        "reports".to_owned(),
    )]));
    let only_reports = derive_behaviour(&index, &log(), &marked).unwrap();
    assert_eq!(only_reports.of_key(&index, "a").unwrap().unwrap().uses(), 3);
    assert_eq!(
        only_reports.of_key(&index, "b").unwrap().unwrap().uses(),
        40
    );
    assert_eq!(only_reports.of_key(&index, "c").unwrap().unwrap().uses(), 0);
}

#[test]
fn input_order_does_not_change_the_sums() {
    let index = CustomerIndex::from_keys(["a", "b", "c"]).unwrap();
    let config = BehaviourConfig::new(day(1), day(28)).unwrap();
    let mut rows = log();
    for d in 0..50 {
        rows.push(
            Activity::new("c", day(1 + d % 20), ActivityEvent::Login)
                .with_duration(0.1 * f64::from(d) + 1e-7),
        );
    }
    let once = derive_behaviour(&index, &rows, &config).unwrap();
    rows.reverse();
    rows.swap(3, 40);
    let again = derive_behaviour(&index, &rows, &config).unwrap();
    assert_eq!(once, again);
}

#[test]
fn bad_durations_are_named() {
    let index = CustomerIndex::from_keys(["a"]).unwrap();
    let config = BehaviourConfig::new(day(1), day(28)).unwrap();
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let rows = vec![
            Activity::new("a", day(1), ActivityEvent::<String>::Login),
            Activity::new("a", day(2), ActivityEvent::Login).with_duration(bad),
        ];
        let error = derive_behaviour(&index, &rows, &config).unwrap_err();
        assert!(matches!(error, Error::OutOfRange { .. }), "{error}");
        assert!(error.to_string().contains("activity row 1"), "{error}");
    }
    let huge = vec![
        Activity::new("a", day(1), ActivityEvent::<String>::Login).with_duration(f64::MAX),
        Activity::new("a", day(2), ActivityEvent::Login).with_duration(f64::MAX),
    ];
    assert!(matches!(
        derive_behaviour(&index, &huge, &config),
        Err(Error::Undefined { .. })
    ));
}

mod adversarial {
    use super::*;
    use proptest::prelude::*;
    use saas_segmentation::activity::UserAccounts;
    use saas_segmentation::model::{Industry, UnknownLabels, Vocabulary};
    use saas_segmentation::records::BadRows;

    fn minutes() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            Just(Some(f64::NAN)),
            Just(Some(-0.0)),
            Just(Some(f64::MAX)),
            Just(Some(1e308)),
            (0.0f64..1e4).prop_map(Some)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Counts, durations and usage bases on hostile rows: an error or finite summaries.
        #[test]
        fn behaviour_with_counts_never_panics(
            rows in proptest::collection::vec((0u8..4, 0i64..60, 0u8..4, prop_oneof![Just(0u32), Just(u32::MAX), 0u32..50], minutes()), 0..40),
            basis in 0u8..3,
        ) {
            let index = CustomerIndex::from_keys([0u8, 1, 2]).unwrap();
            let log: Vec<Activity<u8>> = rows.iter().map(|&(c, d, e, n, m)| {
                let event = match e { 0 => ActivityEvent::Login, 1 => ActivityEvent::Feature("f".to_owned()), 2 => ActivityEvent::Workflow("w".to_owned()), _ => ActivityEvent::Feature("g".to_owned()) };
                let mut a = Activity::new(c, Date::from_ymd(2024, 1, 1).unwrap().add_days(d).unwrap(), event).with_count(n);
                a.duration_minutes = m;
                a
            }).collect();
            let usage = match basis { 0 => UsageBasis::Logins, 1 => UsageBasis::AllEvents, _ => UsageBasis::Events(vec![ActivityEvent::Feature("f".to_owned())]) };
            let config = BehaviourConfig::new(Date::from_ymd(2024, 1, 10).unwrap(), Date::from_ymd(2024, 2, 10).unwrap()).unwrap().usage(usage);
            let outcome = std::panic::catch_unwind(|| derive_behaviour(&index, &log, &config));
            prop_assert!(outcome.is_ok());
            if let Ok(Ok(summaries)) = outcome {
                for (_, s) in summaries.iter() {
                    let s = s.unwrap();
                    prop_assert!(s.uses_per_week().is_finite() && s.uses_per_week() >= 0.0);
                    prop_assert!(s.usage_minutes().is_none_or(|m| m.is_finite() && m >= 0.0));
                    prop_assert!(s.uses() <= s.events());
                }
            }
            let members = UserAccounts::new(rows.iter().map(|r| (r.0, r.0 % 2))).unwrap();
            let rolled = members.roll_up(&log, BadRows::Drop).unwrap();
            prop_assert_eq!(rolled.0.len() + rolled.1.unknown_users, log.len());
        }

        #[test]
        fn vocabulary_reads_any_text(label in "\\PC{0,20}", closed in any::<bool>()) {
            let policy = if closed { UnknownLabels::Reject } else { UnknownLabels::Keep };
            let v = Vocabulary::<Industry>::new().alias(&label, Industry::Media).unknown(policy);
            let outcome = std::panic::catch_unwind(|| v.read(&label));
            prop_assert!(outcome.is_ok());
            if let Ok(Ok(c)) = outcome {
                prop_assert_eq!(c.label, label.clone());
                prop_assert!(c.value.is_some() || !closed);
            }
        }
    }
}
