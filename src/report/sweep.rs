//! The files, table and chart of `shortfall sweep`, from a finished `experiment::sweep::Sweep`:
//! sweep.csv (tidy: one point × subject × metric per row), sweep.json (what was swept, each
//! point's cap outcome, the goal result), the terminal table, the goal sentence and the chart.

use std::fmt::Write as _;

use serde::Serialize;

use crate::experiment::sweep::{Direction, GoalResult, Sweep, SweepPoint};
use crate::model::cap::CapOutcome;
use crate::report::charts::sweep::{SweepChart, SweepLine};
use crate::report::charts::theme::slug;
use crate::report::csv::{num, CsvText};
use crate::report::figures;
use crate::report::format::pct;
use crate::stats::metric::{read, Goal, Reading, Stat, Subject};
use crate::stats::sectioning::SectionedEstimate;

/// What `sweep.json` records besides the result: where it came from and how it ran.
pub(crate) struct RunInfo<'a> {
    pub scenario: &'a str,
    pub scenario_sha256: &'a str,
    pub seed: u64,
    pub paths_per_point: u64,
    pub elapsed_seconds: f64,
    /// The chart as drawn (also with --no-charts), for `shortfall plot`.
    pub chart: &'a SweepChart,
}

/// `sweep.json`: what was swept, every point's cap outcome, the goal result.
#[derive(Debug, Serialize)]
struct SweepFile<'a> {
    scenario: &'a str,
    scenario_sha256: &'a str,
    seed: u64,
    paths_per_point: u64,
    parameters: Vec<&'a str>,
    points: Vec<PointFile>,
    goal: Option<&'a GoalResult>,
    elapsed_seconds: f64,
    command: Vec<String>,
    chart: &'a SweepChart,
}

/// What `shortfall plot` reads back from `sweep.json`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SweepFileChart {
    /// Absent in a folder written before sweep.json held it.
    pub chart: Option<SweepChart>,
}

#[derive(Debug, Serialize)]
struct PointFile {
    point: usize,
    values: Vec<f64>,
    /// What the supplier cap did at this point (empty without a cap).
    cap: Vec<CapOutcome>,
}

/// `sweep.json`, with the command line that produced it.
pub(crate) fn json(sweep: &Sweep, info: &RunInfo) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&SweepFile {
        scenario: info.scenario,
        scenario_sha256: info.scenario_sha256,
        seed: info.seed,
        paths_per_point: info.paths_per_point,
        parameters: sweep.parameters(),
        points: sweep
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| PointFile {
                point: i,
                values: p.settings.iter().map(|s| s.value).collect(),
                cap: p.cap.clone(),
            })
            .collect(),
        goal: sweep.goal.as_ref(),
        elapsed_seconds: info.elapsed_seconds,
        command: std::env::args().collect(),
        chart: info.chart,
    })
}

/// `sweep.csv`: one column per swept parameter, then one row per point × subject × metric.
pub(crate) fn csv(scenario: &str, sweep: &Sweep) -> String {
    let mut header = vec!["scenario".to_string(), "point".to_string()];
    header.extend(sweep.parameters().iter().map(|p| p.to_string()));
    // The parameter names are user text: the header goes through the writer's quoting too.
    header.extend(
        "bloc,material,metric,value,ci95_low,ci95_high,difference_from_first,difference_ci95_low,difference_ci95_high"
            .split(',')
            .map(str::to_string),
    );
    let mut out = CsvText::new();
    out.row(header);
    for r in &sweep.rows {
        let mut row = vec![scenario.to_string(), r.point.to_string()];
        row.extend(sweep.points[r.point].settings.iter().map(|s| num(s.value)));
        row.extend([
            r.bloc.clone(),
            r.material.clone(),
            r.metric.clone(),
            num(r.value),
            num(r.ci95_low),
            num(r.ci95_high),
            num(r.difference),
            num(r.difference_low),
            num(r.difference_high),
        ]);
        out.row(row);
    }
    out.finish()
}

/// How the user narrowed what the chart and table show.
pub(crate) struct SubjectChoice<'a> {
    /// The bloc charted.
    pub bloc: &'a str,
    /// Materials named with `--material` (may be empty).
    pub materials: &'a [String],
    /// The material a single swept path names (`blocs.EU.stockpiles.gallium...`).
    pub path_material: Option<&'a str>,
    /// The goal's subject, when seeking a goal.
    pub goal_subject: Option<&'a Subject>,
}

/// What the chart draws: the goal's subject; else the named materials; else the material of
/// the swept path; else the bloc as a whole and the (up to five) materials whose metric moves
/// most across the sweep.
pub(crate) fn chart_subjects(
    choice: &SubjectChoice,
    points: &[SweepPoint],
    stat: Stat,
) -> Vec<Subject> {
    let subject = |m: Option<&str>| Subject {
        bloc: choice.bloc.to_string(),
        material: m.map(str::to_string),
    };
    if let Some(g) = choice.goal_subject {
        return vec![g.clone()];
    }
    if !choice.materials.is_empty() {
        return choice.materials.iter().map(|m| subject(Some(m))).collect();
    }
    if let Some(m) = choice.path_material {
        return vec![subject(Some(m))];
    }
    let mut moved: Vec<(f64, String)> = points[0]
        .run
        .summary
        .cells
        .iter()
        .filter(|c| c.bloc == choice.bloc)
        .map(|c| {
            let s = subject(Some(&c.material));
            let values: Vec<f64> = points
                .iter()
                .filter_map(|p| read(&p.run.summary, &s, stat).map(|r| r.value))
                .collect();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (hi - lo, c.material.clone())
        })
        .filter(|(spread, _)| *spread > 0.0)
        .collect();
    moved.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out = vec![subject(None)];
    out.extend(moved.into_iter().take(5).map(|(_, m)| subject(Some(&m))));
    out
}

/// The sweep chart: `stat` of each subject against the first swept parameter, with the other
/// parameters (if any) held at their first value.
pub(crate) fn chart(
    scenario: &str,
    sweep: &Sweep,
    subjects: &[Subject],
    stat: Stat,
    goal: Option<&Goal>,
) -> SweepChart {
    let axes = &sweep.axes;
    let x_path = axes[0].path.text.as_str();
    let x_is_share = x_path.ends_with("level")
        || x_path.ends_with("share_of_demand")
        || x_path.ends_with("annual_probability")
        || x_path.ends_with("severity");
    // With several axes, chart the first along its values with the others at their first value.
    let others_first: Vec<f64> = axes.iter().skip(1).map(|a| a.values[0]).collect();
    let on_slice: Vec<&SweepPoint> = sweep
        .points
        .iter()
        .filter(|p| {
            p.settings
                .iter()
                .skip(1)
                .map(|s| s.value)
                .eq(others_first.iter().copied())
        })
        .collect();
    let lines = subjects
        .iter()
        .map(|s| SweepLine {
            label: match &s.material {
                Some(m) => m.clone(),
                None => format!("{} as a whole (worst material)", s.bloc),
            },
            points: on_slice
                .iter()
                .filter_map(|p| {
                    let r = read(&p.run.summary, s, stat)?;
                    Some((p.settings[0].value, r.value, r.ci95.low, r.ci95.high))
                })
                .collect(),
        })
        .collect();
    let what = metric_phrase(stat);
    let is_cap = x_path == "supplier_cap.level";
    SweepChart {
        stem: format!("sweep-{}", slug(&stat.to_string())),
        title: format!("{scenario}: {what} against {}", parameter_phrase(x_path)),
        subtitle: subtitle(sweep, &what, goal),
        x_label: parameter_words(x_path),
        x_is_share,
        x_labels: Vec::new(),
        y_is_probability: stat.is_probability(),
        y_label: if stat.is_probability() {
            "probability, % of paths".into()
        } else {
            "worst-year consumption shortfall, % of that year's demand".into()
        },
        lines,
        goal_bound: goal.map(|g| g.bound),
        goal_answer: sweep.goal.as_ref().and_then(|r| r.answer),
        x_marks: if is_cap {
            vec![(0.65, " CRMA benchmark: 65%".into())]
        } else {
            Vec::new()
        },
        infeasible_up_to: if is_cap {
            infeasible_up_to(&on_slice)
        } else {
            None
        },
    }
}

/// A swept field in words for an axis: `blocs.EU.stockpiles.gallium.initial_months` → "EU
/// gallium stockpile, months of demand"; falls back to the field's last segment in words.
pub(crate) fn parameter_words(path: &str) -> String {
    let segs: Vec<&str> = path.split('.').collect();
    match segs.as_slice() {
        ["supplier_cap", "level"] => {
            "single-supplier cap, largest supplier's share of the bloc's supply".into()
        }
        ["blocs", bloc, "stockpiles", material, "initial_months"] => {
            format!("{bloc} {material} stockpile, months of demand")
        }
        ["blocs", bloc, "stockpiles", material, "target_months"] => {
            format!("{bloc} {material} stockpile target, months of demand")
        }
        ["blocs", bloc, "demand", material, "tonnes_per_year"] => {
            format!("{bloc} {material} demand, t/yr")
        }
        ["disruptions", name, leaf] => format!("{name}: {}", parameter_phrase(leaf)),
        ["tension", "monthly_transitions", from, to] => {
            format!("monthly probability that tension moves from {from} to {to}")
        }
        _ => {
            let context: Vec<&str> = segs[..segs.len().saturating_sub(1)]
                .iter()
                .copied()
                .filter(|s| !matches!(*s, "blocs" | "materials" | "disruptions" | "stockpiles"))
                .collect();
            let leaf = parameter_phrase(path);
            if context.is_empty() {
                leaf
            } else {
                format!("{}: {leaf}", context.join(" "))
            }
        }
    }
}

/// On a cap sweep: the highest cap level at which some capped link cannot be met, labelled with
/// the materials it fails for (the cap is harder the lower it is, so every level below fails too).
fn infeasible_up_to(points: &[&SweepPoint]) -> Option<(f64, String)> {
    let failing: Vec<(f64, Vec<&str>)> = points
        .iter()
        .filter_map(|p| {
            let mut materials: Vec<&str> = p
                .cap
                .iter()
                .filter(|o| !o.feasible)
                .map(|o| o.material.as_str())
                .collect();
            materials.dedup();
            (!materials.is_empty()).then(|| (p.settings[0].value, materials))
        })
        .collect();
    let (edge, _) = failing.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let mut names: Vec<&str> = failing.iter().flat_map(|f| f.1.iter().copied()).collect();
    names.sort_unstable();
    names.dedup();
    Some((
        *edge,
        format!("cap cannot be met here ({})", names.join(", ")),
    ))
}

fn subtitle(sweep: &Sweep, what: &str, goal: Option<&Goal>) -> Vec<String> {
    let axes = &sweep.axes;
    let x_path = &axes[0].path.text;
    let mut subtitle = vec![format!(
        "{what}, by {} ({x_path}). Every point runs the same random paths (common random numbers), so differences between points are effects, not noise. Band: 95% confidence interval.",
        parameter_words(x_path)
    )];
    if axes.len() > 1 {
        let fixed: Vec<String> = axes
            .iter()
            .skip(1)
            .map(|a| format!("{} = {}", a.path.text, a.values[0]))
            .collect();
        subtitle.push(format!("Other parameters held at {}.", fixed.join(", ")));
    }
    if let (Some(g), Some(r)) = (goal, &sweep.goal) {
        subtitle.push(goal_subtitle(g, r));
    }
    subtitle
}

/// The chart's line on a goal's answer, in the words of the terminal's sentence (`goal_sentence`).
fn goal_subtitle(goal: &Goal, r: &GoalResult) -> String {
    let range = match (r.answer_low, r.answer_high) {
        (Some(l), Some(h)) => format!(" (95% range {l} – {h})"),
        _ => String::new(),
    };
    let answer = match (r.direction, r.answer) {
        (Direction::SmallestMeeting, Some(a)) => format!("met from {a} up{range}"),
        (Direction::LargestMeeting, Some(a)) => format!("met up to {a}{range}"),
        (Direction::MetEverywhere, _) => "met across the whole range".into(),
        _ => "not met anywhere in the range".into(),
    };
    format!("Goal {goal}: {answer}")
}

/// What a swept field means, in words, for titles and axis labels.
fn parameter_phrase(path: &str) -> String {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    match leaf {
        "level" => "single-supplier cap level".into(),
        "initial_months" => "stockpile size, months of demand".into(),
        "target_months" => "stockpile target, months of demand".into(),
        "annual_probability" => "annual probability".into(),
        "rate_per_year" => "onsets per year".into(),
        "duration_months" => "duration, months".into(),
        "floor_usd_per_t" => "price floor, USD/t".into(),
        "tonnes_per_year" => "t/yr".into(),
        other => other.replace('_', " "),
    }
}

pub(crate) fn metric_phrase(stat: Stat) -> String {
    match stat {
        Stat::Mean => "mean worst-year consumption shortfall".into(),
        Stat::ProbabilityAny => "probability of any consumption shortfall".into(),
        Stat::ProbabilityOver(x) => format!("P(worst-year consumption shortfall > {})", pct(x)),
        Stat::Quantile(q) => format!("P{} worst-year consumption shortfall", q * 100.0),
        Stat::Cvar95 | Stat::Cvar99 => format!("{stat} of the worst-year consumption shortfall"),
    }
}

/// The terminal table: `stat` of each subject at each point, and the paired difference
/// last − first (`last_minus_first`, one per subject) when there are several points.
pub(crate) fn table(
    sweep: &Sweep,
    subjects: &[Subject],
    stat: Stat,
    last_minus_first: &[Option<SectionedEstimate>],
) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:<28}", sweep.parameters().join(", "));
    for s in subjects {
        let _ = write!(
            out,
            " {:>26}",
            s.material
                .clone()
                .unwrap_or_else(|| format!("{} all", s.bloc))
        );
    }
    let _ = writeln!(
        out,
        "\n{:<28}",
        format!("({stat} of the worst-year consumption shortfall, 95% CI)")
    );
    for p in &sweep.points {
        let values: Vec<String> = p.settings.iter().map(|s| s.value.to_string()).collect();
        let _ = write!(out, "{:<28}", values.join(", "));
        for s in subjects {
            let cell = read(&p.run.summary, s, stat).map_or("-".into(), |r| fmt_reading(&r));
            let _ = write!(out, " {cell:>26}");
        }
        let _ = writeln!(out);
    }
    // Level intervals of neighbouring points overlap; their paired differences need not.
    if sweep.points.len() > 1 {
        let _ = write!(out, "{:<28}", "last − first (paired)");
        for d in last_minus_first {
            let cell = d.map_or("-".into(), |d| {
                format!(
                    "{:+.2} [{:+.2}, {:+.2}] pp",
                    100.0 * d.value,
                    100.0 * d.ci95.low,
                    100.0 * d.ci95.high
                )
            });
            let _ = write!(out, " {cell:>26}");
        }
        let _ = writeln!(out);
    }
    out
}

fn fmt_reading(r: &Reading) -> String {
    figures::share_ci(r.value, r.ci95.low, r.ci95.high)
}

/// Where along the axis the goal is met, in a sentence.
/// `tonnes_per_unit`: where the swept field counts months of a bloc's demand, the tonnes one
/// month is at the scenario's first month, so the answer is also said in tonnes.
pub(crate) fn goal_sentence(
    goal: &Goal,
    subject: &Subject,
    parameter: &str,
    r: &GoalResult,
    tonnes_per_unit: Option<f64>,
) -> String {
    match (r.direction, r.answer) {
        (Direction::SmallestMeeting, Some(a)) | (Direction::LargestMeeting, Some(a)) => {
            let which = if r.direction == Direction::SmallestMeeting {
                "smallest"
            } else {
                "largest"
            };
            let range = match (r.answer_low, r.answer_high) {
                (Some(l), Some(h)) => format!("between {l} and {h} given the 95% interval of the metric"),
                (Some(l), None) => format!("from {l} if the metric is at the lenient end of its 95% interval; the strict end never meets it in the range"),
                _ => "range not determined".into(),
            };
            let tonnage = tonnes_per_unit
                .map(|t| format!(", about {} t at the first month's demand", crate::report::figures::tonnes(a * t)))
                .unwrap_or_default();
            format!(
                "Goal {goal} for {subject}: the {which} {parameter} that meets it is {a}{tonnage} (a point of the axis; the next point, {} away, does not meet it; {range}).",
                r.resolution
            )
        }
        (Direction::MetEverywhere, _) => format!(
            "Goal {goal} for {subject}: met across the whole range of {parameter}; widen the range to find where it fails."
        ),
        _ => format!(
            "Goal {goal} for {subject}: not met anywhere in the range of {parameter}{}.",
            match r.answer_low {
                Some(l) => format!(" (the lenient end of the 95% interval meets it from {l})"),
                None => String::new(),
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(direction: Direction, answer: Option<f64>, range: Option<(f64, f64)>) -> GoalResult {
        GoalResult {
            goal: String::new(),
            direction,
            answer,
            answer_low: range.map(|r| r.0),
            answer_high: range.map(|r| r.1),
            resolution: 1.0,
            evaluations: Vec::new(),
        }
    }

    /// Each direction reads as words on the chart (it once printed the enum's name, "MetNowhere"),
    /// and a largest-meeting answer is an upper end, not a lower one.
    #[test]
    fn goal_subtitle_says_each_direction_in_words() {
        let goal = Goal {
            stat: Stat::Quantile(0.95),
            at_most: true,
            bound: 0.05,
        };
        let line = |d, a, r| goal_subtitle(&goal, &result(d, a, r));
        assert_eq!(
            line(Direction::SmallestMeeting, Some(3.0), Some((2.0, 4.0))),
            "Goal P95 <= 5%: met from 3 up (95% range 2 – 4)"
        );
        assert_eq!(
            line(Direction::LargestMeeting, Some(0.6), None),
            "Goal P95 <= 5%: met up to 0.6"
        );
        assert_eq!(
            line(Direction::MetEverywhere, None, None),
            "Goal P95 <= 5%: met across the whole range"
        );
        assert_eq!(
            line(Direction::MetNowhere, None, None),
            "Goal P95 <= 5%: not met anywhere in the range"
        );
    }
}
