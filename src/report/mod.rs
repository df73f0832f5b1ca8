//! Presentation: one exporter per output (run, replay, comparison, sweep, stress-cap,
//! sensitivity, check), terminal tables, CSV/JSON files (written atomically), the manifest and
//! charts.
//!
//! The rule for what report may read: finished results only, i.e. the `stats` Summary, the
//! `model` check view and the result types of `experiment` (comparison, sweep, stress-cap,
//! sensitivity, replay). It never calls a function of `sim` or `experiment`, and never takes a
//! CLI argument type: options arrive as plain values or an options struct defined here.

pub(crate) mod atomic;
pub(crate) mod attribution;
pub(crate) mod backtest;
pub(crate) mod cap_summary;
pub(crate) mod charts;
pub(crate) mod check_table;
pub(crate) mod comparison;
pub(crate) mod compliance;
pub(crate) mod csv;
pub(crate) mod figures;
pub(crate) mod format;
pub(crate) mod html;
pub(crate) mod manifest;
pub(crate) mod page;
pub(crate) mod replay;
pub(crate) mod run;
pub(crate) mod sensitivity;
pub(crate) mod sensitivity_html;
pub(crate) mod stress_cap;
pub(crate) mod sweep;
pub(crate) mod sweep_html;
pub(crate) mod tables;
pub(crate) mod terminal;

/// The headline bloc's name among `names` (the rule itself is `stats::headline_bloc`).
pub(crate) fn headline_bloc<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let names: Vec<&str> = names.into_iter().collect();
    crate::stats::headline_bloc(names.iter().copied()).map(|i| names[i])
}
