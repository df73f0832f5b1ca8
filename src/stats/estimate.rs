//! Estimates with their Monte Carlo error: means, probabilities, quantiles and CVaR.
//!
//! Methods:
//! - mean: standard error s/√n.
//! - probability: Wilson score interval (Wilson 1927), which stays inside [0, 1] and behaves
//!   for rare events where the normal interval does not; standard error √(p(1−p)/n).
//! - quantile: distribution-free confidence interval from order statistics: the ranks
//!   n·q ± z·√(n·q(1−q)) bracket the true q-quantile with probability ≈ 95% (Conover,
//!   Practical Nonparametric Statistics, 3rd ed., §3.2). The values at those ranks are read
//!   from the histogram, so the interval also absorbs its ±0.39% binning error.
//! - CVaR_α (mean of the worst 1−α): asymptotic standard error
//!   √[(Var(X | X ≥ VaR) + α·(CVaR − VaR)²) / (n(1−α))] (Trindade, Uryasev, Shapiro & Zrazhevsky,
//!   "Financial prediction with constrained tail risk", J. Banking & Finance 2007).

use serde::{Deserialize, Serialize};

use super::accumulator::ScalarAcc;
use super::histogram::quantile_rank;

/// Two-sided 95% normal quantile, Φ⁻¹(0.975); the value lives with the other special functions.
pub const Z95: f64 = crate::special::NORMAL_QUANTILE_975;

/// The quantiles reported for every distribution.
pub const QUANTILES: [f64; 6] = [0.5, 0.9, 0.95, 0.99, 0.999, 0.0];

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// An estimated probability with its Monte Carlo error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityEstimate {
    /// The share of paths with the event.
    pub p: f64,
    /// Standard error √(p(1−p)/n).
    pub se: f64,
    /// Wilson score 95% interval (stays inside [0, 1]).
    pub ci95: Interval,
}

pub fn probability(successes: u64, n: u64) -> ProbabilityEstimate {
    if n == 0 {
        return ProbabilityEstimate {
            p: f64::NAN,
            se: f64::NAN,
            ci95: Interval {
                low: 0.0,
                high: 1.0,
            },
        };
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    ProbabilityEstimate {
        p,
        se: (p * (1.0 - p) / nf).sqrt(),
        ci95: Interval {
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileEstimate {
    pub q: f64,
    pub value: f64,
    pub ci95: Interval,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TailEstimate {
    pub alpha: f64,
    pub value: f64,
    pub se: f64,
}

/// The distribution of one per-path quantity over all paths (zeros included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionEstimate {
    pub mean: f64,
    pub mean_se: f64,
    pub sd: f64,
    pub quantiles: Vec<QuantileEstimate>,
    pub cvar95: TailEstimate,
    pub cvar99: TailEstimate,
}

impl DistributionEstimate {
    pub fn quantile(&self, q: f64) -> Option<&QuantileEstimate> {
        self.quantiles.iter().find(|e| (e.q - q).abs() < 1e-12)
    }
}

/// The ranks bracketing the q-quantile of `n` (≥ 1) observations with ≈ 95% confidence.
fn ci_ranks(q: f64, n: u64) -> (u64, u64) {
    let nf = n as f64;
    let half = Z95 * (nf * q * (1.0 - q)).sqrt();
    let lo_rank = ((nf * q - half).floor().max(1.0) as u64).min(n) - 1;
    let hi_rank = ((nf * q + half).ceil().max(1.0) as u64).min(n) - 1;
    (lo_rank, hi_rank)
}

pub fn quantile_ci(acc: &ScalarAcc, q: f64, n: u64) -> QuantileEstimate {
    let value = acc.hist.quantile(q, n);
    let (lo_rank, hi_rank) = ci_ranks(q, n);
    QuantileEstimate {
        q,
        value,
        ci95: Interval {
            low: acc.hist.value_at_rank(lo_rank, n),
            high: acc.hist.value_at_rank(hi_rank, n),
        },
    }
}

/// How many of `n` paths CVaR_α averages: the worst ceil(n(1−α)), at least one.
fn tail_count(alpha: f64, n: u64) -> u64 {
    // n(1−α) within rounding of a whole number is that number (1 − 0.95 is a hair above 0.05
    // in binary, which would add a path to the tail).
    let x = n as f64 * (1.0 - alpha);
    let whole = x.round();
    (if (x - whole).abs() <= 1e-9 * x.max(1.0) {
        whole
    } else {
        x.ceil()
    } as u64)
        .max(1)
}

/// CVaR_α's value and the sum of squares and count of its tail (`n` ≥ 1).
fn tail_mean(acc: &ScalarAcc, alpha: f64, n: u64) -> (f64, f64, f64) {
    let (sum, sum_sq, count) = acc.hist.tail_moments(n - tail_count(alpha, n), n);
    let count = count.max(1) as f64;
    (sum / count, sum_sq, count)
}

/// CVaR_α with its standard error, given the α-quantile `var` (VaR).
fn cvar(acc: &ScalarAcc, alpha: f64, n: u64, var: f64) -> TailEstimate {
    if n == 0 {
        return TailEstimate {
            alpha,
            value: f64::NAN,
            se: f64::NAN,
        };
    }
    let (value, sum_sq, count) = tail_mean(acc, alpha, n);
    let tail_var = (sum_sq / count - value * value).max(0.0);
    let se = ((tail_var + alpha * (value - var).powi(2)) / (n as f64 * (1.0 - alpha))).sqrt();
    TailEstimate { alpha, value, se }
}

/// CVaR_α's value alone (what a section keeps), as `cvar` gives it.
pub fn cvar_value(acc: &ScalarAcc, alpha: f64, n: u64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    tail_mean(acc, alpha, n).0
}

/// The reported quantile levels (`QUANTILES` but the 0 that ends the list).
pub fn reported_quantiles() -> impl Iterator<Item = f64> {
    QUANTILES.iter().copied().filter(|&q| q > 0.0)
}

/// The mean of a distribution over `n` paths (zeros included).
pub fn mean(acc: &ScalarAcc, n: u64) -> f64 {
    acc.sum / n.max(1) as f64
}

/// Each reported quantile's value and its interval's ends, and the two VaRs CVaR95 and CVaR99
/// need: every rank a distribution reads, read in one walk of the histogram. Each value is the
/// one `quantile_ci` and `cvar` read one rank at a time.
fn quantiles_and_vars(acc: &ScalarAcc, n: u64) -> (Vec<QuantileEstimate>, f64, f64) {
    if n == 0 {
        let quantiles = reported_quantiles()
            .map(|q| quantile_ci(acc, q, n))
            .collect();
        return (quantiles, f64::NAN, f64::NAN);
    }
    let mut ranks = Vec::with_capacity(3 * QUANTILES.len() + 2);
    for q in reported_quantiles() {
        let (lo, hi) = ci_ranks(q, n);
        ranks.extend([quantile_rank(q, n), lo, hi]);
    }
    ranks.extend([quantile_rank(0.95, n), quantile_rank(0.99, n)]);
    let mut values = vec![0.0; ranks.len()];
    acc.hist.values_at_ranks(&ranks, n, &mut values);
    let quantiles = reported_quantiles()
        .zip(values.chunks_exact(3))
        .map(|(q, v)| QuantileEstimate {
            q,
            value: v[0],
            ci95: Interval {
                low: v[1],
                high: v[2],
            },
        })
        .collect();
    let k = values.len();
    (quantiles, values[k - 2], values[k - 1])
}

pub fn distribution(acc: &ScalarAcc, n: u64) -> DistributionEstimate {
    let nf = n.max(1) as f64;
    let mean = mean(acc, n);
    let var = if n > 1 {
        ((acc.sum_sq - nf * mean * mean) / (nf - 1.0)).max(0.0)
    } else {
        0.0
    };
    let sd = var.sqrt();
    let (quantiles, var95, var99) = quantiles_and_vars(acc, n);
    DistributionEstimate {
        mean,
        mean_se: sd / nf.sqrt(),
        sd,
        quantiles,
        cvar95: cvar(acc, 0.95, n, var95),
        cvar99: cvar(acc, 0.99, n, var99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::accumulator::SUB_BITS_HEADLINE;

    #[test]
    fn wilson_interval_matches_a_published_value() {
        // Wilson interval for 81 successes of 263 (Newcombe 1998, Table I example: 0.2553–0.3662).
        let e = probability(81, 263);
        assert!((e.ci95.low - 0.2553).abs() < 5e-4, "{:?}", e.ci95);
        assert!((e.ci95.high - 0.3662).abs() < 5e-4, "{:?}", e.ci95);
    }

    /// The ranks a distribution reads in one walk are those `quantile_ci` and a VaR read one
    /// at a time: every figure to the bit, over one path, fewer paths than values, as many, and
    /// sixteen times as many (mostly zeros).
    #[test]
    fn a_distribution_reads_the_ranks_one_at_a_time_would() {
        let mut acc = ScalarAcc::new(SUB_BITS_HEADLINE);
        for i in 0..5_000 {
            acc.add(((i as f64) * 0.013).sin().abs() * 3.0);
        }
        for n in [1, 4_999, 5_000, 80_000] {
            let d = distribution(&acc, n);
            let want: Vec<QuantileEstimate> = reported_quantiles()
                .map(|q| quantile_ci(&acc, q, n))
                .collect();
            assert_eq!(format!("{:?}", d.quantiles), format!("{want:?}"), "n {n}");
            for (t, alpha) in [(d.cvar95, 0.95), (d.cvar99, 0.99)] {
                let want = cvar(&acc, alpha, n, acc.hist.quantile(alpha, n));
                assert_eq!(format!("{t:?}"), format!("{want:?}"), "n {n}");
                assert_eq!(
                    t.value.to_bits(),
                    cvar_value(&acc, alpha, n).to_bits(),
                    "n {n}"
                );
            }
        }
    }

    #[test]
    fn exponential_sample_gives_known_mean_quantiles_and_cvar() {
        // Exp(1) by inverse CDF on a stratified grid: known answers mean 1, sd 1, P95 = ln 20,
        // CVaR95 = 1 + ln 20.
        let n = 200_000u64;
        let mut acc = ScalarAcc::new(SUB_BITS_HEADLINE);
        for i in 0..n {
            let u = (i as f64 + 0.5) / n as f64;
            acc.add(-(1.0 - u).ln());
        }
        let d = distribution(&acc, n);
        assert!((d.mean - 1.0).abs() < 1e-3, "{}", d.mean);
        assert!((d.sd - 1.0).abs() < 5e-3, "{}", d.sd);
        let p95 = d.quantile(0.95).unwrap();
        assert!((p95.value / 20f64.ln() - 1.0).abs() < 0.006, "{p95:?}");
        assert!(p95.ci95.low <= p95.value && p95.value <= p95.ci95.high);
        assert!(
            (d.cvar95.value / (1.0 + 20f64.ln()) - 1.0).abs() < 0.006,
            "{:?}",
            d.cvar95
        );
        // CVaR of Exp(1): tail var = 1, (CVaR − VaR)² = 1 → se = √((1 + 0.95)/(n·0.05)).
        let expected_se = ((1.0 + 0.95) / (n as f64 * 0.05)).sqrt();
        assert!(
            (d.cvar95.se / expected_se - 1.0).abs() < 0.05,
            "{} vs {}",
            d.cvar95.se,
            expected_se
        );
    }
}
