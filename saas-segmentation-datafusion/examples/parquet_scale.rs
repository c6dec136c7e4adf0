//! RFM and cohort retention over a large, partitioned Parquet log through DataFusion, checked
//! against the in-memory path on a sample of customers, with DataFusion's own SQL for the same
//! count / sum / max as the yardstick.
//!
//! ```text
//! cargo run --release -p saas-segmentation-datafusion --example parquet_scale
//! cargo run --release -p saas-segmentation-datafusion --example parquet_scale -- \
//!     --rows 100000000 --customers 1000000 --files 16 --seed 7 --scaling
//! ```
//!
//! The log (customer_id BIGINT, day DATE, amount DOUBLE; about 5% refunds) is generated from
//! the seed under `target/parquet-scale/<rows>-<customers>-<seed>/` once and reused. Memory of
//! the aggregates follows the customers, not the rows.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{AsArray, Date32Array, Float64Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Float64Type, Int64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionCounts, RetentionMode, RetentionParams};
use saas_segmentation::random::SeededRng;
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{RfmParams, RfmTable};
use saas_segmentation::{CustomerIndex, Date, Period};
use saas_segmentation_datafusion::{
    retention_counts, retention_udaf, rfm_table, rfm_table_exact, rfm_udaf, Keys, RFM_STATE,
};

type Failure = Box<dyn std::error::Error>;

struct Args {
    rows: u64,
    customers: u64,
    files: u64,
    seed: u64,
    scaling: bool,
    timing_only: bool,
}

fn args() -> Result<Args, Failure> {
    let mut a = Args {
        rows: 100_000_000,
        customers: 1_000_000,
        files: 16,
        seed: 7,
        scaling: false,
        timing_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--scaling" || flag == "--timing-only" {
            a.scaling |= flag == "--scaling";
            a.timing_only |= flag == "--timing-only";
            continue;
        }
        let value: u64 = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .parse()?;
        match flag.as_str() {
            "--rows" => a.rows = value,
            "--customers" => a.customers = value.max(1),
            "--files" => a.files = value.max(1),
            "--seed" => a.seed = value,
            _ => return Err(format!("unknown argument {flag}").into()),
        }
    }
    Ok(a)
}

fn start() -> Date {
    Date::from_ymd(2023, 1, 1).expect("a valid date")
}

fn analysis() -> Date {
    Date::from_ymd(2025, 6, 30).expect("a valid date")
}

/// Customer `c`'s signup: a day of 2023 or the first half of 2024, from the seed.
fn signup(c: u64, seed: u64) -> Date {
    let mut rng = SeededRng::stream(seed ^ 0x5eed, c);
    start()
        .add_days(rng.below(545) as i64)
        .expect("inside the calendar")
}

/// Writes the log as `files` Parquet files, each of its own rng stream.
fn generate(dir: &Path, a: &Args) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("day", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let signups: Vec<i32> = (0..a.customers).map(|c| signup(c, a.seed).days()).collect();
    let end = analysis().days();
    let per_file = a.rows.div_ceil(a.files);
    for f in 0..a.files {
        let rows = per_file.min(a.rows.saturating_sub(f * per_file));
        let path = dir.join(format!("part-{f:03}.parquet"));
        let mut writer = ArrowWriter::try_new(std::fs::File::create(&path)?, schema.clone(), None)?;
        let mut rng = SeededRng::stream(a.seed, f);
        let mut left = rows;
        while left > 0 {
            let n = left.min(1 << 20) as usize;
            left -= n as u64;
            let (mut keys, mut days, mut amounts) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for _ in 0..n {
                // Heavier customers first: a skewed draw over the customers.
                let u = rng.uniform();
                let c = ((u * u) * a.customers as f64) as u64 % a.customers;
                let first = signups[c as usize];
                let day = first + rng.below((end - first + 1) as u64) as i32;
                let amount = if rng.bernoulli(0.05) {
                    -((rng.range(1.0, 100.0) * 100.0).round() / 100.0)
                } else {
                    (rng.range(5.0, 500.0) * 100.0).round() / 100.0
                };
                keys.push(c as i64);
                days.push(day);
                amounts.push(amount);
            }
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(keys)),
                    Arc::new(Date32Array::from(days)),
                    Arc::new(Float64Array::from(amounts)),
                ],
            )?;
            writer.write(&batch)?;
        }
        writer.close()?;
    }
    std::fs::write(dir.join("_complete"), b"")?;
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            workspace.canonicalize().unwrap_or(workspace).join("target")
        })
}

async fn context(dir: &Path, partitions: usize) -> Result<SessionContext, Failure> {
    // DataFusion's settings from the environment (DATAFUSION_EXECUTION_...), cores from the
    // argument.
    let mut config = SessionConfig::from_env()?.with_target_partitions(partitions);
    // Both sides keep the partial aggregation (rfm_table does so itself): DataFusion would skip
    // it after seeing mostly distinct customers in a partition's first rows, which is slower
    // here for its own SQL too (4.4 s instead of 3.7 s) and several times slower for the wide
    // RFM state.
    config
        .options_mut()
        .execution
        .skip_partial_aggregation_probe_ratio_threshold = 1.0;
    let ctx = SessionContext::new_with_config(config);
    ctx.register_parquet(
        "tx",
        dir.to_str().ok_or("a path that is not UTF-8")?,
        ParquetReadOptions::default(),
    )
    .await?;
    Ok(ctx)
}

/// Seconds to run `sql` and collect its rows.
async fn time_sql(ctx: &SessionContext, sql: &str) -> Result<(f64, usize), Failure> {
    let t = Instant::now();
    let batches = ctx.sql(sql).await?.collect().await?;
    Ok((
        t.elapsed().as_secs_f64(),
        batches.iter().map(RecordBatch::num_rows).sum(),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let a = args()?;
    let dir = target_dir()
        .join("parquet-scale")
        .join(format!("{}-{}-{}", a.rows, a.customers, a.seed));
    if !dir.join("_complete").exists() {
        let t = Instant::now();
        generate(&dir, &a)?;
        println!(
            "generated {} rows for {} customers in {} files under {} ({:.1} s)",
            a.rows,
            a.customers,
            a.files,
            dir.display(),
            t.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing {}", dir.display());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let params = RfmParams::new(analysis());
    let plain = "SELECT customer_id, count(*), sum(amount), max(day) FROM tx GROUP BY customer_id";
    let udaf = format!("SELECT customer_id, {RFM_STATE}(day, amount) FROM tx GROUP BY customer_id");
    let mut core_counts = vec![cores];
    if a.scaling && cores > 1 {
        core_counts.insert(0, 1);
    }
    println!(
        "\nper-customer aggregate over {} rows (seconds, one run each)",
        a.rows
    );
    println!(
        "{:>6} {:>22} {:>22} {:>8}",
        "cores", "SQL count/sum/max", "rfm_state (UDAF)", "ratio"
    );
    for &n in &core_counts {
        let ctx = context(&dir, n).await?;
        ctx.register_udaf(rfm_udaf(params));
        let (sql_s, groups) = time_sql(&ctx, plain).await?;
        let (udaf_s, groups_udaf) = time_sql(&ctx, &udaf).await?;
        assert_eq!(groups, groups_udaf);
        println!(
            "{n:>6} {sql_s:>22.2} {udaf_s:>22.2} {:>7.2}x",
            udaf_s / sql_s
        );
    }

    if a.timing_only {
        return Ok(());
    }

    // The typed results.
    let ctx = context(&dir, cores).await?;
    ctx.register_udaf(rfm_udaf(params));
    let t = Instant::now();
    let table = rfm_table(&ctx, "tx", params).await?;
    let known = table
        .iter()
        .filter(|(_, s)| s.purchase_days.is_some())
        .count();
    println!(
        "\nRfmTable of {} customers through DataFusion in {:.2} s (distinct purchase days \
         known for {known}: rows meet out of date order across partitions)",
        table.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let table = rfm_table_exact(&ctx, "tx", params).await?;
    println!(
        "RfmTable with exact distinct purchase days for all {} in {:.2} s",
        table.len(),
        t.elapsed().as_secs_f64()
    );
    let index = CustomerIndex::from_keys(0..a.customers as i64)?;
    let signups: Vec<(i64, Date)> = (0..a.customers)
        .map(|c| (c as i64, signup(c, a.seed)))
        .collect();
    let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month))?;
    let retention = RetentionParams::new(analysis());
    let keys = Keys::from(index);
    ctx.register_udaf(retention_udaf(&cohorts, &keys, &retention)?);
    let t = Instant::now();
    let counts = retention_counts(&ctx, "tx").await?;
    println!(
        "retention counts of {} cohorts in {:.2} s",
        cohorts.labels().len(),
        t.elapsed().as_secs_f64()
    );
    let matrix = counts.matrix(RetentionMode::Recurring);
    let rates = matrix.rates();
    if let Some(first) = rates.first() {
        let shown: Vec<String> = first
            .iter()
            .take(6)
            .map(|r| r.map_or("-".into(), |r| format!("{:.1}%", 100.0 * r)))
            .collect();
        println!(
            "cohort {} retention, months 0-5: {}",
            cohorts.labels()[0],
            shown.join("  ")
        );
    }

    // The sample check: every 997th customer, in memory, against the engine's results.
    let t = Instant::now();
    let sample_sql = "SELECT customer_id, day, amount FROM tx WHERE customer_id % 997 = 0";
    let batches = ctx.sql(sample_sql).await?.collect().await?;
    let mut log = Vec::new();
    for b in &batches {
        let k = b.column(0).as_primitive::<Int64Type>();
        let d = b.column(1).as_primitive::<Date32Type>();
        let m = b.column(2).as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            log.push(Transaction::new(
                k.value(i).to_string(),
                Date::from_days(i64::from(d.value(i)))?,
                m.value(i),
            ));
        }
    }
    let memory = RfmTable::from_transactions(&log, &params)?;
    let mut checked = 0;
    for (key, expected) in memory.iter() {
        let got = table
            .get(key)
            .ok_or_else(|| format!("customer {key} is missing from the engine's table"))?;
        if got != expected {
            return Err(format!("customer {key}: {got:?} != {expected:?}").into());
        }
        checked += 1;
    }
    // Retention of the sample: the engine over the sample rows against the same rows in memory.
    let sample_keys: Vec<i64> = (0..a.customers as i64).filter(|c| c % 997 == 0).collect();
    let sample_index = CustomerIndex::from_keys(sample_keys.iter().copied())?;
    let sample_signups: Vec<(i64, Date)> = sample_keys
        .iter()
        .map(|&c| (c, signup(c as u64, a.seed)))
        .collect();
    let sample_cohorts = Cohorts::by_signup(
        &sample_index,
        &sample_signups,
        Grid::Calendar(Period::Month),
    )?;
    let activity: Vec<(i64, Date)> = log
        .iter()
        .map(|t| Ok((t.customer.parse::<i64>()?, t.date)))
        .collect::<Result<_, Failure>>()?;
    let mut expected = RetentionCounts::new(&sample_cohorts, &retention)?;
    expected.add(&sample_index, &activity)?;
    ctx.sql("CREATE VIEW sample AS SELECT customer_id, day FROM tx WHERE customer_id % 997 = 0")
        .await?;
    ctx.register_udaf(retention_udaf(
        &sample_cohorts,
        &Keys::from(sample_index),
        &retention,
    )?);
    let sample_counts = retention_counts(&ctx, "sample").await?;
    if sample_counts != expected {
        return Err("the sample's retention counts differ from the in-memory counts".into());
    }
    println!(
        "sample check: {checked} customers' RFM ({} rows) and their retention counts equal the \
         in-memory path ({:.2} s)",
        log.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
