//! Ideal (and anti-ideal) customer profiles: which traits the best customers share, with lift,
//! intervals and significance, and a fit score for prospects.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};
use crate::stats::distributions::normal_isf;
use crate::stats::{holm, mannwhitneyu, proportions_ztest, Alternative, MannWhitneyMethod};
use crate::universe::PerCustomer;
use crate::validate::Variable;

/// Settings of a profile.
///
/// Loading through `Deserialize` runs [`ProfileParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ProfileParams {
    min_support: f64,
    min_lift: f64,
    alpha: f64,
}

checked_serde!(ProfileParams, ProfileParams::validate);

impl Default for ProfileParams {
    fn default() -> Self {
        ProfileParams {
            min_support: 0.1,
            min_lift: 1.2,
            alpha: 0.05,
        }
    }
}

impl ProfileParams {
    /// Defaults: support 10%, lift 1.2, alpha 0.05.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The least share of the group that must have a trait. Default: 0.1.
    #[must_use]
    pub fn min_support(mut self, share: f64) -> Self {
        self.min_support = share;
        self
    }

    /// The least lift (share in the group / share in the rest) a trait needs. Default: 1.2.
    #[must_use]
    pub fn min_lift(mut self, lift: f64) -> Self {
        self.min_lift = lift;
        self
    }

    /// Significance level, after Holm's correction over every candidate trait. Default: 0.05.
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a support outside [0, 1], a lift below 1 or an alpha
    /// outside (0, 1).
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.min_support) {
            return Err(Error::InvalidParameter {
                name: "min_support",
                reason: format!("{} is not a share in [0, 1]", self.min_support),
            });
        }
        if !(self.min_lift >= 1.0 && self.min_lift.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "min_lift",
                reason: format!(
                    "{} is below 1: a trait must be commoner in the group",
                    self.min_lift
                ),
            });
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::InvalidParameter {
                name: "alpha",
                reason: format!("{} is not in (0, 1)", self.alpha),
            });
        }
        Ok(())
    }
}

/// What a trait tests.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TraitCondition {
    /// A categorical variable equals a value.
    Equals {
        /// The value.
        value: String,
    },
    /// A numeric variable lies in a closed range (the group's interquartile range).
    Between {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
}

/// One candidate trait with its evidence.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Trait {
    /// The variable.
    pub variable: String,
    /// The condition.
    pub condition: TraitCondition,
    /// Share of the group with the trait (support).
    pub share_in_group: f64,
    /// Share of the rest with the trait.
    pub share_in_rest: f64,
    /// Risk ratio share_in_group / share_in_rest (an empty cell of the 2 x 2 table counts 0.5).
    pub lift: f64,
    /// Lower bound of the lift (log method).
    pub lift_lower: f64,
    /// Upper bound of the lift.
    pub lift_upper: f64,
    /// p-value of the trait's own test: the two-proportion z test of the two shares shown
    /// (for a numeric variable, of the shares inside the group's interquartile range).
    pub p_value: f64,
    /// For a numeric variable, the Mann-Whitney p-value of the whole distributions (group vs
    /// rest), reported beside the trait's own test but not used to select it; `None` for
    /// categories.
    pub distribution_p_value: Option<f64>,
    /// Holm-adjusted p-value over all candidates.
    pub p_adjusted: f64,
    /// Whether it passed support, lift and significance.
    pub selected: bool,
}

impl Trait {
    /// A candidate held by `group[0]` of `group[1]` group members and `rest[0]` of `rest[1]`
    /// others, with the test's p-value; not yet adjusted or selected.
    fn candidate(
        variable: &str,
        condition: TraitCondition,
        group: [u64; 2],
        rest: [u64; 2],
        p_value: f64,
        z: f64,
    ) -> Trait {
        let (lift, lift_lower, lift_upper) = risk_ratio(group[0], group[1], rest[0], rest[1], z);
        Trait {
            variable: variable.to_owned(),
            condition,
            share_in_group: group[0] as f64 / group[1] as f64,
            share_in_rest: rest[0] as f64 / rest[1] as f64,
            lift,
            lift_lower,
            lift_upper,
            p_value: if p_value.is_nan() { 1.0 } else { p_value },
            distribution_p_value: None,
            p_adjusted: 1.0,
            selected: false,
        }
    }

    fn matches(&self, variable: &Variable, i: usize) -> bool {
        match (&self.condition, variable) {
            (TraitCondition::Equals { value }, Variable::Categorical { values, .. }) => {
                values.values().get(i).and_then(|v| v.as_deref()) == Some(value.as_str())
            }
            (TraitCondition::Between { low, high }, Variable::Numeric { values, .. }) => values
                .values()
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|v| *low <= v && v <= *high),
            _ => false,
        }
    }

    fn describe(&self) -> String {
        let condition = match &self.condition {
            TraitCondition::Equals { value } => format!("{} = {value}", self.variable),
            TraitCondition::Between { low, high } => {
                format!("{} in [{low:.4}, {high:.4}]", self.variable)
            }
        };
        format!(
            "{condition} ({:.0}% vs {:.0}%, {:.2}x, CI {:.2}-{:.2}, p = {:.2e})",
            self.share_in_group * 100.0,
            self.share_in_rest * 100.0,
            self.lift,
            self.lift_lower,
            self.lift_upper,
            self.p_adjusted
        )
    }
}

/// The traits a group of customers (top LTV quintile, or for an anti-profile the bottom
/// quintile, churners, heavy support users) shares more than the rest.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IdealCustomerProfile {
    group: String,
    group_size: u64,
    rest_size: u64,
    candidates: Vec<Trait>,
}

/// Share-in-group, share-in-rest, lift and its interval for a 2 x 2 table, as statsmodels'
/// `Table2x2(...).riskratio` and `riskratio_confint`: an empty cell counts 0.5, so a trait
/// nobody in the rest has gets a large finite lift with a wide interval, not infinity.
fn risk_ratio(a: u64, n1: u64, b: u64, n2: u64, z: f64) -> (f64, f64, f64) {
    let shift = |x: u64| if x == 0 { 0.5 } else { x as f64 };
    let (a, c, b, d) = (shift(a), shift(n1 - a), shift(b), shift(n2 - b));
    let rr = (a / (a + c)) / (b / (b + d));
    let se = (1.0 / a - 1.0 / (a + c) + 1.0 / b - 1.0 / (b + d)).sqrt();
    (rr, (rr.ln() - z * se).exp(), (rr.ln() + z * se).exp())
}

/// The linear-interpolation quantile of sorted values (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

impl IdealCustomerProfile {
    /// Profiles the customers with `in_group[i] == Some(true)` against those with `Some(false)`
    /// (`None`: left out) over `variables` (one value per customer each). `group` names the
    /// group in the description ("top 20% by LTV").
    ///
    /// For each category of each categorical variable, and for each numeric variable's
    /// interquartile range in the group, the trait's share in the group and the rest, the lift
    /// (risk ratio) with its log-method interval, and the p-value of the two-proportion z test
    /// of exactly those shares, Holm-adjusted over all candidates (numeric variables also
    /// report the Mann-Whitney p-value of the whole distributions, unused for selection). A trait is
    /// selected when its support, lift and adjusted p-value pass `params`.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when a variable belongs to another customer set than
    /// `in_group`; [`Error::EmptyInput`] when the group or the rest is empty or there are no variables;
    /// [`Error::InvalidParameter`] for bad settings.
    ///
    /// Reference: lift and interval match statsmodels `Table2x2.riskratio` /
    /// `riskratio_confint`; the tests match `proportions_ztest` and scipy `mannwhitneyu`.
    pub fn fit(
        in_group: &PerCustomer<bool>,
        variables: &[Variable],
        group: &str,
        params: &ProfileParams,
    ) -> Result<IdealCustomerProfile> {
        params.validate()?;
        if variables.is_empty() {
            return Err(Error::EmptyInput {
                what: "profile variables",
                item: "variable",
            });
        }
        let universe_of_group = in_group.universe();
        let in_group = in_group.values();
        let n1 = in_group.iter().filter(|g| **g == Some(true)).count() as u64;
        let n2 = in_group.iter().filter(|g| **g == Some(false)).count() as u64;
        if n1 == 0 || n2 == 0 {
            return Err(Error::EmptyInput {
                what: if n1 == 0 {
                    "profile group"
                } else {
                    "rest of the customers"
                },
                item: "customer",
            });
        }
        let z = normal_isf(params.alpha / 2.0);
        let mut candidates = Vec::new();
        for variable in variables {
            let name = variable.name().to_owned();
            let name = &name;
            universe_of_group
                .ensure_same(&variable.universe(), format!("profile variable `{name}`"))?;
            match variable {
                Variable::Categorical { values, .. } => {
                    let values = values.values();
                    let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
                    let (mut present1, mut present2) = (0u64, 0u64);
                    for (v, g) in values.iter().zip(in_group) {
                        let (Some(v), Some(g)) = (v.as_deref(), g) else {
                            continue;
                        };
                        let entry = counts.entry(v).or_insert((0, 0));
                        if *g {
                            entry.0 += 1;
                            present1 += 1;
                        } else {
                            entry.1 += 1;
                            present2 += 1;
                        }
                    }
                    if present1 == 0 || present2 == 0 {
                        continue;
                    }
                    for (value, (a, b)) in counts {
                        let p =
                            proportions_ztest([a, b], [present1, present2], Alternative::TwoSided)
                                .map_or(1.0, |t| t.p_value);
                        let condition = TraitCondition::Equals {
                            value: value.to_owned(),
                        };
                        candidates.push(Trait::candidate(
                            name,
                            condition,
                            [a, present1],
                            [b, present2],
                            p,
                            z,
                        ));
                    }
                }
                Variable::Numeric { values, .. } => {
                    let values = values.values();
                    let mut group_values = Vec::new();
                    let mut rest_values = Vec::new();
                    for (v, g) in values.iter().zip(in_group) {
                        if let (Some(v), Some(g)) = (v, g) {
                            if v.is_finite() {
                                if *g {
                                    group_values.push(*v);
                                } else {
                                    rest_values.push(*v);
                                }
                            }
                        }
                    }
                    if group_values.is_empty() || rest_values.is_empty() {
                        continue;
                    }
                    let distribution = mannwhitneyu(
                        &group_values,
                        &rest_values,
                        true,
                        Alternative::TwoSided,
                        MannWhitneyMethod::Auto,
                    )
                    .map_or(1.0, |t| t.p_value);
                    group_values.sort_by(f64::total_cmp);
                    let (low, high) =
                        (quantile(&group_values, 0.25), quantile(&group_values, 0.75));
                    let inside = |v: &f64| low <= *v && *v <= high;
                    let a = group_values.iter().filter(|v| inside(v)).count() as u64;
                    let b = rest_values.iter().filter(|v| inside(v)).count() as u64;
                    let (n_a, n_b) = (group_values.len() as u64, rest_values.len() as u64);
                    let condition = TraitCondition::Between { low, high };
                    // The trait shown is "inside the group's IQR": test those two shares, the
                    // numbers the reader sees; the distribution test is kept beside it.
                    let p = proportions_ztest([a, b], [n_a, n_b], Alternative::TwoSided)
                        .map_or(1.0, |t| t.p_value);
                    let mut candidate = Trait::candidate(name, condition, [a, n_a], [b, n_b], p, z);
                    candidate.distribution_p_value = Some(distribution);
                    candidates.push(candidate);
                }
            }
        }
        if !candidates.is_empty() {
            let p: Vec<f64> = candidates
                .iter()
                .map(|t| t.p_value.clamp(0.0, 1.0))
                .collect();
            for (t, adjusted) in candidates.iter_mut().zip(holm(&p)?) {
                t.p_adjusted = adjusted;
                t.selected = t.share_in_group >= params.min_support
                    && t.lift >= params.min_lift
                    && t.lift_lower > 1.0
                    && adjusted < params.alpha;
            }
        }
        candidates.sort_by(|a, b| b.lift.total_cmp(&a.lift));
        Ok(IdealCustomerProfile {
            group: group.to_owned(),
            group_size: n1,
            rest_size: n2,
            candidates,
        })
    }

    /// Every candidate trait, highest lift first.
    #[must_use]
    pub fn candidates(&self) -> &[Trait] {
        &self.candidates
    }

    /// The selected traits, highest lift first.
    pub fn traits(&self) -> impl Iterator<Item = &Trait> + '_ {
        self.candidates.iter().filter(|t| t.selected)
    }

    /// Customers in the group and in the rest.
    #[must_use]
    pub fn sizes(&self) -> (u64, u64) {
        (self.group_size, self.rest_size)
    }

    /// How well each of a set of prospects fits: for each row of `variables` (the same
    /// variables, one value per prospect), the matched traits' weights `ln(lift)` over the sum
    /// of all selected traits' weights, in [0, 1], and the traits matched.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without variables; [`Error::CustomerSetMismatch`] when the
    /// variables belong to different customer sets; [`Error::Undefined`] when the profile
    /// selected no trait.
    pub fn fit_scores(&self, variables: &[Variable]) -> Result<PerCustomer<FitScore>> {
        let selected: Vec<&Trait> = self.traits().collect();
        if selected.is_empty() {
            return Err(Error::Undefined {
                reason: "the profile has no selected trait to score against: relax min_lift or \
                         min_support, or add variables"
                    .into(),
            });
        }
        let universe = variables
            .first()
            .ok_or(Error::EmptyInput {
                what: "prospect variables",
                item: "variable",
            })?
            .universe();
        for v in variables {
            universe.ensure_same(&v.universe(), format!("prospect variable `{}`", v.name()))?;
        }
        let n = universe.len();
        let by_name = |name: &str| {
            variables.iter().find(|v| match v {
                Variable::Numeric { name: n, .. } | Variable::Categorical { name: n, .. } => {
                    n == name
                }
            })
        };
        let total: f64 = selected.iter().map(|t| t.lift.ln()).sum();
        PerCustomer::complete(
            &universe,
            (0..n)
                .map(|i| {
                    let matched: Vec<usize> = selected
                        .iter()
                        .enumerate()
                        .filter(|(_, t)| by_name(&t.variable).is_some_and(|v| t.matches(v, i)))
                        .map(|(k, _)| k)
                        .collect();
                    let weight: f64 = matched.iter().map(|&k| selected[k].lift.ln()).sum();
                    FitScore {
                        score: weight / total,
                        matched: matched.len(),
                        of: selected.len(),
                    }
                })
                .collect::<Vec<_>>(),
        )
    }
}

/// How well one prospect fits a profile.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitScore {
    /// Lift-weighted share of the profile's traits matched, in [0, 1].
    pub score: f64,
    /// Traits matched.
    pub matched: usize,
    /// Traits in the profile.
    pub of: usize,
}

impl fmt::Display for IdealCustomerProfile {
    /// A plain-language description: the group, its size, and each selected trait with its
    /// shares, lift, interval and adjusted p-value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let selected: Vec<&Trait> = self.traits().collect();
        write!(
            f,
            "{} ({} customers, vs {} others)",
            self.group, self.group_size, self.rest_size
        )?;
        if selected.is_empty() {
            return write!(f, ": no trait sets them apart at the chosen thresholds");
        }
        write!(f, " are more often:")?;
        for t in selected {
            write!(f, "\n  - {}", t.describe())?;
        }
        Ok(())
    }
}
