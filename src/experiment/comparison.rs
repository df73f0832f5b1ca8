//! Two variants side by side: every headline metric of A and of B, and the paired difference
//! B − A with its interval. Commands that compare (`compare`: two scenario files; `stress-cap`:
//! a scenario with and without a cap) call `compare` and hand the result to
//! `report::comparison`, so every comparison is computed and shown the same way.
//!
//! What is compared: for each bloc present in both runs, the bloc as a whole (its worst material)
//! and each material it consumes in both, each under the metrics of `STATS`, all statistics of
//! the worst-year shortfall share (`stats::metric`).
//!
//! The intervals:
//! - A's and B's own values and 95% intervals are the ones `shortfall run` reports for the same
//!   scenario, seed and paths (`metric::read`: Wilson for probabilities, order statistics for
//!   quantiles, normal for the mean and CVaR), so the columns agree with a run's `summary.csv`.
//!   They are the better intervals for one run: Wilson stays informative at p = 0, where the
//!   spread of sections is zero.
//! - The difference's interval is by sectioning (Asmussen & Glynn 2007, §III.5a; see
//!   `stats::sectioning`): the section estimates of A and B come from the same paths, so their
//!   differences carry the positive correlation that common random numbers create, and the
//!   interval is narrower than the two separate ones would suggest. It is the only interval here
//!   that sees the pairing; nothing else gives one for a difference of quantiles.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{difference, VariantRun};
use crate::stats::metric::{read, Reading, Stat, Subject, HEADLINE_STATS};
use crate::stats::sectioning::SectionedEstimate;

/// The metrics compared, in row order within a subject: the headline list of `stats::metric`.
pub const STATS: [Stat; 10] = HEADLINE_STATS;

/// One subject × metric: A, B and B − A.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `bloc`, and `material` (`null` for the bloc as a whole).
    #[serde(flatten)]
    pub subject: Subject,
    /// Written as `Stat`'s text form (`P95`, `P(>10%)`), which `Stat::parse` reads back.
    #[serde(
        rename = "metric",
        serialize_with = "as_text",
        deserialize_with = "from_text"
    )]
    pub stat: Stat,
    pub a: Reading,
    pub b: Reading,
    /// B − A, centred on the full-sample difference, with its sectioning interval.
    pub difference: SectionedEstimate,
    /// The difference's 95% interval excludes zero: the change is real at the 5% level, not
    /// Monte Carlo noise. (With many rows some will exclude zero by chance; read the flag as
    /// "worth a look", not as a multiple-comparison-corrected test.)
    pub excludes_zero: bool,
}

fn as_text<S: Serializer>(stat: &Stat, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(stat)
}

fn from_text<'de, D: Deserializer<'de>>(d: D) -> Result<Stat, D::Error> {
    let text = String::deserialize(d)?;
    Stat::parse(&text).map_err(serde::de::Error::custom)
}

/// The paired comparison of two variants run on the same seed and path indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Paths per variant (the same for both).
    pub paths: u64,
    /// Sections behind every difference interval.
    pub sections: usize,
    /// Blocs in A's order; within a bloc, the bloc as a whole first, then its materials in A's
    /// order; within a subject, the metrics in the order of `STATS`.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// The row of one subject and metric.
    pub fn row(&self, subject: &Subject, stat: Stat) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| &r.subject == subject && r.stat == stat)
    }

    /// Every subject once, in row order.
    pub fn subjects(&self) -> Vec<&Subject> {
        let mut out: Vec<&Subject> = Vec::new();
        for r in &self.rows {
            if out.last() != Some(&&r.subject) {
                out.push(&r.subject);
            }
        }
        out
    }
}

/// Compare `b` against `a`: one row per subject present in both × metric of `STATS`.
///
/// Both runs must come from `experiment::run_variant` with the same `RunConfig` (seed, paths):
/// that is what pairs their sections path for path. A subject only one of them has (a material
/// B adds) has no row.
///
/// # Panics
/// When the two runs have different numbers of sections, i.e. were not run with the same paths.
pub fn compare(a: &VariantRun, b: &VariantRun) -> Comparison {
    assert_eq!(
        a.sections.len(),
        b.sections.len(),
        "compare: both variants must be run with the same paths"
    );
    let mut subjects = Vec::new();
    for bloc in &a.summary.blocs {
        subjects.push(Subject {
            bloc: bloc.bloc.clone(),
            material: None,
        });
        subjects.extend(
            a.summary
                .cells
                .iter()
                .filter(|c| c.bloc == bloc.bloc)
                .map(|c| Subject {
                    bloc: c.bloc.clone(),
                    material: Some(c.material.clone()),
                }),
        );
    }
    let rows = subjects
        .into_iter()
        .flat_map(|subject| STATS.iter().map(move |&stat| (subject.clone(), stat)))
        .filter_map(|(subject, stat)| {
            let ra = read(&a.summary, &subject, stat)?;
            let rb = read(&b.summary, &subject, stat)?;
            let d = difference(a, b, &subject, stat)?;
            Some(Row {
                subject,
                stat,
                a: ra,
                b: rb,
                excludes_zero: d.excludes_zero(),
                difference: d,
            })
        })
        .collect();
    Comparison {
        paths: a.summary.paths,
        sections: a.sections.len(),
        rows,
    }
}
