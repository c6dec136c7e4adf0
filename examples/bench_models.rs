//! BG/NBD + Gamma-Gamma on many customers, and Cox on many rows, timed, with the fitted
//! parameters the peer script `benches/peers/models_lifetimes_lifelines.py` prints for the
//! same data (lifetimes for the first, lifelines for the second).
//!
//! ```text
//! cargo run --release --example bench_models -- clv 1000000 /tmp/histories.csv
//! cargo run --release --example bench_models -- cox 100000
//! cargo run --release --example bench_models -- logistic 1000000
//! cargo run --release --example bench_models -- signals 1000000 100000000
//! ```
//!
//! The Cox table comes from one integer formula on both sides; the purchase histories are
//! simulated here and written to the CSV the peer script reads.

use std::time::Instant;

use ndarray::Array2;
use saas_segmentation::clv::{BetaGeo, BetaGeoOptions, GammaGamma, GammaGammaOptions, Histories};
use saas_segmentation::propensity::{LogisticModel, LogisticParams};
use saas_segmentation::survival::{CoxModel, CoxParams};

#[path = "models_data/mod.rs"]
mod models_data;
use models_data::{cox_row, history, logistic_row, signal_event};

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
        "signals" => {
            use saas_segmentation::activity::{Activity, ActivityEvent};
            use saas_segmentation::ids::DenseCustomers;
            use saas_segmentation::propensity::{account_signals, SignalParams, SignalSources};
            let events: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100 * n);
            let start: saas_segmentation::Date = "2024-01-01".parse().expect("date");
            let days: Vec<saas_segmentation::Date> =
                (0..84).map(|d| start.add_days(d).expect("date")).collect();
            let customers = DenseCustomers::new(n as usize);
            let log: Vec<Activity<saas_segmentation::CustomerId, u8>> = (0..events)
                .map(|e| {
                    let (c, day, kind, feature) = signal_event(e, n);
                    let event = match kind {
                        0..=4 => ActivityEvent::Login,
                        5..=8 => ActivityEvent::Feature(feature),
                        _ => ActivityEvent::Workflow(0),
                    };
                    let id = customers.id(c as usize).expect("id");
                    Activity::new(id, days[day as usize], event)
                })
                .collect();
            let params = SignalParams::new(days[83]);
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..3 {
                let start = Instant::now();
                let signals = account_signals(&customers, &SignalSources::new(&log), &params)
                    .expect("signals");
                times.push(start.elapsed().as_secs_f64());
                last = Some(signals);
            }
            let signals = last.expect("ran");
            let (mut declining, mut slope_sum, mut breadth) = (0usize, 0.0, 0usize);
            for s in signals.values().iter().flatten() {
                declining += usize::from(s.usage.declining);
                slope_sum += s.usage.slope;
                breadth += s.usage.features_before + s.usage.features_now;
            }
            println!(
                "{{\"workload\":\"signals\",\"customers\":{n},\"events\":{events},\"median_s\":{:.4},\"declining\":{declining},\"slope_sum\":{slope_sum:.6},\"breadth_sum\":{breadth}}}",
                median(times)
            );
        }
        other => eprintln!("unknown workload {other}: use clv, cox, logistic or signals"),
    }
}
