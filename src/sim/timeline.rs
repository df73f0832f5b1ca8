//! The events of one path: the tension regime month by month, and every disruption episode.
//!
//! Onsets are drawn by accumulating hazard against exponential waiting "times" (the
//! time-change theorem: a point process with intensity λ(t) fires when its integrated intensity
//! crosses an Exp(1) threshold), so a month costs one addition per process and no random draw;
//! only onsets draw. Monthly hazard of process p in month t is
//! h = λ_p/12 · m(regime_t)^(sensitivity_p) · Π active trigger multipliers. A process starts at
//! most one episode per month: the threshold is redrawn from the end of an onset month, which
//! by memorylessness makes "onset in month t" a Bernoulli(1 − e^(−h_t)) event independent of the
//! past. So a calm year has no onset with probability e^(−λ_p) = 1 − annual_probability, exactly,
//! for a process not already active: while its own episode runs, a process is paused (a ban does
//! not start again while it is in force). Scripted events (`scheduled_start`) start once, on
//! every path, in their month.
//! Events do not depend on supply, so the whole timeline is drawn before any material is solved.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::model::{Model, NewCapacityStart, TradeDynamics};

use super::plan::Plan;
use super::rng::{path_rng, splitmix64, PathRng};

/// One disruption episode: process `process` active on `[start, end)` in months from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    pub process: u32,
    pub start: u32,
    pub end: f64,
    pub severity: f64,
    /// Whole months between announcement and effect (0: unannounced), stream `episode:<name>`.
    pub lead: u32,
    /// Licence recovery half-life in months (infinite: no recovery) and residual share.
    pub half_life: f64,
    pub residual: f64,
    /// Months after the start before the first licences are granted (0: at once).
    pub processing: f64,
    /// Share of the blocked flow that still arrives through third countries.
    pub leakage: f64,
}

impl Episode {
    /// The episode as its whole numbers (process, start, lead) and its amounts (end, severity,
    /// half-life, residual share, processing time, leakage): every field, once, for comparing
    /// and packing episodes without listing the fields again.
    pub fn parts(&self) -> ([u32; 3], [f64; 6]) {
        // Destructured so that a field added to the episode cannot be forgotten here.
        let Episode {
            process,
            start,
            end,
            severity,
            lead,
            half_life,
            residual,
            processing,
            leakage,
        } = *self;
        (
            [process, start, lead],
            [end, severity, half_life, residual, processing, leakage],
        )
    }

    /// The episode of `parts`.
    pub fn from_parts(
        [process, start, lead]: [u32; 3],
        [end, severity, half_life, residual, processing, leakage]: [f64; 6],
    ) -> Episode {
        Episode {
            process,
            start,
            end,
            severity,
            lead,
            half_life,
            residual,
            processing,
            leakage,
        }
    }

    /// Whether `other` is this episode to the bit, but maybe for its process's number (two
    /// models can number the same process differently).
    pub fn same_but_process(&self, other: &Episode) -> bool {
        let ((ours, our_amounts), (theirs, their_amounts)) = (self.parts(), other.parts());
        ours[1..] == theirs[1..]
            && our_amounts
                .iter()
                .zip(&their_amounts)
                .all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// Share of month `t` covered by the episode (0..=1).
    #[inline]
    pub fn exposure(&self, t: u32) -> f64 {
        let lo = (t as f64).max(self.start as f64);
        let hi = (t as f64 + 1.0).min(self.end);
        (hi - lo).clamp(0.0, 1.0)
    }

    /// Severity of a licence episode in month t ≥ start before exposure: the full cut holds
    /// for the processing time, then decays toward the residual share with the drawn
    /// half-life (docs/model.md, "Licence recovery").
    #[inline]
    pub fn licence_factor(&self, t: u32) -> f64 {
        let n = (t - self.start) as f64 - self.processing;
        if n < 0.0 {
            return 1.0;
        }
        self.residual + (1.0 - self.residual) * (-n / self.half_life).exp2()
    }

    /// First month of the pre-buying window (the announcement month, not before month 0).
    #[inline]
    pub fn window_start(&self) -> u32 {
        self.start.saturating_sub(self.lead)
    }

    /// Last month (exclusive) with any exposure: `end.ceil() as u32`, without the call to the
    /// `ceil` of the C library that `f64::ceil` compiles to on baseline x86-64 (the conversion
    /// saturates the same way, and NaN gives 0 either way).
    #[inline]
    pub fn end_month(&self) -> u32 {
        let whole = self.end as u32;
        if (whole as f64) < self.end {
            whole.saturating_add(1)
        } else {
            whole
        }
    }
}

/// Per-path draws of the uncertain parameters, made once before the timeline.
#[derive(Debug, Clone, Default)]
pub struct PathParams {
    /// Calm-regime onsets per month, per process.
    pub monthly_rate: Vec<f64>,
    /// Annual demand growth per cell (kernel cell order).
    pub growth: Vec<f64>,
    /// Commercial inventory cover c_j and room m_j, months of demand, per cell (0 without one).
    pub cover: Vec<f64>,
    /// Room m_j of the commercial inventory above its cover, months of demand, per cell.
    pub max_cover: Vec<f64>,
    /// Per new capacity entry: the month it comes online (scheduled: start + rounded delay;
    /// restart on price: infinite, decided in the month solve).
    pub capacity_online: Vec<f64>,
}

/// One path's regime sequence and disruption episodes, drawn before the month loop.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Regime index per month.
    pub regime: Vec<u8>,
    /// Episodes sorted by start month, then process.
    pub episodes: Vec<Episode>,
}

/// Largest annual probability used when turning a probability into a rate (p = 1 would be an
/// infinite rate).
const MAX_ANNUAL_PROBABILITY: f64 = 1.0 - 1e-12;

/// What a path must draw for a solve of only some materials (`sim::path::Scope`): the
/// processes that touch a solved material and every process that triggers one of those,
/// directly or through a chain; and the solved materials' cells and new capacity entries.
/// Nothing else is drawn. Each process draws from its own named stream on its own onset clock,
/// and the only coupling between processes is the trigger boosts, which run from a trigger to
/// its target; so a drawn process's episodes are the full draw's, in the same (month, process)
/// order (docs/experiments.md, "Only the materials a variant changes are re-solved").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needed {
    /// Per process (model order): drawn.
    pub processes: Vec<bool>,
    /// Per cell (kernel cell order, `StreamKeys::cell_index`): its parameters drawn.
    pub cells: Vec<bool>,
    /// Per new capacity entry (`Model::new_capacity`): its delay drawn.
    pub capacity: Vec<bool>,
}

impl Needed {
    /// What solving the materials `solved` marks (plan order) reads of a path's draws.
    pub fn of(model: &Model, plan: &Plan, solved: &[bool]) -> Needed {
        let mut needed = Needed::nothing(model, plan);
        let mut stack = Vec::new();
        for (mp, _) in plan.materials.iter().zip(solved).filter(|(_, &s)| s) {
            stack.extend(mp.processes.iter().map(|h| h.process as usize));
            mp.cells.iter().for_each(|&c| needed.cells[c] = true);
            mp.new_capacity
                .iter()
                .for_each(|c| needed.capacity[c.index] = true);
            // The cap over time's entries are the material's own (above), named again here.
            for &(.., i) in mp.shift.iter().flat_map(|sp| &sp.scheduled) {
                needed.capacity[i] = true;
            }
        }
        needed.close_under_triggers(model, stack);
        needed
    }

    /// What drawing the episodes of the processes `episodes` marks (model order) reads: those
    /// processes and every process that triggers one of them, directly or through a chain; no
    /// cell and no new capacity.
    pub fn of_processes(model: &Model, plan: &Plan, episodes: &[bool]) -> Needed {
        let mut needed = Needed::nothing(model, plan);
        let roots = episodes.iter().enumerate().filter(|(_, &e)| e);
        needed.close_under_triggers(model, roots.map(|(p, _)| p).collect());
        needed
    }

    /// The same parameters, and no process: what a path draws when its episodes come from
    /// elsewhere (`sim::path::draw_path_taking_episodes`).
    pub fn without_processes(&self) -> Needed {
        Needed {
            processes: vec![false; self.processes.len()],
            ..self.clone()
        }
    }

    /// Nothing marked.
    fn nothing(model: &Model, plan: &Plan) -> Needed {
        Needed {
            processes: vec![false; model.disruptions.len()],
            cells: vec![false; plan.keys.cell_index.len()],
            capacity: vec![false; model.new_capacity.len()],
        }
    }

    /// Mark the processes on `stack` and, since a needed process's hazard reads its triggers'
    /// episodes, every process that triggers a marked one.
    fn close_under_triggers(&mut self, model: &Model, mut stack: Vec<usize>) {
        let mut triggered_by = vec![Vec::new(); model.disruptions.len()];
        for (q, d) in model.disruptions.iter().enumerate() {
            d.triggers
                .iter()
                .for_each(|t| triggered_by[t.target].push(q));
        }
        while let Some(p) = stack.pop() {
            if !std::mem::replace(&mut self.processes[p], true) {
                stack.extend(&triggered_by[p]);
            }
        }
    }
}

/// Marks a value `draw_params` did not draw (`Needed`): no solved material reads it.
pub const NOT_DRAWN: f64 = f64::NAN;

/// Draw the per-path parameters: each process's rate from its own stream, each cell's demand
/// growth from its own stream (see `StreamKeys`). With `needed`, only what it marks
/// (`NOT_DRAWN` for the rest); each value drawn is the full draw's, from its own stream.
pub fn draw_params(
    model: &Model,
    keys: &StreamKeys,
    (seed, path): (u64, u64),
    needed: Option<&Needed>,
    scratch: &mut TimelineScratch,
    out: &mut PathParams,
) {
    scratch.process_rngs.clear();
    scratch.drawn.clear();
    out.monthly_rate.clear();
    // With K parameter sets the parameters are set (path mod K)'s, drawn from the same named
    // streams under a salted seed; the events stay on the path's own streams (docs/model.md,
    // "Parameter uncertainty"). Without sets this is (seed, path): the draws are as before.
    let sets = model.parameter_sets as u64;
    let (pseed, ppath) = if sets > 0 {
        (seed ^ PARAMETER_SET_SALT, path % sets)
    } else {
        (seed, path)
    };
    for (p, (d, &key)) in model.disruptions.iter().zip(&keys.processes).enumerate() {
        if needed.is_some_and(|n| !n.processes[p]) {
            out.monthly_rate.push(NOT_DRAWN);
            continue;
        }
        let mut rng = stream_rng(seed, path, key);
        let v = if sets > 0 {
            let mut params = stream_rng(pseed, ppath, key);
            d.monthly_rate.sample_clamped(&mut params, 0.0, f64::MAX)
        } else {
            d.monthly_rate.sample_clamped(&mut rng, 0.0, f64::MAX)
        };
        let per_year = if d.rate_from_probability {
            -(1.0 - v.min(MAX_ANNUAL_PROBABILITY)).ln()
        } else {
            v
        };
        out.monthly_rate.push(per_year / 12.0);
        scratch.process_rngs.push(rng);
        scratch.drawn.push(p as u32);
    }
    out.growth.clear();
    for (c, (&(b, m), &key)) in keys.cell_index.iter().zip(&keys.cells).enumerate() {
        if needed.is_some_and(|n| !n.cells[c]) {
            out.growth.push(NOT_DRAWN);
            continue;
        }
        let cell = model.cells[b][m].as_ref().expect("layout cells exist");
        let g = if cell.growth.is_fixed() {
            cell.growth.sample_clamped(&mut NoRng, -0.99, 10.0)
        } else {
            cell.growth
                .sample_clamped(&mut stream_rng(pseed, ppath, key), -0.99, 10.0)
        };
        out.growth.push(g);
    }
    draw_buffers(model, keys, (pseed, ppath), needed, out);
}

/// XORed into the master seed for the parameter draws of `--parameter-sets`, so set g's
/// parameters are not the draws path g makes without sets.
pub const PARAMETER_SET_SALT: u64 = 0x005E_ED0F_5E75_u64;

/// Inventory covers (stream `inventory:<bloc>␟<material>`) and new capacity delays (stream
/// `capacity:<name>`): one draw each unless `Fixed`.
fn draw_buffers(
    model: &Model,
    keys: &StreamKeys,
    (seed, path): (u64, u64),
    needed: Option<&Needed>,
    out: &mut PathParams,
) {
    out.cover.clear();
    out.max_cover.clear();
    for (c, (&(b, m), &key)) in keys.cell_index.iter().zip(&keys.inventories).enumerate() {
        if needed.is_some_and(|n| !n.cells[c]) {
            out.cover.push(NOT_DRAWN);
            out.max_cover.push(NOT_DRAWN);
            continue;
        }
        let cell = model.cells[b][m].as_ref().expect("layout cells exist");
        let (c, room) = match &cell.inventory {
            None => (0.0, 0.0),
            Some(inv) => {
                let hi = inv.max_cover_months.unwrap_or(240.0).min(240.0);
                let c = if inv.cover_months.is_fixed() {
                    inv.cover_months.sample_clamped(&mut NoRng, 0.0, hi)
                } else {
                    inv.cover_months
                        .sample_clamped(&mut stream_rng(seed, path, key), 0.0, hi)
                };
                let c = c.clamp(0.0, hi);
                (c, inv.max_cover_months.unwrap_or(2.0 * c))
            }
        };
        out.cover.push(c);
        out.max_cover.push(room);
    }
    out.capacity_online.clear();
    for (i, (nc, &key)) in model.new_capacity.iter().zip(&keys.capacity).enumerate() {
        if needed.is_some_and(|n| !n.capacity[i]) {
            out.capacity_online.push(NOT_DRAWN);
            continue;
        }
        let online = match &nc.start {
            NewCapacityStart::Scheduled { month, delay } => {
                let d = if delay.is_fixed() {
                    delay.sample_clamped(&mut NoRng, 0.0, 600.0)
                } else {
                    delay.sample_clamped(&mut stream_rng(seed, path, key), 0.0, 600.0)
                };
                *month as f64 + d.round()
            }
            NewCapacityStart::Restart { .. } => f64::INFINITY,
        };
        out.capacity_online.push(online);
    }
}

/// Random streams are named, not numbered: each process, each demand cell and the tension
/// regime draw from a stream keyed by (seed, path, hash of its name). Adding, removing or
/// reordering a process therefore leaves every other process's draws unchanged, so two scenarios
/// compared on the same seed are paired path by path (common random numbers).
#[derive(Debug, Clone)]
pub struct StreamKeys {
    pub tension: u64,
    pub processes: Vec<u64>,
    pub cells: Vec<u64>,
    pub cell_index: Vec<(usize, usize)>,
    /// `episode:<name>` per process (per-episode buffer draws).
    pub episodes: Vec<u64>,
    /// `inventory:<bloc>␟<material>` per cell.
    pub inventories: Vec<u64>,
    /// `capacity:<name>` per new capacity entry.
    pub capacity: Vec<u64>,
}

impl StreamKeys {
    pub fn new(model: &Model, cells: &[(usize, usize)]) -> StreamKeys {
        StreamKeys {
            tension: fnv1a(b"tension"),
            processes: model
                .disruptions
                .iter()
                .map(|d| fnv1a(format!("disruption:{}", d.name).as_bytes()))
                .collect(),
            cells: cell_keys(model, cells, "demand"),
            cell_index: cells.to_vec(),
            episodes: model
                .disruptions
                .iter()
                .map(|d| fnv1a(format!("episode:{}", d.name).as_bytes()))
                .collect(),
            inventories: cell_keys(model, cells, "inventory"),
            capacity: model
                .new_capacity
                .iter()
                .map(|c| fnv1a(format!("capacity:{}", c.name).as_bytes()))
                .collect(),
        }
    }
}

/// `<prefix>:<bloc>␟<material>` per cell, ␟ the unit separator 0x1F.
fn cell_keys(model: &Model, cells: &[(usize, usize)], prefix: &str) -> Vec<u64> {
    cells
        .iter()
        .map(|&(b, m)| {
            fnv1a(
                format!(
                    "{prefix}:{}\u{1f}{}",
                    model.blocs[b].name, model.materials[m].name
                )
                .as_bytes(),
            )
        })
        .collect()
}

/// FNV-1a, 64-bit: a fixed, portable hash of a name.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn stream_rng(seed: u64, path: u64, key: u64) -> PathRng {
    path_rng(seed ^ splitmix64(key), path)
}

/// A fixed distribution never draws; this stands in for a generator it will not use.
struct NoRng;
impl rand::TryRng for NoRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0);
        Ok(())
    }
}

/// Per-episode draws on stream `episode:<name>`, in this order: lead, half-life, residual,
/// leakage, licence processing time (each only when set and not `Fixed`; the processing time
/// is drawn last so that adding it leaves the other draws as they were).
fn draw_episode_buffers(trade: &TradeDynamics, rng: &mut PathRng, e: &mut Episode) {
    if let Some(lead) = &trade.announced_months {
        e.lead = lead.sample_clamped(rng, 0.0, 600.0).round() as u32;
    }
    if let Some((half, residual)) = &trade.licence_recovery {
        // A `Fixed` value is returned as given: clamp here too.
        e.half_life = half.sample_clamped(rng, 0.1, 600.0).max(0.1);
        e.residual = residual.sample_clamped(rng, 0.0, 1.0);
    }
    if let Some(leak) = &trade.leakage_share {
        e.leakage = leak.sample_clamped(rng, 0.0, 1.0);
    }
    if let Some(lag) = &trade.licence_processing {
        e.processing = lag.sample_clamped(rng, 0.0, 120.0);
    }
}

/// Marks a process without a hazard clock in `TimelineScratch::hazard`: one that starts on a
/// scheduled month, or whose drawn rate is not positive (it never starts). A clock's hazard is
/// never negative: rate > 0 and multipliers m^s >= 0.
const NO_CLOCK: f64 = -1.0;

/// Each drawn process's monthly hazard in each regime before triggers, `[regime * drawn + i]`
/// for process `drawn[i]`: the product λ_p/12 · m(regime)^(sensitivity_p) the month loop would
/// form every month, once per path.
fn hazards(model: &Model, params: &PathParams, drawn: &[u32], out: &mut Vec<f64>) {
    out.clear();
    for regime in 0..model.tension.regimes.len() {
        for &p in drawn {
            let (d, rate) = (
                &model.disruptions[p as usize],
                params.monthly_rate[p as usize],
            );
            let clocked = d.scheduled_start.is_none() && rate > 0.0;
            out.push(if clocked {
                rate * d.regime_multipliers[regime]
            } else {
                NO_CLOCK
            });
        }
    }
}

/// Scratch reused across paths. The per-process arrays hold the processes `draw_params` drew
/// (`drawn`), in model order: every process unless a `Needed` left some out.
#[derive(Debug, Clone, Default)]
pub struct TimelineScratch {
    /// The drawn processes, ascending.
    drawn: Vec<u32>,
    /// Per process (model order): its index in `drawn`, or `NOT_A_SLOT`.
    slot: Vec<u32>,
    cumulative: Vec<f64>,
    next_onset: Vec<f64>,
    /// Per process: (multiplier, first month it no longer applies) of active triggers.
    boosts: Vec<Vec<(f64, u32)>>,
    /// First month in which each process may start again.
    busy_until: Vec<u32>,
    /// `[regime * drawn + i]`: process `drawn[i]`'s monthly hazard in the regime before triggers,
    /// λ_p/12 · m(regime)^(sensitivity_p), or `NO_CLOCK`.
    hazard: Vec<f64>,
    process_rngs: Vec<PathRng>,
    /// Per process with buffer draws: its `episode:<name>` stream, seeded at its first onset
    /// (most processes have none on a path, and an unused stream need not be seeded).
    episode_rngs: Vec<Option<PathRng>>,
}

/// Marks a process `draw_params` did not draw in `TimelineScratch::slot`.
const NOT_A_SLOT: u32 = u32::MAX;

/// Draw the regime chain and the episodes of the processes `draw_params` drew (into `scratch`)
/// for the same (`seed`, `path`): all of them, or those a `Needed` marks, whose episodes are
/// then the full draw's without the others'.
pub fn draw_timeline(
    model: &Model,
    keys: &StreamKeys,
    (seed, path): (u64, u64),
    params: &PathParams,
    scratch: &mut TimelineScratch,
    out: &mut Timeline,
) {
    let months = model.months;
    let tension = &model.tension;
    out.regime.clear();
    out.episodes.clear();

    // Regime path: a Markov chain, one uniform per month when there is more than one regime.
    let mut r = tension.initial;
    let mut rng = stream_rng(seed, path, keys.tension);
    for _ in 0..months {
        out.regime.push(r as u8);
        if tension.regimes.len() > 1 {
            let u: f64 = rng.random();
            let row = &tension.cumulative[r];
            r = row.iter().position(|&c| u < c).unwrap_or(r);
        }
    }

    let n = scratch.drawn.len();
    scratch.slot.clear();
    scratch.slot.resize(model.disruptions.len(), NOT_A_SLOT);
    for (i, &p) in scratch.drawn.iter().enumerate() {
        scratch.slot[p as usize] = i as u32;
    }
    scratch.cumulative.clear();
    scratch.cumulative.resize(n, 0.0);
    scratch.next_onset.clear();
    for rng in scratch.process_rngs.iter_mut() {
        let e: f64 = Exp1.sample(rng);
        scratch.next_onset.push(e);
    }
    scratch.busy_until.clear();
    scratch.busy_until.resize(n, 0);
    // Grown, never shrunk: a scratch that serves subset and full draws in turn would otherwise
    // free and allocate the boost lists (tests/alloc_free.rs).
    if scratch.boosts.len() < n {
        scratch.boosts.resize_with(n, Vec::new);
    }
    scratch.boosts.iter_mut().for_each(Vec::clear);
    scratch.episode_rngs.clear();
    scratch.episode_rngs.resize(n, None);
    hazards(model, params, &scratch.drawn, &mut scratch.hazard);

    // Every per-process array as a slice of its own, taken once: the month loop then keeps
    // their addresses and lengths in registers rather than reloading them from `scratch` for
    // every process of every month.
    let cumulative = &mut scratch.cumulative[..n];
    let next_onset = &mut scratch.next_onset[..n];
    let busy_until = &mut scratch.busy_until[..n];
    let boosts = &mut scratch.boosts[..n];
    let process_rngs = &mut scratch.process_rngs[..n];
    let episode_rngs = &mut scratch.episode_rngs[..n];
    let (drawn, slot) = (&scratch.drawn[..n], &scratch.slot[..]);
    for t in 0..months as u32 {
        let regime = out.regime[t as usize] as usize;
        let hazard = &scratch.hazard[regime * n..(regime + 1) * n];
        let first_new = out.episodes.len();
        for (i, &regime_hazard) in hazard.iter().enumerate() {
            // A process does not restart while its own episode runs: a ban does not stack on
            // itself. Its clock is paused, not reset, so calm-time frequencies are unchanged.
            if t < busy_until[i] {
                continue;
            }
            let p = drawn[i] as usize;
            let onset = if regime_hazard == NO_CLOCK {
                model.disruptions[p].scheduled_start == Some(t)
            } else {
                let mut h = regime_hazard;
                for &(mult, until) in &boosts[i] {
                    if t < until {
                        h *= mult;
                    }
                }
                cumulative[i] += h;
                cumulative[i] >= next_onset[i]
            };
            if onset {
                let d = &model.disruptions[p];
                let rng = &mut process_rngs[i];
                let duration = d.duration_months.sample_clamped(rng, 0.0, 600.0);
                let severity = d.severity.sample_clamped(rng, 0.0, 1.0);
                let mut episode = Episode {
                    process: p as u32,
                    start: t,
                    end: t as f64 + duration,
                    severity,
                    lead: 0,
                    half_life: f64::INFINITY,
                    residual: 1.0,
                    processing: 0.0,
                    leakage: 0.0,
                };
                if d.trade.any() {
                    let rng = episode_rngs[i]
                        .get_or_insert_with(|| stream_rng(seed, path, keys.episodes[p]));
                    draw_episode_buffers(&d.trade, rng, &mut episode);
                }
                busy_until[i] = episode.end_month().max(t + 1);
                out.episodes.push(episode);
                // Restart the clock from the end of this month: at most one onset per month.
                let e: f64 = Exp1.sample(rng);
                next_onset[i] = cumulative[i] + e;
            }
        }
        // Triggers fire from the month after the onset, so the order of processes within a month
        // does not matter. A target not drawn is needed by nothing solved: its boost is dropped.
        for k in first_new..out.episodes.len() {
            let p = out.episodes[k].process as usize;
            for trig in &model.disruptions[p].triggers {
                let Some(boost) = boosts.get_mut(slot[trig.target] as usize) else {
                    continue;
                };
                boost.retain(|&(_, until)| until > t + 1);
                boost.push((trig.hazard_multiplier, t + 1 + trig.months));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn end_month_is_the_ceiling() {
        let episode = |end: f64| Episode {
            process: 0,
            start: 0,
            end,
            severity: 1.0,
            lead: 0,
            half_life: f64::INFINITY,
            residual: 1.0,
            processing: 0.0,
            leakage: 0.0,
        };
        let ends = [
            0.0,
            -0.0,
            -0.5,
            -3.0,
            1e-300,
            0.25,
            1.0,
            1.0 + f64::EPSILON,
            59.999_999,
            60.0,
            600.5,
            4_294_967_294.5,
            4_294_967_295.0,
            4_294_967_295.5,
            1e20,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for end in ends {
            assert_eq!(episode(end).end_month(), end.ceil() as u32, "{end}");
        }
    }
}
