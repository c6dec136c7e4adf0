//! Mini-batch k-means for data that arrives in chunks or does not fit in memory.

use ndarray::{Array2, ArrayView2};

use super::kmeans::{kmeans_plus_plus, Data};
use crate::engine::kernel::{self, Block, Packed, Partial};
use crate::error::{Error, Result};
use crate::random::SeededRng;
use crate::segmentation::Segmentation;

/// Parameters of mini-batch k-means. Build with [`MiniBatchKMeans::params`]; loading through
/// `Deserialize` runs [`MiniBatchParams::validate`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct MiniBatchParams {
    n_clusters: usize,
    batch_size: usize,
    max_iter: usize,
    max_no_improvement: usize,
    seed: u64,
}

checked_serde!(MiniBatchParams, MiniBatchParams::validate);

impl MiniBatchParams {
    /// Rows per mini-batch. Default: 1024 (scikit-learn's).
    #[must_use]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Passes over the data in [`MiniBatchParams::fit`] (each pass draws `n / batch_size`
    /// batches). Default: 100.
    #[must_use]
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// [`MiniBatchParams::fit`] stops after this many consecutive batches without an
    /// improvement of the smoothed batch inertia; 0 never stops early. Default: 10.
    #[must_use]
    pub fn max_no_improvement(mut self, batches: usize) -> Self {
        self.max_no_improvement = batches;
        self
    }

    /// Seed of the initial centroids and of the batch draws. Default: 0.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero clusters, batch size or passes, or more passes
    /// than [`MAX_ITER`](crate::cluster::MAX_ITER).
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("n_clusters", self.n_clusters),
            ("batch_size", self.batch_size),
            ("max_iter", self.max_iter),
        ] {
            if value == 0 {
                return Err(Error::InvalidParameter {
                    name,
                    reason: "must be at least 1".to_owned(),
                });
            }
        }
        if self.max_iter > super::kmeans::MAX_ITER {
            return Err(Error::InvalidParameter {
                name: "max_iter",
                reason: format!(
                    "is {}, expected at most {}",
                    self.max_iter,
                    super::kmeans::MAX_ITER
                ),
            });
        }
        Ok(())
    }

    /// An unfitted model, to be fed chunk by chunk with [`MiniBatchKMeans::partial_fit`].
    ///
    /// # Errors
    /// As [`MiniBatchParams::validate`].
    pub fn start(&self) -> Result<MiniBatchKMeans> {
        self.validate()?;
        Ok(MiniBatchKMeans {
            params: self.clone(),
            centroids: None,
            counts: Vec::new(),
            batches: 0,
        })
    }

    /// Fits on an in-memory matrix: k-means++ on a seeded sample of `3 x batch_size` rows (at
    /// least k), then batches drawn with replacement, as scikit-learn's `MiniBatchKMeans.fit`.
    /// A batch size above the row count is clamped to it, as scikit-learn does; memory is
    /// O((n + k) d).
    ///
    /// # Errors
    /// As [`MiniBatchKMeans::partial_fit`].
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<MiniBatchKMeans> {
        let mut model = self.start()?;
        let n = x.nrows();
        let data = Data::new(x, None)?;
        if self.n_clusters > n {
            return Err(Error::InvalidParameter {
                name: "n_clusters",
                reason: format!(
                    "is {} but there are only {n} rows: ask for at most n clusters",
                    self.n_clusters
                ),
            });
        }
        let batch_size = self.batch_size.min(n);
        let mut rng = SeededRng::stream(self.seed, 0);
        let init_rows = batch_size.saturating_mul(3).max(self.n_clusters).min(n);
        let mut sample: Vec<usize> = (0..n).collect();
        for i in 0..init_rows {
            let j = i + rng.below((n - i) as u64) as usize;
            sample.swap(i, j);
        }
        let first = x.select(ndarray::Axis(0), &sample[..init_rows]);
        model.initialise(first.view())?;
        let steps = self.max_iter.saturating_mul(n.div_ceil(batch_size));
        let mut smoothed: Option<f64> = None;
        let mut best = f64::INFINITY;
        let mut stale = 0;
        let mut batch = vec![0.0; batch_size * data.d];
        for _ in 0..steps {
            for r in 0..batch_size {
                let row = rng.below(n as u64) as usize;
                batch[r * data.d..(r + 1) * data.d]
                    .copy_from_slice(&data.x[row * data.d..(row + 1) * data.d]);
            }
            let inertia = model.update(&batch, data.d)? / batch_size as f64;
            // scikit-learn's early stop: an exponentially weighted batch inertia.
            let alpha = (2.0 * batch_size as f64 / (n as f64 + 1.0)).min(1.0);
            let value = smoothed.map_or(inertia, |s| s * (1.0 - alpha) + inertia * alpha);
            smoothed = Some(value);
            if value < best {
                best = value;
                stale = 0;
            } else {
                stale += 1;
                if self.max_no_improvement > 0 && stale >= self.max_no_improvement {
                    break;
                }
            }
        }
        Ok(model)
    }
}

/// A mini-batch k-means model, fitted at once or fed chunk by chunk.
///
/// Each batch assigns its rows to the nearest centroid, then moves every centroid to the
/// weighted mean of its past rows and this batch's (scikit-learn's `_minibatch_update_dense`):
///
/// ```text
/// c <- (c * count + sum of the batch rows assigned to c) / (count + rows assigned)
/// ```
///
/// Divergence: scikit-learn also reassigns rarely used centroids to random rows
/// (`reassignment_ratio`); this model does not, so a centroid that wins no rows keeps its place.
///
/// ```
/// use ndarray::Array2;
/// use saas_segmentation::cluster::MiniBatchKMeans;
///
/// let mut model = MiniBatchKMeans::params(2).seed(1).start()?;
/// for chunk in 0..4 {
///     // Two groups, around 0 and around 100, arriving in chunks.
///     let x = Array2::from_shape_fn((50, 1), |(i, _)| (i % 2) as f64 * 100.0 + (chunk + i) as f64 * 0.01);
///     model.partial_fit(x.view())?;
/// }
/// let labels = model.predict(ndarray::array![[1.0], [99.0]].view())?;
/// assert_ne!(labels[0], labels[1]);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// Loading through `Deserialize` checks the state: valid parameters, `n_clusters` finite
/// centroid rows with one non-negative finite count each (or no centroids, no counts and no
/// batches before the first chunk).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct MiniBatchKMeans {
    params: MiniBatchParams,
    centroids: Option<Array2<f64>>,
    counts: Vec<f64>,
    batches: usize,
}

checked_serde!(MiniBatchKMeans, MiniBatchKMeans::check);

impl MiniBatchKMeans {
    /// The invariants a loaded model must hold.
    fn check(&self) -> Result<()> {
        self.params.validate()?;
        let bad = |reason: String| Error::InvalidParameter {
            name: "mini-batch model",
            reason,
        };
        match &self.centroids {
            None => {
                if !self.counts.is_empty() || self.batches != 0 {
                    return Err(bad(
                        "counts or batches without centroids: a model before its first chunk \
                         has neither"
                            .to_owned(),
                    ));
                }
            }
            Some(c) => {
                if c.nrows() != self.params.n_clusters || c.ncols() == 0 {
                    return Err(bad(format!(
                        "{} x {} centroids for {} clusters",
                        c.nrows(),
                        c.ncols(),
                        self.params.n_clusters
                    )));
                }
                if c.iter().any(|v| !v.is_finite()) {
                    return Err(bad("a centroid is not finite".to_owned()));
                }
                if self.counts.len() != c.nrows() {
                    return Err(Error::LengthMismatch {
                        what: "mini-batch counts (one per centroid)",
                        expected: c.nrows(),
                        found: self.counts.len(),
                    });
                }
                if let Some(v) = self.counts.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                    return Err(bad(format!("count {v} is not a finite number >= 0")));
                }
            }
        }
        Ok(())
    }

    /// Parameters for `n_clusters` clusters, every other setting at its default.
    #[must_use]
    pub fn params(n_clusters: usize) -> MiniBatchParams {
        MiniBatchParams {
            n_clusters,
            batch_size: 1024,
            max_iter: 100,
            max_no_improvement: 10,
            seed: 0,
        }
    }

    /// Updates the model with one chunk of rows (the first chunk also seeds the centroids with
    /// k-means++, so it needs at least k distinct rows). The chunk is used as one batch.
    ///
    /// # Errors
    /// [`Error::EmptyInput`], [`Error::NonFiniteCell`], [`Error::ShapeMismatch`] when the chunk's
    /// width differs from earlier chunks, and [`Error::InvalidParameter`] when the first chunk has
    /// fewer distinct rows than clusters.
    pub fn partial_fit(&mut self, x: ArrayView2<'_, f64>) -> Result<()> {
        let data = Data::new(x, None)?;
        if self.centroids.is_none() {
            self.initialise(x)?;
        }
        self.update(&data.x, data.d)?;
        Ok(())
    }

    fn initialise(&mut self, x: ArrayView2<'_, f64>) -> Result<()> {
        let k = self.params.n_clusters;
        let data = Data::new(x, None)?;
        if data.distinct_weighted_rows(k) < k {
            return Err(Error::InvalidParameter {
                name: "n_clusters",
                reason: format!(
                    "is {k} but the first chunk has fewer distinct rows: start with a larger chunk"
                ),
            });
        }
        let mut rng = SeededRng::stream(self.params.seed, 1);
        let centers = kmeans_plus_plus(&data, k, &mut rng);
        self.counts = vec![0.0; k];
        self.centroids = Some(Array2::from_shape_vec((k, data.d), centers).map_err(|e| {
            Error::InvalidParameter {
                name: "x",
                reason: e.to_string(),
            }
        })?);
        Ok(())
    }

    /// One batch step; returns the batch's inertia against the centroids it started from.
    fn update(&mut self, rows: &[f64], d: usize) -> Result<f64> {
        let k = self.params.n_clusters;
        let Some(centroids) = self.centroids.as_mut() else {
            return Err(Error::Undefined {
                reason: "the model has no centroids yet".to_owned(),
            });
        };
        if centroids.ncols() != d {
            return Err(Error::ShapeMismatch {
                what: "chunk",
                expected: centroids.ncols(),
                found: d,
            });
        }
        let centers: Vec<f64> = centroids.iter().copied().collect();
        let zero = vec![0.0; d];
        let packed = Packed::new(&centers, &zero, k, d);
        let n = rows.len() / d;
        let mut labels = vec![usize::MAX; n];
        let mut partial = Partial::zero(k, d);
        let block = Block {
            rows,
            weights: None,
        };
        kernel::assign(&block, &packed, &mut labels, &mut partial, true);
        let spread: f64 = rows.iter().map(|v| v * v).sum();
        for (c, mut centroid) in centroids.rows_mut().into_iter().enumerate() {
            let added = partial.weights[c];
            if added == 0.0 {
                continue;
            }
            let total = self.counts[c] + added;
            for (j, v) in centroid.iter_mut().enumerate() {
                *v = (*v * self.counts[c] + partial.sums[c * d + j]) * (1.0 / total);
            }
            self.counts[c] = total;
        }
        self.batches = self.batches.saturating_add(1);
        Ok((spread + partial.score).max(0.0))
    }

    /// The centroids, or `None` before the first chunk.
    #[must_use]
    pub fn centroids(&self) -> Option<ArrayView2<'_, f64>> {
        self.centroids.as_ref().map(Array2::view)
    }

    /// Rows absorbed by each centroid so far (empty before the first chunk).
    #[must_use]
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// Batches processed so far.
    #[must_use]
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// The nearest centroid of each row, ties to the lowest index.
    ///
    /// # Errors
    /// [`Error::Undefined`] before the first chunk; [`Error::ShapeMismatch`] for a matrix of the
    /// wrong width; [`Error::NonFiniteCell`].
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        let Some(centroids) = &self.centroids else {
            return Err(Error::Undefined {
                reason: "the model has no centroids yet: call partial_fit first".to_owned(),
            });
        };
        let d = centroids.ncols();
        if x.ncols() != d {
            return Err(Error::ShapeMismatch {
                what: "matrix to predict",
                expected: d,
                found: x.ncols(),
            });
        }
        if x.nrows() == 0 {
            return Ok(Vec::new());
        }
        let rows = super::matrix_rows(x)?;
        let k = self.params.n_clusters;
        let centers: Vec<f64> = centroids.iter().copied().collect();
        let zero = vec![0.0; d];
        let packed = Packed::new(&centers, &zero, k, d);
        let mut labels = vec![usize::MAX; x.nrows()];
        let mut partial = Partial::zero(k, d);
        let block = Block {
            rows: &rows,
            weights: None,
        };
        kernel::assign(&block, &packed, &mut labels, &mut partial, false);
        Ok(labels)
    }

    /// The clusters of `matrix`'s rows (each row's nearest centroid) as a [`Segmentation`] of
    /// the matrix's customers, named and described in original units by
    /// [`profiled_segmentation`](crate::cluster::profiled_segmentation). Centroids that no row
    /// is nearest to are left out; the others keep their order.
    ///
    /// # Errors
    /// As [`MiniBatchKMeans::predict`] and
    /// [`profiled_segmentation`](crate::cluster::profiled_segmentation).
    pub fn segmentation(&self, matrix: &crate::features::FeatureMatrix) -> Result<Segmentation> {
        let mut labels = self.predict(matrix.view())?;
        let k = self.params.n_clusters;
        let mut used = vec![false; k];
        for &l in &labels {
            if let Some(u) = used.get_mut(l) {
                *u = true;
            }
        }
        let mut code = vec![0; k];
        let mut next = 0;
        for (c, &u) in used.iter().enumerate() {
            code[c] = next;
            next += usize::from(u);
        }
        for l in &mut labels {
            *l = code.get(*l).copied().unwrap_or(0);
        }
        crate::cluster::profiled_segmentation(matrix, &labels)
    }
}
