//! The BG/NBD model (Fader, Hardie & Lee 2005), as lifetimes' `BetaGeoFitter`.

use statrs::function::gamma::{digamma, ln_gamma};

use crate::error::{Error, Result};

use super::fit::{self, check_penalizer, check_time, Convergence, Estimate};
use super::histories::Histories;
use super::special::{hyp2f1_signed, inverse_logit_of_odds, ln_add_exp};
use super::TransactionModel;

/// BG/NBD parameters: purchase rates are Gamma(`r`, `alpha`) across customers, the drop-out
/// probability after each purchase is Beta(`a`, `b`). Times are in the unit of the histories.
///
/// Loading through `Deserialize` checks that all four are finite and positive.
///
/// ```
/// use saas_segmentation::clv::BetaGeoParams;
///
/// // The CDNOW estimates of Fader, Hardie & Lee (2005), time in weeks.
/// let p = BetaGeoParams::new(0.243, 4.414, 0.793, 2.426)?;
/// // A customer with 2 repeat purchases, the last at week 30.43, observed for 38.86 weeks.
/// let alive = p.p_alive(2.0, 30.43, 38.86)?;
/// assert!((0.0..=1.0).contains(&alive));
/// let next_year = p.conditional_expected_purchases(52.0, 2.0, 30.43, 38.86)?;
/// assert!(next_year > 0.0);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct BetaGeoParams {
    /// Shape of the Gamma distribution of purchase rates.
    pub r: f64,
    /// Scale (in time units) of the Gamma distribution of purchase rates.
    pub alpha: f64,
    /// First shape of the Beta distribution of drop-out probabilities.
    pub a: f64,
    /// Second shape of the Beta distribution of drop-out probabilities.
    pub b: f64,
}

checked_serde!(BetaGeoParams, BetaGeoParams::check);

pub(crate) fn check_positive(values: &[(f64, &'static str)], model: &str) -> Result<()> {
    for &(v, name) in values {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidParameter {
                name,
                reason: format!("{model} parameter {name} is {v}: it must be finite and > 0"),
            });
        }
    }
    Ok(())
}

impl BetaGeoParams {
    /// Parameters from known values.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value that is not finite and positive.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        let p = BetaGeoParams { r, alpha, a, b };
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        check_positive(
            &[
                (self.r, "r"),
                (self.alpha, "alpha"),
                (self.a, "a"),
                (self.b, "b"),
            ],
            "BG/NBD",
        )
    }

    /// Log-likelihood of one history (equation 6 of Fader, Hardie & Lee 2005).
    fn ln_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let BetaGeoParams { r, alpha, a, b } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + t).ln();
        if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
            a1 + a2 + ln_add_exp(a3, a4)
        } else {
            a1 + a2 + a3
        }
    }

    /// Summed log-likelihood of the histories.
    ///
    /// # Errors
    /// [`Error::Undefined`] when it overflows f64.
    pub fn log_likelihood(&self, histories: &Histories<'_>) -> Result<f64> {
        let total: f64 = histories
            .map(|x, t_x, age| self.ln_likelihood(x, t_x, age))
            .sum();
        crate::error::finite_result(total, "the BG/NBD log-likelihood")
    }

    /// Probability that a customer with history `(x, t_x, T)` is still alive, lifetimes'
    /// `conditional_probability_alive`: 1 for a customer without repeat purchases (the model
    /// lets customers drop out only right after a purchase).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] or [`Error::OutOfRange`] for a history that
    /// [`Histories::new`] would refuse.
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        Histories::new(&[x], &[t_x], &[t.max(f64::MIN_POSITIVE)])?;
        self.p_alive_unchecked(x, t_x, t)
    }

    fn p_alive_unchecked(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        if x == 0.0 {
            return Ok(1.0);
        }
        let BetaGeoParams { r, alpha, a, b } = *self;
        let log_odds =
            a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + t).ln() - (alpha + t_x).ln());
        inverse_logit_of_odds(log_odds, "BG/NBD")
    }

    /// Expected repeat purchases in `(0, t]` of a new customer, lifetimes'
    /// `expected_number_of_purchases_up_to_time` (equation 7).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `t`; [`Error::Undefined`] for
    /// `a = 1` exactly (the closed form divides by `a - 1`) or when a term leaves f64.
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_time(t, "t")?;
        let BetaGeoParams { r, alpha, a, b } = *self;
        self.finite_mean()?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let (ln_hyp, sign) = hyp2f1_signed(r, b, a + b - 1.0, t / (alpha + t))?;
        let value =
            (a + b - 1.0) / (a - 1.0) * one_minus(sign, ln_hyp + r * (alpha / (alpha + t)).ln());
        crate::error::finite_result(value, "the expected number of purchases")
    }

    fn finite_mean(&self) -> Result<()> {
        if self.a == 1.0 {
            return Err(Error::Undefined {
                reason: "BG/NBD a = 1 exactly: the expectation formula divides by a - 1; \
                         perturb a or refit"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// Expected repeat purchases in `(T, T + t]` of a customer with history `(x, t_x, T)`,
    /// lifetimes' `conditional_expected_number_of_purchases_up_to_time` (equation 10).
    ///
    /// # Errors
    /// As [`BetaGeoParams::p_alive`] and [`BetaGeoParams::expected_purchases`].
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        x: f64,
        t_x: f64,
        age: f64,
    ) -> Result<f64> {
        check_time(t, "t")?;
        Histories::new(&[x], &[t_x], &[age.max(f64::MIN_POSITIVE)])?;
        self.finite_mean()?;
        self.conditional_unchecked(t, x, t_x, age)
    }

    fn conditional_unchecked(&self, t: f64, x: f64, t_x: f64, age: f64) -> Result<f64> {
        if t == 0.0 {
            return Ok(0.0);
        }
        let BetaGeoParams { r, alpha, a, b } = *self;
        let z = t / (alpha + age + t);
        let (ln_hyp, sign) = hyp2f1_signed(r + x, b + x, a + b + x - 1.0, z)?;
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = one_minus(
            sign,
            ln_hyp + (r + x) * ((alpha + age) / (alpha + t + age)).ln(),
        );
        let value = first * second * self.p_alive_unchecked(x, t_x, age)?;
        crate::error::finite_result(value, "the conditional expected number of purchases")
    }

    /// Probability that a new customer makes exactly `n` repeat purchases in `(0, t]`,
    /// lifetimes' `probability_of_n_purchases_up_to_time` (equation 8).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `t`.
    pub fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
        check_time(t, "t")?;
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let BetaGeoParams { r, alpha, a, b } = *self;
        let nf = f64::from(n);
        let ln_beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
        let ln_ratio = (alpha / (alpha + t)).ln();
        let ln_share = if t == 0.0 {
            f64::NEG_INFINITY
        } else {
            (t / (alpha + t)).ln()
        };
        let ln_nb = |j: f64| {
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0)
                + r * ln_ratio
                + if j == 0.0 { 0.0 } else { j * ln_share }
        };
        let first = (ln_beta(a, b + nf) - ln_beta(a, b) + ln_nb(nf)).exp();
        let second = if n > 0 {
            // 1 - Σ_{j<n} NB(j): the probability of at least n purchases while alive.
            let below: f64 = (0..n).map(|j| ln_nb(f64::from(j)).exp()).sum();
            (ln_beta(a + 1.0, b + nf - 1.0) - ln_beta(a, b)).exp() * (1.0 - below).max(0.0)
        } else {
            0.0
        };
        let value = first + second;
        if !value.is_finite() {
            return Err(Error::Undefined {
                reason: format!(
                    "P(X({t}) = {n}) cannot be evaluated in f64 under these parameters \
                     (r = {r}, alpha = {alpha}, a = {a}, b = {b})"
                ),
            });
        }
        Ok(value.clamp(0.0, 1.0))
    }
}

/// `1 - sign · e^ln_value`, without cancellation when the product is near 1.
fn one_minus(sign: f64, ln_value: f64) -> f64 {
    if sign > 0.0 {
        -ln_value.exp_m1()
    } else {
        1.0 + ln_value.exp()
    }
}

impl TransactionModel for BetaGeoParams {
    fn name(&self) -> &'static str {
        "BG/NBD"
    }

    fn p_alive_all(&self, histories: &Histories<'_>) -> Result<Vec<f64>> {
        histories
            .map(|x, t_x, age| self.p_alive_unchecked(x, t_x, age))
            .collect()
    }

    fn conditional_expected_all(&self, t: f64, histories: &Histories<'_>) -> Result<Vec<f64>> {
        check_time(t, "t")?;
        self.finite_mean()?;
        histories
            .map(|x, t_x, age| self.conditional_unchecked(t, x, t_x, age))
            .collect()
    }
}

/// Options of [`BetaGeo::fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaGeoOptions {
    penalizer: f64,
}

impl Default for BetaGeoOptions {
    fn default() -> Self {
        BetaGeoOptions { penalizer: 0.0 }
    }
}

impl BetaGeoOptions {
    /// No penalty (lifetimes' default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// lifetimes' `penalizer_coef`: adds `penalizer · (r² + α² + a² + b²)` to the mean
    /// negative log-likelihood, with `α` on lifetimes' time scale (ages divided by the
    /// largest age). Pulls parameters off the boundary on degenerate data.
    #[must_use]
    pub fn penalizer(mut self, penalizer: f64) -> Self {
        self.penalizer = penalizer;
        self
    }
}

/// A fitted BG/NBD model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BetaGeo {
    params: BetaGeoParams,
    estimates: Vec<Estimate>,
    log_likelihood: f64,
    objective: f64,
    customers: usize,
    convergence: Convergence,
}

const NAMES: [&str; 4] = ["r", "alpha", "a", "b"];

/// Mean negative log-likelihood and its gradient in `ln(r, α, a, b)` over compressed histories
/// `(x, t_x, T, count)`; `by_x` holds the distinct frequencies with their total counts.
/// Compressed histories with their ages as indices into a table of distinct ages, so one
/// evaluation takes `ln(α + age)` once per distinct age (integer-day data has a few hundred)
/// instead of twice per customer.
struct Indexed {
    /// `(x, index of t_x, index of T, count)`, sorted by x.
    rows: Vec<(f64, u32, u32, f64)>,
    /// Distinct ages (recencies and T), ascending.
    ages: Vec<f64>,
}

impl Indexed {
    fn new(rows: &[(f64, f64, f64, f64)]) -> Indexed {
        let mut ages: Vec<f64> = rows.iter().flat_map(|r| [r.1, r.2]).collect();
        ages.sort_unstable_by(f64::total_cmp);
        ages.dedup();
        let at = |v: f64| ages.partition_point(|a| *a < v) as u32;
        let rows = rows
            .iter()
            .map(|&(x, tx, t, w)| (x, at(tx), at(t), w))
            .collect();
        Indexed { rows, ages }
    }
}

fn objective(
    theta: &[f64],
    data: &Indexed,
    by_x: &[(f64, f64)],
    total: f64,
    penalizer: f64,
) -> Option<(f64, Vec<f64>)> {
    let (r, alpha, a, b) = (
        theta[0].exp(),
        theta[1].exp(),
        theta[2].exp(),
        theta[3].exp(),
    );
    if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
        return None;
    }
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
    let (dg_r, dg_b, dg_ab) = (digamma(r), digamma(b), digamma(a + b));
    let (mut ll, mut gr, mut galpha, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
    // Terms that depend on the frequency only.
    for &(x, w) in by_x {
        ll += w
            * (ln_gamma(r + x) - lg_r + r * ln_alpha + lg_ab + ln_gamma(b + x)
                - lg_b
                - ln_gamma(a + b + x));
        gr += w * (digamma(r + x) - dg_r + ln_alpha);
        galpha += w * r / alpha;
        let dg_abx = digamma(a + b + x);
        ga += w * (dg_ab - dg_abx);
        gb += w * (dg_ab + digamma(b + x) - dg_b - dg_abx);
    }
    // The per-history mixture of "alive at T" and "dropped out after the last purchase".
    let mut last_x = f64::NAN;
    let mut ln_bx1 = 0.0;
    let ln_age: Vec<f64> = data.ages.iter().map(|v| (alpha + v).ln()).collect();
    let inv_age: Vec<f64> = data.ages.iter().map(|v| 1.0 / (alpha + v)).collect();
    for &(x, i_tx, i_t, w) in &data.rows {
        let (i_tx, i_t) = (i_tx as usize, i_t as usize);
        let ln_at = ln_age[i_t];
        let a3 = -(r + x) * ln_at;
        if x == 0.0 {
            ll += w * a3;
            gr -= w * ln_at;
            galpha -= w * (r + x) * inv_age[i_t];
            continue;
        }
        if x != last_x {
            last_x = x;
            ln_bx1 = (b + x - 1.0).ln();
        }
        let ln_atx = ln_age[i_tx];
        let a4 = ln_a - ln_bx1 - (r + x) * ln_atx;
        let d = a4 - a3;
        // w4 = e^a4 / (e^a3 + e^a4), computed without overflow.
        let (mix, w4) = if d > 0.0 {
            let e = (-d).exp();
            (a4 + e.ln_1p(), 1.0 / (1.0 + e))
        } else {
            let e = d.exp();
            (a3 + e.ln_1p(), e / (1.0 + e))
        };
        let w3 = 1.0 - w4;
        ll += w * mix;
        gr -= w * (w3 * ln_at + w4 * ln_atx);
        galpha -= w * (r + x) * (w3 * inv_age[i_t] + w4 * inv_age[i_tx]);
        ga += w * w4 / a;
        gb -= w * w4 / (b + x - 1.0);
    }
    let value = -ll / total + penalizer * (r * r + alpha * alpha + a * a + b * b);
    let p = [r, alpha, a, b];
    let g = [gr, galpha, ga, gb];
    let gradient: Vec<f64> = (0..4)
        .map(|i| -g[i] * p[i] / total + 2.0 * penalizer * p[i] * p[i])
        .collect();
    (value.is_finite() && gradient.iter().all(|v| v.is_finite())).then_some((value, gradient))
}

/// Groups the compressed rows' counts by frequency.
pub(crate) fn counts_by_frequency(rows: &[(f64, f64, f64, f64)]) -> Vec<(f64, f64)> {
    let mut by_x: Vec<(f64, f64)> = Vec::new();
    for &(x, _, _, w) in rows {
        match by_x.last_mut() {
            Some(last) if last.0 == x => last.1 += w,
            _ => by_x.push((x, w)),
        }
    }
    by_x
}

impl BetaGeo {
    /// Fits BG/NBD by maximum likelihood, as lifetimes' `BetaGeoFitter().fit(frequency,
    /// recency, T)`: the same objective (mean negative log-likelihood plus the penalizer, on
    /// ages scaled by the largest age) and starting point (`ln` parameters all 0.1); BFGS with
    /// the analytic gradient, then Newton steps, to a gradient below 1e-9 (lifetimes stops at
    /// scipy BFGS's `tol=1e-7`, so this optimum is at least as good).
    ///
    /// ```
    /// use saas_segmentation::clv::{BetaGeo, BetaGeoOptions, Histories, TransactionModel};
    ///
    /// let frequency = [0.0, 1.0, 3.0, 0.0, 5.0, 2.0, 0.0, 1.0];
    /// let recency = [0.0, 10.0, 30.0, 0.0, 35.0, 12.0, 0.0, 3.0];
    /// let age = [40.0, 40.0, 38.0, 20.0, 36.0, 30.0, 12.0, 25.0];
    /// let histories = Histories::new(&frequency, &recency, &age)?;
    /// let model = BetaGeo::fit(&histories, BetaGeoOptions::new().penalizer(0.01))?;
    /// let alive = model.params().p_alive_all(&histories)?;
    /// assert!(alive.iter().all(|p| (0.0..=1.0).contains(p)));
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad penalizer; [`Error::Undefined`] when no customer
    /// has a repeat purchase (nothing identifies the drop-out process) or the likelihood has no
    /// interior maximum (a parameter runs to 0 or infinity: add a penalizer).
    pub fn fit(histories: &Histories<'_>, options: BetaGeoOptions) -> Result<BetaGeo> {
        let penalizer = check_penalizer(options.penalizer)?;
        if histories.frequency().iter().all(|x| *x == 0.0) {
            return Err(Error::Undefined {
                reason: "no customer has a repeat purchase: BG/NBD cannot separate purchase \
                         rates from drop-out; observe longer or summarize by a finer period"
                    .to_owned(),
            });
        }
        let scale = 1.0 / histories.max_age();
        let mut rows = histories.compressed();
        for row in &mut rows {
            row.1 *= scale;
            row.2 *= scale;
        }
        let by_x = counts_by_frequency(&rows);
        let indexed = Indexed::new(&rows);
        let total = histories.len() as f64;
        let f = |theta: &[f64]| objective(theta, &indexed, &by_x, total, penalizer);
        let m = fit::fit_log_params(&f, &[0.1; 4], &NAMES, "BG/NBD")?;
        let hessian = super::optimize::hessian_from_gradient(&f, &m.x);
        let mut values: Vec<f64> = m.x.iter().map(|v| v.exp()).collect();
        values[1] /= scale;
        let params = BetaGeoParams::new(values[0], values[1], values[2], values[3])?;
        let log_likelihood = params.log_likelihood(histories)?;
        Ok(BetaGeo {
            params,
            estimates: fit::estimates(&NAMES, &values, hessian, total),
            log_likelihood,
            objective: m.value,
            customers: histories.len(),
            convergence: Convergence::from(&m),
        })
    }

    /// The fitted parameters, with the scale `alpha` in the histories' time unit.
    #[must_use]
    pub fn params(&self) -> &BetaGeoParams {
        &self.params
    }

    /// Estimates with standard errors, in the order `r`, `alpha`, `a`, `b`.
    #[must_use]
    pub fn estimates(&self) -> &[Estimate] {
        &self.estimates
    }

    /// Summed log-likelihood of the fitted histories, in their time unit (lifetimes reports
    /// the mean negative log-likelihood on its scaled time instead: see
    /// [`BetaGeo::objective`]).
    #[must_use]
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// The minimized objective, lifetimes' `_negative_log_likelihood_`: mean negative
    /// log-likelihood on ages scaled by the largest age, plus the penalty.
    #[must_use]
    pub fn objective(&self) -> f64 {
        self.objective
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
