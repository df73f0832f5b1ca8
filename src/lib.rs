//! shortfall: Monte Carlo simulation of supply disruptions for critical raw materials.
//!
//! Data flows one way: `scenario` (RON text, located errors) → `model` (validated, indexed) →
//! `sim` (pure, seeded, parallel kernel) → `stats` (mergeable accumulators → `Summary`) →
//! `report` (tables, files, charts). `experiment` runs variants of one scenario on common random
//! numbers for sweeps, comparisons, sensitivity and the cap stress test, and owns their results.
//! `cli` is glue: one file per subcommand that parses arguments, calls the library and picks
//! exporters.

// No function over 150 lines (clippy.toml sets the threshold; CI denies warnings).
#![warn(clippy::too_many_lines)]

pub mod backtest;
pub mod cli;
pub mod experiment;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod special;
pub mod stats;
