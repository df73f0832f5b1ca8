//! Errors in an analyst's input, each pointing at a file, line, column and field.
//!
//! Every problem with a scenario becomes an `Issue`; loading and validation collect as many as
//! they can and hand them back together, so an analyst fixes a file in one pass, not ten.

use std::fmt;
use std::path::PathBuf;

/// A place in a scenario file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as named on the command line or in `extends` (`builtin:NAME` when bundled).
    pub file: PathBuf,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// One problem with the input.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Where it is written, when the field can be found in the text.
    pub location: Option<Location>,
    /// Dotted field path, e.g. `blocs.EU.sourcing.gallium.processing`.
    pub field: String,
    /// What was found and what would be valid.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{}:{}:{}: ", loc.file.display(), loc.line, loc.column)?;
        }
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.field, self.message)
        }
    }
}

/// Everything wrong with a scenario; the error type of loading and validation.
#[derive(Debug, Clone, thiserror::Error)]
pub struct InvalidScenario {
    /// Every problem found, in the order they were found.
    pub issues: Vec<Issue>,
}

impl fmt::Display for InvalidScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.issues.len();
        writeln!(
            f,
            "the scenario is not valid ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.issues {
            writeln!(f, "  {issue}")?;
        }
        Ok(())
    }
}

impl InvalidScenario {
    /// An error holding one issue.
    pub fn single(issue: Issue) -> Self {
        InvalidScenario {
            issues: vec![issue],
        }
    }
}

/// "did you mean" for a misspelt name: the closest known name, if it is close enough to be a typo.
pub fn did_you_mean<'a>(found: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&found.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// The "what would be valid" tail for an unknown name.
pub fn unknown_name_hint<'a>(
    found: &str,
    kind: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let mut msg = format!("unknown {kind} `{found}`");
    if let Some(guess) = did_you_mean(found, known.clone()) {
        msg.push_str(&format!("; did you mean `{guess}`?"));
    } else {
        let list: Vec<&str> = known.into_iter().take(12).collect();
        if list.is_empty() {
            msg.push_str(&format!("; the scenario defines no {kind}"));
        } else {
            msg.push_str(&format!("; known: {}", list.join(", ")));
        }
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let known = ["gallium", "germanium", "graphite"];
        assert_eq!(did_you_mean("galium", known), Some("gallium"));
        assert_eq!(did_you_mean("Germainum", known), Some("germanium"));
        assert_eq!(did_you_mean("copper", known), None);
    }
}
