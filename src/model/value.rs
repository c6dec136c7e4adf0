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
pub struct Value {
    /// Plan tier.
    pub plan_tier: Option<PlanTier>,
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
    /// Customer acquisition cost, where known.
    pub cac: Option<f64>,
    /// Lifetime value, where known.
    pub ltv: Option<f64>,
    /// The date the customer first paid (or signed up).
    pub customer_since: Option<Date>,
}

impl Value {
    /// Annual recurring revenue: 12 x MRR.
    #[must_use]
    pub fn arr(&self) -> Option<f64> {
        self.mrr.map(|m| m * 12.0)
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
