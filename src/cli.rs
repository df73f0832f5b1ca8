//! Command-line glue: parse arguments, call the layers in order, print, map errors to exit codes.
//! No modelling or statistics here.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::model::{self, check::check_report};
use crate::report;
use crate::scenario::{self, InvalidScenario, DEFAULT_SCENARIO};

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
            } else if e.downcast_ref::<crate::cli_run::BadArgument>().is_some() {
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
        Command::Sensitivity(args) => crate::cli_sensitivity::run(args),
    }
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
