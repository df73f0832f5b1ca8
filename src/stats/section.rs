//! What a section of a sectioning estimate is kept for: the value `metric::read` gives for every
//! subject and statistic of one chunk's summary, without the rest of it.
//!
//! A sweep or sensitivity variant keeps one section per 2,048-path chunk; a whole `Summary` is
//! ~0.4 MB for eu-2030, this a few KB, so the sections of hundreds of variants fit in memory and
//! in the shard files of `sweep --shard`/`sensitivity --shard`. `SectionValues::value` answers
//! exactly what `read(summary, subject, stat).value` answers (the same estimates, the same
//! matching of thresholds and quantiles), so paired intervals computed from either agree to the bit.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::accumulator::{ScalarAcc, THRESHOLDS};
use super::estimate::{cvar_value, mean, probability, reported_quantiles};
use super::metric::{estimates, subjects, Stat, Subject};
use super::{Layout, RunAccumulator, Summary};

/// A float that survives JSON exactly, NaN and infinities included (written as strings).
#[derive(Debug, Clone, Copy)]
pub struct Exact(pub f64);

impl PartialEq for Exact {
    fn eq(&self, other: &Exact) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else {
            s.serialize_str(&self.0.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Exact, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Number(f64),
            Text(String),
        }
        match Form::deserialize(d)? {
            Form::Number(x) => Ok(Exact(x)),
            Form::Text(t) => t
                .parse::<f64>()
                .map(Exact)
                .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a number"))),
        }
    }
}

/// One subject's values: the estimates `read` draws on, values only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectValues {
    pub subject: Subject,
    pub mean: Exact,
    pub any: Exact,
    /// P(worst-year share > each of the summary's thresholds), as the summary lists them.
    pub over: Vec<Exact>,
    /// (q, value) of each reported quantile.
    pub quantiles: Vec<(f64, Exact)>,
    pub cvar95: Exact,
    pub cvar99: Exact,
}

/// Every subject's values in one section's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionValues {
    pub thresholds: Vec<f64>,
    pub subjects: Vec<SubjectValues>,
}

impl SectionValues {
    /// The values of every subject of `summary` (`metric::subjects`).
    pub fn of(summary: &Summary) -> SectionValues {
        let subjects = subjects(summary)
            .into_iter()
            .filter_map(|subject| {
                let e = estimates(summary, &subject)?;
                let d = e.worst_year_share;
                Some(SubjectValues {
                    mean: Exact(d.mean),
                    any: Exact(e.any.p),
                    over: e.over.iter().map(|p| Exact(p.p)).collect(),
                    quantiles: d.quantiles.iter().map(|q| (q.q, Exact(q.value))).collect(),
                    cvar95: Exact(d.cvar95.value),
                    cvar99: Exact(d.cvar99.value),
                    subject,
                })
            })
            .collect();
        SectionValues {
            thresholds: summary.thresholds.clone(),
            subjects,
        }
    }

    /// `SectionValues::of(&finish(layout, acc))`, to the bit, computing only the estimates a
    /// section keeps: a sweep or sensitivity variant takes one section per chunk, on the
    /// driver's thread between chunk groups while the workers wait, and a whole summary there
    /// cost seconds of an experiment's wall time. Subjects come in `metric::subjects`' order
    /// (blocs, then cells), each read from the first bloc or cell of its name, as
    /// `metric::estimates` reads a summary.
    pub fn of_accumulator(layout: &Layout, acc: &RunAccumulator) -> SectionValues {
        let n = acc.paths;
        let values = |subject: Subject, any: u64, over: &[u64], d: &ScalarAcc| {
            let quantiles: Vec<f64> = reported_quantiles().collect();
            let mut at = vec![0.0; quantiles.len()];
            d.hist.quantiles(&quantiles, n, &mut at);
            SubjectValues {
                subject,
                mean: Exact(mean(d, n)),
                any: Exact(probability(any, n).p),
                over: over.iter().map(|&k| Exact(probability(k, n).p)).collect(),
                quantiles: quantiles
                    .into_iter()
                    .zip(at.into_iter().map(Exact))
                    .collect(),
                cvar95: Exact(cvar_value(d, 0.95, n)),
                cvar99: Exact(cvar_value(d, 0.99, n)),
            }
        };
        let mut subjects = Vec::new();
        for name in &layout.blocs {
            let b = layout.blocs.iter().position(|x| x == name).expect("listed");
            if !acc.folds_bloc(b) {
                continue; // not folded: not in the summary either (`RunAccumulator::of_subject`)
            }
            let a = &acc.blocs[b];
            let subject = Subject {
                bloc: name.clone(),
                material: None,
            };
            let over = &a.any_over_threshold;
            subjects.push(values(subject, a.any_short, over, &a.worst_material_share));
        }
        let names = |&(b, m): &(usize, usize)| (&layout.blocs[b], &layout.materials[m]);
        for cell in &layout.cells {
            let ci = layout.cells.iter().position(|x| names(x) == names(cell));
            let ci = ci.expect("listed");
            if !acc.folds_cell(ci) {
                continue;
            }
            let c = &acc.cells[ci];
            let (bloc, material) = names(cell);
            let subject = Subject {
                bloc: bloc.clone(),
                material: Some(material.clone()),
            };
            let over = &c.over_threshold;
            subjects.push(values(subject, c.any_short, over, &c.worst_year_share));
        }
        SectionValues {
            thresholds: THRESHOLDS.to_vec(),
            subjects,
        }
    }

    /// `metric::read(summary, subject, stat).map(|r| r.value)` of the summary these came from.
    pub fn value(&self, subject: &Subject, stat: Stat) -> Option<f64> {
        // `estimates` takes the first bloc (or cell) of that name, as `find` does here.
        let s = self.subjects.iter().find(|s| &s.subject == subject)?;
        let threshold_index = |x: f64| self.thresholds.iter().position(|t| (t - x).abs() < 1e-9);
        Some(match stat {
            Stat::Mean => s.mean.0,
            Stat::ProbabilityAny => s.any.0,
            Stat::ProbabilityOver(x) => s.over.get(threshold_index(x)?)?.0,
            Stat::Quantile(q) => s.quantiles.iter().find(|e| (e.0 - q).abs() < 1e-12)?.1 .0,
            Stat::Cvar95 => s.cvar95.0,
            Stat::Cvar99 => s.cvar99.0,
        })
    }
}
