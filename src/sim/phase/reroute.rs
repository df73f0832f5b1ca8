//! Phases 4 and 5: spare output is rerouted to the blocs that lost contracted supply, and each
//! bloc receives what its bottleneck stage delivers. docs/model.md, "The month solve", phases 4
//! and 5, and "Ramp-up".

use super::super::plan::{committed_row, supplier_scale, StagePlan};
use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// Phase 4: rerouting, stage by stage from upstream. A bloc claims at a stage only what it can
/// use: what reaches it from upstream, less what this stage still ships it. Spare goes to
/// partners (and the bloc's own members) first, then to everyone, pro rata to claims. A
/// supplier's rerouted output can rise by at most spare/ramp-up months per month (it can fall at
/// once), so spare comes online gradually after each escalation.
pub(in crate::sim) fn reroute(cx: &MaterialCtx, s: &MaterialState, m: &mut MonthScratch) {
    let nj = cx.nj;
    m.avail.copy_from_slice(&m.need);
    if m.any_restock {
        // Restocking is demand too: it claims spare like a gap (pro rata with other blocs).
        for (a, r) in m.avail.iter_mut().zip(&m.restock_claim) {
            *a += r;
        }
    }
    if !m.any_loss && !m.any_restock {
        return;
    }
    for (si, st) in cx.mp.stages.iter().enumerate() {
        let mut claiming = stage_claims(&m.need[..nj], &m.lost[si], &m.avail, &mut m.claim);
        if claiming != 0 {
            let mut rows = StageRows::of(st, m, s, si);
            // No cell is eligible for a supplier without priority cells in the priority tier:
            // that tier asks only the suppliers that have some, in the same index order.
            for &k in &st.priority_suppliers {
                if claiming == 0 {
                    break;
                }
                give_spare(cx, &mut rows, si, k, true, &mut claiming);
            }
            for k in 0..st.suppliers {
                if claiming == 0 {
                    break;
                }
                give_spare(cx, &mut rows, si, k, false, &mut claiming);
            }
        }
        stage_delivers(&m.need[..nj], &m.lost[si], &m.claim, &mut m.avail);
    }
}

/// Each cell's claim at a stage, what reaches it from upstream (`avail`) less what the stage
/// still ships it, into `claim`. Returns the cells that claim: bit j set while cell j still
/// claims (claim_j > 0), so the eligibility test of every supplier is a few bit operations
/// instead of a pass over the cells. (The arrays as slices of their own: their addresses stay
/// in registers, not reloaded from the month scratch after every store.)
fn stage_claims(need: &[f64], lost: &[f64], avail: &[f64], claim: &mut [f64]) -> u64 {
    let mut claiming = 0u64;
    for (j, (c, ((&n, &l), &a))) in claim
        .iter_mut()
        .zip(need.iter().zip(lost).zip(avail))
        .enumerate()
    {
        let received = n - l;
        *c = (a - received).max(0.0);
        if *c > 0.0 {
            claiming |= 1 << j;
        }
    }
    claiming
}

/// What reaches each cell past a stage: what the stage still ships it plus what rerouting
/// gave it, at most what reached it from upstream.
fn stage_delivers(need: &[f64], lost: &[f64], claim: &[f64], avail: &mut [f64]) {
    for (a, ((&n, &l), &c)) in avail.iter_mut().zip(need.iter().zip(lost).zip(claim)) {
        let received = n - l;
        *a = a.min(received + (*a - received).max(0.0) - c);
    }
}

/// One stage's rows of the plan and month arrays `give_spare` reads and writes, looked up once
/// per stage rather than once per supplier and array, each cut to the stage's `n` suppliers (or
/// `n` rows of cells): one test of `k < n` then covers every row indexed by supplier (the
/// compiler drops the bounds checks each would repeat; indexing by cell keeps its own).
struct StageRows<'m> {
    n: usize,
    /// Plan rows: `StagePlan`'s arrays of the same names.
    priority_cells: &'m [u64],
    capacity0: &'m [f64],
    output0: &'m [f64],
    committed0: &'m [f64],
    spare_rate0: &'m [f64],
    ramp_up_months: &'m [f64],
    share: &'m [f64],
    need: &'m [f64],
    claim: &'m mut [f64],
    growth_index: f64,
    keep: &'m [f64],
    freed: &'m [f64],
    new_cap: &'m [f64],
    spare: &'m mut [f64],
    shipped: &'m mut [f64],
    rerouted: &'m mut [f64],
    /// What each supplier rerouted last month (the base of its ramp-up limit).
    rerouted_prev: &'m [f64],
    /// Empty unless a cap link of the material is watched.
    rerouted_to: &'m mut [f64],
    is_touched: &'m mut [bool],
    touched: &'m mut Vec<(u16, u16)>,
}

impl<'m> StageRows<'m> {
    fn of(st: &'m StagePlan, m: &'m mut MonthScratch, s: &'m MaterialState, si: usize) -> Self {
        let (n, nj) = (st.suppliers, m.need.len());
        StageRows {
            n,
            priority_cells: &st.priority_cells[..n],
            capacity0: &st.capacity0[..n],
            output0: &st.output0[..n],
            committed0: &st.committed0[..n],
            spare_rate0: &st.spare_rate0[..n],
            ramp_up_months: &st.ramp_up_months[..n],
            share: &st.share[..n * nj],
            need: &m.need,
            claim: &mut m.claim,
            growth_index: m.growth_index,
            keep: &m.keep[si][..n * nj],
            freed: &m.freed[si][..n],
            new_cap: &m.new_cap[si][..n],
            spare: &mut m.spare[si][..n],
            shipped: &mut m.shipped[si][..n],
            rerouted: &mut m.rerouted[si][..n],
            rerouted_prev: &s.rerouted_prev[si][..n],
            rerouted_to: m
                .rerouted_to
                .get_mut(si)
                .map_or(&mut [][..], |r| &mut r[..]),
            is_touched: &mut m.is_touched[si][..n],
            touched: &mut m.touched,
        }
    }
}

/// Supplier k of stage `si` gives what spare it may (under its ramp-up limit) to the cells of
/// the tier that still claim, pro rata to their claims; a bloc under a trade measure of k this
/// month gets none. `claiming` holds the cells whose claim is still positive.
///
/// A supplier not touched yet this month has the spare of its calm contracts; it is computed
/// here, when the supplier is first asked, which gives the same value as computing it for every
/// supplier at the start of the stage (it depends only on this month's need).
// Always inlined into its two calls (one per tier): the stage's rows then stay in registers.
#[inline(always)]
fn give_spare(
    cx: &MaterialCtx,
    m: &mut StageRows,
    si: usize,
    k: usize,
    tier_priority: bool,
    claiming: &mut u64,
) {
    let nj = cx.nj;
    if k >= m.n {
        // Never: k is one of the stage's suppliers. The test lets the compiler index the rows
        // cut to `n` unchecked.
        debug_assert!(k < m.n, "supplier {k} of a stage of {}", m.n);
        return;
    }
    let prio = m.priority_cells[k];
    let mut eligible = *claiming & if tier_priority { prio } else { !prio };
    if eligible == 0 {
        return;
    }
    let touched = m.is_touched[k];
    if touched {
        // Only a touched supplier can have a keep factor below 1 (trade measures).
        let keep = &m.keep[k * nj..(k + 1) * nj];
        let mut bits = eligible;
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let kept = keep[j] >= 1.0;
            eligible &= !(u64::from(!kept) << j);
        }
        if eligible == 0 {
            return;
        }
    } else {
        // Spare of an untouched supplier, from its calm contracts.
        let committed = committed_row(&m.share[k * nj..(k + 1) * nj], m.need);
        let scale = supplier_scale(m.committed0[k], committed, m.growth_index);
        m.shipped[k] = committed;
        let calm = (m.capacity0[k] - m.output0[k]).max(0.0) * scale;
        m.spare[k] = if cx.mp.new_capacity.is_empty() {
            calm
        } else {
            calm + m.new_cap[k]
        };
    }
    let ramp = m.ramp_up_months[k];
    let limit = if ramp <= 0.0 {
        f64::INFINITY
    } else {
        // New capacity comes online at the ramp rate like calm spare (the sum is skipped, not
        // just zero, for materials without any: the hot path stays as it was).
        let rate = if cx.mp.new_capacity.is_empty() {
            m.spare_rate0[k] * m.growth_index / ramp
        } else {
            (m.spare_rate0[k] * m.growth_index + m.new_cap[k]) / ramp
        };
        m.rerouted_prev[k] + rate + m.freed[k]
    };
    let avail = m.spare[k].min(limit - m.rerouted[k]);
    if avail <= 0.0 {
        return;
    }
    // Σ claims over the eligible cells, in cell order. Every claim still claiming is positive,
    // so the sum starts at the first one (0 + Q = Q): one addition less on the chain of claims
    // from supplier to supplier.
    let first = eligible.trailing_zeros() as usize;
    let mut total = m.claim[first];
    let mut bits = eligible & (eligible - 1);
    while bits != 0 {
        let j = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        total += m.claim[j];
    }
    if total <= 0.0 {
        return;
    }
    let give = avail.min(total);
    if give == total {
        meet_claims(cx, m, k, eligible, claiming);
    } else {
        cut_claims(cx, m, k, eligible, claiming, give / total);
    }
    m.spare[k] -= give;
    m.shipped[k] += give;
    m.rerouted[k] += give;
    if !m.is_touched[k] {
        m.is_touched[k] = true;
        m.touched.push((si as u16, k as u16));
    }
}

/// A supplier that covers every eligible claim (γ = Λ): the share γ/Λ is exactly 1, so each
/// claim goes to the supplier whole and falls to exactly 0 (Q − Q · 1 = 0), as in `cut_claims`,
/// without its division on the chain of claims from supplier to supplier.
#[inline]
fn meet_claims(cx: &MaterialCtx, m: &mut StageRows, k: usize, eligible: u64, claiming: &mut u64) {
    let nj = cx.nj;
    let mut bits = eligible;
    while bits != 0 {
        let j = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        if cx.watching {
            m.rerouted_to[k * nj + j] += m.claim[j];
        }
        m.claim[j] = 0.0;
    }
    *claiming &= !eligible;
}

/// Each eligible claim gives up the same share γ/Λ of itself: one division per supplier, and
/// a supplier that covers every claim (γ = Λ, share exactly 1) leaves none behind, so the
/// suppliers after it are not asked. (Before, γ · Q_j / Λ divided once per cell, and left
/// rounding dust of a claim that every later supplier served.) docs/model.md, phase 4.
#[inline]
fn cut_claims(
    cx: &MaterialCtx,
    m: &mut StageRows,
    k: usize,
    eligible: u64,
    claiming: &mut u64,
    share: f64,
) {
    let nj = cx.nj;
    if cx.watching {
        let to = &mut m.rerouted_to[k * nj..(k + 1) * nj];
        let mut bits = eligible;
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            to[j] += m.claim[j] * share;
        }
    }
    let mut bits = eligible;
    while bits != 0 {
        let j = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let c = &mut m.claim[j];
        *c -= *c * share;
        let still_claims = *c > 0.0;
        *claiming &= !(u64::from(!still_claims) << j);
    }
}

/// Phase 5: a bloc receives what its bottleneck stage delivers (fixed proportions).
pub(in crate::sim) fn bottleneck(cx: &MaterialCtx, m: &mut MonthScratch) {
    let mut gap_total = 0.0;
    for j in 0..cx.nj {
        m.gap[j] = (m.need[j] - m.avail[j]).clamp(0.0, m.need[j]);
        gap_total += m.gap[j];
    }
    m.gap_total = gap_total;
}
