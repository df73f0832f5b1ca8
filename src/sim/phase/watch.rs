//! Watched cap links: after the bottleneck, one third country's share of what a bloc receives
//! at a stage, compared with the cap. docs/model.md, "Cap breaches".

use crate::stats::accumulator::PathRecord;

use super::super::plan::BREACH_TOLERANCE;
use super::super::state::{MaterialCtx, MonthScratch};

/// One third country's share of what the bloc receives at the stage (contracts as rationed and
/// cut, plus what was rerouted to it) and of its recycling. Only months whose status differs
/// from a calm month's are recorded; the shares themselves only when the record asks for them
/// (`PathRecord::watch_shares`).
pub(in crate::sim) fn cap_breaches(
    cx: &MaterialCtx,
    m: &MonthScratch,
    t: usize,
    record: &mut PathRecord,
) {
    let nj = cx.nj;
    for w in &cx.mp.watches {
        if t < w.from {
            continue; // the full cap does not bind yet
        }
        let (j, si) = (w.cell, w.stage);
        let st = &cx.mp.stages[si];
        let mut total = m.demand[j] - m.need[j];
        let mut top_third = 0.0f64;
        for k in 0..st.suppliers {
            let received =
                st.share[k * nj + j] * m.need[j] * m.ration[si][k] * m.keep[si][k * nj + j]
                    + m.rerouted_to[si][k * nj + j];
            total += received;
            if w.third[k] {
                top_third = top_third.max(received);
            }
        }
        let share = if total > 0.0 {
            top_third / total
        } else {
            f64::NEG_INFINITY
        };
        if let Some(shares) = &mut record.watch_shares {
            shares.push((w.index, t as u32, share));
        }
        let breached = share > w.level + BREACH_TOLERANCE;
        if breached != w.calm_breach[t] {
            record.cap_flips.push((w.index, t as u32));
        }
    }
}
