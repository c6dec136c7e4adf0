//! The main job end to end on a synthetic customer base:
//! source records -> merged profiles -> behaviour from activity -> rule segments -> RFM
//! segments -> features -> churn-risk and expansion signals, health bands and the accounts
//! CS and sales should call first -> a printed report.
//!
//! Run with `cargo run --release --example quickstart [customers] [seed]`.

use std::collections::BTreeMap;
use std::time::Instant;

use saas_segmentation::activity::{derive_behaviour, BehaviourConfig};
use saas_segmentation::features::{FeatureMatrix, ScalerKind};
use saas_segmentation::model::{Industry, SizeTier, UsageTier};
use saas_segmentation::profile::{CustomerProfile, ProfileBuilder};
use saas_segmentation::propensity::{
    account_signals, health_bands, health_scores, rank_accounts, HealthWeights, RankBy,
    SignalParams, SignalSources,
};
use saas_segmentation::rfm::{
    segment_summary, RfmParams, RfmScores, RfmSegmentTable, RfmTable, ScoreParams,
};
use saas_segmentation::rules::{Condition, MatchMode, Rule, RuleSet};
use saas_segmentation::synthetic::{
    generate, SyntheticConfig, CORE_FEATURES, FEATURE_PLANS, KEY_WORKFLOWS,
};
use saas_segmentation::{Date, PerCustomer, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let customers = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);

    let started = Instant::now();
    let base = generate(&SyntheticConfig::new(customers).seed(seed))?;
    println!(
        "synthetic base: {} customers, {} transactions, {} activity events, {} MRR rows, {} leads ({:.2?})",
        base.profiles().len(),
        base.transactions().len(),
        base.activity().len(),
        base.mrr().len(),
        base.leads().len(),
        started.elapsed()
    );

    // 1. Merge the partial records of CRM, billing, support and product analytics.
    let started = Instant::now();
    let records = base.source_records();
    let split = started.elapsed();
    let mut profiles = ProfileBuilder::new().records(records).build()?;
    println!(
        "\nmerged {} profiles from 4 sources; {} conflicts, e.g. {}",
        profiles.len(),
        profiles.conflicts().len(),
        profiles
            .conflicts()
            .first()
            .map(|c| format!(
                "{} of {}: kept {} from {} ({}), overruled {} from {} ({})",
                c.field,
                profiles.index().key(c.customer).map_or("?", |k| k.as_str()),
                c.kept.value,
                c.kept.source,
                c.kept.observed,
                c.overruled.value,
                c.overruled.source,
                c.overruled.observed
            ))
            .unwrap_or_else(|| "none".to_owned())
    );

    println!(
        "split into source records: {split:.2?}, merge: {:.2?}",
        started.elapsed() - split
    );

    // 2. Behaviour over the last 90 days of activity.
    let started = Instant::now();
    let end = base.analysis_date().add_days(-1)?;
    let window = BehaviourConfig::new(end.add_days(-89)?, end)?
        .core_features(CORE_FEATURES.to_vec())
        .key_workflows(KEY_WORKFLOWS.to_vec());
    // The activity log carries the base index's dense ids; the merged profiles are checked to
    // be the same customers before the behaviour is written into them.
    let behaviour = derive_behaviour(&base.index().dense(), base.activity(), &window)?;
    profiles.apply_behaviour(&behaviour)?;
    println!(
        "behaviour from {} events: {:.2?}",
        base.activity().len(),
        started.elapsed()
    );

    // 3. Rule segments: size tier x usage.
    let rules = RuleSet::new(vec![
        Rule::new(
            "enterprise",
            Condition::SizeTier(vec![SizeTier::Enterprise]),
        ),
        Rule::new(
            "engaged mid-market",
            Condition::all([
                Condition::SizeTier(vec![SizeTier::MidMarket]),
                Condition::UsageTier(vec![UsageTier::Power, UsageTier::Regular]),
            ]),
        ),
        Rule::new(
            "regulated mid-market",
            Condition::all([
                Condition::SizeTier(vec![SizeTier::MidMarket]),
                Condition::Industry(vec![Industry::Healthcare, Industry::FinancialServices]),
            ]),
        ),
        Rule::new(
            "active smb",
            Condition::all([
                Condition::SizeTier(vec![SizeTier::Smb]),
                Condition::not(Condition::UsageTier(vec![UsageTier::Dormant])),
            ]),
        ),
        Rule::new("dormant", Condition::UsageTier(vec![UsageTier::Dormant])),
    ])?
    .mode(MatchMode::FirstMatch);
    let result = rules.apply(&profiles)?;
    let segmentation = result.segmentation();
    let report = result.report();

    println!(
        "\n{:<22} {:>8} {:>7} {:>11} {:>10}  definition",
        "segment", "customers", "share", "mean MRR", "logins/wk"
    );
    let sizes = segmentation.sizes();
    for (s, descriptor) in segmentation.segments().iter().enumerate() {
        let members = segmentation.members(s);
        let mean = |f: &dyn Fn(&CustomerProfile) -> Option<f64>| {
            let values: Vec<f64> = members
                .iter()
                .filter_map(|id| profiles.get(*id).and_then(f))
                .collect();
            values.iter().sum::<f64>() / values.len().max(1) as f64
        };
        println!(
            "{:<22} {:>8} {:>6.1}% {:>11.0} {:>10.2}  {}",
            descriptor.name(),
            sizes[s],
            100.0 * sizes[s] as f64 / segmentation.len() as f64,
            mean(&|p| p.value.mrr),
            mean(&|p| p.behaviour.logins_per_week),
            match descriptor.definition() {
                saas_segmentation::SegmentDefinition::Rule { description } => description.as_str(),
                _ => "",
            }
        );
    }
    println!(
        "unassigned: {} matched no rule, {} undecidable for missing data; {} customers matched several rules (first match kept)",
        report.unmatched().len(),
        report.undetermined().len(),
        report.overlaps().len()
    );

    // 4. How the rule segments line up with the planted truth.
    let mut crosstab: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for (customer, truth) in base.index().ids().zip(base.truth()) {
        let key = &base.index().keys()[customer.index()];
        let rule = segmentation
            .segment_of_key(profiles.index(), key.as_str())?
            .map_or("(none)", |l| segmentation.segments()[l].name());
        let planted = &base.planted()[*truth].name;
        *crosstab.entry((planted.clone(), rule)).or_default() += 1;
    }
    println!("\nplanted segment -> rule segment (top match)");
    for planted in base.planted() {
        let best = crosstab
            .iter()
            .filter(|((p, _), _)| *p == planted.name)
            .max_by_key(|(_, count)| **count);
        if let Some(((_, rule), count)) = best {
            let total: usize = crosstab
                .iter()
                .filter(|((p, _), _)| *p == planted.name)
                .map(|(_, c)| c)
                .sum();
            println!(
                "  {:<24} -> {:<22} {:>5.1}%",
                planted.name,
                rule,
                100.0 * *count as f64 / total as f64
            );
        }
    }

    // 5. RFM: behaviour-and-value segments from the invoices (refunds netted).
    let started = Instant::now();
    let table = RfmTable::from_interned(
        base.transactions(),
        base.index(),
        &RfmParams::new(base.analysis_date()),
    )?;
    let scores = RfmScores::new(&table, &ScoreParams::default())?;
    let rfm_segments = RfmSegmentTable::default_table().apply(&scores)?;
    println!(
        "\nRFM over {} invoices and refunds ({:.2?}): {} customers scored, {} refunds netted ({:.0})",
        base.transactions().len(),
        started.elapsed(),
        table.len(),
        table.report().refunds_netted,
        table.report().refund_amount_netted
    );
    println!(
        "{:<20} {:>9} {:>8} {:>9} {:>9} {:>11}",
        "segment", "customers", "revenue", "AOV", "med. R", "med. M"
    );
    for row in segment_summary(&table, &rfm_segments)? {
        if row.customers == 0 {
            continue;
        }
        println!(
            "{:<20} {:>9} {:>7.1}% {:>9.0} {:>8.0}d {:>11.0}",
            row.name,
            row.customers,
            100.0 * row.revenue_share.unwrap_or(0.0),
            row.average_order_value.unwrap_or(0.0),
            row.median_recency.unwrap_or(0.0),
            row.median_monetary.unwrap_or(0.0)
        );
    }

    // 6. The feature matrix clustering would take.
    let started = Instant::now();
    let today: Date = base.analysis_date();
    let matrix = FeatureMatrix::builder()
        .log1p("mrr", |p: &CustomerProfile| p.value.mrr)
        .column("employees", |p: &CustomerProfile| p.firmographic.employees)
        .column("logins_per_week", |p: &CustomerProfile| {
            p.behaviour.logins_per_week
        })
        .column("core_adoption", |p: &CustomerProfile| {
            p.behaviour.core_feature_adoption
        })
        .column("activity_trend", |p: &CustomerProfile| {
            p.behaviour.activity_trend
        })
        .column("tenure_days", move |p: &CustomerProfile| {
            p.value.customer_since.map(|d| today.days_since(d) as f64)
        })
        .column("support_tickets", |p: &CustomerProfile| {
            p.needs.support_tickets
        })
        .categorical("industry", |p: &CustomerProfile| p.firmographic.industry)
        .scaler(ScalerKind::Standard)
        .build_over(&profiles, profiles.profiles())?;
    println!(
        "\nfeature matrix: {} x {} ({:.2?}); columns: {}",
        matrix.view().nrows(),
        matrix.view().ncols(),
        started.elapsed(),
        matrix.names()[..7].join(", ")
    );
    for diagnostic in matrix.diagnostics() {
        println!("  note: {diagnostic}");
    }

    // 7. Churn risk and expansion: signals with evidence, health bands, lists for CS and sales.
    let started = Instant::now();
    let ids = base.index().dense();
    let entitlements = base.entitlements()?;
    let invite = "invite_team";
    let sources = SignalSources::new(base.activity())
        .tickets(base.tickets())
        .touches(base.touches())
        .mrr(base.mrr())
        .entitlements(&entitlements)
        .feature_plans(&FEATURE_PLANS)
        .invite(&invite);
    let signals = account_signals(&ids, &sources, &SignalParams::new(today.add_days(-1)?))?;
    let health = health_scores(&signals, &HealthWeights::default())?;
    let bands = health_bands(&health, 80.0, 95.0)?;
    println!(
        "\nhealth from activity, {} tickets, {} touches, MRR and seats ({:.2?})",
        base.tickets().len(),
        base.touches().len(),
        started.elapsed()
    );
    let mrr_now = PerCustomer::complete(
        base.index(),
        base.profiles()
            .iter()
            .map(|p| p.value.mrr.unwrap_or(0.0))
            .collect(),
    )?;
    let decliners = base
        .planted()
        .iter()
        .position(|p| p.name == "at-risk decliners");
    println!(
        "{:<10} {:>9} {:>12} {:>22}",
        "band", "paying", "MRR", "planted decliners"
    );
    for (s, segment) in bands.segments().iter().enumerate() {
        let (mut count, mut mrr, mut planted) = (0, 0.0, 0);
        for (id, band) in base.index().ids().zip(bands.labels()) {
            let paying = mrr_now.get(id).copied().unwrap_or(0.0);
            if *band == Some(s) && paying > 0.0 {
                count += 1;
                mrr += paying;
                planted += usize::from(Some(base.truth()[id.index()]) == decliners);
            }
        }
        println!(
            "{:<10} {count:>9} {mrr:>12.0} {planted:>22}",
            segment.name()
        );
    }
    let paying_only = PerCustomer::from_fn(base.index(), |id| {
        mrr_now.get(id).copied().filter(|m| *m > 0.0)
    });
    for (title, by) in [
        ("CS: churn risk x MRR at stake", RankBy::ChurnRisk),
        ("sales: expansion x MRR", RankBy::Expansion),
    ] {
        println!("\n{title}, top 3");
        for account in rank_accounts(&signals, &health, by, Some(&paying_only), 3)? {
            println!(
                "  {} ({:.0} points, MRR {:.0})",
                base.index().keys()[account.customer.index()],
                account.points,
                account.at_stake.unwrap_or(0.0)
            );
            for reason in account.reasons.iter().take(3) {
                println!("    - {reason}");
            }
        }
    }
    Ok(())
}
