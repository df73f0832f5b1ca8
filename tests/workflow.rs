//! An analyst's day one, driven through the binary: `init` a scenario, `check` it, shell
//! completions, `--format json` for scripts, `--target-se` on its own, and the note when an
//! experiment runs more paths than asked.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

const SCENARIO: &str = "tests/scenarios/good/tension-triggers.ron";

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn init_writes_a_scenario_that_checks_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("my.ron");
    let text = ok(&shortfall().arg("init").arg(&file).output().unwrap());
    assert!(text.contains("shortfall check"), "{text}");
    let written = fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("extends: \"builtin:eu-2030\""),
        "{written}"
    );
    assert!(written.contains("name: \"my\""), "{written}");
    let checked = ok(&shortfall().arg("check").arg(&file).output().unwrap());
    assert!(checked.contains("my"), "{checked}");

    // A second init on the same file is refused (exit 2) and leaves the file as it was.
    fs::write(&file, "// mine\n").unwrap();
    let again = shortfall().arg("init").arg(&file).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(fs::read_to_string(&file).unwrap(), "// mine\n");
}

#[test]
fn init_from_a_file_extends_it_by_a_path_relative_to_the_new_file() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("mine");
    fs::create_dir(&sub).unwrap();
    let base = tmp.path().join("base.ron");
    fs::copy(SCENARIO, &base).unwrap();
    let file = sub.join("variant.ron");
    ok(&shortfall()
        .arg("init")
        .arg("--from")
        .arg(&base)
        .arg(&file)
        .output()
        .unwrap());
    let written = fs::read_to_string(&file).unwrap();
    assert!(written.contains("extends: \"../base.ron\""), "{written}");
    // Checked from another working directory: the link is relative to the file, not the cwd.
    ok(&shortfall()
        .current_dir(tmp.path())
        .args(["check", "mine/variant.ron"])
        .output()
        .unwrap());
}

#[test]
fn init_refuses_a_base_that_does_not_load_and_a_name_that_cannot_be_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = shortfall()
        .arg("init")
        .args(["--from", "builtin:eu-2031"])
        .arg(tmp.path().join("x.ron"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!tmp.path().join("x.ron").exists());
    let out = shortfall()
        .arg("init")
        .arg(tmp.path().join(".hidden.ron"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{:?}", out);
}

#[test]
fn completions_cover_every_subcommand() {
    let bash = ok(&shortfall().args(["completions", "bash"]).output().unwrap());
    for word in [
        "init",
        "stress-cap",
        "sensitivity",
        "--target-se",
        "--format",
    ] {
        assert!(bash.contains(word), "{word} missing from the bash script");
    }
    let zsh = ok(&shortfall().args(["completions", "zsh"]).output().unwrap());
    assert!(zsh.starts_with("#compdef shortfall"), "{}", &zsh[..80]);
    let bad = shortfall().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// `--format json` prints exactly the JSON file the command wrote, and nothing else.
fn json_stdout_is_the_file(args: &[&str], dir: &Path, file: &str) -> serde_json::Value {
    let stdout = ok(&shortfall()
        .args(args)
        .args(["--quiet", "--no-charts", "--format", "json", "--out"])
        .arg(dir)
        .output()
        .unwrap());
    let written = fs::read_to_string(dir.join(file)).unwrap();
    // The document itself, with a final newline on stdout where the file has none.
    assert_eq!(stdout.trim_end(), written.trim_end(), "{file}");
    assert!(stdout.ends_with('\n'));
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn format_json_prints_the_result_document_of_run_and_compare() {
    let tmp = tempfile::tempdir().unwrap();
    let v = json_stdout_is_the_file(
        &["run", SCENARIO, "--paths", "4096"],
        &tmp.path().join("run"),
        "summary.json",
    );
    assert_eq!(v["paths"], 4096);
    let v = json_stdout_is_the_file(
        &["compare", SCENARIO, SCENARIO, "--paths", "2048"],
        &tmp.path().join("compare"),
        "comparison.json",
    );
    assert!(v.is_object());
}

#[test]
fn target_se_alone_starts_from_one_batch_not_the_default_paths() {
    let tmp = tempfile::tempdir().unwrap();
    ok(&shortfall()
        .args([
            "run",
            SCENARIO,
            "--target-se",
            "0.01",
            "--quiet",
            "--no-charts",
        ])
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    // Any probability's standard error is below 0.01 after 8,192 paths (at most 0.0055).
    assert_eq!(manifest["paths"], 8192, "{manifest}");
    assert_eq!(manifest["target_reached"], true);
}

#[test]
fn an_experiment_says_when_it_rounds_paths_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = shortfall()
        .args(["compare", SCENARIO, SCENARIO, "--paths", "10", "--quiet"])
        .args(["--no-charts", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--paths 10 rounded up to 16,384"),
        "{stderr}"
    );
}

#[test]
fn a_quick_run_does_not_silently_replace_a_longer_one() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |paths: &str, extra: &[&str]| {
        shortfall()
            .args(["run", SCENARIO, "--paths", paths, "--quiet", "--no-charts"])
            .args(extra)
            .arg("--out")
            .arg(tmp.path())
            .output()
            .unwrap()
    };
    ok(&run("4096", &[]));
    let refused = run("2048", &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--replace"));
    let manifest = fs::read_to_string(tmp.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("\"paths\": 4096"), "{manifest}");
    ok(&run("2048", &["--replace"]));
    ok(&run("2048", &[])); // the same size again is fine
}

const BASE: &str = "tests/scenarios/good/extends-base.ron";
const CHILD: &str = "tests/scenarios/good/extends-child.ron";

#[test]
fn check_lists_what_an_extends_replacement_resets() {
    let text = ok(&shortfall().args(["check", CHILD]).output().unwrap());
    assert!(
        text.contains("disruptions[china-refining-licence] replaced whole"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&shortfall()
        .args(["check", CHILD, "--json"])
        .output()
        .unwrap()))
    .unwrap();
    let replaced = v["replaced_by_extends"].as_array().unwrap();
    assert!(replaced
        .iter()
        .any(|r| r["section"] == "disruptions" && r["name"] == "china-refining-licence"));
    // A map entry replaced whole: the child's Chilean refining capacity.
    assert!(
        text.contains(
            "countries.Chile.capacity.lithium[refining] replaced whole\n  tonnes_per_year: 60000.0 → 80000.0"
        ),
        "{text}"
    );
    assert!(
        text.contains("blocs.EU.sourcing.lithium[refining] replaced whole"),
        "{text}"
    );
    // Distributions as read, in their written form.
    let inputs = v["inputs"]["disruptions"].as_array().unwrap();
    let d = inputs
        .iter()
        .find(|d| d["name"] == "china-refining-licence")
        .unwrap();
    assert_eq!(d["annual_probability"], "Uniform(min: 0.05, max: 0.2)");
}

#[test]
fn check_diff_and_compare_say_what_b_changes() {
    let text = ok(&shortfall()
        .args(["check", "--diff", BASE, CHILD])
        .output()
        .unwrap());
    for line in [
        "horizon.start: 2026-01 → 2027-01",
        "disruptions[chile-nationalisation]",
        "blocs.EU.sourcing.lithium.refining",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    // compare says it too, in the terminal and report.html (same horizon on both sides).
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("capped.ron");
    let base = fs::canonicalize(BASE).unwrap();
    fs::write(
        &b,
        format!(
            "Scenario(version: 1, extends: {:?}, supplier_cap: (level: 0.8, blocs: [\"EU\"]))\n",
            base.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = ok(&shortfall()
        .args(["compare", BASE])
        .arg(&b)
        .args(["--paths", "2048", "--quiet", "--out"])
        .arg(tmp.path().join("cmp"))
        .output()
        .unwrap());
    assert!(out.contains("What B changes in A's inputs"), "{out}");
    assert!(out.contains("supplier_cap: (none) → "), "{out}");
    let html = fs::read_to_string(tmp.path().join("cmp/report.html")).unwrap();
    assert!(html.contains("What B changes in the inputs"));
}
