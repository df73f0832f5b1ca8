//! Fuzz target: any bytes as a scenario file through load → compile → setter. The loader and
//! validator must refuse bad input with an error, never panic, loop or allocate without bound.
//!
//! Lines `// set PATH=VALUE` (RON comments, so the scenario still parses) are applied with the
//! `--set` setter and the variant compiled again, as `sweep` would.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shortfall::variant::{build, Setting};
use shortfall::FieldPath;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = shortfall::load_str("fuzz.ron", text) else {
        return;
    };
    if shortfall::compile(&loaded).is_err() {
        return;
    }
    let settings: Vec<Setting> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// set "))
        .filter_map(|s| s.split_once('='))
        .filter_map(|(path, value)| {
            Some(Setting {
                path: FieldPath::parse(path.trim()).ok()?,
                value: value.trim().parse().ok()?,
            })
        })
        .take(8)
        .collect();
    if !settings.is_empty() {
        let _ = build(&loaded, &settings);
    }
});
