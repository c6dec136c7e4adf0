//! Stability: do the segments come back when the data is resampled, and how did customers move
//! between two segmentations of the same customers?

use ndarray::{Array2, ArrayView2, Axis};

use super::external::{Averaging, Contingency};
use crate::error::{Error, Result};
use crate::random::SeededRng;
use crate::segmentation::Segmentation;

/// Bootstrap stability of a clustering (Hennig's `clusterboot`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Stability {
    /// Per original segment, the mean over resamples of its best Jaccard match among the
    /// re-fitted segments (on the resampled customers). Above 0.75 is usually called stable,
    /// below 0.5 dissolved.
    pub jaccard: Vec<f64>,
    /// Per original segment, how many resamples it dissolved in (best Jaccard below 0.5).
    pub dissolved: Vec<usize>,
    /// Mean adjusted Rand index between the original labels and the re-fit, on the resampled
    /// rows.
    pub mean_ari: f64,
    /// Standard deviation of that ARI over resamples.
    pub sd_ari: f64,
    /// Resamples run.
    pub resamples: usize,
}

/// Refits on bootstrap resamples of the rows of `x` and measures how well each of the original
/// segments (`labels`, dense `0..k`) is recovered.
///
/// `refit(sample, seed)` clusters the resampled rows and returns one label per row; it is called
/// `resamples` times with seeds derived from `seed`, so the whole procedure is deterministic.
/// Typical refit: `|x, s| Ok(KMeans::params(k).seed(s).fit(x)?.labels().to_vec())`.
///
/// # Errors
/// [`Error::LengthMismatch`] (labels vs rows, or a refit returning the wrong number of labels);
/// [`Error::InvalidParameter`] for no resamples, fewer than two rows, or labels with a gap;
/// whatever `refit` returns.
pub fn bootstrap_stability(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    resamples: usize,
    seed: u64,
    refit: impl Fn(ArrayView2<'_, f64>, u64) -> Result<Vec<usize>>,
) -> Result<Stability> {
    let n = x.nrows();
    if labels.len() != n {
        return Err(Error::LengthMismatch {
            what: "labels",
            expected: n,
            found: labels.len(),
        });
    }
    if n < 2 {
        return Err(Error::InvalidParameter {
            name: "x",
            reason: format!("{n} row(s): resampling needs at least two"),
        });
    }
    if resamples == 0 {
        return Err(Error::InvalidParameter {
            name: "resamples",
            reason: "0 resamples: ask for at least one (100 is usual)".to_owned(),
        });
    }
    let k = super::segment_sizes(labels)?.len();
    let mut jaccard_sum = vec![0.0; k];
    let mut dissolved = vec![0; k];
    let mut aris = Vec::with_capacity(resamples);
    for b in 0..resamples {
        let mut rng = SeededRng::stream(seed, b as u64);
        let rows: Vec<usize> = (0..n).map(|_| rng.below(n as u64) as usize).collect();
        let sample: Array2<f64> = x.select(Axis(0), &rows);
        let fitted = refit(sample.view(), seed.wrapping_add(b as u64 + 1))?;
        if fitted.len() != n {
            return Err(Error::LengthMismatch {
                what: "labels returned by refit",
                expected: n,
                found: fitted.len(),
            });
        }
        let original: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
        aris.push(Contingency::new(&original, &fitted)?.adjusted_rand());
        // Jaccard on the distinct resampled customers: each customer's refit label is that of
        // its first copy.
        let mut refit_of = vec![usize::MAX; n];
        for (&i, &l) in rows.iter().zip(&fitted) {
            if refit_of[i] == usize::MAX {
                refit_of[i] = l;
            }
        }
        let present: Vec<usize> = (0..n).filter(|&i| refit_of[i] != usize::MAX).collect();
        let refit_k = fitted.iter().max().map_or(0, |m| m + 1);
        let mut both = vec![0usize; k * refit_k];
        let mut in_original = vec![0usize; k];
        let mut in_refit = vec![0usize; refit_k];
        for &i in &present {
            both[labels[i] * refit_k + refit_of[i]] += 1;
            in_original[labels[i]] += 1;
            in_refit[refit_of[i]] += 1;
        }
        for c in 0..k {
            let best = (0..refit_k)
                .map(|r| {
                    let shared = both[c * refit_k + r];
                    let union = in_original[c] + in_refit[r] - shared;
                    if union == 0 {
                        0.0
                    } else {
                        shared as f64 / union as f64
                    }
                })
                .fold(0.0, f64::max);
            jaccard_sum[c] += best;
            if best < 0.5 {
                dissolved[c] += 1;
            }
        }
    }
    let mean_ari = aris.iter().sum::<f64>() / resamples as f64;
    let sd_ari = if resamples > 1 {
        (aris.iter().map(|a| (a - mean_ari).powi(2)).sum::<f64>() / (resamples - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok(Stability {
        jaccard: jaccard_sum.iter().map(|s| s / resamples as f64).collect(),
        dissolved,
        mean_ari,
        sd_ari,
        resamples,
    })
}

/// Two segmentations of the same customers compared: where customers moved, and how much the
/// partitions agree.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentationComparison {
    /// Segment names of the earlier segmentation (rows of `migration`).
    pub before: Vec<String>,
    /// Segment names of the later segmentation (columns of `migration`).
    pub after: Vec<String>,
    /// Customers in earlier segment i and later segment j, row-major.
    pub migration: Vec<u64>,
    /// Customers with a segment in both (the ones compared).
    pub compared: usize,
    /// Customers with a segment in only one of the two.
    pub in_one_only: usize,
    /// Share of compared customers whose segment has the same name in both.
    pub stayed_by_name: f64,
    /// Adjusted Rand index of the two partitions (compared customers).
    pub ari: f64,
    /// Adjusted mutual information (arithmetic averaging).
    pub ami: f64,
}

impl SegmentationComparison {
    /// Customers that moved from earlier segment `i` to later segment `j`.
    #[must_use]
    pub fn moved(&self, i: usize, j: usize) -> u64 {
        if i < self.before.len() && j < self.after.len() {
            self.migration[i * self.after.len() + j]
        } else {
            0
        }
    }
}

/// Compares two segmentations of the same customers (e.g. last quarter's and this quarter's).
/// Segmentations over different indexes are matched by key first: re-attach one with
/// [`Segmentation::keyed`] and [`KeyedSegmentation::attach`](crate::KeyedSegmentation::attach).
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when they belong to different customer sets;
/// [`Error::EmptyInput`] when no customer has a segment in both.
pub fn compare_segmentations(
    before: &Segmentation,
    after: &Segmentation,
) -> Result<SegmentationComparison> {
    before.ensure_same(after, "the later segmentation")?;
    let names = |s: &Segmentation| -> Vec<String> {
        s.segments().iter().map(|d| d.name().to_owned()).collect()
    };
    let (before_names, after_names) = (names(before), names(after));
    let (rows, columns) = (before_names.len(), after_names.len());
    let mut migration = vec![0u64; rows * columns];
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut in_one_only = 0;
    let mut stayed = 0usize;
    for (x, y) in before.labels().iter().zip(after.labels()) {
        match (x, y) {
            (Some(x), Some(y)) => {
                migration[x * columns + y] += 1;
                a.push(*x);
                b.push(*y);
                stayed += usize::from(before_names[*x] == after_names[*y]);
            }
            (None, None) => {}
            _ => in_one_only += 1,
        }
    }
    if a.is_empty() {
        return Err(Error::EmptyInput {
            what: "customers with a segment in both segmentations",
            item: "customer",
        });
    }
    let table = Contingency::new(&a, &b)?;
    Ok(SegmentationComparison {
        before: before_names,
        after: after_names,
        migration,
        compared: a.len(),
        in_one_only,
        stayed_by_name: stayed as f64 / a.len() as f64,
        ari: table.adjusted_rand(),
        ami: table.adjusted_mutual_information(Averaging::Arithmetic),
    })
}
