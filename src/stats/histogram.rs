//! A mergeable log-binned histogram of positive values, with zeros counted implicitly.
//!
//! Most disruption paths have no shortfall at all, so zeros are not stored: a histogram knows how
//! many positive values it holds, and the caller supplies the total number of observations when it
//! asks for a quantile. Positive values fall in log-linear bins read straight off the bits of the
//! f64, as in HdrHistogram (Tene): the exponent and the top `sub_bits` bits of the mantissa name
//! the bin, so each power of two is cut into 2^sub_bits equal bins. A value is reported as the
//! midpoint of its bin, so every quantile carries a relative error of at most 2^-(sub_bits+1)
//! (0.39% for 7 bits), whatever the range, and binning costs a shift, not a logarithm. Bins are
//! the same in every histogram with the same `sub_bits`, and counts are integers, so merging is
//! exact, associative and commutative: shards run anywhere merge to the same histogram.

use serde::{Deserialize, Serialize};

/// Values below this are treated as zero (a shortfall of a microgram is no shortfall).
pub const MIN_POSITIVE: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogHistogram {
    /// Mantissa bits kept: 2^sub_bits bins per power of two.
    pub sub_bits: u32,
    /// Bin index of `counts[0]`.
    pub offset: i64,
    /// u32 halves the memory of the many monthly histograms; a run is capped below 2^32 paths.
    pub counts: Vec<u32>,
    /// Number of positive values recorded (the sum of `counts`).
    pub positives: u64,
}

impl LogHistogram {
    pub fn new(sub_bits: u32) -> Self {
        debug_assert!((1..=20).contains(&sub_bits));
        LogHistogram {
            sub_bits,
            offset: 0,
            counts: Vec::new(),
            positives: 0,
        }
    }

    #[inline]
    fn shift(&self) -> u32 {
        52 - self.sub_bits
    }

    #[inline]
    fn index(&self, v: f64) -> i64 {
        (v.to_bits() >> self.shift()) as i64
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
        self.add_to_bin(i, n);
    }

    fn add_to_bin(&mut self, i: i64, n: u64) {
        if self.counts.is_empty() {
            self.offset = i;
            self.counts.push(0);
        } else if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        } else if i >= self.offset + self.counts.len() as i64 {
            self.counts.resize((i - self.offset + 1) as usize, 0);
        }
        self.counts[(i - self.offset) as usize] += n as u32;
        self.positives += n;
    }

    /// Record many values at once: the same histogram as `record` on each in turn, but the bins
    /// are grown once to the range the values need instead of value by value.
    pub fn record_all(&mut self, values: &[f64]) {
        let (mut lo, mut hi, mut n) = (i64::MAX, i64::MIN, 0u64);
        for &v in values {
            if v >= MIN_POSITIVE && v.is_finite() {
                let i = self.index(v);
                lo = lo.min(i);
                hi = hi.max(i);
                n += 1;
            }
        }
        if n == 0 {
            return;
        }
        // Grow to cover [lo, hi] as adding to both ends would (the counts stay where they are).
        self.add_to_bin(lo, 0);
        self.add_to_bin(hi, 0);
        let (shift, offset) = (self.shift(), self.offset);
        for &v in values {
            if v >= MIN_POSITIVE && v.is_finite() {
                self.counts[((v.to_bits() >> shift) as i64 - offset) as usize] += 1;
            }
        }
        self.positives += n;
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        debug_assert_eq!(self.sub_bits, other.sub_bits);
        // The other's first and last bins hold counts (bins only grow to a recorded value), so
        // growing to them gives the range adding bin by bin would; then add slice to slice.
        let (Some(first), Some(last)) = (
            other.counts.iter().position(|&c| c > 0),
            other.counts.iter().rposition(|&c| c > 0),
        ) else {
            return;
        };
        let (lo, hi) = (other.offset + first as i64, other.offset + last as i64);
        self.add_to_bin(lo, 0);
        self.add_to_bin(hi, 0);
        let at = (lo - self.offset) as usize;
        let mut added = 0u64;
        for (a, &c) in self.counts[at..=at + last - first]
            .iter_mut()
            .zip(&other.counts[first..=last])
        {
            *a += c;
            added += c as u64;
        }
        self.positives += added;
    }

    /// Give back the room growth left beyond the bins in use (growth doubles the allocation, so
    /// up to half of it can be spare); the histogram itself is unchanged.
    pub fn shrink_to_fit(&mut self) {
        self.counts.shrink_to_fit();
    }

    /// Representative value of bin `i`: the midpoint of its range.
    #[inline]
    pub fn bin_value(&self, i: i64) -> f64 {
        let lo = f64::from_bits((i as u64) << self.shift());
        let hi = f64::from_bits(((i + 1) as u64) << self.shift());
        0.5 * (lo + hi)
    }

    /// Largest relative error of a reported quantile.
    pub fn relative_error(&self) -> f64 {
        0.5f64.powi(self.sub_bits as i32 + 1)
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
            let c = c as u64;
            if left < c {
                return self.bin_value(self.offset + k as i64);
            }
            left -= c;
        }
        self.counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(0.0, |k| self.bin_value(self.offset + k as i64))
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
            let c = c as u64;
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
            let v = self.bin_value(self.offset + k as i64);
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
        let mut h = LogHistogram::new(7);
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
        let mut h = LogHistogram::new(7);
        for _ in 0..10 {
            h.record(5.0);
        }
        h.record(0.0); // ignored
        assert_eq!(h.positives, 10);
        // 90 zeros + 10 fives.
        assert_eq!(h.quantile(0.9, 100), 0.0);
        assert!((h.quantile(0.91, 100) / 5.0 - 1.0).abs() <= h.relative_error());
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let values: Vec<f64> = (1..500)
            .map(|i| (i as f64 * 0.37).sin().abs() * 1e3 + 1e-3)
            .collect();
        let mut whole = LogHistogram::new(6);
        let mut a = LogHistogram::new(6);
        let mut b = LogHistogram::new(6);
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
        let mut h = LogHistogram::new(12);
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
