//! `shortfall backtest`: arguments → `backtest::run` (the 2010–2025 replay, the episode
//! replays, the outcome count) → `report::backtest` table and files. The exit code is the
//! verdict: 0 when every check passes, 1 when any fails, 2 for bad input.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use super::common::{bad, default_out_dir, load_scenario, print, threads, Error, Result};
use crate::backtest::{self, BacktestError, Config};
use crate::report::{self, atomic::write_atomic};

/// At least the 2,000 paths; 4,096 keeps the 5% and 95% bands to within about a
/// count of their limit for the onset groups.
pub(super) const DEFAULT_BACKTEST_PATHS: u64 = 4_096;

#[derive(Args, Debug)]
#[command(
    about = "Backtests that can fail: replay 2010–2025 and four past episodes against the record; exit 1 if any check fails",
    long_about = "Backtests that can fail: does the scenario reproduce the record of 2010–2025 \
                  (data/record/, compiled in)?\n\n\
                  1. Onset counts: the scenario's own processes replayed over 2010-01..2025-12 from the calm \
                  regime; each group's and main country's count in the record must lie in the model's 5–95% \
                  band, and the clustering of Chinese measures must have a two-sided p ≥ 0.05.\n\
                  2. Episode replays (backtests/*.ron, on the supply structure of their time): the modelled \
                  import gap's 12-month sum within ×1.5 of the observed drop, its deepest month within ±1 \
                  month, and the consumption-shortfall class as in the record.\n\
                  3. Outcome count: the record's bloc × material × year consumption shortfalls above 10% in \
                  the EU, US and Japan (0 confirmed, ≤ 3 possible) inside the model's 90% interval.\n\n\
                  Exit status: 0 when every check passes, 1 when any check fails, 2 for bad input \
                  (an argument or a scenario that does not validate).",
    after_help = "Writes backtest.csv, backtest.json and report.html to the output folder. docs/backtest.md \
                  explains every check, the classification of the record and the targets."
)]
pub(crate) struct BacktestArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Paths of the 2010–2025 replay (at least 2,000).
    #[arg(long, default_value_t = DEFAULT_BACKTEST_PATHS, value_name = "N")]
    pub paths: u64,
    /// Master seed: the same seed, scenario and --paths give the same results on any thread count.
    #[arg(long, default_value_t = super::common::DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
    /// Worker threads (default: all cores). Does not change the results.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Output folder (default: `output/<scenario>+backtest`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only the final line (the files are written all the same).
    #[arg(long, short)]
    pub quiet: bool,
}

pub(super) fn backtest(args: BacktestArgs) -> Result<ExitCode> {
    if args.paths == 0 {
        return Err(bad("--paths must be at least 1"));
    }
    let loaded = load_scenario(args.scenario.as_deref())?;
    let cfg = Config {
        seed: args.seed,
        paths: args.paths,
        threads: threads(args.threads)?,
    };
    let clock = Instant::now();
    let result = backtest::run(&loaded, &cfg).map_err(|e| match e {
        BacktestError::InvalidScenario(invalid) => Error::InvalidScenario(invalid),
        BacktestError::Unsupported(msg) => bad(msg),
        BacktestError::Threads(e) => Error::Failed(e.into()),
    })?;
    let elapsed = clock.elapsed().as_secs_f64();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&result.scenario, &["backtest"]));
    write_atomic(
        &out_dir.join("backtest.csv"),
        report::backtest::csv(&result).as_bytes(),
    )?;
    write_atomic(
        &out_dir.join("backtest.json"),
        report::backtest::json(&result, &loaded.hash, elapsed)?.as_bytes(),
    )?;
    write_atomic(
        &out_dir.join("report.html"),
        report::backtest::html(&result).as_bytes(),
    )?;
    let failed = result.checks.iter().filter(|c| !c.pass).count();
    if !args.quiet {
        print(&report::backtest::table(&result))?;
    }
    print(&format!(
        "{}: {} of {} checks pass in {:.1} s; wrote {} (backtest.csv, backtest.json, report.html)\n",
        if failed == 0 { "PASS" } else { "FAIL" },
        result.checks.len() - failed,
        result.checks.len(),
        elapsed,
        out_dir.display()
    ))?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
