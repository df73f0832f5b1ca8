//! shortfall: Monte Carlo simulation of supply disruptions for critical raw materials.
//!
//! Data flows one way: `scenario` (RON text, located errors) → `model` (validated, indexed) →
//! `sim` (pure, seeded, parallel kernel) → `stats` (mergeable accumulators → `Summary`) →
//! `report` (tables, files, charts). `experiment` runs variants of one scenario on common random
//! numbers for sweeps, comparisons and the cap stress test. `cli` is glue.

pub mod cli;
pub mod cli_compare;
pub mod cli_run;
pub mod cli_sensitivity;
pub mod cli_stress_cap;
pub mod cli_sweep;
pub mod experiment;
pub mod model;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod special;
pub mod stats;
