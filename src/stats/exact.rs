//! An exactly rounded, order-independent sum of doubles.

use crate::error::{Error, Result};

/// The sum of any number of finite doubles, held exactly (as non-overlapping partial sums, the
/// algorithm of Shewchuk that Python's `math.fsum` uses) and rounded once when read, so the
/// value does not depend on the order the terms came in or on how partial sums were merged:
/// splitting a column across partitions and merging gives the same bits as one pass.
///
/// ```
/// use saas_segmentation::stats::ExactSum;
///
/// let mut a = ExactSum::new();
/// for x in [1e16, 1.0, -1e16] {
///     a.add(x)?;
/// }
/// assert_eq!(a.value()?, 1.0); // a naive left-to-right sum gives 0.0
/// let mut b = ExactSum::new();
/// b.add(0.1)?;
/// a.merge(&b);
/// assert_eq!(a.value()?, 1.1);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    partials: Vec<f64>,
    overflowed: bool,
}

impl ExactSum {
    /// The empty sum (zero).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `x`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] when `x` is NaN or infinite (the sum is unchanged).
    pub fn add(&mut self, x: f64) -> Result<()> {
        if !x.is_finite() {
            return Err(Error::NonFinite {
                record: "a term of an exact sum".into(),
                field: "value".into(),
                value: x,
            });
        }
        self.push(x);
        Ok(())
    }

    /// Adds a finite `x` (the caller checked it).
    pub(crate) fn push(&mut self, mut x: f64) {
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        if x.is_finite() {
            self.partials.push(x);
        } else {
            self.overflowed = true;
        }
    }

    /// Adds every term of `other` (merging equals one pass over both inputs).
    pub fn merge(&mut self, other: &ExactSum) {
        self.overflowed |= other.overflowed;
        for &p in &other.partials {
            self.push(p);
        }
    }

    /// The exact sum rounded to the nearest double (ties to even).
    ///
    /// # Errors
    /// [`Error::Undefined`] when an intermediate sum left the range of f64.
    pub fn value(&self) -> Result<f64> {
        if self.overflowed {
            return Err(Error::Undefined {
                reason: "a sum of finite terms exceeds the range of f64: scale the values down"
                    .into(),
            });
        }
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return Ok(0.0);
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            let y_rounded = hi - x;
            lo = y - y_rounded;
            if lo != 0.0 {
                break;
            }
        }
        // Round half to even when the remaining partials push a tie one way.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        Ok(hi)
    }

    /// The partial sums (non-overlapping, increasing magnitude), whose exact total is the sum.
    #[must_use]
    pub fn partials(&self) -> &[f64] {
        &self.partials
    }

    /// The sum of `partials` (any finite doubles, for example those a serialized state held).
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the position of a NaN or infinite partial.
    pub fn from_partials(partials: &[f64]) -> Result<Self> {
        let mut sum = ExactSum::new();
        for (i, &p) in partials.iter().enumerate() {
            crate::error::ensure_finite(p, || format!("partial {i} of an exact sum"), "value")?;
            sum.push(p);
        }
        Ok(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_fsum_on_hard_cases() {
        let cases: [(&[f64], f64); 5] = [
            (&[], 0.0),
            (&[0.1; 10], 1.0),
            (&[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], 1e-100),
            (&[1.0, 1e-16, 1e-16], 1.0000000000000002),
            (
                &[2.0f64.powi(53), 1.0, 2.0f64.powi(-52)],
                9007199254740994.0,
            ),
        ];
        for (terms, expected) in cases {
            let mut s = ExactSum::new();
            for &t in terms {
                s.add(t).unwrap();
            }
            assert_eq!(s.value().unwrap(), expected, "{terms:?}");
        }
    }

    #[test]
    fn overflow_and_nan_are_errors() {
        let mut s = ExactSum::new();
        assert!(s.add(f64::NAN).is_err());
        s.add(f64::MAX).unwrap();
        s.add(f64::MAX).unwrap();
        assert!(s.value().is_err());
        assert!(ExactSum::from_partials(&[1.0, f64::INFINITY]).is_err());
    }
}
