//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005b), as lifetimes' `GammaGammaFitter`.

use statrs::function::gamma::{digamma, ln_gamma};

use crate::error::{Error, Result};

use super::bgnbd::check_positive;
use super::fit::{self, check_penalizer, Convergence, Estimate};

/// Gamma-Gamma parameters: a transaction's value is Gamma(`p`, ν) with ν ~ Gamma(`q`, `v`)
/// across customers. Loading through `Deserialize` checks all three are finite and positive.
///
/// ```
/// use saas_segmentation::clv::GammaGammaParams;
///
/// // The CDNOW estimates of Fader, Hardie & Lee (2005b).
/// let p = GammaGammaParams::new(6.25, 3.74, 15.44)?;
/// // A customer with 3 repeat purchases averaging 20: shrunk towards the population mean.
/// let expected = p.expected_average_value(3.0, 20.0)?;
/// assert!(expected > 20.0 && expected < p.population_mean()?);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct GammaGammaParams {
    /// Shape of a transaction's value.
    pub p: f64,
    /// Shape of the distribution of the value rate across customers.
    pub q: f64,
    /// Scale of the distribution of the value rate across customers.
    pub v: f64,
}

checked_serde!(GammaGammaParams, GammaGammaParams::check);

impl GammaGammaParams {
    /// Parameters from known values.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value that is not finite and positive.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self> {
        let params = GammaGammaParams { p, q, v };
        params.check()?;
        Ok(params)
    }

    fn check(&self) -> Result<()> {
        check_positive(
            &[(self.p, "p"), (self.q, "q"), (self.v, "v")],
            "Gamma-Gamma",
        )
    }

    /// Mean transaction value across customers, `p v / (q - 1)`.
    ///
    /// # Errors
    /// [`Error::Undefined`] for `q <= 1`, where the mean is infinite.
    pub fn population_mean(&self) -> Result<f64> {
        if self.q <= 1.0 {
            return Err(Error::Undefined {
                reason: format!(
                    "Gamma-Gamma q = {} <= 1: the mean transaction value is infinite under \
                     these parameters; refit with a penalizer",
                    self.q
                ),
            });
        }
        crate::error::finite_result(self.p * self.v / (self.q - 1.0), "the mean value")
    }

    /// Expected average transaction value of a customer with `x` repeat purchases averaging
    /// `m`, lifetimes' `conditional_expected_average_profit`: a weighted mean of the population
    /// mean and `m`, the weight on `m` growing with `x`. A customer without repeat purchases
    /// gets the population mean.
    ///
    /// # Errors
    /// As [`GammaGammaParams::population_mean`]; [`Error::OutOfRange`] for a negative or
    /// fractional `x` or a negative or non-finite `m`.
    pub fn expected_average_value(&self, x: f64, m: f64) -> Result<f64> {
        let record = || "history".to_owned();
        crate::error::ensure_non_negative(x, record, "frequency")?;
        crate::error::ensure_non_negative(m, record, "monetary value")?;
        let mean = self.population_mean()?;
        let weight = self.p * x / (self.p * x + self.q - 1.0);
        crate::error::finite_result((1.0 - weight) * mean + weight * m, "the expected value")
    }
}

/// Options of [`GammaGamma::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GammaGammaOptions {
    penalizer: f64,
    skip_non_positive: bool,
}

impl GammaGammaOptions {
    /// No penalty (lifetimes' default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// lifetimes' `penalizer_coef`: adds `penalizer · (p² + q² + v²)` to the mean negative
    /// log-likelihood.
    #[must_use]
    pub fn penalizer(mut self, penalizer: f64) -> Self {
        self.penalizer = penalizer;
        self
    }

    /// Leaves out returning customers whose average spend is 0 or negative (refunds netted
    /// against purchases), counting them in [`GammaGamma::non_positive_left_out`], instead of
    /// refusing the data. The model needs positive spend; lifetimes' docs filter
    /// `monetary_value > 0` the same way.
    #[must_use]
    pub fn skip_non_positive(mut self, skip: bool) -> Self {
        self.skip_non_positive = skip;
        self
    }
}

/// A fitted Gamma-Gamma model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GammaGamma {
    params: GammaGammaParams,
    estimates: Vec<Estimate>,
    log_likelihood: f64,
    objective: f64,
    customers: usize,
    left_out: usize,
    non_positive_left_out: usize,
    frequency_value_correlation: Option<f64>,
    convergence: Convergence,
}

const NAMES: [&str; 3] = ["p", "q", "v"];

fn objective(
    theta: &[f64],
    rows: &[(f64, f64, f64)],
    by_x: &[(f64, f64, f64)],
    total: f64,
    penalizer: f64,
) -> Option<(f64, Vec<f64>)> {
    let (p, q, v) = (theta[0].exp(), theta[1].exp(), theta[2].exp());
    if ![p, q, v].iter().all(|x| x.is_finite() && *x > 0.0) {
        return None;
    }
    let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
    let (mut ll, mut gp, mut gq, mut gv) = (0.0, 0.0, 0.0, 0.0);
    // by_x: (x, count, Σ ln m over the group).
    for &(x, w, sum_ln_m) in by_x {
        let px = p * x;
        let (dg_pxq, dg_px) = (digamma(px + q), digamma(px));
        ll += w * (ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * x.ln())
            + (px - 1.0) * sum_ln_m;
        gp += w * x * (dg_pxq - dg_px + x.ln()) + x * sum_ln_m;
        gq += w * (dg_pxq - dg_q + ln_v);
        gv += w * q / v;
    }
    // rows: (x, m, count).
    for &(x, m, w) in rows {
        let s = x * m + v;
        let ln_s = s.ln();
        let px = p * x;
        ll -= w * (px + q) * ln_s;
        gp -= w * x * ln_s;
        gq -= w * ln_s;
        gv -= w * (px + q) / s;
    }
    let value = -ll / total + penalizer * (p * p + q * q + v * v);
    let pars = [p, q, v];
    let g = [gp, gq, gv];
    let gradient: Vec<f64> = (0..3)
        .map(|i| -g[i] * pars[i] / total + 2.0 * penalizer * pars[i] * pars[i])
        .collect();
    (value.is_finite() && gradient.iter().all(|x| x.is_finite())).then_some((value, gradient))
}

/// Pearson correlation of two equal-length columns; `None` when either is constant.
fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    if a.len() < 2 {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    let r = sab / (saa.sqrt() * sbb.sqrt());
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

impl GammaGamma {
    /// Fits Gamma-Gamma by maximum likelihood to the customers with at least one repeat
    /// purchase (`frequency > 0`), as lifetimes' `GammaGammaFitter().fit(frequency,
    /// monetary_value)` on the returning customers: the same objective and starting point,
    /// BFGS with the analytic gradient and Newton steps. Customers without repeat purchases are
    /// left out and counted ([`GammaGamma::left_out`]).
    ///
    /// The model assumes spend does not depend on frequency: check
    /// [`GammaGamma::frequency_value_correlation`] (lifetimes' docs ask for it to be near 0).
    ///
    /// ```
    /// use saas_segmentation::clv::{GammaGamma, GammaGammaOptions};
    ///
    /// let frequency = [1.0, 2.0, 4.0, 1.0, 3.0, 0.0, 2.0, 5.0];
    /// let monetary = [20.0, 35.0, 18.0, 60.0, 25.0, 0.0, 41.0, 22.0];
    /// let model = GammaGamma::fit(&frequency, &monetary, GammaGammaOptions::new())?;
    /// assert_eq!(model.customers(), 7);
    /// assert_eq!(model.left_out(), 1);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; [`Error::NonFinite`] or [`Error::OutOfRange`] naming the
    /// customer position for a bad frequency or a monetary value that is not positive for a
    /// returning customer; [`Error::EmptyInput`] when no customer returned; [`Error::Undefined`]
    /// when the fit diverges (for instance when every returning customer spends the same: add a
    /// penalizer).
    pub fn fit(
        frequency: &[f64],
        monetary: &[f64],
        options: GammaGammaOptions,
    ) -> Result<GammaGamma> {
        let penalizer = check_penalizer(options.penalizer)?;
        if monetary.len() != frequency.len() {
            return Err(Error::LengthMismatch {
                what: "monetary values",
                expected: frequency.len(),
                found: monetary.len(),
            });
        }
        let mut rows: Vec<(f64, f64, f64)> = Vec::new();
        let mut left_out = 0;
        let mut non_positive_left_out = 0;
        for (i, (&x, &m)) in frequency.iter().zip(monetary).enumerate() {
            let record = || format!("customer at position {i}");
            crate::error::ensure_non_negative(x, record, "frequency")?;
            crate::error::ensure_finite(m, record, "monetary value")?;
            if x.fract() != 0.0 || x > super::histories::MAX_FREQUENCY {
                return Err(Error::OutOfRange {
                    record: record(),
                    field: "frequency".to_owned(),
                    value: x,
                    expected: "a whole number of repeat purchases, 0 to 1e9",
                });
            }
            if x == 0.0 {
                left_out += 1;
                continue;
            }
            if m <= 0.0 && options.skip_non_positive {
                non_positive_left_out += 1;
                continue;
            }
            if m <= 0.0 || m > 1e150 {
                return Err(Error::OutOfRange {
                    record: record(),
                    field: "monetary value".to_owned(),
                    value: m,
                    expected: "a positive average spend (up to 1e150) for a returning customer; \
                               filter such customers or set GammaGammaOptions::skip_non_positive",
                });
            }
            rows.push((x, m, 1.0));
        }
        if rows.is_empty() {
            return Err(Error::EmptyInput {
                what: "returning customers (frequency > 0)",
                item: "customer with a repeat purchase",
            });
        }
        let xs: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let ms: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let frequency_value_correlation = correlation(&xs, &ms);
        rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut compressed: Vec<(f64, f64, f64)> = Vec::with_capacity(rows.len());
        for row in rows {
            match compressed.last_mut() {
                Some(last) if last.0 == row.0 && last.1 == row.1 => last.2 += 1.0,
                _ => compressed.push(row),
            }
        }
        let mut by_x: Vec<(f64, f64, f64)> = Vec::new();
        for &(x, m, w) in &compressed {
            match by_x.last_mut() {
                Some(last) if last.0 == x => {
                    last.1 += w;
                    last.2 += w * m.ln();
                }
                _ => by_x.push((x, w, w * m.ln())),
            }
        }
        let total: f64 = by_x.iter().map(|g| g.1).sum();
        let f = |theta: &[f64]| objective(theta, &compressed, &by_x, total, penalizer);
        let m = fit::fit_log_params(&f, &[0.1; 3], &NAMES, "Gamma-Gamma")?;
        let hessian = super::optimize::hessian_from_gradient(&f, &m.x);
        let values: Vec<f64> = m.x.iter().map(|v| v.exp()).collect();
        let params = GammaGammaParams::new(values[0], values[1], values[2])?;
        let (unpenalized, _) =
            objective(&m.x, &compressed, &by_x, total, 0.0).ok_or_else(|| Error::Undefined {
                reason: "the Gamma-Gamma likelihood overflows at the optimum".to_owned(),
            })?;
        Ok(GammaGamma {
            params,
            estimates: fit::estimates(&NAMES, &values, hessian, total),
            log_likelihood: -unpenalized * total,
            objective: m.value,
            customers: total as usize,
            left_out,
            non_positive_left_out,
            frequency_value_correlation,
            convergence: Convergence::from(&m),
        })
    }

    /// The fitted parameters.
    #[must_use]
    pub fn params(&self) -> &GammaGammaParams {
        &self.params
    }

    /// Estimates with standard errors, in the order `p`, `q`, `v`.
    #[must_use]
    pub fn estimates(&self) -> &[Estimate] {
        &self.estimates
    }

    /// Summed log-likelihood of the returning customers.
    #[must_use]
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// The minimized objective, lifetimes' `_negative_log_likelihood_`.
    #[must_use]
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Returning customers fitted.
    #[must_use]
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// Customers left out for having no repeat purchase.
    #[must_use]
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// Returning customers left out for an average spend of 0 or less (only with
    /// [`GammaGammaOptions::skip_non_positive`]).
    #[must_use]
    pub fn non_positive_left_out(&self) -> usize {
        self.non_positive_left_out
    }

    /// Pearson correlation of frequency and average spend among the returning customers; the
    /// model assumes it is near 0. `None` when either is constant.
    #[must_use]
    pub fn frequency_value_correlation(&self) -> Option<f64> {
        self.frequency_value_correlation
    }

    /// How the optimizer ended.
    #[must_use]
    pub fn convergence(&self) -> Convergence {
        self.convergence
    }
}
