//! A metric against a swept parameter: one line per subject (or per value of a second
//! parameter), each with its 95% confidence band, and the goal's bound and answer when one was
//! sought. Points share their random paths, so the lines are smooth and their slopes are real.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, Ticked, INK, MUTED};
use super::{Chart, ChartMeta};

/// One line of the chart: (parameter value, estimate, 95% low, 95% high) per point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SweepLine {
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Everything the chart draws, written into sweep.json (and stress-cap's breach chart rebuilt
/// from stress-cap.json) so `shortfall plot` redraws it without the runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SweepChart {
    pub stem: String,
    pub title: String,
    pub subtitle: Vec<String>,
    pub x_label: String,
    /// The parameter is a share (a cap level): ticks as percentages.
    pub x_is_share: bool,
    /// Labels for whole-number x values (months); empty for a numeric axis.
    pub x_labels: Vec<String>,
    pub y_label: String,
    /// The metric is a probability: the axis stops at 100% and the legend sits mid-right.
    pub y_is_probability: bool,
    pub lines: Vec<SweepLine>,
    /// Goal bound (a horizontal line) and the answer (a vertical line), when a goal was sought.
    pub goal_bound: Option<f64>,
    pub goal_answer: Option<f64>,
    /// Reference values on the parameter axis, each a dashed vertical line with its label
    /// (the CRMA's 65% benchmark on a cap sweep).
    pub x_marks: Vec<(f64, String)>,
    /// Parameter values up to which the setting cannot be met (a cap the other suppliers'
    /// capacity cannot fill), shaded with this label.
    pub infeasible_up_to: Option<(f64, String)>,
}

impl Chart for SweepChart {
    fn stem(&self) -> String {
        self.stem.clone()
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(root, &self.title, &self.subtitle, meta)?;
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        if !x_min.is_finite() {
            theme::note(&area, &["No points to draw".to_string()])?;
            return Ok(());
        }
        let (x_min, x_max) = if x_max > x_min {
            (x_min, x_max)
        } else {
            (x_min - 0.5, x_max + 0.5)
        };
        let y_top = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.3))
            .chain(self.goal_bound)
            .fold(0.0f64, f64::max);
        // Headroom above the highest band for the legend in the upper right.
        let y_max = if self.y_is_probability {
            theme::nice_ceiling((y_top * 1.08).max(1e-4)).min(1.0)
        } else {
            theme::nice_ceiling((y_top * 1.45).max(1e-4))
        };
        let pad = (x_max - x_min) * 0.02;
        let x_fmt = |v: &f64| {
            if !self.x_labels.is_empty() {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    self.x_labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            } else if self.x_is_share {
                theme::pct_tick(*v, x_max - x_min)
            } else {
                trim_number(*v)
            }
        };
        let y_fmt = |v: &f64| theme::pct_tick(*v, y_max);

        let x_range = x_min - pad..x_max + pad;
        let x_ticks = if self.x_labels.is_empty() {
            RangedCoordf64::from(x_range.clone()).key_points(11)
        } else {
            // Months: ticks on January (and July or the quarters on short horizons).
            theme::month_ticks(&self.x_labels)
                .into_iter()
                .map(|i| i as f64)
                .collect()
        };
        let mut chart = theme::plot(&area, 24, 100)
            .build_cartesian_2d(theme::ticked(x_range, x_ticks), 0.0..y_max)?;
        theme::mesh(&mut chart)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_label.clone())
            .y_desc(self.y_label.clone())
            .draw()?;

        self.reference_marks(&mut chart, x_min - pad, y_max)?;
        for (i, line) in self.lines.iter().enumerate() {
            let c = theme::colour(i);
            // The band: estimate intervals joined point to point.
            let mut band: Vec<(f64, f64)> = line.points.iter().map(|p| (p.0, p.3)).collect();
            band.extend(line.points.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().map(|p| (p.0, p.1)),
                    c.stroke_width(4),
                ))?
                .label(line.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 30, y)], c.stroke_width(4))
                });
            // Markers show where points were run; on a dense series they only add noise.
            if line.points.len() <= 25 {
                chart.draw_series(
                    line.points
                        .iter()
                        .map(|p| Circle::new((p.0, p.1), 5, c.filled())),
                )?;
            }
        }
        let answer_label = self.goal_answer.map(|a| format!("answer: {}", x_fmt(&a)));
        self.goal_marks(&mut chart, (x_min - pad, x_max + pad), y_max, answer_label)?;
        let position = if self.y_is_probability {
            SeriesLabelPosition::MiddleRight
        } else {
            SeriesLabelPosition::UpperRight
        };
        theme::legend(&mut chart, position, 42)
            .background_style(WHITE.mix(0.9))
            .draw()?;
        Ok(())
    }
}

/// The plot of a sweep chart: a numeric (or month) x axis with chosen ticks, a share on y.
type SweepPlot<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked<RangedCoordf64>, RangedCoordf64>>;

impl SweepChart {
    /// The reference marks drawn under the lines: the shaded levels where the setting cannot
    /// be met (from `x_left`), and each reference value as a dashed vertical line with its label.
    fn reference_marks<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut SweepPlot<'a, DB>,
        x_left: f64,
        y_max: f64,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        if let Some((up_to, label)) = &self.infeasible_up_to {
            let shade = RGBColor(200, 60, 40);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x_left, 0.0), (*up_to, y_max)],
                    shade.mix(0.10).filled(),
                )))?
                .label(label.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 9), (x + 30, y + 9)], shade.mix(0.25).filled())
                });
        }
        for (x, label) in &self.x_marks {
            let dashes = dashed(*x, y_max, 24);
            chart.draw_series(
                dashes
                    .into_iter()
                    .map(|seg| PathElement::new(seg, INK.stroke_width(2))),
            )?;
            chart.draw_series(std::iter::once(Text::new(
                label.clone(),
                (*x, y_max * 0.97),
                theme::text(theme::size::SOURCE, INK).pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
        }
        Ok(())
    }

    /// The goal's bound (a horizontal line across `x_span`) and its answer (a vertical line,
    /// labelled `answer_label` in the legend), drawn over the lines.
    fn goal_marks<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut SweepPlot<'a, DB>,
        x_span: (f64, f64),
        y_max: f64,
        answer_label: Option<String>,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        if let Some(bound) = self.goal_bound {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x_span.0, bound), (x_span.1, bound)],
                    INK.stroke_width(2),
                )))?
                .label(format!("goal: {}", theme::pct_tick(bound, y_max)))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], INK.stroke_width(2)));
        }
        if let (Some(answer), Some(label)) = (self.goal_answer, answer_label) {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(answer, 0.0), (answer, y_max)],
                    MUTED.stroke_width(2),
                )))?
                .label(label)
                .legend(|(x, y)| {
                    PathElement::new(
                        vec![(x + 15, y - 10), (x + 15, y + 10)],
                        MUTED.stroke_width(2),
                    )
                });
        }
        Ok(())
    }
}

/// A vertical dashed line at `x` from 0 to `top` as `n` dashes (plotters has no dashed path).
fn dashed(x: f64, top: f64, n: usize) -> Vec<Vec<(f64, f64)>> {
    let step = top / (2 * n) as f64;
    (0..n)
        .map(|k| {
            let y0 = 2.0 * k as f64 * step;
            vec![(x, y0), (x, y0 + step)]
        })
        .collect()
}

/// `3.0` → "3", `0.25` → "0.25": parameter ticks without trailing zeros.
fn trim_number(v: f64) -> String {
    let s = format!("{:.3}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
