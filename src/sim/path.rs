//! One disruption path: draw its parameters and events, then solve each material month by month.
//!
//! Pure: inputs are the model, the plan, the seed and the path index; output is a `PathRecord`.
//! Materials are independent given the timeline (allocation never crosses materials), so each
//! is solved on its own, and only in months where something is happening: a disruption is
//! active, spare capacity is still ramping, a stockpile is below target, a producer is shut, or
//! a price floor is paying. Other months are calm by construction (delivered = demand), so they
//! are skipped; see docs/model.md for the phases of a month and why this is exact.

use crate::model::{Cell, Model, MAX_BLOCS};
use crate::stats::accumulator::PathRecord;

use super::phase::calendar::{self, Step};
use super::phase::{
    attribute, cap_shift, capacity, demand, disrupt, feed, inventory, price, record, reroute, ship,
    stockpile, watch,
};
use super::plan::{MaterialPlan, Plan};
use super::state::{self, MaterialCtx, MaterialState, MonthScratch};
use super::timeline::{
    draw_params, draw_timeline, Episode, Needed, PathParams, Timeline, TimelineScratch,
};

/// What a replay sees of one solved month of one material.
#[derive(Debug, Clone, Default)]
pub struct CellMonth {
    /// Index of the (bloc, material) cell, in the kernel's cell order (`Model::cells`).
    pub cell: usize,
    /// Largest excess of any supplier's shipments over its available capacity this month
    /// (the same for every cell of the month; <= 0 when the allocation is physical).
    pub max_excess_shipment: f64,
    /// Stock lent to partner blocs under stockpile sharing.
    pub lent: f64,
    /// Demand this month, t.
    pub demand: f64,
    /// Demand met by recycling, t.
    pub recycled: f64,
    /// Demand met by primary supply shipped by suppliers, t.
    pub primary: f64,
    /// Demand met by substitutes, t.
    pub substituted: f64,
    /// Released from the bloc's own strategic stockpile, t.
    pub released: f64,
    /// Borrowed from partner blocs' stockpiles under stockpile sharing, t.
    pub borrowed: f64,
    /// Consumption shortfall: demand left unmet after every buffer, t.
    pub shortfall: f64,
    /// Strategic stockpile at the end of the month, t.
    pub stock: f64,
    /// Import gap IG_j(t): contracted supply that failed to arrive from disrupted suppliers,
    /// before rerouting and buffers (max over stages of the lost contracted volume), t.
    pub import_gap: f64,
    /// Volume pulled forward into the commercial inventory ahead of an announced measure, t.
    pub prebought: f64,
    /// Commercial inventory at the end of the month, t.
    pub inventory: f64,
    /// Commercial inventory used to cover the gap this month, t.
    pub inventory_used: f64,
}

/// Observer of a path, for `--replay-path`. The run uses `NoTrace`, which compiles away.
pub trait Trace {
    /// When false the kernel skips the observer calls and the month snapshots they need.
    const ON: bool;
    /// Called once per path with the drawn parameters and the timeline of episodes.
    fn timeline(&mut self, _timeline: &Timeline, _params: &PathParams) {}
    /// Called after each solved month of each material, with the price ratio to the base price.
    fn month(&mut self, _t: usize, _material: usize, _price_ratio: f64, _cells: &[CellMonth]) {}
}

/// The observer the runner uses: records nothing and compiles away.
pub struct NoTrace;
impl Trace for NoTrace {
    const ON: bool = false;
}

/// What the kernel writes of a path besides its headline figures (the cell records, price
/// peaks, floor costs and cap breaches, which it always writes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Recording {
    /// Also the monthly fan-chart points and the tail attribution: what `run` reports.
    #[default]
    Full,
    /// Neither: for experiments that read only headline metrics and cap breaches
    /// (docs/experiments.md, "Experiments record only what they read"). Nothing the headline
    /// figures are computed from is skipped, so they are `Full`'s to the bit.
    Headline,
}

/// Which materials of a path to solve and what to record of them: what a solver of the runner
/// asks beyond `simulate_path`'s inputs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope<'a> {
    /// Per material (plan order), whether to solve it; every material when `None`.
    pub materials: Option<&'a [bool]>,
    /// What to draw of the path: `Needed::of` the materials solved, or everything when `None`.
    /// A mask that leaves out something a solved material reads is a bug (NaN where it reads).
    pub draws: Option<&'a Needed>,
    pub recording: Recording,
}

/// Per-thread scratch, reused across paths so the hot loop does not allocate.
#[derive(Debug, Default)]
pub struct PathScratch {
    params: PathParams,
    timeline: Timeline,
    tl: TimelineScratch,
    /// Per material plan: (episode index, local process index) touching it.
    by_material: Vec<Vec<(usize, usize)>>,
    /// Per material plan: its state and month scratch. One each per material rather than one
    /// shared by all: materials differ in stages, suppliers and cells, and a shared scratch
    /// would free and allocate rows at every change of material (tests/alloc_free.rs).
    state: Vec<MaterialState>,
    month: Vec<MonthScratch>,
    /// Per material plan: phase 2c's copy of the plan and working arrays (empty without a cap
    /// that binds later).
    shift: Vec<cap_shift::ShiftScratch>,
}

/// A month's gap counts as a shortfall (in tonnes, months short, runs, first shortfall and
/// "any shortfall") when it exceeds this share of the month's demand; smaller gaps are
/// rounding-sized and are not recorded.
pub const SHORT_MONTH_SHARE: f64 = 1e-4;

/// Simulate one path: draw its parameters and timeline from the streams of (`seed`, `path`),
/// run the month loop over every material, and leave the path's results in `record`
/// (cleared first). `trace` sees each month when it is on. Deterministic in its arguments.
pub fn simulate_path<T: Trace>(
    model: &Model,
    plan: &Plan,
    seed: u64,
    path: u64,
    scratch: &mut PathScratch,
    record: &mut PathRecord,
    trace: &mut T,
) {
    simulate_path_of(
        model,
        plan,
        (seed, path),
        scratch,
        record,
        trace,
        Scope::default(),
    );
}

/// `simulate_path` within `scope`. Solving only the materials `scope.materials` marks, the
/// others are left unsolved (nothing recorded for them), and only what `scope.draws` marks is
/// drawn of the parameters and the timeline; each solved material's results are those
/// `simulate_path` gives it, to the bit: materials are independent given the timeline (see the
/// top of this file), and what they read of it is drawn as in the full draw (`Needed`).
/// Experiments use it to re-solve only what a variant changes (`experiment::reuse`).
/// With `Recording::Headline` the record holds no monthly points and no attribution entries.
pub(crate) fn simulate_path_in(
    model: &Model,
    plan: &Plan,
    (seed, path): (u64, u64),
    scratch: &mut PathScratch,
    record: &mut PathRecord,
    scope: Scope,
) {
    simulate_path_of(
        model,
        plan,
        (seed, path),
        scratch,
        record,
        &mut NoTrace,
        scope,
    );
}

fn simulate_path_of<T: Trace>(
    model: &Model,
    plan: &Plan,
    (seed, path): (u64, u64),
    scratch: &mut PathScratch,
    record: &mut PathRecord,
    trace: &mut T,
    scope: Scope,
) {
    draw_path(model, plan, (seed, path), scratch, scope.draws);
    if T::ON {
        trace.timeline(&scratch.timeline, &scratch.params);
    }
    solve_materials(model, plan, path, scratch, record, trace, scope);
}

/// The first half of `simulate_path_in`: draw the path's parameters and timeline from the
/// streams of (`seed`, `path`) into `scratch`, only what `draws` marks (everything when
/// `None`).
pub(crate) fn draw_path(
    model: &Model,
    plan: &Plan,
    (seed, path): (u64, u64),
    scratch: &mut PathScratch,
    draws: Option<&Needed>,
) {
    draw_path_params(model, plan, (seed, path), scratch, draws);
    draw_timeline(
        model,
        &plan.keys,
        (seed, path),
        &scratch.params,
        &mut scratch.tl,
        &mut scratch.timeline,
    );
}

/// `draw_path` for a model whose processes draw their episodes exactly as another model's,
/// whose full draw of this path gave `episodes`: the parameters `draws` marks are drawn (it
/// marks no process: their rates only decide the episodes), and the episodes are `episodes`,
/// which are this model's draw of them to the bit (same definitions, tension chain, streams and
/// order: `experiment::reuse`). The timeline's regimes are left empty: they too only decide
/// the episodes, and the month solve does not read them.
pub(crate) fn draw_path_taking_episodes(
    model: &Model,
    plan: &Plan,
    (seed, path): (u64, u64),
    scratch: &mut PathScratch,
    draws: &Needed,
    episodes: &[Episode],
) {
    debug_assert!(!draws.processes.contains(&true));
    draw_path_params(model, plan, (seed, path), scratch, Some(draws));
    scratch.timeline.regime.clear();
    scratch.timeline.episodes.clear();
    scratch.timeline.episodes.extend_from_slice(episodes);
}

/// The path's parameters into `scratch`: what `draws` marks (everything when `None`).
fn draw_path_params(
    model: &Model,
    plan: &Plan,
    (seed, path): (u64, u64),
    scratch: &mut PathScratch,
    draws: Option<&Needed>,
) {
    draw_params(
        model,
        &plan.keys,
        (seed, path),
        draws,
        &mut scratch.tl,
        &mut scratch.params,
    );
}

/// The second half of `simulate_path_in`: solve path `path`'s materials that
/// `scope.materials` marks on the draws `draw_path` left in `scratch`, which must cover what
/// they read (`scope.draws` is not read here). Experiments that look at a path's episodes
/// before deciding what to solve draw, look (`drawn_timeline`), then solve.
pub(crate) fn solve_drawn(
    model: &Model,
    plan: &Plan,
    path: u64,
    scratch: &mut PathScratch,
    record: &mut PathRecord,
    scope: Scope,
) {
    solve_materials(model, plan, path, scratch, record, &mut NoTrace, scope);
}

/// The path's episodes as `draw_path` left them in `scratch`.
pub(crate) fn drawn_timeline(scratch: &PathScratch) -> &Timeline {
    &scratch.timeline
}

/// Whether a material's episodes are the same in two lists of a path's episodes drawn from two
/// models whose plans of it agree but for the processes that touch it, ours being the base's
/// with some left out (switched off), and for how their processes are numbered (`rename`: the
/// base's number to ours, `u32::MAX` for one we do not have): the episodes touching it (those
/// of the processes in its plan, `MaterialPlan::processes`, the ones the month loop reads) in
/// timeline order, each of the same process with every other field the same to the bit. So a
/// process we left out had no episode. The month loop reads nothing else of the timeline.
pub(crate) fn same_episodes(
    (ours_plan, ours): (&MaterialPlan, &[Episode]),
    (base_plan, base): (&MaterialPlan, &[Episode]),
    rename: &[u32],
) -> bool {
    let mut xs = touching(ours_plan, ours).map(|ep| (ep.process, ep));
    let mut ys = touching(base_plan, base).map(|ep| (rename[ep.process as usize], ep));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return true,
            (Some((px, x)), Some((py, y))) if px == py && x.same_but_process(y) => {}
            _ => return false,
        }
    }
}

/// The episodes touching the material of `mp`, in order (those `simulate_path_of` lists for it).
fn touching<'a>(
    mp: &'a MaterialPlan,
    episodes: &'a [Episode],
) -> impl Iterator<Item = &'a Episode> {
    episodes
        .iter()
        .filter(move |ep| mp.processes.iter().any(|h| h.process == ep.process))
}

/// Path `path`'s record with no material solved: cleared, with its parameter set. What
/// `solve_drawn` gives with no material marked, without reading a draw: experiments that know a
/// path's results without drawing it (`experiment::reuse`) start from it.
pub(crate) fn unsolved(model: &Model, path: u64, record: &mut PathRecord) {
    record.clear();
    if model.parameter_sets > 0 {
        record.param_set = (path % model.parameter_sets as u64) as u32;
    }
}

/// Solve the materials `scope.materials` marks on the drawn path in `scratch`, into `record`
/// (cleared first).
fn solve_materials<T: Trace>(
    model: &Model,
    plan: &Plan,
    path: u64,
    scratch: &mut PathScratch,
    record: &mut PathRecord,
    trace: &mut T,
    scope: Scope,
) {
    unsolved(model, path, record);
    scratch
        .by_material
        .resize_with(plan.materials.len(), Vec::new);
    scratch.by_material.iter_mut().for_each(Vec::clear);
    for (e, ep) in scratch.timeline.episodes.iter().enumerate() {
        for &(mi, local) in &plan.process_locals[ep.process as usize] {
            scratch.by_material[mi].push((e, local));
        }
    }
    let n = plan.materials.len();
    scratch.state.resize_with(n, MaterialState::default);
    scratch.month.resize_with(n, MonthScratch::default);
    scratch.shift.resize_with(n, Default::default);
    for (mi, mp) in plan.materials.iter().enumerate() {
        if scope.materials.is_some_and(|only| !only[mi]) {
            continue;
        }
        let episodes = std::mem::take(&mut scratch.by_material[mi]);
        let mut cells_buf = None;
        let cx = MaterialCtx {
            model,
            mp,
            all_episodes: &scratch.timeline.episodes,
            episodes: &episodes,
            nj: mp.cells.len(),
            watching: !mp.watches.is_empty(),
            cells: local_cells(model, mp, &mut cells_buf),
        };
        let (s, m, shift) = (
            &mut scratch.state[mi],
            &mut scratch.month[mi],
            &mut scratch.shift[mi],
        );
        // Decided once per material, not in the month loop: each recording has its own loop.
        match scope.recording {
            Recording::Full => {
                simulate_material::<T, true>(&cx, &scratch.params, s, m, shift, record, trace);
            }
            Recording::Headline => {
                simulate_material::<T, false>(&cx, &scratch.params, s, m, shift, record, trace);
            }
        }
        scratch.by_material[mi] = episodes;
    }
    if scope.recording == Recording::Headline {
        // Phase 7 writes the stockpile drawdown points whatever the recording (the fold would
        // skip them anyway): dropped here, so that a headline record holds no monthly point.
        record.monthly.clear();
    }
}

/// The model cells of a material's local cells, in local order, held in `buf` (on the caller's
/// stack: a material has at most `MAX_BLOCS` cells, and the path loop does not allocate).
fn local_cells<'a, 'b>(
    model: &'a Model,
    mp: &MaterialPlan,
    buf: &'b mut Option<[&'a Cell; MAX_BLOCS]>,
) -> &'b [&'a Cell] {
    let lookup = |j: usize| {
        model.cells[mp.blocs[j]][mp.material]
            .as_ref()
            .expect("plan cells exist")
    };
    let nj = mp.blocs.len();
    if nj == 0 {
        return &[];
    }
    let cells = buf.insert([lookup(0); MAX_BLOCS]);
    for (j, cell) in cells.iter_mut().enumerate().take(nj).skip(1) {
        *cell = lookup(j);
    }
    &cells[..nj]
}

/// One material through the horizon: the month loop of docs/model.md, "The month solve", one
/// call per phase in the document's order, over the busy months only. `FULL`: also record the
/// monthly points and attribute the shortfall (`Recording::Full`); neither feeds anything else.
fn simulate_material<T: Trace, const FULL: bool>(
    cx: &MaterialCtx,
    params: &PathParams,
    s: &mut MaterialState,
    m: &mut MonthScratch,
    shift: &mut cap_shift::ShiftScratch,
    record: &mut PathRecord,
    trace: &mut T,
) {
    cap_shift::start(cx, shift);
    if cx.nj == 0 || !state::start(cx, params, s, m) {
        cap_shift::finish(cx, params, s, shift, record);
        return; // Calm all along: nothing else to record.
    }
    if FULL {
        attribute::start(cx, s);
    }
    let mut t = 0usize;
    while t < cx.model.months {
        match calendar::next_step(cx, s, t) {
            Step::Solve => {}
            Step::JumpTo(next) => {
                t = next;
                continue;
            }
            Step::Stop => break,
        }
        let (inventories, new_capacity) = (cx.mp.has_inventory, !cx.mp.new_capacity.is_empty());
        demand::demand(cx, s, m, t);
        if inventories {
            inventory::restock_claim(cx, s, m);
        }
        disrupt::disruptions(cx, s, m, t);
        disrupt::flood_shutdowns(cx, s, m, t);
        if new_capacity {
            capacity::new_capacity(cx, s, m, t);
        }
        // From the month a later-binding cap binds, the month's phases read its shifted plan.
        let shifted = cap_shift::month(cx, params, shift, m, t);
        let cx = shifted.as_ref().unwrap_or(cx);
        ship::contracted_flows(cx, m);
        if !cx.mp.feed.is_empty() {
            feed::feed_stocks(cx, s, m);
        }
        reroute::reroute(cx, s, m);
        reroute::bottleneck(cx, m);
        if inventories {
            inventory::restock(cx, s, m);
            if cx.mp.announced {
                inventory::prebuy(cx, s, m, t);
            }
        }
        watch::cap_breaches(cx, m, t, record);
        price::price_and_substitution(cx, m);
        if new_capacity {
            capacity::restart_counters(cx, s, m, t);
        }
        stockpile::substitute(cx, m);
        if inventories {
            inventory::use_inventory(cx, s, m);
        }
        stockpile::release(cx, s, m);
        stockpile::share(cx, s, m);
        stockpile::refill(cx, s, m, t, record);
        record::record_month::<FULL>(cx, s, m, t, record);
        if FULL {
            attribute::attribute_month(cx, s, m, t);
        }
        record::price_floors(cx, s, m, t, record);
        if T::ON {
            let max_excess = ship::max_excess_shipment(cx, m);
            record::cell_months(cx, s, m, max_excess);
            trace.month(t, cx.mp.material, m.price_ratio, &m.cell_months);
        }
        calendar::end_month(cx, s, m);
        t += 1;
    }
    record::horizon_totals(cx, s, record);
    if FULL {
        attribute::horizon(cx, s, record);
    }
    cap_shift::finish(cx, params, s, shift, record);
}
