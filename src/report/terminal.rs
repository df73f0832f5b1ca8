//! The compact headline table printed at the end of `shortfall run`.

use std::fmt::Write;

use crate::report::format::{pct, tonnes};
use crate::stats::Summary;

/// `headline_bloc` gets a row per material; every bloc gets a summary line.
pub fn headline(s: &Summary, scenario: &str, headline_bloc: &str, elapsed: f64) -> String {
    let mut out = String::new();
    let w = &mut out;
    let k10 = s
        .thresholds
        .iter()
        .position(|&t| (t - 0.10).abs() < 1e-12)
        .unwrap_or(0);
    let _ = writeln!(w, "\n{scenario}: {} paths in {elapsed:.1} s. Shortfall = demand not delivered after rerouting, stockpiles and substitution.", s.paths);
    let _ = writeln!(w, "Worst year = the simulated year with the largest shortfall, as a share of that year's demand. [95% CI]\n");
    let _ = writeln!(
        w,
        "{headline_bloc:<14} {:>15} {:>22} {:>9} {:>24} {:>14} {:>9}",
        "P(any short)", "P(worst yr > 10%)", "mean", "P95 worst year", "P95 worst yr t", "CVaR95"
    );
    let mut rows: Vec<_> = s.cells.iter().filter(|c| c.bloc == headline_bloc).collect();
    rows.sort_by(|a, b| {
        b.probability_over_threshold[k10]
            .p
            .total_cmp(&a.probability_over_threshold[k10].p)
            .then(a.material.cmp(&b.material))
    });
    for c in rows {
        let wy = &c.worst_year_shortfall_share;
        let p95 = wy.quantile(0.95).copied();
        let p95t = c
            .worst_year_shortfall_t
            .quantile(0.95)
            .map_or(f64::NAN, |q| q.value);
        let over = &c.probability_over_threshold[k10];
        let _ = writeln!(
            w,
            "{:<14} {:>15} {:>22} {:>9} {:>24} {:>14} {:>9}",
            truncate(&c.material, 14),
            pct(c.probability_any_shortfall.p),
            format!(
                "{} [{}–{}]",
                pct(over.p),
                pct(over.ci95.low),
                pct(over.ci95.high)
            ),
            pct(wy.mean),
            p95.map_or("n/a".into(), |q| format!(
                "{} [{}–{}]",
                pct(q.value),
                pct(q.ci95.low),
                pct(q.ci95.high)
            )),
            tonnes(p95t),
            pct(wy.cvar95.value),
        );
    }
    let _ = writeln!(
        w,
        "\n{:<14} {:>15} {:>30} {:>26}",
        "bloc", "P(any short)", "P(some material > 10%)", "P95 shortfall value USD"
    );
    for b in &s.blocs {
        let over = &b.probability_any_material_over_threshold[k10];
        let _ = writeln!(
            w,
            "{:<14} {:>15} {:>30} {:>26}",
            truncate(&b.bloc, 14),
            pct(b.probability_any_shortfall.p),
            format!(
                "{} [{}–{}]",
                pct(over.p),
                pct(over.ci95.low),
                pct(over.ci95.high)
            ),
            tonnes(
                b.shortfall_value_usd
                    .quantile(0.95)
                    .map_or(f64::NAN, |q| q.value)
            ),
        );
    }
    out
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
