//! Helpers shared by the integration tests: the one place tolerances live.
#![allow(dead_code)]

use serde_json::Value;

/// Relative tolerance against reference values computed by the peer tools.
pub const REL_TOL: f64 = 1e-12;
/// Relative tolerance for iterative fits (k-means) against scikit-learn: its BLAS distance
/// kernel and centred copy round differently from ours, so agreement is to 1e-9, as the issue
/// asks, not to the last bits.
pub const FIT_TOL: f64 = 1e-9;
/// Absolute floor for values that should be zero.
pub const ABS_TOL: f64 = 1e-12;

/// Asserts `actual` is within `REL_TOL` relative (or `ABS_TOL` absolute) of `expected`.
pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        approx::relative_eq!(actual, expected, epsilon = ABS_TOL, max_relative = REL_TOL),
        "{what}: got {actual}, expected {expected} (diff {:e})",
        actual - expected
    );
}

/// Loads a fixture JSON from `tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// A JSON array of arrays as rows.
pub fn matrix(value: &Value) -> Vec<Vec<f64>> {
    value
        .as_array()
        .expect("matrix")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

/// A JSON array of numbers.
pub fn vector(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("vector")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Asserts `actual` is within `FIT_TOL` relative (or absolute near zero) of `expected`.
pub fn assert_fit_close(actual: f64, expected: f64, what: &str) {
    assert!(
        approx::relative_eq!(actual, expected, epsilon = FIT_TOL, max_relative = FIT_TOL),
        "{what}: got {actual}, expected {expected} (diff {:e})",
        actual - expected
    );
}

/// Relative tolerance for test statistics and effect sizes against scipy / statsmodels /
/// scikit-learn (the issue asks 1e-9).
pub const STAT_TOL: f64 = 1e-9;
/// Relative tolerance for p-values: they come from statrs' incomplete beta and gamma functions,
/// not scipy's cephes, so agreement is to this, not to the last bits (the issue asks 1e-6 or
/// tighter).
pub const P_TOL: f64 = 1e-9;

/// Asserts `actual` is within `tol` relative (absolute below 1e-300) of `expected`, treating
/// equal infinities as equal.
pub fn assert_within(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        actual == expected
            || approx::relative_eq!(actual, expected, epsilon = 1e-300, max_relative = tol),
        "{what}: got {actual}, expected {expected} (diff {:e})",
        actual - expected
    );
}

/// An index of the keys `0..n` in order, so key order (the crate's tie-break) equals position
/// (the order of the peers' fixtures).
#[allow(dead_code)]
pub fn numbered(n: usize) -> saas_segmentation::CustomerIndex<u32> {
    saas_segmentation::CustomerIndex::from_keys(0..n as u32).expect("index")
}

/// A per-customer column from one value per customer of `customers`.
#[allow(dead_code)]
pub fn column<T>(
    customers: &impl saas_segmentation::CustomerSet,
    values: Vec<Option<T>>,
) -> saas_segmentation::PerCustomer<T> {
    saas_segmentation::PerCustomer::new(customers, values).expect("one value per customer")
}

/// The dense id at position `i` (of a set large enough for any test).
#[allow(dead_code)]
pub fn cid(i: u32) -> saas_segmentation::CustomerId {
    saas_segmentation::ids::DenseCustomers::new(u32::MAX as usize)
        .id(i as usize)
        .expect("in range")
}
