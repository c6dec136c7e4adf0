//! Agglomerative clustering against scipy, internal metrics against scikit-learn.

mod common;

use common::{assert_close, assert_fit_close, fixture, matrix};
use ndarray::{array, Array2};
use saas_segmentation::cluster::{AgglomerativeParams, Linkage};
use saas_segmentation::validate;
use saas_segmentation::Error;
use serde_json::Value;

fn array2(value: &Value) -> Array2<f64> {
    let rows = matrix(value);
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).expect("rectangular")
}

#[test]
fn linkage_trees_equal_scipy_row_for_row() {
    // Trees computed with scipy.cluster.hierarchy.linkage (version in the fixture).
    let data = fixture("hierarchy.json");
    for tree in data["trees"].as_array().expect("trees") {
        let name = tree["data"].as_str().expect("data");
        let method = tree["method"].as_str().expect("method");
        let linkage = match method {
            "ward" => Linkage::Ward,
            "complete" => Linkage::Complete,
            "average" => Linkage::Average,
            _ => Linkage::Single,
        };
        let x = array2(&data["data"][name]);
        let fitted = AgglomerativeParams::new(linkage)
            .fit(x.view())
            .expect("fit");
        let expected = matrix(&tree["linkage"]);
        assert_eq!(fitted.merges().len(), expected.len());
        for (i, (m, e)) in fitted.merges().iter().zip(&expected).enumerate() {
            let what = format!("{name} {method} merge {i}");
            assert_eq!(m.left as f64, e[0], "{what}: left");
            assert_eq!(m.right as f64, e[1], "{what}: right");
            assert_close(m.distance, e[2], &format!("{what}: distance"));
            assert_eq!(m.size as f64, e[3], "{what}: size");
        }
    }
}

#[test]
fn cuts_give_k_clusters_and_respect_the_threshold() {
    let data = fixture("hierarchy.json");
    let x = array2(&data["data"]["blobs_120x3"]);
    let tree = AgglomerativeParams::new(Linkage::Ward)
        .fit(x.view())
        .expect("fit");
    for k in 1..=10 {
        let labels = tree.cut_k(k).expect("cut");
        assert_eq!(labels.iter().max().map(|m| m + 1), Some(k));
        assert_eq!(labels[0], 0);
    }
    let all = tree.cut_distance(f64::INFINITY).unwrap();
    assert!(all.iter().all(|&l| l == 0));
    let none = tree.cut_distance(-1.0).unwrap();
    assert_eq!(none, (0..120).collect::<Vec<_>>());
    assert!(matches!(tree.cut_k(0), Err(Error::InvalidParameter { .. })));
    assert!(matches!(
        tree.cut_k(121),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn agglomerative_bad_input() {
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        AgglomerativeParams::new(Linkage::Single).fit(empty.view()),
        Err(Error::EmptyInput { .. })
    ));
    let big = Array2::<f64>::zeros((11, 1));
    assert!(matches!(
        AgglomerativeParams::new(Linkage::Ward)
            .max_rows(10)
            .fit(big.view()),
        Err(Error::InvalidParameter {
            name: "max_rows",
            ..
        })
    ));
    let nan = array![[0.0], [f64::NAN]];
    assert!(matches!(
        AgglomerativeParams::new(Linkage::Ward).fit(nan.view()),
        Err(Error::NonFiniteCell { row: 1, column: 0 })
    ));
    let one = array![[3.0, 4.0]];
    let tree = AgglomerativeParams::new(Linkage::Average)
        .fit(one.view())
        .expect("one row");
    assert!(tree.merges().is_empty());
    assert_eq!(tree.cut_k(1).expect("cut"), vec![0]);
}

#[test]
fn internal_metrics_match_scikit_learn() {
    // Values computed with scikit-learn (version in the fixture) by tests/fixtures/generate.py.
    let data = fixture("internal_metrics.json");
    for case in data["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let x = array2(&case["x"]);
        let labels: Vec<usize> = case["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|v| v.as_u64().expect("label") as usize)
            .collect();
        let samples = validate::silhouette_samples(x.view(), &labels).expect("silhouette");
        for (i, (a, e)) in samples
            .iter()
            .zip(case["silhouette_samples"].as_array().expect("samples"))
            .enumerate()
        {
            assert_fit_close(*a, e.as_f64().expect("value"), &format!("{name} s({i})"));
        }
        assert_close(
            validate::calinski_harabasz_score(x.view(), &labels).expect("ch"),
            case["calinski_harabasz"].as_f64().expect("ch"),
            &format!("{name}: Calinski-Harabasz"),
        );
        assert_close(
            validate::davies_bouldin_score(x.view(), &labels).expect("db"),
            case["davies_bouldin"].as_f64().expect("db"),
            &format!("{name}: Davies-Bouldin"),
        );
    }
}

#[test]
fn metric_edge_cases_follow_scikit_learn() {
    let x = array![[1.0, 1.0], [1.0, 1.0], [2.0, 2.0], [2.0, 2.0]];
    // No spread inside segments: Calinski-Harabasz is 1 by scikit-learn's convention.
    assert_eq!(
        validate::calinski_harabasz_score(x.view(), &[0, 0, 1, 1]).expect("ch"),
        1.0
    );
    assert_eq!(
        validate::davies_bouldin_score(x.view(), &[0, 0, 1, 1]).expect("db"),
        0.0
    );
    let err = validate::silhouette_score(x.view(), &[0, 0, 0, 0]).expect_err("one segment");
    assert!(matches!(
        err,
        Error::InvalidParameter { name: "labels", .. }
    ));
    let err = validate::silhouette_score(x.view(), &[0, 1, 2, 3]).expect_err("n segments");
    assert!(matches!(
        err,
        Error::InvalidParameter { name: "labels", .. }
    ));
    let err = validate::silhouette_score(x.view(), &[0, 2, 2, 0]).expect_err("gap");
    assert!(matches!(
        err,
        Error::InvalidParameter { name: "labels", .. }
    ));
    let err = validate::davies_bouldin_score(x.view(), &[0, 1]).expect_err("length");
    assert!(matches!(err, Error::LengthMismatch { .. }));
}
