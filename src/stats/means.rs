//! Tests on means: one-way ANOVA and Student / Welch t, with their effect sizes.

use super::distributions::{f_sf, t_sf};
use super::ensure_all_finite;
use super::Alternative;
use crate::error::{Error, Result};

/// A one-way ANOVA.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AnovaTest {
    /// The F statistic: between-group over within-group mean square.
    pub statistic: f64,
    /// P(F >= statistic) under equal means.
    pub p_value: f64,
    /// Degrees of freedom between groups (k - 1).
    pub df_between: f64,
    /// Degrees of freedom within groups (n - k).
    pub df_within: f64,
    /// Eta squared: the between-group share of the total sum of squares, in [0, 1].
    pub eta_squared: f64,
    /// The between-group sum of squares, `sum_g n_g (mean_g - mean)^2`.
    pub ss_between: f64,
    /// The within-group sum of squares, `sum_g sum_i (x_gi - mean_g)^2`.
    pub ss_within: f64,
    /// The total sum of squares, `ss_between + ss_within`.
    pub ss_total: f64,
}

/// A two-sample t test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TTest {
    /// The t statistic (positive when the first sample's mean is larger).
    pub statistic: f64,
    /// The p-value for the chosen [`Alternative`].
    pub p_value: f64,
    /// Degrees of freedom (Welch-Satterthwaite when variances are not assumed equal). The one
    /// documented `undefined` marker: NaN for Welch's test on two constant samples with
    /// different means (0 / 0, as scipy), where t is infinite and p is 0.
    pub df: f64,
    /// Mean of the first sample less mean of the second.
    pub mean_difference: f64,
    /// Cohen's d with the pooled standard deviation (see [`cohens_d`]).
    pub cohens_d: f64,
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sum of squared deviations from the mean (two passes).
fn sum_squares(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum()
}

/// Refuses a derived quantity that overflowed: finite inputs around 1e154 and up have squares
/// beyond `f64::MAX`.
fn finite(value: f64, what: &str) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::Undefined {
            reason: format!(
                "the {what} overflows f64: the values are too large to square (about 1e154 and \
                 up); rescale them first, e.g. to thousands"
            ),
        })
    }
}

fn checked_sample(x: &[f64], what: &'static str, at_least: usize) -> Result<()> {
    if x.len() < at_least.max(1) {
        return Err(Error::InvalidParameter {
            name: what,
            reason: format!(
                "{} value(s) given, the test needs at least {at_least}",
                x.len()
            ),
        });
    }
    ensure_all_finite(x, what)
}

/// One-way ANOVA across groups: do their means differ?
///
/// # Errors
/// [`Error::InvalidParameter`] with fewer than two groups, an empty group, or no more values than
/// groups; [`Error::NonFinite`] for NaN or infinity; [`Error::Undefined`] when every value is
/// equal (F is 0 / 0). When only the within-group spread is 0 the means differ with certainty:
/// F is infinite and p is 0, as scipy returns.
///
/// Reference: matches `scipy.stats.f_oneway(*groups)`; eta squared = SS_between / SS_total.
pub fn f_oneway(groups: &[&[f64]]) -> Result<AnovaTest> {
    if groups.len() < 2 {
        return Err(Error::InvalidParameter {
            name: "groups",
            reason: format!("{} group(s) given, ANOVA needs at least two", groups.len()),
        });
    }
    for group in groups {
        checked_sample(group, "group", 1)?;
    }
    let n: usize = groups.iter().map(|g| g.len()).sum();
    let k = groups.len();
    if n <= k {
        return Err(Error::InvalidParameter {
            name: "groups",
            reason: format!("{n} values in {k} groups: ANOVA needs more values than groups"),
        });
    }
    // Work on values less the grand mean, so that data far from 0 (1e6 + noise) keeps its digits.
    let shift = groups.iter().flat_map(|g| g.iter()).sum::<f64>() / n as f64;
    let shifted: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| g.iter().map(|v| v - shift).collect())
        .collect();
    let grand = finite(
        shifted.iter().flatten().sum::<f64>() / n as f64,
        "grand mean",
    )?;
    let within: f64 = finite(
        shifted.iter().map(|g| sum_squares(g)).sum(),
        "within-group sum of squares",
    )?;
    let between: f64 = finite(
        shifted
            .iter()
            .map(|g| g.len() as f64 * (mean(g) - grand).powi(2))
            .sum(),
        "between-group sum of squares",
    )?;
    finite(within + between, "total sum of squares")?;
    let (df_between, df_within) = ((k - 1) as f64, (n - k) as f64);
    let total = within + between;
    if total == 0.0 {
        return Err(Error::Undefined {
            reason: "every value is equal: the F statistic is 0 / 0".to_owned(),
        });
    }
    let statistic = if within == 0.0 {
        f64::INFINITY
    } else {
        (between / df_between) / (within / df_within)
    };
    Ok(AnovaTest {
        statistic,
        p_value: f_sf(statistic, df_between, df_within)?,
        df_between,
        df_within,
        eta_squared: between / total,
        ss_between: between,
        ss_within: within,
        ss_total: total,
    })
}

/// Cohen's d: difference of means over the pooled standard deviation
/// `sqrt(((n1 - 1) s1^2 + (n2 - 1) s2^2) / (n1 + n2 - 2))`.
///
/// # Errors
/// [`Error::InvalidParameter`] when a sample is empty or both have one value;
/// [`Error::NonFinite`]; [`Error::Undefined`] when both samples are constant.
pub fn cohens_d(a: &[f64], b: &[f64]) -> Result<f64> {
    // The pooled deviation checks the samples.
    let pooled = pooled_standard_deviation(a, b)?;
    finite(mean(a) - mean(b), "difference of means")?;
    if pooled == 0.0 {
        return Err(Error::Undefined {
            reason: "both samples are constant: the pooled standard deviation is 0".to_owned(),
        });
    }
    finite((mean(a) - mean(b)) / pooled, "Cohen's d")
}

/// The pooled standard deviation of two samples, the denominator of [`cohens_d`]:
///
/// ```text
/// sqrt(((n1 - 1) s1^2 + (n2 - 1) s2^2) / (n1 + n2 - 2))
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] when a sample is empty or both have one value;
/// [`Error::NonFinite`]; [`Error::Undefined`] when the squares overflow.
pub fn pooled_standard_deviation(a: &[f64], b: &[f64]) -> Result<f64> {
    checked_sample(a, "a", 1)?;
    checked_sample(b, "b", 1)?;
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if n1 + n2 <= 2.0 {
        return Err(Error::InvalidParameter {
            name: "samples",
            reason: "two values in all: the pooled standard deviation needs at least three"
                .to_owned(),
        });
    }
    finite(
        ((sum_squares(a) + sum_squares(b)) / (n1 + n2 - 2.0)).sqrt(),
        "pooled standard deviation",
    )
}

/// Two-sample t test: Student's (`equal_var` true) or Welch's (false, the safer default for
/// segments of different sizes).
///
/// # Errors
/// [`Error::InvalidParameter`] when a sample has fewer than two values; [`Error::NonFinite`];
/// [`Error::Undefined`] when both samples are constant and equal (t is 0 / 0). Constant samples
/// with different means give an infinite t and p = 0, as scipy.
///
/// Reference: matches `scipy.stats.ttest_ind(a, b, equal_var=..., alternative=...)`.
pub fn ttest_ind(a: &[f64], b: &[f64], equal_var: bool, alternative: Alternative) -> Result<TTest> {
    checked_sample(a, "a", 2)?;
    checked_sample(b, "b", 2)?;
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let v1 = finite(sum_squares(a) / (n1 - 1.0), "variance of a")?;
    let v2 = finite(sum_squares(b) / (n2 - 1.0), "variance of b")?;
    let difference = finite(mean(a) - mean(b), "difference of means")?;
    let (df, denominator) = if equal_var {
        let df = n1 + n2 - 2.0;
        let pooled = ((n1 - 1.0) * v1 + (n2 - 1.0) * v2) / df;
        (df, (pooled * (1.0 / n1 + 1.0 / n2)).sqrt())
    } else {
        let (w1, w2) = (v1 / n1, v2 / n2);
        // Scaled by the larger term so the squares cannot overflow.
        let top = w1.max(w2);
        let df = if top > 0.0 {
            let (s1, s2) = (w1 / top, w2 / top);
            (s1 + s2).powi(2) / (s1 * s1 / (n1 - 1.0) + s2 * s2 / (n2 - 1.0))
        } else {
            f64::NAN
        };
        (df, finite((w1 + w2).sqrt(), "standard error")?)
    };
    let denominator = finite(denominator, "standard error")?;
    if denominator == 0.0 {
        if difference == 0.0 {
            return Err(Error::Undefined {
                reason: "both samples are constant and equal: t is 0 / 0".to_owned(),
            });
        }
        let statistic = difference.signum() * f64::INFINITY;
        let p_value = match alternative {
            Alternative::TwoSided => 0.0,
            Alternative::Greater => f64::from(u8::from(statistic < 0.0)),
            Alternative::Less => f64::from(u8::from(statistic > 0.0)),
        };
        return Ok(TTest {
            statistic,
            p_value,
            df: if equal_var { n1 + n2 - 2.0 } else { f64::NAN },
            mean_difference: difference,
            cohens_d: statistic,
        });
    }
    let statistic = difference / denominator;
    let p_value = match alternative {
        Alternative::TwoSided => (2.0 * t_sf(statistic.abs(), df)?).min(1.0),
        Alternative::Greater => t_sf(statistic, df)?,
        Alternative::Less => t_sf(-statistic, df)?,
    };
    Ok(TTest {
        statistic,
        p_value,
        df,
        mean_difference: difference,
        cohens_d: cohens_d(a, b)?,
    })
}
