//! `shortfall init`: write a commented starting scenario that builds on a baseline through
//! `extends`, so an analyst's first file is a few lines of changes that `check` accepts, not a
//! copy of 1,700 lines of data.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::common::{bad, load_model, print, Result};
use crate::scenario::guard::check_scenario_name;
use crate::scenario::DEFAULT_SCENARIO;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    # a scenario on top of the bundled EU baseline, then check and simulate it\n  \
    shortfall init my.ron\n  \
    shortfall check my.ron\n  \
    shortfall run my.ron\n\n  \
    # a scenario on top of another of yours\n  \
    shortfall init --from scenarios/eu-cap-65.ron cap-and-stockpile.ron")]
pub(crate) struct InitArgs {
    /// The file to write (refused if it exists); its name without `.ron` becomes the scenario name.
    pub file: PathBuf,
    /// The scenario the new one extends: `builtin:eu-2030` or the path of a scenario file.
    #[arg(long, value_name = "SCENARIO", default_value = DEFAULT_SCENARIO)]
    pub from: String,
}

/// One commented-out change the starting file offers, with why an analyst would make it.
/// `ron` is top-level fields exactly as they would be written, so a test can uncomment them all.
pub(super) struct Example {
    pub why: &'static str,
    pub ron: &'static str,
}

/// The changes offered in the starting file, for the bundled EU baseline's names. Each is valid
/// on its own and together (tests/cli.rs uncomments them all and checks the result).
pub(super) const EXAMPLES: &[Example] = &[
    Example {
        why: "An EU gallium stockpile of 3 months of demand, released when the EU is short by 5% or more",
        ron: r#"blocs: {
    "EU": (
        stockpiles: {
            "gallium": (initial_months: 3.0, target_months: 3.0, max_release_share: 0.5, release_threshold_share: 0.05, refill_months: 24.0),
        },
    ),
},"#,
    },
    Example {
        why: "The CRMA benchmark: no third country supplies more than 65% of the EU's use of a strategic material",
        ron: r#"supplier_cap: (level: 0.65, blocs: ["EU"]),"#,
    },
    Example {
        why: "Switch off an inherited disruption process (its name as `shortfall check` lists it)",
        ron: r#"remove_disruptions: ["drc-cobalt-export-ban"],"#,
    },
    Example {
        why: "A new disruption process. Writing an inherited process's name here replaces it whole: fields left out take their defaults (e.g. tension_sensitivity 1.0), not the baseline's values",
        ron: r#"disruptions: [
    (
        name: "chile-lithium-nationalisation",
        kind: Nationalisation,
        countries: ["Chile"],
        materials: ["lithium"],
        annual_probability: Uniform(min: 0.01, max: 0.05),
        duration_months: LogNormal(median: 12, sigma: 0.7),
        severity: Uniform(min: 0.1, max: 0.4),
        tension_sensitivity: 0.5,
        note: "assumption: state control of lithium contracts (state why, and from which record)",
    ),
],"#,
    },
];

pub(super) fn init(args: InitArgs) -> Result<ExitCode> {
    // The base must load and compile: a starting file on a broken base would not check.
    load_model(Some(&args.from))?;
    let name = scenario_name(&args.file)?;
    let extends = extends_spec(&args.from, &args.file)?;
    let text = starting_text(&name, &extends, &args.from, &args.file);
    write_new(&args.file, &text)?;
    print(&format!(
        "wrote {} (scenario \"{name}\", extends {extends})\nnext: shortfall check {0}\n      shortfall run {0}\n",
        args.file.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// The file stem, which must be a valid scenario name since it names the output folder.
fn scenario_name(file: &Path) -> Result<String> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    check_scenario_name(&stem).map_err(|why| {
        bad(format!(
            "cannot name a scenario after {}: {why}",
            file.display()
        ))
    })?;
    Ok(stem)
}

/// What the new file's `extends` says: a builtin as it is, a file relative to the new file's
/// folder (the loader resolves `extends` from the extending file, not the working directory).
fn extends_spec(from: &str, file: &Path) -> Result<String> {
    if from.starts_with("builtin:") {
        return Ok(from.to_string());
    }
    let base = std::fs::canonicalize(from)
        .with_context(|| format!("resolving --from {from}"))
        .map_err(super::common::Error::Failed)?;
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = std::fs::canonicalize(dir.unwrap_or(Path::new("."))).map_err(|e| {
        bad(format!(
            "the folder of {} does not exist: {e}",
            file.display()
        ))
    })?;
    let relative = relative_path(&base, &dir);
    relative
        .to_str()
        .map(|s| s.replace('\\', "/"))
        .ok_or_else(|| bad(format!("{} is not valid UTF-8", base.display())))
}

/// `target` written relative to the folder `from_dir` (both absolute, canonical).
fn relative_path(target: &Path, from_dir: &Path) -> PathBuf {
    let t: Vec<Component> = target.components().collect();
    let d: Vec<Component> = from_dir.components().collect();
    let common = t.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// The starting file: what it is, how to check it, the `extends` rule, and the examples
/// commented out. The examples name the bundled baseline's blocs, materials and processes, so
/// they are offered as they are only when the base is the bundled baseline.
fn starting_text(name: &str, extends: &str, from: &str, file: &Path) -> String {
    let file = file.display();
    let mut s = format!(
        "// {name}: a scenario built on {from}, written by `shortfall init`.\n\
         //\n\
         // Check it, then simulate it or compare it with what it extends:\n\
         //   shortfall check {file}\n\
         //   shortfall run {file}\n\
         //   shortfall compare {from} {file}\n\
         //\n\
         // Everything not written here comes from {from} (docs/scenario-format.md, extends): materials,\n\
         // countries and blocs merge by name, down to one stage, one demand or one stockpile; a\n\
         // disruption, partnership, price floor or new capacity written here under an inherited name\n\
         // replaces that entry whole, so the fields you leave out take their defaults, not the base's.\n\
         // `shortfall check` lists every field such a replacement resets.\n\
         Scenario(\n    \
             version: 1,\n    \
             extends: \"{extends}\",\n    \
             name: \"{name}\",\n    \
             description: \"{from} with: (say what this scenario changes)\",\n    \
             sources: [\n        \
                 // \"where each changed figure comes from, with its data vintage\",\n    \
             ],\n"
    );
    if from == DEFAULT_SCENARIO {
        s.push_str("\n    // Uncomment what you need; every block below is valid as it stands.\n");
        for example in EXAMPLES {
            s.push_str(&format!("\n    // {}:\n", example.why));
            for line in example.ron.lines() {
                s.push_str(&format!("    // {line}\n"));
            }
        }
    } else {
        s.push_str(
            "\n    // Write the fields you change here (docs/scenario-format.md lists them all), e.g.\n    \
             // supplier_cap: (level: 0.65, blocs: [\"EU\"]),\n",
        );
    }
    s.push_str(")\n");
    s
}

/// Write `text` to a new file; an existing file is never replaced (exit 2).
fn write_new(file: &Path, text: &str) -> Result<()> {
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(bad(format!(
                "{} already exists; init never replaces a file (choose another name or delete it)",
                file.display()
            )))
        }
        Err(e) => return Err(bad(format!("cannot create {}: {e}", file.display()))),
    };
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", file.display()))
        .map_err(super::common::Error::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_climbs_to_the_common_folder() {
        assert_eq!(
            relative_path(Path::new("/a/b/base.ron"), Path::new("/a/c/d")),
            PathBuf::from("../../b/base.ron")
        );
        assert_eq!(
            relative_path(Path::new("/a/base.ron"), Path::new("/a")),
            PathBuf::from("base.ron")
        );
    }

    #[test]
    fn the_starting_text_offers_every_example_commented_out() {
        let text = starting_text(
            "my",
            DEFAULT_SCENARIO,
            DEFAULT_SCENARIO,
            Path::new("my.ron"),
        );
        for example in EXAMPLES {
            let first = example.ron.lines().next().unwrap();
            assert!(text.contains(&format!("    // {first}\n")), "{text}");
        }
        assert!(text.contains("extends: \"builtin:eu-2030\""));
    }

    #[test]
    fn every_example_uncommented_together_compiles_on_the_baseline() {
        let dir = std::env::temp_dir().join(format!("shortfall-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("all-examples.ron");
        let mut text = String::from("Scenario(version: 1, extends: \"builtin:eu-2030\",\n");
        for example in EXAMPLES {
            text.push_str(example.ron);
            text.push('\n');
        }
        text.push_str(")\n");
        std::fs::write(&file, &text).unwrap();
        let loaded = crate::scenario::load(file.to_str().unwrap()).unwrap();
        let model = crate::model::compile(&loaded);
        std::fs::remove_dir_all(&dir).unwrap();
        let model = model.unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(model.cap_level, Some(0.65));
        assert!(!model
            .disruptions
            .iter()
            .any(|d| d.name == "drc-cobalt-export-ban"));
    }
}
