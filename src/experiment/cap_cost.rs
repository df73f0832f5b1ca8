//! What complying with the single-supplier cap costs (docs/model.md, "The cost of the cap"):
//! the premium of non-dominant supply, paid on the volume the cap moves off the dominant
//! supplier, next to the risk the cap removes and the stockpile the same money would buy.
//!
//! Arithmetic on the two compiled models (without and with the cap): the moved volume is the
//! difference of their sourcing rows, so it is exactly what the paired simulation runs with.

use serde::{Deserialize, Serialize};

use crate::model::Model;

/// Volume moved onto one supplier at one capped stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MovedVolume {
    /// Stage name.
    pub stage: String,
    /// The supplier that takes the volume.
    pub supplier: String,
    /// The supplier over the cap it is moved from.
    pub from: String,
    /// Tonnes a year moved (first-year demand).
    pub t_per_year: f64,
    /// What a tonne from `supplier` costs more than a tonne from `from`, USD (None: the scenario
    /// gives neither both unit costs nor the material's `non_dominant_premium_share`).
    pub premium_usd_per_t: Option<f64>,
}

/// The cost of the cap for one strategic material of one bloc.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaterialCost {
    /// Material name.
    pub material: String,
    /// Every volume moved, per stage and receiving supplier.
    pub moved: Vec<MovedVolume>,
    /// Σ moved tonnes a year.
    pub moved_t_per_year: f64,
    /// Σ t_per_year × premium, USD a year (None if any moved volume is unpriced).
    pub cost_usd_per_year: Option<f64>,
    /// Years the premium is paid: the binding weights φ(t) summed over the horizon's months,
    /// / 12 (months / 12 for a cap binding from the start).
    pub horizon_years: f64,
    /// cost_usd_per_year × horizon_years.
    pub cost_usd_horizon: Option<f64>,
    /// The cap's capacity gap, t/yr: volume no existing supplier can take.
    pub gap_t_per_year: f64,
    /// What the gap would cost a year at the material's premium once the capacity exists
    /// (None without `non_dominant_premium_share`).
    pub gap_cost_usd_per_year: Option<f64>,
    /// The material's calm price, USD per tonne (prices the stockpile).
    pub price_usd_per_t: f64,
    /// The bloc's first-year demand, tonnes a month.
    pub demand_t_per_month: f64,
    /// P(worst-year shortfall > 10%) removed by the cap, percentage points (without − with),
    /// with its paired 95% interval; None until `with_risk`.
    pub risk_removed_pp: Option<[f64; 3]>,
    /// cost_usd_horizon / risk_removed_pp (None: unpriced, or the cap removes no risk that its
    /// interval confirms).
    pub usd_per_pp_removed: Option<f64>,
    /// What the same money buys as a stockpile: cost_usd_horizon / price, tonnes.
    pub stockpile_t: Option<f64>,
    /// The same stockpile in months of the bloc's first-year demand.
    pub stockpile_months: Option<f64>,
}

impl MaterialCost {
    /// Adds the risk the cap removes: the paired difference of P(worst-year shortfall > 10%),
    /// with − without, and its 95% interval (shares, not points).
    pub fn with_risk(mut self, difference: f64, low: f64, high: f64) -> Self {
        // Removed = without − with = −difference; the interval flips.
        let removed = [-100.0 * difference, -100.0 * high, -100.0 * low];
        self.risk_removed_pp = Some(removed);
        // Only a removal the paired interval confirms (its lower end above zero) is priced: a
        // cost divided by noise around zero is no figure.
        self.usd_per_pp_removed = self
            .cost_usd_horizon
            .filter(|_| removed[0] > 0.0 && removed[1] > 0.0)
            .map(|c| c / removed[0]);
        self
    }
}

/// What a tonne from supplier `k` costs more than one from the dominant `dom` at stage `si` of
/// material `mi`: the difference of their unit costs when both are given, else the material's
/// premium share × its calm price, else unknown.
pub fn premium_usd_per_t(model: &Model, mi: usize, si: usize, dom: usize, k: usize) -> Option<f64> {
    let stage = &model.materials[mi].stages[si];
    let price = &model.materials[mi].price;
    match (
        stage.suppliers[k].unit_cost_usd_per_t,
        stage.suppliers[dom].unit_cost_usd_per_t,
    ) {
        (Some(ck), Some(cd)) => Some(ck - cd),
        _ => price
            .non_dominant_premium_share
            .map(|s| s * price.base_usd_per_t),
    }
}

/// Years the premium is paid: Σ_t φ(t) / 12 over the horizon for a cap that binds later (the
/// moved volume is bought only once moved), months / 12 for the static cap.
fn paid_years(with: &Model) -> f64 {
    match &with.cap_shift {
        Some(shift) => {
            (0..with.months)
                .map(|t| shift.binding.required_share(t))
                .sum::<f64>()
                / 12.0
        }
        None => with.months as f64 / 12.0,
    }
}

/// The cost of the cap per strategic material of `bloc` that the cap moved, from the models
/// `without` and `with` the cap (same scenario otherwise).
pub fn cap_cost(without: &Model, with: &Model, bloc: &str) -> Vec<MaterialCost> {
    let Some(b) = with.blocs.iter().position(|x| x.name == bloc) else {
        return Vec::new();
    };
    let mut out: Vec<MaterialCost> = Vec::new();
    for o in with.cap_report.iter().filter(|o| o.bloc == bloc) {
        let Some(mi) = with.materials.iter().position(|m| m.name == o.material) else {
            continue;
        };
        let mat = &with.materials[mi];
        let Some(si) = mat.stages.iter().position(|s| s.name == o.stage) else {
            continue;
        };
        let stage = &mat.stages[si];
        let (Some(cw), Some(c0)) = (with.cells[b][mi].as_ref(), without.cells[b][mi].as_ref())
        else {
            continue;
        };
        let Some(dom) = stage
            .suppliers
            .iter()
            .position(|s| with.countries[s.country] == o.dominant_supplier)
        else {
            continue;
        };
        let need = cw.demand_t_per_month * (1.0 - cw.recycling_start);
        let share = |row: &[(usize, f64)], k: usize| {
            row.iter().find(|(s, _)| *s == k).map_or(0.0, |(_, x)| *x)
        };
        let entry = match out.iter().position(|c| c.material == mat.name) {
            Some(i) => &mut out[i],
            None => {
                out.push(MaterialCost {
                    material: mat.name.clone(),
                    moved: Vec::new(),
                    moved_t_per_year: 0.0,
                    cost_usd_per_year: Some(0.0),
                    horizon_years: paid_years(with),
                    cost_usd_horizon: None,
                    gap_t_per_year: 0.0,
                    gap_cost_usd_per_year: Some(0.0),
                    price_usd_per_t: mat.price.base_usd_per_t,
                    demand_t_per_month: cw.demand_t_per_month,
                    risk_removed_pp: None,
                    usd_per_pp_removed: None,
                    stockpile_t: None,
                    stockpile_months: None,
                });
                out.last_mut().expect("just pushed")
            }
        };
        // The shares once the cap fully binds (a cap binding later keeps the market's in its cells).
        let capped = with.capped_sourcing(b, mi, si).unwrap_or(&cw.sourcing[si]);
        for k in (0..stage.suppliers.len()).filter(|&k| k != dom) {
            let t = (share(capped, k) - share(&c0.sourcing[si], k)) * need * 12.0;
            if t <= 1e-9 * need.max(1.0) {
                continue;
            }
            let premium = premium_usd_per_t(with, mi, si, dom, k);
            entry.cost_usd_per_year = entry.cost_usd_per_year.zip(premium).map(|(c, p)| c + t * p);
            entry.moved_t_per_year += t;
            entry.moved.push(MovedVolume {
                stage: stage.name.clone(),
                supplier: with.countries[stage.suppliers[k].country].clone(),
                from: o.dominant_supplier.clone(),
                t_per_year: t,
                premium_usd_per_t: premium,
            });
        }
        if o.capacity_gap_t_per_year > 0.0 {
            entry.gap_t_per_year += o.capacity_gap_t_per_year;
            let gap_premium = mat
                .price
                .non_dominant_premium_share
                .map(|s| s * mat.price.base_usd_per_t);
            entry.gap_cost_usd_per_year = entry
                .gap_cost_usd_per_year
                .zip(gap_premium)
                .map(|(c, p)| c + o.capacity_gap_t_per_year * p);
        }
    }
    for c in &mut out {
        c.cost_usd_horizon = c.cost_usd_per_year.map(|y| y * c.horizon_years);
        c.stockpile_t = c.cost_usd_horizon.map(|h| h / c.price_usd_per_t);
        c.stockpile_months = c
            .stockpile_t
            .filter(|_| c.demand_t_per_month > 0.0)
            .map(|t| t / c.demand_t_per_month);
    }
    out
}
