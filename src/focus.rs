//! Where to focus: rank verticals (or any key the KPIs were computed by) on LTV, NRR, logo
//! retention, win rate and CAC payback, flag the two or three to focus on with the reason, and
//! mark strategic accounts (references, case studies, partners) as a segment that overrides
//! the rest.
//!
//! ```
//! use saas_segmentation::economics::SegmentKpis;
//! use saas_segmentation::focus::{rank_focus, FocusParams};
//!
//! let row = |name: &str, ltv: f64, churn: f64| SegmentKpis {
//!     segment: name.into(), customers: 80, conversion: None, new_customers: None,
//!     win_rate: None, sales_cycle_days: None, cac: Some(1_000.0), retention: None,
//!     logo_churn: None, monthly_churn: Some(churn), arpa: Some(ltv * churn), ltv: Some(ltv),
//!     ltv_to_cac: Some(ltv / 1_000.0), support_load: None,
//! };
//! let kpis = [row("fintech", 12_000.0, 0.01), row("retail", 3_000.0, 0.04),
//!     row("health", 9_000.0, 0.015), row("media", 2_000.0, 0.05)];
//! let ranking = rank_focus(&kpis, &FocusParams::default())?;
//! assert_eq!(ranking.focus(), vec!["fintech", "health"]);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::economics::SegmentKpis;
use crate::error::{Error, Result};
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::universe::PerCustomer;

/// Settings of the focus ranking.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FocusParams {
    /// How many keys to flag at most. Default: 3.
    pub focus: usize,
    /// Keys with fewer customers are ranked but never flagged (their figures are noise).
    /// Default: 30.
    pub min_customers: u64,
    /// Flag only keys whose mean rank is in the better half. Default: true.
    pub better_half_only: bool,
}

impl Default for FocusParams {
    fn default() -> Self {
        FocusParams {
            focus: 3,
            min_customers: 30,
            better_half_only: true,
        }
    }
}

/// One criterion's value and rank for one key.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CriterionRank {
    /// The criterion ("ltv", "nrr", "logo_retention", "win_rate", "cac_payback_months").
    pub criterion: String,
    /// The value (`None` when it could not be measured for this key).
    pub value: Option<f64>,
    /// An interval of the value where the KPI has one (win rate: Wilson).
    pub interval: Option<(f64, f64)>,
    /// Rank among the keys that have the value, 1 = best (ties share the lower rank).
    pub rank: Option<usize>,
}

/// One key ranked.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FocusRow {
    /// The key (vertical).
    pub key: String,
    /// Customers.
    pub customers: u64,
    /// Every criterion.
    pub criteria: Vec<CriterionRank>,
    /// Mean rank over the measured criteria, lower is better (`None` when none was measured).
    pub mean_rank: Option<f64>,
    /// Whether it is flagged for focus.
    pub focus: bool,
    /// Why, or why not, in words.
    pub reason: String,
}

/// Keys ranked for focus, best first.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FocusRanking {
    /// One row per key, best mean rank first (unmeasured last, then by key).
    pub rows: Vec<FocusRow>,
}

impl FocusRanking {
    /// The flagged keys, best first.
    #[must_use]
    pub fn focus(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|r| r.focus)
            .map(|r| r.key.as_str())
            .collect()
    }
}

/// Ranks the keys of a KPI table (from [`crate::economics::segment_kpis`] over a segmentation
/// by vertical, channel or any key) on five criteria and flags the best few.
///
/// ```text
/// ltv (higher), nrr (higher), logo retention = 1 - monthly churn (higher), win rate (higher),
/// CAC payback months = CAC / ARPA (lower, gross margin left out as it is the same for all)
/// mean rank = mean of the ranks of the measured criteria; flagged: the `focus` best mean ranks
/// among keys with at least `min_customers` customers (in the better half when asked)
/// ```
///
/// # Errors
/// [`Error::EmptyInput`] for an empty table; [`Error::InvalidParameter`] for `focus` 0.
pub fn rank_focus(kpis: &[SegmentKpis], params: &FocusParams) -> Result<FocusRanking> {
    if kpis.is_empty() {
        return Err(Error::EmptyInput {
            what: "KPI table to rank",
            item: "segment",
        });
    }
    if params.focus == 0 {
        return Err(Error::InvalidParameter {
            name: "focus",
            reason: "0 keys to flag: use 2 or 3".to_owned(),
        });
    }
    type Reading = (Option<f64>, Option<(f64, f64)>);
    type Reader = fn(&SegmentKpis) -> Reading;
    let criteria: [(&'static str, bool, Reader); 5] = [
        ("ltv", true, |k| (k.ltv, None)),
        ("nrr", true, |k| {
            (k.retention.as_ref().and_then(|r| r.nrr()), None)
        }),
        ("logo_retention", true, |k| {
            (k.monthly_churn.map(|c| 1.0 - c), None)
        }),
        ("win_rate", true, |k| {
            (
                k.win_rate.map(|p| p.estimate),
                k.win_rate.map(|p| (p.lower, p.upper)),
            )
        }),
        ("cac_payback_months", false, |k| {
            (
                k.cac
                    .zip(k.arpa)
                    .filter(|(_, a)| *a > 0.0)
                    .map(|(c, a)| c / a),
                None,
            )
        }),
    ];
    let mut rows: Vec<FocusRow> = kpis
        .iter()
        .map(|k| FocusRow {
            key: k.segment.clone(),
            customers: k.customers,
            criteria: Vec::with_capacity(criteria.len()),
            mean_rank: None,
            focus: false,
            reason: String::new(),
        })
        .collect();
    for (name, higher, read) in criteria {
        let values: Vec<Reading> = kpis
            .iter()
            .map(|k| {
                let (v, i) = read(k);
                (v.filter(|v| v.is_finite()), i)
            })
            .collect();
        for (row, &(value, interval)) in rows.iter_mut().zip(&values) {
            let rank = value.map(|v| {
                1 + values
                    .iter()
                    .filter_map(|(o, _)| *o)
                    .filter(|&o| if higher { o > v } else { o < v })
                    .count()
            });
            row.criteria.push(CriterionRank {
                criterion: name.to_owned(),
                value,
                interval,
                rank,
            });
        }
    }
    for row in &mut rows {
        let ranks: Vec<f64> = row
            .criteria
            .iter()
            .filter_map(|c| c.rank.map(|r| r as f64))
            .collect();
        row.mean_rank = (!ranks.is_empty()).then(|| ranks.iter().sum::<f64>() / ranks.len() as f64);
    }
    rows.sort_by(|a, b| match (a.mean_rank, b.mean_rank) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.key.cmp(&b.key)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.key.cmp(&b.key),
    });
    let n = rows.len();
    let mut flagged = 0;
    for (position, row) in rows.iter_mut().enumerate() {
        let best: Vec<&str> = row
            .criteria
            .iter()
            .filter(|c| c.rank == Some(1))
            .map(|c| c.criterion.as_str())
            .collect();
        let Some(mean) = row.mean_rank else {
            row.reason = "no criterion could be measured".to_owned();
            continue;
        };
        if row.customers < params.min_customers {
            row.reason = format!(
                "mean rank {mean:.1}, but {} customers are too few to rely on (at least {})",
                row.customers, params.min_customers
            );
        } else if flagged >= params.focus {
            row.reason = format!("mean rank {mean:.1}: below the {} focus keys", params.focus);
        } else if params.better_half_only && position >= n.div_ceil(2) {
            row.reason = format!("mean rank {mean:.1}: not in the better half");
        } else {
            flagged += 1;
            row.focus = true;
            row.reason = if best.is_empty() {
                format!("focus: mean rank {mean:.1} across the measured criteria")
            } else {
                format!("focus: mean rank {mean:.1}, best on {}", best.join(", "))
            };
        }
    }
    Ok(FocusRanking { rows })
}

/// Why an account is strategic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum StrategicReason {
    /// A reference customer.
    Reference,
    /// A case-study candidate.
    CaseStudy,
    /// Partnership potential.
    Partnership,
    /// Another reason, in words.
    Other(String),
}

/// `segmentation` with the accounts marked in `strategic` moved into one new segment,
/// `"strategic accounts"`, that overrides their previous segment; every other customer keeps
/// theirs. The new segment's description lists how many accounts each reason brought.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when `strategic` is over another customer set;
/// [`Error::InvalidParameter`] when no account is marked.
pub fn with_strategic_accounts(
    segmentation: &Segmentation,
    strategic: &PerCustomer<StrategicReason>,
) -> Result<Segmentation> {
    segmentation.ensure_same(strategic, "strategic accounts")?;
    let marked = strategic.values().iter().filter(|v| v.is_some()).count();
    if marked == 0 {
        return Err(Error::InvalidParameter {
            name: "strategic",
            reason: "no account is marked strategic".to_owned(),
        });
    }
    let k = segmentation.segment_count();
    let labels: Vec<Option<usize>> = segmentation
        .labels()
        .iter()
        .zip(strategic.values())
        .map(|(&label, reason)| if reason.is_some() { Some(k) } else { label })
        .collect();
    let count = |wanted: fn(&StrategicReason) -> bool| {
        strategic
            .values()
            .iter()
            .flatten()
            .filter(|r| wanted(r))
            .count()
    };
    let description = format!(
        "{marked} strategic accounts ({} references, {} case studies, {} partners, {} other), \
         overriding their previous segment",
        count(|r| matches!(r, StrategicReason::Reference)),
        count(|r| matches!(r, StrategicReason::CaseStudy)),
        count(|r| matches!(r, StrategicReason::Partnership)),
        count(|r| matches!(r, StrategicReason::Other(_))),
    );
    let mut segments = segmentation.segments().to_vec();
    segments.push(SegmentDescriptor::new(
        "strategic accounts",
        SegmentDefinition::Described { description },
    ));
    Segmentation::new(segmentation, labels, segments)
}
