//! One path of a scenario replayed month by month (`shortfall run --replay-path K`): the events
//! it drew, its busy months and its totals, as data. `report::replay` turns it into text.

use crate::model::Model;
use crate::sim::{self, path::CellMonth, timeline::PathParams, timeline::Timeline, Trace};
use crate::stats;

/// One disruption episode of the path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplayEvent {
    pub month: String,
    pub process: String,
    /// The disruption kind as the model names it (`ExportBan`, ...).
    pub kind: String,
    pub duration_months: f64,
    pub severity: f64,
    /// The tension regime at the episode's start.
    pub regime: String,
}

/// One bloc × material in a month where something happened (an import gap, a shortfall, a stock
/// release, inventory use or pre-buying, a substitution or a price away from base). Tonnes per month.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplayMonth {
    pub month: String,
    pub material: String,
    pub bloc: String,
    pub price_ratio: f64,
    pub demand: f64,
    pub recycled: f64,
    pub primary: f64,
    pub substituted: f64,
    /// Released from the stockpile plus borrowed.
    pub stock_out: f64,
    /// Consumption shortfall: demand not met after every buffer.
    pub shortfall: f64,
    pub stock: f64,
    /// What failed to arrive from disrupted suppliers, before rerouting and buffers.
    pub import_gap: f64,
    /// Commercial inventory used to cover the gap.
    pub inventory_used: f64,
    /// Bought ahead of an announced measure, into the commercial inventory.
    pub prebought: f64,
    /// Commercial inventory at the end of the month.
    pub inventory: f64,
}

/// A cell's totals over the horizon, for the cells with a shortfall.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplayTotal {
    pub bloc: String,
    pub material: String,
    pub total_short_t: f64,
    pub total_demand_t: f64,
    pub worst_year_share: f64,
    pub months_short: u32,
}

/// The whole replay of one path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Replay {
    pub scenario: String,
    pub seed: u64,
    pub path: u64,
    pub events: Vec<ReplayEvent>,
    pub months: Vec<ReplayMonth>,
    pub totals: Vec<ReplayTotal>,
}

/// Collects a path's events and busy months.
struct Recorder<'a> {
    model: &'a Model,
    plan: &'a sim::Plan,
    events: Vec<ReplayEvent>,
    months: Vec<ReplayMonth>,
}

impl Trace for Recorder<'_> {
    const ON: bool = true;

    fn timeline(&mut self, timeline: &Timeline, _params: &PathParams) {
        let m = self.model;
        for e in &timeline.episodes {
            let d = &m.disruptions[e.process as usize];
            self.events.push(ReplayEvent {
                month: m.month_label(e.start as usize),
                process: d.name.clone(),
                kind: format!("{:?}", d.kind),
                duration_months: e.end - e.start as f64,
                severity: e.severity,
                regime: m.tension.regimes[timeline.regime[e.start as usize] as usize]
                    .0
                    .clone(),
            });
        }
    }

    fn month(&mut self, t: usize, material: usize, price_ratio: f64, cells: &[CellMonth]) {
        // Calm months (everything delivered, price at base) are left out.
        let quiet = cells.iter().all(|c| {
            c.shortfall <= 0.0
                && c.released <= 0.0
                && c.substituted <= 0.0
                && c.import_gap <= 0.0
                && c.inventory_used <= 0.0
                && c.prebought <= 0.0
        }) && price_ratio == 1.0;
        if quiet {
            return;
        }
        for c in cells {
            let (b, _) = self.plan.layout.cells[c.cell];
            self.months.push(ReplayMonth {
                month: self.model.month_label(t),
                material: self.model.materials[material].name.clone(),
                bloc: self.model.blocs[b].name.clone(),
                price_ratio,
                demand: c.demand,
                recycled: c.recycled,
                primary: c.primary,
                substituted: c.substituted,
                stock_out: c.released + c.borrowed,
                shortfall: c.shortfall,
                stock: c.stock,
                import_gap: c.import_gap,
                inventory_used: c.inventory_used,
                prebought: c.prebought,
                inventory: c.inventory,
            });
        }
    }
}

/// Simulate path `path` of `model` with `seed`, recording what happened.
pub(crate) fn replay(model: &Model, seed: u64, path: u64) -> Replay {
    let plan = sim::build_plan(model);
    let mut recorder = Recorder {
        model,
        plan: &plan,
        events: Vec::new(),
        months: Vec::new(),
    };
    let mut scratch = sim::PathScratch::default();
    let mut record = stats::PathRecord::new(&plan.layout);
    sim::simulate_path(
        model,
        &plan,
        seed,
        path,
        &mut scratch,
        &mut record,
        &mut recorder,
    );
    let totals = record
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.any_short())
        .map(|(ci, c)| {
            let (b, m) = plan.layout.cells[ci];
            ReplayTotal {
                bloc: model.blocs[b].name.clone(),
                material: model.materials[m].name.clone(),
                total_short_t: c.total_short_t,
                total_demand_t: c.total_demand_t,
                worst_year_share: c.worst_year_share,
                months_short: c.months_short,
            }
        })
        .collect();
    Replay {
        scenario: model.name.clone(),
        seed,
        path,
        events: recorder.events,
        months: recorder.months,
        totals,
    }
}
