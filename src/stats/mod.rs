//! Mergeable accumulators and the estimates they finish into. Knows nothing of the model or
//! the kernel: the kernel speaks to it through `PathRecord` and `Layout`.

pub(crate) mod accumulator;
pub(crate) mod convergence;
pub(crate) mod estimate;
pub(crate) mod group;
pub(crate) mod histogram;
pub(crate) mod metric;
pub(crate) mod monthly_batch;
pub(crate) mod param_sets;
pub(crate) mod scalar_batch;
pub(crate) mod section;
pub(crate) mod sectioning;
pub(crate) mod shard;
pub(crate) mod summary;
pub(crate) mod tail;

pub use accumulator::{Layout, PathRecord, RunAccumulator};

/// The bloc a reader asks about first, and whose estimate `--target-se` controls: the bloc named
/// "EU" if there is one, else the first (`None` only without blocs). The one place that decides
/// it: the kernel, the summary, comparisons and charts all ask here, by name, so a compiled
/// model, a finished summary and a comparison agree.
pub fn headline_bloc<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    let mut count = 0;
    for (i, name) in names.into_iter().enumerate() {
        if name == "EU" {
            return Some(i);
        }
        count = i + 1;
    }
    (count > 0).then_some(0)
}
pub use summary::{finish, Summary};
