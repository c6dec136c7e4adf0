//! Churn-risk and expansion signals per account from activity, support, billing and outreach
//! records, each with its evidence.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Debug};
use std::hash::Hash;

use super::signals::{change_point, ols_slope, SignalParams, UsageSignals};
use crate::activity::{Activity, ActivityEvent};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::{CustomerLookup, KeyBuildHasher};
use crate::model::PlanTier;
use crate::profile::{CustomerProfile, ProfileSet};
use crate::records::MrrRecord;
use crate::universe::PerCustomer;

/// A support ticket: when it was opened and whether it reports a problem (a bug, an outage,
/// a complaint) rather than a question.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SupportTicket<K> {
    /// Customer key.
    pub customer: K,
    /// The day it was opened.
    pub opened: Date,
    /// Whether it is tagged as a problem.
    pub problem: bool,
}

impl<K> SupportTicket<K> {
    /// A ticket.
    pub fn new(customer: K, opened: Date, problem: bool) -> Self {
        SupportTicket {
            customer,
            opened,
            problem,
        }
    }
}

/// An outreach touch (a success manager's email, call or review invitation) and when the
/// customer answered it, if they did.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Touch<K> {
    /// Customer key.
    pub customer: K,
    /// The day it was sent.
    pub sent: Date,
    /// The day it was answered; `None` while unanswered.
    pub answered: Option<Date>,
}

impl<K> Touch<K> {
    /// A touch.
    pub fn new(customer: K, sent: Date, answered: Option<Date>) -> Self {
        Touch {
            customer,
            sent,
            answered,
        }
    }
}

/// What an account has bought: its plan and seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Entitlement {
    /// The plan tier.
    pub plan: Option<PlanTier>,
    /// Seats in use.
    pub seats: Option<u32>,
    /// Seats the plan or contract allows.
    pub seat_limit: Option<u32>,
}

impl Entitlement {
    /// The plan and seats of a profile.
    #[must_use]
    pub fn of(profile: &CustomerProfile) -> Self {
        Entitlement {
            plan: profile.value.plan_tier,
            seats: profile.value.seats,
            seat_limit: profile.value.seat_limit,
        }
    }

    /// The entitlements of every profile of a set, on its customer axis.
    ///
    /// # Errors
    /// None in practice (the set holds one profile per customer).
    pub fn of_profiles<K>(profiles: &ProfileSet<K>) -> Result<PerCustomer<Entitlement>> {
        PerCustomer::complete(profiles, profiles.profiles().iter().map(Self::of).collect())
    }
}

macro_rules! signal_kinds {
    ($($(#[$doc:meta])* $variant:ident => $label:literal, $unit:literal, $churn:literal;)+) => {
        /// A churn-risk or expansion signal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub enum SignalKind {
            $($(#[$doc])* $variant,)+
        }

        impl SignalKind {
            /// Every kind: the churn-risk signals, then the expansion signals.
            pub const ALL: [SignalKind; 12] = [$(SignalKind::$variant),+];

            /// The name an analyst reads ("declining usage").
            #[must_use]
            pub const fn label(self) -> &'static str {
                match self { $(SignalKind::$variant => $label,)+ }
            }

            /// The unit of its baseline and current values.
            #[must_use]
            pub const fn unit(self) -> &'static str {
                match self { $(SignalKind::$variant => $unit,)+ }
            }

            /// Whether it signals churn risk (otherwise expansion).
            #[must_use]
            pub const fn is_churn_risk(self) -> bool {
                match self { $(SignalKind::$variant => $churn,)+ }
            }
        }
    };
}

signal_kinds! {
    /// Usage events per week fell by the decline share with a negative slope.
    DecliningUsage => "declining usage", "events/week", true;
    /// Usage fell below the minimum after a baseline above it.
    WentQuiet => "went quiet", "events/week", true;
    /// Fewer distinct features used (breadth).
    FewerFeatures => "fewer features", "distinct features", true;
    /// Fewer feature uses per week (depth).
    ShallowerUse => "shallower use", "feature uses/week", true;
    /// More problem-tagged support tickets than the customer's own baseline.
    RisingTickets => "rising problem tickets", "problem tickets/week", true;
    /// Outreach left unanswered.
    IgnoredOutreach => "ignored outreach", "of touches unanswered", true;
    /// MRR below its recent peak.
    MrrContraction => "MRR contraction", "MRR", true;
    /// Seats in use near the seat limit.
    SeatsNearLimit => "seats near limit", "of seats in use", false;
    /// Features of a higher plan in use.
    FeaturesAbovePlan => "features above plan", "features of a higher plan", false;
    /// Colleagues invited.
    InvitingColleagues => "inviting colleagues", "invites in the window", false;
    /// Usage events per week rose by the rise share with a positive slope.
    RisingVelocity => "rising usage velocity", "events/week", false;
    /// MRR expanded month over month.
    ExpansionHistory => "expansion MRR", "MRR", false;
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One signal of one account, with its evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Evidence {
    /// Which signal.
    pub kind: SignalKind,
    /// Whether it fired at the thresholds.
    pub fired: bool,
    /// The level before the window (`None` where the signal has no baseline, or none was
    /// observed).
    pub baseline: Option<f64>,
    /// The level in the window (for seats: now), in [`SignalKind::unit`].
    pub current: f64,
    /// `current / baseline - 1`, where the baseline is above 0.
    pub change: Option<f64>,
    /// The threshold it was judged against, in the unit of `change` where the signal is a
    /// change, of `current` otherwise.
    pub threshold: f64,
    /// Since when: the week the level dropped or rose, the first problem ticket, unanswered
    /// touch, use above plan or invite in the window, the first month below the peak or of
    /// expansion.
    pub since: Option<Date>,
    /// How strongly it fired, in [0, 1] (0 when it did not; at least ½ when it did).
    pub strength: f64,
}

impl Evidence {
    /// The evidence in words, for a CS or sales list: "declining usage: 3.0 events/week vs
    /// 9.5 before (-68%; threshold -30%) since 2024-03-04".
    #[must_use]
    pub fn reason(&self) -> String {
        use SignalKind as S;
        let value = |v: f64| match self.kind {
            S::MrrContraction
            | S::ExpansionHistory
            | S::FeaturesAbovePlan
            | S::InvitingColleagues => format!("{v:.0}"),
            S::SeatsNearLimit | S::IgnoredOutreach => format!("{:.0}%", 100.0 * v),
            _ => format!("{v:.1}"),
        };
        let mut s = format!(
            "{}: {} {}",
            self.kind,
            value(self.current),
            self.kind.unit()
        );
        if let Some(b) = self.baseline {
            s += &format!(" vs {} before", value(b));
        }
        match self.kind {
            S::WentQuiet
            | S::SeatsNearLimit
            | S::IgnoredOutreach
            | S::FeaturesAbovePlan
            | S::InvitingColleagues => s += &format!(" (threshold {})", value(self.threshold)),
            _ => {
                let change = self
                    .change
                    .map_or_else(|| "new".to_owned(), |c| format!("{:+.0}%", 100.0 * c));
                s += &format!(" ({change}; threshold {:+.0}%)", 100.0 * self.threshold);
            }
        }
        if let Some(d) = self.since {
            s += &format!(" since {d}");
        }
        s
    }
}

/// Every signal of one account.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AccountSignals {
    /// The usage series behind the usage signals.
    pub usage: UsageSignals,
    /// The first day of the baseline weeks.
    pub baseline_from: Date,
    /// The first day of the window weeks (the window ends on the analysis date).
    pub window_from: Date,
    /// One entry per signal whose records were given, in [`SignalKind::ALL`] order.
    pub evidence: Vec<Evidence>,
}

impl AccountSignals {
    /// The evidence of one signal (`None` when its records were not given).
    #[must_use]
    pub fn get(&self, kind: SignalKind) -> Option<&Evidence> {
        self.evidence.iter().find(|e| e.kind == kind)
    }

    /// Whether `kind` fired.
    #[must_use]
    pub fn fired(&self, kind: SignalKind) -> bool {
        self.get(kind).is_some_and(|e| e.fired)
    }

    /// The signals that fired.
    pub fn fired_signals(&self) -> impl Iterator<Item = &Evidence> {
        self.evidence.iter().filter(|e| e.fired)
    }
}

/// The records signals are computed from: activity always; support tickets, outreach, MRR
/// history, entitlements, the plan each feature needs and the event that invites a colleague
/// where the caller has them (a signal whose records are missing is left out, never guessed).
pub struct SignalSources<'a, K, E> {
    activity: &'a [Activity<K, E>],
    tickets: Option<&'a [SupportTicket<K>]>,
    touches: Option<&'a [Touch<K>]>,
    mrr: Option<&'a [MrrRecord<K>]>,
    entitlements: Option<&'a PerCustomer<Entitlement>>,
    feature_plans: Option<&'a [(E, PlanTier)]>,
    invite: Option<&'a E>,
}

impl<K, E> fmt::Debug for SignalSources<'_, K, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalSources")
            .field("activity", &self.activity.len())
            .field("tickets", &self.tickets.map(<[_]>::len))
            .field("touches", &self.touches.map(<[_]>::len))
            .field("mrr", &self.mrr.map(<[_]>::len))
            .field("entitlements", &self.entitlements.map(PerCustomer::len))
            .field("feature_plans", &self.feature_plans.map(<[_]>::len))
            .field("invite", &self.invite.is_some())
            .finish()
    }
}

impl<'a, K, E> SignalSources<'a, K, E> {
    /// Sources with an activity log only.
    #[must_use]
    pub fn new(activity: &'a [Activity<K, E>]) -> Self {
        SignalSources {
            activity,
            tickets: None,
            touches: None,
            mrr: None,
            entitlements: None,
            feature_plans: None,
            invite: None,
        }
    }

    /// Support tickets (rising problem tickets).
    #[must_use]
    pub fn tickets(mut self, tickets: &'a [SupportTicket<K>]) -> Self {
        self.tickets = Some(tickets);
        self
    }

    /// Outreach touches (ignored outreach).
    #[must_use]
    pub fn touches(mut self, touches: &'a [Touch<K>]) -> Self {
        self.touches = Some(touches);
        self
    }

    /// Monthly MRR (contraction and expansion history). Months without a record between a
    /// customer's first record and the analysis month count as 0; two records of one month add
    /// up (two subscriptions).
    #[must_use]
    pub fn mrr(mut self, mrr: &'a [MrrRecord<K>]) -> Self {
        self.mrr = Some(mrr);
        self
    }

    /// Plans and seats per customer (seats near the limit; with
    /// [`SignalSources::feature_plans`], features above plan).
    #[must_use]
    pub fn entitlements(mut self, entitlements: &'a PerCustomer<Entitlement>) -> Self {
        self.entitlements = Some(entitlements);
        self
    }

    /// The lowest plan that includes each feature; features not listed are in every plan.
    #[must_use]
    pub fn feature_plans(mut self, plans: &'a [(E, PlanTier)]) -> Self {
        self.feature_plans = Some(plans);
        self
    }

    /// The feature or workflow event that invites a colleague (`"invite_team"`).
    #[must_use]
    pub fn invite(mut self, event: &'a E) -> Self {
        self.invite = Some(event);
        self
    }
}

/// Distinct features per customer and half (baseline, window): the first 128 feature ids in
/// bit sets, the rest in a hash set.
struct FeatureSets {
    bits: Vec<[u128; 2]>,
    overflow: HashSet<(u32, u32, bool)>,
}

impl FeatureSets {
    fn insert(&mut self, customer: usize, feature: u32, window: bool) {
        if feature < 128 {
            self.bits[customer][usize::from(window)] |= 1u128 << feature;
        } else {
            self.overflow.insert((customer as u32, feature, window));
        }
    }

    fn counts(&self) -> Vec<[usize; 2]> {
        let mut out: Vec<[usize; 2]> = self
            .bits
            .iter()
            .map(|b| [b[0].count_ones() as usize, b[1].count_ones() as usize])
            .collect();
        for &(c, _, w) in &self.overflow {
            out[c as usize][usize::from(w)] += 1;
        }
        out
    }
}

/// Churn-risk and expansion signals per customer, with their evidence, from activity and
/// whichever other records are given, in one pass over each.
///
/// The baseline is the `baseline_weeks` before the window, the window the `window_weeks`
/// ending on the analysis date (see [`SignalParams`] for every threshold and its default).
///
/// * **declining usage**: usage events per week down by the decline share, a negative slope
///   (with its standard error in [`UsageSignals`]) and the week the level dropped;
/// * **went quiet**: below the minimum events per week after a baseline at or above it;
/// * **fewer features** and **shallower use**: distinct features (breadth, at least two
///   before; the window against as many weeks just before it, so that the lengths match) and
///   feature uses per week (depth) down by the decline share;
/// * **rising problem tickets**: at least `min_tickets` problem tickets in the window, at a
///   weekly rate up by the rise share over the customer's own baseline (or none before);
/// * **ignored outreach**: at least `min_touches` touches of the window (sent at least
///   `answer_days` before the analysis date) unanswered, and that share at least `unanswered`;
/// * **MRR contraction**: the latest MRR below the peak of the baseline and window months by
///   at least the contraction share;
/// * **seats near limit**: seats over the limit at least `seat_utilization`;
/// * **features above plan**: a feature whose plan is above the customer's used in the window;
/// * **inviting colleagues**: at least `min_invites` invites in the window;
/// * **rising usage velocity**: usage events per week up by the rise share, a positive slope;
/// * **expansion MRR**: month-over-month increases adding up to the expansion share of the MRR
///   before them.
///
/// ```
/// use saas_segmentation::activity::{Activity, ActivityEvent};
/// use saas_segmentation::propensity::{
///     account_signals, SignalKind, SignalParams, SignalSources, SupportTicket,
/// };
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let end: Date = "2024-03-31".parse()?;
/// let index = CustomerIndex::from_keys(["a"])?;
/// let mut log = Vec::new();
/// for day in 0..84 {
///     if day < 56 || day % 7 == 0 {
///         log.push(Activity::new("a", end.add_days(day - 83)?, ActivityEvent::<&str>::Login));
///     }
/// }
/// let tickets = [
///     SupportTicket::new("a", end.add_days(-10)?, true),
///     SupportTicket::new("a", end.add_days(-3)?, true),
/// ];
/// let sources = SignalSources::new(&log).tickets(&tickets);
/// let signals = account_signals(&index, &sources, &SignalParams::new(end))?;
/// let a = signals.of_key(&index, "a")?.unwrap();
/// assert!(a.fired(SignalKind::DecliningUsage) && a.fired(SignalKind::RisingTickets));
/// for e in a.fired_signals() {
///     println!("{}", e.reason());
/// }
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for bad settings; [`Error::UnknownCustomer`] naming the row of
/// any record; [`Error::CustomerSetMismatch`] when the entitlements are over another customer
/// set; [`Error::NonFinite`] or [`Error::OutOfRange`] naming an MRR row that is not a finite
/// amount >= 0; [`Error::OutOfOrder`] for a touch answered before it was sent;
/// [`Error::DateOverflow`].
pub fn account_signals<K: Debug, E: Hash + Eq>(
    lookup: &impl CustomerLookup<K>,
    sources: &SignalSources<'_, K, E>,
    params: &SignalParams,
) -> Result<PerCustomer<AccountSignals>> {
    params.validate()?;
    if let Some(ent) = sources.entitlements {
        crate::universe::ensure_same(lookup, ent, "entitlements")?;
    }
    let n = lookup.customer_count();
    let weeks = (params.baseline_weeks + params.window_weeks) as usize;
    let split = params.baseline_weeks as usize;
    let start = params.as_of.add_days(1 - 7 * weeks as i64)?;
    let window_from = start.add_days(7 * split as i64)?;
    let window = params.window_weeks as usize;
    let resolve = |key: &K, what: &str, row: usize| {
        lookup.lookup(key).ok_or_else(|| Error::UnknownCustomer {
            record: format!("{what} row {row}"),
            customer: format!("{key:?}"),
        })
    };

    // Activity: weekly logins and events, feature breadth and depth, invites, use above plan.
    let mut logins = vec![0u32; n * weeks];
    let mut events = vec![0u32; n * weeks];
    let mut depth = vec![[0u32; 2]; n];
    let mut invites = vec![[0u32; 2]; n];
    let mut first_invite: Vec<Option<Date>> = vec![None; n];
    let mut sets = FeatureSets {
        bits: vec![[0; 2]; n],
        overflow: HashSet::new(),
    };
    let mut feature_ids: HashMap<&E, u32, KeyBuildHasher> = HashMap::default();
    let mut recent: Vec<&E> = Vec::new();
    let mut feature_plan: Vec<Option<PlanTier>> = Vec::new();
    let plans: HashMap<&E, PlanTier> = sources
        .feature_plans
        .map(|list| list.iter().map(|(e, p)| (e, *p)).collect())
        .unwrap_or_default();
    let customer_plan = |i: usize| {
        sources
            .entitlements
            .and_then(|e| e.values()[i].as_ref())
            .and_then(|e| e.plan)
    };
    let mut above: HashSet<(u32, u32)> = HashSet::new();
    let mut first_above: Vec<Option<Date>> = vec![None; n];
    for (row, a) in sources.activity.iter().enumerate() {
        let id = resolve(&a.customer, "activity", row)?;
        if a.date < start || a.date > params.as_of {
            continue;
        }
        let i = id.index();
        let week = (a.date.days_since(start) / 7) as usize;
        let in_window = week >= split;
        // Breadth compares the window with as many weeks just before it.
        let breadth_weeks = week + window >= split;
        let cell = i * weeks + week;
        events[cell] = events[cell].saturating_add(1);
        let (name, is_feature) = match &a.event {
            ActivityEvent::Login => {
                logins[cell] = logins[cell].saturating_add(1);
                continue;
            }
            ActivityEvent::Feature(f) => (f, true),
            ActivityEvent::Workflow(w) => (w, false),
        };
        if sources.invite == Some(name) {
            invites[i][usize::from(in_window)] += 1;
            if in_window && first_invite[i].is_none_or(|d| a.date < d) {
                first_invite[i] = Some(a.date);
            }
        }
        if !is_feature {
            continue;
        }
        // Products name a handful of features: a short list scanned in order beats hashing,
        // with a hash map once there are many.
        let f = match recent.iter().position(|e| *e == name) {
            Some(k) => k as u32,
            None => {
                let next = feature_plan.len() as u32;
                let f = *feature_ids.entry(name).or_insert_with(|| {
                    feature_plan.push(plans.get(name).copied());
                    next
                });
                if f == next && recent.len() < 16 {
                    recent.push(name);
                }
                f
            }
        };
        if breadth_weeks {
            sets.insert(i, f, in_window);
        }
        depth[i][usize::from(in_window)] += 1;
        if in_window {
            if let (Some(need), Some(have)) = (feature_plan[f as usize], customer_plan(i)) {
                if need > have {
                    above.insert((i as u32, f));
                    if first_above[i].is_none_or(|d| a.date < d) {
                        first_above[i] = Some(a.date);
                    }
                }
            }
        }
    }
    let breadth = sets.counts();
    let mut above_count = vec![0u32; n];
    for &(i, _) in &above {
        above_count[i as usize] += 1;
    }

    // Support tickets: problem tickets per half, and the first in the window.
    let mut problems = vec![[0u32; 2]; n];
    let mut first_problem: Vec<Option<Date>> = vec![None; n];
    if let Some(tickets) = sources.tickets {
        for (row, t) in tickets.iter().enumerate() {
            let i = resolve(&t.customer, "support ticket", row)?.index();
            if !t.problem || t.opened < start || t.opened > params.as_of {
                continue;
            }
            let w = t.opened >= window_from;
            problems[i][usize::from(w)] += 1;
            if w && first_problem[i].is_none_or(|d| t.opened < d) {
                first_problem[i] = Some(t.opened);
            }
        }
    }

    // Outreach: judged touches of the window and the unanswered ones.
    let judged_until = params.as_of.add_days(-i64::from(params.answer_days))?;
    let mut touches = vec![[0u32; 2]; n];
    let mut first_unanswered: Vec<Option<Date>> = vec![None; n];
    if let Some(list) = sources.touches {
        for (row, t) in list.iter().enumerate() {
            let i = resolve(&t.customer, "touch", row)?.index();
            if let Some(a) = t.answered {
                if a < t.sent {
                    return Err(Error::OutOfOrder {
                        record: format!("touch row {row} (customer {:?})", t.customer),
                        reason: format!(
                            "answered {a} before it was sent {}: fix the dates",
                            t.sent
                        ),
                    });
                }
            }
            if t.sent < window_from || t.sent > judged_until {
                continue;
            }
            let unanswered = t.answered.is_none_or(|a| a > params.as_of);
            touches[i][0] += 1;
            if unanswered {
                touches[i][1] += 1;
                if first_unanswered[i].is_none_or(|d| t.sent < d) {
                    first_unanswered[i] = Some(t.sent);
                }
            }
        }
    }

    // MRR: monthly totals per customer over the months of the baseline and window.
    let months = mrr_months(lookup, sources.mrr, start, params.as_of)?;

    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let ws = &events[i * weeks..(i + 1) * weeks];
        let usage = usage_of(
            &logins[i * weeks..(i + 1) * weeks],
            ws,
            breadth[i],
            start,
            split,
            params,
        )?;
        let mut ev = Vec::with_capacity(12);
        let change_strength = |change: Option<f64>, threshold: f64| {
            let c = change.map_or(0.0, f64::abs);
            (0.5 + 0.5 * ((c - threshold) / threshold.max(1.0 - threshold))).clamp(0.5, 1.0)
        };
        // Declining usage.
        ev.push(Evidence {
            kind: SignalKind::DecliningUsage,
            fired: usage.declining,
            baseline: Some(usage.baseline),
            current: usage.current,
            change: usage.change,
            threshold: -params.decline,
            since: usage.dropped_since,
            strength: if usage.declining {
                change_strength(usage.change, params.decline)
            } else {
                0.0
            },
        });
        let quiet = usage.baseline >= params.min_baseline
            && usage.baseline > 0.0
            && usage.current < params.min_baseline;
        ev.push(Evidence {
            kind: SignalKind::WentQuiet,
            fired: quiet,
            baseline: Some(usage.baseline),
            current: usage.current,
            change: usage.change,
            threshold: params.min_baseline,
            since: if quiet { usage.dropped_since } else { None },
            strength: if quiet { 1.0 } else { 0.0 },
        });
        let (before, now) = (breadth[i][0] as f64, breadth[i][1] as f64);
        let narrowing = usage.narrowing;
        let breadth_change = (before > 0.0).then(|| now / before - 1.0);
        ev.push(Evidence {
            kind: SignalKind::FewerFeatures,
            fired: narrowing,
            baseline: Some(before),
            current: now,
            change: breadth_change,
            threshold: -params.decline,
            since: None,
            strength: if narrowing {
                change_strength(breadth_change, params.decline)
            } else {
                0.0
            },
        });
        let per_week = |count: u32, w: usize| f64::from(count) / w as f64;
        let (d0, d1) = (
            per_week(depth[i][0], split),
            per_week(depth[i][1], weeks - split),
        );
        let depth_change = (d0 > 0.0).then(|| d1 / d0 - 1.0);
        let shallower =
            d0 >= params.min_baseline && depth_change.is_some_and(|c| c <= -params.decline);
        ev.push(Evidence {
            kind: SignalKind::ShallowerUse,
            fired: shallower,
            baseline: Some(d0),
            current: d1,
            change: depth_change,
            threshold: -params.decline,
            since: None,
            strength: if shallower {
                change_strength(depth_change, params.decline)
            } else {
                0.0
            },
        });
        if sources.tickets.is_some() {
            let (p0, p1) = (
                per_week(problems[i][0], split),
                per_week(problems[i][1], weeks - split),
            );
            let change = (p0 > 0.0).then(|| p1 / p0 - 1.0);
            let fired =
                problems[i][1] >= params.min_tickets && change.is_none_or(|c| c >= params.rise);
            ev.push(Evidence {
                kind: SignalKind::RisingTickets,
                fired,
                baseline: Some(p0),
                current: p1,
                change,
                threshold: params.rise,
                since: if fired { first_problem[i] } else { None },
                strength: if fired {
                    (f64::from(problems[i][1]) / (2.0 * f64::from(params.min_tickets)))
                        .clamp(0.5, 1.0)
                } else {
                    0.0
                },
            });
        }
        if sources.touches.is_some() {
            let [judged, unanswered] = touches[i];
            let share = if judged > 0 {
                f64::from(unanswered) / f64::from(judged)
            } else {
                0.0
            };
            let fired = unanswered >= params.min_touches && share >= params.unanswered;
            ev.push(Evidence {
                kind: SignalKind::IgnoredOutreach,
                fired,
                baseline: None,
                current: share,
                change: None,
                threshold: params.unanswered,
                since: if fired { first_unanswered[i] } else { None },
                strength: if fired { share.max(0.5) } else { 0.0 },
            });
        }
        if let Some(months) = &months {
            let (contraction, expansion) = mrr_evidence(&months.of(i), params);
            ev.push(contraction);
            ev.push(expansion);
        }
        if let Some(ent) = sources.entitlements.and_then(|e| e.values()[i].as_ref()) {
            if let (Some(used), Some(limit)) = (ent.seats, ent.seat_limit.filter(|l| *l > 0)) {
                let u = f64::from(used) / f64::from(limit);
                let fired = u >= params.seat_utilization;
                ev.push(Evidence {
                    kind: SignalKind::SeatsNearLimit,
                    fired,
                    baseline: None,
                    current: u,
                    change: None,
                    threshold: params.seat_utilization,
                    since: None,
                    strength: if fired {
                        (0.5 + 0.5 * (u - params.seat_utilization)
                            / (1.0 - params.seat_utilization).max(0.05))
                        .clamp(0.5, 1.0)
                    } else {
                        0.0
                    },
                });
            }
            if sources.feature_plans.is_some() && ent.plan.is_some() {
                let count = f64::from(above_count[i]);
                ev.push(Evidence {
                    kind: SignalKind::FeaturesAbovePlan,
                    fired: count >= 1.0,
                    baseline: None,
                    current: count,
                    change: None,
                    threshold: 1.0,
                    since: first_above[i],
                    strength: if count >= 1.0 {
                        (count / 2.0).min(1.0)
                    } else {
                        0.0
                    },
                });
            }
        }
        if sources.invite.is_some() {
            // Invites in the window, and in the baseline scaled to the window's length.
            let v1 = f64::from(invites[i][1]);
            let v0 = f64::from(invites[i][0]) * (weeks - split) as f64 / split as f64;
            let fired = invites[i][1] >= params.min_invites;
            ev.push(Evidence {
                kind: SignalKind::InvitingColleagues,
                fired,
                baseline: Some(v0),
                current: v1,
                change: (v0 > 0.0).then(|| v1 / v0 - 1.0),
                threshold: f64::from(params.min_invites),
                since: if fired { first_invite[i] } else { None },
                strength: if fired {
                    (f64::from(invites[i][1]) / (2.0 * f64::from(params.min_invites)))
                        .clamp(0.5, 1.0)
                } else {
                    0.0
                },
            });
        }
        let rising = usage.baseline >= params.min_baseline
            && usage.change.is_some_and(|c| c >= params.rise)
            && usage.slope > 0.0;
        ev.push(Evidence {
            kind: SignalKind::RisingVelocity,
            fired: rising,
            baseline: Some(usage.baseline),
            current: usage.current,
            change: usage.change,
            threshold: params.rise,
            since: if rising { rise_point(ws, start)? } else { None },
            strength: if rising {
                (0.5 + 0.5 * (usage.change.unwrap_or(0.0) - params.rise) / params.rise)
                    .clamp(0.5, 1.0)
            } else {
                0.0
            },
        });
        ev.sort_by_key(|e| e.kind);
        out.push(Some(AccountSignals {
            usage,
            baseline_from: start,
            window_from,
            evidence: ev,
        }));
    }
    PerCustomer::new(lookup, out)
}

/// The usage series of one customer.
fn usage_of(
    logins: &[u32],
    series: &[u32],
    breadth: [usize; 2],
    start: Date,
    split: usize,
    params: &SignalParams,
) -> Result<UsageSignals> {
    let weeks = series.len();
    let ys: Vec<f64> = series.iter().map(|v| f64::from(*v)).collect();
    let (slope, slope_se) = ols_slope(&ys);
    let baseline = ys[..split].iter().sum::<f64>() / split as f64;
    let current = ys[split..].iter().sum::<f64>() / (weeks - split) as f64;
    let change = (baseline > 0.0).then(|| current / baseline - 1.0);
    let dropped_since = change_point(&ys, false)
        .map(|week| start.add_days(7 * week as i64))
        .transpose()?;
    let declining = baseline >= params.min_baseline
        && baseline > 0.0
        && change.is_some_and(|c| c <= -params.decline)
        && slope < 0.0;
    let [before, now] = breadth;
    let narrowing = before >= 2 && (now as f64) <= (1.0 - params.decline) * before as f64;
    Ok(UsageSignals {
        weekly_logins: logins.to_vec(),
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
    })
}

/// The first day of the week where the level rises (best two-mean split, later mean higher).
fn rise_point(series: &[u32], start: Date) -> Result<Option<Date>> {
    let ys: Vec<f64> = series.iter().map(|v| f64::from(*v)).collect();
    change_point(&ys, true)
        .map(|week| start.add_days(7 * week as i64))
        .transpose()
}

/// Monthly MRR per customer, the months from the one holding `start` to the one holding
/// `as_of`.
struct Months {
    first: Date,
    count: usize,
    /// Per customer and month, the total (NaN marks "before the first record").
    values: Vec<f64>,
}

impl Months {
    fn of(&self, i: usize) -> Vec<(Date, f64)> {
        let row = &self.values[i * self.count..(i + 1) * self.count];
        row.iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .filter_map(|(m, v)| self.first.add_months(m as i64).ok().map(|d| (d, *v)))
            .collect()
    }
}

fn mrr_months<K: Debug>(
    lookup: &impl CustomerLookup<K>,
    records: Option<&[MrrRecord<K>]>,
    start: Date,
    as_of: Date,
) -> Result<Option<Months>> {
    let Some(records) = records else {
        return Ok(None);
    };
    let n = lookup.customer_count();
    let first = crate::date::Period::Month.start(start);
    let last = crate::date::Period::Month.start(as_of);
    let count = ((last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32 + 1)
        as usize;
    let mut values = vec![f64::NAN; n * count];
    // The first month (possibly before the lookback) each customer has a record: months
    // from then on without a record are 0.
    let mut seen_before = vec![false; n];
    for (row, r) in records.iter().enumerate() {
        let i = lookup
            .lookup(&r.customer)
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("MRR row {row}"),
                customer: format!("{:?}", r.customer),
            })?
            .index();
        crate::error::ensure_non_negative(
            r.mrr,
            || format!("MRR row {row} (customer {:?})", r.customer),
            "mrr",
        )?;
        let m = crate::date::Period::Month.start(r.month);
        if m > last {
            continue;
        }
        if m < first {
            seen_before[i] = true;
            continue;
        }
        let k = ((m.year() - first.year()) * 12 + m.month() as i32 - first.month() as i32) as usize;
        let cell = &mut values[i * count + k];
        *cell = if cell.is_nan() { r.mrr } else { *cell + r.mrr };
    }
    for i in 0..n {
        let row = &mut values[i * count..(i + 1) * count];
        let mut started = seen_before[i];
        for v in row {
            if v.is_nan() {
                if started {
                    *v = 0.0;
                }
            } else {
                started = true;
            }
        }
    }
    Ok(Some(Months {
        first,
        count,
        values,
    }))
}

/// `current / baseline - 1` where the baseline is above 0 and the ratio finite (amounts near
/// the largest doubles or the smallest subnormals give none).
fn change(current: f64, baseline: f64) -> Option<f64> {
    let c = current / baseline - 1.0;
    (baseline > 0.0 && c.is_finite()).then_some(c)
}

/// Contraction (latest below the peak) and expansion history (month-over-month increases).
fn mrr_evidence(months: &[(Date, f64)], params: &SignalParams) -> (Evidence, Evidence) {
    let mut contraction = Evidence {
        kind: SignalKind::MrrContraction,
        fired: false,
        baseline: None,
        current: 0.0,
        change: None,
        threshold: -params.contraction,
        since: None,
        strength: 0.0,
    };
    let mut expansion = Evidence {
        kind: SignalKind::ExpansionHistory,
        threshold: params.expansion,
        ..contraction
    };
    let Some(&(_, latest)) = months.last() else {
        return (contraction, expansion);
    };
    let (mut peak, mut peak_at) = (f64::NEG_INFINITY, 0);
    for (k, (_, v)) in months.iter().enumerate() {
        if *v > peak {
            peak = *v;
            peak_at = k;
        }
    }
    contraction.baseline = Some(peak);
    contraction.current = latest;
    if let Some(change) = change(latest, peak) {
        contraction.change = Some(change);
        if change <= -params.contraction {
            contraction.fired = true;
            contraction.strength = (0.5 + 0.5 * (-change)).clamp(0.5, 1.0);
            contraction.since = months[peak_at + 1..]
                .iter()
                .find(|(_, v)| *v < peak)
                .map(|(d, _)| *d);
        }
    }
    // Expansion: the sum of month-over-month increases over the MRR before the first.
    let (mut gained, mut since, mut before) = (0.0, None, None);
    for pair in months.windows(2) {
        let (a, b) = (pair[0].1, pair[1].1);
        if a > 0.0 && b > a {
            gained += b - a;
            if since.is_none() {
                since = Some(pair[1].0);
                before = Some(a);
            }
        }
    }
    expansion.baseline = Some(months[0].1);
    expansion.current = latest;
    expansion.change = change(latest, months[0].1);
    if let Some(b) = before {
        let share = gained / b;
        if share >= params.expansion || !share.is_finite() {
            expansion.fired = true;
            expansion.since = since;
            expansion.strength = (0.5 + share).clamp(0.5, 1.0);
        }
    }
    (contraction, expansion)
}
