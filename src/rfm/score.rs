//! Scores 1..=n per RFM dimension under a [`Binning`] policy.

use std::fmt;

use crate::error::{Error, Result};
use crate::rfm::summary::{from_micros, RfmTable};

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
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScoreParams {
    recency: Binning,
    frequency: Binning,
    monetary: Binning,
}

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

/// R, F and M scores of every customer of an [`RfmTable`], in its key order.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmScores {
    recency: DimensionScores,
    frequency: DimensionScores,
    monetary: DimensionScores,
}

impl RfmScores {
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
        let recency = || {
            score_dimension(
                Dimension::Recency,
                &table.recency_values(),
                &params.recency,
                1.0,
            )
        };
        let frequency = || {
            score_dimension(
                Dimension::Frequency,
                &table.frequency_values(),
                &params.frequency,
                1.0,
            )
        };
        let monetary = || {
            score_dimension(
                Dimension::Monetary,
                &table.monetary_micros(),
                &params.monetary,
                1e-6,
            )
        };
        // The three dimensions are independent: with the `parallel` feature they are scored at
        // once (the same results, more memory at a time).
        #[cfg(feature = "parallel")]
        let (recency, (frequency, monetary)) =
            rayon::join(recency, || rayon::join(frequency, monetary));
        #[cfg(not(feature = "parallel"))]
        let (recency, frequency, monetary) = (recency(), frequency(), monetary());
        Ok(RfmScores {
            recency,
            frequency,
            monetary,
        })
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

/// Positions `0..values.len()` ordered by (value, position): a stable sort, by counting when
/// the value range is small and by least-significant-digit radix sort otherwise.
pub(crate) fn stable_order(values: &[i64]) -> Vec<u32> {
    let n = values.len();
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let range = (max as i128 - min as i128) as u128;
    if range <= 4 * n as u128 + 1024 {
        let mut starts = vec![0u32; range as usize + 2];
        for &v in values {
            starts[(v - min) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut order = vec![0u32; n];
        for (i, &v) in values.iter().enumerate() {
            let slot = &mut starts[(v - min) as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        return order;
    }
    // LSD radix sort of (value - min, index) pairs, in as few passes of at most 11 bits as
    // the range needs; each pair travels with its key, so no pass gathers at random.
    let bits = 64 - (range as u64).leading_zeros();
    let passes = bits.div_ceil(11).max(1);
    let digit = bits.div_ceil(passes);
    let index_bits = usize::BITS - n.leading_zeros();
    if bits + index_bits <= 64 {
        // Key and index packed in one word (half the memory of pairs): the key above the
        // index, sorted on the key's digits only.
        let items: Vec<u64> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (((v as i128 - min as i128) as u64) << index_bits) | i as u64)
            .collect();
        let sorted = radix_passes(items, passes, digit, |w| w >> index_bits);
        let index_mask = (1u64 << index_bits) - 1;
        return sorted
            .into_iter()
            .map(|w| (w & index_mask) as u32)
            .collect();
    }
    let items: Vec<(u64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| ((v as i128 - min as i128) as u64, i as u32))
        .collect();
    radix_passes(items, passes, digit, |(key, _)| key)
        .into_iter()
        .map(|(_, i)| i)
        .collect()
}

/// Stable LSD radix sort of `items` on `key`, in `passes` digits of `digit` bits.
fn radix_passes<T: Copy + Default>(
    mut items: Vec<T>,
    passes: u32,
    digit: u32,
    key: impl Fn(T) -> u64,
) -> Vec<T> {
    let mask = (1u64 << digit) - 1;
    let mut scratch = vec![T::default(); items.len()];
    let mut counts = vec![0usize; 1 << digit];
    for pass in 0..passes {
        let shift = pass * digit;
        counts.iter_mut().for_each(|c| *c = 0);
        for &item in &items {
            counts[((key(item) >> shift) & mask) as usize] += 1;
        }
        let mut total = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = total;
            total += here;
        }
        for &item in &items {
            let slot = &mut counts[((key(item) >> shift) & mask) as usize];
            scratch[*slot] = item;
            *slot += 1;
        }
        std::mem::swap(&mut items, &mut scratch);
    }
    items
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

/// R's `quantile(x, probs, type = 7)` of sorted `x` at `k / bins`, `k = 0..=bins`.
fn r_quantiles(sorted: &[f64], bins: usize) -> Vec<f64> {
    let n = sorted.len();
    let by = 1.0 / bins as f64;
    (0..=bins)
        .map(|k| {
            let p = if k == bins { 1.0 } else { k as f64 * by };
            let index = 1.0 + (n - 1) as f64 * p;
            let lo = index.floor();
            let hi = index.ceil();
            let x_lo = sorted[lo as usize - 1];
            let x_hi = sorted[(hi as usize - 1).min(n - 1)];
            if index > lo && x_hi != x_lo {
                let h = index - lo;
                (1.0 - h) * x_lo + h * x_hi
            } else {
                x_lo
            }
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
    let mut scores = vec![0u8; n];
    let order = stable_order(values);
    let mut thresholds = Vec::new();
    match binning {
        Binning::RankFirst { .. } => {
            // Ranks are positions in the order, so each bin is one run of positions: from the
            // first rank above the bin's lower edge (searchsorted, side "left", with the lowest
            // rank in bin 1).
            let edges = qcut_edges(n, q);
            let mut start = 0;
            for (bin, &limit) in edges.iter().enumerate().take(q + 1).skip(1) {
                let end = if bin == q {
                    n
                } else {
                    // Positions p (rank p + 1) with rank <= the bin's upper edge stay in it.
                    let mut end = start;
                    while end < n && ((end + 1) as f64) <= limit {
                        end += 1;
                    }
                    end
                };
                for &i in &order[start..end] {
                    scores[i as usize] = bin as u8;
                }
                start = end;
            }
        }
        Binning::TiesShare { .. } => {
            let ties_share = true;
            let edges = qcut_edges(n, q);
            let mut run_start = 0;
            for (position, &i) in order.iter().enumerate() {
                if position == 0 || values[i as usize] != values[order[position - 1] as usize] {
                    run_start = position;
                }
                let rank = if ties_share {
                    run_start + 1
                } else {
                    position + 1
                } as f64;
                // searchsorted(edges, rank, side="left"), with the lowest rank in bin 1.
                let bin = edges.iter().filter(|&&e| e < rank).count().clamp(1, q);
                scores[i as usize] = bin as u8;
            }
        }
        Binning::RQuantile { .. } => {
            let sorted: Vec<f64> = order.iter().map(|&i| natural(values[i as usize])).collect();
            let quantiles = r_quantiles(&sorted, q);
            thresholds = quantiles[1..q].iter().map(|t| t + 1.0).collect();
            assign_by_thresholds(values, &thresholds, natural, &mut scores);
        }
        Binning::Fixed { thresholds: fixed } => {
            thresholds = fixed.clone();
            assign_by_thresholds(values, &thresholds, natural, &mut scores);
        }
    }
    let mut bins: Vec<Bin> = (1..=q as u8)
        .map(|score| Bin {
            score,
            customers: 0,
            min: None,
            max: None,
        })
        .collect();
    for (&v, &s) in values.iter().zip(&scores) {
        let bin = &mut bins[usize::from(s) - 1];
        let x = natural(v);
        bin.customers += 1;
        bin.min = Some(bin.min.map_or(x, |m| m.min(x)));
        bin.max = Some(bin.max.map_or(x, |m| m.max(x)));
    }
    if thresholds.is_empty() {
        thresholds = bins[..q - 1].iter().filter_map(|b| b.max).collect();
    }
    if dimension == Dimension::Recency {
        // Lower recency is better: reverse the scores and relabel the bins.
        for s in &mut scores {
            *s = q as u8 + 1 - *s;
        }
        bins.reverse();
        for (k, bin) in bins.iter_mut().enumerate() {
            bin.score = k as u8 + 1;
        }
    }
    DimensionScores {
        dimension,
        scores,
        bins,
        thresholds,
    }
}

fn assign_by_thresholds(
    values: &[i64],
    thresholds: &[f64],
    natural: impl Fn(i64) -> f64,
    scores: &mut [u8],
) {
    for (s, &v) in scores.iter_mut().zip(values) {
        let x = natural(v);
        *s = 1 + thresholds.iter().filter(|&&t| t <= x).count() as u8;
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

    #[test]
    fn stable_order_counting_and_radix_agree() {
        let small = [3, 1, 2, 1, 3, 0];
        assert_eq!(stable_order(&small), vec![5, 1, 3, 2, 0, 4]);
        let wide = [i64::MAX, -5, i64::MIN, 7, -5, 1 << 40];
        assert_eq!(stable_order(&wide), vec![2, 1, 4, 3, 5, 0]);
        // A range of 2^40 over few rows: the packed radix path; ties keep row order.
        let packed = [1 << 40, 3, 1 << 40, 0, 3, 5 << 20];
        assert_eq!(stable_order(&packed), vec![3, 1, 4, 5, 0, 2]);
        let mut many: Vec<i64> = (0..5_000).map(|i| (i * 7_919 % 5_003) << 30).collect();
        many.push(0);
        let order = stable_order(&many);
        let mut expected: Vec<u32> = (0..many.len() as u32).collect();
        expected.sort_by_key(|&i| (many[i as usize], i));
        assert_eq!(order, expected);
    }

    #[test]
    fn r_quantiles_match_type_7() {
        // R: quantile(c(1, 2, 3, 4, 10), probs = seq(0, 1, length.out = 5))
        //    = 1, 2, 3, 4, 10 (index 1 + 4p is an integer)
        assert_eq!(
            r_quantiles(&[1.0, 2.0, 3.0, 4.0, 10.0], 4),
            vec![1.0, 2.0, 3.0, 4.0, 10.0]
        );
        // R: quantile(c(1, 2, 3, 4), probs = c(0, 1/3, 2/3, 1)) = 1, 2, 3, 4
        let q = r_quantiles(&[1.0, 2.0, 3.0, 4.0], 3);
        assert!((q[1] - 2.0).abs() < 1e-12 && (q[2] - 3.0).abs() < 1e-12);
    }
}
