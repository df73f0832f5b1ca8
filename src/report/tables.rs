//! Files an analyst opens in pandas or Excel: `summary.csv` (tidy long format, one estimate per
//! row with its standard error and 95% interval, and the quantity it measures) and
//! `timeseries.csv` (monthly percentiles).

use crate::report::csv::{num, CsvText};
use crate::stats::estimate::{DistributionEstimate, ProbabilityEstimate};
use crate::stats::summary::{CellSummary, ImportGapSummary};
use crate::stats::Summary;

/// `measure`, last so the earlier columns keep their positions, names the quantity a row is
/// about: `consumption_shortfall` (the headline; the `*shortfall*` metric names predate the
/// import gap), `import_gap`, `strategic_stockpile`, `price` or `fiscal_cost`.
pub(crate) const SUMMARY_HEADER: &str =
    "scenario,bloc,material,metric,statistic,value,se,ci95_low,ci95_high,unit,measure";

pub(crate) const CONSUMPTION_SHORTFALL: &str = "consumption_shortfall";
pub(crate) const IMPORT_GAP: &str = "import_gap";

/// What one group of `summary.csv` rows is about: the columns every statistic of one metric
/// shares.
struct Key<'a> {
    bloc: &'a str,
    material: &'a str,
    metric: &'a str,
    unit: &'a str,
}

/// One statistic of a metric: its value, standard error and 95% interval where it has them.
struct Estimate<'a> {
    statistic: &'a str,
    value: f64,
    se: Option<f64>,
    ci: Option<(f64, f64)>,
}

struct Rows<'a> {
    out: CsvText,
    scenario: &'a str,
    /// The `measure` column of the rows being written.
    measure: &'static str,
}

impl Rows<'_> {
    fn row(&mut self, key: &Key, e: Estimate) {
        let opt = |v: Option<f64>| v.map_or(String::new(), num);
        self.out.row([
            self.scenario.to_string(),
            key.bloc.to_string(),
            key.material.to_string(),
            key.metric.to_string(),
            e.statistic.to_string(),
            num(e.value),
            opt(e.se),
            opt(e.ci.map(|c| c.0)),
            opt(e.ci.map(|c| c.1)),
            key.unit.to_string(),
            self.measure.to_string(),
        ]);
    }

    fn probability(&mut self, bloc: &str, material: &str, metric: &str, p: &ProbabilityEstimate) {
        let key = Key {
            bloc,
            material,
            metric,
            unit: "probability",
        };
        self.row(
            &key,
            Estimate {
                statistic: "p",
                value: p.p,
                se: Some(p.se),
                ci: Some((p.ci95.low, p.ci95.high)),
            },
        );
    }

    fn distribution(&mut self, key: Key, d: &DistributionEstimate) {
        self.row(
            &key,
            Estimate {
                statistic: "mean",
                value: d.mean,
                se: Some(d.mean_se),
                ci: Some((d.mean - 1.96 * d.mean_se, d.mean + 1.96 * d.mean_se)),
            },
        );
        self.row(
            &key,
            Estimate {
                statistic: "sd",
                value: d.sd,
                se: None,
                ci: None,
            },
        );
        for q in &d.quantiles {
            self.row(
                &key,
                Estimate {
                    statistic: &format!("p{}", format_q(q.q)),
                    value: q.value,
                    se: Some((q.ci95.high - q.ci95.low) / (2.0 * 1.96)),
                    ci: Some((q.ci95.low, q.ci95.high)),
                },
            );
        }
        for c in [&d.cvar95, &d.cvar99] {
            self.row(
                &key,
                Estimate {
                    statistic: &format!("cvar{}", format_q(c.alpha)),
                    value: c.value,
                    se: Some(c.se),
                    ci: Some((c.value - 1.96 * c.se, c.value + 1.96 * c.se)),
                },
            );
        }
    }
}

/// 0.95 → "95", 0.999 → "99.9".
fn format_q(q: f64) -> String {
    let p = (q * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p}")
    }
}

/// The rows of one cell: its consumption shortfall, its stockpile, then its import gap.
fn cell_rows(r: &mut Rows, c: &CellSummary, thresholds: &[f64]) {
    r.measure = CONSUMPTION_SHORTFALL;
    let unit_t = format!("t ({})", c.unit);
    r.probability(
        &c.bloc,
        &c.material,
        "any_shortfall",
        &c.probability_any_shortfall,
    );
    for (t, p) in thresholds.iter().zip(&c.probability_over_threshold) {
        r.probability(
            &c.bloc,
            &c.material,
            &format!("worst_year_shortfall_over_{}pct", (t * 100.0).round()),
            p,
        );
    }
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "total_shortfall_t",
            unit: &unit_t,
        },
        &c.total_shortfall_t,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "total_shortfall_share",
            unit: "share of horizon demand",
        },
        &c.total_shortfall_share,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "worst_year_shortfall_t",
            unit: &unit_t,
        },
        &c.worst_year_shortfall_t,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "worst_year_shortfall_share",
            unit: "share of that year's demand",
        },
        &c.worst_year_shortfall_share,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "peak_month_shortfall_share",
            unit: "share of that month's demand",
        },
        &c.peak_month_shortfall_share,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "months_in_shortfall",
            unit: "months",
        },
        &c.months_in_shortfall,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "months_to_recovery",
            unit: "months",
        },
        &c.months_to_recovery,
    );
    if c.has_stockpile {
        r.measure = "strategic_stockpile";
        r.probability(
            &c.bloc,
            &c.material,
            "stockpile_depleted",
            &c.probability_stock_depleted,
        );
    }
    if let Some(g) = &c.import_gap {
        r.measure = IMPORT_GAP;
        import_gap_rows(r, c, g, thresholds);
    }
}

pub(crate) fn summary_csv(scenario: &str, s: &Summary) -> String {
    let mut r = Rows {
        out: CsvText::with_header(SUMMARY_HEADER),
        scenario,
        measure: CONSUMPTION_SHORTFALL,
    };
    for c in &s.cells {
        cell_rows(&mut r, c, &s.thresholds);
    }
    r.measure = CONSUMPTION_SHORTFALL;
    for b in &s.blocs {
        r.probability(&b.bloc, "", "any_shortfall", &b.probability_any_shortfall);
        for (t, p) in s
            .thresholds
            .iter()
            .zip(&b.probability_any_material_over_threshold)
        {
            r.probability(
                &b.bloc,
                "",
                &format!("any_material_worst_year_over_{}pct", (t * 100.0).round()),
                p,
            );
        }
        r.distribution(
            Key {
                bloc: &b.bloc,
                material: "",
                metric: "shortfall_value_usd",
                unit: "USD at base prices",
            },
            &b.shortfall_value_usd,
        );
        r.distribution(
            Key {
                bloc: &b.bloc,
                material: "",
                metric: "worst_material_year_share",
                unit: "share of that year's demand",
            },
            &b.worst_material_year_share,
        );
    }
    r.measure = "price";
    for m in &s.materials {
        r.distribution(
            Key {
                bloc: "",
                material: &m.material,
                metric: "peak_price_rise",
                unit: "multiple of base price minus 1",
            },
            &m.peak_price_rise,
        );
    }
    r.measure = "fiscal_cost";
    for f in &s.floors {
        r.distribution(
            Key {
                bloc: "",
                material: &f.floor,
                metric: "price_floor_fiscal_cost_usd",
                unit: "USD",
            },
            &f.fiscal_cost_usd,
        );
    }
    r.out.finish()
}

/// The import gap of one cell: P(any), P(worst year > each threshold), the total in tonnes and
/// the worst-year share.
fn import_gap_rows(r: &mut Rows, c: &CellSummary, g: &ImportGapSummary, thresholds: &[f64]) {
    r.probability(&c.bloc, &c.material, "import_gap_any", &g.probability_any);
    for (t, p) in thresholds.iter().zip(&g.probability_over_threshold) {
        r.probability(
            &c.bloc,
            &c.material,
            &format!("import_gap_worst_year_over_{}pct", (t * 100.0).round()),
            p,
        );
    }
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "import_gap_total_t",
            unit: &format!("t ({})", c.unit),
        },
        &g.total_t,
    );
    r.distribution(
        Key {
            bloc: &c.bloc,
            material: &c.material,
            metric: "import_gap_worst_year_share",
            unit: "share of that year's demand",
        },
        &g.worst_year_share,
    );
}

pub(crate) const TIMESERIES_HEADER: &str =
    "scenario,series,bloc,material,month,mean,p05,p25,p50,p75,p95";

pub(crate) fn timeseries_csv(scenario: &str, s: &Summary) -> String {
    let mut out = CsvText::with_header(TIMESERIES_HEADER);
    for f in &s.timeseries {
        for (t, label) in s.month_labels.iter().enumerate() {
            out.row([
                scenario.to_string(),
                f.series.to_string(),
                f.bloc.clone().unwrap_or_default(),
                f.material.clone(),
                label.clone(),
                num(f.mean[t]),
                num(f.p05[t]),
                num(f.p25[t]),
                num(f.p50[t]),
                num(f.p75[t]),
                num(f.p95[t]),
            ]);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_labels() {
        assert_eq!(format_q(0.95), "95");
        assert_eq!(format_q(0.999), "99.9");
    }
}
