//! Sensitivity to whole classes of uncertain parameters, beside the per-process frequencies:
//! tension multipliers, capacity utilisation, ramp-up times, stock cover and demand elasticities.
//! Each class is moved as one (every entry of the class in the scenario scaled by the same
//! factor), low and high, on the base's seed and paths, so each effect is a paired difference
//! with the same sectioning interval as the process variants. docs/experiments.md, "Sensitivity".

use anyhow::Result;

use super::{Variant, VariantEffect};
use crate::experiment::variant::build_edited;
use crate::model::Model;
use crate::scenario::raw::ScenarioFile;
use crate::scenario::{LoadedScenario, Param};

/// The factors of the low and high variant of every class: half and one and a half times the
/// quantity the class scales.
pub const FACTORS: [f64; 2] = [0.5, 1.5];

/// One class of parameters and how a factor moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Regime hazard multipliers: M → 1 + f (M − 1), the escalation over a calm multiplier of 1.
    Tension,
    /// Capacity utilisation: u → 1 − f (1 − u), so f scales the spare headroom.
    Utilisation,
    /// Every capacity's `ramp_up_months` × f.
    RampUp,
    /// Strategic stockpiles' initial and target months and commercial inventories' cover (and
    /// room) × f.
    StockCover,
    /// Every material's `demand_elasticity` and `max_substitution` × f (the latter at most 1).
    Elasticity,
}

/// Every class, in the order they are run and reported.
pub const CLASSES: [Class; 5] = [
    Class::Tension,
    Class::Utilisation,
    Class::RampUp,
    Class::StockCover,
    Class::Elasticity,
];

impl Class {
    /// Short name for tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Class::Tension => "tension multipliers",
            Class::Utilisation => "capacity utilisation (spare headroom)",
            Class::RampUp => "ramp-up months",
            Class::StockCover => "stock cover (stockpiles and inventories)",
            Class::Elasticity => "demand elasticity and substitution",
        }
    }

    /// How a factor f moves the class, as the tables print it.
    pub fn rule(self) -> &'static str {
        match self {
            Class::Tension => "every regime multiplier M -> 1 + f (M - 1)",
            Class::Utilisation => "every utilisation u -> 1 - f (1 - u)",
            Class::RampUp => "every ramp_up_months x f",
            Class::StockCover => {
                "stockpile initial/target months and inventory cover_months/max_cover_months x f"
            }
            Class::Elasticity => "demand_elasticity x f, max_substitution x f (at most 1)",
        }
    }

    /// How many entries of the scenario the class moves (0: the variant is the base exactly).
    pub fn entries(self, raw: &ScenarioFile) -> usize {
        let capacities = || {
            raw.countries
                .values()
                .flat_map(|c| c.capacity.values())
                .flat_map(|m| m.values())
        };
        match self {
            Class::Tension => raw
                .tension
                .as_ref()
                .map_or(0, |t| t.regimes.values().filter(|&&m| m != 1.0).count()),
            Class::Utilisation => capacities().filter(|c| c.utilisation < 1.0).count(),
            Class::RampUp => capacities().filter(|c| c.ramp_up_months > 0.0).count(),
            Class::StockCover => raw
                .blocs
                .values()
                .map(|b| b.stockpiles.len() + b.inventories.len())
                .sum(),
            Class::Elasticity => raw
                .materials
                .values()
                .filter(|m| {
                    m.price
                        .as_ref()
                        .is_some_and(|p| p.demand_elasticity > 0.0 || p.max_substitution > 0.0)
                })
                .count(),
        }
    }

    /// Apply factor `f` to the class in `raw`.
    pub fn apply(self, raw: &mut ScenarioFile, f: f64) {
        match self {
            Class::Tension => {
                if let Some(t) = raw.tension.as_mut() {
                    for m in t.regimes.values_mut() {
                        *m = (1.0 + f * (*m - 1.0)).max(0.0);
                    }
                }
            }
            Class::Utilisation | Class::RampUp => {
                for cap in raw
                    .countries
                    .values_mut()
                    .flat_map(|c| c.capacity.values_mut())
                    .flat_map(|m| m.values_mut())
                {
                    if self == Class::Utilisation {
                        cap.utilisation = (1.0 - f * (1.0 - cap.utilisation)).clamp(0.0, 1.0);
                    } else {
                        cap.ramp_up_months *= f;
                    }
                }
            }
            Class::StockCover => {
                for b in raw.blocs.values_mut() {
                    for s in b.stockpiles.values_mut() {
                        s.initial_months *= f;
                        s.target_months = s.target_months.map(|t| t * f);
                    }
                    for i in b.inventories.values_mut() {
                        i.cover_months = scale(&i.cover_months, f);
                        i.max_cover_months = i.max_cover_months.map(|m| m * f);
                    }
                }
            }
            Class::Elasticity => {
                for p in raw.materials.values_mut().filter_map(|m| m.price.as_mut()) {
                    p.demand_elasticity *= f;
                    p.max_substitution = (p.max_substitution * f).min(1.0);
                }
            }
        }
    }
}

/// A distribution of a non-negative quantity scaled by f > 0 (a Beta, bounded to [0, 1], is
/// left as it is).
fn scale(p: &Param, f: f64) -> Param {
    match p {
        Param::Fixed(v) => Param::Fixed(v * f),
        Param::Uniform { min, max } => Param::Uniform {
            min: min * f,
            max: max * f,
        },
        Param::Triangular { min, mode, max } => Param::Triangular {
            min: min * f,
            mode: mode * f,
            max: max * f,
        },
        Param::Normal { mean, sd } => Param::Normal {
            mean: mean * f,
            sd: sd * f,
        },
        Param::LogNormal { median, sigma } => Param::LogNormal {
            median: median * f,
            sigma: *sigma,
        },
        Param::Beta { .. } => p.clone(),
        Param::Exponential { mean } => Param::Exponential { mean: mean * f },
        Param::Empirical { values } => Param::Empirical {
            values: values.iter().map(|v| v * f).collect(),
        },
    }
}

/// One class's low and high variants.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassSensitivity {
    /// The class, in words.
    pub class: String,
    /// How a factor f moves it.
    pub rule: String,
    /// Entries of the scenario the class moves (0: nothing to vary, not run).
    pub entries: usize,
    /// The factors of the low and high variant.
    pub factors: [f64; 2],
    /// The metric at factor 0.5 and 1.5 against the base, same paths.
    pub low: Option<VariantEffect>,
    pub high: Option<VariantEffect>,
    /// Why a variant was not run (the scaled scenario did not validate), if so.
    pub skipped: Option<String>,
}

impl ClassSensitivity {
    /// The largest move of the metric over the two variants.
    pub fn swing(&self) -> f64 {
        self.low
            .iter()
            .chain(self.high.iter())
            .map(|e| e.difference.value.abs())
            .fold(0.0, f64::max)
    }
}

/// Classes that move at least one entry of `base` (the others are not run).
pub fn runnable(base: &LoadedScenario) -> usize {
    CLASSES.iter().filter(|c| c.entries(&base.raw) > 0).count()
}

/// A row for every class, and the variants to simulate for them: low and high of every class
/// that moves something, in `CLASSES` order, each with its compiled model. A variant whose
/// scaled scenario does not compile is not run, and its row says why.
pub fn class_variants(
    base: &LoadedScenario,
) -> (Vec<ClassSensitivity>, Vec<(usize, Variant, Model)>) {
    let mut rows = Vec::new();
    let mut variants = Vec::new();
    for (k, class) in CLASSES.into_iter().enumerate() {
        let mut row = ClassSensitivity {
            class: class.name().into(),
            rule: class.rule().into(),
            entries: class.entries(&base.raw),
            factors: FACTORS,
            low: None,
            high: None,
            skipped: None,
        };
        if row.entries > 0 {
            for variant in [Variant::Low, Variant::High] {
                match class_model(base, k, variant) {
                    Ok(m) => variants.push((k, variant, m)),
                    Err(e) => row.skipped = Some(format!("{e:#}")),
                }
            }
        }
        rows.push(row);
    }
    (rows, variants)
}

/// A class's row with the effect of its low or high variant.
pub fn set(row: &mut ClassSensitivity, variant: Variant, effect: Option<VariantEffect>) {
    match variant {
        Variant::Low => row.low = effect,
        _ => row.high = effect,
    }
}

/// The scenario with class `k` of `CLASSES` scaled by its low or high factor.
pub fn class_model(base: &LoadedScenario, k: usize, variant: Variant) -> Result<Model> {
    let class = CLASSES[k];
    let f = if variant == Variant::Low {
        FACTORS[0]
    } else {
        FACTORS[1]
    };
    let what = format!("{} x {f}", class.name());
    build_edited(base, &what, |raw| class.apply(raw, f))
}

/// The class variants `run_using` simulates, in its order: low and high of every class the
/// scenario has entries of and that compiles scaled (a shard runs the same ones), each with its
/// compiled model, so that whoever runs it does not compile it again.
pub fn runnable_variants(base: &LoadedScenario) -> Vec<(usize, Variant, Model)> {
    (0..CLASSES.len())
        .filter(|&k| CLASSES[k].entries(&base.raw) > 0)
        .flat_map(|k| [(k, Variant::Low), (k, Variant::High)])
        .filter_map(|(k, v)| class_model(base, k, v).ok().map(|m| (k, v, m)))
        .collect()
}
