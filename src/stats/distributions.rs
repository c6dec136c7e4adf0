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

/// The standard normal quantile `z` with `P(Z >= z) = p`, for `p` in (0, 1).
pub(crate) fn normal_isf(p: f64) -> f64 {
    use statrs::distribution::Normal;
    match Normal::new(0.0, 1.0) {
        Ok(dist) => dist.inverse_cdf(1.0 - p),
        Err(_) => f64::NAN,
    }
}
