//! L2-regularized logistic regression with scikit-learn's semantics.

use ndarray::ArrayView2;

use crate::clv::optimize::{cholesky, cholesky_solve};
use crate::error::{Error, Result};

/// How the two classes are weighted, scikit-learn's `class_weight`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ClassWeight {
    /// Every row weighs its sample weight.
    #[default]
    None,
    /// `n / (2 · count of the class)`, with sample weights the weighted equivalent
    /// `Σ w / (2 · Σ w of the class)` (scikit-learn's `compute_class_weight`).
    Balanced,
    /// Given weights of the negative and the positive class.
    Given {
        /// Weight of rows with `y = false`.
        negative: f64,
        /// Weight of rows with `y = true`.
        positive: f64,
    },
}

/// Settings of [`LogisticModel::fit`], scikit-learn's `LogisticRegression(solver="lbfgs")`
/// arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticParams {
    c: f64,
    fit_intercept: bool,
    class_weight: ClassWeight,
    tol: f64,
    max_iter: usize,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            c: 1.0,
            fit_intercept: true,
            class_weight: ClassWeight::None,
            tol: 1e-12,
            max_iter: 1000,
        }
    }
}

impl LogisticParams {
    /// scikit-learn's defaults: `C = 1`, an intercept, no class weights; solved to a gradient
    /// below 1e-12 (scikit-learn stops at `tol = 1e-4`, so its coefficients are this
    /// optimum's to about that precision).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Inverse regularization strength `C` (default 1): the objective is
    /// `½‖w‖² + C Σ sᵢ ℓᵢ`, the intercept unpenalized.
    #[must_use]
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Whether to fit an intercept (default true).
    #[must_use]
    pub fn fit_intercept(mut self, fit: bool) -> Self {
        self.fit_intercept = fit;
        self
    }

    /// Class weights (default none).
    #[must_use]
    pub fn class_weight(mut self, weights: ClassWeight) -> Self {
        self.class_weight = weights;
        self
    }

    /// Gradient tolerance on the loss scaled by the total weight (default 1e-12).
    #[must_use]
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Iteration cap (default 1000).
    #[must_use]
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    fn validate(&self) -> Result<()> {
        let bad =
            |name: &'static str, reason: String| Err(Error::InvalidParameter { name, reason });
        if !(self.c.is_finite() && self.c > 0.0 && self.c <= 1e12) {
            return bad(
                "C",
                format!("{} is not a regularization strength in (0, 1e12]", self.c),
            );
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return bad("tol", format!("{} is not a positive tolerance", self.tol));
        }
        if self.max_iter == 0 || self.max_iter > 1_000_000 {
            return bad(
                "max_iter",
                format!("{}: use 1 to 1e6 iterations", self.max_iter),
            );
        }
        if let ClassWeight::Given { negative, positive } = self.class_weight {
            if !(negative.is_finite() && negative > 0.0 && positive.is_finite() && positive > 0.0) {
                return bad(
                    "class_weight",
                    format!("{negative} and {positive}: class weights must be finite and > 0"),
                );
            }
        }
        Ok(())
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LogisticModel {
    coef: Vec<f64>,
    intercept: f64,
    iterations: usize,
    converged: bool,
    separable: bool,
}

fn zero_weight() -> Error {
    Error::Undefined {
        reason: "one class has zero total weight: no information about it to fit".to_owned(),
    }
}

/// `row · w` with four independent partial sums, so the adds pipeline instead of chaining.
#[inline(always)]
fn dot(row: &[f64], w: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (rc, wc) = (row.chunks_exact(4), w.chunks_exact(4));
    let (rr, wr) = (rc.remainder(), wc.remainder());
    for (a, b) in rc.zip(wc) {
        for k in 0..4 {
            acc[k] += a[k] * b[k];
        }
    }
    let tail: f64 = rr.iter().zip(wr).map(|(a, b)| a * b).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `1 / (1 + e^-eta)`, stable at both ends.
pub(crate) fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// `1 / (1 + e^-eta)` for eight values at once with arithmetic only (no branch, no call), so
/// the loop vectorizes: `e^-|eta|` by Cody-Waite reduction and a degree-13 Taylor polynomial
/// (relative error near 1e-16), the power of two built from its bits. Below -708 the
/// exponential is held at `e^-708` (a probability below 1e-307 either way).
#[inline(always)]
fn sigmoid_block(eta: &[f64; 8]) -> [f64; 8] {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // 1.5 * 2^52: adding it rounds to an integer held in the low bits.
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    let mut out = [0.0; 8];
    for k in 0..8 {
        let x = (-eta[k].abs()).max(-708.0);
        let t = x * std::f64::consts::LOG2_E + MAGIC;
        let n = t - MAGIC;
        let r = (x - n * LN2_HI) - n * LN2_LO;
        let mut poly = 1.0 / 6_227_020_800.0;
        for c in [
            1.0 / 479_001_600.0,
            1.0 / 39_916_800.0,
            1.0 / 3_628_800.0,
            1.0 / 362_880.0,
            1.0 / 40_320.0,
            1.0 / 5_040.0,
            1.0 / 720.0,
            1.0 / 120.0,
            1.0 / 24.0,
            1.0 / 6.0,
            0.5,
            1.0,
            1.0,
        ] {
            poly = poly * r + c;
        }
        let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
        let e = poly * scale;
        let q = 1.0 / (1.0 + e);
        out[k] = if eta[k] >= 0.0 { q } else { e * q };
    }
    out
}

struct Problem<'a> {
    x: &'a [f64],
    p: usize,
    y: &'a [bool],
    s: Vec<f64>,
    total: f64,
    c: f64,
    intercept: bool,
}

impl Problem<'_> {
    /// Gradient of the scaled objective `(Σ sᵢ ℓᵢ)/S + ‖w‖²/(2 C S)` at `theta = [w, b]`, and
    /// whether every row lies strictly on its side of the boundary (separation).
    fn gradient(&self, theta: &[f64]) -> (Vec<f64>, bool) {
        // The AVX2 build performs the same operations in the same order (no fused
        // multiply-adds), so both builds give the same bits.
        let (g, separated, _) = crate::engine::kernel::widest(
            #[inline(always)]
            || self.gradient_portable::<0>(theta),
        );
        (g, separated)
    }

    /// The gradient in blocks of eight rows; with `CHECK` 2, also whether any feature is NaN,
    /// infinite or above 1e150 in magnitude (the first pass at zero, which validates); with
    /// `CHECK` 1, whether any row's `x · w + b` is NaN, infinite or above 1e100 (the first
    /// pass from a warm start, where a NaN, infinite or huge feature shows in its row's
    /// log-odds; only then are the features scanned).
    #[inline(always)]
    fn gradient_portable<const CHECK: u8>(&self, theta: &[f64]) -> (Vec<f64>, bool, bool) {
        const B: usize = 8;
        let p = self.p;
        let (w, b) = (&theta[..p], if self.intercept { theta[p] } else { 0.0 });
        let mut grad = vec![0.0; theta.len()];
        let mut separated = true;
        let mut intercept_sum = 0.0;
        let mut bad = vec![0.0_f64; if CHECK == 2 { p } else { 0 }];
        let mut odd_eta = 0.0;
        // Blocks of eight rows: eight dot products, then one branchless sigmoid over the eight
        // (vectorized), then the eight rows into the gradient.
        let mut eta = [0.0; B];
        let mut r = [0.0; B];
        for (block, rows) in self.x.chunks(B * p).enumerate() {
            let base = block * B;
            // The rows eight blocks ahead, one request per cache line.
            let ahead = (base + 8 * B) * p;
            for at in (ahead..(ahead + B * p).min(self.x.len())).step_by(8) {
                crate::engine::prefetch::prefetch(&self.x[at]);
            }
            let m = rows.len() / p;
            for (k, row) in rows.chunks_exact(p).enumerate() {
                eta[k] = dot(row, w) + b;
            }
            eta[m..].iter_mut().for_each(|e| *e = 0.0);
            if CHECK == 1 {
                for e in &eta {
                    odd_eta += if e.abs() <= 1e100 { 0.0 } else { 1.0 };
                }
            }
            let prob = sigmoid_block(&eta);
            for k in 0..m {
                let yi = self.y[base + k];
                separated &= if yi { eta[k] > 0.0 } else { eta[k] < 0.0 };
                r[k] = self.s[base + k] * (prob[k] - f64::from(u8::from(yi)));
            }
            for (k, row) in rows.chunks_exact(p).enumerate() {
                let rk = r[k];
                if CHECK == 2 {
                    // A compare and an add per value (it vectorizes): NaN fails the compare.
                    for ((g, z), a) in grad[..p].iter_mut().zip(bad.iter_mut()).zip(row) {
                        *g += rk * a;
                        *z += if a.abs() <= 1e150 { 0.0 } else { 1.0 };
                    }
                } else {
                    for (g, a) in grad[..p].iter_mut().zip(row) {
                        *g += rk * a;
                    }
                }
                intercept_sum += rk;
            }
        }
        if self.intercept {
            grad[p] = intercept_sum;
        }
        let scale = 1.0 / self.total;
        let ridge = 1.0 / (self.c * self.total);
        for g in &mut grad {
            *g *= scale;
        }
        for j in 0..p {
            grad[j] += ridge * w[j];
        }
        (
            grad,
            separated,
            odd_eta > 0.0 || bad.iter().any(|v| *v > 0.0),
        )
    }

    /// The gradient at `theta` and whether the data look invalid (see
    /// [`Problem::gradient_portable`]), in one pass over the rows (the first, which validates).
    fn gradient_checked(&self, theta: &[f64], at_zero: bool) -> (Vec<f64>, bool, bool) {
        if at_zero {
            crate::engine::kernel::widest(
                #[inline(always)]
                || self.gradient_portable::<2>(theta),
            )
        } else {
            crate::engine::kernel::widest(
                #[inline(always)]
                || self.gradient_portable::<1>(theta),
            )
        }
    }

    /// The scaled Hessian at `theta` over every `stride`-th row (scaled up), for the first
    /// quasi-Newton matrix.
    fn hessian(&self, theta: &[f64], stride: usize) -> Vec<f64> {
        let p = self.p;
        let d = theta.len();
        let (w, b) = (&theta[..p], if self.intercept { theta[p] } else { 0.0 });
        let mut h = vec![0.0; d * d];
        let mut used = 0.0;
        let mut ext = vec![0.0; d];
        for (i, row) in self.x.chunks_exact(p).enumerate().step_by(stride) {
            let eta: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + b;
            let q = sigmoid(eta);
            let v = self.s[i] * q * (1.0 - q);
            used += self.s[i];
            ext[..p].copy_from_slice(row);
            if self.intercept {
                ext[p] = 1.0;
            }
            // The upper triangle only; the lower is mirrored once at the end.
            for a in 0..d {
                let va = v * ext[a];
                for (hb, eb) in h[a * d + a..(a + 1) * d].iter_mut().zip(&ext[a..]) {
                    *hb += va * eb;
                }
            }
        }
        for a in 0..d {
            for c in 0..a {
                h[a * d + c] = h[c * d + a];
            }
        }
        let scale = if used > 0.0 { 1.0 / used } else { 0.0 };
        let ridge = 1.0 / (self.c * self.total);
        h.iter_mut().for_each(|v| *v *= scale);
        for j in 0..p {
            h[j * d + j] += ridge;
        }
        h
    }
}

/// Every `stride`-th row gathered once, column by column (with a column of ones for the
/// intercept), for the sampled Hessians and the warm start: contiguous columns make each
/// Hessian entry one vectorized dot product.
struct Sample {
    cols: Vec<f64>,
    m: usize,
    d: usize,
    s: Vec<f64>,
    y: Vec<f64>,
    used: f64,
    ridge: f64,
    p: usize,
}

impl Sample {
    fn new(problem: &Problem<'_>, stride: usize) -> Sample {
        let p = problem.p;
        let d = p + usize::from(problem.intercept);
        let rows: Vec<usize> = (0..problem.s.len()).step_by(stride).collect();
        let m = rows.len();
        let mut cols = vec![1.0; d * m];
        for (k, &i) in rows.iter().enumerate() {
            for (j, v) in problem.x[i * p..(i + 1) * p].iter().enumerate() {
                cols[j * m + k] = *v;
            }
        }
        let s: Vec<f64> = rows.iter().map(|&i| problem.s[i]).collect();
        let y = rows
            .iter()
            .map(|&i| f64::from(u8::from(problem.y[i])))
            .collect();
        let used = s.iter().sum();
        Sample {
            cols,
            m,
            d,
            s,
            y,
            used,
            ridge: 1.0 / (problem.c * problem.total),
            p,
        }
    }

    /// `η` of every sampled row at `theta`.
    fn etas(&self, theta: &[f64]) -> Vec<f64> {
        let mut eta = vec![if self.d > self.p { theta[self.p] } else { 0.0 }; self.m];
        for (wj, col) in theta[..self.p]
            .iter()
            .zip(self.cols.chunks_exact(self.m.max(1)))
        {
            for (e, x) in eta.iter_mut().zip(col) {
                *e += wj * x;
            }
        }
        eta
    }

    /// The scaled Hessian at `theta` (mean over the sample, the full problem's ridge).
    fn hessian(&self, theta: &[f64]) -> Vec<f64> {
        crate::engine::kernel::widest(|| {
            let (m, d) = (self.m, self.d);
            let v: Vec<f64> = self
                .etas(theta)
                .iter()
                .zip(&self.s)
                .map(|(e, s)| {
                    let q = sigmoid(*e);
                    s * q * (1.0 - q)
                })
                .collect();
            let mut h = vec![0.0; d * d];
            let mut weighted = vec![0.0; m];
            for a in 0..d {
                let ca = &self.cols[a * m..(a + 1) * m];
                weighted
                    .iter_mut()
                    .zip(ca)
                    .zip(&v)
                    .for_each(|((o, x), v)| *o = x * v);
                for c in a..d {
                    let cc = &self.cols[c * m..(c + 1) * m];
                    let value = dot(&weighted, cc);
                    h[a * d + c] = value;
                    h[c * d + a] = value;
                }
            }
            let scale = if self.used > 0.0 {
                1.0 / self.used
            } else {
                0.0
            };
            h.iter_mut().for_each(|v| *v *= scale);
            for j in 0..self.p {
                h[j * d + j] += self.ridge;
            }
            h
        })
    }

    /// A starting point: Newton's method on the sample (its mean loss, the full problem's
    /// ridge), stopped at a gradient of 1e-5 or after eight steps; `None` when it leaves the
    /// finite numbers or the Hessian is singular. The full fit then starts within the
    /// sample's statistical error of the optimum.
    fn start(&self) -> Option<Vec<f64>> {
        if self.used <= 0.0 {
            return None;
        }
        let (m, d) = (self.m, self.d);
        let mut theta = vec![0.0; d];
        for _ in 0..8 {
            let r: Vec<f64> = self
                .etas(&theta)
                .iter()
                .zip(&self.s)
                .zip(&self.y)
                .map(|((e, s), y)| s * (sigmoid(*e) - y))
                .collect();
            let mut grad: Vec<f64> = (0..d)
                .map(|j| dot(&r, &self.cols[j * m..(j + 1) * m]) / self.used)
                .collect();
            for j in 0..self.p {
                grad[j] += self.ridge * theta[j];
            }
            // The sample's own statistical error is far above this.
            if grad.iter().fold(0.0_f64, |a, v| a.max(v.abs())) < 1e-5 {
                break;
            }
            let l = crate::clv::optimize::cholesky(&self.hessian(&theta), d)?;
            let step = crate::clv::optimize::cholesky_solve(&l, d, &grad);
            theta.iter_mut().zip(&step).for_each(|(t, s)| *t -= s);
            if theta.iter().any(|v| !v.is_finite() || v.abs() > 1e6) {
                return None;
            }
        }
        Some(theta)
    }
}

impl LogisticModel {
    /// Fits `P(y = true | x) = 1 / (1 + e^-(x·w + b))` by minimizing scikit-learn's objective
    /// `½‖w‖² + C Σ sᵢ ℓᵢ` (`sᵢ` = sample weight × class weight, the intercept not
    /// penalized): BFGS started from the Hessian at zero (on a strided sample of about
    /// 25,000 rows), to a gradient below `tol` on the loss scaled by the total weight.
    ///
    /// ```
    /// use saas_segmentation::ndarray::array;
    /// use saas_segmentation::propensity::{LogisticModel, LogisticParams};
    ///
    /// let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0]];
    /// let churned = [false, false, true, false, true, true];
    /// let model = LogisticModel::fit(x.view(), &churned, None, &LogisticParams::new())?;
    /// assert!(model.coef()[0] > 0.0);
    /// let p = model.predict_proba(x.view())?;
    /// assert!(p[5] > p[0]);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyInput`]; [`Error::LengthMismatch`]; [`Error::NonFinite`] naming the row
    /// and column or the sample weight; [`Error::OutOfRange`] for a negative weight or a value
    /// beyond 1e150; [`Error::Undefined`] when a class has no member (or no weight);
    /// [`Error::InvalidParameter`] for bad settings.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[bool],
        sample_weight: Option<&[f64]>,
        params: &LogisticParams,
    ) -> Result<LogisticModel> {
        params.validate()?;
        let (n, p) = x.dim();
        if n == 0 || p == 0 {
            return Err(Error::EmptyInput {
                what: "logistic regression rows",
                item: "row with at least one feature",
            });
        }
        if y.len() != n {
            return Err(Error::LengthMismatch {
                what: "labels",
                expected: n,
                found: y.len(),
            });
        }
        let standard = x.as_standard_layout();
        let flat = standard.as_slice().unwrap_or(&[]);
        let mut s = match sample_weight {
            Some(w) => {
                if w.len() != n {
                    return Err(Error::LengthMismatch {
                        what: "sample weights",
                        expected: n,
                        found: w.len(),
                    });
                }
                for (i, v) in w.iter().enumerate() {
                    crate::error::ensure_non_negative(*v, || format!("row {i}"), "sample weight")?;
                    if *v > 1e150 {
                        return Err(Error::OutOfRange {
                            record: format!("row {i}"),
                            field: "sample weight".to_owned(),
                            value: *v,
                            expected: "a weight of at most 1e150",
                        });
                    }
                }
                w.to_vec()
            }
            None => vec![1.0; n],
        };
        // Label and weight problems are reported after the features are checked, so a bad
        // feature is named first; the features are checked in the same pass as the gradient
        // at zero (which needs the weights).
        let positives = y.iter().filter(|v| **v).count();
        let mut deferred = None;
        if positives == 0 || positives == n {
            deferred = Some(Error::Undefined {
                reason: format!(
                    "every label is {}: a propensity model needs both outcomes among the rows",
                    positives == n
                ),
            });
        }
        let class_total = |s: &[f64], class: bool| -> f64 {
            s.iter()
                .zip(y)
                .filter(|(_, v)| **v == class)
                .map(|(w, _)| w)
                .sum()
        };
        let (neg_w, pos_w) = match params.class_weight {
            ClassWeight::None => (1.0, 1.0),
            ClassWeight::Balanced => {
                // scikit-learn's weighted equivalent of n / (2 · count).
                let (neg, pos) = (class_total(&s, false), class_total(&s, true));
                if neg <= 0.0 || pos <= 0.0 {
                    deferred.get_or_insert_with(zero_weight);
                    (1.0, 1.0)
                } else {
                    ((neg + pos) / (2.0 * neg), (neg + pos) / (2.0 * pos))
                }
            }
            ClassWeight::Given { negative, positive } => (negative, positive),
        };
        for (si, yi) in s.iter_mut().zip(y) {
            *si *= if *yi { pos_w } else { neg_w };
        }
        if class_total(&s, true) <= 0.0 || class_total(&s, false) <= 0.0 {
            deferred.get_or_insert_with(zero_weight);
        }
        let total: f64 = s.iter().sum();
        let problem = Problem {
            x: flat,
            p,
            y,
            s,
            total,
            c: params.c,
            intercept: params.fit_intercept,
        };
        let d = p + usize::from(params.fit_intercept);
        // The Hessian (and the warm start) use every `stride`-th row, about 25,000 of them.
        let stride = n.div_ceil(25_000).max(1);
        // Rows not all of one class and weights checked: start from a fit on the sample (or
        // zero), then one pass computes the gradient there and whether any feature is
        // non-finite or huge (NaN or an infinity turns x · w into NaN); only then is the
        // culprit looked up.
        let sample = Sample::new(&problem, stride);
        let start = if deferred.is_none() && n > 25_000 {
            sample.start()
        } else {
            None
        };
        let at_zero = start.is_none();
        let mut theta = start.unwrap_or_else(|| vec![0.0; d]);
        let (mut grad, sep0, suspect) = problem.gradient_checked(&theta, at_zero);
        if suspect {
            for (i, row) in flat.chunks_exact(p).enumerate() {
                for (j, v) in row.iter().enumerate() {
                    if v.is_nan() || v.abs() > 1e150 {
                        crate::error::ensure_finite(
                            *v,
                            || format!("row {i}"),
                            &format!("column {j}"),
                        )?;
                        return Err(Error::OutOfRange {
                            record: format!("row {i}"),
                            field: format!("column {j}"),
                            value: *v,
                            expected: "a feature of magnitude at most 1e150 (standardize it)",
                        });
                    }
                }
            }
        }
        if let Some(e) = deferred {
            return Err(e);
        }
        // At zero every row sits on the boundary: nothing is separated yet.
        let mut separable = !at_zero && sep0;
        // Inverse of the (sampled) Hessian at the start as the first quasi-Newton matrix.
        let h0 = sample.hessian(&theta);
        let mut inv = crate::clv::optimize::spd_inverse(&h0, d).unwrap_or_else(|| {
            let mut eye = vec![0.0; d * d];
            (0..d).for_each(|i| eye[i * d + i] = 1.0);
            eye
        });
        let norm = |g: &[f64]| g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let dot_d = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
        let mut iterations = 0;
        let mut converged = norm(&grad) <= params.tol;
        while !converged && iterations < params.max_iter {
            iterations += 1;
            if iterations > 1 {
                // Sampled Newton: the Hessian at the current point on the same row sample
                // (a few milliseconds) keeps the steps close to exact Newton steps.
                if let Some(fresh) = crate::clv::optimize::spd_inverse(&sample.hessian(&theta), d) {
                    inv = fresh;
                }
            }
            let mut dir: Vec<f64> = (0..d)
                .map(|i| -(0..d).map(|j| inv[i * d + j] * grad[j]).sum::<f64>())
                .collect();
            if dot_d(&dir, &grad) >= 0.0 {
                dir = grad.iter().map(|g| -g).collect();
            }
            let slope0 = dot_d(&dir, &grad);
            // The objective is convex, so along the direction its slope decides: a point
            // where the slope is below half the initial slope's size has a lower objective
            // (exactly so for a quadratic), and no loss (no logarithm) is ever evaluated.
            // Otherwise a secant step towards the zero of the slope.
            let mut t = 1.0;
            let mut accepted = None;
            for _ in 0..30 {
                let trial: Vec<f64> = theta.iter().zip(&dir).map(|(a, b)| a + t * b).collect();
                let (g, sep) = problem.gradient(&trial);
                if g.iter().any(|v| !v.is_finite()) {
                    t *= 0.5;
                    continue;
                }
                let slope = dot_d(&dir, &g);
                if slope < 0.5 * slope0.abs() {
                    accepted = Some((trial, g, sep));
                    break;
                }
                // Secant between slope0 at 0 and slope at t, kept inside (0.1 t, 0.9 t).
                t *= (slope0 / (slope0 - slope)).clamp(0.1, 0.9);
            }
            let Some((next, g, sep)) = accepted else {
                break;
            };
            let sv: Vec<f64> = next.iter().zip(&theta).map(|(a, b)| a - b).collect();
            let yv: Vec<f64> = g.iter().zip(&grad).map(|(a, b)| a - b).collect();
            let sy = dot_d(&sv, &yv);
            if sy > 1e-300 {
                let rho = 1.0 / sy;
                let hy: Vec<f64> = (0..d)
                    .map(|i| (0..d).map(|j| inv[i * d + j] * yv[j]).sum())
                    .collect();
                let yhy = dot_d(&yv, &hy);
                for i in 0..d {
                    for j in 0..d {
                        inv[i * d + j] += -rho * (hy[i] * sv[j] + sv[i] * hy[j])
                            + (rho * rho * yhy + rho) * sv[i] * sv[j];
                    }
                }
            }
            theta = next;
            grad = g;
            separable = sep;
            converged = norm(&grad) <= params.tol;
        }
        // A Newton step on the full Hessian when the quasi-Newton matrix stalls short of the
        // tolerance.
        if !converged {
            let h = problem.hessian(&theta, 1);
            if let Some(l) = cholesky(&h, d) {
                let step = cholesky_solve(&l, d, &grad);
                let trial: Vec<f64> = theta.iter().zip(&step).map(|(t, s)| t - s).collect();
                let (g, sep) = problem.gradient(&trial);
                if g.iter().all(|v| v.is_finite()) && norm(&g) < norm(&grad) {
                    theta = trial;
                    grad = g;
                    separable = sep;
                    converged = norm(&grad) <= params.tol;
                }
            }
        }
        let coef = theta[..p].to_vec();
        let intercept = if params.fit_intercept { theta[p] } else { 0.0 };
        for v in coef.iter().chain(std::iter::once(&intercept)) {
            crate::error::finite_result(*v, "a logistic coefficient")?;
        }
        Ok(LogisticModel {
            coef,
            intercept,
            iterations,
            converged,
            separable,
        })
    }

    /// Coefficients per feature (scikit-learn's `coef_[0]`).
    #[must_use]
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    /// The intercept (0 without one).
    #[must_use]
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Quasi-Newton iterations taken.
    #[must_use]
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the gradient reached the tolerance.
    #[must_use]
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Whether the training rows are perfectly separated by the fitted boundary: the
    /// coefficients are then finite only because of the penalty (reported, not an error).
    #[must_use]
    pub fn separable(&self) -> bool {
        self.separable
    }

    fn check_row(&self, row: &[f64], i: usize) -> Result<f64> {
        let mut eta = self.intercept;
        for (j, (v, w)) in row.iter().zip(&self.coef).enumerate() {
            crate::error::ensure_finite(*v, || format!("row {i}"), &format!("column {j}"))?;
            eta += v * w;
        }
        crate::error::finite_result(eta, "a log-odds")
    }

    fn check_width(&self, found: usize) -> Result<()> {
        if found != self.coef.len() {
            return Err(Error::ShapeMismatch {
                what: "rows to predict",
                expected: self.coef.len(),
                found,
            });
        }
        Ok(())
    }

    /// Log-odds `x·w + b` per row (scikit-learn's `decision_function`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`]; [`Error::NonFinite`] naming the row and column.
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        self.check_width(x.ncols())?;
        x.rows()
            .into_iter()
            .enumerate()
            .map(|(i, row)| self.check_row(&row.to_vec(), i))
            .collect()
    }

    /// `P(y = true)` per row (scikit-learn's `predict_proba(x)[:, 1]`).
    ///
    /// # Errors
    /// As [`LogisticModel::decision_function`].
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        Ok(self
            .decision_function(x)?
            .into_iter()
            .map(sigmoid)
            .collect())
    }

    /// The explanation of one prediction: each feature's contribution `coef_j · x_j` to the
    /// log-odds, which they sum to with the intercept. With standardized features the
    /// contributions are comparable across features.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`]; [`Error::NonFinite`].
    pub fn contributions(&self, row: &[f64]) -> Result<Vec<f64>> {
        self.check_width(row.len())?;
        self.check_row(row, 0)?;
        Ok(row.iter().zip(&self.coef).map(|(v, w)| v * w).collect())
    }
}
