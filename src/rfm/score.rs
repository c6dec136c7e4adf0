//! Scores 1..=n per RFM dimension under a [`Binning`] policy.

use std::fmt;

use crate::engine::money::from_micros;
use crate::engine::select::{min_max, select_in, Bucketizer};
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::rfm::segments::RfmSegmentTable;
use crate::rfm::table::RfmTable;
use crate::segmentation::Segmentation;
use crate::universe::{CustomerSet, Universe};

/// How one dimension's values become scores `1..=bins` (higher is better; recency is scored in
/// reverse, so the most recent customers score highest).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Binning {
    /// Quantile bins where equal values always share a score (default, 5 bins): a customer
    /// gets the bin its lowest rank among equal values would get under
    /// [`Binning::RankFirst`]. Ties never split, so bins can be uneven or empty; empty bins are
    /// reported.
    TiesShare {
        /// Number of bins, 2 to 10.
        bins: u8,
    },
    /// Equal-count bins over ranks with ties broken by customer key: exactly pandas 3
    /// `qcut(rank(method="first"), bins)` over customers sorted by key.
    RankFirst {
        /// Number of bins, 2 to 10.
        bins: u8,
    },
    /// R `rfm`'s thresholds: type-7 quantiles of the values at `k / bins`, plus 1, as
    /// half-open intervals `[lower, upper)` (R `rfm` 0.3 `rfm_table_order`).
    RQuantile {
        /// Number of bins, 2 to 10.
        bins: u8,
    },
    /// Caller thresholds in the dimension's units (days, purchases, money), strictly
    /// increasing: score 1 below the first, `k + 1` from threshold `k` on (before the reversal
    /// for recency). `thresholds.len() + 1` bins, 2 to 10.
    Fixed {
        /// Cut points, strictly increasing.
        thresholds: Vec<f64>,
    },
}

impl Default for Binning {
    fn default() -> Self {
        Binning::TiesShare { bins: 5 }
    }
}

impl Binning {
    /// The number of bins.
    #[must_use]
    pub fn bins(&self) -> usize {
        match self {
            Binning::TiesShare { bins }
            | Binning::RankFirst { bins }
            | Binning::RQuantile { bins } => usize::from(*bins),
            Binning::Fixed { thresholds } => thresholds.len() + 1,
        }
    }

    /// Checks the number of bins and the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bins outside 2..=10, or thresholds that are not finite
    /// and strictly increasing.
    pub fn validate(&self, dimension: Dimension) -> Result<()> {
        let bins = self.bins();
        if !(2..=10).contains(&bins) {
            return Err(Error::InvalidParameter {
                name: "bins",
                reason: format!("{dimension} asks for {bins} bins; use 2 to 10"),
            });
        }
        if let Binning::Fixed { thresholds } = self {
            if let Some(t) = thresholds.iter().find(|t| !t.is_finite()) {
                return Err(Error::InvalidParameter {
                    name: "thresholds",
                    reason: format!("{dimension} threshold {t} is not finite"),
                });
            }
            if let Some(w) = thresholds.windows(2).find(|w| w[0] >= w[1]) {
                return Err(Error::InvalidParameter {
                    name: "thresholds",
                    reason: format!(
                        "{dimension} thresholds must be strictly increasing, but {} is followed by {}",
                        w[0], w[1]
                    ),
                });
            }
        }
        Ok(())
    }
}

/// One of the three RFM dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Dimension {
    /// Recency, scored in reverse.
    Recency,
    /// Frequency.
    Frequency,
    /// Monetary value.
    Monetary,
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Recency => "recency",
            Dimension::Frequency => "frequency",
            Dimension::Monetary => "monetary",
        })
    }
}

/// The binning of each dimension; default: ties share a score, 5 bins each.
///
/// Loading through `Deserialize` runs [`ScoreParams::validate`].
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ScoreParams {
    recency: Binning,
    frequency: Binning,
    monetary: Binning,
}

checked_serde!(ScoreParams, ScoreParams::validate);

impl ScoreParams {
    /// The same binning for all three dimensions.
    #[must_use]
    pub fn uniform(binning: Binning) -> Self {
        ScoreParams {
            recency: binning.clone(),
            frequency: binning.clone(),
            monetary: binning,
        }
    }

    /// The recency binning. Default: `TiesShare { bins: 5 }`.
    #[must_use]
    pub fn recency(mut self, binning: Binning) -> Self {
        self.recency = binning;
        self
    }

    /// The frequency binning. Default: `TiesShare { bins: 5 }`.
    #[must_use]
    pub fn frequency(mut self, binning: Binning) -> Self {
        self.frequency = binning;
        self
    }

    /// The monetary binning. Default: `TiesShare { bins: 5 }`.
    #[must_use]
    pub fn monetary(mut self, binning: Binning) -> Self {
        self.monetary = binning;
        self
    }

    /// Checks all three binnings.
    ///
    /// # Errors
    /// As [`Binning::validate`].
    pub fn validate(&self) -> Result<()> {
        self.recency.validate(Dimension::Recency)?;
        self.frequency.validate(Dimension::Frequency)?;
        self.monetary.validate(Dimension::Monetary)
    }

    /// Bins of (recency, frequency, monetary).
    #[must_use]
    pub fn bins(&self) -> [usize; 3] {
        [
            self.recency.bins(),
            self.frequency.bins(),
            self.monetary.bins(),
        ]
    }
}

/// One score's bin: how many customers it holds and the range of their values.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bin {
    /// The score.
    pub score: u8,
    /// Customers with this score.
    pub customers: usize,
    /// Smallest value with this score (`None` when the bin is empty).
    pub min: Option<f64>,
    /// Largest value with this score (`None` when the bin is empty).
    pub max: Option<f64>,
}

/// Scores of one dimension with the bins and thresholds that produced them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DimensionScores {
    dimension: Dimension,
    scores: Vec<u8>,
    bins: Vec<Bin>,
    thresholds: Vec<f64>,
}

impl DimensionScores {
    /// The dimension.
    #[must_use]
    pub fn dimension(&self) -> Dimension {
        self.dimension
    }

    /// One score per customer, in the table's key order.
    #[must_use]
    pub fn scores(&self) -> &[u8] {
        &self.scores
    }

    /// Every bin, by score 1..=n, with its count and value range.
    #[must_use]
    pub fn bins(&self) -> &[Bin] {
        &self.bins
    }

    /// The cut points used, in the dimension's units (ascending values): for rank binnings the
    /// largest value of each bin but the last in value order, for [`Binning::RQuantile`] and
    /// [`Binning::Fixed`] the thresholds.
    #[must_use]
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Scores no customer received (collapsed by ties or by thresholds outside the data).
    #[must_use]
    pub fn empty_bins(&self) -> Vec<u8> {
        self.bins
            .iter()
            .filter(|b| b.customers == 0)
            .map(|b| b.score)
            .collect()
    }
}

/// R, F and M scores of every customer of an [`RfmTable`], in its key order, tied to the
/// table's customer set ([`RfmScores::customer`] names the customer of each position).
///
/// Loading through `Deserialize` checks one score per position in each dimension, scores within their bins, the dimensions in order, and one distinct customer of the set per position.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RfmScores {
    universe: Universe,
    /// The dense id of each position; `None` when position `i` is customer `i`.
    ids: Option<Vec<CustomerId>>,
    recency: DimensionScores,
    frequency: DimensionScores,
    monetary: DimensionScores,
}

checked_serde!(RfmScores, RfmScores::check);

impl RfmScores {
    /// The invariants of loaded scores.
    fn check(&self) -> Result<()> {
        let n = self.recency.scores.len();
        for (scores, dimension) in [
            (&self.recency, Dimension::Recency),
            (&self.frequency, Dimension::Frequency),
            (&self.monetary, Dimension::Monetary),
        ] {
            if scores.dimension != dimension {
                return Err(Error::InvalidParameter {
                    name: "RFM scores",
                    reason: format!(
                        "{:?} scores stand where the {dimension:?} scores belong",
                        scores.dimension
                    ),
                });
            }
            if scores.scores.len() != n {
                return Err(Error::LengthMismatch {
                    what: "RFM scores (one per position in every dimension)",
                    expected: n,
                    found: scores.scores.len(),
                });
            }
            let bins = scores.bins.len();
            if let Some(&bad) = scores
                .scores
                .iter()
                .find(|&&v| v == 0 || usize::from(v) > bins)
            {
                return Err(Error::InvalidParameter {
                    name: "RFM scores",
                    reason: format!("{dimension:?} score {bad} outside 1 to {bins}"),
                });
            }
            if scores.thresholds.iter().any(|t| t.is_nan()) {
                return Err(Error::InvalidParameter {
                    name: "RFM scores",
                    reason: format!("a {dimension:?} threshold is NaN"),
                });
            }
        }
        match &self.ids {
            None if n > self.universe.len() => Err(Error::LengthMismatch {
                what: "RFM score positions (at most one per customer)",
                expected: self.universe.len(),
                found: n,
            }),
            None => Ok(()),
            Some(ids) if ids.len() != n => Err(Error::LengthMismatch {
                what: "RFM score customers (one per position)",
                expected: n,
                found: ids.len(),
            }),
            Some(ids) => crate::universe::check_ids(self.universe, ids, "customer", "RFM position"),
        }
    }

    /// Scores the customers of `table`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the params do not validate; [`Error::EmptyInput`] for
    /// an empty table.
    pub fn new<K: Sync>(table: &RfmTable<K>, params: &ScoreParams) -> Result<Self> {
        params.validate()?;
        if table.is_empty() {
            return Err(Error::EmptyInput {
                what: "RFM table",
                item: "customer",
            });
        }
        // One pass over the table for all three dimensions' values.
        let (recency_values, frequency_values, monetary_values) = table.dimension_values();
        let recency = || score_dimension(Dimension::Recency, &recency_values, &params.recency, 1.0);
        let frequency = || {
            score_dimension(
                Dimension::Frequency,
                &frequency_values,
                &params.frequency,
                1.0,
            )
        };
        let monetary = || {
            score_dimension(
                Dimension::Monetary,
                &monetary_values,
                &params.monetary,
                1e-6,
            )
        };
        // The three dimensions are independent: with the `parallel` feature they are scored at
        // once (the same results, more memory at a time).
        // With one thread the pool is left asleep: handing it the work and waking it costs more
        // than it gives.
        let (recency, frequency, monetary) =
            crate::engine::par::join3(recency, frequency, monetary);
        Ok(RfmScores {
            universe: table.universe(),
            ids: table.row_ids().map(<[CustomerId]>::to_vec),
            recency,
            frequency,
            monetary,
        })
    }

    /// The customer set of the scored table.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// The dense id of the customer at position `i` (the table's key order), `None` past the
    /// end.
    #[must_use]
    pub fn customer(&self, i: usize) -> Option<CustomerId> {
        if i >= self.len() {
            return None;
        }
        Some(match &self.ids {
            Some(ids) => ids.get(i).copied()?,
            None => CustomerId(i as u32),
        })
    }

    /// The customers named by `table` as a [`Segmentation`] of the scored customer set: each
    /// scored customer in the segment of its cell, customers without a score (no purchase, no
    /// row) in no segment. The same as [`RfmSegmentTable::apply`].
    ///
    /// # Errors
    /// As [`RfmSegmentTable::apply`].
    pub fn segmentation(&self, table: &RfmSegmentTable) -> Result<Segmentation> {
        table.apply(self)
    }

    /// Recency scores.
    #[must_use]
    pub fn recency(&self) -> &DimensionScores {
        &self.recency
    }

    /// Frequency scores.
    #[must_use]
    pub fn frequency(&self) -> &DimensionScores {
        &self.frequency
    }

    /// Monetary scores.
    #[must_use]
    pub fn monetary(&self) -> &DimensionScores {
        &self.monetary
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.recency.scores.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.recency.scores.is_empty()
    }

    /// Bins of (recency, frequency, monetary).
    #[must_use]
    pub fn bins(&self) -> [usize; 3] {
        [
            self.recency.bins.len(),
            self.frequency.bins.len(),
            self.monetary.bins.len(),
        ]
    }

    /// The (R, F, M) cell of customer `i` (key order), `None` past the end.
    #[must_use]
    pub fn cell(&self, i: usize) -> Option<[u8; 3]> {
        Some([
            *self.recency.scores.get(i)?,
            *self.frequency.scores.get(i)?,
            *self.monetary.scores.get(i)?,
        ])
    }
}

/// Scores of a plain list of values by rank-first quantiles: score 1 for the lowest bin to
/// `bins` for the highest, as pandas'
/// `pd.qcut(pd.Series(values).rank(method="first"), bins, labels=False) + 1`: equal values are
/// ranked by position (the first one lower), and fewer values than bins are still scored,
/// spread over the bins as pandas spreads them (3 values in 5 bins score 1, 3 and 5).
///
/// The RFM scores use the same binning over customers in key order
/// ([`Binning::RankFirst`]); this is for any other per-customer value (a health score, a
/// predicted CLV) listed in the order its ties should break.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 2 values (pandas' edges would not be unique) or
/// 0 bins; [`Error::NonFinite`] naming the first NaN or infinite
/// value.
pub fn rank_first_scores(values: &[f64], bins: u8) -> Result<Vec<u8>> {
    crate::stats::ensure_all_finite(values, "value")?;
    let n = values.len();
    if n < 2 || bins == 0 {
        return Err(Error::InvalidParameter {
            name: if bins == 0 { "bins" } else { "values" },
            reason: format!(
                "{n} values in {bins} bins: give at least 2 values and 1 bin (pandas' qcut \
                 needs distinct edges)"
            ),
        });
    }
    let q = usize::from(bins);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let edges = qcut_edges(n, q);
    let mut scores = vec![0u8; n];
    for (rank0, &i) in order.iter().enumerate() {
        let rank = (rank0 + 1) as f64;
        // Right-closed bins, the first including its left edge: the bin is the number of
        // inner edges below the rank.
        let bin = edges[1..q].partition_point(|&edge| edge < rank);
        scores[i] = (bin + 1) as u8;
    }
    Ok(scores)
}

/// Bin edges of pandas `qcut(ranks, q)` for ranks `1..=n`, computed with the same floating
/// point steps as pandas 3 and numpy 2 (`linspace`, qcut's round-up of quantiles that are not
/// exact in base 2, `np.quantile`'s linear `_lerp`), so ranks on an edge land where pandas puts
/// them.
fn qcut_edges(n: usize, q: usize) -> Vec<f64> {
    let step = 1.0 / q as f64;
    (0..=q)
        .map(|k| {
            let mut p = if k == q { 1.0 } else { k as f64 * step };
            if q as f64 * p != k as f64 {
                // np.nextafter(p, 1) for 0 < p < 1.
                p = f64::from_bits(p.to_bits() + 1);
            }
            let virtual_index = (n - 1) as f64 * p;
            if virtual_index >= (n - 1) as f64 {
                return n as f64;
            }
            let below = virtual_index.floor();
            let gamma = virtual_index - below;
            let a = below + 1.0;
            let b = a + 1.0;
            let diff = b - a;
            if gamma >= 0.5 {
                b - diff * (1.0 - gamma)
            } else {
                a + diff * gamma
            }
        })
        .collect()
}

/// R's `quantile(x, probs, type = 7)` at `k / bins`, `k = 0..=bins`, of `n` values whose
/// `i`-th smallest (0-based) is `at(i)`.
fn r_quantiles(n: usize, bins: usize, mut at: impl FnMut(usize) -> f64) -> Vec<f64> {
    let by = 1.0 / bins as f64;
    (0..=bins)
        .map(|k| {
            let p = if k == bins { 1.0 } else { k as f64 * by };
            let index = 1.0 + (n - 1) as f64 * p;
            let lo = index.floor();
            let hi = index.ceil();
            let x_lo = at(lo as usize - 1);
            let x_hi = at((hi as usize - 1).min(n - 1));
            if index > lo && x_hi != x_lo {
                let h = index - lo;
                (1.0 - h) * x_lo + h * x_hi
            } else {
                x_lo
            }
        })
        .collect()
}

/// The ranks `r_quantiles` reads.
fn r_quantile_ranks(n: usize, bins: usize) -> Vec<usize> {
    let mut ranks = Vec::with_capacity(2 * bins + 2);
    r_quantiles(n, bins, |i| {
        ranks.push(i);
        0.0
    });
    ranks
}

/// The last rank (exclusive) of each of bins `1..q` under rank-first binning: pandas puts
/// rank `r` (1-based) in the first bin whose upper edge is at least `r`.
fn rank_first_ends(n: usize, q: usize) -> Vec<usize> {
    let edges = qcut_edges(n, q);
    let mut start = 0;
    edges[1..q]
        .iter()
        .map(|&limit| {
            let floor = limit.floor();
            start = if floor >= n as f64 {
                n
            } else {
                (floor as usize).max(start)
            };
            start
        })
        .collect()
}

fn score_dimension(
    dimension: Dimension,
    values: &[i64],
    binning: &Binning,
    unit: f64,
) -> DimensionScores {
    let n = values.len();
    let q = binning.bins();
    let natural = |v: i64| {
        if unit == 1.0 {
            v as f64
        } else {
            from_micros(v)
        }
    };
    let (min, max) = min_max(values).unwrap_or((0, 0));
    // Raw bin -> score: lower recency is better, so its scores are reversed.
    let label: Vec<u8> = (0..=q)
        .map(|bin| match dimension {
            Dimension::Recency if bin > 0 => (q + 1 - bin) as u8,
            _ => bin as u8,
        })
        .collect();
    let mut scores = vec![0u8; n];
    let mut thresholds = Vec::new();
    // Each binning is decided by a few order statistics (the elements at the bin edges), found
    // in linear time: no full sort of the values. Every binning is monotone in (value,
    // position), so bin b holds the places [starts[b], starts[b + 1]) of that order.
    let mut starts = vec![0usize; q + 1];
    // Each bin's first and last element, when the binning finds them with its cuts.
    let mut edges_found = None;
    match binning {
        Binning::RankFirst { .. } => {
            // A customer at 0-based place p is in bin 1 + #{k : p >= end_k}, and p >= end_k
            // exactly when its (value, position) is at least the element at place end_k.
            starts[1..q].copy_from_slice(&rank_first_ends(n, q));
            starts[q] = n;
            let always = starts[1..q].iter().filter(|&&e| e == 0).count();
            let inner: Vec<usize> = starts[1..q]
                .iter()
                .copied()
                .filter(|&e| e > 0 && e < n)
                .collect();
            // The cuts and, in the same selection, each bin's first and last element.
            let mut ranks = inner.clone();
            ranks.extend(bin_bounds(&starts));
            let found = select_in(values, min, max, &ranks);
            let cuts = found[..inner.len()]
                .iter()
                .map(|&(v, i)| (v, u64::from(i)))
                .collect();
            Bucketizer::new(min, max, cuts, 1 + always).assign(values, &label, &mut scores);
            edges_found = Some(found[inner.len()..].to_vec());
        }
        Binning::TiesShare { .. } => {
            // A value's rank is 1 + the number of smaller values, c; it is above edge e_k
            // (e_k < c + 1) exactly when c >= floor(e_k) = m, that is when the value exceeds the
            // m-th smallest value.
            let edges = qcut_edges(n, q);
            let floors: Vec<usize> = edges[1..q].iter().map(|e| e.floor() as usize).collect();
            let always = floors.iter().filter(|&&m| m == 0).count();
            let inner: Vec<usize> = floors
                .iter()
                .filter(|&&m| m > 0 && m < n)
                .map(|&m| m - 1)
                .collect();
            let cuts = select_in(values, min, max, &inner)
                .iter()
                .map(|&(v, _)| (v, u64::from(u32::MAX) + 1))
                .collect();
            Bucketizer::new(min, max, cuts, 1 + always).assign(values, &label, &mut scores);
        }
        Binning::RQuantile { .. } | Binning::Fixed { .. } => {
            thresholds = if let Binning::Fixed { thresholds } = binning {
                thresholds.clone()
            } else {
                let ranks = r_quantile_ranks(n, q);
                let found = select_in(values, min, max, &ranks);
                let at = |i: usize| {
                    let k = ranks.iter().position(|&r| r == i).unwrap_or(0);
                    natural(found[k].0)
                };
                let quantiles = r_quantiles(n, q, at);
                quantiles[1..q].iter().map(|t| t + 1.0).collect()
            };
            for (&v, slot) in values.iter().zip(scores.iter_mut()) {
                let x = natural(v);
                *slot = label[1 + thresholds.iter().filter(|&&t| t <= x).count()];
            }
        }
    }
    let edges_found = edges_found.unwrap_or_else(|| {
        // Bin sizes from the scores, then each bin's first and last element.
        let counts = bin_counts(&scores, &label);
        for b in 0..q {
            starts[b + 1] = starts[b] + counts[b + 1];
        }
        select_in(values, min, max, &bin_bounds(&starts))
    });
    let mut edges = edges_found.iter();
    let mut bins: Vec<Bin> = (0..q)
        .map(|b| {
            let customers = starts[b + 1] - starts[b];
            let (low, high) = if customers > 0 {
                (edges.next(), edges.next())
            } else {
                (None, None)
            };
            Bin {
                score: label[b + 1],
                customers,
                min: low.map(|e| natural(e.0)),
                max: high.map(|e| natural(e.0)),
            }
        })
        .collect();
    if thresholds.is_empty() {
        thresholds = bins[..q - 1].iter().filter_map(|b| b.max).collect();
    }
    if dimension == Dimension::Recency {
        bins.reverse();
    }
    DimensionScores {
        dimension,
        scores,
        bins,
        thresholds,
    }
}

/// The places of the first and last element of every non-empty bin, bin after bin.
fn bin_bounds(starts: &[usize]) -> Vec<usize> {
    starts
        .windows(2)
        .filter(|w| w[1] > w[0])
        .flat_map(|w| [w[0], w[1] - 1])
        .collect()
}

/// Customers per raw bin (index 1..=q) from the scores, through the inverse of `label`.
fn bin_counts(scores: &[u8], label: &[u8]) -> Vec<usize> {
    // Four interleaved tallies, so consecutive equal scores do not wait on each other.
    let mut tallies = [[0usize; 256]; 4];
    let mut chunks = scores.chunks_exact(4);
    for c in &mut chunks {
        for (tally, &s) in tallies.iter_mut().zip(c) {
            tally[usize::from(s)] += 1;
        }
    }
    for &s in chunks.remainder() {
        tallies[0][usize::from(s)] += 1;
    }
    label
        .iter()
        .map(|&s| tallies.iter().map(|t| t[usize::from(s)]).sum())
        .collect()
}

impl CustomerSet for RfmScores {
    fn universe(&self) -> Universe {
        self.universe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qcut_edges_of_ten_ranks() {
        // pandas: qcut(range(1, 11), 5) edges [1, 2.8, 4.6, 6.4, 8.2, 10]
        let e = qcut_edges(10, 5);
        assert_eq!(e[0], 1.0);
        assert!((e[1] - 2.8).abs() < 1e-12 && (e[4] - 8.2).abs() < 1e-12);
        assert_eq!(e[5], 10.0);
    }

    /// The scores of the sort-based definition: ranks from a full stable sort, each bin from
    /// its rank (the code before selection; pandas' and R's definitions).
    fn scores_by_sorting(values: &[i64], binning: &Binning) -> Vec<u8> {
        let n = values.len();
        let q = binning.bins();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (values[i], i));
        let edges = qcut_edges(n, q);
        // Rank-first: bin b holds the places up to its edge, found by stepping (as pandas'
        // searchsorted does), independently of `rank_first_ends`.
        let mut ends = Vec::new();
        let mut end = 0;
        for &limit in &edges[1..q] {
            while end < n && ((end + 1) as f64) <= limit {
                end += 1;
            }
            ends.push(end);
        }
        let sorted: Vec<f64> = order.iter().map(|&j| values[j] as f64).collect();
        let t = r_quantiles(n, q, |k| sorted[k]);
        let mut scores = vec![0u8; n];
        let mut run_start = 0;
        for (place, &i) in order.iter().enumerate() {
            if place == 0 || values[i] != values[order[place - 1]] {
                run_start = place;
            }
            let rank = (run_start + 1) as f64;
            scores[i] = match binning {
                Binning::RankFirst { .. } => 1 + ends.iter().filter(|&&e| place >= e).count() as u8,
                Binning::TiesShare { .. } => {
                    edges.iter().filter(|&&e| e < rank).count().clamp(1, q) as u8
                }
                _ => {
                    let x = values[i] as f64;
                    1 + t[1..q].iter().filter(|&&t| t + 1.0 <= x).count() as u8
                }
            };
        }
        scores
    }

    #[test]
    fn selection_scores_equal_sorted_ranks() {
        let mut rng = crate::random::SeededRng::new(5);
        for case in 0..40u64 {
            let n = [1, 2, 3, 9, 10, 11, 2500, 40_001][case as usize % 8];
            let modulus = [2, 5, 1_000, 3_000_000, u64::MAX][(case / 8) as usize % 5];
            let values: Vec<i64> = (0..n)
                .map(|_| (rng.next_u64() % modulus) as i64 - 300)
                .collect();
            for bins in [2u8, 3, 5, 10] {
                for binning in [
                    Binning::RankFirst { bins },
                    Binning::TiesShare { bins },
                    Binning::RQuantile { bins },
                ] {
                    for dimension in [Dimension::Frequency, Dimension::Recency] {
                        let got = score_dimension(dimension, &values, &binning, 1.0);
                        let mut expected = scores_by_sorting(&values, &binning);
                        if dimension == Dimension::Recency {
                            expected.iter_mut().for_each(|s| *s = bins + 1 - *s);
                        }
                        assert_eq!(got.scores(), expected, "case {case}, {binning:?}");
                        // Each bin's size and range, read off the scores.
                        for bin in got.bins() {
                            let members: Vec<f64> = values
                                .iter()
                                .zip(&expected)
                                .filter(|(_, &s)| s == bin.score)
                                .map(|(&v, _)| v as f64)
                                .collect();
                            assert_eq!(bin.customers, members.len());
                            assert_eq!(bin.min, members.iter().copied().reduce(f64::min));
                            assert_eq!(bin.max, members.iter().copied().reduce(f64::max));
                        }
                        let scores: Vec<u8> = got.bins().iter().map(|b| b.score).collect();
                        assert_eq!(scores, (1..=bins).collect::<Vec<u8>>());
                    }
                }
            }
        }
    }

    #[test]
    fn r_quantiles_match_type_7() {
        // R: quantile(c(1, 2, 3, 4, 10), probs = seq(0, 1, length.out = 5))
        //    = 1, 2, 3, 4, 10 (index 1 + 4p is an integer)
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(r_quantiles(5, 4, |i| x[i]), vec![1.0, 2.0, 3.0, 4.0, 10.0]);
        // R: quantile(c(1, 2, 3, 4), probs = c(0, 1/3, 2/3, 1)) = 1, 2, 3, 4
        let y = [1.0, 2.0, 3.0, 4.0];
        let q = r_quantiles(4, 3, |i| y[i]);
        assert!((q[1] - 2.0).abs() < 1e-12 && (q[2] - 3.0).abs() < 1e-12);
    }
}
