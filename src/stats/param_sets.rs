//! Parameter uncertainty beside Monte Carlo error (`run --parameter-sets K`): the headline
//! probabilities counted per parameter set, and the band they span. docs/model.md, "Parameter
//! uncertainty".
//!
//! With K sets, path i draws its uncertain parameters (frequencies, demand growth, inventory
//! cover, capacity delays) as set g = i mod K, and its events from its own streams, so the paths
//! of one set are independent event histories under one calibration. The accumulator keeps, per
//! set, integer counts only, so it merges exactly and does not depend on the thread count.

use serde::{Deserialize, Serialize};

use super::accumulator::{Layout, PathRecord, THRESHOLDS};
use super::estimate::{probability, ProbabilityEstimate};

/// The counts of one parameter set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetCounts {
    /// Paths of the set.
    pub paths: u64,
    /// Per bloc: paths whose worst material's worst-year share exceeds each of `THRESHOLDS`.
    pub blocs: Vec<[u64; 3]>,
    /// Per cell: paths whose worst-year share exceeds each of `THRESHOLDS`.
    pub cells: Vec<[u64; 3]>,
}

impl SetCounts {
    fn new(layout: &Layout) -> Self {
        SetCounts {
            paths: 0,
            blocs: vec![[0; 3]; layout.blocs.len()],
            cells: vec![[0; 3]; layout.cells.len()],
        }
    }

    fn merge(&mut self, o: &SetCounts) {
        self.paths += o.paths;
        for (a, b) in self.blocs.iter_mut().zip(&o.blocs) {
            for k in 0..3 {
                a[k] += b[k];
            }
        }
        for (a, b) in self.cells.iter_mut().zip(&o.cells) {
            for k in 0..3 {
                a[k] += b[k];
            }
        }
    }
}

/// One `SetCounts` per parameter set (none when the run has no parameter sets).
pub fn new_sets(layout: &Layout) -> Vec<SetCounts> {
    (0..layout.parameter_sets)
        .map(|_| SetCounts::new(layout))
        .collect()
}

/// Fold one path into its set's counts.
pub fn add(sets: &mut [SetCounts], layout: &Layout, rec: &PathRecord) {
    let Some(set) = sets.get_mut(rec.param_set as usize) else {
        return;
    };
    set.paths += 1;
    let mut worst = [0.0f64; 64];
    for (ci, c) in rec.cells.iter().enumerate() {
        if !c.any_short() {
            continue;
        }
        let b = layout.cells[ci].0;
        if b < 64 {
            worst[b] = worst[b].max(c.worst_year_share);
        }
        for (k, t) in THRESHOLDS.iter().enumerate() {
            if c.worst_year_share > *t {
                set.cells[ci][k] += 1;
            }
        }
    }
    for (b, counts) in set.blocs.iter_mut().enumerate().take(64) {
        for (k, t) in THRESHOLDS.iter().enumerate() {
            if worst[b] > *t {
                counts[k] += 1;
            }
        }
    }
}

/// Merge the sets of a disjoint path range.
/// Bytes the sets hold on the heap.
pub fn heap_bytes(sets: &Vec<SetCounts>) -> usize {
    sets.capacity() * std::mem::size_of::<SetCounts>()
        + sets
            .iter()
            .map(|s| (s.blocs.capacity() + s.cells.capacity()) * 24)
            .sum::<usize>()
}

pub fn merge(sets: &mut [SetCounts], other: &[SetCounts]) {
    for (a, b) in sets.iter_mut().zip(other) {
        a.merge(b);
    }
}

/// A headline probability with its Monte Carlo interval and its parameter-uncertainty band.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParameterBand {
    /// The bloc.
    pub bloc: String,
    /// None: the bloc's "some material"; otherwise one material.
    pub material: Option<String>,
    /// Worst-year shortfall share the probability is about (P(worst year > threshold)).
    pub threshold: f64,
    /// Pooled over every path: the central value, with its Monte Carlo (Wilson) interval.
    pub pooled: ProbabilityEstimate,
    /// Number of parameter sets K, and paths per set (the smallest set).
    pub sets: u64,
    pub paths_per_set: u64,
    /// Between-set standard deviation of the per-set probabilities, with the within-set
    /// Monte Carlo variance subtracted (method of moments; 0 when that goes negative).
    pub parameter_sd: f64,
    /// 5th and 95th percentiles of the per-set probabilities after shrinking each toward the
    /// pooled value by parameter_sd / (observed between-set sd), so the band excludes the
    /// within-set Monte Carlo noise: 90% of the sampled calibrations give a value in it.
    pub band90: (f64, f64),
    /// The same percentiles of the raw per-set estimates (Monte Carlo noise included).
    pub raw_band90: (f64, f64),
}

/// Empirical quantile of sorted values, linear interpolation between order statistics
/// (type 7 of Hyndman & Fan 1996).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The band of one probability from its per-set counts `(successes, paths)`.
fn band(per_set: &[(u64, u64)], pooled: ProbabilityEstimate) -> (f64, (f64, f64), (f64, f64)) {
    let p: Vec<f64> = per_set
        .iter()
        .map(|&(x, n)| x as f64 / n.max(1) as f64)
        .collect();
    let k = p.len() as f64;
    let mean = p.iter().sum::<f64>() / k;
    let between = p.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
    // Unbiased within-set variance of each p̂_g: p̂(1 − p̂)/(n_g − 1).
    let within = per_set
        .iter()
        .zip(&p)
        .map(|(&(_, n), v)| v * (1.0 - v) / (n.max(2) - 1) as f64)
        .sum::<f64>()
        / k;
    let param_var = (between - within).max(0.0);
    let shrink = if between > 0.0 {
        (param_var / between).sqrt()
    } else {
        0.0
    };
    let mut raw = p.clone();
    raw.sort_by(f64::total_cmp);
    let mut shrunk: Vec<f64> = p
        .iter()
        .map(|v| (pooled.p + (v - pooled.p) * shrink).clamp(0.0, 1.0))
        .collect();
    shrunk.sort_by(f64::total_cmp);
    (
        param_var.sqrt(),
        (quantile(&shrunk, 0.05), quantile(&shrunk, 0.95)),
        (quantile(&raw, 0.05), quantile(&raw, 0.95)),
    )
}

/// Bands for every bloc ("some material") and cell, at every threshold; empty without sets.
pub fn bands(layout: &Layout, sets: &[SetCounts], paths: u64) -> Vec<ParameterBand> {
    let mut out = Vec::new();
    if sets.len() < 2 || paths == 0 {
        return out;
    }
    let per_set_paths = sets.iter().map(|s| s.paths).min().unwrap_or(0);
    let mut push = |bloc: &str,
                    material: Option<String>,
                    counts: &dyn Fn(&SetCounts) -> [u64; 3]| {
        for (k, &t) in THRESHOLDS.iter().enumerate() {
            let per_set: Vec<(u64, u64)> = sets.iter().map(|s| (counts(s)[k], s.paths)).collect();
            let total: u64 = per_set.iter().map(|c| c.0).sum();
            let pooled = probability(total, paths);
            let (sd, band90, raw_band90) = band(&per_set, pooled);
            out.push(ParameterBand {
                bloc: bloc.to_string(),
                material: material.clone(),
                threshold: t,
                pooled,
                sets: sets.len() as u64,
                paths_per_set: per_set_paths,
                parameter_sd: sd,
                band90,
                raw_band90,
            });
        }
    };
    for (b, bloc) in layout.blocs.iter().enumerate() {
        push(bloc, None, &|s: &SetCounts| s.blocs[b]);
        for (ci, &(cb, m)) in layout.cells.iter().enumerate() {
            if cb == b {
                push(bloc, Some(layout.materials[m].clone()), &|s: &SetCounts| {
                    s.cells[ci]
                });
            }
        }
    }
    out
}
