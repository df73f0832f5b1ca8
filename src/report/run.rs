//! The files and closing lines of `shortfall run` (and `shortfall plot`, which redraws them):
//! summary.json/csv, timeseries.csv, check.json, the charts, report.html with the headline
//! bloc's charts inlined, and manifest.json last, each written atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::model::check::CheckReport;
use crate::report::atomic::write_atomic;
use crate::report::charts::{self, ChartMeta};
use crate::report::manifest::Manifest;
use crate::report::{attribution, html, tables};
use crate::stats::Summary;

/// The files every run writes, in the order the closing line lists them.
pub(crate) const FILES: [&str; 4] = [
    "summary.json",
    "summary.csv",
    "timeseries.csv",
    "manifest.json",
];

/// The convergence series of a run drawn with charts (`stats::convergence`).
pub(crate) const CONVERGENCE_FILE: &str = "convergence.json";

/// A finished run, ready to be written.
pub(crate) struct RunOutput<'a> {
    pub out_dir: &'a Path,
    pub summary: &'a Summary,
    pub check: &'a CheckReport,
    pub headline_bloc: &'a str,
    /// Chart captions; None skips the charts and report.html (`--no-charts`).
    pub charts: Option<ChartMeta>,
}

/// Write every file of a run; `manifest` lists them on return (and in manifest.json).
pub(crate) fn write(run: &RunOutput, manifest: &mut Manifest) -> Result<()> {
    let (out_dir, summary) = (run.out_dir, run.summary);
    let name = &manifest.scenario;
    manifest.files = FILES.iter().map(|f| f.to_string()).collect();
    let json = serde_json::to_string_pretty(summary).context("serialising the summary")?;
    write_atomic(&out_dir.join("summary.json"), json.as_bytes())?;
    write_atomic(
        &out_dir.join("summary.csv"),
        tables::summary_csv(name, summary).as_bytes(),
    )?;
    write_atomic(
        &out_dir.join("timeseries.csv"),
        tables::timeseries_csv(name, summary).as_bytes(),
    )?;
    write_atomic(
        &out_dir.join("check.json"),
        serde_json::to_string_pretty(run.check)?.as_bytes(),
    )?;
    manifest.files.push("check.json".into());
    write_atomic(
        &out_dir.join(attribution::CSV_FILE),
        attribution::csv(name, summary).as_bytes(),
    )?;
    manifest.files.push(attribution::CSV_FILE.into());
    if !summary.parameter_uncertainty.is_empty() {
        write_atomic(
            &out_dir.join(attribution::BANDS_FILE),
            attribution::bands_csv(name, summary).as_bytes(),
        )?;
        manifest.files.push(attribution::BANDS_FILE.into());
    }
    if let Some(meta) = &run.charts {
        // The series behind the convergence chart, so `plot` can redraw it (not in
        // summary.json, which a merge of shards must reproduce byte for byte).
        if let Some(c) = &summary.convergence {
            write_atomic(
                &out_dir.join(CONVERGENCE_FILE),
                serde_json::to_string_pretty(c)?.as_bytes(),
            )?;
            manifest.files.push(CONVERGENCE_FILE.into());
        }
        let charts = charts::write_charts(summary, meta, out_dir).context("drawing charts")?;
        manifest.files.extend(
            charts
                .iter()
                .filter_map(|p| p.strip_prefix(out_dir).ok())
                .map(|p| p.display().to_string()),
        );
        manifest.files.push("report.html".into());
        write_report(
            out_dir,
            summary,
            run.check,
            manifest,
            run.headline_bloc,
            &charts,
        )?;
    }
    write_atomic(
        &out_dir.join("manifest.json"),
        serde_json::to_string_pretty(manifest)?.as_bytes(),
    )
}

/// Write `report.html` with the headline bloc's charts inlined: its P(>10%) bars, import gap
/// against consumption shortfall, exceedance curve and distribution, and every fan chart.
pub(crate) fn write_report(
    out_dir: &Path,
    summary: &Summary,
    check: &CheckReport,
    manifest: &Manifest,
    headline_bloc: &str,
    charts: &[PathBuf],
) -> Result<PathBuf> {
    // The charts' own name-to-file rule, so "AA (EU)" finds `exceedance-aa-eu`.
    let slug = charts::theme::slug(headline_bloc);
    let wanted = |stem: &str| {
        stem == format!("p-over-10pct-{slug}")
            || stem == format!("import-gap-vs-shortfall-{slug}")
            || stem == format!("exceedance-{slug}")
            || stem == format!("distribution-{slug}")
            || stem == format!("tail-attribution-{slug}")
            || stem == "convergence"
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
    let html = html::render(&html::ReportInput {
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

/// What a run printed after its headline table: whether `--target-se` was reached, and where
/// the files went.
pub(crate) fn closing_lines(manifest: &Manifest, out_dir: &Path, charts: bool) -> String {
    let mut out = String::new();
    if let Some(reached) = manifest.target_reached {
        out.push_str(&format!(
            "\n--target-se {}: {} after {} paths (standard error {:.5})\n",
            manifest.target_se.unwrap_or_default(),
            if reached {
                "reached"
            } else {
                "NOT reached (hit --max-paths)"
            },
            manifest.paths,
            manifest.headline_se
        ));
    }
    out.push_str(&format!(
        "\nwrote {} ({}{})\n",
        out_dir.display(),
        FILES.join(", "),
        if charts {
            ", check.json, charts/, report.html"
        } else {
            ", check.json"
        }
    ));
    out
}
