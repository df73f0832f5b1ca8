//! What one scenario changes in another's inputs, field by field: `check --diff A B`, `compare`'s
//! note on what B is, and the fields an `extends` replacement resets to their defaults.
//!
//! Both scenarios are compared as read and merged (after `extends`), through their serde form:
//! maps by key, lists of named entries (disruptions, partnerships, ...) by `name`, other lists and
//! distributions as whole values. A distribution shows as written (`Uniform(min: 0.2, max: 0.4)`).

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::raw::ScenarioFile;

/// One input that differs: where it is (a field path with entry names in brackets) and its value
/// in A and in B (`None`: not there).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // Long texts (notes, sources) are cut for the terminal; JSON keeps them whole.
        let show = |v: &Option<String>| match v {
            None => "(none)".to_string(),
            Some(s) if s.chars().count() > 80 => {
                format!("{}…", s.chars().take(79).collect::<String>())
            }
            Some(s) => s.clone(),
        };
        write!(f, "{}: {} → {}", self.path, show(&self.a), show(&self.b))
    }
}

/// An inherited entry that an `extends` child replaced whole, and what that changed: fields the
/// child did not write are among them, back at their defaults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replaced {
    /// `disruptions`, `partnerships`, `price_floors` or `new_capacity`; for an entry of a map,
    /// the map's path (`blocs.EU.stockpiles`, `materials.gallium.stages`,
    /// `countries.China.capacity.gallium`, `blocs.EU.sourcing.lithium`).
    pub section: String,
    pub name: String,
    /// Field by field, inherited value → value after the replacement (paths inside the entry).
    pub changes: Vec<Change>,
}

impl fmt::Display for Replaced {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}[{}] replaced whole", self.section, self.name)?;
        if self.changes.is_empty() {
            return write!(f, " (no field changed)");
        }
        for c in &self.changes {
            write!(f, "\n  {c}")?;
        }
        Ok(())
    }
}

/// Every input field where `b` differs from `a`, in field order. A list of texts (countries,
/// sources) gives one change per item taken out or added.
pub fn diff(a: &ScenarioFile, b: &ScenarioFile) -> Vec<Change> {
    diff_values(&to_value(a), &to_value(b))
}

/// Field-by-field differences of two entries of the same type (e.g. two disruptions).
pub fn diff_entries<T: Serialize>(a: &T, b: &T) -> Vec<Change> {
    diff_values(&to_value(a), &to_value(b))
}

fn to_value<T: Serialize>(x: &T) -> Value {
    // Raw scenario types serialize to plain JSON (string keys, finite or null numbers).
    serde_json::to_value(x).unwrap_or(Value::Null)
}

fn diff_values(a: &Value, b: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", Some(a), Some(b), &mut out);
    out
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<Change>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().collect();
            keys.extend(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                walk(&join(path, k), x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if named(x) && named(y) => {
            let name = |v: &Value| v["name"].as_str().unwrap_or_default().to_string();
            let mut names: Vec<String> = x.iter().map(name).collect();
            names.extend(
                y.iter()
                    .map(name)
                    .filter(|n| !x.iter().any(|v| name(v) == *n)),
            );
            for n in names {
                let find = |list: &Vec<Value>| list.iter().find(|v| name(v) == n).cloned();
                let (ea, eb) = (find(x), find(y));
                walk(&format!("{path}[{n}]"), ea.as_ref(), eb.as_ref(), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if texts(x) && texts(y) && x != y => {
            // A list of names or sources: what was taken out, then what was added.
            for v in x.iter().filter(|v| !y.contains(v)) {
                out.push(Change {
                    path: path.to_string(),
                    a: Some(show(v)),
                    b: None,
                });
            }
            for v in y.iter().filter(|v| !x.contains(v)) {
                out.push(Change {
                    path: path.to_string(),
                    a: None,
                    b: Some(show(v)),
                });
            }
        }
        (a, b) if a == b => {}
        (a, b) => {
            let (a, b) = (a.filter(|v| !v.is_null()), b.filter(|v| !v.is_null()));
            if a.is_some() || b.is_some() {
                out.push(Change {
                    path: path.to_string(),
                    a: a.map(show),
                    b: b.map(show),
                });
            }
        }
    }
}

/// A list whose entries are all records with a `name` (matched by name, not position).
fn named(list: &[Value]) -> bool {
    !list.is_empty()
        && list
            .iter()
            .all(|v| v.get("name").is_some_and(Value::is_string))
}

fn texts(list: &[Value]) -> bool {
    list.iter().all(Value::is_string)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key}]")
    }
}

/// A value as it reads in a scenario: text unquoted (distributions are text), the rest as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"Scenario(
        version: 1,
        materials: { "gallium": (stages: { "refining": () }) },
        countries: { "China": (capacity: { "gallium": { "refining": (tonnes_per_year: 100) } }) },
        blocs: { "EU": (demand: { "gallium": (tonnes_per_year: 85) }) },
        disruptions: [(name: "ban", kind: ExportBan, countries: ["China"], materials: ["gallium"],
            annual_probability: 0.1, duration_months: Uniform(min: 6, max: 18), severity: 1.0,
            tension_sensitivity: 0.0)],
    )"#;

    fn load(text: &str) -> ScenarioFile {
        crate::scenario::load_str("x.ron", text).unwrap().raw
    }

    #[test]
    fn a_scenario_differs_from_itself_in_nothing() {
        assert!(diff(&load(BASE), &load(BASE)).is_empty());
    }

    #[test]
    fn changes_are_named_by_path_and_entry_and_show_distributions_as_written() {
        let b = BASE
            .replace("tonnes_per_year: 85", "tonnes_per_year: 90")
            .replace(
                "Uniform(min: 6, max: 18)",
                "LogNormal(median: 12, sigma: 0.5)",
            )
            .replace("tension_sensitivity: 0.0", "");
        let changes = diff(&load(BASE), &load(&b));
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "blocs.EU.demand.gallium.tonnes_per_year: 85.0 → 90.0",
                "disruptions[ban].duration_months: Uniform(min: 6, max: 18) → LogNormal(median: 12, sigma: 0.5)",
                "disruptions[ban].tension_sensitivity: 0.0 → 1.0",
            ]
        );
    }
}
