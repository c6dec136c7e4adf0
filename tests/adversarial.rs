//! Adversarial inputs, one named test per class of the reliability review: every call returns
//! a typed error or a finite, in-range result; nothing panics or aborts.

use std::panic::{catch_unwind, AssertUnwindSafe};

use saas_segmentation::cluster::{AgglomerativeParams, KMeans, Linkage, MiniBatchKMeans};
use saas_segmentation::economics::Concentration;
use saas_segmentation::ndarray::array;
use saas_segmentation::random::SeededRng;
use saas_segmentation::stats::{f_oneway, mannwhitneyu, ttest_ind, Alternative, MannWhitneyMethod};
use saas_segmentation::survival::KaplanMeierParams;
use saas_segmentation::validate::{
    calinski_harabasz_score, davies_bouldin_score, silhouette_score, Contingency,
};
use saas_segmentation::{CustomerIndex, Segmentation};

/// Runs `f`, failing the test with `what` if it panics.
fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => panic!("{what} panicked"),
    }
}

#[test]
fn class1_label_values_do_not_size_buffers() {
    let x = array![[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]];
    let huge = [0, 1_000_000_000_000, 0];
    assert!(no_panic("silhouette", || silhouette_score(x.view(), &huge)).is_err());
    assert!(no_panic("ch", || calinski_harabasz_score(x.view(), &huge)).is_err());
    assert!(no_panic("db", || davies_bouldin_score(x.view(), &huge)).is_err());
    let max = [0, usize::MAX, 0];
    assert!(no_panic("silhouette max", || silhouette_score(x.view(), &max)).is_err());
    let index = CustomerIndex::from_keys(["a", "b", "c"]).unwrap();
    assert!(no_panic("from_labels", || Segmentation::from_labels(&index, &huge)).is_err());
    // Contingency over many distinct labels stays sparse.
    let n = 50_000;
    let classes: Vec<usize> = (0..n).collect();
    let clusters: Vec<usize> = (0..n).map(|i| i * 7 % n).collect();
    let c = no_panic("contingency", || Contingency::new(&classes, &clusters)).unwrap();
    assert_eq!(c.total(), n as u64);
    let c = no_panic("contingency huge labels", || {
        Contingency::new(&[0, usize::MAX], &[usize::MAX, 3])
    })
    .unwrap();
    assert_eq!(c.total(), 2);
}

#[test]
fn class1_minibatch_sized_by_data() {
    let x = array![[0.0], [1.0], [2.0]];
    let r = no_panic("minibatch huge k", || {
        MiniBatchKMeans::params(usize::MAX).fit(x.view())
    });
    assert!(r.is_err());
    let r = no_panic("minibatch batch", || {
        MiniBatchKMeans::params(2)
            .batch_size(usize::MAX)
            .fit(x.view())
    });
    assert!(r.is_ok(), "{r:?}");
    let r = no_panic("minibatch start", || {
        MiniBatchKMeans::params(1 << 40).start()
    });
    let _ = r;
}

#[test]
fn class2_huge_finite_values() {
    let a = [1e154, -1e154, 3e300, 1e308];
    let b = [1.0, 2.0, 3.0, -1e308];
    let r = no_panic("f_oneway", || f_oneway(&[&a, &b]));
    if let Ok(t) = r {
        assert!(
            t.statistic.is_finite() && (0.0..=1.0).contains(&t.p_value),
            "{t:?}"
        );
    }
    for equal in [true, false] {
        let r = no_panic("ttest", || ttest_ind(&a, &b, equal, Alternative::TwoSided));
        if let Ok(t) = r {
            assert!(
                t.statistic.is_finite() && (0.0..=1.0).contains(&t.p_value),
                "{t:?}"
            );
        }
    }
}

#[test]
fn class2_kmeans_huge_weights() {
    let x = array![[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [6.0, 6.0]];
    let w = [f64::MAX, f64::MAX / 2.0, 1.0, f64::MAX];
    let r = no_panic("kmeans weights", || {
        KMeans::params(2).seed(1).fit_weighted(x.view(), &w)
    });
    if let Ok(m) = r {
        assert!(m.labels().iter().all(|&l| l < 2));
        assert!(m.inertia().is_finite());
    }
}

#[test]
fn class2_small_calls() {
    let mut rng = SeededRng::new(1);
    let empty: [u8; 0] = [];
    let _ = no_panic("pick empty", || rng.pick(&empty));
    let _ = no_panic("with_capacity", || {
        CustomerIndex::<String>::with_capacity(usize::MAX)
    });
}

#[test]
fn class4_survival_and_concentration_ranges() {
    let km = KaplanMeierParams::new().fit_with_entry(
        &[5.0, 6.0, 7.0],
        &[true, true, false],
        &[4.0, 0.0, 6.5],
    );
    if let Ok(km) = km {
        for row in km.rows() {
            assert!((0.0..=1.0).contains(&row.survival), "{row:?}");
        }
        assert!(km.at(f64::NAN).is_err());
        assert!(km.quantile_time(1.5).is_err());
    }
    let c = Concentration::new(&[1e308, 1e308, 1.0]).unwrap();
    assert!(c.gini().is_finite(), "{}", c.gini());
    assert!(c.top_share(f64::NAN).is_err());
    assert!(c.customers_for(2.0).is_err());
    let x = array![[0.0], [1.0], [5.0]];
    let d = AgglomerativeParams::new(Linkage::Ward)
        .fit(x.view())
        .unwrap();
    assert!(d.cut_distance(f64::NAN).is_err());
    let far = array![[0.0], [1e200], [-1e200]];
    let r = AgglomerativeParams::new(Linkage::Ward).fit(far.view());
    if let Ok(tree) = r {
        assert!(tree.merges().iter().all(|m| m.distance.is_finite()));
    }
}

#[test]
fn class4_mannwhitney_exact_is_bounded() {
    let sample = |m: usize, n: usize| {
        let a: Vec<f64> = (0..m).map(|i| i as f64 * 1.5).collect();
        let b: Vec<f64> = (0..n).map(|i| i as f64 * 0.9 + 0.1).collect();
        (a, b)
    };
    // Counts near 1e180: exact, to scipy 1.17.1's mannwhitneyu(a, b, method="exact").
    let (a, b) = sample(200, 320);
    let t = no_panic("mwu", || {
        mannwhitneyu(
            &a,
            &b,
            true,
            Alternative::TwoSided,
            MannWhitneyMethod::Exact,
        )
    })
    .expect("exact test");
    assert_eq!(t.method, MannWhitneyMethod::Exact);
    assert!((t.p_value - 0.478_053_961_079_756_2).abs() < 1e-12, "{t:?}");
    // Beyond the limit (400 vs 640 used to give NaN, 2000 vs 2000 took 28 s) the asymptotic
    // p-value is returned, and the result says so: scipy's method="asymptotic" value.
    let (a, b) = sample(400, 640);
    let t = mannwhitneyu(
        &a,
        &b,
        true,
        Alternative::TwoSided,
        MannWhitneyMethod::Exact,
    )
    .unwrap();
    assert_eq!(t.method, MannWhitneyMethod::Asymptotic);
    assert!((t.p_value - 0.295_738_705_668_730_6).abs() < 1e-9, "{t:?}");
    let (a, b) = sample(2000, 2000);
    let t = mannwhitneyu(
        &a,
        &b,
        true,
        Alternative::TwoSided,
        MannWhitneyMethod::Exact,
    )
    .unwrap();
    assert_eq!(t.method, MannWhitneyMethod::Asymptotic);
}

#[test]
fn class4_kaplan_meier_late_entry_stays_in_range() {
    // Two subjects enter and churn at t = 2 while one other is at risk: lifelines leaves them
    // out of the population and reports S = -1.
    let km = KaplanMeierParams::new()
        .fit_with_entry(&[3.0, 2.0, 2.0], &[true, true, true], &[0.0, 2.0, 2.0])
        .unwrap();
    for row in km.rows() {
        assert!((0.0..=1.0).contains(&row.survival), "{row:?}");
        assert!(
            row.lower <= row.survival && row.survival <= row.upper,
            "{row:?}"
        );
    }
    assert!(km.at(f64::NAN).is_err());
    assert!(km.quantile_time(1.5).is_err());
    assert!(km.quantile_time(f64::NAN).is_err());
}

/// A lookup that claims two customers but hands out the ids of a larger index.
struct Lying {
    inner: CustomerIndex<String>,
}

impl saas_segmentation::CustomerSet for Lying {
    fn universe(&self) -> saas_segmentation::Universe {
        saas_segmentation::Universe::dense(2)
    }
}

impl saas_segmentation::ids::CustomerLookup<String> for Lying {
    fn customer_count(&self) -> usize {
        2
    }
    fn lookup(&self, key: &String) -> Option<saas_segmentation::CustomerId> {
        self.inner.get(key)
    }
}

#[test]
fn class2_a_lookup_past_its_count_is_an_error_not_a_panic() {
    use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
    use saas_segmentation::cohort::{lifecycle, stickiness, ActivityParams, Cohorts, Grid};
    use saas_segmentation::economics::{MrrMovements, MrrParams};
    use saas_segmentation::records::MrrRecord;
    use saas_segmentation::survival::{LifetimeParams, SurvivalData};
    use saas_segmentation::{Date, Period};

    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let lying = Lying {
        inner: CustomerIndex::from_keys(keys.clone()).unwrap(),
    };
    let day = Date::from_ymd(2024, 3, 1).unwrap();
    let end = Date::from_ymd(2024, 6, 30).unwrap();
    let late = "k9".to_owned();
    let signups = vec![(keys[0].clone(), day), (late.clone(), day)];
    let activity = vec![(late.clone(), end)];
    let mrr = vec![MrrRecord::new(late.clone(), day, 10.0)];
    let log = vec![Activity::<String>::new(
        late.clone(),
        day,
        ActivityEvent::Login,
    )];
    let params = ActivityParams::new(end);
    let grid = Grid::Calendar(Period::Month);
    assert!(no_panic("by_signup", || Cohorts::by_signup(&lying, &signups, grid)).is_err());
    let _ = no_panic("lifecycle", || lifecycle(&lying, &activity, &params));
    let _ = no_panic("stickiness", || stickiness(&lying, &activity, &params));
    assert!(no_panic("mrr", || MrrMovements::compute(
        &lying,
        &mrr,
        &MrrParams::new(end)
    ))
    .is_err());
    let config = BehaviourConfig::new(day, end).unwrap();
    assert!(no_panic("behaviour", || derive_behaviour(&lying, &log, &config)).is_err());
    let lifetime = LifetimeParams::new(end);
    assert!(no_panic("lifetimes", || SurvivalData::from_mrr(
        &lying, &mrr, &lifetime
    ))
    .is_err());
    let _ = no_panic("lifetimes activity", || {
        SurvivalData::from_activity(&lying, &signups, &activity, &lifetime)
    });
}
