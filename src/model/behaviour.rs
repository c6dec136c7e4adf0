//! Behavioural variables: how the customer uses the product.

use crate::error::{Error, Result};

labelled_enum! {
    /// How intensely a customer uses the product (thresholds in [`UsageTierThresholds`]).
    UsageTier {
        /// Uses the product most days.
        Power => "power",
        /// Uses the product every week.
        Regular => "regular",
        /// Uses the product now and then.
        Occasional => "occasional",
        /// Has not used the product in the window.
        Dormant => "dormant",
    }
}

/// Login-rate thresholds of the usage tiers: power at `power` logins per week or more, regular at
/// `regular` or more, occasional above 0, dormant at 0.
///
/// Loading through `Deserialize` runs [`UsageTierThresholds::new`]'s check.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct UsageTierThresholds {
    power: f64,
    regular: f64,
}

checked_serde!(UsageTierThresholds, |t| UsageTierThresholds::new(
    t.power, t.regular
)
.map(|_| ()));

impl Default for UsageTierThresholds {
    /// Power at 5 or more logins per week, regular at 1 or more.
    fn default() -> Self {
        UsageTierThresholds {
            power: 5.0,
            regular: 1.0,
        }
    }
}

impl UsageTierThresholds {
    /// Thresholds with power at `power` logins per week and regular at `regular`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 < regular < power`, both finite.
    pub fn new(power: f64, regular: f64) -> Result<Self> {
        if !(power.is_finite() && regular.is_finite() && 0.0 < regular && regular < power) {
            return Err(Error::InvalidParameter {
                name: "UsageTierThresholds",
                reason: format!(
                    "need 0 < regular < power, got regular = {regular}, power = {power}"
                ),
            });
        }
        Ok(UsageTierThresholds { power, regular })
    }

    /// The tier of a customer with `logins_per_week` logins per week.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when the rate is negative or not finite.
    pub fn classify(&self, logins_per_week: f64) -> Result<UsageTier> {
        crate::error::ensure_non_negative(
            logins_per_week,
            || "customer".to_owned(),
            "logins_per_week",
        )?;
        Ok(if logins_per_week >= self.power {
            UsageTier::Power
        } else if logins_per_week >= self.regular {
            UsageTier::Regular
        } else if logins_per_week > 0.0 {
            UsageTier::Occasional
        } else {
            UsageTier::Dormant
        })
    }
}

/// Engagement outside the product.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Engagement {
    /// Share of emails answered or clicked, in [0, 1].
    pub email_response_rate: Option<f64>,
    /// Meetings (QBRs, check-ins) attended in the window.
    pub meetings_attended: Option<u32>,
    /// Community posts, event attendances and similar in the window.
    pub community_interactions: Option<u32>,
}

/// Behavioural variables of a customer over an observation window.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Behaviour {
    /// Logins in the window.
    pub logins: Option<u32>,
    /// Logins per week over the window.
    pub logins_per_week: Option<f64>,
    /// Distinct days with any activity in the window.
    pub active_days: Option<u32>,
    /// Mean session length in minutes.
    pub avg_session_minutes: Option<f64>,
    /// Distinct features used in the window.
    pub features_used: Option<u32>,
    /// Share of the core features adopted, in [0, 1].
    pub core_feature_adoption: Option<f64>,
    /// Share of the key workflows completed at least once, in [0, 1].
    pub key_workflow_completion: Option<f64>,
    /// Least-squares slope of weekly active days per week (negative: declining use).
    pub activity_trend: Option<f64>,
    /// Usage-intensity tier.
    pub usage_tier: Option<UsageTier>,
    /// Seats in use divided by seats paid for (above about 0.9 an expansion signal).
    pub seat_utilization: Option<f64>,
    /// A churn-risk score in [0, 1] from the caller's health model.
    pub churn_risk: Option<f64>,
    /// Engagement outside the product.
    pub engagement: Engagement,
}

impl Behaviour {
    /// Checks every field: rates finite and >= 0, shares within [0, 1].
    ///
    /// # Errors
    /// [`Error::OutOfRange`] or [`Error::NonFinite`] naming `record` and the field.
    pub fn validate(&self, record: &str) -> Result<()> {
        use super::{check_non_negative, check_unit};
        check_non_negative(self.logins_per_week, record, "logins_per_week")?;
        check_non_negative(self.avg_session_minutes, record, "avg_session_minutes")?;
        check_non_negative(self.seat_utilization, record, "seat_utilization")?;
        check_unit(self.core_feature_adoption, record, "core_feature_adoption")?;
        check_unit(
            self.key_workflow_completion,
            record,
            "key_workflow_completion",
        )?;
        check_unit(self.churn_risk, record, "churn_risk")?;
        check_unit(
            self.engagement.email_response_rate,
            record,
            "email_response_rate",
        )?;
        if let Some(trend) = self.activity_trend {
            crate::error::ensure_finite(trend, || record.to_owned(), "activity_trend")?;
        }
        Ok(())
    }
}
