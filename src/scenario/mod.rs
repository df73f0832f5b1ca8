//! The scenario language: what an analyst writes (RON, `version: 1`), loaded with `extends`
//! resolved and errors that point at file, line and column. No checks beyond syntax and types:
//! those belong to `model`.
//!
//! ```
//! // The smallest valid scenario: one material, one producer, one consumer.
//! let text = r#"Scenario(
//!     version: 1,
//!     materials: { "gallium": (stages: { "refining": () }) },
//!     countries: { "China": (capacity: { "gallium": { "refining": (tonnes_per_year: 100) } }) },
//!     blocs: { "EU": (demand: { "gallium": (tonnes_per_year: 85) }) },
//! )"#;
//! let loaded = shortfall::load_str("minimal.ron", text).unwrap();
//! let model = shortfall::compile(&loaded).unwrap();
//! assert_eq!(model.materials[0].name, "gallium");
//! assert_eq!(model.months, 60); // the default horizon: 2026-01 for five years
//!
//! // A misspelt field is refused with its location and a suggestion.
//! let err = shortfall::load_str("bad.ron", &text.replace("version", "versoin")).unwrap_err();
//! assert!(err.to_string().contains("bad.ron:2:5"), "{err}");
//! ```

pub(crate) mod diagnostic;
pub(crate) mod diff;
pub(crate) mod guard;
pub(crate) mod load;
pub(crate) mod locate;
pub(crate) mod overlay;
pub(crate) mod param;
pub(crate) mod raw;
pub(crate) mod setter;

pub use diagnostic::{InvalidScenario, Issue, Location};
pub(crate) use load::{load, load_str, LoadedScenario, DEFAULT_SCENARIO};
pub(crate) use param::Param;
