//! Cells as exports write them: booleans, empty cells, numbers as text, events by name.

use saas_segmentation::activity::ActivityEvent;
use saas_segmentation::lenient::{parse_bool, parse_number, ActivityRow, EventNames};

#[test]
fn booleans_numbers_and_event_names() {
    for (text, want) in [
        ("TRUE", Some(true)),
        ("True", Some(true)),
        ("yes", Some(true)),
        ("Y", Some(true)),
        ("1", Some(true)),
        ("false", Some(false)),
        ("No", Some(false)),
        ("0", Some(false)),
        ("", None),
        (" n/a ", None),
    ] {
        assert_eq!(parse_bool(text).unwrap(), want, "{text}");
    }
    assert!(parse_bool("maybe")
        .unwrap_err()
        .to_string()
        .contains("maybe"));
    assert_eq!(parse_number("1,234.50").unwrap(), Some(1234.5));
    assert_eq!(parse_number("$49").unwrap(), Some(49.0));
    assert_eq!(parse_number("").unwrap(), None);
    assert!(parse_number("NaN").is_err() && parse_number("12 seats").is_err());
    let names = EventNames::default().workflows(["Invite Team"]);
    assert_eq!(names.event("Logged-In"), ActivityEvent::Login);
    assert_eq!(
        names.event("invite_team"),
        ActivityEvent::Workflow("invite_team".to_owned())
    );
    assert_eq!(
        names.event("reports"),
        ActivityEvent::Feature("reports".to_owned())
    );
    assert_eq!(
        names.event("workflow:export"),
        ActivityEvent::Workflow("export".to_owned())
    );
    let row = ActivityRow {
        customer: "acme".into(),
        date: "2024-01-02".parse().unwrap(),
        event: " ".into(),
        count: None,
        duration_minutes: None,
    };
    assert!(row.into_activity(&names).is_err());
    let counted = ActivityRow {
        customer: "acme".into(),
        date: "2024-01-02".parse().unwrap(),
        event: "reports".into(),
        count: Some(7.0),
        duration_minutes: Some(12.5),
    };
    let activity = counted.clone().into_activity(&names).unwrap();
    assert_eq!((activity.count, activity.duration_minutes), (7, Some(12.5)));
    let fractional = ActivityRow {
        count: Some(1.5),
        ..counted
    };
    assert!(fractional.into_activity(&names).is_err());
}

#[cfg(feature = "serde")]
#[test]
fn exported_cells_load() {
    use saas_segmentation::model::Persona;
    // A CSV reader hands cells over as text; JSON strings stand in for them here.
    for (cell, want) in [
        (r#""TRUE""#, Some(true)),
        (r#""no""#, Some(false)),
        (r#""""#, None),
        ("null", None),
        ("1", Some(true)),
    ] {
        let persona: Persona = serde_json::from_str(&format!(r#"{{"champion": {cell}}}"#)).unwrap();
        assert_eq!(persona.champion, want, "{cell}");
    }
    // A partial persona with the field missing loads too.
    let persona: Persona = serde_json::from_str(r#"{"role": "cto"}"#).unwrap();
    assert_eq!(persona.champion, None);
    assert!(serde_json::from_str::<Persona>(r#"{"champion": "sometimes"}"#).is_err());
    let row: ActivityRow =
        serde_json::from_str(r#"{"customer": "acme", "date": "2024-03-01", "event": "reports"}"#)
            .unwrap();
    let activity = row.into_activity(&EventNames::default()).unwrap();
    assert_eq!(activity.event, ActivityEvent::Feature("reports".to_owned()));
}
