//! Survival analysis against lifelines (fixtures from `tests/fixtures/generate.py`).

mod common;

use common::{assert_close, assert_within, fixture, vector, P_TOL, STAT_TOL};
use saas_segmentation::survival::{
    logrank_test, pairwise_logrank, survival_difference_at, KaplanMeierParams, LifetimeParams,
    SurvivalGroup, Weighting,
};
use saas_segmentation::Error;
use serde_json::Value;

fn flags(v: &Value) -> Vec<bool> {
    v.as_array()
        .expect("flags")
        .iter()
        .map(|b| b.as_bool().expect("bool"))
        .collect()
}

fn weighting(v: &Value) -> Weighting {
    match v.as_str() {
        None => Weighting::LogRank,
        Some("wilcoxon") => Weighting::Wilcoxon,
        Some("tarone-ware") => Weighting::TaroneWare,
        Some("peto") => Weighting::Peto,
        Some(other) => panic!("unknown weighting {other}"),
    }
}

/// A statistic that is 0 by symmetry comes out of lifelines as rounding noise (1e-31): compare
/// those absolutely, the rest relatively.
fn statistic_close(actual: f64, expected: f64, what: &str) {
    if expected.abs() < 1e-20 {
        assert!(
            actual.abs() < 1e-20,
            "{what}: got {actual}, expected about 0"
        );
    } else {
        assert_within(actual, expected, STAT_TOL, what);
    }
}

#[test]
fn kaplan_meier_matches_lifelines() {
    let f = fixture("survival.json");
    for case in f["kaplan_meier"].as_array().expect("cases") {
        let name = format!("{} alpha {}", case["name"], case["alpha"]);
        let durations = vector(&case["durations"]);
        let observed = flags(&case["observed"]);
        let params = KaplanMeierParams::new().alpha(case["alpha"].as_f64().expect("alpha"));
        let km = match &case["entry"] {
            Value::Null => params.fit(&durations, &observed),
            entry => params.fit_with_entry(&durations, &observed, &vector(entry)),
        }
        .expect("fit");
        let timeline = vector(&case["timeline"]);
        let rows = km.rows();
        assert_eq!(rows.len(), timeline.len(), "{name}: timeline length");
        let (s, lo, hi) = (
            vector(&case["survival"]),
            vector(&case["lower"]),
            vector(&case["upper"]),
        );
        let at_risk = vector(&case["at_risk"]);
        let events = vector(&case["events"]);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.time, timeline[i], "{name}: time {i}");
            assert_eq!(
                row.events as f64, events[i],
                "{name}: events at {}",
                row.time
            );
            if case["entry"].is_null() {
                assert_eq!(
                    row.at_risk as f64, at_risk[i],
                    "{name}: at risk {}",
                    row.time
                );
            }
            assert_close(row.survival, s[i], &format!("{name}: S({})", row.time));
            assert_within(
                row.lower,
                lo[i],
                STAT_TOL,
                &format!("{name}: lower {}", row.time),
            );
            assert_within(
                row.upper,
                hi[i],
                STAT_TOL,
                &format!("{name}: upper {}", row.time),
            );
        }
        let median = case["median"].as_f64().unwrap_or(f64::INFINITY);
        assert_eq!(km.median(), median, "{name}: median");
        let horizon = case["rmst_horizon"].as_f64().expect("horizon");
        assert_close(
            km.restricted_mean(horizon).expect("rmst"),
            case["rmst"].as_f64().expect("rmst"),
            &format!("{name}: RMST"),
        );
    }
}

#[test]
fn logrank_matches_lifelines() {
    let f = fixture("survival.json");
    for case in f["logrank_two"].as_array().expect("cases") {
        let name = format!("{} {}", case["name"], case["weighting"]);
        let (da, oa) = (vector(&case["a"][0]), flags(&case["a"][1]));
        let (db, ob) = (vector(&case["b"][0]), flags(&case["b"][1]));
        let test = logrank_test(
            &[SurvivalGroup::new(&da, &oa), SurvivalGroup::new(&db, &ob)],
            weighting(&case["weighting"]),
        )
        .expect("test");
        statistic_close(
            test.statistic,
            case["statistic"].as_f64().expect("x"),
            &name,
        );
        assert_within(
            test.p_value,
            case["p_value"].as_f64().expect("p"),
            P_TOL,
            &name,
        );
        assert_eq!(test.df, 1);
    }
    for case in f["logrank_multi"].as_array().expect("cases") {
        let name = format!("{} {}", case["name"], case["weighting"]);
        let groups: Vec<(Vec<f64>, Vec<bool>)> = case["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| (vector(&g[0]), flags(&g[1])))
            .collect();
        let views: Vec<SurvivalGroup<'_>> = groups
            .iter()
            .map(|(d, o)| SurvivalGroup::new(d, o))
            .collect();
        let test = logrank_test(&views, weighting(&case["weighting"])).expect("test");
        assert_within(
            test.statistic,
            case["statistic"].as_f64().expect("x"),
            STAT_TOL,
            &name,
        );
        assert_within(
            test.p_value,
            case["p_value"].as_f64().expect("p"),
            P_TOL,
            &name,
        );
        assert_eq!(test.df as u64, case["df"].as_u64().expect("df"));
        let observed: f64 = test.observed.iter().sum();
        let expected: f64 = test.expected.iter().sum();
        assert_within(
            observed,
            expected,
            1e-9,
            "observed and expected totals agree",
        );
        let pairs = pairwise_logrank(&views, weighting(&case["weighting"])).expect("pairs");
        assert_eq!(pairs.len(), views.len() * (views.len() - 1) / 2);
        for p in &pairs {
            assert!(p.p_adjusted >= p.test.p_value && p.p_adjusted <= 1.0);
        }
    }
}

#[test]
fn survival_difference_matches_lifelines() {
    let f = fixture("survival.json");
    let d = &f["difference"];
    let (da, oa) = (vector(&d["a"][0]), flags(&d["a"][1]));
    let (db, ob) = (vector(&d["b"][0]), flags(&d["b"][1]));
    let km = KaplanMeierParams::new();
    let (a, b) = (km.fit(&da, &oa).expect("a"), km.fit(&db, &ob).expect("b"));
    for case in d["cases"].as_array().expect("cases") {
        let t = case["time"].as_f64().expect("t");
        let r = survival_difference_at(&a, &b, t, 0.05).expect("difference");
        assert_close(
            r.survival_a,
            case["survival_a"].as_f64().expect("sa"),
            "S_a",
        );
        assert_close(
            r.survival_b,
            case["survival_b"].as_f64().expect("sb"),
            "S_b",
        );
        assert_within(
            r.statistic,
            case["statistic"].as_f64().expect("x"),
            STAT_TOL,
            "X",
        );
        assert_within(r.p_value, case["p_value"].as_f64().expect("p"), P_TOL, "p");
        assert!(r.lower < r.difference && r.difference < r.upper);
    }
}

#[test]
fn bad_survival_input_is_named() {
    let km = KaplanMeierParams::new();
    assert!(matches!(km.fit(&[], &[]), Err(Error::EmptyInput { .. })));
    assert!(matches!(
        km.fit(&[], &[true]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        km.fit(&[1.0, 2.0], &[true]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        km.fit(&[-1.0], &[true]),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        km.fit(&[f64::NAN], &[true]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        KaplanMeierParams::new().alpha(1.0).fit(&[1.0], &[true]),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    assert!(matches!(
        km.fit_with_entry(&[1.0], &[true], &[2.0]),
        Err(Error::OutOfRange { .. })
    ));
    let one = SurvivalGroup::new(&[1.0], &[true]);
    let empty = SurvivalGroup::new(&[], &[]);
    assert!(matches!(
        logrank_test(&[one], Weighting::LogRank),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        logrank_test(&[one, empty], Weighting::LogRank),
        Err(Error::EmptyInput { .. })
    ));
    let censored = SurvivalGroup::new(&[1.0, 2.0], &[false, false]);
    assert!(matches!(
        logrank_test(&[censored, censored], Weighting::LogRank),
        Err(Error::Undefined { .. })
    ));
    let a = km.fit(&[1.0, 2.0], &[true, true]).expect("fit");
    assert!(matches!(
        survival_difference_at(&a, &a, 0.5, 0.05),
        Err(Error::Undefined { .. })
    ));
    assert!(matches!(
        survival_difference_at(&a, &a, 1.0, 0.0),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn lifetimes_from_records_and_per_segment_curves() {
    use saas_segmentation::records::MrrRecord;
    use saas_segmentation::survival::{compare_segments, SurvivalData};
    use saas_segmentation::{CustomerIndex, Date, Segmentation};

    let m = |s: &str| format!("{s}-01").parse::<Date>().expect("date");
    let index = CustomerIndex::from_keys(["a", "b", "c", "d"]).expect("index");
    let mrr = [
        MrrRecord::new("a", m("2024-01"), 0.0),
        MrrRecord::new("a", m("2024-02"), 50.0),
        MrrRecord::new("a", m("2024-03"), 50.0), // churns in April: 2 months, observed
        MrrRecord::new("b", m("2024-01"), 10.0),
        MrrRecord::new("b", m("2024-04"), 10.0), // churned in February, came back: 1 month
        MrrRecord::new("c", m("2024-03"), 20.0),
        MrrRecord::new("c", m("2024-04"), 20.0), // still paying: censored at 2
    ];
    let data = SurvivalData::from_mrr(&index, &mrr, &LifetimeParams::new(m("2024-04")))
        .expect("lifetimes");
    assert_eq!(data.durations(), [2.0, 1.0, 2.0]);
    assert_eq!(data.observed(), [true, true, false]);

    let d = |s: &str| s.parse::<Date>().expect("date");
    let signups = [
        ("a", d("2024-01-01")),
        ("b", d("2024-01-01")),
        ("c", d("2024-03-01")),
        ("d", d("2024-03-15")),
    ];
    let activity = [
        ("a", d("2024-01-20")),
        ("b", d("2024-03-25")),
        ("c", d("2024-03-02")),
    ];
    let data = SurvivalData::from_activity(
        &index,
        &signups,
        &activity,
        &LifetimeParams::new(d("2024-04-01")).inactive_days(30),
    )
    .expect("lifetimes");
    assert_eq!(data.durations(), [19.0, 91.0, 1.0, 17.0]);
    assert_eq!(data.observed(), [true, false, true, false]); // c: 30 days quiet
    let before = [("a", d("2023-12-31"))];
    assert!(matches!(
        SurvivalData::from_activity(
            &index,
            &signups,
            &before,
            &LifetimeParams::new(d("2024-04-01")).inactive_days(30)
        ),
        Err(Error::OutOfRange { .. })
    ));
    let segments = Segmentation::from_labels(&index, &[0, 1, 0, 1]).expect("segments");
    let result = compare_segments(
        &data,
        &segments,
        &KaplanMeierParams::new(),
        Weighting::LogRank,
    )
    .expect("compare");
    assert_eq!(result.curves.len(), 2);
    assert_eq!(result.pairs.len(), 1);
    assert!((0.0..=1.0).contains(&result.test.p_value));
}
