//! Figures for a briefing: every number a reader sees rounded to what it can support.
//!
//! Probabilities and shares keep as many decimals as their Monte Carlo 95% interval supports
//! (one significant digit of its half-width), money gets two significant figures and its price
//! basis, tonnes three significant figures with thousands separators. CSV and JSON keep full
//! precision; these functions are for the terminal, report.html and charts only.

use crate::stats::estimate::{DistributionEstimate, ProbabilityEstimate};

/// Decimals of a percentage that an interval `[low, high]` (shares, 0.1 = 10%) supports: one
/// significant digit of its half-width in percentage points, between 0 and 3. One decimal when
/// the interval has no width (a certain or a deterministic figure).
pub(crate) fn decimals(low: f64, high: f64) -> usize {
    let half = 50.0 * (high - low).abs();
    if !half.is_finite() || half == 0.0 {
        return 1;
    }
    (-half.log10().floor()).clamp(0.0, 3.0) as usize
}

/// A number with `d` decimals, never "-0.0": a value that rounds to zero prints unsigned.
fn fixed(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A share as a percentage with `d` decimals. Exactly zero is "0%"; a positive share that would
/// round to zero is "<0.1%" (at the smallest step `d` decimals show), never "0.0%".
pub(crate) fn share_at(share: f64, d: usize) -> String {
    if !share.is_finite() {
        return "n/a".into();
    }
    let p = share * 100.0;
    // Below 1e-9 points is floating-point residue of a zero bound, not a probability.
    if p.abs() < 1e-9 {
        return "0%".into();
    }
    let step = 10f64.powi(-(d as i32));
    if p > 0.0 && p < step / 2.0 {
        return format!("<{}%", fixed(step, d));
    }
    format!("{}%", fixed(p, d))
}

/// A share and its 95% interval on the decimals the interval supports:
/// "12.3% [11.8%–12.9%]", "45% [41%–50%]", "0% [0%–0.003%]".
pub(crate) fn share_ci(value: f64, low: f64, high: f64) -> String {
    let d = decimals(low, high);
    format!(
        "{} [{}–{}]",
        share_at(value, d),
        share_at(low, d),
        share_at(high, d)
    )
}

/// A share known to ± 1.96 `se` (a mean, say), on the decimals that error supports, no interval.
pub(crate) fn share_se(value: f64, se: f64) -> String {
    share_at(value, decimals(value - 1.96 * se, value + 1.96 * se))
}

/// A probability estimate on the decimals its interval supports, without the interval.
pub(crate) fn prob(p: &ProbabilityEstimate) -> String {
    share_at(p.p, decimals(p.ci95.low, p.ci95.high))
}

/// A probability estimate with its 95% interval: "12.3% [11.8%–12.9%]".
pub(crate) fn prob_ci(p: &ProbabilityEstimate) -> String {
    share_ci(p.p, p.ci95.low, p.ci95.high)
}

/// The `q` quantile of a share distribution with its interval, or "n/a" if not tracked.
pub(crate) fn quantile_ci(d: &DistributionEstimate, q: f64) -> String {
    d.quantile(q)
        .map_or("n/a".into(), |q| share_ci(q.value, q.ci95.low, q.ci95.high))
}

/// The `q` quantile of a share distribution on the decimals its interval supports, no interval.
pub(crate) fn quantile(d: &DistributionEstimate, q: f64) -> String {
    d.quantile(q).map_or("n/a".into(), |q| {
        share_at(q.value, decimals(q.ci95.low, q.ci95.high))
    })
}

/// A change in percentage points with its interval, signed, on the decimals the interval
/// supports: "+1.2 [+0.4, +2.0] pp". Zero prints "0", never "+0.0" or "-0.0".
pub(crate) fn pp_ci(value: f64, low: f64, high: f64) -> String {
    let d = decimals(low, high);
    format!(
        "{} [{}, {}] pp",
        signed(100.0 * value, d),
        signed(100.0 * low, d),
        signed(100.0 * high, d)
    )
}

/// A signed number with `d` decimals; one that rounds to zero is "0".
fn signed(v: f64, d: usize) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = fixed(v, d);
    if s.chars().all(|c| c == '0' || c == '.') {
        "0".into()
    } else if v > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

/// US dollars to two significant figures in words a briefing uses: "USD 1.7 bn", "USD 17 bn",
/// "USD 230 m", "USD 4,500".
pub(crate) fn usd(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "USD 0".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = round_sig(v.abs(), 2);
    let (scaled, unit) = if a >= 1e12 {
        (a / 1e12, " tn")
    } else if a >= 1e9 {
        (a / 1e9, " bn")
    } else if a >= 1e6 {
        (a / 1e6, " m")
    } else {
        return format!("USD {sign}{}", tonnes(a));
    };
    let d = if scaled < 10.0 { 1 } else { 0 };
    format!("USD {sign}{}{unit}", fixed(scaled, d))
}

/// The price basis of a money figure over the horizon `first`..`last` (month labels
/// "YYYY-MM"): "base prices, 2026–30"; "base prices, 2026" within one year.
pub(crate) fn money_basis(first: &str, last: &str) -> String {
    let y0 = first.get(..4).unwrap_or(first);
    let y1 = last.get(..4).unwrap_or(last);
    if y0 == y1 {
        format!("base prices, {y0}")
    } else if y0.get(..2) == y1.get(..2) && y1.len() == 4 {
        format!("base prices, {y0}–{}", &y1[2..])
    } else {
        format!("base prices, {y0}–{y1}")
    }
}

/// Money with its basis: "USD 1.7 bn, base prices, 2026–30".
pub(crate) fn usd_with_basis(v: f64, month_labels: &[String]) -> String {
    match (month_labels.first(), month_labels.last()) {
        (Some(a), Some(b)) => format!("{}, {}", usd(v), money_basis(a, b)),
        _ => usd(v),
    }
}

/// `v` rounded to `n` significant figures.
fn round_sig(v: f64, n: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let mag = v.abs().log10().floor() as i32;
    let scale = 10f64.powi(n - 1 - mag);
    (v * scale).round() / scale
}

/// Tonnes to three significant figures, with thousands separators: 1,234,567 → "1,230,000",
/// 8.86 → "8.86", 0.012345 → "0.0123"; never "-0".
pub(crate) fn tonnes(t: f64) -> String {
    if !t.is_finite() {
        return "n/a".into();
    }
    if t == 0.0 {
        return "0".into();
    }
    let r = round_sig(t, 3);
    let mag = r.abs().log10().floor() as i32;
    if mag < 2 {
        let d = (2 - mag) as usize;
        let s = fixed(r, d);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        return s;
    }
    crate::report::format::tonnes(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_carry_the_decimals_their_interval_supports() {
        assert_eq!(share_ci(0.123, 0.118, 0.129), "12.3% [11.8%–12.9%]");
        assert_eq!(share_ci(0.45, 0.41, 0.50), "45% [41%–50%]");
        assert_eq!(share_ci(0.0123, 0.0121, 0.0125), "1.23% [1.21%–1.25%]");
        // The case the issue quotes: no "0.0% [0.0%–0.00%]".
        assert_eq!(share_ci(0.0, 0.0, 0.00003), "0% [0%–0.003%]");
        assert_eq!(share_ci(0.00001, 0.0, 0.002), "<0.1% [0%–0.2%]");
        assert_eq!(share_ci(0.0, 1e-17, 0.0019), "0% [0%–0.19%]");
        assert_eq!(share_ci(1.0, 1.0, 1.0), "100.0% [100.0%–100.0%]");
        assert_eq!(decimals(0.1, 0.1), 1);
    }

    #[test]
    fn never_negative_zero() {
        assert_eq!(share_at(-0.0000001, 1), "0.0%");
        assert_eq!(pp_ci(-0.00001, -0.002, 0.002), "0 [-0.2, +0.2] pp");
        assert_eq!(pp_ci(0.012, 0.004, 0.020), "+1.2 [+0.4, +2.0] pp");
        assert_eq!(pp_ci(-0.12, -0.15, -0.09), "-12 [-15, -9] pp");
    }

    #[test]
    fn means_round_to_their_standard_error() {
        // ± 1.96 × 0.1 pp = ± 0.2 pp: one decimal; ± 0.02 pp: two. (At se 0.05 pp the half-width
        // is 0.098 pp, whose first significant digit is the second decimal: "4.32%".)
        assert_eq!(share_se(0.04321, 0.001), "4.3%");
        assert_eq!(share_se(0.04321, 0.0001), "4.32%");
        assert_eq!(share_se(0.04321, 0.0005), "4.32%");
    }

    #[test]
    fn money_has_two_significant_figures_and_a_basis() {
        assert_eq!(usd(16_877_879_296.0), "USD 17 bn");
        assert_eq!(usd(1_734_000_000.0), "USD 1.7 bn");
        assert_eq!(usd(234_567_890.0), "USD 230 m");
        assert_eq!(usd(4_530.0), "USD 4,500");
        assert_eq!(usd(0.0), "USD 0");
        assert_eq!(usd(2.4e12), "USD 2.4 tn");
        assert_eq!(money_basis("2026-01", "2030-12"), "base prices, 2026–30");
        assert_eq!(money_basis("2026-01", "2026-12"), "base prices, 2026");
        assert_eq!(
            usd_with_basis(1.7e9, &["2026-01".into(), "2030-12".into()]),
            "USD 1.7 bn, base prices, 2026–30"
        );
    }

    #[test]
    fn tonnes_have_separators_and_three_significant_figures() {
        assert_eq!(tonnes(1_234_567.4), "1,230,000");
        assert_eq!(tonnes(12_345.6), "12,300");
        assert_eq!(tonnes(987.6), "988");
        assert_eq!(tonnes(8.86), "8.86");
        assert_eq!(tonnes(12.0), "12");
        assert_eq!(tonnes(0.012345), "0.0123");
        assert_eq!(tonnes(-4_567.0), "-4,570");
        assert_eq!(tonnes(0.0), "0");
    }
}
