//! The headline metrics that sweeps, comparisons and goals speak of, read from a `Summary`.
//!
//! Every metric is a statistic of one distribution: the worst-year **consumption shortfall**
//! (demand not met after rerouting, substitution, commercial inventories and strategic
//! stockpiles) as a share of that year's demand, for one bloc × material, or for a bloc as a
//! whole (its worst material). That is the headline the CRMA debate and the thresholds of
//! `summary.json` are about; the import gap (what failed to arrive, before those buffers) is
//! reported beside it in the summary but is not a goal or sweep metric.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::estimate::{DistributionEstimate, Interval, ProbabilityEstimate, Z95};
use super::Summary;

/// A statistic of the worst-year consumption shortfall share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Stat {
    /// Mean worst-year shortfall share.
    Mean,
    /// P(any month short at all).
    ProbabilityAny,
    /// P(worst-year share > threshold); the threshold must be one `summary.thresholds` holds.
    ProbabilityOver(f64),
    /// A reported quantile (0.5, 0.9, 0.95, 0.99, 0.999).
    Quantile(f64),
    /// Mean of the worst 5% of paths.
    Cvar95,
    /// Mean of the worst 1% of paths.
    Cvar99,
}

/// The statistics sweeps and comparisons report for every subject, in row order: the mean, the
/// probabilities of any consumption shortfall and of a worst year above 5/10/25%, the quantiles P50–P99 and
/// CVaR95. (P99.9 and CVaR99 are left out: a section of 2,048 paths holds two paths beyond
/// P99.9, too few for a section estimate worth an interval.) The one list of headline metrics.
pub const HEADLINE_STATS: [Stat; 10] = [
    Stat::Mean,
    Stat::ProbabilityAny,
    Stat::ProbabilityOver(0.05),
    Stat::ProbabilityOver(0.10),
    Stat::ProbabilityOver(0.25),
    Stat::Quantile(0.5),
    Stat::Quantile(0.9),
    Stat::Quantile(0.95),
    Stat::Quantile(0.99),
    Stat::Cvar95,
];

/// Every subject of a summary: each bloc as a whole, then each bloc × material.
pub fn subjects(summary: &Summary) -> Vec<Subject> {
    let mut out: Vec<Subject> = summary
        .blocs
        .iter()
        .map(|b| Subject {
            bloc: b.bloc.clone(),
            material: None,
        })
        .collect();
    out.extend(summary.cells.iter().map(|c| Subject {
        bloc: c.bloc.clone(),
        material: Some(c.material.clone()),
    }));
    out
}

pub const STAT_FORMS: &str =
    "mean, P50, P90, P95, P99, P99.9, CVaR95, CVaR99, P(any), P(>5%), P(>10%), P(>25%)";

impl Stat {
    /// Parse a statistic as the command line spells it (see `STAT_FORMS`), case and spaces
    /// ignored; the error lists the valid forms.
    pub fn parse(text: &str) -> Result<Stat, String> {
        let t = text.trim().to_ascii_lowercase().replace(' ', "");
        let stat = match t.as_str() {
            "mean" => Stat::Mean,
            "cvar95" => Stat::Cvar95,
            "cvar99" => Stat::Cvar99,
            "p(any)" | "p(>0)" | "p(>0%)" => Stat::ProbabilityAny,
            _ if t.starts_with("p(>") && t.ends_with("%)") => {
                let v: f64 = t[3..t.len() - 2]
                    .parse()
                    .map_err(|_| format!("`{text}` is not a metric; expected {STAT_FORMS}"))?;
                Stat::ProbabilityOver(v / 100.0)
            }
            _ if t.starts_with('p') => {
                let v: f64 = t[1..]
                    .parse()
                    .map_err(|_| format!("`{text}` is not a metric; expected {STAT_FORMS}"))?;
                Stat::Quantile(v / 100.0)
            }
            _ => return Err(format!("`{text}` is not a metric; expected {STAT_FORMS}")),
        };
        // Snap to the reported levels (99.9 / 100 is not 0.999 in binary), or refuse.
        match stat {
            Stat::Quantile(q) => super::estimate::QUANTILES
                .iter()
                .find(|x| **x > 0.0 && (*x - q).abs() < 1e-9)
                .map(|&x| Stat::Quantile(x))
                .ok_or_else(|| {
                    format!("`{text}`: only P50, P90, P95, P99 and P99.9 are estimated")
                }),
            Stat::ProbabilityOver(x) => super::accumulator::THRESHOLDS
                .iter()
                .find(|t| (*t - x).abs() < 1e-9)
                .map(|&t| Stat::ProbabilityOver(t))
                .ok_or_else(|| {
                    format!("`{text}`: exceedance is counted above 5%, 10% and 25% only")
                }),
            s => Ok(s),
        }
    }

    /// Probabilities are unitless; everything else is a share of demand.
    pub fn is_probability(self) -> bool {
        matches!(self, Stat::ProbabilityAny | Stat::ProbabilityOver(_))
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Stat::Mean => write!(f, "mean"),
            Stat::ProbabilityAny => write!(f, "P(any)"),
            Stat::ProbabilityOver(x) => write!(f, "P(>{}%)", x * 100.0),
            Stat::Quantile(q) => write!(f, "P{}", q * 100.0),
            Stat::Cvar95 => write!(f, "CVaR95"),
            Stat::Cvar99 => write!(f, "CVaR99"),
        }
    }
}

/// Whose consumption shortfall: a bloc × material, or a bloc's worst material (`material: None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The bloc's name, e.g. `EU`.
    pub bloc: String,
    /// The material's name, or `None` for the bloc as a whole (its worst material).
    pub material: Option<String>,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.material {
            Some(m) => write!(f, "{} {}", self.bloc, m),
            None => write!(f, "{} (worst material)", self.bloc),
        }
    }
}

/// A metric's estimate with its 95% interval, as reported for one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub value: f64,
    pub ci95: Interval,
}

/// The estimates a subject's metrics are read from: P(any consumption shortfall), P(worst-year share >
/// each of `summary.thresholds`), and the distribution of the worst-year share (for a bloc as a
/// whole, that of its worst material). Charts that need more than one metric (an exceedance
/// curve) read them here, so "which estimate is a bloc's" is decided in one place.
#[derive(Debug, Clone, Copy)]
pub struct SubjectEstimates<'a> {
    pub any: &'a ProbabilityEstimate,
    pub over: &'a [ProbabilityEstimate],
    pub worst_year_share: &'a DistributionEstimate,
}

/// The subject's estimates in a summary; None when the subject is not in it.
pub fn estimates<'a>(summary: &'a Summary, subject: &Subject) -> Option<SubjectEstimates<'a>> {
    Some(match &subject.material {
        Some(m) => {
            let c = summary
                .cells
                .iter()
                .find(|c| c.bloc == subject.bloc && &c.material == m)?;
            SubjectEstimates {
                any: &c.probability_any_shortfall,
                over: &c.probability_over_threshold,
                worst_year_share: &c.worst_year_shortfall_share,
            }
        }
        None => {
            let b = summary.blocs.iter().find(|b| b.bloc == subject.bloc)?;
            SubjectEstimates {
                any: &b.probability_any_shortfall,
                over: &b.probability_any_material_over_threshold,
                worst_year_share: &b.worst_material_year_share,
            }
        }
    })
}

/// The metric's value and 95% interval in a summary; None when the subject is not in it.
pub fn read(summary: &Summary, subject: &Subject, stat: Stat) -> Option<Reading> {
    let threshold_index = |x: f64| summary.thresholds.iter().position(|t| (t - x).abs() < 1e-9);
    let SubjectEstimates {
        any,
        over,
        worst_year_share: dist,
    } = estimates(summary, subject)?;
    let from_p = |p: &ProbabilityEstimate| Reading {
        value: p.p,
        ci95: p.ci95,
    };
    Some(match stat {
        Stat::Mean => Reading {
            value: dist.mean,
            ci95: Interval {
                low: dist.mean - Z95 * dist.mean_se,
                high: dist.mean + Z95 * dist.mean_se,
            },
        },
        Stat::ProbabilityAny => from_p(any),
        Stat::ProbabilityOver(x) => from_p(over.get(threshold_index(x)?)?),
        Stat::Quantile(q) => {
            let e = dist.quantile(q)?;
            Reading {
                value: e.value,
                ci95: e.ci95,
            }
        }
        Stat::Cvar95 | Stat::Cvar99 => {
            let t = if stat == Stat::Cvar95 {
                &dist.cvar95
            } else {
                &dist.cvar99
            };
            Reading {
                value: t.value,
                ci95: Interval {
                    low: t.value - Z95 * t.se,
                    high: t.value + Z95 * t.se,
                },
            }
        }
    })
}

/// A goal such as `P95 <= 5%`: the metric, the comparison and the bound.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub stat: Stat,
    pub at_most: bool,
    pub bound: f64,
}

impl Goal {
    /// Parse `"P95 shortfall <= 5%"`, `"P(>10%) < 0.01"`, `"mean <= 2%"`: a metric, any words,
    /// `<=`/`<`/`>=`/`>`, and a number (a share, or a percentage with `%`).
    pub fn parse(text: &str) -> Result<Goal, String> {
        let usage = || {
            format!(
                "`{text}` is not a goal; write METRIC <= VALUE (or >=), e.g. \"P95 shortfall <= 5%\"; metrics: {STAT_FORMS}"
            )
        };
        let (op_at, op_len, at_most) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| {
                // The comparison is the last operator: `P(>10%) <= 1%` holds a `>` inside.
                text.rfind(op).map(|i| (i, op.len(), op.starts_with('<')))
            })
            .ok_or_else(usage)?;
        let (left, right) = (&text[..op_at], text[op_at + op_len..].trim());
        let metric_word = left.split_whitespace().next().ok_or_else(usage)?;
        let stat = Stat::parse(metric_word)?;
        let bound = match right.strip_suffix('%') {
            Some(v) => v.trim().parse::<f64>().map(|v| v / 100.0),
            None => right.parse::<f64>(),
        }
        .map_err(|_| usage())?;
        if !bound.is_finite() {
            return Err(usage());
        }
        Ok(Goal {
            stat,
            at_most,
            bound,
        })
    }

    pub fn met_by(&self, value: f64) -> bool {
        if self.at_most {
            value <= self.bound
        } else {
            value >= self.bound
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let op = if self.at_most { "<=" } else { ">=" };
        if self.stat.is_probability() {
            write!(f, "{} {op} {}", self.stat, self.bound)
        } else {
            // ×100 is not exact in binary (0.28 × 100 = 28.000000000000004): the percentage is
            // rounded to 10 decimal places, past what anyone writes in a goal.
            let percent = (self.bound * 100.0 * 1e10).round() / 1e10;
            write!(f, "{} {op} {percent}%", self.stat)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A goal prints as it was written, whether as a percentage or a share, even where the
    /// percentage is not exact in binary (28% is 0.28000000000000003 × 100).
    #[test]
    fn a_goal_prints_its_percentage_as_written() {
        for (text, shown) in [
            ("P95 shortfall <= 28%", "P95 <= 28%"),
            ("P95<=0.28", "P95 <= 28%"),
            ("mean >= 0.07", "mean >= 7%"),
            ("CVaR95 < 12.5%", "CVaR95 <= 12.5%"),
            ("P(>10%) <= 0.01", "P(>10%) <= 0.01"),
        ] {
            assert_eq!(Goal::parse(text).unwrap().to_string(), shown, "{text}");
        }
    }

    #[test]
    fn parses_every_metric_form_and_refuses_others() {
        assert_eq!(Stat::parse("P95").unwrap(), Stat::Quantile(0.95));
        assert_eq!(Stat::parse("p99.9").unwrap(), Stat::Quantile(0.999));
        assert_eq!(Stat::parse("P(>10%)").unwrap(), Stat::ProbabilityOver(0.10));
        assert_eq!(Stat::parse("p(any)").unwrap(), Stat::ProbabilityAny);
        assert_eq!(Stat::parse("CVaR95").unwrap(), Stat::Cvar95);
        assert!(Stat::parse("P97").unwrap_err().contains("only P50"));
        assert!(Stat::parse("P(>7%)")
            .unwrap_err()
            .contains("5%, 10% and 25%"));
        assert!(Stat::parse("median").is_err());
    }

    #[test]
    fn parses_goals_with_percent_and_inner_operators() {
        let g = Goal::parse("P95 shortfall <= 5%").unwrap();
        assert_eq!(
            (g.stat, g.at_most, g.bound),
            (Stat::Quantile(0.95), true, 0.05)
        );
        let g = Goal::parse("P(>10%) < 0.01").unwrap();
        assert_eq!(
            (g.stat, g.at_most, g.bound),
            (Stat::ProbabilityOver(0.10), true, 0.01)
        );
        assert!(g.met_by(0.005) && !g.met_by(0.02));
        assert!(Goal::parse("P95 about 5%").is_err());
        assert!(Goal::parse("P95 <= lots").is_err());
    }
}
