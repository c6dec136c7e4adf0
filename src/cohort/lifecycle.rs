//! Lifecycle of the active base per period (new, returning, resurrecting, dormant) and
//! stickiness (active days per period).

use std::fmt::Debug;

use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::records::CustomerDate;

use super::assign::Grid;

/// Settings of [`lifecycle`] and [`stickiness`]: the analysis date (required: no clock is read),
/// the grid of lifecycle periods and the period stickiness counts active days in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ActivityParams {
    analysis_date: Date,
    grid: Grid,
    period: Period,
}

impl ActivityParams {
    /// Settings for `analysis_date`, with calendar months for both analyses.
    #[must_use]
    pub fn new(analysis_date: Date) -> Self {
        ActivityParams {
            analysis_date,
            grid: Grid::Calendar(Period::Month),
            period: Period::Month,
        }
    }

    /// The periods of [`lifecycle`]. Default: `Grid::Calendar(Period::Month)`.
    #[must_use]
    pub fn grid(mut self, grid: Grid) -> Self {
        self.grid = grid;
        self
    }

    /// The period [`stickiness`] counts active days in (a week or more). Default: month.
    #[must_use]
    pub fn period(mut self, period: Period) -> Self {
        self.period = period;
        self
    }

    /// The analysis date.
    #[must_use]
    pub fn analysis_date(&self) -> Date {
        self.analysis_date
    }
}

/// Sorted distinct (customer, day) pairs of `records` up to `analysis`.
fn active_days<K: Debug, R: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    records: &[R],
    analysis: Date,
) -> Result<Vec<u64>> {
    if records.is_empty() {
        return Err(Error::EmptyInput {
            what: "activity records",
            item: "activity record (customer, date)",
        });
    }
    let mut pairs = Vec::with_capacity(records.len());
    for (row, r) in records.iter().enumerate() {
        let id = lookup
            .lookup(r.customer())
            // An id past the count (a faulty lookup) is as unknown as a missing one.
            .filter(|id| id.index() < lookup.customer_count())
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("activity row {row}"),
                customer: format!("{:?}", r.customer()),
            })?;
        if r.date() > analysis {
            return Err(Error::OutOfRange {
                record: format!("activity row {row} (customer {:?})", r.customer()),
                field: format!(
                    "date {} ({} days after the analysis date {analysis})",
                    r.date(),
                    r.date().days() - analysis.days()
                ),
                value: f64::from(r.date().days() - analysis.days()),
                expected: "a date on or before the analysis date: leave later rows out or move \
                           the analysis date",
            });
        }
        // Days shifted to be non-negative so the pair sorts as one integer.
        let day = (i64::from(r.date().days()) - i64::from(Date::MIN.days())) as u64;
        pairs.push((u64::from(id.0) << 32) | day);
    }
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

fn day_of(pair: u64) -> Date {
    Date::from_days((pair & 0xFFFF_FFFF) as i64 + i64::from(Date::MIN.days())).unwrap_or(Date::MIN)
}

/// The active base of one period split by where each customer came from (PostHog's lifecycle).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LifecyclePeriod {
    /// The period's label.
    pub label: String,
    /// The period's first day.
    pub start: Date,
    /// Active for the first time.
    pub new: u64,
    /// Active in this period and the previous one.
    pub returning: u64,
    /// Active now, not in the previous period, but at some earlier time.
    pub resurrecting: u64,
    /// Active in the previous period but not in this one (PostHog plots it negative).
    pub dormant: u64,
}

impl LifecyclePeriod {
    /// Customers active in the period: new + returning + resurrecting.
    #[must_use]
    pub fn active(&self) -> u64 {
        self.new + self.returning + self.resurrecting
    }
}

/// Lifecycle per period of `grid` from the first active period to the one holding `analysis`.
///
/// ```text
/// new: first activity ever in t          returning: active in t - 1 and t
/// resurrecting: active in t, not t - 1, active before   dormant: active in t - 1, not t
/// ```
///
/// # Errors
/// [`Error::EmptyInput`] without records, [`Error::UnknownCustomer`], [`Error::OutOfRange`] for
/// activity after the analysis date, [`Error::InvalidParameter`] for a 0-day grid or more than
/// 100,000 periods.
///
/// Reference: PostHog's lifecycle insight (new, returning, resurrecting, dormant).
///
/// ```
/// use saas_segmentation::cohort::{lifecycle, ActivityParams};
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let d = |s: &str| s.parse::<Date>();
/// let index = CustomerIndex::from_keys(["a", "b"])?;
/// let log = [("a", d("2024-01-05")?), ("a", d("2024-02-05")?), ("b", d("2024-01-09")?),
///            ("b", d("2024-03-01")?)];
/// let periods = lifecycle(&index, &log, &ActivityParams::new(d("2024-03-31")?))?;
/// assert_eq!((periods[0].new, periods[1].returning, periods[1].dormant), (2, 1, 1));
/// assert_eq!((periods[2].resurrecting, periods[2].dormant), (1, 1));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
pub fn lifecycle<K: Debug, R: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    records: &[R],
    params: &ActivityParams,
) -> Result<Vec<LifecyclePeriod>> {
    let (grid, analysis) = (params.grid, params.analysis_date);
    grid.validate()?;
    let pairs = active_days(lookup, records, analysis)?;
    let first = pairs
        .iter()
        .map(|&p| grid.index(day_of(p)))
        .min()
        .unwrap_or(0);
    let last = grid.index(analysis);
    let count = (last - first + 1) as usize;
    if count > 100_000 {
        return Err(Error::InvalidParameter {
            name: "grid",
            reason: format!("{count} periods: use a coarser grid (at most 100,000)"),
        });
    }
    let mut out: Vec<LifecyclePeriod> = (first..=last)
        .map(|i| LifecyclePeriod {
            label: grid.label(i),
            start: grid.start_of(i).unwrap_or(Date::MIN),
            new: 0,
            returning: 0,
            resurrecting: 0,
            dormant: 0,
        })
        .collect();
    let mut i = 0;
    while i < pairs.len() {
        let customer = pairs[i] >> 32;
        let mut previous: Option<i32> = None;
        while i < pairs.len() && pairs[i] >> 32 == customer {
            let t = grid.index(day_of(pairs[i]));
            i += 1;
            if previous == Some(t) {
                continue;
            }
            let slot = (t - first) as usize;
            match previous {
                None => out[slot].new += 1,
                Some(p) if p == t - 1 => out[slot].returning += 1,
                Some(p) => {
                    out[slot].resurrecting += 1;
                    out[(p + 1 - first) as usize].dormant += 1;
                }
            }
            previous = Some(t);
        }
        if let Some(p) = previous {
            if p < last {
                out[(p + 1 - first) as usize].dormant += 1;
            }
        }
    }
    Ok(out)
}

/// Stickiness of one period: how many days active customers were active.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StickinessPeriod {
    /// The period's label.
    pub label: String,
    /// Days in the period (up to the analysis date for the last one).
    pub days: u32,
    /// `histogram[d - 1]`: customers active on exactly d days of the period.
    pub histogram: Vec<u64>,
    /// Customers active at least once in the period.
    pub active: u64,
    /// Mean daily active customers over the period's days.
    pub mean_daily_active: f64,
}

impl StickinessPeriod {
    /// Mean daily active over period active customers (DAU/MAU for monthly periods, DAU/WAU for
    /// weeks); `None` without active customers.
    #[must_use]
    pub fn ratio(&self) -> Option<f64> {
        (self.active > 0).then(|| self.mean_daily_active / self.active as f64)
    }
}

/// Stickiness per calendar period from the first active period to the one holding `analysis`:
/// the histogram of active days per customer and the DAU/MAU-style ratio.
///
/// # Errors
/// As [`lifecycle`]; [`Error::InvalidParameter`] for [`Period::Day`] (a day has one day).
///
/// ```
/// use saas_segmentation::cohort::{stickiness, ActivityParams};
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let d = |s: &str| s.parse::<Date>();
/// let index = CustomerIndex::from_keys(["a", "b"])?;
/// let log = [("a", d("2024-02-01")?), ("a", d("2024-02-02")?), ("b", d("2024-02-02")?)];
/// let weeks = stickiness(&index, &log, &ActivityParams::new(d("2024-02-29")?))?;
/// assert_eq!(weeks[0].histogram[..2], [1, 1]);
/// assert_eq!(weeks[0].mean_daily_active, 3.0 / 29.0);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
pub fn stickiness<K: Debug, R: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    records: &[R],
    params: &ActivityParams,
) -> Result<Vec<StickinessPeriod>> {
    let (period, analysis) = (params.period, params.analysis_date);
    if period == Period::Day {
        return Err(Error::InvalidParameter {
            name: "period",
            reason: "stickiness counts active days within a longer period: use a week or more"
                .into(),
        });
    }
    let pairs = active_days(lookup, records, analysis)?;
    let first = pairs
        .iter()
        .map(|&p| period.index(day_of(p)))
        .min()
        .unwrap_or(0);
    let last = period.index(analysis);
    let count = (last - first + 1) as usize;
    if count > 100_000 {
        return Err(Error::InvalidParameter {
            name: "period",
            reason: format!("{count} periods: use a coarser period (at most 100,000)"),
        });
    }
    let mut out = Vec::with_capacity(count);
    for index in first..=last {
        let start = period.start_of_index(index)?;
        let end = period
            .start_of_index(index + 1)
            .map_or(Date::MAX, |d| d)
            .days()
            .min(analysis.days() + 1);
        let days = (end - start.days()) as u32;
        out.push(StickinessPeriod {
            label: period.label(start),
            days,
            histogram: vec![0; days as usize],
            active: 0,
            mean_daily_active: 0.0,
        });
    }
    let mut i = 0;
    while i < pairs.len() {
        let customer = pairs[i] >> 32;
        let t = period.index(day_of(pairs[i]));
        let mut run = 0usize;
        while i < pairs.len() && pairs[i] >> 32 == customer && period.index(day_of(pairs[i])) == t {
            run += 1;
            i += 1;
        }
        let slot = &mut out[(t - first) as usize];
        slot.histogram[run - 1] += 1;
        slot.active += 1;
        slot.mean_daily_active += run as f64;
    }
    for slot in &mut out {
        slot.mean_daily_active /= f64::from(slot.days.max(1));
    }
    Ok(out)
}
