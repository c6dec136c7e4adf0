//! Choosing the number of clusters with evidence.

use ndarray::{Array2, ArrayView2};

use super::kmeans::{KMeans, KMeansParams};
use super::matrix_rows;
use crate::error::{Error, Result};
use crate::random::{self, SeededRng};
use crate::validate;

/// Parameters of a sweep over k. Build with [`ChooseK::params`]; loading through
/// `Deserialize` runs [`ChooseKParams::validate`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ChooseKParams {
    k_min: usize,
    k_max: usize,
    kmeans: KMeansParams,
    gap_references: usize,
    silhouette_rows: usize,
    seed: u64,
}

checked_serde!(ChooseK, ChooseK::check);

impl ChooseK {
    /// The invariants of a loaded sweep: scores for increasing k, the picks among them.
    fn check(&self) -> Result<()> {
        let known = |k: usize| self.scores.iter().any(|s| s.k == k);
        if self.scores.is_empty()
            || self.scores.windows(2).any(|w| w[0].k >= w[1].k)
            || !known(self.recommended)
            || self.elbow.is_some_and(|k| !known(k))
            || self.gap_pick.is_some_and(|k| !known(k))
        {
            return Err(Error::InvalidParameter {
                name: "ChooseK",
                reason: "the scores must be for increasing k and every pick one of those k".into(),
            });
        }
        Ok(())
    }
}

checked_serde!(ChooseKParams, ChooseKParams::validate);

/// The most reference data sets [`ChooseKParams::gap_references`] accepts: they are held at
/// once, each the size of the data.
pub const MAX_GAP_REFERENCES: usize = 100;

impl ChooseKParams {
    /// Checks the parameters on their own (the k range against the rows is checked by `fit`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `k_min < 2`, `k_max < k_min`, `silhouette_rows < 3`,
    /// `gap_references` exceeds [`MAX_GAP_REFERENCES`], or the k-means settings are invalid.
    pub fn validate(&self) -> Result<()> {
        if self.k_min < 2 || self.k_max < self.k_min {
            return Err(Error::InvalidParameter {
                name: "k range",
                reason: format!(
                    "is {}..={}: use 2 <= k_min <= k_max",
                    self.k_min, self.k_max
                ),
            });
        }
        if self.silhouette_rows < 3 {
            return Err(Error::InvalidParameter {
                name: "silhouette_rows",
                reason: format!("is {}, expected at least 3", self.silhouette_rows),
            });
        }
        if self.gap_references > MAX_GAP_REFERENCES {
            return Err(Error::InvalidParameter {
                name: "gap_references",
                reason: format!(
                    "is {}, expected at most {MAX_GAP_REFERENCES} (each is a copy of the data)",
                    self.gap_references
                ),
            });
        }
        self.kmeans.clone().with_n_clusters(self.k_min).validate()
    }

    /// The k-means settings for every fit (its `n_clusters` is replaced by each k). Default:
    /// `KMeans::params(2).n_init(4)`.
    #[must_use]
    pub fn kmeans(mut self, kmeans: KMeansParams) -> Self {
        self.kmeans = kmeans;
        self
    }

    /// Uniform reference data sets for the gap statistic (Tibshirani et al.); 0 skips it. Each
    /// costs one k-means fit per k on data the size of `x`, and all are held at once: with 10
    /// references the sweep takes about 10 times as long and 10 copies of the data (measured 8x
    /// at 100k rows), so it is opt-in; at most [`MAX_GAP_REFERENCES`]. Default: 0 (off).
    #[must_use]
    pub fn gap_references(mut self, references: usize) -> Self {
        self.gap_references = references;
        self
    }

    /// The most rows the silhouette is computed on exactly (it costs O(n^2)); above, it is
    /// computed on a seeded sample of this many rows and the report gives its standard error.
    /// Default: 10,000.
    #[must_use]
    pub fn silhouette_rows(mut self, rows: usize) -> Self {
        self.silhouette_rows = rows;
        self
    }

    /// Seed of the gap statistic's reference data and of the silhouette sample. Default: 0.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fits k-means for every k in the range and scores each fit.
    ///
    /// # Errors
    /// As [`ChooseKParams::validate`], and [`Error::InvalidParameter`] when `k_max` is not below
    /// the number of rows; the k-means errors for the data.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<ChooseK> {
        self.validate()?;
        let n = x.nrows();
        if self.k_min < 2 || self.k_max < self.k_min || self.k_max >= n {
            return Err(Error::InvalidParameter {
                name: "k range",
                reason: format!(
                    "is {}..={} for {n} rows: use 2 <= k_min <= k_max < rows",
                    self.k_min, self.k_max
                ),
            });
        }
        if self.silhouette_rows < 3 {
            return Err(Error::InvalidParameter {
                name: "silhouette_rows",
                reason: format!("is {}, expected at least 3", self.silhouette_rows),
            });
        }
        let sample = (n > self.silhouette_rows).then_some(self.silhouette_rows);
        let references = self.reference_sets(x)?;
        let mut rows = Vec::new();
        for k in self.k_min..=self.k_max {
            let model = self.kmeans.clone().with_n_clusters(k).fit(x)?;
            let labels = model.labels();
            let (silhouette, silhouette_error) = match &sample {
                None => (validate::silhouette_score(x, labels)?, None),
                Some(rows) => {
                    let s = validate::silhouette_sampled(x, labels, *rows, self.seed)?;
                    (s.estimate, Some(s.standard_error))
                }
            };
            let gap = if references.is_empty() {
                None
            } else {
                let mut logs = Vec::with_capacity(references.len());
                for reference in &references {
                    let fit = self
                        .kmeans
                        .clone()
                        .with_n_clusters(k)
                        .fit(reference.view())?;
                    logs.push(random::ln(fit.inertia().max(f64::MIN_POSITIVE)));
                }
                let b = logs.len() as f64;
                let mean = logs.iter().sum::<f64>() / b;
                let sd = (logs.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / b).sqrt();
                Some(Gap {
                    value: mean - random::ln(model.inertia().max(f64::MIN_POSITIVE)),
                    standard_error: sd * (1.0 + 1.0 / b).sqrt(),
                })
            };
            rows.push(KScore {
                k,
                inertia: model.inertia(),
                silhouette,
                silhouette_error,
                calinski_harabasz: validate::calinski_harabasz_score(x, labels)?,
                davies_bouldin: validate::davies_bouldin_score(x, labels)?,
                gap,
            });
        }
        Ok(ChooseK::decide(rows))
    }

    /// Uniform data over each column's range (Tibshirani's reference "a").
    fn reference_sets(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Array2<f64>>> {
        if self.gap_references == 0 {
            return Ok(Vec::new());
        }
        let (n, d) = x.dim();
        let rows = matrix_rows(x)?;
        let mut low = vec![f64::INFINITY; d];
        let mut high = vec![f64::NEG_INFINITY; d];
        for row in rows.chunks_exact(d.max(1)) {
            for j in 0..d {
                low[j] = low[j].min(row[j]);
                high[j] = high[j].max(row[j]);
            }
        }
        let mut rng = SeededRng::stream(self.seed, 2);
        Ok((0..self.gap_references)
            .map(|_| Array2::from_shape_fn((n, d), |(_, j)| rng.range(low[j], high[j])))
            .collect())
    }
}

/// The gap statistic at one k.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Gap {
    /// `mean_b log W*_kb - log W_k`.
    pub value: f64,
    /// `sd_k sqrt(1 + 1/B)`.
    pub standard_error: f64,
}

/// Every criterion at one k.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KScore {
    /// The number of clusters.
    pub k: usize,
    /// k-means inertia (lower is tighter; always falls with k).
    pub inertia: f64,
    /// Mean silhouette (higher is better).
    pub silhouette: f64,
    /// Standard error of the silhouette when it was computed on a sample, else `None`.
    pub silhouette_error: Option<f64>,
    /// Calinski-Harabasz index (higher is better).
    pub calinski_harabasz: f64,
    /// Davies-Bouldin index (lower is better).
    pub davies_bouldin: f64,
    /// The gap statistic, when reference sets were drawn.
    pub gap: Option<Gap>,
}

/// A sweep over k with each criterion's pick and a recommendation.
///
/// ```
/// use ndarray::Array2;
/// use saas_segmentation::cluster::ChooseK;
///
/// // Three tight groups on a line.
/// let x = Array2::from_shape_fn((30, 1), |(i, _)| (i / 10) as f64 * 10.0 + (i % 10) as f64 * 0.1);
/// let sweep = ChooseK::params(2, 5).gap_references(3).fit(x.view())?;
/// assert_eq!(sweep.recommended(), 3);
/// assert!(sweep.reason().contains("silhouette"));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ChooseK {
    scores: Vec<KScore>,
    elbow: Option<usize>,
    gap_pick: Option<usize>,
    recommended: usize,
    reason: String,
}

impl ChooseK {
    /// Parameters for a sweep over `k_min..=k_max`.
    #[must_use]
    pub fn params(k_min: usize, k_max: usize) -> ChooseKParams {
        ChooseKParams {
            k_min,
            k_max,
            kmeans: KMeans::params(2).n_init(4),
            gap_references: 0,
            silhouette_rows: 10_000,
            seed: 0,
        }
    }

    /// One row per k, in increasing k.
    #[must_use]
    pub fn scores(&self) -> &[KScore] {
        &self.scores
    }

    /// The elbow of the inertia curve: the k farthest below the chord from the first to the
    /// last point, both axes scaled to [0, 1] (the "kneedle" idea). `None` with fewer than 3 k.
    #[must_use]
    pub fn elbow(&self) -> Option<usize> {
        self.elbow
    }

    /// Tibshirani's rule: the smallest k with `gap(k) >= gap(k+1) - s(k+1)`.
    #[must_use]
    pub fn gap_pick(&self) -> Option<usize> {
        self.gap_pick
    }

    /// The k picked by most criteria (silhouette, Calinski-Harabasz, Davies-Bouldin, gap,
    /// elbow), ties going to the silhouette's pick.
    #[must_use]
    pub fn recommended(&self) -> usize {
        self.recommended
    }

    /// Why: each criterion's pick, in words.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    fn decide(scores: Vec<KScore>) -> ChooseK {
        let best_by = |better: &dyn Fn(&KScore, &KScore) -> bool| {
            let mut best = &scores[0];
            for s in &scores[1..] {
                if better(s, best) {
                    best = s;
                }
            }
            best.k
        };
        let silhouette = best_by(&|a, b| a.silhouette > b.silhouette);
        let calinski = best_by(&|a, b| a.calinski_harabasz > b.calinski_harabasz);
        let davies = best_by(&|a, b| a.davies_bouldin < b.davies_bouldin);
        let elbow = elbow(&scores);
        let gap_pick = scores.windows(2).find_map(|w| match (w[0].gap, w[1].gap) {
            (Some(g), Some(next)) if g.value >= next.value - next.standard_error => Some(w[0].k),
            _ => None,
        });
        let mut picks = vec![
            ("silhouette", silhouette),
            ("Calinski-Harabasz", calinski),
            ("Davies-Bouldin", davies),
        ];
        if let Some(g) = gap_pick {
            picks.push(("gap statistic", g));
        }
        if let Some(e) = elbow {
            picks.push(("inertia elbow", e));
        }
        let votes = |k: usize| picks.iter().filter(|(_, p)| *p == k).count();
        let mut recommended = silhouette;
        for &(_, k) in &picks {
            if votes(k) > votes(recommended) {
                recommended = k;
            }
        }
        let detail: Vec<String> = picks
            .iter()
            .map(|(name, k)| format!("{name} picks {k}"))
            .collect();
        let gap_note = match (scores.iter().any(|s| s.gap.is_some()), gap_pick) {
            (false, _) => "; gap statistic not computed (ChooseKParams::gap_references)",
            (true, None) => {
                "; the gap statistic made no pick (no k within one standard error of the next)"
            }
            (true, Some(_)) => "",
        };
        let reason = format!(
            "k = {recommended}: {} of {} criteria agree ({}){gap_note}",
            votes(recommended),
            picks.len(),
            detail.join(", ")
        );
        ChooseK {
            scores,
            elbow,
            gap_pick,
            recommended,
            reason,
        }
    }
}

fn elbow(scores: &[KScore]) -> Option<usize> {
    if scores.len() < 3 {
        return None;
    }
    let (first, last) = (&scores[0], &scores[scores.len() - 1]);
    let dx = (last.k - first.k) as f64;
    let dy = first.inertia - last.inertia;
    if dy <= 0.0 {
        return None;
    }
    let mut best = None;
    let mut best_gap = 0.0;
    for s in &scores[1..scores.len() - 1] {
        let x = (s.k - first.k) as f64 / dx;
        let y = (first.inertia - s.inertia) / dy;
        // Distance above the chord y = x in the scaled space (inertia falls, so "drop" rises).
        let gap = y - x;
        if gap > best_gap {
            best_gap = gap;
            best = Some(s.k);
        }
    }
    best
}
