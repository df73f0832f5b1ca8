//! The finished result of a sensitivity analysis (`experiment::sensitivity`, which owns it, as
//! every experiment owns its result type): per disruption
//! process, how far the headline metric moves when the process is switched off or its frequency
//! set low or high. It plays the part `Summary` plays for a run: the exporters (CSV, JSON, the
//! terminal table, the tornado chart) read this and nothing else.

use serde::{Deserialize, Serialize};

use crate::stats::metric::{Stat, Subject};
use crate::stats::sectioning::SectionedEstimate;

/// What was changed about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// The process switched off (`enabled: false`).
    Off,
    /// Its frequency at the low end of its range.
    Low,
    /// Its frequency at the high end of its range.
    High,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Off => "off",
            Variant::Low => "low",
            Variant::High => "high",
        }
    }
}

/// The metric in one variant and its paired difference from the base run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VariantEffect {
    pub variant: Variant,
    /// The process's frequency in this variant (`low`/`high`); None when switched off.
    pub frequency: Option<f64>,
    /// The metric in this variant, with its sectioning interval.
    pub value: SectionedEstimate,
    /// Variant minus base on the same paths, with its sectioning interval.
    pub difference: SectionedEstimate,
    /// Not simulated: the process cannot reach the subject's material, so the variant's paths
    /// are the base's paths exactly and the difference is 0 with no error.
    pub exact_zero: bool,
}

/// Everything measured about one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSensitivity {
    pub process: String,
    /// Its kind as written in the scenario (`ExportBan`, `Conflict`, ...).
    pub kind: String,
    /// `annual_probability` or `rate_per_year`; None for a scripted event.
    pub frequency_field: Option<String>,
    /// The frequency as the scenario writes it, e.g. `Uniform(min: 0.04, max: 0.12)`.
    pub frequency_as_written: Option<String>,
    /// How the low and high frequencies were chosen.
    pub range_rule: Option<String>,
    /// Whether the process (or one it triggers) touches a material of the subject.
    pub reaches_subject: bool,
    pub off: VariantEffect,
    /// Present for the processes whose frequency range was run (the `top` largest switch-off
    /// effects that have a frequency).
    pub low: Option<VariantEffect>,
    pub high: Option<VariantEffect>,
}

impl ProcessSensitivity {
    /// The variants measured, off first.
    pub fn effects(&self) -> impl Iterator<Item = &VariantEffect> {
        std::iter::once(&self.off)
            .chain(self.low.iter())
            .chain(self.high.iter())
    }

    /// The largest move of the metric over the variants measured: the tornado's sort key.
    pub fn swing(&self) -> f64 {
        self.effects()
            .map(|e| e.difference.value.abs())
            .fold(0.0, f64::max)
    }
}

/// A whole analysis: the base and every enabled process, largest swing first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// Version of shortfall that ran the analysis.
    pub tool_version: String,
    /// The scenario's name.
    pub scenario: String,
    /// SHA-256 of the scenario's texts: identifies the exact input.
    pub scenario_sha256: String,
    /// Whose consumption shortfall was measured.
    pub subject: Subject,
    /// The statistic measured.
    pub metric: Stat,
    /// The metric as the command line spells it, e.g. `P(>10%)`.
    pub metric_label: String,
    /// True for probabilities; otherwise the metric is a share of a year's demand.
    pub metric_is_probability: bool,
    /// Master seed shared by every variant (common random numbers).
    pub seed: u64,
    /// Paths per variant (whole sections).
    pub paths: u64,
    /// Sections behind every interval (Student t on `sections − 1` degrees of freedom).
    pub sections: usize,
    /// How many processes got the low/high variants (those with the largest switch-off effect).
    pub top: usize,
    /// The metric with every process as the scenario has it.
    pub base: SectionedEstimate,
    /// Enabled processes, sorted by `swing`, largest first.
    pub processes: Vec<ProcessSensitivity>,
    /// Whole parameter classes (tension multipliers, utilisation, ramp-up, stock cover,
    /// elasticities) scaled low and high, in `classes::CLASSES` order.
    #[serde(default)]
    pub classes: Vec<super::classes::ClassSensitivity>,
}

impl Sensitivity {
    /// Largest effect first; ties (exact zeros, above all) by name so the order is stable.
    pub fn sort_by_effect(&mut self) {
        self.processes.sort_by(|a, b| {
            b.swing()
                .total_cmp(&a.swing())
                .then_with(|| a.process.cmp(&b.process))
        });
    }
}
