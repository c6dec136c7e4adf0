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
    /// The exact null distribution of U (no ties allowed); samples beyond
    /// [`MANN_WHITNEY_EXACT_LIMIT`] get the asymptotic p-value, reported in the result.
    Exact,
    /// The normal approximation with tie correction (and continuity correction if asked).
    Asymptotic,
}

/// A Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MannWhitneyTest {
    /// U of the first sample (scipy's statistic).
    pub statistic: f64,
    /// U of the second sample, `n1 n2 - U1`.
    pub second_statistic: f64,
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
        p_value: chi2_sf(h, df)?,
        df,
        epsilon_squared: h / (n - 1.0),
    })
}

/// Mann-Whitney U test of two samples.
///
/// # Errors
/// [`Error::InvalidParameter`] when a sample is empty; [`Error::NonFinite`];
/// [`Error::Undefined`] when every value is equal under the asymptotic method without the
/// continuity correction (z is 0 / 0; with it, p is 1 as in scipy).
///
/// With ties, `Exact` still uses the exact distribution of U without ties, at U truncated to an
/// integer, exactly as scipy's `method="exact"` does; `Auto` takes the asymptotic test then.
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
        MannWhitneyMethod::Exact if !exact_affordable(a.len(), b.len()) => {
            MannWhitneyMethod::Asymptotic
        }
        other => other,
    };
    let p = if method == MannWhitneyMethod::Exact {
        // As scipy: the exact distribution assumes no ties, and with ties it is still used,
        // at U truncated to an integer (scipy's `U.astype(int64)`); the docs say so.
        exact_sf(u as u64, a.len().min(b.len()), a.len().max(b.len()))
    } else {
        let n = n1 + n2;
        let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
        let s = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
        if s == 0.0 || s.is_nan() {
            // Every value equal. With the continuity correction z = -0.5 / 0 = -inf and scipy
            // returns p = 1; without it z is 0 / 0.
            if use_continuity {
                return Ok(MannWhitneyTest {
                    statistic: u1,
                    second_statistic: u2,
                    p_value: 1.0,
                    method,
                    probability_of_superiority: u1 / (n1 * n2),
                });
            }
            return Err(Error::Undefined {
                reason: "every value is equal: the variance of U is 0 and, without the \
                         continuity correction, z is 0 / 0 (scipy returns NaN); use the \
                         correction (p = 1) or report no difference"
                    .to_owned(),
            });
        }
        let mut numerator = u - n1 * n2 / 2.0;
        if use_continuity {
            numerator -= 0.5;
        }
        normal_sf(numerator / s)?
    };
    Ok(MannWhitneyTest {
        statistic: u1,
        second_statistic: u2,
        p_value: (p * factor).clamp(0.0, 1.0),
        method,
        probability_of_superiority: u1 / (n1 * n2),
    })
}

/// The most work the exact Mann-Whitney distribution is computed for, in 64-bit word operations
/// (`min(n1, n2) * n1 * n2` coefficient updates, each as many words as `C(n1 + n2, n1)` needs;
/// under a second). Larger samples asked for `Exact` get the asymptotic p-value, and the
/// result's `method` says so (scipy's `"auto"` switches at 8 values; asked for `"exact"` it
/// computes at any size, taking seconds to minutes). Memory is at most 8 / min(n1, n2) bytes
/// per unit of work.
pub const MANN_WHITNEY_EXACT_LIMIT: u64 = 250_000_000;

/// 64-bit words that hold `C(n1 + n2, n1)`, the total count of the exact distribution.
fn exact_words(n1: usize, n2: usize) -> usize {
    let (small, large) = (n1.min(n2), n1.max(n2));
    // log2 C(small + large, small) = sum_{i=1..small} log2((large + i) / i).
    let bits: f64 = (1..=small)
        .map(|i| ((large + i) as f64 / i as f64).log2())
        .sum();
    (bits / 64.0).floor() as usize + 1
}

/// Whether the exact distribution of U for samples of `n1` and `n2` values is within
/// [`MANN_WHITNEY_EXACT_LIMIT`].
fn exact_affordable(n1: usize, n2: usize) -> bool {
    let small = n1.min(n2) as u128;
    let top = n1 as u128 * n2 as u128;
    small * top * exact_words(n1, n2) as u128 <= u128::from(MANN_WHITNEY_EXACT_LIMIT)
}

/// P(U >= k) under the null for samples of `small` and `large` values without ties, from the
/// exact distribution (coefficients of the Gaussian binomial `[small + large choose small]_q`).
///
/// The counts are integers up to `C(small + large, small)` (about 1e300 at 400 and 640 values),
/// and the product form subtracts before it divides, so floating point loses them to
/// cancellation. They are computed exactly instead, in wrapping multi-word integers wide enough
/// for the total: intermediate values may wrap, the final counts are exact.
fn exact_sf(k: u64, small: usize, large: usize) -> f64 {
    let top = small * large;
    let w = exact_words(small, large);
    // Frequencies of U = 0..=top: prod_{i=1..small} (1 - q^(large + i)) / (1 - q^i).
    let mut freq = vec![0u64; (top + 1) * w];
    freq[0] = 1;
    for i in 1..=small {
        // Multiply by (1 - q^(large + i)).
        let shift = large + i;
        for u in (shift..=top).rev() {
            let (low, high) = freq.split_at_mut(u * w);
            words_sub(&mut high[..w], &low[(u - shift) * w..(u - shift + 1) * w]);
        }
        // Divide by (1 - q^i): running sums with stride i.
        for u in i..=top {
            let (low, high) = freq.split_at_mut(u * w);
            words_add(&mut high[..w], &low[(u - i) * w..(u - i + 1) * w]);
        }
    }
    let mut total = vec![0u64; w];
    let mut tail = vec![0u64; w];
    let k = (k as usize).min(top + 1);
    for (u, count) in freq.chunks_exact(w).enumerate() {
        words_add(&mut total, count);
        if u >= k {
            words_add(&mut tail, count);
        }
    }
    // Both as f64 relative to the total's highest word, so neither overflows.
    let highest = total.iter().rposition(|&v| v != 0).unwrap_or(0);
    let as_f64 = |x: &[u64]| -> f64 {
        x.iter()
            .enumerate()
            .map(|(j, &v)| v as f64 * 2f64.powi(64 * (j as i32 - highest as i32)))
            .sum()
    };
    let total = as_f64(&total);
    if total > 0.0 {
        (as_f64(&tail) / total).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// `a += b` on little-endian words, wrapping.
fn words_add(a: &mut [u64], b: &[u64]) {
    let mut carry = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let (s, c1) = x.overflowing_add(y);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        *x = s;
        carry = c1 || c2;
    }
}

/// `a -= b` on little-endian words, wrapping.
fn words_sub(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let (s, b1) = x.overflowing_sub(y);
        let (s, b2) = s.overflowing_sub(u64::from(borrow));
        *x = s;
        borrow = b1 || b2;
    }
}
