//! `report.html` of `shortfall sweep`, from a finished `experiment::sweep::Sweep`: the question
//! in words, what the sweep says in plain language, the table of every point with its interval
//! (and the paired change last − first), the chart inlined, what the numbers mean, how to
//! reproduce them and the source line. `plot` can write it again from the same result.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::experiment::sweep::{Sweep, SweepPoint};
use crate::report::atomic::write_atomic;
use crate::report::figures;
use crate::report::html::escape;
use crate::report::page::{self, Source};
use crate::report::sweep::{goal_sentence, metric_phrase, parameter_words, RunInfo};
use crate::stats::metric::{read, Goal, Stat, Subject};

/// Everything the page shows besides the sweep itself.
pub(crate) struct Page<'a> {
    /// Scenario, hash, seed, paths per point, elapsed time (as `sweep.json` records them).
    pub info: &'a RunInfo<'a>,
    /// The subjects of the chart and table, and the metric they show.
    pub subjects: &'a [Subject],
    pub stat: Stat,
    /// The goal sought and its subject.
    pub goal: Option<(&'a Goal, &'a Subject)>,
    /// Where the swept field counts months of demand: tonnes one month is (for the goal's answer).
    pub tonnes_per_unit: Option<f64>,
    /// The scenario's `sources` list.
    pub data_sources: &'a [String],
    /// The command line that ran the sweep, program first.
    pub command: &'a [String],
}

/// Writes `dir/report.html`, inlining the charts already in `dir/charts/`; returns its path.
pub(crate) fn write(dir: &Path, sweep: &Sweep, page: &Page) -> Result<PathBuf> {
    let path = dir.join("report.html");
    write_atomic(&path, render(dir, sweep, page)?.as_bytes())?;
    Ok(path)
}

/// The page's HTML; `dir` is where the charts are.
pub(crate) fn render(dir: &Path, sweep: &Sweep, page: &Page) -> Result<String> {
    let info = page.info;
    let x_path = sweep.axes[0].path.text.as_str();
    let mut h = page::head(&format!(
        "{}: {} against {}",
        info.scenario,
        metric_phrase(page.stat),
        parameter_words(x_path)
    ));
    let _ = write!(
        h,
        "<p class=\"question\">{}</p><p class=\"muted\">{} point(s) × {} paths, every point on the same random paths (common random numbers) · seed {} · shortfall {} · simulated in {:.1} s</p>",
        escape(&question(sweep, page)),
        sweep.points.len(),
        crate::report::charts::theme::thousands(info.paths_per_point),
        info.seed,
        env!("CARGO_PKG_VERSION"),
        info.elapsed_seconds
    );
    readings(&mut h, sweep, page);
    table(&mut h, sweep, page);
    page::charts(&mut h, dir)?;
    meaning(&mut h, sweep, page);
    page::reproduce_and_source(
        &mut h,
        &Source {
            scenario: info.scenario,
            scenario_sha256: info.scenario_sha256,
            data_sources: page.data_sources,
            version: env!("CARGO_PKG_VERSION"),
            seed: info.seed,
            paths: info.paths_per_point,
            per: "point",
            command: page.command,
        },
    );
    h.push_str("</body></html>\n");
    Ok(h)
}

/// The question the sweep answers, in words.
fn question(sweep: &Sweep, page: &Page) -> String {
    let axis = &sweep.axes[0];
    let x = parameter_words(&axis.path.text);
    let (first, last) = (
        axis.values.first().copied().unwrap_or(f64::NAN),
        axis.values.last().copied().unwrap_or(f64::NAN),
    );
    let (first, last) = (value(&axis.path.text, first), value(&axis.path.text, last));
    if let Some((goal, subject)) = page.goal {
        return format!(
            "Where between {first} and {last} on the axis “{x}” does the {} for {subject} become {} {}?",
            metric_phrase(goal.stat),
            if goal.at_most { "at most" } else { "at least" },
            pct_plain(goal.bound)
        );
    }
    let whom: Vec<String> = page.subjects.iter().map(subject_words).collect();
    format!(
        "How does the {} of {} change as “{x}” goes from {first} to {last}?",
        metric_phrase(page.stat),
        whom.join(", ")
    )
}

fn subject_words(s: &Subject) -> String {
    match &s.material {
        Some(m) => format!("{} {m}", s.bloc),
        None => format!("{} as a whole (its worst material on each path)", s.bloc),
    }
}

/// A parameter value as the axis shows it: a share (a cap level, a probability) in percent.
fn value(path: &str, v: f64) -> String {
    let is_share = path.ends_with("level")
        || path.ends_with("share_of_demand")
        || path.ends_with("annual_probability")
        || path.ends_with("severity");
    if is_share {
        pct_plain(v)
    } else {
        trim_number(v)
    }
}

fn pct_plain(share: f64) -> String {
    format!("{}%", trim_number(share * 100.0))
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A point's settings, every axis: "EU gallium stockpile, months of demand = 2.5".
fn point_values(p: &SweepPoint) -> Vec<String> {
    p.settings
        .iter()
        .map(|s| value(&s.path.text, s.value))
        .collect()
}

/// What the sweep says: the goal's answer, then each subject at the first and last point and
/// the paired change between them, then where a cap cannot be met.
fn readings(h: &mut String, sweep: &Sweep, page: &Page) {
    h.push_str("<h2>What the sweep says</h2><ul>");
    if let (Some((goal, subject)), Some(r)) = (page.goal, &sweep.goal) {
        let sentence = goal_sentence(
            goal,
            subject,
            &parameter_words(&sweep.axes[0].path.text),
            r,
            page.tonnes_per_unit,
        );
        let _ = write!(h, "<li><b>{}</b></li>", escape(&sentence));
    }
    let differences = sweep.last_minus_first(page.subjects, page.stat);
    let (Some(first), Some(last)) = (sweep.points.first(), sweep.points.last()) else {
        h.push_str("</ul>");
        return;
    };
    let at = |p: &SweepPoint| {
        p.settings
            .iter()
            .map(|s| {
                format!(
                    "{} = {}",
                    parameter_words(&s.path.text),
                    value(&s.path.text, s.value)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if sweep.points.len() > 1 {
        let _ = write!(
            h,
            "<li>From {} to {}, every point on the same paths:<ul>",
            escape(&at(first)),
            escape(&at(last))
        );
    }
    for (s, d) in page.subjects.iter().zip(&differences) {
        let reading = |p: &SweepPoint| {
            read(&p.run.summary, s, page.stat).map_or("n/a".to_string(), |r| {
                figures::share_ci(r.value, r.ci95.low, r.ci95.high)
            })
        };
        let mut line = format!("<b>{}</b>: ", escape(&subject_words(s)));
        if sweep.points.len() == 1 {
            let _ = write!(
                line,
                "{} is {} at {}",
                escape(&metric_phrase(page.stat)),
                reading(first),
                escape(&at(first))
            );
        } else {
            let _ = write!(line, "{} → {}", reading(first), reading(last));
            if let Some(d) = d {
                let _ = write!(
                    line,
                    ", a paired change of {}, {}",
                    figures::pp_ci(d.value, d.ci95.low, d.ci95.high),
                    if d.excludes_zero() {
                        "larger than the Monte Carlo noise"
                    } else {
                        "within the Monte Carlo noise: a difference this run cannot see"
                    }
                );
            }
        }
        line.push('.');
        let _ = write!(h, "<li>{line}</li>");
    }
    if sweep.points.len() > 1 {
        h.push_str("</ul></li>");
    }
    if let Some(text) = infeasible(sweep) {
        let _ = write!(h, "<li>{}</li>", escape(&text));
    }
    h.push_str("</ul>");
}

/// On a cap sweep: the points at which the cap cannot be met with today's capacity, said first
/// so no one reads their figures as compliance.
fn infeasible(sweep: &Sweep) -> Option<String> {
    let failing: Vec<(String, Vec<&str>)> = sweep
        .points
        .iter()
        .filter_map(|p| {
            let mut m: Vec<&str> = p
                .cap
                .iter()
                .filter(|o| !o.feasible)
                .map(|o| o.material.as_str())
                .collect();
            m.sort_unstable();
            m.dedup();
            (!m.is_empty()).then(|| (point_values(p).join(", "), m))
        })
        .collect();
    if failing.is_empty() {
        return None;
    }
    let mut all: Vec<&str> = failing.iter().flat_map(|f| f.1.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    let at: Vec<&str> = failing.iter().map(|f| f.0.as_str()).collect();
    let at = match at.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join("; ")),
        _ => at.join(""),
    };
    Some(format!(
        "At {at} the cap cannot be met with the capacity that exists today ({}): there the figures are of a partial move of contracts, not of compliance.",
        all.join(", ")
    ))
}

/// Every point: its settings, the metric of each subject with its 95% interval, whether the
/// cap can be met; then the paired change last − first.
fn table(h: &mut String, sweep: &Sweep, page: &Page) {
    let capped = sweep.points.iter().any(|p| !p.cap.is_empty());
    let _ = write!(
        h,
        "<h2>{} at every point [95% CI]</h2><div class=\"wide\"><table><tr>",
        escape(&capitalise(&metric_phrase(page.stat)))
    );
    for axis in &sweep.axes {
        let _ = write!(h, "<th>{}</th>", escape(&parameter_words(&axis.path.text)));
    }
    for s in page.subjects {
        let _ = write!(h, "<th>{}</th>", escape(&subject_words(s)));
    }
    if capped {
        h.push_str("<th>cap cannot be met for</th>");
    }
    h.push_str("</tr>");
    for p in &sweep.points {
        h.push_str("<tr>");
        for v in point_values(p) {
            let _ = write!(h, "<td>{}</td>", escape(&v));
        }
        for s in page.subjects {
            let cell = read(&p.run.summary, s, page.stat).map_or("n/a".to_string(), |r| {
                figures::share_ci(r.value, r.ci95.low, r.ci95.high)
            });
            let _ = write!(h, "<td class=\"n\">{cell}</td>");
        }
        if capped {
            let mut m: Vec<&str> = p
                .cap
                .iter()
                .filter(|o| !o.feasible)
                .map(|o| o.material.as_str())
                .collect();
            m.dedup();
            let _ = write!(
                h,
                "<td>{}</td>",
                if m.is_empty() {
                    "—".to_string()
                } else {
                    escape(&m.join(", "))
                }
            );
        }
        h.push_str("</tr>");
    }
    if sweep.points.len() > 1 {
        let _ = write!(
            h,
            "<tr><td colspan=\"{}\"><b>last − first</b> (paired, same paths)</td>",
            sweep.axes.len()
        );
        for d in sweep.last_minus_first(page.subjects, page.stat) {
            let cell = d.map_or("n/a".to_string(), |d| {
                figures::pp_ci(d.value, d.ci95.low, d.ci95.high)
            });
            let _ = write!(h, "<td class=\"n\">{cell}</td>");
        }
        if capped {
            h.push_str("<td></td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div><p class=\"muted\">Shares of a year's demand (or of paths, for a probability), rounded to the decimals their interval supports. Neighbouring points' intervals overlap, but the points share their random paths: the paired change in the last row has its own, narrower interval. Every figure of every point is in sweep.csv at full precision.</p>");
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

/// What the numbers mean, in plain words.
fn meaning(h: &mut String, sweep: &Sweep, page: &Page) {
    let _ = write!(
        h,
        "<h2>What the numbers mean</h2><ul><li>{}</li><li>Consumption shortfall: demand not met after rerouting, substitution, commercial inventories and strategic stockpiles. For a bloc as a whole, each path counts its worst material.</li><li>Every point is a full simulation of the scenario with the swept field set to the point's value ({}), run on the same random paths as every other point: a difference between points is what the field does, not chance.</li><li>{}</li></ul>",
        escape(&page::meaning(page.stat)),
        escape(&sweep.parameters().join(", ")),
        page::INTERVALS
    );
    if sweep.points.iter().any(|p| !p.cap.is_empty()) {
        let _ = write!(
            h,
            "<p class=\"muted\">The single-supplier cap limits the share of {} supply any one third country may provide at each stage of its strategic materials; where other suppliers lack the spare capacity the cap cannot be met, and only what existing spare can take is moved. The Critical Raw Materials Act's benchmark is 65%.</p>",
            escape(page.subjects.first().map_or("the bloc's", |s| s.bloc.as_str()))
        );
    }
}
