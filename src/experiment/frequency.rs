//! The low and high frequency of a disruption process, for the sensitivity (tornado) analysis:
//! where "its frequency moved across its range" lands, and how to write that into a variant
//! without losing the pairing with the base run.
//!
//! The rule. A frequency given as a distribution is moved to its 5th and 95th percentiles
//! (exact inverse CDFs below, for every family `Param` offers); a fixed frequency is halved and
//! doubled, a doubled probability being capped halfway between the value and 1 so it stays a
//! probability. Percentiles are clamped into the field's range as the sampler clamps its draws
//! (a probability in [0, 1], a rate in [0, 1000]).
//!
//! The pinning. A variant runs the process at one value on every path. Written as `Fixed`, it
//! would draw nothing from the process's random stream where the base drew its frequency, so
//! every later draw of that stream (the onset thresholds, durations, severities) would shift by
//! one and the process's episodes would be re-randomised: still a valid comparison, but a noisy
//! one. So a value replacing a distribution is written as `Uniform(v, v + 10⁻⁹·v)`, which
//! draws the one 64-bit word `Uniform`, `Triangular` and `Empirical` draw and takes the value v
//! (to nine digits): the stream stays aligned with the base's, and since onsets come from
//! integrated hazard crossing the same thresholds, a lower rate gives later-or-no onsets on
//! the same path. This is the "synchronisation" that makes common random numbers work (Law,
//! *Simulation Modeling and Analysis*, 5th ed., §11.2.3). The ziggurat families (`Normal`,
//! `LogNormal`, `Exponential`) draw one word on most paths and more on a few, `Beta` several:
//! there the pairing is partial and the interval is wider, never wrong. A fixed base stays
//! `Fixed` (neither draws).

use crate::scenario::raw::Disruption;
use crate::scenario::Param;
use crate::special::{beta_quantile, standard_normal_quantile};

/// Lower percentile used for a distribution's low end.
pub(crate) const LOW_QUANTILE: f64 = 0.05;
/// Upper percentile used for a distribution's high end.
pub(crate) const HIGH_QUANTILE: f64 = 0.95;
/// Largest rate `model::compile` accepts (onsets per year).
const MAX_RATE: f64 = 1000.0;
/// Relative width of the pinned `Uniform`: far below any reported digit.
const PIN_WIDTH: f64 = 1e-9;

/// Where a process's frequency goes in the low and high variants.
#[derive(Debug, Clone, PartialEq)]
pub struct FrequencyRange {
    /// `annual_probability` or `rate_per_year`.
    pub field: &'static str,
    /// The frequency as the scenario gives it.
    pub base: Param,
    pub low: f64,
    pub high: f64,
    /// How `low` and `high` were chosen, for the output files.
    pub rule: String,
}

impl FrequencyRange {
    /// The process's frequency field set to `value` (the low or high end), pinned as the module
    /// documentation explains.
    pub fn pinned(&self, value: f64) -> Param {
        if matches!(self.base, Param::Fixed(_)) {
            return Param::Fixed(value);
        }
        let upper = if self.field == "annual_probability" {
            1.0
        } else {
            MAX_RATE
        };
        let width = PIN_WIDTH * value.abs().max(1e-6);
        if value + width <= upper {
            Param::Uniform {
                min: value,
                max: value + width,
            }
        } else {
            Param::Uniform {
                min: value - width,
                max: value,
            }
        }
    }
}

/// The low/high range of a process's frequency; None for a scripted event (no frequency).
pub(crate) fn range(d: &Disruption) -> Option<FrequencyRange> {
    let (field, written, upper) = match (&d.annual_probability, &d.rate_per_year) {
        (Some(p), _) => ("annual_probability", p, 1.0),
        (None, Some(r)) => ("rate_per_year", r, MAX_RATE),
        (None, None) => return None,
    };
    // `model::dist` builds a Uniform or Triangular with min = max as Fixed (it draws nothing),
    // so it is treated as the fixed value it is: halved and doubled, pinned as Fixed.
    let degenerate = match written {
        Param::Uniform { min, max } | Param::Triangular { min, max, .. } if min == max => {
            Some(Param::Fixed(*min))
        }
        _ => None,
    };
    let param = degenerate.as_ref().unwrap_or(written);
    let (low, high, rule) = match param {
        Param::Fixed(v) => {
            // Doubling a probability of 0.6 would leave [0, 1]; go halfway to 1 instead.
            let doubled = if upper == 1.0 {
                (2.0 * v).min(0.5 * (1.0 + v))
            } else {
                (2.0 * v).min(upper)
            };
            let rule = if doubled < 2.0 * v {
                "fixed value: halved, and raised halfway to 1 (doubling would pass 1)"
            } else {
                "fixed value: halved and doubled"
            };
            (0.5 * v, doubled, rule.to_string())
        }
        p => (
            tidy(quantile(p, LOW_QUANTILE).clamp(0.0, upper)),
            tidy(quantile(p, HIGH_QUANTILE).clamp(0.0, upper)),
            format!("5th and 95th percentiles of {}", family(p)),
        ),
    };
    Some(FrequencyRange {
        field,
        base: param.clone(),
        low,
        high,
        rule,
    })
}

/// Twelve significant digits: the files show 0.116 for P95 of Uniform(0.04, 0.12), not the
/// 0.11599999999999999 that 0.04 + 0.95 × 0.08 gives in binary.
fn tidy(v: f64) -> f64 {
    format!("{v:.11e}").parse().unwrap_or(v)
}

fn family(p: &Param) -> &'static str {
    match p {
        Param::Fixed(_) => "Fixed",
        Param::Uniform { .. } => "Uniform",
        Param::Triangular { .. } => "Triangular",
        Param::Normal { .. } => "Normal",
        Param::LogNormal { .. } => "LogNormal",
        Param::Beta { .. } => "Beta",
        Param::Exponential { .. } => "Exponential",
        Param::Empirical { .. } => "Empirical",
    }
}

/// The q-quantile (inverse CDF) of the distribution a `Param` describes, before any clamping.
/// Normal and LogNormal use `special::standard_normal_quantile` (exact at the 5th and 95th
/// percentiles, Acklam elsewhere), Beta `special::beta_quantile` (bisection on the incomplete
/// beta function); the other families invert their CDFs in closed form.
pub(crate) fn quantile(p: &Param, q: f64) -> f64 {
    match p {
        Param::Fixed(v) => *v,
        Param::Uniform { min, max } => min + q * (max - min),
        Param::Triangular { min, mode, max } => {
            let (a, c, b) = (*min, *mode, *max);
            if b <= a {
                return a;
            }
            // F(c) = (c − a)/(b − a); invert each side of the mode.
            if q * (b - a) < c - a {
                a + (q * (b - a) * (c - a)).sqrt()
            } else {
                b - ((1.0 - q) * (b - a) * (b - c)).sqrt()
            }
        }
        Param::Normal { mean, sd } => mean + sd * standard_normal_quantile(q),
        Param::LogNormal { median, sigma } => median * (sigma * standard_normal_quantile(q)).exp(),
        Param::Exponential { mean } => -mean * (1.0 - q).ln(),
        Param::Beta { alpha, beta } => beta_quantile(*alpha, *beta, q),
        Param::Empirical { values } => {
            // The sampler picks each listed value with probability 1/n, so the quantile is the
            // smallest value whose cumulative share reaches q: sorted[⌈q·n⌉ − 1].
            let mut v = values.clone();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n == 0 {
                return f64::NAN;
            }
            let k = ((q * n as f64).ceil() as usize).clamp(1, n);
            v[k - 1]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn quantiles_match_closed_forms() {
        let u = Param::Uniform {
            min: 0.04,
            max: 0.12,
        };
        assert!(close(quantile(&u, 0.05), 0.044, 1e-15));
        assert!(close(quantile(&u, 0.95), 0.116, 1e-15));
        // Symmetric triangle on [0, 2]: F(x) = x²/2 below the mode, so P5 = √0.1.
        let t = Param::Triangular {
            min: 0.0,
            mode: 1.0,
            max: 2.0,
        };
        assert!(close(quantile(&t, 0.05), 0.1f64.sqrt(), 1e-12));
        assert!(close(quantile(&t, 0.95), 2.0 - 0.1f64.sqrt(), 1e-12));
        let n = Param::Normal { mean: 1.0, sd: 0.5 };
        assert!(close(
            quantile(&n, 0.95),
            1.0 + 0.5 * 1.644_853_626_951_472,
            1e-12
        ));
        let e = Param::Exponential { mean: 10.0 };
        assert!(close(quantile(&e, 0.95), 10.0 * 20f64.ln(), 1e-12));
        let l = Param::LogNormal {
            median: 2.0,
            sigma: 0.0,
        };
        assert_eq!(quantile(&l, 0.05), 2.0);
        let emp = Param::Empirical {
            values: (1..=20).rev().map(f64::from).collect(),
        };
        // 20 equally likely values: P5 is the first (1/20 = 0.05), P95 the 19th.
        assert_eq!((quantile(&emp, 0.05), quantile(&emp, 0.95)), (1.0, 19.0));
    }

    #[test]
    fn beta_params_use_the_beta_quantile() {
        // Beta(2, 2): CDF 3x² − 2x³, symmetric about 1/2 (the function itself is tested in
        // `special`).
        let p = Param::Beta {
            alpha: 2.0,
            beta: 2.0,
        };
        let x = quantile(&p, 0.05);
        assert!(close(3.0 * x * x - 2.0 * x.powi(3), 0.05, 1e-12), "{x}");
        assert!(close(quantile(&p, 0.95), 1.0 - x, 1e-12));
    }

    fn process(prob: Option<Param>, rate: Option<Param>) -> Disruption {
        let text = r#"(name: "p", kind: Accident, countries: ["A"], materials: ["x"],
                      duration_months: 1, severity: 1)"#;
        let mut d: Disruption = ron::from_str(text).unwrap();
        d.annual_probability = prob;
        d.rate_per_year = rate;
        d
    }

    #[test]
    fn fixed_values_are_halved_and_doubled_and_probabilities_stay_below_one() {
        let r = range(&process(Some(Param::Fixed(0.1)), None)).unwrap();
        assert_eq!((r.field, r.low, r.high), ("annual_probability", 0.05, 0.2));
        assert_eq!(r.pinned(0.2), Param::Fixed(0.2));
        let r = range(&process(Some(Param::Fixed(0.6)), None)).unwrap();
        assert!(
            close(r.high, 0.8, 1e-15) && r.rule.contains("halfway"),
            "{r:?}"
        );
        let r = range(&process(None, Some(Param::Fixed(3.0)))).unwrap();
        assert_eq!((r.field, r.low, r.high), ("rate_per_year", 1.5, 6.0));
        let same = Param::Uniform { min: 3.0, max: 3.0 };
        let r = range(&process(None, Some(same))).unwrap();
        assert_eq!(
            (r.low, r.high, r.pinned(6.0)),
            (1.5, 6.0, Param::Fixed(6.0))
        );
        assert!(range(&process(None, None)).is_none());
    }

    #[test]
    fn distributions_are_pinned_as_narrow_uniforms_inside_their_field() {
        let r = range(&process(
            None,
            Some(Param::Uniform {
                min: 0.04,
                max: 0.12,
            }),
        ))
        .unwrap();
        assert_eq!((r.low, r.high), (0.044, 0.116));
        let r = range(&process(Some(Param::Normal { mean: 0.9, sd: 0.2 }), None)).unwrap();
        // P95 = 1.229 is clamped to 1, and the pinned uniform stays inside [0, 1].
        assert_eq!(r.high, 1.0);
        match r.pinned(r.high) {
            Param::Uniform { min, max } => assert!(min < max && max <= 1.0),
            p => panic!("{p:?}"),
        }
        match r.pinned(r.low) {
            Param::Uniform { min, max } => {
                assert_eq!(min, r.low);
                assert!(max - min < 1e-9);
            }
            p => panic!("{p:?}"),
        }
    }
}
