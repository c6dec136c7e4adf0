//! Segment tags for a CRM or warehouse: one row per customer with the external key, a stable
//! segment id, the segment's name, the segmentation's name and version and the run date
//! (optionally the reason or score that put the customer there), plus segment aggregates, with
//! a minimum segment size (k-anonymity) below which nothing is exported.
//!
//! ```
//! use saas_segmentation::export::{export_tags, ExportParams};
//! use saas_segmentation::{CustomerIndex, Date, PerCustomer, Segmentation};
//!
//! let index = CustomerIndex::from_keys(["cus_1", "cus_2", "cus_3", "cus_4"])?;
//! let plan = PerCustomer::from_keyed(&index, [("cus_1", "Pro"), ("cus_2", "Pro"),
//!     ("cus_3", "Starter Plus"), ("cus_4", "Starter Plus")].map(|(k, v)| (k, v.to_owned())))?;
//! let segments = Segmentation::from_categories("plan", &plan)?;
//! let params = ExportParams::new("plan segments", "2026.12", "2026-12-07".parse::<Date>()?)
//!     .min_segment_size(2);
//! let export = export_tags(&segments, &index, &params)?;
//! assert_eq!(export.tags[2].segment_id, "starter_plus");
//! assert_eq!(export.tags[2].key, "cus_3");
//! assert_eq!(export.aggregates.len(), 2);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::hash::Hash;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::ids::CustomerIndex;
use crate::segmentation::Segmentation;
use crate::universe::PerCustomer;

/// What an export carries beside the assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportParams<'a> {
    segmentation: String,
    version: String,
    run_date: Date,
    min_segment_size: usize,
    reasons: Option<&'a PerCustomer<String>>,
    scores: Option<&'a PerCustomer<f64>>,
    unassigned: bool,
}

impl<'a> ExportParams<'a> {
    /// An export of the segmentation called `segmentation`, at `version`, computed on
    /// `run_date`.
    pub fn new(
        segmentation: impl Into<String>,
        version: impl Into<String>,
        run_date: Date,
    ) -> Self {
        ExportParams {
            segmentation: segmentation.into(),
            version: version.into(),
            run_date,
            min_segment_size: 1,
            reasons: None,
            scores: None,
            unassigned: false,
        }
    }

    /// The smallest segment that may be exported (k-anonymity): a smaller one makes the export
    /// fail, naming it. Default: 1 (no minimum).
    #[must_use]
    pub fn min_segment_size(mut self, customers: usize) -> Self {
        self.min_segment_size = customers;
        self
    }

    /// Why each customer is in its segment (a rule's description, the RFM cell), exported as
    /// the tag's reason. Default: none.
    #[must_use]
    pub fn reasons(mut self, reasons: &'a PerCustomer<String>) -> Self {
        self.reasons = Some(reasons);
        self
    }

    /// A score per customer (propensity, health, predicted CLV), exported beside the tag.
    /// Default: none.
    #[must_use]
    pub fn scores(mut self, scores: &'a PerCustomer<f64>) -> Self {
        self.scores = Some(scores);
        self
    }

    /// Whether customers in no segment get a row (segment id `"unassigned"`), so a CRM can
    /// clear their old tag. Default: false.
    #[must_use]
    pub fn include_unassigned(mut self, yes: bool) -> Self {
        self.unassigned = yes;
        self
    }
}

/// One customer's tag.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentTag<K> {
    /// The customer's external key.
    pub key: K,
    /// A stable id derived from the segment's name (lowercase letters, digits and `_`), so
    /// the same segment keeps its id from run to run whatever its position.
    pub segment_id: String,
    /// The segment's name.
    pub segment: String,
    /// The segmentation's name.
    pub segmentation: String,
    /// The segmentation's version.
    pub version: String,
    /// When it was computed.
    pub run_date: Date,
    /// Why the customer is there, when given.
    pub reason: Option<String>,
    /// A score, when given.
    pub score: Option<f64>,
}

/// One segment's size, exported only when it meets the minimum size.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentAggregate {
    /// The stable segment id.
    pub segment_id: String,
    /// The segment's name.
    pub segment: String,
    /// Customers in it.
    pub customers: usize,
    /// Share of the customers in any segment.
    pub share: f64,
}

/// Tags and aggregates ready to write.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TagExport<K> {
    /// One row per customer in a segment (and per unassigned customer when asked), in the
    /// index's key order.
    pub tags: Vec<SegmentTag<K>>,
    /// One row per segment.
    pub aggregates: Vec<SegmentAggregate>,
}

/// A stable id for a segment name: lowercase ASCII letters and digits, other runs as one `_`.
#[must_use]
pub fn segment_id(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    if out.is_empty() {
        "segment".to_owned()
    } else {
        out
    }
}

/// The tags of every customer of `index` assigned by `segmentation`, and the segment sizes.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the segmentation, reasons or scores are over another
/// customer set; [`Error::InvalidParameter`] naming the segments below the minimum size (merge
/// them, or lower the minimum), or two segments whose names give the same id (rename one).
pub fn export_tags<K: Hash + Eq + Clone + Ord>(
    segmentation: &Segmentation,
    index: &CustomerIndex<K>,
    params: &ExportParams<'_>,
) -> Result<TagExport<K>> {
    segmentation.ensure_same(index, "index of the export")?;
    if let Some(r) = params.reasons {
        segmentation.ensure_same(r, "reasons")?;
    }
    if let Some(s) = params.scores {
        segmentation.ensure_same(s, "scores")?;
    }
    let sizes = segmentation.sizes();
    let ids: Vec<String> = segmentation
        .segments()
        .iter()
        .map(|d| segment_id(d.name()))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(Error::InvalidParameter {
                name: "segment names",
                reason: format!(
                    "two segments share the export id {id}: rename one so their ids differ"
                ),
            });
        }
    }
    let small: Vec<String> = segmentation
        .segments()
        .iter()
        .zip(&sizes)
        .filter(|(_, &size)| size > 0 && size < params.min_segment_size)
        .map(|(d, size)| format!("{} ({size})", d.name()))
        .collect();
    if !small.is_empty() {
        return Err(Error::InvalidParameter {
            name: "min_segment_size",
            reason: format!(
                "segments below {} customers cannot be exported: {}; merge them into a larger \
                 segment or lower the minimum",
                params.min_segment_size,
                small.join(", ")
            ),
        });
    }
    let total: usize = sizes.iter().sum();
    let labels = segmentation.labels();
    let mut tags = Vec::with_capacity(total);
    for id in index.ids_in_key_order() {
        let i = id.index();
        let Some(key) = index.key(id) else { continue };
        let (segment_id, segment) = match labels.get(i).copied().flatten() {
            Some(s) => (ids[s].clone(), segmentation.segments()[s].name().to_owned()),
            None if params.unassigned => ("unassigned".to_owned(), String::new()),
            None => continue,
        };
        tags.push(SegmentTag {
            key: key.clone(),
            segment_id,
            segment,
            segmentation: params.segmentation.clone(),
            version: params.version.clone(),
            run_date: params.run_date,
            reason: params.reasons.and_then(|r| r.get(id).cloned()),
            score: params.scores.and_then(|s| s.get(id).copied()),
        });
    }
    let aggregates = segmentation
        .segments()
        .iter()
        .zip(&sizes)
        .zip(&ids)
        .map(|((d, &customers), id)| SegmentAggregate {
            segment_id: id.clone(),
            segment: d.name().to_owned(),
            customers,
            share: if total == 0 {
                0.0
            } else {
                customers as f64 / total as f64
            },
        })
        .collect();
    Ok(TagExport { tags, aggregates })
}
