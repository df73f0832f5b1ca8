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
        let (n, need) = (cx.mp.stages[si].suppliers, m.need[j]);
        let mut total = m.demand[j] - need;
        let mut top_third = 0.0f64;
        // The stage's rows cut to its `n` suppliers once, each supplier's `nj` cells a chunk:
        // one bounds check a row, not one a supplier and row (each reloaded the row's length).
        let rows = by_supplier(&cx.mp.stages[si].share, n, nj)
            .zip(by_supplier(&m.keep[si], n, nj))
            .zip(by_supplier(&m.rerouted_to[si], n, nj))
            .zip(&m.ration[si][..n])
            .zip(&w.third[..n]);
        for ((((shares, keep), rerouted_to), &ration), &third) in rows {
            let received = shares[j] * need * ration * keep[j] + rerouted_to[j];
            total += received;
            if third {
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

/// A [supplier][cell] row of a stage cut to its `n` suppliers, one chunk of `nj` cells each.
fn by_supplier(row: &[f64], n: usize, nj: usize) -> std::slice::ChunksExact<'_, f64> {
    row[..n * nj].chunks_exact(nj)
}
