//! What every subcommand shares: the error type whose variants decide the exit code, the
//! experiment flags, loading a scenario, the default output folder, Ctrl-C, thread count, the
//! manifest skeleton and writing to stdout. Subcommand files import this module and
//! `progress`, never each other or `cli/mod.rs`, so the CLI has no import cycle.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use crate::experiment::variant::BadSetting;
use crate::model::{self, Model};
use crate::report::atomic::{OutputRefused, OutputSet};
use crate::report::manifest::{self, Manifest};
use crate::scenario::{self, InvalidScenario, LoadedScenario, DEFAULT_SCENARIO};

/// Master seed when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 20_260_101;

/// Why a command failed; `cli::main` maps each variant to an exit code (2 for bad input, 1 for
/// any other failure, 141 for a closed stdout).
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A bad command-line value (exit code 2).
pub fn bad(message: impl Into<String>) -> Error {
    Error::BadArgument(message.into())
}

/// Flags every experiment (compare, stress-cap, sweep, sensitivity) shares: one seed for all its
/// variants, the thread count, the progress bar.
#[derive(Args, Debug, Clone)]
pub struct ExperimentFlags {
    /// Master seed, shared by every variant (common random numbers): the same seed, scenario and
    /// --paths give the same results on any thread count.
    #[arg(long, default_value_t = DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
    /// Worker threads (default: all cores). Does not change the results.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn parse_share(s: &str) -> Result<f64, String> {
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
pub fn load_scenario(spec: Option<&str>) -> Result<LoadedScenario> {
    Ok(scenario::load(spec.unwrap_or(DEFAULT_SCENARIO))?)
}

/// Load and compile a scenario (`None`: the bundled baseline).
pub fn load_model(spec: Option<&str>) -> Result<(LoadedScenario, Model)> {
    let loaded = load_scenario(spec)?;
    let model = model::compile(&loaded)?;
    Ok((loaded, model))
}

/// Default output folder for a scenario. The name was checked at load to be a safe slug
/// (`scenario::valid_name`), so the folder stays inside `output/`.
pub fn default_out_dir(scenario_name: &str) -> PathBuf {
    PathBuf::from("output").join(scenario_name)
}

/// Start the command's output set at `out` before simulating: lock the folder, clear what a
/// killed run left behind and prove the place is writable (exit 2 naming the path if not).
pub fn begin_output(out: &Path) -> Result<OutputSet> {
    Ok(OutputSet::begin(out)?)
}

/// A flag the first Ctrl-C sets; the runner stops between batches and the command writes
/// nothing. A second Ctrl-C while it winds down exits at once (nothing has been written then).
pub fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    cancel
}

/// `--threads`, or every core when not given; 0 is a bad argument.
pub fn threads(arg: Option<usize>) -> Result<usize> {
    let threads =
        arg.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(bad("--threads must be at least 1"));
    }
    Ok(threads)
}

/// Seconds since the Unix epoch, for the manifest's `started_at`.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The manifest of one simulated scenario, with what the run measured left at its "not yet"
/// value (0 paths, no elapsed time, no files) for the caller to fill in.
pub fn manifest(
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
        files: Vec::new(),
        command: std::env::args().collect(),
    }
}

/// Write `text` to stdout. A reader that closes the pipe early (`shortfall run | head`) is
/// `Error::ClosedStdout`, which ends the command quietly as a Unix tool killed by SIGPIPE
/// would: every file is written before anything is printed, so nothing is lost.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Error::ClosedStdout,
            _ => Error::Failed(anyhow::Error::new(e).context("writing to stdout")),
        })
}
