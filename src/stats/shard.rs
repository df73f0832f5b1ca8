//! Shards: one run's paths cut into ranges that run anywhere (one Slurm array task each) and
//! merge into exactly the accumulator one machine would have folded.
//!
//! Floating-point addition is not associative, so a shard cannot hand over one folded
//! accumulator: `(s0 + s1) + (s2 + s3)` need not equal `((s0 + s1) + s2) + s3`, the order the
//! runner folds its chunks in. Counts and histogram bins are integers and add up the same in
//! any grouping. So a shard holds its chunks folded (for the integers) and, per chunk, the
//! non-zero floating-point fields; the merge adds the integers shard by shard and every float
//! chunk by chunk in path order from +0.0, which is the runner's own sequence of additions.
//! Shards are cut along the runner's chunk boundaries, so the chunks (and the sections of
//! sectioning intervals) are the same.
//!
//! File format (version [`FORMAT_VERSION`]): line 1 is a JSON [`ShardHeader`]; the rest is the
//! JSON [`ShardBody`], whose byte length and SHA-256 the header records, so a truncated or
//! altered body is caught before it is read. Floats are written in shortest round-trip form and
//! read back exactly (serde_json's `float_roundtrip`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::accumulator::{Layout, RunAccumulator};
use super::section::SectionValues;

/// First field of every shard header: what the file is.
pub const FORMAT: &str = "shortfall-shard";
/// First field of an experiment shard's header (`sweep --shard`, `sensitivity --shard`).
pub const EXPERIMENT_FORMAT: &str = "shortfall-experiment-shard";
/// Bumped whenever the header or body changes shape.
pub const FORMAT_VERSION: u32 = 1;

/// What a shard is a part of, readable without the (large) body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    pub format: String,
    pub format_version: u32,
    /// The program version that simulated it (`CARGO_PKG_VERSION`).
    pub program_version: String,
    /// SHA-256 of the executable that simulated it: shards of one run come from one build.
    pub program_sha256: String,
    pub scenario: String,
    /// The scenario argument given to `run` (`builtin:eu-2030`, a file path), and the folder it
    /// was given in, so the merge can load it again and check its hash.
    pub scenario_spec: String,
    pub working_dir: String,
    pub scenario_sha256: String,
    pub seed: u64,
    /// Paths of the whole run, 0..total_paths.
    pub total_paths: u64,
    /// 0-based shard index and number of shards (`--shard index/count`).
    pub index: u64,
    pub count: u64,
    /// Paths first..end of the run that this shard holds.
    pub first_path: u64,
    pub end_path: u64,
    /// The runner's chunk size the shard was cut along.
    pub chunk_paths: u64,
    pub threads: usize,
    pub started_at_unix: u64,
    pub elapsed_seconds: f64,
    /// Length and SHA-256 of the body (everything after the header line).
    pub body_bytes: u64,
    pub body_sha256: String,
    /// Set in the shards of an experiment: then the "paths" above count along its variants one
    /// after another (variant v's path p is number v × paths_per_variant + p), so the same
    /// cut along chunks and the same coverage check hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<ExperimentSpec>,
}

/// Which experiment a shard is part of: the same in every shard of a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSpec {
    /// `sweep` or `sensitivity`.
    pub command: String,
    /// Its arguments in canonical form (what decides the result; not --shard, --out,
    /// --threads), for the merge to parse again.
    pub args: Vec<String>,
    /// The variants in the order they are cut.
    pub variants: Vec<String>,
    /// Paths each variant runs (whole chunks).
    pub paths_per_variant: u64,
}

/// An experiment shard's body: one part per variant it touches, in variant order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentBody {
    pub parts: Vec<VariantPart>,
}

/// Chunks `first_chunk..end_chunk` of one variant: their state, as a run shard holds it, and
/// each chunk's section values (what the paired intervals are computed from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantPart {
    pub variant: u64,
    pub first_chunk: u64,
    pub end_chunk: u64,
    pub state: ShardBody,
    pub sections: Vec<SectionValues>,
}

/// The (variant, first chunk, end chunk) pieces of the experiment "paths" `first..end`, with
/// `per_variant` paths (whole chunks of `chunk`) a variant.
pub fn variant_pieces(first: u64, end: u64, per_variant: u64, chunk: u64) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    let mut at = first;
    while at < end {
        let v = at / per_variant;
        let stop = end.min((v + 1) * per_variant);
        out.push((
            v,
            (at - v * per_variant) / chunk,
            (stop - v * per_variant).div_ceil(chunk),
        ));
        at = stop;
    }
    out
}

/// The state: the layout the accumulators are indexed by, the shard's chunks folded, and each
/// chunk's floating-point fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardBody {
    pub layout: Layout,
    /// The shard's chunks folded in path order. Its counts and histograms are integers, which
    /// add up to the same in any order; its floating-point sums are not used by the merge.
    pub folded: RunAccumulator,
    /// Per chunk, in path order: the non-zero floating-point fields of its accumulator, as
    /// (position among the accumulator's `f64` fields in serialised order, value). Zeros are
    /// left out: adding +0.0 or −0.0 to a sum that started at +0.0 never changes it.
    pub chunk_floats: Vec<Vec<(u32, f64)>>,
}

/// The `f64` fields of an accumulator, in the order serde writes them. Read through the derived
/// `Serialize`, so it follows the structs as they change.
fn floats(acc: &RunAccumulator) -> Result<Vec<f64>, String> {
    fn walk(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Number(n) if n.is_f64() => out.push(n.as_f64().unwrap_or(f64::NAN)),
            Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            Value::Object(fields) => fields.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let value = serde_json::to_value(acc).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    walk(&value, &mut out);
    Ok(out)
}

/// `acc` with its `f64` fields (in `floats` order) replaced by `values`.
fn with_floats(acc: &RunAccumulator, values: &[f64]) -> Result<RunAccumulator, String> {
    fn walk(v: &mut Value, next: &mut std::slice::Iter<f64>) -> Result<(), String> {
        match v {
            Value::Number(n) if n.is_f64() => {
                let x = next.next().ok_or("fewer sums than fields")?;
                *v = Value::from(*x);
                if !v.is_f64() {
                    return Err(format!("the sum {x} is not finite"));
                }
            }
            Value::Array(items) => items.iter_mut().try_for_each(|x| walk(x, next))?,
            Value::Object(fields) => fields.values_mut().try_for_each(|x| walk(x, next))?,
            _ => {}
        }
        Ok(())
    }
    let mut value = serde_json::to_value(acc).map_err(|e| e.to_string())?;
    let mut next = values.iter();
    walk(&mut value, &mut next)?;
    if next.next().is_some() {
        return Err("more sums than fields".into());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// A chunk's non-zero `f64` fields, for `ShardBody::chunk_floats`.
pub fn chunk_floats(chunk: &RunAccumulator) -> Result<Vec<(u32, f64)>, String> {
    Ok(floats(chunk)?
        .into_iter()
        .enumerate()
        .filter(|&(_, v)| v != 0.0)
        .map(|(i, v)| (i as u32, v))
        .collect())
}

/// The one-machine fold, repeated from shard bodies given in path order: integer state merged
/// shard by shard (exact in any grouping), every floating-point field summed chunk by chunk
/// from +0.0 in path order, as `RunAccumulator::merge` adds them in the runner.
pub struct Merger {
    acc: RunAccumulator,
    sums: Vec<f64>,
}

impl Merger {
    pub fn new(layout: &Layout) -> Result<Merger, String> {
        let acc = RunAccumulator::new(layout);
        let sums = floats(&acc)?;
        Ok(Merger { acc, sums })
    }

    /// Fold in the next shard (by path).
    pub fn add(&mut self, body: &ShardBody) -> Result<(), String> {
        self.acc.merge(&body.folded);
        for chunk in &body.chunk_floats {
            for &(i, v) in chunk {
                let sum = self
                    .sums
                    .get_mut(i as usize)
                    .ok_or_else(|| format!("a chunk names sum {i}, past the accumulator's end"))?;
                *sum += v;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<RunAccumulator, String> {
        with_floats(&self.acc, &self.sums)
    }
}

/// A shard's body, checked: merged alone it must give back `folded` to the bit. This fails
/// (instead of writing a shard that would merge wrong) if the accumulator ever gains a
/// floating-point field that does not merge by addition.
pub fn body(
    layout: Layout,
    folded: RunAccumulator,
    chunk_floats: Vec<Vec<(u32, f64)>>,
) -> Result<ShardBody, String> {
    let body = ShardBody {
        layout,
        folded,
        chunk_floats,
    };
    let mut merger = Merger::new(&body.layout)?;
    merger.add(&body)?;
    let again = merger.finish()?;
    let same = floats(&again)?
        .iter()
        .zip(floats(&body.folded)?)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    if !same || again != body.folded {
        return Err("the accumulator does not re-fold from its chunks' sums; the shard format needs updating for it".into());
    }
    Ok(body)
}

/// The chunks `[first, end)` that shard `index` of `count` holds in a run of `paths` paths
/// cut into chunks of `chunk` paths: the I-th of N near-equal runs of whole chunks.
pub fn chunk_range(paths: u64, chunk: u64, index: u64, count: u64) -> (u64, u64) {
    let chunks = paths.div_ceil(chunk) as u128;
    let at = |i: u64| (chunks * i as u128 / count as u128) as u64;
    (at(index), at(index + 1))
}

/// Why a set of shards does not make one run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetError {
    #[error("{file}: {field} is {found}, but {first} has {expected}: it belongs to another run")]
    Foreign {
        file: String,
        first: String,
        field: &'static str,
        found: String,
        expected: String,
    },
    #[error(
        "{file} and {other} both hold paths {from}..{to} (shard {index}/{count} given twice?)"
    )]
    Overlap {
        file: String,
        other: String,
        from: u64,
        to: u64,
        index: u64,
        count: u64,
    },
    #[error("paths {from}..{to} of {total} are in no shard given (missing {missing}); merge needs every shard")]
    Missing {
        from: u64,
        to: u64,
        total: u64,
        missing: String,
    },
    #[error("{file}: paths {from}..{to} are not shard {index}/{count} of {total} paths (an altered header?)")]
    BadRange {
        file: String,
        from: u64,
        to: u64,
        index: u64,
        count: u64,
        total: u64,
    },
}

/// Check that `headers` (named by `files`) are the shards of one run: same format, program,
/// scenario, seed, total paths, shard count and chunk size, each holding the range its index
/// says, together covering 0..total exactly once. Returns the order to merge them in (by path).
pub fn check_set(files: &[String], headers: &[ShardHeader]) -> Result<Vec<usize>, SetError> {
    let (h0, f0) = (&headers[0], &files[0]);
    for (h, f) in headers.iter().zip(files) {
        let experiment = |h: &ShardHeader| match &h.experiment {
            Some(e) => format!("`{} {}`", e.command, e.args.join(" ")),
            None => "none (a run's shard)".into(),
        };
        let fields: [(&'static str, String, String); 9] = [
            ("the experiment", experiment(h), experiment(h0)),
            (
                "the program version",
                h.program_version.clone(),
                h0.program_version.clone(),
            ),
            (
                "the program's SHA-256",
                h.program_sha256.clone(),
                h0.program_sha256.clone(),
            ),
            ("the scenario", h.scenario.clone(), h0.scenario.clone()),
            (
                "the scenario SHA-256",
                h.scenario_sha256.clone(),
                h0.scenario_sha256.clone(),
            ),
            ("the seed", h.seed.to_string(), h0.seed.to_string()),
            (
                "the run's path count",
                h.total_paths.to_string(),
                h0.total_paths.to_string(),
            ),
            ("the shard count", h.count.to_string(), h0.count.to_string()),
            (
                "the chunk size",
                h.chunk_paths.to_string(),
                h0.chunk_paths.to_string(),
            ),
        ];
        for (field, found, expected) in fields {
            if found != expected {
                return Err(SetError::Foreign {
                    file: f.clone(),
                    first: f0.clone(),
                    field,
                    found,
                    expected,
                });
            }
        }
        let (c0, c1) = chunk_range(h.total_paths, h.chunk_paths, h.index, h.count);
        let want = (c0 * h.chunk_paths, (c1 * h.chunk_paths).min(h.total_paths));
        if h.index >= h.count || (h.first_path, h.end_path) != want {
            return Err(SetError::BadRange {
                file: f.clone(),
                from: h.first_path,
                to: h.end_path,
                index: h.index,
                count: h.count,
                total: h.total_paths,
            });
        }
    }
    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.sort_by_key(|&i| headers[i].first_path);
    for w in order.windows(2) {
        let (a, b) = (&headers[w[0]], &headers[w[1]]);
        if a.index == b.index {
            return Err(SetError::Overlap {
                file: files[w[1]].clone(),
                other: files[w[0]].clone(),
                from: b.first_path,
                to: b.end_path,
                index: b.index,
                count: b.count,
            });
        }
    }
    let mut next = 0;
    let mut missing = Vec::new();
    let mut gap = None;
    for &i in &order {
        let h = &headers[i];
        if h.first_path > next {
            gap.get_or_insert((next, h.first_path));
        }
        next = h.end_path;
    }
    if next < h0.total_paths {
        gap.get_or_insert((next, h0.total_paths));
    }
    if let Some((from, to)) = gap {
        let have: Vec<u64> = headers.iter().map(|h| h.index).collect();
        for i in 0..h0.count {
            if !have.contains(&i) {
                missing.push(format!("{i}/{}", h0.count));
            }
        }
        return Err(SetError::Missing {
            from,
            to,
            total: h0.total_paths,
            missing: missing.join(", "),
        });
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::{chunk_range, variant_pieces};

    /// Three variants of 4 chunks of 10 paths, cut into 5 shards: every chunk of every variant
    /// in exactly one piece, pieces in order, none empty.
    #[test]
    fn experiment_shards_tile_every_variants_chunks() {
        let (per, chunk, variants, n) = (40, 10, 3, 5);
        let total = per * variants;
        let mut seen = Vec::new();
        for i in 0..n {
            let (c0, c1) = chunk_range(total, chunk, i, n);
            for (v, a, b) in variant_pieces(c0 * chunk, c1 * chunk, per, chunk) {
                assert!(a < b && b <= per / chunk, "shard {i}: ({v}, {a}, {b})");
                seen.extend((a..b).map(|c| (v, c)));
            }
        }
        let all: Vec<(u64, u64)> = (0..variants)
            .flat_map(|v| (0..per / chunk).map(move |c| (v, c)))
            .collect();
        assert_eq!(seen, all);
        assert_eq!(variant_pieces(35, 50, 40, 5), vec![(0, 7, 8), (1, 0, 2)]);
    }

    #[test]
    fn ranges_tile_the_chunks() {
        for (paths, n) in [(20_000, 4), (20_000, 10), (2048 * 7 + 1, 3), (5, 1)] {
            let mut next = 0;
            for i in 0..n {
                let (a, b) = chunk_range(paths, 2048, i, n);
                assert_eq!(a, next);
                assert!(b > a, "shard {i}/{n} of {paths} is empty");
                next = b;
            }
            assert_eq!(next, paths.div_ceil(2048));
        }
    }
}
