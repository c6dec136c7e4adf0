//! The RFM table: per-customer summaries of one customer set, in key order.

use std::fmt::Debug;
use std::hash::Hash;

use crate::date::Date;
use crate::engine::money::from_micros;
use crate::engine::rfm_scan::scan_entries;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerIndex};
use crate::records::Transaction;
use crate::universe::{CustomerSet, PerCustomer, Universe};

use super::summary::{
    unknown_id, Acc, RecencyBasis, RfmAccumulator, RfmParams, RfmReport, UNORDERED,
};

/// One customer's RFM summary.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmSummary {
    /// Days from the last purchase (or last row, per [`RecencyBasis`]) to the analysis date.
    pub recency_days: i64,
    /// Purchases (rows with amount > 0), or every kept row under
    /// [`FrequencyBasis::EveryRow`](crate::rfm::FrequencyBasis::EveryRow).
    pub frequency: u32,
    /// Distinct days with a purchase (`None` only from merged accumulators whose rows came out
    /// of date order).
    pub purchase_days: Option<u32>,
    /// Sum of amounts under the refund policy (exact to 1e-6).
    pub monetary: f64,
    /// Monetary value per counted row (`monetary / frequency`); `None` without purchases.
    pub mean_monetary: Option<f64>,
    /// First purchase; `None` without purchases.
    pub first_purchase: Option<Date>,
    /// Last purchase; `None` without purchases.
    pub last_purchase: Option<Date>,
    /// Days from the first purchase to the analysis date; `None` without purchases.
    pub tenure_days: Option<i64>,
}

/// Per-customer RFM summaries of the customers of a customer set, held in order of the external
/// key (the order pandas' sorted group-by and the rank-first tie-break need).
///
/// The table is tied to the customer set it was built over: the index of
/// [`RfmTable::from_transactions_in`] or [`RfmTable::from_interned`], or, for
/// [`RfmTable::from_transactions`], the set of its own keys in key order (what
/// `CustomerIndex::sorted_from_keys(table.keys().cloned())` holds). [`RfmTable::customer`] gives
/// the dense id of each row and [`RfmTable::per_customer`] the dense-id view, with customers
/// without a summary as `None`.
///
/// Loading through `Deserialize` checks keys in strictly increasing order, one distinct
/// customer of the set per row, summaries that are consistent on their own (dates in order,
/// purchase days within the purchases, a monetary total within range), and customers without a
/// purchase only where the recency basis keeps them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RfmTable<K> {
    pub(crate) params: RfmParams,
    pub(crate) universe: Universe,
    /// The dense id of each row; `None` when row `i` is customer `i`.
    pub(crate) ids: Option<Vec<CustomerId>>,
    // Each key beside its accumulator, in key order: one vector, no second copy.
    pub(crate) entries: Vec<(K, Acc)>,
    pub(crate) report: RfmReport,
}

impl<K: Hash + Eq + Clone + Ord + Debug + Send + Sync> RfmTable<K> {
    /// Summarizes a transaction log in one pass.
    ///
    /// ```text
    /// recency   = analysis date - date of the last purchase (days)
    /// frequency = number of rows with amount > 0
    /// monetary  = sum of amounts (refunds netted in under RefundPolicy::Net)
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for an empty log or one where no customer is left; the row errors
    /// of [`RfmAccumulator::add`].
    pub fn from_transactions(transactions: &[Transaction<K>], params: &RfmParams) -> Result<Self> {
        if transactions.is_empty() {
            return Err(Error::EmptyInput {
                what: "transaction log",
                item: "transaction",
            });
        }
        let mut accumulator = RfmAccumulator::new(*params);
        accumulator.add(transactions)?;
        let mut table = accumulator.finish()?;
        if table.entries.is_empty() {
            return Err(Error::EmptyInput {
                what: "RFM table (no customer has a purchase)",
                item: "purchase",
            });
        }
        table.recount_unordered_days(transactions);
        Ok(table)
    }

    /// As [`RfmTable::from_transactions`], for the customers of a known index: a row whose
    /// customer is not in `customers` is an error, and index customers without any row are
    /// counted in [`RfmReport::without_rows`].
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] naming the first row whose customer is not in the index; the
    /// errors of [`RfmTable::from_transactions`].
    pub fn from_transactions_in(
        transactions: &[Transaction<K>],
        customers: &crate::ids::CustomerIndex<K>,
        params: &RfmParams,
    ) -> Result<Self> {
        for (row, t) in transactions.iter().enumerate() {
            customers.require(&t.customer, || format!("transaction row {row}"))?;
        }
        let mut table = Self::from_transactions(transactions, params)?;
        let seen = table.entries.len() + table.report.without_purchase;
        table.report.without_rows = customers.len().saturating_sub(seen);
        let ids = table
            .entries
            .iter()
            .enumerate()
            .map(|(row, e)| customers.require(&e.0, || format!("RFM row {row}")))
            .collect::<Result<Vec<_>>>()?;
        table.attach(customers.universe(), ids);
        Ok(table)
    }

    /// As [`RfmTable::from_transactions`], for a log whose records already carry the dense ids
    /// of `customers` (interned once, when the data was loaded: DESIGN.md section 2). The pass
    /// updates a vector indexed by id, with no hashing; the table is then put in order of the
    /// external keys, as every other table. Index customers without any row are counted in
    /// [`RfmReport::without_rows`]. With the `parallel` feature, each thread aggregates a run of
    /// rows and the runs are merged in row order, so the result is the serial one; each thread
    /// after the first holds its own accumulators (28 bytes per customer) while it runs.
    ///
    /// ```
    /// use saas_segmentation::records::Transaction;
    /// use saas_segmentation::rfm::{RfmParams, RfmTable};
    /// use saas_segmentation::{CustomerIndex, Date};
    ///
    /// let day = |d| Date::from_ymd(2024, 1, d);
    /// let mut index = CustomerIndex::new();
    /// let (a, b) = (index.intern("cus_a")?, index.intern("cus_b")?);
    /// let log = vec![
    ///     Transaction::new(b, day(3)?, 5.0),
    ///     Transaction::new(a, day(9)?, 20.0),
    /// ];
    /// let params = RfmParams::new(day(10)?);
    /// let table = RfmTable::from_interned(&log, &index, &params)?;
    /// assert_eq!(table.get(&"cus_a").map(|s| s.recency_days), Some(1));
    /// assert_eq!(table.keys().collect::<Vec<_>>(), [&"cus_a", &"cus_b"]);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] naming the first row whose id is not in `customers`; the
    /// errors of [`RfmTable::from_transactions`].
    pub fn from_interned(
        transactions: &[Transaction<CustomerId>],
        customers: &CustomerIndex<K>,
        params: &RfmParams,
    ) -> Result<Self> {
        if transactions.is_empty() {
            return Err(Error::EmptyInput {
                what: "transaction log",
                item: "transaction",
            });
        }
        let n = customers.len();
        if n == 0 {
            return Err(unknown_id(0, transactions[0].customer, n));
        }
        // One vector, indexed by id: each key beside its accumulator, compacted and sorted in
        // place afterwards, so no second copy of the table is ever made.
        let mut entries: Vec<(K, Acc)> = customers
            .keys()
            .iter()
            .map(|k| (k.clone(), Acc::EMPTY))
            .collect();
        let counters = scan_entries(transactions, params, &mut entries)?;
        // One look at every customer: were any rows out of date order, and who had no row.
        let (unordered, unseen) = entries.iter().fold((false, 0), |(unordered, unseen), e| {
            (
                unordered | (e.1.days & UNORDERED != 0),
                unseen + usize::from(e.1.last_any == i32::MIN),
            )
        });
        // Distinct days of customers whose rows came out of date order, counted again.
        if unordered {
            let analysis = params.analysis_date.days();
            let mut pairs: Vec<(u32, i32)> = transactions
                .iter()
                .filter(|t| {
                    is_purchase(t.amount)
                        && t.date.days() <= analysis
                        && entries[t.customer.index()].1.days & UNORDERED != 0
                })
                .map(|t| (t.customer.0, t.date.days()))
                .collect();
            pairs.sort_unstable();
            pairs.dedup();
            for entry in entries.iter_mut().filter(|e| e.1.days & UNORDERED != 0) {
                entry.1.days = 0;
            }
            for (id, _) in pairs {
                entries[id as usize].1.days += 1;
            }
        }
        if unseen > 0 {
            entries.retain(|e| e.1.last_any != i32::MIN);
        }
        let seen = entries.len();
        let mut accumulator = RfmAccumulator::new(*params);
        accumulator.rows = transactions.len() as u64;
        accumulator.counters = counters;
        let (mut table, sorted) = accumulator.finish_entries_sorted(entries)?;
        if table.entries.is_empty() {
            return Err(Error::EmptyInput {
                what: "RFM table (no customer has a purchase)",
                item: "purchase",
            });
        }
        table.report.without_rows = n - seen;
        let ids = if !sorted {
            // Rows in id order (an index in key order): every customer, or a subsequence of
            // the index's keys found in one walk.
            if table.entries.len() == n {
                None
            } else {
                let keys = customers.keys();
                let mut ids = Vec::with_capacity(table.entries.len());
                let mut j = 0;
                for e in &table.entries {
                    while keys.get(j).is_some_and(|k| *k != e.0) {
                        j += 1;
                    }
                    ids.push(CustomerId(j as u32));
                    j += 1;
                }
                Some(ids)
            }
        } else {
            // The table was sorted by key: find each row's id again, each lookup's slot
            // requested 16 rows ahead (the lookups are random over the whole index).
            let entries = &table.entries;
            let mut ids = Vec::with_capacity(entries.len());
            for (row, e) in entries.iter().enumerate() {
                if let Some(ahead) = entries.get(row + 16) {
                    crate::ids::CustomerLookup::prefetch(customers, &ahead.0);
                }
                ids.push(customers.require(&e.0, || format!("RFM row {row}"))?);
            }
            Some(ids)
        };
        table.universe = customers.universe();
        table.ids = ids;
        Ok(table)
    }

    /// Ties the table to `universe`, row `i` being customer `ids[i]`.
    fn attach(&mut self, universe: Universe, ids: Vec<CustomerId>) {
        let identity =
            ids.len() == universe.len() && ids.iter().enumerate().all(|(i, id)| id.index() == i);
        self.universe = universe;
        self.ids = (!identity).then_some(ids);
    }

    /// Counts distinct purchase days exactly for customers whose rows were out of date order.
    /// (`is_purchase` below is the pass's own test, so tiny amounts that round to 0 micro-units
    /// count the same whatever the row order.)
    fn recount_unordered_days(&mut self, transactions: &[Transaction<K>]) {
        if !self.has_unordered_days() {
            return;
        }
        let mut pairs = Vec::new();
        self.unordered_purchase_days(transactions, &mut pairs);
        self.set_recounted_days(pairs);
    }

    /// Whether some customer's distinct purchase days must be recounted from the rows.
    pub(crate) fn has_unordered_days(&self) -> bool {
        self.entries.iter().any(|e| e.1.days & UNORDERED != 0)
    }

    /// Appends (position, day) of every purchase in `transactions` of a customer whose days
    /// must be recounted; the rows may come in chunks.
    pub(crate) fn unordered_purchase_days(
        &self,
        transactions: &[Transaction<K>],
        pairs: &mut Vec<(usize, i32)>,
    ) {
        let analysis = self.params.analysis_date.days();
        for t in transactions {
            // A purchase is a row of at least one micro-unit, as in the pass itself.
            if is_purchase(t.amount) && t.date.days() <= analysis {
                if let Ok(position) = self.position(&t.customer) {
                    if self.entries[position].1.days & UNORDERED != 0 {
                        pairs.push((position, t.date.days()));
                    }
                }
            }
        }
    }

    /// Sets the recounted distinct purchase days from all the (position, day) pairs.
    pub(crate) fn set_recounted_days(&mut self, mut pairs: Vec<(usize, i32)>) {
        pairs.sort_unstable();
        pairs.dedup();
        for entry in self
            .entries
            .iter_mut()
            .filter(|e| e.1.days & UNORDERED != 0)
        {
            entry.1.days = 0;
        }
        for (position, _) in pairs {
            self.entries[position].1.days += 1;
        }
    }

    /// The summary of customer `key`.
    #[must_use]
    pub fn get(&self, key: &K) -> Option<RfmSummary> {
        self.position(key).ok().map(|i| self.row(i))
    }

    fn position(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.0.cmp(key))
    }
}

#[cfg(feature = "serde")]
impl<K: serde::Serialize> serde::Serialize for RfmTable<K> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        RfmTable::serialize(self, serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, K: serde::Deserialize<'de> + Ord + Debug> serde::Deserialize<'de> for RfmTable<K> {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let table = RfmTable::deserialize(deserializer)?;
        table.check().map_err(serde::de::Error::custom)?;
        Ok(table)
    }
}

impl<K: Ord + Debug> RfmTable<K> {
    /// The invariants of a loaded table.
    #[cfg(feature = "serde")]
    fn check(&self) -> Result<()> {
        if let Some(w) = self.entries.windows(2).find(|w| w[0].0 >= w[1].0) {
            return Err(Error::InvalidParameter {
                name: "RFM table",
                reason: format!(
                    "keys {:?} and {:?} are not in strictly increasing order",
                    w[0].0, w[1].0
                ),
            });
        }
        let keep_all = self.params.recency == RecencyBasis::LastTransaction;
        if let Some((key, _)) = self.entries.iter().find(|e| !keep_all && !e.1.bought()) {
            return Err(Error::InvalidParameter {
                name: "RFM table",
                reason: format!(
                    "customer {key:?} has no purchase, which only a LastTransaction table keeps"
                ),
            });
        }
        let per_purchase = self.params.frequency == crate::rfm::FrequencyBasis::Purchases;
        if let Some((key, _)) = self
            .entries
            .iter()
            .find(|e| per_purchase && e.1.purchases > 0 && !e.1.bought())
        {
            return Err(Error::InvalidParameter {
                name: "RFM table",
                reason: format!(
                    "customer {key:?} has purchases counted but no purchase date: only an \
                     EveryRow table counts other rows"
                ),
            });
        }
        let n = self.entries.len();
        match &self.ids {
            None if n != self.universe.len() => Err(Error::LengthMismatch {
                what: "RFM table rows (one per customer without row ids)",
                expected: self.universe.len(),
                found: n,
            }),
            None => Ok(()),
            Some(ids) if ids.len() != n => Err(Error::LengthMismatch {
                what: "RFM table row customers (one per row)",
                expected: n,
                found: ids.len(),
            }),
            Some(ids) => crate::universe::check_ids(self.universe, ids, "customer", "RFM row"),
        }
    }
}

impl<K> CustomerSet for RfmTable<K> {
    fn universe(&self) -> Universe {
        self.universe
    }
}

impl<K> RfmTable<K> {
    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The settings it was built with.
    #[must_use]
    pub fn params(&self) -> &RfmParams {
        &self.params
    }

    /// The customer set the table belongs to.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// The dense id of row `i` (key order), `None` past the end.
    #[must_use]
    pub fn customer(&self, i: usize) -> Option<CustomerId> {
        if i >= self.entries.len() {
            return None;
        }
        Some(match &self.ids {
            Some(ids) => ids.get(i).copied()?,
            None => CustomerId(i as u32),
        })
    }

    /// The dense id of every row, in row (key) order.
    pub(crate) fn row_ids(&self) -> Option<&[CustomerId]> {
        self.ids.as_deref()
    }

    /// Every customer of the set with its summary, in dense-id order (`None` for customers
    /// without one).
    ///
    /// # Errors
    /// [`Error::Undefined`] when the customer set is too large to hold in memory (a loaded
    /// table claiming more customers than there are).
    pub fn per_customer(&self) -> Result<PerCustomer<RfmSummary>> {
        let mut values =
            crate::engine::try_filled(self.universe.len(), None, "the RFM summaries per customer")?;
        for i in 0..self.entries.len() {
            if let Some(slot) = self.customer(i).and_then(|id| values.get_mut(id.index())) {
                *slot = Some(self.row(i));
            }
        }
        PerCustomer::new(&self.universe, values)
    }

    /// Customer keys in ascending order; position `i` is row `i` of every per-customer output.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &K> + '_ {
        self.entries.iter().map(|e| &e.0)
    }

    /// The key at position `i` (key order), `None` past the end.
    #[must_use]
    pub fn key(&self, i: usize) -> Option<&K> {
        self.entries.get(i).map(|e| &e.0)
    }

    /// What was done with the rows.
    #[must_use]
    pub fn report(&self) -> &RfmReport {
        &self.report
    }

    /// The summary at position `i` (key order), `None` past the end.
    #[must_use]
    pub fn summary(&self, i: usize) -> Option<RfmSummary> {
        (i < self.len()).then(|| self.row(i))
    }

    fn row(&self, i: usize) -> RfmSummary {
        let acc = &self.entries[i].1;
        let analysis = self.params.analysis_date.days();
        let has_purchase = acc.bought();
        let last = match self.params.recency {
            RecencyBasis::LastPurchase => acc.last_purchase,
            RecencyBasis::LastTransaction => acc.last_any,
        };
        let date = |d: i32| Date::from_days(i64::from(d)).ok();
        RfmSummary {
            recency_days: i64::from(analysis) - i64::from(last),
            frequency: acc.purchases,
            purchase_days: (acc.days & UNORDERED == 0).then_some(acc.days),
            monetary: from_micros(acc.micros()),
            mean_monetary: has_purchase
                .then(|| from_micros(acc.micros()) / f64::from(acc.purchases)),
            first_purchase: if has_purchase {
                date(acc.first_purchase)
            } else {
                None
            },
            last_purchase: if has_purchase {
                date(acc.last_purchase)
            } else {
                None
            },
            tenure_days: has_purchase.then(|| i64::from(analysis) - i64::from(acc.first_purchase)),
        }
    }

    /// Every customer with its summary, in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&K, RfmSummary)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (&e.0, self.row(i)))
    }

    /// Recency (days), frequency and monetary value (micros) of every customer, in key order.
    pub(crate) fn dimension_values(&self) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
        let analysis = i64::from(self.params.analysis_date.days());
        let by_purchase = self.params.recency == RecencyBasis::LastPurchase;
        let n = self.entries.len();
        let (mut recency, mut frequency, mut monetary) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (_, acc) in &self.entries {
            let last = if by_purchase {
                acc.last_purchase
            } else {
                acc.last_any
            };
            recency.push(analysis - i64::from(last));
            frequency.push(i64::from(acc.purchases));
            monetary.push(acc.micros());
        }
        (recency, frequency, monetary)
    }
}

/// Whether a row is a purchase: an amount of at least half a micro-unit, the RFM pass's test
/// (`micros > 0`).
fn is_purchase(amount: f64) -> bool {
    crate::engine::money::to_micros(amount).is_some_and(|m| m > 0)
}
