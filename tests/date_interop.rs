//! `Date` conversions with chrono and jiff (features `chrono` and `jiff`).

#[cfg(feature = "chrono")]
#[test]
fn chrono_dates_round_trip_over_the_whole_range() {
    use saas_segmentation::Date;
    let mut day = Date::MIN;
    while day < Date::MAX {
        let other: chrono::NaiveDate = day.into();
        assert_eq!(other.to_string(), day.to_string());
        assert_eq!(Date::try_from(other).unwrap(), day);
        day = day.add_days(997).unwrap_or(Date::MAX);
    }
    let outside = chrono::NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    assert!(Date::try_from(outside).is_err());
    let before = chrono::NaiveDate::from_ymd_opt(-1, 12, 31).unwrap();
    assert!(Date::try_from(before).is_err());
}

#[cfg(feature = "jiff")]
#[test]
fn jiff_dates_round_trip_over_the_whole_range() {
    use saas_segmentation::Date;
    let mut day = Date::MIN;
    while day < Date::MAX {
        let other: jiff::civil::Date = day.into();
        assert_eq!(other.to_string(), day.to_string());
        assert_eq!(Date::try_from(other).unwrap(), day);
        day = day.add_days(997).unwrap_or(Date::MAX);
    }
    let max: jiff::civil::Date = Date::MAX.into();
    assert_eq!(max.to_string(), "9999-12-31");
    let before = jiff::civil::Date::new(-1, 12, 31).unwrap();
    assert!(Date::try_from(before).is_err());
}
