//! Time to first value: days from signup to the first completion of a key workflow, per
//! segment, and how it relates to retention.

use std::fmt::Debug;

use crate::activity::{Activity, ActivityEvent};
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::records::CustomerDate;
use crate::segmentation::Segmentation;
use crate::stats::{chi2_contingency, ChiSquareTest};
use crate::universe::PerCustomer;

use super::value::{wilson, Proportion};

/// Days from each customer's signup to its first completion of any of `workflows`, per
/// customer of `lookup` (`None`: no signup, or no completion yet).
///
/// # Errors
/// [`Error::UnknownCustomer`] for a record of a customer the lookup does not know,
/// [`Error::DuplicateName`] for two signups of one customer, [`Error::OutOfRange`] for a
/// completion before its customer's signup, [`Error::EmptyInput`] without workflows.
pub fn time_to_first_value<K: Debug, S: CustomerDate<K>, E: PartialEq>(
    lookup: &impl CustomerLookup<K>,
    signups: &[S],
    activity: &[Activity<K, E>],
    workflows: &[E],
) -> Result<PerCustomer<i64>> {
    if workflows.is_empty() {
        return Err(Error::EmptyInput {
            what: "key workflows",
            item: "workflow that delivers value",
        });
    }
    let signup: Vec<Option<crate::Date>> = crate::records::signup_days(lookup, signups)?
        .into_iter()
        .map(|d| (d != crate::records::NO_SIGNUP).then(|| crate::Date::from_valid_days(d)))
        .collect();
    let n = signup.len();
    let mut first: Vec<Option<i64>> = vec![None; n];
    for (row, a) in activity.iter().enumerate() {
        let ActivityEvent::Workflow(w) = &a.event else {
            continue;
        };
        if !workflows.contains(w) {
            continue;
        }
        let id = lookup
            .lookup(&a.customer)
            // An id past the count (a faulty lookup) is as unknown as a missing one.
            .filter(|id| id.index() < lookup.customer_count())
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("activity row {row}"),
                customer: format!("{:?}", a.customer),
            })?;
        let Some(s) = signup[id.index()] else {
            continue;
        };
        let days = a.date.days_since(s);
        if days < 0 {
            return Err(Error::OutOfRange {
                record: format!("activity row {row} (customer {:?})", a.customer),
                field: format!("date {}", a.date),
                value: days as f64,
                expected: "a completion on or after the customer's signup",
            });
        }
        let slot = &mut first[id.index()];
        *slot = Some(slot.map_or(days, |d| d.min(days)));
    }
    PerCustomer::new(lookup, first)
}

/// Time to value of one segment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentTimeToValue {
    /// Segment name.
    pub segment: String,
    /// Customers in the segment.
    pub customers: u64,
    /// Median days among those who reached value.
    pub median_days: Option<f64>,
    /// Share that reached value within the stated days (Wilson interval); `None` for an empty
    /// segment.
    pub reached_within: Option<Proportion>,
}

/// Per segment, the median time to value and the share reaching it within `days`.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when `ttfv` belongs to another customer set than the
/// segmentation; [`Error::InvalidParameter`] for a bad alpha.
pub fn time_to_value_by_segment(
    ttfv: &PerCustomer<i64>,
    segmentation: &Segmentation,
    days: i64,
    alpha: f64,
) -> Result<Vec<SegmentTimeToValue>> {
    segmentation.ensure_same(ttfv, "time to value per customer")?;
    let ttfv = ttfv.values();
    let k = segmentation.segment_count();
    let mut reached: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut within = vec![0u64; k];
    let mut sizes = vec![0u64; k];
    for (label, t) in segmentation.labels().iter().zip(ttfv) {
        let Some(s) = *label else { continue };
        sizes[s] += 1;
        if let Some(t) = t {
            reached[s].push(*t as f64);
            within[s] += u64::from(*t <= days);
        }
    }
    segmentation
        .segments()
        .iter()
        .enumerate()
        .map(|(s, d)| {
            let values = &mut reached[s];
            values.sort_by(f64::total_cmp);
            let median = (!values.is_empty()).then(|| {
                let m = values.len() / 2;
                if values.len() % 2 == 1 {
                    values[m]
                } else {
                    (values[m - 1] + values[m]) / 2.0
                }
            });
            Ok(SegmentTimeToValue {
                segment: d.name().to_owned(),
                customers: sizes[s],
                median_days: median,
                reached_within: (sizes[s] > 0)
                    .then(|| wilson(within[s], sizes[s], alpha))
                    .transpose()?,
            })
        })
        .collect()
}

/// Retention by how fast customers reached value.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionBySpeed {
    /// Bucket labels: `<= 7 days`, `8-30 days`, `> 30 days`, `never`.
    pub labels: Vec<String>,
    /// Retained share per bucket (`None` for an empty bucket).
    pub retained: Vec<Option<Proportion>>,
    /// Chi-square test of independence of bucket and retention over the non-empty buckets.
    pub test: Option<ChiSquareTest>,
}

/// Retention per time-to-value bucket (`cutoffs` ascending, in days; customers who never
/// reached value form the last bucket), with a chi-square test that retention depends on it.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when `retained` and `ttfv` belong to different customer
/// sets; [`Error::InvalidParameter`] for cutoffs that are empty or not ascending, or a bad
/// alpha.
pub fn retention_by_time_to_value(
    ttfv: &PerCustomer<i64>,
    retained: &PerCustomer<bool>,
    cutoffs: &[i64],
    alpha: f64,
) -> Result<RetentionBySpeed> {
    crate::universe::ensure_same(ttfv, retained, "retained flags")?;
    let (ttfv, retained) = (ttfv.values(), retained.values());
    if cutoffs.is_empty() || cutoffs.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::InvalidParameter {
            name: "cutoffs",
            reason: "give ascending day cutoffs, e.g. [7, 30]".into(),
        });
    }
    let buckets = cutoffs.len() + 2;
    let mut counts = vec![(0u64, 0u64); buckets];
    for (t, r) in ttfv.iter().zip(retained) {
        let Some(r) = r else { continue };
        let b = match t {
            Some(t) => cutoffs.partition_point(|&c| c < *t),
            None => buckets - 1,
        };
        counts[b].0 += u64::from(*r);
        counts[b].1 += 1;
    }
    let mut labels = Vec::with_capacity(buckets);
    for (i, &c) in cutoffs.iter().enumerate() {
        labels.push(match i {
            0 => format!("<= {c} days"),
            _ => format!("{}-{c} days", cutoffs[i - 1] + 1),
        });
    }
    labels.push(format!("> {} days", cutoffs[cutoffs.len() - 1]));
    labels.push("never".to_owned());
    let retained_share = counts
        .iter()
        .map(|&(r, n)| (n > 0).then(|| wilson(r, n, alpha)).transpose())
        .collect::<Result<Vec<_>>>()?;
    let table: Vec<f64> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .flat_map(|&(r, n)| [r as f64, (n - r) as f64])
        .collect();
    let rows = table.len() / 2;
    let test = if rows >= 2 {
        chi2_contingency(&table, rows, false).ok()
    } else {
        None
    };
    Ok(RetentionBySpeed {
        labels,
        retained: retained_share,
        test,
    })
}
