//! Economics benches: MRR movements for 100k and 1M customers over 36 months (the data of
//! `examples/bench_mrr.rs`, which `benches/peers/mrr_movements_pandas.py` reproduces in pandas),
//! concentration and value quintiles.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use saas_segmentation::economics::{Concentration, MrrMovements, MrrParams, ValueQuantiles};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::random::SeededRng;
use saas_segmentation::records::MrrRecord;
use saas_segmentation::{CustomerId, Date};

/// The dense id at position `i`.
fn dense_id(i: usize) -> CustomerId {
    saas_segmentation::ids::DenseCustomers::new(u32::MAX as usize)
        .id(i)
        .expect("in range")
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The records of `examples/bench_mrr.rs`: starts in the first two years, lifetimes up to 40
/// months, pauses, expansions and halvings.
fn records(customers: u64) -> Vec<MrrRecord<CustomerId>> {
    let first = Date::from_ymd(2022, 1, 1).expect("date");
    let months: Vec<Date> = (0..36)
        .map(|m| first.add_months(m).expect("date"))
        .collect();
    let mut out = Vec::new();
    for c in 0..customers {
        let h = splitmix(c);
        let (start, length) = (h % 24, (h >> 8) % 40 + 1);
        let base = 50.0 * (1 + (h >> 16) % 20) as f64;
        for m in start..(start + length).min(36) {
            if (h >> 40).is_multiple_of(7) && m == start + 3 {
                continue;
            }
            let level = base * (1.0 + 0.25 * ((m - start) / 6) as f64 * ((h >> 24) % 3) as f64);
            let level = if (h >> 32).is_multiple_of(5) && m - start >= 12 {
                level / 2.0
            } else {
                level
            };
            out.push(MrrRecord::new(
                dense_id(c as usize),
                months[m as usize],
                level,
            ));
        }
    }
    out
}

fn movements(c: &mut Criterion) {
    let mut group = c.benchmark_group("economics/mrr_movements");
    group.sample_size(10);
    let params = MrrParams::new(Date::from_ymd(2024, 12, 1).expect("date"));
    for &customers in &[100_000u64, 1_000_000] {
        let rows = records(customers);
        let lookup = DenseCustomers::new(customers as usize);
        group.throughput(Throughput::Elements(rows.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("36_months", format!("{customers}_customers")),
            &rows,
            |b, rows| {
                b.iter(|| black_box(MrrMovements::compute(&lookup, rows, &params).expect("ok")))
            },
        );
    }
    group.finish();
}

fn value(c: &mut Criterion) {
    let mut group = c.benchmark_group("economics/value");
    let mut rng = SeededRng::new(11);
    let values: Vec<f64> = (0..1_000_000).map(|_| rng.lognormal(6.0, 1.2)).collect();
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("concentration/1000000", |b| {
        b.iter(|| black_box(Concentration::new(&values).expect("ok").gini()))
    });
    let index = saas_segmentation::CustomerIndex::from_keys(0..values.len() as u32).expect("index");
    let column = saas_segmentation::PerCustomer::complete(&index, values.clone()).expect("column");
    group.bench_function("quintiles/1000000", |b| {
        b.iter(|| {
            black_box(
                ValueQuantiles::new(&index, &column, 5)
                    .expect("ok")
                    .groups()
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, movements, value);
criterion_main!(benches);
