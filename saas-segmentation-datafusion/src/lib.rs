//! The mergeable summaries of `saas-segmentation` as Apache DataFusion aggregate functions, so
//! that a query engine computes them over event logs of any size (every partition of every
//! core aggregates its rows; the partial states merge as the crate's own do), with results
//! converted back into the crate's typed results, equal to the in-memory path.
//!
//! This first part covers RFM: [`rfm_udaf`] registers `rfm_state(day, amount)`, a group-by
//! aggregate whose state is the crate's [`RfmPartial`] (as plain Int64 columns), and
//! [`rfm_table`] runs `SELECT customer_id, rfm_state(day, amount) ... GROUP BY customer_id`
//! and builds the [`RfmTable`].
//!
//! ```
//! use datafusion::prelude::*;
//! use saas_segmentation::rfm::{RfmParams, RfmTable};
//! use saas_segmentation::records::Transaction;
//! use saas_segmentation::Date;
//! use saas_segmentation_datafusion::{rfm_table, rfm_udaf};
//!
//! # tokio_test();
//! # fn tokio_test() {
//! # let rt = tokio::runtime::Runtime::new().unwrap();
//! # rt.block_on(async {
//! let ctx = SessionContext::new();
//! ctx.sql("CREATE TABLE tx (customer_id VARCHAR, day DATE, amount DOUBLE) AS VALUES
//!          ('a', DATE '2024-01-02', 10.0), ('b', DATE '2024-01-03', 5.0),
//!          ('a', DATE '2024-01-09', 20.0)").await.unwrap();
//! let params = RfmParams::new(Date::from_ymd(2024, 1, 10).unwrap());
//! ctx.register_udaf(rfm_udaf(params));
//! let table = rfm_table(&ctx, "tx", params).await.unwrap();
//! let day = |d| Date::from_ymd(2024, 1, d).unwrap();
//! let log = [Transaction::new("a".to_owned(), day(2), 10.0),
//!            Transaction::new("b".to_owned(), day(3), 5.0),
//!            Transaction::new("a".to_owned(), day(9), 20.0)];
//! assert_eq!(table, RfmTable::from_transactions(&log, &params).unwrap());
//! # });
//! # }
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StructArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Fields, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::{create_udaf, Accumulator, AggregateUDF, Volatility};
use datafusion::prelude::SessionContext;
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{RfmParams, RfmPartial, RfmPartialParts, RfmTable};
use saas_segmentation::Date;

mod summaries;

pub use summaries::{
    contingency, contingency_udaf, kmeans_lloyd, kmeans_step_udaf, lloyd_step, retention_counts,
    retention_udaf, Keys, CONTINGENCY_STATE, KMEANS_STEP, RETENTION_STATE,
};

/// The name of the aggregate [`rfm_udaf`] registers.
pub const RFM_STATE: &str = "rfm_state";

/// The fields of an RFM state, all Int64 (dates as days since 1970-01-01, null when absent).
const FIELDS: [&str; 14] = [
    "first_purchase",
    "last_purchase",
    "last_row",
    "frequency",
    "purchase_days",
    "monetary_micros",
    "rows",
    "purchases",
    "refunds_netted",
    "refund_netted_micros",
    "zero_rows",
    "future_rows",
    "refunds_dropped",
    "refund_dropped_micros",
];

fn struct_fields() -> Fields {
    FIELDS
        .iter()
        .map(|n| Field::new(*n, DataType::Int64, true))
        .collect()
}

fn to_values(p: &RfmPartialParts) -> [Option<i64>; 14] {
    let day = |d: Option<Date>| d.map(|d| i64::from(d.days()));
    // Counts above i64::MAX cannot come from rows DataFusion holds; saturate rather than wrap.
    let count = |v: u64| Some(i64::try_from(v).unwrap_or(i64::MAX));
    [
        day(p.first_purchase),
        day(p.last_purchase),
        day(p.last_row),
        Some(i64::from(p.frequency)),
        p.purchase_days.map(i64::from),
        Some(p.monetary_micros),
        count(p.rows),
        count(p.purchases),
        count(p.refunds_netted),
        Some(p.refund_netted_micros),
        count(p.zero_rows),
        count(p.future_rows),
        count(p.refunds_dropped),
        Some(p.refund_dropped_micros),
    ]
}

pub(crate) fn bad(what: impl Into<String>) -> DataFusionError {
    DataFusionError::Execution(what.into())
}

fn from_values(v: [Option<i64>; 14], params: &RfmParams) -> DfResult<RfmPartial> {
    let day = |x: Option<i64>| -> DfResult<Option<Date>> {
        x.map(|d| Date::from_days(d).map_err(|e| bad(format!("rfm_state: {e}"))))
            .transpose()
    };
    let count = |x: Option<i64>, name: &str| -> DfResult<u64> {
        x.and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| bad(format!("rfm_state: {name} is missing or negative")))
    };
    let small = |x: Option<i64>, name: &str| -> DfResult<u32> {
        x.and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| bad(format!("rfm_state: {name} is missing or out of range")))
    };
    let parts = RfmPartialParts {
        first_purchase: day(v[0])?,
        last_purchase: day(v[1])?,
        last_row: day(v[2])?,
        frequency: small(v[3], "frequency")?,
        purchase_days: v[4].map(|d| small(Some(d), "purchase_days")).transpose()?,
        monetary_micros: v[5].ok_or_else(|| bad("rfm_state: monetary is missing"))?,
        rows: count(v[6], "rows")?,
        purchases: count(v[7], "purchases")?,
        refunds_netted: count(v[8], "refunds_netted")?,
        refund_netted_micros: v[9].unwrap_or(0),
        zero_rows: count(v[10], "zero_rows")?,
        future_rows: count(v[11], "future_rows")?,
        refunds_dropped: count(v[12], "refunds_dropped")?,
        refund_dropped_micros: v[13].unwrap_or(0),
    };
    RfmPartial::from_parts(&parts, params).map_err(|e| bad(format!("rfm_state: {e}")))
}

/// Row `row` of the fourteen state columns.
fn row_values(columns: &[&Int64Array], row: usize) -> [Option<i64>; 14] {
    let mut v = [None; 14];
    for (slot, c) in v.iter_mut().zip(columns) {
        *slot = (!c.is_null(row)).then(|| c.value(row));
    }
    v
}

/// One group's RFM state inside DataFusion.
#[derive(Debug)]
struct RfmStateAccumulator {
    params: RfmParams,
    state: RfmPartial,
}

impl Accumulator for RfmStateAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let (Some(days), Some(amounts)) = (values.first(), values.get(1)) else {
            return Err(bad("rfm_state takes two arguments: day, amount"));
        };
        let days = days
            .as_primitive_opt::<Date32Type>()
            .ok_or_else(|| bad("rfm_state: day must be a DATE"))?;
        let amounts = amounts
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| bad("rfm_state: amount must be a DOUBLE"))?;
        for i in 0..days.len() {
            if days.is_null(i) || amounts.is_null(i) {
                return Err(bad(format!(
                    "rfm_state: row {i} of a batch has a null {}: filter or fill nulls first",
                    if days.is_null(i) { "day" } else { "amount" }
                )));
            }
            let date = Date::from_days(i64::from(days.value(i)))
                .map_err(|e| bad(format!("rfm_state: day of row {i}: {e}")))?;
            let t = Transaction::new("(group)", date, amounts.value(i));
            self.state
                .add(&t, &self.params)
                .map_err(|e| bad(format!("rfm_state: {e}")))?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let values = to_values(&self.state.parts());
        let columns: Vec<ArrayRef> = values
            .iter()
            .map(|v| Arc::new(Int64Array::from(vec![*v])) as ArrayRef)
            .collect();
        let array = StructArray::try_new(struct_fields(), columns, None)?;
        Ok(ScalarValue::Struct(Arc::new(array)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(to_values(&self.state.parts())
            .iter()
            .map(|v| ScalarValue::Int64(*v))
            .collect())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        if states.len() != FIELDS.len() {
            return Err(bad("rfm_state: wrong number of state columns"));
        }
        let columns: Vec<&Int64Array> = states
            .iter()
            .map(|a| {
                a.as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| bad("rfm_state: state columns must be Int64"))
            })
            .collect::<DfResult<_>>()?;
        for row in 0..columns[0].len() {
            let other = from_values(row_values(&columns, row), &self.params)?;
            self.state.merge(&other);
        }
        Ok(())
    }
}

/// The `rfm_state(day DATE, amount DOUBLE)` aggregate under `params`: per group (a customer),
/// the crate's [`RfmPartial`], returned as a struct of Int64 fields. Rows with a null day or
/// amount are refused (filter or fill them first).
#[must_use]
pub fn rfm_udaf(params: RfmParams) -> AggregateUDF {
    create_udaf(
        RFM_STATE,
        vec![DataType::Date32, DataType::Float64],
        Arc::new(DataType::Struct(struct_fields())),
        Volatility::Immutable,
        Arc::new(move |_| {
            Ok(Box::new(RfmStateAccumulator {
                params,
                state: RfmPartial::new(&params),
            }))
        }),
        Arc::new(vec![DataType::Int64; FIELDS.len()]),
    )
}

/// Runs `SELECT customer_id, rfm_state(day, amount) FROM <table> GROUP BY customer_id` (the
/// table's columns `customer_id` as text, `day` DATE, `amount` DOUBLE; [`rfm_udaf`] with the
/// same `params` registered) and builds the [`RfmTable`], equal to
/// [`RfmTable::from_transactions`] over the same rows (distinct purchase days as
/// [`RfmPartial`] documents: `None` where a customer's rows met out of date order).
///
/// # Errors
/// DataFusion's errors (a missing table or column, a null day or amount) and the crate's, as
/// `DataFusionError::Execution` naming them.
pub async fn rfm_table(
    ctx: &SessionContext,
    table: &str,
    params: RfmParams,
) -> DfResult<RfmTable<String>> {
    let sql = format!(
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, {RFM_STATE}(day, amount) AS s \
         FROM {table} GROUP BY customer_id"
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut partials = Vec::new();
    for batch in &batches {
        let keys = batch.column(0).as_string_opt::<i32>();
        let keys = match keys {
            Some(k) => k.clone(),
            None => {
                let cast = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
                cast.as_string::<i32>().clone()
            }
        };
        let states = batch
            .column(1)
            .as_struct_opt()
            .ok_or_else(|| bad("rfm_state: expected the struct rfm_udaf returns"))?;
        let columns: Vec<&Int64Array> = (0..FIELDS.len())
            .map(|j| {
                states
                    .column(j)
                    .as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| bad("rfm_state: result fields must be Int64"))
            })
            .collect::<DfResult<_>>()?;
        for row in 0..batch.num_rows() {
            if keys.is_null(row) {
                return Err(bad(
                    "customer_id is null in a group: filter null keys first",
                ));
            }
            let state = from_values(row_values(&columns, row), &params)?;
            partials.push((keys.value(row).to_owned(), state));
        }
    }
    RfmTable::from_partials(params, partials).map_err(|e| bad(e.to_string()))
}
