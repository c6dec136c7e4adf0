//! The DataFusion aggregates of `saas-segmentation` on an Apache Ballista cluster: the same
//! queries as on one machine, planned by a Ballista scheduler and run by its executors, with
//! the same typed results.
//!
//! A Ballista scheduler and its executors decode the query plan by function name, so every
//! process needs the aggregates registered under the same settings: build one
//! [`session_state`] with them, and give it to the scheduler, to every executor and to the
//! client ([`connect`]). [`function_registry`] is what an executor process takes.
//!
//! ```no_run
//! use datafusion::prelude::ParquetReadOptions;
//! use saas_segmentation::rfm::RfmParams;
//! use saas_segmentation::Date;
//! use saas_segmentation_ballista::{connect, session_state};
//! use saas_segmentation_datafusion::{rfm_table, rfm_udaf};
//!
//! # async fn run() -> datafusion::error::Result<()> {
//! let params = RfmParams::new(Date::from_ymd(2024, 12, 31).unwrap());
//! let state = session_state([rfm_udaf(params)]);
//! // A scheduler at scheduler:50050 whose executors registered the same aggregates.
//! let ctx = connect("df://scheduler:50050", state).await?;
//! ctx.register_parquet("tx", "s3://bucket/transactions/", ParquetReadOptions::default())
//!     .await?;
//! let table = rfm_table(&ctx, "tx", params).await?;
//! # let _ = table;
//! # Ok(())
//! # }
//! ```
//!
//! # Deploying on a cluster
//!
//! The stock `ballista-scheduler` and `ballista-executor` binaries know DataFusion's built-in
//! functions only, so a cluster that runs these aggregates runs its own two small binaries,
//! each built from the same [`session_state`]:
//!
//! - the scheduler: `ballista_scheduler::config::SchedulerConfig` with
//!   `override_session_builder` returning the state (and `override_config_producer` returning
//!   its config), started with `ballista_scheduler::scheduler_process::start_server`;
//! - each executor: `ballista_executor::executor_process::ExecutorProcessConfig` with
//!   `override_function_registry: Some(function_registry(&state))` and the scheduler's host and
//!   port, started with `ballista_executor::executor_process::start_executor_process`.
//!
//! Executors read the data themselves (Parquet on a shared file system or an object store);
//! tables held in a client's memory do not travel. The aggregates' settings (the RFM analysis
//! date, the cohorts and the customer index of retention) are part of the registered
//! functions, so a change of settings is a new build of the state in every process, or a
//! cluster per analysis; the partial states travel between executors as Arrow columns in
//! Ballista's shuffle, checked when they are merged. The in-process test
//! `tests/cluster.rs` starts a scheduler and two executors this way on the loopback
//! interface.

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A Ballista-ready session state (Ballista's configuration, DataFusion's built-in functions)
/// with `aggregates` registered, for the scheduler, the executors and the client alike.
#[must_use]
pub fn session_state(aggregates: impl IntoIterator<Item = AggregateUDF>) -> SessionState {
    let mut state = SessionStateBuilder::new()
        .with_config(SessionConfig::new_with_ballista())
        .with_default_features()
        .build();
    for aggregate in aggregates {
        // Registering replaces a function of the same name; the previous one is not needed.
        let _ = state.register_udaf(Arc::new(aggregate));
    }
    state
}

/// A client context on the Ballista scheduler at `url` (`df://host:port`) with `state` (from
/// [`session_state`]): Ballista's upgrade of a state for a remote scheduler resets its
/// functions to Ballista's own, so the state's aggregates are registered on the context again.
///
/// # Errors
/// Ballista's error when the url does not parse or the state cannot be upgraded.
pub async fn connect(url: &str, state: SessionState) -> datafusion::error::Result<SessionContext> {
    let aggregates: Vec<Arc<AggregateUDF>> =
        state.aggregate_functions().values().cloned().collect();
    let ctx = SessionContext::remote_with_state(url, state).await?;
    for aggregate in aggregates {
        ctx.register_udaf(aggregate.as_ref().clone());
    }
    Ok(ctx)
}

/// The functions of `state` as an executor process takes them
/// (`ExecutorProcessConfig::override_function_registry`).
#[must_use]
pub fn function_registry(state: &SessionState) -> Arc<BallistaFunctionRegistry> {
    Arc::new(BallistaFunctionRegistry::from(state))
}
