//! `shortfall run`: glue from arguments to kernel, accumulators and exporters.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (RON); nothing for the bundled EU baseline.
    pub scenario: Option<String>,
}

/// A command-line value that is wrong in a way clap cannot see (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadArgument(pub String);

pub fn run(_args: RunArgs) -> Result<ExitCode> {
    anyhow::bail!("run is being written")
}
