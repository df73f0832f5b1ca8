//! `manifest.json`: what produced a run, so it can be replayed and cited.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub tool: String,
    pub version: String,
    pub scenario: String,
    /// Files the scenario was read from, most derived first.
    pub scenario_files: Vec<String>,
    /// SHA-256 over the scenario texts, in order (the same files hash the same wherever they are).
    pub scenario_sha256: String,
    pub seed: u64,
    pub paths: u64,
    pub threads: usize,
    pub target_se: Option<f64>,
    pub target_reached: Option<bool>,
    /// Standard error of the headline estimate (P(EU short >10% of a year's demand of some material)).
    /// Written `null` when not estimated (JSON has no NaN), read back as NaN.
    #[serde(deserialize_with = "nan_if_null")]
    pub headline_se: f64,
    pub elapsed_seconds: f64,
    /// UTC time the run started, ISO 8601.
    pub started_at: String,
    pub data_sources: Vec<String>,
    /// How far each data source can be cited, in `data_sources` order: `primary`, `weak` or
    /// empty (unmarked). Left out when the scenario marks none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_source_confidence: Vec<String>,
    pub files: Vec<String>,
    pub command: Vec<String>,
}

impl Manifest {
    /// Each data source with its confidence mark (empty when unmarked).
    pub fn sources_with_confidence(&self) -> impl Iterator<Item = (&str, &str)> {
        self.data_sources.iter().enumerate().map(|(i, s)| {
            let mark = self
                .data_source_confidence
                .get(i)
                .map_or("", String::as_str);
            (s.as_str(), mark)
        })
    }
}

fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// ISO 8601 UTC from seconds since the Unix epoch (civil-from-days, Howard Hinnant's algorithm).
pub(crate) fn iso8601(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_instants() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(super::iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }
}
