//! A mergeable log-binned histogram of positive values, with zeros counted implicitly.
//!
//! Most disruption paths have no shortfall at all, so zeros are not stored: a histogram knows how
//! many positive values it holds, and the caller supplies the total number of observations when it
//! asks for a quantile. Positive values fall in bins whose edges grow geometrically by `gamma`, as in
//! HdrHistogram and DDSketch (Masson, Rim & Lee, "DDSketch", VLDB 2019): a value is reported as the
//! geometric midpoint of its bin, so every quantile carries a relative error of at most
//! `(gamma - 1) / 2` (0.5% for gamma = 1.01), whatever the range. Counts are integers, so merging
//! is exact, associative and commutative: shards run anywhere merge to the same histogram.

use serde::{Deserialize, Serialize};

/// Values below this are treated as zero (a shortfall of a microgram is no shortfall).
pub const MIN_POSITIVE: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogHistogram {
    /// Bin growth factor; bin `i` covers `[gamma^i, gamma^(i+1))`.
    pub gamma: f64,
    /// Index of `counts[0]`.
    pub offset: i32,
    pub counts: Vec<u64>,
    /// Number of positive values recorded (the sum of `counts`).
    pub positives: u64,
}

impl LogHistogram {
    pub fn new(gamma: f64) -> Self {
        debug_assert!(gamma > 1.0);
        LogHistogram {
            gamma,
            offset: 0,
            counts: Vec::new(),
            positives: 0,
        }
    }

    #[inline]
    fn index(&self, v: f64) -> i32 {
        (v.ln() / self.gamma.ln()).floor() as i32
    }

    /// Record one value; zero, negative and non-finite values are ignored (they count as zero).
    #[inline]
    pub fn record(&mut self, v: f64) {
        self.record_n(v, 1);
    }

    pub fn record_n(&mut self, v: f64, n: u64) {
        if !(v >= MIN_POSITIVE && v.is_finite()) || n == 0 {
            return;
        }
        let i = self.index(v);
        if self.counts.is_empty() {
            self.offset = i;
            self.counts.push(0);
        } else if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        } else if i >= self.offset + self.counts.len() as i32 {
            self.counts.resize((i - self.offset + 1) as usize, 0);
        }
        self.counts[(i - self.offset) as usize] += n;
        self.positives += n;
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        for (k, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                let mid = self.bin_value(other.offset + k as i32);
                self.record_n(mid, c);
            }
        }
    }

    /// Representative value of bin `i`: the geometric midpoint, so relative error is symmetric.
    #[inline]
    pub fn bin_value(&self, i: i32) -> f64 {
        self.gamma.powf(i as f64 + 0.5)
    }

    /// Largest relative error of a reported quantile.
    pub fn relative_error(&self) -> f64 {
        (self.gamma.sqrt() - 1.0).max(1.0 - 1.0 / self.gamma.sqrt())
    }

    /// Value of the observation with 0-based rank `rank` among `total` observations sorted
    /// ascending, the first `total - positives` of which are zero.
    pub fn value_at_rank(&self, rank: u64, total: u64) -> f64 {
        let zeros = total.saturating_sub(self.positives);
        if rank < zeros {
            return 0.0;
        }
        let mut left = rank - zeros;
        for (k, &c) in self.counts.iter().enumerate() {
            if left < c {
                return self.bin_value(self.offset + k as i32);
            }
            left -= c;
        }
        self.counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(0.0, |k| self.bin_value(self.offset + k as i32))
    }

    /// The q-quantile (lower empirical quantile: the value at rank ceil(q n) - 1).
    pub fn quantile(&self, q: f64, total: u64) -> f64 {
        if total == 0 {
            return f64::NAN;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total) - 1;
        self.value_at_rank(rank, total)
    }

    /// Sum and sum of squares of the values at or above rank `from_rank` (bin midpoints), and
    /// how many there are: what CVaR and its standard error need.
    pub fn tail_moments(&self, from_rank: u64, total: u64) -> (f64, f64, u64) {
        let zeros = total.saturating_sub(self.positives);
        let mut sum = 0.0;
        let mut sum_sq = 0.0;
        let mut count = 0;
        let mut rank = zeros;
        if from_rank < zeros {
            count += zeros - from_rank;
        }
        for (k, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let lo = rank;
            let hi = rank + c;
            rank = hi;
            if hi <= from_rank {
                continue;
            }
            let take = hi - lo.max(from_rank);
            let v = self.bin_value(self.offset + k as i32);
            sum += v * take as f64;
            sum_sq += v * v * take as f64;
            count += take;
        }
        (sum, sum_sq, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_values_are_within_the_stated_relative_error() {
        let mut h = LogHistogram::new(1.01);
        // 1..=1000: the q-quantile is ceil(1000 q).
        for v in 1..=1000 {
            h.record(v as f64);
        }
        for (q, exact) in [
            (0.5, 500.0),
            (0.9, 900.0),
            (0.95, 950.0),
            (0.99, 990.0),
            (0.001, 1.0),
        ] {
            let got = h.quantile(q, 1000);
            assert!(
                (got / exact - 1.0).abs() <= h.relative_error() + 1e-12,
                "q={q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn zeros_are_implicit() {
        let mut h = LogHistogram::new(1.01);
        for _ in 0..10 {
            h.record(5.0);
        }
        h.record(0.0); // ignored
        assert_eq!(h.positives, 10);
        // 90 zeros + 10 fives.
        assert_eq!(h.quantile(0.9, 100), 0.0);
        assert!((h.quantile(0.91, 100) / 5.0 - 1.0).abs() < 0.005);
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let values: Vec<f64> = (1..500)
            .map(|i| (i as f64 * 0.37).sin().abs() * 1e3 + 1e-3)
            .collect();
        let mut whole = LogHistogram::new(1.02);
        let mut a = LogHistogram::new(1.02);
        let mut b = LogHistogram::new(1.02);
        for (i, &v) in values.iter().enumerate() {
            whole.record(v);
            if i % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab.positives, whole.positives);
        for q in [0.1, 0.5, 0.9, 0.99] {
            assert_eq!(ab.quantile(q, 600), whole.quantile(q, 600));
            assert_eq!(ba.quantile(q, 600), whole.quantile(q, 600));
        }
    }

    #[test]
    fn tail_moments_count_the_tail() {
        let mut h = LogHistogram::new(1.001);
        for v in [1.0, 2.0, 3.0, 4.0] {
            h.record(v);
        }
        // 6 zeros then 1,2,3,4: ranks 8 and 9 are 3 and 4.
        let (sum, _, n) = h.tail_moments(8, 10);
        assert_eq!(n, 2);
        assert!((sum - 7.0).abs() < 0.01);
        let (sum, _, n) = h.tail_moments(4, 10);
        assert_eq!(n, 6);
        assert!((sum - 10.0).abs() < 0.02);
    }
}
