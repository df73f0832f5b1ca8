//! For one bloc: per material, the chance that the worst year's **import gap** exceeds 10% of
//! demand next to the chance that its **consumption shortfall** does. The first is what customs
//! statistics would show; the second is what is left after rerouting, substitution, commercial
//! inventories and strategic stockpiles. The distance between the two bars is what the buffers
//! absorb, so a reader cannot mistake one quantity for the other.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BLUE, INK, ORANGE};
use super::{Chart, ChartMeta};
use crate::report::format::pct;
use crate::stats::estimate::ProbabilityEstimate;
use crate::stats::summary::{CellSummary, Summary};

/// The threshold of the headline question.
const WANTED_THRESHOLD: f64 = 0.10;
/// Rows that fit a 1600×900 slide with two readable bars each.
const MAX_ROWS: usize = 12;

/// Which of a row's two estimates a bar shows.
type Pick = fn(&Row) -> ProbabilityEstimate;

struct Row<'a> {
    material: &'a str,
    gap: ProbabilityEstimate,
    short: ProbabilityEstimate,
}

pub(super) struct GapVsShortfall<'a> {
    bloc: &'a str,
    threshold: f64,
    /// Most likely import gap first.
    rows: Vec<Row<'a>>,
    /// Materials with neither quantity over the threshold in any path: counted in the
    /// subtitle, not drawn.
    neither: usize,
    /// Materials beyond `MAX_ROWS`: counted in the subtitle, not drawn.
    beyond: usize,
    paths: u64,
}

impl<'a> GapVsShortfall<'a> {
    /// None when the summary holds no import gap (one written before it was recorded) or not
    /// the threshold.
    pub(super) fn new(summary: &Summary, bloc: &'a str, cells: &[&'a CellSummary]) -> Option<Self> {
        let k = summary
            .thresholds
            .iter()
            .position(|t| (t - WANTED_THRESHOLD).abs() < 1e-9)?;
        let mut rows = Vec::new();
        for c in cells {
            let gap = *c.import_gap.as_ref()?.probability_over_threshold.get(k)?;
            let short = *c.probability_over_threshold.get(k)?;
            rows.push(Row {
                material: &c.material,
                gap,
                short,
            });
        }
        let total = rows.len();
        rows.retain(|r| r.gap.p > 0.0 || r.short.p > 0.0);
        let neither = total - rows.len();
        let beyond = rows.len().saturating_sub(MAX_ROWS);
        rows.sort_by(|a, b| {
            b.gap
                .p
                .total_cmp(&a.gap.p)
                .then(b.short.p.total_cmp(&a.short.p))
                .then(a.material.cmp(b.material))
        });
        rows.truncate(MAX_ROWS);
        Some(GapVsShortfall {
            bloc,
            threshold: summary.thresholds[k],
            neither,
            beyond,
            rows,
            paths: summary.paths,
        })
    }
}

impl Chart for GapVsShortfall<'_> {
    fn stem(&self) -> String {
        format!("import-gap-vs-shortfall-{}", theme::slug(self.bloc))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let t = theme::pct_tick(self.threshold, 1.0);
        let title = format!(
            "{}: import gap vs consumption shortfall, worst year > {t}",
            self.bloc
        );
        let mut subtitle = vec![
            "Import gap: what failed to arrive from disrupted suppliers. Consumption shortfall: demand still unmet after rerouting, substitution, inventories and stockpiles. The distance between the bars is what those buffers absorb.".to_string(),
            format!(
                "Share of the {} paths whose worst year exceeds {t} of that year's demand · whisker: 95% CI (Wilson score).",
                theme::thousands(self.paths)
            ),
        ];
        if self.neither > 0 {
            subtitle[1].push_str(&format!(
                " Not shown: {} materials with neither above {t} in any path.",
                self.neither
            ));
        }
        if self.beyond > 0 {
            subtitle[1].push_str(&format!(
                " {} further materials are beyond the first {MAX_ROWS}.",
                self.beyond
            ));
        }
        let area = theme::frame(root, &title, &subtitle, meta)?;
        if self.rows.is_empty() {
            theme::note(
                &area,
                &[
                    format!("No import gap and no consumption shortfall above {t} in any path"),
                    format!(
                        "{} lost less than {t} of a year's demand of every material",
                        self.bloc
                    ),
                ],
            )?;
            return Ok(());
        }

        let n = self.rows.len();
        let max_high = self
            .rows
            .iter()
            .map(|r| r.gap.ci95.high.max(r.short.ci95.high))
            .fold(0.0, f64::max);
        let x_max = theme::nice_ceiling(max_high * 1.25)
            .min(1.0)
            .max(max_high * 1.02);
        // Row i (0 = top) sits at y = n − 1 − i; the import gap bar above, the shortfall below.
        let y_of = |i: usize| (n - 1 - i) as f64;
        let names: Vec<&str> = self.rows.iter().map(|r| r.material).collect();
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
            .x_desc(format!("P(worst-year share > {t} of demand), % of paths"))
            .draw()?;

        let half = 0.17;
        let series: [(&str, RGBColor, f64, Pick); 2] = [
            ("import gap (before buffers)", ORANGE, 0.2, |r| r.gap),
            ("consumption shortfall (after buffers)", BLUE, -0.2, |r| {
                r.short
            }),
        ];
        let value_style = theme::text(size::VALUE, INK).pos(Pos::new(HPos::Left, VPos::Center));
        for (label, colour, offset, pick) in series {
            chart
                .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                    let y = y_of(i) + offset;
                    Rectangle::new([(0.0, y - half), (pick(r).p, y + half)], colour.filled())
                }))?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 9), (x + 26, y + 9)], colour.filled())
                });
            let cap = half * 0.6;
            chart.draw_series(self.rows.iter().enumerate().flat_map(|(i, r)| {
                let (y, e) = (y_of(i) + offset, pick(r));
                let (lo, hi) = (e.ci95.low, e.ci95.high);
                [
                    vec![(lo, y), (hi, y)],
                    vec![(lo, y - cap), (lo, y + cap)],
                    vec![(hi, y - cap), (hi, y + cap)],
                ]
                .map(|pts| PathElement::new(pts, INK.stroke_width(2)))
            }))?;
            chart.draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                let e = pick(r);
                let text = if e.p == 0.0 {
                    "in no path".to_string()
                } else {
                    pct(e.p)
                };
                EmptyElement::at((e.ci95.high.max(e.p), y_of(i) + offset))
                    + Text::new(text, (8, 1), value_style.clone())
            }))?;
        }
        theme::legend(&mut chart, SeriesLabelPosition::LowerRight, 42)
            .background_style(WHITE.mix(0.9))
            .draw()?;
        Ok(())
    }
}
