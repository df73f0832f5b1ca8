//! `report.html`: self-contained, and every chart visible when a browser renders it.

mod common;

use std::fs;
use std::path::Path;

use common::cli::{chart_sizes_in_chromium, run_in, shortfall};

fn run_with_report(dir: &Path) {
    shortfall()
        .args([
            "run",
            "tests/scenarios/good/tension-triggers.ron",
            "--paths",
            "4000",
            "--quiet",
            "--out",
        ])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn the_report_is_one_self_contained_file() {
    let tmp = tempfile::tempdir().unwrap();
    run_with_report(tmp.path());
    let html = fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for part in [
        "Headline figures",
        "Method in brief",
        "Run manifest",
        "The scenario at a glance",
        "in 1 path in 20",
    ] {
        assert!(html.contains(part), "missing {part:?}");
    }
    let charts = html.matches("<figure").count();
    assert!(charts >= 3, "{charts} charts inlined");
    assert_eq!(
        html.matches("<svg").count(),
        charts,
        "one inline SVG per figure"
    );
    // Nothing is fetched: no scripts, no external sources or stylesheets.
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link")
    );
    // plot rewrites it from the saved results.
    fs::remove_file(tmp.path().join("report.html")).unwrap();
    shortfall().arg("plot").arg(tmp.path()).assert().success();
    assert!(tmp.path().join("report.html").exists());
}

/// Renders the report in headless Chromium and checks that every chart is laid out with a
/// non-zero size.
#[test]
fn every_chart_is_visible_in_a_browser() {
    let tmp = tempfile::tempdir().unwrap();
    run_with_report(tmp.path());
    let page = tmp.path().join("report.html");
    let Some(sizes) = chart_sizes_in_chromium(&page) else {
        eprintln!(
            "skipping: Chromium is not installed (CI installs it; `apt-get install chromium` here)"
        );
        return;
    };
    eprintln!("chart sizes in Chromium: {sizes:?}");
    let figures = fs::read_to_string(&page)
        .unwrap()
        .matches("<figure")
        .count();
    assert!(figures > 0, "no chart on the page");
    assert_eq!(sizes.len(), figures, "{sizes:?}");
    for (w, h) in sizes {
        assert!(w > 300 && h > 150, "a chart rendered at {w}×{h}");
    }
}

/// One material, one supplier A with no spare, banned fully for the first 12 of 24 months on
/// every path. The EU holds nothing; the US holds 13 months of demand in a strategic stockpile
/// that refills only very slowly.
const BUFFERED_BAN: &str = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) },
    countries: {
        "A": (capacity: { "x": { "processing": (tonnes_per_year: 2400, utilisation: 1.0) } }),
    },
    blocs: {
        "EU": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "processing": { "A": 1.0 } } }),
        "US": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "processing": { "A": 1.0 } } },
               stockpiles: { "x": (initial_months: 13.0, refill_months: 600) }),
    },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         scheduled_start: "2026-01", duration_months: 12, severity: 1.0),
    ],
)"#;

#[test]
fn the_import_gap_is_what_failed_to_arrive_and_a_stockpile_keeps_it_from_consumption() {
    let s = common::summary(&common::model(BUFFERED_BAN), 3, 400, 2);
    let cell = |bloc: &str| s.cells.iter().find(|c| c.bloc == bloc).unwrap();
    for bloc in ["EU", "US"] {
        let g = cell(bloc)
            .import_gap
            .as_ref()
            .expect("the summary holds the import gap");
        // Nothing of 100 t/month arrives for 12 months on every path: 1,200 t, the whole of the
        // first year's demand, so every threshold is exceeded on every path.
        assert_eq!(g.probability_any.p, 1.0, "{bloc}");
        for p in &g.probability_over_threshold {
            assert_eq!(p.p, 1.0, "{bloc}");
            // Wilson: 400 of 400 still leaves 1 − 3.84/403.84 ≈ 0.9905 as the lower bound.
            assert!(
                (p.ci95.low - 400.0 / (400.0 + 3.8415)).abs() < 1e-3,
                "{p:?}"
            );
        }
        assert!(
            (g.total_t.mean - 1200.0).abs() < 1e-6,
            "{bloc}: {:?}",
            g.total_t
        );
        assert!((g.worst_year_share.mean - 1.0).abs() < 1e-9, "{bloc}");
        let p95 = g.worst_year_share.quantile(0.95).unwrap();
        assert!((p95.value - 1.0).abs() < 0.004, "{bloc}: {p95:?}");
    }
    // Without a buffer the import gap is consumed in full; 13 months of stock absorb all of it.
    let (eu, us) = (cell("EU"), cell("US"));
    let k10 = s
        .thresholds
        .iter()
        .position(|t| (t - 0.10).abs() < 1e-9)
        .unwrap();
    assert_eq!(eu.probability_over_threshold[k10].p, 1.0);
    assert!((eu.worst_year_shortfall_share.mean - 1.0).abs() < 1e-9);
    assert_eq!(us.probability_any_shortfall.p, 0.0);
    assert_eq!(us.worst_year_shortfall_share.mean, 0.0);
}

#[test]
fn every_output_says_which_shortfall_it_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let ran = run_in(
        tmp.path(),
        BUFFERED_BAN,
        &["run", "--paths", "500", "--seed", "2"],
    );
    let (out_dir, terminal) = (ran.out, ran.stdout);
    for part in [
        "Consumption shortfall = demand not met",
        "Import gap = contracted supply",
        "EU consumption shortfall in the worst year",
        // The header is two lines: "import gap" above "P(>10%)".
        "import gap",
        "Monte Carlo error only",
    ] {
        assert!(
            terminal.contains(part),
            "terminal misses {part:?}:\n{terminal}"
        );
    }
    assert!(terminal
        .lines()
        .all(|l| l.chars().count() <= 100 || l.starts_with("wrote ")));
    // The EU row: consumption shortfall P(>10%) 100% and import gap P(>10%) 100%.
    let eu_row = terminal.lines().find(|l| l.starts_with("x ")).unwrap();
    assert!(eu_row.trim_end().ends_with("100.0%"), "{eu_row}");

    let csv = fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",unit,measure"), "{header}");
    for row in [
        "EU,x,import_gap_worst_year_over_10pct,p,1,",
        "US,x,import_gap_worst_year_over_10pct,p,1,",
        "US,x,worst_year_shortfall_over_10pct,p,0,",
    ] {
        assert!(csv.contains(row), "summary.csv misses {row:?}");
    }
    assert!(csv
        .lines()
        .any(|l| l.contains(",import_gap_total_t,mean,1200,") && l.ends_with(",import_gap")));
    assert!(csv
        .lines()
        .any(|l| l.contains(",any_shortfall,p,") && l.ends_with(",consumption_shortfall")));

    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    let eu = &json["cells"][0];
    assert_eq!(eu["import_gap"]["probability_over_threshold"][1]["p"], 1.0);

    let html = fs::read_to_string(out_dir.join("report.html")).unwrap();
    for part in [
        "What this model leaves out",
        "simulation error only, not the whole uncertainty",
        "No cross-material coupling",
        "Fixed sourcing shares",
        "No structural deficits",
        "consumption shortfall (worst year)",
        "import gap (worst year)",
        "in 1 path in 20 the EU's consumption shortfall exceeds",
        "The import gap — what fails to arrive from disrupted suppliers — exceeds 10%",
    ] {
        assert!(html.contains(part), "report.html misses {part:?}");
    }
    assert!(
        html.contains("import-gap-vs-shortfall-eu"),
        "the chart is inlined"
    );
    assert!(out_dir
        .join("charts/import-gap-vs-shortfall-eu.png")
        .exists());
}

/// A source marked weak is flagged in the report's sources table and in the manifest, beside
/// the unmarked and primary ones, in the file's order.
#[test]
fn the_sources_table_marks_how_far_each_source_can_be_cited() {
    let tmp = tempfile::tempdir().unwrap();
    shortfall()
        .args([
            "run",
            "tests/scenarios/good/sources-confidence.ron",
            "--paths",
            "1000",
            "--quiet",
            "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(tmp.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["data_source_confidence"],
        serde_json::json!(["", "primary", "weak"])
    );
    let html = fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(html.contains("<th>confidence</th>"), "no confidence column");
    let row = |text: &str| {
        let at = html
            .find(text)
            .unwrap_or_else(|| panic!("{text} not in report"));
        let end = at + html[at..].find("</tr>").unwrap();
        html[at..end].to_string()
    };
    assert!(row("A forum post quoting").contains("<b>weak</b>"));
    assert!(row("Eurostat news").contains("primary"));
    assert!(!row("USGS Mineral").contains("weak"));
}

/// A scenario that marks no source keeps the plain list and a manifest without the field.
#[test]
fn unmarked_sources_stay_a_plain_list() {
    let tmp = tempfile::tempdir().unwrap();
    shortfall()
        .args([
            "run",
            "tests/scenarios/good/extends-base.ron",
            "--paths",
            "1000",
            "--quiet",
            "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success();
    let manifest = fs::read_to_string(tmp.path().join("manifest.json")).unwrap();
    assert!(!manifest.contains("data_source_confidence"));
    let html = fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(!html.contains("<th>confidence</th>"));
    assert!(html.contains("<li class=\"muted\">USGS Mineral Commodity Summaries 2026"));
}
