//! The five-criteria report, pairwise segment comparisons, bootstrap stability and segmentation
//! comparison.

use std::collections::BTreeMap;

use ndarray::Array2;
use saas_segmentation::cluster::KMeans;
use saas_segmentation::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use saas_segmentation::validate::{
    self, bootstrap_stability, compare_segmentations, pairwise_comparisons, Criteria, Outcome,
    Strategy, ValidationInput, Variable, Verdict,
};
use saas_segmentation::{CustomerIndex, Error, PerCustomer};

fn customers(n: usize) -> CustomerIndex<u32> {
    CustomerIndex::from_keys(0..n as u32).unwrap()
}

fn segmentation(labels: Vec<Option<usize>>, names: &[&str]) -> Segmentation {
    let descriptors = names
        .iter()
        .map(|n| SegmentDescriptor::new(*n, SegmentDefinition::Labels))
        .collect();
    Segmentation::new(&customers(labels.len()), labels, descriptors).unwrap()
}

fn col<T>(values: Vec<Option<T>>) -> PerCustomer<T> {
    PerCustomer::new(&customers(values.len()), values).unwrap()
}

fn full<T>(values: Vec<T>) -> PerCustomer<T> {
    PerCustomer::complete(&customers(values.len()), values).unwrap()
}

/// 120 customers: "power" (40) with high MRR and mostly enterprise, "core" (60), "tiny" (20)
/// with some missing data and no strategy.
#[allow(clippy::type_complexity)]
fn fixture() -> (
    Segmentation,
    Vec<Variable>,
    PerCustomer<f64>,
    PerCustomer<bool>,
    PerCustomer<bool>,
) {
    let mut labels = Vec::new();
    let mut mrr = Vec::new();
    let mut plan = Vec::new();
    let mut revenue = Vec::new();
    let mut email = Vec::new();
    let mut sales = Vec::new();
    for i in 0..120usize {
        let (segment, value) = match i {
            0..=39 => (0, 500.0 + (i * 7 % 13) as f64),
            40..=99 => (1, 100.0 + (i * 5 % 11) as f64),
            _ => (2, 95.0 + (i * 3 % 17) as f64),
        };
        labels.push(Some(segment));
        mrr.push(if segment == 2 && i % 3 == 0 {
            None
        } else {
            Some(value)
        });
        plan.push(Some(
            if segment == 0 && i % 5 != 0 {
                "enterprise"
            } else {
                "team"
            }
            .to_owned(),
        ));
        revenue.push(value);
        email.push(segment != 2 || i % 4 == 0);
        sales.push(segment == 0);
    }
    let variables = vec![
        Variable::numeric("mrr", col(mrr)),
        Variable::categorical("plan", col(plan)),
    ];
    (
        segmentation(labels, &["power", "core", "tiny"]),
        variables,
        full(revenue),
        full(email),
        full(sales),
    )
}

#[test]
fn report_gives_each_segment_five_verdicts_with_reasons() {
    let (seg, variables, revenue, email, sales) = fixture();
    let strategy = Strategy {
        goal: "expand".into(),
        action: "QBR with upsell".into(),
        channel: "sales".into(),
        success_metric: "NRR".into(),
    };
    let mut strategies = BTreeMap::new();
    strategies.insert("power".to_owned(), strategy.clone());
    strategies.insert(
        "core".to_owned(),
        Strategy {
            success_metric: String::new(),
            ..strategy
        },
    );
    let channels = [("email", &email), ("sales", &sales)];
    let input = ValidationInput {
        variables: &variables,
        defining: &["mrr"],
        revenue: Some(&revenue),
        channels: &channels,
        strategies: Some(&strategies),
    };
    let report = validate::validate_segmentation(&seg, &input, &Criteria::default()).unwrap();
    assert_eq!(report.segments.len(), 3);
    let power = &report.segments[0];
    assert!(power.distinct.passed(), "{report}");
    assert!(power.substantial.passed());
    assert!(power.actionable.passed());
    assert!(power.accessible.passed());
    assert!(power.measurable.passed());
    assert!(power.revenue_share.unwrap() > 0.5);
    let core = &report.segments[1];
    assert!(matches!(&core.actionable, Verdict::Fail(r) if r[0].contains("success metric")));
    let tiny = &report.segments[2];
    assert!(matches!(tiny.measurable, Verdict::Fail(_)), "{report}");
    assert!(matches!(tiny.accessible, Verdict::Fail(_)));
    assert!(matches!(tiny.substantial, Verdict::Fail(_)));
    assert!(matches!(tiny.actionable, Verdict::Fail(_)));
    assert!(!report.all_pass());
    assert_eq!(report.variables.len(), 2);
    assert!(report.variables.iter().all(|t| t.p_adjusted < 1e-6));
    let text = report.to_string();
    assert!(text.contains("power") && text.contains("FAIL") && text.contains("Holm"));
    // Without the optional inputs the criteria say they were not assessed.
    let bare =
        validate::validate_segmentation(&seg, &ValidationInput::default(), &Criteria::default())
            .unwrap();
    assert!(matches!(bare.segments[0].distinct, Verdict::NotAssessed(_)));
    assert!(matches!(
        bare.segments[0].actionable,
        Verdict::NotAssessed(_)
    ));
}

#[test]
fn report_rejects_bad_input_by_name() {
    let (seg, variables, revenue, _, _) = fixture();
    let short = full(vec![1.0, 2.0]);
    let input = ValidationInput {
        variables: &variables,
        revenue: Some(&short),
        ..Default::default()
    };
    assert!(matches!(
        validate::validate_segmentation(&seg, &input, &Criteria::default()),
        Err(Error::CustomerSetMismatch { what, .. }) if what == "revenue"
    ));
    let input = ValidationInput {
        variables: &variables,
        revenue: Some(&revenue),
        ..Default::default()
    };
    let bad = Criteria {
        min_reach: 1.5,
        ..Criteria::default()
    };
    assert!(validate::validate_segmentation(&seg, &input, &bad).is_err());
    let bad = Criteria {
        alpha: 0.0,
        ..Criteria::default()
    };
    assert!(validate::validate_segmentation(&seg, &input, &bad).is_err());
    let input = ValidationInput {
        variables: &variables,
        defining: &["nope"],
        ..Default::default()
    };
    assert!(validate::validate_segmentation(&seg, &input, &Criteria::default()).is_err());
}

#[test]
fn pairwise_churn_comparison_with_holm() {
    let labels: Vec<Option<usize>> = (0..300).map(|i| Some(i % 3)).collect();
    let seg = segmentation(labels, &["partner", "paid ads", "organic"]);
    // partner churns 10%, paid ads 40%, organic 12%.
    let churned = col((0..300)
        .map(|i| {
            let rate = [10, 40, 12][i % 3];
            Some((i / 3) % 100 < rate)
        })
        .collect());
    let pairs = pairwise_comparisons(&seg, Outcome::Binary(&churned)).unwrap();
    assert_eq!(pairs.len(), 3);
    let partner_vs_paid = &pairs[0];
    assert_eq!(
        (partner_vs_paid.a.as_str(), partner_vs_paid.b.as_str()),
        ("partner", "paid ads")
    );
    assert!(partner_vs_paid.p_adjusted < 0.001 && partner_vs_paid.difference < 0.0);
    let partner_vs_organic = &pairs[1];
    assert!(partner_vs_organic.p_adjusted > 0.05);
    assert!(pairs.iter().all(|p| p.p_adjusted >= p.p_value));
    let short = col(churned.values()[..10].to_vec());
    assert!(matches!(
        pairwise_comparisons(&seg, Outcome::Binary(&short)),
        Err(Error::CustomerSetMismatch { .. })
    ));
}

#[test]
fn bootstrap_recovers_well_separated_clusters() {
    let n = 90;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        let c = (i % 3) as f64 * 20.0;
        c + ((i * 7 + j * 3) % 5) as f64 * 0.3
    });
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let refit = |sample: ndarray::ArrayView2<'_, f64>, seed: u64| {
        Ok(KMeans::params(3).seed(seed).fit(sample)?.labels().to_vec())
    };
    let stability = bootstrap_stability(x.view(), &labels, 20, 7, refit).unwrap();
    assert!(stability.jaccard.iter().all(|&j| j > 0.99), "{stability:?}");
    assert!((stability.mean_ari - 1.0).abs() < 1e-12);
    assert_eq!(stability.dissolved, vec![0, 0, 0]);
    let again = bootstrap_stability(x.view(), &labels, 20, 7, refit).unwrap();
    assert_eq!(stability, again);
    assert!(bootstrap_stability(x.view(), &labels[..5], 20, 7, refit).is_err());
    assert!(bootstrap_stability(x.view(), &labels, 0, 7, refit).is_err());
}

#[test]
fn comparison_reports_migration_and_agreement() {
    let before = segmentation(
        vec![Some(0), Some(0), Some(1), Some(1), None, Some(1)],
        &["smb", "enterprise"],
    );
    let after = segmentation(
        vec![Some(0), Some(1), Some(1), Some(1), Some(0), None],
        &["smb", "enterprise"],
    );
    let c = compare_segmentations(&before, &after).unwrap();
    assert_eq!(c.compared, 4);
    assert_eq!(c.in_one_only, 2);
    assert_eq!(c.moved(0, 1), 1);
    assert_eq!(c.moved(1, 1), 2);
    assert_eq!(c.stayed_by_name, 0.75);
    let same = compare_segmentations(&before, &before).unwrap();
    assert_eq!(same.ari, 1.0);
}

#[test]
fn sampled_silhouette_states_its_error_and_is_exact_when_it_can_be() {
    let n = 400;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        (i % 4) as f64 * 3.0 + ((i * 13 + j * 7) % 10) as f64 * 0.2
    });
    let labels: Vec<usize> = (0..n).map(|i| i % 4).collect();
    let exact = validate::silhouette_score(x.view(), &labels).unwrap();
    let full = validate::silhouette_sampled(x.view(), &labels, n, 3).unwrap();
    assert_eq!(
        (full.estimate, full.standard_error, full.rows),
        (exact, 0.0, n)
    );
    let part = validate::silhouette_sampled(x.view(), &labels, 100, 3).unwrap();
    assert_eq!(part.rows, 100);
    assert!(part.standard_error > 0.0);
    assert!((part.estimate - exact).abs() < 5.0 * part.standard_error + 0.05);
    assert_eq!(
        part,
        validate::silhouette_sampled(x.view(), &labels, 100, 3).unwrap()
    );
    assert!(validate::silhouette_sampled(x.view(), &labels, 2, 3).is_err());
}
