//! Revenue retention per cohort from monthly MRR.

use std::fmt::Debug;

use crate::date::Period;
use crate::error::{Error, Result};

/// The most cells (cohorts x months) a revenue retention table may have.
const MAX_CELLS: usize = 1 << 24;
use crate::ids::CustomerLookup;
use crate::mrr_series::MrrParams;
use crate::records::MrrRecord;

use super::assign::Cohorts;

/// Revenue retention per cohort: MRR in month m after each customer's first paying month, over
/// the cohort's MRR in that first month; net (NRR: expansion counts) and gross (GRR: each
/// customer capped at its starting MRR).
///
/// ```text
/// start_i = first month with MRR > 0;  base(c, m) = sum of MRR_i(start_i) over members observable at m
/// nrr(c, m) = sum_i MRR_i(start_i + m) / base(c, m)      (missing months count as 0)
/// grr(c, m) = sum_i min(MRR_i(start_i + m), MRR_i(start_i)) / base(c, m)
/// ```
///
/// Reference: equals a pandas pivot of summed MRR by (first month, months since) over the
/// first-month sum.
///
/// ```
/// use saas_segmentation::cohort::RevenueRetention;
/// use saas_segmentation::economics::MrrParams;
/// use saas_segmentation::records::MrrRecord;
/// use saas_segmentation::{CustomerIndex, Date};
///
/// let m = |s: &str| format!("{s}-01").parse::<Date>();
/// let index = CustomerIndex::from_keys(["a", "b"])?;
/// let mrr = [
///     MrrRecord::new("a", m("2024-01")?, 100.0),
///     MrrRecord::new("a", m("2024-02")?, 150.0), // expansion
///     MrrRecord::new("b", m("2024-01")?, 100.0),
///     MrrRecord::new("b", m("2024-02")?, 0.0),   // churn
/// ];
/// let revenue = RevenueRetention::compute(&index, &mrr, &MrrParams::new(m("2024-02")?), None)?;
/// assert_eq!(revenue.net(0, 1), Some(0.75));
/// assert_eq!(revenue.gross(0, 1), Some(0.5));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RevenueRetention {
    labels: Vec<String>,
    sizes: Vec<u64>,
    months: usize,
    base: Vec<f64>,
    net: Vec<f64>,
    gross: Vec<f64>,
    /// Paying members (MRR > 0) per cell; empty in documents saved before it existed.
    #[cfg_attr(feature = "serde", serde(default))]
    active: Vec<u64>,
}

checked_serde!(RevenueRetention, RevenueRetention::check);

impl RevenueRetention {
    /// The invariants of a loaded table: one size per cohort, one cell per cohort and month in
    /// each table, money finite and non-negative, within the cell cap.
    fn check(&self) -> Result<()> {
        let k = self.labels.len();
        let cells = k.checked_mul(self.months).filter(|&c| c <= MAX_CELLS);
        let fits =
            |v: &[f64]| Some(v.len()) == cells && v.iter().all(|x| x.is_finite() && *x >= 0.0);
        if self.sizes.len() != k
            || !fits(&self.base)
            || !fits(&self.net)
            || !fits(&self.gross)
            || !(self.active.is_empty() || Some(self.active.len()) == cells)
        {
            return Err(Error::InvalidParameter {
                name: "RevenueRetention",
                reason: format!(
                    "{k} cohorts x {} months need {k} sizes and that many finite, non-negative \
                     cells in each table",
                    self.months
                ),
            });
        }
        Ok(())
    }
}

impl RevenueRetention {
    /// Computes revenue retention up to the month of the analysis date of `params` (that month
    /// counts as observed; negative MRR as its [`CreditPolicy`](crate::economics::CreditPolicy)
    /// says).
    /// Cohorts are the first paying month unless `cohorts` gives a caller key (customers in no
    /// cohort are then left out); months are counted from each customer's first paying month.
    ///
    /// # Errors
    /// [`Error::EmptyInput`](crate::Error::EmptyInput) without records,
    /// [`Error::UnknownCustomer`](crate::Error::UnknownCustomer),
    /// [`Error::NonFinite`](crate::Error::NonFinite),
    /// [`Error::OutOfRange`](crate::Error::OutOfRange) for a rejected negative MRR or a month after the
    /// analysis month, [`Error::DuplicateName`](crate::Error::DuplicateName) for two rows of one
    /// customer and month, [`Error::CustomerSetMismatch`](crate::Error::CustomerSetMismatch)
    /// when `cohorts` was built over another customer set,
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when cohorts x months exceed
    /// 2^24 cells.
    ///
    /// Memory: 32 bytes per cell (cohorts x months since the earliest first paying month), at
    /// most 2^24 cells (512 MiB), plus 40 bytes per paying customer.
    pub fn compute<K: Debug>(
        lookup: &impl CustomerLookup<K>,
        records: &[MrrRecord<K>],
        params: &MrrParams,
        cohorts: Option<&Cohorts>,
    ) -> Result<RevenueRetention> {
        if let Some(c) = cohorts {
            crate::universe::ensure_same(c, lookup, "customer lookup of the MRR records")?;
        }
        let analysis_month = Period::Month.index(params.analysis_date());
        let series = params.series(lookup, records)?;
        // Per customer: (cohort key, start month, start MRR, [(offset, mrr)]).
        struct Customer {
            key: i64,
            start: i32,
            start_mrr: f64,
            from: usize,
            to: usize,
        }
        let mut customers: Vec<Customer> = Vec::new();
        for c in 0..series.customers() {
            let (i, j) = (series.starts[c], series.starts[c + 1]);
            if let Some(first) = (i..j).find(|&r| series.values[r] > 0.0) {
                let key = match cohorts {
                    Some(k) => k
                        .cohort_of(crate::CustomerId(c as u32))
                        .map_or(-1, |k| k as i64),
                    None => i64::from(series.months[first]),
                };
                if key >= 0 {
                    customers.push(Customer {
                        key,
                        start: series.months[first],
                        start_mrr: series.values[first],
                        from: first,
                        to: j,
                    });
                }
            }
        }
        let (labels, sizes_len) = match cohorts {
            Some(c) => (c.labels().to_vec(), c.len()),
            None => {
                let mut keys: Vec<i64> = customers.iter().map(|c| c.key).collect();
                keys.sort_unstable();
                keys.dedup();
                for c in &mut customers {
                    c.key = keys.binary_search(&c.key).unwrap_or(0) as i64;
                }
                let labels = keys
                    .iter()
                    .map(|&k| {
                        Period::Month
                            .start_of_index(k as i32)
                            .map_or_else(|_| format!("month {k}"), |d| Period::Month.label(d))
                    })
                    .collect::<Vec<_>>();
                let len = labels.len();
                (labels, len)
            }
        };
        let months = customers
            .iter()
            .map(|c| (analysis_month - c.start + 1) as usize)
            .max()
            .unwrap_or(0);
        let k = sizes_len;
        // Four k x months tables of 8 bytes: cap the cells as the logo matrix does.
        if k.saturating_mul(months + 1) > MAX_CELLS {
            return Err(Error::InvalidParameter {
                name: "records",
                reason: format!(
                    "{k} cohorts x {months} months exceed {MAX_CELLS} cells: cohort by a \
                     coarser key, or drop MRR records from centuries before the analysis date"
                ),
            });
        }
        let mut sizes = vec![0u64; k];
        let mut reach = vec![0.0f64; k * (months + 1)];
        let mut net = vec![0.0f64; k * months];
        let mut gross = vec![0.0f64; k * months];
        let mut active = vec![0u64; k * months];
        for c in &customers {
            let key = c.key as usize;
            sizes[key] += 1;
            let horizon = (analysis_month - c.start) as usize;
            reach[key * (months + 1) + horizon] += c.start_mrr;
            for (&month, &mrr) in series.months[c.from..c.to]
                .iter()
                .zip(&series.values[c.from..c.to])
            {
                let m = (month - c.start) as usize;
                net[key * months + m] += mrr;
                gross[key * months + m] += mrr.min(c.start_mrr);
                active[key * months + m] += u64::from(mrr > 0.0);
            }
        }
        let mut base = vec![0.0f64; k * months];
        for key in 0..k {
            let mut running = 0.0;
            for m in (0..months).rev() {
                running += reach[key * (months + 1) + m];
                base[key * months + m] = running;
            }
        }
        Ok(RevenueRetention {
            labels,
            sizes,
            months,
            base,
            net,
            gross,
            active,
        })
    }

    /// Cohort labels.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Paying customers per cohort.
    #[must_use]
    pub fn sizes(&self) -> &[u64] {
        &self.sizes
    }

    /// Months after the first paying month covered (columns).
    #[must_use]
    pub fn months(&self) -> usize {
        self.months
    }

    fn cell(&self, cohort: usize, month: usize) -> Option<usize> {
        let i = (cohort < self.labels.len() && month < self.months)
            .then(|| cohort * self.months + month)?;
        (self.base[i] > 0.0).then_some(i)
    }

    /// Starting MRR of the members observable `month` months after their start; `None` where
    /// no member is observable yet (as [`RevenueRetention::net`]).
    #[must_use]
    pub fn base(&self, cohort: usize, month: usize) -> Option<f64> {
        self.cell(cohort, month).map(|i| self.base[i])
    }

    /// MRR of the cohort `month` months after each member's start; `None` where no member is
    /// observable yet.
    #[must_use]
    pub fn mrr(&self, cohort: usize, month: usize) -> Option<f64> {
        self.cell(cohort, month).map(|i| self.net[i])
    }

    /// Paying members (MRR above 0) of the cohort `month` months after their start; `None`
    /// where no member is observable yet (or the table was saved before this count existed).
    #[must_use]
    pub fn active(&self, cohort: usize, month: usize) -> Option<u64> {
        self.cell(cohort, month)
            .and_then(|i| self.active.get(i).copied())
    }

    /// Net revenue retention `month` months after the start (1 at month 0); `None` where no
    /// member is observable.
    #[must_use]
    pub fn net(&self, cohort: usize, month: usize) -> Option<f64> {
        self.cell(cohort, month).map(|i| self.net[i] / self.base[i])
    }

    /// Gross revenue retention (each member capped at its starting MRR).
    #[must_use]
    pub fn gross(&self, cohort: usize, month: usize) -> Option<f64> {
        self.cell(cohort, month)
            .map(|i| self.gross[i] / self.base[i])
    }

    /// Net revenue retention per cohort at `month` (12 for the usual annual NRR).
    #[must_use]
    pub fn nrr_at(&self, month: usize) -> Vec<Option<f64>> {
        (0..self.labels.len()).map(|c| self.net(c, month)).collect()
    }

    /// Gross revenue retention per cohort at `month`.
    #[must_use]
    pub fn grr_at(&self, month: usize) -> Vec<Option<f64>> {
        (0..self.labels.len())
            .map(|c| self.gross(c, month))
            .collect()
    }

    /// Starting-MRR-weighted average of net retention over cohorts that reached each month.
    #[must_use]
    pub fn average_net(&self) -> Vec<Option<f64>> {
        self.average(&self.net)
    }

    /// Starting-MRR-weighted average of gross retention over cohorts that reached each month.
    #[must_use]
    pub fn average_gross(&self) -> Vec<Option<f64>> {
        self.average(&self.gross)
    }

    fn average(&self, values: &[f64]) -> Vec<Option<f64>> {
        (0..self.months)
            .map(|m| {
                let (v, b) = (0..self.labels.len()).fold((0.0, 0.0), |(v, b), c| {
                    let i = c * self.months + m;
                    (v + values[i], b + self.base[i])
                });
                (b > 0.0).then(|| v / b)
            })
            .collect()
    }
}
