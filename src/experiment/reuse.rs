//! Re-solve only the materials a variant changes (issue 12): the first run of an experiment is
//! its base, whose per-path results are kept; a later variant re-solves, path by path, only the
//! materials where its compiled model differs from the base's, and takes the others' results
//! from the base. The result is the variant's full run to the bit; docs/experiments.md, "Only
//! the materials a variant changes are re-solved", gives the argument, and `tests/reuse.rs`
//! checks it against full re-solves.
//!
//! Why it is exact. Given a path's timeline (regimes and episodes) and its parameter draws, the
//! kernel solves each material on its own (`sim::path`): no phase reads another material's
//! state. So a material's results on a path are a function of (1) what the model says about the
//! material (its chain, cells, stockpiles, inventories, new capacity, floors, watched cap links),
//! (2) the episodes of the processes that touch it, in their order, and (3) its cells' parameter
//! draws. Every random stream is named by what it drives (`sim::timeline::StreamKeys`), so (3)
//! depends only on the cell's own distributions, and a process's episodes depend only on its
//! own definition, the tension chain and, through triggers, the episodes of the processes that
//! trigger it (and so on up the chain; the multipliers of several triggers are applied in
//! model order, so that order is part of it). `differing_materials` writes each of these down
//! for each material of both models, as exact text (`{:?}` of the compiled structures, which
//! prints every number to the bit), with processes named rather than numbered, and re-solves
//! every material whose text differs. Anything not covered (other cells or materials, another
//! horizon, parameter sets, floors or countries) makes every material differ. A variant draws
//! of each path only (2) and (3) of the materials it solves (`sim::timeline::Needed`, closed
//! under triggers), each as the full draw gives it.
//!
//! A material whose (1) is the base's, but maybe for processes switched off, and whose (2)
//! differs only in what its processes' episodes are drawn from (`Change::Episodes`: a process
//! switched off or its frequency moved, directly or through what it triggers, tension) is solved
//! again only on the paths where its episodes are not the base's (`sim::path::same_episodes`,
//! against the episodes the base kept with the path): given (1), the month loop reads of the
//! path only its list of episodes and its cells' draws, and a process switched off had no
//! episode on such a path (docs/experiments.md).
//!
//! Such a variant often need not even draw the path (`SameDraws`): where it solves no material
//! whole, a path on which none of the processes it draws otherwise (`Redrawn`: switched off,
//! defined otherwise or added) has an episode, in the base's kept episodes or in its own draw of
//! those processes alone, is the base's, every material of it: the other processes then draw
//! exactly as in the base, by induction over the months (docs/experiments.md).
//!
//! A variant whose processes draw exactly as the base's (`DrawDefinitions` equal: a parameter
//! class, a stockpile, a cap level) draws no episode at all: its full draw of a path's episodes
//! is the base's, which the base kept, so it draws only the parameters of the materials it
//! solves and takes the kept episodes (`Reusing::params_only`), even where it solves every
//! material again.
//!
//! A cap level is read by a material's solve in two places: the sourcing the cap rebalances
//! (where a third country is above the level) and the watched links' breach test, one
//! comparison of a share that does not depend on the level (`sim::phase::watch`). The signature
//! keeps the watched links' levels and calm status apart: a material that differs from the base
//! in them only (`Change::Breaches`) is not solved again, and its breaches are recomputed at
//! the variant's levels from the shares the base kept (`PathRecord::watch_shares`, only those
//! that flip at one of the levels announced to `Runner::recomputing_breaches`; the others flip
//! at none, so the recomputed flips are the solve's, in its order).
//!
//! Putting a path together: a material's record items (its cells, its price peak, its floors'
//! costs, and its runs in the monthly points, cap breaches and attribution entries) are written
//! while it is solved, materials in order; the variant's record is the base's items for the
//! materials it keeps and the re-solved items for the others, in material order, with process
//! indices renamed into the variant's order. A path the base did not keep (over the memory
//! budget, or a record not in material order) is solved whole: exact either way.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use anyhow::Result;

use super::{run_sections, run_variant_recording, sectioned_paths, VariantRun};
use crate::model::Model;
use crate::sim::path::{
    draw_path, draw_path_taking_episodes, drawn_timeline, same_episodes, simulate_path_in,
    solve_drawn, unsolved, PathScratch, Recording, Scope,
};
use crate::sim::plan::{build, MaterialPlan, Plan, WatchPlan, BREACH_TOLERANCE};
use crate::sim::runner::{Kernel, PathSolver, RunConfig};
use crate::sim::timeline::{Episode, Needed};
use crate::stats::accumulator::{CellRecord, MonthlyPoint, OnlySubject, Series};
use crate::stats::metric::Subject;
use crate::stats::tail::AttributionEntry;
use crate::stats::PathRecord;

use super::bytes::{Reader, Writer};

/// Most bytes of base records kept, packed (`Kept::pack`; by estimate 4–5 KB a path on eu-2030,
/// 10 KB unpacked; a headline run's, 1.7 KB, or 3.6 KB in a cap sweep, the path's episodes
/// included, some 0.55 KB): 128 MB keeps every path
/// of `sensitivity`'s default 20,480 (64 MB kept two thirds of them, and solving the rest whole
/// cost `sensitivity` a third more CPU).
/// Paths beyond the budget are solved whole by every variant, so a larger run stays exact and
/// its memory bounded; the budget trades memory for the time reuse saves.
pub const BUDGET_BYTES: usize = 128 << 20;

/// Per material (plan order): whether `variant` must solve it again on every path, or `None`
/// when the two models cannot share per-path results at all. See the module documentation for
/// what is compared; any doubt counts as a difference.
pub fn differing_materials(base: &Model, variant: &Model) -> Option<Vec<bool>> {
    let changes =
        Signatures::of(base, &build(base)).differing(&Signatures::of(variant, &build(variant)))?;
    Some(changes.iter().map(|&c| c != Change::None).collect())
}

/// What a variant changes in a material, against the base.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    None,
    /// Only the level its watched cap links are compared with (and so their calm status):
    /// everything the kernel computes for it is the base's, but for the breaches it counts.
    Breaches,
    /// Only the definitions its processes' episodes are drawn from (their frequencies, the
    /// processes that trigger them, the tension chain), or processes that touch it switched off:
    /// its solve on a path is the base's wherever its episodes on that path are the base's (a
    /// process switched off then had none), so it is solved again only on the other paths
    /// (`same_episodes`).
    Episodes,
    /// Something else the material's solve reads.
    Solve,
}

/// Exact text of what a model says about its shared frame and about each material
/// (`MaterialSignature`).
#[derive(Debug, Clone, PartialEq)]
struct Signatures {
    global: String,
    materials: Vec<MaterialSignature>,
    /// What the processes draw their episodes from (`Redrawn`).
    draws: DrawDefinitions,
}

/// Exact text of what a model says about one material, in parts that change the material's
/// results in different ways (`Change`).
#[derive(Debug, Clone, PartialEq)]
struct MaterialSignature {
    /// What its solve reads of the model but the processes that touch it.
    solve: String,
    /// Those processes, in order: each named, with its effect, hits and pre-buying share.
    processes: Vec<String>,
    /// What the episodes of those processes are drawn from (`process_signatures`).
    episodes: String,
    /// The levels and calm status of its watched cap links.
    levels: String,
}

impl Signatures {
    fn of(model: &Model, plan: &Plan) -> Signatures {
        let l = &plan.layout;
        let blocs: Vec<(&String, &Vec<usize>)> =
            model.blocs.iter().map(|b| (&b.name, &b.members)).collect();
        let global = format!(
            "{:?}|{}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
            model.start,
            model.months,
            l.cells,
            l.materials,
            l.floors,
            blocs,
            model.parameter_sets,
            model.countries,
            // The cap over time moves sourcing inside the kernel (phase 2c): any difference in
            // it re-solves every material (conservative; a per-material split is possible).
            model.cap_shift
        );
        let draws = DrawDefinitions::of(model);
        let processes = process_signatures(model, plan, &draws);
        let materials = (0..model.materials.len())
            .map(|mi| material_signature(model, plan, mi, &processes))
            .collect();
        Signatures {
            global,
            materials,
            draws,
        }
    }

    /// Per material: what `other` changes in it; None when the frames differ.
    fn differing(&self, other: &Signatures) -> Option<Vec<Change>> {
        (self.global == other.global).then(|| {
            self.materials
                .iter()
                .zip(&other.materials)
                .map(|(x, y)| {
                    let (solve, levels) = (x.solve == y.solve, x.levels == y.levels);
                    if !solve {
                        return Change::Solve;
                    }
                    if x.processes != y.processes {
                        // Processes switched off: as if they had no episodes.
                        let removed = is_subsequence(&y.processes, &x.processes);
                        return if removed && levels {
                            Change::Episodes
                        } else {
                            Change::Solve
                        };
                    }
                    match (x.episodes == y.episodes, levels) {
                        (true, true) => Change::None,
                        (true, false) => Change::Breaches,
                        (false, true) => Change::Episodes,
                        (false, false) => Change::Solve,
                    }
                })
                .collect()
        })
    }
}

/// Whether `short` is `long` with some entries left out, the rest in the same order.
fn is_subsequence(short: &[String], long: &[String]) -> bool {
    let mut long = long.iter();
    short.iter().all(|x| long.any(|y| y == x))
}

/// Per process: what its episodes on a path depend on. Its own definition (triggers named by
/// target), the tension chain, and the definitions of every process that triggers it directly
/// or through a chain, in model order.
fn process_signatures(model: &Model, plan: &Plan, draws: &DrawDefinitions) -> Vec<String> {
    let own: Vec<String> = draws
        .processes
        .iter()
        .map(|p| format!("{} triggers {:?}", p.own, p.triggers))
        .collect();
    (0..own.len())
        .map(|p| {
            // The process and those that trigger it (what drawing it alone draws).
            let mut alone = vec![false; own.len()];
            alone[p] = true;
            let upstream = Needed::of_processes(model, plan, &alone).processes;
            let mut s = format!("tension {:?}", model.tension);
            for (q, _) in upstream.iter().enumerate().filter(|(_, &u)| u) {
                let _ = write!(s, "; {}", own[q]);
            }
            s
        })
        .collect()
}

/// What a model's processes draw their episodes from, as exact text: the tension chain, and per
/// process (model order) its definition but its triggers, and its triggers named by target.
/// With the model's horizon and parameter sets (`Signatures::global`) and the processes' names
/// (their streams, `sim::timeline::StreamKeys`), that is everything `sim::timeline` reads.
#[derive(Debug, Clone, PartialEq)]
struct DrawDefinitions {
    tension: String,
    processes: Vec<ProcessDraws>,
}

#[derive(Debug, Clone, PartialEq)]
struct ProcessDraws {
    name: String,
    /// `{:?}` of its definition with no triggers.
    own: String,
    /// Its triggers in order: (target's name, multiplier and months).
    triggers: Vec<(String, String)>,
}

impl DrawDefinitions {
    fn of(model: &Model) -> DrawDefinitions {
        let d = &model.disruptions;
        let processes = d
            .iter()
            .map(|p| {
                let mut plain = p.clone();
                let triggers = std::mem::take(&mut plain.triggers)
                    .iter()
                    .map(|t| {
                        let how = format!("{:?} {}", t.hazard_multiplier, t.months);
                        (d[t.target].name.clone(), how)
                    })
                    .collect();
                ProcessDraws {
                    name: p.name.clone(),
                    own: format!("{plain:?}"),
                    triggers,
                }
            })
            .collect();
        DrawDefinitions {
            tension: format!("{:?}", model.tension),
            processes,
        }
    }
}

/// The processes a variant may draw otherwise than the base: in the base's numbering, those
/// it switched off or defines otherwise; in the variant's, those it defines otherwise or adds.
/// A process is defined otherwise when its own definition or its triggers of processes both
/// models have differ (a trigger of a process switched off boosts nothing in the variant).
///
/// On a path where none of them has an episode, in the base's draw or in the variant's, every
/// other process draws its episodes as in the base. By induction over the months: such a process
/// has the same definition and named streams, so the same rate, the same tension chain and the
/// same hazards, and its clock and trigger boosts are the same in both draws; a boost comes only
/// from an episode, and those are of processes drawn the same so far, with the same triggers of
/// it, pushed in model order, which the processes both have keep (`Redrawn::of` requires it).
/// So every material's episodes on that path are the base's, and so are its results wherever
/// its solve reads what the base's reads (`Change::Episodes` and `Change::None`).
#[derive(Debug, Clone)]
struct Redrawn {
    base: Vec<bool>,
    ours: Vec<bool>,
}

impl Redrawn {
    /// None when the variant moves the tension chain (every process's hazard reads it) or
    /// orders the processes both models have otherwise.
    fn of(base: &DrawDefinitions, ours: &DrawDefinitions) -> Option<Redrawn> {
        if base.tension != ours.tension {
            return None;
        }
        let in_base: Vec<Option<usize>> = ours
            .processes
            .iter()
            .map(|q| base.processes.iter().position(|p| p.name == q.name))
            .collect();
        let shared: Vec<usize> = in_base.iter().flatten().copied().collect();
        if shared.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        let ours_has = |name: &str| ours.processes.iter().any(|q| q.name == name);
        let mut redrawn = Redrawn {
            base: vec![true; base.processes.len()],
            ours: vec![true; ours.processes.len()],
        };
        for (q, p) in in_base.iter().enumerate() {
            let Some(p) = *p else {
                continue;
            };
            let (b, o) = (&base.processes[p], &ours.processes[q]);
            let kept_triggers = b.triggers.iter().filter(|(target, _)| ours_has(target));
            let same = b.own == o.own && kept_triggers.eq(o.triggers.iter());
            redrawn.base[p] = !same;
            redrawn.ours[q] = !same;
        }
        Some(redrawn)
    }
}

/// What the kernel reads of material `mi`: its chain, every bloc's cell of it and stock sharing
/// in it, its plan (with the processes that hit it named, in order, each with its effect, hits
/// and pre-buying share), its new capacity and its price floors (with their indices, which
/// records carry). Apart: what those processes' episodes are drawn from, in the same order;
/// and the level and calm status of each watched link, which decide nothing but the breaches
/// counted (`sim::phase::watch`). A cap that binds later also counts breaches in
/// `cap_shift::finish`, which keeps no shares: there they stay with the rest.
fn material_signature(
    model: &Model,
    plan: &Plan,
    mi: usize,
    processes: &[String],
) -> MaterialSignature {
    let mut s = format!("{:?}", model.materials[mi]);
    for (b, bloc) in model.blocs.iter().enumerate() {
        let _ = write!(
            s,
            "|{} {:?} {:?}",
            bloc.name, bloc.shares_stock_with[mi], model.cells[b][mi]
        );
    }
    let mut mp = plan.materials[mi].clone();
    let hits = std::mem::take(&mut mp.processes);
    let mut levels = String::new();
    if mp.shift.is_none() {
        for w in &mut mp.watches {
            let _ = write!(levels, "{:?} {:?};", w.level, w.calm_breach);
            w.level = 0.0;
            w.calm_breach.clear();
        }
    }
    // Whether some process is announced follows from the processes' pre-buying shares, which
    // are compared with them: apart from those, it decides nothing on a path where no announced
    // process has an episode (`Change::Episodes`).
    mp.announced = false;
    let _ = write!(s, "|{mp:?}");
    let mut episodes = String::new();
    let hits = hits
        .iter()
        .map(|ph| {
            let p = ph.process as usize;
            let _ = write!(episodes, "|{}", processes[p]);
            let name = &model.disruptions[p].name;
            format!("{name} {:?} {:?} {:?}", ph.effect, ph.hits, ph.prebuy_share)
        })
        .collect();
    for (i, c) in model.new_capacity.iter().enumerate() {
        if c.material == mi {
            let _ = write!(s, "|{i} {c:?}");
        }
    }
    for (i, f) in model.price_floors.iter().enumerate() {
        if f.material == mi {
            let _ = write!(s, "|{i} {f:?}");
        }
    }
    MaterialSignature {
        solve: s,
        processes: hits,
        episodes,
        levels,
    }
}

/// The levels (with their calm status) each watched cap link will be compared with by the
/// variants to come (`Runner::recomputing_breaches`), by link: the base keeps the shares that
/// flip at one of them, and a variant recomputes a material's breaches from those shares only
/// when its levels are among them. Empty for other experiments: nothing kept, nothing
/// recomputed.
#[derive(Debug, Clone, Default)]
struct BreachLevels(Vec<Vec<(f64, Vec<bool>)>>);

impl BreachLevels {
    fn of(models: &[Model]) -> BreachLevels {
        let mut per_link: Vec<Vec<(f64, Vec<bool>)>> = Vec::new();
        for model in models {
            for w in build(model).materials.iter().flat_map(|mp| &mp.watches) {
                let link = w.index as usize;
                if per_link.len() <= link {
                    per_link.resize(link + 1, Vec::new());
                }
                let level = (w.level, w.calm_breach.clone());
                if !per_link[link].contains(&level) {
                    per_link[link].push(level);
                }
            }
        }
        BreachLevels(per_link)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a share (`PathRecord::watch_shares`) breaches otherwise than a calm month at one
    /// of its link's levels.
    fn flip_somewhere(&self, &(link, month, share): &(u32, u32, f64)) -> bool {
        self.0.get(link as usize).is_some_and(|levels| {
            levels.iter().any(|(level, calm)| {
                calm.get(month as usize)
                    .is_some_and(|&calm| breaches(share, *level) != calm)
            })
        })
    }

    /// Whether the base kept the shares `w` needs: its level is one of those to come.
    fn covers(&self, w: &WatchPlan) -> bool {
        self.0.get(w.index as usize).is_some_and(|levels| {
            levels
                .iter()
                .any(|(level, calm)| level.to_bits() == w.level.to_bits() && *calm == w.calm_breach)
        })
    }
}

/// Whether a watched link's share breaches the cap `level`: the kernel's comparison
/// (`sim::phase::watch::cap_breaches`), made again at another level.
fn breaches(share: f64, level: f64) -> bool {
    share > level + BREACH_TOLERANCE
}

/// Which material each record item belongs to, for one model.
#[derive(Debug, Clone)]
struct Owners {
    /// Per cell (layout order).
    cell: Vec<usize>,
    /// Per price floor.
    floor: Vec<usize>,
    /// Per watched cap link.
    watch: Vec<usize>,
}

impl Owners {
    fn of(model: &Model, plan: &Plan) -> Owners {
        let mut watch = vec![usize::MAX; plan.layout.cap_watch.len()];
        for mp in &plan.materials {
            for w in &mp.watches {
                watch[w.index as usize] = mp.material;
            }
        }
        Owners {
            cell: plan.layout.cells.iter().map(|&(_, m)| m).collect(),
            floor: model.price_floors.iter().map(|f| f.material).collect(),
            watch,
        }
    }

    fn point(&self, p: &MonthlyPoint) -> usize {
        match p.series {
            Series::Shortfall | Series::StockDrawdown => self.cell[p.index as usize],
            Series::PriceUp | Series::PriceDown => p.index as usize,
        }
    }

    /// Whether the record's runs are in material order (they are, as the kernel writes them;
    /// checked so that a path written otherwise is solved whole rather than mixed up).
    fn in_order(&self, r: &PathRecord) -> bool {
        let shares = r.watch_shares.as_deref().unwrap_or_default();
        sorted(r.monthly.iter().map(|p| self.point(p)))
            && sorted(r.cap_flips.iter().map(|f| self.watch[f.0 as usize]))
            && sorted(shares.iter().map(|s| self.watch[s.0 as usize]))
            && sorted(r.attribution.iter().map(|e| self.cell[e.cell as usize]))
    }
}

fn sorted(keys: impl Iterator<Item = usize>) -> bool {
    let mut last = 0;
    keys.into_iter().all(|k| {
        let ok = k >= last;
        last = k;
        ok
    })
}

/// A cell record with every field at its default, to the bit (`-0.0` is not `0.0` here).
fn is_default(c: &CellRecord) -> bool {
    let CellRecord {
        total_short_t,
        total_demand_t,
        worst_year_short_t,
        worst_year_share,
        peak_month_share,
        months_short,
        longest_run_months,
        first_short_month,
        stock_depleted_month,
        import_gap_t,
        worst_year_import_gap_share,
    } = c;
    [
        total_short_t,
        total_demand_t,
        worst_year_short_t,
        worst_year_share,
        peak_month_share,
        import_gap_t,
        worst_year_import_gap_share,
    ]
    .iter()
    .all(|v| v.to_bits() == 0)
        && *months_short == 0
        && *longest_run_months == 0
        && first_short_month.is_none()
        && stock_depleted_month.is_none()
}

/// One base path's record, without what every path has by default.
#[derive(Debug, Clone, Default)]
struct Kept {
    cells: Vec<(u32, CellRecord)>,
    peak_price_excess: Vec<(u32, f64)>,
    floor_cost_usd: Vec<(u32, f64)>,
    monthly: Vec<MonthlyPoint>,
    cap_flips: Vec<(u32, u32)>,
    attribution: Vec<AttributionEntry>,
    /// The watched links' shares (`PathRecord::watch_shares`) that breach differently from a
    /// calm month at one of the levels to come (`BreachLevels::flip_somewhere`): the others
    /// flip at none of them.
    watch_shares: Vec<(u32, u32, f64)>,
    /// The path's episodes, in the base's process numbers: what a `Change::Episodes` material's
    /// episodes are compared with.
    episodes: Vec<Episode>,
}

fn nonzero(v: &[f64]) -> Vec<(u32, f64)> {
    v.iter()
        .enumerate()
        .filter(|(_, x)| x.to_bits() != 0)
        .map(|(i, &x)| (i as u32, x))
        .collect()
}

impl Kept {
    fn of(r: &PathRecord, episodes: &[Episode], levels: &BreachLevels) -> Kept {
        // Destructured so that a field added to the record cannot be forgotten here.
        let PathRecord {
            cells,
            monthly,
            peak_price_excess,
            floor_cost_usd,
            cap_flips,
            attribution,
            param_set: _,
            watch_shares,
        } = r;
        Kept {
            cells: cells
                .iter()
                .enumerate()
                .filter(|(_, c)| !is_default(c))
                .map(|(i, c)| (i as u32, c.clone()))
                .collect(),
            peak_price_excess: nonzero(peak_price_excess),
            floor_cost_usd: nonzero(floor_cost_usd),
            monthly: monthly.clone(),
            cap_flips: cap_flips.clone(),
            attribution: attribution.clone(),
            watch_shares: watch_shares
                .iter()
                .flatten()
                .filter(|s| levels.flip_somewhere(s))
                .copied()
                .collect(),
            episodes: episodes.to_vec(),
        }
    }

    /// The record packed into bytes (`bytes`): about a third of `Kept`'s memory, since a
    /// monthly point takes 10 bytes instead of 24 and a cell only its non-default fields.
    fn pack(&self) -> Box<[u8]> {
        let Kept {
            cells,
            peak_price_excess,
            floor_cost_usd,
            monthly,
            cap_flips,
            attribution,
            watch_shares,
            episodes,
        } = self;
        let mut w = Writer(Vec::with_capacity(64 + monthly.len() * 10));
        w.var(cells.len() as u64);
        for (i, c) in cells {
            w.var(u64::from(*i));
            pack_cell(&mut w, c);
        }
        for list in [peak_price_excess, floor_cost_usd] {
            w.var(list.len() as u64);
            for &(i, v) in list {
                w.var(u64::from(i));
                w.f64(v);
            }
        }
        w.var(monthly.len() as u64);
        for p in monthly {
            let series = match p.series {
                Series::Shortfall => 0,
                Series::StockDrawdown => 1,
                Series::PriceUp => 2,
                Series::PriceDown => 3,
            };
            w.var(u64::from(p.index) << 2 | series);
            w.var(u64::from(p.month));
            w.f64(p.value);
        }
        w.var(cap_flips.len() as u64);
        for &(link, month) in cap_flips {
            w.var(u64::from(link));
            w.var(u64::from(month));
        }
        w.var(attribution.len() as u64);
        for e in attribution {
            w.var(u64::from(e.cell));
            w.var(u64::from(e.process));
            w.f64(e.carried_t);
        }
        w.var(watch_shares.len() as u64);
        for &(link, month, share) in watch_shares {
            w.var(u64::from(link));
            w.var(u64::from(month));
            w.f64(share);
        }
        w.var(episodes.len() as u64);
        for e in episodes {
            pack_episode(&mut w, e);
        }
        w.0.into_boxed_slice()
    }

    /// Read back what `pack` wrote into `self`, reusing its vectors.
    fn unpack(&mut self, bytes: &[u8]) {
        let mut r = Reader::new(bytes);
        self.cells.clear();
        for _ in 0..r.var() {
            let i = r.u32();
            self.cells.push((i, unpack_cell(&mut r)));
        }
        for list in [&mut self.peak_price_excess, &mut self.floor_cost_usd] {
            list.clear();
            for _ in 0..r.var() {
                let i = r.u32();
                list.push((i, r.f64()));
            }
        }
        self.monthly.clear();
        for _ in 0..r.var() {
            let key = r.var();
            let series = match key & 3 {
                0 => Series::Shortfall,
                1 => Series::StockDrawdown,
                2 => Series::PriceUp,
                _ => Series::PriceDown,
            };
            let month = r.u32();
            self.monthly.push(MonthlyPoint {
                series,
                index: (key >> 2) as u32,
                month,
                value: r.f64(),
            });
        }
        self.cap_flips.clear();
        for _ in 0..r.var() {
            let link = r.u32();
            self.cap_flips.push((link, r.u32()));
        }
        self.attribution.clear();
        for _ in 0..r.var() {
            let (cell, process) = (r.u32(), r.u32());
            self.attribution.push(AttributionEntry {
                cell,
                process,
                carried_t: r.f64(),
            });
        }
        self.watch_shares.clear();
        for _ in 0..r.var() {
            let (link, month) = (r.u32(), r.u32());
            self.watch_shares.push((link, month, r.f64()));
        }
        self.episodes.clear();
        for _ in 0..r.var() {
            self.episodes.push(unpack_episode(&mut r));
        }
    }
}

/// An episode (`Episode::parts`): its whole numbers as varints, its amounts as raw f64 bits
/// (exact).
fn pack_episode(w: &mut Writer, e: &Episode) {
    let (ints, amounts) = e.parts();
    ints.iter().for_each(|&v| w.var(u64::from(v)));
    amounts.iter().for_each(|&v| w.f64(v));
}

fn unpack_episode(r: &mut Reader) -> Episode {
    let ints = [r.u32(), r.u32(), r.u32()];
    let amounts = [r.f64(), r.f64(), r.f64(), r.f64(), r.f64(), r.f64()];
    Episode::from_parts(ints, amounts)
}

/// A cell record as a mask of its non-default fields, then those fields (counts and months as
/// varints, `Option`s as value + 1, amounts as raw f64 bits: exact, `-0.0` included).
fn pack_cell(w: &mut Writer, c: &CellRecord) {
    let CellRecord {
        total_short_t,
        total_demand_t,
        worst_year_short_t,
        worst_year_share,
        peak_month_share,
        months_short,
        longest_run_months,
        first_short_month,
        stock_depleted_month,
        import_gap_t,
        worst_year_import_gap_share,
    } = c;
    let floats = [
        total_short_t,
        total_demand_t,
        worst_year_short_t,
        worst_year_share,
        peak_month_share,
        import_gap_t,
        worst_year_import_gap_share,
    ];
    let ints = [
        u64::from(*months_short),
        u64::from(*longest_run_months),
        first_short_month.map_or(0, |m| u64::from(m) + 1),
        stock_depleted_month.map_or(0, |m| u64::from(m) + 1),
    ];
    let mut mask = 0u64;
    for (k, v) in floats.iter().enumerate() {
        mask |= u64::from(v.to_bits() != 0) << k;
    }
    for (k, &v) in ints.iter().enumerate() {
        mask |= u64::from(v != 0) << (floats.len() + k);
    }
    w.var(mask);
    for (k, v) in floats.iter().enumerate() {
        if mask >> k & 1 == 1 {
            w.f64(**v);
        }
    }
    for (k, &v) in ints.iter().enumerate() {
        if mask >> (floats.len() + k) & 1 == 1 {
            w.var(v);
        }
    }
}

fn unpack_cell(r: &mut Reader) -> CellRecord {
    let mask = r.var();
    let mut floats = [0.0f64; 7];
    for (k, v) in floats.iter_mut().enumerate() {
        if mask >> k & 1 == 1 {
            *v = r.f64();
        }
    }
    let mut ints = [0u64; 4];
    for (k, v) in ints.iter_mut().enumerate() {
        if mask >> (7 + k) & 1 == 1 {
            *v = r.var();
        }
    }
    let month = |v: u64| (v > 0).then(|| (v - 1) as u32);
    CellRecord {
        total_short_t: floats[0],
        total_demand_t: floats[1],
        worst_year_short_t: floats[2],
        worst_year_share: floats[3],
        peak_month_share: floats[4],
        months_short: ints[0] as u32,
        longest_run_months: ints[1] as u32,
        first_short_month: month(ints[2]),
        stock_depleted_month: month(ints[3]),
        import_gap_t: floats[5],
        worst_year_import_gap_share: floats[6],
    }
}

/// The base of an experiment: its model's signatures and its kept per-path records.
struct Base {
    /// Its material plans (which processes touch each material, in the base's numbers).
    materials: Vec<MaterialPlan>,
    seed: u64,
    signatures: Signatures,
    owners: Owners,
    /// Process names in the base's order (attribution entries carry indices).
    processes: Vec<String>,
    /// Per path: its record, packed (`Kept::pack`).
    kept: Vec<OnceLock<Box<[u8]>>>,
    levels: BreachLevels,
}

/// The kernel, keeping each path's record for later variants while the budget lasts.
struct Keeping<'a> {
    kernel: Kernel<'a>,
    owners: &'a Owners,
    kept: &'a [OnceLock<Box<[u8]>>],
    used: AtomicUsize,
    levels: &'a BreachLevels,
    /// The one subject the fold keeps (`Runner::folding_only`).
    subject: Option<&'a Subject>,
    /// Per material (plan order), whether to solve it; every material when `None`
    /// (`Runner::solved_by_base`). The timeline is drawn whole either way: the episodes kept
    /// with each path are the full draw's, which later variants compare their own with.
    materials: Option<&'a [bool]>,
}

impl PathSolver for Keeping<'_> {
    type Scratch = PathScratch;
    fn solve(&self, path: u64, scratch: &mut PathScratch, record: &mut PathRecord) {
        if !self.levels.is_empty() && record.watch_shares.is_none() {
            record.watch_shares = Some(Vec::new());
        }
        // The kernel's own solve (`Kernel::solve`), within the materials the base solves.
        let k = &self.kernel;
        let scope = Scope {
            materials: self.materials,
            draws: None,
            recording: k.recording,
        };
        simulate_path_in(k.model, k.plan, (k.seed, path), scratch, record, scope);
        let Some(slot) = self.kept.get(path as usize) else {
            return;
        };
        if self.used.load(Ordering::Relaxed) >= BUDGET_BYTES || !self.owners.in_order(record) {
            return;
        }
        let episodes = &drawn_timeline(scratch).episodes;
        let packed = Kept::of(record, episodes, self.levels).pack();
        self.used.fetch_add(
            packed.len() + std::mem::size_of::<OnceLock<Box<[u8]>>>(),
            Ordering::Relaxed,
        );
        let _ = slot.set(packed);
    }

    fn recording(&self) -> Recording {
        self.kernel.recording
    }

    fn only_subject(&self) -> Option<&Subject> {
        self.subject
    }
}

/// A variant's paths: its differing materials solved, the others from the base.
struct Reusing<'a> {
    model: &'a Model,
    plan: &'a Plan,
    seed: u64,
    base: &'a Base,
    owners: Owners,
    /// Per material: what the variant changes (`Change::Breaches` only where the base kept the
    /// shares), and whether it is solved again.
    change: Vec<Change>,
    solve: Vec<bool>,
    /// Per material: whether it is solved again on the paths where its episodes are not the
    /// base's (`Change::Episodes`).
    episodes: Vec<bool>,
    /// What solving `solve` and `episodes` reads of a path's draws: all a path draws, once per
    /// variant.
    draws: Needed,
    /// How many materials are `Change::Episodes`.
    episode_materials: u64,
    /// Where no material is solved whole: what tells a path that is the base's all through
    /// without drawing what its materials read (`SameDraws`).
    same_draws: Option<SameDraws>,
    /// Where the variant's processes draw exactly as the base's (`Signatures::draws` equal):
    /// `draws` without its processes. A path then draws only these parameters and takes its
    /// episodes from the base's kept ones, which are the variant's full draw to the bit.
    params_only: Option<Needed>,
    /// Per watched link: the variant's.
    watches: Vec<Option<&'a WatchPlan>>,
    /// Base process index → the variant's.
    rename: Vec<u32>,
    /// The base's, and so the variant's.
    recording: Recording,
    /// The one subject the fold keeps (`Runner::folding_only`).
    subject: Option<&'a Subject>,
    /// (path, `episodes` material) pairs met, and those solved again.
    episode_pairs: AtomicU64,
    episode_pairs_solved: AtomicU64,
    /// Paths found the base's by `same_draws`.
    paths_as_base: AtomicU64,
    /// Paths solved on the base's episodes (`params_only`).
    episodes_taken: AtomicU64,
}

/// A variant's processes that may draw otherwise than the base's (`Redrawn`), for a variant that
/// solves no material whole: a path on which none of them has an episode, in the base's kept
/// episodes or in the variant's draw of them alone, is the base's, every material of it.
struct SameDraws {
    redrawn: Redrawn,
    /// What drawing the variant's redrawn processes reads (`Needed::of_processes`); None when it
    /// has none (it only switches processes off), so the base's episodes alone decide.
    draws: Option<Needed>,
}

/// A worker's scratch for `Reusing`, reused across paths: the path loop allocates nothing.
#[derive(Default)]
struct ReuseScratch {
    kernel: PathScratch,
    /// The record of the re-solved materials.
    solved: Option<PathRecord>,
    /// The base's record, unpacked, then rebased (`Reusing::rebase`).
    kept: Kept,
    /// Where `Reusing::rebase` writes the rebased cap flips (it then swaps them in).
    flips: Vec<(u32, u32)>,
    /// Per material: whether this path solves it again.
    again: Vec<bool>,
}

impl PathSolver for Reusing<'_> {
    type Scratch = ReuseScratch;
    fn solve(&self, path: u64, scratch: &mut ReuseScratch, record: &mut PathRecord) {
        let ReuseScratch {
            kernel,
            solved,
            kept,
            flips,
            again,
        } = scratch;
        let packed = self.base.kept.get(path as usize).and_then(OnceLock::get);
        if let Some(packed) = packed {
            kept.unpack(packed);
            self.rebase(kept, flips);
            let solved = solved.get_or_insert_with(|| PathRecord::new(&self.plan.layout));
            if self.draws_as_base(path, kernel, kept) {
                unsolved(self.model, path, solved);
                again.clone_from(&self.solve);
                self.episode_pairs
                    .fetch_add(self.episode_materials, Ordering::Relaxed);
                self.paths_as_base.fetch_add(1, Ordering::Relaxed);
                self.put_together(kept, solved, again, record);
                return;
            }
            if let Some(params) = &self.params_only {
                draw_path_taking_episodes(
                    self.model,
                    self.plan,
                    (self.seed, path),
                    kernel,
                    params,
                    &kept.episodes,
                );
                self.episodes_taken.fetch_add(1, Ordering::Relaxed);
            } else {
                draw_path(
                    self.model,
                    self.plan,
                    (self.seed, path),
                    kernel,
                    Some(&self.draws),
                );
            }
            again.clone_from(&self.solve);
            if self.episode_materials > 0 {
                let (ours, theirs) = (&drawn_timeline(kernel).episodes, &kept.episodes);
                let (mut met, mut solved_again) = (0, 0);
                for (mi, again) in again.iter_mut().enumerate() {
                    if self.episodes[mi] {
                        let (mp, base_mp) = (&self.plan.materials[mi], &self.base.materials[mi]);
                        *again = !same_episodes((mp, ours), (base_mp, theirs), &self.rename);
                        met += 1;
                        solved_again += u64::from(*again);
                    }
                }
                self.episode_pairs.fetch_add(met, Ordering::Relaxed);
                self.episode_pairs_solved
                    .fetch_add(solved_again, Ordering::Relaxed);
            }
            let scope = Scope {
                materials: Some(again),
                draws: Some(&self.draws),
                recording: self.recording,
            };
            solve_drawn(self.model, self.plan, path, kernel, solved, scope);
            if self.owners.in_order(solved) {
                self.put_together(kept, solved, again, record);
                return;
            }
        }
        Kernel {
            model: self.model,
            plan: self.plan,
            seed: self.seed,
            recording: self.recording,
        }
        .solve(path, kernel, record);
    }

    fn recording(&self) -> Recording {
        self.recording
    }

    fn only_subject(&self) -> Option<&Subject> {
        self.subject
    }
}

impl Reusing<'_> {
    /// Whether every process draws path `path` as in the base (`SameDraws`): none the variant
    /// redraws has an episode in the base's kept episodes or, drawn alone into `kernel`, in the
    /// variant's.
    fn draws_as_base(&self, path: u64, kernel: &mut PathScratch, kept: &Kept) -> bool {
        let Some(same) = &self.same_draws else {
            return false;
        };
        let redrawn = &same.redrawn;
        if kept
            .episodes
            .iter()
            .any(|e| redrawn.base[e.process as usize])
        {
            return false;
        }
        let Some(draws) = &same.draws else {
            return true;
        };
        draw_path(
            self.model,
            self.plan,
            (self.seed, path),
            kernel,
            Some(draws),
        );
        let ours = &drawn_timeline(kernel).episodes;
        !ours.iter().any(|e| redrawn.ours[e.process as usize])
    }

    /// The variant's record: the items of the materials solved `again` from `solved`, the
    /// others' from `kept` (rebased), each list in material order as the kernel writes it.
    fn put_together(&self, kept: &Kept, solved: &PathRecord, again: &[bool], out: &mut PathRecord) {
        let base_owners = &self.base.owners;
        let PathRecord {
            cells,
            monthly,
            peak_price_excess,
            floor_cost_usd,
            cap_flips,
            attribution,
            param_set,
            watch_shares: _,
        } = out;
        *param_set = solved.param_set;
        for (i, c) in cells.iter_mut().enumerate() {
            *c = if again[self.owners.cell[i]] {
                solved.cells[i].clone()
            } else {
                CellRecord::default()
            };
        }
        for (i, c) in &kept.cells {
            if !again[base_owners.cell[*i as usize]] {
                cells[*i as usize] = c.clone();
            }
        }
        scalars(
            peak_price_excess,
            &solved.peak_price_excess,
            &kept.peak_price_excess,
            again,
            |m| m,
        );
        let floor = &self.owners.floor;
        scalars(
            floor_cost_usd,
            &solved.floor_cost_usd,
            &kept.floor_cost_usd,
            again,
            |f| floor[f],
        );
        interleave(
            monthly,
            (&kept.monthly, |p| base_owners.point(p)),
            (&solved.monthly, |p| self.owners.point(p)),
            again,
        );
        interleave(
            cap_flips,
            (&kept.cap_flips, |f| base_owners.watch[f.0 as usize]),
            (&solved.cap_flips, |f| self.owners.watch[f.0 as usize]),
            again,
        );
        interleave(
            attribution,
            (&kept.attribution, |e| base_owners.cell[e.cell as usize]),
            (&solved.attribution, |e| self.owners.cell[e.cell as usize]),
            again,
        );
    }
}

impl Reusing<'_> {
    /// The base's record in the variant's terms: the cap flips of a material whose watched
    /// links alone changed recomputed at the variant's levels from the shares the base kept (in
    /// the kernel's order, which the shares keep), the other materials' kept; the attribution
    /// entries' processes renamed into the variant's order. The flips are written into `spare`,
    /// then swapped in, so that both buffers keep their room.
    fn rebase(&self, kept: &mut Kept, spare: &mut Vec<(u32, u32)>) {
        let owner = &self.base.owners.watch;
        let (flips, shares) = (&kept.cap_flips, &kept.watch_shares);
        let out = spare;
        out.clear();
        let (mut i, mut j) = (0, 0);
        for (m, change) in self.change.iter().enumerate() {
            let start = (i, j);
            while i < flips.len() && owner[flips[i].0 as usize] == m {
                i += 1;
            }
            while j < shares.len() && owner[shares[j].0 as usize] == m {
                j += 1;
            }
            if *change != Change::Breaches {
                out.extend_from_slice(&flips[start.0..i]);
                continue;
            }
            for &(link, month, share) in &shares[start.1..j] {
                let Some(w) = self.watches[link as usize] else {
                    continue;
                };
                if breaches(share, w.level) != w.calm_breach[month as usize] {
                    out.push((link, month));
                }
            }
        }
        std::mem::swap(&mut kept.cap_flips, out);
        for e in &mut kept.attribution {
            e.process = self.rename[e.process as usize];
        }
    }
}

/// Per-item numbers (one per material or per floor): `solved`'s where the owner is re-solved,
/// else `kept`'s (0 where the base kept none).
fn scalars(
    out: &mut [f64],
    solved: &[f64],
    kept: &[(u32, f64)],
    again: &[bool],
    owner: impl Fn(usize) -> usize,
) {
    for (i, v) in out.iter_mut().enumerate() {
        *v = if again[owner(i)] { solved[i] } else { 0.0 };
    }
    for &(i, v) in kept {
        if !again[owner(i as usize)] {
            out[i as usize] = v;
        }
    }
}

/// A material-ordered list from two: material m's run from `solved` where `again[m]`, else from
/// `kept`. Both inputs are in material order (`Owners::in_order`).
fn interleave<T: Clone>(
    out: &mut Vec<T>,
    (kept, kept_owner): (&[T], impl Fn(&T) -> usize),
    (solved, solved_owner): (&[T], impl Fn(&T) -> usize),
    again: &[bool],
) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    for (m, &from_solved) in again.iter().enumerate() {
        let start = (i, j);
        while i < kept.len() && kept_owner(&kept[i]) == m {
            i += 1;
        }
        while j < solved.len() && solved_owner(&solved[j]) == m {
            j += 1;
        }
        if from_solved {
            out.extend_from_slice(&solved[start.1..j]);
        } else {
            out.extend_from_slice(&kept[start.0..i]);
        }
    }
}

/// Runs the variants of one experiment on common random numbers: the first run is the base and
/// is kept; each later one re-solves only the materials where it differs from the base (all of
/// them when its frame differs or the seed does). Results are `run_variant`'s, to the bit
/// (`Runner::headline_only`: its headline figures).
#[derive(Default)]
pub struct Runner {
    base: Option<Base>,
    /// What every run records, the base's included.
    recording: Recording,
    /// The one subject whose figures the runs fold (`Runner::folding_only`).
    subject: Option<Subject>,
    /// Solve every variant whole and keep nothing (`Runner::solving_all`).
    solve_all: bool,
    /// The cap levels to come, whose breaches the base keeps what to recompute from
    /// (`Runner::recomputing_breaches`).
    levels: BreachLevels,
    /// What the last variant `run` found.
    last: Counts,
}

/// Stops `Runner::run_many`'s other workers if its thread panics, so that they start no more
/// variants (the panic reaches the caller when they are done).
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// What a worker of `Runner::run_many` reports: paths done, or a variant's run.
enum Done {
    Paths(u64),
    /// Boxed: a run's summary is a few hundred bytes inline, a message of paths eight.
    Run(usize, Box<Result<VariantRun>>),
}

/// What a variant run found on its paths.
#[derive(Default, Clone, Copy)]
struct Counts {
    /// How many (path, material) pairs were `Change::Episodes`, and how many of them were
    /// solved again (their episodes were not the base's).
    episode_pairs: (u64, u64),
    /// How many paths it found the base's without drawing what its materials read
    /// (`SameDraws`).
    paths_as_base: u64,
    /// How many paths it solved on the base's episodes, drawing only parameters
    /// (`Reusing::params_only`).
    episodes_taken: u64,
}

impl Runner {
    /// A runner that keeps no records and solves every variant whole: for experiments whose
    /// variants change every material (a cap added to an uncapped base, a cap that binds later),
    /// where the kept records would cost memory (some 4–5 KB a path, packed) and save nothing.
    pub fn solving_all() -> Runner {
        Runner {
            solve_all: true,
            ..Runner::default()
        }
    }

    /// A runner for variants that differ in the cap level (a cap sweep), `variants` being the
    /// models it will be given (the first it runs is the base). A material the cap leaves alone
    /// at the base's level and at a variant's (no third country above either) differs only in
    /// the level its watched links are compared with: the base keeps the watched shares that
    /// would breach otherwise than calm at some variant's level, and the variant recomputes that
    /// material's breaches from them instead of solving it again.
    pub fn recomputing_breaches(variants: &[Model]) -> Runner {
        Runner {
            levels: BreachLevels::of(variants),
            ..Runner::default()
        }
    }

    /// This runner with its runs recording only what headline metrics and cap breaches read
    /// (`Recording::Headline`): no monthly fans and no tail attribution in their summaries, for
    /// experiments that report neither (`sweep`, `sensitivity`). Set before the first run, so
    /// that the base keeps the records its variants are made of.
    pub fn headline_only(self) -> Runner {
        Runner {
            recording: Recording::Headline,
            ..self
        }
    }

    /// This runner, headline-only (`headline_only`), with its runs folding only `subject`'s
    /// figures (`RunAccumulator::of_subject`): their summaries and sections hold that subject
    /// alone, to the bit as a headline run's, for an experiment that reads one subject
    /// (`sensitivity`); with a material, its base and variants solve that material alone
    /// (`solved_by_base`, `folded_materials_only`). A variant solved whole
    /// (`run_variant_recording`) still folds every figure, which reads the same for the subject.
    pub fn folding_only(self, subject: Subject) -> Runner {
        Runner {
            subject: Some(subject),
            ..self.headline_only()
        }
    }

    /// Run `model` on `cfg` (paths rounded up to whole sections, as `run_variant` does).
    pub fn run(
        &mut self,
        model: &Model,
        cfg: &RunConfig,
        cancel: &AtomicBool,
        progress: impl FnMut(u64, u64),
    ) -> Result<VariantRun> {
        self.last = Counts::default();
        if self.base.is_none() && !self.solve_all {
            let plan = build(model);
            let solved = self.solved_by_base(&plan);
            let (run, base) = run_keeping(
                model,
                &plan,
                cfg,
                (std::mem::take(&mut self.levels), self.recording),
                (self.subject.as_ref(), solved.as_deref()),
                cancel,
                progress,
            )?;
            self.base = Some(base);
            return Ok(run);
        }
        let (run, counts) = self.run_variant(model, cfg, cancel, progress)?;
        self.last = counts;
        Ok(run)
    }

    /// Run each of `models` as `run` would, in turn, but `cfg.threads` variants at a time,
    /// each on one thread: a variant's results do not depend on its thread count, so they are
    /// those of `run`, to the bit. On several threads every variant's last chunks run while
    /// another variant's run beside them, instead of one worker waiting for the other at the
    /// end of each variant (`sensitivity` runs dozens of short variants). A batch of fewer than
    /// two variants a thread (after the base) runs one variant at a time on every thread, as
    /// `run` does: side by side, its last variant would leave the other threads idle for
    /// longer than the tails cost. Each run is handed to `on_run(i, run)` on the calling thread
    /// as it is done, `i` its index in `models` (in no particular order), so the caller keeps
    /// what it reads of it rather than every summary. `progress(done, total)` counts paths over
    /// all of them. False when cancelled. The counts of `episode_pairs` and the like are not
    /// kept.
    pub fn run_many(
        &mut self,
        models: &[&Model],
        cfg: &RunConfig,
        cancel: &AtomicBool,
        mut progress: impl FnMut(u64, u64),
        mut on_run: impl FnMut(usize, VariantRun),
    ) -> Result<bool> {
        self.last = Counts::default();
        let per_variant = sectioned_paths(cfg.paths);
        let total = per_variant * models.len() as u64;
        let mut first = 0;
        // The first run of all is the base, kept: it runs alone, on every thread.
        if let (None, false, Some(model)) = (&self.base, self.solve_all, models.first()) {
            let run = self.run(model, cfg, cancel, |d, _| progress(d, total))?;
            if run.cancelled {
                return Ok(false);
            }
            on_run(0, run);
            first = 1;
        }
        let rest = &models[first..];
        let threads = cfg.threads.max(1);
        if rest.len() < 2 * threads {
            let mut paths = per_variant * first as u64;
            for (i, model) in rest.iter().enumerate() {
                let (run, _) = self.run_variant(model, cfg, cancel, |d, _| {
                    progress(paths + d, total);
                })?;
                if run.cancelled {
                    return Ok(false);
                }
                on_run(first + i, run);
                paths += per_variant;
            }
            return Ok(true);
        }
        let one_thread = RunConfig {
            threads: 1,
            ..cfg.clone()
        };
        let next = AtomicUsize::new(0);
        // Set on an error, a cancelled run or a panic: no variant is started after it.
        let stop = AtomicBool::new(false);
        let (send, receive) = std::sync::mpsc::channel::<Done>();
        let this = &*self;
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let (send, next, stop, cfg) = (send.clone(), &next, &stop, &one_thread);
                scope.spawn(move || {
                    let _stop = StopOnPanic(stop);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let stopped =
                            stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed);
                        if i >= rest.len() || stopped {
                            return;
                        }
                        let mut reported = 0;
                        let run = this.run_variant(rest[i], cfg, cancel, |d, _| {
                            let _ = send.send(Done::Paths(d - reported));
                            reported = d;
                        });
                        let run = run.map(|(run, _)| run);
                        if run.as_ref().map_or(true, |r| r.cancelled) {
                            stop.store(true, Ordering::Relaxed);
                        }
                        if send.send(Done::Run(first + i, Box::new(run))).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(send);
            // On the calling thread, as the workers report: progress and each finished run.
            let mut paths = per_variant * first as u64;
            let (mut handed, mut error) = (0, None);
            for done in &receive {
                match done {
                    Done::Paths(d) => {
                        paths += d;
                        progress(paths, total);
                    }
                    Done::Run(i, run) => match *run {
                        Err(e) => error = error.or(Some(e)),
                        Ok(run) if run.cancelled => {}
                        Ok(run) => {
                            on_run(i, run);
                            handed += 1;
                        }
                    },
                }
            }
            match error {
                Some(e) => Err(e),
                None => Ok(handed == rest.len()),
            }
        })
    }

    /// A run of `model` after the base, or whole when the runner solves every variant whole,
    /// with what it found: `run` without the base and on a shared runner, so that `run_many`
    /// can run several at once.
    fn run_variant(
        &self,
        model: &Model,
        cfg: &RunConfig,
        cancel: &AtomicBool,
        progress: impl FnMut(u64, u64),
    ) -> Result<(VariantRun, Counts)> {
        let whole = |progress| {
            let run = run_variant_recording(model, cfg, self.recording, cancel, progress)?;
            Ok((run, Counts::default()))
        };
        let Some(base) = self.base.as_ref().filter(|_| !self.solve_all) else {
            return whole(progress);
        };
        let plan = build(model);
        let ours = Signatures::of(model, &plan);
        // A variant whose processes draw as the base's takes the base's episodes even where it
        // solves every material again (a parameter class, a cap that binds everywhere): drawing
        // the timeline is a good part of a path's cost.
        let same_episodes_drawn = base.signatures.draws == ours.draws;
        let change = (base.seed == cfg.seed)
            .then(|| base.signatures.differing(&ours))
            .flatten()
            .map(|change| covered(change, &plan, &base.levels))
            .map(|change| self.folded_materials_only(change, &plan))
            .filter(|change| same_episodes_drawn || change.iter().any(|&c| c != Change::Solve));
        let Some(change) = change else {
            return whole(progress);
        };
        let mut watches = vec![None; plan.layout.cap_watch.len()];
        for w in plan.materials.iter().flat_map(|mp| &mp.watches) {
            watches[w.index as usize] = Some(w);
        }
        let rename = base
            .processes
            .iter()
            .map(|name| {
                model
                    .disruptions
                    .iter()
                    .position(|d| &d.name == name)
                    .map_or(u32::MAX, |p| p as u32)
            })
            .collect();
        let solve: Vec<bool> = change.iter().map(|&c| c == Change::Solve).collect();
        let episodes: Vec<bool> = change.iter().map(|&c| c == Change::Episodes).collect();
        let solved_somewhere: Vec<bool> = solve.iter().zip(&episodes).map(|(s, e)| s | e).collect();
        let same_draws = (episodes.contains(&true) && !solve.contains(&true))
            .then(|| Redrawn::of(&base.signatures.draws, &ours.draws))
            .flatten()
            .map(|redrawn| SameDraws {
                draws: (redrawn.ours.contains(&true))
                    .then(|| Needed::of_processes(model, &plan, &redrawn.ours)),
                redrawn,
            });
        let draws = Needed::of(model, &plan, &solved_somewhere);
        let params_only = same_episodes_drawn.then(|| draws.without_processes());
        let solver = Reusing {
            model,
            plan: &plan,
            seed: cfg.seed,
            base,
            owners: Owners::of(model, &plan),
            draws,
            params_only,
            episode_materials: episodes.iter().filter(|&&e| e).count() as u64,
            same_draws,
            episodes,
            solve,
            change,
            watches,
            rename,
            recording: self.recording,
            subject: self.subject.as_ref(),
            episode_pairs: AtomicU64::new(0),
            episode_pairs_solved: AtomicU64::new(0),
            paths_as_base: AtomicU64::new(0),
            episodes_taken: AtomicU64::new(0),
        };
        let run = run_sections(model, &plan.layout, &solver, cfg, cancel, progress)?;
        let counts = Counts {
            episode_pairs: (
                solver.episode_pairs.load(Ordering::Relaxed),
                solver.episode_pairs_solved.load(Ordering::Relaxed),
            ),
            paths_as_base: solver.paths_as_base.load(Ordering::Relaxed),
            episodes_taken: solver.episodes_taken.load(Ordering::Relaxed),
        };
        Ok((run, counts))
    }

    /// `change` with every material but the folded cell's left as the base's (`Change::None`)
    /// when the runs fold one cell (`folding_only` naming a material). Materials are solved
    /// independently given a path's episodes (docs/model.md, "The month solve"), so no other
    /// material moves anything folded, and the variant does not even draw what they read. A
    /// bloc as a whole reads every material it uses: then nothing changes.
    fn folded_materials_only(&self, mut change: Vec<Change>, plan: &Plan) -> Vec<Change> {
        if let Some(folded) = self.folded_material(plan) {
            for (m, c) in change.iter_mut().enumerate() {
                if m != folded {
                    *c = Change::None;
                }
            }
        }
        change
    }

    /// The materials the base solves (plan order): the folded cell's alone when the runs fold
    /// one cell (`folding_only`), every material otherwise (`None`). The variants then take
    /// every other material from the base (`folded_materials_only`), which kept nothing of it,
    /// and fold nothing of it either.
    fn solved_by_base(&self, plan: &Plan) -> Option<Vec<bool>> {
        self.folded_material(plan)
            .map(|folded| (0..plan.materials.len()).map(|m| m == folded).collect())
    }

    /// The material of the one cell the runs fold, if they fold one cell. Only a headline run
    /// folds one subject (`sim::runner::accumulator_of`); a full one folds every figure, which
    /// must then be the run's own.
    fn folded_material(&self, plan: &Plan) -> Option<usize> {
        let subject = self
            .subject
            .as_ref()
            .filter(|_| self.recording == Recording::Headline)?;
        match OnlySubject::of(&plan.layout, subject)? {
            OnlySubject::Cell(ci) => Some(plan.layout.cells[ci].1),
            OnlySubject::Bloc(_) => None,
        }
    }

    /// Of the last variant run, how many (path, material) pairs of materials whose processes'
    /// episodes alone it changes there were, and how many of them it solved again because
    /// their episodes on the path were not the base's; the others it took from the base.
    pub fn episode_pairs(&self) -> (u64, u64) {
        self.last.episode_pairs
    }

    /// Of the last variant run, how many paths it took whole from the base because no process
    /// it draws otherwise had an episode on them, in the base's draw or its own (`Redrawn`).
    /// Their `Change::Episodes` pairs count in `episode_pairs` as met and not solved again.
    pub fn paths_as_base(&self) -> u64 {
        self.last.paths_as_base
    }

    /// Of the last variant run, how many paths it solved on the base's episodes, drawing only
    /// the parameters its materials read, because its processes draw as the base's.
    pub fn episodes_taken(&self) -> u64 {
        self.last.episodes_taken
    }
}

/// `change` with a material whose watched links' levels the base kept no shares for
/// (`BreachLevels::covers`) solved again.
fn covered(mut change: Vec<Change>, plan: &Plan, levels: &BreachLevels) -> Vec<Change> {
    for (c, mp) in change.iter_mut().zip(&plan.materials) {
        if *c == Change::Breaches && !mp.watches.iter().all(|w| levels.covers(w)) {
            *c = Change::Solve;
        }
    }
    change
}

/// The base run: the kernel recording `recording`, keeping each path's record (with the
/// watched shares that flip at one of `levels`), its fold keeping `subject`'s figures alone
/// when one is given.
fn run_keeping(
    model: &Model,
    plan: &Plan,
    cfg: &RunConfig,
    (levels, recording): (BreachLevels, Recording),
    (subject, materials): (Option<&Subject>, Option<&[bool]>),
    cancel: &AtomicBool,
    progress: impl FnMut(u64, u64),
) -> Result<(VariantRun, Base)> {
    let paths = sectioned_paths(cfg.paths);
    let owners = Owners::of(model, plan);
    let kept: Vec<OnceLock<Box<[u8]>>> = (0..paths).map(|_| OnceLock::new()).collect();
    let solver = Keeping {
        kernel: Kernel {
            model,
            plan,
            seed: cfg.seed,
            recording,
        },
        owners: &owners,
        kept: &kept,
        used: AtomicUsize::new(0),
        levels: &levels,
        subject,
        materials,
    };
    let run = run_sections(model, &plan.layout, &solver, cfg, cancel, progress)?;
    let base = Base {
        materials: plan.materials.clone(),
        seed: cfg.seed,
        signatures: Signatures::of(model, plan),
        owners,
        processes: model.disruptions.iter().map(|d| d.name.clone()).collect(),
        kept,
        levels,
    };
    Ok((run, base))
}

/// The subset draw of `sim::timeline::Needed` against the full draw (here, not in `sim`,
/// because it loads scenarios, a layer above `sim`).
#[cfg(test)]
mod draw_tests {
    use crate::model::Model;
    use crate::sim::plan::{build, Plan};
    use crate::sim::rng::splitmix64;
    use crate::sim::timeline::{
        draw_params, draw_timeline, Episode, Needed, PathParams, Timeline, TimelineScratch,
    };

    /// One path drawn: its parameters and timeline, everything or what `needed` marks.
    fn draw(
        model: &Model,
        plan: &Plan,
        path: u64,
        needed: Option<&Needed>,
    ) -> (PathParams, Timeline) {
        let (mut scratch, mut params, mut timeline) = (
            TimelineScratch::default(),
            PathParams::default(),
            Timeline::default(),
        );
        draw_params(
            model,
            &plan.keys,
            (7, path),
            needed,
            &mut scratch,
            &mut params,
        );
        draw_timeline(
            model,
            &plan.keys,
            (7, path),
            &params,
            &mut scratch,
            &mut timeline,
        );
        (params, timeline)
    }

    /// Per value: drawn in both and equal to the bit, or not drawn in the subset.
    fn same_where_drawn(full: &[f64], subset: &[f64], drawn: impl Fn(usize) -> bool, what: &str) {
        assert_eq!(full.len(), subset.len(), "{what}");
        for (i, (x, y)) in full.iter().zip(subset).enumerate() {
            if drawn(i) {
                assert_eq!(x.to_bits(), y.to_bits(), "{what} {i}");
            } else {
                assert!(y.is_nan(), "{what} {i} drawn though not needed");
            }
        }
    }

    /// For each material alone and a few pseudo-random sets of materials: the needed processes
    /// are closed under triggers, and on every path the subset draw's episodes are the full
    /// draw's of the needed processes, in order, field by field, its regimes the same and its
    /// needed parameters the same to the bit. Returns how many sets needed a process that
    /// touches no solved material (a trigger ancestor) and how many left some process out.
    fn subset_draws_are_the_full_draws(model: &Model, paths: u64) -> (usize, usize) {
        let plan = build(model);
        let nm = plan.materials.len();
        let mut sets: Vec<Vec<bool>> = (0..nm)
            .map(|mi| (0..nm).map(|m| m == mi).collect())
            .collect();
        for k in 0..6u64 {
            let bits = splitmix64(k);
            sets.push((0..nm).map(|m| bits >> (m % 64) & 3 == 0).collect());
        }
        let (mut ancestors, mut partial) = (0, 0);
        for solved in &sets {
            let needed = Needed::of(model, &plan, solved);
            let direct: Vec<bool> = (0..model.disruptions.len())
                .map(|p| plan.process_materials[p].iter().any(|&mi| solved[mi]))
                .collect();
            for (q, d) in model.disruptions.iter().enumerate() {
                assert!(!direct[q] || needed.processes[q]);
                for t in &d.triggers {
                    assert!(
                        !needed.processes[t.target] || needed.processes[q],
                        "{}",
                        d.name
                    );
                }
            }
            ancestors += usize::from((0..direct.len()).any(|p| needed.processes[p] && !direct[p]));
            partial += usize::from(needed.processes.contains(&false));
            for path in 0..paths {
                let (fp, ft) = draw(model, &plan, path, None);
                let (sp, st) = draw(model, &plan, path, Some(&needed));
                assert_eq!(ft.regime, st.regime);
                let expected: Vec<Episode> = ft
                    .episodes
                    .iter()
                    .filter(|e| needed.processes[e.process as usize])
                    .copied()
                    .collect();
                assert_eq!(st.episodes, expected, "path {path}");
                let process = |p: usize| needed.processes[p];
                same_where_drawn(&fp.monthly_rate, &sp.monthly_rate, process, "rate");
                let cell = |c: usize| needed.cells[c];
                same_where_drawn(&fp.growth, &sp.growth, cell, "growth");
                same_where_drawn(&fp.cover, &sp.cover, cell, "cover");
                same_where_drawn(&fp.max_cover, &sp.max_cover, cell, "room");
                let capacity = |i: usize| needed.capacity[i];
                same_where_drawn(&fp.capacity_online, &sp.capacity_online, capacity, "online");
            }
        }
        (ancestors, partial)
    }

    #[test]
    fn a_subset_draw_is_the_full_draw_of_the_needed_processes_on_eu_2030() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let (ancestors, partial) = subset_draws_are_the_full_draws(&model, 400);
        assert!(ancestors > 0 && partial > 0, "{ancestors} {partial}");
    }

    /// A chain of triggers (a → b → c) with frequent onsets, so that boosts are often active;
    /// a scripted event that triggers; announced and licence episodes (episode streams).
    const CHAIN: &str = r#"Scenario(
        version: 1,
        horizon: (start: "2026-01", months: 48),
        materials: {
            "x": (stages: { "processing": () }),
            "y": (stages: { "processing": () }),
            "z": (stages: { "processing": () }),
            "w": (stages: { "processing": () }),
        },
        countries: {
            "A": (capacity: {
                "x": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
                "y": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
                "z": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
                "w": { "processing": (tonnes_per_year: 1000, utilisation: 0.8) },
            }),
        },
        blocs: {
            "EU": (demand: {
                "x": (tonnes_per_year: 900, growth_per_year: Uniform(min: 0, max: 0.05)),
                "y": (tonnes_per_year: 900, growth_per_year: Uniform(min: 0, max: 0.05)),
                "z": (tonnes_per_year: 900),
                "w": (tonnes_per_year: 900),
            }),
        },
        tension: (
            regimes: { "calm": 1.0, "crisis": 4.0 },
            initial: "calm",
            monthly_transitions: { "calm": { "crisis": 0.1 }, "crisis": { "calm": 0.2 } },
        ),
        disruptions: [
            (name: "a", kind: ExportBan, countries: ["A"], materials: ["x"], annual_probability: 0.6,
             duration_months: Uniform(min: 1, max: 4), severity: 0.8,
             announced_months: Uniform(min: 0, max: 3),
             triggers: [(disruption: "b", hazard_multiplier: 5, months: 12)]),
            (name: "b", kind: ExportBan, countries: ["A"], materials: ["y"], rate_per_year: Uniform(min: 0.1, max: 0.5),
             duration_months: 2, severity: Uniform(min: 0.3, max: 1.0),
             triggers: [(disruption: "c", hazard_multiplier: 8, months: 6)]),
            (name: "c", kind: ExportLicence, countries: ["A"], materials: ["z"], annual_probability: 0.2,
             duration_months: 3, severity: 0.5,
             licence_recovery: (half_life_months: Uniform(min: 1, max: 6), residual_share: Uniform(min: 0, max: 0.5))),
            (name: "s", kind: Accident, countries: ["A"], materials: ["w"], scheduled_start: "2027-01",
             duration_months: 2, severity: 0.5,
             triggers: [(disruption: "c", hazard_multiplier: 3, months: 12)]),
            (name: "d", kind: Accident, countries: ["A"], materials: ["w"], annual_probability: 0.5,
             duration_months: Uniform(min: 1, max: 3), severity: 0.4, tension_sensitivity: 0),
        ],
    )"#;

    #[test]
    fn a_subset_draw_is_the_full_draw_of_the_needed_processes_along_a_trigger_chain() {
        let loaded = crate::scenario::load::load_str("chain.ron", CHAIN).unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let (ancestors, partial) = subset_draws_are_the_full_draws(&model, 2000);
        assert!(ancestors > 0 && partial > 0, "{ancestors} {partial}");
    }
}

/// Variants that solve every material again but draw their episodes as the base's.
#[cfg(test)]
mod episodes_taken_tests {
    use std::sync::atomic::AtomicBool;

    use super::Runner;
    use crate::experiment::run_variant;
    use crate::experiment::sensitivity::classes::{runnable_variants, Class, CLASSES};
    use crate::experiment::sensitivity::Variant;
    use crate::sim::runner::RunConfig;

    /// Runs folding one cell solve its material alone: every other material of a variant is
    /// left as the base's, whatever the variant changes in it, and the base solves that
    /// material alone; a bloc as a whole, or a full run, keeps every change and solves every
    /// material.
    #[test]
    fn a_run_folding_one_cell_solves_its_material_alone() {
        use super::{Change, Recording};
        use crate::stats::metric::Subject;
        let model = crate::model::compile(&crate::scenario::load::load("builtin:eu-2030").unwrap())
            .unwrap();
        let plan = crate::sim::plan::build(&model);
        let gallium = plan
            .layout
            .materials
            .iter()
            .position(|m| m == "gallium")
            .unwrap();
        let every = vec![Change::Solve; plan.layout.materials.len()];
        let subject = |material: Option<&str>| Subject {
            bloc: "EU".into(),
            material: material.map(Into::into),
        };
        let cell = Runner::default().folding_only(subject(Some("gallium")));
        let changed = cell.folded_materials_only(every.clone(), &plan);
        for (m, c) in changed.iter().enumerate() {
            let expected = if m == gallium {
                Change::Solve
            } else {
                Change::None
            };
            assert_eq!(*c, expected, "{}", plan.layout.materials[m]);
        }
        // The base solves gallium alone too.
        let only_gallium: Vec<bool> = (0..every.len()).map(|m| m == gallium).collect();
        assert_eq!(cell.solved_by_base(&plan), Some(only_gallium));
        let bloc = Runner::default().folding_only(subject(None));
        assert_eq!(bloc.folded_materials_only(every.clone(), &plan), every);
        assert_eq!(bloc.solved_by_base(&plan), None);
        let full = Runner {
            recording: Recording::Full,
            ..Runner::default().folding_only(subject(Some("gallium")))
        };
        assert_eq!(full.folded_materials_only(every.clone(), &plan), every);
        assert_eq!(full.solved_by_base(&plan), None);
    }

    /// A parameter class (capacity utilisation, ramp-up, stock cover, elasticity) moves what
    /// every material's solve reads and no process's draw: every path is solved on the base's
    /// kept episodes, drawing only parameters, and the result is the variant's own full run to
    /// the bit, summary and sections. Tension moves the draws: it takes no episodes.
    #[test]
    fn a_parameter_class_is_solved_on_the_bases_episodes_to_the_bit() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let cfg = RunConfig {
            seed: 17,
            paths: 2048,
            threads: 2,
            target_se: None,
            max_paths: 2048,
        };
        let cancel = AtomicBool::new(false);
        let mut runner = Runner::default();
        let base = runner.run(&model, &cfg, &cancel, |_, _| {}).unwrap();
        assert_eq!(runner.episodes_taken(), 0, "the base draws its own");
        // The low end of each class (the high ends take the same route).
        let variants: Vec<_> = runnable_variants(&loaded)
            .into_iter()
            .filter(|(_, v, _)| *v == Variant::Low)
            .collect();
        assert_eq!(
            variants.len(),
            CLASSES.len(),
            "a low variant of every class"
        );
        for (k, v, variant) in &variants {
            let reused = runner.run(variant, &cfg, &cancel, |_, _| {}).unwrap();
            let full = run_variant(variant, &cfg, &cancel, |_, _| {}).unwrap();
            let what = format!("{} {v:?}", CLASSES[*k].name());
            let taken = runner.episodes_taken();
            if CLASSES[*k] == Class::Tension {
                assert_eq!(taken, 0, "{what}");
            } else {
                assert_eq!(taken, reused.summary.paths, "{what}");
            }
            let json = |s| serde_json::to_string(s).unwrap();
            assert!(json(&reused.summary) == json(&full.summary), "{what}");
            assert_eq!(reused.sections, full.sections, "{what}");
            assert!(
                json(&reused.summary) != json(&base.summary),
                "{what} moves nothing"
            );
        }
    }

    /// Several variants at a time, each on one thread (`Runner::run_many`), give each
    /// variant's results as `run` gives them one after the other, summary and sections to the
    /// bit, each under its own index: the base, the low end of every class (solved whole on
    /// the base's episodes, tension redrawn) and both ends of one. So does a batch too small
    /// to run side by side, one variant at a time.
    #[test]
    fn variants_run_side_by_side_are_the_variants_run_in_turn() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let cfg = RunConfig {
            seed: 23,
            paths: 2048,
            threads: 2,
            target_se: None,
            max_paths: 2048,
        };
        let cancel = AtomicBool::new(false);
        let variants: Vec<_> = runnable_variants(&loaded)
            .into_iter()
            .filter(|(k, v, _)| *v == Variant::Low || *k == 1)
            .map(|(_, _, m)| m)
            .collect();
        let models: Vec<&crate::model::Model> = std::iter::once(&model).chain(&variants).collect();
        let mut in_turn = Runner::default().headline_only();
        let one_by_one: Vec<_> = models
            .iter()
            .map(|m| in_turn.run(m, &cfg, &cancel, |_, _| {}).unwrap())
            .collect();
        let mut side_by_side = Runner::default().headline_only();
        let mut runs: Vec<Option<crate::experiment::VariantRun>> = vec![None; models.len()];
        let mut last_progress = (0, 0);
        let complete = side_by_side
            .run_many(
                &models,
                &cfg,
                &cancel,
                |d, t| last_progress = (d, t),
                |i, run| {
                    assert!(runs[i].is_none(), "variant {i} handed over twice");
                    runs[i] = Some(run);
                },
            )
            .unwrap();
        assert!(complete);
        assert_eq!(
            last_progress,
            (2048 * 8 * 7, 2048 * 8 * 7),
            "every path counted"
        );
        let json = |s| serde_json::to_string(s).unwrap();
        for (i, (alone, beside)) in one_by_one.iter().zip(&runs).enumerate() {
            let beside = beside.as_ref().expect("every variant handed over");
            assert!(json(&alone.summary) == json(&beside.summary), "variant {i}");
            assert_eq!(alone.sections, beside.sections, "variant {i}");
        }
        assert!(
            json(&runs[1].as_ref().unwrap().summary) != json(&runs[2].as_ref().unwrap().summary)
        );
        // On 4 threads the 6 variants after the base are fewer than two a thread: one at a
        // time on every thread, the same runs again.
        let many_threads = RunConfig { threads: 4, ..cfg };
        let mut one_at_a_time = Runner::default().headline_only();
        let mut handed = vec![false; models.len()];
        let complete = one_at_a_time
            .run_many(
                &models,
                &many_threads,
                &cancel,
                |_, _| {},
                |i, run| {
                    assert!(
                        serde_json::to_string(&run.summary).unwrap()
                            == json(&one_by_one[i].summary),
                        "variant {i}"
                    );
                    assert_eq!(run.sections, one_by_one[i].sections, "variant {i}");
                    handed[i] = true;
                },
            )
            .unwrap();
        assert!(complete && handed.iter().all(|&h| h));
    }
}
