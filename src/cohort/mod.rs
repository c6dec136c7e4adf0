//! Cohorts and retention: who signed up together, and how many of them stayed.
//!
//! [`Cohorts`] assigns customers to cohorts by signup period ([`Grid`]: calendar periods or
//! fixed runs of days), by any caller key (acquisition channel, size tier, a cross of both) or
//! by segment. [`RetentionMatrix`] counts, for each cohort and period after signup, the members
//! active then ([`RetentionMode::Recurring`]), active then or later ([`RetentionMode::Unbounded`])
//! or active for the first time ([`RetentionMode::FirstTime`]); periods are calendar periods,
//! rolling N-day windows or custom day brackets ([`Windows`]). Cells no member could be observed
//! in by the analysis date are `None`, never 0, and the average curve uses only cohorts that
//! reached each period. [`RetentionCounts`] is the mergeable form (a union of per-customer
//! activity sets) for chunked or parallel input.
//!
//! [`RevenueRetention`] gives net and gross revenue retention per cohort from monthly MRR;
//! [`lifecycle`] splits each period's active base into new, returning, resurrecting and
//! dormant; [`stickiness`] counts active days per period. Survival curves and tests of whether
//! cohorts retain differently are in [`crate::survival`].
//!
//! ```
//! use saas_segmentation::cohort::{Cohorts, RetentionMatrix, RetentionParams, Windows};
//! use saas_segmentation::{CustomerIndex, Date};
//!
//! let d = |s: &str| s.parse::<Date>();
//! let index = CustomerIndex::from_keys(["a", "b", "c", "d"])?;
//! let signups = [("a", d("2024-01-03")?), ("b", d("2024-01-15")?), ("c", d("2024-01-20")?),
//!                ("d", d("2024-02-02")?)];
//! // Cohorts by acquisition channel rather than by signup month.
//! let channel = |key: &str| if key == "a" || key == "d" { "partner" } else { "paid ads" };
//! let cohorts = Cohorts::by_key(&index, &signups, |id, _| index.key(id).map(|k| channel(k)))?;
//! let activity = [("a", d("2024-02-10")?), ("b", d("2024-01-30")?), ("d", d("2024-03-01")?)];
//! let params = RetentionParams::new(d("2024-03-31")?).windows(Windows::Rolling { days: 30 });
//! let matrix = RetentionMatrix::compute(&index, &cohorts, &activity, &params)?;
//! assert_eq!(matrix.labels(), ["paid ads", "partner"]);
//! assert_eq!(matrix.rate(0, 0), Some(1.0)); // signup counts as activity in window 0
//! assert_eq!(matrix.rate(1, 1), Some(1.0)); // a came back on day 38; d's days 30-59 have not ended
//! assert_eq!(matrix.rate(0, 1), Some(0.0));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod assign;
mod counts;
mod lifecycle;
mod matrix;
pub(crate) mod retention;
mod revenue;

pub use assign::{Cohorts, Grid, MAX_WINDOW_DAYS};
pub use counts::RetentionCounts;
pub use lifecycle::{lifecycle, stickiness, ActivityParams, LifecyclePeriod, StickinessPeriod};
pub use matrix::{RetentionCell, RetentionMatrix};
pub use retention::{OutOfWindow, RetentionMode, RetentionParams, RetentionReport, Windows};
pub use revenue::RevenueRetention;
