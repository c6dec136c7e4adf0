//! A seeded generator of a realistic SaaS customer base, like scikit-learn's `datasets`.
//!
//! [`generate`] plants five customer segments with different firmographics, usage, revenue and
//! churn, and returns everything an analysis needs: profiles across tiers and verticals,
//! invoices with refunds, activity events, monthly MRR history with expansion, contraction,
//! churn and reactivation, leads and opportunities, and the planted truth. The same seed gives
//! the same base on every platform ([`SeededRng`]). It scales to 1M customers and 10M events.
//!
//! ```
//! use saas_segmentation::synthetic::{generate, SyntheticConfig};
//!
//! let base = generate(&SyntheticConfig::new(500).seed(7))?;
//! assert_eq!(base.profiles().len(), 500);
//! assert_eq!(base.truth().len(), 500);
//! assert_eq!(base.planted().len(), 5);
//! assert!(base.transactions().iter().any(|t| t.amount < 0.0)); // refunds
//! assert_eq!(generate(&SyntheticConfig::new(500).seed(7))?.truth(), base.truth());
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::activity::{Activity, ActivityEvent};
use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerIndex};
use crate::model::{
    AcquisitionChannel, BillingStatus, BusinessModel, BuyerRole, DecisionMaker, Department,
    Engagement, GrowthStage, GrowthTrajectory, Industry, Motivation, Persona, PlanTier, Platform,
    ProductMaturity, Psychographic, Region, RiskAversion, Seniority, SizeTier, TechAttitude,
};
use crate::model::{Behaviour, Firmographic, Needs, Technographic, Value};
use crate::profile::{CustomerProfile, Source, SourceRecord};
use crate::propensity::{Entitlement, SupportTicket, Touch};
use crate::random::SeededRng;
use crate::records::{Lead, MrrRecord, Opportunity, OpportunityOutcome, Transaction};
use crate::universe::PerCustomer;

/// Product features that activity events name.
pub const FEATURES: [&str; 8] = [
    "dashboards",
    "reports",
    "alerts",
    "integrations",
    "automation",
    "api",
    "sso",
    "exports",
];

/// The lowest plan that includes each feature beyond the core ones.
pub const FEATURE_PLANS: [(&str, PlanTier); 3] = [
    ("automation", PlanTier::Professional),
    ("api", PlanTier::Business),
    ("sso", PlanTier::Enterprise),
];

/// The core features (adoption is measured against these).
pub const CORE_FEATURES: [&str; 4] = ["dashboards", "reports", "alerts", "integrations"];

/// The key workflows (completion is measured against these).
pub const KEY_WORKFLOWS: [&str; 3] = ["invite_team", "connect_data_source", "share_report"];

/// Settings of the generator. Start from [`SyntheticConfig::new`] and chain setters.
///
/// Loading through `Deserialize` runs [`SyntheticConfig::validate`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct SyntheticConfig {
    customers: usize,
    seed: u64,
    start: Date,
    months: u32,
    activity_days: u32,
    activity_scale: f64,
    refund_rate: f64,
    leads_per_customer: f64,
    conflict_rate: f64,
}

checked_serde!(SyntheticConfig, SyntheticConfig::validate);

impl SyntheticConfig {
    /// A base of `customers` customers with the defaults of every setter.
    #[must_use]
    pub fn new(customers: usize) -> Self {
        SyntheticConfig {
            customers,
            seed: 0,
            start: Date::from_days(19_723).unwrap_or(Date::UNIX_EPOCH), // 2024-01-01
            months: 24,
            activity_days: 90,
            activity_scale: 1.0,
            refund_rate: 0.02,
            leads_per_customer: 3.0,
            conflict_rate: 0.05,
        }
    }

    /// The seed. Default: 0.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The first month of history (any day of it). Default: 2024-01-01.
    #[must_use]
    pub fn start(mut self, start: Date) -> Self {
        self.start = start;
        self
    }

    /// Months of history, 1 to 120. Default: 24.
    #[must_use]
    pub fn months(mut self, months: u32) -> Self {
        self.months = months;
        self
    }

    /// Days of activity history before the analysis date (product analytics keeps a recent
    /// window), 1 to 3,660. Default: 90, about 45 events per customer; 1M customers with 14 days
    /// give about 10M events.
    #[must_use]
    pub fn activity_days(mut self, days: u32) -> Self {
        self.activity_days = days;
        self
    }

    /// Multiplies every planted activity rate (0 for no activity). Default: 1.
    #[must_use]
    pub fn activity_scale(mut self, scale: f64) -> Self {
        self.activity_scale = scale;
        self
    }

    /// Share of invoices later partly or fully refunded. Default: 0.02.
    #[must_use]
    pub fn refund_rate(mut self, rate: f64) -> Self {
        self.refund_rate = rate;
        self
    }

    /// Leads per customer (one converted, the rest not). Default: 3; 0 for no funnel data.
    #[must_use]
    pub fn leads_per_customer(mut self, leads: f64) -> Self {
        self.leads_per_customer = leads;
        self
    }

    /// Share of customers whose CRM holds an older, different MRR than billing, so merging
    /// source records meets conflicts. Default: 0.05.
    #[must_use]
    pub fn conflict_rate(mut self, rate: f64) -> Self {
        self.conflict_rate = rate;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for 0 customers or more than `u32::MAX - 1`, months outside
    /// 1 to 120, activity days outside 1 to 3,660, negative or non-finite rates, rates above 1, or a history that ends after 9999.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: String| Err(Error::InvalidParameter { name, reason });
        if self.customers == 0 || self.customers >= u32::MAX as usize {
            return bad(
                "customers",
                format!("need 1 to {}, got {}", u32::MAX - 1, self.customers),
            );
        }
        if !(1..=120).contains(&self.months) {
            return bad("months", format!("need 1 to 120, got {}", self.months));
        }
        for (name, value, max) in [
            ("activity_scale", self.activity_scale, 1_000.0),
            ("refund_rate", self.refund_rate, 1.0),
            ("leads_per_customer", self.leads_per_customer, 1_000.0),
            ("conflict_rate", self.conflict_rate, 1.0),
        ] {
            if !(value.is_finite() && (0.0..=max).contains(&value)) {
                return bad(name, format!("need a value in [0, {max}], got {value}"));
            }
        }
        if !(1..=3_660).contains(&self.activity_days) {
            return bad(
                "activity_days",
                format!("need 1 to 3660, got {}", self.activity_days),
            );
        }
        if self.leads_per_customer > 0.0 && self.leads_per_customer < 1.0 {
            return bad(
                "leads_per_customer",
                format!(
                    "need 0 or at least 1 (every customer was a lead), got {}",
                    self.leads_per_customer
                ),
            );
        }
        Period::Month
            .start(self.start)
            .add_months(i64::from(self.months) + 1)?;
        Ok(())
    }
}

/// One planted segment: its name and what makes it different.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlantedSegment {
    /// The segment's name.
    pub name: String,
    /// What was planted, in words.
    pub description: String,
    /// Share of customers drawn into it.
    pub share: f64,
}

/// The generated customer base. Records use dense [`CustomerId`]s of [`SyntheticBase::index`],
/// whose external keys are `cus_0000000` style strings.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SyntheticBase {
    config: SyntheticConfig,
    index: CustomerIndex<String>,
    profiles: Vec<CustomerProfile>,
    truth: Vec<usize>,
    planted: Vec<PlantedSegment>,
    transactions: Vec<Transaction<CustomerId>>,
    activity: Vec<Activity<CustomerId, &'static str>>,
    mrr: Vec<MrrRecord<CustomerId>>,
    tickets: Vec<SupportTicket<CustomerId>>,
    touches: Vec<Touch<CustomerId>>,
    leads: Vec<Lead<String>>,
    opportunities: Vec<Opportunity<String>>,
    analysis_date: Date,
}

impl SyntheticBase {
    /// The settings it was generated with.
    #[must_use]
    pub fn config(&self) -> &SyntheticConfig {
        &self.config
    }

    /// The customer index (`cus_0000000` keys, dense ids in order).
    #[must_use]
    pub fn index(&self) -> &CustomerIndex<String> {
        &self.index
    }

    /// One profile per customer, in dense-id order. Behavioural fields other than seat
    /// utilization, churn risk and engagement are left to be derived from [`Self::activity`].
    #[must_use]
    pub fn profiles(&self) -> &[CustomerProfile] {
        &self.profiles
    }

    /// The planted segment of each customer (an index into [`Self::planted`]).
    #[must_use]
    pub fn truth(&self) -> &[usize] {
        &self.truth
    }

    /// The planted segments.
    #[must_use]
    pub fn planted(&self) -> &[PlantedSegment] {
        &self.planted
    }

    /// Monthly invoices (amount = that month's MRR) and refunds (negative), not sorted.
    #[must_use]
    pub fn transactions(&self) -> &[Transaction<CustomerId>] {
        &self.transactions
    }

    /// Activity events (features from [`FEATURES`], workflows from [`KEY_WORKFLOWS`]), grouped
    /// by customer, not sorted by date.
    #[must_use]
    pub fn activity(&self) -> &[Activity<CustomerId, &'static str>] {
        &self.activity
    }

    /// MRR per customer and month, for months with MRR > 0 (absent months are 0), dated the
    /// first of the month.
    #[must_use]
    pub fn mrr(&self) -> &[MrrRecord<CustomerId>] {
        &self.mrr
    }

    /// Support tickets of the activity window: planted at-risk decliners open more and more
    /// of them, most tagged as problems.
    #[must_use]
    pub fn tickets(&self) -> &[SupportTicket<CustomerId>] {
        &self.tickets
    }

    /// Outreach touches of the activity window, about one a week per subscribed customer;
    /// planted at-risk decliners leave most unanswered.
    #[must_use]
    pub fn touches(&self) -> &[Touch<CustomerId>] {
        &self.touches
    }

    /// Plans and seats per customer, from the profiles.
    ///
    /// # Errors
    /// None in practice (one profile per customer).
    pub fn entitlements(&self) -> Result<PerCustomer<Entitlement>> {
        PerCustomer::complete(
            &self.index,
            self.profiles.iter().map(Entitlement::of).collect(),
        )
    }

    /// Leads: each customer's converted lead (keyed by the customer key) and unconverted ones
    /// (`lead_0000000` keys).
    #[must_use]
    pub fn leads(&self) -> &[Lead<String>] {
        &self.leads
    }

    /// Opportunities of sales-led deals: won ones for Mid-Market and Enterprise customers, lost
    /// and open ones for unconverted leads.
    #[must_use]
    pub fn opportunities(&self) -> &[Opportunity<String>] {
        &self.opportunities
    }

    /// The day after the history ends: the natural analysis date.
    #[must_use]
    pub fn analysis_date(&self) -> Date {
        self.analysis_date
    }

    /// The profiles split into partial records as the source systems would hold them: CRM
    /// (firmographic, persona, psychographic, maturity), billing (value), support (needs) and
    /// product analytics (technographic, behaviour). For a share of customers set by
    /// [`SyntheticConfig::conflict_rate`] the CRM also holds an older, different MRR.
    #[must_use]
    pub fn source_records(&self) -> Vec<SourceRecord<String>> {
        let mut rng = SeededRng::stream(self.config.seed, 7);
        let mut records = Vec::with_capacity(self.profiles.len() * 4);
        let billing_day = self
            .analysis_date
            .add_days(-1)
            .unwrap_or(self.analysis_date);
        let crm_day = self
            .analysis_date
            .add_days(-45)
            .unwrap_or(self.analysis_date);
        for (key, p) in self.index.keys().iter().zip(&self.profiles) {
            let mut crm = CustomerProfile {
                firmographic: p.firmographic.clone(),
                persona: p.persona.clone(),
                psychographic: p.psychographic.clone(),
                maturity: p.maturity,
                ..CustomerProfile::default()
            };
            if rng.bernoulli(self.config.conflict_rate) {
                crm.value.mrr = p.value.mrr.map(|m| (m * rng.range(0.6, 0.95)).round());
                crm.value.plan_tier = p.value.plan_tier;
            }
            records.push(SourceRecord::new(key.clone(), Source::Crm, crm_day, crm));
            let billing = CustomerProfile {
                value: p.value.clone(),
                ..CustomerProfile::default()
            };
            records.push(SourceRecord::new(
                key.clone(),
                Source::Billing,
                billing_day,
                billing,
            ));
            let support = CustomerProfile {
                needs: p.needs.clone(),
                ..CustomerProfile::default()
            };
            records.push(SourceRecord::new(
                key.clone(),
                Source::Support,
                billing_day,
                support,
            ));
            let product = CustomerProfile {
                technographic: p.technographic.clone(),
                behaviour: p.behaviour.clone(),
                ..CustomerProfile::default()
            };
            records.push(SourceRecord::new(
                key.clone(),
                Source::ProductAnalytics,
                billing_day,
                product,
            ));
        }
        records
    }
}

/// The parameters of one planted segment.
struct Archetype {
    name: &'static str,
    description: &'static str,
    share: f64,
    tiers: [f64; 3],
    industries: &'static [Industry],
    channels: &'static [AcquisitionChannel],
    mrr_log_mean: f64,
    logins_per_week: f64,
    trend: f64,
    churn: f64,
    expansion: f64,
    contraction: f64,
    reactivation: f64,
    tickets: f64,
    features: usize,
    /// Share of support tickets tagged as problems.
    problem_share: f64,
    /// Chance that an outreach touch is answered.
    answer_rate: f64,
}

const ARCHETYPES: [Archetype; 5] = [
    Archetype {
        name: "smb self-serve",
        description: "small companies on starter plans, product-led, steady light use",
        share: 0.35,
        tiers: [0.9, 0.1, 0.0],
        industries: &[
            Industry::Retail,
            Industry::ProfessionalServices,
            Industry::Media,
        ],
        channels: &[
            AcquisitionChannel::ProductLed,
            AcquisitionChannel::Organic,
            AcquisitionChannel::PaidSearch,
        ],
        mrr_log_mean: 4.4, // about 80 a month
        logins_per_week: 1.2,
        trend: 0.0,
        churn: 0.03,
        expansion: 0.02,
        contraction: 0.01,
        reactivation: 0.10,
        tickets: 1.0,
        features: 3,
        problem_share: 0.25,
        answer_rate: 0.8,
    },
    Archetype {
        name: "mid-market power users",
        description: "mid-market software and fintech teams, heavy use, frequent expansion",
        share: 0.2,
        tiers: [0.15, 0.8, 0.05],
        industries: &[Industry::Software, Industry::FinancialServices],
        channels: &[
            AcquisitionChannel::Outbound,
            AcquisitionChannel::Partner,
            AcquisitionChannel::Referral,
        ],
        mrr_log_mean: 7.3, // about 1,500 a month
        logins_per_week: 6.0,
        trend: 0.15,
        churn: 0.008,
        expansion: 0.06,
        contraction: 0.01,
        reactivation: 0.05,
        tickets: 3.0,
        features: 7,
        problem_share: 0.2,
        answer_rate: 0.85,
    },
    Archetype {
        name: "enterprise strategic",
        description: "large healthcare, finance and manufacturing accounts, high MRR, low churn",
        share: 0.1,
        tiers: [0.0, 0.15, 0.85],
        industries: &[
            Industry::Healthcare,
            Industry::FinancialServices,
            Industry::Manufacturing,
        ],
        channels: &[AcquisitionChannel::Outbound, AcquisitionChannel::Events],
        mrr_log_mean: 9.4, // about 12,000 a month
        logins_per_week: 3.0,
        trend: 0.0,
        churn: 0.004,
        expansion: 0.04,
        contraction: 0.02,
        reactivation: 0.02,
        tickets: 6.0,
        features: 8,
        problem_share: 0.3,
        answer_rate: 0.85,
    },
    Archetype {
        name: "at-risk decliners",
        description: "paying customers whose use is falling, contracting and churning",
        share: 0.2,
        tiers: [0.6, 0.35, 0.05],
        industries: &[
            Industry::Education,
            Industry::Retail,
            Industry::Logistics,
            Industry::Hospitality,
        ],
        channels: &[
            AcquisitionChannel::PaidSocial,
            AcquisitionChannel::PaidSearch,
            AcquisitionChannel::Organic,
        ],
        mrr_log_mean: 5.8, // about 330 a month
        logins_per_week: 2.0,
        trend: -1.5,
        churn: 0.06,
        expansion: 0.005,
        contraction: 0.06,
        reactivation: 0.08,
        tickets: 4.0,
        features: 4,
        problem_share: 0.7,
        answer_rate: 0.2,
    },
    Archetype {
        name: "dormant low-value",
        description: "barely active small accounts on the cheapest plans",
        share: 0.15,
        tiers: [0.95, 0.05, 0.0],
        industries: &[Industry::NonProfit, Industry::Education, Industry::Other],
        channels: &[
            AcquisitionChannel::Organic,
            AcquisitionChannel::Referral,
            AcquisitionChannel::PaidSocial,
        ],
        mrr_log_mean: 3.3, // about 27 a month
        logins_per_week: 0.1,
        trend: -0.3,
        churn: 0.09,
        expansion: 0.0,
        contraction: 0.01,
        reactivation: 0.15,
        tickets: 0.3,
        features: 1,
        problem_share: 0.3,
        answer_rate: 0.6,
    },
];

/// Generates a customer base; see the [module docs](self).
///
/// # Errors
/// [`Error::InvalidParameter`] when the config does not validate.
pub fn generate(config: &SyntheticConfig) -> Result<SyntheticBase> {
    config.validate()?;
    let n = config.customers;
    let month0 = Period::Month.start(config.start);
    let months = config.months as usize;
    let month_starts: Vec<Date> = (0..=months)
        .map(|m| month0.add_months(m as i64))
        .collect::<Result<_>>()?;
    let analysis_date = month_starts[months];
    let activity_start = analysis_date.add_days(-i64::from(config.activity_days))?;

    let mut rng = SeededRng::stream(config.seed, 0);
    let mut activity_rng = SeededRng::stream(config.seed, 1);
    let mut funnel_rng = SeededRng::stream(config.seed, 2);
    let mut ticket_rng = SeededRng::stream(config.seed, 3);
    let mut touch_rng = SeededRng::stream(config.seed, 4);
    let mut tickets = Vec::new();
    let mut touches = Vec::new();
    let shares: Vec<f64> = ARCHETYPES.iter().map(|a| a.share).collect();

    let mut index = CustomerIndex::with_capacity(n);
    let mut profiles = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    let mut transactions = Vec::with_capacity(n * months / 2);
    let mut mrr_records = Vec::with_capacity(n * months / 2);
    let mut activity = Vec::new();
    let mut leads = Vec::new();
    let mut opportunities = Vec::new();

    for c in 0..n {
        let key = format!("cus_{c:07}");
        let id = index.intern(key.clone())?;
        let segment = rng.weighted(&shares);
        let a = &ARCHETYPES[segment];
        let tier = SizeTier::ALL[rng.weighted(&a.tiers)];
        let firmographic = firmographic(&mut rng, a, tier);
        let persona = persona(&mut rng, tier);

        // Subscription history, month by month from signup.
        let signup_month = rng.below(months as u64) as usize;
        let signup_day = month_starts[signup_month].add_days(rng.below(28) as i64)?;
        let tier_factor = [0.8, 1.0, 1.3][tier as usize];
        let mut mrr = (rng.lognormal(a.mrr_log_mean, 0.45) * tier_factor)
            .round()
            .max(10.0);
        let mut active = true;
        let (mut upsells, mut last_active_month) = (0u32, signup_month);
        for (m, &month_start) in month_starts
            .iter()
            .enumerate()
            .take(months)
            .skip(signup_month)
        {
            if m > signup_month {
                if active {
                    let r = rng.uniform();
                    if r < a.churn {
                        active = false;
                    } else if r < a.churn + a.expansion {
                        mrr = (mrr * rng.range(1.1, 1.5)).round();
                        upsells += 1;
                    } else if r < a.churn + a.expansion + a.contraction {
                        mrr = (mrr * rng.range(0.5, 0.9)).round().max(10.0);
                    }
                } else if rng.bernoulli(a.reactivation) {
                    active = true;
                }
            }
            if !active {
                continue;
            }
            last_active_month = m;
            mrr_records.push(MrrRecord::new(id, month_start, mrr));
            let invoice_day = if m == signup_month {
                signup_day
            } else {
                month_start.add_days(signup_day.day() as i64 - 1)?
            };
            transactions.push(Transaction::new(id, invoice_day, mrr));
            if rng.bernoulli(config.refund_rate) {
                let refund = if rng.bernoulli(0.5) {
                    mrr
                } else {
                    (mrr * rng.range(0.1, 0.9)).round()
                };
                let day = invoice_day
                    .add_days(rng.below(10) as i64 + 1)?
                    .min(analysis_date.add_days(-1)?);
                transactions.push(Transaction::new(id, day, -refund));
            }
        }
        let churned = !active;
        let end_day = if churned {
            month_starts[last_active_month + 1].add_days(-1)?
        } else {
            analysis_date.add_days(-1)?
        };

        // Activity in the recent window while subscribed, at the archetype's login rate,
        // thinning or growing with its trend.
        let window_start = activity_start.max(signup_day);
        let span = end_day.days_since(window_start) + 1;
        if span > 0 {
            let rate = a.logins_per_week * config.activity_scale * rng.lognormal(-0.08, 0.4);
            let mean_events = rate * span as f64 / 7.0 / LOGIN_SHARE;
            let events = activity_rng.poisson(mean_events);
            let trend = a.trend;
            for _ in 0..events {
                // Density 1 + trend * (u - 1/2) on [0, 1], sampled by rejection.
                let u = loop {
                    let u = activity_rng.uniform();
                    if activity_rng.uniform() * (1.0 + trend.abs() / 2.0) <= 1.0 + trend * (u - 0.5)
                    {
                        break u;
                    }
                };
                let date = window_start.add_days((u * span as f64) as i64)?;
                let r = activity_rng.uniform();
                let event = if r < LOGIN_SHARE {
                    ActivityEvent::Login
                } else if r < 0.9 {
                    ActivityEvent::Feature(FEATURES[activity_rng.below(a.features as u64) as usize])
                } else {
                    ActivityEvent::Workflow(draw(
                        &mut activity_rng,
                        &KEY_WORKFLOWS,
                        KEY_WORKFLOWS[0],
                    ))
                };
                activity.push(Activity::new(id, date, event));
            }
        }

        // Support tickets over the same window: the archetype's count, arriving more and more
        // often where usage declines (the reverse of its trend), a share tagged as problems;
        // and outreach touches about once a week, answered at the archetype's rate within a
        // few days (own streams, so the rest of the base is unchanged).
        if span > 0 {
            let mean = a.tickets * span as f64 / f64::from(config.activity_days.max(1));
            let trend = -a.trend;
            for _ in 0..ticket_rng.poisson(mean) {
                let u = loop {
                    let u = ticket_rng.uniform();
                    if ticket_rng.uniform() * (1.0 + trend.abs() / 2.0) <= 1.0 + trend * (u - 0.5) {
                        break u;
                    }
                };
                let opened = window_start.add_days((u * span as f64) as i64)?;
                tickets.push(SupportTicket::new(
                    id,
                    opened,
                    ticket_rng.bernoulli(a.problem_share),
                ));
            }
            let mut day = touch_rng.below(7) as i64;
            while day < span {
                let sent = window_start.add_days(day)?;
                let answered = if touch_rng.bernoulli(a.answer_rate) {
                    Some(sent.add_days(touch_rng.below(5) as i64)?)
                } else {
                    None
                };
                touches.push(Touch::new(
                    id,
                    sent,
                    answered.filter(|d| *d < analysis_date),
                ));
                day += 4 + touch_rng.below(7) as i64;
            }
        }

        let plan = match mrr {
            m if m < 50.0 => PlanTier::Starter,
            m if m < 500.0 => PlanTier::Professional,
            m if m < 5_000.0 => PlanTier::Business,
            _ => PlanTier::Enterprise,
        };
        let channel = draw(&mut rng, a.channels, AcquisitionChannel::Other);
        let cac_range =
            [(500.0, 2_000.0), (5_000.0, 30_000.0), (50_000.0, 200_000.0)][tier as usize];
        let mut value = Value {
            plan_tier: Some(plan),
            plan_label: Some(plan.as_str().to_owned()),
            mrr: Some(if churned { 0.0 } else { mrr }),
            billing_status: Some(if churned {
                BillingStatus::Cancelled
            } else if rng.bernoulli(0.03) {
                BillingStatus::PastDue
            } else {
                BillingStatus::Active
            }),
            upsells: Some(upsells),
            cross_sells: Some(rng.poisson(a.expansion * 10.0) as u32),
            acquisition_channel: Some(channel),
            channel_label: Some(channel.as_str().to_owned()),
            cac: Some(rng.range(cac_range.0, cac_range.1).round()),
            ltv: None,
            customer_since: Some(signup_day),
            seats: None,
            seat_limit: None,
        };
        let behaviour = Behaviour {
            seat_utilization: Some((rng.range(0.3, 0.8) + a.expansion * 4.0).min(1.2)),
            churn_risk: Some((a.churn * 8.0 + rng.range(0.0, 0.2) - a.trend * 0.2).clamp(0.0, 1.0)),
            engagement: Engagement {
                email_response_rate: Some(
                    (a.logins_per_week * 0.05 + rng.range(0.0, 0.2)).min(1.0),
                ),
                meetings_attended: Some(rng.poisson(a.tickets * 0.5) as u32),
                community_interactions: Some(rng.poisson(a.logins_per_week / 2.0) as u32),
            },
            ..Behaviour::default()
        };
        // Seats from the drawn utilization and the plan's limit (no further draws, so the
        // rest of the base is unchanged).
        let limit: u32 = match plan {
            PlanTier::Free | PlanTier::Starter => 5,
            PlanTier::Professional => 20,
            PlanTier::Business => 100,
            PlanTier::Enterprise => 500,
        };
        value.seat_limit = Some(limit);
        value.seats = behaviour
            .seat_utilization
            .map(|u| (u * f64::from(limit)).round() as u32);
        let needs = Needs {
            goals: vec![GOALS[segment].to_owned()],
            jobs_to_be_done: vec![JOBS[(segment + c) % JOBS.len()].to_owned()],
            support_topics: (0..rng.below(3))
                .map(|_| draw(&mut rng, &TOPICS, TOPICS[0]).to_string())
                .collect(),
            support_tickets: Some(rng.poisson(a.tickets) as u32),
        };
        let mut integrations: Vec<String> = (0..a.features / 2 + rng.below(2) as usize)
            .map(|_| draw(&mut rng, &INTEGRATIONS, INTEGRATIONS[0]).to_string())
            .collect();
        integrations.sort();
        integrations.dedup();
        let technographic = Technographic {
            integrations,
            platforms: if a.features > 5 {
                vec![Platform::Web, Platform::Api]
            } else if rng.bernoulli(0.3) {
                vec![Platform::Web, Platform::Mobile]
            } else {
                vec![Platform::Web]
            },
            tech_stack: vec![draw(&mut rng, &STACKS, STACKS[0]).to_string()],
        };
        let psychographic = Psychographic {
            tech_attitude: rng.pick(TechAttitude::ALL).copied(),
            risk_aversion: Some(match tier {
                SizeTier::Enterprise => RiskAversion::High,
                SizeTier::MidMarket => RiskAversion::Medium,
                SizeTier::Smb => draw(&mut rng, RiskAversion::ALL, RiskAversion::Medium),
            }),
            motivation: rng.pick(Motivation::ALL).copied(),
        };
        let maturity = Some(ProductMaturity::ALL[rng.weighted(&[0.15, 0.35, 0.35, 0.15])]);
        profiles.push(CustomerProfile {
            firmographic,
            persona,
            behaviour,
            value,
            needs,
            technographic,
            psychographic,
            maturity,
        });
        truth.push(segment);

        // Funnel: the customer's own lead (and a won opportunity for sales-led tiers), plus
        // unconverted leads.
        if config.leads_per_customer > 0.0 {
            let cycle = [15, 60, 130][tier as usize] as i64;
            let created = signup_day.add_days(-(funnel_rng.below(cycle as u64) as i64) - 1)?;
            leads.push(Lead {
                key: key.clone(),
                created,
                channel,
                converted: Some(signup_day),
            });
            if tier != SizeTier::Smb {
                opportunities.push(Opportunity {
                    account: key.clone(),
                    opened: created,
                    closed: Some(signup_day),
                    acv: mrr * 12.0,
                    outcome: OpportunityOutcome::Won,
                });
            }
            let extra = funnel_rng.poisson(config.leads_per_customer - 1.0);
            for _ in 0..extra {
                let lead_key = format!("lead_{:07}", leads.len());
                let created = month0
                    .add_days(funnel_rng.below(analysis_date.days_since(month0) as u64) as i64)?;
                let lost_channel = if funnel_rng.bernoulli(0.5) {
                    channel
                } else {
                    draw(
                        &mut funnel_rng,
                        AcquisitionChannel::ALL,
                        AcquisitionChannel::Other,
                    )
                };
                if tier != SizeTier::Smb && funnel_rng.bernoulli(0.5) {
                    let closed_day = created.add_days(funnel_rng.below(cycle as u64) as i64 + 1)?;
                    let open = closed_day >= analysis_date;
                    opportunities.push(Opportunity {
                        account: lead_key.clone(),
                        opened: created,
                        closed: (!open).then_some(closed_day),
                        acv: (mrr * 12.0 * funnel_rng.range(0.5, 1.5)).round(),
                        outcome: if open {
                            OpportunityOutcome::Open
                        } else {
                            OpportunityOutcome::Lost
                        },
                    });
                }
                leads.push(Lead {
                    key: lead_key,
                    created,
                    channel: lost_channel,
                    converted: None,
                });
            }
        }
    }

    let planted = ARCHETYPES
        .iter()
        .map(|a| PlantedSegment {
            name: a.name.to_owned(),
            description: a.description.to_owned(),
            share: a.share,
        })
        .collect();
    Ok(SyntheticBase {
        config: config.clone(),
        index,
        profiles,
        truth,
        planted,
        transactions,
        activity,
        mrr: mrr_records,
        tickets,
        touches,
        leads,
        opportunities,
        analysis_date,
    })
}

/// Share of activity events that are logins (the rest are feature uses and workflows).
const LOGIN_SHARE: f64 = 0.5;

const GOALS: [&str; 5] = [
    "get started quickly",
    "automate team workflows",
    "meet compliance and scale",
    "justify the cost",
    "try the product",
];
const JOBS: [&str; 4] = [
    "report revenue to the board",
    "monitor key metrics",
    "share dashboards with clients",
    "replace spreadsheets",
];
const TOPICS: [&str; 5] = [
    "billing",
    "integrations",
    "permissions",
    "performance",
    "onboarding",
];
const INTEGRATIONS: [&str; 6] = [
    "salesforce",
    "hubspot",
    "slack",
    "snowflake",
    "stripe",
    "zendesk",
];
const STACKS: [&str; 4] = ["aws", "gcp", "azure", "on-premise"];

fn firmographic(rng: &mut SeededRng, a: &Archetype, tier: SizeTier) -> Firmographic {
    let (low, high) = [(1.0, 200.0), (200.0, 2_000.0), (2_000.0, 60_000.0)][tier as usize];
    // Log-uniform within the tier's bounds.
    let employees = (low * crate::random::exp(rng.uniform() * crate::random::ln(high / low)))
        .floor()
        .clamp(low, high - 1.0) as u32;
    let region = Region::ALL[rng.weighted(&[0.45, 0.07, 0.33, 0.05, 0.10])];
    let countries: &[&str] = match region {
        Region::NorthAmerica => &["US", "CA"],
        Region::LatinAmerica => &["BR", "MX", "AR"],
        Region::Europe => &["DE", "GB", "FR", "NL", "ES"],
        Region::MiddleEastAfrica => &["AE", "ZA", "IL"],
        Region::AsiaPacific => &["AU", "JP", "SG", "IN"],
    };
    let industry = if rng.bernoulli(0.8) {
        draw(rng, a.industries, Industry::Software)
    } else {
        draw(rng, Industry::ALL, Industry::Software)
    };
    Firmographic {
        industry: Some(industry),
        industry_label: Some(industry.as_str().to_owned()),
        employees: Some(employees),
        annual_revenue: Some((f64::from(employees) * rng.lognormal(11.9, 0.4)).round()),
        country: rng.pick(countries).map(|c| c.to_string()),
        region: Some(region),
        business_model: Some(BusinessModel::ALL[rng.weighted(&[0.7, 0.15, 0.05, 0.1])]),
        growth_stage: Some(match tier {
            SizeTier::Smb => GrowthStage::ALL[rng.weighted(&[0.6, 0.3, 0.1])],
            SizeTier::MidMarket => GrowthStage::ALL[rng.weighted(&[0.1, 0.6, 0.3])],
            SizeTier::Enterprise => GrowthStage::ALL[rng.weighted(&[0.0, 0.2, 0.8])],
        }),
        growth_trajectory: Some(GrowthTrajectory::ALL[rng.weighted(&[0.15, 0.7, 0.15])]),
    }
}

fn persona(rng: &mut SeededRng, tier: SizeTier) -> Persona {
    let seniority = match tier {
        SizeTier::Smb => Seniority::ALL[rng.weighted(&[0.2, 0.3, 0.1, 0.05, 0.15, 0.2])],
        SizeTier::MidMarket => Seniority::ALL[rng.weighted(&[0.1, 0.3, 0.35, 0.15, 0.1, 0.0])],
        SizeTier::Enterprise => Seniority::ALL[rng.weighted(&[0.05, 0.2, 0.35, 0.3, 0.1, 0.0])],
    };
    let decision_maker = match tier {
        SizeTier::Smb => draw(
            rng,
            &[
                DecisionMaker::Ceo,
                DecisionMaker::Coo,
                DecisionMaker::HeadOfSales,
            ],
            DecisionMaker::Ceo,
        ),
        SizeTier::MidMarket => draw(
            rng,
            &[
                DecisionMaker::VpEngineering,
                DecisionMaker::Cmo,
                DecisionMaker::HeadOfCustomerSuccess,
            ],
            DecisionMaker::Cmo,
        ),
        SizeTier::Enterprise => draw(
            rng,
            &[DecisionMaker::Cto, DecisionMaker::Cio, DecisionMaker::Cfo],
            DecisionMaker::Cto,
        ),
    };
    let department = draw(rng, Department::ALL, Department::Other);
    Persona {
        role: Some(format!(
            "{} {}",
            seniority.as_str().replace('_', " "),
            department.as_str().replace('_', " ")
        )),
        seniority: Some(seniority),
        department: Some(department),
        decision_maker: Some(decision_maker),
        buyer_role: rng.pick(BuyerRole::ALL).copied(),
        champion: Some(rng.bernoulli(0.3)),
    }
}

/// One element of `items` drawn uniformly, or `fallback` when `items` is empty.
fn draw<T: Copy>(rng: &mut SeededRng, items: &[T], fallback: T) -> T {
    rng.pick(items).copied().unwrap_or(fallback)
}
