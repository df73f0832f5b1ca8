//! `shortfall sweep` as a user drives it, on a scenario whose answer is known by hand.

use std::fs;

use assert_cmd::Command;

/// One supplier, one bloc; a full 3-month export ban with annual probability 0.05. A stockpile
/// of k months (released in full, refilled within a month, no substitution to share the load)
/// covers a ban iff k >= 3, so
/// P(any shortfall) falls from 1 − 0.95^5 ≈ 22.6% at k = 0 to ~0.1% at k = 3: what is left
/// are bans that start within about a month of the previous one's end, before the stock has
/// refilled (rate 0.051/12 a month × 0.26 bans a path).
const STOCK: &str = r#"Scenario(
    version: 1,
    name: "stock",
    horizon: (start: "2026-01", months: 60),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, max_substitution: 0)) },
    countries: { "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }) },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200) },
                    stockpiles: { "x": (initial_months: 0, refill_months: 1) }) },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: 0.05, duration_months: 3, severity: 1.0),
    ],
)"#;

#[test]
fn goal_seeking_finds_the_stockpile_that_covers_the_ban() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stock.ron");
    fs::write(&file, STOCK).unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .args(["sweep"])
        .arg(&file)
        .args([
            "--set",
            "blocs.EU.stockpiles.x.initial_months=0:6:0.25",
            "--goal",
            "P(any) <= 1%",
            "--paths",
            "16384",
            "-q",
            "--no-charts",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bisection to 0.25 months: the first value found to meet the goal is in [3, 3.25].
    let answer: f64 = stdout
        .split("that meets it is ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no answer in {stdout}"));
    assert!((3.0..=3.25).contains(&answer), "{stdout}");
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
    let out = Command::cargo_bin("shortfall")
        .unwrap()
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
