//! Charts for slides (PNG, 1600×900) and print (SVG), drawn from a finished `Summary` only.
//!
//! One file per chart, each a small struct implementing `Chart` (the layout of criterion's
//! `plot/plotters_backend`); this module picks what to draw and writes both formats atomically.
//! Text is drawn with a bundled font (see `theme`), so output does not depend on the machine.

mod attribution;
mod comparison;
mod convergence;
mod distribution;
mod exceedance;
mod fan;
mod gap_vs_shortfall;
mod paired_difference;
mod probability_bars;
mod quantile_ladder;
pub(crate) mod sweep;
pub(crate) mod theme;
mod tornado;

pub(crate) use comparison::{write_comparison_charts, ComparisonCharts};

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::atomic::write_atomic;
use crate::stats::summary::{CellSummary, FanSeries, Summary};

/// What the source line under every chart says about the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartMeta {
    /// The scenario's name (or the comparison's, e.g. `a vs b`).
    pub scenario: String,
    /// Paths simulated.
    pub paths: u64,
    /// Master seed of the run.
    pub seed: u64,
    /// The data the scenario rests on, as its first source names it (see [`data_vintage`]);
    /// `None` when the scenario lists no sources.
    pub data: Option<String>,
}

/// The data vintage a chart's source line names: the scenario's first source up to its first
/// comma, colon or semicolon ("USGS Mineral Commodity Summaries 2026 (Feb 2026)"), at most 90
/// characters; `None` without sources.
pub fn data_vintage(sources: &[String]) -> Option<String> {
    let first = sources.first()?.trim();
    let cut = first.find([',', ';', ':']).unwrap_or(first.len());
    let head = first[..cut].trim();
    if head.is_empty() {
        return None;
    }
    if head.chars().count() > 90 {
        let mut t: String = head.chars().take(89).collect();
        t.push('…');
        return Some(t);
    }
    Some(head.to_string())
}

/// How many materials a small-multiple fan chart shows.
const FAN_PANELS: usize = 4;

/// One chart: a file name and a drawing routine that works on any plotters backend.
trait Chart {
    /// File name without extension, unique within the run.
    fn stem(&self) -> String;
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Writes every chart as PNG and SVG into `out_dir/charts/` and returns the files written,
/// headline bloc first.
pub fn write_charts(summary: &Summary, meta: &ChartMeta, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Writer::new(out_dir, meta)?;

    let blocs = bloc_order(summary);
    let headline = blocs.first().cloned();

    for bloc in &blocs {
        let cells = cells_of(summary, bloc);
        out.emit(&probability_bars::ProbabilityBars::new(
            summary, bloc, &cells,
        ))?;
        // The headline bloc's import gap beside its consumption shortfall (absent for a
        // summary written before the import gap was recorded).
        if Some(bloc) == headline.as_ref() {
            if let Some(chart) = gap_vs_shortfall::GapVsShortfall::new(summary, bloc, &cells) {
                out.emit(&chart)?;
            }
        }
    }
    for bloc in &blocs {
        let cells = cells_of(summary, bloc);
        out.emit(&exceedance::Exceedance::new(
            &summary.thresholds,
            bloc,
            &cells,
        ))?;
    }
    if let Some(bloc) = &headline {
        let cells = cells_of(summary, bloc);
        let series = fans_of(summary, "shortfall_share", Some(bloc));
        out.emit(&fan::Fan::shortfall(bloc, series, &summary.month_labels))?;
        out.emit(&distribution::Distribution::new(bloc, &cells))?;
        if let Some(chart) = attribution::TailChart::new(&summary.tail_attribution, bloc) {
            out.emit(&chart)?;
        }
        if let Some(chart) = convergence::ConvergenceChart::new(summary.convergence.as_ref()) {
            out.emit(&chart)?;
        }
        for cell in &cells {
            out.emit(&quantile_ladder::QuantileLadder::new(cell))?;
        }
    }
    // Stockpile drawdown only exists for blocs that hold stocks; chart each that does.
    for bloc in &blocs {
        let series = fans_of(summary, "stock_drawdown_share", Some(bloc));
        if !series.is_empty() {
            out.emit(&fan::Fan::drawdown(bloc, series, &summary.month_labels))?;
        }
    }
    let prices = fans_of(summary, "price_ratio", None);
    if !prices.is_empty() {
        out.emit(&fan::Fan::price(prices, &summary.month_labels))?;
    }
    Ok(out.written)
}

/// Writes one sweep chart (PNG and SVG) into `out_dir/charts/`; returns the files written.
pub(crate) fn write_sweep_chart(
    chart: &sweep::SweepChart,
    meta: &ChartMeta,
    out_dir: &Path,
) -> Result<Vec<PathBuf>> {
    let mut out = Writer::new(out_dir, meta)?;
    out.emit(chart)?;
    Ok(out.written)
}

/// Writes the tornado chart of a sensitivity analysis as `out_dir/charts/tornado.png` and
/// `out_dir/charts/tornado.svg` (like every other chart) and returns the two files.
pub fn write_tornado(
    s: &crate::experiment::sensitivity::Sensitivity,
    meta: &ChartMeta,
    out_dir: &Path,
) -> Result<Vec<PathBuf>> {
    let mut out = Writer::new(out_dir, meta)?;
    out.emit(&tornado::Tornado::new(s))?;
    Ok(out.written)
}

/// Headline bloc first, the others in the order the scenario gave them.
fn bloc_order(summary: &Summary) -> Vec<String> {
    let mut blocs: Vec<String> = summary.blocs.iter().map(|b| b.bloc.clone()).collect();
    for cell in &summary.cells {
        if !blocs.contains(&cell.bloc) {
            blocs.push(cell.bloc.clone());
        }
    }
    if let Some(i) = crate::stats::headline_bloc(blocs.iter().map(String::as_str)) {
        let eu = blocs.remove(i);
        blocs.insert(0, eu);
    }
    blocs
}

fn cells_of<'a>(summary: &'a Summary, bloc: &str) -> Vec<&'a CellSummary> {
    summary.cells.iter().filter(|c| c.bloc == bloc).collect()
}

fn fans_of<'a>(summary: &'a Summary, series: &str, bloc: Option<&str>) -> Vec<&'a FanSeries> {
    summary
        .timeseries
        .iter()
        .filter(|s| s.series == series && s.bloc.as_deref() == bloc)
        .collect()
}

struct Writer<'a> {
    dir: PathBuf,
    meta: &'a ChartMeta,
    written: Vec<PathBuf>,
    stems: HashSet<String>,
}

impl<'a> Writer<'a> {
    /// Writes into `out_dir/charts/`, creating it; registers the bundled font first.
    fn new(out_dir: &Path, meta: &'a ChartMeta) -> Result<Self> {
        theme::register_fonts()?;
        let dir = out_dir.join("charts");
        fs::create_dir_all(&dir).with_context(|| format!("creating folder {}", dir.display()))?;
        Ok(Writer {
            dir,
            meta,
            written: Vec::new(),
            stems: HashSet::new(),
        })
    }

    fn emit<C: Chart>(&mut self, chart: &C) -> Result<()> {
        // Two names that slug alike ("EU", "eu") must not overwrite each other.
        let base = chart.stem();
        let mut stem = base.clone();
        let mut k = 2;
        while !self.stems.insert(stem.clone()) {
            stem = format!("{base}-{k}");
            k += 1;
        }

        let png = self.dir.join(format!("{stem}.png"));
        render_png(&png, |root| chart.draw(root, self.meta))
            .with_context(|| format!("drawing {}", png.display()))?;
        self.written.push(png);

        let svg = self.dir.join(format!("{stem}.svg"));
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, (theme::WIDTH, theme::HEIGHT))
                .into_drawing_area();
            chart
                .draw(&root, self.meta)
                .with_context(|| format!("drawing {}", svg.display()))?;
            root.present()?;
        }
        write_atomic(&svg, text.as_bytes())?;
        self.written.push(svg);
        Ok(())
    }
}

/// plotters encodes PNG only to a path (choosing the format by extension), so render to a
/// hidden `.png` beside the target, flush it, and rename it into place: a reader never sees a
/// half-written chart.
fn render_png(
    path: &Path,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}.png", std::process::id()));
    let result = (|| -> Result<()> {
        {
            let root = BitMapBackend::new(&tmp, (theme::WIDTH, theme::HEIGHT)).into_drawing_area();
            draw(&root)?;
            root.present()?;
        }
        fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("flushing {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("moving {} into place", path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
