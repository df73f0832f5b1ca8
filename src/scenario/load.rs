//! Reading scenario files: RON text → `ScenarioFile`, following `extends`, keeping the texts so
//! later errors can still point at a line.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::diagnostic::{InvalidScenario, Issue, Location};
use super::guard;
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
    /// The path as given, or `builtin:NAME` for a bundled scenario.
    pub path: PathBuf,
    /// The file's full text.
    pub text: String,
}

/// A scenario after `extends` has been resolved, with the texts it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The merged scenario, as deserialized (not yet validated).
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

    /// An issue about the field at `path`, located in the most derived file that writes it.
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
        // A file stem is not checked like a written name: it is made safe instead, since it
        // names the output folder (`my scenario.ron` → `my-scenario`).
        let stem: String = self
            .texts
            .first()
            .and_then(|s| s.path.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .take(guard::MAX_NAME_CHARS)
            .collect();
        let stem = stem.trim_start_matches('.');
        if stem.is_empty() {
            "scenario".to_string()
        } else {
            stem.to_string()
        }
    }
}

/// Load a scenario by path, or `builtin:NAME` for a bundled one.
pub fn load(spec: &str) -> Result<LoadedScenario, InvalidScenario> {
    let mut texts = Vec::new();
    let raw = load_chain(spec, None, &mut texts)?;
    check_name(&raw, &texts)?;
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
    let texts = vec![source];
    check_name(&raw, &texts)?;
    Ok(LoadedScenario {
        raw,
        texts,
        hash: String::new(),
    })
}

/// The scenario `name` names the output folder: refuse one that could leave `output/`.
fn check_name(raw: &ScenarioFile, texts: &[SourceText]) -> Result<(), InvalidScenario> {
    let Some(name) = &raw.name else {
        return Ok(());
    };
    guard::check_scenario_name(name).map_err(|message| {
        let location = texts.iter().find_map(|t| {
            super::locate::locate(&t.text, &["name"]).map(|(line, column)| Location {
                file: t.path.clone(),
                line,
                column,
            })
        });
        InvalidScenario::single(Issue {
            location,
            field: "name".into(),
            message,
        })
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
    let source = read_source(spec, relative_to).map_err(|e| match &e.issues[0].location {
        // Invalid UTF-8 is located in the file itself.
        Some(_) => e,
        None => at_extends(e.issues[0].message.clone()),
    })?;
    if parent.is_some() && !looks_like_scenario(&source.text) {
        // Say no more than that: RON's message would quote the file's first word, and
        // `extends` may name a file the reader of the error should not see (/etc/shadow).
        return Err(at_extends(format!(
            "`{}` is not a shortfall scenario (it should start with `Scenario(`)",
            source.path.display()
        )));
    }
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
    let text = guard::read_bounded(&path).map_err(|(message, at)| {
        InvalidScenario::single(Issue {
            location: at.map(|(line, column)| Location {
                file: path.clone(),
                line,
                column,
            }),
            field: String::new(),
            message,
        })
    })?;
    Ok(SourceText { path, text })
}

/// Whether a text begins like a scenario (after comments and `#![enable(...)]` lines): an
/// `extends` target that does not is refused without quoting it.
fn looks_like_scenario(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else if rest.starts_with("#!") {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    rest.starts_with("Scenario") || rest.starts_with('(')
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
            let mut findings = guard::walk(&source.text, &options);
            // Named lists that `extends` merges by name: a name twice in one file would
            // silently keep only the last.
            findings.extend(guard::repeated_names(
                "partnerships",
                file.partnerships.iter().map(|p| p.name.as_str()),
            ));
            findings.extend(guard::repeated_names(
                "price_floors",
                file.price_floors.iter().map(|p| p.name.as_str()),
            ));
            if !findings.is_empty() {
                return Err(InvalidScenario {
                    issues: findings
                        .iter()
                        .map(|f| Issue {
                            location: guard::locate_finding(&source.text, f)
                                .and_then(|(l, c)| located(l, c)),
                            field: f
                                .path
                                .iter()
                                .map(|p| guard::printable(p))
                                .collect::<Vec<_>>()
                                .join("."),
                            message: f.message.clone(),
                        })
                        .collect(),
                });
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
            let (mut line, mut column) = (spanned.span.start.line, spanned.span.start.col);
            // A distribution is judged once read whole, when RON stands at its end: point at
            // its name instead.
            if matches!(&spanned.code, ron::Error::Message(m) if super::param::is_distribution_message(m))
            {
                if let Some((l, c)) = start_of_value_before(&source.text, line, column) {
                    (line, column) = (l, c);
                }
            }
            Err(InvalidScenario::single(Issue {
                location: located(line, column),
                field,
                message: explain_ron_error(&spanned.code),
            }))
        }
    }
}

/// 1-based (line, column) of the parenthesised value RON stood in (or had just closed) at
/// `line:column`: back to its opening parenthesis, then over the name in front of it.
fn start_of_value_before(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = text.get(line_start..)?;
    let offset = line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
    let before = text.get(..offset)?.trim_end();
    // RON stands on the value's last token or just past its closing parenthesis.
    let mut depth = usize::from(before.ends_with(')'));
    let scan = if depth == 1 {
        &before[..before.len() - 1]
    } else {
        before
    };
    let (end, _) = scan.char_indices().rev().find(|&(_, ch)| {
        match ch {
            ')' => depth += 1,
            '(' if depth == 0 => return true,
            '(' => depth -= 1,
            _ => {}
        }
        false
    })?;
    let head = &text[..end];
    let name_len = head
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count();
    let start = if name_len > 0 { end - name_len } else { end };
    let before_start = &text[..start];
    let line = before_start.matches('\n').count() + 1;
    let column = before_start[before_start.rfind('\n').map_or(0, |nl| nl + 1)..]
        .chars()
        .count()
        + 1;
    Some((line, column))
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
