//! Logo retention: who of each cohort was active in each period after signup.

use std::fmt::Debug;

use crate::date::Date;
use crate::error::{Error, Result};

use super::assign::{Grid, GridIndexer};

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
            Windows::Rolling { days } if *days > super::MAX_WINDOW_DAYS => {
                Err(Error::InvalidParameter {
                    name: "days",
                    reason: format!(
                        "a rolling window of {days} days is longer than the calendar ({} days): \
                         use at most that",
                        super::MAX_WINDOW_DAYS
                    ),
                })
            }
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
                    if to > super::MAX_WINDOW_DAYS {
                        return Err(Error::InvalidParameter {
                            name: "brackets",
                            reason: format!(
                                "bracket ({from}, {to}) ends past the calendar ({} days): end \
                                 brackets at most that many days after signup",
                                super::MAX_WINDOW_DAYS
                            ),
                        });
                    }
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
    pub(crate) fn horizon(&self, signup: Date, analysis: Date, partial: bool) -> i32 {
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

/// What to do with an activity record outside its customer's window (before signup, after the
/// analysis date, of an unknown customer): the crate's one bad-row policy,
/// [`BadRows`](crate::records::BadRows) (`Drop` leaves it out and counts it in the
/// [`RetentionReport`]).
pub type OutOfWindow = crate::records::BadRows;

/// Settings of a retention analysis. The analysis date is required: no clock is read.
///
/// Loading through `Deserialize` runs [`RetentionParams::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RetentionParams {
    pub(crate) analysis_date: Date,
    pub(crate) windows: Windows,
    pub(crate) signup_is_activity: bool,
    pub(crate) partial_periods: bool,
    pub(crate) before_signup: OutOfWindow,
    pub(crate) after_analysis: OutOfWindow,
    pub(crate) unknown_customers: OutOfWindow,
    pub(crate) mode: RetentionMode,
}

checked_serde!(RetentionParams, RetentionParams::validate);

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
            mode: RetentionMode::Recurring,
        }
    }

    /// What a retained cell counts, for [`RetentionMatrix::compute`](super::RetentionMatrix::compute).
    /// Default: [`RetentionMode::Recurring`]. Counts of one scan give every mode
    /// ([`RetentionCounts::matrix`](super::RetentionCounts::matrix)), so the mode never
    /// keeps two counts from merging.
    #[must_use]
    pub fn mode(mut self, mode: RetentionMode) -> Self {
        self.mode = mode;
        self
    }

    /// The retention mode.
    #[must_use]
    pub fn retention_mode(&self) -> RetentionMode {
        self.mode
    }

    /// Whether two settings give the same counts (everything but the mode agrees).
    pub(crate) fn same_counts(&self, other: &RetentionParams) -> bool {
        RetentionParams {
            mode: other.mode,
            ..self.clone()
        } == *other
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
        self.records = self.records.saturating_add(other.records);
        self.before_signup = self.before_signup.saturating_add(other.before_signup);
        self.after_analysis = self.after_analysis.saturating_add(other.after_analysis);
        self.unknown_customers = self
            .unknown_customers
            .saturating_add(other.unknown_customers);
        self.unobservable = self.unobservable.saturating_add(other.unobservable);
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
    pub(crate) windows: &'a Windows,
    /// For grid windows: the last grid index whose period is observable.
    pub(crate) grid_limit: i32,
    pub(crate) indexer: GridIndexer,
    pub(crate) analysis: i32,
    pub(crate) partial: bool,
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

/// The most period bits kept per customer; more periods (years of days) need a coarser grid.
pub(crate) const MAX_PERIODS: usize = 1 << 16;

/// The number of periods (columns) a matrix needs for customers who signed up on `signups`.
pub(crate) fn period_count(
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
                field: format!(
                    "date {date} ({} days before the customer's signup {})",
                    signup - date.days(),
                    Date::from_valid_days(signup)
                ),
                value: f64::from(signup - date.days()),
                expected: "a date on or after the customer's signup; \
                           RetentionParams::before_signup(OutOfWindow::Drop) drops such rows",
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
        field: format!(
            "date {date} ({} days after the analysis date {})",
            date.days() - params.analysis_date.days(),
            params.analysis_date
        ),
        value: f64::from(date.days() - params.analysis_date.days()),
        expected: "a date on or before the analysis date; \
                   RetentionParams::after_analysis(OutOfWindow::Drop) drops such rows",
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
