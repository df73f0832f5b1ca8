//! The horizon: start month and number of months (docs/model.md, "Time grid").

use super::*;

pub(super) fn horizon(cx: &mut Ctx, raw: &raw::ScenarioFile) -> ((i32, u32), usize) {
    // Horizon.
    let (start, months) = match &raw.horizon {
        None => ((2026, 1), 60),
        Some(h) => {
            let start = parse_month(&h.start).unwrap_or_else(|| {
                cx.err(
                    &["horizon", "start"],
                    format!("found \"{}\"; expected a month \"YYYY-MM\"", h.start),
                );
                (2026, 1)
            });
            if h.months == 0 || h.months > MAX_MONTHS {
                cx.err(
                    &["horizon", "months"],
                    format!("found {}; expected 1 to {MAX_MONTHS} months", h.months),
                );
            }
            (start, h.months.clamp(1, MAX_MONTHS) as usize)
        }
    };
    (start, months)
}

pub(crate) fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1900..=2200).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}
