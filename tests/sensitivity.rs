//! The sensitivity analysis against analytic answers, its claim that unreachable processes have
//! exactly zero effect, the tornado order and chart, and the command's argument errors.

mod common;

use std::sync::atomic::AtomicBool;

use common::cli::{run_in, shortfall};
use common::scenarios::TWO_BANS;
use shortfall::compile;
use shortfall::sensitivity::{plan, run, Sensitivity, Settings};
use shortfall::variant::build_edited;
use shortfall::RunConfig;
use shortfall::{difference, run_variant};
use shortfall::{load_str, LoadedScenario};
use shortfall::{write_tornado, ChartMeta};
use shortfall::{Stat, Subject};

fn any_in_five_years(p: f64) -> f64 {
    1.0 - (1.0 - p).powi(5)
}

fn loaded() -> LoadedScenario {
    load_str("two-bans.ron", TWO_BANS).unwrap_or_else(|e| panic!("{e}"))
}

fn cfg(paths: u64) -> RunConfig {
    common::config(5, paths, 2)
}

fn analyse(material: Option<&str>, top: usize, paths: u64) -> Sensitivity {
    let base = loaded();
    let model = compile(&base).unwrap();
    let settings = Settings {
        subject: Subject {
            bloc: "EU".into(),
            material: material.map(str::to_string),
        },
        stat: Stat::ProbabilityAny,
        top,
    };
    let plan = plan(&base, &model, &settings, paths).unwrap();
    run(
        &base,
        &model,
        &plan,
        &cfg(paths),
        &settings,
        &AtomicBool::new(false),
        |_, _| {},
    )
    .unwrap()
    .expect("not cancelled")
}

#[test]
fn switching_a_process_off_moves_its_material_by_the_analytic_amount_and_the_other_by_zero() {
    let s = analyse(Some("x"), 2, 20_480);
    assert_eq!(s.paths, 20_480);
    let truth_base = any_in_five_years(0.1);
    assert!(
        s.base.ci95.low <= truth_base && truth_base <= s.base.ci95.high,
        "{:?}",
        s.base
    );
    let x = s.processes.iter().find(|p| p.process == "ban-x").unwrap();
    // Off: P(any x) falls to 0 on every path, so the change is −(1 − 0.9⁵).
    let d = x.off.difference;
    assert!(
        d.ci95.low <= -truth_base && -truth_base <= d.ci95.high,
        "off {d:?} vs {}",
        -truth_base
    );
    assert_eq!(x.off.value.value, 0.0);
    // A fixed probability is halved and doubled: 0.05 and 0.2.
    let (low, high) = (x.low.unwrap(), x.high.unwrap());
    assert_eq!((low.frequency, high.frequency), (Some(0.05), Some(0.2)));
    for (e, p) in [(low, 0.05), (high, 0.2)] {
        let truth = any_in_five_years(p) - truth_base;
        assert!(
            e.difference.ci95.low <= truth && truth <= e.difference.ci95.high,
            "{:?} {e:?} vs {truth}",
            e.variant
        );
        // Pairing: the same thresholds meet a halved or doubled hazard, so only paths whose
        // onset status flips differ; the interval is far narrower than for independent runs.
        let independent = (2.0 * 0.5 * 0.5 / 20_480.0f64).sqrt();
        assert!(e.difference.se < 0.8 * independent, "{e:?}");
    }
    // ban-y touches only y: not simulated, reported as exactly 0, and sorted last.
    let y = s.processes.iter().find(|p| p.process == "ban-y").unwrap();
    assert!(!y.reaches_subject && y.off.exact_zero);
    assert_eq!((y.off.difference.value, y.off.difference.se), (0.0, 0.0));
    assert!(y.low.is_none() && y.high.is_none());
    assert_eq!(s.processes[0].process, "ban-x");
}

#[test]
fn a_process_that_cannot_reach_a_material_changes_it_by_exactly_zero_when_simulated() {
    // The claim that lets the analysis skip unreachable processes, checked by running the
    // variant anyway: every path of y is the same with ban-x off.
    let base = loaded();
    let cancel = AtomicBool::new(false);
    let a = run_variant(&compile(&base).unwrap(), &cfg(8_192), &cancel, |_, _| {}).unwrap();
    let off = build_edited(&base, "ban-x off", |raw| {
        raw.disruptions
            .iter_mut()
            .filter(|d| d.name == "ban-x")
            .for_each(|d| d.enabled = false);
    })
    .unwrap();
    let b = run_variant(&off, &cfg(8_192), &cancel, |_, _| {}).unwrap();
    let y = Subject {
        bloc: "EU".into(),
        material: Some("y".into()),
    };
    for stat in [
        Stat::ProbabilityAny,
        Stat::Mean,
        Stat::Quantile(0.95),
        Stat::ProbabilityOver(0.05),
    ] {
        let d = difference(&a, &b, &y, stat).unwrap();
        assert_eq!((d.value, d.se), (0.0, 0.0), "{stat}");
    }
    assert_eq!(
        serde_json::to_string(&a.summary.cells[1]).unwrap(),
        serde_json::to_string(&b.summary.cells[1]).unwrap(),
        "y's whole summary is unchanged"
    );
}

#[test]
fn the_tornado_puts_the_larger_effect_first_and_draws_a_png() {
    // For the EU as a whole, P(any) = 1 − 0.9⁵·0.8⁵. Switching ban-y off leaves 1 − 0.9⁵
    // (a change of −0.397); switching ban-x off leaves 1 − 0.8⁵ (−0.134): ban-y comes first.
    let s = analyse(None, 1, 16_384);
    let names: Vec<&str> = s.processes.iter().map(|p| p.process.as_str()).collect();
    assert_eq!(names, ["ban-y", "ban-x"]);
    let truth = any_in_five_years(0.1) - (1.0 - 0.9f64.powi(5) * 0.8f64.powi(5));
    let d = s.processes[0].off.difference;
    assert!(d.ci95.low <= truth && truth <= d.ci95.high, "{d:?}");
    // --top 1: only the larger switch-off effect gets the frequency range.
    assert!(s.processes[0].low.is_some() && s.processes[1].low.is_none());
    assert!(s.processes.iter().all(|p| p.reaches_subject));

    let dir = tempfile::tempdir().unwrap();
    let meta = ChartMeta {
        scenario: "two-bans".into(),
        paths: s.paths,
        seed: s.seed,
        data: None,
    };
    let files = write_tornado(&s, &meta, dir.path()).unwrap();
    assert_eq!(files.len(), 2);
    let png = std::fs::read(dir.path().join("charts/tornado.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let dims = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dims(16), dims(20)), (1600, 900));
    assert!(png.len() > 20_000, "{} bytes: a blank canvas?", png.len());
    let svg = std::fs::read_to_string(dir.path().join("charts/tornado.svg")).unwrap();
    assert!(svg.contains("What moves P(any shortfall) for EU (worst material)?"));
    assert!(svg.contains("ban-y") && svg.contains("process switched off"));
    // The source line: scenario on the first line, version, paths and seed on the second.
    assert!(svg.contains("scenario two-bans"));
    assert!(svg.contains("16,384 paths · seed 5"));
}

#[test]
fn bad_metric_or_material_exits_2_with_a_hint() {
    let out = shortfall()
        .args(["sensitivity", "--metric", "P(>7%)", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("5%, 10% and 25%"), "{err}");

    let out = shortfall()
        .args(["sensitivity", "--material", "cobolt", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `cobalt`"), "{err}");

    let out = shortfall()
        .args(["sensitivity", "--bloc", "Japn", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `Japan`"));
}

#[test]
fn the_command_writes_its_files_and_prints_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_in(
        dir.path(),
        TWO_BANS,
        &[
            "sensitivity",
            "--material",
            "y",
            "--metric",
            "P(any)",
            "--paths",
            "2048",
            "--seed",
            "3",
        ],
    );
    let (out_dir, stdout) = (ran.out, ran.stdout);
    assert!(stdout.contains("ban-y"), "{stdout}");
    assert!(stdout.contains("1 processes cannot reach EU y"), "{stdout}");
    let csv = std::fs::read_to_string(out_dir.join("sensitivity.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("scenario,bloc,material,metric,process,kind,variant,parameter"));
    // base, ban-y off/low/high, ban-x off (exact zero), then the one parameter class the file
    // has entries for (ramp-up, at its default of 6 months), low and high.
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 7, "{csv}");
    assert!(
        rows[5].contains(",ramp-up months,parameter class,low,"),
        "{}",
        rows[5]
    );
    assert!(rows[6].contains(",high,"), "{}", rows[6]);
    assert!(rows[0].contains(",base,"));
    assert!(rows[4].starts_with("two-bans,EU,y,P(any),ban-x,ExportBan,off,enabled,false,"));
    assert!(rows[4].ends_with(",0,0,0,0,true"), "{}", rows[4]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("sensitivity.json")).unwrap()).unwrap();
    assert_eq!(json["paths"], 16_384);
    assert_eq!(json["processes"][0]["process"], "ban-y");
    for f in ["charts/tornado.png", "charts/tornado.svg"] {
        assert!(std::fs::metadata(out_dir.join(f)).unwrap().len() > 0, "{f}");
    }
}

#[test]
fn the_tension_class_moves_the_metric_as_the_closed_form_says() {
    // The two bans under a tension regime that starts "tense" (multiplier 3) and never leaves.
    // A one-month ban pauses its process only in its own month, so P(some onset of ban-x in 60
    // months) = 1 − e^(−5 λ M) = 1 − 0.9^(5 M) with M the multiplier. The class scales the
    // escalation M − 1 by 0.5 and 1.5: M = 2 and 4 against the base's 3.
    let text = TWO_BANS.replace(
        "    disruptions: [",
        r#"    tension: (regimes: { "calm": 1.0, "tense": 3.0 }, initial: "tense", monthly_transitions: {}),
    disruptions: ["#,
    );
    let base = load_str("two-bans.ron", &text).unwrap_or_else(|e| panic!("{e}"));
    let model = compile(&base).unwrap();
    let settings = Settings {
        subject: Subject {
            bloc: "EU".into(),
            material: Some("x".into()),
        },
        stat: Stat::ProbabilityAny,
        top: 0,
    };
    let plan = plan(&base, &model, &settings, 16_384).unwrap();
    let s = run(
        &base,
        &model,
        &plan,
        &cfg(16_384),
        &settings,
        &AtomicBool::new(false),
        |_, _| {},
    )
    .unwrap()
    .expect("not cancelled");
    let p = |m: f64| 1.0 - 0.9f64.powf(5.0 * m);
    assert!((s.base.value - p(3.0)).abs() < 0.015, "{:?}", s.base);
    let tension = s
        .classes
        .iter()
        .find(|c| c.class == "tension multipliers")
        .expect("the tension class");
    assert_eq!(tension.entries, 1);
    let (low, high) = (tension.low.unwrap(), tension.high.unwrap());
    for (e, m) in [(low, 2.0), (high, 4.0)] {
        let want = p(m) - p(3.0);
        let d = e.difference;
        assert!((d.value - want).abs() < 0.015, "{d:?} vs {want}");
        assert!(d.ci95.low < d.value && d.value < d.ci95.high, "{d:?}");
    }
    // A class with nothing to move is listed and not run.
    let stock = s
        .classes
        .iter()
        .find(|c| c.class.starts_with("stock"))
        .unwrap();
    assert_eq!(stock.entries, 0);
    assert!(stock.low.is_none() && stock.high.is_none());
}
