//! Numerical special functions, in one place so each method is written, cited and tested once:
//! the standard normal quantile (Acklam's rational approximation, with tabulated constants at
//! the levels the statistics use), ln Γ (Lanczos), the regularised incomplete beta function
//! (Numerical Recipes' continued fraction, evaluated by the modified Lentz method) and the Beta
//! quantile (bisection on it). Nothing else in the crate is imported here.

/// Φ⁻¹(0.975) = 1.959963984540054: the two-sided 95% normal quantile (Abramowitz & Stegun
/// Table 26.5), used by every 95% interval.
pub(crate) const NORMAL_QUANTILE_975: f64 = 1.959_963_984_540_054;

/// Φ⁻¹(0.95) = 1.6448536269514722 (Abramowitz & Stegun Table 26.5): the one-sided 95% normal
/// quantile, returned exactly by `standard_normal_quantile` at 0.95 (and negated at 0.05).
pub(crate) const NORMAL_QUANTILE_95: f64 = 1.644_853_626_951_472_2;

/// Φ⁻¹(q): the tabulated value at q = 0.05 and 0.95 (the levels the sensitivity analysis uses),
/// Acklam's rational approximation elsewhere (relative error < 1.15·10⁻⁹, far more precise than
/// a frequency needs). −∞ at q ≤ 0, +∞ at q ≥ 1.
pub(crate) fn standard_normal_quantile(q: f64) -> f64 {
    if (q - 0.95).abs() < 1e-15 {
        return NORMAL_QUANTILE_95;
    }
    if (q - 0.05).abs() < 1e-15 {
        return -NORMAL_QUANTILE_95;
    }
    acklam(q)
}

/// Peter J. Acklam's algorithm for the normal quantile (2003; relative error < 1.15·10⁻⁹): a
/// rational function in q − ½ in the centre and in √(−2 ln q) in each tail beyond 0.02425.
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
pub(crate) fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
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

/// I_x(a, b), the Beta(a, b) CDF at x, by its continued fraction, evaluated with the modified
/// Lentz method, using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges
/// slowly (Press et al., *Numerical Recipes*, 3rd ed., §6.4).
pub(crate) fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
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

/// The continued fraction of I_x(a, b) (Numerical Recipes `betacf`), by the modified Lentz
/// method: at most 300 steps, stopping when a step changes the value by less than 10⁻¹⁵.
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

/// ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms; about 15 digits), with the
/// reflection formula below ½.
pub(crate) fn ln_gamma(x: f64) -> f64 {
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
    fn normal_quantile_matches_tabulated_values() {
        // Abramowitz & Stegun Table 26.1 / 26.5; Acklam's relative error is below 1.15e-9.
        assert!(close(
            standard_normal_quantile(0.975),
            NORMAL_QUANTILE_975,
            1e-8
        ));
        assert!(close(acklam(0.975), 1.959_963_984_540_054, 1e-8));
        assert!(close(acklam(0.025), -1.959_963_984_540_054, 1e-8));
        assert!(close(acklam(0.01), -2.326_347_874_040_841, 1e-8));
        assert!(close(acklam(0.999), 3.090_232_306_167_813_5, 1e-8));
        assert!(close(acklam(0.95), NORMAL_QUANTILE_95, 1e-8));
        assert_eq!(standard_normal_quantile(0.5), 0.0);
        // The tabulated levels are returned exactly.
        assert_eq!(standard_normal_quantile(0.95), NORMAL_QUANTILE_95);
        assert_eq!(standard_normal_quantile(0.05), -NORMAL_QUANTILE_95);
        assert_eq!(standard_normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(standard_normal_quantile(1.0), f64::INFINITY);
    }

    #[test]
    fn normal_quantile_is_antisymmetric() {
        for q in [0.001, 0.01, 0.02, 0.1, 0.3, 0.45] {
            let (lo, hi) = (acklam(q), acklam(1.0 - q));
            assert!(close(lo, -hi, 1e-9 * hi.abs().max(1.0)), "{q}: {lo} {hi}");
        }
    }

    #[test]
    fn incomplete_beta_matches_closed_forms() {
        for x in [0.0, 0.01, 0.2, 0.5, 0.73, 0.99, 1.0] {
            // Beta(1, 1) is uniform: I_x(1, 1) = x.
            assert!(
                close(regularized_incomplete_beta(1.0, 1.0, x), x, 1e-13),
                "{x}"
            );
            // Beta(2, 3): CDF 6x² − 8x³ + 3x⁴.
            let exact = 6.0 * x * x - 8.0 * x.powi(3) + 3.0 * x.powi(4);
            assert!(
                close(regularized_incomplete_beta(2.0, 3.0, x), exact, 1e-13),
                "{x}"
            );
        }
        // Symmetric Beta(a, a): half the mass below ½.
        for a in [0.5, 1.0, 2.5, 10.0, 50.0] {
            assert!(
                close(regularized_incomplete_beta(a, a, 0.5), 0.5, 1e-12),
                "{a}"
            );
        }
        // I_x(a, b) = 1 − I_{1−x}(b, a).
        let (a, b, x) = (2.5, 7.0, 0.3);
        assert!(close(
            regularized_incomplete_beta(a, b, x),
            1.0 - regularized_incomplete_beta(b, a, 1.0 - x),
            1e-13
        ));
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
        // Beta(2, 3): the quantile put back into the closed-form CDF 6x² − 8x³ + 3x⁴.
        for q in [0.05, 0.5, 0.95] {
            let x = beta_quantile(2.0, 3.0, q);
            let cdf = 6.0 * x * x - 8.0 * x.powi(3) + 3.0 * x.powi(4);
            assert!(close(cdf, q, 1e-12), "{q}: {x} gives {cdf}");
        }
    }

    #[test]
    fn ln_gamma_matches_factorials_and_gamma_of_a_half() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(ln_gamma(11.0), 3_628_800f64.ln(), 1e-12));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
        // Reflection branch: Γ(0.25) = 3.625609908221908.
        assert!(close(ln_gamma(0.25), 3.625_609_908_221_908f64.ln(), 1e-12));
    }
}
