//! Firmographic variables: what kind of company the customer is.

use crate::error::{Error, Result};

labelled_enum! {
    /// Industry vertical of the customer's company.
    Industry {
        /// Software and internet companies.
        Software => "software",
        /// Banks, insurers, fintech.
        FinancialServices => "financial_services",
        /// Providers, payers, life sciences.
        Healthcare => "healthcare",
        /// Retail and e-commerce.
        Retail => "retail",
        /// Manufacturing and industrial.
        Manufacturing => "manufacturing",
        /// Schools, universities, edtech.
        Education => "education",
        /// Media, publishing, entertainment.
        Media => "media",
        /// Agencies, consultancies, legal, accounting.
        ProfessionalServices => "professional_services",
        /// Public sector.
        Government => "government",
        /// Non-profit organisations.
        NonProfit => "non_profit",
        /// Real estate and construction.
        RealEstate => "real_estate",
        /// Transport and logistics.
        Logistics => "logistics",
        /// Telecommunications.
        Telecommunications => "telecommunications",
        /// Energy and utilities.
        Energy => "energy",
        /// Travel and hospitality.
        Hospitality => "hospitality",
        /// Any other industry.
        Other => "other",
    }
}

labelled_enum! {
    /// Company size tier by employee count (bounds in [`SizeTierBounds`]).
    SizeTier {
        /// Small and medium businesses: SMB [1, 200) employees by default.
        Smb => "smb",
        /// Mid-Market: [200, 2,000) employees by default.
        MidMarket => "mid_market",
        /// Enterprise: 2,000 employees or more by default.
        Enterprise => "enterprise",
    }
}

labelled_enum! {
    /// Geographic sales region.
    Region {
        /// United States and Canada.
        NorthAmerica => "north_america",
        /// Mexico, Central and South America.
        LatinAmerica => "latin_america",
        /// Europe, including the UK.
        Europe => "europe",
        /// Middle East and Africa.
        MiddleEastAfrica => "middle_east_africa",
        /// Asia and Oceania.
        AsiaPacific => "asia_pacific",
    }
}

labelled_enum! {
    /// Who the customer's business sells to.
    BusinessModel {
        /// Sells to businesses.
        B2b => "b2b",
        /// Sells to consumers.
        B2c => "b2c",
        /// Sells through businesses to consumers.
        B2b2c => "b2b2c",
        /// Runs a two-sided marketplace.
        Marketplace => "marketplace",
    }
}

labelled_enum! {
    /// The company's growth stage.
    GrowthStage {
        /// Early, pre-scale company.
        Startup => "startup",
        /// Scaling company.
        Growth => "growth",
        /// Established company.
        Mature => "mature",
    }
}

labelled_enum! {
    /// The direction the company's headcount or revenue is moving.
    GrowthTrajectory {
        /// Growing fast (for example > 50% a year).
        HyperGrowth => "hyper_growth",
        /// Roughly flat or steady growth.
        Stable => "stable",
        /// Shrinking.
        Shrinking => "shrinking",
    }
}

/// The employee counts where the size tiers start: half-open intervals
/// SMB `[1, mid_market)`, Mid-Market `[mid_market, enterprise)`, Enterprise `[enterprise, inf)`.
///
/// Loading through `Deserialize` runs [`SizeTierBounds::new`]'s check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct SizeTierBounds {
    mid_market: u32,
    enterprise: u32,
}

checked_serde!(SizeTierBounds, |b| SizeTierBounds::new(
    b.mid_market,
    b.enterprise
)
.map(|_| ()));

impl Default for SizeTierBounds {
    /// SMB [1, 200), Mid-Market [200, 2,000), Enterprise [2,000, inf).
    fn default() -> Self {
        SizeTierBounds {
            mid_market: 200,
            enterprise: 2_000,
        }
    }
}

impl SizeTierBounds {
    /// Bounds where Mid-Market starts at `mid_market` employees and Enterprise at `enterprise`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `1 < mid_market < enterprise`.
    pub fn new(mid_market: u32, enterprise: u32) -> Result<Self> {
        if mid_market <= 1 || enterprise <= mid_market {
            return Err(Error::InvalidParameter {
                name: "SizeTierBounds",
                reason: format!(
                    "need 1 < mid_market < enterprise, got mid_market = {mid_market}, enterprise = {enterprise}"
                ),
            });
        }
        Ok(SizeTierBounds {
            mid_market,
            enterprise,
        })
    }

    /// The first employee count of Mid-Market.
    #[must_use]
    pub fn mid_market(&self) -> u32 {
        self.mid_market
    }

    /// The first employee count of Enterprise.
    #[must_use]
    pub fn enterprise(&self) -> u32 {
        self.enterprise
    }

    /// The tier of a company with `employees` employees.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 employees: every company has at least one.
    pub fn tier(&self, employees: u32) -> Result<SizeTier> {
        match employees {
            0 => Err(Error::OutOfRange {
                record: "company".to_owned(),
                field: "employees".to_owned(),
                value: 0.0,
                expected: "at least 1 employee",
            }),
            n if n < self.mid_market => Ok(SizeTier::Smb),
            n if n < self.enterprise => Ok(SizeTier::MidMarket),
            _ => Ok(SizeTier::Enterprise),
        }
    }
}

/// Firmographic variables of a customer's company.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Firmographic {
    /// Industry vertical.
    pub industry: Option<Industry>,
    /// The industry as the source names it ("DevTools", "Cybersecurity"), kept beside its
    /// typed industry (see [`Vocabulary`](super::Vocabulary)).
    pub industry_label: Option<String>,
    /// Number of employees (at least 1).
    pub employees: Option<u32>,
    /// Annual revenue of the company, in the crate's one currency.
    pub annual_revenue: Option<f64>,
    /// Country, as an ISO 3166-1 alpha-2 code (`"DE"`).
    pub country: Option<String>,
    /// Sales region.
    pub region: Option<Region>,
    /// Business model.
    pub business_model: Option<BusinessModel>,
    /// Growth stage.
    pub growth_stage: Option<GrowthStage>,
    /// Growth trajectory.
    pub growth_trajectory: Option<GrowthTrajectory>,
}

impl Firmographic {
    /// Sets the industry from a label read through a [`Vocabulary`](super::Vocabulary): the
    /// typed industry and the label as written.
    pub fn set_industry(&mut self, category: super::Category<Industry>) {
        self.industry = category.value;
        self.industry_label = Some(category.label);
    }

    /// The size tier from the employee count, or `None` when the count is unknown.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] when the employee count is 0.
    pub fn size_tier(&self, bounds: &SizeTierBounds) -> Result<Option<SizeTier>> {
        self.employees.map(|n| bounds.tier(n)).transpose()
    }

    /// Checks every field: employees >= 1, revenue finite and >= 0.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] or [`Error::NonFinite`] naming `record` and the field.
    pub fn validate(&self, record: &str) -> Result<()> {
        if self.employees == Some(0) {
            return Err(Error::OutOfRange {
                record: record.to_owned(),
                field: "employees".to_owned(),
                value: 0.0,
                expected: "at least 1 employee",
            });
        }
        super::check_non_negative(self.annual_revenue, record, "annual_revenue")
    }
}
