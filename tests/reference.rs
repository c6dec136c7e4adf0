//! Checks against reference values from the peer tools (tests/fixtures/generate.py).

mod common;

use common::{assert_close, fixture, matrix, vector};
use ndarray::Array2;
use saas_segmentation::features::{Scaler, ScalerKind};
use saas_segmentation::{Date, Period};

fn to_array(rows: &[Vec<f64>]) -> Array2<f64> {
    let cols = rows[0].len();
    Array2::from_shape_vec((rows.len(), cols), rows.iter().flatten().copied().collect()).unwrap()
}

#[test]
fn scalers_match_scikit_learn() {
    let fixture = fixture("scalers.json");
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let data = to_array(&matrix(&case["data"]));
        for (label, kind) in [
            ("standard", ScalerKind::Standard),
            ("min_max", ScalerKind::MinMax),
            ("robust", ScalerKind::Robust),
        ] {
            let expected = &case[label];
            let scaler = Scaler::fit(kind, data.view()).unwrap();
            for (j, (&c, e)) in scaler
                .center()
                .iter()
                .zip(vector(&expected["center"]))
                .enumerate()
            {
                assert_close(c, e, &format!("{name} {label} center[{j}]"));
            }
            for (j, (&s, e)) in scaler
                .scale()
                .iter()
                .zip(vector(&expected["scale"]))
                .enumerate()
            {
                assert_close(s, e, &format!("{name} {label} scale[{j}]"));
            }
            let transformed = scaler.transform(data.view()).unwrap();
            let reference = to_array(&matrix(&expected["transformed"]));
            for ((i, j), &x) in transformed.indexed_iter() {
                assert_close(x, reference[[i, j]], &format!("{name} {label} x[{i},{j}]"));
            }
            let back = scaler.inverse_transform(transformed.view()).unwrap();
            for ((i, j), &x) in back.indexed_iter() {
                let diff = (x - data[[i, j]]).abs();
                assert!(
                    diff <= 1e-9 * data[[i, j]].abs().max(1.0),
                    "{name} {label} inverse[{i},{j}]"
                );
            }
        }
    }
}

#[test]
fn dates_match_python_datetime() {
    let fixture = fixture("dates.json");
    for row in fixture["dates"].as_array().unwrap() {
        let days = row["days"].as_i64().unwrap();
        let iso = row["iso"].as_str().unwrap();
        let date = Date::from_days(days).unwrap();
        assert_eq!(date.to_string(), iso);
        assert_eq!(iso.parse::<Date>().unwrap(), date);
        let (year, week) = date.iso_week();
        assert_eq!(i64::from(year), row["iso_year"].as_i64().unwrap(), "{iso}");
        assert_eq!(i64::from(week), row["iso_week"].as_i64().unwrap(), "{iso}");
        assert_eq!(
            i64::from(date.iso_weekday()),
            row["iso_weekday"].as_i64().unwrap(),
            "{iso}"
        );
        let quarter = Period::Quarter.label(date);
        assert!(
            quarter.ends_with(&format!("Q{}", row["quarter"].as_i64().unwrap())),
            "{iso}"
        );
        if year > 0 {
            assert_eq!(Period::IsoWeek.label(date), format!("{year:04}-W{week:02}"));
        }
    }
}
