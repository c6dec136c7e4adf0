//! BG/NBD + Gamma-Gamma on many customers, and Cox on many rows, timed, with the fitted
//! parameters the peer script `benches/peers/models_lifetimes_lifelines.py` prints for the
//! same data (lifetimes for the first, lifelines for the second).
//!
//! ```text
//! cargo run --release --example bench_models -- clv 1000000 /tmp/histories.csv
//! cargo run --release --example bench_models -- cox 100000
//! cargo run --release --example bench_models -- logistic 1000000
//! ```
//!
//! The Cox table comes from one integer formula on both sides; the purchase histories are
//! simulated here and written to the CSV the peer script reads.

use std::time::Instant;

use ndarray::Array2;
use saas_segmentation::clv::{BetaGeo, BetaGeoOptions, GammaGamma, GammaGammaOptions, Histories};
use saas_segmentation::propensity::{LogisticModel, LogisticParams};
use saas_segmentation::survival::{CoxModel, CoxParams};

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform in (0, 1) from a hash.
fn uniform(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Customer c's history (frequency, recency, T, monetary), ages in days, simulated from a
/// buy-till-you-die process: purchases at a customer-specific Poisson rate, a customer-specific
/// chance of dropping out after each purchase, and an average spend.
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

/// Row r of the Cox table: 10 covariates, duration, event.
fn cox_row(r: u64) -> ([f64; 10], f64, bool) {
    let mut x = [0.0; 10];
    for (j, v) in x.iter_mut().enumerate() {
        *v = (splitmix(r * 16 + j as u64) % 1000) as f64 / 100.0;
    }
    let h = splitmix(r * 16 + 11);
    // Higher x0 and lower x1 churn sooner: the spread of durations depends on them.
    let spread = 20 + (1000 - splitmix(r * 16) % 1000) / 40 + splitmix(r * 16 + 1) % 1000 / 50;
    let duration = 1 + h % spread;
    let event = !splitmix(r * 16 + 12).is_multiple_of(3);
    (x, duration as f64, event)
}

/// Row r of the logistic table: 20 features in [-2, 2] and a label, from integers only, so
/// both sides build identical data.
fn logistic_row(r: u64) -> ([f64; 20], bool) {
    let mut x = [0.0; 20];
    let mut ints = [0i64; 20];
    for j in 0..20 {
        ints[j] = (splitmix(r * 32 + j as u64) % 2001) as i64 - 1000;
        x[j] = ints[j] as f64 / 500.0;
    }
    let score = 2 * ints[0] - ints[1] + ints[3] - 2 * ints[7];
    let threshold = (splitmix(r * 32 + 31) % 8001) as i64 - 4000;
    (x, threshold < score)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workload = args.first().map_or("clv", String::as_str).to_owned();
    let n: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let repeats = 7;
    match workload.as_str() {
        "clv" => {
            let rows: Vec<_> = (0..n).map(history).collect();
            let f: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let r: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let t: Vec<f64> = rows.iter().map(|r| r.2).collect();
            let m: Vec<f64> = rows.iter().map(|r| r.3).collect();
            if let Some(path) = args.get(2) {
                // The peer script reads the same histories from this CSV.
                let mut text = String::from("frequency,recency,T,monetary\n");
                for row in &rows {
                    text.push_str(&format!("{},{},{},{}\n", row.0, row.1, row.2, row.3));
                }
                std::fs::write(path, text).expect("write the histories CSV");
            }
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..repeats {
                let start = Instant::now();
                let h = Histories::new(&f, &r, &t).expect("histories");
                let bg = BetaGeo::fit(&h, BetaGeoOptions::new()).expect("BG/NBD");
                let gg = GammaGamma::fit(&f, &m, GammaGammaOptions::new()).expect("Gamma-Gamma");
                times.push(start.elapsed().as_secs_f64());
                last = Some((bg, gg));
            }
            let (bg, gg) = last.expect("ran");
            let p = bg.params();
            let q = gg.params();
            println!(
                "{{\"workload\":\"bgnbd+gamma_gamma\",\"n\":{n},\"median_s\":{:.4},\"params\":[{},{},{},{}],\"gg\":[{},{},{}],\"objective\":{}}}",
                median(times),
                p.r, p.alpha, p.a, p.b, q.p, q.q, q.v, bg.objective()
            );
        }
        "cox" => {
            let rows: Vec<_> = (0..n).map(cox_row).collect();
            let mut x = Array2::<f64>::zeros((n as usize, 10));
            for (i, row) in rows.iter().enumerate() {
                for j in 0..10 {
                    x[[i, j]] = row.0[j];
                }
            }
            let d: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let e: Vec<bool> = rows.iter().map(|r| r.2).collect();
            let names = ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"];
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..repeats {
                let start = Instant::now();
                let model =
                    CoxModel::fit(x.view(), &names, &d, &e, &CoxParams::new()).expect("Cox");
                times.push(start.elapsed().as_secs_f64());
                last = Some(model);
            }
            let model = last.expect("ran");
            let coefs: Vec<String> = model
                .coefficients()
                .iter()
                .map(|c| format!("{:.9}", c.coef))
                .collect();
            println!(
                "{{\"workload\":\"cox_efron\",\"n\":{n},\"median_s\":{:.4},\"coef\":[{}],\"log_likelihood\":{}}}",
                median(times),
                coefs.join(","),
                model.log_likelihood()
            );
        }
        "logistic" => {
            let rows: Vec<_> = (0..n).map(logistic_row).collect();
            let mut x = Array2::<f64>::zeros((n as usize, 20));
            for (i, row) in rows.iter().enumerate() {
                for j in 0..20 {
                    x[[i, j]] = row.0[j];
                }
            }
            let y: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..repeats {
                let start = Instant::now();
                // scikit-learn's default tolerance, on the same scaled gradient, for a like-for-like
                // time; pass `exact` as the third argument for the crate's default (1e-12).
                let tol = if args.get(2).map(String::as_str) == Some("exact") {
                    1e-12
                } else {
                    1e-4
                };
                let params = LogisticParams::new().tol(tol);
                let model = LogisticModel::fit(x.view(), &y, None, &params).expect("logistic");
                times.push(start.elapsed().as_secs_f64());
                last = Some(model);
            }
            let model = last.expect("ran");
            let coefs: Vec<String> = model.coef().iter().map(|c| format!("{c:.9}")).collect();
            println!(
                "{{\"workload\":\"logistic_lbfgs\",\"n\":{n},\"median_s\":{:.4},\"iterations\":{},\"coef\":[{}],\"intercept\":{}}}",
                median(times),
                model.iterations(),
                coefs.join(","),
                model.intercept()
            );
        }
        other => eprintln!("unknown workload {other}: use clv, cox or logistic"),
    }
}
