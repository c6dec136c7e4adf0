//! Open categories: the caller's labels kept as written, mapped to the crate's typed values where
//! they mean one.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// A category with a stable label: every typed category of [`model`](crate::model)
/// (industries, channels, plan tiers, roles, ...).
pub trait Labelled: Copy + PartialEq + std::fmt::Debug + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The stable snake_case label.
    fn label(self) -> &'static str;
}

/// What a [`Vocabulary`] does with a label it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownLabels<T> {
    /// Keep the label with no typed value (default): the caller's taxonomy survives, the
    /// crate's typed logic treats it as unknown.
    Keep,
    /// Keep the label and type it as this value (for example `Industry::Other`).
    As(T),
    /// Refuse it: a closed vocabulary, an error naming the label and the known ones.
    Reject,
}

/// A label as the source wrote it, and its typed meaning when the vocabulary knows one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Category<T> {
    /// The label as written ("DevTools").
    pub label: String,
    /// Its typed value (`Industry::Software`), `None` for a label kept without one.
    pub value: Option<T>,
}

/// Maps a source's labels onto a typed category: the crate's own labels (in any case, with
/// spaces or hyphens for underscores) and the caller's aliases, with a policy for the rest.
/// Labels are always kept as written, so "DevTools" and "Cybersecurity" stay apart in reports
/// and segments even when both mean `Industry::Software` to the typed logic.
///
/// ```
/// use saas_segmentation::model::{AcquisitionChannel, Industry, PlanTier, UnknownLabels, Vocabulary};
///
/// let industries = Vocabulary::<Industry>::new()
///     .alias("DevTools", Industry::Software)
///     .alias("Cybersecurity", Industry::Software)
///     .unknown(UnknownLabels::As(Industry::Other));
/// let devtools = industries.read("DevTools")?;
/// assert_eq!((devtools.label.as_str(), devtools.value), ("DevTools", Some(Industry::Software)));
/// assert_eq!(industries.read("Financial Services")?.value, Some(Industry::FinancialServices));
/// assert_eq!(industries.read("Biotech")?.value, Some(Industry::Other));
///
/// let plans = Vocabulary::<PlanTier>::new()
///     .alias("Basic", PlanTier::Starter)
///     .alias("Pro", PlanTier::Professional)
///     .unknown(UnknownLabels::Reject);
/// assert_eq!(plans.read("pro")?.value, Some(PlanTier::Professional));
/// assert!(plans.read("Platinum").is_err());
///
/// let channels = Vocabulary::<AcquisitionChannel>::new().alias("ads", AcquisitionChannel::PaidSearch);
/// assert_eq!(channels.read("G2")?.value, None); // kept as "G2", no typed channel
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Vocabulary<T> {
    aliases: HashMap<String, T>,
    unknown: UnknownLabels<T>,
}

impl<T: Labelled> Default for Vocabulary<T> {
    fn default() -> Self {
        Vocabulary::new()
    }
}

/// The form labels are compared in: trimmed, lower case, spaces and hyphens as underscores.
fn normal(label: &str) -> String {
    label
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl<T: Labelled> Vocabulary<T> {
    /// The crate's own labels, unknown labels kept without a typed value.
    #[must_use]
    pub fn new() -> Self {
        Vocabulary {
            aliases: HashMap::new(),
            unknown: UnknownLabels::Keep,
        }
    }

    /// Reads `label` (compared case-insensitively, spaces and hyphens as underscores) as
    /// `value`.
    #[must_use]
    pub fn alias(mut self, label: &str, value: T) -> Self {
        self.aliases.insert(normal(label), value);
        self
    }

    /// What to do with labels neither the crate nor an alias knows. Default:
    /// [`UnknownLabels::Keep`].
    #[must_use]
    pub fn unknown(mut self, policy: UnknownLabels<T>) -> Self {
        self.unknown = policy;
        self
    }

    /// The typed value of `label`, if the vocabulary knows one.
    #[must_use]
    pub fn value_of(&self, label: &str) -> Option<T> {
        let key = normal(label);
        self.aliases
            .get(&key)
            .copied()
            .or_else(|| T::ALL.iter().copied().find(|v| v.label() == key))
    }

    /// `label` kept as written, with its typed value under the vocabulary's policy.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the label and the known labels, for an unknown label
    /// of a closed vocabulary ([`UnknownLabels::Reject`]) or an empty label.
    pub fn read(&self, label: &str) -> Result<Category<T>> {
        if label.trim().is_empty() {
            return Err(Error::InvalidParameter {
                name: "category label",
                reason: "the label is empty: leave the field unknown (None) instead".into(),
            });
        }
        let value = match (self.value_of(label), self.unknown) {
            (Some(v), _) => Some(v),
            (None, UnknownLabels::Keep) => None,
            (None, UnknownLabels::As(v)) => Some(v),
            (None, UnknownLabels::Reject) => {
                let mut known: Vec<&str> = T::ALL.iter().map(|v| v.label()).collect();
                known.extend(self.aliases.keys().map(String::as_str));
                return Err(Error::InvalidParameter {
                    name: "category label",
                    reason: format!(
                        "{label:?} is not a known label ({}): add it with Vocabulary::alias or \
                         keep unknown labels with UnknownLabels::Keep",
                        known.join(", ")
                    ),
                });
            }
        };
        Ok(Category {
            label: label.to_owned(),
            value,
        })
    }

    /// Reads an optional cell (empty or absent is unknown: `None`).
    ///
    /// # Errors
    /// As [`Vocabulary::read`].
    pub fn read_cell(&self, cell: Option<&str>) -> Result<Option<Category<T>>> {
        match cell.map(str::trim) {
            None | Some("") => Ok(None),
            Some(label) => self.read(label).map(Some),
        }
    }
}
