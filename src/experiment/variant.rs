//! Variants of a scenario: the base file with some numeric fields set (`--set PATH=VALUE`),
//! compiled like any scenario, so every check of `model::compile` still applies.

use anyhow::Result;

use crate::model::{self, Model};
use crate::scenario::raw::ScenarioFile;
use crate::scenario::setter::{set_number, FieldPath};
use crate::scenario::{InvalidScenario, LoadedScenario};

/// One field set to one value.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The scenario field to set, e.g. `blocs.EU.stockpile.gallium.months`.
    pub path: FieldPath,
    /// The value it is set to, in the field's own unit.
    pub value: f64,
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} = {}", self.path.text, self.value)
    }
}

/// A wrong `--set` path: the user's argument, not the scenario, is at fault.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BadSetting(pub String);

/// The base scenario with `settings` applied, compiled. A setting that makes the scenario
/// invalid (a cap of 1.5) is reported as the scenario error it causes, naming the setting.
pub fn build(base: &LoadedScenario, settings: &[Setting]) -> Result<Model> {
    let mut loaded = base.clone();
    for s in settings {
        set_number(&mut loaded.raw, &s.path, s.value).map_err(BadSetting)?;
    }
    model::compile(&loaded).map_err(|mut e: InvalidScenario| {
        let with: Vec<String> = settings.iter().map(ToString::to_string).collect();
        for issue in &mut e.issues {
            issue.message = format!("{} (with {})", issue.message, with.join(", "));
        }
        e.into()
    })
}

/// The base scenario with its raw form changed by `edit`, for changes a numeric `--set` cannot
/// express (switching a process off, giving a frequency a new form), compiled like `build`.
/// `what` names the change in any error the compiled variant reports.
pub fn build_edited(
    base: &LoadedScenario,
    what: &str,
    edit: impl FnOnce(&mut ScenarioFile),
) -> Result<Model> {
    let mut loaded = base.clone();
    edit(&mut loaded.raw);
    model::compile(&loaded).map_err(|mut e: InvalidScenario| {
        for issue in &mut e.issues {
            issue.message = format!("{} (with {what})", issue.message);
        }
        e.into()
    })
}
