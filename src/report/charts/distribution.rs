//! Per bloc: one row per material summarising the distribution of the worst-year consumption
//! shortfall
//! share: the P50–P90 box, a line out to P99.9, and markers for the mean, P95 and P99.
//! The Summary keeps quantiles, not samples, so this is a summary plot, not a density.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, INK, MUTED, ORANGE, SKY, VERMILLION};
use super::{Chart, ChartMeta};
use crate::report::format::pct;
use crate::stats::estimate::DistributionEstimate;
use crate::stats::summary::CellSummary;

struct Row<'a> {
    material: &'a str,
    mean: f64,
    p50: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    p999: f64,
}

impl<'a> Row<'a> {
    fn new(material: &'a str, d: &DistributionEstimate) -> Self {
        let q = |q: f64| d.quantile(q).map_or(f64::NAN, |e| e.value);
        Row {
            material,
            mean: d.mean,
            p50: q(0.5),
            p90: q(0.9),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
        }
    }

    fn top(&self) -> f64 {
        [self.mean, self.p99, self.p999]
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    }

    fn is_zero(&self) -> bool {
        self.top() == 0.0
    }
}

pub(super) struct Distribution<'a> {
    bloc: &'a str,
    /// Largest tail first.
    rows: Vec<Row<'a>>,
}

impl<'a> Distribution<'a> {
    pub(super) fn new(bloc: &'a str, cells: &[&'a CellSummary]) -> Self {
        let mut rows: Vec<Row> = cells
            .iter()
            .map(|c| Row::new(&c.material, &c.worst_year_shortfall_share))
            .collect();
        rows.sort_by(|a, b| {
            b.p99
                .total_cmp(&a.p99)
                .then(b.mean.total_cmp(&a.mean))
                .then(a.material.cmp(b.material))
        });
        Distribution { bloc, rows }
    }
}

fn diamond(r: i32) -> Vec<(i32, i32)> {
    vec![(0, -r), (r, 0), (0, r), (-r, 0)]
}

impl Chart for Distribution<'_> {
    fn stem(&self) -> String {
        format!("distribution-{}", theme::slug(self.bloc))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let title = format!(
            "{}: how bad is the worst year, material by material?",
            self.bloc
        );
        let subtitle = vec![
            "Worst-year consumption shortfall (demand not met after all buffers) as a share of that year's demand, across paths: box P50–P90, line to P99.9, markers for mean, P95 and P99."
                .to_string(),
            "Sorted by P99. Only quantiles are stored, so this summarises the distribution rather than drawing its density."
                .to_string(),
        ];
        let area = theme::frame(root, &title, &subtitle, meta)?;
        if self.rows.is_empty() {
            theme::note(
                &area,
                &[format!("No materials are consumed by {}", self.bloc)],
            )?;
            return Ok(());
        }
        if self.rows.iter().all(Row::is_zero) {
            theme::note(
                &area,
                &[
                    "No consumption shortfall in any path".to_string(),
                    format!("{} was never short of any material", self.bloc),
                ],
            )?;
            return Ok(());
        }

        let n = self.rows.len();
        let x_top = self.rows.iter().map(Row::top).fold(0.0, f64::max);
        // Room for the P99 label right of each row.
        let x_max = theme::nice_ceiling(x_top * 1.25).min(1.0).max(x_top * 1.02);
        let y_of = |i: usize| (n - 1 - i) as f64;
        let name_at = |v: &f64| {
            let j = v.round();
            if (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < n {
                self.rows[n - 1 - j as usize].material.to_string()
            } else {
                String::new()
            }
        };
        let x_fmt = |v: &f64| theme::pct_tick(*v, x_max);
        let mut chart = theme::plot(&area, 12, 200).build_cartesian_2d(
            // A sliver left of zero so markers at 0% are not cut by the axis.
            -x_max * 0.008..x_max,
            theme::ticked(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect()),
        )?;
        theme::mesh(&mut chart)
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&name_at)
            .x_desc("worst-year consumption shortfall, % of that year's demand")
            .draw()?;

        let half = 0.26;
        let live = || self.rows.iter().enumerate().filter(|(_, r)| !r.is_zero());
        chart
            .draw_series(live().map(|(i, r)| {
                PathElement::new(
                    vec![(r.p50, y_of(i)), (r.p999, y_of(i))],
                    MUTED.stroke_width(2),
                )
            }))?
            .label("P50 to P99.9")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], MUTED.stroke_width(2)));
        chart.draw_series(live().map(|(i, r)| {
            let y = y_of(i);
            PathElement::new(
                vec![(r.p999, y - half * 0.6), (r.p999, y + half * 0.6)],
                MUTED.stroke_width(2),
            )
        }))?;
        chart
            .draw_series(live().map(|(i, r)| {
                let y = y_of(i);
                Rectangle::new(
                    [(r.p50, y - half), (r.p90.max(r.p50), y + half)],
                    SKY.mix(0.55).filled(),
                )
            }))?
            .label("P50 to P90 (middle of the tail)")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 10), (x + 30, y + 10)], SKY.mix(0.55).filled())
            });
        chart
            .draw_series(live().map(|(i, r)| {
                EmptyElement::at((r.mean, y_of(i))) + Polygon::new(diamond(11), INK.filled())
            }))?
            .label("mean")
            .legend(|(x, y)| {
                EmptyElement::at((x + 15, y)) + Polygon::new(diamond(11), INK.filled())
            });
        chart
            .draw_series(
                live().map(|(i, r)| TriangleMarker::new((r.p95, y_of(i)), 11, ORANGE.filled())),
            )?
            .label("P95 (1 path in 20 is worse)")
            .legend(|(x, y)| TriangleMarker::new((x + 15, y), 11, ORANGE.filled()));
        chart
            .draw_series(
                live().map(|(i, r)| Circle::new((r.p99, y_of(i)), 9, VERMILLION.filled())),
            )?
            .label("P99 (1 path in 100 is worse)")
            .legend(|(x, y)| Circle::new((x + 15, y), 9, VERMILLION.filled()));

        let value_style = theme::text(size::VALUE, INK).pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(self.rows.iter().enumerate().map(|(i, r)| {
            let (x, label) = if r.is_zero() {
                (0.0, "no shortfall in any path".to_string())
            } else {
                let label = if r.p99 > 0.0 {
                    format!("P99 {}", pct(r.p99))
                } else {
                    // Shortfall rarer than 1 path in 100: P99 alone would read as "none".
                    format!("P99 0% · P99.9 {}", pct(r.p999))
                };
                (r.top(), label)
            };
            EmptyElement::at((x, y_of(i))) + Text::new(label, (14, 3), value_style.clone())
        }))?;

        theme::legend(&mut chart, SeriesLabelPosition::LowerRight, 40).draw()?;
        Ok(())
    }
}
