//! Retention counts, contingency tables and Lloyd steps through DataFusion equal the in-memory
//! path exactly: several partitions (one empty, one customer in every partition), text and
//! integer keys, a customer index whose order differs from key order; nulls, unknown customers
//! and damaged states are refused with the row named.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use saas_segmentation::cluster::LloydStep;
use saas_segmentation::cohort::{Cohorts, Grid, RetentionCounts, RetentionMode, RetentionParams};
use saas_segmentation::ndarray::{array, Array2};
use saas_segmentation::validate::Contingency;
use saas_segmentation::{CustomerIndex, Date, Period};
use saas_segmentation_datafusion::{
    contingency, contingency_udaf, kmeans_lloyd, lloyd_step, retention_counts, retention_udaf, Keys,
};

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 16
}

/// 60 customers keyed `k59 .. k0` (index order is the reverse of key order), signups over
/// five months, activity after each signup; customer `k7` has a row in every partition.
type Log = Vec<(String, Date)>;

fn log() -> (Log, Log) {
    let start = Date::from_ymd(2024, 1, 1).unwrap();
    let mut state = 5;
    let signups: Vec<(String, Date)> = (0..60)
        .rev()
        .map(|c| {
            (
                format!("k{c}"),
                start.add_days((lcg(&mut state) % 150) as i64).unwrap(),
            )
        })
        .collect();
    let mut events = Vec::new();
    for i in 0..900 {
        let (key, signup) = if i % 5 == 0 {
            signups.iter().find(|(k, _)| k == "k7").unwrap().clone()
        } else {
            signups[(lcg(&mut state) % 60) as usize].clone()
        };
        let day = signup.add_days((lcg(&mut state) % 200) as i64).unwrap();
        events.push((key, day));
    }
    (signups, events)
}

fn table(columns: Vec<(&str, ArrayRef)>, partitions: usize) -> Arc<MemTable> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let n = batch.num_rows();
    let mut parts: Vec<Vec<RecordBatch>> = vec![vec![]];
    let chunk = n.div_ceil(partitions - 1).max(1);
    let mut at = 0;
    while at < n {
        let len = chunk.min(n - at);
        parts.push(vec![batch.slice(at, len)]);
        at += len;
    }
    Arc::new(MemTable::try_new(schema, parts).unwrap())
}

fn days(values: impl Iterator<Item = Date>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(values.map(|d| d.days())))
}

fn params() -> RetentionParams {
    RetentionParams::new(Date::from_ymd(2024, 12, 31).unwrap())
}

#[tokio::test]
async fn retention_counts_equal_the_in_memory_counts_for_text_and_integer_keys() {
    let (signups, events) = log();
    let index = CustomerIndex::from_keys(signups.iter().map(|s| s.0.clone())).unwrap();
    let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month)).unwrap();
    let mut expected = RetentionCounts::new(&cohorts, &params()).unwrap();
    expected.add(&index, &events).unwrap();

    // Text keys.
    let ctx = SessionContext::new();
    let keys: ArrayRef = Arc::new(StringArray::from_iter_values(events.iter().map(|e| &e.0)));
    ctx.register_table(
        "activity",
        table(
            vec![
                ("customer_id", keys),
                ("day", days(events.iter().map(|e| e.1))),
            ],
            4,
        ),
    )
    .unwrap();
    ctx.register_udaf(retention_udaf(&cohorts, &Keys::from(index.clone()), &params()).unwrap());
    let counts = retention_counts(&ctx, "activity").await.unwrap();
    assert_eq!(counts, expected);
    for mode in [
        RetentionMode::Recurring,
        RetentionMode::Unbounded,
        RetentionMode::FirstTime,
    ] {
        assert_eq!(counts.matrix(mode), expected.matrix(mode));
    }

    // Integer keys: the same customers as numbers.
    let number = |k: &str| k.trim_start_matches('k').parse::<i64>().unwrap();
    let int_index = CustomerIndex::from_keys(signups.iter().map(|s| number(&s.0))).unwrap();
    let int_signups: Vec<(i64, Date)> = signups.iter().map(|s| (number(&s.0), s.1)).collect();
    let int_events: Vec<(i64, Date)> = events.iter().map(|e| (number(&e.0), e.1)).collect();
    let int_cohorts =
        Cohorts::by_signup(&int_index, &int_signups, Grid::Calendar(Period::Month)).unwrap();
    let mut int_expected = RetentionCounts::new(&int_cohorts, &params()).unwrap();
    int_expected.add(&int_index, &int_events).unwrap();
    let ctx = SessionContext::new();
    let keys: ArrayRef = Arc::new(Int64Array::from_iter_values(int_events.iter().map(|e| e.0)));
    ctx.register_table(
        "activity",
        table(
            vec![
                ("customer_id", keys),
                ("day", days(int_events.iter().map(|e| e.1))),
            ],
            3,
        ),
    )
    .unwrap();
    ctx.register_udaf(retention_udaf(&int_cohorts, &Keys::from(int_index), &params()).unwrap());
    let counts = retention_counts(&ctx, "activity").await.unwrap();
    assert_eq!(counts, int_expected);
    assert_eq!(
        counts.matrix(RetentionMode::Recurring).rates(),
        expected.matrix(RetentionMode::Recurring).rates()
    );
}

#[tokio::test]
async fn retention_refuses_unknown_customers_and_nulls_and_keeps_empty_tables() {
    let (signups, _) = log();
    let index = CustomerIndex::from_keys(signups.iter().map(|s| s.0.clone())).unwrap();
    let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month)).unwrap();
    let udaf = retention_udaf(&cohorts, &Keys::from(index.clone()), &params()).unwrap();
    let day = Date::from_ymd(2024, 7, 1).unwrap();

    let ctx = SessionContext::new();
    ctx.register_udaf(udaf.clone());
    let keys: ArrayRef = Arc::new(StringArray::from(vec![Some("k1"), Some("stranger")]));
    ctx.register_table(
        "a",
        table(
            vec![("customer_id", keys), ("day", days([day, day].into_iter()))],
            2,
        ),
    )
    .unwrap();
    let err = retention_counts(&ctx, "a").await.unwrap_err().to_string();
    assert!(
        err.contains("\"stranger\"") && err.contains("row 1"),
        "{err}"
    );

    let ctx = SessionContext::new();
    ctx.register_udaf(udaf.clone());
    let keys: ArrayRef = Arc::new(StringArray::from(vec![None::<&str>]));
    ctx.register_table(
        "a",
        table(
            vec![("customer_id", keys), ("day", days([day].into_iter()))],
            2,
        ),
    )
    .unwrap();
    let err = retention_counts(&ctx, "a").await.unwrap_err().to_string();
    assert!(err.contains("null customer"), "{err}");

    // No rows at all: the counts of no activity.
    let ctx = SessionContext::new();
    ctx.register_udaf(udaf);
    let keys: ArrayRef = Arc::new(StringArray::from(Vec::<&str>::new()));
    ctx.register_table(
        "a",
        table(
            vec![("customer_id", keys), ("day", days([].into_iter()))],
            2,
        ),
    )
    .unwrap();
    let counts = retention_counts(&ctx, "a").await.unwrap();
    assert_eq!(counts, RetentionCounts::new(&cohorts, &params()).unwrap());
}

#[tokio::test]
async fn contingency_tables_equal_the_in_memory_table() {
    let mut state = 3;
    let n = 500;
    let classes: Vec<usize> = (0..n).map(|_| (lcg(&mut state) % 5) as usize).collect();
    let clusters: Vec<usize> = classes
        .iter()
        .map(|&c| {
            if lcg(&mut state).is_multiple_of(4) {
                9
            } else {
                c * 2
            }
        })
        .collect();
    let expected = Contingency::new(&classes, &clusters).unwrap();
    let ctx = SessionContext::new();
    ctx.register_udaf(contingency_udaf());
    let col = |v: &[usize]| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(v.iter().map(|&x| x as i64)))
    };
    ctx.register_table(
        "labels",
        table(
            vec![("segment", col(&classes)), ("cluster", col(&clusters))],
            5,
        ),
    )
    .unwrap();
    let table = contingency(&ctx, "labels", "segment", "cluster")
        .await
        .unwrap();
    assert_eq!(table, expected);
    assert_eq!(table.adjusted_rand(), expected.adjusted_rand());

    // Negative labels and empty tables are errors.
    let ctx = SessionContext::new();
    ctx.register_udaf(contingency_udaf());
    let neg: ArrayRef = Arc::new(Int64Array::from(vec![1, -2]));
    let pos: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    ctx.register_table("l", super_table(neg, pos)).unwrap();
    let err = contingency(&ctx, "l", "a", "b")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1") && err.contains("-2"), "{err}");
    let ctx = SessionContext::new();
    ctx.register_udaf(contingency_udaf());
    let e: ArrayRef = Arc::new(Int64Array::from(Vec::<i64>::new()));
    ctx.register_table("l", super_table(e.clone(), e)).unwrap();
    assert!(contingency(&ctx, "l", "a", "b").await.is_err());
}

fn super_table(a: ArrayRef, b: ArrayRef) -> Arc<MemTable> {
    table(vec![("a", a), ("b", b)], 2)
}

#[tokio::test]
async fn lloyd_steps_equal_the_in_memory_step_bit_for_bit() {
    let mut state = 9;
    let n = 2000;
    let x = Array2::from_shape_fn((n, 3), |(i, f)| {
        (i % 4) as f64 * 3.0 + f as f64 + (lcg(&mut state) % 1000) as f64 / 997.0
    });
    let start = array![
        [0.0, 1.0, 2.0],
        [3.0, 4.0, 5.0],
        [6.0, 7.0, 8.0],
        [20.0, 20.0, 20.0]
    ];
    let mut expected = LloydStep::new(start.view()).unwrap();
    expected.add(x.view()).unwrap();

    let ctx = SessionContext::new();
    let col = |f: usize| -> ArrayRef { Arc::new(Float64Array::from(x.column(f).to_vec())) };
    ctx.register_table(
        "features",
        table(vec![("a", col(0)), ("b", col(1)), ("c", col(2))], 6),
    )
    .unwrap();
    let step = lloyd_step(&ctx, "features", &["a", "b", "c"], start.view())
        .await
        .unwrap();
    assert_eq!(step.counts(), expected.counts());
    let (got, want) = (step.centroids().unwrap(), expected.centroids().unwrap());
    assert!(got
        .iter()
        .zip(&want)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(
        step.inertia().unwrap().to_bits(),
        expected.inertia().unwrap().to_bits()
    );

    // Iterated to convergence: each step equals the in-memory step from the same centroids.
    let fitted = kmeans_lloyd(&ctx, "features", &["a", "b", "c"], start.view(), 50, 0.0)
        .await
        .unwrap();
    let mut centroids = start.clone();
    loop {
        let mut s = LloydStep::new(centroids.view()).unwrap();
        s.add(x.view()).unwrap();
        let moved = s.centroids().unwrap();
        if moved == centroids {
            break;
        }
        centroids = moved;
    }
    assert_eq!(fitted.centroids().unwrap(), centroids);

    // Wrong arity and nulls are refused.
    assert!(lloyd_step(&ctx, "features", &["a", "b"], start.view())
        .await
        .is_err());
    let ctx = SessionContext::new();
    let with_null: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), None]));
    ctx.register_table("f", table(vec![("a", with_null)], 2))
        .unwrap();
    let err = lloyd_step(&ctx, "f", &["a"], array![[0.0]].view())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("null"), "{err}");
}

#[tokio::test]
async fn behaviour_equals_derive_behaviour() {
    use saas_segmentation::activity::{
        derive_behaviour, Activity, ActivityEvent, BehaviourConfig, UsageBasis,
    };
    use saas_segmentation_datafusion::{behaviour, behaviour_udaf};
    let start = Date::from_ymd(2024, 3, 1).unwrap();
    let config = BehaviourConfig::new(start, Date::from_ymd(2024, 4, 30).unwrap())
        .unwrap()
        .core_features(vec!["reports".into(), "alerts".into()])
        .key_workflows(vec!["invite".into()])
        .usage(UsageBasis::AllEvents);
    let mut state = 21;
    let names = ["reports", "alerts", "export", "invite", "billing"];
    let mut log = Vec::new();
    for i in 0..800u64 {
        let customer = if i % 9 == 0 {
            "k7".to_owned()
        } else {
            format!("k{}", lcg(&mut state) % 30)
        };
        let day = Date::from_ymd(2024, 2, 20)
            .unwrap()
            .add_days((lcg(&mut state) % 80) as i64)
            .unwrap();
        let name = names[(lcg(&mut state) % 5) as usize].to_owned();
        let event = match lcg(&mut state) % 3 {
            0 => ActivityEvent::Login,
            1 => ActivityEvent::Feature(name),
            _ => ActivityEvent::Workflow(name),
        };
        let mut a = Activity::new(customer, day, event).with_count((lcg(&mut state) % 4) as u32);
        if lcg(&mut state).is_multiple_of(2) {
            a = a.with_duration((lcg(&mut state) % 1000) as f64 / 7.0);
        }
        log.push(a);
    }
    // Index order differs from key order; k40 has no activity.
    let mut keys: Vec<String> = (0..30).rev().map(|c| format!("k{c}")).collect();
    keys.push("k40".into());
    let index = CustomerIndex::from_keys(keys).unwrap();
    let expected = derive_behaviour(&index, &log, &config).unwrap();

    let kind = |e: &ActivityEvent<String>| match e {
        ActivityEvent::Login => ("login", None),
        ActivityEvent::Feature(f) => ("feature", Some(f.clone())),
        ActivityEvent::Workflow(w) => ("workflow", Some(w.clone())),
    };
    let ctx = SessionContext::new();
    ctx.register_table(
        "activity",
        table(
            vec![
                (
                    "customer_id",
                    Arc::new(StringArray::from_iter_values(
                        log.iter().map(|a| &a.customer),
                    )) as ArrayRef,
                ),
                ("day", days(log.iter().map(|a| a.date))),
                (
                    "kind",
                    Arc::new(StringArray::from_iter_values(
                        log.iter().map(|a| kind(&a.event).0),
                    )),
                ),
                (
                    "name",
                    Arc::new(StringArray::from(
                        log.iter().map(|a| kind(&a.event).1).collect::<Vec<_>>(),
                    )),
                ),
                (
                    "count",
                    Arc::new(Int64Array::from_iter_values(
                        log.iter().map(|a| i64::from(a.count)),
                    )),
                ),
                (
                    "minutes",
                    Arc::new(Float64Array::from(
                        log.iter().map(|a| a.duration_minutes).collect::<Vec<_>>(),
                    )),
                ),
            ],
            4,
        ),
    )
    .unwrap();
    ctx.register_udaf(behaviour_udaf(&config));
    let got = behaviour(&ctx, "activity", &index, &config).await.unwrap();
    assert_eq!(got, expected);

    // An unknown kind is refused with the row named.
    let ctx = SessionContext::new();
    ctx.sql("CREATE TABLE a (customer_id VARCHAR, day DATE, kind VARCHAR, name VARCHAR, count BIGINT, minutes DOUBLE) AS VALUES ('k1', DATE '2024-03-02', 'click', 'x', 1, NULL)")
        .await
        .unwrap();
    ctx.register_udaf(behaviour_udaf(&config));
    let e = behaviour(&ctx, "a", &index, &config)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"click\"") && e.contains("row 0"), "{e}");
}
