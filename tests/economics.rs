//! Unit economics against pandas, statsmodels and numpy (fixtures from
//! `tests/fixtures/generate.py`), and ChartMogul's definitions by hand.

mod common;
use common::cid;

use common::{assert_close, assert_within, column, fixture, numbered, vector, P_TOL, STAT_TOL};
use saas_segmentation::economics::{
    cac, cac_payback_months, customer_mrr, ltv, revenue_retention, wilson, Concentration,
    CreditPolicy, IdealCustomerProfile, MrrMovements, MrrParams, ProfileParams, SubscriptionMrr,
    ValueQuantiles,
};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::records::MrrRecord;
use saas_segmentation::validate::Variable;
use saas_segmentation::{CustomerId, Date, Error, Period};

fn month(index: i64) -> Date {
    Date::from_ymd(2023, 1, 1)
        .expect("date")
        .add_months(index)
        .expect("date")
}

fn records() -> Vec<MrrRecord<CustomerId>> {
    fixture("economics.json")["mrr"]
        .as_array()
        .expect("mrr")
        .iter()
        .map(|r| {
            MrrRecord::new(
                cid(r[0].as_u64().expect("id") as u32),
                month(r[1].as_i64().expect("month")),
                r[2].as_f64().expect("mrr"),
            )
        })
        .collect()
}

#[test]
fn mrr_bridge_matches_pandas() {
    let f = fixture("economics.json");
    let lookup = DenseCustomers::new(150);
    let params = MrrParams::new(month(23));
    let moves = MrrMovements::compute(&lookup, &records(), &params).expect("movements");
    let expected = f["bridge"].as_array().expect("bridge");
    // The fixture's bridge starts at 2023-02; ours at the month after the first record.
    let offset = moves.months().len() - expected.len();
    for (got, want) in moves.months()[offset..].iter().zip(expected) {
        let label = Period::Month.label(got.month);
        assert_eq!(label, want["month"].as_str().expect("month"));
        for (value, key) in [
            (got.start_mrr, "start"),
            (got.new, "new"),
            (got.expansion, "expansion"),
            (got.contraction, "contraction"),
            (got.churn, "churn"),
            (got.reactivation, "reactivation"),
            (got.end_mrr, "end"),
        ] {
            assert_close(
                value,
                want[key].as_f64().expect("number"),
                &format!("{label} {key}"),
            );
        }
        assert_eq!(
            got.customers_start,
            want["customers_start"].as_u64().expect("n")
        );
        assert_eq!(
            got.churned_customers,
            want["churned_customers"].as_u64().expect("n")
        );
    }
    let window = revenue_retention(&lookup, &records(), &params, month(6), month(18), true)
        .expect("window")[0];
    assert_eq!(
        window.customers,
        f["window"]["customers"].as_u64().expect("n")
    );
    assert_close(
        window.nrr().expect("nrr"),
        f["window"]["nrr"].as_f64().expect("nrr"),
        "NRR",
    );
    assert_close(
        window.grr().expect("grr"),
        f["window"]["grr"].as_f64().expect("grr"),
        "GRR",
    );
}

#[test]
fn cancelling_one_of_two_subscriptions_is_contraction() {
    let m = |s: &str| format!("{s}-01").parse::<Date>().expect("date");
    let sub = |s: &str, month: &str, mrr: f64| SubscriptionMrr {
        customer: "acme",
        subscription: s.to_owned(),
        month: m(month),
        mrr,
    };
    let subscriptions = [
        sub("seats", "2024-01", 300.0),
        sub("addon", "2024-01", 100.0),
        sub("seats", "2024-02", 300.0), // the add-on is cancelled
        sub("seats", "2024-04", 300.0), // nothing in March: churn, then reactivation
    ];
    let records = customer_mrr(&subscriptions).expect("sum");
    let index = saas_segmentation::CustomerIndex::from_keys(["acme"]).expect("index");
    let moves = MrrMovements::compute(&index, &records, &MrrParams::new(m("2024-04"))).expect("ok");
    let [feb, mar, apr] = moves.months() else {
        panic!("three months expected");
    };
    assert_eq!(
        (feb.contraction, feb.churn, feb.churned_customers),
        (100.0, 0.0, 0)
    );
    assert_eq!((mar.churn, mar.churned_customers), (300.0, 1));
    assert_eq!(
        (apr.reactivation, apr.new, apr.reactivated_customers),
        (300.0, 0.0, 1)
    );
    assert_eq!(feb.quick_ratio(), Some(0.0));
    assert_eq!(feb.gross_mrr_churn_rate(), Some(0.25));
    let duplicate = [sub("seats", "2024-01", 1.0), sub("seats", "2024-01", 2.0)];
    assert!(matches!(
        customer_mrr(&duplicate),
        Err(Error::DuplicateName { .. })
    ));
}

#[test]
fn quintiles_match_pandas_qcut_and_gini_matches_numpy() {
    let f = fixture("economics.json");
    let values = vector(&f["values"]);
    // Keys 0..n in order: ties by key are ties by position, as pandas' rank(method="first").
    let index = numbered(values.len());
    let quintiles = ValueQuantiles::new(
        &index,
        &column(&index, values.iter().map(|&v| Some(v)).collect()),
        5,
    )
    .expect("quintiles");
    let pandas: Vec<u64> = f["quintiles"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|v| v.as_u64().expect("label"))
        .collect();
    for (i, (got, want)) in quintiles
        .segmentation()
        .labels()
        .iter()
        .zip(&pandas)
        .enumerate()
    {
        // pandas label 4 is the top; ours 0.
        assert_eq!(got.map(|g| 4 - g as u64), Some(*want), "customer {i}");
    }
    let shares: f64 = quintiles.groups().iter().map(|g| g.value_share).sum();
    assert_within(shares, 1.0, 1e-12, "shares sum to 1");
    let concentration = Concentration::new(&values).expect("concentration");
    assert_close(
        concentration.gini(),
        f["gini"].as_f64().expect("gini"),
        "Gini",
    );
    let lorenz = concentration.lorenz(10);
    assert_eq!(lorenz.first(), Some(&(0.0, 0.0)));
    assert_within(
        lorenz.last().expect("point").1,
        1.0,
        1e-12,
        "Lorenz ends at 1",
    );
}

#[test]
fn wilson_and_lift_match_statsmodels() {
    let f = fixture("economics.json");
    for case in f["wilson"].as_array().expect("cases") {
        let p = wilson(
            case["successes"].as_u64().expect("s"),
            case["trials"].as_u64().expect("n"),
            case["alpha"].as_f64().expect("alpha"),
        )
        .expect("wilson");
        assert_within(
            p.lower,
            case["lower"].as_f64().expect("lo"),
            STAT_TOL,
            "lower",
        );
        assert_within(
            p.upper,
            case["upper"].as_f64().expect("hi"),
            STAT_TOL,
            "upper",
        );
    }
    for case in f["risk_ratios"].as_array().expect("cases") {
        let get = |k: &str| case[k].as_u64().expect("count") as usize;
        let (a, n1, b, n2) = (get("a"), get("n1"), get("b"), get("n2"));
        let mut in_group = Vec::new();
        let mut values = Vec::new();
        for i in 0..n1 {
            in_group.push(Some(true));
            values.push(Some(if i < a { "x" } else { "y" }.to_owned()));
        }
        for i in 0..n2 {
            in_group.push(Some(false));
            values.push(Some(if i < b { "x" } else { "y" }.to_owned()));
        }
        let customers = numbered(in_group.len());
        let icp = IdealCustomerProfile::fit(
            &column(&customers, in_group),
            &[Variable::categorical("v", column(&customers, values))],
            "group",
            &ProfileParams::new(),
        )
        .expect("profile");
        let x = icp
            .candidates()
            .iter()
            .find(|t| format!("{:?}", t.condition).contains("\"x\""))
            .expect("trait x");
        assert_within(
            x.lift,
            case["lift"].as_f64().expect("lift"),
            STAT_TOL,
            "lift",
        );
        assert_within(
            x.lift_lower,
            case["lower"].as_f64().expect("lo"),
            STAT_TOL,
            "lift lower",
        );
        assert_within(
            x.lift_upper,
            case["upper"].as_f64().expect("hi"),
            STAT_TOL,
            "lift upper",
        );
        assert_within(x.p_value, case["p_value"].as_f64().expect("p"), P_TOL, "p");
    }
}

#[test]
fn unit_economics_refuse_undefined_inputs() {
    assert_eq!(ltv(100.0, 0.8, 0.02).expect("ltv"), 4000.0);
    assert!(matches!(ltv(100.0, 0.8, 0.0), Err(Error::Undefined { .. })));
    assert!(matches!(
        ltv(100.0, 0.0, 0.1),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        ltv(100.0, 1.5, 0.1),
        Err(Error::OutOfRange { .. })
    ));
    assert_eq!(cac(10_000.0, 20).expect("cac"), 500.0);
    assert!(matches!(cac(10_000.0, 0), Err(Error::Undefined { .. })));
    assert_eq!(
        cac_payback_months(500.0, 100.0, 0.5).expect("payback"),
        10.0
    );
    let two = numbered(2);
    assert!(matches!(
        ValueQuantiles::new(&two, &column(&two, vec![Some(1.0), Some(2.0)]), 1),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        Concentration::new(&[0.0, 0.0]),
        Err(Error::Undefined { .. })
    ));
    assert!(matches!(
        Concentration::new(&[-1.0]),
        Err(Error::OutOfRange { .. })
    ));
    let lookup = DenseCustomers::new(1);
    let m = Date::from_ymd(2024, 1, 1).expect("date");
    let negative = [MrrRecord::new(cid(0), m, -5.0)];
    let params = MrrParams::new(m);
    assert!(matches!(
        MrrMovements::compute(&lookup, &negative, &params),
        Err(Error::OutOfRange { .. })
    ));
    assert!(MrrMovements::compute(&lookup, &negative, &params.credits(CreditPolicy::Zero)).is_ok());
    let twice = [
        MrrRecord::new(cid(0), m, 5.0),
        MrrRecord::new(cid(0), m, 6.0),
    ];
    assert!(matches!(
        MrrMovements::compute(&lookup, &twice, &params),
        Err(Error::DuplicateName { .. })
    ));
    let later = [MrrRecord::new(cid(0), m.add_months(1).expect("date"), 5.0)];
    assert!(matches!(
        MrrMovements::compute(&lookup, &later, &params),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn observed_ltv_profiles_icp_scores_and_time_to_value() {
    use saas_segmentation::activity::{Activity, ActivityEvent};
    use saas_segmentation::economics::{
        observed_ltv, retention_by_time_to_value, time_to_first_value, time_to_value_by_segment,
        GroupSummary,
    };
    use saas_segmentation::Segmentation;

    let index = numbered(150);
    let lookup = index.dense();
    let rows = records();
    let value = observed_ltv(&lookup, &rows, &MrrParams::new(month(23)), 0.8).expect("ltv");
    let mut sums = vec![0.0; 150];
    for r in &rows {
        sums[r.customer.index()] += r.mrr * 0.8;
    }
    for (got, want) in value.values().iter().zip(&sums) {
        assert_close(got.expect("every customer"), *want, "observed LTV");
    }
    let quintiles = ValueQuantiles::new(&index, &value, 5).expect("quintiles");
    let median = quintiles.groups()[2].min;
    let plan = value.map(|v| if *v > median { "enterprise" } else { "starter" }.to_owned());
    let seats = value.map(|v| v / 1000.0);
    let variables = [
        Variable::categorical("plan", plan),
        Variable::numeric("seats", seats),
    ];
    let profile = quintiles.profile(&variables).expect("profile");
    assert!(matches!(
        &profile[0].groups[0],
        GroupSummary::Categorical { most_common: Some(v), .. } if v == "enterprise"
    ));
    let icp = IdealCustomerProfile::fit(
        &quintiles.top_flags(),
        &variables,
        "top 20%",
        &ProfileParams::new(),
    )
    .expect("icp");
    assert!(icp.traits().count() >= 1, "{icp}");
    let scores = icp.fit_scores(&variables).expect("scores");
    let top_mean: f64 = quintiles
        .top_flags()
        .values()
        .iter()
        .zip(scores.values().iter().flatten())
        .filter(|(f, _)| **f == Some(true))
        .map(|(_, s)| s.score)
        .sum::<f64>()
        / 30.0;
    assert!(
        top_mean > 0.5
            && scores
                .values()
                .iter()
                .flatten()
                .all(|s| (0.0..=1.0).contains(&s.score))
    );
    let anti = IdealCustomerProfile::fit(
        &quintiles.bottom_flags(),
        &variables,
        "bottom 20%",
        &ProfileParams::new(),
    )
    .expect("anti-ICP");
    assert!(anti.to_string().starts_with("bottom 20%"));

    let d = |s: &str| s.parse::<Date>().expect("date");
    let index = saas_segmentation::CustomerIndex::from_keys(["a", "b", "c"]).expect("index");
    let signups = [
        ("a", d("2024-01-01")),
        ("b", d("2024-01-01")),
        ("c", d("2024-01-10")),
    ];
    let log = vec![
        Activity::new("a", d("2024-01-03"), ActivityEvent::Workflow("invite")),
        Activity::new("a", d("2024-01-02"), ActivityEvent::Workflow("invite")),
        Activity::new("b", d("2024-02-15"), ActivityEvent::Workflow("invite")),
        Activity::new("c", d("2024-01-11"), ActivityEvent::Feature("invite")),
    ];
    let ttfv = time_to_first_value(&index, &signups, &log, &["invite"]).expect("ttfv");
    assert_eq!(ttfv.values(), [Some(1), Some(45), None]);
    let segments = Segmentation::from_labels(&index, &[0, 0, 1]).expect("segments");
    let by = time_to_value_by_segment(&ttfv, &segments, 7, 0.05).expect("by segment");
    assert_eq!(
        (by[0].median_days, by[0].reached_within.map(|p| p.successes)),
        (Some(23.0), Some(1))
    );
    let speed = retention_by_time_to_value(
        &ttfv,
        &column(&index, vec![Some(true), Some(false), Some(false)]),
        &[7, 30],
        0.05,
    )
    .expect("speed");
    assert_eq!(
        speed.labels,
        ["<= 7 days", "8-30 days", "> 30 days", "never"]
    );
    assert_eq!(speed.retained[0].map(|p| p.estimate), Some(1.0));
    assert!(speed.retained[1].is_none());
}
