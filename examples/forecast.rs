//! Expected future value and churn drivers on a synthetic customer base:
//! one-off add-on purchases -> BTYD summary -> BG/NBD + Gamma-Gamma -> 12-month CLV ->
//! predicted-CLV quintiles and P(alive) bands; subscriptions (MRR) -> a cohort's survivors ->
//! sBG projection; lifetimes + profile covariates -> a Cox model of churn.
//!
//! BG/NBD and Gamma-Gamma model non-contractual purchases (add-ons, credits, services): on
//! monthly subscription invoices they have no interior optimum, and the example shows the
//! typed error that says so. Subscriptions are what the sBG and Cox models are for.
//!
//! Run with `cargo run --release --example forecast [customers] [seed]`.

use saas_segmentation::clv::{
    customer_lifetime_value, p_alive_bands, per_customer, BetaGeo, BetaGeoOptions, ClvParams,
    Contract, ContractualFit, GammaGamma, GammaGammaOptions, Histories, TransactionModel,
};
use saas_segmentation::economics::ValueQuantiles;
use saas_segmentation::model::AcquisitionChannel;
use saas_segmentation::random::SeededRng;
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{BtydParams, BtydPeriod, BtydSummary};
use saas_segmentation::survival::{CoxModel, CoxParams, LifetimeParams, SurvivalData};
use saas_segmentation::synthetic::{generate, SyntheticConfig};
use saas_segmentation::{PerCustomer, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let customers = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let base = generate(&SyntheticConfig::new(customers).seed(seed))?;
    let index = base.index();
    let ids = index.dense();
    let end = base.analysis_date();
    println!(
        "synthetic base: {} customers, {} transactions, analysis date {end}",
        index.len(),
        base.transactions().len()
    );

    // 0. Subscription invoices are contractual: BG/NBD finds no interior optimum on them.
    let invoices = BtydSummary::from_transactions(
        base.transactions(),
        &BtydParams::new(end).period(BtydPeriod::Week),
    )?;
    match BetaGeo::fit(&Histories::of(&invoices)?, BetaGeoOptions::new()) {
        Ok(m) => println!("BG/NBD on invoices converged: {:?}", m.params()),
        Err(e) => println!("BG/NBD on monthly invoices: {e}"),
    }

    // 1. One-off add-on purchases (simulated per customer: a purchase rate, a chance of
    //    losing interest after each purchase, a typical basket), summarized in weeks.
    let mut rng = SeededRng::stream(seed, 19);
    let mut addons = Vec::new();
    for id in ids.ids() {
        if !rng.bernoulli(0.6) {
            continue;
        }
        let first = rng.below(700) as i64;
        let weekly_rate = rng.lognormal(-2.0, 0.9);
        let drop = rng.range(0.05, 0.6);
        let basket = rng.lognormal(4.0, 0.6);
        let mut day = first;
        loop {
            let date = end.add_days(day - 730)?;
            if date > end {
                break;
            }
            addons.push(Transaction::new(
                id,
                date,
                (basket * rng.lognormal(0.0, 0.3)).round(),
            ));
            if rng.bernoulli(drop) {
                break;
            }
            day += 1 + (7.0 * rng.exponential(1.0 / weekly_rate)) as i64;
        }
    }
    println!("{} add-on purchases simulated", addons.len());
    let summary =
        BtydSummary::from_transactions(&addons, &BtydParams::new(end).period(BtydPeriod::Week))?;
    let histories = Histories::of(&summary)?;
    let purchases = BetaGeo::fit(&histories, BetaGeoOptions::new())?;
    let spend = GammaGamma::fit(
        summary.frequency(),
        summary.monetary(),
        GammaGammaOptions::new().skip_non_positive(true),
    )?;
    println!(
        "\nBG/NBD on {} add-on buyers ({} iterations, converged: {}):",
        purchases.customers(),
        purchases.convergence().iterations,
        purchases.convergence().converged
    );
    for e in purchases.estimates() {
        println!(
            "  {:<6} {:>10.4}  se {:>8.4}",
            e.name,
            e.value,
            e.standard_error.unwrap_or(f64::NAN)
        );
    }
    println!(
        "Gamma-Gamma on {} returning customers ({} without a repeat purchase and {} with refunds \
         netting to <= 0 left out); corr(frequency, spend) = {:.3}",
        spend.customers(),
        spend.left_out(),
        spend.non_positive_left_out(),
        spend.frequency_value_correlation().unwrap_or(f64::NAN)
    );
    for e in spend.estimates() {
        println!(
            "  {:<6} {:>10.4}  se {:>8.4}",
            e.name,
            e.value,
            e.standard_error.unwrap_or(f64::NAN)
        );
    }

    // 2. Per customer: P(alive), purchases expected next quarter, 12-month CLV at 1%/month.
    let alive = purchases.params().p_alive_all(&histories)?;
    let next_13_weeks = purchases
        .params()
        .conditional_expected_all(13.0, &histories)?;
    let clv = customer_lifetime_value(
        purchases.params(),
        spend.params(),
        &histories,
        summary.monetary(),
        &ClvParams::new(12).periods_per_month(4.345).margin(0.8),
    )?;
    let clv_column = per_customer(&summary, &ids, &clv)?;
    let alive_column = per_customer(&summary, &ids, &alive)?;

    // 3. Segments every consumer takes: predicted-CLV quintiles and P(alive) bands.
    let quintiles = ValueQuantiles::new(index, &clv_column, 5)?;
    println!("\npredicted 12-month CLV (80% margin) quintiles:");
    println!(
        "  {:<20} {:>8} {:>12} {:>12} {:>10}",
        "group", "size", "min", "max", "CLV share"
    );
    for g in quintiles.groups() {
        println!(
            "  {:<20} {:>8} {:>12.2} {:>12.2} {:>9.1}%",
            g.name,
            g.customers,
            g.min,
            g.max,
            100.0 * g.value_share
        );
    }
    let bands = p_alive_bands(&alive_column, &[0.3, 0.7])?;
    println!("\nP(alive) bands:");
    for (segment, size) in bands.segments().iter().zip(bands.sizes()) {
        println!("  {:<22} {size:>8}", segment.name());
    }
    let mut order: Vec<usize> = (0..clv.len()).collect();
    order.sort_by(|&a, &b| clv[b].total_cmp(&clv[a]));
    println!("\nhighest predicted CLV:");
    println!(
        "  {:<14} {:>4} {:>8} {:>6} {:>8} {:>10} {:>10}",
        "customer", "x", "t_x", "T", "P(alive)", "E[13 wk]", "CLV"
    );
    for &i in order.iter().take(5) {
        let key = index.key(summary.keys()[i]).map_or("?", String::as_str);
        println!(
            "  {key:<14} {:>4} {:>8.1} {:>6.1} {:>8.3} {:>10.2} {:>10.2}",
            summary.frequency()[i],
            summary.recency()[i],
            summary.age()[i],
            alive[i],
            next_13_weeks[i],
            clv[i]
        );
    }

    // 4. Contractual retention: the first month's subscribers, month by month, under the sBG.
    // The last month with MRR is the one before the analysis date.
    let last_month = end.add_days(-1)?;
    let lifetimes = SurvivalData::from_mrr(&ids, base.mrr(), &LifetimeParams::new(last_month))?;
    let first_month = base.mrr().iter().map(|r| r.month).min();
    let mut starts = vec![None; index.len()];
    for r in base.mrr() {
        let slot = &mut starts[r.customer.index()];
        if r.mrr > 0.0 && slot.is_none_or(|m| r.month < m) {
            *slot = Some(r.month);
        }
    }
    let cohort: Vec<f64> = lifetimes
        .customers()
        .iter()
        .zip(lifetimes.durations())
        .filter(|(c, _)| starts[c.index()] == first_month)
        .map(|(_, d)| *d)
        .collect();
    if let Some(horizon) = cohort.iter().copied().reduce(f64::max) {
        let horizon = horizon as usize;
        // Survivors after t months are observable up to the last full month of data.
        let seen: Vec<u64> = (0..horizon)
            .map(|t| cohort.iter().filter(|d| **d > t as f64).count() as u64)
            .collect();
        // Fit on the first year, hold the rest out to judge the projection.
        let alive_counts = &seen[..seen.len().min(13)];
        let sbg = ContractualFit::fit(alive_counts, Contract::ShiftedBetaGeometric)?;
        let bdw = ContractualFit::fit(alive_counts, Contract::BetaDiscreteWeibull)?;
        let (p, w) = (sbg.params(), bdw.params());
        println!(
            "\nthe first monthly cohort: {} subscribers, fitted on months 1-{} of {}",
            alive_counts[0],
            alive_counts.len() - 1,
            seen.len() - 1
        );
        println!(
            "  sBG alpha {:.3} beta {:.3} (log-likelihood {:.1}); beta-discrete-Weibull alpha \
             {:.3} beta {:.3} c {:.3} ({:.1})",
            p.alpha,
            p.beta,
            sbg.log_likelihood(),
            w.alpha,
            w.beta,
            w.c,
            bdw.log_likelihood()
        );
        let (a, b) = (sbg.projected_alive(36)?, bdw.projected_alive(36)?);
        println!("  month   seen     sBG     BdW  sBG retention");
        for t in [1usize, 3, 6, 12, 18, 23, 36] {
            let seen = seen.get(t).map_or("-".to_owned(), u64::to_string);
            println!(
                "  {t:>5} {seen:>6} {:>7.1} {:>7.1} {:>14.3}",
                a[t],
                b[t],
                p.retention_rate(t as u32)?
            );
        }
        println!(
            "  expected discounted future payments of a new subscriber at 1%/month: sBG {:.1}, \
             BdW {:.1}",
            p.discounted_residual_lifetime(0.01, 0)?,
            w.discounted_residual_lifetime(0.01, 0)?
        );
    }

    // 5. What drives churn: Cox on company size, support load, email engagement and the
    //    acquisition channel (facts known before churn; MRR is not, it drops to 0 at churn).
    let profiles = base.profiles();
    let column = |f: &dyn Fn(usize) -> Option<f64>| {
        PerCustomer::new(index, (0..index.len()).map(f).collect())
    };
    let log_employees = column(&|i| {
        profiles[i]
            .firmographic
            .employees
            .map(|e| f64::from(e).ln())
    })?;
    let tickets = column(&|i| profiles[i].needs.support_tickets.map(f64::from))?;
    let email = column(&|i| profiles[i].behaviour.engagement.email_response_rate)?;
    let partner = column(&|i| {
        profiles[i]
            .value
            .acquisition_channel
            .map(|c| f64::from(u8::from(c == AcquisitionChannel::Partner)))
    })?;
    let covariates = [
        ("ln(employees)", &log_employees),
        ("support tickets", &tickets),
        ("email response", &email),
        ("partner channel", &partner),
    ];
    // Keep the customers with every covariate.
    let keep: Vec<usize> = (0..lifetimes.len())
        .filter(|&k| {
            let c = lifetimes.customers()[k];
            covariates.iter().all(|(_, col)| col.get(c).is_some())
        })
        .collect();
    let complete = SurvivalData::new(
        index,
        keep.iter().map(|&k| lifetimes.customers()[k]).collect(),
        keep.iter().map(|&k| lifetimes.durations()[k]).collect(),
        keep.iter().map(|&k| lifetimes.observed()[k]).collect(),
    )?;
    let cox = CoxModel::fit_lifetimes(&complete, &covariates, &CoxParams::new())?;
    let (subjects, events) = cox.counts();
    println!("\nCox model of months to churn ({subjects} customers, {events} churned):");
    println!(
        "  {:<16} {:>9} {:>9} {:>19} {:>9}",
        "covariate", "coef", "HR", "95% CI of HR", "p"
    );
    for c in cox.coefficients() {
        let (lo, hi) = c.hazard_ratio_interval();
        println!(
            "  {:<16} {:>9.4} {:>9.3} {:>9.3} - {:<8.3} {:>9.2e}",
            c.name, c.coef, c.hazard_ratio, lo, hi, c.p_value
        );
    }
    let lr = cox.likelihood_ratio_test()?;
    println!(
        "  concordance {:.3}; LR test {:.1} on {} df, p = {:.2e}",
        cox.concordance(),
        lr.statistic,
        lr.degrees_of_freedom,
        lr.p_value
    );
    Ok(())
}
