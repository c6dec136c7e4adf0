//! Per-segment summaries and plot-ready grids of an RFM analysis.

use crate::error::{Error, Result};
use crate::rfm::score::RfmScores;
use crate::rfm::table::RfmTable;
use crate::segmentation::Segmentation;

/// One segment's row of the summary table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentSummary {
    /// Segment name.
    pub name: String,
    /// Customers in the segment.
    pub customers: usize,
    /// Share of all customers.
    pub customer_share: f64,
    /// Purchases of its customers.
    pub orders: u64,
    /// Monetary value of its customers.
    pub revenue: f64,
    /// Share of all revenue; `None` when total revenue is 0.
    pub revenue_share: Option<f64>,
    /// Revenue per order; `None` without orders.
    pub average_order_value: Option<f64>,
    /// Median recency in days; `None` for an empty segment.
    pub median_recency: Option<f64>,
    /// Median frequency; `None` for an empty segment.
    pub median_frequency: Option<f64>,
    /// Median monetary value; `None` for an empty segment.
    pub median_monetary: Option<f64>,
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Per-segment customers, orders, revenue, shares, average order value and median R, F, M
/// (as R `rfm`'s `rfm_segment_summary` and its median plots). Unassigned customers are left
/// out of every row but counted in the shares' totals.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the segmentation is not over the table's customer set.
pub fn segment_summary<K>(
    table: &RfmTable<K>,
    segmentation: &Segmentation,
) -> Result<Vec<SegmentSummary>> {
    segmentation.ensure_same(table, "RFM table")?;
    let count = segmentation.segment_count();
    let mut recency = vec![Vec::new(); count];
    let mut frequency = vec![Vec::new(); count];
    let mut monetary = vec![Vec::new(); count];
    let mut orders = vec![0u64; count];
    let mut revenue = vec![0.0; count];
    let mut total_revenue = 0.0;
    for (row, (_, summary)) in table.iter().enumerate() {
        total_revenue += summary.monetary;
        let label = table
            .customer(row)
            .and_then(|id| segmentation.segment_of(id));
        if let Some(s) = label {
            recency[s].push(summary.recency_days as f64);
            frequency[s].push(f64::from(summary.frequency));
            monetary[s].push(summary.monetary);
            orders[s] += u64::from(summary.frequency);
            revenue[s] += summary.monetary;
        }
    }
    let total = table.len() as f64;
    Ok((0..count)
        .map(|s| SegmentSummary {
            name: segmentation.segments()[s].name().to_owned(),
            customers: recency[s].len(),
            customer_share: recency[s].len() as f64 / total,
            orders: orders[s],
            revenue: revenue[s],
            revenue_share: (total_revenue != 0.0).then(|| revenue[s] / total_revenue),
            average_order_value: (orders[s] > 0).then(|| revenue[s] / orders[s] as f64),
            median_recency: median(&mut recency[s]),
            median_frequency: median(&mut frequency[s]),
            median_monetary: median(&mut monetary[s]),
        })
        .collect())
}

/// The recency x frequency grid of customer counts and mean monetary value, for a heatmap.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RfGrid {
    recency_bins: usize,
    frequency_bins: usize,
    counts: Vec<usize>,
    mean_monetary: Vec<Option<f64>>,
}

checked_serde!(RfGrid, RfGrid::check);

impl RfGrid {
    /// The invariants of a loaded grid: one count and one mean per cell.
    fn check(&self) -> crate::error::Result<()> {
        let cells = self.recency_bins.checked_mul(self.frequency_bins);
        if self.recency_bins > 255
            || self.frequency_bins > 255
            || cells != Some(self.counts.len())
            || self.mean_monetary.len() != self.counts.len()
            || self.mean_monetary.iter().flatten().any(|m| !m.is_finite())
        {
            return Err(crate::Error::InvalidParameter {
                name: "RfGrid",
                reason: format!(
                    "{} x {} bins (at most 255 each) need as many counts and means, found {} \
                     and {} (means finite)",
                    self.recency_bins,
                    self.frequency_bins,
                    self.counts.len(),
                    self.mean_monetary.len()
                ),
            });
        }
        Ok(())
    }
}

impl RfGrid {
    /// Builds the grid from a table and its scores.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the scores do not belong to the table.
    pub fn new<K>(table: &RfmTable<K>, scores: &RfmScores) -> Result<Self> {
        if scores.len() != table.len() {
            return Err(Error::LengthMismatch {
                what: "scores",
                expected: table.len(),
                found: scores.len(),
            });
        }
        let [rb, fb, _] = scores.bins();
        let mut counts = vec![0usize; rb * fb];
        let mut sums = vec![0.0; rb * fb];
        for (i, (_, summary)) in table.iter().enumerate() {
            let (r, f) = (scores.recency().scores()[i], scores.frequency().scores()[i]);
            // Scores are 1..=bins by construction; the check keeps a hand-edited deserialized
            // value from panicking.
            if (1..=rb).contains(&usize::from(r)) && (1..=fb).contains(&usize::from(f)) {
                let cell = (usize::from(r) - 1) * fb + usize::from(f) - 1;
                counts[cell] += 1;
                sums[cell] += summary.monetary;
            }
        }
        let mean_monetary = counts
            .iter()
            .zip(&sums)
            .map(|(&c, &s)| (c > 0).then(|| s / c as f64))
            .collect();
        Ok(RfGrid {
            recency_bins: rb,
            frequency_bins: fb,
            counts,
            mean_monetary,
        })
    }

    /// Customers with recency score `r` and frequency score `f` (1-based); 0 off the grid.
    #[must_use]
    pub fn count(&self, r: u8, f: u8) -> usize {
        self.index(r, f).map_or(0, |i| self.counts[i])
    }

    /// Mean monetary value of the cell; `None` when empty or off the grid.
    #[must_use]
    pub fn mean_monetary(&self, r: u8, f: u8) -> Option<f64> {
        self.index(r, f).and_then(|i| self.mean_monetary[i])
    }

    /// Rows for plotting: (recency score, frequency score, customers, mean monetary).
    #[must_use]
    pub fn cells(&self) -> Vec<(u8, u8, usize, Option<f64>)> {
        let mut out = Vec::with_capacity(self.counts.len());
        for r in 1..=self.recency_bins as u8 {
            for f in 1..=self.frequency_bins as u8 {
                out.push((r, f, self.count(r, f), self.mean_monetary(r, f)));
            }
        }
        out
    }

    fn index(&self, r: u8, f: u8) -> Option<usize> {
        let (r, f) = (usize::from(r), usize::from(f));
        (r >= 1 && f >= 1 && r <= self.recency_bins && f <= self.frequency_bins)
            .then(|| (r - 1) * self.frequency_bins + f - 1)
    }
}
