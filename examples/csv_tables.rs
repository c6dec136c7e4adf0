//! A multi-table B2B SaaS export read from CSV (accounts, subscription intervals, invoices and
//! product events, as `tests/fixtures/tables/` ships them), run through the crate, and the
//! segment of every account written back as tags a CRM can import.
//!
//! Run with `cargo run --release --example csv_tables`; the tags land in
//! `target/rfm_tags.csv`.

use std::path::Path;

use saas_segmentation::activity::ActivityEvent;
use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
use saas_segmentation::economics::{
    monthly_mrr, MrrMovements, MrrParams, SnapshotRule, Subscription,
};
use saas_segmentation::export::{export_tags, ExportParams};
use saas_segmentation::lenient::serde_cells::option_bool;
use saas_segmentation::lenient::EventNames;
use saas_segmentation::records::{BadRows, Transaction};
use saas_segmentation::rfm::{RfmParams, RfmScores, RfmSegmentTable, RfmTable, ScoreParams};
use saas_segmentation::survival::{
    compare_segments, KaplanMeierParams, LifetimeParams, SurvivalData, Weighting,
};
use saas_segmentation::{CustomerIndex, Date, PerCustomer, Period, Segmentation};
use serde::de::DeserializeOwned;

#[derive(serde::Deserialize)]
struct Account {
    account_id: String,
    industry: String,
    plan: String,
    channel: String,
    signup_date: Date,
    employees: Option<u32>,
    #[serde(deserialize_with = "option_bool")]
    champion: Option<bool>,
}

#[derive(serde::Deserialize)]
struct SubscriptionRow {
    account_id: String,
    start: Date,
    end: Option<Date>,
    mrr: f64,
}

#[derive(serde::Deserialize)]
struct Invoice {
    account_id: String,
    date: Date,
    amount: f64,
}

#[derive(serde::Deserialize)]
struct Event {
    account_id: String,
    date: Date,
    event: String,
}

fn read<T: DeserializeOwned>(name: &str) -> Result<Vec<T>, Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tables")
        .join(name);
    let mut rows = Vec::new();
    for row in csv::Reader::from_path(&path)?.deserialize() {
        rows.push(row.map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok(rows)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analysis: Date = "2024-12-31".parse()?;
    let accounts: Vec<Account> = read("accounts.csv")?;
    let subscriptions: Vec<SubscriptionRow> = read("subscriptions.csv")?;
    let invoices: Vec<Invoice> = read("invoices.csv")?;
    let events: Vec<Event> = read("events.csv")?;
    println!(
        "read {} accounts, {} subscriptions, {} invoices, {} events",
        accounts.len(),
        subscriptions.len(),
        invoices.len(),
        events.len()
    );

    // Events by name: logins, key workflows, the rest features.
    let names = EventNames::default().workflows(["invite_team"]);
    let (mut logins, mut workflows, mut features) = (0, 0, 0);
    for e in &events {
        match names.event(&e.event) {
            ActivityEvent::Login => logins += 1,
            ActivityEvent::Workflow(_) => workflows += 1,
            ActivityEvent::Feature(_) => features += 1,
        }
    }
    println!("events: {logins} logins, {workflows} key workflows, {features} feature uses");

    // One customer axis for every table.
    let index = CustomerIndex::sorted_from_keys(accounts.iter().map(|a| a.account_id.clone()))?;
    let column = |f: fn(&Account) -> Option<String>| {
        PerCustomer::from_keyed(
            &index,
            accounts
                .iter()
                .filter_map(|a| f(a).map(|v| (a.account_id.clone(), v))),
        )
    };
    let plans = Segmentation::from_categories("plan", &column(|a| Some(a.plan.clone()))?)?;
    let champions = accounts.iter().filter(|a| a.champion == Some(true)).count();
    let unknown = accounts.iter().filter(|a| a.champion.is_none()).count();
    let big = accounts
        .iter()
        .filter(|a| a.employees.is_some_and(|e| e >= 2_000))
        .count();
    println!(
        "{champions} accounts with a champion, {unknown} unknown; {big} enterprise-size; industries: {}",
        column(|a| Some(a.industry.clone()))?.values().iter().flatten().collect::<std::collections::BTreeSet<_>>().len()
    );

    // Subscription intervals to monthly MRR, then the MRR bridge and NRR by month.
    let intervals: Vec<Subscription<String>> = subscriptions
        .iter()
        .map(|s| Subscription::new(s.account_id.clone(), s.start, s.end, s.mrr))
        .collect();
    let mrr = monthly_mrr(&intervals, SnapshotRule::MonthStart, analysis)?;
    let movements = MrrMovements::compute(&index, &mrr, &MrrParams::new(analysis))?;
    println!("\nmonth      start MRR   new   churn   NRR     GRR");
    for m in movements.months().iter().rev().take(6).rev() {
        println!(
            "{}  {:>9.0} {:>5.0} {:>7.0}  {:>5.1}%  {:>5.1}%",
            Period::Month.label(m.month),
            m.start_mrr,
            m.new,
            m.churn,
            m.nrr().unwrap_or(f64::NAN) * 100.0,
            m.grr().unwrap_or(f64::NAN) * 100.0
        );
    }

    // RFM from the invoices.
    let tx: Vec<Transaction<String>> = invoices
        .iter()
        .map(|i| Transaction::new(i.account_id.clone(), i.date, i.amount))
        .collect();
    let table = RfmTable::from_transactions_in(&tx, &index, &RfmParams::new(analysis))?;
    let rfm = RfmScores::new(&table, &ScoreParams::default())?
        .segmentation(&RfmSegmentTable::default_table())?;
    println!("\nRFM segments:");
    for (d, size) in rfm.segments().iter().zip(rfm.sizes()) {
        println!("  {:<20} {size}", d.name());
    }

    // Cohorts by signup month and by channel, retention from product events.
    let signups: Vec<(String, Date)> = accounts
        .iter()
        .map(|a| (a.account_id.clone(), a.signup_date))
        .collect();
    let activity: Vec<(String, Date)> = events
        .iter()
        .map(|e| (e.account_id.clone(), e.date))
        .collect();
    let params = RetentionParams::new(analysis).before_signup(BadRows::Drop);
    let monthly = RetentionMatrix::compute(
        &index,
        &Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month))?,
        &activity,
        &params,
    )?;
    let average = monthly.average();
    println!(
        "\nlogo retention by signup month, averaged over cohorts: month 1 {:.0}%, month 3 {:.0}%, month 6 {:.0}%",
        average.get(1).copied().flatten().unwrap_or(f64::NAN) * 100.0,
        average.get(3).copied().flatten().unwrap_or(f64::NAN) * 100.0,
        average.get(6).copied().flatten().unwrap_or(f64::NAN) * 100.0
    );
    let by_channel = Cohorts::by_key(&index, &signups, |id, _| {
        index
            .key(id)
            .and_then(|k| accounts.iter().find(|a| &a.account_id == k))
            .map(|a| a.channel.clone())
    })?;
    let channel = RetentionMatrix::compute(
        &index,
        &by_channel,
        &activity,
        &params
            .clone()
            .windows(saas_segmentation::cohort::Windows::Rolling { days: 90 }),
    )?;
    for (c, label) in channel.labels().iter().enumerate() {
        println!(
            "  {label:<9} 90-day windows: retained in the second {:.0}%",
            channel.rate(c, 1).unwrap_or(f64::NAN) * 100.0
        );
    }

    // Kaplan-Meier by plan with a log-rank test, from the monthly MRR.
    let lifetimes = SurvivalData::from_mrr(&index, &mrr, &LifetimeParams::new(analysis))?;
    let survival = compare_segments(
        &lifetimes,
        &plans,
        &KaplanMeierParams::new(),
        Weighting::LogRank,
    )?;
    println!(
        "\nmedian paid months by plan (log-rank p = {:.3}):",
        survival.test.p_value
    );
    for (name, curve) in survival.names.iter().zip(&survival.curves) {
        println!("  {name:<9} {:>6.1}", curve.median());
    }

    // The RFM segment of every account back to the CRM.
    let export = export_tags(
        &rfm,
        &index,
        &ExportParams::new("rfm", "2024-12", analysis)
            .min_segment_size(5)
            .include_unassigned(true),
    )?;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/rfm_tags.csv");
    let mut writer = csv::Writer::from_path(&out)?;
    for tag in &export.tags {
        writer.serialize(tag)?;
    }
    writer.flush()?;
    println!("\nwrote {} tags to {}", export.tags.len(), out.display());
    Ok(())
}
