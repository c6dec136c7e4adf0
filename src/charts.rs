//! Charts of the crate's results, rendered to SVG strings (feature `charts`, on by default).
//!
//! Each chart is a plain data type built from a result of the crate (a retention matrix, the
//! Kaplan-Meier curves of segments, an RFM grid, a choice of k, cluster profiles, an MRR bridge,
//! a concentration, KPIs per segment, scores by outcome) whose fields are exactly what is drawn,
//! so a test can check the data without looking at pixels. [`Chart::to_svg`] renders it with
//! [`plotters`](https://docs.rs/plotters)' SVG backend into a `String`: the library writes no
//! file, the caller does (or embeds it in a [`crate::report::Report`]).
//!
//! Colors are the Okabe-Ito palette, readable with the common color-vision deficiencies.
//! Cells that could not be observed (a cohort too young for a period) stay blank, never 0.
//!
//! ```
//! use saas_segmentation::charts::{Chart, IntervalBar, IntervalBars, ValueFormat};
//!
//! let bars = IntervalBars {
//!     title: "Monthly logo churn by tier".into(),
//!     x_label: "churn per month".into(),
//!     format: ValueFormat::Percent { decimals: 1 },
//!     bars: vec![
//!         IntervalBar { label: "smb".into(), value: 0.031, lower: Some(0.027), upper: Some(0.035) },
//!         IntervalBar { label: "enterprise".into(), value: 0.008, lower: Some(0.004), upper: Some(0.014) },
//!     ],
//!     reference: None,
//! };
//! let svg = bars.to_svg()?;
//! assert!(svg.starts_with("<svg") && svg.contains("enterprise"));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::cluster::{ChooseK, ClusterProfile};
use crate::cohort::RetentionMatrix;
use crate::economics::{Concentration, MonthMovements, Proportion, SegmentKpis};
use crate::error::{Error, Result};
use crate::rfm::RfGrid;
use crate::survival::{KaplanMeier, SegmentSurvival};

/// Width of every chart, in pixels.
pub const WIDTH: u32 = 760;

const FONT: &str = "sans-serif";

/// The Okabe-Ito palette (blue, orange, bluish green, vermillion, sky blue, reddish purple,
/// yellow, black), in the order series take them.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

const GRID: RGBColor = RGBColor(225, 225, 225);
const MUTED: RGBColor = RGBColor(90, 90, 90);

/// Something that renders to one SVG document.
pub trait Chart {
    /// The chart's title (also its caption in a report).
    fn title(&self) -> &str;
    /// The chart as a self-contained SVG document.
    ///
    /// # Errors
    /// [`Error::Render`] when the chart has nothing to draw (no rows, no points) or a value
    /// is not finite.
    fn to_svg(&self) -> Result<String>;
}

/// How values are written on a chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueFormat {
    /// A share in [0, 1] written as a percentage.
    Percent {
        /// Decimals after the point.
        decimals: usize,
    },
    /// A number with a fixed number of decimals and thousands separators.
    Number {
        /// Decimals after the point.
        decimals: usize,
    },
    /// Money in a currency (an ISO code or symbol written before the amount), no decimals.
    Money {
        /// `"USD"`, `"EUR"`, `"$"`, ...
        currency: &'static str,
    },
}

impl ValueFormat {
    /// Writes `value` in this format.
    #[must_use]
    pub fn format(&self, value: f64) -> String {
        match *self {
            ValueFormat::Percent { decimals } => format!("{:.*}%", decimals, value * 100.0),
            ValueFormat::Number { decimals } => group_thousands(value, decimals),
            ValueFormat::Money { currency } => crate::report::Cell::money(value, currency).render(),
        }
    }
}

/// `1234567.891` with 2 decimals as `1,234,567.89`; `n/a` when not finite.
#[must_use]
pub fn group_thousands(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        crate::report::Cell::number(value, decimals).render()
    } else {
        "n/a".to_owned()
    }
}

fn render_error(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::Render {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

/// The largest magnitude a chart draws: beyond it axis arithmetic loses every digit (and no
/// amount of money or customers is that large).
pub const MAX_MAGNITUDE: f64 = 1e15;

fn ensure_drawable(what: &str, values: impl IntoIterator<Item = f64>) -> Result<()> {
    let mut any = false;
    for v in values {
        any = true;
        if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
            return Err(render_error(
                what,
                format!(
                    "a value is {v}: only finite values within ±1e15 can be drawn (rescale, or \
                     drop the value)"
                ),
            ));
        }
    }
    if any {
        Ok(())
    } else {
        Err(render_error(what, "nothing to draw: the chart has no data"))
    }
}

/// The most rows (bars, curves, cells down or across) one chart draws: its height grows with
/// them, and past a few thousand nobody can read it anyway.
pub const MAX_ROWS: usize = 5_000;

fn ensure_rows(what: &str, items: &str, count: usize) -> Result<()> {
    if count > MAX_ROWS {
        return Err(render_error(
            what,
            format!(
                "{count} {items} is more than one chart can show ({MAX_ROWS}): draw the top ones \
                 or aggregate first"
            ),
        ));
    }
    Ok(())
}

/// Shares drawn on a fixed 0-1 axis must lie on it.
fn ensure_shares(what: &str, values: impl IntoIterator<Item = f64>) -> Result<()> {
    match values.into_iter().find(|v| !(0.0..=1.0).contains(v)) {
        Some(v) => Err(render_error(
            what,
            format!("a share is {v}: shares (survival, Lorenz, Gini) lie in [0, 1]"),
        )),
        None => Ok(()),
    }
}

/// Shortens a label to `max` characters with an ellipsis.
fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Pixels a label of `chars` characters takes at `size` px (a generous sans-serif average).
fn text_width(chars: usize, size: f64) -> i32 {
    (chars as f64 * size * 0.6).ceil() as i32
}

/// Renders with a drawing closure into an SVG string.
fn render(
    what: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| render_error(what, e))?;
        draw(&root).map_err(|e| render_error(what, e))?;
        root.present().map_err(|e| render_error(what, e))?;
    }
    Ok(svg)
}

fn e2s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

fn title_style() -> TextStyle<'static> {
    (FONT, 17.0)
        .into_font()
        .style(FontStyle::Bold)
        .color(&BLACK)
}

// ---------------------------------------------------------------------------------------------
// Heatmap

/// How heatmap cells are colored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColorScale {
    /// White at `min` to deep blue at `max`.
    Sequential {
        /// The value drawn white.
        min: f64,
        /// The value drawn darkest.
        max: f64,
    },
    /// Vermillion below 0, white at 0, blue above, saturated at `±limit`.
    Diverging {
        /// The magnitude drawn fully saturated.
        limit: f64,
    },
}

impl ColorScale {
    fn color(&self, value: f64) -> RGBColor {
        let mix = |to: RGBColor, t: f64| {
            let t = t.clamp(0.0, 1.0);
            let c = |a: u8| (255.0 - (255.0 - f64::from(a)) * t).round() as u8;
            RGBColor(c(to.0), c(to.1), c(to.2))
        };
        match *self {
            ColorScale::Sequential { min, max } => {
                let span = max - min;
                let t = if span > 0.0 {
                    (value - min) / span
                } else {
                    1.0
                };
                mix(RGBColor(8, 69, 148), t)
            }
            ColorScale::Diverging { limit } => {
                let t = if limit > 0.0 { value / limit } else { 0.0 };
                if t >= 0.0 {
                    mix(PALETTE[0], t)
                } else {
                    mix(PALETTE[3], -t)
                }
            }
        }
    }
}

/// Dark cells get white text.
fn text_on(fill: RGBColor) -> RGBColor {
    let luminance =
        0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
    if luminance < 140.0 {
        WHITE
    } else {
        BLACK
    }
}

/// A grid of colored cells with row and column labels; `None` cells are drawn blank.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Title above the chart.
    pub title: String,
    /// What the rows are (drawn above the row labels).
    pub row_title: String,
    /// What the columns are (drawn above the column labels).
    pub column_title: String,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// Column labels, left to right.
    pub columns: Vec<String>,
    /// `cells[row][column]`; `None` is blank (not observed), never 0.
    pub cells: Vec<Vec<Option<f64>>>,
    /// A note written right of each row (a cohort's size), or empty.
    pub row_notes: Vec<String>,
    /// How cells are colored.
    pub scale: ColorScale,
    /// How cell values are written.
    pub format: ValueFormat,
}

impl Heatmap {
    /// Logo retention: one row per cohort (its label and size), one column per period since
    /// signup, the share of the cohort retained; cells no member could be observed in yet are
    /// blank.
    ///
    /// ```
    /// use saas_segmentation::charts::Heatmap;
    /// use saas_segmentation::cohort::{Cohorts, Grid, RetentionMatrix, RetentionParams};
    /// use saas_segmentation::{CustomerIndex, Date, Period};
    ///
    /// let d = |s: &str| s.parse::<Date>();
    /// let index = CustomerIndex::from_keys(["a", "b"])?;
    /// let signups = [("a", d("2024-01-03")?), ("b", d("2024-02-03")?)];
    /// let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month))?;
    /// let activity = [("a", d("2024-02-10")?)];
    /// let params = RetentionParams::new(d("2024-02-29")?);
    /// let matrix = RetentionMatrix::compute(&index, &cohorts, &activity, &params)?;
    /// let chart = Heatmap::retention(&matrix, "Logo retention by signup month");
    /// assert_eq!(chart.cells[0], [Some(1.0), Some(1.0)]);
    /// assert_eq!(chart.cells[1], [Some(1.0), None]); // February's month 1 has not happened
    /// # Ok::<(), saas_segmentation::Error>(())
    /// ```
    #[must_use]
    pub fn retention(matrix: &RetentionMatrix, title: &str) -> Heatmap {
        let periods = matrix.periods();
        let cells = matrix.rates();
        // The color runs from the lowest observed rate (rounded down to 10%) to 100%, so
        // cohorts that all keep 80-100% still show their differences.
        let lowest = cells
            .iter()
            .flatten()
            .flatten()
            .fold(1.0f64, |a, &b| a.min(b));
        let min = ((lowest * 10.0).floor() / 10.0).clamp(0.0, 0.9);
        Heatmap {
            title: title.to_owned(),
            row_title: "cohort".into(),
            column_title: "periods since signup".into(),
            rows: matrix.labels().to_vec(),
            columns: (0..periods).map(|p| p.to_string()).collect(),
            cells,
            row_notes: matrix
                .sizes()
                .iter()
                .map(|n| format!("n={}", group_thousands(*n as f64, 0)))
                .collect(),
            scale: ColorScale::Sequential { min, max: 1.0 },
            format: ValueFormat::Percent { decimals: 0 },
        }
    }

    /// The RFM recency x frequency grid: rows are recency scores from the best (most recent)
    /// down, columns frequency scores, cells the customers in each; row notes give the
    /// customers per recency score.
    #[must_use]
    pub fn rfm_grid(grid: &RfGrid, title: &str) -> Heatmap {
        let cells = grid.cells();
        let r_bins = cells.iter().map(|c| c.0).max().unwrap_or(0);
        let f_bins = cells.iter().map(|c| c.1).max().unwrap_or(0);
        let rows: Vec<u8> = (1..=r_bins).rev().collect();
        let counts: Vec<Vec<Option<f64>>> = rows
            .iter()
            .map(|&r| {
                (1..=f_bins)
                    .map(|f| Some(grid.count(r, f) as f64))
                    .collect()
            })
            .collect();
        let max = counts
            .iter()
            .flatten()
            .flatten()
            .fold(0.0f64, |a, &b| a.max(b));
        Heatmap {
            title: title.to_owned(),
            row_title: "recency score".into(),
            column_title: "frequency score".into(),
            rows: rows.iter().map(|r| format!("R{r}")).collect(),
            columns: (1..=f_bins).map(|f| format!("F{f}")).collect(),
            row_notes: rows
                .iter()
                .map(|&r| {
                    let n: usize = (1..=f_bins).map(|f| grid.count(r, f)).sum();
                    format!("n={}", group_thousands(n as f64, 0))
                })
                .collect(),
            cells: counts,
            scale: ColorScale::Sequential { min: 0.0, max },
            format: ValueFormat::Number { decimals: 0 },
        }
    }

    /// Cluster profiles: one row per cluster (its label and share), one column per feature,
    /// each cell the standardized difference of the cluster's mean from the rest's (in
    /// pooled standard deviations; blue above, vermillion below).
    #[must_use]
    pub fn cluster_profiles(profiles: &[ClusterProfile], title: &str) -> Heatmap {
        let columns: Vec<String> = profiles
            .first()
            .map(|p| p.contrasts.iter().map(|c| c.feature.clone()).collect())
            .unwrap_or_default();
        let cells: Vec<Vec<Option<f64>>> = profiles
            .iter()
            .map(|p| {
                columns
                    .iter()
                    .map(|name| {
                        p.contrasts
                            .iter()
                            .find(|c| &c.feature == name)
                            .map(|c| c.standardized_difference)
                            .filter(|v| v.is_finite())
                    })
                    .collect()
            })
            .collect();
        let limit = cells
            .iter()
            .flatten()
            .flatten()
            .fold(0.0f64, |a, &b| a.max(b.abs()))
            .max(0.5);
        Heatmap {
            title: title.to_owned(),
            row_title: "cluster".into(),
            column_title: "standardized difference from the other clusters".into(),
            rows: profiles
                .iter()
                .map(|p| format!("{} ({})", p.label, p.cluster))
                .collect(),
            columns,
            cells,
            row_notes: profiles
                .iter()
                .map(|p| format!("{:.0}%", p.share * 100.0))
                .collect(),
            scale: ColorScale::Diverging { limit },
            format: ValueFormat::Number { decimals: 1 },
        }
    }

    fn check(&self) -> Result<()> {
        ensure_rows(&self.title, "rows", self.rows.len())?;
        ensure_rows(&self.title, "columns", self.columns.len())?;
        if self.rows.is_empty() || self.columns.is_empty() {
            return Err(render_error(
                &self.title,
                "nothing to draw: no rows or no columns",
            ));
        }
        if self.cells.len() != self.rows.len()
            || self.cells.iter().any(|r| r.len() != self.columns.len())
            || (!self.row_notes.is_empty() && self.row_notes.len() != self.rows.len())
        {
            return Err(render_error(
                &self.title,
                format!(
                    "{} rows and {} columns need as many cells per row (and a note per row or none)",
                    self.rows.len(),
                    self.columns.len()
                ),
            ));
        }
        if let Some(v) = self
            .cells
            .iter()
            .flatten()
            .flatten()
            .find(|v| !v.is_finite())
        {
            return Err(render_error(
                &self.title,
                format!("a cell is {v}: only finite values can be drawn"),
            ));
        }
        Ok(())
    }
}

impl Chart for Heatmap {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        self.check()?;
        let row_h = 24;
        let label_chars = self
            .rows
            .iter()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(0);
        let left = (text_width(label_chars.min(44), 12.0) + 14).clamp(60, 300);
        let note_w = if self.row_notes.is_empty() { 10 } else { 64 };
        let plot_w = WIDTH as i32 - left - note_w - 10;
        let cols = self.columns.len() as i32;
        let cell_w = (plot_w / cols).max(6);
        let col_chars = self
            .columns
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        // Column labels that do not fit across their cell are written upwards.
        let vertical = text_width(col_chars, 11.0) > cell_w - 4 && cell_w >= 14;
        let top = if vertical {
            56 + text_width(col_chars.min(30), 11.0)
        } else {
            78
        };
        let height = top + row_h * self.rows.len() as i32 + 56;
        // Narrow cells get the value without its unit, in a smaller font.
        let (show_values, compact) = (cell_w >= 22, cell_w < 34);
        render(&self.title, (WIDTH, height as u32), |root| {
            root.draw(&Text::new(self.title.clone(), (12, 10), title_style()))
                .map_err(e2s)?;
            root.draw(&Text::new(
                if compact && matches!(self.format, ValueFormat::Percent { .. }) {
                    format!("{} (cells in %)", self.column_title)
                } else {
                    self.column_title.clone()
                },
                (left, 38),
                font(12.0).color(&MUTED),
            ))
            .map_err(e2s)?;
            root.draw(&Text::new(
                self.row_title.clone(),
                (12, top - 18),
                font(12.0).color(&MUTED),
            ))
            .map_err(e2s)?;
            // Column labels: across when they fit, upwards when not, every n-th when even
            // that is too tight.
            let step = if cell_w >= 14 {
                1
            } else {
                (14 / cell_w.max(1)) as usize + 1
            };
            for (c, label) in self.columns.iter().enumerate() {
                if c % step != 0 {
                    continue;
                }
                let x = left + cell_w * c as i32 + cell_w / 2;
                if vertical {
                    root.draw(&Text::new(
                        clip(label, 30),
                        (x, top - 6),
                        font(11.0)
                            .transform(FontTransform::Rotate270)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    ))
                    .map_err(e2s)?;
                } else {
                    root.draw(&Text::new(
                        label.clone(),
                        (x, top - 6),
                        font(11.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    ))
                    .map_err(e2s)?;
                }
            }
            for (r, label) in self.rows.iter().enumerate() {
                let y = top + row_h * r as i32;
                root.draw(&Text::new(
                    clip(label, 44),
                    (left - 8, y + row_h / 2),
                    font(12.0).pos(Pos::new(HPos::Right, VPos::Center)),
                ))
                .map_err(e2s)?;
                for (c, cell) in self.cells[r].iter().enumerate() {
                    let x = left + cell_w * c as i32;
                    let corners = [(x + 1, y + 1), (x + cell_w - 1, y + row_h - 1)];
                    match cell {
                        Some(v) => {
                            let fill = self.scale.color(*v);
                            root.draw(&Rectangle::new(corners, fill.filled()))
                                .map_err(e2s)?;
                            if show_values {
                                let text = match (compact, self.format) {
                                    (true, ValueFormat::Percent { .. }) => {
                                        format!("{:.0}", v * 100.0)
                                    }
                                    (true, ValueFormat::Number { decimals: 0 }) => short_number(*v),
                                    _ => self.format.format(*v),
                                };
                                root.draw(&Text::new(
                                    text,
                                    (x + cell_w / 2, y + row_h / 2),
                                    font(if compact { 9.5 } else { 10.5 })
                                        .color(&text_on(fill))
                                        .pos(Pos::new(HPos::Center, VPos::Center)),
                                ))
                                .map_err(e2s)?;
                            }
                        }
                        None => {
                            root.draw(&Rectangle::new(corners, GRID.stroke_width(1)))
                                .map_err(e2s)?;
                        }
                    }
                }
                if let Some(note) = self.row_notes.get(r) {
                    root.draw(&Text::new(
                        note.clone(),
                        (left + cell_w * cols + 6, y + row_h / 2),
                        font(10.5)
                            .color(&MUTED)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    ))
                    .map_err(e2s)?;
                }
            }
            // Legend: the scale's ends, and what a blank cell means.
            let y = top + row_h * self.rows.len() as i32 + 16;
            let (lo, hi) = match self.scale {
                ColorScale::Sequential { min, max } => (min, max),
                ColorScale::Diverging { limit } => (-limit, limit),
            };
            for i in 0..40 {
                let v = lo + (hi - lo) * f64::from(i) / 39.0;
                let x = left + i * 4;
                root.draw(&Rectangle::new(
                    [(x, y), (x + 4, y + 10)],
                    self.scale.color(v).filled(),
                ))
                .map_err(e2s)?;
            }
            root.draw(&Text::new(
                self.format.format(lo),
                (left - 4, y + 5),
                font(10.5).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(e2s)?;
            root.draw(&Text::new(
                self.format.format(hi),
                (left + 164, y + 5),
                font(10.5).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(e2s)?;
            if self.cells.iter().flatten().any(Option::is_none) {
                let x = left + 260;
                root.draw(&Rectangle::new(
                    [(x, y), (x + 14, y + 10)],
                    GRID.stroke_width(1),
                ))
                .map_err(e2s)?;
                root.draw(&Text::new(
                    "not observed yet",
                    (x + 20, y + 5),
                    font(10.5)
                        .color(&MUTED)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(e2s)?;
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Survival curves

/// One Kaplan-Meier curve: its steps with the confidence band.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCurve {
    /// Legend name.
    pub name: String,
    /// `(time, S, lower, upper)` from time 0 (S = 1), each held until the next time.
    pub steps: Vec<(f64, f64, f64, f64)>,
    /// Subjects at risk just before each of [`SurvivalChart::at_risk_times`].
    pub at_risk: Vec<u64>,
}

/// Kaplan-Meier curves with their confidence bands and an at-risk table under the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalChart {
    /// Title above the chart.
    pub title: String,
    /// A line under the title (the log-rank test), or empty.
    pub subtitle: String,
    /// What time is measured in (`"months since first payment"`).
    pub x_label: String,
    /// The curves.
    pub curves: Vec<SurvivalCurve>,
    /// Times of the at-risk table's columns.
    pub at_risk_times: Vec<f64>,
}

/// Subjects at risk at `t`: the event table's count at the first time `>= t` (rows exist at
/// every time something happened, entries included, so the count holds back to the previous
/// row); 0 past the last time.
fn at_risk_at(km: &KaplanMeier, t: f64) -> u64 {
    km.rows()
        .iter()
        .find(|r| r.time >= t)
        .map_or(0, |r| r.at_risk)
}

impl SurvivalCurve {
    /// The curve of one fit, with the at-risk counts at `times`.
    #[must_use]
    pub fn new(name: &str, km: &KaplanMeier, times: &[f64]) -> SurvivalCurve {
        let mut steps = vec![(0.0, 1.0, 1.0, 1.0)];
        for p in km.steps() {
            if p.time <= 0.0 {
                steps[0] = (0.0, p.survival, p.lower, p.upper);
            } else {
                steps.push((p.time, p.survival, p.lower, p.upper));
            }
        }
        SurvivalCurve {
            name: name.to_owned(),
            steps,
            at_risk: times.iter().map(|&t| at_risk_at(km, t)).collect(),
        }
    }
}

impl SurvivalChart {
    /// The curves of segments compared with [`crate::survival::compare_segments`], the
    /// k-group log-rank test as the subtitle, at-risk counts at `times`.
    #[must_use]
    pub fn segments(
        comparison: &SegmentSurvival,
        title: &str,
        x_label: &str,
        times: &[f64],
    ) -> SurvivalChart {
        let t = &comparison.test;
        SurvivalChart {
            title: title.to_owned(),
            subtitle: format!(
                "log-rank chi2 = {:.1}, df = {}, p {}; shaded: {:.0}% confidence band",
                t.statistic,
                t.df,
                format_p(t.p_value),
                100.0 * (1.0 - comparison.curves.first().map_or(0.05, KaplanMeier::alpha))
            ),
            x_label: x_label.to_owned(),
            curves: comparison
                .names
                .iter()
                .zip(&comparison.curves)
                .map(|(n, km)| SurvivalCurve::new(n, km, times))
                .collect(),
            at_risk_times: times.to_vec(),
        }
    }
}

/// A p-value as people read it: `= 0.032` or `< 0.001`.
#[must_use]
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_owned()
    } else {
        format!("= {p:.3}")
    }
}

impl Chart for SurvivalChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        ensure_drawable(
            &self.title,
            self.curves
                .iter()
                .flat_map(|c| c.steps.iter().flat_map(|s| [s.0, s.1, s.2, s.3]))
                .chain(self.at_risk_times.iter().copied()),
        )?;
        ensure_shares(
            &self.title,
            self.curves
                .iter()
                .flat_map(|c| c.steps.iter().flat_map(|s| [s.1, s.2, s.3])),
        )?;
        if let Some(t) = self
            .curves
            .iter()
            .flat_map(|c| c.steps.iter().map(|s| s.0))
            .chain(self.at_risk_times.iter().copied())
            .find(|t| *t < 0.0)
        {
            return Err(render_error(
                &self.title,
                format!("a time is {t}: times start at 0"),
            ));
        }
        let x_max = self
            .curves
            .iter()
            .flat_map(|c| c.steps.iter().map(|s| s.0))
            .chain(self.at_risk_times.iter().copied())
            .fold(1.0f64, f64::max);
        let name_chars = self
            .curves
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        ensure_rows(&self.title, "curves", self.curves.len())?;
        ensure_rows(&self.title, "at-risk times", self.at_risk_times.len())?;
        let table_h = 48 + 18 * self.curves.len() as u32;
        let height = 420 + table_h;
        let y_area = (text_width(name_chars.min(24), 11.0) + 16).max(56) as u32;
        render(&self.title, (WIDTH, height), |root| {
            let (upper, _) = root.split_vertically(420);
            let mut chart = ChartBuilder::on(&upper)
                .caption(&self.title, title_style())
                .margin(12)
                .x_label_area_size(38)
                .y_label_area_size(y_area)
                .build_cartesian_2d(0.0..x_max, 0.0..1.02)
                .map_err(e2s)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .x_desc(self.x_label.clone())
                .x_label_formatter(&|v| axis_number(*v, x_max))
                .y_desc("share still customers")
                .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .label_style(font(11.0))
                .draw()
                .map_err(e2s)?;
            for (i, curve) in self.curves.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let stepped = |pick: fn(&(f64, f64, f64, f64)) -> f64| {
                    let mut out = Vec::with_capacity(curve.steps.len() * 2 + 1);
                    for (j, s) in curve.steps.iter().enumerate() {
                        if j > 0 {
                            out.push((s.0, pick(&curve.steps[j - 1])));
                        }
                        out.push((s.0, pick(s)));
                    }
                    if let Some(last) = curve.steps.last() {
                        out.push((x_max, pick(last)));
                    }
                    out
                };
                let upper_line = stepped(|s| s.3);
                let mut band = stepped(|s| s.2);
                band.reverse();
                let polygon: Vec<(f64, f64)> = upper_line.into_iter().chain(band).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(polygon, color.mix(0.15))))
                    .map_err(e2s)?;
                chart
                    .draw_series(LineSeries::new(stepped(|s| s.1), color.stroke_width(2)))
                    .map_err(e2s)?
                    .label(curve.name.clone())
                    .legend(swatch(color, 3));
            }
            legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
            // The subtitle (the test) under the plot, where it cannot cover a curve.
            if !self.subtitle.is_empty() {
                root.draw(&Text::new(
                    self.subtitle.clone(),
                    (12, 424),
                    font(11.5).color(&MUTED),
                ))
                .map_err(e2s)?;
            }
            // The at-risk table, its columns under the axis positions.
            let top = 420 + 30;
            root.draw(&Text::new(
                "at risk",
                (12, top),
                (FONT, 11.0)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&BLACK),
            ))
            .map_err(e2s)?;
            // The header row: the time of each column, so the counts need no axis tick.
            for t in &self.at_risk_times {
                let (x, _) = chart.backend_coord(&(*t, 0.0));
                root.draw(&Text::new(
                    format!("t = {}", axis_number(*t, x_max)),
                    (x, top),
                    (FONT, 11.0)
                        .into_font()
                        .style(FontStyle::Bold)
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(e2s)?;
            }
            for (i, curve) in self.curves.iter().enumerate() {
                let y = top + 18 * (i as i32 + 1);
                root.draw(&Text::new(
                    clip(&curve.name, 24),
                    (12, y),
                    font(11.0).color(&PALETTE[i % PALETTE.len()]),
                ))
                .map_err(e2s)?;
                for (t, n) in self.at_risk_times.iter().zip(&curve.at_risk) {
                    let (x, _) = chart.backend_coord(&(*t, 0.0));
                    root.draw(&Text::new(
                        group_thousands(*n as f64, 0),
                        (x, y),
                        font(11.0).pos(Pos::new(HPos::Center, VPos::Top)),
                    ))
                    .map_err(e2s)?;
                }
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Choosing k

/// One criterion of a choice of k, drawn as its own small panel.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPanel {
    /// The criterion (`"silhouette (higher is better)"`).
    pub name: String,
    /// `(k, value)` per k swept.
    pub points: Vec<(f64, f64)>,
    /// The k this criterion alone picks, if it picks one.
    pub pick: Option<usize>,
}

/// The curves behind a choice of k, one panel per criterion, with the recommended k marked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChooseKChart {
    /// Title above the chart.
    pub title: String,
    /// The k recommended.
    pub recommended: usize,
    /// One panel per criterion.
    pub panels: Vec<MetricPanel>,
}

impl ChooseKChart {
    /// The panels of a [`ChooseK`] sweep: inertia (with the elbow), silhouette,
    /// Calinski-Harabasz, Davies-Bouldin, and the gap statistic when it was computed.
    #[must_use]
    pub fn new(choice: &ChooseK, title: &str) -> ChooseKChart {
        let scores = choice.scores();
        let series = |f: &dyn Fn(&crate::cluster::KScore) -> Option<f64>| -> Vec<(f64, f64)> {
            scores
                .iter()
                .filter_map(|s| f(s).map(|v| (s.k as f64, v)))
                .collect()
        };
        let best = |points: &[(f64, f64)], higher: bool| {
            points
                .iter()
                .copied()
                .reduce(|a, b| {
                    if (higher && b.1 > a.1) || (!higher && b.1 < a.1) {
                        b
                    } else {
                        a
                    }
                })
                .map(|p| p.0 as usize)
        };
        let mut panels = vec![MetricPanel {
            name: "inertia (elbow)".into(),
            points: series(&|s| Some(s.inertia)),
            pick: choice.elbow(),
        }];
        for (name, higher, f) in [
            (
                "silhouette (higher is better)",
                true,
                (&|s: &crate::cluster::KScore| Some(s.silhouette))
                    as &dyn Fn(&crate::cluster::KScore) -> Option<f64>,
            ),
            (
                "Calinski-Harabasz (higher is better)",
                true,
                &|s: &crate::cluster::KScore| Some(s.calinski_harabasz),
            ),
            (
                "Davies-Bouldin (lower is better)",
                false,
                &|s: &crate::cluster::KScore| Some(s.davies_bouldin),
            ),
        ] {
            let points = series(f);
            let pick = best(&points, higher);
            panels.push(MetricPanel {
                name: name.into(),
                points,
                pick,
            });
        }
        let gap = series(&|s| s.gap.map(|g| g.value));
        if !gap.is_empty() {
            panels.push(MetricPanel {
                name: "gap statistic".into(),
                points: gap,
                pick: choice.gap_pick(),
            });
        }
        ChooseKChart {
            title: title.to_owned(),
            recommended: choice.recommended(),
            panels,
        }
    }
}

impl Chart for ChooseKChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        ensure_drawable(
            &self.title,
            self.panels
                .iter()
                .flat_map(|p| p.points.iter().flat_map(|q| [q.0, q.1])),
        )?;
        if let Some(p) = self.panels.iter().find(|p| p.points.is_empty()) {
            return Err(render_error(
                &self.title,
                format!(
                    "panel {:?} has no points: drop it or add its values",
                    p.name
                ),
            ));
        }
        ensure_rows(&self.title, "panels", self.panels.len())?;
        let cols = 2usize;
        let rows = self.panels.len().div_ceil(cols);
        let height = 64 + 230 * rows as u32;
        render(&self.title, (WIDTH, height), |root| {
            root.draw(&Text::new(
                format!("{} — recommended k = {}", self.title, self.recommended),
                (12, 10),
                title_style(),
            ))
            .map_err(e2s)?;
            let body = root.margin(40, 24, 0, 0);
            let areas = body.split_evenly((rows, cols));
            for (panel, area) in self.panels.iter().zip(&areas) {
                let (k_lo, k_hi) = panel
                    .points
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
                let (v_lo, v_hi) = panel
                    .points
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
                let pad = ((v_hi - v_lo) * 0.12).max(v_hi.abs() * 1e-3).max(1e-9);
                let mut chart = ChartBuilder::on(area)
                    .caption(&panel.name, font(12.5))
                    .margin(8)
                    .x_label_area_size(30)
                    .y_label_area_size(64)
                    .build_cartesian_2d(k_lo - 0.5..k_hi + 0.5, v_lo - pad..v_hi + pad)
                    .map_err(e2s)?;
                let ks = (k_hi - k_lo) as usize + 1;
                chart
                    .configure_mesh()
                    .light_line_style(WHITE)
                    .bold_line_style(GRID)
                    .x_labels(ks.min(12))
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_label_formatter(&|v| short_number(*v))
                    .x_desc("k")
                    .label_style(font(10.5))
                    .draw()
                    .map_err(e2s)?;
                let k = self.recommended as f64;
                chart
                    .draw_series(LineSeries::new(
                        vec![(k, v_lo - pad), (k, v_hi + pad)],
                        PALETTE[1].stroke_width(2),
                    ))
                    .map_err(e2s)?;
                chart
                    .draw_series(LineSeries::new(
                        panel.points.clone(),
                        PALETTE[0].stroke_width(2),
                    ))
                    .map_err(e2s)?;
                chart
                    .draw_series(panel.points.iter().map(|&p| {
                        let picked = panel.pick == Some(p.0 as usize);
                        Circle::new(
                            p,
                            if picked { 6 } else { 3 },
                            if picked {
                                PALETTE[3].filled()
                            } else {
                                PALETTE[0].filled()
                            },
                        )
                    }))
                    .map_err(e2s)?;
            }
            let y = height as i32 - 14;
            root.draw(&Text::new(
                "orange line: recommended k; large dot: this criterion's own pick",
                (12, y),
                font(10.5).color(&MUTED),
            ))
            .map_err(e2s)?;
            Ok(())
        })
    }
}

/// An axis tick over a range `span` wide: whole numbers when the range is wide enough.
fn axis_number(v: f64, span: f64) -> String {
    if span.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A series' legend mark: a short line in its color.
fn swatch(color: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(width))
}

/// The series legend every chart uses: white box, light border, 11 px labels.
fn legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> std::result::Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(font(11.0))
        .draw()
        .map_err(e2s)
}

/// `12345.6` as `12.3k`, `0.4321` as `0.432`.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

// ---------------------------------------------------------------------------------------------
// Lorenz curve

/// The Lorenz curve of a value (revenue, LTV) over customers, with the Gini coefficient.
#[derive(Debug, Clone, PartialEq)]
pub struct LorenzChart {
    /// Title above the chart.
    pub title: String,
    /// `(share of customers, share of value)`, customers ascending by value, (0,0) to (1,1).
    pub points: Vec<(f64, f64)>,
    /// The Gini coefficient.
    pub gini: f64,
    /// The share of value held by the top 20% of customers.
    pub top_20_share: f64,
}

impl LorenzChart {
    /// The curve of a [`Concentration`] at up to 200 points.
    ///
    /// # Errors
    /// None in practice; the errors of [`Concentration::top_share`].
    pub fn new(concentration: &Concentration, title: &str) -> Result<LorenzChart> {
        Ok(LorenzChart {
            title: title.to_owned(),
            points: concentration.lorenz(200),
            gini: concentration.gini(),
            top_20_share: concentration.top_share(0.2)?,
        })
    }
}

impl Chart for LorenzChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        ensure_drawable(
            &self.title,
            self.points
                .iter()
                .flat_map(|p| [p.0, p.1])
                .chain([self.gini, self.top_20_share]),
        )?;
        ensure_shares(
            &self.title,
            self.points
                .iter()
                .flat_map(|p| [p.0, p.1])
                .chain([self.gini, self.top_20_share]),
        )?;
        render(&self.title, (WIDTH, 440), |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, title_style())
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(64)
                .build_cartesian_2d(0.0..1.0, 0.0..1.0)
                .map_err(e2s)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .x_desc("share of customers, smallest first")
                .y_desc("share of value")
                .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .label_style(font(11.0))
                .draw()
                .map_err(e2s)?;
            chart
                .draw_series(AreaSeries::new(
                    self.points.iter().copied(),
                    0.0,
                    PALETTE[0].mix(0.12),
                ))
                .map_err(e2s)?;
            chart
                .draw_series(LineSeries::new(
                    vec![(0.0, 0.0), (1.0, 1.0)],
                    MUTED.stroke_width(1),
                ))
                .map_err(e2s)?
                .label("perfect equality")
                .legend(swatch(MUTED, 1));
            chart
                .draw_series(LineSeries::new(
                    self.points.iter().copied(),
                    PALETTE[0].stroke_width(2),
                ))
                .map_err(e2s)?
                .label(format!(
                    "Lorenz curve: Gini {:.2}; top 20% of customers hold {:.0}%",
                    self.gini,
                    self.top_20_share * 100.0
                ))
                .legend(swatch(PALETTE[0], 3));
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Waterfall

/// One movement of a waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What moved (`"expansion"`).
    pub label: String,
    /// By how much (negative for churn and contraction).
    pub delta: f64,
}

/// A waterfall from a starting total through signed movements to the end total (the MRR
/// bridge).
#[derive(Debug, Clone, PartialEq)]
pub struct Waterfall {
    /// Title above the chart.
    pub title: String,
    /// Label of the first bar.
    pub start_label: String,
    /// The starting total.
    pub start: f64,
    /// The movements, in order.
    pub steps: Vec<Step>,
    /// Label of the last bar; its value is `start` plus every delta.
    pub end_label: String,
    /// How values are written.
    pub format: ValueFormat,
}

impl Waterfall {
    /// The MRR bridge over consecutive months of [`crate::economics::MrrMovements`]: MRR at
    /// the start of the first month, new, expansion, reactivation, contraction and churn
    /// summed over the months, MRR at the end of the last.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without months.
    pub fn mrr_bridge(
        months: &[MonthMovements],
        currency: &'static str,
        title: &str,
    ) -> Result<Waterfall> {
        let (Some(first), Some(last)) = (months.first(), months.last()) else {
            return Err(Error::EmptyInput {
                what: "MRR movements",
                item: "month",
            });
        };
        let sum = |f: fn(&MonthMovements) -> f64| -> f64 { months.iter().map(f).sum() };
        Ok(Waterfall {
            title: title.to_owned(),
            start_label: format!("start {}", month_label(first.month)),
            start: first.start_mrr,
            steps: vec![
                Step {
                    label: "new".into(),
                    delta: sum(|m| m.new),
                },
                Step {
                    label: "expansion".into(),
                    delta: sum(|m| m.expansion),
                },
                Step {
                    label: "reactivation".into(),
                    delta: sum(|m| m.reactivation),
                },
                Step {
                    label: "contraction".into(),
                    delta: -sum(|m| m.contraction.abs()),
                },
                Step {
                    label: "churn".into(),
                    delta: -sum(|m| m.churn.abs()),
                },
            ],
            end_label: format!("end {}", month_label(last.month)),
            format: ValueFormat::Money { currency },
        })
    }

    /// The end total: the start plus every movement.
    #[must_use]
    pub fn end(&self) -> f64 {
        self.start + self.steps.iter().map(|s| s.delta).sum::<f64>()
    }
}

/// `2025-01-01` as `2025-01`.
fn month_label(date: crate::Date) -> String {
    date.to_string().chars().take(7).collect()
}

impl Chart for Waterfall {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        ensure_drawable(
            &self.title,
            std::iter::once(self.start).chain(self.steps.iter().map(|s| s.delta)),
        )?;
        let n = self.steps.len() + 2;
        let mut bars = Vec::with_capacity(n);
        bars.push((self.start_label.clone(), 0.0, self.start, PALETTE[4]));
        let mut level = self.start;
        for s in &self.steps {
            let color = if s.delta >= 0.0 {
                PALETTE[2]
            } else {
                PALETTE[3]
            };
            bars.push((s.label.clone(), level, level + s.delta, color));
            level += s.delta;
        }
        bars.push((self.end_label.clone(), 0.0, level, PALETTE[0]));
        let hi = bars.iter().map(|b| b.1.max(b.2)).fold(0.0f64, f64::max) * 1.12;
        let lo = bars.iter().map(|b| b.1.min(b.2)).fold(0.0f64, f64::min);
        render(&self.title, (WIDTH, 420), |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, title_style())
                .margin(14)
                .x_label_area_size(36)
                .y_label_area_size(76)
                .build_cartesian_2d((0..n - 1).into_segmented(), lo..hi.max(1.0))
                .map_err(e2s)?;
            let labels: Vec<String> = bars.iter().map(|b| clip(&b.0, 16)).collect();
            let format = self.format;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .x_labels(n)
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .y_label_formatter(&|v| match format {
                    ValueFormat::Money { currency } => format!("{currency} {}", short_number(*v)),
                    _ => short_number(*v),
                })
                .label_style(font(11.0))
                .draw()
                .map_err(e2s)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    let mut r = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), b.1.min(b.2)),
                            (SegmentValue::Exact(i + 1), b.1.max(b.2)),
                        ],
                        b.3.filled(),
                    );
                    r.set_margin(0, 0, 10, 10);
                    r
                }))
                .map_err(e2s)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    let value = if i == 0 || i == n - 1 { b.2 } else { b.2 - b.1 };
                    let text = if i == 0 || i == n - 1 || value < 0.0 {
                        format.format(value)
                    } else {
                        format!("+{}", format.format(value))
                    };
                    Text::new(
                        text,
                        (SegmentValue::CenterOf(i), b.1.max(b.2)),
                        font(11.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )
                }))
                .map_err(e2s)?;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Bars with intervals

/// One bar with an optional interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalBar {
    /// The segment.
    pub label: String,
    /// The estimate.
    pub value: f64,
    /// Lower end of the interval.
    pub lower: Option<f64>,
    /// Upper end of the interval.
    pub upper: Option<f64>,
}

/// Horizontal bars per segment with confidence intervals (KPIs per segment), long segment
/// names on the left, and an optional reference line (the whole base, a target).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalBars {
    /// Title above the chart.
    pub title: String,
    /// What the bars measure.
    pub x_label: String,
    /// How values are written.
    pub format: ValueFormat,
    /// The bars, top to bottom.
    pub bars: Vec<IntervalBar>,
    /// A vertical reference line and its name.
    pub reference: Option<(String, f64)>,
}

impl IntervalBars {
    /// Bars of one proportion KPI per segment with its Wilson interval (`kpi` picks it, e.g.
    /// `|k| k.logo_churn`); segments without it are left out.
    #[must_use]
    pub fn proportions(
        kpis: &[SegmentKpis],
        kpi: impl Fn(&SegmentKpis) -> Option<Proportion>,
        title: &str,
        x_label: &str,
    ) -> IntervalBars {
        IntervalBars {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            format: ValueFormat::Percent { decimals: 1 },
            bars: kpis
                .iter()
                .filter_map(|k| {
                    kpi(k).map(|p| IntervalBar {
                        label: k.segment.clone(),
                        value: p.estimate,
                        lower: Some(p.lower),
                        upper: Some(p.upper),
                    })
                })
                .collect(),
            reference: None,
        }
    }

    /// Bars of one value KPI per segment without an interval (`|k| k.ltv`).
    #[must_use]
    pub fn values(
        kpis: &[SegmentKpis],
        kpi: impl Fn(&SegmentKpis) -> Option<f64>,
        format: ValueFormat,
        title: &str,
        x_label: &str,
    ) -> IntervalBars {
        IntervalBars {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            format,
            bars: kpis
                .iter()
                .filter_map(|k| {
                    kpi(k).filter(|v| v.is_finite()).map(|v| IntervalBar {
                        label: k.segment.clone(),
                        value: v,
                        lower: None,
                        upper: None,
                    })
                })
                .collect(),
            reference: None,
        }
    }
}

impl Chart for IntervalBars {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        ensure_drawable(
            &self.title,
            self.bars
                .iter()
                .flat_map(|b| [Some(b.value), b.lower, b.upper])
                .flatten()
                .chain(self.reference.iter().map(|r| r.1)),
        )?;
        let n = self.bars.len();
        ensure_rows(&self.title, "bars", n)?;
        if n == 0 {
            return Err(render_error(&self.title, "nothing to draw: no bars"));
        }
        let hi = self
            .bars
            .iter()
            .flat_map(|b| [Some(b.value), b.upper])
            .flatten()
            .chain(self.reference.iter().map(|r| r.1))
            .fold(0.0f64, f64::max);
        let lo = self
            .bars
            .iter()
            .flat_map(|b| [Some(b.value), b.lower])
            .flatten()
            .fold(0.0f64, f64::min);
        let span = (hi - lo).max(f64::MIN_POSITIVE);
        let hi = hi + span * 0.18;
        let name_chars = self
            .bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(0);
        let y_area = (text_width(name_chars.min(40), 11.0) + 16).max(60) as u32;
        let height = 110 + 34 * n as u32;
        render(&self.title, (WIDTH, height), |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, title_style())
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(y_area)
                .build_cartesian_2d(lo..hi, (0..n - 1).into_segmented())
                .map_err(e2s)?;
            let labels: Vec<String> = self.bars.iter().map(|b| clip(&b.label, 40)).collect();
            let format = self.format;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .y_labels(n)
                .y_label_formatter(&|v| match v {
                    // Bars run top to bottom: segment 0 is drawn in the top row.
                    SegmentValue::CenterOf(i) => labels
                        .get(n.saturating_sub(1 + *i))
                        .cloned()
                        .unwrap_or_default(),
                    _ => String::new(),
                })
                .x_label_formatter(&|v| match format {
                    ValueFormat::Percent { .. } => format!("{:.1}%", v * 100.0),
                    ValueFormat::Money { currency } => format!("{currency} {}", short_number(*v)),
                    ValueFormat::Number { .. } => short_number(*v),
                })
                .x_desc(self.x_label.clone())
                .label_style(font(11.0))
                .draw()
                .map_err(e2s)?;
            let row = |i: usize| n - 1 - i;
            chart
                .draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                    let mut r = Rectangle::new(
                        [
                            (0.0f64.min(b.value), SegmentValue::Exact(row(i))),
                            (0.0f64.max(b.value), SegmentValue::Exact(row(i) + 1)),
                        ],
                        PALETTE[0].mix(0.75).filled(),
                    );
                    r.set_margin(7, 7, 0, 0);
                    r
                }))
                .map_err(e2s)?;
            chart
                .draw_series(self.bars.iter().enumerate().filter_map(|(i, b)| {
                    Some(ErrorBar::new_horizontal(
                        SegmentValue::CenterOf(row(i)),
                        b.lower?,
                        b.value,
                        b.upper?,
                        BLACK.stroke_width(1),
                        8,
                    ))
                }))
                .map_err(e2s)?;
            chart
                .draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                    let at = b.upper.unwrap_or(b.value).max(b.value).max(0.0);
                    let text = match (b.lower, b.upper) {
                        (Some(l), Some(u)) => format!(
                            "{} [{}, {}]",
                            format.format(b.value),
                            format.format(l),
                            format.format(u)
                        ),
                        _ => format.format(b.value),
                    };
                    Text::new(
                        text,
                        (at + span * 0.02, SegmentValue::CenterOf(row(i))),
                        font(10.5).pos(Pos::new(HPos::Left, VPos::Center)),
                    )
                }))
                .map_err(e2s)?;
            if let Some((name, value)) = &self.reference {
                chart
                    .draw_series(LineSeries::new(
                        vec![
                            (*value, SegmentValue::Exact(0)),
                            (*value, SegmentValue::Exact(n)),
                        ],
                        PALETTE[1].stroke_width(2),
                    ))
                    .map_err(e2s)?
                    .label(format!("{name}: {}", format.format(*value)))
                    .legend(swatch(PALETTE[1], 2));
                legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Distributions by group

/// One group of a [`Histogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramGroup {
    /// The group (an outcome: `"churned"`, `"retained"`).
    pub name: String,
    /// Values per bin.
    pub counts: Vec<u64>,
}

impl HistogramGroup {
    /// Members in the group.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }
}

/// The distribution of a score per group over shared bins, each group drawn as shares of its
/// own members so groups of different sizes compare (health score by outcome).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Title above the chart.
    pub title: String,
    /// What is binned.
    pub x_label: String,
    /// Bin edges, `bins + 1` of them, increasing; the last bin includes its upper edge.
    pub edges: Vec<f64>,
    /// The groups.
    pub groups: Vec<HistogramGroup>,
}

impl Histogram {
    /// Empty groups over `bins` equal bins of `[lo, hi]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no bins, more than 1,000, or `lo >= hi` (or not finite).
    pub fn new(title: &str, x_label: &str, lo: f64, hi: f64, bins: usize) -> Result<Histogram> {
        if bins == 0 || bins > 1_000 || !(lo < hi && (hi - lo).is_finite()) {
            return Err(Error::InvalidParameter {
                name: "bins",
                reason: format!(
                    "{bins} bins over [{lo}, {hi}]: need 1 to 1,000 bins over a finite range with lo < hi"
                ),
            });
        }
        Ok(Histogram {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            edges: (0..=bins)
                .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
                .collect(),
            groups: Vec::new(),
        })
    }

    /// Adds a group binned from its values: bins are closed on the left, the last one on both
    /// sides; values outside the range go to the end bins.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the group and the position of a value that is not finite;
    /// [`Error::Render`] when the edges (public, so they may have been edited) are fewer than
    /// two or not strictly increasing.
    pub fn group(mut self, name: &str, values: impl IntoIterator<Item = f64>) -> Result<Self> {
        let bins = self.bins()?;
        let mut counts = vec![0u64; bins];
        for (i, v) in values.into_iter().enumerate() {
            crate::error::ensure_finite(v, || format!("value {i} of group {name:?}"), "value")?;
            // The first edge above v closes its bin.
            let above = self.edges.partition_point(|e| *e <= v);
            counts[above.saturating_sub(1).min(bins - 1)] += 1;
        }
        self.groups.push(HistogramGroup {
            name: name.to_owned(),
            counts,
        });
        Ok(self)
    }
}

impl Histogram {
    /// The number of bins, once the edges are checked.
    fn bins(&self) -> Result<usize> {
        if self.edges.len() < 2
            || self
                .edges
                .windows(2)
                .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
        {
            return Err(render_error(
                &self.title,
                "bin edges must be at least two and strictly increasing",
            ));
        }
        Ok(self.edges.len() - 1)
    }
}

impl Chart for Histogram {
    fn title(&self) -> &str {
        &self.title
    }

    fn to_svg(&self) -> Result<String> {
        ensure_drawable(&self.title, self.edges.iter().copied())?;
        let bins = self.bins()?;
        if let Some(g) = self.groups.iter().find(|g| g.counts.len() != bins) {
            return Err(render_error(
                &self.title,
                format!(
                    "group {:?} has {} counts for {bins} bins: one count per bin",
                    g.name,
                    g.counts.len()
                ),
            ));
        }
        if self.groups.iter().all(|g| g.total() == 0) {
            return Err(render_error(
                &self.title,
                "nothing to draw: every group is empty",
            ));
        }
        let (lo, hi) = (self.edges[0], self.edges[self.edges.len() - 1]);
        let shares: Vec<Vec<f64>> = self
            .groups
            .iter()
            .map(|g| {
                let t = g.total().max(1) as f64;
                g.counts.iter().map(|&c| c as f64 / t).collect()
            })
            .collect();
        let top = shares.iter().flatten().fold(0.0f64, |a, &b| a.max(b)) * 1.15;
        render(&self.title, (WIDTH, 400), |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, title_style())
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(lo..hi, 0.0..top.max(0.01))
                .map_err(e2s)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .x_desc(self.x_label.clone())
                .x_label_formatter(&|v| axis_number(*v, hi - lo))
                .y_desc("share of the group")
                .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .label_style(font(11.0))
                .draw()
                .map_err(e2s)?;
            for (gi, (group, share)) in self.groups.iter().zip(&shares).enumerate() {
                let color = PALETTE[gi % PALETTE.len()];
                let mut outline = Vec::with_capacity(share.len() * 2 + 2);
                outline.push((lo, 0.0));
                for (b, s) in share.iter().enumerate() {
                    outline.push((self.edges[b], *s));
                    outline.push((self.edges[b + 1], *s));
                }
                outline.push((hi, 0.0));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline.clone(),
                        color.mix(0.18),
                    )))
                    .map_err(e2s)?;
                chart
                    .draw_series(LineSeries::new(outline, color.stroke_width(2)))
                    .map_err(e2s)?
                    .label(format!(
                        "{} (n={})",
                        group.name,
                        group_thousands(group.total() as f64, 0)
                    ))
                    .legend(swatch(color, 3));
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
            Ok(())
        })
    }
}
