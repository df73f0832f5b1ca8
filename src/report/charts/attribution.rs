//! What drives the tail: for the worst 5% of a bloc's paths ("some material"), one row per
//! process, with the share of those paths in which it was active and the share of their
//! shortfall it carried (docs/model.md, "Tail attribution").

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{self, size, BLUE, INK, SKY};
use super::{Chart, ChartMeta};
use crate::report::format::pct;
use crate::stats::tail::TailAttribution;

/// Rows the chart shows (the processes carrying most shortfall).
const ROWS: usize = 8;
/// Longest process name drawn in full on the row axis.
const NAME_CHARS: usize = 28;

pub(super) struct TailChart<'a> {
    attribution: &'a TailAttribution,
}

impl<'a> TailChart<'a> {
    /// The bloc's "some material" attribution, if it has a short path.
    pub(super) fn new(attribution: &'a [TailAttribution], bloc: &str) -> Option<Self> {
        attribution
            .iter()
            .find(|a| a.bloc == bloc && a.material.is_none() && !a.processes.is_empty())
            .map(|attribution| TailChart { attribution })
    }
}

fn short_name(name: &str) -> String {
    if name.chars().count() <= NAME_CHARS {
        name.to_string()
    } else {
        let cut: String = name.chars().take(NAME_CHARS - 1).collect();
        format!("{cut}…")
    }
}

impl Chart for TailChart<'_> {
    fn stem(&self) -> String {
        format!("tail-attribution-{}", theme::slug(&self.attribution.bloc))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let a = self.attribution;
        let title = format!(
            "{}: what drives the worst {} of paths",
            a.bloc,
            theme::pct_tick(a.tail_share, 1.0)
        );
        let subtitle = vec![
            format!(
                "Paths whose worst material's worst-year consumption shortfall exceeds {}. Light bar: share of those paths in which the process cut the bloc's supply.",
                pct(a.threshold_share)
            ),
            format!(
                "Dark bar: share of their shortfall (at base prices) the process carried, each short month split in proportion to the processes' direct cuts. Unattributed: {}.",
                pct(a.unattributed_share)
            ),
        ];
        let area = theme::frame(root, &title, &subtitle, meta)?;
        let rows: Vec<_> = a.processes.iter().take(ROWS).collect();
        let names: Vec<String> = rows.iter().map(|p| short_name(&p.process)).collect();
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let n = rows.len();
        let max = rows
            .iter()
            .map(|p| p.active_share.max(p.shortfall_share))
            .fold(0.0, f64::max);
        // Room right of the longest bar for its label and the legend.
        let x_max = theme::nice_ceiling(max * 1.5).clamp(0.01, 1.0).max(max);
        let name_at = |v: &f64| {
            let j = v.round();
            if (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < n {
                name_refs[n - 1 - j as usize].to_string()
            } else {
                String::new()
            }
        };
        let pct_label = |v: &f64| theme::pct_tick(*v, x_max);
        // As `theme::probability_rows`, with room on the left for process names.
        let mut chart = theme::plot(&area, 12, 340).build_cartesian_2d(
            0.0..x_max,
            theme::ticked(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect()),
        )?;
        theme::mesh(&mut chart)
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&pct_label)
            .y_label_formatter(&name_at)
            .x_desc("share of the tail's paths (light) and of its shortfall (dark), %")
            .draw()?;
        let y_of = |i: usize| (n - 1 - i) as f64;
        let half = 0.18;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, p)| {
                let y = y_of(i) + half;
                Rectangle::new(
                    [(0.0, y - half * 0.9), (p.active_share, y + half * 0.9)],
                    SKY.filled(),
                )
            }))?
            .label("active in the tail's paths")
            .legend(|(x, y)| Rectangle::new([(x, y - 9), (x + 26, y + 9)], SKY.filled()));
        chart
            .draw_series(rows.iter().enumerate().map(|(i, p)| {
                let y = y_of(i) - half;
                Rectangle::new(
                    [(0.0, y - half * 0.9), (p.shortfall_share, y + half * 0.9)],
                    BLUE.filled(),
                )
            }))?
            .label("share of the tail's shortfall carried")
            .legend(|(x, y)| Rectangle::new([(x, y - 9), (x + 26, y + 9)], BLUE.filled()));
        let value_style = theme::text(size::VALUE, INK).pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(rows.iter().enumerate().flat_map(|(i, p)| {
            [
                (p.active_share, y_of(i) + half),
                (p.shortfall_share, y_of(i) - half),
            ]
            .map(|(v, y)| EmptyElement::at((v, y)) + Text::new(pct(v), (8, 0), value_style.clone()))
        }))?;
        theme::legend(&mut chart, SeriesLabelPosition::UpperRight, 42)
            .background_style(WHITE.mix(0.9))
            .draw()?;
        Ok(())
    }
}
