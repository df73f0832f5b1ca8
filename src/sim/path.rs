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

use super::plan::{MaterialPlan, Plan};
use super::rng::path_rng;
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
}

/// Relative size below which a gap is rounding dust, not a shortfall.
const EPS: f64 = 1e-9;

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
    let mut rng = path_rng(seed, path);
    draw_params(model, &plan.layout.cells, &mut rng, &mut scratch.params);
    draw_timeline(
        model,
        &scratch.params,
        &mut rng,
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

#[allow(clippy::too_many_arguments)]
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
    s.run.clear();
    s.run.resize(nj, 0);
    for v in [
        &mut s.need,
        &mut s.demand,
        &mut s.gap,
        &mut s.released,
        &mut s.lent,
    ] {
        v.clear();
        v.resize(nj, 0.0);
    }
    s.active.clear();

    let need0: f64 = (0..nj)
        .map(|j| s.d0[j] * (1.0 - cell_model(j).recycling_start))
        .sum();
    let mut next_episode = 0usize;
    let mut crisis_age: Option<u32> = None;
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
        let busy = !s.active.is_empty()
            || crisis_age.is_some()
            || !stocks_full
            || any_shut_until > tu
            || !mp.floors.is_empty();
        if !busy {
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

        // Phase 1: apply active disruptions to capacity, exports and price.
        for f in &mut s.cap_factor {
            f.iter_mut().for_each(|x| *x = 1.0);
        }
        for f in &mut s.keep {
            f.iter_mut().for_each(|x| *x = 1.0);
        }
        let mut flood = 1.0;
        for &(e, local) in &s.active {
            let ep = &all_episodes[e];
            let sev = ep.severity * ep.exposure(tu);
            if sev <= 0.0 {
                continue;
            }
            let ph = &mp.processes[local];
            match ph.effect {
                Effect::Capacity => {
                    for h in &ph.hits {
                        s.cap_factor[h.stage as usize][h.supplier as usize] *= 1.0 - sev;
                    }
                }
                Effect::Trade => {
                    for h in &ph.hits {
                        let row = &mut s.keep[h.stage as usize]
                            [h.supplier as usize * nj..(h.supplier as usize + 1) * nj];
                        for (j, x) in row.iter_mut().enumerate() {
                            if h.cells & (1 << j) != 0 {
                                *x *= 1.0 - sev;
                            }
                        }
                    }
                }
                Effect::Flood => flood *= 1.0 - sev,
            }
        }
        // Phase 2: producers whose cost exceeds what they are paid shut, and restart only after
        // their ramp-up time once the price has recovered. During a flood the flooder serves
        // their customers; afterwards their capacity is missing until they restart.
        if mp.has_costs {
            let market = mp.base_price * flood;
            for (si, st) in mp.stages.iter().enumerate() {
                for k in 0..st.suppliers {
                    let cost = st.unit_cost[k];
                    if cost > 0.0 && market.max(st.floor_price[k]) < cost {
                        let until = tu + 1 + st.ramp_up_months[k].ceil() as u32;
                        s.shut_until[si][k] = s.shut_until[si][k].max(until);
                        any_shut_until = any_shut_until.max(until);
                    }
                    if s.shut_until[si][k] > tu && flood >= 1.0 {
                        s.cap_factor[si][k] = 0.0;
                    }
                }
            }
        }

        // Phase 3: contracted flows, rationed by available capacity and cut by trade measures.
        let mut any_loss = false;
        for (si, st) in mp.stages.iter().enumerate() {
            let lost = &mut s.lost[si];
            lost.copy_from_slice(&s.need);
            for k in 0..st.suppliers {
                let shares = &st.share[k * nj..(k + 1) * nj];
                let committed: f64 = shares.iter().zip(&s.need).map(|(a, n)| a * n).sum();
                let cap = st.capacity[k] * growth_index * s.cap_factor[si][k];
                let ration = if committed > cap {
                    cap / committed
                } else {
                    1.0
                };
                let keep = &s.keep[si][k * nj..(k + 1) * nj];
                let mut shipped = 0.0;
                for j in 0..nj {
                    let v = shares[j] * s.need[j] * ration * keep[j];
                    lost[j] -= v;
                    shipped += v;
                }
                s.shipped[si][k] = shipped;
                s.spare[si][k] = (cap - shipped).max(0.0);
            }
            for j in 0..nj {
                if lost[j] > EPS * s.need[j].max(EPS) {
                    any_loss = true;
                } else {
                    lost[j] = 0.0;
                }
            }
        }
        crisis_age = if any_loss {
            Some(crisis_age.map_or(0, |a| a + 1))
        } else {
            None
        };

        // Phase 4: rerouting of spare capacity, ramping up linearly from the crisis onset,
        // partners (and the bloc's own members) first, pro rata to what each bloc lost.
        if let Some(age) = crisis_age {
            for (si, st) in mp.stages.iter().enumerate() {
                let lost = &mut s.lost[si];
                if lost.iter().all(|&l| l <= 0.0) {
                    continue;
                }
                for tier_priority in [true, false] {
                    for k in 0..st.suppliers {
                        let ramp = st.ramp_up_months[k];
                        let online = if ramp <= 0.0 {
                            1.0
                        } else {
                            (age as f64 / ramp).min(1.0)
                        };
                        let avail = s.spare[si][k] * online;
                        if avail <= 0.0 {
                            continue;
                        }
                        let keep = &s.keep[si][k * nj..(k + 1) * nj];
                        let mut total = 0.0;
                        for j in 0..nj {
                            let prio = st.priority_cells[k] & (1 << j) != 0;
                            if lost[j] > 0.0 && keep[j] >= 1.0 && prio == tier_priority {
                                total += lost[j];
                            }
                        }
                        if total <= 0.0 {
                            continue;
                        }
                        let give = avail.min(total);
                        for j in 0..nj {
                            let prio = st.priority_cells[k] & (1 << j) != 0;
                            if lost[j] > 0.0 && keep[j] >= 1.0 && prio == tier_priority {
                                lost[j] -= give * lost[j] / total;
                            }
                        }
                        // Spare used by one tier is gone for the next.
                        s.spare[si][k] -= give / online.max(f64::MIN_POSITIVE);
                        s.shipped[si][k] += give;
                    }
                }
            }
        }

        let mut max_excess = f64::NEG_INFINITY;
        if T::ON {
            for (si, st) in mp.stages.iter().enumerate() {
                for k in 0..st.suppliers {
                    let cap = st.capacity[k] * growth_index * s.cap_factor[si][k];
                    max_excess = max_excess.max(s.shipped[si][k] - cap);
                }
            }
        }

        // Phase 5: a bloc receives what its bottleneck stage delivers (fixed proportions).
        let mut gap_total = 0.0;
        for j in 0..nj {
            let worst = (0..ns).map(|si| s.lost[si][j]).fold(0.0, f64::max);
            s.gap[j] = worst.clamp(0.0, s.need[j]);
            gap_total += s.gap[j];
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
                if s.gap[j] <= 0.0 {
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
                if gap_before_stock[j] <= 0.0
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
            if short > EPS * s.demand[j].max(EPS) {
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
        for (fi, stage, sups, floor) in &mp.floors {
            let paid = (floor - price_ratio * mp.base_price).max(0.0);
            if paid > 0.0 {
                let volume: f64 = sups.iter().map(|&k| s.shipped[*stage][k]).sum();
                record.floor_cost_usd[*fi] += paid * volume;
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
