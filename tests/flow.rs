//! Every producer feeds every consumer, over one customer index whose first-appearance order
//! differs from key order and that holds customers with no purchase and no activity. Each result
//! is checked against the same quantity computed by hand, per customer, by external key (never
//! by position), and every consumer refuses a segmentation of another customer set.

use std::collections::BTreeMap;

use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
use saas_segmentation::cluster::{AgglomerativeParams, KMeans, Linkage, MiniBatchKMeans};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
use saas_segmentation::economics::{
    segment_kpis, time_to_first_value, time_to_value_by_segment, KpiInputs, MrrMovements,
    MrrParams, ValueQuantiles,
};
use saas_segmentation::features::FeatureMatrix;
use saas_segmentation::model::{AcquisitionChannel, Firmographic, PlanTier, SizeTier};
use saas_segmentation::profile::{CustomerProfile, ProfileSet};
use saas_segmentation::records::{Lead, MrrRecord, Transaction};
use saas_segmentation::rfm::{
    segment_summary, RfmParams, RfmScores, RfmSegmentTable, RfmTable, ScoreParams,
};
use saas_segmentation::rules::{Condition, Rule, RuleSet};
use saas_segmentation::survival::{
    compare_segments, KaplanMeierParams, LifetimeParams, SurvivalData,
};
use saas_segmentation::validate::{
    compare_segmentations, pairwise_comparisons, validate_segmentation, Criteria, Outcome,
    ValidationInput, Variable,
};
#[cfg(feature = "serde")]
use saas_segmentation::KeyedSegmentation;
use saas_segmentation::{
    CustomerIndex, CustomerSet, Date, Error, PerCustomer, Period, Segmentation,
};

const N: u32 = 48;

fn day(text: &str) -> Date {
    text.parse().expect("date")
}

/// Customer `i`'s key: a permutation, so first appearance is not key order.
fn key(i: u32) -> String {
    format!("cus_{:02}", (i * 29) % N)
}

/// A small deterministic hash.
fn h(i: u32, salt: u32) -> u32 {
    let mut x = i.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503);
    x ^= x >> 13;
    x = x.wrapping_mul(0x5bd1_e995);
    x ^ (x >> 15)
}

/// Every sixth customer buys nothing and is never active.
fn silent(i: u32) -> bool {
    i % 6 == 5
}

struct World {
    index: CustomerIndex<String>,
    profiles: ProfileSet<String>,
    transactions: Vec<Transaction<String>>,
    activity: Vec<Activity<String, &'static str>>,
    signups: Vec<(String, Date)>,
    leads: Vec<Lead<String>>,
    mrr: Vec<MrrRecord<String>>,
    tickets: BTreeMap<String, u64>,
    revenue: BTreeMap<String, f64>,
}

fn world() -> World {
    let keys: Vec<String> = (0..N).map(key).collect();
    let index = CustomerIndex::from_keys(keys.iter().cloned()).expect("index");
    assert_ne!(index.keys(), {
        let mut sorted = index.keys().to_vec();
        sorted.sort();
        sorted
    });
    let profile = |i: u32| {
        let mut p = CustomerProfile {
            firmographic: Firmographic {
                employees: Some([20, 350, 4_000][(h(i, 1) % 3) as usize]),
                ..Firmographic::default()
            },
            ..CustomerProfile::default()
        };
        p.value.mrr = Some(f64::from(50 + h(i, 2) % 2_000));
        p.value.plan_tier = Some([PlanTier::Starter, PlanTier::Professional][(i % 2) as usize]);
        p
    };
    let profiles =
        ProfileSet::from_profiles((0..N).map(|i| (key(i), profile(i)))).expect("profiles");
    let mut transactions = Vec::new();
    let mut activity = Vec::new();
    let mut signups = Vec::new();
    let mut leads = Vec::new();
    let mut mrr = Vec::new();
    let mut tickets = BTreeMap::new();
    let mut revenue = BTreeMap::new();
    for i in 0..N {
        let k = key(i);
        let signup = day("2024-01-01")
            .add_days(i64::from(h(i, 3) % 150))
            .expect("date");
        signups.push((k.clone(), signup));
        leads.push(Lead {
            key: k.clone(),
            created: signup,
            channel: AcquisitionChannel::Organic,
            converted: (!h(i, 4).is_multiple_of(3)).then_some(signup),
        });
        tickets.insert(k.clone(), u64::from(h(i, 5) % 7));
        revenue.insert(k.clone(), f64::from(h(i, 6) % 900));
        for m in 0..3 {
            mrr.push(MrrRecord::new(
                k.clone(),
                Period::Month
                    .start_of_index(Period::Month.index(day("2024-06-01")) + m)
                    .expect("month"),
                f64::from(100 + h(i, 7 + m as u32) % 400),
            ));
        }
        if silent(i) {
            continue;
        }
        for t in 0..1 + h(i, 8) % 4 {
            transactions.push(Transaction::new(
                k.clone(),
                signup
                    .add_days(i64::from(t * 9 + h(i, 9) % 5))
                    .expect("date"),
                f64::from(10 + h(i, 10 + t) % 500),
            ));
        }
        for a in 0..1 + h(i, 20) % 6 {
            let event = if a % 3 == 2 {
                ActivityEvent::Workflow("invite")
            } else {
                ActivityEvent::Login
            };
            let when = signup.add_days(i64::from(a * 7 + 1)).expect("date");
            activity.push(Activity::new(k.clone(), when, event));
        }
    }
    World {
        index,
        profiles,
        transactions,
        activity,
        signups,
        leads,
        mrr,
        tickets,
        revenue,
    }
}

const ANALYSIS: &str = "2024-09-01";

/// Every producer's segmentation of the world's customers, by name.
fn producers(w: &World) -> Vec<(&'static str, Segmentation)> {
    let mut out = Vec::new();
    // Rules over the merged profiles.
    let rules = RuleSet::new(vec![
        Rule::new("smb", Condition::SizeTier(vec![SizeTier::Smb])),
        Rule::new(
            "larger",
            Condition::not(Condition::SizeTier(vec![SizeTier::Smb])),
        ),
    ])
    .expect("rules");
    out.push((
        "rules",
        rules.apply(&w.profiles).expect("rules").into_segmentation(),
    ));
    // RFM: customers without a purchase are in no segment.
    let table =
        RfmTable::from_transactions_in(&w.transactions, &w.index, &RfmParams::new(day(ANALYSIS)))
            .expect("rfm");
    let scores = RfmScores::new(&table, &ScoreParams::default()).expect("scores");
    out.push((
        "rfm",
        scores
            .segmentation(&RfmSegmentTable::default_table())
            .expect("rfm segments"),
    ));
    // Clustering on a feature matrix of the profiles.
    let matrix = matrix(w);
    let kmeans = KMeans::params(3)
        .seed(5)
        .fit(matrix.view())
        .expect("k-means");
    out.push((
        "k-means",
        kmeans.segmentation(&matrix).expect("k-means segments"),
    ));
    let minibatch = MiniBatchKMeans::params(3)
        .batch_size(16)
        .seed(5)
        .fit(matrix.view())
        .expect("mini-batch");
    out.push((
        "mini-batch",
        minibatch
            .segmentation(&matrix)
            .expect("mini-batch segments"),
    ));
    let tree = AgglomerativeParams::new(Linkage::Ward)
        .fit(matrix.view())
        .expect("tree");
    out.push(("agglomerative", tree.segmentation(&matrix, 3).expect("cut")));
    // Value quantiles of revenue.
    let revenue = revenue(w);
    out.push((
        "value",
        ValueQuantiles::new(&w.index, &revenue, 4)
            .expect("quartiles")
            .segmentation()
            .clone(),
    ));
    // Signup-month cohorts.
    out.push((
        "cohorts",
        Cohorts::by_signup(&w.index, &w.signups, Grid::Calendar(Period::Month))
            .expect("cohorts")
            .segmentation()
            .expect("cohort segments"),
    ));
    // Any categorical column.
    out.push((
        "plan",
        Segmentation::from_fn(&w.profiles, "plan", |id| {
            w.profiles.get(id)?.value.plan_tier
        })
        .expect("plan"),
    ));
    out
}

fn matrix(w: &World) -> FeatureMatrix {
    FeatureMatrix::builder()
        .log1p("mrr", |p: &CustomerProfile| p.value.mrr)
        .column("employees", |p: &CustomerProfile| {
            p.firmographic.employees.map(f64::from)
        })
        .standardize()
        .build_over(&w.profiles, w.profiles.profiles())
        .expect("matrix")
}

fn revenue(w: &World) -> PerCustomer<f64> {
    PerCustomer::from_keyed(&w.index, w.revenue.iter().map(|(k, &v)| (k.clone(), v)))
        .expect("revenue")
}

/// The segment of each key, asked by key.
fn by_key(w: &World, seg: &Segmentation) -> BTreeMap<String, Option<usize>> {
    w.index
        .keys()
        .iter()
        .map(|k| {
            (
                k.clone(),
                seg.segment_of_key(&w.index, k.as_str()).expect("key"),
            )
        })
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn producers_share_one_customer_set_and_answer_by_key() {
    let w = world();
    for (name, seg) in producers(&w) {
        assert_eq!(seg.universe(), w.index.universe(), "{name}");
        assert_eq!(seg.len(), N as usize, "{name}");
        // Labels are in dense-id order: asking by key equals reading the label of the id.
        for (id, k) in w.index.ids().zip(w.index.keys()) {
            assert_eq!(
                seg.segment_of_key(&w.index, k.as_str()).expect("key"),
                seg.segment_of(id),
                "{name} {k}"
            );
        }
        // The keyed form re-attaches to an index in another order, customer by customer.
        let keyed = seg.keyed(&w.index).expect("keyed");
        let sorted =
            CustomerIndex::sorted_from_keys(w.index.keys().iter().cloned()).expect("sorted");
        let again = keyed.attach(&sorted).expect("attach");
        assert_ne!(again.universe(), seg.universe());
        for k in w.index.keys() {
            assert_eq!(
                again.segment_of_key(&sorted, k.as_str()).expect("key"),
                seg.segment_of_key(&w.index, k.as_str()).expect("key"),
                "{name} {k}"
            );
        }
        #[cfg(feature = "serde")]
        {
            let json = serde_json::to_string(&keyed).expect("json");
            let back: KeyedSegmentation<String> = serde_json::from_str(&json).expect("load");
            assert_eq!(back, keyed);
        }
    }
}

#[test]
fn rfm_segments_leave_non_buyers_out_and_follow_the_customer() {
    let w = world();
    let seg = &producers(&w)[1].1;
    for (i, k) in (0..N).map(|i| (i, key(i))) {
        let label = seg.segment_of_key(&w.index, k.as_str()).expect("key");
        assert_eq!(label.is_none(), silent(i), "{k}");
    }
    // The table's rows are in key order; the segment of each row is its customer's.
    let table =
        RfmTable::from_transactions_in(&w.transactions, &w.index, &RfmParams::new(day(ANALYSIS)))
            .expect("rfm");
    let scores = RfmScores::new(&table, &ScoreParams::default()).expect("scores");
    let named = RfmSegmentTable::default_table();
    for row in 0..table.len() {
        let k = table.key(row).expect("row");
        let cell = scores.cell(row).expect("cell");
        let expected = named.segment_of(cell).unwrap_or(named.rules().len());
        assert_eq!(
            seg.segment_of_key(&w.index, k.as_str()).expect("key"),
            Some(expected)
        );
    }
    // The summary by segment counts each customer's own purchases.
    let summary = segment_summary(&table, seg).expect("summary");
    let labels = by_key(&w, seg);
    for (s, row) in summary.iter().enumerate() {
        let mut orders = 0u64;
        let mut customers = 0usize;
        for t in &w.transactions {
            if labels[&t.customer] == Some(s) && t.amount > 0.0 {
                orders += 1;
            }
        }
        for label in labels.values() {
            customers += usize::from(*label == Some(s));
        }
        assert_eq!(
            (row.orders, row.customers),
            (orders, customers),
            "{}",
            row.name
        );
    }
}

#[test]
fn every_consumer_takes_every_producer_and_matches_the_hand_count() {
    let w = world();
    let revenue = revenue(&w);
    let tickets = PerCustomer::from_keyed(&w.index, w.tickets.iter().map(|(k, &v)| (k.clone(), v)))
        .expect("tickets");
    let mrr_variable = Variable::numeric(
        "mrr",
        PerCustomer::from_fn(&w.profiles, |id| w.profiles.get(id)?.value.mrr),
    );
    let reach = PerCustomer::from_fn(&w.index, |id| Some(id.get() % 4 != 0));
    let ttfv = time_to_first_value(&w.index, &w.signups, &w.activity, &["invite"]).expect("ttfv");
    let survival = SurvivalData::from_activity(
        &w.index,
        &w.signups,
        &w.activity,
        &LifetimeParams::new(day(ANALYSIS)).inactive_days(30),
    )
    .expect("lifetimes");
    let lifetimes = survival.per_customer().expect("lifetimes");
    let cohorts =
        Cohorts::by_signup(&w.index, &w.signups, Grid::Calendar(Period::Month)).expect("cohorts");
    let retention_params = RetentionParams::new(day(ANALYSIS));
    for (name, seg) in producers(&w) {
        let labels = by_key(&w, &seg);
        let k = seg.segment_count();
        let members = |s: usize| {
            labels
                .iter()
                .filter(move |(_, l)| **l == Some(s))
                .map(|(k, _)| k)
        };

        // Validation: revenue share per segment.
        let channels = [("email", &reach)];
        let input = ValidationInput {
            variables: std::slice::from_ref(&mrr_variable),
            revenue: Some(&revenue),
            channels: &channels,
            ..ValidationInput::default()
        };
        let report = validate_segmentation(&seg, &input, &Criteria::default()).expect("report");
        let total: f64 = labels
            .iter()
            .filter(|(_, l)| l.is_some())
            .map(|(k, _)| w.revenue[k])
            .sum();
        for (s, verdicts) in report.segments.iter().enumerate() {
            let own: f64 = members(s).map(|k| w.revenue[k]).sum();
            assert_eq!(verdicts.customers, members(s).count(), "{name}");
            if let Some(share) = verdicts.revenue_share {
                close(share, own / total, name);
            }
        }

        // Pairwise comparisons: the difference of mean revenue between two segments.
        let pairs = pairwise_comparisons(&seg, Outcome::Numeric(&revenue)).expect("pairs");
        for pair in &pairs {
            let a = seg.segment_by_name(&pair.a).expect("a");
            let b = seg.segment_by_name(&pair.b).expect("b");
            let mean = |s: usize| {
                let v: Vec<f64> = members(s).map(|k| w.revenue[k]).collect();
                v.iter().sum::<f64>() / v.len() as f64
            };
            close(pair.difference, mean(a) - mean(b), name);
        }

        // KPIs: conversion and support load per segment.
        let kpis = segment_kpis(
            &w.index,
            &seg,
            &KpiInputs::new().leads(&w.leads).tickets(&tickets),
        )
        .expect("kpis");
        for (s, row) in kpis.iter().enumerate() {
            let converted = w
                .leads
                .iter()
                .filter(|l| labels[&l.key] == Some(s) && l.converted.is_some())
                .count() as u64;
            assert_eq!(row.new_customers, Some(converted), "{name}");
            let size = members(s).count();
            let load = (size > 0)
                .then(|| members(s).map(|k| w.tickets[k]).sum::<u64>() as f64 / size as f64);
            assert_eq!(row.support_load, load, "{name}");
        }

        // Time to value per segment: customers who reached it.
        let by = time_to_value_by_segment(&ttfv, &seg, 30, 0.05).expect("ttfv");
        for (s, row) in by.iter().enumerate() {
            let reached = members(s)
                .filter(|k| {
                    ttfv.of_key(&w.index, k.as_str())
                        .expect("key")
                        .is_some_and(|&d| d <= 30)
                })
                .count() as u64;
            assert_eq!(
                row.reached_within.map_or(0, |p| p.successes),
                reached,
                "{name}"
            );
        }

        // Survival by segment: each segment's lifetimes are its members'.
        let groups = survival.by_segment(&seg).expect("by segment");
        for (s, (durations, _)) in groups.iter().enumerate() {
            let mut want: Vec<f64> = members(s)
                .filter_map(|k| {
                    lifetimes
                        .of_key(&w.index, k.as_str())
                        .expect("key")
                        .map(|l| l.0)
                })
                .collect();
            let mut got = durations.clone();
            want.sort_by(f64::total_cmp);
            got.sort_by(f64::total_cmp);
            assert_eq!(got, want, "{name}");
        }
        let curves = compare_segments(
            &survival,
            &seg,
            &KaplanMeierParams::new(),
            Default::default(),
        );
        if groups.iter().all(|(d, _)| !d.is_empty()) && k > 1 {
            assert_eq!(curves.expect("curves").curves.len(), k, "{name}");
        }

        // Cohorts by segment, and their retention matrix.
        let by_segment = Cohorts::by_segment(&w.index, &w.signups, &seg).expect("cohorts");
        for s in 0..k {
            assert_eq!(by_segment.sizes()[s], members(s).count() as u64, "{name}");
        }
        let matrix =
            RetentionMatrix::compute(&w.index, &by_segment, &w.activity, &retention_params)
                .expect("retention");
        assert_eq!(matrix.sizes(), by_segment.sizes(), "{name}");
        // Every record is read and accounted for: none dropped silently.
        assert_eq!(matrix.report().records, w.activity.len() as u64, "{name}");

        // MRR movements by segment: the last month's MRR is the members' own.
        let movements =
            MrrMovements::by_segment(&w.index, &w.mrr, &MrrParams::new(day("2024-08-01")), &seg)
                .expect("movements");
        for (s, m) in movements.iter().enumerate() {
            let last = m.months().last().expect("months");
            let own: f64 = w
                .mrr
                .iter()
                .filter(|r| labels[&r.customer] == Some(s) && r.month == last.month)
                .map(|r| r.mrr)
                .sum();
            close(last.end_mrr, own, name);
        }

        // Stability: a segmentation against itself, and against cohorts, by hand.
        let same = compare_segmentations(&seg, &seg).expect("compare");
        assert_eq!(same.stayed_by_name, 1.0, "{name}");
        let cohort_seg = cohorts.segmentation().expect("cohort segments");
        let migration = compare_segmentations(&seg, &cohort_seg).expect("migration");
        let cohort_labels = by_key(&w, &cohort_seg);
        for a in 0..k {
            for b in 0..cohort_seg.segment_count() {
                let moved = labels
                    .iter()
                    .filter(|(key, l)| **l == Some(a) && cohort_labels[*key] == Some(b))
                    .count() as u64;
                assert_eq!(migration.moved(a, b), moved, "{name}");
            }
        }
    }
}

#[test]
fn values_of_another_customer_set_are_typed_errors() {
    let w = world();
    // The same keys interned in key order: the same customers, another set of dense ids.
    let sorted = CustomerIndex::sorted_from_keys(w.index.keys().iter().cloned()).expect("sorted");
    let foreign = |seg: &Segmentation| {
        seg.keyed(&w.index)
            .expect("keyed")
            .attach(&sorted)
            .expect("attach")
    };
    let revenue = revenue(&w);
    let mismatch = |r: Result<(), Error>, what: &str| {
        assert!(
            matches!(r, Err(Error::CustomerSetMismatch { .. })),
            "{what}: {r:?}"
        );
    };
    for (name, seg) in producers(&w) {
        let other = foreign(&seg);
        mismatch(
            validate_segmentation(
                &other,
                &ValidationInput {
                    revenue: Some(&revenue),
                    ..ValidationInput::default()
                },
                &Criteria::default(),
            )
            .map(drop),
            name,
        );
        mismatch(
            pairwise_comparisons(&other, Outcome::Numeric(&revenue)).map(drop),
            name,
        );
        mismatch(
            segment_kpis(&w.index, &other, &KpiInputs::new().leads(&w.leads)).map(drop),
            name,
        );
        mismatch(
            Cohorts::by_segment(&w.index, &w.signups, &other).map(drop),
            name,
        );
        mismatch(
            MrrMovements::by_segment(&w.index, &w.mrr, &MrrParams::new(day("2024-08-01")), &other)
                .map(drop),
            name,
        );
        mismatch(compare_segmentations(&seg, &other).map(drop), name);
        mismatch(other.segment_of_key(&w.index, "cus_00").map(drop), name);
        let survival = SurvivalData::from_activity(
            &w.index,
            &w.signups,
            &w.activity,
            &LifetimeParams::new(day(ANALYSIS)).inactive_days(30),
        )
        .expect("lifetimes");
        mismatch(survival.by_segment(&other).map(drop), name);
        let ttfv =
            time_to_first_value(&w.index, &w.signups, &w.activity, &["invite"]).expect("ttfv");
        mismatch(
            time_to_value_by_segment(&ttfv, &other, 30, 0.05).map(drop),
            name,
        );
    }
    // Behaviour derived over one set cannot be written into profiles of another.
    let config = BehaviourConfig::new(day("2024-01-01"), day("2024-08-31")).expect("window");
    let behaviour = derive_behaviour(&sorted, &w.activity, &config).expect("behaviour");
    let mut profiles = w.profiles.clone();
    mismatch(profiles.apply_behaviour(&behaviour), "behaviour");
    // A feature matrix of other rows cannot describe these customers.
    let rfm = &producers(&w)[1].1;
    let rows = FeatureMatrix::builder()
        .column("x", |p: &CustomerProfile| p.value.mrr)
        .build(w.profiles.profiles())
        .expect("matrix");
    assert_ne!(rows.universe(), rfm.universe());
}

#[cfg(feature = "serde")]
#[test]
fn a_segmentation_loaded_from_json_keeps_its_customer_set_and_checks_its_labels() {
    let w = world();
    let seg = producers(&w).remove(1).1;
    let json = serde_json::to_string(&seg).expect("json");
    let back: Segmentation = serde_json::from_str(&json).expect("load");
    assert_eq!(back, seg);
    assert_eq!(back.universe(), w.index.universe());
    // An index rebuilt from its serialized keys is the same customer set.
    let index_json = serde_json::to_string(&w.index).expect("index json");
    let index: CustomerIndex<String> = serde_json::from_str(&index_json).expect("index load");
    assert_eq!(
        back.segment_of_key(&index, "cus_07").expect("key"),
        seg.segment_of(index.get("cus_07").expect("id"))
    );
    // A label past the segments, or labels that do not cover the set, cannot be loaded.
    let mut value: serde_json::Value = serde_json::from_str(&json).expect("value");
    value["labels"][0] = serde_json::json!(99);
    assert!(serde_json::from_value::<Segmentation>(value.clone()).is_err());
    value["labels"] = serde_json::json!([0, 1]);
    assert!(serde_json::from_value::<Segmentation>(value).is_err());
}

mod adversarial {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Labels of any size: a segmentation or a typed error, never a panic or an allocation
        /// sized by a label.
        #[test]
        fn labels_never_panic(labels in proptest::collection::vec(prop_oneof![0usize..8, any::<usize>()], 0..40)) {
            let index = CustomerIndex::from_keys(0..labels.len() as u32).unwrap();
            match Segmentation::from_labels(&index, &labels) {
                Ok(seg) => {
                    prop_assert_eq!(seg.len(), labels.len());
                    prop_assert!(seg.labels().iter().flatten().all(|&l| l < seg.segment_count()));
                    prop_assert!(seg.segment_count() <= labels.len());
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        /// The segment of each key does not depend on the order the index was built in.
        #[test]
        fn rfm_segments_follow_keys_not_ids(rows in proptest::collection::vec((0u8..30, 0i64..60, 1u32..500), 1..200), seed in any::<u64>()) {
            let log: Vec<Transaction<String>> = rows.iter().map(|&(c, d, a)| Transaction::new(
                format!("k{c:02}"), day("2024-01-01").add_days(d).unwrap(), f64::from(a))).collect();
            let mut keys: Vec<String> = (0..30).map(|c| format!("k{c:02}")).collect();
            let sorted = CustomerIndex::from_keys(keys.iter().cloned()).unwrap();
            let mut rng = saas_segmentation::random::SeededRng::new(seed);
            for i in (1..keys.len()).rev() {
                keys.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let shuffled = CustomerIndex::from_keys(keys.iter().cloned()).unwrap();
            let params = RfmParams::new(day("2024-03-01"));
            let seg = |index: &CustomerIndex<String>| {
                let table = RfmTable::from_transactions_in(&log, index, &params).unwrap();
                RfmScores::new(&table, &ScoreParams::default()).unwrap()
                    .segmentation(&RfmSegmentTable::default_table()).unwrap()
            };
            let (a, b) = (seg(&sorted), seg(&shuffled));
            for key in sorted.keys() {
                prop_assert_eq!(
                    a.segment_of_key(&sorted, key.as_str()).unwrap(),
                    b.segment_of_key(&shuffled, key.as_str()).unwrap()
                );
            }
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn the_generated_shape_loads_when_it_is_valid() {
        let value = serde_json::json!({
            "universe": {"customers": 2, "fingerprint": 7},
            "labels": [0, null],
            "segments": [{"name": "a", "definition": "Labels"}],
        });
        let seg: Segmentation = serde_json::from_value(value).expect("valid");
        assert_eq!(seg.sizes(), vec![1]);
    }

    #[cfg(feature = "serde")]
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever a file holds, loading a segmentation either checks out or fails with a
        /// message; a loaded one keeps every invariant its consumers rely on.
        #[test]
        fn loaded_segmentations_are_checked(
            customers in 0u64..6,
            fingerprint in any::<u64>(),
            labels in proptest::collection::vec(proptest::option::of(prop_oneof![0usize..4, any::<usize>()]), 0..8),
            names in proptest::collection::vec("[ab]{1,2}", 0..4),
        ) {
            let segments: Vec<serde_json::Value> = names.iter()
                .map(|n| serde_json::json!({"name": n, "definition": "Labels"}))
                .collect();
            let value = serde_json::json!({
                "universe": {"customers": customers, "fingerprint": fingerprint},
                "labels": labels,
                "segments": segments,
            });
            if let Ok(seg) = serde_json::from_value::<Segmentation>(value) {
                prop_assert_eq!(seg.len() as u64, customers);
                prop_assert!(seg.labels().iter().flatten().all(|&l| l < seg.segment_count()));
                prop_assert_eq!(seg.sizes().iter().sum::<usize>() + seg.unassigned(), seg.len());
            }
            let keyed = serde_json::json!({
                "segments": names.iter().map(|n| serde_json::json!({"name": n, "definition": "Labels"})).collect::<Vec<_>>(),
                "assignments": labels.iter().enumerate().map(|(i, l)| serde_json::json!({"customer": format!("k{}", i % 3), "segment": l})).collect::<Vec<_>>(),
            });
            if let Ok(k) = serde_json::from_value::<KeyedSegmentation<String>>(keyed) {
                let index = CustomerIndex::from_keys(["k0".to_owned(), "k1".to_owned(), "k2".to_owned()]).unwrap();
                if let Ok(seg) = k.attach(&index) {
                    prop_assert!(seg.labels().iter().flatten().all(|&l| l < seg.segment_count()));
                }
            }
            let column = serde_json::json!({
                "universe": {"customers": customers, "fingerprint": fingerprint},
                "values": labels,
            });
            if let Ok(c) = serde_json::from_value::<PerCustomer<usize>>(column) {
                prop_assert_eq!(c.len() as u64, customers);
            }
        }
    }
}
