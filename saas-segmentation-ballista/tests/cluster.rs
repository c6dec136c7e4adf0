//! A Ballista scheduler and two executors in this process on the loopback interface run the
//! crate's aggregates over partitioned Parquet and give the in-memory results.

use std::sync::Arc;

use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::arrow::array::{Date32Array, Float64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::ParquetReadOptions;
use saas_segmentation::cohort::{Cohorts, Grid, RetentionCounts, RetentionParams};
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{RfmParams, RfmTable};
use saas_segmentation::{CustomerIndex, Date, Period};
use saas_segmentation_ballista::{connect, session_state};
use saas_segmentation_datafusion::{retention_counts, retention_udaf, rfm_table, rfm_udaf, Keys};

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 16
}

/// 50 customers (`k49` .. `k0`, signed up in the first half of 2024) and their transactions
/// from their signup on, with refunds; `k7` has rows in every file.
fn log() -> (Vec<(String, Date)>, Vec<Transaction<String>>) {
    let start = Date::from_ymd(2024, 1, 1).unwrap();
    let mut state = 17;
    let signups: Vec<(String, Date)> = (0..50)
        .rev()
        .map(|c| {
            (
                format!("k{c}"),
                start.add_days((lcg(&mut state) % 180) as i64).unwrap(),
            )
        })
        .collect();
    let mut rows = Vec::new();
    for i in 0..1500 {
        let (key, signup) = if i % 6 == 0 {
            signups[42].clone()
        } else {
            signups[(lcg(&mut state) % 50) as usize].clone()
        };
        let day = signup.add_days((lcg(&mut state) % 150) as i64).unwrap();
        let amount = if lcg(&mut state).is_multiple_of(12) {
            -((lcg(&mut state) % 40) as f64)
        } else {
            (lcg(&mut state) % 9000) as f64 / 100.0
        };
        rows.push(Transaction::new(key, day, amount));
    }
    (signups, rows)
}

fn write_parquet(dir: &std::path::Path, rows: &[Transaction<String>], files: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("day", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    for (f, chunk) in rows.chunks(rows.len().div_ceil(files)).enumerate() {
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(
                    chunk.iter().map(|t| &t.customer),
                )),
                Arc::new(Date32Array::from_iter_values(
                    chunk.iter().map(|t| t.date.days()),
                )),
                Arc::new(Float64Array::from_iter_values(
                    chunk.iter().map(|t| t.amount),
                )),
            ],
        )
        .unwrap();
        let file = std::fs::File::create(dir.join(format!("part-{f}.parquet"))).unwrap();
        let mut writer = ArrowWriter::try_new(file, schema.clone(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduler_and_two_executors_give_the_in_memory_results() {
    let (signups, rows) = log();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ballista-cluster-tx");
    let _ = std::fs::remove_dir_all(&dir);
    write_parquet(&dir, &rows, 4);

    let params = RfmParams::new(Date::from_ymd(2024, 12, 31).unwrap());
    let index = CustomerIndex::from_keys(signups.iter().map(|s| s.0.clone())).unwrap();
    let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month)).unwrap();
    let retention = RetentionParams::new(Date::from_ymd(2024, 12, 31).unwrap());
    // The same functions, under the same settings, in every process.
    let state = session_state([
        rfm_udaf(params),
        retention_udaf(&cohorts, &Keys::from(index.clone()), &retention).unwrap(),
    ]);

    let address = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state)
        .await
        .unwrap();
    let url = format!("http://localhost:{}", address.port());
    let mut scheduler = None;
    for _ in 0..100 {
        if let Ok(client) = SchedulerGrpcClient::connect(url.clone()).await {
            scheduler = Some(client);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let scheduler = scheduler.expect("the scheduler answers");
    for _ in 0..2 {
        ballista_executor::new_standalone_executor_from_state(scheduler.clone(), 2, &state)
            .await
            .unwrap();
    }
    let ctx = connect(&format!("df://localhost:{}", address.port()), state.clone())
        .await
        .unwrap();
    ctx.register_parquet("tx", dir.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();

    let table = rfm_table(&ctx, "tx", params).await.unwrap();
    let expected = RfmTable::from_transactions(&rows, &params).unwrap();
    assert_eq!(table.report(), expected.report());
    assert_eq!(table.len(), expected.len());
    for ((k1, s1), (k2, s2)) in table.iter().zip(expected.iter()) {
        assert_eq!(k1, k2);
        let mut masked = s1;
        if s1.purchase_days.is_none() {
            masked.purchase_days = s2.purchase_days;
        }
        assert_eq!(masked, s2, "{k1}");
    }

    let counts = retention_counts(&ctx, "tx").await.unwrap();
    let mut expected = RetentionCounts::new(&cohorts, &retention).unwrap();
    let activity: Vec<(String, Date)> = rows.iter().map(|t| (t.customer.clone(), t.date)).collect();
    expected.add(&index, &activity).unwrap();
    assert_eq!(counts, expected);
}
