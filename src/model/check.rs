//! The `check` view: what an analyst needs to see of a scenario before simulating it.
//!
//! Concentration per material and stage (largest supplier, share, Herfindahl–Hirschman index),
//! each bloc's sourcing and import reliance, links over the single-supplier cap, and which
//! disruptions touch which materials. Plain data (serde), rendered by `report::check_table`.

use serde::{Deserialize, Serialize};

use super::{Effect, Model};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub scenario: String,
    pub description: String,
    pub horizon_start: String,
    pub horizon_months: usize,
    pub cap_level: f64,
    pub materials: Vec<MaterialView>,
    pub blocs: Vec<BlocView>,
    pub disruptions: Vec<DisruptionView>,
    pub tension_regimes: Vec<(String, f64)>,
    pub cap_outcomes: Vec<super::cap::CapOutcome>,
    /// When a cap that binds after the horizon's start does (`supplier_cap.binds_from`):
    /// "from 2030-01" or "phased in over 12 months from 2030-01"; None for the static cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_binds: Option<String>,
    pub warnings: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaterialView {
    pub material: String,
    pub unit: String,
    pub critical: bool,
    pub strategic: bool,
    pub stages: Vec<StageView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageView {
    pub stage: String,
    /// Capacity × utilisation summed over countries, t/yr (the production figure of the data).
    pub world_production_t_per_year: f64,
    pub world_capacity_t_per_year: f64,
    pub largest_supplier: String,
    pub largest_share: f64,
    /// Herfindahl–Hirschman index of production shares, 0–10,000 (above 2,500: highly concentrated).
    pub hhi: f64,
    pub top_suppliers: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlocView {
    pub bloc: String,
    pub materials: Vec<BlocMaterialView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlocMaterialView {
    pub material: String,
    pub demand_t_per_year: f64,
    pub recycling_share: f64,
    /// Share of demand met neither by recycling nor by the bloc's members at the consumed stage.
    pub import_reliance: f64,
    pub stockpile_months: f64,
    pub stages: Vec<BlocStageView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlocStageView {
    pub stage: String,
    pub suppliers: Vec<(String, f64)>,
    /// Third countries above the cap at this stage (country, share of the bloc's consumption).
    pub over_cap: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DisruptionView {
    pub name: String,
    pub kind: String,
    pub materials: Vec<String>,
    pub countries: Vec<String>,
    /// Calm-year chance of at least one onset (central value of the frequency).
    pub annual_probability: f64,
    pub tension_sensitivity: f64,
}

pub const DEFAULT_CAP: f64 = 0.65;

/// The `check` view of a compiled model: sourcing shares, suppliers and disruption processes per
/// bloc and material, judged against the single-supplier cap (`cap_level`, else the scenario's
/// own cap, else 65%), with warnings for what looks wrong.
pub fn check_report(model: &Model, cap_level: Option<f64>) -> CheckReport {
    let cap = cap_level.or(model.cap_level).unwrap_or(DEFAULT_CAP);
    let mut warnings = Vec::new();
    let materials = model
        .materials
        .iter()
        .enumerate()
        .map(|(mi, mat)| MaterialView {
            material: mat.name.clone(),
            unit: mat.unit.clone(),
            critical: mat.critical,
            strategic: mat.strategic,
            stages: mat
                .stages
                .iter()
                .enumerate()
                .map(|(si, stage)| {
                    let production: Vec<f64> =
                        stage.suppliers.iter().map(|s| s.capacity_t_per_month * s.utilisation * 12.0).collect();
                    let country_sum: f64 = production.iter().sum();
                    // Shares of the published world total when the scenario gives one, as USGS
                    // reports them; else of the sum over countries.
                    let total = stage.published_world_production.unwrap_or(country_sum);
                    if let Some(published) = stage.published_world_production {
                        if (country_sum / published - 1.0).abs() > 0.02 {
                            warnings.push(format!(
                                "{} {}: countries produce {:.0} t/yr but the published world total is {:.0} t/yr ({:+.1}%); shares are of the published total",
                                mat.name, stage.name, country_sum, published, 100.0 * (country_sum / published - 1.0)
                            ));
                        }
                    }
                    let capacity: f64 = stage.suppliers.iter().map(|s| s.capacity_t_per_month * 12.0).sum();
                    let mut shares: Vec<(String, f64)> = stage
                        .suppliers
                        .iter()
                        .zip(&production)
                        .map(|(s, p)| (model.countries[s.country].clone(), if total > 0.0 { p / total } else { 0.0 }))
                        .collect();
                    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let hhi = shares.iter().map(|(_, s)| (s * 100.0).powi(2)).sum();
                    let committed: f64 = model.committed_flows(mi, si).iter().sum::<f64>() * 12.0;
                    // A declared share for uses the blocs do not cover is set aside first.
                    let for_blocs = country_sum * (1.0 - stage.unmodelled_use_share);
                    if for_blocs > 0.0 && (committed - for_blocs).abs() > 0.05 * for_blocs {
                        let produce = if stage.unmodelled_use_share > 0.0 {
                            format!(
                                "the countries produce {:.0} t/yr for them ({:.0} t/yr less the declared unmodelled_use_share {})",
                                for_blocs, country_sum, stage.unmodelled_use_share
                            )
                        } else {
                            format!("the countries produce {country_sum:.0} t/yr")
                        };
                        warnings.push(format!(
                            "{} {}: the blocs take {:.0} t/yr in calm times but {} ({:+.0}%); \
                             demand and production usually match within a few percent (declare the share going to \
                             uses the blocs do not cover with the stage's unmodelled_use_share)",
                            mat.name,
                            stage.name,
                            committed,
                            produce,
                            100.0 * (committed / for_blocs - 1.0)
                        ));
                    }
                    StageView {
                        stage: stage.name.clone(),
                        world_production_t_per_year: total,
                        world_capacity_t_per_year: capacity,
                        largest_supplier: shares.first().map(|s| s.0.clone()).unwrap_or_default(),
                        largest_share: shares.first().map_or(0.0, |s| s.1),
                        hhi,
                        top_suppliers: shares.into_iter().take(5).collect(),
                    }
                })
                .collect(),
        })
        .collect();

    let blocs = bloc_views(model, cap);
    let disruptions = disruption_views(model);

    CheckReport {
        scenario: model.name.clone(),
        description: model.description.clone(),
        horizon_start: model.month_label(0),
        horizon_months: model.months,
        cap_level: cap,
        materials,
        blocs,
        disruptions,
        tension_regimes: model.tension.regimes.clone(),
        cap_outcomes: model.cap_report.clone(),
        cap_binds: model.cap_shift.as_ref().map(|shift| {
            let b = shift.binding;
            let from = month_from_start(model, b.from);
            match b.phase_in_months {
                0 => format!("from {from}"),
                p => format!("phased in over {p} months from {from}"),
            }
        }),
        warnings,
        sources: model.sources.clone(),
    }
}

/// Per bloc and material: demand, recycling, import reliance, stockpile, and per stage the
/// suppliers by share with the third countries over the cap.
fn bloc_views(model: &Model, cap: f64) -> Vec<BlocView> {
    model
        .blocs
        .iter()
        .enumerate()
        .map(|(b, bloc)| BlocView {
            bloc: bloc.name.clone(),
            materials: model.cells[b]
                .iter()
                .flatten()
                .map(|cell| {
                    let mat = &model.materials[cell.material];
                    let bit = 1u64 << b;
                    let stages: Vec<BlocStageView> = mat
                        .stages
                        .iter()
                        .zip(&cell.sourcing)
                        .map(|(stage, row)| {
                            let mut suppliers: Vec<(String, f64, bool)> = row
                                .iter()
                                .map(|&(k, sh)| {
                                    let s = &stage.suppliers[k];
                                    (
                                        model.countries[s.country].clone(),
                                        sh,
                                        s.member_of & bit == 0,
                                    )
                                })
                                .collect();
                            suppliers
                                .sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                            BlocStageView {
                                stage: stage.name.clone(),
                                over_cap: suppliers
                                    .iter()
                                    // The cap is on shares of consumption (recycling included).
                                    .map(|(c, sh, third)| {
                                        (c, sh * (1.0 - cell.recycling_start), *third)
                                    })
                                    .filter(|(_, sh, third)| *third && *sh > cap + 1e-9)
                                    .map(|(c, sh, _)| (c.clone(), sh))
                                    .collect(),
                                suppliers: suppliers
                                    .into_iter()
                                    .map(|(c, sh, _)| (c, sh))
                                    .collect(),
                            }
                        })
                        .collect();
                    let last = mat.stages.len() - 1;
                    let domestic: f64 = cell.sourcing[last]
                        .iter()
                        .filter(|&&(k, _)| mat.stages[last].suppliers[k].member_of & bit != 0)
                        .map(|&(_, sh)| sh)
                        .sum();
                    BlocMaterialView {
                        material: mat.name.clone(),
                        demand_t_per_year: cell.demand_t_per_month * 12.0,
                        recycling_share: cell.recycling_start,
                        import_reliance: (1.0 - cell.recycling_start) * (1.0 - domestic),
                        stockpile_months: cell.stockpile.map_or(0.0, |s| s.initial_months),
                        stages,
                    }
                })
                .collect(),
        })
        .collect()
}

/// Per disruption: kind, materials, countries and its central annual probability.
fn disruption_views(model: &Model) -> Vec<DisruptionView> {
    model
        .disruptions
        .iter()
        .map(|d| {
            let central = dist_central(&d.monthly_rate);
            let p = if d.rate_from_probability {
                central
            } else {
                1.0 - (-central).exp()
            };
            let mut countries: Vec<String> = d
                .countries
                .iter()
                .map(|&c| model.countries[c].clone())
                .collect();
            countries.dedup();
            DisruptionView {
                name: d.name.clone(),
                kind: format!(
                    "{:?}{}",
                    d.kind,
                    if is_targeted(model, d) {
                        " (targeted)"
                    } else {
                        ""
                    }
                ),
                materials: d
                    .materials
                    .iter()
                    .map(|&m| model.materials[m].name.clone())
                    .collect(),
                countries,
                annual_probability: p,
                tension_sensitivity: d.tension_sensitivity,
            }
        })
        .collect()
}

/// Central value of a built distribution (for display only).
fn dist_central(d: &super::Dist) -> f64 {
    use rand_xoshiro::rand_core::SeedableRng;
    match d {
        super::Dist::Fixed(v) => *v,
        super::Dist::Empirical(v) => v.iter().sum::<f64>() / v.len() as f64,
        other => {
            // A fixed-seed average is stable across runs and plenty for a display figure.
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x5eed);
            let n = 4000;
            (0..n)
                .map(|_| other.sample_clamped(&mut rng, f64::MIN, f64::MAX))
                .sum::<f64>()
                / n as f64
        }
    }
}

/// A trade measure is targeted when it spares some bloc it could hit (one its country is not in).
fn is_targeted(model: &Model, d: &super::DisruptionModel) -> bool {
    if d.effect != Effect::Trade {
        return false;
    }
    let all = if model.blocs.len() >= 64 {
        u64::MAX
    } else {
        (1u64 << model.blocs.len()) - 1
    };
    d.hits.iter().any(|h| {
        let supplier = &model.materials[h.material].stages[h.stage].suppliers[h.supplier];
        h.blocs != all & !supplier.member_of
    })
}

/// Month `t` from the horizon start as `YYYY-MM`, also before the start or past the horizon.
fn month_from_start(model: &Model, t: i64) -> String {
    let (y, m) = model.start;
    let months = i64::from(y) * 12 + i64::from(m) - 1 + t;
    format!(
        "{:04}-{:02}",
        months.div_euclid(12),
        months.rem_euclid(12) + 1
    )
}
