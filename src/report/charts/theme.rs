//! The look every chart shares, so that a deck of them reads as one: the bundled font, the
//! Okabe–Ito palette, text sizes for a 1600×900 slide, the frame (title, subtitle, source
//! line), the "nothing to plot" note, the mesh and series-legend setup every chart starts from,
//! and the tick-label formatters.

use std::sync::OnceLock;

use anyhow::{ensure, Result};
use plotters::chart::{MeshStyle, SeriesLabelStyle};
use plotters::coord::ranged1d::{AsRangedCoord, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::ChartMeta;
use crate::stats::estimate::ProbabilityEstimate;

/// Slide size; the SVG uses the same canvas so both files show the same layout.
pub(crate) const WIDTH: u32 = 1600;
pub(crate) const HEIGHT: u32 = 900;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`), compiled in so
/// charts never depend on fonts installed on the machine.
static REGULAR: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/DejaVuSans-Bold.ttf");

/// The family name every text style uses; SVG viewers fall back to their own sans-serif.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the bundled font with plotters' ab_glyph text renderer (once per process).
pub(crate) fn register_fonts() -> Result<()> {
    static LOADED: OnceLock<bool> = OnceLock::new();
    let ok = *LOADED.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, REGULAR).is_ok()
            && register_font(FAMILY, FontStyle::Bold, BOLD).is_ok()
    });
    ensure!(ok, "the bundled DejaVu Sans font could not be parsed");
    Ok(())
}

/// Okabe & Ito (2008), "Color Universal Design": distinguishable under the common forms of
/// colour blindness. Ordered so that the pale yellow, weakest on white, comes last.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
pub(crate) const BLUE: RGBColor = PALETTE[0];
pub(crate) const ORANGE: RGBColor = PALETTE[1];
pub(crate) const VERMILLION: RGBColor = PALETTE[3];
pub(crate) const SKY: RGBColor = PALETTE[5];

/// Text and axes: near-black reads softer than pure black on a projector.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Text sizes in pixels at 1600×900.
pub(crate) mod size {
    pub(crate) const TITLE: f64 = 40.0;
    pub(crate) const SUBTITLE: f64 = 23.0;
    pub(crate) const AXIS_DESC: f64 = 25.0;
    pub(crate) const TICK: f64 = 22.0;
    pub(crate) const LEGEND: f64 = 22.0;
    pub(crate) const VALUE: f64 = 20.0;
    pub(crate) const SOURCE: f64 = 19.0;
    pub(crate) const NOTE: f64 = 30.0;
    pub(crate) const PANEL: f64 = 26.0;
}

pub(crate) fn text(size: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        color: colour.to_backend_color(),
        ..TextStyle::from((FAMILY, size).into_font())
    }
}

pub(crate) fn bold(size: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        color: colour.to_backend_color(),
        ..TextStyle::from((FAMILY, size, FontStyle::Bold).into_font())
    }
}

/// An axis whose ticks are exactly the given values (material rows, January of each year,
/// decades of probability). plotters' own `WithKeyPoints` drops the default label formatting
/// for `f64` axes, so `configure_mesh` would refuse it; this wrapper keeps it.
pub(crate) struct Ticked<R: Ranged> {
    inner: R,
    bold: Vec<R::ValueType>,
    light: Vec<R::ValueType>,
}

pub(crate) fn ticked<A: AsRangedCoord>(axis: A, bold: Vec<A::Value>) -> Ticked<A::CoordDescType>
where
    A::CoordDescType: Ranged<ValueType = A::Value>,
{
    Ticked {
        inner: axis.into(),
        bold,
        light: Vec::new(),
    }
}

impl<R: Ranged> Ticked<R> {
    /// Values for the faint grid lines between labelled ticks.
    pub(crate) fn light(mut self, light: Vec<R::ValueType>) -> Self {
        self.light = light;
        self
    }
}

impl<R: Ranged> Ranged for Ticked<R>
where
    R::ValueType: Clone + std::fmt::Debug,
{
    type ValueType = R::ValueType;
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;

    fn map(&self, value: &Self::ValueType, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<Self::ValueType> {
        if hint.max_num_points() == 0 {
            Vec::new()
        } else if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<Self::ValueType> {
        self.inner.range()
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> std::ops::Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

const SIDE: i32 = 36;

/// White canvas, title, subtitle lines and the source line; returns the area left for the plot.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &[String],
    meta: &ChartMeta,
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let top_left = Pos::new(HPos::Left, VPos::Top);
    let (w, h) = root.dim_in_pixel();
    // A long title (a sweep names its metric and parameter in words) is set smaller rather than
    // run off the slide; the same 3% slack as the subtitle's wrap.
    let max_px = (w as i32 - 2 * SIDE) * 97 / 100;
    let mut title_size = size::TITLE;
    while title_size > 26.0 {
        let (tw, _) = root.estimate_text_size(title, &bold(title_size, INK))?;
        if tw as i32 <= max_px {
            break;
        }
        title_size -= 2.0;
    }
    root.draw(&Text::new(
        title.to_string(),
        (SIDE, 22),
        bold(title_size, INK).pos(top_left),
    ))?;
    let style = text(size::SUBTITLE, MUTED).pos(top_left);
    let mut y = 22 + 52;
    // 3% slack: the layout estimate runs a little narrower than the drawn glyphs.
    for line in wrap(root, subtitle, &style, (w as i32 - 2 * SIDE) * 97 / 100)? {
        root.draw(&Text::new(line, (SIDE, y), style.clone()))?;
        y += 31;
    }
    let bottom_left = text(size::SOURCE, MUTED).pos(Pos::new(HPos::Left, VPos::Bottom));
    let [source, run] = source_lines(meta);
    root.draw(&Text::new(
        source,
        (SIDE, h as i32 - 40),
        bottom_left.clone(),
    ))?;
    root.draw(&Text::new(run, (SIDE, h as i32 - 14), bottom_left))?;
    Ok(root.margin(y + 12, 70, SIDE / 2, SIDE))
}

/// Breaks each line at spaces so that none is wider than `max_px`: long material or bloc names
/// must not push a subtitle off the slide.
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
    style: &TextStyle,
    max_px: i32,
) -> Result<Vec<String>>
where
    DB::ErrorType: 'static,
{
    let mut out = Vec::new();
    for line in lines {
        let mut current = String::new();
        for word in line.split(' ') {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            let (cw, _) = area.estimate_text_size(&candidate, style)?;
            if cw as i32 > max_px && !current.is_empty() {
                out.push(std::mem::take(&mut current));
                current = word.to_string();
            } else {
                current = candidate;
            }
        }
        out.push(current);
    }
    Ok(out)
}

/// The two source lines under every chart: what the figure is and rests on ("Source: shortfall
/// model output, not a forecast · scenario eu-2030 · data: USGS …"), then enough to replay the
/// run ("shortfall 0.1.0 · 20,000 paths · seed 42").
pub(crate) fn source_lines(meta: &ChartMeta) -> [String; 2] {
    let data = meta
        .data
        .as_ref()
        .map_or(String::new(), |d| format!(" · data: {d}"));
    [
        format!(
            "Source: shortfall model output, not a forecast · scenario {}{data}",
            meta.scenario
        ),
        format!(
            "shortfall {} · {} paths · seed {}",
            env!("CARGO_PKG_VERSION"),
            thousands(meta.paths),
            meta.seed
        ),
    ]
}

/// Draws a boxed message in the middle of `area`: used instead of an empty axis, which a
/// reader could mistake for a rendering failure.
pub(crate) fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let line_h = 44;
    let box_h = line_h * lines.len() as i32 + 40;
    let box_w = (w - 160).min(1200);
    let (x0, y0) = ((w - box_w) / 2, (h - box_h) / 2);
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + box_w, y0 + box_h)],
        RGBColor(0xF3, 0xF3, 0xF3).filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + box_w, y0 + box_h)],
        GRID.stroke_width(2),
    ))?;
    for (i, line) in lines.iter().enumerate() {
        let style = if i == 0 {
            bold(size::NOTE, INK)
        } else {
            text(size::NOTE * 0.8, MUTED)
        };
        area.draw(&Text::new(
            line.clone(),
            (w / 2, y0 + 20 + line_h * i as i32 + line_h / 2),
            style.pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// The plot every single-panel chart builds inside its frame: the 70 px band for the x tick
/// labels and description every chart shares, `y_labels` px for the y axis's, and `right` px
/// kept free on the right. Setting these only records them, so the chart goes on with
/// `.build_cartesian_2d(..)` exactly as if it had set them itself.
pub(crate) fn plot<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    right: u32,
    y_labels: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_right(right)
        .x_label_area_size(70)
        .y_label_area_size(y_labels);
    builder
}

/// The mesh every chart starts from: bold grid lines in `GRID`, no light ones, muted axes, and
/// tick labels and axis descriptions at the theme's sizes. The chart adds its label counts,
/// formatters and axis descriptions (and overrides a style where it differs) before `draw()`.
/// Setting a mesh option only records it, so the order of the calls changes nothing drawn.
pub(crate) fn mesh<'a, 'b, DB, X, Y, XT, YT>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED)
        .label_style(text(size::TICK, INK))
        .axis_desc_style(text(size::AXIS_DESC, INK));
    mesh
}

/// The series key of a chart whose series carry `.label(..).legend(..)`: a nearly opaque white
/// box with a grid-coloured border, 16 px in from the plot's edge at `position`, labels at the
/// legend size, `swatch` pixels left for each entry's symbol. Call `draw()` on the result (after
/// overriding anything this chart does differently).
pub(crate) fn legend<'a, 'b, DB, CT>(
    chart: &'b mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    swatch: u32,
) -> SeriesLabelStyle<'a, 'b, DB, CT>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    let mut legend = chart.configure_series_labels();
    legend
        .position(position)
        .margin(16)
        .legend_area_size(swatch)
        .label_font(text(size::LEGEND, INK))
        .background_style(WHITE.mix(0.92))
        .border_style(GRID);
    legend
}

/// The plot of a horizontal probability-bar chart: one row per name, the first on top (row i
/// sits at y = n − 1 − i), x a probability from 0 to `x_max` with percentage ticks and the
/// description `x_desc`. The mesh is drawn; the chart draws its rows with `probability_bars`.
pub(crate) fn probability_rows<'a, DB>(
    area: &'a DrawingArea<DB, Shift>,
    names: &[&str],
    x_max: f64,
    x_desc: String,
) -> Result<RowsChart<'a, DB>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let n = names.len();
    let name_at = |v: &f64| {
        let j = v.round();
        if (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < n {
            names[n - 1 - j as usize].to_string()
        } else {
            String::new()
        }
    };
    let pct_label = |v: &f64| pct_tick(*v, x_max);
    let mut chart = plot(area, 12, 200).build_cartesian_2d(
        0.0..x_max,
        ticked(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect()),
    )?;
    mesh(&mut chart)
        .disable_y_mesh()
        .x_labels(8)
        .x_label_formatter(&pct_label)
        .y_label_formatter(&name_at)
        .x_desc(x_desc)
        .draw()?;
    Ok(chart)
}

/// The plot `probability_rows` builds.
pub(crate) type RowsChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Ticked<RangedCoordf64>>>;

/// How `probability_bars` draws one series of bars.
pub(crate) struct BarSeries<'s> {
    pub(crate) colour: RGBColor,
    /// Half a bar's height, in rows.
    pub(crate) half: f64,
    /// Half a whisker's end cap, in rows.
    pub(crate) cap: f64,
    /// The bars' legend entry.
    pub(crate) label: &'s str,
    /// The whiskers' legend entry, if they get one.
    pub(crate) whisker_label: Option<&'s str>,
}

/// One filled bar per `(y, estimate)` from 0 to the estimate, then its 95% confidence interval
/// as a whisker in `INK`. Each whisker is three separate strokes: plotters draws a wide
/// polyline that doubles back on itself with ragged joints.
pub(crate) fn probability_bars<'a, DB>(
    chart: &mut RowsChart<'a, DB>,
    rows: &[(f64, ProbabilityEstimate)],
    series: &BarSeries,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    let (colour, half, cap) = (series.colour, series.half, series.cap);
    chart
        .draw_series(
            rows.iter()
                .map(|&(y, e)| Rectangle::new([(0.0, y - half), (e.p, y + half)], colour.filled())),
        )?
        .label(series.label)
        .legend(move |(x, y)| Rectangle::new([(x, y - 9), (x + 26, y + 9)], colour.filled()));
    let whiskers = chart.draw_series(rows.iter().flat_map(|&(y, e)| {
        let (lo, hi) = (e.ci95.low, e.ci95.high);
        [
            vec![(lo, y), (hi, y)],
            vec![(lo, y - cap), (lo, y + cap)],
            vec![(hi, y - cap), (hi, y + cap)],
        ]
        .map(|pts| PathElement::new(pts, INK.stroke_width(2)))
    }))?;
    if let Some(label) = series.whisker_label {
        whiskers.label(label).legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (26, 0)], INK.stroke_width(2))
                + PathElement::new(vec![(0, -8), (0, 8)], INK.stroke_width(2))
                + PathElement::new(vec![(26, -8), (26, 8)], INK.stroke_width(2))
        });
    }
    Ok(())
}

/// `12345` → `"12,345"`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A percent tick label with as many decimals as the axis span needs, trailing zeros dropped:
/// `0.25` → `"25%"`, `0.0025` on a 1% axis → `"0.25%"`.
pub(crate) fn pct_tick(share: f64, span: f64) -> String {
    let step = (span * 100.0 / 5.0).abs();
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else if step >= 0.01 {
        2
    } else {
        3
    };
    // Never round a tick away: 2.5% on a coarse axis still reads 2.5%.
    let p = share * 100.0;
    let exact = (decimals..=3).find(|&d| {
        let f = 10f64.powi(d as i32);
        ((p * f).round() / f - p).abs() < 1e-9
    });
    trim_pct(p, exact.unwrap_or(3))
}

/// Percent for a probability on a log axis: `0.001` → `"0.1%"`, `0.5` → `"50%"`.
pub(crate) fn pct_log_tick(p: f64) -> String {
    let v = p * 100.0;
    let decimals = if v >= 1.0 {
        0
    } else {
        (-(v.log10().floor()) as usize).min(4)
    };
    trim_pct(v, decimals)
}

fn trim_pct(v: f64, decimals: usize) -> String {
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    format!("{s}%")
}

/// An axis maximum a little above `max`, rounded to 1, 2, 2.5 or 5 × a power of ten so the
/// last tick sits at the end of the axis. Never zero, so an all-zero series still gets an axis.
pub(crate) fn nice_ceiling(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0] {
        if m * magnitude >= max * (1.0 - 1e-9) {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

/// Month indices to label on a time axis: January (every 12 months) on long horizons,
/// January and July on shorter ones; labels that are not `YYYY-MM` fall back to a fixed stride.
pub(crate) fn month_ticks(labels: &[String]) -> Vec<usize> {
    let n = labels.len();
    let months: Option<Vec<u32>> = labels
        .iter()
        .map(|l| {
            let (y, m) = l.split_once('-')?;
            y.parse::<i32>().ok()?;
            m.parse::<u32>().ok().filter(|m| (1..=12).contains(m))
        })
        .collect();
    let every = if n > 36 {
        12
    } else if n > 12 {
        6
    } else {
        3
    };
    match months {
        Some(ms) => {
            let ticks: Vec<usize> = (0..n).filter(|&i| (ms[i] - 1) % every == 0).collect();
            if ticks.len() >= 2 {
                ticks
            } else {
                (0..n).step_by(every.max(1) as usize).collect()
            }
        }
        None => (0..n).step_by(every.max(1) as usize).collect(),
    }
}

/// File-name-safe form of a bloc or material name: `"Rest of world"` → `"rest-of-world"`.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_read_naturally() {
        assert_eq!(pct_tick(0.25, 0.5), "25%");
        assert_eq!(pct_tick(0.025, 0.05), "2.5%");
        assert_eq!(pct_tick(0.0, 0.05), "0%");
        assert_eq!(pct_log_tick(0.001), "0.1%");
        assert_eq!(pct_log_tick(0.0001), "0.01%");
        assert_eq!(pct_log_tick(1.0), "100%");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(slug("Rest of world"), "rest-of-world");
        assert_eq!(slug("EU"), "eu");
        assert_eq!(nice_ceiling(0.327), 0.4);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn month_ticks_fall_on_january() {
        let labels: Vec<String> = (0..60)
            .map(|i| format!("{}-{:02}", 2026 + i / 12, i % 12 + 1))
            .collect();
        assert_eq!(month_ticks(&labels), vec![0, 12, 24, 36, 48]);
        let short: Vec<String> = (0..24)
            .map(|i| format!("{}-{:02}", 2026 + (i + 3) / 12, (i + 3) % 12 + 1))
            .collect();
        // Starts in April: ticks at July and January.
        assert_eq!(short[month_ticks(&short)[0]], "2026-07");
    }
}
