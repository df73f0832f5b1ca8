//! The compact headline table printed at the end of `shortfall run`. Its headline is the
//! consumption shortfall; the import gap stands beside it in one column, so a reader sees how
//! much of what failed to arrive the buffers absorbed. Fits in 100 columns.

use std::fmt::Write;

use crate::report::figures;
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
        "{:<11} {:>6} {:>21} {:>11} {:>22} {:>10} {:>11}",
        "",
        "",
        "P(worst year > 10%)",
        "mean worst-",
        "P95 worst-year share",
        "P95 worst",
        "import gap"
    );
    let _ = writeln!(
        w,
        "{:<11} {:>6} {:>21} {:>11} {:>22} {:>10} {:>11}",
        "material", "P(any)", "[95% CI]", "year share", "[95% CI]", "year, t", "P(>10%)"
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
        let p95t = c
            .worst_year_shortfall_t
            .quantile(0.95)
            .map_or(f64::NAN, |q| q.value);
        let gap = c
            .import_gap
            .as_ref()
            .and_then(|g| g.probability_over_threshold.get(k10))
            .map_or("n/a".to_string(), figures::prob);
        let _ = writeln!(
            w,
            "{:<11} {:>6} {:>21} {:>11} {:>22} {:>10} {:>11}",
            truncate(&c.material, 11),
            figures::prob(&c.probability_any_shortfall),
            figures::prob_ci(&c.probability_over_threshold[k10]),
            figures::share_se(wy.mean, wy.mean_se),
            figures::quantile_ci(wy, 0.95),
            figures::tonnes(p95t),
            gap,
        );
    }
    let _ = writeln!(
        w,
        "\nConsumption shortfall per bloc (worst year of some material > 10%; value at {}):",
        basis(&s.month_labels)
    );
    let _ = writeln!(
        w,
        "{:<14} {:>7} {:>30} {:>26}",
        "bloc", "P(any)", "P(some material > 10%)", "P95 value of shortfall"
    );
    for b in &s.blocs {
        let _ = writeln!(
            w,
            "{:<14} {:>7} {:>30} {:>26}",
            truncate(&b.bloc, 14),
            figures::prob(&b.probability_any_shortfall),
            figures::prob_ci(&b.probability_any_material_over_threshold[k10]),
            figures::usd(
                b.shortfall_value_usd
                    .quantile(0.95)
                    .map_or(f64::NAN, |q| q.value)
            ),
        );
    }
    floors(w, s);
    out
}

/// "base prices, 2026–30" from the run's month labels.
fn basis(labels: &[String]) -> String {
    match (labels.first(), labels.last()) {
        (Some(a), Some(b)) => figures::money_basis(a, b),
        _ => "base prices".into(),
    }
}

/// The fiscal cost of each price floor (what the buyer of last resort pays), when the scenario
/// has floors: mean and P95 over the horizon, at base prices.
fn floors(w: &mut String, s: &Summary) {
    if s.floors.is_empty() {
        return;
    }
    let _ = writeln!(
        w,
        "\nFiscal cost of price floors, total over the horizon ({}):",
        basis(&s.month_labels)
    );
    let _ = writeln!(w, "{:<30} {:>16} {:>16}", "floor", "mean", "P95");
    for f in &s.floors {
        let c = &f.fiscal_cost_usd;
        let _ = writeln!(
            w,
            "{:<30} {:>16} {:>16}",
            truncate(&f.floor, 30),
            figures::usd(c.mean),
            c.quantile(0.95)
                .map_or("n/a".into(), |q| figures::usd(q.value)),
        );
    }
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
