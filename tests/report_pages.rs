//! The report.html of `sweep` and `sensitivity`: each page exists, has a table row per point or
//! process, links only to files that exist, carries the source line and the command that
//! reproduces it, and shows every chart at a readable size when Chromium renders it.

mod common;

use std::fs;
use std::path::Path;

use common::cli::{chart_sizes_in_chromium, run_in};
use common::scenarios::{STOCK, TWO_BANS};

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
    let dir = run_in(
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
    )
    .out;
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
    let dir = run_in(
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
    )
    .out;
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
    let dir = run_in(
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
    )
    .out;
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

#[test]
fn the_experiment_pages_show_their_charts_in_a_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = run_in(
        &tmp.path().join("s"),
        STOCK,
        &[
            "sweep",
            "--set",
            "blocs.EU.stockpiles.x.initial_months=0,3",
            "--paths",
            "2048",
        ],
    )
    .out;
    let sens = run_in(
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
    )
    .out;
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
