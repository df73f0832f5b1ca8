//! `shortfall stress-cap`: arguments → `experiment::stress_cap` (the scenario without and with
//! the cap, on the same paths) → `report::stress_cap` and `report::comparison` files, tables
//! and charts.

use std::path::PathBuf;
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
use crate::report::charts::{theme::thousands, write_sweep_chart, ChartMeta};
use crate::report::comparison::{ComparisonReport, Side};
use crate::report::format::pct;
use crate::report::{self, atomic::write_atomic};
use crate::scenario::diagnostic::unknown_name_hint;

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
    /// Paths per variant (rounded up to whole sections of 2,048).
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

    check_sectioned_paths(args.paths)?;
    let threads = threads(args.flags.threads)?;
    check_memory(&with_model, threads, args.flags.memory_limit)?;
    let name = with_model.name.clone();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&name, &args));
    let output = begin_output(&out_dir)?;
    let staging = output.dir();
    let cfg = variant_config(&args.flags, args.paths, threads);
    let paths = sectioned_paths(args.paths);
    let cancel = cancel_on_ctrl_c();
    let clock = Instant::now();
    let started_at = now_unix();
    let mut runs: Vec<VariantRun> = Vec::new();
    // The cap moves the watched links of every strategic material, so keeping the first run's
    // records would cost memory and save little: both runs are solved whole.
    let mut runner = reuse::Runner::solving_all();
    for (label, model) in [
        ("without the cap", &without_model),
        ("with the cap", &with_model),
    ] {
        let bar = progress::bar(paths, args.flags.quiet);
        bar.set_message(label);
        let run = runner.run(model, &cfg, &cancel, |done, _| bar.set_position(done))?;
        bar.finish_and_clear();
        if run.cancelled {
            eprintln!("interrupted; nothing was written");
            return Ok(ExitCode::from(130));
        }
        runs.push(run);
    }
    let elapsed = clock.elapsed().as_secs_f64();
    let (a, b) = (&runs[0], &runs[1]);
    let mut result = stress_cap::analyse(&args.bloc, args.cap, (&without_model, &with_model), a, b);
    result.binds = match args.phase_in_months {
        0 => format!("from {}", args.binds_from),
        p => format!("phased in over {p} months from {}", args.binds_from),
    };
    let online = compliance::drawn_arrivals(&with_model, args.flags.seed, paths);
    result.set_compliance(compliance::compliance(
        &with_model,
        &args.bloc,
        binding,
        &online,
    ));
    let labels = &b.summary.month_labels;

    write_atomic(
        &staging.join("stress-cap.csv"),
        report::stress_cap::csv(&name, &result.rows).as_bytes(),
    )?;
    write_atomic(
        &staging.join("stress-cap-materials.csv"),
        report::cap_summary::csv(&name, &result, labels).as_bytes(),
    )?;
    let info = report::stress_cap::RunInfo {
        scenario: &name,
        scenario_sha256: &base.hash,
        seed: args.flags.seed,
        paths_per_variant: paths,
        month_labels: &b.summary.month_labels,
        elapsed_seconds: elapsed,
    };
    write_atomic(
        &staging.join("stress-cap.json"),
        report::stress_cap::json(&result, &info)?.as_bytes(),
    )?;
    // The full paired comparison of every headline metric, with its charts and report page.
    let comparison = comparison::compare(a, b);
    let side_manifest = |loaded, model| {
        let mut m = manifest(loaded, model, args.flags.seed, threads, started_at);
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
    let inputs_changed: Vec<String> = crate::scenario::diff::diff(&without.raw, &with.raw)
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
    let lead = report::cap_summary::html(&result, labels);
    report::comparison::write_led(&comparison_report, staging, !args.no_charts, Some(&lead))?;
    if !args.no_charts {
        let meta = ChartMeta {
            scenario: name.clone(),
            paths,
            seed: args.flags.seed,
            data: report::charts::data_vintage(&with_model.sources),
        };
        let chart = report::stress_cap::breach_chart(&result, &b.summary.month_labels);
        write_sweep_chart(&chart, &meta, staging).context("drawing the breach chart")?;
    }
    output.commit()?;
    let text = || {
        format!(
            "{}{}{}{}\n2 variants × {} paths in {:.1} s (same paths: differences are paired, 95% CI by sectioning); wrote {} (stress-cap.csv, stress-cap-materials.csv, stress-cap.json, comparison.csv, comparison.json, summary-a.json, summary-b.json, manifest.json, charts/, report.html)\n",
            report::stress_cap::table(&result),
            report::stress_cap::breach_table(&result.breach),
            report::compliance::table(&result.compliance, binding, labels),
            report::cap_summary::table(&result, labels),
            thousands(paths),
            elapsed,
            out_dir.display()
        )
    };
    print_result(args.flags.format, text, &out_dir, "stress-cap.json")?;
    Ok(ExitCode::SUCCESS)
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
