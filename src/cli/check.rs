//! `shortfall check`: validate a scenario and show its supplier graph, as a table or JSON.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::common::{load_model, parse_share, print, Result};
use crate::model::check::check_report;
use crate::report;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # the bundled EU baseline's supplier graph, concentration and disruption processes\n  \
    shortfall check\n\n  \
    # your scenario, with every link above the CRMA's 65% single-supplier benchmark flagged\n  \
    shortfall check my.ron --cap 0.65\n\n  \
    # the same view as JSON\n  \
    shortfall check my.ron --json")]
pub(crate) struct CheckArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Cap level used to flag links where one third country supplies more than this share.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub cap: Option<f64>,
}

pub(super) fn check(args: CheckArgs) -> Result<ExitCode> {
    let (_, model) = load_model(args.scenario.as_deref())?;
    let view = check_report(&model, args.cap);
    if args.json {
        let json = serde_json::to_string_pretty(&view).context("serialising the check report")?;
        print(&format!("{json}\n"))?;
    } else {
        print(&report::check_table::render(&view))?;
    }
    Ok(ExitCode::SUCCESS)
}
