//! Validated purchase histories `(frequency, recency, T)` that the transaction models take.

use std::fmt::Debug;

use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::rfm::BtydSummary;
use crate::universe::PerCustomer;

/// Largest repeat-purchase count accepted: counts are whole numbers the likelihoods take
/// through `ln Γ(r + x)`, and no real customer has more.
pub const MAX_FREQUENCY: f64 = 1e9;

/// Purchase histories in the BTYD convention: per customer the number of repeat purchase
/// periods `x` (frequency), the age at the last purchase `t_x` (recency) and the age at the
/// end of observation `T`, in one time unit.
///
/// Build it from a [`BtydSummary`] (which keeps the customer keys, so predictions can be tied
/// back to a [`CustomerIndex`](crate::CustomerIndex)) or from three columns.
///
/// ```
/// use saas_segmentation::clv::Histories;
///
/// let h = Histories::new(&[2.0, 0.0], &[30.0, 0.0], &[38.0, 38.0])?;
/// assert_eq!(h.len(), 2);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Histories<'a> {
    frequency: &'a [f64],
    recency: &'a [f64],
    age: &'a [f64],
}

impl<'a> Histories<'a> {
    /// Checks and wraps three columns of one length.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for no customers; [`Error::LengthMismatch`]; [`Error::NonFinite`];
    /// [`Error::OutOfRange`] naming the customer position for a frequency that is not a whole
    /// number in `0..=1e9`, a negative recency, a recency above the age, or a positive recency
    /// with no repeat purchase (lifetimes' convention: recency is 0 without repeats);
    /// [`Error::Undefined`] when every age is 0.
    pub fn new(frequency: &'a [f64], recency: &'a [f64], age: &'a [f64]) -> Result<Self> {
        let n = frequency.len();
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "purchase histories",
                item: "customer",
            });
        }
        for (values, what) in [(recency, "recency column"), (age, "age (T) column")] {
            if values.len() != n {
                return Err(Error::LengthMismatch {
                    what,
                    expected: n,
                    found: values.len(),
                });
            }
        }
        let mut oldest = 0.0_f64;
        for i in 0..n {
            let record = || format!("customer at position {i}");
            let (x, t_x, t) = (frequency[i], recency[i], age[i]);
            crate::error::ensure_finite(x, record, "frequency")?;
            crate::error::ensure_finite(t_x, record, "recency")?;
            crate::error::ensure_finite(t, record, "age (T)")?;
            let bad = |field: &str, value: f64, expected: &'static str| Error::OutOfRange {
                record: record(),
                field: field.to_owned(),
                value,
                expected,
            };
            if !(0.0..=MAX_FREQUENCY).contains(&x) || x.fract() != 0.0 {
                return Err(bad(
                    "frequency",
                    x,
                    "a whole number of repeat purchases, 0 to 1e9",
                ));
            }
            if t_x < 0.0 {
                return Err(bad("recency", t_x, "a value >= 0"));
            }
            if t_x > t {
                return Err(bad(
                    "recency",
                    t_x,
                    "at most the customer's age T (the last purchase is before the end)",
                ));
            }
            if x == 0.0 && t_x != 0.0 {
                return Err(bad(
                    "recency",
                    t_x,
                    "0 for a customer without repeat purchases (lifetimes' convention)",
                ));
            }
            oldest = oldest.max(t);
        }
        if oldest <= 0.0 {
            return Err(Error::Undefined {
                reason: "every customer has age T = 0: there is no observation period to fit \
                         on; move the observation end after the first purchases"
                    .to_owned(),
            });
        }
        Ok(Histories {
            frequency,
            recency,
            age,
        })
    }

    /// The histories of a [`BtydSummary`], in its key order.
    ///
    /// # Errors
    /// As [`Histories::new`].
    pub fn of<K>(summary: &'a BtydSummary<K>) -> Result<Self> {
        Histories::new(summary.frequency(), summary.recency(), summary.age())
    }

    /// Number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// Never true: construction refuses empty histories.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Repeat purchases `x` per customer.
    #[must_use]
    pub fn frequency(&self) -> &'a [f64] {
        self.frequency
    }

    /// Age at the last purchase `t_x` per customer.
    #[must_use]
    pub fn recency(&self) -> &'a [f64] {
        self.recency
    }

    /// Age at the end of observation `T` per customer.
    #[must_use]
    pub fn age(&self) -> &'a [f64] {
        self.age
    }

    /// `f(x, t_x, T)` for each history, in order.
    pub(crate) fn map<T, F>(self, mut f: F) -> impl Iterator<Item = T> + 'a
    where
        F: FnMut(f64, f64, f64) -> T + 'a,
    {
        (0..self.len()).map(move |i| f(self.frequency[i], self.recency[i], self.age[i]))
    }

    /// The largest age: the time scale lifetimes fits on.
    pub(crate) fn max_age(&self) -> f64 {
        self.age.iter().fold(0.0, |m, v| m.max(*v))
    }

    /// Distinct `(x, t_x, T)` triples with their counts, sorted, for likelihoods that cost
    /// one pass per distinct history.
    pub(crate) fn compressed(&self) -> Vec<(f64, f64, f64, f64)> {
        let mut rows: Vec<(f64, f64, f64)> = (0..self.len())
            .map(|i| (self.frequency[i], self.recency[i], self.age[i]))
            .collect();
        rows.sort_unstable_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.total_cmp(&b.2))
        });
        let mut out: Vec<(f64, f64, f64, f64)> = Vec::new();
        for (x, r, t) in rows {
            match out.last_mut() {
                Some(last) if last.0 == x && last.1 == r && last.2 == t => last.3 += 1.0,
                _ => out.push((x, r, t, 1.0)),
            }
        }
        out
    }
}

/// Ties one value per summary customer (in the summary's key order) to `index` (a
/// [`CustomerIndex`](crate::CustomerIndex), or the dense ids of one for summaries keyed by
/// [`CustomerId`](crate::CustomerId)), so the
/// predictions of any model here become a column every consumer checks for its customer set.
///
/// ```
/// use saas_segmentation::clv::per_customer;
/// use saas_segmentation::records::Transaction;
/// use saas_segmentation::rfm::{BtydParams, BtydSummary};
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let d = |s: &str| s.parse::<Date>().unwrap();
/// let log = vec![
///     Transaction::new("b", d("2024-01-01"), 10.0),
///     Transaction::new("a", d("2024-01-05"), 20.0),
/// ];
/// let summary = BtydSummary::from_transactions(&log, &BtydParams::new(d("2024-03-01")))?;
/// // An index whose id order differs from key order.
/// let index = CustomerIndex::from_keys(["b", "a", "c"])?;
/// let column = per_customer(&summary, &index, &[1.5, 2.5])?;
/// assert_eq!(column.of_key(&index, "a")?, Some(&1.5));
/// assert_eq!(column.of_key(&index, "c")?, None);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] when `values` is not one per summary customer;
/// [`Error::UnknownCustomer`] for a summary key the index does not hold.
pub fn per_customer<K: Clone + Debug>(
    summary: &BtydSummary<K>,
    index: &impl CustomerLookup<K>,
    values: &[f64],
) -> Result<PerCustomer<f64>> {
    if values.len() != summary.keys().len() {
        return Err(Error::LengthMismatch {
            what: "predictions (one per summary customer)",
            expected: summary.keys().len(),
            found: values.len(),
        });
    }
    PerCustomer::from_keyed(
        index,
        summary.keys().iter().cloned().zip(values.iter().copied()),
    )
}
