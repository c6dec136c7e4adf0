//! Per-customer RFM summaries from a transaction log: one fast pass, mergeable.

use std::fmt::Debug;
use std::hash::Hash;

use crate::date::Date;
use crate::engine::money::{from_micros, to_micros};
use crate::engine::par;
use crate::engine::prefetch::prefetch;
use crate::engine::rfm_scan::{self, hash_key, Part, PARTS};
use crate::error::{Error, Result};
use crate::ids::{hash_of, CustomerId};
use crate::records::{RefundPolicy, Transaction};
use crate::rfm::table::RfmTable;
use crate::universe::{extend_fingerprint, Universe, EMPTY_FINGERPRINT};

/// Which transaction recency counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RecencyBasis {
    /// Days since the last purchase (a row with a positive amount). Default. Customers with no
    /// purchase (only refunds or zero amounts) have no recency and are left out of the table,
    /// listed in [`RfmReport::without_purchase`].
    #[default]
    LastPurchase,
    /// Days since the last row of any kind, refunds included: what `max(date)` per customer
    /// gives in pandas, polars or SQL.
    LastTransaction,
}

/// What frequency counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FrequencyBasis {
    /// Purchase rows (amount > 0). Default: refunds and zero rows change the monetary value,
    /// not the count.
    #[default]
    Purchases,
    /// Every row the summary keeps, refunds and zero rows included: R `rfm`'s
    /// `rfm_table_order` (`transaction_count`) and pandas' `groupby(customer).size()`. Rows left
    /// out by a policy ([`RefundPolicy::Drop`], [`FuturePolicy::Drop`]) are not counted. Pair it
    /// with [`RecencyBasis::LastTransaction`] for R's recency from the last row of any sign.
    EveryRow,
}

/// What to do with rows dated after the analysis date: the crate's one bad-row policy,
/// [`BadRows`](crate::records::BadRows) (`Drop` leaves them out and counts them in
/// [`RfmReport::future_rows`]).
pub type FuturePolicy = crate::records::BadRows;

/// Settings of an RFM summary. The analysis date is required: no clock is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmParams {
    pub(crate) analysis_date: Date,
    pub(crate) refunds: RefundPolicy,
    pub(crate) recency: RecencyBasis,
    pub(crate) future: FuturePolicy,
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) frequency: FrequencyBasis,
}

impl RfmParams {
    /// Settings for an analysis on `analysis_date` (recency 0 = a purchase on that day).
    #[must_use]
    pub fn new(analysis_date: Date) -> Self {
        RfmParams {
            analysis_date,
            refunds: RefundPolicy::Net,
            recency: RecencyBasis::LastPurchase,
            future: FuturePolicy::Reject,
            frequency: FrequencyBasis::Purchases,
        }
    }

    /// The refund policy. Default: [`RefundPolicy::Net`].
    #[must_use]
    pub fn refunds(mut self, policy: RefundPolicy) -> Self {
        self.refunds = policy;
        self
    }

    /// What recency counts from. Default: [`RecencyBasis::LastPurchase`].
    #[must_use]
    pub fn recency(mut self, basis: RecencyBasis) -> Self {
        self.recency = basis;
        self
    }

    /// What frequency counts. Default: [`FrequencyBasis::Purchases`].
    ///
    /// ```
    /// use saas_segmentation::records::Transaction;
    /// use saas_segmentation::rfm::{FrequencyBasis, RecencyBasis, RfmParams, RfmTable};
    /// use saas_segmentation::Date;
    ///
    /// let day = |d| Date::from_ymd(2024, 1, d);
    /// let log = vec![
    ///     Transaction::new("a", day(2)?, 10.0),
    ///     Transaction::new("a", day(5)?, -4.0),
    ///     Transaction::new("a", day(6)?, 0.0),
    /// ];
    /// // R rfm's rfm_table_order: every row is a transaction, recency from the last row.
    /// let params = RfmParams::new(day(10)?)
    ///     .frequency(FrequencyBasis::EveryRow)
    ///     .recency(RecencyBasis::LastTransaction);
    /// let a = RfmTable::from_transactions(&log, &params)?.summary(0).unwrap();
    /// assert_eq!((a.frequency, a.recency_days, a.monetary), (3, 4, 6.0));
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    #[must_use]
    pub fn frequency(mut self, basis: FrequencyBasis) -> Self {
        self.frequency = basis;
        self
    }

    /// What to do with rows after the analysis date. Default: [`FuturePolicy::Reject`].
    #[must_use]
    pub fn future(mut self, policy: FuturePolicy) -> Self {
        self.future = policy;
        self
    }

    /// The analysis date.
    #[must_use]
    pub fn analysis_date(&self) -> Date {
        self.analysis_date
    }

    /// The refund policy.
    #[must_use]
    pub fn refund_policy(&self) -> RefundPolicy {
        self.refunds
    }
}

/// What the summary did with the rows, so nothing is silently dropped.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmReport {
    /// Rows read.
    pub rows: u64,
    /// Purchase rows (amount > 0).
    pub purchases: u64,
    /// Refund rows netted into monetary value ([`RefundPolicy::Net`]).
    pub refunds_netted: u64,
    /// Money of the netted refund rows (negative).
    pub refund_amount_netted: f64,
    /// Refund rows left out ([`RefundPolicy::Drop`]).
    pub refunds_dropped: u64,
    /// Money of the dropped refund rows (negative).
    pub refund_amount_dropped: f64,
    /// Rows with amount exactly 0 (not purchases).
    pub zero_rows: u64,
    /// Rows after the analysis date left out ([`FuturePolicy::Drop`]).
    pub future_rows: u64,
    /// Customers left out of the table for lack of a purchase (only refunds or zero amounts,
    /// with [`RecencyBasis::LastPurchase`]).
    pub without_purchase: usize,
    /// Customers of the index given to [`RfmTable::from_transactions_in`] with no row in the
    /// log (0 otherwise).
    pub without_rows: usize,
}

/// One customer's running summary. Serialized by meaning ([`AccData`]), not by its packed
/// layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "AccData", try_from = "AccData")
)]
pub(crate) struct Acc {
    pub(crate) first_purchase: i32,
    pub(crate) last_purchase: i32,
    pub(crate) last_any: i32,
    // The frequency: purchases, or every kept row under `FrequencyBasis::EveryRow`.
    pub(crate) purchases: u32,
    // Distinct purchase days; the top bit marks "rows came out of date order", when the count
    // has to be redone from the rows.
    pub(crate) days: u32,
    // The monetary sum in micros as two halves, so the struct is 4-byte aligned and a u32 key
    // plus its accumulator fill 32 bytes (two per cache line).
    pub(crate) micros_low: u32,
    pub(crate) micros_high: i32,
}

pub(crate) const UNORDERED: u32 = 1 << 31;

/// The serialized form of a customer's summary: what it means, checked on load.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct AccData {
    first_purchase: Option<Date>,
    last_purchase: Option<Date>,
    last_row: Option<Date>,
    purchases: u32,
    /// Distinct purchase days; `None` when they must be recounted from the rows.
    purchase_days: Option<u32>,
    /// The monetary total in millionths of the currency unit.
    monetary_micros: i64,
}

impl From<Acc> for AccData {
    fn from(a: Acc) -> AccData {
        let date = |d: i32| Date::from_days(i64::from(d)).ok();
        let bought = a.bought();
        AccData {
            first_purchase: if bought { date(a.first_purchase) } else { None },
            last_purchase: if bought { date(a.last_purchase) } else { None },
            last_row: if a.last_any == i32::MIN {
                None
            } else {
                date(a.last_any)
            },
            purchases: a.purchases,
            purchase_days: (a.days & UNORDERED == 0).then_some(a.days),
            monetary_micros: a.micros(),
        }
    }
}

impl TryFrom<AccData> for Acc {
    type Error = Error;

    fn try_from(d: AccData) -> Result<Acc> {
        let bad = |reason: &str| Error::InvalidParameter {
            name: "RFM summary",
            reason: reason.to_owned(),
        };
        let bought = d.first_purchase.is_some();
        if bought && d.purchases == 0 {
            return Err(bad(
                "a customer with a purchase has a frequency of at least 1",
            ));
        }
        let (first, last) = match (d.first_purchase, d.last_purchase) {
            (Some(f), Some(l)) if bought && f <= l => (f.days(), l.days()),
            (None, None) if !bought => (i32::MAX, i32::MIN),
            _ => {
                return Err(bad(
                    "first and last purchase must both be set, with first <= last, or both \
                     be empty",
                ))
            }
        };
        let last_any = match d.last_row {
            Some(r) if !bought || r.days() >= last => r.days(),
            None if !bought => i32::MIN,
            _ => return Err(bad("the last row is before the last purchase")),
        };
        let days = match d.purchase_days {
            Some(n) if n & UNORDERED == 0 && n <= d.purchases && (n > 0) == bought => n,
            None if bought => UNORDERED,
            _ => return Err(bad("purchase days must be between 1 and the purchases")),
        };
        check_total(d.monetary_micros, || "RFM summary".to_owned())?;
        let mut acc = Acc {
            first_purchase: first,
            last_purchase: last,
            last_any,
            purchases: d.purchases,
            days,
            micros_low: 0,
            micros_high: 0,
        };
        acc.add_micros(d.monetary_micros);
        Ok(acc)
    }
}

/// Refuses a monetary sum that saturated the fixed-point total.
fn check_total(micros: i64, record: impl FnOnce() -> String) -> Result<()> {
    if micros == i64::MAX || micros == i64::MIN {
        return Err(Error::OutOfRange {
            record: record(),
            field: "monetary".into(),
            value: from_micros(micros),
            expected: "a total within ±9.2 trillion currency units (sums are exact to 1e-6 \
                       below that): convert to a larger unit, e.g. thousands",
        });
    }
    Ok(())
}

impl Acc {
    pub(crate) const EMPTY: Acc = Acc {
        first_purchase: i32::MAX,
        last_purchase: i32::MIN,
        last_any: i32::MIN,
        purchases: 0,
        days: 0,
        micros_low: 0,
        micros_high: 0,
    };

    /// Whether the customer made a purchase (a row with a positive amount).
    #[inline]
    pub(crate) fn bought(&self) -> bool {
        self.last_purchase != i32::MIN
    }

    #[inline]
    pub(crate) fn micros(&self) -> i64 {
        (i64::from(self.micros_high) << 32) | i64::from(self.micros_low)
    }

    #[inline]
    fn add_micros(&mut self, micros: i64) {
        // Saturates at the i64 ends (about ±9.2 trillion currency units); the table refuses a
        // saturated total when it is finished.
        let sum = self.micros().saturating_add(micros);
        self.micros_low = sum as u32;
        self.micros_high = (sum >> 32) as i32;
    }

    #[inline]
    fn purchase(&mut self, day: i32, micros: i64) {
        self.purchases = self.purchases.saturating_add(1);
        self.add_micros(micros);
        self.first_purchase = self.first_purchase.min(day);
        if day > self.last_purchase {
            self.days = self.days.saturating_add(1);
            self.last_purchase = day;
        } else if day < self.last_purchase {
            self.days |= UNORDERED;
        }
        self.last_any = self.last_any.max(day);
    }

    /// Adds one checked row (a purchase when `micros > 0`) and counts it.
    #[inline(always)]
    pub(crate) fn apply(&mut self, day: i32, micros: i64, counters: &mut Counters) {
        if micros > 0 {
            self.purchase(day, micros);
            counters.purchases += 1;
        } else {
            self.purchases = self.purchases.saturating_add(counters.other_rows);
            self.add_micros(micros);
            self.last_any = self.last_any.max(day);
            if micros < 0 {
                counters.refunds_netted += 1;
                counters.refund_netted_micros =
                    counters.refund_netted_micros.saturating_add(micros);
            } else {
                counters.zero_rows += 1;
            }
        }
    }

    pub(crate) fn merge(&mut self, other: &Acc) {
        let days = if (self.days | other.days) & UNORDERED != 0 {
            UNORDERED
        } else if !self.bought()
            || !other.bought()
            || self.last_purchase < other.first_purchase
            || other.last_purchase < self.first_purchase
        {
            // One side is empty, or the two cover disjoint days.
            self.days.saturating_add(other.days)
        } else if self.last_purchase == other.first_purchase
            || other.last_purchase == self.first_purchase
        {
            // The two parts touch on one shared day.
            self.days.saturating_add(other.days) - 1
        } else {
            UNORDERED
        };
        self.first_purchase = self.first_purchase.min(other.first_purchase);
        self.last_purchase = self.last_purchase.max(other.last_purchase);
        self.last_any = self.last_any.max(other.last_any);
        self.purchases = self.purchases.saturating_add(other.purchases);
        self.add_micros(other.micros());
        self.days = days;
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    purchases: u64,
    refunds_netted: u64,
    refund_netted_micros: i64,
    zero_rows: u64,
    future_rows: u64,
    refunds_dropped: u64,
    refund_dropped_micros: i64,
    // What a kept row that is not a purchase adds to the frequency: 1 under
    // `FrequencyBasis::EveryRow`, else 0. A setting, not a count: `add` leaves it.
    other_rows: u32,
}

impl Counters {
    /// Empty counters for a pass under `params`.
    pub(crate) fn new(params: &RfmParams) -> Self {
        Counters {
            other_rows: u32::from(params.frequency == FrequencyBasis::EveryRow),
            ..Counters::default()
        }
    }

    pub(crate) fn add(&mut self, other: &Counters) {
        self.purchases = self.purchases.saturating_add(other.purchases);
        self.refunds_netted = self.refunds_netted.saturating_add(other.refunds_netted);
        self.refund_netted_micros = self
            .refund_netted_micros
            .saturating_add(other.refund_netted_micros);
        self.zero_rows = self.zero_rows.saturating_add(other.zero_rows);
        self.future_rows = self.future_rows.saturating_add(other.future_rows);
        self.refunds_dropped = self.refunds_dropped.saturating_add(other.refunds_dropped);
        self.refund_dropped_micros = self
            .refund_dropped_micros
            .saturating_add(other.refund_dropped_micros);
    }
}

/// A mergeable RFM summary under construction (DESIGN.md section 2): add chunks of
/// transactions, merge accumulators built elsewhere (other threads, other machines), then
/// [`finish`](RfmAccumulator::finish). Merging two accumulators equals one pass over both inputs.
///
/// ```
/// use saas_segmentation::records::Transaction;
/// use saas_segmentation::rfm::{RfmAccumulator, RfmParams, RfmTable};
/// use saas_segmentation::Date;
///
/// let day = |d| Date::from_ymd(2024, 1, d);
/// let log = vec![
///     Transaction::new("a", day(2)?, 10.0),
///     Transaction::new("b", day(3)?, 5.0),
///     Transaction::new("a", day(9)?, 20.0),
/// ];
/// let params = RfmParams::new(day(10)?);
/// let mut left = RfmAccumulator::new(params);
/// left.add(&log[..2])?;
/// let mut right = RfmAccumulator::new(params);
/// right.add(&log[2..])?;
/// left.merge(right)?;
/// assert_eq!(left.finish()?, RfmTable::from_transactions(&log, &params)?);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RfmAccumulator<K> {
    pub(crate) params: RfmParams,
    pub(crate) parts: Vec<Part<K>>,
    pub(crate) rows: u64,
    pub(crate) counters: Counters,
}

impl<K: Hash + Eq + Clone + Ord + Debug + Send + Sync> RfmAccumulator<K> {
    /// An empty accumulator.
    #[must_use]
    pub fn new(params: RfmParams) -> Self {
        RfmAccumulator {
            params,
            parts: (0..PARTS).map(|_| Part::new()).collect(),
            rows: 0,
            counters: Counters::default(),
        }
    }

    /// Adds a chunk of transactions. Row numbers in errors count from the first row ever added.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite amount; [`Error::OutOfRange`] for an amount
    /// beyond ±2.2 billion per row, for a refund under [`RefundPolicy::Reject`], or for a row
    /// after the analysis date under [`FuturePolicy::Reject`]. After an error the accumulator
    /// holds part of the chunk: discard it.
    pub fn add(&mut self, transactions: &[Transaction<K>]) -> Result<()> {
        let offset = self.rows;
        let params = self.params;
        let results = rfm_scan::add_partitioned(&mut self.parts, transactions, &params, offset);
        for result in results {
            self.counters.add(&result?);
        }
        self.rows += transactions.len() as u64;
        Ok(())
    }

    /// Merges another accumulator into this one.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the two were built with different [`RfmParams`].
    pub fn merge(&mut self, other: RfmAccumulator<K>) -> Result<()> {
        if other.params != self.params {
            return Err(Error::InvalidParameter {
                name: "RfmAccumulator::merge",
                reason: format!(
                    "the accumulators use different settings ({:?} vs {:?}): merge only summaries of one analysis",
                    self.params, other.params
                ),
            });
        }
        for (mine, theirs) in self.parts.iter_mut().zip(other.parts) {
            for (key, acc) in &theirs.entries {
                mine.entry(key, hash_key(key), Acc::EMPTY).merge(acc);
            }
        }
        self.rows += other.rows;
        self.counters.add(&other.counters);
        Ok(())
    }

    /// The finished table. Distinct purchase days are `None` for customers whose rows arrived
    /// out of date order across merged chunks (the one-pass
    /// [`RfmTable::from_transactions`] always counts them).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when a customer's monetary total or purchase count, or a refund
    /// total of the report, is beyond what the table holds exactly (about ±9.2 trillion
    /// currency units, 4.3 billion purchases).
    pub fn finish(self) -> Result<RfmTable<K>> {
        let RfmAccumulator {
            params,
            mut parts,
            rows,
            counters: c,
        } = self;
        for part in &mut parts {
            part.slots = Vec::new();
        }
        let mut entries: Vec<(K, Acc)> =
            Vec::with_capacity(parts.iter().map(|p| p.entries.len()).sum());
        for part in parts {
            entries.extend(part.entries);
        }
        let mut table = RfmAccumulator {
            params,
            parts: Vec::new(),
            rows,
            counters: c,
        }
        .finish_entries(entries)?;
        // Without an index the table's customers are a set of their own: its keys in key
        // order, the universe `CustomerIndex::sorted_from_keys` of the same keys has.
        let fingerprint = table.entries.iter().fold(EMPTY_FINGERPRINT, |f, e| {
            extend_fingerprint(f, hash_of(&e.0))
        });
        table.universe = Universe::from_parts(table.entries.len(), fingerprint);
        Ok(table)
    }

    /// The table of `entries` (one per customer seen): the report from the counters, customers
    /// without a purchase left out under [`RecencyBasis::LastPurchase`], key order.
    pub(crate) fn finish_entries(self, entries: Vec<(K, Acc)>) -> Result<RfmTable<K>> {
        Ok(self.finish_entries_sorted(entries)?.0)
    }

    /// As `finish_entries`, and whether the entries had to be sorted (false: they came in key
    /// order).
    pub(crate) fn finish_entries_sorted(
        self,
        mut entries: Vec<(K, Acc)>,
    ) -> Result<(RfmTable<K>, bool)>
    where
        K: Debug,
    {
        let RfmAccumulator {
            params,
            rows,
            counters: c,
            ..
        } = self;
        for (what, micros) in [
            ("refunds netted", c.refund_netted_micros),
            ("refunds dropped", c.refund_dropped_micros),
        ] {
            check_total(micros, || format!("RFM report: {what}"))?;
        }
        for (key, acc) in &entries {
            check_total(acc.micros(), || format!("customer {key:?}"))?;
            if acc.purchases == u32::MAX {
                return Err(Error::OutOfRange {
                    record: format!("customer {key:?}"),
                    field: "frequency".into(),
                    value: f64::from(u32::MAX),
                    expected: "fewer than 4,294,967,295 counted rows per customer",
                });
            }
        }
        let mut report = RfmReport {
            rows,
            purchases: c.purchases,
            refunds_netted: c.refunds_netted,
            refund_amount_netted: from_micros(c.refund_netted_micros),
            refunds_dropped: c.refunds_dropped,
            refund_amount_dropped: from_micros(c.refund_dropped_micros),
            zero_rows: c.zero_rows,
            future_rows: c.future_rows,
            without_purchase: 0,
            without_rows: 0,
        };
        let keep_all = params.recency == RecencyBasis::LastTransaction;
        // Key order: the crate's tie-break order, and an output independent of input order.
        if !keep_all {
            let before = entries.len();
            entries.retain(|e| e.1.bought());
            report.without_purchase = before - entries.len();
        }
        // Entries of an index whose ids follow key order (`CustomerIndex::sorted_from_keys`)
        // are in order already: one look at each pair instead of a sort.
        let sorted = !entries.windows(2).all(|w| w[0].0 < w[1].0);
        if sorted {
            par::sort_unstable_by(&mut entries, |a, b| a.0.cmp(&b.0));
        }
        // The caller ties the table to its customer set.
        let table = RfmTable {
            params,
            universe: Universe::dense(0),
            ids: None,
            entries,
            report,
        };
        Ok((table, sorted))
    }
}

/// One customer's RFM state as a query engine's group-by keeps it (DataFusion, Spark, a
/// map-reduce job): add that customer's rows in any partition, merge the partial states of the
/// partitions, then build the table with [`RfmTable::from_partials`]. Merging equals one pass
/// over all the rows; the report's counts (refunds, zero rows, rows after the analysis date)
/// travel with each customer's state.
///
/// Distinct purchase days are exact when each partial saw its rows in date order and the
/// partials cover disjoint or touching date ranges; otherwise they are `None` in the table,
/// as with [`RfmAccumulator::finish`].
///
/// ```
/// use saas_segmentation::records::Transaction;
/// use saas_segmentation::rfm::{RfmParams, RfmPartial, RfmTable};
/// use saas_segmentation::Date;
///
/// let day = |d| Date::from_ymd(2024, 1, d);
/// let log = vec![
///     Transaction::new("a", day(2)?, 10.0),
///     Transaction::new("a", day(9)?, 20.0),
///     Transaction::new("b", day(3)?, 5.0),
/// ];
/// let params = RfmParams::new(day(10)?);
/// // Two partitions hold a's rows; one holds b's.
/// let mut a1 = RfmPartial::new(&params);
/// a1.add(&log[0], &params)?;
/// let mut a2 = RfmPartial::new(&params);
/// a2.add(&log[1], &params)?;
/// a1.merge(&a2);
/// let mut b = RfmPartial::new(&params);
/// b.add(&log[2], &params)?;
/// let table = RfmTable::from_partials(params, vec![("b", b), ("a", a1)])?;
/// assert_eq!(table, RfmTable::from_transactions(&log, &params)?);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RfmPartial {
    acc: Acc,
    counters: Counters,
    rows: u64,
}

impl RfmPartial {
    /// An empty state for an analysis under `params`.
    #[must_use]
    pub fn new(params: &RfmParams) -> Self {
        RfmPartial {
            acc: Acc::EMPTY,
            counters: Counters::new(params),
            rows: 0,
        }
    }

    /// Adds one row of this customer (the key is used only in error messages).
    ///
    /// # Errors
    /// As [`RfmAccumulator::add`]: [`Error::NonFinite`] for a NaN or infinite amount,
    /// [`Error::OutOfRange`] for an amount beyond ±2.2 billion, a refund under
    /// [`RefundPolicy::Reject`] or a row after the analysis date under
    /// [`FuturePolicy::Reject`].
    pub fn add<K: Debug>(
        &mut self,
        transaction: &Transaction<K>,
        params: &RfmParams,
    ) -> Result<()> {
        if let Some(micros) = kept_micros(params, transaction, self.rows, true, &mut self.counters)?
        {
            self.acc
                .apply(transaction.date.days(), micros, &mut self.counters);
        }
        self.rows += 1;
        Ok(())
    }

    /// Adds a batch of rows to the states of their groups, as a query engine's hash aggregation
    /// hands them over: row `i` (day `days[i]` in days since 1970-01-01, amount `amounts[i]`)
    /// goes to `states[groups[i]]`. Equal to [`RfmPartial::add`] row by row, and faster over
    /// many groups: the states of the rows a few places ahead are requested from memory early.
    /// Stops at the first bad row; the rows before it stay added.
    ///
    /// ```
    /// use saas_segmentation::rfm::{RfmParams, RfmPartial};
    /// use saas_segmentation::Date;
    ///
    /// let params = RfmParams::new(Date::from_ymd(2024, 1, 31)?);
    /// let mut states = vec![RfmPartial::new(&params); 2];
    /// let day = Date::from_ymd(2024, 1, 5)?.days();
    /// RfmPartial::add_batch(&mut states, &[1, 0, 1], &[day, day, day + 3], &[10.0, 4.0, 6.0], &params)?;
    /// assert_eq!((states[0].rows(), states[1].rows()), (1, 2));
    /// let bad = RfmPartial::add_batch(&mut states, &[0], &[day], &[f64::NAN], &params);
    /// assert!(bad.unwrap_err().to_string().contains("row 0"));
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `groups`, `days` and `amounts` differ in length;
    /// [`Error::InvalidParameter`] for a group past `states`; a date error for a day outside
    /// the years 0 to 9999; otherwise as [`RfmPartial::add`], naming the row of the batch.
    pub fn add_batch(
        states: &mut [RfmPartial],
        groups: &[usize],
        days: &[i32],
        amounts: &[f64],
        params: &RfmParams,
    ) -> Result<()> {
        for (what, len) in [
            ("days of the batch", days.len()),
            ("amounts of the batch", amounts.len()),
        ] {
            if len != groups.len() {
                return Err(Error::LengthMismatch {
                    what,
                    expected: groups.len(),
                    found: len,
                });
            }
        }
        // How many rows ahead a state is requested.
        const AHEAD: usize = 16;
        for (i, ((&group, &day), &amount)) in groups.iter().zip(days).zip(amounts).enumerate() {
            if let Some(ahead) = groups.get(i + AHEAD).and_then(|&g| states.get(g)) {
                prefetch(&ahead.acc);
                prefetch(&ahead.counters);
            }
            let date = Date::from_days(i64::from(day))?;
            let transaction = Transaction::new((), date, amount);
            let count = states.len();
            let state = states
                .get_mut(group)
                .ok_or_else(|| Error::InvalidParameter {
                    name: "groups",
                    reason: format!(
                        "row {i} of the batch is in group {group}, past the {count} states: pass \
                     one state per group"
                    ),
                })?;
            if let Some(micros) =
                kept_micros(params, &transaction, i as u64, true, &mut state.counters)?
            {
                state.acc.apply(day, micros, &mut state.counters);
            }
            state.rows += 1;
        }
        Ok(())
    }

    /// Merges another partial state of the same customer into this one.
    pub fn merge(&mut self, other: &RfmPartial) {
        self.acc.merge(&other.acc);
        self.counters.add(&other.counters);
        self.rows = self.rows.saturating_add(other.rows);
    }

    /// The rows added (kept or not).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The state as plain values, for an engine's state columns or wire format.
    #[must_use]
    pub fn parts(&self) -> RfmPartialParts {
        let a = AccData::from(self.acc);
        let c = &self.counters;
        RfmPartialParts {
            first_purchase: a.first_purchase,
            last_purchase: a.last_purchase,
            last_row: a.last_row,
            frequency: a.purchases,
            purchase_days: a.purchase_days,
            monetary_micros: a.monetary_micros,
            rows: self.rows,
            purchases: c.purchases,
            refunds_netted: c.refunds_netted,
            refund_netted_micros: c.refund_netted_micros,
            zero_rows: c.zero_rows,
            future_rows: c.future_rows,
            refunds_dropped: c.refunds_dropped,
            refund_dropped_micros: c.refund_dropped_micros,
        }
    }

    /// The state back from its plain values, checked (a state that no rows could produce is
    /// refused).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming what is inconsistent (a purchase without a
    /// frequency, first purchase after the last, the last row before the last purchase,
    /// purchase days outside 1..=frequency); [`Error::OutOfRange`] for a saturated monetary
    /// or refund total.
    pub fn from_parts(parts: &RfmPartialParts, params: &RfmParams) -> Result<Self> {
        let acc = Acc::try_from(AccData {
            first_purchase: parts.first_purchase,
            last_purchase: parts.last_purchase,
            last_row: parts.last_row,
            purchases: parts.frequency,
            purchase_days: parts.purchase_days,
            monetary_micros: parts.monetary_micros,
        })?;
        for (what, micros) in [
            ("refunds netted", parts.refund_netted_micros),
            ("refunds dropped", parts.refund_dropped_micros),
        ] {
            check_total(micros, || format!("RFM partial state: {what}"))?;
        }
        let mut counters = Counters::new(params);
        counters.purchases = parts.purchases;
        counters.refunds_netted = parts.refunds_netted;
        counters.refund_netted_micros = parts.refund_netted_micros;
        counters.zero_rows = parts.zero_rows;
        counters.future_rows = parts.future_rows;
        counters.refunds_dropped = parts.refunds_dropped;
        counters.refund_dropped_micros = parts.refund_dropped_micros;
        Ok(RfmPartial {
            acc,
            counters,
            rows: parts.rows,
        })
    }
}

/// The plain values of an [`RfmPartial`]: the customer's summary and the report's counts of
/// its rows. Build one back with [`RfmPartial::from_parts`], which checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmPartialParts {
    /// First purchase (a row with a positive amount).
    pub first_purchase: Option<Date>,
    /// Last purchase.
    pub last_purchase: Option<Date>,
    /// Last kept row of any sign.
    pub last_row: Option<Date>,
    /// The frequency so far (purchases, or every kept row under `FrequencyBasis::EveryRow`).
    pub frequency: u32,
    /// Distinct purchase days; `None` when rows came out of date order.
    pub purchase_days: Option<u32>,
    /// The monetary total in millionths of the currency unit.
    pub monetary_micros: i64,
    /// Rows added, kept or not.
    pub rows: u64,
    /// Purchase rows (for the report).
    pub purchases: u64,
    /// Refund rows netted.
    pub refunds_netted: u64,
    /// Their total in millionths.
    pub refund_netted_micros: i64,
    /// Rows with a zero amount.
    pub zero_rows: u64,
    /// Rows after the analysis date, dropped.
    pub future_rows: u64,
    /// Refund rows dropped.
    pub refunds_dropped: u64,
    /// Their total in millionths.
    pub refund_dropped_micros: i64,
}

impl<K: Hash + Eq + Clone + Ord + Debug + Send + Sync> RfmTable<K> {
    /// The table of one partial state per customer (a key given twice has its states
    /// merged): the same table [`RfmTable::from_transactions`] builds from the rows, with the
    /// distinct-purchase-days caveat of [`RfmPartial`]. Its customers are a set of their own
    /// (its keys), as with [`RfmAccumulator::finish`].
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without partial states or when no customer is left (as one pass
    /// over the same rows);
    /// [`Error::OutOfRange`] when a customer's monetary total or purchase count, or a refund
    /// total of the report, is beyond what the table holds exactly.
    pub fn from_partials(params: RfmParams, partials: Vec<(K, RfmPartial)>) -> Result<Self> {
        if partials.is_empty() {
            // As one pass over no rows.
            return Err(Error::EmptyInput {
                what: "transaction log",
                item: "transaction",
            });
        }
        let mut acc = RfmAccumulator::<K> {
            params,
            parts: Vec::new(),
            rows: 0,
            counters: Counters::new(&params),
        };
        let mut entries: Vec<(K, Acc)> = Vec::with_capacity(partials.len());
        let mut sorted = partials;
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, p) in sorted {
            acc.rows = acc.rows.saturating_add(p.rows);
            acc.counters.add(&p.counters);
            match entries.last_mut() {
                Some(last) if last.0 == key => last.1.merge(&p.acc),
                _ => entries.push((key, p.acc)),
            }
        }
        // A customer whose rows the policies all left out is not in the table (as in one pass).
        entries.retain(|e| e.1 != Acc::EMPTY);
        let mut table = acc.finish_entries(entries)?;
        if table.entries.is_empty() {
            // As one pass: a table needs a customer.
            return Err(Error::EmptyInput {
                what: "RFM table (no customer has a purchase)",
                item: "purchase",
            });
        }
        let fingerprint = table.entries.iter().fold(EMPTY_FINGERPRINT, |f, e| {
            extend_fingerprint(f, hash_of(&e.0))
        });
        table.universe = Universe::from_parts(table.entries.len(), fingerprint);
        Ok(table)
    }
}

/// What to do with one row.
enum Row {
    Keep(i64),
    Future,
    DroppedRefund(i64),
}

/// Validates one row and applies the future and refund policies.
#[inline(always)]
fn check_row<K: Debug>(params: &RfmParams, t: &Transaction<K>, row: u64) -> Result<Row> {
    let amount = t.amount;
    let micros = match to_micros(amount) {
        Some(m) if amount.is_finite() => m,
        _ => return Err(amount_error(row, amount)),
    };
    if t.date > params.analysis_date {
        return match params.future {
            FuturePolicy::Reject => Err(Error::OutOfRange {
                record: format!(
                    "transaction row {row} (customer {:?}, {})",
                    t.customer, t.date
                ),
                field: "date".to_owned(),
                value: f64::from(t.date.days()),
                expected: "a date on or before the analysis date (or FuturePolicy::Drop)",
            }),
            FuturePolicy::Drop => Ok(Row::Future),
        };
    }
    if micros < 0 {
        match params.refunds {
            RefundPolicy::Reject => {
                return Err(Error::OutOfRange {
                    record: format!("transaction row {row} (customer {:?})", t.customer),
                    field: "amount".to_owned(),
                    value: amount,
                    expected: "no refunds under RefundPolicy::Reject",
                })
            }
            RefundPolicy::Drop => return Ok(Row::DroppedRefund(micros)),
            RefundPolicy::Net => {}
        }
    }
    Ok(Row::Keep(micros))
}

/// Checks one row: `Some(micros)` to aggregate it, `None` when the policies leave it out (then
/// counted when `counting`).
// Always inlined: the per-row work of the hot scans, which call it from two places.
#[inline(always)]
pub(crate) fn kept_micros<K: Debug>(
    params: &RfmParams,
    t: &Transaction<K>,
    row: u64,
    counting: bool,
    counters: &mut Counters,
) -> Result<Option<i64>> {
    Ok(match check_row(params, t, row)? {
        Row::Keep(micros) => Some(micros),
        Row::Future => {
            counters.future_rows += u64::from(counting);
            None
        }
        Row::DroppedRefund(micros) => {
            if counting {
                counters.refunds_dropped += 1;
                counters.refund_dropped_micros =
                    counters.refund_dropped_micros.saturating_add(micros);
            }
            None
        }
    })
}

pub(crate) fn unknown_id(row: usize, id: CustomerId, len: usize) -> Error {
    Error::UnknownCustomer {
        record: format!("transaction row {row}"),
        customer: format!("dense id {} (the index holds {len} customers)", id.0),
    }
}

fn amount_error(row: u64, amount: f64) -> Error {
    if amount.is_finite() {
        Error::OutOfRange {
            record: format!("transaction row {row}"),
            field: "amount".to_owned(),
            value: amount,
            expected: "an amount within ±2.2 billion per row",
        }
    } else {
        Error::NonFinite {
            record: format!("transaction row {row}"),
            field: "amount".to_owned(),
            value: amount,
        }
    }
}
