//! Calibration of scores into probabilities: Platt's sigmoid and isotonic regression, as
//! scikit-learn's `CalibratedClassifierCV` fits them.

use crate::error::{Error, Result};

/// Checks scores, labels and weights (the checks of the metrics); returns the weights (1 where
/// not given), refusing sums beyond `f64`.
fn checked(scores: &[f64], y: &[bool], weights: Option<&[f64]>) -> Result<Vec<f64>> {
    let w = super::metrics::check(y, scores, weights, "score")?;
    if !w.iter().sum::<f64>().is_finite() {
        return Err(Error::Undefined {
            reason: "the sample weights sum beyond f64: rescale them".to_owned(),
        });
    }
    Ok(w)
}

/// Platt scaling: `P = 1 / (1 + e^(a·s + b))` fitted to scores `s` by weighted log loss
/// against Platt's smoothed targets (`(N₊ + 1)/(N₊ + 2)` for positives, `1/(N₋ + 2)` for
/// negatives), scikit-learn's `method="sigmoid"` objective, solved by Newton's method to the
/// exact optimum.
///
/// ```
/// use saas_segmentation::propensity::PlattCalibrator;
///
/// let scores = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0];
/// let churned = [false, false, true, false, true, false, true, true];
/// let platt = PlattCalibrator::fit(&scores, &churned, None)?;
/// let p = platt.predict(&[-3.0, 0.0, 3.0])?;
/// assert!(p[0] < p[1] && p[1] < p[2]);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PlattCalibrator {
    a: f64,
    b: f64,
}

impl PlattCalibrator {
    /// Fits the sigmoid.
    ///
    /// # Errors
    /// [`Error::EmptyInput`], [`Error::LengthMismatch`], [`Error::NonFinite`] naming the score,
    /// [`Error::OutOfRange`] naming a bad weight; [`Error::Undefined`] when the weights sum to
    /// 0.
    pub fn fit(scores: &[f64], y: &[bool], sample_weight: Option<&[f64]>) -> Result<Self> {
        let w = checked(scores, y, sample_weight)?;
        let (mut pos, mut neg) = (0.0, 0.0);
        for (yi, wi) in y.iter().zip(&w) {
            if *yi {
                pos += wi;
            } else {
                neg += wi;
            }
        }
        if pos + neg <= 0.0 {
            return Err(Error::Undefined {
                reason: "the sample weights sum to 0".to_owned(),
            });
        }
        // Scores as large as 1e300 would overflow the products below: fit on scores scaled
        // to at most 1 in magnitude and scale the slope back.
        let scale = scores.iter().fold(1.0_f64, |m, s| m.max(s.abs()));
        let f: Vec<f64> = scores.iter().map(|s| s / scale).collect();
        let hi = (pos + 1.0) / (pos + 2.0);
        let lo = 1.0 / (neg + 2.0);
        let t: Vec<f64> = y.iter().map(|yi| if *yi { hi } else { lo }).collect();
        let loss = |a: f64, b: f64| -> f64 {
            f.iter()
                .zip(&t)
                .zip(&w)
                .map(|((fi, ti), wi)| {
                    // Binomial loss with raw prediction z = -(a f + b): log(1 + e^z) - t z.
                    let z = -(a * fi + b);
                    wi * (softplus(z) - ti * z)
                })
                .sum()
        };
        let (mut a, mut b) = (0.0, ((neg + 1.0) / (pos + 1.0)).ln());
        let mut current = loss(a, b);
        for _ in 0..200 {
            let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for ((fi, ti), wi) in f.iter().zip(&t).zip(&w) {
                let p = super::logistic::sigmoid(-(a * fi + b));
                // d loss / d(a, b) = -(p - t) (f, 1).
                let r = wi * (p - ti);
                g0 -= r * fi;
                g1 -= r;
                let v = wi * p * (1.0 - p);
                h00 += v * fi * fi;
                h01 += v * fi;
                h11 += v;
            }
            let det = h00 * h11 - h01 * h01;
            let (da, db) = if det > 1e-300 {
                ((h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det)
            } else {
                (g0 * 1e-3, g1 * 1e-3)
            };
            // Halve the step until the loss does not rise.
            let mut step = 1.0;
            let mut next = (a - da, b - db);
            let mut next_loss = loss(next.0, next.1);
            while next_loss > current && step > 1e-12 {
                step *= 0.5;
                next = (a - step * da, b - step * db);
                next_loss = loss(next.0, next.1);
            }
            let moved = (next.0 - a).abs() + (next.1 - b).abs();
            if next_loss <= current {
                (a, b, current) = (next.0, next.1, next_loss);
            }
            if moved <= 1e-15 * (1.0 + a.abs() + b.abs()) || g0.abs() + g1.abs() < 1e-14 {
                break;
            }
        }
        Ok(PlattCalibrator { a: a / scale, b })
    }

    /// The slope `a` (negative when higher scores mean higher probability).
    #[must_use]
    pub fn a(&self) -> f64 {
        self.a
    }

    /// The intercept `b`.
    #[must_use]
    pub fn b(&self) -> f64 {
        self.b
    }

    /// Calibrated probabilities of `scores`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the score.
    pub fn predict(&self, scores: &[f64]) -> Result<Vec<f64>> {
        scores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                crate::error::ensure_finite(*s, || format!("score {i}"), "score")?;
                Ok(super::logistic::sigmoid(-(self.a * s + self.b)))
            })
            .collect()
    }
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Isotonic calibration: the non-decreasing step function of the score closest to the labels
/// in weighted least squares (pool adjacent violators over the distinct scores, tied scores
/// averaged), interpolated linearly between its points and clipped beyond them, as
/// scikit-learn's `IsotonicRegression(out_of_bounds="clip")`.
///
/// ```
/// use saas_segmentation::propensity::IsotonicCalibrator;
///
/// let scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
/// let churned = [false, true, false, false, true, true];
/// let iso = IsotonicCalibrator::fit(&scores, &churned, None)?;
/// let p = iso.predict(&[0.1, 0.35, 0.6])?;
/// assert!(p[0] == 0.0 && (p[1] - 1.0 / 3.0).abs() < 1e-12 && p[2] == 1.0);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct IsotonicCalibrator {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl IsotonicCalibrator {
    /// Fits the step function.
    ///
    /// # Errors
    /// As [`PlattCalibrator::fit`].
    pub fn fit(scores: &[f64], y: &[bool], sample_weight: Option<&[f64]>) -> Result<Self> {
        let w = checked(scores, y, sample_weight)?;
        let mut order: Vec<usize> = (0..scores.len()).filter(|i| w[*i] > 0.0).collect();
        if order.is_empty() {
            return Err(Error::Undefined {
                reason: "the sample weights sum to 0".to_owned(),
            });
        }
        order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
        // Distinct scores: weighted mean label and summed weight.
        let mut xs: Vec<f64> = Vec::new();
        let mut blocks: Vec<(f64, f64, usize)> = Vec::new(); // (mean, weight, points)
        for &i in &order {
            let label = f64::from(u8::from(y[i]));
            match (xs.last(), blocks.last_mut()) {
                (Some(&x), Some(last)) if x == scores[i] => {
                    let total = last.1 + w[i];
                    last.0 += (label - last.0) * w[i] / total;
                    last.1 = total;
                }
                _ => {
                    xs.push(scores[i]);
                    blocks.push((label, w[i], 1));
                }
            }
        }
        // Pool adjacent violators.
        let mut pooled: Vec<(f64, f64, usize)> = Vec::with_capacity(blocks.len());
        for b in blocks {
            pooled.push(b);
            while pooled.len() > 1 {
                let k = pooled.len();
                let (m2, w2, c2) = pooled[k - 1];
                let (m1, w1, c1) = pooled[k - 2];
                if m1 <= m2 {
                    break;
                }
                let total = w1 + w2;
                pooled.truncate(k - 2);
                pooled.push((m1 + (m2 - m1) * w2 / total, total, c1 + c2));
            }
        }
        let mut ys = Vec::with_capacity(xs.len());
        for (m, _, c) in pooled {
            ys.extend(std::iter::repeat_n(m, c));
        }
        Ok(IsotonicCalibrator { x: xs, y: ys })
    }

    /// The distinct scores and the fitted value at each.
    #[must_use]
    pub fn points(&self) -> (&[f64], &[f64]) {
        (&self.x, &self.y)
    }

    /// Calibrated probabilities of `scores`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the score.
    pub fn predict(&self, scores: &[f64]) -> Result<Vec<f64>> {
        scores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                crate::error::ensure_finite(*s, || format!("score {i}"), "score")?;
                let k = self.x.partition_point(|x| x <= s);
                Ok(if k == 0 {
                    self.y[0]
                } else if k == self.x.len() {
                    self.y[k - 1]
                } else {
                    let (x0, x1, y0, y1) = (self.x[k - 1], self.x[k], self.y[k - 1], self.y[k]);
                    // Halving is exact, and keeps the differences finite for scores near the
                    // largest doubles.
                    y0 + (y1 - y0) * ((s * 0.5 - x0 * 0.5) / (x1 * 0.5 - x0 * 0.5))
                })
            })
            .collect()
    }
}
