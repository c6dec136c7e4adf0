//! Customer keys: external ids interned once into dense [`CustomerId`]s.
//!
//! Callers keep their own ids (Stripe-style strings such as `cus_9s8d7f`, CRM numbers); a
//! [`CustomerIndex`] gives each a dense `u32` in order of first appearance, so every algorithm
//! works on dense vectors instead of hash maps, and maps back for output.
//!
//! ```
//! use saas_segmentation::CustomerIndex;
//!
//! let mut index = CustomerIndex::new();
//! let a = index.intern("cus_9s8d7f")?;
//! let b = index.intern("cus_0a1b2c")?;
//! assert_eq!(index.intern("cus_9s8d7f")?, a);
//! assert_eq!(index.key(b), Some(&"cus_0a1b2c"));
//! assert_eq!(index.get(&"cus_unknown"), None);
//! assert_eq!(index.len(), 2);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::error::{Error, Result};

/// A dense customer id: the position of the customer in its [`CustomerIndex`].
///
/// Dense ids follow first appearance, so they are not an ordering of customers: ties are broken
/// by the external key (DESIGN.md section 2), never by this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CustomerId(pub u32);

impl CustomerId {
    /// The id as a `usize`, for indexing dense vectors.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A fast, deterministic hasher for keys (the multiply-rotate scheme of rustc's `FxHasher`).
///
/// Keys come from the caller, not from an adversary on the network, so the DoS resistance of
/// SipHash is not worth its cost here: interning is the hot path of every group-by.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl KeyHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // A final avalanche so that the low bits hashbrown uses depend on every input bit.
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

/// The `BuildHasher` of [`KeyHasher`].
pub type KeyBuildHasher = BuildHasherDefault<KeyHasher>;

/// Interns external customer keys into dense [`CustomerId`]s and maps them back.
///
/// `K` is any `Hash + Eq` key: `String`, `&str`, `u64`, a tuple. Ids are assigned in order of
/// first appearance, starting at 0.
#[derive(Debug, Clone)]
pub struct CustomerIndex<K> {
    ids: HashMap<K, CustomerId, KeyBuildHasher>,
    keys: Vec<K>,
}

impl<K> Default for CustomerIndex<K> {
    fn default() -> Self {
        CustomerIndex {
            ids: HashMap::default(),
            keys: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> CustomerIndex<K> {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index with room for `capacity` customers.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        CustomerIndex {
            ids: HashMap::with_capacity_and_hasher(capacity, KeyBuildHasher::default()),
            keys: Vec::with_capacity(capacity),
        }
    }

    /// An index of `keys`, interned in order (repeated keys keep their first id).
    ///
    /// # Errors
    /// [`Error::IndexFull`] past `u32::MAX` distinct keys.
    pub fn from_keys<I: IntoIterator<Item = K>>(keys: I) -> Result<Self> {
        let keys = keys.into_iter();
        let mut index = Self::with_capacity(keys.size_hint().0);
        for key in keys {
            index.intern(key)?;
        }
        Ok(index)
    }

    /// The id of `key`, adding it when it is new.
    ///
    /// # Errors
    /// [`Error::IndexFull`] when the index already holds `u32::MAX` customers.
    pub fn intern(&mut self, key: K) -> Result<CustomerId> {
        let next = self.keys.len();
        match self.ids.entry(key) {
            std::collections::hash_map::Entry::Occupied(entry) => Ok(*entry.get()),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let next =
                    u32::try_from(next)
                        .ok()
                        .filter(|&n| n < u32::MAX)
                        .ok_or(Error::IndexFull {
                            max: u64::from(u32::MAX),
                        })?;
                let id = CustomerId(next);
                self.keys.push(entry.key().clone());
                entry.insert(id);
                Ok(id)
            }
        }
    }

    /// The id of `key`, or `None` when the index does not hold it.
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<CustomerId>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.ids.get(key).copied()
    }

    /// The id of `key`, or [`Error::UnknownCustomer`] naming `record`.
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] when the index does not hold `key`.
    pub fn require<Q>(&self, key: &Q, record: impl FnOnce() -> String) -> Result<CustomerId>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + fmt::Debug + ?Sized,
    {
        self.get(key).ok_or_else(|| Error::UnknownCustomer {
            record: record(),
            customer: format!("{key:?}"),
        })
    }
}

impl<K> CustomerIndex<K> {
    /// The external key of `id`, or `None` when `id` is not in the index.
    #[must_use]
    pub fn key(&self, id: CustomerId) -> Option<&K> {
        self.keys.get(id.index())
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the index is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every external key, in id order.
    #[must_use]
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Every dense id, in order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = CustomerId> + '_ {
        (0..self.keys.len() as u32).map(CustomerId)
    }

    /// Checks that `id` is in the index.
    ///
    /// # Errors
    /// [`Error::UnknownCustomerId`] when it is not.
    pub fn check(&self, id: CustomerId) -> Result<CustomerId> {
        if id.index() < self.keys.len() {
            Ok(id)
        } else {
            Err(Error::UnknownCustomerId {
                id: id.0,
                len: self.keys.len(),
            })
        }
    }

    /// Dense ids ordered by external key: the tie-break order of the crate (as pandas' sorted
    /// group-by orders groups).
    #[must_use]
    pub fn ids_in_key_order(&self) -> Vec<CustomerId>
    where
        K: Ord,
    {
        let mut ids: Vec<CustomerId> = self.ids().collect();
        ids.sort_unstable_by(|a, b| self.keys[a.index()].cmp(&self.keys[b.index()]));
        ids
    }
}

/// Resolves a record's customer key to a dense id: implemented by [`CustomerIndex`] for
/// external keys and by [`DenseCustomers`] for records that already carry [`CustomerId`]s.
pub trait CustomerLookup<K: ?Sized> {
    /// How many customers there are (dense ids are `0..customer_count()`).
    fn customer_count(&self) -> usize;
    /// The dense id of `key`, or `None` when unknown.
    fn lookup(&self, key: &K) -> Option<CustomerId>;
}

impl<K: Hash + Eq + Clone> CustomerLookup<K> for CustomerIndex<K> {
    fn customer_count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn lookup(&self, key: &K) -> Option<CustomerId> {
        self.get(key)
    }
}

/// Customers already interned as dense ids `0..n`: records keyed by [`CustomerId`] resolve to
/// themselves, without hashing.
///
/// ```
/// use saas_segmentation::ids::{CustomerLookup, DenseCustomers};
/// use saas_segmentation::CustomerId;
///
/// let customers = DenseCustomers(3);
/// assert_eq!(customers.lookup(&CustomerId(2)), Some(CustomerId(2)));
/// assert_eq!(customers.lookup(&CustomerId(3)), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenseCustomers(pub usize);

impl CustomerLookup<CustomerId> for DenseCustomers {
    fn customer_count(&self) -> usize {
        self.0
    }

    #[inline]
    fn lookup(&self, key: &CustomerId) -> Option<CustomerId> {
        (key.index() < self.0).then_some(*key)
    }
}

#[cfg(feature = "serde")]
impl<K: serde::Serialize> serde::Serialize for CustomerIndex<K> {
    /// Serializes as the list of keys in id order; the map is rebuilt on load.
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.keys.serialize(serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, K> serde::Deserialize<'de> for CustomerIndex<K>
where
    K: serde::Deserialize<'de> + Hash + Eq + Clone,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let keys = Vec::<K>::deserialize(deserializer)?;
        let count = keys.len();
        let index = CustomerIndex::from_keys(keys).map_err(serde::de::Error::custom)?;
        if index.len() != count {
            return Err(serde::de::Error::custom(
                "a customer index holds each key once; the list repeats a key",
            ));
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_round_trip() {
        let index = CustomerIndex::from_keys([30u64, 10, 30, 20]).unwrap();
        assert_eq!(index.len(), 3);
        assert_eq!(index.keys(), &[30, 10, 20]);
        assert_eq!(
            index.ids_in_key_order(),
            vec![CustomerId(1), CustomerId(2), CustomerId(0)]
        );
        assert!(index.check(CustomerId(3)).is_err());
    }
}
