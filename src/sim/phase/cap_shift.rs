//! Phase 2c: the single-supplier cap as a policy that binds at a date. Before the binding month
//! the capped bloc buys as the market does; from it its contracts move toward the capped
//! sourcing, onto the spare that exists and onto the scheduled new capacity online that month.
//! docs/model.md, "The month solve", phase 2c, and "The cap over time".
//!
//! The phase rewrites, for the stages the cap touches, the plan arrays the other phases read
//! (shares a_skj and the calm contracts, capacity, output and spare compiled from them) into a
//! per-thread copy of the material's plan, and hands the month's phases a context that reads
//! that copy. Idle, one branch a month, for a material without such a cap and before the cap
//! binds: then every phase reads the plan itself.

use crate::model::cap::Binding;
use crate::model::{Model, NewCapacityStart};
use crate::stats::accumulator::PathRecord;

use super::super::plan::{MaterialPlan, BREACH_TOLERANCE};
use super::super::state::{MaterialCtx, MaterialState, MonthScratch};
use super::super::timeline::PathParams;
use super::capacity::online_share;

/// A material's cap that binds later, in the kernel's local indices.
#[derive(Debug, Clone)]
pub struct ShiftPlan {
    pub binding: Binding,
    /// In the order of `model::cap::CapShift::links`: new capacity goes to the first link first.
    pub links: Vec<LinkPlan>,
    /// The stages some link touches (sorted, unique).
    pub stages: Vec<usize>,
    /// `[stage][supplier]`: nameplate capacity K̂ and production K̂·u, t/month.
    pub nameplate: Vec<Vec<f64>>,
    pub production: Vec<Vec<f64>>,
    /// Per local cell: need at month 0, D0_j (1 − r0_j).
    pub need0: Vec<f64>,
    /// Scheduled new capacity of the material: (stage, supplier, T_c, ramp, index into
    /// `PathParams::capacity_online`). Restart-on-price entries are left out.
    pub scheduled: Vec<(usize, usize, f64, f64, usize)>,
}

/// One capped link: local cell `cell` at stage `stage`.
#[derive(Debug, Clone)]
pub struct LinkPlan {
    pub cell: usize,
    pub stage: usize,
    /// a_k and a'_k by supplier (dense): market and static-cap shares.
    pub market: Vec<f64>,
    pub capped: Vec<f64>,
    /// e and σ (shares of need) and each supplier's part of e − σ (`model::cap::ShiftLink`).
    pub excess: f64,
    pub spare: f64,
    pub gap_weights: Vec<f64>,
    /// Suppliers whose scheduled new capacity may take the link's remaining excess: those the
    /// cap does not take from (a'_k ≥ a_k) with a scheduled entry at the stage.
    pub receivers: Vec<usize>,
}

/// The shift plan of material `mi` over its local cells (bloc of each), if a cap binds later.
pub(in crate::sim) fn plan(model: &Model, mi: usize, blocs: &[usize]) -> Option<ShiftPlan> {
    let shift = model.cap_shift.as_ref()?;
    let mat = &model.materials[mi];
    let scheduled: Vec<(usize, usize, f64, f64, usize)> = model
        .new_capacity
        .iter()
        .enumerate()
        .filter(|(_, c)| c.material == mi && matches!(c.start, NewCapacityStart::Scheduled { .. }))
        .map(|(i, c)| (c.stage, c.supplier, c.tonnes_per_month, c.ramp_months, i))
        .collect();
    let links: Vec<LinkPlan> = shift
        .links
        .iter()
        .filter(|l| l.material == mi)
        .filter_map(|l| {
            let cell = blocs.iter().position(|&b| b == l.bloc)?;
            let mut receivers: Vec<usize> = scheduled
                .iter()
                .filter(|e| e.0 == l.stage && l.capped[e.1] >= l.market[e.1])
                .map(|e| e.1)
                .collect();
            receivers.sort_unstable();
            receivers.dedup();
            Some(LinkPlan {
                cell,
                stage: l.stage,
                market: l.market.clone(),
                capped: l.capped.clone(),
                excess: l.excess,
                spare: l.spare,
                gap_weights: l.gap_weights.clone(),
                receivers,
            })
        })
        .collect();
    if links.is_empty() {
        return None;
    }
    let mut stages: Vec<usize> = links.iter().map(|l| l.stage).collect();
    stages.sort_unstable();
    stages.dedup();
    let per_supplier = |f: fn(&crate::model::Supplier) -> f64| {
        mat.stages
            .iter()
            .map(|st| st.suppliers.iter().map(f).collect())
            .collect()
    };
    Some(ShiftPlan {
        binding: shift.binding,
        links,
        stages,
        nameplate: per_supplier(|s| s.capacity_t_per_month),
        production: per_supplier(|s| s.capacity_t_per_month * s.utilisation),
        need0: blocs
            .iter()
            .map(|&b| {
                let c = model.cells[b][mi].as_ref().expect("plan cells exist");
                c.demand_t_per_month * (1.0 - c.recycling_start)
            })
            .collect(),
        scheduled,
    })
}

/// Per thread and material: the shifted copy of the plan and the phase's working arrays,
/// allocated on the first path and reused (tests/alloc_free.rs).
#[derive(Debug, Default)]
pub struct ShiftScratch {
    plan: Option<MaterialPlan>,
    /// Per month: solved on this path (the skipped ones get their breach status in `finish`).
    solved: Vec<bool>,
    /// `[stage][supplier]`: scheduled new capacity online this month, and the part of it the
    /// cap has contracted (X_sk), t/month.
    online: Vec<Vec<f64>>,
    contracted: Vec<Vec<f64>>,
    /// Per local cell: need this month (for the skipped months of `finish`).
    need: Vec<f64>,
}

/// Before the month loop: size the scratch for the material (no-op without a shift).
pub(in crate::sim) fn start(cx: &MaterialCtx, sh: &mut ShiftScratch) {
    if cx.mp.shift.is_none() {
        return;
    }
    let fresh = sh.plan.as_ref().is_none_or(|p| {
        p.material != cx.mp.material
            || p.stages.len() != cx.mp.stages.len()
            || p.cells != cx.mp.cells
    });
    if fresh {
        sh.plan = Some(cx.mp.clone());
        sh.online = cx
            .mp
            .stages
            .iter()
            .map(|s| vec![0.0; s.suppliers])
            .collect();
        sh.contracted = sh.online.clone();
    }
    sh.solved.clear();
    sh.solved.resize(cx.model.months, false);
    sh.need.resize(cx.nj, 0.0);
}

/// Phase 2c, after the new capacity of phase 2b: the month's shares of the capped links, the
/// calm contracts, capacity, output and spare compiled from them, and the new capacity left
/// uncommitted (New_sk − X_sk). Returns the context that reads them, or None (idle) when the
/// material has no such cap or it does not bind yet.
pub(in crate::sim) fn month<'b>(
    cx: &MaterialCtx<'b>,
    params: &PathParams,
    sh: &'b mut ShiftScratch,
    m: &mut MonthScratch,
    t: usize,
) -> Option<MaterialCtx<'b>> {
    let sp = cx.mp.shift.as_ref()?;
    sh.solved[t] = true;
    let w = sp.binding.required_share(t);
    if w <= 0.0 {
        return None;
    }
    shift(cx.mp, sp, params, sh, &m.need, w, t);
    for &si in &sp.stages {
        for (k, x) in sh.contracted[si].iter().enumerate() {
            if *x > 0.0 {
                m.new_cap[si][k] -= x;
            }
        }
    }
    Some(MaterialCtx {
        model: cx.model,
        mp: sh.plan.as_ref().expect("sized in start"),
        all_episodes: cx.all_episodes,
        episodes: cx.episodes,
        nj: cx.nj,
        watching: cx.watching,
        cells: cx.cells,
    })
}

/// The shifted arrays of month t at required share w > 0 into `sh.plan`, and the new capacity
/// contracted into `sh.contracted`.
fn shift(
    base: &MaterialPlan,
    sp: &ShiftPlan,
    params: &PathParams,
    sh: &mut ShiftScratch,
    need: &[f64],
    w: f64,
    t: usize,
) {
    let plan = sh.plan.as_mut().expect("sized in start");
    let nj = base.cells.len();
    for &si in &sp.stages {
        plan.stages[si]
            .share
            .copy_from_slice(&base.stages[si].share);
        sh.online[si].iter_mut().for_each(|x| *x = 0.0);
        sh.contracted[si].iter_mut().for_each(|x| *x = 0.0);
    }
    for &(si, k, tonnes, ramp, index) in &sp.scheduled {
        if sp.stages.contains(&si) {
            sh.online[si][k] +=
                online_share(t as f64, params.capacity_online[index], ramp) * tonnes;
        }
    }
    for l in &sp.links {
        let (j, si) = (l.cell, l.stage);
        // Onto existing spare first: μ = min(w·e, σ), the capped shares' part f = μ/σ.
        let moved = (w * l.excess).min(l.spare);
        let f = if l.spare > 0.0 { moved / l.spare } else { 0.0 };
        let share = &mut plan.stages[si].share;
        for k in 0..l.market.len() {
            share[k * nj + j] = (1.0 - f) * l.market[k] + f * l.capped[k];
        }
        // Then onto the scheduled new capacity not yet contracted: ν = min(w·e − μ, N/n_j).
        let rest = w * l.excess - moved;
        if rest <= 0.0 || need[j] <= 0.0 || l.receivers.is_empty() {
            continue;
        }
        let (online, contracted) = (&sh.online[si], &mut sh.contracted[si]);
        let total: f64 = l
            .receivers
            .iter()
            .map(|&k| (online[k] - contracted[k]).max(0.0))
            .sum();
        if total <= 0.0 {
            continue;
        }
        let nu = rest.min(total / need[j]);
        for &k in &l.receivers {
            let part = (online[k] - contracted[k]).max(0.0) / total;
            share[k * nj + j] += nu * part;
            contracted[k] += nu * need[j] * part;
        }
        for (k, g) in l.gap_weights.iter().enumerate() {
            if *g > 0.0 {
                share[k * nj + j] -= nu * g;
            }
        }
    }
    // Calm contracts, capacity, output and spare compiled from the month's shares, as
    // `plan::build_stage` compiles them from the scenario's.
    for &si in &sp.stages {
        let st = &mut plan.stages[si];
        for k in 0..st.suppliers {
            let mut c0 = 0.0;
            for j in 0..nj {
                c0 += st.share[k * nj + j] * sp.need0[j];
            }
            let (cap, prod) = (sp.nameplate[si][k], sp.production[si][k]);
            st.committed0[k] = c0;
            st.capacity0[k] = cap.max(c0);
            st.output0[k] = prod.max(c0);
            st.spare_rate0[k] = (cap.max(c0) - prod.max(c0)).max(0.0);
        }
    }
}

/// After the material's last month (or when it is calm all along): the watched links' breach
/// status in the months the loop skipped, where the shares depend on the path's new capacity
/// and may differ from the calm status the layout holds. A skipped month is calm: the bloc
/// receives its contracts, a_skj · n_j, and its recycling.
pub(in crate::sim) fn finish(
    cx: &MaterialCtx,
    params: &PathParams,
    s: &MaterialState,
    sh: &mut ShiftScratch,
    record: &mut PathRecord,
) {
    let Some(sp) = cx.mp.shift.as_ref() else {
        return;
    };
    if cx.mp.watches.is_empty() || sp.links.iter().all(|l| l.receivers.is_empty()) {
        return;
    }
    let nj = cx.nj;
    for t in 0..cx.model.months {
        let w = sp.binding.required_share(t);
        if sh.solved[t] || w <= 0.0 || cx.mp.watches.iter().all(|x| t < x.from) {
            continue;
        }
        for j in 0..nj {
            let c = cx.cell(j);
            let d = s.d0[j] * s.q[j].powi(t as i32);
            sh.need[j] = d * (1.0 - c.recycling[t]);
        }
        let need = std::mem::take(&mut sh.need);
        shift(cx.mp, sp, params, sh, &need, w, t);
        sh.need = need;
        let plan = sh.plan.as_ref().expect("sized in start");
        for x in cx.mp.watches.iter().filter(|x| t >= x.from) {
            let (j, si) = (x.cell, x.stage);
            let d = s.d0[j] * s.q[j].powi(t as i32);
            let share = &plan.stages[si].share;
            let mut total = d - sh.need[j];
            let mut top_third = 0.0f64;
            for k in 0..plan.stages[si].suppliers {
                let received = share[k * nj + j] * sh.need[j];
                total += received;
                if x.third[k] {
                    top_third = top_third.max(received);
                }
            }
            let breached = total > 0.0 && top_third / total > x.level + BREACH_TOLERANCE;
            if breached != x.calm_breach[t] {
                record.cap_flips.push((x.index, t as u32));
            }
        }
    }
}
