//! Tail attribution: in the worst 5% of paths of a subject (a bloc × material cell, or a bloc's
//! "some material"), which disruption processes were active and what share of the shortfall
//! each carried. docs/model.md, "Tail attribution".
//!
//! The worst 5% is only known once every path is in, so the accumulator keeps, per subject, a
//! coarse log-binned table of the ranking metric (8 bins per power of two): per bin, the paths,
//! their shortfall, and per process how many of them had it active and the shortfall it carried.
//! Counts are integers and bins are fixed, so accumulators of disjoint path ranges merge exactly
//! (chunk order fixes the floating-point sums, as for every other accumulator). At the end the
//! bins are read from the top until 5% of all paths are taken; the bin that straddles the 95th
//! percentile is taken in proportion (its paths are treated as alike). Shortfall is tallied in
//! integer units, so the tables hold no floating-point sum at all (`CELL_UNITS_PER_T`).

use serde::{Deserialize, Serialize};

use super::accumulator::{Layout, PathRecord};
use super::histogram::MIN_POSITIVE;

/// Share of paths in the tail that attribution looks at: the worst 5%.
pub const TAIL_SHARE: f64 = 0.05;
/// Mantissa bits of the ranking bins: 8 bins per power of two, so the 95th percentile is placed
/// within ±4.5% of its value.
pub const TAIL_SUB_BITS: u32 = 3;

/// One path's attribution entry: process `process` (model order) was active on cell `cell`
/// (kernel cell order) and carried `carried_t` tonnes of its shortfall over the horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributionEntry {
    /// Cell index (kernel cell order).
    pub cell: u32,
    /// Process index (model order).
    pub process: u32,
    /// Shortfall the process carried on this cell over the horizon, t.
    pub carried_t: f64,
}

/// Cell shortfall is tallied in thousandths of the material's unit (kilograms of a tonne) and
/// bloc shortfall in whole USD, as integers: the tables then merge exactly in any grouping,
/// which the shard format (`stats::shard`, positional floating-point sums) requires of every
/// sparse structure. Sums saturate at u64::MAX.
pub const CELL_UNITS_PER_T: f64 = 1000.0;

/// A non-negative quantity as whole tally units.
#[inline]
fn units(v: f64) -> u64 {
    if v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

/// Per process in one bin: paths with it active, and the shortfall it carried (tally units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessTally {
    pub process: u32,
    pub active: u64,
    pub carried: u64,
}

/// One bin of the ranking metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TailBin {
    pub paths: u64,
    /// Shortfall of those paths, in tally units (thousandths of a tonne for a cell, USD at base
    /// prices for a bloc).
    pub shortfall: u64,
    /// Processes seen in the bin, in order of first appearance.
    pub processes: Vec<ProcessTally>,
}

impl TailBin {
    fn tally(&mut self, process: u32) -> &mut ProcessTally {
        let i = match self.processes.iter().position(|p| p.process == process) {
            Some(i) => i,
            None => {
                self.processes.push(ProcessTally {
                    process,
                    active: 0,
                    carried: 0,
                });
                self.processes.len() - 1
            }
        };
        &mut self.processes[i]
    }

    fn merge(&mut self, o: &TailBin) {
        self.paths += o.paths;
        self.shortfall = self.shortfall.saturating_add(o.shortfall);
        // Room for exactly the processes this bin has not seen: a merged table is kept for
        // the whole run, so growth slack would stay in it.
        let new = o
            .processes
            .iter()
            .filter(|p| self.processes.iter().all(|q| q.process != p.process))
            .count();
        self.processes.reserve_exact(new);
        for p in &o.processes {
            let t = self.tally(p.process);
            t.active += p.active;
            t.carried = t.carried.saturating_add(p.carried);
        }
    }
}

/// The binned table of one subject; bins are created as paths reach them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TailTable {
    /// Bin index of `bins[0]`.
    pub offset: i64,
    pub bins: Vec<TailBin>,
}

impl TailTable {
    fn index(v: f64) -> i64 {
        (v.to_bits() >> (52 - TAIL_SUB_BITS)) as i64
    }

    /// Lower edge of bin `i`.
    fn lower_edge(i: i64) -> f64 {
        f64::from_bits((i as u64) << (52 - TAIL_SUB_BITS))
    }

    fn bin_at(&mut self, i: i64) -> &mut TailBin {
        if self.bins.is_empty() {
            self.offset = i;
            self.bins.push(TailBin::default());
        } else if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.bins
                .splice(0..0, std::iter::repeat_n(TailBin::default(), grow));
            self.offset = i;
        } else if i >= self.offset + self.bins.len() as i64 {
            self.bins
                .resize((i - self.offset + 1) as usize, TailBin::default());
        }
        &mut self.bins[(i - self.offset) as usize]
    }

    /// Grow the table to reach bins `first` and `last` too, in one allocation of exactly that
    /// size (what a merge needs: a merged table is kept for the whole run, and growth by
    /// doubling would leave slack in it that nothing gives back).
    fn grow_exactly(&mut self, first: i64, last: i64) {
        let end = self.offset + self.bins.len() as i64;
        let (lo, end) = if self.bins.is_empty() {
            (first, last + 1)
        } else {
            (first.min(self.offset), (last + 1).max(end))
        };
        if self.bins.is_empty() || lo < self.offset || end > self.offset + self.bins.len() as i64 {
            let mut grown = Vec::with_capacity((end - lo) as usize);
            if !self.bins.is_empty() {
                grown.resize((self.offset - lo) as usize, TailBin::default());
                grown.append(&mut self.bins);
            }
            grown.resize((end - lo) as usize, TailBin::default());
            self.bins = grown;
            self.offset = lo;
        }
    }

    /// The bin of ranking value `v`, or None when `v` counts as zero.
    fn bin(&mut self, v: f64) -> Option<&mut TailBin> {
        (v >= MIN_POSITIVE && v.is_finite()).then(|| self.bin_at(Self::index(v)))
    }

    /// Bytes the table holds on the heap.
    fn heap_bytes(&self) -> usize {
        self.bins.capacity() * std::mem::size_of::<TailBin>()
            + self
                .bins
                .iter()
                .map(|b| b.processes.capacity() * std::mem::size_of::<ProcessTally>())
                .sum::<usize>()
    }

    fn merge(&mut self, o: &TailTable) {
        let mut reached = o.bins.iter().enumerate().filter(|(_, b)| b.paths > 0);
        if let (Some((first, _)), Some((last, _))) = (reached.clone().next(), reached.next_back()) {
            self.grow_exactly(o.offset + first as i64, o.offset + last as i64);
        }
        for (k, b) in o.bins.iter().enumerate() {
            if b.paths > 0 {
                self.bin_at(o.offset + k as i64).merge(b);
            }
        }
    }
}

/// Tail tables of every subject: cells in the layout's order, then blocs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TailAcc {
    pub cells: Vec<TailTable>,
    pub blocs: Vec<TailTable>,
}

impl TailAcc {
    /// Bytes the tables hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        (self.cells.capacity() + self.blocs.capacity()) * std::mem::size_of::<TailTable>()
            + self
                .cells
                .iter()
                .chain(&self.blocs)
                .map(TailTable::heap_bytes)
                .sum::<usize>()
    }

    pub fn new(layout: &Layout) -> Self {
        TailAcc {
            cells: vec![TailTable::default(); layout.cells.len()],
            blocs: vec![TailTable::default(); layout.blocs.len()],
        }
    }

    /// Fold one path in. A cell is ranked by its worst-year shortfall share and its shortfall is
    /// the horizon total in tonnes; a bloc is ranked by its worst material's worst-year share
    /// (the headline "some material") and its shortfall is valued at base prices.
    pub fn add(&mut self, layout: &Layout, rec: &PathRecord) {
        if self.cells.len() != layout.cells.len() {
            return; // An accumulator read from before attribution existed.
        }
        let mut bloc_value = [0.0f64; 64];
        let mut bloc_worst = [0.0f64; 64];
        for (ci, c) in rec.cells.iter().enumerate() {
            if !c.any_short() {
                continue;
            }
            let (b, m) = layout.cells[ci];
            if b < 64 {
                bloc_value[b] += c.total_short_t * layout.base_price[m];
                bloc_worst[b] = bloc_worst[b].max(c.worst_year_share);
            }
            if let Some(bin) = self.cells[ci].bin(c.worst_year_share) {
                bin.paths += 1;
                bin.shortfall = bin
                    .shortfall
                    .saturating_add(units(c.total_short_t * CELL_UNITS_PER_T));
                for e in rec.attribution.iter().filter(|e| e.cell as usize == ci) {
                    let t = bin.tally(e.process);
                    t.active += 1;
                    t.carried = t
                        .carried
                        .saturating_add(units(e.carried_t * CELL_UNITS_PER_T));
                }
            }
        }
        for b in 0..layout.blocs.len().min(64) {
            let Some(bin) = self.blocs[b].bin(bloc_worst[b]) else {
                continue;
            };
            bin.paths += 1;
            bin.shortfall = bin.shortfall.saturating_add(units(bloc_value[b]));
            // A process counts once per path however many of the bloc's materials it hit: at
            // its first entry of the bloc (a scan, not a set, so folding a path allocates nothing).
            let of_bloc = |e: &AttributionEntry| layout.cells[e.cell as usize].0 == b;
            for (k, e) in rec.attribution.iter().enumerate() {
                if !of_bloc(e) {
                    continue;
                }
                let m = layout.cells[e.cell as usize].1;
                let t = bin.tally(e.process);
                t.carried = t
                    .carried
                    .saturating_add(units(e.carried_t * layout.base_price[m]));
                let first = !rec.attribution[..k]
                    .iter()
                    .any(|p| p.process == e.process && of_bloc(p));
                if first {
                    t.active += 1;
                }
            }
        }
    }

    pub fn merge(&mut self, o: &TailAcc) {
        if self.cells.len() != o.cells.len() || self.blocs.len() != o.blocs.len() {
            return;
        }
        for (a, b) in self.cells.iter_mut().zip(&o.cells) {
            a.merge(b);
        }
        for (a, b) in self.blocs.iter_mut().zip(&o.blocs) {
            a.merge(b);
        }
    }
}

/// What the tail of one subject holds, read off its table.
#[derive(Debug, Clone, PartialEq)]
pub struct TailReading {
    /// Paths in the tail (fractional where the 95th-percentile bin is split).
    pub paths: f64,
    /// Lower edge of the ranking bin where the tail starts.
    pub threshold: f64,
    /// Shortfall of the tail's paths, tally units.
    pub shortfall: f64,
    /// Per process: (process, paths with it active, shortfall it carried), in the tail.
    pub processes: Vec<(u32, f64, f64)>,
}

/// Read the worst `TAIL_SHARE` of `n` paths off `table`: bins from the top until that many paths
/// are taken, the last bin in proportion. When fewer paths than that are short at all, the tail
/// is every short path. None when no path is short.
pub fn read_tail(table: &TailTable, n: u64) -> Option<TailReading> {
    let want = (TAIL_SHARE * n as f64).max(1.0);
    let mut out = TailReading {
        paths: 0.0,
        threshold: 0.0,
        shortfall: 0.0,
        processes: Vec::new(),
    };
    for (k, bin) in table.bins.iter().enumerate().rev() {
        if bin.paths == 0 {
            continue;
        }
        let take = (want - out.paths).min(bin.paths as f64);
        if take <= 0.0 {
            break;
        }
        let f = take / bin.paths as f64;
        out.paths += take;
        out.shortfall += f * bin.shortfall as f64;
        out.threshold = TailTable::lower_edge(table.offset + k as i64);
        for p in &bin.processes {
            match out.processes.iter_mut().find(|q| q.0 == p.process) {
                Some(q) => {
                    q.1 += f * p.active as f64;
                    q.2 += f * p.carried as f64;
                }
                None => out
                    .processes
                    .push((p.process, f * p.active as f64, f * p.carried as f64)),
            }
        }
    }
    (out.paths > 0.0).then_some(out)
}

/// One process in a subject's tail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProcessShare {
    /// The disruption process's name in the scenario.
    pub process: String,
    /// Share of the tail's paths in which the process cut the subject's supply.
    pub active_share: f64,
    /// Share of the tail's shortfall it carried (docs/model.md, "Tail attribution").
    pub shortfall_share: f64,
}

/// What drives the worst `TAIL_SHARE` of paths of one subject.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TailAttribution {
    /// The bloc whose tail this is.
    pub bloc: String,
    /// None: the bloc's "some material" (its worst material each path), shortfall in USD at
    /// base prices; otherwise one material, shortfall in tonnes.
    pub material: Option<String>,
    /// Share of all paths in the tail: 0.05, or less when fewer paths are short at all.
    pub tail_share: f64,
    /// Worst-year shortfall share (of the material, or of the bloc's worst material) above which
    /// a path is in the tail (lower edge of the ranking bin, ±4.5%).
    pub threshold_share: f64,
    /// Mean shortfall of a tail path over the horizon (tonnes, or USD at base prices).
    pub mean_shortfall: f64,
    /// Processes that were active in the tail, most shortfall carried first.
    pub processes: Vec<ProcessShare>,
    /// Share of the tail's shortfall in months with no process cutting the subject's supply.
    pub unattributed_share: f64,
}

/// The tail attribution of every subject with a short path: each bloc's "some material" first,
/// then its cells, blocs in layout order.
pub fn tail_summaries(layout: &Layout, tail: &TailAcc, paths: u64) -> Vec<TailAttribution> {
    let mut out = Vec::new();
    if tail.cells.len() != layout.cells.len() || paths == 0 {
        return out;
    }
    for (b, bloc) in layout.blocs.iter().enumerate() {
        let subjects = std::iter::once((None, &tail.blocs[b])).chain(
            layout
                .cells
                .iter()
                .enumerate()
                .filter(|(_, &(cb, _))| cb == b)
                .map(|(ci, &(_, m))| (Some(layout.materials[m].clone()), &tail.cells[ci])),
        );
        for (material, table) in subjects {
            let Some(r) = read_tail(table, paths) else {
                continue;
            };
            let per_unit = if material.is_some() {
                1.0 / CELL_UNITS_PER_T
            } else {
                1.0
            };
            let mut processes: Vec<ProcessShare> = r
                .processes
                .iter()
                .map(|&(p, active, carried)| ProcessShare {
                    process: layout
                        .processes
                        .get(p as usize)
                        .cloned()
                        .unwrap_or_else(|| format!("process {p}")),
                    active_share: active / r.paths,
                    shortfall_share: if r.shortfall > 0.0 {
                        carried / r.shortfall
                    } else {
                        0.0
                    },
                })
                .collect();
            processes.sort_by(|a, b| {
                b.shortfall_share
                    .total_cmp(&a.shortfall_share)
                    .then(b.active_share.total_cmp(&a.active_share))
                    .then(a.process.cmp(&b.process))
            });
            let attributed: f64 = processes.iter().map(|p| p.shortfall_share).sum();
            out.push(TailAttribution {
                bloc: bloc.clone(),
                material,
                tail_share: r.paths / paths as f64,
                threshold_share: r.threshold,
                mean_shortfall: r.shortfall * per_unit / r.paths,
                processes,
                unattributed_share: if r.shortfall > 0.0 {
                    (1.0 - attributed).max(0.0)
                } else {
                    0.0
                },
            });
        }
    }
    out
}
