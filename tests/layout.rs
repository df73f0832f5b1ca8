//! The output layout of docs/output-format.md ("One folder per command, beside the run's"): each
//! command writes its own folder under `output/`, named after the scenario and what it ran, never
//! inside another's; rerunning a command replaces its own folder only; every chart is in the
//! folder's `charts/`; and `shortfall plot FOLDER` redraws the charts and report.html of every
//! kind of folder, byte for byte, from the files the command wrote.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const SMALL: &str = "tests/scenarios/good/tension-triggers.ron";
const SWEPT: &str = "disruptions.china-gallium-ban.annual_probability";

/// Run `shortfall ARGS` in `dir`; the command must succeed.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "shortfall {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The folders directly under `dir`, sorted, without hidden files.
fn folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every chart and report.html of a folder, by path relative to it.
fn drawn(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let charts = dir.join("charts");
    for entry in fs::read_dir(&charts).unwrap().flatten() {
        files.insert(
            Path::new("charts").join(entry.file_name()),
            fs::read(entry.path()).unwrap(),
        );
    }
    if let Ok(page) = fs::read(dir.join("report.html")) {
        files.insert(PathBuf::from("report.html"), page);
    }
    files
}

#[test]
fn every_command_writes_its_own_folder_and_plot_redraws_each_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let text = fs::read_to_string(SMALL).unwrap();
    fs::write(d.join("tt.ron"), &text).unwrap();
    let other = text.replace("name: \"tension-triggers\"", "name: \"other\"");
    assert_ne!(other, text, "the fixture names itself");
    fs::write(d.join("other.ron"), other).unwrap();
    let run = |args: &[&str]| {
        let mut v = args.to_vec();
        v.extend(["-q", "--paths", "2048"]);
        ok(d, &v)
    };

    run(&["run", "tt.ron"]);
    run(&["stress-cap", "tt.ron"]);
    run(&["stress-cap", "tt.ron", "--cap", "50%"]);
    run(&["compare", "tt.ron", "other.ron"]);
    run(&["sweep", "tt.ron", "--set", &format!("{SWEPT}=0.1,0.3")]);
    run(&["sensitivity", "tt.ron", "--top", "1"]);

    let sweep = format!("tension-triggers+sweep+{SWEPT}");
    let mut expected = vec![
        "tension-triggers".to_string(),
        "tension-triggers+sensitivity".into(),
        "tension-triggers+stress-cap".into(),
        "tension-triggers+stress-cap+EU-50pct".into(),
        sweep.clone(),
        "tension-triggers+vs+other".into(),
    ];
    expected.sort();
    let output = d.join("output");
    assert_eq!(folders(&output), expected);
    // Nothing inside the run's folder but its charts; each command's files where documented.
    assert_eq!(folders(&output.join("tension-triggers")), ["charts"]);
    for (folder, files) in [
        (
            "tension-triggers",
            &["summary.json", "manifest.json", "report.html"][..],
        ),
        (
            "tension-triggers+stress-cap",
            &[
                "stress-cap.json",
                "stress-cap-materials.csv",
                "comparison.json",
                "summary-a.json",
                "summary-b.json",
                "report.html",
                "charts/cap-breach.png",
            ],
        ),
        (
            "tension-triggers+vs+other",
            &[
                "comparison.json",
                "summary-a.json",
                "summary-b.json",
                "report.html",
            ],
        ),
        (
            &sweep,
            &[
                "sweep.json",
                "sweep.csv",
                "manifest.json",
                "charts/sweep-p95.png",
            ],
        ),
        (
            "tension-triggers+sensitivity",
            &[
                "sensitivity.json",
                "manifest.json",
                "charts/tornado.png",
                "charts/tornado.svg",
            ],
        ),
    ] {
        for f in files {
            assert!(output.join(folder).join(f).is_file(), "{folder}/{f}");
        }
    }
    assert!(!output
        .join("tension-triggers+sensitivity/tornado.png")
        .exists());

    // Rerunning replaces a command's own folder (stress-cap once refused its own
    // stress-cap-materials.csv) and leaves every other folder as it was.
    let others = |f: &&String| !f.ends_with("triggers") && !f.ends_with("stress-cap");
    let before: Vec<_> = expected
        .iter()
        .filter(others)
        .map(|f| drawn(&output.join(f)))
        .collect();
    run(&["stress-cap", "tt.ron"]);
    run(&["run", "tt.ron"]);
    assert_eq!(folders(&output), expected);
    let after: Vec<_> = expected
        .iter()
        .filter(others)
        .map(|f| drawn(&output.join(f)))
        .collect();
    assert!(
        before == after,
        "a rerun of run or stress-cap changed another folder"
    );

    let before: Vec<_> = expected.iter().map(|f| drawn(&output.join(f))).collect();
    // plot redraws every kind of folder, byte for byte.
    for (folder, was) in expected.iter().zip(&before) {
        let dir = output.join(folder);
        // Remove what plot must redraw, so an unchanged file cannot pass for a redrawn one.
        fs::remove_dir_all(dir.join("charts")).unwrap();
        // A sweep's page needs every point's summary, which sweep.json does not hold: plot
        // redraws its chart and leaves its report.html as the sweep wrote it.
        if !folder.contains("+sweep") {
            fs::remove_file(dir.join("report.html")).unwrap();
        }
        let said = ok(d, &["plot", dir.to_str().unwrap()]);
        assert!(said.starts_with("redrew "), "{said}");
        let now = drawn(&dir);
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            was.keys().collect::<Vec<_>>(),
            "{folder}: the files plot wrote"
        );
        for (file, bytes) in &now {
            assert!(
                bytes == &was[file],
                "{folder}/{}: plot drew it differently",
                file.display()
            );
        }
    }
}

#[test]
fn plot_says_what_a_folder_must_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .args(["plot", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not the output folder of run, compare, stress-cap, sweep or sensitivity"),
        "{err}"
    );
}
