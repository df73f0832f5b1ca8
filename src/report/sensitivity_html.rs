//! `report.html` of `shortfall sensitivity`, from a finished `experiment::sensitivity::Sensitivity`:
//! the question in words, what moves the metric most in plain language, the table of every
//! process and parameter class with paired intervals, the tornado chart inlined, what the
//! numbers mean, how to reproduce them and the source line. `plot` can write it again from
//! sensitivity.json.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::experiment::sensitivity::{Sensitivity, VariantEffect};
use crate::report::atomic::write_atomic;
use crate::report::charts::theme::thousands;
use crate::report::figures;
use crate::report::html::escape;
use crate::report::page::{self, Source};
use crate::report::sensitivity::{metric_phrase, subject_phrase};
use crate::stats::sectioning::SectionedEstimate;

/// Writes `dir/report.html`, inlining the tornado chart already in `dir` (or `dir/charts/`);
/// `data_sources` is the scenario's `sources` list, `command` the command line that ran the
/// analysis, program first. Returns the page's path.
pub(crate) fn write(
    dir: &Path,
    s: &Sensitivity,
    data_sources: &[String],
    command: &[String],
) -> Result<PathBuf> {
    let path = dir.join("report.html");
    write_atomic(&path, render(dir, s, data_sources, command)?.as_bytes())?;
    Ok(path)
}

/// The page's HTML; `dir` is where the charts are.
pub(crate) fn render(
    dir: &Path,
    s: &Sensitivity,
    data_sources: &[String],
    command: &[String],
) -> Result<String> {
    let whom = subject_phrase(&s.subject);
    let mut h = page::head(&format!(
        "{}: what moves {} for {whom}?",
        s.scenario,
        metric_phrase(s.metric)
    ));
    let _ = write!(
        h,
        "<p class=\"question\">If one disruption process were switched off, or made rarer or more frequent, or a whole class of parameters were halved or raised by half, how far would {} for {} move?</p><p class=\"muted\">{} variants × {} paths, all on the same random paths as the base (common random numbers) · intervals from {} sections · seed {} · shortfall {}</p>",
        escape(&metric_phrase(s.metric)),
        escape(&whom),
        variants(s),
        thousands(s.paths),
        s.sections,
        s.seed,
        escape(&s.tool_version)
    );
    readings(&mut h, s);
    process_table(&mut h, s);
    class_table(&mut h, s);
    page::charts(&mut h, dir)?;
    let _ = write!(
        h,
        "<h2>What the numbers mean</h2><ul><li>{}</li><li>Consumption shortfall: demand not met after rerouting, substitution, commercial inventories and strategic stockpiles. For a bloc as a whole, each path counts its worst material.</li><li>A change is the variant minus the base in percentage points (pp) of the metric, on the same paths: a change whose interval excludes 0 is larger than the Monte Carlo noise. Off: the process never happens. Low/high: its frequency at the low and high end of its range (P5 and P95 of a distribution, half and double a fixed value), for the {} processes whose switch-off moves the metric most. A parameter class is scaled as a whole, every entry at once.</li><li>Processes that touch none of the subject's materials, even through triggers, move it by exactly 0 and are not simulated.</li><li>{}</li></ul>",
        escape(&page::meaning(s.metric)),
        s.top,
        page::INTERVALS
    );
    page::reproduce_and_source(
        &mut h,
        &Source {
            scenario: &s.scenario,
            scenario_sha256: &s.scenario_sha256,
            data_sources,
            version: &s.tool_version,
            seed: s.seed,
            paths: s.paths,
            per: "variant",
            command,
        },
    );
    h.push_str("</body></html>\n");
    Ok(h)
}

/// Variants simulated: the base, every process variant not known to be exactly zero, and the
/// class variants run.
fn variants(s: &Sensitivity) -> usize {
    1 + s
        .processes
        .iter()
        .map(|p| p.effects().filter(|e| !e.exact_zero).count())
        .sum::<usize>()
        + s.classes
            .iter()
            .map(|c| c.low.iter().count() + c.high.iter().count())
            .sum::<usize>()
}

fn pp(d: &SectionedEstimate) -> String {
    figures::pp_ci(d.value, d.ci95.low, d.ci95.high)
}

/// "raises it by 1.2 [0.4, 2.0] pp", "lowers it by 53.1 [52.4, 53.8] pp", "leaves it unchanged":
/// the size of the move after its direction in words, so no minus sign has to be read.
fn moves(d: &SectionedEstimate) -> String {
    let (verb, v, lo, hi) = if d.value > 0.0 {
        ("raises it by", d.value, d.ci95.low, d.ci95.high)
    } else if d.value < 0.0 {
        ("lowers it by", -d.value, -d.ci95.high, -d.ci95.low)
    } else {
        return "leaves it unchanged".into();
    };
    let noise = if d.excludes_zero() {
        ""
    } else {
        " (within the Monte Carlo noise)"
    };
    format!(
        "{verb} {}{noise}",
        figures::pp_ci(v, lo, hi).replace('+', "")
    )
}

/// The base, the processes that move the metric most, the largest class, what cannot move it.
fn readings(h: &mut String, s: &Sensitivity) {
    let whom = subject_phrase(&s.subject);
    let _ = write!(
        h,
        "<h2>What the analysis says</h2><ul><li>With the scenario as written, {} for {} is <b>{}</b> [95% CI].</li>",
        escape(&metric_phrase(s.metric)),
        escape(&whom),
        figures::share_ci(s.base.value, s.base.ci95.low, s.base.ci95.high)
    );
    let reachable: Vec<_> = s.processes.iter().filter(|p| p.reaches_subject).collect();
    for p in reachable.iter().take(3) {
        let mut line = format!(
            "Switching off <b>{}</b> ({}) {}",
            escape(&p.process),
            escape(&p.kind),
            escape(&moves(&p.off.difference))
        );
        if let (Some(lo), Some(hi)) = (&p.low, &p.high) {
            let _ = write!(
                line,
                "; at its frequency's low end it changes by {}, at its high end by {}",
                pp(&lo.difference),
                pp(&hi.difference)
            );
        }
        let _ = write!(h, "<li>{line}.</li>");
    }
    if let Some(c) = s
        .classes
        .iter()
        .filter(|c| c.low.is_some() || c.high.is_some())
        .max_by(|a, b| a.swing().total_cmp(&b.swing()))
    {
        let change =
            |e: Option<&VariantEffect>| e.map_or("not run".to_string(), |e| pp(&e.difference));
        let _ = write!(
            h,
            "<li>Of the parameter classes, <b>{}</b> moves it most: × {} changes it by {}, × {} by {}.</li>",
            escape(&c.class),
            c.factors[0],
            change(c.low.as_ref()),
            c.factors[1],
            change(c.high.as_ref())
        );
    }
    let unreachable = s.processes.len() - reachable.len();
    if unreachable > 0 {
        let _ = write!(
            h,
            "<li>{unreachable} processes touch none of {}'s materials, even through triggers: they move it by exactly 0.</li>",
            escape(&whom)
        );
    }
    h.push_str("</ul>");
}

/// One row per process that can reach the subject, largest effect first.
fn process_table(h: &mut String, s: &Sensitivity) {
    h.push_str("<h2>Each disruption process: change from the base, pp [95% CI]</h2><table><tr><th>process</th><th>kind</th><th>frequency as written</th><th>switched off</th><th>frequency low</th><th>frequency high</th></tr>");
    let cell = |e: Option<&VariantEffect>| match e {
        None => "—".to_string(),
        Some(e) => {
            let at = e.frequency.map_or(String::new(), |f| {
                format!(" <span class=\"muted\">(at {})</span>", trim(f))
            });
            format!("{}{at}", pp(&e.difference))
        }
    };
    for p in s.processes.iter().filter(|p| p.reaches_subject) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&p.process),
            escape(&p.kind),
            escape(p.frequency_as_written.as_deref().unwrap_or("scripted")),
            cell(Some(&p.off)),
            cell(p.low.as_ref()),
            cell(p.high.as_ref())
        );
    }
    h.push_str("</table>");
}

/// One row per parameter class, scaled low and high as a whole.
fn class_table(h: &mut String, s: &Sensitivity) {
    if s.classes.is_empty() {
        return;
    }
    h.push_str("<h2>Each parameter class, every entry scaled together: change from the base, pp [95% CI]</h2><table><tr><th>class</th><th>how a factor moves it</th><th>entries</th><th>low</th><th>high</th></tr>");
    for c in &s.classes {
        let cell = |e: Option<&VariantEffect>, f: f64| match e {
            Some(e) => format!("{} <span class=\"muted\">(× {f})</span>", pp(&e.difference)),
            None if c.entries == 0 => "nothing to vary".into(),
            None => c.skipped.as_deref().map_or("not run".to_string(), |why| {
                format!("not run: {}", escape(why))
            }),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&c.class),
            escape(&c.rule),
            c.entries,
            cell(c.low.as_ref(), c.factors[0]),
            cell(c.high.as_ref(), c.factors[1])
        );
    }
    h.push_str("</table>");
}

/// A frequency without trailing zeros: `0.1` → "0.1", `0.0500` → "0.05".
fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
