//! RFM through the public API: policies, scoring, segment tables, bad input, invariants.

mod common;
use common::cid;

use proptest::prelude::*;
use saas_segmentation::records::{RefundPolicy, Transaction};
use saas_segmentation::rfm::{
    segment_summary, Binning, FrequencyBasis, FuturePolicy, RecencyBasis, RfGrid, RfmAccumulator,
    RfmParams, RfmRule, RfmScores, RfmSegmentTable, RfmTable, ScoreParams, OTHER,
};
use saas_segmentation::{Date, Error, SegmentDefinition};

fn day(d: i64) -> Date {
    Date::from_ymd(2024, 1, 1).unwrap().add_days(d).unwrap()
}

fn tx(customer: &str, d: i64, amount: f64) -> Transaction<String> {
    Transaction::new(customer.to_owned(), day(d), amount)
}

#[test]
fn refund_policies_are_reported() {
    let log = vec![
        tx("a", 0, 100.0),
        tx("a", 5, -40.0),
        tx("b", 1, 10.0),
        tx("c", 2, -5.0),
        tx("b", 3, 0.0),
    ];
    let net = RfmTable::from_transactions(&log, &RfmParams::new(day(10))).unwrap();
    assert_eq!(net.get(&"a".to_owned()).unwrap().monetary, 60.0);
    assert_eq!(net.get(&"a".to_owned()).unwrap().frequency, 1);
    assert_eq!(net.get(&"a".to_owned()).unwrap().recency_days, 10); // the refund is not a purchase
    assert_eq!(net.len(), 2); // c never bought
    let report = net.report();
    assert_eq!(
        (
            report.rows,
            report.purchases,
            report.refunds_netted,
            report.zero_rows
        ),
        (5, 2, 2, 1)
    );
    assert_eq!(report.refund_amount_netted, -45.0);
    assert_eq!(report.without_purchase, 1);

    let any = RfmTable::from_transactions(
        &log,
        &RfmParams::new(day(10)).recency(RecencyBasis::LastTransaction),
    )
    .unwrap();
    assert_eq!(any.len(), 3);
    assert_eq!(any.get(&"a".to_owned()).unwrap().recency_days, 5);
    assert_eq!(any.get(&"c".to_owned()).unwrap().mean_monetary, None);

    let dropped =
        RfmTable::from_transactions(&log, &RfmParams::new(day(10)).refunds(RefundPolicy::Drop))
            .unwrap();
    assert_eq!(dropped.get(&"a".to_owned()).unwrap().monetary, 100.0);
    assert_eq!(dropped.report().refunds_dropped, 2);
    assert_eq!(dropped.report().refund_amount_dropped, -45.0);

    let err =
        RfmTable::from_transactions(&log, &RfmParams::new(day(10)).refunds(RefundPolicy::Reject))
            .unwrap_err();
    assert!(
        matches!(err, Error::OutOfRange { ref record, .. } if record.starts_with("transaction row 1")),
        "{err}"
    );
}

#[test]
fn unknown_customers_are_named_when_an_index_is_given() {
    let index = saas_segmentation::CustomerIndex::from_keys([
        "a".to_owned(),
        "b".to_owned(),
        "z".to_owned(),
    ])
    .unwrap();
    let log = vec![tx("a", 0, 1.0), tx("b", 1, -1.0)];
    let table = RfmTable::from_transactions_in(&log, &index, &RfmParams::new(day(5))).unwrap();
    assert_eq!(
        (
            table.len(),
            table.report().without_purchase,
            table.report().without_rows
        ),
        (1, 1, 1)
    );
    let stranger = vec![tx("a", 0, 1.0), tx("q", 1, 1.0)];
    let err =
        RfmTable::from_transactions_in(&stranger, &index, &RfmParams::new(day(5))).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownCustomer {
            record: "transaction row 1".into(),
            customer: "\"q\"".into()
        }
    );
}

#[test]
fn future_rows_error_or_are_excluded() {
    let log = vec![tx("a", 0, 1.0), tx("a", 20, 1.0)];
    let err = RfmTable::from_transactions(&log, &RfmParams::new(day(10))).unwrap_err();
    assert!(err.to_string().contains("transaction row 1"), "{err}");
    let table =
        RfmTable::from_transactions(&log, &RfmParams::new(day(10)).future(FuturePolicy::Drop))
            .unwrap();
    assert_eq!(table.report().future_rows, 1);
    assert_eq!(table.get(&"a".to_owned()).unwrap().recency_days, 10);
}

#[test]
fn bad_rows_are_named() {
    assert!(matches!(
        RfmTable::<String>::from_transactions(&[], &RfmParams::new(day(0))),
        Err(Error::EmptyInput { .. })
    ));
    let nan = vec![tx("a", 0, 1.0), tx("b", 0, f64::NAN)];
    let err = RfmTable::from_transactions(&nan, &RfmParams::new(day(0))).unwrap_err();
    assert!(matches!(err, Error::NonFinite { ref record, .. } if record == "transaction row 1"));
    let huge = vec![tx("a", 0, 1e12)];
    assert!(matches!(
        RfmTable::from_transactions(&huge, &RfmParams::new(day(0))),
        Err(Error::OutOfRange { .. })
    ));
    let only_refunds = vec![tx("a", 0, -1.0)];
    assert!(matches!(
        RfmTable::from_transactions(&only_refunds, &RfmParams::new(day(0))),
        Err(Error::EmptyInput { .. })
    ));
}

#[test]
fn distinct_purchase_days_are_exact_in_any_order() {
    let log = vec![
        tx("a", 5, 1.0),
        tx("a", 1, 1.0),
        tx("a", 5, 1.0),
        tx("a", 3, 1.0),
        tx("a", 1, 2.0),
    ];
    let table = RfmTable::from_transactions(&log, &RfmParams::new(day(9))).unwrap();
    let a = table.get(&"a".to_owned()).unwrap();
    assert_eq!(
        (a.purchase_days, a.frequency, a.tenure_days),
        (Some(3), 5, Some(8))
    );
    assert_eq!(a.first_purchase, Some(day(1)));
    // Merged out-of-order chunks cannot know; they say so instead of guessing.
    let mut left = RfmAccumulator::new(RfmParams::new(day(9)));
    left.add(&[tx("a", 5, 1.0)]).unwrap();
    let mut right = RfmAccumulator::new(RfmParams::new(day(9)));
    right.add(&[tx("a", 1, 1.0), tx("a", 7, 1.0)]).unwrap();
    left.merge(right).unwrap();
    assert_eq!(
        left.finish()
            .unwrap()
            .get(&"a".to_owned())
            .unwrap()
            .purchase_days,
        None
    );
    let other = RfmAccumulator::<String>::new(RfmParams::new(day(8)));
    let mut mine = RfmAccumulator::<String>::new(RfmParams::new(day(9)));
    assert!(matches!(
        mine.merge(other),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn binning_parameters_are_validated() {
    let log = vec![tx("a", 0, 1.0), tx("b", 1, 2.0)];
    let table = RfmTable::from_transactions(&log, &RfmParams::new(day(3))).unwrap();
    for bad in [
        ScoreParams::uniform(Binning::TiesShare { bins: 1 }),
        ScoreParams::default().frequency(Binning::RankFirst { bins: 11 }),
        ScoreParams::default().monetary(Binning::Fixed {
            thresholds: vec![5.0, 5.0],
        }),
        ScoreParams::default().monetary(Binning::Fixed {
            thresholds: vec![f64::NAN],
        }),
        ScoreParams::default().recency(Binning::Fixed { thresholds: vec![] }),
    ] {
        assert!(
            matches!(
                RfmScores::new(&table, &bad),
                Err(Error::InvalidParameter { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn ties_share_a_score_and_empty_bins_are_reported() {
    // Ten customers, seven with the same frequency.
    let mut log = Vec::new();
    for (i, n) in [1, 1, 1, 1, 1, 1, 1, 2, 3, 4].iter().enumerate() {
        for k in 0..*n {
            log.push(tx(&format!("c{i}"), k, 10.0));
        }
    }
    let table = RfmTable::from_transactions(&log, &RfmParams::new(day(10))).unwrap();
    let scores = RfmScores::new(&table, &ScoreParams::default()).unwrap();
    let f = scores.frequency();
    assert!(f.scores()[..7].iter().all(|&s| s == 1));
    assert_eq!(f.scores()[7..], [4, 5, 5]);
    assert_eq!(f.empty_bins(), vec![2, 3]);
    assert_eq!(f.bins()[0].customers, 7);
    assert_eq!(f.bins()[0].max, Some(1.0));
    let first = RfmScores::new(
        &table,
        &ScoreParams::uniform(Binning::RankFirst { bins: 5 }),
    )
    .unwrap();
    assert_eq!(first.frequency().scores(), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
}

#[test]
fn r_rfm_thresholds_by_hand() {
    // R rfm 0.3: bins <- quantile(x, probs = seq(0, 1, length.out = 6))[-c(1, 6)] + 1
    // For monetary 10, 20, ..., 100: quantiles at 0.2..0.8 are 28, 46, 64, 82 -> 29, 47, 65, 83.
    // Scores: [min, 29) -> 1, [29, 47) -> 2, [47, 65) -> 3, [65, 83) -> 4, [83, max + 1) -> 5.
    let log: Vec<_> = (1..=10)
        .map(|i| tx(&format!("c{i:02}"), 0, f64::from(i * 10)))
        .collect();
    let table = RfmTable::from_transactions(&log, &RfmParams::new(day(1))).unwrap();
    let scores = RfmScores::new(
        &table,
        &ScoreParams::uniform(Binning::RQuantile { bins: 5 }),
    )
    .unwrap();
    let m = scores.monetary();
    // R computes these in doubles too: 1 + 9 * 0.2 = 2.8 - 2e-16, so the first is 29 - 4e-15.
    for (got, want) in m.thresholds().iter().zip([29.0, 47.0, 65.0, 83.0]) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert_eq!(m.scores(), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    // Every recency is 1, so every customer falls in R's first interval [1, 2): score 5, and
    // the other bins are empty (R's thresholds collapse to 2).
    assert!(scores.recency().scores().iter().all(|&s| s == 5));
    assert_eq!(scores.recency().empty_bins(), vec![1, 2, 3, 4]);

    let fixed = RfmScores::new(
        &table,
        &ScoreParams::default().monetary(Binning::Fixed {
            thresholds: vec![25.0, 50.0],
        }),
    )
    .unwrap();
    assert_eq!(fixed.monetary().scores(), [1, 1, 2, 2, 3, 3, 3, 3, 3, 3]); // [25, 50) holds 30 and 40
}

#[test]
fn segment_tables_are_validated() {
    let default = RfmSegmentTable::default_table();
    assert!(default.report().uncovered.is_empty());
    assert!(default.report().never_matching.is_empty());
    assert_eq!(default.rules().len(), 11);

    let r = RfmSegmentTable::r_rfm();
    // R's documented table overlaps and leaves cells to "Others".
    assert!(!r.report().overlaps.is_empty());
    assert!(!r.report().uncovered.is_empty());
    assert_eq!(r.segment_of([5, 5, 5]), Some(0));
    assert_eq!(r.segment_of([1, 1, 1]), Some(9)); // Lost

    let pymc = RfmSegmentTable::pymc_marketing();
    assert_eq!(pymc.grid(), [4, 4, 4]);
    assert_eq!(pymc.segment_of([4, 4, 4]), Some(0));
    assert_eq!(pymc.segment_of([2, 4, 2]), None); // not in any list: "Other"

    assert!(matches!(
        RfmSegmentTable::new(vec![], [5, 5, 5]),
        Err(Error::EmptyInput { .. })
    ));
    let inverted = vec![RfmRule::ranges("x", (4, 2), (1, 5), (1, 5))];
    assert!(matches!(
        RfmSegmentTable::new(inverted, [5, 5, 5]),
        Err(Error::InvalidParameter { .. })
    ));
    let outside = vec![RfmRule::ranges("x", (1, 6), (1, 5), (1, 5))];
    assert!(RfmSegmentTable::new(outside, [5, 5, 5]).is_err());
    let named_other = vec![RfmRule::ranges(OTHER, (1, 5), (1, 5), (1, 5))];
    assert!(matches!(
        RfmSegmentTable::new(named_other, [5, 5, 5]),
        Err(Error::DuplicateName { .. })
    ));
    let bad_code = vec![RfmRule::cells("x", ["5x1"])];
    assert!(RfmSegmentTable::new(bad_code, [5, 5, 5]).is_err());
    let shadowed = vec![
        RfmRule::ranges("all", (1, 5), (1, 5), (1, 5)),
        RfmRule::ranges("never", (5, 5), (5, 5), (5, 5)),
    ];
    let table = RfmSegmentTable::new(shadowed, [5, 5, 5]).unwrap();
    assert_eq!(table.report().never_matching, vec![1]);
    assert_eq!(table.report().overlaps[0].cells, 1);
}

#[test]
fn segments_summary_and_grid() {
    let mut log = Vec::new();
    for i in 0..50 {
        for k in 0..(i % 7 + 1) {
            log.push(tx(
                &format!("c{i:02}"),
                (i * 3 + k) % 90,
                5.0 + f64::from(i as i32),
            ));
        }
    }
    let table = RfmTable::from_transactions(&log, &RfmParams::new(day(100))).unwrap();
    let scores = RfmScores::new(&table, &ScoreParams::default()).unwrap();
    let segmentation = RfmSegmentTable::default_table().apply(&scores).unwrap();
    assert_eq!(segmentation.unassigned(), 0);
    assert!(matches!(
        segmentation.segments()[0].definition(),
        SegmentDefinition::RfmCells { .. }
    ));
    let summary = segment_summary(&table, &segmentation).unwrap();
    assert_eq!(summary.iter().map(|s| s.customers).sum::<usize>(), 50);
    let share: f64 = summary.iter().filter_map(|s| s.revenue_share).sum();
    assert!((share - 1.0).abs() < 1e-12);
    let orders: u64 = summary.iter().map(|s| s.orders).sum();
    assert_eq!(orders, log.len() as u64);
    let grid = RfGrid::new(&table, &scores).unwrap();
    assert_eq!(grid.cells().iter().map(|c| c.2).sum::<usize>(), 50);
    assert_eq!(grid.count(0, 1), 0);

    let pymc_scores = RfmScores::new(
        &table,
        &ScoreParams::uniform(Binning::TiesShare { bins: 4 }),
    )
    .unwrap();
    assert!(RfmSegmentTable::default_table()
        .apply(&pymc_scores)
        .is_err());
    assert!(RfmSegmentTable::pymc_marketing()
        .apply(&pymc_scores)
        .is_ok());
    let two = saas_segmentation::CustomerIndex::from_keys([1u8, 2]).unwrap();
    let other = saas_segmentation::Segmentation::from_labels(&two, &[0, 1]).unwrap();
    assert!(matches!(
        segment_summary(&table, &other),
        Err(Error::CustomerSetMismatch { .. })
    ));
}

fn arbitrary_log() -> impl Strategy<Value = Vec<(u8, i64, i32)>> {
    proptest::collection::vec((0u8..12, 0i64..60, -200i32..2_000), 1..120)
}

fn to_log(rows: &[(u8, i64, i32)]) -> Vec<Transaction<u8>> {
    rows.iter()
        .map(|&(c, d, cents)| Transaction::new(c, day(d), f64::from(cents) / 100.0))
        .collect()
}

/// The log with dense ids of an index built from the keys in order of appearance.
fn interned(
    log: &[Transaction<u8>],
) -> (
    saas_segmentation::CustomerIndex<u8>,
    Vec<Transaction<saas_segmentation::CustomerId>>,
) {
    let mut index = saas_segmentation::CustomerIndex::new();
    let dense = log
        .iter()
        .map(|t| Transaction::new(index.intern(t.customer).unwrap(), t.date, t.amount))
        .collect();
    (index, dense)
}

/// As `interned`, with an index whose ids follow key order.
fn interned_sorted(
    log: &[Transaction<u8>],
) -> (
    saas_segmentation::CustomerIndex<u8>,
    Vec<Transaction<saas_segmentation::CustomerId>>,
) {
    let index =
        saas_segmentation::CustomerIndex::sorted_from_keys(log.iter().map(|t| t.customer)).unwrap();
    let dense = log
        .iter()
        .map(|t| Transaction::new(index.get(&t.customer).unwrap(), t.date, t.amount))
        .collect();
    (index, dense)
}

#[test]
fn interned_logs_name_unknown_ids_and_count_customers_without_rows() {
    let mut index = saas_segmentation::CustomerIndex::new();
    let (a, b) = (index.intern("a").unwrap(), index.intern("b").unwrap());
    index.intern("z").unwrap();
    let params = RfmParams::new(day(5));
    let log = vec![
        Transaction::new(a, day(0), 1.0),
        Transaction::new(b, day(1), -1.0),
    ];
    let table = RfmTable::from_interned(&log, &index, &params).unwrap();
    assert_eq!(
        (
            table.len(),
            table.report().without_purchase,
            table.report().without_rows
        ),
        (1, 1, 1)
    );
    let stranger = vec![
        Transaction::new(a, day(0), 1.0),
        Transaction::new(cid(7), day(1), 1.0),
    ];
    assert!(matches!(
        RfmTable::from_interned(&stranger, &index, &params),
        Err(Error::UnknownCustomer { record, .. }) if record == "transaction row 1"
    ));
    let empty = saas_segmentation::CustomerIndex::<&str>::new();
    assert!(RfmTable::from_interned(&log, &empty, &params).is_err());
    assert!(matches!(
        RfmTable::from_interned(&[], &index, &params),
        Err(Error::EmptyInput { .. })
    ));
    let bad = vec![Transaction::new(a, day(0), f64::NAN)];
    assert!(matches!(
        RfmTable::from_interned(&bad, &index, &params),
        Err(Error::NonFinite { .. })
    ));
    let late = vec![Transaction::new(a, day(9), 1.0)];
    assert!(matches!(
        RfmTable::from_interned(&late, &index, &params),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn large_interned_logs_equal_the_keyed_pass() {
    // Large enough for the parallel workers, with refunds, zero rows and rows out of order.
    let rows: Vec<(u8, i64, i32)> = (0..300_000u32)
        .map(|i| {
            let h = i.wrapping_mul(2_654_435_761);
            (
                (h >> 24) as u8 % 200,
                i64::from((h >> 8) % 60),
                (h % 3_000) as i32 - 300,
            )
        })
        .collect();
    let log = to_log(&rows);
    let (index, dense) = interned(&log);
    let (sorted_index, sorted_dense) = interned_sorted(&log);
    for params in [
        RfmParams::new(day(70)),
        RfmParams::new(day(40))
            .future(FuturePolicy::Drop)
            .refunds(RefundPolicy::Drop)
            .recency(RecencyBasis::LastTransaction),
        RfmParams::new(day(70))
            .frequency(FrequencyBasis::EveryRow)
            .recency(RecencyBasis::LastTransaction),
    ] {
        let keyed = RfmTable::from_transactions_in(&log, &index, &params).unwrap();
        assert_eq!(
            RfmTable::from_interned(&dense, &index, &params).unwrap(),
            keyed
        );
        // Another index (ids in key order) is another customer set: the same summaries by key.
        let sorted = RfmTable::from_interned(&sorted_dense, &sorted_index, &params).unwrap();
        assert_ne!(sorted.universe(), keyed.universe());
        assert_eq!(content(&sorted), content(&keyed));
    }
}

#[test]
fn large_interned_logs_name_their_earliest_bad_row() {
    // Large enough for one range of customers per thread under `parallel`: bad rows of
    // customers at both ends of the id range and an id outside the index; the earliest is named
    // whichever thread owns it.
    let customers = 5_000u32;
    let index = saas_segmentation::CustomerIndex::sorted_from_keys(0..customers).unwrap();
    let mut log: Vec<Transaction<saas_segmentation::CustomerId>> = (0..200_000u32)
        .map(|i| {
            let id = index
                .get(&(i.wrapping_mul(2_654_435_761) % customers))
                .unwrap();
            Transaction::new(id, day(i64::from(i % 50)), 10.0)
        })
        .collect();
    let last = cid(customers - 1);
    let first = cid(0);
    log[150_000] = Transaction::new(first, day(3), f64::NAN);
    log[120_000] = Transaction::new(cid(customers), day(3), 1.0);
    log[90_000] = Transaction::new(last, day(99), 1.0);
    let params = RfmParams::new(day(60));
    let error = RfmTable::from_interned(&log, &index, &params).unwrap_err();
    assert!(
        matches!(&error, Error::OutOfRange { record, .. } if record.starts_with("transaction row 90000")),
        "{error}"
    );
    log[90_000].date = day(1);
    let error = RfmTable::from_interned(&log, &index, &params).unwrap_err();
    assert!(
        matches!(&error, Error::UnknownCustomer { record, .. } if record == "transaction row 120000"),
        "{error}"
    );
    log[120_000].customer = last;
    let error = RfmTable::from_interned(&log, &index, &params).unwrap_err();
    assert!(
        matches!(&error, Error::NonFinite { record, .. } if record == "transaction row 150000"),
        "{error}"
    );
    log[150_000].amount = 1.0;
    let table = RfmTable::from_interned(&log, &index, &params).unwrap();
    assert_eq!(table.len(), customers as usize);
    assert_eq!(table.report().purchases, 200_000);
}

/// A table's summaries by key and its report: what two tables over different indexes of the
/// same keys share.
fn content<K: Clone>(
    table: &RfmTable<K>,
) -> (
    Vec<(K, saas_segmentation::rfm::RfmSummary)>,
    saas_segmentation::rfm::RfmReport,
) {
    (
        table.iter().map(|(k, s)| (k.clone(), s)).collect(),
        table.report().clone(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn interned_ids_give_the_keyed_table(rows in arbitrary_log(), policy in 0usize..3, last in any::<bool>(), every in any::<bool>()) {
        let log = to_log(&rows);
        let (index, dense) = interned(&log);
        let refunds = [RefundPolicy::Net, RefundPolicy::Drop, RefundPolicy::Reject][policy];
        let recency = if last { RecencyBasis::LastTransaction } else { RecencyBasis::LastPurchase };
        let frequency = if every { FrequencyBasis::EveryRow } else { FrequencyBasis::Purchases };
        let params = RfmParams::new(day(50)).refunds(refunds).recency(recency).future(FuturePolicy::Drop).frequency(frequency);
        let keyed = RfmTable::from_transactions_in(&log, &index, &params);
        let by_id = RfmTable::from_interned(&dense, &index, &params);
        let (sorted_index, sorted_dense) = interned_sorted(&log);
        let by_sorted_id = RfmTable::from_interned(&sorted_dense, &sorted_index, &params);
        match (&by_id, by_sorted_id) {
            (Ok(a), Ok(b)) => prop_assert_eq!(content(a), content(&b)),
            (Err(a), Err(b)) => prop_assert_eq!(std::mem::discriminant(a), std::mem::discriminant(&b)),
            (a, b) => prop_assert!(false, "first-appearance ids {:?} but key-order ids {:?}", a, b),
        }
        match (keyed, by_id) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(std::mem::discriminant(&a), std::mem::discriminant(&b)),
            (a, b) => prop_assert!(false, "keyed {:?} but interned {:?}", a, b),
        }
    }

    #[test]
    fn reordering_changes_nothing(rows in arbitrary_log(), seed in any::<u64>()) {
        let log = to_log(&rows);
        let params = RfmParams::new(day(70)).recency(RecencyBasis::LastTransaction);
        let Ok(once) = RfmTable::from_transactions(&log, &params) else { return Ok(()) };
        let mut shuffled = log.clone();
        let mut rng = saas_segmentation::random::SeededRng::new(seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let again = RfmTable::from_transactions(&shuffled, &params).unwrap();
        prop_assert_eq!(&once, &again);
        let scoring = ScoreParams::uniform(Binning::RankFirst { bins: 4 });
        prop_assert_eq!(RfmScores::new(&once, &scoring).unwrap(), RfmScores::new(&again, &scoring).unwrap());
    }

    #[test]
    fn merged_chunks_equal_one_pass(mut rows in arbitrary_log(), cut in 0usize..120, interleave in any::<bool>(), every in any::<bool>()) {
        let params = if every {
            RfmParams::new(day(70)).frequency(FrequencyBasis::EveryRow)
        } else {
            RfmParams::new(day(70))
        };
        if !interleave {
            rows.sort_by_key(|r| r.1); // date-ordered chunks: every field must agree
        }
        let log = to_log(&rows);
        let cut = cut.min(log.len());
        let mut left = RfmAccumulator::new(params);
        left.add(&log[..cut]).unwrap();
        let mut right = RfmAccumulator::new(params);
        right.add(&log[cut..]).unwrap();
        left.merge(right).unwrap();
        let merged = left.finish().unwrap();
        let mut single = RfmAccumulator::new(params);
        single.add(&log).unwrap();
        let single = single.finish().unwrap();
        let exact = RfmTable::from_transactions(&log, &params).ok();
        prop_assert!(merged.keys().eq(single.keys()));
        prop_assert_eq!(merged.report(), single.report());
        for ((k, m), (_, s)) in merged.iter().zip(single.iter()) {
            prop_assert_eq!(m.monetary, s.monetary);
            prop_assert_eq!(m.recency_days, s.recency_days);
            prop_assert_eq!(m.frequency, s.frequency);
            prop_assert_eq!(m.first_purchase, s.first_purchase);
            if interleave {
                // Counted when the chunks allow it, and then exactly; else honestly unknown.
                let truth = exact.as_ref().and_then(|t| t.get(k)).and_then(|e| e.purchase_days);
                prop_assert!(m.purchase_days.is_none() || m.purchase_days == truth);
            } else {
                prop_assert_eq!(m.purchase_days, s.purchase_days);
            }
        }
    }

    #[test]
    fn every_row_frequency_counts_the_kept_rows(rows in arbitrary_log(), drop in any::<bool>()) {
        let log = to_log(&rows);
        let refunds = if drop { RefundPolicy::Drop } else { RefundPolicy::Net };
        let params = RfmParams::new(day(70)).refunds(refunds).future(FuturePolicy::Drop)
            .recency(RecencyBasis::LastTransaction).frequency(FrequencyBasis::EveryRow);
        let Ok(table) = RfmTable::from_transactions(&log, &params) else { return Ok(()) };
        let r = table.report();
        let counted: u64 = table.iter().map(|(_, s)| u64::from(s.frequency)).sum();
        prop_assert_eq!(counted, r.rows - r.future_rows - r.refunds_dropped);
        let purchases = RfmTable::from_transactions(&log, &params.frequency(FrequencyBasis::Purchases)).unwrap();
        for ((_, e), (_, p)) in table.iter().zip(purchases.iter()) {
            prop_assert!(e.frequency >= p.frequency);
            prop_assert_eq!(e.monetary, p.monetary);
            prop_assert_eq!(e.purchase_days, p.purchase_days);
        }
    }

    #[test]
    fn more_spend_never_lowers_the_monetary_score(rows in arbitrary_log(), who in 0u8..12, extra in 1i32..5_000, rank_first in any::<bool>()) {
        let mut log = to_log(&rows);
        let params = RfmParams::new(day(70));
        let scoring = if rank_first {
            ScoreParams::uniform(Binning::RankFirst { bins: 5 })
        } else {
            ScoreParams::default()
        };
        let Ok(before) = RfmTable::from_transactions(&log, &params) else { return Ok(()) };
        let Some(position) = before.keys().position(|k| *k == who) else { return Ok(()) };
        let score_before = RfmScores::new(&before, &scoring).unwrap().monetary().scores()[position];
        let first_day = before.get(&who).unwrap().first_purchase.unwrap();
        log.push(Transaction::new(who, first_day, f64::from(extra)));
        let after = RfmTable::from_transactions(&log, &params).unwrap();
        let score_after = RfmScores::new(&after, &scoring).unwrap().monetary().scores()[position];
        prop_assert!(score_after >= score_before);
    }

    #[test]
    fn scores_are_in_range_and_bins_add_up(rows in arbitrary_log(), bins in 2u8..=10, method in 0usize..3) {
        let log = to_log(&rows);
        let Ok(table) = RfmTable::from_transactions(&log, &RfmParams::new(day(70))) else { return Ok(()) };
        let binning = [Binning::TiesShare { bins }, Binning::RankFirst { bins }, Binning::RQuantile { bins }][method].clone();
        let scores = RfmScores::new(&table, &ScoreParams::uniform(binning)).unwrap();
        for dim in [scores.recency(), scores.frequency(), scores.monetary()] {
            prop_assert!(dim.scores().iter().all(|&s| s >= 1 && s <= bins));
            prop_assert_eq!(dim.bins().iter().map(|b| b.customers).sum::<usize>(), table.len());
        }
        let segments = RfmSegmentTable::default_table();
        if bins == 5 {
            prop_assert_eq!(segments.apply(&scores).unwrap().unassigned(), 0);
        }
    }
}

#[test]
fn large_inputs_equal_chunked_serial_passes() {
    // From 65,536 rows the `parallel` feature splits the pass over threads; chunks below that
    // size run serially. Both must agree exactly.
    let base = saas_segmentation::synthetic::generate(
        &saas_segmentation::synthetic::SyntheticConfig::new(12_000).seed(4),
    )
    .unwrap();
    let log = base.transactions();
    assert!(log.len() > 1 << 16);
    let params = RfmParams::new(base.analysis_date());
    let whole = RfmTable::from_transactions(log, &params).unwrap();
    let mut chunked = RfmAccumulator::new(params);
    for chunk in log.chunks(10_000) {
        chunked.add(chunk).unwrap();
    }
    let chunked = chunked.finish().unwrap();
    assert!(whole.iter().zip(chunked.iter()).all(|(a, b)| a.0 == b.0
        && a.1.monetary == b.1.monetary
        && a.1.frequency == b.1.frequency
        && a.1.recency_days == b.1.recency_days));
    assert_eq!(whole.report(), chunked.report());
    let scoring = ScoreParams::default();
    assert_eq!(
        RfmScores::new(&whole, &scoring).unwrap(),
        RfmScores::new(&chunked, &scoring).unwrap()
    );
}
