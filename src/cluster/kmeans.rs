//! k-means with scikit-learn's semantics.

use std::borrow::Cow;
use std::collections::HashSet;

use ndarray::{Array2, ArrayView2};

use super::matrix_rows;
use crate::engine::kernel::{self, Block, Bounds, Candidates, Packed, Partial, Pruning, LANES};
use crate::engine::par;
use crate::error::{Error, Result};
use crate::random::{self, SeededRng};
use crate::segmentation::Segmentation;

/// Rows per block of the assignment pass. Blocks are summed in row order whatever the thread
/// count, which is why the `parallel` feature gives bit-identical results.
pub(crate) const BLOCK_ROWS: usize = 4096;

/// How the first centroids are chosen.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Init {
    /// Greedy k-means++ (scikit-learn's default): each next centroid is the best, by potential,
    /// of `2 + floor(ln k)` candidates sampled with probability proportional to
    /// `weight x squared distance` to the nearest centroid chosen so far.
    KMeansPlusPlus,
    /// `k` distinct rows drawn without replacement, with probability proportional to their weight.
    Random,
    /// Caller-supplied centroids, `k` rows by `d` columns; the fit is then deterministic and runs
    /// once whatever `n_init` says (scikit-learn warns and does the same).
    Centroids(Array2<f64>),
}

/// Which exact k-means iteration to run. Both give the same labels, centroids and iteration
/// count (bit for bit; a property test checks); they differ only in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Algorithm {
    /// Lloyd for k <= 8, Hamerly above. Every row is read every iteration either way (the sums
    /// are re-accumulated in Lloyd's order), so the bounds save only the distances: for k <= 8
    /// those are one 8-lane block per row and Hamerly came out slower (1M x 8, k = 8: 1.5 s
    /// against 1.06 s for 100 iterations on separated blobs), while at k = 16 to 64 it was 1.5x
    /// to 2.8x faster over runs of 50 to 95 iterations (and 10% to 20% slower on runs of 2 or
    /// 3 iterations, where the first, unpruned pass dominates).
    #[default]
    Auto,
    /// Every distance every iteration (scikit-learn's `"lloyd"`).
    Lloyd,
    /// Lloyd with Hamerly's (2010) bounds: one upper and one lower bound per row skip the
    /// distances of rows whose centroid provably stays the nearest. Costs two floats per row.
    Hamerly,
}

/// Parameters of a k-means fit. Build with [`KMeans::params`], fit with [`KMeansParams::fit`].
///
/// Loading through `Deserialize` runs [`KMeansParams::validate`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct KMeansParams {
    n_clusters: usize,
    init: Init,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    seed: u64,
    algorithm: Algorithm,
}

checked_serde!(KMeansParams, KMeansParams::validate);

/// The most runs [`KMeansParams::n_init`] accepts.
pub const MAX_N_INIT: usize = 1_000;
/// The most iterations per run [`KMeansParams::max_iter`] accepts.
pub const MAX_ITER: usize = 100_000;

impl KMeansParams {
    /// Which exact iteration to run. Default: [`Algorithm::Auto`].
    #[must_use]
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How the first centroids are chosen. Default: [`Init::KMeansPlusPlus`].
    #[must_use]
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Number of runs from different starts; the run with the lowest inertia is kept (the first
    /// of equals). Default: scikit-learn's `"auto"`, 1 for k-means++ and 10 for random starts.
    /// At most [`MAX_N_INIT`].
    #[must_use]
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = Some(n_init);
        self
    }

    /// Most Lloyd iterations per run, at most [`MAX_ITER`]. Default: 300.
    #[must_use]
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Relative tolerance: a run stops when the squared centroid shift summed over clusters is at
    /// most `tol x mean(column variances)`, or when no label changed. Default: 1e-4; 0 stops only
    /// on unchanged labels or unmoved centroids.
    #[must_use]
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Seed of the random starts; run r uses stream r of [`SeededRng`]. Default: 0.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The number of clusters.
    #[must_use]
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// The same parameters for another number of clusters.
    #[must_use]
    pub fn with_n_clusters(mut self, n_clusters: usize) -> Self {
        self.n_clusters = n_clusters;
        self
    }

    /// Checks the parameters on their own (the data is checked by `fit`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_clusters` = 0, `n_init` outside 1 to [`MAX_N_INIT`],
    /// `max_iter` outside 1 to [`MAX_ITER`], a negative
    /// or non-finite `tol`, or precomputed centroids with a row count other than `n_clusters` or
    /// non-finite values.
    pub fn validate(&self) -> Result<()> {
        if self.n_clusters == 0 {
            return Err(invalid("n_clusters", "must be at least 1".to_owned()));
        }
        if let Some(n_init) = self.n_init.filter(|&n| n == 0 || n > MAX_N_INIT) {
            return Err(invalid(
                "n_init",
                format!("is {n_init}, expected 1 to {MAX_N_INIT}"),
            ));
        }
        if self.max_iter == 0 || self.max_iter > MAX_ITER {
            return Err(invalid(
                "max_iter",
                format!("is {}, expected 1 to {MAX_ITER}", self.max_iter),
            ));
        }
        if !self.tol.is_finite() || self.tol < 0.0 {
            return Err(invalid(
                "tol",
                format!("is {}, expected a finite value >= 0", self.tol),
            ));
        }
        if let Init::Centroids(centroids) = &self.init {
            if centroids.nrows() != self.n_clusters {
                return Err(invalid(
                    "init",
                    format!(
                        "has {} centroids, expected n_clusters = {}",
                        centroids.nrows(),
                        self.n_clusters
                    ),
                ));
            }
            if let Some(((row, column), _)) = centroids.indexed_iter().find(|(_, v)| !v.is_finite())
            {
                return Err(invalid(
                    "init",
                    format!("centroid {row}, column {column} is not finite"),
                ));
            }
        }
        Ok(())
    }

    /// Fits k-means to the rows of `x` (customers by features), every row with weight 1.
    ///
    /// # Errors
    /// As [`KMeansParams::fit_weighted`].
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<KMeans> {
        self.fit_inner(x, None)
    }

    /// Fits k-means with a weight per row: centroids are weighted means and the inertia is the
    /// weighted sum of squared distances.
    ///
    /// # Errors
    /// [`KMeansParams::validate`]'s errors; [`Error::EmptyInput`] for a matrix without rows or
    /// columns; [`Error::NonFiniteCell`] naming the first NaN or infinite cell;
    /// [`Error::LengthMismatch`] when there is not one weight per row; [`Error::OutOfRange`] for a
    /// negative, non-finite or subnormal weight; [`Error::InvalidParameter`] when all weights
    /// are zero, when their total makes the weighted sums overflow (divide them by a constant),
    /// when `n_clusters` exceeds the number of distinct rows of positive weight, or when the
    /// precomputed centroids have the wrong width; [`Error::Undefined`] when a row's squared
    /// norm exceeds about 1e307 (one value near 3e153: rescale the features).
    pub fn fit_weighted<'a>(
        &self,
        x: ArrayView2<'a, f64>,
        sample_weight: &'a [f64],
    ) -> Result<KMeans> {
        self.fit_inner(x, Some(sample_weight))
    }

    /// The starting centroids of the first run, without iterating: for
    /// [`Init::KMeansPlusPlus`] what scikit-learn's `kmeans_plusplus` gives (greedy k-means++
    /// with `2 + ln k` candidates per step), drawn with this seed. `fit` starts its first run
    /// from exactly these.
    ///
    /// ```
    /// use saas_segmentation::cluster::KMeans;
    /// use ndarray::array;
    ///
    /// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
    /// let params = KMeans::params(2).seed(7);
    /// let start = params.initial_centroids(x.view())?;
    /// assert_eq!(start.dim(), (2, 2));
    /// // One start near each group.
    /// assert!((start[[0, 0]] - start[[1, 0]]).abs() > 4.0);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`KMeansParams::fit`].
    pub fn initial_centroids(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.validate()?;
        let data = Data::new(x, None)?;
        self.check_against(&data)?;
        let mut rng = SeededRng::stream(self.seed, 0);
        let start = match &self.init {
            Init::KMeansPlusPlus => kmeans_plus_plus(&data, self.n_clusters, &mut rng),
            Init::Random => random_rows(&data, self.n_clusters, &mut rng),
            Init::Centroids(c) => c.iter().copied().collect(),
        };
        Array2::from_shape_vec((self.n_clusters, data.d), start)
            .map_err(|e| invalid("init", e.to_string()))
    }

    fn fit_inner<'a>(&self, x: ArrayView2<'a, f64>, weights: Option<&'a [f64]>) -> Result<KMeans> {
        self.validate()?;
        let data = Data::new(x, weights)?;
        self.check_against(&data)?;
        let tolerance = if self.tol == 0.0 {
            0.0
        } else {
            self.tol * data.mean_variance()
        };
        let runs = match (&self.init, self.n_init) {
            (Init::Centroids(_), _) => 1,
            (_, Some(n)) => n,
            (Init::KMeansPlusPlus, None) => 1,
            (Init::Random, None) => 10,
        };
        let mut best: Option<(usize, Run)> = None;
        for r in 0..runs {
            let mut rng = SeededRng::stream(self.seed, r as u64);
            let start = match &self.init {
                Init::KMeansPlusPlus => kmeans_plus_plus(&data, self.n_clusters, &mut rng),
                Init::Random => random_rows(&data, self.n_clusters, &mut rng),
                Init::Centroids(c) => c.iter().copied().collect(),
            };
            let bounded = match self.algorithm {
                Algorithm::Hamerly => true,
                Algorithm::Auto => self.n_clusters > LANES,
                Algorithm::Lloyd => false,
            };
            let run = iterate(&data, start, self.max_iter, tolerance, bounded);
            if best.as_ref().is_none_or(|(_, b)| run.inertia < b.inertia) {
                best = Some((r, run));
            }
        }
        let Some((best_run, run)) = best else {
            return Err(invalid("n_init", "must be at least 1".to_owned()));
        };
        let (k, d) = (self.n_clusters, data.d);
        let centroids = Array2::from_shape_vec((k, d), run.centers)
            .map_err(|e| invalid("init", e.to_string()))?;
        Ok(KMeans {
            centroids,
            labels: run.labels,
            inertia: run.inertia,
            n_iter: run.n_iter,
            converged: run.converged,
            inertia_path: run.inertia_path,
            best_run,
            runs,
            offset: data.offset,
        })
    }

    fn check_against(&self, data: &Data<'_>) -> Result<()> {
        if let Init::Centroids(c) = &self.init {
            if c.ncols() != data.d {
                return Err(Error::ShapeMismatch {
                    what: "initial centroids",
                    expected: data.d,
                    found: c.ncols(),
                });
            }
        }
        let distinct = data.distinct_weighted_rows(self.n_clusters);
        if distinct < self.n_clusters {
            return Err(invalid(
                "n_clusters",
                format!(
                    "is {} but the data has only {distinct} distinct rows of positive weight: \
                     ask for fewer clusters",
                    self.n_clusters
                ),
            ));
        }
        Ok(())
    }
}

fn invalid(name: &'static str, reason: String) -> Error {
    Error::InvalidParameter { name, reason }
}

/// A fitted k-means model.
///
/// ```
/// use ndarray::array;
/// use saas_segmentation::cluster::KMeans;
///
/// let x = array![[1.0, 1.0], [1.2, 0.8], [8.0, 8.0], [8.2, 7.9]];
/// let model = KMeans::params(2).seed(3).fit(x.view())?;
/// assert_eq!(model.labels()[0], model.labels()[1]);
/// assert_ne!(model.labels()[0], model.labels()[2]);
/// let new = model.predict(array![[7.5, 8.5]].view())?;
/// assert_eq!(new[0], model.labels()[2]);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// Loading through `Deserialize` checks finite centroids, one offset per feature, labels below
/// the number of centroids, and a finite, non-negative inertia.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct KMeans {
    centroids: Array2<f64>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    inertia_path: Vec<f64>,
    best_run: usize,
    runs: usize,
    offset: Vec<f64>,
}

checked_serde!(KMeans, KMeans::check);

impl KMeans {
    /// The invariants of a loaded model.
    fn check(&self) -> Result<()> {
        let (k, d) = self.centroids.dim();
        if k == 0 || d == 0 {
            return Err(invalid(
                "centroids",
                format!("are {k} x {d}: a model has at least one"),
            ));
        }
        if self
            .centroids
            .iter()
            .chain(&self.offset)
            .any(|v| !v.is_finite())
        {
            return Err(invalid(
                "centroids",
                "a centroid or offset is not finite".to_owned(),
            ));
        }
        if self.offset.len() != d {
            return Err(Error::LengthMismatch {
                what: "k-means offset (one per feature)",
                expected: d,
                found: self.offset.len(),
            });
        }
        if let Some(l) = self.labels.iter().find(|&&l| l >= k) {
            return Err(invalid("labels", format!("label {l} for {k} centroids")));
        }
        if !(self.inertia.is_finite() && self.inertia >= 0.0) {
            return Err(invalid("inertia", format!("is {}", self.inertia)));
        }
        Ok(())
    }

    /// Parameters for `n_clusters` clusters, every other setting at scikit-learn's default.
    #[must_use]
    pub fn params(n_clusters: usize) -> KMeansParams {
        KMeansParams {
            n_clusters,
            init: Init::KMeansPlusPlus,
            n_init: None,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            algorithm: Algorithm::Auto,
        }
    }

    /// The centroids, `k` rows by `d` columns, in the units of the fitted matrix.
    #[must_use]
    pub fn centroids(&self) -> ArrayView2<'_, f64> {
        self.centroids.view()
    }

    /// The cluster of each training row, in `0..k`.
    #[must_use]
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The number of clusters.
    #[must_use]
    pub fn n_clusters(&self) -> usize {
        self.centroids.nrows()
    }

    /// Weighted sum of squared distances of the training rows to their centroids (scikit-learn's
    /// `inertia_`, not a mean and not square-rooted).
    ///
    /// ```text
    /// inertia = sum_i w_i * |x_i - c_label(i)|^2
    /// ```
    #[must_use]
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Lloyd iterations of the kept run (scikit-learn's `n_iter_`).
    #[must_use]
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the kept run stopped on its own (unchanged labels or shift within `tol`) rather
    /// than at `max_iter`.
    #[must_use]
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The inertia after each assignment step of the kept run (labels of step t against the
    /// centroids that step started from). It never rises, up to rounding.
    #[must_use]
    pub fn inertia_path(&self) -> &[f64] {
        &self.inertia_path
    }

    /// Which of the runs was kept (0-based) and how many were made.
    #[must_use]
    pub fn best_run(&self) -> (usize, usize) {
        (self.best_run, self.runs)
    }

    /// The nearest centroid of each row of `x`, ties to the lowest index.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `x` has a different number of columns than the training
    /// data; [`Error::NonFiniteCell`] naming a NaN or infinite cell. An empty `x` gives an empty
    /// result.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        let rows = self.rows_for(x)?;
        let d = self.centroids.ncols();
        let k = self.n_clusters();
        let centroids: Vec<f64> = self.centroids.iter().copied().collect();
        let packed = Packed::new(&centroids, &self.offset, k, d);
        let mut labels = vec![usize::MAX; x.nrows()];
        let mut partial = Partial::zero(k, d);
        for (chunk, out) in rows
            .chunks(BLOCK_ROWS * d.max(1))
            .zip(labels.chunks_mut(BLOCK_ROWS))
        {
            let block = Block {
                rows: chunk,
                weights: None,
            };
            kernel::assign(&block, &packed, out, &mut partial, false);
        }
        Ok(labels)
    }

    /// Euclidean distance of each row of `x` to each centroid (`n x k`), as scikit-learn's
    /// `transform`.
    ///
    /// # Errors
    /// As [`KMeans::predict`].
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let rows = self.rows_for(x)?;
        let d = self.centroids.ncols();
        let k = self.n_clusters();
        let mut out = Array2::zeros((x.nrows(), k));
        for (row, mut distances) in rows.chunks_exact(d.max(1)).zip(out.rows_mut()) {
            for (c, centroid) in self.centroids.rows().into_iter().enumerate() {
                let squared: f64 = row
                    .iter()
                    .zip(centroid.iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                distances[c] = squared.sqrt();
            }
        }
        Ok(out)
    }

    /// The clusters as a [`Segmentation`] of `matrix`'s customers (the matrix the model was
    /// fitted on), named and described in original units by
    /// [`profiled_segmentation`](crate::cluster::profiled_segmentation).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the model was not fitted on `matrix`'s rows;
    /// [`Error::ShapeMismatch`] when the columns differ.
    pub fn segmentation(&self, matrix: &crate::features::FeatureMatrix) -> Result<Segmentation> {
        if matrix.names().len() != self.centroids.ncols() {
            return Err(Error::ShapeMismatch {
                what: "feature matrix of the segmentation",
                expected: self.centroids.ncols(),
                found: matrix.names().len(),
            });
        }
        crate::cluster::profiled_segmentation(matrix, &self.labels)
    }

    fn rows_for<'a>(&self, x: ArrayView2<'a, f64>) -> Result<Cow<'a, [f64]>> {
        // Only a hand-edited deserialized model can get here without centroids.
        if self.centroids.nrows() == 0 || self.centroids.ncols() == 0 {
            return Err(Error::Undefined {
                reason: "the model has no centroids".to_owned(),
            });
        }
        if x.ncols() != self.centroids.ncols() {
            return Err(Error::ShapeMismatch {
                what: "matrix to predict",
                expected: self.centroids.ncols(),
                found: x.ncols(),
            });
        }
        if x.nrows() == 0 {
            return Ok(Cow::Owned(Vec::new()));
        }
        matrix_rows(x)
    }
}

/// The validated training data: contiguous rows, weights and column means.
pub(crate) struct Data<'a> {
    pub(crate) x: Cow<'a, [f64]>,
    pub(crate) n: usize,
    pub(crate) d: usize,
    pub(crate) weights: Option<&'a [f64]>,
    pub(crate) offset: Vec<f64>,
    /// `sum_i w_i |x_i - m|^2`.
    pub(crate) spread: f64,
    /// The largest row norm, for the rounding margin of the bounded iteration.
    pub(crate) row_norm_max: f64,
    mean_variance: f64,
}

impl<'a> Data<'a> {
    pub(crate) fn new(x: ArrayView2<'a, f64>, weights: Option<&'a [f64]>) -> Result<Data<'a>> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(Error::EmptyInput {
                what: "the feature matrix",
                item: "row and column",
            });
        }
        let rows = matrix_rows(x)?;
        if let Some(w) = weights {
            if w.len() != n {
                return Err(Error::LengthMismatch {
                    what: "sample_weight",
                    expected: n,
                    found: w.len(),
                });
            }
            for (i, &v) in w.iter().enumerate() {
                crate::error::ensure_non_negative(v, || format!("row {i}"), "sample_weight")?;
                // A subnormal weight has no finite reciprocal, which the centroid update takes.
                if v > 0.0 && v < f64::MIN_POSITIVE {
                    return Err(Error::OutOfRange {
                        record: format!("row {i}"),
                        field: "sample_weight".into(),
                        value: v,
                        expected: "0, or a weight of at least 2.2e-308 (scale the weights up: \
                                   only their ratios matter)",
                    });
                }
            }
            if w.iter().all(|&v| v == 0.0) {
                return Err(invalid(
                    "sample_weight",
                    "is zero for every row: give some row a positive weight".to_owned(),
                ));
            }
        }
        // Column means, summed row by row as numpy's `mean(axis=0)` does on C-ordered data.
        let mut offset = vec![0.0; d];
        for row in rows.chunks_exact(d) {
            for (m, v) in offset.iter_mut().zip(row) {
                *m += v;
            }
        }
        for m in &mut offset {
            *m /= n as f64;
        }
        // Squared deviations per column (for numpy's `var`) and per row (weighted, for the
        // inertia of each assignment step).
        let mut squares = vec![0.0; d];
        let mut spread = 0.0;
        let mut row_norm_max: f64 = 0.0;
        for (i, row) in rows.chunks_exact(d).enumerate() {
            let mut own = 0.0;
            let mut norm = 0.0;
            for ((s, v), m) in squares.iter_mut().zip(row).zip(&offset) {
                let diff = v - m;
                *s += diff * diff;
                own += diff * diff;
                norm += v * v;
            }
            row_norm_max = row_norm_max.max(norm);
            spread += weights.map_or(own, |w| own * w[i]);
        }
        if !spread.is_finite() {
            return Err(invalid(
                "x",
                "squared distances overflow: rescale the features (a scaler does)".to_owned(),
            ));
        }
        if let Some(w) = weights {
            // Weighted sums of rows and of squared distances must stay inside f64; only the
            // weights' ratios matter, so huge weights can always be scaled down.
            let total: f64 = w.iter().sum();
            if !(total * (16.0 * row_norm_max + 1.0)).is_finite() {
                return Err(invalid(
                    "sample_weight",
                    format!(
                        "weights totalling {total:e} make the weighted sums overflow f64: \
                         divide them by a constant (only their ratios matter)"
                    ),
                ));
            }
        }
        let mean_variance = squares.iter().map(|s| s / n as f64).sum::<f64>() / d as f64;
        Ok(Data {
            x: rows,
            n,
            d,
            weights,
            offset,
            spread,
            row_norm_max: row_norm_max.sqrt(),
            mean_variance,
        })
    }

    /// The mean of the column variances (numpy's `var`, ddof 0, unweighted), which scales `tol`.
    fn mean_variance(&self) -> f64 {
        self.mean_variance
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// Distinct rows of positive weight, counting no further than `enough`.
    pub(crate) fn distinct_weighted_rows(&self, enough: usize) -> usize {
        let mut seen: HashSet<Vec<u64>> = HashSet::new();
        for (i, row) in self.x.chunks_exact(self.d).enumerate() {
            if self.weight(i) > 0.0 {
                // +0.0 and -0.0 are the same point.
                seen.insert(row.iter().map(|v| (v + 0.0).to_bits()).collect());
                if seen.len() >= enough {
                    break;
                }
            }
        }
        seen.len()
    }

    fn block(&self, index: usize) -> Block<'_> {
        let start = index * BLOCK_ROWS;
        let end = (start + BLOCK_ROWS).min(self.n);
        Block {
            rows: &self.x[start * self.d..end * self.d],
            weights: self.weights.map(|w| &w[start..end]),
        }
    }

    fn block_count(&self) -> usize {
        self.n.div_ceil(BLOCK_ROWS)
    }
}

/// One assignment pass over all rows, blocks summed in row order.
fn assign_all(
    data: &Data<'_>,
    packed: &Packed,
    labels: &mut [usize],
    k: usize,
    update: bool,
) -> Partial {
    sum_blocks(labels, &mut [], k, data.d, |b, out, _, partial| {
        kernel::assign(&data.block(b), packed, out, partial, update);
    })
}

/// Runs `pass` on every block of [`BLOCK_ROWS`] rows (in parallel with the `parallel` feature)
/// and adds the blocks' partials in row order, so that every thread count rounds the same.
/// `bounds` is either empty or one per row.
fn sum_blocks(
    labels: &mut [usize],
    bounds: &mut [Bounds],
    k: usize,
    d: usize,
    pass: impl Fn(usize, &mut [usize], &mut [Bounds], &mut Partial) + Sync,
) -> Partial {
    let mut bound_blocks = bounds.chunks_mut(BLOCK_ROWS);
    let work: Vec<(usize, &mut [usize], &mut [Bounds])> = labels
        .chunks_mut(BLOCK_ROWS)
        .enumerate()
        .map(|(b, out)| (b, out, bound_blocks.next().unwrap_or_default()))
        .collect();
    let run = |(b, out, bound): (usize, &mut [usize], &mut [Bounds])| {
        let mut partial = Partial::zero(k, d);
        pass(b, out, bound, &mut partial);
        partial
    };
    let partials: Vec<Partial> = crate::engine::par::map(work, run);
    let mut total = Partial::zero(k, d);
    for p in &partials {
        total.add(p);
    }
    total
}

/// What one run from one start produced.
pub(crate) struct Run {
    pub(crate) centers: Vec<f64>,
    pub(crate) labels: Vec<usize>,
    pub(crate) inertia: f64,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
    pub(crate) inertia_path: Vec<f64>,
}

/// scikit-learn's `_kmeans_single_lloyd`, step for step; with `bounded`, the assignment uses
/// Hamerly's bounds (same result, fewer distances).
pub(crate) fn iterate(
    data: &Data<'_>,
    mut centers: Vec<f64>,
    max_iter: usize,
    tol: f64,
    bounded: bool,
) -> Run {
    let (n, d) = (data.n, data.d);
    let k = centers.len() / d;
    let mut labels = vec![usize::MAX; n];
    let mut bounds = if bounded {
        vec![
            Bounds {
                upper: 0.0,
                lower: 0.0
            };
            n
        ]
    } else {
        Vec::new()
    };
    let mut moved = vec![0.0; k];
    let mut inertia_path = Vec::new();
    let mut strict = false;
    let mut stopped = false;
    let mut n_iter = max_iter;
    for iteration in 0..max_iter {
        let packed = Packed::new(&centers, &data.offset, k, d);
        let mut partial = if bounded {
            let half_gap = half_gaps(&centers, k, d);
            let pruning = Pruning {
                centers: &centers,
                offset: &data.offset,
                half_gap: &half_gap,
                moved: &moved,
                largest: largest_two(&moved),
                margin: rounding_margin(data, &centers, k),
                warm: iteration > 0,
            };
            assign_all_bounded(data, &packed, &mut labels, &mut bounds, &pruning, k)
        } else {
            let partial = assign_all(data, &packed, &mut labels, k, true);
            inertia_path.push((data.spread + partial.score).max(0.0));
            partial
        };
        relocate_empty(data, &centers, &labels, &mut partial);
        let mut shift = 0.0;
        for (c, (sums, &weight)) in partial
            .sums
            .chunks_exact_mut(d)
            .zip(&partial.weights)
            .enumerate()
        {
            if weight > 0.0 {
                // scikit-learn multiplies by the reciprocal; so do we, for the same rounding.
                let alpha = 1.0 / weight;
                for s in sums.iter_mut() {
                    *s *= alpha;
                }
            }
            let old = &centers[c * d..(c + 1) * d];
            let squared: f64 = sums.iter().zip(old).map(|(a, b)| (a - b) * (a - b)).sum();
            shift += squared;
            moved[c] = squared.sqrt();
        }
        centers = partial.sums;
        if partial.changed == 0 {
            strict = true;
            stopped = true;
            n_iter = iteration + 1;
            break;
        }
        if shift <= tol {
            stopped = true;
            n_iter = iteration + 1;
            break;
        }
    }
    if !strict {
        // The labels must belong to the returned centroids.
        let packed = Packed::new(&centers, &data.offset, k, d);
        assign_all(data, &packed, &mut labels, k, false);
    }
    let inertia = direct_inertia(data, &centers, &labels);
    Run {
        centers,
        labels,
        inertia,
        n_iter,
        converged: stopped,
        inertia_path,
    }
}

/// Half the distance from each centroid to its nearest other centroid (infinite for k = 1).
fn half_gaps(centers: &[f64], k: usize, d: usize) -> Vec<f64> {
    let mut gaps = vec![f64::INFINITY; k];
    for a in 0..k {
        for b in a + 1..k {
            let squared: f64 = centers[a * d..(a + 1) * d]
                .iter()
                .zip(&centers[b * d..(b + 1) * d])
                .map(|(x, y)| (x - y) * (x - y))
                .sum();
            let half = 0.5 * squared.sqrt();
            gaps[a] = gaps[a].min(half);
            gaps[b] = gaps[b].min(half);
        }
    }
    gaps
}

/// The largest move, which centroid made it, and the second largest.
fn largest_two(moved: &[f64]) -> (f64, usize, f64) {
    let (mut first, mut which, mut second) = (0.0, usize::MAX, 0.0);
    for (c, &m) in moved.iter().enumerate() {
        if m > first {
            second = first;
            first = m;
            which = c;
        } else if m > second {
            second = m;
        }
    }
    (first, which, second)
}

/// A bound on the rounding error of a distance from the expanded form, so that pruning never
/// keeps a label that Lloyd's computed scores would change: the score's absolute error is at most
/// about `(d + 2) eps (|c'|^2 + 2 |m| |c'| + 2 |x| |c'|)`, and a squared-distance error e moves
/// the distance by at most `sqrt(e)`. Doubled, then doubled again for safety.
fn rounding_margin(data: &Data<'_>, centers: &[f64], k: usize) -> f64 {
    let d = data.d;
    let m = data.offset.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut c_max: f64 = 0.0;
    for center in centers.chunks_exact(d).take(k) {
        let norm: f64 = center
            .iter()
            .zip(&data.offset)
            .map(|(v, o)| (v - o) * (v - o))
            .sum();
        c_max = c_max.max(norm.sqrt());
    }
    let magnitude = c_max * c_max + 2.0 * m * c_max + 2.0 * data.row_norm_max * c_max;
    4.0 * (4.0 * (d as f64 + 2.0) * f64::EPSILON * magnitude).sqrt()
}

/// The bounded assignment over all rows, blocks summed in row order as in [`assign_all`].
fn assign_all_bounded(
    data: &Data<'_>,
    packed: &Packed,
    labels: &mut [usize],
    bounds: &mut [Bounds],
    pruning: &Pruning<'_>,
    k: usize,
) -> Partial {
    sum_blocks(labels, bounds, k, data.d, |b, out, bound, partial| {
        kernel::assign_bounded(&data.block(b), packed, out, bound, pruning, partial);
    })
}

/// `sum_i w_i |x_i - c_label(i)|^2`, computed directly (not through the expanded form).
pub(crate) fn direct_inertia(data: &Data<'_>, centers: &[f64], labels: &[usize]) -> f64 {
    let d = data.d;
    let mut total = 0.0;
    for b in 0..data.block_count() {
        let block = data.block(b);
        let mut part = 0.0;
        for (i, row) in block.rows.chunks_exact(d).enumerate() {
            let label = labels[b * BLOCK_ROWS + i];
            let center = &centers[label * d..(label + 1) * d];
            let mut s = 0.0;
            for (x, c) in row.iter().zip(center) {
                let diff = x - c;
                s += diff * diff;
            }
            part += block.weights.map_or(1.0, |w| w[i]) * s;
        }
        total += part;
    }
    total
}

/// scikit-learn's `_relocate_empty_clusters_dense`: each empty cluster takes the row farthest
/// from its centroid, farthest first. Divergence: among rows at exactly equal distance the lowest
/// row index goes first (numpy's `argpartition` leaves that order unspecified).
fn relocate_empty(data: &Data<'_>, old: &[f64], labels: &[usize], partial: &mut Partial) {
    let d = data.d;
    let empty: Vec<usize> = partial
        .weights
        .iter()
        .enumerate()
        .filter(|(_, &w)| w == 0.0)
        .map(|(c, _)| c)
        .collect();
    if empty.is_empty() {
        return;
    }
    let mut distances: Vec<(f64, usize)> = data
        .x
        .chunks_exact(d)
        .zip(labels)
        .enumerate()
        .map(|(i, (row, &label))| {
            let center = &old[label * d..(label + 1) * d];
            let s: f64 = row.iter().zip(center).map(|(x, c)| (x - c) * (x - c)).sum();
            (s, i)
        })
        .collect();
    let take = empty.len().min(distances.len());
    let order = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if take < distances.len() {
        distances.select_nth_unstable_by(take, order);
    }
    distances.truncate(take);
    distances.sort_by(order);
    for (&cluster, &(_, row)) in empty.iter().zip(&distances) {
        let weight = data.weight(row);
        let from = labels[row];
        let x = &data.x[row * d..(row + 1) * d];
        for (j, &v) in x.iter().enumerate() {
            let value = v * weight;
            partial.sums[from * d + j] -= value;
            partial.sums[cluster * d + j] = value;
        }
        partial.weights[cluster] = weight;
        partial.weights[from] -= weight;
    }
}

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus`, on our own random stream.
pub(crate) fn kmeans_plus_plus(data: &Data<'_>, k: usize, rng: &mut SeededRng) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let x: &[f64] = &data.x;
    let trials = (2 + random::ln(k as f64).floor() as usize).min(LANES);
    let first = match data.weights {
        Some(w) => rng.weighted(w),
        None => rng.below(n as u64) as usize,
    };
    let mut centers = Vec::with_capacity(k * d);
    centers.extend_from_slice(&x[first * d..(first + 1) * d]);
    let mut closest = vec![f64::INFINITY; n];
    let first_candidate = Candidates::new(x, d, &[first]);
    kernel::lower_closest(x, &mut closest, &first_candidate, 0);
    let mut potential = weighted_sum(&closest, data.weights);
    let mut draws = vec![0.0; trials];
    let mut ids = vec![0usize; trials];
    for _ in 1..k {
        for v in draws.iter_mut() {
            *v = rng.uniform() * potential;
        }
        pick_by_cumulative(&closest, data.weights, &draws, &mut ids);
        let candidates = Candidates::new(x, d, &ids);
        // Blocks of rows in parallel, their potentials added in block order (the same sums
        // with any number of threads).
        let parts = par::map_chunks(&closest, BLOCK_ROWS, |b, near| {
            let start = b * BLOCK_ROWS;
            let end = start + near.len();
            let mut part = [0.0; LANES];
            kernel::candidate_potentials(
                &x[start * d..end * d],
                data.weights.map(|w| &w[start..end]),
                near,
                &candidates,
                &mut part,
            );
            part
        });
        let mut potentials = [0.0; LANES];
        for part in parts {
            for (p, q) in potentials.iter_mut().zip(part) {
                *p += q;
            }
        }
        // The first of equal potentials, as numpy's argmin.
        let mut best = 0;
        for t in 1..trials {
            if potentials[t] < potentials[best] {
                best = t;
            }
        }
        let row = ids[best];
        centers.extend_from_slice(&x[row * d..(row + 1) * d]);
        par::map_chunks_mut(&mut closest, BLOCK_ROWS, |b, near| {
            let start = b * BLOCK_ROWS;
            let rows = &x[start * d..(start + near.len()) * d];
            kernel::lower_closest(rows, near, &candidates, best);
        });
        potential = potentials[best];
    }
    centers
}

fn weighted_sum(values: &[f64], weights: Option<&[f64]>) -> f64 {
    match weights {
        Some(w) => values.iter().zip(w).map(|(v, w)| v * w).sum(),
        None => values.iter().sum(),
    }
}

/// For each draw, the first row whose running sum of `w x closest` exceeds it (numpy's
/// `searchsorted` on the cumulative sum, strict so that a row of zero weight or zero distance is
/// never drawn), clipped to the last row that can be drawn. Draws may come in any order.
fn pick_by_cumulative(closest: &[f64], weights: Option<&[f64]>, draws: &[f64], ids: &mut [usize]) {
    let mut order: Vec<usize> = (0..draws.len()).collect();
    order.sort_by(|&a, &b| draws[a].total_cmp(&draws[b]));
    let mut running = 0.0;
    let mut last_positive = 0;
    let mut next = 0;
    for (i, &c) in closest.iter().enumerate() {
        let mass = weights.map_or(c, |w| c * w[i]);
        if mass > 0.0 {
            last_positive = i;
        }
        running += mass;
        while next < order.len() && running > draws[order[next]] && mass > 0.0 {
            ids[order[next]] = i;
            next += 1;
        }
        if next == order.len() {
            return;
        }
    }
    for &t in &order[next..] {
        ids[t] = last_positive;
    }
}

/// `k` rows drawn without replacement with probability proportional to weight.
fn random_rows(data: &Data<'_>, k: usize, rng: &mut SeededRng) -> Vec<f64> {
    let d = data.d;
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    match data.weights {
        None => {
            // A partial Fisher-Yates shuffle over a sparse map keeps this O(k).
            let mut swapped: std::collections::HashMap<usize, usize> = Default::default();
            for i in 0..k {
                let j = i + rng.below((data.n - i) as u64) as usize;
                let at_j = *swapped.get(&j).unwrap_or(&j);
                let at_i = *swapped.get(&i).unwrap_or(&i);
                swapped.insert(j, at_i);
                chosen.push(at_j);
            }
        }
        Some(w) => {
            let mut remaining = w.to_vec();
            for _ in 0..k {
                let i = rng.weighted(&remaining);
                remaining[i] = 0.0;
                chosen.push(i);
            }
        }
    }
    let mut centers = Vec::with_capacity(k * d);
    for row in chosen {
        centers.extend_from_slice(&data.x[row * d..(row + 1) * d]);
    }
    centers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_pick_skips_rows_without_mass() {
        let closest = [0.0, 1.0, 0.0, 2.0, 0.0];
        let mut ids = [9; 3];
        pick_by_cumulative(&closest, None, &[0.0, 1.5, 5.0], &mut ids);
        assert_eq!(ids, [1, 3, 3]);
    }
}
