//! Segment descriptions against pandas' `groupby().describe()` and `value_counts`
//! (`tests/fixtures/describe.json`, from `tests/fixtures/generate.py describe`).

mod common;

use common::{assert_within, fixture, STAT_TOL};
use saas_segmentation::describe::describe_segments;
use saas_segmentation::validate::Variable;
use saas_segmentation::{CustomerIndex, PerCustomer, Segmentation};

#[test]
fn descriptions_match_pandas() {
    let f = fixture("describe.json");
    let n = f["segment"].as_array().unwrap().len();
    // An index whose order is not the fixture's: customer i is key "c{i}", interned backwards.
    let keys: Vec<String> = (0..n).rev().map(|i| format!("c{i:03}")).collect();
    let index = CustomerIndex::from_keys(keys).unwrap();
    let key = |i: usize| format!("c{i:03}");
    let segment: Vec<Option<usize>> = f["segment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().map(|s| s as usize))
        .collect();
    let labels = PerCustomer::from_keyed(
        &index,
        segment
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (key(i), s.to_string()))),
    )
    .unwrap();
    let segmentation = Segmentation::from_categories("segment", &labels).unwrap();
    let mrr = PerCustomer::from_keyed(
        &index,
        f["mrr"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_f64().map(|v| (key(i), v))),
    )
    .unwrap();
    let plan = PerCustomer::from_keyed(
        &index,
        f["plan"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_str().map(|v| (key(i), v.to_owned()))),
    )
    .unwrap();
    let table = describe_segments(
        &segmentation,
        &[
            Variable::numeric("mrr", mrr),
            Variable::categorical("plan", plan),
        ],
    )
    .unwrap();
    for expected in f["segments"].as_array().unwrap() {
        let name = expected["segment"].to_string();
        let got = table
            .segments
            .iter()
            .find(|s| s.segment == name)
            .unwrap_or_else(|| panic!("segment {name}"));
        assert_eq!(
            got.customers as u64,
            expected["customers"].as_u64().unwrap()
        );
        let mrr = &got.variables[0];
        assert_eq!(mrr.present as u64, expected["count"].as_u64().unwrap());
        let close = |a: Option<f64>, key: &str| {
            assert_within(a.unwrap(), expected[key].as_f64().unwrap(), STAT_TOL, key)
        };
        close(mrr.mean, "mean");
        close(mrr.std, "std");
        let q = mrr.quartiles.unwrap();
        close(Some(q[0]), "q25");
        close(Some(q[1]), "median");
        close(Some(q[2]), "q75");
        close(mrr.range.map(|r| r[0]), "min");
        close(mrr.range.map(|r| r[1]), "max");
        close(mrr.standardized_difference, "d");
        let plan = &got.variables[1];
        assert_eq!(
            plan.present as u64,
            expected["plan_present"].as_u64().unwrap()
        );
        for (category, share) in &plan.shares {
            assert_within(
                *share,
                expected["shares"][category].as_f64().unwrap(),
                STAT_TOL,
                category,
            );
        }
        assert_eq!(
            plan.most_different.as_deref(),
            expected["most_different"].as_str()
        );
        close(plan.standardized_difference, "gap");
    }
    // The table prints, with long names cut to keep the columns.
    let text = table.to_string();
    assert!(text.contains("customers") && text.contains("mrr"), "{text}");
}

#[test]
fn long_names_are_cut_and_other_sets_refused() {
    let index = CustomerIndex::from_keys(["a", "b", "c", "d"]).unwrap();
    let seg = Segmentation::from_labels(&index, &[0, 0, 1, 1]).unwrap();
    let long = "annual recurring revenue after discounts and credits, in euros";
    let values = PerCustomer::from_fn(&index, |id| Some(id.get() as f64));
    let table = describe_segments(&seg, &[Variable::numeric(long, values)]).unwrap();
    let text = table.to_string();
    assert!(
        text.contains("annual recurring revenu…") && !text.contains("discounts"),
        "{text}"
    );
    let other = CustomerIndex::from_keys(["x", "y"]).unwrap();
    let foreign = PerCustomer::from_fn(&other, |_| Some(1.0));
    assert!(describe_segments(&seg, &[Variable::numeric("x", foreign)]).is_err());
}
