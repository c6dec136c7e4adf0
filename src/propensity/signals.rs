//! Behavioural churn-risk signals with their evidence, and a transparent health score.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;

use crate::activity::{Activity, ActivityEvent};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::universe::PerCustomer;

/// Settings of [`usage_signals`]; every default is stated on its setter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalParams {
    as_of: Date,
    window_weeks: u32,
    baseline_weeks: u32,
    decline: f64,
    min_baseline: f64,
}

impl SignalParams {
    /// Signals over the weeks ending on `as_of` (inclusive; no clock is read).
    #[must_use]
    pub fn new(as_of: Date) -> Self {
        SignalParams {
            as_of,
            window_weeks: 4,
            baseline_weeks: 8,
            decline: 0.3,
            min_baseline: 0.5,
        }
    }

    /// Weeks of the current window (default 4).
    #[must_use]
    pub fn window_weeks(mut self, weeks: u32) -> Self {
        self.window_weeks = weeks;
        self
    }

    /// Weeks of the baseline just before the window (default 8).
    #[must_use]
    pub fn baseline_weeks(mut self, weeks: u32) -> Self {
        self.baseline_weeks = weeks;
        self
    }

    /// Relative drop from the baseline that counts as a decline (default 0.3: 30% fewer).
    #[must_use]
    pub fn decline(mut self, share: f64) -> Self {
        self.decline = share;
        self
    }

    /// Baseline events per week below which no decline is called, and current events per week
    /// below which a customer counts as inactive (default 0.5).
    #[must_use]
    pub fn min_baseline(mut self, per_week: f64) -> Self {
        self.min_baseline = per_week;
        self
    }

    fn validate(&self) -> Result<()> {
        let bad =
            |name: &'static str, reason: String| Err(Error::InvalidParameter { name, reason });
        if self.window_weeks == 0
            || self.baseline_weeks == 0
            || self.window_weeks + self.baseline_weeks > 156
        {
            return bad(
                "weeks",
                format!(
                    "window {} and baseline {} weeks: both at least 1, together at most 156 \
                     (three years)",
                    self.window_weeks, self.baseline_weeks
                ),
            );
        }
        if !(self.decline > 0.0 && self.decline < 1.0) {
            return bad(
                "decline",
                format!("{} is not a share in (0, 1)", self.decline),
            );
        }
        if !(self.min_baseline.is_finite() && self.min_baseline >= 0.0) {
            return bad(
                "min_baseline",
                format!("{} is not a rate >= 0", self.min_baseline),
            );
        }
        Ok(())
    }
}

/// One customer's usage signals, with the evidence behind them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UsageSignals {
    /// Logins per week, oldest first: the baseline weeks, then the window weeks.
    pub weekly_logins: Vec<u32>,
    /// Usage events (logins, feature uses, workflows) per week, same weeks: the series the
    /// trend below is computed on (more events, less noise than logins alone).
    pub weekly_events: Vec<u32>,
    /// Least-squares slope of weekly events over all those weeks (events per week, per week).
    pub slope: f64,
    /// Its standard error (`None` with fewer than three weeks).
    pub slope_se: Option<f64>,
    /// Mean events per week in the baseline.
    pub baseline: f64,
    /// Mean events per week in the window.
    pub current: f64,
    /// `current / baseline - 1`; `None` without baseline logins.
    pub change: Option<f64>,
    /// The first day of the week where the level drops, from the best single split of the
    /// weekly series into two means (least squares), when the later mean is lower.
    pub dropped_since: Option<Date>,
    /// Declining usage: a baseline of at least the minimum, a change at or below minus the
    /// decline share, and a negative slope.
    pub declining: bool,
    /// Distinct features used in the baseline.
    pub features_before: usize,
    /// Distinct features used in the window.
    pub features_now: usize,
    /// Decreasing breadth: the window uses at least the decline share fewer distinct features
    /// than the baseline (scaled to the window's length is not needed: breadth is a count of
    /// kinds, not of events).
    pub narrowing: bool,
}

/// Weekly usage trend and feature breadth per customer from an activity log, with the
/// evidence (weekly login and event counts, the slope of events and its standard error,
/// baseline and current level, the week the level dropped). Customers without any activity in the weeks get signals of zeros
/// (no decline can be called without a baseline).
///
/// ```
/// use saas_segmentation::activity::{Activity, ActivityEvent};
/// use saas_segmentation::propensity::{usage_signals, SignalParams};
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let end: Date = "2024-03-31".parse().unwrap();
/// let index = CustomerIndex::from_keys(["a"])?;
/// let mut log = Vec::new();
/// for day in 0..84 {
///     // Daily logins for eight weeks, then one a week.
///     if day < 56 || day % 7 == 0 {
///         log.push(Activity::new("a", end.add_days(day - 83)?, ActivityEvent::<String>::Login));
///     }
/// }
/// let signals = usage_signals(&index, &log, &SignalParams::new(end))?;
/// let a = signals.of_key(&index, "a")?.unwrap();
/// assert!(a.declining && a.slope < 0.0);
/// assert_eq!(a.dropped_since, Some(end.add_days(-27)?));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for bad settings; [`Error::UnknownCustomer`] naming the
/// activity row; [`Error::DateOverflow`].
pub fn usage_signals<K: Debug, E: Hash + Eq>(
    lookup: &impl CustomerLookup<K>,
    activity: &[Activity<K, E>],
    params: &SignalParams,
) -> Result<PerCustomer<UsageSignals>> {
    params.validate()?;
    let weeks = (params.baseline_weeks + params.window_weeks) as usize;
    let start = params.as_of.add_days(1 - 7 * weeks as i64)?;
    let n = lookup.customer_count();
    let mut logins = vec![0u32; n * weeks];
    let mut events = vec![0u32; n * weeks];
    let mut features: Vec<(HashSet<&E>, HashSet<&E>)> =
        (0..n).map(|_| Default::default()).collect();
    let split = params.baseline_weeks as usize;
    for (row, a) in activity.iter().enumerate() {
        let id = lookup
            .lookup(&a.customer)
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("activity row {row}"),
                customer: format!("{:?}", a.customer),
            })?;
        if a.date < start || a.date > params.as_of {
            continue;
        }
        let week = (a.date.days_since(start) / 7) as usize;
        let i = id.index();
        events[i * weeks + week] = events[i * weeks + week].saturating_add(1);
        match &a.event {
            ActivityEvent::Login => {
                logins[i * weeks + week] = logins[i * weeks + week].saturating_add(1)
            }
            ActivityEvent::Feature(f) => {
                let set = if week < split {
                    &mut features[i].0
                } else {
                    &mut features[i].1
                };
                set.insert(f);
            }
            ActivityEvent::Workflow(_) => {}
        }
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let series = &events[i * weeks..(i + 1) * weeks];
        let ys: Vec<f64> = series.iter().map(|v| f64::from(*v)).collect();
        let (slope, slope_se) = ols_slope(&ys);
        let baseline = ys[..split].iter().sum::<f64>() / split as f64;
        let current = ys[split..].iter().sum::<f64>() / (weeks - split) as f64;
        let change = (baseline > 0.0).then(|| current / baseline - 1.0);
        let dropped_since = change_point(&ys)
            .map(|week| start.add_days(7 * week as i64))
            .transpose()?;
        let declining = baseline >= params.min_baseline
            && baseline > 0.0
            && change.is_some_and(|c| c <= -params.decline)
            && slope < 0.0;
        let (before, now) = (features[i].0.len(), features[i].1.len());
        let narrowing = before > 0 && (now as f64) <= (1.0 - params.decline) * before as f64;
        out.push(Some(UsageSignals {
            weekly_logins: logins[i * weeks..(i + 1) * weeks].to_vec(),
            weekly_events: series.to_vec(),
            slope,
            slope_se,
            baseline,
            current,
            change,
            dropped_since,
            declining,
            features_before: before,
            features_now: now,
            narrowing,
        }));
    }
    PerCustomer::new(lookup, out)
}

/// Least-squares slope of `ys` against 0, 1, 2, ... and its standard error.
fn ols_slope(ys: &[f64]) -> (f64, Option<f64>) {
    let n = ys.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (k, y) in ys.iter().enumerate() {
        let dx = k as f64 - mean_x;
        sxx += dx * dx;
        sxy += dx * (y - mean_y);
    }
    if sxx == 0.0 {
        return (0.0, None);
    }
    let slope = sxy / sxx;
    if ys.len() < 3 {
        return (slope, None);
    }
    let intercept = mean_y - slope * mean_x;
    let sse: f64 = ys
        .iter()
        .enumerate()
        .map(|(k, y)| (y - intercept - slope * k as f64).powi(2))
        .sum();
    (slope, Some((sse / (n - 2.0) / sxx).sqrt()))
}

/// The split index minimizing the two-mean squared error, when the later mean is lower.
fn change_point(ys: &[f64]) -> Option<usize> {
    let n = ys.len();
    let total: f64 = ys.iter().sum();
    let total_sq: f64 = ys.iter().map(|y| y * y).sum();
    let mut best: Option<(f64, usize)> = None;
    let mut left = 0.0;
    for k in 1..n {
        left += ys[k - 1];
        let right = total - left;
        let (nl, nr) = (k as f64, (n - k) as f64);
        // SSE = Σy² - (Σ_left)²/n_left - (Σ_right)²/n_right.
        let sse = total_sq - left * left / nl - right * right / nr;
        if right / nr < left / nl && best.is_none_or(|(b, _)| sse < b) {
            best = Some((sse, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Weights of the [`health_scores`] components (points taken off 100).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HealthWeights {
    /// Declining usage, scaled by how far the change is past the decline share (default 40).
    pub login_decline: f64,
    /// Narrowing feature use (default 20).
    pub narrowing: f64,
    /// Little or no recent use: current events per week below the minimum (default 20).
    pub inactive: f64,
    /// MRR contraction, scaled by the contracted share (default 20).
    pub contraction: f64,
}

impl Default for HealthWeights {
    fn default() -> Self {
        HealthWeights {
            login_decline: 40.0,
            narrowing: 20.0,
            inactive: 20.0,
            contraction: 20.0,
        }
    }
}

/// One customer's health: the score and each component's points off.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Health {
    /// `100 - Σ contributions`, in [0, 100].
    pub score: f64,
    /// Points off for declining usage.
    pub login_decline: f64,
    /// Points off for narrowing feature use.
    pub narrowing: f64,
    /// Points off for inactivity.
    pub inactive: f64,
    /// Points off for MRR contraction.
    pub contraction: f64,
}

/// Health scores from usage signals and, optionally, each customer's MRR contraction share
/// (`1 - current MRR / recent peak`, from the caller's MRR history): a transparent weighted
/// sum whose components are reported per customer.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the columns are over different customer sets;
/// [`Error::InvalidParameter`] for negative or non-finite weights, or weights summing above
/// 100; [`Error::OutOfRange`] naming the customer whose contraction share is outside [0, 1].
pub fn health_scores(
    signals: &PerCustomer<UsageSignals>,
    contraction: Option<&PerCustomer<f64>>,
    params: &SignalParams,
    weights: &HealthWeights,
) -> Result<PerCustomer<Health>> {
    params.validate()?;
    let w = [
        weights.login_decline,
        weights.narrowing,
        weights.inactive,
        weights.contraction,
    ];
    if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || w.iter().sum::<f64>() > 100.0 {
        return Err(Error::InvalidParameter {
            name: "weights",
            reason: format!("{weights:?}: non-negative points summing to at most 100"),
        });
    }
    if let Some(c) = contraction {
        crate::universe::ensure_same(signals, c, "contraction shares")?;
    }
    let mut out = Vec::with_capacity(signals.len());
    for (id, s) in signals.iter() {
        let Some(s) = s else {
            out.push(None);
            continue;
        };
        let share = match contraction.and_then(|c| c.get(id)) {
            Some(&v) if (0.0..=1.0).contains(&v) => v,
            Some(&v) => {
                return Err(Error::OutOfRange {
                    record: format!("customer {id}"),
                    field: "MRR contraction share".to_owned(),
                    value: v,
                    expected: "a share in [0, 1]",
                })
            }
            None => 0.0,
        };
        let decline = if s.declining {
            // Half the points at the threshold, all of them at a complete stop.
            let depth = s.change.map_or(0.0, |c| -c);
            let past = ((depth - params.decline) / (1.0 - params.decline)).clamp(0.0, 1.0);
            weights.login_decline * (0.5 + 0.5 * past)
        } else {
            0.0
        };
        let narrowing = if s.narrowing { weights.narrowing } else { 0.0 };
        let inactive = if s.current < params.min_baseline {
            weights.inactive
        } else {
            0.0
        };
        let contraction = weights.contraction * share;
        let score = (100.0 - decline - narrowing - inactive - contraction).clamp(0.0, 100.0);
        out.push(Some(Health {
            score,
            login_decline: decline,
            narrowing,
            inactive,
            contraction,
        }));
    }
    PerCustomer::new(signals, out)
}

/// Bands of health scores as a [`Segmentation`]: "at risk" below `at_risk`, "watch" below
/// `healthy`, "healthy" from `healthy` up (defaults used in the docs: 60 and 80).
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < at_risk < healthy <= 100`.
pub fn health_bands(
    health: &PerCustomer<Health>,
    at_risk: f64,
    healthy: f64,
) -> Result<Segmentation> {
    if !(at_risk > 0.0 && at_risk < healthy && healthy <= 100.0) {
        return Err(Error::InvalidParameter {
            name: "bands",
            reason: format!("at risk below {at_risk}, healthy from {healthy}: need 0 < at_risk < healthy <= 100"),
        });
    }
    let segments = vec![
        SegmentDescriptor::new(
            "healthy",
            SegmentDefinition::Rule {
                description: format!("health >= {healthy}"),
            },
        ),
        SegmentDescriptor::new(
            "watch",
            SegmentDefinition::Rule {
                description: format!("{at_risk} <= health < {healthy}"),
            },
        ),
        SegmentDescriptor::new(
            "at risk",
            SegmentDefinition::Rule {
                description: format!("health < {at_risk}"),
            },
        ),
    ];
    let labels = health
        .values()
        .iter()
        .map(|h| {
            h.map(|h| {
                if h.score >= healthy {
                    0
                } else if h.score >= at_risk {
                    1
                } else {
                    2
                }
            })
        })
        .collect();
    Segmentation::new(health, labels, segments)
}
