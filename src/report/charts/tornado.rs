//! The tornado chart of `shortfall sensitivity`: one row per disruption process, largest effect
//! on top; a bar for switching the process off and a bar for moving its frequency from the low
//! to the high end of its range, both drawn from the base value line, each end with the 95%
//! interval of its paired difference. Answers "which disruption matters most for this number?".

use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, Ticked, BLUE, INK, SKY, VERMILLION};
use super::{Chart, ChartMeta};
use crate::experiment::sensitivity::{ProcessSensitivity, Sensitivity, VariantEffect};
use crate::report::format::pct;
use crate::report::sensitivity::{metric_phrase, pp, subject_phrase};

/// Rows that fit a 1600×900 slide with readable names; the rest are summed up in the subtitle.
pub(super) const MAX_ROWS: usize = 15;

pub(super) struct Tornado<'a> {
    s: &'a Sensitivity,
    /// Rows drawn: processes that can move the metric, largest swing first.
    rows: Vec<&'a ProcessSensitivity>,
}

impl<'a> Tornado<'a> {
    pub(super) fn new(s: &'a Sensitivity) -> Self {
        let rows = s
            .processes
            .iter()
            .filter(|p| p.reaches_subject)
            .take(MAX_ROWS)
            .collect();
        Tornado { s, rows }
    }

    fn title(&self) -> String {
        format!(
            "What moves {} for {}?",
            metric_phrase(self.s.metric),
            subject_phrase(&self.s.subject)
        )
    }

    /// Two paragraphs, wrapped by `theme::frame`: the method, then what is not drawn.
    fn subtitle(&self) -> Vec<String> {
        let s = self.s;
        let mut lines = vec![format!(
            "Shortfall = consumption shortfall (demand not met after rerouting, substitution, inventories and stockpiles). \
             Dashed line: the base, {} [95% CI {} – {}], every process as in the scenario. Bars: the change on the same {} paths \
             (common random numbers) with one process switched off, or its frequency at the 5th / 95th percentile of its range \
             (half / double if fixed; run for the {} largest switch-off effects). Whiskers: 95% CI of each change (sectioning, {} sections).",
            pct(s.base.value),
            pct(s.base.ci95.low),
            pct(s.base.ci95.high),
            theme::thousands(s.paths),
            s.top,
            s.base.sections
        )];
        let reachable = s.processes.iter().filter(|p| p.reaches_subject).count();
        let hidden = reachable.saturating_sub(self.rows.len());
        let unreachable = s.processes.len() - reachable;
        let mut tail = Vec::new();
        if hidden > 0 {
            let largest = s
                .processes
                .iter()
                .filter(|p| p.reaches_subject)
                .skip(self.rows.len())
                .map(|p| p.swing())
                .fold(0.0, f64::max);
            tail.push(format!(
                "{hidden} smaller processes are not shown (each moves it by at most {} pp)",
                minus(&pp(largest)).trim_start_matches('+')
            ));
        }
        if unreachable > 0 {
            tail.push(format!(
                "{unreachable} processes cannot reach {} and move it by exactly 0",
                subject_phrase(&s.subject)
            ));
        }
        if !tail.is_empty() {
            lines.push(format!("{}; all are in sensitivity.csv.", tail.join("; ")));
        }
        lines
    }

    fn axis_label(&self) -> String {
        let unit = if self.s.metric_is_probability {
            "% of paths"
        } else {
            "% of the year's demand"
        };
        format!(
            "{} for {}, {unit}   ·   labels: change vs base in percentage points (pp)",
            metric_phrase(self.s.metric),
            subject_phrase(&self.s.subject)
        )
    }
}

/// The plot: x is the metric's value, y the row (0 = bottom row).
type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Ticked<RangedCoordf64>>>;

impl Tornado<'_> {
    /// Row i (0 = largest swing) sits at y = n − 1 − i, so the largest is on top.
    fn y_of(&self, i: usize) -> f64 {
        (self.rows.len() - 1 - i) as f64
    }

    /// The x axis: the base and every interval end, with room for the end labels; never below
    /// 0 for a probability or a non-negative base, never above 100% for a probability.
    fn x_range(&self) -> (f64, f64) {
        let base = self.s.base.value;
        let ends = self
            .rows
            .iter()
            .flat_map(|p| p.effects())
            .flat_map(|e| [e.difference.ci95.low, e.difference.ci95.high])
            .filter(|v| v.is_finite())
            .map(|d| base + d);
        let (lo, hi) = ends.fold((base, base), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let pad = 0.16 * (hi - lo).max(1e-4);
        let (mut x_lo, mut x_hi) = (lo - pad, hi + pad);
        if self.s.metric_is_probability || self.s.base.value >= 0.0 {
            x_lo = x_lo.max(0.0);
        }
        if self.s.metric_is_probability {
            x_hi = x_hi.min(1.0);
        }
        (x_lo, x_hi)
    }

    /// Upper half of a row: switched off; lower half: the frequency range.
    fn draw_bars<DB: DrawingBackend>(&self, chart: &mut Plot<'_, DB>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let base = self.s.base.value;
        let (off_band, range_band) = ((0.04, 0.38), (-0.38, -0.04));
        let bar = |e: &VariantEffect, y: f64, band: (f64, f64), colour: RGBColor| {
            Rectangle::new(
                [(base, y + band.0), (base + e.difference.value, y + band.1)],
                colour.filled(),
            )
        };
        let mut bars = Vec::new();
        for (i, p) in self.rows.iter().enumerate() {
            let y = self.y_of(i);
            bars.push(bar(&p.off, y, off_band, BLUE));
            // The longer of low/high first, so a short bar on the same side stays visible.
            let mut range: Vec<(&VariantEffect, RGBColor)> = [(&p.low, SKY), (&p.high, VERMILLION)]
                .into_iter()
                .filter_map(|(e, c)| e.as_ref().map(|e| (e, c)))
                .collect();
            range.sort_by(|a, b| {
                b.0.difference
                    .value
                    .abs()
                    .total_cmp(&a.0.difference.value.abs())
            });
            for (e, c) in range {
                bars.push(bar(e, y, range_band, c));
            }
        }
        chart.draw_series(bars)?;
        Ok(())
    }

    /// Whiskers: the 95% interval of each difference, drawn at the bar's end.
    fn draw_whiskers<DB: DrawingBackend>(&self, chart: &mut Plot<'_, DB>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let base = self.s.base.value;
        let cap = 0.1;
        let whisker = |e: &VariantEffect, yc: f64| {
            let (a, b) = (base + e.difference.ci95.low, base + e.difference.ci95.high);
            [
                vec![(a, yc), (b, yc)],
                vec![(a, yc - cap), (a, yc + cap)],
                vec![(b, yc - cap), (b, yc + cap)],
            ]
            .map(|pts| PathElement::new(pts, INK.stroke_width(2)))
        };
        let mut whiskers = Vec::new();
        for (i, p) in self.rows.iter().enumerate() {
            let y = self.y_of(i);
            whiskers.extend(whisker(&p.off, y + 0.21));
            for e in p.low.iter().chain(p.high.iter()) {
                whiskers.extend(whisker(e, y - 0.21));
            }
        }
        chart.draw_series(whiskers)?;
        Ok(())
    }

    /// Each bar's change in pp just beyond its whisker, on the side the bar points to.
    fn draw_change_labels<DB: DrawingBackend>(&self, chart: &mut Plot<'_, DB>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let base = self.s.base.value;
        let label = |e: &VariantEffect, yc: f64, prefix: &str| {
            let d = e.difference;
            let right = d.value >= 0.0;
            let (x, dx, h) = if right {
                (base + d.ci95.high.max(d.value), 8, HPos::Left)
            } else {
                (base + d.ci95.low.min(d.value), -8, HPos::Right)
            };
            EmptyElement::at((x, yc))
                + Text::new(
                    format!("{prefix}{} pp", minus(&pp(d.value))),
                    (dx, 0),
                    theme::text(size::VALUE * 0.85, INK).pos(Pos::new(h, VPos::Center)),
                )
        };
        let mut labels = Vec::new();
        for (i, p) in self.rows.iter().enumerate() {
            let y = self.y_of(i);
            labels.push(label(&p.off, y + 0.21, ""));
            if let Some(e) = &p.low {
                labels.push(label(e, y - 0.21, "P5 "));
            }
            if let Some(e) = &p.high {
                labels.push(label(e, y - 0.21, "P95 "));
            }
        }
        chart.draw_series(labels)?;
        Ok(())
    }
}

impl Chart for Tornado<'_> {
    fn stem(&self) -> String {
        "tornado".into()
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(root, &self.title(), &self.subtitle(), meta)?;
        let base = self.s.base.value;
        if self.rows.iter().all(|p| p.swing() == 0.0) {
            theme::note(
                &area,
                &[
                    "No process moves this metric".to_string(),
                    format!(
                        "it is {} with or without each one, on every path",
                        pct(base)
                    ),
                ],
            )?;
            return Ok(());
        }

        let (x_lo, x_hi) = self.x_range();
        let span = x_hi - x_lo;
        let n = self.rows.len();
        let names: Vec<&str> = self.rows.iter().map(|p| p.process.as_str()).collect();
        let name_at = |v: &f64| {
            let j = v.round();
            if (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < n {
                names[n - 1 - j as usize].to_string()
            } else {
                String::new()
            }
        };
        let tick_style = theme::text(size::TICK, INK);
        let widest = names
            .iter()
            .map(|s| area.estimate_text_size(s, &tick_style).map(|(w, _)| w))
            .collect::<Result<Vec<u32>, _>>()?
            .into_iter()
            .max()
            .unwrap_or(100);
        let x_fmt = |v: &f64| theme::pct_tick(*v, span);

        // A strip above the plot holds the legend, so it never hides a bar.
        let (legend_area, plot_area) = area.split_vertically(44);
        let mut chart = theme::plot(&plot_area, 16, widest + 24).build_cartesian_2d(
            x_lo..x_hi,
            theme::ticked(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
        )?;
        theme::mesh(&mut chart)
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&name_at)
            .x_desc(self.axis_label())
            .draw()?;

        self.draw_bars(&mut chart)?;
        self.draw_whiskers(&mut chart)?;
        chart.draw_series(DashedLineSeries::new(
            [(base, -0.5), (base, n as f64 - 0.5)],
            10,
            6,
            INK.stroke_width(2),
        ))?;
        self.draw_change_labels(&mut chart)?;

        draw_legend(
            &legend_area,
            widest as i32 + 24,
            &format!("base {}", pct(base)),
        )?;
        Ok(())
    }
}

/// Swatches and words in one line: switched off, low, high, interval, and the base line with
/// its value (a label on the line itself would sit on the top row's bars).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, x0: i32, base: &str) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let style = theme::text(size::LEGEND, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let y = 20;
    let mut x = x0;
    let items: [(&str, Option<RGBColor>); 5] = [
        ("process switched off", Some(BLUE)),
        ("frequency at P5 (low)", Some(SKY)),
        ("frequency at P95 (high)", Some(VERMILLION)),
        ("95% CI", None),
        (base, None),
    ];
    for (i, (text, colour)) in items.iter().enumerate() {
        match (colour, i) {
            (Some(c), _) => {
                area.draw(&Rectangle::new([(x, y - 10), (x + 30, y + 10)], c.filled()))?;
            }
            (None, 3) => {
                for pts in [
                    vec![(x, y), (x + 30, y)],
                    vec![(x, y - 8), (x, y + 8)],
                    vec![(x + 30, y - 8), (x + 30, y + 8)],
                ] {
                    area.draw(&PathElement::new(pts, INK.stroke_width(2)))?;
                }
            }
            _ => {
                for (a, b) in [(y - 11, y - 3), (y + 3, y + 11)] {
                    area.draw(&PathElement::new(
                        vec![(x + 15, a), (x + 15, b)],
                        INK.stroke_width(2),
                    ))?;
                }
            }
        }
        area.draw(&Text::new(text.to_string(), (x + 40, y), style.clone()))?;
        let (w, _) = area.estimate_text_size(text, &style)?;
        x += 40 + w as i32 + 36;
    }
    Ok(())
}

/// A typographic minus for chart labels: "-3.2" reads as a hyphen on a slide.
fn minus(text: &str) -> String {
    text.replace('-', "\u{2212}")
}
