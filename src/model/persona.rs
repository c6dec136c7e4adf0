//! Demographic and persona variables: who the people at the customer are.

labelled_enum! {
    /// Seniority of the main contact.
    Seniority {
        /// Individual contributor.
        IndividualContributor => "individual_contributor",
        /// Team lead or manager.
        Manager => "manager",
        /// Director or head of a function.
        Director => "director",
        /// Vice president.
        VicePresident => "vice_president",
        /// C-level executive.
        CLevel => "c_level",
        /// Founder or owner.
        Founder => "founder",
    }
}

labelled_enum! {
    /// Department of the main contact.
    Department {
        /// Engineering and development.
        Engineering => "engineering",
        /// Product management and design.
        Product => "product",
        /// Marketing.
        Marketing => "marketing",
        /// Sales.
        Sales => "sales",
        /// Customer success and support.
        CustomerSuccess => "customer_success",
        /// Finance.
        Finance => "finance",
        /// Operations.
        Operations => "operations",
        /// People and HR.
        HumanResources => "human_resources",
        /// IT and security.
        It => "it",
        /// Executive office.
        Executive => "executive",
        /// Any other department.
        Other => "other",
    }
}

labelled_enum! {
    /// The decision maker who signs for the purchase.
    DecisionMaker {
        /// Chief executive.
        Ceo => "ceo",
        /// Chief technology officer.
        Cto => "cto",
        /// Vice president of engineering.
        VpEngineering => "vp_engineering",
        /// Chief information officer.
        Cio => "cio",
        /// Chief marketing officer.
        Cmo => "cmo",
        /// Chief financial officer.
        Cfo => "cfo",
        /// Chief operating officer.
        Coo => "coo",
        /// Head of sales or chief revenue officer.
        HeadOfSales => "head_of_sales",
        /// Head of customer success or support.
        HeadOfCustomerSuccess => "head_of_customer_success",
        /// Any other decision maker.
        Other => "other",
    }
}

labelled_enum! {
    /// The contact's role in the purchase: buyer or user.
    BuyerRole {
        /// Holds the budget and signs.
        EconomicBuyer => "economic_buyer",
        /// Evaluates the product technically.
        TechnicalBuyer => "technical_buyer",
        /// Influences the decision without signing.
        Influencer => "influencer",
        /// Uses the product day to day.
        User => "user",
    }
}

/// Demographic and persona variables of the customer's main contact.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Persona {
    /// Job title as given (`"Head of Data"`).
    pub role: Option<String>,
    /// Seniority.
    pub seniority: Option<Seniority>,
    /// Department.
    pub department: Option<Department>,
    /// The decision maker type who signs.
    pub decision_maker: Option<DecisionMaker>,
    /// Buyer or user.
    pub buyer_role: Option<BuyerRole>,
    /// Whether the contact champions the product internally (loads `TRUE`, `"yes"`, `1` or an
    /// empty cell as exports write them).
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::lenient::serde_cells::option_bool")
    )]
    pub champion: Option<bool>,
}
