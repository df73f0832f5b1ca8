//! The buffers between an export cut and a factory (issue 10) against cases worked out by hand:
//! commercial inventories, restocking that competes for spare, licence recovery, leakage,
//! pre-buying, scheduled capacity and restart on price. docs/model.md states each rule; the
//! comment above each assertion says how its number follows.

use std::sync::atomic::AtomicBool;

use shortfall::model::{compile, Model};
use shortfall::scenario::{load, load_str};
use shortfall::sim::timeline::{PathParams, Timeline};
use shortfall::sim::{build_plan, run, simulate_path, CellMonth, PathScratch, RunConfig, Trace};
use shortfall::stats::PathRecord;

fn model(text: &str) -> Model {
    let loaded = load_str("test.ron", text).unwrap_or_else(|e| panic!("{e}"));
    compile(&loaded).unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Default)]
struct Recorder {
    /// (month, price ratio, cells) of every solved month.
    months: Vec<(usize, f64, Vec<CellMonth>)>,
}

impl Trace for Recorder {
    const ON: bool = true;
    fn timeline(&mut self, _: &Timeline, _: &PathParams) {}
    fn month(&mut self, t: usize, _: usize, price: f64, cells: &[CellMonth]) {
        self.months.push((t, price, cells.to_vec()));
    }
}

fn replay(m: &Model, path: u64) -> (Recorder, PathRecord) {
    let plan = build_plan(m);
    let mut rec = Recorder::default();
    let mut record = PathRecord::new(&plan.layout);
    simulate_path(
        m,
        &plan,
        11,
        path,
        &mut PathScratch::default(),
        &mut record,
        &mut rec,
    );
    (rec, record)
}

/// Per month 0..months: the value `f` of cell `cell` in solved months, 0 in skipped ones.
fn series(trace: &Recorder, months: usize, cell: usize, f: impl Fn(&CellMonth) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; months];
    for (t, _, cells) in &trace.months {
        out[*t] = f(&cells[cell]);
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

fn assert_series(found: &[f64], expected: &[f64]) {
    assert_eq!(found.len(), expected.len());
    for (t, (f, e)) in found.iter().zip(expected).enumerate() {
        assert!(
            close(*f, *e),
            "month {t}: found {f}, expected {e}\n{found:?}"
        );
    }
}

/// One material `x` at one stage, supplier A (the only contracted one, no spare) and a country
/// C with no capacity; blocs EU and US of 1,200 t/yr (100 t a month) each buying all from A;
/// no substitution. `eu`, `us` are spliced into the blocs, `rest` at the top level.
fn scenario(eu: &str, us: &str, disruptions: &str, rest: &str) -> String {
    format!(
        r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: {{ "x": (stages: {{ "processing": () }},
                        price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) }},
    countries: {{
        "A": (capacity: {{ "x": {{ "processing": (tonnes_per_year: 2400, utilisation: 1.0) }} }}),
        "B": (capacity: {{ "x": {{ "processing": (tonnes_per_year: 600, utilisation: 0.000000001, ramp_up_months: 0) }} }}),
        "C": (),
    }},
    blocs: {{
        "EU": (demand: {{ "x": (tonnes_per_year: 1200) }},
               sourcing: {{ "x": {{ "processing": {{ "A": 1.0 }} }} }}, {eu}),
        "US": (demand: {{ "x": (tonnes_per_year: 1200) }},
               sourcing: {{ "x": {{ "processing": {{ "A": 1.0 }} }} }}, {us}),
    }},
    disruptions: [ {disruptions} ],
    {rest}
)"#
    )
}

/// A full ban of A on `target` for `months` months from `start` ("YYYY-MM"), plus `extra` fields.
fn ban(name: &str, kind: &str, target: &str, start: &str, months: f64, extra: &str) -> String {
    format!(
        r#"(name: "{name}", kind: {kind}, countries: ["A"], materials: ["x"], target_blocs: ["{target}"],
            scheduled_start: "{start}", duration_months: {months}, severity: 1.0, {extra}),"#
    )
}

/// B's spare (50 t a month) would reroute to the EU; these tests without spare remove it.
const NO_SPARE: &str = "";

fn no_spare(text: String) -> String {
    text.replace(
        "(tonnes_per_year: 600, utilisation: 0.000000001, ramp_up_months: 0)",
        "(tonnes_per_year: 0, utilisation: 1.0)",
    )
}

#[test]
fn an_inventory_covers_a_ban_shorter_than_its_cover_exactly() {
    // 3 months of cover (300 t) against a 2-month full ban with no spare anywhere: the import
    // gap is 2 × 100 t, the consumption shortfall 0, and 100 t of inventory are left.
    let m = model(&no_spare(scenario(
        "inventories: { \"x\": (cover_months: 3) }",
        "",
        &ban("ban", "ExportBan", "EU", "2026-01", 2.0, NO_SPARE),
        "",
    )));
    let (trace, record) = replay(&m, 0);
    let eu = &record.cells[0];
    assert!(close(eu.import_gap_t, 200.0), "{}", eu.import_gap_t);
    assert_eq!(eu.months_short, 0);
    assert_eq!(eu.total_short_t, 0.0);
    // Worst year: 200 t of a 1,200 t year.
    assert!(close(eu.worst_year_import_gap_share, 200.0 / 1200.0));
    let inventory = series(&trace, 24, 0, |c| c.inventory);
    assert!(
        close(inventory[0], 200.0) && close(inventory[1], 100.0),
        "{inventory:?}"
    );
    let used = series(&trace, 24, 0, |c| c.inventory_used);
    assert_eq!(&used[..3], &[100.0, 100.0, 0.0]);
}

#[test]
fn shortfall_is_need_times_ban_months_minus_cover_without_spare() {
    // 2 months of cover against a 3-month full ban, no spare: consumption shortfall = 1 month
    // of need (100 t, in month 2), import gap = 3 months (300 t).
    let m = model(&no_spare(scenario(
        "inventories: { \"x\": (cover_months: 2) }",
        "",
        &ban("ban", "ExportBan", "EU", "2026-01", 3.0, NO_SPARE),
        "",
    )));
    let (trace, record) = replay(&m, 0);
    let eu = &record.cells[0];
    assert!(close(eu.total_short_t, 100.0), "{}", eu.total_short_t);
    assert!(close(eu.import_gap_t, 300.0));
    assert_eq!(eu.months_short, 1);
    assert_eq!(eu.first_short_month, Some(2));
    let short = series(&trace, 24, 0, |c| c.shortfall);
    assert_series(&short[..4], &[0.0, 0.0, 100.0, 0.0]);
}

#[test]
fn an_import_gap_without_shortfall_is_still_accumulated() {
    // Every path has the covered 2-month ban: every path has an import gap, none a shortfall.
    let m = model(&no_spare(scenario(
        "inventories: { \"x\": (cover_months: 3) }",
        "",
        &ban("ban", "ExportBan", "EU", "2026-01", 2.0, NO_SPARE),
        "",
    )));
    let cfg = RunConfig {
        seed: 3,
        paths: 300,
        threads: 2,
        target_se: None,
        max_paths: 300,
    };
    let out = run(&m, &cfg, &AtomicBool::new(false), |_, _| {}).unwrap();
    let eu = &out.acc.cells[0];
    assert_eq!(eu.any_short, 0);
    assert_eq!(eu.any_import_gap, 300);
    assert!(close(eu.import_gap_t.sum, 300.0 * 200.0));
    // 200/1200 = 16.7% of the worst year: above 5% and 10%, not 25%.
    assert_eq!(eu.import_gap_over_threshold, [300, 300, 0]);
    assert_eq!(out.acc.cells[1].any_import_gap, 0, "the US is not targeted");
}

/// US shortfall when the EU, after its own covered ban, restocks from B's 50 t/month of spare
/// while the US loses its own supplier D to an accident (months 2–4) and has only that spare.
/// (An accident, not a ban: a ban's freed output would go to the EU's restocking at once.)
fn us_shortfall_after_eu_restocking(eu_inventory: &str) -> f64 {
    let events = ban("eu-ban", "ExportBan", "EU", "2026-01", 2.0, "")
        + r#"(name: "d-accident", kind: Accident, countries: ["D"], materials: ["x"],
            scheduled_start: "2026-03", duration_months: 3, severity: 1.0),"#;
    let mut text = scenario(eu_inventory, "", &events, "").replace(
        r#""C": (),"#,
        r#""C": (), "D": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }),"#,
    );
    // The US (the last bloc) buys from D instead of A.
    let us = text.rfind(r#""A": 1.0"#).expect("the US sourcing");
    text.replace_range(us..us + 1 + 1, r#""D"#);
    assert!(text.contains(r#""D": 1.0"#), "{text}");
    let (_, record) = replay(&model(&text), 0);
    record.cells[1].total_short_t
}

#[test]
fn restocking_after_a_shock_competes_with_a_second_shock() {
    // Without EU inventories the US gets all of B's 50 t a month: 3 × 50 t short.
    let alone = us_shortfall_after_eu_restocking("");
    assert!(close(alone, 150.0), "{alone}");
    // An EU that restocks quickly (claim up to its whole target a month) takes part of the same
    // spare, pro rata with the US gap: the second shock hits harder.
    let quick = us_shortfall_after_eu_restocking(
        "inventories: { \"x\": (cover_months: 2, restock_months: 1) }",
    );
    assert!(quick > alone + 10.0, "{quick} vs {alone}");
    // A slow restocker (a claim of 200/600 t a month) takes a little.
    let slow = us_shortfall_after_eu_restocking(
        "inventories: { \"x\": (cover_months: 2, restock_months: 600) }",
    );
    assert!(slow > alone && slow < quick, "{slow}");
}

#[test]
fn licence_recovery_follows_its_schedule_exactly() {
    // σ = 1, h = 2, r = 0.2: the cut in month n is 0.2 + 0.8 · 2^(−n/2) of the contracted flow,
    // so the import gap is 100 t times 1, 0.766, 0.6, 0.483, 0.4, …; with no spare and no
    // inventory the shortfall is the same.
    let m = model(&no_spare(scenario(
        "",
        "",
        &ban(
            "licence",
            "ExportLicence",
            "EU",
            "2026-01",
            6.0,
            "licence_recovery: (half_life_months: 2, residual_share: 0.2)",
        ),
        "",
    )));
    let (trace, _) = replay(&m, 0);
    let gap = series(&trace, 24, 0, |c| c.import_gap);
    let expected: Vec<f64> = (0..6)
        .map(|n| 100.0 * (0.2 + 0.8 * (-(n as f64) / 2.0).exp2()))
        .collect();
    assert_series(&gap[..6], &expected);
    assert!((gap[1] - 76.568_542_494_923_8).abs() < 1e-9);
    assert!(close(gap[2], 60.0));
    assert_eq!(gap[6], 0.0, "the measure ends after its full duration");
    let short = series(&trace, 24, 0, |c| c.shortfall);
    assert_series(&short[..6], &expected);
}

#[test]
fn licence_processing_time_holds_the_full_cut_then_shifts_the_curve_exactly() {
    // Processing time p = 2 whole months: the full cut in months 0 and 1, then the curve of
    // p = 0 moved two months later, 100 · (0.2 + 0.8 · 2^(−(n − 2)/2)).
    let run_with = |extra: &str| {
        let m = model(&no_spare(scenario(
            "",
            "",
            &ban("licence", "ExportLicence", "EU", "2026-01", 8.0, extra),
            "",
        )));
        series(&replay(&m, 0).0, 24, 0, |c| c.import_gap)
    };
    let plain = run_with("licence_recovery: (half_life_months: 2, residual_share: 0.2)");
    let late = run_with(
        "licence_recovery: (half_life_months: 2, residual_share: 0.2, processing_months: 2)",
    );
    assert!(close(late[0], 100.0) && close(late[1], 100.0));
    for n in 2..8 {
        assert!(
            (late[n] - plain[n - 2]).abs() < 1e-9,
            "month {n}: {} vs {}",
            late[n],
            plain[n - 2]
        );
    }
    // Explicit 0 is the curve without the field, to the last bit.
    let zero = run_with(
        "licence_recovery: (half_life_months: 2, residual_share: 0.2, processing_months: 0)",
    );
    assert_eq!(zero, plain);
    // A processing time longer than the measure keeps the full cut throughout: a ban.
    let never = run_with(
        "licence_recovery: (half_life_months: 2, residual_share: 0.2, processing_months: 12)",
    );
    assert!(never[..8].iter().all(|&g| close(g, 100.0)), "{never:?}");
    assert_eq!(never[8], 0.0);
}

#[test]
fn leakage_reduces_the_import_gap_by_exactly_its_share() {
    let run_with = |extra: &str| {
        let m = model(&no_spare(scenario(
            "",
            "",
            &ban("ban", "ExportBan", "EU", "2026-01", 4.0, extra),
            "",
        )));
        replay(&m, 0).1.cells[0].clone()
    };
    let base = run_with("");
    let leaky = run_with("leakage_share: 0.25");
    assert!(close(base.import_gap_t, 400.0));
    assert!(
        close(leaky.import_gap_t, 0.75 * 400.0),
        "{}",
        leaky.import_gap_t
    );
    assert!(close(leaky.total_short_t, 300.0));
}

fn prebuy_trace(lead: u32, share: f64) -> (Recorder, PathRecord) {
    let m = model(&no_spare(scenario(
        "inventories: { \"x\": (cover_months: 2, max_cover_months: 4) }",
        "",
        &ban(
            "ban",
            "ExportBan",
            "EU",
            "2026-04",
            4.0,
            &format!("announced_months: {lead}, prebuy_share: {share}"),
        ),
        "",
    )));
    replay(&m, 0)
}

#[test]
fn prebuying_fills_the_room_up_to_its_share_of_the_flow_a_month() {
    // Cover 2 months (200 t), room 4 (400 t), the ban starts in month 3, announced 1 month
    // ahead: in month 2 the EU pulls forward min(400 − 200, 1.0 × 100) = 100 t.
    let (trace, record) = prebuy_trace(1, 1.0);
    let pre = series(&trace, 24, 0, |c| c.prebought);
    assert_series(&pre[..4], &[0.0, 0.0, 100.0, 0.0]);
    assert_eq!(trace.months[0].0, 2, "months before the window are skipped");
    // 300 t of inventory against a 4-month ban of 400 t: 100 t short, in month 6.
    assert!(close(record.cells[0].total_short_t, 100.0));
    assert_eq!(record.cells[0].first_short_month, Some(6));
    // The import gap counts the cut only; pre-buying is recorded apart, not netted.
    assert!(close(record.cells[0].import_gap_t, 400.0));
    // A share of 3 is capped by the room: 200 t in the one month.
    let (trace, record) = prebuy_trace(1, 3.0);
    assert!(close(series(&trace, 24, 0, |c| c.prebought)[2], 200.0));
    assert_eq!(record.cells[0].total_short_t, 0.0);
    // Two months' notice at share 1: 100 t in each, up to the room.
    let (trace, _) = prebuy_trace(2, 1.0);
    assert_series(
        &series(&trace, 24, 0, |c| c.prebought)[..4],
        &[0.0, 100.0, 100.0, 0.0],
    );
}

fn new_capacity_shortfall(delay: u32) -> Vec<f64> {
    let m = model(&no_spare(scenario(
        "",
        "",
        &ban("ban", "ExportBan", "EU", "2026-01", 600.0, ""),
        &format!(
            r#"new_capacity: [(name: "c-plant", country: "C", material: "x", stage: "processing",
                tonnes_per_year: 120, online: "2026-07", delay_months: {delay}, ramp_months: 3)],"#
        ),
    )));
    let (trace, _) = replay(&m, 0);
    series(&trace, 24, 0, |c| c.shortfall)
}

#[test]
fn scheduled_capacity_ramps_from_its_online_month_and_a_delay_moves_it_exactly() {
    // 120 t/yr in C (which had no capacity) online at month 6, ramp 3: 0, 3.33, 6.67, 10 t a
    // month from month 6, all rerouted to the banned EU (C is not under the ban).
    let on_time = new_capacity_shortfall(0);
    let mut expected = vec![100.0; 24];
    for (t, x) in expected.iter_mut().enumerate().skip(6) {
        *x = 100.0 - 10.0 * ((t as f64 - 6.0) / 3.0).min(1.0);
    }
    assert_series(&on_time, &expected);
    for d in [1u32, 2, 5] {
        let late = new_capacity_shortfall(d);
        let d = d as usize;
        assert_series(&late[d..], &on_time[..24 - d]);
        assert_series(&late[..d], &vec![100.0; d]);
    }
}

#[test]
fn idle_capacity_restarts_after_the_stated_months_of_high_prices() {
    // The ban cuts the EU's whole need: world scarcity 100/200 = 0.5, π = 1 + 2 · 0.5 = 2 ≥ 2
    // in months 0, 1, 2 → B's idle 600 t/yr restart from month 3 (ramp 0): 50 t a month.
    let m = model(&no_spare(scenario(
        "",
        "",
        &ban("ban", "ExportBan", "EU", "2026-01", 600.0, ""),
        r#"new_capacity: [(name: "c-restart", country: "C", material: "x", stage: "processing",
            tonnes_per_year: 600, restart_when_price_above: (ratio: 2, months: 3), ramp_months: 0)],"#,
    )));
    let (trace, _) = replay(&m, 0);
    let short = series(&trace, 24, 0, |c| c.shortfall);
    assert_series(&short[..6], &[100.0, 100.0, 100.0, 50.0, 50.0, 50.0]);
    let prices: Vec<f64> = trace.months.iter().map(|(_, p, _)| *p).take(4).collect();
    assert_series(&prices, &[2.0, 2.0, 2.0, 1.5]);
}

#[test]
fn the_mass_balance_holds_with_inventories_and_prebuying() {
    // D = recycled + primary + substituted + inventory used + released + borrowed + shortfall,
    // in every solved month of the corpus scenario that uses every buffer.
    let loaded = load("tests/scenarios/good/buffers.ron").unwrap();
    let m = compile(&loaded).unwrap();
    let mut checked = 0;
    for path in 0..200 {
        let (trace, _) = replay(&m, path);
        for (_, _, cells) in &trace.months {
            for c in cells {
                let sum = c.recycled
                    + c.primary
                    + c.substituted
                    + c.inventory_used
                    + c.released
                    + c.borrowed
                    + c.shortfall;
                assert!((sum - c.demand).abs() <= 1e-9 * c.demand.max(1.0), "{c:?}");
                assert!(
                    c.inventory >= -1e-9 && c.max_excess_shipment <= 1e-6,
                    "{c:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Two stages: mine M (only supplier, no spare) → refiner R; the EU buys 100 t a month at both
/// stages. `feed` is spliced into the refining stage; a full ban of M for `months` months.
fn two_stage(feed: &str, months: f64) -> Model {
    model(&format!(
        r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: {{ "x": (stages: {{ "mining": (), "refining": (draws_on: "mining", {feed}) }},
                        price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) }},
    countries: {{
        "M": (capacity: {{ "x": {{ "mining": (tonnes_per_year: 1200, utilisation: 1.0) }} }}),
        "R": (capacity: {{ "x": {{ "refining": (tonnes_per_year: 1200, utilisation: 1.0) }} }}),
    }},
    blocs: {{
        "EU": (demand: {{ "x": (tonnes_per_year: 1200) }},
               sourcing: {{ "x": {{ "mining": {{ "M": 1.0 }}, "refining": {{ "R": 1.0 }} }} }}),
    }},
    disruptions: [ (name: "mine-ban", kind: ExportBan, countries: ["M"], materials: ["x"],
                    stages: ["mining"], scheduled_start: "2026-03", duration_months: {months},
                    severity: 1.0) ],
)"#
    ))
}

#[test]
fn a_refiner_feed_stock_of_k_months_covers_a_mine_ban_of_up_to_k_months_exactly() {
    // Feed stock k = 3 months of the EU's need (300 t) at the refining stage. A mine ban of
    // b ≤ 3 months: nothing fails to arrive and nothing is short; b = 5: the first 3 months are
    // covered and the last 2 lose 100 t each (import gap = shortfall = 100 · (b − k)).
    for (b, short) in [(1.0, 0.0), (3.0, 0.0), (5.0, 200.0)] {
        let (trace, record) = replay(&two_stage("feed_stock_months: 3", b), 0);
        let eu = &record.cells[0];
        assert!(
            close(eu.total_short_t, short),
            "ban {b}: {}",
            eu.total_short_t
        );
        assert!(
            close(eu.import_gap_t, short),
            "ban {b}: {}",
            eu.import_gap_t
        );
        if b == 5.0 {
            let gap = series(&trace, 24, 0, |c| c.import_gap);
            assert_eq!(&gap[2..8], &[0.0, 0.0, 0.0, 100.0, 100.0, 0.0]);
        }
    }
    // Without the feed stock the same 5-month ban is 500 t short; a fractional cover k = 2.5
    // leaves 100 · 2.5 = 250 t.
    let (_, none) = replay(&two_stage("", 5.0), 0);
    assert!(close(none.cells[0].total_short_t, 500.0));
    let (_, half) = replay(&two_stage("feed_stock_months: 2.5", 5.0), 0);
    assert!(close(half.cells[0].total_short_t, 250.0));
}

#[test]
fn a_used_feed_stock_is_not_rebuilt_so_a_second_mine_ban_is_short_in_full() {
    // k = 2 against two 2-month mine bans (months 2-3 and 8-9): the first is covered, the
    // second finds the stock empty and loses 2 × 100 t.
    let text = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: { "x": (stages: { "mining": (), "refining": (draws_on: "mining", feed_stock_months: 2) },
                       price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) },
    countries: {
        "M": (capacity: { "x": { "mining": (tonnes_per_year: 1200, utilisation: 1.0) } }),
        "R": (capacity: { "x": { "refining": (tonnes_per_year: 1200, utilisation: 1.0) } }),
    },
    blocs: {
        "EU": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "mining": { "M": 1.0 }, "refining": { "R": 1.0 } } }),
    },
    disruptions: [
        (name: "first", kind: ExportBan, countries: ["M"], materials: ["x"], stages: ["mining"],
         scheduled_start: "2026-03", duration_months: 2, severity: 1.0),
        (name: "second", kind: ExportBan, countries: ["M"], materials: ["x"], stages: ["mining"],
         scheduled_start: "2026-09", duration_months: 2, severity: 1.0),
    ],
)"#;
    let (trace, record) = replay(&model(text), 0);
    let short = series(&trace, 24, 0, |c| c.shortfall);
    assert_eq!(&short[2..4], &[0.0, 0.0]);
    assert!(
        close(short[8], 100.0) && close(short[9], 100.0),
        "{short:?}"
    );
    assert!(close(record.cells[0].total_short_t, 200.0));
}

#[test]
fn a_feed_stock_on_the_first_stage_is_refused_with_its_place() {
    let bad = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 12),
    materials: { "x": (stages: { "mining": (feed_stock_months: 2), "refining": (draws_on: "mining") }) },
    countries: { "M": (capacity: { "x": { "mining": (tonnes_per_year: 1200) } }),
                 "R": (capacity: { "x": { "refining": (tonnes_per_year: 1200) } }) },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 600) }) },
)"#;
    let loaded = load_str("bad.ron", bad).unwrap();
    let err = compile(&loaded).unwrap_err().to_string();
    assert!(
        err.contains("feed_stock_months") && err.contains("first stage"),
        "{err}"
    );
}
