//! `shortfall compare`: paired differences on common random numbers, against exact and analytic
//! answers, and the files the command writes.

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use assert_cmd::Command;
use shortfall::comparison::CSV_HEADER;
use shortfall::comparison::{compare, STATS};
use shortfall::compile;
use shortfall::load_str;
use shortfall::run_variant;
use shortfall::RunConfig;

/// One supplier, one bloc, five years; a full export ban of one month with annual probability
/// `PROBABILITY`. With no spare anywhere, any onset is a shortfall, so P(any shortfall) =
/// 1 − (1 − p)^5 (the same scenario as tests/experiment.rs).
const ONE_BAN: &str = r#"Scenario(
    version: 1,
    name: "one-ban-PROBABILITY",
    horizon: (start: "2026-01", months: 60),
    materials: { "x": (stages: { "processing": () }) },
    countries: { "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }) },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200) }) },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: PROBABILITY, duration_months: 1, severity: 1.0),
    ],
)"#;

fn one_ban(p: f64) -> String {
    ONE_BAN.replace("PROBABILITY", &p.to_string())
}

fn write_pair(dir: &Path) -> (String, String) {
    let (a, b) = (dir.join("a.ron"), dir.join("b.ron"));
    fs::write(&a, one_ban(0.1)).unwrap();
    fs::write(&b, one_ban(0.2)).unwrap();
    (a.display().to_string(), b.display().to_string())
}

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

/// Runs `compare` into `out` and returns its standard output.
fn compare_cli(a: &str, b: &str, out: &Path, extra: &[&str]) -> String {
    let output = shortfall()
        .args(["compare", a, b, "--seed", "11", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The CSV as (bloc, material, metric) → the numeric columns, by header name.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], row: &[String], name: &str) -> f64 {
    let i = header.iter().position(|h| h == name).unwrap();
    row[i].parse().unwrap()
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let model = compile(&load_str("one-ban.ron", &one_ban(0.3)).unwrap()).unwrap();
    let cfg = RunConfig {
        seed: 5,
        paths: 16_384,
        threads: 2,
        target_se: None,
        max_paths: 16_384,
    };
    let cancel = AtomicBool::new(false);
    let a = run_variant(&model, &cfg, &cancel, |_, _| {}).unwrap();
    let b = run_variant(&model, &cfg, &cancel, |_, _| {}).unwrap();
    let c = compare(&a, &b);
    // EU as a whole and EU × x, each under every metric.
    assert_eq!(c.rows.len(), 2 * STATS.len());
    assert_eq!((c.paths, c.sections), (16_384, 8));
    for r in &c.rows {
        let d = r.difference;
        assert_eq!(
            (d.value, d.se, d.ci95.low, d.ci95.high),
            (0.0, 0.0, 0.0, 0.0),
            "{} {}",
            r.subject,
            r.stat
        );
        assert!(!r.excludes_zero);
        assert_eq!(r.a, r.b);
    }
}

#[test]
fn the_paired_difference_covers_the_analytic_value() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = write_pair(tmp.path());
    let out = tmp.path().join("out");
    let stdout = compare_cli(&a, &b, &out, &["--no-charts", "--paths", "40960"]);
    assert!(
        stdout.contains("A = one-ban-0.1, B = one-ban-0.2"),
        "{stdout}"
    );

    let (header, rows) = read_csv(&out.join("comparison.csv"));
    assert_eq!(header.join(","), CSV_HEADER);
    // Subjects (EU as a whole, EU × x) × metrics.
    assert_eq!(rows.len(), 2 * STATS.len());
    // P(at least one onset in 5 years) = 1 − (1 − p)^5: 0.40951 at p = 0.1 and 0.67232 at
    // p = 0.2, a difference of 0.26281.
    let truth = (1.0 - 0.8f64.powi(5)) - (1.0 - 0.9f64.powi(5));
    for material in ["x", "all"] {
        let row = rows
            .iter()
            .find(|r| r[0] == "EU" && r[1] == material && r[2] == "P(any)")
            .unwrap();
        let (low, high) = (
            column(&header, row, "difference_low"),
            column(&header, row, "difference_high"),
        );
        assert!(low <= truth && truth <= high, "{material}: [{low}, {high}]");
        // A real difference, and the sections behind it.
        assert!(low > 0.0);
        assert_eq!(column(&header, row, "sections"), 20.0);
        let a = column(&header, row, "a");
        assert!((a - 0.40951).abs() < 0.01, "{a}");
    }

    // The manifest names both scenarios, each with its own hash.
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["a"]["scenario"], "one-ban-0.1");
    assert_eq!(manifest["b"]["scenario"], "one-ban-0.2");
    assert_eq!(manifest["a"]["paths"], 40_960);
    let (ha, hb) = (
        manifest["a"]["scenario_sha256"].as_str().unwrap(),
        manifest["b"]["scenario_sha256"].as_str().unwrap(),
    );
    assert!(ha.len() == 64 && hb.len() == 64 && ha != hb);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("comparison.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), rows.len());
    assert_eq!(json["rows"][1]["metric"], "P(any)");
}

#[test]
fn the_report_is_self_contained_with_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = write_pair(tmp.path());
    let out = tmp.path().join("out");
    compare_cli(&a, &b, &out, &["--paths", "16384", "--threads", "1"]);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for part in [
        "Switching from one-ban-0.1 to one-ban-0.2 raises",
        "Method in brief",
        "Asmussen &amp; Glynn",
        "Run manifests",
    ] {
        assert!(html.contains(part), "missing {part:?}");
    }
    let figures = html.matches("<figure").count();
    assert!(figures >= 3, "{figures} charts inlined");
    assert_eq!(html.matches("<svg").count(), figures);
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    for chart in [
        "compare-difference-eu",
        "compare-exceedance-eu",
        "compare-exceedance-eu-x",
    ] {
        for ext in ["png", "svg"] {
            let path = out.join("charts").join(format!("{chart}.{ext}"));
            assert!(fs::metadata(&path).unwrap().len() > 1000, "{path:?}");
        }
    }
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn bad_scenarios_exit_2_with_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.ron");
    let out = shortfall()
        .args(["compare", "builtin:eu-2030"])
        .arg(&missing)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing.ron") && err.contains("cannot read"),
        "{err}"
    );

    let broken = tmp.path().join("broken.ron");
    fs::write(&broken, one_ban(1.5)).unwrap();
    let out = shortfall()
        .arg("compare")
        .arg(&broken)
        .arg("builtin:eu-2030")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("annual_probability"));
    assert!(!tmp.path().join("out").exists(), "nothing is written");
}
