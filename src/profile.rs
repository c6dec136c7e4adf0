//! One profile per customer, merged from partial records of several source systems.
//!
//! Each source (CRM, billing, product analytics, support, surveys) knows part of a customer. A
//! [`ProfileBuilder`] takes [`SourceRecord`]s keyed by the external customer id, merges them
//! field by field under a stated [`ConflictPolicy`] (default: the most recent observation wins),
//! and reports every field where two sources disagreed. Missing values stay `None`.
//!
//! ```
//! use saas_segmentation::profile::{CustomerProfile, ProfileBuilder, Source, SourceRecord};
//! use saas_segmentation::model::{Industry, Value};
//! use saas_segmentation::Date;
//!
//! let mut crm = CustomerProfile::default();
//! crm.firmographic.industry = Some(Industry::Retail);
//! crm.value.mrr = Some(400.0);
//! let mut billing = CustomerProfile::default();
//! billing.value = Value { mrr: Some(450.0), ..Value::default() };
//!
//! let profiles = ProfileBuilder::new()
//!     .record(SourceRecord::new("cus_1", Source::Crm, Date::from_ymd(2024, 1, 5)?, crm))
//!     .record(SourceRecord::new("cus_1", Source::Billing, Date::from_ymd(2024, 2, 1)?, billing))
//!     .build()?;
//!
//! let profile = profiles.profile(&"cus_1").expect("merged");
//! assert_eq!(profile.value.mrr, Some(450.0)); // billing observed it later
//! assert_eq!(profile.firmographic.industry, Some(Industry::Retail));
//! assert_eq!(profiles.conflicts().len(), 1);
//! assert_eq!(profiles.conflicts()[0].field, "value.mrr");
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt::Debug;
use std::hash::Hash;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerIndex};
use crate::model::{
    Behaviour, Firmographic, Needs, Persona, ProductMaturity, Psychographic, Technographic, Value,
};

labelled_enum! {
    /// The system a partial record came from.
    Source {
        /// CRM (Salesforce, HubSpot ...).
        Crm => "crm",
        /// Billing (Stripe, Chargebee ...).
        Billing => "billing",
        /// Product analytics (Amplitude, PostHog, Mixpanel ...).
        ProductAnalytics => "product_analytics",
        /// Support desk (Zendesk, Intercom ...).
        Support => "support",
        /// Surveys and interviews.
        Survey => "survey",
        /// Third-party enrichment (Clearbit-style data).
        Enrichment => "enrichment",
        /// Entered by hand.
        Manual => "manual",
    }
}

/// Everything known about one customer. Every field may be unknown (`None` or an empty list).
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct CustomerProfile {
    /// Company variables.
    pub firmographic: Firmographic,
    /// Main contact's persona.
    pub persona: Persona,
    /// Product usage.
    pub behaviour: Behaviour,
    /// Revenue and acquisition economics.
    pub value: Value,
    /// Needs and support topics.
    pub needs: Needs,
    /// Technology.
    pub technographic: Technographic,
    /// Attitudes and motivations.
    pub psychographic: Psychographic,
    /// Position on the adoption curve.
    pub maturity: Option<ProductMaturity>,
}

impl CustomerProfile {
    /// Checks every numeric field (finite, not negative, shares in [0, 1], employees >= 1).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] or [`Error::NonFinite`] naming `record` and the field.
    pub fn validate(&self, record: &str) -> Result<()> {
        self.firmographic.validate(record)?;
        self.behaviour.validate(record)?;
        self.value.validate(record)
    }
}

/// A partial profile from one source, observed on one date.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SourceRecord<K> {
    /// External customer key.
    pub customer: K,
    /// Where the record came from.
    pub source: Source,
    /// When the source observed these values.
    pub observed: Date,
    /// The values the source knows; the rest are `None`.
    pub profile: CustomerProfile,
}

impl<K> SourceRecord<K> {
    /// A record of `profile` for `customer`, seen in `source` on `observed`.
    pub fn new(customer: K, source: Source, observed: Date, profile: CustomerProfile) -> Self {
        SourceRecord {
            customer,
            source,
            observed,
            profile,
        }
    }
}

/// Which value wins when two sources disagree on a field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ConflictPolicy {
    /// The most recent observation wins; on the same date the source listed first in
    /// [`Source::ALL`] (CRM, then billing ...) wins, and within one source and date the record
    /// given last wins.
    #[default]
    MostRecent,
    /// Sources earlier in the list win over later ones whatever the dates; between records of
    /// one source the most recent wins. Sources not listed rank after every listed one.
    SourcePriority(Vec<Source>),
}

/// One value as a source saw it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Observation {
    /// The source.
    pub source: Source,
    /// When it saw the value.
    pub observed: Date,
    /// The value, formatted with `Debug`.
    pub value: String,
}

/// A field where two sources disagreed, and which one the policy kept.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Conflict {
    /// The customer, as its dense id in the profile set's index.
    pub customer: CustomerId,
    /// The field, as `group.field` (`"value.mrr"`).
    pub field: String,
    /// The value the policy kept.
    pub kept: Observation,
    /// The value it overruled.
    pub overruled: Observation,
}

/// Collects source records and merges them into one profile per customer.
#[derive(Debug, Clone)]
pub struct ProfileBuilder<K> {
    records: Vec<SourceRecord<K>>,
    policy: ConflictPolicy,
}

impl<K> Default for ProfileBuilder<K> {
    fn default() -> Self {
        ProfileBuilder {
            records: Vec::new(),
            policy: ConflictPolicy::default(),
        }
    }
}

impl<K: Hash + Eq + Clone + Debug> ProfileBuilder<K> {
    /// A builder with no records and the default policy ([`ConflictPolicy::MostRecent`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the conflict policy. Default: [`ConflictPolicy::MostRecent`].
    #[must_use]
    pub fn policy(mut self, policy: ConflictPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds one record.
    #[must_use]
    pub fn record(mut self, record: SourceRecord<K>) -> Self {
        self.records.push(record);
        self
    }

    /// Adds many records.
    #[must_use]
    pub fn records<I: IntoIterator<Item = SourceRecord<K>>>(mut self, records: I) -> Self {
        self.records.extend(records);
        self
    }

    /// Merges the records into one profile per customer.
    ///
    /// Customers are indexed in order of first appearance in the records. Lists (goals,
    /// integrations ...) are merged as sorted unions; every other field by the policy, with each
    /// disagreement reported in [`ProfileSet::conflicts`].
    ///
    /// # Errors
    /// [`Error::EmptyInput`] with no records; [`Error::OutOfRange`] or [`Error::NonFinite`]
    /// naming the record and field when a value is invalid.
    pub fn build(self) -> Result<ProfileSet<K>> {
        if self.records.is_empty() {
            return Err(Error::EmptyInput {
                what: "source records",
                item: "SourceRecord",
            });
        }
        let mut index = CustomerIndex::with_capacity(self.records.len());
        let mut customer_of = Vec::with_capacity(self.records.len());
        for (position, record) in self.records.iter().enumerate() {
            // Validate with an empty name first, and name the record only on failure.
            if let Err(unnamed) = record.profile.validate("") {
                let name = format!(
                    "source record {position} ({} record of customer {:?})",
                    record.source, record.customer
                );
                return Err(record.profile.validate(&name).err().unwrap_or(unnamed));
            }
            customer_of.push(index.intern(record.customer.clone())?);
        }

        let source_rank = |source: Source| -> usize {
            match &self.policy {
                ConflictPolicy::MostRecent => Source::ALL.len() - source as usize,
                ConflictPolicy::SourcePriority(list) => {
                    list.len() - list.iter().position(|s| *s == source).unwrap_or(list.len())
                }
            }
        };
        // Group records by customer and process each customer's from weakest to strongest, so
        // the record merged last wins.
        let mut order: Vec<usize> = (0..self.records.len()).collect();
        order.sort_by_key(|&i| {
            let r = &self.records[i];
            let customer = customer_of[i];
            match self.policy {
                ConflictPolicy::MostRecent => {
                    (customer, r.observed, source_rank(r.source), Date::MIN, i)
                }
                ConflictPolicy::SourcePriority(_) => {
                    (customer, Date::MIN, source_rank(r.source), r.observed, i)
                }
            }
        });

        let mut merger = Merger {
            profiles: vec![CustomerProfile::default(); index.len()],
            customer: None,
            seen: Vec::new(),
            conflicts: Vec::new(),
        };
        for i in order {
            let record = &self.records[i];
            merger.merge(customer_of[i], record);
        }
        Ok(ProfileSet {
            index,
            profiles: merger.profiles,
            conflicts: merger.conflicts,
        })
    }
}

struct Merger {
    profiles: Vec<CustomerProfile>,
    customer: Option<CustomerId>,
    // Which source last set each field of the current customer (records arrive grouped by
    // customer, so a short list suffices).
    seen: Vec<(&'static str, Source, Date)>,
    conflicts: Vec<Conflict>,
}

macro_rules! merge_options {
    ($self:ident, $customer:expr, $record:expr, $current:expr, $incoming:expr, $group:literal; $($field:ident).+ $(, $($rest:ident).+)*) => {
        $self.option(
            $customer,
            $record,
            concat!($group, ".", stringify!($($field).+)),
            &mut $current.$($field).+,
            &$incoming.$($field).+,
        );
        merge_options!($self, $customer, $record, $current, $incoming, $group; $($($rest).+),*);
    };
    ($self:ident, $customer:expr, $record:expr, $current:expr, $incoming:expr, $group:literal;) => {};
}

impl Merger {
    fn merge<K>(&mut self, customer: CustomerId, record: &SourceRecord<K>) {
        if self.customer != Some(customer) {
            self.customer = Some(customer);
            self.seen.clear();
        }
        let mut current = std::mem::take(&mut self.profiles[customer.index()]);
        let incoming = &record.profile;
        let meta = (record.source, record.observed);
        merge_options!(self, customer, meta, current.firmographic, incoming.firmographic, "firmographic";
            industry, industry_label, employees, annual_revenue, country, region, business_model,
            growth_stage, growth_trajectory);
        merge_options!(self, customer, meta, current.persona, incoming.persona, "persona";
            role, seniority, department, decision_maker, buyer_role, champion);
        merge_options!(self, customer, meta, current.behaviour, incoming.behaviour, "behaviour";
            logins, logins_per_week, active_days, avg_session_minutes, features_used,
            core_feature_adoption, key_workflow_completion, activity_trend, usage_tier,
            seat_utilization, churn_risk, engagement.email_response_rate,
            engagement.meetings_attended, engagement.community_interactions);
        merge_options!(self, customer, meta, current.value, incoming.value, "value";
            plan_tier, plan_label, mrr, billing_status, upsells, cross_sells, acquisition_channel,
            channel_label, cac, ltv, customer_since, seats, seat_limit);
        merge_options!(self, customer, meta, current.needs, incoming.needs, "needs";
            support_tickets);
        merge_options!(self, customer, meta, current.psychographic, incoming.psychographic,
            "psychographic"; tech_attitude, risk_aversion, motivation);
        merge_options!(self, customer, meta, current, incoming, "profile"; maturity);
        union(&mut current.needs.goals, &incoming.needs.goals);
        union(
            &mut current.needs.jobs_to_be_done,
            &incoming.needs.jobs_to_be_done,
        );
        union(
            &mut current.needs.support_topics,
            &incoming.needs.support_topics,
        );
        union(
            &mut current.technographic.integrations,
            &incoming.technographic.integrations,
        );
        union(
            &mut current.technographic.platforms,
            &incoming.technographic.platforms,
        );
        union(
            &mut current.technographic.tech_stack,
            &incoming.technographic.tech_stack,
        );
        self.profiles[customer.index()] = current;
    }

    fn option<T: Clone + PartialEq + Debug>(
        &mut self,
        customer: CustomerId,
        (source, observed): (Source, Date),
        field: &'static str,
        current: &mut Option<T>,
        incoming: &Option<T>,
    ) {
        let Some(new) = incoming else { return };
        let previous = match self.seen.iter_mut().find(|(f, ..)| *f == field) {
            Some((_, s, d)) => Some((std::mem::replace(s, source), std::mem::replace(d, observed))),
            None => {
                self.seen.push((field, source, observed));
                None
            }
        };
        match (current.as_ref(), previous) {
            (Some(old), Some((old_source, old_observed))) if old != new => {
                self.conflicts.push(Conflict {
                    customer,
                    field: field.to_owned(),
                    kept: Observation {
                        source,
                        observed,
                        value: format!("{new:?}"),
                    },
                    overruled: Observation {
                        source: old_source,
                        observed: old_observed,
                        value: format!("{old:?}"),
                    },
                });
            }
            _ => {}
        }
        *current = Some(new.clone());
    }
}

fn union<T: Ord + Clone>(current: &mut Vec<T>, incoming: &[T]) {
    if incoming.is_empty() {
        return;
    }
    current.extend_from_slice(incoming);
    current.sort();
    current.dedup();
}

/// Merged profiles, one per customer of the index, with the conflicts met on the way.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "K: serde::Serialize",
        deserialize = "K: serde::Deserialize<'de> + Hash + Eq + Clone"
    ))
)]
pub struct ProfileSet<K> {
    index: CustomerIndex<K>,
    profiles: Vec<CustomerProfile>,
    conflicts: Vec<Conflict>,
}

impl<K: Hash + Eq + Clone> ProfileSet<K> {
    /// Profiles given directly, one per key (no merging, no conflicts).
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when a key repeats; validation errors of
    /// [`CustomerProfile::validate`].
    pub fn from_profiles<I>(profiles: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, CustomerProfile)>,
        K: Debug,
    {
        let mut index = CustomerIndex::new();
        let mut list = Vec::new();
        for (key, profile) in profiles {
            profile.validate(&format!("profile of customer {key:?}"))?;
            let name = format!("{key:?}");
            let id = index.intern(key)?;
            if id.index() != list.len() {
                return Err(Error::DuplicateName {
                    what: "customer",
                    name,
                });
            }
            list.push(profile);
        }
        Ok(ProfileSet {
            index,
            profiles: list,
            conflicts: Vec::new(),
        })
    }

    /// The profile of the customer with external key `key`.
    #[must_use]
    pub fn profile<Q>(&self, key: &Q) -> Option<&CustomerProfile>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index
            .get(key)
            .and_then(|id| self.profiles.get(id.index()))
    }
}

impl<K> crate::universe::CustomerSet for ProfileSet<K> {
    fn universe(&self) -> crate::universe::Universe {
        self.index.universe()
    }
}

impl<K> ProfileSet<K> {
    /// The customer index: dense id `i` is the customer of `profiles()[i]`.
    #[must_use]
    pub fn index(&self) -> &CustomerIndex<K> {
        &self.index
    }

    /// Every profile, in dense-id order.
    #[must_use]
    pub fn profiles(&self) -> &[CustomerProfile] {
        &self.profiles
    }

    /// The profile of a dense id.
    #[must_use]
    pub fn get(&self, id: CustomerId) -> Option<&CustomerProfile> {
        self.profiles.get(id.index())
    }

    /// Every field where sources disagreed, grouped by customer (dense-id order), then in merge
    /// order.
    #[must_use]
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Mutable access to every profile, in dense-id order.
    pub fn profiles_mut(&mut self) -> &mut [CustomerProfile] {
        &mut self.profiles
    }

    /// Writes derived behaviour into each customer's profile
    /// ([`BehaviourSummary::apply_to`](crate::activity::BehaviourSummary::apply_to)); customers
    /// without a summary keep theirs.
    ///
    /// ```
    /// use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
    /// use saas_segmentation::profile::{CustomerProfile, ProfileSet};
    /// use saas_segmentation::Date;
    ///
    /// let mut profiles = ProfileSet::from_profiles([
    ///     ("cus_b", CustomerProfile::default()),
    ///     ("cus_a", CustomerProfile::default()),
    /// ])?;
    /// let day = Date::from_ymd(2024, 3, 1)?;
    /// let log: Vec<Activity<&str>> = vec![Activity::new("cus_a", day, ActivityEvent::Login)];
    /// let behaviour = derive_behaviour(profiles.index(), &log, &BehaviourConfig::new(day, day)?)?;
    /// profiles.apply_behaviour(&behaviour)?;
    /// assert_eq!(profiles.profile("cus_a").and_then(|p| p.behaviour.active_days), Some(1));
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the behaviour was derived over another customer set.
    pub fn apply_behaviour(
        &mut self,
        behaviour: &crate::universe::PerCustomer<crate::activity::BehaviourSummary>,
    ) -> Result<()> {
        crate::universe::ensure_same(&self.index, behaviour, "behaviour summaries")?;
        for (profile, summary) in self.profiles.iter_mut().zip(behaviour.values()) {
            if let Some(summary) = summary {
                summary.apply_to(&mut profile.behaviour);
            }
        }
        Ok(())
    }

    /// Writes health into each customer's behaviour: `churn_risk` = (100 - health) / 100, and
    /// `seat_utilization` from the profile's seats and seat limit where both are known, so
    /// that rules and feature matrices over profiles can use them; customers without a health
    /// score keep theirs.
    ///
    /// ```
    /// use saas_segmentation::activity::{Activity, ActivityEvent};
    /// use saas_segmentation::profile::{CustomerProfile, ProfileSet};
    /// use saas_segmentation::propensity::{account_signals, health_scores, HealthWeights, SignalParams, SignalSources};
    /// use saas_segmentation::Date;
    ///
    /// let mut profiles = ProfileSet::from_profiles([("a", CustomerProfile::default())])?;
    /// let end: Date = "2024-03-31".parse()?;
    /// let log: Vec<Activity<&str, &str>> = (0..60)
    ///     .map(|d| Activity::new("a", end.add_days(-83 + d).unwrap(), ActivityEvent::Login))
    ///     .collect();
    /// let signals = account_signals(profiles.index(), &SignalSources::new(&log), &SignalParams::new(end))?;
    /// let health = health_scores(&signals, &HealthWeights::default())?;
    /// profiles.apply_health(&health)?;
    /// assert!(profiles.profile("a").unwrap().behaviour.churn_risk.unwrap() > 0.0);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the scores are over another customer set.
    pub fn apply_health(
        &mut self,
        health: &crate::universe::PerCustomer<crate::propensity::Health>,
    ) -> Result<()> {
        crate::universe::ensure_same(&self.index, health, "health scores")?;
        for (profile, h) in self.profiles.iter_mut().zip(health.values()) {
            if let Some(h) = h {
                profile.behaviour.churn_risk = Some(((100.0 - h.score) / 100.0).clamp(0.0, 1.0));
                if let Some(u) = profile.value.seat_utilization() {
                    profile.behaviour.seat_utilization = Some(u);
                }
            }
        }
        Ok(())
    }
}
