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

use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::num::NonZeroU32;

use crate::error::{Error, Result};
use crate::universe::{extend_fingerprint, CustomerSet, Universe, EMPTY_FINGERPRINT};

/// A dense customer id: the position of the customer in its [`CustomerIndex`].
///
/// Ids come from an index ([`CustomerIndex::intern`], [`CustomerIndex::get`],
/// [`CustomerIndex::ids`]) or from a dense set ([`DenseCustomers::id`]); the field is private so
/// that a position is never taken for a customer by accident. Dense ids follow first
/// appearance, so they are not an ordering of customers: ties are broken by the external key
/// (DESIGN.md section 2), never by this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CustomerId(pub(crate) u32);

impl CustomerId {
    /// The id as a `u32`.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }

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
pub(crate) struct KeyHasher {
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
pub(crate) type KeyBuildHasher = BuildHasherDefault<KeyHasher>;

/// Interns external customer keys into dense [`CustomerId`]s and maps them back.
///
/// `K` is any `Hash + Eq` key: `String`, `&str`, `u64`, a tuple. Ids are assigned in order of
/// first appearance, starting at 0.
///
/// The map is an open-addressing table (linear probing, at most half full) whose slots hold
/// each key beside its id, so a lookup is one cache line away from the hash, and
/// [`CustomerLookup::prefetch`] can announce that line ahead of time.
#[derive(Clone)]
pub struct CustomerIndex<K> {
    /// `2^bits` slots; `(key, id + 1)`.
    slots: Vec<Option<(K, NonZeroU32)>>,
    bits: u32,
    keys: Vec<K>,
    /// The universe's fingerprint: the key hashes folded in id order.
    fingerprint: u64,
}

impl<K: fmt::Debug> fmt::Debug for CustomerIndex<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerIndex")
            .field("keys", &self.keys)
            .finish()
    }
}

/// The smallest table: 16 slots.
const MIN_BITS: u32 = 4;

impl<K> Default for CustomerIndex<K> {
    fn default() -> Self {
        CustomerIndex {
            slots: empty_slots(MIN_BITS),
            bits: MIN_BITS,
            keys: Vec::new(),
            fingerprint: EMPTY_FINGERPRINT,
        }
    }
}

/// The largest pre-sizing [`CustomerIndex::with_capacity`] honours.
const MAX_CAPACITY_HINT: usize = 1 << 24;

fn empty_slots<K>(bits: u32) -> Vec<Option<(K, NonZeroU32)>> {
    (0..1usize << bits).map(|_| None).collect()
}

#[inline]
pub(crate) fn hash_of<Q: Hash + ?Sized>(key: &Q) -> u64 {
    KeyBuildHasher::default().hash_one(key)
}

impl<K: Hash + Eq + Clone> CustomerIndex<K> {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index with room for `capacity` customers. The capacity is a hint: it is capped
    /// at 2^24 customers (about 400 MB of table for `String` keys) so that a hint taken from
    /// outside cannot exhaust memory; the index grows past it as keys arrive.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.min(MAX_CAPACITY_HINT);
        let bits = capacity
            .saturating_mul(2)
            .checked_next_power_of_two()
            .map_or(usize::BITS - 1, usize::ilog2)
            .max(MIN_BITS);
        CustomerIndex {
            slots: empty_slots(bits),
            bits,
            keys: Vec::with_capacity(capacity),
            fingerprint: EMPTY_FINGERPRINT,
        }
    }

    /// An index of `keys`, interned in order (repeated keys keep their first id).
    ///
    /// # Errors
    /// [`Error::IndexFull`] past `u32::MAX` distinct keys.
    pub fn from_keys<I: IntoIterator<Item = K>>(keys: I) -> Result<Self> {
        let keys = keys.into_iter();
        // Pre-size from the hint, but never trust a huge one: the table grows as needed.
        let mut index = Self::with_capacity(keys.size_hint().0);
        // In groups of 16: announce a group's slots, then intern it, so that the cache misses
        // of a group overlap.
        let mut group: Vec<K> = Vec::with_capacity(16);
        let mut keys = keys.peekable();
        while keys.peek().is_some() {
            group.extend(keys.by_ref().take(16));
            for key in &group {
                index.prefetch(key);
            }
            for key in group.drain(..) {
                index.intern(key)?;
            }
        }
        Ok(index)
    }

    /// An index of the distinct `keys` whose ids follow key order: the smallest key gets id 0.
    ///
    /// Tables keyed by such an index come out in key order without a sort (the crate orders
    /// every table by external key), which saves a sort of every customer per analysis.
    /// Interning a new key later appends it with the next id, as always.
    ///
    /// ```
    /// use saas_segmentation::{CustomerId, CustomerIndex};
    ///
    /// let index = CustomerIndex::sorted_from_keys(["cus_c", "cus_a", "cus_b", "cus_a"])?;
    /// assert_eq!(index.keys(), ["cus_a", "cus_b", "cus_c"]);
    /// assert_eq!(index.get("cus_c").map(CustomerId::get), Some(2));
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::IndexFull`] past `u32::MAX` distinct keys.
    pub fn sorted_from_keys<I: IntoIterator<Item = K>>(keys: I) -> Result<Self>
    where
        K: Ord,
    {
        let mut keys: Vec<K> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        Self::from_keys(keys)
    }

    /// The slot of `key` (holding it, or the empty slot where it would go).
    #[inline]
    fn position<Q>(&self, key: &Q, hash: u64) -> usize
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let mask = self.slots.len() - 1;
        let mut i = (hash >> (64 - self.bits)) as usize;
        while let Some((k, _)) = &self.slots[i] {
            if k.borrow() == key {
                break;
            }
            i = (i + 1) & mask;
        }
        i
    }

    /// The id of `key`, adding it when it is new.
    ///
    /// # Errors
    /// [`Error::IndexFull`] when the index already holds `u32::MAX` customers.
    pub fn intern(&mut self, key: K) -> Result<CustomerId> {
        let hash = hash_of(&key);
        let i = self.position(&key, hash);
        if let Some((_, id)) = &self.slots[i] {
            return Ok(CustomerId(id.get() - 1));
        }
        let next = u32::try_from(self.keys.len())
            .ok()
            .filter(|&n| n < u32::MAX)
            .ok_or(Error::IndexFull {
                max: u64::from(u32::MAX),
            })?;
        self.keys.push(key.clone());
        self.fingerprint = extend_fingerprint(self.fingerprint, hash);
        self.slots[i] = Some((key, NonZeroU32::MIN.saturating_add(next)));
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        Ok(CustomerId(next))
    }

    /// Doubles the table and re-places every key.
    fn grow(&mut self) {
        self.bits += 1;
        let old = std::mem::replace(&mut self.slots, empty_slots(self.bits));
        let mask = self.slots.len() - 1;
        for (key, id) in old.into_iter().flatten() {
            let mut i = (hash_of(&key) >> (64 - self.bits)) as usize;
            while self.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Some((key, id));
        }
    }

    /// Requests the slot `key` hashes to (a hint for a lookup soon; results never depend on
    /// it). The borrowed form of [`CustomerLookup::prefetch`].
    #[cfg(feature = "arrow")]
    #[inline]
    pub(crate) fn prefetch_key<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + ?Sized,
    {
        let home = (hash_of(key) >> (64 - self.bits)) as usize;
        if let Some(slot) = self.slots.get(home) {
            crate::engine::prefetch::prefetch(slot);
        }
    }

    /// The id of `key`, or `None` when the index does not hold it.
    #[must_use]
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<CustomerId>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.position(key, hash_of(key));
        self.slots[i]
            .as_ref()
            .map(|(_, id)| CustomerId(id.get() - 1))
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

    /// The dense view of this index, for records that already carry its [`CustomerId`]s:
    /// lookups need no hashing, and results are tied to this index's customers.
    #[must_use]
    pub fn dense(&self) -> DenseCustomers {
        DenseCustomers::of(self)
    }

    /// Dense ids ordered by external key: the tie-break order of the crate (as pandas' sorted
    /// group-by orders groups).
    #[must_use]
    pub fn ids_in_key_order(&self) -> Vec<CustomerId>
    where
        K: Ord,
    {
        let mut ids: Vec<CustomerId> = self.ids().collect();
        if !self.keys.windows(2).all(|w| w[0] < w[1]) {
            ids.sort_unstable_by(|a, b| self.keys[a.index()].cmp(&self.keys[b.index()]));
        }
        ids
    }
}

/// Resolves a record's customer key to a dense id: implemented by [`CustomerIndex`] for
/// external keys and by [`DenseCustomers`] for records that already carry [`CustomerId`]s
/// (use [`CustomerIndex::dense`] for records interned through an index, so that results stay
/// tied to that index's customers).
pub trait CustomerLookup<K: ?Sized>: CustomerSet {
    /// How many customers there are (dense ids are `0..customer_count()`).
    fn customer_count(&self) -> usize;
    /// The dense id of `key`, or `None` when unknown.
    fn lookup(&self, key: &K) -> Option<CustomerId>;
    /// A hint that `key` will be looked up soon (engine machinery, not part of the API: the
    /// default does nothing and a result never depends on it).
    #[doc(hidden)]
    #[inline]
    fn prefetch(&self, key: &K) {
        let _ = key;
    }
    /// Whether a lookup costs next to nothing (dense ids resolving to themselves), so that a
    /// parallel pass need not resolve keys once up front (engine machinery, not part of the
    /// API: a result never depends on it).
    #[doc(hidden)]
    #[inline]
    fn resolves_directly(&self) -> bool {
        false
    }
}

impl<K: Hash + Eq + Clone> CustomerLookup<K> for CustomerIndex<K> {
    fn customer_count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn lookup(&self, key: &K) -> Option<CustomerId> {
        self.get(key)
    }

    #[inline]
    fn prefetch(&self, key: &K) {
        let home = (hash_of(key) >> (64 - self.bits)) as usize;
        crate::engine::prefetch::prefetch(&self.slots[home]);
    }
}

/// Customers already interned as dense ids `0..n`: records keyed by [`CustomerId`] resolve to
/// themselves, without hashing.
///
/// [`CustomerIndex::dense`] gives the dense view of an index (results are then tied to the
/// index's customers); [`DenseCustomers::new`] stands for `n` customers that no index names.
///
/// ```
/// use saas_segmentation::ids::{CustomerLookup, DenseCustomers};
/// use saas_segmentation::universe::CustomerSet;
/// use saas_segmentation::CustomerIndex;
///
/// let index = CustomerIndex::from_keys(["cus_a", "cus_b", "cus_c"])?;
/// let customers = index.dense();
/// let c = index.get("cus_c").expect("interned");
/// assert_eq!(customers.lookup(&c), Some(c));
/// assert_eq!(customers.id(2), Some(c));
/// // An id of a larger set is unknown here.
/// let outsider = DenseCustomers::new(4).id(3).expect("in range");
/// assert_eq!(customers.lookup(&outsider), None);
/// assert_eq!(customers.universe(), index.universe());
/// assert_ne!(DenseCustomers::new(3).universe(), index.universe());
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenseCustomers {
    universe: Universe,
}

impl DenseCustomers {
    /// `count` customers with dense ids `0..count` that no index names.
    #[must_use]
    pub fn new(count: usize) -> Self {
        DenseCustomers {
            universe: Universe::dense(count),
        }
    }

    /// The dense ids of the customer set `customers`.
    #[must_use]
    pub fn of(customers: &impl CustomerSet) -> Self {
        DenseCustomers {
            universe: customers.universe(),
        }
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.universe.len()
    }

    /// The id of the customer at position `i`, `None` past the end.
    #[must_use]
    pub fn id(&self, i: usize) -> Option<CustomerId> {
        u32::try_from(i)
            .ok()
            .filter(|_| i < self.universe.len())
            .map(CustomerId)
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = CustomerId> {
        (0..u32::try_from(self.universe.len()).unwrap_or(u32::MAX)).map(CustomerId)
    }

    /// Whether there is no customer.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.universe.is_empty()
    }
}

impl CustomerSet for DenseCustomers {
    fn universe(&self) -> Universe {
        self.universe
    }
}

impl CustomerLookup<CustomerId> for DenseCustomers {
    fn customer_count(&self) -> usize {
        self.universe.len()
    }

    #[inline]
    fn lookup(&self, key: &CustomerId) -> Option<CustomerId> {
        (key.index() < self.universe.len()).then_some(*key)
    }

    #[inline]
    fn resolves_directly(&self) -> bool {
        true
    }
}

impl<K> CustomerSet for CustomerIndex<K> {
    fn universe(&self) -> Universe {
        Universe::from_parts(self.keys.len(), self.fingerprint)
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

    #[test]
    fn the_table_grows_and_keeps_first_appearance_ids() {
        // Keys that collide in the low bits, repeated, through many doublings.
        let keys: Vec<u64> = (0..20_000u64).map(|i| (i % 7_000) << 32).collect();
        let index = CustomerIndex::from_keys(keys.iter().copied()).unwrap();
        assert_eq!(index.len(), 7_000);
        for (i, key) in keys.iter().enumerate().take(7_000) {
            assert_eq!(index.get(key), Some(CustomerId(i as u32)));
            assert_eq!(index.key(CustomerId(i as u32)), Some(key));
        }
        assert_eq!(index.get(&(7_000u64 << 32)), None);
        let mut strings = CustomerIndex::with_capacity(0);
        for i in 0..1_000 {
            assert_eq!(strings.intern(format!("cus_{i}")).unwrap(), CustomerId(i));
        }
        assert_eq!(strings.get("cus_999"), Some(CustomerId(999)));
        assert_eq!(strings.get("cus_1000"), None);
        assert_eq!(strings.intern("cus_5".to_owned()).unwrap(), CustomerId(5));
    }
}
