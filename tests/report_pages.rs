//! The report.html of `sweep` and `sensitivity`: each page exists, has a table row per point or
//! process, links only to files that exist, carries the source line and the command that
//! reproduces it, and shows every chart at a readable size when Chromium renders it.

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;

/// One supplier, one bloc, a full 3-month export ban with annual probability 0.05; the EU's
/// stockpile of `x` is what a sweep varies (tests/sweep.rs works its answer out by hand).
const STOCK: &str = r#"Scenario(
    version: 1,
    name: "stock",
    horizon: (start: "2026-01", months: 60),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, max_substitution: 0)) },
    countries: { "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }) },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200) },
                    stockpiles: { "x": (initial_months: 0, refill_months: 1) }) },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: 0.05, duration_months: 3, severity: 1.0),
    ],
    sources: ["A made-up supplier, 2026: for tests only"],
)"#;

/// Two materials, each banned by its only supplier: `ban-y` reaches EU y, `ban-x` cannot.
const TWO_BANS: &str = r#"Scenario(
    version: 1,
    name: "two-bans",
    horizon: (start: "2026-01", months: 60),
    materials: {
        "x": (stages: { "processing": () }),
        "y": (stages: { "processing": () }),
    },
    countries: {
        "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }),
        "B": (capacity: { "y": { "processing": (tonnes_per_year: 600, utilisation: 1.0) } }),
    },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200), "y": (tonnes_per_year: 600) }) },
    disruptions: [
        (name: "ban-x", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: 0.1, duration_months: 1, severity: 1.0),
        (name: "ban-y", kind: ExportBan, countries: ["B"], materials: ["y"],
         annual_probability: 0.2, duration_months: 1, severity: 1.0),
    ],
)"#;

/// Runs `shortfall` with `args` on the scenario `text` written into `dir`, output in
/// `dir/out`; returns that folder.
fn run(dir: &Path, text: &str, args: &[&str]) -> std::path::PathBuf {
    fs::create_dir_all(dir).unwrap();
    let scenario = dir.join("scenario.ron");
    fs::write(&scenario, text).unwrap();
    let out_dir = dir.join("out");
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .arg(args[0])
        .arg(&scenario)
        .args(&args[1..])
        .args(["-q", "--threads", "2", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_dir
}

/// Every `href="…"` of the page names a file of the output folder.
fn assert_links_exist(html: &str, dir: &Path) -> usize {
    let links: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    for link in &links {
        assert!(!link.starts_with("http"), "an external link: {link}");
        assert!(dir.join(link).is_file(), "{link} does not exist");
    }
    links.len()
}

/// Rows of the first `<table>` after `heading`.
fn rows_after<'a>(html: &'a str, heading: &str) -> Vec<&'a str> {
    let from = html
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let table = &html[from..];
    let table = &table[..table.find("</table>").unwrap()];
    table.split("<tr>").skip(2).collect()
}

#[test]
fn the_sweep_page_has_every_point_its_chart_and_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(
        tmp.path(),
        STOCK,
        &[
            "sweep",
            "--set",
            "blocs.EU.stockpiles.x.initial_months=0:6:3",
            "--metric",
            "P(any)",
            "--paths",
            "2048",
        ],
    );
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("How does the probability of any consumption shortfall of EU x change as “EU x stockpile, months of demand” goes from 0 to 6?"), "the question in words");
    // One row per point (0, 3, 6 months), then the paired change last − first.
    let rows = rows_after(&html, "at every point [95% CI]");
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (row, months) in rows.iter().zip(["0", "3", "6"]) {
        assert!(
            row.starts_with(&format!("<td>{months}</td><td class=\"n\">")),
            "{row}"
        );
        assert!(
            row.contains('[') && row.contains('%'),
            "a value with its interval: {row}"
        );
    }
    assert!(rows[3].contains("last − first") && rows[3].contains(" pp"));
    // A stockpile of 6 months covers every 3-month ban but the
    // back-to-back ones on the 16,384 paths: the paired change is a large fall, read in plain words.
    assert!(html.contains("larger than the Monte Carlo noise"));
    // The chart: inlined, with links to its PNG and SVG files.
    assert_eq!(html.matches("<figure>").count(), 1);
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(assert_links_exist(&html, &dir) >= 2);
    assert!(
        html.contains("href=\"charts/sweep-p-any.png\""),
        "the PNG for slides"
    );
    for part in [
        "Source: shortfall model output, not a forecast · scenario stock · data: A made-up supplier",
        "16,384 paths per point · seed 20260101",
        "How to reproduce",
        "shortfall sweep ",
        "blocs.EU.stockpiles.x.initial_months=0:6:3",
        "What the numbers mean",
        "P(any): the share of simulated paths",
    ] {
        assert!(html.contains(part), "report.html misses {part:?}");
    }
    assert!(!html.contains("<script"));
}

#[test]
fn the_sweep_page_of_a_goal_says_the_answer_first() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(
        tmp.path(),
        STOCK,
        &[
            "sweep",
            "--set",
            "blocs.EU.stockpiles.x.initial_months=0:6:1",
            "--goal",
            "P(any) <= 5%",
            "--paths",
            "2048",
            "--no-charts",
        ],
    );
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Where between 0 and 6 on the axis “EU x stockpile, months of demand” does the probability of any consumption shortfall for EU x become at most 5%?"));
    let answer = html
        .find("<li><b>Goal P(any) &lt;= 0.05 for EU x: the smallest")
        .expect("the goal's answer");
    assert!(
        answer < html.find("at every point").unwrap(),
        "before the table"
    );
    // Without charts the page says how to draw them, and links nothing.
    assert!(html.contains("No charts were drawn"));
    assert_eq!(assert_links_exist(&html, &dir), 0);
    // Every point bisection evaluated is a row.
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("sweep.json")).unwrap()).unwrap();
    let points = json["points"].as_array().unwrap().len();
    assert_eq!(rows_after(&html, "at every point").len(), points + 1);
}

#[test]
fn the_sensitivity_page_has_every_process_its_tornado_and_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(
        tmp.path(),
        TWO_BANS,
        &[
            "sensitivity",
            "--material",
            "y",
            "--metric",
            "P(any)",
            "--paths",
            "2048",
            "--seed",
            "3",
        ],
    );
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("two-bans: what moves P(any shortfall) for EU y?"));
    // The process that reaches EU y is a row; the one that cannot is said to move it by 0.
    let rows = rows_after(&html, "Each disruption process");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("<td>ban-y</td><td>ExportBan</td>"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains(" pp"));
    assert!(html.contains("Switching off <b>ban-y</b> (ExportBan) lowers it"));
    assert!(html.contains("1 processes touch none of EU y's materials"));
    let classes = rows_after(&html, "Each parameter class");
    assert!(
        classes
            .iter()
            .any(|r| r.starts_with("<td>ramp-up months</td>")),
        "{classes:?}"
    );
    // The tornado, inlined and linked, wherever the command put it.
    assert_eq!(html.matches("<figure>").count(), 1);
    assert!(html.contains("tornado.png\""));
    assert!(assert_links_exist(&html, &dir) >= 2);
    for part in [
        "Source: shortfall model output, not a forecast · scenario two-bans",
        "16,384 paths per variant · seed 3",
        "shortfall sensitivity ",
        "--material y --metric 'P(any)'",
        "What the numbers mean",
    ] {
        assert!(html.contains(part), "report.html misses {part:?}");
    }
}

/// Renders `page` in headless Chromium with a measuring snippet added to a copy; returns each
/// inlined chart's laid-out size, or None when Chromium is not installed.
fn chart_sizes_in_chromium(page: &Path) -> Option<Vec<(u32, u32)>> {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Process::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })?;
    let html = fs::read_to_string(page).unwrap();
    let probe = "<script>document.body.setAttribute('data-charts', Array.from(document.querySelectorAll('figure svg')).map(function(s){var r=s.getBoundingClientRect();return Math.round(r.width)+'x'+Math.round(r.height);}).join(','));</script></body>";
    let dir = page.parent().unwrap();
    let probed = dir.join("probed.html");
    fs::write(&probed, html.replace("</body>", probe)).unwrap();
    let out = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", probed.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let sizes = dom
        .split("data-charts=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loaded and ran the probe");
    Some(
        sizes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (w, h) = s.split_once('x').unwrap();
                (w.parse().unwrap(), h.parse().unwrap())
            })
            .collect(),
    )
}

#[test]
fn the_experiment_pages_show_their_charts_in_a_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = run(
        &tmp.path().join("s"),
        STOCK,
        &[
            "sweep",
            "--set",
            "blocs.EU.stockpiles.x.initial_months=0,3",
            "--paths",
            "2048",
        ],
    );
    let sens = run(
        &tmp.path().join("t"),
        TWO_BANS,
        &[
            "sensitivity",
            "--material",
            "y",
            "--paths",
            "2048",
            "--top",
            "1",
        ],
    );
    for dir in [sweep, sens] {
        let Some(sizes) = chart_sizes_in_chromium(&dir.join("report.html")) else {
            eprintln!("skipping: Chromium is not installed (`apt-get install chromium`)");
            return;
        };
        assert_eq!(sizes.len(), 1, "{}: {sizes:?}", dir.display());
        for (w, h) in sizes {
            assert!(w > 300 && h > 150, "a chart rendered at {w}×{h}");
        }
    }
}
