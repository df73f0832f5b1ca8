//! The per-path scalar values of many paths (worst-year shares, totals, month counts, …), folded
//! into a run accumulator's histograms one histogram at a time instead of one scattered update
//! per value.
//!
//! A chunk's accumulator has about a thousand scalar histograms of a few to tens of kilobytes
//! each; a path adds to a hundred of them, so adding as it comes misses the cache at almost
//! every value (most of the fold's time). The batch keeps (histogram id, value) pairs of many
//! paths, groups them by histogram with a counting sort and records each group with
//! `LogHistogram::record_all`, while that histogram's bins are in cache. The result is the
//! accumulator `RunAccumulator::add` gives, to the bit: bin counts are integers (their order
//! does not matter), the bins grow to the same range (the union of the values' bins), and the
//! sums and sums of squares are still added path by path, in path order, by `add_batched`.

use super::accumulator::{HistSink, RunAccumulator, CELL_SCALARS};
use super::group::ById;
use super::histogram::LogHistogram;

/// Values held before they are folded: bounds the batch's memory (12 bytes a value).
///
/// 16,384 (about 320 kB with the grouping buffers, per worker): the batch is folded more often
/// than at 65,536, but each fold still records hundreds of values per histogram touched.
const CAPACITY: usize = 1 << 14;

/// The pending scalar-histogram values of consecutive paths. Reused: its buffers keep their
/// capacity, so a warm batch does not allocate.
#[derive(Debug, Default)]
pub struct ScalarBatch {
    /// Histogram id of each pending value (`RunAccumulator::scalars_mut` order), and the value.
    ids: Vec<u32>,
    values: Vec<f64>,
    /// The pending values grouped by histogram id.
    grouped: ById,
}

impl HistSink for ScalarBatch {
    #[inline]
    fn record(&mut self, _hist: &mut LogHistogram, id: usize, v: f64) {
        self.ids.push(id as u32);
        self.values.push(v);
    }
}

impl ScalarBatch {
    /// Whether the batch should be folded before the next path (it is nearly full). A path adds
    /// at most 11 values per cell, 2 per bloc, 1 per material and 1 per price floor.
    pub fn is_full(&self, acc: &RunAccumulator) -> bool {
        let per_path = acc.cells.len() * CELL_SCALARS
            + acc.blocs.len() * 2
            + acc.peak_price_excess.len()
            + acc.floor_cost_usd.len();
        self.ids.len() + per_path > CAPACITY
    }

    /// Record every pending value into `acc`'s histograms and empty the batch.
    pub fn fold_into(&mut self, acc: &mut RunAccumulator) {
        if self.ids.is_empty() {
            return;
        }
        let total = acc.scalars_mut().count();
        self.grouped.sort(&self.ids, &self.values, total);
        for (id, s) in acc.scalars_mut().enumerate() {
            let values = self.grouped.group(id);
            if !values.is_empty() {
                s.hist.record_all(values);
            }
        }
        self.ids.clear();
        self.values.clear();
    }
}
