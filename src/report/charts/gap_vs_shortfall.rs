//! For one bloc: per material, the chance that the worst year's **import gap** exceeds 10% of
//! demand next to the chance that its **consumption shortfall** does. The first is what customs
//! statistics would show; the second is what is left after rerouting, substitution, commercial
//! inventories and strategic stockpiles. The distance between the two bars is what the buffers
//! absorb, so a reader cannot mistake one quantity for the other.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BarSeries, BLUE, INK, ORANGE};
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
        let x_desc = format!("P(worst-year share > {t} of demand), % of paths");
        let mut chart = theme::probability_rows(&area, &names, x_max, x_desc)?;

        let half = 0.17;
        let series: [(&str, RGBColor, f64, Pick); 2] = [
            ("import gap (before buffers)", ORANGE, 0.2, |r| r.gap),
            ("consumption shortfall (after buffers)", BLUE, -0.2, |r| {
                r.short
            }),
        ];
        let value_style = theme::text(size::VALUE, INK).pos(Pos::new(HPos::Left, VPos::Center));
        for (label, colour, offset, pick) in series {
            let rows: Vec<(f64, ProbabilityEstimate)> = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| (y_of(i) + offset, pick(r)))
                .collect();
            let bars = BarSeries {
                colour,
                half,
                cap: half * 0.6,
                label,
                whisker_label: None,
            };
            theme::probability_bars(&mut chart, &rows, &bars)?;
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
