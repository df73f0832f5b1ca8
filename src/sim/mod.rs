//! The kernel: pure, seeded simulation of disruption paths, and the parallel runner that folds
//! them into mergeable accumulators. Never reads files, prints, or draws a progress bar.

pub mod path;
mod phase;
pub mod plan;
mod powers;
pub mod rng;
pub mod runner;
mod state;
pub mod timeline;

pub use path::{simulate_path, CellMonth, NoTrace, PathScratch, Trace};
pub use plan::{build as build_plan, Plan};
pub use runner::{run, RunConfig, RunOutcome};
