//! The common currency of the crate: which segment each customer is in, and what each segment is.
//!
//! Producers (rules, RFM, clustering, cohorts) return a [`Segmentation`]; consumers (validation,
//! KPIs, experiments, drift) take any `Segmentation` and never care how it was made. Customers are
//! addressed by dense [`CustomerId`]; a customer in no segment has label `None`.
//!
//! ```
//! use saas_segmentation::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
//! use saas_segmentation::CustomerId;
//!
//! let segments = vec![
//!     SegmentDescriptor::new("self-serve", SegmentDefinition::Labels),
//!     SegmentDescriptor::new("sales-led", SegmentDefinition::Labels),
//! ];
//! let seg = Segmentation::new(vec![Some(0), Some(1), None, Some(1)], segments)?;
//! assert_eq!(seg.sizes(), vec![1, 2]);
//! assert_eq!(seg.unassigned(), 1);
//! assert_eq!(seg.segment_of(CustomerId(3)), Some(1));
//! assert_eq!(seg.members(1), vec![CustomerId(1), CustomerId(3)]);
//! assert_eq!(seg.segment_by_name("sales-led"), Some(1));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::ids::CustomerId;

/// How a segment was defined, so a report can say what the segment is.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum SegmentDefinition {
    /// Labels given by the caller, with no further definition.
    Labels,
    /// A rule over profile variables, in words (`"size_tier in [smb] and industry in [retail]"`).
    Rule {
        /// The rule as text.
        description: String,
    },
    /// A cluster, described by its centroid.
    Centroid {
        /// Feature names, in the order of `values`.
        features: Vec<String>,
        /// The centroid, in the units the caller chose to report (usually original units).
        values: Vec<f64>,
    },
    /// RFM score cells (R, F, M) assigned to the segment.
    RfmCells {
        /// The cells, each as (R, F, M) scores.
        cells: Vec<[u8; 3]>,
    },
    /// A cohort key (signup month, acquisition channel ...).
    Cohort {
        /// The cohort's key as text.
        key: String,
    },
    /// Any other definition, in words.
    Described {
        /// The definition as text.
        description: String,
    },
}

/// A segment's name and definition.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentDescriptor {
    name: String,
    definition: SegmentDefinition,
}

impl SegmentDescriptor {
    /// A descriptor.
    pub fn new(name: impl Into<String>, definition: SegmentDefinition) -> Self {
        SegmentDescriptor {
            name: name.into(),
            definition,
        }
    }

    /// The segment's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the segment was defined.
    #[must_use]
    pub fn definition(&self) -> &SegmentDefinition {
        &self.definition
    }
}

/// Which segment each customer is in, with a descriptor of each segment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Segmentation {
    labels: Vec<Option<usize>>,
    segments: Vec<SegmentDescriptor>,
}

impl Segmentation {
    /// A segmentation from one label per customer (dense-id order) and the segment descriptors.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without customers or segments; [`Error::OutOfRange`] naming the
    /// customer when a label is not below the number of segments; [`Error::DuplicateName`] when
    /// two segments share a name.
    pub fn new(labels: Vec<Option<usize>>, segments: Vec<SegmentDescriptor>) -> Result<Self> {
        if labels.is_empty() {
            return Err(Error::EmptyInput {
                what: "segment labels",
                item: "customer label",
            });
        }
        if segments.is_empty() {
            return Err(Error::EmptyInput {
                what: "segment descriptors",
                item: "segment",
            });
        }
        let mut names = BTreeSet::new();
        if let Some(s) = segments.iter().find(|s| !names.insert(s.name.as_str())) {
            return Err(Error::DuplicateName {
                what: "segment",
                name: s.name.clone(),
            });
        }
        if let Some((customer, label)) = labels
            .iter()
            .enumerate()
            .find_map(|(i, l)| l.filter(|&l| l >= segments.len()).map(|l| (i, l)))
        {
            return Err(Error::OutOfRange {
                record: format!("customer {}", CustomerId(customer as u32)),
                field: "segment label".to_owned(),
                value: label as f64,
                expected: "a label below the number of segments",
            });
        }
        Ok(Segmentation { labels, segments })
    }

    /// A segmentation where every customer has a label, with segments named `"0"`, `"1"` ...
    /// (as many as the largest label + 1) and defined as [`SegmentDefinition::Labels`].
    ///
    /// # Errors
    /// As [`Segmentation::new`].
    pub fn from_labels(labels: &[usize]) -> Result<Self> {
        let count = labels.iter().max().map_or(0, |m| m + 1);
        let segments = (0..count)
            .map(|i| SegmentDescriptor::new(i.to_string(), SegmentDefinition::Labels))
            .collect();
        Segmentation::new(labels.iter().map(|&l| Some(l)).collect(), segments)
    }

    /// The number of customers (assigned or not).
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Always false: a segmentation holds at least one customer.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of segments.
    #[must_use]
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// One label per customer, in dense-id order.
    #[must_use]
    pub fn labels(&self) -> &[Option<usize>] {
        &self.labels
    }

    /// The labels as plain `usize` when every customer is assigned (numeric metrics need this).
    #[must_use]
    pub fn complete_labels(&self) -> Option<Vec<usize>> {
        self.labels.iter().copied().collect()
    }

    /// The segment descriptors.
    #[must_use]
    pub fn segments(&self) -> &[SegmentDescriptor] {
        &self.segments
    }

    /// The segment of a customer, `None` when unassigned or out of range.
    #[must_use]
    pub fn segment_of(&self, customer: CustomerId) -> Option<usize> {
        self.labels.get(customer.index()).copied().flatten()
    }

    /// The segment called `name`.
    #[must_use]
    pub fn segment_by_name(&self, name: &str) -> Option<usize> {
        self.segments.iter().position(|s| s.name == name)
    }

    /// Customers per segment.
    #[must_use]
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.segments.len()];
        for &label in self.labels.iter().flatten() {
            // Labels are validated on construction; `get_mut` keeps a hand-edited
            // deserialized value from panicking.
            if let Some(size) = sizes.get_mut(label) {
                *size += 1;
            }
        }
        sizes
    }

    /// Customers in no segment.
    #[must_use]
    pub fn unassigned(&self) -> usize {
        self.labels.iter().filter(|l| l.is_none()).count()
    }

    /// The customers of `segment`, in dense-id order (empty for an unknown segment).
    #[must_use]
    pub fn members(&self, segment: usize) -> Vec<CustomerId> {
        self.labels
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == Some(segment))
            .map(|(i, _)| CustomerId(i as u32))
            .collect()
    }
}
