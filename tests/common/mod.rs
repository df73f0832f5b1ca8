//! What the tests share. Here: the kernel's worked examples (tests/model_doc.rs,
//! tests/kernel_buffers.rs, tests/cap_shift.rs): the tiny one-material scenario they vary,
//! compiling it, replaying one path month by month, and a whole run finished into its summary
//! (also tests/attribution.rs, tests/parameter_sets.rs, tests/report.rs). `cli` drives the
//! binary; `scenarios` holds small hand-worked scenarios the command tests share.

// Each test crate compiles its own copy of this module and uses part of it.
#![allow(dead_code)]

pub mod cli;
pub mod scenarios;

use std::sync::atomic::AtomicBool;

use shortfall::kernel::{
    build_plan, simulate_path, CellMonth, PathParams, PathScratch, Timeline, Trace,
};
use shortfall::{compile, finish, load_str, run, Model, PathRecord, RunConfig, Summary};

/// One material `x` refined at a single stage (`processing`), base price 1,000 USD/t, no demand
/// elasticity, scarcity sensitivity 2, over 24 months from 2026-01. `countries` and `blocs` are
/// the entries of those maps, `disruptions` the entries of that list, `rest` top-level fields.
pub fn one_material(countries: &str, blocs: &str, disruptions: &str, rest: &str) -> String {
    format!(
        r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: {{ "x": (stages: {{ "processing": () }},
                        price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) }},
    countries: {{{countries}    }},
    blocs: {{{blocs}    }},
    disruptions: [ {disruptions} ],
    {rest}
)"#
    )
}

/// The scenario `text` compiled; a test scenario that does not compile is a broken test.
pub fn model(text: &str) -> Model {
    let loaded = load_str("test.ron", text).unwrap_or_else(|e| panic!("{e}"));
    compile(&loaded).unwrap_or_else(|e| panic!("{e}"))
}

/// `paths` paths under `seed` on `threads` threads, every one of them run (no stopping early on
/// a target standard error).
pub fn config(seed: u64, paths: u64, threads: usize) -> RunConfig {
    RunConfig {
        seed,
        paths,
        threads,
        target_se: None,
        max_paths: paths,
    }
}

/// `m` simulated on `config(seed, paths, threads)` and finished into its summary.
pub fn summary(m: &Model, seed: u64, paths: u64, threads: usize) -> Summary {
    let cfg = config(seed, paths, threads);
    let out = run(m, &cfg, &AtomicBool::new(false), |_, _| {}).unwrap();
    finish(&out.plan.layout, &out.acc)
}

/// Records every solved month and the path's episodes.
#[derive(Default)]
pub struct Recorder {
    /// (month, price ratio, cells) of every solved month.
    pub months: Vec<(usize, f64, Vec<CellMonth>)>,
    /// (process, start) of every episode.
    pub episodes: Vec<(u32, u32)>,
}

impl Trace for Recorder {
    const ON: bool = true;
    fn timeline(&mut self, timeline: &Timeline, _: &PathParams) {
        self.episodes = timeline
            .episodes
            .iter()
            .map(|e| (e.process, e.start))
            .collect();
    }
    fn month(&mut self, t: usize, _: usize, price: f64, cells: &[CellMonth]) {
        self.months.push((t, price, cells.to_vec()));
    }
}

/// Path `path` of `m` under `seed`, with its months recorded.
pub fn replay(m: &Model, seed: u64, path: u64) -> (Recorder, PathRecord) {
    let plan = build_plan(m);
    let mut rec = Recorder::default();
    let mut record = PathRecord::new(&plan.layout);
    simulate_path(
        m,
        &plan,
        seed,
        path,
        &mut PathScratch::default(),
        &mut record,
        &mut rec,
    );
    (rec, record)
}

/// Per month 0..months: the value `f` of cell `cell` in solved months, 0 in skipped ones.
pub fn series(
    trace: &Recorder,
    months: usize,
    cell: usize,
    f: impl Fn(&CellMonth) -> f64,
) -> Vec<f64> {
    let mut out = vec![0.0; months];
    for (t, _, cells) in &trace.months {
        out[*t] = f(&cells[cell]);
    }
    out
}
