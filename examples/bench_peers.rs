//! The crate's side of the peer benchmark (`shared/bench` plug-in protocol).
//!
//! Build with `cargo build --release --example bench_peers`, then let the peer scripts run it:
//!
//! ```text
//! ANCHORS_EXTRA="$PWD/target/release/examples/bench_peers" ANCHORS_EXTRA_NAME="saas-segmentation" \
//!   ANCHORS_ONLY="rfm" bash ../shared/bench/run_all.sh
//! ```
//!
//! It is called as `bench_peers --workload rfm --data DIR --size 1m|10m --repeats R --warmup W`
//! or `--workload kmeans --n 100k|1m --init fixed|kmeanspp|init-only --max-iter 50 ...` (`init-only`:
//! the k-means++ seeding alone, as scikit-learn's `kmeans_plusplus`) or
//! `--workload metric:silhouette|metric:davies_bouldin|metric:calinski_harabasz --size 10k|20k|1m`
//! or `--workload cohort --size 10m`, and prints one
//! JSON object: `median_s`, `times_s`, peak and after-load RSS, and the same
//! `check` digest the peers print. Workloads the crate does not implement yet print a note and
//! no record.

use std::collections::HashMap;
use std::time::Instant;

use saas_segmentation::cluster::{Init, KMeans};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams, Windows};
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{Binning, RecencyBasis, RfmParams, RfmScores, RfmTable, ScoreParams};
use saas_segmentation::{validate, Date};
use saas_segmentation::{CustomerId, CustomerIndex};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = HashMap::new();
    for pair in args.chunks(2) {
        if let [key, value] = pair {
            options.insert(key.trim_start_matches("--").to_owned(), value.clone());
        }
    }
    let get = |key: &str, default: &str| {
        options
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let workload = get("workload", "rfm");
    let data = get("data", "/tmp/anchors-data");
    let repeats: usize = get("repeats", "3").parse().unwrap_or(3);
    let warmup: usize = get("warmup", "1").parse().unwrap_or(1);
    match workload.as_str() {
        "rfm" => rfm(&data, &get("size", "1m"), repeats, warmup),
        "cohort" => cohort(&data, &get("size", "10m"), repeats, warmup),
        "kmeans" => kmeans(
            &data,
            &get("n", "1m"),
            &get("init", "fixed"),
            get("max-iter", "50").parse().unwrap_or(50),
            repeats,
            warmup,
        ),
        metric if metric.starts_with("metric:") => metrics(
            &data,
            metric.trim_start_matches("metric:"),
            &get("size", "20k"),
            repeats,
            warmup,
        ),
        other => println!("saas-segmentation: workload {other} is not implemented yet"),
    }
}

fn read_column(path: &str, dtype: &[u8]) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert!(
        bytes.len() >= 32 && &bytes[..8] == b"SEGBIN01",
        "{path}: not a SEGBIN01 file"
    );
    assert_eq!(
        &bytes[24..24 + dtype.len()],
        dtype,
        "{path}: unexpected dtype"
    );
    bytes[32..].to_vec()
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn rfm(data: &str, size: &str, repeats: usize, warmup: usize) {
    let name = format!("tx_{size}");
    let ids: Vec<u32> = read_column(&format!("{data}/{name}.customer_id.bin"), b"u32")
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    let days: Vec<i32> = read_column(&format!("{data}/{name}.day.bin"), b"i32")
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    let amounts: Vec<f64> = read_column(&format!("{data}/{name}.amount.bin"), b"f64")
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{data}/manifest.json")).expect("manifest.json"),
    )
    .expect("manifest is JSON");
    let ref_day = manifest["ref_day"].as_i64().expect("ref_day");
    let epoch = Date::from_ymd(2020, 1, 1).expect("valid date");
    let transactions: Vec<Transaction<u32>> = ids
        .iter()
        .zip(&days)
        .zip(&amounts)
        .map(|((&id, &day), &amount)| {
            Transaction::new(
                id,
                epoch.add_days(i64::from(day)).expect("in range"),
                amount,
            )
        })
        .collect();
    let analysis = epoch.add_days(ref_day).expect("in range");
    // The peers' definition: recency from the last row of any kind, refunds netted, quintiles
    // of ranks with ties broken by customer id.
    let params = RfmParams::new(analysis).recency(RecencyBasis::LastTransaction);
    let scoring = ScoreParams::uniform(Binning::RankFirst { bins: 5 });
    // Three runs. Ids interned when the data is loaded (the crate's model, DESIGN.md section 2:
    // records carry dense ids, the index maps back), first with an index whose ids follow key
    // order (`sorted_from_keys`: tables come out in key order with no sort), then with ids in
    // order of first appearance (each table is sorted by key); last, the sparse external ids
    // hashed inside the timed region, as the peers do.
    let mut interned: Vec<Transaction<CustomerId>> = Vec::new();
    for (variant, index) in [
        (
            "ids interned at load, index in key order",
            CustomerIndex::sorted_from_keys(ids.iter().copied()).expect("index"),
        ),
        (
            "ids interned at load",
            CustomerIndex::from_keys(ids.iter().copied()).expect("index"),
        ),
    ] {
        interned = transactions
            .iter()
            .map(|t| Transaction::new(index.get(&t.customer).expect("interned"), t.date, t.amount))
            .collect();
        let dense = || {
            let table = RfmTable::from_interned(&interned, &index, &params).expect("valid log");
            let scores = RfmScores::new(&table, &scoring).expect("valid scores");
            (table, scores)
        };
        report_rfm(
            size,
            variant,
            interned.len(),
            measure(repeats, warmup, dense),
        );
    }
    drop(interned);
    #[cfg(feature = "arrow")]
    {
        // The same columns as Arrow record batches of 2^20 rows (built untimed, as a Parquet
        // or IPC reader would hand them over), read into interned records in the timed region.
        use arrow_array::{ArrayRef, Date32Array, Float64Array, RecordBatch, UInt32Array};
        use saas_segmentation::arrow::ArrowReader;
        let shift = epoch.days();
        let whole = RecordBatch::try_from_iter([
            (
                "customer_id",
                std::sync::Arc::new(UInt32Array::from(ids.clone())) as ArrayRef,
            ),
            (
                "day",
                std::sync::Arc::new(Date32Array::from(
                    days.iter().map(|d| d + shift).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            (
                "amount",
                std::sync::Arc::new(Float64Array::from(amounts.clone())) as ArrayRef,
            ),
        ])
        .expect("one length");
        let batches: Vec<RecordBatch> = (0..whole.num_rows())
            .step_by(1 << 20)
            .map(|start| whole.slice(start, (1 << 20).min(whole.num_rows() - start)))
            .collect();
        let reader = ArrowReader::new().date("day");
        let from_arrow = || {
            let mut index = CustomerIndex::<u32>::new();
            let (log, _) = reader
                .transactions(&batches, &mut index)
                .expect("valid batches");
            let table = RfmTable::from_interned(&log, &index, &params).expect("valid log");
            let scores = RfmScores::new(&table, &scoring).expect("valid scores");
            (table, scores)
        };
        report_rfm(
            size,
            "from Arrow columns, interning timed",
            whole.num_rows(),
            measure(repeats, warmup, from_arrow),
        );
        let keyed = || {
            let (table, _) = reader
                .rfm_table::<u32>(&batches, &params)
                .expect("valid batches");
            let scores = RfmScores::new(&table, &scoring).expect("valid scores");
            (table, scores)
        };
        report_rfm(
            size,
            "from Arrow columns, keys hashed in the timed region",
            whole.num_rows(),
            measure(repeats, warmup, keyed),
        );
        // Text ids ("c<id>"), as CRM exports write them: interned into a CustomerIndex<String>.
        let text_keys: ArrayRef = std::sync::Arc::new(arrow_array::StringArray::from(
            ids.iter().map(|id| format!("c{id}")).collect::<Vec<_>>(),
        ));
        let text_whole = RecordBatch::try_from_iter([
            ("customer_id", text_keys),
            ("day", whole.column(1).clone()),
            ("amount", whole.column(2).clone()),
        ])
        .expect("text batch");
        let text_batches: Vec<RecordBatch> = (0..text_whole.num_rows())
            .step_by(1 << 20)
            .map(|start| text_whole.slice(start, (1 << 20).min(text_whole.num_rows() - start)))
            .collect();
        let from_text = || {
            let mut index = CustomerIndex::<String>::new();
            let (log, _) = reader
                .transactions(&text_batches, &mut index)
                .expect("valid batches");
            let table = RfmTable::from_interned(&log, &index, &params).expect("valid log");
            let scores = RfmScores::new(&table, &scoring).expect("valid scores");
            (table, scores)
        };
        let borrowed = || {
            let (table, _) = reader
                .rfm_table_text(&text_batches, &params)
                .expect("valid batches");
            let scores = RfmScores::new(&table, &scoring).expect("valid scores");
            let frequency_sum: u64 = table.iter().map(|(_, s)| u64::from(s.frequency)).sum();
            (table.len(), frequency_sum, scores)
        };
        let ((customers, frequency_sum, _), times, median, after_load, peak) =
            measure(repeats, warmup, borrowed);
        let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
        println!(
            "{{\"tool\":\"saas-segmentation {} (from Arrow utf8 ids, rfm_table_text)\",\"workload\":\"rfm-utf8\",\"size\":\"{size}\",\"threads_requested\":{threads},\
\"median_s\":{median},\"times_s\":{times:?},\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\
\"customers\":{customers},\"frequency_sum\":{frequency_sum}}}",
            env!("CARGO_PKG_VERSION"),
        );
        let ((table, _), times, median, after_load, peak) = measure(repeats, warmup, from_text);
        let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
        let frequency_sum: u64 = table.iter().map(|(_, s)| u64::from(s.frequency)).sum();
        println!(
            "{{\"tool\":\"saas-segmentation {} (from Arrow utf8 ids, interning timed)\",\"workload\":\"rfm-utf8\",\"size\":\"{size}\",\"threads_requested\":{threads},\
\"median_s\":{median},\"times_s\":{times:?},\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\
\"customers\":{},\"frequency_sum\":{frequency_sum}}}",
            env!("CARGO_PKG_VERSION"),
            table.len(),
        );
    }
    drop((ids, days, amounts));
    let compute = || {
        let table = RfmTable::from_transactions(&transactions, &params).expect("valid log");
        let scores = RfmScores::new(&table, &scoring).expect("valid scores");
        (table, scores)
    };
    report_rfm(
        size,
        "interning timed",
        transactions.len(),
        measure(repeats, warmup, compute),
    );
}

fn report_rfm(
    size: &str,
    variant: &str,
    rows: usize,
    measured: Measured<(RfmTable<u32>, RfmScores)>,
) {
    let ((table, scores), times, median, after_load, peak) = measured;
    let (mut recency_sum, mut frequency_sum, mut cents_sum, mut score_digest) =
        (0i64, 0i64, 0i64, 0i64);
    for (i, (&id, summary)) in table.iter().enumerate() {
        recency_sum += summary.recency_days;
        frequency_sum += i64::from(summary.frequency);
        cents_sum += (summary.monetary * 100.0).round() as i64;
        let code = i64::from(scores.recency().scores()[i]) * 25
            + i64::from(scores.frequency().scores()[i]) * 5
            + i64::from(scores.monetary().scores()[i]);
        score_digest += code * (i64::from(id) % 9973);
    }
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
    println!(
        "{{\"tool\":\"saas-segmentation {} ({variant})\",\"workload\":\"rfm\",\"size\":\"{size}\",\"rows\":{rows},\"threads_requested\":{threads},\
\"median_s\":{median},\"times_s\":{times:?},\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\
\"check\":{{\"customers\":{},\"recency_sum\":{recency_sum},\"frequency_sum\":{frequency_sum},\
\"monetary_cents_sum\":{cents_sum},\"score_digest\":{score_digest}}}}}",
        env!("CARGO_PKG_VERSION"),
        table.len(),
    );
}

fn read_i32(path: &str) -> Vec<i32> {
    read_column(path, b"i32")
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect()
}

/// The peers' cohort matrix: 30-day periods from 2020-01-01, cohort = signup period, cell =
/// distinct customers of the cohort active in the period over the cohort's customers.
fn cohort(data: &str, size: &str, repeats: usize, warmup: usize) {
    let name = format!("ev_{size}");
    let ids: Vec<u32> = read_column(&format!("{data}/{name}.customer_id.bin"), b"u32")
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    let event_days = read_i32(&format!("{data}/{name}.event_day.bin"));
    let signup_days = read_i32(&format!("{data}/{name}.signup_day.bin"));
    let epoch = Date::from_ymd(2020, 1, 1).expect("valid date");
    // The input tables of the crate's model: one signup per customer, and the activity log,
    // both keyed by the external (sparse u32) customer id.
    let mut seen = std::collections::HashSet::with_capacity(1 << 20);
    let signups: Vec<(u32, Date)> = ids
        .iter()
        .zip(&signup_days)
        .filter(|(&id, _)| seen.insert(id))
        .map(|(&id, &d)| (id, epoch.add_days(i64::from(d)).expect("in range")))
        .collect();
    drop(seen);
    let events: Vec<(u32, Date)> = ids
        .iter()
        .zip(&event_days)
        .map(|(&id, &d)| (id, epoch.add_days(i64::from(d)).expect("in range")))
        .collect();
    let last = event_days.iter().max().copied().unwrap_or(0);
    drop((ids, event_days, signup_days));
    let grid = Grid::Days {
        length: 30,
        origin: epoch,
    };
    let params = RetentionParams::new(epoch.add_days(i64::from(last)).expect("in range"))
        .windows(Windows::Grid(grid))
        .partial_periods(true)
        .signup_is_activity(false);
    // Two runs: ids interned when the data is loaded (the crate's model: an index is built once
    // and records carry dense ids), and the interning of the sparse external ids timed too.
    let index = CustomerIndex::from_keys(signups.iter().map(|s| s.0)).expect("index");
    let dense = |rows: &[(u32, Date)]| -> Vec<(CustomerId, Date)> {
        rows.iter()
            .map(|&(k, d)| (index.get(&k).expect("interned"), d))
            .collect()
    };
    let (dense_signups, dense_events) = (dense(&signups), dense(&events));
    let lookup = index.dense();
    let interned = || {
        let cohorts = Cohorts::by_signup(&lookup, &dense_signups, grid).expect("valid signups");
        RetentionMatrix::compute(&lookup, &cohorts, &dense_events, &params).expect("valid log")
    };
    report_cohort(
        size,
        "ids interned at load",
        events.len(),
        measure(repeats, warmup, interned),
    );
    drop((dense_signups, dense_events, index));
    #[cfg(feature = "arrow")]
    {
        // The same tables as Arrow record batches of 2^20 rows (built untimed), read in the
        // timed region: signups interned into a fresh index, events looked up in it.
        use arrow_array::{ArrayRef, Date32Array, RecordBatch, UInt32Array};
        use saas_segmentation::arrow::ArrowReader;
        let table = |rows: &[(u32, Date)]| -> Vec<RecordBatch> {
            let whole = RecordBatch::try_from_iter([
                (
                    "customer_id",
                    std::sync::Arc::new(UInt32Array::from(
                        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                    )) as ArrayRef,
                ),
                (
                    "date",
                    std::sync::Arc::new(Date32Array::from(
                        rows.iter().map(|r| r.1.days()).collect::<Vec<_>>(),
                    )) as ArrayRef,
                ),
            ])
            .expect("one length");
            (0..whole.num_rows())
                .step_by(1 << 20)
                .map(|start| whole.slice(start, (1 << 20).min(whole.num_rows() - start)))
                .collect()
        };
        let (signup_batches, event_batches) = (table(&signups), table(&events));
        let reader = ArrowReader::new();
        let from_arrow = || {
            let mut index = CustomerIndex::<u32>::new();
            let (signups, _) = reader
                .signups(&signup_batches, &mut index)
                .expect("signups");
            let lookup = index.dense();
            let cohorts = Cohorts::by_signup(&lookup, &signups, grid).expect("valid signups");
            let (events, _) = reader.events(&event_batches, &index).expect("events");
            RetentionMatrix::compute(&lookup, &cohorts, &events, &params).expect("valid log")
        };
        report_cohort(
            size,
            "from Arrow columns, interning timed",
            events.len(),
            measure(repeats, warmup, from_arrow),
        );
        let keyed = || {
            let mut index = CustomerIndex::<u32>::new();
            let (signups, _) = reader
                .signups(&signup_batches, &mut index)
                .expect("signups");
            let cohorts =
                Cohorts::by_signup(&index.dense(), &signups, grid).expect("valid signups");
            let (events, _) = reader.keyed_events::<u32>(&event_batches).expect("events");
            RetentionMatrix::compute(&index, &cohorts, &events, &params).expect("valid log")
        };
        report_cohort(
            size,
            "from Arrow columns, keyed events",
            events.len(),
            measure(repeats, warmup, keyed),
        );
    }
    let raw = || {
        let index = CustomerIndex::from_keys(signups.iter().map(|s| s.0)).expect("index");
        let cohorts = Cohorts::by_signup(&index, &signups, grid).expect("valid signups");
        RetentionMatrix::compute(&index, &cohorts, &events, &params).expect("valid log")
    };
    report_cohort(
        size,
        "interning timed",
        events.len(),
        measure(repeats, warmup, raw),
    );
}

type Measured<T> = (T, Vec<f64>, f64, u64, u64);

fn report_cohort(size: &str, variant: &str, rows: usize, measured: Measured<RetentionMatrix>) {
    let (matrix, times, median, after_load, peak) = measured;
    let dense: Vec<Vec<f64>> = matrix
        .rates()
        .iter()
        .map(|row| row.iter().map(|r| r.unwrap_or(0.0)).collect())
        .collect();
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
    println!(
        "{{\"tool\":\"saas-segmentation {} ({variant})\",\"workload\":\"cohort\",\"size\":\"{size}\",\"rows\":{rows},\"threads_requested\":{threads},\
\"median_s\":{median},\"times_s\":{times:?},\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\"matrix\":{}}}",
        env!("CARGO_PKG_VERSION"),
        serde_json::to_string(&dense).expect("json"),
    );
}

/// Times `compute` as the peers do: warm-up runs, then `repeats` timed runs, the peak RSS reset
/// after loading. Returns the last result, the times, their median, and the RSS figures.
fn measure<T>(
    repeats: usize,
    warmup: usize,
    compute: impl Fn() -> T,
) -> (T, Vec<f64>, f64, u64, u64) {
    let after_load = rss_kib("VmRSS:");
    // Reset the peak so it measures the computation (as the Python peers do).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    for _ in 0..warmup {
        std::hint::black_box(compute());
    }
    let mut times = Vec::with_capacity(repeats);
    let mut result = None;
    for _ in 0..repeats.max(1) {
        // Free the previous result first, so the peak is one computation's.
        drop(result.take());
        let start = Instant::now();
        let out = compute();
        times.push(start.elapsed().as_secs_f64());
        result = Some(out);
    }
    let peak = rss_kib("VmHWM:");
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    };
    (
        result.expect("at least one repeat"),
        times,
        median,
        after_load,
        peak,
    )
}

fn read_matrix(path: &str) -> ndarray::Array2<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert!(
        bytes.len() >= 32 && &bytes[..8] == b"SEGBIN01",
        "{path}: not a SEGBIN01 file"
    );
    let rows = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize;
    let cols = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes")) as usize;
    assert_eq!(&bytes[24..27], b"f64", "{path}: expected f64 values");
    let values: Vec<f64> = bytes[32..]
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    ndarray::Array2::from_shape_vec((rows, cols), values).expect("rows x cols values")
}

fn kmeans(data: &str, n: &str, init: &str, max_iter: usize, repeats: usize, warmup: usize) {
    let x = read_matrix(&format!("{data}/feat_{n}.bin"));
    let start = read_matrix(&format!("{data}/init_{n}.bin"));
    let k = start.nrows();
    let params = KMeans::params(k)
        .n_init(1)
        .max_iter(max_iter)
        .tol(0.0)
        .seed(0)
        .init(if init == "fixed" {
            Init::Centroids(start.clone())
        } else {
            Init::KMeansPlusPlus
        });
    if init == "init-only" {
        // k-means++ seeding alone, as scikit-learn's `kmeans_plusplus`.
        let params = KMeans::params(k).seed(0);
        let (start, times, median, after_load, peak) = measure(repeats, warmup, || {
            params.initial_centroids(x.view()).expect("valid data")
        });
        let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
        let centroids: Vec<f64> = start.iter().copied().collect();
        println!(
            "{{\"tool\":\"saas-segmentation {}\",\"workload\":\"kmeans\",\"n\":\"{n}\",\"init\":\"kmeanspp\",\
\"algorithm\":\"init-only\",\"threads_requested\":{threads},\"median_s\":{median},\"times_s\":{times:?},\
\"n_iter\":0,\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\"centroids\":{centroids:?}}}",
            env!("CARGO_PKG_VERSION"),
        );
        return;
    }
    let (model, times, median, after_load, peak) = measure(repeats, warmup, || {
        params.fit(x.view()).expect("valid data")
    });
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
    let centroids: Vec<f64> = model.centroids().iter().copied().collect();
    println!(
        "{{\"tool\":\"saas-segmentation {}\",\"workload\":\"kmeans\",\"n\":\"{n}\",\"init\":\"{init}\",\
\"algorithm\":\"lloyd\",\"threads_requested\":{threads},\"median_s\":{median},\"times_s\":{times:?},\
\"n_iter\":{},\"per_iter_s\":{},\"inertia\":{},\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\
\"centroids\":{centroids:?}}}",
        env!("CARGO_PKG_VERSION"),
        model.n_iter(),
        median / model.n_iter().max(1) as f64,
        model.inertia(),
    );
}

/// Silhouette on the first 10k / 20k rows of `feat_100k`, Davies-Bouldin and Calinski-Harabasz
/// on `feat_1m`, each with the true blob labels (as `bench_metrics.py`).
fn metrics(data: &str, metric: &str, size: &str, repeats: usize, warmup: usize) {
    let (file, rows) = match size {
        "10k" => ("100k", 10_000),
        "20k" => ("100k", 20_000),
        _ => ("1m", usize::MAX),
    };
    let x = read_matrix(&format!("{data}/feat_{file}.bin"));
    let labels_raw = read_column(&format!("{data}/labels_{file}.bin"), b"u32");
    let rows = rows.min(x.nrows());
    let x = x.slice(ndarray::s![..rows, ..]).to_owned();
    let labels: Vec<usize> = labels_raw
        .chunks_exact(4)
        .take(rows)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .collect();
    let compute = || match metric {
        "silhouette" => validate::silhouette_score(x.view(), &labels),
        "davies_bouldin" => validate::davies_bouldin_score(x.view(), &labels),
        _ => validate::calinski_harabasz_score(x.view(), &labels),
    };
    let (value, times, median, after_load, peak) = measure(repeats, warmup, compute);
    let value = value.expect("valid data");
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "1".to_owned());
    println!(
        "{{\"tool\":\"saas-segmentation {}\",\"workload\":\"metric:{metric}\",\"size\":\"{size}\",\
\"threads_requested\":{threads},\"median_s\":{median},\"times_s\":{times:?},\
\"rss_after_load_kib\":{after_load},\"peak_rss_kib\":{peak},\"value\":{value}}}",
        env!("CARGO_PKG_VERSION"),
    );
}
