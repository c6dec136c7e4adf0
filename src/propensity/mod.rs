//! Propensity models: who will churn, who will expand. Churn-risk and expansion signals per
//! account from activity, support, billing and outreach records, each with its evidence
//! ([`account_signals`]); a transparent health score and an expansion score with each signal's
//! points, bands as a `Segmentation` and ranked lists with reasons ([`health_scores`],
//! [`health_bands`], [`rank_accounts`]); L2-regularized logistic regression with
//! scikit-learn's semantics and per-prediction explanations, Platt and isotonic calibration,
//! and the checks that a score means something (ROC AUC, average precision, Brier score,
//! calibration, lift), equal to scikit-learn; outcome labels for a time-based split without
//! leakage. Hazard ratios and Kaplan-Meier curves by score band are in
//! [`crate::survival`] (`segment_hazard_ratios`, `compare_segments`).
//!
//! ```
//! use saas_segmentation::ndarray::array;
//! use saas_segmentation::propensity::{
//!     average_precision, brier_score, roc_auc, LogisticModel, LogisticParams,
//! };
//!
//! // Standardized features: login trend and support tickets; outcome: churned.
//! let x = array![[-1.2, 0.8], [0.3, -0.5], [-0.8, 1.1], [1.0, -0.9], [0.1, 0.2],
//!                [-1.5, 1.4], [0.9, -1.0], [0.4, 0.1], [-0.2, 0.9], [1.3, -0.7]];
//! let churned = [true, false, true, false, false, true, false, false, true, false];
//! let model = LogisticModel::fit(x.view(), &churned, None, &LogisticParams::new())?;
//! let p = model.predict_proba(x.view())?;
//! assert!(roc_auc(&churned, &p, None)? > 0.9);
//! assert!(average_precision(&churned, &p, None)? > 0.9);
//! assert!(brier_score(&churned, &p, None)? < 0.25);
//! // Why the first account scores high: each feature's share of the log-odds.
//! let why = model.contributions(&[-1.2, 0.8])?;
//! assert!(why[0] > 0.0);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

mod accounts;
mod calibrate;
mod health;
mod logistic;
mod metrics;
mod signals;

pub use accounts::{
    account_signals, AccountSignals, Entitlement, Evidence, SignalKind, SignalSources,
    SupportTicket, Touch,
};
pub use calibrate::{IsotonicCalibrator, PlattCalibrator};
pub use health::{
    health_bands, health_scores, rank_accounts, signal_features, Health, HealthWeights, RankBy,
    RankedAccount,
};

pub use logistic::{ClassWeight, LogisticModel, LogisticParams};
pub use metrics::{
    average_precision, brier_score, calibration, labels_after, labels_in_window, lift_by_decile,
    mrr_outcomes, roc_auc, BinStrategy, CalibrationBin, LiftRow, MrrOutcomes,
};
pub use signals::{usage_signals, SignalParams, UsageSignals};
