//! Model benches: BG/NBD and Gamma-Gamma fits on 100k simulated purchase histories, and a Cox
//! model on 20k rows x 10 covariates (the data of `examples/bench_models.rs`, which
//! `benches/peers/models_lifetimes_lifelines.py` times in lifetimes and lifelines).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use saas_segmentation::clv::{BetaGeo, BetaGeoOptions, GammaGamma, GammaGammaOptions, Histories};
use saas_segmentation::ndarray::Array2;
use saas_segmentation::survival::{CoxModel, CoxParams};

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn uniform(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The histories of `examples/bench_models.rs`.
fn history(c: u64) -> (f64, f64, f64, f64) {
    let h = splitmix(c);
    let age = (30 + h % 336) as f64;
    let rate = 0.002 + 0.08 * uniform(splitmix(h)).powi(3);
    let drop = 0.02 + 0.4 * uniform(splitmix(h ^ 0x5555));
    let (mut t, mut x, mut last) = (0.0, 0u64, 0.0);
    let mut state = splitmix(h ^ 0xABCD);
    loop {
        state = splitmix(state);
        t += -uniform(state).ln() / rate;
        if t > age {
            break;
        }
        x += 1;
        last = t.floor();
        state = splitmix(state);
        if uniform(state) < drop {
            break;
        }
    }
    let monetary = if x > 0 {
        5.0 + ((h >> 40) % 200) as f64 + 0.25 * ((h >> 50) % 4) as f64
    } else {
        0.0
    };
    (x as f64, last, age, monetary)
}

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
        for j in 0..10 {
            x[[row as usize, j]] = (splitmix(row * 16 + j as u64) % 1000) as f64 / 100.0;
        }
        let spread =
            20 + (1000 - splitmix(row * 16) % 1000) / 40 + splitmix(row * 16 + 1) % 1000 / 50;
        d.push((1 + splitmix(row * 16 + 11) % spread) as f64);
        e.push(!splitmix(row * 16 + 12).is_multiple_of(3));
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
