//! Reading scenario files: RON text → `ScenarioFile`, following `extends`, keeping the texts so
//! later errors can still point at a line.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::diagnostic::{InvalidScenario, Issue, Location};
use super::locate::locate_best;
use super::overlay::overlay;
use super::raw::ScenarioFile;

/// Scenarios compiled into the binary, so `shortfall run` works with no file at all.
pub const BUILTIN: &[(&str, &str)] = &[("eu-2030", include_str!("../../scenarios/eu-2030.ron"))];

/// The name used when no scenario is given.
pub const DEFAULT_SCENARIO: &str = "builtin:eu-2030";

/// The text of one file that went into a scenario.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub path: PathBuf,
    pub text: String,
}

/// A scenario after `extends` has been resolved, with the texts it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub raw: ScenarioFile,
    /// The file named on the command line first, then what it extends, in order.
    pub texts: Vec<SourceText>,
    /// SHA-256 over every text (not their paths), in order: identifies the exact input of a run.
    pub hash: String,
}

impl LoadedScenario {
    /// Where a field path is written: the most derived file that mentions it.
    pub fn locate(&self, path: &[&str]) -> Option<Location> {
        // Prefer a file where the full path is written; fall back to the best partial match.
        for source in &self.texts {
            if let Some((line, column)) = super::locate::locate(&source.text, path) {
                return Some(Location {
                    file: source.path.clone(),
                    line,
                    column,
                });
            }
        }
        let source = self.texts.first()?;
        locate_best(&source.text, path).map(|(line, column)| Location {
            file: source.path.clone(),
            line,
            column,
        })
    }

    pub fn issue(&self, path: &[&str], message: impl Into<String>) -> Issue {
        Issue {
            location: self.locate(path),
            field: path.join("."),
            message: message.into(),
        }
    }

    /// The scenario's name: given in the file, else the file stem.
    pub fn name(&self) -> String {
        if let Some(name) = &self.raw.name {
            return name.clone();
        }
        self.texts
            .first()
            .and_then(|s| s.path.file_stem())
            .map_or_else(
                || "scenario".to_string(),
                |s| s.to_string_lossy().into_owned(),
            )
    }
}

/// Load a scenario by path, or `builtin:NAME` for a bundled one.
pub fn load(spec: &str) -> Result<LoadedScenario, InvalidScenario> {
    let mut texts = Vec::new();
    let raw = load_chain(spec, None, &mut texts)?;
    let mut hasher = Sha256::new();
    // The texts alone identify the input: the same files hash the same however they are named.
    for t in &texts {
        hasher.update(t.text.as_bytes());
        hasher.update([0]);
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(LoadedScenario { raw, texts, hash })
}

/// Parse a scenario from text (tests and tools that generate scenarios).
pub fn load_str(path: &str, text: &str) -> Result<LoadedScenario, InvalidScenario> {
    let source = SourceText {
        path: PathBuf::from(path),
        text: text.to_string(),
    };
    let raw = parse(&source)?;
    if raw.extends.is_some() {
        return Err(InvalidScenario::single(Issue {
            location: None,
            field: "extends".into(),
            message: "a scenario given as text cannot extend another; load it from a file".into(),
        }));
    }
    Ok(LoadedScenario {
        raw,
        texts: vec![source],
        hash: String::new(),
    })
}

const MAX_EXTENDS_DEPTH: usize = 8;

fn load_chain(
    spec: &str,
    parent: Option<&SourceText>,
    texts: &mut Vec<SourceText>,
) -> Result<ScenarioFile, InvalidScenario> {
    // Problems with the `extends` link itself are reported at the `extends` field of the file
    // that names it.
    let at_extends = |message: String| -> InvalidScenario {
        let (location, field) = match parent {
            Some(p) => (
                super::locate::locate(&p.text, &["extends"]).map(|(line, column)| Location {
                    file: p.path.clone(),
                    line,
                    column,
                }),
                "extends".to_string(),
            ),
            None => (None, String::new()),
        };
        InvalidScenario::single(Issue {
            location,
            field,
            message,
        })
    };
    let relative_to = parent.and_then(|p| p.path.parent());
    let source =
        read_source(spec, relative_to).map_err(|e| at_extends(e.issues[0].message.clone()))?;
    if texts.iter().any(|t| same_file(&t.path, &source.path)) {
        let chain: Vec<String> = texts.iter().map(|t| t.path.display().to_string()).collect();
        return Err(at_extends(format!(
            "`{}` is already in the chain {} → {}: `extends` must not form a cycle",
            spec,
            chain.join(" → "),
            source.path.display()
        )));
    }
    if texts.len() >= MAX_EXTENDS_DEPTH {
        return Err(at_extends(format!(
            "more than {MAX_EXTENDS_DEPTH} levels of `extends`"
        )));
    }
    let child = parse(&source)?;
    texts.push(source);
    match child.extends.clone() {
        None => Ok(child),
        Some(base_spec) => {
            let me = texts.last().cloned().expect("just pushed");
            let base = load_chain(&base_spec, Some(&me), texts)?;
            Ok(overlay(base, child))
        }
    }
}

/// Two paths name the same file (so `a.ron` and `../dir/a.ron` are one link in a cycle).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn read_source(spec: &str, relative_to: Option<&Path>) -> Result<SourceText, InvalidScenario> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        return match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => Ok(SourceText {
                path: PathBuf::from(format!("builtin:{n}")),
                text: text.to_string(),
            }),
            None => Err(InvalidScenario::single(Issue {
                location: None,
                field: "extends".into(),
                message: super::diagnostic::unknown_name_hint(
                    name,
                    "built-in scenario",
                    BUILTIN.iter().map(|(n, _)| *n),
                ),
            })),
        };
    }
    let path = match relative_to {
        Some(dir) if Path::new(spec).is_relative() => dir.join(spec),
        _ => PathBuf::from(spec),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        InvalidScenario::single(Issue {
            location: None,
            field: String::new(),
            message: format!("cannot read scenario file `{}`: {e}", path.display()),
        })
    })?;
    Ok(SourceText { path, text })
}

fn parse(source: &SourceText) -> Result<ScenarioFile, InvalidScenario> {
    let located = |line: usize, column: usize| {
        Some(Location {
            file: source.path.clone(),
            line,
            column,
        })
    };
    // IMPLICIT_SOME: analysts write `name: "x"`, not `name: Some("x")` (both are accepted).
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut de = match ron::Deserializer::from_str_with_options(&source.text, &options) {
        Ok(de) => de,
        Err(e) => {
            return Err(InvalidScenario::single(Issue {
                location: located(e.span.start.line, e.span.start.col),
                field: String::new(),
                message: e.code.to_string(),
            }))
        }
    };
    let result: Result<ScenarioFile, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(file) => {
            if let Err(code) = de.end() {
                let e = de.span_error(code);
                return Err(InvalidScenario::single(Issue {
                    location: located(e.span.start.line, e.span.start.col),
                    field: String::new(),
                    message: format!("{} after the end of the scenario", e.code),
                }));
            }
            if file.version != 1 {
                let loc = locate_best(&source.text, &["version"]);
                return Err(InvalidScenario::single(Issue {
                    location: loc.and_then(|(l, c)| located(l, c)),
                    field: "version".into(),
                    message: format!(
                        "unknown scenario format version {}; this build of shortfall reads version 1",
                        file.version
                    ),
                }));
            }
            Ok(file)
        }
        Err(e) => {
            // serde_path_to_error writes `?` for a segment it could not name (a syntax error
            // inside a value): drop it rather than show it.
            let field = e.path().to_string();
            let field = field
                .trim_end_matches('?')
                .trim_end_matches('.')
                .to_string();
            let field = if field == "." { String::new() } else { field };
            let spanned = de.span_error(e.into_inner());
            Err(InvalidScenario::single(Issue {
                location: located(spanned.span.start.line, spanned.span.start.col),
                field,
                message: explain_ron_error(&spanned.code),
            }))
        }
    }
}

/// RON's messages, with the valid alternatives spelled out where RON leaves them implicit.
fn explain_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::NoSuchStructField {
            expected, found, ..
        } => {
            let mut msg = format!("unknown field `{found}`");
            if let Some(guess) = super::diagnostic::did_you_mean(found, expected.iter().copied()) {
                msg.push_str(&format!("; did you mean `{guess}`?"));
            }
            msg.push_str(&format!(" Valid fields: {}", expected.join(", ")));
            msg
        }
        ron::Error::NoSuchEnumVariant {
            expected, found, ..
        } => {
            let mut msg = format!("unknown variant `{found}`");
            if let Some(guess) = super::diagnostic::did_you_mean(found, expected.iter().copied()) {
                msg.push_str(&format!("; did you mean `{guess}`?"));
            }
            msg.push_str(&format!(" Valid: {}", expected.join(", ")));
            msg
        }
        ron::Error::MissingStructField { field, outer } => format!(
            "missing required field `{field}`{}; see docs/scenario-format.md for what it holds",
            outer
                .as_ref()
                .map_or(String::new(), |o| format!(" in this {o}"))
        ),
        ron::Error::ExpectedFloat | ron::Error::ExpectedInteger => {
            format!("{code}: write a plain number here, e.g. 1200 or 0.65")
        }
        ron::Error::ExpectedString => {
            format!("{code}: write text in double quotes, e.g. \"China\"")
        }
        other => other.to_string(),
    }
}
