//! The files and table of a comparison of two variants (`experiment::comparison`): the tidy
//! `comparison.csv`, `comparison.json`, the charts, a self-contained `report.html` with
//! plain-language readings, and a `manifest.json` holding both sides' manifests. Any command
//! that compares two runs (`compare`, `stress-cap`) describes its sides in a
//! `ComparisonReport` and calls `write` and `terminal`; nothing here simulates.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::experiment::comparison::{Comparison, Row};
use crate::report::atomic::write_atomic;
use crate::report::charts::{write_comparison_charts, ChartMeta, ComparisonCharts};
use crate::report::csv::{num, CsvText};
use crate::report::figures;
use crate::report::format::{the, tonnes};
use crate::report::html::{escape, strip_xml_declaration, STYLE};
use crate::report::manifest::Manifest;
use crate::report::terminal::truncate;
use crate::stats::metric::{Stat, Subject};
use crate::stats::Summary;

/// One side of a comparison as a reader meets it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    /// The name tables and readings use ("eu-2030", "with the 65% cap").
    pub label: &'a str,
    /// The side's full-sample summary: the overlaid exceedance curves need more points than
    /// the comparison's rows hold (P99.9).
    pub summary: &'a Summary,
    /// What produced this side: scenario files and hash, seed, paths, threads, time.
    pub manifest: &'a Manifest,
}

/// Everything the exporters read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ComparisonReport<'a> {
    pub comparison: &'a Comparison,
    /// The reference.
    pub a: Side<'a>,
    /// The change: differences are B − A.
    pub b: Side<'a>,
    /// What B changes in A's inputs, one line per field ("path: value in A → value in B").
    pub inputs_changed: &'a [String],
}

/// Lines of the inputs B changes shown in the terminal and report.html; the rest are counted
/// (`shortfall check --diff A B` lists them all).
const INPUTS_SHOWN: usize = 30;

/// `manifest.json` of a comparison: each side's run manifest (their `files` are empty) and the
/// files written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ComparisonManifest {
    pub tool: String,
    pub version: String,
    pub a: Manifest,
    pub b: Manifest,
    pub files: Vec<String>,
}

/// Header row of `comparison.csv`: one row per (bloc, material, metric) with each variant's
/// estimate and 95% interval, their difference and its interval, and the sections behind it.
pub const CSV_HEADER: &str = "bloc,material,metric,a,a_low,a_high,b,b_low,b_high,difference,difference_low,difference_high,sections";

/// The metrics of the terminal table, the HTML table and the readings: the chance of any
/// consumption shortfall, the headline probability (worst year above 10%), the bad-case level (P95) and
/// the mean of the worst 5%.
const TABLE_STATS: [Stat; 4] = [
    Stat::ProbabilityAny,
    Stat::ProbabilityOver(0.10),
    Stat::Quantile(0.95),
    Stat::Cvar95,
];
/// Materials shown individually in the terminal table and given an overlaid exceedance chart.
const SHOWN_MATERIALS: usize = 5;
const OVERLAID_MATERIALS: usize = 3;

/// The bloc a reader asks about first (`report::headline_bloc`) among the compared blocs.
pub(crate) fn headline_bloc(c: &Comparison) -> Option<&str> {
    super::headline_bloc(c.rows.iter().map(|r| r.subject.bloc.as_str()))
}

/// The materials of `bloc` in both runs, those whose difference is real in some table metric
/// first (largest |B − A| first), then the others in row order.
pub(crate) fn materials_by_change<'a>(c: &'a Comparison, bloc: &str) -> Vec<(&'a str, bool)> {
    let mut out: Vec<(&str, f64, bool)> = Vec::new();
    for s in c.subjects() {
        let (true, Some(m)) = (s.bloc == bloc, s.material.as_deref()) else {
            continue;
        };
        let moved = TABLE_STATS
            .iter()
            .filter_map(|&stat| c.row(s, stat))
            .filter(|r| r.excludes_zero)
            .map(|r| r.difference.value.abs())
            .fold(None, |acc: Option<f64>, d| {
                Some(acc.map_or(d, |a| a.max(d)))
            });
        out.push((m, moved.unwrap_or(-1.0), moved.is_some()));
    }
    // A stable sort keeps row order among materials that did not move (all at −1).
    out.sort_by(|x, y| y.1.total_cmp(&x.1));
    out.into_iter().map(|(m, _, moved)| (m, moved)).collect()
}

/// `comparison.csv`: one row per subject × metric; `material` is `all` for the bloc as a whole.
pub(crate) fn csv(c: &Comparison) -> String {
    let mut out = CsvText::with_header(CSV_HEADER);
    for r in &c.rows {
        let d = &r.difference;
        out.row([
            r.subject.bloc.clone(),
            r.subject.material.clone().unwrap_or_else(|| "all".into()),
            r.stat.to_string(),
            num(r.a.value),
            num(r.a.ci95.low),
            num(r.a.ci95.high),
            num(r.b.value),
            num(r.b.ci95.low),
            num(r.b.ci95.high),
            num(d.value),
            num(d.ci95.low),
            num(d.ci95.high),
            d.sections.to_string(),
        ]);
    }
    out.finish()
}

/// `comparison.json`: the sides' labels, the comparison's rows and what B changes in A's inputs.
pub(crate) fn json(r: &ComparisonReport) -> Result<String> {
    #[derive(Serialize)]
    struct Out<'a> {
        a: &'a str,
        b: &'a str,
        #[serde(flatten)]
        comparison: &'a Comparison,
        inputs_changed: &'a [String],
    }
    serde_json::to_string_pretty(&Out {
        a: r.a.label,
        b: r.b.label,
        comparison: r.comparison,
        inputs_changed: r.inputs_changed,
    })
    .context("serialising the comparison")
}

/// `comparison.json` read back (`shortfall plot`).
#[derive(Debug, Deserialize)]
pub(crate) struct ComparisonFile {
    pub a: String,
    pub b: String,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// Absent in a folder written before comparison.json held it.
    #[serde(default)]
    pub inputs_changed: Vec<String>,
}

/// The files holding each side's full summary (the `summary.json` of `run`): the overlaid
/// exceedance curves are drawn from them, so `shortfall plot` can redraw a comparison.
pub(crate) const SIDE_SUMMARIES: [&str; 2] = ["summary-a.json", "summary-b.json"];

/// Decimals for a difference in points: what its interval supports (`figures::decimals`), so a
/// tight interval near zero does not read "−0.0 to 0.0" and a wide one shows no noise digits.
fn decimals(r: &Row) -> usize {
    figures::decimals(r.difference.ci95.low, r.difference.ci95.high)
}

/// A share as signed percentage points: `−4.1`, `+0.3`, and `0.0` rather than `−0.0`.
fn signed_points(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:+.*}", decimals, v * 100.0);
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s.replace('-', "−")
    }
}

/// A difference in percentage points with its interval: `−4.1 [−4.4, −3.8]`.
fn points(r: &Row) -> String {
    let (d, k) = (&r.difference, decimals(r));
    format!(
        "{} [{}, {}]",
        signed_points(d.value, k),
        signed_points(d.ci95.low, k),
        signed_points(d.ci95.high, k)
    )
}

/// True when B equals A exactly, on every section, in every compared metric of `s`: the
/// change does not reach this subject at all (another material, another bloc).
pub(crate) fn unchanged(c: &Comparison, s: &Subject) -> bool {
    c.rows
        .iter()
        .filter(|r| &r.subject == s)
        .all(|r| r.difference.value == 0.0 && r.difference.se == 0.0)
}

/// A threshold as a percentage without needless decimals: 0.1 → "10%", 0.025 → "2.5%".
fn threshold(t: f64) -> String {
    let p = format!("{:.2}", t * 100.0);
    format!("{}%", p.trim_end_matches('0').trim_end_matches('.'))
}

fn level(v: f64, low: f64, high: f64) -> String {
    figures::share_ci(v, low, high)
}

/// An estimate without its interval, on the decimals the interval supports.
fn point(e: &crate::stats::metric::Reading) -> String {
    figures::share_at(e.value, figures::decimals(e.ci95.low, e.ci95.high))
}

/// The table printed at the end of a comparison: the headline bloc as a whole and its
/// materials that moved most, then the other blocs' real changes.
pub(crate) fn terminal(r: &ComparisonReport) -> String {
    let c = r.comparison;
    let mut out = String::new();
    let w = &mut out;
    let elapsed = r.a.manifest.elapsed_seconds + r.b.manifest.elapsed_seconds;
    let _ = writeln!(
        w,
        "\nA = {}, B = {}: {} paths each on common random numbers (seed {}), {elapsed:.1} s.",
        r.a.label,
        r.b.label,
        tonnes(c.paths as f64),
        r.a.manifest.seed
    );
    let _ = writeln!(
        w,
        "Worst-year consumption shortfall (demand not met after all buffers) as a share of that year's demand. A, B: estimate [95% CI]. B − A in percentage points"
    );
    let _ = writeln!(
        w,
        "[95% CI by sectioning, {} sections]; * = the interval excludes zero.\n",
        c.sections
    );
    if !r.inputs_changed.is_empty() {
        let _ = writeln!(w, "What B changes in A's inputs (value in A → value in B):");
        for line in r.inputs_changed.iter().take(INPUTS_SHOWN) {
            let _ = writeln!(w, "  {line}");
        }
        if r.inputs_changed.len() > INPUTS_SHOWN {
            let _ = writeln!(
                w,
                "  … and {} more (shortfall check --diff A B lists them all)",
                r.inputs_changed.len() - INPUTS_SHOWN
            );
        }
        let _ = writeln!(w);
    }
    let Some(bloc) = headline_bloc(c) else {
        let _ = writeln!(w, "A and B have no bloc in common: nothing to compare.");
        return out;
    };
    let line = |w: &mut String, who: &str, row: &Row| {
        let _ = writeln!(
            w,
            "{:<20} {:<8} {:>22} {:>22}   {}{}",
            truncate(who, 20),
            row.stat.to_string(),
            level(row.a.value, row.a.ci95.low, row.a.ci95.high),
            level(row.b.value, row.b.ci95.low, row.b.ci95.high),
            points(row),
            if row.excludes_zero { " *" } else { "" }
        );
    };
    let _ = writeln!(
        w,
        "{:<20} {:<8} {:>22} {:>22}   B − A, points",
        bloc, "metric", "A", "B"
    );
    let whole = Subject {
        bloc: bloc.to_string(),
        material: None,
    };
    for (i, row) in TABLE_STATS
        .iter()
        .filter_map(|&s| c.row(&whole, s))
        .enumerate()
    {
        line(w, if i == 0 { "worst material" } else { "" }, row);
    }
    let materials = materials_by_change(c, bloc);
    let moved: Vec<&str> = materials.iter().filter(|m| m.1).map(|m| m.0).collect();
    let all_identical = materials.iter().filter(|m| !m.1).all(|m| {
        unchanged(
            c,
            &Subject {
                bloc: bloc.to_string(),
                material: Some(m.0.to_string()),
            },
        )
    });
    for m in moved.iter().take(SHOWN_MATERIALS) {
        let subject = Subject {
            bloc: bloc.to_string(),
            material: Some(m.to_string()),
        };
        for (i, row) in TABLE_STATS
            .iter()
            .filter_map(|&s| c.row(&subject, s))
            .enumerate()
        {
            line(w, if i == 0 { m } else { "" }, row);
        }
    }
    let _ = writeln!(
        w,
        "\n{}",
        match (moved.len(), materials.len()) {
            (0, _) => format!(
                "No material of {} moves beyond Monte Carlo noise in these metrics.",
                the(bloc)
            ),
            (k, n) if k <= SHOWN_MATERIALS => format!(
                "The other {} materials of {} {}.",
                n - k,
                the(bloc),
                if all_identical {
                    "are identical in A and B on every path section"
                } else {
                    "do not move beyond Monte Carlo noise"
                }
            ),
            (k, _) => format!(
                "{} more materials of {} move beyond noise; every row is in comparison.csv.",
                k - SHOWN_MATERIALS,
                the(bloc)
            ),
        }
    );
    let others: Vec<&Row> = c
        .rows
        .iter()
        .filter(|row| {
            row.subject.bloc != bloc
                && row.subject.material.is_none()
                && row.excludes_zero
                && TABLE_STATS.contains(&row.stat)
        })
        .collect();
    if !others.is_empty() {
        let _ = writeln!(w, "\nOther blocs, worst material, where B − A is real:");
        for row in others {
            line(w, &row.subject.bloc, row);
        }
    }
    out
}

/// "the EU", "the US", but "Japan": an article before acronyms.
/// A sentence on one row: "switching from A to B lowers the EU's P95 worst-year cobalt
/// consumption shortfall from 12.0% to 7.9% of that year's demand, by 4.1 points (95% CI 3.8 to 4.4)".
pub(crate) fn reading(row: &Row, a: &str, b: &str) -> String {
    let bloc = the(&row.subject.bloc);
    let owner = format!("{bloc}'s");
    let what = match (&row.subject.material, row.stat) {
        (Some(m), Stat::ProbabilityOver(t)) => format!(
            "the chance that {owner} worst-year {m} consumption shortfall exceeds {} of that year's demand",
            threshold(t)
        ),
        (None, Stat::ProbabilityOver(t)) => format!(
            "the chance that {bloc}'s consumption shortfall exceeds {} of a year's demand of at least one material",
            threshold(t)
        ),
        (Some(m), Stat::ProbabilityAny) => {
            format!("the chance of any consumption shortfall of {m} in {bloc}")
        }
        (None, Stat::ProbabilityAny) => format!("the chance of any consumption shortfall of anything in {bloc}"),
        (m, stat) => {
            let of = m.as_deref().map_or("consumption shortfall of its worst-hit material".to_string(), |m| {
                format!("{m} consumption shortfall")
            });
            let gloss = match stat {
                Stat::Quantile(q) => format!(
                    " (exceeded in 1 path in {:.0})",
                    1.0 / (1.0 - q).max(1e-9)
                ),
                Stat::Cvar95 => " (the mean of the worst 5% of paths)".into(),
                Stat::Cvar99 => " (the mean of the worst 1% of paths)".into(),
                _ => String::new(),
            };
            format!("{owner} {stat} worst-year {of}{gloss}")
        }
    };
    let unit = if row.stat.is_probability() {
        ""
    } else {
        " of that year's demand"
    };
    let (d, k) = (&row.difference, decimals(row));
    if d.value == 0.0 && d.se == 0.0 {
        return format!(
            "Switching from {a} to {b} leaves {what} unchanged at {}{unit}: the same on every section of paths.",
            point(&row.a)
        );
    }
    let from_to = format!("from {} to {}{unit}", point(&row.a), point(&row.b));
    if !row.excludes_zero {
        return format!(
            "Switching from {a} to {b} does not measurably change {what}: {from_to}, a difference of {} points (95% CI {} to {}) that Monte Carlo noise explains.",
            signed_points(d.value, k),
            signed_points(d.ci95.low, k),
            signed_points(d.ci95.high, k),
        );
    }
    let (verb, lo, hi) = if d.value < 0.0 {
        ("lowers", -d.ci95.high, -d.ci95.low)
    } else {
        ("raises", d.ci95.low, d.ci95.high)
    };
    let magnitude = |v: f64| format!("{:.*}", k, v * 100.0);
    format!(
        "Switching from {a} to {b} {verb} {what} {from_to}, by {} points (95% CI {} to {}).",
        magnitude(d.value.abs()),
        magnitude(lo),
        magnitude(hi)
    )
}

/// Writes `comparison.csv`, `comparison.json`, the charts and `report.html` (unless
/// `charts` is false), then `manifest.json`, each atomically; returns the files written,
/// relative to `out_dir`.
pub(crate) fn write(r: &ComparisonReport, out_dir: &Path, charts: bool) -> Result<Vec<String>> {
    write_led(r, out_dir, charts, None)
}

/// `write`, with `lead` (an HTML section) opening report.html in place of the generic readings:
/// `stress-cap` puts its per-material stress test there.
pub(crate) fn write_led(
    r: &ComparisonReport,
    out_dir: &Path,
    charts: bool,
    lead: Option<&str>,
) -> Result<Vec<String>> {
    let c = r.comparison;
    let mut files = vec!["comparison.csv".to_string(), "comparison.json".to_string()];
    write_atomic(&out_dir.join("comparison.csv"), csv(c).as_bytes())?;
    write_atomic(&out_dir.join("comparison.json"), json(r)?.as_bytes())?;
    for (file, side) in SIDE_SUMMARIES.iter().zip([&r.a, &r.b]) {
        let text = serde_json::to_string_pretty(side.summary).context("serialising a summary")?;
        write_atomic(&out_dir.join(file), text.as_bytes())?;
        files.push(file.to_string());
    }
    if charts {
        let drawn = draw(r, out_dir)?;
        files.extend(
            drawn
                .iter()
                .filter_map(|p| p.strip_prefix(out_dir).ok())
                .map(|p| p.display().to_string()),
        );
        let mut inline = Vec::new();
        for path in drawn
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        {
            let svg = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            inline.push(svg);
        }
        files.push("report.html".into());
        write_atomic(
            &out_dir.join("report.html"),
            html(r, &inline, lead).as_bytes(),
        )?;
    }
    files.push("manifest.json".into());
    let side = |m: &Manifest| Manifest {
        files: Vec::new(),
        ..m.clone()
    };
    let manifest = ComparisonManifest {
        tool: "shortfall".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        a: side(r.a.manifest),
        b: side(r.b.manifest),
        files: files.clone(),
    };
    write_atomic(
        &out_dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(files)
}

fn draw(r: &ComparisonReport, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let c = r.comparison;
    let Some(bloc) = headline_bloc(c) else {
        return Ok(Vec::new());
    };
    let ranked = materials_by_change(c, bloc);
    let materials: Vec<&str> = ranked.iter().map(|m| m.0).collect();
    let overlays: Vec<&str> = ranked
        .iter()
        .filter(|m| m.1)
        .take(OVERLAID_MATERIALS)
        .map(|m| m.0)
        .collect();
    let meta = ChartMeta {
        scenario: format!("{} vs {}", r.a.label, r.b.label),
        paths: c.paths,
        seed: r.a.manifest.seed,
        data: crate::report::charts::data_vintage(&r.a.manifest.data_sources),
    };
    write_comparison_charts(
        &ComparisonCharts {
            comparison: c,
            a: (r.a.label, r.a.summary),
            b: (r.b.label, r.b.summary),
            bloc,
            materials: &materials,
            overlays: &overlays,
        },
        &meta,
        out_dir,
    )
    .context("drawing charts")
}

/// `report.html`: readings, the headline bloc's table, the charts (inline SVG), the other
/// blocs, the method and both manifests. Self-contained: no scripts, no network.
/// `lead`, when given, replaces the generic readings (`write_led`).
pub(crate) fn html(r: &ComparisonReport, svgs: &[String], lead: Option<&str>) -> String {
    let c = r.comparison;
    let (a, b) = (r.a.label, r.b.label);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>shortfall: {} vs {}</title><style>{STYLE}{MANIFEST_STYLE}</style></head><body>",
        escape(a),
        escape(b)
    );
    let _ = write!(
        h,
        "<h1>What changes from {} (A) to {} (B)</h1><p class=\"muted\">Both simulated on the same {} paths (seed {}) · differences B − A with 95% intervals from {} sections · shortfall {}</p>",
        escape(a),
        escape(b),
        tonnes(c.paths as f64),
        r.a.manifest.seed,
        c.sections,
        escape(&r.a.manifest.version)
    );
    if !r.inputs_changed.is_empty() {
        h.push_str("<h2>What B changes in the inputs</h2><p class=\"muted\">Every input of A that B sets differently, after <code>extends</code>: value in A → value in B.</p><ul>");
        for line in r.inputs_changed.iter().take(INPUTS_SHOWN) {
            let _ = write!(h, "<li>{}</li>", escape(line));
        }
        if r.inputs_changed.len() > INPUTS_SHOWN {
            let _ = write!(
                h,
                "<li>… and {} more (<code>shortfall check --diff A B</code> lists them all)</li>",
                r.inputs_changed.len() - INPUTS_SHOWN
            );
        }
        h.push_str("</ul>");
    }
    let Some(bloc) = headline_bloc(c) else {
        h.push_str("<p>A and B have no bloc in common: nothing to compare.</p></body></html>\n");
        return h;
    };
    let ranked = materials_by_change(c, bloc);
    match lead {
        Some(lead) => h.push_str(lead),
        None => readings(&mut h, c, bloc, &ranked, (a, b)),
    }
    bloc_table(&mut h, c, bloc, &ranked);

    // Charts.
    h.push_str("<h2>Charts</h2>");
    for svg in svgs {
        let _ = write!(h, "<figure>{}</figure>", strip_xml_declaration(svg));
    }

    other_blocs(&mut h, c, bloc);
    method(&mut h, c);

    manifests(&mut h, r);
    h.push_str("</body></html>\n");
    h
}

/// Readings: the bloc as a whole, then each material that moved.
fn readings(
    h: &mut String,
    c: &Comparison,
    bloc: &str,
    ranked: &[(&str, bool)],
    (a, b): (&str, &str),
) {
    let whole = Subject {
        bloc: bloc.to_string(),
        material: None,
    };
    let _ = write!(
        h,
        "<h2>What the comparison says for {}</h2><ul>",
        escape(&the(bloc))
    );
    for stat in [Stat::ProbabilityOver(0.10), Stat::Quantile(0.95)] {
        if let Some(row) = c.row(&whole, stat) {
            let _ = write!(h, "<li>{}</li>", escape(&reading(row, a, b)));
        }
    }
    for (m, _) in ranked.iter().filter(|m| m.1).take(SHOWN_MATERIALS) {
        let subject = Subject {
            bloc: bloc.to_string(),
            material: Some(m.to_string()),
        };
        let real: Vec<&Row> = TABLE_STATS
            .iter()
            .filter_map(|&s| c.row(&subject, s))
            .filter(|row| row.excludes_zero)
            .collect();
        // The two a reader asks about, if they moved; otherwise whatever did.
        let picked: Vec<&&Row> = real
            .iter()
            .filter(|row| matches!(row.stat, Stat::ProbabilityOver(_) | Stat::Quantile(_)))
            .collect();
        let rows: Vec<&Row> = if picked.is_empty() {
            real.iter().take(1).copied().collect()
        } else {
            picked.into_iter().copied().collect()
        };
        for row in rows {
            let _ = write!(
                h,
                "<li><b>{}</b>: {}</li>",
                escape(m),
                escape(&reading(row, a, b))
            );
        }
    }
    let still: Vec<Subject> = ranked
        .iter()
        .filter(|m| !m.1)
        .map(|(m, _)| Subject {
            bloc: bloc.to_string(),
            material: Some(m.to_string()),
        })
        .collect();
    if !still.is_empty() {
        let _ = write!(
            h,
            "<li>For the other {} material{} of {} {}.</li>",
            still.len(),
            if still.len() == 1 { "" } else { "s" },
            escape(&the(bloc)),
            if still.iter().all(|s| unchanged(c, s)) {
                "A and B are identical: the change does not reach them".to_string()
            } else {
                format!(
                    "no difference in these metrics is larger than Monte Carlo noise at {} paths",
                    tonnes(c.paths as f64)
                )
            }
        );
    }
    h.push_str("</ul>");
}

/// The headline bloc's table: the bloc as a whole, then its materials, most changed first.
fn bloc_table(h: &mut String, c: &Comparison, bloc: &str, ranked: &[(&str, bool)]) {
    let whole = Subject {
        bloc: bloc.to_string(),
        material: None,
    };
    let _ = write!(h, "<h2>{}: A, B and B − A</h2>", escape(bloc));
    let mut subjects = vec![whole];
    subjects.extend(ranked.iter().map(|(m, _)| Subject {
        bloc: bloc.to_string(),
        material: Some(m.to_string()),
    }));
    let mut same = Vec::new();
    let mut rows = String::new();
    for s in &subjects {
        let name = s.material.as_deref().unwrap_or("worst material");
        if unchanged(c, s) {
            same.push(name);
        } else {
            table_rows(&mut rows, c, s, name);
        }
    }
    // A table with a header and no rows reads as a rendering fault: leave it out.
    if !rows.is_empty() {
        let _ = write!(h, "{TABLE_HEAD}{rows}</table>");
    }
    if !same.is_empty() {
        let _ = write!(
            h,
            "<p>Identical in A and B on every path section, in every metric (B − A = 0 exactly): {}.</p>",
            escape(&same.join(", "))
        );
    }
    h.push_str("<p class=\"muted\">Consumption shortfall: demand not met after rerouting, substitution, commercial inventories and strategic stockpiles. Worst year: the simulated year with the largest consumption shortfall, as a share of that year's demand. A, B: estimate [95% CI] as <code>shortfall run</code> reports it. B − A in percentage points [95% CI by sectioning]; bold where the interval excludes zero. Every bloc, material and metric (also the mean, P(&gt;5%), P(&gt;25%), P50, P90, P99) is in comparison.csv.</p>");
}

/// Other blocs, as a whole.
fn other_blocs(h: &mut String, c: &Comparison, bloc: &str) {
    let others: Vec<&Subject> = c
        .subjects()
        .into_iter()
        .filter(|s| s.bloc != bloc && s.material.is_none())
        .collect();
    if !others.is_empty() {
        let (same, moved): (Vec<&Subject>, Vec<&Subject>) =
            others.into_iter().partition(|s| unchanged(c, s));
        h.push_str("<h2>Other blocs, worst material</h2>");
        if !moved.is_empty() {
            h.push_str(TABLE_HEAD);
            for s in moved {
                table_rows(h, c, s, &s.bloc);
            }
            h.push_str("</table>");
        }
        if !same.is_empty() {
            let names: Vec<&str> = same.iter().map(|s| s.bloc.as_str()).collect();
            let _ = write!(
                h,
                "<p>Identical in A and B on every path section: {}.</p>",
                escape(&names.join(", "))
            );
        }
    }
}

/// How the comparison is made, with its sources.
fn method(h: &mut String, c: &Comparison) {
    let _ = write!(
        h,
        "<h2>Method in brief</h2><p>A and B are simulated with the same seed on the same path indices. Every random draw of a path comes from a stream named by what it drives (a disruption process, a bloc's demand growth, the tension regime) and seeded by the seed and the path index, so a process the two scenarios share draws the same events on each path in both: these are <i>common random numbers</i> (Law, <i>Simulation Modeling and Analysis</i>, 5th ed., §11.2). A path's outcome then moves only as far as the change between A and B moves it, and the paired difference B − A is far less noisy than the difference of two independent runs.</p><p>The difference's interval is by <i>sectioning</i> (Asmussen &amp; Glynn, <i>Stochastic Simulation: Algorithms and Analysis</i>, 2007, §III.5a): the {} paths are cut into {} sections of 2,048; each metric is computed on each section of A and of B, and the spread of the {} section differences gives the standard error of the full-sample difference, with a Student t interval on {} degrees of freedom. It needs no variance formula, so it serves differences of quantiles and CVaR as well as of probabilities. A's and B's own intervals are those of a single run (Wilson for probabilities, order statistics for quantiles). An interval that excludes zero marks a change larger than Monte Carlo noise at the 5% level; with many rows, a few will do so by chance.</p>",
        tonnes(c.paths as f64),
        c.sections,
        c.sections,
        c.sections.saturating_sub(1)
    );
}

/// Both manifests, and the data sources (once when A and B share them).
fn manifests(h: &mut String, r: &ComparisonReport) {
    let (ma, mb) = (r.a.manifest, r.b.manifest);
    let _ = write!(
        h,
        "<h2>Run manifests</h2><table class=\"manifest\"><tr><th></th><th>A</th><th>B</th></tr>"
    );
    let mut pair = |field: &str, x: String, y: String| {
        let _ = write!(
            h,
            "<tr><td>{field}</td><td>{}</td><td>{}</td></tr>",
            escape(&x),
            escape(&y)
        );
    };
    pair("scenario", ma.scenario.clone(), mb.scenario.clone());
    pair(
        "files",
        ma.scenario_files.join(", "),
        mb.scenario_files.join(", "),
    );
    pair(
        "scenario SHA-256",
        ma.scenario_sha256.clone(),
        mb.scenario_sha256.clone(),
    );
    pair(
        "seed · paths · threads",
        format!("{} · {} · {}", ma.seed, ma.paths, ma.threads),
        format!("{} · {} · {}", mb.seed, mb.paths, mb.threads),
    );
    pair(
        "started (UTC) · elapsed",
        format!("{} · {:.1} s", ma.started_at, ma.elapsed_seconds),
        format!("{} · {:.1} s", mb.started_at, mb.elapsed_seconds),
    );
    pair(
        "tool",
        format!("{} {}", ma.tool, ma.version),
        format!("{} {}", mb.tool, mb.version),
    );
    h.push_str("</table>");
    // A variant that extends its reference has the same sources: list them once.
    let sources = if ma.data_sources == mb.data_sources
        && ma.data_source_confidence == mb.data_source_confidence
    {
        vec![("A and B", ma)]
    } else {
        vec![("A", ma), ("B", mb)]
    };
    for (side, m) in sources {
        if !m.data_sources.is_empty() {
            let _ = write!(h, "<h3>Data sources of {side}</h3>");
            crate::report::html::sources_list(h, m);
        }
    }
}

/// The manifest table holds long hashes and paths: left-aligned and broken anywhere, so the
/// page never scrolls sideways.
const MANIFEST_STYLE: &str = ".manifest td,.manifest th{text-align:left;word-break:break-all}.manifest td:first-child{word-break:normal;white-space:nowrap}";

const TABLE_HEAD: &str = "<table><tr><th>subject</th><th>metric</th><th>A [95% CI]</th><th>B [95% CI]</th><th>B − A, points [95% CI]</th></tr>";

fn table_rows(h: &mut String, c: &Comparison, s: &Subject, name: &str) {
    for (i, row) in TABLE_STATS
        .iter()
        .filter_map(|&st| c.row(s, st))
        .enumerate()
    {
        let d = points(row);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if i == 0 { escape(name) } else { String::new() },
            escape(&row.stat.to_string()),
            level(row.a.value, row.a.ci95.low, row.a.ci95.high),
            level(row.b.value, row.b.ci95.low, row.b.ci95.high),
            if row.excludes_zero {
                format!("<b>{}</b>", escape(&d))
            } else {
                escape(&d)
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::estimate::Interval;
    use crate::stats::metric::Reading;
    use crate::stats::sectioning::SectionedEstimate;

    fn row(material: Option<&str>, stat: Stat, a: f64, b: f64, lo: f64, hi: f64) -> Row {
        let reading = |v: f64| Reading {
            value: v,
            ci95: Interval { low: v, high: v },
        };
        let difference = SectionedEstimate {
            value: b - a,
            se: 0.0,
            ci95: Interval { low: lo, high: hi },
            sections: 20,
        };
        Row {
            subject: Subject {
                bloc: "EU".into(),
                material: material.map(Into::into),
            },
            stat,
            a: reading(a),
            b: reading(b),
            excludes_zero: difference.excludes_zero(),
            difference,
        }
    }

    #[test]
    fn readings_say_which_way_and_by_how_much() {
        let r = row(
            Some("cobalt"),
            Stat::Quantile(0.95),
            0.12,
            0.079,
            -0.044,
            -0.038,
        );
        let text = reading(&r, "eu-2030", "with stock");
        assert!(
            text.contains("lowers the EU's P95 worst-year cobalt consumption shortfall")
                && text.contains("from 12.0% to 7.9% of that year's demand")
                && text.contains("by 4.1 points (95% CI 3.8 to 4.4)"),
            "{text}"
        );
        let r = row(
            None,
            Stat::ProbabilityOver(0.10),
            0.30,
            0.301,
            -0.002,
            0.004,
        );
        let text = reading(&r, "A", "B");
        assert!(text.contains("does not measurably change"), "{text}");
    }

    #[test]
    fn csv_has_one_line_per_row_and_all_for_the_bloc() {
        let c = Comparison {
            paths: 40_960,
            sections: 20,
            rows: vec![
                row(None, Stat::Mean, 0.1, 0.1, 0.0, 0.0),
                row(Some("Korea, Rep."), Stat::Cvar95, 0.2, 0.1, -0.12, -0.08),
            ],
        };
        let text = csv(&c);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert!(lines[1].starts_with("EU,all,mean,0.1,"), "{}", lines[1]);
        assert!(
            lines[2].starts_with("EU,\"Korea, Rep.\",CVaR95,"),
            "{}",
            lines[2]
        );
        assert!(lines[2].ends_with(",20"));
        assert_eq!(lines.len(), 3);
    }
}
