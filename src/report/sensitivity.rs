//! The files and table of `shortfall sensitivity`: `sensitivity.csv` (tidy, one variant of one
//! process per row), and the compact terminal table of the largest effects. Reads a finished
//! `experiment::sensitivity::Sensitivity` only. Effects are printed in percentage points (pp): the
//! metric is a probability or a share of demand, and its changes are differences of percents.

use std::fmt::Write;

use crate::experiment::sensitivity::{Sensitivity, VariantEffect};
use crate::report::csv::{num, CsvText};
use crate::report::figures;
use crate::stats::metric::{Stat, Subject};
use crate::stats::sectioning::SectionedEstimate;

pub(crate) const CSV_HEADER: &str =
    "scenario,bloc,material,metric,process,kind,variant,parameter,parameter_value,\
value,value_low,value_high,difference,difference_se,difference_low,difference_high,exact_zero";

/// How many processes the terminal table lists.
pub(crate) const TABLE_ROWS: usize = 12;

/// The metric in words: "P(worst-year shortfall > 10%)", "P95 of the worst-year shortfall".
/// Short on purpose (it titles the tornado chart); the shortfall is the consumption shortfall,
/// and the table and chart say so in a sentence of their own.
pub(crate) fn metric_phrase(stat: Stat) -> String {
    match stat {
        Stat::ProbabilityAny => "P(any shortfall)".into(),
        Stat::ProbabilityOver(x) => format!("P(worst-year shortfall > {})", pct_plain(x)),
        Stat::Mean => "mean worst-year shortfall".into(),
        Stat::Quantile(_) | Stat::Cvar95 | Stat::Cvar99 => {
            format!("{stat} of the worst-year shortfall")
        }
    }
}

/// Whose shortfall, in words: "EU cobalt", "EU, worst material".
pub(crate) fn subject_phrase(subject: &Subject) -> String {
    match &subject.material {
        Some(m) => format!("{} {m}", subject.bloc),
        None => format!("{} (worst material)", subject.bloc),
    }
}

/// `0.1` → `"10%"`, `0.025` → `"2.5%"`.
fn pct_plain(x: f64) -> String {
    let s = format!("{:.3}", x * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// A change of the metric in percentage points, signed: `-0.123` → `"-12.3"`; two decimals
/// below 1 pp so small effects do not read as zero.
pub(crate) fn pp(change: f64) -> String {
    if !change.is_finite() {
        return "n/a".into();
    }
    let v = change * 100.0;
    if v == 0.0 {
        "0".into()
    } else if v.abs() < 1.0 {
        format!("{v:+.2}")
    } else {
        format!("{v:+.1}")
    }
}

/// Tidy CSV: the base first (variant `base`), then every process's variants in tornado order.
pub(crate) fn csv(s: &Sensitivity) -> String {
    let mut out = CsvText::with_header(CSV_HEADER);
    let lead = [
        s.scenario.clone(),
        s.subject.bloc.clone(),
        s.subject.material.clone().unwrap_or_default(),
        s.metric_label.clone(),
    ];
    let level = |e: &SectionedEstimate| [num(e.value), num(e.ci95.low), num(e.ci95.high)];
    let blank = || String::new();
    out.row(
        lead.iter()
            .cloned()
            .chain([blank(), blank(), "base".into(), blank(), blank()])
            .chain(level(&s.base))
            .chain([blank(), blank(), blank(), blank(), blank()]),
    );
    for p in &s.processes {
        for e in p.effects() {
            let parameter = match e.frequency {
                Some(_) => p.frequency_field.clone().unwrap_or_default(),
                None => "enabled".into(),
            };
            let value = e.frequency.map_or("false".to_string(), num);
            out.row(
                lead.iter()
                    .cloned()
                    .chain([
                        p.process.clone(),
                        p.kind.clone(),
                        e.variant.name().into(),
                        parameter,
                        value,
                    ])
                    .chain(level(&e.value))
                    .chain([
                        num(e.difference.value),
                        num(e.difference.se),
                        num(e.difference.ci95.low),
                        num(e.difference.ci95.high),
                        e.exact_zero.to_string(),
                    ]),
            );
        }
    }
    for c in &s.classes {
        for (e, f) in [(&c.low, c.factors[0]), (&c.high, c.factors[1])] {
            let Some(e) = e else { continue };
            out.row(
                lead.iter()
                    .cloned()
                    .chain([
                        c.class.clone(),
                        "parameter class".into(),
                        e.variant.name().into(),
                        c.rule.clone(),
                        num(f),
                    ])
                    .chain(level(&e.value))
                    .chain([
                        num(e.difference.value),
                        num(e.difference.se),
                        num(e.difference.ci95.low),
                        num(e.difference.ci95.high),
                        e.exact_zero.to_string(),
                    ]),
            );
        }
    }
    out.finish()
}

/// The parameter classes, each scaled as a whole low (× 0.5) and high (× 1.5): one line each.
fn class_table(s: &Sensitivity) -> String {
    let mut out = String::new();
    if s.classes.is_empty() {
        return out;
    }
    let w = &mut out;
    let _ = writeln!(
        w,
        "\nParameter classes, every entry scaled together (low × {}, high × {}; rules in sensitivity.json):",
        s.classes[0].factors[0], s.classes[0].factors[1]
    );
    let name_w = s
        .classes
        .iter()
        .map(|c| c.class.chars().count())
        .max()
        .unwrap_or(5);
    let cell = |e: Option<&VariantEffect>| match e {
        None => "".to_string(),
        Some(e) => format!(
            "{} [{}, {}]",
            pp(e.difference.value),
            pp(e.difference.ci95.low),
            pp(e.difference.ci95.high)
        ),
    };
    let _ = writeln!(w, "{:<name_w$}  {:>24}  {:>24}", "class", "low", "high");
    for c in &s.classes {
        let note = if c.entries == 0 {
            "  (nothing in the scenario to vary)".to_string()
        } else if let Some(why) = &c.skipped {
            format!("  (a variant did not validate: {why})")
        } else {
            String::new()
        };
        let _ = writeln!(
            w,
            "{:<name_w$}  {:>24}  {:>24}{note}",
            c.class,
            cell(c.low.as_ref()),
            cell(c.high.as_ref())
        );
    }
    out
}

/// The terminal table: the base, then the processes with the largest effects.
pub(crate) fn table(s: &Sensitivity, elapsed: f64) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "\n{}: what moves {} for {}? {} variants × {} paths in {elapsed:.0} s, seed {}.",
        s.scenario,
        s.metric_label,
        subject_phrase(&s.subject),
        1 + s
            .processes
            .iter()
            .map(|p| p.effects().filter(|e| !e.exact_zero).count())
            .sum::<usize>()
            + s.classes
                .iter()
                .map(|c| c.low.iter().count() + c.high.iter().count())
                .sum::<usize>(),
        s.paths,
        s.seed
    );
    let _ = writeln!(
        w,
        "Base {}: {} [95% CI]. Change vs base in percentage points [95% CI], same paths.",
        metric_phrase(s.metric),
        figures::share_ci(s.base.value, s.base.ci95.low, s.base.ci95.high)
    );
    let _ = writeln!(
        w,
        "Shortfall here is the consumption shortfall: demand not met after rerouting, substitution, inventories and stockpiles.\n\
         off = process switched off; low/high = its frequency at P5/P95 of its range (half/double if fixed), for the {} largest switch-off effects.\n",
        s.top
    );
    // Processes that cannot reach the subject are exact zeros: one line says so below.
    let reachable: Vec<_> = s.processes.iter().filter(|p| p.reaches_subject).collect();
    let name_w = reachable
        .iter()
        .take(TABLE_ROWS)
        .map(|p| p.process.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        w,
        "{:<name_w$}  {:>24}  {:>24}  {:>24}",
        "process", "off", "low", "high"
    );
    let cell = |e: Option<&VariantEffect>| match e {
        None => "".to_string(),
        Some(e) => figures::pp_ci(
            e.difference.value,
            e.difference.ci95.low,
            e.difference.ci95.high,
        )
        .trim_end_matches(" pp")
        .to_string(),
    };
    for p in reachable.iter().take(TABLE_ROWS) {
        let _ = writeln!(
            w,
            "{:<name_w$}  {:>24}  {:>24}  {:>24}",
            p.process,
            cell(Some(&p.off)),
            cell(p.low.as_ref()),
            cell(p.high.as_ref())
        );
    }
    let rest = reachable.len().saturating_sub(TABLE_ROWS);
    if rest > 0 {
        let largest = reachable
            .iter()
            .skip(TABLE_ROWS)
            .map(|p| p.swing())
            .fold(0.0, f64::max);
        let _ = writeln!(
            w,
            "... and {rest} more, each moving it by at most {} pp (all in sensitivity.csv)",
            pp(largest).trim_start_matches('+')
        );
    }
    let unreachable = s.processes.len() - reachable.len();
    if unreachable > 0 {
        let _ = writeln!(
            w,
            "{unreachable} processes cannot reach {} (they touch none of its materials, even through triggers): exactly 0, not simulated.",
            subject_phrase(&s.subject)
        );
    }
    out.push_str(&class_table(s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_and_points_read_naturally() {
        assert_eq!(
            metric_phrase(Stat::ProbabilityOver(0.1)),
            "P(worst-year shortfall > 10%)"
        );
        assert_eq!(
            metric_phrase(Stat::Quantile(0.95)),
            "P95 of the worst-year shortfall"
        );
        assert_eq!(pp(-0.123), "-12.3");
        assert_eq!(pp(0.0012), "+0.12");
        assert_eq!(pp(0.0), "0");
        let s = Subject {
            bloc: "EU".into(),
            material: None,
        };
        assert_eq!(subject_phrase(&s), "EU (worst material)");
    }
}
