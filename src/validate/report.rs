//! The five criteria (distinct, measurable, accessible, substantial, actionable) as one typed
//! report, and pairwise comparisons of segments on an outcome.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};
use crate::segmentation::Segmentation;
use crate::stats::{self, Alternative, MannWhitneyMethod};
use crate::universe::{PerCustomer, Universe};

/// One variable measured per customer of a customer set (a [`PerCustomer`] column, which must
/// be the segmentation's set); `None` is missing.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Variable {
    /// A number (MRR, logins, seats ...): tested with Kruskal-Wallis across segments (ANOVA is
    /// reported beside it) and Mann-Whitney segment vs rest.
    Numeric {
        /// The variable's name.
        name: String,
        /// One value per customer.
        values: PerCustomer<f64>,
    },
    /// A category (industry, plan, churned yes/no): tested with chi-square independence and
    /// Cramér's V.
    Categorical {
        /// The variable's name.
        name: String,
        /// One category per customer.
        values: PerCustomer<String>,
    },
}

impl Variable {
    /// A numeric variable.
    pub fn numeric(name: impl Into<String>, values: PerCustomer<f64>) -> Self {
        Variable::Numeric {
            name: name.into(),
            values,
        }
    }

    /// A categorical variable.
    pub fn categorical(name: impl Into<String>, values: PerCustomer<String>) -> Self {
        Variable::Categorical {
            name: name.into(),
            values,
        }
    }

    /// The variable's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Variable::Numeric { name, .. } | Variable::Categorical { name, .. } => name,
        }
    }

    /// The customer set of the values.
    #[must_use]
    pub fn universe(&self) -> Universe {
        match self {
            Variable::Numeric { values, .. } => values.universe(),
            Variable::Categorical { values, .. } => values.universe(),
        }
    }

    fn present(&self, customer: usize) -> bool {
        match self {
            Variable::Numeric { values, .. } => values
                .values()
                .get(customer)
                .is_some_and(|v| v.is_some_and(f64::is_finite)),
            Variable::Categorical { values, .. } => {
                values.values().get(customer).is_some_and(Option::is_some)
            }
        }
    }
}

/// What the team will do with a segment (the seeds' step 5): goal, action, channel and the
/// metric that says whether it worked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Strategy {
    /// What the segment should achieve ("expand seats").
    pub goal: String,
    /// What the team does ("CSM-led QBR with upsell offer").
    pub action: String,
    /// Where it reaches the segment ("in-app", "email", "sales").
    pub channel: String,
    /// How success is measured ("NRR over 2 quarters").
    pub success_metric: String,
}

/// Thresholds of the criteria. Defaults: a segment holds at least 5% of customers and 30
/// customers, its defining variables are at least 90% present, at least 50% of it is reachable,
/// and a difference counts at alpha 0.05 (Holm-corrected) with at least a small effect
/// (epsilon squared / Cramér's V of 0.01 / 0.1 for the overall tests, probability of
/// superiority away from 0.5 by 0.06 or a share difference of 5 points segment vs rest).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Criteria {
    /// Smallest share of customers for a substantial segment, in [0, 1].
    pub min_customer_share: f64,
    /// Smallest number of customers for a substantial segment.
    pub min_customers: usize,
    /// Smallest share of revenue for a substantial segment, in [0, 1] (0 = not required).
    pub min_revenue_share: f64,
    /// Smallest share of the segment with every defining variable present, in [0, 1].
    pub min_coverage: f64,
    /// Smallest share of the segment reachable by at least one channel, in [0, 1].
    pub min_reach: f64,
    /// Significance level after Holm's correction, in (0, 1).
    pub alpha: f64,
    /// Smallest |probability of superiority - 0.5| (numeric) or share difference (categorical,
    /// largest over categories) of a segment against the rest for it to count as distinct.
    pub min_effect: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            min_customer_share: 0.05,
            min_customers: 30,
            min_revenue_share: 0.0,
            min_coverage: 0.9,
            min_reach: 0.5,
            alpha: 0.05,
            min_effect: 0.06,
        }
    }
}

impl Criteria {
    fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("min_customer_share", self.min_customer_share),
            ("min_revenue_share", self.min_revenue_share),
            ("min_coverage", self.min_coverage),
            ("min_reach", self.min_reach),
            ("min_effect", self.min_effect),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::InvalidParameter {
                    name,
                    reason: format!("{value} is outside [0, 1]"),
                });
            }
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::InvalidParameter {
                name: "alpha",
                reason: format!("{} is outside (0, 1)", self.alpha),
            });
        }
        Ok(())
    }
}

/// A criterion's verdict for one segment, with the reasons in words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Verdict {
    /// The segment meets the criterion.
    Pass(Vec<String>),
    /// It does not.
    Fail(Vec<String>),
    /// The inputs needed to judge were not given.
    NotAssessed(String),
}

impl Verdict {
    fn from(pass: bool, reasons: Vec<String>) -> Verdict {
        if pass {
            Verdict::Pass(reasons)
        } else {
            Verdict::Fail(reasons)
        }
    }

    /// Whether the verdict is a pass.
    #[must_use]
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass(_))
    }

    fn word(&self) -> &'static str {
        match self {
            Verdict::Pass(_) => "pass",
            Verdict::Fail(_) => "FAIL",
            Verdict::NotAssessed(_) => "n/a",
        }
    }

    fn reasons(&self) -> Vec<String> {
        match self {
            Verdict::Pass(r) | Verdict::Fail(r) => r.clone(),
            Verdict::NotAssessed(r) => vec![r.clone()],
        }
    }
}

/// Whether segments differ on one variable, over all segments at once.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VariableTest {
    /// The variable.
    pub variable: String,
    /// `"kruskal"` (numeric) or `"chi2"` (categorical). The chi-square tests of the report, over
    /// all segments and of each segment against the rest, follow scipy's default
    /// (`chi2_contingency(correction=True)`): Yates' correction on 2 x 2 tables, none on larger
    /// ones.
    pub test: String,
    /// The test statistic (H or chi-square).
    pub statistic: f64,
    /// The p-value.
    pub p_value: f64,
    /// Holm-adjusted over all variables.
    pub p_adjusted: f64,
    /// Epsilon squared (numeric) or Cramér's V (categorical, from the uncorrected table).
    pub effect: f64,
    /// ANOVA's F and p-value beside Kruskal-Wallis (numeric only).
    pub anova: Option<(f64, f64)>,
    /// Why the test could not be run (all values equal, one segment with data ...), if so.
    pub undefined: Option<String>,
}

/// One segment's verdicts.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentVerdicts {
    /// The segment's name.
    pub segment: String,
    /// Customers in it.
    pub customers: usize,
    /// Its share of assigned customers.
    pub customer_share: f64,
    /// Its share of revenue, when revenue was given.
    pub revenue_share: Option<f64>,
    /// Differs from the rest on at least one variable (significant after Holm, effect large
    /// enough).
    pub distinct: Verdict,
    /// The defining variables are present for enough of its customers.
    pub measurable: Verdict,
    /// Enough of it is reachable through the caller's channels.
    pub accessible: Verdict,
    /// Big enough in customers (and revenue, if asked).
    pub substantial: Verdict,
    /// A complete strategy is mapped to it.
    pub actionable: Verdict,
}

impl SegmentVerdicts {
    /// The five verdicts in order: distinct, measurable, accessible, substantial, actionable.
    #[must_use]
    pub fn verdicts(&self) -> [(&'static str, &Verdict); 5] {
        [
            ("distinct", &self.distinct),
            ("measurable", &self.measurable),
            ("accessible", &self.accessible),
            ("substantial", &self.substantial),
            ("actionable", &self.actionable),
        ]
    }
}

/// The validation report: per-variable tests and every segment's five verdicts.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ValidationReport {
    /// The thresholds used.
    pub criteria: Criteria,
    /// Customers without a segment (left out of every test).
    pub unassigned: usize,
    /// Overall tests, one per variable.
    pub variables: Vec<VariableTest>,
    /// Verdicts, one per segment.
    pub segments: Vec<SegmentVerdicts>,
}

impl ValidationReport {
    /// Whether every segment passes every assessed criterion.
    #[must_use]
    pub fn all_pass(&self) -> bool {
        self.segments.iter().all(|s| {
            s.verdicts()
                .iter()
                .all(|(_, v)| !matches!(v, Verdict::Fail(_)))
        })
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Segment validation ({} segments)", self.segments.len())?;
        writeln!(
            f,
            "{:<24} {:>9} {:>7} {:>9} {:>11} {:>10} {:>11} {:>10}",
            "segment",
            "customers",
            "share",
            "distinct",
            "measurable",
            "accessible",
            "substantial",
            "actionable"
        )?;
        for s in &self.segments {
            let v = s.verdicts();
            writeln!(
                f,
                "{:<24} {:>9} {:>6.1}% {:>9} {:>11} {:>10} {:>11} {:>10}",
                s.segment,
                s.customers,
                100.0 * s.customer_share,
                v[0].1.word(),
                v[1].1.word(),
                v[2].1.word(),
                v[3].1.word(),
                v[4].1.word()
            )?;
        }
        if !self.variables.is_empty() {
            writeln!(f, "\nDo segments differ? (Holm-adjusted)")?;
            for t in &self.variables {
                match &t.undefined {
                    Some(why) => writeln!(f, "  {:<22} undefined: {why}", t.variable)?,
                    None => writeln!(
                        f,
                        "  {:<22} {:<7} stat {:>10.4} p {:>9.3e} p_adj {:>9.3e} effect {:.3}",
                        t.variable, t.test, t.statistic, t.p_value, t.p_adjusted, t.effect
                    )?,
                }
            }
        }
        writeln!(f, "\nReasons")?;
        for s in &self.segments {
            for (criterion, verdict) in s.verdicts() {
                for reason in verdict.reasons() {
                    writeln!(f, "  {} / {criterion}: {reason}", s.segment)?;
                }
            }
        }
        if self.unassigned > 0 {
            writeln!(
                f,
                "{} customers without a segment were left out",
                self.unassigned
            )?;
        }
        Ok(())
    }
}

/// Inputs of [`validate_segmentation`] beyond the segmentation: all optional, a criterion whose
/// input is missing is reported `NotAssessed`.
#[derive(Debug, Clone, Default)]
pub struct ValidationInput<'a> {
    /// Variables to test for distinctness and (the defining ones) for coverage.
    pub variables: &'a [Variable],
    /// Names of the variables that define the segments (measurability); all of `variables` when
    /// empty.
    pub defining: &'a [&'a str],
    /// Revenue per customer, for substantiality (a customer without a value counts 0).
    pub revenue: Option<&'a PerCustomer<f64>>,
    /// Reachability per channel: channel name and one flag per customer (`None` counts as not
    /// reachable).
    pub channels: &'a [(&'a str, &'a PerCustomer<bool>)],
    /// Strategy per segment name.
    pub strategies: Option<&'a BTreeMap<String, Strategy>>,
}

/// Builds the report: tests every variable across segments, then judges each segment on the
/// five criteria against `criteria`.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] naming the input (variable, revenue, channel) that belongs to
/// another customer set than the segmentation; [`Error::InvalidParameter`] for thresholds outside their range or a defining variable that is
/// not among `variables`; [`Error::NonFinite`] for non-finite revenue.
pub fn validate_segmentation(
    segmentation: &Segmentation,
    input: &ValidationInput<'_>,
    criteria: &Criteria,
) -> Result<ValidationReport> {
    criteria.validate()?;
    let k = segmentation.segment_count();
    for variable in input.variables {
        segmentation.ensure_same(
            &variable.universe(),
            &format!("variable `{}`", variable.name()),
        )?;
    }
    if let Some(revenue) = input.revenue {
        segmentation.ensure_same(revenue, "revenue")?;
        for (id, value) in revenue.iter() {
            if let Some(&v) = value {
                crate::error::ensure_finite(v, || format!("customer {id}"), "revenue")?;
            }
        }
    }
    for (channel, flags) in input.channels {
        segmentation.ensure_same(*flags, &format!("reachability of channel `{channel}`"))?;
    }
    for name in input.defining {
        if !input.variables.iter().any(|v| v.name() == *name) {
            return Err(Error::InvalidParameter {
                name: "defining",
                reason: format!("`{name}` is not among the variables given"),
            });
        }
    }
    let labels = segmentation.labels();
    let sizes = segmentation.sizes();
    let assigned: usize = sizes.iter().sum();

    // Overall tests, then segment-vs-rest tests; Holm over each family.
    let mut variables: Vec<VariableTest> = input
        .variables
        .iter()
        .map(|v| overall_test(v, labels, k))
        .collect();
    let raw: Vec<f64> = variables
        .iter()
        .map(|t| {
            if t.undefined.is_some() {
                1.0
            } else {
                t.p_value
            }
        })
        .collect();
    if !raw.is_empty() {
        for (t, p) in variables.iter_mut().zip(stats::holm(&raw)?) {
            t.p_adjusted = p;
        }
    }
    let versus = versus_rest(input.variables, labels, k);
    let versus_p: Vec<f64> = versus.iter().map(|c| c.p_value).collect();
    let versus_adjusted = if versus_p.is_empty() {
        Vec::new()
    } else {
        stats::holm(&versus_p)?
    };

    let revenue_by_segment = input.revenue.map(|revenue| {
        let mut sums = vec![0.0; k];
        for (l, r) in labels.iter().zip(revenue.values()) {
            if let (Some(l), Some(r)) = (l, r) {
                sums[*l] += r;
            }
        }
        sums
    });
    let revenue_total: Option<f64> = revenue_by_segment.as_ref().map(|s| s.iter().sum());
    let defining: Vec<&Variable> = if input.defining.is_empty() {
        input.variables.iter().collect()
    } else {
        input
            .variables
            .iter()
            .filter(|v| input.defining.contains(&v.name()))
            .collect()
    };

    let mut segments = Vec::with_capacity(k);
    for (c, descriptor) in segmentation.segments().iter().enumerate() {
        let name = descriptor.name().to_owned();
        let members: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] == Some(c))
            .collect();
        let size = members.len();
        let share = if assigned == 0 {
            0.0
        } else {
            size as f64 / assigned as f64
        };

        // Distinct.
        let distinct = if input.variables.is_empty() {
            Verdict::NotAssessed("no variables given".to_owned())
        } else {
            let mut reasons = Vec::new();
            let mut any = false;
            for (comparison, p_adj) in versus.iter().zip(&versus_adjusted) {
                if comparison.segment != c {
                    continue;
                }
                if *p_adj <= criteria.alpha && comparison.effect >= criteria.min_effect {
                    any = true;
                    reasons.push(format!(
                        "{} differs from the rest ({}; Holm p = {:.3e})",
                        comparison.variable, comparison.description, p_adj
                    ));
                }
            }
            if !any {
                reasons.push(format!(
                    "no variable differs from the rest at alpha {} with effect >= {}",
                    criteria.alpha, criteria.min_effect
                ));
            }
            Verdict::from(any, reasons)
        };

        // Measurable: every defining variable present.
        let measurable = if defining.is_empty() {
            Verdict::NotAssessed("no defining variables given".to_owned())
        } else if size == 0 {
            Verdict::Fail(vec!["the segment is empty".to_owned()])
        } else {
            let complete = members
                .iter()
                .filter(|&&i| defining.iter().all(|v| v.present(i)))
                .count();
            let coverage = complete as f64 / size as f64;
            let mut reasons = vec![format!(
                "{:.1}% of customers have every defining variable (threshold {:.1}%)",
                100.0 * coverage,
                100.0 * criteria.min_coverage
            )];
            for v in &defining {
                let missing = members.iter().filter(|&&i| !v.present(i)).count();
                if missing > 0 {
                    reasons.push(format!("{} missing for {missing} customers", v.name()));
                }
            }
            Verdict::from(coverage >= criteria.min_coverage, reasons)
        };

        // Accessible.
        let accessible = if input.channels.is_empty() {
            Verdict::NotAssessed("no channel reachability given".to_owned())
        } else if size == 0 {
            Verdict::Fail(vec!["the segment is empty".to_owned()])
        } else {
            let reachable = members
                .iter()
                .filter(|&&i| {
                    input
                        .channels
                        .iter()
                        .any(|(_, flags)| flags.values()[i] == Some(true))
                })
                .count();
            let reach = reachable as f64 / size as f64;
            let mut reasons = vec![format!(
                "{:.1}% reachable by at least one channel (threshold {:.1}%)",
                100.0 * reach,
                100.0 * criteria.min_reach
            )];
            for (channel, flags) in input.channels {
                let by = members
                    .iter()
                    .filter(|&&i| flags.values()[i] == Some(true))
                    .count();
                reasons.push(format!(
                    "{channel}: {:.1}%",
                    100.0 * by as f64 / size as f64
                ));
            }
            Verdict::from(reach >= criteria.min_reach, reasons)
        };

        // Substantial.
        let revenue_share = match (&revenue_by_segment, revenue_total) {
            (Some(sums), Some(total)) if total != 0.0 => Some(sums[c] / total),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        let substantial = {
            let mut pass = size >= criteria.min_customers && share >= criteria.min_customer_share;
            let mut reasons = vec![format!(
                "{size} customers, {:.1}% of the assigned (thresholds {} and {:.1}%)",
                100.0 * share,
                criteria.min_customers,
                100.0 * criteria.min_customer_share
            )];
            if let Some(r) = revenue_share {
                reasons.push(format!(
                    "{:.1}% of revenue (threshold {:.1}%)",
                    100.0 * r,
                    100.0 * criteria.min_revenue_share
                ));
                pass &= r >= criteria.min_revenue_share;
            }
            Verdict::from(pass, reasons)
        };

        // Actionable.
        let actionable = match input.strategies {
            None => Verdict::NotAssessed("no strategy mapping given".to_owned()),
            Some(map) => match map.get(&name) {
                None => Verdict::Fail(vec!["no strategy is mapped to this segment".to_owned()]),
                Some(s) => {
                    let missing: Vec<&str> = [
                        ("goal", &s.goal),
                        ("action", &s.action),
                        ("channel", &s.channel),
                        ("success metric", &s.success_metric),
                    ]
                    .iter()
                    .filter(|(_, v)| v.trim().is_empty())
                    .map(|(k, _)| *k)
                    .collect();
                    if missing.is_empty() {
                        Verdict::Pass(vec![format!(
                            "goal: {}; action: {}; channel: {}; measured by {}",
                            s.goal, s.action, s.channel, s.success_metric
                        )])
                    } else {
                        Verdict::Fail(vec![format!("the strategy lacks: {}", missing.join(", "))])
                    }
                }
            },
        };

        segments.push(SegmentVerdicts {
            segment: name,
            customers: size,
            customer_share: share,
            revenue_share,
            distinct,
            measurable,
            accessible,
            substantial,
            actionable,
        });
    }
    Ok(ValidationReport {
        criteria: criteria.clone(),
        unassigned: segmentation.unassigned(),
        variables,
        segments,
    })
}

/// Values of a numeric variable per segment (missing and unassigned dropped).
fn numeric_groups(values: &[Option<f64>], labels: &[Option<usize>], k: usize) -> Vec<Vec<f64>> {
    let mut groups = vec![Vec::new(); k];
    for (v, l) in values.iter().zip(labels) {
        if let (Some(v), Some(l)) = (v, l) {
            if v.is_finite() {
                groups[*l].push(*v);
            }
        }
    }
    groups
}

/// Segment x category counts (row-major) and the category names, for present values.
fn category_table(
    values: &[Option<String>],
    labels: &[Option<usize>],
    k: usize,
) -> (Vec<f64>, Vec<String>) {
    let categories: Vec<String> = {
        let mut all: Vec<String> = values.iter().flatten().cloned().collect();
        all.sort();
        all.dedup();
        all
    };
    let m = categories.len();
    let mut table = vec![0.0; k * m];
    for (v, l) in values.iter().zip(labels) {
        if let (Some(v), Some(l)) = (v, l) {
            if let Ok(j) = categories.binary_search(v) {
                table[l * m + j] += 1.0;
            }
        }
    }
    (table, categories)
}

/// Drops all-zero rows and columns of a row-major table.
fn trimmed(table: &[f64], rows: usize) -> (Vec<f64>, usize) {
    let columns = table.len().checked_div(rows).unwrap_or(0);
    let keep_rows: Vec<usize> = (0..rows)
        .filter(|&i| {
            table[i * columns..(i + 1) * columns]
                .iter()
                .any(|&v| v > 0.0)
        })
        .collect();
    let keep_columns: Vec<usize> = (0..columns)
        .filter(|&j| keep_rows.iter().any(|&i| table[i * columns + j] > 0.0))
        .collect();
    let mut out = Vec::with_capacity(keep_rows.len() * keep_columns.len());
    for &i in &keep_rows {
        for &j in &keep_columns {
            out.push(table[i * columns + j]);
        }
    }
    (out, keep_rows.len())
}

fn overall_test(variable: &Variable, labels: &[Option<usize>], k: usize) -> VariableTest {
    let mut result = VariableTest {
        variable: variable.name().to_owned(),
        test: String::new(),
        statistic: f64::NAN,
        p_value: 1.0,
        p_adjusted: 1.0,
        effect: 0.0,
        anova: None,
        undefined: None,
    };
    match variable {
        Variable::Numeric { values, .. } => {
            let values = values.values();
            result.test = "kruskal".to_owned();
            let groups = numeric_groups(values, labels, k);
            let present: Vec<&[f64]> = groups
                .iter()
                .filter(|g| !g.is_empty())
                .map(Vec::as_slice)
                .collect();
            match stats::kruskal(&present) {
                Ok(t) => {
                    result.statistic = t.statistic;
                    result.p_value = t.p_value;
                    result.effect = t.epsilon_squared;
                    result.anova = stats::f_oneway(&present)
                        .ok()
                        .map(|a| (a.statistic, a.p_value));
                }
                Err(e) => result.undefined = Some(e.to_string()),
            }
        }
        Variable::Categorical { values, .. } => {
            let values = values.values();
            result.test = "chi2".to_owned();
            let (table, _) = category_table(values, labels, k);
            let (table, rows) = trimmed(&table, k);
            // scipy's default convention everywhere in the report: Yates' correction, which
            // applies to 2 x 2 tables only; the effect is Cramér's V of the uncorrected table.
            match stats::chi2_contingency(&table, rows, true) {
                Ok(t) if rows >= 2 && table.len() / rows.max(1) >= 2 => {
                    result.statistic = t.statistic;
                    result.p_value = t.p_value;
                    result.effect = t.cramers_v.unwrap_or(0.0);
                }
                Ok(_) => {
                    result.undefined =
                        Some("fewer than two segments or categories have data".to_owned())
                }
                Err(e) => result.undefined = Some(e.to_string()),
            }
        }
    }
    result
}

/// One segment against all other segments on one variable.
struct VersusRest {
    segment: usize,
    variable: String,
    p_value: f64,
    effect: f64,
    description: String,
}

fn versus_rest(variables: &[Variable], labels: &[Option<usize>], k: usize) -> Vec<VersusRest> {
    let mut out = Vec::new();
    for variable in variables {
        for c in 0..k {
            let comparison = match variable {
                Variable::Numeric { name, values } => {
                    let values = values.values();
                    let (mut inside, mut outside) = (Vec::new(), Vec::new());
                    for (v, l) in values.iter().zip(labels) {
                        if let (Some(v), Some(l)) = (v, l) {
                            if v.is_finite() {
                                if *l == c {
                                    inside.push(*v);
                                } else {
                                    outside.push(*v);
                                }
                            }
                        }
                    }
                    stats::mannwhitneyu(
                        &inside,
                        &outside,
                        true,
                        Alternative::TwoSided,
                        MannWhitneyMethod::Auto,
                    )
                    .ok()
                    .map(|t| {
                        let median = |x: &mut Vec<f64>| {
                            x.sort_by(f64::total_cmp);
                            let m = x.len();
                            if m % 2 == 1 {
                                x[m / 2]
                            } else {
                                (x[m / 2 - 1] + x[m / 2]) / 2.0
                            }
                        };
                        VersusRest {
                            segment: c,
                            variable: name.clone(),
                            p_value: t.p_value,
                            effect: (t.probability_of_superiority - 0.5).abs(),
                            description: format!(
                                "median {:.4} vs {:.4}, P(higher) = {:.2}",
                                median(&mut inside),
                                median(&mut outside),
                                t.probability_of_superiority
                            ),
                        }
                    })
                }
                Variable::Categorical { name, values } => {
                    let values = values.values();
                    let two: Vec<Option<usize>> = labels
                        .iter()
                        .map(|l| l.map(|l| usize::from(l != c)))
                        .collect();
                    let (table, categories) = category_table(values, &two, 2);
                    let (trim, rows) = trimmed(&table, 2);
                    stats::chi2_contingency(&trim, rows, true)
                        .ok()
                        .filter(|_| rows == 2 && trim.len() >= 4)
                        .map(|t| {
                            let m = categories.len();
                            let n_in: f64 = table[..m].iter().sum();
                            let n_out: f64 = table[m..].iter().sum();
                            let (j, gap) = (0..m)
                                .map(|j| (j, table[j] / n_in - table[m + j] / n_out))
                                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                                .unwrap_or((0, 0.0));
                            VersusRest {
                                segment: c,
                                variable: name.clone(),
                                p_value: t.p_value,
                                effect: gap.abs(),
                                description: format!(
                                    "{} {:.1}% vs {:.1}% elsewhere",
                                    categories.get(j).map_or("", String::as_str),
                                    100.0 * table[j] / n_in,
                                    100.0 * table[m + j] / n_out
                                ),
                            }
                        })
                }
            };
            if let Some(comparison) = comparison {
                out.push(comparison);
            }
        }
    }
    out
}

/// A comparison of two segments on an outcome.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PairwiseComparison {
    /// First segment's name.
    pub a: String,
    /// Second segment's name.
    pub b: String,
    /// `"welch_t"` (numeric outcome) or `"two_proportion_z"` (yes/no outcome).
    pub test: String,
    /// The statistic (t or z; positive when `a` is higher).
    pub statistic: f64,
    /// The p-value.
    pub p_value: f64,
    /// Holm-adjusted over all pairs.
    pub p_adjusted: f64,
    /// Difference `a - b` of means (numeric) or proportions (yes/no).
    pub difference: f64,
    /// Cohen's d (numeric outcome only).
    pub cohens_d: Option<f64>,
}

/// The outcome compared between segments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome<'a> {
    /// A number per customer (LTV, tenure, NRR): Welch's t test and Cohen's d.
    Numeric(&'a PerCustomer<f64>),
    /// Yes/no per customer (churned, converted): two-proportion z test.
    Binary(&'a PerCustomer<bool>),
}

/// Every pair of segments compared on `outcome` ("does segment A churn significantly
/// differently from segment B?"), with Holm-adjusted p-values over the pairs.
///
/// Pairs where the test is undefined (a segment with fewer than two values, both constant and
/// equal, pooled proportion 0 or 1) are left out.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the outcome belongs to another customer set than the
/// segmentation.
pub fn pairwise_comparisons(
    segmentation: &Segmentation,
    outcome: Outcome<'_>,
) -> Result<Vec<PairwiseComparison>> {
    match outcome {
        Outcome::Numeric(v) => segmentation.ensure_same(v, "outcome values")?,
        Outcome::Binary(v) => segmentation.ensure_same(v, "outcome values")?,
    }
    let labels = segmentation.labels();
    let k = segmentation.segment_count();
    let names: Vec<&str> = segmentation.segments().iter().map(|s| s.name()).collect();
    let mut out = Vec::new();
    match outcome {
        Outcome::Numeric(values) => {
            let groups = numeric_groups(values.values(), labels, k);
            for a in 0..k {
                for b in a + 1..k {
                    if let Ok(t) =
                        stats::ttest_ind(&groups[a], &groups[b], false, Alternative::TwoSided)
                    {
                        out.push(PairwiseComparison {
                            a: names[a].to_owned(),
                            b: names[b].to_owned(),
                            test: "welch_t".to_owned(),
                            statistic: t.statistic,
                            p_value: t.p_value,
                            p_adjusted: t.p_value,
                            difference: t.mean_difference,
                            cohens_d: Some(t.cohens_d),
                        });
                    }
                }
            }
        }
        Outcome::Binary(values) => {
            let mut yes = vec![0u64; k];
            let mut all = vec![0u64; k];
            for (v, l) in values.values().iter().zip(labels) {
                if let (Some(v), Some(l)) = (v, l) {
                    all[*l] += 1;
                    yes[*l] += u64::from(*v);
                }
            }
            for a in 0..k {
                for b in a + 1..k {
                    if let Ok(t) = stats::proportions_ztest(
                        [yes[a], yes[b]],
                        [all[a], all[b]],
                        Alternative::TwoSided,
                    ) {
                        out.push(PairwiseComparison {
                            a: names[a].to_owned(),
                            b: names[b].to_owned(),
                            test: "two_proportion_z".to_owned(),
                            statistic: t.statistic,
                            p_value: t.p_value,
                            p_adjusted: t.p_value,
                            difference: t.difference,
                            cohens_d: None,
                        });
                    }
                }
            }
        }
    }
    if !out.is_empty() {
        let p: Vec<f64> = out.iter().map(|c| c.p_value).collect();
        for (c, adjusted) in out.iter_mut().zip(stats::holm(&p)?) {
            c.p_adjusted = adjusted;
        }
    }
    Ok(out)
}
