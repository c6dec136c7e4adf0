//! Experiments within segments against statsmodels and scipy
//! (`tests/fixtures/experiments.json`, from `tests/fixtures/generate.py experiments`).

mod common;

use common::{assert_within, fixture, vector, P_TOL, STAT_TOL};
use proptest::prelude::*;
use saas_segmentation::experiment::{
    adjust_across_segments, compare_means, compare_proportions, cuped, power_normal,
    proportion_effectsize, sample_ratio_mismatch, sample_size_normal, sample_size_proportions, Arm,
    Correction,
};

fn pair(v: &serde_json::Value) -> Arm {
    Arm::new(v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

#[test]
fn proportions_match_statsmodels() {
    let f = fixture("experiments.json");
    for case in f["proportions"].as_array().unwrap() {
        let r = compare_proportions(
            pair(&case["control"]),
            pair(&case["treatment"]),
            case["alpha"].as_f64().unwrap(),
        )
        .unwrap();
        let what = format!("{case}");
        assert_within(r.statistic, case["z"].as_f64().unwrap(), STAT_TOL, &what);
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
        for (got, key) in [
            (r.difference_lower, "diff_lower"),
            (r.difference_upper, "diff_upper"),
            (r.lift_lower, "lift_lower"),
            (r.lift_upper, "lift_upper"),
        ] {
            assert_within(got, case[key].as_f64().unwrap(), STAT_TOL, key);
        }
    }
}

#[test]
fn means_match_scipy_and_statsmodels() {
    let f = fixture("experiments.json");
    for case in f["means"].as_array().unwrap() {
        let r = compare_means(
            &vector(&case["control"]),
            &vector(&case["treatment"]),
            case["alpha"].as_f64().unwrap(),
        )
        .unwrap();
        assert_within(r.statistic, case["t"].as_f64().unwrap(), STAT_TOL, "t");
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, "p");
        assert_within(
            r.difference_lower,
            case["diff_lower"].as_f64().unwrap(),
            STAT_TOL,
            "lo",
        );
        assert_within(
            r.difference_upper,
            case["diff_upper"].as_f64().unwrap(),
            STAT_TOL,
            "hi",
        );
    }
}

#[test]
fn power_and_sample_sizes_match_statsmodels() {
    let f = fixture("experiments.json");
    for case in f["power"].as_array().unwrap() {
        let got = power_normal(
            case["effect"].as_f64().unwrap(),
            case["n1"].as_f64().unwrap(),
            case["alpha"].as_f64().unwrap(),
            case["ratio"].as_f64().unwrap(),
        )
        .unwrap();
        assert_within(got, case["power"].as_f64().unwrap(), STAT_TOL, "power");
    }
    for case in f["sample_sizes"].as_array().unwrap() {
        let (pc, pt) = (
            case["p_control"].as_f64().unwrap(),
            case["p_treatment"].as_f64().unwrap(),
        );
        let h = proportion_effectsize(pt, pc).unwrap();
        assert_within(h, case["h"].as_f64().unwrap(), STAT_TOL, "h");
        let n = sample_size_proportions(
            pc,
            pt,
            case["alpha"].as_f64().unwrap(),
            case["power"].as_f64().unwrap(),
            case["ratio"].as_f64().unwrap(),
        )
        .unwrap();
        // statsmodels solves with brentq to its default tolerance; the solution agrees to 1e-6.
        assert_within(n, case["n1"].as_f64().unwrap(), 1e-6, "n1");
    }
}

#[test]
fn cuped_matches_the_direct_computation() {
    let f = fixture("experiments.json");
    let c = &f["cuped"];
    let (xc, yc, xt, yt) = (
        vector(&c["x_c"]),
        vector(&c["y_c"]),
        vector(&c["x_t"]),
        vector(&c["y_t"]),
    );
    let r = cuped((&xc, &yc), (&xt, &yt), 0.05).unwrap();
    assert_within(r.theta, c["theta"].as_f64().unwrap(), STAT_TOL, "theta");
    assert_within(r.readout.statistic, c["t"].as_f64().unwrap(), STAT_TOL, "t");
    assert_within(
        r.readout.p_value,
        c["p_value"].as_f64().unwrap(),
        P_TOL,
        "p",
    );
    assert_within(
        r.variance_reduction,
        c["variance_reduction"].as_f64().unwrap(),
        STAT_TOL,
        "variance reduction",
    );
    // The raw comparison is noisier than the adjusted one.
    let raw = compare_means(&yc, &yt, 0.05).unwrap();
    assert!(r.readout.p_value < raw.p_value);
}

#[test]
fn sample_ratio_mismatch_matches_scipy() {
    let f = fixture("experiments.json");
    for case in f["srm"].as_array().unwrap() {
        let counts: Vec<u64> = case["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let r = sample_ratio_mismatch(&counts, &vector(&case["planned"]), 0.001).unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            "chi2",
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, "p");
        assert_eq!(r.mismatch, r.p_value < 0.001);
    }
}

#[test]
fn small_tests_say_they_are_underpowered_and_segments_are_corrected() {
    let small = compare_proportions(Arm::new(10, 100), Arm::new(12, 100), 0.05).unwrap();
    assert!(small
        .guidance
        .as_deref()
        .unwrap()
        .starts_with("underpowered"));
    let big = compare_proportions(Arm::new(1_000, 10_000), Arm::new(1_300, 10_000), 0.05).unwrap();
    assert!(big.guidance.is_none());
    let adjusted = adjust_across_segments(&[small, big], Correction::Holm).unwrap();
    assert!(adjusted.iter().all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn bad_input_is_named() {
    assert!(compare_proportions(Arm::new(0, 0), Arm::new(1, 10), 0.05).is_err());
    assert!(compare_proportions(Arm::new(11, 10), Arm::new(1, 10), 0.05).is_err());
    assert!(compare_means(&[], &[1.0, 2.0], 0.05).is_err());
    assert!(sample_size_normal(0.0, 0.05, 0.8, 1.0).is_err());
    assert!(sample_size_proportions(0.1, 0.1, 0.05, 0.8, 1.0).is_err());
    assert!(sample_ratio_mismatch(&[10, 10], &[1.0], 0.001).is_err());
    assert!(cuped((&[1.0, 1.0], &[2.0, 3.0]), (&[1.0], &[2.0]), 0.05).is_err());
}

proptest! {
    #[test]
    fn power_rises_with_the_sample_and_the_effect(
        effect in 0.01..1.0f64,
        n in 2.0..5_000.0f64,
        more in 1.0..1_000.0f64,
    ) {
        let p = power_normal(effect, n, 0.05, 1.0).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!(power_normal(effect, n + more, 0.05, 1.0).unwrap() >= p);
        prop_assert!(power_normal(effect * 1.5, n, 0.05, 1.0).unwrap() >= p);
    }
}

#[test]
fn t_test_power_and_sample_sizes_match_statsmodels() {
    use saas_segmentation::experiment::{power_t, sample_size_t};
    let f = fixture("experiments.json");
    for case in f["t_power"].as_array().unwrap() {
        let got = power_t(
            case["effect"].as_f64().unwrap(),
            case["n1"].as_f64().unwrap(),
            case["alpha"].as_f64().unwrap(),
            case["ratio"].as_f64().unwrap(),
        )
        .unwrap();
        assert_within(got, case["power"].as_f64().unwrap(), 1e-9, "t power");
    }
    for case in f["t_sample_sizes"].as_array().unwrap() {
        let n = sample_size_t(
            case["effect"].as_f64().unwrap(),
            case["alpha"].as_f64().unwrap(),
            case["power"].as_f64().unwrap(),
            case["ratio"].as_f64().unwrap(),
        )
        .unwrap();
        // statsmodels' brentq stops at its default tolerance.
        assert_within(n, case["n1"].as_f64().unwrap(), 1e-6, "t n1");
    }
}
