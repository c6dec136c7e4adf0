//! Foundation benches: interning string customer ids, building a feature matrix, deriving
//! behaviour from activity. Sizes up to 1M customers; data comes from the seeded generator.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use saas_segmentation::activity::{derive_behaviour, BehaviourConfig};
use saas_segmentation::features::{FeatureMatrix, ScalerKind};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::random::SeededRng;
use saas_segmentation::synthetic::{generate, SyntheticConfig, CORE_FEATURES, KEY_WORKFLOWS};
use saas_segmentation::CustomerIndex;

/// Stripe-style ids (`cus_` + 14 base-36 characters), in a seeded random order with repeats,
/// as a transaction log would present them.
fn stripe_ids(distinct: usize, total: usize) -> Vec<String> {
    let mut rng = SeededRng::new(20_261_123);
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let keys: Vec<String> = (0..distinct)
        .map(|_| {
            let tail: String = (0..14)
                .map(|_| ALPHABET[rng.below(36) as usize] as char)
                .collect();
            format!("cus_{tail}")
        })
        .collect();
    (0..total)
        .map(|_| keys[rng.below(distinct as u64) as usize].clone())
        .collect()
}

fn interning(c: &mut Criterion) {
    let mut group = c.benchmark_group("ids/intern");
    group.sample_size(10);
    for &(distinct, total) in &[
        (100_000usize, 1_000_000usize),
        (1_000_000, 1_000_000),
        (1_000_000, 10_000_000),
    ] {
        let ids = stripe_ids(distinct, total);
        group.throughput(Throughput::Elements(total as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{distinct}_keys/{total}_rows")),
            &ids,
            |b, ids| {
                b.iter(|| {
                    let mut index = CustomerIndex::with_capacity(distinct);
                    let mut last = 0;
                    for id in ids {
                        last = index.intern(id.as_str()).expect("fits").get();
                    }
                    black_box((index.len(), last))
                })
            },
        );
    }
    group.finish();
}

/// One row per customer with twenty numeric or categorical variables.
struct Row {
    values: [f64; 16],
    flags: [bool; 2],
    category: u8,
}

fn feature_matrix(c: &mut Criterion) {
    let mut group = c.benchmark_group("features/build");
    group.sample_size(10);
    for &n in &[100_000usize, 1_000_000] {
        let mut rng = SeededRng::new(7);
        let rows: Vec<Row> = (0..n)
            .map(|_| Row {
                values: std::array::from_fn(|j| rng.normal() * (j as f64 + 1.0)),
                flags: [rng.bernoulli(0.3), rng.bernoulli(0.6)],
                category: rng.below(4) as u8,
            })
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        // 16 numeric + 2 boolean + 1 categorical with 4 levels = 22 columns, standardized.
        group.bench_with_input(
            BenchmarkId::new("22_columns_standardized", n),
            &rows,
            |b, rows| {
                b.iter(|| {
                    let mut builder = FeatureMatrix::builder();
                    for j in 0..16 {
                        builder = builder.column(format!("x{j}"), move |r: &Row| r.values[j]);
                    }
                    let matrix = builder
                        .column("flag_a", |r: &Row| r.flags[0])
                        .column("flag_b", |r: &Row| r.flags[1])
                        .categorical("plan", |r: &Row| Some(r.category))
                        .scaler(ScalerKind::Standard)
                        .build(rows)
                        .expect("valid");
                    black_box(matrix.view().dim())
                })
            },
        );
    }
    group.finish();
}

fn behaviour(c: &mut Criterion) {
    let mut group = c.benchmark_group("activity/derive_behaviour");
    group.sample_size(10);
    for n in [100_000usize, 400_000] {
        let base =
            generate(&SyntheticConfig::new(n).seed(1).leads_per_customer(0.0)).expect("valid");
        let end = base.analysis_date().add_days(-1).expect("in range");
        let config = BehaviourConfig::new(end.add_days(-89).expect("in range"), end)
            .expect("valid")
            .core_features(CORE_FEATURES.to_vec())
            .key_workflows(KEY_WORKFLOWS.to_vec());
        group.throughput(Throughput::Elements(base.activity().len() as u64));
        group.bench_function(BenchmarkId::new("customers", n), |b| {
            b.iter(|| {
                black_box(
                    derive_behaviour(&DenseCustomers::new(n), base.activity(), &config)
                        .expect("valid"),
                )
            })
        });
    }
    group.finish();
}

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic/generate");
    group.sample_size(10);
    group.bench_function("100000_customers", |b| {
        b.iter(|| {
            black_box(
                generate(&SyntheticConfig::new(100_000).seed(3))
                    .expect("valid")
                    .profiles()
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, interning, feature_matrix, behaviour, synthetic);
criterion_main!(benches);
