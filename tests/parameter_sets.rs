//! `run --parameter-sets K` on a case whose parameter spread is known in closed form
//! (docs/model.md, "Parameter uncertainty").
//!
//! One material bought wholly from A, no spare anywhere, a 12-month horizon, and one ban on A
//! lasting past the horizon whose annual probability p is itself uncertain, Uniform(0.1, 0.5).
//! Any onset in the year costs at least one month of all supply (1/12 > 5% of the year), so
//! given p, P(worst year > 5%) = 1 − e^−λ = p exactly. Across calibrations that probability is
//! p itself: mean 0.3, sd 0.4/√12 = 0.1155, and 90% of calibrations lie in [0.12, 0.48].

mod common;

use shortfall::Summary;

const SCENARIO: &str = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 12),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) },
    countries: {
        "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }),
    },
    blocs: {
        "EU": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "processing": { "A": 1.0 } } }),
    },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: Uniform(min: 0.1, max: 0.5), duration_months: 600, severity: 1.0,
         tension_sensitivity: 0),
    ],
)"#;

fn summary(sets: u32, paths: u64, threads: usize) -> Summary {
    let mut model = common::model(SCENARIO);
    model.parameter_sets = sets;
    common::summary(&model, 5, paths, threads)
}

#[test]
fn the_band_recovers_the_closed_form_spread_of_the_calibrations() {
    let s = summary(200, 200 * 500, 2);
    let b = s
        .parameter_uncertainty
        .iter()
        .find(|b| b.material.is_none() && b.threshold == 0.05)
        .expect("a band for the EU at 5%");
    assert_eq!((b.sets, b.paths_per_set), (200, 500));
    // Central value: E[p] = 0.3 (the 200 sampled calibrations' mean has sd 0.1155/√200 = 0.008).
    assert!((b.pooled.p - 0.3).abs() < 0.03, "{b:?}");
    // Spread of the calibrations with the within-set noise (sd ≈ 0.02) taken out.
    let sd = 0.4 / 12f64.sqrt();
    assert!((b.parameter_sd - sd).abs() < 0.02, "{b:?} vs {sd}");
    // Their 5th and 95th percentiles: 0.1 + 0.4 × 0.05 and 0.1 + 0.4 × 0.95.
    assert!((b.band90.0 - 0.12).abs() < 0.04, "{b:?}");
    assert!((b.band90.1 - 0.48).abs() < 0.04, "{b:?}");
    // The raw per-set estimates also carry Monte Carlo noise: their band is wider.
    assert!(
        b.raw_band90.1 - b.raw_band90.0 > b.band90.1 - b.band90.0,
        "{b:?}"
    );
    // And the Monte Carlo interval is far narrower than the parameter band.
    assert!(b.pooled.ci95.high - b.pooled.ci95.low < 0.2 * (b.band90.1 - b.band90.0));
}

#[test]
fn a_fixed_calibration_has_no_parameter_band_to_speak_of() {
    // The same ban with p fixed at 0.3: the sets differ only by Monte Carlo noise, which the
    // band removes, so it is narrow around 0.3 while the raw per-set band is not.
    let text = SCENARIO.replace("Uniform(min: 0.1, max: 0.5)", "0.3");
    let mut model = common::model(&text);
    model.parameter_sets = 100;
    let s = common::summary(&model, 5, 40_000, 2);
    let b = &s.parameter_uncertainty[0];
    assert!(b.parameter_sd < 0.02, "{b:?}");
    assert!(b.band90.1 - b.band90.0 < 0.06, "{b:?}");
    assert!(b.raw_band90.1 - b.raw_band90.0 > 0.05, "{b:?}");
}

#[test]
fn without_sets_there_is_no_band_and_with_them_threads_do_not_matter() {
    assert!(summary(0, 4_000, 2).parameter_uncertainty.is_empty());
    let one = summary(40, 10_000, 1);
    let two = summary(40, 10_000, 2);
    assert!(!one.parameter_uncertainty.is_empty());
    assert_eq!(one.parameter_uncertainty, two.parameter_uncertainty);
}
