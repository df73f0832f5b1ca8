//! The scenario corpus: every file in `tests/scenarios/good/` must load and compile, and every
//! file in `tests/scenarios/bad/` must fail with the messages its header promises
//! (practice from lumol-input's `tests/input.rs`).
//!
//! A bad file begins with comment lines saying what it must produce:
//!
//! ```text
//! // error: <text that must appear in the error report>   (one or more; all must appear)
//! // at: <line>:<column>                                  (optional)
//! ```
//!
//! `at` is checked as `<file name>:<line>:<column>:`, so the location must also name the file
//! itself, not a file it extends. One runner checks every file and lists every mismatch at once,
//! so a change to the messages is reviewed in one pass rather than one failure per run.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Fewer files than this means files went missing (an empty directory must not pass).
const MIN_GOOD: usize = 8;
const MIN_BAD: usize = 40;

const ANNOTATED_EXAMPLE: &str = "tests/scenarios/good/annotated-example.ron";
const DOC: &str = "docs/scenario-format.md";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.ron` files of one corpus directory, sorted so failures list in a stable order.
fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/scenarios").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "ron"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Load and compile exactly as `shortfall check` does; the error is the report an analyst sees.
fn load_and_compile(path: &Path) -> Result<(), String> {
    let spec = path.to_str().expect("corpus paths are UTF-8");
    let loaded = shortfall::load(spec).map_err(|e| e.to_string())?;
    shortfall::compile(&loaded).map_err(|e| e.to_string())?;
    Ok(())
}

/// What a bad file promises, read from its leading comment lines.
#[derive(Debug)]
struct Expectation {
    errors: Vec<String>,
    at: Option<(usize, usize)>,
}

fn expectation(text: &str) -> Result<Expectation, String> {
    let mut errors = Vec::new();
    let mut at = None;
    // Only the header counts: a `// error:` further down is an ordinary comment.
    for line in text
        .lines()
        .map(str::trim)
        .take_while(|l| l.starts_with("//"))
    {
        if let Some(e) = line.strip_prefix("// error:") {
            let e = e.trim();
            if e.is_empty() {
                return Err("an empty `// error:` line would match anything".into());
            }
            errors.push(e.to_string());
        } else if let Some(loc) = line.strip_prefix("// at:") {
            let parsed = loc
                .trim()
                .split_once(':')
                .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)));
            match parsed {
                Some(lc) => at = Some(lc),
                None => return Err(format!("`{line}` is not `// at: LINE:COLUMN`")),
            }
        }
    }
    if errors.is_empty() {
        return Err("no `// error:` line in the header; say what the file must produce".into());
    }
    Ok(Expectation { errors, at })
}

#[test]
fn good_scenarios_load_and_compile() {
    let files = corpus("good");
    assert!(
        files.len() >= MIN_GOOD,
        "expected at least {MIN_GOOD} files in tests/scenarios/good, found {}",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            load_and_compile(path)
                .err()
                .map(|e| format!("{}:\n{e}", file_name(path)))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} good scenarios are refused:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_scenarios_fail_with_the_promised_messages() {
    let files = corpus("bad");
    assert!(
        files.len() >= MIN_BAD,
        "expected at least {MIN_BAD} files in tests/scenarios/bad, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let name = file_name(path);
        let text = std::fs::read_to_string(path).expect("readable corpus file");
        let expected = match expectation(&text) {
            Ok(e) => e,
            Err(why) => {
                failures.push(format!("{name}: bad header: {why}"));
                continue;
            }
        };
        let report = match load_and_compile(path) {
            Ok(()) => {
                failures.push(format!("{name}: accepted, but it must fail"));
                continue;
            }
            Err(report) => report,
        };
        let mut problems: Vec<String> = expected
            .errors
            .iter()
            .filter(|e| !report.contains(e.as_str()))
            .map(|e| format!("missing `{e}`"))
            .collect();
        if let Some((line, column)) = expected.at {
            let located = format!("{name}:{line}:{column}:");
            if !report.contains(&located) {
                problems.push(format!("no issue located at `{located}`"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name}: {}; the report was:\n{report}",
                problems.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad scenarios do not fail as promised:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The example in the format documentation is the corpus file, word for word, so the test above
/// proves the documented example is valid.
#[test]
fn documented_example_is_the_corpus_file() {
    let example =
        std::fs::read_to_string(root().join(ANNOTATED_EXAMPLE)).expect("annotated example");
    let doc = std::fs::read_to_string(root().join(DOC)).expect("format documentation");
    assert!(
        doc.contains(example.trim_end()),
        "{DOC} must contain {ANNOTATED_EXAMPLE} verbatim in a ```ron block; copy the file into the document"
    );
}

/// `shortfall check PATH`, run from the crate root as an analyst would.
fn run_check(path: &Path) -> std::process::Output {
    Command::cargo_bin("shortfall")
        .expect("the shortfall binary")
        .current_dir(root())
        .arg("check")
        .arg(path)
        .output()
        .expect("run shortfall check")
}

/// Bad input is an error for the analyst, never a crash: exit code 2, a message, no panic.
#[test]
fn check_exits_2_on_every_bad_scenario_without_panicking() {
    let mut failures = Vec::new();
    for path in corpus("bad") {
        let output = run_check(&path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let crashed = [&stderr, &stdout]
            .iter()
            .any(|s| s.contains("panicked") || s.contains("stack backtrace"));
        if output.status.code() != Some(2) || crashed || !stderr.starts_with("error: ") {
            failures.push(format!(
                "{}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                file_name(&path),
                output.status.code()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "`shortfall check` mishandled bad scenarios:\n\n{}",
        failures.join("\n")
    );
}

#[test]
fn check_exits_0_on_every_good_scenario() {
    let mut failures = Vec::new();
    for path in corpus("good") {
        let output = run_check(&path);
        if !output.status.success() {
            failures.push(format!(
                "{}: exit {:?}\n{}",
                file_name(&path),
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "`shortfall check` refused good scenarios:\n\n{}",
        failures.join("\n")
    );
}

#[test]
fn check_shows_the_annotated_example() {
    let output = run_check(Path::new(ANNOTATED_EXAMPLE));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Scenario gallium-graphite-demo"),
        "stdout:\n{stdout}"
    );
}
