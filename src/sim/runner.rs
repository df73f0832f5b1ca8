//! Runs many paths in parallel and folds them into one accumulator, deterministically.
//!
//! Paths are cut into fixed chunks of `CHUNK` consecutive indices; a batch of `BATCH_CHUNKS`
//! chunks runs in parallel (rayon), each chunk folding into its own accumulator with no locks;
//! the batch's accumulators are then merged in chunk order. The chunks of a batch run as many
//! at a time as there are threads, so only that many chunk accumulators are alive at once and
//! memory grows neither with the batch nor with the number of paths. Chunk and batch sizes
//! never depend on the thread count, and every path's random stream depends only on (seed,
//! path index), so the result is the same, to the bit, on 1 or 16 threads. Between batches the
//! driver reports progress, checks for Ctrl-C, and checks the `--target-se` stopping rule; the
//! kernel does none of that.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::Model;
use crate::stats::accumulator::THRESHOLDS;
use crate::stats::estimate::probability;
use crate::stats::monthly_batch::MonthlyBatch;
use crate::stats::scalar_batch::ScalarBatch;
use crate::stats::{Layout, PathRecord, RunAccumulator};

use super::path::{simulate_path_in, PathScratch, Recording, Scope};
use super::plan::{build, Plan};

/// Paths per chunk: the unit of parallel work, of the progress bar and of sectioning estimates.
pub const CHUNK: u64 = 2048;
/// Chunks between two progress reports, cancellation checks and `--target-se` checks. Within a
/// batch the chunks run `threads` at a time (one accumulator per thread in flight), so the
/// batch size does not bound memory; the barrier after each group costs little because chunks
/// of 2,048 paths take nearly the same time.
pub const BATCH_CHUNKS: u64 = 4;

/// How many paths to run, with which seed, on how many threads.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Master seed: path i draws from streams named by (seed, i, name).
    pub seed: u64,
    /// Paths to run (the minimum when a target standard error is set).
    pub paths: u64,
    /// Worker threads (0 or 1 means one); results do not depend on it.
    pub threads: usize,
    /// Keep sampling until the headline estimate's standard error is at most this.
    pub target_se: Option<f64>,
    /// Upper bound on paths when `target_se` is set.
    pub max_paths: u64,
}

/// What a run produced: the merged accumulator, ready for `finish`, and how it ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Every path folded in, in path order.
    pub acc: RunAccumulator,
    /// The plan the paths ran on (its `layout` names the accumulator's rows).
    pub plan: Plan,
    /// Paths actually run (fewer than asked when cancelled; more with `target_se`).
    pub paths: u64,
    /// Whether the run was cancelled (Ctrl-C) before it finished.
    pub cancelled: bool,
    /// With `target_se`: whether it was reached, and the final standard error.
    pub target_reached: Option<bool>,
    /// Standard error of the headline probability at the end of the run.
    pub headline_se: f64,
}

/// The headline estimate whose precision `--target-se` controls: the probability that the
/// headline bloc (`stats::headline_bloc`) is short of more than 10% of a year's demand of at
/// least one material in some year.
pub fn headline_bloc(model: &Model) -> usize {
    crate::stats::headline_bloc(model.blocs.iter().map(|b| b.name.as_str())).unwrap_or(0)
}

pub fn headline_se(model: &Model, acc: &RunAccumulator) -> f64 {
    let b = headline_bloc(model);
    let k = THRESHOLDS.iter().position(|&t| t == 0.10).unwrap_or(0);
    // The Wilson interval's half-width / 1.96 rather than √(p(1−p)/n): it is never zero, so a
    // probability still at 0 or 1 keeps sampling instead of counting as perfectly precise.
    acc.blocs.get(b).map_or(f64::NAN, |a| {
        let e = probability(a.any_over_threshold[k], acc.paths);
        (e.ci95.high - e.ci95.low) / (2.0 * crate::stats::estimate::Z95)
    })
}

/// What the runner asks of each path: the kernel (`Kernel`), or an experiment's solver that
/// re-solves only the materials a variant changes (`experiment::reuse`). The chunks, their
/// order and the fold are the runner's, the same for every solver.
pub(crate) trait PathSolver: Sync {
    /// Scratch of one worker, reused across the paths of a chunk.
    type Scratch: Default;
    /// Leave path `path`'s results in `record`, as `simulate_path` would (with the solver's
    /// `recording`).
    fn solve(&self, path: u64, scratch: &mut Self::Scratch, record: &mut PathRecord);
    /// What the paths' records hold, and so what the fold keeps.
    fn recording(&self) -> Recording;
}

/// The kernel itself: every material of every path solved by `simulate_path`.
pub(crate) struct Kernel<'a> {
    pub model: &'a Model,
    pub plan: &'a Plan,
    pub seed: u64,
    pub recording: Recording,
}

impl PathSolver for Kernel<'_> {
    type Scratch = PathScratch;
    #[inline]
    fn solve(&self, path: u64, scratch: &mut PathScratch, record: &mut PathRecord) {
        let scope = Scope {
            materials: None,
            draws: None,
            recording: self.recording,
        };
        simulate_path_in(
            self.model,
            self.plan,
            (self.seed, path),
            scratch,
            record,
            scope,
        );
    }

    fn recording(&self) -> Recording {
        self.recording
    }
}

/// An empty accumulator for records of `recording`: a headline run's has no monthly fans and no
/// tail tables (`RunAccumulator::headline`), which its records would leave empty; folding,
/// merging and finishing them would cost time for nothing.
pub(crate) fn accumulator(layout: &Layout, recording: Recording) -> RunAccumulator {
    match recording {
        Recording::Full => RunAccumulator::new(layout),
        Recording::Headline => RunAccumulator::headline(layout),
    }
}

/// Simulate paths `[first, first + count)` into a fresh accumulator.
pub fn run_range(model: &Model, plan: &Plan, seed: u64, first: u64, count: u64) -> RunAccumulator {
    let kernel = Kernel {
        model,
        plan,
        seed,
        recording: Recording::Full,
    };
    run_range_by(&plan.layout, &kernel, first, count)
}

/// `run_range` with the paths from `solver`.
fn run_range_by<S: PathSolver>(
    layout: &Layout,
    solver: &S,
    first: u64,
    count: u64,
) -> RunAccumulator {
    let mut acc = accumulator(layout, solver.recording());
    let mut scratch = S::Scratch::default();
    let mut record = PathRecord::new(layout);
    let mut batch = MonthlyBatch::default();
    let mut scalars = ScalarBatch::default();
    let months = layout.months;
    for path in first..first + count {
        solver.solve(path, &mut scratch, &mut record);
        // The monthly points and the scalar histograms' values go through batches (the same
        // accumulator, faster); the rest of the record is folded at once. A headline record
        // has no monthly points.
        batch.push(&mut acc, months, &record.monthly);
        record.monthly.clear();
        if scalars.is_full(&acc) {
            scalars.fold_into(&mut acc);
        }
        acc.add_batched(layout, &record, &mut scalars);
    }
    batch.fold_into(&mut acc, months);
    scalars.fold_into(&mut acc);
    acc.shrink_to_fit();
    acc
}

/// Run the chunks `ranges` (consecutive, in path order) on `pool`, at most `threads` at a time,
/// and hand each chunk's accumulator to `fold` in path order. Only `threads` chunk accumulators
/// are alive at once (a chunk's histograms are megabytes), whatever the batch size; the chunks
/// and the order of the folds are those of running the whole batch at once.
fn run_in_groups<S: PathSolver>(
    pool: &rayon::ThreadPool,
    threads: usize,
    (layout, solver): (&Layout, &S),
    ranges: &[(u64, u64)],
    mut fold: impl FnMut(RunAccumulator),
) {
    for group in ranges.chunks(threads.max(1)) {
        let parts: Vec<RunAccumulator> = pool.install(|| {
            group
                .par_iter()
                .map(|&(first, count)| run_range_by(layout, solver, first, count))
                .collect()
        });
        parts.into_iter().for_each(&mut fold);
    }
}

/// Run `cfg.paths` paths of `model` in parallel, chunk by chunk, folding them into one
/// accumulator. `progress(done, total)` is called between batches; setting `cancel` stops at the
/// next batch. Fails only when the thread pool cannot be built.
pub fn run(
    model: &Model,
    cfg: &RunConfig,
    cancel: &AtomicBool,
    progress: impl FnMut(u64, u64),
) -> Result<RunOutcome, rayon::ThreadPoolBuildError> {
    run_with(model, cfg, cancel, progress, |_, _| {})
}

/// `run`, also showing each chunk's accumulator (in path order) to `on_chunk` before it is
/// merged: the sections of sectioning estimates (`stats::sectioning`).
pub fn run_with(
    model: &Model,
    cfg: &RunConfig,
    cancel: &AtomicBool,
    progress: impl FnMut(u64, u64),
    on_chunk: impl FnMut(&crate::stats::Layout, &RunAccumulator),
) -> Result<RunOutcome, rayon::ThreadPoolBuildError> {
    let plan = build(model);
    let kernel = Kernel {
        model,
        plan: &plan,
        seed: cfg.seed,
        recording: Recording::Full,
    };
    let driven = run_solver(
        model,
        &plan.layout,
        &kernel,
        cfg,
        cancel,
        progress,
        on_chunk,
    )?;
    Ok(RunOutcome {
        acc: driven.acc,
        plan,
        paths: driven.paths,
        cancelled: driven.cancelled,
        target_reached: driven.target_reached,
        headline_se: driven.headline_se,
    })
}

/// What `run_solver` produced: `RunOutcome` without the plan.
pub(crate) struct Driven {
    pub acc: RunAccumulator,
    pub paths: u64,
    pub cancelled: bool,
    pub target_reached: Option<bool>,
    pub headline_se: f64,
}

/// `run_with` on the paths of `solver` (of `model`, whose plan's layout is `layout`): the
/// same batches, chunks, merge order, progress, cancellation and `--target-se` checks.
pub(crate) fn run_solver<S: PathSolver>(
    model: &Model,
    layout: &Layout,
    solver: &S,
    cfg: &RunConfig,
    cancel: &AtomicBool,
    mut progress: impl FnMut(u64, u64),
    mut on_chunk: impl FnMut(&crate::stats::Layout, &RunAccumulator),
) -> Result<Driven, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads.max(1))
        .build()?;
    let mut acc = accumulator(layout, solver.recording());
    let goal = if cfg.target_se.is_some() {
        cfg.max_paths.max(cfg.paths)
    } else {
        cfg.paths
    };
    let mut done = 0u64;
    let mut cancelled = false;
    let mut target_reached = None;
    while done < goal {
        let batch_paths = (CHUNK * BATCH_CHUNKS).min(goal - done);
        let chunks: Vec<(u64, u64)> = (0..batch_paths.div_ceil(CHUNK))
            .map(|c| {
                let first = done + c * CHUNK;
                (first, CHUNK.min(done + batch_paths - first))
            })
            .collect();
        run_in_groups(&pool, cfg.threads, (layout, solver), &chunks, |part| {
            on_chunk(layout, &part);
            acc.merge(&part);
        });
        acc.shrink_to_fit();
        done += batch_paths;
        progress(done, goal);
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            break;
        }
        if let Some(target) = cfg.target_se {
            if done >= cfg.paths {
                let se = headline_se(model, &acc);
                if se <= target {
                    target_reached = Some(true);
                    break;
                }
            }
        }
    }
    if let (Some(target), None, false) = (cfg.target_se, target_reached, cancelled) {
        target_reached = Some(headline_se(model, &acc) <= target);
    }
    let se = headline_se(model, &acc);
    Ok(Driven {
        acc,
        paths: done,
        cancelled,
        target_reached,
        headline_se: se,
    })
}

/// Chunks `[first, end)` of a run of `cfg.paths` paths (`cfg.target_se` is ignored), folded as
/// `run_with` folds them, each chunk's accumulator shown to `on_chunk` in path order before it
/// is merged: a shard (`stats::shard`) keeps what it needs of each chunk to repeat the
/// one-machine fold exactly. `None` when cancelled.
pub fn run_chunks(
    model: &Model,
    cfg: &RunConfig,
    chunks: std::ops::Range<u64>,
    cancel: &AtomicBool,
    mut progress: impl FnMut(u64, u64),
    mut on_chunk: impl FnMut(&RunAccumulator),
) -> Result<Option<(Plan, RunAccumulator)>, rayon::ThreadPoolBuildError> {
    let plan = build(model);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads.max(1))
        .build()?;
    let ranges: Vec<(u64, u64)> = chunks
        .map(|c| (c * CHUNK, CHUNK.min(cfg.paths.saturating_sub(c * CHUNK))))
        .filter(|&(_, count)| count > 0)
        .collect();
    let goal: u64 = ranges.iter().map(|r| r.1).sum();
    let mut acc = RunAccumulator::new(&plan.layout);
    let mut done = 0;
    for batch in ranges.chunks(BATCH_CHUNKS as usize) {
        let kernel = Kernel {
            model,
            plan: &plan,
            seed: cfg.seed,
            recording: Recording::Full,
        };
        run_in_groups(&pool, cfg.threads, (&plan.layout, &kernel), batch, |part| {
            on_chunk(&part);
            acc.merge(&part);
        });
        acc.shrink_to_fit();
        done += batch.iter().map(|r| r.1).sum::<u64>();
        progress(done, goal);
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
    }
    Ok(Some((plan, acc)))
}
