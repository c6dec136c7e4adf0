//! The "buy till you die" summary (frequency, recency, T, monetary value) that BG/NBD,
//! Pareto/NBD and Gamma-Gamma models take, matching
//! `lifetimes.utils.summary_data_from_transaction_data`.
//!
//! Here recency means the customer's *age at the last purchase*, not the days since it: the
//! two meanings live in two types ([`BtydSummary`] and [`RfmTable`](super::RfmTable)) and are
//! never one field.

use std::fmt::Debug;
use std::hash::Hash;

use crate::date::{Date, Period};
use crate::engine::money::from_micros;
use crate::error::{Error, Result};
use crate::ids::CustomerIndex;
use crate::records::{RefundPolicy, Transaction};

/// The time unit of a BTYD summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BtydPeriod {
    /// Days (lifetimes `freq="D"`).
    Day,
    /// ISO weeks, Monday to Sunday (lifetimes `freq="W"`, pandas' `W-SUN` periods).
    Week,
    /// Calendar months; durations are whole months. Divergence: lifetimes divides by
    /// `np.timedelta64(1, "M")`, an average month, which recent pandas rejects.
    Month,
}

/// Whether a period whose only rows are refunds is a transaction period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RefundDays {
    /// No: only periods with a purchase count; refunds in a period without one are counted in
    /// [`BtydSummary::refunds_unmatched`] and left out (default).
    #[default]
    Unmatched,
    /// Yes, as lifetimes computes it: every period with any row is a transaction period, and
    /// its net sum (negative for refunds only) enters the monetary value.
    Transactions,
}

/// Settings of a BTYD summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BtydParams {
    observation_end: Date,
    period: BtydPeriod,
    multiplier: u32,
    refunds: RefundPolicy,
    #[cfg_attr(feature = "serde", serde(default))]
    refund_days: RefundDays,
}

impl BtydParams {
    /// Daily periods, observation ending in the period holding `observation_end` (rows in
    /// later periods are left out and counted; as lifetimes, a row later in the same week or
    /// month as the end still counts), refunds netted.
    #[must_use]
    pub fn new(observation_end: Date) -> Self {
        BtydParams {
            observation_end,
            period: BtydPeriod::Day,
            multiplier: 1,
            refunds: RefundPolicy::Net,
            refund_days: RefundDays::Unmatched,
        }
    }

    /// Whether a period with refunds only is a transaction period. Default:
    /// [`RefundDays::Unmatched`]; [`RefundDays::Transactions`] is exactly lifetimes' summary
    /// when refunds are present (with [`RefundPolicy::Net`]).
    #[must_use]
    pub fn refund_days(mut self, refund_days: RefundDays) -> Self {
        self.refund_days = refund_days;
        self
    }

    /// The period. Default: [`BtydPeriod::Day`].
    #[must_use]
    pub fn period(mut self, period: BtydPeriod) -> Self {
        self.period = period;
        self
    }

    /// Divides recency and T by this (lifetimes `freq_multiplier`). Default: 1.
    #[must_use]
    pub fn multiplier(mut self, multiplier: u32) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// The refund policy. Default: [`RefundPolicy::Net`].
    #[must_use]
    pub fn refunds(mut self, policy: RefundPolicy) -> Self {
        self.refunds = policy;
        self
    }
}

/// Per-customer BTYD summary, customers in key order.
///
/// Loading through `Deserialize` checks keys in strictly increasing order and one finite, non-negative frequency, recency, age and monetary value per key, with recency at most age.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct BtydSummary<K> {
    params: BtydParams,
    keys: Vec<K>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary: Vec<f64>,
    rows_after_end: u64,
    refunds_unmatched: u64,
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for BtydSummary<T> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        BtydSummary::serialize(self, serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de> + Ord + Debug> serde::Deserialize<'de> for BtydSummary<T> {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let value: BtydSummary<T> = BtydSummary::deserialize(deserializer)?;
        let check = |v: &BtydSummary<T>| -> Result<()> { v.check() };
        check(&value).map_err(serde::de::Error::custom)?;
        Ok(value)
    }
}

impl<K: Ord + Debug> BtydSummary<K> {
    /// The invariants of a loaded summary.
    #[cfg(feature = "serde")]
    fn check(&self) -> Result<()> {
        let n = self.keys.len();
        for (values, what) in [
            (&self.frequency, "BTYD frequency (one per key)"),
            (&self.recency, "BTYD recency (one per key)"),
            (&self.age, "BTYD age (one per key)"),
            (&self.monetary, "BTYD monetary value (one per key)"),
        ] {
            if values.len() != n {
                return Err(Error::LengthMismatch {
                    what,
                    expected: n,
                    found: values.len(),
                });
            }
        }
        if let Some(w) = self.keys.windows(2).find(|w| w[0] >= w[1]) {
            return Err(Error::InvalidParameter {
                name: "BTYD summary",
                reason: format!("keys {:?} and {:?} are out of order", w[0], w[1]),
            });
        }
        for i in 0..n {
            let (f, r, a) = (self.frequency[i], self.recency[i], self.age[i]);
            let valid = [f, r, a].iter().all(|v| v.is_finite() && *v >= 0.0)
                && self.monetary[i].is_finite()
                && r <= a;
            if !valid {
                return Err(Error::InvalidParameter {
                    name: "BTYD summary",
                    reason: format!(
                        "customer {:?}: frequency {f}, recency {r}, age {a}, monetary {} \
                         (need finite values >= 0 and recency <= age)",
                        self.keys[i], self.monetary[i]
                    ),
                });
            }
        }
        Ok(())
    }
}

impl<K: Hash + Eq + Clone + Ord + Debug> BtydSummary<K> {
    /// Summarizes a transaction log.
    ///
    /// ```text
    /// periods   = distinct periods with a non-refund row (amount >= 0), up to the end
    /// frequency = periods - 1                      (repeat periods)
    /// recency   = (last period - first period) / multiplier
    /// T         = (end period - first period) / multiplier
    /// monetary  = mean over repeat periods of the period's summed amounts (0 if none)
    /// ```
    ///
    /// Refunds under [`RefundPolicy::Net`] are netted into the period they fall in when it has
    /// a purchase; refunds in a period without one are left out and counted in
    /// [`BtydSummary::refunds_unmatched`]. Divergence: lifetimes has no notion of refunds and
    /// counts a refund-only period as a transaction; on logs without negative amounts the two
    /// agree.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] when no row falls on or before the end; [`Error::NonFinite`] for
    /// a NaN or infinite amount; [`Error::OutOfRange`] for a refund under
    /// [`RefundPolicy::Reject`]; [`Error::InvalidParameter`] for a multiplier of 0.
    pub fn from_transactions(transactions: &[Transaction<K>], params: &BtydParams) -> Result<Self> {
        if params.multiplier == 0 {
            return Err(Error::InvalidParameter {
                name: "multiplier",
                reason: "the period multiplier must be at least 1".to_owned(),
            });
        }
        let unit = match params.period {
            BtydPeriod::Day => Period::Day,
            BtydPeriod::Week => Period::IsoWeek,
            BtydPeriod::Month => Period::Month,
        };
        let end = unit.index(params.observation_end);
        let mut index = CustomerIndex::new();
        // (customer, period, is_refund, micros)
        let mut rows: Vec<(u32, i32, bool, i64)> = Vec::with_capacity(transactions.len());
        let mut rows_after_end = 0;
        for (position, t) in transactions.iter().enumerate() {
            if !t.amount.is_finite() {
                return Err(Error::NonFinite {
                    record: format!("transaction row {position}"),
                    field: "amount".to_owned(),
                    value: t.amount,
                });
            }
            // As lifetimes: the whole period holding the observation end is observed.
            if unit.index(t.date) > end {
                rows_after_end += 1;
                continue;
            }
            let refund = t.amount < 0.0;
            if refund {
                match params.refunds {
                    RefundPolicy::Reject => {
                        return Err(Error::OutOfRange {
                            record: format!(
                                "transaction row {position} (customer {:?})",
                                t.customer
                            ),
                            field: "amount".to_owned(),
                            value: t.amount,
                            expected: "no refunds under RefundPolicy::Reject",
                        })
                    }
                    RefundPolicy::Drop => continue,
                    RefundPolicy::Net => {}
                }
            }
            let id = index.intern(t.customer.clone())?;
            // Fixed-point micros as in the RFM pass, with its per-row bound.
            let micros =
                crate::engine::money::to_micros(t.amount).ok_or_else(|| Error::OutOfRange {
                    record: format!("transaction row {position} (customer {:?})", t.customer),
                    field: "amount".to_owned(),
                    value: t.amount,
                    expected: "an amount within ±2.2 billion per row",
                })?;
            rows.push((id.0, unit.index(t.date), refund, micros));
        }
        rows.sort_unstable_by_key(|r| (r.0, r.1));

        let total_error = || Error::OutOfRange {
            record: "BTYD summary".to_owned(),
            field: "monetary".to_owned(),
            value: 9.2e12,
            expected: "a customer's spend within ±9.2 trillion currency units",
        };
        let n = index.len();
        let mut first = vec![i32::MAX; n];
        let mut last = vec![i32::MIN; n];
        let mut periods = vec![0u32; n];
        let mut repeat_micros = vec![0i64; n];
        let mut refunds_unmatched = 0;
        let mut start = 0;
        while start < rows.len() {
            let (customer, period) = (rows[start].0, rows[start].1);
            let mut stop = start;
            let (mut purchase, mut micros, mut refunds) = (false, 0i64, 0u64);
            let any_row = params.refund_days == RefundDays::Transactions;
            while stop < rows.len() && rows[stop].0 == customer && rows[stop].1 == period {
                purchase |= any_row || !rows[stop].2;
                refunds += u64::from(rows[stop].2);
                micros = micros.checked_add(rows[stop].3).ok_or_else(total_error)?;
                stop += 1;
            }
            let c = customer as usize;
            if purchase {
                if periods[c] > 0 {
                    repeat_micros[c] = repeat_micros[c]
                        .checked_add(micros)
                        .ok_or_else(total_error)?;
                }
                periods[c] += 1;
                first[c] = first[c].min(period);
                last[c] = last[c].max(period);
            } else {
                refunds_unmatched += refunds;
            }
            start = stop;
        }
        let scale = f64::from(params.multiplier);
        let mut order: Vec<usize> = (0..n).filter(|&c| periods[c] > 0).collect();
        if order.is_empty() {
            return Err(Error::EmptyInput {
                what: "transactions on or before the observation end",
                item: "purchase",
            });
        }
        order.sort_unstable_by(|&a, &b| index.keys()[a].cmp(&index.keys()[b]));
        let frequency: Vec<f64> = order.iter().map(|&c| f64::from(periods[c] - 1)).collect();
        Ok(BtydSummary {
            params: *params,
            keys: order.iter().map(|&c| index.keys()[c].clone()).collect(),
            recency: order
                .iter()
                .map(|&c| f64::from(last[c] - first[c]) / scale)
                .collect(),
            age: order
                .iter()
                .map(|&c| f64::from(end - first[c]) / scale)
                .collect(),
            monetary: order
                .iter()
                .zip(&frequency)
                .map(|(&c, &f)| {
                    if f > 0.0 {
                        from_micros(repeat_micros[c]) / f
                    } else {
                        0.0
                    }
                })
                .collect(),
            frequency,
            rows_after_end,
            refunds_unmatched,
        })
    }
}

impl<K> BtydSummary<K> {
    /// Customer keys, ascending.
    #[must_use]
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Repeat periods per customer.
    #[must_use]
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }

    /// Age at the last purchase (periods from the first to the last purchase).
    #[must_use]
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }

    /// Age at the end of observation (lifetimes' `T`).
    #[must_use]
    pub fn age(&self) -> &[f64] {
        &self.age
    }

    /// Mean value of the repeat periods (0 without repeats).
    #[must_use]
    pub fn monetary(&self) -> &[f64] {
        &self.monetary
    }

    /// The settings used.
    #[must_use]
    pub fn params(&self) -> &BtydParams {
        &self.params
    }

    /// Rows after the observation end, left out.
    #[must_use]
    pub fn rows_after_end(&self) -> u64 {
        self.rows_after_end
    }

    /// Refund rows in periods without a purchase, left out.
    #[must_use]
    pub fn refunds_unmatched(&self) -> u64 {
        self.refunds_unmatched
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
