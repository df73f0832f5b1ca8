//! Tail attribution on a two-process scenario worked out by hand (docs/model.md, "Tail
//! attribution").
//!
//! One material, one stage: A supplies 60% of the EU, B 40%, and nobody has spare capacity, so a
//! cut is lost one for one. "ban" stops A's exports in months 0–5 on every path (60 t a month);
//! "quake" halves B's capacity from its onset to past the horizon (20 t a month), with a monthly
//! hazard of 0.1, so it starts in month 0 on 1 − e^−0.1 = 9.5% of paths. Those paths are the
//! worst: 6 × 80 + 6 × 20 = 600 t, half the year's 1,200 t (a later quake gives at most 580 t).
//! So the worst 5% are all month-0 quakes. In their months 0–5 the 80 t shortfall splits in
//! proportion to the direct cuts, ban 1 × 0.6 against quake 0.5 × 0.4: 60 t and 20 t; in months
//! 6–11 the quake carries all 20 t. Ban 360 t (60%), quake 240 t (40%), both active in every tail
//! path.

mod common;

use shortfall::Summary;

const SCENARIO: &str = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 12),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) },
    countries: {
        "A": (capacity: { "x": { "processing": (tonnes_per_year: 720, utilisation: 1.0) } }),
        "B": (capacity: { "x": { "processing": (tonnes_per_year: 480, utilisation: 1.0) } }),
    },
    blocs: {
        "EU": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "processing": { "A": 0.6, "B": 0.4 } } }),
    },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         scheduled_start: "2026-01", duration_months: 6, severity: 1.0),
        (name: "quake", kind: Disaster, countries: ["B"], materials: ["x"],
         rate_per_year: 1.2, duration_months: 600, severity: 0.5, tension_sensitivity: 0),
    ],
)"#;

fn summary(paths: u64, threads: usize) -> Summary {
    common::summary(&common::model(SCENARIO), 11, paths, threads)
}

#[test]
fn two_processes_split_the_tail_as_worked_out_by_hand() {
    let s = summary(20_000, 2);
    assert_eq!(s.tail_attribution.len(), 2, "the EU's some-material and x");
    for a in &s.tail_attribution {
        assert!((a.tail_share - 0.05).abs() < 1e-12, "{a:?}");
        // The tail starts in the bin holding a worst-year share of exactly 0.5.
        assert_eq!(a.threshold_share, 0.5, "{a:?}");
        let names: Vec<&str> = a.processes.iter().map(|p| p.process.as_str()).collect();
        assert_eq!(names, ["ban", "quake"], "{a:?}");
        let (ban, quake) = (&a.processes[0], &a.processes[1]);
        assert!((ban.shortfall_share - 0.6).abs() < 1e-9, "{a:?}");
        assert!((quake.shortfall_share - 0.4).abs() < 1e-9, "{a:?}");
        assert!((ban.active_share - 1.0).abs() < 1e-9, "{a:?}");
        assert!((quake.active_share - 1.0).abs() < 1e-9, "{a:?}");
        assert!(a.unattributed_share < 1e-9, "{a:?}");
    }
    let cell = &s.tail_attribution[1];
    assert_eq!(cell.material.as_deref(), Some("x"));
    assert!((cell.mean_shortfall - 600.0).abs() < 1e-6, "{cell:?}");
    // The bloc's shortfall is valued at base prices: 600 t × USD 1,000/t.
    let bloc = &s.tail_attribution[0];
    assert_eq!(bloc.material, None);
    assert!((bloc.mean_shortfall - 600_000.0).abs() < 1e-3, "{bloc:?}");
}

#[test]
fn attribution_does_not_depend_on_the_thread_count() {
    // Chunks of 2,048 paths merge in order: the tables, and so the shares, are bit-identical.
    let one = summary(9_000, 1);
    let two = summary(9_000, 2);
    assert!(!one.tail_attribution.is_empty());
    assert_eq!(one.tail_attribution, two.tail_attribution);
}

#[test]
fn a_tail_wider_than_the_short_paths_takes_every_short_path() {
    // Without the ban and with a rare quake (1 − e^−0.03 ≈ 3% of paths), fewer than 5% of paths
    // are short: the tail is every short path, all carried by the quake.
    let text = SCENARIO
        .replace("severity: 1.0),", "severity: 0.0),")
        .replace("rate_per_year: 1.2", "rate_per_year: 0.03");
    let s = common::summary(&common::model(&text), 3, 10_000, 1);
    let a = &s.tail_attribution[1];
    let short = s.cells[0].probability_any_shortfall.p;
    assert!(short > 0.01 && short < 0.05, "{short}");
    assert!((a.tail_share - short).abs() < 1e-12, "{a:?}");
    assert_eq!(a.processes.len(), 1, "{a:?}");
    assert_eq!(a.processes[0].process, "quake");
    assert!((a.processes[0].shortfall_share - 1.0).abs() < 1e-9);
    assert!((a.processes[0].active_share - 1.0).abs() < 1e-9);
}
