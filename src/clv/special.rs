//! Special functions for the buy-till-you-die and contractual models: log-gamma with sign,
//! and the Gauss hypergeometric function on [0, 1) in log space.

use crate::error::{Error, Result};

/// Terms summed at most by [`ln_hyp2f1`] before it gives up with a typed error (a few
/// milliseconds; near `z = 1` the series converges like `zⁿ`).
pub(crate) const HYP2F1_MAX_TERMS: usize = 1_000_000;

/// Terms summed at most inside a likelihood being optimized: a trial point that needs more is
/// treated as outside the domain, so no fit spends the full budget per customer per step.
pub(crate) const FIT_MAX_TERMS: usize = 2_000;

/// Sum of the Gauss series `Σ (p)_n (q)_n / ((c)_n n!) zⁿ` for `0 <= z < 1`, `c > 0`.
fn series(p: f64, q: f64, c: f64, z: f64, max_terms: usize) -> Result<f64> {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    for n in 0..max_terms {
        let nf = n as f64;
        term *= (p + nf) * (q + nf) / ((c + nf) * (nf + 1.0)) * z;
        sum += term;
        if !sum.is_finite() {
            break;
        }
        // Converged once the terms shrink and the geometric bound on the tail is below an ulp.
        let ratio = ((p + nf + 1.0) * (q + nf + 1.0) / ((c + nf + 1.0) * (nf + 2.0)) * z).abs();
        if term == 0.0 || (ratio < 1.0 && term.abs() * ratio / (1.0 - ratio) <= 1e-17 * sum.abs()) {
            return Ok(sum);
        }
    }
    Err(Error::Undefined {
        reason: format!(
            "the hypergeometric series 2F1({p}, {q}; {c}; {z}) does not converge within \
             {max_terms} terms: the horizon is far longer than the customer's age; \
             shorten it"
        ),
    })
}

/// `ln |2F1(a, b; c; z)|` and the sign of `2F1(a, b; c; z)`, for `0 <= z < 1` and `c` not 0 or a
/// negative integer.
///
/// Uses Euler's transformation `2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)`
/// when `c - a - b < 0`, so the series summed has bounded terms and the large factor is taken
/// in log space; the plain series otherwise.
pub(crate) fn hyp2f1_signed(a: f64, b: f64, c: f64, z: f64) -> Result<(f64, f64)> {
    hyp2f1_bounded(a, b, c, z, HYP2F1_MAX_TERMS)
}

/// [`hyp2f1_signed`] summing at most `max_terms` terms.
pub(crate) fn hyp2f1_bounded(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    max_terms: usize,
) -> Result<(f64, f64)> {
    let pole = c <= 0.0 && (c - c.round()).abs() < 1e-9;
    if !(0.0..1.0).contains(&z) || pole || ![a, b, c].iter().all(|v| v.is_finite()) {
        return Err(Error::Undefined {
            reason: format!(
                "2F1({a}, {b}; {c}; {z}) is outside 0 <= z < 1 with c not 0 or a negative \
                 integer: the model's parameters sit on a pole of its closed form; refit with \
                 a small penalizer"
            ),
        });
    }
    if z == 0.0 {
        return Ok((0.0, 1.0));
    }
    let excess = c - a - b;
    let (sum, log_factor) = if excess < 0.0 {
        (
            series(c - a, c - b, c, z, max_terms)?,
            excess * (-z).ln_1p(),
        )
    } else {
        (series(a, b, c, z, max_terms)?, 0.0)
    };
    if !(sum != 0.0 && sum.is_finite()) {
        return Err(Error::Undefined {
            reason: format!("2F1({a}, {b}; {c}; {z}) is 0 or leaves f64 (series sum {sum})"),
        });
    }
    Ok((sum.abs().ln() + log_factor, sum.signum()))
}

/// `ln 2F1(a, b; c; z)` when the value is positive (always so for `a, b, c > 0`).
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    ln_hyp2f1_bounded(a, b, c, z, HYP2F1_MAX_TERMS)
}

/// [`ln_hyp2f1`] summing at most `max_terms` terms.
pub(crate) fn ln_hyp2f1_bounded(a: f64, b: f64, c: f64, z: f64, max_terms: usize) -> Result<f64> {
    let (value, sign) = hyp2f1_bounded(a, b, c, z, max_terms)?;
    if sign < 0.0 {
        return Err(Error::Undefined {
            reason: format!(
                "2F1({a}, {b}; {c}; {z}) is negative where the model needs it positive"
            ),
        });
    }
    Ok(value)
}

/// `1 / (1 + e^log_odds)`, stable at both ends; [`Error::Undefined`] for a NaN argument (the
/// parameters put the odds out of f64's reach).
pub(crate) fn inverse_logit_of_odds(log_odds: f64, model: &str) -> Result<f64> {
    if log_odds.is_nan() {
        return Err(Error::Undefined {
            reason: format!(
                "P(alive) under these {model} parameters cannot be evaluated in f64 (the odds \
                 are infinity over infinity)"
            ),
        });
    }
    Ok(if log_odds > 0.0 {
        let e = (-log_odds).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + log_odds.exp())
    })
}

/// `ln(e^x - e^y)` for `x >= y`; `-inf` when they are equal.
pub(crate) fn ln_sub_exp(x: f64, y: f64) -> f64 {
    if y >= x {
        return f64::NEG_INFINITY;
    }
    x + (-(y - x).exp()).ln_1p()
}

/// `ln(e^x + e^y)`.
pub(crate) fn ln_add_exp(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return y;
    }
    if y == f64::NEG_INFINITY {
        return x;
    }
    let m = x.max(y);
    m + ((x - m).exp() + (y - m).exp()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyp2f1_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.01_f64, 0.3, 0.5, 0.9, 0.99] {
            let expected: f64 = -(-z).ln_1p() / z;
            let got = ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap().exp();
            assert!(
                (got - expected).abs() <= 1e-13 * expected,
                "{z}: {got} vs {expected}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a
        for (a, z) in [(0.5_f64, 0.2_f64), (3.0, 0.7), (40.0, 0.5)] {
            let expected = -a * (-z).ln_1p();
            let got = ln_hyp2f1(a, 2.5, 2.5, z).unwrap();
            assert!((got - expected).abs() <= 1e-12 * expected.abs().max(1.0));
        }
    }
}
