//! Subscriptions as billing systems export them (start, end, MRR) turned into the monthly MRR
//! rows the revenue analyses take, under an explicit snapshot rule, with overlapping
//! subscriptions of a customer summed.

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::date::{Date, Period};
use crate::error::{ensure_finite, Error, Result};
use crate::records::MrrRecord;

/// One subscription interval: MRR from `start` (included) to `end` (excluded; `None` while
/// it runs).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Subscription<K> {
    /// The customer's key.
    pub customer: K,
    /// The first day billed.
    pub start: Date,
    /// The first day no longer billed (the cancellation's effective date); `None` while active.
    pub end: Option<Date>,
    /// The monthly recurring revenue while active.
    pub mrr: f64,
}

impl<K> Subscription<K> {
    /// A subscription of `customer` billed `mrr` a month from `start` until `end`.
    pub fn new(customer: K, start: Date, end: Option<Date>, mrr: f64) -> Self {
        Subscription {
            customer,
            start,
            end,
            mrr,
        }
    }
}

/// Which MRR a month gets from the subscriptions active during it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SnapshotRule {
    /// The MRR active on the month's first day (ChartMogul's and most billing exports'
    /// month-start snapshot). Default.
    #[default]
    MonthStart,
    /// The MRR active on the month's last day (end-of-month reporting).
    MonthEnd,
    /// Each subscription's MRR times the share of the month's days it was active (daily
    /// proration, revenue recognised in the month).
    Prorated,
}

/// The most customer-months one call expands (each subscription yields one per month it spans,
/// about 50 bytes each while summing): 8.4 million, say 100,000 customers over 7 years.
pub const MAX_MONTHLY_ROWS: usize = 1 << 23;

/// Monthly MRR rows, one per customer and month that a subscription of the customer touches
/// (up to `through`'s month), summed over overlapping subscriptions under `rule`, ordered by
/// customer key and month. Leading and trailing months of 0 are left out; a month no
/// subscription touches has no row, which the MRR analyses read as 0 (churn, then reactivation
/// when a later subscription starts).
///
/// ```
/// use saas_segmentation::economics::{monthly_mrr, SnapshotRule, Subscription};
///
/// let d = |s: &str| s.parse::<saas_segmentation::Date>();
/// let subs = [
///     Subscription::new("acme", d("2024-01-15")?, Some(d("2024-04-01")?), 100.0),
///     Subscription::new("acme", d("2024-03-01")?, None, 40.0), // an add-on
/// ];
/// let rows = monthly_mrr(&subs, SnapshotRule::MonthStart, d("2024-04-30")?)?;
/// let mrr: Vec<f64> = rows.iter().map(|r| r.mrr).collect();
/// assert_eq!(mrr, [100.0, 140.0, 40.0]); // February, March, April
/// let prorated = monthly_mrr(&subs, SnapshotRule::Prorated, d("2024-04-30")?)?;
/// assert!((prorated[0].mrr - 100.0 * 17.0 / 31.0).abs() < 1e-12); // 17 of January's 31 days
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// ```text
/// MonthStart: mrr of subscriptions with start <= first day < end
/// MonthEnd:   mrr of subscriptions with start <= last day < end
/// Prorated:   sum of mrr x (days of the month in [start, end)) / (days in the month)
/// ```
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite MRR and [`Error::OutOfRange`] for a negative
/// one or one above 2.2 billion, or an end before the start (each naming the row); [`Error::InvalidParameter`] when the
/// rows would exceed [`MAX_MONTHLY_ROWS`] (subscriptions starting centuries before `through`).
///
/// Reference: the three rules equal a pandas expansion of the intervals into days
/// (`tests/fixtures/generate.py intervals`).
pub fn monthly_mrr<K: Ord + Clone + Debug>(
    subscriptions: &[Subscription<K>],
    rule: SnapshotRule,
    through: Date,
) -> Result<Vec<MrrRecord<K>>> {
    let last_month = Period::Month.index(through);
    let mut rows = 0usize;
    for (row, s) in subscriptions.iter().enumerate() {
        let name = || format!("subscription row {row} (customer {:?})", s.customer);
        ensure_finite(s.mrr, name, "mrr")?;
        if s.mrr < 0.0 {
            return Err(Error::OutOfRange {
                record: name(),
                field: "mrr".into(),
                value: s.mrr,
                expected: "an MRR of 0 or more (record credits as separate negative lines in \
                           the MRR rows)",
            });
        }
        if s.mrr > 2.2e9 {
            return Err(Error::OutOfRange {
                record: name(),
                field: "mrr".into(),
                value: s.mrr,
                expected: "an MRR within 2.2 billion per subscription (the MRR rows' bound)",
            });
        }
        if let Some(end) = s.end.filter(|&e| e < s.start) {
            return Err(Error::OutOfRange {
                record: name(),
                field: format!("end {end} (before the start {})", s.start),
                value: end.days_since(s.start) as f64,
                expected: "an end on or after the start",
            });
        }
        let first = Period::Month.index(s.start);
        let span = (last_month - first + 1).max(0) as usize;
        rows = rows.saturating_add(span);
    }
    if rows > MAX_MONTHLY_ROWS {
        return Err(Error::InvalidParameter {
            name: "subscriptions",
            reason: format!(
                "the intervals span {rows} customer-months, more than {MAX_MONTHLY_ROWS}: \
                 leave out subscriptions that ended long before the analysis"
            ),
        });
    }
    let mut sums: BTreeMap<(K, i32), f64> = BTreeMap::new();
    for s in subscriptions {
        let first = Period::Month.index(s.start);
        let end = s.end.map_or(i64::MAX, |e| i64::from(e.days()));
        let start = i64::from(s.start.days());
        for month in first..=last_month {
            let Ok(month_start) = Period::Month.start_of_index(month) else {
                continue;
            };
            let next = Period::Month
                .start_of_index(month + 1)
                .map_or(i64::from(Date::MAX.days()) + 1, |d| i64::from(d.days()));
            let (from, to) = (i64::from(month_start.days()), next);
            if from >= end {
                break;
            }
            let value = match rule {
                SnapshotRule::MonthStart => {
                    if start <= from && from < end {
                        s.mrr
                    } else {
                        0.0
                    }
                }
                SnapshotRule::MonthEnd => {
                    let last = to - 1;
                    if start <= last && last < end {
                        s.mrr
                    } else {
                        0.0
                    }
                }
                SnapshotRule::Prorated => {
                    let active = (to.min(end) - from.max(start)).max(0);
                    s.mrr * active as f64 / (to - from) as f64
                }
            };
            *sums.entry((s.customer.clone(), month)).or_insert(0.0) += value;
        }
    }
    // Drop each customer's leading and trailing zero months; keep zeros in between.
    let mut out: Vec<MrrRecord<K>> = Vec::with_capacity(sums.len());
    let mut run: Vec<MrrRecord<K>> = Vec::new();
    let mut current: Option<K> = None;
    let flush = |run: &mut Vec<MrrRecord<K>>, out: &mut Vec<MrrRecord<K>>| {
        let first = run.iter().position(|r| r.mrr > 0.0);
        let last = run.iter().rposition(|r| r.mrr > 0.0);
        if let (Some(a), Some(b)) = (first, last) {
            out.extend(run.drain(..).skip(a).take(b - a + 1));
        }
        run.clear();
    };
    for ((customer, month), mrr) in sums {
        if current.as_ref() != Some(&customer) {
            flush(&mut run, &mut out);
            current = Some(customer.clone());
        }
        let month = Period::Month.start_of_index(month)?;
        run.push(MrrRecord::new(customer, month, mrr));
    }
    flush(&mut run, &mut out);
    Ok(out)
}
