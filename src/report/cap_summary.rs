//! The stress test per strategic material, in one place (`stress-cap`): feasibility and the
//! capacity gap, the compliance month, the paired effect on P(>10%), P95 and CVaR95, how often
//! the cap is breached once disruptions reroute supply, the spillover on the other blocs and
//! the cost; as `stress-cap-materials.csv`, a terminal table, the section that opens
//! report.html and a plain-language paragraph. A material whose cap cannot be met is always
//! said to be so before any effect on its risk is named.

use std::fmt::Write as _;

use crate::experiment::cap_cost::MaterialCost;
use crate::experiment::compliance::MaterialCompliance;
use crate::experiment::stress_cap::{MaterialFeasibility, SpillRow, StressCap, StressRow};
use crate::report::csv::{num, CsvText};
use crate::report::format::{pct, the, tonnes};
use crate::report::html::escape;
use crate::stats::metric::Stat;

/// The paired metrics shown per material, in order.
const EFFECTS: [Stat; 3] = [
    Stat::ProbabilityOver(0.10),
    Stat::Quantile(0.95),
    Stat::Cvar95,
];

/// Everything the stress test says about one strategic material.
pub(crate) struct Line<'a> {
    pub material: &'a str,
    pub feasibility: &'a MaterialFeasibility,
    /// The bloc's consumption, t/yr (0 when the cap moves nothing).
    pub consumption_t_per_year: f64,
    /// The largest stage gap: (stage, t/yr).
    pub gap: Option<(&'a str, f64)>,
    pub compliance: Option<MaterialCompliance>,
    /// P(>10%), P95, CVaR95 rows (with − without).
    pub effects: [Option<&'a StressRow>; 3],
    /// Worst stage: P(cap breached in some month) without and with the cap.
    pub breach: Option<(f64, f64)>,
    pub cost: Option<&'a MaterialCost>,
    /// P(>10%) of this material in each other bloc.
    pub spillover: Vec<&'a SpillRow>,
}

/// One line per strategic material of the stress test.
pub(crate) fn lines(s: &StressCap) -> Vec<Line<'_>> {
    s.materials
        .iter()
        .map(|f| {
            let m = f.material.as_str();
            let row = |stat: Stat| {
                let name = stat.to_string();
                s.rows.iter().find(|r| r.material == m && r.metric == name)
            };
            let breach = s
                .breach
                .iter()
                .filter(|b| b.material == m)
                .map(|b| (b.without_cap_any_month.p, b.with_cap_any_month.p))
                .reduce(|x, y| (x.0.max(y.0), x.1.max(y.1)));
            let p10 = Stat::ProbabilityOver(0.10).to_string();
            Line {
                material: m,
                feasibility: f,
                consumption_t_per_year: s
                    .compliance
                    .iter()
                    .find(|l| l.material == m)
                    .map_or(0.0, |l| l.consumption_t_per_year),
                gap: f
                    .links
                    .iter()
                    .filter(|l| l.capacity_gap_t_per_year > 0.0)
                    .max_by(|x, y| {
                        x.capacity_gap_t_per_year
                            .total_cmp(&y.capacity_gap_t_per_year)
                    })
                    .map(|l| (l.stage.as_str(), l.capacity_gap_t_per_year)),
                compliance: s
                    .compliance_by_material
                    .iter()
                    .find(|c| c.material == m)
                    .cloned(),
                effects: EFFECTS.map(row),
                breach,
                cost: s.cost.iter().find(|c| c.material == m),
                spillover: s
                    .spillover
                    .iter()
                    .filter(|r| r.material == m && r.metric == p10)
                    .collect(),
            }
        })
        .collect()
}

/// Two significant figures, as every money figure of the reports ("USD 45 m", "USD 1.2 bn",
/// "USD 250,000": `figures::usd`); "not priced" for None.
pub(crate) fn usd(v: Option<f64>) -> String {
    v.map_or_else(|| "not priced".into(), super::figures::usd)
}

/// "YYYY-MM" of a month index, "after <last>" for None.
fn month(m: Option<usize>, labels: &[String]) -> String {
    match (m, labels.last()) {
        (Some(t), _) if t < labels.len() => labels[t].clone(),
        (_, Some(last)) => format!("after {last}"),
        _ => "-".into(),
    }
}

/// "+1.2 pp [+0.4, +2.0]" of a paired row.
fn pp(r: Option<&StressRow>) -> String {
    r.map_or("n/a".into(), |r| {
        points3(r.difference, r.difference_low, r.difference_high)
    })
}

/// Three shares as signed percentage points, one decimal; a value that rounds to zero is
/// "+0.0", never "-0.0".
fn points3(v: f64, low: f64, high: f64) -> String {
    let p = |x: f64| {
        let x = (1000.0 * x).round() / 10.0;
        format!("{:+.1}", if x == 0.0 { 0.0 } else { x })
    };
    format!("{} pp [{}, {}]", p(v), p(low), p(high))
}

/// Lower-case, `_` for anything but letters and digits: a bloc name inside a CSV column name.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `stress-cap-materials.csv`: one row per strategic material, every figure of the report.
pub(crate) fn csv(scenario: &str, s: &StressCap, labels: &[String]) -> String {
    let lines = lines(s);
    let mut others: Vec<&str> = Vec::new();
    for r in &s.spillover {
        if !others.contains(&r.bloc.as_str()) {
            others.push(&r.bloc);
        }
    }
    let mut header = String::from(
        "scenario,bloc,cap,material,feasible,capacity_gap_t_per_year,capacity_gap_share_of_consumption,capacity_gap_stage,compliance_month_p10,compliance_month_median,compliance_month_p90,p_not_compliant_by_end",
    );
    for stat in ["p_over_10", "p95", "cvar95"] {
        let _ = write!(
            header,
            ",{stat}_without,{stat}_with,{stat}_difference,{stat}_difference_ci95_low,{stat}_difference_ci95_high"
        );
    }
    header.push_str(",breach_any_month_without,breach_any_month_with,moved_t_per_year,cost_usd_per_year,cost_usd_horizon,p_over_10_removed_pp,usd_per_pp_removed,stockpile_same_money_t,stockpile_same_money_months");
    for b in &others {
        let b = slug(b);
        let _ = write!(header, ",{b}_p_over_10_difference,{b}_p_over_10_difference_ci95_low,{b}_p_over_10_difference_ci95_high");
    }
    let mut out = CsvText::with_header(&header);
    let opt = |v: Option<f64>| v.map_or(String::new(), num);
    for l in &lines {
        let mut row = vec![
            scenario.to_string(),
            s.bloc.clone(),
            num(s.cap),
            l.material.to_string(),
            l.feasibility.feasible.to_string(),
            num(l.gap.map_or(0.0, |g| g.1)),
            opt(l
                .gap
                .filter(|_| l.consumption_t_per_year > 0.0)
                .map(|g| g.1 / l.consumption_t_per_year)),
            l.gap.map_or(String::new(), |g| g.0.to_string()),
        ];
        match &l.compliance {
            Some(c) => row.extend([
                month(c.month_p10, labels),
                month(c.month_median, labels),
                month(c.month_p90, labels),
                num(c.p_not_by_end),
            ]),
            None => {
                let first = labels.first().cloned().unwrap_or_default();
                row.extend([first.clone(), first.clone(), first, num(0.0)]);
            }
        }
        for r in l.effects {
            match r {
                Some(r) => row.extend(
                    [
                        r.without_cap,
                        r.with_cap,
                        r.difference,
                        r.difference_low,
                        r.difference_high,
                    ]
                    .map(num),
                ),
                None => row.extend(std::iter::repeat_n(String::new(), 5)),
            }
        }
        row.push(opt(l.breach.map(|b| b.0)));
        row.push(opt(l.breach.map(|b| b.1)));
        let c = l.cost;
        row.push(num(c.map_or(0.0, |c| c.moved_t_per_year)));
        row.push(opt(c.map_or(Some(0.0), |c| c.cost_usd_per_year)));
        row.push(opt(c.map_or(Some(0.0), |c| c.cost_usd_horizon)));
        row.push(opt(c.and_then(|c| c.risk_removed_pp).map(|r| r[0])));
        row.push(opt(c.and_then(|c| c.usd_per_pp_removed)));
        row.push(opt(c.and_then(|c| c.stockpile_t)));
        row.push(opt(c.and_then(|c| c.stockpile_months)));
        for b in &others {
            match l.spillover.iter().find(|r| r.bloc == *b) {
                Some(r) => row.extend([r.difference, r.difference_low, r.difference_high].map(num)),
                None => row.extend(std::iter::repeat_n(String::new(), 3)),
            }
        }
        out.row(row);
    }
    out.finish()
}

/// "cannot be met (gap …)", "met from existing spare", or "already under the cap".
fn verdict(l: &Line) -> String {
    if l.feasibility.links.is_empty() {
        "already under the cap".into()
    } else if let Some((stage, gap)) = l.gap {
        format!(
            "NO: {} t/yr ({}) short at {stage}",
            tonnes(gap),
            pct(gap / l.consumption_t_per_year.max(1e-12))
        )
    } else {
        "met from existing spare".into()
    }
}

/// One plain sentence per material: what the cap asks, whether it can be met, what it changes
/// and what it costs. An infeasible material is said to be so first.
pub(crate) fn sentence(l: &Line, bloc: &str, labels: &[String]) -> String {
    let m = l.material;
    if l.feasibility.links.is_empty() {
        return format!(
            "{m}: no third country supplies more than the cap of {} consumption today; the cap changes nothing here.",
            the(bloc)
        );
    }
    let [p10, p95, _] = l.effects;
    let effect = format!(
        "P(worst year > 10%) changes by {} and P95 by {}",
        pp(p10),
        pp(p95)
    );
    let when = l.compliance.as_ref().map_or(String::new(), |c| {
        let end = labels.last().map_or("the horizon's end", String::as_str);
        if c.p_not_by_end >= 1.0 {
            format!(" No project in the pipeline closes the gap by {end}.")
        } else if c.month_median.is_none() {
            format!(
                " The pipeline closes the gap by {end} on only {} of paths (the earliest tenth by {}).",
                pct(1.0 - c.p_not_by_end),
                month(c.month_p10, labels)
            )
        } else if c.month_median.is_some_and(|t| t > 0) {
            format!(
                " New capacity closes the gap by {} in half the paths ({} of paths not within the horizon).",
                month(c.month_median, labels),
                pct(c.p_not_by_end)
            )
        } else {
            String::new()
        }
    });
    let cost = l.cost.map_or(String::new(), |c| {
        let per_pp = match (c.usd_per_pp_removed, c.cost_usd_horizon) {
            (Some(x), _) => format!(", {} per point of P(>10%) removed", usd(Some(x))),
            (None, Some(_)) => ", and it removes no risk at this threshold".into(),
            (None, None) => String::new(),
        };
        let stock = c.stockpile_months.map_or(String::new(), |mo| {
            format!(
                "; the same money would buy a stockpile of {} t ({mo:.1} months of {} demand)",
                tonnes(c.stockpile_t.unwrap_or(0.0)),
                the(bloc)
            )
        });
        format!(
            " Moving {} t/yr costs {} a year{per_pp}{stock}.",
            tonnes(c.moved_t_per_year),
            usd(c.cost_usd_per_year)
        )
    });
    if let Some((stage, gap)) = l.gap {
        format!(
            "{m}: the cap cannot be met with the capacity that exists today: {} t/yr ({} of consumption) of non-dominant capacity is missing at {stage}.{when} Moving only what existing spare can take, {effect}: this is not compliance.{cost}",
            tonnes(gap),
            pct(gap / l.consumption_t_per_year.max(1e-12)),
        )
    } else {
        format!("{m}: the cap can be met from existing spare; {effect}.{cost}")
    }
}

/// What the cap buys and costs, for the bloc as a whole, in plain words.
pub(crate) fn paragraph(s: &StressCap, lines: &[Line]) -> String {
    let moved: Vec<&Line> = lines
        .iter()
        .filter(|l| !l.feasibility.links.is_empty())
        .collect();
    let infeasible: Vec<&str> = moved
        .iter()
        .filter(|l| l.gap.is_some())
        .map(|l| l.material)
        .collect();
    let whole = |metric: &str| {
        s.rows
            .iter()
            .find(|r| r.material == "all" && r.metric == metric)
    };
    let total: Option<f64> = s.cost.iter().map(|c| c.cost_usd_per_year).sum();
    let unpriced: Vec<&str> = s
        .cost
        .iter()
        .filter(|c| c.cost_usd_per_year.is_none())
        .map(|c| c.material.as_str())
        .collect();
    let priced: f64 = s.cost.iter().filter_map(|c| c.cost_usd_per_year).sum();
    let mut out = format!(
        "What the {} cap buys and costs for {}: it moves contracts for {} of {} strategic materials; {}. ",
        pct(s.cap),
        the(&s.bloc),
        moved.len(),
        lines.len(),
        if infeasible.is_empty() {
            "existing spare capacity can take all of it".to_string()
        } else {
            format!(
                "for {} it cannot be met with the capacity that exists, so the figures below for {} are of a partial move, not of compliance",
                infeasible.join(", "),
                if infeasible.len() == 1 { "it" } else { "them" }
            )
        }
    );
    let _ = write!(
        out,
        "Binding {} (before it {} buys as the market does), on the same paths, it changes the chance that {} loses more than 10% of some material in a year by {} and the P95 worst-year shortfall by {}. ",
        s.binds,
        the(&s.bloc),
        the(&s.bloc),
        pp(whole("P(>10%)")),
        pp(whole("P95"))
    );
    let _ = write!(
        out,
        "The premium on the moved volume is {} a year{}. ",
        usd(total.or(Some(priced))),
        if unpriced.is_empty() {
            String::new()
        } else {
            format!(
                " for the priced materials ({} not priced: the scenario gives no premium)",
                unpriced.join(", ")
            )
        }
    );
    let spill: Vec<String> = s
        .spillover
        .iter()
        .filter(|r| r.material == "all" && r.metric == "P(>10%)")
        .map(|r| {
            format!(
                "{} {}{}",
                r.bloc,
                pp_spill(r),
                if r.significant { "" } else { " (noise)" }
            )
        })
        .collect();
    if !spill.is_empty() {
        let _ = write!(
            out,
            "Others pay through the spare the cap commits in calm times; their P(>10%) changes: {}.",
            spill.join("; ")
        );
    }
    out
}

fn pp_spill(r: &SpillRow) -> String {
    points3(r.difference, r.difference_low, r.difference_high)
}

/// The terminal: one line per material, then the paragraph and one sentence per material.
pub(crate) fn table(s: &StressCap, labels: &[String]) -> String {
    let lines = lines(s);
    let mut out = String::from(
        "\nPer strategic material: can the cap be met, when, what it changes and what it costs\n",
    );
    let _ = writeln!(
        out,
        "{:<13} {:<44} {:>9} {:>24} {:>15} {:>16} {:>9}",
        "material",
        "feasibility",
        "complies",
        "P(>10%) with − without",
        "cost a year",
        "per pp removed",
        "stockpile"
    );
    for l in &lines {
        let c = l.cost;
        let _ = writeln!(
            out,
            "{:<13} {:<38} {:>14} {:>24} {:>15} {:>16} {:>9}",
            l.material,
            verdict(l),
            l.compliance
                .as_ref()
                .map_or(labels.first().cloned().unwrap_or_default(), |c| month(
                    c.month_median,
                    labels
                )),
            pp(l.effects[0]),
            c.map_or("-".into(), |c| usd(c.cost_usd_per_year)),
            c.and_then(|c| c.usd_per_pp_removed)
                .map_or("-".into(), |x| usd(Some(x))),
            c.and_then(|c| c.stockpile_months)
                .map_or("-".into(), |m| format!("{m:.1} mo")),
        );
    }
    let _ = writeln!(out, "\n{}\n", paragraph(s, &lines));
    for l in &lines {
        let _ = writeln!(out, "{}", sentence(l, &s.bloc, labels));
    }
    out
}

/// The section that opens report.html: the paragraph, the per-material table and sentences.
pub(crate) fn html(s: &StressCap, labels: &[String]) -> String {
    let lines = lines(s);
    let mut h = format!(
        "<h2>The {} cap as a stress test: what it buys and costs</h2><p>{}</p>",
        escape(&pct(s.cap)),
        escape(&paragraph(s, &lines))
    );
    h.push_str("<table><tr><th>material</th><th>feasibility and capacity gap</th><th>compliance month (median [P10–P90])</th><th>P(&gt;10%) with − without</th><th>P95 with − without</th><th>CVaR95 with − without</th><th>P(cap breached, some month) without → with</th><th>spillover on other blocs' P(&gt;10%), beyond the noise</th><th>cost a year</th><th>per pp of P(&gt;10%) removed</th><th>same money as stockpile</th></tr>");
    for l in &lines {
        let compl = l.compliance.as_ref().map_or(
            format!(
                "{} (no move needed)",
                labels.first().cloned().unwrap_or_default()
            ),
            |c| {
                format!(
                    "{} [{}–{}]{}",
                    month(c.month_median, labels),
                    month(c.month_p10, labels),
                    month(c.month_p90, labels),
                    if c.p_not_by_end > 0.0 {
                        format!("; {} of paths not by the end", pct(c.p_not_by_end))
                    } else {
                        String::new()
                    }
                )
            },
        );
        // Only the blocs whose change is beyond the noise: four "+0.0 pp [+0.0, +0.0]" a row
        // made the column the tallest on the page and hid the ones that move.
        let mut spill: Vec<String> = l
            .spillover
            .iter()
            .filter(|r| r.significant)
            .map(|r| format!("{} {}", r.bloc, pp_spill(r)))
            .collect();
        if spill.is_empty() && !l.spillover.is_empty() {
            spill.push("none beyond the noise".into());
        }
        let c = l.cost;
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(l.material),
            escape(&verdict(l)),
            escape(&compl),
            escape(&pp(l.effects[0])),
            escape(&pp(l.effects[1])),
            escape(&pp(l.effects[2])),
            l.breach.map_or("-".into(), |b| format!("{} → {}", pct(b.0), pct(b.1))),
            escape(&spill.join("; ")),
            escape(&c.map_or("-".into(), |c| usd(c.cost_usd_per_year))),
            escape(&c.and_then(|c| c.usd_per_pp_removed).map_or("-".into(), |x| usd(Some(x)))),
            escape(&c.and_then(|c| c.stockpile_months).map_or("-".into(), |m| format!("{m:.1} months of demand"))),
        );
    }
    h.push_str("</table><ul>");
    for l in &lines {
        let _ = write!(h, "<li>{}</li>", escape(&sentence(l, &s.bloc, labels)));
    }
    h.push_str("</ul><p class=\"muted\">Feasibility, capacity gap and compliance month: the cap over time (docs/model.md, \"The cap over time\"), gaps at the largest stage as a share of the bloc's consumption. Paired effects: the cap binding from its month (before it sourcing follows the market; docs/model.md, phase 2c) on the same paths, with − without, 95% intervals by sectioning. Breach: share of paths in which one third country supplies more than the cap of what the bloc receives at a stage in some month (worst stage; chart below). Cost: the premium of the receiving suppliers over the dominant one on the volume moved (docs/model.md, \"The cost of the cap\"), over the horizon for the cost per point and the stockpile (at the calm price, no carrying cost).</p>");
    h
}
