//! Cox proportional hazards against lifelines 0.30 (Efron) and statsmodels (Efron, Breslow) on
//! lifelines' Rossi recidivism data and a synthetic churn table; Nelson-Aalen and the
//! concordance index against lifelines (`tests/fixtures/cox.json`, `generate.py cox`).

mod common;

use common::{assert_within, fixture, vector};
use ndarray::Array2;
use proptest::prelude::*;
use saas_segmentation::survival::{
    concordance_index, nelson_aalen, CoxModel, CoxParams, SurvivalData, Ties,
};
use saas_segmentation::{CustomerId, CustomerIndex, Error, PerCustomer};

/// Coefficients and standard errors: the 1e-6 relative.
const COX_TOL: f64 = 1e-6;

struct Case {
    name: String,
    covariates: Vec<String>,
    x: Array2<f64>,
    durations: Vec<f64>,
    observed: Vec<bool>,
    value: serde_json::Value,
}

fn cases() -> Vec<Case> {
    let f = fixture("cox.json");
    f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let rows = common::matrix(&c["x"]);
            let p = rows[0].len();
            let x = Array2::from_shape_vec((rows.len(), p), rows.concat()).unwrap();
            Case {
                name: c["name"].as_str().unwrap().to_owned(),
                covariates: c["covariates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect(),
                x,
                durations: vector(&c["durations"]),
                observed: c["observed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_bool().unwrap())
                    .collect(),
                value: c.clone(),
            }
        })
        .collect()
}

#[test]
fn cox_matches_lifelines_and_statsmodels() {
    for case in cases() {
        let names: Vec<&str> = case.covariates.iter().map(String::as_str).collect();
        for fit in case.value["fits"].as_array().unwrap() {
            let ties = if fit["ties"] == "breslow" {
                Ties::Breslow
            } else {
                Ties::Efron
            };
            let penalizer = fit["penalizer"].as_f64().unwrap();
            let what = format!(
                "{} {} {} penalizer {penalizer}",
                case.name, fit["peer"], fit["ties"]
            );
            let params = CoxParams::new().ties(ties).penalizer(penalizer);
            let model = CoxModel::fit(
                case.x.view(),
                &names,
                &case.durations,
                &case.observed,
                &params,
            )
            .unwrap();
            let coefs = model.coefficients();
            for (c, want) in coefs.iter().zip(vector(&fit["coef"])) {
                assert_within(c.coef, want, COX_TOL, &format!("{what} coef {}", c.name));
                assert_within(
                    c.hazard_ratio,
                    want.exp(),
                    COX_TOL,
                    &format!("{what} exp(coef)"),
                );
            }
            for (c, want) in coefs.iter().zip(vector(&fit["se"])) {
                assert_within(
                    c.standard_error,
                    want,
                    COX_TOL,
                    &format!("{what} se {}", c.name),
                );
            }
            assert_within(
                model.log_likelihood(),
                fit["log_likelihood"].as_f64().unwrap(),
                1e-9,
                &format!("{what} ll"),
            );
            if fit["peer"] != "lifelines" {
                continue;
            }
            for (key, get) in [
                (
                    "z",
                    (|c: &saas_segmentation::survival::CoxCoefficient| c.z) as fn(&_) -> f64,
                ),
                ("p", |c| c.p_value),
                ("lower", |c| c.lower),
                ("upper", |c| c.upper),
            ] {
                for (c, want) in coefs.iter().zip(vector(&fit[key])) {
                    assert_within(get(c), want, COX_TOL, &format!("{what} {key} {}", c.name));
                }
            }
            let lr = model.likelihood_ratio_test().unwrap();
            assert_within(
                lr.statistic,
                fit["lr_statistic"].as_f64().unwrap(),
                1e-7,
                &format!("{what} LR"),
            );
            assert_within(
                lr.p_value,
                fit["lr_p"].as_f64().unwrap(),
                1e-6,
                &format!("{what} LR p"),
            );
            assert_within(
                model.concordance(),
                fit["concordance"].as_f64().unwrap(),
                1e-12,
                &format!("{what} C"),
            );
            assert_within(
                model.aic_partial(),
                fit["aic_partial"].as_f64().unwrap(),
                1e-9,
                &format!("{what} AIC"),
            );
            let times = vector(&fit["baseline_times"]);
            let baseline = vector(&fit["baseline"]);
            let ours = model.baseline_cumulative_hazard();
            assert_eq!(ours.len(), times.len(), "{what} baseline length");
            for ((t, h), (wt, wh)) in ours.iter().zip(times.iter().zip(&baseline)) {
                assert_eq!(t, wt);
                assert_within(*h, *wh, COX_TOL, &format!("{what} H0({t})"));
            }
            let check_times = vector(&fit["times"]);
            for ((profile, surv), ph) in common::matrix(&fit["profiles"])
                .iter()
                .zip(common::matrix(&fit["survival"]))
                .zip(vector(&fit["partial_hazard"]))
            {
                assert_within(
                    model.partial_hazard(profile).unwrap(),
                    ph,
                    COX_TOL,
                    &format!("{what} partial hazard"),
                );
                let got = model.survival(profile, &check_times).unwrap();
                for (g, w) in got.iter().zip(&surv) {
                    assert_within(*g, *w, COX_TOL, &format!("{what} survival"));
                }
            }
        }
    }
}

#[test]
fn nelson_aalen_matches_lifelines() {
    for case in cases() {
        let na = &case.value["nelson_aalen"];
        let times = vector(&na["times"]);
        for (smooth, key, lower) in [
            (true, "smooth", "smooth_lower"),
            (false, "discrete", "discrete_lower"),
        ] {
            let rows = nelson_aalen(&case.durations, &case.observed, smooth, 0.05).unwrap();
            // lifelines' timeline starts at 0 when no duration is 0.
            let offset = times.len() - rows.len();
            for (row, (t, (h, lo))) in rows.iter().zip(
                times[offset..].iter().zip(
                    vector(&na[key])[offset..]
                        .iter()
                        .zip(&vector(&na[lower])[offset..]),
                ),
            ) {
                assert_eq!(row.time, *t);
                assert_within(
                    row.cumulative_hazard,
                    *h,
                    1e-12,
                    &format!("{} {key} H({t})", case.name),
                );
                assert_within(
                    row.lower,
                    *lo,
                    1e-9,
                    &format!("{} {key} lower({t})", case.name),
                );
            }
        }
    }
}

#[test]
fn concordance_matches_lifelines_with_ties() {
    let f = fixture("cox.json");
    let c = &f["concordance"];
    let event: Vec<bool> = c["event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    let value = concordance_index(&vector(&c["time"]), &vector(&c["risk"]), &event).unwrap();
    assert_within(value, c["value"].as_f64().unwrap(), 1e-12, "concordance");
}

/// The naive O(n²) definition.
fn naive_concordance(time: &[f64], risk: &[f64], event: &[bool]) -> Option<f64> {
    let (mut pairs, mut score) = (0.0, 0.0);
    for a in 0..time.len() {
        for b in 0..time.len() {
            let comparable = event[a] && (time[a] < time[b] || (time[a] == time[b] && !event[b]));
            if comparable {
                pairs += 1.0;
                if risk[a] > risk[b] {
                    score += 1.0;
                } else if risk[a] == risk[b] {
                    score += 0.5;
                }
            }
        }
    }
    (pairs > 0.0).then(|| score / pairs)
}

proptest! {
    #[test]
    fn concordance_equals_the_pairwise_definition(
        rows in prop::collection::vec((0u8..8, -3i8..3, any::<bool>()), 1..40)
    ) {
        let time: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
        let risk: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
        let event: Vec<bool> = rows.iter().map(|r| r.2).collect();
        match naive_concordance(&time, &risk, &event) {
            Some(want) => prop_assert!((concordance_index(&time, &risk, &event).unwrap() - want).abs() < 1e-12),
            None => prop_assert!(concordance_index(&time, &risk, &event).is_err()),
        }
    }

    #[test]
    fn cox_is_invariant_to_row_order_and_covariate_scale(seed in 0u64..50, scale in 0.01f64..100.0) {
        let case = &cases()[1];
        let names: Vec<&str> = case.covariates.iter().map(String::as_str).collect();
        let base = CoxModel::fit(case.x.view(), &names, &case.durations, &case.observed, &CoxParams::new()).unwrap();
        let n = case.durations.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.rotate_left((seed as usize * 37) % n);
        order.reverse();
        let mut x = Array2::zeros(case.x.dim());
        for (i, &o) in order.iter().enumerate() {
            for j in 0..names.len() {
                x[[i, j]] = case.x[[o, j]] * if j == 0 { scale } else { 1.0 };
            }
        }
        let d: Vec<f64> = order.iter().map(|&o| case.durations[o]).collect();
        let e: Vec<bool> = order.iter().map(|&o| case.observed[o]).collect();
        let moved = CoxModel::fit(x.view(), &names, &d, &e, &CoxParams::new()).unwrap();
        prop_assert!((moved.coefficients()[0].coef * scale - base.coefficients()[0].coef).abs() < 1e-9 * base.coefficients()[0].coef.abs().max(1e-3));
        prop_assert!((moved.coefficients()[1].coef - base.coefficients()[1].coef).abs() < 1e-9);
        prop_assert!((moved.concordance() - base.concordance()).abs() < 1e-12);
    }
}

#[test]
fn cox_on_customer_lifetimes_follows_the_index() {
    let case = &cases()[1];
    let n = case.durations.len();
    // Keys whose order differs from id order.
    let keys: Vec<String> = (0..n)
        .map(|i| format!("acct-{:04}", (i * 7919) % 10007))
        .collect();
    let index = CustomerIndex::from_keys(keys.clone()).unwrap();
    // Lifetimes listed in reverse id order.
    let ids: Vec<CustomerId> = (0..n).rev().map(|i| index.get(&keys[i]).unwrap()).collect();
    let durations: Vec<f64> = (0..n).rev().map(|i| case.durations[i]).collect();
    let observed: Vec<bool> = (0..n).rev().map(|i| case.observed[i]).collect();
    let lifetimes = SurvivalData::new(&index, ids, durations, observed).unwrap();
    let columns: Vec<PerCustomer<f64>> = (0..case.covariates.len())
        .map(|j| {
            PerCustomer::from_keyed(
                &index,
                keys.iter().cloned().zip(case.x.column(j).iter().copied()),
            )
            .unwrap()
        })
        .collect();
    let named: Vec<(&str, &PerCustomer<f64>)> = case
        .covariates
        .iter()
        .map(String::as_str)
        .zip(columns.iter())
        .collect();
    let model = CoxModel::fit_lifetimes(&lifetimes, &named, &CoxParams::new()).unwrap();
    let names: Vec<&str> = case.covariates.iter().map(String::as_str).collect();
    let direct = CoxModel::fit(
        case.x.view(),
        &names,
        &case.durations,
        &case.observed,
        &CoxParams::new(),
    )
    .unwrap();
    for (a, b) in model.coefficients().iter().zip(direct.coefficients()) {
        assert!((a.coef - b.coef).abs() < 1e-10 * b.coef.abs().max(1e-6));
    }
    // A column over another index, and a customer without a value, are refused.
    let other = CustomerIndex::from_keys(keys.iter().rev().cloned()).unwrap();
    let foreign = PerCustomer::from_keyed(&other, keys.iter().cloned().map(|k| (k, 1.0))).unwrap();
    assert!(matches!(
        CoxModel::fit_lifetimes(&lifetimes, &[("x", &foreign)], &CoxParams::new()),
        Err(Error::CustomerSetMismatch { .. })
    ));
    let partial =
        PerCustomer::from_keyed(&index, keys.iter().skip(1).cloned().map(|k| (k, 1.0))).unwrap();
    let e = CoxModel::fit_lifetimes(&lifetimes, &[("x", &partial)], &CoxParams::new()).unwrap_err();
    assert!(matches!(e, Error::MissingValue { .. }), "{e}");
}

#[test]
fn bad_cox_inputs_get_typed_errors() {
    let x = ndarray::array![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.5]];
    let d = [1.0, 2.0, 3.0, 4.0];
    let e = [true, true, false, true];
    let p = CoxParams::new();
    // Collinear (second = 2 x first, up to one row): named.
    let collinear = ndarray::array![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0]];
    let err = CoxModel::fit(collinear.view(), &["a", "b"], &d, &e, &p).unwrap_err();
    assert!(err.to_string().contains("covariate b"), "{err}");
    // Constant covariate.
    let constant = ndarray::array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]];
    let err = CoxModel::fit(constant.view(), &["a", "flat"], &d, &e, &p).unwrap_err();
    assert!(err.to_string().contains("flat"), "{err}");
    // Separation: the covariate orders churn perfectly.
    let sep = ndarray::array![[4.0], [3.0], [2.0], [1.0]];
    let err = CoxModel::fit(sep.view(), &["s"], &d, &[true, true, true, true], &p).unwrap_err();
    assert!(matches!(err, Error::Undefined { .. }), "{err}");
    // ... which the penalizer fixes.
    let fitted = CoxModel::fit(
        sep.view(),
        &["s"],
        &d,
        &[true, true, true, true],
        &p.penalizer(0.1),
    )
    .unwrap();
    assert!(fitted.coefficients()[0].coef.is_finite());
    // No events, NaN, negative durations, shapes.
    assert!(CoxModel::fit(x.view(), &["a", "b"], &d, &[false; 4], &p).is_err());
    let mut nan = x.clone();
    nan[[2, 1]] = f64::NAN;
    let err = CoxModel::fit(nan.view(), &["a", "b"], &d, &e, &p).unwrap_err();
    assert!(err.to_string().contains("subject 2"), "{err}");
    assert!(CoxModel::fit(x.view(), &["a", "b"], &[1.0, -2.0, 3.0, 4.0], &e, &p).is_err());
    assert!(CoxModel::fit(x.view(), &["a"], &d, &e, &p).is_err());
    assert!(CoxModel::fit(x.view(), &["a", "b"], &d[..3], &e, &p).is_err());
    assert!(CoxModel::fit(x.view(), &["a", "b"], &d, &e, &p.penalizer(-1.0)).is_err());
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(CoxModel::fit(empty.view(), &["a", "b"], &[], &[], &p).is_err());
    let model = CoxModel::fit(x.view(), &["a", "b"], &d, &e, &p.penalizer(0.01)).unwrap();
    assert!(model.survival(&[1.0], &[1.0]).is_err());
    assert!(model.survival(&[1.0, f64::NAN], &[1.0]).is_err());
    assert!(nelson_aalen(&[], &[], true, 0.05).is_err());
    assert!(nelson_aalen(&[1.0], &[true], true, 2.0).is_err());
}
