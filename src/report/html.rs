//! `report.html`: one self-contained file a colleague can open — the scenario at a glance, the
//! headline table with intervals, the charts (inline SVG), plain-language readings, the method in
//! brief and the manifest. No scripts, no network, no external files.

use std::fmt::Write;

use crate::model::check::CheckReport;
use crate::report::figures;
use crate::report::format::{pct, the, tonnes};
use crate::report::manifest::Manifest;
use crate::stats::estimate::DistributionEstimate;
use crate::stats::summary::CellSummary;
use crate::stats::Summary;

pub(crate) struct ReportInput<'a> {
    pub summary: &'a Summary,
    pub check: &'a CheckReport,
    pub manifest: &'a Manifest,
    pub headline_bloc: &'a str,
    /// (title, SVG text) of each chart to inline, in order.
    pub charts: &'a [(String, String)],
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;text-align:right}\
th:first-child,td:first-child{text-align:left}.muted{color:#666;font-size:.9em}figure{margin:1.5em 0}\
figure svg{width:100%;height:auto;border:1px solid #eee}li{margin:.3em 0}\
.leaves-out{border:2px solid #b4543a;background:#fdf6f2;padding:.3em 1.2em;margin:1.5em 0}.leaves-out h2{border:none;margin-top:.6em}";

/// What the two quantities are, in the words every table and reading uses.
const TERMS: &str = "<b>Consumption shortfall</b> (the headline): demand not met after rerouting, substitution, commercial inventories and strategic stockpiles. <b>Import gap</b>: contracted supply that failed to arrive from disrupted suppliers, before any of those buffers; what customs statistics show.";

pub(crate) fn render(input: &ReportInput) -> String {
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
        "<h1>Supply disruption risk: {}</h1><p class=\"muted\">{} · {} months from {} · {} paths · seed {} · shortfall {}</p><p>{TERMS}</p>",
        escape(&m.scenario),
        escape(&input.check.description),
        input.check.horizon_months,
        escape(&input.check.horizon_start),
        tonnes(s.paths as f64),
        m.seed,
        escape(&m.version)
    );

    // Readings first: what a reader came for; then what the figures leave out.
    let mut cells: Vec<_> = s.cells.iter().filter(|c| c.bloc == bloc).collect();
    cells.sort_by(|a, b| {
        b.probability_over_threshold[k10]
            .p
            .total_cmp(&a.probability_over_threshold[k10].p)
    });
    readings(&mut h, s, bloc, &cells, k10);
    h.push_str(LEAVES_OUT);
    headline_table(&mut h, bloc, &cells, k10);
    fiscal_cost(&mut h, s);

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
    h.push_str("<h2>Method in brief</h2><p>Each simulated path draws the scenario's uncertain parameters, a geopolitical tension regime (a Markov chain that raises the hazard of sensitive disruptions together) and disruption episodes with random durations and severities. Month by month, capacity and export cuts propagate down each material's mining → processing chain: what the disrupted suppliers fail to deliver is the import gap. Suppliers with spare capacity ramp up for the blocs cut off, partners first; prices rise with scarcity and demand gives way a little; commercial inventories are drawn, then strategic stockpiles release and later refill. What is still missing is the consumption shortfall. Paths are independent and reproducible from the seed on any number of threads; every estimate carries its Monte Carlo error. The full mathematics is in docs/model.md of the shortfall repository.</p>");

    manifest_section(&mut h, m);
    h.push_str("</body></html>\n");
    h
}

/// The boxed list of what the model leaves out (from docs/model.md's assumptions and
/// docs/calibration.md's limitations), so no reader takes the Monte Carlo interval for the whole
/// uncertainty.
const LEAVES_OUT: &str = "<section class=\"leaves-out\"><h2>What this model leaves out</h2><ul>\
<li><b>The interval is simulation error only, not the whole uncertainty.</b> Each [95% CI] says how far a longer run of the same model could move the figure. The scenario's uncertain parameters (frequencies, durations, severities, demand growth) are drawn on every path, so they are mixed into the outcome the interval describes; the uncertainty about those ranges themselves, and about the model's structure, is in no interval.</li>\
<li><b>No cross-material coupling.</b> Materials are solved one by one and share only the tension regime and event triggers: by-products (gallium from alumina, germanium from zinc, cobalt from copper and nickel) and shared plants are not linked.</li>\
<li><b>Fixed sourcing shares.</b> Each bloc buys a fixed share from each supplier; beyond other suppliers' spare capacity there is no re-contracting, however long a disruption lasts.</li>\
<li><b>No structural deficits.</b> Capacity grows with demand, so under-investment or fast demand growth never creates a shortage: the figures are disruption risk only.</li>\
<li><b>Prices and demand response simplified.</b> One world price per material, linear in the gap; substitution is instant and capped; no long-run demand destruction and no price premium on rerouted or leaked volume.</li>\
<li><b>No circumvention beyond the stated leakage shares.</b> Trans-shipment, processing in third countries and smuggling reach a targeted bloc only as far as the scenario's leakage shares say.</li>\
</ul><p class=\"muted\">Sources: the assumptions in docs/model.md and the limitations in docs/calibration.md of the shortfall repository.</p></section>";

/// The headline table: the consumption shortfall (the headline) and, beside it, the import gap.
fn headline_table(h: &mut String, bloc: &str, cells: &[&CellSummary], k10: usize) {
    let _ = write!(
        h,
        "<h2>Headline figures: {}</h2><table><tr><th></th><th colspan=\"6\">consumption shortfall (worst year)</th><th colspan=\"3\">import gap (worst year)</th><th></th></tr>\
<tr><th>material</th><th>P(any)</th><th>P(worst year &gt; 10%) [95% CI]</th><th>mean worst-year share</th><th>P95 worst-year share [95% CI]</th><th>P95 worst year, t</th><th>mean of the worst 5% (CVaR95)</th><th>P(worst year &gt; 10%) [95% CI]</th><th>mean worst-year share</th><th>P95 worst-year share [95% CI]</th><th>P(strategic stock depleted)</th></tr>",
        escape(bloc)
    );
    let p_ci = figures::prob_ci;
    let q_ci = |d: &DistributionEstimate| figures::quantile_ci(d, 0.95);
    for c in cells {
        let wy = &c.worst_year_shortfall_share;
        let gap = c.import_gap.as_ref().map_or(
            ["n/a".to_string(), "n/a".to_string(), "n/a".to_string()],
            |g| {
                [
                    g.probability_over_threshold
                        .get(k10)
                        .map_or("n/a".into(), p_ci),
                    figures::share_se(g.worst_year_share.mean, g.worst_year_share.mean_se),
                    q_ci(&g.worst_year_share),
                ]
            },
        );
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.material),
            figures::prob(&c.probability_any_shortfall),
            p_ci(&c.probability_over_threshold[k10]),
            figures::share_se(wy.mean, wy.mean_se),
            q_ci(wy),
            figures::tonnes(c.worst_year_shortfall_t.quantile(0.95).map_or(f64::NAN, |q| q.value)),
            figures::share_se(wy.cvar95.value, wy.cvar95.se),
            gap[0],
            gap[1],
            gap[2],
            if c.has_stockpile { figures::prob(&c.probability_stock_depleted) } else { "no stockpile".into() }
        );
    }
    h.push_str("</table><p class=\"muted\">Worst year: the simulated calendar year with the largest consumption shortfall (for the import gap, the largest import gap), as a share of that year's demand. Consumption shortfall: demand not met after rerouting, substitution, commercial inventories and strategic stockpiles. Import gap: contracted supply that failed to arrive from disrupted suppliers, before those buffers. Intervals: Wilson (probabilities), order statistics (quantiles); Monte Carlo error only.</p>");
}

/// The fiscal cost of each price floor (what the buyer of last resort pays over the horizon),
/// when the scenario has floors.
fn fiscal_cost(h: &mut String, s: &Summary) {
    if s.floors.is_empty() {
        return;
    }
    let basis = match (s.month_labels.first(), s.month_labels.last()) {
        (Some(a), Some(b)) => figures::money_basis(a, b),
        _ => "base prices".into(),
    };
    let _ = write!(
        h,
        "<h2>Fiscal cost of price floors</h2><table><tr><th>floor</th><th>mean, total over the horizon</th><th>P95, total over the horizon</th></tr>"
    );
    for f in &s.floors {
        let c = &f.fiscal_cost_usd;
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.floor),
            figures::usd(c.mean),
            c.quantile(0.95)
                .map_or("n/a".into(), |q| figures::usd(q.value))
        );
    }
    let _ = write!(
        h,
        "</table><p class=\"muted\">US dollars at {basis}: the sum over months of (floor − market price) × tonnes the covered producers sell at the floor's stage, when the price is below the floor. A P95 of {} means 1 path in 20 costs more.</p>",
        s.floors
            .first()
            .and_then(|f| f.fiscal_cost_usd.quantile(0.95))
            .map_or("n/a".into(), |q| figures::usd_with_basis(q.value, &s.month_labels))
    );
}

fn manifest_section(h: &mut String, m: &Manifest) {
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
        h.push_str("<h3>Data sources</h3>");
        sources_list(h, m);
    }
}

/// The data sources as a list, or, when the scenario marks how far they can be cited, as a
/// table with that mark beside each (a weak source's figures are ranges, not anchors).
pub(crate) fn sources_list(h: &mut String, m: &Manifest) {
    if m.data_source_confidence.is_empty() {
        h.push_str("<ul>");
        for src in &m.data_sources {
            let _ = write!(h, "<li class=\"muted\">{}</li>", escape(src));
        }
        h.push_str("</ul>");
        return;
    }
    h.push_str("<table><tr><th>source</th><th>confidence</th></tr>");
    for (src, mark) in m.sources_with_confidence() {
        let mark = match mark {
            "weak" => "<b>weak</b>: found only second-hand; a range, not an anchor",
            "primary" => "primary",
            _ => "",
        };
        let _ = write!(
            h,
            "<tr><td class=\"muted\">{}</td><td>{mark}</td></tr>",
            escape(src)
        );
    }
    h.push_str("</table>");
}

pub(crate) fn strip_xml_declaration(svg: &str) -> &str {
    let t = svg.trim_start();
    match t.strip_prefix("<?xml") {
        Some(rest) => rest.find("?>").map_or(t, |i| rest[i + 2..].trim_start()),
        None => t,
    }
}

/// The readings: the bloc's headline probability, then one sentence per material, each naming
/// the quantity it describes: the consumption shortfall of the five materials most likely to
/// lose over 10%, with their import gap beside it.
fn readings(h: &mut String, s: &Summary, bloc: &str, cells: &[&CellSummary], k10: usize) {
    let the_bloc = the(bloc);
    let _ = write!(
        h,
        "<h2>What the simulation says for {}</h2><ul>",
        escape(&the_bloc)
    );
    if let Some(b) = s.blocs.iter().find(|b| b.bloc == bloc) {
        let p = &b.probability_any_material_over_threshold[k10];
        let _ = write!(
            h,
            "<li>In {} of paths [95% CI], {}'s consumption shortfall exceeds 10% of a year's demand of at least one material in some year of the horizon.</li>",
            figures::prob_ci(p),
            escape(&the_bloc)
        );
    }
    let tail = s
        .tail_attribution
        .iter()
        .find(|a| a.bloc == bloc && a.material.is_none());
    if let Some(text) = tail.and_then(crate::report::attribution::sentence) {
        let _ = write!(h, "<li>{}</li>", escape(&text));
    }
    for c in cells.iter().take(5) {
        let _ = write!(
            h,
            "<li><b>{}</b>: {}{}</li>",
            escape(&c.material),
            shortfall_sentence(s, &the_bloc, c, k10),
            gap_sentence(c, k10)
        );
    }
    h.push_str("</ul>");
}

/// "in 1 path in 20 the EU's consumption shortfall exceeds 1,234 t (12.0% of that year's demand)
/// in its worst year; …", or that it is nil in 19 paths of 20.
fn shortfall_sentence(s: &Summary, the_bloc: &str, c: &CellSummary, k10: usize) -> String {
    let p = &c.probability_over_threshold[k10];
    let p95_t = c
        .worst_year_shortfall_t
        .quantile(0.95)
        .map_or(0.0, |q| q.value);
    if p95_t <= 0.0 {
        return format!(
            "in at least 19 paths in 20 {}'s consumption shortfall is nil; the chance of a worst year above 10% is {}.",
            escape(the_bloc),
            figures::prob_ci(p)
        );
    }
    let start = c
        .median_first_shortfall_month
        .and_then(|m| s.month_labels.get((m as usize).saturating_sub(1)))
        .map_or(String::new(), |l| {
            format!(" Where a consumption shortfall happens, it typically starts around {l}.")
        });
    format!(
        "in 1 path in 20 {}'s consumption shortfall exceeds {} t ({} of that year's demand) in its worst year; the chance of a worst year above 10% is {}.{}",
        escape(the_bloc),
        figures::tonnes(p95_t),
        figures::quantile(&c.worst_year_shortfall_share, 0.95),
        figures::prob_ci(p),
        escape(&start)
    )
}

/// " The import gap — what fails to arrive from disrupted suppliers — exceeds 10% … in 40% of
/// paths; …", or nothing for a summary without the import gap.
fn gap_sentence(c: &CellSummary, k10: usize) -> String {
    let Some(g) = &c.import_gap else {
        return String::new();
    };
    let Some(gap) = g.probability_over_threshold.get(k10) else {
        return String::new();
    };
    if gap.p == 0.0 {
        return format!(
            " The import gap (what fails to arrive from disrupted suppliers) exceeds 10% of a year's demand in no path [95% CI below {}].",
            figures::share_at(gap.ci95.high, figures::decimals(0.0, gap.ci95.high))
        );
    }
    let short = &c.probability_over_threshold[k10];
    let absorbed = if gap.p > short.p {
        " Rerouting, inventories, stockpiles and substitution absorb the difference."
    } else {
        " The buffers absorb little of it at this threshold."
    };
    format!(
        " The import gap — what fails to arrive from disrupted suppliers — exceeds 10% of demand in the worst year in {} of paths.{absorbed}",
        figures::prob_ci(gap)
    )
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
