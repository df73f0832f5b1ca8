//! The single-supplier cap as a policy that binds at a month (docs/model.md, phase 2c): a
//! two-supplier market worked by hand. Before the binding month the bloc buys as the market
//! does, so a disruption then has exactly the uncapped effect; from it the capped shares apply,
//! exactly as the static cap's; a phase-in moves them linearly; the excess the spare cannot take
//! goes onto scheduled new capacity the month it is online, and no earlier.

use shortfall::kernel::CellMonth;
use shortfall::{Model, PathRecord};

mod common;
use common::{model, one_material, Recorder};

const SEED: u64 = 20260101;
const MONTHS: usize = 24;

/// Bloc EU of 100 t a month buying 90% from A (no spare) and 10% from B, which has
/// `b_spare` t a month of spare (ramp 0); country C has no capacity until `rest` gives it some.
/// `cap` is the `supplier_cap` entry ("" for none), `events` the disruptions.
fn scenario(b_spare: f64, cap: &str, events: &str, rest: &str) -> Model {
    let b_cap = 120.0 + 12.0 * b_spare;
    let b_util = 120.0 / b_cap;
    let countries = format!(
        r#"
        "A": (capacity: {{ "x": {{ "processing": (tonnes_per_year: 1080, utilisation: 1.0) }} }}),
        "B": (capacity: {{ "x": {{ "processing": (tonnes_per_year: {b_cap}, utilisation: {b_util}, ramp_up_months: 0) }} }}),
        "C": (),
"#
    );
    let blocs = r#"
        "EU": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "processing": { "A": 0.9, "B": 0.1 } } }),
"#;
    let cap = if cap.is_empty() {
        String::new()
    } else {
        format!(r#"supplier_cap: (level: 0.65, blocs: ["EU"], materials: ["x"], {cap}),"#)
    };
    model(&one_material(
        &countries,
        blocs,
        events,
        &format!("{cap}\n{rest}"),
    ))
}

/// A full export ban of A on the EU from `start` for `months`.
fn ban(start: &str, months: u32) -> String {
    format!(
        r#"(name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"], target_blocs: ["EU"],
            scheduled_start: "{start}", duration_months: {months}, severity: 1.0),"#
    )
}

/// New capacity of 240 t a year (20 t a month) at C, online at `online`, no ramp.
fn new_c(online: &str) -> String {
    format!(
        r#"new_capacity: [(name: "c", country: "C", material: "x", stage: "processing",
            tonnes_per_year: 240, online: "{online}", ramp_months: 0)],"#
    )
}

fn replay(m: &Model) -> (Recorder, PathRecord) {
    common::replay(m, SEED, 0)
}

fn series(m: &Model, f: impl Fn(&CellMonth) -> f64) -> Vec<f64> {
    common::series(&replay(m).0, MONTHS, 0, f)
}

fn assert_close(found: &[f64], expected: &[f64]) {
    for (t, (f, e)) in found.iter().zip(expected).enumerate() {
        assert!((f - e).abs() < 1e-9, "month {t}: {f} vs {e} in {found:?}");
    }
}

fn doc_says(text: &str) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md"))
        .expect("docs/model.md");
    let flat = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(text), "docs/model.md no longer says: {text}");
}

#[test]
fn before_the_binding_month_the_shares_are_the_markets_and_from_it_the_capped_ones() {
    // B has 40 t a month spare: the cap moves the excess, 25 t, onto it (A 65%, B 35%).
    let m = scenario(40.0, r#"binds_from: "2026-07""#, &ban("2026-01", 600), "");
    let gap = series(&m, |c| c.import_gap);
    // The import gap is what A's contracts lose: 90 t before month 6, 65 t from it.
    assert_close(&gap[..6], &[90.0; 6]);
    assert_close(&gap[6..], &[65.0; MONTHS - 6]);
    // B's spare reroutes what it has left: 40 t before, 40 − 25 = 15 t after: the same
    // shortfall, 50 t, since the cap moves contracts onto the same spare.
    let short = series(&m, |c| c.shortfall);
    assert_close(&short, &[50.0; MONTHS]);
}

#[test]
fn a_phase_in_of_four_months_moves_the_shares_linearly() {
    let m = scenario(
        40.0,
        r#"binds_from: "2026-07", phase_in_months: 4"#,
        &ban("2026-01", 600),
        "",
    );
    let gap = series(&m, |c| c.import_gap);
    // φ = 1/4, 2/4, 3/4, 1 in months 6–9: A's share 0.9 − 0.25 φ.
    assert_close(&gap[5..11], &[90.0, 83.75, 77.5, 71.25, 65.0, 65.0]);
}

#[test]
fn a_disruption_before_the_binding_month_has_exactly_the_uncapped_effect() {
    // A 3-month ban in 2026, the cap binding in 2027: the path is the uncapped one, bit for bit.
    let events = ban("2026-01", 3);
    let capped = scenario(40.0, r#"binds_from: "2027-01""#, &events, "");
    let uncapped = scenario(40.0, "", &events, "");
    let (a, ra) = replay(&uncapped);
    let (b, rb) = replay(&capped);
    assert_eq!(format!("{:?}", ra.cells), format!("{:?}", rb.cells));
    assert_eq!(a.months.len(), b.months.len());
    for ((ta, pa, ca), (tb, pb, cb)) in a.months.iter().zip(&b.months) {
        assert_eq!((ta, pa.to_bits()), (tb, pb.to_bits()));
        assert_eq!(format!("{ca:?}"), format!("{cb:?}"));
    }
    // The effect is not vacuous: the ban leaves a shortfall.
    assert!(ra.cells[0].total_short_t > 0.0);
    // The same ban after the binding month meets the capped shares: a smaller import gap.
    let late = ban("2027-03", 3);
    let gap_capped = series(
        &scenario(40.0, r#"binds_from: "2027-01""#, &late, ""),
        |c| c.import_gap,
    );
    let gap_uncapped = series(&scenario(40.0, "", &late, ""), |c| c.import_gap);
    assert_close(&gap_capped[14..17], &[65.0; 3]);
    assert_close(&gap_uncapped[14..17], &[90.0; 3]);
}

#[test]
fn a_disruption_after_the_binding_month_has_exactly_the_static_caps_effect() {
    // Calm until month 12 (the kernel skips those months), the cap binding at month 6: from
    // month 12 the path is the one of the cap applied from the start.
    let events = ban("2027-01", 4);
    let later = scenario(40.0, r#"binds_from: "2026-07""#, &events, "");
    let from_start = scenario(40.0, r#"binds_from: "2026-01""#, &events, "");
    let static_cap = scenario(40.0, " ", &events, "");
    let (a, ra) = replay(&static_cap);
    for m in [&later, &from_start] {
        let (b, rb) = replay(m);
        assert_eq!(format!("{:?}", ra.cells), format!("{:?}", rb.cells));
        assert_eq!(a.months.len(), b.months.len());
        for ((ta, _, ca), (tb, _, cb)) in a.months.iter().zip(&b.months) {
            assert_eq!(ta, tb);
            assert_eq!(format!("{ca:?}"), format!("{cb:?}"));
        }
    }
    assert_close(
        &common::series(&a, MONTHS, 0, |c| c.import_gap)[12..16],
        &[65.0; 4],
    );
}

#[test]
fn the_excess_the_spare_cannot_take_moves_onto_new_capacity_the_month_it_is_online() {
    doc_says("a bloc of 100 t a month buying 90% from A and 10% from B, B with 10 t a month spare, a 65% cap binding from month 6 and new capacity of 20 t a month at C online at month 8: under a full ban of A on the bloc the import gap is 90 t a month in months 0–5, 80 in months 6–7 (the spare took 10 t) and 65 from month 8 (C's new capacity took 15 t); the shortfall is 80, 80 and 60");
    let m = scenario(
        10.0,
        r#"binds_from: "2026-07""#,
        &ban("2026-01", 600),
        &new_c("2026-09"),
    );
    let gap = series(&m, |c| c.import_gap);
    assert_close(&gap[..6], &[90.0; 6]);
    assert_close(&gap[6..8], &[80.0; 2]);
    assert_close(&gap[8..], &[65.0; MONTHS - 8]);
    // Before month 6 B reroutes its 10 t of spare; in months 6–7 that spare is contracted;
    // from month 8 C ships 15 t on contract and reroutes the 5 t left.
    let short = series(&m, |c| c.shortfall);
    assert_close(&short[..8], &[80.0; 8]);
    assert_close(&short[8..], &[60.0; MONTHS - 8]);
    // A project delayed by 2 months moves the step 2 months later.
    let late = scenario(
        10.0,
        r#"binds_from: "2026-07""#,
        &ban("2026-01", 600),
        &new_c("2026-11"),
    );
    let gap = series(&late, |c| c.import_gap);
    assert_close(&gap[6..10], &[80.0; 4]);
    assert_close(&gap[10..12], &[65.0; 2]);
}

#[test]
fn a_cap_that_binds_later_is_breached_only_from_its_binding_month() {
    use shortfall::{finish, run, RunConfig};
    use std::sync::atomic::AtomicBool;
    // Infeasible without C (the spare takes 10 of the 25 t), met from month 8 with it: the
    // breach is certain in months 6–7 and absent from month 8, on every path, solved or not.
    for (rest, breached_after) in [("", 1.0), (new_c("2026-09").as_str(), 0.0)] {
        let m = scenario(10.0, r#"binds_from: "2026-07""#, "", rest);
        let cfg = RunConfig {
            seed: SEED,
            paths: 64,
            threads: 1,
            target_se: None,
            max_paths: 64,
        };
        let out = run(&m, &cfg, &AtomicBool::new(false), |_, _| {}).expect("runs");
        let summary = finish(&out.plan.layout, &out.acc);
        let b = &summary.cap_breach[0];
        assert_close(&b.monthly_probability[..6], &[0.0; 6]);
        assert_close(&b.monthly_probability[6..8], &[1.0; 2]);
        assert_close(&b.monthly_probability[8..], &[breached_after; MONTHS - 8]);
        assert_eq!(b.probability_any_month.p, 1.0);
    }
}
