//! Contractual retention: the shifted-beta-geometric model (Fader & Hardie 2007, "How to
//! project customer retention") and its beta-discrete-Weibull extension (Fader, Hardie, Liu,
//! Davin & Steenburgh 2018), fitted to a cohort's survivor counts.

use statrs::function::gamma::ln_gamma;

use crate::error::{Error, Result};

use super::fit::{self, Convergence, Estimate};
use super::optimize;
use super::special::{ln_hyp2f1, ln_sub_exp};

fn ln_beta(p: f64, q: f64) -> f64 {
    ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q)
}

/// The smallest per-period discount rate [`ContractualParams::discounted_residual_lifetime`]
/// accepts.
pub const MIN_DISCOUNT: f64 = 1e-6;

/// Periods summed at most for the beta-discrete-Weibull residual lifetime.
const DERL_MAX_TERMS: usize = 1_000_000;

/// Which survival curve to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Contract {
    /// Shifted-beta-geometric: a customer's churn probability per period is constant,
    /// Beta(α, β) across customers. Retention rises with tenure only through sorting.
    ShiftedBetaGeometric,
    /// Beta-discrete-Weibull: the churn probability changes with tenure as `1 - (1-θ)^(t^c -
    /// (t-1)^c)`; `c < 1` means individual churn falls with tenure, `c > 1` rises. `c = 1` is
    /// the sBG.
    BetaDiscreteWeibull,
}

/// Fitted or given contractual-retention parameters; `c` is 1 for the sBG.
///
/// ```
/// use saas_segmentation::clv::ContractualParams;
///
/// // The "regular" segment of Fader & Hardie (2007).
/// let p = ContractualParams::sbg(0.704, 1.182)?;
/// assert!((p.survival(1)? - 0.627).abs() < 1e-3);
/// assert!(p.retention_rate(2)? > p.retention_rate(1)?);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ContractualParams {
    /// First Beta shape of the churn probability.
    pub alpha: f64,
    /// Second Beta shape of the churn probability.
    pub beta: f64,
    /// Weibull shape (1 for the sBG).
    pub c: f64,
}

checked_serde!(ContractualParams, ContractualParams::check);

impl ContractualParams {
    /// sBG parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value that is not finite and positive.
    pub fn sbg(alpha: f64, beta: f64) -> Result<Self> {
        Self::bdw(alpha, beta, 1.0)
    }

    /// Beta-discrete-Weibull parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value that is not finite and positive.
    pub fn bdw(alpha: f64, beta: f64, c: f64) -> Result<Self> {
        let p = ContractualParams { alpha, beta, c };
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        super::bgnbd::check_positive(
            &[(self.alpha, "alpha"), (self.beta, "beta"), (self.c, "c")],
            "contractual retention",
        )
    }

    fn ln_survival(&self, t: f64) -> f64 {
        if t == 0.0 {
            return 0.0;
        }
        ln_beta(self.alpha, self.beta + t.powf(self.c)) - ln_beta(self.alpha, self.beta)
    }

    /// Share of a cohort still a customer after `t` periods, `S(t) = B(α, β + t^c) / B(α, β)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `t` above 10⁹ periods.
    pub fn survival(&self, t: u32) -> Result<f64> {
        check_period(t)?;
        probability(self.ln_survival(f64::from(t)).exp(), "the survival", self)
    }

    /// Probability of churning in period `t >= 1`: `S(t-1) - S(t)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `t = 0` or above 10⁹.
    pub fn churn_probability(&self, t: u32) -> Result<f64> {
        check_period(t)?;
        if t == 0 {
            return Err(Error::InvalidParameter {
                name: "t",
                reason: "churn happens in periods 1, 2, ...: there is no period 0 churn".to_owned(),
            });
        }
        let tf = f64::from(t);
        let value = ln_sub_exp(self.ln_survival(tf - 1.0), self.ln_survival(tf)).exp();
        probability(value, "the churn probability", self)
    }

    /// Retention rate of period `t >= 1`, `S(t) / S(t-1)`: for the sBG `(β + t - 1) / (α + β +
    /// t - 1)`.
    ///
    /// # Errors
    /// As [`ContractualParams::churn_probability`].
    pub fn retention_rate(&self, t: u32) -> Result<f64> {
        self.churn_probability(t)?;
        let tf = f64::from(t);
        let value = (self.ln_survival(tf) - self.ln_survival(tf - 1.0)).exp();
        probability(value, "the retention rate", self)
    }

    /// Discounted expected residual lifetime (Fader & Hardie 2010) of a customer who has
    /// made `renewals` renewals (0 at acquisition) and faces the next renewal decision: the
    /// expected number of further payments, the next one undiscounted (it is due now) and
    /// each later one discounted by `1 / (1 + discount)` per period:
    ///
    /// ```text
    /// DERL = Σ_{k>=0} S(n + 1 + k) / S(n) / (1 + d)^k,   n = renewals
    /// ```
    ///
    /// For the sBG this is the paper's closed form `(β + n) / (α + β + n) · 2F1(1, β + n + 1;
    /// α + β + n + 1; 1 / (1 + d))`; for the BdW the series is summed to convergence.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a discount rate that is not positive and finite;
    /// [`Error::Undefined`] when the series does not converge.
    pub fn discounted_residual_lifetime(&self, discount: f64, renewals: u32) -> Result<f64> {
        if !(discount.is_finite() && discount >= MIN_DISCOUNT) {
            return Err(Error::InvalidParameter {
                name: "discount",
                reason: format!(
                    "{discount} is not a per-period discount rate of at least {MIN_DISCOUNT} \
                     (without discounting the residual lifetime of a heterogeneous cohort can \
                     be infinite)"
                ),
            });
        }
        check_period(renewals)?;
        let n = f64::from(renewals);
        let z = 1.0 / (1.0 + discount);
        if self.c == 1.0 {
            let (a, b) = (self.alpha, self.beta);
            let ln_hyp = ln_hyp2f1(1.0, b + n + 1.0, a + b + n + 1.0, z)?;
            return crate::error::finite_result(
                (b + n) / (a + b + n) * ln_hyp.exp(),
                "the discounted residual lifetime",
            );
        }
        let base = self.ln_survival(n);
        let mut sum = 0.0;
        for k in 0..DERL_MAX_TERMS {
            let k = k as f64;
            let term = (self.ln_survival(n + 1.0 + k) - base + k * z.ln()).exp();
            sum += term;
            if !sum.is_finite() {
                break;
            }
            // Survival ratios fall, so the tail is below the geometric bound term·z/(1-z).
            if term * z / (1.0 - z) <= 1e-15 * sum {
                return crate::error::finite_result(sum, "the discounted residual lifetime");
            }
        }
        Err(Error::Undefined {
            reason: format!(
                "the discounted residual lifetime does not converge within {DERL_MAX_TERMS} \
                 periods at discount {discount}: use a larger per-period discount rate"
            ),
        })
    }

    /// Log-likelihood of survivor counts `alive[0] >= alive[1] >= ...` (cohort size first).
    fn ln_likelihood(&self, alive: &[f64]) -> f64 {
        let mut ll = 0.0;
        for t in 1..alive.len() {
            let lost = alive[t - 1] - alive[t];
            if lost > 0.0 {
                let tf = t as f64;
                ll += lost * ln_sub_exp(self.ln_survival(tf - 1.0), self.ln_survival(tf));
            }
        }
        let last = alive.len() - 1;
        ll + alive[last] * self.ln_survival(last as f64)
    }
}

/// `value` when it is a probability; [`Error::Undefined`] when the parameters put it out of
/// f64's reach (a Beta shape near f64::MAX makes `ln B` an infinity minus an infinity).
fn probability(value: f64, what: &str, params: &ContractualParams) -> Result<f64> {
    if value.is_nan() || !(0.0..=1.0 + 1e-12).contains(&value) {
        return Err(Error::Undefined {
            reason: format!(
                "{what} cannot be evaluated in f64 under alpha = {}, beta = {}, c = {}",
                params.alpha, params.beta, params.c
            ),
        });
    }
    Ok(value.min(1.0))
}

fn check_period(t: u32) -> Result<()> {
    if t > 1_000_000_000 {
        return Err(Error::InvalidParameter {
            name: "t",
            reason: format!("{t} periods is beyond the 1e9 periods a projection may span"),
        });
    }
    Ok(())
}

/// A contractual-retention model fitted to one cohort's survivor counts.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContractualFit {
    params: ContractualParams,
    contract: Contract,
    estimates: Vec<Estimate>,
    log_likelihood: f64,
    cohort_size: f64,
    convergence: Convergence,
}

impl ContractualFit {
    /// Fits the model by maximum likelihood to `alive`: the cohort's size at period 0, then
    /// the customers still active after each period (as [`crate::cohort`] retention counts
    /// give them). Each churner contributes `ln P(T = t)`, each survivor of the last period
    /// `ln S(last)`.
    ///
    /// ```
    /// use saas_segmentation::clv::{Contract, ContractualFit};
    ///
    /// // The "regular" customers of Fader & Hardie (2007), years 0 to 7.
    /// let alive = [1000, 631, 468, 382, 326, 289, 262, 241];
    /// let fit = ContractualFit::fit(&alive, Contract::ShiftedBetaGeometric)?;
    /// assert!((fit.params().alpha - 0.704).abs() < 1e-3);
    /// assert!((fit.params().beta - 1.182).abs() < 1e-3);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than two counts, a zero cohort, or a count above
    /// the one before it (survivors cannot come back); [`Error::Undefined`] when nobody
    /// churned or everybody churned in period 1 (the likelihood has no interior maximum), or
    /// the fit diverges.
    pub fn fit(alive: &[u64], contract: Contract) -> Result<ContractualFit> {
        if alive.len() < 2 {
            return Err(Error::InvalidParameter {
                name: "alive",
                reason: format!(
                    "{} survivor counts given: pass the cohort size and at least one later \
                     period",
                    alive.len()
                ),
            });
        }
        if alive[0] == 0 {
            return Err(Error::InvalidParameter {
                name: "alive",
                reason: "the cohort at period 0 is empty".to_owned(),
            });
        }
        if let Some(t) = (1..alive.len()).find(|&t| alive[t] > alive[t - 1]) {
            return Err(Error::InvalidParameter {
                name: "alive",
                reason: format!(
                    "period {t} has {} customers, more than the {} of period {}: pass the \
                     survivors of the original cohort (non-increasing counts)",
                    alive[t],
                    alive[t - 1],
                    t - 1
                ),
            });
        }
        let last = *alive.last().unwrap_or(&0);
        if last == alive[0] || alive[1] == 0 {
            return Err(Error::Undefined {
                reason: "the cohort shows no churn, or churns entirely in period 1: the \
                         retention model's likelihood has no interior maximum; pass a longer \
                         or larger cohort"
                    .to_owned(),
            });
        }
        let counts: Vec<f64> = alive.iter().map(|v| *v as f64).collect();
        let size = counts[0];
        let weibull = contract == Contract::BetaDiscreteWeibull;
        let params_of = |theta: &[f64]| -> Option<ContractualParams> {
            let c = if weibull { theta[2].exp() } else { 1.0 };
            ContractualParams::bdw(theta[0].exp(), theta[1].exp(), c).ok()
        };
        let value = |theta: &[f64]| -> Option<f64> {
            let v = -params_of(theta)?.ln_likelihood(&counts) / size;
            v.is_finite().then_some(v)
        };
        let f = optimize::with_numeric_gradient(value);
        let start = if weibull { vec![0.0; 3] } else { vec![0.0; 2] };
        let names: &[&'static str] = if weibull {
            &["alpha", "beta", "c"]
        } else {
            &["alpha", "beta"]
        };
        let m = fit::fit_log_params(&f, &start, names, "contractual retention")?;
        let hessian = optimize::hessian_from_values(&value, &m.x);
        let params = params_of(&m.x).ok_or_else(|| Error::Undefined {
            reason: "the retention fit left the parameter space".to_owned(),
        })?;
        let values: Vec<f64> = m.x.iter().map(|v| v.exp()).collect();
        Ok(ContractualFit {
            params,
            contract,
            estimates: fit::estimates(names, &values, hessian, size),
            log_likelihood: params.ln_likelihood(&counts),
            cohort_size: size,
            convergence: Convergence::from(&m),
        })
    }

    /// The fitted parameters.
    #[must_use]
    pub fn params(&self) -> &ContractualParams {
        &self.params
    }

    /// Which curve was fitted.
    #[must_use]
    pub fn contract(&self) -> Contract {
        self.contract
    }

    /// Estimates with standard errors (numerical Hessian), order `alpha`, `beta` (, `c`).
    #[must_use]
    pub fn estimates(&self) -> &[Estimate] {
        &self.estimates
    }

    /// Log-likelihood at the optimum.
    #[must_use]
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Projected survivors of the fitted cohort for periods `0..=horizon`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a horizon above 10⁶ periods.
    pub fn projected_alive(&self, horizon: u32) -> Result<Vec<f64>> {
        if horizon > 1_000_000 {
            return Err(Error::InvalidParameter {
                name: "horizon",
                reason: format!("{horizon} periods: project at most 1e6 periods"),
            });
        }
        (0..=horizon)
            .map(|t| Ok(self.cohort_size * self.params.survival(t)?))
            .collect()
    }

    /// How the optimizer ended.
    #[must_use]
    pub fn convergence(&self) -> Convergence {
        self.convergence
    }
}
