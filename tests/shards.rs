//! `run --shard I/N` and `merge`: shards merged in any order give, byte for byte, the files of
//! one run with the same seed and paths; a missing, duplicated, foreign, truncated or altered
//! shard is refused with exit 2 and its file named, and nothing is written.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

const SMALL: &str = "tests/scenarios/good/tension-triggers.ron";
/// Three chunks of 2,048 paths (the last one short), so three shards of one chunk each.
const PATHS: &str = "5000";

fn ok(out: std::process::Output) -> std::process::Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn one_run(scenario: &str, seed: &str, dir: &Path) {
    ok(shortfall()
        .args(["run", scenario, "--paths", PATHS, "--seed", seed])
        .args(["--quiet", "--no-charts", "--out"])
        .arg(dir)
        .output()
        .unwrap());
}

/// Run shard `i` of `n` into `dir`; returns the shard file.
fn shard(scenario: &str, seed: &str, i: u64, n: u64, dir: &Path) -> PathBuf {
    ok(shortfall()
        .args(["run", scenario, "--paths", PATHS, "--seed", seed, "--quiet"])
        .args(["--threads", "1", "--shard", &format!("{i}/{n}"), "--out"])
        .arg(dir)
        .output()
        .unwrap());
    dir.join(format!("shard-{i:04}-of-{n:04}.json"))
}

fn merge(files: &[&Path], out: &Path) -> std::process::Output {
    shortfall()
        .arg("merge")
        .args(files)
        .args(["--no-charts", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// Exit 2, the message naming `needle` (a file), and no output folder left behind.
fn refused(out: std::process::Output, needle: &str, dir: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!dir.exists(), "{} was written", dir.display());
}

const SAME_FILES: [&str; 4] = [
    "summary.json",
    "summary.csv",
    "timeseries.csv",
    "check.json",
];

#[test]
fn three_shards_of_eu_2030_merge_to_one_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = "builtin:eu-2030";
    one_run(scenario, "7", &tmp.path().join("one"));
    let files: Vec<PathBuf> = (0..3)
        .map(|i| shard(scenario, "7", i, 3, &tmp.path().join("shards")))
        .collect();
    let refs: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    let out = tmp.path().join("merged");
    ok(merge(&refs, &out));
    for f in SAME_FILES {
        let a = fs::read(tmp.path().join("one").join(f)).unwrap();
        let b = fs::read(out.join(f)).unwrap();
        assert!(a == b, "{f} differs between one run and the merge");
    }
    // The manifest too, but for what only one execution can say (docs/scale-out.md).
    let manifest = |dir: &Path| {
        let text = fs::read_to_string(dir.join("manifest.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in ["elapsed_seconds", "started_at", "command", "threads"] {
            v.as_object_mut().unwrap().remove(key);
        }
        v
    };
    assert_eq!(manifest(&tmp.path().join("one")), manifest(&out));
}

#[test]
fn shards_merge_identically_in_any_order() {
    let tmp = tempfile::tempdir().unwrap();
    one_run(SMALL, "3", &tmp.path().join("one"));
    let dir = tmp.path().join("shards");
    let f: Vec<PathBuf> = (0..3).map(|i| shard(SMALL, "3", i, 3, &dir)).collect();
    let one = fs::read(tmp.path().join("one/summary.json")).unwrap();
    for (k, order) in [[2, 0, 1], [1, 2, 0], [0, 1, 2]].iter().enumerate() {
        let out = tmp.path().join(format!("merged-{k}"));
        let files: Vec<&Path> = order.iter().map(|&i| f[i].as_path()).collect();
        ok(merge(&files, &out));
        assert!(
            fs::read(out.join("summary.json")).unwrap() == one,
            "order {order:?} changed summary.json"
        );
    }
}

#[test]
fn bad_shard_sets_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("shards");
    let f: Vec<PathBuf> = (0..3).map(|i| shard(SMALL, "3", i, 3, &dir)).collect();
    let name = |p: &Path| p.display().to_string();
    let out = t.join("out");

    // Missing: the gap and the missing shard are named.
    refused(merge(&[&f[0], &f[2]], &out), "1/3", &out);
    // Duplicated.
    refused(
        merge(&[&f[0], &f[1], &f[1], &f[2]], &out),
        &name(&f[1]),
        &out,
    );
    // Another seed.
    let other_seed = shard(SMALL, "4", 1, 3, &t.join("seed4"));
    let err = merge(&[&f[0], &other_seed, &f[2]], &out);
    refused(err, &name(&other_seed), &out);
    // Another scenario.
    let other = shard(
        "tests/scenarios/good/minimal.ron",
        "3",
        1,
        3,
        &t.join("minimal"),
    );
    refused(merge(&[&f[0], &other, &f[2]], &out), &name(&other), &out);
    // Another program version (header edited; the body's checksum does not cover it).
    let text = fs::read_to_string(&f[1]).unwrap();
    let version = format!("\"program_version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version));
    let foreign = t.join("foreign-version.json");
    fs::write(
        &foreign,
        text.replacen(&version, "\"program_version\":\"0.0.1\"", 1),
    )
    .unwrap();
    refused(
        merge(&[&f[0], &foreign, &f[2]], &out),
        &name(&foreign),
        &out,
    );
    // Truncated.
    let bytes = fs::read(&f[1]).unwrap();
    let truncated = t.join("truncated.json");
    fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    refused(
        merge(&[&f[0], &truncated, &f[2]], &out),
        &name(&truncated),
        &out,
    );
    // One byte of the body altered.
    let mut altered = bytes.clone();
    let at = altered.len() - 50;
    altered[at] = if altered[at] == b'1' { b'2' } else { b'1' };
    let corrupt = t.join("corrupt.json");
    fs::write(&corrupt, &altered).unwrap();
    refused(
        merge(&[&f[0], &corrupt, &f[2]], &out),
        &name(&corrupt),
        &out,
    );
    // Not a shard at all.
    let junk = t.join("junk.json");
    fs::write(&junk, "{\"hello\": 1}\n").unwrap();
    refused(merge(&[&f[0], &junk, &f[2]], &out), &name(&junk), &out);
    // A folder holding another run.
    one_run(SMALL, "3", &t.join("taken"));
    let err = merge(&[&f[0], &f[1], &f[2]], &t.join("taken"));
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("holds another run"));
}

#[test]
fn shard_numbers_outside_the_run_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["5/4", "4/4", "0/0", "1", "a/b", "-1/4"] {
        let out = shortfall()
            .args(["run", SMALL, "--paths", "5000", "--quiet", "--shard", bad])
            .arg("--out")
            .arg(tmp.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--shard {bad}");
    }
    // More shards than chunks: 5,000 paths are 3 chunks.
    let out = shortfall()
        .args(["run", SMALL, "--paths", "5000", "--quiet", "--shard", "3/4"])
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most"));
}
