//! Per material of the headline bloc: the worst-year consumption shortfall at P50, P90, P95, P99 and
//! P99.9 as bars with their 95% confidence intervals, tonnes under each, and reference lines for
//! the mean and CVaR95. Answers "how many tonnes are lost in a bad (P95) case?".

use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, Ticked, BLUE, INK, MUTED, VERMILLION};
use super::{Chart, ChartMeta};
use crate::report::format::{pct, tonnes};
use crate::stats::estimate::DistributionEstimate;
use crate::stats::summary::CellSummary;

const LEVELS: [(f64, &str); 5] = [
    (0.5, "P50 · median"),
    (0.9, "P90 · 1 in 10"),
    (0.95, "P95 · 1 in 20"),
    (0.99, "P99 · 1 in 100"),
    (0.999, "P99.9 · 1 in 1,000"),
];

pub(super) struct QuantileLadder<'a> {
    cell: &'a CellSummary,
}

impl<'a> QuantileLadder<'a> {
    pub(super) fn new(cell: &'a CellSummary) -> Self {
        QuantileLadder { cell }
    }
}

struct Bar {
    label: &'static str,
    share: f64,
    low: f64,
    high: f64,
    tonnes: Option<f64>,
}

/// The plot: x is the quantile's slot (0 = P50), y the share of the year's demand.
type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked<RangedCoordf64>, RangedCoordf64>>;

impl QuantileLadder<'_> {
    /// One bar per level the summary holds, with its interval and the same quantile in tonnes.
    fn bars(&self) -> Vec<Bar> {
        let c = self.cell;
        let d = &c.worst_year_shortfall_share;
        LEVELS
            .iter()
            .filter_map(|&(q, label)| {
                let e = d.quantile(q)?;
                Some(Bar {
                    label,
                    share: e.value,
                    low: e.ci95.low,
                    high: e.ci95.high,
                    tonnes: c.worst_year_shortfall_t.quantile(q).map(|t| t.value),
                })
            })
            .collect()
    }
}

/// The bars and their 95% whiskers, each with its legend entry.
fn draw_bars<'a, DB: DrawingBackend + 'a>(chart: &mut Plot<'a, DB>, bars: &[Bar]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let half = 0.3;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let x = i as f64;
            Rectangle::new([(x - half, 0.0), (x + half, b.share)], BLUE.filled())
        }))?
        .label("quantile")
        .legend(|(x, y)| Rectangle::new([(x, y - 10), (x + 30, y + 10)], BLUE.filled()));
    let cap = 0.08;
    chart
        .draw_series(bars.iter().enumerate().flat_map(|(i, b)| {
            let x = i as f64;
            // Separate strokes: a wide polyline that doubles back is drawn ragged.
            [
                vec![(x, b.low), (x, b.high)],
                vec![(x - cap, b.low), (x + cap, b.low)],
                vec![(x - cap, b.high), (x + cap, b.high)],
            ]
            .map(|pts| PathElement::new(pts, INK.stroke_width(2)))
        }))?
        .label("95% confidence interval")
        .legend(|(x, y)| {
            EmptyElement::at((x + 15, y))
                + PathElement::new(vec![(0, -10), (0, 10)], INK.stroke_width(2))
                + PathElement::new(vec![(-6, -10), (6, -10)], INK.stroke_width(2))
                + PathElement::new(vec![(-6, 10), (6, 10)], INK.stroke_width(2))
        });
    Ok(())
}

/// Dashed lines across the chart at the mean and at CVaR95, each with its legend entry.
fn draw_reference_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plot<'a, DB>,
    d: &DistributionEstimate,
    n: usize,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let x_end = n as f64 - 0.5;
    for (value, label, colour) in [
        (d.mean, format!("mean {}", pct(d.mean)), INK),
        (
            d.cvar95.value,
            format!("CVaR95 {}", pct(d.cvar95.value)),
            VERMILLION,
        ),
    ] {
        if !value.is_finite() {
            continue;
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(-0.5, value), (x_end, value)],
                14,
                7,
                colour.stroke_width(3),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (12, 0)], colour.stroke_width(3))
                    + PathElement::new(vec![(18, 0), (30, 0)], colour.stroke_width(3))
            });
    }
    Ok(())
}

/// Above each bar its share and its tonnes, on a white patch so a reference line passing
/// behind stays readable. `area` measures the text.
fn draw_value_labels<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    area: &DrawingArea<DB, Shift>,
    bars: &[Bar],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let share_style = theme::bold(size::VALUE + 2.0, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
    let tonne_style = theme::text(size::VALUE, MUTED).pos(Pos::new(HPos::Center, VPos::Bottom));
    let mut labels = Vec::with_capacity(bars.len());
    for (i, b) in bars.iter().enumerate() {
        let share = pct(b.share);
        let tonnes_label = b
            .tonnes
            .map_or(String::new(), |t| format!("{} t", tonnes(t)));
        let (w1, _) = area.estimate_text_size(&share, &share_style)?;
        let (w2, _) = area.estimate_text_size(&tonnes_label, &tonne_style)?;
        let half_w = w1.max(w2) as i32 / 2 + 6;
        labels.push(
            EmptyElement::at((i as f64, b.high.max(b.share)))
                + Rectangle::new([(-half_w, -58), (half_w, -6)], WHITE.filled())
                + Text::new(share, (0, -32), share_style.clone())
                + Text::new(tonnes_label, (0, -8), tonne_style.clone()),
        );
    }
    chart.draw_series(labels)?;
    Ok(())
}

impl Chart for QuantileLadder<'_> {
    fn stem(&self) -> String {
        format!(
            "distribution-{}-{}",
            theme::slug(&self.cell.bloc),
            theme::slug(&self.cell.material)
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
        let c = self.cell;
        let d = &c.worst_year_shortfall_share;
        let bars = self.bars();

        let title = format!("{} · {}: how bad is the worst year?", c.bloc, c.material);
        let subtitle = vec![
            "Worst-year consumption shortfall (demand not met after all buffers) as a share of that year's demand: quantiles across paths (95% CI), mean, and CVaR95 = mean of the worst 5% of paths."
                .to_string(),
            format!(
                "Tonnes: the same quantile of the worst-year consumption shortfall in tonnes ({}).",
                c.unit
            ),
        ];
        let area = theme::frame(root, &title, &subtitle, meta)?;

        let top = bars
            .iter()
            .map(|b| b.high.max(b.share))
            .chain([d.mean, d.cvar95.value])
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        if bars.is_empty() || top == 0.0 {
            theme::note(
                &area,
                &[
                    "No consumption shortfall in any path".to_string(),
                    format!(
                        "{} received its full demand of {} in every path",
                        c.bloc, c.material
                    ),
                ],
            )?;
            return Ok(());
        }

        let n = bars.len();
        // Headroom above the tallest bar for its two value labels.
        let y_max = theme::nice_ceiling(top * 1.22).min(1.0).max(top * 1.1);
        let x_fmt = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                bars[i as usize].label.to_string()
            } else {
                String::new()
            }
        };
        let y_fmt = |v: &f64| theme::pct_tick(*v, y_max);
        let mut chart = theme::plot(&area, 24, 120).build_cartesian_2d(
            theme::ticked(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
            0.0..y_max,
        )?;
        theme::mesh(&mut chart)
            .disable_x_mesh()
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("quantile of the worst-year consumption shortfall across paths (how rarely it is exceeded)")
            .y_desc("% of that year's demand")
            .draw()?;

        draw_bars(&mut chart, &bars)?;
        draw_reference_lines(&mut chart, d, n)?;
        draw_value_labels(&mut chart, &area, &bars)?;
        theme::legend(&mut chart, SeriesLabelPosition::UpperLeft, 40).draw()?;
        Ok(())
    }
}
