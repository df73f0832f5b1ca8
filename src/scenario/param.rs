//! A number that may be uncertain: a plain value or a distribution, as written in the file.
//!
//! Analysts write `0.3` for a known value or `Uniform(min: 0.2, max: 0.4)` when unsure. The name
//! in front of the parentheses decides the distribution, and its fields must be exactly that
//! family's: `Normal(mean: 4)` is refused (Normal needs mean and sd), never read as another
//! family. RON drops struct names when a type is not fixed in advance, except for serde's
//! buffered content (what `#[serde(untagged)]` reads), where it keeps the name as a one-key map
//! `{name: fields}`; so the value is read through a one-variant untagged enum into [`Written`],
//! and only then turned into a [`Param`]. Checking the parameters is `model`'s job, not this one's.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Log-normal given by its median and the sd of the log.
    LogNormal {
        median: f64,
        sigma: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    Exponential {
        mean: f64,
    },
    /// Equally likely values (a resample of the historical record).
    Empirical {
        values: Vec<f64>,
    },
}

/// The forms accepted, for error messages.
pub const PARAM_FORMS: &str = "a number, Fixed(x), Uniform(min, max), Triangular(min, mode, max), \
     Normal(mean, sd), LogNormal(median, sigma), Beta(alpha, beta), Exponential(mean) or Empirical(values: [..])";

/// Every family written with named fields, and its fields in the order they are written.
const FAMILIES: [(&str, &[&str]); 7] = [
    ("Uniform", &["min", "max"]),
    ("Triangular", &["min", "mode", "max"]),
    ("Normal", &["mean", "sd"]),
    ("LogNormal", &["median", "sigma"]),
    ("Beta", &["alpha", "beta"]),
    ("Exponential", &["mean"]),
    ("Empirical", &["values"]),
];

/// Every message of this module starts with one of these, so the loader can tell a distribution
/// error (located at the distribution's name) from other parse errors.
const MESSAGE_STARTS: [&str; 2] = ["the distribution ", "this distribution "];

/// Whether a parse error message is one this module wrote.
pub(crate) fn is_distribution_message(message: &str) -> bool {
    MESSAGE_STARTS.iter().any(|s| message.starts_with(s))
}

/// The value as it would be written in a scenario: `0.3`, `Uniform(min: 0.2, max: 0.4)`.
impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Param::Fixed(x) => write!(f, "{x}"),
            Param::Uniform { min, max } => write!(f, "Uniform(min: {min}, max: {max})"),
            Param::Triangular { min, mode, max } => {
                write!(f, "Triangular(min: {min}, mode: {mode}, max: {max})")
            }
            Param::Normal { mean, sd } => write!(f, "Normal(mean: {mean}, sd: {sd})"),
            Param::LogNormal { median, sigma } => {
                write!(f, "LogNormal(median: {median}, sigma: {sigma})")
            }
            Param::Beta { alpha, beta } => write!(f, "Beta(alpha: {alpha}, beta: {beta})"),
            Param::Exponential { mean } => write!(f, "Exponential(mean: {mean})"),
            Param::Empirical { values } => {
                let values: Vec<String> = values.iter().map(f64::to_string).collect();
                write!(f, "Empirical(values: [{}])", values.join(", "))
            }
        }
    }
}

/// A plain value as a number; a distribution as its written form (`check --json`, `check --diff`),
/// so a reader sees which family was read and with which fields.
impl serde::Serialize for Param {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Param::Fixed(x) => serializer.serialize_f64(*x),
            other => serializer.collect_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Buffered::Value(written) = Buffered::deserialize(deserializer)?;
        written.into_param().map_err(de::Error::custom)
    }
}

/// The untagged buffer that makes RON keep the name in front of the parentheses.
#[derive(Deserialize)]
#[serde(untagged)]
enum Buffered {
    Value(Written),
}

/// Any RON value, as written; reading one never fails, so the messages are this module's.
#[derive(Debug, Clone, PartialEq)]
enum Written {
    Number(f64),
    List(Vec<Written>),
    /// A struct or map: its keys in order. A named struct `Name(..)` is `[(Name, fields)]`.
    Map(Vec<(String, Written)>),
    /// Anything else (text, booleans, unit), described for the message.
    Other(String),
}

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WrittenVisitor)
    }
}

struct WrittenVisitor;

impl<'de> Visitor<'de> for WrittenVisitor {
    type Value = Written;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(PARAM_FORMS)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Written, E> {
        Ok(Written::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Written, E> {
        Ok(Written::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Written, E> {
        Ok(Written::Number(v as f64))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Written, E> {
        Ok(Written::Other(format!("`{v}`")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Written, E> {
        Ok(Written::Other(format!("`{v}`")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Written, E> {
        Ok(Written::Other("`()`".into()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Written, E> {
        Ok(Written::Other("`None`".into()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Written, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Written, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Written, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Written::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Written, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Written::Map(entries))
    }
}

impl Written {
    /// The distribution this value names, or what is wrong with it.
    fn into_param(self) -> Result<Param, String> {
        let entries = match self {
            Written::Number(v) => return Ok(Param::Fixed(v)),
            Written::Map(entries) => entries,
            Written::List(_) => {
                return Err(format!(
                    "this distribution is a bare list; write Empirical(values: [..]) or one of {PARAM_FORMS}"
                ))
            }
            Written::Other(what) if is_family_name(what.trim_matches('`')) => {
                let name = what.trim_matches('`');
                return Err(format!(
                    "the distribution {name} needs its fields in parentheses: {}",
                    form(name)
                ));
            }
            Written::Other(what) => {
                return Err(format!(
                    "this distribution is written as {what}; expected {PARAM_FORMS}"
                ))
            }
        };
        match entries.as_slice() {
            [(name, body)] if name == "Fixed" => fixed(body),
            [(name, Written::Map(fields))] if is_family_name(name) => family(name, fields),
            [(name, _)] if is_family_name(name) => Err(format!(
                "the distribution {name} takes named fields: {}",
                form(name)
            )),
            [(name, _)] if name.starts_with(|c: char| c.is_ascii_uppercase()) => Err(format!(
                "the distribution {name} does not exist; expected {PARAM_FORMS}"
            )),
            _ => Err(format!(
                "this distribution has no name in front of its parentheses; write the family, \
                 e.g. Uniform(min: 0.2, max: 0.4); expected {PARAM_FORMS}"
            )),
        }
    }
}

fn is_family_name(name: &str) -> bool {
    FAMILIES.iter().any(|(n, _)| *n == name)
}

fn fields_of(name: &str) -> &'static [&'static str] {
    FAMILIES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, f)| f)
}

/// `Normal(mean, sd)`: how a family is written.
fn form(name: &str) -> String {
    if name == "Empirical" {
        return "Empirical(values: [..])".into();
    }
    format!("{name}({})", fields_of(name).join(", "))
}

/// "mean and sd", "min, mode and max".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} and `{last}`",
            init.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn fixed(body: &Written) -> Result<Param, String> {
    match body {
        Written::Number(v) => Ok(Param::Fixed(*v)),
        Written::List(items) if matches!(items.as_slice(), [Written::Number(_)]) => {
            let [Written::Number(v)] = items.as_slice() else {
                unreachable!("matched above")
            };
            Ok(Param::Fixed(*v))
        }
        _ => Err("the distribution Fixed holds one number: Fixed(x), e.g. Fixed(0.3)".into()),
    }
}

/// A named family with its fields: exactly that family's fields, each a number (a list for
/// Empirical's `values`), each once.
fn family(name: &str, fields: &[(String, Written)]) -> Result<Param, String> {
    let expected = fields_of(name);
    let needs = format!(
        "the distribution {name} needs {} ({})",
        and_list(expected),
        form(name)
    );
    for (i, (key, _)) in fields.iter().enumerate() {
        if !expected.contains(&key.as_str()) {
            let other = FAMILIES
                .iter()
                .filter(|(_, f)| f.contains(&key.as_str()))
                .map(|(n, _)| form(n))
                .collect::<Vec<_>>();
            let hint = if other.is_empty() {
                String::new()
            } else {
                format!("; `{key}` belongs to {}", other.join(" or "))
            };
            return Err(format!("{needs}; it has no field `{key}`{hint}"));
        }
        if fields[..i].iter().any(|(k, _)| k == key) {
            return Err(format!("{needs}; `{key}` is given twice"));
        }
    }
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|f| !fields.iter().any(|(k, _)| k == f))
        .collect();
    if !missing.is_empty() {
        return Err(format!("{needs}; {} missing", {
            let list = and_list(&missing);
            if missing.len() == 1 {
                format!("{list} is")
            } else {
                format!("{list} are")
            }
        }));
    }
    let number = |field: &str| -> Result<f64, String> {
        match fields.iter().find(|(k, _)| k == field).map(|(_, v)| v) {
            Some(Written::Number(v)) => Ok(*v),
            _ => Err(format!("{needs}; `{field}` must be a plain number")),
        }
    };
    Ok(match name {
        "Uniform" => Param::Uniform {
            min: number("min")?,
            max: number("max")?,
        },
        "Triangular" => Param::Triangular {
            min: number("min")?,
            mode: number("mode")?,
            max: number("max")?,
        },
        "Normal" => Param::Normal {
            mean: number("mean")?,
            sd: number("sd")?,
        },
        "LogNormal" => Param::LogNormal {
            median: number("median")?,
            sigma: number("sigma")?,
        },
        "Beta" => Param::Beta {
            alpha: number("alpha")?,
            beta: number("beta")?,
        },
        "Exponential" => Param::Exponential {
            mean: number("mean")?,
        },
        _ => {
            let list = fields.iter().find(|(k, _)| k == "values").map(|(_, v)| v);
            let values = match list {
                Some(Written::List(items)) => items
                    .iter()
                    .map(|v| match v {
                        Written::Number(x) => Ok(*x),
                        _ => Err(format!("{needs}; every value must be a plain number")),
                    })
                    .collect::<Result<Vec<f64>, String>>()?,
                _ => return Err(format!("{needs}; `values` must be a list of numbers")),
            };
            Param::Empirical { values }
        }
    })
}

impl Param {
    /// The value a newcomer would think of as "the" number: the mean where it exists in closed form.
    pub fn central(&self) -> f64 {
        match self {
            Param::Fixed(v) => *v,
            Param::Uniform { min, max } => 0.5 * (min + max),
            Param::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Param::Normal { mean, .. } => *mean,
            Param::LogNormal { median, sigma } => median * (0.5 * sigma * sigma).exp(),
            Param::Beta { alpha, beta } => alpha / (alpha + beta),
            Param::Exponential { mean } => *mean,
            Param::Empirical { values } => values.iter().sum::<f64>() / values.len().max(1) as f64,
        }
    }

    /// Smallest and largest value the distribution can take (or a wide central range for
    /// unbounded ones); used by `check` and the sensitivity sweep.
    pub fn range(&self) -> (f64, f64) {
        match self {
            Param::Fixed(v) => (*v, *v),
            Param::Uniform { min, max } | Param::Triangular { min, max, .. } => (*min, *max),
            Param::Normal { mean, sd } => (mean - 2.0 * sd, mean + 2.0 * sd),
            Param::LogNormal { median, sigma } => {
                (median * (-2.0 * sigma).exp(), median * (2.0 * sigma).exp())
            }
            Param::Beta { .. } => (0.0, 1.0),
            Param::Exponential { mean } => (0.0, 3.0 * mean),
            Param::Empirical { values } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Param, ron::error::SpannedError> {
        ron::from_str(s)
    }

    #[test]
    fn plain_numbers_and_fixed_are_fixed() {
        assert_eq!(parse("0.25").unwrap(), Param::Fixed(0.25));
        assert_eq!(parse("3").unwrap(), Param::Fixed(3.0));
        assert_eq!(parse("Fixed(0.5)").unwrap(), Param::Fixed(0.5));
    }

    #[test]
    fn each_family_is_recognised_by_its_fields() {
        assert_eq!(
            parse("Uniform(min: 1, max: 2)").unwrap(),
            Param::Uniform { min: 1.0, max: 2.0 }
        );
        assert_eq!(
            parse("Triangular(min: 1, mode: 2, max: 4)").unwrap(),
            Param::Triangular {
                min: 1.0,
                mode: 2.0,
                max: 4.0
            }
        );
        assert_eq!(
            parse("Normal(mean: 1, sd: 0.5)").unwrap(),
            Param::Normal { mean: 1.0, sd: 0.5 }
        );
        assert_eq!(
            parse("LogNormal(median: 6, sigma: 0.7)").unwrap(),
            Param::LogNormal {
                median: 6.0,
                sigma: 0.7
            }
        );
        assert_eq!(
            parse("Beta(alpha: 2, beta: 5)").unwrap(),
            Param::Beta {
                alpha: 2.0,
                beta: 5.0
            }
        );
        assert_eq!(
            parse("Exponential(mean: 9)").unwrap(),
            Param::Exponential { mean: 9.0 }
        );
        assert_eq!(
            parse("Empirical(values: [2, 4, 36])").unwrap(),
            Param::Empirical {
                values: vec![2.0, 4.0, 36.0]
            }
        );
    }

    #[test]
    fn the_name_decides_and_a_wrong_field_set_is_refused() {
        let err = parse("Uniform(low: 1, max: 2)").unwrap_err().to_string();
        assert!(err.contains("no field `low`"), "{err}");
        assert!(err.contains("Uniform needs `min` and `max`"), "{err}");
        // Once read as an exponential: the name now decides.
        let err = parse("Normal(mean: 4)").unwrap_err().to_string();
        assert!(
            err.contains("Normal needs `mean` and `sd` (Normal(mean, sd)); `sd` is missing"),
            "{err}"
        );
        // Once read as a normal.
        let err = parse("Uniform(mean: 1, sd: 2)").unwrap_err().to_string();
        assert!(err.contains("Uniform needs `min` and `max`"), "{err}");
        assert!(
            err.contains("`mean` belongs to Normal(mean, sd) or Exponential(mean)"),
            "{err}"
        );
        let err = parse("Normal(mean: 1, max: 2)").unwrap_err().to_string();
        assert!(err.contains("no field `max`"), "{err}");
        let err = parse("Triangular(min: 1, max: 2)").unwrap_err().to_string();
        assert!(err.contains("`mode` is missing"), "{err}");
        let err = parse("Beta()").unwrap_err().to_string();
        assert!(err.contains("Beta takes named fields"), "{err}");
        let err = parse("Gaussian(mean: 1, sd: 2)").unwrap_err().to_string();
        assert!(err.contains("Gaussian does not exist"), "{err}");
        let err = parse("(min: 1, max: 2)").unwrap_err().to_string();
        assert!(err.contains("no name in front"), "{err}");
        let err = parse("Fixed(1, 2)").unwrap_err().to_string();
        assert!(err.contains("Fixed holds one number"), "{err}");
        let err = parse("Empirical(values: [1, \"a\"])")
            .unwrap_err()
            .to_string();
        assert!(err.contains("every value must be a plain number"), "{err}");
        let err = parse("\"0.3\"").unwrap_err().to_string();
        assert!(err.contains("written as `0.3`"), "{err}");
        assert!(is_distribution_message("the distribution Normal needs"));
        assert!(!is_distribution_message("Expected float"));
    }
}
