//! Phase 7: substitution, then stockpiles: each bloc's own release, loans between partners
//! that share stock, and refill in fully supplied months. docs/model.md, "The month solve",
//! phase 7.

use crate::stats::accumulator::{MonthlyPoint, PathRecord, Series};

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};
use super::EPS;

/// Demand gives way by substitution first (the gap after it is kept for the record and the
/// refill rule).
pub(in crate::sim) fn substitute(cx: &MaterialCtx, m: &mut MonthScratch) {
    let nj = cx.nj;
    // Each array as a slice of its own, cut to the cells once: the loop indexes them unchecked
    // and keeps their addresses in registers (as `demand` does).
    let (demand, gap, substituted) = (&m.demand[..nj], &mut m.gap[..nj], &mut m.substituted[..nj]);
    let (borrowed, released, lent) = (
        &mut m.borrowed[..nj],
        &mut m.released[..nj],
        &mut m.lent[..nj],
    );
    let gap_before_stock = &mut m.gap_before_stock[..nj];
    let substitution_share = m.substitution_share;
    for j in 0..nj {
        borrowed[j] = 0.0;
        let subst = (substitution_share * demand[j]).min(gap[j]);
        substituted[j] = subst;
        gap[j] -= subst;
        gap_before_stock[j] = gap[j];
        released[j] = 0.0;
        lent[j] = 0.0;
    }
}

/// After substitution and commercial inventories, a bloc whose gap is above its release
/// threshold draws on its own strategic stock, up to its release rate.
pub(in crate::sim) fn release(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    for j in 0..cx.nj {
        // Most cells have no gap left: test that before looking the cell up.
        if m.gap[j] <= 0.0 {
            continue;
        }
        let Some(sp) = cx.cell(j).stockpile else {
            continue;
        };
        let realised = m.demand[j] - m.substituted[j];
        if m.gap[j] > sp.release_threshold_share * realised {
            let r = s.stock[j]
                .min(sp.max_release_share * realised)
                .min(m.gap[j]);
            s.stock[j] -= r;
            m.released[j] = r;
            m.gap[j] -= r;
        }
    }
}

/// Stockpile sharing: a bloc still short borrows from partners that share stock with it and
/// have no gap of their own, within what they may release this month.
pub(in crate::sim) fn share(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    let (mp, nj) = (cx.mp, cx.nj);
    if !mp.lends_to.iter().any(|&x| x != 0) {
        return;
    }
    for j in 0..nj {
        // A borrower draws on partners under the same threshold as on its own stock.
        let threshold = cx
            .cell(j)
            .stockpile
            .map_or(0.0, |sp| sp.release_threshold_share);
        if m.gap[j] <= threshold * (m.demand[j] - m.substituted[j]) || m.gap[j] <= 0.0 {
            continue;
        }
        for l in 0..nj {
            if mp.lends_to[l] & (1 << j) == 0 || m.gap[l] > 0.0 {
                continue;
            }
            let Some(sp) = cx.cell(l).stockpile else {
                continue;
            };
            let room = (sp.max_release_share * (m.demand[l] - m.substituted[l])
                - m.released[l]
                - m.lent[l])
                .max(0.0);
            let lend = s.stock[l].min(room).min(m.gap[j]);
            if lend > 0.0 {
                s.stock[l] -= lend;
                m.lent[l] += lend;
                m.gap[j] -= lend;
                m.borrowed[j] += lend;
            }
        }
    }
}

/// Refill from a fully supplied market, update `full`, and record depletion and drawdown.
pub(in crate::sim) fn refill(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &MonthScratch,
    t: usize,
    record: &mut PathRecord,
) {
    let (mp, tu, nj) = (cx.mp, t as u32, cx.nj);
    // Slices cut to the cells once, indexed unchecked below (as in `substitute`).
    let (demand, substituted) = (&m.demand[..nj], &m.substituted[..nj]);
    let (gap_before_stock, released, lent) =
        (&m.gap_before_stock[..nj], &m.released[..nj], &m.lent[..nj]);
    let (stock, stock_full) = (&mut s.stock[..nj], &mut s.stock_full[..nj]);
    for j in 0..nj {
        let c = cx.cell(j);
        if let Some(sp) = c.stockpile {
            let target = sp.target_months * demand[j];
            // Refill only from a fully supplied market (no gap even before substitution).
            if gap_before_stock[j] + substituted[j] <= 0.0
                && released[j] + lent[j] <= 0.0
                && stock[j] < target
            {
                stock[j] = (stock[j] + target / sp.refill_months).min(target);
            }
            stock_full[j] = stock[j] >= target * (1.0 - 1e-12);
            if released[j] + lent[j] > 0.0 && stock[j] <= EPS * demand[j].max(EPS) {
                let rec = &mut record.cells[mp.cells[j]];
                rec.stock_depleted_month.get_or_insert(tu);
            }
            if !stock_full[j] && target > 0.0 {
                record.monthly.push(MonthlyPoint {
                    series: Series::StockDrawdown,
                    index: mp.cells[j] as u32,
                    month: tu,
                    value: 1.0 - stock[j] / target,
                });
            }
        }
    }
}
