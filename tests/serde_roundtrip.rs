//! Every public result and model type survives a JSON round trip.
#![cfg(feature = "serde")]

use saas_segmentation::activity::{derive_behaviour, BehaviourConfig};
use saas_segmentation::features::{FeatureMatrix, ScalerKind};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::model::{SizeTier, SizeTierBounds, UsageTierThresholds};
use saas_segmentation::profile::{CustomerProfile, ProfileBuilder, ProfileSet};
use saas_segmentation::rules::{Condition, Rule, RuleSegmentation, RuleSet};
use saas_segmentation::synthetic::{generate, SyntheticConfig, CORE_FEATURES};
use saas_segmentation::tiers::TierEconomicsTable;
use saas_segmentation::{CustomerIndex, Date, Period, Segmentation};
use serde::{de::DeserializeOwned, Serialize};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
}

#[test]
fn public_types_round_trip() {
    let base = generate(&SyntheticConfig::new(300).seed(3)).unwrap();
    for profile in base.profiles() {
        round_trip(profile);
    }
    round_trip(&base.transactions()[0]);
    round_trip(&base.mrr()[0]);
    round_trip(&base.leads()[0]);
    round_trip(&base.opportunities()[0]);
    round_trip(&base.activity()[0].date);
    round_trip(&base.config().clone());
    round_trip(&Date::from_ymd(2024, 2, 29).unwrap());
    assert_eq!(
        serde_json::to_string(&Date::from_ymd(2024, 2, 29).unwrap()).unwrap(),
        "\"2024-02-29\""
    );
    assert!(serde_json::from_str::<Date>("\"2024-02-30\"").is_err());
    round_trip(&Period::IsoWeek);
    round_trip(&SizeTier::MidMarket);
    assert_eq!(
        serde_json::to_string(&SizeTier::MidMarket).unwrap(),
        "\"mid_market\""
    );
    round_trip(&SizeTierBounds::default());
    round_trip(&UsageTierThresholds::default());
    round_trip(&TierEconomicsTable::default());

    let profiles = ProfileBuilder::new()
        .records(base.source_records())
        .build()
        .unwrap();
    round_trip(&profiles.conflicts().to_vec());
    let json = serde_json::to_string(&profiles).unwrap();
    let back: ProfileSet<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.profiles(), profiles.profiles());
    assert_eq!(back.index().keys(), profiles.index().keys());

    let index: CustomerIndex<String> = serde_json::from_str(r#"["a","b"]"#).unwrap();
    assert_eq!(index.len(), 2);
    assert!(serde_json::from_str::<CustomerIndex<String>>(r#"["a","a"]"#).is_err());

    let end = base.analysis_date().add_days(-1).unwrap();
    let config = BehaviourConfig::new(end.add_days(-27).unwrap(), end)
        .unwrap()
        .core_features(CORE_FEATURES.to_vec());
    let behaviour = derive_behaviour(&DenseCustomers::new(300), base.activity(), &config).unwrap();
    round_trip(&behaviour);
    let owned = BehaviourConfig::new(end.add_days(-27).unwrap(), end)
        .unwrap()
        .core_features(vec!["reports".to_owned()]);
    round_trip(&owned);

    let rules = RuleSet::new(vec![
        Rule::new("smb", Condition::SizeTier(vec![SizeTier::Smb])),
        Rule::new(
            "big",
            Condition::Mrr {
                min: Some(1000.0),
                max: None,
            },
        ),
    ])
    .unwrap();
    round_trip(&rules);
    let result: RuleSegmentation = rules.apply_over(base.index(), base.profiles()).unwrap();
    round_trip(&result);
    round_trip(&Segmentation::from_labels(base.index(), &vec![0; base.profiles().len()]).unwrap());

    let matrix = FeatureMatrix::builder()
        .log1p("mrr", |p: &CustomerProfile| p.value.mrr)
        .categorical("industry", |p: &CustomerProfile| p.firmographic.industry)
        .scaler(ScalerKind::Robust)
        .build(base.profiles())
        .unwrap();
    round_trip(&matrix);
    round_trip(matrix.scaler().unwrap());
}

#[test]
fn analysis_results_round_trip_and_bad_tables_are_refused() {
    use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
    use saas_segmentation::survival::KaplanMeierParams;
    use saas_segmentation::validate::Contingency;

    let d = |s: &str| s.parse::<saas_segmentation::Date>().expect("date");
    let index = saas_segmentation::CustomerIndex::from_keys(["a", "b"]).expect("index");
    let signups = [("a", d("2024-01-03")), ("b", d("2024-02-03"))];
    let cohorts = Cohorts::by_signup(
        &index,
        &signups,
        Grid::Calendar(saas_segmentation::Period::Month),
    )
    .expect("cohorts");
    let activity = [("a", d("2024-02-10"))];
    let matrix = RetentionMatrix::compute(
        &index,
        &cohorts,
        &activity,
        &RetentionParams::new(d("2024-03-31")),
    )
    .expect("matrix");
    let text = serde_json::to_string(&matrix).expect("serialize");
    assert_eq!(
        serde_json::from_str::<RetentionMatrix>(&text).expect("parse"),
        matrix
    );
    let km = KaplanMeierParams::new()
        .fit(&[1.0, 2.0, 3.0], &[true, false, true])
        .expect("fit");
    let text = serde_json::to_string(&km).expect("serialize");
    assert_eq!(
        serde_json::from_str::<saas_segmentation::survival::KaplanMeier>(&text).expect("parse"),
        km
    );
    let table = Contingency::new(&[0, 0, 1], &[1, 0, 1]).expect("table");
    let text = serde_json::to_string(&table).expect("serialize");
    assert_eq!(
        serde_json::from_str::<Contingency>(&text).expect("parse"),
        table
    );
    let bad = r#"{"classes":[0,1],"clusters":[0,1],"counts":[1,2]}"#;
    assert!(serde_json::from_str::<Contingency>(bad).is_err());
}
