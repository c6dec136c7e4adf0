//! The retention matrix: retained customers and eligible members per cohort and period.

use std::fmt::Debug;

use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::records::CustomerDate;

use super::assign::Cohorts;
use super::counts::RetentionCounts;
use super::retention::{RetentionMode, RetentionParams, RetentionReport};

/// A cohort x period retention matrix: for each cohort and period after signup, how many
/// members were retained and how many could have been (members whose period had ended by the
/// analysis date). Cells nobody could reach yet are `None`, never 0.
///
/// ```text
/// rate(c, p)        = retained(c, p) / eligible(c, p)         (None when eligible = 0)
/// of_previous(c, p) = rate(c, p) / rate(c, p - 1)
/// average(p)        = sum_c retained(c, p) / sum_c eligible(c, p)   (cohorts that reached p)
/// ```
///
/// Reference: with calendar cohorts the rates equal a pandas pivot of distinct customers per
/// (cohort, period) over cohort size.
///
/// Loading through `Deserialize` checks the shape (one cell per cohort and period, at most
/// 65,536 periods) and that no cell retains more members than it could observe, or observes
/// more than the cohort has.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RetentionMatrix {
    pub(crate) mode: RetentionMode,
    pub(crate) labels: Vec<String>,
    pub(crate) sizes: Vec<u64>,
    pub(crate) periods: usize,
    pub(crate) retained: Vec<u64>,
    pub(crate) eligible: Vec<u64>,
    pub(crate) report: RetentionReport,
}

/// One cell of a retention matrix, as a row for a heatmap.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionCell {
    /// Cohort position.
    pub cohort: usize,
    /// Cohort label.
    pub label: String,
    /// Period after signup.
    pub period: usize,
    /// Members retained.
    pub retained: u64,
    /// Members that could be observed in the period.
    pub eligible: u64,
    /// `retained / eligible`, `None` when nobody could be observed.
    pub rate: Option<f64>,
}

checked_serde!(RetentionMatrix, RetentionMatrix::check);

impl RetentionMatrix {
    /// The invariants of a loaded matrix.
    fn check(&self) -> Result<()> {
        let k = self.labels.len();
        if self.sizes.len() != k {
            return Err(Error::LengthMismatch {
                what: "retention matrix sizes (one per cohort)",
                expected: k,
                found: self.sizes.len(),
            });
        }
        if self.periods > super::retention::MAX_PERIODS {
            return Err(Error::InvalidParameter {
                name: "periods",
                reason: format!(
                    "{} periods: a retention matrix has at most {}",
                    self.periods,
                    super::retention::MAX_PERIODS
                ),
            });
        }
        let cells = k * self.periods;
        for (values, what) in [(&self.retained, "retained"), (&self.eligible, "eligible")] {
            if values.len() != cells {
                return Err(Error::LengthMismatch {
                    what: if what == "retained" {
                        "retention matrix retained cells (cohorts x periods)"
                    } else {
                        "retention matrix eligible cells (cohorts x periods)"
                    },
                    expected: cells,
                    found: values.len(),
                });
            }
        }
        for c in 0..k {
            for p in 0..self.periods {
                let i = c * self.periods + p;
                if self.retained[i] > self.eligible[i] || self.eligible[i] > self.sizes[c] {
                    return Err(Error::InvalidParameter {
                        name: "retention matrix",
                        reason: format!(
                            "cohort {c} period {p}: {} retained of {} eligible of {} members",
                            self.retained[i], self.eligible[i], self.sizes[c]
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Computes the matrix in one call: counts of `records` for `cohorts` under `params`. With
    /// the `parallel` feature, inputs of 2^20 records or more are scanned in one chunk per rayon
    /// thread and merged; the result is the serial one.
    ///
    /// # Errors
    /// As [`RetentionCounts::new`] and [`RetentionCounts::add`].
    ///
    /// ```
    /// use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
    /// use saas_segmentation::{CustomerIndex, Date, Period};
    ///
    /// let d = |s: &str| s.parse::<Date>();
    /// let index = CustomerIndex::from_keys(["a", "b", "c"])?;
    /// let signups = [("a", d("2024-01-10")?), ("b", d("2024-01-20")?), ("c", d("2024-02-03")?)];
    /// let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month))?;
    /// let activity = [("a", d("2024-02-11")?), ("a", d("2024-03-01")?), ("c", d("2024-03-09")?)];
    /// let params = RetentionParams::new(d("2024-03-31")?);
    /// let matrix = RetentionMatrix::compute(&index, &cohorts, &activity, &params)?;
    /// assert_eq!(matrix.labels(), ["2024-01", "2024-02"]);
    /// assert_eq!(matrix.rate(0, 1), Some(0.5)); // a came back in February
    /// assert_eq!(matrix.rate(1, 1), Some(1.0)); // c came back in March
    /// assert_eq!(matrix.rate(1, 2), None);      // April is not over
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    pub fn compute<K: Debug + Sync, R: CustomerDate<K> + Sync>(
        lookup: &(impl CustomerLookup<K> + Sync),
        cohorts: &Cohorts,
        records: &[R],
        params: &RetentionParams,
    ) -> Result<RetentionMatrix> {
        crate::universe::ensure_same(cohorts, lookup, "customer lookup of the records")?;
        let mut counts = RetentionCounts::new(cohorts, params)?;
        counts.scan_all(lookup, records)?;
        Ok(counts.matrix(params.mode))
    }

    /// What was done with the activity records: how many were read, and how many were
    /// dropped (before signup, after the analysis date, unknown customer) or not observable,
    /// so nothing is left out silently.
    #[must_use]
    pub fn report(&self) -> &RetentionReport {
        &self.report
    }

    /// The mode the cells count.
    #[must_use]
    pub fn mode(&self) -> RetentionMode {
        self.mode
    }

    /// Cohort labels (rows).
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Cohort sizes.
    #[must_use]
    pub fn sizes(&self) -> &[u64] {
        &self.sizes
    }

    /// The number of periods (columns): up to the last one any member could be observed in.
    #[must_use]
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// Members of cohort `cohort` retained in `period`; `None` where nobody could be observed
    /// yet or outside the matrix (as [`RetentionMatrix::rate`]).
    #[must_use]
    pub fn retained(&self, cohort: usize, period: usize) -> Option<u64> {
        let i = self.cell(cohort, period)?;
        (self.eligible[i] > 0).then(|| self.retained[i])
    }

    /// Members of cohort `cohort` observable in `period` (0 where nobody is yet, and outside
    /// the matrix).
    #[must_use]
    pub fn eligible(&self, cohort: usize, period: usize) -> u64 {
        self.cell(cohort, period).map_or(0, |i| self.eligible[i])
    }

    fn cell(&self, cohort: usize, period: usize) -> Option<usize> {
        (cohort < self.labels.len() && period < self.periods)
            .then(|| cohort * self.periods + period)
    }

    /// The share of observable members retained; `None` where nobody could be observed yet.
    #[must_use]
    pub fn rate(&self, cohort: usize, period: usize) -> Option<f64> {
        let i = self.cell(cohort, period)?;
        (self.eligible[i] > 0).then(|| self.retained[i] as f64 / self.eligible[i] as f64)
    }

    /// The rate as a share of the previous period's rate (`None` in period 0, where either is
    /// unobservable, or after a period with no one retained).
    #[must_use]
    pub fn of_previous(&self, cohort: usize, period: usize) -> Option<f64> {
        let previous = self.rate(cohort, period.checked_sub(1)?)?;
        let current = self.rate(cohort, period)?;
        (previous > 0.0).then(|| current / previous)
    }

    /// The weighted average curve: per period, retained over observable members summed over the
    /// cohorts that reached it; `None` where none did.
    #[must_use]
    pub fn average(&self) -> Vec<Option<f64>> {
        (0..self.periods)
            .map(|p| {
                let (r, e) = (0..self.labels.len()).fold((0u64, 0u64), |(r, e), c| {
                    let i = c * self.periods + p;
                    (r + self.retained[i], e + self.eligible[i])
                });
                (e > 0).then(|| r as f64 / e as f64)
            })
            .collect()
    }

    /// The rates as a dense table, rows = cohorts, `None` where unobservable.
    #[must_use]
    pub fn rates(&self) -> Vec<Vec<Option<f64>>> {
        (0..self.labels.len())
            .map(|c| (0..self.periods).map(|p| self.rate(c, p)).collect())
            .collect()
    }

    /// Every cell as a row for a heatmap, cohort-major.
    #[must_use]
    pub fn cells(&self) -> Vec<RetentionCell> {
        let mut out = Vec::with_capacity(self.retained.len());
        for (c, label) in self.labels.iter().enumerate() {
            for p in 0..self.periods {
                let i = c * self.periods + p;
                out.push(RetentionCell {
                    cohort: c,
                    label: label.clone(),
                    period: p,
                    retained: self.retained[i],
                    eligible: self.eligible[i],
                    rate: self.rate(c, p),
                });
            }
        }
        out
    }
}
