//! The files, tables and breach chart of `shortfall stress-cap`, from a finished
//! `experiment::stress_cap::StressCap`: stress-cap.csv (one strategic material × metric per
//! row), stress-cap.json, the terminal tables and the monthly breach chart.

use std::fmt::Write as _;

use serde::Serialize;

use crate::experiment::cap_cost::MaterialCost;
use crate::experiment::compliance::{LinkCompliance, MaterialCompliance};
use crate::experiment::stress_cap::{BreachRow, MaterialFeasibility, SpillRow};
use crate::experiment::stress_cap::{StressCap, StressRow};
use crate::report::charts::sweep::{SweepChart, SweepLine};
use crate::report::csv::{num, CsvText};
use crate::report::figures;
use crate::report::format::pct;

const CSV_HEADER: &str = "scenario,material,metric,without_cap,without_ci95_low,without_ci95_high,with_cap,with_ci95_low,with_ci95_high,difference,difference_ci95_low,difference_ci95_high,significant";

/// What `stress-cap.json` records besides the result: where it came from and how it ran.
pub(crate) struct RunInfo<'a> {
    pub scenario: &'a str,
    pub scenario_sha256: &'a str,
    pub seed: u64,
    pub paths_per_variant: u64,
    pub month_labels: &'a [String],
    pub elapsed_seconds: f64,
}

/// `stress-cap.json`.
#[derive(Debug, Serialize)]
struct StressFile<'a> {
    scenario: &'a str,
    scenario_sha256: &'a str,
    bloc: &'a str,
    cap: f64,
    /// When the cap binds, in words ("from 2030-01"); `shortfall plot` reads it back.
    binds: &'a str,
    seed: u64,
    paths_per_variant: u64,
    materials: &'a [MaterialFeasibility],
    rows: &'a [StressRow],
    breach: &'a [BreachRow],
    /// The cap over time per capped link (`experiment::compliance`).
    compliance: &'a [LinkCompliance],
    /// The same per material (`experiment::compliance::material_compliance`).
    compliance_by_material: &'a [MaterialCompliance],
    /// What the cap costs per material it moved (`experiment::cap_cost`).
    cost: &'a [MaterialCost],
    /// The paired effect on the other blocs.
    spillover: &'a [SpillRow],
    month_labels: &'a [String],
    elapsed_seconds: f64,
    command: Vec<String>,
}

/// `stress-cap.csv`: one row per material (`all` for the bloc as a whole) × metric.
pub(crate) fn csv(scenario: &str, rows: &[StressRow]) -> String {
    let mut out = CsvText::with_header(CSV_HEADER);
    for r in rows {
        out.row([
            scenario.to_string(),
            r.material.clone(),
            r.metric.clone(),
            num(r.without_cap),
            num(r.without_low),
            num(r.without_high),
            num(r.with_cap),
            num(r.with_low),
            num(r.with_high),
            num(r.difference),
            num(r.difference_low),
            num(r.difference_high),
            r.significant.to_string(),
        ]);
    }
    out.finish()
}

/// `stress-cap.json`, with the command line that produced it.
pub(crate) fn json(s: &StressCap, info: &RunInfo) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&StressFile {
        scenario: info.scenario,
        scenario_sha256: info.scenario_sha256,
        bloc: &s.bloc,
        cap: s.cap,
        binds: &s.binds,
        seed: info.seed,
        paths_per_variant: info.paths_per_variant,
        materials: &s.materials,
        rows: &s.rows,
        breach: &s.breach,
        compliance: &s.compliance,
        compliance_by_material: &s.compliance_by_material,
        cost: &s.cost,
        spillover: &s.spillover,
        month_labels: info.month_labels,
        elapsed_seconds: info.elapsed_seconds,
        command: std::env::args().collect(),
    })
}

/// The terminal table: P95 and P(>10%) without and with the cap, the paired difference and
/// whether the cap can be met.
pub(crate) fn table(s: &StressCap) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} with a {} single-supplier cap on strategic materials (worst-year consumption shortfall, % of demand;\n(n.s.) = the 95% CI of the difference includes zero)\n",
        s.bloc,
        pct(s.cap)
    );
    let _ = writeln!(
        out,
        "{:<14} {:<10} {:>16} {:>16} {:>32}  cap feasible? (gap t/yr)",
        "material", "metric", "without cap", "with cap", "difference [95% CI]"
    );
    for r in s
        .rows
        .iter()
        .filter(|r| r.metric == "P95" || r.metric == "P(>10%)")
    {
        let feas = if r.metric == "P95" {
            feasibility(&s.materials, &r.material)
        } else {
            String::new()
        };
        let d = figures::decimals(r.difference_low, r.difference_high);
        let _ = writeln!(
            out,
            "{:<14} {:<10} {:>16} {:>16} {:>32}  {}",
            r.material,
            r.metric,
            figures::share_at(r.without_cap, d),
            figures::share_at(r.with_cap, d),
            format!(
                "{}{}",
                figures::pp_ci(r.difference, r.difference_low, r.difference_high),
                if r.significant { "" } else { " (n.s.)" }
            ),
            feas
        );
    }
    out
}

/// "yes", "NO (gap …)" or "already under the cap"; empty for the bloc as a whole.
fn feasibility(materials: &[MaterialFeasibility], material: &str) -> String {
    materials
        .iter()
        .find(|f| f.material == material)
        .map_or(String::new(), |f| {
            if f.links.is_empty() {
                "already under the cap".into()
            } else if f.feasible {
                "yes".into()
            } else {
                format!("NO (gap {})", figures::tonnes(f.capacity_gap_t_per_year))
            }
        })
}

/// How often each capped link is breached, without and with the cap.
pub(crate) fn breach_table(rows: &[BreachRow]) -> String {
    let mut out = String::from(
        "\nP(one third country supplies more than the cap of what the bloc receives, in some month)\n",
    );
    let _ = writeln!(
        out,
        "{:<14} {:<14} {:>12} {:>12} {:>22}",
        "material", "stage", "without cap", "with cap", "with cap, worst month"
    );
    for r in rows {
        let worst = r.with_cap_monthly.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            out,
            "{:<14} {:<14} {:>12} {:>12} {:>22}",
            r.material,
            r.stage,
            figures::prob(&r.without_cap_any_month),
            figures::prob(&r.with_cap_any_month),
            pct(worst)
        );
    }
    out
}

/// Monthly breach probability with the cap, one line per capped link that is ever breached.
pub(crate) fn breach_chart(s: &StressCap, months: &[String]) -> SweepChart {
    let infeasible: Vec<&str> = s
        .materials
        .iter()
        .filter(|f| !f.feasible)
        .map(|f| f.material.as_str())
        .collect();
    let mut lines: Vec<SweepLine> = s
        .breach
        .iter()
        .filter(|r| r.with_cap_monthly.iter().any(|&p| p > 0.0))
        .map(|r| SweepLine {
            label: format!("{} · {}", r.material, r.stage),
            points: r
                .with_cap_monthly
                .iter()
                .enumerate()
                .map(|(t, &p)| (t as f64, p, p, p))
                .collect(),
        })
        .collect();
    lines.sort_by(|x, y| {
        let peak = |l: &SweepLine| l.points.iter().map(|p| p.1).fold(0.0, f64::max);
        peak(y).total_cmp(&peak(x)).then(x.label.cmp(&y.label))
    });
    lines.truncate(8);
    SweepChart {
        stem: "cap-breach".into(),
        title: format!(
            "{}: how often is the {} cap breached once disruptions reroute supply?",
            s.bloc,
            pct(s.cap)
        ),
        subtitle: vec![format!(
            "Share of paths in which one third country supplies more than {} of what the {} receives at a capped stage (recycling included), by month. \
             Sourcing is rebalanced to the cap in calm months; a disruption that cuts other suppliers, or rerouted spare from the dominant one, pushes it over. The eight links most often breached.{}",
            pct(s.cap),
            s.bloc,
            if infeasible.is_empty() {
                String::new()
            } else {
                format!(" Where the cap cannot be met ({}), it is breached in calm months too.", infeasible.join(", "))
            }
        )],
        x_label: "month".into(),
        x_is_share: false,
        x_labels: months.to_vec(),
        y_label: "P(cap breached), % of paths".into(),
        y_is_probability: true,
        lines,
        goal_bound: None,
        goal_answer: None,
        x_marks: Vec::new(),
        infeasible_up_to: None,
    }
}
