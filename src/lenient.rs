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
