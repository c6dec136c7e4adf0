//! Cox proportional hazards with Efron or Breslow ties, as lifelines' `CoxPHFitter` (Efron)
//! and statsmodels' `PHReg` (both), and the Nelson-Aalen cumulative hazard.

use ndarray::ArrayView2;

use crate::clv::optimize::{cholesky, cholesky_solve, spd_inverse};
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::stats::distributions::{chi2_sf, normal_isf, normal_sf};
use crate::universe::PerCustomer;

use super::SurvivalData;

/// How tied event times share the risk set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Ties {
    /// Efron's approximation (lifelines' only method; statsmodels `ties="efron"`).
    #[default]
    Efron,
    /// Breslow's approximation (statsmodels' default `ties="breslow"`).
    Breslow,
}

/// Settings of [`CoxModel::fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoxParams {
    ties: Ties,
    penalizer: f64,
    alpha: f64,
}

impl Default for CoxParams {
    fn default() -> Self {
        CoxParams {
            ties: Ties::Efron,
            penalizer: 0.0,
            alpha: 0.05,
        }
    }
}

impl CoxParams {
    /// Efron ties, no penalty, 95% intervals: lifelines' defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The tie method.
    #[must_use]
    pub fn ties(mut self, ties: Ties) -> Self {
        self.ties = ties;
        self
    }

    /// lifelines' `penalizer` with `l1_ratio = 0`: subtracts `n · penalizer · ½ Σ βⱼ²` from the
    /// partial log-likelihood, `β` on covariates standardized by their mean and sample
    /// standard deviation. Use it for separated or nearly collinear data.
    #[must_use]
    pub fn penalizer(mut self, penalizer: f64) -> Self {
        self.penalizer = penalizer;
        self
    }

    /// Significance level of the intervals (lifelines' `alpha`).
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    fn validate(&self) -> Result<()> {
        if !(self.penalizer.is_finite() && self.penalizer >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "penalizer",
                reason: format!("{} is not a finite value >= 0", self.penalizer),
            });
        }
        if !(self.alpha > 1e-10 && self.alpha < 1.0) {
            return Err(Error::InvalidParameter {
                name: "alpha",
                reason: format!("{} is not a significance level in (1e-10, 1)", self.alpha),
            });
        }
        Ok(())
    }
}

/// One covariate's row of the summary, as lifelines' `summary`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CoxCoefficient {
    /// Covariate name.
    pub name: String,
    /// Log hazard ratio per unit of the covariate (`coef`).
    pub coef: f64,
    /// Hazard ratio `exp(coef)`.
    pub hazard_ratio: f64,
    /// Standard error of `coef`.
    pub standard_error: f64,
    /// Wald `z = coef / se`.
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p_value: f64,
    /// Lower bound of `coef` at the model's level.
    pub lower: f64,
    /// Upper bound of `coef` at the model's level.
    pub upper: f64,
}

impl CoxCoefficient {
    /// The interval of the hazard ratio, `exp` of the bounds.
    #[must_use]
    pub fn hazard_ratio_interval(&self) -> (f64, f64) {
        (self.lower.exp(), self.upper.exp())
    }
}

/// The likelihood-ratio test of the model against no covariates.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LikelihoodRatioTest {
    /// `2 (ll - ll_null)`.
    pub statistic: f64,
    /// Degrees of freedom: the number of covariates.
    pub degrees_of_freedom: usize,
    /// Chi-square survival function of the statistic.
    pub p_value: f64,
}

/// A fitted Cox proportional-hazards model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CoxModel {
    coefficients: Vec<CoxCoefficient>,
    covariance: Vec<f64>,
    means: Vec<f64>,
    log_likelihood: f64,
    null_log_likelihood: f64,
    concordance: f64,
    baseline: Vec<(f64, f64)>,
    subjects: usize,
    events: usize,
    iterations: usize,
    ties: Ties,
}

/// Partial log-likelihood, gradient and Hessian at `beta` over standardized covariates `z`
/// (row-major, `p` columns), for subjects sorted by descending time.
struct Sorted<'a> {
    z: &'a [f64],
    p: usize,
    time: &'a [f64],
    event: &'a [bool],
}

/// `a1 += φ x`, `a2 += φ x xᵀ` (the full square, row-major): with the width known at compile
/// time for up to 12 covariates, so the loops unroll and vectorize.
fn add_outer(phi: f64, row: &[f64], a1: &mut [f64], a2: &mut [f64]) {
    fn fixed<const P: usize>(phi: f64, row: &[f64], a1: &mut [f64], a2: &mut [f64]) {
        let (Ok(row), Ok(a1)) = (<&[f64; P]>::try_from(row), <&mut [f64; P]>::try_from(a1)) else {
            return;
        };
        for (a, dst) in a2.chunks_exact_mut(P).enumerate() {
            let Ok(dst) = <&mut [f64; P]>::try_from(dst) else {
                return;
            };
            let pa = phi * row[a];
            a1[a] += pa;
            for b in 0..P {
                dst[b] += pa * row[b];
            }
        }
    }
    match row.len() {
        1 => fixed::<1>(phi, row, a1, a2),
        2 => fixed::<2>(phi, row, a1, a2),
        3 => fixed::<3>(phi, row, a1, a2),
        4 => fixed::<4>(phi, row, a1, a2),
        5 => fixed::<5>(phi, row, a1, a2),
        6 => fixed::<6>(phi, row, a1, a2),
        7 => fixed::<7>(phi, row, a1, a2),
        8 => fixed::<8>(phi, row, a1, a2),
        9 => fixed::<9>(phi, row, a1, a2),
        10 => fixed::<10>(phi, row, a1, a2),
        11 => fixed::<11>(phi, row, a1, a2),
        12 => fixed::<12>(phi, row, a1, a2),
        _ => {
            for (a, dst) in a2.chunks_exact_mut(row.len()).enumerate() {
                let pa = phi * row[a];
                a1[a] += pa;
                for (d, x) in dst.iter_mut().zip(row) {
                    *d += pa * x;
                }
            }
        }
    }
}

impl Sorted<'_> {
    /// One pass from the longest time down. Each subject adds `φ`, `φx` and `φxxᵀ` (lower
    /// triangle) to its time group's event or censored sums; the group then joins the risk
    /// set. Efron's `d` tie terms reduce to five scalar sums over `l`, so a group costs
    /// `O(d + p²)` beyond its subjects.
    fn derivatives(&self, beta: &[f64], ties: Ties) -> (f64, Vec<f64>, Vec<f64>) {
        let p = self.p;
        let n = self.time.len();
        let (mut ll, mut grad, mut hess) = (0.0, vec![0.0; p], vec![0.0; p * p]);
        let (mut s0, mut s1, mut s2) = (0.0, vec![0.0; p], vec![0.0; p * p]);
        let (mut t1, mut t2) = (vec![0.0; p], vec![0.0; p * p]);
        let (mut c1, mut c2) = (vec![0.0; p], vec![0.0; p * p]);
        let mut i = 0;
        while i < n {
            let t = self.time[i];
            let mut j = i;
            let (mut t0, mut c0, mut deaths) = (0.0, 0.0, 0usize);
            t1.iter_mut().for_each(|v| *v = 0.0);
            t2.iter_mut().for_each(|v| *v = 0.0);
            c1.iter_mut().for_each(|v| *v = 0.0);
            c2.iter_mut().for_each(|v| *v = 0.0);
            while j < n && self.time[j] == t {
                let row = &self.z[j * p..(j + 1) * p];
                let eta: f64 = row.iter().zip(beta).map(|(x, b)| x * b).sum();
                let phi = eta.exp();
                let (a0, a1, a2) = if self.event[j] {
                    deaths += 1;
                    ll += eta;
                    for (g, x) in grad.iter_mut().zip(row) {
                        *g += x;
                    }
                    t0 += phi;
                    (&mut t0, &mut t1, &mut t2)
                } else {
                    c0 += phi;
                    (&mut c0, &mut c1, &mut c2)
                };
                let _ = a0;
                add_outer(phi, row, a1, a2);
                j += 1;
            }
            s0 += t0 + c0;
            for a in 0..p {
                s1[a] += t1[a] + c1[a];
            }
            for ((s, t), c) in s2.iter_mut().zip(&t2).zip(&c2) {
                *s += t + c;
            }
            if deaths > 0 {
                let d = deaths as f64;
                // Σ_l over the tie terms with f_l = l/d (Efron) or 0 (Breslow).
                let (mut inv, mut f_inv, mut inv2, mut f_inv2, mut ff_inv2) =
                    (0.0, 0.0, 0.0, 0.0, 0.0);
                for l in 0..deaths {
                    let f = match ties {
                        Ties::Efron => l as f64 / d,
                        Ties::Breslow => 0.0,
                    };
                    let r0 = s0 - f * t0;
                    ll -= r0.ln();
                    let q = 1.0 / r0;
                    inv += q;
                    f_inv += f * q;
                    inv2 += q * q;
                    f_inv2 += f * q * q;
                    ff_inv2 += f * f * q * q;
                }
                for a in 0..p {
                    grad[a] -= s1[a] * inv - t1[a] * f_inv;
                    for b in 0..=a {
                        let second = s2[a * p + b] * inv - t2[a * p + b] * f_inv;
                        let outer = s1[a] * s1[b] * inv2 - (s1[a] * t1[b] + t1[a] * s1[b]) * f_inv2
                            + t1[a] * t1[b] * ff_inv2;
                        hess[a * p + b] -= second - outer;
                    }
                }
            }
            i = j;
        }
        for a in 0..p {
            for b in 0..a {
                hess[b * p + a] = hess[a * p + b];
            }
        }
        (ll, grad, hess)
    }
}

impl CoxModel {
    /// Fits the model: `covariates` holds one row per subject (`names.len()` columns),
    /// `durations` the time to churn or censoring, `observed` whether churn was seen.
    ///
    /// Newton-Raphson on covariates standardized by their mean and sample standard deviation
    /// (lifelines' scaling, which fixes the penalizer's meaning), from β = 0 to a step below
    /// 1e-10; coefficients, the covariance `-H⁻¹` and the baseline are then expressed per unit
    /// of the raw covariates. The baseline cumulative hazard is Breslow's, at the covariate
    /// means (lifelines' `baseline_cumulative_hazard_`).
    ///
    /// ```
    /// use ndarray::array;
    /// use saas_segmentation::survival::{CoxModel, CoxParams};
    ///
    /// // Months to churn, churned or not, and two covariates: seats and an enterprise flag.
    /// let x = array![[5.0, 0.0], [12.0, 1.0], [3.0, 0.0], [40.0, 1.0], [8.0, 0.0], [25.0, 1.0],
    ///                [2.0, 0.0], [30.0, 0.0], [6.0, 1.0], [15.0, 0.0]];
    /// let months = [3.0, 12.0, 2.0, 24.0, 6.0, 18.0, 1.0, 20.0, 9.0, 7.0];
    /// let churned = [true, false, true, false, true, true, true, false, true, true];
    /// let model = CoxModel::fit(x.view(), &["seats", "enterprise"], &months, &churned, &CoxParams::new())?;
    /// let seats = &model.coefficients()[0];
    /// assert!(seats.hazard_ratio < 1.0); // more seats, slower churn
    /// assert!(model.concordance() > 0.5);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] / [`Error::LengthMismatch`] for inconsistent shapes;
    /// [`Error::EmptyInput`] for no subjects or no covariates; [`Error::NonFinite`] naming the
    /// subject and covariate; [`Error::OutOfRange`] for a negative duration; [`Error::Undefined`]
    /// when no churn was observed, a covariate is constant, covariates are collinear (naming
    /// the one that is a combination of the others), or the likelihood has no finite maximum
    /// (separation: add a penalizer).
    pub fn fit(
        covariates: ArrayView2<'_, f64>,
        names: &[&str],
        durations: &[f64],
        observed: &[bool],
        params: &CoxParams,
    ) -> Result<CoxModel> {
        params.validate()?;
        let (n, p) = covariates.dim();
        if p != names.len() {
            return Err(Error::ShapeMismatch {
                what: "covariates",
                expected: names.len(),
                found: p,
            });
        }
        if n == 0 || p == 0 {
            return Err(Error::EmptyInput {
                what: "Cox covariates",
                item: "subject row with at least one covariate",
            });
        }
        for (values, what) in [
            (durations.len(), "durations"),
            (observed.len(), "observed flags"),
        ] {
            if values != n {
                return Err(Error::LengthMismatch {
                    what,
                    expected: n,
                    found: values,
                });
            }
        }
        for (i, &d) in durations.iter().enumerate() {
            crate::error::ensure_non_negative(d, || format!("subject {i}"), "duration")?;
        }
        for (i, row) in covariates.rows().into_iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if v.is_nan() || v.abs() > 1e150 {
                    crate::error::ensure_finite(*v, || format!("subject {i}"), names[j])?;
                    return Err(Error::OutOfRange {
                        record: format!("subject {i}"),
                        field: names[j].to_owned(),
                        value: *v,
                        expected: "a covariate of magnitude at most 1e150 (rescale it)",
                    });
                }
            }
        }
        let events = observed.iter().filter(|e| **e).count();
        if events == 0 {
            return Err(Error::Undefined {
                reason: "no churn is observed: a Cox model needs at least one event".to_owned(),
            });
        }
        // Standardize: mean and sample standard deviation (pandas' ddof = 1).
        let nf = n as f64;
        let standard = covariates.as_standard_layout();
        let flat = standard.as_slice().unwrap_or(&[]);
        let mut means = vec![0.0; p];
        for row in flat.chunks_exact(p) {
            for (m, v) in means.iter_mut().zip(row) {
                *m += v;
            }
        }
        means.iter_mut().for_each(|m| *m /= nf);
        let mut sds = vec![0.0; p];
        for row in flat.chunks_exact(p) {
            for ((s, v), m) in sds.iter_mut().zip(row).zip(&means) {
                *s += (v - m) * (v - m);
            }
        }
        for j in 0..p {
            sds[j] = if n > 1 {
                (sds[j] / (nf - 1.0)).sqrt()
            } else {
                0.0
            };
            if !(sds[j] > 0.0 && sds[j].is_finite()) {
                return Err(Error::Undefined {
                    reason: format!(
                        "covariate {} is constant over the subjects: it carries no \
                         information about churn; drop it",
                        names[j]
                    ),
                });
            }
        }
        // Subjects by descending time, censored before events within a time (so the reversed
        // order is the concordance's: ascending time, events first).
        // Durations are >= 0, so their bits order like the values; one u128 key per subject
        // sorts without an indirect comparator.
        let mut keys: Vec<u128> = (0..n)
            .map(|i| {
                let time = u128::from(!durations[i].to_bits());
                (time << 64) | (u128::from(observed[i]) << 32) | i as u128
            })
            .collect();
        keys.sort_unstable();
        let order: Vec<usize> = keys.iter().map(|k| (*k as u32) as usize).collect();
        drop(keys);
        let inv_sd: Vec<f64> = sds.iter().map(|s| 1.0 / s).collect();
        let mut z = Vec::with_capacity(n * p);
        for &i in &order {
            let row = &flat[i * p..(i + 1) * p];
            z.extend(
                row.iter()
                    .zip(&means)
                    .zip(&inv_sd)
                    .map(|((v, m), s)| (v - m) * s),
            );
        }
        let time: Vec<f64> = order.iter().map(|&i| durations[i]).collect();
        let event: Vec<bool> = order.iter().map(|&i| observed[i]).collect();
        let data = Sorted {
            z: &z,
            p,
            time: &time,
            event: &event,
        };
        let penalty = nf * params.penalizer;
        let penalized = |beta: &[f64]| {
            let (mut ll, mut g, mut h) = data.derivatives(beta, params.ties);
            if penalty > 0.0 {
                for a in 0..p {
                    ll -= 0.5 * penalty * beta[a] * beta[a];
                    g[a] -= penalty * beta[a];
                    h[a * p + a] -= penalty;
                }
            }
            (ll, g, h)
        };
        let mut beta = vec![0.0; p];
        let (mut ll, mut g, mut h) = penalized(&beta);
        let null_log_likelihood = ll;
        // Exact collinearity holds in every risk set, so the information at 0 (a sum of
        // risk-set covariances) is singular along it: name the covariate. A penalizer makes
        // collinear covariates estimable, so only unpenalized fits are refused.
        if penalty == 0.0 {
            check_collinearity(&h, p, names)?;
        }
        let mut iterations = 0;
        let mut converged = false;
        while iterations < 200 {
            iterations += 1;
            let neg: Vec<f64> = h.iter().map(|v| -v).collect();
            let l = cholesky(&neg, p).ok_or_else(|| Error::Undefined {
                reason: "the Cox information matrix is singular: covariates are collinear or \
                         separate churners perfectly; add a penalizer (e.g. 0.01)"
                    .to_owned(),
            })?;
            let delta = cholesky_solve(&l, p, &g);
            let mut step = 1.0;
            let (nb, nll, ng, nh) = loop {
                let trial: Vec<f64> = beta.iter().zip(&delta).map(|(b, d)| b + step * d).collect();
                let (tl, tg, th) = penalized(&trial);
                if tl.is_finite() && tl >= ll - 1e-12 * ll.abs() {
                    break (trial, tl, tg, th);
                }
                step *= 0.5;
                if step < 1e-10 {
                    break (beta.clone(), ll, g.clone(), h.clone());
                }
            };
            let moved = delta.iter().fold(0.0_f64, |m, d| m.max((step * d).abs()));
            beta = nb;
            ll = nll;
            g = ng;
            h = nh;
            // A hazard ratio beyond e^20 per standard deviation is separation, not data.
            if beta.iter().any(|b| b.abs() > 20.0) {
                break;
            }
            if moved < 1e-10 {
                converged = true;
                break;
            }
        }
        if !converged {
            let worst = (0..p)
                .max_by(|&a, &b| beta[a].abs().total_cmp(&beta[b].abs()))
                .unwrap_or(0);
            return Err(Error::Undefined {
                reason: format!(
                    "the Cox likelihood has no finite maximum: covariate {} separates \
                     churners from survivors (its coefficient grows without bound); add a \
                     penalizer (e.g. 0.01) or drop it",
                    names[worst]
                ),
            });
        }
        let neg: Vec<f64> = h.iter().map(|v| -v).collect();
        let inverse = spd_inverse(&neg, p).ok_or_else(|| Error::Undefined {
            reason: "the Cox information matrix is singular at the optimum: covariates are \
                     collinear; drop one or add a penalizer"
                .to_owned(),
        })?;
        let mut covariance = vec![0.0; p * p];
        for a in 0..p {
            for b in 0..p {
                covariance[a * p + b] = inverse[a * p + b] / (sds[a] * sds[b]);
            }
        }
        let z_crit = normal_isf(params.alpha / 2.0);
        let mut coefficients = Vec::with_capacity(p);
        for j in 0..p {
            let coef = beta[j] / sds[j];
            let se = covariance[j * p + j].sqrt();
            let zval = coef / se;
            coefficients.push(CoxCoefficient {
                name: names[j].to_owned(),
                coef,
                hazard_ratio: coef.exp(),
                standard_error: se,
                z: zval,
                p_value: (2.0 * normal_sf(zval.abs())?).min(1.0),
                lower: coef - z_crit * se,
                upper: coef + z_crit * se,
            });
        }
        // Breslow baseline at the means, over the distinct times ascending.
        let linear: Vec<f64> = z
            .chunks_exact(p)
            .map(|row| row.iter().zip(&beta).map(|(x, b)| x * b).sum())
            .collect();
        let risk: Vec<f64> = linear.iter().map(|eta| eta.exp()).collect();
        let mut baseline_desc: Vec<(f64, f64)> = Vec::new();
        let mut at_risk = 0.0;
        let mut i = 0;
        while i < n {
            let t = time[i];
            let mut deaths = 0.0;
            while i < n && time[i] == t {
                at_risk += risk[i];
                if event[i] {
                    deaths += 1.0;
                }
                i += 1;
            }
            baseline_desc.push((t, deaths / at_risk));
        }
        let mut cumulative = 0.0;
        let baseline: Vec<(f64, f64)> = baseline_desc
            .into_iter()
            .rev()
            .map(|(t, hazard)| {
                cumulative += hazard;
                (t, cumulative)
            })
            .collect();
        let ascending: Vec<usize> = (0..n).rev().collect();
        let concordance = concordance_in_order(&time, &linear, &event, &ascending)?;
        for c in &coefficients {
            for v in [c.coef, c.standard_error, c.p_value, c.lower, c.upper] {
                crate::error::finite_result(v, "a Cox coefficient")?;
            }
        }
        Ok(CoxModel {
            coefficients,
            covariance,
            means,
            log_likelihood: ll,
            null_log_likelihood,
            concordance,
            baseline,
            subjects: n,
            events,
            iterations,
            ties: params.ties,
        })
    }

    /// Fits the model to customer lifetimes with covariate columns over the same customer set;
    /// every customer with a lifetime needs a value in every column.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] for a column over another customer set;
    /// [`Error::MissingValue`] naming the customer and covariate without a value; the errors of
    /// [`CoxModel::fit`].
    pub fn fit_lifetimes(
        lifetimes: &SurvivalData,
        covariates: &[(&str, &PerCustomer<f64>)],
        params: &CoxParams,
    ) -> Result<CoxModel> {
        let universe = lifetimes.universe();
        for (name, column) in covariates {
            universe.ensure_same(&column.universe(), format!("covariate {name}"))?;
        }
        let n = lifetimes.len();
        let p = covariates.len();
        let mut x = ndarray::Array2::<f64>::zeros((n, p));
        for (i, &customer) in lifetimes.customers().iter().enumerate() {
            for (j, (name, column)) in covariates.iter().enumerate() {
                x[[i, j]] = *column
                    .get(customer)
                    .ok_or_else(|| missing(customer, name))?;
            }
        }
        let names: Vec<&str> = covariates.iter().map(|(name, _)| *name).collect();
        CoxModel::fit(
            x.view(),
            &names,
            lifetimes.durations(),
            lifetimes.observed(),
            params,
        )
    }

    /// The coefficients, in covariate order.
    #[must_use]
    pub fn coefficients(&self) -> &[CoxCoefficient] {
        &self.coefficients
    }

    /// Covariance of the coefficients, row-major `p x p`.
    #[must_use]
    pub fn covariance(&self) -> &[f64] {
        &self.covariance
    }

    /// Partial log-likelihood at the optimum (minus the penalty, as lifelines reports it).
    #[must_use]
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Partial log-likelihood with all coefficients 0.
    #[must_use]
    pub fn null_log_likelihood(&self) -> f64 {
        self.null_log_likelihood
    }

    /// lifelines' `AIC_partial_`: `-2 ll + 2 p`.
    #[must_use]
    pub fn aic_partial(&self) -> f64 {
        -2.0 * self.log_likelihood + 2.0 * self.coefficients.len() as f64
    }

    /// The likelihood-ratio test against the model without covariates.
    ///
    /// # Errors
    /// [`Error::Undefined`] when the statistic cannot be evaluated.
    pub fn likelihood_ratio_test(&self) -> Result<LikelihoodRatioTest> {
        let statistic = (2.0 * (self.log_likelihood - self.null_log_likelihood)).max(0.0);
        let df = self.coefficients.len();
        Ok(LikelihoodRatioTest {
            statistic,
            degrees_of_freedom: df,
            p_value: chi2_sf(statistic, df as f64)?,
        })
    }

    /// Harrell's concordance index on the fitted data, lifelines' `concordance_index_`.
    #[must_use]
    pub fn concordance(&self) -> f64 {
        self.concordance
    }

    /// Breslow's baseline cumulative hazard at the covariate means, `(time, H₀(time))` at
    /// each distinct duration ascending.
    #[must_use]
    pub fn baseline_cumulative_hazard(&self) -> &[(f64, f64)] {
        &self.baseline
    }

    /// Covariate means (the baseline's reference profile).
    #[must_use]
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// Subjects and observed events.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        (self.subjects, self.events)
    }

    /// Newton iterations taken.
    #[must_use]
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The tie method used.
    #[must_use]
    pub fn ties(&self) -> Ties {
        self.ties
    }

    /// Partial hazard of a covariate profile relative to the means,
    /// `exp((x - mean) · coef)`, lifelines' `predict_partial_hazard`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a profile of the wrong length; [`Error::NonFinite`].
    pub fn partial_hazard(&self, profile: &[f64]) -> Result<f64> {
        if profile.len() != self.coefficients.len() {
            return Err(Error::ShapeMismatch {
                what: "covariate profile",
                expected: self.coefficients.len(),
                found: profile.len(),
            });
        }
        let mut eta = 0.0;
        for (j, (&v, c)) in profile.iter().zip(&self.coefficients).enumerate() {
            crate::error::ensure_finite(v, || "covariate profile".to_owned(), &c.name)?;
            eta += (v - self.means[j]) * c.coef;
        }
        crate::error::finite_result(eta.exp(), "the partial hazard")
    }

    /// Survival of a covariate profile at `times`, `exp(-H₀(t) · partial_hazard)` with `H₀`
    /// stepwise (lifelines' `predict_survival_function(X, times)`).
    ///
    /// # Errors
    /// As [`CoxModel::partial_hazard`]; [`Error::NonFinite`] for a NaN time.
    pub fn survival(&self, profile: &[f64], times: &[f64]) -> Result<Vec<f64>> {
        let ph = self.partial_hazard(profile)?;
        times
            .iter()
            .map(|&t| {
                crate::error::ensure_finite(t, || "survival times".to_owned(), "time")?;
                let at = self.baseline.partition_point(|(bt, _)| *bt <= t);
                let h0 = if at == 0 {
                    0.0
                } else {
                    self.baseline[at - 1].1
                };
                Ok((-h0 * ph).exp())
            })
            .collect()
    }
}

fn missing(customer: CustomerId, name: &str) -> Error {
    Error::MissingValue {
        record: format!("customer {customer}"),
        column: name.to_owned(),
    }
}

/// Refuses covariates that are (numerically) linear combinations of earlier ones, naming the
/// first such covariate, from a Cholesky factorization of the information matrix `-hessian`
/// at β = 0.
fn check_collinearity(hessian: &[f64], p: usize, names: &[&str]) -> Result<()> {
    let gram: Vec<f64> = hessian.iter().map(|v| -v).collect();
    let mut l = vec![0.0; p * p];
    for j in 0..p {
        let mut d = gram[j * p + j];
        for k in 0..j {
            d -= l[j * p + k] * l[j * p + k];
        }
        // A pivot that vanishes relative to its diagonal: the column lies in the span of the
        // earlier ones.
        if d.is_nan() || d <= 1e-10 * gram[j * p + j] {
            return Err(Error::Undefined {
                reason: format!(
                    "covariate {} is a linear combination of the covariates before it \
                     (collinear): drop it or one of them",
                    names[j]
                ),
            });
        }
        let djj = d.sqrt();
        l[j * p + j] = djj;
        for i in j + 1..p {
            let mut s = gram[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            l[i * p + j] = s / djj;
        }
    }
    Ok(())
}

/// Harrell's concordance index with lifelines' conventions: a pair is comparable when the
/// shorter time is an event (and for equal times, when exactly one is an event, the event
/// counts as shorter); a pair is concordant when the subject who churned first has the higher
/// risk score; ties in the score count one half. `time`, `risk` and `event` are parallel.
///
/// # Errors
/// [`Error::Undefined`] without a comparable pair.
pub fn concordance_index(time: &[f64], risk: &[f64], event: &[bool]) -> Result<f64> {
    let n = time.len();
    if risk.len() != n || event.len() != n {
        return Err(Error::LengthMismatch {
            what: "concordance inputs",
            expected: n,
            found: risk.len().min(event.len()),
        });
    }
    for (i, r) in risk.iter().enumerate() {
        crate::error::ensure_finite(*r, || format!("subject {i}"), "risk score")?;
    }
    for (i, t) in time.iter().enumerate() {
        crate::error::ensure_finite(*t, || format!("subject {i}"), "time")?;
    }
    let mut order: Vec<usize> = (0..n).collect();
    // Ascending time; at equal times deaths first (a censored subject at a death's time
    // counts as surviving longer).
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]).then(event[b].cmp(&event[a])));
    concordance_in_order(time, risk, event, &order)
}

/// [`concordance_index`] over subjects already in `order` (ascending time, events first).
fn concordance_in_order(
    time: &[f64],
    risk: &[f64],
    event: &[bool],
    order: &[usize],
) -> Result<f64> {
    let n = time.len();
    // Order-preserving bits of each score packed with its position: one primitive sort.
    let ordered = |v: f64| {
        let bits = (v + 0.0).to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    };
    let mut by_risk: Vec<u128> = risk
        .iter()
        .enumerate()
        .map(|(i, v)| (u128::from(ordered(*v)) << 64) | i as u128)
        .collect();
    by_risk.sort_unstable();
    // Dense ranks: equal scores share one.
    let mut ranks = vec![0usize; n];
    let mut m = 0;
    for k in 0..by_risk.len() {
        if k > 0 && by_risk[k] >> 64 != by_risk[k - 1] >> 64 {
            m += 1;
        }
        ranks[(by_risk[k] as u64) as usize] = m;
    }
    let m = if n == 0 { 0 } else { m + 1 };
    let rank = |s: usize| ranks[s];
    let mut tree = vec![0u64; m + 1];
    let add = |tree: &mut Vec<u64>, mut i: usize| {
        i += 1;
        while i <= m {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    };
    let prefix = |tree: &Vec<u64>, mut i: usize| -> u64 {
        // Count of inserted ranks < i.
        let mut s = 0;
        while i > 0 {
            s += tree[i];
            i &= i - 1;
        }
        s
    };
    let (mut pairs, mut correct, mut tied) = (0u128, 0u128, 0u128);
    let mut inserted = 0u64;
    let mut i = 0;
    while i < n {
        let t = time[order[i]];
        // Deaths at t: compare with earlier deaths, then insert.
        let mut j = i;
        while j < n && time[order[j]] == t && event[order[j]] {
            j += 1;
        }
        let deaths = &order[i..j];
        for &s in deaths {
            let r = rank(s);
            let below = prefix(&tree, r);
            let upto = prefix(&tree, r + 1);
            // Earlier deaths with a higher risk than this later subject: concordant.
            pairs += u128::from(inserted);
            correct += u128::from(inserted - upto);
            tied += u128::from(upto - below);
        }
        for &s in deaths {
            add(&mut tree, rank(s));
            inserted += 1;
        }
        // Censored at t: compare with every death at or before t.
        let mut k = j;
        while k < n && time[order[k]] == t {
            let s = order[k];
            let r = rank(s);
            let below = prefix(&tree, r);
            let upto = prefix(&tree, r + 1);
            pairs += u128::from(inserted);
            correct += u128::from(inserted - upto);
            tied += u128::from(upto - below);
            k += 1;
        }
        i = k;
    }
    if pairs == 0 {
        return Err(Error::Undefined {
            reason: "no comparable pair: the concordance index needs at least one churn before \
                     another subject's time"
                .to_owned(),
        });
    }
    Ok((correct as f64 + tied as f64 / 2.0) / pairs as f64)
}

/// One row of a Nelson-Aalen estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NelsonAalenRow {
    /// Event or censoring time.
    pub time: f64,
    /// Subjects at risk just before `time`.
    pub at_risk: u64,
    /// Events at `time`.
    pub events: u64,
    /// Cumulative hazard up to and including `time`.
    pub cumulative_hazard: f64,
    /// Its variance estimate.
    pub variance: f64,
    /// Lower bound of the interval (log-transformed, as lifelines).
    pub lower: f64,
    /// Upper bound of the interval.
    pub upper: f64,
}

/// The Nelson-Aalen cumulative hazard, lifelines' `NelsonAalenFitter`: with `smoothing`
/// (lifelines' default) tied events at `n` at risk add `Σ_{j=n-d+1}^{n} 1/j` and variance
/// `Σ 1/j²`; without, `d/n` and `(1 - d/n)(d/n)/n`. Rows at each distinct time ascending.
///
/// ```
/// use saas_segmentation::survival::nelson_aalen;
///
/// let rows = nelson_aalen(&[1.0, 2.0, 2.0, 3.0], &[true, true, false, true], true, 0.05)?;
/// assert!((rows[0].cumulative_hazard - 0.25).abs() < 1e-15);
/// assert!((rows[1].cumulative_hazard - (0.25 + 1.0 / 3.0)).abs() < 1e-15);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyInput`]; [`Error::LengthMismatch`]; [`Error::OutOfRange`] or
/// [`Error::NonFinite`] for a bad duration; [`Error::InvalidParameter`] for `alpha`.
pub fn nelson_aalen(
    durations: &[f64],
    observed: &[bool],
    smoothing: bool,
    alpha: f64,
) -> Result<Vec<NelsonAalenRow>> {
    super::kaplan_meier::check_sample(durations, observed, None, "Nelson-Aalen durations")?;
    if durations.is_empty() {
        return Err(Error::EmptyInput {
            what: "Nelson-Aalen durations",
            item: "duration",
        });
    }
    if !(alpha > 1e-10 && alpha < 1.0) {
        return Err(Error::InvalidParameter {
            name: "alpha",
            reason: format!("{alpha} is not a significance level in (1e-10, 1)"),
        });
    }
    let z = normal_isf(alpha / 2.0);
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by(|&a, &b| durations[a].total_cmp(&durations[b]));
    let mut at_risk = durations.len() as u64;
    let (mut h, mut var) = (0.0, 0.0);
    let mut rows = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let t = durations[order[i]];
        let (mut events, mut leaving) = (0u64, 0u64);
        while i < order.len() && durations[order[i]] == t {
            events += u64::from(observed[order[i]]);
            leaving += 1;
            i += 1;
        }
        if events > 0 {
            let (n, d) = (at_risk as f64, events as f64);
            if smoothing {
                for j in 0..events {
                    let k = (at_risk - j) as f64;
                    h += 1.0 / k;
                    var += 1.0 / (k * k);
                }
            } else {
                h += d / n;
                var += (1.0 - d / n) * (d / n) / n;
            }
        }
        let spread = if h > 0.0 {
            (z * var.sqrt() / h).exp()
        } else {
            1.0
        };
        rows.push(NelsonAalenRow {
            time: t,
            at_risk,
            events,
            cumulative_hazard: h,
            variance: var,
            lower: h / spread,
            upper: h * spread,
        });
        at_risk -= leaving;
    }
    Ok(rows)
}
