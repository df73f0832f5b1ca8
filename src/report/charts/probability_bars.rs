//! Per bloc: the probability that a material's worst-year consumption shortfall exceeds 10% of
//! demand,
//! one horizontal bar per material with its 95% confidence interval. The headline question.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BLUE, INK};
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
        let name_at = |v: &f64| {
            let j = v.round();
            if (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < n {
                names[n - 1 - j as usize].to_string()
            } else {
                String::new()
            }
        };
        let pct_label = |v: &f64| theme::pct_tick(*v, x_max);

        let mut chart = ChartBuilder::on(&area)
            .margin_right(12)
            .x_label_area_size(70)
            .y_label_area_size(200)
            .build_cartesian_2d(
                0.0..x_max,
                theme::ticked(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect()),
            )?;
        theme::mesh(&mut chart)
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&pct_label)
            .y_label_formatter(&name_at)
            .x_desc(format!(
                "P(worst-year consumption shortfall > {} of demand), % of paths",
                theme::pct_tick(self.threshold, 1.0)
            ))
            .draw()?;

        let half = if n > 1 { 0.32 } else { 0.2 };
        chart
            .draw_series(self.rows.iter().enumerate().map(|(i, (_, e))| {
                let y = y_of(i);
                Rectangle::new([(0.0, y - half), (e.p, y + half)], BLUE.filled())
            }))?
            .label("estimate")
            .legend(|(x, y)| Rectangle::new([(x, y - 9), (x + 26, y + 9)], BLUE.filled()));
        let cap = half * 0.55;
        // Three separate strokes: plotters draws a wide polyline that doubles back on itself
        // with ragged joints.
        chart
            .draw_series(self.rows.iter().enumerate().flat_map(|(i, (_, e))| {
                let y = y_of(i);
                let (lo, hi) = (e.ci95.low, e.ci95.high);
                [
                    vec![(lo, y), (hi, y)],
                    vec![(lo, y - cap), (lo, y + cap)],
                    vec![(hi, y - cap), (hi, y + cap)],
                ]
                .map(|pts| PathElement::new(pts, INK.stroke_width(2)))
            }))?
            .label("95% confidence interval")
            .legend(|(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (26, 0)], INK.stroke_width(2))
                    + PathElement::new(vec![(0, -8), (0, 8)], INK.stroke_width(2))
                    + PathElement::new(vec![(26, -8), (26, 8)], INK.stroke_width(2))
            });
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
