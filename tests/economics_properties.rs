//! Property tests of the unit-economics invariants.

mod common;
use common::cid;

use proptest::prelude::*;
use saas_segmentation::economics::{
    revenue_retention, Concentration, MrrMovements, MrrParams, ValueQuantiles,
};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::records::MrrRecord;
use saas_segmentation::{CustomerId, Date};

/// Per customer a run of months with MRR (0 allowed), some months missing.
fn mrr_strategy() -> impl Strategy<Value = (usize, Vec<MrrRecord<CustomerId>>)> {
    (1usize..25).prop_flat_map(|n| {
        proptest::collection::vec(
            (0..n, 0i64..18, prop_oneof![Just(0.0), 1.0f64..500.0]),
            1..200,
        )
        .prop_map(move |rows| {
            let start = Date::from_ymd(2023, 1, 1).expect("date");
            let mut seen = std::collections::HashSet::new();
            let records = rows
                .into_iter()
                .filter(|(c, m, _)| seen.insert((*c, *m)))
                .map(|(c, m, v)| {
                    MrrRecord::new(cid(c as u32), start.add_months(m).expect("date"), v)
                })
                .collect();
            (n, records)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_bridge_balances_every_month((n, records) in mrr_strategy()) {
        let lookup = DenseCustomers::new(n);
        let params = MrrParams::new(Date::from_ymd(2024, 6, 1).expect("date"));
        let moves = MrrMovements::compute(&lookup, &records, &params).expect("movements");
        let mut previous_end: Option<f64> = None;
        for m in moves.months() {
            let end = m.start_mrr + m.new + m.expansion + m.reactivation - m.contraction - m.churn;
            prop_assert!((end - m.end_mrr).abs() <= 1e-9 * (1.0 + m.end_mrr.abs()));
            if let Some(p) = previous_end {
                prop_assert!((p - m.start_mrr).abs() <= 1e-9 * (1.0 + p.abs()));
            }
            previous_end = Some(m.end_mrr);
            prop_assert!(m.customers_start + m.new_customers + m.reactivated_customers
                - m.churned_customers == m.customers_end);
        }
    }

    #[test]
    fn nrr_is_never_below_grr((n, records) in mrr_strategy(), from in 0i64..10, span in 0i64..8, react in any::<bool>()) {
        let lookup = DenseCustomers::new(n);
        let params = MrrParams::new(Date::from_ymd(2024, 6, 1).expect("date"));
        let start = Date::from_ymd(2023, 1, 1).expect("date").add_months(from).expect("date");
        let end = start.add_months(span).expect("date");
        let w = revenue_retention(&lookup, &records, &params, start, end, react).expect("window")[0];
        if let (Some(nrr), Some(grr)) = (w.nrr(), w.grr()) {
            prop_assert!(nrr >= grr - 1e-12);
            prop_assert!((0.0..=1.0 + 1e-12).contains(&grr));
        }
    }

    #[test]
    fn gini_and_quintiles_are_well_formed(values in proptest::collection::vec(0.0f64..1e6, 5..300), groups in 2usize..6) {
        if let Ok(c) = Concentration::new(&values) {
            prop_assert!((0.0..=1.0).contains(&c.gini()));
            prop_assert!(c.top_share(0.2).unwrap() >= 0.2 - 1e-9);
        }
        let index = saas_segmentation::CustomerIndex::from_keys(0..values.len() as u32).unwrap();
        let column = saas_segmentation::PerCustomer::complete(&index, values.clone()).unwrap();
        let q = ValueQuantiles::new(&index, &column, groups).expect("quantiles");
        let sizes: Vec<u64> = q.groups().iter().map(|g| g.customers).collect();
        let (lo, hi) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
        prop_assert!(hi - lo <= 1);
        // Higher groups hold higher values.
        for pair in q.groups().windows(2) {
            prop_assert!(pair[0].min >= pair[1].max);
        }
    }
}
