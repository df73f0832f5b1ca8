//! Experiments re-solve only the materials a variant changes (issue 12), and the result is the
//! variant's full re-solve to the bit: every figure of the summary and every section value.
//! Also which materials count as changed: a stockpile reaches its material only; a process
//! switched off reaches what it hits and what it triggers; a frequency of a process that others
//! trigger reaches those too; tension reaches every material a process touches.

use std::sync::atomic::AtomicBool;

use shortfall::reuse::{differing_materials, Runner};
use shortfall::variant::{build, build_edited, Setting};
use shortfall::{
    compile, load, load_str, run_variant, FieldPath, LoadedScenario, Model, RunConfig,
};

fn cfg(seed: u64) -> RunConfig {
    RunConfig {
        seed,
        paths: 2048,
        threads: 2,
        target_se: None,
        max_paths: 2048,
    }
}

fn setting(path: &str, value: f64) -> Setting {
    Setting {
        path: FieldPath::parse(path).unwrap(),
        value,
    }
}

/// Names of the materials marked in `mask`.
fn names(model: &Model, mask: &[bool]) -> Vec<String> {
    let all = shortfall::kernel::build_plan(model).layout.materials;
    all.into_iter()
        .zip(mask)
        .filter(|(_, &m)| m)
        .map(|(n, _)| n)
        .collect()
}

/// Runs `base` then every variant through one `Runner`, and each variant alone with
/// `run_variant` (every material solved): the two must agree to the bit.
fn same_as_full_runs(base: &Model, variants: &[Model], seed: u64) {
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::default();
    let first = runner.run(base, &cfg(seed), &cancel, |_, _| {}).unwrap();
    let alone = run_variant(base, &cfg(seed), &cancel, |_, _| {}).unwrap();
    assert_eq!(json(&first.summary), json(&alone.summary));
    for v in variants {
        let reused = runner.run(v, &cfg(seed), &cancel, |_, _| {}).unwrap();
        let full = run_variant(v, &cfg(seed), &cancel, |_, _| {}).unwrap();
        assert_eq!(json(&reused.summary), json(&full.summary), "{}", v.name);
        assert_eq!(reused.sections, full.sections, "{}", v.name);
        assert_eq!(reused.sections.len(), 8);
    }
}

/// JSON writes every number as the shortest text that reads back to the same bits.
fn json(s: &shortfall::Summary) -> String {
    serde_json::to_string(s).unwrap()
}

fn eu2030() -> LoadedScenario {
    load("builtin:eu-2030").unwrap()
}

#[test]
fn a_stockpile_reaches_its_material_only_and_reuse_is_exact() {
    let base = eu2030();
    let model = compile(&base).unwrap();
    let gallium = build(
        &base,
        &[setting("blocs.EU.stockpiles.gallium.initial_months", 6.0)],
    )
    .unwrap();
    let mask = differing_materials(&model, &gallium).unwrap();
    assert_eq!(names(&gallium, &mask), ["gallium"]);
    // Identical models differ nowhere.
    let again = compile(&base).unwrap();
    assert!(differing_materials(&model, &again)
        .unwrap()
        .iter()
        .all(|&m| !m));

    // A process switched off: the model loses it (later processes move up one index), and the
    // materials it does not reach keep the base's results, attribution entries renamed.
    let off = build_edited(&base, "drc-cobalt-export-ban off", |raw| {
        for d in raw.disruptions.iter_mut() {
            if d.name == "drc-cobalt-export-ban" {
                d.enabled = false;
            }
        }
    })
    .unwrap();
    assert_eq!(off.disruptions.len() + 1, model.disruptions.len());
    let mask = differing_materials(&model, &off).unwrap();
    let reached = names(&off, &mask);
    assert!(reached.contains(&"cobalt".to_string()), "{reached:?}");
    assert!(reached.len() < mask.len(), "{reached:?}");
    same_as_full_runs(&model, &[gallium, off], 11);
}

/// A variant that changes only what some processes' episodes are drawn from (its frequency
/// moved, tension) or switches a process off solves a material again only on the paths where
/// the material's episodes are not the base's; on the others it takes the base's results. Both
/// kinds of path occur, and the result is the full re-solve to the bit.
#[test]
fn a_material_whose_episodes_alone_change_is_solved_again_only_where_they_do() {
    let base = eu2030();
    let model = compile(&base).unwrap();
    let off = build_edited(&base, "china-ga-ge-licence off", |raw| {
        for d in raw.disruptions.iter_mut() {
            if d.name == "china-ga-ge-licence" {
                d.enabled = false;
            }
        }
    })
    .unwrap();
    let often = build(
        &base,
        &[setting(
            "disruptions.china-ga-ge-licence.rate_per_year",
            0.05,
        )],
    )
    .unwrap();
    let tense = build(&base, &[setting("tension.regimes.crisis", 6.0)]).unwrap();
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::default();
    runner.run(&model, &cfg(5), &cancel, |_, _| {}).unwrap();
    for v in [&off, &often, &tense] {
        let reused = runner.run(v, &cfg(5), &cancel, |_, _| {}).unwrap();
        let (pairs, solved_again) = runner.episode_pairs();
        // Every material the variant reaches, on every path: those the process hits too (a
        // process switched off had no episode where their episodes are the base's).
        let reached = differing_materials(&model, v).unwrap();
        let reached = reached.iter().filter(|&&m| m).count() as u64;
        assert!(reached >= 5, "{}: {reached} materials", v.name);
        assert_eq!(pairs, reused.summary.paths * reached, "{}", v.name);
        assert!(solved_again > 0, "{}: none solved again", v.name);
        assert!(
            solved_again < pairs / 2,
            "{}: {solved_again} of {pairs}",
            v.name
        );
        // Paths where the licence had no episode (in either draw) are the base's without a
        // draw; tension moves every hazard, so it draws every path.
        let as_base = runner.paths_as_base();
        if std::ptr::eq(v, &tense) {
            assert_eq!(as_base, 0);
        } else {
            assert!(as_base > 0 && as_base < reused.summary.paths, "{}", v.name);
        }
        let full = run_variant(v, &cfg(5), &cancel, |_, _| {}).unwrap();
        assert_eq!(json(&reused.summary), json(&full.summary), "{}", v.name);
        assert_eq!(reused.sections, full.sections, "{}", v.name);
    }
}

#[test]
fn a_cap_and_a_price_floor_reuse_exactly() {
    // The cap moves sourcing and watches links (breach records carry link indices); the floor's
    // costs are per floor. Both through the materials they belong to.
    let floor = load("scenarios/ndpr-price-floor.ron").unwrap();
    let model = compile(&floor).unwrap();
    let higher = build(
        &floor,
        &[setting(
            "price_floors.dod-mp-ndpr-floor.floor_usd_per_t",
            150000.0,
        )],
    )
    .unwrap();
    let mask = differing_materials(&model, &higher).unwrap();
    assert_eq!(names(&higher, &mask), ["rare earths"]);
    same_as_full_runs(&model, &[higher], 5);

    // eu-cap-65 binds from 2030-01; a cap over time is part of the frame and re-solves every
    // material, so the static cap (the same file binding from the start) is what shows reuse.
    let mut cap = load("scenarios/eu-cap-65.ron").unwrap();
    if let Some(c) = cap.raw.supplier_cap.as_mut() {
        c.binds_from = None;
        c.phase_in_months = None;
    }
    let at_65 = compile(&cap).unwrap();
    let at_90 = build(&cap, &[setting("supplier_cap.level", 0.9)]).unwrap();
    let mask = differing_materials(&at_65, &at_90).unwrap();
    assert!(mask.iter().any(|&m| m) && mask.iter().any(|&m| !m));
    same_as_full_runs(&at_65, &[at_90], 3);
}

/// A cap sweep through `Runner::recomputing_breaches`, its highest level first as the CLI runs
/// it: a material that neither the base's level nor a point's moves has its breaches recomputed
/// from the base's watched shares, and every point agrees to the bit with its full re-solve.
#[test]
fn a_cap_sweep_recomputes_the_breaches_of_materials_it_does_not_move_and_is_exact() {
    let base = eu2030();
    let at = |level: f64| build(&base, &[setting("supplier_cap.level", level)]).unwrap();
    let models: Vec<Model> = [1.0, 0.5, 0.75, 0.95].map(at).into();
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::recomputing_breaches(&models);
    for m in &models {
        let reused = runner.run(m, &cfg(11), &cancel, |_, _| {}).unwrap();
        let full = run_variant(m, &cfg(11), &cancel, |_, _| {}).unwrap();
        let level = m.cap_level;
        assert_eq!(json(&reused.summary), json(&full.summary), "{level:?}");
        assert_eq!(reused.sections, full.sections, "{level:?}");
    }
    // A level not announced to the runner re-solves what it changes, and is exact too.
    let other = at(0.85);
    let reused = runner.run(&other, &cfg(11), &cancel, |_, _| {}).unwrap();
    let full = run_variant(&other, &cfg(11), &cancel, |_, _| {}).unwrap();
    assert_eq!(json(&reused.summary), json(&full.summary));
}

/// `a` triggers `b`; `c` is on its own. x is hit by a, y by b, z by c.
const CHAIN: &str = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 36),
    materials: {
        "x": (stages: { "processing": () }),
        "y": (stages: { "processing": () }),
        "z": (stages: { "processing": () }),
    },
    countries: {
        "A": (capacity: {
            "x": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
            "y": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
            "z": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
        }),
        "B": (capacity: {
            "x": { "processing": (tonnes_per_year: 400, utilisation: 0.5) },
            "y": { "processing": (tonnes_per_year: 400, utilisation: 0.5) },
            "z": { "processing": (tonnes_per_year: 400, utilisation: 0.5) },
        }),
    },
    blocs: {
        "EU": (
            demand: { "x": (tonnes_per_year: 900), "y": (tonnes_per_year: 900), "z": (tonnes_per_year: 900) },
            stockpiles: { "z": (initial_months: 2, target_months: 2) },
        ),
        "US": (demand: { "x": (tonnes_per_year: 300), "y": (tonnes_per_year: 300) }),
    },
    tension: (
        regimes: { "calm": 1.0, "crisis": 4.0 },
        initial: "calm",
        monthly_transitions: { "calm": { "crisis": 0.05 }, "crisis": { "calm": 0.2 } },
    ),
    disruptions: [
        (name: "a", kind: ExportBan, countries: ["A"], materials: ["x"], annual_probability: 0.3,
         duration_months: Uniform(min: 1, max: 8), severity: 0.8,
         triggers: [(disruption: "b", hazard_multiplier: 5, months: 12)]),
        (name: "b", kind: ExportBan, countries: ["A"], materials: ["y"], annual_probability: 0.1,
         duration_months: 4, severity: Uniform(min: 0.3, max: 1.0)),
        (name: "c", kind: Accident, countries: ["A"], materials: ["z"],
         annual_probability: 0.2, duration_months: 3, severity: 0.5, tension_sensitivity: 0),
    ],
)"#;

#[test]
fn triggers_and_tension_reach_what_they_drive() {
    let base = load_str("chain.ron", CHAIN).unwrap();
    let model = compile(&base).unwrap();
    let variant = |path: &str, value: f64| build(&base, &[setting(path, value)]).unwrap();
    let reach = |m: &Model| names(m, &differing_materials(&model, m).unwrap());

    // a's frequency moves a's episodes and, through its trigger, b's: x and y, not z.
    let a = variant("disruptions.a.annual_probability", 0.5);
    assert_eq!(reach(&a), ["x", "y"]);
    // b's frequency moves b only: nothing triggers a. y is then solved alone, and its draw
    // still needs a's episodes (a triggers b) though a hits only x, which is not solved.
    let b = variant("disruptions.b.annual_probability", 0.2);
    assert_eq!(reach(&b), ["y"]);
    // Tension moves every process's hazard: c has sensitivity 0, but its multipliers and the
    // regime chain are part of what its episodes depend on, so z counts too (any doubt: differ).
    let tense = variant("tension.regimes.crisis", 8.0);
    assert_eq!(reach(&tense), ["x", "y", "z"]);
    // The stockpile of z reaches z.
    let stock = variant("blocs.EU.stockpiles.z.initial_months", 5.0);
    assert_eq!(reach(&stock), ["z"]);
    same_as_full_runs(&model, &[a, b, stock], 7);
}

#[test]
fn another_frame_or_seed_solves_everything() {
    let base = load_str("chain.ron", CHAIN).unwrap();
    let model = compile(&base).unwrap();
    // A longer horizon changes the frame: no material can be shared.
    let longer = load_str("longer.ron", &CHAIN.replace("months: 36", "months: 48")).unwrap();
    assert!(differing_materials(&model, &compile(&longer).unwrap()).is_none());

    // A runner whose base ran on another seed solves every material of a variant.
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::default();
    runner.run(&model, &cfg(1), &cancel, |_, _| {}).unwrap();
    let stock = build(
        &base,
        &[setting("blocs.EU.stockpiles.z.initial_months", 5.0)],
    )
    .unwrap();
    let reused = runner.run(&stock, &cfg(2), &cancel, |_, _| {}).unwrap();
    let full = run_variant(&stock, &cfg(2), &cancel, |_, _| {}).unwrap();
    assert_eq!(json(&reused.summary), json(&full.summary));
}

/// A variant whose processes draw as the base's but for some (switched off, or a frequency
/// moved) takes a path whole from the base where none of those has an episode, in the base's
/// draw or in its own draw of them alone: the processes they trigger then draw as in the base
/// too. Along a trigger chain (a triggers b), against full re-solves, to the bit; and the
/// shortcut is taken on some paths but not all, and never when tension moves every hazard.
#[test]
fn a_path_where_the_moved_processes_are_quiet_is_the_bases() {
    let base = load_str("chain.ron", CHAIN).unwrap();
    let model = compile(&base).unwrap();
    let variant = |path: &str, value: f64| build(&base, &[setting(path, value)]).unwrap();
    let a_off = build_edited(&base, "a off", |raw| {
        for d in raw.disruptions.iter_mut().filter(|d| d.name == "a") {
            d.enabled = false;
        }
    })
    .unwrap();
    let a_often = variant("disruptions.a.annual_probability", 0.5);
    // b is drawn alone with a, which triggers it.
    let b_often = variant("disruptions.b.annual_probability", 0.2);
    let tense = variant("tension.regimes.crisis", 8.0);
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::default();
    runner.run(&model, &cfg(7), &cancel, |_, _| {}).unwrap();
    for (v, shortcut) in [
        (&a_off, true),
        (&a_often, true),
        (&b_often, true),
        (&tense, false),
    ] {
        let reused = runner.run(v, &cfg(7), &cancel, |_, _| {}).unwrap();
        let as_base = runner.paths_as_base();
        let paths = reused.summary.paths;
        if shortcut {
            assert!(as_base > 0 && as_base < paths, "{}: {as_base}", v.name);
        } else {
            assert_eq!(as_base, 0, "{}", v.name);
        }
        let full = run_variant(v, &cfg(7), &cancel, |_, _| {}).unwrap();
        assert_eq!(json(&reused.summary), json(&full.summary), "{}", v.name);
        assert_eq!(reused.sections, full.sections, "{}", v.name);
    }
}
