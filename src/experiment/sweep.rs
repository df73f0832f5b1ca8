//! Parameter sweeps and goal seeking over one scenario, on common random numbers.
//!
//! A sweep runs every point of a grid of `--set PATH=FROM:TO:STEP` axes with the same seed and
//! path indices, so neighbouring points differ only by what the parameter does: the curve is
//! smooth and each point's difference from the first is a paired estimate.
//!
//! Goal seeking finds where a metric crosses a bound (`P95 <= 5%`) along one axis by bisection.
//! Common random numbers make the estimated metric a deterministic, and in practice monotone,
//! function of the parameter, so bisection converges on the crossing of the estimated curve. Its
//! uncertainty is the range between where the goal is met by the lenient end of the metric's
//! 95% interval and where it is met by the strict end (an inverse-prediction interval, as in
//! calibration curves: Draper & Smith, *Applied Regression Analysis*, 3rd ed., §3.2).

use std::collections::BTreeMap;

use serde::Serialize;

use super::variant::Setting;
use super::{difference, VariantRun};
use crate::model::cap::CapOutcome;
use crate::scenario::setter::FieldPath;
use crate::stats::metric::{read, subjects, Goal, Reading, Stat, Subject, HEADLINE_STATS};
use crate::stats::sectioning::SectionedEstimate;

/// Most points a sweep may have: each is a full run.
pub(crate) const MAX_POINTS: usize = 400;

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub path: FieldPath,
    pub values: Vec<f64>,
    /// The step of a `FROM:TO:STEP` axis: the resolution goal seeking stops at.
    pub step: Option<f64>,
}

impl Axis {
    /// `PATH=FROM:TO:STEP` (inclusive of TO when a whole number of steps reaches it) or
    /// `PATH=V1,V2,...`. Values may be written as percentages (`50%`).
    pub(crate) fn parse(spec: &str) -> Result<Axis, String> {
        let (path, values) = spec.split_once('=').ok_or_else(|| {
            format!("`{spec}`: expected PATH=FROM:TO:STEP or PATH=V1,V2,..., e.g. supplier_cap.level=0.5:1:0.05")
        })?;
        let path = FieldPath::parse(path.trim())?;
        let number = |s: &str| -> Result<f64, String> {
            let s = s.trim();
            let v = match s.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
                None => s.parse::<f64>(),
            }
            .map_err(|_| format!("`{s}` in `{spec}` is not a number"))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("`{s}` in `{spec}` is not a finite number"))
            }
        };
        let parts: Vec<&str> = values.split(':').collect();
        let (values, step) = match parts.as_slice() {
            [from, to, step] => {
                let (from, to, step) = (number(from)?, number(to)?, number(step)?);
                if step <= 0.0 || to < from {
                    return Err(format!(
                        "`{spec}`: expected FROM <= TO and STEP > 0, e.g. 0.5:1:0.05"
                    ));
                }
                // Counted in f64 and checked before the cast: a tiny step (1e-300) gives a count
                // no integer holds (the cast would saturate and `+ 1` wrap to 0).
                let steps = ((to - from) / step + 1e-9).floor();
                if steps.is_nan() || steps >= MAX_POINTS as f64 {
                    return Err(format!(
                        "`{spec}` has {} points; at most {MAX_POINTS} (each point is a full run): use a larger STEP",
                        if steps.is_finite() { format!("{}", steps + 1.0) } else { "too many".into() }
                    ));
                }
                let n = steps as usize + 1;
                // Rounded to 12 significant digits so 0.1 steps print as 0.3, not 0.30000000000000004.
                let vs = (0..n).map(|i| round12(from + i as f64 * step)).collect();
                (vs, Some(step))
            }
            [_] => {
                let vs = values
                    .split(',')
                    .map(number)
                    .collect::<Result<Vec<f64>, String>>()?;
                if vs.len() > MAX_POINTS {
                    return Err(format!(
                        "`{spec}` lists {} values; at most {MAX_POINTS}",
                        vs.len()
                    ));
                }
                (vs, None)
            }
            _ => {
                return Err(format!(
                    "`{spec}`: expected FROM:TO:STEP (three numbers) or a list V1,V2,..."
                ))
            }
        };
        Ok(Axis { path, values, step })
    }
}

fn round12(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(11 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// Every combination of the axes' values, first axis varying slowest.
pub(crate) fn grid(axes: &[Axis]) -> Result<Vec<Vec<Setting>>, String> {
    // Checked: 8 axes of 256 values would wrap a plain product to 0.
    let total = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_POINTS);
    let Some(_) = total else {
        let counts: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        return Err(format!(
            "the sweep has {} points; at most {MAX_POINTS} (each point is a full run)",
            counts.join(" × ")
        ));
    };
    let mut points: Vec<Vec<Setting>> = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.push(Setting {
                        path: axis.path.clone(),
                        value: v,
                    });
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// One point × subject × metric of a sweep: the estimate with its 95% interval (the run's own
/// estimator: Wilson, order statistics, or the standard error of the mean), and the paired
/// difference from the sweep's first point (sectioning).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SweepRow {
    pub point: usize,
    pub bloc: String,
    /// `all` for the bloc as a whole (its worst material each year).
    pub material: String,
    pub metric: String,
    pub value: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub difference: f64,
    pub difference_low: f64,
    pub difference_high: f64,
}

/// Every headline row of one point, against the reference point `first`.
pub(crate) fn rows(point: usize, run: &VariantRun, first: &VariantRun) -> Vec<SweepRow> {
    let mut out = Vec::new();
    for subject in subjects(&run.summary) {
        for stat in HEADLINE_STATS {
            let Some(r) = read(&run.summary, &subject, stat) else {
                continue;
            };
            let d = difference(first, run, &subject, stat);
            out.push(SweepRow {
                point,
                bloc: subject.bloc.clone(),
                material: subject.material.clone().unwrap_or_else(|| "all".into()),
                metric: stat.to_string(),
                value: r.value,
                ci95_low: r.ci95.low,
                ci95_high: r.ci95.high,
                difference: d.map_or(f64::NAN, |d| d.value),
                difference_low: d.map_or(f64::NAN, |d| d.ci95.low),
                difference_high: d.map_or(f64::NAN, |d| d.ci95.high),
            });
        }
    }
    out
}

/// Which way along the axis the goal is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Direction {
    /// Met at the top of the range and not at the bottom: the answer is the smallest value.
    SmallestMeeting,
    /// Met at the bottom and not at the top: the answer is the largest value.
    LargestMeeting,
    MetEverywhere,
    MetNowhere,
}

/// The result of goal seeking along one axis.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GoalResult {
    pub goal: String,
    pub direction: Direction,
    /// Where the estimated metric crosses the bound (None when met everywhere or nowhere).
    pub answer: Option<f64>,
    /// Range of the crossing given the metric's 95% intervals: between where the lenient end
    /// and where the strict end of the interval meet the goal. An end is None when that
    /// criterion is not met anywhere in the range.
    pub answer_low: Option<f64>,
    pub answer_high: Option<f64>,
    /// Bisection stops when the bracket is narrower than this.
    pub resolution: f64,
    /// Every value evaluated, in ascending order, with the metric's reading there.
    pub evaluations: Vec<(f64, Reading)>,
}

/// Bisection for the crossing of `goal` between `from` and `to`, evaluating the metric with
/// `eval` (one run per call; values are cached, so the three criteria share runs).
pub(crate) fn seek<E>(
    goal: &Goal,
    from: f64,
    to: f64,
    resolution: f64,
    mut eval: impl FnMut(f64) -> Result<Reading, E>,
) -> Result<GoalResult, E> {
    let mut cache: BTreeMap<u64, (f64, Reading)> = BTreeMap::new();
    let mut at = |x: f64, cache: &mut BTreeMap<u64, (f64, Reading)>| -> Result<Reading, E> {
        let x = round12(x);
        if let Some((_, r)) = cache.get(&key(x)) {
            return Ok(*r);
        }
        let r = eval(x)?;
        cache.insert(key(x), (x, r));
        Ok(r)
    };
    // Lenient: the end of the interval most favourable to the goal; strict: the other end.
    let point = |r: &Reading| goal.met_by(r.value);
    let lenient = |r: &Reading| {
        goal.met_by(if goal.at_most {
            r.ci95.low
        } else {
            r.ci95.high
        })
    };
    let strict = |r: &Reading| {
        goal.met_by(if goal.at_most {
            r.ci95.high
        } else {
            r.ci95.low
        })
    };

    let lo_r = at(from, &mut cache)?;
    let hi_r = at(to, &mut cache)?;
    let direction = match (point(&lo_r), point(&hi_r)) {
        (false, true) => Direction::SmallestMeeting,
        (true, false) => Direction::LargestMeeting,
        (true, true) => Direction::MetEverywhere,
        (false, false) => Direction::MetNowhere,
    };
    let mut crossing = |met: &dyn Fn(&Reading) -> bool,
                        cache: &mut BTreeMap<u64, (f64, Reading)>|
     -> Result<Option<f64>, E> {
        let (a, b) = (met(&at(from, cache)?), met(&at(to, cache)?));
        let toward_top = match direction {
            Direction::SmallestMeeting => true,
            Direction::LargestMeeting => false,
            // No crossing of the point estimate: report where each bound's criterion stands.
            Direction::MetEverywhere | Direction::MetNowhere => a != b && b,
        };
        if toward_top {
            match (a, b) {
                (true, _) => return Ok(Some(from)),
                (false, false) => return Ok(None),
                _ => {}
            }
        } else {
            match (a, b) {
                (_, true) => return Ok(Some(to)),
                (false, false) => return Ok(None),
                _ => {}
            }
        }
        // Bisect on the axis's own grid, from + k·resolution for k = 0..=n, so every value run
        // and the answer are points the user asked for (a 0:12:0.25 axis answers 7.75, never
        // 7.6875). Invariant: `met` is false at index `bad` and true at index `good`.
        let n = ((to - from) / resolution).round().max(1.0) as u64;
        let value = |k: u64| {
            if k == n {
                to
            } else {
                round12(from + k as f64 * resolution)
            }
        };
        let (mut bad, mut good) = if toward_top { (0, n) } else { (n, 0) };
        while bad.abs_diff(good) > 1 {
            let mid = (bad + good) / 2;
            if met(&at(value(mid), cache)?) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Ok(Some(value(good)))
    };
    let answer = match direction {
        Direction::SmallestMeeting | Direction::LargestMeeting => crossing(&point, &mut cache)?,
        _ => None,
    };
    let l = crossing(&lenient, &mut cache)?;
    let s = crossing(&strict, &mut cache)?;
    let (answer_low, answer_high) = match (l, s) {
        (Some(l), Some(s)) => (Some(l.min(s)), Some(l.max(s))),
        other => other,
    };
    Ok(GoalResult {
        goal: goal.to_string(),
        direction,
        answer,
        answer_low,
        answer_high,
        resolution,
        evaluations: cache.into_values().collect(),
    })
}

/// Cache key for an axis value: its bits, with -0 folded into 0.
fn key(x: f64) -> u64 {
    (x + 0.0).to_bits()
}

/// One evaluated point of a sweep: its settings, its run and what the supplier cap did there.
#[derive(Debug, Clone)]
pub(crate) struct SweepPoint {
    pub settings: Vec<Setting>,
    pub run: VariantRun,
    /// What the supplier cap did at this point (empty without a cap).
    pub cap: Vec<CapOutcome>,
}

/// A finished sweep: the axes, the points in parameter order (the first is the reference of
/// every paired difference), the headline rows of every point and the goal's answer.
#[derive(Debug, Clone)]
pub(crate) struct Sweep {
    pub axes: Vec<Axis>,
    pub points: Vec<SweepPoint>,
    pub rows: Vec<SweepRow>,
    pub goal: Option<GoalResult>,
}

impl Sweep {
    /// The swept fields, as written on the command line.
    pub(crate) fn parameters(&self) -> Vec<&str> {
        self.axes.iter().map(|a| a.path.text.as_str()).collect()
    }

    /// The paired difference last point − first point of `stat` for each subject (None where
    /// it cannot be read, or with a single point).
    pub(crate) fn last_minus_first(
        &self,
        subjects: &[Subject],
        stat: Stat,
    ) -> Vec<Option<SectionedEstimate>> {
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return vec![None; subjects.len()];
        };
        subjects
            .iter()
            .map(|s| difference(&first.run, &last.run, s, stat))
            .collect()
    }
}

/// Why a sweep stopped without a result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SweepError {
    /// Ctrl-C during a point.
    #[error("interrupted")]
    Interrupted,
    /// The goal's subject has no figures to read.
    #[error("{0} has no shortfall figures in this scenario")]
    NoFigures(Subject),
    /// The grid is too large.
    #[error("{0}")]
    Grid(String),
    /// A point failed to build or run.
    #[error(transparent)]
    Run(#[from] anyhow::Error),
}

/// Run the sweep: every point of the grid of `axes`, or, with a goal (single axis), the
/// points bisection needs to find where the goal's metric of `subject` meets it.
/// `run_point(settings, label)` builds and runs one point.
pub(crate) fn evaluate(
    axes: Vec<Axis>,
    goal: Option<(&Goal, &Subject)>,
    mut run_point: impl FnMut(Vec<Setting>, String) -> Result<SweepPoint, SweepError>,
) -> Result<Sweep, SweepError> {
    let mut points: Vec<SweepPoint> = Vec::new();
    let mut goal_result = None;
    if let Some((goal, subject)) = goal {
        let axis = &axes[0];
        let (from, to) = (
            axis.values.iter().copied().fold(f64::INFINITY, f64::min),
            axis.values
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max),
        );
        let resolution = axis.step.unwrap_or((to - from) / 100.0).max(1e-12);
        let result = seek(goal, from, to, resolution, |x| {
            let settings = vec![Setting {
                path: axis.path.clone(),
                value: x,
            }];
            let point = run_point(settings, format!("{} = {x}", axis.path.text))?;
            let r = read(&point.run.summary, subject, goal.stat)
                .ok_or_else(|| SweepError::NoFigures(subject.clone()))?;
            points.push(point);
            Ok::<_, SweepError>(r)
        })?;
        goal_result = Some(result);
    } else {
        for settings in grid(&axes).map_err(SweepError::Grid)? {
            let label: Vec<String> = settings.iter().map(ToString::to_string).collect();
            points.push(run_point(settings, label.join(", "))?);
        }
    }
    // Points in parameter order, so the first is the reference of every paired difference.
    points.sort_by(|a, b| {
        let va: Vec<f64> = a.settings.iter().map(|s| s.value).collect();
        let vb: Vec<f64> = b.settings.iter().map(|s| s.value).collect();
        va.partial_cmp(&vb).unwrap_or(std::cmp::Ordering::Equal)
    });
    points.dedup_by(|a, b| a.settings == b.settings);
    let first = &points[0].run;
    let rows = points
        .iter()
        .enumerate()
        .flat_map(|(i, p)| rows(i, &p.run, first))
        .collect();
    Ok(Sweep {
        axes,
        points,
        rows,
        goal: goal_result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_counts_cannot_overflow() {
        let e = Axis::parse("supplier_cap.level=0:1:1e-300").unwrap_err();
        assert!(e.contains("at most 400"), "{e}");
        let e = Axis::parse("supplier_cap.level=0:1e308:1e-308").unwrap_err();
        assert!(e.contains("too many"), "{e}");
        let many: Vec<String> = (0..256).map(|i| format!("{}", i as f64 / 256.0)).collect();
        let spec = format!("supplier_cap.level={}", many[..200].join(","));
        let axis = Axis::parse(&spec).unwrap();
        let axes = vec![axis; 8];
        let e = grid(&axes).unwrap_err();
        assert!(e.contains("200 × 200"), "{e}");
    }
    use crate::stats::estimate::Interval;
    use crate::stats::metric::Stat;

    #[test]
    fn axes_parse_ranges_lists_and_percentages() {
        let a = Axis::parse("supplier_cap.level=50%:100%:5%").unwrap();
        assert_eq!(a.values.len(), 11);
        assert_eq!((a.values[0], a.values[3], a.values[10]), (0.5, 0.65, 1.0));
        let b = Axis::parse("blocs.EU.stockpiles.gallium.initial_months=0,1.5,3").unwrap();
        assert_eq!(b.values, vec![0.0, 1.5, 3.0]);
        assert!(Axis::parse("supplier_cap.level=1:0.5:0.1").is_err());
        assert!(Axis::parse("supplier_cap.level").is_err());
        assert!(Axis::parse("supplier_cap.level=0:1").is_err());
        let points = grid(&[a, b]).unwrap();
        assert_eq!(points.len(), 33);
        assert_eq!(points[4][1].value, 1.5);
    }

    /// A metric falling linearly from 0.2 at x = 0 to 0 at x = 10, with a ±0.01 interval:
    /// `<= 5%` is met from x = 7.5; the lenient end (value − 0.01) from 7.0, the strict end
    /// (value + 0.01) from 8.0.
    #[test]
    fn bisection_finds_the_crossing_and_its_interval() {
        let goal = Goal {
            stat: Stat::Quantile(0.95),
            at_most: true,
            bound: 0.05,
        };
        let mut calls = 0;
        let r = seek(&goal, 0.0, 10.0, 0.01, |x| {
            calls += 1;
            let v = 0.2 - 0.02 * x;
            Ok::<_, ()>(Reading {
                value: v,
                ci95: Interval {
                    low: v - 0.01,
                    high: v + 0.01,
                },
            })
        })
        .unwrap();
        assert_eq!(r.direction, Direction::SmallestMeeting);
        let answer = r.answer.unwrap();
        assert!((answer - 7.5).abs() <= 0.011, "{answer}");
        for (x, _) in &r.evaluations {
            assert!(
                ((x / 0.01).round() * 0.01 - x).abs() < 1e-9,
                "{x} is off the grid"
            );
        }
        assert!((r.answer_low.unwrap() - 7.0).abs() <= 0.011, "{r:?}");
        assert!((r.answer_high.unwrap() - 8.0).abs() <= 0.011, "{r:?}");
        // Three bisections of ~10 steps each, sharing the two end points.
        assert!(calls <= 36, "{calls} evaluations");
    }

    /// A metric 0.2 − 0.026·x on a 0:12:0.25 axis: `<= 5%` is met from x ≈ 5.77, so the
    /// smallest grid point meeting it is 6.0 (5.75 gives 0.0505); every point run is on the grid.
    #[test]
    fn the_answer_is_a_point_of_the_grid_given() {
        let goal = Goal {
            stat: Stat::Mean,
            at_most: true,
            bound: 0.05,
        };
        let r = seek(&goal, 0.0, 12.0, 0.25, |x| {
            let v = 0.2 - 0.026 * x;
            Ok::<_, ()>(Reading {
                value: v,
                ci95: Interval {
                    low: v - 0.001,
                    high: v + 0.001,
                },
            })
        })
        .unwrap();
        assert_eq!(r.answer, Some(6.0));
        assert!(r
            .evaluations
            .iter()
            .all(|(x, _)| (x / 0.25).fract() == 0.0 && (0.0..=12.0).contains(x)));
    }

    #[test]
    fn a_goal_met_nowhere_says_so() {
        let goal = Goal {
            stat: Stat::Mean,
            at_most: true,
            bound: -1.0,
        };
        let r = seek(&goal, 0.0, 1.0, 0.1, |_| {
            Ok::<_, ()>(Reading {
                value: 0.5,
                ci95: Interval {
                    low: 0.4,
                    high: 0.6,
                },
            })
        })
        .unwrap();
        assert_eq!(r.direction, Direction::MetNowhere);
        assert_eq!((r.answer, r.answer_low, r.answer_high), (None, None, None));
    }
}
