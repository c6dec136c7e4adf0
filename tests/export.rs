//! CRM segment tags: stable ids, key order, reasons and scores, k-anonymity.

use saas_segmentation::export::{export_tags, segment_id, ExportParams};
use saas_segmentation::{CustomerIndex, Date, PerCustomer, Segmentation};

fn day() -> Date {
    "2026-12-07".parse().unwrap()
}

#[test]
fn tags_follow_key_order_with_stable_ids_reasons_and_scores() {
    // Interned out of key order: the export lists keys in key order anyway.
    let index = CustomerIndex::from_keys(["zed", "amy", "bob", "cat", "dan"]).unwrap();
    let tier = PerCustomer::from_keyed(
        &index,
        [
            ("zed", "Mid-Market"),
            ("amy", "SMB"),
            ("bob", "SMB"),
            ("cat", "Mid-Market"),
        ]
        .map(|(k, v)| (k, v.to_owned())),
    )
    .unwrap();
    let segments = Segmentation::from_categories("tier", &tier).unwrap();
    let reasons = PerCustomer::from_fn(&index, |id| Some(format!("rule for {}", id.get())));
    let scores = PerCustomer::from_fn(&index, |id| Some(f64::from(id.get()) / 10.0));
    let params = ExportParams::new("size tiers", "v3", day())
        .reasons(&reasons)
        .scores(&scores)
        .include_unassigned(true);
    let export = export_tags(&segments, &index, &params).unwrap();
    let keys: Vec<&str> = export.tags.iter().map(|t| t.key).collect();
    assert_eq!(keys, ["amy", "bob", "cat", "dan", "zed"]);
    let zed = &export.tags[4];
    assert_eq!(
        (zed.segment_id.as_str(), zed.segment.as_str()),
        ("mid_market", "Mid-Market")
    );
    assert_eq!(
        (zed.reason.as_deref(), zed.score),
        (Some("rule for 0"), Some(0.0))
    );
    assert_eq!(export.tags[3].segment_id, "unassigned");
    assert_eq!(
        export.aggregates.iter().map(|a| a.customers).sum::<usize>(),
        4
    );
    // Without unassigned rows, dan has none.
    let plain = export_tags(
        &segments,
        &index,
        &ExportParams::new("size tiers", "v3", day()),
    )
    .unwrap();
    assert_eq!(plain.tags.len(), 4);
}

#[test]
fn small_segments_and_clashing_ids_are_refused() {
    let index = CustomerIndex::from_keys(["a", "b", "c"]).unwrap();
    let seg = Segmentation::from_labels(&index, &[0, 0, 1]).unwrap();
    let e = export_tags(
        &seg,
        &index,
        &ExportParams::new("s", "1", day()).min_segment_size(2),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("1 (1)") && e.contains("merge"), "{e}");
    let names = PerCustomer::from_keyed(
        &index,
        [
            ("a", "Power users"),
            ("b", "power-users"),
            ("c", "power users"),
        ]
        .map(|(k, v)| (k, v.to_owned())),
    )
    .unwrap();
    let clash = Segmentation::from_categories("x", &names).unwrap();
    assert!(export_tags(&clash, &index, &ExportParams::new("s", "1", day())).is_err());
    let other = CustomerIndex::from_keys(["x", "y", "z"]).unwrap();
    assert!(export_tags(&seg, &other, &ExportParams::new("s", "1", day())).is_err());
    assert_eq!(segment_id("  At Risk (high value)!"), "at_risk_high_value");
    assert_eq!(segment_id("—"), "segment");
}

#[cfg(feature = "serde")]
#[test]
fn tags_serialize_as_flat_rows() {
    let index = CustomerIndex::from_keys(["a".to_owned(), "b".to_owned()]).unwrap();
    let seg = Segmentation::from_labels(&index, &[0, 1]).unwrap();
    let export = export_tags(&seg, &index, &ExportParams::new("s", "1", day())).unwrap();
    let json = serde_json::to_string(&export.tags[0]).unwrap();
    assert_eq!(
        json,
        r#"{"key":"a","segment_id":"0","segment":"0","segmentation":"s","version":"1","run_date":"2026-12-07","reason":null,"score":null}"#
    );
}
