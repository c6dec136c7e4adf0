//! Model benches: BG/NBD and Gamma-Gamma fits on 100k simulated purchase histories, and a Cox
//! model on 20k rows x 10 covariates (the data of `examples/bench_models.rs`, which
//! `benches/peers/models_lifetimes_lifelines.py` times in lifetimes and lifelines), logistic
//! regression on 100k x 20 (scikit-learn's side in the same script), and account signals over
//! 10k customers and 1M activity events (`benches/peers/signals_polars.py`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use saas_segmentation::activity::{Activity, ActivityEvent};
use saas_segmentation::clv::{BetaGeo, BetaGeoOptions, GammaGamma, GammaGammaOptions, Histories};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::ndarray::Array2;
use saas_segmentation::propensity::{
    account_signals, LogisticModel, LogisticParams, SignalParams, SignalSources,
};
use saas_segmentation::survival::{CoxModel, CoxParams};
use saas_segmentation::{CustomerId, Date};

#[path = "../examples/models_data/mod.rs"]
mod models_data;
use models_data::{cox_row, history, logistic_row, signal_event};

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

    let n = 100_000usize;
    let mut x = Array2::<f64>::zeros((n, 20));
    let mut y = Vec::with_capacity(n);
    for row in 0..n {
        let (features, label) = logistic_row(row as u64);
        for (j, v) in features.iter().enumerate() {
            x[[row, j]] = *v;
        }
        y.push(label);
    }
    let mut group = c.benchmark_group("propensity");
    group.sample_size(10);
    group.bench_function("logistic_100k_x20", |b| {
        let params = LogisticParams::new().tol(1e-4);
        b.iter(|| black_box(LogisticModel::fit(x.view(), &y, None, &params).expect("fit")));
    });
    let customers = DenseCustomers::new(10_000);
    let start: Date = "2024-01-01".parse().expect("date");
    let log: Vec<Activity<CustomerId, u8>> = (0..1_000_000)
        .map(|e| {
            let (c, day, kind, feature) = signal_event(e, 10_000);
            let event = match kind {
                0..=4 => ActivityEvent::Login,
                5..=8 => ActivityEvent::Feature(feature),
                _ => ActivityEvent::Workflow(0),
            };
            let id = customers.id(c as usize).expect("id");
            Activity::new(id, start.add_days(day).expect("date"), event)
        })
        .collect();
    let params = SignalParams::new(start.add_days(83).expect("date"));
    group.bench_function("signals_10k_customers_1m_events", |b| {
        b.iter(|| {
            black_box(
                account_signals(&customers, &SignalSources::new(&log), &params).expect("signals"),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
