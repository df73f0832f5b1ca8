//! Renders the `check` view as plain text for a terminal.

use std::fmt::Write;

use crate::model::check::CheckReport;
use crate::report::format::{pct, tonnes};

pub(crate) fn render(r: &CheckReport) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "Scenario {}: {} months from {}",
        r.scenario, r.horizon_months, r.horizon_start
    );
    if !r.description.is_empty() {
        let _ = writeln!(w, "  {}", r.description.trim());
    }
    let _ = writeln!(w, "\nSupply concentration (production = capacity × utilisation; HHI 0–10,000, > 2,500 = highly concentrated)");
    let _ = writeln!(
        w,
        "  {:<16} {:<11} {:>14} {:<22} {:>7} {:>7}",
        "material", "stage", "world t/yr", "largest supplier", "share", "HHI"
    );
    for m in &r.materials {
        for s in &m.stages {
            let flag = if m.strategic { "*" } else { "" };
            let _ = writeln!(
                w,
                "  {:<16} {:<11} {:>14} {:<22} {:>7} {:>7.0}",
                format!("{}{flag}", m.material),
                s.stage,
                tonnes(s.world_production_t_per_year),
                s.largest_supplier,
                pct(s.largest_share),
                s.hhi
            );
        }
    }
    let _ = writeln!(
        w,
        "  (* strategic raw material, Regulation (EU) 2024/1252 Annex I)"
    );

    let _ = writeln!(w, "\nBlocs: demand, recycling, import reliance and sourcing (links above the {} cap marked !)", pct(r.cap_level));
    for b in &r.blocs {
        let _ = writeln!(w, "  {}", b.bloc);
        for m in &b.materials {
            let _ = writeln!(
                w,
                "    {:<16} demand {:>12} t/yr  recycled {:>6}  import reliance {:>6}{}",
                m.material,
                tonnes(m.demand_t_per_year),
                pct(m.recycling_share),
                pct(m.import_reliance),
                if m.stockpile_months > 0.0 {
                    format!("  stockpile {:.1} months", m.stockpile_months)
                } else {
                    String::new()
                }
            );
            for s in &m.stages {
                let top: Vec<String> = s
                    .suppliers
                    .iter()
                    .take(4)
                    .map(|(c, sh)| {
                        let over = s.over_cap.iter().any(|(oc, _)| oc == c);
                        format!("{c} {}{}", pct(*sh), if over { " !" } else { "" })
                    })
                    .collect();
                let more = s.suppliers.len().saturating_sub(4);
                let _ = writeln!(
                    w,
                    "      {:<11} {}{}",
                    s.stage,
                    top.join(", "),
                    if more > 0 {
                        format!(", +{more} more")
                    } else {
                        String::new()
                    }
                );
            }
        }
    }

    if !r.cap_outcomes.is_empty() {
        match &r.cap_binds {
            None => {
                let _ = writeln!(w, "\nSupplier cap applied at {}:", pct(r.cap_level));
            }
            Some(binds) => {
                let _ = writeln!(
                    w,
                    "\nSupplier cap at {}, binding {binds} (before it sourcing follows the market); at full strength it moves:",
                    pct(r.cap_level)
                );
            }
        }
        for c in &r.cap_outcomes {
            let _ = writeln!(
                w,
                "  {} {} {}: {} {} → {}, {} t/yr moved{}",
                c.bloc,
                c.material,
                c.stage,
                c.dominant_supplier,
                pct(c.share_before),
                pct(c.share_after),
                tonnes(c.moved_t_per_year),
                if c.feasible {
                    String::new()
                } else {
                    format!(
                        "; INFEASIBLE: {} t/yr of new capacity needed",
                        tonnes(c.capacity_gap_t_per_year)
                    )
                }
            );
        }
    }

    let _ = writeln!(w, "\nDisruption processes ({}):", r.disruptions.len());
    for d in &r.disruptions {
        let _ = writeln!(
            w,
            "  {:<34} {:<24} p/yr {:>6}  {} — {}",
            d.name,
            d.kind,
            pct(d.annual_probability),
            d.countries.join(", "),
            d.materials.join(", ")
        );
    }
    if r.tension_regimes.len() > 1 {
        let regimes: Vec<String> = r
            .tension_regimes
            .iter()
            .map(|(n, m)| format!("{n} ×{m}"))
            .collect();
        let _ = writeln!(w, "  common cause: tension regimes {}", regimes.join(", "));
    }
    for warning in &r.warnings {
        let _ = writeln!(w, "\nwarning: {warning}");
    }
    out
}
