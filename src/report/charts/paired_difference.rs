//! Per material of one bloc: the paired difference B − A in two headline metrics (the chance
//! of a worst year above 10% of demand, and the P95 worst-year shortfall), each a point with
//! its 95% sectioning interval beside a zero line. Answers "what does the change do, material
//! by material, and is it more than Monte Carlo noise?".

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BLUE, GRID, INK, MUTED};
use super::{Chart, ChartMeta};
use crate::experiment::comparison::Comparison;
use crate::stats::metric::{Stat, Subject};
use crate::stats::sectioning::SectionedEstimate;

/// The metrics of the two panels.
const PANELS: [(Stat, &str); 2] = [
    (
        Stat::ProbabilityOver(0.10),
        "Chance of worst-year consumption shortfall > 10%",
    ),
    (
        Stat::Quantile(0.95),
        "P95 worst-year consumption shortfall (1 in 20 worse)",
    ),
];
/// Width of the material names left of the first panel, in pixels.
const NAMES_WIDTH: u32 = 230;

pub(super) struct PairedDifference<'a> {
    bloc: &'a str,
    a: &'a str,
    b: &'a str,
    /// Row labels, top to bottom: the bloc as a whole, then its materials.
    names: Vec<String>,
    /// Per panel, per row: the difference, if both runs have the subject.
    values: [Vec<Option<SectionedEstimate>>; 2],
    paths: u64,
    sections: usize,
}

impl<'a> PairedDifference<'a> {
    /// The rows of `bloc` (the bloc as a whole, then `materials` top to bottom) from the paired
    /// comparison of variants labelled `labels` = (A, B). Takes the pieces rather than
    /// `ComparisonCharts`, so this chart does not import the module that lists the charts.
    pub(super) fn new(
        comparison: &'a Comparison,
        labels: (&'a str, &'a str),
        bloc: &'a str,
        materials: &[&str],
    ) -> Self {
        let subjects: Vec<Subject> = std::iter::once(None)
            .chain(materials.iter().map(|m| Some(m.to_string())))
            .map(|material| Subject {
                bloc: bloc.to_string(),
                material,
            })
            .collect();
        let values = PANELS.map(|(stat, _)| {
            subjects
                .iter()
                .map(|s| comparison.row(s, stat).map(|r| r.difference))
                .collect()
        });
        PairedDifference {
            bloc,
            a: labels.0,
            b: labels.1,
            names: subjects
                .iter()
                .map(|s| s.material.clone().unwrap_or("worst material".into()))
                .collect(),
            values,
            paths: comparison.paths,
            sections: comparison.sections,
        }
    }
}

/// A difference in percentage points for a tick: `−2`, `0`, `+2.5`.
fn points_tick(v: f64, span: f64) -> String {
    let t = theme::pct_tick(v, span);
    let t = t.trim_end_matches('%');
    if t == "0" {
        t.to_string()
    } else if let Some(neg) = t.strip_prefix('-') {
        format!("−{neg}")
    } else {
        format!("+{t}")
    }
}

impl Chart for PairedDifference<'_> {
    fn stem(&self) -> String {
        format!("compare-difference-{}", theme::slug(self.bloc))
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
            "{}: what B changes against A, material by material",
            self.bloc
        );
        let subtitle = vec![
            format!(
                "A = {}, B = {}. Top row: on each path, the {} material with the largest worst-year consumption shortfall.",
                self.a, self.b, self.bloc
            ),
            format!(
                "B − A on the same {} paths (common random numbers), with its 95% confidence interval from {} sections. Filled blue: the interval excludes zero, a real change; hollow grey: within Monte Carlo noise. Left of zero: B is safer.",
                theme::thousands(self.paths),
                self.sections
            ),
        ];
        let area = theme::frame(root, &title, &subtitle, meta)?;
        let all = || self.values.iter().flatten().flatten();
        if all().next().is_none() {
            theme::note(
                &area,
                &[format!("{} has no material in both scenarios", self.bloc)],
            )?;
            return Ok(());
        }

        let n = self.names.len();
        let (w, _) = area.dim_in_pixel();
        let panel_w = (w.saturating_sub(NAMES_WIDTH)) / 2;
        let (left, right) = area.split_horizontally(NAMES_WIDTH + panel_w);
        for (k, (panel, (_, caption))) in [left, right].iter().zip(PANELS).enumerate() {
            let values = &self.values[k];
            let finite = values
                .iter()
                .flatten()
                .flat_map(|d| [d.value, d.ci95.low, d.ci95.high])
                .filter(|v| v.is_finite());
            let (lo, hi) = finite.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
            // An all-zero panel still gets an axis one point wide.
            // Room beyond the outermost whisker for its value label, on the side away from zero.
            let (lo, hi) = if hi - lo < 1e-6 {
                (-0.005, 0.005)
            } else {
                let span = hi - lo;
                (
                    lo - span * if lo < 0.0 { 0.16 } else { 0.04 },
                    hi + span * if hi > 0.0 { 0.16 } else { 0.04 },
                )
            };
            let span = hi - lo;
            let names = &self.names;
            let name_at = |v: &f64| {
                let j = v.round();
                if k == 0 && (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < n {
                    names[n - 1 - j as usize].clone()
                } else {
                    String::new()
                }
            };
            let x_fmt = |v: &f64| points_tick(*v, span);
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, theme::bold(size::PANEL, INK))
                .margin_right(28)
                .x_label_area_size(70)
                .y_label_area_size(if k == 0 { NAMES_WIDTH } else { 8 })
                .build_cartesian_2d(
                    lo..hi,
                    theme::ticked(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect()),
                )?;
            theme::mesh(&mut chart)
                .disable_y_mesh()
                .x_labels(7)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&name_at)
                .x_desc("B − A, percentage points")
                .draw()?;
            // The bloc as a whole (top row) is a different kind of subject: set it apart.
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(lo, n as f64 - 1.5), (hi, n as f64 - 1.5)],
                GRID.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.6), (0.0, n as f64 - 0.4)],
                INK.stroke_width(2),
            )))?;
            let rows = values
                .iter()
                .enumerate()
                .filter_map(|(i, d)| Some(((n - 1 - i) as f64, (*d)?)))
                .filter(|(_, d)| d.value.is_finite());
            let cap = 0.18;
            let value_style =
                theme::text(size::VALUE, BLUE).pos(Pos::new(HPos::Center, VPos::Bottom));
            for (y, d) in rows {
                let real = d.excludes_zero();
                let colour = if real { BLUE } else { MUTED };
                let (l, h) = (d.ci95.low, d.ci95.high);
                // An interval hidden behind its marker would only draw a cross over it.
                if l.is_finite() && h.is_finite() && h - l > span * 0.012 {
                    // Separate strokes: a wide polyline that doubles back is drawn ragged.
                    chart.draw_series(
                        [
                            vec![(l, y), (h, y)],
                            vec![(l, y - cap), (l, y + cap)],
                            vec![(h, y - cap), (h, y + cap)],
                        ]
                        .map(|pts| PathElement::new(pts, colour.stroke_width(2))),
                    )?;
                }
                let fill = if real { BLUE } else { WHITE };
                chart.draw_series(std::iter::once(
                    EmptyElement::at((d.value, y))
                        + Circle::new((0, 0), 8, fill.filled())
                        + Circle::new((0, 0), 8, colour.stroke_width(2)),
                ))?;
                // The number of a real change beyond its whisker, away from zero; the table has
                // them all.
                if real {
                    let label = format!("{:+.1}", d.value * 100.0).replace('-', "−");
                    let (x, dx, h_pos) = if d.value < 0.0 {
                        (l.min(d.value), -14, HPos::Right)
                    } else {
                        (h.max(d.value), 14, HPos::Left)
                    };
                    let style = value_style.pos(Pos::new(h_pos, VPos::Center));
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((x, y)) + Text::new(label, (dx, 0), style),
                    ))?;
                }
            }
        }
        Ok(())
    }
}
