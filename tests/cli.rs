//! The binary as a user drives it: outputs, exit codes, determinism across thread counts.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

const SCENARIO: &str = "tests/scenarios/good/tension-triggers.ron";

fn run_into(dir: &Path, extra: &[&str]) -> std::process::Output {
    let out = shortfall()
        .args([
            "run",
            SCENARIO,
            "--paths",
            "6000",
            "--seed",
            "11",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn summary_files_are_byte_identical_at_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("one"), tmp.path().join("two"));
    run_into(&a, &["--threads", "1"]);
    run_into(&b, &["--threads", "2"]);
    for file in ["summary.json", "summary.csv", "timeseries.csv"] {
        let x = fs::read(a.join(file)).unwrap();
        let y = fs::read(b.join(file)).unwrap();
        assert!(!x.is_empty(), "{file} is empty");
        assert!(x == y, "{file} differs between 1 and 2 threads");
    }
    // The manifest records what differs (threads) and what identifies the run.
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(b.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["threads"], 2);
    assert_eq!(manifest["seed"], 11);
    assert_eq!(manifest["paths"], 6000);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    // No temporary files left behind.
    let names: Vec<String> = fs::read_dir(&b)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn a_different_seed_gives_different_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_into(&a, &[]);
    shortfall()
        .args([
            "run",
            SCENARIO,
            "--paths",
            "6000",
            "--seed",
            "12",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(&b)
        .assert()
        .success();
    assert_ne!(
        fs::read(a.join("summary.json")).unwrap(),
        fs::read(b.join("summary.json")).unwrap()
    );
}

#[test]
fn summary_csv_is_tidy_and_complete() {
    let tmp = tempfile::tempdir().unwrap();
    run_into(tmp.path(), &[]);
    let csv = fs::read_to_string(tmp.path().join("summary.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert_eq!(
        header,
        "scenario,bloc,material,metric,statistic,value,se,ci95_low,ci95_high,unit,measure"
    );
    let columns = header.split(',').count();
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() > 50);
    for row in &rows {
        // Fields with commas are quoted; count outside quotes.
        let mut n = 1;
        let mut quoted = false;
        for ch in row.chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => n += 1,
                _ => {}
            }
        }
        assert_eq!(n, columns, "{row}");
    }
    assert!(rows
        .iter()
        .any(|r| r.contains(",worst_year_shortfall_share,p95,")));
    assert!(rows.iter().any(|r| r.contains(",any_shortfall,p,")));
    let ts = fs::read_to_string(tmp.path().join("timeseries.csv")).unwrap();
    assert!(ts.starts_with("scenario,series,bloc,material,month,mean,p05,p25,p50,p75,p95\n"));
    assert!(ts.contains(",shortfall_share,"));
}

#[test]
fn bad_input_exits_2_with_a_located_message_and_no_panic() {
    let out = shortfall()
        .args(["run", "tests/scenarios/bad/shares-do-not-sum-to-one.ron"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shares-do-not-sum-to-one.ron:"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    let out = shortfall()
        .args(["run", "no/such/file.ron"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read scenario file"));
    let out = shortfall()
        .args(["run", SCENARIO, "--paths", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = shortfall()
        .args(["run", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = shortfall()
        .args(["run", SCENARIO, "--target-se", "-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn replay_prints_one_path_month_by_month() {
    let out = shortfall()
        .args(["run", SCENARIO, "--replay-path", "3", "--seed", "11"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Path 3 of scenario"), "{text}");
    assert!(text.contains("Events ("), "{text}");
    // The same path replays identically.
    let again = shortfall()
        .args(["run", SCENARIO, "--replay-path", "3", "--seed", "11"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn target_se_stops_when_the_headline_is_precise_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let out = shortfall()
        .args([
            "run",
            SCENARIO,
            "--paths",
            "4096",
            "--target-se",
            "0.004",
            "--max-paths",
            "400000",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--target-se 0.004: reached"), "{text}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["headline_se"].as_f64().unwrap() <= 0.004);
    assert!(
        manifest["paths"].as_u64().unwrap() < 400_000,
        "stopped before the cap"
    );
}

#[test]
fn check_json_is_machine_readable() {
    let out = shortfall().args(["check", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "eu-2030");
    assert!(v["materials"].as_array().unwrap().len() >= 10);
}

#[test]
fn help_explains_the_commands() {
    let out = shortfall().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["check", "run", "builtin:eu-2030"] {
        assert!(text.contains(word), "{text}");
    }
    let out = shortfall().args(["run", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--paths",
        "--seed",
        "--threads",
        "--out",
        "--target-se",
        "--replay-path",
        "--quiet",
    ] {
        assert!(text.contains(flag), "{flag} missing from run --help");
    }
}

#[test]
fn run_draws_charts_and_plot_redraws_them_from_saved_results() {
    let tmp = tempfile::tempdir().unwrap();
    run_into(tmp.path(), &[]);
    assert!(
        !tmp.path().join("charts").exists(),
        "--no-charts must draw nothing"
    );
    // Fewer paths than the finished run in the folder: replacing it must be asked for.
    shortfall()
        .args([
            "run",
            SCENARIO,
            "--paths",
            "3000",
            "--quiet",
            "--replace",
            "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success();
    let charts = tmp.path().join("charts");
    let count = |ext: &str| {
        fs::read_dir(&charts)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == ext)
            })
            .count()
    };
    let (png, svg) = (count("png"), count("svg"));
    assert!(png >= 4 && png == svg, "{png} PNG and {svg} SVG charts");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f.as_str().unwrap().starts_with("charts/")));
    // plot redraws from summary.json alone.
    fs::remove_dir_all(&charts).unwrap();
    let out = shortfall().arg("plot").arg(tmp.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count("png"), png);
    // plot on a folder that no command wrote is a user error.
    let out = shortfall().args(["plot", "tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the output folder of run"));
}
