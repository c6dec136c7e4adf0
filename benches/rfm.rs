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
        // The same log with ids interned once, before the clock starts (DESIGN.md section 2).
        let index =
            CustomerIndex::from_keys(transactions.iter().map(|t| t.customer)).expect("index");
        let interned: Vec<Transaction<CustomerId>> = transactions
            .iter()
            .map(|t| Transaction::new(index.get(&t.customer).expect("known"), t.date, t.amount))
            .collect();
        group.bench_with_input(
            BenchmarkId::new("rank_first_interned", format!("{rows}_rows")),
            &interned,
            |b, tx| {
                b.iter(|| {
                    let table = RfmTable::from_interned(tx, &index, &params).expect("valid");
                    black_box(RfmScores::new(&table, &scoring).expect("valid").len())
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, rfm);
criterion_main!(benches);
