//! Whole-table summaries as DataFusion aggregates: retention counts, contingency tables and one
//! k-means (Lloyd) iteration. Each partition of the plan feeds its rows into the crate's own
//! mergeable summary; the partial summaries travel as their checked serialized form (a Binary
//! value) and merge with the crate's `merge`, so the result equals the in-memory path.

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::logical_expr::{create_udaf, Accumulator, AggregateUDF, Volatility};
use datafusion::prelude::SessionContext;
use saas_segmentation::cluster::LloydStep;
use saas_segmentation::cohort::{Cohorts, RetentionCounts, RetentionParams};
use saas_segmentation::ids::{CustomerId, CustomerIndex};
use saas_segmentation::ndarray::{Array2, ArrayView2};
use saas_segmentation::validate::Contingency;
use saas_segmentation::Date;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bad;

/// The name of the aggregate [`retention_udaf`] registers.
pub const RETENTION_STATE: &str = "retention_state";
/// The name of the aggregate [`contingency_udaf`] registers.
pub const CONTINGENCY_STATE: &str = "contingency_state";
/// The name of the aggregate [`kmeans_step_udaf`] registers.
pub const KMEANS_STEP: &str = "kmeans_step";

/// A crate summary that a query engine feeds batch by batch and merges across partitions.
trait Summary: Debug + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// The aggregate's name, for messages.
    const NAME: &'static str;
    /// Adds one batch of the aggregate's argument columns.
    fn update(&mut self, columns: &[ArrayRef]) -> DfResult<()>;
    /// Adds a partial summary of another partition.
    fn absorb(&mut self, other: Self) -> DfResult<()>;
    /// Adds rows held back for a larger chunk, before the summary is read.
    fn flush(&mut self) -> DfResult<()> {
        Ok(())
    }
}

/// One partition's summary inside DataFusion.
#[derive(Debug)]
struct SummaryAccumulator<S> {
    summary: S,
}

impl<S: Summary> SummaryAccumulator<S> {
    fn encoded(&mut self) -> DfResult<ScalarValue> {
        self.summary.flush()?;
        encode(&self.summary, S::NAME)
    }
}

impl<S: Summary> Accumulator for SummaryAccumulator<S> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        self.summary.update(values)
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        self.encoded()
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![self.encoded()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        for_each_state(states, S::NAME, |other: S| self.summary.absorb(other))
    }
}

/// A state as the Binary value an engine carries: its serialized form.
pub(crate) fn encode<S: Serialize>(state: &S, name: &str) -> DfResult<ScalarValue> {
    let bytes = serde_json::to_vec(state)
        .map_err(|e| bad(format!("{name}: cannot serialize the state: {e}")))?;
    Ok(ScalarValue::Binary(Some(bytes)))
}

/// Loads every non-null state of a Binary state column and hands it to `absorb`. Loading runs
/// the crate's checks: a foreign or damaged state is an error.
pub(crate) fn for_each_state<S: DeserializeOwned>(
    states: &[ArrayRef],
    name: &str,
    mut absorb: impl FnMut(S) -> DfResult<()>,
) -> DfResult<()> {
    let states = states
        .first()
        .and_then(|a| a.as_binary_opt::<i32>())
        .ok_or_else(|| bad(format!("{name}: the state must be one Binary column")))?;
    for row in 0..states.len() {
        if states.is_null(row) {
            continue;
        }
        let other: S = serde_json::from_slice(states.value(row))
            .map_err(|e| bad(format!("{name}: state {row} does not load: {e}")))?;
        absorb(other)?;
    }
    Ok(())
}

fn summary_udaf<S: Summary>(
    inputs: Vec<DataType>,
    make: impl Fn() -> DfResult<S> + Send + Sync + 'static,
) -> AggregateUDF {
    create_udaf(
        S::NAME,
        inputs,
        Arc::new(DataType::Binary),
        Volatility::Immutable,
        Arc::new(move |_| Ok(Box::new(SummaryAccumulator { summary: make()? }))),
        Arc::new(vec![DataType::Binary]),
    )
}

/// Reads the Binary result of a summary query back into the crate's summary.
async fn run_summary<S: Summary>(ctx: &SessionContext, sql: &str) -> DfResult<S> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let value = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .and_then(|b| b.column(0).as_binary_opt::<i32>().cloned())
        .ok_or_else(|| bad(format!("{}: the query returned no state", S::NAME)))?;
    let bytes = value.iter().flatten().next().ok_or_else(|| {
        bad(format!(
            "{}: the query returned a null state (no rows?)",
            S::NAME
        ))
    })?;
    serde_json::from_slice(bytes).map_err(|e| bad(format!("{}: result: {e}", S::NAME)))
}

fn crate_error(name: &str, e: saas_segmentation::Error) -> datafusion::error::DataFusionError {
    bad(format!("{name}: {e}"))
}

fn dates(column: &ArrayRef, name: &str) -> DfResult<Vec<Date>> {
    let days = column
        .as_primitive_opt::<Date32Type>()
        .ok_or_else(|| bad(format!("{name}: day must be a DATE")))?;
    (0..days.len())
        .map(|i| {
            if days.is_null(i) {
                return Err(bad(format!(
                    "{name}: row {i} of a batch has a null day: filter or fill nulls first"
                )));
            }
            Date::from_days(i64::from(days.value(i)))
                .map_err(|e| bad(format!("{name}: day of row {i}: {e}")))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Retention counts.

/// The customer index a key column is resolved against: text keys or integer keys.
#[derive(Debug, Clone)]
pub enum Keys {
    /// Customers keyed by text (any string column, cast to text).
    Text(Arc<CustomerIndex<String>>),
    /// Customers keyed by 64-bit integers.
    Int(Arc<CustomerIndex<i64>>),
}

impl Keys {
    fn data_type(&self) -> DataType {
        match self {
            Keys::Text(_) => DataType::Utf8,
            Keys::Int(_) => DataType::Int64,
        }
    }

    fn dense(&self) -> saas_segmentation::ids::DenseCustomers {
        match self {
            Keys::Text(index) => index.dense(),
            Keys::Int(index) => index.dense(),
        }
    }

    /// The dense id of every row's key, naming the first unknown or null one.
    fn resolve(&self, column: &ArrayRef, name: &str) -> DfResult<Vec<CustomerId>> {
        let unknown = |row: usize, key: String| {
            bad(format!(
                "{name}: customer {key} of row {row} of a batch is not in the customer index: \
                 build the index (and the cohorts) over every customer of the log"
            ))
        };
        let null = |row: usize| {
            bad(format!(
                "{name}: row {row} of a batch has a null customer: filter null keys first"
            ))
        };
        match self {
            Keys::Text(index) => {
                let column = if column.data_type() == &DataType::Utf8 {
                    Arc::clone(column)
                } else {
                    cast(column, &DataType::Utf8)?
                };
                let keys = column.as_string::<i32>();
                (0..keys.len())
                    .map(|i| {
                        if keys.is_null(i) {
                            return Err(null(i));
                        }
                        let key = keys.value(i);
                        index.get(key).ok_or_else(|| unknown(i, format!("{key:?}")))
                    })
                    .collect()
            }
            Keys::Int(index) => {
                let keys = column
                    .as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| bad(format!("{name}: customer must be a BIGINT")))?;
                (0..keys.len())
                    .map(|i| {
                        if keys.is_null(i) {
                            return Err(null(i));
                        }
                        let key = keys.value(i);
                        index.get(&key).ok_or_else(|| unknown(i, key.to_string()))
                    })
                    .collect()
            }
        }
    }
}

impl From<CustomerIndex<String>> for Keys {
    fn from(index: CustomerIndex<String>) -> Self {
        Keys::Text(Arc::new(index))
    }
}

impl From<CustomerIndex<i64>> for Keys {
    fn from(index: CustomerIndex<i64>) -> Self {
        Keys::Int(Arc::new(index))
    }
}

/// Retention counts with the keys that resolve a batch's customers (not serialized: every
/// side of the plan builds the aggregate from the same index), and the resolved rows not yet
/// added: adding to counts that already hold rows costs a pass over the customers, so rows are
/// added in chunks of [`RETENTION_CHUNK`] rather than one engine batch at a time.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct RetentionSummary {
    counts: RetentionCounts,
    #[serde(skip)]
    keys: Option<Keys>,
    #[serde(skip)]
    pending: Vec<(CustomerId, Date)>,
}

/// Rows of activity a retention aggregate resolves before adding them to its counts (16 MiB).
const RETENTION_CHUNK: usize = 1 << 21;

impl Summary for RetentionSummary {
    const NAME: &'static str = RETENTION_STATE;

    fn update(&mut self, columns: &[ArrayRef]) -> DfResult<()> {
        let [customers, days] = columns else {
            return Err(bad("retention_state takes two arguments: customer, day"));
        };
        let keys = self
            .keys
            .as_ref()
            .ok_or_else(|| bad("retention_state: a loaded state cannot take rows"))?;
        let ids = keys.resolve(customers, Self::NAME)?;
        let days = dates(days, Self::NAME)?;
        self.pending.extend(ids.into_iter().zip(days));
        if self.pending.len() >= RETENTION_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> DfResult<()> {
        let Some(keys) = self.keys.as_ref() else {
            return Ok(());
        };
        let added = self.counts.add(&keys.dense(), &self.pending);
        self.pending.clear();
        added.map_err(|e| crate_error(Self::NAME, e))
    }

    fn absorb(&mut self, other: Self) -> DfResult<()> {
        self.counts
            .merge(&other.counts)
            .map_err(|e| crate_error(Self::NAME, e))
    }
}

/// The `retention_state(customer, day DATE)` aggregate over `cohorts` (built over `keys`'
/// customers) under `params`: the crate's [`RetentionCounts`] of every activity row, as a
/// Binary state. The customer column is text for [`Keys::Text`] and BIGINT for
/// [`Keys::Int`]; unknown customers, null keys or days are refused with the row named.
///
/// # Errors
/// The crate's error when `params` do not fit `cohorts` (as [`RetentionCounts::new`]).
pub fn retention_udaf(
    cohorts: &Cohorts,
    keys: &Keys,
    params: &RetentionParams,
) -> Result<AggregateUDF, saas_segmentation::Error> {
    // Fail here, not in every partition.
    RetentionCounts::new(cohorts, params)?;
    let (cohorts, params, shared) = (cohorts.clone(), params.clone(), keys.clone());
    Ok(summary_udaf(
        vec![keys.data_type(), DataType::Date32],
        move || {
            Ok(RetentionSummary {
                counts: RetentionCounts::new(&cohorts, &params)
                    .map_err(|e| crate_error(RETENTION_STATE, e))?,
                keys: Some(shared.clone()),
                pending: Vec::new(),
            })
        },
    ))
}

/// Runs `SELECT retention_state(customer_id, day) FROM <table>` ([`retention_udaf`]
/// registered) and returns the [`RetentionCounts`], equal to [`RetentionCounts::add`] over
/// the same rows in memory; read matrices with [`RetentionCounts::matrix`].
///
/// # Errors
/// DataFusion's errors and the crate's (an unknown customer, activity before a signup), as
/// `DataFusionError::Execution` naming them.
pub async fn retention_counts(ctx: &SessionContext, table: &str) -> DfResult<RetentionCounts> {
    let sql = format!("SELECT {RETENTION_STATE}(customer_id, day) FROM {table}");
    Ok(run_summary::<RetentionSummary>(ctx, &sql).await?.counts)
}

// ---------------------------------------------------------------------------------------------
// Contingency tables.

/// A contingency table, absent before the first row.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct ContingencySummary(Option<Contingency>);

fn labels(column: &ArrayRef, what: &str) -> DfResult<Vec<usize>> {
    let values = column
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| bad(format!("contingency_state: {what} must be a BIGINT")))?;
    (0..values.len())
        .map(|i| {
            if values.is_null(i) {
                return Err(bad(format!(
                    "contingency_state: row {i} of a batch has a null {what}: give unlabelled \
                     customers a label of their own or filter them"
                )));
            }
            usize::try_from(values.value(i)).map_err(|_| {
                bad(format!(
                    "contingency_state: {what} of row {i} is {}: labels are 0 or more",
                    values.value(i)
                ))
            })
        })
        .collect()
}

impl Summary for ContingencySummary {
    const NAME: &'static str = CONTINGENCY_STATE;

    fn update(&mut self, columns: &[ArrayRef]) -> DfResult<()> {
        let [classes, clusters] = columns else {
            return Err(bad("contingency_state takes two arguments: class, cluster"));
        };
        let classes = labels(classes, "class")?;
        let clusters = labels(clusters, "cluster")?;
        if classes.is_empty() {
            return Ok(());
        }
        let table =
            Contingency::new(&classes, &clusters).map_err(|e| crate_error(Self::NAME, e))?;
        self.absorb(ContingencySummary(Some(table)))
    }

    fn absorb(&mut self, other: Self) -> DfResult<()> {
        self.0 = match (self.0.take(), other.0) {
            (Some(a), Some(b)) => Some(a.merge(&b).map_err(|e| crate_error(Self::NAME, e))?),
            (a, b) => a.or(b),
        };
        Ok(())
    }
}

/// The `contingency_state(class BIGINT, cluster BIGINT)` aggregate: the crate's sparse
/// [`Contingency`] table of two labellings (one row per customer), as a Binary state.
#[must_use]
pub fn contingency_udaf() -> AggregateUDF {
    summary_udaf(vec![DataType::Int64, DataType::Int64], || {
        Ok(ContingencySummary::default())
    })
}

/// Runs `SELECT contingency_state(<class>, <cluster>) FROM <table>` ([`contingency_udaf`]
/// registered) and returns the [`Contingency`] table, equal to [`Contingency::new`] over the
/// same labels; read ARI, AMI and the rest from it.
///
/// # Errors
/// DataFusion's errors, a null or negative label, and an empty table (no labels to compare).
pub async fn contingency(
    ctx: &SessionContext,
    table: &str,
    class: &str,
    cluster: &str,
) -> DfResult<Contingency> {
    let sql = format!("SELECT {CONTINGENCY_STATE}({class}, {cluster}) FROM {table}");
    run_summary::<ContingencySummary>(ctx, &sql)
        .await?
        .0
        .ok_or_else(|| bad("contingency_state: the table has no rows to compare"))
}

// ---------------------------------------------------------------------------------------------
// One Lloyd iteration of k-means.

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct LloydSummary(LloydStep);

impl Summary for LloydSummary {
    const NAME: &'static str = KMEANS_STEP;

    fn update(&mut self, columns: &[ArrayRef]) -> DfResult<()> {
        let d = self.0.start().ncols();
        if columns.len() != d {
            return Err(bad(format!(
                "kmeans_step: {} feature columns for centroids of {d} features",
                columns.len()
            )));
        }
        let n = columns.first().map_or(0, |c| c.len());
        let mut x = Array2::<f64>::zeros((n, d));
        for (f, column) in columns.iter().enumerate() {
            let values = column
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| bad(format!("kmeans_step: feature {f} must be a DOUBLE")))?;
            if values.null_count() > 0 {
                return Err(bad(format!(
                    "kmeans_step: feature {f} has nulls: impute or filter them first"
                )));
            }
            for (cell, &v) in x.column_mut(f).iter_mut().zip(values.values().iter()) {
                *cell = v;
            }
        }
        self.0.add(x.view()).map_err(|e| crate_error(Self::NAME, e))
    }

    fn absorb(&mut self, other: Self) -> DfResult<()> {
        self.0
            .merge(&other.0)
            .map_err(|e| crate_error(Self::NAME, e))
    }
}

/// The `kmeans_step(x1 DOUBLE, ..., xd DOUBLE)` aggregate from `centroids` (`k x d`): one
/// Lloyd iteration's partial sums, the crate's [`LloydStep`], as a Binary state.
///
/// # Errors
/// The crate's error for empty or non-finite centroids.
pub fn kmeans_step_udaf(
    centroids: ArrayView2<'_, f64>,
) -> Result<AggregateUDF, saas_segmentation::Error> {
    let start = LloydStep::new(centroids)?;
    let d = centroids.ncols();
    Ok(summary_udaf(vec![DataType::Float64; d], move || {
        Ok(LloydSummary(start.clone()))
    }))
}

/// Runs one Lloyd iteration from `centroids` over the `columns` of `table` (registering
/// [`kmeans_step_udaf`] for it) and returns the [`LloydStep`]: its
/// [`centroids`](LloydStep::centroids) are the moved centroids, bit for bit those of
/// [`LloydStep::add`] over the same rows in memory.
///
/// # Errors
/// DataFusion's errors, nulls in a feature, and the crate's (non-finite values).
pub async fn lloyd_step(
    ctx: &SessionContext,
    table: &str,
    columns: &[&str],
    centroids: ArrayView2<'_, f64>,
) -> DfResult<LloydStep> {
    if columns.len() != centroids.ncols() {
        return Err(bad(format!(
            "kmeans_step: {} columns for centroids of {} features",
            columns.len(),
            centroids.ncols()
        )));
    }
    ctx.register_udaf(kmeans_step_udaf(centroids).map_err(|e| crate_error(KMEANS_STEP, e))?);
    let arguments = columns
        .iter()
        .map(|c| format!("CAST({c} AS DOUBLE)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {KMEANS_STEP}({arguments}) FROM {table}");
    Ok(run_summary::<LloydSummary>(ctx, &sql).await?.0)
}

/// Lloyd's k-means over a table: up to `max_iter` iterations of [`lloyd_step`] from `start`,
/// stopping once no centroid moves by more than `tol` (squared Euclidean, summed over the
/// centroids, as scikit-learn's `tol` before its scaling). Returns the last step, whose
/// [`centroids`](LloydStep::centroids) are the fitted centroids.
///
/// # Errors
/// As [`lloyd_step`]; `max_iter` 0 is an error.
pub async fn kmeans_lloyd(
    ctx: &SessionContext,
    table: &str,
    columns: &[&str],
    start: ArrayView2<'_, f64>,
    max_iter: usize,
    tol: f64,
) -> DfResult<LloydStep> {
    if max_iter == 0 {
        return Err(bad("kmeans_step: max_iter must be at least 1"));
    }
    let mut centroids = start.to_owned();
    let mut last = None;
    for _ in 0..max_iter {
        let step = lloyd_step(ctx, table, columns, centroids.view()).await?;
        let moved = step.centroids().map_err(|e| crate_error(KMEANS_STEP, e))?;
        let shift: f64 = moved
            .iter()
            .zip(&centroids)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        centroids = moved;
        last = Some(step);
        if shift <= tol {
            break;
        }
    }
    last.ok_or_else(|| bad("kmeans_step: no iteration ran"))
}
