//! Segment validation: are the segments real, and can the team use them?
//!
//! - Internal quality of a clustering, matching scikit-learn: [`silhouette_score`] (exact, every
//!   pair once, O(n (k + d)) memory; [`silhouette_sampled`] with a standard error for large n),
//!   [`calinski_harabasz_score`], [`davies_bouldin_score`].
//!   These take the matrix the segments were built on (rows = customers) and one label per row
//!   in `0..k`.
//! - Agreement between two labellings, matching scikit-learn: [`Contingency`] (mergeable),
//!   [`adjusted_rand_score`], [`normalized_mutual_info_score`], [`adjusted_mutual_info_score`]
//!   with every [`Averaging`], V-measure and Fowlkes-Mallows.
//! - The five criteria as one [`ValidationReport`] ([`validate_segmentation`]): distinct
//!   (per-variable tests across segments and segment-vs-rest, Holm-corrected, with effect sizes),
//!   measurable (coverage of the defining variables), accessible (channel reach), substantial
//!   (share of customers and revenue) and actionable (a complete [`Strategy`]), each a
//!   [`Verdict`] with reasons; [`pairwise_comparisons`] of segments on an outcome.
//! - Stability: [`bootstrap_stability`] (per-segment Jaccard recovery and ARI over seeded
//!   resamples) and [`compare_segmentations`] (migration matrix between two segmentations).
//!
//! The statistical tests themselves live in [`crate::stats`].
//!
//! ```
//! use ndarray::array;
//! use saas_segmentation::validate;
//!
//! let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
//! let labels = [0, 0, 1, 1];
//! let s = validate::silhouette_score(x.view(), &labels)?;
//! assert!(s > 0.9);
//! let ch = validate::calinski_harabasz_score(x.view(), &labels)?;
//! assert_eq!(ch, 200.0);
//! let db = validate::davies_bouldin_score(x.view(), &labels)?;
//! assert_eq!(db, 0.1);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod external;
mod internal;
mod pairs;
mod report;
mod stability;

pub(crate) use crate::segmentation::segment_sizes;

pub use external::{
    adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score, Averaging, Cell,
    Contingency, MAX_CONTINGENCY_TOTAL,
};
pub use internal::{
    calinski_harabasz_score, davies_bouldin_score, silhouette_sampled, silhouette_samples,
    silhouette_score, SampledSilhouette,
};
pub use report::{
    pairwise_comparisons, validate_segmentation, Criteria, Outcome, PairwiseComparison,
    SegmentVerdicts, Strategy, ValidationInput, ValidationReport, Variable, VariableTest, Verdict,
};
pub use stability::{
    bootstrap_stability, compare_segmentations, SegmentationComparison, Stability,
};
