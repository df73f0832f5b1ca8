//! Group 2, the episode replays: four past episodes, each a small scenario in `backtests/`
//! (compiled in) on the supply structure of its time with its measure scripted at its real
//! dates, compared with targets computed from the record (`data/record/backtest_targets.csv`).
//!
//! Per target (episode × material): the modelled import gap summed over the months of the
//! 12-month window that the record has data for, within ×1.5 of the observed drop; its deepest
//! such month within ±1 month of the observed deepest; and the consumption-shortfall class
//! (worst calendar year's shortfall share of demand) as in the record.

use crate::model::{self, Model};
use crate::scenario::load_str;
use crate::sim::timeline::{PathParams, Timeline};
use crate::sim::{build_plan, simulate_path, CellMonth, PathScratch, Trace};
use crate::stats::PathRecord;

use super::verdict::{within_factor, within_months};
use super::{BacktestError, Check};

/// The episode files, compiled in like the bundled scenario.
pub const FILES: &[(&str, &str)] = &[
    (
        "e1-2010-ree-japan.ron",
        include_str!("../../backtests/e1-2010-ree-japan.ron"),
    ),
    (
        "e2-2023-ga-ge-licences.ron",
        include_str!("../../backtests/e2-2023-ga-ge-licences.ron"),
    ),
    (
        "e3-2023-graphite-licences.ron",
        include_str!("../../backtests/e3-2023-graphite-licences.ron"),
    ),
    (
        "e4-2025-drc-cobalt.ron",
        include_str!("../../backtests/e4-2025-drc-cobalt.ron"),
    ),
];

/// The observed targets, with how each was computed.
pub const TARGETS: &str = include_str!("../../data/record/backtest_targets.csv");

/// The record's class of consumption outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeClass {
    /// No documented shortfall in use: the worst year's consumption shortfall must be < 10%.
    None,
    /// Plant-level stoppages, annual < 10% (estimate): also < 10%.
    Below10Pct,
    /// Documented shortfall > 10%: the worst year's must be ≥ 10%.
    Above10Pct,
}

impl OutcomeClass {
    fn parse(s: &str) -> Option<OutcomeClass> {
        match s {
            "none" => Some(OutcomeClass::None),
            "below_10pct" => Some(OutcomeClass::Below10Pct),
            "above_10pct" => Some(OutcomeClass::Above10Pct),
            _ => None,
        }
    }

    pub fn agrees(self, worst_year_share: f64) -> bool {
        match self {
            OutcomeClass::None | OutcomeClass::Below10Pct => worst_year_share < 0.10,
            OutcomeClass::Above10Pct => worst_year_share >= 0.10,
        }
    }

    fn text(self) -> &'static str {
        match self {
            OutcomeClass::None => "no documented shortfall in use",
            OutcomeClass::Below10Pct => "plant-level stoppages, annual < 10%",
            OutcomeClass::Above10Pct => "documented shortfall > 10%",
        }
    }
}

/// One row of `backtest_targets.csv`.
#[derive(Debug, Clone)]
pub struct Target {
    pub episode: String,
    pub file: String,
    pub bloc: String,
    pub material: String,
    /// Record series (several joined by `+` are summed month by month).
    pub series: String,
    /// Factor from the record's unit to the scenario's (kg → t: 0.001).
    pub to_model_unit: f64,
    /// Pre-episode monthly level, record unit.
    pub baseline_per_month: f64,
    pub effective_month: String,
    /// Months of the 12-month window the record has data for.
    pub months_used: Vec<String>,
    /// Observed drop, scenario unit.
    pub observed_drop: f64,
    pub deepest_month: String,
    pub class: OutcomeClass,
    /// Calendar years the record's class is about ("YYYY"); the class check reads only these
    /// years of the replay (empty: every year of the horizon).
    pub class_years: Vec<String>,
}

/// Read the bundled targets.
pub fn targets() -> Result<Vec<Target>, String> {
    let mut reader = csv::Reader::from_reader(TARGETS.as_bytes());
    let mut out = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.map_err(|e| format!("backtest_targets.csv: {e}"))?;
        let field = |k: usize| r.get(k).unwrap_or_default().to_string();
        let number = |k: usize| {
            field(k).parse::<f64>().map_err(|_| {
                format!(
                    "backtest_targets.csv row {}: column {} is not a number",
                    i + 2,
                    k + 1
                )
            })
        };
        out.push(Target {
            episode: field(0),
            file: field(1),
            bloc: field(2),
            material: field(3),
            series: field(4),
            to_model_unit: number(5)?,
            baseline_per_month: number(6)?,
            effective_month: field(8),
            months_used: field(9).split(';').map(str::to_string).collect(),
            observed_drop: number(10)?,
            deepest_month: field(11),
            class: OutcomeClass::parse(&field(12)).ok_or_else(|| {
                format!(
                    "backtest_targets.csv row {}: unknown consumption_class",
                    i + 2
                )
            })?,
            class_years: field(14)
                .split(';')
                .filter(|y| !y.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(out)
}

/// What a replay gives for one cell, month by month over the horizon.
#[derive(Debug, Clone, Default)]
pub struct CellSeries {
    pub months: Vec<String>,
    pub import_gap: Vec<f64>,
    pub shortfall: Vec<f64>,
    pub prebought: Vec<f64>,
    pub inventory_used: Vec<f64>,
    /// Demand per month (d0 · q^t, the kernel's phase 0).
    pub demand: Vec<f64>,
}

impl CellSeries {
    /// Worst calendar year's consumption shortfall as a share of that year's demand (years are
    /// 12-month blocks from the horizon start; every episode file starts in January).
    pub fn worst_year_share(&self) -> f64 {
        self.worst_year_share_in(&[])
    }

    /// The same over the calendar years listed ("YYYY"; empty: every year).
    pub fn worst_year_share_in(&self, years: &[String]) -> f64 {
        self.shortfall
            .chunks(12)
            .zip(self.demand.chunks(12))
            .zip(self.months.chunks(12))
            .filter(|(_, m)| years.is_empty() || years.iter().any(|y| m[0].starts_with(y.as_str())))
            .map(|((s, d), _)| {
                let d: f64 = d.iter().sum();
                if d > 0.0 {
                    s.iter().sum::<f64>() / d
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max)
    }
}

/// Per layout cell: the monthly series.
struct EpisodeTrace {
    cells: Vec<CellSeries>,
    growth: Vec<f64>,
}

impl Trace for EpisodeTrace {
    const ON: bool = true;
    fn timeline(&mut self, _timeline: &Timeline, params: &PathParams) {
        self.growth.clone_from(&params.growth);
    }
    fn month(&mut self, t: usize, _material: usize, _price: f64, cells: &[CellMonth]) {
        for cm in cells {
            let s = &mut self.cells[cm.cell];
            s.import_gap[t] = cm.import_gap;
            s.shortfall[t] = cm.shortfall;
            s.prebought[t] = cm.prebought;
            s.inventory_used[t] = cm.inventory_used;
        }
    }
}

/// Compile an episode file.
pub fn model_of(file: &str) -> Result<Model, BacktestError> {
    let text = FILES
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, t)| *t)
        .ok_or_else(|| BacktestError::Unsupported(format!("no episode file {file}")))?;
    model_of_text(&format!("backtests/{file}"), text)
}

/// Compile an episode scenario given as text (`path` names it in error messages).
pub fn model_of_text(path: &str, text: &str) -> Result<Model, BacktestError> {
    let loaded = load_str(path, text)?;
    Ok(model::compile(&loaded)?)
}

/// Replay an episode: one path (the files use fixed values; the measures are scripted, so
/// no random process fires). Returns the series of the cell (bloc, material).
pub fn replay(
    model: &Model,
    seed: u64,
    bloc: &str,
    material: &str,
) -> Result<CellSeries, BacktestError> {
    let plan = build_plan(model);
    let n = model.months;
    let mut trace = EpisodeTrace {
        cells: vec![
            CellSeries {
                months: (0..n).map(|t| model.month_label(t)).collect(),
                import_gap: vec![0.0; n],
                shortfall: vec![0.0; n],
                prebought: vec![0.0; n],
                inventory_used: vec![0.0; n],
                demand: vec![0.0; n],
            };
            plan.layout.cells.len()
        ],
        growth: Vec::new(),
    };
    let mut scratch = PathScratch::default();
    let mut record = PathRecord::new(&plan.layout);
    simulate_path(model, &plan, seed, 0, &mut scratch, &mut record, &mut trace);
    let ci = plan
        .layout
        .cells
        .iter()
        .position(|&(b, m)| model.blocs[b].name == bloc && model.materials[m].name == material)
        .ok_or_else(|| {
            BacktestError::Unsupported(format!("no cell {bloc} × {material} in the episode file"))
        })?;
    let (b, m) = plan.layout.cells[ci];
    let cell = model.cells[b][m].as_ref().expect("layout cells exist");
    let q = (1.0 + trace.growth[ci]).powf(1.0 / 12.0);
    let mut series = std::mem::take(&mut trace.cells[ci]);
    for (t, d) in series.demand.iter_mut().enumerate() {
        *d = cell.demand_t_per_month * q.powi(t as i32);
    }
    Ok(series)
}

/// The modelled figures of one target.
#[derive(Debug, Clone)]
pub struct Modelled {
    /// Import gap summed over the target's months.
    pub gap_sum: f64,
    /// Among the target's months, the one with the largest import gap (the first on a tie).
    pub deepest_month: String,
    /// Worst calendar year's consumption shortfall share among the target's class years.
    pub worst_year_share: f64,
    /// The same over every year of the horizon (shown when it differs).
    pub worst_year_share_all: f64,
}

pub fn modelled(series: &CellSeries, target: &Target) -> Modelled {
    let mut gap_sum = 0.0;
    let mut deepest: Option<(&str, f64)> = None;
    for m in &target.months_used {
        let Some(t) = series.months.iter().position(|l| l == m) else {
            continue;
        };
        let g = series.import_gap[t];
        gap_sum += g;
        if deepest.is_none_or(|(_, d)| g > d) {
            deepest = Some((m, g));
        }
    }
    Modelled {
        gap_sum,
        deepest_month: deepest.map_or(String::new(), |(m, _)| m.to_string()),
        worst_year_share: series.worst_year_share_in(&target.class_years),
        worst_year_share_all: series.worst_year_share(),
    }
}

/// Months from `a` to `b` ("YYYY-MM").
pub fn month_index(label: &str) -> Option<i64> {
    let (y, m) = label.split_once('-')?;
    Some(y.parse::<i64>().ok()? * 12 + m.parse::<i64>().ok()? - 1)
}

/// The three checks of one target.
pub fn target_checks(target: &Target, m: &Modelled) -> Vec<Check> {
    let label = format!("{} {} {}", target.episode, target.bloc, target.material);
    let id = format!("{}.{}", target.episode, target.material.replace(' ', "_"));
    let offset = |l: &str| {
        month_index(l)
            .zip(month_index(&target.effective_month))
            .map_or(f64::NAN, |(a, b)| (a - b) as f64)
    };
    let (obs_deep, mod_deep) = (offset(&target.deepest_month), offset(&m.deepest_month));
    let deep_ok = obs_deep.is_finite()
        && mod_deep.is_finite()
        && within_months(mod_deep as u32, obs_deep as u32, 1);
    vec![
        Check {
            group: 2,
            id: format!("{id}.import_gap_12m"),
            what: format!(
                "{label}: import gap, 12 months from {}",
                target.effective_month
            ),
            observed: target.observed_drop,
            model: m.gap_sum,
            band_low: target.observed_drop / 1.5,
            band_high: target.observed_drop * 1.5,
            p_value: None,
            rule: "modelled import gap within ×1.5 of the observed drop (same months)".into(),
            pass: within_factor(m.gap_sum, target.observed_drop, 1.5),
        },
        Check {
            group: 2,
            id: format!("{id}.deepest_month"),
            what: format!(
                "{label}: deepest month, months after {}",
                target.effective_month
            ),
            observed: obs_deep,
            model: mod_deep,
            band_low: obs_deep - 1.0,
            band_high: obs_deep + 1.0,
            p_value: None,
            rule: "modelled deepest month within ±1 month of the observed".into(),
            pass: deep_ok,
        },
        Check {
            group: 2,
            id: format!("{id}.consumption_class"),
            what: format!(
                "{label}: worst-year consumption shortfall {}",
                years_text(&target.class_years)
            ),
            observed: if target.class == OutcomeClass::Above10Pct {
                0.10
            } else {
                0.0
            },
            model: m.worst_year_share,
            band_low: if target.class == OutcomeClass::Above10Pct {
                0.10
            } else {
                0.0
            },
            band_high: if target.class == OutcomeClass::Above10Pct {
                1.0
            } else {
                0.10
            },
            p_value: None,
            rule: format!(
                "record ({}): {}; so the worst year's consumption shortfall must be {}{}",
                years_text(&target.class_years),
                target.class.text(),
                if target.class == OutcomeClass::Above10Pct {
                    "≥ 10%"
                } else {
                    "< 10%"
                },
                if m.worst_year_share_all != m.worst_year_share {
                    format!(
                        " (over the whole horizon, years the record does not cover included: {:.2})",
                        m.worst_year_share_all
                    )
                } else {
                    String::new()
                }
            ),
            pass: target.class.agrees(m.worst_year_share),
        },
    ]
}

/// "2023–24", "2025", or "all years".
fn years_text(years: &[String]) -> String {
    match years {
        [] => "all years".into(),
        [y] => y.clone(),
        [first, .., last] => format!("{first}–{}", last.get(2..).unwrap_or(last)),
    }
}

/// All group-2 checks.
pub fn checks(seed: u64) -> Result<Vec<Check>, BacktestError> {
    let targets = targets().map_err(BacktestError::Unsupported)?;
    let mut out = Vec::new();
    for target in &targets {
        let model = model_of(&target.file)?;
        let series = replay(&model, seed, &target.bloc, &target.material)?;
        out.extend(target_checks(target, &modelled(&series, target)));
    }
    Ok(out)
}
