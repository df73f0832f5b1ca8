//! Phase 8 and after: the month's shortfall and price into the path record, what price floors
//! pay, and the horizon totals after the last month. docs/model.md, "The month solve", phase 8,
//! "Price floors" and "After the last month".

use crate::stats::accumulator::{MonthlyPoint, PathRecord, Series};

use super::super::path::{CellMonth, SHORT_MONTH_SHARE};
use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// Import gap IG_j(t) of cell j: the contracted volume lost at its tightest stage (phase 3),
/// before rerouting and buffers.
#[inline]
pub(in crate::sim) fn import_gap(m: &MonthScratch, j: usize) -> f64 {
    m.lost.iter().fold(0.0f64, |a, l| a.max(l[j]))
}

/// Phase 8: record the month's shortfall and import gap per cell (only values above
/// `SHORT_MONTH_SHARE` of demand count) and its price; with `POINTS`, also the month's
/// fan-chart points (shortfall share per cell, price move), which nothing else reads.
pub(in crate::sim) fn record_month<const POINTS: bool>(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &MonthScratch,
    t: usize,
    record: &mut PathRecord,
) {
    let (mp, tu, nj) = (cx.mp, t as u32, cx.nj);
    // Slices cut to the cells once, indexed unchecked below (as in `demand`).
    let (gap_after, demand, cells) = (&m.gap[..nj], &m.demand[..nj], &mp.cells[..nj]);
    let (run, year_gap, year_short) = (
        &mut s.run[..nj],
        &mut s.year_gap[..nj],
        &mut s.year_short[..nj],
    );
    for j in 0..nj {
        let short = gap_after[j].max(0.0);
        let ci = cells[j];
        let rec = &mut record.cells[ci];
        // No stage lost contracted volume this month (phase 3): no import gap anywhere.
        let gap = if m.any_loss { import_gap(m, j) } else { 0.0 };
        if gap > SHORT_MONTH_SHARE * demand[j] {
            rec.import_gap_t += gap;
            year_gap[j][t / 12] += gap;
        }
        if short > SHORT_MONTH_SHARE * demand[j] {
            rec.total_short_t += short;
            rec.months_short += 1;
            run[j] += 1;
            rec.longest_run_months = rec.longest_run_months.max(run[j]);
            rec.first_short_month.get_or_insert(tu);
            year_short[j][t / 12] += short;
            let share = short / demand[j];
            rec.peak_month_share = rec.peak_month_share.max(share);
            if POINTS {
                record.monthly.push(MonthlyPoint {
                    series: Series::Shortfall,
                    index: ci as u32,
                    month: tu,
                    value: share,
                });
            }
        } else {
            run[j] = 0;
        }
    }
    let price_ratio = m.price_ratio;
    if price_ratio != 1.0 {
        let mi = mp.material;
        record.peak_price_excess[mi] = record.peak_price_excess[mi].max(price_ratio - 1.0);
        if !POINTS {
            return;
        }
        let (series, value) = if price_ratio > 1.0 {
            (Series::PriceUp, price_ratio - 1.0)
        } else {
            (Series::PriceDown, 1.0 - price_ratio)
        };
        record.monthly.push(MonthlyPoint {
            series,
            index: mi as u32,
            month: tu,
            value,
        });
    }
}

/// Price floors top up every sale of the producers they cover (the highest floor on a producer
/// pays); a shut producer sells nothing and is paid nothing.
pub(in crate::sim) fn price_floors(
    cx: &MaterialCtx,
    s: &MaterialState,
    m: &MonthScratch,
    t: usize,
    record: &mut PathRecord,
) {
    let mp = cx.mp;
    if mp.floors.is_empty() {
        return;
    }
    let tu = t as u32;
    let market = m.price_ratio * mp.base_price;
    for (si, st) in mp.stages.iter().enumerate() {
        for k in 0..st.suppliers {
            let Some(fi) = st.floor_owner[k] else {
                continue;
            };
            let paid = st.floor_price[k] - market;
            if paid <= 0.0 || s.shut_until[si][k] > tu {
                continue;
            }
            let committed = st.committed(k, &m.need);
            let scale = st.supplier_scale(k, committed, m.growth_index);
            let output = st.output0[k] * scale;
            let sold = if m.is_touched[si][k] {
                let cap = (st.capacity0[k] * scale + m.new_cap[si][k]) * m.cap_factor[si][k];
                m.shipped[si][k] + (output - committed).max(0.0) * (cap / output).min(1.0)
            } else {
                output
            };
            record.floor_cost_usd[fi] += paid * sold;
        }
    }
}

/// What a replay sees of the month, per cell, into `m.cell_months`. Only for `Trace`.
pub(in crate::sim) fn cell_months(
    cx: &MaterialCtx,
    s: &MaterialState,
    m: &mut MonthScratch,
    max_excess: f64,
) {
    m.cell_months.clear();
    for j in 0..cx.nj {
        m.cell_months.push(CellMonth {
            cell: cx.mp.cells[j],
            max_excess_shipment: max_excess,
            lent: m.lent[j],
            demand: m.demand[j],
            recycled: m.demand[j] - m.need[j],
            primary: m.need[j] - (m.gap_before_stock[j] + m.substituted[j]),
            substituted: m.substituted[j],
            released: m.released[j],
            borrowed: m.borrowed[j],
            shortfall: m.gap[j].max(0.0),
            stock: s.stock[j],
            import_gap: import_gap(m, j),
            prebought: m.prebought[j],
            inventory: s.inv[j],
            inventory_used: m.inv_used[j],
        });
    }
}

/// Horizon totals and the worst year, for cells that were short or had an import gap at all.
pub(in crate::sim) fn horizon_totals(cx: &MaterialCtx, s: &MaterialState, record: &mut PathRecord) {
    let months = cx.model.months;
    for j in 0..cx.nj {
        let ci = cx.mp.cells[j];
        let rec = &mut record.cells[ci];
        if rec.import_gap_t > 0.0 {
            rec.total_demand_t = geometric_sum(s, j, months, 0, months);
            rec.worst_year_import_gap_share = worst_year_share(s, j, &s.year_gap[j], months);
        }
        if rec.months_short == 0 {
            continue;
        }
        if rec.import_gap_t <= 0.0 {
            rec.total_demand_t = geometric_sum(s, j, months, 0, months);
        }
        for (y, &short) in s.year_short[j].iter().enumerate() {
            if short <= 0.0 {
                continue;
            }
            let start = y * 12;
            let len = 12.min(months - start);
            let year_demand = geometric_sum(s, j, months, start, len);
            rec.worst_year_short_t = rec.worst_year_short_t.max(short);
            if year_demand > 0.0 {
                rec.worst_year_share = rec.worst_year_share.max(short / year_demand);
            }
        }
    }
}

/// max over years y with sums[y] > 0 of sums[y] / (demand of year y).
fn worst_year_share(s: &MaterialState, j: usize, sums: &[f64], months: usize) -> f64 {
    let mut worst = 0.0f64;
    for (y, &v) in sums.iter().enumerate() {
        if v <= 0.0 {
            continue;
        }
        let start = y * 12;
        let year_demand = geometric_sum(s, j, months, start, 12.min(months - start));
        if year_demand > 0.0 {
            worst = worst.max(v / year_demand);
        }
    }
    worst
}

/// Σ_{t=start}^{start+len−1} d0 · q^t of cell j. The powers q^n are read from its q^t table
/// (`MaterialState::q_pow`, equal to `q.powi(n)` to the bit) where it has them, n < months.
fn geometric_sum(s: &MaterialState, j: usize, months: usize, start: usize, len: usize) -> f64 {
    let (d0, q) = (s.d0[j], s.q[j]);
    if (q - 1.0).abs() < 1e-12 {
        return d0 * len as f64;
    }
    let table = &s.q_pow[j * months..(j + 1) * months];
    let pow = |n: usize| table.get(n).copied().unwrap_or_else(|| q.powi(n as i32));
    d0 * pow(start) * (pow(len) - 1.0) / (q - 1.0)
}
