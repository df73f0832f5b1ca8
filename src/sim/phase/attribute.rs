//! After phase 8: which processes carried a short month's shortfall, for tail attribution.
//! docs/model.md, "Tail attribution".
//!
//! A stated approximation, not a causal decomposition: the month's shortfall of a cell is split
//! among the episodes active on its material in proportion to each one's direct cut of the
//! cell's contracted supply (effective severity × the share of the cell's sourcing it hits, at
//! its most-hit stage). The parts add up exactly to the shortfall; a short month with no episode
//! cutting the cell (a flooded producer still restarting) is left unattributed. Only short
//! months of short cells do any work, so calm paths cost nothing.

use crate::model::Effect;
use crate::stats::tail::AttributionEntry;
use crate::stats::PathRecord;

use super::super::path::SHORT_MONTH_SHARE;
use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// Reset the per-path shares of a material that is about to be solved.
pub(in crate::sim) fn start(cx: &MaterialCtx, s: &mut MaterialState) {
    s.carried.clear();
    s.carried.resize(cx.nj * cx.mp.processes.len(), 0.0);
}

/// Direct cut of cell j's contracted supply by episode `e` (local process `local`) in month t:
/// its effective severity (as in phase 1) times the largest share of the cell's sourcing that
/// the process hits at one stage; a flood counts as hitting the whole market.
fn direct_cut(cx: &MaterialCtx, e: usize, local: usize, j: usize, tu: u32) -> f64 {
    let ep = &cx.all_episodes[e];
    let exposure = ep.exposure(tu);
    if exposure <= 0.0 {
        return 0.0;
    }
    let mut sev = ep.severity * exposure;
    if ep.half_life.is_finite() {
        sev *= ep.licence_factor(tu);
    }
    let ph = &cx.mp.processes[local];
    let hit = match ph.effect {
        Effect::Flood => 1.0,
        effect => {
            let nj = cx.nj;
            let mut per_stage = [0.0f64; 8];
            let mut widest = 0.0f64;
            for h in ph.hits.iter().filter(|h| h.cells & (1 << j) != 0) {
                let si = h.stage as usize;
                let a = cx.mp.stages[si].share[h.supplier as usize * nj + j];
                if si < per_stage.len() {
                    per_stage[si] += a;
                    widest = widest.max(per_stage[si]);
                } else {
                    widest = widest.max(a);
                }
            }
            if effect == Effect::Trade {
                widest * (1.0 - ep.leakage)
            } else {
                widest
            }
        }
    };
    sev * hit
}

/// Split this month's shortfall of every short cell among the active episodes (phase 8's test
/// of what counts as short). Each episode's cut of the cell is computed once, into `m.cuts`,
/// and read twice: for the total and for the shares.
pub(in crate::sim) fn attribute_month(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    let (tu, np) = (t as u32, cx.mp.processes.len());
    for j in 0..cx.nj {
        let short = m.gap[j].max(0.0);
        if short <= SHORT_MONTH_SHARE * m.demand[j] {
            continue;
        }
        m.cuts.clear();
        m.cuts.extend(
            s.active
                .iter()
                .map(|&(e, local)| direct_cut(cx, e, local, j, tu)),
        );
        let total: f64 = m.cuts.iter().copied().sum();
        if total <= 0.0 {
            continue;
        }
        for (&(_, local), &w) in s.active.iter().zip(&m.cuts) {
            if w > 0.0 {
                s.carried[j * np + local] += short * (w / total);
            }
        }
    }
}

/// After the last month: for every short cell, one entry per process with an episode that cut
/// the cell's supply (active), with the shortfall it carried.
pub(in crate::sim) fn horizon(cx: &MaterialCtx, s: &MaterialState, record: &mut PathRecord) {
    let np = cx.mp.processes.len();
    for j in 0..cx.nj {
        let ci = cx.mp.cells[j];
        if !record.cells[ci].any_short() {
            continue;
        }
        for (local, ph) in cx.mp.processes.iter().enumerate() {
            let carried = s.carried[j * np + local];
            // Active: an episode of the process cut the cell's supply in its first month.
            let active = carried > 0.0
                || cx.episodes.iter().any(|&(e, l)| {
                    l == local && direct_cut(cx, e, l, j, cx.all_episodes[e].start) > 0.0
                });
            if active {
                record.attribution.push(AttributionEntry {
                    cell: ci as u32,
                    process: ph.process,
                    carried_t: carried,
                });
            }
        }
    }
}
