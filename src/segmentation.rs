//! The common currency of the crate: which segment each customer is in, and what each segment is.
//!
//! Producers (rules, RFM, clustering, value quantiles, cohorts, any categorical column) return a
//! [`Segmentation`]; consumers (validation, KPIs, survival and cohorts by segment, stability)
//! take any `Segmentation` and never care how it was made.
//!
//! A segmentation is tied to the customer set ([`Universe`]) it was built over: one label per
//! customer in that index's dense-id order, `None` for a customer in no segment (a customer
//! without a purchase in an RFM segmentation, say). Consumers check that every per-customer input
//! belongs to the same set, and [`Segmentation::segment_of_key`] answers "which segment is
//! `cus_123` in?" by key. [`Segmentation::keyed`] gives the form to store or export: each external
//! key beside its segment, re-attached to any index (in any order) by
//! [`KeyedSegmentation::attach`].
//!
//! ```
//! use saas_segmentation::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
//! use saas_segmentation::CustomerIndex;
//!
//! let index = CustomerIndex::from_keys(["cus_d", "cus_a", "cus_c", "cus_b"])?;
//! let segments = vec![
//!     SegmentDescriptor::new("self-serve", SegmentDefinition::Labels),
//!     SegmentDescriptor::new("sales-led", SegmentDefinition::Labels),
//! ];
//! let seg = Segmentation::new(&index, vec![Some(0), Some(1), None, Some(1)], segments)?;
//! assert_eq!(seg.sizes(), vec![1, 2]);
//! assert_eq!(seg.unassigned(), 1);
//! let b = index.get("cus_b").expect("interned");
//! assert_eq!(seg.segment_of(b), Some(1));
//! assert_eq!(seg.segment_of_key(&index, "cus_b")?, Some(1));
//! assert_eq!(seg.members(1), vec![index.get("cus_a").expect("interned"), b]);
//! assert_eq!(seg.segment_by_name("sales-led"), Some(1));
//!
//! // Stored with its keys, and re-attached to an index built in another order.
//! let keyed = seg.keyed(&index)?;
//! let sorted = CustomerIndex::sorted_from_keys(["cus_a", "cus_b", "cus_c", "cus_d"])?;
//! let again = keyed.attach(&sorted)?;
//! assert_eq!(again.segment_of_key(&sorted, "cus_b")?, Some(1));
//! assert_eq!(again.segment_of_key(&sorted, "cus_c")?, None);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Debug, Display};

use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerIndex, CustomerLookup};
use crate::universe::{ensure_same, CustomerSet, PerCustomer, Universe};

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

/// Which segment each customer of a customer set is in, with a descriptor of each segment.
///
/// Built only through its constructors (and a `Deserialize` that runs the same checks), so
/// every label is below the number of segments and there is one label per customer of its
/// [`Universe`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawSegmentation")
)]
pub struct Segmentation {
    universe: Universe,
    labels: Vec<Option<usize>>,
    segments: Vec<SegmentDescriptor>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawSegmentation {
    universe: Universe,
    labels: Vec<Option<usize>>,
    segments: Vec<SegmentDescriptor>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawSegmentation> for Segmentation {
    type Error = Error;

    fn try_from(raw: RawSegmentation) -> Result<Self> {
        Segmentation::new(&raw.universe, raw.labels, raw.segments)
    }
}

/// Checks segment descriptors: at least one, names unique.
fn check_segments(segments: &[SegmentDescriptor]) -> Result<()> {
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
    Ok(())
}

impl Segmentation {
    /// A segmentation of the customers of `customers`: one label per customer in dense-id
    /// order (`None` for no segment) and the segment descriptors.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without customers or segments; [`Error::LengthMismatch`] when
    /// `labels` does not hold one label per customer; [`Error::OutOfRange`] naming the customer
    /// when a label is not below the number of segments; [`Error::DuplicateName`] when two
    /// segments share a name.
    pub fn new(
        customers: &(impl CustomerSet + ?Sized),
        labels: Vec<Option<usize>>,
        segments: Vec<SegmentDescriptor>,
    ) -> Result<Self> {
        let universe = customers.universe();
        if universe.is_empty() {
            return Err(Error::EmptyInput {
                what: "segment labels",
                item: "customer label",
            });
        }
        if labels.len() != universe.len() {
            return Err(Error::LengthMismatch {
                what: "segment labels (one per customer of the index, in id order)",
                expected: universe.len(),
                found: labels.len(),
            });
        }
        check_segments(&segments)?;
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
        Ok(Segmentation {
            universe,
            labels,
            segments,
        })
    }

    /// A segmentation where every customer has a label, with segments named `"0"`, `"1"` ...
    /// (as many as the largest label + 1) and defined as [`SegmentDefinition::Labels`].
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the customer whose label is not below the number of
    /// customers (labels are `0..k` with `k` at most `n`: relabel densely first, which also
    /// keeps the segment list sized by the data); the errors of [`Segmentation::new`].
    pub fn from_labels(customers: &(impl CustomerSet + ?Sized), labels: &[usize]) -> Result<Self> {
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l >= labels.len()) {
            return Err(Error::OutOfRange {
                record: format!("customer {}", CustomerId(i as u32)),
                field: "segment label".to_owned(),
                value: l as f64,
                expected: "a label below the number of customers (labels 0..k, k <= n)",
            });
        }
        let count = labels.iter().max().map_or(0, |m| m + 1);
        let segments = (0..count)
            .map(|i| SegmentDescriptor::new(i.to_string(), SegmentDefinition::Labels))
            .collect();
        Segmentation::new(
            customers,
            labels.iter().map(|&l| Some(l)).collect(),
            segments,
        )
    }

    /// One segment per distinct value of a categorical column (plan, industry, channel ...), in
    /// ascending order of the value, named by its `Display` and defined as `column = value`;
    /// customers without a value are in no segment.
    ///
    /// ```
    /// use saas_segmentation::{CustomerIndex, PerCustomer, Segmentation};
    ///
    /// let index = CustomerIndex::from_keys(["a", "b", "c"])?;
    /// let plan = PerCustomer::from_keyed(&index, [("a", "pro"), ("c", "basic")])?;
    /// let seg = Segmentation::from_categories("plan", &plan)?;
    /// assert_eq!(seg.segments()[0].name(), "basic");
    /// assert_eq!(seg.labels(), [Some(1), None, Some(0)]);
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyInput`] when no customer has a value; [`Error::DuplicateName`] when two
    /// distinct values print the same.
    pub fn from_categories<S: Ord + Display>(
        column: &str,
        values: &PerCustomer<S>,
    ) -> Result<Self> {
        let mut codes: BTreeMap<&S, usize> = BTreeMap::new();
        for value in values.values().iter().flatten() {
            codes.entry(value).or_insert(0);
        }
        for (code, slot) in codes.values_mut().enumerate() {
            *slot = code;
        }
        let segments = codes
            .keys()
            .map(|value| {
                SegmentDescriptor::new(
                    value.to_string(),
                    SegmentDefinition::Rule {
                        description: format!("{column} = {value}"),
                    },
                )
            })
            .collect();
        let labels = values
            .values()
            .iter()
            .map(|v| v.as_ref().map(|v| codes[v]))
            .collect();
        Segmentation::new(values, labels, segments)
    }

    /// As [`Segmentation::from_categories`], with the category of each customer given by a
    /// function of its dense id (a key function over any per-customer data).
    ///
    /// # Errors
    /// As [`Segmentation::from_categories`].
    pub fn from_fn<S: Ord + Display>(
        customers: &(impl CustomerSet + ?Sized),
        column: &str,
        category: impl FnMut(CustomerId) -> Option<S>,
    ) -> Result<Self> {
        Segmentation::from_categories(column, &PerCustomer::from_fn(customers, category))
    }

    /// The customer set the labels belong to.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// Checks that `value` (a per-customer input, an index) belongs to this segmentation's
    /// customer set.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] naming `what` and both sets.
    pub fn ensure_same(&self, value: &(impl CustomerSet + ?Sized), what: &str) -> Result<()> {
        ensure_same(self, value, what)
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

    /// The labels as a per-customer column.
    #[must_use]
    pub fn label_column(&self) -> PerCustomer<usize> {
        PerCustomer::from_fn(&self.universe, |id| self.segment_of(id))
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

    /// The segment of the customer with external key `key`, `None` when unassigned.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when `index` is not this segmentation's customer set;
    /// [`Error::UnknownCustomer`] when it does not hold `key`.
    pub fn segment_of_key<K, Q>(&self, index: &CustomerIndex<K>, key: &Q) -> Result<Option<usize>>
    where
        K: std::hash::Hash + Eq + Clone + std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + Debug + ?Sized,
    {
        self.ensure_same(index, "index")?;
        let id = index.get(key).ok_or_else(|| Error::UnknownCustomer {
            record: "segment lookup".to_owned(),
            customer: format!("{key:?}"),
        })?;
        Ok(self.segment_of(id))
    }

    /// The name of the segment of `customer`, `None` when unassigned.
    #[must_use]
    pub fn segment_name_of(&self, customer: CustomerId) -> Option<&str> {
        self.segment_of(customer)
            .and_then(|s| self.segments.get(s))
            .map(SegmentDescriptor::name)
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
            // Labels are validated on construction and on load.
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

    /// The segmentation with each customer's external key: the form to store, export to a CRM,
    /// or re-attach to another index.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when `index` is not this segmentation's customer set.
    pub fn keyed<K: Clone>(&self, index: &CustomerIndex<K>) -> Result<KeyedSegmentation<K>> {
        self.ensure_same(index, "index given for the keyed form")?;
        Ok(KeyedSegmentation {
            segments: self.segments.clone(),
            assignments: index
                .keys()
                .iter()
                .zip(&self.labels)
                .map(|(key, &segment)| KeyedAssignment {
                    customer: key.clone(),
                    segment,
                })
                .collect(),
        })
    }
}

impl CustomerSet for Segmentation {
    fn universe(&self) -> Universe {
        self.universe
    }
}

/// One customer's external key and segment, in a [`KeyedSegmentation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeyedAssignment<K> {
    /// The external key.
    pub customer: K,
    /// The segment (an index into the segments), `None` for no segment.
    pub segment: Option<usize>,
}

/// A segmentation with each customer named by its external key: what to store or export, so
/// that a reload can never attach labels to the wrong customer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawKeyed<K>"),
    serde(bound(deserialize = "K: serde::Deserialize<'de>"))
)]
pub struct KeyedSegmentation<K> {
    segments: Vec<SegmentDescriptor>,
    assignments: Vec<KeyedAssignment<K>>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawKeyed<K> {
    segments: Vec<SegmentDescriptor>,
    assignments: Vec<KeyedAssignment<K>>,
}

#[cfg(feature = "serde")]
impl<K> TryFrom<RawKeyed<K>> for KeyedSegmentation<K> {
    type Error = Error;

    fn try_from(raw: RawKeyed<K>) -> Result<Self> {
        check_segments(&raw.segments)?;
        if let Some((row, label)) = raw.assignments.iter().enumerate().find_map(|(i, a)| {
            a.segment
                .filter(|&s| s >= raw.segments.len())
                .map(|s| (i, s))
        }) {
            return Err(Error::OutOfRange {
                record: format!("assignment {row}"),
                field: "segment".to_owned(),
                value: label as f64,
                expected: "a segment below the number of segments",
            });
        }
        Ok(KeyedSegmentation {
            segments: raw.segments,
            assignments: raw.assignments,
        })
    }
}

impl<K> KeyedSegmentation<K> {
    /// The segment descriptors.
    #[must_use]
    pub fn segments(&self) -> &[SegmentDescriptor] {
        &self.segments
    }

    /// Every customer's key and segment.
    #[must_use]
    pub fn assignments(&self) -> &[KeyedAssignment<K>] {
        &self.assignments
    }

    /// The segmentation over the customers of `lookup`, matched by key; customers of `lookup`
    /// that the keyed form does not name are in no segment.
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] naming the first assignment whose key `lookup` does not hold;
    /// [`Error::DuplicateName`] for a key assigned twice; the errors of [`Segmentation::new`].
    pub fn attach(&self, lookup: &impl CustomerLookup<K>) -> Result<Segmentation>
    where
        K: Debug,
    {
        let mut labels: Vec<Option<usize>> =
            crate::engine::try_filled(lookup.customer_count(), None, "the segment labels")?;
        let mut seen = vec![false; labels.len()];
        for (row, a) in self.assignments.iter().enumerate() {
            let id = lookup
                .lookup(&a.customer)
                .filter(|id| id.index() < labels.len())
                .ok_or_else(|| Error::UnknownCustomer {
                    record: format!("keyed assignment {row}"),
                    customer: format!("{:?}", a.customer),
                })?;
            if std::mem::replace(&mut seen[id.index()], true) {
                return Err(Error::DuplicateName {
                    what: "customer in a keyed segmentation",
                    name: format!("{:?} (assignment {row})", a.customer),
                });
            }
            labels[id.index()] = a.segment;
        }
        Segmentation::new(lookup, labels, self.segments.clone())
    }
}

/// Rows per segment of dense labels `0..k`.
///
/// # Errors
/// [`Error::InvalidParameter`] when a segment number below the largest has no rows.
pub(crate) fn segment_sizes(labels: &[usize]) -> Result<Vec<usize>> {
    // More segments than rows leaves one empty: refuse before sizing anything by a label.
    let largest = crate::engine::kernel::widest(|| labels.iter().copied().reduce(usize::max));
    if let Some(largest) = largest.filter(|&m| m >= labels.len()) {
        return Err(Error::InvalidParameter {
            name: "labels",
            reason: format!(
                "label {largest} for {} rows: number the segments 0..k without gaps, k at most the rows",
                labels.len()
            ),
        });
    }
    let k = largest.map_or(0, |m| m + 1);
    // Four counts per segment, one per row position mod 4, so that runs of one label do not
    // queue on one counter in memory.
    let mut counts = vec![[0usize; 4]; k];
    let mut quads = labels.chunks_exact(4);
    for quad in &mut quads {
        for (lane, &l) in quad.iter().enumerate() {
            counts[l][lane] += 1;
        }
    }
    for &l in quads.remainder() {
        counts[l][0] += 1;
    }
    let sizes: Vec<usize> = counts.iter().map(|c| c.iter().sum()).collect();
    if let Some(empty) = sizes.iter().position(|&s| s == 0) {
        return Err(Error::InvalidParameter {
            name: "labels",
            reason: format!("segment {empty} has no rows: number the segments 0..k without gaps"),
        });
    }
    Ok(sizes)
}
