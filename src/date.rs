//! Calendar dates and periods without a clock.
//!
//! A [`Date`] is a count of days since 1970-01-01 (proleptic Gregorian calendar), restricted to
//! the years 0 to 9999 so that every date has an ISO-8601 form. A [`Period`] (day, ISO week,
//! month, quarter, year) maps a date to a dense period index, so cohorts and windows are integer
//! arithmetic. The crate never reads a clock: the analysis date is always an argument.
//!
//! ```
//! use saas_segmentation::{Date, Period};
//!
//! let signup: Date = "2024-01-31".parse()?;
//! let today = Date::from_ymd(2024, 3, 1)?;
//! assert_eq!(today.days_since(signup), 30);
//! assert_eq!(Period::Month.periods_between(signup, today), 2);
//! assert_eq!(Period::IsoWeek.label(signup), "2024-W05");
//! assert_eq!(signup.add_months(1)?, Date::from_ymd(2024, 2, 29)?);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Days from 1970-01-01 to 0000-01-01.
const MIN_DAYS: i32 = -719_528;
/// Days from 1970-01-01 to 9999-12-31.
const MAX_DAYS: i32 = 2_932_896;

/// A calendar date: days since 1970-01-01 in the proleptic Gregorian calendar.
///
/// Valid from 0000-01-01 to 9999-12-31. Ordering is chronological. With the `serde` feature a
/// date serializes as its ISO-8601 text (`"2024-03-01"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "String", try_from = "String")
)]
pub struct Date(i32);

impl Date {
    /// The earliest supported date, 0000-01-01.
    pub const MIN: Date = Date(MIN_DAYS);
    /// The latest supported date, 9999-12-31.
    pub const MAX: Date = Date(MAX_DAYS);
    /// 1970-01-01.
    pub const UNIX_EPOCH: Date = Date(0);

    /// The date `days` days after 1970-01-01 (negative: before).
    ///
    /// # Errors
    /// [`Error::DateOverflow`] when the date falls outside the years 0 to 9999.
    pub fn from_days(days: i64) -> Result<Date> {
        if (i64::from(MIN_DAYS)..=i64::from(MAX_DAYS)).contains(&days) {
            Ok(Date(days as i32))
        } else {
            Err(Error::DateOverflow {
                operation: format!("day number {days}"),
            })
        }
    }

    /// The date of a year, month (1-12) and day of month.
    ///
    /// # Errors
    /// [`Error::InvalidDate`] when the day does not exist (2023-02-29) or the year is outside
    /// 0 to 9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date> {
        let input = || format!("{year:04}-{month:02}-{day:02}");
        if !(0..=9999).contains(&year) {
            return Err(Error::InvalidDate {
                input: input(),
                reason: "the year must lie in 0 to 9999",
            });
        }
        if !(1..=12).contains(&month) {
            return Err(Error::InvalidDate {
                input: input(),
                reason: "the month must lie in 1 to 12",
            });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(Error::InvalidDate {
                input: input(),
                reason: "that day does not exist in that month",
            });
        }
        Ok(Date(days_from_civil(year, month, day)))
    }

    /// The date `days` days after 1970-01-01, for day numbers taken from valid dates.
    pub(crate) const fn from_valid_days(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01.
    #[must_use]
    pub const fn days(self) -> i32 {
        self.0
    }

    /// The year, month (1-12) and day of month.
    #[must_use]
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// The month, 1-12.
    #[must_use]
    pub fn month(self) -> u32 {
        self.ymd().1
    }

    /// The day of the month, 1-31.
    #[must_use]
    pub fn day(self) -> u32 {
        self.ymd().2
    }

    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    #[must_use]
    pub fn iso_weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        ((i64::from(self.0) + 3).rem_euclid(7) + 1) as u32
    }

    /// The ISO-8601 week-numbering year and week (1-53).
    #[must_use]
    pub fn iso_week(self) -> (i32, u32) {
        // The ISO year of a week is the year of its Thursday.
        let thursday = Date(self.0 - self.iso_weekday() as i32 + 4);
        let year = thursday.year();
        let jan1 = days_from_civil(year, 1, 1);
        (year, ((thursday.0 - jan1) / 7 + 1) as u32)
    }

    /// The number of days from `earlier` to `self` (negative when `self` is earlier).
    #[must_use]
    pub fn days_since(self, earlier: Date) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }

    /// The date `days` days later (earlier when negative).
    ///
    /// # Errors
    /// [`Error::DateOverflow`] when the result leaves the years 0 to 9999.
    pub fn add_days(self, days: i64) -> Result<Date> {
        let overflow = || Error::DateOverflow {
            operation: format!("{self} + {days} days"),
        };
        let total = i64::from(self.0).checked_add(days).ok_or_else(overflow)?;
        Date::from_days(total).map_err(|_| overflow())
    }

    /// The same day of the month `months` months later (earlier when negative), clamped to the
    /// last day of a shorter month (2024-01-31 + 1 month = 2024-02-29).
    ///
    /// # Errors
    /// [`Error::DateOverflow`] when the result leaves the years 0 to 9999.
    pub fn add_months(self, months: i64) -> Result<Date> {
        let (y, m, d) = self.ymd();
        let overflow = || Error::DateOverflow {
            operation: format!("{self} + {months} months"),
        };
        let index = (i64::from(y) * 12 + i64::from(m) - 1)
            .checked_add(months)
            .ok_or_else(overflow)?;
        let year = index.div_euclid(12);
        if !(0..=9999).contains(&year) {
            return Err(overflow());
        }
        let year = year as i32;
        let month = index.rem_euclid(12) as u32 + 1;
        let day = d.min(days_in_month(year, month));
        Ok(Date(days_from_civil(year, month, day)))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = Error;

    /// Parses an ISO-8601 calendar date, `YYYY-MM-DD`. A time part after `T` or a space
    /// (`2024-03-01T12:00:00Z`) is accepted and ignored: dates here are calendar days.
    fn from_str(text: &str) -> Result<Date> {
        let invalid = |reason| Error::InvalidDate {
            input: text.to_owned(),
            reason,
        };
        let date_part = text.split(['T', ' ']).next().unwrap_or_default();
        let bytes = date_part.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(invalid("expected the form YYYY-MM-DD"));
        }
        let digits = |range: std::ops::Range<usize>| -> Result<u32> {
            let part = &bytes[range];
            if part.iter().all(u8::is_ascii_digit) {
                Ok(part
                    .iter()
                    .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
            } else {
                Err(invalid("expected digits in YYYY-MM-DD"))
            }
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        Date::from_ymd(year as i32, month, day).map_err(|e| match e {
            Error::InvalidDate { reason, .. } => invalid(reason),
            other => other,
        })
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

impl TryFrom<String> for Date {
    type Error = Error;
    fn try_from(text: String) -> Result<Date> {
        text.parse()
    }
}

/// A calendar period that dates are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Period {
    /// One calendar day.
    Day,
    /// An ISO-8601 week, Monday to Sunday.
    IsoWeek,
    /// A calendar month.
    Month,
    /// A calendar quarter (January-March ...).
    Quarter,
    /// A calendar year.
    Year,
}

impl Period {
    /// The dense index of the period holding `date`: consecutive periods have consecutive
    /// indices, so differences of indices count whole periods.
    ///
    /// ```text
    /// Day: days since 1970-01-01      IsoWeek: floor((days + 3) / 7)
    /// Month: 12 * year + month - 1    Quarter: 4 * year + (month - 1) / 3    Year: year
    /// ```
    #[must_use]
    pub fn index(self, date: Date) -> i32 {
        match self {
            Period::Day => date.0,
            // Monday 1969-12-29 (day -3) starts week 0.
            Period::IsoWeek => (date.0 + 3).div_euclid(7),
            Period::Month => {
                let (y, m, _) = date.ymd();
                y * 12 + m as i32 - 1
            }
            Period::Quarter => {
                let (y, m, _) = date.ymd();
                y * 4 + (m as i32 - 1) / 3
            }
            Period::Year => date.year(),
        }
    }

    /// The first day of the period with index `index` (the inverse of [`Period::index`]).
    ///
    /// # Errors
    /// [`Error::DateOverflow`] when that period starts outside the years 0 to 9999.
    pub fn start_of_index(self, index: i32) -> Result<Date> {
        let overflow = || Error::DateOverflow {
            operation: format!("the start of {self:?} period {index}"),
        };
        let month_start = |months: i64| -> Result<Date> {
            let year = months.div_euclid(12);
            if !(0..=9999).contains(&year) {
                return Err(overflow());
            }
            Ok(Date(days_from_civil(
                year as i32,
                months.rem_euclid(12) as u32 + 1,
                1,
            )))
        };
        match self {
            Period::Day => Date::from_days(i64::from(index)).map_err(|_| overflow()),
            Period::IsoWeek => Date::from_days(i64::from(index) * 7 - 3).map_err(|_| overflow()),
            Period::Month => month_start(i64::from(index)),
            Period::Quarter => month_start(i64::from(index) * 3),
            Period::Year => month_start(i64::from(index) * 12),
        }
    }

    /// The first day of the period holding `date`.
    #[must_use]
    pub fn start(self, date: Date) -> Date {
        // The start of a period holding a valid date is valid, except the ISO week holding
        // 0000-01-01, which starts in the year -1; clamp it.
        self.start_of_index(self.index(date)).unwrap_or(Date::MIN)
    }

    /// Whole periods from the period of `from` to the period of `to` (negative when `to` is
    /// earlier): 2024-01-31 to 2024-02-01 is one month.
    #[must_use]
    pub fn periods_between(self, from: Date, to: Date) -> i32 {
        self.index(to) - self.index(from)
    }

    /// A label for the period holding `date`: `2024-03-01`, `2024-W09`, `2024-03`, `2024-Q1`,
    /// `2024`.
    #[must_use]
    pub fn label(self, date: Date) -> String {
        match self {
            Period::Day => date.to_string(),
            Period::IsoWeek => {
                let (y, w) = date.iso_week();
                format!("{y:04}-W{w:02}")
            }
            Period::Month => format!("{:04}-{:02}", date.year(), date.month()),
            Period::Quarter => format!("{:04}-Q{}", date.year(), (date.month() - 1) / 3 + 1),
            Period::Year => format!("{:04}", date.year()),
        }
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil`: exact for every proleptic Gregorian date.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// Howard Hinnant's `civil_from_days`, the inverse of `days_from_civil`.
fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_bounds() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap(), Date::UNIX_EPOCH);
        assert_eq!(Date::from_ymd(0, 1, 1).unwrap(), Date::MIN);
        assert_eq!(Date::from_ymd(9999, 12, 31).unwrap(), Date::MAX);
        assert!(Date::MAX.add_days(1).is_err());
        assert!(Date::MIN.add_days(-1).is_err());
    }

    #[test]
    fn parse_rejects_bad_text() {
        for bad in [
            "",
            "2024-1-01",
            "2024-13-01",
            "2023-02-29",
            "abcd-ef-gh",
            "2024/01/01",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(
            "2024-02-29T23:59:59Z".parse::<Date>().unwrap(),
            Date::from_ymd(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn iso_weeks_match_known_values() {
        // 2021-01-03 is a Sunday in ISO week 2020-W53; 2024-12-30 is in 2025-W01.
        assert_eq!(Date::from_ymd(2021, 1, 3).unwrap().iso_week(), (2020, 53));
        assert_eq!(Date::from_ymd(2024, 12, 30).unwrap().iso_week(), (2025, 1));
        assert_eq!(Date::from_ymd(2024, 3, 4).unwrap().iso_weekday(), 1);
    }

    #[test]
    fn period_start_of_week_is_monday() {
        let d = Date::from_ymd(2024, 3, 7).unwrap();
        let start = Period::IsoWeek.start(d);
        assert_eq!(start, Date::from_ymd(2024, 3, 4).unwrap());
        assert_eq!(
            Period::Quarter.start(d),
            Date::from_ymd(2024, 1, 1).unwrap()
        );
    }
}

#[cfg(feature = "chrono")]
mod chrono_conversions {
    use super::Date;
    use crate::error::{Error, Result};
    use chrono::Datelike;

    impl TryFrom<chrono::NaiveDate> for Date {
        type Error = Error;

        /// The same calendar day; dates outside the years 0 to 9999 are
        /// [`Error::DateOverflow`].
        fn try_from(date: chrono::NaiveDate) -> Result<Date> {
            Date::from_ymd(date.year(), date.month(), date.day()).map_err(|_| Error::DateOverflow {
                operation: format!("chrono date {date}"),
            })
        }
    }

    impl From<Date> for chrono::NaiveDate {
        /// The same calendar day (every `Date` is a valid `NaiveDate`).
        fn from(date: Date) -> chrono::NaiveDate {
            let (y, m, d) = date.ymd();
            chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or(chrono::NaiveDate::MIN)
        }
    }
}

#[cfg(feature = "jiff")]
mod jiff_conversions {
    use super::Date;
    use crate::error::{Error, Result};

    impl TryFrom<jiff::civil::Date> for Date {
        type Error = Error;

        /// The same calendar day; dates before the year 0 are [`Error::DateOverflow`].
        fn try_from(date: jiff::civil::Date) -> Result<Date> {
            Date::from_ymd(
                i32::from(date.year()),
                u32::from(date.month().unsigned_abs()),
                u32::from(date.day().unsigned_abs()),
            )
            .map_err(|_| Error::DateOverflow {
                operation: format!("jiff date {date}"),
            })
        }
    }

    impl From<Date> for jiff::civil::Date {
        /// The same calendar day (jiff covers the years -9999 to 9999).
        fn from(date: Date) -> jiff::civil::Date {
            let (y, m, d) = date.ymd();
            jiff::civil::Date::new(y as i16, m as i8, d as i8).unwrap_or(jiff::civil::Date::MIN)
        }
    }
}
