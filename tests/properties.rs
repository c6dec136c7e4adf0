//! Property tests of the foundation's invariants.

mod common;
use common::cid;

use ndarray::Array2;
use proptest::prelude::*;
use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
use saas_segmentation::features::{Scaler, ScalerKind};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::model::{Firmographic, Industry, SizeTier, UsageTier};
use saas_segmentation::profile::{CustomerProfile, ProfileBuilder, Source, SourceRecord};
use saas_segmentation::rules::{Condition, MatchMode, Rule, RuleSet};
use saas_segmentation::{CustomerId, CustomerIndex, Date, Period};

/// A second, deliberately naive calendar: walk whole years, then whole months.
fn naive_ymd(days: i64) -> (i64, u32, u32) {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let year_len = |y: i64| if leap(y) { 366 } else { 365 };
    let month_len = |y: i64, m: u32| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let (mut y, mut rest) = (1970i64, days);
    while rest < 0 {
        y -= 1;
        rest += year_len(y);
    }
    while rest >= year_len(y) {
        rest -= year_len(y);
        y += 1;
    }
    let mut m = 1;
    while rest >= month_len(y, m) {
        rest -= month_len(y, m);
        m += 1;
    }
    (y, m, rest as u32 + 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn calendar_agrees_with_naive_walk(days in -719_528i64..=2_932_896) {
        let date = Date::from_days(days).unwrap();
        let (y, m, d) = date.ymd();
        prop_assert_eq!((i64::from(y), m, d), naive_ymd(days));
        prop_assert_eq!(Date::from_ymd(y, m, d).unwrap(), date);
        prop_assert_eq!(date.to_string().parse::<Date>().unwrap(), date);
    }

    #[test]
    fn period_arithmetic_agrees_with_components(a in 0i64..40_000, b in 0i64..40_000) {
        let (da, db) = (Date::from_days(a).unwrap(), Date::from_days(b).unwrap());
        let ((ya, ma, _), (yb, mb, _)) = (naive_ymd(a), naive_ymd(b));
        let months = (yb - ya) * 12 + i64::from(mb) - i64::from(ma);
        prop_assert_eq!(i64::from(Period::Month.periods_between(da, db)), months);
        prop_assert_eq!(i64::from(Period::Year.periods_between(da, db)), yb - ya);
        prop_assert_eq!(i64::from(Period::Day.periods_between(da, db)), b - a);
        // Week index steps exactly once per Monday.
        let weeks = Period::IsoWeek.periods_between(da, db);
        let mondays_between = (a.min(b)..a.max(b)).filter(|&d| Date::from_days(d + 1).unwrap().iso_weekday() == 1).count() as i32;
        prop_assert_eq!(weeks.abs(), mondays_between);
        for period in [Period::Day, Period::IsoWeek, Period::Month, Period::Quarter, Period::Year] {
            let start = period.start(da);
            prop_assert!(start <= da);
            prop_assert_eq!(period.index(start), period.index(da));
            prop_assert_eq!(period.start_of_index(period.index(da)).unwrap(), start);
        }
    }

    #[test]
    fn add_months_lands_in_the_right_month(a in 0i64..40_000, months in -240i64..240) {
        let date = Date::from_days(a).unwrap();
        let moved = date.add_months(months).unwrap();
        prop_assert_eq!(i64::from(Period::Month.periods_between(date, moved)), months);
        prop_assert!(moved.day() <= date.day());
    }

    #[test]
    fn index_round_trips(keys in proptest::collection::vec("[a-z]{1,6}", 1..60)) {
        let index = CustomerIndex::from_keys(keys.clone()).unwrap();
        let mut distinct = keys.clone();
        distinct.sort();
        distinct.dedup();
        prop_assert_eq!(index.len(), distinct.len());
        for key in &keys {
            let id = index.get(key).unwrap();
            prop_assert_eq!(index.key(id), Some(key));
        }
        for (i, id) in index.ids().enumerate() {
            prop_assert_eq!(id, cid(i as u32));
        }
        let ordered: Vec<&String> = index.ids_in_key_order().iter().map(|&id| index.key(id).unwrap()).collect();
        let sorted: Vec<&String> = distinct.iter().collect();
        prop_assert_eq!(ordered, sorted);
    }

    #[test]
    fn scalers_invert(values in proptest::collection::vec(-1e6f64..1e6, 6..60), kind in 0usize..3) {
        let rows = values.len() / 3;
        let data = Array2::from_shape_vec((rows, 3), values[..rows * 3].to_vec()).unwrap();
        let kind = [ScalerKind::Standard, ScalerKind::MinMax, ScalerKind::Robust][kind];
        let scaler = Scaler::fit(kind, data.view()).unwrap();
        let back = scaler.inverse_transform(scaler.transform(data.view()).unwrap().view()).unwrap();
        for (x, y) in back.iter().zip(data.iter()) {
            prop_assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0));
        }
        if kind == ScalerKind::MinMax {
            let scaled = scaler.transform(data.view()).unwrap();
            prop_assert!(scaled.iter().all(|&x| (-1e-12..=1.0 + 1e-12).contains(&x)));
        }
    }

    #[test]
    fn every_customer_is_assigned_or_reported(
        sizes in proptest::collection::vec(prop::option::of(1u32..10_000), 1..40),
        mrrs in proptest::collection::vec(prop::option::of(0.0f64..5_000.0), 40),
        exclusive in any::<bool>(),
    ) {
        let profiles: Vec<CustomerProfile> = sizes.iter().zip(&mrrs).map(|(&employees, &mrr)| {
            let mut p = CustomerProfile { firmographic: Firmographic { employees, ..Firmographic::default() }, ..CustomerProfile::default() };
            p.value.mrr = mrr;
            p
        }).collect();
        let rules = RuleSet::new(vec![
            Rule::new("smb", Condition::SizeTier(vec![SizeTier::Smb])),
            Rule::new("big spenders", Condition::Mrr { min: Some(1_000.0), max: None }),
            Rule::new("not smb", Condition::not(Condition::SizeTier(vec![SizeTier::Smb]))),
        ]).unwrap().mode(if exclusive { MatchMode::Exclusive } else { MatchMode::FirstMatch });
        let result = rules.apply_over(&DenseCustomers::new(profiles.len()), &profiles).unwrap();
        let seg = result.segmentation();
        let report = result.report();
        let exclusive_overlaps = if exclusive { report.overlaps().len() } else { 0 };
        prop_assert_eq!(
            seg.sizes().iter().sum::<usize>() + report.unmatched().len() + report.undetermined().len() + exclusive_overlaps,
            profiles.len()
        );
        prop_assert_eq!(seg.unassigned(), report.unmatched().len() + report.undetermined().len() + exclusive_overlaps);
        for (i, label) in seg.labels().iter().enumerate() {
            if let Some(l) = label {
                let matched = rules.rules()[*l].condition().evaluate(&profiles[i], &Default::default()).unwrap();
                prop_assert_eq!(matched, Some(true));
            }
        }
    }

    #[test]
    fn behaviour_ignores_input_order(
        events in proptest::collection::vec((0u32..5, 0i64..60, 0u8..4), 0..200),
        seed in any::<u64>(),
    ) {
        let start = Date::from_ymd(2024, 1, 1).unwrap();
        let log: Vec<Activity<CustomerId, &str>> = events.iter().map(|&(c, d, kind)| {
            let event = match kind {
                0 => ActivityEvent::Login,
                1 => ActivityEvent::Feature("reports"),
                2 => ActivityEvent::Feature("alerts"),
                _ => ActivityEvent::Workflow("invite"),
            };
            Activity::new(cid(c), start.add_days(d).unwrap(), event)
        }).collect();
        let config = BehaviourConfig::new(start, start.add_days(41).unwrap()).unwrap()
            .core_features(vec!["reports", "alerts", "sso"])
            .key_workflows(vec!["invite"]);
        let once = derive_behaviour(&DenseCustomers::new(5), &log, &config).unwrap();
        let mut shuffled = log.clone();
        let mut rng = saas_segmentation::random::SeededRng::new(seed);
        for i in (1..shuffled.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        prop_assert_eq!(derive_behaviour(&DenseCustomers::new(5), &shuffled, &config).unwrap(), once.clone());
        for b in once.values().iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&b.core_feature_adoption()));
            prop_assert!((0.0..=1.0).contains(&b.key_workflow_completion()));
            prop_assert!(b.active_days() <= 42);
            prop_assert_eq!(b.usage_tier() == UsageTier::Dormant, b.logins() == 0);
        }
    }

    #[test]
    fn merging_ignores_record_order(
        observations in proptest::collection::vec((0u8..4, 0i64..1_000, 0.0f64..100.0, 0usize..4), 1..30),
        seed in any::<u64>(),
    ) {
        // Distinct dates per customer so "most recent" is never a tie.
        let mut records = Vec::new();
        for (i, &(customer, _, mrr, industry)) in observations.iter().enumerate() {
            let mut p = CustomerProfile::default();
            p.value.mrr = Some(mrr.round());
            p.firmographic.industry = Some([Industry::Retail, Industry::Software, Industry::Media, Industry::Energy][industry]);
            let date = Date::from_days(19_000 + i as i64).unwrap();
            records.push(SourceRecord::new(customer, Source::ALL[i % Source::ALL.len()], date, p));
        }
        let once = ProfileBuilder::new().records(records.clone()).build().unwrap();
        let mut rng = saas_segmentation::random::SeededRng::new(seed);
        for i in (1..records.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            records.swap(i, j);
        }
        let again = ProfileBuilder::new().records(records).build().unwrap();
        for customer in 0u8..4 {
            prop_assert_eq!(once.profile(&customer), again.profile(&customer));
        }
        prop_assert_eq!(once.conflicts().len(), again.conflicts().len());
    }
}

/// Rows on a coarse grid (ties and duplicates likely), as a matrix.
fn grid_rows(values: &[i8], d: usize) -> Array2<f64> {
    let n = values.len() / d;
    Array2::from_shape_vec(
        (n, d),
        values[..n * d]
            .iter()
            .map(|&v| f64::from(v) / 4.0)
            .collect(),
    )
    .expect("n x d")
}

fn distinct_rows(x: &Array2<f64>) -> usize {
    let mut rows: Vec<Vec<u64>> = x
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|v| (v + 0.0).to_bits()).collect())
        .collect();
    rows.sort();
    rows.dedup();
    rows.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn kmeans_labels_in_range_and_inertia_never_rises(
        values in proptest::collection::vec(-40i8..40, 6..240),
        k in 1usize..12,
        seed in 0u64..1000,
    ) {
        use saas_segmentation::cluster::{Algorithm, KMeans};
        let x = grid_rows(&values, 3);
        prop_assume!(x.nrows() >= 1 && distinct_rows(&x) >= k);
        let model = KMeans::params(k).seed(seed).tol(0.0).algorithm(Algorithm::Lloyd)
            .fit(x.view()).expect("fit");
        prop_assert!(model.labels().iter().all(|&l| l < k));
        for pair in model.inertia_path().windows(2) {
            prop_assert!(pair[1] <= pair[0] * (1.0 + 1e-9) + 1e-9, "{:?}", model.inertia_path());
        }
        let hamerly = KMeans::params(k).seed(seed).tol(0.0).algorithm(Algorithm::Hamerly)
            .fit(x.view()).expect("fit");
        prop_assert_eq!(model.labels(), hamerly.labels());
        prop_assert_eq!(model.centroids(), hamerly.centroids());
    }

    #[test]
    fn kmeans_row_permutation_only_permutes_labels(
        values in proptest::collection::vec(-1000i16..1000, 8..200),
        rotate in 1usize..50,
    ) {
        use saas_segmentation::cluster::{Init, KMeans};
        // Distinct-ish continuous rows; a fixed start makes the fit independent of row order up
        // to the summation order of the centroids, so labels must map one to one.
        let d = 2;
        let n = values.len() / d;
        let x = Array2::from_shape_fn((n, d), |(i, j)| f64::from(values[i * d + j]) + (i * d + j) as f64 * 1e-3);
        let start = x.slice(ndarray::s![0..2, ..]).to_owned();
        prop_assume!(distinct_rows(&x) >= 2 && start.row(0) != start.row(1));
        let shift = rotate % n;
        let order: Vec<usize> = (0..n).map(|i| (i + shift) % n).collect();
        let permuted = x.select(ndarray::Axis(0), &order);
        let a = KMeans::params(2).init(Init::Centroids(start.clone())).fit(x.view()).expect("fit");
        let b = KMeans::params(2).init(Init::Centroids(start)).fit(permuted.view()).expect("fit");
        for (i, &row) in order.iter().enumerate() {
            prop_assert_eq!(b.labels()[i], a.labels()[row]);
        }
    }

    #[test]
    fn silhouette_bounded_and_label_names_do_not_matter(
        values in proptest::collection::vec(-20i8..20, 12..120),
        labels in proptest::collection::vec(0usize..3, 60),
    ) {
        use saas_segmentation::validate;
        let x = grid_rows(&values, 2);
        let n = x.nrows();
        let mut labels: Vec<usize> = labels[..n.min(60)].to_vec();
        prop_assume!(labels.len() == n);
        labels[0] = 0; labels[1] = 1; labels[2] = 2;
        let s = validate::silhouette_score(x.view(), &labels);
        prop_assume!(s.is_ok());
        let s = s.expect("checked");
        prop_assert!((-1.0..=1.0).contains(&s));
        let renamed: Vec<usize> = labels.iter().map(|&l| (l + 1) % 3).collect();
        let t = validate::silhouette_score(x.view(), &renamed).expect("renamed");
        prop_assert!((s - t).abs() <= 1e-12);
        let ch = validate::calinski_harabasz_score(x.view(), &labels).expect("ch");
        let ch2 = validate::calinski_harabasz_score(x.view(), &renamed).expect("ch");
        prop_assert!((ch - ch2).abs() <= 1e-9 * ch.abs().max(1.0));
        let db = validate::davies_bouldin_score(x.view(), &labels).expect("db");
        let db2 = validate::davies_bouldin_score(x.view(), &renamed).expect("db");
        prop_assert!((db - db2).abs() <= 1e-9 * db.abs().max(1.0));
    }
}
