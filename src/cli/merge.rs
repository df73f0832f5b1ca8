//! `shortfall merge SHARD... --out DIR`: check that shard files make one run, fold their chunk
//! accumulators in path order (the runner's own fold, so the result is bit-identical) and write
//! what `shortfall run` would have written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::common::{bad, begin_output, default_out_dir, load_model, manifest, print, Result};
use super::experiment_shard;
use super::shard_file::ShardFile;
use crate::model::check::check_report;
use crate::model::Model;
use crate::report::{self, charts::ChartMeta, run::RunOutput};
use crate::scenario::LoadedScenario;
use crate::sim;
use crate::stats::{self, shard, RunAccumulator};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard files written by `shortfall run|sweep|sensitivity --shard I/N`, all N of them, in
    /// any order.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Output folder (default: where the unsharded command writes); it must not hold another run.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the PNG and SVG charts.
    #[arg(long)]
    pub no_charts: bool,
}

pub fn merge(args: MergeArgs) -> Result<ExitCode> {
    let mut files = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        files.push(ShardFile::open(path)?);
    }
    let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    let headers: Vec<shard::ShardHeader> = files.iter().map(|f| f.header.clone()).collect();
    let order = shard::check_set(&names, &headers).map_err(|e| bad(e.to_string()))?;
    let h0 = &headers[0];
    if h0.program_version != env!("CARGO_PKG_VERSION") {
        return Err(bad(format!(
            "{}: simulated by shortfall {}, this is {}; merge with the program that ran the shards",
            names[0],
            h0.program_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    if h0.experiment.is_some() {
        return merge_experiment(&args, files, &headers, &order, &names);
    }
    let (loaded, model) = load_scenario_of(h0, &names[0])?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name, &[]));
    if out_dir.join("manifest.json").exists() {
        return Err(bad(format!(
            "{} holds another run (manifest.json); merge into a new folder or remove it",
            out_dir.display()
        )));
    }
    let output = begin_output(&out_dir)?;
    let layout = sim::build_plan(&model).layout;
    let mut merger = shard::Merger::new(&layout).map_err(|e| anyhow::anyhow!(e))?;
    let mut slots: Vec<Option<ShardFile>> = files.into_iter().map(Some).collect();
    for i in order {
        let Some(file) = slots[i].take() else {
            continue;
        };
        let path = file.path.clone();
        let body = file.body()?;
        if body.layout != layout {
            return Err(bad(format!(
                "{}: its accumulators are laid out for another model than {} compiles to",
                path.display(),
                model.name
            )));
        }
        merger
            .add(&body)
            .map_err(|e| bad(format!("{}: {e}", path.display())))?;
    }
    let acc = merger.finish().map_err(|e| anyhow::anyhow!(e))?;
    write_outputs(&args, &loaded, &model, &headers, &acc, output, &out_dir)
}

/// Load the scenario the shards ran: their `scenario_spec` from here, else from the folder
/// `run` was started in; its texts must hash as the shards say.
fn load_scenario_of(h: &shard::ShardHeader, file: &str) -> Result<(LoadedScenario, Model)> {
    let spec = scenario_spec_of(h);
    let (loaded, model) = load_model(Some(&spec))?;
    if loaded.hash != h.scenario_sha256 {
        return Err(bad(format!(
            "{file}: ran scenario {spec} with SHA-256 {}, but it now hashes to {}: the scenario changed since the shards ran",
            h.scenario_sha256, loaded.hash
        )));
    }
    Ok((loaded, model))
}

/// The scenario argument the shards ran, as the merge can load it: from here, else from the
/// folder `run` was started in.
fn scenario_spec_of(h: &shard::ShardHeader) -> String {
    let spec = &h.scenario_spec;
    let there = Path::new(&h.working_dir).join(spec);
    if spec.starts_with("builtin:") || Path::new(spec).exists() || !there.exists() {
        spec.clone()
    } else {
        there.display().to_string()
    }
}

/// Shards of `sweep` or `sensitivity`: every variant's run rebuilt, then the experiment's own
/// code writes its files from them (docs/scale-out.md says what differs: elapsed time).
fn merge_experiment(
    args: &MergeArgs,
    files: Vec<ShardFile>,
    headers: &[shard::ShardHeader],
    order: &[usize],
    names: &[String],
) -> Result<ExitCode> {
    let h0 = &headers[0];
    let spec = h0.experiment.as_ref().expect("checked by the caller");
    load_scenario_of(h0, &names[0])?;
    let scenario = Some(scenario_spec_of(h0));
    let unparsable = |e: clap::Error| {
        bad(format!(
            "{}: its {} arguments `{}` do not parse: {}",
            names[0],
            spec.command,
            spec.args.join(" "),
            e.kind()
        ))
    };
    if let Some(out) = &args.out {
        for held in ["manifest.json", "sweep.json", "sensitivity.json"] {
            if out.join(held).exists() {
                return Err(bad(format!(
                    "{} holds another run ({held}); merge into a new folder or remove it",
                    out.display()
                )));
            }
        }
    }
    let elapsed: f64 = headers.iter().map(|h| h.elapsed_seconds).sum();
    match spec.command.as_str() {
        "sweep" => {
            let mut a = super::sweep::parse_canonical(&spec.args).map_err(unparsable)?;
            (a.scenario, a.out, a.no_charts) = (scenario, args.out.clone(), args.no_charts);
            a.flags.quiet = true;
            let runs = experiment_shard::merged_runs(files, order)?;
            super::sweep::merge(a, runs, elapsed)
        }
        "sensitivity" => {
            let mut a = super::sensitivity::parse_canonical(&spec.args).map_err(unparsable)?;
            (a.scenario, a.out) = (scenario, args.out.clone());
            a.flags.quiet = true;
            let runs = experiment_shard::merged_runs(files, order)?;
            super::sensitivity::merge(a, runs, elapsed)
        }
        other => Err(bad(format!(
            "{}: shards of `{other}`, which this program cannot merge",
            names[0]
        ))),
    }
}

/// The files of `run`, from the merged accumulator. The manifest's run-specific fields say
/// what the shards did: threads of the first shard, the earliest start, the summed
/// simulation time (docs/scale-out.md).
fn write_outputs(
    args: &MergeArgs,
    loaded: &LoadedScenario,
    model: &Model,
    headers: &[shard::ShardHeader],
    acc: &RunAccumulator,
    output: report::atomic::OutputSet,
    out_dir: &Path,
) -> Result<ExitCode> {
    let h0 = &headers[0];
    let layout = sim::build_plan(model).layout;
    let summary = stats::finish(&layout, acc);
    let started_at = headers.iter().map(|h| h.started_at_unix).min().unwrap_or(0);
    let elapsed: f64 = headers.iter().map(|h| h.elapsed_seconds).sum();
    let mut manifest = report::manifest::Manifest {
        paths: acc.paths,
        headline_se: sim::runner::headline_se(model, acc),
        elapsed_seconds: elapsed,
        ..manifest(loaded, model, h0.seed, h0.threads, started_at)
    };
    let blocs = model.blocs.iter().map(|b| b.name.as_str());
    let headline_bloc = report::headline_bloc(blocs).unwrap_or_default();
    let run = RunOutput {
        out_dir: output.dir(),
        summary: &summary,
        check: &check_report(model, None),
        headline_bloc,
        charts: (!args.no_charts).then(|| ChartMeta {
            scenario: model.name.clone(),
            paths: acc.paths,
            seed: h0.seed,
            data: crate::report::charts::data_vintage(&model.sources),
        }),
    };
    report::run::write(&run, &mut manifest)?;
    output.commit()?;
    let headline = report::terminal::headline(&summary, &model.name, headline_bloc, elapsed);
    let closing = report::run::closing_lines(&manifest, out_dir, !args.no_charts);
    print(&format!(
        "merged {} shards of {} paths\n{headline}{closing}",
        headers.len(),
        acc.paths
    ))?;
    Ok(ExitCode::SUCCESS)
}
