//! Transactional records that analyses take as input: purchases, MRR snapshots, leads and
//! opportunities.
//!
//! Records are generic over the customer key `K`: pass external keys (`String`, `u64`) or dense
//! [`CustomerId`](crate::CustomerId)s when the caller already interned them.
//!
//! ```
//! use saas_segmentation::records::{MrrRecord, Transaction};
//! use saas_segmentation::Date;
//!
//! let sale = Transaction::new("cus_1", Date::from_ymd(2024, 5, 2)?, 49.0);
//! let refund = Transaction::new("cus_1", Date::from_ymd(2024, 5, 9)?, -49.0);
//! assert!(refund.is_refund() && !sale.is_refund());
//! let mrr = MrrRecord::new("cus_1", Date::from_ymd(2024, 5, 1)?, 49.0);
//! assert_eq!(mrr.mrr, 49.0);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt::Debug;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::model::AcquisitionChannel;

/// A purchase (positive amount) or refund (negative amount) on a day.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Transaction<K> {
    /// Customer key.
    pub customer: K,
    /// The day of the transaction.
    pub date: Date,
    /// Amount in the crate's one currency; negative for refunds.
    pub amount: f64,
}

impl<K> Transaction<K> {
    /// A transaction.
    pub fn new(customer: K, date: Date, amount: f64) -> Self {
        Transaction {
            customer,
            date,
            amount,
        }
    }

    /// Whether the amount is negative.
    #[must_use]
    pub fn is_refund(&self) -> bool {
        self.amount < 0.0
    }
}

/// A customer's MRR in one month (`month` is any day of it; the first by convention).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MrrRecord<K> {
    /// Customer key.
    pub customer: K,
    /// A day of the month (the first by convention).
    pub month: Date,
    /// Monthly recurring revenue in that month (0 when churned).
    pub mrr: f64,
}

impl<K> MrrRecord<K> {
    /// An MRR record.
    pub fn new(customer: K, month: Date, mrr: f64) -> Self {
        MrrRecord {
            customer,
            month,
            mrr,
        }
    }
}

/// A lead: a prospect that entered the funnel, and whether it became a customer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Lead<K> {
    /// Lead or account key (the customer key once converted).
    pub key: K,
    /// When the lead was created.
    pub created: Date,
    /// The channel it came through.
    pub channel: AcquisitionChannel,
    /// When it converted to a paying customer, if it did.
    pub converted: Option<Date>,
}

/// How an opportunity ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum OpportunityOutcome {
    /// Still open.
    Open,
    /// Won.
    Won,
    /// Lost.
    Lost,
}

/// A sales opportunity.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Opportunity<K> {
    /// Account key.
    pub account: K,
    /// When it was opened.
    pub opened: Date,
    /// When it was closed, if it was.
    pub closed: Option<Date>,
    /// Annual contract value at stake.
    pub acv: f64,
    /// How it ended.
    pub outcome: OpportunityOutcome,
}

/// How negative amounts (refunds) are treated. One policy is shared by RFM, CLV summaries and
/// MRR analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RefundPolicy {
    /// Refunds are netted into monetary value; a refund row is not a purchase (default).
    #[default]
    Net,
    /// Refund rows are ignored entirely.
    Drop,
    /// A refund row is an error naming the row.
    Reject,
}

/// What an analysis does with a row it cannot use (dated after the analysis date, before its
/// customer's signup, of an unknown customer): the one bad-row policy of the crate, named
/// `FuturePolicy` in RFM and `OutOfWindow` in retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BadRows {
    /// Fail with an error naming the first such row and field (default).
    #[default]
    Reject,
    /// Leave it out and count it in the result's report, so nothing is dropped silently.
    Drop,
}

/// A record that names a customer and a day: activity, purchases, signups, `(key, date)` pairs.
/// Cohort and retention analyses take any of them.
pub trait CustomerDate<K> {
    /// The customer key.
    fn customer(&self) -> &K;
    /// The day.
    fn date(&self) -> Date;
}

impl<K> CustomerDate<K> for (K, Date) {
    fn customer(&self) -> &K {
        &self.0
    }
    fn date(&self) -> Date {
        self.1
    }
}

impl<K> CustomerDate<K> for Transaction<K> {
    fn customer(&self) -> &K {
        &self.customer
    }
    fn date(&self) -> Date {
        self.date
    }
}

impl<K, E> CustomerDate<K> for crate::activity::Activity<K, E> {
    fn customer(&self) -> &K {
        &self.customer
    }
    fn date(&self) -> Date {
        self.date
    }
}

/// The signup day of every customer of `lookup` (`NO_SIGNUP` for customers without one), read
/// once with the checks every signup-based analysis needs.
///
/// # Errors
/// [`Error::EmptyInput`] without signups, [`Error::UnknownCustomer`] for a customer the lookup
/// does not know, [`Error::DuplicateName`] for a customer with two signups.
pub(crate) fn signup_days<K: Debug, R: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    signups: &[R],
) -> Result<Vec<i32>> {
    if signups.is_empty() {
        return Err(Error::EmptyInput {
            what: "signups",
            item: "signup record (customer, date)",
        });
    }
    let mut signup = vec![NO_SIGNUP; lookup.customer_count()];
    for (row, record) in signups.iter().enumerate() {
        if let Some(ahead) = signups.get(row + 16) {
            lookup.prefetch(ahead.customer());
        }
        let id = lookup
            .lookup(record.customer())
            // An id past the count (a faulty lookup) is as unknown as a missing one.
            .filter(|id| id.index() < lookup.customer_count())
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("signup row {row}"),
                customer: format!("{:?}", record.customer()),
            })?;
        if signup[id.index()] != NO_SIGNUP {
            return Err(Error::DuplicateName {
                what: "signup of customer",
                name: format!("{:?} (row {row})", record.customer()),
            });
        }
        signup[id.index()] = record.date().days();
    }
    Ok(signup)
}

/// Marks a customer without a signup in [`signup_days`].
pub(crate) const NO_SIGNUP: i32 = i32::MIN;
