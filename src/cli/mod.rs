//! Command-line glue: parse arguments, hand each subcommand to its own file, map errors to exit
//! codes in one place. No modelling, statistics or formatting here: subcommands call the
//! library and choose exporters from `report`.

mod backtest;
mod check;
mod common;
mod compare;
mod completions;
mod experiment_shard;
mod init;
mod merge;
mod plot;
mod progress;
mod run;
mod sensitivity;
mod shard_file;
mod stress_cap;
mod sweep;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use common::Error;

#[derive(Parser, Debug)]
#[command(
    name = "shortfall",
    version,
    about = "Monte Carlo simulator of supply disruptions for critical raw materials",
    long_about = "Simulates many disruption paths (export bans, licensing, conflicts, disasters) through the \
                  supplier graph of a scenario and reports the distribution of shortfalls per bloc and material.\n\n\
                  With no SCENARIO, commands use the bundled EU baseline (builtin:eu-2030).",
    after_help = "Examples:\n  shortfall init my.ron                a commented scenario on top of the EU baseline\n  \
                  shortfall check                      show the bundled EU baseline's supplier graph\n  \
                  shortfall run                        simulate it with default settings\n  \
                  shortfall run my.ron --paths 200000  simulate your own scenario\n  \
                  shortfall run --replay-path 17       print one path month by month\n  \
                  shortfall plot output/eu-2030        redraw a finished run's charts (or any command's)\n  \
                  shortfall compare builtin:eu-2030 my.ron\n                                       what my.ron changes, on the same paths\n  \
                  shortfall stress-cap                 does the 65% cap make the EU safer?\n  \
                  shortfall sweep --cap 0.5:1:0.05     P95 shortfall against the cap level\n  \
                  shortfall sensitivity                which disruption process moves the EU headline most"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Write a commented starting scenario that builds on the bundled EU baseline (or another
    /// scenario) through `extends`; `check` accepts it as written.
    Init(init::InitArgs),
    /// Validate a scenario and show its supplier graph: concentration, sourcing, cap breaches, disruptions.
    Check(check::CheckArgs),
    /// Simulate a scenario and write summary files and charts to the output folder.
    Run(run::RunArgs),
    /// Redraw the charts and report.html of a finished command's folder (run, compare,
    /// stress-cap, sweep or sensitivity) from the files it wrote, without simulating again.
    Plot(plot::PlotArgs),
    /// Run a grid of parameter values on the same random paths (e.g. the cap level), or find
    /// the value that meets a goal; writes a tidy CSV and a chart with confidence bands.
    Sweep(sweep::SweepArgs),
    /// Does the CRMA 65% single-supplier cap make the bloc safer? Runs without and with the cap
    /// on the same paths: paired differences per strategic material, feasibility, capacity gap.
    StressCap(stress_cap::StressCapArgs),
    // No doc comment: it would replace the long help that `CompareArgs` carries.
    Compare(compare::CompareArgs),
    /// Tornado chart: how much a headline metric moves when each disruption process is switched
    /// off or its frequency moved across its range, on common random numbers.
    Sensitivity(sensitivity::SensitivityArgs),
    // No doc comment: it would replace the long help that `BacktestArgs` carries.
    Backtest(backtest::BacktestArgs),
    /// Print a completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(completions::CompletionsArgs),
    /// Merge the shard files of `run --shard I/N` into the output one `run` would have written.
    Merge(merge::MergeArgs),
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
        Err(e) => exit_code(&e),
    }
}

/// Run one parsed command.
pub(crate) fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Init(args) => init::init(args),
        Command::Check(args) => check::check(args),
        Command::Run(args) => run::run(args),
        Command::Plot(args) => plot::plot(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::StressCap(args) => stress_cap::stress_cap(args),
        Command::Compare(args) => compare::compare(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::Backtest(args) => backtest::backtest(args),
        Command::Merge(args) => merge::merge(args),
        Command::Completions(args) => completions::completions(args, Cli::command()),
    }
}

/// The one place errors become exit codes: print the error and choose 2 (the input is at
/// fault: an argument, the scenario, a `--set`) or 1 (anything else). A closed stdout ends
/// quietly with 141, what a shell reports for a tool killed by SIGPIPE.
fn exit_code(e: &Error) -> ExitCode {
    match e {
        Error::ClosedStdout => ExitCode::from(141),
        // The scenario error's text already ends with a newline.
        Error::InvalidScenario(invalid) => {
            eprint!("error: {invalid}");
            ExitCode::from(2)
        }
        Error::BadArgument(_) | Error::BadSetting(_) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Error::Failed(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
