//! Mergeable retention counts: per customer, the set of periods it was active in.

use std::fmt::Debug;

use crate::engine::par;
use crate::engine::retention_scan::{self, scan_owned, BitTally, Owner, Slot, NOT_MEMBER};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerLookup, DenseCustomers};
use crate::records::CustomerDate;
use crate::universe::Universe;

use super::assign::{Cohorts, NO_COHORT};
use super::matrix::RetentionMatrix;
use super::retention::{
    period_count, Placer, RetentionMode, RetentionParams, RetentionReport, Windows,
};
use crate::date::Date;

/// The most cells (cohorts x periods) a retention matrix may have.
const MAX_CELLS: usize = 1 << 24;
/// The most bytes of per-customer period bits beyond the first 64 periods.
const MAX_PERIOD_BYTES: usize = 1 << 30;

/// Mergeable retention counts: per customer, the set of periods it was active in. Feed activity
/// in chunks with [`RetentionCounts::add`], combine partial counts with
/// [`RetentionCounts::merge`] (a union, so merging equals one pass), and read a
/// [`RetentionMatrix`] per mode.
///
/// Loading through `Deserialize` checks the state against its parameters: one slot per
/// customer of its set, members only in existing cohorts with valid signup days, cohort sizes
/// that match the members, the period count the signups imply and the period words it needs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RetentionCounts {
    universe: Universe,
    params: RetentionParams,
    labels: Vec<String>,
    sizes: Vec<u64>,
    periods: usize,
    words: usize,
    slots: Vec<Slot>,
    /// Period bits 64 and up: `words - 1` words per customer.
    more: Vec<u64>,
    report: RetentionReport,
}

checked_serde!(RetentionCounts, RetentionCounts::check);

impl RetentionCounts {
    /// The invariants of loaded counts.
    fn check(&self) -> Result<()> {
        self.params.validate()?;
        let bad = |reason: String| Error::InvalidParameter {
            name: "retention counts",
            reason,
        };
        let k = self.labels.len();
        if self.sizes.len() != k {
            return Err(Error::LengthMismatch {
                what: "retention counts sizes (one per cohort)",
                expected: k,
                found: self.sizes.len(),
            });
        }
        if self.slots.len() != self.universe.len() {
            return Err(Error::LengthMismatch {
                what: "retention counts slots (one per customer)",
                expected: self.universe.len(),
                found: self.slots.len(),
            });
        }
        let mut members = vec![0u64; k];
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.cohort == NO_COHORT {
                if slot.signup != NOT_MEMBER || slot.bits != 0 {
                    return Err(bad(format!(
                        "customer {i} is in no cohort but has a signup"
                    )));
                }
                continue;
            }
            let Some(count) = members.get_mut(slot.cohort as usize) else {
                return Err(bad(format!(
                    "customer {i} is in cohort {} of {k}",
                    slot.cohort
                )));
            };
            *count += 1;
            if Date::from_days(i64::from(slot.signup)).is_err() {
                return Err(bad(format!("customer {i} has signup day {}", slot.signup)));
            }
        }
        if members != self.sizes {
            return Err(bad(format!(
                "cohort sizes {:?} do not match the members {members:?}",
                self.sizes
            )));
        }
        let periods = period_count(
            &self.params.windows,
            self.params.analysis_date,
            self.params.partial_periods,
            self.slots
                .iter()
                .filter(|s| s.signup != NOT_MEMBER)
                .map(|s| s.signup),
        )?;
        if periods != self.periods || self.words != periods.div_ceil(64).max(1) {
            return Err(bad(format!(
                "{} periods in {} words, but the signups and parameters give {periods}",
                self.periods, self.words
            )));
        }
        if self.more.len() != self.slots.len() * (self.words - 1) {
            return Err(Error::LengthMismatch {
                what: "retention counts period words",
                expected: self.slots.len() * (self.words - 1),
                found: self.more.len(),
            });
        }
        Ok(())
    }

    /// Empty counts for `cohorts` under `params`.
    ///
    /// Memory: 16 bytes per customer, plus `8 * ceil(periods / 64)` bytes per customer for
    /// the periods beyond the first 64, plus 16 bytes per matrix cell (cohorts x periods) when
    /// the matrix is built. The periods are capped at 65,536, the per-customer period bits at
    /// 1 GiB in all and the cells at 2^24 (16.8 million, 256 MiB): a daily grid over years of
    /// daily cohorts is quadratic in the days, and is refused rather than allowed to exhaust
    /// memory.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad windows, or more than 65,536 periods between the
    /// first signup and the analysis date, or more period bits or cells than the caps above
    /// (use a coarser grid or cohort by a coarser period).
    pub fn new(cohorts: &Cohorts, params: &RetentionParams) -> Result<Self> {
        params.validate()?;
        // A slot per customer (16 bytes each): built by every thread with `parallel`, so the
        // fresh pages are touched in parallel too.
        let slots: Vec<Slot> =
            par::map_zip(cohorts.raw_cohorts(), cohorts.raw_signups(), |&c, &s| {
                Slot {
                    bits: 0,
                    signup: if c == NO_COHORT { NOT_MEMBER } else { s },
                    cohort: c,
                }
            });
        let periods = period_count(
            &params.windows,
            params.analysis_date,
            params.partial_periods,
            slots
                .iter()
                .filter(|s| s.signup != NOT_MEMBER)
                .map(|s| s.signup),
        )?;
        let words = periods.div_ceil(64).max(1);
        let cells = cohorts.labels().len().saturating_mul(periods);
        let bytes = slots.len().saturating_mul(words - 1).saturating_mul(8);
        if cells > MAX_CELLS || bytes > MAX_PERIOD_BYTES {
            return Err(Error::InvalidParameter {
                name: "windows",
                reason: format!(
                    "{} cohorts x {periods} periods ({cells} cells, {bytes} bytes of period \
                     bits for {} customers) exceed the caps of {MAX_CELLS} cells and \
                     {MAX_PERIOD_BYTES} bytes: use a coarser grid (weeks or months) or \
                     cohorts by a coarser period",
                    cohorts.labels().len(),
                    slots.len()
                ),
            });
        }
        Ok(RetentionCounts {
            universe: cohorts.universe(),
            params: params.clone(),
            labels: cohorts.labels().to_vec(),
            sizes: cohorts.sizes().to_vec(),
            periods,
            words,
            more: vec![0; slots.len() * (words - 1)],
            slots,
            report: RetentionReport::default(),
        })
    }

    /// Adds activity records (any type naming a customer and a day).
    ///
    /// # Errors
    /// Under [`OutOfWindow::Reject`](super::OutOfWindow::Reject) (the default of each policy): [`Error::OutOfRange`] naming
    /// the first record dated before its customer's signup or after the analysis date,
    /// [`Error::UnknownCustomer`] for a customer the lookup does not know or in no cohort;
    /// [`Error::CustomerSetMismatch`] when `lookup` is not the customer set the cohorts were
    /// built over.
    /// Counts are unchanged when an error is returned.
    pub fn add<K: Debug, R: CustomerDate<K>>(
        &mut self,
        lookup: &impl CustomerLookup<K>,
        records: &[R],
    ) -> Result<()> {
        let pristine = self.report.records == 0
            && self.slots.iter().all(|s| s.bits == 0)
            && self.more.iter().all(|&w| w == 0);
        if pristine {
            // Nothing added yet (every bit is clear): scan in place, and clear again on error.
            let scanned = self.scan(lookup, records, 0);
            if scanned.is_err() {
                self.reset();
            }
            return scanned;
        }
        let mut fresh = self.clone_empty();
        fresh.scan(lookup, records, 0)?;
        self.or_bits(&fresh);
        Ok(())
    }

    /// Clears the period bits and the report.
    fn reset(&mut self) {
        self.slots.iter_mut().for_each(|s| s.bits = 0);
        self.more.iter_mut().for_each(|w| *w = 0);
        self.report = RetentionReport::default();
    }

    /// The same cohorts and settings, with no activity.
    fn clone_empty(&self) -> RetentionCounts {
        RetentionCounts {
            universe: self.universe,
            params: self.params.clone(),
            labels: self.labels.clone(),
            sizes: self.sizes.clone(),
            periods: self.periods,
            words: self.words,
            slots: self.slots.iter().map(|s| Slot { bits: 0, ..*s }).collect(),
            more: vec![0; self.more.len()],
            report: RetentionReport::default(),
        }
    }

    /// Scans `records`; with the `parallel` feature and a large input, in one chunk per rayon
    /// thread merged in order (a union, so the result is the serial one, and the error reported
    /// is the first in row order).
    pub(crate) fn scan_all<K: Debug + Sync, R: CustomerDate<K> + Sync>(
        &mut self,
        lookup: &(impl CustomerLookup<K> + Sync),
        records: &[R],
    ) -> Result<()> {
        crate::universe::ensure_same(&self.universe, lookup, "customer lookup of the records")?;
        let threads = par::threads();
        if threads > 1 && records.len() >= 1 << 20 && !self.slots.is_empty() {
            if lookup.resolves_directly() {
                return self.scan_in_threads(lookup, records, 0);
            }
            // Each thread reads every record of the owned-range pass, so a key lookup (a hash)
            // would be repeated by every thread: instead the keys of a chunk of records are
            // resolved once, split over the threads, and the pass runs on the dense ids. A
            // chunk with an unknown customer or a bad record runs on the keys instead, so the
            // report counts and the errors name the record's key.
            const CHUNK: usize = 1 << 20;
            let dense = DenseCustomers::new(self.slots.len());
            let filler = (CustomerId(0), records[0].date());
            let mut resolved = vec![filler; CHUNK.min(records.len())];
            for (c, chunk) in records.chunks(CHUNK).enumerate() {
                let first = c * CHUNK;
                let span = chunk.len().div_ceil(threads);
                let out = &mut resolved[..chunk.len()];
                let known = par::map_chunks_mut(out, span, |t, out| {
                    let part = &chunk[t * span..t * span + out.len()];
                    for (i, (r, slot)) in part.iter().zip(out.iter_mut()).enumerate() {
                        // The lookups miss the cache at random: request them 16 records ahead.
                        if let Some(ahead) = part.get(i + 16) {
                            lookup.prefetch(ahead.customer());
                        }
                        let Some(id) = lookup.lookup(r.customer()) else {
                            return false;
                        };
                        *slot = (id, r.date());
                    }
                    true
                });
                if known.contains(&false) {
                    self.scan_in_threads(lookup, chunk, first)?;
                    continue;
                }
                if let Err(e) = self.scan_in_threads(&dense, &resolved[..chunk.len()], first) {
                    // The same record fails on its key, named in the error (the counts are
                    // discarded on error either way).
                    self.scan_in_threads(lookup, chunk, first)?;
                    return Err(e);
                }
            }
            return Ok(());
        }
        self.scan(lookup, records, 0)
    }

    /// The owned-range parallel pass: each thread owns a range of customers and reads every
    /// record, keeping only its own; of the errors, the one of the earliest row wins.
    fn scan_in_threads<K: Debug + Sync, R: CustomerDate<K> + Sync>(
        &mut self,
        lookup: &(impl CustomerLookup<K> + Sync),
        records: &[R],
        first_row: usize,
    ) -> Result<()> {
        let report = retention_scan::scan_in_threads(
            &self.params,
            &mut self.slots,
            &mut self.more,
            self.words - 1,
            lookup,
            records,
            first_row,
        )?;
        self.report.add(&report);
        Ok(())
    }

    /// One pass over `records` into `self` (callers discard `self` on error).
    fn scan<K: Debug, R: CustomerDate<K>>(
        &mut self,
        lookup: &impl CustomerLookup<K>,
        records: &[R],
        first_row: usize,
    ) -> Result<()> {
        crate::universe::ensure_same(&self.universe, lookup, "customer lookup of the records")?;
        if lookup.customer_count() != self.slots.len() {
            return Err(Error::LengthMismatch {
                what: "customer lookup",
                expected: self.slots.len(),
                found: lookup.customer_count(),
            });
        }
        let owner = Owner {
            low: 0,
            slots: &mut self.slots,
            more: &mut self.more,
            extra: self.words - 1,
            counts_unknown: true,
        };
        let report = scan_owned::<true, _, _>(&self.params, owner, lookup, records, first_row)
            .map_err(|(_, e)| e)?;
        self.report.add(&report);
        Ok(())
    }

    /// Merges counts of another chunk of activity for the same cohorts and settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the two were built for different cohorts or settings.
    pub fn merge(&mut self, other: &RetentionCounts) -> Result<()> {
        if !self.params.same_counts(&other.params)
            || self.universe != other.universe
            || self.words != other.words
            || self.slots.len() != other.slots.len()
            || self.labels != other.labels
            || self.sizes != other.sizes
            || self
                .slots
                .iter()
                .zip(&other.slots)
                .any(|(a, b)| (a.signup, a.cohort) != (b.signup, b.cohort))
        {
            return Err(Error::InvalidParameter {
                name: "other",
                reason: "retention counts of different cohorts or settings cannot merge: build \
                         both from the same Cohorts and RetentionParams"
                    .into(),
            });
        }
        self.or_bits(other);
        Ok(())
    }

    /// The union of the bits and the sum of the reports, for counts known to share cohorts and
    /// settings.
    fn or_bits(&mut self, other: &RetentionCounts) {
        for (a, b) in self.slots.iter_mut().zip(&other.slots) {
            a.bits |= b.bits;
        }
        for (a, b) in self.more.iter_mut().zip(&other.more) {
            *a |= b;
        }
        self.report.add(&other.report);
    }

    /// What was left out so far.
    #[must_use]
    pub fn report(&self) -> RetentionReport {
        self.report
    }

    /// The retention matrix in `mode`.
    #[must_use]
    pub fn matrix(&self, mode: RetentionMode) -> RetentionMatrix {
        let extra = self.words - 1;
        let k = self.labels.len();
        let p = self.periods;
        // Customers [first, first + slots.len()) counted into (retained, reach).
        let count = |first: usize, slots: &[Slot]| {
            let members = slots
                .iter()
                .enumerate()
                .filter(|(_, slot)| slot.signup != NOT_MEMBER)
                .map(|(i, slot)| {
                    let i = first + i;
                    (
                        slot.cohort as usize,
                        slot.signup,
                        slot.bits,
                        &self.more[i * extra..(i + 1) * extra],
                    )
                });
            count_members(&self.params, mode, (k, p, self.words), members)
        };
        let (retained, reach) = if par::threads() == 1 {
            count(0, &self.slots)
        } else {
            // Blocks of customers counted at once; integer counts, so the sum in block order is
            // the serial one.
            const CHUNK: usize = 1 << 16;
            let mut retained = vec![0; k * p];
            let mut reach = vec![0; k * (p + 1)];
            for (r, h) in par::map_chunks(&self.slots, CHUNK, |c, slots| count(c * CHUNK, slots)) {
                retained.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                reach.iter_mut().zip(h).for_each(|(a, b)| *a += b);
            }
            (retained, reach)
        };
        // eligible[c][q] = members whose last observable period is >= q.
        let mut eligible = vec![0u64; k * p];
        for c in 0..k {
            let mut running = 0u64;
            for q in (0..p).rev() {
                running += reach[c * (p + 1) + q + 1];
                eligible[c * p + q] = running;
            }
        }
        RetentionMatrix {
            mode,
            labels: self.labels.clone(),
            sizes: self.sizes.clone(),
            periods: p,
            retained,
            eligible,
            report: self.report,
        }
    }
}

/// Counts members `(cohort, signup day, first 64 bits, further bits)` of `k` cohorts over `p`
/// periods: the retained customers per cell, and per cohort how many members' last observable
/// period is each h (`reach[c * (p + 1) + h + 1]`, h = -1 too).
fn count_members<'a>(
    params: &RetentionParams,
    mode: RetentionMode,
    (k, p, words): (usize, usize, usize),
    members: impl Iterator<Item = (usize, i32, u64, &'a [u64])>,
) -> (Vec<u64>, Vec<u64>) {
    let mut retained = vec![0u64; k * p];
    // reach[c * (p + 1) + h + 1]: members whose last observable period is h (h = -1 too).
    let mut reach = vec![0u64; k * (p + 1)];
    let signup_bit = params.signup_is_activity;
    let analysis = params.analysis_date;
    let placer = Placer::new(params);
    let mut tally = BitTally::new(k, words, p);
    for (c, signup, first, more) in members {
        let h = match &params.windows {
            // The last observable grid period is one for everybody: no per-customer calendar.
            Windows::Grid(_) if signup <= analysis.days() => {
                placer.grid_limit - placer.indexer.index(signup)
            }
            windows => windows.horizon(
                Date::from_valid_days(signup),
                analysis,
                params.partial_periods,
            ),
        }
        .min(p as i32 - 1);
        reach[c * (p + 1) + (h + 1).max(0) as usize] += 1;
        if h < 0 {
            continue;
        }
        // The member's period words, first to last (signup counted in period 0 when asked).
        let first = if signup_bit && mode == RetentionMode::Recurring {
            first | 1
        } else {
            first
        };
        let words = std::iter::once(first).chain(more.iter().copied());
        match mode {
            RetentionMode::Recurring => {
                for (w, word) in words.enumerate() {
                    tally.add(c, w, word);
                }
            }
            RetentionMode::Unbounded => {
                // Every period up to the last active one.
                let last = words
                    .enumerate()
                    .filter(|&(_, word)| word != 0)
                    .last()
                    .map(|(w, word)| w * 64 + 63 - word.leading_zeros() as usize)
                    .or(signup_bit.then_some(0));
                if let Some(l) = last {
                    for w in 0..l / 64 {
                        tally.add(c, w, u64::MAX);
                    }
                    tally.add(c, l / 64, u64::MAX >> (63 - l % 64));
                }
            }
            RetentionMode::FirstTime => {
                if let Some((w, word)) = words.enumerate().find(|&(_, word)| word != 0) {
                    tally.add(c, w, word & word.wrapping_neg());
                }
            }
        }
        tally.member_done(c, &mut retained);
    }
    tally.finish(&mut retained);
    (retained, reach)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::Grid;
    use crate::ids::DenseCustomers;
    use crate::{CustomerId, Period};

    #[test]
    fn the_bit_tally_counts_every_position() {
        // Three cohorts, 130 periods (three words), far more than 255 members per cohort.
        let (k, words, p) = (3, 3, 130);
        let mut rng = crate::random::SeededRng::new(3);
        let mut tally = BitTally::new(k, words, p);
        let mut counted = vec![0u64; k * p];
        let mut expected = vec![0u64; k * p];
        for _ in 0..2_000 {
            let c = rng.below(k as u64) as usize;
            for w in 0..words {
                let mut word = rng.next_u64() & rng.next_u64();
                if w == words - 1 {
                    word &= (1 << (p - 128)) - 1;
                }
                tally.add(c, w, word);
                for b in 0..64 {
                    if word >> b & 1 == 1 {
                        expected[c * p + w * 64 + b] += 1;
                    }
                }
            }
            tally.member_done(c, &mut counted);
        }
        tally.finish(&mut counted);
        assert_eq!(counted, expected);
    }

    #[test]
    fn the_matrix_counted_in_chunks_equals_one_count() {
        // More customers than one chunk of the parallel count, over 70 monthly periods (so the
        // further bit words are used too).
        let start = Date::from_ymd(2019, 1, 1).expect("date");
        let n = 150_000u32;
        let signups: Vec<(CustomerId, Date)> = (0..n)
            .map(|c| {
                (
                    CustomerId(c),
                    start.add_days(i64::from(c % 400)).expect("date"),
                )
            })
            .collect();
        let events: Vec<(CustomerId, Date)> = (0..400_000u32)
            .map(|i| {
                let c = i.wrapping_mul(2_654_435_761) % n;
                let offset = i64::from(i % 2_100);
                (
                    CustomerId(c),
                    signups[c as usize].1.add_days(offset).expect("date"),
                )
            })
            .collect();
        let lookup = DenseCustomers::new(n as usize);
        let cohorts =
            Cohorts::by_signup(&lookup, &signups, Grid::Calendar(Period::Month)).expect("ok");
        let params = RetentionParams::new(Date::from_ymd(2025, 12, 31).expect("date"));
        let mut counts = RetentionCounts::new(&cohorts, &params).expect("counts");
        counts.add(&lookup, &events).expect("add");
        assert!(counts.words > 1);
        for mode in [
            RetentionMode::Recurring,
            RetentionMode::Unbounded,
            RetentionMode::FirstTime,
        ] {
            let extra = counts.words - 1;
            let members = counts
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.signup != NOT_MEMBER)
                .map(|(i, s)| {
                    (
                        s.cohort as usize,
                        s.signup,
                        s.bits,
                        &counts.more[i * extra..(i + 1) * extra],
                    )
                });
            let (retained, _) = count_members(
                &counts.params,
                mode,
                (counts.labels.len(), counts.periods, counts.words),
                members,
            );
            assert_eq!(counts.matrix(mode).retained, retained, "{mode:?}");
        }
    }
}
