//! A/B tests within segments: read an experiment (conversion or a metric per customer) with the
//! difference, its confidence interval and the relative lift; size one before it runs (sample
//! size and power for a minimum detectable effect); reduce variance with a pre-period covariate
//! (CUPED); check the split (sample-ratio mismatch); and correct across segments.
//!
//! ```
//! use saas_segmentation::experiment::{compare_proportions, sample_size_proportions, Arm};
//!
//! // Before: customers per arm to see 10% -> 12% conversion at 80% power, alpha 0.05.
//! let n = sample_size_proportions(0.10, 0.12, 0.05, 0.8, 1.0)?;
//! assert_eq!(n.ceil(), 3_835.0);
//! // After: the readout.
//! let r = compare_proportions(Arm::new(400, 4_000), Arm::new(480, 4_000), 0.05)?;
//! assert!(r.p_value < 0.01 && r.difference_lower > 0.0);
//! assert!((r.relative_lift - 0.2).abs() < 1e-12);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::stats::distributions::{noncentral_t_cdf, normal_isf, normal_sf, t_isf};
use crate::stats::{benjamini_hochberg, chisquare, holm, Alternative};

/// Conversions of one arm: successes out of customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Arm {
    /// Customers who converted.
    pub successes: u64,
    /// Customers in the arm.
    pub customers: u64,
}

impl Arm {
    /// An arm of `customers` with `successes` conversions.
    #[must_use]
    pub fn new(successes: u64, customers: u64) -> Arm {
        Arm {
            successes,
            customers,
        }
    }
}

/// The readout of an experiment: treatment against control.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Readout {
    /// Control's rate or mean.
    pub control: f64,
    /// Treatment's rate or mean.
    pub treatment: f64,
    /// Treatment less control.
    pub difference: f64,
    /// Lower bound of the difference's confidence interval.
    pub difference_lower: f64,
    /// Upper bound.
    pub difference_upper: f64,
    /// Treatment over control, less 1 (0.2 = 20% better).
    pub relative_lift: f64,
    /// Lower bound of the relative lift's interval.
    pub lift_lower: f64,
    /// Upper bound.
    pub lift_upper: f64,
    /// The test statistic (z for proportions, Welch's t for means).
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// The smallest absolute difference these arm sizes detect at 80% power and the same
    /// alpha (normal approximation).
    pub minimum_detectable_difference: f64,
    /// Guidance in words when the test cannot tell (underpowered), `None` otherwise.
    pub guidance: Option<String>,
}

/// The smallest alpha taken: below it the normal quantile is past f64's resolution of 1 - p.
const MIN_ALPHA: f64 = 1e-10;

fn check_alpha(alpha: f64) -> Result<()> {
    if (MIN_ALPHA..1.0).contains(&alpha) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "alpha",
            reason: format!("{alpha} is not in [1e-10, 1): use 0.05 for 95% intervals"),
        })
    }
}

fn check_arm(arm: Arm, what: &str) -> Result<()> {
    if arm.customers == 0 || arm.successes > arm.customers {
        return Err(Error::InvalidParameter {
            name: "arm",
            reason: format!(
                "the {what} arm has {} successes in {} customers: an arm needs customers and \
                 no more successes than customers",
                arm.successes, arm.customers
            ),
        });
    }
    Ok(())
}

fn guidance(difference: f64, mdd: f64, p_value: f64, alpha: f64) -> Option<String> {
    (p_value >= alpha && difference.abs() < mdd).then(|| {
        format!(
            "underpowered: these arms detect a difference of {mdd:.4} or more at 80% power, the \
             observed one is {difference:.4}; run longer or pool segments"
        )
    })
}

/// Two conversion rates: the z test with the pooled proportion (as
/// `statsmodels.stats.proportion.proportions_ztest`), the Wald interval of the difference
/// (`confint_proportions_2indep(compare="diff", method="wald")`) and the log interval of the
/// ratio (`compare="ratio", method="log"`), shifted to a lift.
///
/// ```text
/// d = p_t - p_c,  se = sqrt(p_t (1 - p_t) / n_t + p_c (1 - p_c) / n_c),  d +- z se
/// ln(p_t / p_c) +- z sqrt(1/x_t - 1/n_t + 1/x_c - 1/n_c)
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for an empty arm, more successes than customers, or `alpha`
/// outside [1e-10, 1); [`Error::Undefined`] when neither arm converted or both always did (the
/// pooled variance is 0), or an arm has no conversion for the ratio interval.
pub fn compare_proportions(control: Arm, treatment: Arm, alpha: f64) -> Result<Readout> {
    check_alpha(alpha)?;
    check_arm(control, "control")?;
    check_arm(treatment, "treatment")?;
    let test = crate::stats::proportions_ztest(
        [treatment.successes, control.successes],
        [treatment.customers, control.customers],
        Alternative::TwoSided,
    )?;
    let (nc, nt) = (control.customers as f64, treatment.customers as f64);
    let (pc, pt) = (
        control.successes as f64 / nc,
        treatment.successes as f64 / nt,
    );
    let z = normal_isf(alpha / 2.0);
    let se = (pt * (1.0 - pt) / nt + pc * (1.0 - pc) / nc).sqrt();
    let difference = pt - pc;
    if control.successes == 0 || treatment.successes == 0 {
        return Err(Error::Undefined {
            reason: "an arm has no conversion: the relative lift is unbounded; report the \
                     difference, or wait for conversions"
                .to_owned(),
        });
    }
    let log_se = (1.0 / treatment.successes as f64 - 1.0 / nt + 1.0 / control.successes as f64
        - 1.0 / nc)
        .max(0.0)
        .sqrt();
    let log_ratio = (pt / pc).ln();
    let pooled = (control.successes + treatment.successes) as f64 / (nc + nt);
    let mdd = (z + normal_isf(0.2)) * (pooled * (1.0 - pooled) * (1.0 / nc + 1.0 / nt)).sqrt();
    Ok(Readout {
        control: pc,
        treatment: pt,
        difference,
        difference_lower: difference - z * se,
        difference_upper: difference + z * se,
        relative_lift: pt / pc - 1.0,
        lift_lower: (log_ratio - z * log_se).exp() - 1.0,
        lift_upper: (log_ratio + z * log_se).exp() - 1.0,
        statistic: test.statistic,
        p_value: test.p_value,
        minimum_detectable_difference: mdd,
        guidance: guidance(difference, mdd, test.p_value, alpha),
    })
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Two means (revenue, seats, logins per customer): Welch's t test and interval of the
/// difference (as statsmodels' `CompareMeans(...).tconfint_diff(usevar="unequal")` and scipy's
/// `ttest_ind(equal_var=False)`), and the relative lift with a delta-method interval.
///
/// ```text
/// d = mean_t - mean_c,  se = sqrt(s_t^2 / n_t + s_c^2 / n_c),  d +- t_{df, 1 - alpha/2} se
/// lift = mean_t / mean_c - 1,  se_lift = (mean_t / mean_c) sqrt(se_t^2 / mean_t^2 + se_c^2 / mean_c^2)
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for an arm with fewer than two values or `alpha` outside [1e-10, 1);
/// [`Error::NonFinite`]; [`Error::Undefined`] when both arms are constant or the control mean is
/// 0 (no relative lift).
pub fn compare_means(control: &[f64], treatment: &[f64], alpha: f64) -> Result<Readout> {
    check_alpha(alpha)?;
    let test = crate::stats::ttest_ind(treatment, control, false, Alternative::TwoSided)?;
    let (mc, vc) = mean_var(control);
    let (mt, vt) = mean_var(treatment);
    let (nc, nt) = (control.len() as f64, treatment.len() as f64);
    let se = (vt / nt + vc / nc).sqrt();
    if !(se > 0.0 && se.is_finite()) || mc == 0.0 {
        return Err(Error::Undefined {
            reason: "both arms are constant or the control mean is 0: no interval or lift"
                .to_owned(),
        });
    }
    let df = test.df;
    let t = t_isf(alpha / 2.0, df)?;
    let difference = mt - mc;
    let ratio = mt / mc;
    let se_lift = ratio.abs() * ((vt / nt) / (mt * mt) + (vc / nc) / (mc * mc)).sqrt();
    let z = normal_isf(alpha / 2.0);
    let mdd = (z + normal_isf(0.2)) * se;
    let lift_se = if se_lift.is_finite() {
        se_lift
    } else {
        f64::INFINITY
    };
    let readout = Readout {
        control: mc,
        treatment: mt,
        difference,
        difference_lower: difference - t * se,
        difference_upper: difference + t * se,
        relative_lift: ratio - 1.0,
        lift_lower: ratio - 1.0 - z * lift_se,
        lift_upper: ratio - 1.0 + z * lift_se,
        statistic: test.statistic,
        p_value: test.p_value,
        minimum_detectable_difference: mdd,
        guidance: guidance(difference, mdd, test.p_value, alpha),
    };
    if [
        readout.difference_lower,
        readout.difference_upper,
        readout.lift_lower,
        readout.lift_upper,
    ]
    .iter()
    .any(|v| !v.is_finite())
    {
        return Err(Error::Undefined {
            reason: "the interval overflows f64: the values are far outside their usual range"
                .to_owned(),
        });
    }
    Ok(readout)
}

/// Cohen's h, the effect size of two proportions: `2 asin(sqrt(p1)) - 2 asin(sqrt(p2))`, as
/// `statsmodels.stats.proportion.proportion_effectsize`.
///
/// # Errors
/// [`Error::OutOfRange`] for a proportion outside [0, 1].
pub fn proportion_effectsize(p1: f64, p2: f64) -> Result<f64> {
    for (p, field) in [(p1, "p1"), (p2, "p2")] {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::OutOfRange {
                record: "proportion effect size".into(),
                field: field.into(),
                value: p,
                expected: "a proportion in [0, 1]",
            });
        }
    }
    Ok(2.0 * p1.sqrt().asin() - 2.0 * p2.sqrt().asin())
}

/// The power of a two-sided two-sample z test with standardized effect `effect`, `n1`
/// customers in the first arm and `ratio * n1` in the second, as statsmodels'
/// `NormalIndPower().power(effect, n1, alpha, ratio)`.
///
/// ```text
/// n = 1 / (1 / n1 + 1 / (ratio n1)),  c = z_{1 - alpha/2}
/// power = P(Z > c - |effect| sqrt(n)) + P(Z < -c - |effect| sqrt(n))
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `alpha` outside [1e-10, 1), a non-positive `n1` or `ratio`, or a
/// non-finite effect.
pub fn power_normal(effect: f64, n1: f64, alpha: f64, ratio: f64) -> Result<f64> {
    check_alpha(alpha)?;
    if !(n1 > 0.0 && n1.is_finite() && ratio > 0.0 && ratio.is_finite() && effect.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "power",
            reason: format!(
                "n1 {n1}, ratio {ratio}, effect {effect}: give positive sizes and a finite effect"
            ),
        });
    }
    let n = 1.0 / (1.0 / n1 + 1.0 / (ratio * n1));
    let c = normal_isf(alpha / 2.0);
    let shift = effect.abs() * n.sqrt();
    Ok((normal_sf(c - shift)? + normal_sf(c + shift)?).min(1.0))
}

/// Customers needed in the first arm (the second has `ratio` times as many) to detect the
/// standardized effect `effect` with `power` at `alpha`, two-sided: the `n1` solving
/// [`power_normal`] (statsmodels' `NormalIndPower().solve_power(effect, None, alpha, power,
/// ratio)`). Round up for a plan.
///
/// # Errors
/// [`Error::InvalidParameter`] for an effect of 0 (no sample is large enough: state the
/// smallest effect worth detecting), `power` outside (alpha, 1), or the errors of
/// [`power_normal`].
pub fn sample_size_normal(effect: f64, alpha: f64, power: f64, ratio: f64) -> Result<f64> {
    check_alpha(alpha)?;
    if !(effect.is_finite() && effect != 0.0) {
        return Err(Error::InvalidParameter {
            name: "effect",
            reason: format!(
                "{effect}: a zero effect needs an infinite sample; give the smallest effect \
                 worth detecting"
            ),
        });
    }
    if !(power > alpha && power < 1.0) {
        return Err(Error::InvalidParameter {
            name: "power",
            reason: format!("{power} is not in (alpha, 1): 0.8 is usual"),
        });
    }
    // Power rises with n1: bracket, then bisect to the last bit.
    let (mut low, mut high) = (1e-9f64, 1.0f64);
    while power_normal(effect, high, alpha, ratio)? < power {
        high *= 2.0;
        if high > 1e15 {
            return Err(Error::Undefined {
                reason: "the effect is too small for any sample of under 1e15".to_owned(),
            });
        }
    }
    for _ in 0..300 {
        let mid = 0.5 * (low + high);
        if power_normal(effect, mid, alpha, ratio)? < power {
            low = mid;
        } else {
            high = mid;
        }
        if high - low <= 1e-13 * high {
            break;
        }
    }
    Ok(0.5 * (low + high))
}

/// The power of a two-sided two-sample t test with standardized effect (Cohen's d) `effect`,
/// `n1` customers in the first arm and `ratio * n1` in the second, as statsmodels'
/// `TTestIndPower().power(effect, n1, alpha, ratio)`: the noncentral t at the critical values.
///
/// ```text
/// df = n1 + n2 - 2,  nc = effect sqrt(n1 n2 / (n1 + n2)),  c = t_{df, 1 - alpha/2}
/// power = P(T'(df, nc) > c) + P(T'(df, nc) < -c)
/// ```
///
/// # Errors
/// As [`power_normal`], and [`Error::InvalidParameter`] when the arms leave no degree of
/// freedom (n1 + n2 <= 2).
pub fn power_t(effect: f64, n1: f64, alpha: f64, ratio: f64) -> Result<f64> {
    power_normal(effect, n1, alpha, ratio)?;
    let n2 = n1 * ratio;
    let df = n1 + n2 - 2.0;
    if df <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "n1",
            reason: format!("{n1} and {n2} customers leave no degree of freedom"),
        });
    }
    let nc = effect * (n1 * n2 / (n1 + n2)).sqrt();
    let c = t_isf(alpha / 2.0, df)?;
    let upper = 1.0 - noncentral_t_cdf(c, df, nc)?;
    let lower = noncentral_t_cdf(-c, df, nc)?;
    Ok((upper + lower).clamp(0.0, 1.0))
}

/// Customers needed in the first arm for a two-sample t test to detect Cohen's d `effect`
/// with `power` at `alpha` (statsmodels' `TTestIndPower().solve_power(effect, None, alpha,
/// power, ratio)`). Round up for a plan.
///
/// # Errors
/// As [`sample_size_normal`].
pub fn sample_size_t(effect: f64, alpha: f64, power: f64, ratio: f64) -> Result<f64> {
    // The normal answer is a lower bound; the t test needs a little more. Bracket from it.
    let start = sample_size_normal(effect, alpha, power, ratio)?;
    let need = |n: f64| -> Result<bool> { Ok(power_t(effect, n, alpha, ratio)? < power) };
    let mut low = (2.0 / (1.0 + ratio)).max(start * 0.5).max(1.0 + 1e-9);
    let mut high = start.max(low) * 1.5 + 2.0;
    while need(high)? {
        high *= 2.0;
        if high > 1e15 {
            return Err(Error::Undefined {
                reason: "the effect is too small for any sample of under 1e15".to_owned(),
            });
        }
    }
    if !need(low)? {
        low = 1.0 + 1e-9;
    }
    for _ in 0..300 {
        let mid = 0.5 * (low + high);
        if need(mid)? {
            low = mid;
        } else {
            high = mid;
        }
        if high - low <= 1e-12 * high {
            break;
        }
    }
    Ok(0.5 * (low + high))
}

/// Customers needed in the control arm to tell conversion `p_control` from `p_treatment`:
/// [`sample_size_normal`] with Cohen's h ([`proportion_effectsize`]), as statsmodels'
/// `NormalIndPower().solve_power(proportion_effectsize(p_t, p_c), ...)`.
///
/// # Errors
/// As [`proportion_effectsize`] and [`sample_size_normal`] (equal rates are a zero effect).
pub fn sample_size_proportions(
    p_control: f64,
    p_treatment: f64,
    alpha: f64,
    power: f64,
    ratio: f64,
) -> Result<f64> {
    let h = proportion_effectsize(p_treatment, p_control)?;
    sample_size_normal(h, alpha, power, ratio)
}

/// CUPED (Deng et al. 2013): the metric adjusted by a pre-period covariate,
/// `y - theta (x - mean(x))` with `theta = cov(x, y) / var(x)` over both arms pooled, then
/// [`compare_means`] on the adjusted values. The adjustment keeps the difference's expectation
/// and removes the variance the covariate explains.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cuped {
    /// The coefficient theta.
    pub theta: f64,
    /// Share of the metric's variance removed, `1 - var(adjusted) / var(y)` over both arms.
    pub variance_reduction: f64,
    /// The readout on the adjusted metric.
    pub readout: Readout,
}

/// [`Cuped`] for `(covariate, metric)` pairs of each arm.
///
/// # Errors
/// [`Error::LengthMismatch`] when an arm's covariate and metric differ in length;
/// [`Error::Undefined`] when the covariate is constant; the errors of [`compare_means`].
pub fn cuped(control: (&[f64], &[f64]), treatment: (&[f64], &[f64]), alpha: f64) -> Result<Cuped> {
    for ((x, y), what) in [(control, "control"), (treatment, "treatment")] {
        if x.len() != y.len() {
            return Err(Error::LengthMismatch {
                what: if what == "control" {
                    "control covariate (one per metric value)"
                } else {
                    "treatment covariate (one per metric value)"
                },
                expected: y.len(),
                found: x.len(),
            });
        }
        crate::stats::ensure_all_finite(x, "covariate")?;
        crate::stats::ensure_all_finite(y, "metric")?;
    }
    let xs: Vec<f64> = control.0.iter().chain(treatment.0).copied().collect();
    let ys: Vec<f64> = control.1.iter().chain(treatment.1).copied().collect();
    if xs.len() < 3 {
        return Err(Error::InvalidParameter {
            name: "arms",
            reason: "CUPED needs at least three customers in all".to_owned(),
        });
    }
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var_x: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if !(var_x > 0.0 && var_x.is_finite()) {
        return Err(Error::Undefined {
            reason: "the covariate is constant: it explains nothing; compare the raw metric"
                .to_owned(),
        });
    }
    let theta = cov / var_x;
    let adjust = |(x, y): (&[f64], &[f64])| -> Vec<f64> {
        x.iter().zip(y).map(|(x, y)| y - theta * (x - mx)).collect()
    };
    let (c, t) = (adjust(control), adjust(treatment));
    let var_y: f64 = ys.iter().map(|y| (y - my) * (y - my)).sum();
    let adjusted: Vec<f64> = c.iter().chain(&t).copied().collect();
    let ma = adjusted.iter().sum::<f64>() / n;
    let var_adjusted: f64 = adjusted.iter().map(|a| (a - ma) * (a - ma)).sum();
    Ok(Cuped {
        theta,
        variance_reduction: if var_y > 0.0 {
            (1.0 - var_adjusted / var_y).clamp(0.0, 1.0)
        } else {
            0.0
        },
        readout: compare_means(&c, &t, alpha)?,
    })
}

/// A sample-ratio-mismatch check: the chi-square goodness of fit of the customers counted in
/// each arm to the planned split (`planned` shares, any scale). A p-value below `threshold`
/// (0.001 is usual) means the assignment is broken and the readout cannot be trusted.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SampleRatio {
    /// The chi-square statistic.
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Whether the split is off (p below the threshold).
    pub mismatch: bool,
}

/// Checks the arms' customer counts against the planned split.
///
/// # Errors
/// [`Error::LengthMismatch`] when counts and plan differ in length; [`Error::InvalidParameter`]
/// for fewer than two arms, a share that is not positive, or a threshold outside [1e-10, 1).
///
/// Reference: `scipy.stats.chisquare(counts, total * planned / sum(planned))`.
pub fn sample_ratio_mismatch(
    counts: &[u64],
    planned: &[f64],
    threshold: f64,
) -> Result<SampleRatio> {
    check_alpha(threshold)?;
    if counts.len() != planned.len() {
        return Err(Error::LengthMismatch {
            what: "planned shares (one per arm)",
            expected: counts.len(),
            found: planned.len(),
        });
    }
    if planned.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "planned",
            reason: "every planned share must be positive and finite (50/50 is [1.0, 1.0])"
                .to_owned(),
        });
    }
    let observed: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let total: f64 = observed.iter().sum();
    let scale: f64 = planned.iter().sum();
    let expected: Vec<f64> = planned.iter().map(|p| total * p / scale).collect();
    let test = chisquare(&observed, Some(&expected), 0)?;
    Ok(SampleRatio {
        statistic: test.statistic,
        p_value: test.p_value,
        mismatch: test.p_value < threshold,
    })
}

/// How to correct p-values across segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Correction {
    /// Holm's step-down (family-wise error).
    Holm,
    /// Benjamini-Hochberg (false discovery rate).
    BenjaminiHochberg,
}

/// The p-values of readouts of one experiment in several segments, adjusted across segments.
///
/// # Errors
/// The errors of [`holm`] and [`benjamini_hochberg`].
pub fn adjust_across_segments(readouts: &[Readout], correction: Correction) -> Result<Vec<f64>> {
    let p: Vec<f64> = readouts.iter().map(|r| r.p_value).collect();
    match correction {
        Correction::Holm => holm(&p),
        Correction::BenjaminiHochberg => benjamini_hochberg(&p),
    }
}
