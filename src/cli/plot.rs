//! `shortfall plot FOLDER`: redraw the charts and report.html of any finished command's folder
//! from the files it wrote, without simulating again. The folder's kind is told by the JSON file
//! only that command writes (`stress-cap.json`, `comparison.json`, `sweep.json`,
//! `sensitivity.json`, a run's `summary.json`); its `manifest.json` gives the charts' source line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::de::DeserializeOwned;

use super::common::{bad, print, Result};
use crate::experiment::sensitivity::Sensitivity;
use crate::model::check::CheckReport;
use crate::report::comparison::{ComparisonFile, ComparisonManifest, ComparisonReport, Side};
use crate::report::{self, charts::ChartMeta, manifest::Manifest};
use crate::stats::Summary;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    shortfall plot output/eu-2030                       a run\n  \
    shortfall plot output/eu-2030+stress-cap            stress-cap (also compare, sweep, sensitivity)\n  \
    shortfall plot output/eu-2030+sweep+supplier_cap.level")]
pub(crate) struct PlotArgs {
    /// A finished command's output folder: a run's, or compare's, stress-cap's, a sweep's or
    /// sensitivity's.
    #[arg(value_name = "FOLDER")]
    pub run_dir: PathBuf,
}

/// The kinds of output folder, each told by the JSON file only its command writes (a
/// stress-cap folder also holds comparison.json, so it is asked for first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StressCap,
    Compare,
    Sweep,
    Sensitivity,
    Run,
}

const KINDS: [(&str, Kind); 5] = [
    ("stress-cap.json", Kind::StressCap),
    ("comparison.json", Kind::Compare),
    ("sweep.json", Kind::Sweep),
    ("sensitivity.json", Kind::Sensitivity),
    ("summary.json", Kind::Run),
];

fn kind(dir: &Path) -> Result<Kind> {
    if let Some((_, k)) = KINDS.iter().find(|(f, _)| dir.join(f).is_file()) {
        return Ok(*k);
    }
    let backtest = if dir.join("backtest.json").is_file() {
        " (a backtest folder has no charts to redraw)"
    } else {
        ""
    };
    Err(bad(format!(
        "{} holds none of summary.json, comparison.json, stress-cap.json, sweep.json or sensitivity.json: not the output folder of run, compare, stress-cap, sweep or sensitivity{backtest}",
        dir.display()
    )))
}

/// Read and parse one of the folder's files; a missing or foreign file is a bad argument.
fn read<T: DeserializeOwned>(dir: &Path, name: &str, what: &str) -> Result<T> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "cannot read {}: {e}; is this a shortfall output folder?",
            path.display()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| bad(format!("{}: not a shortfall {what}: {e}", path.display())))
}

/// The source line of a chart drawn from one scenario, as its manifest describes the run.
fn meta(m: &Manifest) -> ChartMeta {
    ChartMeta {
        scenario: m.scenario.clone(),
        paths: m.paths,
        seed: m.seed,
        data: report::charts::data_vintage(&m.data_sources),
    }
}

pub(super) fn plot(args: PlotArgs) -> Result<ExitCode> {
    let dir = args.run_dir.as_path();
    let kind = kind(dir)?;
    // Redraws in place, file by file (each atomic, all from the folder's own files), under the
    // folder's lock so a command cannot replace the folder meanwhile.
    let _lock = report::atomic::FolderLock::take(dir)?;
    let written = match kind {
        Kind::Run => plot_run(dir)?,
        Kind::Compare => plot_comparison(dir, None)?,
        Kind::StressCap => plot_stress_cap(dir)?,
        Kind::Sweep => plot_sweep(dir)?,
        Kind::Sensitivity => plot_sensitivity(dir)?,
    };
    let charts = written.iter().filter(|p| p.starts_with("charts")).count();
    let mut text = format!(
        "redrew {charts} charts in {}\n",
        dir.join("charts").display()
    );
    for page in written.iter().filter(|p| p.ends_with("report.html")) {
        text.push_str(&format!("rewrote {}\n", dir.join(page).display()));
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The files written, relative to `dir`.
fn relative(dir: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap_or(p).to_path_buf())
        .collect()
}

fn plot_run(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut summary: Summary = read(dir, "summary.json", "summary")?;
    if dir.join(report::run::CONVERGENCE_FILE).exists() {
        let file = report::run::CONVERGENCE_FILE;
        summary.convergence = Some(read(dir, file, "convergence series")?);
    }
    let manifest: Manifest = read(dir, "manifest.json", "manifest")?;
    let charts =
        report::charts::write_charts(&summary, &meta(&manifest), dir).context("drawing charts")?;
    let check: CheckReport = read(dir, "check.json", "check view")?;
    let blocs = summary.blocs.iter().map(|b| b.bloc.as_str());
    let headline_bloc = report::headline_bloc(blocs).unwrap_or_default();
    let page = report::run::write_report(dir, &summary, &check, &manifest, headline_bloc, &charts)?;
    let mut written = relative(dir, &charts);
    written.extend(relative(dir, &[page]));
    Ok(written)
}

/// A comparison's charts and report.html (with `lead` opening it, as stress-cap writes it), from
/// comparison.json, both sides' summaries and manifest.json.
fn plot_comparison(dir: &Path, lead: Option<&str>) -> Result<Vec<PathBuf>> {
    let file: ComparisonFile = read(dir, "comparison.json", "comparison")?;
    let manifest: ComparisonManifest = read(dir, "manifest.json", "comparison manifest")?;
    let [a, b] = report::comparison::SIDE_SUMMARIES;
    let missing = |f: &str| !dir.join(f).is_file();
    if missing(a) || missing(b) {
        return Err(bad(format!(
            "{} has no {a} and {b}, which the overlaid curves are drawn from (written by an older shortfall); run the command again",
            dir.display()
        )));
    }
    let summary_a: Summary = read(dir, a, "summary")?;
    let summary_b: Summary = read(dir, b, "summary")?;
    let r = ComparisonReport {
        comparison: &file.comparison,
        a: Side {
            label: &file.a,
            summary: &summary_a,
            manifest: &manifest.a,
        },
        b: Side {
            label: &file.b,
            summary: &summary_b,
            manifest: &manifest.b,
        },
        inputs_changed: &file.inputs_changed,
    };
    let files = report::comparison::write_led(&r, dir, true, lead)?;
    Ok(files.into_iter().map(PathBuf::from).collect())
}

/// What the breach chart's source line needs from stress-cap.json besides the result.
#[derive(serde::Deserialize)]
struct StressRun {
    scenario: String,
    seed: u64,
    paths_per_variant: u64,
    month_labels: Vec<String>,
}

fn plot_stress_cap(dir: &Path) -> Result<Vec<PathBuf>> {
    let result: crate::experiment::stress_cap::StressCap =
        read(dir, "stress-cap.json", "stress-cap result")?;
    let run: StressRun = read(dir, "stress-cap.json", "stress-cap result")?;
    let lead = report::cap_summary::html(&result, &run.month_labels);
    let mut written = plot_comparison(dir, Some(&lead))?;
    let manifest: ComparisonManifest = read(dir, "manifest.json", "comparison manifest")?;
    let meta = ChartMeta {
        scenario: run.scenario,
        paths: run.paths_per_variant,
        seed: run.seed,
        data: report::charts::data_vintage(&manifest.b.data_sources),
    };
    let chart = report::stress_cap::breach_chart(&result, &run.month_labels);
    let drawn = report::charts::write_sweep_chart(&chart, &meta, dir)
        .context("drawing the breach chart")?;
    written.extend(relative(dir, &drawn));
    Ok(written)
}

fn plot_sweep(dir: &Path) -> Result<Vec<PathBuf>> {
    let file: report::sweep::SweepFileChart = read(dir, "sweep.json", "sweep result")?;
    let Some(chart) = file.chart else {
        return Err(bad(format!(
            "{}: sweep.json holds no chart (written by an older shortfall); run the sweep again",
            dir.display()
        )));
    };
    let manifest: Manifest = read(dir, "manifest.json", "manifest")?;
    let drawn = report::charts::write_sweep_chart(&chart, &meta(&manifest), dir)
        .context("drawing the sweep chart")?;
    Ok(relative(dir, &drawn))
}

fn plot_sensitivity(dir: &Path) -> Result<Vec<PathBuf>> {
    let result: Sensitivity = read(dir, "sensitivity.json", "sensitivity result")?;
    let manifest: Manifest = read(dir, "manifest.json", "manifest")?;
    let mut drawn = report::charts::write_tornado(&result, &meta(&manifest), dir)
        .context("drawing the tornado chart")?;
    // The page inlines the tornado just drawn; its command is the one the manifest recorded.
    drawn.push(report::sensitivity_html::write(
        dir,
        &result,
        &manifest.data_sources,
        &manifest.command,
    )?);
    Ok(relative(dir, &drawn))
}
