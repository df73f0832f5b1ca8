//! Mergeable accumulators and the estimates they finish into. Knows nothing of the model or
//! the kernel: the kernel speaks to it through `PathRecord` and `Layout`.

pub mod accumulator;
pub mod estimate;
pub mod histogram;
pub mod metric;
pub mod sectioning;
pub mod summary;

pub use accumulator::{Layout, PathRecord, RunAccumulator};
pub use summary::{finish, Summary};
