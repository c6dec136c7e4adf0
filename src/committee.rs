//! Buying committees: several contacts per account, each with a role, seniority, department,
//! buyer or user persona, decision-maker title, an influencer role (technical evaluator,
//! procurement, legal, security) and the champion flag; and the account-level variables derived
//! from them (an engaged economic buyer, a champion, the persona mix, the decision maker's
//! priority), ready for rules (through the account's [`Persona`]), feature matrices and the ideal
//! customer profile (as [`PerCustomer`] columns).
//!
//! ```
//! use saas_segmentation::committee::{committees, Contact, Priority};
//! use saas_segmentation::model::{BuyerRole, DecisionMaker};
//! use saas_segmentation::CustomerIndex;
//!
//! let index = CustomerIndex::from_keys(["acme", "globex"])?;
//! let contacts = [
//!     Contact::new("acme").decision_maker(DecisionMaker::Cfo).buyer(BuyerRole::EconomicBuyer).engaged(true),
//!     Contact::new("acme").buyer(BuyerRole::User).champion(true),
//!     Contact::new("globex").decision_maker(DecisionMaker::Cto).buyer(BuyerRole::TechnicalBuyer),
//! ];
//! let by_account = committees(&index, &contacts)?;
//! let acme = by_account.of_key(&index, "acme")?.expect("acme has contacts");
//! assert!(acme.economic_buyer_engaged && acme.has_champion);
//! assert_eq!(acme.priority, Some(Priority::CostAndRoi));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::fmt::Debug;

use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::model::{BuyerRole, DecisionMaker, Department, Persona, Seniority};
use crate::universe::PerCustomer;

/// A contact's influence on a purchase beyond the buyer role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Influence {
    /// Evaluates the product technically.
    TechnicalEvaluator,
    /// Runs the purchase process.
    Procurement,
    /// Reviews the contract.
    Legal,
    /// Reviews security and compliance.
    Security,
}

/// What a decision maker cares about most (the second guide's personas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Priority {
    /// Architecture and security (CTO, CIO, VP Engineering).
    ArchitectureAndSecurity,
    /// Campaign performance (CMO).
    CampaignPerformance,
    /// Cost and return on investment (CFO, CEO).
    CostAndRoi,
    /// Operational efficiency (COO, heads of sales and customer success).
    Efficiency,
}

impl Priority {
    /// The usual priority of a decision-maker title; `None` for `Other`.
    #[must_use]
    pub fn of(title: DecisionMaker) -> Option<Priority> {
        Some(match title {
            DecisionMaker::Cto | DecisionMaker::Cio | DecisionMaker::VpEngineering => {
                Priority::ArchitectureAndSecurity
            }
            DecisionMaker::Cmo => Priority::CampaignPerformance,
            DecisionMaker::Cfo | DecisionMaker::Ceo => Priority::CostAndRoi,
            DecisionMaker::Coo
            | DecisionMaker::HeadOfSales
            | DecisionMaker::HeadOfCustomerSuccess => Priority::Efficiency,
            _ => return None,
        })
    }
}

/// One contact at an account.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contact<K> {
    /// The account's key.
    pub account: K,
    /// The contact's role, as the CRM names it.
    pub role: Option<String>,
    /// Seniority.
    pub seniority: Option<Seniority>,
    /// Department.
    pub department: Option<Department>,
    /// Decision-maker title.
    pub decision_maker: Option<DecisionMaker>,
    /// Buyer or user persona.
    pub buyer_role: Option<BuyerRole>,
    /// Influence on the purchase.
    pub influence: Option<Influence>,
    /// Whether the contact champions the product.
    pub champion: bool,
    /// Whether the contact engaged recently (meeting, reply, login).
    pub engaged: bool,
}

impl<K> Contact<K> {
    /// A contact of `account` with nothing else known.
    pub fn new(account: K) -> Contact<K> {
        Contact {
            account,
            role: None,
            seniority: None,
            department: None,
            decision_maker: None,
            buyer_role: None,
            influence: None,
            champion: false,
            engaged: false,
        }
    }

    /// The decision-maker title.
    #[must_use]
    pub fn decision_maker(mut self, title: DecisionMaker) -> Self {
        self.decision_maker = Some(title);
        self
    }

    /// The buyer or user persona.
    #[must_use]
    pub fn buyer(mut self, role: BuyerRole) -> Self {
        self.buyer_role = Some(role);
        self
    }

    /// The influence on the purchase.
    #[must_use]
    pub fn influence(mut self, influence: Influence) -> Self {
        self.influence = Some(influence);
        self
    }

    /// The seniority.
    #[must_use]
    pub fn seniority(mut self, seniority: Seniority) -> Self {
        self.seniority = Some(seniority);
        self
    }

    /// The champion flag.
    #[must_use]
    pub fn champion(mut self, yes: bool) -> Self {
        self.champion = yes;
        self
    }

    /// The recent-engagement flag.
    #[must_use]
    pub fn engaged(mut self, yes: bool) -> Self {
        self.engaged = yes;
        self
    }
}

/// The buying committee of one account, summarized.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Committee {
    /// Contacts known.
    pub contacts: usize,
    /// Whether a contact is the economic buyer.
    pub has_economic_buyer: bool,
    /// Whether the economic buyer engaged recently.
    pub economic_buyer_engaged: bool,
    /// Whether a contact champions the product.
    pub has_champion: bool,
    /// Contacts by persona: economic buyers, technical buyers, influencers, users.
    pub persona_mix: [usize; 4],
    /// Contacts by influence: technical evaluators, procurement, legal, security.
    pub influence_mix: [usize; 4],
    /// The primary decision maker: the most senior title, C-level first (ties: first listed).
    pub decision_maker: Option<DecisionMaker>,
    /// That decision maker's priority.
    pub priority: Option<Priority>,
    /// The highest seniority among the contacts.
    pub top_seniority: Option<Seniority>,
    /// Share of contacts engaged recently, in [0, 1].
    pub engaged_share: f64,
}

impl Committee {
    /// Writes the account-level view into a profile's persona, so rules
    /// ([`crate::rules::Condition::Champion`] and the persona conditions) can use it: the
    /// champion flag, the primary decision maker, the economic buyer role when there is one,
    /// and the top seniority. Fields the committee does not know are left as they are.
    pub fn apply_to(&self, persona: &mut Persona) {
        persona.champion = Some(self.has_champion);
        if self.decision_maker.is_some() {
            persona.decision_maker = self.decision_maker;
        }
        if self.has_economic_buyer {
            persona.buyer_role = Some(BuyerRole::EconomicBuyer);
        }
        if self.top_seniority.is_some() {
            persona.seniority = self.top_seniority;
        }
    }
}

/// Rank of a decision-maker title: the C-suite first, then VPs and heads.
fn title_rank(title: DecisionMaker) -> u8 {
    match title {
        DecisionMaker::Ceo => 0,
        DecisionMaker::Cfo | DecisionMaker::Cto | DecisionMaker::Cio | DecisionMaker::Cmo => 1,
        DecisionMaker::Coo => 1,
        DecisionMaker::VpEngineering => 2,
        DecisionMaker::HeadOfSales | DecisionMaker::HeadOfCustomerSuccess => 3,
        _ => 4,
    }
}

/// The committee of every account of `lookup` from its contacts (accounts without contacts
/// are `None`).
///
/// # Errors
/// [`Error::UnknownCustomer`] naming the first contact of an account `lookup` does not know.
pub fn committees<K: Debug>(
    lookup: &impl CustomerLookup<K>,
    contacts: &[Contact<K>],
) -> Result<PerCustomer<Committee>> {
    let n = lookup.customer_count();
    let mut out: Vec<Option<Committee>> = crate::engine::try_filled(n, None, "committees")?;
    let mut engaged = vec![0usize; n];
    for (row, c) in contacts.iter().enumerate() {
        let id = lookup
            .lookup(&c.account)
            .filter(|id| id.index() < n)
            .ok_or_else(|| Error::UnknownCustomer {
                record: format!("contact {row}"),
                customer: format!("{:?}", c.account),
            })?;
        let i = id.index();
        let committee = out[i].get_or_insert_with(Committee::default);
        committee.contacts += 1;
        engaged[i] += usize::from(c.engaged);
        if let Some(role) = c.buyer_role {
            let slot = match role {
                BuyerRole::EconomicBuyer => 0,
                BuyerRole::TechnicalBuyer => 1,
                BuyerRole::Influencer => 2,
                _ => 3,
            };
            committee.persona_mix[slot] += 1;
            if role == BuyerRole::EconomicBuyer {
                committee.has_economic_buyer = true;
                committee.economic_buyer_engaged |= c.engaged;
            }
        }
        if let Some(influence) = c.influence {
            committee.influence_mix[influence as usize] += 1;
        }
        committee.has_champion |= c.champion;
        if let Some(title) = c.decision_maker {
            let better = committee
                .decision_maker
                .is_none_or(|current| title_rank(title) < title_rank(current));
            if better {
                committee.decision_maker = Some(title);
                committee.priority = Priority::of(title);
            }
        }
        if let Some(s) = c.seniority {
            let rank = |s: Seniority| s as u8;
            if committee.top_seniority.is_none_or(|t| rank(s) > rank(t)) {
                committee.top_seniority = Some(s);
            }
        }
    }
    for (committee, &e) in out.iter_mut().zip(&engaged) {
        if let Some(c) = committee {
            c.engaged_share = e as f64 / c.contacts as f64;
        }
    }
    PerCustomer::new(lookup, out)
}
