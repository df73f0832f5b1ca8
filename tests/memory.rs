//! A run's memory does not grow with its number of paths (issue 12: peak memory flat at 10^5,
//! 10^6 and 10^7 paths). The accumulator holds sums, counts and histograms; a histogram holds
//! its non-zero bins (a list, or a dense array once they fill a quarter of their range), so its memory
//! grows only with the distinct bins values reach, never with how many values there are.

use std::sync::atomic::AtomicBool;

use shortfall::kernel::{build_plan, run_range, CHUNK};
use shortfall::{compile, load, RunConfig};

const SEED: u64 = 20260101;

/// The same 2,048 paths merged in ten times over, as the runner merges chunks: 20,480 paths
/// whose values are those of the first 2,048, so a byte more than after the first merge would
/// be memory that grows with the number of paths (kept records, growth slack, a copy).
#[test]
fn accumulator_memory_does_not_grow_with_the_paths_it_holds() {
    let model = compile(&load("builtin:eu-2030").expect("loads")).expect("valid");
    let plan = build_plan(&model);
    let chunk = run_range(&model, &plan, SEED, 0, CHUNK);
    let mut total = run_range(&model, &plan, SEED, 0, 0);
    total.merge(&chunk);
    total.shrink_to_fit();
    let once = total.heap_bytes();
    for _ in 1..10 {
        total.merge(&chunk);
        total.shrink_to_fit();
    }
    assert_eq!(total.paths, 10 * CHUNK);
    for (t, c) in total.cells.iter().zip(&chunk.cells) {
        assert_eq!(t.any_short, 10 * c.any_short);
    }
    assert!(chunk.cells.iter().any(|c| c.any_short > 0));
    assert_eq!(total.heap_bytes(), once, "bytes after 1 and 10 merges");
    // And a chunk's accumulator is compact: well under the 9 MB a dense array per histogram cost.
    assert!(chunk.heap_bytes() < 5 << 20, "{} bytes", chunk.heap_bytes());
}

/// Ten times the paths (different ones) grow the accumulator by far less than ten times: only
/// rarer extremes add bins (on eu-2030, 3.2 MB at 2,048 paths and 4.8 MB at 20,480, then about
/// 6 MB at 100,000); memory that grew with the paths would grow tenfold.
#[test]
fn accumulator_memory_grows_far_slower_than_the_paths() {
    let model = compile(&load("builtin:eu-2030").expect("loads")).expect("valid");
    let bytes = |paths: u64| {
        let cfg = RunConfig {
            seed: SEED,
            paths,
            threads: 2,
            target_se: None,
            max_paths: paths,
        };
        let out = shortfall::run(&model, &cfg, &AtomicBool::new(false), |_, _| {}).expect("runs");
        out.acc.heap_bytes()
    };
    let (small, large) = (bytes(2_048), bytes(20_480));
    println!("accumulator heap: {small} bytes at 2,048 paths, {large} at 20,480");
    assert!(large < 3 * small, "{small} → {large} bytes");
}
