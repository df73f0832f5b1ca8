//! Phase 0: the month's demand and need per cell, and the growth index of suppliers without
//! contracts. docs/model.md, "The month solve", phase 0, and "Demand, recycling, need and capacity".

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

pub(in crate::sim) fn demand(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    let mut need_total = 0.0;
    for j in 0..cx.nj {
        let c = cx.cell(j);
        let d = s.d0[j] * s.q_pow[j * cx.model.months + t];
        let r = c.recycling[t];
        m.demand[j] = d;
        m.need[j] = d * (1.0 - r);
        need_total += m.need[j];
        if s.stock_full[j] {
            // A full stockpile tracks its target as demand grows.
            if let Some(sp) = c.stockpile {
                s.stock[j] = s.stock[j].max(sp.target_months * d);
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
