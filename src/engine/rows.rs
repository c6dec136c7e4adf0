//! Row-major views of matrices.

use std::borrow::Cow;

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// The rows of `x` as one row-major slice (borrowed when `x` is already in standard layout),
/// after checking every cell is finite and every row's squared norm is at most `f64::MAX / 16`
/// (about 1e307: one feature up to about 3e153), so that squared distances between rows,
/// centroids and their expanded forms cannot overflow.
pub(crate) fn matrix_rows<'a>(x: ArrayView2<'a, f64>) -> Result<Cow<'a, [f64]>> {
    let rows = match x.to_slice() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(x.iter().copied().collect()),
    };
    let d = x.ncols();
    if d == 0 {
        return Ok(rows);
    }
    const LIMIT: f64 = f64::MAX / 16.0;
    for (i, row) in rows.chunks_exact(d).enumerate() {
        let norm: f64 = row.iter().map(|v| v * v).sum();
        // NaN and infinity fail this too.
        if norm.is_nan() || norm > LIMIT {
            if let Some(column) = row.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFiniteCell { row: i, column });
            }
            return Err(Error::Undefined {
                reason: format!(
                    "row {i} is too large (squared norm {norm:e}, at most about 1e307): its \
                     squared distances would overflow f64; rescale the features first (a \
                     scaler does)"
                ),
            });
        }
    }
    Ok(rows)
}
