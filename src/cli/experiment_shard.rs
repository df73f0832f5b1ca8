//! Shards of experiments, shared by `sweep --shard` and `sensitivity --shard` (which write one)
//! and `merge` (which folds a set back into every variant's run).
//!
//! An experiment of V variants of P paths (whole chunks) is cut like one run of V × P paths:
//! the variants laid end to end, shard I of N holding the I-th of N near-equal runs of whole
//! chunks. A shard holds, per variant it touches, the state of its chunks (as a run shard) and
//! each chunk's section values. The merge rebuilds each variant's `VariantRun` exactly: the
//! summary from the one-machine fold (`stats::shard::Merger`), the sections in chunk order.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;

use super::common::{bad, cancel_on_ctrl_c, now_unix, print, ExperimentFlags, Result};
use super::progress;
use super::shard_file::{self, ShardFile, ShardSpec};
use crate::experiment::VariantRun;
use crate::model::Model;
use crate::scenario::{LoadedScenario, DEFAULT_SCENARIO};
use crate::sim::runner::{run_chunks, RunConfig, CHUNK};
use crate::stats::section::SectionValues;
use crate::stats::shard::{self, ExperimentSpec, Merger, ShardHeader, VariantPart};
use crate::stats::{finish, Layout};

/// One experiment shard to simulate and write.
pub struct Job<'a> {
    pub spec: ExperimentSpec,
    pub loaded: &'a LoadedScenario,
    /// The scenario argument as given (`builtin:eu-2030` when none was).
    pub scenario_spec: String,
    pub scenario_name: String,
    pub seed: u64,
    pub threads: usize,
    pub quiet: bool,
    pub shard: ShardSpec,
    pub out: PathBuf,
}

impl<'a> Job<'a> {
    /// The job of one `--shard I/N` of an experiment on `loaded` (compiled as `model`): the
    /// scenario argument as given (`None`: the bundled baseline), the seed and quiet flag of
    /// `flags`, the shard file written into `out`.
    pub fn new(
        spec: ExperimentSpec,
        (loaded, model): (&'a LoadedScenario, &Model),
        scenario: Option<&str>,
        flags: &ExperimentFlags,
        threads: usize,
        shard: ShardSpec,
        out: PathBuf,
    ) -> Self {
        Job {
            spec,
            loaded,
            scenario_spec: scenario.unwrap_or(DEFAULT_SCENARIO).to_string(),
            scenario_name: model.name.clone(),
            seed: flags.seed,
            threads,
            quiet: flags.quiet,
            shard,
            out,
        }
    }
}

/// Simulate shard `job.shard` of the experiment (`build(v)` compiles variant v) and write its
/// file into `job.out`. Nothing else is written.
pub fn write(job: &Job, build: impl Fn(usize) -> anyhow::Result<Model>) -> Result<ExitCode> {
    let per_variant = job.spec.paths_per_variant;
    let variants = job.spec.variants.len() as u64;
    let total = variants * per_variant;
    let units = total / CHUNK;
    let ShardSpec { index, count } = job.shard;
    if count > units {
        return Err(bad(format!(
            "--shard {index}/{count}: {variants} variant(s) of {} chunks of {CHUNK} paths make {units} chunks; use at most that many shards",
            per_variant / CHUNK
        )));
    }
    let (c0, c1) = shard::chunk_range(total, CHUNK, index, count);
    let (first, end) = (c0 * CHUNK, c1 * CHUNK);
    let cancel = cancel_on_ctrl_c();
    let started_at = now_unix();
    let clock = Instant::now();
    let mut parts = Vec::new();
    for (v, from, to) in shard::variant_pieces(first, end, per_variant, CHUNK) {
        let model = build(v as usize)?;
        let label = &job.spec.variants[v as usize];
        let Some(part) = simulate_part(job, &model, label, (v, from, to), &cancel)? else {
            eprintln!("interrupted; no shard was written");
            return Ok(ExitCode::from(130));
        };
        parts.push(part);
    }
    let header = ShardHeader {
        format: String::new(),
        format_version: 0,
        program_version: env!("CARGO_PKG_VERSION").into(),
        program_sha256: shard_file::program_sha256(),
        scenario: job.scenario_name.clone(),
        scenario_spec: job.scenario_spec.clone(),
        working_dir: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        scenario_sha256: job.loaded.hash.clone(),
        seed: job.seed,
        total_paths: total,
        index,
        count,
        first_path: first,
        end_path: end,
        chunk_paths: CHUNK,
        threads: job.threads,
        started_at_unix: started_at,
        elapsed_seconds: clock.elapsed().as_secs_f64(),
        body_bytes: 0,
        body_sha256: String::new(),
        experiment: Some(job.spec.clone()),
    };
    let bytes = shard_file::encode(header, &shard::ExperimentBody { parts })?;
    let file = job.out.join(shard_file::file_name(job.shard));
    crate::report::atomic::write_atomic(&file, &bytes)?;
    let pieces = shard::variant_pieces(first, end, per_variant, CHUNK);
    let (v0, v1) = (pieces[0].0, pieces[pieces.len() - 1].0);
    print(&format!(
        "{} shard {index}/{count}: variants {}..={} of {variants} (chunks {c0}..{c1} of {units}) in {}\n",
        job.spec.command,
        v0,
        v1,
        file.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Chunks `from..to` of variant `v`: their state and section values. None when cancelled.
fn simulate_part(
    job: &Job,
    model: &Model,
    label: &str,
    (v, from, to): (u64, u64, u64),
    cancel: &AtomicBool,
) -> Result<Option<VariantPart>> {
    let cfg = RunConfig {
        seed: job.seed,
        paths: job.spec.paths_per_variant,
        threads: job.threads,
        target_se: None,
        max_paths: job.spec.paths_per_variant,
    };
    let layout = crate::sim::build_plan(model).layout;
    let bar = progress::bar(0, job.quiet);
    bar.set_message(label.to_string());
    let (mut floats, mut sections, mut failed) = (Vec::new(), Vec::new(), None);
    let done = run_chunks(
        model,
        &cfg,
        from..to,
        cancel,
        |done, goal| {
            bar.set_length(goal);
            bar.set_position(done);
        },
        |chunk| {
            sections.push(SectionValues::of(&finish(&layout, chunk)));
            match shard::chunk_floats(chunk) {
                Ok(f) => floats.push(f),
                Err(e) => failed = Some(e),
            }
        },
    )
    .context("starting worker threads")?;
    bar.finish_and_clear();
    if let Some(e) = failed {
        return Err(anyhow::anyhow!("reading a chunk's sums: {e}").into());
    }
    let Some((plan, folded)) = done else {
        return Ok(None);
    };
    let state = shard::body(plan.layout, folded, floats)
        .map_err(|e| anyhow::anyhow!("packing the shard: {e}"))?;
    Ok(Some(VariantPart {
        variant: v,
        first_chunk: from,
        end_chunk: to,
        state,
        sections,
    }))
}

/// One variant's run rebuilt from the shards, with the layout its accumulators were folded in.
pub struct MergedRun {
    pub layout: Layout,
    pub run: VariantRun,
}

/// Every variant's run, from shard files already checked to make one set (`order`: by path).
/// Bodies are read one at a time.
pub fn merged_runs(files: Vec<ShardFile>, order: &[usize]) -> Result<Vec<MergedRun>> {
    let mut slots: Vec<Option<ShardFile>> = files.into_iter().map(Some).collect();
    let mut runs: Vec<MergedRun> = Vec::new();
    let mut open: Option<(u64, Merger, Layout, Vec<SectionValues>)> = None;
    let close = |open: (u64, Merger, Layout, Vec<SectionValues>)| -> Result<MergedRun> {
        let (_, merger, layout, sections) = open;
        let acc = merger.finish().map_err(|e| anyhow::anyhow!(e))?;
        Ok(MergedRun {
            run: VariantRun {
                summary: finish(&layout, &acc),
                sections,
                cancelled: false,
            },
            layout,
        })
    };
    for &i in order {
        let Some(file) = slots[i].take() else {
            continue;
        };
        let path = file.path.display().to_string();
        for part in file.experiment_body()?.parts {
            if open.as_ref().is_some_and(|o| o.0 != part.variant) {
                runs.push(close(open.take().expect("checked"))?);
            }
            let (_, merger, layout, sections) = match &mut open {
                Some(o) => o,
                None => open.insert((
                    part.variant,
                    Merger::new(&part.state.layout).map_err(|e| anyhow::anyhow!(e))?,
                    part.state.layout.clone(),
                    Vec::new(),
                )),
            };
            if part.state.layout != *layout {
                return Err(bad(format!(
                    "{path}: variant {} is laid out unlike in the shard before it",
                    part.variant
                )));
            }
            merger
                .add(&part.state)
                .map_err(|e| bad(format!("{path}: {e}")))?;
            sections.extend(part.sections);
        }
    }
    if let Some(o) = open {
        runs.push(close(o)?);
    }
    Ok(runs)
}

/// The merged run of variant `v` for the experiment's own code, checked against the model it
/// builds for that variant.
pub fn take_run(
    runs: &mut [Option<MergedRun>],
    v: usize,
    label: &str,
    model: &Model,
) -> anyhow::Result<VariantRun> {
    let merged = runs
        .get_mut(v)
        .and_then(Option::take)
        .ok_or_else(|| anyhow::anyhow!("variant {v} ({label}) is not in the shards"))?;
    if merged.layout != crate::sim::build_plan(model).layout {
        anyhow::bail!("variant {v} ({label}): its accumulators are laid out for another model than it compiles to");
    }
    Ok(merged.run)
}
