//! One k-means iteration as mergeable partial sums: equal to one pass bit for bit over any
//! split and order, and to the library's own k-means iteration.

use ndarray::{s, Array2};
use proptest::prelude::*;
use saas_segmentation::cluster::{Algorithm, Init, KMeans, LloydStep};

fn rows(values: &[f64], d: usize) -> Array2<f64> {
    Array2::from_shape_vec(
        (values.len() / d, d),
        values[..values.len() / d * d].to_vec(),
    )
    .expect("shape")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn any_split_and_order_equals_one_pass(
        values in prop::collection::vec(-1e6f64..1e6, 2..240),
        cut in 0usize..100,
        k in 1usize..4,
    ) {
        let x = rows(&values, 2);
        prop_assume!(x.nrows() >= 1);
        let start = x.slice(s![..k.min(x.nrows()), ..]).to_owned();
        let mut one = LloydStep::new(start.view()).unwrap();
        one.add(x.view()).unwrap();
        let cut = cut % (x.nrows() + 1);
        let (head, tail) = x.view().split_at(ndarray::Axis(0), cut);
        let mut b = LloydStep::new(start.view()).unwrap();
        b.add(tail).unwrap();
        let mut a = LloydStep::new(start.view()).unwrap();
        a.add(head).unwrap();
        // Merge in the other order too: the tail's state first.
        b.merge(&a).unwrap();
        prop_assert_eq!(one.counts(), b.counts());
        let (c1, c2) = (one.centroids().unwrap(), b.centroids().unwrap());
        for (p, q) in c1.iter().zip(&c2) {
            prop_assert_eq!(p.to_bits(), q.to_bits());
        }
        prop_assert_eq!(one.inertia().unwrap().to_bits(), b.inertia().unwrap().to_bits());
    }
}

#[test]
fn one_step_moves_the_centroids_as_the_library_s_k_means_does() {
    // Seeded rows in three loose groups.
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = Array2::from_shape_fn((3000, 3), |(i, _)| (i % 3) as f64 * 4.0 + next());
    let start = x.slice(s![0..3, ..]).to_owned();
    let mut step = LloydStep::new(start.view()).unwrap();
    for chunk in x.axis_chunks_iter(ndarray::Axis(0), 512) {
        step.add(chunk).unwrap();
    }
    let model = KMeans::params(3)
        .init(Init::Centroids(start))
        .algorithm(Algorithm::Lloyd)
        .max_iter(1)
        .fit(x.view())
        .unwrap();
    let moved = step.centroids().unwrap();
    for (a, b) in moved.iter().zip(model.centroids()) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }
    assert_eq!(step.rows(), 3000);
}

#[test]
fn bad_rows_and_foreign_steps_are_typed_errors() {
    let start = ndarray::array![[0.0, 0.0], [1.0, 1.0]];
    let mut step = LloydStep::new(start.view()).unwrap();
    assert!(step.add(ndarray::array![[0.0, f64::NAN]].view()).is_err());
    assert!(step.add(ndarray::array![[0.0, 1.0, 2.0]].view()).is_err());
    let err = step
        .add(ndarray::array![[f64::MAX, f64::MAX]].view())
        .unwrap_err();
    assert!(err.to_string().contains("row 0"), "{err}");
    assert_eq!(step.rows(), 0);
    let other = LloydStep::new(ndarray::array![[0.0, 0.0], [2.0, 2.0]].view()).unwrap();
    assert!(step.merge(&other).is_err());
    assert!(LloydStep::new(Array2::<f64>::zeros((0, 2)).view()).is_err());
    assert!(LloydStep::new(ndarray::array![[f64::INFINITY]].view()).is_err());
    // An empty cluster keeps its centroid.
    step.add(ndarray::array![[0.1, 0.0]].view()).unwrap();
    assert_eq!(
        step.centroids().unwrap(),
        ndarray::array![[0.1, 0.0], [1.0, 1.0]]
    );
}
