//! Row-major views of matrices.

use std::borrow::Cow;

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// The rows of `x` as one row-major slice (borrowed when `x` is already in standard layout),
/// after checking every cell is finite.
pub(crate) fn matrix_rows<'a>(x: ArrayView2<'a, f64>) -> Result<Cow<'a, [f64]>> {
    let rows = match x.to_slice() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(x.iter().copied().collect()),
    };
    let d = x.ncols().max(1);
    if let Some(position) = rows.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFiniteCell {
            row: position / d,
            column: position % d,
        });
    }
    Ok(rows)
}
