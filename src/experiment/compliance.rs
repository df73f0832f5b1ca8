//! The cap over time (docs/model.md, "The cap over time"): when could a bloc first meet the
//! single-supplier cap, given the spare capacity that exists today and the scheduled projects
//! that arrive, each path with the delays the kernel draws for it?
//!
//! The kernel moves the sourcing at the binding month (`sim::phase::cap_shift`); what is here
//! is the compliance analysis beside it: arithmetic on the model and on each path's
//! drawn arrival months, made by the kernel's own draw (`sim::timeline::draw_params`, streams
//! `capacity:<name>`) and ramp (`online_share`), so a project arrives here in the month it
//! arrives in the simulation of the same seed and path.

use serde::{Deserialize, Serialize};

use crate::model::{Model, NewCapacityStart};
use crate::sim::online_share;
use crate::sim::timeline::{draw_params, PathParams, StreamKeys, TimelineScratch};

pub use crate::model::cap::Binding;

/// One project's arrival on one path: its online month o (drawn), ramp r and full capacity T
/// (tonnes per month); it supplies T · clamp((t − o)/r, 0, 1) in month t, as in the kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Online month o, from the horizon start (start + rounded drawn delay).
    pub online: f64,
    /// Ramp r, months (0: a step).
    pub ramp_months: f64,
    /// Full capacity T, tonnes per month.
    pub tonnes_per_month: f64,
}

/// One path of one capped link, month by month.
#[derive(Debug, Clone, PartialEq)]
pub struct PathCompliance {
    /// First month t with gap G(t) = 0 (None: not within the horizon).
    pub month: Option<usize>,
    /// G(t) = max(0, E − S − N(t)), tonnes per month: what the full cap still lacks.
    pub gap: Vec<f64>,
    /// Moved from existing spare at month t: min(φ(t)·E, S), tonnes per month.
    pub from_spare: Vec<f64>,
    /// Moved onto new capacity at month t: min(φ(t)·E − from_spare, N(t)), tonnes per month.
    pub from_new: Vec<f64>,
    /// Binding months in breach: φ(t)·E > S + N(t).
    pub months_in_breach: usize,
}

/// Relative size below which a gap is rounding dust.
const EPS: f64 = 1e-9;

/// The cap over time for one path of one link: excess E over the cap and existing spare S
/// (tonnes per month, from `model::cap`), and the path's arrivals of non-dominant capacity.
pub fn path_compliance(
    excess: f64,
    spare: f64,
    arrivals: &[Arrival],
    months: usize,
    binding: Binding,
) -> PathCompliance {
    let mut out = PathCompliance {
        month: None,
        gap: Vec::with_capacity(months),
        from_spare: Vec::with_capacity(months),
        from_new: Vec::with_capacity(months),
        months_in_breach: 0,
    };
    let tol = EPS * excess.max(1.0);
    for t in 0..months {
        let new: f64 = arrivals
            .iter()
            .map(|a| online_share(t as f64, a.online, a.ramp_months) * a.tonnes_per_month)
            .sum();
        let gap = (excess - spare - new).max(0.0);
        if gap <= tol {
            out.month.get_or_insert(t);
        }
        out.gap.push(if gap <= tol { 0.0 } else { gap });
        let required = binding.required_share(t) * excess;
        let s = required.min(spare);
        out.from_spare.push(s);
        out.from_new.push((required - s).min(new).max(0.0));
        if required > spare + new + tol {
            out.months_in_breach += 1;
        }
    }
    out
}

/// The cap over time of one capped link (bloc × material × stage with a third country over
/// the cap), over all paths.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkCompliance {
    /// Material name.
    pub material: String,
    /// Stage name.
    pub stage: String,
    /// The third country over the cap.
    pub dominant_supplier: String,
    /// The bloc's consumption of the material, tonnes a year (recycling included).
    pub consumption_t_per_year: f64,
    /// Excess E over the cap, tonnes a year.
    pub excess_t_per_year: f64,
    /// Existing spare S the static cap moves onto, tonnes a year.
    pub spare_t_per_year: f64,
    /// Full capacity of scheduled non-dominant projects at this stage, tonnes a year.
    pub pipeline_t_per_year: f64,
    /// Per path: the compliance month (None: not by the horizon's end).
    #[serde(skip)]
    pub months: Vec<Option<usize>>,
    /// Compliance month quantiles over paths, months from the horizon start (None: later than
    /// the horizon): P10, median, P90.
    pub month_p10: Option<usize>,
    /// Median compliance month.
    pub month_median: Option<usize>,
    /// P90 compliance month.
    pub month_p90: Option<usize>,
    /// Share of paths not compliant by the horizon's end.
    pub p_not_by_end: f64,
    /// Per year of the horizon (index 0 = first 12 months): mean over paths of the average
    /// monthly gap × 12, tonnes a year.
    pub gap_by_year_t: Vec<f64>,
    /// Mean over paths, in the first fully binding month (or the last month): tonnes a year
    /// moved from existing spare and onto new capacity.
    pub from_spare_t_per_year: f64,
    /// See `from_spare_t_per_year`.
    pub from_new_t_per_year: f64,
    /// Mean over paths of binding months in breach.
    pub mean_months_in_breach: f64,
}

/// The `q`-quantile (nearest rank, never = ∞) of compliance months.
fn quantile(sorted: &[Option<usize>], q: f64) -> Option<usize> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Sort key putting "never" last.
fn key(m: &Option<usize>) -> usize {
    m.unwrap_or(usize::MAX)
}

/// Each path's arrival months of every scheduled entry, drawn as the kernel draws them for
/// `seed` and path indices `0..paths` (restart-on-price entries never arrive here: the price
/// path is the kernel's).
pub fn drawn_arrivals(model: &Model, seed: u64, paths: u64) -> Vec<Vec<f64>> {
    // Capacity streams depend only on the entry's name, not on the kernel's cell layout.
    let keys = StreamKeys::new(model, &[]);
    let mut scratch = TimelineScratch::default();
    let mut params = PathParams::default();
    (0..paths)
        .map(|p| {
            draw_params(model, &keys, (seed, p), None, &mut scratch, &mut params);
            params.capacity_online.clone()
        })
        .collect()
}

/// The cap over time for every link of `bloc` the cap moved (`with.cap_report`), on the
/// arrivals `online[path][entry]` of `drawn_arrivals`.
pub fn compliance(
    with: &Model,
    bloc: &str,
    binding: Binding,
    online: &[Vec<f64>],
) -> Vec<LinkCompliance> {
    with.cap_report
        .iter()
        .filter(|o| o.bloc == bloc)
        .filter_map(|o| {
            let b = with.blocs.iter().position(|x| x.name == bloc)?;
            let mi = with.materials.iter().position(|m| m.name == o.material)?;
            let si = with.materials[mi]
                .stages
                .iter()
                .position(|s| s.name == o.stage)?;
            let stage = &with.materials[mi].stages[si];
            let dom = stage
                .suppliers
                .iter()
                .position(|s| with.countries[s.country] == o.dominant_supplier)?;
            let cell = with.cells[b][mi].as_ref()?;
            let entries: Vec<usize> = (0..with.new_capacity.len())
                .filter(|&i| {
                    let c = &with.new_capacity[i];
                    c.material == mi
                        && c.stage == si
                        && c.supplier != dom
                        && matches!(c.start, NewCapacityStart::Scheduled { .. })
                })
                .collect();
            let excess = (o.moved_t_per_year + o.capacity_gap_t_per_year) / 12.0;
            let spare = o.moved_t_per_year / 12.0;
            let paths: Vec<PathCompliance> = online
                .iter()
                .map(|on| {
                    let arrivals: Vec<Arrival> = entries
                        .iter()
                        .map(|&i| Arrival {
                            online: on[i],
                            ramp_months: with.new_capacity[i].ramp_months,
                            tonnes_per_month: with.new_capacity[i].tonnes_per_month,
                        })
                        .collect();
                    path_compliance(excess, spare, &arrivals, with.months, binding)
                })
                .collect();
            // A fold from +0.0: an empty f64 sum is −0.0, printed "-0".
            let pipeline = entries.iter().fold(0.0, |acc, &i| {
                acc + with.new_capacity[i].tonnes_per_month * 12.0
            });
            Some(summarise(
                o,
                cell.demand_t_per_month * 12.0,
                (excess, spare, pipeline),
                binding,
                with.months,
                &paths,
            ))
        })
        .collect()
}

fn summarise(
    o: &crate::model::cap::CapOutcome,
    consumption_t_per_year: f64,
    (excess, spare, pipeline): (f64, f64, f64),
    binding: Binding,
    months: usize,
    paths: &[PathCompliance],
) -> LinkCompliance {
    let n = paths.len().max(1) as f64;
    let month_of: Vec<Option<usize>> = paths.iter().map(|p| p.month).collect();
    let mut sorted = month_of.clone();
    sorted.sort_by_key(key);
    let years = months.div_ceil(12);
    let gap_by_year_t = (0..years)
        .map(|y| {
            let (lo, hi) = (y * 12, ((y + 1) * 12).min(months));
            let total: f64 = paths
                .iter()
                .map(|p| p.gap[lo..hi].iter().sum::<f64>())
                .sum();
            total / n / (hi - lo) as f64 * 12.0
        })
        .collect();
    let full = (binding.from.max(0) as usize + binding.phase_in_months.saturating_sub(1) as usize)
        .min(months.saturating_sub(1));
    let mean_at = |f: fn(&PathCompliance) -> &Vec<f64>| {
        paths
            .iter()
            .map(|p| f(p).get(full).copied().unwrap_or(0.0))
            .sum::<f64>()
            / n
            * 12.0
    };
    LinkCompliance {
        material: o.material.clone(),
        stage: o.stage.clone(),
        dominant_supplier: o.dominant_supplier.clone(),
        consumption_t_per_year,
        excess_t_per_year: excess * 12.0,
        spare_t_per_year: spare * 12.0,
        pipeline_t_per_year: pipeline,
        month_p10: quantile(&sorted, 0.10),
        month_median: quantile(&sorted, 0.50),
        month_p90: quantile(&sorted, 0.90),
        p_not_by_end: month_of.iter().filter(|m| m.is_none()).count() as f64 / n,
        months: month_of,
        gap_by_year_t,
        from_spare_t_per_year: mean_at(|p| &p.from_spare),
        from_new_t_per_year: mean_at(|p| &p.from_new),
        mean_months_in_breach: paths.iter().map(|p| p.months_in_breach as f64).sum::<f64>() / n,
    }
}

/// The cap over time of one material as a whole: it complies on a path once every capped link
/// of it complies (the latest of their months; never if one never does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterialCompliance {
    /// Material name.
    pub material: String,
    /// P10, median and P90 over paths of the material's compliance month (None: later than
    /// the horizon).
    pub month_p10: Option<usize>,
    /// Median compliance month.
    pub month_median: Option<usize>,
    /// P90 compliance month.
    pub month_p90: Option<usize>,
    /// Share of paths on which some link never complies within the horizon.
    pub p_not_by_end: f64,
}

/// Combines the links of `material` (all from the same paths); None if the cap moves none.
pub fn material_compliance(links: &[LinkCompliance], material: &str) -> Option<MaterialCompliance> {
    let of: Vec<&LinkCompliance> = links.iter().filter(|l| l.material == material).collect();
    let paths = of.first()?.months.len();
    let mut months: Vec<Option<usize>> = (0..paths)
        .map(|p| {
            of.iter()
                .map(|l| l.months.get(p).copied().flatten())
                .try_fold(0, |acc, m| m.map(|m| acc.max(m)))
        })
        .collect();
    let never = months.iter().filter(|m| m.is_none()).count() as f64 / paths.max(1) as f64;
    months.sort_by_key(key);
    Some(MaterialCompliance {
        material: material.to_string(),
        month_p10: quantile(&months, 0.10),
        month_median: quantile(&months, 0.50),
        month_p90: quantile(&months, 0.90),
        p_not_by_end: never,
    })
}
