//! The rules that turn a model distribution and an observed value into PASS or FAIL
//! (docs/backtest.md, "Verdicts"): a 5–95% band, a two-sided p-value, the ×1.5 and ±1-month
//! rules of the episode replays. Pure functions on plain numbers, so each is tested on
//! hand-made inputs.

/// The q-quantile of integer samples: the smallest value x with P(X ≤ x) ≥ q (the inverse of
/// the empirical CDF; no interpolation, so a band's ends are counts the model can produce).
pub fn quantile(samples: &[u32], q: f64) -> u32 {
    if samples.is_empty() {
        return 0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let k = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[k - 1]
}

/// The 5–95% band of integer samples.
pub fn band(samples: &[u32]) -> (u32, u32) {
    (quantile(samples, 0.05), quantile(samples, 0.95))
}

/// Inside the band, ends included.
pub fn inside(observed: u32, band: (u32, u32)) -> bool {
    band.0 <= observed && observed <= band.1
}

/// Two-sided p-value of an observed count under the model's samples:
/// p = 2 · min(P(X ≤ obs), P(X ≥ obs)), capped at 1.
pub fn two_sided_p(samples: &[u32], observed: u32) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let n = samples.len() as f64;
    let le = samples.iter().filter(|&&x| x <= observed).count() as f64 / n;
    let ge = samples.iter().filter(|&&x| x >= observed).count() as f64 / n;
    (2.0 * le.min(ge)).min(1.0)
}

/// Mean of integer samples.
pub(crate) fn mean(samples: &[u32]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.iter().map(|&x| x as f64).sum::<f64>() / samples.len() as f64
}

/// The modelled 12-month import gap is within a factor `factor` of the observed drop
/// (observed / factor ≤ modelled ≤ observed · factor). Two zeros agree; one zero does not.
pub fn within_factor(modelled: f64, observed: f64, factor: f64) -> bool {
    if observed <= 0.0 || modelled <= 0.0 {
        return observed <= 0.0 && modelled <= 0.0;
    }
    modelled >= observed / factor && modelled <= observed * factor
}

/// The modelled deepest month is within `tolerance` months of the observed one.
pub fn within_months(modelled: u32, observed: u32, tolerance: u32) -> bool {
    modelled.abs_diff(observed) <= tolerance
}
