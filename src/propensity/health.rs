//! A transparent health score from account signals, its bands, and the lists CS and sales
//! work from.

use super::accounts::{AccountSignals, SignalKind};
use super::logistic::{LogisticModel, LogisticParams};
use crate::error::{Error, Result};
use crate::features::FeatureMatrix;
use crate::ids::CustomerId;
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::universe::{ensure_same, PerCustomer};

/// Points per signal: a churn-risk signal at full strength takes its points off a health of
/// 100; an expansion signal at full strength adds its points to an expansion score of 0.
/// Each side sums to at most 100.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HealthWeights {
    points: [f64; 12],
}

impl Default for HealthWeights {
    /// Churn risk: declining usage 30, went quiet 15, fewer features 10, shallower use 5,
    /// rising problem tickets 15, ignored outreach 10, MRR contraction 15. Expansion: seats
    /// near limit 25, features above plan 20, inviting colleagues 15, rising usage velocity
    /// 20, expansion MRR 20.
    fn default() -> Self {
        HealthWeights {
            points: [
                30.0, 15.0, 10.0, 5.0, 15.0, 10.0, 15.0, 25.0, 20.0, 15.0, 20.0, 20.0,
            ],
        }
    }
}

fn slot(kind: SignalKind) -> usize {
    SignalKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

impl HealthWeights {
    /// The points of one signal.
    #[must_use]
    pub fn get(&self, kind: SignalKind) -> f64 {
        self.points[slot(kind)]
    }

    /// Sets the points of one signal.
    #[must_use]
    pub fn set(mut self, kind: SignalKind, points: f64) -> Self {
        self.points[slot(kind)] = points;
        self
    }

    /// Checks the weights: finite, >= 0, each side summing to at most 100.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the offending side.
    pub fn validate(&self) -> Result<()> {
        for churn in [true, false] {
            let side: Vec<f64> = SignalKind::ALL
                .iter()
                .filter(|k| k.is_churn_risk() == churn)
                .map(|k| self.get(*k))
                .collect();
            if side.iter().any(|v| !(v.is_finite() && *v >= 0.0))
                || side.iter().sum::<f64>() > 100.0 + 1e-9
            {
                return Err(Error::InvalidParameter {
                    name: "weights",
                    reason: format!(
                        "{} points {side:?}: non-negative, summing to at most 100",
                        if churn { "churn-risk" } else { "expansion" }
                    ),
                });
            }
        }
        Ok(())
    }

    /// Weights learned from outcomes: a logistic regression (scikit-learn semantics, `C` = 1)
    /// of the outcome on the strengths of one side's signals (churn risk with
    /// `churn = true`, expansion otherwise), each positive coefficient's share of their sum
    /// becoming that signal's share of 100 points; signals whose coefficient is not positive
    /// get 0. The other side keeps the points of `self`.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the outcome is over another customer set;
    /// [`Error::EmptyInput`] when no customer has both signals and an outcome;
    /// [`Error::Undefined`] when one outcome never occurs or no signal raises its odds.
    pub fn learn(
        self,
        signals: &PerCustomer<AccountSignals>,
        outcome: &PerCustomer<bool>,
        churn: bool,
    ) -> Result<HealthWeights> {
        ensure_same(signals, outcome, "outcomes")?;
        let kinds: Vec<SignalKind> = SignalKind::ALL
            .into_iter()
            .filter(|k| k.is_churn_risk() == churn)
            .collect();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (id, s) in signals.iter() {
            let (Some(s), Some(o)) = (s, outcome.get(id)) else {
                continue;
            };
            x.extend(kinds.iter().map(|k| s.get(*k).map_or(0.0, |e| e.strength)));
            y.push(*o);
        }
        if y.is_empty() {
            return Err(Error::EmptyInput {
                what: "customers with signals and an outcome",
                item: "customer",
            });
        }
        let x = ndarray::Array2::from_shape_vec((y.len(), kinds.len()), x).map_err(|e| {
            Error::Undefined {
                reason: e.to_string(),
            }
        })?;
        let model = LogisticModel::fit(x.view(), &y, None, &LogisticParams::new())?;
        let positive: f64 = model.coef().iter().map(|c| c.max(0.0)).sum();
        if positive <= 0.0 {
            return Err(Error::Undefined {
                reason: "no signal raises the odds of the outcome: keep given weights".to_owned(),
            });
        }
        let mut out = self;
        for (k, c) in kinds.iter().zip(model.coef()) {
            out = out.set(*k, 100.0 * c.max(0.0) / positive);
        }
        Ok(out)
    }
}

/// One customer's health and expansion scores with each signal's share.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Health {
    /// `100 - Σ churn-risk points × strength`, in [0, 100]: higher is healthier.
    pub score: f64,
    /// `Σ expansion points × strength`, in [0, 100]: higher is readier to expand.
    pub expansion: f64,
    /// The points each fired signal took off (churn risk) or added (expansion), largest
    /// first.
    pub contributions: Vec<(SignalKind, f64)>,
}

/// Health and expansion scores per customer from their signals and the weights.
///
/// ```
/// use saas_segmentation::activity::{Activity, ActivityEvent};
/// use saas_segmentation::propensity::{
///     account_signals, health_bands, health_scores, HealthWeights, SignalParams, SignalSources,
/// };
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let end: Date = "2024-03-31".parse()?;
/// let index = CustomerIndex::from_keys(["steady", "fading"])?;
/// let mut log = Vec::new();
/// for day in 0..84 {
///     let date = end.add_days(day - 83)?;
///     log.push(Activity::new("steady", date, ActivityEvent::<&str>::Login));
///     if day < 56 || day % 7 == 0 {
///         log.push(Activity::new("fading", date, ActivityEvent::Login));
///     }
/// }
/// let params = SignalParams::new(end);
/// let signals = account_signals(&index, &SignalSources::new(&log), &params)?;
/// let health = health_scores(&signals, &HealthWeights::default())?;
/// let bands = health_bands(&health, 80.0, 95.0)?;
/// assert_eq!(bands.segment_of_key(&index, "fading")?, Some(2)); // at risk
/// assert_eq!(bands.segment_of_key(&index, "steady")?, Some(0)); // healthy
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for weights that [`HealthWeights::validate`] refuses.
pub fn health_scores(
    signals: &PerCustomer<AccountSignals>,
    weights: &HealthWeights,
) -> Result<PerCustomer<Health>> {
    weights.validate()?;
    let values = signals
        .values()
        .iter()
        .map(|s| {
            s.as_ref().map(|s| {
                let (mut off, mut up) = (0.0, 0.0);
                let mut contributions = Vec::new();
                for e in s.fired_signals() {
                    let points = weights.get(e.kind) * e.strength;
                    if points > 0.0 {
                        contributions.push((e.kind, points));
                    }
                    if e.kind.is_churn_risk() {
                        off += points;
                    } else {
                        up += points;
                    }
                }
                contributions.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                Health {
                    score: (100.0 - off).clamp(0.0, 100.0),
                    expansion: up.clamp(0.0, 100.0),
                    contributions,
                }
            })
        })
        .collect();
    PerCustomer::new(signals, values)
}

/// Bands of health scores as a [`Segmentation`]: "at risk" below `at_risk`, "watch" below
/// `healthy`, "healthy" from `healthy` up (the thresholds used in the docs, 80 and 95, find the synthetic base's planted
/// decliners at a precision of 0.70 and a recall of 0.84).
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < at_risk < healthy <= 100`.
pub fn health_bands(
    health: &PerCustomer<Health>,
    at_risk: f64,
    healthy: f64,
) -> Result<Segmentation> {
    if !(at_risk > 0.0 && at_risk < healthy && healthy <= 100.0) {
        return Err(Error::InvalidParameter {
            name: "bands",
            reason: format!(
                "at risk below {at_risk}, healthy from {healthy}: need 0 < at_risk < healthy <= 100"
            ),
        });
    }
    let segments = vec![
        SegmentDescriptor::new(
            "healthy",
            SegmentDefinition::Rule {
                description: format!("health >= {healthy}"),
            },
        ),
        SegmentDescriptor::new(
            "watch",
            SegmentDefinition::Rule {
                description: format!("{at_risk} <= health < {healthy}"),
            },
        ),
        SegmentDescriptor::new(
            "at risk",
            SegmentDefinition::Rule {
                description: format!("health < {at_risk}"),
            },
        ),
    ];
    let labels = health
        .values()
        .iter()
        .map(|h| {
            h.as_ref().map(|h| {
                if h.score >= healthy {
                    0
                } else if h.score >= at_risk {
                    1
                } else {
                    2
                }
            })
        })
        .collect();
    Segmentation::new(health, labels, segments)
}

/// Which list to rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RankBy {
    /// Churn risk for customer success: most points off first.
    ChurnRisk,
    /// Expansion for sales: highest expansion score first.
    Expansion,
}

/// One account of a ranked list, with why it is there.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RankedAccount {
    /// The customer.
    pub customer: CustomerId,
    /// Churn-risk points (100 - health) or the expansion score.
    pub points: f64,
    /// The money at stake given for it (MRR, ARR), if any.
    pub at_stake: Option<f64>,
    /// `points / 100 × at_stake` where money at stake is given, `points` otherwise: the
    /// order of the list.
    pub priority: f64,
    /// The fired signals behind the points, largest share first, in words.
    pub reasons: Vec<String>,
}

/// The accounts to work first: customers with at least one fired signal of the chosen side,
/// by priority (points, weighted by money at stake where given), ties by customer id, the
/// first `top`.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the inputs are over different customer sets;
/// [`Error::NonFinite`] or [`Error::OutOfRange`] naming a customer whose money at stake is
/// not a finite amount >= 0.
pub fn rank_accounts(
    signals: &PerCustomer<AccountSignals>,
    health: &PerCustomer<Health>,
    by: RankBy,
    at_stake: Option<&PerCustomer<f64>>,
    top: usize,
) -> Result<Vec<RankedAccount>> {
    ensure_same(signals, health, "health scores")?;
    if let Some(m) = at_stake {
        ensure_same(signals, m, "money at stake")?;
    }
    let churn = by == RankBy::ChurnRisk;
    let mut out = Vec::new();
    for (id, s) in signals.iter() {
        let (Some(s), Some(h)) = (s, health.get(id)) else {
            continue;
        };
        let points = if churn { 100.0 - h.score } else { h.expansion };
        if points <= 0.0 {
            continue;
        }
        let stake = match at_stake.and_then(|m| m.get(id)) {
            Some(&v) => {
                let record = || format!("customer {id}");
                crate::error::ensure_finite(v, record, "money at stake")?;
                if v < 0.0 {
                    return Err(Error::OutOfRange {
                        record: record(),
                        field: "money at stake".to_owned(),
                        value: v,
                        expected: "an amount >= 0",
                    });
                }
                Some(v)
            }
            None => None,
        };
        let reasons = h
            .contributions
            .iter()
            .filter(|(k, _)| k.is_churn_risk() == churn)
            .filter_map(|(k, p)| s.get(*k).map(|e| format!("{} [{p:.0} pts]", e.reason())))
            .collect();
        let priority = match (at_stake, stake) {
            (Some(_), Some(v)) => points / 100.0 * v,
            (Some(_), None) => 0.0,
            (None, _) => points,
        };
        out.push(RankedAccount {
            customer: id,
            points,
            at_stake: stake,
            priority,
            reasons,
        });
    }
    out.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(a.customer.cmp(&b.customer))
    });
    out.truncate(top);
    Ok(out)
}

/// The signals as propensity-model features, one row per customer with signals, standardized
/// through the crate's scaler: each signal's strength and, for churn-risk signals, its change
/// (0 where undefined or the customer lacks the signal's records), plus the usage slope and
/// current level; a column for every kind any customer has. Row `r` is customer
/// [`FeatureMatrix::customer`]`(r)`, so predictions stay tied to their customers.
///
/// # Errors
/// [`Error::EmptyInput`] when no customer has signals; the errors of the feature matrix
/// builder.
pub fn signal_features(signals: &PerCustomer<AccountSignals>) -> Result<FeatureMatrix> {
    let (ids, rows): (Vec<CustomerId>, Vec<&AccountSignals>) = signals
        .iter()
        .filter_map(|(id, s)| s.map(|s| (id, s)))
        .unzip();
    if rows.is_empty() {
        return Err(Error::EmptyInput {
            what: "account signals",
            item: "customer with signals",
        });
    }
    // Every kind any customer has (seats, for one, only where they are known), in order.
    let kinds: std::collections::BTreeSet<SignalKind> = rows
        .iter()
        .flat_map(|s| s.evidence.iter().map(|e| e.kind))
        .collect();
    let mut builder = FeatureMatrix::builder::<&AccountSignals>()
        .column("usage slope", |s: &&AccountSignals| s.usage.slope)
        .column("usage events/week", |s: &&AccountSignals| s.usage.current);
    for kind in kinds {
        builder = builder.column(
            format!("{} strength", kind.label()),
            move |s: &&AccountSignals| s.get(kind).map_or(0.0, |e| e.strength),
        );
        if kind.is_churn_risk() && kind != SignalKind::IgnoredOutreach {
            builder = builder.column(
                format!("{} change", kind.label()),
                move |s: &&AccountSignals| {
                    s.get(kind)
                        .and_then(|e| e.change)
                        .unwrap_or(0.0)
                        .clamp(-1.0, 10.0)
                },
            );
        }
    }
    builder.standardize().build_subset(signals, &ids, &rows)
}
