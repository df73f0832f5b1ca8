//! The import rules of ARCHITECTURE.md, read from the source: which layer may use which, no import
//! cycles between files, report reads only the *types* of experiment results, and the CLI builds
//! no CSV, HTML or tables. A new `use` that breaks a rule fails here with the file and the path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Which top-level modules each layer may use (besides itself). `special` (numerical special
/// functions) is a leaf that any layer may use; `cli` is glue and may use every layer.
fn allowed(layer: &str) -> Option<&'static [&'static str]> {
    Some(match layer {
        "special" => &[],
        "scenario" => &["special"],
        "stats" => &["special"],
        "model" => &["scenario", "special"],
        "sim" => &["model", "stats", "special"],
        "experiment" | "backtest" => &["scenario", "model", "sim", "stats", "special"],
        "report" => &["stats", "model", "experiment", "backtest", "special"],
        "cli" => &[
            "scenario",
            "model",
            "sim",
            "stats",
            "experiment",
            "backtest",
            "report",
            "special",
        ],
        _ => return None,
    })
}

/// Layers whose results report may read, but whose functions it must never call.
const RESULT_ONLY: [&str; 2] = ["experiment", "backtest"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source without comments (line comments and doc comments), so prose naming a module is not an import.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b::…` path in the code, with `use` groups expanded
/// (`use crate::a::{b::C, d}` gives `a::b::C` and `a::d`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(off) = code[i..].find("crate::") {
        let start = i + off;
        i = start + "crate::".len();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        expand(code, &mut i, Vec::new(), &mut paths);
    }
    paths
}

fn expand(code: &str, i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let bytes = code.as_bytes();
    let mut path = prefix;
    loop {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
        if *i < bytes.len() && bytes[*i] == b'{' {
            *i += 1;
            loop {
                expand(code, i, path.clone(), out);
                while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
                    *i += 1;
                }
                if *i < bytes.len() && bytes[*i] == b',' {
                    *i += 1;
                    continue;
                }
                if *i < bytes.len() && bytes[*i] == b'}' {
                    *i += 1;
                }
                return;
            }
        }
        let start = *i;
        while *i < bytes.len() && (bytes[*i].is_ascii_alphanumeric() || bytes[*i] == b'_') {
            *i += 1;
        }
        if start == *i {
            if !path.is_empty() {
                out.push(path);
            }
            return;
        }
        path.push(code[start..*i].to_string());
        if code[*i..].starts_with("::") {
            *i += 2;
        } else {
            out.push(path);
            return;
        }
    }
}

fn layer_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The module file a path lands in: the longest prefix that is a file (`a/b.rs` or `a/b/mod.rs`).
/// Hubs (`mod.rs`, which mostly re-export) are not nodes of the cycle check.
fn target_file(src: &Path, path: &[String]) -> Option<PathBuf> {
    for n in (1..=path.len()).rev() {
        let base: PathBuf = path[..n].iter().collect();
        let file = src.join(&base).with_extension("rs");
        if file.is_file() {
            return Some(file);
        }
        if src.join(&base).join("mod.rs").is_file() {
            return None;
        }
    }
    None
}

struct Source {
    file: PathBuf,
    layer: String,
    code: String,
}

fn sources() -> (PathBuf, Vec<Source>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let sources = files
        .into_iter()
        .filter_map(|file| {
            let layer = layer_of(&src, &file)?;
            let code = code_of(&fs::read_to_string(&file).unwrap());
            Some(Source { file, layer, code })
        })
        .collect();
    (src, sources)
}

#[test]
fn every_layer_uses_only_the_layers_below_it() {
    let (src, sources) = sources();
    let mut broken = Vec::new();
    for s in &sources {
        let allowed = allowed(&s.layer).unwrap_or_else(|| {
            panic!(
                "{}: top-level module `{}` has no rule in ARCHITECTURE.md and this test",
                s.file.display(),
                s.layer
            )
        });
        for path in crate_paths(&s.code) {
            let target = &path[0];
            if target == &s.layer || allowed.contains(&target.as_str()) {
                continue;
            }
            broken.push(format!(
                "{} ({}) uses crate::{}",
                s.file.strip_prefix(&src).unwrap().display(),
                s.layer,
                path.join("::")
            ));
        }
    }
    assert!(
        broken.is_empty(),
        "layer rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn report_reads_result_types_and_never_calls_experiments() {
    let (src, sources) = sources();
    let mut broken = Vec::new();
    for s in sources.iter().filter(|s| s.layer == "report") {
        for path in crate_paths(&s.code) {
            if !RESULT_ONLY.contains(&path[0].as_str()) {
                continue;
            }
            // The last segment must be a type (CamelCase) or a constant (UPPER_CASE).
            let last = path.last().unwrap();
            if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
                broken.push(format!(
                    "{} uses crate::{} (report may only name result types)",
                    s.file.strip_prefix(&src).unwrap().display(),
                    path.join("::")
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn no_import_cycles_between_files() {
    let (src, sources) = sources();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for s in &sources {
        if s.file.ends_with("mod.rs") {
            continue;
        }
        let out = edges.entry(s.file.clone()).or_default();
        for path in crate_paths(&s.code) {
            if let Some(t) = target_file(&src, &path) {
                if t != s.file && !t.ends_with("mod.rs") {
                    out.insert(t);
                }
            }
        }
    }
    // Depth-first search with colours; report the first cycle found.
    fn visit(
        node: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
                let names: Vec<String> = cycle
                    .iter()
                    .map(|p| p.strip_prefix(&src).unwrap().display().to_string())
                    .collect();
                panic!("import cycle: {}", names.join(" → "));
            }
        }
    }
}

#[test]
fn cli_files_build_no_csv_html_or_tables() {
    let (src, sources) = sources();
    let markers = [
        "csv::",
        "<table",
        "<html",
        "<tr>",
        "<div",
        "<svg",
        "WriterBuilder",
    ];
    let mut broken = Vec::new();
    for s in sources.iter().filter(|s| s.layer == "cli") {
        for m in markers {
            if s.code.contains(m) {
                broken.push(format!(
                    "{} contains `{m}`: presentation belongs in report/",
                    s.file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_use_parser_expands_groups() {
    let code = "use crate::a::{b::C, d::{E, f}};\nlet x = crate::g::h(1);";
    let paths: Vec<String> = crate_paths(code).iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["a::b::C", "a::d::E", "a::d::f", "g::h"]);
}
