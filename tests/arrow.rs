//! Arrow record batches in: every reader against the same records built by hand, over the
//! column types real exports use, with nulls, wrong types and unknown customers.
#![cfg(feature = "arrow")]

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array,
    LargeStringArray, RecordBatch, StringArray, TimestampMillisecondArray, UInt32Array,
};
use saas_segmentation::activity::ActivityEvent;
use saas_segmentation::arrow::ArrowReader;
use saas_segmentation::economics::{monthly_mrr, SnapshotRule};
use saas_segmentation::lenient::EventNames;
use saas_segmentation::records::{BadRows, Transaction};
use saas_segmentation::rfm::{RfmParams, RfmTable};
use saas_segmentation::{CustomerIndex, Date, Error};

fn day(s: &str) -> Date {
    s.parse().expect("date")
}

fn days(s: &[&str]) -> Vec<i32> {
    s.iter().map(|d| day(d).days()).collect()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).expect("one length")
}

#[test]
fn transactions_from_every_key_date_and_amount_type_equal_the_hand_built_log() {
    let keys = ["zed", "amy", "zed", "bob", "amy"];
    let dates = [
        "2024-01-03",
        "2024-01-05",
        "2024-02-01",
        "2024-02-10",
        "2024-03-01",
    ];
    let amounts = [10.5, 20.0, -3.25, 7.0, 12.0];
    let expected: Vec<Transaction<String>> = keys
        .iter()
        .zip(dates)
        .zip(amounts)
        .map(|((k, d), a)| Transaction::new(k.to_string(), day(d), a))
        .collect();
    let mut dictionary = StringDictionaryBuilder::<Int32Type>::new();
    for k in keys {
        dictionary.append_value(k);
    }
    let key_columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(keys.to_vec())),
        Arc::new(LargeStringArray::from(keys.to_vec())),
        Arc::new(dictionary.finish()),
    ];
    let millis: Vec<i64> = days(&dates)
        .iter()
        .map(|&d| i64::from(d) * 86_400_000 + 13 * 3_600_000)
        .collect();
    let date_columns: Vec<ArrayRef> = vec![
        Arc::new(Date32Array::from(days(&dates))),
        Arc::new(TimestampMillisecondArray::from(millis).with_timezone("UTC")),
        Arc::new(StringArray::from(dates.to_vec())),
    ];
    let cents: Vec<i128> = amounts.iter().map(|a| (a * 100.0) as i128).collect();
    let amount_columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(amounts.to_vec())),
        Arc::new(
            Decimal128Array::from(cents)
                .with_precision_and_scale(12, 2)
                .expect("decimal"),
        ),
    ];
    let analysis = RfmParams::new(day("2024-04-01"));
    let reference = RfmTable::from_transactions(&expected, &analysis).expect("table");
    for k in &key_columns {
        for d in &date_columns {
            for a in &amount_columns {
                let b = batch(vec![
                    ("customer_id", k.clone()),
                    ("date", d.clone()),
                    ("amount", a.clone()),
                ]);
                let mut index = CustomerIndex::<String>::new();
                let (log, report) = ArrowReader::new()
                    .transactions(&[b], &mut index)
                    .expect("read");
                assert_eq!(
                    (report.rows, report.new_customers, report.dropped_nulls),
                    (5, 3, 0)
                );
                let back: Vec<Transaction<String>> = log
                    .iter()
                    .map(|t| {
                        Transaction::new(index.key(t.customer).unwrap().clone(), t.date, t.amount)
                    })
                    .collect();
                assert_eq!(
                    back,
                    expected,
                    "{:?} {:?} {:?}",
                    k.data_type(),
                    d.data_type(),
                    a.data_type()
                );
                // The interned log gives the keyed table, customer by customer.
                let table = RfmTable::from_interned(&log, &index, &analysis).expect("table");
                for (key, summary) in table.iter() {
                    assert_eq!(reference.get(key), Some(summary));
                }
            }
        }
    }
}

#[test]
fn batches_continue_row_numbers_and_integer_keys_are_decimal_text() {
    let first = batch(vec![
        (
            "account",
            Arc::new(Int64Array::from(vec![42, 7])) as ArrayRef,
        ),
        (
            "day",
            Arc::new(Date32Array::from(days(&["2024-01-01", "2024-01-02"]))),
        ),
        ("paid", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    let second = batch(vec![
        (
            "account",
            Arc::new(Int64Array::from(vec![Some(42), None])) as ArrayRef,
        ),
        (
            "day",
            Arc::new(Date32Array::from(days(&["2024-01-03", "2024-01-04"]))),
        ),
        ("paid", Arc::new(Float64Array::from(vec![3.0, 4.0]))),
    ]);
    let reader = ArrowReader::new()
        .customer("account")
        .date("day")
        .amount("paid");
    let mut index = CustomerIndex::<String>::new();
    let error = reader
        .transactions(&[first.clone(), second.clone()], &mut index)
        .expect_err("null key");
    let text = error.to_string();
    assert!(text.contains("row 3") && text.contains("account"), "{text}");
    let mut index = CustomerIndex::<String>::new();
    let (log, report) = reader
        .clone()
        .nulls(BadRows::Drop)
        .transactions(&[first, second], &mut index)
        .expect("read");
    assert_eq!((report.rows, report.dropped_nulls, log.len()), (4, 1, 3));
    assert_eq!(index.keys(), ["42", "7"]);
}

#[test]
fn wrong_types_and_missing_columns_are_named() {
    let b = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("date", Arc::new(BooleanArray::from(vec![true]))),
        ("amount", Arc::new(StringArray::from(vec!["12,5x"]))),
    ]);
    let mut index = CustomerIndex::<String>::new();
    let text = ArrowReader::new()
        .transactions(std::slice::from_ref(&b), &mut index)
        .expect_err("boolean dates")
        .to_string();
    assert!(
        text.contains("\"date\"") && text.contains("Boolean"),
        "{text}"
    );
    let text = ArrowReader::new()
        .date("missing")
        .transactions(std::slice::from_ref(&b), &mut index)
        .expect_err("no such column")
        .to_string();
    assert!(
        text.contains("\"missing\"") && text.contains("customer_id, date, amount"),
        "{text}"
    );
    let dated = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("date", Arc::new(StringArray::from(vec!["2024-01-01"]))),
        ("amount", Arc::new(StringArray::from(vec!["12,5x"]))),
    ]);
    let text = ArrowReader::new()
        .transactions(&[dated], &mut index)
        .expect_err("not a number")
        .to_string();
    assert!(text.contains("row 0") && text.contains("amount"), "{text}");
    let infinite = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(days(&["2024-01-01"])))),
        ("amount", Arc::new(Float64Array::from(vec![f64::INFINITY]))),
    ]);
    assert!(matches!(
        ArrowReader::new().transactions(&[infinite], &mut index),
        Err(Error::NonFinite { .. })
    ));
    let far = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(vec![i32::MAX]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    assert!(matches!(
        ArrowReader::new().transactions(&[far], &mut index),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn subscriptions_expand_like_hand_built_ones() {
    let b = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "b", "a"])) as ArrayRef,
        ),
        (
            "start_date",
            Arc::new(StringArray::from(vec![
                "2024-01-15",
                "2024-02-01",
                "2024-03-01",
            ])),
        ),
        (
            "end_date",
            Arc::new(StringArray::from(vec![Some("2024-03-01"), None, None])),
        ),
        ("mrr", Arc::new(UInt32Array::from(vec![100, 50, 120]))),
    ]);
    let mut index = CustomerIndex::<String>::new();
    let (subscriptions, report) = ArrowReader::new()
        .subscriptions(&[b], &mut index)
        .expect("read");
    assert_eq!(report.rows, 3);
    assert_eq!(subscriptions[0].end, Some(day("2024-03-01")));
    assert_eq!(subscriptions[1].end, None);
    let through = day("2024-04-30");
    let rows = monthly_mrr(&subscriptions, SnapshotRule::MonthStart, through).expect("rows");
    let by_hand: Vec<_> = subscriptions
        .iter()
        .map(|s| {
            saas_segmentation::economics::Subscription::new(
                index.key(s.customer).unwrap().clone(),
                s.start,
                s.end,
                s.mrr,
            )
        })
        .collect();
    let keyed = monthly_mrr(&by_hand, SnapshotRule::MonthStart, through).expect("rows");
    assert_eq!(rows.len(), keyed.len());
    for (a, b) in rows.iter().zip(&keyed) {
        assert_eq!(index.key(a.customer).unwrap(), &b.customer);
        assert_eq!((a.month, a.mrr), (b.month, b.mrr));
    }
}

#[test]
fn activity_signups_and_mrr_rows_read_by_name() {
    let b = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "b", "a"])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(days(&[
                "2024-01-01",
                "2024-01-02",
                "2024-01-03",
            ]))),
        ),
        (
            "event",
            Arc::new(StringArray::from(vec!["login", "invite_team", "reports"])),
        ),
        ("mrr", Arc::new(Float64Array::from(vec![10.0, 20.0, 30.0]))),
    ]);
    let names = EventNames::default().workflows(["invite_team"]);
    let mut index = CustomerIndex::<String>::new();
    let (activity, _) = ArrowReader::new()
        .activity(std::slice::from_ref(&b), &names, &mut index)
        .expect("read");
    assert_eq!(activity[0].event, ActivityEvent::Login);
    assert_eq!(
        activity[1].event,
        ActivityEvent::Workflow("invite_team".into())
    );
    assert_eq!(activity[2].event, ActivityEvent::Feature("reports".into()));
    let (signups, _) = ArrowReader::new()
        .signups(std::slice::from_ref(&b), &mut index)
        .expect("read");
    assert_eq!(signups.len(), 3);
    let (mrr, _) = ArrowReader::new().mrr_rows(&[b], &mut index).expect("read");
    assert_eq!(mrr[2].mrr, 30.0);
    assert_eq!(index.len(), 2);
}

#[test]
fn per_customer_values_and_features_follow_the_index_not_the_row_order() {
    // The index holds the keys in another order than the table's rows.
    let index =
        CustomerIndex::from_keys(["c".to_owned(), "a".to_owned(), "b".to_owned()]).expect("index");
    let table = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
        ),
        (
            "seats",
            Arc::new(Int64Array::from(vec![Some(5), None, Some(40)])),
        ),
        (
            "mrr",
            Arc::new(Float64Array::from(vec![100.0, 250.0, 900.0])),
        ),
        (
            "plan",
            Arc::new(StringArray::from(vec!["Pro", "Basic", "Enterprise"])),
        ),
        (
            "champion",
            Arc::new(StringArray::from(vec!["yes", "FALSE", ""])),
        ),
    ]);
    let reader = ArrowReader::new();
    let seats = reader
        .values(std::slice::from_ref(&table), "seats", &index)
        .expect("values");
    assert_eq!(seats.of_key(&index, "a").expect("a"), Some(&5.0));
    assert_eq!(seats.of_key(&index, "b").expect("b"), None);
    assert_eq!(seats.of_key(&index, "c").expect("c"), Some(&40.0));
    let plan = reader
        .categories(std::slice::from_ref(&table), "plan", &index)
        .expect("plan");
    assert_eq!(
        plan.of_key(&index, "b").expect("b").map(String::as_str),
        Some("Basic")
    );
    let champion = reader
        .flags(std::slice::from_ref(&table), "champion", &index)
        .expect("flags");
    assert_eq!(champion.of_key(&index, "a").expect("a"), Some(&true));
    assert_eq!(champion.of_key(&index, "c").expect("c"), None);
    let features = reader
        .features(std::slice::from_ref(&table), &["mrr"], &index)
        .expect("features");
    assert_eq!(
        features.view().column(0).to_vec(),
        vec![900.0, 100.0, 250.0]
    );
    let text = reader
        .features(std::slice::from_ref(&table), &["mrr", "seats"], &index)
        .expect_err("a null seat")
        .to_string();
    assert!(text.contains("seats") && text.contains("\"b\""), "{text}");
    // A customer on two rows, and one the index does not hold.
    let twice = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "a"])) as ArrayRef,
        ),
        ("mrr", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    assert!(matches!(
        reader.values(&[twice], "mrr", &index),
        Err(Error::DuplicateName { .. })
    ));
    let stranger = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["zz"])) as ArrayRef,
        ),
        ("mrr", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    assert!(matches!(
        reader.values(&[stranger], "mrr", &index),
        Err(Error::UnknownCustomer { .. })
    ));
    // A missing row for the feature matrix names the customer.
    let short = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("mrr", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    let text = reader
        .features(&[short], &["mrr"], &index)
        .expect_err("rows missing")
        .to_string();
    assert!(text.contains("\"c\""), "{text}");
}

mod adversarial {
    use super::*;
    use proptest::prelude::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn nasty_f64() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            Just(Some(f64::NAN)),
            Just(Some(f64::INFINITY)),
            Just(Some(f64::MAX)),
            Just(Some(-0.0)),
            Just(Some(5e-324)),
            any::<f64>().prop_map(Some),
            (-1e6f64..1e6).prop_map(Some),
        ]
    }

    fn nasty_day() -> impl Strategy<Value = Option<i32>> {
        prop_oneof![
            Just(None),
            Just(Some(i32::MIN)),
            Just(Some(i32::MAX)),
            Just(Some(-719_528)),
            Just(Some(2_932_896)),
            (-1_000i32..30_000).prop_map(Some),
        ]
    }

    fn nasty_text() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some(String::new())),
            Just(Some("2024-02-30".to_owned())),
            Just(Some("1e400".to_owned())),
            Just(Some("TRUE".to_owned())),
            "[a-c0-9\\-]{0,12}".prop_map(Some),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every reader on hostile columns: an error or a clean result, never a panic, and
        /// every number that comes out is finite.
        #[test]
        fn readers_never_panic(
            keys in proptest::collection::vec(nasty_text(), 0..12),
            int_keys in any::<bool>(),
            days in proptest::collection::vec(nasty_day(), 12),
            amounts in proptest::collection::vec(nasty_f64(), 12),
            texts in proptest::collection::vec(nasty_text(), 12),
            scale in -5i8..20,
            drop in any::<bool>(),
        ) {
            let n = keys.len();
            let key_column: ArrayRef = if int_keys {
                Arc::new(Int64Array::from(keys.iter().map(|k| k.as_ref().map(|k| k.len() as i64 - 3)).collect::<Vec<_>>()))
            } else {
                Arc::new(StringArray::from(keys.clone()))
            };
            let decimals: Vec<Option<i128>> = amounts[..n].iter().map(|a| a.map(|v| v.clamp(-1e30, 1e30) as i128)).collect();
            let decimal = Decimal128Array::from(decimals).with_precision_and_scale(38, scale).ok();
            let mut columns: Vec<(&str, ArrayRef)> = vec![
                ("customer_id", key_column),
                ("date", Arc::new(Date32Array::from(days[..n].to_vec()))),
                ("amount", Arc::new(Float64Array::from(amounts[..n].to_vec()))),
                ("mrr", Arc::new(StringArray::from(texts[..n].to_vec()))),
                ("start_date", Arc::new(StringArray::from(texts[..n].to_vec()))),
                ("end_date", Arc::new(TimestampMillisecondArray::from(days[..n].iter().map(|d| d.map(|d| i64::from(d) * 86_400_000)).collect::<Vec<_>>()))),
                ("event", Arc::new(StringArray::from(texts[..n].to_vec()))),
            ];
            if let Some(decimal) = decimal {
                columns.push(("cost", Arc::new(decimal)));
            }
            let b = batch(columns);
            let policy = if drop { BadRows::Drop } else { BadRows::Reject };
            let reader = ArrowReader::new().nulls(policy);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let mut index = CustomerIndex::<String>::new();
                let batches = std::slice::from_ref(&b);
                if let Ok((log, report)) = reader.transactions(batches, &mut index) {
                    assert!(log.iter().all(|t| t.amount.is_finite()));
                    assert_eq!(report.rows as usize, n);
                    assert_eq!(log.len() as u64 + report.dropped_nulls, report.rows);
                }
                let _ = reader.mrr_rows(batches, &mut index);
                let _ = reader.subscriptions(batches, &mut index);
                let _ = reader.signups(batches, &mut index);
                let _ = reader.activity(batches, &EventNames::default(), &mut index);
                let _ = reader.clone().amount("cost").transactions(batches, &mut index);
                for column in ["amount", "cost", "mrr", "event"] {
                    if let Ok(v) = reader.values(batches, column, &index) {
                        assert!(v.iter().all(|(_, x)| x.is_none_or(|x| x.is_finite())));
                    }
                    let _ = reader.categories(batches, column, &index);
                    let _ = reader.flags(batches, column, &index);
                }
                if let Ok(m) = reader.features(batches, &["amount", "cost"], &index) {
                    assert!(m.view().iter().all(|x| x.is_finite()));
                }
            }));
            prop_assert!(outcome.is_ok(), "a reader panicked");
        }
    }
}

#[test]
fn integer_keys_intern_without_text_and_sliced_batches_read_their_own_rows() {
    let b = batch(vec![
        (
            "customer_id",
            Arc::new(UInt32Array::from(vec![
                Some(9),
                Some(4),
                None,
                Some(9),
                Some(7),
            ])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![
                Some(19_700),
                None,
                Some(19_702),
                Some(19_703),
                Some(19_704),
            ])),
        ),
        (
            "amount",
            Arc::new(Float64Array::from(vec![
                Some(1.0),
                Some(2.0),
                Some(3.0),
                None,
                Some(5.0),
            ])),
        ),
    ]);
    // Rows 1..5 of the batch: offsets must be honoured in keys, dates, amounts and nulls.
    let sliced = b.slice(1, 4);
    let reader = ArrowReader::new().nulls(BadRows::Drop);
    let mut index = CustomerIndex::<u32>::new();
    let (log, report) = reader
        .transactions(std::slice::from_ref(&sliced), &mut index)
        .expect("read");
    // Row 1 has a null date, row 2 a null key, row 3 a null amount: only row 4 survives.
    assert_eq!((report.rows, report.dropped_nulls), (4, 3));
    assert_eq!(log.len(), 1);
    assert_eq!(index.key(log[0].customer), Some(&7));
    assert_eq!(log[0].amount, 5.0);
    // The same slice with text keys.
    let mut text_index = CustomerIndex::<String>::new();
    let (again, _) = reader
        .transactions(&[sliced], &mut text_index)
        .expect("read");
    assert_eq!(
        text_index.key(again[0].customer).map(String::as_str),
        Some("7")
    );
    // A dictionary sliced past its first codes.
    let mut dictionary = StringDictionaryBuilder::<Int32Type>::new();
    for k in ["a", "b", "a", "c"] {
        dictionary.append_value(k);
    }
    let d = batch(vec![
        ("customer_id", Arc::new(dictionary.finish()) as ArrayRef),
        ("date", Arc::new(Date32Array::from(vec![1, 2, 3, 4]))),
        (
            "amount",
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])),
        ),
    ])
    .slice(2, 2);
    let mut index = CustomerIndex::<String>::new();
    let (log, _) = ArrowReader::new()
        .transactions(&[d], &mut index)
        .expect("read");
    assert_eq!(index.keys(), ["a", "c"]);
    assert_eq!(log[1].amount, 4.0);
    // Integer keys out of the key type's range, and text keys into an integer index.
    let negative = batch(vec![
        (
            "customer_id",
            Arc::new(Int64Array::from(vec![-1])) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(vec![1]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    let text = ArrowReader::new()
        .transactions(&[negative], &mut CustomerIndex::<u64>::new())
        .expect_err("negative id")
        .to_string();
    assert!(text.contains("row 0") && text.contains("u64"), "{text}");
    let texts = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(vec![1]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    let text = ArrowReader::new()
        .transactions(&[texts], &mut CustomerIndex::<u64>::new())
        .expect_err("text keys")
        .to_string();
    assert!(text.contains("CustomerIndex<String>"), "{text}");
}

#[test]
fn rfm_from_batches_equals_the_one_pass_table_with_rows_out_of_order() {
    // Rows of each customer out of date order and spread over three batches, with refunds.
    let rows = 3_000usize;
    let keys: Vec<u32> = (0..rows)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761) % 97 + 1_000)
        .collect();
    let days: Vec<i32> = (0..rows)
        .map(|i| 19_000 + ((i * 7_919) % 400) as i32)
        .collect();
    let amounts: Vec<f64> = (0..rows)
        .map(|i| {
            if i % 17 == 0 {
                -5.0
            } else {
                (i % 50) as f64 + 0.25
            }
        })
        .collect();
    let whole = batch(vec![
        (
            "customer_id",
            Arc::new(UInt32Array::from(keys.clone())) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(days.clone()))),
        ("amount", Arc::new(Float64Array::from(amounts.clone()))),
    ]);
    let batches = vec![
        whole.slice(0, 1_000),
        whole.slice(1_000, 1_500),
        whole.slice(2_500, 500),
    ];
    let log: Vec<Transaction<u32>> = (0..rows)
        .map(|i| {
            Transaction::new(
                keys[i],
                Date::from_days(i64::from(days[i])).unwrap(),
                amounts[i],
            )
        })
        .collect();
    let params = RfmParams::new(Date::from_days(19_500).unwrap());
    let expected = RfmTable::from_transactions(&log, &params).expect("table");
    let (table, report) = ArrowReader::new()
        .rfm_table::<u32>(&batches, &params)
        .expect("table");
    assert_eq!(report.rows, rows as u64);
    assert_eq!(table, expected);
    assert!(table.iter().all(|(_, s)| s.purchase_days.is_some()));
    let (keyed, _) = ArrowReader::new()
        .keyed_transactions::<u32>(&batches)
        .expect("log");
    assert_eq!(keyed, log);
    assert!(matches!(
        ArrowReader::new().rfm_table::<u32>(&[], &params),
        Err(Error::EmptyInput { .. })
    ));
}

#[test]
fn retention_from_batches_equals_the_keyed_matrix() {
    use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
    use saas_segmentation::Period;
    let signups = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["c", "a", "b"])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(StringArray::from(vec![
                "2024-01-10",
                "2024-01-20",
                "2024-02-03",
            ])),
        ),
    ]);
    let events = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "a", "c", "zz", "b"])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(StringArray::from(vec![
                "2024-02-11",
                "2024-03-01",
                "2024-03-09",
                "2024-03-09",
                "2024-03-10",
            ])),
        ),
    ]);
    let mut index = CustomerIndex::<String>::new();
    let (dense_signups, _) = ArrowReader::new()
        .signups(&[signups], &mut index)
        .expect("signups");
    let lookup = index.dense();
    let cohorts = Cohorts::by_signup(&lookup, &dense_signups, Grid::Calendar(Period::Month))
        .expect("cohorts");
    let params = RetentionParams::new(day("2024-03-31"));
    // "zz" signed up nowhere: refused, or dropped and counted.
    let text = ArrowReader::new()
        .events(std::slice::from_ref(&events), &index)
        .expect_err("unknown customer")
        .to_string();
    assert!(text.contains("row 3") && text.contains("zz"), "{text}");
    let (dense_events, report) = ArrowReader::new()
        .nulls(BadRows::Drop)
        .events(&[events], &index)
        .expect("events");
    assert_eq!((report.rows, report.dropped_unknown), (5, 1));
    let matrix =
        RetentionMatrix::compute(&lookup, &cohorts, &dense_events, &params).expect("matrix");
    let keyed_signups = [
        ("c", day("2024-01-10")),
        ("a", day("2024-01-20")),
        ("b", day("2024-02-03")),
    ];
    let keyed_index = CustomerIndex::from_keys(["c", "a", "b"]).expect("index");
    let keyed_cohorts =
        Cohorts::by_signup(&keyed_index, &keyed_signups, Grid::Calendar(Period::Month))
            .expect("cohorts");
    let keyed_events = [
        ("a", day("2024-02-11")),
        ("a", day("2024-03-01")),
        ("c", day("2024-03-09")),
        ("b", day("2024-03-10")),
    ];
    let keyed = RetentionMatrix::compute(&keyed_index, &keyed_cohorts, &keyed_events, &params)
        .expect("matrix");
    assert_eq!(matrix.rates(), keyed.rates());
    assert_eq!(matrix.sizes(), keyed.sizes());
}

#[test]
fn activity_counts_and_durations_come_from_their_columns() {
    let b = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "a", "b"])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(days(&[
                "2024-01-01",
                "2024-01-02",
                "2024-01-02",
            ]))),
        ),
        (
            "event",
            Arc::new(StringArray::from(vec!["reports", "login", "reports"])),
        ),
        (
            "uses",
            Arc::new(Int64Array::from(vec![Some(4), None, Some(0)])),
        ),
        (
            "minutes",
            Arc::new(Float64Array::from(vec![Some(2.5), None, Some(1.0)])),
        ),
    ]);
    let reader = ArrowReader::new().count("uses").duration("minutes");
    let mut index = CustomerIndex::<String>::new();
    let (activity, _) = reader
        .activity(std::slice::from_ref(&b), &EventNames::default(), &mut index)
        .expect("read");
    assert_eq!(
        activity
            .iter()
            .map(|a| (a.count, a.duration_minutes))
            .collect::<Vec<_>>(),
        vec![(4, Some(2.5)), (1, None), (0, Some(1.0))]
    );
    let bad = batch(vec![
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(days(&["2024-01-01"])))),
        ("event", Arc::new(StringArray::from(vec!["reports"]))),
        ("uses", Arc::new(Float64Array::from(vec![2.5]))),
        ("minutes", Arc::new(Float64Array::from(vec![-1.0]))),
    ]);
    let text = reader
        .activity(
            std::slice::from_ref(&bad),
            &EventNames::default(),
            &mut index,
        )
        .expect_err("a fractional count")
        .to_string();
    assert!(text.contains("uses") && text.contains("row 0"), "{text}");
    let text = ArrowReader::new()
        .duration("minutes")
        .activity(&[bad], &EventNames::default(), &mut index)
        .expect_err("negative minutes")
        .to_string();
    assert!(text.contains("minutes"), "{text}");
}

#[test]
fn exported_tags_read_back_by_key() {
    use saas_segmentation::arrow::tags_batch;
    use saas_segmentation::export::{export_tags, ExportParams};
    use saas_segmentation::{PerCustomer, Segmentation};
    // Index order differs from key order.
    let index = CustomerIndex::from_keys(["zed".to_owned(), "amy".to_owned(), "bob".to_owned()])
        .expect("index");
    let plan = PerCustomer::from_keyed(
        &index,
        [("zed", "Pro"), ("amy", "Basic"), ("bob", "Pro")]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .expect("plan");
    let segments = Segmentation::from_categories("plan", &plan).expect("segments");
    let scores =
        PerCustomer::from_keyed(&index, [("zed".to_owned(), 0.5), ("amy".to_owned(), 0.25)])
            .expect("scores");
    let params = ExportParams::new("plans", "2", day("2026-12-07")).scores(&scores);
    let export = export_tags(&segments, &index, &params).expect("export");
    let b = tags_batch(&export).expect("batch");
    let back = ArrowReader::new()
        .categories(std::slice::from_ref(&b), "segment", &index)
        .expect("read");
    for key in ["zed", "amy", "bob"] {
        assert_eq!(
            back.of_key(&index, key).expect("key"),
            plan.of_key(&index, key).expect("key")
        );
    }
    let read_scores = ArrowReader::new()
        .values(&[b], "score", &index)
        .expect("scores");
    assert_eq!(read_scores.of_key(&index, "amy").expect("amy"), Some(&0.25));
    assert_eq!(read_scores.of_key(&index, "bob").expect("bob"), None);
}

#[test]
fn profiles_from_a_flat_table() {
    use saas_segmentation::lenient::Vocabularies;
    use saas_segmentation::model::{Industry, PlanTier, Vocabulary};
    let b = batch(vec![
        (
            "account",
            Arc::new(StringArray::from(vec!["acme", "globex"])) as ArrayRef,
        ),
        (
            "firmographic.industry",
            Arc::new(StringArray::from(vec![Some("DevTools"), None])),
        ),
        ("employees", Arc::new(Int64Array::from(vec![1_250, 40]))),
        ("plan", Arc::new(StringArray::from(vec!["Pro", "Basic"]))),
        (
            "mrr",
            Arc::new(
                Decimal128Array::from(vec![420_000i128, 9_900])
                    .with_precision_and_scale(12, 2)
                    .expect("decimal"),
            ),
        ),
        (
            "champion",
            Arc::new(BooleanArray::from(vec![Some(true), None])),
        ),
        (
            "customer_since",
            Arc::new(Date32Array::from(days(&["2023-05-01", "2024-02-29"]))),
        ),
        ("seats", Arc::new(UInt32Array::from(vec![48, 3]))),
        ("seat_limit", Arc::new(UInt32Array::from(vec![50, 5]))),
    ]);
    let vocabularies = Vocabularies {
        industry: Vocabulary::new().alias("DevTools", Industry::Software),
        plan: Vocabulary::new()
            .alias("Pro", PlanTier::Professional)
            .alias("Basic", PlanTier::Starter),
        ..Vocabularies::default()
    };
    let reader = ArrowReader::new().customer("account");
    let profiles = reader
        .profiles::<String>(std::slice::from_ref(&b), &vocabularies)
        .expect("profiles");
    let (key, acme) = &profiles[0];
    assert_eq!(key, "acme");
    assert_eq!(acme.firmographic.industry, Some(Industry::Software));
    assert_eq!(acme.firmographic.employees, Some(1_250));
    assert_eq!(acme.value.plan_label.as_deref(), Some("Pro"));
    assert_eq!(acme.value.mrr, Some(4_200.0));
    assert_eq!(acme.persona.champion, Some(true));
    assert_eq!(acme.value.customer_since, Some(day("2023-05-01")));
    assert_eq!(acme.value.seat_utilization(), Some(0.96));
    let (_, globex) = &profiles[1];
    assert_eq!(
        (globex.firmographic.industry, globex.persona.champion),
        (None, None)
    );
    assert_eq!(globex.value.plan_tier, Some(PlanTier::Starter));
    // A column that is no profile field is named.
    let extra = batch(vec![
        (
            "account",
            Arc::new(StringArray::from(vec!["acme"])) as ArrayRef,
        ),
        (
            "favourite_colour",
            Arc::new(StringArray::from(vec!["blue"])),
        ),
    ]);
    let text = reader
        .profiles::<String>(&[extra], &vocabularies)
        .expect_err("unknown column")
        .to_string();
    assert!(
        text.contains("favourite_colour") && text.contains("row 0"),
        "{text}"
    );
}

#[test]
fn rfm_from_borrowed_text_keys_equals_the_keyed_table() {
    let rows = 2_000usize;
    let keys: Vec<String> = (0..rows)
        .map(|i| format!("cus_{}", (i * 7_919) % 131))
        .collect();
    let days: Vec<i32> = (0..rows)
        .map(|i| 19_000 + ((i * 31) % 300) as i32)
        .collect();
    let amounts: Vec<f64> = (0..rows)
        .map(|i| {
            if i % 13 == 0 {
                -2.0
            } else {
                1.0 + (i % 9) as f64
            }
        })
        .collect();
    let mut dictionary = StringDictionaryBuilder::<Int32Type>::new();
    for k in &keys {
        dictionary.append_value(k);
    }
    let params = RfmParams::new(Date::from_days(19_400).unwrap());
    let log: Vec<Transaction<String>> = (0..rows)
        .map(|i| {
            Transaction::new(
                keys[i].clone(),
                Date::from_days(i64::from(days[i])).unwrap(),
                amounts[i],
            )
        })
        .collect();
    let expected = RfmTable::from_transactions(&log, &params).expect("table");
    for key_column in [
        Arc::new(StringArray::from(keys.clone())) as ArrayRef,
        Arc::new(LargeStringArray::from(keys.clone())) as ArrayRef,
        Arc::new(dictionary.finish()) as ArrayRef,
    ] {
        let whole = batch(vec![
            ("customer_id", key_column),
            ("date", Arc::new(Date32Array::from(days.clone()))),
            ("amount", Arc::new(Float64Array::from(amounts.clone()))),
        ]);
        let batches = vec![whole.slice(0, 700), whole.slice(700, 1_300)];
        let (table, report) = ArrowReader::new()
            .rfm_table_text(&batches, &params)
            .expect("table");
        assert_eq!(report.rows, rows as u64);
        assert_eq!(table.len(), expected.len());
        for ((k, a), (e, b)) in table.iter().zip(expected.iter()) {
            assert_eq!((*k, a), (e.as_str(), b));
        }
    }
    let ints = batch(vec![
        (
            "customer_id",
            Arc::new(UInt32Array::from(vec![1])) as ArrayRef,
        ),
        ("date", Arc::new(Date32Array::from(vec![1]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    assert!(ArrowReader::new().rfm_table_text(&[ints], &params).is_err());
}
