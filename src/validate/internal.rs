//! Silhouette, Calinski-Harabasz and Davies-Bouldin, as scikit-learn defines them.

use std::borrow::Cow;

use ndarray::ArrayView2;

use crate::engine::rows::matrix_rows;
use crate::error::{Error, Result};
use crate::segmentation::segment_sizes;

use super::pairs;

/// Checked rows, labels and cluster count.
struct Labelled<'a, 'l> {
    rows: Cow<'a, [f64]>,
    n: usize,
    d: usize,
    k: usize,
    labels: &'l [usize],
    sizes: Vec<usize>,
}

/// sklearn's `check_number_of_labels`: 2 <= distinct labels <= n - 1; labels must be dense.
///
/// With `scan` false the finite check is left to the caller (the centroid pass does it for free:
/// see [`centroids`]).
fn labelled<'a, 'l>(
    x: ArrayView2<'a, f64>,
    labels: &'l [usize],
    scan: bool,
) -> Result<Labelled<'a, 'l>> {
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
    let rows = if scan {
        matrix_rows(x)?
    } else {
        match x.to_slice() {
            Some(slice) => Cow::Borrowed(slice),
            None => Cow::Owned(x.iter().copied().collect()),
        }
    };
    // Finite values far apart (about 1e154 and up) have squared distances beyond f64: refuse
    // them rather than return NaN or infinity. The pairwise pass is quadratic, so this one extra
    // pass is free there; the centroid metrics check their sums instead.
    if scan {
        let mut low = vec![f64::INFINITY; d];
        let mut high = vec![f64::NEG_INFINITY; d];
        for row in rows.chunks_exact(d) {
            for ((l, h), &v) in low.iter_mut().zip(high.iter_mut()).zip(row) {
                *l = l.min(v);
                *h = h.max(v);
            }
        }
        let squared: f64 = low.iter().zip(&high).map(|(l, h)| (h - l) * (h - l)).sum();
        if squared.is_infinite() {
            return Err(overflow());
        }
    }
    Ok(Labelled {
        rows,
        n,
        d,
        k,
        labels,
        sizes,
    })
}

/// The error for finite features whose squared distances or sums overflow f64.
fn overflow() -> Error {
    Error::Undefined {
        reason: "the rows are so far apart that their squared distances overflow f64: \
                 rescale the features first (e.g. standardize them)"
            .to_owned(),
    }
}

/// The silhouette coefficient of each row.
///
/// ```text
/// a(i) = mean distance from i to the other rows of its segment
/// b(i) = lowest mean distance from i to the rows of another segment
/// s(i) = (b(i) - a(i)) / max(a(i), b(i)), and 0 for a row alone in its segment
/// ```
///
/// Exact, with O(n (k + d)) memory: each of the n (n - 1) / 2 distances is computed once and
/// added to both rows' per-segment sums, never stored (scikit-learn holds chunks of the n x n
/// matrix). Time is O(n^2 d); the loop runs four rows at a time with AVX2 where the CPU has it.
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::LengthMismatch`] (labels), [`Error::NonFiniteCell`], and
/// [`Error::InvalidParameter`] when fewer than 2 or more than n - 1 segments are used or a
/// segment number in `0..k` has no rows; [`Error::Undefined`] when finite features are so far
/// apart (about 1e154 and up) that squared distances overflow f64.
///
/// Reference: matches `sklearn.metrics.silhouette_samples` (Euclidean). Divergence: distances
/// are computed directly rather than by scikit-learn's expanded form, so values agree to about
/// 1e-9 relative, not to the last bit; two identical rows are at distance 0 here, where the
/// expanded form can give a tiny positive value.
pub fn silhouette_samples(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<Vec<f64>> {
    let data = labelled(x, labels, true)?;
    let (n, d, k) = (data.n, data.d, data.k);
    let sums = pairs::distance_sums(&data.rows, d, data.labels, &data.sizes);
    let mut out = vec![0.0; n];
    for ((value, &own), sums) in out.iter_mut().zip(data.labels).zip(sums.chunks_exact(k)) {
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
            ((b - a) / denominator).clamp(-1.0, 1.0)
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
    Ok((samples.iter().sum::<f64>() / samples.len() as f64).clamp(-1.0, 1.0))
}

/// Calls `$f::<D>` with `D` the feature count when it is 1 to 8 (the loops unroll), else `D = 0`
/// (the count is read at run time).
macro_rules! by_width {
    ($d:expr, $f:ident $(::<_, $flag:literal>)? ($($arg:expr),*)) => {
        match $d {
            1 => $f::<1 $(, $flag)?>($($arg),*),
            2 => $f::<2 $(, $flag)?>($($arg),*),
            3 => $f::<3 $(, $flag)?>($($arg),*),
            4 => $f::<4 $(, $flag)?>($($arg),*),
            5 => $f::<5 $(, $flag)?>($($arg),*),
            6 => $f::<6 $(, $flag)?>($($arg),*),
            7 => $f::<7 $(, $flag)?>($($arg),*),
            8 => $f::<8 $(, $flag)?>($($arg),*),
            _ => $f::<0 $(, $flag)?>($($arg),*),
        }
    };
}

/// Rows per block of the centroid and spread passes. Blocks are summed separately (in parallel
/// with the `parallel` feature) and their results added in block order, so the serial and
/// parallel builds give the same bits.
const BLOCK_ROWS: usize = 1 << 15;

/// `pass` on every block of [`BLOCK_ROWS`] rows, results in block order.
fn per_block<T: Send>(
    n: usize,
    pass: impl Fn(std::ops::Range<usize>) -> T + Sync + Send,
) -> Vec<T> {
    let ranges: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(BLOCK_ROWS)
        .map(|start| start..(start + BLOCK_ROWS).min(n))
        .collect();
    crate::engine::par::map(ranges, pass)
}

/// Adds `parts` element-wise, in order.
fn add_up(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for part in parts {
        for (a, b) in out.iter_mut().zip(part) {
            *a += b;
        }
    }
    out
}

/// Per-segment column sums (k x d, row-major).
fn column_sums<const D: usize>(rows: &[f64], d: usize, labels: &[usize], k: usize) -> Vec<f64> {
    let parts = per_block(labels.len(), |range| {
        let rows = &rows[range.start * d..range.end * d];
        let labels = &labels[range];
        crate::engine::kernel::widest(|| column_sums_block::<D>(rows, d, labels, k))
    });
    add_up(parts, k * d)
}

#[inline(always)]
fn column_sums_block<const D: usize>(
    rows: &[f64],
    d: usize,
    labels: &[usize],
    k: usize,
) -> Vec<f64> {
    let mut out = vec![0.0; k * d];
    if D == 0 {
        // Feature count known at run time only.
        for (row, &l) in rows.chunks_exact(d).zip(labels) {
            for (c, v) in out[l * d..(l + 1) * d].iter_mut().zip(row) {
                *c += v;
            }
        }
        return out;
    }
    let mut sums = vec![[0.0; D]; k];
    for (row, &l) in rows.chunks_exact(D).zip(labels) {
        let row: &[f64; D] = row.try_into().unwrap_or(&[0.0; D]);
        let mut sum = sums[l];
        for j in 0..D {
            sum[j] += row[j];
        }
        sums[l] = sum;
    }
    for (c, sum) in sums.iter().enumerate() {
        out[c * d..(c + 1) * d].copy_from_slice(sum);
    }
    out
}

/// Per segment, the sum over its rows of the squared distance to its centroid, or (`ROOT`) of
/// the distance.
fn spread<const D: usize, const ROOT: bool>(
    rows: &[f64],
    d: usize,
    labels: &[usize],
    centers: &[f64],
    k: usize,
) -> Vec<f64> {
    let parts = per_block(labels.len(), |range| {
        let rows = &rows[range.start * d..range.end * d];
        let labels = &labels[range];
        crate::engine::kernel::widest(|| spread_block::<D, ROOT>(rows, d, labels, centers, k))
    });
    add_up(parts, k)
}

#[inline(always)]
fn spread_block<const D: usize, const ROOT: bool>(
    rows: &[f64],
    d: usize,
    labels: &[usize],
    centers: &[f64],
    k: usize,
) -> Vec<f64> {
    // Rows four at a time: their squared distances first (each summed in feature order), then
    // the four square roots together, which vectorise; each is added to its segment in row
    // order.
    const R: usize = 4;
    let fixed: Vec<[f64; D]> = centers
        .chunks_exact(d)
        .map(|c| c.try_into().unwrap_or([0.0; D]))
        .collect();
    let squared = |row: &[f64], l: usize| {
        let mut squared = 0.0;
        if D == 0 {
            for (a, b) in row.iter().zip(&centers[l * d..(l + 1) * d]) {
                squared += (a - b) * (a - b);
            }
        } else {
            let center = &fixed[l];
            for j in 0..D {
                squared += (row[j] - center[j]) * (row[j] - center[j]);
            }
        }
        squared
    };
    let mut out = vec![0.0; k];
    let mut tiles = rows.chunks_exact(R * d);
    let mut tile_labels = labels.chunks_exact(R);
    for (tile, ls) in (&mut tiles).zip(&mut tile_labels) {
        let mut values = [0.0; R];
        for (t, v) in values.iter_mut().enumerate() {
            *v = squared(&tile[t * d..(t + 1) * d], ls[t]);
        }
        if ROOT {
            for v in &mut values {
                *v = v.sqrt();
            }
        }
        for (v, &l) in values.iter().zip(ls) {
            out[l] += v;
        }
    }
    for (row, &l) in tiles
        .remainder()
        .chunks_exact(d)
        .zip(tile_labels.remainder())
    {
        let v = squared(row, l);
        out[l] += if ROOT { v.sqrt() } else { v };
    }
    out
}

/// Per-segment centroids and the overall mean, in one pass that also checks every cell is finite:
/// a NaN or infinity anywhere makes its segment's sum non-finite, and only then are the rows
/// scanned to name the cell.
///
/// # Errors
/// [`Error::NonFiniteCell`] naming the first bad cell; [`Error::Undefined`] when the finite values
/// are so large that their sum overflows.
fn centroids(data: &Labelled<'_, '_>) -> Result<(Vec<f64>, Vec<f64>)> {
    let (d, k) = (data.d, data.k);
    let mut centers = by_width!(d, column_sums(&data.rows, d, data.labels, k));
    if centers.iter().any(|v| !v.is_finite()) {
        if let Some(position) = data.rows.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteCell {
                row: position / d,
                column: position % d,
            });
        }
        return Err(Error::Undefined {
            reason: "the segment sums overflow f64: rescale the features first".to_owned(),
        });
    }
    let mut mean = vec![0.0; d];
    for center in centers.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(center) {
            *m += v;
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
    Ok((centers, mean))
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
    let data = labelled(x, labels, false)?;
    let (n, d, k) = (data.n, data.d, data.k);
    let (centers, mean) = centroids(&data)?;
    let mut between = 0.0;
    for (c, &size) in data.sizes.iter().enumerate() {
        let squared: f64 = centers[c * d..(c + 1) * d]
            .iter()
            .zip(&mean)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        between += size as f64 * squared;
    }
    let within: f64 = by_width!(
        d,
        spread::<_, false>(&data.rows, d, data.labels, &centers, k)
    )
    .iter()
    .sum();
    if !between.is_finite() || !within.is_finite() {
        return Err(overflow());
    }
    if within == 0.0 {
        return Ok(1.0);
    }
    crate::error::finite_result(
        between * (n - k) as f64 / (within * (k - 1) as f64),
        "the Calinski-Harabasz index",
    )
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
    let data = labelled(x, labels, false)?;
    let (d, k) = (data.d, data.k);
    let (centers, _) = centroids(&data)?;
    let mut intra = by_width!(
        d,
        spread::<_, true>(&data.rows, d, data.labels, &centers, k)
    );
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
    if intra.iter().chain(&gaps).any(|v| !v.is_finite()) {
        return Err(overflow());
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
    crate::error::finite_result(total / k as f64, "the Davies-Bouldin index")
}

/// A silhouette estimated on a seeded sample of rows, with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SampledSilhouette {
    /// Mean silhouette of the sampled rows, computed exactly among themselves (as scikit-learn's
    /// `silhouette_score(..., sample_size=m)`).
    pub estimate: f64,
    /// Standard error of that mean, `sd / sqrt(m)` (0 when every row was used).
    pub standard_error: f64,
    /// Rows used.
    pub rows: usize,
}

/// The silhouette of at most `sample` rows drawn without replacement (seeded), for data too large
/// for the exact O(n^2) pass; with `sample >= n` it is the exact score (standard error 0).
///
/// # Errors
/// As [`silhouette_samples`] (on the whole data and on the sample), and
/// [`Error::InvalidParameter`] when `sample < 3`.
pub fn silhouette_sampled(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    sample: usize,
    seed: u64,
) -> Result<SampledSilhouette> {
    let data = labelled(x, labels, true)?;
    if sample < 3 {
        return Err(Error::InvalidParameter {
            name: "sample",
            reason: format!("is {sample}, expected at least 3 rows"),
        });
    }
    let n = data.n;
    if sample >= n {
        return Ok(SampledSilhouette {
            estimate: silhouette_score(x, labels)?,
            standard_error: 0.0,
            rows: n,
        });
    }
    let rows = sample_rows(n, sample, seed);
    let sub = x.select(ndarray::Axis(0), &rows);
    // Renumber so the sample's segments are dense.
    let mut map = std::collections::HashMap::new();
    let sub_labels: Vec<usize> = rows
        .iter()
        .map(|&r| {
            let next = map.len();
            *map.entry(labels[r]).or_insert(next)
        })
        .collect();
    let samples = silhouette_samples(sub.view(), &sub_labels)?;
    let m = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / m;
    let variance = samples.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (m - 1.0);
    Ok(SampledSilhouette {
        estimate: mean,
        standard_error: (variance / m).sqrt(),
        rows: samples.len(),
    })
}

/// `sample` distinct rows of `0..n`, increasing: a seeded partial Fisher-Yates shuffle.
pub(crate) fn sample_rows(n: usize, sample: usize, seed: u64) -> Vec<usize> {
    let mut rng = crate::random::SeededRng::stream(seed, 1);
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..sample.min(n) {
        let j = i + rng.below((n - i) as u64) as usize;
        order.swap(i, j);
    }
    let mut chosen = order[..sample.min(n)].to_vec();
    chosen.sort_unstable();
    chosen
}
