//! Re-segmentation checks against scipy's `ks_2samp` and a numpy population stability index
//! (`tests/fixtures/drift.json`, from `tests/fixtures/generate.py drift`).

mod common;

use common::{assert_within, fixture, vector, P_TOL, STAT_TOL};
use proptest::prelude::*;
use saas_segmentation::drift::{
    category_shift, ks_2samp, population_stability, KsMethod, PsiParams, Resegment, Trigger,
};
use saas_segmentation::stats::Alternative;

#[test]
fn ks_2samp_matches_scipy() {
    let f = fixture("drift.json");
    let mut exact = 0;
    for case in f["ks_2samp"].as_array().unwrap() {
        let (a, b) = (vector(&case["a"]), vector(&case["b"]));
        let alternative = match case["alternative"].as_str().unwrap() {
            "less" => Alternative::Less,
            "greater" => Alternative::Greater,
            _ => Alternative::TwoSided,
        };
        let what = format!("{} {}", case["name"], case["alternative"]);
        let r = ks_2samp(&a, &b, alternative).unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
        assert_eq!(r.location, case["location"].as_f64().unwrap(), "{what}");
        assert_eq!(i64::from(r.sign), case["sign"].as_i64().unwrap(), "{what}");
        exact += usize::from(r.method == KsMethod::Exact);
    }
    assert!(exact >= 18, "{exact} exact p-values");
}

#[test]
fn population_stability_matches_numpy() {
    let f = fixture("drift.json");
    for case in f["psi"].as_array().unwrap() {
        let what = case["name"].as_str().unwrap();
        let r = population_stability(
            &vector(&case["baseline"]),
            &vector(&case["current"]),
            &PsiParams::default(),
        )
        .unwrap();
        assert_within(r.psi, case["psi"].as_f64().unwrap(), STAT_TOL, what);
        let expected = vector(&case["expected"]);
        let actual = vector(&case["actual"]);
        assert_eq!(r.bins.len(), expected.len(), "{what}");
        for ((bin, e), a) in r.bins.iter().zip(expected).zip(actual) {
            assert_within(bin.expected, e, STAT_TOL, what);
            assert_within(bin.actual, a, STAT_TOL, what);
        }
    }
}

proptest! {
    #[test]
    fn psi_is_zero_on_identical_data_and_symmetric_in_the_shares(
        values in prop::collection::vec(-1e3..1e3f64, 10..60),
        other in prop::collection::vec(-1e3..1e3f64, 10..60),
    ) {
        let same = population_stability(&values, &values, &PsiParams::default()).unwrap();
        prop_assert!(same.psi.abs() < 1e-12);
        let r = population_stability(&values, &other, &PsiParams::default()).unwrap();
        prop_assert!(r.psi >= 0.0);
        // With the bins fixed, swapping the two sides' shares gives the same index.
        let swapped: f64 = r
            .bins
            .iter()
            .map(|b| {
                let (e, a) = (b.actual.max(1e-4), b.expected.max(1e-4));
                (a - e) * (a / e).ln()
            })
            .sum();
        prop_assert!((swapped - r.psi).abs() < 1e-9 * (1.0 + r.psi));
        let ks = ks_2samp(&values, &other, Alternative::TwoSided).unwrap();
        prop_assert!((0.0..=1.0).contains(&ks.p_value) && (0.0..=1.0).contains(&ks.statistic));
    }
}

#[test]
fn categorical_shifts_and_the_recommendation() {
    let before = ["smb"; 60]
        .iter()
        .chain(&["mid"; 30])
        .chain(&["ent"; 10])
        .copied()
        .collect::<Vec<_>>();
    let after = ["smb"; 30]
        .iter()
        .chain(&["mid"; 40])
        .chain(&["ent"; 30])
        .copied()
        .collect::<Vec<_>>();
    let shift = category_shift(&before, &after).unwrap();
    assert!(shift.p_value < 1e-4 && shift.cramers_v.unwrap() > 0.2);
    let stable = Resegment::new().migration(0.93).review(40, 90).decide();
    assert!(!stable.resegment && stable.stable.len() == 2);
    let moved = Resegment::new()
        .migration(0.41)
        .review(95, 90)
        .trigger(Trigger::NewMarket {
            description: "DACH enterprise".into(),
        })
        .decide();
    assert!(moved.resegment);
    assert_eq!(moved.reasons.len(), 3);
    assert!(moved.reasons[0].contains("ARI 0.41"), "{:?}", moved.reasons);
}

#[test]
fn bad_input_is_named() {
    assert!(ks_2samp(&[], &[1.0], Alternative::TwoSided).is_err());
    assert!(ks_2samp(&[f64::NAN], &[1.0], Alternative::TwoSided).is_err());
    let many = PsiParams {
        bins: 1_000_000,
        floor: 1e-4,
    };
    assert!(population_stability(&[1.0, 2.0], &[1.0], &many).is_err());
    let p = PsiParams {
        bins: 2,
        floor: 0.0,
    };
    assert!(population_stability(&[1.0, 2.0, 3.0], &[1.0], &p).is_err());
    assert!(category_shift::<&str>(&[], &[]).is_err());
}
