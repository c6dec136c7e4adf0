//! Subscription intervals to monthly MRR against a pandas day-by-day expansion
//! (`tests/fixtures/intervals.json`, from `tests/fixtures/generate.py intervals`).

mod common;

use common::{assert_within, fixture, STAT_TOL};
use saas_segmentation::economics::{monthly_mrr, SnapshotRule, Subscription};
use saas_segmentation::Date;

fn date(v: &serde_json::Value) -> Date {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn every_snapshot_rule_matches_pandas() {
    let f = fixture("intervals.json");
    let subs: Vec<Subscription<String>> = f["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            Subscription::new(
                s["customer"].as_str().unwrap().to_owned(),
                date(&s["start"]),
                (!s["end"].is_null()).then(|| date(&s["end"])),
                s["mrr"].as_f64().unwrap(),
            )
        })
        .collect();
    let through = date(&f["through"]);
    for (rule, name) in [
        (SnapshotRule::MonthStart, "month_start"),
        (SnapshotRule::MonthEnd, "month_end"),
        (SnapshotRule::Prorated, "prorated"),
    ] {
        let ours = monthly_mrr(&subs, rule, through).unwrap();
        let want = f["rows"][name].as_array().unwrap();
        assert_eq!(ours.len(), want.len(), "{name}");
        for (row, w) in ours.iter().zip(want) {
            assert_eq!(row.customer, w[0].as_str().unwrap(), "{name}");
            assert_eq!(row.month, date(&w[1]), "{name} {}", row.customer);
            assert_within(row.mrr, w[2].as_f64().unwrap(), STAT_TOL, name);
        }
    }
}

#[test]
fn bad_intervals_are_named() {
    let d = |s: &str| s.parse::<Date>().unwrap();
    let backwards = [Subscription::new(
        "a",
        d("2024-03-01"),
        Some(d("2024-02-01")),
        10.0,
    )];
    let e = monthly_mrr(&backwards, SnapshotRule::MonthStart, d("2024-06-30")).unwrap_err();
    assert!(e.to_string().contains("before the start"), "{e}");
    assert!(monthly_mrr(
        &[Subscription::new("a", d("2024-01-01"), None, f64::NAN)],
        SnapshotRule::Prorated,
        d("2024-06-30")
    )
    .is_err());
    assert!(monthly_mrr(
        &[Subscription::new("a", d("2024-01-01"), None, -5.0)],
        SnapshotRule::Prorated,
        d("2024-06-30")
    )
    .is_err());
    // Thousands of years of months are refused, not allocated.
    let ancient: Vec<Subscription<u32>> = (0..6_000)
        .map(|i| Subscription::new(i, Date::MIN, None, 1.0))
        .collect();
    assert!(monthly_mrr(&ancient, SnapshotRule::MonthStart, Date::MAX).is_err());
    // A gap between two subscriptions has no row; the MRR analyses read it as 0, so the
    // movements show churn, then reactivation.
    let gap = [
        Subscription::new("a", d("2024-01-01"), Some(d("2024-03-01")), 50.0),
        Subscription::new("a", d("2024-04-01"), None, 70.0),
    ];
    let rows = monthly_mrr(&gap, SnapshotRule::MonthStart, d("2024-05-31")).unwrap();
    let values: Vec<f64> = rows.iter().map(|r| r.mrr).collect();
    assert_eq!(values, [50.0, 50.0, 70.0, 70.0]);
    let index = saas_segmentation::CustomerIndex::from_keys(["a"]).unwrap();
    let movements = saas_segmentation::economics::MrrMovements::compute(
        &index,
        &rows,
        &saas_segmentation::economics::MrrParams::new(d("2024-05-31")),
    )
    .unwrap();
    let march = movements
        .months()
        .iter()
        .find(|m| m.month == d("2024-03-01"))
        .unwrap();
    let april = movements
        .months()
        .iter()
        .find(|m| m.month == d("2024-04-01"))
        .unwrap();
    assert_eq!((march.churn, april.reactivation), (50.0, 70.0));
}
