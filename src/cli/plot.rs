//! `shortfall plot RUN_DIR`: redraw the charts and report.html of a finished run from its saved
//! files, without simulating again.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::de::DeserializeOwned;

use super::common::{bad, print, Result};
use crate::model::check::CheckReport;
use crate::report::{self, charts::ChartMeta, manifest::Manifest};
use crate::stats::Summary;

#[derive(Args, Debug)]
pub(crate) struct PlotArgs {
    /// A run's output folder (holding summary.json and manifest.json).
    pub run_dir: PathBuf,
}

/// Read and parse one of the run's files; a missing or foreign file is a bad argument.
fn read<T: DeserializeOwned>(args: &PlotArgs, name: &str, what: &str) -> Result<T> {
    let path = args.run_dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "cannot read {}: {e}; is this a run folder?",
            path.display()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| bad(format!("{}: not a shortfall {what}: {e}", path.display())))
}

pub(super) fn plot(args: PlotArgs) -> Result<ExitCode> {
    // Redraws in place, file by file (each atomic, all from the folder's own summary), under
    // the folder's lock so a run cannot replace the folder meanwhile.
    let _lock = report::atomic::FolderLock::take(&args.run_dir)?;
    let mut summary: Summary = read(&args, "summary.json", "summary")?;
    if args.run_dir.join(report::run::CONVERGENCE_FILE).exists() {
        let file = report::run::CONVERGENCE_FILE;
        summary.convergence = Some(read(&args, file, "convergence series")?);
    }
    let manifest: Manifest = read(&args, "manifest.json", "manifest")?;
    let meta = ChartMeta {
        scenario: manifest.scenario.clone(),
        paths: manifest.paths,
        seed: manifest.seed,
        data: report::charts::data_vintage(&manifest.data_sources),
    };
    let charts =
        report::charts::write_charts(&summary, &meta, &args.run_dir).context("drawing charts")?;
    print(&format!(
        "redrew {} charts in {}\n",
        charts.len(),
        args.run_dir.join("charts").display()
    ))?;
    let check: CheckReport = read(&args, "check.json", "check view")?;
    let blocs = summary.blocs.iter().map(|b| b.bloc.as_str());
    let headline_bloc = report::headline_bloc(blocs).unwrap_or_default();
    let report = report::run::write_report(
        &args.run_dir,
        &summary,
        &check,
        &manifest,
        headline_bloc,
        &charts,
    )?;
    print(&format!("rewrote {}\n", report.display()))?;
    Ok(ExitCode::SUCCESS)
}
