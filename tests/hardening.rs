//! Hostile input and faults (issue 11): each failure found by trying the tool as an adversarial
//! user would is a regression test here, with its exit code and message; and a fault-injection
//! test kills `run` with SIGKILL at several points of its writing phase and checks the output
//! folder holds one whole, consistent set.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn bin() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

/// The smallest valid scenario, with `top` added as top-level fields and `{M}`, `{B}` as the
/// material and bloc names.
fn scenario(top: &str, material: &str, bloc: &str) -> String {
    format!(
        r#"Scenario(
    version: 1,
    {top}
    materials: {{ "{material}": (stages: {{ "refining": () }}) }},
    countries: {{ "China": (capacity: {{ "{material}": {{ "refining": (tonnes_per_year: 750) }} }}) }},
    blocs: {{ "{bloc}": (demand: {{ "{material}": (tonnes_per_year: 40) }}) }},
)"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Run `args` in `dir`; assert the exit code and that stderr holds every `wanted` piece.
fn expect(dir: &Path, args: &[&str], code: i32, wanted: &[&str]) -> String {
    let out = bin().current_dir(dir).args(args).output().unwrap();
    assert_exit(&out, &format!("{args:?}"), code, wanted)
}

/// `shortfall check FILE` in `dir` must refuse the file (exit 2, bad input) and say every
/// `wanted` piece.
fn check_refuses(dir: &Path, file: &Path, wanted: &[&str]) -> String {
    expect(dir, &["check", file.to_str().unwrap()], 2, wanted)
}

/// Assert a finished command (`what` names it in failures) exited with `code`, without a panic,
/// and that its stderr holds every `wanted` piece; returns the stderr.
fn assert_exit(out: &Output, what: &str, code: i32, wanted: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    for w in wanted {
        assert!(err.contains(w), "{what}: expected `{w}` in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn scenario_names_cannot_leave_the_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long = "x".repeat(300);
    for name in [
        "../../../../tmp/escaped-by-name",
        "/tmp/escaped-abs-name",
        "a\\u{0}b",
        long.as_str(),
        ".hidden",
    ] {
        let f = write(
            d,
            "s.ron",
            &scenario(&format!("name: \"{name}\","), "gallium", "EU"),
        );
        for cmd in ["run", "sweep"] {
            let mut args = vec![cmd, f.to_str().unwrap(), "--paths", "2048", "--quiet"];
            if cmd == "sweep" {
                args.extend(["--set", "blocs.EU.demand.gallium.tonnes_per_year=40,41"]);
            }
            let err = expect(d, &args, 2, &["s.ron:3:", "`name`"]);
            assert!(
                err.contains("not a valid scenario name") || err.contains("control character"),
                "{err}"
            );
        }
    }
    assert!(!d.join("output").exists(), "nothing may be written");
    assert!(!Path::new("/tmp/escaped-by-name").exists());
}

#[test]
fn a_file_stem_becomes_a_safe_folder_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "my scenario (v2).ron", &scenario("", "gallium", "EU"));
    let args = [
        f.to_str().unwrap(),
        "--paths",
        "2000",
        "--quiet",
        "--no-charts",
    ];
    bin()
        .current_dir(d)
        .arg("run")
        .args(args)
        .assert()
        .success();
    assert!(d.join("output/my-scenario--v2-/summary.json").exists());
}

#[test]
fn endless_huge_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let z = write(d, "z.ron", "Scenario(version: 1, extends: \"/dev/zero\")");
    check_refuses(d, &z, &["z.ron:1:22", "not a regular file"]);
    check_refuses(d, Path::new("/dev/zero"), &["not a regular file"]);
    check_refuses(d, d, &["not a regular file"]);
    #[cfg(unix)]
    {
        let fifo = d.join("fifo");
        assert!(StdCommand::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let f = write(d, "f.ron", "Scenario(version: 1, extends: \"fifo\")");
        let start = Instant::now();
        check_refuses(d, &f, &["not a regular file"]);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
    // A secret-looking file named by `extends` is not quoted back.
    write(d, "shadow", "root:$6$secret:19000:0:99999:7:::\n");
    let s = write(d, "s.ron", "Scenario(version: 1, extends: \"shadow\")");
    let err = check_refuses(d, &s, &["not a shortfall scenario"]);
    assert!(!err.contains("root") && !err.contains("secret"), "{err}");
    // Over 64 MB: refused from its size, without reading it.
    let big = d.join("big.ron");
    fs::File::create(&big)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    check_refuses(d, &big, &["larger than 64 MB"]);
    // Invalid UTF-8 is located.
    let u = d.join("u.ron");
    fs::write(&u, b"Scenario(\n    version: 1,\n    name: \"a\xff\",\n)").unwrap();
    check_refuses(d, &u, &["u.ron:3:13", "not valid UTF-8"]);
}

#[test]
fn control_characters_in_names_are_refused_and_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let esc_title = "\\u{1b}]0;pwned\\u{7}";
    let clear = "\\u{1b}[2J";
    let cases = [
        scenario("", &format!("gal{esc_title}"), "EU"),
        scenario("", "gallium", &format!("EU{clear}")),
        scenario(
            &format!("disruptions: [(name: \"ban{clear}\", kind: ExportBan, countries: [\"China\"], materials: [\"gallium\"], annual_probability: 0.1, duration_months: LogNormal(median: 6, sigma: 0.5), severity: 0.9)],"),
            "gallium",
            "EU",
        ),
        scenario(
            &format!("partnerships: [(name: \"p{clear}\", blocs: [\"EU\"], countries: [\"China\"])],"),
            "gallium",
            "EU",
        ),
    ];
    for text in cases {
        let f = write(d, "s.ron", &text);
        let err = check_refuses(d, &f, &["control character", "s.ron:"]);
        assert!(
            !err.contains('\u{1b}'),
            "raw escape reached the terminal: {err:?}"
        );
    }
}

#[test]
fn keys_and_names_given_twice_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = scenario("", "gallium", "EU").replace(
        "materials: {",
        "materials: { \"gallium\": (stages: { \"mining\": () }),",
    );
    let f = write(d, "s.ron", &text);
    check_refuses(d, &f, &["`materials.gallium`", "given twice"]);
    let p = "(name: \"pact\", blocs: [\"EU\"], countries: [\"China\"])";
    let f = write(
        d,
        "p.ron",
        &scenario(&format!("partnerships: [{p}, {p}],"), "gallium", "EU"),
    );
    check_refuses(d, &f, &["`partnerships.pact`", "used by two entries"]);
}

#[test]
fn values_that_would_overflow_the_outputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = scenario("", "gallium", "EU").replace(
        "(stages: { \"refining\": () })",
        "(stages: { \"refining\": () }, price: (base_usd_per_t: 1e308))",
    );
    let f = write(d, "s.ron", &text);
    check_refuses(d, &f, &["base_usd_per_t", "at most 1e10"]);
}

#[test]
fn grids_and_runs_too_large_are_refused_before_they_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    expect(
        d,
        &["sweep", "--cap", "0:1:1e-300", "--quiet"],
        2,
        &["at most 400"],
    );
    expect(
        d,
        &["sweep", "--set", "supplier_cap.level=0:1:1e-300", "--quiet"],
        2,
        &["at most 400"],
    );
    let values: Vec<String> = (0..256)
        .map(|i| format!("{}", 0.5 + i as f64 / 1024.0))
        .collect();
    let set = format!("supplier_cap.level={}", values.join(","));
    let mut args = vec!["sweep", "--quiet"];
    for _ in 0..8 {
        args.extend(["--set", set.as_str()]);
    }
    expect(d, &args, 2, &["points; at most 400"]);
    // 64 blocs × 500 materials × 600 months: a 1 MB file that `check` accepts.
    let mats: Vec<String> = (0..500)
        .map(|i| format!("\"m{i}\": (stages: {{ \"s\": () }})"))
        .collect();
    let caps: Vec<String> = (0..500)
        .map(|i| format!("\"m{i}\": {{ \"s\": (tonnes_per_year: 1000) }}"))
        .collect();
    let dem: Vec<String> = (0..500)
        .map(|i| format!("\"m{i}\": (tonnes_per_year: 1)"))
        .collect();
    let blocs: Vec<String> = (0..64)
        .map(|b| format!("\"B{b}\": (demand: {{ {} }})", dem.join(",")))
        .collect();
    let text = format!(
        "Scenario(version: 1, horizon: (start: \"2026-01\", months: 600), materials: {{ {} }}, countries: {{ \"X\": (capacity: {{ {} }}) }}, blocs: {{ {} }})",
        mats.join(","), caps.join(","), blocs.join(",")
    );
    let f = write(d, "huge.ron", &text);
    let start = Instant::now();
    let args = [
        "run",
        f.to_str().unwrap(),
        "--paths",
        "10",
        "--threads",
        "1",
        "--quiet",
    ];
    expect(
        d,
        &args,
        2,
        &[
            "GB of memory",
            "64 blocs × 500 materials × 600 months",
            "limit of 2.0 GB",
            "--memory-limit",
        ],
    );
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(!d.join("output").exists());
}

#[test]
fn a_field_swept_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The later axis overwrote the earlier at every point: a grid that varied nothing.
    expect(
        d,
        &[
            "sweep",
            "--cap",
            "0.5:1:0.25",
            "--set",
            "supplier_cap.level=0.7",
            "-q",
        ],
        2,
        &["--set supplier_cap.level is given twice", "--cap is --set"],
    );
    let gallium = "blocs.EU.stockpiles.gallium.initial_months";
    expect(
        d,
        &[
            "sweep",
            "--set",
            &format!("{gallium}=0,3"),
            "--set",
            &format!("{gallium}=6"),
            "-q",
        ],
        2,
        &[&format!("--set {gallium} is given twice"), "one axis"],
    );
    assert!(!d.join("output").exists());
}

#[test]
fn arguments_that_used_to_be_ignored_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    expect(
        d,
        &["stress-cap", "--paths", "0", "--quiet"],
        2,
        &["--paths must be between 1"],
    );
    expect(
        d,
        &["sweep", "--cap", "0.5,0.6", "--paths", "0", "--quiet"],
        2,
        &["--paths must be between 1"],
    );
    expect(
        d,
        &["sensitivity", "--top", "0", "--quiet"],
        2,
        &["--top must be at least 1"],
    );
    let out = bin()
        .current_dir(d)
        .env("RAYON_NUM_THREADS", "many")
        .args(["run", "--paths", "2000", "--quiet"])
        .output()
        .unwrap();
    assert_exit(&out, "RAYON_NUM_THREADS=many", 2, &["RAYON_NUM_THREADS"]);
    // Honoured as the default thread count.
    let f = write(d, "s.ron", &scenario("", "gallium", "EU"));
    bin()
        .current_dir(d)
        .env("RAYON_NUM_THREADS", "1")
        .args([
            "run",
            f.to_str().unwrap(),
            "--paths",
            "2000",
            "--quiet",
            "--no-charts",
            "--out",
            "o",
        ])
        .assert()
        .success();
    let manifest = fs::read_to_string(d.join("o/manifest.json")).unwrap();
    assert!(manifest.contains("\"threads\": 1"), "{manifest}");
}

#[test]
fn an_unwritable_or_foreign_output_place_fails_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a-file", "x");
    let start = Instant::now();
    // 4 billion paths would take hours: the error must come first.
    let args = [
        "run",
        "--paths",
        "4000000000",
        "--quiet",
        "--out",
        "a-file/sub",
    ];
    expect(d, &args, 2, &["a-file"]);
    assert!(start.elapsed() < Duration::from_secs(20));
    // A folder holding someone else's files is not replaced.
    fs::create_dir(d.join("mine")).unwrap();
    write(&d.join("mine"), "thesis.tex", "precious");
    expect(
        d,
        &["run", "--paths", "2000", "--quiet", "--out", "mine"],
        2,
        &["thesis.tex", "did not write"],
    );
    assert_eq!(
        fs::read_to_string(d.join("mine/thesis.tex")).unwrap(),
        "precious"
    );
}

#[test]
fn a_second_writer_is_refused_and_a_dead_writers_leftovers_are_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "s.ron", &scenario("", "gallium", "EU"));
    let run = |out: &str| {
        bin()
            .current_dir(d)
            .args([
                "run",
                f.to_str().unwrap(),
                "--paths",
                "2000",
                "--quiet",
                "--no-charts",
                "--out",
                out,
            ])
            .output()
            .unwrap()
    };
    // A lock held by a live process (this test).
    write(d, ".o.lock", &std::process::id().to_string());
    assert_exit(
        &run("o"),
        "a second writer",
        2,
        &["being written by another shortfall process"],
    );
    // A dead process's lock, staging folder and temporary files are taken over and removed.
    let mut child = StdCommand::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    write(d, ".o.lock", &dead.to_string());
    fs::create_dir_all(d.join(format!("o.staging-{dead}"))).unwrap();
    fs::create_dir_all(d.join("o/charts")).unwrap();
    write(&d.join("o"), &format!(".summary.json.tmp-{dead}"), "half");
    write(&d.join("o/charts"), &format!(".x.png.tmp-{dead}.png"), "");
    assert!(run("o").status.success());
    let left: Vec<String> = fs::read_dir(d)
        .unwrap()
        .chain(fs::read_dir(d.join("o")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".staging-") || n.contains(".tmp-") || n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_bloc_name_with_punctuation_keeps_its_charts_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "s.ron", &scenario("", "gallium", "AA (EU)"));
    bin()
        .current_dir(d)
        .args([
            "run",
            f.to_str().unwrap(),
            "--paths",
            "2000",
            "--quiet",
            "--out",
            "o",
        ])
        .assert()
        .success();
    let html = fs::read_to_string(d.join("o/report.html")).unwrap();
    for stem in [
        "p-over-10pct-aa-eu",
        "exceedance-aa-eu",
        "distribution-aa-eu",
    ] {
        assert!(d.join(format!("o/charts/{stem}.svg")).exists(), "{stem}");
        assert!(
            html.contains(&format!("aria-label=\"{stem}\"")),
            "{stem} missing from report.html"
        );
    }
}

// ---- fault injection: SIGKILL during the writing phase ----

/// The folder holds one complete set: every file manifest.json lists exists, and summary.json's
/// path count agrees with the manifest's. Returns (paths, seed).
fn consistent_set(dir: &Path) -> (u64, u64) {
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    for f in manifest["files"].as_array().unwrap() {
        assert!(
            dir.join(f.as_str().unwrap()).is_file(),
            "{f} listed but missing"
        );
    }
    let paths = manifest["paths"].as_u64().unwrap();
    assert_eq!(
        summary["paths"].as_u64(),
        Some(paths),
        "summary and manifest disagree"
    );
    let seed = manifest["seed"].as_u64().unwrap();
    let csv = fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(!csv.is_empty());
    (paths, seed)
}

fn spawn_run(d: &Path, f: &Path, paths: &str, seed: &str, pause: Option<&str>) -> Child {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("shortfall"));
    cmd.current_dir(d)
        .args([
            "run",
            f.to_str().unwrap(),
            "--paths",
            paths,
            "--seed",
            seed,
            "--quiet",
            "--out",
            "o",
            // Every run here replaces the last on purpose, the 2,000-path restore too.
            "--replace",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(p) = pause {
        cmd.env("SHORTFALL_TEST_PAUSE_BEFORE_COMMIT", p);
    }
    cmd.spawn().unwrap()
}

/// Wait until `cond` holds (or 30 s pass).
fn wait_for(cond: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[test]
fn a_run_killed_while_writing_leaves_the_previous_set_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "s.ron", &scenario("", "gallium", "EU"));
    let mut old = spawn_run(d, &f, "2000", "1", None);
    assert!(old.wait().unwrap().success());
    assert_eq!(consistent_set(&d.join("o")), (2000, 1));

    let staged = |name: &'static str| {
        move |d: &Path| {
            fs::read_dir(d).unwrap().flatten().any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with("o.staging-") && (name.is_empty() || e.path().join(name).exists())
            })
        }
    };
    // Kill points: the staging folder just created (before and while simulating), the summary
    // written, the charts being drawn, every file written and the swap about to happen.
    let points: [(&str, &'static str); 4] = [
        ("staging folder exists", ""),
        ("summary.json written", "summary.json"),
        ("charts being drawn", "charts"),
        ("paused before the swap", "manifest.json"),
    ];
    let mut results = Vec::new();
    for (label, file) in points {
        let mut child = spawn_run(d, &f, "4000", "2", Some("20"));
        let seen = staged(file);
        assert!(wait_for(|| seen(d)), "{label}: never reached");
        child.kill().unwrap();
        child.wait().unwrap();
        let set = consistent_set(&d.join("o"));
        assert_eq!(
            set,
            (2000, 1),
            "{label}: killed before the swap, the old set must remain"
        );
        results.push(format!("{label}: old set"));
    }
    // Unpaused: killed as soon as a file of the writing phase appears in staging (so the kill
    // lands mid-write), or at spread-out moments, some landing in or after the swap.
    let mut tries: Vec<(String, Option<&'static str>, u64)> =
        ["summary.json", "charts", "report.html"]
            .into_iter()
            .map(|file| (format!("unpaused, {file} in staging"), Some(file), 0))
            .collect();
    tries.extend((0..8).map(|k| (format!("kill at {} ms", 100 + 30 * k), None, 100 + 30 * k)));
    for (label, file, delay_ms) in tries {
        let mut child = spawn_run(d, &f, "4000", "2", None);
        match file {
            Some(file) => {
                let seen = staged(file);
                let start = Instant::now();
                while !seen(d)
                    && child.try_wait().unwrap().is_none()
                    && start.elapsed() < Duration::from_secs(30)
                {
                    std::thread::sleep(Duration::from_micros(500));
                }
            }
            None => std::thread::sleep(Duration::from_millis(delay_ms)),
        }
        let _ = child.kill();
        child.wait().unwrap();
        let target = d.join("o");
        let set = if target.exists() {
            consistent_set(&target)
        } else {
            // Killed between the two renames of the swap: the previous set is set aside whole
            // and the next writer moves it back.
            let old = fs::read_dir(d)
                .unwrap()
                .flatten()
                .find(|e| e.file_name().to_string_lossy().starts_with("o.old-"))
                .expect("neither the target nor the set-aside previous set exists");
            consistent_set(&old.path())
        };
        assert!(set == (2000, 1) || set == (4000, 2), "mixed set {set:?}");
        results.push(format!("{label}: {set:?}"));
        // Back to the old set for the next try.
        let mut restore = spawn_run(d, &f, "2000", "1", None);
        assert!(restore.wait().unwrap().success());
    }
    eprintln!("kill results: {results:#?}");
    let leftovers: Vec<String> = fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".staging-") || n.contains(".old-") || n.ends_with(".lock"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the last run should have cleared {leftovers:?}"
    );
}
