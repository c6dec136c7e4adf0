//! Logo retention: who of each cohort was active in each period after signup.

use std::fmt::Debug;

use crate::date::Date;
use crate::engine::par;
use crate::engine::retention_scan::{self, scan_owned, BitTally, Owner, Slot, NOT_MEMBER};
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::records::CustomerDate;
use crate::universe::Universe;

use super::assign::{Cohorts, Grid, GridIndexer, NO_COHORT};

/// How an activity date maps to a period after signup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Windows {
    /// Periods of a grid: period p is the grid period `p` after the signup's (calendar months
    /// since the signup month; 2024-01-31 to 2024-02-01 is period 1).
    Grid(Grid),
    /// Rolling windows of `days` days from each customer's signup: period p holds days
    /// `[p * days, (p + 1) * days)` after it.
    Rolling {
        /// Days per window (at least 1).
        days: u32,
    },
    /// Custom brackets of days since signup (day 0 = the signup day), ascending and disjoint,
    /// both ends inclusive: `[(0, 0), (1, 1), (2, 7), (8, 30)]`. Days outside every bracket are
    /// not counted.
    Brackets(Vec<(u32, u32)>),
}

impl Windows {
    fn validate(&self) -> Result<()> {
        match self {
            Windows::Grid(grid) => grid.validate(),
            Windows::Rolling { days: 0 } => Err(Error::InvalidParameter {
                name: "days",
                reason: "a rolling window of 0 days is empty: use 1 or more".into(),
            }),
            Windows::Rolling { .. } => Ok(()),
            Windows::Brackets(brackets) => {
                if brackets.is_empty() || brackets.len() > 4096 {
                    return Err(Error::InvalidParameter {
                        name: "brackets",
                        reason: format!(
                            "{} brackets given: give 1 to 4096 day ranges",
                            brackets.len()
                        ),
                    });
                }
                let mut previous: Option<u32> = None;
                for &(from, to) in brackets {
                    if from > to || previous.is_some_and(|p| from <= p) {
                        return Err(Error::InvalidParameter {
                            name: "brackets",
                            reason: format!(
                                "bracket ({from}, {to}) is reversed or overlaps the one before: \
                                 give ascending, disjoint (from, to) day ranges"
                            ),
                        });
                    }
                    previous = Some(to);
                }
                Ok(())
            }
        }
    }

    /// The last period a customer who signed up on `signup` can be seen in by `analysis`
    /// (complete periods only unless `partial`); -1 when none.
    fn horizon(&self, signup: Date, analysis: Date, partial: bool) -> i32 {
        let elapsed = analysis.days() - signup.days();
        if elapsed < 0 {
            return -1;
        }
        match self {
            Windows::Grid(grid) => {
                let started = grid.index(analysis) - grid.index(signup);
                if partial || grid.ends_on(analysis) {
                    started
                } else {
                    started - 1
                }
            }
            Windows::Rolling { days } => {
                let days = *days as i32;
                if partial {
                    elapsed / days
                } else {
                    (elapsed + 1) / days - 1
                }
            }
            Windows::Brackets(brackets) => {
                let elapsed = elapsed as u32;
                brackets
                    .iter()
                    .take_while(|&&(from, to)| if partial { from } else { to } <= elapsed)
                    .count() as i32
                    - 1
            }
        }
    }
}

/// What a retention cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RetentionMode {
    /// Active in period p (Amplitude's N-day / bracket retention, PostHog's "recurring").
    #[default]
    Recurring,
    /// Active in period p or any later observable period (Amplitude's "unbounded" or rolling
    /// retention): a customer counts as retained until its last activity.
    Unbounded,
    /// First activity after signup falls in period p (the signup itself is not an activity here):
    /// when do new customers first come back.
    FirstTime,
}

/// What to do with activity the analysis cannot place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum OutOfWindow {
    /// Fail with an error naming the first such record (default).
    #[default]
    Reject,
    /// Leave it out and count it in the [`RetentionReport`].
    Drop,
}

/// Settings of a retention analysis. The analysis date is required: no clock is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionParams {
    analysis_date: Date,
    windows: Windows,
    signup_is_activity: bool,
    partial_periods: bool,
    before_signup: OutOfWindow,
    after_analysis: OutOfWindow,
    unknown_customers: OutOfWindow,
}

impl RetentionParams {
    /// Settings for an analysis on `analysis_date`, with calendar months since signup.
    #[must_use]
    pub fn new(analysis_date: Date) -> Self {
        RetentionParams {
            analysis_date,
            windows: Windows::Grid(Grid::Calendar(crate::Period::Month)),
            signup_is_activity: true,
            partial_periods: false,
            before_signup: OutOfWindow::Reject,
            after_analysis: OutOfWindow::Reject,
            unknown_customers: OutOfWindow::Reject,
        }
    }

    /// How activity dates map to periods. Default: `Windows::Grid(Grid::Calendar(Period::Month))`.
    #[must_use]
    pub fn windows(mut self, windows: Windows) -> Self {
        self.windows = windows;
        self
    }

    /// Whether the signup counts as activity in period 0 (so period-0 retention is 1).
    /// Default: true.
    #[must_use]
    pub fn signup_is_activity(mut self, yes: bool) -> Self {
        self.signup_is_activity = yes;
        self
    }

    /// Whether the period holding the analysis date counts although it has not ended (its cell
    /// then undercounts). Default: false: a cell is shown only once its period has ended.
    #[must_use]
    pub fn partial_periods(mut self, yes: bool) -> Self {
        self.partial_periods = yes;
        self
    }

    /// Activity dated before the customer's signup. Default: [`OutOfWindow::Reject`].
    #[must_use]
    pub fn before_signup(mut self, policy: OutOfWindow) -> Self {
        self.before_signup = policy;
        self
    }

    /// Activity dated after the analysis date. Default: [`OutOfWindow::Reject`].
    #[must_use]
    pub fn after_analysis(mut self, policy: OutOfWindow) -> Self {
        self.after_analysis = policy;
        self
    }

    /// Activity of customers in no cohort (no signup, or a key that left them out), or unknown
    /// to the lookup. Default: [`OutOfWindow::Reject`].
    #[must_use]
    pub fn unknown_customers(mut self, policy: OutOfWindow) -> Self {
        self.unknown_customers = policy;
        self
    }

    /// The analysis date.
    #[must_use]
    pub fn analysis_date(&self) -> Date {
        self.analysis_date
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for empty windows or bad brackets.
    pub fn validate(&self) -> Result<()> {
        self.windows.validate()
    }
}

/// What the analysis left out, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionReport {
    /// Activity records seen.
    pub records: u64,
    /// Dropped: before the customer's signup.
    pub before_signup: u64,
    /// Dropped: after the analysis date.
    pub after_analysis: u64,
    /// Dropped: customer in no cohort or unknown.
    pub unknown_customers: u64,
    /// Not counted: in a period that has not ended (see
    /// [`RetentionParams::partial_periods`]) or outside every bracket.
    pub unobservable: u64,
}

impl RetentionReport {
    pub(crate) fn add(&mut self, other: &RetentionReport) {
        self.records += other.records;
        self.before_signup += other.before_signup;
        self.after_analysis += other.after_analysis;
        self.unknown_customers += other.unknown_customers;
        self.unobservable += other.unobservable;
    }
}

/// Where one activity record falls for its customer.
pub(crate) enum Place {
    /// In period p, observable.
    Period(usize),
    /// Before the customer's signup.
    BeforeSignup,
    /// In a period that has not ended, or outside every bracket.
    Unobservable,
}

/// The per-event arithmetic of a retention analysis, precomputed from the settings.
pub(crate) struct Placer<'a> {
    windows: &'a Windows,
    /// For grid windows: the last grid index whose period is observable.
    grid_limit: i32,
    indexer: GridIndexer,
    analysis: i32,
    partial: bool,
}

impl<'a> Placer<'a> {
    pub(crate) fn new(params: &'a RetentionParams) -> Self {
        let analysis = params.analysis_date;
        let grid_limit = match &params.windows {
            Windows::Grid(grid) if !params.partial_periods && !grid.ends_on(analysis) => {
                grid.index(analysis) - 1
            }
            Windows::Grid(grid) => grid.index(analysis),
            _ => 0,
        };
        let indexer = match &params.windows {
            Windows::Grid(grid) => GridIndexer::new(*grid),
            _ => GridIndexer::new(Grid::Calendar(crate::Period::Day)),
        };
        Placer {
            indexer,
            windows: &params.windows,
            grid_limit,
            analysis: analysis.days(),
            partial: params.partial_periods,
        }
    }

    /// The period of activity on `day` of a customer who signed up on `signup` (both days since
    /// 1970-01-01, `day` not after the analysis date).
    #[inline(always)]
    pub(crate) fn place(&self, signup: i32, day: i32) -> Place {
        if day < signup {
            return Place::BeforeSignup;
        }
        let elapsed = day - signup;
        match self.windows {
            Windows::Grid(_) => {
                let at = self.indexer.index(day);
                if at > self.grid_limit {
                    Place::Unobservable
                } else {
                    Place::Period((at - self.indexer.index(signup)) as usize)
                }
            }
            Windows::Rolling { days } => {
                let days = *days as i32;
                let p = elapsed / days;
                let end = signup + (p + 1) * days - 1;
                if end > self.analysis && !self.partial {
                    Place::Unobservable
                } else {
                    Place::Period(p as usize)
                }
            }
            Windows::Brackets(brackets) => {
                let e = elapsed as u32;
                let i = brackets.partition_point(|&(_, to)| to < e);
                match brackets.get(i) {
                    Some(&(from, to)) if from <= e => {
                        if signup + to as i32 > self.analysis && !self.partial {
                            Place::Unobservable
                        } else {
                            Place::Period(i)
                        }
                    }
                    _ => Place::Unobservable,
                }
            }
        }
    }
}

/// Mergeable retention counts: per customer, the set of periods it was active in. Feed activity
/// in chunks with [`RetentionCounts::add`], combine partial counts with
/// [`RetentionCounts::merge`] (a union, so merging equals one pass), and read a
/// [`RetentionMatrix`] per mode.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

/// The most period bits kept per customer; more periods (years of days) need a coarser grid.
const MAX_PERIODS: usize = 1 << 16;

/// The number of periods (columns) a matrix needs for customers who signed up on `signups`.
fn period_count(
    windows: &Windows,
    analysis: Date,
    partial: bool,
    signups: impl Iterator<Item = i32>,
) -> Result<usize> {
    let mut periods = 0usize;
    let mut earliest: Option<i32> = None;
    for s in signups {
        earliest = Some(earliest.map_or(s, |e| e.min(s)));
    }
    if let Some(first) = earliest {
        // The earliest signup reaches furthest: horizons fall as signups get later.
        let h = windows.horizon(Date::from_valid_days(first), analysis, partial);
        periods = (h + 1).max(0) as usize;
    }
    if let Windows::Brackets(b) = windows {
        periods = periods.min(b.len());
    }
    if periods > MAX_PERIODS {
        return Err(Error::InvalidParameter {
            name: "windows",
            reason: format!(
                "{periods} periods from the first signup to the analysis date: at most \
                 {MAX_PERIODS} are kept, use a coarser grid or a later first signup"
            ),
        });
    }
    Ok(periods)
}

/// What one scan needs to know about the record that failed or was dropped.
fn record_name<K: Debug>(row: usize, key: &K) -> String {
    format!("activity row {row} (customer {key:?})")
}

/// Applies the policies to one placed record; `Ok(Some(p))` to count it.
#[inline]
pub(crate) fn admit<K: Debug>(
    params: &RetentionParams,
    report: &mut RetentionReport,
    place: Place,
    row: usize,
    key: &K,
    date: Date,
    signup: i32,
) -> Result<Option<usize>> {
    match place {
        Place::Period(p) => Ok(Some(p)),
        Place::Unobservable => {
            report.unobservable += 1;
            Ok(None)
        }
        Place::BeforeSignup => {
            if params.before_signup == OutOfWindow::Drop {
                report.before_signup += 1;
                return Ok(None);
            }
            Err(Error::OutOfRange {
                record: record_name(row, key),
                field: format!("date {date}"),
                value: f64::from(signup - date.days()),
                expected: "a date on or after the customer's signup (value: days before it)",
            })
        }
    }
}

/// The record is dated after the analysis date: drop it or fail.
pub(crate) fn after_analysis<K: Debug>(
    params: &RetentionParams,
    report: &mut RetentionReport,
    row: usize,
    key: &K,
    date: Date,
) -> Result<()> {
    if params.after_analysis == OutOfWindow::Drop {
        report.after_analysis += 1;
        return Ok(());
    }
    Err(Error::OutOfRange {
        record: record_name(row, key),
        field: format!("date {date}"),
        value: f64::from(date.days() - params.analysis_date.days()),
        expected: "a date on or before the analysis date (value: days after it)",
    })
}

/// The record's customer is unknown or in no cohort: drop it or fail.
pub(crate) fn unknown<K: Debug>(
    params: &RetentionParams,
    report: &mut RetentionReport,
    row: usize,
    key: &K,
) -> Result<()> {
    if params.unknown_customers == OutOfWindow::Drop {
        report.unknown_customers += 1;
        return Ok(());
    }
    Err(Error::UnknownCustomer {
        record: format!("activity row {row} (a customer needs a signup in a cohort)"),
        customer: format!("{key:?}"),
    })
}

impl RetentionCounts {
    /// Empty counts for `cohorts` under `params`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad windows, or more than 65,536 periods between the
    /// first signup and the analysis date (use a coarser grid).
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
    /// Under [`OutOfWindow::Reject`] (the default of each policy): [`Error::OutOfRange`] naming
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
    fn scan_all<K: Debug + Sync, R: CustomerDate<K> + Sync>(
        &mut self,
        lookup: &(impl CustomerLookup<K> + Sync),
        records: &[R],
    ) -> Result<()> {
        crate::universe::ensure_same(&self.universe, lookup, "customer lookup of the records")?;
        let threads = par::threads();
        if threads > 1 && records.len() >= 1 << 20 && !self.slots.is_empty() {
            // Each thread owns a range of customers and reads every record, keeping only its
            // own; of the errors, the one of the earliest row wins.
            let report = retention_scan::scan_in_threads(
                &self.params,
                &mut self.slots,
                &mut self.more,
                self.words - 1,
                lookup,
                records,
                threads,
            )?;
            self.report.add(&report);
            return Ok(());
        }
        self.scan(lookup, records, 0)
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
        if self.params != other.params
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

/// A cohort x period retention matrix: for each cohort and period after signup, how many
/// members were retained and how many could have been (members whose period had ended by the
/// analysis date). Cells nobody could reach yet are `None`, never 0.
///
/// ```text
/// rate(c, p)        = retained(c, p) / eligible(c, p)         (None when eligible = 0)
/// of_previous(c, p) = rate(c, p) / rate(c, p - 1)
/// average(p)        = sum_c retained(c, p) / sum_c eligible(c, p)   (cohorts that reached p)
/// ```
///
/// Reference: with calendar cohorts the rates equal a pandas pivot of distinct customers per
/// (cohort, period) over cohort size.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionMatrix {
    mode: RetentionMode,
    labels: Vec<String>,
    sizes: Vec<u64>,
    periods: usize,
    retained: Vec<u64>,
    eligible: Vec<u64>,
}

/// One cell of a retention matrix, as a row for a heatmap.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionCell {
    /// Cohort position.
    pub cohort: usize,
    /// Cohort label.
    pub label: String,
    /// Period after signup.
    pub period: usize,
    /// Members retained.
    pub retained: u64,
    /// Members that could be observed in the period.
    pub eligible: u64,
    /// `retained / eligible`, `None` when nobody could be observed.
    pub rate: Option<f64>,
}

impl RetentionMatrix {
    /// Computes the matrix in one call: counts of `records` for `cohorts` under `params`. With
    /// the `parallel` feature, inputs of 2^20 records or more are scanned in one chunk per rayon
    /// thread and merged; the result is the serial one.
    ///
    /// # Errors
    /// As [`RetentionCounts::new`] and [`RetentionCounts::add`].
    ///
    /// ```
    /// use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionMode, RetentionParams};
    /// use saas_segmentation::{CustomerIndex, Date, Period};
    ///
    /// let d = |s: &str| s.parse::<Date>();
    /// let index = CustomerIndex::from_keys(["a", "b", "c"])?;
    /// let signups = [("a", d("2024-01-10")?), ("b", d("2024-01-20")?), ("c", d("2024-02-03")?)];
    /// let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month))?;
    /// let activity = [("a", d("2024-02-11")?), ("a", d("2024-03-01")?), ("c", d("2024-03-09")?)];
    /// let params = RetentionParams::new(d("2024-03-31")?);
    /// let matrix = RetentionMatrix::compute(&index, &cohorts, &activity, &params, RetentionMode::Recurring)?;
    /// assert_eq!(matrix.labels(), ["2024-01", "2024-02"]);
    /// assert_eq!(matrix.rate(0, 1), Some(0.5)); // a came back in February
    /// assert_eq!(matrix.rate(1, 1), Some(1.0)); // c came back in March
    /// assert_eq!(matrix.rate(1, 2), None);      // April is not over
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    pub fn compute<K: Debug + Sync, R: CustomerDate<K> + Sync>(
        lookup: &(impl CustomerLookup<K> + Sync),
        cohorts: &Cohorts,
        records: &[R],
        params: &RetentionParams,
        mode: RetentionMode,
    ) -> Result<RetentionMatrix> {
        crate::universe::ensure_same(cohorts, lookup, "customer lookup of the records")?;
        let mut counts = RetentionCounts::new(cohorts, params)?;
        counts.scan_all(lookup, records)?;
        Ok(counts.matrix(mode))
    }

    /// The mode the cells count.
    #[must_use]
    pub fn mode(&self) -> RetentionMode {
        self.mode
    }

    /// Cohort labels (rows).
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Cohort sizes.
    #[must_use]
    pub fn sizes(&self) -> &[u64] {
        &self.sizes
    }

    /// The number of periods (columns): up to the last one any member could be observed in.
    #[must_use]
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// Members of cohort `cohort` retained in `period` (0 outside the matrix).
    #[must_use]
    pub fn retained(&self, cohort: usize, period: usize) -> u64 {
        self.cell(cohort, period).map_or(0, |i| self.retained[i])
    }

    /// Members of cohort `cohort` observable in `period` (0 outside the matrix).
    #[must_use]
    pub fn eligible(&self, cohort: usize, period: usize) -> u64 {
        self.cell(cohort, period).map_or(0, |i| self.eligible[i])
    }

    fn cell(&self, cohort: usize, period: usize) -> Option<usize> {
        (cohort < self.labels.len() && period < self.periods)
            .then(|| cohort * self.periods + period)
    }

    /// The share of observable members retained; `None` where nobody could be observed yet.
    #[must_use]
    pub fn rate(&self, cohort: usize, period: usize) -> Option<f64> {
        let i = self.cell(cohort, period)?;
        (self.eligible[i] > 0).then(|| self.retained[i] as f64 / self.eligible[i] as f64)
    }

    /// The rate as a share of the previous period's rate (`None` in period 0, where either is
    /// unobservable, or after a period with no one retained).
    #[must_use]
    pub fn of_previous(&self, cohort: usize, period: usize) -> Option<f64> {
        let previous = self.rate(cohort, period.checked_sub(1)?)?;
        let current = self.rate(cohort, period)?;
        (previous > 0.0).then(|| current / previous)
    }

    /// The weighted average curve: per period, retained over observable members summed over the
    /// cohorts that reached it; `None` where none did.
    #[must_use]
    pub fn average(&self) -> Vec<Option<f64>> {
        (0..self.periods)
            .map(|p| {
                let (r, e) = (0..self.labels.len()).fold((0u64, 0u64), |(r, e), c| {
                    let i = c * self.periods + p;
                    (r + self.retained[i], e + self.eligible[i])
                });
                (e > 0).then(|| r as f64 / e as f64)
            })
            .collect()
    }

    /// The rates as a dense table, rows = cohorts, `None` where unobservable.
    #[must_use]
    pub fn rates(&self) -> Vec<Vec<Option<f64>>> {
        (0..self.labels.len())
            .map(|c| (0..self.periods).map(|p| self.rate(c, p)).collect())
            .collect()
    }

    /// Every cell as a row for a heatmap, cohort-major.
    #[must_use]
    pub fn cells(&self) -> Vec<RetentionCell> {
        let mut out = Vec::with_capacity(self.retained.len());
        for (c, label) in self.labels.iter().enumerate() {
            for p in 0..self.periods {
                let i = c * self.periods + p;
                out.push(RetentionCell {
                    cohort: c,
                    label: label.clone(),
                    period: p,
                    retained: self.retained[i],
                    eligible: self.eligible[i],
                    rate: self.rate(c, p),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
