//! Value and unit economics: MRR movements, NRR and GRR, LTV, CAC and payback, KPIs per
//! segment, value quantiles, revenue concentration, ideal customer profiles and time to value.
//!
//! From monthly MRR ([`MrrRecord`](crate::records::MrrRecord); subscriptions are summed per
//! customer with [`customer_mrr`], so cancelling one of several is contraction):
//! [`MrrMovements`] gives ChartMogul's five movements per month, the MRR bridge, gross and net
//! MRR churn, logo churn, quick ratio and ARPA; [`revenue_retention`] gives NRR and GRR over a
//! window. [`ltv`], [`cac`] and [`cac_payback_months`] compute the unit economics (a churn of 0
//! is an error, never an infinite LTV); [`segment_kpis`] tabulates conversion, win rate, CAC,
//! LTV, NRR, GRR, churn and support load per segment of any [`Segmentation`](crate::Segmentation),
//! with Wilson intervals on proportions; [`check_tier_economics`] flags tiers whose measured
//! ACV, CAC, LTV or sales cycle fall outside the typed defaults.
//!
//! [`ValueQuantiles`] splits customers into LTV quintiles (a `Segmentation`), [`Concentration`]
//! measures how concentrated revenue is (top shares, Lorenz curve, Gini), and
//! [`IdealCustomerProfile`] finds the traits the top group shares (lift with interval and
//! Holm-adjusted significance), scores prospects against them, and, fitted on the bottom group
//! or churners, gives the anti-ICP.
//!
//! ```
//! use saas_segmentation::economics::{Concentration, IdealCustomerProfile, ProfileParams, ValueQuantiles};
//! use saas_segmentation::validate::Variable;
//! use saas_segmentation::{CustomerIndex, PerCustomer};
//!
//! let index = CustomerIndex::from_keys((0..100).map(|i| format!("cus_{i:03}")))?;
//! let values: Vec<f64> = (0..100).map(|i| if i % 5 == 0 { 5_000.0 + i as f64 } else { 300.0 + i as f64 }).collect();
//! let ltv = PerCustomer::complete(&index, values.clone())?;
//! let quintiles = ValueQuantiles::new(&index, &ltv, 5)?;
//! assert_eq!(quintiles.groups()[0].customers, 20);
//! assert!(Concentration::new(&values)?.top_share(0.2)? > 0.75);
//! let industry = Variable::categorical(
//!     "industry",
//!     PerCustomer::from_fn(&index, |id| Some(if id.get() % 5 == 0 { "fintech" } else { "retail" }.to_owned())),
//! );
//! let profile = quintiles.profile(std::slice::from_ref(&industry))?; // top and bottom side by side
//! assert_eq!(profile[0].groups.len(), 5);
//! let icp = IdealCustomerProfile::fit(&quintiles.top_flags(), &[industry], "top 20% by LTV", &ProfileParams::new())?;
//! assert_eq!(icp.traits().count(), 1);
//! assert!(icp.to_string().contains("industry = fintech"));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod icp;
mod intervals;
mod kpi;
mod movements;
mod ttfv;
mod value;

pub(crate) use crate::mrr_series::MrrSeries;
pub use crate::mrr_series::{CreditPolicy, MrrParams};
pub use icp::{FitScore, IdealCustomerProfile, ProfileParams, Trait, TraitCondition};
pub use intervals::{monthly_mrr, SnapshotRule, Subscription, MAX_MONTHLY_ROWS};
pub use kpi::{
    check_tier_economics, segment_kpis, KpiInputs, SegmentKpis, TierFlag, TierMeasurement,
};
pub use movements::{
    customer_mrr, revenue_retention, MonthMovements, MrrMovements, SubscriptionMrr, WindowRetention,
};
pub use ttfv::{
    retention_by_time_to_value, time_to_first_value, time_to_value_by_segment, RetentionBySpeed,
    SegmentTimeToValue,
};
pub use value::{
    cac, cac_payback_months, ltv, observed_ltv, wilson, Concentration, GroupProfile, GroupSummary,
    Proportion, ValueGroup, ValueQuantiles,
};
