//! Behaviour derived from an activity log.
//!
//! From [`Activity`] records (customer, date, event) and an observation window, [`derive_behaviour`]
//! computes per customer: active days, logins and logins per week, features used, core-feature
//! adoption, key-workflow completion, the trend of weekly activity (a least-squares slope, so
//! declining use shows) and the usage-intensity tier.
//!
//! ```
//! use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
//! use saas_segmentation::model::UsageTier;
//! use saas_segmentation::{CustomerIndex, Date};
//!
//! let index = CustomerIndex::from_keys(["acme", "globex"])?;
//! let day = |d| Date::from_ymd(2024, 3, d);
//! let log = vec![
//!     Activity::new("acme", day(4)?, ActivityEvent::Login),
//!     Activity::new("acme", day(4)?, ActivityEvent::Feature("reports")),
//!     Activity::new("acme", day(12)?, ActivityEvent::Workflow("invite_team")),
//! ];
//! let config = BehaviourConfig::new(day(1)?, day(28)?)?
//!     .core_features(vec!["reports", "alerts"])
//!     .key_workflows(vec!["invite_team"]);
//! let behaviour = derive_behaviour(&index, &log, &config)?;
//! let acme = behaviour.of_key(&index, "acme")?.expect("every customer has a summary");
//! assert_eq!(acme.active_days(), 2);
//! assert_eq!(acme.core_feature_adoption(), 0.5);
//! assert_eq!(acme.usage_tier(), UsageTier::Occasional);
//! let globex = behaviour.of_key(&index, "globex")?.expect("every customer has a summary");
//! assert_eq!(globex.usage_tier(), UsageTier::Dormant);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::{CustomerLookup, KeyBuildHasher};
use crate::model::{Behaviour, UsageTier, UsageTierThresholds};
use crate::stats::ExactSum;
use crate::universe::PerCustomer;

mod partial;
pub use partial::{behaviour_from_partials, BehaviourPartial};

/// What happened in one activity record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ActivityEvent<E> {
    /// The customer logged in.
    Login,
    /// The customer used feature `E`.
    Feature(E),
    /// The customer completed workflow `E`.
    Workflow(E),
}

/// One event of one customer on one day.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Activity<K, E = String> {
    /// External customer key.
    pub customer: K,
    /// The day it happened.
    pub date: Date,
    /// What happened.
    pub event: ActivityEvent<E>,
    /// How many times it happened that day: 1 for a single event; a daily usage export gives
    /// its count (a row with count 0 is no activity at all).
    #[cfg_attr(feature = "serde", serde(default = "one"))]
    pub count: u32,
    /// Time spent on it, in minutes, where the source records it.
    #[cfg_attr(feature = "serde", serde(default))]
    pub duration_minutes: Option<f64>,
}

#[cfg(feature = "serde")]
fn one() -> u32 {
    1
}

impl<K, E> Activity<K, E> {
    /// One occurrence of `event` by `customer` on `date`.
    pub fn new(customer: K, date: Date, event: ActivityEvent<E>) -> Self {
        Activity {
            customer,
            date,
            event,
            count: 1,
            duration_minutes: None,
        }
    }

    /// The same record standing for `count` occurrences (a daily count from a usage export).
    #[must_use]
    pub fn with_count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// The same record with the time spent, in minutes.
    #[must_use]
    pub fn with_duration(mut self, minutes: f64) -> Self {
        self.duration_minutes = Some(minutes);
        self
    }
}

/// Which events count as use of the product, for uses per week and the usage tier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum UsageBasis<E> {
    /// Logins only (default): products that record a login per session.
    #[default]
    Logins,
    /// Every event: products whose log has no logins, only feature use.
    AllEvents,
    /// The events listed (logins, features, workflows the caller marks as activity).
    Events(Vec<ActivityEvent<E>>),
}

#[cfg(feature = "serde")]
fn logins_basis<E>() -> UsageBasis<E> {
    UsageBasis::Logins
}

/// The window and the definitions behaviour is derived with.
///
/// Loading through `Deserialize` runs [`BehaviourConfig::new`]'s check of the window.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct BehaviourConfig<E> {
    start: Date,
    end: Date,
    core_features: Vec<E>,
    key_workflows: Vec<E>,
    tiers: UsageTierThresholds,
    #[cfg_attr(feature = "serde", serde(default = "logins_basis"))]
    usage: UsageBasis<E>,
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for BehaviourConfig<T> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        BehaviourConfig::serialize(self, serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for BehaviourConfig<T> {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let value: BehaviourConfig<T> = BehaviourConfig::deserialize(deserializer)?;
        let check = |v: &BehaviourConfig<T>| -> Result<()> {
            BehaviourConfig::<T>::new(v.start, v.end).map(|_| ())
        };
        check(&value).map_err(serde::de::Error::custom)?;
        Ok(value)
    }
}

impl<E> BehaviourConfig<E> {
    /// A window from `start` to `end`, both included, with no core features or key workflows and
    /// the default usage tiers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `end` is before `start`.
    pub fn new(start: Date, end: Date) -> Result<Self> {
        if end < start {
            return Err(Error::InvalidParameter {
                name: "window",
                reason: format!("the window ends ({end}) before it starts ({start})"),
            });
        }
        Ok(BehaviourConfig {
            start,
            end,
            core_features: Vec::new(),
            key_workflows: Vec::new(),
            tiers: UsageTierThresholds::default(),
            usage: UsageBasis::Logins,
        })
    }

    /// Which events count as use, for [`BehaviourSummary::uses_per_week`] and the usage tier
    /// (whose thresholds then apply to uses per week). Default: [`UsageBasis::Logins`].
    #[must_use]
    pub fn usage(mut self, basis: UsageBasis<E>) -> Self {
        self.usage = basis;
        self
    }

    /// The features whose adoption is measured. Default: none (adoption 0).
    #[must_use]
    pub fn core_features(mut self, features: Vec<E>) -> Self {
        self.core_features = features;
        self
    }

    /// The workflows whose completion is measured. Default: none (completion 0).
    #[must_use]
    pub fn key_workflows(mut self, workflows: Vec<E>) -> Self {
        self.key_workflows = workflows;
        self
    }

    /// The usage-tier thresholds. Default: [`UsageTierThresholds::default`].
    #[must_use]
    pub fn tiers(mut self, tiers: UsageTierThresholds) -> Self {
        self.tiers = tiers;
        self
    }

    /// Days in the window.
    #[must_use]
    pub fn days(&self) -> u32 {
        (self.end.days_since(self.start) + 1) as u32
    }
}

/// Behaviour of one customer over the window.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BehaviourSummary {
    active_days: u32,
    logins: u32,
    logins_per_week: f64,
    features_used: u32,
    core_feature_adoption: f64,
    key_workflow_completion: f64,
    activity_trend: Option<f64>,
    usage_tier: UsageTier,
    #[cfg_attr(feature = "serde", serde(default))]
    events: u64,
    #[cfg_attr(feature = "serde", serde(default))]
    uses: u64,
    #[cfg_attr(feature = "serde", serde(default))]
    uses_per_week: f64,
    #[cfg_attr(feature = "serde", serde(default))]
    usage_minutes: Option<f64>,
}

impl BehaviourSummary {
    /// Distinct days with any event.
    #[must_use]
    pub fn active_days(&self) -> u32 {
        self.active_days
    }

    /// Login events.
    #[must_use]
    pub fn logins(&self) -> u32 {
        self.logins
    }

    /// Logins divided by the window's length in weeks (days / 7).
    #[must_use]
    pub fn logins_per_week(&self) -> f64 {
        self.logins_per_week
    }

    /// Distinct features used.
    #[must_use]
    pub fn features_used(&self) -> u32 {
        self.features_used
    }

    /// Share of the core features used at least once (0 when none are configured).
    #[must_use]
    pub fn core_feature_adoption(&self) -> f64 {
        self.core_feature_adoption
    }

    /// Share of the key workflows completed at least once (0 when none are configured).
    #[must_use]
    pub fn key_workflow_completion(&self) -> f64 {
        self.key_workflow_completion
    }

    /// Least-squares slope of active days per week against the week number, in active days per
    /// week per week; `None` for windows shorter than two weeks.
    ///
    /// ```text
    /// weeks run from the window start; a final partial week of m days counts 7/m times
    /// slope = sum((w - mean_w) * (a_w - mean_a)) / sum((w - mean_w)^2)
    /// ```
    #[must_use]
    pub fn activity_trend(&self) -> Option<f64> {
        self.activity_trend
    }

    /// Usage tier from uses per week (logins per week by default, see [`UsageBasis`]).
    #[must_use]
    pub fn usage_tier(&self) -> UsageTier {
        self.usage_tier
    }

    /// Events in the window, each record counted `count` times.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Uses in the window: the events of the configured [`UsageBasis`], with their counts.
    #[must_use]
    pub fn uses(&self) -> u64 {
        self.uses
    }

    /// Uses divided by the window's length in weeks (days / 7); the usage tier is read from it.
    #[must_use]
    pub fn uses_per_week(&self) -> f64 {
        self.uses_per_week
    }

    /// Minutes spent in the window, summed over the records that carry a duration; `None`
    /// when none does.
    #[must_use]
    pub fn usage_minutes(&self) -> Option<f64> {
        self.usage_minutes
    }

    /// Writes these values into a profile's behaviour, replacing what was there.
    pub fn apply_to(&self, behaviour: &mut Behaviour) {
        behaviour.active_days = Some(self.active_days);
        behaviour.logins = Some(self.logins);
        behaviour.logins_per_week = Some(self.logins_per_week);
        behaviour.features_used = Some(self.features_used);
        behaviour.core_feature_adoption = Some(self.core_feature_adoption);
        behaviour.key_workflow_completion = Some(self.key_workflow_completion);
        behaviour.activity_trend = self.activity_trend;
        behaviour.usage_tier = Some(self.usage_tier);
    }
}

/// Derives behaviour for every customer of `index` from `activity` in the configured window.
///
/// Events outside the window are ignored; customers without events in it get zero activity and
/// the dormant tier (they were observed, so zero is a measurement, not a missing value). The
/// result is a column over `index`'s customers (every one has a summary). Input order does not
/// matter. `index` is a [`CustomerIndex`](crate::CustomerIndex) for external keys, or its
/// [`dense`](crate::CustomerIndex::dense) view for records keyed by its dense ids.
///
/// # Errors
/// [`Error::EmptyInput`] when the index is empty; [`Error::UnknownCustomer`] naming the row when
/// an event's customer is not in the index.
pub fn derive_behaviour<K, E>(
    index: &impl CustomerLookup<K>,
    activity: &[Activity<K, E>],
    config: &BehaviourConfig<E>,
) -> Result<PerCustomer<BehaviourSummary>>
where
    K: Debug,
    E: Hash + Eq,
{
    if index.customer_count() == 0 {
        return Err(Error::EmptyInput {
            what: "customer index",
            item: "customer",
        });
    }
    // Feature and workflow codes: core features / key workflows first, then others as met.
    let mut codes: HashMap<(bool, &E), u32, KeyBuildHasher> = HashMap::default();
    for feature in &config.core_features {
        let next = codes.len() as u32;
        codes.entry((false, feature)).or_insert(next);
    }
    let core_count = codes.len();
    for workflow in &config.key_workflows {
        let next = codes.len() as u32;
        codes.entry((true, workflow)).or_insert(next);
    }
    let key_count = codes.len() - core_count;

    // One compact row per record in the window: customer, day offset, code (u32::MAX = login),
    // count and minutes.
    const LOGIN: u32 = u32::MAX;
    let mut rows: Vec<(u32, u32, u32, u32, f64)> = Vec::with_capacity(activity.len());
    for (position, event) in activity.iter().enumerate() {
        let id = index
            .lookup(&event.customer)
            // An id past the count (a faulty lookup) is as unknown as a missing one.
            .filter(|id| id.index() < index.customer_count())
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("activity row {position}"),
                customer: format!("{:?}", event.customer),
            })?;
        let minutes = match event.duration_minutes {
            None => 0.0,
            Some(m) if m.is_finite() && m >= 0.0 => m,
            Some(m) => {
                return Err(Error::OutOfRange {
                    record: format!("activity row {position} (customer {:?})", event.customer),
                    field: "duration_minutes".into(),
                    value: m,
                    expected: "a finite number of minutes, 0 or more",
                })
            }
        };
        if event.date < config.start || event.date > config.end || event.count == 0 {
            continue;
        }
        let offset = event.date.days_since(config.start) as u32;
        let code = match &event.event {
            ActivityEvent::Login => LOGIN,
            ActivityEvent::Feature(f) => {
                let next = codes.len() as u32;
                *codes.entry((false, f)).or_insert(next)
            }
            ActivityEvent::Workflow(w) => {
                let next = codes.len() as u32;
                *codes.entry((true, w)).or_insert(next)
            }
        };
        rows.push((id.0, offset, code, event.count, minutes));
    }
    // Equal rows in any input order sort alike, so the minute sums do not depend on it.
    rows.sort_unstable_by(|a, b| {
        (a.0, a.1, a.2, a.3)
            .cmp(&(b.0, b.1, b.2, b.3))
            .then(a.4.total_cmp(&b.4))
    });
    let has_minutes = activity.iter().any(|e| e.duration_minutes.is_some());

    let is_workflow: Vec<bool> = {
        let mut flags = vec![false; codes.len()];
        for (&(workflow, _), &code) in &codes {
            flags[code as usize] = workflow;
        }
        flags
    };
    // Which codes count as use.
    let (login_use, code_use): (bool, Vec<bool>) = match &config.usage {
        UsageBasis::Logins => (true, vec![false; codes.len()]),
        UsageBasis::AllEvents => (true, vec![true; codes.len()]),
        UsageBasis::Events(events) => {
            let mut marked = vec![false; codes.len()];
            let mut login = false;
            for event in events {
                let code = match event {
                    ActivityEvent::Login => {
                        login = true;
                        None
                    }
                    ActivityEvent::Feature(f) => codes.get(&(false, f)),
                    ActivityEvent::Workflow(w) => codes.get(&(true, w)),
                };
                if let Some(&code) = code {
                    marked[code as usize] = true;
                }
            }
            (login, marked)
        }
    };
    let mut seen_by = vec![u32::MAX; codes.len()];
    // Active days per week, only for the weeks with any: time and memory follow the rows, not
    // the length of the window.
    let mut weekly: Vec<(u32, u32)> = Vec::new();
    let mut summaries = Vec::with_capacity(index.customer_count());
    let mut rest = &rows[..];
    for customer in 0..index.customer_count() as u32 {
        let end = rest.partition_point(|r| r.0 == customer);
        let (mine, tail) = rest.split_at(end);
        rest = tail;
        weekly.clear();
        let (mut active_days, mut logins, mut features, mut core, mut key) = (0u32, 0u32, 0, 0, 0);
        let (mut events, mut uses, mut minutes) = (0u64, 0u64, ExactSum::new());
        let mut last_day = u32::MAX;
        for &(_, day, code, count, spent) in mine {
            if day != last_day {
                active_days += 1;
                match weekly.last_mut() {
                    Some((week, days)) if *week == day / 7 => *days += 1,
                    _ => weekly.push((day / 7, 1)),
                }
                last_day = day;
            }
            events = events.saturating_add(u64::from(count));
            minutes.push(spent);
            if code == LOGIN {
                logins = logins.saturating_add(count);
                if login_use {
                    uses = uses.saturating_add(u64::from(count));
                }
                continue;
            }
            if code_use[code as usize] {
                uses = uses.saturating_add(u64::from(count));
            }
            if seen_by[code as usize] == customer {
                continue;
            }
            seen_by[code as usize] = customer;
            let code = code as usize;
            if is_workflow[code] {
                key += u32::from(code >= core_count && code < core_count + key_count);
            } else {
                features += 1;
                core += u32::from(code < core_count);
            }
        }
        summaries.push(summarize(
            Tally {
                active_days,
                weekly: &weekly,
                logins,
                features,
                core,
                key,
                events,
                uses,
                minutes: &minutes,
            },
            Shape {
                core_count,
                key_count,
                timed: has_minutes,
            },
            config,
            || format!("customer {customer}"),
        )?);
    }
    PerCustomer::complete(index, summaries)
}

/// What one customer did in the window, counted.
pub(crate) struct Tally<'a> {
    pub(crate) active_days: u32,
    /// (week of the window, active days in it), for the weeks with any.
    pub(crate) weekly: &'a [(u32, u32)],
    pub(crate) logins: u32,
    pub(crate) features: u32,
    pub(crate) core: u32,
    pub(crate) key: u32,
    pub(crate) events: u64,
    pub(crate) uses: u64,
    pub(crate) minutes: &'a ExactSum,
}

/// What the whole log and the definitions fix: distinct core features and key workflows, and
/// whether any record carried a duration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) core_count: usize,
    pub(crate) key_count: usize,
    pub(crate) timed: bool,
}

/// One customer's summary from its tally (the one definition both the in-memory pass and the
/// mergeable partial states use).
pub(crate) fn summarize<E>(
    t: Tally<'_>,
    shape: Shape,
    config: &BehaviourConfig<E>,
    who: impl Fn() -> String,
) -> Result<BehaviourSummary> {
    let minutes = t.minutes.value().map_err(|_| Error::Undefined {
        reason: format!(
            "the minutes of {} add up past f64: record durations in hours or cap them",
            who()
        ),
    })?;
    let window_days = config.days();
    let weeks = window_days.div_ceil(7) as usize;
    let logins_per_week = f64::from(t.logins) * 7.0 / f64::from(window_days);
    let uses_per_week = t.uses as f64 * 7.0 / f64::from(window_days);
    Ok(BehaviourSummary {
        active_days: t.active_days,
        logins: t.logins,
        logins_per_week,
        features_used: t.features,
        core_feature_adoption: share(t.core, shape.core_count),
        key_workflow_completion: share(t.key, shape.key_count),
        activity_trend: weekly_trend(t.weekly, weeks, window_days),
        usage_tier: config.tiers.classify(uses_per_week)?,
        events: t.events,
        uses: t.uses,
        uses_per_week,
        usage_minutes: shape.timed.then_some(minutes),
    })
}

fn share(part: u32, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) / whole as f64
    }
}

/// The least-squares slope of active days per week over the `n` weeks of the window (the last
/// week scaled to seven days), from the weeks with activity only: with the week numbers
/// centred, `slope = sum_w (w - mean_w) a_w / sum_w (w - mean_w)^2`, and the weeks without
/// activity add nothing to the numerator.
fn weekly_trend(weekly: &[(u32, u32)], n: usize, window_days: u32) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let last_week_days = window_days - 7 * (n as u32 - 1);
    let mean_w = (n - 1) as f64 / 2.0;
    let mut num = 0.0;
    for &(w, count) in weekly {
        let mut value = f64::from(count);
        if w as usize == n - 1 {
            value = value * 7.0 / f64::from(last_week_days);
        }
        num += (f64::from(w) - mean_w) * value;
    }
    let nf = n as f64;
    let den = nf * (nf * nf - 1.0) / 12.0;
    Some(num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_of_declining_use_is_negative() {
        let dense = |counts: &[u32]| -> Vec<(u32, u32)> {
            (0u32..)
                .zip(counts.iter().copied())
                .filter(|w| w.1 > 0)
                .collect()
        };
        assert!(weekly_trend(&dense(&[5, 4, 2, 1]), 4, 28).unwrap() < 0.0);
        assert_eq!(weekly_trend(&dense(&[3, 3, 3]), 3, 21), Some(0.0));
        assert_eq!(weekly_trend(&dense(&[3]), 1, 7), None);
        // A partial last week of 3.5 days with 2 active days counts as 4.
        assert_eq!(weekly_trend(&dense(&[4, 2]), 2, 14), Some(-2.0));
        // Weeks without activity count as zeros.
        assert_eq!(weekly_trend(&dense(&[0, 0, 6]), 3, 21), Some(3.0));
    }
}

/// Which account each user belongs to: user-level events (product analytics keyed by user)
/// rolled up to the accounts the crate segments.
///
/// ```
/// use saas_segmentation::activity::{Activity, ActivityEvent, UserAccounts};
/// use saas_segmentation::records::BadRows;
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let members = UserAccounts::new([("ann@acme.io", "acme"), ("bo@acme.io", "acme"), ("cy@globex.io", "globex")])?;
/// let day = Date::from_ymd(2024, 3, 4)?;
/// let events = vec![
///     Activity::new("ann@acme.io", day, ActivityEvent::<String>::Login),
///     Activity::new("bo@acme.io", day, ActivityEvent::Login),
///     Activity::new("ann@acme.io", day, ActivityEvent::Login),
/// ];
/// let (accounts, report) = members.roll_up(&events, BadRows::Reject)?;
/// assert!(accounts.iter().all(|a| a.customer == "acme"));
/// assert_eq!(report.unknown_users, 0);
/// let index = CustomerIndex::from_keys(["acme", "globex"])?;
/// let users = members.active_users(&events, &index)?;
/// assert_eq!(users.of_key(&index, "acme")?, Some(&2));
/// assert_eq!(users.of_key(&index, "globex")?, Some(&0));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UserAccounts<U, K> {
    account: HashMap<U, K, KeyBuildHasher>,
}

/// What a roll-up did with the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RollUpReport {
    /// Events read.
    pub events: usize,
    /// Events of users with no account, left out ([`BadRows::Drop`](crate::records::BadRows)).
    pub unknown_users: usize,
}

impl<U: Hash + Eq + Clone + Debug, K: Clone + Debug + PartialEq> UserAccounts<U, K> {
    /// The membership table: (user, account) pairs, as a users export lists them.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a user listed under two accounts.
    pub fn new<I: IntoIterator<Item = (U, K)>>(pairs: I) -> Result<Self> {
        let mut account: HashMap<U, K, KeyBuildHasher> = HashMap::default();
        for (user, owner) in pairs {
            if let Some(previous) = account.get(&user) {
                if *previous != owner {
                    return Err(Error::InvalidParameter {
                        name: "user accounts",
                        reason: format!(
                            "user {user:?} is listed under {previous:?} and {owner:?}: keep one \
                             account per user (the current one)"
                        ),
                    });
                }
            }
            account.insert(user, owner);
        }
        Ok(UserAccounts { account })
    }

    /// The account of `user`.
    #[must_use]
    pub fn account_of(&self, user: &U) -> Option<&K> {
        self.account.get(user)
    }

    /// The events with each user replaced by their account (counts and durations kept).
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] naming the row for a user without an account, unless
    /// `unknown` is [`BadRows::Drop`](crate::records::BadRows), which leaves the event out and
    /// counts it.
    pub fn roll_up<E: Clone>(
        &self,
        events: &[Activity<U, E>],
        unknown: crate::records::BadRows,
    ) -> Result<(Vec<Activity<K, E>>, RollUpReport)> {
        let mut out = Vec::with_capacity(events.len());
        let mut report = RollUpReport {
            events: events.len(),
            unknown_users: 0,
        };
        for (row, event) in events.iter().enumerate() {
            let Some(account) = self.account.get(&event.customer) else {
                if unknown == crate::records::BadRows::Drop {
                    report.unknown_users += 1;
                    continue;
                }
                return Err(Error::UnknownCustomer {
                    record: format!("user event row {row}"),
                    customer: format!("{:?} (a user with no account in the table)", event.customer),
                });
            };
            out.push(Activity {
                customer: account.clone(),
                date: event.date,
                event: event.event.clone(),
                count: event.count,
                duration_minutes: event.duration_minutes,
            });
        }
        Ok((out, report))
    }

    /// Distinct users with at least one event (count above 0), per account of `index`
    /// (accounts without any are 0; users without an account are not counted): the seats in
    /// use, for [`Value::seats`](crate::model::Value::seats).
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] for an account the index does not hold.
    pub fn active_users<E>(
        &self,
        events: &[Activity<U, E>],
        index: &impl CustomerLookup<K>,
    ) -> Result<PerCustomer<u32>> {
        let mut seen: HashMap<&U, (), KeyBuildHasher> = HashMap::default();
        let mut users = vec![0u32; index.customer_count()];
        for event in events.iter().filter(|e| e.count > 0) {
            let Some(account) = self.account.get(&event.customer) else {
                continue;
            };
            if seen.insert(&event.customer, ()).is_some() {
                continue;
            }
            let id = index
                .lookup(account)
                .filter(|id| id.index() < users.len())
                .ok_or_else(|| Error::UnknownCustomer {
                    record: format!("the account of user {:?}", event.customer),
                    customer: format!("{account:?}"),
                })?;
            users[id.index()] = users[id.index()].saturating_add(1);
        }
        PerCustomer::complete(index, users)
    }
}
