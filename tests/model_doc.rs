//! Every worked example in docs/model.md, run on the kernel: the document states a number, the
//! test runs a tiny scenario that has that case and asserts the same number, exactly where the
//! case is deterministic and within a stated Monte Carlo tolerance otherwise. A test also checks
//! that the document still contains the sentence, so the example and its test move together.

use std::sync::atomic::AtomicBool;

use shortfall::kernel::CellMonth;
use shortfall::{finish, run, Model, PathRecord, RunConfig};

mod common;
use common::{model, one_material, Recorder};

fn doc_says(text: &str) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md"))
        .expect("docs/model.md");
    let flat = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(text), "docs/model.md no longer says: {text}");
}

/// The seed of every replayed path in this file.
const SEED: u64 = 20260101;

fn replay(m: &Model, path: u64) -> (Recorder, PathRecord) {
    common::replay(m, SEED, path)
}

/// Shortfall (or `f`) of cell 0 per month, 0 in skipped months.
fn series(trace: &Recorder, months: usize, f: impl Fn(&CellMonth) -> f64) -> Vec<f64> {
    common::series(trace, months, 0, f)
}

fn assert_close(found: &[f64], expected: &[f64]) {
    for (t, (f, e)) in found.iter().zip(expected).enumerate() {
        assert!((f - e).abs() < 1e-9, "month {t}: {f} vs {e} in {found:?}");
    }
}

/// Material `x`, suppliers A (contracted 100%, no spare) and B (no contracts, `b_spare` t/month
/// spare, ramp `b_ramp`), country C without capacity, bloc EU of 100 t a month; `inv` goes into
/// the bloc, `rest` at the top level.
fn scenario(b_spare: f64, b_ramp: f64, inv: &str, disruptions: &str, rest: &str) -> String {
    // B runs at half its capacity for the US: the other half is spare (or, with no spare, goes
    // to unmodelled uses).
    let b_cap = 24.0 * b_spare.max(1.0);
    let b_half = 12.0 * b_spare.max(1.0);
    let b_util = if b_spare > 0.0 { 0.5 } else { 1.0 };
    let countries = format!(
        r#"
        "A": (capacity: {{ "x": {{ "processing": (tonnes_per_year: 1200, utilisation: 1.0) }} }}),
        "B": (capacity: {{ "x": {{ "processing": (tonnes_per_year: {b_cap}, utilisation: {b_util}, ramp_up_months: {b_ramp}) }} }}),
        "C": (),
"#
    );
    let blocs = format!(
        r#"
        "EU": (demand: {{ "x": (tonnes_per_year: 1200) }},
               sourcing: {{ "x": {{ "processing": {{ "A": 1.0 }} }} }}, {inv}),
        "US": (demand: {{ "x": (tonnes_per_year: {b_half}) }},
               sourcing: {{ "x": {{ "processing": {{ "B": 1.0 }} }} }}),
"#
    );
    one_material(&countries, &blocs, disruptions, rest)
}

fn event(name: &str, kind: &str, start: &str, months: f64, severity: f64, extra: &str) -> String {
    format!(
        r#"(name: "{name}", kind: {kind}, countries: ["A"], materials: ["x"], target_blocs: [],
            scheduled_start: "{start}", duration_months: {months}, severity: {severity}, {extra}),"#
    )
    .replace(
        "target_blocs: [], ",
        if kind.starts_with("Export") {
            "target_blocs: [\"EU\"], "
        } else {
            ""
        },
    )
}

// ---- Disruption onsets ----

/// Onsets of process 0 in months 0..12 over `paths` paths: their mean.
fn first_year_onsets(process: &str, paths: u64) -> f64 {
    let m = model(&scenario(0.0, 0.0, "", process, ""));
    let mut total = 0usize;
    for path in 0..paths {
        let (trace, _) = replay(&m, path);
        total += trace.episodes.iter().filter(|e| e.1 < 12).count();
    }
    total as f64 / paths as f64
}

#[test]
fn rate_24_per_year_gives_about_10_4_onsets_in_a_calm_year() {
    doc_says("(λ = 24/yr gives 10.4)");
    // Exactly 12 (1 − e^(−2)) = 10.376 for a process that is never paused (duration 0). The
    // count per path is a sum of 12 Bernoulli(0.865): sd 1.18, so 4,000 paths give se 0.019;
    // tolerance 0.08 (4 se).
    let process = r#"(name: "p", kind: Accident, countries: ["A"], materials: ["x"],
        rate_per_year: 24, duration_months: 0, severity: 0.5),"#;
    let mean = first_year_onsets(process, 4000);
    let exact = 12.0 * (1.0 - (-2.0f64).exp());
    assert!((exact - 10.376).abs() < 1e-3);
    assert!((mean - exact).abs() < 0.08, "{mean} vs {exact}");
}

#[test]
fn rate_2_per_year_with_3_month_episodes_gives_about_1_45_onsets() {
    doc_says("λ = 2/yr with 3-month episodes gives about 1.45 onsets in a first year");
    // The document rounds; the exact value of this Markov chain is 1.4545 (computed below by
    // dynamic programming over "months until the process may start again"). 20,000 paths:
    // sd ≈ 0.75, se ≈ 0.0053; tolerance 0.025.
    let h = 1.0 - (-2.0f64 / 12.0).exp();
    // p[k]: probability the process is paused for k more months at the start of a month.
    let mut p = [1.0, 0.0, 0.0];
    let mut expected = 0.0;
    for _ in 0..12 {
        let onset = p[0] * h;
        expected += onset;
        p = [p[0] * (1.0 - h) + p[1], p[2], onset];
    }
    assert!((expected - 1.45).abs() < 0.01, "{expected}");
    let process = r#"(name: "p", kind: Accident, countries: ["A"], materials: ["x"],
        rate_per_year: 2, duration_months: 3, severity: 0.5),"#;
    let mean = first_year_onsets(process, 20_000);
    assert!((mean - expected).abs() < 0.025, "{mean} vs {expected}");
}

#[test]
fn an_annual_probability_p_gives_no_onset_in_a_year_with_probability_1_minus_p() {
    doc_says("has no onset in a given year with probability e^(−λ_p) = 1 − p exactly");
    // p = 0.3, 20,000 paths: se of the share 0.0032; tolerance 0.013 (4 se).
    let m = model(&scenario(
        0.0,
        0.0,
        "",
        r#"(name: "p", kind: Accident, countries: ["A"], materials: ["x"],
            annual_probability: 0.3, duration_months: 0.5, severity: 0.5),"#,
        "",
    ));
    let paths = 20_000;
    let none = (0..paths)
        .filter(|&path| replay(&m, path).0.episodes.iter().all(|e| e.1 >= 12))
        .count();
    let share = none as f64 / paths as f64;
    assert!((share - 0.7).abs() < 0.013, "{share}");
}

// ---- Episodes and the month solve ----

#[test]
fn two_capacity_losses_of_30_and_50_percent_leave_35_percent() {
    doc_says(
        "two capacity losses of 30% and 50% on one supplier leave 0.7 × 0.5 = 35% of its capacity",
    );
    // A supplies all the EU's 100 t a month at full utilisation, no spare anywhere: 35 t arrive.
    let events = [
        event("conflict", "Conflict", "2026-01", 6.0, 0.3, ""),
        event("disaster", "Disaster", "2026-01", 6.0, 0.5, ""),
    ]
    .concat();
    let (trace, _) = replay(&model(&scenario(0.0, 0.0, "", &events, "")), 0);
    let short = series(&trace, 24, |c| c.shortfall);
    assert_close(&short[..7], &[65.0, 65.0, 65.0, 65.0, 65.0, 65.0, 0.0]);
}

#[test]
fn spare_ramps_from_a_standing_start_one_step_a_month() {
    doc_says("From a standing start the limit is S⁰G/ramp_k in the first month of rerouting, twice that in the second, and so on: the full calm spare is online in the ⌈ramp_k⌉-th month");
    // B has 20 t/month calm spare and a ramp of 4 months; a full ban of A on the EU: B reroutes
    // 5, 10, 15, 20, 20, … t a month, so the EU is short 95, 90, 85, 80, 80, …
    let ban = event("ban", "ExportBan", "2026-01", 600.0, 1.0, "");
    let (trace, _) = replay(&model(&scenario(20.0, 4.0, "", &ban, "")), 0);
    let short = series(&trace, 24, |c| c.shortfall);
    assert_close(&short[..6], &[95.0, 90.0, 85.0, 80.0, 80.0, 80.0]);
    // A ramp of 2.5 months: 8, 16, 20 (full spare in the ⌈2.5⌉ = 3rd month).
    let (trace, _) = replay(&model(&scenario(20.0, 2.5, "", &ban, "")), 0);
    assert_close(
        &series(&trace, 24, |c| c.shortfall)[..4],
        &[92.0, 84.0, 80.0, 80.0],
    );
}

#[test]
fn two_separate_three_month_spells_give_a_longest_run_of_three() {
    doc_says("Two separate 3-month short spells of a cell without a stockpile, with calm months between them, give a longest run (`months_to_recovery`) of 3.");
    let events = [
        event("first", "ExportBan", "2026-01", 3.0, 1.0, ""),
        event("second", "ExportBan", "2026-07", 3.0, 1.0, ""),
    ]
    .concat();
    let (_, record) = replay(&model(&scenario(0.0, 0.0, "", &events, "")), 0);
    assert_eq!(record.cells[0].months_short, 6);
    assert_eq!(record.cells[0].longest_run_months, 3);
}

#[test]
fn month_count_quantiles_are_exact() {
    doc_says("The quantiles of months in shortfall and months to recovery (value and interval ends) and the two conditional medians are the bin midpoint **rounded down**, which is exactly n.");
    // A certain 7-month full ban with no spare: 7 months short, a run of 7, on every path.
    let ban = event("ban", "ExportBan", "2026-03", 7.0, 1.0, "");
    let m = model(&scenario(0.0, 0.0, "", &ban, ""));
    let cfg = RunConfig {
        seed: 5,
        paths: 500,
        threads: 2,
        target_se: None,
        max_paths: 500,
    };
    let out = run(&m, &cfg, &AtomicBool::new(false), |_, _| {}).unwrap();
    let s = finish(&out.plan.layout, &out.acc);
    let eu = &s.cells[0];
    for q in &eu.months_in_shortfall.quantiles {
        assert_eq!(q.value, 7.0, "{q:?}");
        assert_eq!((q.ci95.low, q.ci95.high), (7.0, 7.0));
    }
    for q in &eu.months_to_recovery.quantiles {
        assert_eq!(q.value, 7.0, "{q:?}");
    }
    // First short month is month index 2, reported 1-based.
    assert_eq!(eu.median_first_shortfall_month, Some(3.0));
}

// ---- The buffers (issue 10) ----

#[test]
fn licence_cut_with_half_life_2_and_residual_0_2() {
    doc_says("σ = 1, h = 2, r = 0.2 give cuts of 1.0, 0.766, 0.6, 0.483, 0.4, … of the contracted flow in months 0, 1, 2, 3, 4;");
    let licence = event(
        "licence",
        "ExportLicence",
        "2026-01",
        12.0,
        1.0,
        "licence_recovery: (half_life_months: 2, residual_share: 0.2)",
    );
    let (trace, _) = replay(&model(&scenario(0.0, 0.0, "", &licence, "")), 0);
    let gap = series(&trace, 24, |c| c.import_gap);
    for (n, cut) in [1.0, 0.766, 0.6, 0.483, 0.4].iter().enumerate() {
        // The document rounds to three decimals.
        assert!((gap[n] / 100.0 - cut).abs() < 5e-4, "month {n}: {}", gap[n]);
    }
    assert!((gap[2] - 60.0).abs() < 1e-9 && (gap[4] - 40.0).abs() < 1e-9);
}

#[test]
fn licence_cut_with_a_processing_time_of_1_5_months() {
    doc_says("with a processing time of 1.5 months the cuts are 1.0, 1.0, 0.873, 0.676, 0.536, … (month 2 has n = 0.5: 0.2 + 0.8 · 2^(−0.25) = 0.873).");
    let licence = event(
        "licence",
        "ExportLicence",
        "2026-01",
        12.0,
        1.0,
        "licence_recovery: (half_life_months: 2, residual_share: 0.2, processing_months: 1.5)",
    );
    let (trace, _) = replay(&model(&scenario(0.0, 0.0, "", &licence, "")), 0);
    let gap = series(&trace, 24, |c| c.import_gap);
    for (n, cut) in [1.0, 1.0, 0.873, 0.676, 0.536].iter().enumerate() {
        assert!((gap[n] / 100.0 - cut).abs() < 5e-4, "month {n}: {}", gap[n]);
    }
    assert!((gap[2] - 100.0 * (0.2 + 0.8 * (-0.25f64).exp2())).abs() < 1e-9);
}

#[test]
fn leakage_of_a_quarter_leaves_an_import_gap_of_75() {
    doc_says("a full ban with ℓ = 0.25 on a supplier of 100 t/month leaves an import gap of 75 t/month (25% less)");
    let ban = event(
        "ban",
        "ExportBan",
        "2026-01",
        3.0,
        1.0,
        "leakage_share: 0.25",
    );
    let (trace, record) = replay(&model(&scenario(0.0, 0.0, "", &ban, "")), 0);
    assert_close(
        &series(&trace, 24, |c| c.import_gap)[..4],
        &[75.0, 75.0, 75.0, 0.0],
    );
    assert_close(
        &series(&trace, 24, |c| c.shortfall)[..4],
        &[75.0, 75.0, 75.0, 0.0],
    );
    assert!((record.cells[0].import_gap_t - 225.0).abs() < 1e-9);
}

#[test]
fn two_months_of_cover_against_a_three_month_ban() {
    doc_says("a bloc with 2 months of cover facing a 3-month full ban of its only supplier, no spare elsewhere: consumption shortfall = 1 month of need (in the third month), import gap = 3 months of need.");
    let ban = event("ban", "ExportBan", "2026-01", 3.0, 1.0, "");
    let inv = "inventories: { \"x\": (cover_months: 2) }";
    let (trace, record) = replay(&model(&scenario(0.0, 0.0, inv, &ban, "")), 0);
    assert_close(
        &series(&trace, 24, |c| c.shortfall)[..4],
        &[0.0, 0.0, 100.0, 0.0],
    );
    assert!((record.cells[0].import_gap_t - 300.0).abs() < 1e-9);
    // "A ban shorter than the cover leaves no shortfall at all."
    let short_ban = event("ban", "ExportBan", "2026-01", 2.0, 1.0, "");
    let (_, record) = replay(&model(&scenario(0.0, 0.0, inv, &short_ban, "")), 0);
    assert_eq!(record.cells[0].months_short, 0);
}

#[test]
fn prebuying_with_share_1_room_4_and_a_1_month_announcement() {
    doc_says("in the announcement month the bloc pulls forward min(400 − 200, 1 × 100) = 100 t, so a 4-month full ban with no spare leaves 400 − 300 = 100 t short; with `prebuy_share` 3 it pulls forward the whole room, 200 t, and nothing is short; with 2 months' notice and share 1 it buys 100 t in each month.");
    let run_case = |lead: u32, share: f64| {
        let ban = event(
            "ban",
            "ExportBan",
            "2026-04",
            4.0,
            1.0,
            &format!("announced_months: {lead}, prebuy_share: {share}"),
        );
        let inv = "inventories: { \"x\": (cover_months: 2, max_cover_months: 4) }";
        let (trace, record) = replay(&model(&scenario(0.0, 0.0, inv, &ban, "")), 0);
        (
            series(&trace, 24, |c| c.prebought),
            record.cells[0].total_short_t,
        )
    };
    let (pre, short) = run_case(1, 1.0);
    assert_close(&pre[..4], &[0.0, 0.0, 100.0, 0.0]);
    assert!((short - 100.0).abs() < 1e-9);
    let (pre, short) = run_case(1, 3.0);
    assert!((pre[2] - 200.0).abs() < 1e-9 && short == 0.0);
    let (pre, _) = run_case(2, 1.0);
    assert_close(&pre[..4], &[0.0, 100.0, 100.0, 0.0]);
}

#[test]
fn new_capacity_of_120_t_a_year_online_at_month_6_with_a_3_month_ramp() {
    doc_says("120 t/yr online at month 6 with a ramp of 3 months gives New = 0, 3.33, 6.67, 10, 10, … t/month in months 6, 7, 8, 9, 10; a delay of d whole months moves every value d months later.");
    let ban = event("ban", "ExportBan", "2026-01", 600.0, 1.0, "");
    let rerouted = |delay: u32| {
        let cap = format!(
            r#"new_capacity: [(name: "c", country: "C", material: "x", stage: "processing",
                tonnes_per_year: 120, online: "2026-07", delay_months: {delay}, ramp_months: 3)],"#
        );
        let (trace, _) = replay(&model(&scenario(0.0, 0.0, "", &ban, &cap)), 0);
        series(&trace, 24, |c| 100.0 - c.shortfall)
    };
    let on_time = rerouted(0);
    assert_close(
        &on_time[5..11],
        &[0.0, 0.0, 10.0 / 3.0, 20.0 / 3.0, 10.0, 10.0],
    );
    let late = rerouted(2);
    assert_close(
        &late[7..13],
        &[0.0, 0.0, 10.0 / 3.0, 20.0 / 3.0, 10.0, 10.0],
    );
}

#[test]
fn a_restart_at_ratio_2_after_3_months_delivers_from_month_3() {
    doc_says("a restart at (ratio 2, months 3) fires in month 2 and its capacity (ramp 0) delivers from month 3.");
    // The EU is half of world need (the US buys as much from B), so its full ban gives scarcity
    // 0.5 and π = 1 + 2 · 0.5 = 2.
    let ban = event("ban", "ExportBan", "2026-01", 600.0, 1.0, "");
    let cap = r#"new_capacity: [(name: "r", country: "C", material: "x", stage: "processing",
        tonnes_per_year: 240, restart_when_price_above: (ratio: 2, months: 3), ramp_months: 0)],"#;
    // B: 200 t/month, all produced (100 t for the US, 100 t to unmodelled uses), no spare.
    let text = scenario(100.0, 0.0, "", &ban, cap).replace("utilisation: 0.5", "utilisation: 1.0");
    let (trace, _) = replay(&model(&text), 0);
    let prices: Vec<f64> = trace.months.iter().take(3).map(|m| m.1).collect();
    assert_close(&prices, &[2.0, 2.0, 2.0]);
    let short = series(&trace, 24, |c| c.shortfall);
    assert_close(&short[..5], &[100.0, 100.0, 100.0, 80.0, 80.0]);
}

#[test]
fn a_feed_stock_of_3_months_against_mine_bans_of_1_to_5_months() {
    doc_says("a full mine ban of 1, 2 or 3 months leaves no import gap and no shortfall; a 5-month ban leaves 100 t in each of its last 2 months (100 · (5 − 3)); after a 3-month ban, a second 2-month ban is short 200 t (no substitution in these figures).");
    let text = |bans: &str| {
        format!(
            r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: {{ "x": (stages: {{ "mining": (), "refining": (draws_on: "mining", feed_stock_months: 3) }},
                         price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) }},
    countries: {{
        "M": (capacity: {{ "x": {{ "mining": (tonnes_per_year: 1200, utilisation: 1.0) }} }}),
        "R": (capacity: {{ "x": {{ "refining": (tonnes_per_year: 1200, utilisation: 1.0) }} }}),
    }},
    blocs: {{ "EU": (demand: {{ "x": (tonnes_per_year: 1200) }},
                      sourcing: {{ "x": {{ "mining": {{ "M": 1.0 }}, "refining": {{ "R": 1.0 }} }} }}) }},
    disruptions: [ {bans} ],
)"#
        )
    };
    let ban = |name: &str, start: &str, months: f64| {
        format!(
            r#"(name: "{name}", kind: ExportBan, countries: ["M"], materials: ["x"], stages: ["mining"],
                scheduled_start: "{start}", duration_months: {months}, severity: 1.0),"#
        )
    };
    for b in [1.0, 2.0, 3.0] {
        let (_, record) = replay(&model(&text(&ban("b", "2026-03", b))), 0);
        assert_eq!(record.cells[0].total_short_t, 0.0, "ban {b}");
        assert_eq!(record.cells[0].import_gap_t, 0.0, "ban {b}");
    }
    let (trace, _) = replay(&model(&text(&ban("b", "2026-03", 5.0))), 0);
    assert_close(
        &series(&trace, 24, |c| c.shortfall)[2..8],
        &[0.0, 0.0, 0.0, 100.0, 100.0, 0.0],
    );
    let two = format!("{}{}", ban("b", "2026-03", 3.0), ban("c", "2026-09", 2.0));
    let (trace, _) = replay(&model(&text(&two)), 0);
    let short = series(&trace, 24, |c| c.shortfall);
    assert_close(&short[2..5], &[0.0, 0.0, 0.0]);
    assert_close(&short[8..10], &[100.0, 100.0]);
}

// ---- Demand, recycling, need and capacity ----

#[test]
fn a_recycling_target_is_reached_piecewise_linearly() {
    doc_says("Example: T = 24 from 2026-01, r0 = 0.1 and one target (2027-01, 0.3): t_1 = 12, r(6) = 0.2 and r(t) = 0.3 for t ≥ 12");
    doc_says("is short 70 t in month 0, 60 t in month 6 and 50 t from month 12.");
    // A is banned on the EU for the whole horizon; B's 20 t/month of spare (no ramp) goes to the
    // EU. Need 100 (1 − r(t)), recycled 100 r(t), short 100 (1 − r(t)) − 20.
    let recycling =
        r#"recycling: { "x": (share_of_demand: 0.1, targets: [(by: "2027-01", share: 0.3)]) }"#;
    let ban = event("ban", "ExportBan", "2026-01", 600.0, 1.0, "");
    let (trace, _) = replay(&model(&scenario(20.0, 0.0, recycling, &ban, "")), 0);
    let r: Vec<f64> = (0..24)
        .map(|t| {
            if t < 12 {
                0.1 + 0.2 * (t as f64 / 12.0)
            } else {
                0.3
            }
        })
        .collect();
    let recycled = series(&trace, 24, |c| c.recycled);
    let short = series(&trace, 24, |c| c.shortfall);
    assert_close(&recycled, &r.iter().map(|r| 100.0 * r).collect::<Vec<_>>());
    assert_close(
        &short,
        &r.iter()
            .map(|r| 100.0 * (1.0 - r) - 20.0)
            .collect::<Vec<_>>(),
    );
    assert_close(
        &[short[0], short[6], short[12], short[23]],
        &[70.0, 60.0, 50.0, 50.0],
    );
    // Delivered to use: recycled plus what arrived, demand minus the shortfall.
    let delivered = series(&trace, 24, |c| c.demand - c.shortfall);
    assert_close(
        &delivered,
        &r.iter().map(|r| 100.0 * r + 20.0).collect::<Vec<_>>(),
    );
}

#[test]
fn without_targets_the_recycled_share_is_linear_to_share_at_end() {
    // The same ban with a linear path from 0.1 to 0.33 over T' = 23 months.
    let recycling = r#"recycling: { "x": (share_of_demand: 0.1, share_at_end: 0.33) }"#;
    let ban = event("ban", "ExportBan", "2026-01", 600.0, 1.0, "");
    let (trace, _) = replay(&model(&scenario(20.0, 0.0, recycling, &ban, "")), 0);
    let expected: Vec<f64> = (0..24)
        .map(|t| 100.0 * (0.1 + 0.23 * (t as f64 / 23.0)))
        .collect();
    assert_close(&series(&trace, 24, |c| c.recycled), &expected);
}
