//! What every subcommand shares: the error type whose variants decide the exit code, the
//! experiment flags, loading a scenario, the default output folder, Ctrl-C, thread count, the
//! manifest skeleton and writing to stdout. Subcommand files import this module and
//! `progress`, never each other or `cli/mod.rs`, so the CLI has no import cycle.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use crate::experiment::sectioned_paths;
use crate::experiment::variant::BadSetting;
use crate::model::{self, Model};
use crate::report::atomic::{OutputRefused, OutputSet};
use crate::report::manifest::{self, Manifest};
use crate::scenario::{self, InvalidScenario, LoadedScenario, DEFAULT_SCENARIO};
use crate::sim::RunConfig;

/// Master seed when `--seed` is not given.
pub(super) const DEFAULT_SEED: u64 = 20_260_101;

/// Why a command failed; `cli::main` maps each variant to an exit code (2 for bad input, 1 for
/// any other failure, 141 for a closed stdout).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// A command-line value that is wrong in a way clap cannot see.
    #[error("{0}")]
    BadArgument(String),
    /// The scenario (or a variant of it) does not validate; the message lists every issue.
    #[error(transparent)]
    InvalidScenario(#[from] InvalidScenario),
    /// A `--set` path or value the scenario cannot take.
    #[error(transparent)]
    BadSetting(#[from] BadSetting),
    /// stdout was closed by the reader (`shortfall run | head`).
    #[error("stdout closed")]
    ClosedStdout,
    /// Anything else: I/O, threads, serialisation.
    #[error(transparent)]
    Failed(anyhow::Error),
}

/// Library layers report through `anyhow`; a scenario or setting error they pass up unchanged
/// (a variant that fails to compile) keeps its own exit code.
impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        let e = match e.downcast::<InvalidScenario>() {
            Ok(invalid) => return Error::InvalidScenario(invalid),
            Err(e) => e,
        };
        let e = match e.downcast::<OutputRefused>() {
            Ok(refused) => return Error::BadArgument(refused.0),
            Err(e) => e,
        };
        match e.downcast::<BadSetting>() {
            Ok(bad) => Error::BadSetting(bad),
            Err(e) => Error::Failed(e),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Failed(e.into())
    }
}

/// A command's result: the exit code on success.
pub(super) type Result<T, E = Error> = std::result::Result<T, E>;

/// A bad command-line value (exit code 2).
pub(super) fn bad(message: impl Into<String>) -> Error {
    Error::BadArgument(message.into())
}

/// Flags every experiment (compare, stress-cap, sweep, sensitivity) shares: one seed for all its
/// variants, the thread count, the progress bar.
#[derive(Args, Debug, Clone)]
pub(crate) struct ExperimentFlags {
    /// Master seed, shared by every variant (common random numbers): the same seed, scenario and
    /// --paths give the same results on any thread count.
    #[arg(long, default_value_t = DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
    /// Worker threads (default: RAYON_NUM_THREADS if set, else all cores). Does not change the
    /// results.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Refuse a run whose estimated memory exceeds this (e.g. 2GB, 512MB, 8G).
    #[arg(long, default_value = "2GB", value_parser = parse_bytes, value_name = "SIZE")]
    pub memory_limit: u64,
    /// What to print on stdout: tables (text) or the command's JSON result (json).
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,
}

/// What a command prints on stdout. Files are written the same way either way.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Format {
    /// Tables for a reader, then what was written where.
    #[default]
    Text,
    /// Only the command's JSON result: the document it wrote to its JSON file (summary.json,
    /// comparison.json, stress-cap.json, sweep.json, sensitivity.json), byte for byte.
    Json,
}

/// Print a finished command's result: `text()` for `--format text`; for `--format json` the JSON
/// file `json_file` it has just committed to `dir`, read back so stdout and file cannot differ.
pub(super) fn print_result(
    format: Format,
    text: impl FnOnce() -> String,
    dir: &Path,
    json_file: &str,
) -> Result<()> {
    match format {
        Format::Text => print(&text()),
        Format::Json => {
            let path = dir.join(json_file);
            let json = std::fs::read_to_string(&path).map_err(|e| {
                Error::Failed(
                    anyhow::Error::new(e).context(format!("reading back {}", path.display())),
                )
            })?;
            print(&json)?;
            if !json.ends_with('\n') {
                print("\n")?;
            }
            Ok(())
        }
    }
}

/// `2GB`, `512MB`, `8G`, `1500000000`: a size in bytes (decimal units).
pub(super) fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (digits, scale) = match t.chars().last() {
        Some('K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('G') => (&t[..t.len() - 1], 1e9),
        Some('T') => (&t[..t.len() - 1], 1e12),
        _ => (t, 1.0),
    };
    match digits.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * scale < 1.8e19 => Ok((v * scale) as u64),
        _ => Err(format!("`{s}` is not a size; write e.g. 2GB, 512MB or 8G")),
    }
}

/// Typical filled bins of one log histogram: a monthly one spans ~20 octaves of shortfall share
/// at 32 bins an octave but fills a fraction of them; the headline ones are finer.
const MONTHLY_BINS: u64 = 64;
const HEADLINE_BINS: u64 = 256;

/// Estimated peak memory of one simulation of `model` on `threads` workers, in bytes: every
/// worker and the merged result hold one accumulator set, i.e. a monthly histogram per month of
/// each monthly series (shortfall and stock drawdown per bloc × material cell, price up/down per
/// material) and a dozen headline histograms per cell; each worker also holds a path's state
/// (blocs × materials × stages × months of flows). An estimate, within a small factor.
pub(super) fn memory_estimate(model: &Model, threads: usize) -> u64 {
    use crate::stats::accumulator::{CellAcc, ScalarAcc};
    use crate::stats::histogram::LogHistogram;
    use std::mem::size_of;
    let blocs = model.blocs.len() as u64;
    let materials = model.materials.len() as u64;
    let stages: u64 = model
        .materials
        .iter()
        .map(|m| m.stages.len() as u64)
        .max()
        .unwrap_or(1);
    let months = model.months as u64;
    let cells = model.cells.iter().flatten().filter(|c| c.is_some()).count() as u64;
    let monthly_series = 2 * cells + 2 * materials;
    let per_monthly = size_of::<LogHistogram>() as u64 + 8 + MONTHLY_BINS * 4;
    let per_cell = size_of::<CellAcc>() as u64
        + (size_of::<CellAcc>() / size_of::<ScalarAcc>()) as u64 * HEADLINE_BINS * 4;
    let accumulator = monthly_series
        .saturating_mul(months)
        .saturating_mul(per_monthly)
        .saturating_add(cells.saturating_mul(per_cell));
    let path_state = blocs
        .saturating_mul(materials)
        .saturating_mul(stages)
        .saturating_mul(months)
        .saturating_mul(8 * 4);
    let threads = threads as u64;
    accumulator
        .saturating_mul(threads + 1)
        .saturating_add(path_state.saturating_mul(threads))
}

/// Refuse (exit 2) a run whose estimated memory is over `limit`, before it starts.
pub(super) fn check_memory(model: &Model, threads: usize, limit: u64) -> Result<()> {
    refuse_over(model, threads, limit, memory_estimate(model, threads))
}

/// `check_memory` for an experiment, which adds up to `reuse::BUDGET_BYTES` when its base keeps
/// its paths' records for the variants (`keeps_records`: a `reuse::Runner` simulating here, not
/// `solving_all`, a shard or a merge).
pub(super) fn check_experiment_memory(
    model: &Model,
    threads: usize,
    limit: u64,
    keeps_records: bool,
) -> Result<()> {
    let kept = if keeps_records {
        crate::experiment::reuse::BUDGET_BYTES as u64
    } else {
        0
    };
    let need = memory_estimate(model, threads).saturating_add(kept);
    refuse_over(model, threads, limit, need)
}

fn refuse_over(model: &Model, threads: usize, limit: u64, need: u64) -> Result<()> {
    if need > limit {
        return Err(bad(format!(
            "{} would need about {:.1} GB of memory ({} blocs × {} materials × {} months, {} threads), over the limit of {:.1} GB; shorten the horizon, use fewer threads or raise --memory-limit",
            model.name,
            need as f64 / 1e9,
            model.blocs.len(),
            model.materials.len(),
            model.months,
            threads,
            limit as f64 / 1e9
        )));
    }
    Ok(())
}

pub(super) fn parse_share(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    let v = if s.ends_with('%') { v / 100.0 } else { v };
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{s} is outside [0, 1]; give a share like 0.65 or 65%"
        ))
    }
}

/// Load a scenario (`None`: the bundled baseline), without compiling it.
pub(super) fn load_scenario(spec: Option<&str>) -> Result<LoadedScenario> {
    Ok(scenario::load(spec.unwrap_or(DEFAULT_SCENARIO))?)
}

/// Load and compile a scenario (`None`: the bundled baseline).
pub(super) fn load_model(spec: Option<&str>) -> Result<(LoadedScenario, Model)> {
    let loaded = load_scenario(spec)?;
    let model = model::compile(&loaded)?;
    Ok((loaded, model))
}

/// Default output folder of a command: `output/` and the scenario name, then, for every command
/// but `run`, what it ran, each part after a `+`: `output/eu-2030` (run),
/// `output/eu-2030+stress-cap`, `output/eu-2030+sweep+supplier_cap.level`,
/// `output/eu-2030+sensitivity`, `output/eu-2030+vs+us-stockpile-vault` (compare).
///
/// Every command has its own folder beside the run's, never inside it. The names cannot
/// collide: a scenario name holds only letters, digits, `-`, `_` and `.`
/// (`scenario::guard::check_scenario_name`), so a run's folder has no `+`; the other parts
/// write any other character as `%XX` (`+` and `%` included), so two different commands, or
/// the same command on different subjects, never share a folder. A name too long for a file
/// system (over 200 bytes) keeps its first 180 and ends in a hash of the whole.
pub(super) fn default_out_dir(scenario_name: &str, parts: &[&str]) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut name = scenario_name.to_string();
    for part in parts {
        name.push('+');
        for b in part.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                name.push(char::from(b));
            } else {
                name.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if name.len() > 200 {
        let hash = Sha256::digest(name.as_bytes());
        let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        name = format!("{}+{hex}", &name[..180]);
    }
    PathBuf::from("output").join(name)
}

/// Start the command's output set at `out` before simulating: lock the folder, clear what a
/// killed run left behind and prove the place is writable (exit 2 naming the path if not).
pub(super) fn begin_output(out: &Path) -> Result<OutputSet> {
    Ok(OutputSet::begin(out)?)
}

/// Refuse (exit 2) to replace a finished run in `out` that simulated more paths than this one
/// can, unless `replace`: rerunning with a quick `--paths` must not silently throw away a long
/// run. A folder without a readable manifest is not guarded (nothing finished is lost).
pub(super) fn keep_larger_run(out: &Path, paths: u64, replace: bool) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(out.join("manifest.json")) else {
        return Ok(());
    };
    let Some(done) = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["paths"].as_u64())
    else {
        return Ok(());
    };
    if done > paths && !replace {
        return Err(bad(format!(
            "{} holds a finished run of {done} paths and this one would have {paths}; give --out DIR to keep both, or --replace to overwrite it",
            out.display()
        )));
    }
    Ok(())
}

/// A flag the first Ctrl-C sets; the runner stops between batches and the command writes
/// nothing. A second Ctrl-C while it winds down exits at once (nothing has been written then).
pub(super) fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    cancel
}

/// `--threads`; when not given, `RAYON_NUM_THREADS` as rayon reads it (unset or 0: every core);
/// `--threads 0` or a non-number is a bad argument.
pub(super) fn threads(arg: Option<usize>) -> Result<usize> {
    let all = || std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match arg {
        Some(n) => n,
        None => match std::env::var("RAYON_NUM_THREADS") {
            Err(_) => all(),
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(0) => all(),
                Ok(n) => n,
                Err(_) => {
                    return Err(bad(format!(
                        "RAYON_NUM_THREADS={v:?}: expected a whole number of threads (0: all cores)"
                    )))
                }
            },
        },
    };
    if threads == 0 {
        return Err(bad("--threads must be at least 1"));
    }
    Ok(threads)
}

/// Refuse an experiment's `--paths` of 0, or one that rounded up to whole sections
/// (`sectioned_paths`) would overflow the histograms' u32 bin counts.
pub(super) fn check_sectioned_paths(paths: u64) -> Result<()> {
    const MAX_PATHS: u64 = u32::MAX as u64;
    if paths == 0 || sectioned_paths(paths) > MAX_PATHS {
        return Err(bad(format!(
            "--paths must be between 1 and {}",
            MAX_PATHS / 2048 * 2048
        )));
    }
    note_rounded_paths(paths);
    Ok(())
}

/// Say on stderr when an experiment runs more paths than `--paths` asked for: its paired
/// intervals need whole sections of `CHUNK` paths, at least `MIN_SECTIONS` of them.
pub(super) fn note_rounded_paths(paths: u64) {
    use crate::experiment::MIN_SECTIONS;
    use crate::sim::runner::CHUNK;
    let run = sectioned_paths(paths);
    if run != paths {
        eprintln!(
            "note: --paths {} rounded up to {} per variant (the paired 95% intervals need whole sections of {} paths, at least {})",
            crate::report::charts::theme::thousands(paths),
            crate::report::charts::theme::thousands(run),
            crate::report::charts::theme::thousands(CHUNK),
            MIN_SECTIONS
        );
    }
}

/// The run settings every variant of an experiment shares (common random numbers): the same
/// seed and paths, a fixed path count (no `--target-se`).
pub(super) fn variant_config(flags: &ExperimentFlags, paths: u64, threads: usize) -> RunConfig {
    RunConfig {
        seed: flags.seed,
        paths,
        threads,
        target_se: None,
        max_paths: paths,
    }
}

/// Seconds since the Unix epoch, for the manifest's `started_at`.
pub(super) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The manifest of one simulated scenario, with what the run measured left at its "not yet"
/// value (0 paths, no elapsed time, no files) for the caller to fill in.
pub(super) fn manifest(
    loaded: &LoadedScenario,
    model: &Model,
    seed: u64,
    threads: usize,
    started_at_unix: u64,
) -> Manifest {
    Manifest {
        tool: "shortfall".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: model.name.clone(),
        scenario_files: loaded
            .texts
            .iter()
            .map(|t| t.path.display().to_string())
            .collect(),
        scenario_sha256: loaded.hash.clone(),
        seed,
        paths: 0,
        threads,
        target_se: None,
        target_reached: None,
        headline_se: f64::NAN,
        elapsed_seconds: 0.0,
        started_at: manifest::iso8601(started_at_unix),
        data_sources: model.sources.clone(),
        data_source_confidence: if model.source_confidence.iter().any(Option::is_some) {
            let label = |c: &Option<_>| c.map_or("", crate::scenario::raw::Confidence::label);
            model
                .source_confidence
                .iter()
                .map(|c| label(c).to_string())
                .collect()
        } else {
            Vec::new()
        },
        files: Vec::new(),
        command: std::env::args().collect(),
    }
}

/// Write `text` to stdout. A reader that closes the pipe early (`shortfall run | head`) is
/// `Error::ClosedStdout`, which ends the command quietly as a Unix tool killed by SIGPIPE
/// would: every file is written before anything is printed, so nothing is lost.
pub(super) fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Error::ClosedStdout,
            _ => Error::Failed(anyhow::Error::new(e).context("writing to stdout")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_experiment_counts_the_records_its_base_keeps() {
        let loaded = crate::scenario::load::load("builtin:eu-2030").unwrap();
        let model = crate::model::compile(&loaded).unwrap();
        let run = memory_estimate(&model, 2);
        let kept = crate::experiment::reuse::BUDGET_BYTES as u64;
        // A limit that a run fits under but not an experiment with its kept records.
        let limit = run + kept / 2;
        assert!(check_memory(&model, 2, limit).is_ok());
        let refused = check_experiment_memory(&model, 2, limit, true).unwrap_err();
        assert!(refused.to_string().contains("--memory-limit"), "{refused}");
        assert!(check_experiment_memory(&model, 2, run + kept, true).is_ok());
        assert!(check_experiment_memory(&model, 2, limit, false).is_ok());
    }
}
