//! The kernel's path loop does not allocate once its scratch is warm (issue 12): a counting
//! global allocator (this test binary's own, so no other test sees it) counts allocations while
//! paths of eu-2030 are simulated with reused scratch, after a warm-up.
//!
//! Scratch vectors grow to the largest path seen so far, so a later path with more events than
//! any before it could still grow one; the warm-up makes that rare, and the paths are
//! deterministic (fixed seed and indices), so the count is the same on every run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use shortfall::kernel::{
    build_plan, run_range, simulate_path, MonthlyBatch, NoTrace, PathScratch, ScalarBatch,
};
use shortfall::{compile, load, PathRecord};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SEED: u64 = 20260101;
const WARM_UP: u64 = 2_048;
const MEASURED: u64 = 2_048;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// The test harness runs tests on threads of its own; the two tests here run one after the
/// other so that neither counts the other's allocations.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn kernel_path_loop_does_not_allocate_after_warm_up() {
    kernel_path_loop_does_not_allocate("builtin:eu-2030");
}

/// The same with the EU's cap binding from 2028-01 over a 6-month phase-in: phase 2c moves
/// sourcing in its per-thread copy of the plan, allocated on the first path only.
#[test]
fn kernel_path_loop_with_a_cap_binding_later_does_not_allocate_after_warm_up() {
    kernel_path_loop_does_not_allocate(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/eu-2030-cap-binding.ron"
    ));
}

fn kernel_path_loop_does_not_allocate(scenario: &str) {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = load(scenario).expect("scenario loads");
    let model = compile(&loaded).expect("scenario is valid");
    let plan = build_plan(&model);
    let mut scratch = PathScratch::default();
    let mut record = PathRecord::new(&plan.layout);
    let run = |path: u64, scratch: &mut PathScratch, record: &mut PathRecord| {
        simulate_path(&model, &plan, SEED, path, scratch, record, &mut NoTrace);
    };
    for path in 0..WARM_UP {
        run(path, &mut scratch, &mut record);
    }
    let before = allocations();
    let (mut short_cells, mut points) = (0usize, 0usize);
    for path in WARM_UP..WARM_UP + MEASURED {
        run(path, &mut scratch, &mut record);
        short_cells += record.cells.iter().filter(|c| c.months_short > 0).count();
        points += record.monthly.len();
    }
    let allocated = allocations() - before;
    // The paths did work (the month loop ran and recorded), so zero is not vacuous.
    assert!(short_cells > 0 && points > 0, "{short_cells} {points}");
    assert_eq!(allocated, 0, "allocations in {MEASURED} warm paths");
}

/// What the runner does with each path after the kernel (the monthly points and the scalar
/// histograms' values into their batches, the rest into the chunk's accumulator) does not allocate either once the accumulator's
/// histograms cover the values: the measured paths are folded a second time into an
/// accumulator that has already seen them.
#[test]
fn folding_warm_paths_does_not_allocate() {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = load("builtin:eu-2030").expect("bundled scenario loads");
    let model = compile(&loaded).expect("bundled scenario is valid");
    let plan = build_plan(&model);
    let months = plan.layout.months;
    let mut scratch = PathScratch::default();
    let mut record = PathRecord::new(&plan.layout);
    let mut records = Vec::new();
    for path in 0..MEASURED {
        simulate_path(
            &model,
            &plan,
            SEED,
            path,
            &mut scratch,
            &mut record,
            &mut NoTrace,
        );
        records.push(record.clone());
    }
    // An empty range gives a fresh chunk accumulator (its type is the runner's own).
    let mut acc = run_range(&model, &plan, SEED, 0, 0);
    let mut batch = MonthlyBatch::default();
    let mut scalars = ScalarBatch::default();
    macro_rules! fold_all {
        () => {
            for r in &records {
                batch.push(&mut acc, months, &r.monthly);
                if scalars.is_full(&acc) {
                    scalars.fold_into(&mut acc);
                }
                acc.add_batched(&plan.layout, r, &mut scalars);
            }
            batch.fold_into(&mut acc, months);
            scalars.fold_into(&mut acc);
        };
    }
    fold_all!();
    let before = allocations();
    fold_all!();
    let allocated = allocations() - before;
    assert_eq!(acc.paths, 2 * MEASURED);
    assert!(acc
        .shortfall_monthly
        .iter()
        .any(|s| s.sum.iter().any(|&v| v > 0.0)));
    assert_eq!(allocated, 0, "allocations folding {MEASURED} warm paths");
}

/// The scalar batch is exact: folding paths through it gives the accumulator that folding each
/// path at once gives, equal in every field (bins, their range, sums in path order), whether the
/// batch is folded part-way (when it fills) or only at the end.
#[test]
fn batched_scalar_fold_equals_direct_fold() {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = load("builtin:eu-2030").expect("bundled scenario loads");
    let model = compile(&loaded).expect("bundled scenario is valid");
    let plan = build_plan(&model);
    let mut scratch = PathScratch::default();
    let mut record = PathRecord::new(&plan.layout);
    let mut direct = run_range(&model, &plan, SEED, 0, 0);
    let mut batched = run_range(&model, &plan, SEED, 0, 0);
    let mut scalars = ScalarBatch::default();
    let mut short_paths = 0;
    for path in 0..MEASURED {
        simulate_path(
            &model,
            &plan,
            SEED,
            path,
            &mut scratch,
            &mut record,
            &mut NoTrace,
        );
        short_paths += usize::from(record.cells.iter().any(|c| c.months_short > 0));
        direct.add(&plan.layout, &record);
        if scalars.is_full(&batched) {
            scalars.fold_into(&mut batched);
        }
        batched.add_batched(&plan.layout, &record, &mut scalars);
    }
    scalars.fold_into(&mut batched);
    assert!(short_paths > 0);
    assert_eq!(direct.cells, batched.cells);
    assert_eq!(direct.blocs, batched.blocs);
    assert_eq!(direct.peak_price_excess, batched.peak_price_excess);
    assert!(direct == batched);
}
