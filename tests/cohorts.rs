//! Cohort retention against pandas pivots (fixtures from `tests/fixtures/generate.py`).

mod common;
use common::cid;

use common::{assert_close, fixture};
use saas_segmentation::cohort::{
    lifecycle, ActivityParams, Cohorts, Grid, OutOfWindow, RetentionCounts, RetentionMatrix,
    RetentionMode, RetentionParams, RevenueRetention, Windows,
};
use saas_segmentation::economics::MrrParams;
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::records::MrrRecord;
use saas_segmentation::{CustomerId, Date, Error, Period};
use serde_json::Value;

struct Log {
    analysis: Date,
    signups: Vec<(CustomerId, Date)>,
    events: Vec<(CustomerId, Date)>,
}

fn date(v: &Value) -> Date {
    v.as_str().expect("date").parse().expect("ISO date")
}

fn pairs(v: &Value) -> Vec<(CustomerId, Date)> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| (cid(r[0].as_u64().expect("id") as u32), date(&r[1])))
        .collect()
}

fn log(f: &Value) -> Log {
    Log {
        analysis: date(&f["analysis"]),
        signups: pairs(&f["signups"]),
        events: pairs(&f["events"]),
    }
}

fn assert_rates(actual: &[Vec<Option<f64>>], expected: &Value, what: &str) {
    let expected = expected.as_array().expect("rows");
    assert_eq!(actual.len(), expected.len(), "{what}: cohorts");
    for (c, (row, want)) in actual.iter().zip(expected).enumerate() {
        let want = want.as_array().expect("row");
        assert_eq!(row.len(), want.len(), "{what}: periods of cohort {c}");
        for (p, (got, w)) in row.iter().zip(want).enumerate() {
            match (got, w.as_f64()) {
                (Some(g), Some(w)) => assert_close(*g, w, &format!("{what} [{c}, {p}]")),
                (None, None) => {}
                (g, w) => panic!("{what} [{c}, {p}]: got {g:?}, expected {w:?}"),
            }
        }
    }
}

#[test]
fn calendar_matrices_match_pandas() {
    let f = fixture("cohorts.json");
    let log = log(&f);
    let lookup = DenseCustomers::new(log.signups.len());
    let cohorts =
        Cohorts::by_signup(&lookup, &log.signups, Grid::Calendar(Period::Month)).expect("cohorts");
    let labels: Vec<String> = f["recurring"]["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().expect("label").to_owned())
        .collect();
    assert_eq!(cohorts.labels(), labels.as_slice());
    let params = RetentionParams::new(log.analysis);
    for (mode, key) in [
        (RetentionMode::Recurring, "recurring"),
        (RetentionMode::Unbounded, "unbounded"),
        (RetentionMode::FirstTime, "first_time"),
    ] {
        let matrix =
            RetentionMatrix::compute(&lookup, &cohorts, &log.events, &params.clone().mode(mode))
                .expect("matrix");
        assert_rates(&matrix.rates(), &f[key]["rates"], key);
        assert_eq!(matrix.mode(), mode);
        // Counts of one scan give every mode, and counts under two modes still merge.
        let mut counts = RetentionCounts::new(&cohorts, &params).expect("counts");
        counts.add(&lookup, &log.events).expect("add");
        assert_eq!(counts.matrix(mode), matrix);
        let other = RetentionCounts::new(&cohorts, &params.clone().mode(mode)).expect("counts");
        assert!(counts.merge(&other).is_ok());
    }
}

#[test]
fn rolling_windows_match_pandas() {
    let f = fixture("cohorts.json");
    let log = log(&f);
    let lookup = DenseCustomers::new(log.signups.len());
    let cohorts =
        Cohorts::by_signup(&lookup, &log.signups, Grid::Calendar(Period::Month)).expect("cohorts");
    let params = RetentionParams::new(log.analysis).windows(Windows::Rolling { days: 30 });
    let matrix = RetentionMatrix::compute(&lookup, &cohorts, &log.events, &params).expect("matrix");
    assert_rates(&matrix.rates(), &f["rolling"]["rates"], "rolling 30");
    assert_rates(
        &[matrix.average()],
        &Value::Array(vec![f["rolling"]["average"].clone()]),
        "average",
    );
}

#[test]
fn merged_chunks_equal_one_pass() {
    let f = fixture("cohorts.json");
    let log = log(&f);
    let lookup = DenseCustomers::new(log.signups.len());
    let cohorts = Cohorts::by_signup(&lookup, &log.signups, Grid::Calendar(Period::Quarter))
        .expect("cohorts");
    let params = RetentionParams::new(log.analysis).windows(Windows::Brackets(vec![
        (0, 0),
        (1, 7),
        (8, 30),
        (31, 90),
        (91, 365),
    ]));
    let mut whole = RetentionCounts::new(&cohorts, &params).expect("counts");
    whole.add(&lookup, &log.events).expect("add");
    let (left, right) = log.events.split_at(log.events.len() / 3);
    let mut a = RetentionCounts::new(&cohorts, &params).expect("counts");
    let mut b = a.clone();
    a.add(&lookup, right).expect("add");
    b.add(&lookup, left).expect("add");
    a.merge(&b).expect("merge");
    for mode in [
        RetentionMode::Recurring,
        RetentionMode::Unbounded,
        RetentionMode::FirstTime,
    ] {
        assert_eq!(a.matrix(mode), whole.matrix(mode));
    }
    assert_eq!(a.report(), whole.report());
}

#[test]
fn a_failed_add_leaves_the_counts_unchanged() {
    let f = fixture("cohorts.json");
    let log = log(&f);
    let lookup = DenseCustomers::new(log.signups.len());
    let cohorts =
        Cohorts::by_signup(&lookup, &log.signups, Grid::Calendar(Period::Month)).expect("cohorts");
    let params = RetentionParams::new(log.analysis);
    let mut bad = log.events.clone();
    bad.push((cid(0), Date::from_ymd(2099, 1, 1).expect("date")));
    // Nothing added yet: the scan runs in place and must be undone.
    let mut fresh = RetentionCounts::new(&cohorts, &params).expect("counts");
    let empty = fresh.clone();
    assert!(fresh.add(&lookup, &bad).is_err());
    assert_eq!(fresh, empty);
    // After a good chunk: the failed chunk must not show.
    let (left, _) = log.events.split_at(log.events.len() / 2);
    let mut counts = RetentionCounts::new(&cohorts, &params).expect("counts");
    counts.add(&lookup, left).expect("add");
    let before = counts.clone();
    assert!(counts.add(&lookup, &bad).is_err());
    assert_eq!(counts, before);
}

#[test]
fn revenue_retention_matches_pandas() {
    let f = fixture("cohorts.json");
    let analysis = date(&f["analysis"]);
    let records: Vec<MrrRecord<u32>> = f["mrr"]
        .as_array()
        .expect("mrr")
        .iter()
        .map(|r| {
            MrrRecord::new(
                r[0].as_u64().expect("id") as u32,
                date(&r[1]),
                r[2].as_f64().expect("mrr"),
            )
        })
        .collect();
    let index = saas_segmentation::CustomerIndex::from_keys(0u32..120).expect("index");
    let revenue = RevenueRetention::compute(&index, &records, &MrrParams::new(analysis), None)
        .expect("revenue");
    let labels: Vec<&str> = f["revenue"]["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().expect("label"))
        .collect();
    assert_eq!(revenue.labels(), labels.as_slice());
    let table = |net: bool| -> Vec<Vec<Option<f64>>> {
        (0..revenue.labels().len())
            .map(|c| {
                (0..revenue.months())
                    .map(|m| {
                        if net {
                            revenue.net(c, m)
                        } else {
                            revenue.gross(c, m)
                        }
                    })
                    .collect()
            })
            .collect()
    };
    assert_rates(&table(true), &f["revenue"]["net"], "NRR");
    assert_rates(&table(false), &f["revenue"]["gross"], "GRR");
}

#[test]
fn lifecycle_matches_pandas() {
    let f = fixture("cohorts.json");
    let log = log(&f);
    let lookup = DenseCustomers::new(log.signups.len());
    let periods = lifecycle(
        &lookup,
        &log.events,
        &ActivityParams::new(log.analysis).grid(Grid::Calendar(Period::Month)),
    )
    .expect("ok");
    let expected = f["lifecycle"].as_array().expect("lifecycle");
    assert_eq!(periods.len(), expected.len());
    for (got, want) in periods.iter().zip(expected) {
        assert_eq!(got.label, want["label"].as_str().expect("label"));
        let counts = [got.new, got.returning, got.resurrecting, got.dormant];
        let want: Vec<u64> = ["new", "returning", "resurrecting", "dormant"]
            .iter()
            .map(|k| want[*k].as_u64().expect("count"))
            .collect();
        assert_eq!(counts.as_slice(), want.as_slice(), "{}", got.label);
    }
}

#[test]
fn bad_cohort_input_is_named() {
    let d = |s: &str| s.parse::<Date>().expect("date");
    let lookup = DenseCustomers::new(2);
    let signups = [(cid(0), d("2024-01-10")), (cid(1), d("2024-02-01"))];
    let cohorts = Cohorts::by_signup(&lookup, &signups, Grid::Calendar(Period::Month)).expect("ok");
    let params = RetentionParams::new(d("2024-03-31"));
    let compute = |events: &[(CustomerId, Date)], params: &RetentionParams| {
        RetentionMatrix::compute(&lookup, &cohorts, events, params)
    };
    let before = [(cid(0), d("2024-01-09"))];
    assert!(matches!(
        compute(&before, &params),
        Err(Error::OutOfRange { .. })
    ));
    let dropped = compute(&before, &params.clone().before_signup(OutOfWindow::Drop)).expect("drop");
    assert_eq!(dropped.rate(0, 0), Some(1.0));
    let future = [(cid(1), d("2024-04-01"))];
    assert!(matches!(
        compute(&future, &params),
        Err(Error::OutOfRange { .. })
    ));
    let unknown = [(cid(5), d("2024-02-01"))];
    assert!(matches!(
        compute(&unknown, &params),
        Err(Error::UnknownCustomer { .. })
    ));
    let twice = [(cid(0), d("2024-01-10")), (cid(0), d("2024-01-11"))];
    assert!(matches!(
        Cohorts::by_signup(&lookup, &twice, Grid::Calendar(Period::Month)),
        Err(Error::DuplicateName { .. })
    ));
    let none: [(CustomerId, Date); 0] = [];
    assert!(matches!(
        Cohorts::by_signup(&lookup, &none, Grid::Calendar(Period::Month)),
        Err(Error::EmptyInput { .. })
    ));
    let zero = Grid::Days {
        length: 0,
        origin: d("2024-01-01"),
    };
    assert!(matches!(
        Cohorts::by_signup(&lookup, &signups, zero),
        Err(Error::InvalidParameter { .. })
    ));
    let bad = params
        .clone()
        .windows(Windows::Brackets(vec![(0, 7), (5, 9)]));
    assert!(matches!(
        compute(&[], &bad),
        Err(Error::InvalidParameter { .. })
    ));
    let index = saas_segmentation::CustomerIndex::from_keys(["a"]).expect("index");
    let m = d("2024-01-01");
    let negative = [MrrRecord::new("a", m, -5.0)];
    assert!(matches!(
        RevenueRetention::compute(&index, &negative, &MrrParams::new(m), None),
        Err(Error::OutOfRange { .. })
    ));
    let zeroed = MrrParams::new(m).credits(saas_segmentation::economics::CreditPolicy::Zero);
    assert!(RevenueRetention::compute(&index, &negative, &zeroed, None).is_ok());
    let duplicate = [
        MrrRecord::new("a", m, 5.0),
        MrrRecord::new("a", d("2024-01-15"), 6.0),
    ];
    assert!(matches!(
        RevenueRetention::compute(&index, &duplicate, &MrrParams::new(m), None),
        Err(Error::DuplicateName { .. })
    ));
}

/// Large enough for the `parallel` feature's chunked scan: it must equal the serial counts and
/// name the same first bad record.
#[test]
fn chunked_scan_equals_serial_counts() {
    let start = Date::from_ymd(2023, 1, 1).expect("date");
    let n = 5_000u32;
    let signups: Vec<(CustomerId, Date)> = (0..n)
        .map(|c| (cid(c), start.add_days(i64::from(c % 300)).expect("date")))
        .collect();
    let mut events: Vec<(CustomerId, Date)> = (0..(1u32 << 20) + 1000)
        .map(|i| {
            let c = i.wrapping_mul(2_654_435_761) % n;
            let offset = i64::from(i % 97) * 3;
            (
                cid(c),
                start.add_days(i64::from(c % 300) + offset).expect("date"),
            )
        })
        .collect();
    let lookup = DenseCustomers::new(n as usize);
    let cohorts = Cohorts::by_signup(&lookup, &signups, Grid::Calendar(Period::Month)).expect("ok");
    let params = RetentionParams::new(Date::from_ymd(2025, 6, 30).expect("date"));
    let one = RetentionMatrix::compute(&lookup, &cohorts, &events, &params).expect("matrix");
    let mut serial = RetentionCounts::new(&cohorts, &params).expect("counts");
    serial.add(&lookup, &events).expect("add");
    assert_eq!(one, serial.matrix(RetentionMode::Recurring));
    let bad = events.len() - 10;
    events[bad].1 = Date::from_ymd(2026, 1, 1).expect("date");
    let error = RetentionMatrix::compute(&lookup, &cohorts, &events, &params)
        .expect_err("after the analysis date");
    assert!(
        error.to_string().contains(&format!("activity row {bad} ")),
        "{error}"
    );
    // Two bad rows of customers at both ends of the id range (other threads, when there are
    // several): the earlier row is named, whichever thread meets it.
    let late = events.len() - 5;
    let early = (0..events.len())
        .find(|&i| events[i].0.get() >= n - 10)
        .expect("a high id");
    let low = (0..events.len())
        .rev()
        .find(|&i| events[i].0.get() < 10 && i > early)
        .expect("a low id");
    for &i in &[late, early, low] {
        events[i].1 = Date::from_ymd(2026, 1, 1).expect("date");
    }
    let error = RetentionMatrix::compute(&lookup, &cohorts, &events, &params)
        .expect_err("after the analysis date");
    assert!(
        error
            .to_string()
            .contains(&format!("activity row {early} ")),
        "{error}"
    );
}

/// The keyed parallel scan resolves each chunk's keys once: it must equal the dense-id counts,
/// count unknown customers as the serial pass does, and name a bad record by its key.
#[test]
fn keyed_chunked_scan_equals_the_dense_counts() {
    let start = Date::from_ymd(2023, 1, 1).expect("date");
    let n = 5_000u32;
    let key = |c: u32| u64::from(c) * 7_919 + 13;
    let signups: Vec<(u64, Date)> = (0..n)
        .rev()
        .map(|c| (key(c), start.add_days(i64::from(c % 300)).expect("date")))
        .collect();
    let mut events: Vec<(u64, Date)> = (0..(1u32 << 21) + 1000)
        .map(|i| {
            let c = i.wrapping_mul(2_654_435_761) % n;
            let offset = i64::from(i % 97) * 3;
            (
                key(c),
                start.add_days(i64::from(c % 300) + offset).expect("date"),
            )
        })
        .collect();
    // Keys in reverse order of first appearance: ids differ from key order.
    let index =
        saas_segmentation::CustomerIndex::from_keys(signups.iter().map(|s| s.0)).expect("index");
    let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month)).expect("ok");
    let params = RetentionParams::new(Date::from_ymd(2025, 6, 30).expect("date"));
    let keyed = RetentionMatrix::compute(&index, &cohorts, &events, &params).expect("matrix");
    let mut serial = RetentionCounts::new(&cohorts, &params).expect("counts");
    for chunk in events.chunks(1 << 16) {
        serial.add(&index, chunk).expect("add");
    }
    assert_eq!(keyed, serial.matrix(RetentionMode::Recurring));

    // An unknown customer in the second chunk, dropped and counted.
    events[(1 << 20) + 5].0 = 1;
    let dropping = params.clone().unknown_customers(OutOfWindow::Drop);
    let keyed = RetentionMatrix::compute(&index, &cohorts, &events, &dropping).expect("matrix");
    assert_eq!(keyed.report().unknown_customers, 1);
    let mut serial = RetentionCounts::new(&cohorts, &dropping).expect("counts");
    serial.add(&index, &events).expect("add");
    assert_eq!(keyed, serial.matrix(RetentionMode::Recurring));
    let error =
        RetentionMatrix::compute(&index, &cohorts, &events, &params).expect_err("unknown customer");
    assert!(error.to_string().contains('1'), "{error}");

    // A record after the analysis date is named by its row and its key.
    events[(1 << 20) + 5].0 = key(3);
    let bad = events.len() - 10;
    events[bad].1 = Date::from_ymd(2026, 1, 1).expect("date");
    let error = RetentionMatrix::compute(&index, &cohorts, &events, &params)
        .expect_err("after the analysis date");
    let text = error.to_string();
    assert!(text.contains(&format!("activity row {bad} ")), "{text}");
    assert!(text.contains(&events[bad].0.to_string()), "{text}");
}
