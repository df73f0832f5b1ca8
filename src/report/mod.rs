//! Presentation: terminal tables, JSON/CSV files (written atomically), the manifest and the
//! `check` view; the files of a comparison of two runs. Reads finished results (`stats::Summary`,
//! `experiment::comparison::Comparison`) only; never simulates.

pub mod atomic;
pub mod charts;
pub mod check_table;
pub mod comparison;
pub mod format;
pub mod html;
pub mod manifest;
pub mod sensitivity;
pub mod tables;
pub mod terminal;
