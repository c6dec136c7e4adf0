//! Property tests of retention and survival invariants.

mod common;
use common::cid;

use proptest::prelude::*;
use saas_segmentation::cohort::{
    Cohorts, Grid, RetentionCounts, RetentionMatrix, RetentionMode, RetentionParams, Windows,
};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::survival::KaplanMeierParams;
use saas_segmentation::{CustomerId, Date, Period};

/// Signups over 2023 and events after each signup, up to 2024-06-30.
type Log = (Vec<(CustomerId, Date)>, Vec<(CustomerId, Date)>);

fn log_strategy() -> impl Strategy<Value = Log> {
    (1usize..40).prop_flat_map(|n| {
        (
            proptest::collection::vec(0i64..365, n),
            proptest::collection::vec((0usize..n, 0i64..600), 0..200),
        )
            .prop_map(move |(signup_days, raw)| {
                let start = Date::from_ymd(2023, 1, 1).expect("date");
                let end = Date::from_ymd(2024, 6, 30).expect("date");
                let signups: Vec<(CustomerId, Date)> = signup_days
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| (cid(i as u32), start.add_days(d).expect("date")))
                    .collect();
                let events = raw
                    .iter()
                    .map(|&(c, offset)| {
                        let s = signups[c].1;
                        let room = end.days_since(s);
                        (
                            cid(c as u32),
                            s.add_days(offset % (room + 1)).expect("date"),
                        )
                    })
                    .collect();
                (signups, events)
            })
    })
}

fn windows(choice: usize) -> Windows {
    match choice {
        0 => Windows::Grid(Grid::Calendar(Period::Month)),
        1 => Windows::Grid(Grid::Calendar(Period::IsoWeek)),
        2 => Windows::Rolling { days: 30 },
        _ => Windows::Brackets(vec![(0, 0), (1, 7), (8, 30), (31, 120)]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn retention_rates_are_shares_and_period_zero_is_one(
        (signups, events) in log_strategy(),
        choice in 0usize..4,
        partial in any::<bool>(),
    ) {
        let lookup = DenseCustomers::new(signups.len());
        let cohorts = Cohorts::by_signup(&lookup, &signups, Grid::Calendar(Period::Month)).expect("cohorts");
        let params = RetentionParams::new(Date::from_ymd(2024, 6, 30).expect("date"))
            .windows(windows(choice))
            .partial_periods(partial);
        for mode in [RetentionMode::Recurring, RetentionMode::Unbounded, RetentionMode::FirstTime] {
            let m = RetentionMatrix::compute(&lookup, &cohorts, &events, &params.clone().mode(mode)).expect("matrix");
            for c in 0..m.labels().len() {
                for p in 0..m.periods() {
                    prop_assert!(m.retained(c, p).unwrap_or(0) <= m.eligible(c, p));
                    prop_assert_eq!(m.retained(c, p).is_some(), m.rate(c, p).is_some());
                    if let Some(rate) = m.rate(c, p) {
                        prop_assert!((0.0..=1.0).contains(&rate));
                    }
                    if p > 0 {
                        // Members observable at p were observable at p - 1.
                        prop_assert!(m.eligible(c, p) <= m.eligible(c, p - 1));
                    }
                }
                if mode != RetentionMode::FirstTime {
                    if let Some(rate) = m.rate(c, 0) {
                        prop_assert_eq!(rate, 1.0);
                    }
                }
            }
        }
    }

    #[test]
    fn merged_counts_equal_one_pass_in_any_order(
        (signups, events) in log_strategy(),
        choice in 0usize..4,
        cut in 0usize..200,
    ) {
        let lookup = DenseCustomers::new(signups.len());
        let cohorts = Cohorts::by_signup(&lookup, &signups, Grid::Calendar(Period::Quarter)).expect("cohorts");
        let params = RetentionParams::new(Date::from_ymd(2024, 6, 30).expect("date")).windows(windows(choice));
        let mut whole = RetentionCounts::new(&cohorts, &params).expect("counts");
        whole.add(&lookup, &events).expect("add");
        let cut = cut.min(events.len());
        let mut reversed = events.clone();
        reversed.reverse();
        let mut a = RetentionCounts::new(&cohorts, &params).expect("counts");
        let mut b = a.clone();
        a.add(&lookup, &reversed[..cut]).expect("add");
        b.add(&lookup, &reversed[cut..]).expect("add");
        b.merge(&a).expect("merge");
        for mode in [RetentionMode::Recurring, RetentionMode::Unbounded, RetentionMode::FirstTime] {
            prop_assert_eq!(b.matrix(mode), whole.matrix(mode));
        }
    }

    #[test]
    fn kaplan_meier_never_increases(
        subjects in proptest::collection::vec((0u32..50, any::<bool>(), 0u32..100), 1..80),
        late in any::<bool>(),
    ) {
        let durations: Vec<f64> = subjects.iter().map(|s| f64::from(s.0)).collect();
        let observed: Vec<bool> = subjects.iter().map(|s| s.1).collect();
        let params = KaplanMeierParams::new();
        let km = if late {
            let entry: Vec<f64> = subjects.iter().map(|s| f64::from(s.0) * f64::from(s.2) / 100.0).collect();
            params.fit_with_entry(&durations, &observed, &entry)
        } else {
            params.fit(&durations, &observed)
        }.expect("fit");
        let mut previous = 1.0;
        for row in km.rows() {
            prop_assert!(row.survival <= previous && row.survival >= 0.0);
            prop_assert!(row.lower <= row.survival + 1e-12 && row.survival <= row.upper + 1e-12);
            previous = row.survival;
        }
        let rmst = km.restricted_mean(50.0).expect("rmst");
        prop_assert!((0.0..=50.0 + 1e-9).contains(&rmst));
    }
}
