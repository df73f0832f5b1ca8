//! `shortfall check`: validate a scenario and show its supplier graph, as a table or JSON; or,
//! with `--diff A B`, what B changes in A's inputs.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::common::{load_model, print, Result};
use crate::model::check::check_report;
use crate::report;
use crate::scenario::diff::diff;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # the bundled EU baseline's supplier graph, concentration and disruption processes\n  \
    shortfall check\n\n  \
    # your scenario, with every link above the CRMA's 65% single-supplier benchmark flagged\n  \
    shortfall check my.ron --cap 0.65\n\n  \
    # the same view as JSON, with every input as read (distributions as written)\n  \
    shortfall check my.ron --json\n\n  \
    # what my.ron changes in the baseline's inputs, field by field\n  \
    shortfall check --diff builtin:eu-2030 my.ron")]
pub(crate) struct CheckArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    #[arg(conflicts_with = "diff")]
    pub scenario: Option<String>,
    /// Print the report as JSON instead of a table; it ends with `inputs`, the scenario as read
    /// after `extends`, and `replaced_by_extends`.
    #[arg(long)]
    pub json: bool,
    /// Cap level used to flag links where one third country supplies more than this share.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub cap: Option<f64>,
    /// Show what scenario B changes in scenario A's inputs (both read after `extends`).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub diff: Option<Vec<String>>,
}

use super::common::parse_share;

pub(super) fn check(args: CheckArgs) -> Result<ExitCode> {
    if let Some(pair) = &args.diff {
        return check_diff(&pair[0], &pair[1], args.json);
    }
    let (loaded, model) = load_model(args.scenario.as_deref())?;
    let view = check_report(&model, args.cap);
    if args.json {
        let mut json = serde_json::to_value(&view).context("serialising the check report")?;
        if let Some(map) = json.as_object_mut() {
            map.insert("inputs".into(), serde_json::to_value(&loaded.raw)?);
            map.insert(
                "replaced_by_extends".into(),
                serde_json::to_value(&loaded.raw.replaced)?,
            );
        }
        let json = serde_json::to_string_pretty(&json).context("serialising the check report")?;
        print(&format!("{json}\n"))?;
    } else {
        let mut text = report::check_table::render(&view);
        if !loaded.raw.replaced.is_empty() {
            text.push_str(
                "\nReplaced through `extends` (an entry written under an inherited name replaces it whole: \
                 fields it leaves out take their defaults, not the inherited values):\n",
            );
            for r in &loaded.raw.replaced {
                text.push_str(&format!("{r}\n"));
            }
        }
        print(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `check --diff A B`: every input B changes, one per line (or as JSON), after both validate.
fn check_diff(a: &str, b: &str, json: bool) -> Result<ExitCode> {
    let (la, _) = load_model(Some(a))?;
    let (lb, _) = load_model(Some(b))?;
    let changes = diff(&la.raw, &lb.raw);
    if json {
        let json = serde_json::to_string_pretty(&changes).context("serialising the changes")?;
        print(&format!("{json}\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{} field(s) of {a} ({}) differ in {b} ({}):\n",
        changes.len(),
        la.name(),
        lb.name()
    );
    for c in &changes {
        text.push_str(&format!("  {c}\n"));
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
