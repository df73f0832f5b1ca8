//! The cap over time in the terminal (`stress-cap`): per capped link, the capacity gap today,
//! the project pipeline, and the month the bloc first complies, as a distribution over paths.

use std::fmt::Write as _;

use crate::experiment::compliance::{Binding, LinkCompliance, MaterialCompliance};
use crate::report::csv::{num, CsvText};

/// "YYYY-MM" of a month index, or "after <last month>" for never within the horizon.
fn month(m: Option<usize>, labels: &[String]) -> String {
    match (m, labels.last()) {
        (Some(t), _) if t < labels.len() => labels[t].clone(),
        (_, Some(last)) => format!("after {last}"),
        _ => "-".into(),
    }
}

/// The terminal table: one line per capped link, then one plain sentence per link.
pub(crate) fn table(links: &[LinkCompliance], binding: Binding, labels: &[String]) -> String {
    let mut out = String::new();
    if links.is_empty() {
        return out;
    }
    let binds = usize::try_from(binding.from).ok().map_or_else(
        || format!("month {}", binding.from),
        |t| month(Some(t), labels),
    );
    let _ = writeln!(
        out,
        "\nThe cap over time (binds from {binds}, phase-in {} months): compliance month over paths",
        binding.phase_in_months
    );
    let _ = writeln!(
        out,
        "{:<14} {:<12} {:<10} {:>12} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "material",
        "stage",
        "dominant",
        "gap t/yr",
        "% cons",
        "pipeline",
        "P10",
        "median",
        "P90",
        "P(never)"
    );
    for l in links {
        let gap0 = l.gap_by_year_t.first().copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "{:<14} {:<12} {:<10} {:>12.0} {:>6.1}% {:>12.0} {:>9} {:>9} {:>9} {:>8.1}%",
            l.material,
            l.stage,
            l.dominant_supplier,
            gap0,
            100.0 * gap0 / l.consumption_t_per_year.max(1e-12),
            l.pipeline_t_per_year,
            month(l.month_p10, labels),
            month(l.month_median, labels),
            month(l.month_p90, labels),
            100.0 * l.p_not_by_end
        );
    }
    for l in links {
        let _ = writeln!(out, "{}", sentence(l, labels));
    }
    out
}

/// What the cap asks of one link and when the pipeline lets the bloc meet it.
fn sentence(l: &LinkCompliance, labels: &[String]) -> String {
    let gap0 = l.gap_by_year_t.first().copied().unwrap_or(0.0);
    let head = format!(
        "{} {}: the cap moves {:.0} t/yr off {}; existing spare covers {:.0} t/yr",
        l.material, l.stage, l.excess_t_per_year, l.dominant_supplier, l.spare_t_per_year
    );
    if gap0 <= 0.0 {
        return format!("{head}, so the cap can be met today.");
    }
    if l.p_not_by_end >= 1.0 {
        return format!(
            "{head}; the cap cannot be met: {gap0:.0} t/yr of non-dominant capacity is missing and the pipeline ({:.0} t/yr) does not close it by {}.",
            l.pipeline_t_per_year,
            labels.last().map_or("the horizon's end", String::as_str)
        );
    }
    format!(
        "{head}; the cap cannot be met until new capacity arrives: median {}, {:.0}% of paths not by the horizon's end.",
        month(l.month_median, labels),
        100.0 * l.p_not_by_end
    )
}

/// `sweep --binds-from`: per point of the sweep, when each material the cap moves complies.
pub(crate) fn sweep_table(
    rows: &[(String, Vec<MaterialCompliance>)],
    binding: Binding,
    labels: &[String],
) -> String {
    let mut out = format!(
        "\nThe cap over time at each point (binds from month {} of the horizon, phase-in {} months): compliance month over paths\n",
        binding.from, binding.phase_in_months
    );
    let _ = writeln!(
        out,
        "{:<32} {:<14} {:>14} {:>14} {:>14} {:>9}",
        "point", "material", "P10", "median", "P90", "P(never)"
    );
    for (point, materials) in rows {
        if materials.is_empty() {
            let _ = writeln!(out, "{point:<32} (the cap moves nothing)");
        }
        for m in materials {
            let _ = writeln!(
                out,
                "{:<32} {:<14} {:>14} {:>14} {:>14} {:>8.1}%",
                point,
                m.material,
                month(m.month_p10, labels),
                month(m.month_median, labels),
                month(m.month_p90, labels),
                100.0 * m.p_not_by_end
            );
        }
    }
    out
}

/// `sweep-compliance.csv`: one row per point × material the cap moves.
pub(crate) fn sweep_csv(
    scenario: &str,
    rows: &[(String, Vec<MaterialCompliance>)],
    labels: &[String],
) -> String {
    let mut out = CsvText::with_header(
        "scenario,point,material,compliance_month_p10,compliance_month_median,compliance_month_p90,p_not_compliant_by_end",
    );
    for (point, materials) in rows {
        for m in materials {
            out.row([
                scenario.to_string(),
                point.clone(),
                m.material.clone(),
                month(m.month_p10, labels),
                month(m.month_median, labels),
                month(m.month_p90, labels),
                num(m.p_not_by_end),
            ]);
        }
    }
    out.finish()
}
