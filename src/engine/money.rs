//! Fixed-point money: amounts summed exactly in millionths of the currency unit, so a monetary
//! total does not depend on the order rows are added in (floating-point sums do), and equal
//! totals tie exactly when scored.

const MICROS: f64 = 1e6;
/// 1.5 x 2^52: adding and subtracting it rounds a double below 2^51 to the nearest integer
/// (ties to even) with two IEEE additions, the same on every platform.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// `amount` in micros, `None` beyond ±2.2 billion (or NaN).
#[inline(always)]
pub(crate) fn to_micros(amount: f64) -> Option<i64> {
    let scaled = amount * MICROS;
    (scaled.abs() < 2_251_799_813_685_248.0).then_some(((scaled + ROUNDER) - ROUNDER) as i64)
}

/// Micros back in currency units.
#[inline]
pub(crate) fn from_micros(micros: i64) -> f64 {
    micros as f64 / MICROS
}
