//! Variants on common random numbers: paired differences against known answers.

use std::sync::atomic::AtomicBool;

use shortfall::load_str;
use shortfall::variant::{build, Setting};
use shortfall::FieldPath;
use shortfall::RunConfig;
use shortfall::{difference, level, run_variant};
use shortfall::{Stat, Subject};

/// One supplier, one bloc, five years; a full export ban of one month with annual probability
/// `p` (set per variant). With no spare anywhere, any onset is a shortfall.
const ONE_BAN: &str = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 60),
    materials: { "x": (stages: { "processing": () }) },
    countries: { "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }) },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200) }) },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: 0.1, duration_months: 1, severity: 1.0),
    ],
)"#;

fn cfg(paths: u64) -> RunConfig {
    RunConfig {
        seed: 11,
        paths,
        threads: 2,
        target_se: None,
        max_paths: paths,
    }
}

fn with_probability(p: f64) -> shortfall::Model {
    let base = load_str("one-ban.ron", ONE_BAN).unwrap();
    build(
        &base,
        &[Setting {
            path: FieldPath::parse("disruptions.ban.annual_probability").unwrap(),
            value: p,
        }],
    )
    .unwrap()
}

#[test]
fn paired_difference_of_onset_probability_matches_the_analytic_value() {
    // P(at least one onset in 5 years) = 1 − (1 − p)^5: 0.40951 at p = 0.1, 0.67232 at p = 0.2;
    // the difference is 0.26281.
    let cancel = AtomicBool::new(false);
    let a = run_variant(&with_probability(0.1), &cfg(40_960), &cancel, |_, _| {}).unwrap();
    let b = run_variant(&with_probability(0.2), &cfg(40_960), &cancel, |_, _| {}).unwrap();
    assert_eq!(a.sections.len(), 20);
    let subject = Subject {
        bloc: "EU".into(),
        material: Some("x".into()),
    };
    let la = level(&a, &subject, Stat::ProbabilityAny).unwrap();
    assert!((la.value - 0.40951).abs() < 4.0 * la.se, "{la:?}");
    let d = difference(&a, &b, &subject, Stat::ProbabilityAny).unwrap();
    let truth = 0.67232 - 0.40951;
    assert!(
        d.ci95.low <= truth && truth <= d.ci95.high,
        "difference {d:?} vs {truth}"
    );
    // Common random numbers: a path with an onset at p = 0.1 has one at p = 0.2 too (the same
    // exponential draw meets a hazard twice as large sooner), so the paired difference's error
    // is that of a Bernoulli(0.26) difference, well below the independent-runs error
    // √(0.41·0.59/n + 0.67·0.33/n).
    let independent_se = ((0.41 * 0.59 + 0.67 * 0.33) / 40_960.0f64).sqrt();
    assert!(
        d.se < 0.85 * independent_se,
        "paired se {} vs independent {independent_se}",
        d.se
    );
}

#[test]
fn identical_variants_differ_by_exactly_zero() {
    let cancel = AtomicBool::new(false);
    let m = with_probability(0.3);
    let a = run_variant(&m, &cfg(16_384), &cancel, |_, _| {}).unwrap();
    let b = run_variant(&m, &cfg(16_384), &cancel, |_, _| {}).unwrap();
    let subject = Subject {
        bloc: "EU".into(),
        material: None,
    };
    for stat in [
        Stat::Mean,
        Stat::Quantile(0.95),
        Stat::ProbabilityOver(0.05),
    ] {
        let d = difference(&a, &b, &subject, stat).unwrap();
        assert_eq!((d.value, d.se), (0.0, 0.0), "{stat}");
    }
}

#[test]
fn an_invalid_setting_is_refused_naming_the_setting() {
    let base = load_str("one-ban.ron", ONE_BAN).unwrap();
    let bad = Setting {
        path: FieldPath::parse("disruptions.ban.annual_probability").unwrap(),
        value: 1.5,
    };
    let err = build(&base, &[bad]).unwrap_err().to_string();
    assert!(
        err.contains("annual_probability")
            && err.contains("with disruptions.ban.annual_probability = 1.5"),
        "{err}"
    );
}
