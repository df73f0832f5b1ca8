//! What one path reports (`PathRecord`) and the mergeable accumulator it folds into.
//!
//! The kernel fills a `PathRecord` per path; `RunAccumulator::add` folds it; accumulators of
//! disjoint path ranges `merge` into the accumulator of their union. Memory does not grow with
//! the number of paths: moments are sums, distributions are `LogHistogram`s, and paths with
//! nothing to report (no shortfall and no import gap anywhere) cost a counter increment.

use serde::{Deserialize, Serialize};

use super::histogram::LogHistogram;
use super::metric::Subject;
use super::param_sets::{self, SetCounts};
use super::scalar_batch::ScalarBatch;
use super::tail::{AttributionEntry, TailAcc};

/// Histogram resolution for headline distributions: quantiles within ±0.39%.
pub const SUB_BITS_HEADLINE: u32 = 7;
/// Histogram resolution for month counts: bins narrower than one month up to 1,024 months, so
/// counts are recovered exactly by rounding down.
pub const SUB_BITS_MONTHS: u32 = 10;
/// Histogram resolution for monthly fan-chart series: quantiles within ±1.6%.
pub const SUB_BITS_MONTHLY: u32 = 5;
/// Monthly fan-chart values below this count as zero: it keeps the histograms' range, and so
/// their memory, bounded (a millionth of a month's demand is no visible shortfall).
pub const MONTHLY_FLOOR: f64 = 1e-6;
/// Shortfall thresholds, as shares of a year's demand, whose exceedance probabilities are counted.
pub const THRESHOLDS: [f64; 3] = [0.05, 0.10, 0.25];

/// Names of what is being accumulated: built from the model by the simulation layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Layout {
    pub blocs: Vec<String>,
    pub materials: Vec<String>,
    pub units: Vec<String>,
    /// (bloc index, material index) per cell, in the kernel's cell order.
    pub cells: Vec<(usize, usize)>,
    pub cell_has_stockpile: Vec<bool>,
    /// Base price per material, USD/t, for value-weighted bloc totals.
    pub base_price: Vec<f64>,
    pub floors: Vec<String>,
    pub months: usize,
    pub month_labels: Vec<String>,
    /// Disruption process names, in model order (tail attribution names them).
    #[serde(default)]
    pub processes: Vec<String>,
    /// Parameter sets K of `run --parameter-sets` (0: off).
    #[serde(default)]
    pub parameter_sets: u32,
    /// Links (bloc × material × stage) whose single-supplier cap is watched.
    #[serde(default)]
    pub cap_watch: Vec<CapWatchName>,
    /// Per watched link and month: whether the cap is breached in a calm month (no disruption),
    /// i.e. by the sourcing mix itself. The kernel reports only months that differ from this.
    #[serde(default)]
    pub calm_breach: Vec<Vec<bool>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CapWatchName {
    pub bloc: String,
    pub material: String,
    pub stage: String,
    pub level: f64,
}

/// One cell's (bloc × material) outcome on one path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellRecord {
    pub total_short_t: f64,
    /// Baseline demand over the horizon (before substitution), tonnes.
    pub total_demand_t: f64,
    pub worst_year_short_t: f64,
    /// Shortfall of the worst simulated year as a share of that year's demand.
    pub worst_year_share: f64,
    pub peak_month_share: f64,
    pub months_short: u32,
    /// Longest run of consecutive months in shortfall: time to recovery.
    pub longest_run_months: u32,
    pub first_short_month: Option<u32>,
    pub stock_depleted_month: Option<u32>,
    /// Import gap over the horizon (months whose import gap exceeds 0.01% of demand), tonnes.
    pub import_gap_t: f64,
    /// Import gap of the worst year as a share of that year's demand.
    pub worst_year_import_gap_share: f64,
}

impl CellRecord {
    pub fn any_short(&self) -> bool {
        self.months_short > 0
    }
}

/// Which monthly series a sparse point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Shortfall as a share of the month's demand, per cell.
    Shortfall,
    /// Stockpile below target, as a share of target, per cell.
    StockDrawdown,
    /// Price above base (ratio − 1), per material.
    PriceUp,
    /// Price below base (1 − ratio), per material.
    PriceDown,
}

/// A non-zero monthly value; zeros are not stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthlyPoint {
    pub series: Series,
    /// Cell index for cell series, material index for price series.
    pub index: u32,
    pub month: u32,
    pub value: f64,
}

/// Everything one path reports. Reused across paths by the kernel (cleared, not reallocated).
#[derive(Debug, Clone, Default)]
pub struct PathRecord {
    /// Per cell (kernel cell order): the path's shortfall and import-gap totals, worst year and runs.
    pub cells: Vec<CellRecord>,
    /// Per-month values kept for fan charts (cell and price series).
    pub monthly: Vec<MonthlyPoint>,
    /// Highest price ratio − 1 per material.
    pub peak_price_excess: Vec<f64>,
    /// Fiscal cost per price floor over the horizon, USD.
    pub floor_cost_usd: Vec<f64>,
    /// (watched link, month) where the cap's breach status differs from a calm month's.
    pub cap_flips: Vec<(u32, u32)>,
    /// Per short cell: each process that hit it on the path and the shortfall it carried
    /// (docs/model.md, "Tail attribution"), grouped by cell.
    pub attribution: Vec<AttributionEntry>,
    /// Parameter set of the path (`run --parameter-sets`; 0 without sets).
    pub param_set: u32,
    /// Only when `Some` (set by a cap sweep's base, `experiment::reuse`): per watched link and
    /// month solved, (link, month, top third-country share compared with the cap; −∞ when the
    /// bloc receives nothing), so that breaches at other cap levels can be recomputed.
    pub watch_shares: Option<Vec<(u32, u32, f64)>>,
}

impl PathRecord {
    /// An empty record sized for `layout`.
    pub fn new(layout: &Layout) -> Self {
        PathRecord {
            cells: vec![CellRecord::default(); layout.cells.len()],
            monthly: Vec::new(),
            peak_price_excess: vec![0.0; layout.materials.len()],
            floor_cost_usd: vec![0.0; layout.floors.len()],
            cap_flips: Vec::new(),
            // At most one entry per (cell, process): sized once, so no path grows it.
            attribution: Vec::with_capacity(layout.cells.len() * layout.processes.len()),
            param_set: 0,
            watch_shares: None,
        }
    }

    /// Reset to empty without freeing, so the kernel can reuse it for the next path.
    pub fn clear(&mut self) {
        self.cells
            .iter_mut()
            .for_each(|c| *c = CellRecord::default());
        self.monthly.clear();
        self.peak_price_excess.iter_mut().for_each(|v| *v = 0.0);
        self.floor_cost_usd.iter_mut().for_each(|v| *v = 0.0);
        self.cap_flips.clear();
        self.attribution.clear();
        if let Some(shares) = &mut self.watch_shares {
            shares.clear();
        }
    }
}

/// Moments and distribution of one non-negative per-path quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarAcc {
    pub sum: f64,
    pub sum_sq: f64,
    pub hist: LogHistogram,
}

impl ScalarAcc {
    pub fn new(sub_bits: u32) -> Self {
        ScalarAcc {
            sum: 0.0,
            sum_sq: 0.0,
            hist: LogHistogram::new(sub_bits),
        }
    }

    #[inline]
    pub fn add(&mut self, v: f64) {
        if v > 0.0 {
            self.sum += v;
            self.sum_sq += v * v;
            self.hist.record(v);
        }
    }

    /// `add`, with the histogram's part handed to `sink` under the histogram's id.
    #[inline]
    fn add_via<S: HistSink>(&mut self, v: f64, id: usize, sink: &mut S) {
        if v > 0.0 {
            self.sum += v;
            self.sum_sq += v * v;
            sink.record(&mut self.hist, id, v);
        }
    }

    pub fn merge(&mut self, o: &ScalarAcc) {
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
        self.hist.merge(&o.hist);
    }
}

/// Where `RunAccumulator::add_via` sends each value of a scalar histogram: straight into the
/// histogram, or into a `ScalarBatch` that records them later, grouped by histogram.
pub(crate) trait HistSink {
    fn record(&mut self, hist: &mut LogHistogram, id: usize, v: f64);
}

/// Record at once (`RunAccumulator::add`).
struct Direct;
impl HistSink for Direct {
    #[inline]
    fn record(&mut self, hist: &mut LogHistogram, _id: usize, v: f64) {
        hist.record(v);
    }
}

/// Scalar histograms per cell, in the order of `CellAcc::scalars_mut` (histogram ids).
pub(crate) const CELL_SCALARS: usize = 11;
const TOTAL_SHORT_T: usize = 0;
const TOTAL_SHORT_SHARE: usize = 1;
const WORST_YEAR_SHORT_T: usize = 2;
const WORST_YEAR_SHARE: usize = 3;
const PEAK_MONTH_SHARE: usize = 4;
const MONTHS_SHORT: usize = 5;
const LONGEST_RUN_MONTHS: usize = 6;
const DEPLETION_MONTH: usize = 7;
const FIRST_SHORT_MONTH: usize = 8;
const IMPORT_GAP_T: usize = 9;
const WORST_YEAR_IMPORT_GAP_SHARE: usize = 10;

/// Per-cell accumulated metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellAcc {
    pub total_short_t: ScalarAcc,
    pub total_short_share: ScalarAcc,
    pub worst_year_short_t: ScalarAcc,
    pub worst_year_share: ScalarAcc,
    pub peak_month_share: ScalarAcc,
    pub months_short: ScalarAcc,
    pub longest_run_months: ScalarAcc,
    pub any_short: u64,
    /// Paths whose worst-year shortfall exceeds each of `THRESHOLDS`.
    pub over_threshold: [u64; 3],
    pub stock_depleted: u64,
    /// Month of first depletion, among depleting paths (month index + 1, so month 0 is recorded).
    pub depletion_month: ScalarAcc,
    pub first_short_month: ScalarAcc,
    /// Import gap over the horizon, tonnes (paths with an import gap only; zeros implicit).
    pub import_gap_t: ScalarAcc,
    /// Worst-year import gap share (paths with an import gap only; zeros implicit).
    pub worst_year_import_gap_share: ScalarAcc,
    /// Paths with an import gap in some month.
    pub any_import_gap: u64,
    /// Paths whose worst-year import gap share exceeds each of `THRESHOLDS`.
    pub import_gap_over_threshold: [u64; 3],
}

impl CellAcc {
    fn new() -> Self {
        let s = || ScalarAcc::new(SUB_BITS_HEADLINE);
        CellAcc {
            total_short_t: s(),
            total_short_share: s(),
            worst_year_short_t: s(),
            worst_year_share: s(),
            peak_month_share: s(),
            months_short: ScalarAcc::new(SUB_BITS_MONTHS),
            longest_run_months: ScalarAcc::new(SUB_BITS_MONTHS),
            any_short: 0,
            over_threshold: [0; 3],
            stock_depleted: 0,
            depletion_month: ScalarAcc::new(SUB_BITS_MONTHS),
            first_short_month: ScalarAcc::new(SUB_BITS_MONTHS),
            import_gap_t: s(),
            worst_year_import_gap_share: s(),
            any_import_gap: 0,
            import_gap_over_threshold: [0; 3],
        }
    }

    /// Fold one path's record of the cell; `id` is the cell's first histogram id.
    fn add_via<S: HistSink>(&mut self, c: &CellRecord, id: usize, sink: &mut S) {
        if let Some(month) = c.stock_depleted_month {
            self.stock_depleted += 1;
            self.depletion_month
                .add_via(month as f64 + 1.0, id + DEPLETION_MONTH, sink);
        }
        // A path can have an import gap and no shortfall (buffers covered it): the
        // import-gap fields are folded before the no-shortfall shortcut.
        if c.import_gap_t > 0.0 {
            self.any_import_gap += 1;
            self.import_gap_t
                .add_via(c.import_gap_t, id + IMPORT_GAP_T, sink);
            self.worst_year_import_gap_share.add_via(
                c.worst_year_import_gap_share,
                id + WORST_YEAR_IMPORT_GAP_SHARE,
                sink,
            );
            for (k, t) in THRESHOLDS.iter().enumerate() {
                if c.worst_year_import_gap_share > *t {
                    self.import_gap_over_threshold[k] += 1;
                }
            }
        }
        if !c.any_short() {
            return;
        }
        self.any_short += 1;
        self.total_short_t
            .add_via(c.total_short_t, id + TOTAL_SHORT_T, sink);
        if c.total_demand_t > 0.0 {
            self.total_short_share.add_via(
                c.total_short_t / c.total_demand_t,
                id + TOTAL_SHORT_SHARE,
                sink,
            );
        }
        self.worst_year_short_t
            .add_via(c.worst_year_short_t, id + WORST_YEAR_SHORT_T, sink);
        self.worst_year_share
            .add_via(c.worst_year_share, id + WORST_YEAR_SHARE, sink);
        self.peak_month_share
            .add_via(c.peak_month_share, id + PEAK_MONTH_SHARE, sink);
        self.months_short
            .add_via(c.months_short as f64, id + MONTHS_SHORT, sink);
        self.longest_run_months
            .add_via(c.longest_run_months as f64, id + LONGEST_RUN_MONTHS, sink);
        if let Some(first) = c.first_short_month {
            self.first_short_month
                .add_via(first as f64 + 1.0, id + FIRST_SHORT_MONTH, sink);
        }
        for (k, t) in THRESHOLDS.iter().enumerate() {
            if c.worst_year_share > *t {
                self.over_threshold[k] += 1;
            }
        }
    }

    /// The scalar accumulators, in histogram-id order (the `CELL_SCALARS` constants).
    fn scalars_mut(&mut self) -> [&mut ScalarAcc; CELL_SCALARS] {
        [
            &mut self.total_short_t,
            &mut self.total_short_share,
            &mut self.worst_year_short_t,
            &mut self.worst_year_share,
            &mut self.peak_month_share,
            &mut self.months_short,
            &mut self.longest_run_months,
            &mut self.depletion_month,
            &mut self.first_short_month,
            &mut self.import_gap_t,
            &mut self.worst_year_import_gap_share,
        ]
    }

    fn merge(&mut self, o: &CellAcc) {
        self.total_short_t.merge(&o.total_short_t);
        self.total_short_share.merge(&o.total_short_share);
        self.worst_year_short_t.merge(&o.worst_year_short_t);
        self.worst_year_share.merge(&o.worst_year_share);
        self.peak_month_share.merge(&o.peak_month_share);
        self.months_short.merge(&o.months_short);
        self.longest_run_months.merge(&o.longest_run_months);
        self.any_short += o.any_short;
        for k in 0..3 {
            self.over_threshold[k] += o.over_threshold[k];
        }
        self.stock_depleted += o.stock_depleted;
        self.depletion_month.merge(&o.depletion_month);
        self.first_short_month.merge(&o.first_short_month);
        self.import_gap_t.merge(&o.import_gap_t);
        self.worst_year_import_gap_share
            .merge(&o.worst_year_import_gap_share);
        self.any_import_gap += o.any_import_gap;
        for k in 0..3 {
            self.import_gap_over_threshold[k] += o.import_gap_over_threshold[k];
        }
    }
}

/// Per-bloc metrics across its materials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlocAcc {
    /// Shortfall over the horizon valued at base prices, USD (adds tonnes of different materials).
    pub short_value_usd: ScalarAcc,
    /// Worst-year shortfall share of the bloc's worst-hit material.
    pub worst_material_share: ScalarAcc,
    pub any_short: u64,
    pub any_over_threshold: [u64; 3],
}

/// A monthly series: distribution and sum of the non-zero values, per month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyAcc {
    pub hist: Vec<LogHistogram>,
    pub sum: Vec<f64>,
}

impl MonthlyAcc {
    fn new(months: usize) -> Self {
        MonthlyAcc {
            hist: vec![LogHistogram::new(SUB_BITS_MONTHLY); months],
            sum: vec![0.0; months],
        }
    }
    fn merge(&mut self, o: &MonthlyAcc) {
        for (a, b) in self.hist.iter_mut().zip(&o.hist) {
            a.merge(b);
        }
        for (a, b) in self.sum.iter_mut().zip(&o.sum) {
            *a += b;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunAccumulator {
    pub paths: u64,
    pub cells: Vec<CellAcc>,
    pub blocs: Vec<BlocAcc>,
    pub peak_price_excess: Vec<ScalarAcc>,
    pub floor_cost_usd: Vec<ScalarAcc>,
    pub shortfall_monthly: Vec<MonthlyAcc>,
    pub drawdown_monthly: Vec<MonthlyAcc>,
    pub price_up_monthly: Vec<MonthlyAcc>,
    pub price_down_monthly: Vec<MonthlyAcc>,
    /// Per watched cap link and month: paths whose breach status differs from calm.
    #[serde(default)]
    pub cap_flips: Vec<Vec<u64>>,
    /// Per watched cap link: paths with the cap breached in at least one month.
    #[serde(default)]
    pub cap_breached_paths: Vec<u64>,
    /// Tail attribution tables (empty in an accumulator written before they existed).
    #[serde(default)]
    pub tail: TailAcc,
    /// Per parameter set (`run --parameter-sets`): headline counts; empty without sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub param_sets: Vec<SetCounts>,
    /// Set when the accumulator folds one subject's figures only (`RunAccumulator::of_subject`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<OnlySubject>,
}

/// The one subject an accumulator folds (`RunAccumulator::of_subject`): a bloc as a whole (its
/// worst material) or one of its cells, by index in the layout.
///
/// `sensitivity` reads one statistic of one subject from each of its dozens of variants, while
/// a headline accumulator folds every cell, bloc, material and price floor: about a thousand
/// scalar histograms a chunk, most of the fold's time spent missing the cache. Folding only the
/// subject's is exact for it: every histogram, sum and count is a fold of its own values, path
/// by path, whatever else is folded beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnlySubject {
    /// The bloc's aggregates (`BlocAcc`), from all its cells' records; no cell is folded.
    Bloc(usize),
    /// One cell's figures (`CellAcc`); no bloc is folded.
    Cell(usize),
}

impl OnlySubject {
    /// `subject` in `layout`: the first bloc or cell of its name, as `metric::estimates` reads
    /// a summary; None when it is not there.
    pub fn of(layout: &Layout, subject: &Subject) -> Option<OnlySubject> {
        let b = layout.blocs.iter().position(|x| *x == subject.bloc)?;
        Some(match &subject.material {
            None => OnlySubject::Bloc(b),
            Some(name) => OnlySubject::Cell(layout.cells.iter().position(|&(cb, m)| {
                layout.blocs[cb] == subject.bloc && layout.materials[m] == *name
            })?),
        })
    }
}

impl RunAccumulator {
    pub fn new(layout: &Layout) -> Self {
        Self::with_fans_and_tail(layout, layout.months, TailAcc::new(layout))
    }

    /// For paths that record no monthly points and no attribution entries (a headline run's,
    /// `sim::path::Recording`): monthly series of no months and no tail tables, which cost
    /// nothing to merge or finish (the summary's fans are then empty and it has no tail
    /// attribution). Its `add` takes no monthly point.
    pub fn headline(layout: &Layout) -> Self {
        Self::with_fans_and_tail(layout, 0, TailAcc::default())
    }

    fn with_fans_and_tail(layout: &Layout, m: usize, tail: TailAcc) -> Self {
        RunAccumulator {
            paths: 0,
            cells: (0..layout.cells.len()).map(|_| CellAcc::new()).collect(),
            blocs: (0..layout.blocs.len())
                .map(|_| BlocAcc {
                    short_value_usd: ScalarAcc::new(SUB_BITS_HEADLINE),
                    worst_material_share: ScalarAcc::new(SUB_BITS_HEADLINE),
                    any_short: 0,
                    any_over_threshold: [0; 3],
                })
                .collect(),
            peak_price_excess: (0..layout.materials.len())
                .map(|_| ScalarAcc::new(SUB_BITS_HEADLINE))
                .collect(),
            floor_cost_usd: (0..layout.floors.len())
                .map(|_| ScalarAcc::new(SUB_BITS_HEADLINE))
                .collect(),
            shortfall_monthly: (0..layout.cells.len())
                .map(|_| MonthlyAcc::new(m))
                .collect(),
            drawdown_monthly: (0..layout.cells.len())
                .map(|_| MonthlyAcc::new(m))
                .collect(),
            price_up_monthly: (0..layout.materials.len())
                .map(|_| MonthlyAcc::new(m))
                .collect(),
            price_down_monthly: (0..layout.materials.len())
                .map(|_| MonthlyAcc::new(m))
                .collect(),
            cap_flips: vec![vec![0; layout.months]; layout.cap_watch.len()],
            cap_breached_paths: vec![0; layout.cap_watch.len()],
            tail,
            param_sets: param_sets::new_sets(layout),
            only: None,
        }
    }

    /// A headline accumulator (`headline`) that folds only `subject`'s figures (`OnlySubject`);
    /// None when the subject is not in the layout. Its summary (`summary::finish`) and section
    /// values hold that subject alone: the others were not folded.
    pub fn of_subject(layout: &Layout, subject: &Subject) -> Option<Self> {
        Some(RunAccumulator {
            only: Some(OnlySubject::of(layout, subject)?),
            ..Self::headline(layout)
        })
    }

    /// Whether cell `ci`'s figures are folded (all are unless `only` names another subject).
    pub fn folds_cell(&self, ci: usize) -> bool {
        self.only.is_none_or(|o| o == OnlySubject::Cell(ci))
    }

    /// Whether bloc `b`'s figures are folded.
    pub fn folds_bloc(&self, b: usize) -> bool {
        self.only.is_none_or(|o| o == OnlySubject::Bloc(b))
    }

    /// Whether the figures that are no subject's are folded: prices, price floors, cap links,
    /// tail tables and parameter sets.
    pub fn folds_the_rest(&self) -> bool {
        self.only.is_none()
    }

    /// Fold one path in.
    pub fn add(&mut self, layout: &Layout, rec: &PathRecord) {
        self.add_via(layout, rec, &mut Direct);
    }

    /// Fold one path in, except that the values of the scalar histograms go into `batch`,
    /// which records them when it is folded (`ScalarBatch::fold_into`); the sums and counts are
    /// added at once. After the fold the accumulator is the one `add` gives, to the bit.
    pub fn add_batched(&mut self, layout: &Layout, rec: &PathRecord, batch: &mut ScalarBatch) {
        self.add_via(layout, rec, batch);
    }

    /// The scalar accumulators in histogram-id order: per cell (`CellAcc::scalars_mut`), then
    /// per bloc, then peak price excess per material, then price-floor cost per floor.
    pub(crate) fn scalars_mut(&mut self) -> impl Iterator<Item = &mut ScalarAcc> {
        let blocs = self
            .blocs
            .iter_mut()
            .flat_map(|b| [&mut b.short_value_usd, &mut b.worst_material_share]);
        self.cells
            .iter_mut()
            .flat_map(CellAcc::scalars_mut)
            .chain(blocs)
            .chain(&mut self.peak_price_excess)
            .chain(&mut self.floor_cost_usd)
    }

    fn add_via<S: HistSink>(&mut self, layout: &Layout, rec: &PathRecord, sink: &mut S) {
        self.paths += 1;
        let nb = layout.blocs.len();
        // Per-bloc scratch on the stack, sized to the model's limit of 64 blocs.
        let mut bloc_value = [0.0f64; 64];
        let mut bloc_worst = [0.0f64; 64];
        let mut bloc_any = [false; 64];
        for (ci, c) in rec.cells.iter().enumerate() {
            let (b, m) = layout.cells[ci];
            if self.folds_cell(ci) {
                self.cells[ci].add_via(c, ci * CELL_SCALARS, sink);
            }
            if c.any_short() && b < 64 {
                bloc_value[b] += c.total_short_t * layout.base_price[m];
                bloc_worst[b] = bloc_worst[b].max(c.worst_year_share);
                bloc_any[b] = true;
            }
        }
        let bloc_ids = self.cells.len() * CELL_SCALARS;
        for b in 0..nb.min(64) {
            if bloc_any[b] && self.folds_bloc(b) {
                let acc = &mut self.blocs[b];
                acc.any_short += 1;
                acc.short_value_usd
                    .add_via(bloc_value[b], bloc_ids + 2 * b, sink);
                acc.worst_material_share
                    .add_via(bloc_worst[b], bloc_ids + 2 * b + 1, sink);
                for (k, t) in THRESHOLDS.iter().enumerate() {
                    if bloc_worst[b] > *t {
                        acc.any_over_threshold[k] += 1;
                    }
                }
            }
        }
        if !self.folds_the_rest() {
            return; // one subject's accumulator (a headline one: no monthly points either)
        }
        let price_ids = bloc_ids + 2 * self.blocs.len();
        for (m, &v) in rec.peak_price_excess.iter().enumerate() {
            self.peak_price_excess[m].add_via(v, price_ids + m, sink);
        }
        let floor_ids = price_ids + self.peak_price_excess.len();
        for (f, &v) in rec.floor_cost_usd.iter().enumerate() {
            self.floor_cost_usd[f].add_via(v, floor_ids + f, sink);
        }
        for (w, calm) in layout.calm_breach.iter().enumerate() {
            // Breached in some month: a calm-breached month the path did not flip, or a flip
            // into breach.
            let (mut flipped_calm_breaches, mut flipped_into_breach) = (0usize, false);
            for &(fw, t) in &rec.cap_flips {
                if fw as usize == w {
                    self.cap_flips[w][t as usize] += 1;
                    if calm[t as usize] {
                        flipped_calm_breaches += 1;
                    } else {
                        flipped_into_breach = true;
                    }
                }
            }
            let calm_breaches = calm.iter().filter(|&&b| b).count();
            if flipped_into_breach || calm_breaches > flipped_calm_breaches {
                self.cap_breached_paths[w] += 1;
            }
        }
        self.tail.add(layout, rec);
        if !self.param_sets.is_empty() {
            param_sets::add(&mut self.param_sets, layout, rec);
        }
        for p in rec.monthly.iter().filter(|p| p.value >= MONTHLY_FLOOR) {
            let series = match p.series {
                Series::Shortfall => &mut self.shortfall_monthly,
                Series::StockDrawdown => &mut self.drawdown_monthly,
                Series::PriceUp => &mut self.price_up_monthly,
                Series::PriceDown => &mut self.price_down_monthly,
            };
            let s = &mut series[p.index as usize];
            s.hist[p.month as usize].record(p.value);
            s.sum[p.month as usize] += p.value;
        }
    }

    /// Give back the spare room of every histogram (their contents are unchanged): a chunk's
    /// accumulator waits for its turn to be merged at its exact size.
    pub fn shrink_to_fit(&mut self) {
        for s in self.scalars_mut() {
            s.hist.shrink_to_fit();
        }
        for series in [
            &mut self.shortfall_monthly,
            &mut self.drawdown_monthly,
            &mut self.price_up_monthly,
            &mut self.price_down_monthly,
        ] {
            for h in series.iter_mut().flat_map(|s| &mut s.hist) {
                h.shrink_to_fit();
            }
        }
    }

    /// Bytes the accumulator holds on the heap (its vectors' capacity): what a run's memory
    /// grows with. It does not grow with the number of paths, only with the distinct histogram
    /// bins and tail bins the values reach, which their ranges bound.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let scalars = |v: &[&ScalarAcc]| v.iter().map(|s| s.hist.heap_bytes()).sum::<usize>();
        let mut bytes = self.cells.capacity() * size_of::<CellAcc>()
            + self.blocs.capacity() * size_of::<BlocAcc>()
            + (self.peak_price_excess.capacity() + self.floor_cost_usd.capacity())
                * size_of::<ScalarAcc>();
        for c in &self.cells {
            bytes += scalars(&[
                &c.total_short_t,
                &c.total_short_share,
                &c.worst_year_short_t,
                &c.worst_year_share,
                &c.peak_month_share,
                &c.months_short,
                &c.longest_run_months,
                &c.depletion_month,
                &c.first_short_month,
                &c.import_gap_t,
                &c.worst_year_import_gap_share,
            ]);
        }
        for b in &self.blocs {
            bytes += scalars(&[&b.short_value_usd, &b.worst_material_share]);
        }
        for s in self.peak_price_excess.iter().chain(&self.floor_cost_usd) {
            bytes += s.hist.heap_bytes();
        }
        for series in [
            &self.shortfall_monthly,
            &self.drawdown_monthly,
            &self.price_up_monthly,
            &self.price_down_monthly,
        ] {
            bytes += series.capacity() * size_of::<MonthlyAcc>();
            for s in series {
                bytes += s.hist.capacity() * size_of::<LogHistogram>()
                    + s.sum.capacity() * size_of::<f64>();
                bytes += s.hist.iter().map(LogHistogram::heap_bytes).sum::<usize>();
            }
        }
        bytes += self.cap_flips.capacity() * size_of::<Vec<u64>>()
            + self
                .cap_flips
                .iter()
                .map(|v| v.capacity() * 8)
                .sum::<usize>()
            + self.cap_breached_paths.capacity() * 8;
        bytes + self.tail.heap_bytes() + param_sets::heap_bytes(&self.param_sets)
    }

    /// Combine with the accumulator of a disjoint set of paths.
    pub fn merge(&mut self, o: &RunAccumulator) {
        debug_assert_eq!(self.only, o.only, "accumulators folding different subjects");
        self.paths += o.paths;
        for (a, b) in self.cells.iter_mut().zip(&o.cells) {
            a.merge(b);
        }
        for (a, b) in self.blocs.iter_mut().zip(&o.blocs) {
            a.short_value_usd.merge(&b.short_value_usd);
            a.worst_material_share.merge(&b.worst_material_share);
            a.any_short += b.any_short;
            for k in 0..3 {
                a.any_over_threshold[k] += b.any_over_threshold[k];
            }
        }
        for (a, b) in self.peak_price_excess.iter_mut().zip(&o.peak_price_excess) {
            a.merge(b);
        }
        for (a, b) in self.floor_cost_usd.iter_mut().zip(&o.floor_cost_usd) {
            a.merge(b);
        }
        for (a, b) in self.cap_flips.iter_mut().zip(&o.cap_flips) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self
            .cap_breached_paths
            .iter_mut()
            .zip(&o.cap_breached_paths)
        {
            *a += b;
        }
        self.tail.merge(&o.tail);
        param_sets::merge(&mut self.param_sets, &o.param_sets);
        for (mine, theirs) in [
            (&mut self.shortfall_monthly, &o.shortfall_monthly),
            (&mut self.drawdown_monthly, &o.drawdown_monthly),
            (&mut self.price_up_monthly, &o.price_up_monthly),
            (&mut self.price_down_monthly, &o.price_down_monthly),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.merge(b);
            }
        }
    }
}
