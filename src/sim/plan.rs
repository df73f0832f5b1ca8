//! The model rearranged for the kernel's hot loop: per material, dense arrays over
//! (stage, supplier, consuming cell), built once per run and shared read-only by all threads.

use crate::model::{Effect, Model};
use crate::stats::accumulator::CapWatchName;
use crate::stats::Layout;

#[derive(Debug, Clone)]
pub struct StagePlan {
    pub suppliers: usize,
    /// Capacity at the start, t/month, raised to the calm contracts where rounding in the data
    /// left it a little below them (validation allows 1%).
    pub capacity0: Vec<f64>,
    /// Calm contracts at the start (every bloc's share × need), t/month.
    pub committed0: Vec<f64>,
    /// Calm output at the start, t/month: production (capacity × utilisation), or the blocs'
    /// contracts if larger. Output beyond the contracts goes to uses the scenario does not model.
    pub output0: Vec<f64>,
    /// Spare capacity at the start, t/month: capacity minus calm output.
    pub spare_rate0: Vec<f64>,
    pub ramp_up_months: Vec<f64>,
    /// Bit j set: local cell j is served first from this supplier's spare output.
    pub priority_cells: Vec<u64>,
    /// The suppliers with some priority cell, in index order: the only ones rerouting's
    /// priority tier can ask (most suppliers have none).
    pub priority_suppliers: Vec<usize>,
    pub unit_cost: Vec<f64>,
    /// Highest price floor covering the supplier at this stage (0 if none).
    pub floor_price: Vec<f64>,
    /// The floor that pays the supplier's top-up (the highest; the first of equals).
    pub floor_owner: Vec<Option<usize>>,
    /// share[k * cells + j]: share of local cell j's need sourced from supplier k.
    pub share: Vec<f64>,
}

impl StagePlan {
    /// What supplier k's contracts ask this month: Σ_j share_kj · need_j, over the material's
    /// cells in order (`need` has one entry per cell).
    #[inline]
    pub fn committed(&self, k: usize, need: &[f64]) -> f64 {
        let nj = need.len();
        committed_row(&self.share[k * nj..(k + 1) * nj], need)
    }

    /// How much supplier k has grown since the start: its calm output and capacity grow with
    /// the calm demand on it (its contracts, `committed`), so calm months never ration; a
    /// supplier with no contracts grows with the material's demand (`growth_index`).
    #[inline]
    pub fn supplier_scale(&self, k: usize, committed: f64, growth_index: f64) -> f64 {
        supplier_scale(self.committed0[k], committed, growth_index)
    }
}

/// `StagePlan::committed` of a supplier whose row of shares is `shares`.
#[inline]
pub fn committed_row(shares: &[f64], need: &[f64]) -> f64 {
    shares.iter().zip(need).map(|(a, n)| a * n).sum()
}

/// `StagePlan::supplier_scale` of a supplier whose calm contracts at the start were `c0`.
#[inline]
pub fn supplier_scale(c0: f64, committed: f64, growth_index: f64) -> f64 {
    if c0 > 0.0 {
        committed / c0
    } else {
        growth_index
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LocalHit {
    pub stage: u16,
    pub supplier: u16,
    /// Local cells hit (trade measures), or all local cells.
    pub cells: u64,
}

#[derive(Debug, Clone)]
pub struct ProcessHits {
    pub process: u32,
    pub effect: Effect,
    pub hits: Vec<LocalHit>,
    /// Announced trade measure: its pre-buying cap (share of the hit contracted flow a month).
    pub prebuy_share: Option<f64>,
}

/// New capacity of a material: where it is and how it starts.
#[derive(Debug, Clone)]
pub struct NewCapacityPlan {
    /// Index into `Model::new_capacity` (and `PathParams::capacity_online`).
    pub index: usize,
    pub stage: usize,
    pub supplier: usize,
    pub tonnes_per_month: f64,
    pub ramp_months: f64,
    /// Restart on price: (ratio, consecutive months).
    pub restart: Option<(f64, u32)>,
}

#[derive(Debug, Clone)]
pub struct MaterialPlan {
    pub material: usize,
    pub stages: Vec<StagePlan>,
    /// Global cell indices (layout order) of the blocs consuming this material.
    pub cells: Vec<usize>,
    /// Bloc index of each local cell.
    pub blocs: Vec<usize>,
    pub base_price: f64,
    pub scarcity_sensitivity: f64,
    pub demand_elasticity: f64,
    pub max_substitution: f64,
    /// Processes that touch this material, with their hits in local indices.
    pub processes: Vec<ProcessHits>,
    /// For each local cell: local cells it may lend stockpile to.
    pub lends_to: Vec<u64>,
    /// Price floors on this material: (global floor index, stage, suppliers covered, floor price).
    pub floors: Vec<(usize, usize, Vec<usize>, f64)>,
    /// Whether any supplier has a unit cost (only then can a flood shut producers).
    pub has_costs: bool,
    /// Single-supplier cap links of this material whose breaches are counted.
    pub watches: Vec<WatchPlan>,
    /// Some cell holds a commercial inventory of the material.
    pub has_inventory: bool,
    /// Some process touching the material is announced ahead (pre-buying windows).
    pub announced: bool,
    pub new_capacity: Vec<NewCapacityPlan>,
    /// Processors' feed stocks: (upstream stage whose loss they cover, months of need held),
    /// one per stage with `feed_stock_months` (empty: none, and phase 3b is not run).
    pub feed: Vec<(usize, f64)>,
    /// A single-supplier cap that binds after the horizon's start (phase 2c; None: idle).
    pub shift: Option<super::phase::cap_shift::ShiftPlan>,
}

/// One watched cap link: local cell `cell` at stage `stage`.
#[derive(Debug, Clone)]
pub struct WatchPlan {
    /// Index into `Layout::cap_watch`.
    pub index: u32,
    pub cell: usize,
    pub stage: usize,
    pub level: f64,
    /// First month watched: the first month the full cap binds (0 for the static cap).
    pub from: usize,
    /// Per supplier of the stage: a third country for this bloc (not one of its members).
    pub third: Vec<bool>,
    /// Per month: breached in a calm month.
    pub calm_breach: Vec<bool>,
}

/// The watched links of a model, in (bloc, material, stage) order, with their calm status:
/// one third country's share of consumption (recycling included) above the cap, in the months
/// the full cap binds (never before: a cap that binds later is not breached before it binds).
fn cap_watches(model: &Model) -> Vec<(usize, usize, usize, f64, Vec<bool>)> {
    let Some(spec) = &model.cap_watch else {
        return Vec::new();
    };
    let from = spec.full_from();
    let mut out = Vec::new();
    for &b in &spec.blocs {
        for (mi, stages) in spec.stages.iter().enumerate() {
            let Some(cell) = model.cells[b][mi].as_ref() else {
                continue;
            };
            for &si in stages {
                let stage = &model.materials[mi].stages[si];
                // The shares once the full cap binds: a cap binding later moves them (phase 2c).
                let sourcing = model
                    .capped_sourcing(b, mi, si)
                    .unwrap_or(&cell.sourcing[si]);
                let top_third = sourcing
                    .iter()
                    .filter(|(k, _)| stage.suppliers[*k].member_of & (1u64 << b) == 0)
                    .map(|(_, s)| *s)
                    .fold(0.0, f64::max);
                let calm = (0..model.months)
                    .map(|t| {
                        let r = cell.recycling[t];
                        t >= from && top_third * (1.0 - r) > spec.level + BREACH_TOLERANCE
                    })
                    .collect();
                out.push((b, mi, si, spec.level, calm));
            }
        }
    }
    out
}

/// A share counts as over the cap only beyond this: the cap's own rebalancing lands exactly on it.
pub const BREACH_TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone)]
pub struct Plan {
    pub layout: Layout,
    /// Names of the random streams (one per process, per demand cell, and the regime).
    pub keys: super::timeline::StreamKeys,
    pub materials: Vec<MaterialPlan>,
    /// For each process: the materials (plan indices) it touches.
    pub process_materials: Vec<Vec<usize>>,
    /// For each process: (material, its local index in that material's `processes`) for the
    /// materials whose plan lists it, in `process_materials` order: what the path loop files
    /// each episode under, looked up once per run rather than searched for every episode.
    pub process_locals: Vec<Vec<(usize, usize)>>,
}

pub fn layout(model: &Model) -> Layout {
    let mut cells = Vec::new();
    let mut has_stock = Vec::new();
    for (b, row) in model.cells.iter().enumerate() {
        for (m, cell) in row.iter().enumerate() {
            if let Some(c) = cell {
                cells.push((b, m));
                has_stock.push(
                    c.stockpile
                        .is_some_and(|s| s.initial_months > 0.0 || s.target_months > 0.0),
                );
            }
        }
    }
    let watches = cap_watches(model);
    Layout {
        cap_watch: watches
            .iter()
            .map(|(b, m, s, level, _)| CapWatchName {
                bloc: model.blocs[*b].name.clone(),
                material: model.materials[*m].name.clone(),
                stage: model.materials[*m].stages[*s].name.clone(),
                level: *level,
            })
            .collect(),
        calm_breach: watches.into_iter().map(|w| w.4).collect(),
        blocs: model.blocs.iter().map(|b| b.name.clone()).collect(),
        materials: model.materials.iter().map(|m| m.name.clone()).collect(),
        units: model.materials.iter().map(|m| m.unit.clone()).collect(),
        cells,
        cell_has_stockpile: has_stock,
        base_price: model
            .materials
            .iter()
            .map(|m| m.price.base_usd_per_t)
            .collect(),
        floors: model.price_floors.iter().map(|f| f.name.clone()).collect(),
        months: model.months,
        month_labels: (0..model.months).map(|t| model.month_label(t)).collect(),
        processes: model.disruptions.iter().map(|d| d.name.clone()).collect(),
        parameter_sets: model.parameter_sets,
    }
}

/// The kernel's precomputed plan of a model: stream keys, per-material index arrays and the
/// output layout, built once per run and shared by every path.
pub fn build(model: &Model) -> Plan {
    let layout = layout(model);
    let watches = cap_watches(model);
    let materials: Vec<MaterialPlan> = (0..model.materials.len())
        .map(|mi| build_material(model, &layout, &watches, mi))
        .collect();
    let process_materials: Vec<Vec<usize>> = model
        .disruptions
        .iter()
        .map(|d| d.materials.clone())
        .collect();
    let process_locals = process_locals(&process_materials, &materials);
    let keys = super::timeline::StreamKeys::new(model, &layout.cells);
    Plan {
        layout,
        keys,
        materials,
        process_materials,
        process_locals,
    }
}

/// `Plan::process_locals`: for each process, each material it touches whose plan lists it,
/// with the process's position in that list (a process's first entry there, as a search
/// would find it).
fn process_locals(
    process_materials: &[Vec<usize>],
    materials: &[MaterialPlan],
) -> Vec<Vec<(usize, usize)>> {
    process_materials
        .iter()
        .enumerate()
        .map(|(process, touched)| {
            touched
                .iter()
                .filter_map(|&mi| {
                    let listed = materials[mi].processes.iter();
                    let local = listed
                        .map(|p| p.process as usize)
                        .position(|p| p == process)?;
                    Some((mi, local))
                })
                .collect()
        })
        .collect()
}

/// A material's local view: its consuming cells (global indices, layout order) and their blocs,
/// and how a bloc mask maps to a local cell mask.
struct LocalCells {
    cells: Vec<usize>,
    blocs: Vec<usize>,
}

impl LocalCells {
    fn new(layout: &Layout, mi: usize) -> Self {
        let cells: Vec<usize> = layout
            .cells
            .iter()
            .enumerate()
            .filter(|(_, &(_, m))| m == mi)
            .map(|(ci, _)| ci)
            .collect();
        let blocs = cells.iter().map(|&ci| layout.cells[ci].0).collect();
        LocalCells { cells, blocs }
    }

    /// Local cells whose bloc is in `bloc_mask`.
    fn to_local(&self, bloc_mask: u64) -> u64 {
        self.blocs
            .iter()
            .enumerate()
            .filter(|(_, &b)| bloc_mask & (1 << b) != 0)
            .fold(0u64, |acc, (j, _)| acc | 1 << j)
    }
}

fn build_material(
    model: &Model,
    layout: &Layout,
    watches: &[(usize, usize, usize, f64, Vec<bool>)],
    mi: usize,
) -> MaterialPlan {
    let mat = &model.materials[mi];
    let local = LocalCells::new(layout, mi);
    let stages = (0..mat.stages.len())
        .map(|si| build_stage(model, layout, &local, mi, si))
        .collect();
    let processes = model
        .disruptions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.materials.contains(&mi))
        .map(|(p, d)| ProcessHits {
            process: p as u32,
            effect: d.effect,
            hits: d
                .hits
                .iter()
                .filter(|h| h.material == mi)
                .map(|h| LocalHit {
                    stage: h.stage as u16,
                    supplier: h.supplier as u16,
                    cells: local.to_local(h.blocs),
                })
                .collect(),
            prebuy_share: d
                .trade
                .announced_months
                .as_ref()
                .map(|_| d.trade.prebuy_share),
        })
        .collect::<Vec<_>>();
    let announced = processes.iter().any(|p| p.prebuy_share.is_some());
    let has_inventory = local.cells.iter().any(|&ci| {
        let (b, m) = layout.cells[ci];
        model.cells[b][m]
            .as_ref()
            .is_some_and(|c| c.inventory.is_some())
    });
    let new_capacity = model
        .new_capacity
        .iter()
        .enumerate()
        .filter(|(_, c)| c.material == mi)
        .map(|(index, c)| NewCapacityPlan {
            index,
            stage: c.stage,
            supplier: c.supplier,
            tonnes_per_month: c.tonnes_per_month,
            ramp_months: c.ramp_months,
            restart: match c.start {
                crate::model::NewCapacityStart::Restart { ratio, months } => Some((ratio, months)),
                crate::model::NewCapacityStart::Scheduled { .. } => None,
            },
        })
        .collect();
    let lends_to: Vec<u64> = local
        .blocs
        .iter()
        .map(|&b| local.to_local(model.blocs[b].shares_stock_with[mi]))
        .collect();
    let floors = model
        .price_floors
        .iter()
        .enumerate()
        .filter(|(_, f)| f.material == mi)
        .map(|(fi, f)| (fi, f.stage, f.suppliers.clone(), f.floor_usd_per_t))
        .collect();
    let material_watches = material_watches(model, &local, watches, mi);
    let shift = super::phase::cap_shift::plan(model, mi, &local.blocs);
    MaterialPlan {
        shift,
        watches: material_watches,
        material: mi,
        stages,
        cells: local.cells,
        blocs: local.blocs,
        base_price: mat.price.base_usd_per_t,
        scarcity_sensitivity: mat.price.scarcity_sensitivity,
        demand_elasticity: mat.price.demand_elasticity,
        max_substitution: mat.price.max_substitution,
        processes,
        lends_to,
        floors,
        has_inventory,
        announced,
        new_capacity,
        feed: mat
            .stages
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, st)| st.feed_stock_months > 0.0)
            .map(|(si, st)| (si - 1, st.feed_stock_months))
            .collect(),
        has_costs: mat
            .stages
            .iter()
            .any(|s| s.suppliers.iter().any(|x| x.unit_cost_usd_per_t.is_some())),
    }
}

/// Dense per-supplier arrays of one stage: calm capacity, output and spare, sourcing shares by
/// local cell, and the price floors covering each supplier.
fn build_stage(
    model: &Model,
    layout: &Layout,
    local: &LocalCells,
    mi: usize,
    si: usize,
) -> StagePlan {
    let stage = &model.materials[mi].stages[si];
    let nj = local.cells.len();
    let nk = stage.suppliers.len();
    let mut share = vec![0.0; nk * nj];
    for (j, &ci) in local.cells.iter().enumerate() {
        let (b, m) = layout.cells[ci];
        let cell = model.cells[b][m].as_ref().unwrap();
        for &(k, s) in &cell.sourcing[si] {
            share[k * nj + j] = s;
        }
    }
    let mut floor_price = vec![0.0f64; nk];
    let mut floor_owner = vec![None; nk];
    for (fi, f) in model
        .price_floors
        .iter()
        .enumerate()
        .filter(|(_, f)| f.material == mi && f.stage == si)
    {
        for &k in &f.suppliers {
            if f.floor_usd_per_t > floor_price[k] {
                floor_price[k] = f.floor_usd_per_t;
                floor_owner[k] = Some(fi);
            }
        }
    }
    let committed0 = model.committed_flows(mi, si);
    let priority_cells: Vec<u64> = stage
        .suppliers
        .iter()
        .map(|s| local.to_local(s.priority_blocs))
        .collect();
    StagePlan {
        suppliers: nk,
        capacity0: stage
            .suppliers
            .iter()
            .zip(&committed0)
            .map(|(s, c)| s.capacity_t_per_month.max(*c))
            .collect(),
        output0: stage
            .suppliers
            .iter()
            .zip(&committed0)
            .map(|(s, c)| (s.capacity_t_per_month * s.utilisation).max(*c))
            .collect(),
        spare_rate0: stage
            .suppliers
            .iter()
            .zip(&committed0)
            .map(|(s, c)| {
                (s.capacity_t_per_month.max(*c) - (s.capacity_t_per_month * s.utilisation).max(*c))
                    .max(0.0)
            })
            .collect(),
        committed0,
        ramp_up_months: stage.suppliers.iter().map(|s| s.ramp_up_months).collect(),
        priority_suppliers: (0..nk).filter(|&k| priority_cells[k] != 0).collect(),
        priority_cells,
        unit_cost: stage
            .suppliers
            .iter()
            .map(|s| s.unit_cost_usd_per_t.unwrap_or(0.0))
            .collect(),
        floor_price,
        floor_owner,
        share,
    }
}

/// The watched cap links of material `mi`, in local indices.
fn material_watches(
    model: &Model,
    local: &LocalCells,
    watches: &[(usize, usize, usize, f64, Vec<bool>)],
    mi: usize,
) -> Vec<WatchPlan> {
    let mat = &model.materials[mi];
    watches
        .iter()
        .enumerate()
        .filter(|(_, w)| w.1 == mi)
        .filter_map(|(index, (b, _, si, level, calm))| {
            let cell = local.blocs.iter().position(|x| x == b)?;
            Some(WatchPlan {
                index: index as u32,
                cell,
                stage: *si,
                level: *level,
                from: model.cap_watch.as_ref().map_or(0, |c| c.full_from()),
                third: mat.stages[*si]
                    .suppliers
                    .iter()
                    .map(|s| s.member_of & (1u64 << b) == 0)
                    .collect(),
                calm_breach: calm.clone(),
            })
        })
        .collect()
}
