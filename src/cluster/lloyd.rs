//! One Lloyd iteration as a mergeable summary: k-means partial sums.

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::stats::ExactSum;

/// The partial sums of one Lloyd iteration of k-means from fixed centroids: per cluster, the
/// number of rows nearest to it and the sum of those rows, and the inertia (the sum of squared
/// distances to the nearest centroid). Feed rows in chunks with [`LloydStep::add`], combine
/// partial steps with [`LloydStep::merge`] and read the moved centroids with
/// [`LloydStep::centroids`]; this is what a query engine runs as an aggregate, one iteration
/// per query, over rows that never sit in one place.
///
/// Sums are exact ([`ExactSum`]) and rounded once when read, so merging equals one pass bit for
/// bit, in any order and over any split. A row is assigned to its nearest centroid by squared
/// Euclidean distance, ties to the lower cluster, as scikit-learn's Lloyd step; a cluster
/// without rows keeps its centroid (scikit-learn instead moves it to a far row, which needs the
/// rows in one place).
///
/// ```
/// use ndarray::array;
/// use saas_segmentation::cluster::LloydStep;
///
/// let start = array![[0.0, 0.0], [10.0, 10.0]];
/// let mut left = LloydStep::new(start.view())?;
/// left.add(array![[0.0, 1.0], [10.0, 11.0]].view())?;
/// let mut right = LloydStep::new(start.view())?;
/// right.add(array![[0.0, 0.0], [10.0, 10.0]].view())?;
/// left.merge(&right)?;
/// assert_eq!(left.counts(), &[2, 2]);
/// assert_eq!(left.centroids()?, array![[0.0, 0.5], [10.0, 10.5]]);
/// assert_eq!(left.inertia()?, 2.0);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "LloydStepData", into = "LloydStepData")
)]
pub struct LloydStep {
    centroids: Array2<f64>,
    counts: Vec<u64>,
    /// `k x d` exact sums, cluster-major.
    sums: Vec<ExactSum>,
    inertia: ExactSum,
}

/// The serialized form of a [`LloydStep`]: the centroids, the counts, and every exact sum as
/// its partials; checked (shapes, finite values) before it becomes one.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct LloydStepData {
    centroids: Array2<f64>,
    counts: Vec<u64>,
    sums: Vec<Vec<f64>>,
    inertia: Vec<f64>,
}

#[cfg(feature = "serde")]
impl From<LloydStep> for LloydStepData {
    fn from(step: LloydStep) -> Self {
        LloydStepData {
            centroids: step.centroids,
            counts: step.counts,
            sums: step.sums.iter().map(|s| s.partials().to_vec()).collect(),
            inertia: step.inertia.partials().to_vec(),
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<LloydStepData> for LloydStep {
    type Error = Error;

    fn try_from(data: LloydStepData) -> Result<Self> {
        let mut step = LloydStep::new(data.centroids.view())?;
        let (k, d) = data.centroids.dim();
        if data.counts.len() != k {
            return Err(Error::LengthMismatch {
                what: "Lloyd step counts (one per centroid)",
                expected: k,
                found: data.counts.len(),
            });
        }
        if data.sums.len() != k * d {
            return Err(Error::LengthMismatch {
                what: "Lloyd step sums (one per centroid and feature)",
                expected: k * d,
                found: data.sums.len(),
            });
        }
        for (j, &count) in data.counts.iter().enumerate() {
            let has_sums = data.sums[j * d..(j + 1) * d]
                .iter()
                .any(|s| s.iter().any(|&p| p != 0.0));
            if count == 0 && has_sums {
                return Err(Error::InvalidParameter {
                    name: "Lloyd step",
                    reason: format!("cluster {j} has no rows but a non-zero sum"),
                });
            }
        }
        if data
            .counts
            .iter()
            .try_fold(0u64, |total, &c| total.checked_add(c))
            .is_none()
        {
            return Err(Error::InvalidParameter {
                name: "Lloyd step",
                reason: "the counts add up past u64".into(),
            });
        }
        step.counts = data.counts;
        step.sums = data
            .sums
            .iter()
            .map(|p| ExactSum::from_partials(p))
            .collect::<Result<_>>()?;
        step.inertia = ExactSum::from_partials(&data.inertia)?;
        if step.inertia.value()? < 0.0 {
            return Err(Error::InvalidParameter {
                name: "Lloyd step",
                reason: "the inertia is negative".into(),
            });
        }
        Ok(step)
    }
}

impl LloydStep {
    /// An empty step from `centroids` (`k` rows by `d` features).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without centroids or features; [`Error::NonFiniteCell`] naming a
    /// NaN or infinite centroid coordinate.
    pub fn new(centroids: ArrayView2<'_, f64>) -> Result<Self> {
        let (k, d) = centroids.dim();
        if k == 0 || d == 0 {
            return Err(Error::EmptyInput {
                what: "centroids",
                item: "centroid with at least one feature",
            });
        }
        if let Some(((row, column), _)) = centroids.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFiniteCell { row, column });
        }
        Ok(LloydStep {
            centroids: centroids.to_owned(),
            counts: vec![0; k],
            sums: vec![ExactSum::new(); k * d],
            inertia: ExactSum::new(),
        })
    }

    /// Assigns every row of `x` (`d` columns) to its nearest centroid and adds it to the sums.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `x` does not have one column per feature;
    /// [`Error::NonFiniteCell`] for a NaN or infinite value; [`Error::Undefined`] when a
    /// squared distance exceeds f64 (scale the features). The step is unchanged on error.
    pub fn add(&mut self, x: ArrayView2<'_, f64>) -> Result<()> {
        let d = self.centroids.ncols();
        if x.ncols() != d {
            return Err(Error::ShapeMismatch {
                what: "rows of a Lloyd step",
                expected: d,
                found: x.ncols(),
            });
        }
        if let Some(((row, column), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFiniteCell { row, column });
        }
        if self.rows().checked_add(x.nrows() as u64).is_none() {
            return Err(too_many());
        }
        let mut nearest = Vec::with_capacity(x.nrows());
        for (i, row) in x.rows().into_iter().enumerate() {
            let (j, distance) = self.nearest(row.iter().copied());
            if !distance.is_finite() {
                return Err(Error::Undefined {
                    reason: format!(
                        "the squared distance of row {i} to its nearest centroid exceeds f64: \
                         scale the features"
                    ),
                });
            }
            nearest.push((j, distance));
        }
        for (row, (j, distance)) in x.rows().into_iter().zip(nearest) {
            self.counts[j] += 1;
            for (sum, &v) in self.sums[j * d..(j + 1) * d].iter_mut().zip(row) {
                sum.push(v);
            }
            self.inertia.push(distance);
        }
        Ok(())
    }

    /// The nearest centroid of a row and its squared distance (ties to the lower cluster).
    fn nearest(&self, row: impl Iterator<Item = f64> + Clone) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (j, centroid) in self.centroids.rows().into_iter().enumerate() {
            let distance: f64 = row
                .clone()
                .zip(centroid)
                .map(|(v, c)| (v - c) * (v - c))
                .sum();
            if distance < best.1 || j == 0 {
                best = (j, distance);
            }
        }
        best
    }

    /// Adds the partial sums of `other`, a step from the same centroids.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `other` started from other centroids (a step of another
    /// iteration).
    pub fn merge(&mut self, other: &LloydStep) -> Result<()> {
        let same = self.centroids.dim() == other.centroids.dim()
            && self
                .centroids
                .iter()
                .zip(&other.centroids)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same {
            return Err(Error::InvalidParameter {
                name: "other",
                reason: "the two Lloyd steps start from different centroids: merge the steps \
                         of one iteration only"
                    .into(),
            });
        }
        if self.rows().checked_add(other.rows()).is_none() {
            return Err(too_many());
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            a.merge(b);
        }
        self.inertia.merge(&other.inertia);
        Ok(())
    }

    /// The centroids the step started from.
    #[must_use]
    pub fn start(&self) -> ArrayView2<'_, f64> {
        self.centroids.view()
    }

    /// Rows nearest to each centroid.
    #[must_use]
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The rows added.
    #[must_use]
    pub fn rows(&self) -> u64 {
        // Loading and merging keep the total inside u64.
        self.counts.iter().fold(0u64, |t, &c| t.saturating_add(c))
    }

    /// The sum of squared distances of the rows to their nearest starting centroid (the
    /// inertia of the assignment, as scikit-learn reports it for the labels of an iteration).
    ///
    /// # Errors
    /// [`Error::Undefined`] when the sum exceeds f64.
    pub fn inertia(&self) -> Result<f64> {
        self.inertia.value()
    }

    /// The moved centroids: each cluster's mean row (its exact sum rounded once, divided by its
    /// count); a cluster without rows keeps its starting centroid.
    ///
    /// # Errors
    /// [`Error::Undefined`] when a sum exceeds f64.
    pub fn centroids(&self) -> Result<Array2<f64>> {
        let (k, d) = self.centroids.dim();
        let mut out = self.centroids.clone();
        for j in 0..k {
            if self.counts[j] == 0 {
                continue;
            }
            for f in 0..d {
                out[[j, f]] = self.sums[j * d + f].value()? / self.counts[j] as f64;
            }
        }
        Ok(out)
    }
}

fn too_many() -> Error {
    Error::InvalidParameter {
        name: "Lloyd step",
        reason: "the rows would count past u64".into(),
    }
}
