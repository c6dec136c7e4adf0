//! Reports: what HTML and Markdown readers get, and typed errors for reports that would break.

use saas_segmentation::report::{
    Block, Cell, Column, Definition, Figure, KeyFigure, Report, Section, Table,
};
use saas_segmentation::Error;

fn sample() -> Report {
    let mut report = Report::new("Q3 <segments> & plays", "seeded \"synthetic\" base");
    report.define(Definition::new(
        "nrr",
        "NRR",
        "End MRR of the customers paying at the start, over their start MRR.",
    ));
    report.define(Definition::new("arpa", "ARPA", "MRR per paying account."));
    let mut section = Section::new("kpis", "KPIs per segment");
    section.text("Two segments | one table.");
    section.add(Block::Figures(vec![
        KeyFigure::new("MRR", Cell::money(1_234_567.8, "USD")),
        KeyFigure::new("ARPA", Cell::money(-0.4, "€")).defined_by("arpa"),
    ]));
    section.add(Block::Table(
        Table::new(
            vec![
                Column::text("segment"),
                Column::number("NRR").defined_by("nrr"),
                Column::number("customers"),
            ],
            vec![
                vec![
                    Cell::text("mid-market | power users with a very long name that keeps going"),
                    Cell::percent(1.0345, 1),
                    Cell::number(12_345.0, 0),
                ],
                vec![
                    Cell::text("<script>alert(1)</script>"),
                    Cell::percent(f64::NAN, 1),
                    Cell::opt(None::<f64>, |v| Cell::number(v, 0)),
                ],
            ],
        )
        .caption("By segment"),
    ));
    section.add(Block::Figure(Figure {
        id: "chart-1".into(),
        title: "A chart".into(),
        svg: "<?xml version=\"1.0\"?>\n<svg viewBox=\"0 0 10 10\"><rect/></svg>".into(),
        caption: "Read it left to right.".into(),
    }));
    report.push(section);
    report.push(Section::new("empty", "Nothing here"));
    report
}

#[test]
fn html_is_one_escaped_self_contained_page() {
    let html = sample().to_html().unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Q3 &lt;segments&gt; &amp; plays</title>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"), "no script, escaped or ours");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
    // Money with its currency, thousands grouped; missing values as a dash.
    assert!(html.contains("USD 1,234,568") && html.contains("€0"));
    assert!(html.contains("103.5%") && html.contains("12,345") && html.contains("–"));
    // Definitions: a hover on the header and a footnote link to the glossary.
    assert!(html.contains(
        "<abbr title=\"End MRR of the customers paying at the start, over their start MRR.\">NRR</abbr><sup><a href=\"#def-nrr\">1</a></sup>"
    ));
    assert!(html.contains("<dt id=\"def-nrr\">1. NRR</dt>"));
    // The chart inline, without its XML prolog, with its caption; a contents entry per section.
    assert!(html.contains("<svg viewBox") && !html.contains("<?xml"));
    assert!(html.contains("<figcaption>Read it left to right.</figcaption>"));
    assert!(html.contains("<a href=\"#kpis\">KPIs per segment</a>"));
    assert!(html.contains("<section id=\"empty\">"));
}

#[test]
fn markdown_has_pipe_tables_footnotes_and_chart_links() {
    let report = sample();
    let md = report
        .to_markdown(|f| format!("charts/{}.svg", f.id))
        .unwrap();
    assert!(md.starts_with("# Q3 \\<segments\\> & plays"));
    assert!(md.contains("| segment | NRR[^nrr] | customers |\n|---|---:|---:|"));
    assert!(md.contains(
        "| mid-market \\| power users with a very long name that keeps going | 103.5% | 12,345 |"
    ));
    assert!(md.contains("Two segments \\| one table."));
    assert!(md.contains("![A chart](charts/chart-1.svg)"));
    assert!(md.contains("- ARPA[^arpa]: **€0**"));
    assert!(md.contains("[^nrr]: **NRR**: End MRR"));
    let figures = report.figures();
    assert_eq!(figures.len(), 1);
    assert_eq!(figures[0].id, "chart-1");
}

#[test]
fn broken_reports_are_typed_errors_naming_the_problem() {
    let mut undefined = sample();
    undefined.sections[0].blocks.push(Block::Table(Table::new(
        vec![Column::number("GRR").defined_by("grr")],
        vec![],
    )));
    let err = undefined.to_html().unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }));
    assert!(err.to_string().contains("\"grr\"") && err.to_string().contains("Report::define"));

    let mut ragged = sample();
    ragged.sections[0].blocks.push(Block::Table(Table::new(
        vec![Column::text("a"), Column::text("b")],
        vec![vec![Cell::text("only one")]],
    )));
    assert!(matches!(
        ragged.to_markdown(|_| String::new()),
        Err(Error::LengthMismatch {
            expected: 2,
            found: 1,
            ..
        })
    ));

    let mut twice = sample();
    twice.push(Section::new("kpis", "again"));
    assert!(matches!(twice.to_html(), Err(Error::DuplicateName { .. })));

    let mut bad_id = sample();
    bad_id.sections[1].id = "a b\"><script>".into();
    assert!(matches!(
        bad_id.to_html(),
        Err(Error::InvalidParameter { .. })
    ));

    // A figure's SVG is inlined, so only one script-free SVG document passes.
    for svg in [
        "<svg><script>alert(1)</script></svg>",
        "<svg><rect onload=\"alert(1)\"/></svg>",
        "<svg><a href=\"javascript:alert(1)\"/></svg>",
        "not an svg",
        "<svg></svg><img src=x>",
        "<svg><foreignObject><div/></foreignObject></svg>",
    ] {
        let mut bad_svg = sample();
        if let Block::Figure(f) = &mut bad_svg.sections[0].blocks[3] {
            f.svg = svg.into();
        }
        let err = bad_svg.to_html().unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { .. }) && err.to_string().contains("chart-1"),
            "{svg}: {err}"
        );
    }

    // Redefining a term replaces it rather than duplicating it.
    let mut redefined = sample();
    redefined.define(Definition::new("nrr", "NRR", "new text"));
    assert_eq!(redefined.glossary.len(), 2);
    assert!(redefined.to_html().unwrap().contains("new text"));
}

#[test]
fn cells_render_as_people_read_them() {
    assert_eq!(Cell::money(-1_234.6, "USD").render(), "-USD 1,235");
    assert_eq!(Cell::money(999.4, "$").render(), "$999");
    assert_eq!(Cell::number(-0.001, 2).render(), "0.00");
    assert_eq!(Cell::number(1e15, 0).render(), "1,000,000,000,000,000");
    assert_eq!(Cell::percent(0.25, 0).render(), "25%");
    assert_eq!(Cell::number(f64::INFINITY, 0), Cell::Empty);
    assert_eq!(Cell::money(f64::NAN, "USD").render(), "–");
}
