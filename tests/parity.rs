//! Conventions and quantities the peers expose (`tests/fixtures/parity.json`, written by
//! `tests/fixtures/generate.py parity` with the versions it records: scipy 1.17.1, statsmodels
//! 0.15.0, lifelines 0.30.3, scikit-learn 1.9.1, pandas 3.1.1).

mod common;

use common::{assert_close, assert_within, fixture, matrix, vector, P_TOL, STAT_TOL};
use saas_segmentation::economics::{MrrMovements, MrrParams};
use saas_segmentation::features::{Scaler, ScalerKind};
use saas_segmentation::ndarray::Array2;
use saas_segmentation::records::MrrRecord;
use saas_segmentation::rfm::rank_first_scores;
use saas_segmentation::stats::{self, Alternative, MannWhitneyMethod};
use saas_segmentation::survival::KaplanMeierParams;
use saas_segmentation::{CustomerIndex, Date};

#[test]
fn mann_whitney_with_ties_and_all_equal_samples_matches_scipy() {
    let f = fixture("parity.json");
    for case in f["mannwhitneyu"].as_array().unwrap() {
        let (a, b) = (vector(&case["a"]), vector(&case["b"]));
        let alternative = match case["alternative"].as_str().unwrap() {
            "less" => Alternative::Less,
            "greater" => Alternative::Greater,
            _ => Alternative::TwoSided,
        };
        let method = match case["method"].as_str().unwrap() {
            "exact" => MannWhitneyMethod::Exact,
            _ => MannWhitneyMethod::Asymptotic,
        };
        let what = format!(
            "{} {} {}",
            case["name"], case["alternative"], case["method"]
        );
        let r = stats::mannwhitneyu(&a, &b, true, alternative, method)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(r.method, method, "{what}");
        assert_within(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(
            r.second_statistic,
            case["second"].as_f64().unwrap(),
            STAT_TOL,
            &what,
        );
        assert_within(r.p_value, case["p_value"].as_f64().unwrap(), P_TOL, &what);
    }
    // Without the continuity correction the all-equal z is 0 / 0: scipy says NaN, we say why.
    let same = [1.0, 1.0, 1.0];
    assert!(stats::mannwhitneyu(
        &same,
        &same,
        false,
        Alternative::TwoSided,
        MannWhitneyMethod::Asymptotic
    )
    .is_err());
}

#[test]
fn anova_sums_of_squares_and_pooled_deviation_match_statsmodels_and_numpy() {
    let f = fixture("parity.json");
    let groups: Vec<Vec<f64>> = f["anova"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(vector)
        .collect();
    let refs: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
    let r = stats::f_oneway(&refs).unwrap();
    let between = f["anova"]["ss_between"].as_f64().unwrap();
    let within = f["anova"]["ss_within"].as_f64().unwrap();
    assert_within(r.ss_between, between, STAT_TOL, "ss_between");
    assert_within(r.ss_within, within, STAT_TOL, "ss_within");
    assert_within(r.ss_total, between + within, STAT_TOL, "ss_total");
    let p = &f["pooled"];
    let sd = stats::pooled_standard_deviation(&vector(&p["a"]), &vector(&p["b"])).unwrap();
    assert_close(sd, p["sd"].as_f64().unwrap(), "pooled sd");
}

#[test]
fn kaplan_meier_removed_counts_and_survival_at_times_match_lifelines() {
    let f = fixture("parity.json");
    let k = &f["kaplan_meier"];
    let observed: Vec<bool> = k["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    let km = KaplanMeierParams::new()
        .fit(&vector(&k["durations"]), &observed)
        .unwrap();
    let times = vector(&k["event_times"]);
    let removed: Vec<u64> = k["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // Row for row lifelines' event table, the time-0 entrance row included.
    assert_eq!(km.rows().len(), times.len());
    for ((row, &t), &r) in km.rows().iter().zip(&times).zip(&removed) {
        assert_close(row.time, t, "event time");
        assert_eq!(row.removed(), r, "removed at {t}");
    }
    let at = km.at_times(&vector(&k["times"])).unwrap();
    for (point, expected) in at.iter().zip(vector(&k["survival_at"])) {
        assert_within(point.survival, expected, STAT_TOL, "survival at");
    }
    assert!(km.at_times(&[1.0, f64::NAN]).is_err());
}

#[test]
fn scaler_attributes_match_scikit_learn() {
    let f = fixture("parity.json");
    let s = &f["scaler"];
    let rows = matrix(&s["data"]);
    let x = Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j]);
    let standard = Scaler::fit(ScalerKind::Standard, x.view()).unwrap();
    for (got, want) in standard.variance().unwrap().iter().zip(vector(&s["var"])) {
        assert_within(*got, want, STAT_TOL, "var_");
    }
    let minmax = Scaler::fit(ScalerKind::MinMax, x.view()).unwrap();
    assert_eq!(
        minmax.data_min().unwrap(),
        vector(&s["data_min"]).as_slice()
    );
    assert_eq!(
        minmax.data_max().unwrap(),
        vector(&s["data_max"]).as_slice()
    );
    assert_eq!(minmax.feature_range(), Some((0.0, 1.0)));
    assert!(standard.data_max().is_none() && minmax.variance().is_none());
}

#[test]
fn rank_first_scores_of_plain_values_match_pandas_even_below_the_bin_count() {
    let f = fixture("parity.json");
    for case in f["rank_first"].as_array().unwrap() {
        let values = vector(&case["values"]);
        let q = case["q"].as_u64().unwrap() as u8;
        let expected: Vec<u8> = case["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u8)
            .collect();
        assert_eq!(
            rank_first_scores(&values, q).unwrap(),
            expected,
            "{values:?} in {q} bins"
        );
    }
    assert!(rank_first_scores(&[1.0], 5).is_err());
    assert!(rank_first_scores(&[1.0, f64::NAN], 5).is_err());
}

#[test]
fn monthly_nrr_and_grr_follow_the_bridge() {
    // One month: a starts at 100 and expands to 150, b starts at 100 and contracts to 60, c at
    // 50 churns, d is new at 80. NRR = (250 + 50 - 40 - 50) / 250, GRR = (250 - 40 - 50) / 250.
    let m = |s: &str| format!("{s}-01").parse::<Date>().unwrap();
    let index = CustomerIndex::from_keys(["a", "b", "c", "d"]).unwrap();
    let rows = [
        MrrRecord::new("a", m("2024-01"), 100.0),
        MrrRecord::new("a", m("2024-02"), 150.0),
        MrrRecord::new("b", m("2024-01"), 100.0),
        MrrRecord::new("b", m("2024-02"), 60.0),
        MrrRecord::new("c", m("2024-01"), 50.0),
        MrrRecord::new("d", m("2024-02"), 80.0),
    ];
    let movements = MrrMovements::compute(&index, &rows, &MrrParams::new(m("2024-02"))).unwrap();
    let month = movements
        .months()
        .iter()
        .find(|mm| mm.month == m("2024-02"))
        .unwrap();
    assert_close(month.nrr().unwrap(), 210.0 / 250.0, "nrr");
    assert_close(month.grr().unwrap(), 160.0 / 250.0, "grr");
}

#[test]
fn chi_square_reports_cramers_v_of_the_uncorrected_table() {
    let f = fixture("stat_tests.json");
    for case in f["chi2_contingency"].as_array().unwrap() {
        let table = vector(&case["table"]);
        let rows = case["rows"].as_u64().unwrap() as usize;
        let r =
            stats::chi2_contingency(&table, rows, case["correction"].as_bool().unwrap()).unwrap();
        match case["cramers_v"].as_f64() {
            Some(v) => assert_within(r.cramers_v.unwrap(), v, STAT_TOL, "cramer's v"),
            None => assert!(r.cramers_v.is_none()),
        }
    }
}

#[test]
fn cluster_profiles_name_log1p_columns_by_their_encoding() {
    use saas_segmentation::cluster::{profile_clusters, KMeans};
    use saas_segmentation::features::FeatureMatrix;

    struct Account {
        mrr: f64,
        logins: f64,
    }
    let accounts: Vec<Account> = (0..40)
        .map(|i| Account {
            mrr: if i < 20 { 20.0 } else { 22_000.0 } + i as f64,
            logins: if i < 20 { 30.0 } else { 3.0 },
        })
        .collect();
    let matrix = FeatureMatrix::builder()
        .log1p("mrr", |a: &Account| a.mrr)
        .column("logins", |a: &Account| a.logins)
        .standardize()
        .build(&accounts)
        .unwrap();
    let model = KMeans::params(2).seed(1).fit(matrix.view()).unwrap();
    let profiles = profile_clusters(&matrix, model.labels()).unwrap();
    let big = &profiles[model.labels()[30]];
    let mrr = big
        .contrasts
        .iter()
        .find(|c| c.feature == "log1p(mrr)")
        .expect("the log1p column is named by its encoding");
    // The mean of ln(1 + x), about ln(22,030), not a plausible-looking "mrr = 10".
    assert!(
        (mrr.cluster_mean - 22_030.5f64.ln_1p()).abs() < 1e-3,
        "{mrr:?}"
    );
    assert!(big.label.contains("high mrr"), "{}", big.label);
}

#[test]
fn out_of_window_errors_say_the_dates_and_the_fix_and_lifetimes_can_drop_them() {
    use saas_segmentation::records::BadRows;
    use saas_segmentation::survival::{LifetimeParams, SurvivalData};

    let d = |s: &str| s.parse::<Date>().unwrap();
    let index = CustomerIndex::from_keys(["a", "b"]).unwrap();
    let signups = [("a", d("2024-01-10")), ("b", d("2024-02-01"))];
    let activity = [
        ("a", d("2024-01-20")),
        ("b", d("2024-01-15")), // before b's signup
        ("a", d("2024-07-03")), // after the analysis date
    ];
    let params = LifetimeParams::new(d("2024-06-30"));
    let message = SurvivalData::from_activity(&index, &signups, &activity, &params)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("2024-01-15 (17 days before the customer's signup 2024-02-01)")
            && message.contains("out_of_window(BadRows::Drop)"),
        "{message}"
    );
    let data = SurvivalData::from_activity(
        &index,
        &signups,
        &activity,
        &params.out_of_window(BadRows::Drop),
    )
    .unwrap();
    assert_eq!(data.durations().len(), 2);
}

#[test]
fn a_numeric_ideal_trait_reports_the_test_of_its_own_shares() {
    use saas_segmentation::economics::{IdealCustomerProfile, ProfileParams, TraitCondition};
    use saas_segmentation::validate::Variable;
    use saas_segmentation::PerCustomer;

    let n = 60;
    let index = CustomerIndex::from_keys((0..n).map(|i| format!("c{i:02}"))).unwrap();
    let in_group = PerCustomer::from_fn(&index, |id| Some(id.get() < 20));
    let seats = PerCustomer::from_fn(&index, |id| {
        let i = id.get() as f64;
        Some(if id.get() < 20 {
            40.0 + i
        } else {
            (i * 7.0) % 90.0
        })
    });
    let icp = IdealCustomerProfile::fit(
        &in_group,
        &[Variable::numeric("seats", seats)],
        "top third",
        &ProfileParams::new(),
    )
    .unwrap();
    let t = icp
        .candidates()
        .iter()
        .find(|t| t.variable == "seats")
        .unwrap();
    let TraitCondition::Between { .. } = t.condition else {
        panic!("a numeric trait is a range")
    };
    let (a, b) = (
        (t.share_in_group * 20.0).round() as u64,
        (t.share_in_rest * 40.0).round() as u64,
    );
    let own = stats::proportions_ztest([a, b], [20, 40], Alternative::TwoSided).unwrap();
    assert_close(t.p_value, own.p_value, "the displayed shares' own test");
    assert!(t.distribution_p_value.is_some());
}
