//! The 2010–2025 replay behind groups 1 and 3: the scenario's own random processes, triggers
//! and tension chain run over 2010-01..2025-12 (192 months) on today's supply structure, from
//! the regime the record shows in January 2010 (calm). Every path is simulated in full (the
//! outcome count needs the kernel), observed by a `Trace` that counts onsets from the timeline
//! and tallies each cell's consumption shortfall per calendar year.

use rayon::prelude::*;

use crate::model::{self, Model};
use crate::scenario::raw::{Horizon, ScenarioFile};
use crate::scenario::LoadedScenario;
use crate::sim::timeline::{PathParams, Timeline};
use crate::sim::{build_plan, simulate_path, CellMonth, PathScratch, Trace};
use crate::stats::PathRecord;

use super::record::{longest_quiet_run, most_in_three_years, Observed, MAIN_COUNTRIES};
use super::verdict::{band, inside, mean, quantile, two_sided_p};
use super::{BacktestError, Check, Config, Group};

pub(crate) const START: &str = "2010-01";
pub(crate) const MONTHS: u32 = 192;
pub(crate) const YEARS: usize = 16;
/// Blocs whose consumption shortfalls the outcome count covers.
pub(crate) const OUTCOME_BLOCS: [&str; 3] = ["EU", "US", "Japan"];
/// A bloc × material × year counts when its consumption shortfall exceeds this share of the
/// year's demand.
pub(crate) const OUTCOME_SHARE: f64 = 0.10;
/// The record's count: 0 confirmed, at most this many possible (backtest_episodes.md, "The
/// record 2010–2025 in one table"; the issue's "≤ 3 possible").
pub(crate) const RECORD_POSSIBLE: u32 = 3;

/// What one path gives the backtest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathTally {
    pub groups: [u32; 5],
    pub countries: Vec<u32>,
    pub chinese_by_year: [u32; YEARS],
    /// Bloc × material × year cells of the outcome blocs above `OUTCOME_SHARE`.
    pub outcome_cells: u32,
}

/// All paths of the replay, in path order.
#[derive(Debug, Clone)]
pub struct Replay {
    pub start_regime: String,
    pub dropped_scheduled: Vec<String>,
    pub paths: Vec<PathTally>,
}

/// The 2010–2025 variant of a scenario: horizon 2010-01 for 192 months, tension starting in
/// the calm regime (the one named "calm", else the one with the smallest hazard multiplier),
/// and scripted (`scheduled_start`) processes left out: they are dated in the scenario's own
/// future, outside this window, so they never fire (and would not compile). Triggers aimed at
/// a dropped process go with it. Returns the variant, the start regime and the dropped names.
pub fn variant(raw: &ScenarioFile) -> Result<(ScenarioFile, String, Vec<String>), BacktestError> {
    let mut v = raw.clone();
    v.horizon = Some(Horizon {
        start: START.into(),
        months: MONTHS,
    });
    let mut regime = String::new();
    if let Some(t) = v.tension.as_mut() {
        regime = if t.regimes.contains_key("calm") {
            "calm".to_string()
        } else {
            t.regimes
                .iter()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(n, _)| n.clone())
                .ok_or_else(|| {
                    BacktestError::Unsupported("the tension block names no regime".into())
                })?
        };
        t.initial = regime.clone();
    }
    let dropped: Vec<String> = v
        .disruptions
        .iter()
        .filter(|d| d.scheduled_start.is_some())
        .map(|d| d.name.clone())
        .collect();
    v.disruptions.retain(|d| d.scheduled_start.is_none());
    for d in &mut v.disruptions {
        d.triggers.retain(|t| !dropped.contains(&t.disruption));
    }
    Ok((v, regime, dropped))
}

/// Per process: its group and its main country's index in `MAIN_COUNTRIES`.
fn classify(model: &Model) -> Vec<(Group, Option<usize>)> {
    model
        .disruptions
        .iter()
        .map(|d| {
            let first = d
                .countries
                .first()
                .map_or("", |&c| model.countries[c].as_str());
            (
                Group::of(d.kind, first),
                MAIN_COUNTRIES.iter().position(|&c| c == first),
            )
        })
        .collect()
}

/// The trace of one path: onsets from the timeline, yearly shortfall per cell from the months.
struct Tally<'a> {
    model: &'a Model,
    classes: &'a [(Group, Option<usize>)],
    /// Per layout cell: (bloc, material) and whether its bloc is an outcome bloc.
    cells: &'a [((usize, usize), bool)],
    growth: Vec<f64>,
    year_short: Vec<[f64; YEARS]>,
    out: PathTally,
}

impl Trace for Tally<'_> {
    const ON: bool = true;

    fn timeline(&mut self, timeline: &Timeline, params: &PathParams) {
        for ep in &timeline.episodes {
            let (group, country) = self.classes[ep.process as usize];
            self.out.groups[group as usize] += 1;
            if let Some(c) = country {
                self.out.countries[c] += 1;
            }
            if group == Group::ChineseExport {
                self.out.chinese_by_year[(ep.start as usize / 12).min(YEARS - 1)] += 1;
            }
        }
        self.growth.clone_from(&params.growth);
    }

    fn month(&mut self, t: usize, _material: usize, _price: f64, cells: &[CellMonth]) {
        for cm in cells {
            if self.cells[cm.cell].1 {
                self.year_short[cm.cell][(t / 12).min(YEARS - 1)] += cm.shortfall;
            }
        }
    }
}

impl Tally<'_> {
    fn reset(&mut self) {
        self.out = PathTally {
            countries: vec![0; MAIN_COUNTRIES.len()],
            ..PathTally::default()
        };
        self.year_short.iter_mut().for_each(|y| *y = [0.0; YEARS]);
    }

    /// Count the outcome cells: yearly shortfall over the year's demand d0 · Σ q^t (the
    /// kernel's demand, docs/model.md phase 0, with q = (1 + g)^(1/12)).
    fn finish(&mut self) -> PathTally {
        let mut n = 0;
        for (ci, &((b, m), counted)) in self.cells.iter().enumerate() {
            if !counted {
                continue;
            }
            let Some(cell) = self.model.cells[b][m].as_ref() else {
                continue;
            };
            let q = (1.0 + self.growth[ci]).powf(1.0 / 12.0);
            for (y, &short) in self.year_short[ci].iter().enumerate() {
                let demand: f64 = (12 * y..12 * y + 12)
                    .map(|t| cell.demand_t_per_month * q.powi(t as i32))
                    .sum();
                if demand > 0.0 && short > OUTCOME_SHARE * demand {
                    n += 1;
                }
            }
        }
        self.out.outcome_cells = n;
        std::mem::take(&mut self.out)
    }
}

/// Run the replay: `cfg.paths` paths, each from its own seeded streams (as `sim` does), in
/// parallel; results are collected in path order, so they do not depend on `cfg.threads`.
pub fn replay(loaded: &LoadedScenario, cfg: &Config) -> Result<Replay, BacktestError> {
    let (raw, start_regime, dropped_scheduled) = variant(&loaded.raw)?;
    let variant = LoadedScenario {
        raw,
        texts: loaded.texts.clone(),
        hash: loaded.hash.clone(),
    };
    let model = model::compile(&variant)?;
    let plan = build_plan(&model);
    let classes = classify(&model);
    let cells: Vec<((usize, usize), bool)> = plan
        .layout
        .cells
        .iter()
        .map(|&(b, m)| {
            (
                (b, m),
                OUTCOME_BLOCS.contains(&model.blocs[b].name.as_str()),
            )
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads.max(1))
        .build()?;
    let paths = pool.install(|| {
        (0..cfg.paths)
            .into_par_iter()
            .map_init(
                || {
                    let tally = Tally {
                        model: &model,
                        classes: &classes,
                        cells: &cells,
                        growth: Vec::new(),
                        year_short: vec![[0.0; YEARS]; cells.len()],
                        out: PathTally::default(),
                    };
                    (PathScratch::default(), PathRecord::new(&plan.layout), tally)
                },
                |(scratch, record, tally), path| {
                    tally.reset();
                    simulate_path(&model, &plan, cfg.seed, path, scratch, record, tally);
                    tally.finish()
                },
            )
            .collect::<Vec<_>>()
    });
    Ok(Replay {
        start_regime,
        dropped_scheduled,
        paths,
    })
}

/// A band check of one count.
fn band_check(id: String, what: String, samples: &[u32], observed: u32) -> Check {
    let b = band(samples);
    Check {
        group: 1,
        id,
        what,
        observed: observed as f64,
        model: mean(samples),
        band_low: b.0 as f64,
        band_high: b.1 as f64,
        p_value: None,
        rule: "observed inside the model's 5–95% band".into(),
        pass: inside(observed, b),
    }
}

/// A two-sided p-value check of one statistic.
fn p_check(id: &str, what: &str, samples: &[u32], observed: u32) -> Check {
    let b = band(samples);
    let p = two_sided_p(samples, observed);
    Check {
        group: 1,
        id: id.into(),
        what: what.into(),
        observed: observed as f64,
        model: mean(samples),
        band_low: b.0 as f64,
        band_high: b.1 as f64,
        p_value: Some(p),
        rule: "two-sided p = 2·min(P(X ≤ obs), P(X ≥ obs)) ≥ 0.05".into(),
        pass: p >= 0.05,
    }
}

/// Group 1: per group, per main country, and the two clustering statistics.
pub(crate) fn onset_checks(replay: &Replay, observed: &Observed) -> Vec<Check> {
    let mut checks = Vec::new();
    for g in Group::ALL {
        let samples: Vec<u32> = replay.paths.iter().map(|p| p.groups[g as usize]).collect();
        checks.push(band_check(
            format!("onsets.{}", snake(g.label())),
            format!("onsets 2010–2025: {}", g.label()),
            &samples,
            observed.groups[g as usize],
        ));
    }
    for (k, c) in observed.countries.iter().enumerate() {
        let samples: Vec<u32> = replay.paths.iter().map(|p| p.countries[k]).collect();
        checks.push(band_check(
            format!("onsets.country.{}", snake(&c.country)),
            format!("onsets 2010–2025: {}", c.country),
            &samples,
            c.count,
        ));
    }
    let quiet: Vec<u32> = replay
        .paths
        .iter()
        .map(|p| longest_quiet_run(&p.chinese_by_year))
        .collect();
    checks.push(p_check(
        "clustering.longest_quiet_run",
        "longest run of years with no Chinese export measure",
        &quiet,
        longest_quiet_run(&observed.chinese_by_year),
    ));
    let most: Vec<u32> = replay
        .paths
        .iter()
        .map(|p| most_in_three_years(&p.chinese_by_year))
        .collect();
    checks.push(p_check(
        "clustering.most_in_3_years",
        "most Chinese export measures in any 3 consecutive years",
        &most,
        most_in_three_years(&observed.chinese_by_year),
    ));
    checks
}

/// Group 3: the record's count (0 confirmed, ≤ 3 possible) lies inside the model's 90%
/// interval: the interval [P5, P95] meets [0, 3], i.e. P5 ≤ 3.
pub(crate) fn outcome_check(replay: &Replay) -> Check {
    let samples: Vec<u32> = replay.paths.iter().map(|p| p.outcome_cells).collect();
    let (low, high) = (quantile(&samples, 0.05), quantile(&samples, 0.95));
    Check {
        group: 3,
        id: "outcome.cells_over_10pct".into(),
        what: "EU/US/Japan bloc × material × year consumption shortfalls > 10%, 2010–2025".into(),
        observed: RECORD_POSSIBLE as f64,
        model: mean(&samples),
        band_low: low as f64,
        band_high: high as f64,
        p_value: None,
        rule: "record (0 confirmed, ≤ 3 possible) inside the model's 90% interval: P5 ≤ 3".into(),
        pass: outcome_passes(low, high),
    }
}

/// The outcome rule: the model's [P5, P95] meets the record's [0, RECORD_POSSIBLE].
pub fn outcome_passes(p5: u32, _p95: u32) -> bool {
    p5 <= RECORD_POSSIBLE
}

fn snake(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}
