//! Phase 0: the month's demand and need per cell, and the growth index of suppliers without
//! contracts. docs/model.md, "The month solve", phase 0, and "Demand, recycling, need and capacity".

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

pub(in crate::sim) fn demand(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    let (nj, months) = (cx.nj, cx.model.months);
    // Each array as a slice of its own, taken once: the loop then keeps their addresses in
    // registers rather than reloading them from `s` and `m` after every store.
    let (d0, q_pow, stock_full) = (&s.d0[..nj], &s.q_pow[..nj * months], &s.stock_full[..nj]);
    let stock = &mut s.stock[..nj];
    let (demand, need) = (&mut m.demand[..nj], &mut m.need[..nj]);
    let mut need_total = 0.0;
    for j in 0..nj {
        let c = cx.cell(j);
        let d = d0[j] * q_pow[j * months + t];
        let r = c.recycling[t];
        demand[j] = d;
        need[j] = d * (1.0 - r);
        need_total += need[j];
        if stock_full[j] {
            // A full stockpile tracks its target as demand grows.
            if let Some(sp) = c.stockpile {
                stock[j] = stock[j].max(sp.target_months * d);
            }
        }
    }
    m.need_total = need_total;
    m.growth_index = if s.need0 > 0.0 {
        need_total / s.need0
    } else {
        1.0
    };
}
