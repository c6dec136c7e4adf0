//! MRR movements (ChartMogul's five), the MRR bridge, churn rates, quick ratio and ARPA; NRR and
//! GRR over a window.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use crate::date::{Date, Period};
use crate::error::{ensure_finite, Error, Result};
use crate::ids::CustomerLookup;
use crate::records::MrrRecord;
use crate::segmentation::Segmentation;

use crate::mrr_series::{MrrParams, MrrSeries};

/// One subscription's MRR in one month (a customer may hold several).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubscriptionMrr<K, S> {
    /// Customer key.
    pub customer: K,
    /// Subscription key.
    pub subscription: S,
    /// A day of the month.
    pub month: Date,
    /// The subscription's MRR that month.
    pub mrr: f64,
}

/// Sums subscriptions into one [`MrrRecord`] per customer and month, ordered by customer key
/// and month: cancelling one of several subscriptions then shows as contraction, not churn
/// (ChartMogul's rule).
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite MRR; [`Error::DuplicateName`] for two rows of
/// one subscription in one month.
pub fn customer_mrr<K, S>(subscriptions: &[SubscriptionMrr<K, S>]) -> Result<Vec<MrrRecord<K>>>
where
    K: Hash + Eq + Clone + Ord + Debug,
    S: Hash + Eq + Clone + Debug,
{
    let mut seen: HashMap<(&K, &S, i32), usize> = HashMap::with_capacity(subscriptions.len());
    let mut sums: HashMap<(&K, i32), f64> = HashMap::new();
    for (row, s) in subscriptions.iter().enumerate() {
        ensure_finite(s.mrr, || format!("subscription row {row}"), "mrr")?;
        let month = Period::Month.index(s.month);
        if let Some(first) = seen.insert((&s.customer, &s.subscription, month), row) {
            return Err(Error::DuplicateName {
                what: "subscription month",
                name: format!(
                    "{:?} / {:?} in {} (rows {first} and {row})",
                    s.customer,
                    s.subscription,
                    Period::Month.label(s.month)
                ),
            });
        }
        *sums.entry((&s.customer, month)).or_insert(0.0) += s.mrr;
    }
    let mut out: Vec<(K, i32, f64)> = sums
        .into_iter()
        .map(|((k, m), v)| (k.clone(), m, v))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    out.into_iter()
        .map(|(k, m, v)| Ok(MrrRecord::new(k, Period::Month.start_of_index(m)?, v)))
        .collect()
}

/// The MRR bridge of one month.
///
/// ```text
/// start + new + expansion + reactivation - contraction - churn = end
/// new: MRR of customers paying for the first time      reactivation: paying again after 0
/// expansion / contraction: change of customers paying in both months
/// churn: last month's MRR of customers now at 0 (or without a row)
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MonthMovements {
    /// The first day of the month.
    pub month: Date,
    /// MRR at the end of the previous month.
    pub start_mrr: f64,
    /// New MRR.
    pub new: f64,
    /// Expansion MRR.
    pub expansion: f64,
    /// Contraction MRR (positive: the amount lost).
    pub contraction: f64,
    /// Churned MRR (positive: the amount lost).
    pub churn: f64,
    /// Reactivation MRR.
    pub reactivation: f64,
    /// MRR at the end of the month.
    pub end_mrr: f64,
    /// Paying customers at the start.
    pub customers_start: u64,
    /// Paying customers at the end.
    pub customers_end: u64,
    /// Customers paying for the first time.
    pub new_customers: u64,
    /// Customers who stopped paying.
    pub churned_customers: u64,
    /// Customers paying again.
    pub reactivated_customers: u64,
    /// Customers who expanded.
    pub expanded_customers: u64,
    /// Customers who contracted.
    pub contracted_customers: u64,
}

impl MonthMovements {
    fn empty(month: Date) -> Self {
        MonthMovements {
            month,
            start_mrr: 0.0,
            new: 0.0,
            expansion: 0.0,
            contraction: 0.0,
            churn: 0.0,
            reactivation: 0.0,
            end_mrr: 0.0,
            customers_start: 0,
            customers_end: 0,
            new_customers: 0,
            churned_customers: 0,
            reactivated_customers: 0,
            expanded_customers: 0,
            contracted_customers: 0,
        }
    }

    /// Net new MRR: new + expansion + reactivation - contraction - churn.
    #[must_use]
    pub fn net_new(&self) -> f64 {
        self.new + self.expansion + self.reactivation - self.contraction - self.churn
    }

    /// Gross MRR churn rate: (churn + contraction) / start MRR; `None` without start MRR (or
    /// with a start MRR so small, a few 1e-300, that the ratio overflows).
    #[must_use]
    pub fn gross_mrr_churn_rate(&self) -> Option<f64> {
        (self.start_mrr > 0.0)
            .then(|| (self.churn + self.contraction) / self.start_mrr)
            .filter(|r| r.is_finite())
    }

    /// Net MRR churn rate: (churn + contraction - expansion - reactivation) / start MRR
    /// (negative: net negative churn); `None` without start MRR (or when the ratio overflows).
    #[must_use]
    pub fn net_mrr_churn_rate(&self) -> Option<f64> {
        (self.start_mrr > 0.0)
            .then(|| {
                (self.churn + self.contraction - self.expansion - self.reactivation)
                    / self.start_mrr
            })
            .filter(|r| r.is_finite())
    }

    /// Net revenue retention over the month, of the MRR present at its start:
    /// `(start + expansion - contraction - churn) / start` (new and reactivated MRR excluded);
    /// `None` without start MRR (or when the ratio overflows).
    #[must_use]
    pub fn nrr(&self) -> Option<f64> {
        (self.start_mrr > 0.0)
            .then(|| {
                (self.start_mrr + self.expansion - self.contraction - self.churn) / self.start_mrr
            })
            .filter(|r| r.is_finite())
            .map(|r| r.max(0.0))
    }

    /// Gross revenue retention over the month: `(start - contraction - churn) / start`, in
    /// [0, 1]; `None` without start MRR.
    #[must_use]
    pub fn grr(&self) -> Option<f64> {
        (self.start_mrr > 0.0)
            .then(|| (self.start_mrr - self.contraction - self.churn) / self.start_mrr)
            .filter(|r| r.is_finite())
            .map(|r| r.clamp(0.0, 1.0))
    }

    /// Logo (customer) churn rate: churned customers / customers at the start.
    #[must_use]
    pub fn logo_churn_rate(&self) -> Option<f64> {
        (self.customers_start > 0)
            .then(|| self.churned_customers as f64 / self.customers_start as f64)
    }

    /// Quick ratio: (new + expansion + reactivation) / (churn + contraction); `None` when nothing
    /// was lost (or so little that the ratio overflows).
    #[must_use]
    pub fn quick_ratio(&self) -> Option<f64> {
        let lost = self.churn + self.contraction;
        (lost > 0.0)
            .then(|| (self.new + self.expansion + self.reactivation) / lost)
            .filter(|r| r.is_finite())
    }

    /// Average revenue per account at the end of the month.
    #[must_use]
    pub fn arpa(&self) -> Option<f64> {
        (self.customers_end > 0).then(|| self.end_mrr / self.customers_end as f64)
    }
}

/// MRR movements per month, from the month after the first record to the analysis month.
///
/// Reference: ChartMogul's definitions (new, expansion, contraction, churn, reactivation);
/// checked against a pandas implementation of the same bridge.
///
/// ```
/// use saas_segmentation::economics::{MrrMovements, MrrParams};
/// use saas_segmentation::records::MrrRecord;
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let m = |s: &str| format!("{s}-01").parse::<Date>();
/// let index = CustomerIndex::from_keys(["a", "b"])?;
/// let mrr = [
///     MrrRecord::new("a", m("2024-01")?, 100.0),
///     MrrRecord::new("a", m("2024-02")?, 120.0),
///     MrrRecord::new("b", m("2024-02")?, 50.0),
/// ];
/// let moves = MrrMovements::compute(&index, &mrr, &MrrParams::new(m("2024-03")?))?;
/// let feb = &moves.months()[0];
/// assert_eq!((feb.start_mrr, feb.expansion, feb.new, feb.end_mrr), (100.0, 20.0, 50.0, 170.0));
/// let mar = &moves.months()[1];
/// assert_eq!((mar.churn, mar.churned_customers, mar.end_mrr), (170.0, 2, 0.0));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MrrMovements {
    months: Vec<MonthMovements>,
}

impl MrrMovements {
    /// Movements of all customers.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without records; [`Error::UnknownCustomer`]; [`Error::NonFinite`];
    /// [`Error::OutOfRange`] for a negative MRR (under [`CreditPolicy::Reject`](crate::economics::CreditPolicy::Reject)) or a month
    /// after the analysis month; [`Error::DuplicateName`] for two rows of one customer and
    /// month.
    pub fn compute<K: Debug>(
        lookup: &impl CustomerLookup<K>,
        records: &[MrrRecord<K>],
        params: &MrrParams,
    ) -> Result<MrrMovements> {
        let series = params.series(lookup, records)?;
        Ok(Self::from_series(&series, |_| true))
    }

    /// Movements per segment (customers without a segment are left out), in segment order.
    ///
    /// # Errors
    /// As [`MrrMovements::compute`], and [`Error::CustomerSetMismatch`] when the segmentation
    /// is not over the lookup's customers.
    pub fn by_segment<K: Debug>(
        lookup: &impl CustomerLookup<K>,
        records: &[MrrRecord<K>],
        params: &MrrParams,
        segmentation: &Segmentation,
    ) -> Result<Vec<MrrMovements>> {
        segmentation.ensure_same(lookup, "index of the MRR records")?;
        let series = params.series(lookup, records)?;
        let labels = segmentation.labels();
        Ok((0..segmentation.segment_count())
            .map(|s| Self::from_series(&series, |c| labels[c] == Some(s)))
            .collect())
    }

    pub(crate) fn from_series(series: &MrrSeries, include: impl Fn(usize) -> bool) -> Self {
        let first = series.first_month;
        let count = (series.last_month - first) as usize;
        let mut months: Vec<MonthMovements> = (1..=count as i32)
            .map(|i| {
                MonthMovements::empty(Period::Month.start_of_index(first + i).unwrap_or(Date::MIN))
            })
            .collect();
        for c in 0..series.customers() {
            if !include(c) {
                continue;
            }
            let mut entries = series.of(c).peekable();
            let Some(&(start, _)) = entries.peek() else {
                continue;
            };
            let (mut previous, mut ever_paid) = (0.0f64, false);
            for month in start..=series.last_month {
                let current = match entries.peek() {
                    Some(&(m, v)) if m == month => {
                        entries.next();
                        v
                    }
                    _ => 0.0,
                };
                if month > first {
                    let slot = &mut months[(month - first - 1) as usize];
                    if previous > 0.0 {
                        slot.start_mrr += previous;
                        slot.customers_start += 1;
                    }
                    if current > 0.0 {
                        slot.end_mrr += current;
                        slot.customers_end += 1;
                    }
                    match (previous > 0.0, current > 0.0) {
                        (false, true) if ever_paid => {
                            slot.reactivation += current;
                            slot.reactivated_customers += 1;
                        }
                        (false, true) => {
                            slot.new += current;
                            slot.new_customers += 1;
                        }
                        (true, false) => {
                            slot.churn += previous;
                            slot.churned_customers += 1;
                        }
                        (true, true) if current > previous => {
                            slot.expansion += current - previous;
                            slot.expanded_customers += 1;
                        }
                        (true, true) if current < previous => {
                            slot.contraction += previous - current;
                            slot.contracted_customers += 1;
                        }
                        _ => {}
                    }
                }
                ever_paid |= current > 0.0;
                previous = current;
                if entries.peek().is_none() && current == 0.0 && month > start {
                    // Nothing more to see: the rest of the months are 0 to 0.
                    break;
                }
            }
        }
        MrrMovements { months }
    }

    /// The months, ascending.
    #[must_use]
    pub fn months(&self) -> &[MonthMovements] {
        &self.months
    }

    /// The mean logo churn rate of the last `months` months that had customers at their start
    /// (ChartMogul averages six), `None` when none had.
    #[must_use]
    pub fn trailing_logo_churn(&self, months: usize) -> Option<f64> {
        let rates: Vec<f64> = self
            .months
            .iter()
            .rev()
            .take(months)
            .filter_map(MonthMovements::logo_churn_rate)
            .collect();
        (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64)
    }
}

/// Net and gross revenue retention over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WindowRetention {
    /// Customers paying in the start month.
    pub customers: u64,
    /// Their MRR in the start month.
    pub start_mrr: f64,
    /// Their MRR in the end month.
    pub end_mrr: f64,
    /// Their end MRR, each capped at its start MRR.
    pub capped_mrr: f64,
    /// Of them, still paying at the end.
    pub retained_customers: u64,
}

impl WindowRetention {
    /// NRR: end MRR / start MRR; `None` without start MRR.
    #[must_use]
    pub fn nrr(&self) -> Option<f64> {
        (self.start_mrr > 0.0).then(|| self.end_mrr / self.start_mrr)
    }

    /// GRR: capped end MRR / start MRR (never above 1).
    #[must_use]
    pub fn grr(&self) -> Option<f64> {
        (self.start_mrr > 0.0).then(|| self.capped_mrr / self.start_mrr)
    }

    /// Logo retention: customers still paying / customers at the start.
    #[must_use]
    pub fn logo_retention(&self) -> Option<f64> {
        (self.customers > 0).then(|| self.retained_customers as f64 / self.customers as f64)
    }
}

/// Revenue retention from the month of `start` to the month of `end` for the customers paying
/// in the start month. With `count_reactivation` false, a customer whose MRR fell to 0 inside
/// the window counts 0 at the end even if it came back.
///
/// ```text
/// NRR = sum_i MRR_i(end) / sum_i MRR_i(start)     GRR = sum_i min(MRR_i(end), MRR_i(start)) / sum_i MRR_i(start)
/// ```
///
/// # Errors
/// As [`MrrMovements::compute`]; [`Error::OutOfRange`] when `end` is before `start`.
pub fn revenue_retention<K: Debug>(
    lookup: &impl CustomerLookup<K>,
    records: &[MrrRecord<K>],
    params: &MrrParams,
    start: Date,
    end: Date,
    count_reactivation: bool,
) -> Result<Vec<WindowRetention>> {
    revenue_retention_by(
        lookup,
        records,
        params,
        start,
        end,
        count_reactivation,
        None,
    )
}

/// [`revenue_retention`] per segment (one entry per segment, in order); with `None` one entry
/// for all customers.
pub(crate) fn revenue_retention_by<K: Debug>(
    lookup: &impl CustomerLookup<K>,
    records: &[MrrRecord<K>],
    params: &MrrParams,
    start: Date,
    end: Date,
    count_reactivation: bool,
    segmentation: Option<&Segmentation>,
) -> Result<Vec<WindowRetention>> {
    let (from, to) = (Period::Month.index(start), Period::Month.index(end));
    if to < from {
        return Err(Error::OutOfRange {
            record: format!("window {start} to {end}"),
            field: "end".into(),
            value: f64::from(to - from),
            expected: "an end month on or after the start month",
        });
    }
    if let Some(s) = segmentation {
        s.ensure_same(lookup, "index of the MRR records")?;
    }
    let series = params.series(lookup, records)?;
    let groups = segmentation.map_or(1, Segmentation::segment_count);
    let mut out = vec![
        WindowRetention {
            customers: 0,
            start_mrr: 0.0,
            end_mrr: 0.0,
            capped_mrr: 0.0,
            retained_customers: 0,
        };
        groups
    ];
    for c in 0..series.customers() {
        let group = match segmentation {
            Some(s) => match s.labels().get(c).copied().flatten() {
                Some(g) => g,
                None => continue,
            },
            None => 0,
        };
        let first = series.at(c, from);
        if first <= 0.0 {
            continue;
        }
        let lapsed = !count_reactivation && (from..=to).any(|m| series.at(c, m) <= 0.0);
        let last = if lapsed { 0.0 } else { series.at(c, to) };
        let w = &mut out[group];
        w.customers += 1;
        w.start_mrr += first;
        w.end_mrr += last;
        w.capped_mrr += last.min(first);
        w.retained_customers += u64::from(last > 0.0);
    }
    Ok(out)
}
