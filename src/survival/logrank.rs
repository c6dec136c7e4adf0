//! Log-rank tests for two or k groups, pairwise comparisons, and the difference of survival at
//! a fixed time.

use crate::error::{Error, Result};
use crate::stats::distributions::{chi2_sf, normal_isf};
use crate::stats::holm;

use super::kaplan_meier::{check_alpha, check_sample, KaplanMeier};

/// Weights of the observed-minus-expected sums at each event time (lifelines `weightings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Weighting {
    /// Equal weights: the log-rank test (default).
    #[default]
    LogRank,
    /// Weights `n_t` (Gehan-Breslow-Wilcoxon): early differences count more.
    Wilcoxon,
    /// Weights `sqrt(n_t)`.
    TaroneWare,
    /// Peto-Peto's modified survival estimate `prod (1 - d / (n + 1))`.
    Peto,
}

/// One group of a survival comparison: durations and event flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalGroup<'a> {
    /// Time from start to churn or censoring.
    pub durations: &'a [f64],
    /// Whether churn was observed at that time (false: censored).
    pub observed: &'a [bool],
}

impl<'a> SurvivalGroup<'a> {
    /// A group.
    #[must_use]
    pub fn new(durations: &'a [f64], observed: &'a [bool]) -> Self {
        SurvivalGroup {
            durations,
            observed,
        }
    }
}

/// The result of a log-rank test.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogRankTest {
    /// The chi-square statistic `Z' V^-1 Z` over the first k - 1 groups.
    pub statistic: f64,
    /// P(chi2_{df} >= statistic).
    pub p_value: f64,
    /// Degrees of freedom, k - 1.
    pub df: usize,
    /// Observed events per group.
    pub observed: Vec<f64>,
    /// Expected events per group under equal hazards.
    pub expected: Vec<f64>,
}

/// The log-rank test that k >= 2 groups share one survival curve.
///
/// ```text
/// at each distinct time t: n_t at risk, d_t events, n_jt and d_jt in group j
/// E_j = sum_t w_t n_jt d_t / n_t      Z_j = sum_t w_t d_jt - E_j
/// V_jl = sum_t w_t^2 d_t (n_t - d_t) / (n_t^2 (n_t - 1)) n_jt (delta_jl n_t - n_lt)
/// statistic = Z' V^-1 Z over groups 1..k-1, chi-square with k - 1 df
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] with fewer than two groups; for each group the errors of
/// [`KaplanMeierParams::fit`](super::KaplanMeierParams::fit) (an empty group is
/// [`Error::EmptyInput`]); [`Error::Undefined`] when no events were observed or the covariance
/// is singular (a group with nobody at risk at any event time).
///
/// Reference: matches lifelines `multivariate_logrank_test` (and `logrank_test` for two groups),
/// `weightings=None | "wilcoxon" | "tarone-ware" | "peto"`.
pub fn logrank_test(groups: &[SurvivalGroup<'_>], weighting: Weighting) -> Result<LogRankTest> {
    if groups.len() < 2 {
        return Err(Error::InvalidParameter {
            name: "groups",
            reason: format!(
                "{} group(s) given: a log-rank test compares at least two",
                groups.len()
            ),
        });
    }
    for g in groups {
        check_sample(g.durations, g.observed, None, "log-rank group")?;
    }
    let k = groups.len();
    // (time, group, observed) sorted by time.
    let mut marks: Vec<(f64, usize, bool)> = groups
        .iter()
        .enumerate()
        .flat_map(|(j, g)| {
            g.durations
                .iter()
                .zip(g.observed)
                .map(move |(&d, &o)| (d, j, o))
        })
        .collect();
    marks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk: Vec<f64> = groups.iter().map(|g| g.durations.len() as f64).collect();
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut v = vec![0.0; k * k];
    let (mut peto, mut any_event) = (1.0f64, false);
    let mut events = vec![0.0; k];
    let mut removed = vec![0.0; k];
    let mut i = 0;
    while i < marks.len() {
        let time = marks[i].0;
        events.iter_mut().for_each(|e| *e = 0.0);
        removed.iter_mut().for_each(|r| *r = 0.0);
        while i < marks.len() && marks[i].0 == time {
            let (_, j, o) = marks[i];
            removed[j] += 1.0;
            if o {
                events[j] += 1.0;
            }
            i += 1;
        }
        let n: f64 = at_risk.iter().sum();
        let d: f64 = events.iter().sum();
        if d > 0.0 {
            any_event = true;
            let w = match weighting {
                Weighting::LogRank => 1.0,
                Weighting::Wilcoxon => n,
                Weighting::TaroneWare => n.sqrt(),
                Weighting::Peto => {
                    peto *= 1.0 - d / (n + 1.0);
                    peto
                }
            };
            let factor = if n > 1.0 { (n - d) / (n - 1.0) } else { 1.0 } * d / (n * n);
            for j in 0..k {
                observed[j] += w * events[j];
                expected[j] += w * at_risk[j] * d / n;
                for l in 0..k {
                    let delta = if j == l { n } else { 0.0 };
                    v[j * k + l] += w * w * factor * at_risk[j] * (delta - at_risk[l]);
                }
            }
        }
        for j in 0..k {
            at_risk[j] -= removed[j];
        }
    }
    if !any_event {
        return Err(Error::Undefined {
            reason: "no group has an observed event: the log-rank test needs at least one".into(),
        });
    }
    let m = k - 1;
    let z: Vec<f64> = (0..m).map(|j| observed[j] - expected[j]).collect();
    let mut sub = vec![0.0; m * m];
    for j in 0..m {
        for l in 0..m {
            sub[j * m + l] = v[j * k + l];
        }
    }
    let solved = solve(&mut sub, z.clone(), m).ok_or_else(|| Error::Undefined {
        reason: "the log-rank covariance is singular: a group has nobody at risk at any event time"
            .into(),
    })?;
    let statistic: f64 = z
        .iter()
        .zip(&solved)
        .map(|(a, b)| a * b)
        .sum::<f64>()
        .max(0.0);
    Ok(LogRankTest {
        statistic,
        p_value: chi2_sf(statistic, m as f64)?,
        df: m,
        observed,
        expected,
    })
}

/// Solves `a x = b` (`a` m x m, row-major, overwritten) by Gaussian elimination with partial
/// pivoting; `None` when `a` is singular.
fn solve(a: &mut [f64], mut b: Vec<f64>, m: usize) -> Option<Vec<f64>> {
    let scale = a.iter().fold(0.0f64, |s, x| s.max(x.abs()));
    for col in 0..m {
        let pivot =
            (col..m).max_by(|&x, &y| a[x * m + col].abs().total_cmp(&a[y * m + col].abs()))?;
        if a[pivot * m + col].abs() <= 1e-12 * scale || a[pivot * m + col].is_nan() {
            return None;
        }
        if pivot != col {
            for c in 0..m {
                a.swap(pivot * m + c, col * m + c);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..m {
            let f = a[row * m + col] / a[col * m + col];
            for c in col..m {
                a[row * m + c] -= f * a[col * m + c];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; m];
    for row in (0..m).rev() {
        let s: f64 = (row + 1..m).map(|c| a[row * m + c] * x[c]).sum();
        x[row] = (b[row] - s) / a[row * m + row];
    }
    Some(x)
}

/// One pair of a pairwise log-rank comparison.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PairwiseLogRank {
    /// The first group's position.
    pub first: usize,
    /// The second group's position.
    pub second: usize,
    /// The two-group test.
    pub test: LogRankTest,
    /// Holm-adjusted p-value over all pairs.
    pub p_adjusted: f64,
}

/// Log-rank tests for every pair of groups, with Holm's correction over the pairs.
///
/// # Errors
/// As [`logrank_test`] for any pair.
///
/// Reference: the tests match lifelines `pairwise_logrank_test`; the adjustment matches
/// statsmodels `multipletests(method="holm")`.
pub fn pairwise_logrank(
    groups: &[SurvivalGroup<'_>],
    weighting: Weighting,
) -> Result<Vec<PairwiseLogRank>> {
    if groups.len() < 2 {
        return Err(Error::InvalidParameter {
            name: "groups",
            reason: format!("{} group(s) given: pairs need at least two", groups.len()),
        });
    }
    let mut pairs = Vec::new();
    for first in 0..groups.len() {
        for second in first + 1..groups.len() {
            let test = logrank_test(&[groups[first], groups[second]], weighting)?;
            pairs.push(PairwiseLogRank {
                first,
                second,
                test,
                p_adjusted: 0.0,
            });
        }
    }
    let p: Vec<f64> = pairs.iter().map(|p| p.test.p_value).collect();
    for (pair, adjusted) in pairs.iter_mut().zip(holm(&p)?) {
        pair.p_adjusted = adjusted;
    }
    Ok(pairs)
}

/// The difference of two groups' survival at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SurvivalDifference {
    /// The time compared.
    pub time: f64,
    /// S_a(time).
    pub survival_a: f64,
    /// S_b(time).
    pub survival_b: f64,
    /// S_a - S_b.
    pub difference: f64,
    /// Lower bound of the difference (Greenwood variances, normal approximation).
    pub lower: f64,
    /// Upper bound of the difference.
    pub upper: f64,
    /// The chi-square statistic (1 df) on the log(-log) scale.
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// Whether two fitted curves differ at `time` ("the partner channel retains better at 6 months
/// than paid ads"), with the difference's interval at `alpha`.
///
/// ```text
/// statistic = (log(-log S_a) - log(-log S_b))^2 / (G_a / log(S_a)^2 + G_b / log(S_b)^2)
/// interval  = (S_a - S_b) -/+ z_{1-alpha/2} sqrt(S_a^2 G_a + S_b^2 G_b)
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `alpha` outside (0, 1); [`Error::Undefined`] when either
/// curve is 0 or 1 at `time` (the log(-log) scale has no variance there).
///
/// Reference: the statistic and p-value match lifelines
/// `survival_difference_at_fixed_point_in_time_test` at the curves' row times (Klein et al.
/// 2007). Divergence: between row times lifelines interpolates Greenwood's sum linearly; this
/// steps it like S.
pub fn survival_difference_at(
    a: &KaplanMeier,
    b: &KaplanMeier,
    time: f64,
    alpha: f64,
) -> Result<SurvivalDifference> {
    check_alpha(alpha)?;
    let (pa, pb) = (a.at(time)?, b.at(time)?);
    let degenerate = |s: f64| s <= 0.0 || s >= 1.0;
    if degenerate(pa.survival) || degenerate(pb.survival) {
        return Err(Error::Undefined {
            reason: format!(
                "survival at {time} is {} and {}: the test needs both strictly between 0 and 1",
                pa.survival, pb.survival
            ),
        });
    }
    let clog = |s: f64| (-s.ln()).ln();
    let (la, lb) = (pa.survival.ln(), pb.survival.ln());
    let statistic = (clog(pa.survival) - clog(pb.survival)).powi(2)
        / (pa.greenwood / (la * la) + pb.greenwood / (lb * lb));
    let difference = pa.survival - pb.survival;
    let se = (pa.survival.powi(2) * pa.greenwood + pb.survival.powi(2) * pb.greenwood).sqrt();
    let z = normal_isf(alpha / 2.0);
    let p_value = chi2_sf(statistic, 1.0)?;
    Ok(SurvivalDifference {
        time,
        survival_a: pa.survival,
        survival_b: pb.survival,
        difference,
        lower: difference - z * se,
        upper: difference + z * se,
        statistic,
        p_value,
    })
}
