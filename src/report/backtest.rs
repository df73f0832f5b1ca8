//! The outputs of `shortfall backtest`, from a finished `backtest::Backtest`: the terminal
//! table (one line per check with observed value, model band and PASS/FAIL), backtest.csv (one
//! row per check), backtest.json and a short HTML report page.

use std::fmt::Write as _;

use serde::Serialize;

use crate::backtest::{Backtest, Check};
use crate::report::csv::{num, CsvText};
use crate::report::html::escape;

const CSV_HEADER: &str =
    "scenario,group,id,what,observed,model,band_low,band_high,p_value,rule,verdict";

const GROUP_TITLES: [&str; 3] = [
    "1. Onset counts 2010–2025 (the scenario's processes from a calm start)",
    "2. Episode replays (import gap at the importer's border; consumption shortfall class)",
    "3. Outcome count 2010–2025 (consumption shortfalls > 10% of a year's demand)",
];

fn verdict(c: &Check) -> &'static str {
    if c.pass {
        "PASS"
    } else {
        "FAIL"
    }
}

fn short(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The band column: "[lo, hi]", and the p-value where the check uses one.
fn band_text(c: &Check) -> String {
    let band = format!("[{}, {}]", short(c.band_low), short(c.band_high));
    match c.p_value {
        Some(p) => format!("{band} p={p:.3}"),
        None => band,
    }
}

/// The terminal table.
pub(crate) fn table(b: &Backtest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Backtest of {} ({} paths, seed {}; 2010–2025 replay from the {} regime)",
        b.scenario, b.paths, b.seed, b.start_regime
    );
    for g in 1..=3u8 {
        let _ = writeln!(out, "\n{}", GROUP_TITLES[g as usize - 1]);
        let _ = writeln!(
            out,
            "  {:<62} {:>9} {:>9}  {:<22} verdict",
            "check", "observed", "model", "band"
        );
        for c in b.checks.iter().filter(|c| c.group == g) {
            let _ = writeln!(
                out,
                "  {:<62} {:>9} {:>9}  {:<22} {}",
                c.what,
                short(c.observed),
                short(c.model),
                band_text(c),
                verdict(c)
            );
        }
    }
    let failed = b.checks.iter().filter(|c| !c.pass).count();
    let _ = writeln!(
        out,
        "\n{} of {} checks pass{}",
        b.checks.len() - failed,
        b.checks.len(),
        if failed == 0 {
            String::new()
        } else {
            format!("; {failed} FAIL (exit code 1)")
        }
    );
    out
}

/// backtest.csv: one row per check.
pub(crate) fn csv(b: &Backtest) -> String {
    let mut out = CsvText::with_header(CSV_HEADER);
    for c in &b.checks {
        out.row([
            b.scenario.clone(),
            c.group.to_string(),
            c.id.clone(),
            c.what.clone(),
            num(c.observed),
            num(c.model),
            num(c.band_low),
            num(c.band_high),
            c.p_value.map_or(String::new(), num),
            c.rule.clone(),
            verdict(c).to_string(),
        ]);
    }
    out.finish()
}

#[derive(Serialize)]
struct BacktestFile<'a> {
    #[serde(flatten)]
    backtest: &'a Backtest,
    all_pass: bool,
    scenario_sha256: &'a str,
    elapsed_seconds: f64,
    command: Vec<String>,
}

/// backtest.json: the whole result, with where it came from.
pub(crate) fn json(
    b: &Backtest,
    scenario_sha256: &str,
    elapsed_seconds: f64,
) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&BacktestFile {
        backtest: b,
        all_pass: b.all_pass(),
        scenario_sha256,
        elapsed_seconds,
        command: std::env::args().collect(),
    })
}

/// report.html: the same table, grouped, with each rule spelt out.
pub(crate) fn html(b: &Backtest) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Backtest: {}</title>\
         <style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #ccc;padding:.25em .6em;text-align:left}}.PASS{{color:#1a7f37}}.FAIL{{color:#c62828;font-weight:bold}}</style>\
         </head><body><h1>Backtest of {}</h1>",
        escape(&b.scenario),
        escape(&b.scenario)
    );
    let _ = write!(
        out,
        "<p>{} paths, seed {}. The 2010–2025 replay runs the scenario's own processes from the {} regime \
         on today's supply structure. Group 2 compares the <b>import gap</b> (what failed to arrive from \
         the disrupting supplier) with the observed import drop, and the <b>consumption shortfall</b> \
         (demand not met after buffers) with the record's class. See docs/backtest.md for every rule.</p>\
         <p><b>{}</b></p>",
        b.paths,
        b.seed,
        escape(&b.start_regime),
        if b.all_pass() {
            "All checks pass."
        } else {
            "Some checks FAIL."
        }
    );
    for g in 1..=3u8 {
        let _ = write!(
            out,
            "<h2>{}</h2><table><tr><th>check</th><th>observed</th><th>model</th><th>band</th><th>rule</th><th>verdict</th></tr>",
            escape(GROUP_TITLES[g as usize - 1])
        );
        for c in b.checks.iter().filter(|c| c.group == g) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{v}\">{v}</td></tr>",
                escape(&c.what),
                short(c.observed),
                short(c.model),
                escape(&band_text(c)),
                escape(&c.rule),
                v = verdict(c)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}
