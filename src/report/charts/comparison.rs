//! Which charts a comparison of two variants gets: the paired differences per material of the
//! headline bloc, and A's and B's exceedance curves overlaid for the bloc as a whole and for the
//! materials that moved most. `report::comparison` decides the bloc and the materials.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::exceedance::Exceedance;
use super::paired_difference::PairedDifference;
use super::{ChartMeta, Writer};
use crate::experiment::comparison::Comparison;
use crate::stats::metric::Subject;
use crate::stats::Summary;

/// What the comparison charts are drawn from.
pub(crate) struct ComparisonCharts<'a> {
    pub comparison: &'a Comparison,
    /// (label, full-sample summary) of A and of B.
    pub a: (&'a str, &'a Summary),
    pub b: (&'a str, &'a Summary),
    /// The bloc charted.
    pub bloc: &'a str,
    /// The bloc's materials in the order the difference chart lists them (top first).
    pub materials: &'a [&'a str],
    /// Materials that also get their own overlaid exceedance chart.
    pub overlays: &'a [&'a str],
}

/// Writes the comparison's charts as PNG and SVG into `out_dir/charts/`; returns the files,
/// in reading order.
pub(crate) fn write_comparison_charts(
    c: &ComparisonCharts,
    meta: &ChartMeta,
    out_dir: &Path,
) -> Result<Vec<PathBuf>> {
    let mut out = Writer::new(out_dir, meta)?;
    out.emit(&PairedDifference::new(
        c.comparison,
        (c.a.0, c.b.0),
        c.bloc,
        c.materials,
    ))?;
    let subject = |material: Option<&str>| Subject {
        bloc: c.bloc.to_string(),
        material: material.map(str::to_string),
    };
    let subjects =
        std::iter::once(subject(None)).chain(c.overlays.iter().map(|m| subject(Some(m))));
    for s in subjects {
        if let Some(chart) = Exceedance::overlay(&s, c.a, c.b) {
            out.emit(&chart)?;
        }
    }
    Ok(out.written)
}
