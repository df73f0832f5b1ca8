//! Convergence: the headline probability and its 95% interval against the number of paths run,
//! chunk by chunk, so a reader can see that the estimate has settled.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::theme::{self, BLUE, MUTED};
use super::{Chart, ChartMeta};
use crate::report::format::pct;
use crate::stats::convergence::Convergence;

pub(super) struct ConvergenceChart<'a> {
    c: &'a Convergence,
}

impl<'a> ConvergenceChart<'a> {
    /// None for a run with fewer than two chunks (nothing to follow) or without the series.
    pub(super) fn new(c: Option<&'a Convergence>) -> Option<Self> {
        c.filter(|c| c.points.len() >= 2)
            .map(|c| ConvergenceChart { c })
    }
}

impl Chart for ConvergenceChart<'_> {
    fn stem(&self) -> String {
        "convergence".to_string()
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        let last = c.points[c.points.len() - 1];
        let title = format!(
            "{}: P(some material's worst year > {}) as paths accumulate",
            c.bloc,
            theme::pct_tick(c.threshold, 1.0)
        );
        let subtitle = vec![
            format!(
                "Estimate after each chunk of paths, with its 95% Wilson interval (Monte Carlo error only). Final: {} [{} – {}] over {} paths.",
                pct(last.p),
                pct(last.low),
                pct(last.high),
                theme::thousands(last.paths)
            ),
            "The dashed line is the final estimate: once the line stays inside the band around it, more paths only narrow the interval.".to_string(),
        ];
        let area = theme::frame(root, &title, &subtitle, meta)?;
        let x_max = last.paths as f64;
        // Zoomed on the band (a 0–100% axis would flatten it), with room below for the legend.
        let lo = c.points.iter().map(|p| p.low).fold(1.0f64, f64::min);
        let hi = c.points.iter().map(|p| p.high).fold(0.0f64, f64::max);
        let span = (hi - lo).max(1e-4);
        let (y_min, y_max) = ((lo - 0.6 * span).max(0.0), (hi + 0.15 * span).min(1.0));
        let y_fmt = |v: &f64| theme::pct_tick(*v, y_max - y_min);
        let x_fmt = |v: &f64| theme::thousands(v.round().max(0.0) as u64);
        let mut chart =
            theme::plot(&area, 36, 100).build_cartesian_2d(0.0..x_max * 1.02, y_min..y_max)?;
        theme::mesh(&mut chart)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("paths simulated")
            .y_desc("probability, % of paths (axis zoomed on the interval)")
            .draw()?;
        let mut band: Vec<(f64, f64)> = c.points.iter().map(|p| (p.paths as f64, p.high)).collect();
        band.extend(c.points.iter().rev().map(|p| (p.paths as f64, p.low)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled())))?
            .label("95% confidence interval")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 9), (x + 30, y + 9)], BLUE.mix(0.18).filled())
            });
        chart
            .draw_series(LineSeries::new(
                c.points.iter().map(|p| (p.paths as f64, p.p)),
                BLUE.stroke_width(4),
            ))?
            .label("estimate")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], BLUE.stroke_width(4)));
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, last.p), (x_max * 1.02, last.p)],
                10,
                8,
                MUTED.stroke_width(2),
            ))?
            .label("final estimate")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], MUTED.stroke_width(2)));
        theme::legend(&mut chart, SeriesLabelPosition::LowerRight, 42)
            .background_style(WHITE.mix(0.9))
            .draw()?;
        Ok(())
    }
}
