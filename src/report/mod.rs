//! Presentation: one exporter per output (run, replay, comparison, sweep, stress-cap,
//! sensitivity, check), terminal tables, CSV/JSON files (written atomically), the manifest and
//! charts.
//!
//! The rule for what report may read: finished results only, i.e. the `stats` Summary, the
//! `model` check view and the result types of `experiment` (comparison, sweep, stress-cap,
//! sensitivity, replay). It never calls a function of `sim` or `experiment`, and never takes a
//! CLI argument type: options arrive as plain values or an options struct defined here.

pub mod atomic;
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

/// The bloc a reader asks about first: the EU if present, else the first bloc (None with no
/// blocs). The one place outside `model`/`sim`/`charts` that decides it; it takes names so
/// that it serves a compiled model, a summary and a comparison alike.
pub fn headline_bloc<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut first = None;
    for name in names {
        if name == "EU" {
            return Some(name);
        }
        first = first.or(Some(name));
    }
    first
}
