//! RFM checked against pandas and lifetimes (tests/fixtures/generate.py).

mod common;

use common::{assert_close, fixture};
use saas_segmentation::records::Transaction;
use saas_segmentation::rfm::{
    Binning, BtydParams, BtydPeriod, BtydSummary, FrequencyBasis, RecencyBasis, RefundDays,
    RfmAccumulator, RfmParams, RfmScores, RfmTable, ScoreParams,
};
use saas_segmentation::Date;
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn log(v: &Value) -> Vec<Transaction<String>> {
    let customers = strings(&v["customer"]);
    let dates = strings(&v["date"]);
    let amounts = numbers(&v["amount"]);
    customers
        .into_iter()
        .zip(dates)
        .zip(amounts)
        .map(|((c, d), a)| Transaction::new(c, d.parse().unwrap(), a))
        .collect()
}

#[test]
fn rank_first_scores_match_pandas_qcut() {
    let fixture = fixture("rank_first.json");
    let epoch = Date::from_ymd(2024, 1, 1).unwrap();
    let analysis = Date::from_ymd(2025, 1, 1).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let values: Vec<i64> = case["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let q = case["q"].as_u64().unwrap() as u8;
        let expected: Vec<u8> = case["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u8)
            .collect();
        // Customer i (keys in the fixture's order) has values[i] purchases.
        let mut log = Vec::new();
        for (i, &v) in values.iter().enumerate() {
            for _ in 0..v {
                log.push(Transaction::new(i as u32, epoch, 1.0));
            }
        }
        let table = RfmTable::from_transactions(&log, &RfmParams::new(analysis)).unwrap();
        let scores = RfmScores::new(
            &table,
            &ScoreParams::uniform(Binning::RankFirst { bins: q }),
        )
        .unwrap();
        assert_eq!(
            scores.frequency().scores(),
            expected.as_slice(),
            "n = {}, q = {q}",
            values.len()
        );
        // Monetary: the same values as money give the same scores.
        let money: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Transaction::new(i as u32, epoch, v as f64 / 100.0))
            .collect();
        let table = RfmTable::from_transactions(&money, &RfmParams::new(analysis)).unwrap();
        let scores = RfmScores::new(
            &table,
            &ScoreParams::uniform(Binning::RankFirst { bins: q }),
        )
        .unwrap();
        assert_eq!(scores.monetary().scores(), expected.as_slice());
        // Recency: days since a purchase `v` days before the analysis date, scored in reverse.
        let recent: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Transaction::new(i as u32, analysis.add_days(-v).unwrap(), 1.0))
            .collect();
        let table = RfmTable::from_transactions(&recent, &RfmParams::new(analysis)).unwrap();
        let scores = RfmScores::new(
            &table,
            &ScoreParams::uniform(Binning::RankFirst { bins: q }),
        )
        .unwrap();
        let reversed: Vec<u8> = expected.iter().map(|s| q + 1 - s).collect();
        assert_eq!(scores.recency().scores(), reversed.as_slice());
    }
}

fn check_pipeline(expected: &Value, table: &RfmTable<String>, scores: &RfmScores, with_days: bool) {
    let keys = strings(&expected["customer"]);
    assert_eq!(table.keys().cloned().collect::<Vec<_>>(), keys);
    let recency = numbers(&expected["recency"]);
    let frequency = numbers(&expected["frequency"]);
    let monetary = numbers(&expected["monetary"]);
    for (i, (_, s)) in table.iter().enumerate() {
        assert_eq!(s.recency_days as f64, recency[i], "{}", keys[i]);
        assert_eq!(f64::from(s.frequency), frequency[i], "{}", keys[i]);
        assert_close((s.monetary * 100.0).round() / 100.0, monetary[i], &keys[i]);
        if with_days {
            assert_eq!(
                f64::from(s.purchase_days.unwrap()),
                numbers(&expected["purchase_days"])[i]
            );
        }
    }
    for (dim, got) in [
        ("R", scores.recency()),
        ("F", scores.frequency()),
        ("M", scores.monetary()),
    ] {
        let want: Vec<u8> = numbers(&expected[dim]).iter().map(|&x| x as u8).collect();
        assert_eq!(got.scores(), want.as_slice(), "{dim}");
    }
}

#[test]
fn rfm_pipeline_matches_pandas() {
    let fixture = fixture("rfm_log.json");
    let transactions = log(&fixture["log"]);
    let analysis: Date = fixture["analysis_date"].as_str().unwrap().parse().unwrap();
    let scoring = ScoreParams::uniform(Binning::RankFirst { bins: 5 });

    let params = RfmParams::new(analysis).recency(RecencyBasis::LastTransaction);
    let table = RfmTable::from_transactions(&transactions, &params).unwrap();
    let scores = RfmScores::new(&table, &scoring).unwrap();
    check_pipeline(&fixture["last_transaction"], &table, &scores, false);

    let table = RfmTable::from_transactions(&transactions, &RfmParams::new(analysis)).unwrap();
    let scores = RfmScores::new(&table, &scoring).unwrap();
    check_pipeline(&fixture["last_purchase"], &table, &scores, true);
    let epoch = Date::from_ymd(2023, 1, 1).unwrap();
    for ((_, s), first) in table
        .iter()
        .zip(numbers(&fixture["last_purchase"]["first_purchase"]))
    {
        assert_eq!(s.first_purchase.unwrap().days_since(epoch) as f64, first);
    }
    assert!(table.report().refunds_netted > 0 && table.report().zero_rows > 0);
}

#[test]
fn rfm_every_row_matches_pandas_groupby_size() {
    let fixture = fixture("rfm_log.json");
    let transactions = log(&fixture["log"]);
    let analysis: Date = fixture["analysis_date"].as_str().unwrap().parse().unwrap();
    let scoring = ScoreParams::uniform(Binning::RankFirst { bins: 5 });
    let params = RfmParams::new(analysis)
        .recency(RecencyBasis::LastTransaction)
        .frequency(FrequencyBasis::EveryRow);
    let table = RfmTable::from_transactions(&transactions, &params).unwrap();
    let scores = RfmScores::new(&table, &scoring).unwrap();
    check_pipeline(&fixture["every_row"], &table, &scores, false);
    assert_eq!(
        table
            .iter()
            .map(|(_, s)| u64::from(s.frequency))
            .sum::<u64>(),
        transactions.len() as u64
    );
    // Merged chunks equal one pass, and the interned path equals the keyed one.
    let mut left = RfmAccumulator::new(params);
    left.add(&transactions[..1500]).unwrap();
    let mut right = RfmAccumulator::new(params);
    right.add(&transactions[1500..]).unwrap();
    left.merge(right).unwrap();
    let merged = left.finish().unwrap();
    for ((_, a), (_, b)) in merged.iter().zip(table.iter()) {
        assert_eq!((a.frequency, a.recency_days), (b.frequency, b.recency_days));
    }
    let mut index = saas_segmentation::CustomerIndex::new();
    let interned: Vec<_> = transactions
        .iter()
        .map(|t| Transaction::new(index.intern(t.customer.clone()).unwrap(), t.date, t.amount))
        .collect();
    let dense = RfmTable::from_interned(&interned, &index, &params).unwrap();
    for ((ka, a), (kb, b)) in dense.iter().zip(table.iter()) {
        assert_eq!((ka, a.frequency), (kb, b.frequency));
    }
    // Under the default a refund-only customer has frequency 0 and is kept only by
    // LastTransaction; under EveryRow its refunds count.
    let default = RfmTable::from_transactions(
        &transactions,
        &RfmParams::new(analysis).recency(RecencyBasis::LastTransaction),
    )
    .unwrap();
    assert!(default
        .iter()
        .zip(table.iter())
        .all(|((_, d), (_, e))| d.frequency <= e.frequency));
}

#[test]
fn btyd_matches_lifetimes_on_cdnow() {
    check_btyd("btyd_cdnow.json");
}

#[test]
fn btyd_matches_lifetimes_on_a_synthetic_log() {
    check_btyd("btyd_synthetic.json");
}

#[test]
fn btyd_with_refunds_matches_lifetimes_when_refund_days_are_transactions() {
    check_btyd_with("btyd_refunds.json", RefundDays::Transactions);
}

fn check_btyd(name: &str) {
    check_btyd_with(name, RefundDays::Unmatched);
}

fn check_btyd_with(name: &str, refund_days: RefundDays) {
    let fixture = fixture(name);
    let transactions = log(&fixture["log"]);
    for summary in fixture["summaries"].as_array().unwrap() {
        let period = match summary["freq"].as_str().unwrap() {
            "D" => BtydPeriod::Day,
            _ => BtydPeriod::Week,
        };
        let end: Date = summary["observation_end"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let params = BtydParams::new(end)
            .period(period)
            .multiplier(summary["multiplier"].as_u64().unwrap() as u32)
            .refund_days(refund_days);
        let ours = BtydSummary::from_transactions(&transactions, &params).unwrap();
        let what = format!("{:?} x{} to {end}", period, summary["multiplier"]);
        assert_eq!(
            ours.keys(),
            strings(&summary["customer"]).as_slice(),
            "{what}"
        );
        for (name, got, want) in [
            (
                "frequency",
                ours.frequency(),
                numbers(&summary["frequency"]),
            ),
            ("recency", ours.recency(), numbers(&summary["recency"])),
            ("T", ours.age(), numbers(&summary["T"])),
            (
                "monetary",
                ours.monetary(),
                numbers(&summary["monetary_value"]),
            ),
        ] {
            assert_eq!(got.len(), want.len());
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert_close(g, w, &format!("{what} {name} of {}", ours.keys()[i]));
            }
        }
    }
}
