//! `shortfall stress-cap`: does the CRMA single-supplier cap make a bloc safer, for which
//! strategic materials, and at what capacity cost? The scenario runs without and with the cap on
//! the same random paths; every difference is paired (sectioning interval). Glue only: the cap
//! itself is `model::cap`, the pairing `experiment`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use crate::cli::parse_share;
use crate::cli::{cancel_on_ctrl_c, threads as resolve_threads};
use crate::cli_run::BadArgument;
use crate::experiment::{difference, run_variant, sectioned_paths, VariantRun};
use crate::model::cap::CapOutcome;
use crate::model::compile;
use crate::report::atomic::write_atomic;
use crate::report::charts::sweep::{SweepChart, SweepLine};
use crate::report::charts::{write_sweep_chart, ChartMeta};
use crate::report::format::pct;
use crate::report::tables::{csv_field, num};
use crate::scenario::diagnostic::unknown_name_hint;
use crate::scenario::raw::SupplierCap;
use crate::scenario::{self, DEFAULT_SCENARIO};
use crate::sim::RunConfig;
use crate::stats::estimate::ProbabilityEstimate;
use crate::stats::metric::{read, Stat, Subject};

/// 20 sections of 2,048 paths: paired intervals on 19 degrees of freedom.
pub const DEFAULT_STRESS_PATHS: u64 = 40_960;

/// The metrics compared, headline first.
const STATS: [Stat; 5] = [
    Stat::Quantile(0.95),
    Stat::ProbabilityOver(0.10),
    Stat::Mean,
    Stat::Quantile(0.99),
    Stat::Cvar95,
];

#[derive(Args, Debug)]
pub struct StressCapArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Cap level: the largest share of the bloc's consumption one third country may supply
    /// (0.65 = the CRMA benchmark; `65%` also works).
    #[arg(long, default_value = "0.65", value_parser = parse_share, value_name = "SHARE")]
    pub cap: f64,
    /// Bloc that applies the cap (if the scenario sets no cap of its own).
    #[arg(long, default_value = "EU")]
    pub bloc: String,
    /// Paths per variant (rounded up to whole sections of 2,048).
    #[arg(long, default_value_t = DEFAULT_STRESS_PATHS, value_name = "N")]
    pub paths: u64,
    #[command(flatten)]
    pub flags: crate::cli::ExperimentFlags,
    /// Output folder (default: `output/<scenario>/stress-cap`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the PNG and SVG charts.
    #[arg(long)]
    pub no_charts: bool,
}

/// One strategic material (or the bloc as a whole) × metric: without, with, and the paired
/// difference (with − without).
#[derive(Debug, Clone, Serialize)]
pub struct StressRow {
    pub material: String,
    pub metric: String,
    pub without_cap: f64,
    pub without_low: f64,
    pub without_high: f64,
    pub with_cap: f64,
    pub with_low: f64,
    pub with_high: f64,
    pub difference: f64,
    pub difference_low: f64,
    pub difference_high: f64,
    /// The interval excludes zero.
    pub significant: bool,
}

/// Feasibility per strategic material: every capped stage where a supplier was over the cap.
#[derive(Debug, Clone, Serialize)]
pub struct MaterialFeasibility {
    pub material: String,
    pub feasible: bool,
    pub capacity_gap_t_per_year: f64,
    pub links: Vec<CapOutcome>,
}

/// How often one third country supplies more than the cap of what the bloc receives at a
/// capped stage, once disruptions cut some suppliers and reroute others' spare.
#[derive(Debug, Clone, Serialize)]
pub struct BreachRow {
    pub material: String,
    pub stage: String,
    pub without_cap_any_month: ProbabilityEstimate,
    pub with_cap_any_month: ProbabilityEstimate,
    /// With the cap: P(breached) per month.
    pub with_cap_monthly: Vec<f64>,
}

#[derive(Debug, Serialize)]
struct StressFile<'a> {
    scenario: &'a str,
    scenario_sha256: &'a str,
    bloc: &'a str,
    cap: f64,
    seed: u64,
    paths_per_variant: u64,
    materials: &'a [MaterialFeasibility],
    rows: &'a [StressRow],
    breach: &'a [BreachRow],
    month_labels: &'a [String],
    elapsed_seconds: f64,
    command: Vec<String>,
}

pub fn stress_cap(args: StressCapArgs) -> Result<ExitCode> {
    let spec = args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO);
    let base = scenario::load(spec)?;
    let mut without = base.clone();
    without.raw.supplier_cap = None;
    let without_model = compile(&without)?;
    if !without_model.blocs.iter().any(|b| b.name == args.bloc) {
        let names: Vec<&str> = without_model
            .blocs
            .iter()
            .map(|b| b.name.as_str())
            .collect();
        return Err(BadArgument(format!(
            "--bloc: {}",
            unknown_name_hint(&args.bloc, "bloc", names.iter().copied())
        ))
        .into());
    }
    let mut with = base.clone();
    let cap = match base.raw.supplier_cap.clone() {
        // The scenario's own cap (its blocs, stages, materials) at the level asked for.
        Some(mut c) => {
            c.level = args.cap;
            c
        }
        None => SupplierCap {
            level: args.cap,
            blocs: vec![args.bloc.clone()],
            stages: Vec::new(),
            materials: Vec::new(),
        },
    };
    with.raw.supplier_cap = Some(cap);
    let with_model = compile(&with)?;
    // Watch the same links without the cap, to see how often the sourcing mix breaches it.
    let mut without_model = without_model;
    without_model.cap_watch = with_model.cap_watch.clone();
    let strategic: Vec<String> = with_model
        .materials
        .iter()
        .filter(|m| m.strategic)
        .map(|m| m.name.clone())
        .collect();
    if strategic.is_empty() {
        return Err(BadArgument(
            "the scenario marks no material `strategic: true`; the cap applies to strategic materials"
                .into(),
        )
        .into());
    }

    let threads = resolve_threads(args.flags.threads)?;
    let cfg = RunConfig {
        seed: args.flags.seed,
        paths: args.paths,
        threads,
        target_se: None,
        max_paths: args.paths,
    };
    let paths = sectioned_paths(args.paths);
    let cancel = cancel_on_ctrl_c();
    let clock = Instant::now();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut runs: Vec<VariantRun> = Vec::new();
    for (label, model) in [
        ("without the cap", &without_model),
        ("with the cap", &with_model),
    ] {
        let bar = crate::progress::bar(paths, args.flags.quiet);
        bar.set_message(label);
        let run = run_variant(model, &cfg, &cancel, |done, _| bar.set_position(done))?;
        bar.finish_and_clear();
        if run.cancelled {
            eprintln!("interrupted; nothing was written");
            return Ok(ExitCode::from(130));
        }
        runs.push(run);
    }
    let elapsed = clock.elapsed().as_secs_f64();
    let (a, b) = (&runs[0], &runs[1]);

    let feasibility: Vec<MaterialFeasibility> = strategic
        .iter()
        .map(|m| {
            let links: Vec<CapOutcome> = with_model
                .cap_report
                .iter()
                .filter(|o| &o.material == m && o.bloc == args.bloc)
                .cloned()
                .collect();
            MaterialFeasibility {
                material: m.clone(),
                feasible: links.iter().all(|l| l.feasible),
                capacity_gap_t_per_year: links.iter().map(|l| l.capacity_gap_t_per_year).sum(),
                links,
            }
        })
        .collect();
    let mut rows = Vec::new();
    let subjects = std::iter::once(None).chain(strategic.iter().map(Some));
    for m in subjects {
        let subject = Subject {
            bloc: args.bloc.clone(),
            material: m.cloned(),
        };
        for stat in STATS {
            let (Some(x), Some(y), Some(d)) = (
                read(&a.summary, &subject, stat),
                read(&b.summary, &subject, stat),
                difference(a, b, &subject, stat),
            ) else {
                continue;
            };
            rows.push(StressRow {
                material: m.cloned().unwrap_or_else(|| "all".into()),
                metric: stat.to_string(),
                without_cap: x.value,
                without_low: x.ci95.low,
                without_high: x.ci95.high,
                with_cap: y.value,
                with_low: y.ci95.low,
                with_high: y.ci95.high,
                difference: d.value,
                difference_low: d.ci95.low,
                difference_high: d.ci95.high,
                significant: d.excludes_zero(),
            });
        }
    }

    let breach: Vec<BreachRow> =
        b.summary
            .cap_breach
            .iter()
            .filter(|w| w.bloc == args.bloc)
            .filter_map(|w| {
                let before =
                    a.summary.cap_breach.iter().find(|x| {
                        x.bloc == w.bloc && x.material == w.material && x.stage == w.stage
                    })?;
                Some(BreachRow {
                    material: w.material.clone(),
                    stage: w.stage.clone(),
                    without_cap_any_month: before.probability_any_month,
                    with_cap_any_month: w.probability_any_month,
                    with_cap_monthly: w.monthly_probability.clone(),
                })
            })
            .collect();
    let name = with_model.name.clone();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::cli::default_out_dir(&name).join("stress-cap"));
    write_atomic(
        &out_dir.join("stress-cap.csv"),
        csv(&name, &rows).as_bytes(),
    )?;
    let file = StressFile {
        scenario: &name,
        scenario_sha256: &base.hash,
        bloc: &args.bloc,
        cap: args.cap,
        seed: args.flags.seed,
        paths_per_variant: paths,
        materials: &feasibility,
        rows: &rows,
        breach: &breach,
        month_labels: &b.summary.month_labels,
        elapsed_seconds: elapsed,
        command: std::env::args().collect(),
    };
    write_atomic(
        &out_dir.join("stress-cap.json"),
        serde_json::to_string_pretty(&file)?.as_bytes(),
    )?;
    // The full paired comparison of every headline metric, with its charts and report page.
    let comparison = crate::experiment::comparison::compare(a, b);
    let side_manifest = |loaded: &crate::scenario::LoadedScenario, model: &crate::model::Model| {
        let mut m = crate::cli::manifest(loaded, model, args.flags.seed, threads, started_at);
        m.paths = paths;
        m.elapsed_seconds = elapsed / 2.0;
        m
    };
    let (manifest_a, manifest_b) = (
        side_manifest(&without, &without_model),
        side_manifest(&with, &with_model),
    );
    let (label_a, label_b) = (
        format!("{name} without the cap"),
        format!("{name} with a {} cap", pct(args.cap)),
    );
    let report = crate::report::comparison::ComparisonReport {
        comparison: &comparison,
        a: crate::report::comparison::Side {
            label: &label_a,
            summary: &a.summary,
            manifest: &manifest_a,
        },
        b: crate::report::comparison::Side {
            label: &label_b,
            summary: &b.summary,
            manifest: &manifest_b,
        },
    };
    crate::report::comparison::write(&report, &out_dir, !args.no_charts)?;
    print!("{}", table(&args, &feasibility, &rows));
    print!("{}", breach_table(&breach));
    if !args.no_charts {
        let meta = ChartMeta {
            scenario: name.clone(),
            paths,
            seed: args.flags.seed,
        };
        write_sweep_chart(
            &breach_chart(&args, &breach, &feasibility, &b.summary.month_labels),
            &meta,
            &out_dir,
        )
        .context("drawing the breach chart")?;
    }
    println!(
        "\n2 variants × {} paths in {:.1} s (same paths: differences are paired, 95% CI by sectioning); wrote {} (stress-cap.csv, stress-cap.json, comparison.csv, comparison.json, charts/, report.html)",
        crate::report::charts::theme::thousands(paths),
        elapsed,
        out_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn csv(scenario: &str, rows: &[StressRow]) -> String {
    let mut out = String::from(
        "scenario,material,metric,without_cap,without_ci95_low,without_ci95_high,with_cap,with_ci95_low,with_ci95_high,difference,difference_ci95_low,difference_ci95_high,significant\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(scenario),
            csv_field(&r.material),
            r.metric,
            num(r.without_cap),
            num(r.without_low),
            num(r.without_high),
            num(r.with_cap),
            num(r.with_low),
            num(r.with_high),
            num(r.difference),
            num(r.difference_low),
            num(r.difference_high),
            r.significant
        );
    }
    out
}

fn table(args: &StressCapArgs, feasibility: &[MaterialFeasibility], rows: &[StressRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} with a {} single-supplier cap on strategic materials (worst-year shortfall, % of demand)\n",
        args.bloc,
        pct(args.cap)
    );
    let _ = writeln!(
        out,
        "{:<14} {:<10} {:>16} {:>16} {:>26}  cap feasible? (gap t/yr)",
        "material", "metric", "without cap", "with cap", "difference [95% CI]"
    );
    for r in rows
        .iter()
        .filter(|r| r.metric == "P95" || r.metric == "P(>10%)")
    {
        let feas = feasibility
            .iter()
            .find(|f| f.material == r.material)
            .map_or(String::new(), |f| {
                if f.links.is_empty() {
                    "already under the cap".into()
                } else if f.feasible {
                    "yes".into()
                } else {
                    format!(
                        "NO (gap {})",
                        crate::report::format::tonnes(f.capacity_gap_t_per_year)
                    )
                }
            });
        let _ = writeln!(
            out,
            "{:<14} {:<10} {:>16} {:>16} {:>26}  {}",
            r.material,
            r.metric,
            pct(r.without_cap),
            pct(r.with_cap),
            format!(
                "{:+.1} [{:+.1}, {:+.1}] pp{}",
                100.0 * r.difference,
                100.0 * r.difference_low,
                100.0 * r.difference_high,
                if r.significant { "" } else { " ~0" }
            ),
            if r.metric == "P95" {
                feas
            } else {
                String::new()
            }
        );
    }
    out
}

fn breach_table(rows: &[BreachRow]) -> String {
    let mut out = String::from(
        "\nP(one third country supplies more than the cap of what the bloc receives, in some month)\n",
    );
    let _ = writeln!(
        out,
        "{:<14} {:<14} {:>12} {:>12} {:>22}",
        "material", "stage", "without cap", "with cap", "with cap, worst month"
    );
    for r in rows {
        let worst = r.with_cap_monthly.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            out,
            "{:<14} {:<14} {:>12} {:>12} {:>22}",
            r.material,
            r.stage,
            pct(r.without_cap_any_month.p),
            pct(r.with_cap_any_month.p),
            pct(worst)
        );
    }
    out
}

/// Monthly breach probability with the cap, one line per capped link that is ever breached.
fn breach_chart(
    args: &StressCapArgs,
    rows: &[BreachRow],
    feasibility: &[MaterialFeasibility],
    months: &[String],
) -> SweepChart {
    let infeasible: Vec<&str> = feasibility
        .iter()
        .filter(|f| !f.feasible)
        .map(|f| f.material.as_str())
        .collect();
    let mut lines: Vec<SweepLine> = rows
        .iter()
        .filter(|r| r.with_cap_monthly.iter().any(|&p| p > 0.0))
        .map(|r| SweepLine {
            label: format!("{} · {}", r.material, r.stage),
            points: r
                .with_cap_monthly
                .iter()
                .enumerate()
                .map(|(t, &p)| (t as f64, p, p, p))
                .collect(),
        })
        .collect();
    lines.sort_by(|x, y| {
        let peak = |l: &SweepLine| l.points.iter().map(|p| p.1).fold(0.0, f64::max);
        peak(y).total_cmp(&peak(x)).then(x.label.cmp(&y.label))
    });
    lines.truncate(8);
    SweepChart {
        stem: "cap-breach".into(),
        title: format!(
            "{}: how often is the {} cap breached once disruptions reroute supply?",
            args.bloc,
            pct(args.cap)
        ),
        subtitle: vec![format!(
            "Share of paths in which one third country supplies more than {} of what the {} receives at a capped stage (recycling included), by month. \
             Sourcing is rebalanced to the cap in calm months; a disruption that cuts other suppliers, or rerouted spare from the dominant one, pushes it over. The eight links most often breached.{}",
            pct(args.cap),
            args.bloc,
            if infeasible.is_empty() {
                String::new()
            } else {
                format!(" Where the cap cannot be met ({}), it is breached in calm months too.", infeasible.join(", "))
            }
        )],
        x_label: "month".into(),
        x_is_share: false,
        x_labels: months.to_vec(),
        y_label: "P(cap breached), % of paths".into(),
        y_is_probability: true,
        lines,
        goal_bound: None,
        goal_answer: None,
    }
}
