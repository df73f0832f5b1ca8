//! Fan charts over time, as small multiples: when does the shortfall bite, when does a
//! stockpile run dry, when do prices spike. Each panel shows one material's monthly median,
//! middle-50% and middle-90% bands across paths, and the mean; panels share one vertical scale
//! so they can be compared at a glance.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BLUE, INK, MUTED, VERMILLION};
use super::{Chart, ChartMeta, FAN_PANELS};
use crate::stats::summary::FanSeries;

enum Kind<'a> {
    Shortfall(&'a str),
    Drawdown(&'a str),
    Price,
}

pub(super) struct Fan<'a> {
    kind: Kind<'a>,
    /// The panels to draw, most important first.
    panels: Vec<&'a FanSeries>,
    /// How many series there were to choose from.
    available: usize,
    labels: &'a [String],
}

fn mean_of(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The `FAN_PANELS` series ranked highest by `key`, dropping those where `key` is zero
/// (a panel of flat zeros says nothing a note cannot).
fn top(series: Vec<&FanSeries>, key: impl Fn(&FanSeries) -> f64) -> Vec<&FanSeries> {
    let mut ranked: Vec<(f64, &FanSeries)> = series
        .into_iter()
        .map(|s| (key(s), s))
        .filter(|(k, _)| *k > 0.0 && k.is_finite())
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.material.cmp(&b.1.material)));
    ranked
        .into_iter()
        .take(FAN_PANELS)
        .map(|(_, s)| s)
        .collect()
}

impl<'a> Fan<'a> {
    /// Monthly shortfall share for one bloc, the materials with the largest mean shortfall.
    pub(super) fn shortfall(
        bloc: &'a str,
        series: Vec<&'a FanSeries>,
        labels: &'a [String],
    ) -> Self {
        let available = series.len();
        Fan {
            kind: Kind::Shortfall(bloc),
            panels: top(series, |s| mean_of(&s.mean)),
            available,
            labels,
        }
    }

    /// Stockpile drawdown for one bloc, the materials whose stocks are drawn the most.
    pub(super) fn drawdown(
        bloc: &'a str,
        series: Vec<&'a FanSeries>,
        labels: &'a [String],
    ) -> Self {
        let available = series.len();
        Fan {
            kind: Kind::Drawdown(bloc),
            panels: top(series, |s| mean_of(&s.mean)),
            available,
            labels,
        }
    }

    /// Price relative to base, the materials whose price strays furthest from it.
    pub(super) fn price(series: Vec<&'a FanSeries>, labels: &'a [String]) -> Self {
        let available = series.len();
        Fan {
            kind: Kind::Price,
            panels: top(series, |s| {
                s.p95
                    .iter()
                    .chain(&s.p05)
                    .map(|v| (v - 1.0).abs())
                    .fold(0.0, f64::max)
            }),
            available,
            labels,
        }
    }

    fn title(&self) -> String {
        match self.kind {
            Kind::Shortfall(bloc) => format!("{bloc}: monthly consumption shortfall over time"),
            Kind::Drawdown(bloc) => format!("{bloc}: stockpile drawdown over time"),
            Kind::Price => "Prices over time, relative to base".to_string(),
        }
    }

    fn is_price(&self) -> bool {
        matches!(self.kind, Kind::Price)
    }

    fn format_y(&self, v: f64, span: f64) -> String {
        if self.is_price() {
            let decimals = if span >= 2.0 { 1 } else { 2 };
            let s = format!("{v:.decimals$}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            format!("{s}×")
        } else {
            theme::pct_tick(v, span)
        }
    }
}

/// What one panel needs beyond its series: the shared vertical scale, the month ticks and the
/// axis description, and where the panel sits in the grid (only the left column carries the
/// y description, only the bottom row the x one).
struct PanelAxes<'a> {
    y_lo: f64,
    y_hi: f64,
    ticks: &'a [f64],
    y_desc: &'a str,
    left: bool,
    bottom: bool,
}

impl Fan<'_> {
    /// The subtitle lines and the y-axis description for this kind of fan.
    fn subtitle_and_y_desc(&self) -> (Vec<String>, &'static str) {
        let shown = format!("{} of {} materials", self.panels.len(), self.available);
        let (what, which, y_desc) = match self.kind {
            Kind::Shortfall(_) => (
                "Consumption shortfall (demand not met after rerouting, substitution, inventories and stockpiles) each month, as a share of that month's demand.",
                format!("The {shown} with the largest mean consumption shortfall."),
                "% of monthly demand",
            ),
            Kind::Drawdown(_) => (
                "Stockpile drawn down, as a share of its target (0% = full, 100% = empty).",
                format!("The {shown} drawn the most on average."),
                "% of stockpile target",
            ),
            Kind::Price => (
                "Price as a multiple of the base price (1× = calm market).",
                format!("The {shown} whose price moves furthest from base."),
                "× base price",
            ),
        };
        let subtitle = if self.panels.is_empty() {
            vec![what.to_string()]
        } else {
            // Say how the panels were chosen only when some series were left out.
            let which = if self.panels.len() < self.available {
                format!("{which} ")
            } else {
                String::new()
            };
            let same = if self.panels.len() > 1 {
                "Same scale in every panel."
            } else {
                ""
            };
            vec![
                format!("{what} {which}{same}"),
                "Bands and median are percentiles across paths, month by month (not single paths); the mean can sit above P75 when few paths carry the loss."
                    .to_string(),
            ]
        };
        (subtitle, y_desc)
    }

    /// What the note says when there is nothing to draw.
    fn nothing(&self) -> Vec<String> {
        match self.kind {
            Kind::Shortfall(bloc) => vec![
                "No consumption shortfall in any path".to_string(),
                format!("{bloc} received its full demand of every material, every month"),
            ],
            Kind::Drawdown(bloc) => vec![
                "No stockpile was drawn in any path".to_string(),
                format!("{bloc}'s stockpiles stayed at their targets"),
            ],
            Kind::Price => vec!["No price moved from its base in any path".to_string()],
        }
    }

    /// One vertical scale for all panels.
    fn y_range(&self) -> (f64, f64) {
        let values = || {
            self.panels
                .iter()
                .flat_map(|s| s.p95.iter().chain(&s.p05).chain(&s.mean))
                .copied()
                .filter(|v| v.is_finite())
        };
        if self.is_price() {
            let lo = values().fold(1.0, f64::min);
            let hi = values().fold(1.0, f64::max);
            let pad = ((hi - lo) * 0.05).max(0.02);
            ((lo - pad).max(0.0), hi + pad)
        } else {
            // A sliver below zero so a median lying at 0% is drawn whole, not half-clipped.
            let hi = theme::nice_ceiling(values().fold(0.0, f64::max)).min(1.0);
            (-hi * 0.015, hi)
        }
    }

    /// One material's panel: its axes, then the 90% and 50% bands, the median, the mean, and
    /// for prices the 1× line.
    fn draw_panel<DB: DrawingBackend>(
        &self,
        cell: &DrawingArea<DB, Shift>,
        series: &FanSeries,
        axes: &PanelAxes,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (y_lo, y_hi) = (axes.y_lo, axes.y_hi);
        let span = y_hi - y_lo;
        let n = self.labels.len();
        let x_fmt = |v: &f64| {
            let i = v.round();
            if i >= 0.0 && (i as usize) < n {
                self.labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        let y_fmt = |v: &f64| self.format_y(*v, span);
        let mut chart = ChartBuilder::on(cell)
            .margin(10)
            .margin_right(24)
            .caption(series.material.as_str(), theme::bold(size::PANEL, INK))
            .x_label_area_size(if axes.bottom { 62 } else { 34 })
            .y_label_area_size(if axes.left { 110 } else { 80 })
            .build_cartesian_2d(
                theme::ticked(0.0..(n.max(2) - 1) as f64, axes.ticks.to_vec()),
                y_lo..y_hi,
            )?;
        // Small panels: tick and axis text a tenth smaller than on a full-slide chart.
        let mut mesh = theme::mesh(&mut chart);
        mesh.y_labels(5)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(theme::text(size::TICK * 0.9, INK))
            .axis_desc_style(theme::text(size::AXIS_DESC * 0.9, INK));
        if axes.left {
            mesh.y_desc(axes.y_desc);
        }
        if axes.bottom {
            mesh.x_desc("month");
        }
        mesh.draw()?;

        let at = |v: &[f64], t: usize| v.get(t).copied().unwrap_or(0.0).clamp(y_lo, y_hi);
        let band = |lo: &[f64], hi: &[f64]| -> Vec<(f64, f64)> {
            (0..n)
                .map(|t| (t as f64, at(hi, t)))
                .chain((0..n).rev().map(|t| (t as f64, at(lo, t))))
                .collect()
        };
        chart.draw_series(std::iter::once(Polygon::new(
            band(&series.p05, &series.p95),
            BLUE.mix(0.18).filled(),
        )))?;
        chart.draw_series(std::iter::once(Polygon::new(
            band(&series.p25, &series.p75),
            BLUE.mix(0.42).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            (0..n).map(|t| (t as f64, at(&series.p50, t))),
            BLUE.stroke_width(3),
        ))?;
        chart.draw_series(DashedLineSeries::new(
            (0..n).map(|t| (t as f64, at(&series.mean, t))),
            12,
            6,
            VERMILLION.stroke_width(3),
        ))?;
        if self.is_price() {
            chart.draw_series(LineSeries::new(
                [(0.0, 1.0), ((n.max(2) - 1) as f64, 1.0)],
                MUTED.stroke_width(1),
            ))?;
        }
        Ok(())
    }
}

impl Chart for Fan<'_> {
    fn stem(&self) -> String {
        match self.kind {
            Kind::Shortfall(bloc) => format!("fan-shortfall-{}", theme::slug(bloc)),
            Kind::Drawdown(bloc) => format!("fan-stock-drawdown-{}", theme::slug(bloc)),
            Kind::Price => "fan-price-ratio".to_string(),
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (subtitle, y_desc) = self.subtitle_and_y_desc();
        let area = theme::frame(root, &self.title(), &subtitle, meta)?;

        if self.panels.is_empty() || self.labels.is_empty() {
            theme::note(&area, &self.nothing())?;
            return Ok(());
        }

        let (legend, grid) = area.split_vertically(52);
        draw_legend(&legend)?;

        let (y_lo, y_hi) = self.y_range();
        let k = self.panels.len();
        let (rows, cols) = if k <= 2 { (1, k) } else { (2, k.div_ceil(2)) };
        let cells = grid.split_evenly((rows, cols));
        let ticks: Vec<f64> = theme::month_ticks(self.labels)
            .into_iter()
            .map(|i| i as f64)
            .collect();
        for (p, series) in self.panels.iter().enumerate() {
            let axes = PanelAxes {
                y_lo,
                y_hi,
                ticks: &ticks,
                y_desc,
                left: p % cols == 0,
                bottom: p / cols == rows - 1 || p + cols >= k,
            };
            self.draw_panel(&cells[p], series, &axes)?;
        }
        Ok(())
    }
}

/// The key for every panel, drawn once above them.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let style = theme::text(size::LEGEND, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let y = 24;
    let mut x = 130;
    let entries: [(&str, u8); 4] = [
        ("90% of paths (P5–P95)", 0),
        ("50% of paths (P25–P75)", 1),
        ("median (P50)", 2),
        ("mean", 3),
    ];
    for (label, kind) in entries {
        match kind {
            0 | 1 => {
                let alpha = if kind == 0 { 0.18 } else { 0.42 };
                area.draw(&Rectangle::new(
                    [(x, y - 11), (x + 36, y + 11)],
                    BLUE.mix(alpha).filled(),
                ))?;
            }
            2 => area.draw(&PathElement::new(
                vec![(x, y), (x + 36, y)],
                BLUE.stroke_width(3),
            ))?,
            _ => {
                for s in [0, 15, 30] {
                    area.draw(&PathElement::new(
                        vec![(x + s, y), (x + (s + 9).min(36), y)],
                        VERMILLION.stroke_width(3),
                    ))?;
                }
            }
        }
        area.draw(&Text::new(label.to_string(), (x + 46, y), style.clone()))?;
        let (w, _) = area.estimate_text_size(label, &style)?;
        x += 46 + w as i32 + 44;
    }
    Ok(())
}
