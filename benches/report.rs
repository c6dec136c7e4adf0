//! Chart and report rendering: the retention heatmap (24 cohorts x 24 months) and the
//! Kaplan-Meier curves of three size tiers that the quickstart report draws, rendered to SVG,
//! and the report page around them. `benches/peers/charts_matplotlib.py` draws the same marks
//! with matplotlib.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use saas_segmentation::charts::{Chart, Heatmap, SurvivalChart};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
use saas_segmentation::model::SizeTierBounds;
use saas_segmentation::report::{Block, Figure, Report, Section};
use saas_segmentation::survival::{
    compare_segments, KaplanMeierParams, LifetimeParams, SurvivalData, Weighting,
};
use saas_segmentation::synthetic::{generate, SyntheticConfig};
use saas_segmentation::{CustomerId, Date, Period, Segmentation};

fn charts(c: &mut Criterion) {
    let base = generate(&SyntheticConfig::new(20_000).seed(7)).expect("valid config");
    let end = base.analysis_date().add_days(-1).expect("in range");
    let dense = base.index().dense();
    let signups: Vec<(CustomerId, Date)> = base
        .index()
        .ids()
        .filter_map(|id| {
            let since = base.profiles()[id.index()].value.customer_since?;
            Some((id, Period::Month.start(since)))
        })
        .collect();
    let paying: Vec<(CustomerId, Date)> = base
        .mrr()
        .iter()
        .filter(|r| r.mrr > 0.0)
        .map(|r| (r.customer, r.month))
        .collect();
    let cohorts =
        Cohorts::by_signup(&dense, &signups, Grid::Calendar(Period::Month)).expect("cohorts");
    let matrix = RetentionMatrix::compute(&dense, &cohorts, &paying, &RetentionParams::new(end))
        .expect("matrix");
    let heatmap = Heatmap::retention(&matrix, "Logo retention by signup month");

    let bounds = SizeTierBounds::default();
    let tiers = Segmentation::from_fn(base.index(), "size tier", |id| {
        base.profiles()[id.index()]
            .firmographic
            .size_tier(&bounds)
            .ok()
            .flatten()
    })
    .expect("tiers");
    let lifetimes =
        SurvivalData::from_mrr(&dense, base.mrr(), &LifetimeParams::new(end)).expect("lifetimes");
    let comparison = compare_segments(
        &lifetimes,
        &tiers,
        &KaplanMeierParams::new(),
        Weighting::LogRank,
    )
    .expect("curves");
    let times: Vec<f64> = (0..=8).map(|i| f64::from(i) * 3.0).collect();
    let survival = SurvivalChart::segments(&comparison, "Share still paying", "months", &times);

    let mut group = c.benchmark_group("charts");
    group.bench_function("retention_heatmap_24x24_svg", |b| {
        b.iter(|| black_box(heatmap.to_svg().expect("svg")))
    });
    group.bench_function("kaplan_meier_3_tiers_svg", |b| {
        b.iter(|| black_box(survival.to_svg().expect("svg")))
    });
    let mut report = Report::new("Report", "bench");
    let mut section = Section::new("charts", "Charts");
    for (id, chart) in [
        ("retention", &heatmap as &dyn Chart),
        ("survival", &survival as &dyn Chart),
    ] {
        section.add(Block::Figure(Figure {
            id: id.into(),
            title: chart.title().into(),
            svg: chart.to_svg().expect("svg"),
            caption: String::new(),
        }));
    }
    report.push(section);
    group.bench_function("report_page_html", |b| {
        b.iter(|| black_box(report.to_html().expect("html")))
    });
    group.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);
