//! `shortfall compare A B`: both scenarios on the same seed and path indices (common random
//! numbers) → paired differences → files and a table. Glue only: the comparison is
//! `experiment::comparison`, its files and table `report::comparison`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use super::common::{
    bad, begin_output, cancel_on_ctrl_c, check_experiment_memory, check_sectioned_paths,
    default_out_dir, load_model, manifest, now_unix, print_result, threads, variant_config,
    ExperimentFlags, Result,
};
use super::progress;
use crate::experiment::comparison::compare as paired;
use crate::experiment::{reuse, sectioned_paths, VariantRun};
use crate::model::Model;
use crate::report::comparison::{ComparisonReport, Side};
use crate::report::headline_bloc;
use crate::report::manifest::Manifest;
use crate::scenario::LoadedScenario;
use crate::sim::RunConfig;
use crate::stats::estimate::Z95;
use crate::stats::metric::{read, Stat, Subject};

/// 20 sections of 2,048 paths: a t interval on 19 degrees of freedom (×2.09, close to the
/// normal's 1.96) and a comparison of eu-2030 in seconds.
pub(super) const DEFAULT_PATHS: u64 = 40_960;

#[derive(Args, Debug)]
#[command(
    about = "Simulate two scenarios on the same random paths and report what changes from A to B",
    long_about = "Simulates scenario A and scenario B with the same seed on the same paths (common random \
                  numbers), so that each difference is the effect of what B changes, not noise. For every \
                  bloc and material in both, and for each bloc as a whole, it reports A, B and the paired \
                  difference B − A of the worst-year shortfall metrics (mean, P(any), P(>5/10/25%), \
                  P50–P99, CVaR95), each with a 95% confidence interval.\n\n\
                  Writes comparison.csv, comparison.json, charts/, report.html and manifest.json to the \
                  output folder.",
    after_help = "Examples:\n  \
                  # the bundled baseline against your variant of it\n  \
                  shortfall compare builtin:eu-2030 eu-cobalt-stock.ron\n\n  \
                  # a tighter comparison (more paths), written to its own folder\n  \
                  shortfall compare no-partnership.ron partnership.ron --paths 204800 --out output/partnership"
)]
pub(crate) struct CompareArgs {
    /// Scenario A, the reference: a RON file or `builtin:eu-2030`.
    pub a: String,
    /// Scenario B, the change (say, A with a stockpile): differences are B − A.
    pub b: String,
    /// Paths per scenario, rounded up to whole sections of 2,048 (at least 8 sections: 16,384).
    #[arg(long, default_value_t = DEFAULT_PATHS, value_name = "N")]
    pub paths: u64,
    #[command(flatten)]
    pub flags: ExperimentFlags,
    /// Output folder (default: `output/<A name>+vs+<B name>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the PNG and SVG charts and report.html.
    #[arg(long)]
    pub no_charts: bool,
}

pub(super) fn compare(args: CompareArgs) -> Result<ExitCode> {
    let (loaded_a, model_a) = load_model(Some(&args.a))?;
    let (loaded_b, model_b) = load_model(Some(&args.b))?;
    check_sectioned_paths(args.paths)?;
    if !model_a
        .blocs
        .iter()
        .any(|a| model_b.blocs.iter().any(|b| a.name == b.name))
    {
        return Err(bad(format!(
            "{} and {} have no bloc in common: nothing to compare",
            args.a, args.b
        )));
    }
    let threads = threads(args.flags.threads)?;
    check_experiment_memory(&model_a, threads, args.flags.memory_limit, true)?;
    check_experiment_memory(&model_b, threads, args.flags.memory_limit, true)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model_a.name, &["vs", &model_b.name]));
    let output = begin_output(&out_dir)?;
    let cfg = variant_config(&args.flags, args.paths, threads);

    let cancel = cancel_on_ctrl_c();
    let per_side = sectioned_paths(args.paths);
    let bar = progress::bar(2 * per_side, args.flags.quiet);
    let mut sides = Vec::with_capacity(2);
    // B re-solves only the materials where it differs from A (same frame and seed).
    let mut runner = reuse::Runner::default();
    for (k, (loaded, model)) in [(&loaded_a, &model_a), (&loaded_b, &model_b)]
        .into_iter()
        .enumerate()
    {
        let started_at = now_unix();
        let clock = Instant::now();
        let offset = k as u64 * per_side;
        let run = runner.run(model, &cfg, &cancel, |done, _| {
            bar.set_position(offset + done)
        })?;
        if run.cancelled {
            bar.finish_and_clear();
            eprintln!(
                "interrupted while simulating {} ({}); nothing was written",
                if k == 0 { "A" } else { "B" },
                model.name
            );
            return Ok(ExitCode::from(130));
        }
        let manifest = side_manifest(loaded, model, &cfg, &run, started_at, clock);
        sides.push((run, manifest));
    }
    bar.finish_and_clear();
    let [(run_a, manifest_a), (run_b, manifest_b)]: [(VariantRun, Manifest); 2] = sides
        .try_into()
        .map_err(|_| anyhow::anyhow!("two runs expected"))?;

    let comparison = paired(&run_a, &run_b);
    // Comparing a scenario with itself (or two files of the same name) must still say which
    // column is which.
    let (label_a, label_b) = if model_a.name == model_b.name {
        (
            format!("{} (A)", model_a.name),
            format!("{} (B)", model_b.name),
        )
    } else {
        (model_a.name.clone(), model_b.name.clone())
    };
    let inputs_changed: Vec<String> = crate::scenario::diff::diff(&loaded_a.raw, &loaded_b.raw)
        .iter()
        .map(ToString::to_string)
        .collect();
    let report = ComparisonReport {
        comparison: &comparison,
        a: Side {
            label: &label_a,
            summary: &run_a.summary,
            manifest: &manifest_a,
        },
        b: Side {
            label: &label_b,
            summary: &run_b.summary,
            manifest: &manifest_b,
        },
        inputs_changed: &inputs_changed,
    };
    let files = crate::report::comparison::write(&report, output.dir(), !args.no_charts)?;
    output.commit()?;
    let text = || {
        format!(
            "{}\nwrote {} ({})\n",
            crate::report::comparison::terminal(&report),
            out_dir.display(),
            files
                .iter()
                .filter(|f| !f.starts_with("charts"))
                .cloned()
                .chain((!args.no_charts).then(|| "charts/".to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    print_result(args.flags.format, text, &out_dir, "comparison.json")?;
    Ok(ExitCode::SUCCESS)
}

/// One side's run manifest, as `run` would write it for the same scenario, seed and paths.
fn side_manifest(
    loaded: &LoadedScenario,
    model: &Model,
    cfg: &RunConfig,
    run: &VariantRun,
    started_at: u64,
    clock: Instant,
) -> Manifest {
    // The headline probability's standard error as `run` reports it: the Wilson half-width / z.
    let bloc = headline_bloc(model.blocs.iter().map(|b| b.name.as_str())).unwrap_or_default();
    let headline = Subject {
        bloc: bloc.to_string(),
        material: None,
    };
    let headline_se = read(&run.summary, &headline, Stat::ProbabilityOver(0.10))
        .map_or(f64::NAN, |r| (r.ci95.high - r.ci95.low) / (2.0 * Z95));
    Manifest {
        paths: run.summary.paths,
        headline_se,
        elapsed_seconds: clock.elapsed().as_secs_f64(),
        ..manifest(loaded, model, cfg.seed, cfg.threads, started_at)
    }
}
