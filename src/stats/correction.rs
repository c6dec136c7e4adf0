//! Multiple-comparison corrections (statsmodels `multipletests`).

use crate::error::{Error, Result};

fn checked(p_values: &[f64]) -> Result<()> {
    if p_values.is_empty() {
        return Err(Error::EmptyInput {
            what: "p-values",
            item: "p-value",
        });
    }
    if let Some(p) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(Error::InvalidParameter {
            name: "p_values",
            reason: format!("{p} is not a probability in [0, 1]"),
        });
    }
    Ok(())
}

/// Order of `p` ascending, ties by position (stable), as numpy's `argsort` on these inputs.
fn ascending(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

/// Holm's step-down adjusted p-values (family-wise error), in the input order.
///
/// # Errors
/// [`Error::EmptyInput`] without p-values; [`Error::InvalidParameter`] for a value outside [0, 1].
///
/// Reference: matches `statsmodels.stats.multitest.multipletests(p, method="holm")[1]`.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>> {
    checked(p_values)?;
    let m = p_values.len();
    let order = ascending(p_values);
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        out[i] = running;
    }
    Ok(out)
}

/// Benjamini-Hochberg adjusted p-values (false discovery rate), in the input order.
///
/// # Errors
/// As [`holm`].
///
/// Reference: matches `statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]`.
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>> {
    checked(p_values)?;
    let m = p_values.len();
    let order = ascending(p_values);
    let mut out = vec![0.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        // statsmodels divides by the ECDF factor rank / m.
        running = running.min(p_values[i] / ((rank + 1) as f64 / m as f64));
        out[i] = running.min(1.0);
    }
    Ok(out)
}
