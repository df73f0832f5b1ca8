//! Phases 1 and 2: active disruptions cut capacity, exports and price; a market flood shuts
//! producers it puts under water. docs/model.md, "The month solve", phases 1 and 2.

use crate::model::Effect;

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// Phase 1: apply active disruptions to capacity, exports and price. Only the suppliers they
/// hit ("touched") are visited; every other supplier ships its contracts in full.
pub(in crate::sim) fn disruptions(
    cx: &MaterialCtx,
    s: &MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    let (tu, nj) = (t as u32, cx.nj);
    let mut flood = 1.0;
    for &(e, local) in &s.active {
        let ep = &cx.all_episodes[e];
        let sev = if ep.half_life.is_finite() {
            // Licences granted over time: the cut decays toward its residual share.
            ep.severity * ep.licence_factor(tu) * ep.exposure(tu)
        } else {
            ep.severity * ep.exposure(tu)
        };
        if sev <= 0.0 {
            continue;
        }
        let ph = &cx.mp.processes[local];
        if ph.effect == Effect::Flood {
            flood *= 1.0 - sev;
            continue;
        }
        for h in &ph.hits {
            let (si, k) = (h.stage as usize, h.supplier as usize);
            m.touch(si, k);
            if ph.effect == Effect::Capacity {
                m.cap_factor[si][k] *= 1.0 - sev;
            } else {
                // Leakage ℓ: a share of the blocked flow still arrives through third countries.
                let cut = if ep.leakage > 0.0 {
                    sev * (1.0 - ep.leakage)
                } else {
                    sev
                };
                let row = &mut m.keep[si][k * nj..(k + 1) * nj];
                for (j, x) in row.iter_mut().enumerate() {
                    if h.cells & (1 << j) != 0 {
                        *x *= 1.0 - cut;
                    }
                }
            }
        }
    }
    m.flood = flood;
}

/// Phase 2: during a market flood, producers whose cost exceeds what they are paid (the
/// flooded price, or their price floor) shut, and restart only after their ramp-up time once
/// the flood is over. During the flood the flooder serves their customers; afterwards their
/// capacity is missing until they restart.
pub(in crate::sim) fn flood_shutdowns(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    let mp = cx.mp;
    if !mp.has_costs {
        return;
    }
    let (tu, flood) = (t as u32, m.flood);
    // Without a flood this month nobody shuts, and with every producer back nobody stays shut.
    if flood >= 1.0 && s.any_shut_until <= tu {
        return;
    }
    let market = mp.base_price * flood;
    for (si, st) in mp.stages.iter().enumerate() {
        for k in 0..st.suppliers {
            let cost = st.unit_cost[k];
            if flood < 1.0 && cost > 0.0 && market.max(st.floor_price[k]) < cost {
                let until = tu + 1 + st.ramp_up_months[k].ceil() as u32;
                s.shut_until[si][k] = s.shut_until[si][k].max(until);
                s.any_shut_until = s.any_shut_until.max(until);
            }
            if s.shut_until[si][k] > tu && flood >= 1.0 {
                m.touch(si, k);
                m.cap_factor[si][k] = 0.0;
            }
        }
    }
}
