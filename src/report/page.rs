//! What the report.html of an experiment (`sweep`, `sensitivity`) shares with the others: the
//! page head, the charts inlined from the output folder with links to their PNG and SVG files,
//! the source line, how to reproduce the figures and what a metric means in plain words.
//! Reads files the command has already written; draws and simulates nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::report::charts::{data_vintage, theme::thousands};
use crate::report::html::{escape, strip_xml_declaration, STYLE};
use crate::stats::metric::Stat;

/// Extra rules of the experiment pages: the question set large, the reproduce command in a box.
const PAGE_STYLE: &str = ".question{font-size:1.2em;margin:.6em 0 1em}\
pre{background:#f5f5f5;padding:.6em .8em;white-space:pre-wrap;word-break:break-all;font-size:.9em}\
figcaption{font-size:.85em;color:#666;margin-top:.2em}.source{border-top:1px solid #ccc;padding-top:.5em}\
td.n{white-space:nowrap}.wide{overflow-x:auto}";

/// `<!DOCTYPE html>` … `<body>` with the shared style, and the page's `<h1>`.
pub(crate) fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>shortfall: {t}</title><style>{STYLE}{PAGE_STYLE}</style></head><body><h1>{t}</h1>",
        t = escape(title)
    )
}

/// The charts in `dir/charts/` and `dir` itself (SVG and PNG), in name order: each SVG inlined
/// in a `<figure>`, captioned with links to its PNG (for slides) and SVG (for print), relative
/// to `dir` so the page keeps working when the folder moves. A note when there are none.
pub(crate) fn charts(h: &mut String, dir: &Path) -> Result<()> {
    h.push_str("<h2>Charts</h2>");
    let svgs = chart_files(dir)?;
    if svgs.is_empty() {
        h.push_str("<p class=\"muted\">No charts were drawn (<code>--no-charts</code>); <code>shortfall plot</code> on this folder draws them.</p>");
        return Ok(());
    }
    for (rel, path) in svgs {
        let svg = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let png = rel.with_extension("png");
        let links = if dir.join(&png).exists() {
            format!(
                "<a href=\"{p}\">{p}</a> (PNG, 1600×900, for slides) · <a href=\"{s}\">SVG</a> (for print)",
                p = escape(&png.display().to_string()),
                s = escape(&rel.display().to_string())
            )
        } else {
            format!(
                "<a href=\"{s}\">{s}</a>",
                s = escape(&rel.display().to_string())
            )
        };
        let _ = write!(
            h,
            "<figure>{}<figcaption>{links}</figcaption></figure>",
            strip_xml_declaration(&svg)
        );
    }
    Ok(())
}

/// The SVG charts of an output folder, relative path and full path, `charts/` first.
fn chart_files(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    for sub in [Path::new("charts"), Path::new("")] {
        let folder = dir.join(sub);
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing {}", folder.display()))?
                .path();
            if path.extension().is_some_and(|e| e == "svg") {
                if let Some(name) = path.file_name() {
                    found.push((sub.join(name), path.clone()));
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// What produced the figures, for a reader who cites them.
pub(crate) struct Source<'a> {
    pub scenario: &'a str,
    pub scenario_sha256: &'a str,
    /// The scenario's `sources` list.
    pub data_sources: &'a [String],
    pub version: &'a str,
    pub seed: u64,
    /// Paths per variant, and what a variant is called ("point" in a sweep).
    pub paths: u64,
    pub per: &'a str,
    /// The command line that wrote the folder, program first.
    pub command: &'a [String],
}

/// "How to reproduce" (the command) and the source line, then the scenario's data sources.
pub(crate) fn reproduce_and_source(h: &mut String, s: &Source) {
    let _ = write!(
        h,
        "<h2>How to reproduce</h2><p>The same command, scenario and seed give the same figures byte for byte, on any number of threads:</p><pre>{}</pre>",
        escape(&command_line(s.command))
    );
    let data = data_vintage(s.data_sources).map_or(String::new(), |d| format!(" · data: {d}"));
    let _ = write!(
        h,
        "<p class=\"source\">Source: shortfall model output, not a forecast · scenario {}{} · shortfall {} · {} paths per {} · seed {} · scenario SHA-256 {}</p>",
        escape(s.scenario),
        escape(&data),
        escape(s.version),
        thousands(s.paths),
        s.per,
        s.seed,
        escape(s.scenario_sha256)
    );
    if !s.data_sources.is_empty() {
        h.push_str("<h3>Data sources of the scenario</h3><ul>");
        for src in s.data_sources {
            let _ = write!(h, "<li class=\"muted\">{}</li>", escape(src));
        }
        h.push_str("</ul>");
    }
}

/// The command as a user types it: `shortfall` for the program, arguments quoted for a POSIX
/// shell where they need it.
pub(crate) fn command_line(command: &[String]) -> String {
    let mut words = vec!["shortfall".to_string()];
    words.extend(command.iter().skip(1).map(|a| shell_quote(a)));
    words.join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | ',' | '=' | '+')
        });
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// What a metric of the worst-year consumption shortfall share means, in a sentence.
pub(crate) fn meaning(stat: Stat) -> String {
    let worst = "the worst year: the calendar year of the horizon with the largest consumption shortfall, as a share of that year's demand";
    match stat {
        Stat::ProbabilityAny => "P(any): the share of simulated paths in which some demand goes unmet in some month, however little.".into(),
        Stat::ProbabilityOver(x) => format!(
            "P(worst year > {}): the share of simulated paths in which the consumption shortfall exceeds {} of a year's demand in at least one calendar year ({worst}).",
            trim_pct(x),
            trim_pct(x)
        ),
        Stat::Mean => format!("Mean: the worst-year share averaged over all paths, the calm ones included ({worst})."),
        Stat::Quantile(q) => format!(
            "P{}: in {} of paths the worst year loses more than this share of that year's demand ({worst}).",
            trim_number(q * 100.0),
            trim_pct(1.0 - q)
        ),
        Stat::Cvar95 | Stat::Cvar99 => format!(
            "{stat}: the mean worst-year share over the worst {} of paths ({worst}).",
            if stat == Stat::Cvar95 { "5%" } else { "1%" }
        ),
    }
}

/// `0.05` → "5%", `0.025` → "2.5%".
fn trim_pct(share: f64) -> String {
    format!("{}%", trim_number(share * 100.0))
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What every interval on the pages is, and what the figures are not.
pub(crate) const INTERVALS: &str = "Every bracket is a 95% interval of Monte Carlo error only: how far a longer run of the same model could move the figure, not the uncertainty of the scenario's data or of the model itself. The figures are model output under the scenario's assumptions, not a forecast.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_as_typed_and_metrics_in_words() {
        let cmd: Vec<String> = [
            "/x/target/release/shortfall",
            "sweep",
            "--goal",
            "P95 shortfall <= 5%",
            "--set=a.b=0:1:0.5",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            command_line(&cmd),
            "shortfall sweep --goal 'P95 shortfall <= 5%' --set=a.b=0:1:0.5"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert!(meaning(Stat::Quantile(0.95)).starts_with("P95: in 5% of paths"));
        assert!(meaning(Stat::ProbabilityOver(0.1)).starts_with("P(worst year > 10%)"));
    }
}
