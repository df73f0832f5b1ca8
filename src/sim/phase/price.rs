//! Phase 6: the price from the world gap, and how much demand gives way by substitution.
//! docs/model.md, "The month solve", phase 6.

use super::super::state::{MaterialCtx, MonthScratch};

/// The price reacts to the gap after rerouting but before substitution and stockpile releases.
pub(in crate::sim) fn price_and_substitution(cx: &MaterialCtx, m: &mut MonthScratch) {
    let mp = cx.mp;
    let scarcity = if m.need_total > 0.0 {
        m.gap_total / m.need_total
    } else {
        0.0
    };
    let price_ratio = m.flood * (1.0 + mp.scarcity_sensitivity * scarcity);
    m.price_ratio = price_ratio;
    m.substitution_share =
        (mp.demand_elasticity * (price_ratio - 1.0).max(0.0)).min(mp.max_substitution);
}
