//! Behaviour summaries as a DataFusion group-by aggregate over an activity log.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::logical_expr::{create_udaf, Accumulator, AggregateUDF, Volatility};
use datafusion::prelude::SessionContext;
use saas_segmentation::activity::{
    behaviour_from_partials, Activity, ActivityEvent, BehaviourConfig, BehaviourPartial,
    BehaviourSummary,
};
use saas_segmentation::{CustomerIndex, Date, PerCustomer};

use crate::bad;
use crate::summaries::{encode, for_each_state};

/// The name of the aggregate [`behaviour_udaf`] registers.
pub const BEHAVIOUR_STATE: &str = "behaviour_state";

/// One customer's behaviour state inside DataFusion.
#[derive(Debug)]
struct BehaviourAccumulator {
    config: Arc<BehaviourConfig<String>>,
    state: BehaviourPartial<String>,
}

fn text(column: &ArrayRef) -> DfResult<StringArray> {
    Ok(cast(column, &DataType::Utf8)?.as_string::<i32>().clone())
}

impl Accumulator for BehaviourAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let [days, kinds, names, counts, minutes] = values else {
            return Err(bad(
                "behaviour_state takes five arguments: day, kind, name, count, minutes",
            ));
        };
        let days = days
            .as_primitive_opt::<datafusion::arrow::datatypes::Date32Type>()
            .ok_or_else(|| bad("behaviour_state: day must be a DATE"))?;
        let (kinds, names) = (text(kinds)?, text(names)?);
        let counts = counts
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| bad("behaviour_state: count must be a BIGINT"))?;
        let minutes = minutes
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| bad("behaviour_state: minutes must be a DOUBLE"))?;
        for i in 0..days.len() {
            let null = |what: &str| {
                bad(format!(
                    "behaviour_state: row {i} of a batch has a null {what}: filter or fill \
                     nulls first"
                ))
            };
            if days.is_null(i) {
                return Err(null("day"));
            }
            if kinds.is_null(i) {
                return Err(null("kind"));
            }
            if counts.is_null(i) {
                return Err(null("count (1 for one event)"));
            }
            let date = Date::from_days(i64::from(days.value(i)))
                .map_err(|e| bad(format!("behaviour_state: day of row {i}: {e}")))?;
            let name = || -> DfResult<String> {
                if names.is_null(i) {
                    return Err(null("name (features and workflows need one)"));
                }
                Ok(names.value(i).to_owned())
            };
            let event = match kinds.value(i) {
                "login" => ActivityEvent::Login,
                "feature" => ActivityEvent::Feature(name()?),
                "workflow" => ActivityEvent::Workflow(name()?),
                other => {
                    return Err(bad(format!(
                        "behaviour_state: kind {other:?} of row {i}: use 'login', 'feature' or \
                         'workflow'"
                    )))
                }
            };
            let count = u32::try_from(counts.value(i)).map_err(|_| {
                bad(format!(
                    "behaviour_state: count {} of row {i}: counts are 0 to 4,294,967,295",
                    counts.value(i)
                ))
            })?;
            let mut activity = Activity::new("(group)", date, event).with_count(count);
            if !minutes.is_null(i) {
                activity = activity.with_duration(minutes.value(i));
            }
            self.state
                .add(&activity, &self.config)
                .map_err(|e| bad(format!("behaviour_state: row {i} of a batch: {e}")))?;
        }
        Ok(())
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
        for_each_state(
            states,
            BEHAVIOUR_STATE,
            |other: BehaviourPartial<String>| {
                self.state.merge(&other);
                Ok(())
            },
        )
    }
}

impl BehaviourAccumulator {
    fn encoded(&self) -> DfResult<ScalarValue> {
        encode(&self.state, BEHAVIOUR_STATE)
    }
}

/// The `behaviour_state(day DATE, kind VARCHAR, name VARCHAR, count BIGINT, minutes DOUBLE)`
/// aggregate under `config`: per group (a customer), the crate's [`BehaviourPartial`] of its
/// activity, as a Binary state. `kind` is `'login'`, `'feature'` or `'workflow'`; `name` the
/// feature or workflow (null for logins); `count` the events the row stands for (1 for one
/// event); `minutes` the time spent, or null.
#[must_use]
pub fn behaviour_udaf(config: &BehaviourConfig<String>) -> AggregateUDF {
    let config = Arc::new(config.clone());
    create_udaf(
        BEHAVIOUR_STATE,
        vec![
            DataType::Date32,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Int64,
            DataType::Float64,
        ],
        Arc::new(DataType::Binary),
        Volatility::Immutable,
        Arc::new(move |_| {
            Ok(Box::new(BehaviourAccumulator {
                config: Arc::clone(&config),
                state: BehaviourPartial::new(),
            }))
        }),
        Arc::new(vec![DataType::Binary]),
    )
}

/// Runs `SELECT customer_id, behaviour_state(day, kind, name, count, minutes) FROM <table>
/// GROUP BY customer_id` ([`behaviour_udaf`] with the same `config` registered) and builds the
/// behaviour of every customer of `index`, equal to
/// [`derive_behaviour`](saas_segmentation::activity::derive_behaviour) over the same rows.
///
/// # Errors
/// DataFusion's errors, the aggregate's (nulls, unknown kinds, counts out of range, bad
/// durations), and the crate's (a customer the index does not hold), naming them.
pub async fn behaviour(
    ctx: &SessionContext,
    table: &str,
    index: &CustomerIndex<String>,
    config: &BehaviourConfig<String>,
) -> DfResult<PerCustomer<BehaviourSummary>> {
    let sql = format!(
        "SELECT CAST(customer_id AS VARCHAR), {BEHAVIOUR_STATE}(day, kind, name, \
         CAST(count AS BIGINT), CAST(minutes AS DOUBLE)) FROM {table} GROUP BY customer_id"
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut partials = Vec::new();
    for batch in &batches {
        let keys = text(batch.column(0))?;
        let states = batch
            .column(1)
            .as_binary_opt::<i32>()
            .ok_or_else(|| bad("behaviour_state: expected the Binary state"))?;
        for row in 0..batch.num_rows() {
            if keys.is_null(row) || states.is_null(row) {
                return Err(bad(
                    "customer_id is null in a group: filter null keys first",
                ));
            }
            let state: BehaviourPartial<String> = serde_json::from_slice(states.value(row))
                .map_err(|e| bad(format!("behaviour_state: result: {e}")))?;
            partials.push((keys.value(row).to_owned(), state));
        }
    }
    behaviour_from_partials(index, partials, config)
        .map_err(|e| bad(format!("behaviour_state: {e}")))
}
