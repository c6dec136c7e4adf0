//! Segment validation: internal cluster-quality metrics that match scikit-learn.
//!
//! Every metric takes the matrix the segments were built on (rows = customers) and one label per
//! row in `0..k`.
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

pub(crate) use internal::segment_sizes;

pub use external::{
    adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score, Averaging,
    Contingency,
};
pub use internal::{
    calinski_harabasz_score, davies_bouldin_score, silhouette_samples, silhouette_score,
};
