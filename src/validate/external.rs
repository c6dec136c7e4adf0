//! External metrics: how well two labellings of the same customers agree (a segmentation against
//! a known grouping, or this quarter's segments against last quarter's), as scikit-learn defines
//! them.

use crate::error::{Error, Result};
use statrs::function::gamma::ln_gamma;

/// The contingency table of two labellings: `count(i, j)` customers have class `i` in the first
/// and cluster `j` in the second.
///
/// Classes and clusters are the distinct label values, in increasing order (scikit-learn's
/// `contingency_matrix`). Tables of two halves of the same customers [`merge`](Self::merge) into
/// the table of all of them when their label values agree.
///
/// ```
/// use saas_segmentation::validate::Contingency;
///
/// let table = Contingency::new(&[0, 0, 1, 1], &[5, 5, 5, 9])?;
/// assert_eq!(table.classes(), &[0, 1]);
/// assert_eq!(table.clusters(), &[5, 9]);
/// assert_eq!(table.count(1, 0), 1);
/// assert_eq!(table.total(), 4);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// The table is sparse, as scikit-learn's `contingency_matrix(sparse=True)`: only non-zero cells
/// are stored, so memory is O(n) whatever the number of distinct labels (50,000 singleton
/// classes against 50,000 clusters take 50,000 cells, not 2.5 billion).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "ContingencyData")
)]
pub struct Contingency {
    classes: Vec<usize>,
    clusters: Vec<usize>,
    /// Non-zero cells, ordered by class then cluster position.
    cells: Vec<Cell>,
}

/// One non-zero cell of a [`Contingency`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cell {
    /// Row: the position of the class in [`Contingency::classes`].
    pub class: usize,
    /// Column: the position of the cluster in [`Contingency::clusters`].
    pub cluster: usize,
    /// Customers with that class and that cluster (at least 1).
    pub count: u64,
}

/// The most customers a table holds: a customer set has at most `u32::MAX` customers (the
/// width of a [`CustomerId`](crate::CustomerId)). It also bounds the time of
/// [`Contingency::expected_mutual_information`] on a table loaded from outside.
pub const MAX_CONTINGENCY_TOTAL: u64 = u32::MAX as u64;

/// The serialized form of a [`Contingency`], checked before it becomes one so a hand-edited
/// table cannot index past its labels or claim more customers than a set can have.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct ContingencyData {
    classes: Vec<usize>,
    clusters: Vec<usize>,
    cells: Vec<Cell>,
}

#[cfg(feature = "serde")]
impl TryFrom<ContingencyData> for Contingency {
    type Error = Error;

    fn try_from(data: ContingencyData) -> Result<Self> {
        let bad = |reason: String| Error::InvalidParameter {
            name: "contingency",
            reason,
        };
        for (values, what) in [(&data.classes, "classes"), (&data.clusters, "clusters")] {
            if values.is_empty() {
                return Err(bad(format!("no {what}: a table needs at least one")));
            }
            if let Some(at) = values.windows(2).position(|w| w[0] >= w[1]) {
                return Err(bad(format!(
                    "{what} {} and {} are not strictly increasing",
                    values[at],
                    values[at + 1]
                )));
            }
        }
        let mut total = 0u64;
        for (at, cell) in data.cells.iter().enumerate() {
            if cell.class >= data.classes.len() || cell.cluster >= data.clusters.len() {
                return Err(bad(format!(
                    "cell {at} is at ({}, {}) outside the {} x {} table",
                    cell.class,
                    cell.cluster,
                    data.classes.len(),
                    data.clusters.len()
                )));
            }
            if cell.count == 0 {
                return Err(bad(format!(
                    "cell {at} has count 0: store non-zero cells only"
                )));
            }
            if at > 0 && data.cells[at - 1] >= *cell {
                return Err(bad(format!(
                    "cell {at} is out of order or repeated: order cells by class, then cluster"
                )));
            }
            total = total
                .checked_add(cell.count)
                .filter(|&t| t <= MAX_CONTINGENCY_TOTAL)
                .ok_or_else(|| {
                    bad(format!(
                        "the counts add up to more than {MAX_CONTINGENCY_TOTAL} customers"
                    ))
                })?;
        }
        if total == 0 {
            return Err(Error::EmptyInput {
                what: "the contingency table",
                item: "customer",
            });
        }
        let mut rows = vec![false; data.classes.len()];
        let mut columns = vec![false; data.clusters.len()];
        for cell in &data.cells {
            rows[cell.class] = true;
            columns[cell.cluster] = true;
        }
        if let Some(i) = rows.iter().position(|&r| !r) {
            return Err(bad(format!("class {} has no customers", data.classes[i])));
        }
        if let Some(j) = columns.iter().position(|&c| !c) {
            return Err(bad(format!(
                "cluster {} has no customers",
                data.clusters[j]
            )));
        }
        Ok(Contingency {
            classes: data.classes,
            clusters: data.clusters,
            cells: data.cells,
        })
    }
}

/// The distinct values of `labels` in increasing order, and each label's position among them.
/// Memory is O(n): a lookup table is used only when the largest label is below 4n.
fn dense(labels: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let max = labels.iter().copied().max().unwrap_or(0);
    if max < 4 * labels.len().max(16) {
        let mut seen = vec![usize::MAX; max + 1];
        for &l in labels {
            seen[l] = 0;
        }
        let mut values = Vec::new();
        for (value, slot) in seen.iter_mut().enumerate() {
            if *slot == 0 {
                *slot = values.len();
                values.push(value);
            }
        }
        let index = labels.iter().map(|&l| seen[l]).collect();
        (values, index)
    } else {
        let mut values = labels.to_vec();
        values.sort_unstable();
        values.dedup();
        let index = labels
            .iter()
            .map(|l| values.binary_search(l).unwrap_or(0))
            .collect();
        (values, index)
    }
}

/// Counts the `(class, cluster)` position pairs into sorted non-zero cells: a dense tally when
/// the table has at most 4n + 64 cells, a sort otherwise. O(n) memory either way.
fn tally(
    pairs: impl Iterator<Item = (usize, usize, u64)>,
    rows: usize,
    columns: usize,
) -> Vec<Cell> {
    let pairs: Vec<(usize, usize, u64)> = pairs.collect();
    let dense_cells = rows.checked_mul(columns);
    let mut cells = Vec::new();
    match dense_cells {
        Some(size) if size <= 4 * pairs.len() + 64 => {
            let mut counts = vec![0u64; size];
            for &(i, j, v) in &pairs {
                counts[i * columns + j] += v;
            }
            for (at, &count) in counts.iter().enumerate() {
                if count > 0 {
                    cells.push(Cell {
                        class: at / columns,
                        cluster: at % columns,
                        count,
                    });
                }
            }
        }
        _ => {
            let mut pairs = pairs;
            pairs.sort_unstable();
            for (i, j, v) in pairs {
                match cells.last_mut() {
                    Some(last) if last.class == i && last.cluster == j => last.count += v,
                    _ => cells.push(Cell {
                        class: i,
                        cluster: j,
                        count: v,
                    }),
                }
            }
        }
    }
    cells
}

impl Contingency {
    /// The table of `classes` (e.g. the true or earlier grouping) against `clusters`. Label
    /// values can be anything (`usize::MAX` included): memory and time are O(n log n) in the
    /// number of labels, never sized by a label value.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without customers; [`Error::LengthMismatch`] when the two
    /// labellings differ in length; [`Error::InvalidParameter`] past
    /// [`MAX_CONTINGENCY_TOTAL`] labels.
    pub fn new(classes: &[usize], clusters: &[usize]) -> Result<Self> {
        if classes.is_empty() {
            return Err(Error::EmptyInput {
                what: "the labellings",
                item: "label",
            });
        }
        if classes.len() != clusters.len() {
            return Err(Error::LengthMismatch {
                what: "second labelling",
                expected: classes.len(),
                found: clusters.len(),
            });
        }
        if classes.len() as u64 > MAX_CONTINGENCY_TOTAL {
            return Err(Error::InvalidParameter {
                name: "classes",
                reason: format!(
                    "{} labels: a customer set has at most {MAX_CONTINGENCY_TOTAL}",
                    classes.len()
                ),
            });
        }
        let (class_values, class_index) = dense(classes);
        let (cluster_values, cluster_index) = dense(clusters);
        let cells = tally(
            class_index
                .iter()
                .zip(&cluster_index)
                .map(|(&a, &b)| (a, b, 1)),
            class_values.len(),
            cluster_values.len(),
        );
        Ok(Contingency {
            classes: class_values,
            clusters: cluster_values,
            cells,
        })
    }

    /// The distinct class values (rows), increasing.
    #[must_use]
    pub fn classes(&self) -> &[usize] {
        &self.classes
    }

    /// The distinct cluster values (columns), increasing.
    #[must_use]
    pub fn clusters(&self) -> &[usize] {
        &self.clusters
    }

    /// Customers in row `i` and column `j` (positions, not label values); 0 out of range.
    #[must_use]
    pub fn count(&self, i: usize, j: usize) -> u64 {
        self.cells
            .binary_search_by(|c| (c.class, c.cluster).cmp(&(i, j)))
            .map_or(0, |at| self.cells[at].count)
    }

    /// The non-zero cells, ordered by class, then cluster.
    #[must_use]
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Customers per class (row sums).
    #[must_use]
    pub fn class_sizes(&self) -> Vec<u64> {
        let mut sizes = vec![0; self.classes.len()];
        for cell in &self.cells {
            sizes[cell.class] += cell.count;
        }
        sizes
    }

    /// Customers per cluster (column sums).
    #[must_use]
    pub fn cluster_sizes(&self) -> Vec<u64> {
        let mut sizes = vec![0; self.clusters.len()];
        for cell in &self.cells {
            sizes[cell.cluster] += cell.count;
        }
        sizes
    }

    /// All customers.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.cells.iter().map(|c| c.count).sum()
    }

    /// The table of both halves' customers: label values are matched by value, so a class that
    /// only one half has is kept.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the two tables hold more than
    /// [`MAX_CONTINGENCY_TOTAL`] customers together.
    pub fn merge(&self, other: &Contingency) -> Result<Contingency> {
        let total = self.total() + other.total();
        if total > MAX_CONTINGENCY_TOTAL {
            return Err(Error::InvalidParameter {
                name: "other",
                reason: format!(
                    "the tables hold {total} customers together: a customer set has at most \
                     {MAX_CONTINGENCY_TOTAL}"
                ),
            });
        }
        let union = |a: &[usize], b: &[usize]| {
            let mut all = [a, b].concat();
            all.sort_unstable();
            all.dedup();
            all
        };
        let classes = union(&self.classes, &other.classes);
        let clusters = union(&self.clusters, &other.clusters);
        let position = |values: &[usize], v: usize| values.binary_search(&v).unwrap_or(0);
        let pairs = [self, other].into_iter().flat_map(|table| {
            let (classes, clusters) = (&classes, &clusters);
            table.cells.iter().map(move |c| {
                (
                    position(classes, table.classes[c.class]),
                    position(clusters, table.clusters[c.cluster]),
                    c.count,
                )
            })
        });
        let cells = tally(pairs, classes.len(), clusters.len());
        Ok(Contingency {
            classes,
            clusters,
            cells,
        })
    }

    /// `(tn, fp, fn, tp)` of scikit-learn's `pair_confusion_matrix`: ordered pairs of distinct
    /// customers by whether the two labellings put them together.
    #[must_use]
    pub fn pair_confusion(&self) -> [u128; 4] {
        let n = u128::from(self.total());
        let rows = self.class_sizes();
        let columns = self.cluster_sizes();
        let mut squares = 0u128;
        // contingency . column sizes, summed; contingency^T . row sizes, summed.
        let mut by_columns = 0u128;
        let mut by_rows = 0u128;
        for cell in &self.cells {
            let v = u128::from(cell.count);
            squares += v * v;
            by_columns += v * u128::from(columns[cell.cluster]);
            by_rows += v * u128::from(rows[cell.class]);
        }
        let tp = squares - n;
        let fp = by_columns - squares;
        let false_negative = by_rows - squares;
        let tn = n * n - fp - false_negative - squares;
        [tn, fp, false_negative, tp]
    }

    /// The mutual information (natural logarithm), as `sklearn.metrics.mutual_info_score`
    /// computes it from a contingency table, including its clipping of terms below machine
    /// epsilon and of the total at 0.
    #[must_use]
    pub fn mutual_information(&self) -> f64 {
        if self.classes.len() == 1 || self.clusters.len() == 1 {
            return 0.0;
        }
        let total = self.total() as f64;
        let rows = self.class_sizes();
        let columns = self.cluster_sizes();
        let log_rows_total = (rows.iter().sum::<u64>() as f64).ln();
        let log_columns_total = (columns.iter().sum::<u64>() as f64).ln();
        // scipy's `find` visits non-zero cells column by column.
        let mut order: Vec<&Cell> = self.cells.iter().collect();
        order.sort_unstable_by_key(|c| (c.cluster, c.class));
        let mut mi = 0.0;
        for cell in order {
            let v = cell.count;
            let share = v as f64 / total;
            let outer = rows[cell.class] as f64 * columns[cell.cluster] as f64;
            let log_outer = -outer.ln() + log_rows_total + log_columns_total;
            let term = share * ((v as f64).ln() - total.ln()) + share * log_outer;
            if term.abs() >= f64::EPSILON {
                mi += term;
            }
        }
        mi.max(0.0)
    }

    /// The mutual information expected between random labellings with these class and cluster
    /// sizes (hypergeometric model), as scikit-learn's `expected_mutual_information`.
    ///
    /// The term of a (class, cluster) pair depends only on their two sizes, so pairs are grouped
    /// by distinct size: time is O(D_a D_b m) for D_a and D_b distinct class and cluster sizes
    /// (each at most sqrt(2n)) and m the smaller size of a pair, and memory O(largest size).
    #[must_use]
    pub fn expected_mutual_information(&self) -> f64 {
        let a = self.class_sizes();
        let b = self.cluster_sizes();
        if a.len() == 1 || b.len() == 1 {
            return 0.0;
        }
        let n = self.total();
        let nf = n as f64;
        let grouped = |sizes: &[u64]| {
            let mut sorted = sizes.to_vec();
            sorted.sort_unstable();
            let mut out: Vec<(u64, f64)> = Vec::new();
            for s in sorted {
                match out.last_mut() {
                    Some((size, count)) if *size == s => *count += 1.0,
                    _ => out.push((s, 1.0)),
                }
            }
            out
        };
        let (a, b) = (grouped(&a), grouped(&b));
        let largest = a.iter().chain(&b).map(|&(s, _)| s).max().unwrap_or(0) as usize;
        // nij = 0 never occurs in the sum (start >= 1); index 0 is set to 1 as scikit-learn does.
        let nijs: Vec<f64> = (0..=largest)
            .map(|v| if v == 0 { 1.0 } else { v as f64 })
            .collect();
        let log_n_nij: Vec<f64> = nijs.iter().map(|&v| nf.ln() + v.ln()).collect();
        let gln_nij: Vec<f64> = nijs
            .iter()
            .map(|&v| ln_gamma(v + 1.0) + ln_gamma(nf + 1.0))
            .collect();
        let gln = |v: u64| ln_gamma(v as f64 + 1.0);
        let mut emi = 0.0;
        for &(ai, a_count) in &a {
            let (log_a, gln_a, gln_na) = ((ai as f64).ln(), gln(ai), gln(n - ai));
            for &(bj, b_count) in &b {
                let (log_b, gln_b, gln_nb) = ((bj as f64).ln(), gln(bj), gln(n - bj));
                let start = (ai + bj).saturating_sub(n).max(1);
                let end = ai.min(bj);
                let mut pair = 0.0;
                for nij in start..=end {
                    let at = nij as usize;
                    let term1 = nijs[at] / nf;
                    let term2 = log_n_nij[at] - log_a - log_b;
                    let g = gln_a + gln_b + gln_na + gln_nb
                        - gln_nij[at]
                        - gln(ai - nij)
                        - gln(bj - nij)
                        - gln(n + nij - ai - bj);
                    pair += term1 * term2 * g.exp();
                }
                emi += a_count * b_count * pair;
            }
        }
        emi
    }
}

/// The entropy (natural logarithm) of a labelling with these class sizes, as scikit-learn's
/// `entropy`: 0 for a single class.
fn entropy(sizes: &[u64]) -> f64 {
    let sizes: Vec<f64> = sizes
        .iter()
        .filter(|&&s| s > 0)
        .map(|&s| s as f64)
        .collect();
    if sizes.len() <= 1 {
        return 0.0;
    }
    let total: f64 = sizes.iter().sum();
    -sizes
        .iter()
        .map(|&s| (s / total) * (s.ln() - total.ln()))
        .sum::<f64>()
}

/// How the two entropies are averaged to normalise mutual information (`average_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Averaging {
    /// `min(H(U), H(V))`.
    Min,
    /// `sqrt(H(U) H(V))`.
    Geometric,
    /// `(H(U) + H(V)) / 2`, scikit-learn's default.
    #[default]
    Arithmetic,
    /// `max(H(U), H(V))`.
    Max,
}

impl Averaging {
    fn of(self, u: f64, v: f64) -> f64 {
        match self {
            Averaging::Min => u.min(v),
            Averaging::Geometric => (u * v).sqrt(),
            Averaging::Arithmetic => (u + v) / 2.0,
            Averaging::Max => u.max(v),
        }
    }
}

/// The adjusted Rand index of two labellings: 1 for identical partitions (whatever the label
/// values), about 0 for random ones, negative below chance.
///
/// # Errors
/// As [`Contingency::new`].
///
/// Reference: matches `sklearn.metrics.adjusted_rand_score` (1.0 when neither labelling puts any
/// pair apart that the other keeps together, e.g. both all-singletons).
pub fn adjusted_rand_score(classes: &[usize], clusters: &[usize]) -> Result<f64> {
    Ok(Contingency::new(classes, clusters)?.adjusted_rand())
}

impl Contingency {
    /// The adjusted Rand index of the table (see [`adjusted_rand_score`]).
    #[must_use]
    pub fn adjusted_rand(&self) -> f64 {
        let [tn, fp, false_negative, tp] = self.pair_confusion();
        if false_negative == 0 && fp == 0 {
            return 1.0;
        }
        let (tn, fp, fnn, tp) = (tn as i128, fp as i128, false_negative as i128, tp as i128);
        let numerator = 2 * (tp * tn - fnn * fp);
        let denominator = (tp + fnn) * (fnn + tn) + (tp + fp) * (fp + tn);
        numerator as f64 / denominator as f64
    }

    /// The normalised mutual information (see [`normalized_mutual_info_score`]).
    #[must_use]
    pub fn normalized_mutual_information(&self, averaging: Averaging) -> f64 {
        if self.classes.len() == 1 && self.clusters.len() == 1 {
            return 1.0;
        }
        let mi = self.mutual_information();
        if mi == 0.0 {
            return 0.0;
        }
        let normalizer = averaging.of(entropy(&self.class_sizes()), entropy(&self.cluster_sizes()));
        // Rounding can put identical partitions a hair above 1 (scikit-learn returns that).
        (mi / normalizer).clamp(0.0, 1.0)
    }

    /// The adjusted mutual information (see [`adjusted_mutual_info_score`]).
    #[must_use]
    pub fn adjusted_mutual_information(&self, averaging: Averaging) -> f64 {
        if self.classes.len() == 1 && self.clusters.len() == 1 {
            return 1.0;
        }
        let mi = self.mutual_information();
        let emi = self.expected_mutual_information();
        let normalizer = averaging.of(entropy(&self.class_sizes()), entropy(&self.cluster_sizes()));
        let mut denominator = normalizer - emi;
        denominator = if denominator < 0.0 {
            denominator.min(-f64::EPSILON)
        } else {
            denominator.max(f64::EPSILON)
        };
        // At most 1 (rounding can exceed it by an ulp).
        ((mi - emi) / denominator).min(1.0)
    }

    /// Homogeneity, completeness and V-measure (`beta` weighs completeness; 1 is the harmonic
    /// mean), as `sklearn.metrics.homogeneity_completeness_v_measure`.
    #[must_use]
    pub fn homogeneity_completeness_v_measure(&self, beta: f64) -> (f64, f64, f64) {
        let h_classes = entropy(&self.class_sizes());
        let h_clusters = entropy(&self.cluster_sizes());
        let mi = self.mutual_information();
        let homogeneity = if h_classes == 0.0 {
            1.0
        } else {
            mi / h_classes
        };
        let completeness = if h_clusters == 0.0 {
            1.0
        } else {
            mi / h_clusters
        };
        let v = if homogeneity + completeness == 0.0 {
            0.0
        } else {
            (1.0 + beta) * homogeneity * completeness / (beta * homogeneity + completeness)
        };
        // Rounding can exceed 1 by an ulp; the measures are in [0, 1].
        (
            homogeneity.clamp(0.0, 1.0),
            completeness.clamp(0.0, 1.0),
            v.clamp(0.0, 1.0),
        )
    }

    /// The Fowlkes-Mallows index, as `sklearn.metrics.fowlkes_mallows_score`: the geometric mean
    /// of pairwise precision and recall, 0 when no pair is together in both.
    #[must_use]
    pub fn fowlkes_mallows(&self) -> f64 {
        let n = u128::from(self.total());
        let squares = |values: &[u64]| -> u128 {
            values.iter().map(|&v| u128::from(v) * u128::from(v)).sum()
        };
        let cells: Vec<u64> = self.cells.iter().map(|c| c.count).collect();
        let tk = squares(&cells) - n;
        let pk = squares(&self.cluster_sizes()) - n;
        let qk = squares(&self.class_sizes()) - n;
        if tk == 0 {
            0.0
        } else {
            (tk as f64 / pk as f64).sqrt() * (tk as f64 / qk as f64).sqrt()
        }
    }
}

/// The normalised mutual information of two labellings, in [0, 1]: mutual information over an
/// average of the two entropies ([`Averaging`]; scikit-learn's default is arithmetic).
///
/// # Errors
/// As [`Contingency::new`].
///
/// Reference: matches `sklearn.metrics.normalized_mutual_info_score`, including 1.0 when both
/// labellings have one class and 0.0 when the mutual information is 0.
pub fn normalized_mutual_info_score(
    classes: &[usize],
    clusters: &[usize],
    averaging: Averaging,
) -> Result<f64> {
    Ok(Contingency::new(classes, clusters)?.normalized_mutual_information(averaging))
}

/// The adjusted mutual information of two labellings: mutual information corrected for the
/// agreement expected by chance (1 for identical partitions, about 0 for random ones).
///
/// # Errors
/// As [`Contingency::new`].
///
/// Reference: matches `sklearn.metrics.adjusted_mutual_info_score` with the same
/// `average_method`, including its clamping of the denominator away from 0 by machine epsilon.
pub fn adjusted_mutual_info_score(
    classes: &[usize],
    clusters: &[usize],
    averaging: Averaging,
) -> Result<f64> {
    Ok(Contingency::new(classes, clusters)?.adjusted_mutual_information(averaging))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_whatever_the_values() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = [7, 7, 3, 3, 100, 100];
        assert_eq!(adjusted_rand_score(&a, &b).unwrap(), 1.0);
        let nmi = normalized_mutual_info_score(&a, &b, Averaging::Arithmetic).unwrap();
        assert!((nmi - 1.0).abs() < 1e-12);
        let ami = adjusted_mutual_info_score(&a, &b, Averaging::Max).unwrap();
        assert!((ami - 1.0).abs() < 1e-12);
    }

    #[test]
    fn merged_tables_equal_one_table() {
        let a = [0, 1, 1, 2, 0, 2, 2, 1];
        let b = [1, 1, 0, 0, 1, 3, 0, 0];
        let whole = Contingency::new(&a, &b).unwrap();
        let halves = Contingency::new(&a[..3], &b[..3])
            .unwrap()
            .merge(&Contingency::new(&a[3..], &b[3..]).unwrap())
            .unwrap();
        assert_eq!(whole, halves);
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(
            Contingency::new(&[], &[]),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            adjusted_rand_score(&[0, 1], &[0]),
            Err(Error::LengthMismatch { .. })
        ));
    }
}
