//! Silhouette, Calinski-Harabasz and Davies-Bouldin, as scikit-learn defines them.

use std::borrow::Cow;

use ndarray::ArrayView2;

use crate::cluster::matrix_rows;
use crate::error::{Error, Result};

/// Checked rows, labels and cluster count.
struct Labelled<'a, 'l> {
    rows: Cow<'a, [f64]>,
    n: usize,
    d: usize,
    k: usize,
    labels: &'l [usize],
    sizes: Vec<usize>,
}

/// Rows per segment of dense labels `0..k`.
///
/// # Errors
/// [`Error::InvalidParameter`] when a segment number below the largest has no rows.
pub(crate) fn segment_sizes(labels: &[usize]) -> Result<Vec<usize>> {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    if let Some(empty) = sizes.iter().position(|&s| s == 0) {
        return Err(Error::InvalidParameter {
            name: "labels",
            reason: format!("segment {empty} has no rows: number the segments 0..k without gaps"),
        });
    }
    Ok(sizes)
}

/// sklearn's `check_number_of_labels`: 2 <= distinct labels <= n - 1; labels must be dense.
fn labelled<'a, 'l>(x: ArrayView2<'a, f64>, labels: &'l [usize]) -> Result<Labelled<'a, 'l>> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(Error::EmptyInput {
            what: "the feature matrix",
            item: "row and column",
        });
    }
    if labels.len() != n {
        return Err(Error::LengthMismatch {
            what: "labels",
            expected: n,
            found: labels.len(),
        });
    }
    let sizes = segment_sizes(labels)?;
    let k = sizes.len();
    if k < 2 || k > n - 1 {
        return Err(Error::InvalidParameter {
            name: "labels",
            reason: format!(
                "there are {k} segments for {n} rows: the metric needs 2 to n - 1 segments"
            ),
        });
    }
    let rows = matrix_rows(x)?;
    Ok(Labelled {
        rows,
        n,
        d,
        k,
        labels,
        sizes,
    })
}

/// The silhouette coefficient of each row.
///
/// ```text
/// a(i) = mean distance from i to the other rows of its segment
/// b(i) = lowest mean distance from i to the rows of another segment
/// s(i) = (b(i) - a(i)) / max(a(i), b(i)), and 0 for a row alone in its segment
/// ```
///
/// Exact, with O(k) memory per row: distances are streamed, never stored (scikit-learn holds
/// chunks of the n x n matrix). Time is O(n^2 d).
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::LengthMismatch`] (labels), [`Error::NonFiniteCell`], and
/// [`Error::InvalidParameter`] when fewer than 2 or more than n - 1 segments are used or a
/// segment number in `0..k` has no rows.
///
/// Reference: matches `sklearn.metrics.silhouette_samples` (Euclidean). Divergence: distances
/// are computed directly rather than by scikit-learn's expanded form, so values agree to about
/// 1e-9 relative, not to the last bit; two identical rows are at distance 0 here, where the
/// expanded form can give a tiny positive value.
pub fn silhouette_samples(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<Vec<f64>> {
    let data = labelled(x, labels)?;
    let (n, d, k) = (data.n, data.d, data.k);
    let mut out = vec![0.0; n];
    let mut sums = vec![0.0; k];
    for (i, value) in out.iter_mut().enumerate() {
        sums.fill(0.0);
        let a_row = &data.rows[i * d..(i + 1) * d];
        for (j, &lj) in data.labels.iter().enumerate() {
            let b_row = &data.rows[j * d..(j + 1) * d];
            let squared: f64 = a_row
                .iter()
                .zip(b_row)
                .map(|(p, q)| (p - q) * (p - q))
                .sum();
            sums[lj] += squared.sqrt();
        }
        let own = data.labels[i];
        let size = data.sizes[own];
        if size <= 1 {
            continue;
        }
        let a = sums[own] / (size - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own)
            .map(|c| sums[c] / data.sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let denominator = a.max(b);
        *value = if denominator > 0.0 {
            (b - a) / denominator
        } else {
            0.0
        };
    }
    Ok(out)
}

/// The mean silhouette coefficient over all rows (see [`silhouette_samples`]), in [-1, 1].
///
/// # Errors
/// As [`silhouette_samples`].
///
/// Reference: matches `sklearn.metrics.silhouette_score` with the default `sample_size=None`.
pub fn silhouette_score(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let samples = silhouette_samples(x, labels)?;
    Ok(samples.iter().sum::<f64>() / samples.len() as f64)
}

/// Per-segment sizes, centroids and the overall mean.
fn centroids(data: &Labelled<'_, '_>) -> (Vec<f64>, Vec<f64>) {
    let (d, k) = (data.d, data.k);
    let mut centers = vec![0.0; k * d];
    let mut mean = vec![0.0; d];
    for (row, &l) in data.rows.chunks_exact(d).zip(data.labels) {
        for j in 0..d {
            centers[l * d + j] += row[j];
            mean[j] += row[j];
        }
    }
    for (c, &size) in data.sizes.iter().enumerate() {
        for v in &mut centers[c * d..(c + 1) * d] {
            *v /= size as f64;
        }
    }
    for v in &mut mean {
        *v /= data.n as f64;
    }
    (centers, mean)
}

/// The Calinski-Harabasz index (variance ratio criterion); higher is better.
///
/// ```text
/// B = sum_c n_c |mean_c - mean|^2        W = sum_i |x_i - mean_label(i)|^2
/// CH = B (n - k) / (W (k - 1)), and 1 when W = 0
/// ```
///
/// # Errors
/// As [`silhouette_samples`].
///
/// Reference: matches `sklearn.metrics.calinski_harabasz_score`, including its 1.0 for zero
/// within-segment spread.
pub fn calinski_harabasz_score(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let data = labelled(x, labels)?;
    let (n, d, k) = (data.n, data.d, data.k);
    let (centers, mean) = centroids(&data);
    let mut between = 0.0;
    for (c, &size) in data.sizes.iter().enumerate() {
        let squared: f64 = centers[c * d..(c + 1) * d]
            .iter()
            .zip(&mean)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        between += size as f64 * squared;
    }
    let mut within = 0.0;
    for (row, &l) in data.rows.chunks_exact(d).zip(data.labels) {
        within += row
            .iter()
            .zip(&centers[l * d..(l + 1) * d])
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>();
    }
    Ok(if within == 0.0 {
        1.0
    } else {
        between * (n - k) as f64 / (within * (k - 1) as f64)
    })
}

/// The Davies-Bouldin index; lower is better, 0 is the minimum.
///
/// ```text
/// s_c = mean distance of segment c's rows to its centroid,  d_ab = |centroid_a - centroid_b|
/// DB = mean_a max_{b != a} (s_a + s_b) / d_ab   (a pair of equal centroids contributes 0)
/// ```
///
/// # Errors
/// As [`silhouette_samples`].
///
/// Reference: matches `sklearn.metrics.davies_bouldin_score`, including 0.0 when every s_c or
/// every centroid distance is zero.
pub fn davies_bouldin_score(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let data = labelled(x, labels)?;
    let (d, k) = (data.d, data.k);
    let (centers, _) = centroids(&data);
    let mut intra = vec![0.0; k];
    for (row, &l) in data.rows.chunks_exact(d).zip(data.labels) {
        let squared: f64 = row
            .iter()
            .zip(&centers[l * d..(l + 1) * d])
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        intra[l] += squared.sqrt();
    }
    for (s, &size) in intra.iter_mut().zip(&data.sizes) {
        *s /= size as f64;
    }
    let mut gaps = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..k {
            let squared: f64 = centers[a * d..(a + 1) * d]
                .iter()
                .zip(&centers[b * d..(b + 1) * d])
                .map(|(p, q)| (p - q) * (p - q))
                .sum();
            gaps[a * k + b] = squared.sqrt();
        }
    }
    if intra.iter().all(|&s| s.abs() < 1e-300) || gaps.iter().all(|&g| g.abs() < 1e-300) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for a in 0..k {
        let mut worst: f64 = 0.0;
        for b in 0..k {
            let gap = gaps[a * k + b];
            // scikit-learn sets zero gaps (including a == b) to infinity: the ratio becomes 0.
            let ratio = if gap == 0.0 {
                0.0
            } else {
                (intra[a] + intra[b]) / gap
            };
            worst = worst.max(ratio);
        }
        total += worst;
    }
    Ok(total / k as f64)
}
