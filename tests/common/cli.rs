//! Driving the `shortfall` binary from a test (tests/report.rs, tests/report_pages.rs,
//! tests/sensitivity.rs, tests/sweep.rs): the command, a run on a scenario written into a
//! temporary folder, and the chart sizes a browser lays a report page out at.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

/// The `shortfall` binary of this build.
pub fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

/// What a successful run left: its output folder and what it printed.
pub struct Ran {
    /// The `--out` folder.
    pub out: PathBuf,
    /// Standard output.
    pub stdout: String,
}

/// Runs `shortfall SUBCOMMAND dir/scenario.ron REST -q --threads 2 --out dir/out` (`args` is
/// the subcommand, then the rest) on the scenario `text` written into `dir`; a failed run fails
/// the test with its standard error.
pub fn run_in(dir: &Path, text: &str, args: &[&str]) -> Ran {
    fs::create_dir_all(dir).unwrap();
    let scenario = dir.join("scenario.ron");
    fs::write(&scenario, text).unwrap();
    let out_dir = dir.join("out");
    let out = shortfall()
        .arg(args[0])
        .arg(&scenario)
        .args(&args[1..])
        .args(["-q", "--threads", "2", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ran {
        out: out_dir,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// Renders `page` in headless Chromium (Debian's `chromium`) with a measuring snippet added to
/// a copy beside it; returns each inlined chart's laid-out size (width, height), or None when
/// Chromium is not installed (CI installs it).
pub fn chart_sizes_in_chromium(page: &Path) -> Option<Vec<(u32, u32)>> {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Process::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })?;
    let html = fs::read_to_string(page).unwrap();
    let probe = "<script>document.body.setAttribute('data-charts', Array.from(document.querySelectorAll('figure svg')).map(function(s){var r=s.getBoundingClientRect();return Math.round(r.width)+'x'+Math.round(r.height);}).join(','));</script></body>";
    let dir = page.parent().unwrap();
    let probed = dir.join("probed.html");
    fs::write(&probed, html.replace("</body>", probe)).unwrap();
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
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
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
    Some(
        sizes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (w, h) = s.split_once('x').unwrap();
                (w.parse().unwrap(), h.parse().unwrap())
            })
            .collect(),
    )
}
