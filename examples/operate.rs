//! Operating segments on a synthetic base, as a team would after segmenting: describe the
//! segments, set a goal and read its progress, check the playbook, size and read an experiment
//! inside a segment, pick focus verticals, and ask whether it is time to re-segment.
//!
//! Run with `cargo run --release --example operate [customers] [seed]`.

use saas_segmentation::describe::describe_segments;
use saas_segmentation::drift::{ks_2samp, population_stability, PsiParams, Resegment, Trigger};
use saas_segmentation::economics::{segment_kpis, KpiInputs, MrrParams};
use saas_segmentation::experiment::{
    compare_proportions, sample_ratio_mismatch, sample_size_proportions, Arm,
};
use saas_segmentation::focus::{rank_focus, FocusParams};
use saas_segmentation::model::SizeTierBounds;
use saas_segmentation::playbook::{Goal, Kpi, Playbook};
use saas_segmentation::stats::Alternative;
use saas_segmentation::synthetic::{generate, SyntheticConfig};
use saas_segmentation::validate::{validate_segmentation, Criteria, ValidationInput, Variable};
use saas_segmentation::{PerCustomer, Period, Result, Segmentation};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let customers = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let base = generate(&SyntheticConfig::new(customers).seed(seed))?;
    let index = base.index();
    let profile = |id: saas_segmentation::CustomerId| base.profiles().get(id.index());
    let bounds = SizeTierBounds::default();
    let today = base.analysis_date();
    println!("A synthetic SaaS base of {customers} customers, analysed on {today}.\n");

    // 1. The segments, described in plain numbers.
    let by_tier = Segmentation::from_fn(index, "size tier", |id| {
        profile(id)?.firmographic.size_tier(&bounds).ok().flatten()
    })?;
    let mrr = PerCustomer::from_fn(index, |id| profile(id)?.value.mrr);
    let employees = PerCustomer::from_fn(index, |id| {
        profile(id)?.firmographic.employees.map(f64::from)
    });
    let plan = PerCustomer::from_fn(index, |id| Some(profile(id)?.value.plan_tier?.to_string()));
    let variables = [
        Variable::numeric("MRR (USD)", mrr.clone()),
        Variable::numeric("employees", employees),
        Variable::categorical("plan", plan),
    ];
    println!(
        "== Segments by size tier\n{}",
        describe_segments(&by_tier, &variables)?
    );

    // 2. A goal on churn, set three months ago from the quarter before, read today. The MRR
    // data runs to the month before the analysis date.
    let dense = index.dense();
    let end = Period::Month.start(today.add_days(-1)?);
    let (mid, start) = (end.add_months(-3)?, end.add_months(-6)?);
    let window = |from, to| KpiInputs::new().mrr(base.mrr(), MrrParams::new(today), from, to);
    let before = segment_kpis(&dense, &by_tier, &window(start, mid))?;
    let now = segment_kpis(&dense, &by_tier, &window(mid, end))?;
    let smb_churn = before
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
        .measured_by("monthly logo churn of paying SMB customers over the quarter")
        .segments(["smb"]);
        let review = goal.review(&now, end)?;
        println!(
            "== Goal: {} ({}), baseline {:.2}% a month on {mid}",
            goal.challenge,
            goal.measurement,
            churn * 100.0
        );
        for p in &review.progress {
            println!("  {}", p.summary);
        }
    }

    // 3. The playbook: the tier defaults, checked against the segments and read by the
    // validation report's "actionable" criterion.
    let playbook = Playbook::tier_defaults();
    let check = playbook.check(&by_tier);
    let strategies = playbook.strategies();
    let report = validate_segmentation(
        &by_tier,
        &ValidationInput {
            revenue: Some(&mrr),
            strategies: Some(&strategies),
            ..ValidationInput::default()
        },
        &Criteria::default(),
    )?;
    println!(
        "\n== Playbook: {} plays, complete for every segment: {}; actionable segments: {} of {}",
        playbook.plays().len(),
        check.complete(),
        report
            .segments
            .iter()
            .filter(|s| s.actionable.passed())
            .count(),
        report.segments.len()
    );
    for (tier, play) in playbook.plays() {
        let owner = play
            .owner
            .as_ref()
            .map_or("-".to_owned(), |t| format!("{t:?}"));
        println!("  {tier:<11} {} (owner: {owner})", play.goal);
    }

    // 4. An experiment inside SMB: size it, then read it.
    let n = sample_size_proportions(0.10, 0.12, 0.05, 0.8, 1.0)?;
    println!("\n== Experiment in SMB: onboarding checklist vs control");
    println!(
        "  to see 10% -> 12% trial conversion at 80% power: {:.0} trials per arm",
        n.ceil()
    );
    let split = sample_ratio_mismatch(&[3_841, 3_902], &[1.0, 1.0], 0.001)?;
    let readout = compare_proportions(Arm::new(384, 3_841), Arm::new(469, 3_902), 0.05)?;
    println!(
        "  split check p = {:.2} ({}); conversion {:.1}% -> {:.1}%, lift {:+.1}% [{:+.1}%, {:+.1}%], p = {:.4}",
        split.p_value,
        if split.mismatch { "broken" } else { "fine" },
        readout.control * 100.0,
        readout.treatment * 100.0,
        readout.relative_lift * 100.0,
        readout.lift_lower * 100.0,
        readout.lift_upper * 100.0,
        readout.p_value
    );

    // 5. Focus verticals.
    let by_industry = Segmentation::from_fn(index, "industry", |id| {
        profile(id)?.firmographic.industry.map(|i| i.to_string())
    })?;
    let industry_kpis = segment_kpis(&dense, &by_industry, &window(start, end))?;
    let ranking = rank_focus(&industry_kpis, &FocusParams::default())?;
    println!("\n== Focus verticals");
    for row in ranking.rows.iter().take(6) {
        println!("  {:<20} {}", row.key, row.reason);
    }

    // 6. Time to re-segment? MRR now against six months ago.
    let month_values = |month| -> Vec<f64> {
        base.mrr()
            .iter()
            .filter(|r| r.month == month && r.mrr > 0.0)
            .map(|r| r.mrr)
            .collect()
    };
    let (before, now) = (month_values(start), month_values(end));
    let psi = population_stability(&before, &now, &PsiParams::default())?;
    let ks = ks_2samp(&before, &now, Alternative::TwoSided)?;
    let decision = Resegment::new()
        .variable_shift("MRR", &psi, &ks)
        .review(end.days_since(start), 90)
        .trigger(Trigger::ProductChange {
            description: "usage-based add-on launched".into(),
        })
        .decide();
    println!(
        "\n== Re-segment? {}",
        if decision.resegment { "yes" } else { "no" }
    );
    for reason in &decision.reasons {
        println!("  because {reason}");
    }
    for stable in &decision.stable {
        println!("  stable: {stable}");
    }
    Ok(())
}
