//! Presentation: one exporter per output (run, replay, comparison, sweep, stress-cap,
//! sensitivity, check), terminal tables, CSV/JSON files (written atomically), the manifest and
//! charts.
//!
//! The rule for what report may read: finished results only, i.e. the `stats` Summary, the
//! `model` check view and the result types of `experiment` (comparison, sweep, stress-cap,
//! sensitivity, replay). It never calls a function of `sim` or `experiment`, and never takes a
//! CLI argument type: options arrive as plain values or an options struct defined here.

pub mod atomic;
pub mod backtest;
pub mod charts;
pub mod check_table;
pub mod comparison;
pub mod csv;
pub mod format;
pub mod html;
pub mod manifest;
pub mod replay;
pub mod run;
pub mod sensitivity;
pub mod stress_cap;
pub mod sweep;
pub mod tables;
pub mod terminal;

/// The headline bloc's name among `names` (the rule itself is `stats::headline_bloc`).
pub fn headline_bloc<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let names: Vec<&str> = names.into_iter().collect();
    crate::stats::headline_bloc(names.iter().copied()).map(|i| names[i])
}
