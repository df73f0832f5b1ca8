//! `shortfall completions SHELL`: print a shell completion script for every subcommand and flag,
//! generated from the same clap definition the parser uses, so it cannot drift from the CLI.

use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

use super::common::{print, Result};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # bash, for this session; add the line to ~/.bashrc to keep it\n  \
    source <(shortfall completions bash)\n\n  \
    # zsh: a file in a folder on $fpath\n  \
    shortfall completions zsh > ~/.zfunc/_shortfall\n\n  \
    # fish\n  \
    shortfall completions fish > ~/.config/fish/completions/shortfall.fish")]
pub(crate) struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `cli` is the whole command-line definition (`Cli::command()`), passed in by `cli/mod.rs` so
/// this file imports no other subcommand.
pub(super) fn completions(args: CompletionsArgs, mut cli: clap::Command) -> Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "shortfall", &mut script);
    print(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}
