//! Which months of a material are solved, and the reset a skipped month implies.
//! docs/model.md, "Which months are solved, and why skipping the others is exact".

use super::super::state::{MaterialCtx, MaterialState, MonthScratch};

/// What the month loop does with month t.
pub(in crate::sim) enum Step {
    Solve,
    /// Calm until this month: jump to it.
    JumpTo(usize),
    /// Calm to the end of the horizon.
    Stop,
}

/// Start the episodes that begin by month t and end those that are over; then decide whether
/// t is busy (an episode is active, a stockpile or commercial inventory is below target, a
/// producer is shut, a price floor is paying, or t is in an episode's pre-buying window).
pub(in crate::sim) fn next_step(cx: &MaterialCtx, s: &mut MaterialState, t: usize) -> Step {
    let tu = t as u32;
    let (episodes, all_episodes) = (cx.episodes, cx.all_episodes);
    while s.next_episode < episodes.len() && all_episodes[episodes[s.next_episode].0].start <= tu {
        let started = episodes[s.next_episode];
        s.active.push(started);
        s.next_end = s.next_end.min(all_episodes[started.0].end_month());
        s.next_episode += 1;
    }
    // Drop the episodes that are over; before `next_end` none is, and the list stays as it is.
    if s.next_end <= tu {
        s.active.retain(|&(e, _)| all_episodes[e].end_month() > tu);
        s.next_end = s
            .active
            .iter()
            .map(|&(e, _)| all_episodes[e].end_month())
            .min()
            .unwrap_or(u32::MAX);
    }
    let stocks_full = s.stock_full.iter().all(|&f| f);
    let busy =
        !s.active.is_empty() || !stocks_full || s.any_shut_until > tu || !cx.mp.floors.is_empty();
    if busy || (cx.mp.has_inventory && !s.inv_full.iter().all(|&f| f)) {
        return Step::Solve;
    }
    // The first month of the next pre-buying window or episode, whichever comes first.
    let next = if cx.mp.announced {
        cx.episodes[s.next_episode..]
            .iter()
            .map(|&(e, _)| all_episodes[e].window_start())
            .min()
    } else {
        episodes
            .get(s.next_episode)
            .map(|&(e, _)| all_episodes[e].start)
    };
    if next.is_some_and(|n| n <= tu) {
        return Step::Solve; // inside a pre-buying window
    }
    // A calm month breaks every run of short months, and nothing is rerouted in it:
    // the ramp-up limit starts afresh.
    s.run.iter_mut().for_each(|r| *r = 0);
    s.rerouted_prev.fill(0.0);
    // A skipped month has π = 1 < every restart ratio: it ends every run of high prices.
    s.restart_run.iter_mut().for_each(|r| *r = 0);
    match next {
        Some(n) => Step::JumpTo(n as usize),
        None => Step::Stop,
    }
}

/// After a solved month: this month's rerouting becomes next month's base for the ramp-up
/// limit, and the per-supplier arrays are reset.
pub(in crate::sim) fn end_month(cx: &MaterialCtx, s: &mut MaterialState, m: &mut MonthScratch) {
    let nj = cx.nj;
    // This month's rerouting becomes next month's base for the ramp-up limit; a calm
    // (skipped) month resets it, as does a month without rerouting. Swapping the two arrays
    // makes this month's the base; the other is zeroed, the way rerouting starts. Zeroed, and
    // `is_touched` cleared, whole: every stage's row in one buffer (`Rows`), a few dozen
    // suppliers in a few wide stores, fewer instructions than a checked store at each supplier
    // touched (about ten a month), the only entries that can be set.
    std::mem::swap(&mut s.rerouted_prev, &mut m.rerouted);
    m.rerouted.fill(0.0);
    m.is_touched.fill(false);
    if cx.watching {
        for &(si, k) in &m.touched {
            let (si, k) = (si as usize, k as usize);
            m.rerouted_to[si][k * nj..(k + 1) * nj]
                .iter_mut()
                .for_each(|x| *x = 0.0);
        }
    }
    // Only the suppliers hit in phases 1–2 (the first `hit`) had their factors written; most
    // touched suppliers only rerouted.
    for &(si, k) in &m.touched[..m.hit] {
        let (si, k) = (si as usize, k as usize);
        m.cap_factor[si][k] = 1.0;
        m.freed[si][k] = 0.0;
        if cx.watching {
            m.ration[si][k] = 1.0;
        }
        m.keep[si][k * nj..(k + 1) * nj]
            .iter_mut()
            .for_each(|x| *x = 1.0);
    }
    m.touched.clear();
}
