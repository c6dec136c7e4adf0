//! Model benches: BG/NBD and Gamma-Gamma fits on 100k simulated purchase histories, and a Cox
//! model on 20k rows x 10 covariates (the data of `examples/bench_models.rs`, which
//! `benches/peers/models_lifetimes_lifelines.py` times in lifetimes and lifelines).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use saas_segmentation::clv::{BetaGeo, BetaGeoOptions, GammaGamma, GammaGammaOptions, Histories};
use saas_segmentation::ndarray::Array2;
use saas_segmentation::survival::{CoxModel, CoxParams};

#[path = "../examples/models_data/mod.rs"]
mod models_data;
use models_data::{cox_row, history};

fn bench(c: &mut Criterion) {
    let rows: Vec<_> = (0..100_000).map(history).collect();
    let f: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let r: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let t: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let m: Vec<f64> = rows.iter().map(|r| r.3).collect();
    let mut group = c.benchmark_group("clv");
    group.sample_size(10);
    group.bench_function("bgnbd_fit_100k", |b| {
        b.iter(|| {
            let h = Histories::new(&f, &r, &t).expect("histories");
            black_box(BetaGeo::fit(&h, BetaGeoOptions::new()).expect("fit"))
        });
    });
    group.bench_function("gamma_gamma_fit_100k", |b| {
        b.iter(|| black_box(GammaGamma::fit(&f, &m, GammaGammaOptions::new()).expect("fit")));
    });
    group.finish();

    let n = 20_000u64;
    let mut x = Array2::<f64>::zeros((n as usize, 10));
    let mut d = Vec::with_capacity(n as usize);
    let mut e = Vec::with_capacity(n as usize);
    for row in 0..n {
        let (cov, duration, event) = cox_row(row);
        for (j, v) in cov.iter().enumerate() {
            x[[row as usize, j]] = *v;
        }
        d.push(duration);
        e.push(event);
    }
    let names = ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"];
    let mut group = c.benchmark_group("cox");
    group.sample_size(10);
    group.bench_function("efron_20k_x10", |b| {
        b.iter(|| {
            black_box(CoxModel::fit(x.view(), &names, &d, &e, &CoxParams::new()).expect("fit"))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
