//! Typed models of the variables customers are segmented by.
//!
//! Each group of variables is a small struct of `Option` fields (a value nobody observed is
//! `None`, never a silent default): [`Firmographic`], [`Persona`], [`Behaviour`], [`Value`],
//! [`Needs`], [`Technographic`], [`Psychographic`] and [`ProductMaturity`]. A
//! [`CustomerProfile`](crate::profile::CustomerProfile) holds one of each.
//!
//! Categories are enums with a stable text label (`as_str`, `Display`, `FromStr`), so they can be
//! one-hot encoded, serialized and parsed back.
//!
//! ```
//! use saas_segmentation::model::{Firmographic, Industry, SizeTier, SizeTierBounds};
//!
//! let firm = Firmographic {
//!     industry: Some(Industry::Healthcare),
//!     employees: Some(350),
//!     ..Firmographic::default()
//! };
//! assert_eq!(firm.size_tier(&SizeTierBounds::default())?, Some(SizeTier::MidMarket));
//! assert_eq!("mid_market".parse::<SizeTier>()?, SizeTier::MidMarket);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

/// Defines a fieldless enum with a stable snake_case label, `ALL`, `as_str`, `Display` and
/// `FromStr`.
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case label of the variant.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }

        impl $crate::model::Labelled for $name {
            const ALL: &'static [Self] = $name::ALL;

            fn label(self) -> &'static str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;

            fn from_str(text: &str) -> $crate::Result<Self> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| $crate::Error::InvalidParameter {
                        name: stringify!($name),
                        reason: format!(
                            "{text:?} is not one of {:?}",
                            $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()
                        ),
                    })
            }
        }
    };
}

mod attributes;
mod behaviour;
mod firmographic;
mod persona;
mod value;
mod vocabulary;

pub use attributes::{
    Motivation, Needs, Platform, ProductMaturity, Psychographic, RiskAversion, TechAttitude,
    Technographic,
};
pub use behaviour::{Behaviour, Engagement, UsageTier, UsageTierThresholds};
pub use firmographic::{
    BusinessModel, Firmographic, GrowthStage, GrowthTrajectory, Industry, Region, SizeTier,
    SizeTierBounds,
};
pub use persona::{BuyerRole, DecisionMaker, Department, Persona, Seniority};
pub use value::{AcquisitionChannel, BillingStatus, PlanTier, Value};
pub use vocabulary::{Category, Labelled, UnknownLabels, Vocabulary};

use crate::error::{Error, Result};

/// Converts a signed count from an outside source (a CSV column, a JSON number) into the
/// unsigned count the models hold.
///
/// # Errors
/// [`Error::OutOfRange`] naming `record` and `field` when `value` is negative or above
/// `u32::MAX`.
///
/// ```
/// use saas_segmentation::model::count_from_i64;
///
/// assert_eq!(count_from_i64(12, "crm row 3", "employees")?, 12);
/// assert!(count_from_i64(-5, "crm row 4", "employees").is_err());
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
pub fn count_from_i64(value: i64, record: &str, field: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::OutOfRange {
        record: record.to_owned(),
        field: field.to_owned(),
        value: value as f64,
        expected: "a count from 0 to 4294967295",
    })
}

/// Checks an optional money or rate field: finite and not negative.
pub(crate) fn check_non_negative(value: Option<f64>, record: &str, field: &str) -> Result<()> {
    if let Some(v) = value {
        crate::error::ensure_non_negative(v, || record.to_owned(), field)?;
    }
    Ok(())
}

/// Checks an optional share: finite and within [0, 1].
pub(crate) fn check_unit(value: Option<f64>, record: &str, field: &str) -> Result<()> {
    if let Some(v) = value {
        crate::error::ensure_finite(v, || record.to_owned(), field)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::OutOfRange {
                record: record.to_owned(),
                field: field.to_owned(),
                value: v,
                expected: "a share within [0, 1]",
            });
        }
    }
    Ok(())
}
