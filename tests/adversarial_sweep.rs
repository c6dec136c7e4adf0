//! The adversarial sweep: proptest drives every public numeric entry point with the values that
//! break numerical code (empty, one element, all equal, NaN, +-inf, `f64::MAX`, subnormals,
//! values near 1e154 whose squares overflow, integer extremes, k = 0 and k > n, label gaps).
//!
//! The contract checked for every call: it does not panic, and an `Ok` result is finite and
//! inside its mathematical range. A panic is caught and turned into a test failure, so proptest
//! shrinks it and records the case in `tests/adversarial_sweep.proptest-regressions`, which is
//! committed and replayed first on every run. CI runs this file in debug and in release, where
//! integer overflow wraps silently instead of panicking.

use proptest::prelude::*;

#[path = "common/guard.rs"]
mod guard;
use guard::guarded;
use saas_segmentation::cluster::{AgglomerativeParams, ChooseK, KMeans, Linkage, MiniBatchKMeans};
use saas_segmentation::economics::{cac, cac_payback_months, ltv, wilson, Concentration};
use saas_segmentation::features::{Scaler, ScalerKind};
use saas_segmentation::ndarray::Array2;
use saas_segmentation::random::SeededRng;
use saas_segmentation::stats::{
    benjamini_hochberg, chi2_contingency, chisquare, cohens_d, cramers_v, f_oneway, holm, kruskal,
    mannwhitneyu, proportions_ztest, ttest_ind, Alternative, MannWhitneyMethod,
};
use saas_segmentation::survival::{
    logrank_test, pairwise_logrank, survival_difference_at, KaplanMeierParams, SurvivalGroup,
    Weighting,
};
use saas_segmentation::validate::{
    adjusted_mutual_info_score, adjusted_rand_score, bootstrap_stability, calinski_harabasz_score,
    davies_bouldin_score, normalized_mutual_info_score, silhouette_sampled, silhouette_samples,
    silhouette_score, Averaging, Contingency,
};
use saas_segmentation::{CustomerIndex, Date, Period, Segmentation};

/// An `Ok` number must be finite (and in `range` when given).
fn in_range(what: &str, value: f64, low: f64, high: f64) -> Result<(), TestCaseError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what} returned {value}, expected a finite value in [{low}, {high}]"
        )))
    }
}

fn finite(what: &str, value: f64) -> Result<(), TestCaseError> {
    in_range(what, value, f64::NEG_INFINITY, f64::INFINITY)
}

fn probability(what: &str, value: f64) -> Result<(), TestCaseError> {
    in_range(what, value, 0.0, 1.0)
}

/// The numbers that break numerical code, and ordinary ones between them.
fn nasty() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -10.0..10.0f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(5e-324),
        1 => Just(1e154),
        1 => Just(-1e154),
        1 => Just(1e300),
        1 => any::<f64>(),
    ]
}

/// Mostly ordinary finite numbers with extremes mixed in (no NaN or infinity), to reach the
/// arithmetic past the input checks.
fn finite_nasty() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -10.0..10.0f64,
        1 => Just(0.0),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
        1 => Just(5e-324),
        1 => Just(1e154),
        1 => Just(-1e154),
        1 => Just(1e200),
        1 => -1e300..1e300f64,
    ]
}

fn values(strategy: impl Strategy<Value = f64>, max: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(strategy, 0..max)
}

/// Labels with gaps and extremes: mostly small, sometimes huge.
fn labels(n: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![
            8 => 0usize..4,
            1 => Just(usize::MAX),
            1 => Just(1usize << 40),
            1 => 0usize..1000,
        ],
        n,
    )
}

/// A matrix of `rows x cols` from a flat vector (cut or padded with zeros).
fn matrix(rows: usize, cols: usize, cells: &[f64]) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        cells.get(i * cols + j).copied().unwrap_or(0.0)
    })
}

proptest! {
    #![proptest_config(guard::config())]

    #[test]
    fn means_and_ranks(
        a in values(nasty(), 12),
        b in values(finite_nasty(), 12),
        c in values(finite_nasty(), 5),
        equal in any::<bool>(),
        exact in any::<bool>(),
        correction in any::<bool>(),
    ) {
        let groups: [&[f64]; 3] = [&a, &b, &c];
        if let Ok(t) = guarded("f_oneway", || f_oneway(&groups))? {
            // Zero spread within groups: F is +inf and p is 0, documented (scipy's values).
            let infinite = t.statistic == f64::INFINITY && t.p_value == 0.0;
            prop_assert!(infinite || (t.statistic >= 0.0 && t.statistic.is_finite()), "{t:?}");
            probability("f_oneway p", t.p_value)?;
            probability("eta squared", t.eta_squared)?;
        }
        if let Ok(t) = guarded("kruskal", || kruskal(&groups))? {
            finite("kruskal H", t.statistic)?;
            probability("kruskal p", t.p_value)?;
        }
        for alternative in [Alternative::TwoSided, Alternative::Less, Alternative::Greater] {
            if let Ok(t) = guarded("ttest_ind", || ttest_ind(&a, &b, equal, alternative))? {
                // Constant samples with different means: t is infinite, documented (scipy's).
                if t.statistic.is_infinite() {
                    prop_assert!(t.p_value == 0.0 || t.p_value == 1.0, "{t:?}");
                } else {
                    finite("t", t.statistic)?;
                }
                probability("t p", t.p_value)?;
            }
            let method = if exact { MannWhitneyMethod::Exact } else { MannWhitneyMethod::Asymptotic };
            if let Ok(t) = guarded("mannwhitneyu", || mannwhitneyu(&a, &b, correction, alternative, method))? {
                finite("U", t.statistic)?;
                probability("mwu p", t.p_value)?;
            }
        }
        if let Ok(d) = guarded("cohens_d", || cohens_d(&b, &c))? {
            finite("cohen's d", d)?;
        }
    }

    #[test]
    fn tables_and_corrections(
        cells in values(nasty(), 12),
        rows in 0usize..5,
        expected in values(nasty(), 6),
        ddof in prop_oneof![0usize..4, Just(usize::MAX)],
        successes in (prop_oneof![any::<u64>(), Just(u64::MAX)], 0u64..50),
        trials in (prop_oneof![any::<u64>(), Just(u64::MAX)], 0u64..60),
        p in values(nasty(), 8),
        alpha in nasty(),
    ) {
        for correction in [false, true] {
            if let Ok(t) = guarded("chi2_contingency", || chi2_contingency(&cells, rows, correction))? {
                prop_assert!(t.statistic >= 0.0 && t.statistic.is_finite(), "{t:?}");
                probability("chi2 p", t.p_value)?;
            }
        }
        if let Ok(v) = guarded("cramers_v", || cramers_v(&cells, rows))? {
            probability("cramer's v", v)?;
        }
        let observed = &cells[..cells.len().min(expected.len())];
        for e in [None, Some(&expected[..observed.len()])] {
            if let Ok(t) = guarded("chisquare", || chisquare(observed, e, ddof))? {
                prop_assert!(t.statistic >= 0.0 && t.statistic.is_finite(), "{t:?}");
                probability("chisquare p", t.p_value)?;
            }
        }
        let s = [successes.0, successes.1];
        let n = [trials.0, trials.1];
        if let Ok(t) = guarded("proportions_ztest", || proportions_ztest(s, n, Alternative::TwoSided))? {
            finite("z", t.statistic)?;
            probability("z p", t.p_value)?;
        }
        if let Ok(w) = guarded("wilson", || wilson(s[0], n[0], alpha))? {
            probability("wilson low", w.lower)?;
            probability("wilson high", w.upper)?;
        }
        for correction in [holm as fn(&[f64]) -> _, benjamini_hochberg] {
            if let Ok(adjusted) = guarded("p-value correction", || correction(&p))? {
                for q in adjusted {
                    probability("adjusted p", q)?;
                }
            }
        }
    }

    #[test]
    fn internal_metrics(
        rows in 0usize..9,
        cols in 0usize..4,
        cells in values(finite_nasty(), 40),
        nan in any::<bool>(),
        labels in labels(9),
    ) {
        let mut x = matrix(rows, cols, &cells);
        if nan && rows > 0 && cols > 0 {
            x[[rows - 1, 0]] = f64::NAN;
        }
        let labels = &labels[..rows.min(labels.len())];
        if let Ok(s) = guarded("silhouette_samples", || silhouette_samples(x.view(), labels))? {
            for v in s {
                in_range("silhouette sample", v, -1.0, 1.0)?;
            }
        }
        if let Ok(s) = guarded("silhouette_score", || silhouette_score(x.view(), labels))? {
            in_range("silhouette", s, -1.0, 1.0)?;
        }
        if let Ok(s) = guarded("silhouette_sampled", || silhouette_sampled(x.view(), labels, 3, 1))? {
            in_range("sampled silhouette", s.estimate, -1.0, 1.0)?;
            finite("silhouette se", s.standard_error)?;
        }
        if let Ok(v) = guarded("calinski_harabasz", || calinski_harabasz_score(x.view(), labels))? {
            prop_assert!(v >= 0.0 && v.is_finite(), "ch {v}");
        }
        if let Ok(v) = guarded("davies_bouldin", || davies_bouldin_score(x.view(), labels))? {
            prop_assert!(v >= 0.0 && v.is_finite(), "db {v}");
        }
        let refit = |_: saas_segmentation::ndarray::ArrayView2<'_, f64>, _| Ok(labels.to_vec());
        if let Ok(s) = guarded("bootstrap_stability", || bootstrap_stability(x.view(), labels, 3, 1, refit))? {
            in_range("stability ari", s.mean_ari, -1.0, 1.0)?;
        }
    }

    #[test]
    fn external_metrics(a in labels(12), b in labels(12), n in 0usize..12) {
        let (a, b) = (&a[..n], &b[..n]);
        if let Ok(v) = guarded("ari", || adjusted_rand_score(a, b))? {
            in_range("ari", v, -1.0, 1.0)?;
        }
        for averaging in [Averaging::Arithmetic, Averaging::Geometric, Averaging::Min, Averaging::Max] {
            if let Ok(v) = guarded("nmi", || normalized_mutual_info_score(a, b, averaging))? {
                probability("nmi", v)?;
            }
            if let Ok(v) = guarded("ami", || adjusted_mutual_info_score(a, b, averaging))? {
                // Bounded above by 1; chance-corrected, it has no lower bound of -1.
                in_range("ami", v, f64::MIN, 1.0)?;
            }
        }
        if let Ok(c) = guarded("contingency", || Contingency::new(a, b))? {
            let (h, comp, v) = c.homogeneity_completeness_v_measure(1.0);
            for m in [h, comp, v, c.fowlkes_mallows()] {
                probability("contingency metric", m)?;
            }
            finite("mutual information", c.mutual_information())?;
        }
        let index = CustomerIndex::from_keys((0..n).map(|i| i.to_string())).unwrap();
        let _ = guarded("from_labels", || Segmentation::from_labels(&index, a))?;
    }

    #[test]
    fn clustering(
        rows in 0usize..10,
        cols in 0usize..3,
        cells in values(finite_nasty(), 30),
        weights in values(nasty(), 10),
        k in prop_oneof![0usize..5, Just(usize::MAX), Just(1usize << 40)],
        threshold in nasty(),
    ) {
        let x = matrix(rows, cols, &cells);
        if let Ok(m) = guarded("kmeans", || KMeans::params(k).seed(3).n_init(2).max_iter(20).fit(x.view()))? {
            prop_assert!(m.labels().iter().all(|&l| l < k));
            prop_assert!(m.inertia() >= 0.0 && m.inertia().is_finite(), "{}", m.inertia());
            prop_assert!(m.centroids().iter().all(|v| v.is_finite()));
            let _ = guarded("predict", || m.predict(x.view()))?;
            if let Ok(t) = guarded("transform", || m.transform(x.view()))? {
                prop_assert!(t.iter().all(|v| v.is_finite() && *v >= 0.0));
            }
        }
        if let Ok(start) = guarded("kmeans initial centroids", || KMeans::params(k).seed(3).initial_centroids(x.view()))? {
            prop_assert_eq!(start.dim(), (k, cols));
            prop_assert!(start.iter().all(|v| v.is_finite()));
        }
        let w = &weights[..weights.len().min(rows)];
        if let Ok(m) = guarded("kmeans weighted", || KMeans::params(k).seed(3).max_iter(20).fit_weighted(x.view(), w))? {
            prop_assert!(m.labels().iter().all(|&l| l < k));
            prop_assert!(m.inertia() >= 0.0 && m.inertia().is_finite(), "{}", m.inertia());
        }
        if let Ok(m) = guarded("minibatch", || MiniBatchKMeans::params(k).seed(3).max_iter(5).fit(x.view()))? {
            if let Ok(labels) = guarded("minibatch predict", || m.predict(x.view()))? {
                prop_assert!(labels.iter().all(|&l| l < k));
            }
        }
        if let Ok(mut m) = guarded("minibatch start", || MiniBatchKMeans::params(k).seed(3).start())? {
            let _ = guarded("partial_fit", || m.partial_fit(x.view()))?;
            let _ = guarded("partial_fit twice", || m.partial_fit(x.view()))?;
        }
        for linkage in [Linkage::Ward, Linkage::Complete, Linkage::Average, Linkage::Single] {
            if let Ok(tree) = guarded("linkage", || AgglomerativeParams::new(linkage).fit(x.view()))? {
                for merge in tree.merges() {
                    prop_assert!(merge.distance.is_finite() && merge.distance >= 0.0, "{merge:?}");
                }
                let _ = guarded("cut_k", || tree.cut_k(k))?;
                let _ = guarded("cut_distance", || tree.cut_distance(threshold))?;
            }
        }
        if rows <= 8 {
            if let Ok(c) = guarded("choose_k", || ChooseK::params(1, k.min(6)).seed(2).gap_references(2).fit(x.view()))? {
                prop_assert!(c.recommended() >= 1);
            }
        }
    }

    #[test]
    fn scalers(rows in 0usize..8, cols in 0usize..3, cells in values(nasty(), 24), other in values(finite_nasty(), 24)) {
        let x = matrix(rows, cols, &cells);
        let y = matrix(rows, cols, &other);
        for kind in [ScalerKind::Standard, ScalerKind::MinMax, ScalerKind::Robust] {
            if let Ok(s) = guarded("scaler fit", || Scaler::fit(kind, x.view()))? {
                prop_assert!(s.center().iter().chain(s.scale()).all(|v| v.is_finite()));
                prop_assert!(s.scale().iter().all(|&v| v > 0.0));
                if let Ok(t) = guarded("scaler transform", || s.transform(y.view()))? {
                    prop_assert!(t.iter().all(|v| v.is_finite()));
                }
                if let Ok(t) = guarded("scaler inverse", || s.inverse_transform(y.view()))? {
                    prop_assert!(t.iter().all(|v| v.is_finite()));
                }
            }
        }
    }

    #[test]
    fn survival(
        durations in values(nasty(), 10),
        observed in prop::collection::vec(any::<bool>(), 10),
        entry in values(nasty(), 10),
        other in values(finite_nasty(), 8),
        time in nasty(),
        q in nasty(),
        alpha in nasty(),
    ) {
        let n = durations.len();
        let observed = &observed[..n];
        let entry = &entry[..entry.len().min(n)];
        for params in [KaplanMeierParams::new(), KaplanMeierParams::new().alpha(alpha)] {
            for km in [
                guarded("km fit", || params.fit(&durations, observed))?,
                guarded("km fit_with_entry", || params.fit_with_entry(&durations, observed, entry))?,
            ].into_iter().flatten() {
                for row in km.rows() {
                    probability("survival", row.survival)?;
                    probability("lower", row.lower)?;
                    probability("upper", row.upper)?;
                }
                if let Ok(p) = guarded("km at", || km.at(time))? {
                    probability("survival at", p.survival)?;
                }
                if let Ok(t) = guarded("quantile", || km.quantile_time(q))? {
                    prop_assert!(!t.is_nan());
                }
                if let Ok(m) = guarded("rmst", || km.restricted_mean(time))? {
                    prop_assert!(m.is_finite() && m >= 0.0, "{m}");
                }
                let _ = km.median();
                let _ = km.steps();
                let observed_b = vec![true; other.len()];
                if let Ok(b) = guarded("km b", || KaplanMeierParams::new().fit(&other, &observed_b))? {
                    if let Ok(d) = guarded("difference", || survival_difference_at(&km, &b, time, alpha))? {
                        finite("difference", d.difference)?;
                        probability("difference p", d.p_value)?;
                    }
                }
            }
        }
        let observed_b = vec![true; other.len()];
        let groups = [SurvivalGroup::new(&durations, observed), SurvivalGroup::new(&other, &observed_b)];
        for weighting in [Weighting::LogRank, Weighting::Wilcoxon, Weighting::TaroneWare, Weighting::Peto] {
            if let Ok(t) = guarded("logrank", || logrank_test(&groups, weighting))? {
                prop_assert!(t.statistic >= 0.0 && t.statistic.is_finite(), "{t:?}");
                probability("logrank p", t.p_value)?;
            }
            let _ = guarded("pairwise logrank", || pairwise_logrank(&groups, weighting))?;
        }
    }

    #[test]
    fn drift_checks(a in values(nasty(), 12), b in values(finite_nasty(), 12), bins in prop_oneof![0usize..12, Just(usize::MAX)], floor in nasty()) {
        use saas_segmentation::drift::{ks_2samp, population_stability, PsiParams};
        for alternative in [Alternative::TwoSided, Alternative::Less, Alternative::Greater] {
            if let Ok(t) = guarded("ks_2samp", || ks_2samp(&a, &b, alternative))? {
                probability("ks statistic", t.statistic)?;
                probability("ks p", t.p_value)?;
            }
        }
        for params in [PsiParams::default(), PsiParams { bins, floor }] {
            if let Ok(p) = guarded("psi", || population_stability(&a, &b, &params))? {
                prop_assert!(p.psi.is_finite() && p.psi >= 0.0, "{p:?}");
            }
        }
    }

    #[test]
    fn experiments(
        counts in (any::<u64>(), 0u64..100, 0u64..1000, prop_oneof![any::<u64>(), Just(u64::MAX)]),
        a in values(nasty(), 8), b in values(finite_nasty(), 8), x in values(finite_nasty(), 8),
        alpha in nasty(), power in nasty(), effect in nasty(), ratio in nasty(),
    ) {
        use saas_segmentation::experiment::*;
        let (s1, s2, n1, n2) = counts;
        if let Ok(r) = guarded("compare_proportions", || compare_proportions(Arm::new(s1, n2), Arm::new(s2, n1), alpha))? {
            for v in [r.difference, r.difference_lower, r.difference_upper, r.lift_lower, r.lift_upper, r.minimum_detectable_difference] {
                finite("readout", v)?;
            }
            probability("readout p", r.p_value)?;
        }
        if let Ok(r) = guarded("compare_means", || compare_means(&a, &b, alpha))? {
            for v in [r.difference_lower, r.difference_upper, r.lift_lower, r.lift_upper] {
                finite("means readout", v)?;
            }
            probability("means p", r.p_value)?;
        }
        if let Ok(p) = guarded("power", || power_normal(effect, n1 as f64, alpha, ratio))? { probability("power", p)?; }
        if let Ok(n) = guarded("sample size", || sample_size_normal(effect, alpha, power, ratio))? { finite("sample size", n)?; }
        if let Ok(p) = guarded("t power", || power_t(effect, n1 as f64, alpha, ratio))? { probability("t power", p)?; }
        if let Ok(n) = guarded("t sample size", || sample_size_t(effect, alpha, power, ratio))? { finite("t sample size", n)?; }
        let bx = &x[..x.len().min(b.len())];
        let bb = &b[..bx.len()];
        let _ = guarded("cuped", || cuped((bx, bb), (bx, bb), alpha))?;
        if let Ok(r) = guarded("srm", || sample_ratio_mismatch(&[n1, n2], &[1.0, ratio], alpha))? { probability("srm p", r.p_value)?; }
    }

    #[test]
    fn value_and_unit_economics(
        v in values(nasty(), 10),
        a in nasty(), b in nasty(), c in nasty(),
        customers in any::<u64>(),
        share in nasty(),
        points in prop_oneof![0usize..5, Just(usize::MAX), Just(1usize << 40)],
    ) {
        if let Ok(x) = guarded("ltv", || ltv(a, b, c))? { finite("ltv", x)?; }
        if let Ok(x) = guarded("cac", || cac(a, customers))? { finite("cac", x)?; }
        if let Ok(x) = guarded("payback", || cac_payback_months(a, b, c))? { finite("payback", x)?; }
        if let Ok(conc) = guarded("concentration", || Concentration::new(&v))? {
            probability("gini", conc.gini())?;
            if let Ok(s) = guarded("top_share", || conc.top_share(share))? { probability("top share", s)?; }
            if let Ok(s) = guarded("customers_for", || conc.customers_for(share))? { probability("customers for", s)?; }
            let lorenz = guarded("lorenz", || conc.lorenz(points.min(1 << 12)))?;
            for (x, y) in lorenz {
                probability("lorenz x", x)?;
                probability("lorenz y", y)?;
            }
        }
    }

    #[test]
    fn dates_and_randomness(
        text in ".{0,24}",
        digits in "[0-9+-]{1,12}-[0-9]{1,3}-[0-9]{1,3}",
        days in prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), -4_000_000i64..4_000_000],
        months in prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), -200_000i64..200_000],
        index in prop_oneof![any::<i32>(), Just(i32::MAX), Just(i32::MIN)],
        seed in any::<u64>(),
        weights in values(nasty(), 5),
        mean in nasty(),
        below in any::<u64>(),
    ) {
        for t in [&text, &digits] {
            if let Ok(d) = guarded("date parse", || t.parse::<Date>())? {
                prop_assert_eq!(d.to_string().parse::<Date>().ok(), Some(d));
            }
        }
        let d = Date::from_ymd(2024, 2, 29).unwrap();
        for date in [Date::MIN, Date::MAX, d] {
            let _ = guarded("add_days", || date.add_days(days))?;
            let _ = guarded("add_months", || date.add_months(months))?;
            for period in [Period::Day, Period::IsoWeek, Period::Month, Period::Quarter, Period::Year] {
                let _ = guarded("start_of_index", || period.start_of_index(index))?;
                let _ = guarded("period start", || period.start(date))?;
                let _ = guarded("periods_between", || period.periods_between(Date::MIN, date))?;
                let _ = guarded("label", || period.label(date))?;
            }
        }
        let _ = guarded("from_days", || Date::from_days(days))?;
        let mut rng = SeededRng::new(seed);
        let _ = guarded("weighted", || rng.weighted(&weights))?;
        let _ = guarded("below", || rng.below(below))?;
        let _ = guarded("poisson", || rng.poisson(mean))?;
        let _ = guarded("exponential", || rng.exponential(mean))?;
        let _ = guarded("lognormal", || rng.lognormal(mean, mean))?;
        let _ = guarded("range", || rng.range(mean, -mean))?;
        let _ = guarded("bernoulli", || rng.bernoulli(mean))?;
        let empty: [u8; 0] = [];
        prop_assert!(guarded("pick", || rng.pick(&empty))?.is_none());
    }
}
