//! Cohort assignment: which cohort each customer belongs to, and when it signed up.

use std::collections::BTreeMap;
use std::fmt::{Debug, Display};

use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerLookup};
use crate::records::CustomerDate;
use crate::records::{signup_days, NO_SIGNUP};
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::universe::{CustomerSet, Universe};

/// A grid of periods that dates fall into: calendar periods, or fixed runs of days counted from
/// an origin (the 30-day "months" some dashboards use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Grid {
    /// Calendar days, ISO weeks, months, quarters or years.
    Calendar(Period),
    /// Runs of `length` days, the first starting at `origin`.
    Days {
        /// Days per period (at least 1).
        length: u32,
        /// The first day of period 0.
        origin: Date,
    },
}

/// The longest run of days a grid period, rolling window or bracket may span: the supported
/// calendar, 0000-01-01 to 9999-12-31 (3,652,425 days). Longer spans would only overflow the
/// day arithmetic; every date fits in one such period.
pub const MAX_WINDOW_DAYS: u32 = 3_652_425;

impl Grid {
    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            Grid::Days { length: 0, .. } => Err(Error::InvalidParameter {
                name: "length",
                reason: "a period of 0 days is empty: use 1 or more".into(),
            }),
            Grid::Days { length, .. } if *length > MAX_WINDOW_DAYS => {
                Err(Error::InvalidParameter {
                    name: "length",
                    reason: format!(
                        "a period of {length} days is longer than the calendar \
                         ({MAX_WINDOW_DAYS} days): use at most that"
                    ),
                })
            }
            _ => Ok(()),
        }
    }

    /// The dense index of the period holding `date` (consecutive periods, consecutive indices).
    #[must_use]
    #[inline]
    pub fn index(&self, date: Date) -> i32 {
        match *self {
            Grid::Calendar(period) => period.index(date),
            // In i64: a length past i32::MAX (refused by validation, but `index` is public)
            // must not turn negative.
            Grid::Days { length, origin } => (i64::from(date.days()) - i64::from(origin.days()))
                .div_euclid(i64::from(length.max(1)))
                as i32,
        }
    }

    /// The first day of period `index`, `None` outside the supported dates.
    #[must_use]
    pub fn start_of(&self, index: i32) -> Option<Date> {
        match *self {
            Grid::Calendar(period) => period.start_of_index(index).ok(),
            Grid::Days { length, origin } => origin
                .add_days(i64::from(index) * i64::from(length.max(1)))
                .ok(),
        }
    }

    /// A label for period `index`: the calendar label (`2024-03`, `2024-W09`, `2024-Q1`) or,
    /// for runs of days, the first day.
    #[must_use]
    pub fn label(&self, index: i32) -> String {
        match (self, self.start_of(index)) {
            (Grid::Calendar(period), Some(start)) => period.label(start),
            (Grid::Days { .. }, Some(start)) => start.to_string(),
            (_, None) => format!("period {index}"),
        }
    }

    /// Whether `date` is the last day of its period.
    pub(crate) fn ends_on(&self, date: Date) -> bool {
        match date.add_days(1) {
            Ok(next) => self.index(next) != self.index(date),
            Err(_) => true,
        }
    }
}

/// [`Grid::index`] for day numbers, with the division by a run length replaced by a
/// multiplication (one activity record needs one index, and a hardware division costs more
/// than the record's memory access).
#[derive(Debug, Clone, Copy)]
pub(crate) enum GridIndexer {
    Calendar(Period),
    Days {
        /// Added to a day so that every supported day maps to a non-negative `x`: a multiple of
        /// `length` (the lift) less the origin.
        offset: i64,
        /// `ceil(2^64 / length)`: `floor(x / length) = (x * magic) >> 64` for 0 <= x < 2^32
        /// and length >= 2 (length 1 divides by nothing).
        magic: u64,
        unit: bool,
        /// The lift divided by `length`, taken back off the quotient.
        base: i32,
    },
}

impl GridIndexer {
    pub(crate) fn new(grid: Grid) -> Self {
        match grid {
            Grid::Calendar(period) => GridIndexer::Calendar(period),
            Grid::Days { length, origin } => {
                let length = i64::from(length.max(1));
                let span = i64::from(Date::MAX.days()) - i64::from(Date::MIN.days()) + 1;
                let lift = (span + length - 1) / length * length;
                GridIndexer::Days {
                    offset: lift - i64::from(origin.days()),
                    magic: if length == 1 {
                        0
                    } else {
                        (1u128 << 64).div_ceil(length as u128) as u64
                    },
                    unit: length == 1,
                    base: (lift / length) as i32,
                }
            }
        }
    }

    #[inline]
    pub(crate) fn index(&self, day: i32) -> i32 {
        match *self {
            GridIndexer::Calendar(period) => period.index(Date::from_valid_days(day)),
            GridIndexer::Days {
                offset,
                magic,
                unit,
                base,
            } => {
                let x = (i64::from(day) + offset) as u64;
                let quotient = if unit {
                    x
                } else {
                    ((u128::from(x) * u128::from(magic)) >> 64) as u64
                };
                quotient as i32 - base
            }
        }
    }
}

/// The cohorts of a set of customers: each member's cohort and signup day, the cohort labels
/// in order, and the sizes.
///
/// Loading through `Deserialize` checks one signup and cohort per customer of the set, valid
/// signup days, cohorts that exist, and sizes that match the members.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Cohorts {
    universe: Universe,
    /// Signup day per dense customer (`i32::MIN`: not a member).
    signup: Vec<i32>,
    /// Cohort per dense customer (`u32::MAX`: not a member).
    cohort: Vec<u32>,
    labels: Vec<String>,
    sizes: Vec<u64>,
}

pub(crate) const NO_COHORT: u32 = u32::MAX;

checked_serde!(Cohorts, Cohorts::check);

impl CustomerSet for Cohorts {
    fn universe(&self) -> Universe {
        self.universe
    }
}

impl Cohorts {
    /// The invariants of loaded cohorts.
    fn check(&self) -> Result<()> {
        let n = self.universe.len();
        for (len, what) in [
            (self.signup.len(), "cohort signups (one per customer)"),
            (self.cohort.len(), "cohort memberships (one per customer)"),
        ] {
            if len != n {
                return Err(Error::LengthMismatch {
                    what,
                    expected: n,
                    found: len,
                });
            }
        }
        let k = self.labels.len();
        if self.sizes.len() != k {
            return Err(Error::LengthMismatch {
                what: "cohort sizes (one per label)",
                expected: k,
                found: self.sizes.len(),
            });
        }
        let bad = |reason: String| Error::InvalidParameter {
            name: "cohorts",
            reason,
        };
        let mut members = vec![0u64; k];
        for (i, (&c, &s)) in self.cohort.iter().zip(&self.signup).enumerate() {
            if c == NO_COHORT {
                if s != NO_SIGNUP {
                    return Err(bad(format!(
                        "customer {i} is in no cohort but has a signup"
                    )));
                }
                continue;
            }
            match members.get_mut(c as usize) {
                Some(m) => *m += 1,
                None => return Err(bad(format!("customer {i} is in cohort {c} of {k}"))),
            }
            if Date::from_days(i64::from(s)).is_err() {
                return Err(bad(format!("customer {i} has signup day {s}")));
            }
        }
        if members != self.sizes {
            return Err(bad(format!(
                "sizes {:?} do not match the members {members:?}",
                self.sizes
            )));
        }
        Ok(())
    }

    /// Cohorts by signup period on `grid` (signup month, week, quarter ...), in chronological
    /// order. `signups` holds one record per customer (its signup day); customers without one
    /// are in no cohort.
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`] for a signup of a customer the lookup does not know,
    /// [`Error::DuplicateName`] for a customer with two signups,
    /// [`Error::InvalidParameter`] for a grid of 0-day periods, [`Error::EmptyInput`] without
    /// signups.
    pub fn by_signup<K: Debug, R: CustomerDate<K>>(
        lookup: &impl CustomerLookup<K>,
        signups: &[R],
        grid: Grid,
    ) -> Result<Cohorts> {
        grid.validate()?;
        // Signup periods are small integers: a dense table from period to cohort replaces the
        // ordered map of the general path.
        let signup = signup_days(lookup, signups)?;
        let indexer = GridIndexer::new(grid);
        let n = signup.len();
        // Periods are recomputed where needed (one multiply each) rather than kept in a
        // vector of their own.
        let (mut low, mut high) = (i32::MAX, i32::MIN);
        for &day in &signup {
            if day != NO_SIGNUP {
                let p = indexer.index(day);
                low = low.min(p);
                high = high.max(p);
            }
        }
        let span = (i64::from(high) - i64::from(low) + 1) as usize;
        if span > 4 * n.max(1 << 16) {
            // Very sparse periods (days over millennia): the general path.
            return Cohorts::build(
                lookup,
                signups,
                |_, date| Some(grid.index(date)),
                |&i| grid.label(i),
            );
        }
        let offset = |day: i32| (indexer.index(day) - low) as usize;
        // Customers per period, then a cohort for each period that has any.
        let mut members = vec![0u64; span];
        for &day in &signup {
            if day != NO_SIGNUP {
                members[offset(day)] += 1;
            }
        }
        let mut present = vec![NO_COHORT; span];
        let (mut labels, mut sizes) = (Vec::new(), Vec::new());
        for (at, (&count, slot)) in members.iter().zip(present.iter_mut()).enumerate() {
            if count > 0 {
                *slot = labels.len() as u32;
                labels.push(grid.label(low + at as i32));
                sizes.push(count);
            }
        }
        let cohort_of = |&day: &i32| {
            if day == NO_SIGNUP {
                NO_COHORT
            } else {
                present[offset(day)]
            }
        };
        let cohort: Vec<u32> = crate::engine::par::map_slice(&signup, cohort_of);
        Ok(Cohorts {
            universe: lookup.universe(),
            signup,
            cohort,
            labels,
            sizes,
        })
    }

    /// Cohorts by any caller key: `key(customer, signup)` returns the cohort key (acquisition
    /// channel, size tier, `(channel, signup quarter)` for a cross), or `None` to leave the
    /// customer out. Cohorts are ordered by key and labelled with its `Display`.
    ///
    /// # Errors
    /// As [`Cohorts::by_signup`].
    pub fn by_key<K: Debug, R: CustomerDate<K>, G: Ord + Display>(
        lookup: &impl CustomerLookup<K>,
        signups: &[R],
        key: impl FnMut(CustomerId, Date) -> Option<G>,
    ) -> Result<Cohorts> {
        Cohorts::build(lookup, signups, key, |g| g.to_string())
    }

    /// Cohorts by segment of a [`Segmentation`] of the lookup's customers, in segment order
    /// and named by segment; customers without a segment are left out.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the segmentation is not over the lookup's
    /// customers; as [`Cohorts::by_signup`].
    pub fn by_segment<K: Debug, R: CustomerDate<K>>(
        lookup: &impl CustomerLookup<K>,
        signups: &[R],
        segmentation: &Segmentation,
    ) -> Result<Cohorts> {
        segmentation.ensure_same(lookup, "index of the signups")?;
        let mut cohorts = Cohorts::build(
            lookup,
            signups,
            |id, _| segmentation.segment_of(id),
            |&s| segmentation.segments()[s].name().to_owned(),
        )?;
        // Keep every segment, empty ones too, so positions match the segmentation's.
        let mut sizes = vec![0u64; segmentation.segment_count()];
        for (c, id) in cohorts.cohort.iter_mut().zip(0u32..) {
            if *c != NO_COHORT {
                let s = segmentation.segment_of(CustomerId(id)).unwrap_or(0);
                *c = s as u32;
                sizes[s] += 1;
            }
        }
        cohorts.labels = segmentation
            .segments()
            .iter()
            .map(|s| s.name().to_owned())
            .collect();
        cohorts.sizes = sizes;
        Ok(cohorts)
    }

    fn build<K: Debug, R: CustomerDate<K>, G: Ord>(
        lookup: &impl CustomerLookup<K>,
        signups: &[R],
        mut key: impl FnMut(CustomerId, Date) -> Option<G>,
        mut label: impl FnMut(&G) -> String,
    ) -> Result<Cohorts> {
        let signup = signup_days(lookup, signups)?;
        let keys: Vec<Option<G>> = signup
            .iter()
            .zip(0u32..)
            .map(|(&day, id)| {
                (day != NO_SIGNUP)
                    .then(|| key(CustomerId(id), Date::from_valid_days(day)))
                    .flatten()
            })
            .collect();
        let distinct: BTreeMap<&G, u32> = keys
            .iter()
            .flatten()
            .map(|g| (g, 0))
            .collect::<BTreeMap<_, _>>()
            .into_keys()
            .zip(0..)
            .collect();
        let labels: Vec<String> = distinct.keys().map(|g| label(g)).collect();
        let mut sizes = vec![0u64; labels.len()];
        let cohort: Vec<u32> = keys
            .iter()
            .map(|g| match g.as_ref().and_then(|g| distinct.get(g)) {
                Some(&c) => {
                    sizes[c as usize] += 1;
                    c
                }
                None => NO_COHORT,
            })
            .collect();
        let mut signup = signup;
        for (s, c) in signup.iter_mut().zip(&cohort) {
            if *c == NO_COHORT {
                *s = NO_SIGNUP;
            }
        }
        Ok(Cohorts {
            universe: lookup.universe(),
            signup,
            cohort,
            labels,
            sizes,
        })
    }

    /// The number of cohorts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no cohorts.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Cohort labels, in cohort order.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Members per cohort.
    #[must_use]
    pub fn sizes(&self) -> &[u64] {
        &self.sizes
    }

    /// The customer set of the lookup the cohorts were built over.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// The cohorts as a [`Segmentation`] of the lookup's customers: one segment per cohort, in
    /// cohort order, named by its label; customers in no cohort are in no segment.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] when there is no cohort.
    pub fn segmentation(&self) -> Result<Segmentation> {
        let labels = self
            .cohort
            .iter()
            .map(|&c| (c != NO_COHORT).then_some(c as usize))
            .collect();
        let segments = self
            .labels
            .iter()
            .map(|l| {
                SegmentDescriptor::new(l.clone(), SegmentDefinition::Cohort { key: l.clone() })
            })
            .collect();
        Segmentation::new(&self.universe, labels, segments)
    }

    /// The number of customers the lookup held (members or not).
    #[must_use]
    pub fn customer_count(&self) -> usize {
        self.cohort.len()
    }

    /// The cohort of a customer, `None` when it is in none (or unknown).
    #[must_use]
    pub fn cohort_of(&self, customer: CustomerId) -> Option<usize> {
        match self.cohort.get(customer.index()) {
            Some(&c) if c != NO_COHORT => Some(c as usize),
            _ => None,
        }
    }

    /// The signup day of a member.
    #[must_use]
    pub fn signup_of(&self, customer: CustomerId) -> Option<Date> {
        self.cohort_of(customer)
            .and_then(|_| Date::from_days(i64::from(self.signup[customer.index()])).ok())
    }

    pub(crate) fn raw_cohorts(&self) -> &[u32] {
        &self.cohort
    }

    pub(crate) fn raw_signups(&self) -> &[i32] {
        &self.signup
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_grid_indexer_equals_floor_division() {
        for length in [1u32, 2, 7, 30, 91, 365, 1000] {
            for origin in [Date::MIN, Date::from_valid_days(0), Date::MAX] {
                let indexer = GridIndexer::new(Grid::Days { length, origin });
                let days = (Date::MIN.days()..=Date::MAX.days()).step_by(997);
                for day in days.chain([Date::MIN.days(), Date::MAX.days()]) {
                    let expected =
                        (i64::from(day) - i64::from(origin.days())).div_euclid(i64::from(length));
                    assert_eq!(i64::from(indexer.index(day)), expected, "{length} {day}");
                }
            }
        }
    }
}
