//! Distributions built once, through fallible constructors, from the scenario's `Param`s.
//!
//! A bad parameter (a negative sd, min > max, a probability above 1) is refused here, at load time,
//! with the field that gave it, so the kernel can sample without checking anything
//! (practice from `rand_distr/src/normal.rs`).

use rand::Rng;
use rand_distr::{Beta, Distribution, Exp, LogNormal, Normal, Triangular, Uniform};

use crate::scenario::Param;

/// A ready-to-sample distribution of one scenario number.
#[derive(Debug, Clone)]
pub enum Dist {
    Fixed(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Beta(Beta<f64>),
    Exponential(Exp<f64>),
    Empirical(Vec<f64>),
}

/// Bounds a value must respect (checked on every value the distribution can produce).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    /// What the bounds mean, for the error message.
    pub what: &'static str,
}

pub const PROBABILITY: Bounds = Bounds {
    min: 0.0,
    max: 1.0,
    what: "a probability in [0, 1]",
};
pub const SHARE: Bounds = Bounds {
    min: 0.0,
    max: 1.0,
    what: "a share in [0, 1]",
};
#[cfg(test)]
pub const NON_NEGATIVE: Bounds = Bounds {
    min: 0.0,
    max: f64::INFINITY,
    what: "a number >= 0",
};
pub const GROWTH: Bounds = Bounds {
    min: -0.99,
    max: 10.0,
    what: "an annual growth rate in [-0.99, 10]",
};

impl Dist {
    /// Build from a `Param`, refusing parameters the family does not accept or that can produce
    /// values outside `bounds`. Unbounded families (normal) are accepted where the draw is clamped
    /// into the bounds by the caller; their mean must still lie inside.
    pub fn build(param: &Param, bounds: Bounds) -> Result<Dist, String> {
        let finite = |name: &str, v: f64| -> Result<(), String> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("`{name}` is {v}; it must be a finite number"))
            }
        };
        let inside = |name: &str, v: f64| -> Result<(), String> {
            finite(name, v)?;
            if v < bounds.min || v > bounds.max {
                Err(format!(
                    "`{name}` = {v} is outside the valid range: expected {}",
                    bounds.what
                ))
            } else {
                Ok(())
            }
        };
        let dist = match param {
            Param::Fixed(v) => {
                finite("value", *v)?;
                if *v < bounds.min || *v > bounds.max {
                    return Err(format!("found {v}; expected {}", bounds.what));
                }
                Dist::Fixed(*v)
            }
            Param::Uniform { min, max } => {
                inside("min", *min)?;
                inside("max", *max)?;
                if min > max {
                    return Err(format!("Uniform has min {min} > max {max}"));
                }
                if min == max {
                    Dist::Fixed(*min)
                } else {
                    Dist::Uniform(
                        Uniform::new_inclusive(*min, *max).map_err(|e| format!("Uniform: {e}"))?,
                    )
                }
            }
            Param::Triangular { min, mode, max } => {
                inside("min", *min)?;
                inside("mode", *mode)?;
                inside("max", *max)?;
                if !(min <= mode && mode <= max) {
                    return Err(format!(
                        "Triangular needs min <= mode <= max, found {min}, {mode}, {max}"
                    ));
                }
                if min == max {
                    Dist::Fixed(*min)
                } else {
                    Dist::Triangular(
                        Triangular::new(*min, *max, *mode)
                            .map_err(|e| format!("Triangular: {e}"))?,
                    )
                }
            }
            Param::Normal { mean, sd } => {
                inside("mean", *mean)?;
                finite("sd", *sd)?;
                if *sd < 0.0 {
                    return Err(format!("Normal has sd {sd}; the sd must be >= 0"));
                }
                Dist::Normal(Normal::new(*mean, *sd).map_err(|e| format!("Normal: {e}"))?)
            }
            Param::LogNormal { median, sigma } => {
                inside("median", *median)?;
                finite("sigma", *sigma)?;
                if *median <= 0.0 || *sigma < 0.0 {
                    return Err(format!(
                        "LogNormal needs median > 0 and sigma >= 0, found {median}, {sigma}"
                    ));
                }
                Dist::LogNormal(
                    LogNormal::new(median.ln(), *sigma).map_err(|e| format!("LogNormal: {e}"))?,
                )
            }
            Param::Beta { alpha, beta } => {
                finite("alpha", *alpha)?;
                finite("beta", *beta)?;
                if *alpha <= 0.0 || *beta <= 0.0 {
                    return Err(format!(
                        "Beta needs alpha > 0 and beta > 0, found {alpha}, {beta}"
                    ));
                }
                if bounds.min > 0.0 || bounds.max < 1.0 {
                    return Err(format!(
                        "a Beta distribution takes values in [0, 1]; expected {}",
                        bounds.what
                    ));
                }
                Dist::Beta(Beta::new(*alpha, *beta).map_err(|e| format!("Beta: {e}"))?)
            }
            Param::Exponential { mean } => {
                finite("mean", *mean)?;
                if *mean <= 0.0 {
                    return Err(format!("Exponential needs mean > 0, found {mean}"));
                }
                if bounds.min > 0.0 {
                    return Err(format!(
                        "an Exponential distribution starts at 0; expected {}",
                        bounds.what
                    ));
                }
                Dist::Exponential(Exp::new(1.0 / mean).map_err(|e| format!("Exponential: {e}"))?)
            }
            Param::Empirical { values } => {
                if values.is_empty() {
                    return Err("Empirical needs at least one value".into());
                }
                for v in values {
                    inside("values", *v)?;
                }
                Dist::Empirical(values.clone())
            }
        };
        Ok(dist)
    }

    /// One draw, clamped into `[lo, hi]` (only unbounded families ever need the clamp).
    #[inline]
    pub fn sample_clamped<R: Rng + ?Sized>(&self, rng: &mut R, lo: f64, hi: f64) -> f64 {
        let v = match self {
            Dist::Fixed(v) => return *v,
            Dist::Uniform(d) => d.sample(rng),
            Dist::Triangular(d) => d.sample(rng),
            Dist::Normal(d) => d.sample(rng),
            Dist::LogNormal(d) => d.sample(rng),
            Dist::Beta(d) => d.sample(rng),
            Dist::Exponential(d) => d.sample(rng),
            Dist::Empirical(values) => {
                // Multiply-shift index: unbiased enough for any realistic list length and portable.
                let u: u64 = rng.next_u64();
                values[((u as u128 * values.len() as u128) >> 64) as usize]
            }
        };
        v.clamp(lo, hi)
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_parameters_with_the_reason() {
        let e = Dist::build(&Param::Uniform { min: 0.5, max: 0.2 }, PROBABILITY).unwrap_err();
        assert!(e.contains("min 0.5 > max 0.2"), "{e}");
        let e = Dist::build(&Param::Fixed(1.5), PROBABILITY).unwrap_err();
        assert!(e.contains("probability in [0, 1]"), "{e}");
        let e = Dist::build(
            &Param::Normal {
                mean: 1.0,
                sd: -1.0,
            },
            NON_NEGATIVE,
        )
        .unwrap_err();
        assert!(e.contains("sd must be >= 0"), "{e}");
        let e = Dist::build(&Param::Fixed(f64::NAN), NON_NEGATIVE).unwrap_err();
        assert!(e.contains("finite"), "{e}");
        let e = Dist::build(
            &Param::Beta {
                alpha: 0.0,
                beta: 1.0,
            },
            SHARE,
        )
        .unwrap_err();
        assert!(e.contains("alpha > 0"), "{e}");
        assert!(Dist::build(&Param::Empirical { values: vec![] }, NON_NEGATIVE).is_err());
    }
}
