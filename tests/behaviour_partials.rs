//! Per-customer partial behaviour states (what a query engine's group-by keeps): any partition
//! of the rows, merged in any order and loaded from their serialized form, builds the summaries
//! one pass builds.

use proptest::prelude::*;
use saas_segmentation::activity::{
    behaviour_from_partials, derive_behaviour, Activity, ActivityEvent, BehaviourConfig,
    BehaviourPartial, UsageBasis,
};
use saas_segmentation::{CustomerIndex, Date};

fn event(kind: u8, name: u8) -> ActivityEvent<String> {
    match kind % 3 {
        0 => ActivityEvent::Login,
        1 => ActivityEvent::Feature(format!("f{}", name % 4)),
        _ => ActivityEvent::Workflow(format!("w{}", name % 3)),
    }
}

fn config(variant: u8) -> BehaviourConfig<String> {
    let start = Date::from_ymd(2024, 3, 1).unwrap();
    let end = Date::from_ymd(2024, 4, 14).unwrap();
    let c = BehaviourConfig::new(start, end)
        .unwrap()
        .core_features(vec!["f0".into(), "f1".into(), "f0".into()])
        .key_workflows(vec!["w1".into()]);
    match variant % 3 {
        0 => c,
        1 => c.usage(UsageBasis::AllEvents),
        _ => c.usage(UsageBasis::Events(vec![
            ActivityEvent::Feature("f2".into()),
            ActivityEvent::Login,
        ])),
    }
}

#[cfg(feature = "serde")]
fn through_json(state: BehaviourPartial<String>) -> BehaviourPartial<String> {
    let json = serde_json::to_string(&state).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[cfg(not(feature = "serde"))]
fn through_json(state: BehaviourPartial<String>) -> BehaviourPartial<String> {
    state
}

type Raw = (u8, i64, u8, u8, u32, Option<u16>);

fn rows(raw: &[Raw]) -> Vec<Activity<String>> {
    let before = Date::from_ymd(2024, 2, 20).unwrap();
    raw.iter()
        .map(|&(c, d, kind, name, count, minutes)| {
            let a = Activity::new(
                format!("c{}", c % 5),
                before.add_days(d).unwrap(),
                event(kind, name),
            )
            .with_count(count);
            match minutes {
                Some(m) => a.with_duration(f64::from(m) / 7.0),
                None => a,
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn partials_in_any_order_equal_one_pass(
        raw in prop::collection::vec(
            (0u8..5, 0i64..70, 0u8..3, 0u8..6, 0u32..4, prop::option::of(0u16..500)),
            0..120,
        ),
        part in prop::collection::vec(0usize..3, 120),
        variant in 0u8..3,
    ) {
        let config = config(variant);
        let log = rows(&raw);
        // Index order differs from key order.
        let index = CustomerIndex::from_keys(["c3", "c0", "c4", "c1", "c2"].map(String::from)).unwrap();
        let expected = derive_behaviour(&index, &log, &config).unwrap();
        let mut states: std::collections::BTreeMap<(String, usize), BehaviourPartial<String>> =
            Default::default();
        for (row, &p) in log.iter().zip(&part) {
            states
                .entry((row.customer.clone(), p))
                .or_default()
                .add(row, &config)
                .unwrap();
        }
        // Through JSON, as an engine's state travels (with serde); in reverse partition order.
        let partials: Vec<(String, BehaviourPartial<String>)> = states
            .into_iter()
            .rev()
            .map(|((key, _), s)| (key, through_json(s)))
            .collect();
        let merged = behaviour_from_partials(&index, partials, &config).unwrap();
        prop_assert_eq!(merged, expected);
    }
}

#[test]
fn bad_durations_unknown_customers_and_foreign_windows_are_errors() {
    let config = config(0);
    let day = Date::from_ymd(2024, 3, 5).unwrap();
    let mut state = BehaviourPartial::new();
    let bad = Activity::new("c1".to_owned(), day, ActivityEvent::Login).with_duration(-1.0);
    let e = state.add(&bad, &config).unwrap_err().to_string();
    assert!(e.contains("c1") && e.contains("duration_minutes"), "{e}");
    state
        .add(
            &Activity::new("c1".to_owned(), day, ActivityEvent::Login),
            &config,
        )
        .unwrap();
    let index = CustomerIndex::from_keys(["c1".to_owned()]).unwrap();
    let e = behaviour_from_partials(&index, vec![("c9".to_owned(), state.clone())], &config)
        .unwrap_err()
        .to_string();
    assert!(e.contains("c9"), "{e}");
    // A state built over a longer window does not fit a shorter one.
    let longer = BehaviourConfig::new(
        Date::from_ymd(2024, 1, 1).unwrap(),
        Date::from_ymd(2024, 12, 31).unwrap(),
    )
    .unwrap();
    let mut late = BehaviourPartial::new();
    late.add(
        &Activity::new(
            "c1".to_owned(),
            Date::from_ymd(2024, 11, 1).unwrap(),
            ActivityEvent::Login,
        ),
        &longer,
    )
    .unwrap();
    assert!(behaviour_from_partials(&index, vec![("c1".to_owned(), late)], &config).is_err());
    let empty: CustomerIndex<String> = CustomerIndex::new();
    assert!(behaviour_from_partials(&empty, vec![], &config).is_err());
}
