//! Open categories, seats and partial profiles: the caller's taxonomy survives, known values
//! keep their typed meaning, and profiles load from whatever groups a source has.

use saas_segmentation::model::{
    AcquisitionChannel, Category, Firmographic, Industry, PlanTier, UnknownLabels, Value,
    Vocabulary,
};
use saas_segmentation::profile::{CustomerProfile, ProfileBuilder, Source, SourceRecord};
use saas_segmentation::universe::PerCustomer;
use saas_segmentation::{Date, Error, Segmentation};

#[test]
fn labels_are_normalised_for_matching_and_kept_as_written() {
    let industries = Vocabulary::<Industry>::new().alias("Dev-Tools", Industry::Software);
    for (label, value) in [
        ("  Financial Services ", Some(Industry::FinancialServices)),
        ("financial-services", Some(Industry::FinancialServices)),
        ("HEALTHCARE", Some(Industry::Healthcare)),
        ("dev tools", Some(Industry::Software)),
        ("DEV_TOOLS", Some(Industry::Software)),
        ("Biotech", None),
    ] {
        let c = industries.read(label).unwrap();
        assert_eq!(c.label, label);
        assert_eq!(c.value, value, "{label}");
    }
    assert!(matches!(
        industries.read("  "),
        Err(Error::InvalidParameter { .. })
    ));
    assert_eq!(industries.read_cell(Some("")).unwrap(), None);
    assert_eq!(industries.read_cell(None).unwrap(), None);
    let closed = Vocabulary::<PlanTier>::new()
        .alias("Basic", PlanTier::Starter)
        .unknown(UnknownLabels::Reject);
    let text = closed.read("Platinum").unwrap_err().to_string();
    assert!(
        text.contains("Platinum") && text.contains("starter") && text.contains("basic"),
        "{text}"
    );
    let other = Vocabulary::<AcquisitionChannel>::new()
        .unknown(UnknownLabels::As(AcquisitionChannel::Other));
    assert_eq!(
        other.read("G2").unwrap(),
        Category {
            label: "G2".into(),
            value: Some(AcquisitionChannel::Other)
        }
    );
}

#[test]
fn labels_survive_merging_and_segment_apart_where_types_agree() {
    let industries = Vocabulary::<Industry>::new()
        .alias("DevTools", Industry::Software)
        .alias("Cybersecurity", Industry::Software);
    let day = Date::from_ymd(2024, 1, 5).unwrap();
    let mut records = Vec::new();
    for (key, label) in [("b", "DevTools"), ("a", "Cybersecurity"), ("c", "DevTools")] {
        let mut firm = Firmographic::default();
        firm.set_industry(industries.read(label).unwrap());
        let profile = CustomerProfile {
            firmographic: firm,
            ..CustomerProfile::default()
        };
        records.push(SourceRecord::new(key, Source::Crm, day, profile));
    }
    let set = ProfileBuilder::new().records(records).build().unwrap();
    let labels = PerCustomer::from_fn(&set, |id| {
        set.get(id)
            .and_then(|p| p.firmographic.industry_label.clone())
    });
    let by_label = Segmentation::from_categories("industry", &labels).unwrap();
    assert_eq!(by_label.segments().len(), 2);
    let a = set.index().get("a").unwrap();
    assert_eq!(by_label.segment_name_of(a), Some("Cybersecurity"));
    assert!(set
        .profiles()
        .iter()
        .all(|p| p.firmographic.industry == Some(Industry::Software)));
}

#[test]
fn seats_and_seat_limits() {
    let mut v = Value {
        seats: Some(25),
        seat_limit: Some(20),
        ..Value::default()
    };
    assert_eq!(v.seat_utilization(), Some(1.25));
    v.seat_limit = Some(0);
    assert_eq!(v.seat_utilization(), None);
    v.seat_limit = None;
    assert_eq!(v.seat_utilization(), None);
    let plans = Vocabulary::<PlanTier>::new().alias("Pro", PlanTier::Professional);
    v.set_plan(plans.read("Pro").unwrap());
    assert_eq!(
        (v.plan_tier, v.plan_label.as_deref()),
        (Some(PlanTier::Professional), Some("Pro"))
    );
}

#[cfg(feature = "serde")]
#[test]
fn partial_profiles_load_from_the_groups_a_source_has() {
    let billing: CustomerProfile = serde_json::from_str(
        r#"{"value": {"mrr": 420.0, "seats": 9, "seat_limit": 10, "plan_label": "Pro"}}"#,
    )
    .unwrap();
    assert_eq!(billing.value.mrr, Some(420.0));
    assert_eq!(billing.value.seat_utilization(), Some(0.9));
    assert_eq!(billing.firmographic, Firmographic::default());
    let empty: CustomerProfile = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, CustomerProfile::default());
    let crm: CustomerProfile =
        serde_json::from_str(r#"{"firmographic": {"industry": "software", "industry_label": "DevTools"}, "behaviour": {"logins": 4}}"#).unwrap();
    assert_eq!(crm.firmographic.industry_label.as_deref(), Some("DevTools"));
    assert_eq!(crm.behaviour.logins, Some(4));
    // A bad value in a present field is still an error.
    assert!(serde_json::from_str::<CustomerProfile>(r#"{"value": {"seats": -1}}"#).is_err());
}
