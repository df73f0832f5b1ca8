//! Per bloc: the probability that a material's worst-year consumption shortfall exceeds 10% of
//! demand,
//! one horizontal bar per material with its 95% confidence interval. The headline question.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BarSeries, BLUE, INK};
use super::{Chart, ChartMeta};
use crate::report::format::pct;
use crate::stats::estimate::ProbabilityEstimate;
use crate::stats::summary::{CellSummary, Summary};

/// The threshold the brief's first question asks about.
const WANTED_THRESHOLD: f64 = 0.10;

pub(super) struct ProbabilityBars<'a> {
    bloc: &'a str,
    threshold: f64,
    /// Sorted so the most likely material comes first.
    rows: Vec<(&'a str, ProbabilityEstimate)>,
    paths: u64,
}

impl<'a> ProbabilityBars<'a> {
    pub(super) fn new(summary: &Summary, bloc: &'a str, cells: &[&'a CellSummary]) -> Self {
        // The 10% threshold if the run has it, otherwise the nearest one it does have.
        let k = summary
            .thresholds
            .iter()
            .enumerate()
            .min_by(|a, b| {
                (a.1 - WANTED_THRESHOLD)
                    .abs()
                    .total_cmp(&(b.1 - WANTED_THRESHOLD).abs())
            })
            .map(|(k, _)| k);
        let threshold = k.map_or(WANTED_THRESHOLD, |k| summary.thresholds[k]);
        let mut rows: Vec<(&str, ProbabilityEstimate)> = cells
            .iter()
            .filter_map(|c| {
                let e = *c.probability_over_threshold.get(k?)?;
                Some((c.material.as_str(), e))
            })
            .collect();
        rows.sort_by(|a, b| {
            b.1.p
                .total_cmp(&a.1.p)
                .then(b.1.ci95.high.total_cmp(&a.1.ci95.high))
                .then(a.0.cmp(b.0))
        });
        ProbabilityBars {
            bloc,
            threshold,
            rows,
            paths: summary.paths,
        }
    }

    fn title(&self) -> String {
        format!(
            "{}: P(worst-year consumption shortfall > {})",
            self.bloc,
            theme::pct_tick(self.threshold, 1.0)
        )
    }
}

impl Chart for ProbabilityBars<'_> {
    fn stem(&self) -> String {
        format!(
            "p-over-{}pct-{}",
            (self.threshold * 100.0).round(),
            theme::slug(self.bloc)
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let subtitle = vec![
            format!(
                "Share of the {} paths in which the worst calendar year's consumption shortfall exceeds {} of that year's demand.",
                theme::thousands(self.paths),
                theme::pct_tick(self.threshold, 1.0)
            ),
            "Bar: estimate · whisker: 95% confidence interval (Wilson score). Consumption shortfall = demand not met after rerouting, substitution, inventories and stockpiles."
                .to_string(),
        ];
        let area = theme::frame(root, &self.title(), &subtitle, meta)?;

        if self.rows.is_empty() {
            theme::note(
                &area,
                &[format!("No materials are consumed by {}", self.bloc)],
            )?;
            return Ok(());
        }
        if self.rows.iter().all(|(_, e)| e.p == 0.0) {
            let bound = self
                .rows
                .iter()
                .map(|(_, e)| e.ci95.high)
                .fold(0.0, f64::max);
            theme::note(
                &area,
                &[
                    format!(
                        "No consumption shortfall above {} in any path, for any material",
                        theme::pct_tick(self.threshold, 1.0)
                    ),
                    format!(
                        "0 of {} paths; the probability is below {} per material (95% upper bound)",
                        theme::thousands(self.paths),
                        pct(bound)
                    ),
                ],
            )?;
            return Ok(());
        }

        let n = self.rows.len();
        let max_high = self
            .rows
            .iter()
            .map(|(_, e)| e.ci95.high)
            .fold(0.0, f64::max);
        // Room right of the longest whisker for its label.
        let x_max = theme::nice_ceiling(max_high * 1.32)
            .min(1.0)
            .max(max_high * 1.02);
        // Row i (0 = top) sits at y = n − 1 − i, so the most likely material is on top.
        let y_of = |i: usize| (n - 1 - i) as f64;
        let names: Vec<&str> = self.rows.iter().map(|r| r.0).collect();
        let x_desc = format!(
            "P(worst-year consumption shortfall > {} of demand), % of paths",
            theme::pct_tick(self.threshold, 1.0)
        );
        let mut chart = theme::probability_rows(&area, &names, x_max, x_desc)?;

        let half = if n > 1 { 0.32 } else { 0.2 };
        let rows: Vec<(f64, ProbabilityEstimate)> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, (_, e))| (y_of(i), *e))
            .collect();
        let bars = BarSeries {
            colour: BLUE,
            half,
            cap: half * 0.55,
            label: "estimate",
            whisker_label: Some("95% confidence interval"),
        };
        theme::probability_bars(&mut chart, &rows, &bars)?;
        let value_style = theme::text(size::VALUE, INK).pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(self.rows.iter().enumerate().map(|(i, (_, e))| {
            let label = if e.p == 0.0 {
                // "0.0% [0.0% – 0.02%]" reads like a rounding; say what was seen.
                format!("in no path  [95% CI: below {}]", pct(e.ci95.high))
            } else {
                format!("{}  [{} – {}]", pct(e.p), pct(e.ci95.low), pct(e.ci95.high))
            };
            EmptyElement::at((e.ci95.high.max(e.p), y_of(i)))
                + Text::new(label, (10, 3), value_style.clone())
        }))?;

        theme::legend(&mut chart, SeriesLabelPosition::LowerRight, 42)
            .background_style(WHITE.mix(0.9))
            .draw()?;
        Ok(())
    }
}
