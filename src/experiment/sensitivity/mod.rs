//! Sensitivity of a headline metric to each disruption process (the tornado chart's numbers):
//! the base run, then per enabled process a variant with it switched off and, for the `top`
//! processes with the largest switch-off effect, variants with its frequency at the low and
//! high end of its range (`frequency`). Every variant runs on the base's seed and path indices,
//! so each effect is a paired difference (common random numbers) with a sectioning interval
//! (`stats::sectioning`); no printing, no files.
//!
//! Processes that cannot reach the subject are not simulated. A process reaches a material if
//! it hits it or triggers (directly or through a chain of triggers) a process that does. For a
//! material it cannot reach, switching it off or moving its frequency changes nothing, exactly:
//! every process draws from its own named stream (`sim::timeline::StreamKeys`), so the other
//! processes' onsets, durations and severities are the same draws on every path; the only
//! way one process changes another's events is a trigger, which the closure follows; and
//! materials are solved independently given the timeline (`sim::path`: allocation, stockpiles,
//! prices and floors never cross materials). So the subject's paths are the base's paths, and
//! its difference is 0 with no error.

pub mod classes;
mod result;

pub use result::{ProcessSensitivity, Sensitivity, Variant, VariantEffect};

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Result};

use super::frequency::{self, FrequencyRange};
use super::variant::build_edited;
use super::{difference, level, sectioned_paths, VariantRun};
use crate::model::Model;
use crate::scenario::{LoadedScenario, Param};
use crate::sim::RunConfig;
use crate::stats::estimate::Interval;
use crate::stats::metric::{Stat, Subject};
use crate::stats::sectioning::SectionedEstimate;

/// Processes given the low/high variants when `--top` is not set: enough for the chart's
/// upper rows, few enough that the default run takes minutes.
pub(crate) const DEFAULT_TOP: usize = 8;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whose consumption shortfall is measured (a bloc, or a bloc × material).
    pub subject: Subject,
    /// The statistic of it that each variant is judged by.
    pub stat: Stat,
    /// How many processes (largest switch-off effect first) get the low/high variants.
    pub top: usize,
}

/// One enabled process as the analysis sees it before running anything.
#[derive(Debug, Clone)]
pub struct PlannedProcess {
    pub name: String,
    pub kind: String,
    /// None for a scripted event, which has no frequency to move.
    pub range: Option<FrequencyRange>,
    pub reaches_subject: bool,
}

/// The work ahead, known before the first path: for the progress bar and the user.
#[derive(Debug, Clone)]
pub struct Plan {
    pub processes: Vec<PlannedProcess>,
    /// Paths per variant, rounded up to whole sections.
    pub paths: u64,
    /// Simulated variants, base included.
    pub variants: u64,
}

impl Plan {
    pub fn total_paths(&self) -> u64 {
        self.variants * self.paths
    }

    /// Processes whose switch-off is simulated (the others are exact zeros).
    pub fn simulated_off(&self) -> usize {
        self.processes.iter().filter(|p| p.reaches_subject).count()
    }
}

/// List the enabled processes, what each reaches and its frequency range; count the variants.
pub fn plan(base: &LoadedScenario, model: &Model, settings: &Settings, paths: u64) -> Result<Plan> {
    let subject_materials = subject_materials(model, &settings.subject)?;
    let reach = reached_materials(model);
    let mut processes = Vec::new();
    for (p, d) in model.disruptions.iter().enumerate() {
        let Some(raw) = base.raw.disruptions.iter().find(|r| r.name == d.name) else {
            bail!("process `{}` is in the model but not the scenario", d.name);
        };
        processes.push(PlannedProcess {
            name: d.name.clone(),
            kind: format!("{:?}", d.kind),
            range: frequency::range(raw),
            reaches_subject: !reach[p].is_disjoint(&subject_materials),
        });
    }
    let ranged = processes
        .iter()
        .filter(|p| p.reaches_subject && p.range.is_some())
        .count();
    let simulated_off = processes.iter().filter(|p| p.reaches_subject).count();
    Ok(Plan {
        paths: sectioned_paths(paths),
        variants: 1
            + simulated_off as u64
            + 2 * ranged.min(settings.top) as u64
            + 2 * classes::runnable(base) as u64,
        processes,
    })
}

/// Material indices whose shortfall the metric reads.
fn subject_materials(model: &Model, subject: &Subject) -> Result<BTreeSet<usize>> {
    let Some(b) = model.blocs.iter().position(|x| x.name == subject.bloc) else {
        bail!("the scenario has no bloc `{}`", subject.bloc);
    };
    let consumed = |m: usize| model.cells[b][m].is_some();
    match &subject.material {
        None => Ok((0..model.materials.len())
            .filter(|&m| consumed(m))
            .collect()),
        Some(name) => match model.materials.iter().position(|x| &x.name == name) {
            Some(m) if consumed(m) => Ok(BTreeSet::from([m])),
            Some(_) => bail!("{} has no demand for {name}", subject.bloc),
            None => bail!("the scenario has no material `{name}`"),
        },
    }
}

/// Per process: the materials it hits or reaches through chains of triggers.
fn reached_materials(model: &Model) -> Vec<BTreeSet<usize>> {
    (0..model.disruptions.len())
        .map(|start| {
            let mut seen = BTreeSet::from([start]);
            let mut stack = vec![start];
            while let Some(p) = stack.pop() {
                for t in &model.disruptions[p].triggers {
                    if seen.insert(t.target) {
                        stack.push(t.target);
                    }
                }
            }
            seen.iter()
                .flat_map(|&p| model.disruptions[p].materials.iter().copied())
                .collect()
        })
        .collect()
}

/// Run the analysis. `progress(done, total)` counts paths over all variants. Returns None when
/// cancelled.
pub fn run(
    base: &LoadedScenario,
    model: &Model,
    plan: &Plan,
    cfg: &RunConfig,
    settings: &Settings,
    cancel: &AtomicBool,
    mut progress: impl FnMut(u64, u64),
) -> Result<Option<Sensitivity>> {
    let total = plan.total_paths();
    let mut done = 0u64;
    // The base runs first and is kept; every variant re-solves only the materials it changes.
    // The analysis reads one headline metric of one subject: no fans, no tail attribution, and
    // no other subject's figures are folded.
    // Each batch of variants runs `cfg.threads` variants at a time (`Runner::run_many`).
    let mut runner = super::reuse::Runner::default().folding_only(settings.subject.clone());
    let simulate = |batch: &[(Candidate, &Model)], on_run: &mut dyn FnMut(usize, VariantRun)| {
        let offset = done;
        let models: Vec<&Model> = batch.iter().map(|&(_, m)| m).collect();
        let complete = runner.run_many(
            &models,
            cfg,
            cancel,
            |d, _| progress(offset + d, total),
            on_run,
        )?;
        done += plan.paths * batch.len() as u64;
        Ok(complete)
    };
    run_using(base, model, plan, settings, cfg.seed, simulate)
}

/// A variant the analysis may simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Candidate {
    /// The scenario as written.
    Base,
    /// A process (its index in `Plan::processes`) switched off or at the low or high end of its
    /// frequency range.
    Process(usize, Variant),
    /// A parameter class (its index in `classes::CLASSES`) scaled low or high as a whole.
    Class(usize, Variant),
}

/// Every variant a sharded analysis simulates, in the order its shards cut them: the base,
/// each process that reaches the subject switched off, then low and high for every one of them
/// with a frequency range. One machine runs low/high only for the `top` largest switch-off
/// effects, chosen after the switch-offs; a shard cannot wait for those, so it runs them all
/// and the merge uses the same `top`. Last, low and high of every parameter class the scenario
/// has entries of and that compiles scaled (the ones one machine runs), each with its compiled
/// model (`candidate_model` compiles the others).
pub fn candidates(base: &LoadedScenario, plan: &Plan) -> Vec<(Candidate, Option<Model>)> {
    let mut out: Vec<(Candidate, Option<Model>)> = process_candidates(plan)
        .into_iter()
        .map(|c| (c, None))
        .collect();
    out.extend(
        classes::runnable_variants(base)
            .into_iter()
            .map(|(k, v, m)| (Candidate::Class(k, v), Some(m))),
    );
    out
}

/// The candidates before the parameter classes (base and processes), compiling nothing.
pub fn process_candidates(plan: &Plan) -> Vec<Candidate> {
    let reaching = || {
        plan.processes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.reaches_subject)
    };
    let mut out: Vec<Candidate> = vec![Candidate::Base];
    out.extend(reaching().map(|(i, _)| Candidate::Process(i, Variant::Off)));
    for (i, _) in reaching().filter(|(_, p)| p.range.is_some()) {
        out.push(Candidate::Process(i, Variant::Low));
        out.push(Candidate::Process(i, Variant::High));
    }
    out
}

/// A candidate as a shard header names it: `base`, `<process> off|low|high`,
/// `class <class> low|high`.
pub fn candidate_label(plan: &Plan, c: Candidate) -> String {
    match c {
        Candidate::Base => "base".into(),
        Candidate::Process(i, v) => format!("{} {}", plan.processes[i].name, v.name()),
        Candidate::Class(k, v) => format!("class {} {}", classes::CLASSES[k].name(), v.name()),
    }
}

/// The model of a candidate (the base compiled again for `None`).
pub fn candidate_model(base: &LoadedScenario, plan: &Plan, c: Candidate) -> Result<Model> {
    match c {
        Candidate::Base => Ok(crate::model::compile(base)?),
        Candidate::Process(i, v) => variant_model(base, &plan.processes[i], v),
        Candidate::Class(k, v) => classes::class_model(base, k, v),
    }
}

/// The scenario with one process switched off, or its frequency pinned low or high.
fn variant_model(base: &LoadedScenario, p: &PlannedProcess, variant: Variant) -> Result<Model> {
    let Some(range) = p.range.as_ref().filter(|_| variant != Variant::Off) else {
        return build_edited(base, &format!("{} switched off", p.name), |raw| {
            for d in raw.disruptions.iter_mut().filter(|d| d.name == p.name) {
                d.enabled = false;
            }
        });
    };
    let value = if variant == Variant::Low {
        range.low
    } else {
        range.high
    };
    let pinned = range.pinned(value);
    let what = format!("{}.{} = {value}", p.name, range.field);
    build_edited(base, &what, |raw| {
        for d in raw.disruptions.iter_mut().filter(|d| d.name == p.name) {
            if range.field == "annual_probability" {
                d.annual_probability = Some(pinned.clone());
            } else {
                d.rate_per_year = Some(pinned.clone());
            }
        }
    })
}

/// `run` with the variants' runs from `simulate(batch, on_run)`, which hands the run of the
/// batch's i-th (candidate, model) to `on_run(i, run)`, in any order, and returns false when
/// cancelled: simulated there and then, or taken from merged shards. The batches are the base;
/// every switch-off; then the parameter classes' and the top processes' low and high variants
/// (known once the switch-offs are). Each run is read as it comes and dropped, so the analysis
/// holds its effects, not every variant's summary. Returns None when cancelled.
pub fn run_using(
    base: &LoadedScenario,
    model: &Model,
    plan: &Plan,
    settings: &Settings,
    seed: u64,
    mut simulate: impl FnMut(&[(Candidate, &Model)], &mut dyn FnMut(usize, VariantRun)) -> Result<bool>,
) -> Result<Option<Sensitivity>> {
    let (subject, stat) = (&settings.subject, settings.stat);
    let mut base_run = None;
    if !simulate(&[(Candidate::Base, model)], &mut |_, run| {
        base_run = Some(run)
    })? {
        return Ok(None);
    }
    let base_run = base_run.expect("the base was run");
    let Some(base_level) = level(&base_run, subject, stat) else {
        bail!("{subject} is not in the results of {}", model.name);
    };
    let sections = base_run.sections.len();
    // An effect measured against the base; None when the metric cannot be read.
    let effect = |run: &VariantRun, variant: Variant, frequency: Option<f64>| {
        Some(VariantEffect {
            variant,
            frequency,
            value: level(run, subject, stat)?,
            difference: difference(&base_run, run, subject, stat)?,
            exact_zero: false,
        })
    };
    let exact_zero = |variant: Variant, frequency: Option<f64>| VariantEffect {
        variant,
        frequency,
        value: base_level,
        difference: SectionedEstimate {
            value: 0.0,
            se: 0.0,
            ci95: Interval {
                low: 0.0,
                high: 0.0,
            },
            sections,
        },
        exact_zero: true,
    };

    let offs = plan
        .processes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.reaches_subject)
        .map(|(i, p)| Ok((i, variant_model(base, p, Variant::Off)?)))
        .collect::<Result<Vec<(usize, Model)>>>()?;
    let batch: Vec<(Candidate, &Model)> = offs
        .iter()
        .map(|(i, m)| (Candidate::Process(*i, Variant::Off), m))
        .collect();
    let Some(off_effects) = batch_effects(&mut simulate, &batch, &|_, run| {
        effect(run, Variant::Off, None)
    })?
    else {
        return Ok(None);
    };
    let mut off_effects = off_effects.into_iter();
    let mut out = Vec::new();
    for p in &plan.processes {
        let off = if p.reaches_subject {
            off_effects
                .next()
                .expect("a run of every switch-off")
                .ok_or_else(|| anyhow::anyhow!("{subject} is not in the results"))?
        } else {
            exact_zero(Variant::Off, None)
        };
        out.push(process_row(p, off));
    }

    let ranked = ranked_by_switch_off(plan, &out);
    let mut low_high = Vec::new();
    for &i in ranked.iter().take(settings.top) {
        let p = &plan.processes[i];
        let range = p.range.as_ref().expect("filtered on a range");
        for (variant, value) in [(Variant::Low, range.low), (Variant::High, range.high)] {
            low_high.push((i, variant, value, variant_model(base, p, variant)?));
        }
    }
    let (mut classes, class_variants) = classes::class_variants(base);
    // The classes first: they solve every material and take longest, so the short low/high
    // variants fill in around them at the end of the batch.
    let batch: Vec<(Candidate, &Model)> = class_variants
        .iter()
        .map(|(k, v, m)| (Candidate::Class(*k, *v), m))
        .chain(
            low_high
                .iter()
                .map(|(i, v, _, m)| (Candidate::Process(*i, *v), m)),
        )
        .collect();
    let frequency = |i: usize| {
        low_high
            .get(i.checked_sub(class_variants.len())?)
            .map(|x| x.2)
    };
    let Some(effects) = batch_effects(&mut simulate, &batch, &|i, run| {
        effect(run, batch_variant(&batch[i].0), frequency(i))
    })?
    else {
        return Ok(None);
    };
    let mut effects = effects.into_iter();
    for (k, variant, _) in &class_variants {
        classes::set(&mut classes[*k], *variant, effects.next().flatten());
    }
    for ((i, variant, _, _), e) in low_high.iter().zip(effects) {
        let e = e.ok_or_else(|| anyhow::anyhow!("{subject} is not in the results"))?;
        match variant {
            Variant::Low => out[*i].low = Some(e),
            _ => out[*i].high = Some(e),
        }
    }
    let mut result = Sensitivity {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        scenario: model.name.clone(),
        scenario_sha256: base.hash.clone(),
        subject: subject.clone(),
        metric: stat,
        metric_label: stat.to_string(),
        metric_is_probability: stat.is_probability(),
        seed,
        paths: plan.paths,
        sections,
        top: settings.top.min(ranked.len()),
        base: base_level,
        processes: out,
        classes,
    };
    result.sort_by_effect();
    Ok(Some(result))
}

/// What `run_using`'s `simulate` is: it hands the run of a batch's i-th variant to
/// `on_run(i, run)` and returns false when cancelled.
type Simulate<'a> =
    dyn FnMut(&[(Candidate, &Model)], &mut dyn FnMut(usize, VariantRun)) -> Result<bool> + 'a;

/// Every variant of `batch` simulated, each run measured by `effect(i, run)` as it comes in
/// and then dropped: the effects in the batch's order. None when cancelled.
fn batch_effects(
    simulate: &mut Simulate,
    batch: &[(Candidate, &Model)],
    effect: &dyn Fn(usize, &VariantRun) -> Option<VariantEffect>,
) -> Result<Option<Vec<Option<VariantEffect>>>> {
    let mut effects: Vec<Option<Option<VariantEffect>>> = vec![None; batch.len()];
    if !simulate(batch, &mut |i, run| effects[i] = Some(effect(i, &run)))? {
        return Ok(None);
    }
    Ok(Some(
        effects
            .into_iter()
            .map(|e| e.expect("a run of every variant of the batch"))
            .collect(),
    ))
}

/// A process's row, with its switch-off effect (low and high come later).
fn process_row(p: &PlannedProcess, off: VariantEffect) -> ProcessSensitivity {
    ProcessSensitivity {
        process: p.name.clone(),
        kind: p.kind.clone(),
        frequency_field: p.range.as_ref().map(|r| r.field.to_string()),
        frequency_as_written: p.range.as_ref().map(|r| written(&r.base)),
        range_rule: p.range.as_ref().map(|r| r.rule.clone()),
        reaches_subject: p.reaches_subject,
        off,
        low: None,
        high: None,
    }
}

/// The processes that reach the subject and have a frequency range, largest switch-off effect
/// first (ties by name): those the low/high variants go to.
fn ranked_by_switch_off(plan: &Plan, rows: &[ProcessSensitivity]) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..rows.len())
        .filter(|&i| plan.processes[i].reaches_subject && plan.processes[i].range.is_some())
        .collect();
    ranked.sort_by(|&a, &b| {
        let (ea, eb) = (&rows[a].off.difference.value, &rows[b].off.difference.value);
        eb.abs()
            .total_cmp(&ea.abs())
            .then_with(|| rows[a].process.cmp(&rows[b].process))
    });
    ranked
}

/// The variant (off, low or high) a candidate runs.
fn batch_variant(c: &Candidate) -> Variant {
    match c {
        Candidate::Process(_, v) | Candidate::Class(_, v) => *v,
        Candidate::Base => Variant::Off,
    }
}

/// A frequency as a scenario file would write it.
fn written(p: &Param) -> String {
    match p {
        Param::Fixed(v) => format!("{v}"),
        Param::Uniform { min, max } => format!("Uniform(min: {min}, max: {max})"),
        Param::Triangular { min, mode, max } => {
            format!("Triangular(min: {min}, mode: {mode}, max: {max})")
        }
        Param::Normal { mean, sd } => format!("Normal(mean: {mean}, sd: {sd})"),
        Param::LogNormal { median, sigma } => {
            format!("LogNormal(median: {median}, sigma: {sigma})")
        }
        Param::Beta { alpha, beta } => format!("Beta(alpha: {alpha}, beta: {beta})"),
        Param::Exponential { mean } => format!("Exponential(mean: {mean})"),
        Param::Empirical { values } => format!(
            "Empirical(values: [{}])",
            values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
