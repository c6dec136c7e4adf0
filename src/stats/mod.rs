//! Hypothesis tests, effect sizes and multiple-comparison corrections that match scipy and
//! statsmodels: do segments differ on a variable, and by how much?
//!
//! p-values come from survival functions (never `1 - cdf`), so small p-values keep their
//! precision. Every test returns a named result; inputs where a test is undefined (all values
//! equal, an empty group) give [`crate::Error`] values that say so, never a silent NaN.
//!
//! ```
//! use saas_segmentation::stats::{self, Alternative};
//!
//! let trial = [12.0, 15.0, 11.0, 18.0, 14.0];
//! let paid = [22.0, 25.0, 19.0, 24.0, 28.0];
//! let t = stats::ttest_ind(&trial, &paid, false, Alternative::TwoSided)?;
//! assert!(t.p_value < 0.01 && t.statistic < 0.0);
//! // With two groups, ANOVA's F is Student's t squared.
//! let student = stats::ttest_ind(&trial, &paid, true, Alternative::TwoSided)?;
//! let anova = stats::f_oneway(&[&trial[..], &paid[..]])?;
//! assert!((anova.statistic - student.statistic.powi(2)).abs() < 1e-9 * anova.statistic);
//! let adjusted = stats::holm(&[0.01, 0.04, 0.03])?;
//! assert_eq!(adjusted, vec![0.03, 0.06, 0.06]);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod categorical;
mod correction;
pub(crate) mod distributions;
mod exact;
mod means;
mod rank;

/// Checks every value of a sample is finite, naming the sample and position otherwise.
pub(crate) fn ensure_all_finite(values: &[f64], what: &str) -> crate::Result<()> {
    for (i, &v) in values.iter().enumerate() {
        crate::error::ensure_finite(v, || format!("{what} value {i}"), what)?;
    }
    Ok(())
}

pub use categorical::{
    chi2_contingency, chisquare, cramers_v, proportions_ztest, ChiSquareTest, ProportionsTest,
};
pub use correction::{benjamini_hochberg, holm};
pub use exact::ExactSum;
pub use means::{cohens_d, f_oneway, pooled_standard_deviation, ttest_ind, AnovaTest, TTest};
pub use rank::{
    kruskal, mannwhitneyu, KruskalTest, MannWhitneyMethod, MannWhitneyTest,
    MANN_WHITNEY_EXACT_LIMIT,
};

/// Which difference a two-sample test looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Alternative {
    /// Any difference (the default).
    #[default]
    TwoSided,
    /// The first sample is smaller.
    Less,
    /// The first sample is larger.
    Greater,
}
