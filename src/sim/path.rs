//! One disruption path: draw its parameters and events, then solve each material month by month.
//!
//! Pure: inputs are the model, the plan, the seed and the path index; output is a `PathRecord`.
//! Materials are independent given the timeline (allocation never crosses materials), so each
//! is solved on its own, and only in months where something is happening: a disruption is
//! active, spare capacity is still ramping, a stockpile is below target, a producer is shut, or
//! a price floor is paying. Other months are calm by construction (delivered = demand), so they
//! are skipped; see docs/model.md for the phases of a month and why this is exact.

use crate::model::{Effect, Model};
use crate::stats::accumulator::{MonthlyPoint, PathRecord, Series};

use super::plan::{MaterialPlan, Plan, StagePlan};
use super::timeline::{draw_params, draw_timeline, Episode, PathParams, Timeline, TimelineScratch};

/// What a replay sees of one solved month of one material.
#[derive(Debug, Clone, Default)]
pub struct CellMonth {
    pub cell: usize,
    /// Largest excess of any supplier's shipments over its available capacity this month
    /// (the same for every cell of the month; <= 0 when the allocation is physical).
    pub max_excess_shipment: f64,
    /// Stock lent to partner blocs under stockpile sharing.
    pub lent: f64,
    pub demand: f64,
    pub recycled: f64,
    pub primary: f64,
    pub substituted: f64,
    pub released: f64,
    pub borrowed: f64,
    pub shortfall: f64,
    pub stock: f64,
}

/// Observer of a path, for `--replay-path`. The run uses `NoTrace`, which compiles away.
pub trait Trace {
    const ON: bool;
    fn timeline(&mut self, _timeline: &Timeline, _params: &PathParams) {}
    fn month(&mut self, _t: usize, _material: usize, _price_ratio: f64, _cells: &[CellMonth]) {}
}

pub struct NoTrace;
impl Trace for NoTrace {
    const ON: bool = false;
}

/// Per-thread scratch, reused across paths so the hot loop does not allocate.
#[derive(Debug, Default)]
pub struct PathScratch {
    params: PathParams,
    timeline: Timeline,
    tl: TimelineScratch,
    /// Per material plan: (episode index, local process index) touching it.
    by_material: Vec<Vec<(usize, usize)>>,
    m: MaterialScratch,
}

#[derive(Debug, Default)]
struct MaterialScratch {
    active: Vec<(usize, usize)>,
    cap_factor: Vec<Vec<f64>>,
    keep: Vec<Vec<f64>>,
    spare: Vec<Vec<f64>>,
    shipped: Vec<Vec<f64>>,
    lost: Vec<Vec<f64>>,
    shut_until: Vec<Vec<u32>>,
    d0: Vec<f64>,
    q: Vec<f64>,
    stock: Vec<f64>,
    stock_full: Vec<bool>,
    year_short: Vec<Vec<f64>>,
    run: Vec<u32>,
    cell_months: Vec<CellMonth>,
    need: Vec<f64>,
    demand: Vec<f64>,
    gap: Vec<f64>,
    released: Vec<f64>,
    lent: Vec<f64>,
    touched: Vec<(u16, u16)>,
    is_touched: Vec<Vec<bool>>,
    avail: Vec<f64>,
    claim: Vec<f64>,
    /// Output rerouted by each supplier this month and last month (for the ramp-up limit).
    rerouted: Vec<Vec<f64>>,
    rerouted_prev: Vec<Vec<f64>>,
    /// Output each touched supplier could not ship to blocs its trade measures target.
    freed: Vec<Vec<f64>>,
    /// Only for watched cap links: each supplier's rationing factor this month, and what it
    /// rerouted to each cell (`[stage][supplier * cells + cell]`).
    ration: Vec<Vec<f64>>,
    rerouted_to: Vec<Vec<f64>>,
}

/// Relative size below which a gap is rounding dust, not a shortfall.
const EPS: f64 = 1e-9;
/// A month's gap counts as a shortfall (in tonnes, months short, runs, first shortfall and
/// "any shortfall") when it exceeds this share of the month's demand; smaller gaps are
/// rounding-sized and are not recorded.
pub const SHORT_MONTH_SHARE: f64 = 1e-4;

pub fn simulate_path<T: Trace>(
    model: &Model,
    plan: &Plan,
    seed: u64,
    path: u64,
    scratch: &mut PathScratch,
    record: &mut PathRecord,
    trace: &mut T,
) {
    record.clear();
    draw_params(
        model,
        &plan.keys,
        seed,
        path,
        &mut scratch.tl,
        &mut scratch.params,
    );
    draw_timeline(
        model,
        &plan.keys,
        seed,
        path,
        &scratch.params,
        &mut scratch.tl,
        &mut scratch.timeline,
    );
    if T::ON {
        trace.timeline(&scratch.timeline, &scratch.params);
    }

    scratch
        .by_material
        .resize_with(plan.materials.len(), Vec::new);
    scratch.by_material.iter_mut().for_each(Vec::clear);
    for (e, ep) in scratch.timeline.episodes.iter().enumerate() {
        for &mi in &plan.process_materials[ep.process as usize] {
            let mp = &plan.materials[mi];
            if let Some(local) = mp.processes.iter().position(|p| p.process == ep.process) {
                scratch.by_material[mi].push((e, local));
            }
        }
    }
    for (mi, mp) in plan.materials.iter().enumerate() {
        let episodes = std::mem::take(&mut scratch.by_material[mi]);
        simulate_material(
            model,
            mp,
            &scratch.timeline.episodes,
            &episodes,
            &scratch.params,
            &mut scratch.m,
            record,
            trace,
        );
        scratch.by_material[mi] = episodes;
    }
}

// Index loops over parallel per-cell arrays read more clearly than zipped iterators here.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
fn simulate_material<T: Trace>(
    model: &Model,
    mp: &MaterialPlan,
    all_episodes: &[Episode],
    episodes: &[(usize, usize)],
    params: &PathParams,
    s: &mut MaterialScratch,
    record: &mut PathRecord,
    trace: &mut T,
) {
    let months = model.months;
    let nj = mp.cells.len();
    if nj == 0 {
        return;
    }
    let cell_model = |j: usize| {
        model.cells[mp.blocs[j]][mp.material]
            .as_ref()
            .expect("plan cells exist")
    };
    // Stockpiles that start below target must refill, so the material is busy from month 0.
    let mut any_stock_not_full = false;
    s.d0.clear();
    s.q.clear();
    s.stock.clear();
    s.stock_full.clear();
    for j in 0..nj {
        let c = cell_model(j);
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
        any_stock_not_full |= !full;
    }
    if episodes.is_empty() && mp.floors.is_empty() && !any_stock_not_full {
        return; // Calm all along: nothing to record.
    }

    let ns = mp.stages.len();
    let years = months.div_ceil(12);
    resize2(
        &mut s.cap_factor,
        mp.stages.iter().map(|st| st.suppliers),
        1.0,
    );
    resize2(
        &mut s.keep,
        mp.stages.iter().map(|st| st.suppliers * nj),
        1.0,
    );
    resize2(&mut s.spare, mp.stages.iter().map(|st| st.suppliers), 0.0);
    resize2(&mut s.shipped, mp.stages.iter().map(|st| st.suppliers), 0.0);
    resize2(&mut s.lost, (0..ns).map(|_| nj), 0.0);
    resize2(
        &mut s.shut_until,
        mp.stages.iter().map(|st| st.suppliers),
        0u32,
    );
    resize2(&mut s.year_short, (0..nj).map(|_| years), 0.0);
    resize2(
        &mut s.is_touched,
        mp.stages.iter().map(|st| st.suppliers),
        false,
    );
    s.touched.clear();
    resize2(
        &mut s.rerouted,
        mp.stages.iter().map(|st| st.suppliers),
        0.0,
    );
    resize2(
        &mut s.rerouted_prev,
        mp.stages.iter().map(|st| st.suppliers),
        0.0,
    );
    resize2(&mut s.freed, mp.stages.iter().map(|st| st.suppliers), 0.0);
    let watching = !mp.watches.is_empty();
    if watching {
        resize2(&mut s.ration, mp.stages.iter().map(|st| st.suppliers), 1.0);
        resize2(
            &mut s.rerouted_to,
            mp.stages.iter().map(|st| st.suppliers * nj),
            0.0,
        );
    }
    s.run.clear();
    s.run.resize(nj, 0);
    for v in [
        &mut s.need,
        &mut s.demand,
        &mut s.gap,
        &mut s.released,
        &mut s.lent,
        &mut s.avail,
        &mut s.claim,
    ] {
        v.clear();
        v.resize(nj, 0.0);
    }
    s.active.clear();

    let need0: f64 = (0..nj)
        .map(|j| s.d0[j] * (1.0 - cell_model(j).recycling_start))
        .sum();
    let mut next_episode = 0usize;
    let mut any_shut_until = 0u32;
    let horizon_span = (months.max(2) - 1) as f64;

    let mut t = 0usize;
    while t < months {
        let tu = t as u32;
        while next_episode < episodes.len() && all_episodes[episodes[next_episode].0].start <= tu {
            s.active.push(episodes[next_episode]);
            next_episode += 1;
        }
        s.active.retain(|&(e, _)| all_episodes[e].end_month() > tu);
        let stocks_full = s.stock_full.iter().all(|&f| f);
        let busy =
            !s.active.is_empty() || !stocks_full || any_shut_until > tu || !mp.floors.is_empty();
        if !busy {
            // A calm month breaks every run of short months, and nothing is rerouted in it:
            // the ramp-up limit starts afresh.
            s.run.iter_mut().for_each(|r| *r = 0);
            for row in &mut s.rerouted_prev {
                row.iter_mut().for_each(|x| *x = 0.0);
            }
            match episodes.get(next_episode) {
                Some(&(e, _)) => {
                    t = all_episodes[e].start as usize;
                    continue;
                }
                None => break,
            }
        }

        // Demand and need this month.
        let frac = t as f64 / horizon_span;
        let mut need_total = 0.0;
        for j in 0..nj {
            let c = cell_model(j);
            let d = s.d0[j] * s.q[j].powi(t as i32);
            let r = c.recycling_start + (c.recycling_end - c.recycling_start) * frac;
            s.demand[j] = d;
            s.need[j] = d * (1.0 - r);
            need_total += s.need[j];
            if s.stock_full[j] {
                // A full stockpile tracks its target as demand grows.
                if let Some(sp) = c.stockpile {
                    s.stock[j] = s.stock[j].max(sp.target_months * d);
                }
            }
        }
        let growth_index = if need0 > 0.0 { need_total / need0 } else { 1.0 };

        // Phase 1: apply active disruptions to capacity, exports and price. Only the suppliers
        // they hit ("touched") are visited; every other supplier ships its contracts in full.
        let mut flood = 1.0;
        for &(e, local) in &s.active {
            let ep = &all_episodes[e];
            let sev = ep.severity * ep.exposure(tu);
            if sev <= 0.0 {
                continue;
            }
            let ph = &mp.processes[local];
            if ph.effect == Effect::Flood {
                flood *= 1.0 - sev;
                continue;
            }
            for h in &ph.hits {
                let (si, k) = (h.stage as usize, h.supplier as usize);
                touch(&mut s.touched, &mut s.is_touched, si, k);
                if ph.effect == Effect::Capacity {
                    s.cap_factor[si][k] *= 1.0 - sev;
                } else {
                    let row = &mut s.keep[si][k * nj..(k + 1) * nj];
                    for (j, x) in row.iter_mut().enumerate() {
                        if h.cells & (1 << j) != 0 {
                            *x *= 1.0 - sev;
                        }
                    }
                }
            }
        }
        // Phase 2: during a market flood, producers whose cost exceeds what they are paid (the
        // flooded price, or their price floor) shut, and restart only after their ramp-up time
        // once the flood is over. During the flood the flooder serves their customers;
        // afterwards their capacity is missing until they restart.
        if mp.has_costs {
            let market = mp.base_price * flood;
            for (si, st) in mp.stages.iter().enumerate() {
                for k in 0..st.suppliers {
                    let cost = st.unit_cost[k];
                    if flood < 1.0 && cost > 0.0 && market.max(st.floor_price[k]) < cost {
                        let until = tu + 1 + st.ramp_up_months[k].ceil() as u32;
                        s.shut_until[si][k] = s.shut_until[si][k].max(until);
                        any_shut_until = any_shut_until.max(until);
                    }
                    if s.shut_until[si][k] > tu && flood >= 1.0 {
                        touch(&mut s.touched, &mut s.is_touched, si, k);
                        s.cap_factor[si][k] = 0.0;
                    }
                }
            }
        }

        // Phase 3: contracted flows of touched suppliers. A supplier's calm output (the larger of
        // its production and the blocs' contracts) is rationed pro rata when a disruption cuts
        // its capacity below it; trade measures then cut the blocs they target. What it cannot
        // ship to targeted blocs joins its spare. Untouched suppliers ship their contracts.
        for lost in &mut s.lost {
            lost.iter_mut().for_each(|l| *l = 0.0);
        }
        for &(si, k) in &s.touched {
            let (si, k) = (si as usize, k as usize);
            let st = &mp.stages[si];
            let shares = &st.share[k * nj..(k + 1) * nj];
            let committed: f64 = shares.iter().zip(&s.need).map(|(a, n)| a * n).sum();
            let scale = supplier_scale(st, k, committed, growth_index);
            let output = st.output0[k] * scale;
            let cap = st.capacity0[k] * scale * s.cap_factor[si][k];
            let ration = if output > cap { cap / output } else { 1.0 };
            if watching {
                s.ration[si][k] = ration;
            }
            let keep = &s.keep[si][k * nj..(k + 1) * nj];
            let mut shipped = 0.0;
            for j in 0..nj {
                let contract = shares[j] * s.need[j];
                let v = contract * ration * keep[j];
                s.lost[si][j] += contract - v;
                shipped += v;
            }
            s.shipped[si][k] = shipped;
            // Output freed by trade measures is already produced: it can be redirected at once.
            s.freed[si][k] = (0..nj)
                .map(|j| shares[j] * s.need[j] * ration * (1.0 - keep[j]))
                .sum();
            // Output to unmodelled uses keeps its (rationed) share; the rest is spare.
            let other_uses = (output - committed).max(0.0) * ration;
            s.spare[si][k] = (cap - other_uses - shipped).max(0.0);
        }
        let mut any_loss = false;
        for si in 0..ns {
            for j in 0..nj {
                if s.lost[si][j] > EPS * s.need[j].max(EPS) {
                    any_loss = true;
                } else {
                    s.lost[si][j] = 0.0;
                }
            }
        }

        // Phase 4: rerouting, stage by stage from upstream. A bloc claims at a stage only what
        // it can use: what reaches it from upstream, less what this stage still ships it.
        // Spare goes to partners (and the bloc's own members) first, then to everyone, pro rata
        // to claims. A supplier's rerouted output can rise by at most spare/ramp-up months per
        // month (it can fall at once), so spare comes online gradually after each escalation.
        for j in 0..nj {
            s.avail[j] = s.need[j];
        }
        let mut gap_total = 0.0;
        if any_loss {
            for (si, st) in mp.stages.iter().enumerate() {
                let mut any_claim = false;
                for j in 0..nj {
                    let received = s.need[j] - s.lost[si][j];
                    s.claim[j] = (s.avail[j] - received).max(0.0);
                    any_claim |= s.claim[j] > 0.0;
                }
                if any_claim {
                    // Spare of untouched suppliers, from their calm contracts.
                    for k in 0..st.suppliers {
                        if !s.is_touched[si][k] {
                            let committed: f64 = st.share[k * nj..(k + 1) * nj]
                                .iter()
                                .zip(&s.need)
                                .map(|(a, n)| a * n)
                                .sum();
                            let scale = supplier_scale(st, k, committed, growth_index);
                            s.shipped[si][k] = committed;
                            s.spare[si][k] = (st.capacity0[k] - st.output0[k]).max(0.0) * scale;
                        }
                    }
                    for tier_priority in [true, false] {
                        for k in 0..st.suppliers {
                            let ramp = st.ramp_up_months[k];
                            let limit = if ramp <= 0.0 {
                                f64::INFINITY
                            } else {
                                s.rerouted_prev[si][k]
                                    + st.spare_rate0[k] * growth_index / ramp
                                    + s.freed[si][k]
                            };
                            let avail = s.spare[si][k].min(limit - s.rerouted[si][k]);
                            if avail <= 0.0 {
                                continue;
                            }
                            let keep = &s.keep[si][k * nj..(k + 1) * nj];
                            let mut eligible = 0u64;
                            let mut total = 0.0;
                            for j in 0..nj {
                                let prio = st.priority_cells[k] & (1 << j) != 0;
                                if s.claim[j] > 0.0 && keep[j] >= 1.0 && prio == tier_priority {
                                    eligible |= 1 << j;
                                    total += s.claim[j];
                                }
                            }
                            if total <= 0.0 {
                                continue;
                            }
                            let give = avail.min(total);
                            if watching {
                                let to = &mut s.rerouted_to[si][k * nj..(k + 1) * nj];
                                for (j, x) in to.iter_mut().enumerate() {
                                    if eligible & (1 << j) != 0 {
                                        *x += give * s.claim[j] / total;
                                    }
                                }
                            }
                            for (j, c) in s.claim.iter_mut().enumerate() {
                                if eligible & (1 << j) != 0 {
                                    *c -= give * *c / total;
                                }
                            }
                            s.spare[si][k] -= give;
                            s.shipped[si][k] += give;
                            s.rerouted[si][k] += give;
                            touch(&mut s.touched, &mut s.is_touched, si, k);
                        }
                    }
                }
                for j in 0..nj {
                    let received = s.need[j] - s.lost[si][j];
                    s.avail[j] =
                        s.avail[j].min(received + (s.avail[j] - received).max(0.0) - s.claim[j]);
                }
            }
        }
        // Phase 5: a bloc receives what its bottleneck stage delivers (fixed proportions).
        for j in 0..nj {
            s.gap[j] = (s.need[j] - s.avail[j]).clamp(0.0, s.need[j]);
            gap_total += s.gap[j];
        }
        // Watched cap links: one third country's share of what the bloc receives at the stage
        // (contracts as rationed and cut, plus what was rerouted to it) and of its recycling.
        // Only months whose status differs from a calm month's are recorded.
        for w in &mp.watches {
            let (j, si) = (w.cell, w.stage);
            let st = &mp.stages[si];
            let mut total = s.demand[j] - s.need[j];
            let mut top_third = 0.0f64;
            for k in 0..st.suppliers {
                let received =
                    st.share[k * nj + j] * s.need[j] * s.ration[si][k] * s.keep[si][k * nj + j]
                        + s.rerouted_to[si][k * nj + j];
                total += received;
                if w.third[k] {
                    top_third = top_third.max(received);
                }
            }
            let breached =
                total > 0.0 && top_third / total > w.level + super::plan::BREACH_TOLERANCE;
            if breached != w.calm_breach[t] {
                record.cap_flips.push((w.index, tu));
            }
        }

        let mut max_excess = 0.0f64;
        if T::ON {
            for &(si, k) in &s.touched {
                let (si, k) = (si as usize, k as usize);
                let st = &mp.stages[si];
                let committed: f64 = st.share[k * nj..(k + 1) * nj]
                    .iter()
                    .zip(&s.need)
                    .map(|(a, n)| a * n)
                    .sum();
                let scale = supplier_scale(st, k, committed, growth_index);
                let cap = st.capacity0[k] * scale * s.cap_factor[si][k];
                let other_uses = (st.output0[k] * scale - committed).max(0.0)
                    * (cap / (st.output0[k] * scale)).min(1.0);
                max_excess = max_excess.max(s.shipped[si][k] + other_uses - cap);
            }
        }

        // Phase 6: price from the world gap; demand gives way by substitution.
        let scarcity = if need_total > 0.0 {
            gap_total / need_total
        } else {
            0.0
        };
        let price_ratio = flood * (1.0 + mp.scarcity_sensitivity * scarcity);
        let substitution_share =
            (mp.demand_elasticity * (price_ratio - 1.0).max(0.0)).min(mp.max_substitution);

        // Phase 7: stockpiles release (own first, then partners' under sharing) and refill.
        let mut borrowed = [0.0f64; 64];
        let mut substituted = [0.0f64; 64];
        let mut gap_before_stock = [0.0f64; 64];
        for j in 0..nj {
            let subst = (substitution_share * s.demand[j]).min(s.gap[j]);
            substituted[j] = subst;
            s.gap[j] -= subst;
            gap_before_stock[j] = s.gap[j];
            s.released[j] = 0.0;
            s.lent[j] = 0.0;
            let c = cell_model(j);
            if let Some(sp) = c.stockpile {
                let realised = s.demand[j] - subst;
                if s.gap[j] > sp.release_threshold_share * realised && s.gap[j] > 0.0 {
                    let r = s.stock[j]
                        .min(sp.max_release_share * realised)
                        .min(s.gap[j]);
                    s.stock[j] -= r;
                    s.released[j] = r;
                    s.gap[j] -= r;
                }
            }
        }
        if mp.lends_to.iter().any(|&m| m != 0) {
            for j in 0..nj {
                // A borrower draws on partners under the same threshold as on its own stock.
                let threshold = cell_model(j)
                    .stockpile
                    .map_or(0.0, |sp| sp.release_threshold_share);
                if s.gap[j] <= threshold * (s.demand[j] - substituted[j]) || s.gap[j] <= 0.0 {
                    continue;
                }
                for l in 0..nj {
                    if mp.lends_to[l] & (1 << j) == 0 || s.gap[l] > 0.0 {
                        continue;
                    }
                    let Some(sp) = cell_model(l).stockpile else {
                        continue;
                    };
                    let room = (sp.max_release_share * (s.demand[l] - substituted[l])
                        - s.released[l]
                        - s.lent[l])
                        .max(0.0);
                    let lend = s.stock[l].min(room).min(s.gap[j]);
                    if lend > 0.0 {
                        s.stock[l] -= lend;
                        s.lent[l] += lend;
                        s.gap[j] -= lend;
                        borrowed[j] += lend;
                    }
                }
            }
        }
        for j in 0..nj {
            let c = cell_model(j);
            if let Some(sp) = c.stockpile {
                let target = sp.target_months * s.demand[j];
                // Refill only from a fully supplied market (no gap even before substitution).
                if gap_before_stock[j] + substituted[j] <= 0.0
                    && s.released[j] + s.lent[j] <= 0.0
                    && s.stock[j] < target
                {
                    s.stock[j] = (s.stock[j] + target / sp.refill_months).min(target);
                }
                s.stock_full[j] = s.stock[j] >= target * (1.0 - 1e-12);
                if s.released[j] + s.lent[j] > 0.0 && s.stock[j] <= EPS * s.demand[j].max(EPS) {
                    let rec = &mut record.cells[mp.cells[j]];
                    rec.stock_depleted_month.get_or_insert(tu);
                }
                if !s.stock_full[j] && target > 0.0 {
                    record.monthly.push(MonthlyPoint {
                        series: Series::StockDrawdown,
                        index: mp.cells[j] as u32,
                        month: tu,
                        value: 1.0 - s.stock[j] / target,
                    });
                }
            }
        }

        // Phase 8: record the month.
        for j in 0..nj {
            let short = s.gap[j].max(0.0);
            let ci = mp.cells[j];
            let rec = &mut record.cells[ci];
            if short > SHORT_MONTH_SHARE * s.demand[j] {
                rec.total_short_t += short;
                rec.months_short += 1;
                s.run[j] += 1;
                rec.longest_run_months = rec.longest_run_months.max(s.run[j]);
                rec.first_short_month.get_or_insert(tu);
                s.year_short[j][t / 12] += short;
                let share = short / s.demand[j];
                rec.peak_month_share = rec.peak_month_share.max(share);
                record.monthly.push(MonthlyPoint {
                    series: Series::Shortfall,
                    index: ci as u32,
                    month: tu,
                    value: share,
                });
            } else {
                s.run[j] = 0;
            }
        }
        if price_ratio != 1.0 {
            let mi = mp.material;
            record.peak_price_excess[mi] = record.peak_price_excess[mi].max(price_ratio - 1.0);
            let (series, value) = if price_ratio > 1.0 {
                (Series::PriceUp, price_ratio - 1.0)
            } else {
                (Series::PriceDown, 1.0 - price_ratio)
            };
            record.monthly.push(MonthlyPoint {
                series,
                index: mi as u32,
                month: tu,
                value,
            });
        }
        // Price floors top up every sale of the producers they cover (the highest floor on a
        // producer pays); a shut producer sells nothing and is paid nothing.
        if !mp.floors.is_empty() {
            let market = price_ratio * mp.base_price;
            for (si, st) in mp.stages.iter().enumerate() {
                for k in 0..st.suppliers {
                    let Some(fi) = st.floor_owner[k] else {
                        continue;
                    };
                    let paid = st.floor_price[k] - market;
                    if paid <= 0.0 || s.shut_until[si][k] > tu {
                        continue;
                    }
                    let committed: f64 = st.share[k * nj..(k + 1) * nj]
                        .iter()
                        .zip(&s.need)
                        .map(|(a, n)| a * n)
                        .sum();
                    let scale = supplier_scale(st, k, committed, growth_index);
                    let output = st.output0[k] * scale;
                    let sold = if s.is_touched[si][k] {
                        let cap = st.capacity0[k] * scale * s.cap_factor[si][k];
                        s.shipped[si][k] + (output - committed).max(0.0) * (cap / output).min(1.0)
                    } else {
                        output
                    };
                    record.floor_cost_usd[fi] += paid * sold;
                }
            }
        }
        if T::ON {
            s.cell_months.clear();
            for j in 0..nj {
                s.cell_months.push(CellMonth {
                    cell: mp.cells[j],
                    max_excess_shipment: max_excess,
                    lent: s.lent[j],
                    demand: s.demand[j],
                    recycled: s.demand[j] - s.need[j],
                    primary: s.need[j] - (gap_before_stock[j] + substituted[j]),
                    substituted: substituted[j],
                    released: s.released[j],
                    borrowed: borrowed[j],
                    shortfall: s.gap[j].max(0.0),
                    stock: s.stock[j],
                });
            }
            trace.month(t, mp.material, price_ratio, &s.cell_months);
        }
        // This month's rerouting becomes next month's base for the ramp-up limit; a calm
        // (skipped) month resets it, as does a month without rerouting.
        std::mem::swap(&mut s.rerouted, &mut s.rerouted_prev);
        for row in &mut s.rerouted {
            row.iter_mut().for_each(|x| *x = 0.0);
        }
        // Untouch for next month: only the entries written are reset.
        for &(si, k) in &s.touched {
            let (si, k) = (si as usize, k as usize);
            s.is_touched[si][k] = false;
            s.cap_factor[si][k] = 1.0;
            s.freed[si][k] = 0.0;
            if watching {
                s.ration[si][k] = 1.0;
                s.rerouted_to[si][k * nj..(k + 1) * nj]
                    .iter_mut()
                    .for_each(|x| *x = 0.0);
            }
            s.keep[si][k * nj..(k + 1) * nj]
                .iter_mut()
                .for_each(|x| *x = 1.0);
        }
        s.touched.clear();
        t += 1;
    }

    // Horizon totals and the worst year, for cells that were short at all.
    for j in 0..nj {
        let ci = mp.cells[j];
        let rec = &mut record.cells[ci];
        if rec.months_short == 0 {
            continue;
        }
        rec.total_demand_t = geometric_sum(s.d0[j], s.q[j], 0, months);
        for (y, &short) in s.year_short[j].iter().enumerate() {
            if short <= 0.0 {
                continue;
            }
            let start = y * 12;
            let len = 12.min(months - start);
            let year_demand = geometric_sum(s.d0[j], s.q[j], start, len);
            rec.worst_year_short_t = rec.worst_year_short_t.max(short);
            if year_demand > 0.0 {
                rec.worst_year_share = rec.worst_year_share.max(short / year_demand);
            }
        }
    }
}

/// Mark a supplier as hit this month (once).
#[inline]
fn touch(touched: &mut Vec<(u16, u16)>, is_touched: &mut [Vec<bool>], si: usize, k: usize) {
    if !is_touched[si][k] {
        is_touched[si][k] = true;
        touched.push((si as u16, k as u16));
    }
}

/// How much a supplier has grown since the start: its calm output and capacity grow with the
/// calm demand on it (its contracts), so calm months never ration; a supplier with no contracts
/// grows with the material's demand.
#[inline]
fn supplier_scale(st: &StagePlan, k: usize, committed: f64, growth_index: f64) -> f64 {
    let c0 = st.committed0[k];
    if c0 > 0.0 {
        committed / c0
    } else {
        growth_index
    }
}

/// Σ_{t=start}^{start+len−1} d0 · q^t.
fn geometric_sum(d0: f64, q: f64, start: usize, len: usize) -> f64 {
    if (q - 1.0).abs() < 1e-12 {
        return d0 * len as f64;
    }
    d0 * q.powi(start as i32) * (q.powi(len as i32) - 1.0) / (q - 1.0)
}

fn resize2<T: Copy>(v: &mut Vec<Vec<T>>, sizes: impl Iterator<Item = usize>, fill: T) {
    let sizes: Vec<usize> = sizes.collect();
    v.resize_with(sizes.len(), Vec::new);
    for (row, n) in v.iter_mut().zip(sizes) {
        row.clear();
        row.resize(n, fill);
    }
}
