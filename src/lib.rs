//! shortfall: Monte Carlo simulation of supply disruptions for critical raw materials.
//!
//! Data flows one way: `scenario` (RON text, located errors) → `model` (validated, indexed) →
//! `sim` (pure, seeded, parallel kernel) → `stats` (mergeable accumulators → `Summary`) →
//! `report` (tables, files, charts). `experiment` runs variants of one scenario on common random
//! numbers for sweeps, comparisons, sensitivity and the cap stress test, and owns their results.
//! `cli` is glue: one file per subcommand that parses arguments, calls the library and picks
//! exporters.
//!
//! Those modules are private; what the binary, the tests, the benches and the fuzz target use
//! is re-exported below, in the order of the pipeline:
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//!
//! let loaded = shortfall::load("builtin:eu-2030")?; // 1. load a scenario
//! let model = shortfall::compile(&loaded)?; // 2. compile it
//! let cfg = shortfall::RunConfig {
//!     seed: 1,
//!     paths: 10_000,
//!     threads: 0,
//!     target_se: None,
//!     max_paths: 10_000,
//! };
//! let out = shortfall::run(&model, &cfg, &AtomicBool::new(false), |_, _| {})?; // 3. run
//! let summary = shortfall::finish(&out.plan.layout, &out.acc); // 4. summarise
//! # let _ = summary;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ARCHITECTURE.md explains the layers, the import rules and why the surface is this small.

// No function over 150 lines (clippy.toml sets the threshold; CI denies warnings).
#![warn(clippy::too_many_lines)]
// Everything reachable from outside says what it is (CI denies warnings).
#![warn(missing_docs)]

mod backtest;
mod cli;
mod experiment;
mod model;
mod report;
mod scenario;
mod sim;
mod special;
mod stats;

// --- 1. Load a scenario ------------------------------------------------------------------------

pub use scenario::raw::DisruptionKind;
pub use scenario::setter::FieldPath;
// `scenario::load` and `model::compile` are modules as well as functions: name the functions so
// only they are exported.
pub use scenario::load::{load, load_str, LoadedScenario};
pub use scenario::{InvalidScenario, Issue, Location};

// --- 2. Compile it into a model ----------------------------------------------------------------

pub use model::check::check_report;
pub use model::compile::compile;
pub use model::Model;

// --- 3. Run the kernel -------------------------------------------------------------------------

pub use sim::{run, RunConfig, RunOutcome};

// --- 4. Summarise ------------------------------------------------------------------------------

pub use stats::estimate::ProbabilityEstimate;
pub use stats::metric::{Stat, Subject};
pub use stats::{finish, PathRecord, Summary};

// --- 5. Experiments on common random numbers ---------------------------------------------------

pub use experiment::{difference, level, run_variant};

/// Experiments that re-solve, path by path, only the materials a variant changes: the first run
/// is kept as the base; every later one takes the unchanged materials' results from it, to the bit.
pub mod reuse {
    pub use crate::experiment::reuse::{differing_materials, Runner};
}

/// Scenario variants: a base scenario with `--set` style settings applied, compiled.
pub mod variant {
    pub use crate::experiment::variant::{build, build_edited, Setting};
}

/// Two variants compared on the same paths, and the columns of the CSV that reports it.
pub mod comparison {
    pub use crate::experiment::comparison::{compare, STATS};
    pub use crate::report::comparison::CSV_HEADER;
}

/// The cap over time (`stress-cap --binds-from`): compliance month, capacity gap and where the
/// moved contracts come from, per capped link and path (docs/model.md, "The cap over time").
pub mod compliance {
    pub use crate::experiment::compliance::{
        compliance, drawn_arrivals, material_compliance, path_compliance, Arrival, Binding,
        LinkCompliance, MaterialCompliance, PathCompliance,
    };
}

/// What complying with the cap costs (`stress-cap`): the premium of non-dominant supply on the
/// moved volume, per percentage point of P(>10%) removed, and the stockpile the same money buys
/// (docs/model.md, "The cost of the cap").
pub mod cap_cost {
    pub use crate::experiment::cap_cost::{cap_cost, premium_usd_per_t, MaterialCost, MovedVolume};
}

/// One-at-a-time sensitivity: which disruption process moves the headline most.
pub mod sensitivity {
    pub use crate::experiment::sensitivity::{plan, run, Sensitivity, Settings};
}

// --- 6. Report writers -------------------------------------------------------------------------

pub use report::charts::{data_vintage, write_charts, write_tornado, ChartMeta};

// --- 7. The command line -----------------------------------------------------------------------

pub use cli::main as cli_main;

// --- Below the pipeline: for tests, benches and re-implementers --------------------------------

/// One path at a time: the kernel's per-path entry points, for the analytic tests of
/// docs/model.md, the mass-balance property test and the benches. `run` above is the parallel
/// runner built on them.
pub mod kernel {
    pub use crate::sim::runner::{run_range, CHUNK};
    pub use crate::sim::timeline::{PathParams, Timeline};
    pub use crate::sim::{build_plan, simulate_path, CellMonth, NoTrace, PathScratch, Trace};
    /// The monthly fan-chart points of a chunk's paths, folded into its accumulator at once.
    pub use crate::stats::monthly_batch::MonthlyBatch;
    /// The scalar-histogram values of a chunk's paths, recorded into its accumulator at once.
    pub use crate::stats::scalar_batch::ScalarBatch;
}

/// The backtests against the 2010–2025 record (`shortfall backtest`, docs/backtest.md): the
/// record, the replays and the verdict arithmetic, so tests can check each against its data.
pub mod backtesting {
    pub use crate::backtest::verdict::{
        band, inside, quantile, two_sided_p, within_factor, within_months,
    };
    pub use crate::backtest::{Config, Group};

    /// The observed record (`data/record/`): measures, their classification, the counts.
    pub mod record {
        pub use crate::backtest::record::{
            longest_quiet_run, most_in_three_years, observed, rows, Class, CLASSIFICATION,
        };
    }

    /// The 2010–2025 replay of a scenario's own processes from a calm start.
    pub mod history {
        pub use crate::backtest::history::{outcome_passes, replay, variant};
    }

    /// The four past episodes replayed on the supply structure of their time.
    pub mod episodes {
        pub use crate::backtest::episodes::{
            model_of, modelled, month_index, replay, targets, OutcomeClass,
        };
    }
}
