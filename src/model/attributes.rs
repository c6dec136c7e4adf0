//! Needs, technographic, psychographic and product-maturity variables.

labelled_enum! {
    /// A platform the customer uses the product on.
    Platform {
        /// Web application.
        Web => "web",
        /// Mobile application.
        Mobile => "mobile",
        /// Desktop application.
        Desktop => "desktop",
        /// Programmatic API use.
        Api => "api",
    }
}

labelled_enum! {
    /// Attitude towards new technology.
    TechAttitude {
        /// Seeks out new tools first.
        Innovator => "innovator",
        /// Adopts what is proven to work.
        Pragmatist => "pragmatist",
        /// Changes only when needed.
        Conservative => "conservative",
        /// Distrusts new tools.
        Skeptic => "skeptic",
    }
}

labelled_enum! {
    /// Tolerance of risk in buying decisions.
    RiskAversion {
        /// Happy to try unproven vendors.
        Low => "low",
        /// Wants references.
        Medium => "medium",
        /// Wants certifications, long pilots and legal review.
        High => "high",
    }
}

labelled_enum! {
    /// The main motivation behind the purchase.
    Motivation {
        /// Grow revenue or reach.
        Growth => "growth",
        /// Save time.
        Efficiency => "efficiency",
        /// Save money.
        CostSaving => "cost_saving",
        /// Meet regulation or policy.
        Compliance => "compliance",
        /// Be first with something new.
        Innovation => "innovation",
    }
}

labelled_enum! {
    /// Where the customer sits on the technology adoption curve.
    ProductMaturity {
        /// Early adopter.
        EarlyAdopter => "early_adopter",
        /// Early majority.
        EarlyMajority => "early_majority",
        /// Late majority.
        LateMajority => "late_majority",
        /// Laggard.
        Laggard => "laggard",
    }
}

/// What the customer needs. Lists from several sources are merged as sorted unions.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Needs {
    /// Stated goals (`"reduce churn"`).
    pub goals: Vec<String>,
    /// Jobs to be done (`"report MRR to the board"`).
    pub jobs_to_be_done: Vec<String>,
    /// Topics of support tickets.
    pub support_topics: Vec<String>,
    /// Support tickets opened in the window.
    pub support_tickets: Option<u32>,
}

/// The customer's technology. Lists from several sources are merged as sorted unions.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Technographic {
    /// Integrations connected (`"salesforce"`, `"slack"`).
    pub integrations: Vec<String>,
    /// Platforms the product is used on.
    pub platforms: Vec<Platform>,
    /// Other technology in the customer's stack.
    pub tech_stack: Vec<String>,
}

/// Attitudes and motivations.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Psychographic {
    /// Attitude to technology.
    pub tech_attitude: Option<TechAttitude>,
    /// Risk aversion.
    pub risk_aversion: Option<RiskAversion>,
    /// Main motivation.
    pub motivation: Option<Motivation>,
}
