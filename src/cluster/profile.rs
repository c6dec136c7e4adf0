//! Readable cluster profiles: size, centroid in original units, distinguishing features, label.

use crate::error::{Error, Result};
use crate::features::FeatureMatrix;
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};

/// How one feature sets a cluster apart from the rest.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeatureContrast {
    /// The feature's column name; a `log1p` column is named `log1p(name)`, since its means are
    /// of `ln(1 + x)`, not of x.
    pub feature: String,
    /// Mean in the cluster, in the matrix's unscaled units (of `ln(1 + x)` for a `log1p`
    /// column).
    pub cluster_mean: f64,
    /// Mean over all other rows.
    pub rest_mean: f64,
    /// `(cluster_mean - rest_mean) / sd`, with sd the feature's standard deviation over all
    /// rows (sample, n - 1), so that a feature constant inside each cluster still gets a finite
    /// value; 0 when the feature is constant overall.
    pub standardized_difference: f64,
}

/// One cluster, described.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClusterProfile {
    /// The cluster's label.
    pub cluster: usize,
    /// Rows in the cluster.
    pub size: usize,
    /// `size / rows`.
    pub share: f64,
    /// The cluster mean of every feature in unscaled units (the matrix's scaler inverted; the
    /// mean of `ln(1 + x)` for a `log1p` column: the segment descriptor turns it back with
    /// `exp(m) - 1`).
    pub centroid: Vec<f64>,
    /// Every feature, most distinguishing first (by |standardised difference|).
    pub contrasts: Vec<FeatureContrast>,
    /// A generated name from the strongest contrasts, such as `"low logins, high mrr"`.
    pub label: String,
}

/// Profiles of every cluster of a labelling of `matrix`'s rows.
///
/// A feature enters the label when |standardised difference| >= 0.5 (a "medium" effect), at most
/// two of them, as "high x" or "low x"; a cluster with none is "typical". Equal labels get the
/// cluster number appended so segment names stay unique.
///
/// ```
/// use saas_segmentation::cluster::{profile_clusters, KMeans};
/// use saas_segmentation::features::FeatureMatrix;
///
/// struct Account { mrr: f64, logins: f64 }
/// let accounts: Vec<Account> = (0..40)
///     .map(|i| if i < 20 { Account { mrr: 50.0 + i as f64, logins: 30.0 } }
///              else { Account { mrr: 5000.0 + i as f64, logins: 3.0 } })
///     .collect();
/// let matrix = FeatureMatrix::builder()
///     .column("mrr", |a: &Account| a.mrr)
///     .column("logins", |a: &Account| a.logins)
///     .standardize()
///     .build(&accounts)?;
/// let model = KMeans::params(2).seed(1).fit(matrix.view())?;
/// let profiles = profile_clusters(&matrix, model.labels())?;
/// let big = &profiles[model.labels()[30]];
/// assert_eq!(big.label, "low logins, high mrr");
/// assert_eq!(big.size, 20);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] when there is not one label per row; [`Error::InvalidParameter`]
/// when a cluster number in `0..k` has no rows.
pub fn profile_clusters(matrix: &FeatureMatrix, labels: &[usize]) -> Result<Vec<ClusterProfile>> {
    let original = matrix.original_units()?;
    let (n, d) = original.dim();
    if labels.len() != n {
        return Err(Error::LengthMismatch {
            what: "labels",
            expected: n,
            found: labels.len(),
        });
    }
    let sizes = crate::segmentation::segment_sizes(labels)?;
    let k = sizes.len();
    let mut sums = vec![0.0; k * d];
    let mut squares = vec![0.0; k * d];
    for (row, &l) in original.rows().into_iter().zip(labels) {
        for (j, &v) in row.iter().enumerate() {
            sums[l * d + j] += v;
            squares[l * d + j] += v * v;
        }
    }
    let total: Vec<f64> = (0..d)
        .map(|j| (0..k).map(|c| sums[c * d + j]).sum())
        .collect();
    let total_sq: Vec<f64> = (0..d)
        .map(|j| (0..k).map(|c| squares[c * d + j]).sum())
        .collect();
    let names = matrix.names();
    let mut profiles: Vec<ClusterProfile> = (0..k)
        .map(|c| {
            let size = sizes[c];
            let rest = n - size;
            let mut contrasts: Vec<FeatureContrast> = (0..d)
                .map(|j| {
                    let s = sums[c * d + j];
                    let mean = s / size as f64;
                    let rest_mean = if rest == 0 {
                        mean
                    } else {
                        (total[j] - s) / rest as f64
                    };
                    let sd = sample_variance(total[j], total_sq[j], n).sqrt();
                    FeatureContrast {
                        feature: if matrix.is_log1p(j) {
                            format!("log1p({})", names[j])
                        } else {
                            names[j].clone()
                        },
                        cluster_mean: mean,
                        rest_mean,
                        standardized_difference: if sd > 0.0 {
                            (mean - rest_mean) / sd
                        } else {
                            0.0
                        },
                    }
                })
                .collect();
            contrasts.sort_by(|a, b| {
                b.standardized_difference
                    .abs()
                    .total_cmp(&a.standardized_difference.abs())
            });
            let words: Vec<String> = contrasts
                .iter()
                .filter(|c| c.standardized_difference.abs() >= 0.5)
                .take(2)
                .map(|c| {
                    let side = if c.standardized_difference > 0.0 {
                        "high"
                    } else {
                        "low"
                    };
                    // Labels read in the customer's terms: "high mrr", whatever the encoding.
                    let name = c
                        .feature
                        .strip_prefix("log1p(")
                        .and_then(|f| f.strip_suffix(')'))
                        .unwrap_or(&c.feature);
                    format!("{side} {name}")
                })
                .collect();
            ClusterProfile {
                cluster: c,
                size,
                share: size as f64 / n as f64,
                centroid: (0..d).map(|j| sums[c * d + j] / size as f64).collect(),
                contrasts,
                label: if words.is_empty() {
                    "typical".to_owned()
                } else {
                    words.join(", ")
                },
            }
        })
        .collect();
    for c in 0..k {
        let clash = profiles
            .iter()
            .filter(|p| p.label == profiles[c].label)
            .count();
        if clash > 1 {
            profiles[c].label = format!("{} #{c}", profiles[c].label);
        }
    }
    Ok(profiles)
}

/// Sample variance from a sum and a sum of squares (0 below two values).
fn sample_variance(sum: f64, squares: f64, count: usize) -> f64 {
    if count < 2 {
        return 0.0;
    }
    let mean = sum / count as f64;
    ((squares - count as f64 * mean * mean) / (count - 1) as f64).max(0.0)
}

/// The clusters of a labelling of `matrix`'s rows as a [`Segmentation`] of the matrix's customer
/// set: each segment named by its profile's label ("low logins, high mrr") and defined by its
/// centroid (the mean of its rows) in original units: the scaler inverted and `log1p` columns
/// turned back with `exp(x) - 1`. Customers without a row in the matrix are in no segment.
///
/// Every clustering producer ([`KMeans::segmentation`](crate::cluster::KMeans::segmentation),
/// [`MiniBatchKMeans::segmentation`](crate::cluster::MiniBatchKMeans::segmentation),
/// [`Dendrogram::segmentation`](crate::cluster::Dendrogram::segmentation)) hands out its
/// segmentation through this function, so names and units never depend on the algorithm.
///
/// # Errors
/// As [`profile_clusters`] and [`FeatureMatrix::segmentation`].
pub fn profiled_segmentation(matrix: &FeatureMatrix, labels: &[usize]) -> Result<Segmentation> {
    let profiles = profile_clusters(matrix, labels)?;
    let segments = profiles
        .into_iter()
        .map(|p| {
            let values = p
                .centroid
                .iter()
                .enumerate()
                .map(|(j, &v)| if matrix.is_log1p(j) { v.exp_m1() } else { v })
                .collect();
            SegmentDescriptor::new(
                p.label,
                SegmentDefinition::Centroid {
                    features: matrix.names().to_vec(),
                    values,
                },
            )
        })
        .collect();
    matrix.segmentation(labels, segments)
}
