//! Describe a segment in plain numbers: for any [`Segmentation`] and any variables, per segment
//! the customers, the share of the base, and per variable how many have a value, the mean,
//! median and quartiles or the category shares, and how far the segment stands from the rest.
//!
//! ```
//! use saas_segmentation::describe::describe_segments;
//! use saas_segmentation::validate::Variable;
//! use saas_segmentation::{CustomerIndex, PerCustomer, Segmentation};
//!
//! let index = CustomerIndex::from_keys(["a", "b", "c", "d", "e", "f"])?;
//! let segments = Segmentation::from_labels(&index, &[0, 0, 0, 1, 1, 1])?;
//! let mrr = PerCustomer::from_keyed(&index, [("a", 50.0), ("b", 70.0), ("c", 60.0),
//!     ("d", 900.0), ("e", 1200.0)])?;
//! let plan = PerCustomer::from_keyed(&index, [("a", "starter"), ("b", "starter"),
//!     ("c", "pro"), ("d", "enterprise"), ("e", "enterprise"), ("f", "pro")]
//!     .map(|(k, v)| (k, v.to_owned())))?;
//! let table = describe_segments(&segments, &[
//!     Variable::numeric("mrr", mrr),
//!     Variable::categorical("plan", plan),
//! ])?;
//! let big = &table.segments[1];
//! assert_eq!(big.customers, 3);
//! let mrr = &big.variables[0];
//! assert_eq!((mrr.present, mrr.mean), (2, Some(1050.0)));
//! println!("{table}");
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt;

use crate::error::{Error, Result};
use crate::segmentation::Segmentation;
use crate::validate::Variable;

/// One variable within one segment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VariableSummary {
    /// The variable.
    pub variable: String,
    /// Customers of the segment with a (finite) value.
    pub present: usize,
    /// Share of the segment without a value, in [0, 1].
    pub missing_share: f64,
    /// Mean (numeric), `None` without values.
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1; numeric), `None` below two values.
    pub std: Option<f64>,
    /// The 25th, 50th and 75th percentiles (numpy's linear interpolation, as pandas'
    /// `describe`; numeric), `None` without values.
    pub quartiles: Option<[f64; 3]>,
    /// Smallest and largest value (numeric).
    pub range: Option<[f64; 2]>,
    /// Category shares among the segment's present values, largest first, ties by name
    /// (categorical; empty for numeric).
    pub shares: Vec<(String, f64)>,
    /// How the segment stands from all other customers with a value: Cohen's d with the
    /// pooled standard deviation (numeric), or the largest difference in a category's share,
    /// in share points (categorical); `None` when either side has too few values or the
    /// pooled deviation is 0.
    pub standardized_difference: Option<f64>,
    /// For a categorical variable, the category with the largest share difference.
    pub most_different: Option<String>,
}

/// One segment described.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentProfile {
    /// The segment's name.
    pub segment: String,
    /// Customers in it.
    pub customers: usize,
    /// Share of the customers in any segment, in [0, 1].
    pub share: f64,
    /// One summary per variable, in the order given.
    pub variables: Vec<VariableSummary>,
}

/// Every segment described, with a plain-text table as its `Display`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentDescription {
    /// One profile per segment, in segment order.
    pub segments: Vec<SegmentProfile>,
}

/// The share of a segment of `size` customers without a value when `present` have one.
fn missing_share(size: usize, present: usize) -> f64 {
    if size == 0 {
        0.0
    } else {
        size.saturating_sub(present) as f64 / size as f64
    }
}

/// numpy's default (linear) percentile of sorted, non-empty values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, squares)
}

/// Describes every segment of `segmentation` on `variables` (each over the same customers).
///
/// ```text
/// numeric:      present, missing share, mean, std (n - 1), quartiles, min, max
///               d = (mean_seg - mean_rest) / sqrt(((n1 - 1) s1^2 + (n2 - 1) s2^2) / (n1 + n2 - 2))
/// categorical:  shares of each category among the segment's present values;
///               the largest |share_seg - share_rest| and its category
/// ```
///
/// Customers in no segment count for nobody's profile but are "the rest" of none either: the
/// rest of a segment is every other customer that is in a segment.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when a variable is over another customer set;
/// [`Error::EmptyInput`] when no customer is in any segment.
///
/// Reference: counts, means, standard deviations and quartiles match pandas'
/// `df.groupby(segment)[variable].describe()`; shares match `value_counts(normalize=True)`.
pub fn describe_segments(
    segmentation: &Segmentation,
    variables: &[Variable],
) -> Result<SegmentDescription> {
    for v in variables {
        segmentation.ensure_same(&v.universe(), &format!("variable {}", v.name()))?;
    }
    let sizes = segmentation.sizes();
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return Err(Error::EmptyInput {
            what: "segmentation to describe",
            item: "customer in a segment",
        });
    }
    let k = segmentation.segment_count();
    let labels = segmentation.labels();
    let mut profiles: Vec<SegmentProfile> = segmentation
        .segments()
        .iter()
        .zip(&sizes)
        .map(|(d, &size)| SegmentProfile {
            segment: d.name().to_owned(),
            customers: size,
            share: size as f64 / total as f64,
            variables: Vec::with_capacity(variables.len()),
        })
        .collect();
    for variable in variables {
        match variable {
            Variable::Numeric { name, values } => {
                let mut by_segment: Vec<Vec<f64>> = vec![Vec::new(); k];
                for (label, value) in labels.iter().zip(values.values()) {
                    if let (Some(s), Some(v)) = (label, value) {
                        if v.is_finite() {
                            by_segment[*s].push(*v);
                        }
                    }
                }
                for values in &mut by_segment {
                    values.sort_by(f64::total_cmp);
                }
                for (s, values) in by_segment.iter().enumerate() {
                    let n = values.len();
                    let size = sizes[s];
                    let (mean, squares) = if n > 0 {
                        let (m, q) = mean_and_variance(values);
                        (Some(m), q)
                    } else {
                        (None, 0.0)
                    };
                    // The rest: every other customer in a segment with a value.
                    let rest: Vec<f64> = by_segment
                        .iter()
                        .enumerate()
                        .filter(|&(other, _)| other != s)
                        .flat_map(|(_, v)| v.iter().copied())
                        .collect();
                    let difference = mean.and_then(|m| {
                        if n < 2 || rest.len() < 2 {
                            return None;
                        }
                        let (rest_mean, rest_squares) = mean_and_variance(&rest);
                        let pooled =
                            ((squares + rest_squares) / (n + rest.len() - 2) as f64).sqrt();
                        (pooled > 0.0).then(|| (m - rest_mean) / pooled)
                    });
                    profiles[s].variables.push(VariableSummary {
                        variable: name.clone(),
                        present: n,
                        missing_share: missing_share(size, n),
                        mean,
                        std: (n >= 2).then(|| (squares / (n - 1) as f64).sqrt()),
                        quartiles: (n > 0).then(|| {
                            [
                                percentile(values, 0.25),
                                percentile(values, 0.5),
                                percentile(values, 0.75),
                            ]
                        }),
                        range: (n > 0).then(|| [values[0], values[n - 1]]),
                        shares: Vec::new(),
                        standardized_difference: difference.filter(|d| d.is_finite()),
                        most_different: None,
                    });
                }
            }
            Variable::Categorical { name, values } => {
                let mut categories: Vec<&str> = values
                    .values()
                    .iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                categories.sort_unstable();
                categories.dedup();
                let c = categories.len();
                let mut counts = vec![0usize; k * c];
                for (label, value) in labels.iter().zip(values.values()) {
                    if let (Some(s), Some(v)) = (label, value) {
                        if let Ok(j) = categories.binary_search(&v.as_str()) {
                            counts[s * c + j] += 1;
                        }
                    }
                }
                let totals: Vec<usize> = (0..c)
                    .map(|j| (0..k).map(|s| counts[s * c + j]).sum())
                    .collect();
                let present_all: usize = totals.iter().sum();
                for s in 0..k {
                    let row = &counts[s * c..(s + 1) * c];
                    let n: usize = row.iter().sum();
                    let size = sizes[s];
                    let rest_n = present_all - n;
                    let mut shares: Vec<(String, f64)> = categories
                        .iter()
                        .zip(row)
                        .filter(|(_, &count)| count > 0)
                        .map(|(cat, &count)| ((*cat).to_owned(), count as f64 / n as f64))
                        .collect();
                    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let (difference, most) = if n == 0 || rest_n == 0 {
                        (None, None)
                    } else {
                        let (j, gap) = (0..c)
                            .map(|j| {
                                let inside = row[j] as f64 / n as f64;
                                let outside = (totals[j] - row[j]) as f64 / rest_n as f64;
                                (j, inside - outside)
                            })
                            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(b.0.cmp(&a.0)))
                            .unwrap_or((0, 0.0));
                        (Some(gap), categories.get(j).map(|c| (*c).to_owned()))
                    };
                    profiles[s].variables.push(VariableSummary {
                        variable: name.clone(),
                        present: n,
                        missing_share: missing_share(size, n),
                        mean: None,
                        std: None,
                        quartiles: None,
                        range: None,
                        shares,
                        standardized_difference: difference,
                        most_different: most,
                    });
                }
            }
        }
    }
    Ok(SegmentDescription { segments: profiles })
}

/// Shortens `text` to `width` characters, ending in an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "-".to_owned(),
        Some(v) if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) => format!("{v:.3e}"),
        Some(v) => format!("{v:.2}"),
    }
}

impl fmt::Display for SegmentDescription {
    /// One block per segment: its size and share, then a line per variable. Names longer than
    /// the column are cut with an ellipsis so the columns stay aligned.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for profile in &self.segments {
            writeln!(
                f,
                "{} — {} customers ({:.1}%)",
                fit(&profile.segment, 60),
                profile.customers,
                profile.share * 100.0
            )?;
            for v in &profile.variables {
                let name = fit(&v.variable, 24);
                if v.shares.is_empty() && v.mean.is_some() || v.quartiles.is_some() {
                    let q = v.quartiles.map(|q| q.map(Some));
                    writeln!(
                        f,
                        "  {name:<24} mean {:>10}  median {:>10}  IQR {:>10} – {:<10}  d {:>6}  missing {:>5.1}%",
                        number(v.mean),
                        number(q.and_then(|q| q[1])),
                        number(q.and_then(|q| q[0])),
                        number(q.and_then(|q| q[2])),
                        number(v.standardized_difference),
                        v.missing_share * 100.0
                    )?;
                } else {
                    let top: Vec<String> = v
                        .shares
                        .iter()
                        .take(3)
                        .map(|(c, s)| format!("{} {:.0}%", fit(c, 16), s * 100.0))
                        .collect();
                    let gap = match (&v.most_different, v.standardized_difference) {
                        (Some(c), Some(g)) => {
                            format!("  {} {:+.0} pts vs rest", fit(c, 16), g * 100.0)
                        }
                        _ => String::new(),
                    };
                    writeln!(
                        f,
                        "  {name:<24} {}{gap}  missing {:.1}%",
                        if top.is_empty() {
                            "-".to_owned()
                        } else {
                            top.join(", ")
                        },
                        v.missing_share * 100.0
                    )?;
                }
            }
        }
        Ok(())
    }
}
