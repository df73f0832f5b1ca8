//! `shortfall run`: arguments → kernel → summary → `report::run` files and the headline table,
//! or one path replayed month by month.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::common::{
    bad, begin_output, cancel_on_ctrl_c, check_memory, default_out_dir, keep_larger_run,
    load_model, manifest, now_unix, parse_bytes, print, print_result, threads, Format, Result,
    DEFAULT_SEED,
};
use super::progress;
use super::shard_file::{self, parse_shard, ShardSpec};
use crate::experiment::replay::replay;
use crate::model::check::check_report;
use crate::report::{self, charts::ChartMeta, run::RunOutput};
use crate::scenario::{LoadedScenario, DEFAULT_SCENARIO};
use crate::sim::{self, runner::CHUNK, RunConfig};
use crate::stats::{self, shard};

/// Paths run when `--paths` is not given: enough for a P99 with a tight interval, and a first
/// run that takes seconds, not minutes.
pub const DEFAULT_PATHS: u64 = 100_000;

/// The minimum when `--target-se` is given without `--paths`: one batch, the first point at which
/// the runner checks the standard error. (At 100,000 the headline's standard error is already
/// below the targets people ask for, so the default would make `--target-se` a no-op.)
pub const TARGET_SE_MIN_PATHS: u64 = CHUNK * crate::sim::runner::BATCH_CHUNKS;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # the bundled EU baseline (eu-2030), written to output/eu-2030/\n  \
    shortfall run\n\n  \
    # a bundled policy scenario: the fiscal cost of the DoD-MP NdPr price floor\n  \
    shortfall run scenarios/ndpr-price-floor.ron\n\n  \
    # one path month by month, to see what happened on it\n  \
    shortfall run --paths 1000 --replay-path 17")]
pub struct RunArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Number of disruption paths to simulate [default: 100000]. With --target-se, the minimum
    /// before the target may stop the run [default then: 8192, one batch].
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Master seed: the same seed, scenario and --paths give the same results on any thread count.
    #[arg(long, default_value_t = DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
    /// Worker threads (default: RAYON_NUM_THREADS if set, else all cores). Does not change the
    /// results.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Refuse a run whose estimated memory exceeds this (e.g. 2GB, 512MB, 8G).
    #[arg(long, default_value = "2GB", value_parser = parse_bytes, value_name = "SIZE")]
    pub memory_limit: u64,
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
    /// Overwrite a finished run in the output folder even if it simulated more paths.
    #[arg(long)]
    pub replace: bool,
    /// What to print on stdout: the headline table (text) or summary.json (json).
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT",
          conflicts_with_all = ["replay_path", "shard"])]
    pub format: Format,
    /// Simulate only shard I of N (numbered from 0) of the --paths paths and write a shard file
    /// into --out (default `output/<scenario>+shards`); `shortfall merge` makes them one run.
    #[arg(long, value_name = "I/N", value_parser = parse_shard,
          conflicts_with_all = ["target_se", "replay_path"])]
    pub shard: Option<ShardSpec>,
    /// Group the paths into K parameter sets: path i draws its uncertain parameters
    /// (frequencies, demand growth, inventory cover, capacity delays) as set i mod K and its
    /// events on its own, so each headline probability gets a parameter-uncertainty band beside
    /// its Monte Carlo interval (docs/model.md, "Parameter uncertainty"). Off by default.
    #[arg(long, value_name = "K", conflicts_with_all = ["replay_path", "shard"])]
    pub parameter_sets: Option<u32>,
}

impl RunArgs {
    /// `--paths`, or its default (smaller with `--target-se`, so the target decides).
    fn paths(&self) -> u64 {
        self.paths.unwrap_or(if self.target_se.is_some() {
            TARGET_SE_MIN_PATHS
        } else {
            DEFAULT_PATHS
        })
    }
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let (loaded, mut model) = load_model(args.scenario.as_deref())?;
    // Histogram bins count in u32: a run stays below 2^32 paths.
    const MAX_PATHS: u64 = u32::MAX as u64;
    if args.paths() == 0 || args.paths() > MAX_PATHS || args.max_paths > MAX_PATHS {
        return Err(bad(format!(
            "--paths and --max-paths must be between 1 and {MAX_PATHS}"
        )));
    }
    if let Some(se) = args.target_se {
        if !(se > 0.0 && se < 1.0) {
            return Err(bad(format!(
                "--target-se {se}: expected a standard error in (0, 1), e.g. 0.002"
            )));
        }
    }
    if let Some(k) = args.parameter_sets {
        if k < 2 || u64::from(k) * 2 > args.paths() {
            return Err(bad(format!(
                "--parameter-sets {k}: expected at least 2 sets and at least 2 paths per set (--paths {}), e.g. --parameter-sets 50 --paths 100000",
                args.paths()
            )));
        }
        model.parameter_sets = k;
    }
    if let Some(k) = args.replay_path {
        print(&report::replay::text(&replay(&model, args.seed, k)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let threads = threads(args.threads)?;
    check_memory(&model, threads, args.memory_limit)?;
    if let Some(spec) = args.shard {
        return run_shard(&args, spec, &loaded, &model, threads);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name, &[]));
    let most_paths = if args.target_se.is_some() {
        args.max_paths.max(args.paths())
    } else {
        args.paths()
    };
    keep_larger_run(&out_dir, most_paths, args.replace)?;
    let output = begin_output(&out_dir)?;
    let cfg = RunConfig {
        seed: args.seed,
        paths: args.paths(),
        threads,
        target_se: args.target_se,
        max_paths: args.max_paths,
    };

    let cancel = cancel_on_ctrl_c();
    let started_at = now_unix();
    let clock = Instant::now();
    let goal = if cfg.target_se.is_some() {
        cfg.max_paths.max(cfg.paths)
    } else {
        cfg.paths
    };
    let bar = progress::bar(goal, args.quiet);
    // The headline count of each chunk, for the convergence chart.
    let hb = sim::runner::headline_bloc(&model);
    let k10 = stats::accumulator::THRESHOLDS
        .iter()
        .position(|&t| t == 0.10)
        .unwrap_or(0);
    let mut chunks: Vec<(u64, u64)> = Vec::new();
    let outcome = sim::runner::run_with(
        &model,
        &cfg,
        &cancel,
        |done, _| bar.set_position(done),
        |_, part| {
            let over = part.blocs.get(hb).map_or(0, |b| b.any_over_threshold[k10]);
            chunks.push((part.paths, over));
        },
    )
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

    let mut summary = stats::finish(&outcome.plan.layout, &outcome.acc);
    let hb_name = model.blocs.get(hb).map_or("", |b| b.name.as_str());
    let threshold = stats::accumulator::THRESHOLDS[k10];
    summary.convergence = Some(stats::convergence::series(hb_name, threshold, &chunks));
    let mut manifest = report::manifest::Manifest {
        paths: outcome.paths,
        target_se: cfg.target_se,
        target_reached: outcome.target_reached,
        headline_se: outcome.headline_se,
        elapsed_seconds: elapsed,
        ..manifest(&loaded, &model, cfg.seed, threads, started_at)
    };
    let blocs = model.blocs.iter().map(|b| b.name.as_str());
    let headline_bloc = report::headline_bloc(blocs).unwrap_or_default();
    let run = RunOutput {
        out_dir: output.dir(),
        summary: &summary,
        check: &check_report(&model, None),
        headline_bloc,
        charts: (!args.no_charts).then(|| ChartMeta {
            scenario: model.name.clone(),
            paths: outcome.paths,
            seed: cfg.seed,
            data: crate::report::charts::data_vintage(&model.sources),
        }),
    };
    report::run::write(&run, &mut manifest)?;
    output.commit()?;
    let text = || {
        let headline = report::terminal::headline(&summary, &model.name, headline_bloc, elapsed);
        let tail = report::attribution::terminal(&summary, headline_bloc)
            + &report::attribution::parameter_bands(&summary, headline_bloc);
        let closing = report::run::closing_lines(&manifest, &out_dir, !args.no_charts);
        format!("{headline}{tail}{closing}")
    };
    print_result(args.format, text, &out_dir, "summary.json")?;
    Ok(ExitCode::SUCCESS)
}

/// `run --shard I/N`: simulate the shard's whole chunks and write its file (header, layout and
/// one accumulator per chunk; `stats::shard`). Nothing else is written.
fn run_shard(
    args: &RunArgs,
    spec: ShardSpec,
    loaded: &LoadedScenario,
    model: &crate::model::Model,
    threads: usize,
) -> Result<ExitCode> {
    let (c0, c1) = shard::chunk_range(args.paths(), CHUNK, spec.index, spec.count);
    // Every shard holds at least one chunk, so a set of N shards is always N files.
    if spec.count > args.paths().div_ceil(CHUNK) {
        return Err(bad(format!(
            "--shard {}/{}: {} paths make only {} chunks of {CHUNK}; use at most that many shards",
            spec.index,
            spec.count,
            args.paths(),
            args.paths().div_ceil(CHUNK)
        )));
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name, &["shards"]));
    let file = dir.join(shard_file::file_name(spec));
    let cfg = RunConfig {
        seed: args.seed,
        paths: args.paths(),
        threads,
        target_se: None,
        max_paths: args.paths(),
    };
    let cancel = cancel_on_ctrl_c();
    let started_at = now_unix();
    let clock = Instant::now();
    let bar = progress::bar(0, args.quiet);
    let mut chunk_floats = Vec::new();
    let mut failed = None;
    let done = sim::runner::run_chunks(
        model,
        &cfg,
        c0..c1,
        &cancel,
        |done, goal| {
            bar.set_length(goal);
            bar.set_position(done);
        },
        |chunk| match shard::chunk_floats(chunk) {
            Ok(floats) => chunk_floats.push(floats),
            Err(e) => failed = Some(e),
        },
    )
    .context("starting worker threads")?;
    bar.finish_and_clear();
    if let Some(e) = failed {
        return Err(anyhow::anyhow!("reading a chunk's sums: {e}").into());
    }
    let Some((plan, folded)) = done else {
        eprintln!("interrupted; no shard was written");
        return Ok(ExitCode::from(130));
    };
    let header = shard::ShardHeader {
        format: String::new(),
        format_version: 0,
        program_version: env!("CARGO_PKG_VERSION").into(),
        program_sha256: shard_file::program_sha256(),
        scenario: model.name.clone(),
        scenario_spec: args.scenario.clone().unwrap_or(DEFAULT_SCENARIO.into()),
        working_dir: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        scenario_sha256: loaded.hash.clone(),
        seed: args.seed,
        total_paths: args.paths(),
        index: spec.index,
        count: spec.count,
        first_path: c0 * CHUNK,
        end_path: (c1 * CHUNK).min(args.paths()),
        chunk_paths: CHUNK,
        threads,
        started_at_unix: started_at,
        elapsed_seconds: clock.elapsed().as_secs_f64(),
        body_bytes: 0,
        body_sha256: String::new(),
        experiment: None,
    };
    let (first, end) = (header.first_path, header.end_path);
    let body = shard::body(plan.layout, folded, chunk_floats)
        .map_err(|e| anyhow::anyhow!("packing the shard: {e}"))?;
    let bytes = shard_file::encode(header, &body)?;
    report::atomic::write_atomic(&file, &bytes)?;
    print(&format!(
        "shard {}/{}: paths {first}..{end} of {} in {}\n",
        spec.index,
        spec.count,
        args.paths(),
        file.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
