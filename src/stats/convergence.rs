//! The headline estimate as the paths came in: after each chunk of the run, the probability
//! that the headline bloc's worst material exceeds 10% of a year's demand, with its Wilson
//! interval, so a reader can see that the estimate has settled (the convergence chart).

use serde::{Deserialize, Serialize};

use super::estimate::probability;

/// Most points kept: a long run keeps every k-th chunk and the last.
pub const MAX_POINTS: usize = 400;

/// The cumulative headline estimate after some paths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConvergencePoint {
    /// Paths run so far.
    pub paths: u64,
    /// Headline probability over those paths.
    pub p: f64,
    /// Its 95% Wilson interval.
    pub low: f64,
    pub high: f64,
}

/// The headline estimate after each chunk of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// The bloc whose "some material > 10%" probability is followed.
    pub bloc: String,
    /// Worst-year share threshold of the headline probability (0.10).
    pub threshold: f64,
    /// Cumulative estimates, in path order.
    pub points: Vec<ConvergencePoint>,
}

/// Cumulative estimates from per-chunk `(paths, paths over the threshold)`, thinned to at most
/// `MAX_POINTS` (every k-th chunk, and always the last).
pub fn series(bloc: &str, threshold: f64, chunks: &[(u64, u64)]) -> Convergence {
    let step = chunks.len().div_ceil(MAX_POINTS).max(1);
    let (mut n, mut x) = (0u64, 0u64);
    let mut points = Vec::new();
    for (i, &(paths, over)) in chunks.iter().enumerate() {
        n += paths;
        x += over;
        if (i + 1) % step == 0 || i + 1 == chunks.len() {
            let e = probability(x, n);
            points.push(ConvergencePoint {
                paths: n,
                p: e.p,
                low: e.ci95.low,
                high: e.ci95.high,
            });
        }
    }
    Convergence {
        bloc: bloc.to_string(),
        threshold,
        points,
    }
}
