//! Typical economics of each company size tier, as typed defaults a caller can override.
//!
//! The defaults are the ranges SaaS teams plan with (EUR): SMB deals are small, fast and
//! self-served; Enterprise deals are large, slow and account-based. The economics analysis
//! compares measured ACV, CAC, LTV and sales cycles per tier against these ranges.
//!
//! ```
//! use saas_segmentation::model::SizeTier;
//! use saas_segmentation::tiers::{SalesMotion, TierEconomicsTable, ValueRange};
//!
//! let mut table = TierEconomicsTable::default();
//! let smb = table.get(SizeTier::Smb);
//! assert!(smb.acv.contains(9_000.0));
//! assert!(smb.sales_motions.contains(&SalesMotion::SelfServe));
//! assert_eq!(table.tier_for_acv(400_000.0), Some(SizeTier::Enterprise));
//!
//! // Override what does not fit your business.
//! table.get_mut(SizeTier::Smb).acv = ValueRange::new(1_000.0, Some(30_000.0))?;
//! assert!(table.get(SizeTier::Smb).acv.contains(28_000.0));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::model::{AcquisitionChannel, SizeTier};

/// A range `[min, max]`; `max = None` is open-ended ("1M+").
///
/// Loading through `Deserialize` runs [`ValueRange::new`]'s check.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct ValueRange {
    /// Lower bound, inclusive.
    pub min: f64,
    /// Upper bound, inclusive; `None` when open-ended.
    pub max: Option<f64>,
}

checked_serde!(ValueRange, |r| ValueRange::new(r.min, r.max).map(|_| ()));

impl ValueRange {
    /// A range from `min` to `max` (inclusive; `None` for open-ended).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a bound is not finite, `min` is negative or `max < min`.
    pub fn new(min: f64, max: Option<f64>) -> Result<Self> {
        let valid = min.is_finite() && min >= 0.0 && max.is_none_or(|m| m.is_finite() && m >= min);
        if !valid {
            return Err(Error::InvalidParameter {
                name: "ValueRange",
                reason: format!("need finite 0 <= min <= max, got min = {min}, max = {max:?}"),
            });
        }
        Ok(ValueRange { min, max })
    }

    const fn fixed(min: f64, max: Option<f64>) -> Self {
        ValueRange { min, max }
    }

    /// Whether `value` lies in the range.
    #[must_use]
    pub fn contains(&self, value: f64) -> bool {
        value >= self.min && self.max.is_none_or(|m| value <= m)
    }
}

labelled_enum! {
    /// How deals are sold.
    SalesMotion {
        /// The customer buys alone, on the website.
        SelfServe => "self_serve",
        /// Inside sales over video and phone.
        InsideSales => "inside_sales",
        /// Field sales with on-site visits.
        FieldSales => "field_sales",
        /// Account-based marketing and selling to named accounts.
        AccountBased => "account_based",
    }
}

labelled_enum! {
    /// How customers are supported.
    SupportModel {
        /// Knowledge base and documentation.
        KnowledgeBase => "knowledge_base",
        /// Chat support.
        Chat => "chat",
        /// Community forum.
        Community => "community",
        /// Email and ticket support.
        Ticketing => "ticketing",
        /// A named customer success manager.
        DedicatedCsm => "dedicated_csm",
        /// White-glove service: named team, SLAs, on-site help.
        WhiteGlove => "white_glove",
    }
}

labelled_enum! {
    /// How customer success engages with accounts.
    CsEngagement {
        /// One-to-many: automated, digital programs.
        TechTouch => "tech_touch",
        /// One-to-few: pooled CSMs, periodic check-ins.
        LowTouch => "low_touch",
        /// One-to-one: named CSM, QBRs, success plans.
        HighTouch => "high_touch",
    }
}

/// Typical economics of one size tier.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TierEconomics {
    /// The tier.
    pub tier: SizeTier,
    /// Annual contract value.
    pub acv: ValueRange,
    /// Sales cycle in days.
    pub sales_cycle_days: ValueRange,
    /// Customer acquisition cost.
    pub cac: ValueRange,
    /// Lifetime value.
    pub ltv: ValueRange,
    /// Typical sales motions.
    pub sales_motions: Vec<SalesMotion>,
    /// Typical support models.
    pub support: Vec<SupportModel>,
    /// Acquisition channels that typically work.
    pub channels: Vec<AcquisitionChannel>,
    /// Customer-success engagement model.
    pub cs_engagement: CsEngagement,
}

impl TierEconomics {
    /// The default economics of `tier` (see the [module docs](self)).
    #[must_use]
    pub fn default_for(tier: SizeTier) -> TierEconomics {
        use AcquisitionChannel as C;
        let r = ValueRange::fixed;
        match tier {
            SizeTier::Smb => TierEconomics {
                tier,
                acv: r(2_000.0, Some(25_000.0)),
                sales_cycle_days: r(0.0, Some(30.0)),
                cac: r(500.0, Some(2_000.0)),
                ltv: r(4_000.0, Some(50_000.0)),
                sales_motions: vec![SalesMotion::SelfServe, SalesMotion::InsideSales],
                support: vec![
                    SupportModel::KnowledgeBase,
                    SupportModel::Chat,
                    SupportModel::Community,
                ],
                channels: vec![
                    C::Organic,
                    C::PaidSearch,
                    C::PaidSocial,
                    C::ProductLed,
                    C::Referral,
                ],
                cs_engagement: CsEngagement::TechTouch,
            },
            SizeTier::MidMarket => TierEconomics {
                tier,
                acv: r(25_000.0, Some(150_000.0)),
                sales_cycle_days: r(30.0, Some(90.0)),
                cac: r(5_000.0, Some(30_000.0)),
                ltv: r(75_000.0, Some(500_000.0)),
                sales_motions: vec![SalesMotion::InsideSales, SalesMotion::FieldSales],
                support: vec![SupportModel::Ticketing, SupportModel::DedicatedCsm],
                channels: vec![
                    C::Outbound,
                    C::Partner,
                    C::Events,
                    C::Referral,
                    C::PaidSearch,
                ],
                cs_engagement: CsEngagement::LowTouch,
            },
            SizeTier::Enterprise => TierEconomics {
                tier,
                acv: r(150_000.0, None),
                sales_cycle_days: r(90.0, None),
                cac: r(50_000.0, None),
                ltv: r(500_000.0, None),
                sales_motions: vec![SalesMotion::FieldSales, SalesMotion::AccountBased],
                support: vec![SupportModel::DedicatedCsm, SupportModel::WhiteGlove],
                channels: vec![C::Outbound, C::Events, C::Partner],
                cs_engagement: CsEngagement::HighTouch,
            },
        }
    }
}

/// The economics of all three tiers; start from `default()` and override fields.
///
/// Loading through `Deserialize` checks that the three entries are SMB, Mid-Market and
/// Enterprise, in that order (ranges are checked as each [`ValueRange`] loads).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct TierEconomicsTable {
    tiers: [TierEconomics; 3],
}

checked_serde!(TierEconomicsTable, |t| {
    for (i, (entry, tier)) in t.tiers.iter().zip(SizeTier::ALL).enumerate() {
        if entry.tier != *tier {
            return Err(Error::InvalidParameter {
                name: "tier economics",
                reason: format!(
                    "entry {i} is {:?}: the table lists SMB, Mid-Market and Enterprise in order",
                    entry.tier
                ),
            });
        }
    }
    Ok(())
});

impl Default for TierEconomicsTable {
    /// SMB ACV 2k-25k, cycle 0-30 days, CAC 500-2k, LTV 4k-50k; Mid-Market ACV 25k-150k,
    /// 30-90 days, CAC 5k-30k, LTV 75k-500k; Enterprise ACV 150k+, 90+ days, CAC 50k+,
    /// LTV 500k+.
    fn default() -> Self {
        TierEconomicsTable {
            tiers: [
                TierEconomics::default_for(SizeTier::Smb),
                TierEconomics::default_for(SizeTier::MidMarket),
                TierEconomics::default_for(SizeTier::Enterprise),
            ],
        }
    }
}

impl TierEconomicsTable {
    /// The economics of `tier`.
    #[must_use]
    pub fn get(&self, tier: SizeTier) -> &TierEconomics {
        &self.tiers[tier as usize]
    }

    /// Mutable economics of `tier`, to override defaults.
    pub fn get_mut(&mut self, tier: SizeTier) -> &mut TierEconomics {
        &mut self.tiers[tier as usize]
    }

    /// The tier whose ACV range holds `acv` (the smallest such tier; ranges share endpoints).
    #[must_use]
    pub fn tier_for_acv(&self, acv: f64) -> Option<SizeTier> {
        self.tiers
            .iter()
            .find(|t| t.acv.contains(acv))
            .map(|t| t.tier)
    }
}
