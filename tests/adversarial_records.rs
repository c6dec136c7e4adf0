//! The adversarial sweep over the record analyses: transactions, activity, signups and MRR
//! records with dates at the ends of the calendar, dates after the analysis date, out of order,
//! refunds, zero and extreme amounts, NaN, unknown customers and customers without records,
//! through every record entry point (RFM, BTYD, scores and segments, cohorts and retention,
//! lifecycle and stickiness, behaviour, MRR movements, revenue retention, lifetimes, value
//! groups). Same contract as `adversarial_sweep.rs`: no panic, and `Ok` results are finite and in
//! range. Failures are shrunk and recorded in `tests/adversarial_records.proptest-regressions`.

use proptest::prelude::*;

#[path = "common/guard.rs"]
mod guard;
use guard::guarded;
use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
use saas_segmentation::cohort::{
    lifecycle, stickiness, ActivityParams, Cohorts, Grid, RetentionMatrix, RetentionMode,
    RetentionParams, RevenueRetention, Windows,
};
use saas_segmentation::economics::{
    observed_ltv, revenue_retention, MrrMovements, MrrParams, ValueQuantiles,
};
use saas_segmentation::records::{BadRows, MrrRecord, RefundPolicy, Transaction};
use saas_segmentation::rfm::{
    segment_summary, Binning, BtydParams, BtydPeriod, BtydSummary, RfmAccumulator, RfmParams,
    RfmScores, RfmSegmentTable, RfmTable, ScoreParams,
};
use saas_segmentation::survival::{LifetimeParams, SurvivalData};
use saas_segmentation::{CustomerIndex, Date, PerCustomer, Period};

fn check(what: &str, ok: bool, detail: impl std::fmt::Debug) -> Result<(), TestCaseError> {
    if ok {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!("{what}: {detail:?}")))
    }
}

fn analysis() -> Date {
    Date::from_ymd(2024, 6, 30).unwrap()
}

/// Dates: mostly the two years before the analysis date, with the calendar's ends, the analysis
/// date itself and the days after it mixed in.
fn day() -> impl Strategy<Value = Date> {
    prop_oneof![
        8 => (-730i64..=0).prop_map(|d| analysis().add_days(d).unwrap()),
        1 => Just(Date::MIN),
        1 => Just(Date::MAX),
        1 => (1i64..400).prop_map(|d| analysis().add_days(d).unwrap()),
        1 => (-719_528i64..=2_932_896).prop_map(|d| Date::from_days(d).unwrap()),
    ]
}

fn amount() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 0.01..500.0f64,
        1 => Just(0.0),
        1 => -200.0..0.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::MAX),
        1 => Just(1e15),
        1 => Just(2.2e9),
        1 => Just(5e-324),
        1 => Just(1e-7),
    ]
}

/// Keys `c0`..`c5`, and `zz`, which no index knows.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![9 => (0u8..6).prop_map(|i| format!("c{i}")), 1 => Just("zz".to_owned())]
}

/// An index over `c0`..`c7` (two customers never have records) in an order unlike key order.
fn index() -> CustomerIndex<String> {
    CustomerIndex::from_keys(["c5", "c1", "c7", "c0", "c3", "c6", "c2", "c4"].map(String::from))
        .unwrap()
}

fn binning() -> impl Strategy<Value = Binning> {
    let bins = prop_oneof![0u8..7, Just(u8::MAX)];
    (0u8..3, bins).prop_map(|(kind, bins)| match kind {
        0 => Binning::TiesShare { bins },
        1 => Binning::RankFirst { bins },
        _ => Binning::RQuantile { bins },
    })
}

proptest! {
    #![proptest_config(guard::config())]

    #[test]
    fn rfm_and_btyd(
        rows in prop::collection::vec((key(), day(), amount()), 0..24),
        refunds in 0u8..3,
        drop_future in any::<bool>(),
        r in binning(), f in binning(), m in binning(),
        split in 0usize..24,
        multiplier in prop_oneof![1u32..5, Just(0), Just(u32::MAX)],
    ) {
        let tx: Vec<Transaction<String>> =
            rows.iter().map(|(k, d, a)| Transaction::new(k.clone(), *d, *a)).collect();
        let policy = [RefundPolicy::Net, RefundPolicy::Drop, RefundPolicy::Reject][refunds as usize];
        let future = if drop_future { BadRows::Drop } else { BadRows::Reject };
        let params = RfmParams::new(analysis()).refunds(policy).future(future);
        let index = index();
        let tables = [
            guarded("rfm from_transactions", || RfmTable::from_transactions(&tx, &params))?,
            guarded("rfm from_transactions_in", || RfmTable::from_transactions_in(&tx, &index, &params))?,
        ];
        for table in tables.iter().flatten() {
            for (_, s) in table.iter() {
                check("recency", s.recency_days >= 0, s)?;
                check("monetary", s.monetary.is_finite(), s)?;
            }
            let score_params = ScoreParams::default().recency(r.clone()).frequency(f.clone()).monetary(m.clone());
            if let Ok(scores) = guarded("rfm scores", || RfmScores::new(table, &score_params))? {
                for t in [RfmSegmentTable::default_table(), RfmSegmentTable::r_rfm(), RfmSegmentTable::pymc_marketing()] {
                    if let Ok(seg) = guarded("rfm segmentation", || scores.segmentation(&t))? {
                        if let Ok(summary) = guarded("segment summary", || segment_summary(table, &seg))? {
                            for s in summary {
                                check("segment summary", format!("{s:?}").contains("NaN").then_some(()).is_none(), &s)?;
                            }
                        }
                    }
                }
            }
        }
        // Merging two partial passes equals one pass, or fails the same way.
        let cut = split.min(tx.len());
        let merged = guarded("rfm accumulator", || {
            let mut a = RfmAccumulator::new(params);
            let mut b = RfmAccumulator::new(params);
            a.add(&tx[..cut])?;
            b.add(&tx[cut..])?;
            a.merge(b)?;
            a.finish()
        })?;
        if let (Ok(merged), Some(Ok(one))) = (&merged, tables.first()) {
            // Distinct purchase days are `None` after a merge of chunks out of date order
            // (documented on `RfmAccumulator::finish`); every other field must agree.
            let a: Vec<_> = merged.iter().map(|(k, s)| (k.clone(), s)).collect();
            let b: Vec<_> = one
                .iter()
                .zip(merged.iter())
                .map(|((k, mut s), (_, m))| {
                    if m.purchase_days.is_none() {
                        s.purchase_days = None;
                    }
                    (k.clone(), s)
                })
                .collect();
            check("merge == one pass", a == b, (&a, &b))?;
        }
        for period in [BtydPeriod::Day, BtydPeriod::Week, BtydPeriod::Month] {
            let p = BtydParams::new(analysis()).period(period).multiplier(multiplier).refunds(policy);
            if let Ok(s) = guarded("btyd", || BtydSummary::from_transactions(&tx, &p))? {
                for i in 0..s.keys().len() {
                    let (fr, re, t, mo) = (s.frequency()[i], s.recency()[i], s.age()[i], s.monetary()[i]);
                    check("btyd finite", [fr, re, t, mo].iter().all(|v| v.is_finite()), (fr, re, t, mo))?;
                    check("btyd order", fr >= 0.0 && re >= 0.0 && re <= t, (fr, re, t))?;
                }
            }
        }
    }

    #[test]
    fn cohorts_and_activity(
        signups in prop::collection::vec((key(), day()), 0..10),
        events in prop::collection::vec((key(), day(), 0u8..4), 0..30),
        length in prop_oneof![1u32..40, Just(0), Just(u32::MAX)],
        rolling in prop_oneof![1u32..40, Just(0), Just(u32::MAX), Just(1u32 << 31)],
        bracket in (any::<u32>(), any::<u32>()),
        period in 0usize..5,
        window_start in day(),
        window_days in prop_oneof![0i64..60, Just(-3), Just(5_000_000)],
    ) {
        let index = index();
        let periods = [Period::Day, Period::IsoWeek, Period::Month, Period::Quarter, Period::Year];
        let grids = [
            Grid::Calendar(periods[period]),
            Grid::Days { length, origin: analysis() },
        ];
        let activity: Vec<(String, Date)> = events.iter().map(|(k, d, _)| (k.clone(), *d)).collect();
        for grid in grids {
            let Ok(cohorts) = guarded("by_signup", || Cohorts::by_signup(&index, &signups, grid))? else {
                continue;
            };
            for windows in [
                Windows::Grid(grid),
                Windows::Rolling { days: rolling },
                Windows::Brackets(vec![(0, 7), bracket]),
            ] {
                for mode in [RetentionMode::Recurring, RetentionMode::Unbounded, RetentionMode::FirstTime] {
                    let params = RetentionParams::new(analysis())
                        .windows(windows.clone())
                        .mode(mode)
                        .before_signup(BadRows::Drop)
                        .after_analysis(BadRows::Drop)
                        .unknown_customers(BadRows::Drop);
                    if let Ok(m) = guarded("retention", || RetentionMatrix::compute(&index, &cohorts, &activity, &params))? {
                        for row in m.rates() {
                            for rate in row.into_iter().flatten() {
                                check("retention rate", (0.0..=1.0).contains(&rate), rate)?;
                            }
                        }
                    }
                }
            }
            let _ = guarded("cohort segmentation", || cohorts.segmentation())?;
        }
        for p in periods {
            let params = ActivityParams::new(analysis()).period(p).grid(Grid::Calendar(p));
            let _ = guarded("lifecycle", || lifecycle(&index, &activity, &params))?;
            if let Ok(rows) = guarded("stickiness", || stickiness(&index, &activity, &params))? {
                for row in rows {
                    if let Some(r) = row.ratio() {
                        check("stickiness ratio", (0.0..=1.0).contains(&r), r)?;
                    }
                }
            }
        }
        let log: Vec<Activity<String>> = events
            .iter()
            .map(|(k, d, e)| {
                let event = match e {
                    0 => ActivityEvent::Login,
                    1 => ActivityEvent::Feature("reports".to_owned()),
                    2 => ActivityEvent::Workflow("invite".to_owned()),
                    _ => ActivityEvent::Feature("export".to_owned()),
                };
                Activity::new(k.clone(), *d, event)
            })
            .collect();
        let end = window_start.add_days(window_days).unwrap_or(Date::MAX);
        if let Ok(config) = guarded("behaviour config", || BehaviourConfig::new(window_start, end))? {
            let config = config.core_features(vec!["reports".to_owned(), "export".to_owned()])
                .key_workflows(vec!["invite".to_owned()]);
            if let Ok(b) = guarded("derive_behaviour", || derive_behaviour(&index, &log, &config))? {
                for (_, s) in b.iter() {
                    let Some(s) = s else { continue };
                    check("adoption", (0.0..=1.0).contains(&s.core_feature_adoption()), s)?;
                    check("workflows", (0.0..=1.0).contains(&s.key_workflow_completion()), s)?;
                    check("logins per week", s.logins_per_week().is_finite(), s)?;
                    check("trend", s.activity_trend().is_none_or(f64::is_finite), s)?;
                }
            }
        }
        let params = LifetimeParams::new(analysis()).inactive_days(rolling);
        if let Ok(data) = guarded("lifetimes from activity", || SurvivalData::from_activity(&index, &signups, &activity, &params))? {
            check("durations", data.durations().iter().all(|d| d.is_finite() && *d >= 0.0), data.durations())?;
        }
    }

    #[test]
    fn mrr_and_value(
        rows in prop::collection::vec((key(), day(), amount()), 0..30),
        start in day(),
        end in day(),
        groups in prop_oneof![0usize..10, Just(usize::MAX)],
        margin in amount(),
        values in prop::collection::vec(prop::option::of(amount()), 8),
    ) {
        let index = index();
        let records: Vec<MrrRecord<String>> =
            rows.iter().map(|(k, d, a)| MrrRecord::new(k.clone(), *d, *a)).collect();
        let params = MrrParams::new(analysis());
        if let Ok(m) = guarded("mrr movements", || MrrMovements::compute(&index, &records, &params))? {
            for month in m.months() {
                for rate in [month.gross_mrr_churn_rate(), month.net_mrr_churn_rate(), month.logo_churn_rate(), month.quick_ratio(), month.arpa()].into_iter().flatten() {
                    check("mrr rate", rate.is_finite(), month)?;
                }
            }
            if let Some(v) = m.trailing_logo_churn(3) {
                check("trailing churn", (0.0..=1.0).contains(&v), v)?;
            }
        }
        for reactivation in [false, true] {
            if let Ok(windows) = guarded("revenue_retention", || revenue_retention(&index, &records, &params, start, end, reactivation))? {
                for w in windows {
                    for v in [w.nrr(), w.grr(), w.logo_retention()].into_iter().flatten() {
                        check("window retention", v.is_finite() && v >= 0.0, v)?;
                    }
                }
            }
        }
        if let Ok(ltv) = guarded("observed_ltv", || observed_ltv(&index, &records, &params, margin))? {
            for v in ltv.iter().filter_map(|(_, v)| v) {
                check("observed ltv", v.is_finite(), v)?;
            }
        }
        let subs: Vec<saas_segmentation::economics::Subscription<String>> = rows
            .iter()
            .zip(&values)
            .map(|((k, d, a), e)| {
                let end = e.and_then(|days| d.add_days(days.clamp(-1e6, 1e6) as i64).ok());
                saas_segmentation::economics::Subscription::new(k.clone(), *d, end, *a)
            })
            .collect();
        for rule in [
            saas_segmentation::economics::SnapshotRule::MonthStart,
            saas_segmentation::economics::SnapshotRule::MonthEnd,
            saas_segmentation::economics::SnapshotRule::Prorated,
        ] {
            if let Ok(monthly) = guarded("monthly_mrr", || saas_segmentation::economics::monthly_mrr(&subs, rule, end))? {
                check("monthly mrr", monthly.iter().all(|r| r.mrr.is_finite() && r.mrr >= 0.0), monthly.len())?;
            }
        }
        let lifetime = LifetimeParams::new(analysis());
        if let Ok(data) = guarded("lifetimes from mrr", || SurvivalData::from_mrr(&index, &records, &lifetime))? {
            check("durations", data.durations().iter().all(|d| d.is_finite() && *d >= 0.0), data.durations())?;
        }
        let signups: Vec<(String, Date)> = rows.iter().map(|(k, d, _)| (k.clone(), *d)).collect();
        if let Ok(cohorts) = guarded("cohorts", || Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month)))? {
            if let Ok(r) = guarded("revenue cohort retention", || RevenueRetention::compute(&index, &records, &params, Some(&cohorts)))? {
                for c in 0..r.labels().len() {
                    for month in 0..r.months() {
                        for v in [r.net(c, month), r.gross(c, month)].into_iter().flatten() {
                            check("nrr/grr", v.is_finite() && v >= 0.0, v)?;
                        }
                    }
                }
            }
        }
        let column = guarded("per customer", || PerCustomer::new(&index, values.clone()))?;
        if let Ok(column) = column {
            if let Ok(q) = guarded("value quantiles", || ValueQuantiles::new(&index, &column, groups))? {
                let _ = guarded("top flags", || q.top_flags())?;
                check("groups", q.groups().len() <= groups, q.groups().len())?;
            }
        }
    }
}
