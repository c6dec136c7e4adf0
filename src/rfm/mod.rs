//! RFM (recency, frequency, monetary) analysis: per-customer summaries, scores, named segments.
//!
//! 1. [`RfmTable::from_transactions`] summarizes a transaction log in one pass: days since the
//!    last purchase, purchases and distinct purchase days, monetary sum and mean, first
//!    purchase and tenure, under a [`RefundPolicy`](crate::records::RefundPolicy). The
//!    [`RfmAccumulator`] does the same in chunks that merge.
//! 2. [`RfmScores::new`] scores each dimension `1..=n` under a [`Binning`] policy (ties share a
//!    score by default; pandas' rank-first quantiles, R `rfm`'s thresholds and fixed thresholds
//!    on request) and returns the bins and thresholds it used.
//! 3. An [`RfmSegmentTable`] (validated when built: overlaps, rules that never match, uncovered
//!    cells) names each customer's segment as a [`Segmentation`](crate::Segmentation).
//! 4. [`segment_summary`] and [`RfGrid`] summarize the segments and give plot-ready grids.
//!
//! [`BtydSummary`] is the other meaning of recency (age at the last purchase), matching
//! `lifetimes.utils.summary_data_from_transaction_data`.
//!
//! ```
//! use saas_segmentation::records::Transaction;
//! use saas_segmentation::rfm::{segment_summary, RfmParams, RfmScores, RfmSegmentTable, RfmTable, ScoreParams};
//! use saas_segmentation::Date;
//!
//! let day = |d| Date::from_ymd(2024, 6, d);
//! let mut log = Vec::new();
//! for (customer, days, amount) in [("a", [1, 10, 28], 40.0), ("b", [2, 3, 4], 5.0), ("c", [5, 5, 6], 900.0)] {
//!     for d in days {
//!         log.push(Transaction::new(customer, day(d)?, amount));
//!     }
//! }
//! log.push(Transaction::new("d", day(1)?, 12.0));
//! log.push(Transaction::new("e", day(20)?, 3.0));
//! log.push(Transaction::new("b", day(7)?, -5.0)); // a refund, netted
//!
//! let table = RfmTable::from_transactions(&log, &RfmParams::new(day(30)?))?;
//! let b = table.get(&"b").expect("b bought");
//! assert_eq!((b.recency_days, b.frequency, b.monetary), (26, 3, 10.0));
//! assert_eq!(table.get(&"c").expect("c bought").purchase_days, Some(2));
//!
//! let scores = RfmScores::new(&table, &ScoreParams::default())?;
//! let segments = RfmSegmentTable::default_table().apply(&scores)?;
//! let summary = segment_summary(&table, &segments)?;
//! assert_eq!(summary.iter().map(|s| s.customers).sum::<usize>(), 5);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod btyd;
mod report;
mod score;
mod segments;
pub(crate) mod summary;
mod table;

pub use btyd::{BtydParams, BtydPeriod, BtydSummary, RefundDays};
pub use report::{segment_summary, RfGrid, SegmentSummary};
pub use score::{
    rank_first_scores, Bin, Binning, Dimension, DimensionScores, RfmScores, ScoreParams,
};
pub use segments::{Cells, RfmRule, RfmSegmentTable, RuleOverlap, TableReport, OTHER};
pub use summary::{
    FrequencyBasis, FuturePolicy, RecencyBasis, RfmAccumulator, RfmParams, RfmPartial,
    RfmPartialParts, RfmReport,
};
pub use table::{RfmSummary, RfmTable};
