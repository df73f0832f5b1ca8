//! `shortfall run`: arguments → kernel → accumulators → summary → files and a table.
//! Glue only: every decision about the model lives in `sim`, every number format in `report`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::{default_out_dir, load_model};
use crate::model::check::{check_report, CheckReport};
use crate::model::Model;
use crate::report::{self, atomic::write_atomic, charts::ChartMeta, manifest::Manifest};
use crate::sim::{
    self, path::CellMonth, timeline::PathParams, timeline::Timeline, RunConfig, Trace,
};
use crate::stats;

/// Paths run when `--paths` is not given: enough for a P99 with a tight interval, and a first
/// run that takes seconds, not minutes.
pub const DEFAULT_PATHS: u64 = 100_000;
pub const DEFAULT_SEED: u64 = 20_260_101;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Number of disruption paths to simulate (the minimum when --target-se is set).
    #[arg(long, default_value_t = DEFAULT_PATHS, value_name = "N")]
    pub paths: u64,
    /// Master seed: the same seed, scenario and --paths give the same results on any thread count.
    #[arg(long, default_value_t = DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
    /// Worker threads (default: all cores). Does not change the results.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Output folder (default: `output/<scenario name>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Keep sampling until the headline probability (EU short of >10% of a year's demand of some
    /// material) has at most this standard error, or --max-paths is reached.
    #[arg(long, value_name = "X")]
    pub target_se: Option<f64>,
    /// Path cap for --target-se.
    #[arg(long, default_value_t = 10_000_000, value_name = "N")]
    pub max_paths: u64,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print one path month by month (events, flows, stockpiles, shortfall) instead of running.
    #[arg(long, value_name = "K")]
    pub replay_path: Option<u64>,
    /// Skip the PNG and SVG charts.
    #[arg(long)]
    pub no_charts: bool,
}

/// A command-line value that is wrong in a way clap cannot see (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadArgument(pub String);

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let (loaded, model) = load_model(args.scenario.as_deref())?;
    // Histogram bins count in u32: a run stays below 2^32 paths.
    const MAX_PATHS: u64 = u32::MAX as u64;
    if args.paths == 0 || args.paths > MAX_PATHS || args.max_paths > MAX_PATHS {
        return Err(BadArgument(format!(
            "--paths and --max-paths must be between 1 and {MAX_PATHS}"
        ))
        .into());
    }
    if let Some(se) = args.target_se {
        if !(se > 0.0 && se < 1.0) {
            return Err(BadArgument(format!(
                "--target-se {se}: expected a standard error in (0, 1), e.g. 0.002"
            ))
            .into());
        }
    }
    if let Some(k) = args.replay_path {
        print!("{}", replay(&model, args.seed, k));
        return Ok(ExitCode::SUCCESS);
    }
    let threads = crate::cli::threads(args.threads)?;
    let cfg = RunConfig {
        seed: args.seed,
        paths: args.paths,
        threads,
        target_se: args.target_se,
        max_paths: args.max_paths,
    };

    let cancel = crate::cli::cancel_on_ctrl_c();
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let clock = Instant::now();
    let goal = if cfg.target_se.is_some() {
        cfg.max_paths.max(cfg.paths)
    } else {
        cfg.paths
    };
    let bar = crate::progress::bar(goal, args.quiet);
    let outcome = sim::run(&model, &cfg, &cancel, |done, _| bar.set_position(done))
        .context("starting worker threads")?;
    bar.finish_and_clear();
    let elapsed = clock.elapsed().as_secs_f64();
    if outcome.cancelled {
        eprintln!(
            "interrupted after {} paths; nothing was written",
            outcome.paths
        );
        return Ok(ExitCode::from(130));
    }

    let summary = stats::finish(&outcome.plan.layout, &outcome.acc);
    let name = model.name.clone();
    let out_dir = args.out.clone().unwrap_or_else(|| default_out_dir(&name));
    let files = [
        "summary.json",
        "summary.csv",
        "timeseries.csv",
        "manifest.json",
    ];
    let manifest = Manifest {
        paths: outcome.paths,
        target_se: cfg.target_se,
        target_reached: outcome.target_reached,
        headline_se: outcome.headline_se,
        elapsed_seconds: elapsed,
        files: files.iter().map(|f| f.to_string()).collect(),
        ..crate::cli::manifest(&loaded, &model, cfg.seed, threads, started_at)
    };
    let json = serde_json::to_string_pretty(&summary).context("serialising the summary")?;
    write_atomic(&out_dir.join("summary.json"), json.as_bytes())?;
    write_atomic(
        &out_dir.join("summary.csv"),
        report::tables::summary_csv(&name, &summary).as_bytes(),
    )?;
    write_atomic(
        &out_dir.join("timeseries.csv"),
        report::tables::timeseries_csv(&name, &summary).as_bytes(),
    )?;
    let mut manifest = manifest;
    let check = check_report(&model, None);
    write_atomic(
        &out_dir.join("check.json"),
        serde_json::to_string_pretty(&check)?.as_bytes(),
    )?;
    manifest.files.push("check.json".into());
    let headline_bloc = model.blocs[sim::runner::headline_bloc(&model)].name.clone();
    if !args.no_charts {
        let meta = ChartMeta {
            scenario: name.clone(),
            paths: outcome.paths,
            seed: cfg.seed,
        };
        let charts =
            report::charts::write_charts(&summary, &meta, &out_dir).context("drawing charts")?;
        manifest.files.extend(
            charts
                .iter()
                .filter_map(|p| p.strip_prefix(&out_dir).ok())
                .map(|p| p.display().to_string()),
        );
        manifest.files.push("report.html".into());
        write_report(
            &out_dir,
            &summary,
            &check,
            &manifest,
            &headline_bloc,
            &charts,
        )?;
    }
    write_atomic(
        &out_dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;

    print!(
        "{}",
        report::terminal::headline(&summary, &name, &headline_bloc, elapsed)
    );
    if let Some(reached) = outcome.target_reached {
        println!(
            "\n--target-se {}: {} after {} paths (standard error {:.5})",
            cfg.target_se.unwrap_or_default(),
            if reached {
                "reached"
            } else {
                "NOT reached (hit --max-paths)"
            },
            outcome.paths,
            outcome.headline_se
        );
    }
    println!(
        "\nwrote {} ({}{})",
        out_dir.display(),
        files.join(", "),
        if args.no_charts {
            ", check.json"
        } else {
            ", check.json, charts/, report.html"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Collects a path's events and busy months as text.
struct Replay<'a> {
    model: &'a Model,
    plan: &'a sim::Plan,
    out: String,
}

impl Trace for Replay<'_> {
    const ON: bool = true;

    fn timeline(&mut self, timeline: &Timeline, _params: &PathParams) {
        let m = self.model;
        let _ = writeln!(self.out, "Events ({}):", timeline.episodes.len());
        for e in &timeline.episodes {
            let d = &m.disruptions[e.process as usize];
            let regime = &m.tension.regimes[timeline.regime[e.start as usize] as usize].0;
            let _ = writeln!(
                self.out,
                "  {} {:<34} {:?}, {:.1} months, severity {}, regime {regime}",
                m.month_label(e.start as usize),
                d.name,
                d.kind,
                e.end - e.start as f64,
                report::format::pct(e.severity)
            );
        }
        let _ = writeln!(
            self.out,
            "\nBusy months (calm months are not shown: everything is delivered). Tonnes per month.\n{:<8} {:<14} {:<14} {:>6} {:>12} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
            "month", "material", "bloc", "price", "demand", "recycled", "primary", "substituted", "stock out", "shortfall", "stock"
        );
    }

    fn month(&mut self, t: usize, material: usize, price_ratio: f64, cells: &[CellMonth]) {
        let quiet = cells
            .iter()
            .all(|c| c.shortfall <= 0.0 && c.released <= 0.0 && c.substituted <= 0.0)
            && price_ratio == 1.0;
        if quiet {
            return;
        }
        let f = report::format::tonnes;
        for c in cells {
            let (b, _) = self.plan.layout.cells[c.cell];
            let _ = writeln!(
                self.out,
                "{:<8} {:<14} {:<14} {:>6.2} {:>12} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
                self.model.month_label(t),
                self.model.materials[material].name,
                self.model.blocs[b].name,
                price_ratio,
                f(c.demand),
                f(c.recycled),
                f(c.primary),
                f(c.substituted),
                f(c.released + c.borrowed),
                f(c.shortfall),
                f(c.stock)
            );
        }
    }
}

fn replay(model: &Model, seed: u64, path: u64) -> String {
    let plan = sim::build_plan(model);
    let mut trace = Replay {
        model,
        plan: &plan,
        out: format!("Path {path} of scenario {} with seed {seed}\n", model.name),
    };
    let mut scratch = sim::PathScratch::default();
    let mut record = stats::PathRecord::new(&plan.layout);
    sim::simulate_path(
        model,
        &plan,
        seed,
        path,
        &mut scratch,
        &mut record,
        &mut trace,
    );
    let mut out = trace.out;
    let _ = writeln!(out, "\nPath totals (cells with a shortfall):");
    for (ci, c) in record
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.any_short())
    {
        let (b, m) = plan.layout.cells[ci];
        let _ = writeln!(
            out,
            "  {} {}: {} t short over the horizon ({} of demand), worst year {}, {} months short",
            model.blocs[b].name,
            model.materials[m].name,
            report::format::tonnes(c.total_short_t),
            report::format::pct(c.total_short_t / c.total_demand_t),
            report::format::pct(c.worst_year_share),
            c.months_short
        );
    }
    out
}

/// `shortfall plot RUN_DIR`: redraw the charts of a finished run from its saved files.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A run's output folder (holding summary.json and manifest.json).
    pub run_dir: PathBuf,
}

pub fn plot(args: PlotArgs) -> Result<ExitCode> {
    let read = |name: &str| -> Result<String> {
        let path = args.run_dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| {
            BadArgument(format!(
                "cannot read {}: {e}; is this a run folder?",
                path.display()
            ))
            .into()
        })
    };
    let summary: stats::Summary = serde_json::from_str(&read("summary.json")?).map_err(|e| {
        BadArgument(format!(
            "{}: not a shortfall summary: {e}",
            args.run_dir.join("summary.json").display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_str(&read("manifest.json")?).map_err(|e| {
        BadArgument(format!(
            "{}: not a shortfall manifest: {e}",
            args.run_dir.join("manifest.json").display()
        ))
    })?;
    let meta = ChartMeta {
        scenario: manifest.scenario.clone(),
        paths: manifest.paths,
        seed: manifest.seed,
    };
    let charts =
        report::charts::write_charts(&summary, &meta, &args.run_dir).context("drawing charts")?;
    println!(
        "redrew {} charts in {}",
        charts.len(),
        args.run_dir.join("charts").display()
    );
    let check: CheckReport = serde_json::from_str(&read("check.json")?).map_err(|e| {
        BadArgument(format!(
            "{}: not a shortfall check view: {e}",
            args.run_dir.join("check.json").display()
        ))
    })?;
    let headline_bloc = if summary.blocs.iter().any(|b| b.bloc == "EU") {
        "EU".to_string()
    } else {
        summary
            .blocs
            .first()
            .map_or(String::new(), |b| b.bloc.clone())
    };
    let report = write_report(
        &args.run_dir,
        &summary,
        &check,
        &manifest,
        &headline_bloc,
        &charts,
    )?;
    println!("rewrote {}", report.display());
    Ok(ExitCode::SUCCESS)
}

/// Write `report.html` with the headline bloc's charts inlined.
fn write_report(
    out_dir: &std::path::Path,
    summary: &stats::Summary,
    check: &CheckReport,
    manifest: &Manifest,
    headline_bloc: &str,
    charts: &[PathBuf],
) -> Result<PathBuf> {
    let slug: String = headline_bloc
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let wanted = |stem: &str| {
        stem == format!("p-over-10pct-{slug}")
            || stem == format!("exceedance-{slug}")
            || stem == format!("distribution-{slug}")
            || stem.starts_with("fan-")
    };
    let mut inline = Vec::new();
    for path in charts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
    {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if wanted(&stem) {
            let svg = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            inline.push((stem, svg));
        }
    }
    let html = report::html::render(&report::html::ReportInput {
        summary,
        check,
        manifest,
        headline_bloc,
        charts: &inline,
    });
    let path = out_dir.join("report.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}
