//! Presentation: terminal tables, JSON/CSV files (written atomically), and the `check` view.
//! Reads finished results only; never simulates.

pub mod check_table;
pub mod format;
