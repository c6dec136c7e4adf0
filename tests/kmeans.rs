//! k-means against scikit-learn fixtures, and its errors.

mod common;

use common::{assert_fit_close, fixture, matrix};
use ndarray::{array, Array2};
use saas_segmentation::cluster::{Algorithm, Init, KMeans};
use saas_segmentation::features::FeatureMatrix;
use saas_segmentation::Error;
use serde_json::Value;

fn array2(value: &Value) -> Array2<f64> {
    let rows = matrix(value);
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).expect("rectangular")
}

fn usizes(value: &Value) -> Vec<usize> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_u64().expect("label") as usize)
        .collect()
}

#[test]
fn fixed_starts_match_scikit_learn_step_for_step() {
    // Values computed with scikit-learn (version in the fixture) by tests/fixtures/generate.py.
    let data = fixture("kmeans.json");
    for case in data["fixed"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let x = array2(&case["x"]);
        let init = array2(&case["init"]);
        let weights: Option<Vec<f64>> = case["weights"]
            .as_array()
            .map(|w| w.iter().map(|v| v.as_f64().expect("weight")).collect());
        for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly] {
            let params = KMeans::params(init.nrows())
                .init(Init::Centroids(init.clone()))
                .tol(case["tol"].as_f64().expect("tol"))
                .max_iter(case["max_iter"].as_u64().expect("max_iter") as usize)
                .algorithm(algorithm);
            let model = match &weights {
                Some(w) => params.fit_weighted(x.view(), w),
                None => params.fit(x.view()),
            }
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let what = format!("{name} ({algorithm:?})");
            assert_eq!(model.labels(), usizes(&case["labels"]), "{what}: labels");
            assert_eq!(
                model.n_iter(),
                case["n_iter"].as_u64().expect("n_iter") as usize,
                "{what}: n_iter"
            );
            let expected = array2(&case["centroids"]);
            for (a, e) in model.centroids().iter().zip(expected.iter()) {
                assert_fit_close(*a, *e, &format!("{what}: centroid"));
            }
            assert_fit_close(
                model.inertia(),
                case["inertia"].as_f64().expect("inertia"),
                &format!("{what}: inertia"),
            );
        }
    }
}

#[test]
fn best_of_ten_starts_is_no_worse_than_scikit_learn() {
    let data = fixture("kmeans.json");
    for case in data["best_of_n_init"].as_array().expect("cases") {
        let x = array2(&case["x"]);
        let k = case["k"].as_u64().expect("k") as usize;
        for (init, key) in [
            (Init::KMeansPlusPlus, "k-means++"),
            (Init::Random, "random"),
        ] {
            let model = KMeans::params(k)
                .init(init)
                .n_init(10)
                .seed(0)
                .fit(x.view())
                .expect("fit");
            let reference = case["inertia"][key].as_f64().expect("inertia");
            assert!(
                model.inertia() <= reference * (1.0 + 1e-6),
                "{key}, k = {k}: inertia {} against scikit-learn's {reference}",
                model.inertia()
            );
        }
    }
}

#[test]
fn hamerly_equals_lloyd_bit_for_bit_from_random_starts() {
    let data = fixture("kmeans.json");
    let x = array2(&data["best_of_n_init"][1]["x"]);
    for seed in 0..4 {
        let fit = |algorithm| {
            KMeans::params(8)
                .seed(seed)
                .tol(0.0)
                .max_iter(30)
                .algorithm(algorithm)
                .fit(x.view())
                .expect("fit")
        };
        let (lloyd, hamerly) = (fit(Algorithm::Lloyd), fit(Algorithm::Hamerly));
        assert_eq!(lloyd.labels(), hamerly.labels());
        assert_eq!(lloyd.centroids(), hamerly.centroids());
        assert_eq!(lloyd.inertia().to_bits(), hamerly.inertia().to_bits());
        assert_eq!(lloyd.n_iter(), hamerly.n_iter());
    }
}

#[test]
fn same_seed_same_model_and_the_model_round_trips_through_json() {
    let data = fixture("kmeans.json");
    let x = array2(&data["best_of_n_init"][0]["x"]);
    let a = KMeans::params(5)
        .n_init(3)
        .seed(11)
        .fit(x.view())
        .expect("fit");
    let b = KMeans::params(5)
        .n_init(3)
        .seed(11)
        .fit(x.view())
        .expect("fit");
    assert_eq!(a, b);
    round_trip(&a, &x);
}

#[cfg(feature = "serde")]
fn round_trip(a: &KMeans, x: &Array2<f64>) {
    let json = serde_json::to_string(a).expect("serialize");
    let back: KMeans = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(a, &back);
    assert_eq!(back.predict(x.view()).expect("predict"), a.labels());
}

#[cfg(not(feature = "serde"))]
fn round_trip(_: &KMeans, _: &Array2<f64>) {}

#[test]
fn predict_transform_and_segmentation() {
    let x = array![[0.0, 0.0], [0.0, 2.0], [10.0, 10.0], [10.0, 12.0]];
    let start = array![[0.0, 1.0], [10.0, 11.0]];
    let model = KMeans::params(2)
        .init(Init::Centroids(start))
        .fit(x.view())
        .expect("fit");
    assert_eq!(model.inertia(), 4.0);
    assert!(model.converged());
    let distances = model
        .transform(array![[0.0, 4.0]].view())
        .expect("transform");
    assert_eq!(distances[[0, 0]], 3.0);
    assert!((distances[[0, 1]] - (100.0f64 + 49.0).sqrt()).abs() < 1e-12);
    assert_eq!(
        model.predict(Array2::zeros((0, 2)).view()).expect("empty"),
        Vec::<usize>::new()
    );
    let names = vec!["mrr".to_owned(), "seats".to_owned()];
    let matrix = FeatureMatrix::from_array(x.clone(), names).expect("matrix");
    let segmentation = model.segmentation(&matrix).expect("segmentation");
    assert_eq!(segmentation.sizes(), vec![2, 2]);
    assert_eq!(segmentation.universe(), matrix.universe());
    // Named by profile, described by the centroid in original units.
    match segmentation.segments()[1].definition() {
        saas_segmentation::SegmentDefinition::Centroid { features, values } => {
            assert_eq!(features, &["mrr", "seats"]);
            assert_eq!(
                values.as_slice(),
                model.centroids().row(1).as_slice().unwrap()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn columns_in_any_memory_order_give_the_same_model() {
    let data = fixture("kmeans.json");
    let x = array2(&data["best_of_n_init"][2]["x"]);
    let fortran = x.t().as_standard_layout().t().to_owned();
    assert!(fortran.as_slice().is_none());
    let a = KMeans::params(3).seed(1).fit(x.view()).expect("fit");
    let b = KMeans::params(3).seed(1).fit(fortran.view()).expect("fit");
    assert_eq!(a, b);
}

#[test]
fn bad_input_gets_typed_errors() {
    let x = array![[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]];
    let err = |r: Result<KMeans, Error>| r.expect_err("should fail");
    assert!(matches!(
        err(KMeans::params(0).fit(x.view())),
        Error::InvalidParameter {
            name: "n_clusters",
            ..
        }
    ));
    assert!(matches!(
        err(KMeans::params(3).fit(x.view())),
        Error::InvalidParameter {
            name: "n_clusters",
            ..
        }
    ));
    assert!(matches!(
        err(KMeans::params(2).fit(Array2::zeros((0, 2)).view())),
        Error::EmptyInput { .. }
    ));
    let mut bad = x.clone();
    bad[[2, 1]] = f64::NAN;
    assert_eq!(
        err(KMeans::params(2).fit(bad.view())),
        Error::NonFiniteCell { row: 2, column: 1 }
    );
    assert!(matches!(
        err(KMeans::params(2).fit_weighted(x.view(), &[1.0, 1.0])),
        Error::LengthMismatch {
            expected: 3,
            found: 2,
            ..
        }
    ));
    assert!(matches!(
        err(KMeans::params(2).fit_weighted(x.view(), &[1.0, -1.0, 1.0])),
        Error::OutOfRange { .. }
    ));
    assert!(matches!(
        err(KMeans::params(2).fit_weighted(x.view(), &[0.0, 0.0, 0.0])),
        Error::InvalidParameter {
            name: "sample_weight",
            ..
        }
    ));
    // Two distinct rows, but one of them has no weight.
    assert!(matches!(
        err(KMeans::params(2).fit_weighted(x.view(), &[0.0, 1.0, 1.0])),
        Error::InvalidParameter {
            name: "n_clusters",
            ..
        }
    ));
    assert!(matches!(
        err(KMeans::params(2)
            .init(Init::Centroids(array![[0.0, 1.0, 2.0], [1.0, 0.0, 2.0]]))
            .fit(x.view())),
        Error::ShapeMismatch {
            expected: 2,
            found: 3,
            ..
        }
    ));
    assert!(matches!(
        err(KMeans::params(2)
            .init(Init::Centroids(array![[0.0, 1.0]]))
            .fit(x.view())),
        Error::InvalidParameter { name: "init", .. }
    ));
    assert!(matches!(
        err(KMeans::params(2).tol(-1.0).fit(x.view())),
        Error::InvalidParameter { name: "tol", .. }
    ));
    assert!(matches!(
        err(KMeans::params(2).max_iter(0).fit(x.view())),
        Error::InvalidParameter {
            name: "max_iter",
            ..
        }
    ));
    assert!(matches!(
        err(KMeans::params(2).n_init(0).fit(x.view())),
        Error::InvalidParameter { name: "n_init", .. }
    ));
    let huge = array![[1e200, 0.0], [-1e200, 1.0]];
    assert!(matches!(
        err(KMeans::params(2).fit(huge.view())),
        Error::Undefined { .. }
    ));
    let model = KMeans::params(2).seed(0).fit(x.view()).expect("fit");
    assert!(matches!(
        model.predict(array![[0.0, 1.0, 2.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        model.predict(array![[f64::INFINITY, 1.0]].view()),
        Err(Error::NonFiniteCell { row: 0, column: 0 })
    ));
    let narrow = FeatureMatrix::from_array(array![[1.0], [2.0]], vec!["one".to_owned()]).unwrap();
    assert!(matches!(
        model.segmentation(&narrow),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn choosing_k_finds_the_blobs_and_explains_itself() {
    use saas_segmentation::cluster::ChooseK;
    let data = fixture("kmeans.json");
    // 500 rows in 5 well-separated blobs (scikit-learn's make_blobs, seed 0).
    let x = array2(&data["best_of_n_init"][0]["x"]);
    let sweep = ChooseK::params(2, 8)
        .gap_references(5)
        .seed(3)
        .fit(x.view())
        .expect("sweep");
    assert_eq!(sweep.scores().len(), 7);
    assert!(sweep
        .scores()
        .windows(2)
        .all(|w| w[1].inertia <= w[0].inertia));
    assert!(sweep.scores().iter().all(|s| s.silhouette_error.is_none()));
    assert!(sweep
        .reason()
        .starts_with(&format!("k = {}", sweep.recommended())));
    // The silhouette is exact up to 10,000 rows; a smaller cap samples and reports the error.
    let sampled = ChooseK::params(2, 3)
        .gap_references(0)
        .silhouette_rows(200)
        .fit(x.view())
        .expect("sampled");
    assert!(sampled
        .scores()
        .iter()
        .all(|s| s.silhouette_error.is_some()));
    assert!(sampled.gap_pick().is_none());
    assert!(sampled.reason().contains("gap statistic not computed"));
    // The gap statistic is opt-in: the default sweep runs no reference fits.
    let default = ChooseK::params(2, 3).fit(x.view()).expect("default");
    assert!(default.scores().iter().all(|s| s.gap.is_none()));
    assert!(matches!(
        ChooseK::params(1, 3).fit(x.view()),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        ChooseK::params(2, 500).fit(x.view()),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn profiles_describe_clusters_in_original_units() {
    use saas_segmentation::cluster::{profile_clusters, profiled_segmentation};
    use saas_segmentation::features::FeatureMatrix;
    let rows: Vec<[f64; 2]> = (0..30)
        .map(|i| {
            if i % 3 == 0 {
                [9000.0 + f64::from(i), 2.0]
            } else {
                [100.0 + f64::from(i), 20.0 + f64::from(i % 2)]
            }
        })
        .collect();
    let matrix = FeatureMatrix::builder()
        .column("mrr", |r: &[f64; 2]| r[0])
        .column("seats", |r: &[f64; 2]| r[1])
        .standardize()
        .build(&rows)
        .expect("matrix");
    let labels: Vec<usize> = (0..30).map(|i| usize::from(i % 3 == 0)).collect();
    let profiles = profile_clusters(&matrix, &labels).expect("profiles");
    assert_eq!(profiles[1].size, 10);
    assert!((profiles[1].share - 1.0 / 3.0).abs() < 1e-15);
    // Centroids come back in the caller's units, not standardised ones.
    assert!((profiles[1].centroid[0] - 9013.5).abs() < 1e-9);
    assert!((profiles[1].centroid[1] - 2.0).abs() < 1e-12);
    assert!(profiles[1].label.contains("high mrr"));
    assert!(profiles[0].label.contains("low mrr"));
    let segmentation = profiled_segmentation(&matrix, &labels).expect("segmentation");
    assert_eq!(segmentation.sizes(), vec![20, 10]);
    assert!(matches!(
        profile_clusters(&matrix, &labels[..5]),
        Err(Error::LengthMismatch { .. })
    ));
    let gap: Vec<usize> = labels.iter().map(|&l| l * 2).collect();
    assert!(matches!(
        profile_clusters(&matrix, &gap),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn mini_batch_gets_close_to_full_k_means_and_takes_chunks() {
    use saas_segmentation::cluster::MiniBatchKMeans;
    let data = fixture("kmeans.json");
    // 2000 x 8 in 8 blobs; scikit-learn's best-of-10 k-means++ inertia is the yardstick.
    let case = &data["best_of_n_init"][1];
    let x = array2(&case["x"]);
    let reference = case["inertia"]["k-means++"].as_f64().expect("inertia");
    let inertia_of = |labels: &[usize], centroids: ndarray::ArrayView2<'_, f64>| -> f64 {
        x.rows()
            .into_iter()
            .zip(labels)
            .map(|(row, &l)| {
                row.iter()
                    .zip(centroids.row(l).iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
            })
            .sum()
    };
    let model = MiniBatchKMeans::params(8)
        .batch_size(256)
        .seed(4)
        .fit(x.view())
        .expect("fit");
    let centroids = model.centroids().expect("fitted");
    let labels = model.predict(x.view()).expect("predict");
    let inertia = inertia_of(&labels, centroids);
    assert!(
        inertia <= reference * 1.10,
        "mini-batch inertia {inertia} vs full {reference}"
    );
    let again = MiniBatchKMeans::params(8)
        .batch_size(256)
        .seed(4)
        .fit(x.view())
        .expect("fit");
    assert_eq!(model, again);

    let mut streamed = MiniBatchKMeans::params(8).seed(2).start().expect("start");
    assert!(matches!(
        streamed.predict(x.view()),
        Err(Error::Undefined { .. })
    ));
    for _ in 0..5 {
        for chunk in x.axis_chunks_iter(ndarray::Axis(0), 500) {
            streamed.partial_fit(chunk).expect("chunk");
        }
    }
    assert_eq!(streamed.batches(), 20);
    assert_eq!(streamed.counts().iter().sum::<f64>(), 10_000.0);
    let labels = streamed.predict(x.view()).expect("predict");
    let inertia = inertia_of(&labels, streamed.centroids().expect("fitted"));
    assert!(
        inertia <= reference * 1.5,
        "streamed {inertia} vs {reference}"
    );
    assert!(matches!(
        streamed.partial_fit(array![[1.0, 2.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        MiniBatchKMeans::params(3)
            .start()
            .expect("start")
            .partial_fit(array![[1.0], [1.0], [2.0]].view()),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        MiniBatchKMeans::params(3).batch_size(0).start(),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn initial_centroids_are_the_first_run_start() {
    // Blobs of 2,000 rows, so the seeding's blocks and lanes are exercised (k = 8 draws four
    // candidates a step, k = 21 five).
    let n = 2_000;
    let x = Array2::from_shape_fn((n, 8), |(i, j)| {
        let blob = (i * 7 % 23) as f64;
        blob * 3.0 + ((i * 31 + j * 17) % 97) as f64 / 97.0
    });
    for k in [8, 21] {
        let params = KMeans::params(k).seed(11).n_init(1).max_iter(5);
        let start = params.initial_centroids(x.view()).unwrap();
        assert_eq!(start.dim(), (k, 8));
        // Every start is a row of x, and no row is drawn twice.
        let mut rows: Vec<usize> = start
            .rows()
            .into_iter()
            .map(|c| x.rows().into_iter().position(|r| r == c).unwrap())
            .collect();
        rows.sort_unstable();
        rows.dedup();
        assert_eq!(rows.len(), k);
        let from_seeding = params.fit(x.view()).unwrap();
        let from_start = params
            .clone()
            .init(Init::Centroids(start))
            .fit(x.view())
            .unwrap();
        assert_eq!(from_seeding.centroids(), from_start.centroids());
        assert_eq!(from_seeding.labels(), from_start.labels());
    }
    assert!(matches!(
        KMeans::params(3).initial_centroids(Array2::<f64>::zeros((0, 2)).view()),
        Err(Error::EmptyInput { .. })
    ));
}
