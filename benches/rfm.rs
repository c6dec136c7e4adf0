//! RFM benches: summary plus quintile scores over sparse u32 customer ids, as the peer
//! benchmark's `rfm` workload (`examples/bench_peers.rs` runs that one beside pandas, polars
//! and DuckDB).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use saas_segmentation::random::SeededRng;
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{Binning, RecencyBasis, RfmParams, RfmScores, RfmTable, ScoreParams};
use saas_segmentation::{CustomerId, CustomerIndex, Date};

/// `rows` transactions over `customers` sparse random u32 ids, skewed activity, 2% refunds,
/// ordered by day over three years.
fn log(rows: usize, customers: usize) -> Vec<Transaction<u32>> {
    let mut rng = SeededRng::new(20_260_101);
    let ids: Vec<u32> = (0..customers)
        .map(|_| (rng.next_u64() as u32) | 1)
        .collect();
    let epoch = Date::from_ymd(2020, 1, 1).expect("valid date");
    (0..rows)
        .map(|i| {
            // Skew: a quarter of the rows go to a twentieth of the customers.
            let pool = if rng.bernoulli(0.25) {
                customers / 20
            } else {
                customers
            };
            let customer = ids[rng.below(pool as u64) as usize];
            let mut amount = (rng.lognormal(3.5, 1.0) * 100.0).round() / 100.0;
            if rng.bernoulli(0.02) {
                amount = -amount;
            }
            let day = (i * 1096 / rows) as i64;
            Transaction::new(customer, epoch.add_days(day).expect("in range"), amount)
        })
        .collect()
}

fn rfm(c: &mut Criterion) {
    let mut group = c.benchmark_group("rfm/summary_and_scores");
    group.sample_size(10);
    let analysis = Date::from_ymd(2023, 1, 1).expect("valid date");
    let params = RfmParams::new(analysis).recency(RecencyBasis::LastTransaction);
    let scoring = ScoreParams::uniform(Binning::RankFirst { bins: 5 });
    for &(rows, customers) in &[(1_000_000usize, 100_000usize), (10_000_000, 1_000_000)] {
        let transactions = log(rows, customers);
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(
            BenchmarkId::new("rank_first", format!("{rows}_rows")),
            &transactions,
            |b, tx| {
                b.iter(|| {
                    let table = RfmTable::from_transactions(tx, &params).expect("valid");
                    black_box(RfmScores::new(&table, &scoring).expect("valid").len())
                })
            },
        );
        // The same log with ids interned once, before the clock starts (DESIGN.md section 2):
        // ids in order of first appearance, then ids that follow key order
        // (`sorted_from_keys`: the table needs no sort).
        let keys = || transactions.iter().map(|t| t.customer);
        for (name, index) in [
            ("rank_first_interned", CustomerIndex::from_keys(keys())),
            (
                "rank_first_interned_key_order",
                CustomerIndex::sorted_from_keys(keys()),
            ),
        ] {
            let index = index.expect("index");
            let interned: Vec<Transaction<CustomerId>> = transactions
                .iter()
                .map(|t| Transaction::new(index.get(&t.customer).expect("known"), t.date, t.amount))
                .collect();
            group.bench_with_input(
                BenchmarkId::new(name, format!("{rows}_rows")),
                &interned,
                |b, tx| {
                    b.iter(|| {
                        let table = RfmTable::from_interned(tx, &index, &params).expect("valid");
                        black_box(RfmScores::new(&table, &scoring).expect("valid").len())
                    })
                },
            );
        }
    }
    group.finish();
}

/// Scoring alone, per binning, over the table of the large log.
fn scores(c: &mut Criterion) {
    let mut group = c.benchmark_group("rfm/scores");
    group.sample_size(10);
    let analysis = Date::from_ymd(2023, 1, 1).expect("valid date");
    let params = RfmParams::new(analysis).recency(RecencyBasis::LastTransaction);
    let transactions = log(10_000_000, 1_000_000);
    let table = RfmTable::from_transactions(&transactions, &params).expect("valid");
    drop(transactions);
    group.throughput(Throughput::Elements(table.len() as u64));
    for (name, binning) in [
        ("ties_share", Binning::TiesShare { bins: 5 }),
        ("rank_first", Binning::RankFirst { bins: 5 }),
        ("r_quantile", Binning::RQuantile { bins: 5 }),
    ] {
        let scoring = ScoreParams::uniform(binning);
        group.bench_function(BenchmarkId::new(name, "1000000_customers"), |b| {
            b.iter(|| black_box(RfmScores::new(&table, &scoring).expect("valid").len()))
        });
    }
    group.finish();
}

/// A query engine's batch path: 1M rows into the states of 100k groups (DataFusion's
/// `rfm_state`), and one Lloyd step's partial sums over 100k rows of 4 features.
fn engine_states(c: &mut Criterion) {
    use saas_segmentation::cluster::LloydStep;
    use saas_segmentation::rfm::RfmPartial;
    let mut rng = SeededRng::new(7);
    let end = Date::from_ymd(2024, 12, 31).expect("valid date");
    let params = RfmParams::new(end);
    let n = 1_000_000;
    let groups: Vec<usize> = (0..n).map(|_| rng.below(100_000) as usize).collect();
    let days: Vec<i32> = (0..n).map(|_| end.days() - rng.below(900) as i32).collect();
    let amounts: Vec<f64> = (0..n)
        .map(|_| (rng.range(1.0, 500.0) * 100.0).round() / 100.0)
        .collect();
    let mut group = c.benchmark_group("engine_states");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("rfm_add_batch_1m_rows_100k_groups", |b| {
        b.iter(|| {
            let mut states = vec![RfmPartial::new(&params); 100_000];
            RfmPartial::add_batch(&mut states, &groups, &days, &amounts, &params).expect("rows");
            black_box(states.len())
        })
    });
    let x = ndarray::Array2::from_shape_fn((100_000, 4), |_| rng.normal());
    let start = x.slice(ndarray::s![0..8, ..]).to_owned();
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("lloyd_step_100k_rows_k8_d4", |b| {
        b.iter(|| {
            let mut step = LloydStep::new(start.view()).expect("centroids");
            step.add(x.view()).expect("rows");
            black_box(step.centroids().expect("sums"))
        })
    });
    group.finish();
}

criterion_group!(benches, rfm, scores, engine_states);
criterion_main!(benches);
