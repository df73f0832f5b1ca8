//! Tail attribution as a terminal table and `tail_attribution.csv`: for the worst 5% of paths of
//! each bloc ("some material") and each bloc × material, which processes were active and the
//! share of the shortfall each carried (docs/model.md, "Tail attribution").

use std::fmt::Write;

use crate::report::csv::{num, CsvText};
use crate::report::format::{pct, the};
use crate::stats::tail::TailAttribution;
use crate::stats::Summary;

/// File name of the attribution table in a run folder.
pub(crate) const CSV_FILE: &str = "tail_attribution.csv";
/// Processes the terminal shows for the headline bloc.
const TERMINAL_ROWS: usize = 5;

/// The headline bloc's "some material" tail: its top processes by shortfall carried. Empty when
/// the bloc has no short path.
pub(crate) fn terminal(s: &Summary, bloc: &str) -> String {
    let mut out = String::new();
    let Some(a) = s
        .tail_attribution
        .iter()
        .find(|a| a.bloc == bloc && a.material.is_none())
    else {
        return out;
    };
    let w = &mut out;
    let _ = writeln!(
        w,
        "\nWhat drives {bloc}'s worst {} of paths (some material's worst year > {}):",
        pct(a.tail_share),
        pct(a.threshold_share)
    );
    let _ = writeln!(
        w,
        "{:<44} {:>16} {:>26}",
        "process", "active in", "carried of the shortfall"
    );
    for p in a.processes.iter().take(TERMINAL_ROWS) {
        let _ = writeln!(
            w,
            "{:<44} {:>16} {:>26}",
            p.process,
            pct(p.active_share),
            pct(p.shortfall_share)
        );
    }
    if a.processes.len() > TERMINAL_ROWS {
        let _ = writeln!(
            w,
            "({} more processes in {CSV_FILE})",
            a.processes.len() - TERMINAL_ROWS
        );
    }
    out
}

/// One sentence for a briefing: "in 68% of the EU's worst 5% of paths, X was active; it
/// carried 41% of their shortfall".
pub(crate) fn sentence(a: &TailAttribution) -> Option<String> {
    let p = a.processes.first()?;
    let subject = match &a.material {
        Some(m) => format!("{}'s {m}", the(&a.bloc)),
        None => format!("{}'s", the(&a.bloc)),
    };
    Some(format!(
        "In {} of {subject} worst {} of paths, {} was active; it carried {} of their shortfall.",
        pct(p.active_share),
        pct(a.tail_share),
        p.process,
        pct(p.shortfall_share)
    ))
}

/// `tail_attribution.csv`: one row per subject and process, plus one `(unattributed)` row per
/// subject.
pub(crate) fn csv(scenario: &str, s: &Summary) -> String {
    let mut out = CsvText::with_header(
        "scenario,bloc,material,tail_share,threshold_worst_year_share,mean_tail_shortfall,shortfall_unit,process,active_share,shortfall_share",
    );
    for a in &s.tail_attribution {
        let (material, unit) = match &a.material {
            Some(m) => {
                let unit = s
                    .cells
                    .iter()
                    .find(|c| c.bloc == a.bloc && &c.material == m)
                    .map_or("t", |c| c.unit.as_str());
                (m.as_str(), unit.to_string())
            }
            None => ("(some material)", "USD at base prices".to_string()),
        };
        let head = [
            scenario.to_string(),
            a.bloc.clone(),
            material.to_string(),
            num(a.tail_share),
            num(a.threshold_share),
            num(a.mean_shortfall),
            unit,
        ];
        for p in &a.processes {
            let mut row = head.to_vec();
            row.extend([
                p.process.clone(),
                num(p.active_share),
                num(p.shortfall_share),
            ]);
            out.row(row);
        }
        let mut row = head.to_vec();
        row.extend([
            "(unattributed)".to_string(),
            String::new(),
            num(a.unattributed_share),
        ]);
        out.row(row);
    }
    out.finish()
}

/// File name of the parameter-uncertainty bands (`run --parameter-sets`).
pub(crate) const BANDS_FILE: &str = "parameter_bands.csv";

/// With `--parameter-sets`: the headline bloc's "some material" probabilities, each as the
/// pooled value, its Monte Carlo interval and the band 90% of the sampled calibrations give.
pub(crate) fn parameter_bands(s: &Summary, bloc: &str) -> String {
    let mut out = String::new();
    let rows: Vec<_> = s
        .parameter_uncertainty
        .iter()
        .filter(|b| b.bloc == bloc && b.material.is_none())
        .collect();
    let Some(first) = rows.first() else {
        return out;
    };
    let w = &mut out;
    let _ = writeln!(
        w,
        "\nParameter uncertainty ({} parameter sets of {} paths; band: 90% of the sampled calibrations):",
        first.sets, first.paths_per_set
    );
    let _ = writeln!(
        w,
        "{:<34} {:>8} {:>22} {:>24}",
        "", "central", "Monte Carlo 95% CI", "parameter band (90%)"
    );
    for b in rows {
        let _ = writeln!(
            w,
            "{:<34} {:>8} {:>22} {:>24}",
            format!("P({bloc}: some material > {})", pct(b.threshold)),
            pct(b.pooled.p),
            format!("{}–{}", pct(b.pooled.ci95.low), pct(b.pooled.ci95.high)),
            format!("{}–{}", pct(b.band90.0), pct(b.band90.1))
        );
    }
    out
}

/// `parameter_bands.csv`: one row per bloc or cell and threshold.
pub(crate) fn bands_csv(scenario: &str, s: &Summary) -> String {
    let mut out = CsvText::with_header(
        "scenario,bloc,material,metric,central,mc_ci95_low,mc_ci95_high,parameter_sd,parameter_band90_low,parameter_band90_high,raw_band90_low,raw_band90_high,sets,paths_per_set",
    );
    for b in &s.parameter_uncertainty {
        out.row([
            scenario.to_string(),
            b.bloc.clone(),
            b.material
                .clone()
                .unwrap_or_else(|| "(some material)".into()),
            format!("p_worst_year_over_{}pct", (b.threshold * 100.0).round()),
            num(b.pooled.p),
            num(b.pooled.ci95.low),
            num(b.pooled.ci95.high),
            num(b.parameter_sd),
            num(b.band90.0),
            num(b.band90.1),
            num(b.raw_band90.0),
            num(b.raw_band90.1),
            b.sets.to_string(),
            b.paths_per_set.to_string(),
        ]);
    }
    out.finish()
}
