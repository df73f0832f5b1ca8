//! A number that may be uncertain: a plain value or a distribution, as written in the file.
//!
//! Analysts write `0.3` for a known value or `Uniform(min: 0.2, max: 0.4)` when unsure. RON drops
//! struct names when it reads a value whose type is not fixed in advance, so the distribution is
//! recognised by its set of field names, which are distinct for every family. The name in front
//! is kept for the reader. Checking the parameters is `model`'s job, not this one's.

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

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

#[derive(Default)]
struct Fields {
    min: Option<f64>,
    max: Option<f64>,
    mode: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    median: Option<f64>,
    sigma: Option<f64>,
    alpha: Option<f64>,
    beta: Option<f64>,
    values: Option<Vec<f64>>,
}

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(PARAM_FORMS)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Param, E> {
        Ok(Param::Fixed(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Param, E> {
        Ok(Param::Fixed(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Param, E> {
        Ok(Param::Fixed(v as f64))
    }

    /// `Fixed(0.3)` arrives as a one-element tuple.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Param, A::Error> {
        let value: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom(format!("expected {PARAM_FORMS}")))?;
        if seq.next_element::<f64>()?.is_some() {
            return Err(de::Error::custom(format!(
                "a tuple holds one value, Fixed(x); expected {PARAM_FORMS}"
            )));
        }
        Ok(Param::Fixed(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Param, A::Error> {
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "min" => &mut f.min,
                "max" => &mut f.max,
                "mode" => &mut f.mode,
                "mean" => &mut f.mean,
                "sd" => &mut f.sd,
                "median" => &mut f.median,
                "sigma" => &mut f.sigma,
                "alpha" => &mut f.alpha,
                "beta" => &mut f.beta,
                "values" => {
                    f.values = Some(map.next_value()?);
                    continue;
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown distribution field `{other}`; expected {PARAM_FORMS}"
                    )))
                }
            };
            *slot = Some(map.next_value()?);
        }
        use Param::*;
        let p = match f {
            Fields {
                min: Some(min),
                max: Some(max),
                mode: None,
                mean: None,
                sd: None,
                median: None,
                sigma: None,
                alpha: None,
                beta: None,
                values: None,
            } => Uniform { min, max },
            Fields {
                min: Some(min),
                max: Some(max),
                mode: Some(mode),
                mean: None,
                sd: None,
                median: None,
                sigma: None,
                alpha: None,
                beta: None,
                values: None,
            } => Triangular { min, mode, max },
            Fields {
                mean: Some(mean),
                sd: Some(sd),
                min: None,
                max: None,
                mode: None,
                median: None,
                sigma: None,
                alpha: None,
                beta: None,
                values: None,
            } => Normal { mean, sd },
            Fields {
                median: Some(median),
                sigma: Some(sigma),
                min: None,
                max: None,
                mode: None,
                mean: None,
                sd: None,
                alpha: None,
                beta: None,
                values: None,
            } => LogNormal { median, sigma },
            Fields {
                alpha: Some(alpha),
                beta: Some(beta),
                min: None,
                max: None,
                mode: None,
                mean: None,
                sd: None,
                median: None,
                sigma: None,
                values: None,
            } => Beta { alpha, beta },
            Fields {
                mean: Some(mean),
                sd: None,
                min: None,
                max: None,
                mode: None,
                median: None,
                sigma: None,
                alpha: None,
                beta: None,
                values: None,
            } => Exponential { mean },
            Fields {
                values: Some(values),
                min: None,
                max: None,
                mode: None,
                mean: None,
                sd: None,
                median: None,
                sigma: None,
                alpha: None,
                beta: None,
            } => Empirical { values },
            _ => {
                return Err(de::Error::custom(format!(
                    "these fields do not make a distribution; expected {PARAM_FORMS}"
                )))
            }
        };
        Ok(p)
    }
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
    fn unknown_fields_are_refused_with_the_valid_forms() {
        let err = parse("Uniform(low: 1, max: 2)").unwrap_err().to_string();
        assert!(err.contains("unknown distribution field `low`"), "{err}");
        assert!(err.contains("Triangular(min, mode, max)"), "{err}");
        let err = parse("Normal(mean: 1, max: 2)").unwrap_err().to_string();
        assert!(err.contains("do not make a distribution"), "{err}");
    }
}
