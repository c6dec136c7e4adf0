//! Named RFM segments: validated rule tables over score cells.

use crate::error::{Error, Result};
use crate::rfm::score::RfmScores;
use crate::segmentation::{SegmentDefinition, SegmentDescriptor, Segmentation};

/// The cells a rule covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Cells {
    /// Inclusive score ranges per dimension: `[low, high]` for R, F and M.
    Ranges {
        /// Recency score range.
        recency: (u8, u8),
        /// Frequency score range.
        frequency: (u8, u8),
        /// Monetary score range.
        monetary: (u8, u8),
    },
    /// An explicit list of (R, F, M) cells.
    List(Vec<[u8; 3]>),
}

impl Cells {
    fn contains(&self, [r, f, m]: [u8; 3]) -> bool {
        match self {
            Cells::Ranges {
                recency,
                frequency,
                monetary,
            } => {
                (recency.0..=recency.1).contains(&r)
                    && (frequency.0..=frequency.1).contains(&f)
                    && (monetary.0..=monetary.1).contains(&m)
            }
            Cells::List(list) => list.contains(&[r, f, m]),
        }
    }
}

/// A named segment defined by score cells.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmRule {
    name: String,
    cells: Cells,
}

impl RfmRule {
    /// A rule over inclusive score ranges.
    pub fn ranges(
        name: impl Into<String>,
        recency: (u8, u8),
        frequency: (u8, u8),
        monetary: (u8, u8),
    ) -> Self {
        RfmRule {
            name: name.into(),
            cells: Cells::Ranges {
                recency,
                frequency,
                monetary,
            },
        }
    }

    /// A rule over a list of cells written as "RFM" digit strings (`"534"`), as PyMC-Marketing
    /// writes them. Digits outside 1..=9 make the table fail validation.
    pub fn cells<'a>(name: impl Into<String>, cells: impl IntoIterator<Item = &'a str>) -> Self {
        let list = cells
            .into_iter()
            .map(|code| {
                let mut digits = code.bytes().map(|b| b.wrapping_sub(b'0'));
                [
                    digits.next().unwrap_or(0),
                    digits.next().unwrap_or(0),
                    digits.next().unwrap_or(0),
                ]
            })
            .collect();
        RfmRule {
            name: name.into(),
            cells: Cells::List(list),
        }
    }

    /// The rule's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule's cells.
    #[must_use]
    pub fn cells_covered(&self) -> &Cells {
        &self.cells
    }
}

/// Two rules that both claim cells; with first-match assignment the later one loses them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RuleOverlap {
    /// The earlier rule (it keeps the cells).
    pub first: usize,
    /// The later rule.
    pub second: usize,
    /// How many cells both claim.
    pub cells: usize,
}

/// What validation found in a rule table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TableReport {
    /// Pairs of rules claiming the same cells.
    pub overlaps: Vec<RuleOverlap>,
    /// Rules that can never match: every cell they claim is taken by an earlier rule.
    pub never_matching: Vec<usize>,
    /// Cells no rule claims; customers there fall to the "Other" segment.
    pub uncovered: Vec<[u8; 3]>,
}

/// An ordered, validated table of named RFM segments for a given grid of bins; first match
/// wins, cells no rule claims go to "Other".
///
/// Loading through `Deserialize` rebuilds the table from its rules and bins with [`RfmSegmentTable::new`] and refuses a document whose cell assignment or report differ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RfmSegmentTable {
    rules: Vec<RfmRule>,
    bins: [u8; 3],
    // The rule of each cell (None = Other), R-major.
    assignment: Vec<Option<usize>>,
    report: TableReport,
}

checked_serde!(RfmSegmentTable, RfmSegmentTable::check);

/// The name of the segment of cells no rule claims.
pub const OTHER: &str = "Other";

impl RfmSegmentTable {
    /// The invariants of a loaded table: it is what its rules and bins build.
    fn check(&self) -> Result<()> {
        let rebuilt = RfmSegmentTable::new(self.rules.clone(), self.bins)?;
        if rebuilt != *self {
            return Err(Error::InvalidParameter {
                name: "RFM segment table",
                reason: "the cell assignment or report does not follow from the rules and bins: \
                         rebuild the table with RfmSegmentTable::new"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// Validates `rules` on a grid of `bins` = (R, F, M) bins.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rules; [`Error::InvalidParameter`] for bins outside 2..=10,
    /// inverted ranges (`low > high`), or scores outside `1..=bins`; [`Error::DuplicateName`]
    /// for a repeated name or a rule called "Other".
    pub fn new(rules: Vec<RfmRule>, bins: [u8; 3]) -> Result<Self> {
        if rules.is_empty() {
            return Err(Error::EmptyInput {
                what: "RFM rule table",
                item: "rule",
            });
        }
        if let Some(b) = bins.iter().find(|b| !(2..=10).contains(*b)) {
            return Err(Error::InvalidParameter {
                name: "bins",
                reason: format!("a rule table grid has {b} bins in a dimension; use 2 to 10"),
            });
        }
        let mut names: Vec<&str> = vec![OTHER];
        for rule in &rules {
            if names.contains(&rule.name.as_str()) {
                return Err(Error::DuplicateName {
                    what: "RFM segment",
                    name: rule.name.clone(),
                });
            }
            names.push(&rule.name);
            check_rule(rule, bins)?;
        }
        let [br, bf, bm] = bins;
        let mut assignment =
            Vec::with_capacity(usize::from(br) * usize::from(bf) * usize::from(bm));
        let mut shared = vec![vec![0usize; rules.len()]; rules.len()];
        let mut wins = vec![0usize; rules.len()];
        let mut uncovered = Vec::new();
        for r in 1..=br {
            for f in 1..=bf {
                for m in 1..=bm {
                    let claimants: Vec<usize> = (0..rules.len())
                        .filter(|&i| rules[i].cells.contains([r, f, m]))
                        .collect();
                    for (a, &i) in claimants.iter().enumerate() {
                        for &j in &claimants[a + 1..] {
                            shared[i][j] += 1;
                        }
                    }
                    match claimants.first() {
                        Some(&first) => {
                            wins[first] += 1;
                            assignment.push(Some(first));
                        }
                        None => {
                            uncovered.push([r, f, m]);
                            assignment.push(None);
                        }
                    }
                }
            }
        }
        let mut overlaps = Vec::new();
        for (i, row) in shared.iter().enumerate() {
            for (j, &cells) in row.iter().enumerate() {
                if cells > 0 {
                    overlaps.push(RuleOverlap {
                        first: i,
                        second: j,
                        cells,
                    });
                }
            }
        }
        let never_matching = (0..rules.len()).filter(|&i| wins[i] == 0).collect();
        Ok(RfmSegmentTable {
            rules,
            bins,
            assignment,
            report: TableReport {
                overlaps,
                never_matching,
                uncovered,
            },
        })
    }

    /// The default table on a 5 x 5 x 5 grid, covering every cell with eleven segments:
    /// Champions, Loyal, Potential Loyalist, New, Promising, Need Attention, Can't Lose Them,
    /// At Risk, About To Sleep, Hibernating, Lost.
    ///
    /// ```text
    /// R\F   1            2     3           4 5
    /// 5     New          Potential Loyal.  Champions (M 4-5) / Loyal
    /// 4     Promising    Potential Loyal.  Champions (M 4-5) / Loyal
    /// 3     Need Attention (F 1-3)         Loyal
    /// 2     About To Sleep     At Risk     Can't Lose Them (M 4-5) / At Risk
    /// 1     Lost   Hibernating At Risk     Can't Lose Them (M 4-5) / At Risk
    /// ```
    #[must_use]
    pub fn default_table() -> Self {
        let rules = vec![
            RfmRule::ranges("Champions", (4, 5), (4, 5), (4, 5)),
            RfmRule::ranges("Loyal", (3, 5), (4, 5), (1, 5)),
            RfmRule::ranges("Potential Loyalist", (4, 5), (2, 3), (1, 5)),
            RfmRule::ranges("New", (5, 5), (1, 1), (1, 5)),
            RfmRule::ranges("Promising", (4, 4), (1, 1), (1, 5)),
            RfmRule::ranges("Need Attention", (3, 3), (1, 3), (1, 5)),
            RfmRule::ranges("Can't Lose Them", (1, 2), (4, 5), (4, 5)),
            RfmRule::ranges("At Risk", (1, 2), (3, 5), (1, 5)),
            RfmRule::ranges("About To Sleep", (2, 2), (1, 2), (1, 5)),
            RfmRule::ranges("Hibernating", (1, 1), (2, 2), (1, 5)),
            RfmRule::ranges("Lost", (1, 1), (1, 1), (1, 5)),
        ];
        Self::new(rules, [5, 5, 5]).unwrap_or_else(|_| unreachable!("the default table is valid"))
    }

    /// R `rfm`'s documented table (`rfm_segment` examples, 5 x 5 x 5), in its order, first
    /// match wins as in R. Validation reports its overlaps, shadowed rules and the cells that
    /// fall to "Others" in R (here "Other").
    #[must_use]
    pub fn r_rfm() -> Self {
        let names = [
            "Champions",
            "Potential Loyalist",
            "Loyal Customers",
            "Promising",
            "New Customers",
            "Can't Lose Them",
            "At Risk",
            "Need Attention",
            "About To Sleep",
            "Lost",
        ];
        let r = [
            (5, 5),
            (3, 5),
            (2, 4),
            (3, 4),
            (4, 5),
            (1, 2),
            (1, 2),
            (1, 3),
            (2, 3),
            (1, 1),
        ];
        let f = [
            (5, 5),
            (3, 5),
            (2, 4),
            (1, 3),
            (1, 3),
            (3, 4),
            (2, 5),
            (3, 5),
            (1, 3),
            (1, 5),
        ];
        let m = [
            (5, 5),
            (2, 5),
            (2, 4),
            (3, 5),
            (1, 5),
            (4, 5),
            (4, 5),
            (3, 5),
            (1, 4),
            (1, 5),
        ];
        let rules = (0..names.len())
            .map(|i| RfmRule::ranges(names[i], r[i], f[i], m[i]))
            .collect();
        Self::new(rules, [5, 5, 5]).unwrap_or_else(|_| unreachable!("R rfm's table is valid"))
    }

    /// PyMC-Marketing's default `rfm_segments` table (quartiles, 4 x 4 x 4), cells as "RFM"
    /// codes.
    #[must_use]
    pub fn pymc_marketing() -> Self {
        let rules = vec![
            RfmRule::cells(
                "Premium Customer",
                ["334", "443", "444", "344", "434", "433", "343", "333"],
            ),
            RfmRule::cells(
                "Repeat Customer",
                ["244", "234", "232", "332", "143", "233", "243"],
            ),
            RfmRule::cells(
                "Top Spender",
                [
                    "424", "414", "144", "314", "324", "124", "224", "423", "413", "133", "323",
                    "313", "134",
                ],
            ),
            RfmRule::cells(
                "At Risk Customer",
                [
                    "422", "223", "212", "122", "222", "132", "322", "312", "412", "123", "214",
                ],
            ),
            RfmRule::cells(
                "Inactive Customer",
                ["411", "111", "113", "114", "112", "211", "311"],
            ),
        ];
        Self::new(rules, [4, 4, 4])
            .unwrap_or_else(|_| unreachable!("PyMC-Marketing's table is valid"))
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[RfmRule] {
        &self.rules
    }

    /// The grid the table was validated on.
    #[must_use]
    pub fn grid(&self) -> [u8; 3] {
        self.bins
    }

    /// Overlaps, rules that never match, uncovered cells.
    #[must_use]
    pub fn report(&self) -> &TableReport {
        &self.report
    }

    /// The segment of a cell: `Some(rule)`, or `None` for "Other" (or a cell off the grid).
    #[must_use]
    pub fn segment_of(&self, [r, f, m]: [u8; 3]) -> Option<usize> {
        let [br, bf, bm] = self.bins;
        if r == 0 || f == 0 || m == 0 || r > br || f > bf || m > bm {
            return None;
        }
        let index = (usize::from(r - 1) * usize::from(bf) + usize::from(f - 1)) * usize::from(bm)
            + usize::from(m - 1);
        // `get` and the bound keep a hand-edited deserialized table from panicking.
        self.assignment
            .get(index)
            .copied()
            .flatten()
            .filter(|&rule| rule < self.rules.len())
    }

    /// Names every scored customer's segment, as a [`Segmentation`] of the scores' customer set
    /// (in its dense-id order; customers without a score are in no segment). Segments follow
    /// the rule order, then "Other" when some cell is uncovered; each descriptor lists the cells
    /// it was given.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the scores' bins differ from the table's grid.
    pub fn apply(&self, scores: &RfmScores) -> Result<Segmentation> {
        let grid = self.bins.map(usize::from);
        if scores.bins() != grid {
            return Err(Error::InvalidParameter {
                name: "RfmSegmentTable::apply",
                reason: format!(
                    "the scores have {:?} bins (R, F, M) but the table was built for {:?}: score with the table's bins",
                    scores.bins(),
                    grid
                ),
            });
        }
        let other = self.rules.len();
        // Positions are the table's key order; labels go to each position's dense id, and
        // customers without a score stay in no segment.
        let universe = scores.universe();
        let mut labels: Vec<Option<usize>> =
            crate::engine::try_filled(universe.len(), None, "the RFM segment labels")?;
        for i in 0..scores.len() {
            let segment = scores
                .cell(i)
                .and_then(|cell| self.segment_of(cell))
                .unwrap_or(other);
            if let Some(slot) = scores.customer(i).and_then(|id| labels.get_mut(id.index())) {
                *slot = Some(segment);
            }
        }
        let mut cells_of = vec![Vec::new(); self.rules.len() + 1];
        let [br, bf, bm] = self.bins;
        for r in 1..=br {
            for f in 1..=bf {
                for m in 1..=bm {
                    cells_of[self.segment_of([r, f, m]).unwrap_or(other)].push([r, f, m]);
                }
            }
        }
        let mut segments: Vec<SegmentDescriptor> = self
            .rules
            .iter()
            .zip(&cells_of)
            .map(|(rule, cells)| {
                SegmentDescriptor::new(
                    rule.name.clone(),
                    SegmentDefinition::RfmCells {
                        cells: cells.clone(),
                    },
                )
            })
            .collect();
        segments.push(SegmentDescriptor::new(
            OTHER,
            SegmentDefinition::RfmCells {
                cells: cells_of[other].clone(),
            },
        ));
        Segmentation::new(&universe, labels, segments)
    }
}

fn check_rule(rule: &RfmRule, bins: [u8; 3]) -> Result<()> {
    let bad = |reason: String| Error::InvalidParameter {
        name: "RFM rule",
        reason: format!("rule {:?}: {reason}", rule.name),
    };
    let dims = ["recency", "frequency", "monetary"];
    match &rule.cells {
        Cells::Ranges {
            recency,
            frequency,
            monetary,
        } => {
            for (d, (&&(low, high), &b)) in
                [recency, frequency, monetary].iter().zip(&bins).enumerate()
            {
                if low > high {
                    return Err(bad(format!("{} range {low}..={high} is inverted", dims[d])));
                }
                if low == 0 || high > b {
                    return Err(bad(format!(
                        "{} range {low}..={high} leaves the scores 1..={b}",
                        dims[d]
                    )));
                }
            }
        }
        Cells::List(list) => {
            if list.is_empty() {
                return Err(bad("lists no cell".to_owned()));
            }
            for cell in list {
                if cell.iter().zip(&bins).any(|(&s, &b)| s == 0 || s > b) {
                    return Err(bad(format!("cell {cell:?} is outside the grid {bins:?}")));
                }
            }
        }
    }
    Ok(())
}
