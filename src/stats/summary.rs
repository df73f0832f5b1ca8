//! The finished result of a run: every reported figure with its Monte Carlo error.
//! This is what `summary.json` holds (schema in `docs/output-format.md`); exporters read only this.

use serde::{Deserialize, Serialize};

use super::accumulator::{Layout, MonthlyAcc, RunAccumulator, THRESHOLDS};
use super::estimate::{distribution, probability, DistributionEstimate, ProbabilityEstimate};

/// Every reported figure of a run with its Monte Carlo error: what `summary.json` holds
/// (docs/output-format.md) and all the exporters read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Paths simulated.
    pub paths: u64,
    /// Shares of a year's demand that the `P(>x)` estimates use (0.05, 0.10, 0.25).
    pub thresholds: Vec<f64>,
    /// One per (bloc, material) cell with demand.
    pub cells: Vec<CellSummary>,
    /// One per bloc: its worst material each year.
    pub blocs: Vec<BlocSummary>,
    /// One per material: the price peak.
    pub materials: Vec<MaterialSummary>,
    /// One per price floor: its fiscal cost.
    pub floors: Vec<FloorSummary>,
    /// Month labels `YYYY-MM` of the horizon.
    pub month_labels: Vec<String>,
    /// Monthly percentiles per cell and material, for fan charts.
    pub timeseries: Vec<FanSeries>,
    /// Per watched single-supplier cap link: how often one third country's share of the bloc's
    /// consumption exceeds the cap once disruptions reroute supply.
    #[serde(default)]
    pub cap_breach: Vec<CapBreachSummary>,
    /// What drives the worst 5% of paths of each bloc ("some material") and each cell: which
    /// processes were active and the share of the shortfall each carried.
    #[serde(default)]
    pub tail_attribution: Vec<super::tail::TailAttribution>,
    /// With `run --parameter-sets K`: each headline probability's parameter-uncertainty band
    /// beside its Monte Carlo interval (docs/model.md, "Parameter uncertainty"); absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter_uncertainty: Vec<super::param_sets::ParameterBand>,
    /// The headline estimate after each chunk of paths, for the convergence chart. Filled by
    /// `run` only and not written to summary.json: a merge of shards, which keeps no per-chunk
    /// counts, must write the same summary.json as one run (the chart is `run`'s alone).
    #[serde(skip)]
    pub convergence: Option<super::convergence::Convergence>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CapBreachSummary {
    pub bloc: String,
    pub material: String,
    pub stage: String,
    pub level: f64,
    /// P(the cap is breached in at least one month of the horizon).
    pub probability_any_month: ProbabilityEstimate,
    /// P(breached) in each month.
    pub monthly_probability: Vec<f64>,
}

/// One bloc × material. The `*shortfall*` fields are the **consumption shortfall**: demand not
/// met after rerouting, substitution, commercial inventories and strategic stockpiles (the
/// headline; field names kept from before the import gap existed). `import_gap` is what failed
/// to arrive from disrupted suppliers, before any of those buffers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CellSummary {
    pub bloc: String,
    pub material: String,
    pub unit: String,
    /// P(some month's consumption shortfall exceeds 0.01% of that month's demand).
    pub probability_any_shortfall: ProbabilityEstimate,
    /// P(worst-year shortfall > threshold × that year's demand), one per `thresholds`.
    pub probability_over_threshold: Vec<ProbabilityEstimate>,
    pub total_shortfall_t: DistributionEstimate,
    pub total_shortfall_share: DistributionEstimate,
    pub worst_year_shortfall_t: DistributionEstimate,
    pub worst_year_shortfall_share: DistributionEstimate,
    pub peak_month_shortfall_share: DistributionEstimate,
    pub months_in_shortfall: DistributionEstimate,
    /// Longest run of consecutive months in shortfall.
    pub months_to_recovery: DistributionEstimate,
    pub has_stockpile: bool,
    pub probability_stock_depleted: ProbabilityEstimate,
    /// Median month (1-based from the start) of first depletion among paths that deplete.
    pub median_depletion_month: Option<f64>,
    /// Median month (1-based) of the first shortfall among paths with one.
    pub median_first_shortfall_month: Option<f64>,
    /// The import gap, the quantity customs statistics show. None in a summary written before
    /// the import gap was recorded (`plot` on an old run folder).
    #[serde(default)]
    pub import_gap: Option<ImportGapSummary>,
}

/// The import gap of one cell: contracted supply that failed to arrive from disrupted
/// suppliers, month by month, before rerouting, inventories, stockpiles and substitution. Its
/// worst year is the simulated calendar year with the largest import gap as a share of that
/// year's demand (the same year blocks as the consumption shortfall).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportGapSummary {
    /// P(some month has an import gap).
    pub probability_any: ProbabilityEstimate,
    /// P(worst-year import gap share > threshold), one per `Summary::thresholds`.
    pub probability_over_threshold: Vec<ProbabilityEstimate>,
    /// Import gap summed over the horizon, tonnes (its `mean` is the mean total).
    pub total_t: DistributionEstimate,
    /// Worst-year import gap as a share of that year's demand (mean, P95 with CI, ...).
    pub worst_year_share: DistributionEstimate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlocSummary {
    pub bloc: String,
    /// Consumption shortfall throughout (the import gap is reported per cell only: the
    /// accumulator keeps no per-path "worst material" of the import gap).
    pub probability_any_shortfall: ProbabilityEstimate,
    /// P(some material's worst-year consumption shortfall > threshold), one per `thresholds`.
    pub probability_any_material_over_threshold: Vec<ProbabilityEstimate>,
    /// Shortfall over the horizon valued at base prices, USD.
    pub shortfall_value_usd: DistributionEstimate,
    pub worst_material_year_share: DistributionEstimate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaterialSummary {
    pub material: String,
    /// Highest monthly price over the horizon as a multiple of the base price, minus 1.
    pub peak_price_rise: DistributionEstimate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FloorSummary {
    pub floor: String,
    pub fiscal_cost_usd: DistributionEstimate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FanSeries {
    /// `shortfall_share`, `stock_drawdown_share` or `price_ratio`.
    pub series: String,
    pub bloc: Option<String>,
    pub material: String,
    pub mean: Vec<f64>,
    pub p05: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p95: Vec<f64>,
}

/// Month counts are whole numbers in bins narrower than a month; rounding a bin's midpoint down
/// recovers the count exactly.
fn whole_months(mut d: DistributionEstimate) -> DistributionEstimate {
    for q in &mut d.quantiles {
        q.value = q.value.floor();
        q.ci95.low = q.ci95.low.floor();
        q.ci95.high = q.ci95.high.floor();
    }
    d
}

pub const FAN_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

fn fan(acc: &MonthlyAcc, n: u64) -> [Vec<f64>; 6] {
    let months = acc.hist.len();
    let mut out: [Vec<f64>; 6] = Default::default();
    let mut at = [0.0; FAN_QUANTILES.len()];
    for t in 0..months {
        out[0].push(acc.sum[t] / n.max(1) as f64);
        acc.hist[t].quantiles(&FAN_QUANTILES, n, &mut at);
        for (k, &v) in at.iter().enumerate() {
            out[k + 1].push(v);
        }
    }
    out
}

fn is_all_zero(acc: &MonthlyAcc) -> bool {
    acc.hist.iter().all(|h| h.positives == 0)
}

/// The finished run: every accumulator turned into estimates with their intervals, section by
/// section of the `Summary`.
pub fn finish(layout: &Layout, acc: &RunAccumulator) -> Summary {
    let n = acc.paths;
    // One subject's accumulator (`RunAccumulator::of_subject`) summarises that subject alone:
    // nothing else was folded, so nothing else is reported (rather than read as no shortfall).
    let rest = acc.folds_the_rest();
    Summary {
        cap_breach: if rest {
            cap_breach_summaries(layout, acc)
        } else {
            Vec::new()
        },
        paths: n,
        thresholds: THRESHOLDS.to_vec(),
        cells: cell_summaries(layout, acc),
        blocs: bloc_summaries(layout, acc),
        materials: if rest {
            material_summaries(layout, acc)
        } else {
            Vec::new()
        },
        floors: if rest {
            floor_summaries(layout, acc)
        } else {
            Vec::new()
        },
        month_labels: layout.month_labels.clone(),
        timeseries: if rest {
            fan_series(layout, acc)
        } else {
            Vec::new()
        },
        tail_attribution: super::tail::tail_summaries(layout, &acc.tail, n),
        parameter_uncertainty: if rest {
            super::param_sets::bands(layout, &acc.param_sets, n)
        } else {
            Vec::new()
        },
        convergence: None,
    }
}

/// One summary per (bloc, material) cell, in the layout's cell order.
fn cell_summaries(layout: &Layout, acc: &RunAccumulator) -> Vec<CellSummary> {
    let n = acc.paths;
    layout
        .cells
        .iter()
        .enumerate()
        .filter(|&(ci, _)| acc.folds_cell(ci))
        .map(|(ci, &(b, m))| {
            let c = &acc.cells[ci];
            let depletion = (c.stock_depleted > 0).then(|| {
                c.depletion_month
                    .hist
                    .quantile(0.5, c.stock_depleted)
                    .floor()
            });
            let first = (c.any_short > 0)
                .then(|| c.first_short_month.hist.quantile(0.5, c.any_short).floor());
            CellSummary {
                bloc: layout.blocs[b].clone(),
                material: layout.materials[m].clone(),
                unit: layout.units[m].clone(),
                probability_any_shortfall: probability(c.any_short, n),
                probability_over_threshold: c
                    .over_threshold
                    .iter()
                    .map(|&k| probability(k, n))
                    .collect(),
                total_shortfall_t: distribution(&c.total_short_t, n),
                total_shortfall_share: distribution(&c.total_short_share, n),
                worst_year_shortfall_t: distribution(&c.worst_year_short_t, n),
                worst_year_shortfall_share: distribution(&c.worst_year_share, n),
                peak_month_shortfall_share: distribution(&c.peak_month_share, n),
                months_in_shortfall: whole_months(distribution(&c.months_short, n)),
                months_to_recovery: whole_months(distribution(&c.longest_run_months, n)),
                has_stockpile: layout.cell_has_stockpile[ci],
                probability_stock_depleted: probability(c.stock_depleted, n),
                median_depletion_month: depletion,
                median_first_shortfall_month: first,
                import_gap: Some(ImportGapSummary {
                    probability_any: probability(c.any_import_gap, n),
                    probability_over_threshold: c
                        .import_gap_over_threshold
                        .iter()
                        .map(|&k| probability(k, n))
                        .collect(),
                    total_t: distribution(&c.import_gap_t, n),
                    worst_year_share: distribution(&c.worst_year_import_gap_share, n),
                }),
            }
        })
        .collect()
}

fn bloc_summaries(layout: &Layout, acc: &RunAccumulator) -> Vec<BlocSummary> {
    let n = acc.paths;
    layout
        .blocs
        .iter()
        .enumerate()
        .filter(|&(b, _)| acc.folds_bloc(b))
        .map(|(b, name)| {
            let a = &acc.blocs[b];
            BlocSummary {
                bloc: name.clone(),
                probability_any_shortfall: probability(a.any_short, n),
                probability_any_material_over_threshold: a
                    .any_over_threshold
                    .iter()
                    .map(|&k| probability(k, n))
                    .collect(),
                shortfall_value_usd: distribution(&a.short_value_usd, n),
                worst_material_year_share: distribution(&a.worst_material_share, n),
            }
        })
        .collect()
}

fn material_summaries(layout: &Layout, acc: &RunAccumulator) -> Vec<MaterialSummary> {
    layout
        .materials
        .iter()
        .enumerate()
        .map(|(m, name)| MaterialSummary {
            material: name.clone(),
            peak_price_rise: distribution(&acc.peak_price_excess[m], acc.paths),
        })
        .collect()
}

fn floor_summaries(layout: &Layout, acc: &RunAccumulator) -> Vec<FloorSummary> {
    layout
        .floors
        .iter()
        .enumerate()
        .map(|(f, name)| FloorSummary {
            floor: name.clone(),
            fiscal_cost_usd: distribution(&acc.floor_cost_usd[f], acc.paths),
        })
        .collect()
}

/// The fan-chart series: per cell its monthly shortfall (and drawdown, where the cell holds a
/// stockpile), then per material whose price ever moved its price ratio.
fn fan_series(layout: &Layout, acc: &RunAccumulator) -> Vec<FanSeries> {
    let n = acc.paths;
    let mut timeseries = Vec::new();
    for (ci, &(b, m)) in layout.cells.iter().enumerate() {
        for (series, monthly) in [
            ("shortfall_share", &acc.shortfall_monthly[ci]),
            ("stock_drawdown_share", &acc.drawdown_monthly[ci]),
        ] {
            if series == "stock_drawdown_share" && !layout.cell_has_stockpile[ci] {
                continue;
            }
            let [mean, p05, p25, p50, p75, p95] = fan(monthly, n);
            timeseries.push(FanSeries {
                series: series.into(),
                bloc: Some(layout.blocs[b].clone()),
                material: layout.materials[m].clone(),
                mean,
                p05,
                p25,
                p50,
                p75,
                p95,
            });
        }
    }
    for (m, name) in layout.materials.iter().enumerate() {
        let up = &acc.price_up_monthly[m];
        let down = &acc.price_down_monthly[m];
        if is_all_zero(up) && is_all_zero(down) {
            continue;
        }
        let [mean, p05, p25, p50, p75, p95] = price_fan(up, down, layout.months, n);
        timeseries.push(FanSeries {
            series: "price_ratio".into(),
            bloc: None,
            material: name.clone(),
            mean,
            p05,
            p25,
            p50,
            p75,
            p95,
        });
    }
    timeseries
}

/// Mean and `FAN_QUANTILES` of the monthly price ratio. Price ratio = 1 + up − down; its
/// quantiles combine the two one-sided histograms.
fn price_fan(up: &MonthlyAcc, down: &MonthlyAcc, months: usize, n: u64) -> [Vec<f64>; 6] {
    let mut out: [Vec<f64>; 6] = Default::default();
    for t in 0..months {
        out[0].push(1.0 + (up.sum[t] - down.sum[t]) / n.max(1) as f64);
        let down_n = down.hist[t].positives;
        let up_n = up.hist[t].positives;
        for (k, q) in FAN_QUANTILES.iter().enumerate() {
            let rank = ((q * n as f64).ceil() as u64).clamp(1, n.max(1)) - 1;
            let v = if rank < down_n {
                // Falls: the most negative first, i.e. the largest "down" values first.
                1.0 - down.hist[t].value_at_rank(down_n - 1 - rank, down_n)
            } else if rank < n - up_n {
                1.0
            } else {
                1.0 + up.hist[t].value_at_rank(rank - (n - up_n), up_n)
            };
            out[k + 1].push(v);
        }
    }
    out
}

/// Per watched cap: the chance it is breached in some month, and month by month.
fn cap_breach_summaries(layout: &Layout, acc: &RunAccumulator) -> Vec<CapBreachSummary> {
    let n = acc.paths;
    layout
        .cap_watch
        .iter()
        .enumerate()
        .map(|(w, name)| CapBreachSummary {
            bloc: name.bloc.clone(),
            material: name.material.clone(),
            stage: name.stage.clone(),
            level: name.level,
            probability_any_month: probability(acc.cap_breached_paths[w], n),
            monthly_probability: layout.calm_breach[w]
                .iter()
                .zip(&acc.cap_flips[w])
                .map(|(&calm, &flips)| {
                    let p = flips as f64 / n.max(1) as f64;
                    if calm {
                        1.0 - p
                    } else {
                        p
                    }
                })
                .collect(),
        })
        .collect()
}
