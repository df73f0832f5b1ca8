//! Phase 3b: processors' feed stocks. A stage's processors hold stock of the upstream stage's
//! product (a refiner's feed); it covers what the upstream stage's contracts lost, before
//! rerouting, and is not rebuilt within the horizon. docs/model.md, "The month solve", phase 3b.

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};
use super::EPS;

/// For each feed stock (upstream stage u, held for each cell j): Use = min(P_j, L_uj),
/// L_uj ← L_uj − Use, P_j ← P_j − Use. Then the dust rule of phase 3 again, and `any_loss`.
pub(in crate::sim) fn feed_stocks(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    if !m.any_loss {
        return;
    }
    for (stock, &(up, _)) in s.feed.iter_mut().zip(&cx.mp.feed) {
        for (p, lost) in stock.iter_mut().zip(m.lost[up].iter_mut()) {
            let used = p.min(*lost);
            *p -= used;
            *lost -= used;
        }
    }
    let mut any_loss = false;
    for lost in &mut m.lost {
        for (l, need) in lost.iter_mut().zip(&m.need) {
            if *l > EPS * need.max(EPS) {
                any_loss = true;
            } else {
                *l = 0.0;
            }
        }
    }
    m.any_loss = any_loss;
}
