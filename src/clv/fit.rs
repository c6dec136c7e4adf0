//! What every fitted model here reports: estimates with standard errors, and how the fit went.

use crate::error::{Error, Result};

use super::optimize::{self, Minimum, ValueGrad};

/// One fitted parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Estimate {
    /// Parameter name as lifetimes spells it (`r`, `alpha`, `a`, `b`, ...).
    pub name: &'static str,
    /// Maximum-likelihood value.
    pub value: f64,
    /// Standard error: lifetimes' delta-method convention, `value * sqrt(diag(H⁻¹) / n)` with
    /// `H` the Hessian of the mean negative log-likelihood in the log parameters; `NaN`-free,
    /// `None` when the Hessian is not positive definite.
    pub standard_error: Option<f64>,
}

impl Estimate {
    /// `value ± 1.96 · standard_error`, lifetimes' 95% interval; `None` without a standard error.
    #[must_use]
    pub fn interval_95(&self) -> Option<(f64, f64)> {
        self.standard_error
            .map(|se| (self.value - 1.96 * se, self.value + 1.96 * se))
    }
}

/// How the optimizer ended.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Convergence {
    /// Quasi-Newton plus Newton iterations.
    pub iterations: usize,
    /// Largest absolute gradient component of the objective at the end.
    pub gradient_norm: f64,
    /// Whether the gradient fell below the tolerance.
    pub converged: bool,
}

impl From<&Minimum> for Convergence {
    fn from(m: &Minimum) -> Self {
        Convergence {
            iterations: m.iterations,
            gradient_norm: m.gradient_norm,
            converged: m.converged,
        }
    }
}

/// Runs the minimizer on log-parameters and refuses fits that ran to a boundary.
pub(crate) fn fit_log_params(
    objective: &ValueGrad<'_>,
    start: &[f64],
    names: &[&'static str],
    model: &str,
) -> Result<Minimum> {
    let m = optimize::minimize(objective, start, 1e-9, 1000).ok_or_else(|| Error::Undefined {
        reason: format!(
            "the {model} likelihood is not finite at the starting point: the data are \
             degenerate for this model (check for customers with extreme values)"
        ),
    })?;
    for (value, name) in m.x.iter().zip(names) {
        // e^18 ≈ 6.6e7: no interior optimum has a shape or a scale (on ages scaled to 1) that
        // far out; the likelihood is running along a ridge to a limiting model.
        if value.abs() > 18.0 {
            return Err(Error::Undefined {
                reason: format!(
                    "the {model} fit diverges: parameter {name} runs to {} (log {value:.1}), \
                     the likelihood has no interior maximum for these data. Typical causes: \
                     customers that all behave alike (a shape and its scale run off together), \
                     or regular contractual payments such as subscription invoices, which \
                     the sBG (clv::ContractualFit) models instead; otherwise add a penalizer \
                     (e.g. 0.001)",
                    if *value > 0.0 { "infinity" } else { "zero" }
                ),
            });
        }
    }
    Ok(m)
}

/// Estimates with lifetimes' standard errors from the Hessian of the mean objective.
pub(crate) fn estimates(
    names: &[&'static str],
    values: &[f64],
    hessian: Option<Vec<f64>>,
    weight_total: f64,
) -> Vec<Estimate> {
    let n = names.len();
    let inverse = hessian.and_then(|h| optimize::spd_inverse(&h, n));
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Estimate {
            name,
            value: values[i],
            standard_error: inverse.as_ref().and_then(|inv| {
                let v = values[i] * values[i] * inv[i * n + i] / weight_total;
                (v >= 0.0 && v.is_finite()).then(|| v.sqrt())
            }),
        })
        .collect()
}

/// Checks a penalizer coefficient.
pub(crate) fn check_penalizer(penalizer: f64) -> Result<f64> {
    if !(penalizer.is_finite() && penalizer >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "penalizer",
            reason: format!("{penalizer} is not a finite value >= 0 (0 fits without penalty)"),
        });
    }
    Ok(penalizer)
}

/// Checks a horizon or time argument.
pub(crate) fn check_time(t: f64, what: &'static str) -> Result<f64> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(Error::InvalidParameter {
            name: what,
            reason: format!("{t} is not a finite time >= 0 in the model's time unit"),
        });
    }
    Ok(t)
}
