//! Survival functions of the reference distributions, written so the tail keeps its precision.

use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use statrs::function::beta::beta_reg;
use statrs::function::erf::erfc;

use crate::error::{Error, Result};

/// Refuses a NaN statistic or degrees of freedom that are not positive and finite: statrs
/// panics on them, and a NaN p-value would look like an answer.
fn defined(statistic: f64, dfs: &[f64]) -> Result<()> {
    if statistic.is_nan() {
        return Err(Error::Undefined {
            reason: "the test statistic is not a number: the values are so large that their \
                     squares overflow f64 (rescale them, e.g. to thousands), or every value is equal"
                .to_owned(),
        });
    }
    if let Some(df) = dfs.iter().find(|df| !(df.is_finite() && **df > 0.0)) {
        return Err(Error::Undefined {
            reason: format!("the test has {df} degrees of freedom: it needs more observations"),
        });
    }
    Ok(())
}

/// P(Z >= z) for a standard normal Z.
pub(crate) fn normal_sf(z: f64) -> Result<f64> {
    defined(z, &[])?;
    Ok(0.5 * erfc(z / std::f64::consts::SQRT_2))
}

/// P(T >= t) for Student's t with `df` degrees of freedom.
pub(crate) fn t_sf(t: f64, df: f64) -> Result<f64> {
    defined(t, &[df])?;
    if t.is_infinite() {
        return Ok(if t > 0.0 { 0.0 } else { 1.0 });
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => Ok(dist.sf(t).clamp(0.0, 1.0)),
        Err(e) => Err(Error::Undefined {
            reason: format!("Student's t with {df} degrees of freedom: {e}"),
        }),
    }
}

/// P(F >= f) for Fisher's F with (`d1`, `d2`) degrees of freedom: `I_{d2/(d2 + d1 f)}(d2/2, d1/2)`,
/// with the argument formed directly so large `f` keeps relative precision.
pub(crate) fn f_sf(f: f64, d1: f64, d2: f64) -> Result<f64> {
    defined(f, &[d1, d2])?;
    if f.is_infinite() {
        return Ok(0.0);
    }
    if f <= 0.0 {
        return Ok(1.0);
    }
    let x = d2 / (d2 + d1 * f);
    if !(0.0..=1.0).contains(&x) {
        return Ok(0.0);
    }
    Ok(beta_reg(d2 / 2.0, d1 / 2.0, x).clamp(0.0, 1.0))
}

/// P(X >= x) for chi-square with `df` degrees of freedom.
pub(crate) fn chi2_sf(x: f64, df: f64) -> Result<f64> {
    defined(x, &[df])?;
    if x.is_infinite() {
        return Ok(0.0);
    }
    if x <= 0.0 {
        return Ok(1.0);
    }
    match ChiSquared::new(df) {
        Ok(dist) => Ok(dist.sf(x).clamp(0.0, 1.0)),
        Err(e) => Err(Error::Undefined {
            reason: format!("chi-square with {df} degrees of freedom: {e}"),
        }),
    }
}

/// The t quantile with `P(T >= t) = p`, by bisection on the survival function (statrs'
/// inverse is not accurate enough in the tails).
pub(crate) fn t_isf(p: f64, df: f64) -> Result<f64> {
    let (mut low, mut high) = (0.0f64, 1.0f64);
    while t_sf(high, df)? > p {
        high *= 2.0;
        if high > 1e12 {
            return Err(Error::Undefined {
                reason: format!("no t quantile for p = {p} with {df} degrees of freedom"),
            });
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if t_sf(mid, df)? > p {
            low = mid;
        } else {
            high = mid;
        }
        if high - low <= 1e-15 * high {
            break;
        }
    }
    Ok(0.5 * (low + high))
}

/// The standard normal quantile `z` with `P(Z >= z) = p`, for `p` in (0, 1).
pub(crate) fn normal_isf(p: f64) -> f64 {
    use statrs::distribution::Normal;
    match Normal::new(0.0, 1.0) {
        Ok(dist) => dist.inverse_cdf(1.0 - p),
        Err(_) => f64::NAN,
    }
}

/// P(T <= t) for the noncentral t distribution with `df` degrees of freedom and noncentrality
/// `delta`: Lenth's algorithm AS 243 (a Poisson-weighted sum of incomplete beta functions, to
/// 1e-12), with `P(T <= t; delta) = 1 - P(T <= -t; -delta)` for negative t.
pub(crate) fn noncentral_t_cdf(t: f64, df: f64, delta: f64) -> Result<f64> {
    use statrs::function::gamma::ln_gamma;
    defined(t, &[df])?;
    if !delta.is_finite() {
        return Err(Error::Undefined {
            reason: format!("noncentrality {delta}: give a finite effect"),
        });
    }
    if t.is_infinite() {
        return Ok(if t > 0.0 { 1.0 } else { 0.0 });
    }
    let (tt, del, negative) = if t < 0.0 {
        (-t, -delta, true)
    } else {
        (t, delta, false)
    };
    let normal_cdf = |z: f64| 0.5 * erfc(-z / std::f64::consts::SQRT_2);
    let x = tt * tt / (tt * tt + df);
    let mut tnc = 0.0;
    let lambda = del * del;
    // Past lambda of about 1,400 the Poisson weights exp(-lambda / 2) underflow and the sum is 0
    // (the normal term below is the whole answer); skip it so an infinite lambda cannot make
    // 0 * inf.
    if x > 0.0 && lambda < 1e5 {
        let mut p = 0.5 * (-0.5 * lambda).exp();
        let mut q = (2.0 / std::f64::consts::PI).sqrt() * p * del;
        let mut s = 0.5 - p;
        // Guard against rounding when s underflows relative to p.
        if s < 1e-7 {
            s = -0.5 * (-0.5 * lambda).exp_m1() - p + 0.5;
        }
        let mut a = 0.5;
        let b = 0.5 * df;
        let rxb = (1.0 - x).powf(b);
        let albeta = 0.5 * std::f64::consts::PI.ln() + ln_gamma(b) - ln_gamma(0.5 + b);
        let mut xodd = beta_reg(a, b, x);
        let mut godd = 2.0 * rxb * (a * x.ln() - albeta).exp();
        let mut xeven = 1.0 - rxb;
        let mut geven = b * x * rxb;
        tnc = p * xodd + q * xeven;
        let mut en = 1.0;
        loop {
            a += 1.0;
            xodd -= godd;
            xeven -= geven;
            godd *= x * (a + b - 1.0) / a;
            geven *= x * (a + b - 0.5) / (a + 0.5);
            p *= lambda / (2.0 * en);
            q *= lambda / (2.0 * en + 1.0);
            s -= p;
            en += 1.0;
            tnc += p * xodd + q * xeven;
            let bound = 2.0 * s * (xodd - godd);
            if bound.abs() <= 1e-12 || en > 10_000.0 {
                break;
            }
        }
    }
    tnc += normal_cdf(-del);
    let cdf = if negative { 1.0 - tnc } else { tnc };
    Ok(cdf.clamp(0.0, 1.0))
}

#[cfg(test)]
mod noncentral_tests {
    use super::noncentral_t_cdf;

    #[test]
    fn noncentral_t_matches_scipy() {
        // scipy 1.17.1: nct.cdf(1.5, 10, 0.8), nct.cdf(-1.2, 7, 0.5), nct.sf(2.1, 30, 2.5).
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1e-300);
        assert!(close(
            noncentral_t_cdf(1.5, 10.0, 0.8).unwrap(),
            0.7352271134419176
        ));
        assert!(close(
            noncentral_t_cdf(-1.2, 7.0, 0.5).unwrap(),
            0.05664060186572729
        ));
        assert!(close(
            1.0 - noncentral_t_cdf(2.1, 30.0, 2.5).unwrap(),
            0.6566447632315398
        ));
    }
}
