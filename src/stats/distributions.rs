//! Survival functions of the reference distributions, written so the tail keeps its precision.

use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use statrs::function::beta::beta_reg;
use statrs::function::erf::erfc;

/// P(Z >= z) for a standard normal Z.
pub(crate) fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// P(T >= t) for Student's t with `df` degrees of freedom.
pub(crate) fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => dist.sf(t),
        Err(_) => f64::NAN,
    }
}

/// P(F >= f) for Fisher's F with (`d1`, `d2`) degrees of freedom: `I_{d2/(d2 + d1 f)}(d2/2, d1/2)`,
/// with the argument formed directly so large `f` keeps relative precision.
pub(crate) fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_infinite() {
        return 0.0;
    }
    if f <= 0.0 {
        return 1.0;
    }
    beta_reg(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
}

/// P(X >= x) for chi-square with `df` degrees of freedom.
pub(crate) fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    match ChiSquared::new(df) {
        Ok(dist) => dist.sf(x),
        Err(_) => f64::NAN,
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
