//! Usage signals: the weekly series, their trend and the week the level changed.

use std::fmt::Debug;
use std::hash::Hash;

use crate::activity::Activity;
use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::universe::PerCustomer;

/// Settings of [`usage_signals`]; every default is stated on its setter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalParams {
    pub(crate) as_of: Date,
    pub(crate) window_weeks: u32,
    pub(crate) baseline_weeks: u32,
    pub(crate) decline: f64,
    pub(crate) min_baseline: f64,
    pub(crate) rise: f64,
    pub(crate) min_tickets: u32,
    pub(crate) answer_days: u32,
    pub(crate) unanswered: f64,
    pub(crate) min_touches: u32,
    pub(crate) contraction: f64,
    pub(crate) expansion: f64,
    pub(crate) seat_utilization: f64,
    pub(crate) min_invites: u32,
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
            rise: 0.5,
            min_tickets: 2,
            answer_days: 7,
            unanswered: 0.5,
            min_touches: 2,
            contraction: 0.1,
            expansion: 0.05,
            seat_utilization: 0.9,
            min_invites: 2,
        }
    }

    /// The last day of the window.
    #[must_use]
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// Relative rise over the baseline that counts as rising usage velocity or rising problem
    /// tickets (default 0.5: 50% more).
    #[must_use]
    pub fn rise(mut self, share: f64) -> Self {
        self.rise = share;
        self
    }

    /// Problem-tagged tickets in the window below which rising tickets are not called
    /// (default 2).
    #[must_use]
    pub fn min_tickets(mut self, tickets: u32) -> Self {
        self.min_tickets = tickets;
        self
    }

    /// Days a touch is given to be answered: touches sent in the last `days` of the window are
    /// not judged yet (default 7).
    #[must_use]
    pub fn answer_days(mut self, days: u32) -> Self {
        self.answer_days = days;
        self
    }

    /// Share of the window's judged touches left unanswered that counts as ignored outreach
    /// (default 0.5), with at least [`SignalParams::min_touches`] of them unanswered.
    #[must_use]
    pub fn unanswered(mut self, share: f64) -> Self {
        self.unanswered = share;
        self
    }

    /// Unanswered touches below which ignored outreach is not called (default 2).
    #[must_use]
    pub fn min_touches(mut self, touches: u32) -> Self {
        self.min_touches = touches;
        self
    }

    /// Share of the peak MRR (over the baseline and window months) lost that counts as
    /// contraction (default 0.1).
    #[must_use]
    pub fn contraction(mut self, share: f64) -> Self {
        self.contraction = share;
        self
    }

    /// Total month-over-month MRR increases, as a share of the MRR before them, that count as
    /// an expansion history (default 0.05).
    #[must_use]
    pub fn expansion(mut self, share: f64) -> Self {
        self.expansion = share;
        self
    }

    /// Seats in use over the seat limit that counts as near the limit (default 0.9).
    #[must_use]
    pub fn seat_utilization(mut self, share: f64) -> Self {
        self.seat_utilization = share;
        self
    }

    /// Invites of colleagues in the window below which inviting is not called (default 2).
    #[must_use]
    pub fn min_invites(mut self, invites: u32) -> Self {
        self.min_invites = invites;
        self
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

    pub(crate) fn validate(&self) -> Result<()> {
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
        for (name, v, top) in [
            ("rise", self.rise, 100.0),
            ("unanswered", self.unanswered, 1.0),
            ("contraction", self.contraction, 1.0),
            ("expansion", self.expansion, 100.0),
            ("seat_utilization", self.seat_utilization, 100.0),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= top) {
                return bad(name, format!("{v} is not a share in (0, {top}]"));
            }
        }
        if self.min_tickets == 0 || self.min_touches == 0 || self.min_invites == 0 {
            return bad(
                "minimum counts",
                format!(
                    "tickets {}, touches {}, invites {}: each at least 1",
                    self.min_tickets, self.min_touches, self.min_invites
                ),
            );
        }
        if self.answer_days > 365 {
            return bad(
                "answer_days",
                format!("{}: at most 365 days", self.answer_days),
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
    /// Distinct features used in as many weeks as the window, just before it (all the
    /// baseline when it is shorter than the window): breadth over periods of equal length.
    pub features_before: usize,
    /// Distinct features used in the window.
    pub features_now: usize,
    /// Decreasing breadth: at least two features before, and the window uses at least the
    /// decline share fewer.
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
    let all =
        super::accounts::account_signals(lookup, &super::SignalSources::new(activity), params)?;
    let values = all
        .into_values()
        .into_iter()
        .map(|a| a.map(|a| a.usage))
        .collect();
    PerCustomer::new(lookup, values)
}

/// Least-squares slope of `ys` against 0, 1, 2, ... and its standard error.
pub(crate) fn ols_slope(ys: &[f64]) -> (f64, Option<f64>) {
    let n = ys.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (k, y) in ys.iter().enumerate() {
        let dx = k as f64 - mean_x;
        sxx += dx * dx;
        // Σ dx = 0, so Σ dx·y is the centred sum, exact for whole counts (no rounding of
        // the mean to turn a flat series into a tiny negative slope).
        sxy += dx * y;
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

/// The split index minimizing the two-mean squared error, when the later mean is lower (or
/// higher, with `rising`).
pub(crate) fn change_point(ys: &[f64], rising: bool) -> Option<usize> {
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
        if (right / nr < left / nl) != rising
            && right / nr != left / nl
            && best.is_none_or(|(b, _)| sse < b)
        {
            best = Some((sse, k));
        }
    }
    best.map(|(_, k)| k)
}
