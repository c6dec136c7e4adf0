//! Logistic regression and score metrics against scikit-learn 1.9
//! (`tests/fixtures/propensity.json`, from `generate.py propensity`).

mod common;

use common::{assert_within, fixture, matrix, vector};
use proptest::prelude::*;
use saas_segmentation::ndarray::Array2;
use saas_segmentation::propensity::{
    average_precision, brier_score, calibration, labels_after, lift_by_decile, roc_auc,
    BinStrategy, ClassWeight, LogisticModel, LogisticParams,
};
use saas_segmentation::{CustomerIndex, Date, Error};

fn bools(v: &serde_json::Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_bool().unwrap())
        .collect()
}

#[test]
fn logistic_matches_scikit_learn() {
    let f = fixture("propensity.json");
    for case in f["logistic"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let rows = matrix(&case["x"]);
        let x = Array2::from_shape_vec((rows.len(), rows[0].len()), rows.concat()).unwrap();
        let y = bools(&case["y"]);
        let weights = case["sample_weight"]
            .as_array()
            .map(|_| vector(&case["sample_weight"]));
        let class_weight = match &case["class_weight"] {
            serde_json::Value::String(_) => ClassWeight::Balanced,
            serde_json::Value::Array(w) => ClassWeight::Given {
                negative: w[0].as_f64().unwrap(),
                positive: w[1].as_f64().unwrap(),
            },
            _ => ClassWeight::None,
        };
        let params = LogisticParams::new()
            .c(case["C"].as_f64().unwrap())
            .fit_intercept(case["fit_intercept"].as_bool().unwrap())
            .class_weight(class_weight);
        let model = LogisticModel::fit(x.view(), &y, weights.as_deref(), &params).unwrap();
        assert!(model.converged(), "{name}");
        // The exact optimum of scikit-learn's objective (its lbfgs solution polished by
        // Newton steps in the fixture script) to 1e-8; scikit-learn's own solution, whose
        // gradient it leaves near 1e-7, to 1e-5.
        for (got, want) in model.coef().iter().zip(vector(&case["coef_exact"])) {
            assert_within(*got, want, 1e-8, &format!("{name} coef (exact optimum)"));
        }
        assert_within(
            model.intercept(),
            case["intercept_exact"].as_f64().unwrap(),
            1e-8,
            &format!("{name} intercept"),
        );
        for (got, want) in model.coef().iter().zip(vector(&case["coef"])) {
            assert_within(*got, want, 1e-5, &format!("{name} coef (scikit-learn)"));
        }
        assert_within(
            model.intercept(),
            case["intercept"].as_f64().unwrap(),
            1e-5,
            &format!("{name} intercept"),
        );
        let proba = model.predict_proba(x.view()).unwrap();
        for (got, want) in proba.iter().zip(vector(&case["proba"])) {
            assert_within(*got, want, 1e-5, &format!("{name} proba (scikit-learn)"));
        }
        assert_eq!(model.separable(), name == "separable", "{name}");
        // Contributions sum to the log-odds.
        let row: Vec<f64> = x.row(0).to_vec();
        let logit: f64 = model.contributions(&row).unwrap().iter().sum::<f64>() + model.intercept();
        assert!((logit - model.decision_function(x.view()).unwrap()[0]).abs() < 1e-12);
    }
}

#[test]
fn metrics_match_scikit_learn() {
    let f = fixture("propensity.json");
    let m = &f["metrics"];
    let (y, score, prob, w) = (
        bools(&m["y"]),
        vector(&m["score"]),
        vector(&m["prob"]),
        vector(&m["sample_weight"]),
    );
    assert_within(
        roc_auc(&y, &score, None).unwrap(),
        m["roc_auc"].as_f64().unwrap(),
        1e-12,
        "auc",
    );
    assert_within(
        roc_auc(&y, &score, Some(&w)).unwrap(),
        m["roc_auc_weighted"].as_f64().unwrap(),
        1e-12,
        "weighted auc",
    );
    assert_within(
        average_precision(&y, &score, None).unwrap(),
        m["average_precision"].as_f64().unwrap(),
        1e-12,
        "ap",
    );
    assert_within(
        average_precision(&y, &score, Some(&w)).unwrap(),
        m["average_precision_weighted"].as_f64().unwrap(),
        1e-12,
        "weighted ap",
    );
    assert_within(
        brier_score(&y, &prob, None).unwrap(),
        m["brier"].as_f64().unwrap(),
        1e-12,
        "brier",
    );
    for (key, strategy) in [
        ("uniform", BinStrategy::Uniform),
        ("quantile", BinStrategy::Quantile),
    ] {
        let bins = calibration(&y, &prob, 10, strategy).unwrap();
        let want = &m["calibration"][key];
        let (pt, pp) = (vector(&want["prob_true"]), vector(&want["prob_pred"]));
        assert_eq!(bins.len(), pt.len(), "{key}");
        for (b, (t, p)) in bins.iter().zip(pt.iter().zip(&pp)) {
            assert_within(b.observed, *t, 1e-12, &format!("{key} observed"));
            assert_within(b.predicted, *p, 1e-12, &format!("{key} predicted"));
        }
    }
    let lift = lift_by_decile(&y, &score).unwrap();
    assert_eq!(lift.len(), 10);
    assert!((lift[9].cumulative_capture - 1.0).abs() < 1e-12);
    assert!(lift[0].lift > 1.0);
}

#[test]
fn bad_inputs_get_typed_errors() {
    let x = saas_segmentation::ndarray::array![[1.0], [2.0], [3.0]];
    let p = LogisticParams::new();
    assert!(matches!(
        LogisticModel::fit(x.view(), &[true, true, true], None, &p),
        Err(Error::Undefined { .. })
    ));
    assert!(LogisticModel::fit(x.view(), &[true, false], None, &p).is_err());
    assert!(
        LogisticModel::fit(x.view(), &[true, false, true], Some(&[1.0, -1.0, 1.0]), &p).is_err()
    );
    assert!(
        LogisticModel::fit(x.view(), &[true, false, true], Some(&[0.0, 0.0, 1.0]), &p).is_err()
    );
    assert!(LogisticModel::fit(x.view(), &[true, false, true], None, &p.c(0.0)).is_err());
    let nan = saas_segmentation::ndarray::array![[1.0], [f64::NAN], [3.0]];
    let e = LogisticModel::fit(nan.view(), &[true, false, true], None, &p).unwrap_err();
    assert!(e.to_string().contains("row 1"), "{e}");
    // A constant feature: finite, regularized.
    let constant =
        saas_segmentation::ndarray::array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]];
    let m = LogisticModel::fit(constant.view(), &[false, true, false, true], None, &p).unwrap();
    assert!(m.coef().iter().all(|c| c.is_finite()));
    assert!(roc_auc(&[true, true], &[0.1, 0.2], None).is_err());
    assert!(brier_score(&[true], &[1.5], None).is_err());
    assert!(calibration(&[true], &[0.5], 0, BinStrategy::Uniform).is_err());
}

#[test]
fn time_split_labels_exclude_earlier_outcomes() {
    let d = |s: &str| s.parse::<Date>().unwrap();
    let index = CustomerIndex::from_keys(["z", "a", "m"]).unwrap();
    let events = [
        ("a", d("2024-03-01")),
        ("m", d("2024-01-01")),
        ("z", d("2025-01-01")),
    ];
    let labels = labels_after(&index, &events, d("2024-01-01"), 90).unwrap();
    assert_eq!(labels.of_key(&index, "a").unwrap(), Some(&true));
    assert_eq!(labels.of_key(&index, "m").unwrap(), None);
    assert_eq!(labels.of_key(&index, "z").unwrap(), Some(&false));
    assert!(labels_after(&index, &[("q", d("2024-02-01"))], d("2024-01-01"), 90).is_err());
}

proptest! {
    #[test]
    fn auc_is_invariant_to_monotone_transforms_and_row_order(
        rows in prop::collection::vec((any::<bool>(), -50i32..50), 2..60),
        rotate in 0usize..60,
    ) {
        let y: Vec<bool> = rows.iter().map(|r| r.0).collect();
        let s: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
        prop_assume!(y.iter().any(|v| *v) && y.iter().any(|v| !*v));
        let base = roc_auc(&y, &s, None).unwrap();
        let squashed: Vec<f64> = s.iter().map(|v| (v / 10.0).tanh() * 3.0 + 7.0).collect();
        prop_assert!((roc_auc(&y, &squashed, None).unwrap() - base).abs() < 1e-12);
        let k = rotate % y.len();
        let (mut y2, mut s2) = (y.clone(), s.clone());
        y2.rotate_left(k);
        s2.rotate_left(k);
        prop_assert!((roc_auc(&y2, &s2, None).unwrap() - base).abs() < 1e-12);
        // The pairwise definition.
        let (mut pairs, mut score) = (0.0, 0.0);
        for i in 0..y.len() { for j in 0..y.len() {
            if y[i] && !y[j] { pairs += 1.0; score += if s[i] > s[j] { 1.0 } else if s[i] == s[j] { 0.5 } else { 0.0 }; }
        }}
        prop_assert!((base - score / pairs).abs() < 1e-12);
    }
}

#[test]
fn calibration_matches_scikit_learn() {
    use saas_segmentation::propensity::{IsotonicCalibrator, PlattCalibrator};
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/calibration.json"
    ))
    .unwrap();
    let f: serde_json::Value = serde_json::from_str(&text).unwrap();
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let score = nums(&f["score"]);
    let y = bools(&f["y"]);
    let new = nums(&f["new"]);
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let w = (!case["sample_weight"].is_null()).then(|| nums(&case["sample_weight"]));
        let platt = PlattCalibrator::fit(&score, &y, w.as_deref()).unwrap();
        let (a, b) = (
            case["platt_a_exact"].as_f64().unwrap(),
            case["platt_b_exact"].as_f64().unwrap(),
        );
        assert!(
            (platt.a() - a).abs() <= 1e-9 * a.abs(),
            "{name}: a {} vs {a}",
            platt.a()
        );
        assert!(
            (platt.b() - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{name}: b {} vs {b}",
            platt.b()
        );
        // scikit-learn's own L-BFGS-B stop (gtol 1e-6) is close to the optimum.
        let sk_a = case["platt_a"].as_f64().unwrap();
        assert!(
            (platt.a() - sk_a).abs() <= 1e-4 * sk_a.abs(),
            "{name}: a vs scikit-learn {sk_a}"
        );
        let p = platt.predict(&new).unwrap();
        for (mine, theirs) in p.iter().zip(nums(&case["platt_predict"])) {
            assert!((mine - theirs).abs() < 1e-5, "{name}: {mine} vs {theirs}");
        }
        let iso = IsotonicCalibrator::fit(&score, &y, w.as_deref()).unwrap();
        for (set, key) in [(&new, "isotonic_predict"), (&score, "isotonic_fitted")] {
            let p = iso.predict(set).unwrap();
            for (k, (mine, theirs)) in p.iter().zip(nums(&case[key])).enumerate() {
                assert!(
                    (mine - theirs).abs() < 1e-12,
                    "{name} {key}[{k}]: {mine} vs {theirs}"
                );
            }
        }
    }
    // Bad input.
    assert!(PlattCalibrator::fit(&[], &[], None).is_err());
    assert!(PlattCalibrator::fit(&[1.0, f64::NAN], &[true, false], None).is_err());
    assert!(IsotonicCalibrator::fit(&[1.0, 2.0], &[true], None).is_err());
    assert!(IsotonicCalibrator::fit(&[1.0, 2.0], &[true, false], Some(&[0.0, 0.0])).is_err());
    assert!(PlattCalibrator::fit(&[1.0, 2.0], &[true, false], Some(&[-1.0, 1.0])).is_err());
    // Extremes stay finite.
    let huge = [f64::MAX, -f64::MAX, 0.0, 1e300];
    let yy = [true, false, false, true];
    let platt = PlattCalibrator::fit(&huge, &yy, None).unwrap();
    assert!(platt.predict(&huge).unwrap().iter().all(|p| p.is_finite()));
    let iso = IsotonicCalibrator::fit(&huge, &yy, None).unwrap();
    assert!(iso
        .predict(&[f64::MAX, 1e308, -1e308])
        .unwrap()
        .iter()
        .all(|p| p.is_finite()));
    // One class only: Platt still gives probabilities, isotonic the constant.
    let one = PlattCalibrator::fit(&[1.0, 2.0], &[true, true], None).unwrap();
    assert!(one.predict(&[0.0]).unwrap()[0].is_finite());
}

#[test]
fn large_fits_start_from_a_sample_and_still_reach_the_optimum() {
    use saas_segmentation::ndarray::Array2;
    // 60,000 rows: above the 25,000-row sample, so the fit starts from the sample's optimum.
    let n = 60_000usize;
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let mut x = Array2::<f64>::zeros((n, 3));
    let mut y = vec![false; n];
    for i in 0..n {
        for j in 0..3 {
            x[[i, j]] = next() * 4.0 - 2.0;
        }
        let logit = 0.9 * x[[i, 0]] - 0.4 * x[[i, 1]] + 0.2;
        y[i] = next() < 1.0 / (1.0 + (-logit).exp());
    }
    for c in [1.0, 0.001] {
        let params = LogisticParams::new().c(c);
        let model = LogisticModel::fit(x.view(), &y, None, &params).unwrap();
        assert!(model.converged());
        // The objective's gradient at the fit, computed here: (Σ (p - y) x)/n + w/(C n).
        let mut g = [0.0; 4];
        for i in 0..n {
            let eta: f64 =
                (0..3).map(|j| model.coef()[j] * x[[i, j]]).sum::<f64>() + model.intercept();
            let r = 1.0 / (1.0 + (-eta).exp()) - f64::from(u8::from(y[i]));
            for j in 0..3 {
                g[j] += r * x[[i, j]];
            }
            g[3] += r;
        }
        for (gj, w) in g.iter_mut().zip(model.coef()) {
            *gj = *gj / n as f64 + w / (c * n as f64);
        }
        g[3] /= n as f64;
        assert!(g.iter().all(|v| v.abs() < 1e-10), "C {c}: gradient {g:?}");
    }
    // Bad values far from the sample's rows are still found and named.
    // (Every third row is in the sample: 50,001 is, 50,002 is not.)
    for row in [50_001, 50_002] {
        for bad in [f64::NAN, f64::INFINITY, -1e200] {
            let mut xb = x.clone();
            xb[[row, 2]] = bad;
            let e = LogisticModel::fit(xb.view(), &y, None, &LogisticParams::new()).unwrap_err();
            assert!(e.to_string().contains(&format!("row {row}")), "{bad}: {e}");
        }
    }
}

#[test]
fn large_separable_data_get_the_regularized_fit() {
    use saas_segmentation::ndarray::Array2;
    let n = 50_000usize;
    let mut x = Array2::<f64>::zeros((n, 2));
    let mut y = vec![false; n];
    for i in 0..n {
        let side = if i % 2 == 0 { 1.0 } else { -1.0 };
        x[[i, 0]] = side * (1.0 + (i % 97) as f64 / 97.0);
        x[[i, 1]] = ((i * 7919) % 1000) as f64 / 500.0 - 1.0;
        y[i] = side > 0.0;
    }
    let model = LogisticModel::fit(x.view(), &y, None, &LogisticParams::new()).unwrap();
    assert!(model.separable());
    assert!(model.coef().iter().all(|c| c.is_finite()) && model.intercept().is_finite());
    assert!(model.coef()[0] > 1.0);
}
