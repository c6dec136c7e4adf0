//! Reports: sections of text, key figures, tables and charts, written as one self-contained
//! HTML page or as Markdown for tickets and wikis.
//!
//! A [`Report`] is plain data. Every number that needs explaining points at a [`Definition`]
//! by its term: in HTML the definition is one hover away (a `title` on the header or figure)
//! and a footnote link away (the glossary at the end); in Markdown it is a footnote. Money is
//! written with its currency, tables keep long names readable (they wrap, the table scrolls
//! sideways on a narrow screen), and charts (SVG strings, for example from
//! [`crate::charts`]) are inlined in HTML so the page needs no network and no other file. In
//! Markdown a chart is an image link to the file name the caller writes it to
//! ([`Report::figures`]).
//!
//! ```
//! use saas_segmentation::report::{Block, Cell, Column, Definition, Report, Section, Table};
//!
//! let mut report = Report::new("Segments", "a synthetic base of 2,000 customers");
//! report.define(Definition::new("nrr", "NRR", "MRR at the end from customers paying at the start, over their MRR at the start."));
//! report.push(Section::new("kpis", "KPIs per segment").block(Block::Table(Table::new(
//!     vec![Column::text("segment"), Column::number("NRR").defined_by("nrr"), Column::number("MRR")],
//!     vec![vec![Cell::text("SMB & <startups>"), Cell::percent(0.97, 1), Cell::money(12_345.0, "USD")]],
//! ))));
//! let html = report.to_html()?;
//! assert!(html.contains("SMB &amp; &lt;startups&gt;") && html.contains("USD 12,345"));
//! assert!(html.contains("title=\"MRR at the end"));
//! let markdown = report.to_markdown(|figure| format!("{}.svg", figure.id))?;
//! assert!(markdown.contains("| SMB & \\<startups\\> | 97.0% | USD 12,345 |"));
//! assert!(markdown.contains("[^nrr]: **NRR**"));
//! # Ok::<(), saas_segmentation::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::{Error, Result};

/// A whole report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// The page title.
    pub title: String,
    /// A line under the title (what data, which date).
    pub subtitle: String,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// Definitions, by term.
    pub glossary: Vec<Definition>,
}

/// One section (one step of the analysis).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Anchor id, unique in the report (letters, digits, `-`, `_`).
    pub id: String,
    /// Heading.
    pub title: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

/// A piece of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// Headline numbers, each with an optional definition.
    Figures(Vec<KeyFigure>),
    /// A table.
    Table(Table),
    /// A chart.
    Figure(Figure),
}

/// One headline number.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigure {
    /// What it is.
    pub label: String,
    /// The value.
    pub value: Cell,
    /// The term of its definition in the glossary.
    pub term: Option<String>,
}

impl KeyFigure {
    /// A figure without a definition.
    #[must_use]
    pub fn new(label: &str, value: Cell) -> Self {
        KeyFigure {
            label: label.to_owned(),
            value,
            term: None,
        }
    }

    /// Points the figure at a definition.
    #[must_use]
    pub fn defined_by(mut self, term: &str) -> Self {
        self.term = Some(term.to_owned());
        self
    }
}

/// A table: columns and rows of cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// A caption above it, or empty.
    pub caption: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table without a caption.
    #[must_use]
    pub fn new(columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Self {
        Table {
            caption: String::new(),
            columns,
            rows,
        }
    }

    /// Sets the caption.
    #[must_use]
    pub fn caption(mut self, caption: &str) -> Self {
        self.caption = caption.to_owned();
        self
    }
}

/// A table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header.
    pub name: String,
    /// Right-aligned (numbers) or left-aligned (text).
    pub numeric: bool,
    /// The term of its definition in the glossary.
    pub term: Option<String>,
}

impl Column {
    /// A left-aligned text column.
    #[must_use]
    pub fn text(name: &str) -> Self {
        Column {
            name: name.to_owned(),
            numeric: false,
            term: None,
        }
    }

    /// A right-aligned number column.
    #[must_use]
    pub fn number(name: &str) -> Self {
        Column {
            name: name.to_owned(),
            numeric: true,
            term: None,
        }
    }

    /// Points the column at a definition.
    #[must_use]
    pub fn defined_by(mut self, term: &str) -> Self {
        self.term = Some(term.to_owned());
        self
    }
}

/// A value in a table or a key figure, written by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text as is.
    Text(String),
    /// A number with decimals and thousands separators.
    Number {
        /// The value.
        value: f64,
        /// Decimals after the point.
        decimals: usize,
    },
    /// A share written as a percentage.
    Percent {
        /// The share (0.25 is 25%).
        value: f64,
        /// Decimals after the point.
        decimals: usize,
    },
    /// Money with its currency, no decimals.
    Money {
        /// The amount.
        value: f64,
        /// ISO code or symbol (`"USD"`, `"€"`).
        currency: String,
    },
    /// No value (written as a dash).
    Empty,
}

impl Cell {
    /// A text cell.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Cell::Text(text.into())
    }

    /// A number cell; `None` when `value` is not finite.
    #[must_use]
    pub fn number(value: f64, decimals: usize) -> Self {
        if value.is_finite() {
            Cell::Number { value, decimals }
        } else {
            Cell::Empty
        }
    }

    /// A percentage cell (0.25 is 25%); empty when not finite.
    #[must_use]
    pub fn percent(value: f64, decimals: usize) -> Self {
        if value.is_finite() {
            Cell::Percent { value, decimals }
        } else {
            Cell::Empty
        }
    }

    /// A money cell; empty when not finite.
    #[must_use]
    pub fn money(value: f64, currency: &str) -> Self {
        if value.is_finite() {
            Cell::Money {
                value,
                currency: currency.to_owned(),
            }
        } else {
            Cell::Empty
        }
    }

    /// A cell from an optional value: `f` when present, empty otherwise.
    #[must_use]
    pub fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Cell) -> Self {
        value.map_or(Cell::Empty, f)
    }

    /// The cell as text.
    #[must_use]
    pub fn render(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number { value, decimals } => group(*value, *decimals),
            Cell::Percent { value, decimals } => format!("{:.*}%", decimals, value * 100.0),
            Cell::Money { value, currency } => {
                let sign = if *value < 0.0 && value.abs() >= 0.5 {
                    "-"
                } else {
                    ""
                };
                let sep = if currency.chars().all(|c| c.is_ascii_alphabetic()) {
                    " "
                } else {
                    ""
                };
                format!("{sign}{currency}{sep}{}", group(value.abs(), 0))
            }
            Cell::Empty => "–".to_owned(),
        }
    }
}

/// `1234567.891` with 2 decimals as `1,234,567.89`.
fn group(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A chart in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Unique id (also the file name stem in Markdown).
    pub id: String,
    /// Title.
    pub title: String,
    /// The chart as an SVG document.
    pub svg: String,
    /// What to read in it, under the chart.
    pub caption: String,
}

/// A definition, referenced by its term.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The key columns and figures refer to (`"nrr"`): letters, digits, `-`, `_`.
    pub term: String,
    /// The name as shown (`"NRR"`).
    pub name: String,
    /// What it means and how it is computed.
    pub text: String,
}

impl Definition {
    /// A definition.
    #[must_use]
    pub fn new(term: &str, name: &str, text: &str) -> Self {
        Definition {
            term: term.to_owned(),
            name: name.to_owned(),
            text: text.to_owned(),
        }
    }
}

impl Section {
    /// An empty section.
    #[must_use]
    pub fn new(id: &str, title: &str) -> Self {
        Section {
            id: id.to_owned(),
            title: title.to_owned(),
            blocks: Vec::new(),
        }
    }

    /// Adds a block.
    #[must_use]
    pub fn block(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }

    /// Adds a block in place.
    pub fn add(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// Adds a paragraph in place.
    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.add(Block::Text(text.into()))
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A figure's SVG is inlined as is, so it must be one SVG document without script: from
/// [`crate::charts`] or another plotting library, not text from users.
fn check_svg(figure: &Figure) -> Result<()> {
    let svg = figure.svg.trim();
    let body = svg.find("<svg").map_or("", |i| &svg[i..]);
    let lower = body.to_ascii_lowercase();
    let reason = if body.is_empty() || !body.ends_with("</svg>") {
        Some("is not one SVG document (<svg ...>...</svg>)")
    } else if lower.contains("<script")
        || lower.contains("javascript:")
        || lower.contains("<foreignobject")
        || lower.contains("</svg><")
        || has_event_handler(&lower)
    {
        Some("holds script, foreign content or a second document")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidParameter {
            name: "figure",
            reason: format!(
                "the SVG of figure {:?} {reason}: pass a chart's `to_svg()` output",
                figure.id
            ),
        }),
        None => Ok(()),
    }
}

/// Whether a tag carries an `on...=` attribute (`onload`, `onclick`, ...).
fn has_event_handler(svg: &str) -> bool {
    svg.split('<').any(|tag| {
        let tag = tag.split('>').next().unwrap_or("");
        tag.split(|c: char| c.is_whitespace() || c == '/')
            .skip(1)
            .any(|attr| {
                attr.strip_prefix("on").is_some_and(|rest| {
                    let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
                    !name.is_empty() && rest[name.len()..].trim_start().starts_with('=')
                })
            })
    })
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink:#1d2433; --muted:#5b6475; --line:#e3e6ec; --accent:#0072b2; --bg:#f7f8fa; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:24px 32px 12px; }
header h1 { margin:0 0 4px; font-size:26px; }
header p { margin:0 0 12px; color:var(--muted); }
nav ol { margin:0; padding:0; list-style:none; display:flex; flex-wrap:wrap; gap:6px 16px; font-size:13px; }
nav a { color:var(--accent); text-decoration:none; }
main { max-width: 1000px; margin: 0 auto; padding: 8px 24px 48px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:8px 24px 20px; margin:20px 0; }
h2 { font-size:20px; margin:16px 0 8px; }
p, li { max-width: 78ch; }
.figures { display:grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap:10px; margin:12px 0; }
.figure { border:1px solid var(--line); border-radius:6px; padding:8px 12px; }
.figure .value { font-size:20px; font-weight:600; font-variant-numeric: tabular-nums; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.figure .label { font-size:12.5px; color:var(--muted); }
.table-wrap { overflow-x:auto; margin:10px 0 16px; }
table { border-collapse:collapse; font-size:13.5px; min-width: 50%; }
caption { text-align:left; font-weight:600; padding:4px 0 6px; }
th, td { border-bottom:1px solid var(--line); padding:5px 10px; vertical-align:top; }
th { background:#f1f3f6; text-align:left; font-weight:600; vertical-align:bottom; }
td { overflow-wrap:break-word; max-width: 60ch; }
td:first-child { min-width: 18ch; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
td.num { white-space:nowrap; }
tbody tr:nth-child(even) { background:#fafbfc; }
abbr[title] { text-decoration: underline dotted; cursor: help; }
sup a { text-decoration:none; color:var(--accent); font-size:11px; }
figure { margin:14px 0 22px; }
figure svg { max-width:100%; height:auto; display:block; border:1px solid var(--line); border-radius:6px; }
figcaption { color:var(--muted); font-size:13px; margin-top:6px; max-width: 90ch; }
dl.glossary dt { font-weight:600; margin-top:10px; }
dl.glossary dd { margin:2px 0 0 0; color:#333; max-width: 90ch; }
"#;

impl Report {
    /// An empty report.
    #[must_use]
    pub fn new(title: &str, subtitle: &str) -> Self {
        Report {
            title: title.to_owned(),
            subtitle: subtitle.to_owned(),
            sections: Vec::new(),
            glossary: Vec::new(),
        }
    }

    /// Adds a section.
    pub fn push(&mut self, section: Section) -> &mut Self {
        self.sections.push(section);
        self
    }

    /// Adds (or replaces) a definition.
    pub fn define(&mut self, definition: Definition) -> &mut Self {
        if let Some(d) = self.glossary.iter_mut().find(|d| d.term == definition.term) {
            *d = definition;
        } else {
            self.glossary.push(definition);
        }
        self
    }

    /// Every chart, in order, for the caller to write next to a Markdown file.
    #[must_use]
    pub fn figures(&self) -> Vec<&Figure> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Figure(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    /// Checks ids, terms and table shapes.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a section, figure or term id that is empty or has
    /// characters other than letters, digits, `-` and `_`; [`Error::DuplicateName`] for two
    /// sections, figures or definitions with one id; [`Error::LengthMismatch`] for a table
    /// row without one cell per column; [`Error::InvalidParameter`] naming a term that a
    /// column or figure refers to but the glossary lacks.
    pub fn validate(&self) -> Result<()> {
        let mut ids = BTreeMap::new();
        let mut check_id = |what: &'static str, id: &str| -> Result<()> {
            if !valid_id(id) {
                return Err(Error::InvalidParameter {
                    name: "id",
                    reason: format!(
                        "{what} id {id:?} must be non-empty letters, digits, '-' or '_'"
                    ),
                });
            }
            if ids.insert(id.to_owned(), what).is_some() {
                return Err(Error::DuplicateName {
                    what,
                    name: id.to_owned(),
                });
            }
            Ok(())
        };
        for s in &self.sections {
            check_id("section", &s.id)?;
            for b in &s.blocks {
                if let Block::Figure(f) = b {
                    check_id("figure", &f.id)?;
                    check_svg(f)?;
                }
            }
        }
        let mut terms = BTreeMap::new();
        for d in &self.glossary {
            if !valid_id(&d.term) {
                return Err(Error::InvalidParameter {
                    name: "term",
                    reason: format!(
                        "term {:?} must be non-empty letters, digits, '-' or '_'",
                        d.term
                    ),
                });
            }
            if terms.insert(d.term.as_str(), ()).is_some() {
                return Err(Error::DuplicateName {
                    what: "definition",
                    name: d.term.clone(),
                });
            }
        }
        let defined = |term: &Option<String>, place: &str| -> Result<()> {
            match term {
                Some(t) if !terms.contains_key(t.as_str()) => Err(Error::InvalidParameter {
                    name: "term",
                    reason: format!(
                        "{place} refers to the term {t:?}, which has no definition: add it with `Report::define`"
                    ),
                }),
                _ => Ok(()),
            }
        };
        for s in &self.sections {
            for b in &s.blocks {
                match b {
                    Block::Table(t) => {
                        for c in &t.columns {
                            defined(
                                &c.term,
                                &format!("column {:?} of section {:?}", c.name, s.id),
                            )?;
                        }
                        for row in &t.rows {
                            if row.len() != t.columns.len() {
                                return Err(Error::LengthMismatch {
                                    what: "a table row",
                                    expected: t.columns.len(),
                                    found: row.len(),
                                });
                            }
                        }
                    }
                    Block::Figures(figures) => {
                        for f in figures {
                            defined(
                                &f.term,
                                &format!("figure {:?} of section {:?}", f.label, s.id),
                            )?;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Footnote numbers of the defined terms, in glossary order.
    fn footnotes(&self) -> BTreeMap<&str, (usize, &Definition)> {
        self.glossary
            .iter()
            .enumerate()
            .map(|(i, d)| (d.term.as_str(), (i + 1, d)))
            .collect()
    }

    /// The report as one self-contained HTML page: styles inline, charts inline as SVG, no
    /// script and no network; a table of contents, and a glossary at the end that every
    /// defined header and figure links to (and shows on hover).
    ///
    /// # Errors
    /// As [`Report::validate`].
    pub fn to_html(&self) -> Result<String> {
        self.validate()?;
        let notes = self.footnotes();
        let term = |label: &str, t: &Option<String>| -> String {
            match t.as_ref().and_then(|t| notes.get(t.as_str())) {
                Some((n, d)) => format!(
                    "<abbr title=\"{}\">{}</abbr><sup><a href=\"#def-{}\">{n}</a></sup>",
                    escape_html(&d.text),
                    escape_html(label),
                    d.term
                ),
                None => escape_html(label),
            }
        };
        let mut out = String::with_capacity(
            64 * 1024 + self.figures().iter().map(|f| f.svg.len()).sum::<usize>(),
        );
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n<p>{}</p>\n<nav><ol>",
            escape_html(&self.title),
            escape_html(&self.title),
            escape_html(&self.subtitle)
        );
        for s in &self.sections {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}</a></li>",
                s.id,
                escape_html(&s.title)
            );
        }
        if !self.glossary.is_empty() {
            out.push_str("<li><a href=\"#glossary\">Definitions</a></li>");
        }
        out.push_str("</ol></nav>\n</header>\n<main>\n");
        for s in &self.sections {
            let _ = writeln!(
                out,
                "<section id=\"{}\">\n<h2>{}</h2>",
                s.id,
                escape_html(&s.title)
            );
            for b in &s.blocks {
                match b {
                    Block::Text(t) => {
                        let _ = writeln!(out, "<p>{}</p>", escape_html(t));
                    }
                    Block::Bullets(items) => {
                        out.push_str("<ul>");
                        for i in items {
                            let _ = write!(out, "<li>{}</li>", escape_html(i));
                        }
                        out.push_str("</ul>\n");
                    }
                    Block::Figures(figures) => {
                        out.push_str("<div class=\"figures\">");
                        for f in figures {
                            let _ = write!(
                                out,
                                "<div class=\"figure\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
                                escape_html(&f.value.render()),
                                term(&f.label, &f.term)
                            );
                        }
                        out.push_str("</div>\n");
                    }
                    Block::Table(t) => {
                        out.push_str("<div class=\"table-wrap\"><table>");
                        if !t.caption.is_empty() {
                            let _ = write!(out, "<caption>{}</caption>", escape_html(&t.caption));
                        }
                        out.push_str("<thead><tr>");
                        for c in &t.columns {
                            let _ = write!(
                                out,
                                "<th{}>{}</th>",
                                if c.numeric { " class=\"num\"" } else { "" },
                                term(&c.name, &c.term)
                            );
                        }
                        out.push_str("</tr></thead><tbody>");
                        for row in &t.rows {
                            out.push_str("<tr>");
                            for (c, cell) in t.columns.iter().zip(row) {
                                let _ = write!(
                                    out,
                                    "<td{}>{}</td>",
                                    if c.numeric { " class=\"num\"" } else { "" },
                                    escape_html(&cell.render())
                                );
                            }
                            out.push_str("</tr>");
                        }
                        out.push_str("</tbody></table></div>\n");
                    }
                    Block::Figure(f) => {
                        let svg = f.svg.find("<svg").map_or(f.svg.as_str(), |i| &f.svg[i..]);
                        let _ = writeln!(
                            out,
                            "<figure id=\"{}\" aria-label=\"{}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
                            f.id,
                            escape_html(&f.title),
                            escape_html(&f.caption)
                        );
                    }
                }
            }
            out.push_str("</section>\n");
        }
        if !self.glossary.is_empty() {
            out.push_str(
                "<section id=\"glossary\">\n<h2>Definitions</h2>\n<dl class=\"glossary\">",
            );
            for (i, d) in self.glossary.iter().enumerate() {
                let _ = write!(
                    out,
                    "<dt id=\"def-{}\">{}. {}</dt><dd>{}</dd>",
                    d.term,
                    i + 1,
                    escape_html(&d.name),
                    escape_html(&d.text)
                );
            }
            out.push_str("</dl>\n</section>\n");
        }
        let _ = write!(
            out,
            "</main>\n<footer style=\"text-align:center;color:#5b6475;font-size:12px;padding:0 0 24px\">\
             Written by saas-segmentation {}</footer>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        );
        Ok(out)
    }

    /// The report as GitHub-flavoured Markdown: pipe tables, definitions as footnotes, each
    /// chart as an image link to `chart_path(figure)` (write [`Report::figures`] there).
    ///
    /// # Errors
    /// As [`Report::validate`].
    pub fn to_markdown(&self, chart_path: impl Fn(&Figure) -> String) -> Result<String> {
        self.validate()?;
        let notes = self.footnotes();
        let term = |label: &str, t: &Option<String>| -> String {
            match t.as_ref().and_then(|t| notes.get(t.as_str())) {
                Some((_, d)) => format!("{}[^{}]", escape_markdown(label), d.term),
                None => escape_markdown(label),
            }
        };
        let mut out = String::with_capacity(32 * 1024);
        let _ = writeln!(
            out,
            "# {}\n\n{}\n",
            escape_markdown(&self.title),
            escape_markdown(&self.subtitle)
        );
        for s in &self.sections {
            let _ = writeln!(out, "## {}\n", escape_markdown(&s.title));
            for b in &s.blocks {
                match b {
                    Block::Text(t) => {
                        let _ = writeln!(out, "{}\n", escape_markdown(t));
                    }
                    Block::Bullets(items) => {
                        for i in items {
                            let _ = writeln!(out, "- {}", escape_markdown(i));
                        }
                        out.push('\n');
                    }
                    Block::Figures(figures) => {
                        for f in figures {
                            let _ = writeln!(
                                out,
                                "- {}: **{}**",
                                term(&f.label, &f.term),
                                escape_markdown(&f.value.render())
                            );
                        }
                        out.push('\n');
                    }
                    Block::Table(t) => {
                        if !t.caption.is_empty() {
                            let _ = writeln!(out, "**{}**\n", escape_markdown(&t.caption));
                        }
                        out.push('|');
                        for c in &t.columns {
                            let _ = write!(out, " {} |", term(&c.name, &c.term));
                        }
                        out.push_str("\n|");
                        for c in &t.columns {
                            out.push_str(if c.numeric { "---:|" } else { "---|" });
                        }
                        out.push('\n');
                        for row in &t.rows {
                            out.push('|');
                            for cell in row {
                                let _ = write!(out, " {} |", escape_markdown(&cell.render()));
                            }
                            out.push('\n');
                        }
                        out.push('\n');
                    }
                    Block::Figure(f) => {
                        let _ = writeln!(
                            out,
                            "![{}]({})\n\n*{}*\n",
                            escape_markdown(&f.title),
                            chart_path(f),
                            escape_markdown(&f.caption)
                        );
                    }
                }
            }
        }
        for d in &self.glossary {
            let _ = writeln!(
                out,
                "[^{}]: **{}**: {}",
                d.term,
                escape_markdown(&d.name),
                escape_markdown(&d.text)
            );
        }
        Ok(out)
    }
}
