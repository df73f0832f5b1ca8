//! `shortfall sweep`: run a grid of parameter values on common random numbers, or seek the value
//! that meets a goal. Parses and checks the arguments; the grid, rows and bisection are
//! `experiment::sweep`, the files, table and chart `report::sweep`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::common::{
    bad, begin_output, cancel_on_ctrl_c, check_experiment_memory, check_memory,
    check_sectioned_paths, default_out_dir, load_scenario, manifest, now_unix, print_result,
    threads, variant_config, Error, ExperimentFlags, Result,
};
use super::experiment_shard::{self, take_run, MergedRun};
use super::progress;
use super::shard_file::{parse_shard, ShardSpec};
use crate::experiment::sweep::{self, Axis, SweepError, SweepPoint};
use crate::experiment::variant::{self, Setting};
use crate::experiment::{compliance, reuse};
use crate::experiment::{sectioned_paths, VariantRun};
use crate::model::Model;
use crate::report::charts::sweep::SweepChart;
use crate::report::charts::{theme::thousands, write_sweep_chart, ChartMeta};
use crate::report::sweep::SubjectChoice;
use crate::report::{self, atomic::write_atomic};
use crate::scenario::diagnostic::unknown_name_hint;
use crate::scenario::setter::{CAP_LEVEL, SETTABLE};
use crate::scenario::LoadedScenario;
use crate::stats::metric::{Goal, Stat, Subject};
use crate::stats::shard::ExperimentSpec;

/// 10 sections of 2,048 paths: a paired interval on 9 degrees of freedom, ~5 s a point here.
pub(super) const DEFAULT_SWEEP_PATHS: u64 = 20_480;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # P95 worst-year shortfall against the single-supplier cap level\n  \
    shortfall sweep --cap 0.5:1:0.05\n\n  \
    # EU gallium stockpile size, 0 to 12 months of demand\n  \
    shortfall sweep --set blocs.EU.stockpiles.gallium.initial_months=0:12:1\n\n  \
    # the smallest gallium stockpile whose P95 worst-year shortfall is at most 5%\n  \
    shortfall sweep --set blocs.EU.stockpiles.gallium.initial_months=0:12:0.25 \\\n      \
    --goal \"P95 shortfall <= 5%\"")]
pub(crate) struct SweepArgs {
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
    /// Paths per point, rounded up to whole sections of 2,048 (at least 8 sections: 16,384).
    #[arg(long, default_value_t = DEFAULT_SWEEP_PATHS, value_name = "N")]
    pub paths: u64,
    #[command(flatten)]
    pub flags: ExperimentFlags,
    /// Output folder (default: `output/<scenario>+sweep+<parameter path>`, then `+goal` with
    /// --goal).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the PNG and SVG charts.
    #[arg(long)]
    pub no_charts: bool,
    /// Simulate only shard I of N (numbered from 0) of the grid's points × sections and write a
    /// shard file into --out (default `output/<scenario>+sweep+<parameter path>+shards`);
    /// `shortfall merge` makes them the sweep's files. Not with --goal.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
    /// With a cap: the first month it binds, `YYYY-MM`; every point then says when the bloc can
    /// comply, given the scenario's scheduled projects (the cap over time, as in `stress-cap`),
    /// in the table and `sweep-compliance.csv`.
    #[arg(long, value_name = "YYYY-MM")]
    pub binds_from: Option<String>,
    /// Months of linear phase-in from `--binds-from` to the full cap (0: at once).
    #[arg(long, default_value_t = 0, value_name = "N", requires = "binds_from")]
    pub phase_in_months: u32,
}

/// The arguments that decide a sweep's results, canonically written, for a shard's header (the
/// merge parses them again); not the scenario, --out, --threads, --quiet or --shard.
fn canonical_args(args: &SweepArgs) -> Vec<String> {
    let mut out: Vec<String> = args.sets.iter().map(|s| format!("--set={s}")).collect();
    out.extend(args.cap.iter().map(|c| format!("--cap={c}")));
    out.push(format!("--metric={}", args.metric));
    out.push(format!("--bloc={}", args.bloc));
    out.extend(args.materials.iter().map(|m| format!("--material={m}")));
    out.push(format!("--paths={}", args.paths));
    out.push(format!("--seed={}", args.flags.seed));
    if let Some(month) = &args.binds_from {
        out.push(format!("--binds-from={month}"));
        out.push(format!("--phase-in-months={}", args.phase_in_months));
    }
    out
}

/// `SweepArgs` again from a shard header's canonical arguments.
pub(super) fn parse_canonical(args: &[String]) -> std::result::Result<SweepArgs, clap::Error> {
    #[derive(clap::Parser)]
    struct Again {
        #[command(flatten)]
        args: SweepArgs,
    }
    let argv = std::iter::once("sweep".to_string()).chain(args.iter().cloned());
    <Again as clap::Parser>::try_parse_from(argv).map(|a| a.args)
}

/// Where the points' runs come from: simulated here, or merged from shards.
enum Source {
    Simulate,
    Merged {
        runs: Vec<Option<MergedRun>>,
        elapsed: f64,
    },
}

/// The label of a point, as the progress bar and a shard header show it.
fn label(settings: &[Setting]) -> String {
    let parts: Vec<String> = settings.iter().map(ToString::to_string).collect();
    parts.join(", ")
}

/// The arguments, checked against the scenario before minutes of running.
struct Checked {
    axes: Vec<Axis>,
    stat: Stat,
    goal: Option<Goal>,
}

fn check(args: &SweepArgs, base: &LoadedScenario, model: &Model) -> Result<Checked> {
    let mut specs = args.sets.clone();
    if let Some(cap) = &args.cap {
        specs.insert(0, format!("{CAP_LEVEL}={cap}"));
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
    // The grid's size before anything is created or simulated.
    sweep::grid(&axes).map_err(bad)?;
    // A field swept twice: the later axis would overwrite the earlier one at every point, and
    // the grid would vary nothing it claims to.
    for (i, axis) in axes.iter().enumerate() {
        if axes[..i].iter().any(|a| a.path.text == axis.path.text) {
            let via_cap = if args.cap.is_some() && is_cap_axis(axis) {
                format!(" (--cap is --set {CAP_LEVEL}=…)")
            } else {
                String::new()
            };
            return Err(bad(format!(
                "--set {} is given twice{via_cap}; sweep each field along one axis, its values listed or as FROM:TO:STEP",
                axis.path.text
            )));
        }
    }
    let stat = Stat::parse(&args.metric).map_err(|e| bad(format!("--metric {e}")))?;
    let goal = args
        .goal
        .as_deref()
        .map(|g| Goal::parse(g).map_err(|e| bad(format!("--goal {e}"))))
        .transpose()?;
    if goal.is_some() && axes.len() != 1 {
        return Err(bad("--goal searches along exactly one --set axis"));
    }
    if !model.blocs.iter().any(|b| b.name == args.bloc) {
        let names = model.blocs.iter().map(|b| b.name.as_str());
        return Err(bad(format!(
            "--bloc: {}",
            unknown_name_hint(&args.bloc, "bloc", names)
        )));
    }
    let material_names = model.materials.iter().map(|m| m.name.as_str());
    for m in &args.materials {
        if !material_names.clone().any(|x| x == m) {
            return Err(bad(format!(
                "--material: {}",
                unknown_name_hint(m, "material", material_names.clone())
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
            variant::build(base, &[s]).map_err(|e| match e.downcast::<variant::BadSetting>() {
                Ok(b) => bad(b.0),
                Err(e) => Error::from(e),
            })?;
        }
    }
    Ok(Checked { axes, stat, goal })
}

pub(super) fn sweep(args: SweepArgs) -> Result<ExitCode> {
    sweep_from(args, Source::Simulate)
}

/// `merge` of sweep shards: the sweep's own code, with every point's run taken from `runs`
/// (grid order) and the elapsed time the shards' simulation times summed.
pub(super) fn merge(args: SweepArgs, runs: Vec<MergedRun>, elapsed: f64) -> Result<ExitCode> {
    let runs = runs.into_iter().map(Some).collect();
    sweep_from(args, Source::Merged { runs, elapsed })
}

fn sweep_from(args: SweepArgs, mut source: Source) -> Result<ExitCode> {
    let Loaded {
        base,
        model: base_model,
        checked: Checked { axes, stat, goal },
        binding,
    } = load(&args)?;
    check_sectioned_paths(args.paths)?;
    let threads = threads(args.flags.threads)?;
    let paths = sectioned_paths(args.paths);
    let name = base_model.name.clone();
    if let Some(spec) = args.shard {
        return sweep_shard(&args, spec, &base, &axes, threads);
    }
    if matches!(source, Source::Simulate) {
        // A cap that binds later solves every point whole and keeps no records.
        let keeps_records = args.binds_from.is_none();
        check_experiment_memory(&base_model, threads, args.flags.memory_limit, keeps_records)?;
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&name, &axes, goal.as_ref().map(|_| "goal")));
    let output = begin_output(&out_dir)?;
    let clock = Instant::now();
    let started_at = now_unix();

    // Subject of the goal and of a single-material chart: the --material, else the material a
    // single --set path names, else the bloc as a whole.
    let path_material = path_material(&axes, &base_model);
    let goal_subject = Subject {
        bloc: args.bloc.clone(),
        material: args.materials.first().cloned().or(path_material.clone()),
    };
    let sought = goal.as_ref().map(|g| (g, &goal_subject));
    let Some(sweep) = run_points(&args, &base, axes, sought, &mut source, threads)? else {
        eprintln!("interrupted; nothing was written");
        return Ok(ExitCode::from(130));
    };
    let elapsed = match source {
        Source::Simulate => clock.elapsed().as_secs_f64(),
        Source::Merged { elapsed, .. } => elapsed,
    };

    let staging = output.dir();
    let choice = SubjectChoice {
        bloc: &args.bloc,
        materials: &args.materials,
        path_material: path_material.as_deref(),
        goal_subject: goal.as_ref().map(|_| &goal_subject),
    };
    let subjects = report::sweep::chart_subjects(&choice, &sweep.points, stat);
    let chart_stat = goal.map_or(stat, |g| g.stat);
    let chart = report::sweep::chart(&name, &sweep, &subjects, chart_stat, goal.as_ref());
    let written = Written {
        elapsed,
        paths,
        threads,
        started_at,
    };
    write_files(
        &args,
        (&base, &base_model),
        &sweep,
        &chart,
        &written,
        staging,
    )?;
    let shown = (
        &subjects[..],
        chart_stat,
        goal.as_ref().map(|g| (g, &goal_subject)),
    );
    write_report(
        staging,
        &sweep,
        (&base, &base_model),
        (&args, &written),
        &chart,
        shown,
    )?;
    let over_time = match binding {
        Some(binding) => write_cap_over_time(&name, &base, &sweep, &args, binding, paths, staging)?,
        None => String::new(),
    };
    output.commit()?;

    let differences = sweep.last_minus_first(&subjects, chart_stat);
    let mut text = report::sweep::table(&sweep, &subjects, chart_stat, &differences);
    text.push_str(&over_time);
    if let Some(sentence) = goal_sentence(&sweep, &base_model, shown.2) {
        text.push_str(&format!("\n{sentence}\n"));
    }
    text.push_str(&format!(
        "\n{} point(s) × {} paths in {:.1} s; wrote {} (sweep.csv, sweep.json, manifest.json{})\n",
        sweep.points.len(),
        thousands(paths),
        elapsed,
        out_dir.display(),
        if args.no_charts { "" } else { ", charts/" }
    ));
    print_result(args.flags.format, || text, &out_dir, "sweep.json")?;
    Ok(ExitCode::SUCCESS)
}

/// The scenario and the arguments checked against it: what a sweep starts from.
struct Loaded {
    /// The scenario, its cap binding from `--binds-from` when given.
    base: LoadedScenario,
    /// The scenario as written, compiled.
    model: Model,
    checked: Checked,
    binding: Option<compliance::Binding>,
}

/// Load the scenario, check the arguments against it and, with `--binds-from`, make its cap
/// bind from that month.
fn load(args: &SweepArgs) -> Result<Loaded> {
    let base = load_scenario(args.scenario.as_deref())?;
    let model = crate::model::compile(&base)?;
    let checked = check(args, &base, &model)?;
    let binding = args
        .binds_from
        .as_deref()
        .map(|m| super::stress_cap::binding(m, args.phase_in_months, model.start))
        .transpose()?;
    let base = match &args.binds_from {
        Some(month) => bind_cap(base, &checked.axes, month, args.phase_in_months),
        None => base,
    };
    Ok(Loaded {
        base,
        model,
        checked,
        binding,
    })
}

/// Whether an axis sets the cap's level (from `--cap` or `--set supplier_cap.level=…`).
fn is_cap_axis(axis: &Axis) -> bool {
    axis.path.text == CAP_LEVEL
}

/// A grid point at the highest level of the cap axis (the last, if several), where the cap
/// moves the fewest materials: a static cap sweep's base. `None` when no axis sets the cap.
fn highest_cap_point(axes: &[Axis], grid: &[Vec<Setting>]) -> Option<usize> {
    let cap = axes.iter().position(is_cap_axis)?;
    grid.iter()
        .enumerate()
        .max_by(|a, b| a.1[cap].value.total_cmp(&b.1[cap].value))
        .map(|(top, _)| top)
}

/// The base point of a static cap sweep (`highest_cap_point`), or `None` when the sweep sets no
/// cap or the cap binds later (`--binds-from`), which moves sourcing inside the kernel at every
/// level: those points are solved whole.
fn static_cap_base(axes: &[Axis], grid: &[Vec<Setting>], binds_later: bool) -> Option<usize> {
    if binds_later {
        return None;
    }
    highest_cap_point(axes, grid)
}

/// Run the grid's points (or those a goal's bisection picks), simulated here or taken from
/// merged shards; `None` when interrupted.
fn run_points(
    args: &SweepArgs,
    base: &LoadedScenario,
    axes: Vec<Axis>,
    goal: Option<(&Goal, &Subject)>,
    source: &mut Source,
    threads: usize,
) -> Result<Option<sweep::Sweep>> {
    let cfg = variant_config(&args.flags, args.paths, threads);
    let paths = sectioned_paths(args.paths);
    let cancel = cancel_on_ctrl_c();
    let grid = sweep::grid(&axes).map_err(bad)?;
    // The first point simulated is kept; later points re-solve only the materials they change.
    // A cap level changes the level every strategic material's watched links are compared with,
    // and moves the sourcing of those with a third country above it. A static cap sweep starts
    // from its highest level, where the cap moves the fewest materials, and a point recomputes
    // the breaches of a material neither level moves instead of solving it again
    // (`reuse::Runner::recomputing_breaches`, told the grid's levels ahead). A goal over a
    // static cap does the same: the bisection of a FROM:TO:STEP axis runs only points of its
    // grid (`sweep::seek`), the levels announced, and its highest level, which the bisection
    // always runs, is run first as the base. (A list's bisection also runs levels between its
    // values: not announced, a point re-solves the materials they watch, exact as well.) A cap
    // that binds later moves sourcing inside the kernel at every level: those solve every
    // point whole.
    // `--cap` is `--set supplier_cap.level=…` written short: either way the axis is a cap.
    let capped = axes.iter().any(is_cap_axis);
    let top = static_cap_base(&axes, &grid, args.binds_from.is_some());
    let static_cap = top.is_some();
    let simulating = matches!(source, Source::Simulate);
    // A grid without a goal is known ahead: its points are compiled once and run `threads` at
    // a time (`Runner::run_many`; each point's results are those of running it alone), the
    // base point first: a static cap sweep's highest level, else the grid's first point. Of a
    // goal over a static cap, only the highest level is run ahead.
    let ahead = goal.is_none() && simulating;
    let models = if simulating && (goal.is_none() || static_cap) {
        grid.iter()
            .map(|settings| variant::build(base, settings))
            .collect::<anyhow::Result<Vec<Model>>>()?
    } else {
        Vec::new()
    };
    let runner = match source {
        Source::Simulate if static_cap => reuse::Runner::recomputing_breaches(&models),
        _ if capped => reuse::Runner::solving_all(),
        _ => reuse::Runner::default(),
    };
    // A sweep reports headline metrics of its points only: no fans, no tail attribution.
    let mut runner = runner.headline_only();
    let order: Vec<usize> = match (ahead, top) {
        (true, Some(top)) => std::iter::once(top)
            .chain((0..grid.len()).filter(|&g| g != top))
            .collect(),
        (true, None) => (0..grid.len()).collect(),
        (false, Some(top)) if simulating => vec![top],
        (false, _) => Vec::new(),
    };
    let mut ran: Vec<Option<VariantRun>> = (0..grid.len()).map(|_| None).collect();
    if !order.is_empty() {
        let ordered: Vec<&Model> = order.iter().map(|&g| &models[g]).collect();
        let bar = progress::bar(paths * order.len() as u64, args.flags.quiet);
        bar.set_message(match order.as_slice() {
            [one] => label(&grid[*one]),
            _ => format!("{} points", order.len()),
        });
        let complete = runner.run_many(
            &ordered,
            &cfg,
            &cancel,
            |done, _| bar.set_position(done),
            |i, run| ran[order[i]] = Some(run),
        )?;
        bar.finish_and_clear();
        if !complete {
            return Ok(None);
        }
    }
    drop(models);
    let mut simulate = |model: &Model, settings: &[Setting]| -> Result<VariantRun, SweepError> {
        let bar = progress::bar(paths, args.flags.quiet);
        bar.set_message(label(settings));
        let run = runner.run(model, &cfg, &cancel, |done, _| bar.set_position(done))?;
        bar.finish_and_clear();
        Ok(run)
    };
    let run_point = |settings: Vec<Setting>, point: String| -> Result<SweepPoint, SweepError> {
        let model = variant::build(base, &settings)?;
        // This point's run made ahead: the first not taken yet, as a grid may repeat a point.
        let ran_ahead = grid.iter().zip(ran.iter_mut()).find_map(|(g, run)| {
            if *g == settings {
                run.take()
            } else {
                None
            }
        });
        let run = match (ran_ahead, &mut *source) {
            (Some(run), _) => run,
            (None, Source::Simulate) => simulate(&model, &settings)?,
            (None, Source::Merged { runs, .. }) => {
                let v = grid
                    .iter()
                    .position(|g| *g == settings)
                    .unwrap_or(usize::MAX);
                take_run(runs, v, &point, &model)?
            }
        };
        if run.cancelled {
            return Err(SweepError::Interrupted);
        }
        Ok(SweepPoint {
            settings,
            run,
            cap: model.cap_report.clone(),
        })
    };
    match sweep::evaluate(axes, goal, run_point) {
        Ok(sweep) => Ok(Some(sweep)),
        Err(SweepError::Interrupted) => Ok(None),
        Err(e @ SweepError::NoFigures(_)) => Err(bad(format!("--goal: {e}"))),
        Err(SweepError::Grid(e)) => Err(bad(e)),
        Err(SweepError::Run(e)) => Err(e.into()),
    }
}

/// For a goal search that found an answer, the sentence that gives it.
fn goal_sentence(
    sweep: &sweep::Sweep,
    model: &Model,
    goal: Option<(&Goal, &Subject)>,
) -> Option<String> {
    let (goal, subject) = goal?;
    let r = sweep.goal.as_ref()?;
    let parameter = sweep.parameters()[0];
    let per_unit = months_of_demand_tonnes(model, &sweep.axes[0].path.text);
    Some(report::sweep::goal_sentence(
        goal, subject, parameter, r, per_unit,
    ))
}

/// How a sweep ran, for its manifest.
struct Written {
    elapsed: f64,
    paths: u64,
    threads: usize,
    started_at: u64,
}

/// Write sweep.csv, sweep.json (with the chart's data), manifest.json and, unless --no-charts,
/// the chart into `staging`.
fn write_files(
    args: &SweepArgs,
    (base, model): (&LoadedScenario, &Model),
    sweep: &sweep::Sweep,
    chart: &SweepChart,
    written: &Written,
    staging: &std::path::Path,
) -> Result<()> {
    let name = &model.name;
    write_atomic(
        &staging.join("sweep.csv"),
        report::sweep::csv(name, sweep).as_bytes(),
    )?;
    let info = report::sweep::RunInfo {
        scenario: name,
        scenario_sha256: &base.hash,
        seed: args.flags.seed,
        paths_per_point: written.paths,
        elapsed_seconds: written.elapsed,
        chart,
    };
    write_atomic(
        &staging.join("sweep.json"),
        report::sweep::json(sweep, &info)?.as_bytes(),
    )?;
    let mut files = vec!["sweep.csv".to_string(), "sweep.json".to_string()];
    if !args.no_charts {
        let meta = ChartMeta {
            scenario: name.clone(),
            paths: written.paths,
            seed: args.flags.seed,
            data: report::charts::data_vintage(&model.sources),
        };
        let drawn = write_sweep_chart(chart, &meta, staging).context("drawing the sweep chart")?;
        files.extend(
            drawn
                .iter()
                .filter_map(|p| p.strip_prefix(staging).ok())
                .map(|p| p.display().to_string()),
        );
    }
    files.push("manifest.json".into());
    files.push("report.html".into());
    let mut manifest = manifest(
        base,
        model,
        args.flags.seed,
        written.threads,
        written.started_at,
    );
    manifest.paths = written.paths;
    manifest.elapsed_seconds = written.elapsed;
    manifest.files = files;
    write_atomic(
        &staging.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(())
}

/// The material a single `--set` path names (`blocs.EU.stockpiles.gallium...` → gallium); none
/// for several axes or a path that names no material of `model`.
fn path_material(axes: &[Axis], model: &Model) -> Option<String> {
    let [axis] = axes else {
        return None;
    };
    axis.path
        .text
        .split('.')
        .find(|seg| model.materials.iter().any(|m| m.name == *seg))
        .map(str::to_string)
}

/// `report.html` of the finished sweep, into `staging` beside its charts: the subjects and
/// metric shown, and the goal with its subject.
fn write_report(
    staging: &std::path::Path,
    sweep: &sweep::Sweep,
    (base, model): (&LoadedScenario, &Model),
    (args, written): (&SweepArgs, &Written),
    chart: &SweepChart,
    (subjects, stat, goal): (&[Subject], Stat, Option<(&Goal, &Subject)>),
) -> Result<()> {
    let command: Vec<String> = std::env::args().collect();
    let info = report::sweep::RunInfo {
        scenario: &model.name,
        scenario_sha256: &base.hash,
        seed: args.flags.seed,
        paths_per_point: written.paths,
        elapsed_seconds: written.elapsed,
        chart,
    };
    let page = report::sweep_html::Page {
        info: &info,
        subjects,
        stat,
        goal,
        tonnes_per_unit: months_of_demand_tonnes(model, &sweep.axes[0].path.text),
        data_sources: &model.sources,
        command: &command,
    };
    report::sweep_html::write(staging, sweep, &page)?;
    Ok(())
}

/// With `--binds-from`: the cap over time at every point, written to `sweep-compliance.csv` in
/// `staging`; returns the table the terminal shows.
fn write_cap_over_time(
    name: &str,
    base: &LoadedScenario,
    sweep: &sweep::Sweep,
    args: &SweepArgs,
    binding: compliance::Binding,
    paths: u64,
    staging: &std::path::Path,
) -> Result<String> {
    let rows = cap_over_time(
        base,
        &sweep.points,
        &args.bloc,
        binding,
        args.flags.seed,
        paths,
    )?;
    let labels = &sweep.points[0].run.summary.month_labels;
    write_atomic(
        &staging.join("sweep-compliance.csv"),
        report::compliance::sweep_csv(name, &rows, labels).as_bytes(),
    )?;
    Ok(report::compliance::sweep_table(&rows, binding, labels))
}

/// Where `path` is a stock counted in months of a bloc's demand (a stockpile's initial or
/// target months, an inventory's cover), the tonnes one month is at the scenario's first month.
fn months_of_demand_tonnes(model: &crate::model::Model, path: &str) -> Option<f64> {
    let segs: Vec<&str> = path.split('.').collect();
    let ["blocs", bloc, "stockpiles" | "inventories", material, leaf] = segs.as_slice() else {
        return None;
    };
    if !matches!(
        *leaf,
        "initial_months" | "target_months" | "cover_months" | "max_cover_months"
    ) {
        return None;
    }
    let b = model.blocs.iter().position(|x| x.name == *bloc)?;
    let m = model.materials.iter().position(|x| x.name == *material)?;
    model.cells[b][m].as_ref().map(|c| c.demand_t_per_month)
}

/// `sweep --shard I/N`: simulate the shard's part of the grid and write its file.
fn sweep_shard(
    args: &SweepArgs,
    spec: ShardSpec,
    base: &LoadedScenario,
    axes: &[Axis],
    threads: usize,
) -> Result<ExitCode> {
    if args.goal.is_some() {
        return Err(bad(
            "--shard cannot be combined with --goal: bisection picks each point from the results before it, so its points cannot be split up front; shard a grid instead",
        ));
    }
    let model = crate::model::compile(base)?;
    check_memory(&model, threads, args.flags.memory_limit)?;
    let grid = sweep::grid(axes).map_err(bad)?;
    let experiment = ExperimentSpec {
        command: "sweep".into(),
        args: canonical_args(args),
        variants: grid.iter().map(|s| label(s)).collect(),
        paths_per_variant: sectioned_paths(args.paths),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&model.name, axes, Some("shards")));
    let job = experiment_shard::Job::new(
        experiment,
        (base, &model),
        args.scenario.as_deref(),
        &args.flags,
        threads,
        spec,
        out,
    );
    experiment_shard::write(&job, |v| variant::build(base, &grid[v]))
}

/// With `--binds-from`: the scenario's cap, or the one a `supplier_cap.level` axis gives it,
/// binds from `month` with a linear phase-in, so the kernel moves sourcing at that month at
/// every point (docs/model.md, phase 2c). Without a cap and without such an axis, unchanged.
fn bind_cap(
    mut base: LoadedScenario,
    axes: &[Axis],
    month: &str,
    phase_in_months: u32,
) -> LoadedScenario {
    let capped_axis = axes.iter().any(is_cap_axis);
    if base.raw.supplier_cap.is_none() && capped_axis {
        base.raw.supplier_cap = Some(crate::scenario::setter::crma_cap());
    }
    if let Some(cap) = base.raw.supplier_cap.as_mut() {
        cap.binds_from = Some(month.to_string());
        cap.phase_in_months = Some(phase_in_months);
    }
    base
}

/// The cap over time at every point of the sweep: (the point's settings as text, per material
/// the compliance month over paths), on the arrivals the kernel draws for `seed` and `paths`.
fn cap_over_time(
    base: &LoadedScenario,
    points: &[SweepPoint],
    bloc: &str,
    binding: compliance::Binding,
    seed: u64,
    paths: u64,
) -> Result<Vec<(String, Vec<compliance::MaterialCompliance>)>> {
    let mut online = None;
    let mut rows = Vec::new();
    for p in points {
        let model = variant::build(base, &p.settings)?;
        // Arrivals depend on the entries' names and the seed only: the same at every point.
        let online = online.get_or_insert_with(|| compliance::drawn_arrivals(&model, seed, paths));
        let links = compliance::compliance(&model, bloc, binding, online);
        let mut materials: Vec<&str> = links.iter().map(|l| l.material.as_str()).collect();
        materials.dedup();
        let by_material = materials
            .iter()
            .filter_map(|m| compliance::material_compliance(&links, m))
            .collect();
        let label = p
            .settings
            .iter()
            .map(|s| format!("{}={}", s.path.text, s.value))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push((label, by_material));
    }
    Ok(rows)
}

/// The default folder's parts after the scenario name (`common::default_out_dir`): `sweep`, each
/// swept path in full (`supplier_cap.level`, `blocs.EU.stockpiles.gallium.initial_months`), then
/// `goal` for a goal search or `shards` for shard files: `output/eu-2030+sweep+supplier_cap.level`.
fn folder_parts(axes: &[Axis], last: Option<&str>) -> Vec<String> {
    std::iter::once("sweep".to_string())
        .chain(axes.iter().map(|a| a.path.text.clone()))
        .chain(last.map(str::to_string))
        .collect()
}

/// The default output folder of a sweep (`last`: `goal`, `shards` or none).
fn default_folder(name: &str, axes: &[Axis], last: Option<&str>) -> PathBuf {
    let parts = folder_parts(axes, last);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    default_out_dir(name, &parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes(specs: &[&str]) -> Vec<Axis> {
        specs.iter().map(|s| Axis::parse(s).unwrap()).collect()
    }

    #[test]
    fn a_cap_axis_set_either_way_starts_from_its_highest_level() {
        // `--cap 0.5:1:0.25` is this axis first of the specs.
        let cap = axes(&["supplier_cap.level=0.5:1:0.25"]);
        let grid = sweep::grid(&cap).unwrap();
        assert_eq!(highest_cap_point(&cap, &grid), Some(2));
        // `--set` puts the cap where it is written: here the second axis, whose highest level is
        // not where the first axis is highest.
        let second = axes(&[
            "blocs.EU.stockpiles.gallium.initial_months=0,3",
            "supplier_cap.level=0.9,0.6",
        ]);
        let grid = sweep::grid(&second).unwrap();
        let top = highest_cap_point(&second, &grid).unwrap();
        assert_eq!(grid[top][1].value, 0.9);
        assert_eq!(grid[top][0].value, 3.0, "the last of the points at 0.9");
        // The sweep's base: that point, unless the cap binds later (solved whole).
        assert_eq!(static_cap_base(&second, &grid, false), Some(top));
        assert_eq!(static_cap_base(&second, &grid, true), None);
        // No axis sets the cap: no cap base.
        let none = axes(&["blocs.EU.stockpiles.gallium.initial_months=0:3:1"]);
        let grid = sweep::grid(&none).unwrap();
        assert_eq!(highest_cap_point(&none, &grid), None);
    }
}
