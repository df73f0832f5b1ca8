//! What one material's month solve reads, carries from month to month, and works in within a
//! month: three structs so each phase takes (context, state, month, t) instead of a dozen
//! arrays. docs/model.md, "The month solve" (persistent state, initial state).
//!
//! Both mutable structs live in the per-thread `PathScratch`, one of each per material, reused
//! from path to path, so the hot loop does not allocate once warm (tests/alloc_free.rs).

use crate::model::{Cell, Model};

use super::path::CellMonth;
use super::plan::MaterialPlan;
use super::powers::Powers;
use super::rows::Rows;
use super::timeline::{Episode, PathParams};

/// What one material's solve reads and never changes.
pub(super) struct MaterialCtx<'a> {
    pub model: &'a Model,
    pub mp: &'a MaterialPlan,
    /// Every episode of the path.
    pub all_episodes: &'a [Episode],
    /// The episodes touching this material, by start: (index into `all_episodes`, local process).
    pub episodes: &'a [(usize, usize)],
    /// Local cells (blocs consuming the material).
    pub nj: usize,
    /// Whether any cap link of this material is watched (only then are rationing factors and
    /// rerouting per cell kept).
    pub watching: bool,
    /// The local cells' model cells, looked up once per path (`path::local_cells`) rather than
    /// in every phase of every month.
    pub cells: &'a [&'a Cell],
}

impl<'a> MaterialCtx<'a> {
    #[inline]
    pub fn cell(&self, j: usize) -> &'a Cell {
        self.cells[j]
    }
}

/// State a material carries from one solved month to the next.
#[derive(Debug, Default)]
pub(super) struct MaterialState {
    /// Per cell: demand at month 0 and its monthly growth factor.
    pub d0: Vec<f64>,
    pub q: Vec<f64>,
    /// `[cell * months + t]`: q^t (`Powers::table_into`, equal to `q.powi(t)` to the bit),
    /// one multiplication per month and cell at the start instead of a `powi` per solved month.
    pub q_pow: Vec<f64>,
    /// Per cell: stockpile (t) and whether it is at its target.
    pub stock: Vec<f64>,
    pub stock_full: Vec<bool>,
    /// `[stage][supplier]`: first month a producer shut by a flood is back.
    pub shut_until: Vec<Vec<u32>>,
    /// The latest of all `shut_until`: months before it are busy.
    pub any_shut_until: u32,
    /// Output rerouted by each supplier last month (for the ramp-up limit).
    pub rerouted_prev: Rows<f64>,
    /// Per cell: current run of short months, and shortfall summed by year.
    pub run: Vec<u32>,
    pub year_short: Vec<Vec<f64>>,
    /// Per cell: import gap summed by year.
    pub year_gap: Vec<Vec<f64>>,
    /// Episodes active this month, and the next of `MaterialCtx::episodes` to start.
    pub active: Vec<(usize, usize)>,
    pub next_episode: usize,
    /// The first month at which an active episode is over (`u32::MAX` with none active): the
    /// active list changes only then, so `calendar::next_step` filters it only then.
    pub next_end: u32,
    /// The material's need summed over cells at month 0 (for the growth index).
    pub need0: f64,
    /// Per cell: commercial inventory I_j (t), whether it is at its target, and the drawn
    /// cover c_j and room m_j (months of demand).
    pub inv: Vec<f64>,
    pub inv_full: Vec<bool>,
    pub cover: Vec<f64>,
    pub max_cover: Vec<f64>,
    /// Per new capacity of the material (`MaterialPlan::new_capacity` order): the month it
    /// comes online (infinite until a restart fires) and the run of months at a high price.
    pub cap_online: Vec<f64>,
    pub restart_run: Vec<u32>,
    /// Per processors' feed stock (`MaterialPlan::feed` order), per cell: what is left, t.
    pub feed: Vec<Vec<f64>>,
    /// `[cell * processes + local process]`: shortfall carried by each process on this path,
    /// t (tail attribution, `phase::attribute`).
    pub carried: Vec<f64>,
}

/// Working arrays and values of one month. Arrays indexed by supplier are reset at the end of the
/// month: `rerouted` and `is_touched` whole (`Rows`), the others only where they were written (the
/// `touched` suppliers).
#[derive(Debug, Default)]
pub(super) struct MonthScratch {
    /// `[stage][supplier]`: capacity factor f (phase 1–2).
    pub cap_factor: Vec<Vec<f64>>,
    /// `[stage][supplier * cells + cell]`: keep factor κ of trade measures (phase 1).
    pub keep: Vec<Vec<f64>>,
    pub spare: Vec<Vec<f64>>,
    pub shipped: Vec<Vec<f64>>,
    /// `[stage][cell]`: contracted volume lost (phase 3).
    pub lost: Vec<Vec<f64>>,
    /// Suppliers hit this month, and the same as a flag.
    pub touched: Vec<(u16, u16)>,
    pub is_touched: Rows<bool>,
    /// How many of `touched`, the first ones, were hit in phases 1–2 (the others were touched
    /// by rerouting only, which writes none of their capacity and keep factors, ration or freed
    /// output): set in phase 3.
    pub hit: usize,
    /// Output rerouted by each supplier this month (`calendar::end_month` swaps it with
    /// `MaterialState::rerouted_prev`: the two arrays trade buffers every solved month).
    pub rerouted: Rows<f64>,
    /// Output each touched supplier could not ship to blocs its trade measures target.
    pub freed: Vec<Vec<f64>>,
    /// Only for watched cap links: each supplier's rationing factor this month, and what it
    /// rerouted to each cell (`[stage][supplier * cells + cell]`).
    pub ration: Vec<Vec<f64>>,
    pub rerouted_to: Vec<Vec<f64>>,
    /// Per cell.
    pub need: Vec<f64>,
    pub demand: Vec<f64>,
    pub gap: Vec<f64>,
    pub released: Vec<f64>,
    pub lent: Vec<f64>,
    pub avail: Vec<f64>,
    pub claim: Vec<f64>,
    pub borrowed: Vec<f64>,
    pub substituted: Vec<f64>,
    /// The gap after substitution, before any stock is released.
    pub gap_before_stock: Vec<f64>,
    /// For `Trace` only.
    pub cell_months: Vec<CellMonth>,
    /// One cell's q^t table while `start` builds `MaterialState::q_pow`.
    pub q_row: Vec<f64>,
    /// Σ need, and need relative to month 0 (phase 0).
    pub need_total: f64,
    pub growth_index: f64,
    /// Flood factor φ (phase 1).
    pub flood: f64,
    /// Whether some stage lost contracted volume (phase 3).
    pub any_loss: bool,
    /// Σ gap after rerouting (phase 5).
    pub gap_total: f64,
    /// Per cell: restock claim ρ (phase 0), restocked Δ (phase 5), pre-bought B (phase 5b) and
    /// inventory used (phase 7), t.
    pub restock_claim: Vec<f64>,
    pub restocked: Vec<f64>,
    pub prebought: Vec<f64>,
    pub inv_used: Vec<f64>,
    /// Whether some cell claims restocking this month (phase 0).
    pub any_restock: bool,
    /// `[stage][supplier]`: new capacity online this month, t/month (zeros without any).
    pub new_cap: Vec<Vec<f64>>,
    /// Price ratio π and substitution share θ (phase 6).
    pub price_ratio: f64,
    pub substitution_share: f64,
    /// Per active episode: its direct cut of the cell being attributed (`phase::attribute`).
    pub cuts: Vec<f64>,
}

impl MonthScratch {
    /// Mark a supplier as hit this month (once).
    #[inline]
    pub fn touch(&mut self, si: usize, k: usize) {
        if !self.is_touched[si][k] {
            self.is_touched[si][k] = true;
            self.touched.push((si as u16, k as u16));
        }
    }
}

/// Initial state of a material (docs/model.md, "Initial state"), and the scratch sized for it.
/// Returns false when the material is calm all along (no episode, no floor, full stockpiles):
/// then nothing is recorded and the rest is not set up.
pub(super) fn start(
    cx: &MaterialCtx,
    params: &PathParams,
    s: &mut MaterialState,
    m: &mut MonthScratch,
) -> bool {
    let (mp, nj) = (cx.mp, cx.nj);
    // Stockpiles that start below target must refill, so the material is busy from month 0.
    let mut any_stock_not_full = false;
    s.inv.clear();
    s.inv_full.clear();
    s.cover.clear();
    s.max_cover.clear();
    s.d0.clear();
    s.q.clear();
    s.stock.clear();
    s.stock_full.clear();
    for j in 0..nj {
        let c = cx.cell(j);
        let g = params.growth[mp.cells[j]];
        s.d0.push(c.demand_t_per_month);
        s.q.push((1.0 + g).powf(1.0 / 12.0));
        let (stock, full) = match c.stockpile {
            Some(sp) => (
                sp.initial_months * c.demand_t_per_month,
                sp.initial_months >= sp.target_months,
            ),
            None => (0.0, true),
        };
        s.stock.push(stock);
        s.stock_full.push(full);
        // Commercial inventories start full: c_j months of month-0 demand.
        let (cover, room) = (params.cover[mp.cells[j]], params.max_cover[mp.cells[j]]);
        s.cover.push(cover);
        s.max_cover.push(room);
        s.inv.push(cover * c.demand_t_per_month);
        s.inv_full.push(true);
        any_stock_not_full |= !full;
    }
    if cx.episodes.is_empty() && mp.floors.is_empty() && !any_stock_not_full {
        return false;
    }
    let months = cx.model.months;
    s.q_pow.clear();
    for &q in &s.q {
        Powers::new(q).table_into(months, &mut m.q_row);
        s.q_pow.extend_from_slice(&m.q_row);
    }

    let ns = mp.stages.len();
    let years = cx.model.months.div_ceil(12);
    let per_supplier = || mp.stages.iter().map(|st| st.suppliers);
    let per_link = || mp.stages.iter().map(|st| st.suppliers * nj);
    // Month arrays that `calendar::end_month` returns to their fill value after every solved
    // month (or that each month writes before it reads them) are filled only when their shape
    // changes: after any solved material they already hold the fill.
    reuse2(&mut m.cap_factor, per_supplier(), 1.0);
    reuse2(&mut m.keep, per_link(), 1.0);
    reuse2(&mut m.spare, per_supplier(), 0.0);
    reuse2(&mut m.shipped, per_supplier(), 0.0);
    resize2(&mut m.lost, (0..ns).map(|_| nj), 0.0);
    resize2(&mut s.shut_until, per_supplier(), 0u32);
    resize2(&mut s.year_short, (0..nj).map(|_| years), 0.0);
    resize2(&mut s.year_gap, (0..nj).map(|_| years), 0.0);
    m.is_touched.reuse(per_supplier(), false);
    m.touched.clear();
    m.rerouted.reuse(per_supplier(), 0.0);
    s.rerouted_prev.reshape(per_supplier(), 0.0);
    reuse2(&mut m.freed, per_supplier(), 0.0);
    if cx.watching {
        reuse2(&mut m.ration, per_supplier(), 1.0);
        reuse2(&mut m.rerouted_to, per_link(), 0.0);
    }
    s.run.clear();
    s.run.resize(nj, 0);
    for v in [
        &mut m.need,
        &mut m.demand,
        &mut m.gap,
        &mut m.released,
        &mut m.lent,
        &mut m.avail,
        &mut m.claim,
        &mut m.borrowed,
        &mut m.substituted,
        &mut m.gap_before_stock,
        &mut m.restock_claim,
        &mut m.restocked,
        &mut m.prebought,
        &mut m.inv_used,
    ] {
        v.clear();
        v.resize(nj, 0.0);
    }
    s.active.clear();
    s.next_end = u32::MAX;
    m.any_restock = false;
    resize2(&mut m.new_cap, per_supplier(), 0.0);
    s.cap_online.clear();
    s.cap_online.extend(
        mp.new_capacity
            .iter()
            .map(|c| params.capacity_online[c.index]),
    );
    s.restart_run.clear();
    s.restart_run.resize(mp.new_capacity.len(), 0);

    s.need0 = (0..nj)
        .map(|j| s.d0[j] * (1.0 - cx.cell(j).recycling_start))
        .sum();
    // Processors' feed stocks start full: f_s months of each cell's need at month 0.
    s.feed.resize_with(mp.feed.len(), Vec::new);
    for (row, &(_, months)) in s.feed.iter_mut().zip(&mp.feed) {
        row.clear();
        row.extend((0..nj).map(|j| months * s.d0[j] * (1.0 - cx.cell(j).recycling_start)));
    }
    s.next_episode = 0;
    s.any_shut_until = 0;
    true
}

/// `resize2`, skipped when `v` already has the shape `sizes`. Only for month arrays that hold
/// `fill` everywhere between solved months (`calendar::end_month` resets what a month wrote, so
/// leaving them is the same as refilling them), or whose entries a month writes before it reads
/// them (`spare`, `shipped`).
fn reuse2<T: Copy>(
    v: &mut Vec<Vec<T>>,
    sizes: impl ExactSizeIterator<Item = usize> + Clone,
    fill: T,
) {
    let same_shape =
        v.len() == sizes.len() && v.iter().zip(sizes.clone()).all(|(r, n)| r.len() == n);
    if !same_shape {
        resize2(v, sizes, fill);
    }
}

fn resize2<T: Copy>(v: &mut Vec<Vec<T>>, sizes: impl ExactSizeIterator<Item = usize>, fill: T) {
    v.resize_with(sizes.len(), Vec::new);
    for (row, n) in v.iter_mut().zip(sizes) {
        row.clear();
        row.resize(n, fill);
    }
}
