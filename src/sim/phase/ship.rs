//! Phase 3: what the suppliers hit this month ship on their contracts, what they lose and what
//! spare they have. docs/model.md, "The month solve", phase 3.

use super::super::plan::committed_row;
use super::super::state::{MaterialCtx, MonthScratch};
use super::EPS;

/// A supplier's calm output (the larger of its production and the blocs' contracts) is rationed
/// pro rata when a disruption cuts its capacity below it; trade measures then cut the blocs they
/// target. What it cannot ship to targeted blocs joins its spare. Untouched suppliers ship their
/// contracts. Losses below rounding dust are cleared, and `any_loss` says whether rerouting is
/// needed.
// Index loops over parallel per-cell arrays read more clearly than zipped iterators here.
#[allow(clippy::needless_range_loop)]
pub(in crate::sim) fn contracted_flows(cx: &MaterialCtx, m: &mut MonthScratch) {
    let (mp, nj) = (cx.mp, cx.nj);
    for lost in &mut m.lost {
        lost.iter_mut().for_each(|l| *l = 0.0);
    }
    // Every supplier touched so far was hit in phases 1–2; rerouting touches the others.
    m.hit = m.touched.len();
    // Rows cut to the cells once, so the cell loop below indexes them unchecked.
    let need = &m.need[..nj];
    for &(si, k) in &m.touched {
        let (si, k) = (si as usize, k as usize);
        let st = &mp.stages[si];
        let shares = &st.share[k * nj..(k + 1) * nj];
        let committed = committed_row(shares, need);
        let scale = st.supplier_scale(k, committed, m.growth_index);
        let output = st.output0[k] * scale;
        // New capacity (zero without any) adds to the available capacity and is cut alike.
        let cap = (st.capacity0[k] * scale + m.new_cap[si][k]) * m.cap_factor[si][k];
        let ration = if output > cap { cap / output } else { 1.0 };
        if cx.watching {
            m.ration[si][k] = ration;
        }
        let keep = &m.keep[si][k * nj..(k + 1) * nj];
        let lost = &mut m.lost[si][..nj];
        let mut shipped = 0.0;
        // Output freed by trade measures is already produced: it can be redirected at once.
        // (Summed from -0.0, as `Iterator::sum` does.)
        let mut freed = -0.0;
        for j in 0..nj {
            let contract = shares[j] * need[j];
            let rationed = contract * ration;
            let v = rationed * keep[j];
            lost[j] += contract - v;
            shipped += v;
            freed += rationed * (1.0 - keep[j]);
        }
        m.shipped[si][k] = shipped;
        m.freed[si][k] = freed;
        // Output to unmodelled uses keeps its (rationed) share; the rest is spare.
        let other_uses = (output - committed).max(0.0) * ration;
        m.spare[si][k] = (cap - other_uses - shipped).max(0.0);
    }
    let mut any_loss = false;
    for lost in &mut m.lost[..mp.stages.len()] {
        for (l, &n) in lost[..nj].iter_mut().zip(need) {
            if *l > EPS * n.max(EPS) {
                any_loss = true;
            } else {
                *l = 0.0;
            }
        }
    }
    m.any_loss = any_loss;
}

/// Largest excess of any touched supplier's shipments over its available capacity this month
/// (<= 0 when the allocation is physical). Only for `Trace`.
pub(in crate::sim) fn max_excess_shipment(cx: &MaterialCtx, m: &MonthScratch) -> f64 {
    let mut max_excess = 0.0f64;
    for &(si, k) in &m.touched {
        let (si, k) = (si as usize, k as usize);
        let st = &cx.mp.stages[si];
        let committed = st.committed(k, &m.need);
        let scale = st.supplier_scale(k, committed, m.growth_index);
        let cap = (st.capacity0[k] * scale + m.new_cap[si][k]) * m.cap_factor[si][k];
        let other_uses =
            (st.output0[k] * scale - committed).max(0.0) * (cap / (st.output0[k] * scale)).min(1.0);
        max_excess = max_excess.max(m.shipped[si][k] + other_uses - cap);
    }
    max_excess
}
