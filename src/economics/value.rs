//! LTV, CAC, payback, proportions with Wilson intervals, value quantiles and revenue
//! concentration.

use crate::error::{ensure_finite, Error, Result};
use crate::ids::{CustomerId, CustomerIndex};
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::stats::distributions::normal_isf;
use crate::universe::PerCustomer;
use crate::validate::Variable;

fn check_margin(gross_margin: f64) -> Result<()> {
    if gross_margin > 0.0 && gross_margin <= 1.0 {
        Ok(())
    } else {
        Err(Error::OutOfRange {
            record: "LTV".into(),
            field: "gross_margin".into(),
            value: gross_margin,
            expected: "a share in (0, 1], e.g. 0.8 for 80% gross margin",
        })
    }
}

/// Lifetime value from ARPA, gross margin and a monthly churn rate.
///
/// ```text
/// LTV = ARPA * gross_margin / churn_rate
/// ```
///
/// # Errors
/// [`Error::OutOfRange`] for a gross margin outside (0, 1], a negative or non-finite ARPA, or a
/// churn rate outside [0, 1]; [`Error::Undefined`] for a churn rate of 0 (the lifetime would be
/// infinite: use an observed LTV or a floor on churn instead).
///
/// Reference: ChartMogul's LTV (ARPA / customer churn rate), margin-adjusted.
pub fn ltv(arpa: f64, gross_margin: f64, churn_rate: f64) -> Result<f64> {
    check_margin(gross_margin)?;
    ensure_finite(arpa, || "LTV".into(), "arpa")?;
    if arpa < 0.0 {
        return Err(Error::OutOfRange {
            record: "LTV".into(),
            field: "arpa".into(),
            value: arpa,
            expected: "an ARPA of 0 or more",
        });
    }
    if !(0.0..=1.0).contains(&churn_rate) {
        return Err(Error::OutOfRange {
            record: "LTV".into(),
            field: "churn_rate".into(),
            value: churn_rate,
            expected: "a monthly churn rate in [0, 1]",
        });
    }
    if churn_rate == 0.0 {
        return Err(Error::Undefined {
            reason: "churn rate is 0, so ARPA / churn is infinite: use the observed LTV, or a \
                     longer window that saw churn"
                .into(),
        });
    }
    crate::error::finite_result(arpa * gross_margin / churn_rate, "LTV")
}

/// Customer acquisition cost: spend / new customers.
///
/// # Errors
/// [`Error::OutOfRange`] for a negative or non-finite spend; [`Error::Undefined`] for zero new
/// customers.
pub fn cac(spend: f64, new_customers: u64) -> Result<f64> {
    ensure_finite(spend, || "CAC".into(), "spend")?;
    if spend < 0.0 {
        return Err(Error::OutOfRange {
            record: "CAC".into(),
            field: "spend".into(),
            value: spend,
            expected: "a spend of 0 or more",
        });
    }
    if new_customers == 0 {
        return Err(Error::Undefined {
            reason: "no new customers in the period: CAC is spend / new customers".into(),
        });
    }
    Ok(spend / new_customers as f64)
}

/// Months to recover CAC from the gross profit of one new customer.
///
/// ```text
/// payback = CAC / (new ARPA * gross_margin)
/// ```
///
/// # Errors
/// [`Error::OutOfRange`] for a gross margin outside (0, 1] or a negative CAC;
/// [`Error::Undefined`] for an ARPA of 0 or less.
pub fn cac_payback_months(cac: f64, new_arpa: f64, gross_margin: f64) -> Result<f64> {
    check_margin(gross_margin)?;
    ensure_finite(cac, || "CAC payback".into(), "cac")?;
    ensure_finite(new_arpa, || "CAC payback".into(), "new_arpa")?;
    if cac < 0.0 {
        return Err(Error::OutOfRange {
            record: "CAC payback".into(),
            field: "cac".into(),
            value: cac,
            expected: "a CAC of 0 or more",
        });
    }
    if new_arpa <= 0.0 {
        return Err(Error::Undefined {
            reason: "new customers bring no revenue, so CAC is never paid back".into(),
        });
    }
    crate::error::finite_result(cac / (new_arpa * gross_margin), "CAC payback")
}

/// A proportion with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Proportion {
    /// Successes.
    pub successes: u64,
    /// Trials.
    pub trials: u64,
    /// successes / trials.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// The proportion `successes / trials` with its Wilson score interval at `alpha`.
///
/// ```text
/// center = (p + z^2 / 2n) / (1 + z^2 / n)
/// half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)
/// ```
///
/// # Errors
/// [`Error::Undefined`] for 0 trials; [`Error::OutOfRange`] for more successes than trials;
/// [`Error::InvalidParameter`] for `alpha` outside (0, 1).
///
/// Reference: matches `statsmodels.stats.proportion.proportion_confint(method="wilson")`.
pub fn wilson(successes: u64, trials: u64, alpha: f64) -> Result<Proportion> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::InvalidParameter {
            name: "alpha",
            reason: format!("{alpha} is not in (0, 1): use 0.05 for 95% intervals"),
        });
    }
    if trials == 0 {
        return Err(Error::Undefined {
            reason: "a proportion of 0 trials".into(),
        });
    }
    if successes > trials {
        return Err(Error::OutOfRange {
            record: "proportion".into(),
            field: "successes".into(),
            value: successes as f64,
            expected: "no more successes than trials",
        });
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z = normal_isf(alpha / 2.0);
    let z2 = z * z;
    if !z2.is_finite() {
        return Err(Error::InvalidParameter {
            name: "alpha",
            reason: format!(
                "{alpha} is too small for a finite interval: use 0.05 for 95% intervals"
            ),
        });
    }
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Ok(Proportion {
        successes,
        trials,
        estimate: p,
        // At 0 or n successes the bound is exactly 0 or 1; the formula rounds near it.
        lower: if successes == 0 { 0.0 } else { center - half },
        upper: if successes == trials {
            1.0
        } else {
            center + half
        },
    })
}

fn check_values(values: &[f64], what: &'static str) -> Result<()> {
    if values.is_empty() {
        return Err(Error::EmptyInput {
            what,
            item: "customer value",
        });
    }
    for (i, &v) in values.iter().enumerate() {
        ensure_finite(v, || format!("customer {i}"), what)?;
        if v < 0.0 {
            return Err(Error::OutOfRange {
                record: format!("customer {i}"),
                field: what.into(),
                value: v,
                expected: "a value of 0 or more (net refunds into revenue first)",
            });
        }
    }
    Ok(())
}

/// Groups of customers by value quantile (LTV quintiles by default).
///
/// Loading through `Deserialize` checks one group per segment, sizes that match the segment
/// members, finite values with `min <= max`, and shares in [0, 1].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ValueQuantiles {
    segmentation: Segmentation,
    groups: Vec<ValueGroup>,
}

checked_serde!(ValueQuantiles, ValueQuantiles::check);

impl ValueQuantiles {
    /// The invariants of loaded groups.
    fn check(&self) -> Result<()> {
        let sizes = self.segmentation.sizes();
        if sizes.len() != self.groups.len() {
            return Err(Error::LengthMismatch {
                what: "value groups (one per segment)",
                expected: sizes.len(),
                found: self.groups.len(),
            });
        }
        for (g, &size) in self.groups.iter().zip(&sizes) {
            let finite = [g.value, g.value_share, g.min, g.max]
                .iter()
                .all(|v| v.is_finite());
            if g.customers != size as u64
                || !finite
                || g.min > g.max
                || !(0.0..=1.0).contains(&g.value_share)
            {
                return Err(Error::InvalidParameter {
                    name: "value groups",
                    reason: format!(
                        "group {:?} ({} customers, value {}, share {}, range {} to {}) does not \
                         match its segment of {size} customers",
                        g.name, g.customers, g.value, g.value_share, g.min, g.max
                    ),
                });
            }
        }
        Ok(())
    }
}

/// One value group.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ValueGroup {
    /// Its name: `top 20%` ... `bottom 20%`.
    pub name: String,
    /// Customers.
    pub customers: u64,
    /// Sum of their value.
    pub value: f64,
    /// Share of all value.
    pub value_share: f64,
    /// Smallest value in the group.
    pub min: f64,
    /// Largest value in the group.
    pub max: f64,
}

impl ValueQuantiles {
    /// Splits the customers with a value into `groups` equal-count groups by `values`, the
    /// highest first. Equal values are ordered by external key (pandas
    /// `qcut(rank(method="first"), q)` over customers sorted by key: DESIGN.md section 2), so
    /// group sizes differ by at most one and the result does not depend on the index's id
    /// order. Customers without a value are in no group.
    ///
    /// ```
    /// use saas_segmentation::economics::ValueQuantiles;
    /// use saas_segmentation::{CustomerIndex, PerCustomer};
    ///
    /// let index = CustomerIndex::from_keys(["d", "c", "b", "a"])?;
    /// let ltv = PerCustomer::from_keyed(&index, [("a", 5.0), ("b", 5.0), ("c", 1.0), ("d", 9.0)])?;
    /// let halves = ValueQuantiles::new(&index, &ltv, 2)?;
    /// // "a" and "b" tie; "b" ranks above "a" (the later key in key order ranks higher).
    /// assert_eq!(halves.segmentation().segment_of_key(&index, "b")?, Some(0));
    /// assert_eq!(halves.segmentation().segment_of_key(&index, "a")?, Some(1));
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when `values` is not over `index`;
    /// [`Error::InvalidParameter`] for fewer than 2 groups or more groups than customers with a
    /// value; [`Error::EmptyInput`], [`Error::NonFinite`], [`Error::OutOfRange`] for negative
    /// values.
    ///
    /// Reference: the groups match pandas `qcut(values.rank(method="first"), q, labels=False)`
    /// over the customers sorted by key (group 0 here is pandas' highest label).
    pub fn new<K: Ord>(
        index: &CustomerIndex<K>,
        values: &PerCustomer<f64>,
        groups: usize,
    ) -> Result<ValueQuantiles> {
        crate::universe::ensure_same(index, values, "values")?;
        // Customers with a value, in key order: the tie-break order.
        let keyed: Vec<CustomerId> = index
            .ids_in_key_order()
            .into_iter()
            .filter(|id| values.get(*id).is_some())
            .collect();
        let present: Vec<f64> = keyed
            .iter()
            .filter_map(|id| values.get(*id).copied())
            .collect();
        for (id, &v) in keyed.iter().zip(&present) {
            ensure_finite(v, || format!("customer {id}"), "value")?;
            if v < 0.0 {
                return Err(Error::OutOfRange {
                    record: format!("customer {id}"),
                    field: "value".into(),
                    value: v,
                    expected: "a value of 0 or more (net refunds into revenue first)",
                });
            }
        }
        check_values(&present, "value")?;
        if groups < 2 || groups > present.len() {
            return Err(Error::InvalidParameter {
                name: "groups",
                reason: format!(
                    "{groups} groups for {} customers with a value: use 2 or more, at most one per customer",
                    present.len()
                ),
            });
        }
        let n = present.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| present[a].total_cmp(&present[b]).then(a.cmp(&b)));
        let mut labels = vec![None; index.len()];
        // pandas qcut on ranks 1..n: the edges are the q-quantiles of the ranks (linear
        // interpolation), bins right-closed, the first including its left edge. The edges rise
        // with b, so a rank's bin is the number of edges below it: a binary search, O(n log q)
        // rather than O(n q) (quadratic with one group per customer).
        let edges: Vec<f64> = (1..groups)
            .map(|b| 1.0 + (n as f64 - 1.0) * b as f64 / groups as f64)
            .collect();
        for (rank0, &i) in order.iter().enumerate() {
            let rank = (rank0 + 1) as f64;
            let bin = edges.partition_point(|&edge| rank > edge);
            labels[keyed[i].index()] = Some(groups - 1 - bin);
        }
        let total: f64 = present.iter().sum();
        let share = 100.0 / groups as f64;
        let name = |g: usize| -> String {
            let pct = format!("{}%", (share * 100.0).round() / 100.0);
            if g == 0 {
                format!("top {pct}")
            } else if g == groups - 1 {
                format!("bottom {pct}")
            } else {
                format!("group {} of {groups} ({pct})", g + 1)
            }
        };
        let mut out: Vec<ValueGroup> = (0..groups)
            .map(|g| ValueGroup {
                name: name(g),
                customers: 0,
                value: 0.0,
                value_share: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
            })
            .collect();
        for (id, label) in labels.iter().enumerate() {
            let (Some(label), Some(&v)) = (label, values.get(CustomerId(id as u32))) else {
                continue;
            };
            let g = &mut out[*label];
            g.customers += 1;
            g.value += v;
            g.min = g.min.min(v);
            g.max = g.max.max(v);
        }
        for g in &mut out {
            g.value_share = if total > 0.0 { g.value / total } else { 0.0 };
        }
        let descriptors = out
            .iter()
            .map(|g| {
                SegmentDescriptor::new(
                    g.name.clone(),
                    SegmentDefinition::Rule {
                        description: format!("value in [{}, {}]", g.min, g.max),
                    },
                )
            })
            .collect();
        Ok(ValueQuantiles {
            segmentation: Segmentation::new(index, labels, descriptors)?,
            groups: out,
        })
    }

    /// The groups, highest value first.
    #[must_use]
    pub fn groups(&self) -> &[ValueGroup] {
        &self.groups
    }

    /// The groups as a [`Segmentation`] (segment 0 = top).
    #[must_use]
    pub fn segmentation(&self) -> &Segmentation {
        &self.segmentation
    }

    /// Customers in the top group (`Some(true)`) against the rest, for
    /// [`IdealCustomerProfile::fit`](super::IdealCustomerProfile::fit).
    #[must_use]
    pub fn top_flags(&self) -> PerCustomer<bool> {
        self.flags(0)
    }

    /// Customers in the bottom group against the rest, for an anti-ICP.
    #[must_use]
    pub fn bottom_flags(&self) -> PerCustomer<bool> {
        self.flags(self.groups.len().saturating_sub(1))
    }

    fn flags(&self, group: usize) -> PerCustomer<bool> {
        self.segmentation.label_column().map(|&g| g == group)
    }

    /// The characteristics of each group side by side: per variable, for numbers the mean and
    /// median of each group, for categories the most common value and its share in each group
    /// (missing values left out).
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when a variable belongs to another customer set.
    pub fn profile(&self, variables: &[Variable]) -> Result<Vec<GroupProfile>> {
        let labels = self.segmentation.labels();
        let k = self.groups.len();
        let mut out = Vec::with_capacity(variables.len());
        for variable in variables {
            self.segmentation.ensure_same(
                &variable.universe(),
                &format!("profile variable `{}`", variable.name()),
            )?;
            match variable {
                Variable::Numeric { name, values } => {
                    let values = values.values();
                    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); k];
                    for (l, v) in labels.iter().zip(values) {
                        if let (Some(g), Some(v)) = (l, v) {
                            if v.is_finite() {
                                groups[*g].push(*v);
                            }
                        }
                    }
                    let summaries = groups
                        .into_iter()
                        .map(|mut g| {
                            if g.is_empty() {
                                return GroupSummary::Numeric {
                                    mean: None,
                                    median: None,
                                };
                            }
                            g.sort_by(f64::total_cmp);
                            let m = g.len() / 2;
                            let median = if g.len() % 2 == 1 {
                                g[m]
                            } else {
                                (g[m - 1] + g[m]) / 2.0
                            };
                            GroupSummary::Numeric {
                                mean: Some(g.iter().sum::<f64>() / g.len() as f64),
                                median: Some(median),
                            }
                        })
                        .collect();
                    out.push(GroupProfile {
                        variable: name.clone(),
                        groups: summaries,
                    });
                }
                Variable::Categorical { name, values } => {
                    let values = values.values();
                    let mut counts: Vec<std::collections::BTreeMap<&str, u64>> =
                        vec![std::collections::BTreeMap::new(); k];
                    for (l, v) in labels.iter().zip(values) {
                        if let (Some(g), Some(v)) = (l, v) {
                            *counts[*g].entry(v.as_str()).or_insert(0) += 1;
                        }
                    }
                    let summaries = counts
                        .into_iter()
                        .map(|c| {
                            let total: u64 = c.values().sum();
                            // Most common value; ties to the first in order.
                            let top =
                                c.iter()
                                    .fold(None::<(&str, u64)>, |best, (&v, &n)| match best {
                                        Some((_, b)) if b >= n => best,
                                        _ => Some((v, n)),
                                    });
                            GroupSummary::Categorical {
                                most_common: top.map(|(v, _)| v.to_owned()),
                                share: top.map(|(_, n)| n as f64 / total as f64),
                            }
                        })
                        .collect();
                    out.push(GroupProfile {
                        variable: name.clone(),
                        groups: summaries,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// One variable summarised per value group.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupProfile {
    /// The variable.
    pub variable: String,
    /// Its summary per group, top first.
    pub groups: Vec<GroupSummary>,
}

/// A variable's summary in one group.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum GroupSummary {
    /// A number: mean and median (`None` without values).
    Numeric {
        /// Mean.
        mean: Option<f64>,
        /// Median.
        median: Option<f64>,
    },
    /// A category: the most common value and its share.
    Categorical {
        /// Most common value.
        most_common: Option<String>,
        /// Its share of the group's known values.
        share: Option<f64>,
    },
}

/// Observed lifetime value per customer: the sum of its monthly MRR up to the analysis month
/// times the gross margin, for every customer of `lookup` (0 for customers without records). It needs no churn
/// estimate, so it exists where ARPA / churn does not, and it feeds [`ValueQuantiles`].
///
/// # Errors
/// The errors of [`MrrMovements::compute`](super::MrrMovements::compute), and
/// [`Error::OutOfRange`] for a gross margin outside (0, 1].
pub fn observed_ltv<K: std::fmt::Debug>(
    lookup: &impl crate::ids::CustomerLookup<K>,
    records: &[crate::records::MrrRecord<K>],
    params: &super::MrrParams,
    gross_margin: f64,
) -> Result<PerCustomer<f64>> {
    check_margin(gross_margin)?;
    let series = params.series(lookup, records)?;
    PerCustomer::complete(
        lookup,
        (0..series.customers())
            .map(|c| series.of(c).map(|(_, v)| v).sum::<f64>() * gross_margin)
            .collect(),
    )
}

/// How concentrated value is across customers.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Concentration {
    sorted_descending: Vec<f64>,
    total: f64,
    gini: f64,
}

checked_serde!(Concentration, Concentration::check);

impl Concentration {
    /// The invariants of a loaded value: values sorted descending, finite and non-negative,
    /// summing to the total, with a Gini in [0, 1].
    fn check(&self) -> Result<()> {
        let bad = |reason: String| Error::InvalidParameter {
            name: "Concentration",
            reason,
        };
        let values = &self.sorted_descending;
        if values.is_empty() || values.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(bad("needs at least one finite value of 0 or more".into()));
        }
        if values.windows(2).any(|w| w[0] < w[1]) {
            return Err(bad("the values are not sorted largest first".into()));
        }
        let sum: f64 = values.iter().sum();
        if !(self.total > 0.0 && self.total.is_finite())
            || (sum - self.total).abs() > 1e-9 * self.total.max(sum)
            || !(0.0..=1.0).contains(&self.gini)
        {
            return Err(bad(format!(
                "total {} (values sum to {sum}) and Gini {} do not fit the values",
                self.total, self.gini
            )));
        }
        Ok(())
    }
}

/// `share` when it is in [0, 1].
fn unit_share(share: f64, field: &str) -> Result<f64> {
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(Error::OutOfRange {
            record: "concentration".into(),
            field: field.into(),
            value: share,
            expected: "a share in [0, 1]",
        })
    }
}

impl Concentration {
    /// Concentration of `values` (revenue or LTV per customer).
    ///
    /// ```text
    /// Gini = sum_i (2i - n - 1) x_(i) / (n sum x)      (x ascending, i = 1..n)
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyInput`], [`Error::NonFinite`], [`Error::OutOfRange`] for a negative value;
    /// [`Error::Undefined`] when all values are 0.
    ///
    /// Reference: the Gini coefficient of the Lorenz curve (numpy reference in the fixtures).
    ///
    /// ```
    /// use saas_segmentation::economics::Concentration;
    ///
    /// let revenue = [900.0, 50.0, 20.0, 20.0, 10.0];
    /// let c = Concentration::new(&revenue)?;
    /// assert_eq!(c.top_share(0.2)?, 0.9); // the top 20% of customers bring 90%
    /// assert!(c.gini() > 0.7);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    pub fn new(values: &[f64]) -> Result<Concentration> {
        check_values(values, "value")?;
        let mut sorted: Vec<f64> = values.to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let n = sorted.len() as f64;
        // Ascending rank i of the k-th largest is n - k.
        let sums = |sorted: &[f64]| -> (f64, f64) {
            let total: f64 = sorted.iter().sum();
            let weighted: f64 = sorted
                .iter()
                .enumerate()
                .map(|(k, &x)| (2.0 * (n - k as f64) - n - 1.0) * x)
                .sum();
            (total, weighted)
        };
        let (mut total, mut weighted) = sums(&sorted);
        // Shares and the Gini do not depend on the unit: values whose sums overflow f64 are
        // kept relative to the largest.
        let largest = sorted.first().copied().unwrap_or(0.0);
        if !(total.is_finite() && weighted.is_finite() && (n * total).is_finite()) && largest > 0.0
        {
            for v in &mut sorted {
                *v /= largest;
            }
            (total, weighted) = sums(&sorted);
        }
        if total <= 0.0 {
            return Err(Error::Undefined {
                reason: "every value is 0: there is nothing to be concentrated".into(),
            });
        }
        Ok(Concentration {
            gini: (weighted / (n * total)).clamp(0.0, 1.0),
            sorted_descending: sorted,
            total,
        })
    }

    /// The Gini coefficient, in [0, 1 - 1/n].
    #[must_use]
    pub fn gini(&self) -> f64 {
        self.gini
    }

    /// The share of value held by the top `share` of customers (0.2: the top 20%, rounded up
    /// to whole customers).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when `share` is not in [0, 1].
    pub fn top_share(&self, share: f64) -> Result<f64> {
        let share = unit_share(share, "share")?;
        let k = (share * self.sorted_descending.len() as f64 - 1e-9)
            .ceil()
            .max(0.0) as usize;
        let held: f64 = self.sorted_descending[..k.min(self.sorted_descending.len())]
            .iter()
            .sum();
        Ok((held / self.total).clamp(0.0, 1.0))
    }

    /// The smallest share of customers that holds at least `value_share` of the value ("half
    /// the customers bring 90%": `customers_for(0.9)` is 0.5).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when `value_share` is not in [0, 1].
    pub fn customers_for(&self, value_share: f64) -> Result<f64> {
        let target = unit_share(value_share, "value_share")? * self.total;
        let mut running = 0.0;
        for (k, &x) in self.sorted_descending.iter().enumerate() {
            running += x;
            if running >= target * (1.0 - 1e-12) {
                return Ok((k + 1) as f64 / self.sorted_descending.len() as f64);
            }
        }
        Ok(1.0)
    }

    /// Lorenz curve points `(share of customers, share of value)`, customers ascending by
    /// value, from (0, 0) to (1, 1), at most `points` + 1 of them.
    #[must_use]
    pub fn lorenz(&self, points: usize) -> Vec<(f64, f64)> {
        let n = self.sorted_descending.len();
        let points = points.clamp(1, n);
        let mut out = vec![(0.0, 0.0)];
        let mut running = 0.0;
        let mut next = 1;
        for (i, &x) in self.sorted_descending.iter().rev().enumerate() {
            running += x;
            if (i + 1) * points >= next * n {
                // The running sum can pass the total by rounding; shares are in [0, 1].
                out.push((
                    (i + 1) as f64 / n as f64,
                    (running / self.total).clamp(0.0, 1.0),
                ));
                next += 1;
            }
        }
        out
    }
}
