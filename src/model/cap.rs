//! The CRMA single-supplier cap: rebalance a bloc's sourcing so that no single third country
//! supplies more than the cap at a stage, and say what it would take where it cannot.
//!
//! Regulation (EU) 2024/1252 Art. 5(1)(b): by 2030 no single third country should supply more
//! than 65% of the Union's annual consumption of any strategic raw material at any relevant
//! stage of processing. The excess over the cap moves to other suppliers in proportion to the
//! capacity they can spare (capacity minus their calm output: production, or what every bloc
//! already takes from them if that is more), partners
//! and the bloc's own members first; a third country taking the excess is itself held to the cap.
//! What no one can take is the cap's capacity gap: new non-dominant capacity the cap needs.

use serde::{Deserialize, Serialize};

use super::Model;
use crate::scenario::diagnostic::{unknown_name_hint, Issue};
use crate::scenario::raw::SupplierCap;
use crate::scenario::LoadedScenario;

/// A cap with its names resolved to indices.
#[derive(Debug, Clone)]
pub struct CapSpec {
    pub level: f64,
    pub blocs: Vec<usize>,
    /// Per material: stage indices capped (empty = not capped).
    pub stages: Vec<Vec<usize>>,
    /// When the cap binds (None: from the horizon's start, at once: the static cap).
    pub binding: Option<Binding>,
}

impl CapSpec {
    /// First month the full cap binds (0 for the static cap): watched breaches count from it.
    pub fn full_from(&self) -> usize {
        self.binding.map_or(0, |b| b.full_from().max(0) as usize)
    }
}

/// When the cap binds: from month `from` (months from the horizon start), reaching its full
/// level after a linear phase-in of `phase_in_months` (0: at once). docs/model.md, "The cap
/// over time" and "Phase 2c".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Binding {
    /// First binding month, from the horizon start (may be before 0 or after the horizon).
    pub from: i64,
    /// Months of linear phase-in from `from` (0: the full cap binds at `from`).
    pub phase_in_months: u32,
}

impl Binding {
    /// φ(t): the part of the full excess the cap requires to have moved in month t:
    /// 0 before `from`, min(1, (t − from + 1)/P) from it (1 when P = 0).
    pub fn required_share(&self, t: usize) -> f64 {
        let t = t as i64;
        if t < self.from {
            0.0
        } else if self.phase_in_months == 0 {
            1.0
        } else {
            ((t - self.from + 1) as f64 / f64::from(self.phase_in_months)).min(1.0)
        }
    }

    /// The first month with φ = 1: from + max(P, 1) − 1.
    pub fn full_from(&self) -> i64 {
        self.from + i64::from(self.phase_in_months.max(1)) - 1
    }

    /// φ = 1 from the horizon's first month: the cap is the static one.
    pub fn is_static(&self) -> bool {
        self.full_from() <= 0
    }
}

/// A cap that binds after the horizon's start: the kernel moves the capped bloc's sourcing from
/// the market shares toward the capped ones month by month (`sim::phase::cap_shift`).
#[derive(Debug, Clone)]
pub struct CapShift {
    pub binding: Binding,
    /// One per capped (bloc, material, stage) with a third country over the cap, in the order
    /// of the rebalancing (material, stage, bloc).
    pub links: Vec<ShiftLink>,
}

/// One capped link: the market and capped sourcing of a bloc at a stage, and the excess.
#[derive(Debug, Clone)]
pub struct ShiftLink {
    pub bloc: usize,
    pub material: usize,
    pub stage: usize,
    /// a_k: the market sourcing share of each supplier of the stage (dense).
    pub market: Vec<f64>,
    /// a'_k: the static cap's share of each supplier (dense): the excess moved onto spare.
    pub capped: Vec<f64>,
    /// The static cap's sourcing row, as a cell stores it (for the cost of the cap).
    pub capped_row: Vec<(usize, f64)>,
    /// e: the excess over the cap, a share of the bloc's need (over every third country over it).
    pub excess: f64,
    /// σ ≤ e: the part of the excess existing spare takes (Σ over receivers of a'_k − a_k).
    pub spare: f64,
    /// Per supplier: its part of the remaining excess e − σ (Σ = 1 when e > σ; 0 for the
    /// suppliers not over the cap).
    pub gap_weights: Vec<f64>,
}

/// The links of a cap that binds later: market rows from `market` (the model before the
/// rebalancing), capped rows from `capped` (after it), excess and spare from `report`.
pub fn shift_links(market: &Model, capped: &Model, report: &[CapOutcome]) -> Vec<ShiftLink> {
    let mut links: Vec<ShiftLink> = Vec::new();
    for o in report {
        let (Some(b), Some(mi)) = (
            market.blocs.iter().position(|x| x.name == o.bloc),
            market.materials.iter().position(|x| x.name == o.material),
        ) else {
            continue;
        };
        let mat = &market.materials[mi];
        let Some(si) = mat.stages.iter().position(|x| x.name == o.stage) else {
            continue;
        };
        let (Some(cell), Some(cell_capped)) = (&market.cells[b][mi], &capped.cells[b][mi]) else {
            continue;
        };
        let suppliers = &mat.stages[si].suppliers;
        let need = cell.demand_t_per_month * (1.0 - cell.recycling_start);
        let Some(dom) = suppliers
            .iter()
            .position(|s| market.countries[s.country] == o.dominant_supplier)
        else {
            continue;
        };
        let i = match links
            .iter()
            .position(|l| (l.bloc, l.material, l.stage) == (b, mi, si))
        {
            Some(i) => i,
            None => {
                let dense = |row: &[(usize, f64)]| {
                    let mut v = vec![0.0; suppliers.len()];
                    for &(k, a) in row {
                        v[k] = a;
                    }
                    v
                };
                links.push(ShiftLink {
                    bloc: b,
                    material: mi,
                    stage: si,
                    market: dense(&cell.sourcing[si]),
                    capped: dense(&cell_capped.sourcing[si]),
                    capped_row: cell_capped.sourcing[si].clone(),
                    excess: 0.0,
                    spare: 0.0,
                    gap_weights: vec![0.0; suppliers.len()],
                });
                links.len() - 1
            }
        };
        let l = &mut links[i];
        l.excess += (o.moved_t_per_year + o.capacity_gap_t_per_year) / 12.0 / need;
        l.spare += o.moved_t_per_year / 12.0 / need;
        l.gap_weights[dom] += o.capacity_gap_t_per_year;
    }
    for l in &mut links {
        let total: f64 = l.gap_weights.iter().sum();
        l.gap_weights.iter_mut().for_each(|g| {
            *g = if total > 0.0 { *g / total } else { 0.0 };
        });
    }
    links
}

/// What the cap did to one bloc × material × stage where a supplier was over it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapOutcome {
    pub bloc: String,
    pub material: String,
    pub stage: String,
    pub dominant_supplier: String,
    /// The dominant supplier's share of the bloc's consumption (recycling included) before and
    /// after rebalancing: the basis of the CRMA benchmark.
    pub share_before: f64,
    pub share_after: f64,
    /// Tonnes a year moved to other suppliers.
    pub moved_t_per_year: f64,
    /// Tonnes a year of new non-dominant capacity still needed to meet the cap (0 when feasible).
    pub capacity_gap_t_per_year: f64,
    pub feasible: bool,
}

pub fn resolve(
    issues: &mut Vec<Issue>,
    src: &LoadedScenario,
    model: &Model,
    cap: &SupplierCap,
) -> Option<CapSpec> {
    let before = issues.len();
    if !(cap.level.is_finite() && cap.level > 0.0 && cap.level <= 1.0) {
        issues.push(src.issue(
            &["supplier_cap", "level"],
            format!("found {}; expected a share in (0, 1], e.g. 0.65", cap.level),
        ));
    }
    let bloc_names: Vec<&str> = model.blocs.iter().map(|b| b.name.as_str()).collect();
    let material_names: Vec<&str> = model.materials.iter().map(|m| m.name.as_str()).collect();
    let mut blocs = Vec::new();
    for b in &cap.blocs {
        match bloc_names.iter().position(|n| n == b) {
            Some(i) => blocs.push(i),
            None => issues.push(src.issue(
                &["supplier_cap", "blocs", b],
                unknown_name_hint(b, "bloc", bloc_names.iter().copied()),
            )),
        }
    }
    let mut mats: Vec<usize> = Vec::new();
    for m in &cap.materials {
        match material_names.iter().position(|n| n == m) {
            Some(i) => mats.push(i),
            None => issues.push(src.issue(
                &["supplier_cap", "materials", m],
                unknown_name_hint(m, "material", material_names.iter().copied()),
            )),
        }
    }
    if cap.materials.is_empty() {
        mats = (0..model.materials.len())
            .filter(|&i| model.materials[i].strategic)
            .collect();
    }
    let mut stages = vec![Vec::new(); model.materials.len()];
    for &mi in &mats {
        let mat = &model.materials[mi];
        stages[mi] = if cap.stages.is_empty() {
            (0..mat.stages.len()).collect()
        } else {
            mat.stages
                .iter()
                .enumerate()
                .filter(|(_, s)| cap.stages.contains(&s.name))
                .map(|(i, _)| i)
                .collect()
        };
    }
    for s in &cap.stages {
        if !model
            .materials
            .iter()
            .any(|m| m.stages.iter().any(|st| &st.name == s))
        {
            issues.push(src.issue(
                &["supplier_cap", "stages", s],
                format!("no material has a stage `{s}`"),
            ));
        }
    }
    let binding = binding(issues, src, model.start, cap);
    (issues.len() == before).then_some(CapSpec {
        level: cap.level,
        blocs,
        stages,
        binding,
    })
}

/// `binds_from` and `phase_in_months` as a `Binding` from the horizon start `start` (None:
/// neither given, the static cap).
fn binding(
    issues: &mut Vec<Issue>,
    src: &LoadedScenario,
    start: (i32, u32),
    cap: &SupplierCap,
) -> Option<Binding> {
    if cap.binds_from.is_none() && cap.phase_in_months.is_none() {
        return None;
    }
    let phase_in_months = cap.phase_in_months.unwrap_or(0);
    if phase_in_months > 600 {
        issues.push(src.issue(
            &["supplier_cap", "phase_in_months"],
            format!("found {phase_in_months}; expected months in [0, 600]"),
        ));
    }
    let from = match &cap.binds_from {
        None => 0,
        Some(month) => match super::compile::parse_month(month) {
            Some((y, m)) => i64::from(y - start.0) * 12 + i64::from(m) - i64::from(start.1),
            None => {
                issues.push(src.issue(
                    &["supplier_cap", "binds_from"],
                    format!("found \"{month}\"; expected a month \"YYYY-MM\" (year 1900–2200), e.g. \"2030-01\""),
                ));
                0
            }
        },
    };
    Some(Binding {
        from,
        phase_in_months,
    })
}

/// Rebalance sourcing in place; returns one outcome per capped link that was over the cap.
pub fn apply(model: &mut Model, spec: &CapSpec) -> Vec<CapOutcome> {
    let mut outcomes = Vec::new();
    for mi in 0..model.materials.len() {
        for &si in &spec.stages[mi] {
            let mut committed = model.committed_flows(mi, si);
            for &b in &spec.blocs {
                let Some(cell) = model.cells[b][mi].clone() else {
                    continue;
                };
                let need = cell.demand_t_per_month * (1.0 - cell.recycling_start);
                if need <= 0.0 {
                    continue;
                }
                let stage = &model.materials[mi].stages[si];
                let bloc_bit = 1u64 << b;
                let is_third = |k: usize| stage.suppliers[k].member_of & bloc_bit == 0;
                // The cap is on shares of consumption; sourcing shares are of the need left after
                // recycling, so the same cap allows a larger share of that need.
                let level = (spec.level / (1.0 - cell.recycling_start).max(1e-12)).min(1.0);
                let mut row = cell.sourcing[si].clone();
                let mut changed = false;
                for i in 0..row.len() {
                    let (dom, share) = row[i];
                    if !is_third(dom) || share <= level + 1e-12 {
                        continue;
                    }
                    let mut excess = (share - level) * need;
                    let moved_start = excess;
                    // Partners (and members) first, then everyone else.
                    for tier_partners in [true, false] {
                        let candidates: Vec<usize> = (0..stage.suppliers.len())
                            .filter(|&k| k != dom)
                            .filter(|&k| {
                                (stage.suppliers[k].priority_blocs & bloc_bit != 0) == tier_partners
                            })
                            .collect();
                        let room = |k: usize, row: &[(usize, f64)], committed: &[f64]| -> f64 {
                            // Headroom above calm output (production, or contracts if larger).
                            let sup = &stage.suppliers[k];
                            let output =
                                (sup.capacity_t_per_month * sup.utilisation).max(committed[k]);
                            let spare = (sup.capacity_t_per_month - output).max(0.0);
                            if is_third(k) {
                                let current =
                                    row.iter().find(|(s, _)| *s == k).map_or(0.0, |(_, sh)| *sh);
                                spare.min(((level - current) * need).max(0.0))
                            } else {
                                spare
                            }
                        };
                        let rooms: Vec<f64> = candidates
                            .iter()
                            .map(|&k| room(k, &row, &committed))
                            .collect();
                        let total: f64 = rooms.iter().sum();
                        if total <= 0.0 || excess <= 0.0 {
                            continue;
                        }
                        let take = excess.min(total);
                        for (&k, r) in candidates.iter().zip(&rooms) {
                            let amount = take * r / total;
                            if amount <= 0.0 {
                                continue;
                            }
                            committed[k] += amount;
                            match row.iter_mut().find(|(s, _)| *s == k) {
                                Some((_, sh)) => *sh += amount / need,
                                None => row.push((k, amount / need)),
                            }
                        }
                        committed[dom] -= take;
                        row[i].1 -= take / need;
                        excess -= take;
                        changed = true;
                    }
                    outcomes.push(CapOutcome {
                        bloc: model.blocs[b].name.clone(),
                        material: model.materials[mi].name.clone(),
                        stage: stage.name.clone(),
                        dominant_supplier: model.countries[stage.suppliers[dom].country].clone(),
                        share_before: share * (1.0 - cell.recycling_start),
                        share_after: row[i].1 * (1.0 - cell.recycling_start),
                        moved_t_per_year: (moved_start - excess) * 12.0,
                        capacity_gap_t_per_year: excess.max(0.0) * 12.0,
                        feasible: excess <= 1e-9 * need.max(1.0),
                    });
                }
                if changed {
                    row.sort_by_key(|(k, _)| *k);
                    if let Some(c) = model.cells[b][mi].as_mut() {
                        c.sourcing[si] = row;
                    }
                }
            }
        }
    }
    outcomes
}
