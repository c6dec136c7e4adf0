//! Rule-based segmentation over customer profiles.
//!
//! A [`RuleSet`] is an ordered list of named [`Rule`]s, each a [`Condition`] over profile
//! variables (size tier, industry, persona, usage tier, MRR range ...). Conditions use
//! three-valued logic: a condition on a variable the profile does not have is *unknown*, never
//! silently false, and the report separates customers that matched no rule from those whose data
//! was missing. In [`MatchMode::FirstMatch`] a customer takes the first rule it matches; in
//! [`MatchMode::Exclusive`] a customer that matches two rules is left unassigned and reported.
//!
//! ```
//! use saas_segmentation::ids::DenseCustomers;
//! use saas_segmentation::model::{Firmographic, Industry, SizeTier};
//! use saas_segmentation::profile::CustomerProfile;
//! use saas_segmentation::rules::{Condition, MatchMode, Rule, RuleSet};
//!
//! let profile = |employees, industry| CustomerProfile {
//!     firmographic: Firmographic {
//!         employees: Some(employees),
//!         industry: Some(industry),
//!         ..Firmographic::default()
//!     },
//!     ..CustomerProfile::default()
//! };
//! let profiles = [
//!     profile(40, Industry::Retail),
//!     profile(5_000, Industry::Healthcare),
//!     profile(800, Industry::Retail),
//! ];
//! let rules = RuleSet::new(vec![
//!     Rule::new("enterprise healthcare", Condition::all([
//!         Condition::SizeTier(vec![SizeTier::Enterprise]),
//!         Condition::Industry(vec![Industry::Healthcare]),
//!     ])),
//!     Rule::new("smb", Condition::SizeTier(vec![SizeTier::Smb])),
//! ])?
//! .mode(MatchMode::FirstMatch);
//! let customers = DenseCustomers::new(profiles.len());
//! let result = rules.apply_over(&customers, &profiles)?;
//! assert_eq!(result.segmentation().labels(), &[Some(1), Some(0), None]);
//! assert_eq!(result.report().unmatched().len(), 1);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;

use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::model::{
    AcquisitionChannel, BillingStatus, BuyerRole, DecisionMaker, Department, GrowthStage, Industry,
    PlanTier, ProductMaturity, Region, Seniority, SizeTier, SizeTierBounds, UsageTier,
};
use crate::profile::{CustomerProfile, ProfileSet};
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::universe::CustomerSet;

/// A condition over a profile. Set conditions (`Industry(vec![..])`) hold when the variable is
/// one of the listed values; ranges are half-open `[min, max)`, an absent bound is unbounded.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Condition {
    /// Size tier (from employees and the rule set's [`SizeTierBounds`]) is one of these.
    SizeTier(Vec<SizeTier>),
    /// Industry is one of these.
    Industry(Vec<Industry>),
    /// Region is one of these.
    Region(Vec<Region>),
    /// Growth stage is one of these.
    GrowthStage(Vec<GrowthStage>),
    /// Seniority of the main contact is one of these.
    Seniority(Vec<Seniority>),
    /// Department of the main contact is one of these.
    Department(Vec<Department>),
    /// Decision maker is one of these.
    DecisionMaker(Vec<DecisionMaker>),
    /// Buyer role is one of these.
    BuyerRole(Vec<BuyerRole>),
    /// Usage tier is one of these.
    UsageTier(Vec<UsageTier>),
    /// Plan tier is one of these.
    PlanTier(Vec<PlanTier>),
    /// Billing status is one of these.
    BillingStatus(Vec<BillingStatus>),
    /// Acquisition channel is one of these.
    AcquisitionChannel(Vec<AcquisitionChannel>),
    /// Product maturity is one of these.
    Maturity(Vec<ProductMaturity>),
    /// The champion flag equals this.
    Champion(bool),
    /// MRR lies in `[min, max)`.
    Mrr {
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Exclusive upper bound.
        max: Option<f64>,
    },
    /// Employees lie in `[min, max)`.
    Employees {
        /// Inclusive lower bound.
        min: Option<u32>,
        /// Exclusive upper bound.
        max: Option<u32>,
    },
    /// Logins per week lie in `[min, max)`.
    LoginsPerWeek {
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Exclusive upper bound.
        max: Option<f64>,
    },
    /// Every condition holds (true when empty).
    All(Vec<Condition>),
    /// At least one condition holds (false when empty).
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

impl Condition {
    /// Every condition holds.
    pub fn all<I: IntoIterator<Item = Condition>>(conditions: I) -> Condition {
        Condition::All(conditions.into_iter().collect())
    }

    /// At least one condition holds.
    pub fn any<I: IntoIterator<Item = Condition>>(conditions: I) -> Condition {
        Condition::Any(conditions.into_iter().collect())
    }

    /// The negation of `condition`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(condition: Condition) -> Condition {
        Condition::Not(Box::new(condition))
    }

    /// Evaluates the condition: `Some(true)`, `Some(false)`, or `None` when a variable it needs
    /// is missing (Kleene's three-valued logic for `All`, `Any`, `Not`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when the profile has 0 employees and the size tier is needed, or a
    /// NaN MRR or login rate is compared; [`Error::InvalidParameter`] for a NaN bound.
    pub fn evaluate(
        &self,
        profile: &CustomerProfile,
        bounds: &SizeTierBounds,
    ) -> Result<Option<bool>> {
        fn member<T: PartialEq>(set: &[T], value: Option<&T>) -> Option<bool> {
            value.map(|v| set.contains(v))
        }
        fn range<T: PartialOrd + Copy>(
            min: Option<T>,
            max: Option<T>,
            value: Option<T>,
        ) -> Option<bool> {
            value.map(|v| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v < m))
        }
        // A NaN value or bound would make `not(mrr >= 100)` true: refuse it instead.
        fn number(
            min: Option<f64>,
            max: Option<f64>,
            value: Option<f64>,
            field: &str,
        ) -> Result<Option<bool>> {
            if let Some(bound) = [min, max].into_iter().flatten().find(|b| b.is_nan()) {
                return Err(Error::InvalidParameter {
                    name: "condition",
                    reason: format!("the {field} condition has a NaN bound ({bound})"),
                });
            }
            if let Some(v) = value.filter(|v| v.is_nan()) {
                return Err(Error::OutOfRange {
                    record: "profile".into(),
                    field: field.into(),
                    value: v,
                    expected: "a number (not NaN); leave the field empty when it is unknown",
                });
            }
            Ok(value.map(|v| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v < m)))
        }
        let p = profile;
        Ok(match self {
            Condition::SizeTier(set) => member(set, p.firmographic.size_tier(bounds)?.as_ref()),
            Condition::Industry(set) => member(set, p.firmographic.industry.as_ref()),
            Condition::Region(set) => member(set, p.firmographic.region.as_ref()),
            Condition::GrowthStage(set) => member(set, p.firmographic.growth_stage.as_ref()),
            Condition::Seniority(set) => member(set, p.persona.seniority.as_ref()),
            Condition::Department(set) => member(set, p.persona.department.as_ref()),
            Condition::DecisionMaker(set) => member(set, p.persona.decision_maker.as_ref()),
            Condition::BuyerRole(set) => member(set, p.persona.buyer_role.as_ref()),
            Condition::UsageTier(set) => member(set, p.behaviour.usage_tier.as_ref()),
            Condition::PlanTier(set) => member(set, p.value.plan_tier.as_ref()),
            Condition::BillingStatus(set) => member(set, p.value.billing_status.as_ref()),
            Condition::AcquisitionChannel(set) => member(set, p.value.acquisition_channel.as_ref()),
            Condition::Maturity(set) => member(set, p.maturity.as_ref()),
            Condition::Champion(flag) => p.persona.champion.map(|c| c == *flag),
            Condition::Mrr { min, max } => number(*min, *max, p.value.mrr, "value.mrr")?,
            Condition::Employees { min, max } => range(*min, *max, p.firmographic.employees),
            Condition::LoginsPerWeek { min, max } => number(
                *min,
                *max,
                p.behaviour.logins_per_week,
                "behaviour.logins_per_week",
            )?,
            Condition::All(list) => {
                let mut result = Some(true);
                for c in list {
                    match c.evaluate(p, bounds)? {
                        Some(false) => return Ok(Some(false)),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                result
            }
            Condition::Any(list) => {
                let mut result = Some(false);
                for c in list {
                    match c.evaluate(p, bounds)? {
                        Some(true) => return Ok(Some(true)),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                result
            }
            Condition::Not(c) => c.evaluate(p, bounds)?.map(|b| !b),
        })
    }

    fn validate(&self, rule: &str) -> Result<()> {
        let bad = |reason: String| Error::InvalidParameter {
            name: "rule condition",
            reason: format!("rule {rule:?}: {reason}"),
        };
        let check_range = |what: &str, min: Option<f64>, max: Option<f64>| -> Result<()> {
            for bound in [min, max].into_iter().flatten() {
                if !bound.is_finite() {
                    return Err(bad(format!("{what} bound {bound} is not finite")));
                }
            }
            match (min, max) {
                (Some(lo), Some(hi)) if lo >= hi => Err(bad(format!(
                    "{what} range [{lo}, {hi}) is empty: min must be below max"
                ))),
                _ => Ok(()),
            }
        };
        match self {
            Condition::Mrr { min, max } => check_range("mrr", *min, *max),
            Condition::LoginsPerWeek { min, max } => check_range("logins_per_week", *min, *max),
            Condition::Employees { min, max } => {
                check_range("employees", min.map(f64::from), max.map(f64::from))
            }
            Condition::All(list) | Condition::Any(list) => {
                list.iter().try_for_each(|c| c.validate(rule))
            }
            Condition::Not(c) => c.validate(rule),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn set<T: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            values: &[T],
        ) -> fmt::Result {
            let list: Vec<String> = values.iter().map(ToString::to_string).collect();
            write!(f, "{name} in [{}]", list.join(", "))
        }
        fn range<T: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            min: &Option<T>,
            max: &Option<T>,
        ) -> fmt::Result {
            match (min, max) {
                (Some(lo), Some(hi)) => write!(f, "{lo} <= {name} < {hi}"),
                (Some(lo), None) => write!(f, "{name} >= {lo}"),
                (None, Some(hi)) => write!(f, "{name} < {hi}"),
                (None, None) => write!(f, "{name} known"),
            }
        }
        fn join(
            f: &mut fmt::Formatter<'_>,
            list: &[Condition],
            word: &str,
            empty: &str,
        ) -> fmt::Result {
            if list.is_empty() {
                return f.write_str(empty);
            }
            for (i, c) in list.iter().enumerate() {
                if i > 0 {
                    write!(f, " {word} ")?;
                }
                if matches!(c, Condition::All(_) | Condition::Any(_)) {
                    write!(f, "({c})")?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            Ok(())
        }
        match self {
            Condition::SizeTier(v) => set(f, "size_tier", v),
            Condition::Industry(v) => set(f, "industry", v),
            Condition::Region(v) => set(f, "region", v),
            Condition::GrowthStage(v) => set(f, "growth_stage", v),
            Condition::Seniority(v) => set(f, "seniority", v),
            Condition::Department(v) => set(f, "department", v),
            Condition::DecisionMaker(v) => set(f, "decision_maker", v),
            Condition::BuyerRole(v) => set(f, "buyer_role", v),
            Condition::UsageTier(v) => set(f, "usage_tier", v),
            Condition::PlanTier(v) => set(f, "plan_tier", v),
            Condition::BillingStatus(v) => set(f, "billing_status", v),
            Condition::AcquisitionChannel(v) => set(f, "acquisition_channel", v),
            Condition::Maturity(v) => set(f, "maturity", v),
            Condition::Champion(b) => write!(f, "champion = {b}"),
            Condition::Mrr { min, max } => range(f, "mrr", min, max),
            Condition::Employees { min, max } => range(f, "employees", min, max),
            Condition::LoginsPerWeek { min, max } => range(f, "logins_per_week", min, max),
            Condition::All(list) => join(f, list, "and", "always"),
            Condition::Any(list) => join(f, list, "or", "never"),
            Condition::Not(c) => write!(f, "not ({c})"),
        }
    }
}

/// A named condition; the name becomes the segment's name.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rule {
    name: String,
    condition: Condition,
}

impl Rule {
    /// A rule called `name`.
    pub fn new(name: impl Into<String>, condition: Condition) -> Self {
        Rule {
            name: name.into(),
            condition,
        }
    }

    /// The rule's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule's condition.
    #[must_use]
    pub fn condition(&self) -> &Condition {
        &self.condition
    }
}

/// How a customer that matches several rules is assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MatchMode {
    /// The first matching rule wins (default); later matches are reported as overlaps.
    #[default]
    FirstMatch,
    /// A customer matching more than one rule is left unassigned and reported.
    Exclusive,
}

/// An ordered, validated list of rules.
///
/// Loading through `Deserialize` runs [`RuleSet::new`]'s checks on the rules.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RuleSet {
    rules: Vec<Rule>,
    mode: MatchMode,
    bounds: SizeTierBounds,
}

checked_serde!(RuleSet, RuleSet::check);

impl RuleSet {
    /// The invariants of a loaded rule set.
    fn check(&self) -> Result<()> {
        RuleSet::new(self.rules.clone()).map(|_| ())
    }

    /// A rule set in [`MatchMode::FirstMatch`] with the default size-tier bounds.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rules; [`Error::DuplicateName`] for a repeated rule name;
    /// [`Error::InvalidParameter`] for an empty or non-finite range.
    pub fn new(rules: Vec<Rule>) -> Result<Self> {
        if rules.is_empty() {
            return Err(Error::EmptyInput {
                what: "rule set",
                item: "rule",
            });
        }
        let mut names = BTreeSet::new();
        for rule in &rules {
            if !names.insert(rule.name.as_str()) {
                return Err(Error::DuplicateName {
                    what: "rule",
                    name: rule.name.clone(),
                });
            }
            rule.condition.validate(&rule.name)?;
        }
        Ok(RuleSet {
            rules,
            mode: MatchMode::FirstMatch,
            bounds: SizeTierBounds::default(),
        })
    }

    /// Sets the match mode. Default: [`MatchMode::FirstMatch`].
    #[must_use]
    pub fn mode(mut self, mode: MatchMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the size-tier bounds for [`Condition::SizeTier`]. Default: SMB [1, 200),
    /// Mid-Market [200, 2,000), Enterprise [2,000, inf).
    #[must_use]
    pub fn bounds(mut self, bounds: SizeTierBounds) -> Self {
        self.bounds = bounds;
        self
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Segments the customers of a merged profile set.
    ///
    /// # Errors
    /// As [`RuleSet::apply_over`].
    pub fn apply<K>(&self, profiles: &ProfileSet<K>) -> Result<RuleSegmentation> {
        self.apply_over(profiles, profiles.profiles())
    }

    /// Segments `profiles`, one per customer of `customers` in dense-id order (profile `i` is
    /// customer `i`).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without profiles; [`Error::LengthMismatch`] when there is not one
    /// profile per customer; [`Error::OutOfRange`] naming the customer when a profile with 0
    /// employees meets a size-tier condition.
    pub fn apply_over(
        &self,
        customers: &(impl CustomerSet + ?Sized),
        profiles: &[CustomerProfile],
    ) -> Result<RuleSegmentation> {
        if profiles.is_empty() {
            return Err(Error::EmptyInput {
                what: "profiles",
                item: "customer profile",
            });
        }
        let universe = customers.universe();
        if profiles.len() != universe.len() {
            return Err(Error::LengthMismatch {
                what: "profiles (one per customer, in id order)",
                expected: universe.len(),
                found: profiles.len(),
            });
        }
        let mut labels = Vec::with_capacity(profiles.len());
        let mut report = RuleReport {
            matches: vec![0; self.rules.len()],
            undetermined_by_rule: vec![0; self.rules.len()],
            overlaps: Vec::new(),
            unmatched: Vec::new(),
            undetermined: Vec::new(),
        };
        let mut matched = Vec::new();
        for (i, profile) in profiles.iter().enumerate() {
            let customer = CustomerId(i as u32);
            matched.clear();
            let mut unknown = false;
            for (r, rule) in self.rules.iter().enumerate() {
                let outcome =
                    rule.condition
                        .evaluate(profile, &self.bounds)
                        .map_err(|e| match e {
                            Error::OutOfRange {
                                field,
                                value,
                                expected,
                                ..
                            } => Error::OutOfRange {
                                record: format!("profile of customer {customer}"),
                                field,
                                value,
                                expected,
                            },
                            other => other,
                        })?;
                match outcome {
                    Some(true) => {
                        report.matches[r] += 1;
                        matched.push(r);
                    }
                    None => {
                        report.undetermined_by_rule[r] += 1;
                        unknown = true;
                    }
                    Some(false) => {}
                }
            }
            if matched.len() > 1 {
                report.overlaps.push(Overlap {
                    customer,
                    rules: matched.clone(),
                });
            }
            let label = match (self.mode, matched.as_slice()) {
                (_, []) => {
                    if unknown {
                        report.undetermined.push(customer);
                    } else {
                        report.unmatched.push(customer);
                    }
                    None
                }
                (MatchMode::Exclusive, [_, _, ..]) => None,
                (_, [first, ..]) => Some(*first),
            };
            labels.push(label);
        }
        let segments = self
            .rules
            .iter()
            .map(|rule| {
                SegmentDescriptor::new(
                    rule.name.clone(),
                    SegmentDefinition::Rule {
                        description: rule.condition.to_string(),
                    },
                )
            })
            .collect();
        Ok(RuleSegmentation {
            segmentation: Segmentation::new(&universe, labels, segments)?,
            report,
        })
    }
}

/// A customer that matched more than one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Overlap {
    /// The customer.
    pub customer: CustomerId,
    /// The rules it matched, by position.
    pub rules: Vec<usize>,
}

/// What happened when rules were applied.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RuleReport {
    matches: Vec<usize>,
    undetermined_by_rule: Vec<usize>,
    overlaps: Vec<Overlap>,
    unmatched: Vec<CustomerId>,
    undetermined: Vec<CustomerId>,
}

impl RuleReport {
    /// Per rule, how many customers matched it (before first-match or exclusivity).
    #[must_use]
    pub fn matches(&self) -> &[usize] {
        &self.matches
    }

    /// Per rule, how many customers it could not decide for lack of data.
    #[must_use]
    pub fn undetermined_by_rule(&self) -> &[usize] {
        &self.undetermined_by_rule
    }

    /// Customers that matched more than one rule.
    #[must_use]
    pub fn overlaps(&self) -> &[Overlap] {
        &self.overlaps
    }

    /// Customers that matched no rule, with every rule decided.
    #[must_use]
    pub fn unmatched(&self) -> &[CustomerId] {
        &self.unmatched
    }

    /// Customers that matched no rule while some rule could not be decided for lack of data.
    #[must_use]
    pub fn undetermined(&self) -> &[CustomerId] {
        &self.undetermined
    }

    /// Rules that matched no customer.
    #[must_use]
    pub fn unused_rules(&self) -> Vec<usize> {
        (0..self.matches.len())
            .filter(|&r| self.matches[r] == 0)
            .collect()
    }
}

/// The segmentation made by a rule set and its report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RuleSegmentation {
    segmentation: Segmentation,
    report: RuleReport,
}

impl RuleSegmentation {
    /// The segmentation: one segment per rule, in rule order.
    #[must_use]
    pub fn segmentation(&self) -> &Segmentation {
        &self.segmentation
    }

    /// Overlaps, unmatched and undetermined customers, match counts.
    #[must_use]
    pub fn report(&self) -> &RuleReport {
        &self.report
    }

    /// Consumes the result, returning the segmentation.
    #[must_use]
    pub fn into_segmentation(self) -> Segmentation {
        self.segmentation
    }
}
