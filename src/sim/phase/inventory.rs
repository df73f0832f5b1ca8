//! Commercial inventories: the restock claim (phase 0), restocking bought through rerouting
//! (phase 5), pre-buying in an announcement window (phase 5b) and use before the strategic
//! stockpile (phase 7). docs/model.md, "The month solve" and "Commercial inventories".

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// Phase 0: a full inventory follows its target c_j · D_j(t); one below target claims
/// ρ_j = min(I*_j − I_j, I*_j / F_j) of supply this month.
pub(in crate::sim) fn restock_claim(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    let nj = cx.nj;
    // Each array as a slice of its own, taken once: the loop then keeps their addresses in
    // registers rather than reloading them from `s` and `m` after every store.
    let (inv, inv_full, cover) = (&mut s.inv[..nj], &s.inv_full[..nj], &s.cover[..nj]);
    let demand = &m.demand[..nj];
    let claim = &mut m.restock_claim[..nj];
    let restocked = &mut m.restocked[..nj];
    let prebought = &mut m.prebought[..nj];
    let inv_used = &mut m.inv_used[..nj];
    let mut any = false;
    for j in 0..nj {
        let Some(cell_inv) = &cx.cell(j).inventory else {
            continue;
        };
        let target = cover[j] * demand[j];
        if inv_full[j] {
            inv[j] = inv[j].max(target);
        }
        claim[j] = if inv[j] < target {
            (target - inv[j]).min(target / cell_inv.restock_months)
        } else {
            0.0
        };
        any |= claim[j] > 0.0;
        restocked[j] = 0.0;
        prebought[j] = 0.0;
        inv_used[j] = 0.0;
    }
    m.any_restock = any;
}

/// Phase 5, after the gap: what rerouting delivered beyond the need restocks the inventory,
/// Δ_j = max(α_j − N_j, 0).
pub(in crate::sim) fn restock(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    let nj = cx.nj;
    let (avail, need, restocked) = (&m.avail[..nj], &m.need[..nj], &mut m.restocked[..nj]);
    let inv = &mut s.inv[..nj];
    for j in 0..nj {
        let delta = (avail[j] - need[j]).max(0.0);
        restocked[j] = delta;
        inv[j] += delta;
    }
}

/// Phase 5b: in the announcement window of an episode (max(start − lead, 0) ≤ t < start), each
/// hit cell with an inventory pulls forward B_j = min(max(Imax_j − I_j, 0), b_e · Σ_k c_skj(t))
/// over the hit suppliers k of the episode's most downstream hit stage s.
pub(in crate::sim) fn prebuy(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    let (tu, nj) = (t as u32, cx.nj);
    for &(e, local) in &cx.episodes[s.next_episode..] {
        let ep = &cx.all_episodes[e];
        if ep.window_start() > tu || ep.start <= tu {
            continue;
        }
        let ph = &cx.mp.processes[local];
        let Some(share) = ph.prebuy_share else {
            continue;
        };
        let Some(last) = ph.hits.iter().map(|h| h.stage).max() else {
            continue;
        };
        for j in 0..nj {
            if cx.cell(j).inventory.is_none() {
                continue;
            }
            let mut flow = 0.0;
            for h in ph.hits.iter().filter(|h| h.stage == last) {
                if h.cells & (1 << j) != 0 {
                    let st = &cx.mp.stages[last as usize];
                    flow += st.share[h.supplier as usize * nj + j] * m.need[j];
                }
            }
            let room = (s.max_cover[j] * m.demand[j] - s.inv[j]).max(0.0);
            let bought = room.min(share * flow);
            s.inv[j] += bought;
            m.prebought[j] += bought;
        }
    }
}

/// Phase 7, between substitution and the strategic stockpile: Use_j = min(I_j, Gap_j). Then
/// full_j ← I_j ≥ I*_j (1 − 10⁻¹²).
pub(in crate::sim) fn use_inventory(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    let nj = cx.nj;
    // Slices cut to the cells once, indexed unchecked below (as in `restock_claim`).
    let (inv, inv_full, cover) = (&mut s.inv[..nj], &mut s.inv_full[..nj], &s.cover[..nj]);
    let (gap, inv_used, demand) = (&mut m.gap[..nj], &mut m.inv_used[..nj], &m.demand[..nj]);
    for j in 0..nj {
        if cx.cell(j).inventory.is_none() {
            continue;
        }
        let used = inv[j].min(gap[j]).max(0.0);
        inv[j] -= used;
        gap[j] -= used;
        inv_used[j] = used;
        let target = cover[j] * demand[j];
        inv_full[j] = inv[j] >= target * (1.0 - 1e-12);
    }
}
