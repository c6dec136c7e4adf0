//! Whose values these are: the customer set ([`Universe`]) every per-customer value is tied to,
//! and [`PerCustomer`], a column with one optional value per customer of a set.
//!
//! A per-customer value (a [`Segmentation`](crate::Segmentation), a revenue column, the rows of a
//! feature matrix, an RFM table) is stored in the dense-id order of the customer index it was
//! built over, with absent customers as `None`. The index's [`Universe`] (how many customers,
//! and a fingerprint of their keys in id order) travels with the value, and every consumer that
//! combines two values checks that their universes are equal, so a positional join of two
//! different customer sets is an [`Error::CustomerSetMismatch`], never a silently wrong number.
//!
//! Two indexes that hold the same keys under the same ids are the same universe (the join is
//! then correct), so an index rebuilt from its serialized keys still matches the values computed
//! over the original.
//!
//! ```
//! use saas_segmentation::universe::{CustomerSet, PerCustomer};
//! use saas_segmentation::{CustomerIndex, Error};
//!
//! let index = CustomerIndex::from_keys(["zed", "amy"])?;
//! let revenue = PerCustomer::from_keyed(&index, [("amy", 10.0), ("zed", 900.0)])?;
//! assert_eq!(revenue.get(index.require("zed", String::new)?), Some(&900.0));
//!
//! // The same keys in another order are another customer set.
//! let other = CustomerIndex::from_keys(["amy", "zed"])?;
//! assert_ne!(index.universe(), other.universe());
//! let err = revenue.universe().ensure_same(&other.universe(), "revenue").unwrap_err();
//! assert!(matches!(err, Error::CustomerSetMismatch { .. }));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt;

use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerIndex, CustomerLookup};

/// The identity of a customer set: how many customers it holds and a fingerprint of their
/// external keys in dense-id order.
///
/// Two universes are equal when their customers carry the same keys under the same dense ids;
/// values of equal universes can be joined by position. The fingerprint is a 64-bit hash of the
/// key hashes in id order (deterministic on every platform), so two different sets collide
/// with probability about 2^-64. A loaded universe holds at most `u32::MAX` customers (the
/// width of a [`CustomerId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Universe {
    customers: u64,
    fingerprint: u64,
}

/// The fingerprint of an empty index.
pub(crate) const EMPTY_FINGERPRINT: u64 = 0x6a09_e667_f3bc_c908;
/// Distinguishes `0..n` dense ids given without an index from an index's keys.
const DENSE_TAG: u64 = 0xbb67_ae85_84ca_a73b;

/// The fingerprint after one more key whose hash is `key_hash` (order-dependent).
#[inline]
pub(crate) fn extend_fingerprint(fingerprint: u64, key_hash: u64) -> u64 {
    // splitmix64's finalizer: a bijection, so xor-then-mix keeps every key's contribution and
    // its position.
    let mut z = (fingerprint ^ key_hash).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

checked_serde!(Universe, |u| {
    if u.customers > u64::from(u32::MAX) {
        return Err(Error::InvalidParameter {
            name: "universe",
            reason: format!(
                "claims {} customers: a customer set holds at most {}",
                u.customers,
                u32::MAX
            ),
        });
    }
    Ok(())
});

impl Universe {
    /// The universe of `count` customers whose records already carry dense ids `0..count` and
    /// that no index names (what [`DenseCustomers::new`](crate::ids::DenseCustomers::new) has).
    #[must_use]
    pub fn dense(count: usize) -> Universe {
        Universe {
            customers: count as u64,
            fingerprint: extend_fingerprint(DENSE_TAG, count as u64),
        }
    }

    pub(crate) fn from_parts(customers: usize, fingerprint: u64) -> Universe {
        Universe {
            customers: customers as u64,
            fingerprint,
        }
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::try_from(self.customers).unwrap_or(usize::MAX)
    }

    /// Whether the set holds no customer.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customers == 0
    }

    /// The fingerprint of the keys in id order.
    #[must_use]
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Checks that a value over `found` may be combined with values over `self`.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] naming `what` and both sets when they differ.
    pub fn ensure_same(&self, found: &Universe, what: impl Into<String>) -> Result<()> {
        if self == found {
            Ok(())
        } else {
            Err(Error::CustomerSetMismatch {
                what: what.into(),
                expected: *self,
                found: *found,
            })
        }
    }
}

impl fmt::Display for Universe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a set of {} customers (keys {:016x})",
            self.customers, self.fingerprint
        )
    }
}

/// Anything tied to a customer set: an index, a per-customer value, a segmentation.
pub trait CustomerSet {
    /// The customer set.
    fn universe(&self) -> Universe;
}

impl CustomerSet for Universe {
    fn universe(&self) -> Universe {
        *self
    }
}

impl<T: CustomerSet + ?Sized> CustomerSet for &T {
    fn universe(&self) -> Universe {
        (**self).universe()
    }
}

/// Checks that `value` belongs to the customer set of `expected`.
pub(crate) fn ensure_same(
    expected: &(impl CustomerSet + ?Sized),
    value: &(impl CustomerSet + ?Sized),
    what: &str,
) -> Result<()> {
    expected.universe().ensure_same(&value.universe(), what)
}

/// Checks that `ids` (one per item of a list of `item`s) are customers of `universe`, each at
/// most once.
pub(crate) fn check_ids(
    universe: Universe,
    ids: &[CustomerId],
    what: &'static str,
    item: &str,
) -> Result<()> {
    let mut seen = crate::engine::try_filled(universe.len(), false, "the customer check")?;
    for (row, id) in ids.iter().enumerate() {
        let slot = seen.get_mut(id.index()).ok_or(Error::UnknownCustomerId {
            id: id.0,
            len: universe.len(),
        })?;
        if std::mem::replace(slot, true) {
            return Err(Error::DuplicateName {
                what,
                name: format!("{id} ({item} {row})"),
            });
        }
    }
    Ok(())
}

/// One optional value per customer of a customer set, in dense-id order.
///
/// The common shape of per-customer inputs (revenue, tickets, a churn flag, a category): build
/// it from `(key, value)` pairs, from a function of the dense id, or from a dense vector, and
/// hand it to any consumer of the same customer set.
///
/// ```
/// use saas_segmentation::universe::PerCustomer;
/// use saas_segmentation::CustomerIndex;
///
/// let index = CustomerIndex::from_keys(["b", "a", "c"])?;
/// let seats = PerCustomer::from_keyed(&index, [("a", 5u32), ("c", 40)])?;
/// assert_eq!(seats.values(), [None, Some(5), Some(40)]);
/// assert_eq!(seats.present(), 2);
/// let doubled = seats.map(|s| s * 2);
/// assert_eq!(doubled.get(index.get("c").expect("interned")), Some(&80));
/// assert_eq!(seats.to_keyed(&index)?, vec![("b", None), ("a", Some(5)), ("c", Some(40))]);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawPerCustomer<T>")
)]
#[cfg_attr(
    feature = "serde",
    serde(bound(deserialize = "T: serde::Deserialize<'de>"))
)]
pub struct PerCustomer<T> {
    universe: Universe,
    values: Vec<Option<T>>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawPerCustomer<T> {
    universe: Universe,
    values: Vec<Option<T>>,
}

#[cfg(feature = "serde")]
impl<T> TryFrom<RawPerCustomer<T>> for PerCustomer<T> {
    type Error = Error;

    fn try_from(raw: RawPerCustomer<T>) -> Result<Self> {
        PerCustomer::new(&raw.universe, raw.values)
    }
}

impl<T> PerCustomer<T> {
    /// A column from one value per customer of `customers`, in dense-id order.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `values` does not hold one entry per customer.
    pub fn new(customers: &(impl CustomerSet + ?Sized), values: Vec<Option<T>>) -> Result<Self> {
        let universe = customers.universe();
        if values.len() != universe.len() {
            return Err(Error::LengthMismatch {
                what: "per-customer values",
                expected: universe.len(),
                found: values.len(),
            });
        }
        Ok(PerCustomer { universe, values })
    }

    /// A column where every customer has a value.
    ///
    /// # Errors
    /// As [`PerCustomer::new`].
    pub fn complete(customers: &(impl CustomerSet + ?Sized), values: Vec<T>) -> Result<Self> {
        Self::new(customers, values.into_iter().map(Some).collect())
    }

    /// A column from a function of each dense id.
    pub fn from_fn(
        customers: &(impl CustomerSet + ?Sized),
        mut value: impl FnMut(CustomerId) -> Option<T>,
    ) -> Self {
        let universe = customers.universe();
        let n = u32::try_from(universe.len()).unwrap_or(u32::MAX);
        PerCustomer {
            universe,
            values: (0..n).map(|i| value(CustomerId(i))).collect(),
        }
    }

    /// A column from `(key, value)` pairs; customers without a pair are `None`.
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] naming the pair whose key `lookup` does not hold;
    /// [`Error::DuplicateName`] for a customer given twice.
    pub fn from_keyed<K: fmt::Debug>(
        lookup: &impl CustomerLookup<K>,
        pairs: impl IntoIterator<Item = (K, T)>,
    ) -> Result<Self> {
        let universe = lookup.universe();
        let mut values: Vec<Option<T>> = (0..lookup.customer_count()).map(|_| None).collect();
        for (row, (key, value)) in pairs.into_iter().enumerate() {
            let id = lookup.lookup(&key).ok_or_else(|| Error::UnknownCustomer {
                record: format!("pair {row}"),
                customer: format!("{key:?}"),
            })?;
            let slot = values.get_mut(id.index()).ok_or(Error::UnknownCustomerId {
                id: id.0,
                len: universe.len(),
            })?;
            if slot.is_some() {
                return Err(Error::DuplicateName {
                    what: "customer in per-customer pairs",
                    name: format!("{key:?} (pair {row})"),
                });
            }
            *slot = Some(value);
        }
        Ok(PerCustomer { universe, values })
    }

    /// The customer set.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// One entry per customer, in dense-id order.
    #[must_use]
    pub fn values(&self) -> &[Option<T>] {
        &self.values
    }

    /// The value of `customer`, `None` when absent or out of range.
    #[must_use]
    pub fn get(&self, customer: CustomerId) -> Option<&T> {
        self.values.get(customer.index()).and_then(Option::as_ref)
    }

    /// The value of the customer with external key `key`, `None` when it has none.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when `index` is not this column's customer set;
    /// [`Error::UnknownCustomer`] when it does not hold `key`.
    pub fn of_key<K, Q>(&self, index: &CustomerIndex<K>, key: &Q) -> Result<Option<&T>>
    where
        K: std::hash::Hash + Eq + Clone + std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + fmt::Debug + ?Sized,
    {
        ensure_same(self, index, "index")?;
        let id = index.get(key).ok_or_else(|| Error::UnknownCustomer {
            record: "per-customer lookup".to_owned(),
            customer: format!("{key:?}"),
        })?;
        Ok(self.get(id))
    }

    /// The number of customers (with a value or not).
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the customer set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Customers with a value.
    #[must_use]
    pub fn present(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    /// Every customer with its value, in dense-id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (CustomerId, Option<&T>)> + '_ {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| (CustomerId(i as u32), v.as_ref()))
    }

    /// The same customers with `f` applied to each value.
    #[must_use]
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> PerCustomer<U> {
        PerCustomer {
            universe: self.universe,
            values: self.values.iter().map(|v| v.as_ref().map(&mut f)).collect(),
        }
    }

    /// The values, dropping the tie to the customer set.
    #[must_use]
    pub fn into_values(self) -> Vec<Option<T>> {
        self.values
    }

    /// Each external key of `index` beside its value, in id order (for export).
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when `index` is not this column's customer set.
    pub fn to_keyed<K: Clone>(&self, index: &CustomerIndex<K>) -> Result<Vec<(K, Option<T>)>>
    where
        T: Clone,
    {
        ensure_same(self, index, "index given for export")?;
        Ok(index
            .keys()
            .iter()
            .cloned()
            .zip(self.values.iter().cloned())
            .collect())
    }
}

impl<T> CustomerSet for PerCustomer<T> {
    fn universe(&self) -> Universe {
        self.universe
    }
}
