//! The scenario language: what an analyst writes (RON, `version: 1`), loaded with `extends`
//! resolved and errors that point at file, line and column. No checks beyond syntax and types:
//! those belong to `model`.

pub mod diagnostic;
pub mod load;
pub mod locate;
pub mod overlay;
pub mod param;
pub mod raw;

pub use diagnostic::{InvalidScenario, Issue, Location};
pub use load::{load, load_str, LoadedScenario, DEFAULT_SCENARIO};
pub use param::Param;
