//! The Kaplan-Meier estimator with exponential Greenwood intervals.

use crate::error::{ensure_finite, Error, Result};
use crate::stats::distributions::normal_isf;

/// Checks a confidence level's alpha lies strictly between 0 and 1.
pub(crate) fn check_alpha(alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "alpha",
            reason: format!("{alpha} is not in (0, 1): use 0.05 for 95% intervals"),
        })
    }
}

/// Checks durations, event flags and optional entry times, as every survival routine needs them.
pub(crate) fn check_sample(
    durations: &[f64],
    observed: &[bool],
    entry: Option<&[f64]>,
    what: &'static str,
) -> Result<()> {
    if durations.is_empty() {
        if !observed.is_empty() {
            return Err(Error::LengthMismatch {
                what: "event flags",
                expected: 0,
                found: observed.len(),
            });
        }
        return Err(Error::EmptyInput {
            what,
            item: "duration",
        });
    }
    if observed.len() != durations.len() {
        return Err(Error::LengthMismatch {
            what: "event flags",
            expected: durations.len(),
            found: observed.len(),
        });
    }
    for (i, &d) in durations.iter().enumerate() {
        ensure_finite(d, || format!("{what} subject {i}"), "duration")?;
        if d < 0.0 {
            return Err(Error::OutOfRange {
                record: format!("{what} subject {i}"),
                field: "duration".into(),
                value: d,
                expected: "a duration of 0 or more (time from start to event or censoring)",
            });
        }
    }
    if let Some(entry) = entry {
        if entry.len() != durations.len() {
            return Err(Error::LengthMismatch {
                what: "entry times",
                expected: durations.len(),
                found: entry.len(),
            });
        }
        for (i, (&e, &d)) in entry.iter().zip(durations).enumerate() {
            ensure_finite(e, || format!("{what} subject {i}"), "entry time")?;
            if e < 0.0 || e > d {
                return Err(Error::OutOfRange {
                    record: format!("{what} subject {i}"),
                    field: "entry time".into(),
                    value: e,
                    expected: "an entry time between 0 and the subject's duration",
                });
            }
        }
    }
    Ok(())
}

/// Settings of a Kaplan-Meier fit.
///
/// Loading through `Deserialize` runs [`KaplanMeierParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct KaplanMeierParams {
    alpha: f64,
}

checked_serde!(KaplanMeierParams, KaplanMeierParams::validate);

impl Default for KaplanMeierParams {
    fn default() -> Self {
        KaplanMeierParams { alpha: 0.05 }
    }
}

impl KaplanMeierParams {
    /// Settings with the defaults (`alpha` 0.05: 95% intervals).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// One minus the confidence level of the intervals. Default: 0.05.
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `alpha` is not in (0, 1).
    pub fn validate(&self) -> Result<()> {
        check_alpha(self.alpha)
    }

    /// Fits the estimator to right-censored durations: `observed[i]` is true when subject `i`'s
    /// event (churn) happened at `durations[i]`, false when it was still alive then (censored).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without subjects, [`Error::LengthMismatch`] when the flags do not
    /// match the durations, [`Error::NonFinite`] / [`Error::OutOfRange`] for a NaN, infinite or
    /// negative duration, [`Error::InvalidParameter`] for a bad `alpha`.
    pub fn fit(&self, durations: &[f64], observed: &[bool]) -> Result<KaplanMeier> {
        self.validate()?;
        check_sample(durations, observed, None, "survival sample")?;
        Ok(fit_table(durations, observed, None, self.alpha))
    }

    /// Fits with late entry (left truncation): subject `i` joins the risk set at `entry[i]`
    /// (0 <= entry <= duration), as lifelines' `entry` argument.
    ///
    /// # Errors
    /// As [`KaplanMeierParams::fit`], and [`Error::OutOfRange`] for an entry time outside
    /// [0, duration].
    pub fn fit_with_entry(
        &self,
        durations: &[f64],
        observed: &[bool],
        entry: &[f64],
    ) -> Result<KaplanMeier> {
        self.validate()?;
        check_sample(durations, observed, Some(entry), "survival sample")?;
        Ok(fit_table(durations, observed, Some(entry), self.alpha))
    }
}

/// One row of the event table: what happened at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KaplanMeierRow {
    /// The time.
    pub time: f64,
    /// Subjects at risk just before `time` (entrants at `time` join after its events).
    pub at_risk: u64,
    /// Events (churns) at `time`.
    pub events: u64,
    /// Subjects censored at `time` (they count as at risk at `time`).
    pub censored: u64,
    /// Subjects entering at `time`.
    pub entered: u64,
    /// S(t) just after `time`.
    pub survival: f64,
    /// Lower bound of the interval of S(t).
    pub lower: f64,
    /// Upper bound of the interval of S(t).
    pub upper: f64,
    /// Greenwood's sum `sum d / (n (n - d))` up to `time`; `S^2` times it is the variance of S.
    pub greenwood: f64,
}

impl KaplanMeierRow {
    /// Subjects leaving the risk set at `time`: events plus censored (lifelines'
    /// `event_table["removed"]`).
    #[must_use]
    pub fn removed(&self) -> u64 {
        self.events.saturating_add(self.censored)
    }
}

/// S at one time, with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SurvivalPoint {
    /// The time asked for.
    pub time: f64,
    /// S(time).
    pub survival: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Greenwood's sum at `time` (`S^2` times it is Var S).
    pub greenwood: f64,
}

/// A fitted Kaplan-Meier curve: the event table with S(t) and its interval at every time where
/// something happened, and 0.
///
/// ```text
/// S(t) = prod_{t_i <= t} (1 - d_i / n_i)
/// G(t) = sum_{t_i <= t} d_i / (n_i (n_i - d_i))                       (Greenwood)
/// interval: exp(-exp(log(-log S) -/+ z_{1-alpha/2} sqrt(G) / log S))   (exponential Greenwood)
/// ```
///
/// Reference: matches lifelines `KaplanMeierFitter` (`survival_function_`,
/// `confidence_interval_`, `median_survival_time_`, `event_table`), including its handling of
/// late entry (entrants at t join the risk set after the events at t, except at the first time)
/// and intervals of 1 where S = 1. Divergence: S is the running product of `(n - d) / n`, not
/// lifelines' `exp` of a running sum of logs, so a curve that reaches exactly 0.5 (8 subjects,
/// 4 events) has its median there rather than one event time later.
///
/// Loading through `Deserialize` checks the event table: times strictly increasing, S in [0, 1] and non-increasing inside its interval, Greenwood's sum finite and non-negative, and no more events than subjects.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct KaplanMeier {
    rows: Vec<KaplanMeierRow>,
    alpha: f64,
    subjects: u64,
}

checked_serde!(KaplanMeier, KaplanMeier::check);

/// Builds the event table and the estimate.
fn fit_table(
    durations: &[f64],
    observed: &[bool],
    entry: Option<&[f64]>,
    alpha: f64,
) -> KaplanMeier {
    // (time, kind) sorted: kind 0 = entry, 1 = entry of a subject who also leaves at that time,
    // 2 = event, 3 = censoring.
    let mut marks: Vec<(f64, u8)> = Vec::with_capacity(durations.len() * 2);
    for (i, (&d, &o)) in durations.iter().zip(observed).enumerate() {
        marks.push((d, if o { 2 } else { 3 }));
        let start = entry.and_then(|e| e.get(i)).copied().unwrap_or(0.0);
        marks.push((start, u8::from(start == d)));
    }
    marks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let z = normal_isf(alpha / 2.0);
    let mut rows: Vec<KaplanMeierRow> = Vec::new();
    let (mut entered_total, mut removed_total) = (0u64, 0u64);
    let (mut survival, mut greenwood) = (1.0f64, 0.0f64);
    let mut i = 0;
    while i < marks.len() {
        let time = marks[i].0;
        let (mut entered, mut passing, mut events, mut censored) = (0u64, 0u64, 0u64, 0u64);
        while i < marks.len() && marks[i].0 == time {
            match marks[i].1 {
                0 => entered += 1,
                1 => {
                    entered += 1;
                    passing += 1;
                }
                2 => events += 1,
                _ => censored += 1,
            }
            i += 1;
        }
        // lifelines: at_risk counts entrants at t; the population the events at t are drawn
        // from leaves them out, except at the first time (entrants there come first). A subject
        // who enters and leaves at the same t is in that population (lifelines leaves it out
        // too, and can then return S < 0).
        let at_risk = entered_total + entered - removed_total;
        let population = if rows.is_empty() {
            at_risk
        } else {
            at_risk - (entered - passing)
        };
        if population > 0 {
            let (n, d) = (population as f64, events as f64);
            survival *= (n - d) / n;
            if population > events {
                greenwood += d / (n * (n - d));
            }
        }
        entered_total += entered;
        removed_total += events + censored;
        let (lower, upper) = interval(survival, greenwood, z);
        rows.push(KaplanMeierRow {
            time,
            at_risk: population,
            events,
            censored,
            entered,
            survival,
            lower,
            upper,
            greenwood,
        });
    }
    KaplanMeier {
        rows,
        alpha,
        subjects: durations.len() as u64,
    }
}

/// The exponential Greenwood interval; 1 where S = 1 (lifelines fills the 0/0 with 1).
fn interval(survival: f64, greenwood: f64, z: f64) -> (f64, f64) {
    let v = survival.ln();
    if v == 0.0 {
        return (1.0, 1.0);
    }
    if survival == 0.0 {
        return (0.0, 0.0);
    }
    let spread = z * greenwood.sqrt() / v;
    let lower = (-((-v).ln() - spread).exp()).exp();
    let upper = (-((-v).ln() + spread).exp()).exp();
    (lower, upper)
}

impl KaplanMeier {
    /// The invariants of a loaded curve.
    fn check(&self) -> Result<()> {
        KaplanMeierParams { alpha: self.alpha }.validate()?;
        let bad = |reason: String| Error::InvalidParameter {
            name: "Kaplan-Meier curve",
            reason,
        };
        let mut previous: Option<&KaplanMeierRow> = None;
        let mut events = 0u64;
        for (i, row) in self.rows.iter().enumerate() {
            let in_unit = |v: f64| (0.0..=1.0).contains(&v);
            if !(row.time.is_finite()
                && in_unit(row.survival)
                && in_unit(row.lower)
                && in_unit(row.upper)
                && row.lower <= row.survival
                && row.survival <= row.upper
                && row.greenwood.is_finite()
                && row.greenwood >= 0.0)
            {
                return Err(bad(format!("row {i} is not a valid step: {row:?}")));
            }
            if let Some(p) = previous {
                if row.time <= p.time || row.survival > p.survival {
                    return Err(bad(format!(
                        "row {i} (time {}, S {}) does not follow row {} (time {}, S {})",
                        row.time,
                        row.survival,
                        i - 1,
                        p.time,
                        p.survival
                    )));
                }
            }
            events = events.saturating_add(row.events);
            previous = Some(row);
        }
        if events > self.subjects {
            return Err(bad(format!(
                "{events} events for {} subjects",
                self.subjects
            )));
        }
        Ok(())
    }

    /// The event table with the estimate, one row per distinct time (entry, event or censoring),
    /// ascending; the first row is time 0 unless entries start later.
    #[must_use]
    pub fn rows(&self) -> &[KaplanMeierRow] {
        &self.rows
    }

    /// The alpha of the intervals.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The number of subjects.
    #[must_use]
    pub fn subjects(&self) -> u64 {
        self.subjects
    }

    /// The number of observed events.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.rows.iter().map(|r| r.events).sum()
    }

    /// S(t) and its interval at `time`: the value of the last row at or before `time` (the curve
    /// is a right-continuous step function); 1 before the first row.
    ///
    /// Divergence: lifelines' `survival_difference_at_fixed_point_in_time_test` interpolates
    /// Greenwood's sum linearly between rows; here it steps like S itself (they agree at row
    /// times).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when `time` is NaN.
    pub fn at(&self, time: f64) -> Result<SurvivalPoint> {
        if time.is_nan() {
            return Err(Error::OutOfRange {
                record: "Kaplan-Meier curve".into(),
                field: "time".into(),
                value: time,
                expected: "a time (not NaN)",
            });
        }
        let position = self.rows.partition_point(|r| r.time <= time);
        Ok(
            match position.checked_sub(1).and_then(|p| self.rows.get(p)) {
                Some(row) => SurvivalPoint {
                    time,
                    survival: row.survival,
                    lower: row.lower,
                    upper: row.upper,
                    greenwood: row.greenwood,
                },
                None => SurvivalPoint {
                    time,
                    survival: 1.0,
                    lower: 1.0,
                    upper: 1.0,
                    greenwood: 0.0,
                },
            },
        )
    }

    /// S and its interval at each of `times`, in the order given (lifelines'
    /// `survival_function_at_times` and `confidence_interval_` read at those times): one binary
    /// search per time.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the first NaN time.
    pub fn at_times(&self, times: &[f64]) -> Result<Vec<SurvivalPoint>> {
        times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                self.at(t).map_err(|_| Error::OutOfRange {
                    record: format!("time {i} of the Kaplan-Meier query"),
                    field: "time".into(),
                    value: t,
                    expected: "a time (not NaN)",
                })
            })
            .collect()
    }

    /// The median survival time: the first time with S(t) <= 0.5, or infinity when the curve
    /// never falls that low (lifelines `median_survival_time_`).
    #[must_use]
    pub fn median(&self) -> f64 {
        self.first_at_or_below(0.5)
    }

    /// The first time with S(t) <= `q`, infinity if none (lifelines `qth_survival_time`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when `q` is not in [0, 1].
    pub fn quantile_time(&self, q: f64) -> Result<f64> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::OutOfRange {
                record: "Kaplan-Meier quantile".into(),
                field: "q".into(),
                value: q,
                expected: "a survival probability in [0, 1]",
            });
        }
        Ok(self.first_at_or_below(q))
    }

    fn first_at_or_below(&self, q: f64) -> f64 {
        self.rows
            .iter()
            .find(|r| r.survival <= q)
            .map_or(f64::INFINITY, |r| r.time)
    }

    /// The restricted mean survival time up to `horizon`: the area under S from 0 to `horizon`
    /// (lifelines `restricted_mean_survival_time(kmf, t=horizon)`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when `horizon` is negative or not finite.
    pub fn restricted_mean(&self, horizon: f64) -> Result<f64> {
        if !(horizon.is_finite() && horizon >= 0.0) {
            return Err(Error::OutOfRange {
                record: "restricted mean survival time".into(),
                field: "horizon".into(),
                value: horizon,
                expected: "a finite time of 0 or more",
            });
        }
        let (mut area, mut last_time, mut last_s) = (0.0, 0.0, 1.0);
        for row in &self.rows {
            if row.time >= horizon {
                break;
            }
            if row.time > last_time {
                area += last_s * (row.time - last_time);
                last_time = row.time;
            }
            last_s = row.survival;
        }
        Ok(area + last_s * (horizon - last_time))
    }

    /// The curve as steps for plotting: `(t, S, lower, upper)` at each row time, S constant
    /// until the next.
    #[must_use]
    pub fn steps(&self) -> Vec<SurvivalPoint> {
        self.rows
            .iter()
            .map(|r| SurvivalPoint {
                time: r.time,
                survival: r.survival,
                lower: r.lower,
                upper: r.upper,
                greenwood: r.greenwood,
            })
            .collect()
    }
}
