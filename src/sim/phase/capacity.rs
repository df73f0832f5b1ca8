//! New capacity: scheduled output ramping up from its (slipped) online month, and idle
//! capacity that restarts once the price has stayed high. docs/model.md, "New capacity".

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// Before phase 3: New_sk(t) = T_c · clamp((t − o_c)/ramp_c, 0, 1) summed over the entries c of
/// supplier k at stage s (a step at o_c when ramp_c = 0).
pub(in crate::sim) fn new_capacity(
    cx: &MaterialCtx,
    s: &MaterialState,
    m: &mut MonthScratch,
    t: usize,
) {
    for c in &cx.mp.new_capacity {
        m.new_cap[c.stage][c.supplier] = 0.0;
    }
    let t = t as f64;
    for (i, c) in cx.mp.new_capacity.iter().enumerate() {
        m.new_cap[c.stage][c.supplier] +=
            online_share(t, s.cap_online[i], c.ramp_months) * c.tonnes_per_month;
    }
}

/// Share of a new capacity online in month t: 0 before o, a linear ramp over `ramp` months
/// from 0 at o, 1 after (a step at o when ramp = 0).
#[inline]
pub(crate) fn online_share(t: f64, online: f64, ramp: f64) -> f64 {
    if t < online {
        0.0
    } else if ramp <= 0.0 {
        1.0
    } else {
        ((t - online) / ramp).min(1.0)
    }
}

/// After phase 6: a restart entry not yet online counts the consecutive solved months with
/// π ≥ ratio; when the count reaches `months` in month t it comes online at t + 1.
pub(in crate::sim) fn restart_counters(
    cx: &MaterialCtx,
    s: &mut MaterialState,
    m: &MonthScratch,
    t: usize,
) {
    for (i, c) in cx.mp.new_capacity.iter().enumerate() {
        let Some((ratio, months)) = c.restart else {
            continue;
        };
        if s.cap_online[i].is_finite() {
            continue;
        }
        if m.price_ratio >= ratio {
            s.restart_run[i] += 1;
            if s.restart_run[i] >= months {
                s.cap_online[i] = (t + 1) as f64;
            }
        } else {
            s.restart_run[i] = 0;
        }
    }
}
