//! Experiments: several variants of one scenario run on the same random paths, so that their
//! differences are effects of the change, not noise (common random numbers).
//!
//! Why it works here: every random draw of a path comes from a stream named by what it drives
//! (`disruption:<name>`, `demand:<bloc>/<material>`, `tension`) and seeded by (seed, path index),
//! not by position in the model. A variant that changes a cap, a stockpile or one disruption's
//! frequency keeps every other draw of every path, so a path's outcome moves only as far as the
//! change moves it. `sim::timeline` documents the streams; `stats::sectioning` turns the paired
//! section estimates into intervals.
//!
//! Flow: base scenario + settings → `variant::build` (compiled models) → `run_variant` (the
//! ordinary runner, keeping each chunk's summary as a section) → `level` / `difference`, or
//! `comparison::compare` for every headline metric of two variants at once.

mod bytes;
pub(crate) mod cap_cost;
pub(crate) mod comparison;
pub(crate) mod compliance;
pub(crate) mod frequency;
pub(crate) mod replay;
pub(crate) mod reuse;
pub(crate) mod sensitivity;
pub(crate) mod stress_cap;
pub(crate) mod sweep;
pub(crate) mod variant;

use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};

use crate::model::Model;
use crate::sim::path::Recording;
use crate::sim::plan::build;
use crate::sim::runner::{run_solver, Kernel, PathSolver, RunConfig, CHUNK};
use crate::stats::metric::{read, Stat, Subject};
use crate::stats::section::SectionValues;
use crate::stats::sectioning::{paired_difference, sectioned, SectionedEstimate};
use crate::stats::{finish, Layout, Summary};

/// Fewest sections for an interval worth printing (t on 7 degrees of freedom: ×2.36).
pub(crate) const MIN_SECTIONS: u64 = 8;

/// One variant's results: the full-sample summary and, per section of `CHUNK` paths, the values
/// its metrics read (`stats::section`: all the sections are used for, at a hundredth of a summary).
#[derive(Debug, Clone)]
pub struct VariantRun {
    pub summary: Summary,
    pub sections: Vec<SectionValues>,
    pub cancelled: bool,
}

/// Paths rounded up to whole sections, and at least `MIN_SECTIONS` of them.
pub(crate) fn sectioned_paths(paths: u64) -> u64 {
    paths.div_ceil(CHUNK).max(MIN_SECTIONS) * CHUNK
}

/// Run one variant with the ordinary runner (same seed and path indices as every other variant).
pub fn run_variant(
    model: &Model,
    cfg: &RunConfig,
    cancel: &AtomicBool,
    progress: impl FnMut(u64, u64),
) -> Result<VariantRun> {
    run_variant_recording(model, cfg, Recording::Full, cancel, progress)
}

/// `run_variant`, its paths recording `recording`: with `Recording::Headline` the summary has
/// no fans and no tail attribution, and every other figure is `run_variant`'s to the bit.
pub(crate) fn run_variant_recording(
    model: &Model,
    cfg: &RunConfig,
    recording: Recording,
    cancel: &AtomicBool,
    progress: impl FnMut(u64, u64),
) -> Result<VariantRun> {
    let plan = build(model);
    let kernel = Kernel {
        model,
        plan: &plan,
        seed: cfg.seed,
        recording,
    };
    run_sections(model, &plan.layout, &kernel, cfg, cancel, progress)
}

/// `run_variant` on the paths of `solver`: the ordinary runner's chunks and fold, each chunk's
/// summary kept as a section.
pub(crate) fn run_sections<S: PathSolver>(
    model: &Model,
    layout: &Layout,
    solver: &S,
    cfg: &RunConfig,
    cancel: &AtomicBool,
    progress: impl FnMut(u64, u64),
) -> Result<VariantRun> {
    let cfg = RunConfig {
        paths: sectioned_paths(cfg.paths),
        target_se: None,
        ..cfg.clone()
    };
    let mut sections = Vec::new();
    let driven = run_solver(
        model,
        layout,
        solver,
        &cfg,
        cancel,
        progress,
        |layout, part| {
            sections.push(SectionValues::of_accumulator(layout, part));
        },
    )
    .context("starting the worker threads")?;
    Ok(VariantRun {
        summary: finish(layout, &driven.acc),
        sections,
        cancelled: driven.cancelled,
    })
}

/// A metric of one variant with its sectioning interval.
pub fn level(run: &VariantRun, subject: &Subject, stat: Stat) -> Option<SectionedEstimate> {
    let full = read(&run.summary, subject, stat)?.value;
    let parts: Option<Vec<f64>> = run
        .sections
        .iter()
        .map(|s| s.value(subject, stat))
        .collect();
    Some(sectioned(full, &parts?))
}

/// The paired difference `b − a` of a metric, with its sectioning interval.
pub fn difference(
    a: &VariantRun,
    b: &VariantRun,
    subject: &Subject,
    stat: Stat,
) -> Option<SectionedEstimate> {
    let full_a = read(&a.summary, subject, stat)?.value;
    let full_b = read(&b.summary, subject, stat)?.value;
    let parts = |r: &VariantRun| -> Option<Vec<f64>> {
        r.sections.iter().map(|s| s.value(subject, stat)).collect()
    };
    let (pa, pb) = (parts(a)?, parts(b)?);
    (pa.len() == pb.len()).then(|| paired_difference(full_a, full_b, &pa, &pb))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::experiment::reuse::Runner;
    use crate::experiment::variant::{self, Setting};
    use crate::scenario::setter::FieldPath;
    use crate::sim::runner::run_with;
    use crate::stats::metric::{subjects, HEADLINE_STATS};

    fn small_cfg(seed: u64) -> RunConfig {
        RunConfig {
            seed,
            paths: 2048,
            threads: 2,
            target_se: None,
            max_paths: 2048,
        }
    }

    /// A headline-only run gives the full run's headline metrics (every subject, every headline
    /// statistic, to the bit), section values and cap breaches, and the rest of the summary but
    /// the fans and the tail attribution, which it leaves empty.
    fn assert_same_headlines(headline: &VariantRun, full: &VariantRun) {
        let mut compared = 0;
        for subject in subjects(&full.summary) {
            for stat in HEADLINE_STATS {
                let bits =
                    |r: &VariantRun| read(&r.summary, &subject, stat).map(|r| r.value.to_bits());
                assert_eq!(bits(headline), bits(full), "{subject} {stat}");
                compared += usize::from(bits(full).is_some());
            }
        }
        assert!(compared >= 20, "{compared} figures compared");
        assert_eq!(headline.sections, full.sections);
        assert_eq!(headline.summary.cap_breach, full.summary.cap_breach);
        assert!(headline.summary.tail_attribution.is_empty());
        assert!(headline
            .summary
            .timeseries
            .iter()
            .all(|f| f.mean.is_empty()));
        let without_fans_and_tail = |r: &VariantRun| {
            let mut s = r.summary.clone();
            s.timeseries.clear();
            s.tail_attribution.clear();
            serde_json::to_string(&s).unwrap()
        };
        assert_eq!(without_fans_and_tail(headline), without_fans_and_tail(full));
    }

    fn setting(path: &str, value: f64) -> Setting {
        Setting {
            path: FieldPath::parse(path).unwrap(),
            value,
        }
    }

    /// A cap sweep as `sweep --cap` runs it (headline only, the base's records reused, breaches
    /// recomputed), point by point against full runs; some paths breach the cap.
    #[test]
    fn a_headline_cap_sweep_reads_as_full_runs() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let models: Vec<Model> = [1.0, 0.5, 0.8]
            .map(|level| variant::build(&loaded, &[setting("supplier_cap.level", level)]).unwrap())
            .into();
        let cancel = AtomicBool::new(false);
        let mut runner = Runner::recomputing_breaches(&models).headline_only();
        let mut breached = 0;
        for m in &models {
            let headline = runner.run(m, &small_cfg(5), &cancel, |_, _| {}).unwrap();
            let full = run_variant(m, &small_cfg(5), &cancel, |_, _| {}).unwrap();
            assert!(!full.summary.tail_attribution.is_empty());
            assert_same_headlines(&headline, &full);
            breached += full
                .summary
                .cap_breach
                .iter()
                .filter(|b| b.probability_any_month.p > 0.0)
                .count();
        }
        assert!(breached > 0);
    }

    /// Variants of several materials as `sensitivity` runs them (headline only, the base's
    /// records reused for the materials a variant leaves alone), and one solved whole.
    #[test]
    fn headline_variants_read_as_full_runs() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let base = crate::model::compile(&loaded).unwrap();
        let gallium = variant::build(
            &loaded,
            &[setting("blocs.EU.stockpiles.gallium.initial_months", 6.0)],
        )
        .unwrap();
        let cancel = AtomicBool::new(false);
        let mut runner = Runner::default().headline_only();
        for m in [&base, &gallium] {
            let headline = runner.run(m, &small_cfg(7), &cancel, |_, _| {}).unwrap();
            let full = run_variant(m, &small_cfg(7), &cancel, |_, _| {}).unwrap();
            assert_same_headlines(&headline, &full);
        }
        let whole = run_variant_recording(
            &gallium,
            &small_cfg(7),
            Recording::Headline,
            &cancel,
            |_, _| {},
        );
        let full = run_variant(&gallium, &small_cfg(7), &cancel, |_, _| {}).unwrap();
        assert_same_headlines(&whole.unwrap(), &full);
    }

    /// Runs folding one subject only (`Runner::folding_only`, as `sensitivity` runs its
    /// variants) read, for that subject, every headline statistic and section value of the
    /// runs folding everything, to the bit; their summaries and sections hold that subject
    /// alone. Two blocs as a whole (from all their cells, none folded) and two cells, whose
    /// variants solve that material alone: the base (`Keeping`) and, on its records
    /// (`Reusing`), a variant of one material, one of two, a process switched off (its
    /// material's episodes alone change) and a parameter class (every material, on the base's
    /// episodes).
    #[test]
    fn runs_folding_one_subject_read_as_runs_folding_all() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let base = crate::model::compile(&loaded).unwrap();
        let gallium = setting("blocs.EU.stockpiles.gallium.initial_months", 6.0);
        let graphite = setting("blocs.EU.stockpiles.graphite.initial_months", 0.5);
        let licence_off = variant::build_edited(&loaded, "licence off", |raw| {
            for d in raw.disruptions.iter_mut() {
                if d.name == "china-graphite-licence" {
                    d.enabled = false;
                }
            }
        })
        .unwrap();
        let (_, _, class) = crate::experiment::sensitivity::classes::runnable_variants(&loaded)
            .into_iter()
            .next()
            .unwrap();
        let models = [
            base,
            variant::build(&loaded, std::slice::from_ref(&gallium)).unwrap(),
            variant::build(&loaded, &[gallium, graphite]).unwrap(),
            licence_off,
            class,
        ];
        let cancel = AtomicBool::new(false);
        let subject = |bloc: &str, material: Option<&str>| Subject {
            bloc: bloc.into(),
            material: material.map(Into::into),
        };
        let mut all = Runner::default().headline_only();
        let runs_of_all: Vec<VariantRun> = models
            .iter()
            .map(|m| all.run(m, &small_cfg(3), &cancel, |_, _| {}).unwrap())
            .collect();
        // The variants move what they change: (run, run it moves away from, EU's material).
        let mean = |r: &VariantRun, material: &str| {
            let eu = subject("EU", Some(material));
            read(&r.summary, &eu, Stat::Mean).unwrap().value
        };
        for (a, b, material) in [
            (0, 1, "gallium"),
            (1, 2, "graphite"),
            (0, 3, "graphite"),
            (0, 4, "gallium"),
        ] {
            let (x, y) = (
                mean(&runs_of_all[a], material),
                mean(&runs_of_all[b], material),
            );
            assert_ne!(x, y, "EU {material}: run {b} against run {a}");
        }
        let eu = |r: &VariantRun| read(&r.summary, &subject("EU", None), Stat::Mean).unwrap();
        assert!((1..5).all(|v| eu(&runs_of_all[v]).value != eu(&runs_of_all[0]).value));
        let mut nonzero = 0;
        for subject in [
            subject("EU", None),
            subject("China", None),
            subject("EU", Some("gallium")),
            subject("EU", Some("graphite")),
        ] {
            let mut one = Runner::default().folding_only(subject.clone());
            for (m, of_all) in models.iter().zip(&runs_of_all) {
                let of_one = one.run(m, &small_cfg(3), &cancel, |_, _| {}).unwrap();
                assert_eq!(subjects(&of_one.summary), vec![subject.clone()]);
                let s = &of_one.summary;
                assert!(s.materials.is_empty() && s.floors.is_empty() && s.cap_breach.is_empty());
                assert!(s.timeseries.is_empty() && s.parameter_uncertainty.is_empty());
                assert_eq!(of_one.sections.len(), of_all.sections.len());
                for stat in HEADLINE_STATS {
                    let bits = |r: &VariantRun| {
                        read(&r.summary, &subject, stat).map(|r| r.value.to_bits())
                    };
                    assert_eq!(bits(&of_one), bits(of_all), "{subject} {stat}");
                    nonzero +=
                        usize::from(read(&of_all.summary, &subject, stat).unwrap().value > 0.0);
                    for (a, b) in of_one.sections.iter().zip(&of_all.sections) {
                        assert_eq!(a.subjects.len(), 1);
                        let bits = |s: &SectionValues| s.value(&subject, stat).map(f64::to_bits);
                        assert_eq!(bits(a), bits(b), "{subject} {stat} section");
                    }
                }
            }
        }
        assert!(nonzero >= 20, "{nonzero} figures above zero");
        let layout = &build(&models[0]).layout;
        use crate::stats::RunAccumulator;
        assert!(RunAccumulator::of_subject(layout, &subject("EU", Some("unobtainium"))).is_none());
        assert!(RunAccumulator::of_subject(layout, &subject("Atlantis", None)).is_none());
    }

    /// A section's values taken straight from a chunk's accumulator are those of the chunk's
    /// whole summary, to the bit, chunk by chunk and for the merged run (a scenario with a
    /// bloc short of some materials and not others).
    #[test]
    fn section_values_of_an_accumulator_are_those_of_its_summary() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let cfg = RunConfig {
            paths: 3 * 2048,
            ..small_cfg(11)
        };
        let mut chunks = 0;
        let out = run_with(
            &model,
            &cfg,
            &AtomicBool::new(false),
            |_, _| {},
            |l, part| {
                let direct = SectionValues::of_accumulator(l, part);
                assert_eq!(direct, SectionValues::of(&finish(l, part)));
                assert!(direct.subjects.iter().any(|s| s.any.0 > 0.0));
                chunks += 1;
            },
        )
        .unwrap();
        assert_eq!(chunks, 3);
        let layout = &out.plan.layout;
        assert_eq!(
            SectionValues::of_accumulator(layout, &out.acc),
            SectionValues::of(&finish(layout, &out.acc))
        );
    }

    /// A section's values answer every metric as `read` answers it from the whole summary,
    /// including the statistics and subjects it has no figure for.
    #[test]
    fn section_values_read_as_the_summary_does() {
        let loaded =
            crate::scenario::load::load("tests/scenarios/good/tension-triggers.ron").unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let cfg = RunConfig {
            seed: 3,
            paths: 2048,
            threads: 1,
            target_se: None,
            max_paths: 2048,
        };
        let mut summaries = Vec::new();
        run_with(
            &model,
            &cfg,
            &AtomicBool::new(false),
            |_, _| {},
            |l, part| summaries.push(finish(l, part)),
        )
        .unwrap();
        let s = &summaries[0];
        let values = SectionValues::of(s);
        let back: SectionValues =
            serde_json::from_str(&serde_json::to_string(&values).unwrap()).unwrap();
        assert_eq!(back, values);
        let mut stats = HEADLINE_STATS.to_vec();
        stats.extend([Stat::Cvar99, Stat::Quantile(0.999), Stat::Quantile(0.97)]);
        stats.push(Stat::ProbabilityOver(0.07));
        let mut subjects = subjects(s);
        subjects.push(Subject {
            bloc: "EU".into(),
            material: Some("cobalt".into()),
        });
        let mut compared = 0;
        for subject in &subjects {
            for &stat in &stats {
                let want = read(s, subject, stat).map(|r| r.value.to_bits());
                assert_eq!(
                    back.value(subject, stat).map(f64::to_bits),
                    want,
                    "{subject} {stat}"
                );
                compared += usize::from(want.is_some());
            }
        }
        assert!(compared > 50, "{compared} figures compared");
    }
}
