//! The segmentation playbook end to end on a seeded synthetic SaaS base, ending in a report.
//!
//! Goal -> the variables and their coverage -> profiles merged from four sources -> RFM ->
//! cohort retention by signup month and by channel -> survival by size tier -> the MRR bridge
//! -> k-means with the choice of k -> the five-criteria validation -> LTV quintiles and the
//! ideal / anti-ideal customer profile -> KPIs per segment against the tier economics ->
//! churn-risk and expansion lists -> the playbook per segment -> an experiment readout -> a
//! drift check.
//!
//! It prints a short summary and writes a self-contained HTML report (charts inline), a
//! Markdown variant and its charts under `target/quickstart/`.
//!
//! Run with `cargo run --release --example quickstart [customers] [seed]` (default 20,000
//! customers, seed 7).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use saas_segmentation::activity::{derive_behaviour, BehaviourConfig};
use saas_segmentation::charts::{
    Chart, ChooseKChart, Heatmap, Histogram, IntervalBars, LorenzChart, SurvivalChart, Waterfall,
};
use saas_segmentation::cluster::{profile_clusters, ChooseK, KMeans};
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
use saas_segmentation::drift::{ks_2samp, population_stability, PsiParams, Resegment, Trigger};
use saas_segmentation::economics::{
    check_tier_economics, observed_ltv, segment_kpis, Concentration, IdealCustomerProfile,
    KpiInputs, MrrMovements, MrrParams, ProfileParams, SegmentKpis, TierMeasurement,
    TraitCondition, ValueQuantiles,
};
use saas_segmentation::experiment::{
    compare_proportions, sample_ratio_mismatch, sample_size_proportions, Arm,
};
use saas_segmentation::features::{FeatureMatrix, ScalerKind};
use saas_segmentation::model::{SizeTier, SizeTierBounds};
use saas_segmentation::playbook::{Goal, Kpi, Play, Playbook, Team};
use saas_segmentation::profile::{CustomerProfile, ProfileBuilder};
use saas_segmentation::propensity::{
    account_signals, health_bands, health_scores, rank_accounts, HealthWeights, RankBy,
    SignalParams, SignalSources,
};
use saas_segmentation::random::SeededRng;
use saas_segmentation::report::{
    Block, Cell, Column, Definition, Figure, KeyFigure, Report, Section, Table,
};
use saas_segmentation::rfm::{
    segment_summary, RfGrid, RfmParams, RfmScores, RfmSegmentTable, RfmTable, ScoreParams,
};
use saas_segmentation::stats::Alternative;
use saas_segmentation::survival::{
    compare_segments, KaplanMeierParams, LifetimeParams, SurvivalData, Weighting,
};
use saas_segmentation::synthetic::{
    generate, SyntheticConfig, CORE_FEATURES, FEATURE_PLANS, KEY_WORKFLOWS,
};
use saas_segmentation::tiers::TierEconomicsTable;
use saas_segmentation::validate::{validate_segmentation, Criteria, ValidationInput, Variable};
use saas_segmentation::{CustomerId, Date, PerCustomer, Period, Result, Segmentation};

const CURRENCY: &str = "USD";

fn money(value: f64) -> Cell {
    Cell::money(value, CURRENCY)
}

fn pct(value: Option<f64>) -> Cell {
    Cell::opt(value, |v| Cell::percent(v, 1))
}

/// Adds a chart to a section, with what to read in it.
fn chart(section: &mut Section, id: &str, chart: &dyn Chart, caption: &str) -> Result<()> {
    section.add(Block::Figure(Figure {
        id: id.to_owned(),
        title: chart.title().to_owned(),
        svg: chart.to_svg()?,
        caption: caption.to_owned(),
    }));
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let customers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let started = Instant::now();

    let base = generate(&SyntheticConfig::new(customers).seed(seed))?;
    let today = base.analysis_date();
    let index = base.index();
    let dense = index.dense();
    let mut report = Report::new(
        "Customer segmentation playbook",
        &format!(
            "A seeded synthetic SaaS base of {} customers (seed {seed}), analysed on {today}. \
             Money in {CURRENCY}; MRR is monthly recurring revenue.",
            group(customers as f64)
        ),
    );
    define_terms(&mut report);
    println!(
        "Customer segmentation playbook: {} synthetic customers (seed {seed}), analysed on {today}\n",
        group(customers as f64)
    );

    // -----------------------------------------------------------------------------------------
    // 1. The goal.
    let bounds = SizeTierBounds::default();
    let profile = |id: CustomerId| base.profiles().get(id.index());
    let by_tier = Segmentation::from_fn(index, "size tier", |id| {
        profile(id)?.firmographic.size_tier(&bounds).ok().flatten()
    })?;
    let mrr_now = PerCustomer::from_fn(index, |id| profile(id)?.value.mrr);
    let paying: Vec<f64> = mrr_now
        .values()
        .iter()
        .flatten()
        .copied()
        .filter(|m| *m > 0.0)
        .collect();
    let total_mrr: f64 = paying.iter().sum();
    let end_month = Period::Month.start(today.add_days(-1)?);
    let (mid, start) = (end_month.add_months(-3)?, end_month.add_months(-6)?);
    // The MRR rows run to the month before the analysis date: MRR analyses end there.
    let mrr_params = MrrParams::new(today.add_days(-1)?);
    let window = |from, to| KpiInputs::new().mrr(base.mrr(), mrr_params, from, to);
    let tier_before = segment_kpis(&dense, &by_tier, &window(start, mid))?;
    let tier_now = segment_kpis(&dense, &by_tier, &window(mid, end_month))?;
    let mut goal_section = Section::new("goal", "1. The goal");
    goal_section.text(
        "Segments exist to change a number. This run sets one goal on churn and reads the rest \
         of the playbook against it: who churns, who expands, and what each team does about it.",
    );
    goal_section.add(Block::Figures(vec![
        KeyFigure::new("customers", Cell::number(customers as f64, 0)),
        KeyFigure::new("paying customers", Cell::number(paying.len() as f64, 0)),
        KeyFigure::new("MRR", money(total_mrr)).defined_by("mrr"),
        KeyFigure::new("ARPA", money(total_mrr / paying.len().max(1) as f64)).defined_by("arpa"),
    ]));
    let smb_churn = tier_before
        .iter()
        .find(|k| k.segment == "smb")
        .and_then(|k| k.monthly_churn);
    if let Some(churn) = smb_churn {
        let goal = Goal::new(
            "cut SMB churn by a quarter in two quarters",
            Kpi::MonthlyChurn,
            churn,
            churn * 0.75,
            mid,
            mid.add_months(6)?,
        )?
        .measured_by("monthly logo churn of paying SMB customers over a quarter")
        .segments(["smb"]);
        let review = goal.review(&tier_now, end_month)?;
        goal_section.add(Block::Bullets(
            std::iter::once(format!(
                "Goal: {}, measured as {}: from {:.2}% a month (the quarter to {mid}) to {:.2}% by {}.",
                goal.challenge,
                goal.measurement,
                churn * 100.0,
                churn * 75.0,
                mid.add_months(6)?
            ))
            .chain(review.progress.iter().map(|p| format!("Review on {end_month}: {}", p.summary)))
            .collect(),
        ));
        println!(
            "1. Goal: cut SMB churn from {:.2}% to {:.2}% a month by {}",
            churn * 100.0,
            churn * 75.0,
            mid.add_months(6)?
        );
        for p in &review.progress {
            println!("   {}", p.summary);
        }
    }
    report.push(goal_section);

    // -----------------------------------------------------------------------------------------
    // 2. The variables, their coverage, and profiles merged from four sources.
    let records = base.source_records();
    let mut by_source: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        let name = match format!("{:?}", r.source).as_str() {
            "Crm" => "CRM".to_owned(),
            "ProductAnalytics" => "product analytics".to_owned(),
            other => other.to_lowercase(),
        };
        *by_source.entry(name).or_default() += 1;
    }
    let mut profiles = ProfileBuilder::new().records(records).build()?;
    let end = today.add_days(-1)?;
    let behaviour_window = BehaviourConfig::new(end.add_days(-89)?, end)?
        .core_features(CORE_FEATURES.to_vec())
        .key_workflows(KEY_WORKFLOWS.to_vec());
    let behaviour = derive_behaviour(&dense, base.activity(), &behaviour_window)?;
    profiles.apply_behaviour(&behaviour)?;
    let mut conflicts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in profiles.conflicts() {
        *conflicts.entry(c.field.as_str()).or_default() += 1;
    }
    type Getter = fn(&CustomerProfile) -> bool;
    let chosen: [(&str, &str, &str, Getter); 10] = [
        ("industry", "firmographic", "firmographic.industry", |p| {
            p.firmographic.industry.is_some()
        }),
        (
            "employees (size tier)",
            "firmographic",
            "firmographic.employees",
            |p| p.firmographic.employees.is_some(),
        ),
        ("region", "firmographic", "firmographic.region", |p| {
            p.firmographic.region.is_some()
        }),
        ("plan", "value", "value.plan_tier", |p| {
            p.value.plan_tier.is_some()
        }),
        ("MRR", "value", "value.mrr", |p| p.value.mrr.is_some()),
        (
            "acquisition channel",
            "value",
            "value.acquisition_channel",
            |p| p.value.acquisition_channel.is_some(),
        ),
        ("customer since", "value", "value.customer_since", |p| {
            p.value.customer_since.is_some()
        }),
        (
            "logins per week",
            "behaviour",
            "behaviour.logins_per_week",
            |p| p.behaviour.logins_per_week.is_some(),
        ),
        (
            "core-feature adoption",
            "behaviour",
            "behaviour.core_feature_adoption",
            |p| p.behaviour.core_feature_adoption.is_some(),
        ),
        ("support tickets", "needs", "needs.support_tickets", |p| {
            p.needs.support_tickets.is_some()
        }),
    ];
    let n = profiles.len().max(1) as f64;
    let mut data = Section::new("data", "2. Variables, coverage and merged profiles");
    data.text(format!(
        "{} profiles merged from {} source records ({}). Where two sources disagree on a field the \
         most recent observation wins, and every conflict is kept for review: {} in total.",
        group(profiles.len() as f64),
        group(by_source.values().sum::<usize>() as f64),
        by_source
            .iter()
            .map(|(s, c)| format!("{s} {}", group(*c as f64)))
            .collect::<Vec<_>>()
            .join(", "),
        group(profiles.conflicts().len() as f64)
    ));
    data.add(Block::Table(
        Table::new(
            vec![
                Column::text("variable"),
                Column::text("kind"),
                Column::number("coverage").defined_by("coverage"),
                Column::number("conflicts between sources"),
            ],
            chosen
                .iter()
                .map(|(name, kind, field, has)| {
                    let covered = profiles.profiles().iter().filter(|p| has(p)).count();
                    vec![
                        Cell::text(*name),
                        Cell::text(*kind),
                        Cell::percent(covered as f64 / n, 1),
                        Cell::number(
                            conflicts
                                .iter()
                                .filter(|(f, _)| {
                                    f.ends_with(field.rsplit('.').next().unwrap_or(field))
                                })
                                .map(|(_, c)| *c)
                                .sum::<usize>() as f64,
                            0,
                        ),
                    ]
                })
                .collect(),
        )
        .caption("The variables chosen for segmentation"),
    ));
    println!(
        "2. Profiles: {} merged from {} records of {} sources, {} conflicts resolved",
        group(profiles.len() as f64),
        group(by_source.values().sum::<usize>() as f64),
        by_source.len(),
        group(profiles.conflicts().len() as f64)
    );
    report.push(data);

    // -----------------------------------------------------------------------------------------
    // 3. RFM.
    let table = RfmTable::from_interned(base.transactions(), index, &RfmParams::new(today))?;
    let scores = RfmScores::new(&table, &ScoreParams::default())?;
    let rfm_segments = RfmSegmentTable::default_table().apply(&scores)?;
    let summary = segment_summary(&table, &rfm_segments)?;
    let mut rfm = Section::new("rfm", "3. RFM segments");
    rfm.text(format!(
        "Recency, frequency and monetary value from {} invoices and refunds ({} refunds netted), \
         scored 1-5 by quintile and named by the default segment table.",
        group(base.transactions().len() as f64),
        group(table.report().refunds_netted as f64)
    ));
    rfm.add(Block::Table(Table::new(
        vec![
            Column::text("RFM segment"),
            Column::number("customers"),
            Column::number("revenue share").defined_by("revenue-share"),
            Column::number("average order").defined_by("aov"),
            Column::number("median recency (days)").defined_by("recency"),
            Column::number("median revenue"),
        ],
        summary
            .iter()
            .filter(|r| r.customers > 0)
            .map(|r| {
                vec![
                    Cell::text(r.name.clone()),
                    Cell::number(r.customers as f64, 0),
                    pct(r.revenue_share),
                    Cell::opt(r.average_order_value, money),
                    Cell::opt(r.median_recency, |v| Cell::number(v, 0)),
                    Cell::opt(r.median_monetary, money),
                ]
            })
            .collect(),
    )));
    let grid = RfGrid::new(&table, &scores)?;
    chart(
        &mut rfm,
        "rfm-grid",
        &Heatmap::rfm_grid(&grid, "Customers by recency and frequency score"),
        "Top row: bought most recently. Right column: bought most often. The top-right corner \
         is the best customers; the bottom-left, those slipping away.",
    )?;
    // Where the planted segments of the synthetic base land in RFM.
    let planted = base.planted();
    let mut landing = vec![vec![0usize; rfm_segments.segments().len()]; planted.len()];
    for id in index.ids() {
        if let Some(s) = rfm_segments.segment_of(id) {
            landing[base.truth()[id.index()]][s] += 1;
        }
    }
    rfm.add(Block::Table(
        Table::new(
            vec![
                Column::text("planted segment"),
                Column::number("customers"),
                Column::text("most common RFM segments"),
            ],
            planted
                .iter()
                .zip(&landing)
                .map(|(p, counts)| {
                    let total: usize = counts.iter().sum();
                    let mut order: Vec<usize> = (0..counts.len()).collect();
                    order.sort_by_key(|&s| std::cmp::Reverse(counts[s]));
                    vec![
                        Cell::text(p.name.clone()),
                        Cell::number(total as f64, 0),
                        Cell::text(
                            order
                                .iter()
                                .take(3)
                                .map(|&s| {
                                    format!(
                                        "{} {:.0}%",
                                        rfm_segments.segments()[s].name(),
                                        100.0 * counts[s] as f64 / total.max(1) as f64
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ]
                })
                .collect(),
        )
        .caption("The planted segments of the synthetic base, as RFM sees them"),
    ));
    rfm.text(
        "RFM reads billing, not use: the planted at-risk decliners still pay every month, so \
         RFM spreads them over its segments. The health score of section 11, built from \
         activity, support and MRR signals, is what finds them.",
    );
    let rfm_best = summary.iter().max_by_key(|r| r.customers);
    println!(
        "3. RFM: {} customers scored into {} segments; largest: {}",
        group(table.len() as f64),
        summary.iter().filter(|r| r.customers > 0).count(),
        rfm_best.map_or("-".into(), |r| format!(
            "{} ({})",
            r.name,
            group(r.customers as f64)
        ))
    );
    report.push(rfm);

    // -----------------------------------------------------------------------------------------
    // 4. Cohort retention: active = paying in a month.
    // Activity here is paying in a calendar month (MRR rows are dated the 1st), so the cohort
    // is the signup month and its start is the signup date.
    let signups: Vec<(CustomerId, Date)> = index
        .ids()
        .filter_map(|id| Some((id, Period::Month.start(profile(id)?.value.customer_since?))))
        .collect();
    let paying_months: Vec<(CustomerId, Date)> = base
        .mrr()
        .iter()
        .filter(|r| r.mrr > 0.0)
        .map(|r| (r.customer, r.month))
        .collect();
    let params = RetentionParams::new(end);
    let by_month = Cohorts::by_signup(&dense, &signups, Grid::Calendar(Period::Month))?;
    let monthly = RetentionMatrix::compute(&dense, &by_month, &paying_months, &params)?;
    let by_channel = Cohorts::by_key(&dense, &signups, |id, _| {
        profile(id)?
            .value
            .acquisition_channel
            .map(|c| c.to_string())
    })?;
    let channels = RetentionMatrix::compute(&dense, &by_channel, &paying_months, &params)?;
    let mut cohorts = Section::new("cohorts", "4. Cohort retention");
    cohorts.text(
        "Logo retention: the share of each cohort paying in each month after signup. Blank \
         cells are months the cohort has not reached yet, not zeros.",
    );
    chart(
        &mut cohorts,
        "retention-month",
        &Heatmap::retention(&monthly, "Logo retention by signup month"),
        "Each row is a signup month; read across to see how many were still paying n months later.",
    )?;
    chart(
        &mut cohorts,
        "retention-channel",
        &Heatmap::retention(&channels, "Logo retention by acquisition channel"),
        "Channels whose rows fade fastest bring customers who leave: compare with their CAC.",
    )?;
    let at = |m: &RetentionMatrix, period: usize| m.average().get(period).copied().flatten();
    println!(
        "4. Cohorts: {} monthly cohorts; average retention {} at month 3, {} at month 12",
        monthly.labels().len(),
        at(&monthly, 3).map_or("-".into(), |v| format!("{:.0}%", v * 100.0)),
        at(&monthly, 12).map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
    );
    report.push(cohorts);

    // -----------------------------------------------------------------------------------------
    // 5. Survival by size tier.
    let lifetimes = SurvivalData::from_mrr(&dense, base.mrr(), &LifetimeParams::new(end))?;
    let survival = compare_segments(
        &lifetimes,
        &by_tier,
        &KaplanMeierParams::new(),
        Weighting::LogRank,
    )?;
    let mut surv = Section::new("survival", "5. Survival by size tier");
    surv.text(format!(
        "Kaplan-Meier curves of months paid until churn; customers still paying are censored. \
         The log-rank test asks whether the tiers churn alike: chi2 = {:.1} on {} df, p {}.",
        survival.test.statistic,
        survival.test.df,
        saas_segmentation::charts::format_p(survival.test.p_value)
    ));
    surv.add(Block::Table(Table::new(
        vec![
            Column::text("size tier"),
            Column::number("customers"),
            Column::number("churned"),
            Column::number("still paying after 12 months").defined_by("survival-12"),
            Column::number("median months").defined_by("median-survival"),
        ],
        survival
            .names
            .iter()
            .zip(&survival.curves)
            .map(|(name, km)| {
                let s12 = km.at(12.0).map(|p| p.survival).ok();
                let median = km.median();
                vec![
                    Cell::text(name.clone()),
                    Cell::number(km.subjects() as f64, 0),
                    Cell::number(km.events() as f64, 0),
                    pct(s12),
                    if median.is_finite() {
                        Cell::number(median, 0)
                    } else {
                        Cell::text("not reached")
                    },
                ]
            })
            .collect(),
    )));
    chart(
        &mut surv,
        "survival-tier",
        &SurvivalChart::segments(
            &survival,
            "Share still paying, by size tier",
            "months since first payment",
            &[0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0],
        ),
        "Shaded bands are 95% confidence intervals; the table under the plot is how many \
         customers each point rests on.",
    )?;
    println!(
        "5. Survival: log-rank across size tiers chi2 = {:.1}, p {}",
        survival.test.statistic,
        saas_segmentation::charts::format_p(survival.test.p_value)
    );
    report.push(surv);

    // -----------------------------------------------------------------------------------------
    // 6. The MRR bridge.
    let movements = MrrMovements::compute(&dense, base.mrr(), &mrr_params)?;
    let months = movements.months();
    let last12 = &months[months.len().saturating_sub(12)..];
    let bridge = Waterfall::mrr_bridge(last12, CURRENCY, "MRR bridge over the last 12 months")?;
    let mut mrr = Section::new("mrr", "6. MRR bridge");
    let first = last12.first();
    let starting = first.map_or(0.0, |m| m.start_mrr);
    let nrr12 = (starting > 0.0).then(|| {
        (starting
            + last12
                .iter()
                .map(|m| m.expansion + m.reactivation)
                .sum::<f64>()
            - last12
                .iter()
                .map(|m| m.contraction.abs() + m.churn.abs())
                .sum::<f64>())
            / starting
    });
    mrr.add(Block::Figures(vec![
        KeyFigure::new("MRR 12 months ago", money(starting)).defined_by("mrr"),
        KeyFigure::new("MRR now", money(bridge.end())).defined_by("mrr"),
        KeyFigure::new("new", money(bridge.steps[0].delta)),
        KeyFigure::new("churned", money(bridge.steps[4].delta)),
        KeyFigure::new("NRR, 12 months", pct(nrr12)).defined_by("nrr"),
        KeyFigure::new(
            "logo churn, trailing 3 months",
            pct(movements.trailing_logo_churn(3)),
        )
        .defined_by("logo-churn"),
    ]));
    chart(
        &mut mrr,
        "mrr-bridge",
        &bridge,
        "Green adds MRR, vermillion takes it away; the last bar is where the movements leave MRR.",
    )?;
    println!(
        "6. MRR: {} -> {} over 12 months (new {}, churn {})",
        money(starting).render(),
        money(bridge.end()).render(),
        money(bridge.steps[0].delta).render(),
        money(bridge.steps[4].delta).render()
    );
    report.push(mrr);

    // -----------------------------------------------------------------------------------------
    // 7. k-means with the choice of k.
    let matrix = FeatureMatrix::builder()
        .log1p("mrr", |p: &CustomerProfile| p.value.mrr)
        .log1p("employees", |p: &CustomerProfile| p.firmographic.employees)
        .column("logins_per_week", |p: &CustomerProfile| {
            p.behaviour.logins_per_week
        })
        .column("core_adoption", |p: &CustomerProfile| {
            p.behaviour.core_feature_adoption
        })
        .column("activity_trend", |p: &CustomerProfile| {
            p.behaviour.activity_trend
        })
        .column("support_tickets", |p: &CustomerProfile| {
            p.needs.support_tickets
        })
        .scaler(ScalerKind::Standard)
        .build_over(&profiles, profiles.profiles())?;
    let choice = ChooseK::params(3, 8).seed(seed).fit(matrix.view())?;
    let k = choice.recommended();
    let model = KMeans::params(k).seed(seed).n_init(4).fit(matrix.view())?;
    let cluster_profiles = profile_clusters(&matrix, model.labels())?;
    // The clusters are over the merged profiles' customers; re-attach them by key to the
    // base's index, which the MRR, tickets and activity records use.
    let clusters = model
        .segmentation(&matrix)?
        .keyed(profiles.index())?
        .attach(index)?;
    let mut clustering = Section::new("clusters", "7. Behavioural clusters (k-means)");
    clustering.text(format!(
        "k-means on {} standardized features ({}) of {} customers with complete data; k = {} \
         was chosen by {}",
        matrix.names().len(),
        matrix.names().join(", "),
        group(matrix.view().nrows() as f64),
        k,
        choice.reason()
    ));
    chart(
        &mut clustering,
        "choose-k",
        &ChooseKChart::new(&choice, "Choosing k"),
        &format!(
            "Each panel is one criterion over k = {}..{}; the orange line is the k used.",
            choice.scores().first().map_or(0, |s| s.k),
            choice.scores().last().map_or(0, |s| s.k)
        ),
    )?;
    chart(
        &mut clustering,
        "cluster-profiles",
        &Heatmap::cluster_profiles(&cluster_profiles, "What sets each cluster apart"),
        "Standardized difference of each cluster's mean from the other clusters': blue above, \
         vermillion below; |d| >= 0.5 names the cluster.",
    )?;
    // How the clusters line up with the planted truth.
    let mut crosstab = vec![vec![0usize; planted.len()]; k];
    for id in index.ids() {
        if let Some(c) = clusters.segment_of(id) {
            crosstab[c][base.truth()[id.index()]] += 1;
        }
    }
    let mut columns = vec![Column::text("cluster"), Column::number("customers")];
    columns.extend(planted.iter().map(|p| Column::number(&p.name)));
    clustering.add(Block::Table(
        Table::new(
            columns,
            clusters
                .segments()
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    let total: usize = crosstab[c].iter().sum();
                    let mut row = vec![Cell::text(s.name()), Cell::number(total as f64, 0)];
                    row.extend(
                        crosstab[c]
                            .iter()
                            .map(|&x| Cell::percent(x as f64 / total.max(1) as f64, 0)),
                    );
                    row
                })
                .collect(),
        )
        .caption(
            "Clusters against the planted segments of the synthetic base (share of each cluster)",
        ),
    ));
    println!("7. Clusters: k = {k} ({})", choice.reason());
    for (c, s) in clusters.segments().iter().enumerate() {
        let (top, count) = crosstab[c]
            .iter()
            .enumerate()
            .max_by_key(|(_, x)| **x)
            .map_or(("-", 0), |(p, x)| (planted[p].name.as_str(), *x));
        println!(
            "   {:<40} {:>6} customers, {:>3.0}% planted {top}",
            s.name(),
            group(crosstab[c].iter().sum::<usize>() as f64),
            100.0 * count as f64 / crosstab[c].iter().sum::<usize>().max(1) as f64
        );
    }
    report.push(clustering);

    // -----------------------------------------------------------------------------------------
    // 8. The playbook per cluster, then the five-criteria validation.
    let mut playbook = Playbook::new();
    for s in clusters.segments() {
        playbook = playbook.with(s.name(), play_for(s.name()));
    }
    let strategies = playbook.strategies();
    let categorical = |name: &str, f: &dyn Fn(&CustomerProfile) -> Option<String>| {
        Variable::categorical(name, PerCustomer::from_fn(index, |id| f(profile(id)?)))
    };
    let numeric = |name: &str, f: &dyn Fn(&CustomerProfile) -> Option<f64>| {
        Variable::numeric(name, PerCustomer::from_fn(index, |id| f(profile(id)?)))
    };
    let merged = |id: CustomerId| profiles.profile(index.key(id)?.as_str());
    let variables = vec![
        Variable::numeric("MRR", mrr_now.clone()),
        Variable::numeric(
            "logins per week",
            PerCustomer::from_fn(index, |id| merged(id)?.behaviour.logins_per_week),
        ),
        Variable::numeric(
            "activity trend",
            PerCustomer::from_fn(index, |id| merged(id)?.behaviour.activity_trend),
        ),
        categorical("industry", &|p| {
            p.firmographic.industry.map(|i| i.to_string())
        }),
        categorical("plan", &|p| p.value.plan_tier.map(|t| t.to_string())),
        numeric("employees", &|p| p.firmographic.employees.map(f64::from)),
    ];
    let in_app = PerCustomer::from_fn(index, |id| {
        Some(merged(id)?.behaviour.active_days.is_some_and(|d| d > 0))
    });
    let email = PerCustomer::from_fn(index, |id| {
        Some(profile(id)?.value.mrr.is_some_and(|m| m > 0.0))
    });
    let validation = validate_segmentation(
        &clusters,
        &ValidationInput {
            variables: &variables,
            defining: &["MRR", "logins per week", "activity trend"],
            revenue: Some(&mrr_now),
            channels: &[("in-app", &in_app), ("billing email", &email)],
            strategies: Some(&strategies),
        },
        &Criteria::default(),
    )?;
    let mut valid = Section::new("validation", "8. Are the clusters good segments?");
    valid.text(
        "Five tests per segment: distinct (differs from the rest on a variable, Holm-adjusted), \
         measurable (its defining variables are known), accessible (reachable in a channel), \
         substantial (big enough), actionable (a complete play is mapped to it).",
    );
    let word = |v: &saas_segmentation::validate::Verdict| match v {
        saas_segmentation::validate::Verdict::Pass(_) => "pass",
        saas_segmentation::validate::Verdict::Fail(_) => "FAIL",
        saas_segmentation::validate::Verdict::NotAssessed(_) => "n/a",
    };
    valid.add(Block::Table(Table::new(
        vec![
            Column::text("cluster"),
            Column::number("customers"),
            Column::number("revenue share").defined_by("revenue-share"),
            Column::text("distinct"),
            Column::text("measurable"),
            Column::text("accessible"),
            Column::text("substantial"),
            Column::text("actionable"),
        ],
        validation
            .segments
            .iter()
            .map(|s| {
                vec![
                    Cell::text(s.segment.clone()),
                    Cell::number(s.customers as f64, 0),
                    pct(s.revenue_share),
                    Cell::text(word(&s.distinct)),
                    Cell::text(word(&s.measurable)),
                    Cell::text(word(&s.accessible)),
                    Cell::text(word(&s.substantial)),
                    Cell::text(word(&s.actionable)),
                ]
            })
            .collect(),
    )));
    let failures: Vec<String> = validation
        .segments
        .iter()
        .flat_map(|s| {
            s.verdicts()
                .into_iter()
                .filter_map(move |(name, v)| match v {
                    saas_segmentation::validate::Verdict::Fail(reasons) => Some(format!(
                        "{} is not {name}: {}",
                        s.segment,
                        reasons.join("; ")
                    )),
                    _ => None,
                })
        })
        .collect();
    if !failures.is_empty() {
        valid.add(Block::Bullets(failures.clone()));
    }
    println!(
        "8. Validation: {} of {} clusters pass all five criteria",
        validation
            .segments
            .iter()
            .filter(|s| s.verdicts().iter().all(|(_, v)| v.passed()))
            .count(),
        validation.segments.len()
    );
    report.push(valid);

    // -----------------------------------------------------------------------------------------
    // 9. Value: LTV quintiles, concentration, ideal and anti-ideal customer profiles.
    let ltv = observed_ltv(&dense, base.mrr(), &mrr_params, 0.8)?;
    let quintiles = ValueQuantiles::new(index, &ltv, 5)?;
    let concentration = Concentration::new(
        &ltv.values()
            .iter()
            .map(|v| v.unwrap_or(0.0))
            .collect::<Vec<_>>(),
    )?;
    let mut value = Section::new(
        "value",
        "9. Value: LTV quintiles and the ideal customer profile",
    );
    value.add(Block::Table(Table::new(
        vec![
            Column::text("LTV quintile"),
            Column::number("customers"),
            Column::number("total LTV").defined_by("ltv"),
            Column::number("share of LTV"),
            Column::number("lowest"),
            Column::number("highest"),
        ],
        quintiles
            .groups()
            .iter()
            .map(|g| {
                vec![
                    Cell::text(g.name.clone()),
                    Cell::number(g.customers as f64, 0),
                    money(g.value),
                    Cell::percent(g.value_share, 1),
                    money(g.min),
                    money(g.max),
                ]
            })
            .collect(),
    )));
    chart(
        &mut value,
        "lorenz",
        &LorenzChart::new(&concentration, "How concentrated lifetime value is")?,
        "The further the curve sags below the diagonal, the more value rests on few customers.",
    )?;
    let icp_variables = vec![
        categorical("industry", &|p| {
            p.firmographic.industry.map(|i| i.to_string())
        }),
        categorical("size tier", &|p| {
            p.firmographic
                .size_tier(&SizeTierBounds::default())
                .ok()
                .flatten()
                .map(|t| t.to_string())
        }),
        categorical("channel", &|p| {
            p.value.acquisition_channel.map(|c| c.to_string())
        }),
        categorical("plan", &|p| p.value.plan_tier.map(|t| t.to_string())),
        numeric("employees", &|p| p.firmographic.employees.map(f64::from)),
    ];
    for (flags, group_name, id) in [
        (quintiles.top_flags(), "top 20% by LTV", "ideal"),
        (quintiles.bottom_flags(), "bottom 20% by LTV", "anti-ideal"),
    ] {
        let icp =
            IdealCustomerProfile::fit(&flags, &icp_variables, group_name, &ProfileParams::new())?;
        let rows: Vec<Vec<Cell>> = icp
            .traits()
            .take(8)
            .map(|t| {
                let condition = match &t.condition {
                    TraitCondition::Equals { value } => format!("{} = {value}", t.variable),
                    TraitCondition::Between { low, high } => {
                        format!("{} in {}..{}", t.variable, group(*low), group(*high))
                    }
                };
                vec![
                    Cell::text(condition),
                    Cell::percent(t.share_in_group, 0),
                    Cell::percent(t.share_in_rest, 0),
                    Cell::text(format!(
                        "{:.1} [{:.1}, {:.1}]",
                        t.lift, t.lift_lower, t.lift_upper
                    )),
                ]
            })
            .collect();
        println!(
            "9. {} profile ({group_name}): {}",
            if id == "ideal" { "Ideal" } else { "Anti-ideal" },
            icp.traits()
                .take(3)
                .map(|t| match &t.condition {
                    TraitCondition::Equals { value } =>
                        format!("{} = {value} (lift {:.1})", t.variable, t.lift),
                    TraitCondition::Between { low, high } => format!(
                        "{} {}..{} (lift {:.1})",
                        t.variable,
                        group(*low),
                        group(*high),
                        t.lift
                    ),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        value.add(Block::Table(
            Table::new(
                vec![
                    Column::text("trait"),
                    Column::number("in group"),
                    Column::number("in the rest"),
                    Column::number("lift [95% interval]").defined_by("lift"),
                ],
                rows,
            )
            .caption(&format!(
                "{} customer profile: traits the {group_name} share more than the rest",
                if id == "ideal" { "Ideal" } else { "Anti-ideal" }
            )),
        ));
    }
    report.push(value);

    // -----------------------------------------------------------------------------------------
    // 10. KPIs per segment against the tier economics.
    let by_key_mrr: Vec<saas_segmentation::records::MrrRecord<String>> = base
        .mrr()
        .iter()
        .map(|r| {
            saas_segmentation::records::MrrRecord::new(
                index.keys()[r.customer.index()].clone(),
                r.month,
                r.mrr,
            )
        })
        .collect();
    let year_ago = end_month.add_months(-12)?;
    let inputs = KpiInputs::new()
        .mrr(&by_key_mrr, mrr_params, year_ago, end_month)
        .gross_margin(0.8);
    let tier_kpis = segment_kpis(index, &by_tier, &inputs)?;
    let cluster_kpis = segment_kpis(index, &clusters, &inputs)?;
    let everyone = Segmentation::from_fn(index, "all", |_| Some("all customers"))?;
    let overall = segment_kpis(index, &everyone, &inputs)?;
    let measured: Vec<TierMeasurement> = tier_kpis
        .iter()
        .filter_map(|k| {
            let tier = match k.segment.as_str() {
                "smb" => SizeTier::Smb,
                "mid_market" | "mid-market" => SizeTier::MidMarket,
                "enterprise" => SizeTier::Enterprise,
                _ => return None,
            };
            Some(TierMeasurement::from_kpis(tier, k))
        })
        .collect();
    let flags = check_tier_economics(&TierEconomicsTable::default(), &measured);
    let mut kpis = Section::new("kpis", "10. KPIs per segment");
    kpis.add(Block::Table(
        kpi_table(&tier_kpis, "size tier").caption("By size tier, over the last 12 months"),
    ));
    kpis.add(Block::Table(
        kpi_table(&cluster_kpis, "cluster")
            .caption("By behavioural cluster, over the last 12 months"),
    ));
    let mut churn_bars = IntervalBars::proportions(
        &cluster_kpis,
        |k| k.logo_churn,
        "Logo churn over 12 months by cluster",
        "share of customers paying 12 months ago who stopped (95% Wilson interval)",
    );
    churn_bars.reference = overall
        .first()
        .and_then(|k| k.logo_churn)
        .map(|p| ("all customers".to_owned(), p.estimate));
    chart(
        &mut kpis,
        "kpi-churn",
        &churn_bars,
        "Bars whose intervals do not reach the orange line churn differently from the base.",
    )?;
    kpis.add(Block::Bullets(if flags.is_empty() {
        vec![
            "Every tier's ACV, CAC, LTV and sales cycle lie in the typical ranges of its tier."
                .to_owned(),
        ]
    } else {
        flags
            .iter()
            .map(|f| {
                let unit = |v: f64| match f.quantity {
                    "sales_cycle_days" => format!("{} days", group(v)),
                    _ => money(v).render(),
                };
                let name = match f.quantity {
                    "acv" => "ACV (annual contract value)",
                    "cac" => "CAC",
                    "ltv" => "LTV",
                    "sales_cycle_days" => "sales cycle",
                    other => other,
                };
                format!(
                    "{} {name}: measured {}, the typical range for the tier is {}.",
                    f.tier,
                    unit(f.measured),
                    match f.expected.max {
                        Some(max) => format!("{} to {}", unit(f.expected.min), unit(max)),
                        None => format!("{} or more", unit(f.expected.min)),
                    }
                )
            })
            .collect()
    }));
    println!(
        "10. KPIs: logo churn over 12 months {}; {} outside its tier's typical economics",
        overall
            .first()
            .and_then(|k| k.logo_churn)
            .map_or("-".into(), |p| format!("{:.1}%", p.estimate * 100.0)),
        match flags.len() {
            0 => "no measure".to_owned(),
            1 => "1 measure".to_owned(),
            n => format!("{n} measures"),
        }
    );
    report.push(kpis);

    // -----------------------------------------------------------------------------------------
    // 11. Churn risk and expansion.
    let entitlements = base.entitlements()?;
    let invite = "invite_team";
    let sources = SignalSources::new(base.activity())
        .tickets(base.tickets())
        .touches(base.touches())
        .mrr(base.mrr())
        .entitlements(&entitlements)
        .feature_plans(&FEATURE_PLANS)
        .invite(&invite);
    let signals = account_signals(&dense, &sources, &SignalParams::new(end))?;
    let health = health_scores(&signals, &HealthWeights::default())?;
    let bands = health_bands(&health, 80.0, 95.0)?;
    let decliners = planted.iter().position(|p| p.name == "at-risk decliners");
    let mut risk = Section::new("risk", "11. Churn risk and expansion");
    risk.text(
        "Health starts at 100 and loses points for each churn-risk signal (falling use, unanswered \
         outreach, rising problem tickets, contraction, unused seats); bands: healthy >= 95, \
         watch >= 80, at risk below.",
    );
    let mut band_rows = Vec::new();
    for (s, segment) in bands.segments().iter().enumerate() {
        let (mut count, mut at_stake, mut planted_decliners) = (0usize, 0.0, 0usize);
        for (id, band) in index.ids().zip(bands.labels()) {
            let paying = mrr_now.get(id).copied().unwrap_or(0.0);
            if *band == Some(s) && paying > 0.0 {
                count += 1;
                at_stake += paying;
                planted_decliners += usize::from(Some(base.truth()[id.index()]) == decliners);
            }
        }
        band_rows.push((
            segment.name().to_owned(),
            count,
            at_stake,
            planted_decliners,
        ));
    }
    let all_decliners: usize = band_rows.iter().map(|r| r.3).sum();
    risk.add(Block::Table(Table::new(
        vec![
            Column::text("health band").defined_by("health"),
            Column::number("paying customers"),
            Column::number("MRR").defined_by("mrr"),
            Column::number("planted at-risk decliners"),
            Column::number("share of the planted decliners"),
        ],
        band_rows
            .iter()
            .map(|(name, count, at_stake, planted_decliners)| {
                vec![
                    Cell::text(name.clone()),
                    Cell::number(*count as f64, 0),
                    money(*at_stake),
                    Cell::number(*planted_decliners as f64, 0),
                    Cell::percent(*planted_decliners as f64 / all_decliners.max(1) as f64, 0),
                ]
            })
            .collect(),
    )));
    // Health by what MRR did over the last three months.
    let mut mrr_at: BTreeMap<(u32, Date), f64> = BTreeMap::new();
    for r in base.mrr() {
        *mrr_at.entry((r.customer.get(), r.month)).or_default() += r.mrr;
    }
    let before = end_month.add_months(-3)?;
    let mut outcome: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (id, h) in health.iter() {
        let (Some(h), Some(&then)) = (h, mrr_at.get(&(id.get(), before))) else {
            continue;
        };
        if then <= 0.0 {
            continue;
        }
        let now = mrr_at.get(&(id.get(), end_month)).copied().unwrap_or(0.0);
        let label = if now <= 0.0 {
            "churned"
        } else if now < then * 0.95 {
            "contracted"
        } else if now > then * 1.05 {
            "expanded"
        } else {
            "steady"
        };
        outcome.entry(label).or_default().push(h.score);
    }
    let mut histogram = Histogram::new(
        "Health score by what MRR did over the last three months",
        "health score (100 = no churn-risk signal)",
        0.0,
        100.0,
        20,
    )?;
    for label in ["steady", "expanded", "contracted", "churned"] {
        if let Some(values) = outcome.get(label) {
            histogram = histogram.group(label, values.iter().copied())?;
        }
    }
    chart(
        &mut risk,
        "health-outcome",
        &histogram,
        "A useful score puts the churned and contracted accounts to the left of the steady ones. \
         The score is read over the same weeks as the outcome, so this shows agreement, not \
         prediction: a backtest scores accounts before the window in which they churn.",
    )?;
    let paying_only =
        PerCustomer::from_fn(index, |id| mrr_now.get(id).copied().filter(|m| *m > 0.0));
    let mut lists = Vec::new();
    for (title, by) in [
        (
            "Customer success: churn risk x MRR at stake",
            RankBy::ChurnRisk,
        ),
        ("Sales: expansion readiness x MRR", RankBy::Expansion),
    ] {
        let ranked = rank_accounts(&signals, &health, by, Some(&paying_only), 10)?;
        risk.add(Block::Table(
            Table::new(
                vec![
                    Column::text("account"),
                    Column::number("points").defined_by("points"),
                    Column::number("MRR").defined_by("mrr"),
                    Column::text("why"),
                ],
                ranked
                    .iter()
                    .map(|a| {
                        vec![
                            Cell::text(index.keys()[a.customer.index()].clone()),
                            Cell::number(a.points, 0),
                            Cell::opt(a.at_stake, money),
                            Cell::text(
                                a.reasons
                                    .iter()
                                    .take(2)
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            ),
                        ]
                    })
                    .collect(),
            )
            .caption(title),
        ));
        lists.push((title, ranked));
    }
    let at_risk_band = band_rows.iter().find(|r| r.0 == "at risk");
    println!(
        "11. Health: {} paying accounts at risk ({} MRR); {} of the {} planted decliners among them",
        group(at_risk_band.map_or(0, |r| r.1) as f64),
        money(at_risk_band.map_or(0.0, |r| r.2)).render(),
        group(at_risk_band.map_or(0, |r| r.3) as f64),
        group(all_decliners as f64)
    );
    for (title, ranked) in &lists {
        if let Some(a) = ranked.first() {
            println!(
                "    {title}: first {} ({})",
                index.keys()[a.customer.index()],
                a.reasons.first().map_or("", String::as_str)
            );
        }
    }
    report.push(risk);

    // -----------------------------------------------------------------------------------------
    // 12. The playbook.
    let mut plays = Section::new("playbook", "12. The playbook per segment");
    let check = playbook.check(&clusters);
    plays.text(format!(
        "A play per cluster, chosen from what sets the cluster apart. Complete for every \
         segment: {}.",
        if check.complete() { "yes" } else { "no" }
    ));
    plays.add(Block::Table(Table::new(
        vec![
            Column::text("segment"),
            Column::text("goal"),
            Column::text("owner"),
            Column::text("actions"),
            Column::text("channels"),
            Column::text("success metric"),
        ],
        playbook
            .plays()
            .iter()
            .map(|(segment, p)| {
                vec![
                    Cell::text(segment.clone()),
                    Cell::text(p.goal.clone()),
                    Cell::text(p.owner.as_ref().map_or("-", team_name)),
                    Cell::text(p.actions.join("; ")),
                    Cell::text(p.channels.join(", ")),
                    Cell::text(p.success_metric.clone()),
                ]
            })
            .collect(),
    )));
    println!(
        "12. Playbook: {} plays, complete: {}",
        playbook.plays().len(),
        check.complete()
    );
    report.push(plays);

    // -----------------------------------------------------------------------------------------
    // 13. An experiment inside the at-risk band (simulated outcomes, seeded).
    let at_risk_index = bands.segments().iter().position(|s| s.name() == "at risk");
    let mut rng = SeededRng::stream(seed, 41);
    let (mut control, mut treatment) = (Arm::new(0, 0), Arm::new(0, 0));
    for (id, band) in index.ids().zip(bands.labels()) {
        if *band != at_risk_index || at_risk_index.is_none() {
            continue;
        }
        if mrr_now.get(id).copied().unwrap_or(0.0) <= 0.0 {
            continue;
        }
        let treated = rng.bernoulli(0.5);
        let renewed = rng.bernoulli(if treated { 0.78 } else { 0.70 });
        let arm = if treated {
            &mut treatment
        } else {
            &mut control
        };
        arm.customers += 1;
        arm.successes += u64::from(renewed);
    }
    let mut experiment = Section::new(
        "experiment",
        "13. Experiment: a save offer in the at-risk band",
    );
    if control.customers > 0 && treatment.customers > 0 {
        let needed = sample_size_proportions(0.70, 0.78, 0.05, 0.8, 1.0)?;
        let split = sample_ratio_mismatch(
            &[control.customers, treatment.customers],
            &[1.0, 1.0],
            0.001,
        )?;
        let readout = compare_proportions(control, treatment, 0.05)?;
        experiment.text(format!(
            "Paying accounts of the at-risk band split at random; the renewals are simulated \
             (70% control, 78% with the offer) to show the readout. To see 70% -> 78% at 80% \
             power takes {} accounts per arm; the split check gives p = {:.2} ({}).",
            group(needed.ceil()),
            split.p_value,
            if split.mismatch {
                "broken split"
            } else {
                "fine"
            }
        ));
        experiment.add(Block::Figures(vec![
            KeyFigure::new("control renewed", Cell::percent(readout.control, 1)),
            KeyFigure::new("with the offer", Cell::percent(readout.treatment, 1)),
            KeyFigure::new(
                &format!(
                    "relative lift, 95% interval {:+.1}% to {:+.1}%",
                    readout.lift_lower * 100.0,
                    readout.lift_upper * 100.0
                ),
                Cell::text(format!("{:+.1}%", readout.relative_lift * 100.0)),
            )
            .defined_by("lift-interval"),
            KeyFigure::new(
                "p-value (two-proportion z test)",
                Cell::text(if readout.p_value < 0.0001 {
                    "< 0.0001".to_owned()
                } else {
                    format!("{:.4}", readout.p_value)
                }),
            ),
        ]));
        println!(
            "13. Experiment: renewals {:.1}% -> {:.1}% (n = {} / {}), p {}",
            readout.control * 100.0,
            readout.treatment * 100.0,
            group(control.customers as f64),
            group(treatment.customers as f64),
            saas_segmentation::charts::format_p(readout.p_value)
        );
    } else {
        experiment.text("No paying account is in the at-risk band, so there is nobody to test on.");
    }
    report.push(experiment);

    // -----------------------------------------------------------------------------------------
    // 14. Drift: time to re-segment?
    let month_values = |month: Date| -> Vec<f64> {
        base.mrr()
            .iter()
            .filter(|r| r.month == month && r.mrr > 0.0)
            .map(|r| r.mrr)
            .collect()
    };
    let (then, now) = (month_values(start), month_values(end_month));
    let psi = population_stability(&then, &now, &PsiParams::default())?;
    let ks = ks_2samp(&then, &now, Alternative::TwoSided)?;
    let decision = Resegment::new()
        .variable_shift("MRR", &psi, &ks)
        .review(end_month.days_since(start), 90)
        .trigger(Trigger::ProductChange {
            description: "usage-based add-on launched".into(),
        })
        .decide();
    let mut drift = Section::new("drift", "14. Drift: time to re-segment?");
    drift.add(Block::Figures(vec![
        KeyFigure::new("PSI of MRR, 6 months", Cell::number(psi.psi, 3)).defined_by("psi"),
        KeyFigure::new("KS statistic", Cell::number(ks.statistic, 3)).defined_by("ks"),
        KeyFigure::new(
            "re-segment?",
            Cell::text(if decision.resegment { "yes" } else { "no" }),
        ),
    ]));
    drift.add(Block::Bullets(
        decision
            .reasons
            .iter()
            .map(|r| format!("because {r}"))
            .chain(decision.stable.iter().map(|s| format!("stable: {s}")))
            .collect(),
    ));
    println!(
        "14. Drift: PSI of MRR {:.3}; re-segment: {}",
        psi.psi,
        if decision.resegment { "yes" } else { "no" }
    );
    report.push(drift);

    // -----------------------------------------------------------------------------------------
    // Write the report.
    let dir = target_dir().join("quickstart");
    let charts = dir.join("charts");
    let io = |e: std::io::Error| saas_segmentation::Error::Render {
        what: "report files".into(),
        reason: format!("{e} (writing under {})", dir.display()),
    };
    std::fs::create_dir_all(&charts).map_err(io)?;
    let html = dir.join("report.html");
    std::fs::write(&html, report.to_html()?).map_err(io)?;
    std::fs::write(
        dir.join("report.md"),
        report.to_markdown(|f| format!("charts/{}.svg", f.id))?,
    )
    .map_err(io)?;
    for f in report.figures() {
        std::fs::write(charts.join(format!("{}.svg", f.id)), &f.svg).map_err(io)?;
    }
    println!(
        "\nReport: {}\n        {} (Markdown, charts in {})\nDone in {:.1} s.",
        html.display(),
        dir.join("report.md").display(),
        charts.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `target/` of this checkout (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn group(value: f64) -> String {
    Cell::number(value, 0).render()
}

/// A play for a cluster, from the words of its name ("low activity_trend, high mrr").
fn play_for(name: &str) -> Play {
    let has = |w: &str| name.contains(w);
    // First match wins: saving accounts comes before growing them.
    let (goal, owner, actions, channels, metric): (&str, Team, &[&str], &[&str], &str) =
        if has("low activity_trend") || has("high support_tickets") {
            (
                "save the accounts whose use is falling before they contract or leave",
                Team::CustomerSuccess,
                &[
                    "CSM call within a week, led by the account's own usage drop",
                    "answer open problem tickets first",
                    "save offer at renewal",
                ],
                &["CSM call", "email"],
                "logo churn and contraction over the next two quarters",
            )
        } else if has("high employees") {
            (
                "protect strategic accounts and expand across departments",
                Team::Sales,
                &[
                    "executive business review each quarter",
                    "multi-department expansion plan",
                    "dedicated support line",
                ],
                &["account manager", "events"],
                "net revenue retention over four quarters",
            )
        } else if has("high logins") || has("high core_adoption") || has("high activity_trend") {
            (
                "turn heavy and growing use into seats and the next plan",
                Team::Sales,
                &[
                    "upgrade prompts at seat and usage limits",
                    "inside-sales offer for the next plan",
                    "invite-your-team campaign",
                ],
                &["in-app", "inside sales"],
                "expansion MRR per account",
            )
        } else if has("high mrr") {
            (
                "keep high-value accounts healthy with a named CSM",
                Team::CustomerSuccess,
                &["quarterly business reviews", "health alerts to the CSM"],
                &["CSM", "email"],
                "gross revenue retention",
            )
        } else if has("low logins") || has("low mrr") || has("low core_adoption") {
            (
                "reactivate at low cost to serve, or let go",
                Team::Marketing,
                &[
                    "automated re-engagement sequence",
                    "show the one workflow that brings them back",
                    "downgrade path instead of cancellation",
                ],
                &["email", "in-app"],
                "share active again within 60 days",
            )
        } else {
            (
                "deepen adoption of the core features",
                Team::Product,
                &[
                    "in-app guides to the unused core features",
                    "monthly product newsletter",
                ],
                &["in-app", "email"],
                "core-feature adoption after 90 days",
            )
        };
    Play {
        goal: goal.to_owned(),
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        success_metric: metric.to_owned(),
        owner: Some(owner),
        ..Play::default()
    }
}

fn team_name(team: &Team) -> &str {
    match team {
        Team::Product => "Product",
        Team::Marketing => "Marketing",
        Team::Sales => "Sales",
        Team::CustomerSuccess => "Customer success",
        Team::Support => "Support",
        Team::Other(name) => name,
    }
}

/// The KPI table of one segmentation.
fn kpi_table(kpis: &[SegmentKpis], what: &str) -> Table {
    Table::new(
        vec![
            Column::text(what),
            Column::number("customers"),
            Column::number("ARPA").defined_by("arpa"),
            Column::number("LTV").defined_by("ltv"),
            Column::number("NRR").defined_by("nrr"),
            Column::number("GRR").defined_by("grr"),
            Column::number("monthly churn").defined_by("logo-churn"),
        ],
        kpis.iter()
            .map(|k| {
                let nrr = k
                    .retention
                    .as_ref()
                    .and_then(|r| (r.start_mrr > 0.0).then(|| r.end_mrr / r.start_mrr));
                let grr = k
                    .retention
                    .as_ref()
                    .and_then(|r| (r.start_mrr > 0.0).then(|| r.capped_mrr / r.start_mrr));
                vec![
                    Cell::text(k.segment.clone()),
                    Cell::number(k.customers as f64, 0),
                    Cell::opt(k.arpa, money),
                    Cell::opt(k.ltv, money),
                    pct(nrr),
                    pct(grr),
                    Cell::opt(k.monthly_churn, |v| Cell::percent(v, 2)),
                ]
            })
            .collect(),
    )
}

/// The definitions every defined column and figure points at.
fn define_terms(report: &mut Report) {
    for (term, name, text) in [
        ("mrr", "MRR", "Monthly recurring revenue: the subscription revenue of a month, in USD, summed over a customer's subscriptions."),
        ("arpa", "ARPA", "Average revenue per account: MRR divided by the paying accounts."),
        ("coverage", "Coverage", "The share of customers whose merged profile has the variable."),
        ("aov", "Average order", "Net revenue of the segment's invoices (refunds netted) divided by their number."),
        ("recency", "Recency", "Days from a customer's last invoice to the analysis date."),
        ("median-survival", "Median months", "The months after which half of the tier's customers had churned (Kaplan-Meier); 'not reached' when more than half still pay."),
        ("nrr", "NRR", "Net revenue retention: MRR at the end of the window from the customers paying at its start (expansion included, new customers excluded), over their MRR at the start."),
        ("grr", "GRR", "Gross revenue retention: as NRR, but each customer's MRR capped at its starting MRR, so expansion cannot hide churn and contraction."),
        ("logo-churn", "Logo churn", "The share of customers paying at the start of a period who pay nothing at its end; monthly churn is the monthly rate equivalent to the window's churn."),
        ("ltv", "LTV", "Lifetime value. Per customer (quintiles): the MRR paid so far times an 80% gross margin. Per segment (KPIs): ARPA times 80% gross margin divided by the monthly churn."),
        ("lift", "Lift", "The share of the group with the trait divided by the share of the rest with it, with its 95% interval (statsmodels' risk ratio); a trait is kept when its lift and Holm-adjusted p-value pass."),
        ("health", "Health band", "Health = 100 minus the points of each churn-risk signal fired over the last 4 weeks against the 8 before: healthy >= 95, watch >= 80, at risk below 80."),
        ("lift-interval", "Relative lift", "(treatment - control) / control, with its 95% interval."),
        ("revenue-share", "Revenue share", "The segment's share of all revenue: net invoiced revenue for RFM segments, current MRR for clusters."),
        ("survival-12", "Still paying after 12 months", "Kaplan-Meier S(12): the share of the tier still paying 12 months after its first payment, customers who have not reached 12 months counted while they were observed."),
        ("points", "Points", "Churn-risk points (CS list) or expansion points (sales list) of the account's fired signals; the reasons give each signal's evidence and points, largest first. Lists are ordered by points times MRR."),
        ("ks", "KS statistic", "Two-sample Kolmogorov-Smirnov: the largest gap between the cumulative shares of the two MRR distributions (scipy's ks_2samp)."),
        ("psi", "PSI", "Population stability index between the MRR distributions six months apart: below 0.1 stable, 0.1-0.25 a shift worth watching, above 0.25 a real shift."),
    ] {
        report.define(Definition::new(term, name, text));
    }
}
