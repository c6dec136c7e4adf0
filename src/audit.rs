//! The data audit of the segmentation guide's step 3: for the chosen variables, which source
//! provides each and for how many customers, the coverage within every segment, where sources
//! disagree, and the gaps to close; and consent per customer and purpose, honoured by leaving
//! the customers who did not consent out of that purpose's analysis (and counting them).
//!
//! ```
//! use saas_segmentation::audit::{audit_variables, AuditParams, Consent, Purpose, SourceColumn};
//! use saas_segmentation::validate::Variable;
//! use saas_segmentation::{CustomerIndex, PerCustomer, Segmentation};
//!
//! let index = CustomerIndex::from_keys(["a", "b", "c", "d"])?;
//! let segments = Segmentation::from_labels(&index, &[0, 0, 1, 1])?;
//! let crm = PerCustomer::from_keyed(&index, [("a", "fintech"), ("b", "retail"), ("c", "fintech")]
//!     .map(|(k, v)| (k, v.to_owned())))?;
//! let billing = PerCustomer::from_keyed(&index, [("a", "fintech"), ("c", "media")]
//!     .map(|(k, v)| (k, v.to_owned())))?;
//! let audit = audit_variables(&segments, &[
//!     SourceColumn::new("crm", Variable::categorical("industry", crm)),
//!     SourceColumn::new("billing", Variable::categorical("industry", billing)),
//! ], &AuditParams::default())?;
//! let industry = &audit.variables[0];
//! assert_eq!(industry.conflicts, 1); // c: fintech in the CRM, media in billing
//! // Two gaps: segment 1 is only half covered (d has no industry), and the sources disagree.
//! assert_eq!(audit.gaps.len(), 2);
//!
//! let consent = Consent::new(&index, |id| (id.get() != 1).then(|| vec![Purpose::Marketing]));
//! let (marketing, left_out) = consent.restrict_segmentation(&segments, &Purpose::Marketing)?;
//! assert_eq!((left_out, marketing.sizes()), (1, vec![1, 2]));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::segmentation::Segmentation;
use crate::universe::{CustomerSet, PerCustomer, Universe};
use crate::validate::Variable;

/// One source's column of one variable.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceColumn {
    /// The source ("crm", "billing", "product analytics", "survey").
    pub source: String,
    /// The variable as that source knows it (the variable's name groups the sources).
    pub variable: Variable,
}

impl SourceColumn {
    /// `variable` as provided by `source`.
    pub fn new(source: impl Into<String>, variable: Variable) -> SourceColumn {
        SourceColumn {
            source: source.into(),
            variable,
        }
    }
}

/// Settings of the audit.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AuditParams {
    /// Coverage below which a variable in a segment is a gap to close, in [0, 1]. Default: 0.9
    /// (the validation report's "measurable" threshold).
    pub min_coverage: f64,
    /// Relative difference above which two numeric values disagree. Default: 1e-6.
    pub tolerance: f64,
}

impl Default for AuditParams {
    fn default() -> Self {
        AuditParams {
            min_coverage: 0.9,
            tolerance: 1e-6,
        }
    }
}

/// One variable audited.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VariableAudit {
    /// The variable.
    pub variable: String,
    /// Each source with the share of all customers it covers.
    pub sources: Vec<(String, f64)>,
    /// Share of all customers covered by at least one source.
    pub coverage: f64,
    /// Per segment (by name), the share of its customers covered by at least one source.
    pub coverage_by_segment: Vec<(String, f64)>,
    /// Customers whose sources disagree on the value.
    pub conflicts: usize,
}

/// The audit of the chosen variables.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DataAudit {
    /// One entry per variable, in order of first appearance.
    pub variables: Vec<VariableAudit>,
    /// The gaps to close, in words: a variable under the coverage threshold in a segment, or
    /// with conflicting sources.
    pub gaps: Vec<String>,
}

fn value_of(variable: &Variable, i: usize) -> Option<Value<'_>> {
    match variable {
        Variable::Numeric { values, .. } => values
            .values()
            .get(i)
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
            .map(Value::Number),
        Variable::Categorical { values, .. } => values
            .values()
            .get(i)
            .and_then(Option::as_ref)
            .map(|s| Value::Text(s.as_str())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Number(f64),
    Text(&'a str),
}

fn disagree(a: Value<'_>, b: Value<'_>, tolerance: f64) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x - y).abs() > tolerance * x.abs().max(y.abs()).max(f64::MIN_POSITIVE)
        }
        (Value::Text(x), Value::Text(y)) => x != y,
        _ => true,
    }
}

/// Audits the chosen variables as each source provides them, over `segmentation`'s customers.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when a column is over another customer set;
/// [`Error::EmptyInput`] without columns; [`Error::InvalidParameter`] for thresholds outside
/// [0, 1] or a negative tolerance.
pub fn audit_variables(
    segmentation: &Segmentation,
    columns: &[SourceColumn],
    params: &AuditParams,
) -> Result<DataAudit> {
    if columns.is_empty() {
        return Err(Error::EmptyInput {
            what: "data audit",
            item: "source column",
        });
    }
    let valid = (0.0..=1.0).contains(&params.min_coverage)
        && params.tolerance >= 0.0
        && params.tolerance.is_finite();
    if !valid {
        return Err(Error::InvalidParameter {
            name: "audit params",
            reason: format!(
                "min_coverage {} must be in [0, 1] and tolerance {} finite and >= 0",
                params.min_coverage, params.tolerance
            ),
        });
    }
    for c in columns {
        segmentation.ensure_same(
            &c.variable.universe(),
            &format!("{} column of {}", c.source, c.variable.name()),
        )?;
    }
    let n = segmentation.len();
    let mut names: Vec<&str> = Vec::new();
    for c in columns {
        if !names.contains(&c.variable.name()) {
            names.push(c.variable.name());
        }
    }
    let labels = segmentation.labels();
    let sizes = segmentation.sizes();
    let mut audit = DataAudit {
        variables: Vec::with_capacity(names.len()),
        gaps: Vec::new(),
    };
    for name in names {
        let group: Vec<&SourceColumn> = columns
            .iter()
            .filter(|c| c.variable.name() == name)
            .collect();
        let sources = group
            .iter()
            .map(|c| {
                let covered = (0..n)
                    .filter(|&i| value_of(&c.variable, i).is_some())
                    .count();
                (c.source.clone(), covered as f64 / n as f64)
            })
            .collect();
        let mut covered = 0;
        let mut conflicts = 0;
        let mut by_segment = vec![0usize; sizes.len()];
        for (i, label) in labels.iter().enumerate() {
            let present: Vec<Value<'_>> = group
                .iter()
                .filter_map(|c| value_of(&c.variable, i))
                .collect();
            if present.is_empty() {
                continue;
            }
            covered += 1;
            if let Some(s) = label {
                by_segment[*s] += 1;
            }
            if present
                .iter()
                .any(|&v| disagree(v, present[0], params.tolerance))
            {
                conflicts += 1;
            }
        }
        let coverage_by_segment: Vec<(String, f64)> = segmentation
            .segments()
            .iter()
            .zip(&sizes)
            .zip(&by_segment)
            .map(|((d, &size), &c)| {
                (
                    d.name().to_owned(),
                    if size == 0 {
                        1.0
                    } else {
                        c as f64 / size as f64
                    },
                )
            })
            .collect();
        for (segment, share) in &coverage_by_segment {
            if *share < params.min_coverage {
                audit.gaps.push(format!(
                    "{name}: {:.0}% of segment {segment} covered, below {:.0}%: add a source \
                     or collect it",
                    share * 100.0,
                    params.min_coverage * 100.0
                ));
            }
        }
        if conflicts > 0 {
            audit.gaps.push(format!(
                "{name}: the sources disagree for {conflicts} customers: choose the source of \
                 record (ProfileBuilder's policy) or reconcile them"
            ));
        }
        audit.variables.push(VariableAudit {
            variable: name.to_owned(),
            sources,
            coverage: covered as f64 / n as f64,
            coverage_by_segment,
            conflicts,
        });
    }
    Ok(audit)
}

/// What a customer may be analysed or contacted for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Purpose {
    /// Product analytics and segmentation.
    Analytics,
    /// Marketing communication.
    Marketing,
    /// Sales outreach.
    Sales,
    /// Personalization of the product.
    Personalization,
    /// Another purpose, by name.
    Other(String),
}

/// The purposes each customer consented to.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    purposes: PerCustomer<Vec<Purpose>>,
}

impl CustomerSet for Consent {
    fn universe(&self) -> Universe {
        self.purposes.universe()
    }
}

impl Consent {
    /// The consent of every customer of `customers`: `purposes(id)` lists what the customer
    /// agreed to (`None` or an empty list: nothing).
    pub fn new(
        customers: &(impl CustomerSet + ?Sized),
        purposes: impl FnMut(CustomerId) -> Option<Vec<Purpose>>,
    ) -> Consent {
        Consent {
            purposes: PerCustomer::from_fn(customers, purposes),
        }
    }

    /// Whether customer `id` consented to `purpose`.
    #[must_use]
    pub fn allows(&self, id: CustomerId, purpose: &Purpose) -> bool {
        self.purposes
            .values()
            .get(id.index())
            .and_then(Option::as_ref)
            .is_some_and(|p| p.contains(purpose))
    }

    /// `segmentation` without the customers who did not consent to `purpose` (they are in no
    /// segment), and how many were left out. Every consumer then leaves them out too.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the consent is over another customer set.
    pub fn restrict_segmentation(
        &self,
        segmentation: &Segmentation,
        purpose: &Purpose,
    ) -> Result<(Segmentation, usize)> {
        segmentation.ensure_same(self, "consent")?;
        let mut left_out = 0;
        let labels: Vec<Option<usize>> = segmentation
            .labels()
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                if l.is_some() && !self.allows(CustomerId(i as u32), purpose) {
                    left_out += 1;
                    None
                } else {
                    l
                }
            })
            .collect();
        let restricted = Segmentation::new(segmentation, labels, segmentation.segments().to_vec())?;
        Ok((restricted, left_out))
    }

    /// `values` without the customers who did not consent to `purpose`, and how many values
    /// were dropped.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the consent is over another customer set.
    pub fn restrict<T: Clone>(
        &self,
        values: &PerCustomer<T>,
        purpose: &Purpose,
    ) -> Result<(PerCustomer<T>, usize)> {
        crate::universe::ensure_same(values, self, "consent")?;
        let mut dropped = 0;
        let kept: Vec<Option<T>> = values
            .values()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if v.is_some() && !self.allows(CustomerId(i as u32), purpose) {
                    dropped += 1;
                    None
                } else {
                    v.clone()
                }
            })
            .collect();
        Ok((PerCustomer::new(values, kept)?, dropped))
    }
}
