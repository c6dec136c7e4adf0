//! Every chart's data against the result it is drawn from (not its pixels), every chart renders
//! to SVG, and adversarial chart data is a typed error, never a panic.
#![cfg(feature = "charts")]

use proptest::prelude::*;

#[path = "common/guard.rs"]
mod guard;
use guard::guarded;

use saas_segmentation::charts::{
    Chart, ChooseKChart, ColorScale, Heatmap, Histogram, HistogramGroup, IntervalBar, IntervalBars,
    LorenzChart, MetricPanel, Step, SurvivalChart, SurvivalCurve, ValueFormat, Waterfall,
};
use saas_segmentation::cluster::{profile_clusters, ChooseK, KMeans};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
use saas_segmentation::economics::{
    segment_kpis, Concentration, KpiInputs, MrrMovements, MrrParams,
};
use saas_segmentation::features::FeatureMatrix;
use saas_segmentation::rfm::{RfGrid, RfmParams, RfmScores, RfmTable, ScoreParams};
use saas_segmentation::survival::{
    compare_segments, KaplanMeierParams, LifetimeParams, SurvivalData, Weighting,
};
use saas_segmentation::synthetic::{generate, SyntheticBase, SyntheticConfig};
use saas_segmentation::{CustomerId, Date, Error, Period, Segmentation};

fn base() -> SyntheticBase {
    generate(&SyntheticConfig::new(600).seed(11)).unwrap()
}

fn last_day(base: &SyntheticBase) -> Date {
    base.analysis_date().add_days(-1).unwrap()
}

fn svg_of(chart: &dyn Chart) -> String {
    let svg = chart.to_svg().unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("viewBox"), "scales in a page");
    svg
}

fn by_tier(base: &SyntheticBase) -> Segmentation {
    let bounds = saas_segmentation::model::SizeTierBounds::default();
    Segmentation::from_fn(base.index(), "size tier", |id| {
        base.profiles()[id.index()]
            .firmographic
            .size_tier(&bounds)
            .ok()
            .flatten()
    })
    .unwrap()
}

#[test]
fn retention_heatmap_is_the_matrix_with_unobserved_cells_blank() {
    let base = base();
    let dense = base.index().dense();
    let signups: Vec<(CustomerId, Date)> = base
        .index()
        .ids()
        .map(|id| {
            let since = base.profiles()[id.index()].value.customer_since.unwrap();
            (id, Period::Month.start(since))
        })
        .collect();
    let paying: Vec<(CustomerId, Date)> = base
        .mrr()
        .iter()
        .filter(|r| r.mrr > 0.0)
        .map(|r| (r.customer, r.month))
        .collect();
    let cohorts = Cohorts::by_signup(&dense, &signups, Grid::Calendar(Period::Month)).unwrap();
    let matrix = RetentionMatrix::compute(
        &dense,
        &cohorts,
        &paying,
        &RetentionParams::new(last_day(&base)),
    )
    .unwrap();
    let chart = Heatmap::retention(&matrix, "retention");
    assert_eq!(chart.rows, matrix.labels());
    assert_eq!(chart.columns.len(), matrix.periods());
    assert_eq!(chart.cells, matrix.rates());
    // The youngest cohort has not reached its later periods: blank, never 0.
    let youngest = chart.cells.last().unwrap();
    assert!(youngest[1..].iter().all(Option::is_none));
    assert_eq!(
        chart.row_notes.first().unwrap(),
        &format!("n={}", matrix.sizes()[0])
    );
    // The colors span the observed rates.
    let lowest = chart
        .cells
        .iter()
        .flatten()
        .flatten()
        .fold(1.0f64, |a, &b| a.min(b));
    match chart.scale {
        ColorScale::Sequential { min, max } => {
            assert!(min <= lowest && lowest - min < 0.1 + 1e-12 && max == 1.0);
        }
        ColorScale::Diverging { .. } => panic!("retention is sequential"),
    }
    let svg = svg_of(&chart);
    assert!(svg.contains(&matrix.labels()[0]) && svg.contains("not observed yet"));
}

#[test]
fn rfm_grid_heatmap_counts_every_customer_once() {
    let base = base();
    let table = RfmTable::from_interned(
        base.transactions(),
        base.index(),
        &RfmParams::new(base.analysis_date()),
    )
    .unwrap();
    let scores = RfmScores::new(&table, &ScoreParams::default()).unwrap();
    let grid = RfGrid::new(&table, &scores).unwrap();
    let chart = Heatmap::rfm_grid(&grid, "R x F");
    assert_eq!(chart.rows, ["R5", "R4", "R3", "R2", "R1"]);
    assert_eq!(chart.columns, ["F1", "F2", "F3", "F4", "F5"]);
    let total: f64 = chart.cells.iter().flatten().flatten().sum();
    assert_eq!(total as usize, table.len());
    for (row, r) in (1..=5u8).rev().enumerate() {
        for f in 1..=5u8 {
            assert_eq!(
                chart.cells[row][usize::from(f) - 1],
                Some(grid.count(r, f) as f64)
            );
        }
    }
    svg_of(&chart);
}

#[test]
fn cluster_profile_heatmap_is_the_standardized_differences() {
    struct Row(f64, f64);
    let rows: Vec<Row> = (0..60)
        .map(|i| {
            let i = f64::from(i);
            if i < 30.0 {
                Row(10.0 + i * 0.1, 1.0)
            } else {
                Row(1_000.0 + i, 9.0 + i * 0.01)
            }
        })
        .collect();
    let matrix = FeatureMatrix::builder()
        .column("mrr", |r: &Row| r.0)
        .column("logins", |r: &Row| r.1)
        .standardize()
        .build(&rows)
        .unwrap();
    let model = KMeans::params(2).seed(3).fit(matrix.view()).unwrap();
    let profiles = profile_clusters(&matrix, model.labels()).unwrap();
    let chart = Heatmap::cluster_profiles(&profiles, "profiles");
    assert_eq!(chart.rows.len(), 2);
    assert_eq!(chart.columns, ["mrr", "logins"]);
    for (p, row) in profiles.iter().zip(&chart.cells) {
        for (c, cell) in p.contrasts.iter().zip(row) {
            assert_eq!(*cell, Some(c.standardized_difference));
        }
        assert!(chart.rows.iter().any(|r| r.starts_with(&p.label)));
    }
    assert!(matches!(chart.scale, ColorScale::Diverging { limit } if limit >= 0.5));
    svg_of(&chart);
}

#[test]
fn survival_chart_is_the_curves_with_their_bands_and_at_risk_counts() {
    let base = base();
    let dense = base.index().dense();
    let data =
        SurvivalData::from_mrr(&dense, base.mrr(), &LifetimeParams::new(last_day(&base))).unwrap();
    let comparison = compare_segments(
        &data,
        &by_tier(&base),
        &KaplanMeierParams::new(),
        Weighting::LogRank,
    )
    .unwrap();
    let times = [0.0, 6.0, 12.0, 18.0];
    let chart = SurvivalChart::segments(&comparison, "survival", "months", &times);
    assert_eq!(chart.curves.len(), comparison.curves.len());
    assert!(chart.subtitle.contains("log-rank"));
    for (curve, km) in chart.curves.iter().zip(&comparison.curves) {
        assert_eq!(curve.steps[0].0, 0.0);
        let steps = km.steps();
        // Every step of the fit is drawn, with its interval.
        for p in steps.iter().filter(|p| p.time > 0.0) {
            assert!(curve
                .steps
                .contains(&(p.time, p.survival, p.lower, p.upper)));
        }
        assert!(curve.steps.iter().all(|s| s.2 <= s.1 && s.1 <= s.3));
        // Everybody is at risk at 0; the counts never grow (no late entry here).
        assert_eq!(curve.at_risk[0], km.subjects());
        assert!(curve.at_risk.windows(2).all(|w| w[0] >= w[1]));
        // At a time of the table the count is the table's.
        let row = km.rows().iter().find(|r| r.time >= 6.0).unwrap();
        assert_eq!(curve.at_risk[1], row.at_risk);
    }
    let svg = svg_of(&chart);
    assert!(svg.contains("at risk") && svg.contains(&comparison.names[0]));
}

#[test]
fn choose_k_chart_marks_the_recommendation_and_each_pick() {
    let mut rows = Vec::new();
    for c in 0..3 {
        for i in 0..40 {
            let j = f64::from(i);
            rows.push([
                f64::from(c) * 10.0 + (j * 0.37).sin(),
                f64::from(c) * -7.0 + (j * 0.71).cos(),
            ]);
        }
    }
    let x = saas_segmentation::ndarray::Array2::from_shape_vec(
        (rows.len(), 2),
        rows.iter().flatten().copied().collect(),
    )
    .unwrap();
    let choice = ChooseK::params(2, 6).seed(1).fit(x.view()).unwrap();
    let chart = ChooseKChart::new(&choice, "k");
    assert_eq!(chart.recommended, choice.recommended());
    assert_eq!(chart.panels.len(), 4, "no gap statistic was asked for");
    let ks: Vec<f64> = choice.scores().iter().map(|s| s.k as f64).collect();
    for panel in &chart.panels {
        assert_eq!(panel.points.iter().map(|p| p.0).collect::<Vec<_>>(), ks);
    }
    assert_eq!(chart.panels[0].pick, choice.elbow());
    let best = choice
        .scores()
        .iter()
        .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette))
        .unwrap();
    assert_eq!(chart.panels[1].pick, Some(best.k));
    let svg = svg_of(&chart);
    assert!(svg.contains(&format!("recommended k = {}", choice.recommended())));
}

#[test]
fn lorenz_chart_runs_corner_to_corner_with_the_gini() {
    let values = [900.0, 50.0, 20.0, 20.0, 10.0, 0.0];
    let c = Concentration::new(&values).unwrap();
    let chart = LorenzChart::new(&c, "lorenz").unwrap();
    assert_eq!(chart.points.first(), Some(&(0.0, 0.0)));
    assert_eq!(chart.points.last(), Some(&(1.0, 1.0)));
    assert!(chart
        .points
        .windows(2)
        .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    assert_eq!(chart.gini, c.gini());
    assert_eq!(chart.top_20_share, c.top_share(0.2).unwrap());
    assert!(svg_of(&chart).contains("Gini"));
}

#[test]
fn mrr_bridge_adds_up_to_the_last_months_mrr() {
    let base = base();
    let dense = base.index().dense();
    let movements =
        MrrMovements::compute(&dense, base.mrr(), &MrrParams::new(last_day(&base))).unwrap();
    let months = movements.months();
    let last12 = &months[months.len() - 12..];
    let bridge = Waterfall::mrr_bridge(last12, "EUR", "bridge").unwrap();
    assert_eq!(bridge.start, last12[0].start_mrr);
    let end = last12.last().unwrap().end_mrr;
    assert!(
        (bridge.end() - end).abs() <= 1e-6 * end.max(1.0),
        "{} vs {end}",
        bridge.end()
    );
    let sum = |f: fn(&saas_segmentation::economics::MonthMovements) -> f64| {
        last12.iter().map(f).sum::<f64>()
    };
    assert_eq!(bridge.steps[0].delta, sum(|m| m.new));
    assert!(bridge.steps[3].delta <= 0.0 && bridge.steps[4].delta <= 0.0);
    assert_eq!(bridge.steps[4].delta, -sum(|m| m.churn.abs()));
    let svg = svg_of(&bridge);
    assert!(svg.contains("EUR") && svg.contains("expansion"));
    assert!(matches!(
        Waterfall::mrr_bridge(&[], "EUR", "empty"),
        Err(Error::EmptyInput { .. })
    ));
}

#[test]
fn kpi_bars_are_the_wilson_intervals_of_each_segment() {
    let base = base();
    let dense = base.index().dense();
    let end = Period::Month.start(last_day(&base));
    let inputs = KpiInputs::new().mrr(
        base.mrr(),
        MrrParams::new(last_day(&base)),
        end.add_months(-12).unwrap(),
        end,
    );
    let kpis = segment_kpis(&dense, &by_tier(&base), &inputs).unwrap();
    let chart = IntervalBars::proportions(&kpis, |k| k.logo_churn, "churn", "share");
    let with_churn: Vec<_> = kpis.iter().filter(|k| k.logo_churn.is_some()).collect();
    assert_eq!(chart.bars.len(), with_churn.len());
    for (bar, k) in chart.bars.iter().zip(&with_churn) {
        let p = k.logo_churn.unwrap();
        assert_eq!(bar.label, k.segment);
        assert_eq!(
            (bar.value, bar.lower, bar.upper),
            (p.estimate, Some(p.lower), Some(p.upper))
        );
        assert!(p.lower <= p.estimate && p.estimate <= p.upper);
    }
    let values = IntervalBars::values(
        &kpis,
        |k| k.arpa,
        ValueFormat::Money { currency: "USD" },
        "arpa",
        "USD",
    );
    assert!(values.bars.iter().all(|b| b.lower.is_none()));
    assert!(svg_of(&chart).contains(&kpis[0].segment));
    svg_of(&values);
}

#[test]
fn histogram_bins_every_value_once() {
    let chart = Histogram::new("health", "score", 0.0, 100.0, 10)
        .unwrap()
        .group("retained", [100.0, 95.0, 99.9, 50.0, -5.0, 250.0])
        .unwrap()
        .group("churned", [10.0, 20.0, 35.0])
        .unwrap();
    assert_eq!(chart.edges.len(), 11);
    assert_eq!(chart.groups[0].total(), 6);
    // 100 goes to the last bin (closed at its top); out-of-range values to the end bins.
    assert_eq!(chart.groups[0].counts[9], 4);
    assert_eq!(chart.groups[0].counts[0], 1);
    assert_eq!(chart.groups[0].counts[5], 1);
    assert_eq!(chart.groups[1].counts[1..4], [1, 1, 1]);
    assert!(svg_of(&chart).contains("churned (n=3)"));
    // Edges edited by hand: binned by the edges themselves, or refused when they cannot be.
    let mut uneven = Histogram::new("h", "x", 0.0, 1.0, 2).unwrap();
    uneven.edges = vec![0.0, 0.1, 1.0];
    let uneven = uneven.group("g", [0.05, 0.1, 0.5, 1.0]).unwrap();
    assert_eq!(uneven.groups[0].counts, [1, 3]);
    for edges in [vec![], vec![1.0], vec![0.0, 0.0], vec![0.0, f64::NAN]] {
        let mut broken = Histogram::new("h", "x", 0.0, 1.0, 2).unwrap();
        broken.edges = edges;
        assert!(matches!(
            broken.group("g", [0.5]),
            Err(Error::Render { .. })
        ));
    }
    let bad = Histogram::new("h", "x", 0.0, 1.0, 4)
        .unwrap()
        .group("g", [0.5, f64::NAN]);
    assert!(matches!(bad, Err(Error::NonFinite { .. })));
    for (lo, hi, bins) in [
        (1.0, 1.0, 4),
        (0.0, 1.0, 0),
        (0.0, 1.0, 1_001),
        (-f64::MAX, f64::MAX, 4),
    ] {
        assert!(matches!(
            Histogram::new("h", "x", lo, hi, bins),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

#[test]
fn charts_without_data_or_with_bad_values_are_render_errors() {
    let empty = Heatmap {
        title: "empty".into(),
        row_title: String::new(),
        column_title: String::new(),
        rows: vec![],
        columns: vec![],
        cells: vec![],
        row_notes: vec![],
        scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        format: ValueFormat::Percent { decimals: 0 },
    };
    assert!(matches!(empty.to_svg(), Err(Error::Render { .. })));
    let ragged = Heatmap {
        rows: vec!["a".into(), "b".into()],
        columns: vec!["x".into()],
        cells: vec![vec![Some(1.0)]],
        ..empty.clone()
    };
    assert!(matches!(ragged.to_svg(), Err(Error::Render { .. })));
    let nan = Heatmap {
        rows: vec!["a".into()],
        columns: vec!["x".into()],
        cells: vec![vec![Some(f64::NAN)]],
        ..empty.clone()
    };
    let err = nan.to_svg().unwrap_err();
    assert!(err.to_string().contains("empty") || err.to_string().contains("NaN"));
    let bars = IntervalBars {
        title: "no bars".into(),
        x_label: String::new(),
        format: ValueFormat::Number { decimals: 0 },
        bars: vec![],
        reference: Some(("target".into(), 1.0)),
    };
    assert!(matches!(bars.to_svg(), Err(Error::Render { .. })));
    let panel = ChooseKChart {
        title: "k".into(),
        recommended: 2,
        panels: vec![
            MetricPanel {
                name: "a".into(),
                points: vec![(2.0, 1.0)],
                pick: None,
            },
            MetricPanel {
                name: "b".into(),
                points: vec![],
                pick: None,
            },
        ],
    };
    assert!(matches!(panel.to_svg(), Err(Error::Render { .. })));
    let tall = Heatmap {
        rows: vec!["r".into(); 5_001],
        columns: vec!["c".into()],
        cells: vec![vec![Some(1.0)]; 5_001],
        ..empty.clone()
    };
    assert!(tall.to_svg().unwrap_err().to_string().contains("5001 rows"));
    let histogram = Histogram {
        title: "h".into(),
        x_label: String::new(),
        edges: vec![0.0, 1.0, 2.0],
        groups: vec![HistogramGroup {
            name: "g".into(),
            counts: vec![1, 2, 3],
        }],
    };
    assert!(matches!(histogram.to_svg(), Err(Error::Render { .. })));
}

#[test]
fn values_are_written_as_people_read_them() {
    assert_eq!(
        ValueFormat::Money { currency: "USD" }.format(-1_234_567.4),
        "-USD 1,234,567"
    );
    assert_eq!(ValueFormat::Money { currency: "€" }.format(999.5), "€1,000");
    assert_eq!(ValueFormat::Percent { decimals: 1 }.format(0.1234), "12.3%");
    assert_eq!(ValueFormat::Number { decimals: 2 }.format(-0.001), "0.00");
    assert_eq!(
        saas_segmentation::charts::group_thousands(f64::NAN, 0),
        "n/a"
    );
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e3..1e3f64,
        Just(0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-f64::MAX),
        Just(1e15),
        Just(1e16),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
    ]
}

proptest! {
    #![proptest_config(guard::config())]

    /// Any chart data renders or is a typed error: no panic, bounded memory.
    #[test]
    fn adversarial_chart_data_never_panics(
        values in prop::collection::vec(value(), 1..12),
        labels in prop::collection::vec("[a-z<>&\"' ]{0,60}", 1..5),
        blank in prop::collection::vec(any::<bool>(), 12),
        counts in prop::collection::vec(prop_oneof![Just(0u64), Just(u64::MAX), 0..50u64], 3),
    ) {
        let n = labels.len();
        let cells: Vec<Vec<Option<f64>>> = (0..n)
            .map(|r| (0..values.len()).map(|c| (!blank[(r + c) % 12]).then(|| values[c])).collect())
            .collect();
        let heatmap = Heatmap {
            title: labels[0].clone(),
            row_title: "r".into(),
            column_title: "c".into(),
            rows: labels.clone(),
            columns: values.iter().map(|v| format!("{v}")).collect(),
            cells,
            row_notes: vec![],
            scale: ColorScale::Diverging { limit: values[0] },
            format: ValueFormat::Number { decimals: 1 },
        };
        let rendered = guarded("Heatmap::to_svg", || heatmap.to_svg())?;
        if let Ok(svg) = rendered {
            prop_assert!(!svg.contains("<script"));
        }
        let curve = SurvivalCurve {
            name: labels[0].clone(),
            steps: values.iter().enumerate().map(|(i, &v)| (i as f64 * v.abs().min(1e6), v, v - 0.1, v + 0.1)).collect(),
            at_risk: counts.clone(),
        };
        let survival = SurvivalChart {
            title: "s".into(),
            subtitle: labels[n - 1].clone(),
            x_label: "t".into(),
            curves: vec![curve],
            at_risk_times: values.iter().take(3).copied().collect(),
        };
        let _ = guarded("SurvivalChart::to_svg", || survival.to_svg())?;
        let choose = ChooseKChart {
            title: "k".into(),
            recommended: 3,
            panels: vec![MetricPanel {
                name: "m".into(),
                points: values.iter().enumerate().map(|(i, &v)| (i as f64 + 2.0, v)).collect(),
                pick: Some(2),
            }],
        };
        let _ = guarded("ChooseKChart::to_svg", || choose.to_svg())?;
        let lorenz = LorenzChart {
            title: "l".into(),
            points: values.iter().map(|&v| (v, v)).collect(),
            gini: values[0],
            top_20_share: 0.5,
        };
        let _ = guarded("LorenzChart::to_svg", || lorenz.to_svg())?;
        let waterfall = Waterfall {
            title: "w".into(),
            start_label: labels[0].clone(),
            start: values[0],
            steps: values.iter().skip(1).map(|&delta| Step { label: "s".into(), delta }).collect(),
            end_label: "end".into(),
            format: ValueFormat::Money { currency: "USD" },
        };
        let _ = guarded("Waterfall::to_svg", || waterfall.to_svg())?;
        let bars = IntervalBars {
            title: "b".into(),
            x_label: "x".into(),
            format: ValueFormat::Percent { decimals: 1 },
            bars: labels.iter().zip(&values).map(|(l, &v)| IntervalBar {
                label: l.clone(), value: v, lower: Some(v - 1.0), upper: blank[0].then_some(v + 1.0),
            }).collect(),
            reference: blank[1].then(|| ("ref".to_owned(), values[0])),
        };
        let _ = guarded("IntervalBars::to_svg", || bars.to_svg())?;
        let histogram = Histogram {
            title: "h".into(),
            x_label: "x".into(),
            edges: values.clone(),
            groups: vec![HistogramGroup { name: "g".into(), counts: counts.clone() }],
        };
        let _ = guarded("Histogram::to_svg", || histogram.to_svg())?;
        let built = guarded("Histogram::group", || {
            Histogram::new("h", "x", values[0], values[values.len() - 1], 7)
                .and_then(|h| h.group("g", values.iter().copied()))
        })?;
        if let Ok(h) = built {
            prop_assert_eq!(h.groups[0].total(), values.len() as u64);
            let _ = guarded("Histogram::to_svg (built)", || h.to_svg())?;
        }
    }
}
