//! Number formatting shared by tables and charts: percentages and tonnes with thousands separators.

/// A share as a percentage with one decimal (two below 0.1%).
/// `0.711` → `"71.1%"`, `0.0005` → `"0.05%"` (tests below).
pub(crate) fn pct(share: f64) -> String {
    if !share.is_finite() {
        return "n/a".into();
    }
    let p = share * 100.0;
    if p != 0.0 && p.abs() < 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Tonnes with thousands separators; one decimal below 100 t so small materials stay readable.
/// `1_234_567.4` → `"1,234,567"`, `8.86` → `"8.9"` (tests below).
pub(crate) fn tonnes(t: f64) -> String {
    if !t.is_finite() {
        return "n/a".into();
    }
    if t.abs() < 100.0 && t != 0.0 {
        return format!("{t:.1}");
    }
    let rounded = t.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if rounded < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A bloc's name as the subject of a sentence: "the EU", "the US", but "Japan", "Rest of world".
pub(crate) fn the(bloc: &str) -> String {
    if bloc.len() <= 4 && bloc.chars().all(|c| c.is_ascii_uppercase()) {
        format!("the {bloc}")
    } else {
        bloc.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_reading() {
        assert_eq!(pct(0.711), "71.1%");
        assert_eq!(pct(0.0005), "0.05%");
        assert_eq!(tonnes(1_234_567.4), "1,234,567");
        assert_eq!(tonnes(12.34), "12.3");
        assert_eq!(tonnes(8.86), "8.9");
        assert_eq!(tonnes(-4_500.0), "-4,500");
        assert_eq!(tonnes(0.0), "0");
    }
}
