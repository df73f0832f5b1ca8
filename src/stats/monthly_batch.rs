//! Monthly fan-chart points of many paths, folded into a run accumulator's histograms in one
//! pass per histogram instead of one scattered update per point.
//!
//! A run has one histogram per (series, cell or material, month), thousands in all: folding each
//! path's points as they come touches a different histogram at every point, and most of the
//! time goes in cache misses and in growing bins one at a time. The batch keeps the points of
//! many paths, then groups them by histogram with a stable counting sort and records each
//! group at once. The result is the accumulator `RunAccumulator::add` would give, to the bit:
//! counts are integers (their order does not matter), and each monthly sum still adds its
//! values in path order (the sort is stable).

use super::accumulator::{MonthlyAcc, MonthlyPoint, RunAccumulator, Series, MONTHLY_FLOOR};
use super::group::ById;

/// Points held before they are folded: bounds the batch's memory (16 bytes a point).
///
/// 16,384 (about 320 kB with the grouping buffers, per worker): the batch is folded more often
/// than at 65,536, but each fold still records hundreds of values per histogram touched.
const CAPACITY: usize = 1 << 14;

/// The pending monthly points of consecutive paths. Reused: its buffers keep their capacity.
#[derive(Debug, Default)]
pub struct MonthlyBatch {
    /// Histogram id of each pending point (series block, then index, then month), and its value.
    ids: Vec<u32>,
    values: Vec<f64>,
    /// The pending values grouped by histogram id.
    grouped: ById,
}

/// The first histogram id of each series, in `Series` order, and the total.
fn blocks(acc: &RunAccumulator, months: usize) -> ([usize; 4], usize) {
    let sizes = [
        acc.shortfall_monthly.len(),
        acc.drawdown_monthly.len(),
        acc.price_up_monthly.len(),
        acc.price_down_monthly.len(),
    ];
    let mut base = [0; 4];
    let mut next = 0;
    for (b, n) in base.iter_mut().zip(sizes) {
        *b = next;
        next += n * months;
    }
    (base, next)
}

fn series_index(s: Series) -> usize {
    match s {
        Series::Shortfall => 0,
        Series::StockDrawdown => 1,
        Series::PriceUp => 2,
        Series::PriceDown => 3,
    }
}

impl MonthlyBatch {
    /// Add one path's points (those `RunAccumulator::add` would fold); folds into `acc` first
    /// when the batch is full, so points always reach `acc` in path order.
    pub fn push(&mut self, acc: &mut RunAccumulator, months: usize, points: &[MonthlyPoint]) {
        if self.ids.len() + points.len() > CAPACITY {
            self.fold_into(acc, months);
        }
        let (base, _) = blocks(acc, months);
        for p in points.iter().filter(|p| p.value >= MONTHLY_FLOOR) {
            let id = base[series_index(p.series)] + p.index as usize * months + p.month as usize;
            self.ids.push(id as u32);
            self.values.push(p.value);
        }
    }

    /// Fold every pending point into `acc` and empty the batch.
    pub fn fold_into(&mut self, acc: &mut RunAccumulator, months: usize) {
        if self.ids.is_empty() {
            return;
        }
        let (_, total) = blocks(acc, months);
        self.grouped.sort(&self.ids, &self.values, total);
        let mut id = 0;
        for series in [
            &mut acc.shortfall_monthly,
            &mut acc.drawdown_monthly,
            &mut acc.price_up_monthly,
            &mut acc.price_down_monthly,
        ] {
            for s in series.iter_mut() {
                for t in 0..months {
                    let values = self.grouped.group(id);
                    if !values.is_empty() {
                        fold_group(s, t, values);
                    }
                    id += 1;
                }
            }
        }
        self.ids.clear();
        self.values.clear();
    }
}

fn fold_group(s: &mut MonthlyAcc, t: usize, values: &[f64]) {
    s.hist[t].record_all(values);
    for &v in values {
        s.sum[t] += v;
    }
}
