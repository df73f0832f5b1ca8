//! `sweep --shard I/N`, `sensitivity --shard I/N` and `merge`: shards cut across variants and
//! sections, merged in any order, give the single-machine files byte for byte (sweep.json but
//! for its elapsed time and command line); bad sets are refused with exit 2 naming the file,
//! and nothing is written.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

const SMALL: &str = "tests/scenarios/good/tension-triggers.ron";
/// Two points of 8 sections (16,384 paths) each: 16 chunks, so 5 shards cut one point across
/// three shards and put both points in shard 2.
const SWEEP: [&str; 6] = [
    "sweep",
    SMALL,
    "--set",
    "disruptions.china-gallium-ban.annual_probability=0.1,0.3",
    "--paths",
    "2048",
];
/// Base, switch-offs and low/high: 10 variants of 8 sections for a sharded run, 6 on one
/// machine (--top 1).
const SENSITIVITY: [&str; 6] = ["sensitivity", SMALL, "--paths", "2048", "--top", "1"];

fn ok(out: std::process::Output) -> std::process::Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn one(cmd: &[&str], extra: &[&str], out: &Path) -> std::process::Output {
    ok(shortfall()
        .args(cmd)
        .args(extra)
        .args(["-q", "--out"])
        .arg(out)
        .output()
        .unwrap())
}

fn shards(cmd: &[&str], extra: &[&str], n: u64, dir: &Path) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            ok(shortfall()
                .args(cmd)
                .args(extra)
                .args([
                    "-q",
                    "--threads",
                    "1",
                    "--shard",
                    &format!("{i}/{n}"),
                    "--out",
                ])
                .arg(dir)
                .output()
                .unwrap());
            dir.join(format!("shard-{i:04}-of-{n:04}.json"))
        })
        .collect()
}

fn merge(files: &[&Path], out: &Path) -> std::process::Output {
    shortfall()
        .arg("merge")
        .args(files)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn same(a: &Path, b: &Path, file: &str) {
    let (x, y) = (
        fs::read(a.join(file)).unwrap(),
        fs::read(b.join(file)).unwrap(),
    );
    assert!(x == y, "{file} differs between one machine and the merge");
}

/// Exit 2, the message naming `needle`, and no output folder left behind.
fn refused(out: std::process::Output, needle: &str, dir: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!dir.exists(), "{} was written", dir.display());
}

#[test]
fn a_sharded_sweep_merges_to_the_single_machine_files() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let one_out = one(&SWEEP, &["--no-charts"], &t.join("one"));
    let f = shards(&SWEEP, &[], 5, &t.join("shards"));
    // Any order: the merge sorts by path.
    let files: Vec<&Path> = [3, 0, 4, 2, 1].iter().map(|&i| f[i].as_path()).collect();
    let merged = t.join("merged");
    let out = shortfall()
        .arg("merge")
        .args(&files)
        .args(["--no-charts", "--out"])
        .arg(&merged)
        .output()
        .unwrap();
    ok(out.clone());
    same(&t.join("one"), &merged, "sweep.csv");
    // sweep.json: byte for byte but for the two lines an execution writes about itself.
    let text = |dir: &Path| {
        let v: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("sweep.json")).unwrap()).unwrap();
        let mut v = v.as_object().unwrap().clone();
        assert!(v.remove("elapsed_seconds").is_some() && v.remove("command").is_some());
        serde_json::to_string_pretty(&v).unwrap()
    };
    assert_eq!(text(&t.join("one")), text(&merged));
    // The table printed is the same but for the time and the folder.
    let table = |o: &std::process::Output| {
        let s = String::from_utf8_lossy(&o.stdout).to_string();
        s.lines()
            .filter(|l| !l.contains(" paths in "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(table(&one_out), table(&out));
}

#[test]
fn a_sharded_sensitivity_merges_to_the_single_machine_files() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    one(&SENSITIVITY, &[], &t.join("one"));
    let f = shards(&SENSITIVITY, &[], 3, &t.join("shards"));
    let merged = t.join("merged");
    ok(merge(&[&f[2], &f[1], &f[0]], &merged));
    for file in [
        "sensitivity.json",
        "sensitivity.csv",
        "charts/tornado.svg",
        "charts/tornado.png",
    ] {
        same(&t.join("one"), &merged, file);
    }
}

#[test]
fn bad_experiment_shard_sets_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let f = shards(&SWEEP, &[], 3, &t.join("shards"));
    let name = |p: &Path| p.display().to_string();
    let out = t.join("out");

    // Missing.
    refused(merge(&[&f[0], &f[2]], &out), "1/3", &out);
    // Duplicated.
    refused(
        merge(&[&f[0], &f[1], &f[1], &f[2]], &out),
        &name(&f[1]),
        &out,
    );
    // Another seed.
    let seed = shards(&SWEEP, &["--seed", "5"], 3, &t.join("seed5"));
    refused(
        merge(&[&f[0], &seed[1], &f[2]], &out),
        &name(&seed[1]),
        &out,
    );
    // Another grid (same point count).
    let mut other = SWEEP;
    other[3] = "disruptions.china-gallium-ban.annual_probability=0.1,0.4";
    let g = shards(&other, &[], 3, &t.join("grid"));
    refused(merge(&[&f[0], &g[1], &f[2]], &out), &name(&g[1]), &out);
    // A run's shard among a sweep's.
    let run = t.join("run");
    ok(shortfall()
        .args([
            "run", SMALL, "--paths", "5000", "-q", "--shard", "1/3", "--out",
        ])
        .arg(&run)
        .output()
        .unwrap());
    let r = run.join("shard-0001-of-0003.json");
    refused(merge(&[&f[0], &r, &f[2]], &out), &name(&r), &out);
    // Truncated.
    let bytes = fs::read(&f[1]).unwrap();
    let truncated = t.join("truncated.json");
    fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    refused(
        merge(&[&f[0], &truncated, &f[2]], &out),
        &name(&truncated),
        &out,
    );
    // A folder holding another sweep.
    one(&SWEEP, &["--no-charts"], &t.join("taken"));
    let err = merge(&[&f[0], &f[1], &f[2]], &t.join("taken"));
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("holds another run"));
}

#[test]
fn experiment_shards_that_cannot_be_cut_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shards");
    let run = |extra: &[&str], shard: &str| {
        shortfall()
            .args(SWEEP)
            .args(extra)
            .args(["-q", "--shard", shard, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    for bad in ["2/2", "0/0", "a/b"] {
        assert_eq!(run(&[], bad).status.code(), Some(2), "--shard {bad}");
    }
    // 2 points × 8 sections are 16 chunks.
    let err = run(&[], "0/17");
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("at most"));
    // Goal seeking picks its points one after another.
    let err = run(&["--goal", "P95 <= 5%"], "0/2");
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("--goal"));
    assert!(!out.exists());
}
