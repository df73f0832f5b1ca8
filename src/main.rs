//! Thin entry point: run the CLI and map errors to exit codes (2 = bad input, 1 = failure).

use std::process::ExitCode;

fn main() -> ExitCode {
    shortfall::cli_main()
}
