//! Knowing when to re-segment: how far the customers have moved since the segmentation was
//! built, per variable (population stability index, two-sample Kolmogorov-Smirnov, chi-square
//! of category shares), per segment (migration and ARI, from [`crate::validate`]), and typed
//! triggers that turn the evidence into a recommendation.
//!
//! ```
//! use saas_segmentation::drift::{ks_2samp, population_stability, PsiParams, Resegment, Trigger};
//! use saas_segmentation::stats::Alternative;
//!
//! let before = [12.0, 15.0, 9.0, 22.0, 18.0, 11.0, 14.0, 16.0, 10.0, 13.0];
//! let after = [25.0, 31.0, 19.0, 28.0, 35.0, 22.0, 27.0, 30.0, 24.0, 26.0];
//! let psi = population_stability(&before, &after, &PsiParams::default())?;
//! let ks = ks_2samp(&before, &after, Alternative::TwoSided)?;
//! assert!(psi.psi > 0.25 && ks.p_value < 0.01);
//!
//! let check = Resegment::new()
//!     .variable_shift("mrr", &psi, &ks)
//!     .trigger(Trigger::ProductChange { description: "usage-based pricing launched".into() })
//!     .decide();
//! assert!(check.resegment);
//! assert_eq!(check.reasons.len(), 2);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::stats::{chi2_contingency, Alternative, ChiSquareTest};

/// Settings of the population stability index.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PsiParams {
    /// Bins: quantile bins of the baseline (the usual deciles). Default: 10.
    pub bins: usize,
    /// The share given to a bin with no customers on one side, so the logarithm stays finite
    /// (the common convention), in [1e-12, 0.1]. Default: 0.0001.
    pub floor: f64,
}

impl Default for PsiParams {
    fn default() -> Self {
        PsiParams {
            bins: 10,
            floor: 1e-4,
        }
    }
}

/// The most bins [`population_stability`] takes.
pub const MAX_PSI_BINS: usize = 1_000;

/// One bin of a population stability index.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PsiBin {
    /// Lower edge (exclusive; `-inf` for the first bin).
    pub low: f64,
    /// Upper edge (inclusive; `+inf` for the last bin).
    pub high: f64,
    /// Share of the baseline in the bin.
    pub expected: f64,
    /// Share of the current snapshot in the bin.
    pub actual: f64,
    /// The bin's term `(actual - expected) ln(actual / expected)`, with empty shares floored.
    pub contribution: f64,
}

/// A population stability index with its bins.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PopulationStability {
    /// The index: the sum of the bins' contributions, 0 for identical distributions.
    pub psi: f64,
    /// The bins, lowest first.
    pub bins: Vec<PsiBin>,
}

impl PopulationStability {
    /// The usual reading: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major
    /// shift.
    #[must_use]
    pub fn level(&self) -> &'static str {
        if self.psi < 0.1 {
            "stable"
        } else if self.psi <= 0.25 {
            "moderate shift"
        } else {
            "major shift"
        }
    }
}

/// The population stability index of `current` against `baseline`.
///
/// ```text
/// edges: the baseline's quantiles at 1/b, ..., (b-1)/b (linear interpolation, numpy's default),
///        repeated edges merged; bins (edge_i, edge_i+1], the first from -inf, the last to +inf
/// PSI = sum_i (a_i - e_i) ln(a_i / e_i),   e_i, a_i the shares of baseline and current in bin i,
///        a share of 0 replaced by `floor`
/// ```
///
/// With the bins fixed, PSI is symmetric: swapping the shares of the two sides gives the same
/// value. It is not symmetric in the arguments, because the bins come from the baseline.
///
/// # Errors
/// [`Error::EmptyInput`] for an empty side; [`Error::NonFinite`] for NaN or infinity;
/// [`Error::InvalidParameter`] for bins outside 2 to [`MAX_PSI_BINS`] or a floor outside
/// [1e-12, 0.1]. Fewer distinct baseline values than bins merge the repeated edges, as numpy's
/// `unique` of the quantiles does.
pub fn population_stability(
    baseline: &[f64],
    current: &[f64],
    params: &PsiParams,
) -> Result<PopulationStability> {
    for (values, what) in [(baseline, "baseline"), (current, "current")] {
        if values.is_empty() {
            return Err(Error::EmptyInput {
                what: "snapshot for the population stability index",
                item: "value",
            });
        }
        crate::stats::ensure_all_finite(values, what)?;
    }
    if !(2..=MAX_PSI_BINS).contains(&params.bins) {
        return Err(Error::InvalidParameter {
            name: "bins",
            reason: format!(
                "{} bins: use 2 to {MAX_PSI_BINS} (10, deciles, is usual)",
                params.bins
            ),
        });
    }
    if !(params.floor >= 1e-12 && params.floor <= 0.1) {
        return Err(Error::InvalidParameter {
            name: "floor",
            reason: format!(
                "{} is not in [1e-12, 0.1]: the usual value is 0.0001",
                params.floor
            ),
        });
    }
    let mut sorted = baseline.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let quantile = |p: f64| {
        let position = p * (n - 1) as f64;
        let low = position.floor() as usize;
        let high = position.ceil() as usize;
        sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
    };
    let mut edges: Vec<f64> = (1..params.bins)
        .map(|i| quantile(i as f64 / params.bins as f64))
        .collect();
    edges.dedup();
    let count = |values: &[f64]| -> Vec<f64> {
        let mut counts = vec![0.0; edges.len() + 1];
        for v in values {
            counts[edges.partition_point(|e| e < v)] += 1.0;
        }
        let total = values.len() as f64;
        counts.iter().map(|c| c / total).collect()
    };
    let (expected, actual) = (count(baseline), count(current));
    let mut bins = Vec::with_capacity(expected.len());
    let mut psi = 0.0;
    for (i, (&e, &a)) in expected.iter().zip(&actual).enumerate() {
        let (ef, af) = (e.max(params.floor), a.max(params.floor));
        let contribution = (af - ef) * (af / ef).ln();
        psi += contribution;
        bins.push(PsiBin {
            low: if i == 0 {
                f64::NEG_INFINITY
            } else {
                edges[i - 1]
            },
            high: edges.get(i).copied().unwrap_or(f64::INFINITY),
            expected: e,
            actual: a,
            contribution,
        });
    }
    Ok(PopulationStability { psi, bins })
}

/// How a Kolmogorov-Smirnov p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum KsMethod {
    /// The exact distribution of the statistic (lattice paths, as scipy's `method="exact"`).
    Exact,
    /// The limiting distribution, for samples too large for the exact one.
    Asymptotic,
}

/// A two-sample Kolmogorov-Smirnov test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KsTest {
    /// The statistic: the largest gap between the two empirical distribution functions (in
    /// the direction of the alternative).
    pub statistic: f64,
    /// The p-value.
    pub p_value: f64,
    /// Where the gap is largest (a value of the pooled data).
    pub location: f64,
    /// +1 when the first sample's distribution function is above the second's there, -1 below.
    pub sign: i8,
    /// How the p-value was computed.
    pub method: KsMethod,
}

/// The most lattice steps the exact two-sided distribution may take for unequal samples
/// (about a second); beyond, the limiting distribution is used and the result says so.
pub const KS_EXACT_LIMIT: u64 = 400_000_000;

/// The two-sample Kolmogorov-Smirnov test: do two snapshots of a variable come from the same
/// distribution? `Less`: the first sample's distribution function lies below the second's
/// somewhere (its values tend to be larger); `Greater`: above.
///
/// ```text
/// D = max_x |F1(x) - F2(x)|  (two-sided),  D+ = max (F1 - F2),  D- = max (F2 - F1)
/// ```
///
/// The p-value is exact (the lattice-path counts of Hodges, as scipy's `method="exact"`, which
/// scipy's default `"auto"` takes up to 10,000 values per sample) while the work stays under
/// [`KS_EXACT_LIMIT`] steps; above it the limiting distribution is used: Kolmogorov's
/// `kstwobign` at `sqrt(en) D` two-sided, Hodges' approximation one-sided, with
/// `en = n1 n2 / (n1 + n2)`.
///
/// # Errors
/// [`Error::EmptyInput`] for an empty sample; [`Error::NonFinite`] for NaN or infinity.
///
/// Reference: matches `scipy.stats.ks_2samp(a, b, alternative=..., method="exact")` (statistic,
/// p-value, location, sign). Divergence: past the exact limit scipy's two-sided asymptotic
/// p-value uses the finite-n `kstwo` distribution; this uses its limit.
pub fn ks_2samp(a: &[f64], b: &[f64], alternative: Alternative) -> Result<KsTest> {
    for (values, what) in [(a, "a"), (b, "b")] {
        if values.is_empty() {
            return Err(Error::EmptyInput {
                what: "sample of the Kolmogorov-Smirnov test",
                item: "value",
            });
        }
        crate::stats::ensure_all_finite(values, what)?;
    }
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n1, n2) = (x.len(), y.len());
    // The ECDF gaps at every pooled value, in the pooled order of scipy (a then b, each
    // sorted): the first position of the extreme wins, as numpy's argmax does.
    let upper = |s: &[f64], v: f64| s.partition_point(|&w| w <= v);
    let (mut max_gap, mut max_at, mut min_gap, mut min_at) =
        (f64::NEG_INFINITY, 0.0, f64::INFINITY, 0.0);
    for &v in x.iter().chain(&y) {
        let gap = upper(&x, v) as f64 / n1 as f64 - upper(&y, v) as f64 / n2 as f64;
        if gap > max_gap {
            (max_gap, max_at) = (gap, v);
        }
        if gap < min_gap {
            (min_gap, min_at) = (gap, v);
        }
    }
    let min_s = (-min_gap).clamp(0.0, 1.0);
    let (mut d, location, sign) = match alternative {
        Alternative::Less => (min_s, min_at, -1),
        Alternative::TwoSided if min_s > max_gap => (min_s, min_at, -1),
        _ => (max_gap, max_at, 1),
    };
    let g = gcd(n1 as u64, n2 as u64);
    let lcm = (n1 as u64 / g) * n2 as u64;
    let h = (d * lcm as f64).round() as u64;
    d = h as f64 / lcm as f64;
    let exact = if h == 0 {
        Some(1.0)
    } else {
        exact_p(n1 as u64, n2 as u64, g, h, alternative)
    };
    let (p_value, method) = match exact {
        Some(p) => (p, KsMethod::Exact),
        None => {
            let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
            let en = m * n / (m + n);
            let p = if alternative == Alternative::TwoSided {
                kolmogorov_sf(en.sqrt() * d)
            } else {
                let z = en.sqrt() * d;
                (-2.0 * z * z - 2.0 * z * (m + 2.0 * n) / (m * n * (m + n)).sqrt() / 3.0).exp()
            };
            (p, KsMethod::Asymptotic)
        }
    };
    Ok(KsTest {
        statistic: d,
        p_value: p_value.clamp(0.0, 1.0),
        location,
        sign,
        method,
    })
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The exact p-value, or `None` when the work would pass [`KS_EXACT_LIMIT`] or the counts
/// leave f64.
fn exact_p(n1: u64, n2: u64, g: u64, h: u64, alternative: Alternative) -> Option<f64> {
    let p = if alternative == Alternative::TwoSided {
        if n1 == n2 {
            outside_square(n1, h)
        } else {
            let (m, n) = (n1.max(n2), n1.min(n2));
            let window = (2 * h).div_ceil(m / g) + 2;
            if m.saturating_mul(window.min(n + 1)) > KS_EXACT_LIMIT {
                return None;
            }
            outer_inside(m, n, g, h)
        }
    } else if n1 == n2 {
        (0..h)
            .map(|j| (n1 - j) as f64 / (n1 + j + 1) as f64)
            .product()
    } else {
        let (m, n) = (n1.max(n2), n1.min(n2));
        // Hodges' recursion costs about n^3 / 6 binomial steps.
        if n.saturating_mul(n).saturating_mul(n) / 6 > KS_EXACT_LIMIT {
            return None;
        }
        let paths = paths_outside(m, n, g, h)?;
        let total = binomial(m + n, n);
        if !total.is_finite() || paths > total {
            return None;
        }
        paths / total
    };
    (p.is_finite() && (0.0..=1.0).contains(&p)).then_some(p)
}

/// The share of lattice paths of an n x n square passing outside the lines x - y = +-h.
fn outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = n / h;
    loop {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n as f64 - (k * h + j) as f64) * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        if k == 0 {
            break;
        }
        k -= 1;
    }
    2.0 * p
}

/// One minus the share of lattice paths from (0, 0) to (m, n) that stay strictly inside
/// `|x / m - y / n| < h / lcm(m, n)` (Hodges' inside method, computed for 1 - p directly as
/// Viehmann's recursion does), m >= n.
fn outer_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (m, n, h) = (m as i64, n as i64, h as i64);
    let ceil_div = |a: i64, b: i64| -> i64 { a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0) };
    let mut minj = 0i64;
    let mut maxj = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len = ((2 * maxj + 2).min(n + 1)) as usize;
    let mut a = vec![1.0f64; len];
    for v in &mut a[minj as usize..maxj as usize] {
        *v = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = ((ng * i - h).div_euclid(mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..maxj - minj {
            let j = jj + minj;
            let previous = a
                .get((jj + minj - lastminj) as usize)
                .copied()
                .unwrap_or(1.0);
            val = (previous * i as f64 + val * j as f64) / (i + j) as f64;
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = (maxj - minj) as usize;
            let to = (from + (lastlen - curlen) as usize).min(a.len());
            for v in &mut a[from..to] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// The number of lattice paths from (0, 0) to (m, n), m >= n, that pass below
/// `m y <= n x - h g` (Hodges), as a float; `None` when it overflows.
fn paths_outside(m: u64, n: u64, g: u64, h: u64) -> Option<f64> {
    let (mg, ng) = (m / g, n / g);
    // How many j to consider: n + floor((mg - h) / mg), as Python's floor division.
    let extra = (mg as i64 - h as i64).div_euclid(mg as i64);
    let count = n as i64 + extra;
    if count <= 0 {
        return Some(binomial(m + n, n));
    }
    let count = count as usize;
    let xj: Vec<u64> = (0..count as u64)
        .map(|j| (h + mg * j).div_ceil(ng))
        .collect();
    let mut b = vec![0.0f64; count];
    b[0] = 1.0;
    for j in 1..count {
        let mut bj = binomial(xj[j] + j as u64, j as u64);
        for i in 0..j {
            bj -= binomial(xj[j] - xj[i] + (j - i) as u64, (j - i) as u64) * b[i];
        }
        b[j] = bj;
    }
    let mut paths = 0.0;
    for (j, &x) in xj.iter().enumerate() {
        if x > m {
            continue;
        }
        paths += b[j] * binomial((m - x) + (n - j as u64), n - j as u64);
    }
    paths.is_finite().then_some(paths)
}

/// C(n, k) as a float (infinite past f64).
fn binomial(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    let mut out = 1.0f64;
    for i in 0..k {
        out = out * (n - i) as f64 / (i + 1) as f64;
    }
    out
}

/// Kolmogorov's limiting survival function `P(K > x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2)`
/// (scipy's `kstwobign.sf`), with the small-x series for x < 1.
fn kolmogorov_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < 1.0 {
        // P(K <= x) = sqrt(2 pi) / x sum_{k>=1} exp(-(2k - 1)^2 pi^2 / (8 x^2)).
        let mut sum = 0.0;
        for k in 1..=20 {
            let t = (2 * k - 1) as f64;
            sum += (-t * t * std::f64::consts::PI * std::f64::consts::PI / (8.0 * x * x)).exp();
        }
        return (1.0 - (2.0 * std::f64::consts::PI).sqrt() / x * sum).clamp(0.0, 1.0);
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let term = (-2.0 * (k * k) as f64 * x * x).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-18 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// Did the shares of a categorical variable move between two snapshots? The chi-square test of
/// independence of (snapshot x category) counts, scipy's default correction (Yates on 2 x 2),
/// with Cramér's V of the shift.
///
/// # Errors
/// As [`chi2_contingency`], for fewer than two categories in all or an empty snapshot.
pub fn category_shift<S: AsRef<str>>(baseline: &[S], current: &[S]) -> Result<ChiSquareTest> {
    let mut categories: Vec<&str> = baseline.iter().chain(current).map(AsRef::as_ref).collect();
    categories.sort_unstable();
    categories.dedup();
    let k = categories.len();
    let mut table = vec![0.0; 2 * k];
    for (row, values) in [baseline, current].into_iter().enumerate() {
        for v in values {
            if let Ok(j) = categories.binary_search(&v.as_ref()) {
                table[row * k + j] += 1.0;
            }
        }
    }
    chi2_contingency(&table, 2, true)
}

/// A reason to build the segmentation again.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Trigger {
    /// The market changed (a competitor, a downturn, a new regulation).
    MarketChange {
        /// What happened.
        description: String,
    },
    /// The product changed (new tier, pricing model, a major feature).
    ProductChange {
        /// What happened.
        description: String,
    },
    /// A new market was entered (a region, a vertical, a company size).
    NewMarket {
        /// Which.
        description: String,
    },
    /// A variable's distribution moved past the threshold.
    Drift {
        /// The variable.
        variable: String,
        /// Its population stability index.
        psi: f64,
        /// The KS p-value, when a numeric test was run.
        p_value: Option<f64>,
    },
    /// Customers moved between segments: the agreement of the old and the new assignment.
    Migration {
        /// Adjusted Rand index of old vs new (1 = nobody moved).
        ari: f64,
    },
    /// The periodic review is due.
    ReviewDue {
        /// Days since the last review.
        days_since: i64,
        /// The review cycle in days (90 for quarterly).
        every_days: i64,
    },
}

impl Trigger {
    fn describe(&self) -> String {
        match self {
            Trigger::MarketChange { description } => format!("market change: {description}"),
            Trigger::ProductChange { description } => format!("product change: {description}"),
            Trigger::NewMarket { description } => format!("new market: {description}"),
            Trigger::Drift {
                variable,
                psi,
                p_value,
            } => match p_value {
                Some(p) => format!("{variable} drifted: PSI {psi:.3}, KS p {}", p_text(*p)),
                None => format!("{variable} drifted: PSI {psi:.3}"),
            },
            Trigger::Migration { ari } => {
                format!("customers moved between segments: ARI {ari:.2} against the last run")
            }
            Trigger::ReviewDue {
                days_since,
                every_days,
            } => format!("review due: {days_since} days since the last, the cycle is {every_days}"),
        }
    }
}

/// The thresholds a re-segmentation check applies. Defaults: PSI above 0.25 (a major shift),
/// KS p below 0.01 with it, ARI below 0.6.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Thresholds {
    /// PSI above which a variable has drifted.
    pub psi: f64,
    /// KS p-value below which the drift is also significant (when a test was run).
    pub ks_alpha: f64,
    /// ARI below which customers moved too much.
    pub ari: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            psi: 0.25,
            ks_alpha: 0.01,
            ari: 0.6,
        }
    }
}

/// Collects evidence and triggers, then decides whether to re-segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resegment {
    thresholds: Thresholds,
    triggers: Vec<Trigger>,
    checked: Vec<String>,
}

/// The decision, with the reasons that led to it and what was checked without effect.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recommendation {
    /// Whether to build the segmentation again.
    pub resegment: bool,
    /// The triggers that fired, in words, in the order given.
    pub reasons: Vec<String>,
    /// The triggers themselves.
    pub triggers: Vec<Trigger>,
    /// Evidence that was checked and stayed within its threshold.
    pub stable: Vec<String>,
}

impl Resegment {
    /// An empty check with the default [`Thresholds`].
    #[must_use]
    pub fn new() -> Self {
        Resegment::default()
    }

    /// Other thresholds. Default: [`Thresholds::default`].
    #[must_use]
    pub fn thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// A trigger that fires as given (market, product, new market, review).
    #[must_use]
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.triggers.push(trigger);
        self
    }

    /// A numeric variable's shift: fires when PSI is above its threshold and the KS p-value
    /// below its own.
    #[must_use]
    pub fn variable_shift(
        mut self,
        variable: &str,
        psi: &PopulationStability,
        ks: &KsTest,
    ) -> Self {
        if psi.psi > self.thresholds.psi && ks.p_value < self.thresholds.ks_alpha {
            self.triggers.push(Trigger::Drift {
                variable: variable.to_owned(),
                psi: psi.psi,
                p_value: Some(ks.p_value),
            });
        } else {
            self.checked.push(format!(
                "{variable}: PSI {:.3} ({}), KS p {}",
                psi.psi,
                psi.level(),
                p_text(ks.p_value)
            ));
        }
        self
    }

    /// A variable's shift measured by PSI alone (categorical shares binned by the caller).
    #[must_use]
    pub fn psi_only(mut self, variable: &str, psi: &PopulationStability) -> Self {
        if psi.psi > self.thresholds.psi {
            self.triggers.push(Trigger::Drift {
                variable: variable.to_owned(),
                psi: psi.psi,
                p_value: None,
            });
        } else {
            self.checked
                .push(format!("{variable}: PSI {:.3} ({})", psi.psi, psi.level()));
        }
        self
    }

    /// The agreement of the old and the new assignment of the same customers (for example
    /// [`crate::validate::compare_segmentations`]'s ARI): fires below the threshold.
    #[must_use]
    pub fn migration(mut self, ari: f64) -> Self {
        if ari < self.thresholds.ari {
            self.triggers.push(Trigger::Migration { ari });
        } else {
            self.checked
                .push(format!("segments held: ARI {ari:.2} against the last run"));
        }
        self
    }

    /// The periodic review: fires when `days_since` reaches `every_days`.
    #[must_use]
    pub fn review(mut self, days_since: i64, every_days: i64) -> Self {
        if days_since >= every_days {
            self.triggers.push(Trigger::ReviewDue {
                days_since,
                every_days,
            });
        } else {
            self.checked
                .push(format!("review not due: {days_since} of {every_days} days"));
        }
        self
    }

    /// The recommendation: re-segment when any trigger fired.
    #[must_use]
    pub fn decide(self) -> Recommendation {
        Recommendation {
            resegment: !self.triggers.is_empty(),
            reasons: self.triggers.iter().map(Trigger::describe).collect(),
            triggers: self.triggers,
            stable: self.checked,
        }
    }
}

/// A p-value as people read it: `= 0.699`, `= 0.0123`, or `< 0.0001`.
fn p_text(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".to_owned()
    } else if p < 0.01 {
        format!("= {p:.4}")
    } else {
        format!("= {p:.3}")
    }
}
