//! The text of `shortfall run --replay-path K`: one path's events, busy months and totals, from
//! a finished `experiment::replay::Replay`.

use std::fmt::Write;

use crate::experiment::replay::Replay;
use crate::report::format::{pct, tonnes};

/// The whole replay as printed.
pub(crate) fn text(r: &Replay) -> String {
    let mut out = format!(
        "Path {} of scenario {} with seed {}\n",
        r.path, r.scenario, r.seed
    );
    let _ = writeln!(out, "Events ({}):", r.events.len());
    for e in &r.events {
        let _ = writeln!(
            out,
            "  {} {:<34} {}, {:.1} months, severity {}, regime {}",
            e.month,
            e.process,
            e.kind,
            e.duration_months,
            pct(e.severity),
            e.regime
        );
    }
    let _ = writeln!(
        out,
        "\nBusy months (calm months are not shown: everything is delivered). Tonnes per month; import gap = what failed to arrive\nfrom disrupted suppliers, shortfall = consumption shortfall after every buffer.\n{:<8} {:<14} {:<14} {:>6} {:>12} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
        "month", "material", "bloc", "price", "demand", "recycled", "import gap", "primary", "substituted", "inv. used", "stock out", "shortfall", "inventory", "stock"
    );
    for m in &r.months {
        let _ = writeln!(
            out,
            "{:<8} {:<14} {:<14} {:>6.2} {:>12} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
            m.month,
            m.material,
            m.bloc,
            m.price_ratio,
            tonnes(m.demand),
            tonnes(m.recycled),
            tonnes(m.import_gap),
            tonnes(m.primary),
            tonnes(m.substituted),
            tonnes(m.inventory_used),
            tonnes(m.stock_out),
            tonnes(m.shortfall),
            tonnes(m.inventory),
            tonnes(m.stock)
        );
    }
    let _ = writeln!(out, "\nPath totals (cells with a shortfall):");
    for t in &r.totals {
        let _ = writeln!(
            out,
            "  {} {}: {} t short over the horizon ({} of demand), worst year {}, {} months short",
            t.bloc,
            t.material,
            tonnes(t.total_short_t),
            pct(t.total_short_t / t.total_demand_t),
            pct(t.worst_year_share),
            t.months_short
        );
    }
    out
}
