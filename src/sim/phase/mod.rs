//! The phases of one month of one material, one function per phase, in the order of
//! docs/model.md, "The month solve". `sim::path` calls them in that order; a new phase is a new
//! function here and one call in its month loop.
//!
//! Each phase takes what the material's solve reads (`MaterialCtx`), its state carried between
//! months (`MaterialState`), the month's working arrays (`MonthScratch`) and the month, and
//! keeps the exact order of floating-point operations of the document's formulas.

pub(super) mod attribute;
pub(super) mod calendar;
pub(super) mod cap_shift;
pub(super) mod capacity;
pub(super) mod demand;
pub(super) mod disrupt;
pub(super) mod feed;
pub(super) mod inventory;
pub(super) mod price;
pub(super) mod record;
pub(super) mod reroute;
pub(super) mod ship;
pub(super) mod stockpile;
pub(super) mod watch;

/// Relative size below which a gap is rounding dust, not a shortfall.
pub(super) const EPS: f64 = 1e-9;
