//! Agglomerative (hierarchical) clustering with scipy's `linkage` semantics.

use ndarray::ArrayView2;

use super::matrix_rows;
use crate::error::{Error, Result};

/// How the distance between two clusters is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Linkage {
    /// Ward's minimum variance: merges the pair that least increases the within-cluster sum of
    /// squares (Lance-Williams update on Euclidean distances, as scipy).
    Ward,
    /// Farthest pair of points.
    Complete,
    /// Mean distance over all pairs of points (UPGMA).
    Average,
    /// Nearest pair of points (computed through a minimum spanning tree, as scipy).
    Single,
}

/// One merge of the tree: scipy's linkage-matrix row `[left, right, distance, size]`.
///
/// Ids below n are the rows; the cluster made by merge i has id `n + i`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Merge {
    /// The smaller id of the two clusters merged.
    pub left: usize,
    /// The larger id.
    pub right: usize,
    /// The linkage distance between them.
    pub distance: f64,
    /// Rows in the merged cluster.
    pub size: usize,
}

/// Parameters of an agglomerative clustering.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AgglomerativeParams {
    linkage: Linkage,
    max_rows: usize,
}

/// The default cap on rows: the condensed distance matrix takes `4 n (n - 1)` bytes, 1.6 GB at
/// 20,000 rows.
pub const DEFAULT_MAX_ROWS: usize = 20_000;

impl AgglomerativeParams {
    /// Parameters for the given linkage, at most [`DEFAULT_MAX_ROWS`] rows.
    #[must_use]
    pub fn new(linkage: Linkage) -> AgglomerativeParams {
        AgglomerativeParams {
            linkage,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }

    /// The most rows accepted; memory is `4 n (n - 1)` bytes (all pairwise distances, as scipy
    /// holds them). Default: [`DEFAULT_MAX_ROWS`]. Cluster a sample, or k-means centroids, beyond.
    #[must_use]
    pub fn max_rows(mut self, max_rows: usize) -> Self {
        self.max_rows = max_rows;
        self
    }

    /// Builds the merge tree of the rows of `x`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a matrix without rows or columns; [`Error::NonFiniteCell`] for
    /// NaN or infinite cells; [`Error::InvalidParameter`] when the rows exceed `max_rows`.
    ///
    /// Reference: matches `scipy.cluster.hierarchy.linkage(x, method)` (the tree, row for row,
    /// including its relabelling and ordering of equal distances), which uses the
    /// nearest-neighbour chain for Ward, complete and average, and a minimum spanning tree for
    /// single linkage.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Dendrogram> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(Error::EmptyInput {
                what: "the feature matrix",
                item: "row and column",
            });
        }
        if n > self.max_rows {
            return Err(Error::InvalidParameter {
                name: "max_rows",
                reason: format!(
                    "{n} rows exceed the limit of {}: the distance matrix would take {} MB; raise \
                     max_rows or cluster a sample",
                    self.max_rows,
                    (n as u128 * (n as u128 - 1) * 4) / 1_000_000
                ),
            });
        }
        let rows = matrix_rows(x)?;
        let merges = if n == 1 {
            Vec::new()
        } else {
            let distances = condensed_distances(&rows, n, d);
            let raw = match self.linkage {
                Linkage::Single => minimum_spanning_tree(&distances, n),
                other => nearest_neighbour_chain(distances, n, other),
            };
            relabel(raw, n)
        };
        if let Some(m) = merges.iter().find(|m| !m.distance.is_finite()) {
            return Err(Error::Undefined {
                reason: format!(
                    "a merge distance overflows f64 ({}): the rows are too far apart to square \
                     (values around 1e154 and up); rescale the features first",
                    m.distance
                ),
            });
        }
        Ok(Dendrogram {
            n,
            linkage: self.linkage,
            merges,
        })
    }
}

/// A fitted merge tree.
///
/// ```
/// use ndarray::array;
/// use saas_segmentation::cluster::{AgglomerativeParams, Linkage};
///
/// let x = array![[0.0], [1.0], [5.0], [6.0], [20.0]];
/// let tree = AgglomerativeParams::new(Linkage::Average).fit(x.view())?;
/// assert_eq!(tree.merges()[0].distance, 1.0);
/// assert_eq!(tree.cut_k(2)?, vec![0, 0, 0, 0, 1]);
/// assert_eq!(tree.cut_distance(2.0)?, vec![0, 0, 1, 1, 2]);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// Loading one through `Deserialize` runs [`Dendrogram::from_merges`]'s checks, so the row
/// count always equals the merges plus one and every merge joins two existing clusters.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawDendrogram")
)]
pub struct Dendrogram {
    n: usize,
    linkage: Linkage,
    merges: Vec<Merge>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawDendrogram {
    n: usize,
    linkage: Linkage,
    merges: Vec<Merge>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawDendrogram> for Dendrogram {
    type Error = Error;

    fn try_from(raw: RawDendrogram) -> Result<Self> {
        if raw.n != raw.merges.len() + 1 {
            return Err(Error::LengthMismatch {
                what: "dendrogram merges (rows - 1)",
                expected: raw.n.saturating_sub(1),
                found: raw.merges.len(),
            });
        }
        Dendrogram::from_merges(raw.linkage, raw.merges)
    }
}

impl Dendrogram {
    /// A tree from its merges (scipy's linkage matrix, ids from 0): n - 1 merges for n rows.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the merge when it joins an id that does not exist yet
    /// or was merged already, joins a cluster with itself, has a size that is not the sum of its
    /// two parts, or a distance that is NaN, negative or below the previous merge's.
    pub fn from_merges(linkage: Linkage, merges: Vec<Merge>) -> Result<Dendrogram> {
        let n = merges.len() + 1;
        let mut sizes: Vec<usize> = vec![1; n];
        let mut used = vec![false; n + merges.len()];
        let mut previous = 0.0;
        for (i, m) in merges.iter().enumerate() {
            let bad = |reason: String| Error::InvalidParameter {
                name: "merges",
                reason: format!("merge {i}: {reason}"),
            };
            if m.left >= m.right {
                return Err(bad(format!(
                    "left id {} must be below right id {}",
                    m.left, m.right
                )));
            }
            if m.right >= n + i {
                return Err(bad(format!(
                    "id {} does not exist yet (ids below {} do)",
                    m.right,
                    n + i
                )));
            }
            for id in [m.left, m.right] {
                if std::mem::replace(&mut used[id], true) {
                    return Err(bad(format!("cluster {id} was merged already")));
                }
            }
            let size = sizes[m.left] + sizes[m.right];
            if m.size != size {
                return Err(bad(format!(
                    "size {} is not {size}, the sum of its parts",
                    m.size
                )));
            }
            sizes.push(size);
            if !(m.distance.is_finite() && m.distance >= previous) {
                return Err(bad(format!(
                    "distance {} is not finite or below the previous merge's {previous}",
                    m.distance
                )));
            }
            previous = m.distance;
        }
        Ok(Dendrogram { n, linkage, merges })
    }

    /// The merges in order of distance (scipy's linkage matrix), n - 1 of them.
    #[must_use]
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// The number of rows clustered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the tree has no rows (never true for a fitted tree).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The linkage used.
    #[must_use]
    pub fn linkage(&self) -> Linkage {
        self.linkage
    }

    /// Labels for `k` clusters: the tree without its last `k - 1` merges. Clusters are numbered
    /// by the first row in each (row 0 is in cluster 0).
    ///
    /// Divergence: scipy's `fcluster(..., criterion="maxclust")` numbers clusters from 1 in
    /// leaf order; the partition is the same unless equal merge distances straddle the cut.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for k = 0 or k above the number of rows.
    pub fn cut_k(&self, k: usize) -> Result<Vec<usize>> {
        if k == 0 || k > self.n {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: format!("is {k}, expected 1 to {} (the number of rows)", self.n),
            });
        }
        Ok(self.labels_after((self.n - k).min(self.merges.len())))
    }

    /// Labels of the clusters formed by the merges at distance at most `threshold` (scipy's
    /// `fcluster(..., criterion="distance")` partition), numbered by first row.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when `threshold` is NaN.
    pub fn cut_distance(&self, threshold: f64) -> Result<Vec<usize>> {
        if threshold.is_nan() {
            return Err(Error::OutOfRange {
                record: "dendrogram cut".into(),
                field: "threshold".into(),
                value: threshold,
                expected: "a distance (not NaN)",
            });
        }
        let applied = self
            .merges
            .iter()
            .take_while(|m| m.distance <= threshold)
            .count();
        Ok(self.labels_after(applied.min(self.n.saturating_sub(1))))
    }

    /// The clusters of the cut into `k` clusters as a [`Segmentation`](crate::Segmentation) of `matrix`'s customers
    /// (the matrix the tree was fitted on), named and described in original units by
    /// [`profiled_segmentation`](crate::cluster::profiled_segmentation).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the tree was not fitted on `matrix`'s rows; as
    /// [`Dendrogram::cut_k`].
    pub fn segmentation(
        &self,
        matrix: &crate::features::FeatureMatrix,
        k: usize,
    ) -> Result<crate::segmentation::Segmentation> {
        if matrix.view().nrows() != self.n {
            return Err(Error::LengthMismatch {
                what: "feature matrix rows (the tree's rows)",
                expected: self.n,
                found: matrix.view().nrows(),
            });
        }
        crate::cluster::profiled_segmentation(matrix, &self.cut_k(k)?)
    }

    fn labels_after(&self, applied: usize) -> Vec<usize> {
        let n = self.n;
        let applied = applied.min(self.merges.len());
        let mut parent: Vec<usize> = (0..n + applied).collect();
        for (i, m) in self.merges.iter().take(applied).enumerate() {
            // Ids out of range only come from a hand-edited deserialized tree; skip them.
            for id in [m.left, m.right] {
                if id < n + i {
                    parent[id] = n + i;
                }
            }
        }
        let root = |mut v: usize, parent: &[usize]| {
            while parent[v] != v {
                v = parent[v];
            }
            v
        };
        let mut ids = std::collections::HashMap::new();
        (0..n)
            .map(|row| {
                let r = root(row, &parent);
                let next = ids.len();
                *ids.entry(r).or_insert(next)
            })
            .collect()
    }
}

fn condensed_index(n: usize, i: usize, j: usize) -> usize {
    let (i, j) = if i < j { (i, j) } else { (j, i) };
    n * i - (i * (i + 1)) / 2 + (j - i - 1)
}

/// scipy's `pdist(x, "euclidean")`: the upper triangle, row by row.
fn condensed_distances(rows: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        let a = &rows[i * d..(i + 1) * d];
        for j in i + 1..n {
            let b = &rows[j * d..(j + 1) * d];
            let squared: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
            out.push(squared.sqrt());
        }
    }
    out
}

/// scipy's `_hierarchy.nn_chain`, line for line (its tie rules decide equal-distance merges).
fn nearest_neighbour_chain(mut dist: Vec<f64>, n: usize, linkage: Linkage) -> Vec<Merge> {
    let mut merges = Vec::with_capacity(n - 1);
    let mut size = vec![1usize; n];
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    for _ in 0..n - 1 {
        if chain.is_empty() {
            if let Some(first) = size.iter().position(|&s| s > 0) {
                chain.push(first);
            }
        }
        let (x, y, current) = loop {
            let x = chain[chain.len() - 1];
            let (mut y, mut current) = if chain.len() > 1 {
                let y = chain[chain.len() - 2];
                (y, dist[condensed_index(n, x, y)])
            } else {
                (usize::MAX, f64::INFINITY)
            };
            for i in 0..n {
                if size[i] == 0 || i == x {
                    continue;
                }
                let candidate = dist[condensed_index(n, x, i)];
                if candidate < current {
                    current = candidate;
                    y = i;
                }
            }
            if y == usize::MAX {
                // Only with infinite distances, which finite rows cannot produce.
                y = (0..n).find(|&i| size[i] > 0 && i != x).unwrap_or(x);
            }
            if chain.len() > 1 && y == chain[chain.len() - 2] {
                break (x, y, current);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = if x > y { (y, x) } else { (x, y) };
        let (nx, ny) = (size[x], size[y]);
        merges.push(Merge {
            left: x,
            right: y,
            distance: current,
            size: nx + ny,
        });
        size[x] = 0;
        size[y] = nx + ny;
        for i in 0..n {
            let ni = size[i];
            if ni == 0 || i == y {
                continue;
            }
            let (dxi, dyi) = (
                dist[condensed_index(n, i, x)],
                dist[condensed_index(n, i, y)],
            );
            let updated = match linkage {
                Linkage::Complete => dxi.max(dyi),
                Linkage::Average => (nx as f64 * dxi + ny as f64 * dyi) / (nx + ny) as f64,
                Linkage::Ward => {
                    let t = 1.0 / (nx + ny + ni) as f64;
                    ((ni + nx) as f64 * t * dxi * dxi + (ni + ny) as f64 * t * dyi * dyi
                        - ni as f64 * t * current * current)
                        .sqrt()
                }
                Linkage::Single => dxi.min(dyi),
            };
            dist[condensed_index(n, i, y)] = updated;
        }
    }
    merges
}

/// scipy's `_hierarchy.mst_single_linkage`, line for line.
fn minimum_spanning_tree(dist: &[f64], n: usize) -> Vec<Merge> {
    let mut merges = Vec::with_capacity(n - 1);
    let mut merged = vec![false; n];
    let mut nearest = vec![f64::INFINITY; n];
    let mut x = 0;
    for _ in 0..n - 1 {
        let mut current = f64::INFINITY;
        let mut y = usize::MAX;
        merged[x] = true;
        for i in 0..n {
            if merged[i] {
                continue;
            }
            let candidate = dist[condensed_index(n, x, i)];
            if nearest[i] > candidate {
                nearest[i] = candidate;
            }
            if nearest[i] < current {
                y = i;
                current = nearest[i];
            }
        }
        if y == usize::MAX {
            y = (0..n).find(|&i| !merged[i]).unwrap_or(x);
        }
        merges.push(Merge {
            left: x,
            right: y,
            distance: current,
            size: 0,
        });
        x = y;
    }
    merges
}

/// Sorts the merges by distance (stable, as numpy's mergesort) and relabels them with a
/// union-find, as scipy's `label`: ids become cluster ids, the smaller first, sizes filled in.
fn relabel(mut merges: Vec<Merge>, n: usize) -> Vec<Merge> {
    merges.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut size = vec![1usize; 2 * n - 1];
    let mut next = n;
    let find = |mut v: usize, parent: &mut Vec<usize>| {
        let mut root = v;
        while parent[root] != root {
            root = parent[root];
        }
        while parent[v] != root {
            let up = parent[v];
            parent[v] = root;
            v = up;
        }
        root
    };
    for m in &mut merges {
        let (a, b) = (find(m.left, &mut parent), find(m.right, &mut parent));
        let (left, right) = if a < b { (a, b) } else { (b, a) };
        parent[left] = next;
        parent[right] = next;
        size[next] = size[left] + size[right];
        *m = Merge {
            left,
            right,
            distance: m.distance,
            size: size[next],
        };
        next += 1;
    }
    merges
}
