//! The exceedance curve P(worst-year consumption shortfall share > x) on a log probability axis. Tails
//! matter more than means; this shows the whole right tail. Two uses: per bloc, one line per
//! material (`new`, for `run`); per subject, scenario A against scenario B (`overlay`, for
//! `compare`), where the gap between the lines is what the change does to the tail.
//!
//! The Summary stores no curve, only points on it, so the chart plots exactly those points and
//! says so: direct estimates P(> 0) and P(> threshold) (filled), and the quantiles P50…P99.9,
//! each read as P(X > v_q) ≈ 1 − q (hollow). Lines join them; nothing between is estimated.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::theme::{self, INK};
use super::{Chart, ChartMeta};
use crate::stats::estimate::{DistributionEstimate, ProbabilityEstimate};
use crate::stats::metric::{estimates, Subject, SubjectEstimates};
use crate::stats::summary::{CellSummary, Summary};

/// At most this many materials get a line; more would need colours beyond the palette.
const MAX_LINES: usize = 8;

#[derive(Clone, Copy)]
struct Point {
    x: f64,
    p: f64,
    direct: bool,
}

struct Curve {
    label: String,
    points: Vec<Point>,
    /// Ranking key: how far out the tail reaches.
    reach: f64,
    colour: RGBColor,
    /// Dashed, so two curves that coincide both stay visible (and tell apart in greyscale).
    dashed: bool,
}

pub(super) struct Exceedance {
    stem: String,
    title: String,
    curves: Vec<Curve>,
    /// Appended to the subtitle (which curves are shown, when not all).
    remark: Option<String>,
    /// What the note says when no curve has a point to plot.
    nothing: [String; 2],
    thresholds: Vec<f64>,
}

impl Exceedance {
    /// Per bloc, one line per material with some shortfall (the `MAX_LINES` reaching furthest).
    pub(super) fn new(thresholds: &[f64], bloc: &str, cells: &[&CellSummary]) -> Self {
        let thresholds = thresholds.to_vec();
        let mut curves: Vec<Curve> = cells
            .iter()
            .map(|c| {
                curve(
                    &c.material,
                    &c.probability_any_shortfall,
                    &c.probability_over_threshold,
                    &c.worst_year_shortfall_share,
                    &thresholds,
                )
            })
            .filter(|c| c.points.iter().any(|p| p.p > 0.0))
            .collect();
        curves.sort_by(|a, b| {
            b.reach
                .total_cmp(&a.reach)
                .then(prob_at_zero(b).total_cmp(&prob_at_zero(a)))
                .then(a.label.cmp(&b.label))
        });
        let remark = (curves.len() > MAX_LINES).then(|| {
            format!(
                " Showing the {MAX_LINES} of {} materials with the largest P99.",
                cells.len()
            )
        });
        curves.truncate(MAX_LINES);
        for (i, c) in curves.iter_mut().enumerate() {
            c.colour = theme::colour(i);
        }
        Exceedance {
            stem: format!("exceedance-{}", theme::slug(bloc)),
            title: format!("{bloc}: how likely is a worst-year consumption shortfall above x?"),
            curves,
            remark,
            nothing: [
                "No consumption shortfall in any path".to_string(),
                format!("{bloc} was never short of any material"),
            ],
            thresholds,
        }
    }

    /// One subject's curve in scenario A (solid) and in scenario B (dashed), each labelled.
    /// None when the subject is missing from either summary.
    pub(super) fn overlay(
        subject: &Subject,
        a: (&str, &Summary),
        b: (&str, &Summary),
    ) -> Option<Self> {
        let thresholds = a.1.thresholds.clone();
        let side = |(label, summary): (&str, &Summary), colour, dashed| {
            let SubjectEstimates {
                any,
                over,
                worst_year_share,
            } = estimates(summary, subject)?;
            let c = curve(label, any, over, worst_year_share, &thresholds);
            Some(Curve {
                colour,
                dashed,
                ..c
            })
        };
        let (la, lb) = (format!("A: {}", a.0), format!("B: {}", b.0));
        let curves: Vec<Curve> = [
            side((&la, a.1), theme::BLUE, false)?,
            side((&lb, b.1), theme::ORANGE, true)?,
        ]
        .into_iter()
        .filter(|c| !c.points.is_empty())
        .collect();
        let bloc = &subject.bloc;
        let (whom, stem, remark) = match &subject.material {
            Some(m) => (
                format!("{bloc} · {m}"),
                format!("{}-{}", theme::slug(bloc), theme::slug(m)),
                None,
            ),
            None => (
                format!("{bloc}, worst material"),
                theme::slug(bloc),
                Some(format!(
                    " Worst material: on each path, the {bloc} material with the largest worst-year consumption shortfall."
                )),
            ),
        };
        Some(Exceedance {
            stem: format!("compare-exceedance-{stem}"),
            title: format!("{whom}: worst-year consumption shortfall, A and B"),
            curves,
            remark,
            nothing: [
                "No consumption shortfall in any path of either scenario".to_string(),
                format!("{subject}: full demand delivered in A and in B"),
            ],
            thresholds,
        })
    }
}

fn prob_at_zero(c: &Curve) -> f64 {
    c.points.first().map_or(0.0, |p| p.p)
}

fn curve(
    label: &str,
    any: &ProbabilityEstimate,
    over: &[ProbabilityEstimate],
    worst_year_share: &DistributionEstimate,
    thresholds: &[f64],
) -> Curve {
    Curve {
        label: label.to_string(),
        points: points_of(any, over, worst_year_share, thresholds),
        reach: worst_year_share.quantile(0.99).map_or(0.0, |q| q.value),
        colour: INK,
        dashed: false,
    }
}

/// The points of one curve, sorted by x (ties: higher probability first, so a vertical step
/// draws top-down). Zero probabilities cannot sit on a log axis and are dropped; a quantile at
/// zero only says P(X > 0) ≤ 1 − q, which the direct P(X > 0) already pins down.
fn points_of(
    any: &ProbabilityEstimate,
    over: &[ProbabilityEstimate],
    worst_year_share: &DistributionEstimate,
    thresholds: &[f64],
) -> Vec<Point> {
    let mut pts = vec![Point {
        x: 0.0,
        p: any.p,
        direct: true,
    }];
    for (t, e) in thresholds.iter().zip(over) {
        pts.push(Point {
            x: *t,
            p: e.p,
            direct: true,
        });
    }
    for q in &worst_year_share.quantiles {
        if q.value > 0.0 {
            pts.push(Point {
                x: q.value,
                p: 1.0 - q.q,
                direct: false,
            });
        }
    }
    pts.retain(|p| p.p > 0.0 && p.p.is_finite() && p.x.is_finite());
    pts.sort_by(|a, b| a.x.total_cmp(&b.x).then(b.p.total_cmp(&a.p)));
    pts
}

impl Chart for Exceedance {
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
        let thresholds: Vec<String> = self
            .thresholds
            .iter()
            .map(|t| theme::pct_tick(*t, 1.0))
            .collect();
        let mut subtitle = vec![
            format!(
                "Filled points: direct estimates P(share > 0) and P(share > {}). Hollow points: quantiles P50–P99.9, plotted at 1 − q.",
                thresholds.join(", ")
            ),
            "Lines only join the estimated points; the curve between them is not estimated. Consumption shortfall = demand not met after rerouting, substitution, inventories and stockpiles.".to_string(),
        ];
        if let Some(remark) = &self.remark {
            subtitle[1].push_str(remark);
        }
        let area = theme::frame(root, &self.title, &subtitle, meta)?;

        if self.curves.is_empty() {
            theme::note(&area, &self.nothing)?;
            return Ok(());
        }

        let all = || self.curves.iter().flat_map(|c| c.points.iter());
        let x_max = theme::nice_ceiling(all().map(|p| p.x).fold(0.0, f64::max) * 1.04);
        let p_min = all().map(|p| p.p).fold(1.0, f64::min);
        // A little below the smallest point so its marker is not cut by the axis, and a little
        // above 100% for the same reason; ticks only at whole decades inside.
        let y_min = (p_min * 0.6).max(1e-7);
        let y_max = 1.12;
        let low_exp = y_min.log10().ceil() as i32;
        let decades: Vec<f64> = (low_exp..=0).map(|e| 10f64.powi(e)).collect();
        let minor: Vec<f64> = (low_exp - 1..0)
            .flat_map(|e| [2.0, 5.0].map(|m| m * 10f64.powi(e)))
            .filter(|v| *v >= y_min)
            .collect();

        let x_fmt = |v: &f64| theme::pct_tick(*v, x_max);
        let y_fmt = |v: &f64| theme::pct_log_tick(*v);
        let mut chart = theme::plot(&area, 24, 120).build_cartesian_2d(
            0.0..x_max,
            theme::ticked((y_min..y_max).log_scale(), decades).light(minor),
        )?;
        // Faint lines at 2× and 5× each decade, so the log scale reads as one.
        theme::mesh(&mut chart)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .x_labels(10)
            .x_max_light_lines(0)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("x = worst-year consumption shortfall, % of that year's demand")
            .y_desc("P(worst-year consumption shortfall > x), log scale")
            .draw()?;

        for curve in &self.curves {
            let colour = curve.colour;
            let line = curve.points.iter().map(|p| (p.x, p.p));
            let series = if curve.dashed {
                chart.draw_series(DashedLineSeries::new(line, 14, 8, colour.stroke_width(3)))?
            } else {
                chart.draw_series(LineSeries::new(line, colour.stroke_width(3)))?
            };
            // The legend's line in two strokes either side of the marker: touching it for a
            // solid line, apart from it for a dashed one (one element type for both).
            let gap = if curve.dashed { 11 } else { 0 };
            series.label(curve.label.as_str()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (20 - gap, 0)], colour.stroke_width(3))
                    + PathElement::new(vec![(20 + gap, 0), (40, 0)], colour.stroke_width(3))
                    + Circle::new((20, 0), 6, colour.filled())
            });
            // Hollow markers first, so a direct estimate on the same spot stays visible.
            let mut marks = curve.points.clone();
            marks.sort_by_key(|p| p.direct);
            chart.draw_series(marks.iter().map(|p| {
                let fill = if p.direct { colour } else { WHITE };
                EmptyElement::at((p.x, p.p))
                    + Circle::new((0, 0), 7, fill.filled())
                    + Circle::new((0, 0), 7, colour.stroke_width(2))
            }))?;
        }
        // Two legend-only entries that explain the markers.
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("direct estimate")
            .legend(|(x, y)| Circle::new((x + 20, y), 7, INK.filled()));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("from a quantile")
            .legend(|(x, y)| {
                EmptyElement::at((x + 20, y))
                    + Circle::new((0, 0), 7, WHITE.filled())
                    + Circle::new((0, 0), 7, INK.stroke_width(2))
            });
        theme::legend(&mut chart, SeriesLabelPosition::UpperRight, 50).draw()?;
        Ok(())
    }
}
