//! Kernel benchmarks on the bundled EU baseline.
//!
//! `cargo bench --bench kernel` measures:
//! - `paths/eu-2030/one-chunk`: one chunk of 2,048 paths on one thread (the kernel alone);
//! - `run/eu-2030/threads=N`: a whole parallel run of 32,768 paths at 1 and 2 threads, whose
//!   ratio is the parallel speed-up (target: at least 1.8× on 2 cores);
//! - `fold/eu-2030/one-chunk`: the runner's fold of one chunk's 2,048 path records (simulated
//!   once, before timing) into a fresh chunk accumulator, as `run_range` folds them: the
//!   accumulator's part of the kernel's time, apart.
//!
//! The end-to-end figure for 1,000,000 paths is measured on the binary (see README,
//! "Performance"), not here, so that the bench stays short on a 2-core machine.

use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use shortfall::compile;
use shortfall::kernel::build_plan;
use shortfall::kernel::{
    run_range, simulate_path, MonthlyBatch, NoTrace, PathScratch, ScalarBatch, CHUNK,
};
use shortfall::load;
use shortfall::{run, PathRecord, RunConfig};

fn kernel(c: &mut Criterion) {
    let loaded = load("builtin:eu-2030").expect("bundled scenario loads");
    let model = compile(&loaded).expect("bundled scenario is valid");
    let plan = build_plan(&model);

    let mut group = c.benchmark_group("paths/eu-2030");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CHUNK));
    group.bench_function("one-chunk", |b| {
        b.iter(|| black_box(run_range(&model, &plan, 7, 0, CHUNK)))
    });
    group.finish();

    let mut scratch = PathScratch::default();
    let mut record = PathRecord::new(&plan.layout);
    // Each record with its monthly points apart: the runner hands those to the monthly batch
    // and folds the rest of the record without them.
    let records: Vec<_> = (0..CHUNK)
        .map(|path| {
            simulate_path(
                &model,
                &plan,
                7,
                path,
                &mut scratch,
                &mut record,
                &mut NoTrace,
            );
            let mut rest = record.clone();
            let monthly = std::mem::take(&mut rest.monthly);
            (rest, monthly)
        })
        .collect();
    let months = plan.layout.months;
    let mut group = c.benchmark_group("fold/eu-2030");
    group.sample_size(20);
    group.throughput(Throughput::Elements(CHUNK));
    group.bench_function("one-chunk", |b| {
        b.iter(|| {
            // An empty range gives a fresh chunk accumulator (the runner's own type).
            let mut acc = run_range(&model, &plan, 7, 0, 0);
            let (mut monthly, mut scalars) = (MonthlyBatch::default(), ScalarBatch::default());
            for (rest, points) in &records {
                monthly.push(&mut acc, months, points);
                if scalars.is_full(&acc) {
                    scalars.fold_into(&mut acc);
                }
                acc.add_batched(&plan.layout, rest, &mut scalars);
            }
            monthly.fold_into(&mut acc, months);
            scalars.fold_into(&mut acc);
            acc.shrink_to_fit();
            black_box(acc)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("run/eu-2030");
    group.sample_size(10);
    let paths = 32_768;
    group.throughput(Throughput::Elements(paths));
    for threads in [1, 2] {
        let cfg = RunConfig {
            seed: 7,
            paths,
            threads,
            target_se: None,
            max_paths: 0,
        };
        group.bench_function(format!("threads={threads}"), |b| {
            b.iter(|| {
                black_box(run(&model, &cfg, &AtomicBool::new(false), |_, _| {}).expect("pool"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, kernel);
criterion_main!(benches);
