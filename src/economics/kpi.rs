//! KPIs per segment (conversion, win rate, CAC, LTV, NRR, GRR, churn, support load) and the
//! check of measured tier economics against the typed defaults.

use std::fmt::Debug;

use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::ids::CustomerLookup;
use crate::model::SizeTier;
use crate::records::{Lead, MrrRecord, Opportunity, OpportunityOutcome};
use crate::segmentation::Segmentation;
use crate::tiers::{TierEconomicsTable, ValueRange};
use crate::universe::PerCustomer;

use super::movements::{revenue_retention_by, WindowRetention};
use super::value::{ltv, wilson, Proportion};
use crate::mrr_series::MrrParams;

/// The inputs of a KPI table; each is optional, and a KPI whose input is missing is `None`.
#[derive(Debug, Clone, Copy)]
pub struct KpiInputs<'a, K> {
    leads: Option<&'a [Lead<K>]>,
    opportunities: Option<&'a [Opportunity<K>]>,
    mrr: Option<(&'a [MrrRecord<K>], MrrParams, Date, Date)>,
    spend: Option<&'a [f64]>,
    tickets: Option<&'a PerCustomer<u64>>,
    gross_margin: f64,
    alpha: f64,
}

impl<'a, K> Default for KpiInputs<'a, K> {
    fn default() -> Self {
        KpiInputs {
            leads: None,
            opportunities: None,
            mrr: None,
            spend: None,
            tickets: None,
            gross_margin: 1.0,
            alpha: 0.05,
        }
    }
}

impl<'a, K> KpiInputs<'a, K> {
    /// No inputs yet; gross margin 1, alpha 0.05.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Leads, keyed like the lookup (prospects must be in the lookup and the segmentation to
    /// count; the others are left out): conversion rate and new customers.
    #[must_use]
    pub fn leads(mut self, leads: &'a [Lead<K>]) -> Self {
        self.leads = Some(leads);
        self
    }

    /// Opportunities: win rate (won / closed) and median sales cycle of won deals.
    #[must_use]
    pub fn opportunities(mut self, opportunities: &'a [Opportunity<K>]) -> Self {
        self.opportunities = Some(opportunities);
        self
    }

    /// Monthly MRR and the window (start and end month) for NRR, GRR, logo churn, ARPA and LTV.
    #[must_use]
    pub fn mrr(
        mut self,
        records: &'a [MrrRecord<K>],
        params: MrrParams,
        start: Date,
        end: Date,
    ) -> Self {
        self.mrr = Some((records, params, start, end));
        self
    }

    /// Acquisition spend per segment (in segment order), for CAC.
    #[must_use]
    pub fn spend(mut self, spend: &'a [f64]) -> Self {
        self.spend = Some(spend);
        self
    }

    /// Support tickets per customer (a customer without a value counts 0), for support load.
    #[must_use]
    pub fn tickets(mut self, tickets: &'a PerCustomer<u64>) -> Self {
        self.tickets = Some(tickets);
        self
    }

    /// Gross margin for LTV, in (0, 1]. Default: 1.
    #[must_use]
    pub fn gross_margin(mut self, margin: f64) -> Self {
        self.gross_margin = margin;
        self
    }

    /// Alpha of the Wilson intervals. Default: 0.05.
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
}

/// The KPIs of one segment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentKpis {
    /// Segment name.
    pub segment: String,
    /// Customers in the segment.
    pub customers: u64,
    /// Leads converted / leads (Wilson interval).
    pub conversion: Option<Proportion>,
    /// Converted leads: the new customers CAC divides by.
    pub new_customers: Option<u64>,
    /// Opportunities won / closed (Wilson interval).
    pub win_rate: Option<Proportion>,
    /// Median days from opening to winning.
    pub sales_cycle_days: Option<f64>,
    /// Spend / new customers (`None` without spend or with no new customer).
    pub cac: Option<f64>,
    /// Revenue retention over the window.
    pub retention: Option<WindowRetention>,
    /// Customers paying at the window's start who stopped by its end (Wilson interval).
    pub logo_churn: Option<Proportion>,
    /// The window's logo churn as a monthly rate: `1 - (1 - churn)^(1 / months)`.
    pub monthly_churn: Option<f64>,
    /// MRR per paying customer at the window's start.
    pub arpa: Option<f64>,
    /// ARPA x margin / monthly churn (`None` when nobody churned).
    pub ltv: Option<f64>,
    /// LTV / CAC.
    pub ltv_to_cac: Option<f64>,
    /// Support tickets per customer.
    pub support_load: Option<f64>,
}

/// KPIs per segment of `segmentation`, a segmentation of `lookup`'s customers.
///
/// # Errors
/// [`Error::CustomerSetMismatch`] when the segmentation or the tickets are not over `lookup`'s
/// customers; [`Error::LengthMismatch`] when the spend is not one value per segment; [`Error::OutOfRange`] for a gross margin outside (0, 1] or a
/// negative spend or an opportunity closed before it opened; [`Error::UnknownCustomer`] naming
/// the first lead or opportunity of a customer `lookup` does not know (customers in no segment
/// are left out); the errors of [`super::revenue_retention`] for the MRR records.
///
/// ```
/// use saas_segmentation::economics::{segment_kpis, KpiInputs};
/// use saas_segmentation::model::AcquisitionChannel;
/// use saas_segmentation::records::Lead;
/// use saas_segmentation::{CustomerIndex, Date, Segmentation};
///
/// let day = Date::from_ymd(2024, 1, 1)?;
/// let index = CustomerIndex::from_keys(["a", "b", "c", "d"])?;
/// let segments = Segmentation::from_labels(&index, &[0, 0, 1, 1])?;
/// let lead = |k, converted: bool| Lead {
///     key: k, created: day, channel: AcquisitionChannel::Organic,
///     converted: converted.then_some(day),
/// };
/// let leads = [lead("a", true), lead("b", false), lead("c", true), lead("d", true)];
/// let kpis = segment_kpis(&index, &segments, &KpiInputs::new().leads(&leads).spend(&[900.0, 800.0]))?;
/// assert_eq!(kpis[0].conversion.map(|p| p.estimate), Some(0.5));
/// assert_eq!(kpis[1].cac, Some(400.0));
/// # Ok::<(), saas_segmentation::Error>(())
/// ```
pub fn segment_kpis<K: Debug>(
    lookup: &impl CustomerLookup<K>,
    segmentation: &Segmentation,
    inputs: &KpiInputs<'_, K>,
) -> Result<Vec<SegmentKpis>> {
    segmentation.ensure_same(lookup, "index of the KPI records")?;
    let k = segmentation.segment_count();
    if let Some(spend) = inputs.spend {
        if spend.len() != k {
            return Err(Error::LengthMismatch {
                what: "spend per segment",
                expected: k,
                found: spend.len(),
            });
        }
        for (s, &x) in spend.iter().enumerate() {
            if !(x.is_finite() && x >= 0.0) {
                return Err(Error::OutOfRange {
                    record: format!("spend of segment {s}"),
                    field: "spend".into(),
                    value: x,
                    expected: "a finite spend of 0 or more",
                });
            }
        }
    }
    if let Some(tickets) = inputs.tickets {
        segmentation.ensure_same(tickets, "tickets per customer")?;
    }
    if !(inputs.gross_margin > 0.0 && inputs.gross_margin <= 1.0) {
        return Err(Error::OutOfRange {
            record: "KPI inputs".into(),
            field: "gross_margin".into(),
            value: inputs.gross_margin,
            expected: "a share in (0, 1]",
        });
    }
    // A record of a customer the lookup does not know is an error, never silently dropped;
    // customers in no segment are left out of every segment's figures.
    let segment_of = |key: &K, record: &dyn Fn() -> String| -> Result<Option<usize>> {
        let id = lookup.lookup(key).ok_or_else(|| Error::UnknownCustomer {
            record: record(),
            customer: format!("{key:?}"),
        })?;
        Ok(segmentation.segment_of(id))
    };
    let sizes = segmentation.sizes();
    let mut out: Vec<SegmentKpis> = segmentation
        .segments()
        .iter()
        .zip(&sizes)
        .map(|(d, &size)| SegmentKpis {
            segment: d.name().to_owned(),
            customers: size as u64,
            conversion: None,
            new_customers: None,
            win_rate: None,
            sales_cycle_days: None,
            cac: None,
            retention: None,
            logo_churn: None,
            monthly_churn: None,
            arpa: None,
            ltv: None,
            ltv_to_cac: None,
            support_load: None,
        })
        .collect();
    if let Some(leads) = inputs.leads {
        let mut counts = vec![(0u64, 0u64); k];
        for (row, lead) in leads.iter().enumerate() {
            if let Some(s) = segment_of(&lead.key, &|| format!("lead {row}"))? {
                counts[s].0 += u64::from(lead.converted.is_some());
                counts[s].1 += 1;
            }
        }
        for (row, (won, total)) in out.iter_mut().zip(counts) {
            row.new_customers = Some(won);
            row.conversion = (total > 0)
                .then(|| wilson(won, total, inputs.alpha))
                .transpose()?;
        }
    }
    if let Some(opportunities) = inputs.opportunities {
        let mut counts = vec![(0u64, 0u64); k];
        let mut cycles: Vec<Vec<f64>> = vec![Vec::new(); k];
        for (row, o) in opportunities.iter().enumerate() {
            if let Some(closed) = o.closed.filter(|&c| c < o.opened) {
                return Err(Error::OutOfRange {
                    record: format!("opportunity {row}"),
                    field: "closed".into(),
                    value: closed.days_since(o.opened) as f64,
                    expected: "a close date on or after the open date (days from opening >= 0)",
                });
            }
            let Some(s) = segment_of(&o.account, &|| format!("opportunity {row}"))? else {
                continue;
            };
            match o.outcome {
                OpportunityOutcome::Won => {
                    counts[s].0 += 1;
                    counts[s].1 += 1;
                    if let Some(closed) = o.closed {
                        cycles[s].push(closed.days_since(o.opened) as f64);
                    }
                }
                OpportunityOutcome::Lost => counts[s].1 += 1,
                OpportunityOutcome::Open => {}
            }
        }
        for ((row, (won, closed)), mut cycle) in out.iter_mut().zip(counts).zip(cycles) {
            row.win_rate = (closed > 0)
                .then(|| wilson(won, closed, inputs.alpha))
                .transpose()?;
            cycle.sort_by(f64::total_cmp);
            row.sales_cycle_days = (!cycle.is_empty()).then(|| {
                let m = cycle.len() / 2;
                if cycle.len() % 2 == 1 {
                    cycle[m]
                } else {
                    (cycle[m - 1] + cycle[m]) / 2.0
                }
            });
        }
    }
    if let Some(spend) = inputs.spend {
        for (row, &x) in out.iter_mut().zip(spend) {
            row.cac = row.new_customers.filter(|&c| c > 0).map(|c| x / c as f64);
        }
    }
    if let Some((records, params, start, end)) = inputs.mrr {
        let windows = revenue_retention_by(
            lookup,
            records,
            &params,
            start,
            end,
            true,
            Some(segmentation),
        )?;
        let months = (Period::Month.index(end) - Period::Month.index(start)).max(1);
        for (row, w) in out.iter_mut().zip(windows) {
            row.retention = Some(w);
            if w.customers == 0 {
                continue;
            }
            let churned = w.customers - w.retained_customers;
            let churn = wilson(churned, w.customers, inputs.alpha)?;
            let monthly = 1.0 - (1.0 - churn.estimate).powf(1.0 / f64::from(months));
            let arpa = w.start_mrr / w.customers as f64;
            row.logo_churn = Some(churn);
            row.monthly_churn = Some(monthly);
            row.arpa = Some(arpa);
            row.ltv = ltv(arpa, inputs.gross_margin, monthly).ok();
        }
    }
    for row in &mut out {
        row.ltv_to_cac = match (row.ltv, row.cac) {
            (Some(l), Some(c)) if c > 0.0 => Some(l / c),
            _ => None,
        };
    }
    if let Some(tickets) = inputs.tickets {
        let mut sums = vec![0u64; k];
        for (label, t) in segmentation.labels().iter().zip(tickets.values()) {
            if let (Some(s), Some(t)) = (label, t) {
                sums[*s] = sums[*s].saturating_add(*t);
            }
        }
        for ((row, sum), &size) in out.iter_mut().zip(sums).zip(&sizes) {
            row.support_load = (size > 0).then(|| sum as f64 / size as f64);
        }
    }
    Ok(out)
}

/// Measured economics of one size tier.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TierMeasurement {
    /// The tier.
    pub tier: SizeTier,
    /// Annual contract value (12 x ARPA).
    pub acv: Option<f64>,
    /// CAC.
    pub cac: Option<f64>,
    /// LTV.
    pub ltv: Option<f64>,
    /// Sales cycle in days.
    pub sales_cycle_days: Option<f64>,
}

impl TierMeasurement {
    /// The measurement of a tier from its row of a KPI table (ACV = 12 x ARPA).
    #[must_use]
    pub fn from_kpis(tier: SizeTier, kpis: &SegmentKpis) -> Self {
        TierMeasurement {
            tier,
            acv: kpis.arpa.map(|a| a * 12.0),
            cac: kpis.cac,
            ltv: kpis.ltv,
            sales_cycle_days: kpis.sales_cycle_days,
        }
    }
}

/// A measured value outside its tier's typical range.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TierFlag {
    /// The tier.
    pub tier: SizeTier,
    /// Which quantity (`"acv"`, `"cac"`, `"ltv"`, `"sales_cycle_days"`).
    pub quantity: &'static str,
    /// The measured value.
    pub measured: f64,
    /// The typical range.
    pub expected: ValueRange,
}

/// Compares each tier's measured ACV, CAC, LTV and sales cycle with the typed ranges of
/// `table` and flags those outside (missing measurements are not flagged).
#[must_use]
pub fn check_tier_economics(
    table: &TierEconomicsTable,
    measured: &[TierMeasurement],
) -> Vec<TierFlag> {
    let mut flags = Vec::new();
    for m in measured {
        let defaults = table.get(m.tier);
        for (quantity, value, range) in [
            ("acv", m.acv, defaults.acv),
            ("cac", m.cac, defaults.cac),
            ("ltv", m.ltv, defaults.ltv),
            (
                "sales_cycle_days",
                m.sales_cycle_days,
                defaults.sales_cycle_days,
            ),
        ] {
            if let Some(v) = value {
                if !range.contains(v) {
                    flags.push(TierFlag {
                        tier: m.tier,
                        quantity,
                        measured: v,
                        expected: range,
                    });
                }
            }
        }
    }
    flags
}
