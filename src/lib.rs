#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

#[macro_use]
mod checked;
#[macro_use]
pub mod model;
mod engine;
mod mrr_series;

pub mod activity;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod audit;
#[cfg(feature = "charts")]
pub mod charts;
pub mod cluster;
pub mod clv;
pub mod cohort;
pub mod committee;
pub mod date;
pub mod describe;
pub mod drift;
pub mod economics;
pub mod error;
pub mod experiment;
pub mod export;
pub mod features;
pub mod focus;
pub mod ids;
pub mod lenient;
pub mod playbook;
pub mod profile;
pub mod propensity;
pub mod random;
pub mod records;
pub mod report;
pub mod rfm;
pub mod rules;
pub mod segmentation;
pub mod stats;
pub mod survival;
pub mod synthetic;
pub mod tiers;
pub mod universe;
pub mod validate;

pub use date::{Date, Period};
pub use error::{Error, Result};
pub use ids::{CustomerId, CustomerIndex};
pub use segmentation::{KeyedSegmentation, SegmentDefinition, SegmentDescriptor, Segmentation};
pub use universe::{CustomerSet, PerCustomer, Universe};

/// The `ndarray` this crate's numeric API takes and returns, so callers need not pin its
/// version by hand.
pub use ndarray;
