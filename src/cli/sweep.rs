//! `shortfall sweep`: run a grid of parameter values on common random numbers, or seek the value
//! that meets a goal, and write a tidy CSV, JSON and a chart. Glue only: the grid, rows and
//! bisection live in `experiment::sweep`, the drawing in `report::charts::sweep`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use crate::cli::{cancel_on_ctrl_c, threads as resolve_threads};
use crate::cli_run::BadArgument;
use crate::experiment::sweep::{self, Axis, GoalResult, SweepRow};
use crate::experiment::variant::{self, Setting};
use crate::experiment::{run_variant, VariantRun};
use crate::model::cap::CapOutcome;
use crate::report::charts::sweep::{SweepChart, SweepLine};
use crate::report::charts::{write_sweep_chart, ChartMeta};
use crate::report::{atomic::write_atomic, format::pct};
use crate::scenario::diagnostic::unknown_name_hint;
use crate::scenario::setter::SETTABLE;
use crate::scenario::{self, DEFAULT_SCENARIO};
use crate::sim::RunConfig;
use crate::stats::metric::{read, Goal, Reading, Stat, Subject};

/// 10 sections of 2,048 paths: a paired interval on 9 degrees of freedom, ~5 s a point here.
pub const DEFAULT_SWEEP_PATHS: u64 = 20_480;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # P95 worst-year shortfall against the single-supplier cap level\n  \
    shortfall sweep --cap 0.5:1:0.05\n\n  \
    # EU gallium stockpile size, 0 to 12 months of demand\n  \
    shortfall sweep --set blocs.EU.stockpiles.gallium.initial_months=0:12:1\n\n  \
    # the smallest gallium stockpile whose P95 worst-year shortfall is at most 5%\n  \
    shortfall sweep --set blocs.EU.stockpiles.gallium.initial_months=0:12:0.25 \\\n      \
    --goal \"P95 shortfall <= 5%\"")]
pub struct SweepArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// PATH=FROM:TO:STEP or PATH=V1,V2,... (repeatable: a grid). PATH is a numeric field, e.g.
    /// supplier_cap.level, blocs.EU.stockpiles.gallium.initial_months,
    /// disruptions.drc-cobalt-export-ban.annual_probability.
    #[arg(long = "set", value_name = "PATH=FROM:TO:STEP")]
    pub sets: Vec<String>,
    /// Shorthand for --set supplier_cap.level=FROM:TO:STEP (a cap on the EU's strategic
    /// materials at every stage, unless the scenario sets its own).
    #[arg(long, value_name = "FROM:TO:STEP")]
    pub cap: Option<String>,
    /// Metric charted (and printed) against the parameter: mean, P50, P90, P95, P99, CVaR95,
    /// P(any), P(>5%), P(>10%), P(>25%) of the worst-year shortfall share.
    #[arg(long, default_value = "P95")]
    pub metric: String,
    /// Bloc whose shortfall is charted.
    #[arg(long, default_value = "EU")]
    pub bloc: String,
    /// Materials charted (repeatable); default: the bloc as a whole plus the materials the
    /// sweep moves most, or the material named in a single --set path.
    #[arg(long = "material", value_name = "NAME")]
    pub materials: Vec<String>,
    /// Find where along a single --set axis the goal is met, by bisection, e.g.
    /// "P95 shortfall <= 5%". Subject: the --material given, else the one in the --set path,
    /// else the bloc as a whole.
    #[arg(long)]
    pub goal: Option<String>,
    /// Paths per point (rounded up to whole sections of 2,048).
    #[arg(long, default_value_t = DEFAULT_SWEEP_PATHS, value_name = "N")]
    pub paths: u64,
    #[command(flatten)]
    pub flags: crate::cli::ExperimentFlags,
    /// Output folder (default: `output/<scenario>/sweep-<parameter>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the PNG and SVG charts.
    #[arg(long)]
    pub no_charts: bool,
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
}

#[derive(Debug, Serialize)]
struct PointFile {
    point: usize,
    values: Vec<f64>,
    /// What the supplier cap did at this point (empty without a cap).
    cap: Vec<CapOutcome>,
}

pub fn sweep(args: SweepArgs) -> Result<ExitCode> {
    let spec = args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO);
    let base = scenario::load(spec)?;
    let base_model = crate::model::compile(&base)?;
    let bad = |m: String| anyhow::Error::from(BadArgument(m));

    let mut specs = args.sets.clone();
    if let Some(cap) = &args.cap {
        specs.insert(0, format!("supplier_cap.level={cap}"));
    }
    if specs.is_empty() {
        return Err(bad(format!(
            "nothing to sweep: give --set PATH=FROM:TO:STEP or --cap FROM:TO:STEP; settable fields are {SETTABLE}"
        )));
    }
    let axes: Vec<Axis> = specs
        .iter()
        .map(|s| Axis::parse(s).map_err(|e| bad(format!("--set {e}"))))
        .collect::<Result<_>>()?;
    let stat = Stat::parse(&args.metric).map_err(|e| bad(format!("--metric {e}")))?;
    let goal = args
        .goal
        .as_deref()
        .map(|g| Goal::parse(g).map_err(|e| bad(format!("--goal {e}"))))
        .transpose()?;
    if goal.is_some() && axes.len() != 1 {
        return Err(bad("--goal searches along exactly one --set axis".into()));
    }
    if !base_model.blocs.iter().any(|b| b.name == args.bloc) {
        let names: Vec<&str> = base_model.blocs.iter().map(|b| b.name.as_str()).collect();
        return Err(bad(format!(
            "--bloc: {}",
            unknown_name_hint(&args.bloc, "bloc", names.iter().copied())
        )));
    }
    let material_names: Vec<&str> = base_model
        .materials
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    for m in &args.materials {
        if !material_names.contains(&m.as_str()) {
            return Err(bad(format!(
                "--material: {}",
                unknown_name_hint(m, "material", material_names.iter().copied())
            )));
        }
    }
    // Validate every setting once up front, so a typo fails before minutes of running.
    for axis in &axes {
        for &v in [axis.values.first(), axis.values.last()]
            .into_iter()
            .flatten()
        {
            let s = Setting {
                path: axis.path.clone(),
                value: v,
            };
            variant::build(&base, &[s]).map_err(|e| match e.downcast::<variant::BadSetting>() {
                Ok(b) => bad(b.0),
                Err(e) => e,
            })?;
        }
    }

    let threads = resolve_threads(args.flags.threads)?;
    let cfg = RunConfig {
        seed: args.flags.seed,
        paths: args.paths,
        threads,
        target_se: None,
        max_paths: args.paths,
    };
    let paths = crate::experiment::sectioned_paths(args.paths);
    let cancel = cancel_on_ctrl_c();
    let clock = Instant::now();
    let name = base_model.name.clone();
    let parameters: Vec<&str> = axes.iter().map(|a| a.path.text.as_str()).collect();

    // Subject of the goal and of a single-material chart: the --material, else the material a
    // single --set path names (blocs.EU.stockpiles.gallium...), else the bloc as a whole.
    let path_material = (axes.len() == 1)
        .then(|| {
            axes[0]
                .path
                .text
                .split('.')
                .find(|seg| material_names.contains(seg))
                .map(str::to_string)
        })
        .flatten();
    let goal_subject = Subject {
        bloc: args.bloc.clone(),
        material: args.materials.first().cloned().or(path_material.clone()),
    };

    let mut evaluated: Vec<(Vec<Setting>, VariantRun, Vec<CapOutcome>)> = Vec::new();
    let mut goal_result = None;
    let run_point =
        |settings: Vec<Setting>, label: String| -> Result<(VariantRun, Vec<CapOutcome>)> {
            let model = variant::build(&base, &settings)?;
            let bar = crate::progress::bar(paths, args.flags.quiet);
            bar.set_message(label);
            let run = run_variant(&model, &cfg, &cancel, |done, _| bar.set_position(done))?;
            bar.finish_and_clear();
            if run.cancelled {
                return Err(Interrupted.into());
            }
            Ok((run, model.cap_report.clone()))
        };
    let outcome: Result<()> = (|| {
        if let Some(goal) = &goal {
            let axis = &axes[0];
            let (from, to) = (
                axis.values.iter().copied().fold(f64::INFINITY, f64::min),
                axis.values
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max),
            );
            let resolution = axis.step.unwrap_or((to - from) / 100.0).max(1e-12);
            let result = sweep::seek(goal, from, to, resolution, |x| -> Result<Reading> {
                let settings = vec![Setting {
                    path: axis.path.clone(),
                    value: x,
                }];
                let (run, cap) = run_point(settings.clone(), format!("{} = {x}", axis.path.text))?;
                let r = read(&run.summary, &goal_subject, goal.stat).ok_or_else(|| {
                    bad(format!(
                        "--goal: {goal_subject} has no shortfall figures in this scenario"
                    ))
                })?;
                evaluated.push((settings, run, cap));
                Ok(r)
            })?;
            goal_result = Some(result);
        } else {
            let points = sweep::grid(&axes).map_err(bad)?;
            for settings in points {
                let label: Vec<String> = settings.iter().map(ToString::to_string).collect();
                let (run, cap) = run_point(settings.clone(), label.join(", "))?;
                evaluated.push((settings, run, cap));
            }
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        if e.downcast_ref::<Interrupted>().is_some() {
            eprintln!("interrupted; nothing was written");
            return Ok(ExitCode::from(130));
        }
        return Err(e);
    }
    let elapsed = clock.elapsed().as_secs_f64();
    // Points in parameter order, so the first is the reference of every paired difference.
    evaluated.sort_by(|a, b| {
        let va: Vec<f64> = a.0.iter().map(|s| s.value).collect();
        let vb: Vec<f64> = b.0.iter().map(|s| s.value).collect();
        va.partial_cmp(&vb).unwrap_or(std::cmp::Ordering::Equal)
    });
    evaluated.dedup_by(|a, b| a.0 == b.0);

    let first = &evaluated[0].1;
    let mut all_rows: Vec<SweepRow> = Vec::new();
    for (i, (_, run, _)) in evaluated.iter().enumerate() {
        all_rows.extend(sweep::rows(i, run, first));
    }

    let slug: Vec<String> = parameters
        .iter()
        .map(|p| {
            p.rsplit('.')
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    let out_dir = args.out.clone().unwrap_or_else(|| {
        crate::cli::default_out_dir(&name).join(format!("sweep-{}", slug.join("-")))
    });
    write_atomic(
        &out_dir.join("sweep.csv"),
        sweep_csv(&name, &parameters, &evaluated, &all_rows).as_bytes(),
    )?;
    let file = SweepFile {
        scenario: &name,
        scenario_sha256: &base.hash,
        seed: args.flags.seed,
        paths_per_point: paths,
        parameters: parameters.clone(),
        points: evaluated
            .iter()
            .enumerate()
            .map(|(i, (s, _, cap))| PointFile {
                point: i,
                values: s.iter().map(|s| s.value).collect(),
                cap: cap.clone(),
            })
            .collect(),
        goal: goal_result.as_ref(),
        elapsed_seconds: elapsed,
        command: std::env::args().collect(),
    };
    write_atomic(
        &out_dir.join("sweep.json"),
        serde_json::to_string_pretty(&file)?.as_bytes(),
    )?;

    let chart_subjects = chart_subjects(
        &args,
        &evaluated,
        stat,
        path_material.as_deref(),
        goal.as_ref().map(|_| &goal_subject),
    );
    let chart_stat = goal.map_or(stat, |g| g.stat);
    if !args.no_charts {
        let chart = sweep_chart(
            &name,
            &parameters,
            &axes,
            &evaluated,
            &chart_subjects,
            chart_stat,
            goal.as_ref(),
            goal_result.as_ref(),
        );
        let meta = ChartMeta {
            scenario: name.clone(),
            paths,
            seed: args.flags.seed,
        };
        write_sweep_chart(&chart, &meta, &out_dir).context("drawing the sweep chart")?;
    }

    print!(
        "{}",
        terminal_table(&parameters, &evaluated, &chart_subjects, chart_stat)
    );
    if let (Some(goal), Some(r)) = (&goal, &goal_result) {
        println!("\n{}", goal_sentence(goal, &goal_subject, parameters[0], r));
    }
    println!(
        "\n{} point(s) × {} paths in {:.1} s; wrote {} (sweep.csv, sweep.json{})",
        evaluated.len(),
        crate::report::charts::theme::thousands(paths),
        elapsed,
        out_dir.display(),
        if args.no_charts { "" } else { ", charts/" }
    );
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C during a point.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
struct Interrupted;

type Evaluated = (Vec<Setting>, VariantRun, Vec<CapOutcome>);

fn sweep_csv(
    scenario: &str,
    parameters: &[&str],
    points: &[Evaluated],
    rows: &[SweepRow],
) -> String {
    use crate::report::tables::{csv_field, num};
    let mut out = String::from("scenario,point,");
    for p in parameters {
        out.push_str(&csv_field(p));
        out.push(',');
    }
    out.push_str("bloc,material,metric,value,ci95_low,ci95_high,difference_from_first,difference_ci95_low,difference_ci95_high\n");
    for r in rows {
        let values: Vec<String> = points[r.point].0.iter().map(|s| num(s.value)).collect();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(scenario),
            r.point,
            values.join(","),
            csv_field(&r.bloc),
            csv_field(&r.material),
            r.metric,
            num(r.value),
            num(r.ci95_low),
            num(r.ci95_high),
            num(r.difference),
            num(r.difference_low),
            num(r.difference_high)
        ));
    }
    out
}

/// What the chart draws: the named materials; else the goal's subject; else the bloc as a whole
/// and the (up to five) materials whose metric moves most across the sweep.
fn chart_subjects(
    args: &SweepArgs,
    points: &[Evaluated],
    stat: Stat,
    path_material: Option<&str>,
    goal_subject: Option<&Subject>,
) -> Vec<Subject> {
    let subject = |m: Option<&str>| Subject {
        bloc: args.bloc.clone(),
        material: m.map(str::to_string),
    };
    if let Some(g) = goal_subject {
        return vec![g.clone()];
    }
    if !args.materials.is_empty() {
        return args.materials.iter().map(|m| subject(Some(m))).collect();
    }
    if let Some(m) = path_material {
        return vec![subject(Some(m))];
    }
    let mut moved: Vec<(f64, String)> = points[0]
        .1
        .summary
        .cells
        .iter()
        .filter(|c| c.bloc == args.bloc)
        .map(|c| {
            let s = subject(Some(&c.material));
            let values: Vec<f64> = points
                .iter()
                .filter_map(|p| read(&p.1.summary, &s, stat).map(|r| r.value))
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

#[allow(clippy::too_many_arguments)]
fn sweep_chart(
    scenario: &str,
    parameters: &[&str],
    axes: &[Axis],
    points: &[Evaluated],
    subjects: &[Subject],
    stat: Stat,
    goal: Option<&Goal>,
    goal_result: Option<&GoalResult>,
) -> SweepChart {
    let x_path = parameters[0];
    let x_is_share = x_path.ends_with("level")
        || x_path.ends_with("share_of_demand")
        || x_path.ends_with("annual_probability")
        || x_path.ends_with("severity");
    // With several axes, chart the first along its values with the others at their first value.
    let others_first: Vec<f64> = axes.iter().skip(1).map(|a| a.values[0]).collect();
    let on_slice: Vec<&Evaluated> = points
        .iter()
        .filter(|p| {
            p.0.iter()
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
                    let r = read(&p.1.summary, s, stat)?;
                    Some((p.0[0].value, r.value, r.ci95.low, r.ci95.high))
                })
                .collect(),
        })
        .collect();
    let what = metric_phrase(stat);
    let mut subtitle = vec![format!(
        "{what}, by {x_path}. Every point runs the same random paths (common random numbers), so differences between points are effects, not noise. Band: 95% confidence interval."
    )];
    if axes.len() > 1 {
        let fixed: Vec<String> = axes
            .iter()
            .skip(1)
            .map(|a| format!("{} = {}", a.path.text, a.values[0]))
            .collect();
        subtitle.push(format!("Other parameters held at {}.", fixed.join(", ")));
    }
    if let (Some(g), Some(r)) = (goal, goal_result) {
        subtitle.push(format!(
            "Goal {g}: {}",
            match (r.answer, r.answer_low, r.answer_high) {
                (Some(a), Some(l), Some(h)) => format!("met from {a} (95% range {l} – {h})"),
                (Some(a), _, _) => format!("met from {a}"),
                _ => format!("{:?} in the range", r.direction).replace('_', " "),
            }
        ));
    }
    SweepChart {
        stem: format!(
            "sweep-{}",
            crate::report::charts::theme::slug(&stat.to_string())
        ),
        title: format!("{scenario}: {what} against {}", parameter_phrase(x_path)),
        subtitle,
        x_label: format!("{x_path} ({})", parameter_phrase(x_path)),
        x_is_share,
        x_labels: Vec::new(),
        y_is_probability: stat.is_probability(),
        y_label: if stat.is_probability() {
            "probability, % of paths".into()
        } else {
            "worst-year shortfall, % of that year's demand".into()
        },
        lines,
        goal_bound: goal.map(|g| g.bound),
        goal_answer: goal_result.and_then(|r| r.answer),
    }
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

fn metric_phrase(stat: Stat) -> String {
    match stat {
        Stat::Mean => "mean worst-year shortfall".into(),
        Stat::ProbabilityAny => "probability of any shortfall".into(),
        Stat::ProbabilityOver(x) => format!("P(worst-year shortfall > {})", pct(x)),
        Stat::Quantile(q) => format!("P{} worst-year shortfall", q * 100.0),
        Stat::Cvar95 | Stat::Cvar99 => format!("{stat} of the worst-year shortfall"),
    }
}

fn terminal_table(
    parameters: &[&str],
    points: &[Evaluated],
    subjects: &[Subject],
    stat: Stat,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = write!(out, "{:<28}", parameters.join(", "));
    for s in subjects {
        let _ = write!(
            out,
            " {:>26}",
            s.material
                .clone()
                .unwrap_or_else(|| format!("{} all", s.bloc))
        );
    }
    let _ = writeln!(out, "\n{:<28}", format!("({stat}, 95% CI)"));
    for p in points {
        let values: Vec<String> = p.0.iter().map(|s| s.value.to_string()).collect();
        let _ = write!(out, "{:<28}", values.join(", "));
        for s in subjects {
            let cell = read(&p.1.summary, s, stat).map_or("-".into(), |r| fmt_reading(&r));
            let _ = write!(out, " {cell:>26}");
        }
        let _ = writeln!(out);
    }
    // Level intervals of neighbouring points overlap; their paired differences need not.
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        if points.len() > 1 {
            let _ = write!(out, "{:<28}", "last − first (paired)");
            for s in subjects {
                let cell = crate::experiment::difference(&first.1, &last.1, s, stat).map_or(
                    "-".into(),
                    |d| {
                        format!(
                            "{:+.2} [{:+.2}, {:+.2}] pp",
                            100.0 * d.value,
                            100.0 * d.ci95.low,
                            100.0 * d.ci95.high
                        )
                    },
                );
                let _ = write!(out, " {cell:>26}");
            }
            let _ = writeln!(out);
        }
    }
    out
}

fn fmt_reading(r: &Reading) -> String {
    format!(
        "{} [{}–{}]",
        pct(r.value),
        pct(r.ci95.low),
        pct(r.ci95.high)
    )
}

fn goal_sentence(goal: &Goal, subject: &Subject, parameter: &str, r: &GoalResult) -> String {
    use crate::experiment::sweep::Direction;
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
            format!(
                "Goal {goal} for {subject}: the {which} {parameter} that meets it is {a} (±{} resolution; {range}).",
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
