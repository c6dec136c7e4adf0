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
//! let mut index = CustomerIndex::<String>::new();
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
use arrow_buffer::NullBuffer;
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
use crate::rfm::{RfmAccumulator, RfmParams, RfmTable};
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
    count: Option<String>,
    duration: Option<String>,
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
    /// Rows left out for a customer the index does not hold (readers that only look keys up,
    /// under [`ArrowReader::nulls`] `Drop`).
    pub dropped_unknown: u64,
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
            count: None,
            duration: None,
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

    /// The column of daily event counts for [`ArrowReader::activity`] (default: none, every
    /// row one event; a null count is one event).
    #[must_use]
    pub fn count(mut self, column: impl Into<String>) -> Self {
        self.count = Some(column.into());
        self
    }

    /// The column of minutes spent for [`ArrowReader::activity`] (default: none; a null is
    /// not recorded).
    #[must_use]
    pub fn duration(mut self, column: impl Into<String>) -> Self {
        self.duration = Some(column.into());
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
    pub fn transactions<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<K>,
    ) -> Result<(Vec<Transaction<CustomerId>>, ReadReport)> {
        self.dated_values(batches, index, &self.amount, Transaction::new)
    }

    /// Transactions keyed by the external key itself (no index): for
    /// [`RfmTable::from_transactions`](crate::rfm::RfmTable::from_transactions), whose
    /// partitioned pass hashes the keys in parallel. With integer keys (`u32`, `u64`, `i64`)
    /// this is a copy of the columns; with `String` keys it allocates one string per row, so
    /// prefer [`ArrowReader::transactions`] (interning) there.
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`], and a key out of the key type's range.
    pub fn keyed_transactions<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
    ) -> Result<(Vec<Transaction<K>>, ReadReport)> {
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let mut out = Vec::with_capacity(total);
        let report = self.keyed_into(batches, 0, &mut out)?;
        Ok((out, report))
    }

    /// Appends the keyed transactions of `batches` to `out`, rows numbered from `first`.
    fn keyed_into<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        first: u64,
        out: &mut Vec<Transaction<K>>,
    ) -> Result<ReadReport> {
        self.keyed_into_with(batches, first, out, K::keys)
    }

    /// As `keyed_into`, the keys of each batch's customer column given by `keys_of`.
    fn keyed_into_with<'a, K>(
        &self,
        batches: &'a [RecordBatch],
        first: u64,
        out: &mut Vec<Transaction<K>>,
        keys_of: impl Fn(&'a ArrayRef, &str, usize, &mut Vec<Option<K>>) -> Result<()>,
    ) -> Result<ReadReport> {
        let mut report = ReadReport::default();
        let mut keys = Vec::new();
        let mut first = usize::try_from(first).unwrap_or(usize::MAX);
        let start = first;
        for batch in batches {
            let dates = Dates::new(column(batch, &self.date)?, &self.date, first)?;
            let amounts = Numbers::new(column(batch, &self.amount)?, &self.amount, first)?;
            keys.clear();
            keys_of(
                column(batch, &self.customer)?,
                &self.customer,
                first,
                &mut keys,
            )?;
            out.reserve(batch.num_rows());
            if let (Dates::Days(days, None), Numbers::F64(values, None)) = (&dates, &amounts) {
                // The common layout without nulls: one pass over three slices (the days were
                // range-checked by `Dates::new`).
                if keys.iter().all(Option::is_some) {
                    for (row, ((key, &day), &amount)) in keys
                        .drain(..)
                        .zip(days.iter())
                        .zip(values.iter())
                        .enumerate()
                    {
                        finite(amount, &self.amount, first + row)?;
                        let date = Date::from_days(i64::from(day))?;
                        if let Some(key) = key {
                            out.push(Transaction::new(key, date, amount));
                        }
                    }
                    first += batch.num_rows();
                    continue;
                }
            }
            for (row, key) in keys.drain(..).enumerate() {
                match (key, dates.get(row)?, amounts.get(row)) {
                    (Some(key), Some(date), Some(amount)) => {
                        finite(amount, &self.amount, first + row)?;
                        out.push(Transaction::new(key, date, amount));
                    }
                    _ => self.null_row(batch, first + row, row, &mut report)?,
                }
            }
            first += batch.num_rows();
        }
        report.rows = (first - start) as u64;
        Ok(report)
    }

    /// The RFM table of the transactions in `batches`, keyed by the external key: equal to
    /// [`RfmTable::from_transactions`] over [`ArrowReader::keyed_transactions`], without
    /// holding the whole log as records (each batch is read into one reused buffer and added
    /// to an [`RfmAccumulator`]; customers whose rows are out of date order get their distinct
    /// purchase days recounted in a second pass over the batches).
    ///
    /// # Errors
    /// As [`ArrowReader::keyed_transactions`] and [`RfmTable::from_transactions`].
    pub fn rfm_table<K>(
        &self,
        batches: &[RecordBatch],
        params: &RfmParams,
    ) -> Result<(RfmTable<K>, ReadReport)>
    where
        K: ArrowKey + Ord + Send + Sync,
    {
        self.rfm_table_with(batches, params, K::keys)
    }

    /// As [`ArrowReader::rfm_table`] for text keys, borrowed from the batches instead of
    /// copied into strings (utf8, large utf8, utf8 view, or a dictionary of those): the fast
    /// way from text ids to RFM, whose table lives as long as the batches.
    ///
    /// # Errors
    /// As [`ArrowReader::rfm_table`]; a key column of another type.
    pub fn rfm_table_text<'a>(
        &self,
        batches: &'a [RecordBatch],
        params: &RfmParams,
    ) -> Result<(RfmTable<&'a str>, ReadReport)> {
        self.rfm_table_with(batches, params, borrowed_texts)
    }

    fn rfm_table_with<'a, K>(
        &self,
        batches: &'a [RecordBatch],
        params: &RfmParams,
        keys_of: impl Fn(&'a ArrayRef, &str, usize, &mut Vec<Option<K>>) -> Result<()> + Copy,
    ) -> Result<(RfmTable<K>, ReadReport)>
    where
        K: std::hash::Hash + Eq + Clone + Ord + std::fmt::Debug + Send + Sync,
    {
        let mut accumulator = RfmAccumulator::new(*params);
        let mut buffer = Vec::new();
        let mut report = ReadReport::default();
        for batch in batches {
            buffer.clear();
            let part = self.keyed_into_with(
                std::slice::from_ref(batch),
                report.rows,
                &mut buffer,
                keys_of,
            )?;
            report.rows += part.rows;
            report.dropped_nulls += part.dropped_nulls;
            accumulator.add(&buffer)?;
        }
        if report.rows == report.dropped_nulls {
            return Err(Error::EmptyInput {
                what: "transaction log",
                item: "transaction",
            });
        }
        let mut table = accumulator.finish()?;
        if table.is_empty() {
            return Err(Error::EmptyInput {
                what: "RFM table (no customer has a purchase)",
                item: "purchase",
            });
        }
        if table.has_unordered_days() {
            let mut pairs = Vec::new();
            let mut first = 0;
            for batch in batches {
                buffer.clear();
                self.keyed_into_with(std::slice::from_ref(batch), first, &mut buffer, keys_of)?;
                first += batch.num_rows() as u64;
                table.unordered_purchase_days(&buffer, &mut pairs);
            }
            table.set_recounted_days(pairs);
        }
        Ok((table, report))
    }

    /// MRR rows from the customer, date (a day of the month) and MRR columns, keys interned
    /// into `index`.
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`].
    pub fn mrr_rows<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<K>,
    ) -> Result<(Vec<MrrRecord<CustomerId>>, ReadReport)> {
        self.dated_values(batches, index, &self.mrr, MrrRecord::new)
    }

    /// Records of (customer, the date column, a finite number from `value_column`), keys
    /// interned into `index`.
    fn dated_values<K: ArrowKey, T>(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<K>,
        value_column: &str,
        make: impl Fn(CustomerId, Date, f64) -> T,
    ) -> Result<(Vec<T>, ReadReport)> {
        let mut run = Run::new(self, batches, Keys::Intern(index));
        for batch in batches {
            let first = run.first;
            let dates = Dates::new(column(batch, &self.date)?, &self.date, first)?;
            let values = Numbers::new(column(batch, value_column)?, value_column, first)?;
            run.batch(batch, |row: usize, id| {
                let (Some(date), Some(value)) = (dates.get(row)?, values.get(row)) else {
                    return Ok(None);
                };
                finite(value, value_column, first + row)?;
                Ok(Some(make(id, date, value)))
            })?;
        }
        Ok(run.finish())
    }

    /// Subscriptions from the customer, start, end (null while active) and MRR columns, keys
    /// interned into `index`; expand them into monthly MRR with
    /// [`monthly_mrr`](crate::economics::monthly_mrr).
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`]; a null end is not an error.
    pub fn subscriptions<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<K>,
    ) -> Result<(Vec<Subscription<CustomerId>>, ReadReport)> {
        let mut run = Run::new(self, batches, Keys::Intern(index));
        for batch in batches {
            let first = run.first;
            let starts = Dates::new(column(batch, &self.start)?, &self.start, first)?;
            let ends = Dates::new(column(batch, &self.end)?, &self.end, first)?;
            let mrr = Numbers::new(column(batch, &self.mrr)?, &self.mrr, first)?;
            run.batch(batch, |row: usize, id| {
                let (Some(start), Some(value)) = (starts.get(row)?, mrr.get(row)) else {
                    return Ok(None);
                };
                finite(value, &self.mrr, first + row)?;
                Ok(Some(Subscription::new(id, start, ends.get(row)?, value)))
            })?;
        }
        Ok(run.finish())
    }

    /// Activity from the customer, date and event columns, event names mapped by `names`
    /// (logins, workflows, features), keys interned into `index`.
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`].
    pub fn activity<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        names: &EventNames,
        index: &mut CustomerIndex<K>,
    ) -> Result<(Vec<Activity<CustomerId>>, ReadReport)> {
        let mut run = Run::new(self, batches, Keys::Intern(index));
        for batch in batches {
            let first = run.first;
            let dates = Dates::new(column(batch, &self.date)?, &self.date, first)?;
            let events = texts(column(batch, &self.event)?, &self.event)?;
            let optional = |name: &Option<String>| -> Result<Option<Numbers<'_>>> {
                name.as_deref()
                    .map(|n| Numbers::new(column(batch, n)?, n, first))
                    .transpose()
            };
            let (counts, durations) = (optional(&self.count)?, optional(&self.duration)?);
            run.batch(batch, |row: usize, id| {
                let (Some(date), Some(event)) = (dates.get(row)?, events[row].as_deref()) else {
                    return Ok(None);
                };
                let mut activity = Activity::new(id, date, names.event(event));
                if let Some(c) = counts.as_ref().and_then(|c| c.get(row)) {
                    if c.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&c) {
                        return Err(Error::OutOfRange {
                            record: format!("row {}", first + row),
                            field: self.count.clone().unwrap_or_default(),
                            value: c,
                            expected: "a whole number of events from 0 to 4294967295",
                        });
                    }
                    activity.count = c as u32;
                }
                if let Some(m) = durations.as_ref().and_then(|d| d.get(row)) {
                    if !(m.is_finite() && m >= 0.0) {
                        return Err(Error::OutOfRange {
                            record: format!("row {}", first + row),
                            field: self.duration.clone().unwrap_or_default(),
                            value: m,
                            expected: "a finite number of minutes, 0 or more",
                        });
                    }
                    activity.duration_minutes = Some(m);
                }
                Ok(Some(activity))
            })?;
        }
        Ok(run.finish())
    }

    /// Signups (customer, signup date) from the customer and date columns, keys interned into
    /// `index`: the input of [`Cohorts::by_signup`](crate::cohort::Cohorts::by_signup).
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`].
    pub fn signups<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        index: &mut CustomerIndex<K>,
    ) -> Result<(Vec<(CustomerId, Date)>, ReadReport)> {
        let mut run = Run::new(self, batches, Keys::Intern(index));
        for batch in batches {
            let first = run.first;
            let dates = Dates::new(column(batch, &self.date)?, &self.date, first)?;
            run.batch(batch, |row: usize, id| Ok(dates.get(row)?.map(|d| (id, d))))?;
        }
        Ok(run.finish())
    }

    /// Dated events without a name (customer, date) of the customers of `index`: what
    /// [`RetentionMatrix::compute`](crate::cohort::RetentionMatrix::compute) counts, from the
    /// customer and date columns. Keys are only looked up (the index stays the customer set
    /// the cohorts were built over): a customer the index does not hold is an
    /// [`Error::UnknownCustomer`], or with [`ArrowReader::nulls`] `Drop` a row left out and
    /// counted in [`ReadReport::dropped_unknown`].
    ///
    /// # Errors
    /// As [`ArrowReader::transactions`], and unknown customers as above.
    pub fn events<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        index: &CustomerIndex<K>,
    ) -> Result<(Vec<(CustomerId, Date)>, ReadReport)> {
        let mut run = Run::new(self, batches, Keys::Lookup(index));
        for batch in batches {
            let first = run.first;
            let dates = Dates::new(column(batch, &self.date)?, &self.date, first)?;
            run.batch(batch, |row: usize, id| Ok(dates.get(row)?.map(|d| (id, d))))?;
        }
        Ok(run.finish())
    }

    /// Dated events (customer, date) keyed by the external key itself, for the keyed
    /// [`RetentionMatrix::compute`](crate::cohort::RetentionMatrix::compute) (whose parallel
    /// pass resolves the keys); integer keys are a copy of the columns.
    ///
    /// # Errors
    /// As [`ArrowReader::keyed_transactions`].
    pub fn keyed_events<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
    ) -> Result<(Vec<(K, Date)>, ReadReport)> {
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let mut out = Vec::with_capacity(total);
        let mut report = ReadReport::default();
        let mut keys = Vec::new();
        let mut first = 0;
        for batch in batches {
            let dates = Dates::new(column(batch, &self.date)?, &self.date, first)?;
            keys.clear();
            K::keys(
                column(batch, &self.customer)?,
                &self.customer,
                first,
                &mut keys,
            )?;
            for (row, key) in keys.drain(..).enumerate() {
                match (key, dates.get(row)?) {
                    (Some(key), Some(date)) => out.push((key, date)),
                    _ => self.null_row(batch, first + row, row, &mut report)?,
                }
            }
            first += batch.num_rows();
        }
        report.rows = first as u64;
        Ok((out, report))
    }

    /// Customer profiles from a flat table (one row per account): the customer column gives
    /// the key, every other column a profile field named as in
    /// [`lenient::PROFILE_COLUMNS`] (bare or group-prefixed), read cell by cell with
    /// [`lenient::profile_from_cells`] (numbers, booleans and dates from their Arrow types, text
    /// as written). Null cells are unknown. Feed the result to
    /// [`ProfileBuilder`](crate::profile::ProfileBuilder) as one source's records.
    ///
    /// # Errors
    /// A null key, a column that is not a profile field, a cell of another type or an
    /// unreadable one: each named by its row and column.
    pub fn profiles<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        vocabularies: &lenient::Vocabularies,
    ) -> Result<Vec<(K, crate::profile::CustomerProfile)>> {
        let mut out = Vec::new();
        let mut first = 0;
        let mut keys = Vec::new();
        for batch in batches {
            keys.clear();
            K::keys(
                column(batch, &self.customer)?,
                &self.customer,
                first,
                &mut keys,
            )?;
            let schema = batch.schema();
            let mut cells: Vec<(&str, Vec<Option<String>>)> = Vec::new();
            for (field, col) in schema.fields().iter().zip(batch.columns()) {
                if field.name() == &self.customer {
                    continue;
                }
                cells.push((field.name().as_str(), cell_texts(col, field.name(), first)?));
            }
            for (row, key) in keys.drain(..).enumerate() {
                let Some(key) = key else {
                    return Err(Error::MissingValue {
                        record: format!("row {}", first + row),
                        column: self.customer.clone(),
                    });
                };
                let row_cells = cells
                    .iter()
                    .map(|(name, values)| (*name, values[row].as_deref().unwrap_or("")));
                let profile = lenient::profile_from_cells(
                    row_cells,
                    vocabularies,
                    &format!("row {} (customer {key:?})", first + row),
                )?;
                out.push((key, profile));
            }
            first += batch.num_rows();
        }
        Ok(out)
    }

    /// One number per customer of `index` from a table with one row per customer (the
    /// customer column and `value_column`): customers without a row, and null cells, are
    /// `None`, the crate's missing value.
    ///
    /// # Errors
    /// A customer the index does not hold ([`Error::UnknownCustomer`]), a customer on two
    /// rows ([`Error::DuplicateName`]), a null key, a non-finite number, or a column of
    /// another type.
    pub fn values<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        value_column: &str,
        index: &CustomerIndex<K>,
    ) -> Result<PerCustomer<f64>> {
        let mut values = vec![None; index.len()];
        let mut first = 0;
        for (batch, ids) in batches.iter().zip(self.customer_rows(batches, index)?) {
            let cells = Numbers::new(column(batch, value_column)?, value_column, first)?;
            for (row, id) in ids.into_iter().enumerate() {
                let cell = cells.get(row);
                if let Some(v) = cell {
                    finite(v, value_column, first + row)?;
                }
                values[id.index()] = cell;
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
    pub fn categories<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        category_column: &str,
        index: &CustomerIndex<K>,
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
    pub fn flags<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        flag_column: &str,
        index: &CustomerIndex<K>,
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
    pub fn features<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        columns: &[&str],
        index: &CustomerIndex<K>,
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
                .map(|&c| Numbers::new(column(batch, c)?, c, first))
                .collect::<Result<Vec<_>>>()?;
            for (row, id) in ids.into_iter().enumerate() {
                for (j, (value, &name)) in values.iter().zip(columns).enumerate() {
                    let v = value.get(row).ok_or_else(|| Error::MissingValue {
                        record: format!("row {} (customer {})", first + row, key(index, id)),
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
                record: format!("customer {:?}", index.keys().get(missing)),
                column: format!("a row of the feature table ({})", columns.join(", ")),
            });
        }
        let data = Array2::from_shape_vec((n, d), data).map_err(|e| Error::Undefined {
            reason: e.to_string(),
        })?;
        FeatureMatrix::from_array_over(index, data, columns.iter().map(|&c| c.into()).collect())
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
    fn customer_rows<K: ArrowKey>(
        &self,
        batches: &[RecordBatch],
        index: &CustomerIndex<K>,
    ) -> Result<Vec<Vec<CustomerId>>> {
        let mut seen = vec![false; index.len()];
        let mut first = 0;
        let mut out = Vec::with_capacity(batches.len());
        for batch in batches {
            let keys = column(batch, &self.customer)?;
            let mut ids = Vec::with_capacity(keys.len());
            K::resolve(
                keys,
                &self.customer,
                first,
                &mut Keys::Lookup(index),
                &mut ids,
            )?;
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

/// One read in progress: the records so far, the report, and the first row of the next batch.
struct Run<'r, K, T> {
    reader: &'r ArrowReader,
    keys: Keys<'r, K>,
    before: usize,
    out: Vec<T>,
    report: ReadReport,
    first: usize,
    ids: Vec<Option<CustomerId>>,
}

impl<'r, K: ArrowKey, T> Run<'r, K, T> {
    fn new(reader: &'r ArrowReader, batches: &[RecordBatch], keys: Keys<'r, K>) -> Self {
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let before = match &keys {
            Keys::Intern(index) => index.len(),
            Keys::Lookup(index) => index.len(),
        };
        Run {
            reader,
            keys,
            before,
            out: Vec::with_capacity(total),
            report: ReadReport::default(),
            first: 0,
            ids: Vec::new(),
        }
    }

    /// Resolves the batch's keys and adds `record(row, id)` for every row (`None` for a null
    /// in a required column, which the null policy handles; so are keys the index does not
    /// hold when only looking up).
    fn batch(
        &mut self,
        batch: &RecordBatch,
        mut record: impl FnMut(usize, CustomerId) -> Result<Option<T>>,
    ) -> Result<()> {
        let name = &self.reader.customer;
        let keys = column(batch, name)?;
        // The batch's keys at once (a dictionary's values are resolved once per batch); the
        // id buffer is reused from batch to batch.
        self.ids.clear();
        K::resolve(keys, name, self.first, &mut self.keys, &mut self.ids)?;
        for (row, &id) in self.ids.iter().enumerate() {
            let made = match id {
                Some(id) => record(row, id)?,
                None if !keys.is_null(row) => {
                    // Only a lookup leaves a key unresolved.
                    if self.reader.nulls == BadRows::Drop {
                        self.report.dropped_unknown += 1;
                        continue;
                    }
                    return Err(Error::UnknownCustomer {
                        record: format!("row {}", self.first + row),
                        customer: format!("{:?}", text_at(keys, row).unwrap_or_default()),
                    });
                }
                None => None,
            };
            match made {
                Some(r) => self.out.push(r),
                None => self
                    .reader
                    .null_row(batch, self.first + row, row, &mut self.report)?,
            }
        }
        self.first += batch.num_rows();
        Ok(())
    }

    fn finish(mut self) -> (Vec<T>, ReadReport) {
        self.report.rows = self.first as u64;
        if let Keys::Intern(index) = &self.keys {
            self.report.new_customers = index.len() - self.before;
        }
        (self.out, self.report)
    }
}

fn key<K: ArrowKey>(index: &CustomerIndex<K>, id: CustomerId) -> String {
    index.key(id).map(|k| format!("{k:?}")).unwrap_or_default()
}

#[inline]
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

/// Whether keys are added to the index or only looked up (engine machinery of [`ArrowKey`]).
#[doc(hidden)]
pub enum Keys<'i, K> {
    /// New keys are added.
    Intern(&'i mut CustomerIndex<K>),
    /// Unknown keys resolve to `None`.
    Lookup(&'i CustomerIndex<K>),
}

impl<K: ArrowKey> Keys<'_, K> {
    /// The index being filled or read.
    fn index(&self) -> &CustomerIndex<K> {
        match self {
            Keys::Intern(index) => index,
            Keys::Lookup(index) => index,
        }
    }

    fn id<Q>(&mut self, key: &Q, owned: impl FnOnce() -> K) -> Result<Option<CustomerId>>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        match self {
            Keys::Intern(index) => match index.get(key) {
                Some(id) => Ok(Some(id)),
                None => index.intern(owned()).map(Some),
            },
            Keys::Lookup(index) => Ok(index.get(key)),
        }
    }
}

/// Runs `$each!(T)` with the Arrow integer type `T` of `$data_type`, else `$otherwise`.
macro_rules! by_integer_type {
    ($data_type:expr, $each:ident, $other:pat => $otherwise:expr) => {
        match $data_type {
            DataType::Int8 => $each!(Int8Type),
            DataType::Int16 => $each!(Int16Type),
            DataType::Int32 => $each!(Int32Type),
            DataType::Int64 => $each!(Int64Type),
            DataType::UInt8 => $each!(UInt8Type),
            DataType::UInt16 => $each!(UInt16Type),
            DataType::UInt32 => $each!(UInt32Type),
            DataType::UInt64 => $each!(UInt64Type),
            $other => $otherwise,
        }
    };
}

/// A customer key type the readers can fill from an Arrow column: `String` (text columns, and
/// integer columns written in decimal) or an integer type (`u32`, `u64`, `i64`; integer
/// columns only, values out of the type's range refused). Integer keys skip the text: use them
/// for numeric ids.
pub trait ArrowKey: std::hash::Hash + Eq + Clone + std::fmt::Debug + Sized {
    /// Appends the dense id of every row's key to `out` (`None` for a null, or for an unknown
    /// key when looking up); `first` numbers the rows in errors.
    ///
    /// # Errors
    /// A column of a type this key cannot come from, a key out of range, or a full index.
    #[doc(hidden)]
    fn resolve(
        column: &ArrayRef,
        name: &str,
        first: usize,
        keys: &mut Keys<'_, Self>,
        out: &mut Vec<Option<CustomerId>>,
    ) -> Result<()>;

    /// Appends every row's key to `out` (`None` for a null), without an index.
    ///
    /// # Errors
    /// A column of a type this key cannot come from, or a key out of range.
    #[doc(hidden)]
    fn keys(column: &ArrayRef, name: &str, first: usize, out: &mut Vec<Option<Self>>)
        -> Result<()>;
}

impl ArrowKey for String {
    fn keys(
        column: &ArrayRef,
        name: &str,
        _first: usize,
        out: &mut Vec<Option<Self>>,
    ) -> Result<()> {
        if column.data_type().is_integer() {
            let n = column.len();
            // Written from their own type (exact at any width).
            macro_rules! integers {
                ($t:ty) => {{
                    let array = column.as_primitive::<$t>();
                    for row in 0..n {
                        out.push((!array.is_null(row)).then(|| array.value(row).to_string()));
                    }
                }};
            }
            by_integer_type!(column.data_type(), integers, _ => {});
            return Ok(());
        }
        match column.data_type() {
            t if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) => {
                out.extend(texts(column, name)?);
                Ok(())
            }
            other => Err(wrong_type(name, other, "text or integer customer keys")),
        }
    }

    fn resolve(
        column: &ArrayRef,
        name: &str,
        _first: usize,
        keys: &mut Keys<'_, Self>,
        out: &mut Vec<Option<CustomerId>>,
    ) -> Result<()> {
        let n = column.len();
        macro_rules! strings {
            ($array:expr) => {{
                let array = $array;
                for row in 0..n {
                    // The lookups miss the cache at random: request them 16 rows ahead.
                    if row + 16 < n && !array.is_null(row + 16) {
                        keys.index().prefetch_key(array.value(row + 16));
                    }
                    out.push(if array.is_null(row) {
                        None
                    } else {
                        let key = array.value(row);
                        keys.id(key, || key.to_owned())?
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
                        keys.id(text.as_str(), || text.clone())?
                    });
                }
            }};
        }
        match column.data_type() {
            DataType::Utf8 => strings!(column.as_string::<i32>()),
            DataType::LargeUtf8 => strings!(column.as_string::<i64>()),
            DataType::Utf8View => strings!(column.as_string_view()),
            t if t.is_integer() => by_integer_type!(t, integers, _ => {}),
            DataType::Dictionary(_, value) if is_text(value) => {
                let dictionary = column.as_any_dictionary();
                // Each dictionary value resolved once, when a row first uses it (values no
                // row uses are never interned, and ids follow first appearance in the rows).
                let values = texts(dictionary.values(), name)?;
                let mut ids: Vec<Option<Option<CustomerId>>> = vec![None; values.len()];
                for (row, &code) in dictionary.normalized_keys().iter().enumerate() {
                    if column.is_null(row) {
                        out.push(None);
                        continue;
                    }
                    let id = match ids.get(code).copied().flatten() {
                        Some(id) => id,
                        None => {
                            let id = match values.get(code).and_then(Option::as_ref) {
                                Some(v) => keys.id(v.as_str(), || v.clone())?,
                                None => None,
                            };
                            if let Some(slot) = ids.get_mut(code) {
                                *slot = Some(id);
                            }
                            id
                        }
                    };
                    out.push(id);
                }
            }
            other => return Err(wrong_type(name, other, "text or integer customer keys")),
        }
        Ok(())
    }
}

macro_rules! integer_keys {
    ($($key:ty),*) => {$(
        impl ArrowKey for $key {
            fn keys(column: &ArrayRef, name: &str, first: usize, out: &mut Vec<Option<Self>>) -> Result<()> {
                macro_rules! integers {
                    ($t:ty) => {{
                        let array = column.as_primitive::<$t>();
                        out.reserve(array.len());
                        for (row, &v) in array.values().iter().enumerate() {
                            out.push(if array.is_null(row) {
                                None
                            } else {
                                Some(<$key>::try_from(v).map_err(|_| Error::OutOfRange {
                                    record: format!("row {}", first + row),
                                    field: name.to_owned(),
                                    value: v as f64,
                                    expected: concat!("a key that fits ", stringify!($key)),
                                })?)
                            });
                        }
                    }};
                }
                by_integer_type!(column.data_type(), integers, other => {
                    return Err(wrong_type(
                        name,
                        other,
                        "integer customer keys (read text keys as String)",
                    ))
                });
                Ok(())
            }

            fn resolve(
                column: &ArrayRef,
                name: &str,
                first: usize,
                keys: &mut Keys<'_, Self>,
                out: &mut Vec<Option<CustomerId>>,
            ) -> Result<()> {
                macro_rules! integers {
                    ($t:ty) => {{
                        let array = column.as_primitive::<$t>();
                        let values = array.values();
                        for (row, &v) in values.iter().enumerate() {
                            // The lookups miss the cache at random: request them 16 rows ahead.
                            let ahead = values.get(row + 16).and_then(|&a| <$key>::try_from(a).ok());
                            if let Some(ahead) = ahead {
                                crate::ids::CustomerLookup::prefetch(keys.index(), &ahead);
                            }
                            out.push(if array.is_null(row) {
                                None
                            } else {
                                let key = <$key>::try_from(v).map_err(|_| Error::OutOfRange {
                                    record: format!("row {}", first + row),
                                    field: name.to_owned(),
                                    value: v as f64,
                                    expected: concat!("a key that fits ", stringify!($key)),
                                })?;
                                keys.id(&key, || key)?
                            });
                        }
                    }};
                }
                by_integer_type!(column.data_type(), integers, other => {
                    return Err(wrong_type(
                        name,
                        other,
                        "integer customer keys (read text keys into a CustomerIndex<String>)",
                    ))
                });
                Ok(())
            }
        }
    )*};
}

integer_keys!(u32, u64, i64);

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

/// A date column read in place: each row's calendar day on demand.
enum Dates<'a> {
    /// Days since 1970-01-01 (`Date32`).
    Days(&'a [i32], Option<&'a NullBuffer>),
    /// Units since 1970-01-01 00:00 UTC, `per_day` to a day (`Date64`, timestamps).
    Scaled(&'a [i64], Option<&'a NullBuffer>, i64),
    /// Text, parsed once.
    Parsed(Vec<Option<Date>>),
}

impl<'a> Dates<'a> {
    fn new(column: &'a ArrayRef, name: &'a str, first: usize) -> Result<Self> {
        let scaled = |values: &'a [i64], nulls, per_day| Dates::Scaled(values, nulls, per_day);
        let dates = match column.data_type() {
            DataType::Date32 => {
                let a = column.as_primitive::<Date32Type>();
                Dates::Days(a.values(), a.nulls())
            }
            DataType::Date64 => {
                let a = column.as_primitive::<Date64Type>();
                scaled(a.values(), a.nulls(), 86_400_000)
            }
            DataType::Timestamp(TimeUnit::Second, _) => {
                let a = column.as_primitive::<TimestampSecondType>();
                scaled(a.values(), a.nulls(), 86_400)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                let a = column.as_primitive::<TimestampMillisecondType>();
                scaled(a.values(), a.nulls(), 86_400_000)
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                let a = column.as_primitive::<TimestampMicrosecondType>();
                scaled(a.values(), a.nulls(), 86_400_000_000)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                let a = column.as_primitive::<TimestampNanosecondType>();
                scaled(a.values(), a.nulls(), 86_400_000_000_000)
            }
            t if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) => {
                let parsed = texts(column, name)?
                    .into_iter()
                    .enumerate()
                    .map(|(row, text)| match text.as_deref().map(str::trim) {
                        None | Some("") => Ok(None),
                        Some(t) => t.parse::<Date>().map(Some).map_err(|_| Error::InvalidDate {
                            input: format!("{t} (row {}, column {name:?})", first + row),
                            reason: "expected a date written YYYY-MM-DD",
                        }),
                    })
                    .collect::<Result<_>>()?;
                Dates::Parsed(parsed)
            }
            other => {
                return Err(wrong_type(
                    name,
                    other,
                    "a date, a timestamp or text YYYY-MM-DD",
                ))
            }
        };
        // Every stored day is checked once here, so `get` cannot fail on the range later.
        let reader = DatesIn { dates, name, first };
        reader.check()?;
        Ok(reader.dates)
    }

    /// The day of `row`, `None` for a null.
    #[inline]
    fn get(&self, row: usize) -> Result<Option<Date>> {
        let valid = |nulls: Option<&NullBuffer>| nulls.is_none_or(|n| n.is_valid(row));
        let days = match self {
            Dates::Days(values, nulls) => {
                if !valid(*nulls) {
                    return Ok(None);
                }
                i64::from(values[row])
            }
            Dates::Scaled(values, nulls, per_day) => {
                if !valid(*nulls) {
                    return Ok(None);
                }
                values[row].div_euclid(*per_day)
            }
            Dates::Parsed(dates) => return Ok(dates[row]),
        };
        // In range: `Dates::new` checked every stored value.
        Ok(Date::from_days(days).ok())
    }
}

/// A date column with what its errors need.
struct DatesIn<'a> {
    dates: Dates<'a>,
    name: &'a str,
    first: usize,
}

impl DatesIn<'_> {
    /// Refuses the first stored (non-null) day outside the years 0 to 9999.
    fn check(&self) -> Result<()> {
        let bad = |row: usize, days: i64| Error::OutOfRange {
            record: format!("row {}", self.first + row),
            field: self.name.to_owned(),
            value: days as f64,
            expected: "a day within the years 0 to 9999 (days since 1970-01-01)",
        };
        let in_range = |days: i64| Date::from_days(days).is_ok();
        match &self.dates {
            Dates::Days(values, nulls) => {
                for (row, &v) in values.iter().enumerate() {
                    if !in_range(i64::from(v)) && nulls.is_none_or(|n| n.is_valid(row)) {
                        return Err(bad(row, i64::from(v)));
                    }
                }
            }
            Dates::Scaled(values, nulls, per_day) => {
                for (row, &v) in values.iter().enumerate() {
                    let days = v.div_euclid(*per_day);
                    if !in_range(days) && nulls.is_none_or(|n| n.is_valid(row)) {
                        return Err(bad(row, days));
                    }
                }
            }
            Dates::Parsed(_) => {}
        }
        Ok(())
    }
}

/// A numeric column read in place: each row as f64 on demand.
enum Numbers<'a> {
    F64(&'a [f64], Option<&'a NullBuffer>),
    F32(&'a [f32], Option<&'a NullBuffer>),
    I64(&'a [i64], Option<&'a NullBuffer>),
    I32(&'a [i32], Option<&'a NullBuffer>),
    I16(&'a [i16], Option<&'a NullBuffer>),
    I8(&'a [i8], Option<&'a NullBuffer>),
    U64(&'a [u64], Option<&'a NullBuffer>),
    U32(&'a [u32], Option<&'a NullBuffer>),
    U16(&'a [u16], Option<&'a NullBuffer>),
    U8(&'a [u8], Option<&'a NullBuffer>),
    Decimal(&'a [i128], Option<&'a NullBuffer>, f64),
    Parsed(Vec<Option<f64>>),
}

impl<'a> Numbers<'a> {
    fn new(column: &'a ArrayRef, name: &str, first: usize) -> Result<Self> {
        macro_rules! view {
            ($variant:ident, $t:ty) => {{
                let a = column.as_primitive::<$t>();
                Numbers::$variant(a.values(), a.nulls())
            }};
        }
        Ok(match column.data_type() {
            DataType::Float64 => view!(F64, Float64Type),
            DataType::Float32 => view!(F32, Float32Type),
            DataType::Int64 => view!(I64, Int64Type),
            DataType::Int32 => view!(I32, Int32Type),
            DataType::Int16 => view!(I16, Int16Type),
            DataType::Int8 => view!(I8, Int8Type),
            DataType::UInt64 => view!(U64, UInt64Type),
            DataType::UInt32 => view!(U32, UInt32Type),
            DataType::UInt16 => view!(U16, UInt16Type),
            DataType::UInt8 => view!(U8, UInt8Type),
            DataType::Decimal128(_, scale) => {
                let a = column.as_primitive::<Decimal128Type>();
                Numbers::Decimal(a.values(), a.nulls(), 10f64.powi(i32::from(*scale)))
            }
            t if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) => {
                let parsed = texts(column, name)?
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
                    .collect::<Result<_>>()?;
                Numbers::Parsed(parsed)
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

    /// The value of `row`, `None` for a null.
    #[inline]
    fn get(&self, row: usize) -> Option<f64> {
        macro_rules! at {
            ($values:expr, $nulls:expr) => {
                $nulls
                    .is_none_or(|n: &NullBuffer| n.is_valid(row))
                    .then(|| $values[row] as f64)
            };
        }
        match self {
            Numbers::F64(v, n) => at!(v, n),
            Numbers::F32(v, n) => at!(v, n),
            Numbers::I64(v, n) => at!(v, n),
            Numbers::I32(v, n) => at!(v, n),
            Numbers::I16(v, n) => at!(v, n),
            Numbers::I8(v, n) => at!(v, n),
            Numbers::U64(v, n) => at!(v, n),
            Numbers::U32(v, n) => at!(v, n),
            Numbers::U16(v, n) => at!(v, n),
            Numbers::U8(v, n) => at!(v, n),
            Numbers::Decimal(v, n, factor) => n
                .is_none_or(|n| n.is_valid(row))
                .then(|| v[row] as f64 / factor),
            Numbers::Parsed(values) => values[row],
        }
    }
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
        t if t.is_integer() => {
            let numbers = Numbers::new(column, name, first)?;
            (0..n)
                .map(|row| match numbers.get(row) {
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
                .collect()
        }
        other => Err(wrong_type(name, other, "a boolean, 0/1 or yes/no text")),
    }
}

/// The segment tags of an export as one Arrow record batch, for a warehouse or a Parquet
/// writer: columns `customer_id` (utf8, the key written with `Display`), `segment_id`,
/// `segment`, `segmentation`, `version` (utf8), `run_date` (date32), `reason` (utf8, nullable)
/// and `score` (float64, nullable).
///
/// ```
/// use saas_segmentation::arrow::tags_batch;
/// use saas_segmentation::export::{export_tags, ExportParams};
/// use saas_segmentation::{CustomerIndex, Date, PerCustomer, Segmentation};
///
/// let index = CustomerIndex::from_keys(["cus_1", "cus_2"])?;
/// let plan = PerCustomer::from_keyed(&index, [("cus_1", "Pro".to_owned()), ("cus_2", "Pro".to_owned())])?;
/// let segments = Segmentation::from_categories("plan", &plan)?;
/// let export = export_tags(&segments, &index, &ExportParams::new("plans", "1", "2026-12-07".parse::<Date>()?))?;
/// let batch = tags_batch(&export)?;
/// assert_eq!((batch.num_rows(), batch.num_columns()), (2, 8));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::Undefined`] if Arrow refuses the columns (it does not for a valid export).
pub fn tags_batch<K: std::fmt::Display>(
    export: &crate::export::TagExport<K>,
) -> Result<RecordBatch> {
    use arrow_array::{Date32Array, Float64Array, StringArray};
    use std::sync::Arc;
    let tags = &export.tags;
    let text = |f: &dyn Fn(&crate::export::SegmentTag<K>) -> String| -> ArrayRef {
        Arc::new(StringArray::from(tags.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("customer_id", text(&|t| t.key.to_string())),
        ("segment_id", text(&|t| t.segment_id.clone())),
        ("segment", text(&|t| t.segment.clone())),
        ("segmentation", text(&|t| t.segmentation.clone())),
        ("version", text(&|t| t.version.clone())),
        (
            "run_date",
            Arc::new(Date32Array::from(
                tags.iter().map(|t| t.run_date.days()).collect::<Vec<_>>(),
            )),
        ),
        (
            "reason",
            Arc::new(StringArray::from(
                tags.iter().map(|t| t.reason.clone()).collect::<Vec<_>>(),
            )),
        ),
        (
            "score",
            Arc::new(Float64Array::from(
                tags.iter().map(|t| t.score).collect::<Vec<_>>(),
            )),
        ),
    ];
    RecordBatch::try_from_iter(columns).map_err(|e| Error::Undefined {
        reason: format!("Arrow refused the tag columns: {e}"),
    })
}

/// Every cell of a column as text (`None` for a null): text as written, numbers, booleans and
/// dates formatted.
fn cell_texts(column: &ArrayRef, name: &str, first: usize) -> Result<Vec<Option<String>>> {
    let n = column.len();
    let t = column.data_type();
    if is_text(t) || matches!(t, DataType::Dictionary(_, v) if is_text(v)) {
        return texts(column, name);
    }
    if matches!(t, DataType::Boolean) {
        return Ok(booleans(column, name, first)?
            .into_iter()
            .map(|b| b.map(|b| b.to_string()))
            .collect());
    }
    if let Ok(dates) = Dates::new(column, name, first) {
        return (0..n)
            .map(|row| Ok(dates.get(row)?.map(|d| d.to_string())))
            .collect();
    }
    let numbers = Numbers::new(column, name, first)?;
    Ok((0..n)
        .map(|row| numbers.get(row).map(|v| v.to_string()))
        .collect())
}

/// Every row of a text key column, borrowed from the batch (`None` for a null).
fn borrowed_texts<'a>(
    column: &'a ArrayRef,
    name: &str,
    _first: usize,
    out: &mut Vec<Option<&'a str>>,
) -> Result<()> {
    let n = column.len();
    macro_rules! strings {
        ($array:expr) => {{
            let array = $array;
            out.extend((0..n).map(|row| (!array.is_null(row)).then(|| array.value(row))));
        }};
    }
    match column.data_type() {
        DataType::Utf8 => strings!(column.as_string::<i32>()),
        DataType::LargeUtf8 => strings!(column.as_string::<i64>()),
        DataType::Utf8View => strings!(column.as_string_view()),
        DataType::Dictionary(_, value) if is_text(value) => {
            let dictionary = column.as_any_dictionary();
            let values = dictionary.values();
            let mut texts: Vec<Option<&'a str>> = Vec::new();
            borrowed_texts(values, name, 0, &mut texts)?;
            for (row, &code) in dictionary.normalized_keys().iter().enumerate() {
                out.push(if column.is_null(row) {
                    None
                } else {
                    texts.get(code).copied().flatten()
                });
            }
        }
        other => {
            return Err(wrong_type(
                name,
                other,
                "text customer keys (use rfm_table for integer keys)",
            ))
        }
    }
    Ok(())
}
