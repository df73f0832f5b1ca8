//! `shortfall sweep` as a user drives it, on a scenario whose answer is known by hand.

mod common;

use std::fs;

use common::cli::{run_in, shortfall};
use common::scenarios::STOCK;

#[test]
fn goal_seeking_finds_the_stockpile_that_covers_the_ban() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_in(
        dir.path(),
        STOCK,
        &[
            "sweep",
            "--set",
            "blocs.EU.stockpiles.x.initial_months=0:6:0.25",
            "--goal",
            "P(any) <= 1%",
            "--paths",
            "16384",
            "--no-charts",
        ],
    );
    let (out_dir, stdout) = (ran.out, ran.stdout);
    // Bisection on the 0.25-month grid: the first value found to meet the goal is 3 or 3.25,
    // a point of the axis, said in tonnes too.
    let answer: f64 = stdout
        .split("that meets it is ")
        .nth(1)
        .and_then(|rest| rest.split([' ', ',']).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no answer in {stdout}"));
    assert!(answer == 3.0 || answer == 3.25, "{stdout}");
    assert!(
        stdout.contains(" t at the first month's demand"),
        "{stdout}"
    );
    let csv = fs::read_to_string(out_dir.join("sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "scenario,point,blocs.EU.stockpiles.x.initial_months,bloc,material,metric,value,ci95_low,ci95_high,difference_from_first,difference_ci95_low,difference_ci95_high"
    );
    // At k = 0 the analytic P(any) is 1 − 0.95^5 = 0.22622.
    let p_any_at_zero: f64 = csv
        .lines()
        .find(|l| l.starts_with("stock,0,0,EU,x,P(any),"))
        .and_then(|l| l.split(',').nth(6))
        .and_then(|v| v.parse().ok())
        .expect("P(any) row at point 0");
    assert!((p_any_at_zero - 0.22622).abs() < 0.012, "{p_any_at_zero}");
}

#[test]
fn a_misspelt_path_exits_2_with_a_suggestion() {
    let out = shortfall()
        .args([
            "sweep",
            "--set",
            "disruptions.drc-cobalt-export-bann.annual_probability=0:0.5:0.1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean `drc-cobalt-export-ban`"),
        "{stderr}"
    );
}

/// The EU buys 1,200 t/yr of gallium, 90% from China and 10% from Japan, whose 360 t/yr at 2/3
/// utilisation leave 120 t/yr spare. A cap of 80% moves 120 t/yr: Japan's spare takes it. A cap
/// of 50% moves 480 t/yr: 360 t/yr are missing until Greece's 600 t/yr arrive in 2027-01 (no
/// delay, no ramp), so the EU complies from 2027-01 on every path.
const CAP_MARKET: &str = r#"Scenario(
    version: 1,
    name: "cap-market",
    horizon: (start: "2026-01", months: 36),
    materials: { "gallium": (strategic: true, stages: { "refining": () }, price: (base_usd_per_t: 300000)) },
    countries: {
        "China": (capacity: { "gallium": { "refining": (tonnes_per_year: 6000) } }),
        "Japan": (capacity: { "gallium": { "refining": (tonnes_per_year: 360, utilisation: 0.6666666666666666) } }),
        "Greece": (),
    },
    blocs: { "EU": (demand: { "gallium": (tonnes_per_year: 1200) },
                    sourcing: { "gallium": { "refining": { "China": 0.9, "Japan": 0.1 } } }) },
    new_capacity: [
        (name: "greece", country: "Greece", material: "gallium", stage: "refining",
         tonnes_per_year: 600, online: "2027-01", ramp_months: 0),
    ],
    disruptions: [],
)"#;

#[test]
fn a_cap_sweep_with_a_binding_month_says_when_each_level_complies_and_marks_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = run_in(
        dir.path(),
        CAP_MARKET,
        &[
            "sweep",
            "--cap",
            "0.5,0.8",
            "--binds-from",
            "2026-01",
            "--paths",
            "16384",
        ],
    )
    .out;
    let csv = fs::read_to_string(out_dir.join("sweep-compliance.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows,
        [
            "scenario,point,material,compliance_month_p10,compliance_month_median,compliance_month_p90,p_not_compliant_by_end",
            "cap-market,supplier_cap.level=0.5,gallium,2027-01,2027-01,2027-01,0",
            "cap-market,supplier_cap.level=0.8,gallium,2026-01,2026-01,2026-01,0",
        ],
        "{csv}"
    );
    // The chart marks the CRMA's 65% and shades the levels that cannot be met today.
    let svg = fs::read_dir(out_dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "svg"))
        .map(|p| fs::read_to_string(p).unwrap())
        .expect("a sweep chart");
    assert!(svg.contains("CRMA benchmark: 65%"), "no 65% mark");
    assert!(
        svg.contains("cap cannot be met here (gallium)"),
        "no infeasible band"
    );
    // A bad month is a located usage error, exit 2.
    let bad = shortfall()
        .args(["sweep"])
        .arg(dir.path().join("scenario.ron"))
        .args([
            "--cap",
            "0.5,0.8",
            "--binds-from",
            "2030-13",
            "-q",
            "--no-charts",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// A goal over a static cap runs its highest level first and re-solves, at each level its
/// bisection picks, only the materials the cap moves there (`reuse::Runner::recomputing_breaches`,
/// told the axis's grid ahead). Its points read to the byte as a grid sweep of the same levels
/// (whose exactness against full re-solves tests/reuse.rs checks): the runs made ahead land on
/// their points, and the levels the bisection asks for are those announced.
#[test]
fn a_goal_over_a_cap_reads_as_the_grid_sweep_of_the_levels_it_ran() {
    let eu2030 = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/eu-2030.ron"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let common = ["--paths", "2048", "--no-charts"];
    let goal = run_in(
        &dir.path().join("goal"),
        &eu2030,
        &[
            &[
                "sweep",
                "--cap",
                "0.5:1:0.05",
                "--goal",
                "P95 shortfall <= 28%",
            ][..],
            &common,
        ]
        .concat(),
    );
    let goal_csv = fs::read_to_string(goal.out.join("sweep.csv")).unwrap();
    // The levels the bisection ran, in ascending order (the third column).
    let mut levels: Vec<&str> = goal_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    levels.dedup();
    // Both ends and at least one level between: the bisection ran, and the highest level too.
    assert!(levels.len() >= 3, "{levels:?}");
    assert_eq!(levels.last(), Some(&"1"), "{levels:?}");
    assert!(levels.len() < 11, "the goal ran the whole grid: {levels:?}");
    let grid = run_in(
        &dir.path().join("grid"),
        &eu2030,
        &[&["sweep", "--cap", &levels.join(",")][..], &common].concat(),
    );
    let grid_csv = fs::read_to_string(grid.out.join("sweep.csv")).unwrap();
    assert_eq!(goal_csv, grid_csv);
}
