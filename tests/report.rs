//! `report.html`: self-contained, and every chart visible when a browser renders it.

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;

fn run_with_report(dir: &Path) {
    Command::cargo_bin("shortfall")
        .unwrap()
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
    Command::cargo_bin("shortfall")
        .unwrap()
        .arg("plot")
        .arg(tmp.path())
        .assert()
        .success();
    assert!(tmp.path().join("report.html").exists());
}

/// Renders the report in headless Chromium (Debian's `chromium`), with a measuring snippet added
/// to a copy, and checks that every chart is laid out with a non-zero size.
#[test]
fn every_chart_is_visible_in_a_browser() {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Process::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(chromium) = chromium else {
        eprintln!(
            "skipping: Chromium is not installed (CI installs it; `apt-get install chromium` here)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    run_with_report(tmp.path());
    let html = fs::read_to_string(tmp.path().join("report.html")).unwrap();
    let probe = "<script>document.body.setAttribute('data-charts', Array.from(document.querySelectorAll('figure svg')).map(function(s){var r=s.getBoundingClientRect();return Math.round(r.width)+'x'+Math.round(r.height);}).join(','));</script></body>";
    let probed = tmp.path().join("probed.html");
    fs::write(&probed, html.replace("</body>", probe)).unwrap();
    let profile = tmp.path().join("profile");
    let out = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
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
    let sizes: Vec<&str> = sizes.split(',').collect();
    eprintln!("chart sizes in Chromium: {sizes:?}");
    assert_eq!(sizes.len(), html.matches("<figure").count(), "{sizes:?}");
    for size in &sizes {
        let (w, h) = size.split_once('x').unwrap();
        let (w, h): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
        assert!(w > 300 && h > 150, "a chart rendered at {w}×{h}");
    }
}
