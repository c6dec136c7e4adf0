//! Rank tests: Kruskal-Wallis and Mann-Whitney U, tie-corrected.

use super::distributions::{chi2_sf, normal_sf};
use super::ensure_all_finite;
use super::Alternative;
use crate::error::{Error, Result};

/// A Kruskal-Wallis H test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KruskalTest {
    /// H, corrected for ties.
    pub statistic: f64,
    /// P(chi-square with k - 1 df >= H).
    pub p_value: f64,
    /// Degrees of freedom (k - 1).
    pub df: f64,
    /// Epsilon squared, `H / (n - 1)`: the rank-based share of variance explained, in [0, 1].
    pub epsilon_squared: f64,
}

/// How the Mann-Whitney p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MannWhitneyMethod {
    /// Exact when a sample has at most 8 values and there are no ties, else asymptotic
    /// (scipy's `"auto"`).
    #[default]
    Auto,
    /// The exact null distribution of U (no ties allowed).
    Exact,
    /// The normal approximation with tie correction (and continuity correction if asked).
    Asymptotic,
}

/// A Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MannWhitneyTest {
    /// U of the first sample.
    pub statistic: f64,
    /// The p-value for the chosen [`Alternative`].
    pub p_value: f64,
    /// The method actually used (`Exact` or `Asymptotic`).
    pub method: MannWhitneyMethod,
    /// The common-language effect size `U / (n1 n2)`: P(a > b) + P(a = b) / 2.
    pub probability_of_superiority: f64,
}

/// Average ranks (1-based) of `values`, and the sizes of the tie groups.
fn ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            out[i] = rank;
        }
        ties.push(end - start);
        start = end;
    }
    (out, ties)
}

/// Kruskal-Wallis H test across groups: do their distributions differ in location?
///
/// # Errors
/// [`Error::InvalidParameter`] with fewer than two groups or an empty group;
/// [`Error::NonFinite`]; [`Error::Undefined`] when every value is equal.
///
/// Reference: matches `scipy.stats.kruskal(*groups)`.
pub fn kruskal(groups: &[&[f64]]) -> Result<KruskalTest> {
    if groups.len() < 2 {
        return Err(Error::InvalidParameter {
            name: "groups",
            reason: format!(
                "{} group(s) given, the test needs at least two",
                groups.len()
            ),
        });
    }
    for group in groups {
        if group.is_empty() {
            return Err(Error::InvalidParameter {
                name: "groups",
                reason: "a group is empty: every group needs at least one value".to_owned(),
            });
        }
        ensure_all_finite(group, "group")?;
    }
    let pooled: Vec<f64> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let n = pooled.len() as f64;
    let (rank, ties) = ranks(&pooled);
    let mut h = 0.0;
    let mut at = 0;
    for group in groups {
        let sum: f64 = rank[at..at + group.len()].iter().sum();
        h += sum * sum / group.len() as f64;
        at += group.len();
    }
    h = 12.0 / (n * (n + 1.0)) * h - 3.0 * (n + 1.0);
    let tie_sum: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let correction = 1.0 - tie_sum / (n * n * n - n);
    if correction == 0.0 {
        return Err(Error::Undefined {
            reason: "every value is equal: H is 0 / 0".to_owned(),
        });
    }
    h /= correction;
    let df = (groups.len() - 1) as f64;
    Ok(KruskalTest {
        statistic: h,
        p_value: chi2_sf(h, df),
        df,
        epsilon_squared: h / (n - 1.0),
    })
}

/// Mann-Whitney U test of two samples.
///
/// # Errors
/// [`Error::InvalidParameter`] when a sample is empty, or `Exact` is asked for with ties;
/// [`Error::NonFinite`]; [`Error::Undefined`] when every value is equal under the asymptotic
/// method (the variance of U is 0).
///
/// Reference: matches `scipy.stats.mannwhitneyu(a, b, use_continuity, alternative, method)`.
pub fn mannwhitneyu(
    a: &[f64],
    b: &[f64],
    use_continuity: bool,
    alternative: Alternative,
    method: MannWhitneyMethod,
) -> Result<MannWhitneyTest> {
    for (x, what) in [(a, "a"), (b, "b")] {
        if x.is_empty() {
            return Err(Error::InvalidParameter {
                name: what,
                reason: "the sample is empty".to_owned(),
            });
        }
        ensure_all_finite(x, what)?;
    }
    let pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    let (rank, ties) = ranks(&pooled);
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let r1: f64 = rank[..a.len()].iter().sum();
    let u1 = r1 - n1 * (n1 + 1.0) / 2.0;
    let u2 = n1 * n2 - u1;
    let (u, factor) = match alternative {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (u2, 1.0),
        Alternative::TwoSided => (u1.max(u2), 2.0),
    };
    let tied = ties.iter().any(|&t| t > 1);
    let method = match method {
        MannWhitneyMethod::Auto if (a.len() > 8 && b.len() > 8) || tied => {
            MannWhitneyMethod::Asymptotic
        }
        MannWhitneyMethod::Auto => MannWhitneyMethod::Exact,
        other => other,
    };
    let p = if method == MannWhitneyMethod::Exact {
        if tied {
            return Err(Error::InvalidParameter {
                name: "method",
                reason: "the exact distribution assumes no ties: use Asymptotic or Auto".to_owned(),
            });
        }
        exact_sf(u as u64, a.len().min(b.len()), a.len().max(b.len()))
    } else {
        let n = n1 + n2;
        let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
        let s = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
        if s == 0.0 || s.is_nan() {
            return Err(Error::Undefined {
                reason: "every value is equal: the variance of U is 0".to_owned(),
            });
        }
        let mut numerator = u - n1 * n2 / 2.0;
        if use_continuity {
            numerator -= 0.5;
        }
        normal_sf(numerator / s)
    };
    Ok(MannWhitneyTest {
        statistic: u1,
        p_value: (p * factor).clamp(0.0, 1.0),
        method,
        probability_of_superiority: u1 / (n1 * n2),
    })
}

/// P(U >= k) under the null for samples of `small` and `large` values without ties, from the
/// exact distribution (coefficients of the Gaussian binomial `[small + large choose small]_q`).
fn exact_sf(k: u64, small: usize, large: usize) -> f64 {
    let top = small * large;
    // Frequencies of U = 0..=top: prod_{i=1..small} (1 - q^(large + i)) / (1 - q^i).
    let mut freq = vec![0.0f64; top + 1];
    freq[0] = 1.0;
    for i in 1..=small {
        // Multiply by (1 - q^(large + i)).
        let shift = large + i;
        for u in (shift..=top).rev() {
            freq[u] -= freq[u - shift];
        }
        // Divide by (1 - q^i): running sums with stride i.
        for u in i..=top {
            freq[u] += freq[u - i];
        }
    }
    let total: f64 = freq.iter().sum();
    let k = (k as usize).min(top + 1);
    // Sum the shorter tail, using the symmetry of the distribution.
    let complement = top.saturating_sub(k);
    let tail: f64 = if k > complement {
        freq[k..].iter().sum()
    } else {
        1.0 * total - freq[..k].iter().sum::<f64>()
    };
    tail / total
}
