//! Property tests of the validation metrics and statistics: label permutation changes nothing,
//! a partition agrees perfectly with itself, silhouette stays in [-1, 1] and equals the naive
//! double loop, corrections never lower a p-value.

use ndarray::Array2;
use proptest::prelude::*;
use saas_segmentation::stats;
use saas_segmentation::validate::{self, Averaging, Contingency};

/// Rows and dense labels 0..k (every label used, at least two labels, fewer than n).
fn labelled() -> impl Strategy<Value = (Array2<f64>, Vec<usize>, usize)> {
    (4usize..40, 1usize..5, 2usize..5).prop_flat_map(|(n, d, k)| {
        let k = k.min(n - 1);
        (
            prop::collection::vec(-20i32..20, n * d),
            prop::collection::vec(0..k, n),
            Just((n, d, k)),
        )
            .prop_map(|(cells, mut labels, (n, d, k))| {
                for (c, label) in labels.iter_mut().take(k).enumerate() {
                    *label = c;
                }
                let x = Array2::from_shape_vec(
                    (n, d),
                    cells.iter().map(|&v| f64::from(v) * 0.5).collect(),
                )
                .unwrap();
                (x, labels, k)
            })
    })
}

fn naive_silhouette(x: &Array2<f64>, labels: &[usize], k: usize) -> Vec<f64> {
    let n = labels.len();
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    (0..n)
        .map(|i| {
            let mut sums = vec![0.0; k];
            for j in 0..n {
                let d: f64 = x
                    .row(i)
                    .iter()
                    .zip(x.row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                sums[labels[j]] += d;
            }
            let own = labels[i];
            if sizes[own] <= 1 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if a.max(b) > 0.0 {
                (b - a) / a.max(b)
            } else {
                0.0
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn streaming_silhouette_equals_the_naive_loop_and_stays_in_range((x, labels, k) in labelled()) {
        let fast = validate::silhouette_samples(x.view(), &labels).unwrap();
        let slow = naive_silhouette(&x, &labels, k);
        for (a, b) in fast.iter().zip(&slow) {
            prop_assert!((a - b).abs() <= 1e-12, "{a} vs {b}");
            prop_assert!((-1.0..=1.0).contains(a));
        }
    }

    #[test]
    fn relabelling_segments_changes_no_metric((x, labels, k) in labelled(), shift in 1usize..4) {
        let relabelled: Vec<usize> = labels.iter().map(|&l| (l + shift) % k).collect();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
        let s = validate::silhouette_score(x.view(), &labels).unwrap();
        prop_assert!(close(s, validate::silhouette_score(x.view(), &relabelled).unwrap()));
        let ch = validate::calinski_harabasz_score(x.view(), &labels).unwrap();
        prop_assert!(close(ch, validate::calinski_harabasz_score(x.view(), &relabelled).unwrap()));
        let db = validate::davies_bouldin_score(x.view(), &labels).unwrap();
        prop_assert!(close(db, validate::davies_bouldin_score(x.view(), &relabelled).unwrap()));
        let other: Vec<usize> = labels.iter().enumerate().map(|(i, &l)| (l + i) % 3).collect();
        let ari = validate::adjusted_rand_score(&labels, &other).unwrap();
        prop_assert!(close(ari, validate::adjusted_rand_score(&relabelled, &other).unwrap()));
        for method in [Averaging::Min, Averaging::Geometric, Averaging::Arithmetic, Averaging::Max] {
            let ami = validate::adjusted_mutual_info_score(&labels, &other, method).unwrap();
            prop_assert!(close(ami, validate::adjusted_mutual_info_score(&relabelled, &other, method).unwrap()));
            let nmi = validate::normalized_mutual_info_score(&labels, &other, method).unwrap();
            prop_assert!(close(nmi, validate::normalized_mutual_info_score(&relabelled, &other, method).unwrap()));
        }
    }

    #[test]
    fn a_partition_agrees_perfectly_with_itself(labels in prop::collection::vec(0usize..6, 1..60)) {
        prop_assert_eq!(validate::adjusted_rand_score(&labels, &labels).unwrap(), 1.0);
        let table = Contingency::new(&labels, &labels).unwrap();
        let ami = table.adjusted_mutual_information(Averaging::Arithmetic);
        prop_assert!(ami.is_finite());
        let nmi = table.normalized_mutual_information(Averaging::Arithmetic);
        prop_assert!((nmi - 1.0).abs() < 1e-12 || table.classes().len() == 1);
    }

    #[test]
    fn agreement_metrics_stay_finite_on_any_labellings(
        pairs in prop::collection::vec((0usize..5, 0usize..7), 1..80)
    ) {
        let (a, b): (Vec<usize>, Vec<usize>) = pairs.into_iter().unzip();
        let table = Contingency::new(&a, &b).unwrap();
        prop_assert!(table.adjusted_rand().is_finite());
        prop_assert!(table.adjusted_rand() <= 1.0);
        for method in [Averaging::Min, Averaging::Geometric, Averaging::Arithmetic, Averaging::Max] {
            prop_assert!(table.adjusted_mutual_information(method).is_finite());
            let nmi = table.normalized_mutual_information(method);
            prop_assert!((0.0..=1.0 + 1e-12).contains(&nmi));
        }
        let halves = Contingency::new(&a[..a.len() / 2], &b[..b.len() / 2]);
        if let Ok(first) = halves {
            let second = Contingency::new(&a[a.len() / 2..], &b[b.len() / 2..]).unwrap();
            prop_assert_eq!(first.merge(&second).unwrap(), table);
        }
    }

    #[test]
    fn corrections_never_lower_a_p_value(p in prop::collection::vec(0.0f64..=1.0, 1..30)) {
        let holm = stats::holm(&p).unwrap();
        let bh = stats::benjamini_hochberg(&p).unwrap();
        for ((raw, h), b) in p.iter().zip(&holm).zip(&bh) {
            prop_assert!(h >= raw && *h <= 1.0);
            prop_assert!(b >= raw && *b <= 1.0);
            prop_assert!(*h >= b - 1e-12, "holm {h} < bh {b}");
        }
    }
}
