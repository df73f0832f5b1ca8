//! The validated model: the scenario compiled into dense, indexed, checked data.
//!
//! Everything the kernel needs is here, by index, with distributions ready to sample; names are
//! kept only for reporting. Building a `Model` is the one place scenario input is checked
//! (practice from ripgrep's `lowargs` → `hiargs`).

pub(crate) mod cap;
pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod dist;

pub(crate) use compile::compile;
pub(crate) use dist::Dist;

/// Largest number of blocs: bloc sets are `u64` bit masks in the kernel's hot loop.
pub const MAX_BLOCS: usize = 64;

/// A validated scenario in the form the kernel reads: names turned into dense indices,
/// distributions built once, shares checked. Built by `compile`; nothing in it changes during a run.
#[derive(Debug, Clone)]
pub struct Model {
    /// The scenario's name (output folder and report titles).
    pub name: String,
    /// The scenario's one-paragraph description.
    pub description: String,
    /// Where the scenario's figures come from, as written in the file.
    pub sources: Vec<String>,
    /// How far each source can be cited (`sources` order), as the file marks it; `None`: unmarked.
    pub source_confidence: Vec<Option<crate::scenario::raw::Confidence>>,
    /// First month as (year, month 1..=12).
    pub start: (i32, u32),
    /// Horizon length in months.
    pub months: usize,
    /// Materials with their supply chains (stages, suppliers, price), indexed by material.
    pub materials: Vec<MaterialModel>,
    /// Country names; suppliers and disruptions refer to them by index.
    pub countries: Vec<String>,
    /// Consuming blocs, indexed by bloc (at most `MAX_BLOCS`).
    pub blocs: Vec<BlocModel>,
    /// One per (bloc, material) with demand: `cells[bloc][material]`, `None` where no demand.
    pub cells: Vec<Vec<Option<Cell>>>,
    /// Disruption processes in scenario order.
    pub disruptions: Vec<DisruptionModel>,
    /// The calm/tense regime chain that scales disruption rates.
    pub tension: TensionModel,
    /// Guaranteed minimum prices and whom they cover.
    pub price_floors: Vec<PriceFloorModel>,
    /// What the supplier cap did to sourcing (empty when the scenario sets no cap).
    pub cap_report: Vec<cap::CapOutcome>,
    /// The single-supplier cap the scenario enforces (a share of a bloc's consumption), if any.
    pub cap_level: Option<f64>,
    /// The cap whose breaches the kernel counts month by month: the scenario's own cap, or one
    /// that `stress-cap` sets on a variant without it to see how often it would be breached.
    pub cap_watch: Option<cap::CapSpec>,
    /// A cap that binds after the horizon's start (`supplier_cap.binds_from`): the market and
    /// capped sourcing of each capped link and the binding schedule, for the kernel's phase 2c.
    /// None for a static cap (its rebalanced shares are the cells' sourcing) or no cap.
    pub cap_shift: Option<cap::CapShift>,
    /// Capacity arriving at a date or restarting on price, in scenario order.
    pub new_capacity: Vec<NewCapacityModel>,
    /// Parameter sets K of `run --parameter-sets` (0: off, every path draws its own parameters):
    /// path i draws its uncertain parameters as set i mod K (docs/model.md, "Parameter
    /// uncertainty"). Not part of the scenario file.
    pub parameter_sets: u32,
}

#[derive(Debug, Clone)]
pub struct MaterialModel {
    pub name: String,
    pub unit: String,
    pub critical: bool,
    pub strategic: bool,
    /// Upstream first; blocs consume the last stage.
    pub stages: Vec<StageModel>,
    pub price: PriceParams,
}

#[derive(Debug, Clone)]
pub struct StageModel {
    pub name: String,
    /// Published world production, t/yr, that `check` reports shares against (if given).
    pub published_world_production: Option<f64>,
    /// Declared share of production going to uses outside the blocs' demand (`check` only).
    pub unmodelled_use_share: f64,
    pub suppliers: Vec<Supplier>,
    /// Months of the stage's need its processors hold as feed of the upstream stage (0: none).
    pub feed_stock_months: f64,
}

#[derive(Debug, Clone)]
pub struct Supplier {
    pub country: usize,
    /// Nameplate capacity at the start, tonnes per month.
    pub capacity_t_per_month: f64,
    pub utilisation: f64,
    pub ramp_up_months: f64,
    pub unit_cost_usd_per_t: Option<f64>,
    /// Blocs served first from this supplier's spare output (partners and its own bloc).
    pub priority_blocs: u64,
    /// Blocs this supplier's country belongs to: trade measures never aim at them.
    pub member_of: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct PriceParams {
    pub base_usd_per_t: f64,
    pub scarcity_sensitivity: f64,
    pub demand_elasticity: f64,
    pub max_substitution: f64,
    /// Premium of non-dominant supply, share of the calm price (cost of the cap only).
    pub non_dominant_premium_share: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct BlocModel {
    pub name: String,
    pub members: Vec<usize>,
    /// Blocs this bloc's stockpiles may lend to (stockpile-sharing partnerships), per material.
    pub shares_stock_with: Vec<u64>,
}

/// One bloc's consumption of one material.
#[derive(Debug, Clone)]
pub struct Cell {
    pub bloc: usize,
    pub material: usize,
    pub demand_t_per_month: f64,
    pub growth: Dist,
    pub recycling_start: f64,
    pub recycling_end: f64,
    /// r_j(t), the recycled share of demand in month t, for every month of the horizon: linear
    /// from `recycling_start` to `recycling_end`, or through the scenario's targets.
    pub recycling: Vec<f64>,
    /// Per stage: (supplier index within the stage, share of the bloc's need). Shares sum to 1.
    pub sourcing: Vec<Vec<(usize, f64)>>,
    pub stockpile: Option<StockpileModel>,
    /// Commercial inventories (None: the bloc holds none of this material).
    pub inventory: Option<InventoryModel>,
}

/// Commercial and pipeline inventories of one cell.
#[derive(Debug, Clone)]
pub struct InventoryModel {
    /// Months of demand held in calm times, drawn once per path, clamped to [0, 240] (and to
    /// `max_cover_months` when given).
    pub cover_months: Dist,
    /// Most the bloc can hold, months of demand; None: twice the drawn cover.
    pub max_cover_months: Option<f64>,
    /// Months to restock from empty to the calm cover (>= 0.1).
    pub restock_months: f64,
}

/// Capacity that arrives at a date or restarts when the price stays high.
#[derive(Debug, Clone)]
pub struct NewCapacityModel {
    pub name: String,
    pub material: usize,
    pub stage: usize,
    /// Supplier index within the stage (a zero-capacity supplier appended if the country had none).
    pub supplier: usize,
    pub tonnes_per_month: f64,
    pub start: NewCapacityStart,
    /// Linear ramp from first output to full capacity, months (0: a step).
    pub ramp_months: f64,
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
pub enum NewCapacityStart {
    /// Online at month `month` (from the horizon start; may be negative) plus a delay drawn per
    /// path, rounded to whole months.
    Scheduled { month: i64, delay: Dist },
    /// Online the month after the price ratio has been >= `ratio` for `months` consecutive
    /// solved months.
    Restart { ratio: f64, months: u32 },
}

/// How an announced trade measure, licence recovery and leakage act, drawn per episode.
#[derive(Debug, Clone, Default)]
pub struct TradeDynamics {
    /// Months between announcement and effect (None: no announcement).
    pub announced_months: Option<Dist>,
    /// Most pulled forward in a month, share of the normal contracted flow from the hit suppliers.
    pub prebuy_share: f64,
    /// (half-life months, residual share) of the licence recovery.
    pub licence_recovery: Option<(Dist, Dist)>,
    /// Months before the first licences are granted (only with `licence_recovery`).
    pub licence_processing: Option<Dist>,
    /// Share of the blocked flow that still arrives.
    pub leakage_share: Option<Dist>,
}

impl TradeDynamics {
    /// Whether any per-episode draw is needed (otherwise stream `episode:<name>` is not created).
    pub fn any(&self) -> bool {
        self.announced_months.is_some()
            || self.licence_recovery.is_some()
            || self.leakage_share.is_some()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct StockpileModel {
    pub initial_months: f64,
    pub target_months: f64,
    pub max_release_share: f64,
    pub release_threshold_share: f64,
    pub refill_months: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Cuts a share of exports to the target blocs.
    Trade,
    /// Cuts a share of capacity, for every customer.
    Capacity,
    /// Drops the price by a share; high-cost producers shut unless a floor covers them.
    Flood,
}

#[derive(Debug, Clone)]
pub struct DisruptionModel {
    pub name: String,
    pub kind: crate::scenario::raw::DisruptionKind,
    pub effect: Effect,
    /// Calm-regime onsets per month, drawn once per path from this distribution.
    pub monthly_rate: Dist,
    /// When true the distribution gives an annual probability p, turned into a rate −ln(1−p)/12.
    pub rate_from_probability: bool,
    /// A scripted event: starts in this month on every path (the rate is then unused).
    pub scheduled_start: Option<u32>,
    pub duration_months: Dist,
    pub severity: Dist,
    pub tension_sensitivity: f64,
    /// Hazard multiplier in each tension regime: multiplier^tension_sensitivity (precomputed).
    pub regime_multipliers: Vec<f64>,
    pub triggers: Vec<TriggerModel>,
    pub hits: Vec<Hit>,
    /// Materials touched (sorted, unique).
    pub materials: Vec<usize>,
    /// Country indices hit (for floods: the flooding country).
    pub countries: Vec<usize>,
    /// Announcement, licence recovery and leakage (trade measures only; default: none).
    pub trade: TradeDynamics,
}

#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub material: usize,
    pub stage: usize,
    pub supplier: usize,
    /// Blocs whose supply from this supplier is cut (all blocs for capacity effects).
    pub blocs: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct TriggerModel {
    pub target: usize,
    pub hazard_multiplier: f64,
    pub months: u32,
}

#[derive(Debug, Clone)]
pub struct TensionModel {
    pub regimes: Vec<(String, f64)>,
    pub initial: usize,
    /// Row-stochastic monthly transition matrix, stored as cumulative rows for sampling.
    pub cumulative: Vec<Vec<f64>>,
}

impl TensionModel {
    pub fn none() -> TensionModel {
        TensionModel {
            regimes: vec![("calm".into(), 1.0)],
            initial: 0,
            cumulative: vec![vec![1.0]],
        }
    }
    pub fn is_trivial(&self) -> bool {
        self.regimes.len() == 1 && self.regimes[0].1 == 1.0
    }
}

#[derive(Debug, Clone)]
pub struct PriceFloorModel {
    pub name: String,
    pub material: usize,
    pub stage: usize,
    pub floor_usd_per_t: f64,
    /// Supplier indices (within `stage`) covered.
    pub suppliers: Vec<usize>,
    pub paid_by: usize,
}

impl Model {
    /// Index of the stage a material's blocs consume (its last stage).
    pub fn consumed_stage(&self, material: usize) -> usize {
        self.materials[material].stages.len() - 1
    }

    /// Every (bloc, material) cell with demand, bloc by bloc: the kernel's cell order.
    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.iter().flatten().flatten()
    }

    /// Tonnes per month each supplier of a stage ships in calm times at the start of the horizon:
    /// Σ over the material's cells (bloc order) of share × need at month 0. The one place these
    /// calm flows are summed (capacity check, cap rebalancing, the kernel's plan). The kernel's
    /// month-t contracts are `sim::plan::StagePlan::committed`, a different sum (need at t).
    pub fn committed_flows(&self, material: usize, stage: usize) -> Vec<f64> {
        let mut committed = vec![0.0; self.materials[material].stages[stage].suppliers.len()];
        for cell in self.cells().filter(|c| c.material == material) {
            let need = cell.demand_t_per_month * (1.0 - cell.recycling_start);
            for &(k, share) in &cell.sourcing[stage] {
                committed[k] += share * need;
            }
        }
        committed
    }

    /// The sourcing row of bloc `b` for material `mi` at stage `si` once the cap fully binds:
    /// the capped row of a cap that binds later, else the cell's own sourcing.
    pub fn capped_sourcing(&self, b: usize, mi: usize, si: usize) -> Option<&[(usize, f64)]> {
        let shifted = self.cap_shift.as_ref().and_then(|s| {
            s.links
                .iter()
                .find(|l| (l.bloc, l.material, l.stage) == (b, mi, si))
        });
        match shifted {
            Some(l) => Some(&l.capped_row),
            None => self.cells[b][mi]
                .as_ref()
                .map(|c| c.sourcing[si].as_slice()),
        }
    }

    /// Label "YYYY-MM" of month `t` from the start.
    pub fn month_label(&self, t: usize) -> String {
        let (y, m) = self.start;
        let idx = (m as usize - 1) + t;
        format!("{:04}-{:02}", y + (idx / 12) as i32, idx % 12 + 1)
    }
}
