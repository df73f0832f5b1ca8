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
use crate::sim::runner::{run_with, RunConfig, CHUNK};
use crate::stats::metric::{read, Stat, Subject};
use crate::stats::section::SectionValues;
use crate::stats::sectioning::{paired_difference, sectioned, SectionedEstimate};
use crate::stats::{finish, Summary};

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
    let cfg = RunConfig {
        paths: sectioned_paths(cfg.paths),
        target_se: None,
        ..cfg.clone()
    };
    let mut sections = Vec::new();
    let outcome = run_with(model, &cfg, cancel, progress, |layout, part| {
        sections.push(SectionValues::of(&finish(layout, part)));
    })
    .context("starting the worker threads")?;
    let summary = finish(&outcome.plan.layout, &outcome.acc);
    Ok(VariantRun {
        summary,
        sections,
        cancelled: outcome.cancelled,
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
    use crate::stats::metric::{subjects, HEADLINE_STATS};

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
