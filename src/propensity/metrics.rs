//! How good a score is: ROC AUC, average precision, Brier score, calibration and lift, equal
//! to scikit-learn; and labels for a time-based split without leakage.

use std::fmt::Debug;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::records::CustomerDate;
use crate::universe::PerCustomer;

pub(super) fn check(
    y: &[bool],
    score: &[f64],
    weight: Option<&[f64]>,
    what: &str,
) -> Result<Vec<f64>> {
    if y.is_empty() {
        return Err(Error::EmptyInput {
            what: "labels",
            item: "labelled row",
        });
    }
    if score.len() != y.len() {
        return Err(Error::LengthMismatch {
            what: "scores",
            expected: y.len(),
            found: score.len(),
        });
    }
    for (i, s) in score.iter().enumerate() {
        crate::error::ensure_finite(*s, || format!("row {i}"), what)?;
    }
    match weight {
        None => Ok(vec![1.0; y.len()]),
        Some(w) => {
            if w.len() != y.len() {
                return Err(Error::LengthMismatch {
                    what: "sample weights",
                    expected: y.len(),
                    found: w.len(),
                });
            }
            for (i, v) in w.iter().enumerate() {
                crate::error::ensure_non_negative(*v, || format!("row {i}"), "sample weight")?;
            }
            Ok(w.to_vec())
        }
    }
}

/// Cumulative (false positive, true positive) weights at each distinct score, descending.
fn curve(y: &[bool], score: &[f64], w: &[f64]) -> Result<Vec<(f64, f64)>> {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let (mut fp, mut tp) = (0.0, 0.0);
    let mut points = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        if y[i] {
            tp += w[i];
        } else {
            fp += w[i];
        }
        let last_of_tie = order.get(k + 1).is_none_or(|&j| score[j] != score[i]);
        if last_of_tie {
            points.push((fp, tp));
        }
    }
    let (n, p) = (fp, tp);
    if !(n.is_finite() && p.is_finite()) {
        return Err(Error::Undefined {
            reason: "the sample weights sum beyond f64: rescale them".to_owned(),
        });
    }
    if !(n > 0.0 && p > 0.0) {
        return Err(Error::Undefined {
            reason: "only one class is present (or weighted): the curve needs both outcomes"
                .to_owned(),
        });
    }
    Ok(points)
}

/// Area under the ROC curve, scikit-learn's `roc_auc_score` (trapezoids over the distinct
/// scores, so tied scores count one half).
///
/// ```
/// use saas_segmentation::propensity::roc_auc;
///
/// let auc = roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert!((auc - 0.75).abs() < 1e-15);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::LengthMismatch`], [`Error::NonFinite`]; [`Error::Undefined`]
/// when one class is absent.
pub fn roc_auc(y: &[bool], score: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let w = check(y, score, sample_weight, "score")?;
    let points = curve(y, score, &w)?;
    let &(n, p) = points.last().unwrap_or(&(1.0, 1.0));
    let mut area = 0.0;
    let (mut fp0, mut tp0) = (0.0, 0.0);
    for &(fp, tp) in &points {
        // Rates, not weights, so large weights cannot overflow the products.
        area += (fp - fp0) / n * (tp / p + tp0 / p) / 2.0;
        fp0 = fp;
        tp0 = tp;
    }
    Ok(area.clamp(0.0, 1.0))
}

/// Average precision, scikit-learn's `average_precision_score`: `Σ (Rₙ − Rₙ₋₁) Pₙ` over the
/// distinct scores from the highest.
///
/// # Errors
/// As [`roc_auc`].
pub fn average_precision(y: &[bool], score: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let w = check(y, score, sample_weight, "score")?;
    let points = curve(y, score, &w)?;
    let &(_, p) = points.last().unwrap_or(&(1.0, 1.0));
    let mut ap = 0.0;
    let mut recall0 = 0.0;
    for &(fp, tp) in &points {
        let recall = tp / p;
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 1.0 };
        ap += (recall - recall0) * precision;
        recall0 = recall;
    }
    Ok(ap.clamp(0.0, 1.0))
}

/// Brier score, scikit-learn's `brier_score_loss`: the (weighted) mean of `(p - y)²`.
///
/// # Errors
/// As [`roc_auc`], and [`Error::OutOfRange`] for a probability outside [0, 1].
pub fn brier_score(y: &[bool], prob: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let w = check(y, prob, sample_weight, "probability")?;
    check_probabilities(prob)?;
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return Err(Error::Undefined {
            reason: "the sample weights sum to 0".to_owned(),
        });
    }
    let sum: f64 = (0..y.len())
        .map(|i| w[i] * (prob[i] - f64::from(u8::from(y[i]))).powi(2))
        .sum();
    Ok(sum / total)
}

fn check_probabilities(prob: &[f64]) -> Result<()> {
    if let Some((i, p)) = prob
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(Error::OutOfRange {
            record: format!("row {i}"),
            field: "probability".to_owned(),
            value: *p,
            expected: "a probability in [0, 1]",
        });
    }
    Ok(())
}

/// How [`calibration`] places its bins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BinStrategy {
    /// Equal-width bins on [0, 1].
    Uniform,
    /// Bins at the quantiles of the predicted probabilities.
    Quantile,
}

/// One bin of a calibration table.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CalibrationBin {
    /// Rows in the bin.
    pub count: usize,
    /// Mean predicted probability (scikit-learn's `prob_pred`).
    pub predicted: f64,
    /// Observed share of positives (scikit-learn's `prob_true`).
    pub observed: f64,
}

/// The calibration table, scikit-learn's `calibration_curve(y, prob, n_bins, strategy)`: the
/// non-empty bins, each with its mean prediction and observed rate.
///
/// # Errors
/// As [`brier_score`]; [`Error::InvalidParameter`] for `bins` outside 1..=1000.
pub fn calibration(
    y: &[bool],
    prob: &[f64],
    bins: usize,
    strategy: BinStrategy,
) -> Result<Vec<CalibrationBin>> {
    check(y, prob, None, "probability")?;
    check_probabilities(prob)?;
    if bins == 0 || bins > 1000 {
        return Err(Error::InvalidParameter {
            name: "bins",
            reason: format!("{bins}: use 1 to 1000 bins"),
        });
    }
    let edges: Vec<f64> = match strategy {
        BinStrategy::Uniform => (0..=bins).map(|i| i as f64 / bins as f64).collect(),
        BinStrategy::Quantile => {
            let mut sorted = prob.to_vec();
            sorted.sort_by(f64::total_cmp);
            (0..=bins)
                .map(|i| numpy_percentile(&sorted, i as f64 * 100.0 / bins as f64))
                .collect()
        }
    };
    let inner = &edges[1..edges.len() - 1];
    let mut sums = vec![(0usize, 0.0, 0.0); bins];
    for (i, &p) in prob.iter().enumerate() {
        // numpy.searchsorted(inner, p, side="left"): edges strictly below p.
        let b = inner.partition_point(|e| *e < p);
        sums[b].0 += 1;
        sums[b].1 += p;
        sums[b].2 += f64::from(u8::from(y[i]));
    }
    Ok(sums
        .into_iter()
        .filter(|s| s.0 > 0)
        .map(|(count, predicted, positives)| CalibrationBin {
            count,
            predicted: predicted / count as f64,
            observed: positives / count as f64,
        })
        .collect())
}

/// numpy's `percentile(sorted, q)` with the default linear method.
fn numpy_percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let index = q / 100.0 * (n - 1) as f64;
    let lo = index.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let t = index - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    // numpy's _lerp: a + (b - a) t, computed from the upper end when t >= 1/2.
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// One decile of a lift table.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LiftRow {
    /// Decile, 1 for the highest scores.
    pub decile: usize,
    /// Rows in the decile.
    pub count: usize,
    /// Positives in the decile.
    pub positives: usize,
    /// The decile's positive rate over the overall rate.
    pub lift: f64,
    /// Share of all positives captured by this and the higher deciles (cumulative gain).
    pub cumulative_capture: f64,
}

/// Lift by decile of the score: rows sorted by score, highest first (equal scores by row
/// order), split into ten groups whose sizes differ by at most one.
///
/// # Errors
/// As [`roc_auc`]; [`Error::InvalidParameter`] for fewer than 10 rows.
pub fn lift_by_decile(y: &[bool], score: &[f64]) -> Result<Vec<LiftRow>> {
    check(y, score, None, "score")?;
    let n = y.len();
    if n < 10 {
        return Err(Error::InvalidParameter {
            name: "rows",
            reason: format!("{n} rows: deciles need at least 10"),
        });
    }
    let total_pos = y.iter().filter(|v| **v).count();
    if total_pos == 0 {
        return Err(Error::Undefined {
            reason: "no positive row: lift is undefined".to_owned(),
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let rate = total_pos as f64 / n as f64;
    let mut rows = Vec::with_capacity(10);
    let mut captured = 0;
    for d in 0..10 {
        let (start, end) = (d * n / 10, (d + 1) * n / 10);
        let positives = order[start..end].iter().filter(|&&i| y[i]).count();
        captured += positives;
        let count = end - start;
        rows.push(LiftRow {
            decile: d + 1,
            count,
            positives,
            lift: positives as f64 / count as f64 / rate,
            cumulative_capture: captured as f64 / total_pos as f64,
        });
    }
    Ok(rows)
}

/// Outcome labels for a time-based split: per customer of `lookup`, whether an outcome event
/// (churn, expansion, ...) falls in `(cut, cut + horizon_days]`. Customers whose outcome
/// already happened on or before the cut get no label (`None`): they are not at risk, and
/// keeping them would leak the outcome into features built as of the cut.
///
/// ```
/// use saas_segmentation::propensity::labels_after;
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let d = |s: &str| s.parse::<Date>().unwrap();
/// let index = CustomerIndex::from_keys(["a", "b", "c"])?;
/// let churn = [("a", d("2024-02-10")), ("b", d("2023-12-01"))];
/// let labels = labels_after(&index, &churn, d("2024-01-01"), 90)?;
/// assert_eq!(labels.of_key(&index, "a")?, Some(&true));
/// assert_eq!(labels.of_key(&index, "b")?, None); // churned before the cut
/// assert_eq!(labels.of_key(&index, "c")?, Some(&false));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::UnknownCustomer`] naming the event; [`Error::InvalidParameter`] for a horizon of
/// 0 or above 100 years; [`Error::DateOverflow`].
pub fn labels_after<K: Debug, E: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    events: &[E],
    cut: Date,
    horizon_days: u32,
) -> Result<PerCustomer<bool>> {
    window_labels(lookup, events, cut, horizon_days, true)
}

/// Labels of events in `(cut, cut + horizon_days]`; with `drop_earlier`, customers with an
/// event on or before the cut are unlabelled.
fn window_labels<K: Debug, E: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    events: &[E],
    cut: Date,
    horizon_days: u32,
    drop_earlier: bool,
) -> Result<PerCustomer<bool>> {
    if horizon_days == 0 || horizon_days > 36_600 {
        return Err(Error::InvalidParameter {
            name: "horizon_days",
            reason: format!("{horizon_days}: use 1 to 36,600 days"),
        });
    }
    let end = cut.add_days(i64::from(horizon_days))?;
    let mut labels: Vec<Option<bool>> = vec![Some(false); lookup.customer_count()];
    let mut before = vec![false; lookup.customer_count()];
    for (row, e) in events.iter().enumerate() {
        let id = lookup
            .lookup(e.customer())
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("outcome event {row}"),
                customer: format!("{:?}", e.customer()),
            })?;
        let date = e.date();
        let i = id.index();
        if date <= cut {
            before[i] = drop_earlier;
        } else if date <= end {
            labels[i] = Some(true);
        }
    }
    for (label, gone) in labels.iter_mut().zip(&before) {
        if *gone {
            *label = None;
        }
    }
    PerCustomer::new(lookup, labels)
}

/// Outcome labels for a recurring outcome (expansion, a support escalation): per customer of
/// `lookup`, whether an event falls in `(cut, cut + horizon_days]`. Unlike [`labels_after`],
/// earlier events leave the customer labelled: having expanded before is history a feature
/// may hold, not a leak.
///
/// ```
/// use saas_segmentation::propensity::labels_in_window;
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let d = |s: &str| s.parse::<Date>().unwrap();
/// let index = CustomerIndex::from_keys(["a", "b"])?;
/// let expansions = [("a", d("2023-11-01")), ("a", d("2024-02-01"))];
/// let labels = labels_in_window(&index, &expansions, d("2024-01-01"), 90)?;
/// assert_eq!(labels.of_key(&index, "a")?, Some(&true));
/// assert_eq!(labels.of_key(&index, "b")?, Some(&false));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// As [`labels_after`].
pub fn labels_in_window<K: Debug, E: CustomerDate<K>>(
    lookup: &impl CustomerLookup<K>,
    events: &[E],
    cut: Date,
    horizon_days: u32,
) -> Result<PerCustomer<bool>> {
    window_labels(lookup, events, cut, horizon_days, false)
}

/// Churn and expansion events read from monthly MRR, for [`labels_after`] and
/// [`labels_in_window`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MrrOutcomes {
    /// `(customer, first day of the first month without MRR after a month with some)`; a
    /// customer who comes back and leaves again has several.
    pub churn: Vec<(crate::ids::CustomerId, Date)>,
    /// `(customer, first day of a month whose MRR is above the month before, which was above
    /// 0)`.
    pub expansion: Vec<(crate::ids::CustomerId, Date)>,
}

/// Churn and expansion events from monthly MRR records up to the month of `through` (the last
/// month the data covers): a month without a record, after one with MRR, is a month at 0; two
/// records of one month add up. Events are in customer id order, then by date.
///
/// ```
/// use saas_segmentation::propensity::{labels_after, mrr_outcomes};
/// use saas_segmentation::records::MrrRecord;
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let d = |s: &str| s.parse::<Date>().unwrap();
/// let index = CustomerIndex::from_keys(["a", "b"])?;
/// let mrr = [
///     MrrRecord::new("a", d("2024-01-01"), 100.0),
///     MrrRecord::new("a", d("2024-02-01"), 150.0), // expansion
///     MrrRecord::new("b", d("2024-01-01"), 80.0),  // then no record: churned in February
///     MrrRecord::new("a", d("2024-03-01"), 150.0),
/// ];
/// let out = mrr_outcomes(&index, &mrr, d("2024-03-31"))?;
/// assert_eq!(out.expansion, vec![(index.get("a").unwrap(), d("2024-02-01"))]);
/// assert_eq!(out.churn, vec![(index.get("b").unwrap(), d("2024-02-01"))]);
/// // The events carry dense ids: label them over the index's dense view.
/// let churned = labels_after(&index.dense(), &out.churn, d("2024-01-15"), 60)?;
/// assert_eq!(churned.of_key(&index, "b")?, Some(&true));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::UnknownCustomer`] naming the MRR row; [`Error::NonFinite`] or
/// [`Error::OutOfRange`] for an MRR that is not a finite amount >= 0; [`Error::DateOverflow`].
pub fn mrr_outcomes<K: Debug>(
    lookup: &impl CustomerLookup<K>,
    mrr: &[crate::records::MrrRecord<K>],
    through: Date,
) -> Result<MrrOutcomes> {
    let month_index = |d: Date| i64::from(d.year()) * 12 + i64::from(d.month()) - 1;
    let last = month_index(through);
    let mut rows: Vec<(u32, i64, f64)> = Vec::with_capacity(mrr.len());
    for (row, r) in mrr.iter().enumerate() {
        let id = lookup
            .lookup(&r.customer)
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("MRR row {row}"),
                customer: format!("{:?}", r.customer),
            })?;
        crate::error::ensure_non_negative(
            r.mrr,
            || format!("MRR row {row} (customer {:?})", r.customer),
            "mrr",
        )?;
        let m = month_index(r.month);
        if m <= last {
            rows.push((id.get(), m, r.mrr));
        }
    }
    rows.sort_by_key(|r| (r.0, r.1));
    // Sum the records of one month.
    let mut merged: Vec<(u32, i64, f64)> = Vec::with_capacity(rows.len());
    for r in rows {
        match merged.last_mut() {
            Some(m) if m.0 == r.0 && m.1 == r.1 => m.2 += r.2,
            _ => merged.push(r),
        }
    }
    let day = |m: i64| {
        i32::try_from(m.div_euclid(12))
            .map_err(|_| Error::DateOverflow {
                operation: format!("month {m}"),
            })
            .and_then(|y| Date::from_ymd(y, (m.rem_euclid(12) + 1) as u32, 1))
    };
    let id = |c: u32| lookup_id(lookup, c);
    let mut out = MrrOutcomes::default();
    let mut k = 0;
    while k < merged.len() {
        let c = merged[k].0;
        let mut prev: Option<(i64, f64)> = None;
        while k < merged.len() && merged[k].0 == c {
            let (_, m, v) = merged[k];
            if let Some((pm, pv)) = prev {
                if pv > 0.0 && (m > pm + 1 || v == 0.0) {
                    out.churn.push((id(c)?, day(pm + 1)?));
                } else if pv > 0.0 && v > pv {
                    out.expansion.push((id(c)?, day(m)?));
                }
            }
            prev = Some((m, v));
            k += 1;
        }
        if let Some((pm, pv)) = prev {
            if pv > 0.0 && pm < last {
                out.churn.push((id(c)?, day(pm + 1)?));
            }
        }
    }
    Ok(out)
}

fn lookup_id<K>(lookup: &impl CustomerLookup<K>, c: u32) -> Result<crate::ids::CustomerId> {
    crate::ids::DenseCustomers::new(lookup.customer_count())
        .id(c as usize)
        .ok_or(Error::UnknownCustomerId {
            id: c,
            len: lookup.customer_count(),
        })
}
