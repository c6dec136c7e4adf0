//! The RFM pass's machinery: the partitioned open-addressing table of the keyed pass and the
//! owned-range scans of the interned pass. What a row means (its checks, the accumulator, the
//! counters) is `rfm::summary`'s; this module only decides where and in what order the rows
//! are added, and every path adds each customer's rows in row order, so the result is the
//! serial pass's.

use std::hash::{BuildHasher, Hash};

use crate::engine::par;
use crate::engine::prefetch::prefetch;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, KeyBuildHasher};
use crate::records::Transaction;
use crate::rfm::summary::{kept_micros, unknown_id, Acc, Counters, RfmParams};

/// Keys are spread over 2^PART_BITS partitions by the top bits of their hash, so that
/// partitions can be built by different threads without sharing anything.
const PART_BITS: u32 = 4;
pub(crate) const PARTS: usize = 1 << PART_BITS;
const BATCH: usize = 16;

#[inline]
fn partition_of(hash: u32) -> usize {
    (hash >> (32 - PART_BITS)) as usize
}

#[inline]
pub(crate) fn hash_key<K: Hash>(key: &K) -> u32 {
    (KeyBuildHasher::default().hash_one(key) >> 32) as u32
}

/// One partition: an open-addressing table whose slots hold (top 32 bits of the hash,
/// index + 1), so a probe is one load and the table grows without rehashing keys, and the
/// entries, each key beside its accumulator so that the key comparison and the update touch
/// one cache line.
#[derive(Debug, Clone)]
pub(crate) struct Part<K> {
    pub(crate) slots: Vec<u64>,
    bits: u32,
    pub(crate) entries: Vec<(K, Acc)>,
}

impl<K: Hash + Eq + Clone> Part<K> {
    pub(crate) fn new() -> Self {
        Part {
            slots: vec![0; 1 << 8],
            bits: 8,
            entries: Vec::new(),
        }
    }

    #[inline]
    fn home(&self, hash: u32) -> usize {
        // The top PART_BITS bits chose the partition; the next ones choose the home slot.
        ((hash << PART_BITS) >> (32 - self.bits)) as usize
    }

    /// The index of the first slot in the probe chain whose hash matches, if any.
    #[inline]
    fn candidate(&self, hash: u32) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as u32 == hash {
                return Some(slot as u32 as usize - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// The entry of `key`, inserted with `init` when new.
    #[inline]
    pub(crate) fn entry(&mut self, key: &K, hash: u32, init: Acc) -> &mut Acc {
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if (slot >> 32) as u32 == hash {
                let index = slot as u32 as usize - 1;
                if self.entries[index].0 == *key {
                    return &mut self.entries[index].1;
                }
            }
            i = (i + 1) & mask;
        }
        let index = self.entries.len();
        self.slots[i] = (u64::from(hash) << 32) | (index as u64 + 1);
        self.entries.push((key.clone(), init));
        if self.entries.len() * 2 > self.slots.len() {
            self.grow();
        }
        &mut self.entries[index].1
    }

    fn grow(&mut self) {
        self.bits += 1;
        let old = std::mem::replace(&mut self.slots, vec![0; 1 << self.bits]);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|&s| s != 0) {
            let mut i = self.home((slot >> 32) as u32);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Aggregates a batch of checked rows: (transaction, hash, micros).
    #[inline]
    fn add_batch(&mut self, rows: &[(&Transaction<K>, u32, i64)], counters: &mut Counters) {
        // Three phases, so that the cache misses of different rows overlap instead of queueing
        // one behind another: touch the home slots; probe and compare keys (touching the
        // entries); update.
        let mut sink = 0u64;
        for &(_, hash, _) in rows {
            sink ^= self.slots[self.home(hash)];
        }
        std::hint::black_box(sink);
        let mut found = [usize::MAX; BATCH];
        for (j, &(t, hash, _)) in rows.iter().enumerate() {
            if let Some(index) = self.candidate(hash) {
                if self.entries[index].0 == t.customer {
                    found[j] = index;
                }
            }
        }
        for (j, &(t, hash, micros)) in rows.iter().enumerate() {
            let acc = if found[j] != usize::MAX {
                &mut self.entries[found[j]].1
            } else {
                self.entry(&t.customer, hash, Acc::EMPTY)
            };
            acc.apply(t.date.days(), micros, counters);
        }
    }
}

/// How many workers aggregate `rows` rows: 1 without the `parallel` feature or for small
/// inputs, else the rayon pool's size rounded down to a power of two (at most 16).
fn worker_threads(rows: usize) -> usize {
    let threads = par::threads();
    if threads > 1 && rows >= 1 << 16 {
        return 1 << threads.clamp(1, PARTS).ilog2();
    }
    1
}

/// Rows of an interned log per cache line, and how far ahead the row stream is requested
/// (64 KiB: measured best among 8 to 256 KiB on a 2-core Xeon VM).
const ROWS_PER_LINE: usize = 64 / std::mem::size_of::<Transaction<CustomerId>>();
const ROWS_AHEAD: usize = 65_536 / std::mem::size_of::<Transaction<CustomerId>>();

/// Aggregates an interned log into `entries` (indexed by id), counting what the policies
/// did; the first bad row is an error.
fn scan_interned<K>(
    transactions: &[Transaction<CustomerId>],
    params: &RfmParams,
    entries: &mut [(K, Acc)],
) -> Result<Counters> {
    let customers = entries.len();
    let mut counters = Counters::new(params);
    for (row, t) in transactions.iter().enumerate() {
        // Customers are random from row to row: request the accumulator 16 rows ahead.
        if let Some(entry) = transactions
            .get(row + 16)
            .and_then(|ahead| entries.get(ahead.customer.index()))
        {
            prefetch(entry);
        }
        // And the rows themselves further ahead, one request per cache line: the stream
        // competes with the accumulator misses, and hardware prefetching falls behind.
        if row % ROWS_PER_LINE == 0 {
            if let Some(ahead) = transactions.get(row + ROWS_AHEAD) {
                prefetch(ahead);
            }
        }
        let Some((_, acc)) = entries.get_mut(t.customer.index()) else {
            return Err(unknown_id(row, t.customer, customers));
        };
        let Some(micros) = kept_micros(params, t, row as u64, true, &mut counters)? else {
            continue;
        };
        acc.apply(t.date.days(), micros, &mut counters);
    }
    Ok(counters)
}

/// One thread's share of the parallel pass over an interned log: the customers with ids
/// `low..low + owned.len()`. It reads every row and aggregates its own (and, when `strangers`,
/// fails on rows of ids outside the index), so each customer's rows are added by one thread in
/// row order, as in the serial pass, and no accumulator is copied or merged. An error comes
/// with its row, so the earliest over all threads can be reported.
fn scan_owned<K>(
    transactions: &[Transaction<CustomerId>],
    params: &RfmParams,
    low: usize,
    owned: &mut [(K, Acc)],
    customers: usize,
    strangers: bool,
) -> std::result::Result<Counters, (usize, Error)> {
    // Blocks of rows: first the positions of this thread's rows, kept without a branch (which
    // customer a row has is random), then those rows, with their accumulators requested a few
    // rows ahead.
    const BLOCK: usize = 256;
    const AHEAD: usize = 8;
    let mut kept = [0u16; BLOCK];
    let mut counters = Counters::new(params);
    for (b, block) in transactions.chunks(BLOCK).enumerate() {
        let mut count = 0;
        for (j, t) in block.iter().enumerate() {
            if j % ROWS_PER_LINE == 0 {
                if let Some(ahead) = transactions.get(b * BLOCK + j + ROWS_AHEAD) {
                    prefetch(ahead);
                }
            }
            let id = t.customer.index();
            kept[count] = j as u16;
            count +=
                usize::from((id.wrapping_sub(low) < owned.len()) | (strangers & (id >= customers)));
        }
        for k in 0..count {
            if k + AHEAD < count {
                let ahead = block[usize::from(kept[k + AHEAD])].customer.index();
                if let Some(entry) = owned.get(ahead.wrapping_sub(low)) {
                    prefetch(entry);
                }
            }
            let j = usize::from(kept[k]);
            let (t, row) = (&block[j], b * BLOCK + j);
            let Some(entry) = owned.get_mut(t.customer.index().wrapping_sub(low)) else {
                return Err((row, unknown_id(row, t.customer, customers)));
            };
            let kept = kept_micros(params, t, row as u64, true, &mut counters);
            if let Some(micros) = kept.map_err(|e| (row, e))? {
                entry.1.apply(t.date.days(), micros, &mut counters);
            }
        }
    }
    Ok(counters)
}

/// The parallel pass: one range of customers per thread. Kept out of line of the serial loop
/// that `scan_entries` inlines, so that loop compiles as it does without `parallel`.
#[inline(never)]
fn scan_in_threads<K: Send>(
    transactions: &[Transaction<CustomerId>],
    params: &RfmParams,
    entries: &mut [(K, Acc)],
    threads: usize,
) -> Result<Counters> {
    let customers = entries.len();
    let span = customers.div_ceil(threads).max(1);
    let results: Vec<std::result::Result<Counters, (usize, Error)>> =
        par::map_chunks_mut(entries, span, |t, owned| {
            scan_owned(transactions, params, t * span, owned, customers, t == 0)
        });
    let mut counters = Counters::default();
    par::earliest_error(results, |c| counters.add(&c))?;
    Ok(counters)
}

/// The pass over an interned log into `entries` (indexed by id): serial, or with the
/// `parallel` feature one range of customers per thread (the same result, and no more memory).
pub(crate) fn scan_entries<K: Send>(
    transactions: &[Transaction<CustomerId>],
    params: &RfmParams,
    entries: &mut [(K, Acc)],
) -> Result<Counters> {
    let threads = par::threads();
    if threads > 1 && transactions.len() >= 1 << 16 {
        return scan_in_threads(transactions, params, entries, threads);
    }
    scan_interned(transactions, params, entries)
}

/// Adds `transactions` (rows numbered from `offset`) into the partitions of the keyed pass.
/// Each worker owns a group of partitions and reads every row, aggregating only the rows of
/// its partitions: no locks, no merge, and the same result as one thread.
pub(crate) fn add_partitioned<K>(
    parts: &mut [Part<K>],
    transactions: &[Transaction<K>],
    params: &RfmParams,
    offset: u64,
) -> Vec<Result<Counters>>
where
    K: Hash + Eq + Clone + std::fmt::Debug + Send + Sync,
{
    let threads = worker_threads(transactions.len());
    let group = PARTS / threads;
    let scan = |parts: &mut [Part<K>], first: usize, counting: bool| -> Result<Counters> {
        let mut counters = Counters::new(params);
        let mut batches: Vec<Vec<(&Transaction<K>, u32, i64)>> = (0..parts.len())
            .map(|_| Vec::with_capacity(BATCH))
            .collect();
        for (i, t) in transactions.iter().enumerate() {
            let Some(micros) = kept_micros(params, t, offset + i as u64, counting, &mut counters)?
            else {
                continue;
            };
            let hash = hash_key(&t.customer);
            let Some(p) = partition_of(hash)
                .checked_sub(first)
                .filter(|&p| p < parts.len())
            else {
                continue;
            };
            batches[p].push((t, hash, micros));
            if batches[p].len() == BATCH {
                parts[p].add_batch(&batches[p], &mut counters);
                batches[p].clear();
            }
        }
        for (p, batch) in batches.iter().enumerate() {
            parts[p].add_batch(batch, &mut counters);
        }
        Ok(counters)
    };
    if threads == 1 {
        vec![scan(parts, 0, true)]
    } else {
        par::map_chunks_mut(parts, group, |g, chunk| scan(chunk, g * group, g == 0))
    }
}
