//! `shortfall sensitivity`: arguments → `experiment::sensitivity` → CSV, JSON, tornado chart and
//! a table. Glue only: the method lives in `experiment::sensitivity`, the formats in `report`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::common::{
    bad, begin_output, cancel_on_ctrl_c, check_experiment_memory, default_out_dir, load_model,
    manifest, note_rounded_paths, now_unix, print_result, threads, ExperimentFlags, Result,
};
use super::experiment_shard::{self, take_run, MergedRun};
use super::progress;
use super::shard_file::{parse_shard, ShardSpec};
use crate::experiment::sensitivity::{self, Plan, Settings, DEFAULT_TOP};
use crate::experiment::VariantRun;
use crate::model::Model;
use crate::report::{self, atomic::write_atomic, charts::ChartMeta};
use crate::scenario::diagnostic::unknown_name_hint;
use crate::scenario::LoadedScenario;
use crate::sim::RunConfig;
use crate::stats::metric::{Stat, Subject, STAT_FORMS};
use crate::stats::shard::ExperimentSpec;

/// Paths per variant when `--paths` is not given: ten sections of 2,048, the fewest that give a
/// sectioning interval on 9 degrees of freedom, and a default run of a few minutes.
pub(super) const DEFAULT_PATHS: u64 = 20_480;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # which disruption processes move the EU's P(worst year > 10%) most\n  \
    shortfall sensitivity\n\n  \
    # the P95 worst-year shortfall of EU cobalt, the 5 largest effects\n  \
    shortfall sensitivity --metric P95 --material cobalt --top 5")]
pub(crate) struct SensitivityArgs {
    /// Scenario file (RON); `builtin:eu-2030` or nothing for the bundled EU baseline.
    pub scenario: Option<String>,
    #[arg(long, default_value = "P(>10%)", value_name = "M", value_parser = Stat::parse,
          help = format!("Metric of the worst-year shortfall share whose moves are measured: {STAT_FORMS}"))]
    pub metric: Stat,
    /// Bloc whose shortfall is measured (default: EU, else the scenario's first bloc).
    #[arg(long, value_name = "BLOC")]
    pub bloc: Option<String>,
    /// One material of the bloc (default: the bloc as a whole, i.e. its worst material).
    #[arg(long, value_name = "NAME")]
    pub material: Option<String>,
    /// Paths per variant, rounded up to whole sections of 2,048 (at least 8 sections: 16,384).
    #[arg(long, default_value_t = DEFAULT_PATHS, value_name = "N")]
    pub paths: u64,
    #[command(flatten)]
    pub flags: ExperimentFlags,
    /// Output folder (default: `output/<scenario name>+sensitivity`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How many processes (largest switch-off effect first) also get the low/high frequency runs.
    #[arg(long, default_value_t = DEFAULT_TOP, value_name = "K")]
    pub top: usize,
    /// Simulate only shard I of N (numbered from 0) of the variants × sections and write a
    /// shard file into --out (default `output/<scenario>+sensitivity+shards`); `shortfall
    /// merge` makes them the analysis's files. Shards run low/high for every process with a
    /// frequency range; the merge keeps the --top ones.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
}

/// `SensitivityArgs` again from a shard header's canonical arguments.
pub(super) fn parse_canonical(
    args: &[String],
) -> std::result::Result<SensitivityArgs, clap::Error> {
    #[derive(clap::Parser)]
    struct Again {
        #[command(flatten)]
        args: SensitivityArgs,
    }
    let argv = std::iter::once("sensitivity".to_string()).chain(args.iter().cloned());
    <Again as clap::Parser>::try_parse_from(argv).map(|a| a.args)
}

/// The arguments that decide the results, canonically written (the subject as resolved), for a
/// shard's header; not the scenario, --out, --threads, --quiet or --shard.
fn canonical_args(args: &SensitivityArgs, settings: &Settings) -> Result<Vec<String>> {
    let metric = settings.stat.to_string();
    if Stat::parse(&metric) != Ok(settings.stat) {
        return Err(anyhow::anyhow!("the metric {metric} does not read back as itself").into());
    }
    let mut out = vec![
        format!("--metric={metric}"),
        format!("--bloc={}", settings.subject.bloc),
    ];
    out.extend(
        settings
            .subject
            .material
            .iter()
            .map(|m| format!("--material={m}")),
    );
    out.push(format!("--paths={}", args.paths));
    out.push(format!("--seed={}", args.flags.seed));
    out.push(format!("--top={}", args.top));
    Ok(out)
}

/// Where the variants' runs come from: simulated here, or merged from shards (in the order of
/// `sensitivity::candidates`).
enum Source {
    Simulate,
    Merged {
        runs: Vec<Option<MergedRun>>,
        elapsed: f64,
    },
}

/// `merge` of sensitivity shards: the analysis's own code, with each variant's run taken from
/// `runs`, and the elapsed time the shards' simulation times summed.
pub(super) fn merge(args: SensitivityArgs, runs: Vec<MergedRun>, elapsed: f64) -> Result<ExitCode> {
    let runs = runs.into_iter().map(Some).collect();
    run_from(args, Source::Merged { runs, elapsed })
}

/// `sensitivity --shard I/N`: simulate the shard's part of the candidate variants.
fn shard(
    args: &SensitivityArgs,
    spec: ShardSpec,
    (loaded, model): (&LoadedScenario, &Model),
    plan: &Plan,
    settings: &Settings,
    threads: usize,
) -> Result<ExitCode> {
    let candidates = sensitivity::candidates(loaded, plan);
    let experiment = ExperimentSpec {
        command: "sensitivity".into(),
        args: canonical_args(args, settings)?,
        variants: candidates
            .iter()
            .map(|(c, _)| sensitivity::candidate_label(plan, *c))
            .collect(),
        paths_per_variant: plan.paths,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name, &["sensitivity", "shards"]));
    let job = experiment_shard::Job::new(
        experiment,
        (loaded, model),
        args.scenario.as_deref(),
        &args.flags,
        threads,
        spec,
        out,
    );
    experiment_shard::write(&job, |v| match &candidates[v] {
        (_, Some(compiled)) => Ok(compiled.clone()),
        (c, None) => sensitivity::candidate_model(loaded, plan, *c),
    })
}

pub(super) fn run(args: SensitivityArgs) -> Result<ExitCode> {
    run_from(args, Source::Simulate)
}

fn run_from(args: SensitivityArgs, mut source: Source) -> Result<ExitCode> {
    let (loaded, model) = load_model(args.scenario.as_deref())?;
    const MAX_PATHS: u64 = u32::MAX as u64;
    if args.paths == 0 || args.paths > MAX_PATHS {
        return Err(bad(format!("--paths must be between 1 and {MAX_PATHS}")));
    }
    note_rounded_paths(args.paths);
    if args.top == 0 {
        return Err(bad(
            "--top must be at least 1 (how many processes get the low/high frequency runs)",
        ));
    }
    let threads = threads(args.flags.threads)?;
    // Only a simulation here keeps the base's records; a shard or a merge of shards does not.
    let keeps_records = args.shard.is_none() && matches!(source, Source::Simulate);
    check_experiment_memory(&model, threads, args.flags.memory_limit, keeps_records)?;
    let subject = subject(&model, args.bloc.as_deref(), args.material.as_deref())?;
    let settings = Settings {
        subject,
        stat: args.metric,
        top: args.top,
    };
    let cfg = RunConfig {
        seed: args.flags.seed,
        paths: args.paths,
        threads,
        target_se: None,
        max_paths: args.paths,
    };
    let plan = sensitivity::plan(&loaded, &model, &settings, args.paths)?;
    if let Some(spec) = args.shard {
        return shard(&args, spec, (&loaded, &model), &plan, &settings, threads);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name, &["sensitivity"]));
    let output = begin_output(&out_dir)?;
    let staging = output.dir();

    let cancel = cancel_on_ctrl_c();
    if !args.flags.quiet {
        eprintln!(
            "{}: {} variants of {} paths (base, {} processes switched off, low/high for up to {})",
            model.name,
            plan.variants,
            plan.paths,
            plan.simulated_off(),
            args.top
        );
    }
    let clock = Instant::now();
    let started_at = now_unix();
    let bar = progress::bar(plan.total_paths(), args.flags.quiet);
    let (result, elapsed) = match &mut source {
        Source::Simulate => {
            let result = sensitivity::run(
                &loaded,
                &model,
                &plan,
                &cfg,
                &settings,
                &cancel,
                |done, _| bar.set_position(done),
            )?;
            (result, clock.elapsed().as_secs_f64())
        }
        Source::Merged { runs, elapsed } => {
            // The class variants are the shards' last, in the order `run_using` asks for them
            // (only those that compile, as the shards ran them): counted here rather than
            // compiled again.
            let before = sensitivity::process_candidates(&plan);
            let mut classes_seen = 0;
            let take = |batch: &[(sensitivity::Candidate, &Model)],
                        on_run: &mut dyn FnMut(usize, VariantRun)| {
                for (i, &(c, m)) in batch.iter().enumerate() {
                    let v = match c {
                        sensitivity::Candidate::Class(..) => {
                            classes_seen += 1;
                            before.len() + classes_seen - 1
                        }
                        _ => before.iter().position(|x| *x == c).unwrap_or(usize::MAX),
                    };
                    let label = sensitivity::candidate_label(&plan, c);
                    on_run(i, take_run(runs, v, &label, m)?);
                }
                Ok(true)
            };
            let result = sensitivity::run_using(&loaded, &model, &plan, &settings, cfg.seed, take)?;
            (result, *elapsed)
        }
    };
    bar.finish_and_clear();
    let Some(result) = result else {
        eprintln!("interrupted; nothing was written");
        return Ok(ExitCode::from(130));
    };

    write_atomic(
        &staging.join("sensitivity.csv"),
        report::sensitivity::csv(&result).as_bytes(),
    )?;
    write_atomic(
        &staging.join("sensitivity.json"),
        serde_json::to_string_pretty(&result)
            .context("serialising the sensitivity results")?
            .as_bytes(),
    )?;
    let meta = ChartMeta {
        scenario: model.name.clone(),
        paths: result.paths,
        seed: result.seed,
        data: report::charts::data_vintage(&model.sources),
    };
    report::charts::write_tornado(&result, &meta, staging).context("drawing the tornado chart")?;
    let mut manifest = manifest(&loaded, &model, result.seed, threads, started_at);
    manifest.paths = result.paths;
    manifest.elapsed_seconds = elapsed;
    manifest.files = [
        "sensitivity.csv",
        "sensitivity.json",
        "charts/tornado.png",
        "charts/tornado.svg",
        "manifest.json",
        "report.html",
    ]
    .map(String::from)
    .to_vec();
    write_atomic(
        &staging.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    report::sensitivity_html::write(
        staging,
        &result,
        &model.sources,
        &std::env::args().collect::<Vec<_>>(),
    )?;
    output.commit()?;

    let text = || {
        format!(
            "{}\nwrote {} (sensitivity.csv, sensitivity.json, manifest.json, report.html, charts/tornado.png, charts/tornado.svg)\n",
            report::sensitivity::table(&result, elapsed),
            out_dir.display()
        )
    };
    print_result(args.flags.format, text, &out_dir, "sensitivity.json")?;
    Ok(ExitCode::SUCCESS)
}

/// The bloc and material named on the command line, checked against the scenario (exit 2 with
/// a suggestion when misspelt).
fn subject(model: &Model, bloc: Option<&str>, material: Option<&str>) -> Result<Subject> {
    let blocs: Vec<&str> = model.blocs.iter().map(|b| b.name.as_str()).collect();
    let b = match bloc {
        None => {
            let headline = report::headline_bloc(blocs.iter().copied()).unwrap_or_default();
            blocs.iter().position(|b| *b == headline).unwrap_or(0)
        }
        Some(name) => blocs.iter().position(|b| *b == name).ok_or_else(|| {
            bad(format!(
                "--bloc: {}",
                unknown_name_hint(name, "bloc", blocs.iter().copied())
            ))
        })?,
    };
    let Some(name) = material else {
        return Ok(Subject {
            bloc: blocs[b].to_string(),
            material: None,
        });
    };
    let consumed: Vec<&str> = model
        .materials
        .iter()
        .enumerate()
        .filter(|(m, _)| model.cells[b][*m].is_some())
        .map(|(_, x)| x.name.as_str())
        .collect();
    if !consumed.contains(&name) {
        let known = model.materials.iter().any(|x| x.name == name);
        let msg = if known {
            format!(
                "--material: {} has no demand for `{name}`; it consumes {}",
                blocs[b],
                consumed.join(", ")
            )
        } else {
            format!(
                "--material: {}",
                unknown_name_hint(name, "material", consumed.iter().copied())
            )
        };
        return Err(bad(msg));
    }
    Ok(Subject {
        bloc: blocs[b].to_string(),
        material: Some(name.to_string()),
    })
}
