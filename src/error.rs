//! The crate-wide error type.
//!
//! Every fallible function in the crate returns [`Result<T>`](crate::Result), and every variant
//! names what was wrong (which record, which field, what was expected) so the message alone tells
//! a caller how to fix the input.
//!
//! ```
//! use saas_segmentation::{Date, Error};
//!
//! let err = "2024-02-30".parse::<Date>().unwrap_err();
//! assert!(matches!(err, Error::InvalidDate { .. }));
//! assert!(err.to_string().contains("2024-02-30"));
//! ```

/// The one error type of the crate.
///
/// Errors are `Clone + PartialEq` so tests can `assert_eq!` them, and `#[non_exhaustive]` so new
/// variants can be added without a breaking change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input that must hold at least one element was empty.
    #[error("{what} is empty: pass at least one {item}")]
    EmptyInput {
        /// What was empty (`"profiles"`, `"activity log"` ...).
        what: &'static str,
        /// What one element of it is.
        item: &'static str,
    },
    /// A number that must be finite was NaN or infinite.
    #[error("{field} of {record} is {value}: only finite numbers are accepted")]
    NonFinite {
        /// The record that held it (`"row 3"`, `"customer cus_1"`).
        record: String,
        /// The field or column.
        field: String,
        /// The offending value.
        value: f64,
    },
    /// A matrix cell that must be finite was NaN or infinite.
    #[error("matrix cell at row {row}, column {column} is not finite: clean or impute it first")]
    NonFiniteCell {
        /// Row index (customer) of the cell.
        row: usize,
        /// Column index of the cell.
        column: usize,
    },
    /// A number was outside the range it must lie in.
    #[error("{field} of {record} is {value}, expected {expected}")]
    OutOfRange {
        /// The record that held it.
        record: String,
        /// The field or parameter.
        field: String,
        /// The offending value.
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// A parameter was invalid on its own (not tied to a record).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What was wrong and what is expected.
        reason: String,
    },
    /// A date string did not parse, or named a day that does not exist.
    #[error("invalid date {input:?}: {reason}")]
    InvalidDate {
        /// The text or components that were given.
        input: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// Date arithmetic left the supported range (years 0 to 9999).
    #[error("date arithmetic overflowed: {operation} leaves the years 0 to 9999")]
    DateOverflow {
        /// The operation that overflowed, in words.
        operation: String,
    },
    /// Two inputs that must have equal lengths did not.
    #[error("length mismatch: {what} has length {found}, expected {expected}")]
    LengthMismatch {
        /// The input whose length was wrong.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A matrix had the wrong number of columns or rows.
    #[error("shape mismatch: {what} has {found} columns, expected {expected}")]
    ShapeMismatch {
        /// The input whose shape was wrong.
        what: &'static str,
        /// The number required.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// A record referred to a customer the index does not hold.
    #[error("{record} refers to customer {customer}, which is not in the customer index: add it to the index first")]
    UnknownCustomer {
        /// The record (`"activity row 17"`).
        record: String,
        /// The external key, formatted with `Debug`.
        customer: String,
    },
    /// A dense customer id was outside the index.
    #[error("customer id {id} is out of range: the index holds {len} customers")]
    UnknownCustomerId {
        /// The dense id.
        id: u32,
        /// How many customers the index holds.
        len: usize,
    },
    /// The customer index is full (more than `u32::MAX` customers).
    #[error("the customer index is full: at most {max} customers fit in a dense u32 id")]
    IndexFull {
        /// The capacity.
        max: u64,
    },
    /// A value the computation needs was missing.
    #[error("{column} is missing for {record}: fill it, or choose an impute policy")]
    MissingValue {
        /// The record (`"row 4 (customer cus_9)"`).
        record: String,
        /// The column or field.
        column: String,
    },
    /// Two definitions used one name.
    #[error("{what} {name:?} is defined twice: names must be unique")]
    DuplicateName {
        /// What kind of thing was named twice.
        what: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A record was out of chronological order where order is required.
    #[error("{record} is out of order: {reason}")]
    OutOfOrder {
        /// The record.
        record: String,
        /// What order was expected.
        reason: String,
    },
    /// Two per-customer values that belong to different customer sets were combined.
    #[error("{what} belongs to {found}, but the analysis is over {expected}: build both from the same customer index (or re-attach by key with `Segmentation::keyed`)")]
    CustomerSetMismatch {
        /// The value whose customer set differs (`"revenue"`, `"segmentation"`).
        what: String,
        /// The customer set of the analysis.
        expected: crate::universe::Universe,
        /// The customer set of the value.
        found: crate::universe::Universe,
    },
    /// The computation is undefined for this input (for example every value is equal).
    #[error("undefined: {reason}")]
    Undefined {
        /// Why the quantity cannot be computed.
        reason: String,
    },
    /// A chart or report could not be drawn (feature `charts`): nothing to draw, or a value
    /// that is not finite.
    #[error("cannot draw {what:?}: {reason}")]
    Render {
        /// The chart's title.
        what: String,
        /// What is wrong, and how to fix it.
        reason: String,
    },
}

/// The crate's result type, with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that `value` is finite, naming the record and field otherwise.
pub(crate) fn ensure_finite(
    value: f64,
    record: impl FnOnce() -> String,
    field: &str,
) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NonFinite {
            record: record(),
            field: field.to_owned(),
            value,
        })
    }
}

/// Checks that `value` is finite and not negative, naming the record and field otherwise.
pub(crate) fn ensure_non_negative(
    value: f64,
    record: impl Fn() -> String,
    field: &str,
) -> Result<f64> {
    ensure_finite(value, &record, field)?;
    if value < 0.0 {
        return Err(Error::OutOfRange {
            record: record(),
            field: field.to_owned(),
            value,
            expected: "a value >= 0",
        });
    }
    Ok(value)
}

/// `value` when it is finite; [`Error::Undefined`] saying that `what` overflows otherwise, for
/// results computed from finite inputs so extreme that the arithmetic leaves f64.
pub(crate) fn finite_result(value: f64, what: &str) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::Undefined {
            reason: format!(
                "{what} is {value} for these inputs (the arithmetic overflows f64): check the \
                 inputs for values far outside their usual range"
            ),
        })
    }
}
