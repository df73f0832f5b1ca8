//! The compact headline table printed at the end of `shortfall run`. Its headline is the
//! consumption shortfall; the import gap stands beside it in one column, so a reader sees how
//! much of what failed to arrive the buffers absorbed. Fits in 100 columns.

use std::fmt::Write;

use crate::report::format::{pct, tonnes};
use crate::stats::estimate::ProbabilityEstimate;
use crate::stats::Summary;

/// `headline_bloc` gets a row per material; every bloc gets a summary line.
pub(crate) fn headline(s: &Summary, scenario: &str, headline_bloc: &str, elapsed: f64) -> String {
    let mut out = String::new();
    let w = &mut out;
    let k10 = s
        .thresholds
        .iter()
        .position(|&t| (t - 0.10).abs() < 1e-12)
        .unwrap_or(0);
    let _ = writeln!(w, "\n{scenario}: {} paths in {elapsed:.1} s.", s.paths);
    let _ = writeln!(w, "Consumption shortfall = demand not met after rerouting, substitution, commercial inventories");
    let _ = writeln!(w, "and strategic stockpiles. Import gap = contracted supply that failed to arrive from disrupted");
    let _ = writeln!(w, "suppliers, before those buffers. Worst year = the simulated year with the largest share of");
    let _ = writeln!(
        w,
        "that year's demand. [95% CI: Monte Carlo error only, not the model's own uncertainty]\n"
    );
    let _ = writeln!(
        w,
        "{headline_bloc} consumption shortfall in the worst year, by material (import gap on the right):"
    );
    let _ = writeln!(
        w,
        "{:<11} {:>6} {:>21} {:>6} {:>22} {:>9} {:>18}",
        "material",
        "P(any)",
        "P(>10%) [95% CI]",
        "mean",
        "P95 [95% CI]",
        "P95 t",
        "import gap P(>10%)"
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
        let gap = c
            .import_gap
            .as_ref()
            .and_then(|g| g.probability_over_threshold.get(k10))
            .map_or("n/a".to_string(), |p| pct(p.p));
        let _ = writeln!(
            w,
            "{:<11} {:>6} {:>21} {:>6} {:>22} {:>9} {:>18}",
            truncate(&c.material, 11),
            pct(c.probability_any_shortfall.p),
            with_ci(&c.probability_over_threshold[k10]),
            pct(wy.mean),
            p95.map_or("n/a".into(), |q| format!(
                "{} [{}–{}]",
                pct(q.value),
                pct(q.ci95.low),
                pct(q.ci95.high)
            )),
            tonnes(p95t),
            gap,
        );
    }
    let _ = writeln!(w, "\nConsumption shortfall per bloc (some material's worst year > 10%; value at base prices):");
    let _ = writeln!(
        w,
        "{:<14} {:>7} {:>30} {:>26}",
        "bloc", "P(any)", "P(some material > 10%)", "P95 value, USD"
    );
    for b in &s.blocs {
        let _ = writeln!(
            w,
            "{:<14} {:>7} {:>30} {:>26}",
            truncate(&b.bloc, 14),
            pct(b.probability_any_shortfall.p),
            with_ci(&b.probability_any_material_over_threshold[k10]),
            tonnes(
                b.shortfall_value_usd
                    .quantile(0.95)
                    .map_or(f64::NAN, |q| q.value)
            ),
        );
    }
    out
}

/// "12.3% [11.8%–12.9%]".
fn with_ci(p: &ProbabilityEstimate) -> String {
    format!("{} [{}–{}]", pct(p.p), pct(p.ci95.low), pct(p.ci95.high))
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
