//! Clustering: k-means with scikit-learn's semantics and agglomerative clustering with scipy's.
//!
//! Numeric algorithms take an [`ndarray::ArrayView2`] with one row per customer (usually
//! [`crate::features::FeatureMatrix::view`]) and return an immutable fitted model whose labels
//! turn into a [`crate::Segmentation`].
//!
//! ```
//! use ndarray::array;
//! use saas_segmentation::cluster::{Init, KMeans};
//!
//! let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]];
//! let start = array![[0.0, 0.0], [10.0, 10.0]];
//! let model = KMeans::params(2).init(Init::Centroids(start)).fit(x.view())?;
//! assert_eq!(model.labels(), &[0, 0, 1, 1]);
//! assert_eq!(model.centroids()[[1, 1]], 10.5);
//! assert_eq!(model.inertia(), 1.0);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::borrow::Cow;

use ndarray::ArrayView2;

use crate::error::{Error, Result};

mod choose;
mod hierarchical;
mod kernel;
mod kmeans;
mod minibatch;
mod profile;

#[cfg(target_arch = "x86_64")]
pub(crate) use kernel::has_avx2_fma;

pub use choose::{ChooseK, ChooseKParams, Gap, KScore};
pub use hierarchical::{AgglomerativeParams, Dendrogram, Linkage, Merge, DEFAULT_MAX_ROWS};
pub use kmeans::{Algorithm, Init, KMeans, KMeansParams};
pub use minibatch::{MiniBatchKMeans, MiniBatchParams};
pub use profile::{profile_clusters, profiled_segmentation, ClusterProfile, FeatureContrast};

/// The rows of `x` as one row-major slice (borrowed when `x` is already in standard layout),
/// after checking every cell is finite.
pub(crate) fn matrix_rows<'a>(x: ArrayView2<'a, f64>) -> Result<Cow<'a, [f64]>> {
    let rows = match x.to_slice() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(x.iter().copied().collect()),
    };
    let d = x.ncols().max(1);
    if let Some(position) = rows.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFiniteCell {
            row: position / d,
            column: position % d,
        });
    }
    Ok(rows)
}
