//! Hypothesis tests, effect sizes and corrections against scipy and statsmodels, and external
//! agreement metrics against scikit-learn (`tests/fixtures/generate.py`).

mod common;

use common::{assert_within, fixture, vector, P_TOL, STAT_TOL};
use saas_segmentation::stats::{self, Alternative, MannWhitneyMethod};
use saas_segmentation::validate::{self, Averaging, Contingency};
use serde_json::Value;

fn groups(case: &Value) -> Vec<Vec<f64>> {
    case["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(vector)
        .collect()
}

fn alternative(case: &Value) -> Alternative {
    match case["alternative"].as_str().unwrap() {
        "less" => Alternative::Less,
        "greater" => Alternative::Greater,
        _ => Alternative::TwoSided,
    }
}

fn labels(value: &Value) -> Vec<usize> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn anova_and_kruskal_match_scipy() {
    let f = fixture("stat_tests.json");
    for case in f["anova"].as_array().unwrap() {
        let g = groups(case);
        let refs: Vec<&[f64]> = g.iter().map(Vec::as_slice).collect();
        let name = case["name"].as_str().unwrap();
        let r = stats::f_oneway(&refs).unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            name,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, name);
        assert_within(
            r.eta_squared,
            case["eta_squared"].as_f64().unwrap(),
            STAT_TOL,
            name,
        );
    }
    for case in f["kruskal"].as_array().unwrap() {
        let g = groups(case);
        let refs: Vec<&[f64]> = g.iter().map(Vec::as_slice).collect();
        let name = case["name"].as_str().unwrap();
        let r = stats::kruskal(&refs).unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            name,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, name);
        let eps = case["epsilon_squared"].as_f64().unwrap();
        assert_within(r.epsilon_squared, eps, STAT_TOL, name);
    }
}

#[test]
fn t_tests_match_scipy() {
    let f = fixture("stat_tests.json");
    for case in f["ttest"].as_array().unwrap() {
        let (a, b) = (vector(&case["a"]), vector(&case["b"]));
        let what = format!(
            "{} equal_var={} {}",
            case["name"], case["equal_var"], case["alternative"]
        );
        let r = stats::ttest_ind(
            &a,
            &b,
            case["equal_var"].as_bool().unwrap(),
            alternative(case),
        )
        .unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(r.df, case["df"].as_f64().unwrap(), STAT_TOL, &what);
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
    }
    let d = &f["cohens_d"];
    let got = stats::cohens_d(&vector(&d["a"]), &vector(&d["b"])).unwrap();
    assert_within(got, d["d"].as_f64().unwrap(), STAT_TOL, "cohen's d");
}

#[test]
fn mann_whitney_matches_scipy_exact_and_asymptotic() {
    let f = fixture("stat_tests.json");
    for case in f["mannwhitneyu"].as_array().unwrap() {
        let (a, b) = (vector(&case["a"]), vector(&case["b"]));
        let method = match case["method"].as_str().unwrap() {
            "asymptotic" => MannWhitneyMethod::Asymptotic,
            _ => MannWhitneyMethod::Auto,
        };
        let what = format!(
            "{} {} continuity={} {}",
            case["name"], case["alternative"], case["continuity"], case["method"]
        );
        let r = stats::mannwhitneyu(
            &a,
            &b,
            case["continuity"].as_bool().unwrap(),
            alternative(case),
            method,
        )
        .unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
    }
}

#[test]
fn chi_square_tests_match_scipy() {
    let f = fixture("stat_tests.json");
    for case in f["chi2_contingency"].as_array().unwrap() {
        let table = vector(&case["table"]);
        let rows = case["rows"].as_u64().unwrap() as usize;
        let what = format!("{} correction={}", case["name"], case["correction"]);
        let r =
            stats::chi2_contingency(&table, rows, case["correction"].as_bool().unwrap()).unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
        assert_eq!(r.df, case["df"].as_f64().unwrap(), "{what}");
        for (got, want) in r.expected.iter().zip(vector(&case["expected"])) {
            assert_within(*got, want, STAT_TOL, &what);
        }
        match case["cramers_v"].as_f64() {
            Some(v) => assert_within(stats::cramers_v(&table, rows).unwrap(), v, STAT_TOL, &what),
            None => assert!(stats::cramers_v(&table, rows).is_err()),
        }
    }
    for case in f["chisquare"].as_array().unwrap() {
        let observed = vector(&case["observed"]);
        let expected = case["expected"]
            .as_array()
            .map(|_| vector(&case["expected"]));
        let ddof = case["ddof"].as_u64().unwrap() as usize;
        let r = stats::chisquare(&observed, expected.as_deref(), ddof).unwrap();
        let what = case["name"].as_str().unwrap();
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            what,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, what);
    }
}

#[test]
fn proportions_and_corrections_match_statsmodels() {
    let f = fixture("stat_tests.json");
    for case in f["proportions_ztest"].as_array().unwrap() {
        let s = vector(&case["successes"]);
        let n = vector(&case["trials"]);
        let r = stats::proportions_ztest(
            [s[0] as u64, s[1] as u64],
            [n[0] as u64, n[1] as u64],
            alternative(case),
        )
        .unwrap();
        let what = format!("{case}");
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
    }
    let c = &f["corrections"];
    let p = vector(&c["p"]);
    for (got, want) in stats::holm(&p).unwrap().iter().zip(vector(&c["holm"])) {
        assert_within(*got, want, 1e-15, "holm");
    }
    for (got, want) in stats::benjamini_hochberg(&p)
        .unwrap()
        .iter()
        .zip(vector(&c["fdr_bh"]))
    {
        assert_within(*got, want, 1e-15, "fdr_bh");
    }
}

#[test]
fn external_metrics_match_scikit_learn() {
    let f = fixture("external_metrics.json");
    let methods = [
        ("min", Averaging::Min),
        ("geometric", Averaging::Geometric),
        ("arithmetic", Averaging::Arithmetic),
        ("max", Averaging::Max),
    ];
    for case in f["cases"].as_array().unwrap() {
        let (a, b) = (labels(&case["a"]), labels(&case["b"]));
        let name = case["name"].as_str().unwrap();
        let ari = validate::adjusted_rand_score(&a, &b).unwrap();
        assert_within(ari, case["ari"].as_f64().unwrap(), STAT_TOL, name);
        let table = Contingency::new(&a, &b).unwrap();
        assert_within(
            table.mutual_information(),
            case["mi"].as_f64().unwrap(),
            STAT_TOL,
            name,
        );
        for (key, method) in methods {
            let what = format!("{name} {key}");
            let nmi = validate::normalized_mutual_info_score(&a, &b, method).unwrap();
            assert_within(nmi, case["nmi"][key].as_f64().unwrap(), STAT_TOL, &what);
            let ami = validate::adjusted_mutual_info_score(&a, &b, method).unwrap();
            assert_within(ami, case["ami"][key].as_f64().unwrap(), STAT_TOL, &what);
        }
        let (h, c, v) = table.homogeneity_completeness_v_measure(1.0);
        assert_within(h, case["homogeneity"].as_f64().unwrap(), STAT_TOL, name);
        assert_within(c, case["completeness"].as_f64().unwrap(), STAT_TOL, name);
        assert_within(v, case["v_measure"].as_f64().unwrap(), STAT_TOL, name);
        let fm = table.fowlkes_mallows();
        assert_within(
            fm,
            case["fowlkes_mallows"].as_f64().unwrap(),
            STAT_TOL,
            name,
        );
    }
}

#[test]
fn undefined_inputs_are_errors_not_nan() {
    let same = [2.0, 2.0, 2.0];
    assert!(stats::f_oneway(&[&same, &same]).is_err());
    assert!(stats::kruskal(&[&same, &same]).is_err());
    assert!(stats::ttest_ind(&same, &same, true, Alternative::TwoSided).is_err());
    assert!(stats::f_oneway(&[&same]).is_err());
    assert!(stats::f_oneway(&[&same, &[]]).is_err());
    assert!(stats::chi2_contingency(&[1.0, 0.0, 2.0, 0.0], 2, true).is_err());
    assert!(stats::proportions_ztest([0, 0], [10, 10], Alternative::TwoSided).is_err());
    assert!(stats::holm(&[0.5, 1.5]).is_err());
    assert!(stats::mannwhitneyu(
        &[1.0, f64::NAN],
        &[2.0],
        true,
        Alternative::TwoSided,
        MannWhitneyMethod::Auto
    )
    .is_err());
    // Constant groups with different means: certain difference, as scipy.
    let r = stats::f_oneway(&[&[1.0, 1.0], &[2.0, 2.0]]).unwrap();
    assert!(r.statistic.is_infinite() && r.p_value == 0.0);
}
