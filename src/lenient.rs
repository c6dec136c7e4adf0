//! Reading the cells real exports contain: booleans spelled `TRUE`, `True`, `yes`, `Y` or `1`,
//! empty cells for unknown values, numbers written as text, and activity events by name. Use
//! the functions with serde's `deserialize_with` in your own row types, or [`ActivityRow`] for
//! an activity export (customer, date, event name).
//!
//! ```
//! use saas_segmentation::lenient::{parse_bool, ActivityRow, EventNames};
//! use saas_segmentation::activity::ActivityEvent;
//!
//! assert_eq!(parse_bool("Yes"), Ok(Some(true)));
//! assert_eq!(parse_bool(""), Ok(None));
//! let names = EventNames::default().workflows(["invite_team"]);
//! let row = ActivityRow { customer: "acme".into(), date: "2024-03-01".parse()?, event: "invite_team".into(), count: None, duration_minutes: None };
//! assert_eq!(row.into_activity(&names)?.event, ActivityEvent::Workflow("invite_team".to_owned()));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::activity::{Activity, ActivityEvent};
use crate::date::Date;
use crate::error::{Error, Result};

/// A boolean as exports write it: `true`/`false` in any case, `yes`/`no`, `y`/`n`, `t`/`f`,
/// `1`/`0`, `on`/`off`; an empty (or all-space) cell, `null`, `na` or `n/a` is unknown (`None`).
///
/// # Errors
/// [`Error::InvalidParameter`] naming the text otherwise.
pub fn parse_bool(text: &str) -> Result<Option<bool>> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "" | "null" | "na" | "n/a" | "none" => Ok(None),
        "true" | "yes" | "y" | "t" | "1" | "on" => Ok(Some(true)),
        "false" | "no" | "n" | "f" | "0" | "off" => Ok(Some(false)),
        _ => Err(Error::InvalidParameter {
            name: "boolean",
            reason: format!("{text:?} is not a boolean: write true/false, yes/no or 1/0"),
        }),
    }
}

/// A number as exports write it: an empty cell (or `null`, `na`) is unknown; thousands
/// separators `,` and a leading currency sign `$`, `€` or `£` are dropped.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the text when it is not a number; [`Error::NonFinite`]
/// for `NaN` or infinity.
pub fn parse_number(text: &str) -> Result<Option<f64>> {
    let t = text.trim();
    if t.is_empty() || ["null", "na", "n/a", "none"].contains(&t.to_ascii_lowercase().as_str()) {
        return Ok(None);
    }
    let cleaned: String = t
        .trim_start_matches(['$', '€', '£'])
        .chars()
        .filter(|&c| c != ',')
        .collect();
    let value: f64 = cleaned.parse().map_err(|_| Error::InvalidParameter {
        name: "number",
        reason: format!("{text:?} is not a number"),
    })?;
    crate::error::ensure_finite(value, || format!("cell {text:?}"), "number")?;
    Ok(Some(value))
}

/// serde helpers for `#[serde(deserialize_with = "...")]` on `Option<bool>` and
/// `Option<f64>` fields: they accept a native value, or text read by [`parse_bool`] /
/// [`parse_number`].
#[cfg(feature = "serde")]
pub mod serde_cells {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cell {
        Bool(bool),
        Number(f64),
        Text(String),
        Null(()),
    }

    /// An `Option<bool>` from `true`, `"Yes"`, `"TRUE"`, `1`, `""` or null.
    ///
    /// # Errors
    /// The deserializer's error, naming the text that is not a boolean.
    pub fn option_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<Cell>::deserialize(d)? {
            None | Some(Cell::Null(())) => Ok(None),
            Some(Cell::Bool(b)) => Ok(Some(b)),
            Some(Cell::Number(n)) if n == 0.0 || n == 1.0 => Ok(Some(n == 1.0)),
            Some(Cell::Number(n)) => Err(serde::de::Error::custom(format!(
                "{n} is not a boolean: write true/false, yes/no or 1/0"
            ))),
            Some(Cell::Text(t)) => super::parse_bool(&t).map_err(serde::de::Error::custom),
        }
    }

    /// An `Option<f64>` from a number, `"1,234.50"`, `"$49"`, `""` or null.
    ///
    /// # Errors
    /// The deserializer's error, naming the text that is not a number.
    pub fn option_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Option::<Cell>::deserialize(d)? {
            None | Some(Cell::Null(())) => Ok(None),
            Some(Cell::Number(n)) if n.is_finite() => Ok(Some(n)),
            Some(Cell::Number(n)) => Err(serde::de::Error::custom(format!("{n} is not finite"))),
            Some(Cell::Bool(b)) => Err(serde::de::Error::custom(format!("{b} is not a number"))),
            Some(Cell::Text(t)) => super::parse_number(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// Which event names are logins and which are key workflows; every other name is a feature.
#[derive(Debug, Clone, PartialEq)]
pub struct EventNames {
    logins: Vec<String>,
    workflows: Vec<String>,
}

impl Default for EventNames {
    /// Logins: `login`, `log_in`, `logged_in`, `sign_in`, `signed_in`, `session_start` (case
    /// and separators ignored); no workflows.
    fn default() -> Self {
        EventNames {
            logins: [
                "login",
                "log_in",
                "logged_in",
                "sign_in",
                "signed_in",
                "session_start",
            ]
            .map(String::from)
            .to_vec(),
            workflows: Vec::new(),
        }
    }
}

fn normalized(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c == '-' || c == ' ' || c == '.' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

impl EventNames {
    /// The names (compared without case, with `-`, `.` and spaces as `_`) that are logins,
    /// replacing the defaults.
    #[must_use]
    pub fn logins<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.logins = names.into_iter().map(|n| normalized(n.as_ref())).collect();
        self
    }

    /// The names that are key workflows. Default: none.
    #[must_use]
    pub fn workflows<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.workflows = names.into_iter().map(|n| normalized(n.as_ref())).collect();
        self
    }

    /// The event a name stands for: a login, a workflow (by the list, or written
    /// `workflow:name`), or a feature (the name, or written `feature:name`).
    #[must_use]
    pub fn event(&self, name: &str) -> ActivityEvent<String> {
        let trimmed = name.trim();
        if let Some(w) = trimmed.strip_prefix("workflow:") {
            return ActivityEvent::Workflow(w.trim().to_owned());
        }
        if let Some(f) = trimmed.strip_prefix("feature:") {
            return ActivityEvent::Feature(f.trim().to_owned());
        }
        let key = normalized(trimmed);
        if self.logins.contains(&key) {
            ActivityEvent::Login
        } else if self.workflows.contains(&key) {
            ActivityEvent::Workflow(trimmed.to_owned())
        } else {
            ActivityEvent::Feature(trimmed.to_owned())
        }
    }
}

/// One row of an activity export: a customer, a day and an event name.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ActivityRow {
    /// The customer's key.
    pub customer: String,
    /// The day.
    pub date: Date,
    /// The event's name, as the export writes it.
    pub event: String,
    /// How many times it happened that day (empty: once).
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "serde_cells::option_number")
    )]
    pub count: Option<f64>,
    /// Minutes spent (empty: not recorded).
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "serde_cells::option_number")
    )]
    pub duration_minutes: Option<f64>,
}

impl ActivityRow {
    /// The crate's activity record, the event read by `names`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty event name.
    pub fn into_activity(self, names: &EventNames) -> Result<Activity<String>> {
        if self.event.trim().is_empty() {
            return Err(Error::InvalidParameter {
                name: "event",
                reason: format!(
                    "the activity of {} on {} has no event name",
                    self.customer, self.date
                ),
            });
        }
        let event = names.event(&self.event);
        let count = match self.count {
            None => 1,
            Some(c) if c.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&c) => c as u32,
            Some(c) => {
                return Err(Error::OutOfRange {
                    record: format!("activity of {} on {}", self.customer, self.date),
                    field: "count".into(),
                    value: c,
                    expected: "a whole number of events from 0 to 4294967295",
                })
            }
        };
        let mut activity = Activity::new(self.customer, self.date, event).with_count(count);
        activity.duration_minutes = self.duration_minutes;
        Ok(activity)
    }
}

/// The vocabularies flat profile rows read the open categories with (industries, plans,
/// channels); every other category takes the crate's labels (case, spaces and hyphens
/// normalised).
#[derive(Debug, Clone, Default)]
pub struct Vocabularies {
    /// Industries.
    pub industry: crate::model::Vocabulary<crate::model::Industry>,
    /// Plan tiers.
    pub plan: crate::model::Vocabulary<crate::model::PlanTier>,
    /// Acquisition channels.
    pub channel: crate::model::Vocabulary<crate::model::AcquisitionChannel>,
}

/// The profile fields a flat row can carry, by their bare names; a column may also be
/// prefixed with its group (`firmographic.industry`, `value_mrr`, `engagement.meetings_attended`).
pub const PROFILE_COLUMNS: &[&str] = &[
    "industry",
    "industry_label",
    "employees",
    "annual_revenue",
    "country",
    "region",
    "business_model",
    "growth_stage",
    "growth_trajectory",
    "role",
    "seniority",
    "department",
    "decision_maker",
    "buyer_role",
    "champion",
    "logins",
    "logins_per_week",
    "active_days",
    "avg_session_minutes",
    "features_used",
    "core_feature_adoption",
    "key_workflow_completion",
    "activity_trend",
    "usage_tier",
    "seat_utilization",
    "churn_risk",
    "email_response_rate",
    "meetings_attended",
    "community_interactions",
    "plan_tier",
    "plan_label",
    "mrr",
    "billing_status",
    "upsells",
    "cross_sells",
    "acquisition_channel",
    "channel_label",
    "cac",
    "ltv",
    "customer_since",
    "seats",
    "seat_limit",
    "goals",
    "jobs_to_be_done",
    "support_topics",
    "support_tickets",
    "integrations",
    "platforms",
    "tech_stack",
    "tech_attitude",
    "risk_aversion",
    "motivation",
    "maturity",
];

/// The bare field name of a (possibly group-prefixed) column.
fn profile_field(column: &str) -> &str {
    let c = column.trim();
    for group in [
        "firmographic",
        "persona",
        "behaviour",
        "behavior",
        "engagement",
        "value",
        "needs",
        "technographic",
        "psychographic",
        "profile",
    ] {
        for sep in ['.', '_'] {
            if let Some(rest) = c.strip_prefix(group).and_then(|r| r.strip_prefix(sep)) {
                return profile_field(rest);
            }
        }
    }
    c
}

/// A customer profile from one flat row (one row per account, as CRM and warehouse exports
/// write them): `(column, cell)` pairs, columns named by [`PROFILE_COLUMNS`] (bare or with a
/// group prefix), cells as written (empty is unknown; lists separated by `;` or `|`; numbers,
/// booleans and dates read as [`parse_number`], [`parse_bool`] and ISO dates). Industries, plans
/// and channels go through `vocabularies` and keep their labels; other categories take the
/// crate's labels. The profile is validated before it is returned.
///
/// ```
/// use saas_segmentation::lenient::{profile_from_cells, Vocabularies};
/// use saas_segmentation::model::{Industry, PlanTier, Vocabulary};
///
/// let vocabularies = Vocabularies {
///     industry: Vocabulary::new().alias("DevTools", Industry::Software),
///     plan: Vocabulary::new().alias("Pro", PlanTier::Professional),
///     ..Vocabularies::default()
/// };
/// let row = [("firmographic.industry", "DevTools"), ("employees", "1,250"), ("value_plan_tier", "Pro"),
///            ("mrr", "$4,200.00"), ("champion", "Yes"), ("seats", "48"), ("seat_limit", "50"), ("region", "")];
/// let profile = profile_from_cells(row, &vocabularies, "accounts.csv row 2")?;
/// assert_eq!(profile.firmographic.industry, Some(Industry::Software));
/// assert_eq!(profile.firmographic.industry_label.as_deref(), Some("DevTools"));
/// assert_eq!(profile.value.plan_tier, Some(PlanTier::Professional));
/// assert_eq!(profile.value.seat_utilization(), Some(0.96));
/// assert_eq!(profile.firmographic.region, None);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `record`, the column and the cell for an unknown column, an
/// unreadable cell or an unknown category; the errors of
/// [`CustomerProfile::validate`](crate::profile::CustomerProfile::validate).
pub fn profile_from_cells<'a, I>(
    cells: I,
    vocabularies: &Vocabularies,
    record: &str,
) -> Result<crate::profile::CustomerProfile>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    use crate::model::Labelled;
    let mut p = crate::profile::CustomerProfile::default();
    for (column, cell) in cells {
        let bad = |what: &str| Error::InvalidParameter {
            name: "profile cell",
            reason: format!("{record}, column {column:?}: {cell:?} is not {what}"),
        };
        let text = || Some(cell.trim().to_owned()).filter(|t| !t.is_empty());
        let number = || parse_number(cell).map_err(|_| bad("a number"));
        let count = || -> Result<Option<u32>> {
            match number()? {
                None => Ok(None),
                Some(v) if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) => {
                    Ok(Some(v as u32))
                }
                Some(_) => Err(bad("a whole count from 0 to 4294967295")),
            }
        };
        let flag = || parse_bool(cell).map_err(|_| bad("yes/no"));
        let date = || -> Result<Option<Date>> {
            match cell.trim() {
                "" => Ok(None),
                t => t.parse().map(Some).map_err(|_| bad("a date YYYY-MM-DD")),
            }
        };
        let list = || -> Vec<String> {
            cell.split([';', '|'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        };
        fn label<T: Labelled>(cell: &str, bad: &dyn Fn(&str) -> Error) -> Result<Option<T>> {
            let closed =
                crate::model::Vocabulary::<T>::new().unknown(crate::model::UnknownLabels::Reject);
            match closed.read_cell(Some(cell)) {
                Ok(c) => Ok(c.and_then(|c| c.value)),
                Err(_) => {
                    let known: Vec<&str> = T::ALL.iter().map(|v| v.label()).collect();
                    Err(bad(&format!("one of {}", known.join(", "))))
                }
            }
        }
        let labelled = |e: Error| match e {
            Error::InvalidParameter { reason, .. } => Error::InvalidParameter {
                name: "profile cell",
                reason: format!("{record}, column {column:?}: {reason}"),
            },
            other => other,
        };
        let (f, b, v) = (&mut p.firmographic, &mut p.behaviour, &mut p.value);
        match profile_field(column) {
            "industry" => {
                if let Some(c) = vocabularies
                    .industry
                    .read_cell(Some(cell))
                    .map_err(labelled)?
                {
                    f.set_industry(c);
                }
            }
            "industry_label" => f.industry_label = text(),
            "employees" => f.employees = count()?,
            "annual_revenue" => f.annual_revenue = number()?,
            "country" => f.country = text(),
            "region" => f.region = label(cell, &bad)?,
            "business_model" => f.business_model = label(cell, &bad)?,
            "growth_stage" => f.growth_stage = label(cell, &bad)?,
            "growth_trajectory" => f.growth_trajectory = label(cell, &bad)?,
            "role" => p.persona.role = text(),
            "seniority" => p.persona.seniority = label(cell, &bad)?,
            "department" => p.persona.department = label(cell, &bad)?,
            "decision_maker" => p.persona.decision_maker = label(cell, &bad)?,
            "buyer_role" => p.persona.buyer_role = label(cell, &bad)?,
            "champion" => p.persona.champion = flag()?,
            "logins" => b.logins = count()?,
            "logins_per_week" => b.logins_per_week = number()?,
            "active_days" => b.active_days = count()?,
            "avg_session_minutes" => b.avg_session_minutes = number()?,
            "features_used" => b.features_used = count()?,
            "core_feature_adoption" => b.core_feature_adoption = number()?,
            "key_workflow_completion" => b.key_workflow_completion = number()?,
            "activity_trend" => b.activity_trend = number()?,
            "usage_tier" => b.usage_tier = label(cell, &bad)?,
            "seat_utilization" => b.seat_utilization = number()?,
            "churn_risk" => b.churn_risk = number()?,
            "email_response_rate" => b.engagement.email_response_rate = number()?,
            "meetings_attended" => b.engagement.meetings_attended = count()?,
            "community_interactions" => b.engagement.community_interactions = count()?,
            "plan_tier" | "plan" => {
                if let Some(c) = vocabularies.plan.read_cell(Some(cell)).map_err(labelled)? {
                    v.set_plan(c);
                }
            }
            "plan_label" => v.plan_label = text(),
            "mrr" => v.mrr = number()?,
            "billing_status" => v.billing_status = label(cell, &bad)?,
            "upsells" => v.upsells = count()?,
            "cross_sells" => v.cross_sells = count()?,
            "acquisition_channel" | "channel" => {
                if let Some(c) = vocabularies
                    .channel
                    .read_cell(Some(cell))
                    .map_err(labelled)?
                {
                    v.set_channel(c);
                }
            }
            "channel_label" => v.channel_label = text(),
            "cac" => v.cac = number()?,
            "ltv" => v.ltv = number()?,
            "customer_since" => v.customer_since = date()?,
            "seats" => v.seats = count()?,
            "seat_limit" => v.seat_limit = count()?,
            "goals" => p.needs.goals = list(),
            "jobs_to_be_done" => p.needs.jobs_to_be_done = list(),
            "support_topics" => p.needs.support_topics = list(),
            "support_tickets" => p.needs.support_tickets = count()?,
            "integrations" => p.technographic.integrations = list(),
            "platforms" => {
                p.technographic.platforms = list()
                    .iter()
                    .map(|l| label(l, &bad).map(|v| v.into_iter()))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .flatten()
                    .collect();
            }
            "tech_stack" => p.technographic.tech_stack = list(),
            "tech_attitude" => p.psychographic.tech_attitude = label(cell, &bad)?,
            "risk_aversion" => p.psychographic.risk_aversion = label(cell, &bad)?,
            "motivation" => p.psychographic.motivation = label(cell, &bad)?,
            "maturity" => p.maturity = label(cell, &bad)?,
            other => {
                return Err(Error::InvalidParameter {
                    name: "profile column",
                    reason: format!(
                        "{record}: column {column:?} ({other:?}) is not a profile field; the \
                         fields are {} (bare or prefixed with their group)",
                        PROFILE_COLUMNS.join(", ")
                    ),
                })
            }
        }
    }
    p.validate(record)?;
    Ok(p)
}
