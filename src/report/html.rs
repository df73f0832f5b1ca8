//! `report.html`: one self-contained file a colleague can open — the scenario at a glance, the
//! headline table with intervals, the charts (inline SVG), plain-language readings, the method in
//! brief and the manifest. No scripts, no network, no external files.

use std::fmt::Write;

use crate::model::check::CheckReport;
use crate::report::format::{pct, tonnes};
use crate::report::manifest::Manifest;
use crate::stats::summary::CellSummary;
use crate::stats::Summary;

pub struct ReportInput<'a> {
    pub summary: &'a Summary,
    pub check: &'a CheckReport,
    pub manifest: &'a Manifest,
    pub headline_bloc: &'a str,
    /// (title, SVG text) of each chart to inline, in order.
    pub charts: &'a [(String, String)],
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;text-align:right}\
th:first-child,td:first-child{text-align:left}.muted{color:#666;font-size:.9em}figure{margin:1.5em 0}\
figure svg{width:100%;height:auto;border:1px solid #eee}li{margin:.3em 0}";

pub fn render(input: &ReportInput) -> String {
    let s = input.summary;
    let m = input.manifest;
    let bloc = input.headline_bloc;
    let k10 = s
        .thresholds
        .iter()
        .position(|&t| (t - 0.10).abs() < 1e-12)
        .unwrap_or(0);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>shortfall: {}</title><style>{STYLE}</style></head><body>",
        escape(&m.scenario)
    );
    let _ = write!(
        h,
        "<h1>Supply shortfall risk: {}</h1><p class=\"muted\">{} · {} months from {} · {} paths · seed {} · shortfall {}</p>",
        escape(&m.scenario),
        escape(&input.check.description),
        input.check.horizon_months,
        escape(&input.check.horizon_start),
        tonnes(s.paths as f64),
        m.seed,
        escape(&m.version)
    );

    // Readings first: what a reader came for.
    let mut cells: Vec<_> = s.cells.iter().filter(|c| c.bloc == bloc).collect();
    cells.sort_by(|a, b| {
        b.probability_over_threshold[k10]
            .p
            .total_cmp(&a.probability_over_threshold[k10].p)
    });
    readings(&mut h, s, bloc, &cells, k10);

    // Headline table.
    let _ = write!(
        h,
        "<h2>Headline figures: {}</h2><table><tr><th>material</th><th>P(any shortfall)</th><th>P(worst year &gt; 10%)</th><th>mean worst year</th><th>P95 worst year [95% CI]</th><th>P95 worst year, t</th><th>CVaR95</th><th>P(stock depleted)</th></tr>",
        escape(bloc)
    );
    for c in &cells {
        let p = &c.probability_over_threshold[k10];
        let wy = &c.worst_year_shortfall_share;
        let p95 = wy.quantile(0.95);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} [{}–{}]</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.material),
            pct(c.probability_any_shortfall.p),
            pct(p.p),
            pct(p.ci95.low),
            pct(p.ci95.high),
            pct(wy.mean),
            p95.map_or("n/a".into(), |q| format!("{} [{}–{}]", pct(q.value), pct(q.ci95.low), pct(q.ci95.high))),
            tonnes(c.worst_year_shortfall_t.quantile(0.95).map_or(f64::NAN, |q| q.value)),
            pct(wy.cvar95.value),
            if c.has_stockpile { pct(c.probability_stock_depleted.p) } else { "no stockpile".into() }
        );
    }
    h.push_str("</table><p class=\"muted\">Worst year: the simulated calendar year with the largest shortfall, as a share of that year's demand. Shortfall: demand not delivered after rerouting, stockpiles and substitution. Intervals: Wilson (probabilities), order statistics (quantiles).</p>");

    // Charts.
    h.push_str("<h2>Charts</h2>");
    for (title, svg) in input.charts {
        let _ = write!(
            h,
            "<figure aria-label=\"{}\">{}</figure>",
            escape(title),
            strip_xml_declaration(svg)
        );
    }

    // The scenario at a glance (the check view).
    at_a_glance(&mut h, input.check);

    // Method in brief.
    h.push_str("<h2>Method in brief</h2><p>Each simulated path draws the scenario's uncertain parameters, a geopolitical tension regime (a Markov chain that raises the hazard of sensitive disruptions together) and disruption episodes with random durations and severities. Month by month, capacity and export cuts propagate down each material's mining → processing chain; suppliers with spare capacity ramp up for the blocs cut off, partners first; prices rise with scarcity and demand gives way a little; stockpiles release and refill. Shortfall is demand minus what is delivered. Paths are independent and reproducible from the seed on any number of threads; every estimate carries its Monte Carlo error. The full mathematics is in docs/model.md of the shortfall repository.</p>");

    // Manifest.
    let _ = write!(
        h,
        "<h2>Run manifest</h2><table><tr><td>tool</td><td>{} {}</td></tr><tr><td>scenario</td><td>{} ({})</td></tr><tr><td>scenario SHA-256</td><td>{}</td></tr><tr><td>seed · paths · threads</td><td>{} · {} · {}</td></tr><tr><td>started (UTC) · elapsed</td><td>{} · {:.1} s</td></tr></table>",
        escape(&m.tool),
        escape(&m.version),
        escape(&m.scenario),
        escape(&m.scenario_files.join(", ")),
        escape(&m.scenario_sha256),
        m.seed,
        m.paths,
        m.threads,
        escape(&m.started_at),
        m.elapsed_seconds
    );
    if !m.data_sources.is_empty() {
        h.push_str("<h3>Data sources</h3><ul>");
        for src in &m.data_sources {
            let _ = write!(h, "<li class=\"muted\">{}</li>", escape(src));
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}

pub(crate) fn strip_xml_declaration(svg: &str) -> &str {
    let t = svg.trim_start();
    match t.strip_prefix("<?xml") {
        Some(rest) => rest.find("?>").map_or(t, |i| rest[i + 2..].trim_start()),
        None => t,
    }
}

/// The readings: the bloc's headline probability, then one sentence per material that is ever
/// short (the five most likely to lose over 10% first).
fn readings(h: &mut String, s: &Summary, bloc: &str, cells: &[&CellSummary], k10: usize) {
    let _ = write!(
        h,
        "<h2>What the simulation says for the {}</h2><ul>",
        escape(bloc)
    );
    if let Some(b) = s.blocs.iter().find(|b| b.bloc == bloc) {
        let p = &b.probability_any_material_over_threshold[k10];
        let _ = write!(
            h,
            "<li>In {} of paths [95% CI {}–{}], the {} is short of more than 10% of a year's demand of at least one material in some year of the horizon.</li>",
            pct(p.p),
            pct(p.ci95.low),
            pct(p.ci95.high),
            escape(bloc)
        );
    }
    for c in cells.iter().take(5) {
        let p = &c.probability_over_threshold[k10];
        let p95_t = c
            .worst_year_shortfall_t
            .quantile(0.95)
            .map_or(0.0, |q| q.value);
        let p95_share = c
            .worst_year_shortfall_share
            .quantile(0.95)
            .map_or(0.0, |q| q.value);
        if p95_t <= 0.0 {
            continue;
        }
        let start = c
            .median_first_shortfall_month
            .and_then(|m| s.month_labels.get((m as usize).saturating_sub(1)))
            .map_or(String::new(), |l| {
                format!(" Where a shortfall happens, it typically starts around {l}.")
            });
        let _ = write!(
            h,
            "<li><b>{}</b>: in 1 path in 20 the {} loses more than {} t ({} of that year's demand) in its worst year; the chance of a worst year above 10% is {} [{}–{}].{}</li>",
            escape(&c.material),
            escape(bloc),
            tonnes(p95_t),
            pct(p95_share),
            pct(p.p),
            pct(p.ci95.low),
            pct(p.ci95.high),
            escape(&start)
        );
    }
    h.push_str("</ul>");
}

/// The scenario at a glance, from the check view: concentration per stage, then the disruption
/// processes and tension regimes.
fn at_a_glance(h: &mut String, check: &CheckReport) {
    h.push_str("<h2>The scenario at a glance</h2><table><tr><th>material</th><th>stage</th><th>world t/yr</th><th>largest supplier</th><th>share</th><th>HHI</th></tr>");
    for mat in &check.materials {
        for st in &mat.stages {
            let _ = write!(
                h,
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td></tr>",
                escape(&mat.material),
                if mat.strategic { " (strategic)" } else { "" },
                escape(&st.stage),
                tonnes(st.world_production_t_per_year),
                escape(&st.largest_supplier),
                pct(st.largest_share),
                st.hhi
            );
        }
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<p>{} disruption processes; common cause: ",
        check.disruptions.len()
    );
    let regimes: Vec<String> = check
        .tension_regimes
        .iter()
        .map(|(n, x)| format!("{} ×{}", escape(n), x))
        .collect();
    let _ = write!(h, "tension regimes {}.</p>", regimes.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_strips_declarations() {
        assert_eq!(
            escape("<b>\"A&B\"</b>"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
        );
        assert_eq!(
            strip_xml_declaration("<?xml version=\"1.0\"?>\n<svg/>"),
            "<svg/>"
        );
        assert_eq!(strip_xml_declaration("<svg/>"), "<svg/>");
    }
}
