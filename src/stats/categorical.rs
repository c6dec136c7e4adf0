//! Tests on counts: chi-square independence and goodness of fit, two-proportion z, Cramér's V.

use super::distributions::{chi2_sf, normal_sf};
use super::ensure_all_finite;
use super::Alternative;
use crate::error::{Error, Result};

/// A chi-square test.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChiSquareTest {
    /// The chi-square statistic (Yates-corrected for a 2 x 2 table when asked).
    pub statistic: f64,
    /// P(chi-square with `df` >= statistic).
    pub p_value: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// Expected counts (row-major, the table's shape).
    pub expected: Vec<f64>,
    /// Cramér's V of the table, from the uncorrected statistic whatever `correction` was (as
    /// `scipy.stats.contingency.association(table, method="cramer")`); `None` for a
    /// goodness-of-fit test, or a table with one row or one column.
    pub cramers_v: Option<f64>,
}

/// A two-proportion z test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProportionsTest {
    /// The z statistic (positive when the first proportion is larger).
    pub statistic: f64,
    /// The p-value for the chosen [`Alternative`].
    pub p_value: f64,
    /// First proportion less second.
    pub difference: f64,
}

/// Checks an r x c table of counts: shape, finite, non-negative, no all-zero row or column.
fn checked_table(table: &[f64], rows: usize) -> Result<usize> {
    if rows == 0 || table.is_empty() {
        return Err(Error::EmptyInput {
            what: "the contingency table",
            item: "cell",
        });
    }
    if !table.len().is_multiple_of(rows) {
        return Err(Error::InvalidParameter {
            name: "table",
            reason: format!(
                "{} cells do not fill {rows} rows: give rows x columns counts, row-major",
                table.len()
            ),
        });
    }
    ensure_all_finite(table, "contingency table")?;
    let columns = table.len() / rows;
    if let Some(v) = table.iter().find(|v| **v < 0.0) {
        return Err(Error::InvalidParameter {
            name: "table",
            reason: format!("count {v} is negative"),
        });
    }
    for (i, row) in table.chunks_exact(columns).enumerate() {
        if row.iter().all(|&v| v == 0.0) {
            return Err(Error::InvalidParameter {
                name: "table",
                reason: format!("row {i} is all zero: drop it, its expected counts would be 0"),
            });
        }
    }
    for j in 0..columns {
        if (0..rows).all(|i| table[i * columns + j] == 0.0) {
            return Err(Error::InvalidParameter {
                name: "table",
                reason: format!("column {j} is all zero: drop it, its expected counts would be 0"),
            });
        }
    }
    Ok(columns)
}

/// Pearson's statistic: the sum of (observed - expected)^2 / expected.
fn pearson(observed: &[f64], expected: &[f64]) -> f64 {
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| (o - e) * (o - e) / e)
        .sum()
}

/// Expected counts under independence: row total x column total / n.
fn expected_counts(table: &[f64], rows: usize, columns: usize) -> Vec<f64> {
    let row_sums: Vec<f64> = table
        .chunks_exact(columns)
        .map(|r| r.iter().sum())
        .collect();
    let column_sums: Vec<f64> = (0..columns)
        .map(|j| (0..rows).map(|i| table[i * columns + j]).sum())
        .collect();
    let n: f64 = row_sums.iter().sum();
    let mut expected = Vec::with_capacity(table.len());
    for r in &row_sums {
        for c in &column_sums {
            expected.push(r * c / n);
        }
    }
    expected
}

/// [`expected_counts`], refusing tables whose totals or products overflow f64.
fn checked_expected(table: &[f64], rows: usize, columns: usize) -> Result<Vec<f64>> {
    let expected = expected_counts(table, rows, columns);
    if expected.iter().all(|e| e.is_finite() && *e > 0.0) {
        return Ok(expected);
    }
    Err(Error::Undefined {
        reason: "the table's totals are so large (or its counts so small) that the expected \
                 counts leave f64: give counts, not scaled values"
            .to_owned(),
    })
}

/// Chi-square test of independence of a table of counts (`rows` rows, row-major), e.g. segment x
/// churned.
///
/// With `correction` (scipy's default) a table with one degree of freedom gets Yates' continuity
/// correction: each observed count moves by at most 0.5 toward its expected count.
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::NonFinite`], and [`Error::InvalidParameter`] for cells that
/// do not fill `rows` rows, a negative count or an all-zero row or column.
///
/// Reference: matches `scipy.stats.chi2_contingency(table, correction=...)` (statistic, p, dof,
/// expected); a table with 0 degrees of freedom gives statistic 0 and p 1 as scipy does.
pub fn chi2_contingency(table: &[f64], rows: usize, correction: bool) -> Result<ChiSquareTest> {
    let columns = checked_table(table, rows)?;
    let expected = checked_expected(table, rows, columns)?;
    let df = ((rows - 1) * (columns - 1)) as f64;
    if df == 0.0 {
        return Ok(ChiSquareTest {
            statistic: 0.0,
            p_value: 1.0,
            df,
            expected,
            cramers_v: None,
        });
    }
    let cramers_v = Some(cramers_v_of(table, rows, columns, &expected)?);
    let statistic: f64 = table
        .iter()
        .zip(&expected)
        .map(|(&o, &e)| {
            let o = if correction && df == 1.0 {
                let diff = e - o;
                o + diff.signum() * diff.abs().min(0.5)
            } else {
                o
            };
            (o - e) * (o - e) / e
        })
        .sum();
    let statistic = crate::error::finite_result(statistic, "the chi-square statistic")?;
    Ok(ChiSquareTest {
        statistic,
        p_value: chi2_sf(statistic, df)?,
        df,
        expected,
        cramers_v,
    })
}

/// Cramér's V of a table of counts, in [0, 1]: `sqrt(chi2 / (n (min(r, c) - 1)))` with the
/// uncorrected chi-square.
///
/// # Errors
/// As [`chi2_contingency`], and [`Error::Undefined`] for a table with one row or one column.
///
/// Reference: matches `scipy.stats.contingency.association(table, method="cramer")`.
pub fn cramers_v(table: &[f64], rows: usize) -> Result<f64> {
    let columns = checked_table(table, rows)?;
    if rows < 2 || columns < 2 {
        return Err(Error::Undefined {
            reason: "Cramér's V needs at least two rows and two columns".to_owned(),
        });
    }
    let expected = checked_expected(table, rows, columns)?;
    cramers_v_of(table, rows, columns, &expected)
}

/// Cramér's V from the uncorrected statistic of a checked table with at least two rows and
/// two columns.
fn cramers_v_of(table: &[f64], rows: usize, columns: usize, expected: &[f64]) -> Result<f64> {
    let chi2 = pearson(table, expected);
    let n: f64 = table.iter().sum();
    let v = crate::error::finite_result(
        (chi2 / (n * (rows.min(columns) - 1) as f64)).sqrt(),
        "Cramér's V",
    )?;
    // In [0, 1]; rounding can exceed 1 by an ulp.
    Ok(v.min(1.0))
}

/// Chi-square goodness of fit of observed counts to expected ones (uniform when `expected` is
/// `None`); `ddof` lowers the degrees of freedom (k - 1 - ddof).
///
/// # Errors
/// [`Error::InvalidParameter`] with fewer than two categories, negative counts, expected counts
/// that are not positive or whose total differs from the observed total by more than 1e-8
/// relative, or `ddof` leaving no degree of freedom; [`Error::LengthMismatch`];
/// [`Error::NonFinite`].
///
/// Reference: matches `scipy.stats.chisquare(observed, expected, ddof)`.
pub fn chisquare(observed: &[f64], expected: Option<&[f64]>, ddof: usize) -> Result<ChiSquareTest> {
    let k = observed.len();
    if k < 2 {
        return Err(Error::InvalidParameter {
            name: "observed",
            reason: format!("{k} categories: the test needs at least two"),
        });
    }
    ensure_all_finite(observed, "observed")?;
    if observed.iter().any(|&v| v < 0.0) {
        return Err(Error::InvalidParameter {
            name: "observed",
            reason: "a count is negative".to_owned(),
        });
    }
    let total: f64 = observed.iter().sum();
    let expected: Vec<f64> = match expected {
        None => vec![total / k as f64; k],
        Some(e) => {
            if e.len() != k {
                return Err(Error::LengthMismatch {
                    what: "expected counts",
                    expected: k,
                    found: e.len(),
                });
            }
            ensure_all_finite(e, "expected")?;
            if e.iter().any(|&v| v <= 0.0) {
                return Err(Error::InvalidParameter {
                    name: "expected",
                    reason: "expected counts must be positive".to_owned(),
                });
            }
            let expected_total: f64 = e.iter().sum();
            if (expected_total - total).abs() > 1e-8 * total.max(expected_total) {
                return Err(Error::InvalidParameter {
                    name: "expected",
                    reason: format!(
                        "expected counts total {expected_total}, observed {total}: scale them to \
                         the observed total"
                    ),
                });
            }
            e.to_vec()
        }
    };
    if total == 0.0 {
        return Err(Error::Undefined {
            reason: "every count is 0".to_owned(),
        });
    }
    if ddof >= k - 1 {
        return Err(Error::InvalidParameter {
            name: "ddof",
            reason: format!("ddof {ddof} leaves no degree of freedom for {k} categories"),
        });
    }
    let df = (k - 1 - ddof) as f64;
    crate::error::finite_result(total, "the total of the observed counts")?;
    let statistic =
        crate::error::finite_result(pearson(observed, &expected), "the chi-square statistic")?;
    Ok(ChiSquareTest {
        statistic,
        p_value: chi2_sf(statistic, df)?,
        df,
        expected,
        cramers_v: None,
    })
}

/// Two-proportion z test with the pooled proportion (e.g. conversion of segment A vs segment B):
/// `successes` out of `trials` in each group.
///
/// # Errors
/// [`Error::InvalidParameter`] when a group has no trials or more successes than trials;
/// [`Error::Undefined`] when the pooled proportion is 0 or 1 (the variance is 0).
///
/// Reference: matches `statsmodels.stats.proportion.proportions_ztest([s1, s2], [n1, n2])`.
pub fn proportions_ztest(
    successes: [u64; 2],
    trials: [u64; 2],
    alternative: Alternative,
) -> Result<ProportionsTest> {
    for (s, n) in successes.iter().zip(&trials) {
        if *n == 0 || s > n {
            return Err(Error::InvalidParameter {
                name: "trials",
                reason: format!("{s} successes in {n} trials: need 0 <= successes <= trials > 0"),
            });
        }
    }
    let (n1, n2) = (trials[0] as f64, trials[1] as f64);
    let (p1, p2) = (successes[0] as f64 / n1, successes[1] as f64 / n2);
    // Summed as floats: two u64 counts can overflow u64.
    let pooled = ((successes[0] as f64 + successes[1] as f64) / (n1 + n2)).min(1.0);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance == 0.0 {
        return Err(Error::Undefined {
            reason: "the pooled proportion is 0 or 1: the z statistic is 0 / 0".to_owned(),
        });
    }
    let statistic = (p1 - p2) / variance.sqrt();
    let p_value = match alternative {
        Alternative::TwoSided => (2.0 * normal_sf(statistic.abs())?).min(1.0),
        Alternative::Greater => normal_sf(statistic)?,
        Alternative::Less => normal_sf(-statistic)?,
    };
    Ok(ProportionsTest {
        statistic,
        p_value,
        difference: p1 - p2,
    })
}
