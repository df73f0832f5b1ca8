//! Runs many paths in parallel and folds them into one accumulator, deterministically.
//!
//! Paths are cut into fixed chunks of `CHUNK` consecutive indices. Worker threads take chunks in
//! order, each chunk folding into its own accumulator with no locks, and the calling thread
//! merges the chunks' accumulators in chunk order as they come in, while the workers go on with
//! later chunks (`run_ordered`). A worker waits only when it would start a chunk `threads` + 1
//! ahead of the last one merged, so few chunk accumulators are alive at once and memory grows
//! neither with the number of chunks nor with the paths. Chunk sizes never depend on the thread
//! count, and every path's random stream depends only on (seed, path index), so the result is
//! the same, to the bit, on 1 or 16 threads. Every `BATCH_CHUNKS` chunks merged, the driver
//! reports progress, checks for Ctrl-C, and checks the `--target-se` stopping rule; the kernel
//! does none of that.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use crate::model::Model;
use crate::stats::accumulator::THRESHOLDS;
use crate::stats::estimate::probability;
use crate::stats::metric::Subject;
use crate::stats::monthly_batch::MonthlyBatch;
use crate::stats::scalar_batch::ScalarBatch;
use crate::stats::{Layout, PathRecord, RunAccumulator};

use super::path::{simulate_path_in, PathScratch, Recording, Scope};
use super::plan::{build, Plan};

/// Paths per chunk: the unit of parallel work, of the progress bar and of sectioning estimates.
pub const CHUNK: u64 = 2048;
/// Chunks merged between two progress reports, cancellation checks and `--target-se` checks
/// (the workers do not wait for them: `run_ordered`).
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
    /// The one subject whose figures a headline fold keeps (`RunAccumulator::of_subject`), or
    /// None for all of them.
    fn only_subject(&self) -> Option<&Subject> {
        None
    }
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

/// The empty accumulator `solver`'s records are folded into: `accumulator` of its recording, or
/// of one subject's figures alone where a headline solver names one that is in the layout.
fn accumulator_of<S: PathSolver>(layout: &Layout, solver: &S) -> RunAccumulator {
    let recording = solver.recording();
    solver
        .only_subject()
        .filter(|_| recording == Recording::Headline)
        .and_then(|subject| RunAccumulator::of_subject(layout, subject))
        .unwrap_or_else(|| accumulator(layout, recording))
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
    let mut acc = accumulator_of(layout, solver);
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

/// Run the chunks `ranges` (consecutive, in path order) on `pool`'s threads and hand each
/// chunk's accumulator to `fold`, in path order, on the calling thread, while the workers go on
/// with later chunks: folding and merging a chunk (and the checks between batches) no longer
/// hold every worker at a barrier. A worker starts chunk i only once chunk i − `threads` − 1
/// has been folded, so at most `threads` + 1 chunk accumulators are alive at once (a chunk's
/// histograms are megabytes), whatever the number of chunks. The chunks and the order of the
/// folds are those of running them one after the other. `fold` returns `Break` to stop: no
/// chunk is started after that, and those that were already running are dropped unfolded.
///
/// The workers block (on the gate) and so does the calling thread (on the channel), outside
/// rayon's work stealing: `pool` must be a pool of its own with `threads` threads, not the pool
/// the caller runs on, and a chunk must not use rayon itself (the kernel does not).
fn run_ordered<S: PathSolver>(
    pool: &rayon::ThreadPool,
    threads: usize,
    (layout, solver): (&Layout, &S),
    ranges: &(dyn Fn(usize) -> (u64, u64) + Sync),
    chunks: usize,
    mut fold: impl FnMut(RunAccumulator) -> ControlFlow<()>,
) {
    let threads = threads.max(1);
    let window = threads + 1;
    let next = AtomicUsize::new(0);
    let gate = Gate::default();
    let (send, receive) = mpsc::channel::<(usize, RunAccumulator)>();
    pool.in_place_scope(|scope| {
        let _stop = gate.stop_on_panic();
        for _ in 0..threads {
            let (send, next, gate) = (send.clone(), &next, &gate);
            scope.spawn(move |_| {
                let _stop = gate.stop_on_panic();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= chunks || !gate.wait_for_room(i, window) {
                        break;
                    }
                    let (first, count) = ranges(i);
                    let acc = run_range_by(layout, solver, first, count);
                    if send.send((i, acc)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        // Chunks that finished ahead of one still running wait here (at most `window`).
        let mut ahead: Vec<Option<RunAccumulator>> = (0..window).map(|_| None).collect();
        let mut expected = 0;
        'fold: for (i, acc) in &receive {
            ahead[i % window] = Some(acc);
            while let Some(acc) = ahead[expected % window].take() {
                expected += 1;
                if fold(acc).is_break() {
                    gate.stop();
                    break 'fold;
                }
                gate.folded(expected);
            }
        }
    });
}

/// Whether the fold of `folded` chunks of `chunks` ends a batch: progress, Ctrl-C and
/// `--target-se` are checked there.
fn ends_a_batch(folded: u64, chunks: u64) -> bool {
    folded % BATCH_CHUNKS == 0 || folded == chunks
}

/// How far the fold has got, for the workers of `run_ordered` to wait on, and whether the run
/// stops.
#[derive(Default)]
struct Gate {
    /// (chunks folded, stopped)
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, bool)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until chunk `i` may start (fewer than `window` chunks from the last folded one);
    /// false when the run stopped instead.
    fn wait_for_room(&self, i: usize, window: usize) -> bool {
        let mut state = self.lock();
        while !state.1 && i >= state.0 + window {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.1
    }

    fn folded(&self, chunks: usize) {
        self.lock().0 = chunks;
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.lock().1 = true;
        self.changed.notify_all();
    }

    /// A guard that stops the run if its thread panics, so that no worker waits forever for a
    /// fold that will not come (the panic then reaches the caller when the scope ends).
    fn stop_on_panic(&self) -> StopOnPanic<'_> {
        StopOnPanic(self)
    }
}

struct StopOnPanic<'a>(&'a Gate);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
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
    let mut acc = accumulator_of(layout, solver);
    let goal = if cfg.target_se.is_some() {
        cfg.max_paths.max(cfg.paths)
    } else {
        cfg.paths
    };
    let mut done = 0u64;
    let mut cancelled = false;
    let mut target_reached = None;
    let chunks = goal.div_ceil(CHUNK);
    let range = |c: usize| {
        let first = c as u64 * CHUNK;
        (first, CHUNK.min(goal - first))
    };
    let mut folded = 0u64;
    run_ordered(
        &pool,
        cfg.threads,
        (layout, solver),
        &range,
        chunks as usize,
        |part| {
            on_chunk(layout, &part);
            acc.merge(&part);
            folded += 1;
            if !ends_a_batch(folded, chunks) {
                return ControlFlow::Continue(());
            }
            // Between batches: progress, Ctrl-C and the `--target-se` stopping rule.
            acc.shrink_to_fit();
            done = (folded * CHUNK).min(goal);
            progress(done, goal);
            if cancel.load(Ordering::Relaxed) {
                cancelled = true;
                return ControlFlow::Break(());
            }
            if let Some(target) = cfg.target_se {
                if done >= cfg.paths && headline_se(model, &acc) <= target {
                    target_reached = Some(true);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    );
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
    let (mut done, mut folded, mut cancelled) = (0, 0, false);
    let kernel = Kernel {
        model,
        plan: &plan,
        seed: cfg.seed,
        recording: Recording::Full,
    };
    run_ordered(
        &pool,
        cfg.threads,
        (&plan.layout, &kernel),
        &|c| ranges[c],
        ranges.len(),
        |part| {
            on_chunk(&part);
            acc.merge(&part);
            done += part.paths;
            folded += 1;
            if !ends_a_batch(folded as u64, ranges.len() as u64) {
                return ControlFlow::Continue(());
            }
            acc.shrink_to_fit();
            progress(done, goal);
            cancelled = cancel.load(Ordering::Relaxed);
            if cancelled {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    if cancelled {
        return Ok(None);
    }
    Ok(Some((plan, acc)))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::stats::accumulator::CellRecord;

    /// One bloc, one material, one cell, twelve months: what a synthetic solver needs.
    fn layout() -> Layout {
        Layout {
            blocs: vec!["EU".into()],
            materials: vec!["x".into()],
            units: vec!["t".into()],
            cells: vec![(0, 0)],
            cell_has_stockpile: vec![false],
            base_price: vec![1.0],
            floors: Vec::new(),
            months: 12,
            month_labels: (1..=12).map(|m| format!("2030-{m:02}")).collect(),
            processes: Vec::new(),
            parameter_sets: 0,
            cap_watch: Vec::new(),
            calm_breach: Vec::new(),
        }
    }

    /// A path's shortfall is an irregular function of its index (so that sums added in another
    /// order differ in their last bits); chunk 0 is slow, so that later chunks finish before it;
    /// and the furthest chunk any worker has started is noted.
    struct SlowFirstChunk {
        furthest_started: AtomicUsize,
    }

    impl PathSolver for SlowFirstChunk {
        type Scratch = ();
        fn solve(&self, path: u64, _: &mut (), record: &mut PathRecord) {
            self.furthest_started
                .fetch_max((path / CHUNK) as usize, Ordering::SeqCst);
            if path == 0 {
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            let x = (path as f64 * 0.618_033_988_749_895).fract();
            record.cells[0] = CellRecord {
                total_short_t: 1e3 * x,
                total_demand_t: 1e4,
                worst_year_short_t: 500.0 * x,
                worst_year_share: 0.3 * x,
                peak_month_share: 0.5 * x,
                months_short: u32::from(x > 0.5) * 3,
                longest_run_months: u32::from(x > 0.5) * 2,
                ..CellRecord::default()
            };
        }
        fn recording(&self) -> Recording {
            Recording::Headline
        }
    }

    fn solver() -> SlowFirstChunk {
        SlowFirstChunk {
            furthest_started: AtomicUsize::new(0),
        }
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// No worker starts a chunk more than `threads` + 1 ahead of the last one folded, and a
    /// `Break` folds nothing more and starts no further chunk.
    #[test]
    fn workers_stay_within_the_window_and_a_break_stops() {
        let (layout, solver, threads) = (layout(), solver(), 2);
        // Short chunks of 16 paths at CHUNK spacing: chunk c is paths cCHUNK .. cCHUNK + 16.
        let range = |c: usize| (c as u64 * CHUNK, 16);
        let (mut folded, mut furthest_at_first_fold) = (Vec::new(), None);
        run_ordered(
            &pool(threads),
            threads,
            (&layout, &solver),
            &range,
            12,
            |part| {
                furthest_at_first_fold
                    .get_or_insert(solver.furthest_started.load(Ordering::SeqCst));
                folded.push(part.paths);
                if folded.len() == 5 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert_eq!(folded, vec![16; 5], "five chunks of 16 paths folded");
        // While chunk 0 slept, the other worker could run chunks 1 and 2 only (window 3).
        let furthest = furthest_at_first_fold.unwrap();
        assert!(
            furthest <= threads,
            "chunk {furthest} started before chunk 0 was folded"
        );
        // Chunk 3's fold was the last to let workers on (the fifth fold stopped them): nothing
        // past chunk 3 + threads + 1 was started.
        let last = solver.furthest_started.load(Ordering::SeqCst);
        assert!(last <= 3 + threads + 1, "chunk {last} started");
    }

    /// The accumulators reach the fold in chunk order even when chunk 0 finishes last: the run
    /// folded on 1, 2 and 3 threads merges to the bits of the chunks merged one after the other.
    #[test]
    fn a_slow_first_chunk_does_not_change_the_fold() {
        let layout = layout();
        let range = |c: usize| (c as u64 * 64, 64);
        let summary = |acc: &RunAccumulator| {
            serde_json::to_string(&crate::stats::finish(&layout, acc)).unwrap()
        };
        let mut one_by_one = accumulator(&layout, Recording::Headline);
        for c in 0..6 {
            one_by_one.merge(&run_range_by(&layout, &solver(), range(c).0, 64));
        }
        let expected = summary(&one_by_one);
        for threads in [1, 2, 3] {
            let mut acc = accumulator(&layout, Recording::Headline);
            let mut sizes = Vec::new();
            run_ordered(
                &pool(threads),
                threads,
                (&layout, &solver()),
                &range,
                6,
                |part| {
                    sizes.push(part.paths);
                    acc.merge(&part);
                    ControlFlow::Continue(())
                },
            );
            assert_eq!(sizes, vec![64; 6]);
            assert!(
                summary(&acc) == expected,
                "the fold on {threads} threads differs"
            );
        }
    }
}
