//! From records to a named numeric matrix: the bridge between the domain layer and the numeric
//! algorithms.
//!
//! A [`FeatureMatrixBuilder`] holds named columns (numeric, boolean, `log1p` money, one-hot
//! categorical), a [`MissingPolicy`] and an optional [`ScalerKind`]. Building it over a slice of
//! records gives a [`FeatureMatrix`]: an `Array2<f64>` (rows = records) that keeps its column
//! names, the fitted [`Scaler`] (serde-able, applicable to new customers and invertible for
//! reporting in original units), what was imputed, and scale [`Diagnostic`]s.
//!
//! ```
//! use saas_segmentation::features::{FeatureMatrix, ScalerKind};
//!
//! struct Account { mrr: f64, seats: u32, industry: &'static str, active: bool }
//! let accounts = [
//!     Account { mrr: 99.0, seats: 3, industry: "retail", active: true },
//!     Account { mrr: 2_400.0, seats: 40, industry: "software", active: true },
//!     Account { mrr: 0.0, seats: 1, industry: "retail", active: false },
//! ];
//! let matrix = FeatureMatrix::builder()
//!     .log1p("mrr", |a: &Account| a.mrr)
//!     .column("seats", |a: &Account| a.seats)
//!     .column("active", |a: &Account| a.active)
//!     .categorical("industry", |a: &Account| Some(a.industry))
//!     .scaler(ScalerKind::Standard)
//!     .build(&accounts)?;
//! assert_eq!(
//!     matrix.names(),
//!     ["mrr", "seats", "active", "industry=retail", "industry=software"]
//! );
//! assert_eq!(matrix.view().dim(), (3, 5));
//! let original = matrix.original_units()?;
//! assert!((original[[1, 1]] - 40.0).abs() < 1e-9);
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::Hash;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

use crate::error::{Error, Result};
use crate::ids::{CustomerId, KeyBuildHasher};
use crate::segmentation::{SegmentDescriptor, Segmentation};
use crate::universe::{CustomerSet, Universe};

/// A value a numeric column closure may return: numbers, booleans (1 / 0) and their `Option`s
/// (`None` is missing).
pub trait IntoFeature {
    /// The value as `f64`, or `None` when missing.
    fn into_feature(self) -> Option<f64>;
}

macro_rules! into_feature_numbers {
    ($($t:ty),*) => {$(
        impl IntoFeature for $t {
            #[inline]
            fn into_feature(self) -> Option<f64> {
                Some(self as f64)
            }
        }
        impl IntoFeature for Option<$t> {
            #[inline]
            fn into_feature(self) -> Option<f64> {
                self.map(|v| v as f64)
            }
        }
    )*};
}
into_feature_numbers!(f64, f32, u8, u16, u32, u64, i8, i16, i32, i64, usize);

impl IntoFeature for bool {
    #[inline]
    fn into_feature(self) -> Option<f64> {
        Some(if self { 1.0 } else { 0.0 })
    }
}

impl IntoFeature for Option<bool> {
    #[inline]
    fn into_feature(self) -> Option<f64> {
        self.map(|b| if b { 1.0 } else { 0.0 })
    }
}

/// What to do with a missing value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MissingPolicy {
    /// Fail with [`Error::MissingValue`] naming the record and column (default).
    #[default]
    Error,
    /// Fill numeric columns with the column's mean over observed values; a missing category
    /// encodes as all zeros.
    ImputeMean,
    /// Fill numeric columns with the column's median over observed values; a missing category
    /// encodes as all zeros.
    ImputeMedian,
    /// Fill numeric columns with a constant; a missing category encodes as all zeros.
    ImputeConstant(f64),
}

/// Which scaler to fit on the built matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ScalerKind {
    /// `(x - mean) / std`, population std (matches `sklearn.preprocessing.StandardScaler`).
    Standard,
    /// `(x - min) / (max - min)` (matches `sklearn.preprocessing.MinMaxScaler`).
    MinMax,
    /// `(x - median) / IQR`, quartiles by linear interpolation (matches
    /// `sklearn.preprocessing.RobustScaler`).
    Robust,
}

/// A scaler fitted on a matrix: per column, `scaled = (x - center) / scale`.
///
/// Columns with zero spread get scale 1, as scikit-learn does, so nothing divides by zero.
///
/// Loading through `Deserialize` checks one finite center and one finite, positive scale per
/// column.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Scaler {
    kind: ScalerKind,
    center: Vec<f64>,
    scale: Vec<f64>,
    /// Per column: the variance (standard scaler) or the largest value (min-max); empty for
    /// the robust scaler and in documents saved before it was kept.
    #[cfg_attr(feature = "serde", serde(default))]
    extra: Vec<f64>,
}

checked_serde!(Scaler, Scaler::check);

impl Scaler {
    /// The invariants of a loaded scaler.
    fn check(&self) -> Result<()> {
        if self.center.len() != self.scale.len() || self.center.is_empty() {
            return Err(Error::LengthMismatch {
                what: "scaler scales (one per center)",
                expected: self.center.len(),
                found: self.scale.len(),
            });
        }
        let extra_fits = self.extra.is_empty()
            || (self.kind != ScalerKind::Robust
                && self.extra.len() == self.center.len()
                && self.extra.iter().all(|v| v.is_finite()));
        if !extra_fits {
            return Err(Error::InvalidParameter {
                name: "scaler",
                reason: "the variances (standard) or maxima (min-max) must be one finite value \
                         per column, and absent for the robust scaler"
                    .into(),
            });
        }
        for (j, (&c, &s)) in self.center.iter().zip(&self.scale).enumerate() {
            if !(c.is_finite() && s.is_finite() && s > 0.0) {
                return Err(Error::InvalidParameter {
                    name: "scaler",
                    reason: format!(
                        "column {j} has center {c} and scale {s}: expected finite values and a \
                         positive scale"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Fits a scaler of `kind` on the columns of `data`.
    ///
    /// ```text
    /// Standard: center = mean, scale = sqrt(mean((x - mean)^2))
    /// MinMax:   center = min,  scale = max - min
    /// Robust:   center = median, scale = q75 - q25 (numpy's linear interpolation)
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a matrix without rows or columns; [`Error::NonFiniteCell`]
    /// naming the cell for NaN or infinite values; [`Error::Undefined`] naming the column when
    /// finite values are so far apart that the center or scale overflows f64.
    pub fn fit(kind: ScalerKind, data: ArrayView2<'_, f64>) -> Result<Scaler> {
        if data.nrows() == 0 || data.ncols() == 0 {
            return Err(Error::EmptyInput {
                what: "matrix to fit a scaler on",
                item: "row and column",
            });
        }
        check_finite(data)?;
        // Gather each column once into contiguous memory: one strided read instead of one per
        // statistic.
        let mut column = Vec::with_capacity(data.nrows());
        let mut sorted = Vec::new();
        let mut parameters = Vec::with_capacity(data.ncols());
        for view in data.axis_iter(Axis(1)) {
            column.clear();
            column.extend(view.iter().copied());
            let name = parameters.len();
            parameters.push(checked_parameters(kind, &column, &mut sorted, &name)?);
        }
        Ok(Scaler::from_parameters(kind, parameters))
    }

    /// Fits on contiguous, finite columns (the builder's own layout).
    fn fit_columns(kind: ScalerKind, columns: &[Vec<f64>], names: &[String]) -> Result<Scaler> {
        let mut sorted = Vec::new();
        let parameters = columns
            .iter()
            .zip(names)
            .map(|(column, name)| checked_parameters(kind, column, &mut sorted, name))
            .collect::<Result<Vec<_>>>()?;
        Ok(Scaler::from_parameters(kind, parameters))
    }

    fn from_parameters(kind: ScalerKind, parameters: Vec<(f64, f64, f64)>) -> Scaler {
        let mut scaler = Scaler {
            kind,
            center: Vec::with_capacity(parameters.len()),
            scale: Vec::with_capacity(parameters.len()),
            extra: Vec::new(),
        };
        for (c, s, e) in parameters {
            scaler.center.push(c);
            scaler.scale.push(s);
            if kind != ScalerKind::Robust {
                scaler.extra.push(e);
            }
        }
        scaler
    }

    /// The per-column variance of the fitted data (population variance, ddof 0), as
    /// scikit-learn's `StandardScaler.var_`; `None` for the other kinds (and for scalers saved
    /// before this was kept).
    #[must_use]
    pub fn variance(&self) -> Option<&[f64]> {
        (self.kind == ScalerKind::Standard && !self.extra.is_empty()).then_some(&self.extra)
    }

    /// The per-column minimum of the fitted data (`MinMaxScaler.data_min_`); `None` for the
    /// other kinds.
    #[must_use]
    pub fn data_min(&self) -> Option<&[f64]> {
        (self.kind == ScalerKind::MinMax).then_some(&self.center)
    }

    /// The per-column maximum of the fitted data (`MinMaxScaler.data_max_`); `None` for the
    /// other kinds (and for scalers saved before this was kept).
    #[must_use]
    pub fn data_max(&self) -> Option<&[f64]> {
        (self.kind == ScalerKind::MinMax && !self.extra.is_empty()).then_some(&self.extra)
    }

    /// The output range of the min-max scaler, `(0, 1)` (scikit-learn's default
    /// `feature_range`, the only one offered); `None` for the other kinds.
    #[must_use]
    pub fn feature_range(&self) -> Option<(f64, f64)> {
        (self.kind == ScalerKind::MinMax).then_some((0.0, 1.0))
    }

    /// The kind of scaler.
    #[must_use]
    pub fn kind(&self) -> ScalerKind {
        self.kind
    }

    /// Per-column centers.
    #[must_use]
    pub fn center(&self) -> &[f64] {
        &self.center
    }

    /// Per-column scales (1 for columns without spread).
    #[must_use]
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// Scales `data` (for example new customers) with the fitted parameters.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `data` has another number of columns than the fitted one;
    /// [`Error::NonFiniteCell`] for NaN or infinite values; [`Error::Undefined`] naming the cell
    /// whose scaled value overflows f64.
    pub fn transform(&self, data: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.apply(data, |x, c, s| (x - c) / s)
    }

    /// Maps scaled values back to original units.
    ///
    /// # Errors
    /// As [`Scaler::transform`].
    pub fn inverse_transform(&self, data: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.apply(data, |x, c, s| x * s + c)
    }

    fn apply(
        &self,
        data: ArrayView2<'_, f64>,
        f: impl Fn(f64, f64, f64) -> f64,
    ) -> Result<Array2<f64>> {
        if data.ncols() != self.center.len() {
            return Err(Error::ShapeMismatch {
                what: "matrix given to the scaler",
                expected: self.center.len(),
                found: data.ncols(),
            });
        }
        check_finite(data)?;
        let mut out = data.to_owned();
        for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
            for (j, ((x, &c), &s)) in row
                .iter_mut()
                .zip(&self.center)
                .zip(&self.scale)
                .enumerate()
            {
                let value = f(*x, c, s);
                if !value.is_finite() {
                    return Err(Error::Undefined {
                        reason: format!(
                            "row {i}, column {j}: {x} scaled with center {c} and scale {s} \
                             overflows f64; the value is far outside the data the scaler saw"
                        ),
                    });
                }
                *x = value;
            }
        }
        Ok(out)
    }
}

/// [`column_parameters`], refusing a center or scale that overflowed f64.
fn checked_parameters(
    kind: ScalerKind,
    column: &[f64],
    sorted: &mut Vec<f64>,
    name: &dyn std::fmt::Display,
) -> Result<(f64, f64, f64)> {
    let (c, s, e) = column_parameters(kind, column, sorted);
    if c.is_finite() && s.is_finite() && e.is_finite() {
        return Ok((c, s, e));
    }
    Err(Error::Undefined {
        reason: format!(
            "column {name} has values so far apart that its center or spread overflows f64 \
             (center {c}, scale {s}): bring the column to a sane unit first"
        ),
    })
}

/// Center, scale and the kind's extra statistic (variance, maximum, or 0 for the robust
/// scaler) of one column (`sorted` is scratch space for the robust scaler).
fn column_parameters(kind: ScalerKind, column: &[f64], sorted: &mut Vec<f64>) -> (f64, f64, f64) {
    let n = column.len() as f64;
    let (c, s, e) = match kind {
        ScalerKind::Standard => {
            let mean = column.iter().sum::<f64>() / n;
            // scikit-learn's `_incremental_mean_and_var`: a two-pass variance with the rounding
            // error of the first pass subtracted.
            let (squares, correction) = column.iter().fold((0.0, 0.0), |(sq, c), x| {
                (sq + (x - mean) * (x - mean), c + (x - mean))
            });
            let var = (squares - correction * correction / n) / n;
            // `_is_constant_feature`: variance within rounding of zero.
            let eps = f64::EPSILON;
            let bound = n * eps * var + (n * mean * eps).powi(2);
            (mean, if var <= bound { 0.0 } else { var.sqrt() }, var)
        }
        ScalerKind::MinMax => {
            let min = column.iter().copied().fold(f64::INFINITY, f64::min);
            let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (min, max - min, max)
        }
        ScalerKind::Robust => {
            sorted.clear();
            sorted.extend_from_slice(column);
            sorted.sort_unstable_by(f64::total_cmp);
            let q = |p| quantile_sorted(sorted, p);
            (q(0.5), q(0.75) - q(0.25), 0.0)
        }
    };
    // scikit-learn's `_handle_zeros_in_scale`: spreads below 10 eps become 1.
    (c, if s < 10.0 * f64::EPSILON { 1.0 } else { s }, e)
}

/// numpy's default (`linear`) percentile of sorted, non-empty data.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    let fraction = position - low as f64;
    sorted[low] + (sorted[high] - sorted[low]) * fraction
}

fn check_finite(data: ArrayView2<'_, f64>) -> Result<()> {
    for ((row, column), x) in data.indexed_iter() {
        if !x.is_finite() {
            return Err(Error::NonFiniteCell { row, column });
        }
    }
    Ok(())
}

/// A remark on the built matrix that may call for a change of setup.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Diagnostic {
    /// The raw columns' standard deviations differ by more than 100x, so unscaled distances are
    /// dominated by the widest column.
    ScaleSpread {
        /// The column with the largest standard deviation.
        widest: String,
        /// Its standard deviation.
        widest_std: f64,
        /// The column with the smallest non-zero standard deviation.
        narrowest: String,
        /// Its standard deviation.
        narrowest_std: f64,
        /// Whether a scaler was applied (then the spread is already taken care of).
        scaled: bool,
    },
    /// A column has the same value in every row and carries no information.
    Constant {
        /// The column.
        column: String,
    },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::ScaleSpread {
                widest,
                widest_std,
                narrowest,
                narrowest_std,
                scaled,
            } => {
                write!(
                    f,
                    "column scales differ {:.0}x ({widest}: std {widest_std:.3}, {narrowest}: std {narrowest_std:.3})",
                    widest_std / narrowest_std
                )?;
                if *scaled {
                    write!(f, "; the scaler evens them out")
                } else {
                    write!(f, "; distances will be dominated by {widest}: add a scaler")
                }
            }
            Diagnostic::Constant { column } => write!(f, "column {column} is constant"),
        }
    }
}

/// How many values of a column were imputed, and with what.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Imputation {
    /// The column (for a categorical column, its name without `=value`).
    pub column: String,
    /// How many rows were missing.
    pub count: usize,
    /// The value filled in (`None` for categorical columns, encoded as all zeros).
    pub value: Option<f64>,
}

type NumericFn<'a, T> = Box<dyn Fn(&T) -> Option<f64> + 'a>;
/// Encodes a categorical column: per row the code of its value (`None` when missing), and the
/// text of each code. Values are compared in their own type, so no text is made per row.
type CategoryFn<'a, T> = Box<dyn Fn(&[T]) -> (Vec<Option<u32>>, Vec<String>) + 'a>;

fn category_encoder<'a, T, S>(value: impl Fn(&T) -> Option<S> + 'a) -> CategoryFn<'a, T>
where
    S: ToString + Hash + Eq,
{
    Box::new(move |rows: &[T]| {
        let mut seen: HashMap<S, u32, KeyBuildHasher> = HashMap::default();
        let codes = rows
            .iter()
            .map(|row| {
                value(row).map(|v| {
                    let next = seen.len() as u32;
                    *seen.entry(v).or_insert(next)
                })
            })
            .collect();
        let mut labels = vec![String::new(); seen.len()];
        for (v, code) in seen {
            labels[code as usize] = v.to_string();
        }
        (codes, labels)
    })
}

enum ColumnSpec<'a, T> {
    Numeric {
        name: String,
        value: NumericFn<'a, T>,
        log1p: bool,
    },
    Categorical {
        name: String,
        value: CategoryFn<'a, T>,
        categories: Option<Vec<String>>,
    },
}

/// Collects column definitions; see the [module docs](self).
pub struct FeatureMatrixBuilder<'a, T> {
    columns: Vec<ColumnSpec<'a, T>>,
    missing: MissingPolicy,
    scaler: Option<ScalerKind>,
}

impl<T> fmt::Debug for FeatureMatrixBuilder<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .columns
            .iter()
            .map(|c| match c {
                ColumnSpec::Numeric { name, .. } | ColumnSpec::Categorical { name, .. } => {
                    name.as_str()
                }
            })
            .collect();
        f.debug_struct("FeatureMatrixBuilder")
            .field("columns", &names)
            .field("missing", &self.missing)
            .field("scaler", &self.scaler)
            .finish()
    }
}

impl<T> Default for FeatureMatrixBuilder<'_, T> {
    fn default() -> Self {
        FeatureMatrixBuilder {
            columns: Vec::new(),
            missing: MissingPolicy::Error,
            scaler: None,
        }
    }
}

impl<'a, T> FeatureMatrixBuilder<'a, T> {
    /// A numeric or boolean column (booleans encode as 1 / 0; `None` is missing).
    #[must_use]
    pub fn column<V: IntoFeature>(
        self,
        name: impl Into<String>,
        value: impl Fn(&T) -> V + 'a,
    ) -> Self {
        self.numeric(name.into(), value, false)
    }

    /// A money column, encoded as `ln(1 + x)` so that a few large accounts do not dominate.
    /// Values must be >= 0.
    #[must_use]
    pub fn log1p<V: IntoFeature>(
        self,
        name: impl Into<String>,
        value: impl Fn(&T) -> V + 'a,
    ) -> Self {
        self.numeric(name.into(), value, true)
    }

    fn numeric<V: IntoFeature>(
        mut self,
        name: String,
        value: impl Fn(&T) -> V + 'a,
        log1p: bool,
    ) -> Self {
        self.columns.push(ColumnSpec::Numeric {
            name,
            value: Box::new(move |row| value(row).into_feature()),
            log1p,
        });
        self
    }

    /// A categorical column, one-hot encoded as `name=value` columns for the distinct values
    /// seen, in sorted order.
    #[must_use]
    pub fn categorical<S: ToString + Hash + Eq>(
        mut self,
        name: impl Into<String>,
        value: impl Fn(&T) -> Option<S> + 'a,
    ) -> Self {
        self.columns.push(ColumnSpec::Categorical {
            name: name.into(),
            value: category_encoder(value),
            categories: None,
        });
        self
    }

    /// A categorical column with a fixed list of categories, so matrices built from different
    /// customers have the same columns. A value outside the list is an error.
    #[must_use]
    pub fn categorical_with<S: ToString + Hash + Eq>(
        mut self,
        name: impl Into<String>,
        categories: &[&str],
        value: impl Fn(&T) -> Option<S> + 'a,
    ) -> Self {
        self.columns.push(ColumnSpec::Categorical {
            name: name.into(),
            value: category_encoder(value),
            categories: Some(categories.iter().map(|c| (*c).to_owned()).collect()),
        });
        self
    }

    /// What to do with missing values. Default: [`MissingPolicy::Error`].
    #[must_use]
    pub fn missing(mut self, policy: MissingPolicy) -> Self {
        self.missing = policy;
        self
    }

    /// Fits and applies a scaler after encoding. Default: none.
    #[must_use]
    pub fn scaler(mut self, kind: ScalerKind) -> Self {
        self.scaler = Some(kind);
        self
    }

    /// Shorthand for `.scaler(ScalerKind::Standard)`.
    #[must_use]
    pub fn standardize(self) -> Self {
        self.scaler(ScalerKind::Standard)
    }

    /// Builds the matrix over `rows`; errors name rows by position.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns; [`Error::DuplicateName`] for a repeated
    /// column name; [`Error::NonFinite`] or [`Error::OutOfRange`] (negative money) naming row and
    /// column; [`Error::MissingValue`] under [`MissingPolicy::Error`]; [`Error::Undefined`] when
    /// a column to impute has no observed value; [`Error::InvalidParameter`] for a category
    /// outside a fixed list.
    ///
    /// The rows are customers of their own ([`Universe::dense`] of `rows.len()`): use
    /// [`FeatureMatrixBuilder::build_over`] to tie them to a customer index, so that the
    /// segmentations fitted on the matrix combine with that index's other per-customer values.
    pub fn build(&self, rows: &[T]) -> Result<FeatureMatrix> {
        self.build_labelled(rows, &|row| format!("row {row}"))
    }

    /// Builds the matrix over one record per customer of `customers`, in dense-id order: row
    /// `i` is customer `i`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `rows` does not hold one record per customer; the errors of
    /// [`FeatureMatrixBuilder::build`], naming rows by customer.
    pub fn build_over(
        &self,
        customers: &(impl CustomerSet + ?Sized),
        rows: &[T],
    ) -> Result<FeatureMatrix> {
        let universe = customers.universe();
        if rows.len() != universe.len() {
            return Err(Error::LengthMismatch {
                what: "records for the feature matrix (one per customer, in id order)",
                expected: universe.len(),
                found: rows.len(),
            });
        }
        let mut matrix =
            self.build_labelled(rows, &|row| format!("row {row} (customer #{row})"))?;
        matrix.universe = universe;
        Ok(matrix)
    }

    /// Builds the matrix over some customers of `customers`: row `i` is the record `rows[i]` of
    /// customer `ids[i]` (clustering only paying customers, say). Segmentations fitted on it
    /// leave the other customers in no segment.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `ids` and `rows` differ in length;
    /// [`Error::UnknownCustomerId`] for an id outside the set; [`Error::DuplicateName`] for a
    /// customer given twice; the errors of [`FeatureMatrixBuilder::build`].
    pub fn build_subset(
        &self,
        customers: &(impl CustomerSet + ?Sized),
        ids: &[CustomerId],
        rows: &[T],
    ) -> Result<FeatureMatrix> {
        let universe = customers.universe();
        if ids.len() != rows.len() {
            return Err(Error::LengthMismatch {
                what: "customer ids of the feature rows",
                expected: rows.len(),
                found: ids.len(),
            });
        }
        crate::universe::check_ids(universe, ids, "customer of a feature row", "row")?;
        let mut matrix =
            self.build_labelled(rows, &|row| format!("row {row} (customer {})", ids[row]))?;
        matrix.universe = universe;
        matrix.customers = Some(ids.to_vec());
        Ok(matrix)
    }

    pub(crate) fn build_labelled(
        &self,
        rows: &[T],
        label: &dyn Fn(usize) -> String,
    ) -> Result<FeatureMatrix> {
        if rows.is_empty() {
            return Err(Error::EmptyInput {
                what: "rows for the feature matrix",
                item: "record",
            });
        }
        if self.columns.is_empty() {
            return Err(Error::EmptyInput {
                what: "feature matrix builder",
                item: "column",
            });
        }
        let mut names = Vec::new();
        let mut log1p_columns = Vec::new();
        let mut values: Vec<Vec<f64>> = Vec::new();
        let mut imputed = Vec::new();
        let mut seen_names = BTreeSet::new();
        for spec in &self.columns {
            match spec {
                ColumnSpec::Numeric { name, value, log1p } => {
                    if !seen_names.insert(name.clone()) {
                        return Err(duplicate(name));
                    }
                    let (column, imputation) =
                        self.numeric_column(rows, name, value, *log1p, label)?;
                    imputed.extend(imputation);
                    names.push(name.clone());
                    log1p_columns.push(*log1p);
                    values.push(column);
                }
                ColumnSpec::Categorical {
                    name,
                    value,
                    categories,
                } => {
                    let (labels, columns, missing) =
                        self.categorical_columns(rows, name, value, categories.as_deref(), label)?;
                    for (category, column) in labels.into_iter().zip(columns) {
                        let full = format!("{name}={category}");
                        if !seen_names.insert(full.clone()) {
                            return Err(duplicate(&full));
                        }
                        names.push(full);
                        log1p_columns.push(false);
                        values.push(column);
                    }
                    if missing > 0 {
                        imputed.push(Imputation {
                            column: name.clone(),
                            count: missing,
                            value: None,
                        });
                    }
                }
            }
        }
        let diagnostics = diagnose(&names, &values, self.scaler.is_some());
        let scaler = self
            .scaler
            .map(|kind| Scaler::fit_columns(kind, &values, &names))
            .transpose()?;
        // Fill row-major, scaling on the way: every column is read sequentially and every row
        // written once.
        let width = values.len();
        let (center, scale) = match &scaler {
            Some(s) => (s.center.clone(), s.scale.clone()),
            None => (vec![0.0; width], vec![1.0; width]),
        };
        let mut data = Array2::zeros((rows.len(), width));
        for (i, mut row) in data.axis_iter_mut(Axis(0)).enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (values[j][i] - center[j]) / scale[j];
            }
        }
        Ok(FeatureMatrix {
            universe: Universe::dense(rows.len()),
            customers: None,
            data,
            names,
            log1p: log1p_columns,
            scaler,
            imputed,
            diagnostics,
        })
    }

    fn numeric_column(
        &self,
        rows: &[T],
        name: &str,
        value: &NumericFn<'a, T>,
        log1p: bool,
        label: &dyn Fn(usize) -> String,
    ) -> Result<(Vec<f64>, Option<Imputation>)> {
        let mut column = Vec::with_capacity(rows.len());
        let mut missing = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            match value(row) {
                Some(x) => {
                    let x = crate::error::ensure_finite(x, || label(i), name)?;
                    if log1p {
                        if x < 0.0 {
                            return Err(Error::OutOfRange {
                                record: label(i),
                                field: name.to_owned(),
                                value: x,
                                expected: "money >= 0 for a log1p column",
                            });
                        }
                        column.push(x.ln_1p());
                    } else {
                        column.push(x);
                    }
                }
                None => {
                    if self.missing == MissingPolicy::Error {
                        return Err(Error::MissingValue {
                            record: label(i),
                            column: name.to_owned(),
                        });
                    }
                    missing.push(i);
                    column.push(0.0);
                }
            }
        }
        if missing.is_empty() {
            return Ok((column, None));
        }
        let fill = match self.missing {
            MissingPolicy::ImputeConstant(c) => {
                let c = crate::error::ensure_finite(c, || "impute policy".to_owned(), "constant")?;
                if log1p && c >= 0.0 {
                    c.ln_1p()
                } else {
                    c
                }
            }
            policy => {
                let mut observed: Vec<f64> = column
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| missing.binary_search(i).is_err())
                    .map(|(_, &x)| x)
                    .collect();
                if observed.is_empty() {
                    return Err(Error::Undefined {
                        reason: format!(
                            "column {name} has no observed value to impute from: drop it or impute a constant"
                        ),
                    });
                }
                if policy == MissingPolicy::ImputeMean {
                    observed.iter().sum::<f64>() / observed.len() as f64
                } else {
                    observed.sort_unstable_by(f64::total_cmp);
                    quantile_sorted(&observed, 0.5)
                }
            }
        };
        for &i in &missing {
            column[i] = fill;
        }
        Ok((
            column,
            Some(Imputation {
                column: name.to_owned(),
                count: missing.len(),
                value: Some(fill),
            }),
        ))
    }

    #[allow(clippy::type_complexity)]
    fn categorical_columns(
        &self,
        rows: &[T],
        name: &str,
        value: &CategoryFn<'a, T>,
        fixed: Option<&[String]>,
        label: &dyn Fn(usize) -> String,
    ) -> Result<(Vec<String>, Vec<Vec<f64>>, usize)> {
        let (codes, labels) = value(rows);
        let categories: Vec<String> = match fixed {
            Some(list) => list.to_vec(),
            None => {
                let mut sorted = labels.clone();
                sorted.sort();
                sorted
            }
        };
        // Column of each code; a label outside a fixed list has none.
        let column_of: Vec<Option<usize>> = labels
            .iter()
            .map(|l| categories.iter().position(|c| c == l))
            .collect();
        let mut columns = vec![vec![0.0; rows.len()]; categories.len()];
        let mut missing = 0;
        for (i, code) in codes.iter().enumerate() {
            match code {
                Some(code) => {
                    let position = column_of[*code as usize].ok_or_else(|| Error::InvalidParameter {
                        name: "category",
                        reason: format!(
                            "{} has {name} = {:?}, which is not one of the fixed categories {categories:?}",
                            label(i),
                            labels[*code as usize]
                        ),
                    })?;
                    columns[position][i] = 1.0;
                }
                None if self.missing == MissingPolicy::Error => {
                    return Err(Error::MissingValue {
                        record: label(i),
                        column: name.to_owned(),
                    });
                }
                None => missing += 1,
            }
        }
        Ok((categories, columns, missing))
    }
}

fn duplicate(name: &str) -> Error {
    Error::DuplicateName {
        what: "feature column",
        name: name.to_owned(),
    }
}

fn diagnose(names: &[String], columns: &[Vec<f64>], scaled: bool) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut spreads = Vec::new();
    for (name, column) in names.iter().zip(columns) {
        let mean = column.iter().sum::<f64>() / column.len() as f64;
        let std = (column.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()
            / column.len() as f64)
            .sqrt();
        if std == 0.0 {
            diagnostics.push(Diagnostic::Constant {
                column: name.clone(),
            });
        } else {
            spreads.push((name, std));
        }
    }
    let widest = spreads.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let narrowest = spreads.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(w), Some(n)) = (widest, narrowest) {
        if w.1 > 100.0 * n.1 {
            diagnostics.push(Diagnostic::ScaleSpread {
                widest: w.0.clone(),
                widest_std: w.1,
                narrowest: n.0.clone(),
                narrowest_std: n.1,
                scaled,
            });
        }
    }
    diagnostics
}

/// A numeric matrix with named columns; rows are customers of a customer set (all of them in
/// dense-id order, or the chosen ones of [`FeatureMatrixBuilder::build_subset`]).
///
/// Loading through `Deserialize` checks a name, a log1p flag and (with a scaler) a scale per
/// column, finite cells, and one customer of the set per row, each at most once.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct FeatureMatrix {
    universe: Universe,
    /// The customer of each row; `None` when row `i` is customer `i`.
    customers: Option<Vec<CustomerId>>,
    data: Array2<f64>,
    names: Vec<String>,
    /// Which columns are `log1p` encodings (inverted by [`FeatureMatrix::to_original_units`]).
    log1p: Vec<bool>,
    scaler: Option<Scaler>,
    imputed: Vec<Imputation>,
    diagnostics: Vec<Diagnostic>,
}

checked_serde!(FeatureMatrix, FeatureMatrix::check);

impl FeatureMatrix {
    /// The invariants of a loaded matrix.
    fn check(&self) -> Result<()> {
        let (n, d) = self.data.dim();
        if d == 0 || n == 0 {
            return Err(Error::EmptyInput {
                what: "the feature matrix",
                item: "row and column",
            });
        }
        for (len, what) in [
            (self.names.len(), "feature names (one per column)"),
            (self.log1p.len(), "log1p flags (one per column)"),
        ] {
            if len != d {
                return Err(Error::LengthMismatch {
                    what,
                    expected: d,
                    found: len,
                });
            }
        }
        let mut names = BTreeSet::new();
        if let Some(name) = self.names.iter().find(|n| !names.insert(n.as_str())) {
            return Err(Error::DuplicateName {
                what: "feature",
                name: name.clone(),
            });
        }
        if let Some(scaler) = &self.scaler {
            if scaler.center.len() != d {
                return Err(Error::LengthMismatch {
                    what: "scaler columns",
                    expected: d,
                    found: scaler.center.len(),
                });
            }
        }
        if let Some(position) = self.data.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteCell {
                row: position / d,
                column: position % d,
            });
        }
        match &self.customers {
            None if n != self.universe.len() => Err(Error::LengthMismatch {
                what: "feature matrix rows (one per customer)",
                expected: self.universe.len(),
                found: n,
            }),
            None => Ok(()),
            Some(ids) if ids.len() != n => Err(Error::LengthMismatch {
                what: "feature matrix row customers",
                expected: n,
                found: ids.len(),
            }),
            Some(ids) => {
                crate::universe::check_ids(self.universe, ids, "customer", "feature matrix row")
            }
        }
    }

    /// A builder of a matrix over records of type `T`.
    #[must_use]
    pub fn builder<'a, T>() -> FeatureMatrixBuilder<'a, T> {
        FeatureMatrixBuilder::default()
    }

    /// A matrix from existing data and column names (no scaler); its rows are customers of
    /// their own ([`Universe::dense`]).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the names do not match the columns;
    /// [`Error::DuplicateName`] for a repeated name; [`Error::NonFiniteCell`] for NaN or
    /// infinite values; [`Error::EmptyInput`] for an empty matrix.
    pub fn from_array(data: Array2<f64>, names: Vec<String>) -> Result<FeatureMatrix> {
        if data.is_empty() {
            return Err(Error::EmptyInput {
                what: "feature matrix",
                item: "row and column",
            });
        }
        if names.len() != data.ncols() {
            return Err(Error::ShapeMismatch {
                what: "feature matrix (names given)",
                expected: names.len(),
                found: data.ncols(),
            });
        }
        let mut seen = BTreeSet::new();
        if let Some(name) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(duplicate(name));
        }
        check_finite(data.view())?;
        let columns: Vec<Vec<f64>> = data.axis_iter(Axis(1)).map(|c| c.to_vec()).collect();
        let diagnostics = diagnose(&names, &columns, false);
        Ok(FeatureMatrix {
            universe: Universe::dense(data.nrows()),
            customers: None,
            log1p: vec![false; names.len()],
            data,
            names,
            scaler: None,
            imputed: Vec::new(),
            diagnostics,
        })
    }

    /// A matrix from existing data whose row `i` is customer `i` of `customers`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the rows are not one per customer; the errors of
    /// [`FeatureMatrix::from_array`].
    pub fn from_array_over(
        customers: &(impl CustomerSet + ?Sized),
        data: Array2<f64>,
        names: Vec<String>,
    ) -> Result<FeatureMatrix> {
        let universe = customers.universe();
        if data.nrows() != universe.len() {
            return Err(Error::LengthMismatch {
                what: "feature matrix rows (one per customer, in id order)",
                expected: universe.len(),
                found: data.nrows(),
            });
        }
        let mut matrix = FeatureMatrix::from_array(data, names)?;
        matrix.universe = universe;
        Ok(matrix)
    }

    /// The customer set the rows belong to.
    #[must_use]
    pub fn universe(&self) -> Universe {
        self.universe
    }

    /// The customer of row `row`, `None` past the last row.
    #[must_use]
    pub fn customer(&self, row: usize) -> Option<CustomerId> {
        if row >= self.data.nrows() {
            return None;
        }
        match &self.customers {
            Some(ids) => ids.get(row).copied(),
            None => Some(CustomerId(row as u32)),
        }
    }

    /// A [`Segmentation`] of this matrix's customer set from one label per row (`0..k`, `k` the
    /// number of `segments`); customers without a row are in no segment.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `row_labels` is not one label per row; the errors of
    /// [`Segmentation::new`].
    pub fn segmentation(
        &self,
        row_labels: &[usize],
        segments: Vec<SegmentDescriptor>,
    ) -> Result<Segmentation> {
        if row_labels.len() != self.data.nrows() {
            return Err(Error::LengthMismatch {
                what: "labels (one per feature row)",
                expected: self.data.nrows(),
                found: row_labels.len(),
            });
        }
        let labels = match &self.customers {
            None => row_labels.iter().map(|&l| Some(l)).collect(),
            Some(ids) => {
                let mut labels =
                    crate::engine::try_filled(self.universe.len(), None, "the segment labels")?;
                for (id, &l) in ids.iter().zip(row_labels) {
                    if let Some(slot) = labels.get_mut(id.index()) {
                        *slot = Some(l);
                    }
                }
                labels
            }
        };
        Segmentation::new(&self.universe, labels, segments)
    }

    /// Rows of the matrix's units (scaled, encoded: a centroid, say) in original units: the
    /// scaler inverted, then `ln(1 + x)` columns turned back with `exp(x) - 1`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `rows` does not have the matrix's columns.
    pub fn to_original_units(&self, rows: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if rows.ncols() != self.names.len() {
            return Err(Error::ShapeMismatch {
                what: "rows to convert to original units",
                expected: self.names.len(),
                found: rows.ncols(),
            });
        }
        let mut out = match &self.scaler {
            Some(scaler) => scaler.inverse_transform(rows)?,
            None => rows.to_owned(),
        };
        for (j, mut column) in out.axis_iter_mut(Axis(1)).enumerate() {
            if self.log1p.get(j).copied().unwrap_or(false) {
                column.mapv_inplace(f64::exp_m1);
            }
        }
        Ok(out)
    }

    /// The matrix (scaled when a scaler was set), rows = records.
    #[must_use]
    pub fn view(&self) -> ArrayView2<'_, f64> {
        self.data.view()
    }

    /// Column names, in column order (one-hot columns as `name=value`).
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The column called `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|j| self.data.column(j))
    }

    /// The fitted scaler, if one was set.
    #[must_use]
    pub fn scaler(&self) -> Option<&Scaler> {
        self.scaler.as_ref()
    }

    /// Columns where values were imputed.
    #[must_use]
    pub fn imputed(&self) -> &[Imputation] {
        &self.imputed
    }

    /// Remarks on the raw columns (scale spread, constant columns).
    #[must_use]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The matrix in encoded but unscaled units (the scaler inverted; `log1p` columns stay
    /// in log units).
    ///
    /// # Errors
    /// Never in practice; the scaler's shape always matches.
    pub fn original_units(&self) -> Result<Array2<f64>> {
        match &self.scaler {
            Some(scaler) => scaler.inverse_transform(self.data.view()),
            None => Ok(self.data.clone()),
        }
    }

    /// Whether column `j` is a `ln(1 + x)` encoding.
    #[must_use]
    pub fn is_log1p(&self, j: usize) -> bool {
        self.log1p.get(j).copied().unwrap_or(false)
    }

    /// Consumes the matrix, returning the data.
    #[must_use]
    pub fn into_array(self) -> Array2<f64> {
        self.data
    }
}

impl CustomerSet for FeatureMatrix {
    fn universe(&self) -> Universe {
        self.universe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&sorted, 0.25), 1.75);
        assert_eq!(quantile_sorted(&sorted, 0.5), 2.5);
        assert_eq!(quantile_sorted(&sorted, 0.75), 3.25);
    }
}
