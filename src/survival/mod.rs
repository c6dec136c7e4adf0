//! Survival analysis of customer lifetimes: Kaplan-Meier curves with exponential Greenwood
//! intervals, log-rank tests for two or k groups, pairwise comparisons with Holm's correction,
//! and the difference of survival at a fixed time.
//!
//! Durations come from the caller or from records: [`SurvivalData::from_mrr`] (months from the
//! first paying month to churn, censored when still paying) and
//! [`SurvivalData::from_activity`] (days from signup to the last activity, churned after a
//! stated inactivity gap). [`compare_segments`] fits a curve per segment of a
//! [`Segmentation`] and tests them.
//!
//! ```
//! use saas_segmentation::survival::{logrank_test, survival_difference_at, KaplanMeierParams,
//!     SurvivalGroup, Weighting};
//!
//! // Months until churn; false = still a customer (censored).
//! let partner = [3.0, 8.0, 12.0, 12.0, 12.0, 5.0, 12.0, 9.0];
//! let partner_churned = [true, true, false, false, false, true, false, true];
//! let ads = [1.0, 2.0, 2.0, 4.0, 6.0, 12.0, 3.0, 5.0];
//! let ads_churned = [true, true, true, true, true, false, true, true];
//! let km = KaplanMeierParams::new();
//! let (a, b) = (km.fit(&partner, &partner_churned)?, km.fit(&ads, &ads_churned)?);
//! assert!((a.at(6.0)?.survival - 0.75).abs() < 1e-12);
//! assert_eq!(b.median(), 3.0);
//! let test = logrank_test(
//!     &[SurvivalGroup::new(&partner, &partner_churned), SurvivalGroup::new(&ads, &ads_churned)],
//!     Weighting::LogRank,
//! )?;
//! assert!(test.p_value < 0.05);
//! let six_months = survival_difference_at(&a, &b, 6.0, 0.05)?;
//! assert!(six_months.difference > 0.0);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod cox;
mod kaplan_meier;
mod logrank;

use std::fmt::Debug;

pub use cox::{
    concordance_index, nelson_aalen, CoxCoefficient, CoxModel, CoxParams, LikelihoodRatioTest,
    NelsonAalenRow, Ties,
};
pub use kaplan_meier::{KaplanMeier, KaplanMeierParams, KaplanMeierRow, SurvivalPoint};
pub use logrank::{
    logrank_test, pairwise_logrank, survival_difference_at, LogRankTest, PairwiseLogRank,
    SurvivalDifference, SurvivalGroup, Weighting,
};

use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, CustomerLookup};
use crate::records::{CustomerDate, MrrRecord};
use crate::segmentation::Segmentation;
use crate::universe::{CustomerSet, PerCustomer, Universe};

/// Customer lifetimes: per customer a duration and whether churn was observed.
///
/// Loading through `Deserialize` runs [`SurvivalData::new`]'s checks (one distinct customer of the set per lifetime, finite non-negative durations).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct SurvivalData {
    universe: Universe,
    customers: Vec<CustomerId>,
    durations: Vec<f64>,
    observed: Vec<bool>,
}

checked_serde!(SurvivalData, SurvivalData::check);

/// Settings of lifetimes read from records: the analysis date (required: no clock is read) and,
/// for lifetimes from activity, how long a quiet customer has to be to count as churned.
///
/// Loading through `Deserialize` runs [`LifetimeParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct LifetimeParams {
    analysis_date: Date,
    inactive_days: u32,
    /// Activity rows before the customer's signup or after the analysis date.
    #[cfg_attr(feature = "serde", serde(default))]
    out_of_window: crate::records::BadRows,
}

checked_serde!(LifetimeParams, LifetimeParams::validate);

impl LifetimeParams {
    /// Lifetimes up to `analysis_date`, churn after 30 quiet days.
    #[must_use]
    pub fn new(analysis_date: Date) -> Self {
        LifetimeParams {
            analysis_date,
            inactive_days: 30,
            out_of_window: crate::records::BadRows::Reject,
        }
    }

    /// What [`SurvivalData::from_activity`] does with an activity row dated before its
    /// customer's signup or after the analysis date: `Reject` it with an error naming the row
    /// (default), or `Drop` it (as the retention analyses' `OutOfWindow::Drop`).
    #[must_use]
    pub fn out_of_window(mut self, policy: crate::records::BadRows) -> Self {
        self.out_of_window = policy;
        self
    }

    /// Days without activity after which a customer counts as churned (lifetimes from
    /// activity). Default: 30.
    #[must_use]
    pub fn inactive_days(mut self, days: u32) -> Self {
        self.inactive_days = days;
        self
    }

    /// The analysis date.
    #[must_use]
    pub fn analysis_date(&self) -> Date {
        self.analysis_date
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for 0 inactive days.
    pub fn validate(&self) -> Result<()> {
        if self.inactive_days == 0 {
            return Err(Error::InvalidParameter {
                name: "inactive_days",
                reason: "0 days of inactivity would churn everyone: use e.g. 30, 60 or 90".into(),
            });
        }
        Ok(())
    }
}

impl SurvivalData {
    /// Lifetimes in months from monthly MRR up to the month of the analysis date: the first paying
    /// month starts a customer's life, the first later month with MRR 0 or no row ends it
    /// (duration = paid months, churn observed); a customer still paying in the analysis month
    /// is censored at the months paid so far. Only the first paying spell counts (a
    /// reactivation does not extend it). Customers that never paid are left out.
    ///
    /// # Errors
    /// As [`crate::cohort::RevenueRetention::compute`].
    pub fn from_mrr<K: Debug>(
        lookup: &impl CustomerLookup<K>,
        records: &[MrrRecord<K>],
        params: &LifetimeParams,
    ) -> Result<SurvivalData> {
        params.validate()?;
        let analysis_month = Period::Month.index(params.analysis_date);
        let series = crate::economics::MrrSeries::build(
            lookup,
            records,
            analysis_month,
            crate::economics::CreditPolicy::Reject,
        )?;
        let mut data = SurvivalData::empty(lookup);
        for c in 0..series.customers() {
            let mut entries = series.of(c).skip_while(|&(_, v)| v <= 0.0);
            let Some((start, _)) = entries.next() else {
                continue;
            };
            let mut last = start;
            for (month, v) in entries {
                if month == last + 1 && v > 0.0 {
                    last = month;
                } else {
                    break;
                }
            }
            let churned = last < analysis_month;
            data.push(CustomerId(c as u32), f64::from(last - start + 1), churned);
        }
        Ok(data)
    }

    /// Lifetimes in days from signup: a customer whose last activity (or signup, without any)
    /// lies at least [`LifetimeParams::inactive_days`] before the analysis date churned at its
    /// last activity (duration = last activity - signup); the others are censored at
    /// `analysis - signup`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without signups, [`Error::UnknownCustomer`],
    /// [`Error::DuplicateName`] for two signups of one customer, [`Error::OutOfRange`] for
    /// activity before its signup or after `analysis`, a signup after `analysis`, or
    /// `inactive_days` of 0.
    pub fn from_activity<K: Debug, S: CustomerDate<K>, R: CustomerDate<K>>(
        lookup: &impl CustomerLookup<K>,
        signups: &[S],
        activity: &[R],
        params: &LifetimeParams,
    ) -> Result<SurvivalData> {
        params.validate()?;
        let (analysis, inactive_days) = (params.analysis_date, params.inactive_days);
        let signup = crate::records::signup_days(lookup, signups)?;
        if let Some((i, &day)) = signup
            .iter()
            .enumerate()
            .find(|(_, &d)| d > analysis.days())
        {
            return Err(Error::OutOfRange {
                record: format!("signup of customer id {i}"),
                field: format!(
                    "date {} ({} days after the analysis date {analysis})",
                    Date::from_valid_days(day),
                    day - analysis.days()
                ),
                value: f64::from(day - analysis.days()),
                expected: "a signup on or before the analysis date: leave later signups out or \
                           move the analysis date",
            });
        }
        let mut last = signup.clone();
        for (row, r) in activity.iter().enumerate() {
            let id = lookup
                .lookup(r.customer())
                // An id past the count (a faulty lookup) is as unknown as a missing one.
                .filter(|id| id.index() < lookup.customer_count())
                .ok_or_else(|| Error::UnknownCustomer {
                    record: format!("activity row {row}"),
                    customer: format!("{:?}", r.customer()),
                })?;
            let s = signup[id.index()];
            let day = r.date().days();
            if s == crate::records::NO_SIGNUP {
                return Err(Error::OutOfRange {
                    record: format!("activity row {row} (customer {:?})", r.customer()),
                    field: format!("date {} (the customer has no signup)", r.date()),
                    value: f64::from(day - analysis.days()),
                    expected: "activity of customers with a signup: add the customer's signup",
                });
            }
            if day < s || r.date() > analysis {
                if params.out_of_window == crate::records::BadRows::Drop {
                    continue;
                }
                let (gap, side, edge) = if day < s {
                    (
                        s - day,
                        "before the customer's signup",
                        Date::from_valid_days(s),
                    )
                } else {
                    (day - analysis.days(), "after the analysis date", analysis)
                };
                return Err(Error::OutOfRange {
                    record: format!("activity row {row} (customer {:?})", r.customer()),
                    field: format!("date {} ({gap} days {side} {edge})", r.date()),
                    value: f64::from(gap),
                    expected: "a date between the customer's signup and the analysis date; \
                               LifetimeParams::out_of_window(BadRows::Drop) drops such rows",
                });
            }
            last[id.index()] = last[id.index()].max(day);
        }
        let mut data = SurvivalData::empty(lookup);
        for (i, (&s, &l)) in signup.iter().zip(&last).enumerate() {
            if s == crate::records::NO_SIGNUP {
                continue;
            }
            let churned = analysis.days() - l >= inactive_days as i32;
            let end = if churned { l } else { analysis.days() };
            data.push(CustomerId(i as u32), f64::from(end - s), churned);
        }
        Ok(data)
    }

    /// Lifetimes given directly: customer `ids[i]` of `customers` lived `durations[i]`, with
    /// churn observed when `observed[i]`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the three slices differ in length;
    /// [`Error::UnknownCustomerId`] for an id outside `customers`; [`Error::DuplicateName`] for
    /// two lifetimes of one customer; the errors of [`KaplanMeierParams::fit`] for the
    /// durations.
    pub fn new(
        customers: &(impl CustomerSet + ?Sized),
        ids: Vec<CustomerId>,
        durations: Vec<f64>,
        observed: Vec<bool>,
    ) -> Result<Self> {
        let universe = customers.universe();
        if ids.len() != durations.len() {
            return Err(Error::LengthMismatch {
                what: "customers",
                expected: durations.len(),
                found: ids.len(),
            });
        }
        crate::universe::check_ids(universe, &ids, "customer with a lifetime", "lifetime")?;
        kaplan_meier::check_sample(&durations, &observed, None, "survival data")?;
        Ok(SurvivalData {
            universe,
            customers: ids,
            durations,
            observed,
        })
    }

    /// The invariants of loaded lifetimes.
    fn check(&self) -> Result<()> {
        if self.customers.is_empty() && self.durations.is_empty() && self.observed.is_empty() {
            return Ok(());
        }
        SurvivalData::new(
            &self.universe,
            self.customers.clone(),
            self.durations.clone(),
            self.observed.clone(),
        )
        .map(|_| ())
    }

    fn empty(customers: &(impl CustomerSet + ?Sized)) -> Self {
        SurvivalData {
            universe: customers.universe(),
            customers: Vec::new(),
            durations: Vec::new(),
            observed: Vec::new(),
        }
    }

    fn push(&mut self, customer: CustomerId, duration: f64, observed: bool) {
        self.customers.push(customer);
        self.durations.push(duration);
        self.observed.push(observed);
    }

    /// The customers, in the order of the durations.
    #[must_use]
    pub fn customers(&self) -> &[CustomerId] {
        &self.customers
    }

    /// The durations.
    #[must_use]
    pub fn durations(&self) -> &[f64] {
        &self.durations
    }

    /// Whether churn was observed (false: censored).
    #[must_use]
    pub fn observed(&self) -> &[bool] {
        &self.observed
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.durations.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.durations.is_empty()
    }

    /// Fits one Kaplan-Meier curve to all customers.
    ///
    /// # Errors
    /// As [`KaplanMeierParams::fit`].
    pub fn kaplan_meier(&self, params: &KaplanMeierParams) -> Result<KaplanMeier> {
        params.fit(&self.durations, &self.observed)
    }

    /// The customer set of the lifetimes.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// The lifetimes as a per-customer column: `(duration, churn observed)`, `None` for
    /// customers without a lifetime.
    ///
    /// # Errors
    /// [`Error::Undefined`] when the customer set is too large to hold in memory (a loaded
    /// document claiming more customers than there are).
    pub fn per_customer(&self) -> Result<PerCustomer<(f64, bool)>> {
        let mut values =
            crate::engine::try_filled(self.universe.len(), None, "the lifetimes per customer")?;
        for ((c, &d), &o) in self
            .customers
            .iter()
            .zip(&self.durations)
            .zip(&self.observed)
        {
            if let Some(slot) = values.get_mut(c.index()) {
                *slot = Some((d, o));
            }
        }
        PerCustomer::new(&self.universe, values)
    }

    /// Splits the data by segment: per segment (in segment order) the durations and flags of
    /// its members; customers without a segment are left out.
    ///
    /// # Errors
    /// [`Error::CustomerSetMismatch`] when the segmentation is not over the lifetimes'
    /// customer set.
    pub fn by_segment(&self, segmentation: &Segmentation) -> Result<Vec<(Vec<f64>, Vec<bool>)>> {
        segmentation.ensure_same(&self.universe, "lifetimes")?;
        let mut groups = vec![(Vec::new(), Vec::new()); segmentation.segment_count()];
        for ((c, &d), &o) in self
            .customers
            .iter()
            .zip(&self.durations)
            .zip(&self.observed)
        {
            if let Some(s) = segmentation.segment_of(*c) {
                groups[s].0.push(d);
                groups[s].1.push(o);
            }
        }
        Ok(groups)
    }
}

/// Survival per segment and whether the segments differ.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentSurvival {
    /// Segment names, in segment order.
    pub names: Vec<String>,
    /// The curve per segment.
    pub curves: Vec<KaplanMeier>,
    /// The k-group log-rank test over all segments.
    pub test: LogRankTest,
    /// Every pair, Holm-adjusted.
    pub pairs: Vec<PairwiseLogRank>,
}

/// Fits a Kaplan-Meier curve per segment and tests whether they differ (k-group log-rank and
/// Holm-adjusted pairwise tests).
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the segmentation is not over the lifetimes' customer
/// set; [`Error::InvalidParameter`] naming an empty segment (drop it from the segmentation
/// first); the errors of [`logrank_test`].
pub fn compare_segments(
    data: &SurvivalData,
    segmentation: &Segmentation,
    params: &KaplanMeierParams,
    weighting: Weighting,
) -> Result<SegmentSurvival> {
    let groups = data.by_segment(segmentation)?;
    let mut curves = Vec::with_capacity(groups.len());
    for (s, (d, o)) in groups.iter().enumerate() {
        if d.is_empty() {
            return Err(Error::InvalidParameter {
                name: "segmentation",
                reason: format!(
                    "segment {:?} has no customer with a lifetime: remove it or add its customers",
                    segmentation.segments()[s].name()
                ),
            });
        }
        curves.push(params.fit(d, o)?);
    }
    let views: Vec<SurvivalGroup<'_>> = groups
        .iter()
        .map(|(d, o)| SurvivalGroup::new(d, o))
        .collect();
    Ok(SegmentSurvival {
        names: segmentation
            .segments()
            .iter()
            .map(|s| s.name().to_owned())
            .collect(),
        curves,
        test: logrank_test(&views, weighting)?,
        pairs: pairwise_logrank(&views, weighting)?,
    })
}

/// Hazard ratios of segments against a reference segment: a Cox model on one indicator per
/// other segment (customers without a segment left out), so that each coefficient's hazard
/// ratio reads "churns this many times as fast as the reference", with its interval and
/// p-value. Score bands (a health [`Segmentation`]) against the healthy band are the typical
/// use.
///
/// ```
/// use saas_segmentation::survival::{segment_hazard_ratios, CoxParams, SurvivalData};
/// use saas_segmentation::{CustomerIndex, Segmentation, SegmentDescriptor, SegmentDefinition};
///
/// let index = CustomerIndex::from_keys(["a", "b", "c", "d", "e", "f", "g", "h"])?;
/// let ids = index.ids().collect();
/// let months = vec![12.0, 5.0, 12.0, 3.0, 2.0, 12.0, 4.0, 12.0];
/// let churned = vec![false, true, false, true, true, false, true, false];
/// let data = SurvivalData::new(&index, ids, months, churned)?;
/// let rule = |d: &str| SegmentDefinition::Rule { description: d.to_owned() };
/// let bands = Segmentation::new(&index, vec![Some(0), Some(0), Some(0), Some(1), Some(1), Some(0), Some(1), Some(1)],
///     vec![SegmentDescriptor::new("healthy", rule("score >= 80")), SegmentDescriptor::new("at risk", rule("score < 80"))])?;
/// let cox = segment_hazard_ratios(&data, &bands, 0, &CoxParams::new())?;
/// assert_eq!(cox.coefficients()[0].name, "at risk");
/// assert!(cox.coefficients()[0].hazard_ratio > 1.0);
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the segmentation is not over the lifetimes' customer
/// set; [`Error::InvalidParameter`] for a reference outside the segments or a segmentation
/// of one segment; the errors of [`CoxModel::fit`] (an empty segment is a constant
/// covariate: drop it first).
pub fn segment_hazard_ratios(
    data: &SurvivalData,
    segmentation: &Segmentation,
    reference: usize,
    params: &CoxParams,
) -> Result<CoxModel> {
    segmentation.ensure_same(&data.universe, "lifetimes")?;
    let k = segmentation.segment_count();
    if reference >= k || k < 2 {
        return Err(Error::InvalidParameter {
            name: "reference",
            reason: format!(
                "segment {reference} of {k}: choose one of at least two segments as the reference"
            ),
        });
    }
    let others: Vec<usize> = (0..k).filter(|s| *s != reference).collect();
    let names: Vec<&str> = others
        .iter()
        .map(|s| segmentation.segments()[*s].name())
        .collect();
    let (mut x, mut durations, mut observed) = (Vec::new(), Vec::new(), Vec::new());
    for ((c, &d), &o) in data
        .customers
        .iter()
        .zip(&data.durations)
        .zip(&data.observed)
    {
        if let Some(s) = segmentation.segment_of(*c) {
            x.extend(others.iter().map(|t| f64::from(u8::from(*t == s))));
            durations.push(d);
            observed.push(o);
        }
    }
    let x = ndarray::Array2::from_shape_vec((durations.len(), others.len()), x).map_err(|e| {
        Error::Undefined {
            reason: e.to_string(),
        }
    })?;
    CoxModel::fit(x.view(), &names, &durations, &observed, params)
}
