//! Expected future value: the buy-till-you-die models (BG/NBD, Pareto/NBD), the Gamma-Gamma
//! spend model, discounted customer lifetime value, and contractual retention (sBG and
//! beta-discrete-Weibull), with value segments from the predictions.
//!
//! Every model matches Python's `lifetimes` 0.11 in parameterization, penalizer, likelihood
//! and predictions; fits run BFGS with a Newton polish, so they reach an optimum at least as
//! good as lifetimes'. Predictions come in [`BtydSummary`](crate::rfm::BtydSummary) key order
//! and become customer columns through [`per_customer`], so predicted-CLV quintiles
//! ([`crate::economics::ValueQuantiles`]) and P(alive) bands ([`p_alive_bands`]) are
//! [`Segmentation`]s over the same customer index as every other analysis.
//!
//! ```
//! use saas_segmentation::clv::{
//!     customer_lifetime_value, per_customer, BetaGeo, BetaGeoOptions, ClvParams, GammaGamma,
//!     GammaGammaOptions, Histories,
//! };
//! use saas_segmentation::economics::ValueQuantiles;
//! use saas_segmentation::records::Transaction;
//! use saas_segmentation::rfm::{BtydParams, BtydPeriod, BtydSummary};
//! use saas_segmentation::{CustomerIndex, Date};
//!
//! let day = |n: i64| "2024-01-01".parse::<Date>().unwrap().add_days(n).unwrap();
//! let mut log = Vec::new();
//! for c in 0..40_i64 {
//!     let key = format!("c{c:02}");
//!     for k in 0..(c % 5) {
//!         log.push(Transaction::new(key.clone(), day(c + 9 * k * (1 + c % 3)), 10.0 + (c % 7) as f64));
//!     }
//!     log.push(Transaction::new(key, day(c), 12.0));
//! }
//! let params = BtydParams::new(day(120)).period(BtydPeriod::Day);
//! let summary = BtydSummary::from_transactions(&log, &params)?;
//! let histories = Histories::of(&summary)?;
//! let purchases = BetaGeo::fit(&histories, BetaGeoOptions::new().penalizer(0.001))?;
//! let spend = GammaGamma::fit(summary.frequency(), summary.monetary(), GammaGammaOptions::new())?;
//! let clv = customer_lifetime_value(
//!     purchases.params(),
//!     spend.params(),
//!     &histories,
//!     summary.monetary(),
//!     &ClvParams::new(12).periods_per_month(30.0),
//! )?;
//! // Tie the predictions to the customer index and split them into quintiles.
//! let index = CustomerIndex::sorted_from_keys(summary.keys().iter().cloned())?;
//! let column = per_customer(&summary, &index, &clv)?;
//! let quintiles = ValueQuantiles::new(&index, &column, 5)?;
//! assert_eq!(quintiles.segmentation().segment_count(), 5);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod bgnbd;
mod contractual;
mod fit;
mod gamma_gamma;
mod histories;
pub(crate) mod optimize;
mod pareto;
pub(crate) mod special;

pub use bgnbd::{BetaGeo, BetaGeoOptions, BetaGeoParams};
pub use contractual::{Contract, ContractualFit, ContractualParams, MIN_DISCOUNT};
pub use fit::{Convergence, Estimate};
pub use gamma_gamma::{GammaGamma, GammaGammaOptions, GammaGammaParams};
pub use histories::{per_customer, Histories, MAX_FREQUENCY};
pub use pareto::{ParetoNbd, ParetoNbdOptions, ParetoNbdParams};

use crate::error::{Error, Result};
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};
use crate::universe::PerCustomer;

/// A model of repeat purchases that predicts, per customer history, whether the customer is
/// alive and how many purchases follow: BG/NBD ([`BetaGeoParams`]) or Pareto/NBD
/// ([`ParetoNbdParams`]).
pub trait TransactionModel {
    /// The model's name, for messages and reports.
    fn name(&self) -> &'static str;

    /// P(alive) per customer of `histories`, in their order.
    ///
    /// # Errors
    /// [`Error::Undefined`] when a term cannot be computed in f64.
    fn p_alive_all(&self, histories: &Histories<'_>) -> Result<Vec<f64>>;

    /// Expected purchases in `(T, T + t]` per customer of `histories`, in their order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `t`; [`Error::Undefined`]
    /// when the expectation is infinite under the parameters.
    fn conditional_expected_all(&self, t: f64, histories: &Histories<'_>) -> Result<Vec<f64>>;
}

/// Parameters of [`customer_lifetime_value`], lifetimes' `customer_lifetime_value` arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvParams {
    months: u32,
    monthly_discount: f64,
    periods_per_month: f64,
    margin: f64,
}

impl ClvParams {
    /// A horizon of `months` months, lifetimes' defaults otherwise: monthly discount rate
    /// 0.01, histories in days (30 periods a month), margin 1.
    #[must_use]
    pub fn new(months: u32) -> Self {
        ClvParams {
            months,
            monthly_discount: 0.01,
            periods_per_month: 30.0,
            margin: 1.0,
        }
    }

    /// Monthly discount rate (lifetimes' `discount_rate`).
    #[must_use]
    pub fn monthly_discount(mut self, rate: f64) -> Self {
        self.monthly_discount = rate;
        self
    }

    /// History time units per month (lifetimes' `freq`: days 30, weeks 4.345, months 1,
    /// hours 720).
    #[must_use]
    pub fn periods_per_month(mut self, periods: f64) -> Self {
        self.periods_per_month = periods;
        self
    }

    /// Gross margin applied to the expected spend (1 reproduces lifetimes, which has none).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    fn validate(&self) -> Result<()> {
        let bad =
            |name: &'static str, reason: String| Err(Error::InvalidParameter { name, reason });
        if self.months == 0 || self.months > 1200 {
            return bad(
                "months",
                format!("{}: use a horizon of 1 to 1200 months", self.months),
            );
        }
        if !(self.monthly_discount.is_finite() && self.monthly_discount > -1.0) {
            return bad(
                "monthly_discount",
                format!("{} is not a finite rate above -1", self.monthly_discount),
            );
        }
        if !(self.periods_per_month.is_finite() && self.periods_per_month > 0.0) {
            return bad(
                "periods_per_month",
                format!(
                    "{} is not a positive number of periods",
                    self.periods_per_month
                ),
            );
        }
        if !(self.margin.is_finite() && (0.0..=1.0).contains(&self.margin)) {
            return bad(
                "margin",
                format!("{} is not a margin in [0, 1]", self.margin),
            );
        }
        Ok(())
    }
}

/// Discounted customer lifetime value per customer, lifetimes' `customer_lifetime_value`:
/// month by month, the expected purchases of the month (from `purchases`) times the expected
/// average spend (from `spend`, given each customer's `monetary` mean), times the margin,
/// discounted by `(1 + monthly_discount)^month`.
///
/// See the [module example](self).
///
/// # Errors
/// [`Error::LengthMismatch`] when `monetary` is not one per history;
/// [`Error::InvalidParameter`] for bad [`ClvParams`]; the errors of the models' predictions.
pub fn customer_lifetime_value(
    purchases: &impl TransactionModel,
    spend: &GammaGammaParams,
    histories: &Histories<'_>,
    monetary: &[f64],
    params: &ClvParams,
) -> Result<Vec<f64>> {
    params.validate()?;
    if monetary.len() != histories.len() {
        return Err(Error::LengthMismatch {
            what: "monetary values (one per history)",
            expected: histories.len(),
            found: monetary.len(),
        });
    }
    let value: Vec<f64> = histories
        .frequency()
        .iter()
        .zip(monetary)
        .map(|(&x, &m)| spend.expected_average_value(x, m.max(0.0)))
        .collect::<Result<_>>()?;
    let mut clv = vec![0.0; histories.len()];
    let mut previous = vec![0.0; histories.len()];
    for month in 1..=params.months {
        let t = f64::from(month) * params.periods_per_month;
        let expected = purchases.conditional_expected_all(t, histories)?;
        let factor = params.margin / (1.0 + params.monthly_discount).powi(month as i32);
        for i in 0..clv.len() {
            clv[i] += value[i] * (expected[i] - previous[i]) * factor;
        }
        previous = expected;
    }
    for (i, v) in clv.iter().enumerate() {
        crate::error::ensure_finite(*v, || format!("customer at position {i}"), "CLV")?;
    }
    Ok(clv)
}

/// Segments customers by P(alive) at the given ascending cut points: `cuts = [0.3, 0.7]` gives
/// "p_alive < 0.3", "0.3 <= p_alive < 0.7" and "p_alive >= 0.7"; customers without a value are
/// in no segment.
///
/// ```
/// use saas_segmentation::clv::p_alive_bands;
/// use saas_segmentation::{CustomerIndex, PerCustomer};
///
/// let index = CustomerIndex::from_keys(["b", "a", "c"])?;
/// let p = PerCustomer::from_keyed(&index, [("a", 0.95), ("b", 0.1), ("c", 0.5)])?;
/// let bands = p_alive_bands(&p, &[0.3, 0.7])?;
/// assert_eq!(bands.segment_name_of(index.get("a").unwrap()), Some("p_alive >= 0.7"));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for no cut, cuts outside (0, 1) or not strictly increasing;
/// [`Error::OutOfRange`] naming the customer whose value is not a probability.
pub fn p_alive_bands(p_alive: &PerCustomer<f64>, cuts: &[f64]) -> Result<Segmentation> {
    if cuts.is_empty()
        || cuts
            .iter()
            .any(|c| !(c.is_finite() && *c > 0.0 && *c < 1.0))
        || cuts.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(Error::InvalidParameter {
            name: "cuts",
            reason: format!("{cuts:?}: give strictly increasing cut points inside (0, 1)"),
        });
    }
    let mut segments = Vec::with_capacity(cuts.len() + 1);
    for band in 0..=cuts.len() {
        let name = match band {
            0 => format!("p_alive < {}", cuts[0]),
            b if b == cuts.len() => format!("p_alive >= {}", cuts[b - 1]),
            b => format!("{} <= p_alive < {}", cuts[b - 1], cuts[b]),
        };
        let description = name.clone();
        segments.push(SegmentDescriptor::new(
            name,
            SegmentDefinition::Rule { description },
        ));
    }
    let mut labels = Vec::with_capacity(p_alive.len());
    for (id, value) in p_alive.iter() {
        labels.push(match value {
            None => None,
            Some(&p) => {
                if !(0.0..=1.0).contains(&p) {
                    return Err(Error::OutOfRange {
                        record: format!("customer {id}"),
                        field: "P(alive)".to_owned(),
                        value: p,
                        expected: "a probability in [0, 1]",
                    });
                }
                Some(cuts.iter().take_while(|c| p >= **c).count())
            }
        });
    }
    Segmentation::new(p_alive, labels, segments)
}
