//! Presentation: terminal tables, JSON/CSV files (written atomically), the manifest and the
//! `check` view. Reads finished results (`stats::Summary`) only; never simulates.

pub mod atomic;
pub mod charts;
pub mod check_table;
pub mod format;
pub mod html;
pub mod manifest;
pub mod sensitivity;
pub mod tables;
pub mod terminal;
