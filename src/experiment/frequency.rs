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

/// Lower percentile used for a distribution's low end.
pub const LOW_QUANTILE: f64 = 0.05;
/// Upper percentile used for a distribution's high end.
pub const HIGH_QUANTILE: f64 = 0.95;
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
pub fn range(d: &Disruption) -> Option<FrequencyRange> {
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
pub fn quantile(p: &Param, q: f64) -> f64 {
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

/// Φ⁻¹(q): the tabulated value at the two levels the sensitivity uses, Acklam's rational
/// approximation elsewhere (far more precise than a frequency needs).
fn standard_normal_quantile(q: f64) -> f64 {
    // Φ⁻¹(0.95) = 1.6448536269514722 (Abramowitz & Stegun Table 26.5).
    const Z95: f64 = 1.644_853_626_951_472_2;
    if (q - 0.95).abs() < 1e-15 {
        return Z95;
    }
    if (q - 0.05).abs() < 1e-15 {
        return -Z95;
    }
    acklam(q)
}

/// Peter J. Acklam's algorithm for the normal quantile (2003; relative error < 1.15·10⁻⁹).
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Inverse of the Beta(a, b) CDF by bisection on the regularised incomplete beta function
/// (monotone, so bisection cannot fail; 100 halvings reach f64 resolution on [0, 1]).
fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if regularized_incomplete_beta(a, b, mid) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// I_x(a, b) by its continued fraction, evaluated with the modified Lentz method, using the
/// symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly (Press et al.,
/// *Numerical Recipes*, 3rd ed., §6.4).
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        // The last factor of this step is d·c; stop once it no longer changes h.
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms; about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
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
        // Acklam's approximation against tabulated values (A&S Table 26.1).
        assert!(close(acklam(0.975), 1.959_963_984_540_054, 1e-8));
        assert!(close(acklam(0.01), -2.326_347_874_040_841, 1e-8));
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
    fn beta_quantiles_match_exact_cases() {
        // Beta(1, 1) is uniform; Beta(a, 1) has CDF x^a, so its quantile is q^(1/a);
        // Beta(1, b) has CDF 1 − (1 − x)^b.
        assert!(close(beta_quantile(1.0, 1.0, 0.05), 0.05, 1e-12));
        assert!(close(
            beta_quantile(3.0, 1.0, 0.95),
            0.95f64.powf(1.0 / 3.0),
            1e-12
        ));
        assert!(close(
            beta_quantile(1.0, 4.0, 0.05),
            1.0 - 0.95f64.powf(0.25),
            1e-12
        ));
        // Beta(2, 2): CDF 3x² − 2x³, symmetric about 1/2.
        let x = beta_quantile(2.0, 2.0, 0.05);
        assert!(close(3.0 * x * x - 2.0 * x.powi(3), 0.05, 1e-12), "{x}");
        assert!(close(beta_quantile(2.0, 2.0, 0.95), 1.0 - x, 1e-12));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
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
