//! Monthly MRR per customer in compressed rows: checked once, shared by movements, windows and
//! value per customer.

use std::fmt::Debug;

use crate::date::{Date, Period};
use crate::error::{ensure_finite, Error, Result};
use crate::ids::CustomerLookup;
use crate::records::MrrRecord;

/// How negative MRR is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CreditPolicy {
    /// A negative MRR is an error naming the record (default).
    #[default]
    Reject,
    /// A negative MRR (a credit) counts as 0 for that month.
    Zero,
}

/// Per customer, its months (ascending, distinct) and MRR, in compressed-row form.
#[derive(Debug, Clone)]
pub(crate) struct MrrSeries {
    /// `starts[c]..starts[c + 1]` are customer c's entries.
    pub starts: Vec<usize>,
    pub months: Vec<i32>,
    pub values: Vec<f64>,
    /// The earliest month of any record.
    pub first_month: i32,
    /// The month of the analysis date: the last observed month.
    pub last_month: i32,
}

impl MrrSeries {
    /// Checks and groups `records`: every customer known, MRR finite and (unless credits are
    /// zeroed) non-negative, one row per customer and month, none after `last_month`.
    pub fn build<K: Debug>(
        lookup: &impl CustomerLookup<K>,
        records: &[MrrRecord<K>],
        last_month: i32,
        credits: CreditPolicy,
    ) -> Result<MrrSeries> {
        if records.is_empty() {
            return Err(Error::EmptyInput {
                what: "MRR records",
                item: "MRR record (customer, month, mrr)",
            });
        }
        let n = lookup.customer_count();
        let mut ids = Vec::with_capacity(records.len());
        let mut counts = vec![0usize; n + 1];
        let mut first_month = i32::MAX;
        for (row, r) in records.iter().enumerate() {
            let name = || format!("MRR row {row} (customer {:?}, {})", r.customer, r.month);
            let id = lookup
                .lookup(&r.customer)
                // An id past the count (a faulty lookup) is as unknown as a missing one.
                .filter(|id| id.index() < lookup.customer_count())
                .ok_or_else(|| Error::UnknownCustomer {
                    record: format!("MRR row {row}"),
                    customer: format!("{:?}", r.customer),
                })?;
            ensure_finite(r.mrr, name, "mrr")?;
            // The money bound of the RFM pass: sums of a few thousand months stay exact enough
            // and far from overflow.
            if r.mrr.abs() > 2.2e9 {
                return Err(Error::OutOfRange {
                    record: name(),
                    field: "mrr".into(),
                    value: r.mrr,
                    expected: "an MRR within ±2.2 billion per customer and month",
                });
            }
            if r.mrr < 0.0 && credits == CreditPolicy::Reject {
                return Err(Error::OutOfRange {
                    record: name(),
                    field: "mrr".into(),
                    value: r.mrr,
                    expected: "an MRR of 0 or more (or CreditPolicy::Zero to count credits as 0)",
                });
            }
            let month = Period::Month.index(r.month);
            if month > last_month {
                return Err(Error::OutOfRange {
                    record: name(),
                    field: format!(
                        "month {} ({} months after the analysis month)",
                        r.month,
                        month - last_month
                    ),
                    value: f64::from(month - last_month),
                    expected: "a month on or before the analysis month: leave later MRR rows \
                               out or move the analysis date",
                });
            }
            first_month = first_month.min(month);
            counts[id.index() + 1] += 1;
            ids.push(id.0);
        }
        for c in 0..n {
            counts[c + 1] += counts[c];
        }
        let starts = counts.clone();
        let mut fill = counts;
        let mut months = vec![0i32; records.len()];
        let mut values = vec![0f64; records.len()];
        let mut rows = vec![0usize; records.len()];
        for (row, (r, &id)) in records.iter().zip(&ids).enumerate() {
            let at = &mut fill[id as usize];
            months[*at] = Period::Month.index(r.month);
            values[*at] = r.mrr.max(0.0);
            rows[*at] = row;
            *at += 1;
        }
        drop(ids);
        for c in 0..n {
            let (from, to) = (starts[c], starts[c + 1]);
            // Insertion sort: a customer has a few dozen months, usually already in order.
            for i in from + 1..to {
                let mut j = i;
                while j > from && months[j - 1] > months[j] {
                    months.swap(j - 1, j);
                    values.swap(j - 1, j);
                    rows.swap(j - 1, j);
                    j -= 1;
                }
            }
            for i in from + 1..to {
                if months[i] == months[i - 1] {
                    let r = &records[rows[i]];
                    return Err(Error::DuplicateName {
                        what: "MRR month of a customer",
                        name: format!(
                            "{:?} {} (rows {} and {}): sum subscriptions into one row per \
                             month, e.g. with economics::customer_mrr",
                            r.customer,
                            Period::Month.label(r.month),
                            rows[i - 1].min(rows[i]),
                            rows[i - 1].max(rows[i])
                        ),
                    });
                }
            }
        }
        Ok(MrrSeries {
            starts,
            months,
            values,
            first_month,
            last_month,
        })
    }

    pub fn customers(&self) -> usize {
        self.starts.len() - 1
    }

    /// Customer c's (month, mrr) entries, ascending.
    pub fn of(&self, c: usize) -> impl Iterator<Item = (i32, f64)> + '_ {
        let (from, to) = (self.starts[c], self.starts[c + 1]);
        self.months[from..to]
            .iter()
            .copied()
            .zip(self.values[from..to].iter().copied())
    }

    /// Customer c's MRR in `month` (0 without a row).
    pub fn at(&self, c: usize, month: i32) -> f64 {
        let (from, to) = (self.starts[c], self.starts[c + 1]);
        match self.months[from..to].binary_search(&month) {
            Ok(i) => self.values[from + i],
            Err(_) => 0.0,
        }
    }
}

/// Settings of MRR analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MrrParams {
    analysis_date: Date,
    credits: CreditPolicy,
}

impl MrrParams {
    /// Settings for an analysis whose last observed month holds `analysis_date`.
    #[must_use]
    pub fn new(analysis_date: Date) -> Self {
        MrrParams {
            analysis_date,
            credits: CreditPolicy::Reject,
        }
    }

    /// How negative MRR is treated. Default: [`CreditPolicy::Reject`].
    #[must_use]
    pub fn credits(mut self, policy: CreditPolicy) -> Self {
        self.credits = policy;
        self
    }

    /// The analysis date.
    #[must_use]
    pub fn analysis_date(&self) -> Date {
        self.analysis_date
    }

    pub(crate) fn series<K: Debug>(
        &self,
        lookup: &impl CustomerLookup<K>,
        records: &[MrrRecord<K>],
    ) -> Result<MrrSeries> {
        MrrSeries::build(
            lookup,
            records,
            Period::Month.index(self.analysis_date),
            self.credits,
        )
    }
}
