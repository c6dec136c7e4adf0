//! Per-customer partial RFM states (what a query engine's group-by keeps): any partition of
//! the rows, merged in any order, builds the table one pass builds.

use proptest::prelude::*;
use saas_segmentation::records::{BadRows, RefundPolicy, Transaction};
use saas_segmentation::rfm::{
    FrequencyBasis, RecencyBasis, RfmParams, RfmPartial, RfmPartialParts, RfmTable,
};
use saas_segmentation::Date;

fn params(variant: u8) -> RfmParams {
    let end = Date::from_ymd(2024, 6, 30).unwrap();
    let p = RfmParams::new(end).future(BadRows::Drop);
    match variant % 4 {
        0 => p,
        1 => p.refunds(RefundPolicy::Drop),
        2 => p
            .recency(RecencyBasis::LastTransaction)
            .frequency(FrequencyBasis::EveryRow),
        _ => p.frequency(FrequencyBasis::EveryRow),
    }
}

/// The table from partial states: each customer's rows go to `parts` partitions by `part`,
/// one partial per (customer, partition), merged in reverse partition order.
fn from_partials(
    rows: &[Transaction<u32>],
    part: &[usize],
    parts: usize,
    params: &RfmParams,
) -> RfmTable<u32> {
    let mut states: std::collections::BTreeMap<(u32, usize), RfmPartial> = Default::default();
    for (t, &k) in rows.iter().zip(part) {
        states
            .entry((t.customer, k % parts))
            .or_insert_with(|| RfmPartial::new(params))
            .add(t, params)
            .unwrap();
    }
    let mut merged: std::collections::BTreeMap<u32, RfmPartial> = Default::default();
    for ((c, _), s) in states.into_iter().rev() {
        // Through the plain values, as an engine's state columns carry it between machines.
        let s = RfmPartial::from_parts(&s.parts(), params).unwrap();
        match merged.get_mut(&c) {
            Some(m) => m.merge(&s),
            None => {
                merged.insert(c, s);
            }
        }
    }
    RfmTable::from_partials(*params, merged.into_iter().collect()).unwrap()
}

proptest! {
    #[test]
    fn partials_in_date_order_equal_one_pass(
        raw in prop::collection::vec((0u32..6, 0i64..200, -50i32..200), 1..80),
        parts in 1usize..4,
        variant in 0u8..4,
    ) {
        let start = Date::from_ymd(2024, 1, 1).unwrap();
        let mut rows: Vec<Transaction<u32>> = raw
            .iter()
            .map(|(c, d, a)| Transaction::new(*c, start.add_days(*d).unwrap(), f64::from(*a) / 4.0))
            .collect();
        // Date order, split into contiguous runs: distinct purchase days stay exact.
        rows.sort_by_key(|t| (t.customer, t.date));
        let part: Vec<usize> = (0..rows.len()).map(|i| i * parts / rows.len().max(1)).collect();
        let p = params(variant);
        let Ok(one_pass) = RfmTable::from_transactions(&rows, &p) else {
            // No customer left: the partials refuse too.
            return Ok(());
        };
        prop_assert_eq!(from_partials(&rows, &part, parts, &p), one_pass);
    }

    #[test]
    fn partials_in_any_order_equal_one_pass_but_for_purchase_days(
        raw in prop::collection::vec((0u32..6, 0i64..200, -50i32..200, 0usize..3), 1..80),
        variant in 0u8..4,
    ) {
        let start = Date::from_ymd(2024, 1, 1).unwrap();
        let rows: Vec<Transaction<u32>> = raw
            .iter()
            .map(|(c, d, a, _)| Transaction::new(*c, start.add_days(*d).unwrap(), f64::from(*a) / 4.0))
            .collect();
        let part: Vec<usize> = raw.iter().map(|r| r.3).collect();
        let p = params(variant);
        let Ok(one_pass) = RfmTable::from_transactions(&rows, &p) else {
            return Ok(());
        };
        let merged = from_partials(&rows, &part, 3, &p);
        prop_assert_eq!(merged.report(), one_pass.report());
        prop_assert_eq!(merged.len(), one_pass.len());
        for ((k1, s1), (k2, s2)) in merged.iter().zip(one_pass.iter()) {
            prop_assert_eq!(k1, k2);
            if let Some(days) = s1.purchase_days {
                prop_assert_eq!(Some(days), s2.purchase_days);
            }
            let mut masked = s1;
            masked.purchase_days = s2.purchase_days;
            prop_assert_eq!(masked, s2);
        }
    }
}

proptest! {
    #[test]
    fn any_plain_values_load_or_get_a_typed_error(
        days in prop::collection::vec(prop::option::of(-800_000i64..3_000_000), 3),
        frequency in any::<u32>(),
        purchase_days in prop::option::of(any::<u32>()),
        micros in any::<i64>(),
        counts in prop::collection::vec(any::<u64>(), 7),
        refund_micros in (any::<i64>(), any::<i64>()),
    ) {
        let date = |d: Option<i64>| d.and_then(|d| Date::from_days(d).ok());
        let parts = RfmPartialParts {
            first_purchase: date(days[0]),
            last_purchase: date(days[1]),
            last_row: date(days[2]),
            frequency,
            purchase_days,
            monetary_micros: micros,
            rows: counts[0],
            purchases: counts[1],
            refunds_netted: counts[2],
            refund_netted_micros: refund_micros.0,
            zero_rows: counts[3],
            future_rows: counts[4],
            refunds_dropped: counts[5],
            refund_dropped_micros: refund_micros.1,
        };
        let p = params(0);
        if let Ok(state) = RfmPartial::from_parts(&parts, &p) {
            let mut merged = state;
            merged.merge(&state);
            let _ = RfmTable::from_partials(p, vec![(1u32, state), (2, merged)]);
        }
    }
}

#[test]
fn partial_states_refuse_bad_rows_and_keep_nothing_of_dropped_ones() {
    let p = RfmParams::new(Date::from_ymd(2024, 6, 30).unwrap());
    let mut s = RfmPartial::new(&p);
    let day = Date::from_ymd(2024, 3, 1).unwrap();
    assert!(s.add(&Transaction::new("a", day, f64::NAN), &p).is_err());
    let late = Date::from_ymd(2025, 1, 1).unwrap();
    let e = s.add(&Transaction::new("a", late, 5.0), &p).unwrap_err();
    assert!(e.to_string().contains("analysis date"), "{e}");
    // Only dropped rows: the customer is not in the table, but the report counts the row.
    let drop = p.future(BadRows::Drop);
    let mut only_late = RfmPartial::new(&drop);
    only_late
        .add(&Transaction::new("z", late, 5.0), &drop)
        .unwrap();
    let mut kept = RfmPartial::new(&drop);
    kept.add(&Transaction::new("y", day, 5.0), &drop).unwrap();
    let rows = [
        Transaction::new("z", late, 5.0),
        Transaction::new("y", day, 5.0),
    ];
    let table = RfmTable::from_partials(drop, vec![("z", only_late), ("y", kept)]).unwrap();
    assert_eq!(table.len(), 1);
    assert_eq!(table.report().future_rows, 1);
    assert_eq!(table, RfmTable::from_transactions(&rows, &drop).unwrap());
    // No rows, or no customer left: errors, as one pass.
    assert!(RfmTable::<&str>::from_partials(drop, Vec::new()).is_err());
    assert!(RfmTable::from_partials(drop, vec![("z", only_late)]).is_err());
}

proptest! {
    #[test]
    fn a_batch_of_grouped_rows_equals_adding_them_one_by_one(
        raw in prop::collection::vec((0usize..5, -800i32..900, -50i32..200), 0..120),
        variant in 0u8..4,
    ) {
        let params = params(variant);
        let start = Date::from_ymd(2023, 1, 1).unwrap().days();
        let groups: Vec<usize> = raw.iter().map(|r| r.0).collect();
        let days: Vec<i32> = raw.iter().map(|r| start + r.1).collect();
        let amounts: Vec<f64> = raw.iter().map(|r| f64::from(r.2) / 4.0).collect();
        let mut batch = vec![RfmPartial::new(&params); 5];
        let batched = RfmPartial::add_batch(&mut batch, &groups, &days, &amounts, &params);
        let mut single = vec![RfmPartial::new(&params); 5];
        let mut one_by_one = Ok(());
        for i in 0..raw.len() {
            let t = Transaction::new(i, Date::from_days(i64::from(days[i])).unwrap(), amounts[i]);
            if let Err(e) = single[groups[i]].add(&t, &params) {
                one_by_one = Err(e);
                break;
            }
        }
        prop_assert_eq!(batched.is_ok(), one_by_one.is_ok());
        for (a, b) in batch.iter().zip(&single) {
            prop_assert_eq!(a.parts(), b.parts());
        }
    }
}

#[test]
fn batches_refuse_bad_shapes_groups_and_days() {
    let params = params(0);
    let mut states = vec![RfmPartial::new(&params); 2];
    let day = Date::from_ymd(2024, 1, 1).unwrap().days();
    assert!(RfmPartial::add_batch(&mut states, &[0, 1], &[day], &[1.0, 2.0], &params).is_err());
    let e = RfmPartial::add_batch(&mut states, &[0, 7], &[day, day], &[1.0, 2.0], &params)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1") && e.contains("group 7"), "{e}");
    assert!(RfmPartial::add_batch(&mut states, &[0], &[i32::MAX], &[1.0], &params).is_err());
    assert!(RfmPartial::add_batch(&mut states, &[1], &[day], &[f64::INFINITY], &params).is_err());
    // The first row was added before the bad group stopped the batch.
    assert_eq!(states[0].rows(), 1);
}
