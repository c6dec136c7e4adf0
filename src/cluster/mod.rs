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

mod choose;
mod hierarchical;
mod kmeans;
mod lloyd;
mod minibatch;
mod profile;

#[cfg(target_arch = "x86_64")]
pub(crate) use crate::engine::rows::matrix_rows;

pub use choose::{ChooseK, ChooseKParams, Gap, KScore, MAX_GAP_REFERENCES};
pub use hierarchical::{AgglomerativeParams, Dendrogram, Linkage, Merge, DEFAULT_MAX_ROWS};
pub use kmeans::{Algorithm, Init, KMeans, KMeansParams, MAX_ITER, MAX_N_INIT};
pub use lloyd::LloydStep;
pub use minibatch::{MiniBatchKMeans, MiniBatchParams};
pub use profile::{profile_clusters, profiled_segmentation, ClusterProfile, FeatureContrast};
