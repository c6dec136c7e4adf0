//! A small quasi-Newton minimizer for the few-parameter likelihoods of this module, with a
//! Newton polish and the Hessian at the optimum for standard errors.
//!
//! The problems have 2 to 4 parameters (the log of each model parameter), so the dense BFGS
//! update and a Cholesky solve cost nothing next to one pass over the customers.

/// Value and gradient of an objective; `None` where it is undefined (outside its domain or
/// not finite), which the line search treats as "step too long".
pub(crate) type ValueGrad<'a> = dyn Fn(&[f64]) -> Option<(f64, Vec<f64>)> + 'a;

/// Where the minimizer stopped.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient_norm: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Lower-triangular Cholesky factor of a symmetric positive definite `n x n` matrix.
pub(crate) fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if !(sum > 0.0 && sum.is_finite()) {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` with the factor from [`cholesky`].
pub(crate) fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[i * n + k] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[k * n + i] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    y
}

/// Inverse of a symmetric positive definite matrix, `None` when it is not.
pub(crate) fn spd_inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let l = cholesky(a, n)?;
    let mut inv = vec![0.0; n * n];
    let mut e = vec![0.0; n];
    for j in 0..n {
        e.iter_mut().for_each(|v| *v = 0.0);
        e[j] = 1.0;
        let col = cholesky_solve(&l, n, &e);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    inv.iter().all(|v| v.is_finite()).then_some(inv)
}

fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0_f64, |m, x| m.max(x.abs()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Backtracking (Armijo) line search along `direction`; the accepted point, value, gradient.
#[allow(clippy::type_complexity)]
fn line_search(
    f: &ValueGrad<'_>,
    x: &[f64],
    value: f64,
    gradient: &[f64],
    direction: &[f64],
) -> Option<(Vec<f64>, f64, Vec<f64>)> {
    let slope = dot(gradient, direction);
    if slope >= 0.0 {
        return None;
    }
    // Keep each log-parameter step below 5 (a factor of e^5) so no trial leaves f64.
    let longest = norm_inf(direction);
    let mut step = if longest > 5.0 { 5.0 / longest } else { 1.0 };
    for _ in 0..40 {
        let trial: Vec<f64> = x.iter().zip(direction).map(|(a, d)| a + step * d).collect();
        if let Some((v, g)) = f(&trial) {
            if v.is_finite() && g.iter().all(|x| x.is_finite()) && v <= value + 1e-4 * step * slope
            {
                return Some((trial, v, g));
            }
        }
        step *= 0.5;
    }
    None
}

/// Numerical Hessian from central differences of the analytic gradient, symmetrized.
pub(crate) fn hessian_from_gradient(f: &ValueGrad<'_>, x: &[f64]) -> Option<Vec<f64>> {
    let n = x.len();
    let mut h = vec![0.0; n * n];
    for j in 0..n {
        let step = 1e-5 * x[j].abs().max(1.0);
        let mut up = x.to_vec();
        up[j] += step;
        let mut down = x.to_vec();
        down[j] -= step;
        let (_, gu) = f(&up)?;
        let (_, gd) = f(&down)?;
        for i in 0..n {
            h[i * n + j] = (gu[i] - gd[i]) / (2.0 * step);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (h[i * n + j] + h[j * n + i]);
            h[i * n + j] = m;
            h[j * n + i] = m;
        }
    }
    h.iter().all(|v| v.is_finite()).then_some(h)
}

/// Value and central-difference gradient of a value-only objective.
pub(crate) fn with_numeric_gradient<'a>(
    f: impl Fn(&[f64]) -> Option<f64> + 'a,
) -> impl Fn(&[f64]) -> Option<(f64, Vec<f64>)> + 'a {
    move |x: &[f64]| {
        let value = f(x)?;
        let mut gradient = vec![0.0; x.len()];
        let mut probe = x.to_vec();
        for j in 0..x.len() {
            let step = 1e-6 * x[j].abs().max(1.0);
            probe[j] = x[j] + step;
            let up = f(&probe)?;
            probe[j] = x[j] - step;
            let down = f(&probe)?;
            probe[j] = x[j];
            gradient[j] = (up - down) / (2.0 * step);
        }
        value.is_finite().then_some((value, gradient))
    }
}

/// Numerical Hessian from second differences of a value-only objective.
pub(crate) fn hessian_from_values(
    f: &dyn Fn(&[f64]) -> Option<f64>,
    x: &[f64],
) -> Option<Vec<f64>> {
    let n = x.len();
    let f0 = f(x)?;
    let steps: Vec<f64> = x.iter().map(|v| 1e-4 * v.abs().max(1.0)).collect();
    let mut h = vec![0.0; n * n];
    let eval = |di: usize, si: f64, dj: usize, sj: f64| -> Option<f64> {
        let mut p = x.to_vec();
        p[di] += si;
        p[dj] += sj;
        f(&p)
    };
    for i in 0..n {
        let (hi, fp, fm) = (
            steps[i],
            eval(i, steps[i], i, 0.0)?,
            eval(i, -steps[i], i, 0.0)?,
        );
        h[i * n + i] = (fp - 2.0 * f0 + fm) / (hi * hi);
        for j in 0..i {
            let hj = steps[j];
            let v = (eval(i, hi, j, hj)? - eval(i, hi, j, -hj)? - eval(i, -hi, j, hj)?
                + eval(i, -hi, j, -hj)?)
                / (4.0 * hi * hj);
            h[i * n + j] = v;
            h[j * n + i] = v;
        }
    }
    h.iter().all(|v| v.is_finite()).then_some(h)
}

/// Minimizes `f` from `x0`: BFGS with a backtracking line search, then Newton steps on the
/// numerical Hessian of the gradient until the gradient stops shrinking.
pub(crate) fn minimize(
    f: &ValueGrad<'_>,
    x0: &[f64],
    gtol: f64,
    max_iter: usize,
) -> Option<Minimum> {
    let n = x0.len();
    let (mut value, mut gradient) = f(x0)?;
    if !value.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
        return None;
    }
    let mut x = x0.to_vec();
    // Inverse Hessian approximation, started at the identity.
    let mut inv_h = vec![0.0; n * n];
    (0..n).for_each(|i| inv_h[i * n + i] = 1.0);
    let mut iterations = 0;
    // BFGS until the gradient is small enough for Newton's quadratic convergence.
    let handover = gtol.sqrt().max(gtol * 1e3);
    while iterations < max_iter && norm_inf(&gradient) > handover {
        iterations += 1;
        let direction: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| inv_h[i * n + j] * gradient[j]).sum::<f64>())
            .collect();
        let Some((nx, nv, ng)) = line_search(f, &x, value, &gradient, &direction).or_else(|| {
            // Restart along the steepest descent when the quasi-Newton direction fails.
            let steepest: Vec<f64> = gradient.iter().map(|g| -g).collect();
            line_search(f, &x, value, &gradient, &steepest)
        }) else {
            break;
        };
        let s: Vec<f64> = nx.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = ng.iter().zip(&gradient).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-300 {
            if iterations == 1 {
                // Scale the first approximation (Nocedal & Wright 6.20).
                let scale = sy / dot(&y, &y);
                inv_h.iter_mut().for_each(|v| *v *= scale);
            }
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| inv_h[i * n + j] * y[j]).sum())
                .collect();
            let yhy = dot(&y, &hy);
            for i in 0..n {
                for j in 0..n {
                    inv_h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        let improvement = value - nv;
        x = nx;
        value = nv;
        gradient = ng;
        if improvement <= 1e-16 * value.abs().max(1.0) && norm_inf(&gradient) < gtol.sqrt() {
            break;
        }
    }
    // Newton polish: exact-curvature steps, accepted while the gradient shrinks (near the
    // optimum the objective's changes fall below its rounding, so it cannot judge a step).
    for _ in 0..20 {
        if norm_inf(&gradient) <= gtol * 1e-3 {
            break;
        }
        let Some(h) = hessian_from_gradient(f, &x) else {
            break;
        };
        let Some(l) = cholesky(&h, n) else { break };
        let step: Vec<f64> = cholesky_solve(&l, n, &gradient)
            .iter()
            .map(|v| -v)
            .collect();
        let mut scale = 1.0;
        let mut accepted = None;
        for _ in 0..8 {
            let trial: Vec<f64> = x.iter().zip(&step).map(|(a, d)| a + scale * d).collect();
            if let Some((v, g)) = f(&trial) {
                // Summed over a million customers the objective carries ~1e-13 relative rounding.
                let rounding = 1e-10 * value.abs().max(1.0);
                if v.is_finite() && v <= value + rounding && norm_inf(&g) < norm_inf(&gradient) {
                    accepted = Some((trial, v, g));
                    break;
                }
            }
            scale *= 0.5;
        }
        let Some((nx, nv, ng)) = accepted else { break };
        iterations += 1;
        x = nx;
        value = nv;
        gradient = ng;
    }
    let gradient_norm = norm_inf(&gradient);
    Some(Minimum {
        x,
        value,
        gradient_norm,
        iterations,
        converged: gradient_norm <= gtol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock() {
        let f = |x: &[f64]| {
            let (a, b) = (x[0], x[1]);
            let v = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let g = vec![
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ];
            Some((v, g))
        };
        let m = minimize(&f, &[-1.2, 1.0], 1e-10, 500).unwrap();
        assert!(m.converged, "{m:?}");
        assert!((m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8);
        let inv = spd_inverse(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        assert!((inv[0] - 0.375).abs() < 1e-15 && (inv[1] + 0.25).abs() < 1e-15);
    }
}
