//! Operating segments: the segmentation's goal as a measurable KPI target with progress per
//! segment, and a playbook (a strategy per segment: goal, actions, channels, success metric,
//! owner team, and the onboarding, communication, customer-success and pricing treatment) with
//! per-tier defaults and a completeness check that feeds the "actionable" verdict.
//!
//! ```
//! use saas_segmentation::playbook::{Direction, Goal, Kpi, Playbook};
//! use saas_segmentation::model::SizeTier;
//! use saas_segmentation::Date;
//!
//! let d = |s: &str| s.parse::<Date>();
//! // "Cut 90-day churn of SMB from 12% to 9% by Q3, measured by cohort retention."
//! let goal = Goal::new("SMB churn", Kpi::MonthlyChurn, 0.12, 0.09, d("2026-01-01")?, d("2026-09-30")?)?
//!     .measured_by("90-day logo churn of monthly signup cohorts")
//!     .segments(["smb"]);
//! assert_eq!(goal.direction(), Direction::Down);
//! let progress = goal.progress("smb", 0.10, d("2026-06-01")?)?;
//! assert!(progress.on_track);
//!
//! let playbook = Playbook::tier_defaults();
//! let smb = playbook.play(&SizeTier::Smb.to_string()).expect("a default play per tier");
//! assert!(smb.channels.iter().any(|c| c == "paid_search"));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::date::Date;
use crate::economics::SegmentKpis;
use crate::error::{Error, Result};
use crate::model::SizeTier;
use crate::segmentation::Segmentation;
use crate::tiers::{CsEngagement, TierEconomics};
use crate::validate::Strategy;

/// A KPI a goal can target, read from the crate's own [`SegmentKpis`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Kpi {
    /// Lead-to-customer conversion (share).
    Conversion,
    /// Opportunity win rate (share).
    WinRate,
    /// Median sales cycle in days.
    SalesCycleDays,
    /// Customer acquisition cost.
    Cac,
    /// Lifetime value.
    Ltv,
    /// LTV / CAC.
    LtvToCac,
    /// Net revenue retention over the KPI window.
    Nrr,
    /// Gross revenue retention over the KPI window.
    Grr,
    /// Monthly logo churn.
    MonthlyChurn,
    /// Support tickets per customer.
    SupportLoad,
    /// Anything else, measured by the caller.
    Custom,
}

impl Kpi {
    /// The KPI's value in a segment's KPI row, `None` when it could not be measured there (or
    /// for [`Kpi::Custom`]).
    #[must_use]
    pub fn read(self, kpis: &SegmentKpis) -> Option<f64> {
        match self {
            Kpi::Conversion => kpis.conversion.map(|p| p.estimate),
            Kpi::WinRate => kpis.win_rate.map(|p| p.estimate),
            Kpi::SalesCycleDays => kpis.sales_cycle_days,
            Kpi::Cac => kpis.cac,
            Kpi::Ltv => kpis.ltv,
            Kpi::LtvToCac => kpis.ltv_to_cac,
            Kpi::Nrr => kpis.retention.as_ref().and_then(|r| r.nrr()),
            Kpi::Grr => kpis.retention.as_ref().and_then(|r| r.grr()),
            Kpi::MonthlyChurn => kpis.monthly_churn,
            Kpi::SupportLoad => kpis.support_load,
            Kpi::Custom => None,
        }
    }

    /// A value of the KPI as people read it: shares as percentages (`2.31%`), days as days,
    /// LTV:CAC as a ratio, other values with two decimals.
    ///
    /// ```
    /// use saas_segmentation::playbook::Kpi;
    ///
    /// assert_eq!(Kpi::MonthlyChurn.format(0.0231), "2.31%");
    /// assert_eq!(Kpi::SalesCycleDays.format(41.6), "42 days");
    /// assert_eq!(Kpi::LtvToCac.format(3.25), "3.2x");
    /// ```
    #[must_use]
    pub fn format(self, value: f64) -> String {
        match self {
            Kpi::Conversion | Kpi::WinRate | Kpi::Nrr | Kpi::Grr | Kpi::MonthlyChurn => {
                format!("{:.2}%", value * 100.0)
            }
            Kpi::SalesCycleDays => format!("{value:.0} days"),
            Kpi::LtvToCac => format!("{value:.1}x"),
            Kpi::Cac | Kpi::Ltv => format!("{value:.0}"),
            Kpi::SupportLoad | Kpi::Custom => format!("{value:.2}"),
        }
    }
}

/// Which way a goal moves its KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Direction {
    /// Higher is better (NRR, conversion).
    Up,
    /// Lower is better (churn, CAC).
    Down,
}

/// A SMART goal: a challenge, a KPI, where it stands, where it should be by when, how it is
/// measured, and the segments it applies to.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Goal {
    /// The business challenge, in words.
    pub challenge: String,
    /// The primary KPI.
    pub kpi: Kpi,
    /// The KPI when the goal was set.
    pub baseline: f64,
    /// The KPI to reach.
    pub target: f64,
    /// When the baseline was measured.
    pub baseline_date: Date,
    /// When the target is due.
    pub deadline: Date,
    /// How the KPI is measured.
    pub measurement: String,
    /// The segments the goal applies to (empty: all).
    pub segments: Vec<String>,
}

/// Where a segment stands against a goal on a date.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Progress {
    /// The segment.
    pub segment: String,
    /// The date of the reading.
    pub date: Date,
    /// The KPI's value.
    pub value: f64,
    /// Where a straight path from baseline to target would be on that date.
    pub expected: f64,
    /// Share of the way from baseline to target covered, (value - baseline) / (target -
    /// baseline); 1 = target reached, negative = moved the wrong way.
    pub achieved: f64,
    /// Whether the value is at or beyond the straight path.
    pub on_track: bool,
    /// How far from the path, in the KPI's units, positive when ahead.
    pub gap: f64,
    /// The verdict in words.
    pub summary: String,
}

impl Goal {
    /// A goal moving `kpi` from `baseline` (measured on `baseline_date`) to `target` by
    /// `deadline`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the deadline is not after the baseline date, the target
    /// equals the baseline (nothing to achieve: the target is already met), or a number is not
    /// finite.
    pub fn new(
        challenge: impl Into<String>,
        kpi: Kpi,
        baseline: f64,
        target: f64,
        baseline_date: Date,
        deadline: Date,
    ) -> Result<Goal> {
        if !(baseline.is_finite() && target.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "goal",
                reason: format!("baseline {baseline} and target {target} must be finite"),
            });
        }
        if deadline <= baseline_date {
            return Err(Error::InvalidParameter {
                name: "deadline",
                reason: format!(
                    "the deadline {deadline} is not after the baseline date {baseline_date}: \
                     give the date the target is due"
                ),
            });
        }
        if target == baseline {
            return Err(Error::InvalidParameter {
                name: "target",
                reason: format!(
                    "the target {target} equals the baseline: it is already met; set the level \
                     the segment should reach"
                ),
            });
        }
        Ok(Goal {
            challenge: challenge.into(),
            kpi,
            baseline,
            target,
            baseline_date,
            deadline,
            measurement: String::new(),
            segments: Vec::new(),
        })
    }

    /// How the KPI is measured ("90-day logo churn of monthly signup cohorts"). Default: empty.
    #[must_use]
    pub fn measured_by(mut self, method: impl Into<String>) -> Self {
        self.measurement = method.into();
        self
    }

    /// The segments the goal applies to. Default: all.
    #[must_use]
    pub fn segments<S: Into<String>>(mut self, segments: impl IntoIterator<Item = S>) -> Self {
        self.segments = segments.into_iter().map(Into::into).collect();
        self
    }

    /// Up when the target is above the baseline, else down.
    #[must_use]
    pub fn direction(&self) -> Direction {
        if self.target > self.baseline {
            Direction::Up
        } else {
            Direction::Down
        }
    }

    /// Whether the goal covers `segment`.
    #[must_use]
    pub fn applies_to(&self, segment: &str) -> bool {
        self.segments.is_empty() || self.segments.iter().any(|s| s == segment)
    }

    /// Progress of `segment` with the KPI at `value` on `date`, against a straight path from
    /// the baseline to the target (flat at the target after the deadline).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the goal does not cover `segment`, `value` is not
    /// finite, or `date` is before the baseline date.
    pub fn progress(&self, segment: &str, value: f64, date: Date) -> Result<Progress> {
        if !self.applies_to(segment) {
            return Err(Error::InvalidParameter {
                name: "segment",
                reason: format!(
                    "the goal \"{}\" covers {:?}, not {segment}",
                    self.challenge, self.segments
                ),
            });
        }
        if !value.is_finite() || date < self.baseline_date {
            return Err(Error::InvalidParameter {
                name: "reading",
                reason: format!(
                    "{value} on {date}: readings are finite and on or after the baseline date \
                     {}",
                    self.baseline_date
                ),
            });
        }
        let span = self.deadline.days_since(self.baseline_date) as f64;
        let elapsed = (date.days_since(self.baseline_date) as f64 / span).min(1.0);
        let expected = self.baseline + (self.target - self.baseline) * elapsed;
        let sign = if self.direction() == Direction::Up {
            1.0
        } else {
            -1.0
        };
        let gap = sign * (value - expected);
        // + 0.0 turns -0 (no change) into 0 for display.
        let achieved = (value - self.baseline) / (self.target - self.baseline) + 0.0;
        let on_track = gap >= 0.0;
        let f = |v: f64| self.kpi.format(v);
        // A gap in a share KPI reads in percentage points.
        let points = |v: f64| match self.kpi {
            Kpi::Conversion | Kpi::WinRate | Kpi::Nrr | Kpi::Grr | Kpi::MonthlyChurn => {
                format!("{:.2} points", v * 100.0)
            }
            _ => f(v),
        };
        let summary = if achieved >= 1.0 {
            format!(
                "{segment}: target reached ({} against {})",
                f(value),
                f(self.target)
            )
        } else if on_track {
            format!(
                "{segment}: on track at {}, {:.0}% of the way, {} ahead of the path",
                f(value),
                achieved * 100.0,
                points(gap)
            )
        } else {
            format!(
                "{segment}: off track at {}, {:.0}% of the way, {} behind the path ({} expected by {date})",
                f(value),
                achieved * 100.0,
                points(-gap),
                f(expected)
            )
        };
        Ok(Progress {
            segment: segment.to_owned(),
            date,
            value,
            expected,
            achieved,
            on_track,
            gap,
            summary,
        })
    }

    /// Progress of every covered segment from a KPI table ([`crate::economics::segment_kpis`])
    /// measured on `date`; segments where the KPI could not be measured are listed apart.
    ///
    /// # Errors
    /// As [`Goal::progress`].
    pub fn review(&self, kpis: &[SegmentKpis], date: Date) -> Result<Review> {
        let mut progress = Vec::new();
        let mut unmeasured = Vec::new();
        for row in kpis.iter().filter(|k| self.applies_to(&k.segment)) {
            match self.kpi.read(row) {
                Some(value) if value.is_finite() => {
                    progress.push(self.progress(&row.segment, value, date)?);
                }
                _ => unmeasured.push(row.segment.clone()),
            }
        }
        Ok(Review {
            goal: self.challenge.clone(),
            date,
            progress,
            unmeasured,
        })
    }
}

/// A periodic (quarterly) review of a goal: progress per segment on a date.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Review {
    /// The goal's challenge.
    pub goal: String,
    /// The review date.
    pub date: Date,
    /// Progress of each measured segment.
    pub progress: Vec<Progress>,
    /// Covered segments where the KPI could not be measured.
    pub unmeasured: Vec<String>,
}

impl Review {
    /// Segments behind the path.
    #[must_use]
    pub fn off_track(&self) -> Vec<&Progress> {
        self.progress.iter().filter(|p| !p.on_track).collect()
    }
}

/// The team that owns a play.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Team {
    /// Product (in-app onboarding, features).
    Product,
    /// Marketing.
    Marketing,
    /// Sales.
    Sales,
    /// Customer success.
    CustomerSuccess,
    /// Support.
    Support,
    /// Another team, by name.
    Other(String),
}

/// What the teams do with one segment.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Play {
    /// What the segment should achieve ("expand seats").
    pub goal: String,
    /// What the teams do, in order.
    pub actions: Vec<String>,
    /// Where the segment is reached ("in_app", "email", "field_sales").
    pub channels: Vec<String>,
    /// How success is measured ("NRR over two quarters").
    pub success_metric: String,
    /// The owner team.
    pub owner: Option<Team>,
    /// Onboarding treatment ("self-serve checklist", "guided implementation").
    pub onboarding: String,
    /// Communication cadence and tone.
    pub communication: String,
    /// Customer-success engagement.
    pub customer_success: Option<CsEngagement>,
    /// Pricing and packaging treatment.
    pub pricing: String,
}

impl Play {
    /// The parts still empty, by name; empty when the play is complete.
    #[must_use]
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (empty, name) in [
            (self.goal.trim().is_empty(), "goal"),
            (self.actions.is_empty(), "actions"),
            (self.channels.is_empty(), "channels"),
            (self.success_metric.trim().is_empty(), "success metric"),
            (self.owner.is_none(), "owner"),
        ] {
            if empty {
                out.push(name);
            }
        }
        out
    }

    /// The play as the validation report's [`Strategy`] (goal, first action, channels, success
    /// metric).
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        Strategy {
            goal: self.goal.clone(),
            action: self.actions.join("; "),
            channel: self.channels.join(", "),
            success_metric: self.success_metric.clone(),
        }
    }
}

/// A play per segment name.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Playbook {
    plays: BTreeMap<String, Play>,
}

/// What a playbook lacks for a segmentation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlaybookCheck {
    /// Segments without a play.
    pub without_play: Vec<String>,
    /// Segments whose play misses parts, with the parts.
    pub incomplete: Vec<(String, Vec<String>)>,
    /// Plays for segments the segmentation does not have (stale names).
    pub unused: Vec<String>,
}

impl PlaybookCheck {
    /// Whether every segment has a complete play.
    #[must_use]
    pub fn complete(&self) -> bool {
        self.without_play.is_empty() && self.incomplete.is_empty()
    }
}

impl Playbook {
    /// An empty playbook.
    #[must_use]
    pub fn new() -> Playbook {
        Playbook::default()
    }

    /// The default plays per size tier, keyed by the tier's label (`smb`, `mid_market`,
    /// `enterprise`): SMB self-service or inside sales, digital channels, automated (tech-touch)
    /// success and community support; Mid-Market inside sales or hybrid, a dedicated CSM with
    /// quarterly business reviews; Enterprise field sales, account-based marketing and events,
    /// white-glove and executive engagement. Channels and motions come from
    /// [`TierEconomics::default_for`]; override any play with [`Playbook::with`].
    #[must_use]
    pub fn tier_defaults() -> Playbook {
        let mut book = Playbook::new();
        for tier in [SizeTier::Smb, SizeTier::MidMarket, SizeTier::Enterprise] {
            let economics = TierEconomics::default_for(tier);
            let channels = economics
                .channels
                .iter()
                .map(ToString::to_string)
                .chain(economics.sales_motions.iter().map(ToString::to_string))
                .collect();
            let play = match tier {
                SizeTier::Smb => Play {
                    goal: "activate fast and convert to paid at low cost to serve".into(),
                    actions: vec![
                        "automated onboarding emails and in-app checklist".into(),
                        "product-led upgrade prompts at usage limits".into(),
                        "community and knowledge-base support".into(),
                    ],
                    success_metric: "trial-to-paid conversion and 90-day logo retention".into(),
                    owner: Some(Team::Product),
                    onboarding: "self-serve checklist".into(),
                    communication: "automated lifecycle emails, monthly newsletter".into(),
                    pricing: "monthly self-serve plans, annual discount".into(),
                    ..Play::default()
                },
                SizeTier::MidMarket => Play {
                    goal: "expand seats and reduce churn with guided adoption".into(),
                    actions: vec![
                        "dedicated CSM with quarterly business reviews".into(),
                        "inside-sales or hybrid expansion offers".into(),
                        "webinars on key workflows".into(),
                    ],
                    success_metric: "net revenue retention over two quarters".into(),
                    owner: Some(Team::CustomerSuccess),
                    onboarding: "guided implementation with a CSM".into(),
                    communication: "quarterly business reviews, monthly check-ins".into(),
                    pricing: "annual contracts, seat tiers".into(),
                    ..Play::default()
                },
                SizeTier::Enterprise => Play {
                    goal: "land strategic accounts and expand across departments".into(),
                    actions: vec![
                        "field sales with account-based marketing and events".into(),
                        "white-glove onboarding and executive sponsorship".into(),
                        "security and procurement support".into(),
                    ],
                    success_metric: "win rate, ACV and NRR of named accounts".into(),
                    owner: Some(Team::Sales),
                    onboarding: "white-glove implementation plan".into(),
                    communication: "executive business reviews, named account team".into(),
                    pricing: "custom multi-year contracts".into(),
                    ..Play::default()
                },
            };
            book.plays.insert(
                tier.to_string(),
                Play {
                    channels,
                    customer_success: Some(economics.cs_engagement),
                    ..play
                },
            );
        }
        book
    }

    /// The playbook with `play` for `segment` (replacing any).
    #[must_use]
    pub fn with(mut self, segment: impl Into<String>, play: Play) -> Playbook {
        self.plays.insert(segment.into(), play);
        self
    }

    /// The play of `segment`.
    #[must_use]
    pub fn play(&self, segment: &str) -> Option<&Play> {
        self.plays.get(segment)
    }

    /// Every play, by segment name.
    #[must_use]
    pub fn plays(&self) -> &BTreeMap<String, Play> {
        &self.plays
    }

    /// Which segments of `segmentation` lack a play or parts of one, and which plays name no
    /// segment.
    #[must_use]
    pub fn check(&self, segmentation: &Segmentation) -> PlaybookCheck {
        let names: Vec<&str> = segmentation.segments().iter().map(|d| d.name()).collect();
        let mut check = PlaybookCheck {
            without_play: Vec::new(),
            incomplete: Vec::new(),
            unused: Vec::new(),
        };
        for name in &names {
            match self.plays.get(*name) {
                None => check.without_play.push((*name).to_owned()),
                Some(play) => {
                    let missing = play.missing();
                    if !missing.is_empty() {
                        let parts = missing.into_iter().map(str::to_owned).collect();
                        check.incomplete.push(((*name).to_owned(), parts));
                    }
                }
            }
        }
        check.unused = self
            .plays
            .keys()
            .filter(|k| !names.contains(&k.as_str()))
            .cloned()
            .collect();
        check
    }

    /// The plays as the validation report's strategies, for
    /// [`crate::validate::ValidationInput::strategies`]: the "actionable" verdict then reads the
    /// playbook.
    #[must_use]
    pub fn strategies(&self) -> BTreeMap<String, Strategy> {
        self.plays
            .iter()
            .map(|(name, play)| (name.clone(), play.strategy()))
            .collect()
    }
}
