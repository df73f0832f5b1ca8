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

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1};

use crate::model::Model;

/// One disruption episode: process `process` active on `[start, end)` in months from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    pub process: u32,
    pub start: u32,
    pub end: f64,
    pub severity: f64,
}

impl Episode {
    /// Share of month `t` covered by the episode (0..=1).
    #[inline]
    pub fn exposure(&self, t: u32) -> f64 {
        let lo = (t as f64).max(self.start as f64);
        let hi = (t as f64 + 1.0).min(self.end);
        (hi - lo).clamp(0.0, 1.0)
    }

    /// Last month (exclusive) with any exposure.
    #[inline]
    pub fn end_month(&self) -> u32 {
        self.end.ceil() as u32
    }
}

/// Per-path draws of the uncertain parameters, made once before the timeline.
#[derive(Debug, Clone, Default)]
pub struct PathParams {
    /// Calm-regime onsets per month, per process.
    pub monthly_rate: Vec<f64>,
    /// Annual demand growth per cell (kernel cell order).
    pub growth: Vec<f64>,
}

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

pub fn draw_params<R: Rng + ?Sized>(
    model: &Model,
    cells: &[(usize, usize)],
    rng: &mut R,
    out: &mut PathParams,
) {
    out.monthly_rate.clear();
    for d in &model.disruptions {
        let v = d.monthly_rate.sample_clamped(rng, 0.0, f64::MAX);
        let per_year = if d.rate_from_probability {
            -(1.0 - v.min(MAX_ANNUAL_PROBABILITY)).ln()
        } else {
            v
        };
        out.monthly_rate.push(per_year / 12.0);
    }
    out.growth.clear();
    for &(b, m) in cells {
        let cell = model.cells[b][m].as_ref().expect("layout cells exist");
        out.growth
            .push(cell.growth.sample_clamped(rng, -0.99, 10.0));
    }
}

/// Scratch reused across paths.
#[derive(Debug, Clone, Default)]
pub struct TimelineScratch {
    cumulative: Vec<f64>,
    next_onset: Vec<f64>,
    /// Per process: (multiplier, first month it no longer applies) of active triggers.
    boosts: Vec<Vec<(f64, u32)>>,
    /// First month in which each process may start again.
    busy_until: Vec<u32>,
}

pub fn draw_timeline<R: Rng + ?Sized>(
    model: &Model,
    params: &PathParams,
    rng: &mut R,
    scratch: &mut TimelineScratch,
    out: &mut Timeline,
) {
    let months = model.months;
    let tension = &model.tension;
    out.regime.clear();
    out.episodes.clear();

    // Regime path: a Markov chain, one uniform per month when there is more than one regime.
    let mut r = tension.initial;
    for _ in 0..months {
        out.regime.push(r as u8);
        if tension.regimes.len() > 1 {
            let u: f64 = rng.random();
            let row = &tension.cumulative[r];
            r = row.iter().position(|&c| u < c).unwrap_or(r);
        }
    }

    let n = model.disruptions.len();
    scratch.cumulative.clear();
    scratch.cumulative.resize(n, 0.0);
    scratch.next_onset.clear();
    for _ in 0..n {
        let e: f64 = Exp1.sample(rng);
        scratch.next_onset.push(e);
    }
    scratch.busy_until.clear();
    scratch.busy_until.resize(n, 0);
    scratch.boosts.resize_with(n, Vec::new);
    scratch.boosts.iter_mut().for_each(Vec::clear);

    for t in 0..months as u32 {
        let regime = out.regime[t as usize] as usize;
        let regime_multiplier = tension.regimes[regime].1;
        let first_new = out.episodes.len();
        for (p, d) in model.disruptions.iter().enumerate() {
            // A process does not restart while its own episode runs: a ban does not stack on
            // itself. Its clock is paused, not reset, so calm-time frequencies are unchanged.
            if t < scratch.busy_until[p] {
                continue;
            }
            let onset = match d.scheduled_start {
                Some(month) => t == month,
                None => {
                    let mut h = params.monthly_rate[p];
                    if h <= 0.0 {
                        continue;
                    }
                    if d.tension_sensitivity != 0.0 && regime_multiplier != 1.0 {
                        h *= regime_multiplier.powf(d.tension_sensitivity);
                    }
                    for &(mult, until) in &scratch.boosts[p] {
                        if t < until {
                            h *= mult;
                        }
                    }
                    scratch.cumulative[p] += h;
                    scratch.cumulative[p] >= scratch.next_onset[p]
                }
            };
            if onset {
                let duration = d.duration_months.sample_clamped(rng, 0.0, 600.0);
                let severity = d.severity.sample_clamped(rng, 0.0, 1.0);
                let episode = Episode {
                    process: p as u32,
                    start: t,
                    end: t as f64 + duration,
                    severity,
                };
                scratch.busy_until[p] = episode.end_month().max(t + 1);
                out.episodes.push(episode);
                // Restart the clock from the end of this month: at most one onset per month.
                let e: f64 = Exp1.sample(rng);
                scratch.next_onset[p] = scratch.cumulative[p] + e;
            }
        }
        // Triggers fire from the month after the onset, so the order of processes within a month
        // does not matter.
        for k in first_new..out.episodes.len() {
            let p = out.episodes[k].process as usize;
            for trig in &model.disruptions[p].triggers {
                scratch.boosts[trig.target].retain(|&(_, until)| until > t + 1);
                scratch.boosts[trig.target].push((trig.hazard_multiplier, t + 1 + trig.months));
            }
        }
    }
}
