//! Command-line glue: parse arguments, call the layers in order, print, map errors to exit codes.
//! No modelling or statistics here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::model::{self, check::check_report};
use crate::report::{self, manifest::Manifest};
use crate::scenario::{self, InvalidScenario, LoadedScenario, DEFAULT_SCENARIO};

#[derive(Parser, Debug)]
#[command(
    name = "shortfall",
    version,
    about = "Monte Carlo simulator of supply disruptions for critical raw materials",
    long_about = "Simulates many disruption paths (export bans, licensing, conflicts, disasters) through the \
                  supplier graph of a scenario and reports the distribution of shortfalls per bloc and material.\n\n\
                  With no SCENARIO, commands use the bundled EU baseline (builtin:eu-2030).",
    after_help = "Examples:\n  shortfall check                      show the bundled EU baseline's supplier graph\n  \
                  shortfall run                        simulate it with default settings\n  \
                  shortfall run my.ron --paths 200000  simulate your own scenario\n  \
                  shortfall run --replay-path 17       print one path month by month\n  \
                  shortfall plot output/eu-2030        redraw a finished run's charts\n  \
                  shortfall compare builtin:eu-2030 my.ron\n                                       what my.ron changes, on the same paths\n  \
                  shortfall stress-cap                 does the 65% cap make the EU safer?\n  \
                  shortfall sweep --cap 0.5:1:0.05     P95 shortfall against the cap level\n  \
                  shortfall sensitivity                which disruption process moves the EU headline most"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate a scenario and show its supplier graph: concentration, sourcing, cap breaches, disruptions.
    Check(CheckArgs),
    /// Simulate a scenario and write summary files and charts to the output folder.
    Run(crate::cli_run::RunArgs),
    /// Redraw the charts of a finished run from its saved results, without simulating again.
    Plot(crate::cli_run::PlotArgs),
    /// Run a grid of parameter values on the same random paths (e.g. the cap level), or find
    /// the value that meets a goal; writes a tidy CSV and a chart with confidence bands.
    Sweep(crate::cli_sweep::SweepArgs),
    /// Does the CRMA 65% single-supplier cap make the bloc safer? Runs without and with the cap
    /// on the same paths: paired differences per strategic material, feasibility, capacity gap.
    StressCap(crate::cli_stress_cap::StressCapArgs),
    // No doc comment: it would replace the long help that `CompareArgs` carries.
    Compare(crate::cli_compare::CompareArgs),
    /// Tornado chart: how much a headline metric moves when each disruption process is switched
    /// off or its frequency moved across its range, on common random numbers.
    Sensitivity(crate::cli_sensitivity::SensitivityArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Cap level used to flag links where one third country supplies more than this share.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub cap: Option<f64>,
}

/// Flags every experiment (compare, stress-cap, sweep, sensitivity) shares: one seed for all its
/// variants, the thread count, the progress bar.
#[derive(Args, Debug, Clone)]
pub struct ExperimentFlags {
    /// Master seed, shared by every variant (common random numbers): the same seed, scenario and
    /// --paths give the same results on any thread count.
    #[arg(long, default_value_t = crate::cli_run::DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
    /// Worker threads (default: all cores). Does not change the results.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn parse_share(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    let v = if s.ends_with('%') { v / 100.0 } else { v };
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{s} is outside [0, 1]; give a share like 0.65 or 65%"
        ))
    }
}

/// Entry point used by `main`: exit 0 on success, 2 on bad input, 1 on any other failure.
pub fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(invalid) = e.downcast_ref::<InvalidScenario>() {
                eprint!("error: {invalid}");
                ExitCode::from(2)
            } else if e.downcast_ref::<crate::cli_run::BadArgument>().is_some()
                || e.downcast_ref::<crate::experiment::variant::BadSetting>()
                    .is_some()
            {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Run(args) => crate::cli_run::run(args),
        Command::Plot(args) => crate::cli_run::plot(args),
        Command::Sweep(args) => crate::cli_sweep::sweep(args),
        Command::StressCap(args) => crate::cli_stress_cap::stress_cap(args),
        Command::Compare(args) => crate::cli_compare::compare(args),
        Command::Sensitivity(args) => crate::cli_sensitivity::run(args),
    }
}

/// `shortfall run | head` closes stdout early; `print!` then panics with "failed printing to
/// stdout". Every file is written before anything is printed, so end quietly, as a Unix tool
/// killed by SIGPIPE would, instead of showing a backtrace. Other panics keep the default hook.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
}

/// Load and compile, keeping the `InvalidScenario` type visible to `main` for the exit code.
pub fn load_model(spec: Option<&str>) -> Result<(scenario::LoadedScenario, model::Model)> {
    let spec = spec.unwrap_or(DEFAULT_SCENARIO);
    let loaded = scenario::load(spec)?;
    let model = model::compile(&loaded)?;
    Ok((loaded, model))
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let (_, model) = load_model(args.scenario.as_deref())?;
    let view = check_report(&model, args.cap);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&view).context("serialising the check report")?
        );
    } else {
        print!("{}", report::check_table::render(&view));
    }
    Ok(ExitCode::SUCCESS)
}

/// Default output folder for a scenario.
pub fn default_out_dir(scenario_name: &str) -> PathBuf {
    PathBuf::from("output").join(scenario_name)
}

/// A flag the first Ctrl-C sets; the runner stops between batches and the command writes
/// nothing. A second Ctrl-C while it winds down exits at once (nothing has been written then).
pub fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    cancel
}

/// `--threads`, or every core when not given; 0 is a bad argument.
pub fn threads(arg: Option<usize>) -> Result<usize> {
    let threads =
        arg.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(crate::cli_run::BadArgument("--threads must be at least 1".into()).into());
    }
    Ok(threads)
}

/// The manifest of one simulated scenario, with what the run measured left at its "not yet"
/// value (0 paths, no elapsed time, no files) for the caller to fill in.
pub fn manifest(
    loaded: &LoadedScenario,
    model: &model::Model,
    seed: u64,
    threads: usize,
    started_at_unix: u64,
) -> Manifest {
    Manifest {
        tool: "shortfall".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: model.name.clone(),
        scenario_files: loaded
            .texts
            .iter()
            .map(|t| t.path.display().to_string())
            .collect(),
        scenario_sha256: loaded.hash.clone(),
        seed,
        paths: 0,
        threads,
        target_se: None,
        target_reached: None,
        headline_se: f64::NAN,
        elapsed_seconds: 0.0,
        started_at: report::manifest::iso8601(started_at_unix),
        data_sources: model.sources.clone(),
        files: Vec::new(),
        command: std::env::args().collect(),
    }
}
