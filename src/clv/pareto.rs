//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), as lifetimes'
//! `ParetoNBDFitter`.

use statrs::function::gamma::ln_gamma;

use crate::error::{Error, Result};

use super::bgnbd::check_positive;
use super::fit::{self, check_penalizer, check_time, Convergence, Estimate};
use super::histories::Histories;
use super::optimize;
use super::special::{
    inverse_logit_of_odds, ln_add_exp, ln_hyp2f1_bounded, ln_sub_exp, FIT_MAX_TERMS,
    HYP2F1_MAX_TERMS,
};
use super::TransactionModel;

/// Pareto/NBD parameters: purchase rates Gamma(`r`, `alpha`), drop-out rates
/// Gamma(`s`, `beta`) across customers. Loading through `Deserialize` checks all four are
/// finite and positive.
///
/// ```
/// use saas_segmentation::clv::ParetoNbdParams;
///
/// let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67)?;
/// let alive = p.p_alive(2.0, 30.43, 38.86)?;
/// assert!(alive > 0.0 && alive < 1.0);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ParetoNbdParams {
    /// Shape of the Gamma distribution of purchase rates.
    pub r: f64,
    /// Scale (time units) of the Gamma distribution of purchase rates.
    pub alpha: f64,
    /// Shape of the Gamma distribution of drop-out rates.
    pub s: f64,
    /// Scale (time units) of the Gamma distribution of drop-out rates.
    pub beta: f64,
}

checked_serde!(ParetoNbdParams, ParetoNbdParams::check);

impl ParetoNbdParams {
    /// Parameters from known values.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value that is not finite and positive.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        let p = ParetoNbdParams { r, alpha, s, beta };
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        check_positive(
            &[
                (self.r, "r"),
                (self.alpha, "alpha"),
                (self.s, "s"),
                (self.beta, "beta"),
            ],
            "Pareto/NBD",
        )
    }

    /// `ln A₀` of lifetimes' likelihood: the integral over the unobserved drop-out time
    /// between the last purchase and `T`.
    fn ln_a0(&self, x: f64, t_x: f64, t: f64, terms: usize) -> Result<f64> {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let (low, high, second) = if alpha < beta {
            (alpha, beta, r + x)
        } else {
            (beta, alpha, s + 1.0)
        };
        let gap = high - low;
        let rsx = r + s + x;
        let l1 = ln_hyp2f1_bounded(rsx, second, rsx + 1.0, gap / (high + t_x), terms)?
            - rsx * (high + t_x).ln();
        let l2 = ln_hyp2f1_bounded(rsx, second, rsx + 1.0, gap / (high + t), terms)?
            - rsx * (high + t).ln();
        Ok(ln_sub_exp(l1, l2))
    }

    fn ln_likelihood(&self, x: f64, t_x: f64, t: f64, terms: usize) -> Result<f64> {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        let alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
        let dropped = s.ln() + self.ln_a0(x, t_x, t, terms)? - (r + s + x).ln();
        Ok(a1 + ln_add_exp(alive, dropped))
    }

    /// Summed log-likelihood of the histories.
    ///
    /// # Errors
    /// [`Error::Undefined`] when a hypergeometric term does not converge or the sum
    /// overflows.
    pub fn log_likelihood(&self, histories: &Histories<'_>) -> Result<f64> {
        let mut total = 0.0;
        for i in 0..histories.len() {
            total += self.ln_likelihood(
                histories.frequency()[i],
                histories.recency()[i],
                histories.age()[i],
                HYP2F1_MAX_TERMS,
            )?;
        }
        crate::error::finite_result(total, "the Pareto/NBD log-likelihood")
    }

    /// Probability that a customer with history `(x, t_x, T)` is alive, lifetimes'
    /// `conditional_probability_alive`.
    ///
    /// # Errors
    /// As [`Histories::new`] for the history; [`Error::Undefined`] when a hypergeometric term
    /// does not converge.
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        Histories::new(&[x], &[t_x], &[t.max(f64::MIN_POSITIVE)])?;
        self.p_alive_unchecked(x, t_x, t)
    }

    fn p_alive_unchecked(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let log_odds = s.ln() - (r + s + x).ln()
            + (r + x) * (alpha + t).ln()
            + s * (beta + t).ln()
            + self.ln_a0(x, t_x, t, HYP2F1_MAX_TERMS)?;
        inverse_logit_of_odds(log_odds, "Pareto/NBD")
    }

    /// `(1 - u^(s-1)) / (s - 1)`, its limit `-ln u` at `s = 1`.
    fn tail(&self, u: f64) -> f64 {
        let k = self.s - 1.0;
        if k.abs() < 1e-12 {
            -u.ln()
        } else {
            -(k * u.ln()).exp_m1() / k
        }
    }

    /// Expected purchases in `(0, t]` of a new customer, lifetimes'
    /// `expected_number_of_purchases_up_to_time`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `t`.
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_time(t, "t")?;
        let ParetoNbdParams {
            r,
            alpha,
            s: _,
            beta,
        } = *self;
        let value = r * beta / alpha * self.tail(beta / (beta + t));
        crate::error::finite_result(value, "the expected number of purchases")
    }

    /// Expected purchases in `(T, T + t]` of a customer with history `(x, t_x, T)`, lifetimes'
    /// `conditional_expected_number_of_purchases_up_to_time`.
    ///
    /// # Errors
    /// As [`ParetoNbdParams::p_alive`]; [`Error::InvalidParameter`] for a bad `t`.
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        x: f64,
        t_x: f64,
        age: f64,
    ) -> Result<f64> {
        check_time(t, "t")?;
        Histories::new(&[x], &[t_x], &[age.max(f64::MIN_POSITIVE)])?;
        self.conditional_unchecked(t, x, t_x, age)
    }

    fn conditional_unchecked(&self, t: f64, x: f64, t_x: f64, age: f64) -> Result<f64> {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let likelihood = self.ln_likelihood(x, t_x, age, HYP2F1_MAX_TERMS)?;
        let first = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln()
            - (r + x) * (alpha + age).ln()
            - s * (beta + age).ln();
        let second = (r + x).ln() + (beta + age).ln() - (alpha + age).ln();
        let tail = self.tail((beta + age) / (beta + age + t));
        let value = if tail > 0.0 {
            (first + second + tail.ln() - likelihood).exp()
        } else {
            0.0
        };
        crate::error::finite_result(value, "the conditional expected number of purchases")
    }
}

impl TransactionModel for ParetoNbdParams {
    fn name(&self) -> &'static str {
        "Pareto/NBD"
    }

    fn p_alive_all(&self, histories: &Histories<'_>) -> Result<Vec<f64>> {
        histories
            .map(|x, t_x, age| self.p_alive_unchecked(x, t_x, age))
            .collect()
    }

    fn conditional_expected_all(&self, t: f64, histories: &Histories<'_>) -> Result<Vec<f64>> {
        check_time(t, "t")?;
        histories
            .map(|x, t_x, age| self.conditional_unchecked(t, x, t_x, age))
            .collect()
    }
}

/// Options of [`ParetoNbd::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ParetoNbdOptions {
    penalizer: f64,
}

impl ParetoNbdOptions {
    /// No penalty (lifetimes' default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// lifetimes' `penalizer_coef`: adds `penalizer · (r² + α² + s² + β²)` to the summed
    /// negative log-likelihood (lifetimes divides by the mean weight, 1 here), with `α` and
    /// `β` on the time scale of ages divided by the largest age.
    #[must_use]
    pub fn penalizer(mut self, penalizer: f64) -> Self {
        self.penalizer = penalizer;
        self
    }
}

/// A fitted Pareto/NBD model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ParetoNbd {
    params: ParetoNbdParams,
    estimates: Vec<Estimate>,
    log_likelihood: f64,
    customers: usize,
    convergence: Convergence,
}

const NAMES: [&str; 4] = ["r", "alpha", "s", "beta"];

impl ParetoNbd {
    /// Fits Pareto/NBD by maximum likelihood on lifetimes' objective (summed negative
    /// log-likelihood plus the penalizer, on ages scaled by the largest age). lifetimes runs
    /// Nelder-Mead from a random start to `tol=1e-4`; this runs BFGS on a central-difference
    /// gradient from `ln` parameters 0 and polishes with Newton steps, so its log-likelihood
    /// is at least as high.
    ///
    /// ```
    /// use saas_segmentation::clv::{Histories, ParetoNbd, ParetoNbdOptions};
    ///
    /// let frequency = [0.0, 1.0, 3.0, 0.0, 5.0, 2.0, 0.0, 1.0];
    /// let recency = [0.0, 10.0, 30.0, 0.0, 35.0, 12.0, 0.0, 3.0];
    /// let age = [40.0, 40.0, 38.0, 20.0, 36.0, 30.0, 12.0, 25.0];
    /// let histories = Histories::new(&frequency, &recency, &age)?;
    /// let model = ParetoNbd::fit(&histories, ParetoNbdOptions::new().penalizer(0.1))?;
    /// assert!(model.log_likelihood() < 0.0);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`crate::clv::BetaGeo::fit`].
    pub fn fit(histories: &Histories<'_>, options: ParetoNbdOptions) -> Result<ParetoNbd> {
        let penalizer = check_penalizer(options.penalizer)?;
        if histories.frequency().iter().all(|x| *x == 0.0) {
            return Err(Error::Undefined {
                reason: "no customer has a repeat purchase: Pareto/NBD cannot separate \
                         purchase rates from drop-out; observe longer"
                    .to_owned(),
            });
        }
        let scale = 1.0 / histories.max_age();
        let mut rows = histories.compressed();
        for row in &mut rows {
            row.1 *= scale;
            row.2 *= scale;
        }
        let total = histories.len() as f64;
        let value = |theta: &[f64]| -> Option<f64> {
            let p: Vec<f64> = theta.iter().map(|v| v.exp()).collect();
            let params = ParetoNbdParams::new(p[0], p[1], p[2], p[3]).ok()?;
            let mut ll = 0.0;
            for &(x, t_x, t, w) in &rows {
                ll += w * params.ln_likelihood(x, t_x, t, FIT_MAX_TERMS).ok()?;
            }
            let v = (-ll + penalizer * p.iter().map(|v| v * v).sum::<f64>()) / total;
            v.is_finite().then_some(v)
        };
        let f = optimize::with_numeric_gradient(value);
        let m = fit::fit_log_params(&f, &[0.0; 4], &NAMES, "Pareto/NBD")?;
        let hessian = optimize::hessian_from_values(&value, &m.x);
        let mut values: Vec<f64> = m.x.iter().map(|v| v.exp()).collect();
        values[1] /= scale;
        values[3] /= scale;
        let params = ParetoNbdParams::new(values[0], values[1], values[2], values[3])?;
        let log_likelihood = params.log_likelihood(histories)?;
        Ok(ParetoNbd {
            params,
            estimates: fit::estimates(&NAMES, &values, hessian, total),
            log_likelihood,
            customers: histories.len(),
            convergence: Convergence::from(&m),
        })
    }

    /// The fitted parameters, scales in the histories' time unit.
    #[must_use]
    pub fn params(&self) -> &ParetoNbdParams {
        &self.params
    }

    /// Estimates with standard errors (from the numerical Hessian), order `r`, `alpha`, `s`,
    /// `beta`.
    #[must_use]
    pub fn estimates(&self) -> &[Estimate] {
        &self.estimates
    }

    /// Summed log-likelihood in the histories' time unit.
    #[must_use]
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Customers fitted.
    #[must_use]
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// How the optimizer ended.
    #[must_use]
    pub fn convergence(&self) -> Convergence {
        self.convergence
    }
}
