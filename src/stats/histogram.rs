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

/// A histogram's bins are held in whichever of two forms takes less memory (a list goes dense
/// as soon as a `record_all` fills a quarter of its range; `shrink_to_fit`, between chunks,
/// picks again): the non-zero bins as a sorted list (8 bytes a bin), or a dense array of counts
/// from the first non-zero bin to the last (2 bytes a bin of the range, see `Bins::Dense`). A
/// chunk's histograms fill few of the bins their range spans (a month count of 1..60 spans
/// 6,000 bins at 10 mantissa bits and fills at most 60), so a dense array alone cost a chunk
/// accumulator about 9 MB where the list takes under 4 MB; a merged histogram of many paths
/// fills most of its range, and the array is then the smaller. The form never shows: equality,
/// quantiles and the written form depend only on the counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "DenseHistogram", from = "DenseHistogram")]
pub struct LogHistogram {
    /// Mantissa bits kept: 2^sub_bits bins per power of two.
    pub sub_bits: u32,
    bins: Bins,
    /// Number of positive values recorded (the sum of the counts).
    pub positives: u64,
}

#[derive(Debug, Clone)]
enum Bins {
    /// The non-zero bins, by ascending bin index.
    Sparse(Vec<Bin>),
    /// Counts of bins `offset..offset + counts.len()`; the first and last are non-zero. A
    /// count that does not fit 16 bits reads `WIDE`, and its bin is in `wide` (ascending):
    /// most bins of even a 10^7-path histogram count fewer than 65,535 values, so 2 bytes a bin
    /// and a few wide bins take half the memory of 4 bytes a bin, whatever the paths.
    Dense {
        offset: u32,
        counts: Vec<u16>,
        wide: Vec<Bin>,
    },
}

/// The dense slot of a bin whose count is held in the wide list.
const WIDE: u16 = u16::MAX;

/// Add `n` to the dense slot of bin `index`: in the slot while the count fits below `WIDE`,
/// else in the wide list.
#[inline]
fn add_to_slot(slot: &mut u16, wide: &mut Vec<Bin>, index: u32, n: u32) {
    let sum = u32::from(*slot) + n;
    if sum < u32::from(WIDE) {
        *slot = sum as u16;
    } else {
        add_wide(slot, wide, index, n);
    }
}

/// `add_to_slot` for a count that is or becomes wide (rare: once per bin and 65,535 values).
#[cold]
fn add_wide(slot: &mut u16, wide: &mut Vec<Bin>, index: u32, n: u32) {
    let k = wide.partition_point(|b| b.index < index);
    if *slot == WIDE {
        wide[k].count += n;
    } else {
        let count = u32::from(*slot) + n;
        wide.insert(k, Bin { index, count });
        *slot = WIDE;
    }
}

/// Grow the dense array of bins `offset..offset + counts.len()` to reach bins `first` and
/// `last` too, in one allocation of exactly that size. A merged histogram grows only when
/// another brings a new extreme: growing by doubling (as `add_to_bin` does for recording, where
/// a range grows bin by bin) would leave slack that `shrink_to_fit` then gives back through
/// another allocation, and the heap of a long run would fill with the holes.
fn grow_exactly(offset: &mut u32, counts: &mut Vec<u16>, first: u32, last: u32) {
    let (lo, end) = if counts.is_empty() {
        (first, last + 1)
    } else {
        (
            first.min(*offset),
            (last + 1).max(*offset + counts.len() as u32),
        )
    };
    if counts.is_empty() || lo < *offset || end > *offset + counts.len() as u32 {
        let mut grown = Vec::with_capacity((end - lo) as usize);
        if !counts.is_empty() {
            grown.resize((*offset - lo) as usize, 0);
            grown.extend_from_slice(counts);
        }
        grown.resize((end - lo) as usize, 0);
        *counts = grown;
        *offset = lo;
    }
}

/// Whether `filled` non-zero bins over a range of `range` bins take less memory as a dense
/// array (2 bytes a bin of the range) than as a list (8 bytes a non-zero bin).
#[inline]
fn dense_pays(range: usize, filled: usize) -> bool {
    range <= 4 * filled
}

/// One non-zero bin. A bin index is the f64's bits shifted right by 52 − sub_bits ≥ 32 places,
/// so it fits 32 bits; u32 counts: a run is capped below 2^32 paths.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bin {
    index: u32,
    count: u32,
}

/// The non-zero bins of either form, ascending.
#[derive(Clone)]
enum BinIter<'a> {
    Sparse(std::slice::Iter<'a, Bin>),
    /// The dense slots, and the wide bins not yet met (they come in the slots' order).
    Dense(
        u32,
        std::iter::Enumerate<std::slice::Iter<'a, u16>>,
        std::slice::Iter<'a, Bin>,
    ),
}

/// Bin `offset + k` of a dense array whose slot `k` is `slot`, its count taken from `wide`
/// when the slot reads `WIDE`.
#[inline]
fn dense_bin(offset: u32, (k, &slot): (usize, &u16), wide: Option<&Bin>) -> Bin {
    if slot == WIDE {
        let bin = *wide.expect("a wide slot has its bin in the wide list");
        debug_assert_eq!(bin.index, offset + k as u32);
        bin
    } else {
        Bin {
            index: offset + k as u32,
            count: u32::from(slot),
        }
    }
}

impl Iterator for BinIter<'_> {
    type Item = Bin;
    #[inline]
    fn next(&mut self) -> Option<Bin> {
        match self {
            BinIter::Sparse(it) => it.next().copied(),
            BinIter::Dense(offset, it, wide) => {
                let slot = it.find(|(_, &c)| c > 0)?;
                let w = if *slot.1 == WIDE { wide.next() } else { None };
                Some(dense_bin(*offset, slot, w))
            }
        }
    }
}

impl DoubleEndedIterator for BinIter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Bin> {
        match self {
            BinIter::Sparse(it) => it.next_back().copied(),
            BinIter::Dense(offset, it, wide) => {
                let slot = it.rfind(|(_, &c)| c > 0)?;
                let w = if *slot.1 == WIDE {
                    wide.next_back()
                } else {
                    None
                };
                Some(dense_bin(*offset, slot, w))
            }
        }
    }
}

impl PartialEq for LogHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.sub_bits == other.sub_bits
            && self.positives == other.positives
            && self.bins().eq(other.bins())
    }
}

/// The histogram as it is written (shard files): counts of every bin from the first non-zero
/// one (`offset`) to the last, the one layout it had before it had two, so files keep their
/// format.
#[derive(Serialize, Deserialize)]
struct DenseHistogram {
    sub_bits: u32,
    offset: i64,
    counts: Vec<u32>,
    positives: u64,
}

impl From<LogHistogram> for DenseHistogram {
    fn from(h: LogHistogram) -> Self {
        let offset = h.bins().next().map_or(0, |b| i64::from(b.index));
        let len = h
            .bins()
            .next_back()
            .map_or(0, |b| (i64::from(b.index) - offset + 1) as usize);
        let mut counts = vec![0; len];
        for b in h.bins() {
            counts[(i64::from(b.index) - offset) as usize] = b.count;
        }
        DenseHistogram {
            sub_bits: h.sub_bits,
            offset,
            counts,
            positives: h.positives,
        }
    }
}

impl From<DenseHistogram> for LogHistogram {
    fn from(d: DenseHistogram) -> Self {
        let bins = d
            .counts
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .map(|(k, &count)| Bin {
                index: (d.offset + k as i64) as u32,
                count,
            })
            .collect();
        let mut h = LogHistogram {
            sub_bits: d.sub_bits,
            bins: Bins::Sparse(bins),
            positives: d.positives,
        };
        h.shrink_to_fit();
        h
    }
}

/// The 0-based rank of the lower empirical q-quantile of `total` (≥ 1) observations:
/// ceil(q n) - 1.
#[inline]
pub fn quantile_rank(q: f64, total: u64) -> u64 {
    ((q * total as f64).ceil() as u64).clamp(1, total) - 1
}

impl LogHistogram {
    pub fn new(sub_bits: u32) -> Self {
        debug_assert!((1..=20).contains(&sub_bits));
        LogHistogram {
            sub_bits,
            bins: Bins::Sparse(Vec::new()),
            positives: 0,
        }
    }

    #[inline]
    fn shift(&self) -> u32 {
        52 - self.sub_bits
    }

    #[inline]
    fn index(&self, v: f64) -> u32 {
        (v.to_bits() >> self.shift()) as u32
    }

    /// The non-zero bins, ascending.
    fn bins(&self) -> BinIter<'_> {
        match &self.bins {
            Bins::Sparse(bins) => BinIter::Sparse(bins.iter()),
            Bins::Dense {
                offset,
                counts,
                wide,
            } => BinIter::Dense(*offset, counts.iter().enumerate(), wide.iter()),
        }
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
        self.add_to_bin(i, n as u32);
        self.positives += n;
    }

    /// Add `n` to bin `index`, creating it if it is new (a dense array grows to reach it; a
    /// sparse list gets no bin for `n == 0`).
    #[inline]
    fn add_to_bin(&mut self, index: u32, n: u32) {
        match &mut self.bins {
            Bins::Sparse(bins) => match bins.binary_search_by_key(&index, |b| b.index) {
                Ok(k) => bins[k].count += n,
                Err(k) if n > 0 => bins.insert(k, Bin { index, count: n }),
                Err(_) => {}
            },
            Bins::Dense {
                offset,
                counts,
                wide,
            } => {
                if counts.is_empty() {
                    *offset = index;
                    counts.push(0);
                } else if index < *offset {
                    let grow = (*offset - index) as usize;
                    counts.splice(0..0, std::iter::repeat_n(0, grow));
                    *offset = index;
                } else if index as usize >= *offset as usize + counts.len() {
                    counts.resize((index - *offset) as usize + 1, 0);
                }
                add_to_slot(&mut counts[(index - *offset) as usize], wide, index, n);
            }
        }
    }

    /// Record many values at once: the same histogram as `record` on each in turn.
    pub fn record_all(&mut self, values: &[f64]) {
        let shift = self.shift();
        let positive = |v: f64| v >= MIN_POSITIVE && v.is_finite();
        if let Bins::Dense { .. } = self.bins {
            // Grow to the values' range once, then count in place.
            let (mut lo, mut hi) = (u32::MAX, 0);
            for &v in values.iter().filter(|&&v| positive(v)) {
                let i = (v.to_bits() >> shift) as u32;
                (lo, hi) = (lo.min(i), hi.max(i));
            }
            if lo > hi {
                return;
            }
            self.add_to_bin(lo, 0);
            self.add_to_bin(hi, 0);
        }
        let mut n = 0u64;
        if let Bins::Dense {
            offset,
            counts,
            wide,
        } = &mut self.bins
        {
            for &v in values.iter().filter(|&&v| positive(v)) {
                let index = (v.to_bits() >> shift) as u32;
                add_to_slot(&mut counts[(index - *offset) as usize], wide, index, 1);
                n += 1;
            }
        } else {
            for &v in values.iter().filter(|&&v| positive(v)) {
                self.add_to_bin((v.to_bits() >> shift) as u32, 1);
                n += 1;
            }
            // A list that a dense array would hold in less memory goes dense now rather than
            // at the next `shrink_to_fit`: a busy histogram then counts by index, not by
            // binary search.
            if let Bins::Sparse(bins) = &self.bins {
                if let (Some(first), Some(last)) = (bins.first(), bins.last()) {
                    if dense_pays((last.index - first.index) as usize + 1, bins.len()) {
                        self.go_dense();
                    }
                }
            }
        }
        self.positives += n;
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        debug_assert_eq!(self.sub_bits, other.sub_bits);
        let (Some(first), Some(last)) = (other.bins().next(), other.bins().next_back()) else {
            return;
        };
        let mut added = 0u64;
        if let Bins::Dense {
            offset,
            counts,
            wide,
        } = &mut self.bins
        {
            // Grown to both ranges at once, every bin of `other` has its slot: count in place
            // (the merge runs between chunk groups, while the workers wait).
            grow_exactly(offset, counts, first.index, last.index);
            for b in other.bins() {
                let slot = &mut counts[(b.index - *offset) as usize];
                add_to_slot(slot, wide, b.index, b.count);
                added += u64::from(b.count);
            }
        } else if let Bins::Sparse(bins) = &mut self.bins {
            // Room for exactly the bins `bins` lacks, then a merge of the two ascending
            // lists from the back, in place.
            let (mut a, mut new) = (0, 0);
            for b in other.bins() {
                while a < bins.len() && bins[a].index < b.index {
                    a += 1;
                }
                if a == bins.len() || bins[a].index != b.index {
                    new += 1;
                }
            }
            let old = bins.len();
            bins.reserve_exact(new);
            bins.resize(old + new, Bin { index: 0, count: 0 });
            let theirs: Vec<Bin> = match &other.bins {
                Bins::Sparse(_) => Vec::new(),
                Bins::Dense { .. } => other.bins().collect(),
            };
            let theirs: &[Bin] = match &other.bins {
                Bins::Sparse(o) => o,
                Bins::Dense { .. } => &theirs,
            };
            let (mut i, mut j, mut out) = (old, theirs.len(), old + new);
            while j > 0 {
                let t = theirs[j - 1];
                out -= 1;
                if i > 0 && bins[i - 1].index > t.index {
                    bins[out] = bins[i - 1];
                    i -= 1;
                } else {
                    let mut bin = t;
                    if i > 0 && bins[i - 1].index == t.index {
                        bin.count += bins[i - 1].count;
                        i -= 1;
                    }
                    bins[out] = bin;
                    added += u64::from(t.count);
                    j -= 1;
                }
            }
        }
        self.positives += added;
    }

    /// Give back the room growth left, holding the bins in the smaller form: dense once that
    /// takes no more memory than the list (`dense_pays`), back to a list when the array takes
    /// twice the list's memory (the non-zero bins fill under an eighth of the range), so a
    /// histogram near the line does not change form at every merge. The histogram itself is
    /// unchanged.
    pub fn shrink_to_fit(&mut self) {
        let (Some(first), Some(last)) = (self.bins().next(), self.bins().next_back()) else {
            self.bins = Bins::Sparse(Vec::new());
            return;
        };
        let range = (last.index - first.index) as usize + 1;
        let filled = match &self.bins {
            Bins::Sparse(bins) => bins.len(),
            Bins::Dense { counts, .. } => counts.iter().filter(|&&c| c > 0).count(),
        };
        let dense = matches!(self.bins, Bins::Dense { .. });
        if !dense && dense_pays(range, filled) {
            self.go_dense();
        } else if dense && !dense_pays(range, 2 * filled) {
            self.bins = Bins::Sparse(self.bins().collect());
        }
        match &mut self.bins {
            Bins::Sparse(bins) => bins.shrink_to_fit(),
            Bins::Dense { counts, wide, .. } => {
                counts.shrink_to_fit();
                wide.shrink_to_fit();
            }
        }
    }

    /// Hold the (non-empty) bins as a dense array over their range.
    fn go_dense(&mut self) {
        let (Some(first), Some(last)) = (self.bins().next(), self.bins().next_back()) else {
            return;
        };
        let mut counts = vec![0; (last.index - first.index) as usize + 1];
        let mut wide = Vec::new();
        for b in self.bins() {
            add_to_slot(
                &mut counts[(b.index - first.index) as usize],
                &mut wide,
                b.index,
                b.count,
            );
        }
        self.bins = Bins::Dense {
            offset: first.index,
            counts,
            wide,
        };
    }

    /// Bytes this histogram holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        match &self.bins {
            Bins::Sparse(bins) => bins.capacity() * std::mem::size_of::<Bin>(),
            Bins::Dense { counts, wide, .. } => {
                counts.capacity() * std::mem::size_of::<u16>()
                    + wide.capacity() * std::mem::size_of::<Bin>()
            }
        }
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
        for b in self.bins() {
            let c = u64::from(b.count);
            if left < c {
                return self.bin_value(i64::from(b.index));
            }
            left -= c;
        }
        self.bins()
            .next_back()
            .map_or(0.0, |b| self.bin_value(i64::from(b.index)))
    }

    /// `value_at_rank` of every rank of `ranks` (in any order) into `out`, in one walk of the
    /// bins: a summary reads 17 ranks of each distribution, and one walk per rank made the
    /// walks the bulk of a summary's time. Each rank gets the bin `value_at_rank` gives it (the
    /// first whose cumulative count, zeros included, passes the rank; the last bin past them all).
    pub fn values_at_ranks(&self, ranks: &[u64], total: u64, out: &mut [f64]) {
        debug_assert_eq!(ranks.len(), out.len());
        let zeros = total.saturating_sub(self.positives);
        let mut order: Vec<usize> = (0..ranks.len()).collect();
        order.sort_unstable_by_key(|&k| ranks[k]);
        let mut bins = self.bins();
        // Ranks below `passed` fall in bins already walked; `value` is the last bin walked.
        let (mut passed, mut value) = (zeros, 0.0);
        for k in order {
            let rank = ranks[k];
            if rank < zeros {
                out[k] = 0.0;
                continue;
            }
            while rank >= passed {
                match bins.next() {
                    Some(b) => {
                        passed += u64::from(b.count);
                        value = self.bin_value(i64::from(b.index));
                    }
                    None => {
                        // Past every bin: the last one (0 with none), as `value_at_rank` says.
                        passed = u64::MAX;
                        value = self
                            .bins()
                            .next_back()
                            .map_or(0.0, |b| self.bin_value(i64::from(b.index)));
                    }
                }
            }
            out[k] = value;
        }
    }

    /// The q-quantile (lower empirical quantile: the value at rank ceil(q n) - 1).
    pub fn quantile(&self, q: f64, total: u64) -> f64 {
        if total == 0 {
            return f64::NAN;
        }
        self.value_at_rank(quantile_rank(q, total), total)
    }

    /// `quantile` of every level of `qs` into `out`, in one walk of the bins.
    pub fn quantiles(&self, qs: &[f64], total: u64, out: &mut [f64]) {
        if total == 0 {
            out.fill(f64::NAN);
            return;
        }
        let ranks: Vec<u64> = qs.iter().map(|&q| quantile_rank(q, total)).collect();
        self.values_at_ranks(&ranks, total, out);
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
        for b in self.bins() {
            let c = u64::from(b.count);
            let lo = rank;
            let hi = rank + c;
            rank = hi;
            if hi <= from_rank {
                continue;
            }
            let take = hi - lo.max(from_rank);
            let v = self.bin_value(i64::from(b.index));
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

    /// Held as a list or as a dense array (`shrink_to_fit` picks), merged either way round, or
    /// written and read back: the same histogram, equal, with the same quantiles.
    #[test]
    fn the_two_forms_hold_the_same_histogram() {
        let values: Vec<f64> = (1..3000)
            .map(|i| ((i as f64 * 0.61).sin().abs() * 50.0).floor() + 1.0)
            .collect();
        let mut whole = LogHistogram::new(10);
        whole.record_all(&values);
        let mut held = whole.clone();
        held.shrink_to_fit();
        assert!(
            matches!(held.bins, Bins::Sparse(_)),
            "50 of 5,800 bins filled"
        );
        let mut parts = [LogHistogram::new(10), LogHistogram::new(10)];
        for (i, &v) in values.iter().enumerate() {
            parts[i % 2].record(v);
        }
        // A wide and sparse one, and a narrow and full one (held dense).
        let mut narrow = LogHistogram::new(3);
        narrow.record_all(&[1.0, 1.2, 1.4, 1.6, 1.8, 1.9, 2.0, 2.5, 3.0, 3.5]);
        narrow.shrink_to_fit();
        assert!(matches!(narrow.bins, Bins::Dense { .. }));
        let mut wide = LogHistogram::new(3);
        wide.record_all(&[1e-3, 1.5, 3.0, 1e3]);
        let (mut nw, mut wn) = (narrow.clone(), wide.clone());
        nw.merge(&wide);
        wn.merge(&narrow);
        let mut all = LogHistogram::new(3);
        all.record_all(&[
            1.0, 1.2, 1.4, 1.6, 1.8, 1.9, 2.0, 2.5, 3.0, 3.5, 1e-3, 1.5, 3.0, 1e3,
        ]);
        assert_eq!(nw, all);
        assert_eq!(wn, all);
        for q in [0.01, 0.3, 0.5, 0.93, 1.0] {
            assert_eq!(nw.quantile(q, 20), all.quantile(q, 20));
            assert_eq!(wn.tail_moments(12, 20), all.tail_moments(12, 20));
        }
        let text = serde_json::to_string(&nw).unwrap();
        assert!(text.starts_with(r#"{"sub_bits":3,"offset":"#), "{text}");
        let back: LogHistogram = serde_json::from_str(&text).unwrap();
        assert_eq!(back, all);
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
        assert_eq!(held, whole);
        let mut joined = parts[0].clone();
        joined.shrink_to_fit();
        joined.merge(&parts[1]);
        assert_eq!(joined, whole);
    }

    /// Counts past 16 bits (held wide in a dense array), reached by recording, by merging
    /// either way round and by reading back: the histogram a list holds.
    #[test]
    fn counts_past_sixteen_bits_are_kept_whole() {
        let many = vec![2.0; 70_000];
        let mut dense = LogHistogram::new(3);
        dense.record_all(&[1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 3.0]);
        dense.shrink_to_fit();
        assert!(matches!(dense.bins, Bins::Dense { .. }));
        dense.record_all(&many);
        dense.record_n(3.0, 65_534);
        let mut list = LogHistogram::new(3);
        for v in [1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 3.0] {
            list.record(v); // one by one: a list stays a list
        }
        list.record_n(2.0, 70_000);
        list.record_n(3.0, 65_534);
        assert!(matches!(list.bins, Bins::Sparse(_)));
        assert_eq!(dense, list);
        let wide: Vec<Bin> = dense.bins().filter(|b| b.count >= 65_535).collect();
        let (two, three) = (dense.index(2.0), dense.index(3.0));
        assert_eq!(
            wide,
            [
                Bin {
                    index: two,
                    count: 70_001
                },
                Bin {
                    index: three,
                    count: 65_535
                }
            ]
        );
        let (mut dl, mut ld) = (dense.clone(), list.clone());
        dl.merge(&list);
        ld.merge(&dense);
        ld.shrink_to_fit();
        assert!(matches!(ld.bins, Bins::Dense { .. }));
        assert_eq!(dl, ld);
        assert_eq!(dl.bins().find(|b| b.index == two).unwrap().count, 140_002);
        assert_eq!(
            dl.quantile(0.5, dl.positives),
            dense.quantile(0.5, dense.positives)
        );
        let back: LogHistogram =
            serde_json::from_str(&serde_json::to_string(&dl).unwrap()).unwrap();
        assert_eq!(back, dl);
        assert_eq!(back.bins().next_back(), dl.bins().next_back());
    }

    /// A merge that brings new extremes at both ends grows a dense array once, to exactly the
    /// union of the ranges: a merged histogram kept for a whole run holds no growth slack.
    #[test]
    fn a_merge_grows_a_dense_array_exactly() {
        let mut kept = LogHistogram::new(3);
        kept.record_all(&[2.0, 2.3, 2.6, 2.9]);
        assert!(matches!(kept.bins, Bins::Dense { .. }));
        let mut other = LogHistogram::new(3);
        other.record_all(&[1.0, 8.0]);
        kept.merge(&other);
        let range = kept.index(8.0) - kept.index(1.0) + 1;
        assert_eq!(kept.heap_bytes(), 2 * range as usize);
        assert_eq!(kept.positives, 6);
    }

    /// One walk for many ranks reads what one walk per rank reads, for every rank (and ranks
    /// past the last, which read the last bin), asked in any order, of histograms held as a
    /// list, as a dense array, with counts held wide, and empty; and `quantiles` is `quantile`.
    #[test]
    fn one_walk_reads_every_rank_as_one_walk_per_rank_does() {
        let mut list = LogHistogram::new(10);
        for v in [0.5, 3.0, 3.0, 7.5, 1e3, 2e3, 2e3, 2e3] {
            list.record(v);
        }
        assert!(matches!(list.bins, Bins::Sparse(_)));
        let mut dense = LogHistogram::new(4);
        let values: Vec<f64> = (1..400)
            .map(|i| 1.0 + (i as f64 * 0.37).sin().abs())
            .collect();
        dense.record_all(&values);
        assert!(matches!(dense.bins, Bins::Dense { .. }));
        let mut wide = dense.clone();
        wide.record_all(&[1.5; 70_000]);
        wide.record_n(1.25, 65_535);
        assert!(matches!(&wide.bins, Bins::Dense { wide, .. } if wide.len() == 2));
        let mut wide_list = LogHistogram::new(10);
        wide_list.record_n(2.0, 70_000);
        wide_list.record_n(9.0, 3);
        let empty = LogHistogram::new(7);
        for h in [&list, &dense, &wide, &wide_list, &empty] {
            for total in [h.positives, h.positives + 5, h.positives * 3 + 1] {
                // Every rank, and two past the last, from the top down.
                let ranks: Vec<u64> = (0..total + 2).rev().collect();
                let mut got = vec![f64::NAN; ranks.len()];
                h.values_at_ranks(&ranks, total, &mut got);
                for (&r, &v) in ranks.iter().zip(&got) {
                    let want = h.value_at_rank(r, total);
                    assert_eq!(v.to_bits(), want.to_bits(), "rank {r} of {total}");
                }
                let qs = [0.999, 0.0, 0.5, 0.05, 1.0, 0.95, 0.5, 0.25];
                let mut got = [f64::NAN; 8];
                h.quantiles(&qs, total, &mut got);
                for (&q, &v) in qs.iter().zip(&got) {
                    let want = h.quantile(q, total);
                    assert_eq!(v.to_bits(), want.to_bits(), "q {q} of {total}");
                }
            }
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
