//! Reading the tables teams already have as Apache Arrow record batches (arrow-rs, feature
//! `arrow`): transactions, MRR rows, subscriptions, activity, signups, per-customer values and
//! numeric feature matrices, each by naming its columns.
//!
//! Customer keys are interned into a [`CustomerIndex<String>`] as they are read (integer keys
//! are written in decimal), so the records come out keyed by dense [`CustomerId`]s, the crate's
//! fast path, and every result stays tied to that index. Dictionary-encoded key columns are
//! resolved once per dictionary value, not once per row.
//!
//! Column types each reader accepts:
//! - keys: `Utf8`, `LargeUtf8`, `Utf8View`, dictionaries of those, or any integer type;
//! - dates: `Date32`, `Date64`, `Timestamp` of any unit (the UTC calendar day of the instant;
//!   the time zone is not applied), or text `YYYY-MM-DD`;
//! - numbers: any float, integer or `Decimal128` type, or text (see [`lenient::parse_number`]);
//! - booleans: `Boolean`, integers 0/1, or text (see [`lenient::parse_bool`]);
//! - names and categories: the key types.
//!
//! A column of another type is an [`Error::InvalidParameter`] naming the column and its type. A
//! null in a required column is an [`Error::MissingValue`] naming the row and the column, or,
//! with [`ArrowReader::nulls`]`(BadRows::Drop)`, the row is left out and counted in the
//! [`ReadReport`]. Row numbers count from the first row of the first batch.
//!
//! Polars data frames reach this module through Arrow: in Python, `df.to_arrow()`; in Rust,
//! export each column with polars-arrow's C data interface (`polars_arrow::ffi`) and import it
//! with `arrow_array::ffi::from_ffi`, then build a `RecordBatch`. The crate keeps no polars
//! dependency.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Date32Array, Float64Array, RecordBatch, StringArray};
//! use saas_segmentation::arrow::ArrowReader;
//! use saas_segmentation::rfm::{RfmParams, RfmTable};
//! use saas_segmentation::{CustomerIndex, Date};
//!
//! let day = |s: &str| s.parse::<Date>().map(|d| d.days());
//! let batch = RecordBatch::try_from_iter([
//!     ("account", Arc::new(StringArray::from(vec!["acme", "globex", "acme"])) as _),
//!     ("paid_on", Arc::new(Date32Array::from(vec![day("2024-01-05")?, day("2024-01-09")?, day("2024-02-01")?])) as _),
//!     ("amount", Arc::new(Float64Array::from(vec![120.0, 80.0, 120.0])) as _),
//! ]).expect("columns of one length");
//! let reader = ArrowReader::new().customer("account").date("paid_on").amount("amount");
//! let mut index = CustomerIndex::new();
//! let (log, report) = reader.transactions(&[batch], &mut index)?;
//! assert_eq!((report.rows, report.new_customers), (3, 2));
//! let table = RfmTable::from_interned(&log, &index, &RfmParams::new("2024-03-01".parse()?))?;
//! let acme = index.get("acme").unwrap();
//! assert_eq!(table.per_customer()?.get(acme).unwrap().frequency, 2);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt::Write as _;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use ndarray::Array2;

use crate::activity::Activity;
use crate::date::Date;
use crate::economics::Subscription;
use crate::error::{Error, Result};
use crate::features::FeatureMatrix;
use crate::ids::{CustomerId, CustomerIndex};
use crate::lenient::{self, EventNames};
use crate::records::{BadRows, MrrRecord, Transaction};
use crate::universe::PerCustomer;

/// Which columns hold what, and what to do with nulls. Build with [`ArrowReader::new`] and the
/// column-naming methods; each reader lists the columns it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrowReader {
    customer: String,
    date: String,
    amount: String,
    mrr: String,
    start: String,
    end: String,
    event: String,
    nulls: BadRows,
}

impl Default for ArrowReader {
    fn default() -> Self {
        ArrowReader::new()
    }
}

/// What a reader did with the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadReport {
    /// Rows read, over all batches.
    pub rows: u64,
    /// Rows left out for a null in a required column ([`ArrowReader::nulls`] `Drop`).
    pub dropped_nulls: u64,
    /// Customers added to the index by this read.
    pub new_customers: usize,
}

impl ArrowReader {
    /// The default column names: `customer_id`, `date`, `amount`, `mrr`, `start_date`,
    /// `end_date` and `event`; nulls in required columns are refused.
    #[must_use]
    pub fn new() -> Self {
        ArrowReader {
            customer: "customer_id".into(),
            date: "date".into(),
            amount: "amount".into(),
            mrr: "mrr".into(),
            start: "start_date".into(),
            end: "end_date".into(),
            event: "event".into(),
            nulls: BadRows::Reject,
        }
    }

    /// The column of customer keys.
    #[must_use]
    pub fn customer(mut self, column: impl Into<String>) -> Self {
        self.customer = column.into();
        self
    }

    /// The column of dates (transactions, activity, signups; the month of MRR rows).
    #[must_use]
    pub fn date(mut self, column: impl Into<String>) -> Self {
        self.date = column.into();
        self
    }

    /// The column of transaction amounts.
    #[must_use]
    pub fn amount(mut self, column: impl Into<String>) -> Self {
        self.amount = column.into();
        self
    }

    /// The column of monthly recurring revenue (MRR rows and subscriptions).
    #[must_use]
    pub fn mrr(mut self, column: impl Into<String>) -> Self {
        self.mrr = column.into();
        self
    }

    /// The column of subscription start dates.
    #[must_use]
    pub fn start(mut self, column: impl Into<String>) -> Self {
        self.start = column.into();
        self
    }

    /// The column of subscription end dates (null while active).
    #[must_use]
    pub fn end(mut self, column: impl Into<String>) -> Self {
        self.end = column.into();
        self
    }

    /// The column of activity event names.
    #[must_use]
    pub fn event(mut self, column: impl Into<String>) -> Self {
        self.event = column.into();
        self
    }

    /// What to do with a row whose required column is null: refuse it (default) or leave it
    /// out and count it in [`ReadReport::dropped_nulls`].
    #[must_use]
    pub fn nulls(mut self, policy: BadRows) -> Self {
        self.nulls = policy;
        self
    }

    /// Transactions from the customer, date and amount columns, keys interned into `index`.
    ///
    /// # Errors
    /// A missing column or one of another type, a null (unless dropped), a date outside the
    /// years 0 to 9999, a non-finite amount, or a full index.
    pub fn transactions(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<String>,
    ) -> Result<(Vec<Transaction<CustomerId>>, ReadReport)> {
        self.rows(batches, index, |batch, first| {
            let dates = dates(column(batch, &self.date)?, &self.date, first)?;
            let amounts = numbers(column(batch, &self.amount)?, &self.amount, first)?;
            Ok(move |row: usize, id| {
                let (Some(date), Some(amount)) = (dates[row], amounts[row]) else {
                    return Ok(None);
                };
                finite(amount, &self.amount, first + row)?;
                Ok(Some(Transaction::new(id, date, amount)))
            })
        })
    }

    /// MRR rows from the customer, date (a day of the month) and MRR columns, keys interned
    /// into `index`.
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`].
    pub fn mrr_rows(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<String>,
    ) -> Result<(Vec<MrrRecord<CustomerId>>, ReadReport)> {
        self.rows(batches, index, |batch, first| {
            let dates = dates(column(batch, &self.date)?, &self.date, first)?;
            let mrr = numbers(column(batch, &self.mrr)?, &self.mrr, first)?;
            Ok(move |row: usize, id| {
                let (Some(month), Some(value)) = (dates[row], mrr[row]) else {
                    return Ok(None);
                };
                finite(value, &self.mrr, first + row)?;
                Ok(Some(MrrRecord::new(id, month, value)))
            })
        })
    }

    /// Subscriptions from the customer, start, end (null while active) and MRR columns, keys
    /// interned into `index`; expand them into monthly MRR with
    /// [`monthly_mrr`](crate::economics::monthly_mrr).
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`]; a null end is not an error.
    pub fn subscriptions(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<String>,
    ) -> Result<(Vec<Subscription<CustomerId>>, ReadReport)> {
        self.rows(batches, index, |batch, first| {
            let starts = dates(column(batch, &self.start)?, &self.start, first)?;
            let ends = dates(column(batch, &self.end)?, &self.end, first)?;
            let mrr = numbers(column(batch, &self.mrr)?, &self.mrr, first)?;
            Ok(move |row: usize, id| {
                let (Some(start), Some(value)) = (starts[row], mrr[row]) else {
                    return Ok(None);
                };
                finite(value, &self.mrr, first + row)?;
                Ok(Some(Subscription::new(id, start, ends[row], value)))
            })
        })
    }

    /// Activity from the customer, date and event columns, event names mapped by `names`
    /// (logins, workflows, features), keys interned into `index`.
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`].
    pub fn activity(
        &self,
        batches: &[RecordBatch],
        names: &EventNames,
        index: &mut CustomerIndex<String>,
    ) -> Result<(Vec<Activity<CustomerId>>, ReadReport)> {
        self.rows(batches, index, |batch, first| {
            let dates = dates(column(batch, &self.date)?, &self.date, first)?;
            let events = texts(column(batch, &self.event)?, &self.event)?;
            Ok(move |row: usize, id| {
                let (Some(date), Some(event)) = (dates[row], events[row].as_deref()) else {
                    return Ok(None);
                };
                Ok(Some(Activity::new(id, date, names.event(event))))
            })
        })
    }

    /// Signups (customer, signup date) from the customer and date columns, keys interned into
    /// `index`: the input of [`Cohorts::by_signup`](crate::cohort::Cohorts::by_signup).
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`].
    pub fn signups(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<String>,
    ) -> Result<(Vec<(CustomerId, Date)>, ReadReport)> {
        self.rows(batches, index, |batch, first| {
            let dates = dates(column(batch, &self.date)?, &self.date, first)?;
            Ok(move |row: usize, id| Ok(dates[row].map(|d| (id, d))))
        })
    }

    /// One number per customer of `index` from a table with one row per customer (the
    /// customer column and `value_column`): customers without a row, and null cells, are
    /// `None`, the crate's missing value.
    ///
    /// # Errors
    /// A customer the index does not hold ([`Error::UnknownCustomer`]), a customer on two
    /// rows ([`Error::DuplicateName`]), a null key, a non-finite number, or a column of
    /// another type.
    pub fn values(
        &self,
        batches: &[RecordBatch],
        value_column: &str,
        index: &CustomerIndex<String>,
    ) -> Result<PerCustomer<f64>> {
        let mut values = vec![None; index.len()];
        let mut first = 0;
        for (batch, ids) in batches.iter().zip(self.customer_rows(batches, index)?) {
            let cells = numbers(column(batch, value_column)?, value_column, first)?;
            for (row, id) in ids.into_iter().enumerate() {
                if let Some(v) = cells[row] {
                    finite(v, value_column, first + row)?;
                }
                values[id.index()] = cells[row];
            }
            first += batch.num_rows();
        }
        PerCustomer::new(index, values)
    }

    /// One category (text) per customer of `index`, as [`ArrowReader::values`]; the labels are
    /// kept as written.
    ///
    /// # Errors
    /// As [`ArrowReader::values`].
    pub fn categories(
        &self,
        batches: &[RecordBatch],
        category_column: &str,
        index: &CustomerIndex<String>,
    ) -> Result<PerCustomer<String>> {
        let mut values = vec![None; index.len()];
        for (batch, ids) in batches.iter().zip(self.customer_rows(batches, index)?) {
            let cells = texts(column(batch, category_column)?, category_column)?;
            for (cell, id) in cells.into_iter().zip(ids) {
                values[id.index()] = cell;
            }
        }
        PerCustomer::new(index, values)
    }

    /// One yes/no flag per customer of `index`, as [`ArrowReader::values`].
    ///
    /// # Errors
    /// As [`ArrowReader::values`].
    pub fn flags(
        &self,
        batches: &[RecordBatch],
        flag_column: &str,
        index: &CustomerIndex<String>,
    ) -> Result<PerCustomer<bool>> {
        let mut values = vec![None; index.len()];
        let mut first = 0;
        for (batch, ids) in batches.iter().zip(self.customer_rows(batches, index)?) {
            let cells = booleans(column(batch, flag_column)?, flag_column, first)?;
            for (cell, id) in cells.into_iter().zip(ids) {
                values[id.index()] = cell;
            }
            first += batch.num_rows();
        }
        PerCustomer::new(index, values)
    }

    /// A feature matrix over the customers of `index` (row `i` is customer `i`) from numeric
    /// `columns` of a table with one row per customer. Every customer needs a row and every
    /// cell a finite value: impute first, or read the columns with [`ArrowReader::values`] and
    /// build the matrix with a missing-value policy.
    ///
    /// # Errors
    /// As [`ArrowReader::values`]; [`Error::MissingValue`] naming the first customer without a
    /// row or the first null cell.
    pub fn features(
        &self,
        batches: &[RecordBatch],
        columns: &[&str],
        index: &CustomerIndex<String>,
    ) -> Result<FeatureMatrix> {
        if columns.is_empty() {
            return Err(Error::EmptyInput {
                what: "the feature columns",
                item: "column name",
            });
        }
        let d = columns.len();
        let n = index.len();
        let cells = n.checked_mul(d).ok_or_else(|| Error::Undefined {
            reason: "the feature matrix is too large to hold".into(),
        })?;
        let mut data = vec![f64::NAN; cells];
        let mut seen = vec![false; n];
        let mut first = 0;
        for (batch, ids) in batches.iter().zip(self.customer_rows(batches, index)?) {
            let values = columns
                .iter()
                .map(|&c| numbers(column(batch, c)?, c, first))
                .collect::<Result<Vec<_>>>()?;
            for (row, id) in ids.into_iter().enumerate() {
                for (j, (value, &name)) in values.iter().zip(columns).enumerate() {
                    let v = value[row].ok_or_else(|| Error::MissingValue {
                        record: format!("row {} (customer {:?})", first + row, key(index, id)),
                        column: name.to_owned(),
                    })?;
                    finite(v, name, first + row)?;
                    data[id.index() * d + j] = v;
                }
                seen[id.index()] = true;
            }
            first += batch.num_rows();
        }
        if let Some(missing) = seen.iter().position(|&s| !s) {
            return Err(Error::MissingValue {
                record: format!("customer {:?}", index.keys()[missing]),
                column: format!("a row of the feature table ({})", columns.join(", ")),
            });
        }
        let data = Array2::from_shape_vec((n, d), data).map_err(|e| Error::Undefined {
            reason: e.to_string(),
        })?;
        FeatureMatrix::from_array_over(index, data, columns.iter().map(|&c| c.into()).collect())
    }

    /// Reads the key column of every batch (interning), and builds one record per row with
    /// `record(row, id)` from the batch's other columns (`prepare(batch, first_row)`): `None`
    /// for a null in one of them, which the null policy then handles.
    fn rows<T, F>(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<String>,
        prepare: impl Fn(&RecordBatch, usize) -> Result<F>,
    ) -> Result<(Vec<T>, ReadReport)>
    where
        F: FnMut(usize, CustomerId) -> Result<Option<T>>,
    {
        let before = index.len();
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let mut out = Vec::with_capacity(total);
        let mut report = ReadReport::default();
        let mut first = 0;
        for batch in batches {
            let keys = column(batch, &self.customer)?;
            let ids = resolve(keys, &self.customer, Keys::Intern(index))?;
            let mut record = prepare(batch, first)?;
            for (row, id) in ids.into_iter().enumerate() {
                let made = match id {
                    Some(id) => record(row, id)?,
                    None => None,
                };
                match made {
                    Some(r) => out.push(r),
                    None => self.null_row(batch, first + row, row, &mut report)?,
                }
            }
            first += batch.num_rows();
        }
        report.rows = first as u64;
        report.new_customers = index.len() - before;
        Ok((out, report))
    }

    /// Refuses or counts a row with a null in a required column, naming the column.
    fn null_row(
        &self,
        batch: &RecordBatch,
        row: usize,
        local: usize,
        report: &mut ReadReport,
    ) -> Result<()> {
        if self.nulls == BadRows::Drop {
            report.dropped_nulls += 1;
            return Ok(());
        }
        let column = batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .find(|(_, c)| c.is_null(local))
            .map_or_else(|| "a required column".to_owned(), |(f, _)| f.name().clone());
        Err(Error::MissingValue {
            record: format!("row {row}"),
            column: format!(
                "{column} (fill it, or read with ArrowReader::nulls(BadRows::Drop) to leave such rows out)"
            ),
        })
    }

    /// The customer of every row of a one-row-per-customer table, per batch, looked up in
    /// `index` (unknown keys, null keys and repeated customers are errors).
    fn customer_rows(
        &self,
        batches: &[RecordBatch],
        index: &CustomerIndex<String>,
    ) -> Result<Vec<Vec<CustomerId>>> {
        let mut seen = vec![false; index.len()];
        let mut first = 0;
        let mut out = Vec::with_capacity(batches.len());
        for batch in batches {
            let keys = column(batch, &self.customer)?;
            let ids = resolve(keys, &self.customer, Keys::Lookup(index))?;
            let mut rows = Vec::with_capacity(ids.len());
            for (row, id) in ids.into_iter().enumerate() {
                let Some(id) = id else {
                    return Err(if keys.is_null(row) {
                        Error::MissingValue {
                            record: format!("row {}", first + row),
                            column: self.customer.clone(),
                        }
                    } else {
                        Error::UnknownCustomer {
                            record: format!("row {}", first + row),
                            customer: format!("{:?}", text_at(keys, row).unwrap_or_default()),
                        }
                    });
                };
                if std::mem::replace(&mut seen[id.index()], true) {
                    return Err(Error::DuplicateName {
                        what: "customer (one row per customer)",
                        name: key(index, id),
                    });
                }
                rows.push(id);
            }
            out.push(rows);
            first += batch.num_rows();
        }
        Ok(out)
    }
}

fn key(index: &CustomerIndex<String>, id: CustomerId) -> String {
    index.key(id).cloned().unwrap_or_default()
}

fn finite(value: f64, column: &str, row: usize) -> Result<()> {
    if value.is_finite() {
        return Ok(());
    }
    Err(Error::NonFinite {
        record: format!("row {row}"),
        field: column.to_owned(),
        value,
    })
}

/// The column called `name`, or an error listing the batch's columns.
fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef> {
    batch.column_by_name(name).ok_or_else(|| {
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        Error::InvalidParameter {
            name: "arrow column",
            reason: format!(
                "there is no column {name:?} (the batch has {}): name the column with the \
                 reader's column methods",
                names.join(", ")
            ),
        }
    })
}

fn wrong_type(name: &str, data_type: &DataType, expected: &str) -> Error {
    Error::InvalidParameter {
        name: "arrow column",
        reason: format!(
            "column {name:?} has type {data_type}, expected {expected}: cast it before reading"
        ),
    }
}

/// Whether keys are added to the index or only looked up.
enum Keys<'i> {
    Intern(&'i mut CustomerIndex<String>),
    Lookup(&'i CustomerIndex<String>),
}

impl Keys<'_> {
    fn id(&mut self, key: &str) -> Result<Option<CustomerId>> {
        match self {
            Keys::Intern(index) => match index.get(key) {
                Some(id) => Ok(Some(id)),
                None => index.intern(key.to_owned()).map(Some),
            },
            Keys::Lookup(index) => Ok(index.get(key)),
        }
    }
}

/// The dense id of every row's key (`None` for a null, or an unknown key when looking up).
fn resolve(column: &ArrayRef, name: &str, mut keys: Keys<'_>) -> Result<Vec<Option<CustomerId>>> {
    let n = column.len();
    let mut out = Vec::with_capacity(n);
    macro_rules! strings {
        ($array:expr) => {{
            let array = $array;
            for row in 0..n {
                out.push(if array.is_null(row) {
                    None
                } else {
                    keys.id(array.value(row))?
                });
            }
        }};
    }
    macro_rules! integers {
        ($t:ty) => {{
            let array = column.as_primitive::<$t>();
            let mut text = String::new();
            for row in 0..n {
                out.push(if array.is_null(row) {
                    None
                } else {
                    text.clear();
                    let _ = write!(text, "{}", array.value(row));
                    keys.id(&text)?
                });
            }
        }};
    }
    match column.data_type() {
        DataType::Utf8 => strings!(column.as_string::<i32>()),
        DataType::LargeUtf8 => strings!(column.as_string::<i64>()),
        DataType::Utf8View => strings!(column.as_string_view()),
        DataType::Int8 => integers!(Int8Type),
        DataType::Int16 => integers!(Int16Type),
        DataType::Int32 => integers!(Int32Type),
        DataType::Int64 => integers!(Int64Type),
        DataType::UInt8 => integers!(UInt8Type),
        DataType::UInt16 => integers!(UInt16Type),
        DataType::UInt32 => integers!(UInt32Type),
        DataType::UInt64 => integers!(UInt64Type),
        DataType::Dictionary(_, value) if is_text(value) => {
            let dictionary = column.as_any_dictionary();
            // Each dictionary value once, then every row by its code.
            let values = texts(dictionary.values(), name)?;
            let mut ids = Vec::with_capacity(values.len());
            for v in &values {
                ids.push(match v {
                    Some(v) => keys.id(v)?,
                    None => None,
                });
            }
            let codes = dictionary.normalized_keys();
            for (row, &code) in codes.iter().enumerate() {
                out.push(if column.is_null(row) {
                    None
                } else {
                    ids.get(code).copied().flatten()
                });
            }
        }
        other => return Err(wrong_type(name, other, "text or integer customer keys")),
    }
    Ok(out)
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Row `row` of a text column, if it is one.
fn text_at(column: &ArrayRef, row: usize) -> Option<String> {
    texts(column, "").ok()?.get(row).cloned().flatten()
}

/// Every row of a text (or dictionary-of-text) column.
fn texts(column: &ArrayRef, name: &str) -> Result<Vec<Option<String>>> {
    let n = column.len();
    macro_rules! strings {
        ($array:expr) => {{
            let array = $array;
            (0..n)
                .map(|row| (!array.is_null(row)).then(|| array.value(row).to_owned()))
                .collect()
        }};
    }
    Ok(match column.data_type() {
        DataType::Utf8 => strings!(column.as_string::<i32>()),
        DataType::LargeUtf8 => strings!(column.as_string::<i64>()),
        DataType::Utf8View => strings!(column.as_string_view()),
        DataType::Dictionary(_, value) if is_text(value) => {
            let dictionary = column.as_any_dictionary();
            let values = texts(dictionary.values(), name)?;
            let codes = dictionary.normalized_keys();
            codes
                .iter()
                .enumerate()
                .map(|(row, &code)| {
                    if column.is_null(row) {
                        None
                    } else {
                        values.get(code).cloned().flatten()
                    }
                })
                .collect()
        }
        other => return Err(wrong_type(name, other, "text")),
    })
}

/// Every row of a date column as a calendar day.
fn dates(column: &ArrayRef, name: &str, first: usize) -> Result<Vec<Option<Date>>> {
    let n = column.len();
    let day = |days: i64, row: usize| {
        Date::from_days(days).map_err(|_| Error::OutOfRange {
            record: format!("row {}", first + row),
            field: name.to_owned(),
            value: days as f64,
            expected: "a day within the years 0 to 9999 (days since 1970-01-01)",
        })
    };
    macro_rules! scaled {
        ($t:ty, $per_day:expr) => {{
            let array = column.as_primitive::<$t>();
            (0..n)
                .map(|row| {
                    if array.is_null(row) {
                        return Ok(None);
                    }
                    let v = i64::from(array.value(row));
                    day(v.div_euclid($per_day), row).map(Some)
                })
                .collect()
        }};
    }
    match column.data_type() {
        DataType::Date32 => scaled!(Date32Type, 1),
        DataType::Date64 => scaled!(Date64Type, 86_400_000),
        DataType::Timestamp(TimeUnit::Second, _) => scaled!(TimestampSecondType, 86_400),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            scaled!(TimestampMillisecondType, 86_400_000)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            scaled!(TimestampMicrosecondType, 86_400_000_000)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            scaled!(TimestampNanosecondType, 86_400_000_000_000)
        }
        t if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) => {
            texts(column, name)?
                .into_iter()
                .enumerate()
                .map(|(row, text)| match text.as_deref().map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(t) => t.parse::<Date>().map(Some).map_err(|_| Error::InvalidDate {
                        input: format!("{t} (row {}, column {name:?})", first + row),
                        reason: "expected a date written YYYY-MM-DD",
                    }),
                })
                .collect()
        }
        other => Err(wrong_type(
            name,
            other,
            "a date, a timestamp or text YYYY-MM-DD",
        )),
    }
}

/// Every row of a numeric column as f64 (decimals scaled; text read leniently).
fn numbers(column: &ArrayRef, name: &str, first: usize) -> Result<Vec<Option<f64>>> {
    let n = column.len();
    macro_rules! cast {
        ($t:ty) => {{
            let array = column.as_primitive::<$t>();
            (0..n)
                .map(|row| (!array.is_null(row)).then(|| array.value(row) as f64))
                .collect()
        }};
    }
    Ok(match column.data_type() {
        DataType::Float64 => cast!(Float64Type),
        DataType::Float32 => cast!(Float32Type),
        DataType::Int8 => cast!(Int8Type),
        DataType::Int16 => cast!(Int16Type),
        DataType::Int32 => cast!(Int32Type),
        DataType::Int64 => cast!(Int64Type),
        DataType::UInt8 => cast!(UInt8Type),
        DataType::UInt16 => cast!(UInt16Type),
        DataType::UInt32 => cast!(UInt32Type),
        DataType::UInt64 => cast!(UInt64Type),
        DataType::Decimal128(_, scale) => {
            let array = column.as_primitive::<Decimal128Type>();
            let factor = 10f64.powi(i32::from(*scale));
            (0..n)
                .map(|row| (!array.is_null(row)).then(|| array.value(row) as f64 / factor))
                .collect()
        }
        t if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) => {
            texts(column, name)?
                .into_iter()
                .enumerate()
                .map(|(row, text)| match text {
                    None => Ok(None),
                    Some(t) => lenient::parse_number(&t).map_err(|_| Error::InvalidParameter {
                        name: "arrow column",
                        reason: format!(
                            "row {} of column {name:?} is {t:?}, not a number",
                            first + row
                        ),
                    }),
                })
                .collect::<Result<_>>()?
        }
        other => {
            return Err(wrong_type(
                name,
                other,
                "a number (float, integer or decimal)",
            ))
        }
    })
}

/// Every row of a boolean column (`Boolean`, integers 0/1, or text).
fn booleans(column: &ArrayRef, name: &str, first: usize) -> Result<Vec<Option<bool>>> {
    let n = column.len();
    match column.data_type() {
        DataType::Boolean => {
            let array = column.as_boolean();
            Ok((0..n)
                .map(|row| (!array.is_null(row)).then(|| array.value(row)))
                .collect())
        }
        t if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) => {
            texts(column, name)?
                .into_iter()
                .enumerate()
                .map(|(row, text)| match text {
                    None => Ok(None),
                    Some(t) => lenient::parse_bool(&t).map_err(|_| Error::InvalidParameter {
                        name: "arrow column",
                        reason: format!(
                            "row {} of column {name:?} is {t:?}, not a yes/no value",
                            first + row
                        ),
                    }),
                })
                .collect()
        }
        t if t.is_integer() => numbers(column, name, first)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(None),
                Some(0.0) => Ok(Some(false)),
                Some(1.0) => Ok(Some(true)),
                Some(v) => Err(Error::OutOfRange {
                    record: format!("row {}", first + row),
                    field: name.to_owned(),
                    value: v,
                    expected: "0 or 1",
                }),
            })
            .collect(),
        other => Err(wrong_type(name, other, "a boolean, 0/1 or yes/no text")),
    }
}
