//! `shortfall stress-cap`: arguments → `experiment::stress_cap` (the scenario without and with
//! the cap, on the same paths) → `report::stress_cap` and `report::comparison` files, tables
//! and charts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::common::{
    bad, begin_output, cancel_on_ctrl_c, check_memory, check_sectioned_paths, default_out_dir,
    load_scenario, manifest, now_unix, parse_share, print_result, threads, variant_config,
    ExperimentFlags, Result,
};
use super::progress;
use crate::experiment::compliance::{self, Binding};
use crate::experiment::{comparison, reuse, sectioned_paths, stress_cap, VariantRun};
use crate::model::Model;
use crate::report::charts::{theme::thousands, write_sweep_chart, ChartMeta};
use crate::report::comparison::{ComparisonReport, Side};
use crate::report::format::pct;
use crate::report::{self, atomic::write_atomic};
use crate::scenario::diagnostic::unknown_name_hint;
use crate::scenario::LoadedScenario;

/// 20 sections of 2,048 paths: paired intervals on 19 degrees of freedom.
pub(super) const DEFAULT_STRESS_PATHS: u64 = 40_960;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # the EU with the CRMA's 65% single-supplier cap, against the baseline on the same paths\n  \
    shortfall stress-cap\n\n  \
    # a stricter 50% cap\n  \
    shortfall stress-cap --cap 50%")]
pub(crate) struct StressCapArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    /// Cap level: the largest share of the bloc's consumption one third country may supply
    /// (0.65 = the CRMA benchmark; `65%` also works).
    #[arg(long, default_value = "0.65", value_parser = parse_share, value_name = "SHARE")]
    pub cap: f64,
    /// Bloc that applies the cap (if the scenario sets no cap of its own).
    #[arg(long, default_value = "EU")]
    pub bloc: String,
    /// Paths per variant, rounded up to whole sections of 2,048 (at least 8 sections: 16,384).
    #[arg(long, default_value_t = DEFAULT_STRESS_PATHS, value_name = "N")]
    pub paths: u64,
    #[command(flatten)]
    pub flags: ExperimentFlags,
    /// Output folder (default: `output/<scenario>+stress-cap`, then `+<bloc>-<cap>pct` for
    /// another bloc or cap than EU at 65%).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// First month the cap binds, `YYYY-MM` (the CRMA benchmark year: 2030-01).
    #[arg(long, default_value = "2030-01", value_name = "YYYY-MM")]
    pub binds_from: String,
    /// Months of linear phase-in from `--binds-from` to the full cap (0: at once).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub phase_in_months: u32,
    /// Skip the PNG and SVG charts.
    #[arg(long)]
    pub no_charts: bool,
}

pub(super) fn stress_cap(args: StressCapArgs) -> Result<ExitCode> {
    let sides = load_sides(&args)?;
    check_sectioned_paths(args.paths)?;
    let threads = threads(args.flags.threads)?;
    check_memory(&sides.with_model, threads, args.flags.memory_limit)?;
    let name = sides.with_model.name.clone();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&name, &args));
    let output = begin_output(&out_dir)?;
    let started_at = now_unix();
    let clock = Instant::now();
    let paths = sectioned_paths(args.paths);
    let Some(runs) = run_variants(&args, &sides, threads)? else {
        eprintln!("interrupted; nothing was written");
        return Ok(ExitCode::from(130));
    };
    let ran = Ran {
        runs,
        paths,
        threads,
        started_at,
        elapsed: clock.elapsed().as_secs_f64(),
    };
    let result = summarise(&args, &sides, &ran);
    let staging = output.dir();
    write_stress_files(&args, &sides, &ran, &result, staging)?;
    write_comparison(&args, &sides, &ran, &result, staging)?;
    if !args.no_charts {
        write_breach_chart(&args, &sides, &ran, &result, staging)?;
    }
    output.commit()?;
    let labels = &ran.runs[1].summary.month_labels;
    let text = || {
        format!(
            "{}{}{}{}\n2 variants × {} paths in {:.1} s (same paths: differences are paired, 95% CI by sectioning); wrote {} (stress-cap.csv, stress-cap-materials.csv, stress-cap.json, comparison.csv, comparison.json, summary-a.json, summary-b.json, manifest.json, charts/, report.html)\n",
            report::stress_cap::table(&result),
            report::stress_cap::breach_table(&result.breach),
            report::compliance::table(&result.compliance, sides.binding, labels),
            report::cap_summary::table(&result, labels),
            thousands(paths),
            ran.elapsed,
            out_dir.display()
        )
    };
    print_result(args.flags.format, text, &out_dir, "stress-cap.json")?;
    Ok(ExitCode::SUCCESS)
}

/// The scenario as loaded, and without and with the cap, compiled and checked.
struct Sides {
    base: LoadedScenario,
    without: LoadedScenario,
    without_model: Model,
    with: LoadedScenario,
    with_model: Model,
    binding: Binding,
}

/// Load the scenario and make its two sides: no cap, and the cap of `args` (the `without` model
/// watching the capped links); bad `--bloc`, `--binds-from` or a scenario without strategic
/// materials exit 2.
fn load_sides(args: &StressCapArgs) -> Result<Sides> {
    let base = load_scenario(args.scenario.as_deref())?;
    let (without, mut without_model) = stress_cap::without_cap(&base)?;
    if !without_model.blocs.iter().any(|b| b.name == args.bloc) {
        let names = without_model.blocs.iter().map(|b| b.name.as_str());
        return Err(bad(format!(
            "--bloc: {}",
            unknown_name_hint(&args.bloc, "bloc", names)
        )));
    }
    let binding = binding(&args.binds_from, args.phase_in_months, without_model.start)?;
    let (with, with_model) = stress_cap::with_cap(
        &base,
        args.cap,
        &args.bloc,
        (&args.binds_from, args.phase_in_months),
        &mut without_model,
    )?;
    if stress_cap::strategic(&with_model).is_empty() {
        return Err(bad(
            "the scenario marks no material `strategic: true`; the cap applies to strategic materials",
        ));
    }
    Ok(Sides {
        base,
        without,
        without_model,
        with,
        with_model,
        binding,
    })
}

/// The two runs on the same paths, and how they ran.
struct Ran {
    /// Without the cap, then with it.
    runs: Vec<VariantRun>,
    paths: u64,
    threads: usize,
    started_at: u64,
    elapsed: f64,
}

/// Simulate without and then with the cap on the same paths; `None` when interrupted.
fn run_variants(
    args: &StressCapArgs,
    sides: &Sides,
    threads: usize,
) -> Result<Option<Vec<VariantRun>>> {
    let cfg = variant_config(&args.flags, args.paths, threads);
    let paths = sectioned_paths(args.paths);
    let cancel = cancel_on_ctrl_c();
    let mut runs: Vec<VariantRun> = Vec::new();
    // The cap moves the watched links of every strategic material, so keeping the first run's
    // records would cost memory and save little: both runs are solved whole.
    let mut runner = reuse::Runner::solving_all();
    for (label, model) in [
        ("without the cap", &sides.without_model),
        ("with the cap", &sides.with_model),
    ] {
        let bar = progress::bar(paths, args.flags.quiet);
        bar.set_message(label);
        let run = runner.run(model, &cfg, &cancel, |done, _| bar.set_position(done))?;
        bar.finish_and_clear();
        if run.cancelled {
            return Ok(None);
        }
        runs.push(run);
    }
    Ok(Some(runs))
}

/// The stress test from the two runs: feasibility, paired rows, breaches, when the cap binds and
/// the cap over time on the arrivals the kernel drew.
fn summarise(args: &StressCapArgs, sides: &Sides, ran: &Ran) -> stress_cap::StressCap {
    let (a, b) = (&ran.runs[0], &ran.runs[1]);
    let models = (&sides.without_model, &sides.with_model);
    let mut result = stress_cap::analyse(&args.bloc, args.cap, models, a, b);
    result.binds = match args.phase_in_months {
        0 => format!("from {}", args.binds_from),
        p => format!("phased in over {p} months from {}", args.binds_from),
    };
    let online = compliance::drawn_arrivals(&sides.with_model, args.flags.seed, ran.paths);
    result.set_compliance(compliance::compliance(
        &sides.with_model,
        &args.bloc,
        sides.binding,
        &online,
    ));
    result
}

/// stress-cap.csv, stress-cap-materials.csv and stress-cap.json into `staging`.
fn write_stress_files(
    args: &StressCapArgs,
    sides: &Sides,
    ran: &Ran,
    result: &stress_cap::StressCap,
    staging: &Path,
) -> Result<()> {
    let name = &sides.with_model.name;
    let labels = &ran.runs[1].summary.month_labels;
    write_atomic(
        &staging.join("stress-cap.csv"),
        report::stress_cap::csv(name, &result.rows).as_bytes(),
    )?;
    write_atomic(
        &staging.join("stress-cap-materials.csv"),
        report::cap_summary::csv(name, result, labels).as_bytes(),
    )?;
    let info = report::stress_cap::RunInfo {
        scenario: name,
        scenario_sha256: &sides.base.hash,
        seed: args.flags.seed,
        paths_per_variant: ran.paths,
        month_labels: labels,
        elapsed_seconds: ran.elapsed,
    };
    write_atomic(
        &staging.join("stress-cap.json"),
        report::stress_cap::json(result, &info)?.as_bytes(),
    )?;
    Ok(())
}

/// The full paired comparison of every headline metric, with its charts and report page, led by
/// the stress test's summary.
fn write_comparison(
    args: &StressCapArgs,
    sides: &Sides,
    ran: &Ran,
    result: &stress_cap::StressCap,
    staging: &Path,
) -> Result<()> {
    let (a, b) = (&ran.runs[0], &ran.runs[1]);
    let name = &sides.with_model.name;
    let comparison = comparison::compare(a, b);
    let side_manifest = |loaded, model| {
        let mut m = manifest(loaded, model, args.flags.seed, ran.threads, ran.started_at);
        m.paths = ran.paths;
        m.elapsed_seconds = ran.elapsed / 2.0;
        m
    };
    let (manifest_a, manifest_b) = (
        side_manifest(&sides.without, &sides.without_model),
        side_manifest(&sides.with, &sides.with_model),
    );
    let (label_a, label_b) = (
        format!("{name} without the cap"),
        format!("{name} with a {} cap", pct(args.cap)),
    );
    let inputs_changed: Vec<String> =
        crate::scenario::diff::diff(&sides.without.raw, &sides.with.raw)
            .iter()
            .map(ToString::to_string)
            .collect();
    let comparison_report = ComparisonReport {
        comparison: &comparison,
        a: Side {
            label: &label_a,
            summary: &a.summary,
            manifest: &manifest_a,
        },
        b: Side {
            label: &label_b,
            summary: &b.summary,
            manifest: &manifest_b,
        },
        inputs_changed: &inputs_changed,
    };
    let lead = report::cap_summary::html(result, &b.summary.month_labels);
    report::comparison::write_led(&comparison_report, staging, !args.no_charts, Some(&lead))?;
    Ok(())
}

/// The chart of how often disruptions push each capped link over the cap, into `staging`.
fn write_breach_chart(
    args: &StressCapArgs,
    sides: &Sides,
    ran: &Ran,
    result: &stress_cap::StressCap,
    staging: &Path,
) -> Result<()> {
    let meta = ChartMeta {
        scenario: sides.with_model.name.clone(),
        paths: ran.paths,
        seed: args.flags.seed,
        data: report::charts::data_vintage(&sides.with_model.sources),
    };
    let chart = report::stress_cap::breach_chart(result, &ran.runs[1].summary.month_labels);
    write_sweep_chart(&chart, &meta, staging).context("drawing the breach chart")?;
    Ok(())
}

/// The default output folder: `output/<scenario>+stress-cap`, or for another bloc or level than
/// the CRMA's (EU, 65%) `output/<scenario>+stress-cap+US-50pct`.
fn default_folder(name: &str, args: &StressCapArgs) -> PathBuf {
    if args.bloc == "EU" && (args.cap - 0.65).abs() < 1e-12 {
        return default_out_dir(name, &["stress-cap"]);
    }
    // The level in percent, to four decimals without trailing zeros (0.57 → 57, not 56.99…).
    let level = format!("{:.4}", args.cap * 100.0);
    let level = level.trim_end_matches('0').trim_end_matches('.');
    default_out_dir(name, &["stress-cap", &format!("{}-{level}pct", args.bloc)])
}

/// `--binds-from YYYY-MM` as months from the horizon start `start` (bad input: exit 2).
pub(super) fn binding(month: &str, phase_in_months: u32, start: (i32, u32)) -> Result<Binding> {
    let parsed = month.split_once('-').and_then(|(y, m)| {
        let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
        (y.to_string().len() == 4 && (1..=12).contains(&m)).then_some((y, m))
    });
    let Some((y, m)) = parsed else {
        return Err(bad(format!(
            "--binds-from: found \"{month}\"; expected a month \"YYYY-MM\", e.g. 2030-01"
        )));
    };
    if phase_in_months > 600 {
        return Err(bad(format!(
            "--phase-in-months: found {phase_in_months}; expected months in [0, 600]"
        )));
    }
    Ok(Binding {
        from: i64::from(y - start.0) * 12 + i64::from(m) - i64::from(start.1),
        phase_in_months,
    })
}
