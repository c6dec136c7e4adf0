//! One customer's behaviour as a mergeable state, for query engines.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

use super::UsageBasis;
use super::{summarize, Activity, ActivityEvent, BehaviourConfig, BehaviourSummary, Shape, Tally};
use crate::error::{Error, Result};
use crate::ids::CustomerIndex;
use crate::stats::ExactSum;
use crate::universe::PerCustomer;

/// One customer's behaviour as a query engine's group-by keeps it: add that customer's activity
/// in any partition with [`BehaviourPartial::add`], [`merge`](BehaviourPartial::merge) the
/// partitions' states, and build the summaries of a customer index with
/// [`behaviour_from_partials`], equal to [`derive_behaviour`](super::derive_behaviour) over the
/// same rows (minutes are exact sums, so the order rows met in does not matter).
///
/// The state holds the distinct active days and the distinct features and workflows the
/// customer used in the window, so its size follows the customer's activity, never the length
/// of the window.
///
/// ```
/// use saas_segmentation::activity::{
///     behaviour_from_partials, derive_behaviour, Activity, ActivityEvent, BehaviourConfig,
///     BehaviourPartial,
/// };
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let day = |d| Date::from_ymd(2024, 3, d);
/// let config = BehaviourConfig::new(day(1)?, day(28)?)?.core_features(vec!["reports"]);
/// let log = vec![
///     Activity::new("acme", day(4)?, ActivityEvent::Login),
///     Activity::new("acme", day(12)?, ActivityEvent::Feature("reports")),
/// ];
/// // Two partitions of acme's rows.
/// let mut a = BehaviourPartial::new();
/// a.add(&log[0], &config)?;
/// let mut b = BehaviourPartial::new();
/// b.add(&log[1], &config)?;
/// a.merge(&b);
/// let index = CustomerIndex::from_keys(["acme", "globex"])?;
/// let merged = behaviour_from_partials(&index, vec![("acme", a)], &config)?;
/// assert_eq!(merged, derive_behaviour(&index, &log, &config)?);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(bound(
        serialize = "E: serde::Serialize",
        deserialize = "E: serde::Deserialize<'de> + Ord"
    ))
)]
pub struct BehaviourPartial<E> {
    /// Distinct active days, as days from the window's start.
    days: BTreeSet<u32>,
    /// Distinct features (`false`) and workflows (`true`) used in the window.
    used: BTreeSet<(bool, E)>,
    logins: u32,
    events: u64,
    uses: u64,
    #[cfg_attr(feature = "serde", serde(with = "exact_partials"))]
    minutes: ExactSum,
    /// Whether any of the customer's records carried a duration (in the window or not).
    timed: bool,
}

#[cfg(feature = "serde")]
mod exact_partials {
    use crate::stats::ExactSum;

    pub(super) fn serialize<S: serde::Serializer>(
        sum: &ExactSum,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(sum.partials(), serializer)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ExactSum, D::Error> {
        let partials: Vec<f64> = serde::Deserialize::deserialize(deserializer)?;
        ExactSum::from_partials(&partials).map_err(serde::de::Error::custom)
    }
}

impl<E> Default for BehaviourPartial<E> {
    fn default() -> Self {
        BehaviourPartial {
            days: BTreeSet::new(),
            used: BTreeSet::new(),
            logins: 0,
            events: 0,
            uses: 0,
            minutes: ExactSum::new(),
            timed: false,
        }
    }
}

impl<E: Ord + Clone + PartialEq> BehaviourPartial<E> {
    /// An empty state (no activity).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one record of this customer under `config` (the key is used only in messages).
    /// Records outside the window or with count 0 add nothing but their duration's check.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative or non-finite duration, naming the customer.
    pub fn add<K: Debug>(
        &mut self,
        activity: &Activity<K, E>,
        config: &BehaviourConfig<E>,
    ) -> Result<()> {
        if let Some(m) = activity.duration_minutes {
            if !(m.is_finite() && m >= 0.0) {
                return Err(Error::OutOfRange {
                    record: format!("activity of customer {:?}", activity.customer),
                    field: "duration_minutes".into(),
                    value: m,
                    expected: "a finite number of minutes, 0 or more",
                });
            }
            self.timed = true;
        }
        if activity.date < config.start || activity.date > config.end || activity.count == 0 {
            return Ok(());
        }
        self.days
            .insert(activity.date.days_since(config.start) as u32);
        let count = activity.count;
        self.events = self.events.saturating_add(u64::from(count));
        if let Some(m) = activity.duration_minutes {
            self.minutes.push(m);
        }
        let counts_as_use = match &config.usage {
            UsageBasis::Logins => matches!(activity.event, ActivityEvent::Login),
            UsageBasis::AllEvents => true,
            UsageBasis::Events(events) => events.contains(&activity.event),
        };
        if counts_as_use {
            self.uses = self.uses.saturating_add(u64::from(count));
        }
        match &activity.event {
            ActivityEvent::Login => self.logins = self.logins.saturating_add(count),
            ActivityEvent::Feature(f) => {
                self.used.insert((false, f.clone()));
            }
            ActivityEvent::Workflow(w) => {
                self.used.insert((true, w.clone()));
            }
        }
        Ok(())
    }

    /// Merges another partial state of the same customer into this one.
    pub fn merge(&mut self, other: &BehaviourPartial<E>) {
        self.days.extend(other.days.iter().copied());
        self.used.extend(other.used.iter().cloned());
        self.logins = self.logins.saturating_add(other.logins);
        self.events = self.events.saturating_add(other.events);
        self.uses = self.uses.saturating_add(other.uses);
        self.minutes.merge(&other.minutes);
        self.timed |= other.timed;
    }

    /// Whether any record of the customer carried a duration.
    #[must_use]
    pub fn timed(&self) -> bool {
        self.timed
    }
}

/// The behaviour of every customer of `index` from their partial states (customers without one
/// had no activity), equal to [`derive_behaviour`](super::derive_behaviour) over the rows the
/// states were built from. Partial states of the same customer in `partials` are merged.
///
/// # Errors
/// [`Error::EmptyInput`] for an empty index, [`Error::UnknownCustomer`] for a key the index
/// does not hold, [`Error::InvalidParameter`] for a state with an active day past the window
/// (a state of another window), and as [`derive_behaviour`](super::derive_behaviour).
pub fn behaviour_from_partials<K, E>(
    index: &CustomerIndex<K>,
    partials: Vec<(K, BehaviourPartial<E>)>,
    config: &BehaviourConfig<E>,
) -> Result<PerCustomer<BehaviourSummary>>
where
    K: Hash + Eq + Clone + Debug,
    E: Ord + Clone + Hash + Eq,
{
    if index.is_empty() {
        return Err(Error::EmptyInput {
            what: "customer index",
            item: "customer",
        });
    }
    let mut states: Vec<Option<BehaviourPartial<E>>> = vec![None; index.len()];
    let mut timed = false;
    for (key, partial) in partials {
        let id = index.get(&key).ok_or_else(|| Error::UnknownCustomer {
            record: "behaviour partial states".into(),
            customer: format!("{key:?}"),
        })?;
        if partial.days.last().is_some_and(|&d| d >= config.days()) {
            return Err(Error::InvalidParameter {
                name: "partials",
                reason: format!(
                    "the state of customer {key:?} has an active day past the {}-day window: \
                     build the states under the same window",
                    config.days()
                ),
            });
        }
        timed |= partial.timed;
        match &mut states[id.index()] {
            Some(state) => state.merge(&partial),
            slot @ None => *slot = Some(partial),
        }
    }
    let core: HashSet<&E> = config.core_features.iter().collect();
    let key_workflows: HashSet<&E> = config.key_workflows.iter().collect();
    let shape = Shape {
        core_count: core.len(),
        key_count: key_workflows.len(),
        timed,
    };
    let empty = BehaviourPartial::default();
    let mut weekly: Vec<(u32, u32)> = Vec::new();
    let mut summaries = Vec::with_capacity(index.len());
    for (i, state) in states.iter().enumerate() {
        let state = state.as_ref().unwrap_or(&empty);
        weekly.clear();
        for &day in &state.days {
            match weekly.last_mut() {
                Some((week, days)) if *week == day / 7 => *days += 1,
                _ => weekly.push((day / 7, 1)),
            }
        }
        let (mut features, mut core_used, mut key_used) = (0u32, 0u32, 0u32);
        for (workflow, event) in &state.used {
            if *workflow {
                key_used += u32::from(key_workflows.contains(event));
            } else {
                features += 1;
                core_used += u32::from(core.contains(event));
            }
        }
        summaries.push(summarize(
            Tally {
                active_days: state.days.len() as u32,
                weekly: &weekly,
                logins: state.logins,
                features,
                core: core_used,
                key: key_used,
                events: state.events,
                uses: state.uses,
                minutes: &state.minutes,
            },
            shape,
            config,
            || format!("customer {i}"),
        )?);
    }
    PerCustomer::complete(index, summaries)
}
