//! Cohort benches: the monthly logo-retention matrix over dense customer ids (the peer
//! benchmark's `cohort` workload, which `examples/bench_peers.rs` runs beside pandas, polars and
//! DuckDB), and Kaplan-Meier plus a log-rank test.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams, Windows};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::random::SeededRng;
use saas_segmentation::survival::{logrank_test, KaplanMeierParams, SurvivalGroup, Weighting};
use saas_segmentation::{CustomerId, Date, Period};

/// The dense id at position `i`.
fn dense_id(i: usize) -> CustomerId {
    saas_segmentation::ids::DenseCustomers::new(u32::MAX as usize)
        .id(i)
        .expect("in range")
}

type Log = (Vec<(CustomerId, Date)>, Vec<(CustomerId, Date)>);

/// `customers` signups over two years and `rows` activity days after them, up to three years.
fn log(rows: usize, customers: usize) -> Log {
    let mut rng = SeededRng::new(20_261_123);
    let epoch = Date::from_ymd(2020, 1, 1).expect("valid date");
    let signup: Vec<i64> = (0..customers).map(|_| rng.below(730) as i64).collect();
    let signups = signup
        .iter()
        .enumerate()
        .map(|(i, &d)| (dense_id(i), epoch.add_days(d).expect("in range")))
        .collect();
    let events = (0..rows)
        .map(|_| {
            let c = rng.below(customers as u64) as usize;
            let room = 1095 - signup[c];
            let day = signup[c]
                + (rng.below(room as u64 + 1) as i64).min(rng.below(room as u64 + 1) as i64);
            (dense_id(c), epoch.add_days(day).expect("in range"))
        })
        .collect();
    (signups, events)
}

fn retention(c: &mut Criterion) {
    let mut group = c.benchmark_group("cohort/retention_matrix");
    group.sample_size(10);
    let analysis = Date::from_ymd(2022, 12, 31).expect("valid date");
    let params = RetentionParams::new(analysis);
    for &(rows, customers) in &[(1_000_000usize, 100_000usize), (10_000_000, 1_000_000)] {
        let (signups, events) = log(rows, customers);
        let lookup = DenseCustomers::new(customers);
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(
            BenchmarkId::new("monthly", format!("{rows}_rows")),
            &(signups, events),
            |b, (signups, events)| {
                b.iter(|| {
                    let cohorts =
                        Cohorts::by_signup(&lookup, signups, Grid::Calendar(Period::Month))
                            .expect("valid");
                    let matrix = RetentionMatrix::compute(
                        &lookup,
                        &cohorts,
                        events,
                        &params
                            .clone()
                            .windows(Windows::Grid(Grid::Calendar(Period::Month))),
                    )
                    .expect("valid");
                    black_box(matrix.average())
                })
            },
        );
    }
    group.finish();
}

fn survival(c: &mut Criterion) {
    let mut group = c.benchmark_group("cohort/survival");
    let mut rng = SeededRng::new(7);
    for &n in &[10_000usize, 1_000_000] {
        let durations: Vec<f64> = (0..n).map(|_| rng.below(36) as f64 + 1.0).collect();
        let observed: Vec<bool> = (0..n).map(|_| rng.bernoulli(0.6)).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("kaplan_meier", n), &n, |b, _| {
            b.iter(|| {
                black_box(
                    KaplanMeierParams::new()
                        .fit(&durations, &observed)
                        .expect("fit"),
                )
            })
        });
        let half = n / 2;
        group.bench_with_input(BenchmarkId::new("logrank_2", n), &n, |b, _| {
            b.iter(|| {
                let groups = [
                    SurvivalGroup::new(&durations[..half], &observed[..half]),
                    SurvivalGroup::new(&durations[half..], &observed[half..]),
                ];
                black_box(logrank_test(&groups, Weighting::LogRank).expect("test"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, retention, survival);
criterion_main!(benches);
