//! The kernel: pure, seeded simulation of disruption paths, and the parallel runner that folds
//! them into mergeable accumulators. Never reads files, prints, or draws a progress bar.

pub(crate) mod path;
mod phase;
pub(crate) mod plan;
mod powers;
pub(crate) mod rng;
mod rows;
pub(crate) mod runner;
mod state;
pub(crate) mod timeline;

pub use path::{simulate_path, CellMonth, NoTrace, PathScratch, Trace};
pub(crate) use phase::capacity::online_share;
pub use plan::{build as build_plan, Plan};
pub use runner::{run, RunConfig, RunOutcome};
