//! Backtests that can fail (`shortfall backtest`, docs/backtest.md): does a scenario's model
//! reproduce the record of 2010–2025?
//!
//! Three groups of checks, each a band or a rule against an observed figure from
//! `data/record/` (compiled into the binary):
//! 1. onset counts: the scenario's own processes replayed over 2010-01..2025-12 from a calm
//!    start (`history`), counted per group of processes and per main country against the
//!    record (`record`), plus two clustering statistics of the Chinese measures;
//! 2. episode replays: four past episodes on the supply structure of their time, scripted
//!    (`episodes`, files in `backtests/`), against targets computed from the record;
//! 3. the outcome count: bloc × material × year consumption shortfalls above 10% of demand in
//!    the EU, US and Japan over the same 2010–2025 replay.
//!
//! A layer beside `experiment`: it builds scenario variants (scenario), compiles them (model),
//! runs paths (sim) and owns its result types; `report::backtest` only formats them.

pub(crate) mod episodes;
pub(crate) mod history;
pub(crate) mod record;
pub(crate) mod verdict;

use serde::Serialize;

use crate::scenario::{InvalidScenario, LoadedScenario};

/// Groups of processes, for onset counts. Nationalisation and market floods are a group of
/// their own (the issue names four; the fifth keeps every process in exactly one group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Group {
    /// ExportBan / ExportLicence / ExportQuota by China.
    ChineseExport = 0,
    /// ExportBan / ExportLicence / ExportQuota by any other country.
    OtherExport = 1,
    /// Conflict or Disaster.
    ConflictDisaster = 2,
    /// Accident (mine accidents, strikes, operational suspensions).
    AccidentStrike = 3,
    /// Nationalisation (incl. regulatory closures) and MarketFlood.
    NationalisationFlood = 4,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 5] = [
        Group::ChineseExport,
        Group::OtherExport,
        Group::ConflictDisaster,
        Group::AccidentStrike,
        Group::NationalisationFlood,
    ];

    /// The group's name as the report prints it.
    pub fn label(self) -> &'static str {
        match self {
            Group::ChineseExport => "Chinese export measures",
            Group::OtherExport => "other export measures",
            Group::ConflictDisaster => "conflicts and disasters",
            Group::AccidentStrike => "accidents and strikes",
            Group::NationalisationFlood => "nationalisation and market floods",
        }
    }

    /// The group of a model process, from its kind and first country.
    pub fn of(kind: crate::scenario::raw::DisruptionKind, first_country: &str) -> Group {
        use crate::scenario::raw::DisruptionKind as K;
        match kind {
            K::ExportBan | K::ExportLicence | K::ExportQuota if first_country == "China" => {
                Group::ChineseExport
            }
            K::ExportBan | K::ExportLicence | K::ExportQuota => Group::OtherExport,
            K::Conflict | K::Disaster => Group::ConflictDisaster,
            K::Accident => Group::AccidentStrike,
            K::Nationalisation | K::MarketFlood => Group::NationalisationFlood,
        }
    }
}

/// Onsets of one main country.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryCount {
    pub country: String,
    pub count: u32,
}

/// One check: what was compared, the observed value, the model's figure and the verdict.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    /// 1 onset counts, 2 episode replays, 3 outcome count.
    pub group: u8,
    /// Stable identifier, e.g. `onsets.chinese_export`, `E2.gallium.gap_12m`.
    pub id: String,
    /// What is compared, in words.
    pub what: String,
    pub observed: f64,
    /// The model's central figure (mean of the paths, or the replay's value).
    pub model: f64,
    /// The band the observed value must fall in (for a p-value check: the model's 5–95% band,
    /// shown for reference).
    pub band_low: f64,
    pub band_high: f64,
    /// For the clustering checks: the two-sided p-value.
    pub p_value: Option<f64>,
    /// The pass rule, in words.
    pub rule: String,
    pub pass: bool,
}

/// How to run the backtest.
#[derive(Debug, Clone)]
pub struct Config {
    /// Master seed: every path draws from streams named by (seed, path index, name).
    pub seed: u64,
    /// Paths per replay.
    pub paths: u64,
    /// Worker threads; results do not depend on it.
    pub threads: usize,
}

/// The whole backtest of one scenario.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Backtest {
    pub scenario: String,
    pub seed: u64,
    pub paths: u64,
    /// Regime the 2010–2025 replay starts in.
    pub start_regime: String,
    /// Scheduled (scripted) processes left out of the 2010–2025 replay.
    pub dropped_scheduled: Vec<String>,
    pub checks: Vec<Check>,
}

impl Backtest {
    pub(crate) fn all_pass(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }
}

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The scenario, its 2010–2025 variant or an episode file does not validate.
    #[error(transparent)]
    InvalidScenario(#[from] InvalidScenario),
    /// Something the scenario lacks (no tension regime named, a bundled file out of step).
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Threads(#[from] rayon::ThreadPoolBuildError),
}

/// Run all three groups on `loaded`.
pub(crate) fn run(loaded: &LoadedScenario, cfg: &Config) -> Result<Backtest, BacktestError> {
    let observed = record::observed().map_err(BacktestError::Unsupported)?;
    let replay = history::replay(loaded, cfg)?;
    let mut checks = history::onset_checks(&replay, &observed);
    checks.extend(episodes::checks(cfg.seed)?);
    checks.push(history::outcome_check(&replay));
    Ok(Backtest {
        scenario: loaded.name(),
        seed: cfg.seed,
        paths: cfg.paths,
        start_regime: replay.start_regime.clone(),
        dropped_scheduled: replay.dropped_scheduled.clone(),
        checks,
    })
}
