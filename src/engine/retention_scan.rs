//! The retention matrix's machinery: the per-customer slots, the owned-range scan that sets
//! their period bits, and the byte-counter tallies that count them. What a record means (its
//! period, the policies for records out of window) is `cohort::retention`'s; every path sets the
//! same bits and counts the same members, so the result is the serial pass's.

use std::fmt::Debug;

use crate::cohort::retention::{
    admit, after_analysis, unknown, Placer, RetentionParams, RetentionReport,
};
use crate::engine::par;
use crate::engine::prefetch::prefetch;
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::records::CustomerDate;

/// One customer's state during a scan: its first 64 period bits and its signup day
/// (`NOT_MEMBER` when it is in no cohort). Kept together so an activity record costs one
/// random memory access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Slot {
    pub(crate) bits: u64,
    pub(crate) signup: i32,
    pub(crate) cohort: u32,
}

pub(crate) const NOT_MEMBER: i32 = i32::MIN;

#[inline]
fn set_bit(slot: &mut Slot, more: &mut [u64], p: usize) {
    if p < 64 {
        slot.bits |= 1u64 << p;
    } else {
        more[p / 64 - 1] |= 1u64 << (p % 64);
    }
}

/// The customers one scan updates: ids `low..low + slots.len()`, and whether it also counts
/// (or rejects) records of customers the lookup does not know.
pub(crate) struct Owner<'a> {
    pub(crate) low: usize,
    pub(crate) slots: &'a mut [Slot],
    pub(crate) more: &'a mut [u64],
    pub(crate) extra: usize,
    pub(crate) counts_unknown: bool,
}

/// One pass over `records` for the customers of `owner`; an error comes with its row. `ALL`:
/// the owner holds every customer and counts unknown ones, so every record is kept.
pub(crate) fn scan_owned<const ALL: bool, K: Debug, R: CustomerDate<K>>(
    params: &RetentionParams,
    owner: Owner<'_>,
    lookup: &impl CustomerLookup<K>,
    records: &[R],
    first_row: usize,
) -> std::result::Result<RetentionReport, (usize, Error)> {
    let Owner {
        low,
        slots,
        more,
        extra,
        counts_unknown,
    } = owner;
    let placer = Placer::new(params);
    let analysis = params.analysis_date().days();
    let mut report = RetentionReport {
        records: if counts_unknown {
            records.len() as u64
        } else {
            0
        },
        ..RetentionReport::default()
    };
    // Blocks of records: first resolve ids and keep the block's records this scan owns
    // (without a branch: which customers are whose is random), then run the branchy logic on
    // the kept records, each customer's slot requested a few records ahead (the slots are
    // spread over memory, so many misses should be in flight at once).
    const BLOCK: usize = 256;
    // How many records ahead the lookup's memory is requested.
    const LOOKUP_AHEAD: usize = 16;
    // How many kept records ahead a slot is requested.
    const SLOT_AHEAD: usize = 16;
    // The record stream is requested 64 KiB ahead, one request per cache line.
    let size = std::mem::size_of::<R>().max(1);
    let (line, records_ahead) = ((64 / size).max(1), (65_536 / size).max(1));
    let mut kept = [0u16; BLOCK];
    let mut local = [usize::MAX; BLOCK];
    for (b, block) in records.chunks(BLOCK).enumerate() {
        let mut count = 0;
        for (j, record) in block.iter().enumerate() {
            if let Some(ahead) = records.get(b * BLOCK + j + LOOKUP_AHEAD) {
                lookup.prefetch(ahead.customer());
            }
            // The records themselves, two blocks ahead: the stream competes with the slot
            // misses for the cache's fill buffers, and hardware prefetching falls behind.
            if j % line == 0 {
                if let Some(ahead) = records.get(b * BLOCK + j + records_ahead) {
                    prefetch(ahead);
                }
            }
            let id = lookup
                .lookup(record.customer())
                .map_or(usize::MAX, |c| c.index());
            let i = id.wrapping_sub(low);
            kept[count] = j as u16;
            if ALL {
                local[count] = i;
                count += 1;
            } else {
                let own = i < slots.len();
                local[count] = if own { i } else { usize::MAX };
                count += usize::from(own | ((id == usize::MAX) & counts_unknown));
            }
        }
        for k in 0..count {
            if let Some(slot) = local[..count]
                .get(k + SLOT_AHEAD)
                .and_then(|&ahead| slots.get(ahead))
            {
                prefetch(slot);
            }
            let j = usize::from(kept[k]);
            let record = &block[j];
            let row = first_row + b * BLOCK + j;
            let (key, date, i) = (record.customer(), record.date(), local[k]);
            let signup = slots.get(i).map_or(NOT_MEMBER, |s| s.signup);
            let at = |e| (row, e);
            if signup == NOT_MEMBER {
                unknown(params, &mut report, row, key).map_err(at)?;
                continue;
            }
            if date.days() > analysis {
                after_analysis(params, &mut report, row, key, date).map_err(at)?;
                continue;
            }
            let place = placer.place(signup, date.days());
            if let Some(p) =
                admit(params, &mut report, place, row, key, date, signup).map_err(at)?
            {
                set_bit(&mut slots[i], &mut more[i * extra..(i + 1) * extra], p);
            }
        }
    }
    Ok(report)
}

/// The parallel scan: the customers split into one range per thread, each thread reading every
/// record and keeping only its own customers' (so the threads share nothing, and each one's
/// slots are a fraction of the cache). Reports add up; of the errors, the one of the earliest
/// row wins, as in the serial scan.
pub(crate) fn scan_in_threads<K: Debug + Sync, R: CustomerDate<K> + Sync>(
    params: &RetentionParams,
    slots: &mut [Slot],
    more: &mut [u64],
    extra: usize,
    lookup: &(impl CustomerLookup<K> + Sync),
    records: &[R],
    first_row: usize,
) -> Result<RetentionReport> {
    let span = slots.len().div_ceil(par::threads()).max(1);
    let mores: Vec<&mut [u64]> = if extra == 0 {
        slots
            .chunks(span)
            .map(|_| <&mut [u64]>::default())
            .collect()
    } else {
        more.chunks_mut(span * extra).collect()
    };
    let results: Vec<std::result::Result<RetentionReport, (usize, Error)>> =
        par::map_chunks_mut_with(slots, span, mores, |t, slots, more| {
            let owner = Owner {
                low: t * span,
                slots,
                more,
                extra,
                counts_unknown: t == 0,
            };
            scan_owned::<false, _, _>(params, owner, lookup, records, first_row)
        });
    let mut total = RetentionReport::default();
    par::earliest_error(results, |report| total.add(&report))?;
    Ok(total)
}

/// Counts of set bits per cohort and period position, eight positions to a word: each
/// position has a byte counter, and a member's period word is added to them with a few
/// multiplies and no branch per set bit. The bytes are flushed into the counts before any can
/// overflow (every 255 members of a cohort).
pub(crate) struct BitTally {
    words: usize,
    periods: usize,
    /// Byte counters: cohort x word x 8 lanes of 8 positions.
    lanes: Vec<u64>,
    /// Members added per cohort since its last flush.
    pending: Vec<u8>,
    /// Lanes holding a position below `periods`, per word.
    live: Vec<usize>,
}

impl BitTally {
    pub(crate) fn new(cohorts: usize, words: usize, periods: usize) -> Self {
        BitTally {
            words,
            periods,
            lanes: vec![0; cohorts * words * 8],
            pending: vec![0; cohorts],
            live: (0..words)
                .map(|w| periods.saturating_sub(w * 64).min(64).div_ceil(8))
                .collect(),
        }
    }

    /// The bits of `byte` (0..256) as one 0/1 byte each, bit i in byte i.
    #[inline]
    fn spread(byte: u64) -> u64 {
        let picked = byte.wrapping_mul(0x0101_0101_0101_0101) & 0x8040_2010_0804_0201;
        ((picked + 0x7f7f_7f7f_7f7f_7f7f) & 0x8080_8080_8080_8080) >> 7
    }

    /// Counts the set bits of `word`, the `w`-th period word of a member of cohort `c`.
    #[inline]
    pub(crate) fn add(&mut self, c: usize, w: usize, word: u64) {
        let start = (c * self.words + w) * 8;
        for (j, lane) in self.lanes[start..start + self.live[w]]
            .iter_mut()
            .enumerate()
        {
            *lane += Self::spread((word >> (8 * j)) & 0xff);
        }
    }

    /// Ends one member of cohort `c`, flushing the cohort's bytes before they could overflow.
    #[inline]
    pub(crate) fn member_done(&mut self, c: usize, retained: &mut [u64]) {
        self.pending[c] += 1;
        if self.pending[c] == u8::MAX {
            self.flush(c, retained);
        }
    }

    /// Adds cohort `c`'s byte counters to `retained` (cohort x period) and clears them.
    fn flush(&mut self, c: usize, retained: &mut [u64]) {
        let p = self.periods;
        for w in 0..self.words {
            let start = (c * self.words + w) * 8;
            for (j, lane) in self.lanes[start..start + 8].iter_mut().enumerate() {
                for b in 0..8 {
                    let position = w * 64 + j * 8 + b;
                    if position < p {
                        retained[c * p + position] += (*lane >> (8 * b)) & 0xff;
                    }
                }
                *lane = 0;
            }
        }
        self.pending[c] = 0;
    }

    /// Flushes every cohort.
    pub(crate) fn finish(&mut self, retained: &mut [u64]) {
        for c in 0..self.pending.len() {
            self.flush(c, retained);
        }
    }
}
