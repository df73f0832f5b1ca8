//! Files an analyst opens in pandas or Excel: `summary.csv` (tidy long format, one estimate per
//! row with its standard error and 95% interval) and `timeseries.csv` (monthly percentiles).

use std::fmt::Write;

use crate::stats::estimate::{DistributionEstimate, ProbabilityEstimate};
use crate::stats::Summary;

pub const SUMMARY_HEADER: &str =
    "scenario,bloc,material,metric,statistic,value,se,ci95_low,ci95_high,unit";

struct Rows<'a> {
    out: String,
    scenario: &'a str,
}

impl Rows<'_> {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        bloc: &str,
        material: &str,
        metric: &str,
        statistic: &str,
        value: f64,
        se: Option<f64>,
        ci: Option<(f64, f64)>,
        unit: &str,
    ) {
        let opt = |v: Option<f64>| v.map_or(String::new(), num);
        let _ = writeln!(
            self.out,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(self.scenario),
            csv_field(bloc),
            csv_field(material),
            metric,
            statistic,
            num(value),
            opt(se),
            opt(ci.map(|c| c.0)),
            opt(ci.map(|c| c.1)),
            csv_field(unit)
        );
    }

    fn probability(&mut self, bloc: &str, material: &str, metric: &str, p: &ProbabilityEstimate) {
        self.row(
            bloc,
            material,
            metric,
            "p",
            p.p,
            Some(p.se),
            Some((p.ci95.low, p.ci95.high)),
            "probability",
        );
    }

    fn distribution(
        &mut self,
        bloc: &str,
        material: &str,
        metric: &str,
        d: &DistributionEstimate,
        unit: &str,
    ) {
        self.row(
            bloc,
            material,
            metric,
            "mean",
            d.mean,
            Some(d.mean_se),
            Some((d.mean - 1.96 * d.mean_se, d.mean + 1.96 * d.mean_se)),
            unit,
        );
        self.row(bloc, material, metric, "sd", d.sd, None, None, unit);
        for q in &d.quantiles {
            let stat = format!("p{}", format_q(q.q));
            self.row(
                bloc,
                material,
                metric,
                &stat,
                q.value,
                Some((q.ci95.high - q.ci95.low) / (2.0 * 1.96)),
                Some((q.ci95.low, q.ci95.high)),
                unit,
            );
        }
        for c in [&d.cvar95, &d.cvar99] {
            let stat = format!("cvar{}", format_q(c.alpha));
            self.row(
                bloc,
                material,
                metric,
                &stat,
                c.value,
                Some(c.se),
                Some((c.value - 1.96 * c.se, c.value + 1.96 * c.se)),
                unit,
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

/// Shortest round-trip representation, so CSV and JSON agree to the last digit.
pub(crate) fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn summary_csv(scenario: &str, s: &Summary) -> String {
    let mut r = Rows {
        out: format!("{SUMMARY_HEADER}\n"),
        scenario,
    };
    for c in &s.cells {
        let unit_t = format!("t ({})", c.unit);
        r.probability(
            &c.bloc,
            &c.material,
            "any_shortfall",
            &c.probability_any_shortfall,
        );
        for (t, p) in s.thresholds.iter().zip(&c.probability_over_threshold) {
            r.probability(
                &c.bloc,
                &c.material,
                &format!("worst_year_shortfall_over_{}pct", (t * 100.0).round()),
                p,
            );
        }
        r.distribution(
            &c.bloc,
            &c.material,
            "total_shortfall_t",
            &c.total_shortfall_t,
            &unit_t,
        );
        r.distribution(
            &c.bloc,
            &c.material,
            "total_shortfall_share",
            &c.total_shortfall_share,
            "share of horizon demand",
        );
        r.distribution(
            &c.bloc,
            &c.material,
            "worst_year_shortfall_t",
            &c.worst_year_shortfall_t,
            &unit_t,
        );
        r.distribution(
            &c.bloc,
            &c.material,
            "worst_year_shortfall_share",
            &c.worst_year_shortfall_share,
            "share of that year's demand",
        );
        r.distribution(
            &c.bloc,
            &c.material,
            "peak_month_shortfall_share",
            &c.peak_month_shortfall_share,
            "share of that month's demand",
        );
        r.distribution(
            &c.bloc,
            &c.material,
            "months_in_shortfall",
            &c.months_in_shortfall,
            "months",
        );
        r.distribution(
            &c.bloc,
            &c.material,
            "months_to_recovery",
            &c.months_to_recovery,
            "months",
        );
        if c.has_stockpile {
            r.probability(
                &c.bloc,
                &c.material,
                "stockpile_depleted",
                &c.probability_stock_depleted,
            );
        }
    }
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
            &b.bloc,
            "",
            "shortfall_value_usd",
            &b.shortfall_value_usd,
            "USD at base prices",
        );
        r.distribution(
            &b.bloc,
            "",
            "worst_material_year_share",
            &b.worst_material_year_share,
            "share of that year's demand",
        );
    }
    for m in &s.materials {
        r.distribution(
            "",
            &m.material,
            "peak_price_rise",
            &m.peak_price_rise,
            "multiple of base price minus 1",
        );
    }
    for f in &s.floors {
        r.distribution(
            "",
            &f.floor,
            "price_floor_fiscal_cost_usd",
            &f.fiscal_cost_usd,
            "USD",
        );
    }
    r.out
}

pub const TIMESERIES_HEADER: &str = "scenario,series,bloc,material,month,mean,p05,p25,p50,p75,p95";

pub fn timeseries_csv(scenario: &str, s: &Summary) -> String {
    let mut out = format!("{TIMESERIES_HEADER}\n");
    for f in &s.timeseries {
        for (t, label) in s.month_labels.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(scenario),
                f.series,
                csv_field(f.bloc.as_deref().unwrap_or("")),
                csv_field(&f.material),
                label,
                num(f.mean[t]),
                num(f.p05[t]),
                num(f.p25[t]),
                num(f.p50[t]),
                num(f.p75[t]),
                num(f.p95[t])
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_labels_and_escaping() {
        assert_eq!(format_q(0.95), "95");
        assert_eq!(format_q(0.999), "99.9");
        assert_eq!(csv_field("Korea, Republic of"), "\"Korea, Republic of\"");
        assert_eq!(num(f64::NAN), "");
    }
}
