//! A portable seeded random source.
//!
//! Everything random in the crate draws from [`SeededRng`]: ChaCha8 (a named generator whose
//! stream is fixed by its specification, unlike `StdRng`) turned into numbers with integer and
//! IEEE-754 basic arithmetic only. The logarithm and exponential used for non-uniform draws are
//! implemented here with `+ - * /` rather than taken from the platform's libm, whose last bits
//! differ between systems; so the same seed gives the same numbers on every platform.
//!
//! ```
//! use saas_segmentation::random::SeededRng;
//!
//! let mut a = SeededRng::new(7);
//! let mut b = SeededRng::new(7);
//! assert_eq!(a.next_u64(), b.next_u64());
//! let x = a.uniform();
//! assert!((0.0..1.0).contains(&x));
//! ```

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded, portable random number generator (ChaCha8).
#[derive(Debug, Clone)]
pub struct SeededRng {
    inner: ChaCha8Rng,
}

impl SeededRng {
    /// A generator for `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        SeededRng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// An independent generator for stream `stream` of `seed` (used to give each part of a
    /// computation its own sequence, so adding draws to one part does not shift another).
    #[must_use]
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        SeededRng { inner }
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform draw from [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw from (0, 1], never 0 (safe to take the logarithm of).
    pub fn uniform_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (0 when `n` is 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform draw from [low, high).
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// True with probability `p`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A standard normal draw (Marsaglia's polar method).
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * ln(s) / s).sqrt();
            }
        }
    }

    /// A log-normal draw: `exp(mu + sigma * N(0, 1))`.
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        exp(mu + sigma * self.normal())
    }

    /// An exponential draw with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * ln(self.uniform_open())
    }

    /// A Poisson draw with the given mean (Knuth's product method below 30, a rounded normal
    /// approximation above).
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean < 30.0 {
            let limit = exp(-mean);
            let mut product = self.uniform_open();
            let mut count = 0;
            while product > limit {
                product *= self.uniform_open();
                count += 1;
            }
            count
        } else {
            let x = mean + mean.sqrt() * self.normal() + 0.5;
            if x < 0.0 {
                0
            } else {
                x as u64
            }
        }
    }

    /// An index drawn with probability proportional to `weights` (0 for empty or all-zero
    /// weights).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.uniform() * total;
        for (i, &w) in weights.iter().enumerate() {
            if target < w {
                return i;
            }
            target -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// One element of `items`, uniformly; `None` when `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// Natural logarithm with basic arithmetic only (relative error below 1e-15 for normal
/// positive inputs); non-positive input gives negative infinity or NaN as `f64::ln` does.
#[must_use]
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
    let (mut m, mut e) = (x, 0i32);
    while m >= std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    while m < std::f64::consts::FRAC_1_SQRT_2 {
        m *= 2.0;
        e -= 1;
    }
    // ln(m) = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    // 20 terms: t^41 / 41 < 1e-32, far below the rounding of the sum.
    let mut term = t;
    let mut sum = 0.0f64;
    for k in 0..20 {
        sum += term / f64::from(2 * k + 1);
        term *= t2;
    }
    2.0 * sum + f64::from(e) * std::f64::consts::LN_2
}

/// Exponential function with basic arithmetic only (relative error about 1e-15).
#[must_use]
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.7 {
        return f64::INFINITY;
    }
    if x < -745.0 {
        return 0.0;
    }
    // x = k ln 2 + r, |r| <= ln2 / 2, with ln 2 split in two (Cody-Waite, fdlibm's constants)
    // so that k * LN2_HI is exact; exp(r) by Taylor series, then times 2^k.
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let k = (x / std::f64::consts::LN_2 + if x < 0.0 { -0.5 } else { 0.5 }) as i32;
    let r = (x - f64::from(k) * LN2_HI) - f64::from(k) * LN2_LO;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..30 {
        term *= r / f64::from(n);
        sum += term;
        if term.abs() < 1e-17 * sum {
            break;
        }
    }
    // Multiply by 2^k in two exact steps so subnormal results are reached without overflow.
    let half = k / 2;
    sum * pow2(half) * pow2(k - half)
}

/// 2^k for -1022 <= k <= 1023, built from its bits.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_math_agrees_with_std() {
        for &x in &[1e-300, 1e-5, 0.1, 0.5, 1.0, 2.0, 10.0, 12345.678, 1e300] {
            assert!(
                (ln(x) - x.ln()).abs() <= 4.0 * f64::EPSILON * x.ln().abs().max(1.0),
                "{x}"
            );
        }
        for &x in &[-700.0, -20.0, -1.0, -1e-8, 0.0, 0.3, 1.0, 5.5, 100.0, 700.0] {
            assert!(
                (exp(x) - x.exp()).abs() <= 8.0 * f64::EPSILON * x.exp(),
                "{x}"
            );
        }
    }

    #[test]
    fn seeded_streams_are_stable() {
        // Value stability: these numbers must never change, or every seeded result changes.
        let mut rng = SeededRng::new(42);
        let first = rng.next_u64();
        assert_eq!(first, 12_578_764_544_318_200_737);
        assert_eq!(rng.below(1000), 950);
        assert_eq!(rng.uniform(), 0.427_516_402_856_519_7);
        assert_eq!(rng.normal(), 0.867_187_190_929_415_3);
        assert_eq!(rng.poisson(3.5), 3);
        assert_ne!(SeededRng::stream(42, 1).next_u64(), first);
        let draws: Vec<u64> = (0..1000).map(|_| rng.below(10)).collect();
        assert_eq!(SeededRng::new(42).next_u64(), first);
        assert!(draws.iter().all(|&d| d < 10));
    }
}
