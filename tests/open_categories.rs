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

#[cfg(feature = "serde")]
#[test]
fn flat_rows_read_back_every_field_of_the_synthetic_profiles() {
    use saas_segmentation::lenient::{profile_from_cells, Vocabularies, PROFILE_COLUMNS};
    use serde_json::Value as Json;
    fn flatten(prefix: &str, value: &Json, out: &mut Vec<(String, String)>) {
        match value {
            Json::Object(map) => {
                for (k, v) in map {
                    let name = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&name, v, out);
                }
            }
            Json::Null => out.push((prefix.to_owned(), String::new())),
            Json::String(s) => out.push((prefix.to_owned(), s.clone())),
            Json::Array(items) => out.push((
                prefix.to_owned(),
                items
                    .iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
                    .join(";"),
            )),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let base = saas_segmentation::synthetic::generate(
        &saas_segmentation::synthetic::SyntheticConfig::new(200).seed(9),
    )
    .unwrap();
    let mut seen = std::collections::HashSet::new();
    for (i, profile) in base.profiles().iter().enumerate() {
        let mut cells = Vec::new();
        flatten("", &serde_json::to_value(profile).unwrap(), &mut cells);
        // Labels after their typed field, as a source would send both.
        cells.sort_by_key(|(c, _)| c.ends_with("_label"));
        for (c, _) in &cells {
            seen.insert(c.rsplit('.').next().unwrap().to_owned());
        }
        let back = profile_from_cells(
            cells.iter().map(|(c, v)| (c.as_str(), v.as_str())),
            &Vocabularies::default(),
            &format!("row {i}"),
        )
        .unwrap();
        assert_eq!(&back, profile, "row {i}");
    }
    // Every field the profile serializes is a flat column, and every flat column a field.
    let mut fields: Vec<String> = seen.into_iter().collect();
    fields.sort();
    let mut columns: Vec<String> = PROFILE_COLUMNS.iter().map(|c| c.to_string()).collect();
    columns.sort();
    assert_eq!(fields, columns);
}

#[test]
fn flat_cells_that_cannot_be_read_are_named() {
    use saas_segmentation::lenient::{profile_from_cells, Vocabularies};
    let v = Vocabularies::default();
    for (column, cell, needle) in [
        ("employees", "12.5", "whole count"),
        ("seniority", "boss", "individual_contributor"),
        ("champion", "perhaps", "yes/no"),
        ("customer_since", "last year", "date"),
        ("mrr", "-5", "mrr"),
        ("favourite_colour", "blue", "not a profile field"),
    ] {
        let text = profile_from_cells([(column, cell)], &v, "accounts.csv row 9")
            .unwrap_err()
            .to_string();
        assert!(text.contains("accounts.csv row 9"), "{text}");
        assert!(text.contains(needle), "{column}: {text}");
    }
    let closed = Vocabularies {
        plan: Vocabulary::new().unknown(UnknownLabels::Reject),
        ..Vocabularies::default()
    };
    let text = profile_from_cells([("plan", "Platinum")], &closed, "row 3")
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("row 3") && text.contains("Platinum"),
        "{text}"
    );
}
