//! `rfm_state` through DataFusion equals the in-memory RFM table: several partitions (one
//! empty, one customer in every partition), refunds, zero rows, rows after the analysis date,
//! integer keys; nulls are refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;

use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use saas_segmentation::records::{BadRows, Transaction};
use saas_segmentation::rfm::{RfmParams, RfmTable};
use saas_segmentation::Date;
use saas_segmentation_datafusion::{rfm_table, rfm_udaf};

fn rows() -> Vec<Transaction<String>> {
    let start = Date::from_ymd(2024, 1, 1).unwrap();
    let mut out = Vec::new();
    let mut state = 11u64;
    for i in 0..600u64 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let customer = if i % 7 == 0 {
            "everywhere".to_owned()
        } else {
            format!("c{}", (state >> 40) % 40)
        };
        let day = ((state >> 20) % 200) as i64;
        let amount = match (state >> 8) % 10 {
            0 => -((state % 50) as f64) / 4.0,
            1 => 0.0,
            _ => ((state >> 30) % 400) as f64 / 4.0,
        };
        out.push(Transaction::new(
            customer,
            start.add_days(day).unwrap(),
            amount,
        ));
    }
    out
}

fn batch(rows: &[Transaction<String>], int_keys: bool) -> RecordBatch {
    let key_type = if int_keys {
        DataType::Int64
    } else {
        DataType::Utf8
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", key_type, true),
        Field::new("day", DataType::Date32, true),
        Field::new("amount", DataType::Float64, true),
    ]));
    let keys: ArrayRef = if int_keys {
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|t| {
            t.customer
                .trim_start_matches('c')
                .parse::<i64>()
                .unwrap_or(999)
        })))
    } else {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|t| t.customer.clone()),
        ))
    };
    let days = Arc::new(Date32Array::from_iter_values(
        rows.iter().map(|t| t.date.days()),
    ));
    let amounts = Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|t| t.amount),
    ));
    RecordBatch::try_new(schema, vec![keys, days, amounts]).unwrap()
}

async fn context(
    rows: &[Transaction<String>],
    int_keys: bool,
    params: RfmParams,
) -> SessionContext {
    let ctx = SessionContext::new();
    let third = rows.len() / 3;
    let first = batch(&rows[..third], int_keys);
    let schema = first.schema();
    // Four partitions, one of them empty.
    let partitions = vec![
        vec![first],
        vec![],
        vec![batch(&rows[third..2 * third], int_keys)],
        vec![batch(&rows[2 * third..], int_keys)],
    ];
    let table = MemTable::try_new(schema, partitions).unwrap();
    ctx.register_table("tx", Arc::new(table)).unwrap();
    ctx.register_udaf(rfm_udaf(params));
    ctx
}

#[tokio::test]
async fn rfm_through_datafusion_equals_the_in_memory_table() {
    let log = rows();
    let end = Date::from_ymd(2024, 6, 1).unwrap(); // some rows fall after it
    let params = RfmParams::new(end).future(BadRows::Drop);
    let ctx = context(&log, false, params).await;
    let table = rfm_table(&ctx, "tx", params).await.unwrap();
    let expected = RfmTable::from_transactions(&log, &params).unwrap();
    assert_eq!(table.report(), expected.report());
    assert_eq!(table.len(), expected.len());
    for ((k1, s1), (k2, s2)) in table.iter().zip(expected.iter()) {
        assert_eq!(k1, k2);
        // Distinct purchase days are exact or unknown (rows of a customer met out of order).
        if let Some(d) = s1.purchase_days {
            assert_eq!(Some(d), s2.purchase_days, "{k1}");
        }
        let mut masked = s1;
        masked.purchase_days = s2.purchase_days;
        assert_eq!(masked, s2, "{k1}");
    }
}

#[tokio::test]
async fn integer_keys_and_bad_input() {
    let log: Vec<Transaction<String>> = rows()
        .into_iter()
        .map(|t| {
            let key = t
                .customer
                .trim_start_matches('c')
                .parse::<i64>()
                .unwrap_or(999);
            Transaction::new(key.to_string(), t.date, t.amount)
        })
        .collect();
    let params = RfmParams::new(Date::from_ymd(2024, 12, 31).unwrap());
    let ctx = context(&log, true, params).await;
    let table = rfm_table(&ctx, "tx", params).await.unwrap();
    let expected = RfmTable::from_transactions(&log, &params).unwrap();
    assert_eq!(table.report(), expected.report());
    assert_eq!(
        table.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    // Nulls are refused with a message naming the column.
    let ctx = SessionContext::new();
    ctx.sql("CREATE TABLE n (customer_id VARCHAR, day DATE, amount DOUBLE) AS VALUES ('a', DATE '2024-01-02', NULL)")
        .await
        .unwrap();
    ctx.register_udaf(rfm_udaf(params));
    let e = rfm_table(&ctx, "n", params).await.unwrap_err().to_string();
    assert!(e.contains("null amount"), "{e}");
    // A missing table is DataFusion's error, not a panic.
    assert!(rfm_table(&ctx, "missing", params).await.is_err());
    // A row after the analysis date under the default policy: the crate's error.
    let ctx = SessionContext::new();
    ctx.sql("CREATE TABLE f (customer_id VARCHAR, day DATE, amount DOUBLE) AS VALUES ('a', DATE '2030-01-02', 1.0)")
        .await
        .unwrap();
    ctx.register_udaf(rfm_udaf(params));
    let e = rfm_table(&ctx, "f", params).await.unwrap_err().to_string();
    assert!(e.contains("analysis date"), "{e}");
}

/// Customer -> the fourteen state values of `sql`'s `rfm_state` column, distinct purchase days
/// (field 4) left out: whether they stay known depends on the order DataFusion merges
/// partitions in, which varies from run to run.
async fn states(ctx: &SessionContext, sql: &str) -> BTreeMap<String, Vec<Option<i64>>> {
    let mut out = BTreeMap::new();
    for batch in ctx.sql(sql).await.unwrap().collect().await.unwrap() {
        let keys = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8).unwrap();
        let keys = keys.as_string::<i32>();
        let state = batch.column(1).as_struct();
        for row in 0..batch.num_rows() {
            let values = state
                .columns()
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let c = c.as_primitive::<Int64Type>();
                    (j != 4 && !c.is_null(row)).then(|| c.value(row))
                })
                .collect();
            out.insert(keys.value(row).to_owned(), values);
        }
    }
    out
}

#[tokio::test]
async fn filters_and_skipped_partial_aggregation_give_the_same_states() {
    let log = rows();
    let params = RfmParams::new(Date::from_ymd(2024, 12, 31).unwrap());
    let ctx = context(&log, false, params).await;
    let grouped = "SELECT customer_id, rfm_state(day, amount) FROM tx GROUP BY customer_id";
    let expected = states(&ctx, grouped).await;
    assert_eq!(expected.len(), 41);

    // A FILTER clause runs the row-by-row path; it equals filtering the rows first.
    let filtered = states(
        &ctx,
        "SELECT customer_id, rfm_state(day, amount) FILTER (WHERE amount > 0) \
         FROM tx GROUP BY customer_id",
    )
    .await;
    let prefiltered = states(
        &ctx,
        "SELECT customer_id, rfm_state(day, amount) FROM tx WHERE amount > 0 \
         GROUP BY customer_id",
    )
    .await;
    for (key, values) in &prefiltered {
        assert_eq!(filtered.get(key), Some(values), "{key}");
    }

    // DataFusion skipping the partial aggregation sends every row on as its own state.
    let mut config = SessionConfig::new().with_target_partitions(4);
    let execution = &mut config.options_mut().execution;
    execution.skip_partial_aggregation_probe_rows_threshold = 1;
    execution.skip_partial_aggregation_probe_ratio_threshold = 0.0;
    let skipping = SessionContext::new_with_config(config);
    let third = log.len() / 3;
    let table = MemTable::try_new(
        batch(&log[..1], false).schema(),
        // Small batches: the decision to skip is taken after the first ones.
        vec![
            log[..third].chunks(20).map(|c| batch(c, false)).collect(),
            log[third..].chunks(20).map(|c| batch(c, false)).collect(),
        ],
    )
    .unwrap();
    skipping.register_table("tx", Arc::new(table)).unwrap();
    skipping.register_udaf(rfm_udaf(params));
    let explained = skipping
        .sql(&format!("EXPLAIN ANALYZE {grouped}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&explained)
        .unwrap()
        .to_string();
    assert!(
        plan.contains("skipped_aggregation_rows=") && !plan.contains("skipped_aggregation_rows=0,"),
        "{plan}"
    );
    let skipped = states(&skipping, grouped).await;
    assert_eq!(skipped.len(), expected.len());
    for (key, values) in &expected {
        let got = &skipped[key];
        // Distinct purchase days (field 4) may be unknown when rows met out of order.
        for (j, (a, b)) in got.iter().zip(values).enumerate() {
            assert!(
                a == b || (j == 4 && (a.is_none() || b.is_none())),
                "{key} field {j}"
            );
        }
    }
}

#[tokio::test]
async fn exact_purchase_days_equal_the_in_memory_table_in_full() {
    let mut log = rows();
    // Rows in no date order at all, and amounts at the edge of a purchase (a millionth).
    log.reverse();
    let day = |d| Date::from_ymd(2024, 2, d).unwrap();
    log.push(Transaction::new("tiny".into(), day(3), 0.000_000_4));
    log.push(Transaction::new("tiny".into(), day(4), 0.000_000_6));
    log.push(Transaction::new("tiny".into(), day(5), 0.000_000_5));
    log.push(Transaction::new("tiny".into(), day(6), 0.000_000_6));
    log.swap(0, 603);
    let end = Date::from_ymd(2024, 6, 1).unwrap();
    for params in [
        RfmParams::new(end).future(BadRows::Drop),
        RfmParams::new(end)
            .future(BadRows::Drop)
            .refunds(saas_segmentation::records::RefundPolicy::Drop),
    ] {
        let ctx = context(&log, false, params).await;
        let table = saas_segmentation_datafusion::rfm_table_exact(&ctx, "tx", params)
            .await
            .unwrap();
        let expected = RfmTable::from_transactions(&log, &params).unwrap();
        assert_eq!(table, expected);
        assert!(table.iter().all(|(_, s)| s.purchase_days.is_some()));
        // The plain table could not count them all.
        let plain = rfm_table(&ctx, "tx", params).await.unwrap();
        assert!(plain.iter().any(|(_, s)| s.purchase_days.is_none()));
    }
}

#[tokio::test]
async fn the_dataframe_api_gives_the_same_states_as_sql() {
    use datafusion::prelude::col;
    let log = rows();
    let params = RfmParams::new(Date::from_ymd(2024, 12, 31).unwrap());
    let ctx = context(&log, false, params).await;
    let expected = states(
        &ctx,
        "SELECT customer_id, rfm_state(day, amount) FROM tx GROUP BY customer_id",
    )
    .await;
    let frame = ctx
        .table("tx")
        .await
        .unwrap()
        .aggregate(
            vec![col("customer_id")],
            vec![rfm_udaf(params).call(vec![col("day"), col("amount")])],
        )
        .unwrap();
    ctx.register_table("by_frame", frame.into_view()).unwrap();
    let got = states(&ctx, "SELECT * FROM by_frame").await;
    assert_eq!(got, expected);
}
