//! The cap stress test (`shortfall stress-cap`): does the CRMA single-supplier cap make a bloc
//! safer, for which strategic materials, and at what capacity cost? The scenario runs without
//! and with the cap on the same random paths; every difference is paired (sectioning
//! interval). This module builds the two variants and turns their runs into `StressCap`, the
//! result `report::stress_cap` writes; the cap itself is `model::cap`.

use serde::{Deserialize, Serialize};

use super::{difference, VariantRun};
use crate::model::cap::CapOutcome;
use crate::model::{compile, Model};
use crate::scenario::raw::SupplierCap;
use crate::scenario::{InvalidScenario, LoadedScenario};
use crate::stats::estimate::ProbabilityEstimate;
use crate::stats::metric::{read, Stat, Subject};

/// The metrics compared, headline first.
pub(crate) const STATS: [Stat; 5] = [
    Stat::Quantile(0.95),
    Stat::ProbabilityOver(0.10),
    Stat::Mean,
    Stat::Quantile(0.99),
    Stat::Cvar95,
];

/// One strategic material (or the bloc as a whole) × metric: without, with, and the paired
/// difference (with − without).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StressRow {
    pub material: String,
    pub metric: String,
    pub without_cap: f64,
    pub without_low: f64,
    pub without_high: f64,
    pub with_cap: f64,
    pub with_low: f64,
    pub with_high: f64,
    pub difference: f64,
    pub difference_low: f64,
    pub difference_high: f64,
    /// The interval excludes zero.
    pub significant: bool,
}

/// The cap's paired effect on another bloc (spillover): a strategic material (or `all`) ×
/// metric, difference with − without.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SpillRow {
    pub bloc: String,
    pub material: String,
    pub metric: String,
    pub difference: f64,
    pub difference_low: f64,
    pub difference_high: f64,
    /// The interval excludes zero.
    pub significant: bool,
}

/// Feasibility per strategic material: every capped stage where a supplier was over the cap.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MaterialFeasibility {
    pub material: String,
    pub feasible: bool,
    pub capacity_gap_t_per_year: f64,
    pub links: Vec<CapOutcome>,
}

/// How often one third country supplies more than the cap of what the bloc receives at a
/// capped stage, once disruptions cut some suppliers and reroute others' spare.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BreachRow {
    pub material: String,
    pub stage: String,
    pub without_cap_any_month: ProbabilityEstimate,
    pub with_cap_any_month: ProbabilityEstimate,
    /// With the cap: P(breached) per month.
    pub with_cap_monthly: Vec<f64>,
}

/// The finished stress test (`shortfall plot` reads it back from stress-cap.json).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StressCap {
    /// The bloc that applies the cap.
    pub bloc: String,
    /// The cap level.
    pub cap: f64,
    /// When it binds, as the paragraph says it ("from 2030-01", "phased in over 12 months from
    /// 2030-01"); set by the caller.
    pub binds: String,
    pub materials: Vec<MaterialFeasibility>,
    pub rows: Vec<StressRow>,
    pub breach: Vec<BreachRow>,
    /// The cap over time per capped link (filled by the caller: it needs the seed and paths).
    pub compliance: Vec<super::compliance::LinkCompliance>,
    /// The cap over time per strategic material the cap moves (every link of it complies).
    pub compliance_by_material: Vec<super::compliance::MaterialCompliance>,
    /// What the cap costs per strategic material it moved, next to the risk it removes.
    pub cost: Vec<super::cap_cost::MaterialCost>,
    /// The paired effect on every other bloc: P(>10%) and P95, as a whole and per strategic
    /// material.
    pub spillover: Vec<SpillRow>,
}

impl StressCap {
    /// Sets the cap over time per link and, from it, per material.
    pub(crate) fn set_compliance(&mut self, links: Vec<super::compliance::LinkCompliance>) {
        self.compliance_by_material = self
            .materials
            .iter()
            .filter_map(|m| super::compliance::material_compliance(&links, &m.material))
            .collect();
        self.compliance = links;
    }
}

/// The scenario without any supplier cap.
pub(crate) fn without_cap(
    base: &LoadedScenario,
) -> Result<(LoadedScenario, Model), InvalidScenario> {
    let mut without = base.clone();
    without.raw.supplier_cap = None;
    let model = compile(&without)?;
    Ok((without, model))
}

/// The scenario with a cap at `level` binding from `binds_from` ("YYYY-MM") with a linear
/// phase-in of `phase_in_months`: its own cap (its blocs, stages, materials) at that level, or
/// else one applied by `bloc`. `without` is set to watch the same links, to see how often the
/// uncapped sourcing mix breaches the cap.
pub(crate) fn with_cap(
    base: &LoadedScenario,
    level: f64,
    bloc: &str,
    (binds_from, phase_in_months): (&str, u32),
    without: &mut Model,
) -> Result<(LoadedScenario, Model), InvalidScenario> {
    let mut with = base.clone();
    let mut cap = match base.raw.supplier_cap.clone() {
        Some(mut c) => {
            c.level = level;
            c
        }
        None => SupplierCap {
            level,
            blocs: vec![bloc.to_string()],
            stages: Vec::new(),
            materials: Vec::new(),
            binds_from: None,
            phase_in_months: None,
        },
    };
    cap.binds_from = Some(binds_from.to_string());
    cap.phase_in_months = Some(phase_in_months);
    with.raw.supplier_cap = Some(cap);
    let model = compile(&with)?;
    without.cap_watch = model.cap_watch.clone();
    Ok((with, model))
}

/// The materials the cap applies to.
pub(crate) fn strategic(model: &Model) -> Vec<String> {
    model
        .materials
        .iter()
        .filter(|m| m.strategic)
        .map(|m| m.name.clone())
        .collect()
}

/// Feasibility, paired rows and breach rates of `bloc`'s strategic materials, from the runs
/// without (`a`) and with (`b`) the cap on the same paths.
pub(crate) fn analyse(
    bloc: &str,
    cap: f64,
    (without_model, with_model): (&Model, &Model),
    a: &VariantRun,
    b: &VariantRun,
) -> StressCap {
    let strategic = strategic(with_model);
    let rows = rows(bloc, &strategic, a, b);
    let p10 = Stat::ProbabilityOver(0.10).to_string();
    let cost = super::cap_cost::cap_cost(without_model, with_model, bloc)
        .into_iter()
        .map(|c| {
            match rows
                .iter()
                .find(|r| r.material == c.material && r.metric == p10)
            {
                Some(r) => c.with_risk(r.difference, r.difference_low, r.difference_high),
                None => c,
            }
        })
        .collect();
    StressCap {
        bloc: bloc.to_string(),
        cap,
        binds: String::new(),
        materials: feasibility(bloc, with_model, &strategic),
        rows,
        breach: breach(bloc, a, b),
        compliance: Vec::new(),
        compliance_by_material: Vec::new(),
        cost,
        spillover: spillover(bloc, with_model, &strategic, a, b),
    }
}

/// The cap's paired effect on every other bloc, as a whole then per strategic material.
fn spillover(
    bloc: &str,
    model: &Model,
    strategic: &[String],
    a: &VariantRun,
    b: &VariantRun,
) -> Vec<SpillRow> {
    let mut out = Vec::new();
    for other in model.blocs.iter().filter(|x| x.name != bloc) {
        for m in std::iter::once(None).chain(strategic.iter().map(Some)) {
            let subject = Subject {
                bloc: other.name.clone(),
                material: m.cloned(),
            };
            for stat in [Stat::ProbabilityOver(0.10), Stat::Quantile(0.95)] {
                let Some(d) = difference(a, b, &subject, stat) else {
                    continue;
                };
                out.push(SpillRow {
                    bloc: other.name.clone(),
                    material: m.cloned().unwrap_or_else(|| "all".into()),
                    metric: stat.to_string(),
                    difference: d.value,
                    difference_low: d.ci95.low,
                    difference_high: d.ci95.high,
                    significant: d.excludes_zero(),
                });
            }
        }
    }
    out
}

fn feasibility(bloc: &str, with_model: &Model, strategic: &[String]) -> Vec<MaterialFeasibility> {
    strategic
        .iter()
        .map(|m| {
            let links: Vec<CapOutcome> = with_model
                .cap_report
                .iter()
                .filter(|o| &o.material == m && o.bloc == bloc)
                .cloned()
                .collect();
            MaterialFeasibility {
                material: m.clone(),
                feasible: links.iter().all(|l| l.feasible),
                capacity_gap_t_per_year: links.iter().map(|l| l.capacity_gap_t_per_year).sum(),
                links,
            }
        })
        .collect()
}

/// The bloc as a whole, then each strategic material, each under `STATS`.
fn rows(bloc: &str, strategic: &[String], a: &VariantRun, b: &VariantRun) -> Vec<StressRow> {
    let mut rows = Vec::new();
    let subjects = std::iter::once(None).chain(strategic.iter().map(Some));
    for m in subjects {
        let subject = Subject {
            bloc: bloc.to_string(),
            material: m.cloned(),
        };
        for stat in STATS {
            let (Some(x), Some(y), Some(d)) = (
                read(&a.summary, &subject, stat),
                read(&b.summary, &subject, stat),
                difference(a, b, &subject, stat),
            ) else {
                continue;
            };
            rows.push(StressRow {
                material: m.cloned().unwrap_or_else(|| "all".into()),
                metric: stat.to_string(),
                without_cap: x.value,
                without_low: x.ci95.low,
                without_high: x.ci95.high,
                with_cap: y.value,
                with_low: y.ci95.low,
                with_high: y.ci95.high,
                difference: d.value,
                difference_low: d.ci95.low,
                difference_high: d.ci95.high,
                significant: d.excludes_zero(),
            });
        }
    }
    rows
}

fn breach(bloc: &str, a: &VariantRun, b: &VariantRun) -> Vec<BreachRow> {
    b.summary
        .cap_breach
        .iter()
        .filter(|w| w.bloc == bloc)
        .filter_map(|w| {
            let before = a
                .summary
                .cap_breach
                .iter()
                .find(|x| x.bloc == w.bloc && x.material == w.material && x.stage == w.stage)?;
            Some(BreachRow {
                material: w.material.clone(),
                stage: w.stage.clone(),
                without_cap_any_month: before.probability_any_month,
                with_cap_any_month: w.probability_any_month,
                with_cap_monthly: w.monthly_probability.clone(),
            })
        })
        .collect()
}
