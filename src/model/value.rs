//! Value variables: what the customer pays and what it cost to win them.

use crate::date::Date;
use crate::error::Result;

labelled_enum! {
    /// The customer's plan.
    PlanTier {
        /// Free plan.
        Free => "free",
        /// Entry paid plan.
        Starter => "starter",
        /// Mid plan.
        Professional => "professional",
        /// Upper plan for larger teams.
        Business => "business",
        /// Negotiated enterprise plan.
        Enterprise => "enterprise",
    }
}

labelled_enum! {
    /// Billing state of the subscription.
    BillingStatus {
        /// In a trial, not yet paying.
        Trialing => "trialing",
        /// Paying and current.
        Active => "active",
        /// Payment failed and is being retried.
        PastDue => "past_due",
        /// Paused by the customer.
        Paused => "paused",
        /// Cancelled.
        Cancelled => "cancelled",
    }
}

labelled_enum! {
    /// How the customer was acquired.
    AcquisitionChannel {
        /// Organic search, content, direct.
        Organic => "organic",
        /// Paid search ads.
        PaidSearch => "paid_search",
        /// Paid social ads.
        PaidSocial => "paid_social",
        /// Customer referral.
        Referral => "referral",
        /// Partner or reseller.
        Partner => "partner",
        /// Outbound sales.
        Outbound => "outbound",
        /// Events and conferences.
        Events => "events",
        /// Self-serve product-led signup.
        ProductLed => "product_led",
        /// Any other channel.
        Other => "other",
    }
}

/// Value variables: revenue, plan and acquisition economics.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Value {
    /// Plan tier.
    pub plan_tier: Option<PlanTier>,
    /// The plan as the source names it ("Pro", "Team 2024"), kept beside its typed tier
    /// (see [`Vocabulary`](super::Vocabulary)).
    pub plan_label: Option<String>,
    /// Monthly recurring revenue.
    pub mrr: Option<f64>,
    /// Billing status.
    pub billing_status: Option<BillingStatus>,
    /// Upsells (plan upgrades, seat expansions) so far.
    pub upsells: Option<u32>,
    /// Cross-sells (add-on products) so far.
    pub cross_sells: Option<u32>,
    /// Acquisition channel.
    pub acquisition_channel: Option<AcquisitionChannel>,
    /// The channel as the source names it ("ads", "G2"), kept beside its typed channel.
    pub channel_label: Option<String>,
    /// Customer acquisition cost, where known.
    pub cac: Option<f64>,
    /// Lifetime value, where known.
    pub ltv: Option<f64>,
    /// The date the customer first paid (or signed up).
    pub customer_since: Option<Date>,
    /// Seats in use (active users on the account).
    pub seats: Option<u32>,
    /// Seats the plan or contract allows.
    pub seat_limit: Option<u32>,
}

impl Value {
    /// Sets the plan from a label read through a [`Vocabulary`](super::Vocabulary): the typed
    /// tier and the label as written.
    pub fn set_plan(&mut self, category: super::Category<PlanTier>) {
        self.plan_tier = category.value;
        self.plan_label = Some(category.label);
    }

    /// Sets the acquisition channel from a label read through a
    /// [`Vocabulary`](super::Vocabulary): the typed channel and the label as written.
    pub fn set_channel(&mut self, category: super::Category<AcquisitionChannel>) {
        self.acquisition_channel = category.value;
        self.channel_label = Some(category.label);
    }

    /// Annual recurring revenue: 12 x MRR.
    #[must_use]
    pub fn arr(&self) -> Option<f64> {
        self.mrr.map(|m| m * 12.0)
    }

    /// Seats in use over the seat limit (above 1 when over the limit); `None` without both or
    /// with a limit of 0.
    ///
    /// ```
    /// use saas_segmentation::model::Value;
    ///
    /// let v = Value { seats: Some(18), seat_limit: Some(20), ..Value::default() };
    /// assert_eq!(v.seat_utilization(), Some(0.9));
    /// ```
    #[must_use]
    pub fn seat_utilization(&self) -> Option<f64> {
        match (self.seats, self.seat_limit) {
            (Some(used), Some(limit)) if limit > 0 => Some(f64::from(used) / f64::from(limit)),
            _ => None,
        }
    }

    /// Checks every money field: finite and >= 0.
    ///
    /// # Errors
    /// [`Error::OutOfRange`](crate::Error::OutOfRange) or
    /// [`Error::NonFinite`](crate::Error::NonFinite) naming `record` and the field.
    pub fn validate(&self, record: &str) -> Result<()> {
        use super::check_non_negative;
        check_non_negative(self.mrr, record, "mrr")?;
        check_non_negative(self.cac, record, "cac")?;
        check_non_negative(self.ltv, record, "ltv")
    }
}
