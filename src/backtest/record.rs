//! The record side of the onset-count backtest (group 1): every row of
//! `data/record/disruption_events.csv` classified into the groups the model's processes fall in,
//! with the reason for each, so the observed counts are a table anyone can re-check
//! (docs/backtest.md lists the same classification).

use super::{CountryCount, Group};

/// The record, compiled into the binary (the tool never reads files outside the repository).
pub(crate) const DISRUPTION_EVENTS: &str = include_str!("../../data/record/disruption_events.csv");

/// What one record row counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// One onset in this group, for this main country.
    Counted(Group, &'static str),
    /// The same measure as an earlier row (one onset in total).
    SameMeasureAs(&'static str),
    /// About a material the scenario does not model: no process could produce it.
    OutOfScope,
}

/// One row of the classification: the record row's `date_start` and `country`, its class and
/// the model process it corresponds to ("" when none).
#[derive(Debug, Clone, Copy)]
pub struct RowClass {
    pub date_start: &'static str,
    pub country: &'static str,
    pub class: Class,
    pub process: &'static str,
}

use Class::{Counted, OutOfScope, SameMeasureAs};
use Group::{AccidentStrike, ChineseExport, ConflictDisaster, NationalisationFlood, OtherExport};

const CN: &str = "China";
const CD: &str = "Congo (Kinshasa)";
const ID: &str = "Indonesia";
const MM: &str = "Burma (Myanmar)";

/// Rows are grouped by the kind of the model process that represents the event, so both sides
/// of each check use one rule; where no process exists, by the record's own `kind`.
#[rustfmt::skip]
pub const CLASSIFICATION: &[RowClass] = &[
    // De facto halt of REE shipments to Japan: a Chinese export ban aimed at one bloc.
    RowClass { date_start: "2010-09-21", country: "China", class: Counted(ChineseExport, CN), process: "china-ree-ban-japan" },
    // DRC decree banning copper/cobalt concentrate exports: an export measure outside China.
    RowClass { date_start: "2013-04", country: "Congo (Kinshasa)", class: Counted(OtherExport, CD), process: "drc-cobalt-export-ban" },
    // Indonesia's unprocessed-ore ban (nickel ore hardest hit).
    RowClass { date_start: "2014-01-12", country: "Indonesia", class: Counted(OtherExport, ID), process: "indonesia-nickel-ore-ban" },
    // Philippine environmental closure of 23 mines: the model's process for it is a Nationalisation.
    RowClass { date_start: "2017-02-02", country: "Philippines", class: Counted(NationalisationFlood, "Philippines"), process: "philippines-nickel-closures" },
    // Escondida strike: accidents and strikes.
    RowClass { date_start: "2017-02-09", country: "Chile", class: Counted(AccidentStrike, "Chile"), process: "chile-copper-outage" },
    // Mutanda halted (care and maintenance): the model's mine-suspension process is an Accident.
    RowClass { date_start: "2019-11-25", country: "Congo (Kinshasa)", class: Counted(AccidentStrike, CD), process: "drc-cobalt-mine-suspension" },
    // Indonesia's nickel ore ban brought forward: a new measure (the 2014 ban was relaxed in 2017).
    RowClass { date_start: "2020-01-01", country: "Indonesia", class: Counted(OtherExport, ID), process: "indonesia-nickel-ore-ban" },
    // Myanmar coup: conflict.
    RowClass { date_start: "2021-02-01", country: "Burma (Myanmar)", class: Counted(ConflictDisaster, MM), process: "myanmar-ree-conflict" },
    // COVID closure of the China-Myanmar border: the model's process is a Disaster in Myanmar.
    RowClass { date_start: "2021-07", country: "China;Burma (Myanmar)", class: Counted(ConflictDisaster, MM), process: "china-myanmar-border-closure" },
    // War and sanctions: the record says conflict, but the model represents the cut as an
    // export ban by Russia (russia-metals-sanctions), so it is counted where a model onset would be.
    RowClass { date_start: "2022-03-08", country: "Russia;Ukraine", class: Counted(OtherExport, "Russia"), process: "russia-metals-sanctions" },
    // Zimbabwe's raw lithium ore export ban.
    RowClass { date_start: "2022-12-20", country: "Zimbabwe", class: Counted(OtherExport, "Zimbabwe"), process: "zimbabwe-lithium-export-ban" },
    // Chile's National Lithium Strategy: nationalisation.
    RowClass { date_start: "2023-04-20", country: "Chile", class: Counted(NationalisationFlood, "Chile"), process: "chile-lithium-nationalisation" },
    // Bauxite is not a modelled material.
    RowClass { date_start: "2023-06", country: "Indonesia", class: OutOfScope, process: "" },
    // Ga/Ge licences (announced Jul, effective Aug 2023).
    RowClass { date_start: "2023-08", country: "China", class: Counted(ChineseExport, CN), process: "china-ga-ge-licence" },
    // Cobre Panama closed by court ruling: regulatory, grouped with nationalisation; no process.
    RowClass { date_start: "2023-11-28", country: "Panama", class: Counted(NationalisationFlood, "Panama"), process: "" },
    // Graphite licences (effective 1 Dec 2023).
    RowClass { date_start: "2023-12-01", country: "China", class: Counted(ChineseExport, CN), process: "china-graphite-licence" },
    // Balama suspension (cause not stated): an operational outage, the model's Accident process.
    RowClass { date_start: "2024", country: "Mozambique", class: Counted(AccidentStrike, "Mozambique"), process: "mozambique-graphite-outage" },
    // New Caledonia riots: conflict.
    RowClass { date_start: "2024-05-13", country: "New Caledonia", class: Counted(ConflictDisaster, "New Caledonia"), process: "new-caledonia-unrest" },
    // Antimony licences (effective 15 Sep 2024).
    RowClass { date_start: "2024-09-15", country: "China", class: Counted(ChineseExport, CN), process: "china-antimony-licence" },
    // Guinea bauxite suspension: bauxite is not modelled.
    RowClass { date_start: "2024-10", country: "Guinea", class: OutOfScope, process: "" },
    // Kachin Independence Army takes the REE hub: conflict.
    RowClass { date_start: "2024-10-19", country: "Burma (Myanmar)", class: Counted(ConflictDisaster, MM), process: "myanmar-ree-conflict" },
    // The Dec 2024 ban on Ga/Ge/Sb exports to the US: one MOFCOM announcement (No. 46 of 2024)
    // covering all three metals on one day, and one process in the model
    // (china-minor-metals-ban-us). The record splits it in two rows because gallium's ban was
    // lifted in Nov 2025 and the others' status is unconfirmed: one measure, counted once.
    RowClass { date_start: "2024-12-03", country: "China", class: Counted(ChineseExport, CN), process: "china-minor-metals-ban-us" },
    RowClass { date_start: "2024-12-03", country: "China", class: SameMeasureAs("2024-12-03 China gallium"), process: "china-minor-metals-ban-us" },
    // Tungsten (and Te, Bi, Mo, In) licences.
    RowClass { date_start: "2025-02-04", country: "China", class: Counted(ChineseExport, CN), process: "china-tungsten-licence" },
    // DRC cobalt export suspension.
    RowClass { date_start: "2025-02-22", country: "Congo (Kinshasa)", class: Counted(OtherExport, CD), process: "drc-cobalt-export-ban" },
    // Medium/heavy REE licences (April 2025).
    RowClass { date_start: "2025-04-04", country: "China", class: Counted(ChineseExport, CN), process: "china-ree-licence" },
    // El Teniente collapse: accident.
    RowClass { date_start: "2025-07", country: "Chile", class: Counted(AccidentStrike, "Chile"), process: "chile-copper-outage" },
    // Guinea revokes a bauxite concession: bauxite is not modelled.
    RowClass { date_start: "2025-08-04", country: "Guinea", class: OutOfScope, process: "" },
    // Grasberg mud rush: accident.
    RowClass { date_start: "2025-09", country: "Indonesia", class: Counted(AccidentStrike, ID), process: "indonesia-copper-accident" },
    // October 2025 REE expansion to five more elements: a new measure on top of April's.
    RowClass { date_start: "2025-10", country: "China", class: Counted(ChineseExport, CN), process: "china-ree-licence" },
    // DRC cobalt quotas replacing the suspension: a different instrument (a quota), counted as
    // its own measure, as the model has its own process for it.
    RowClass { date_start: "2025-10-16", country: "Congo (Kinshasa)", class: Counted(OtherExport, CD), process: "drc-cobalt-quota" },
];

/// The main countries counted on their own (each has at least three record rows or is China).
pub(crate) const MAIN_COUNTRIES: [&str; 5] = [CN, CD, ID, MM, "Chile"];

/// One record row as read from the CSV: `date_start`, `country`, `materials`, `kind`.
#[derive(Debug, Clone)]
pub struct RecordRow {
    pub date_start: String,
    pub country: String,
    pub materials: String,
    pub kind: String,
}

/// Read the bundled record.
pub fn rows() -> Result<Vec<RecordRow>, csv::Error> {
    let mut reader = csv::Reader::from_reader(DISRUPTION_EVENTS.as_bytes());
    let mut out = Vec::new();
    for r in reader.records() {
        let r = r?;
        out.push(RecordRow {
            date_start: r.get(0).unwrap_or_default().to_string(),
            country: r.get(2).unwrap_or_default().to_string(),
            materials: r.get(3).unwrap_or_default().to_string(),
            kind: r.get(4).unwrap_or_default().to_string(),
        });
    }
    Ok(out)
}

/// The observed side of group 1, computed from the record and `CLASSIFICATION`.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// Onsets per group, in `Group::ALL` order.
    pub groups: [u32; 5],
    /// Onsets per main country, in `MAIN_COUNTRIES` order.
    pub countries: Vec<CountryCount>,
    /// Chinese export measures per calendar year 2010..=2025.
    pub chinese_by_year: [u32; 16],
}

/// Count the record. Fails when a record row has no classification or the table names a row
/// the record does not have (the table and the data must move together).
pub fn observed() -> Result<Observed, String> {
    let rows = rows().map_err(|e| format!("reading the bundled record: {e}"))?;
    if rows.len() != CLASSIFICATION.len() {
        return Err(format!(
            "the record has {} rows but the classification {}",
            rows.len(),
            CLASSIFICATION.len()
        ));
    }
    let mut groups = [0u32; 5];
    let mut countries: Vec<CountryCount> = MAIN_COUNTRIES
        .iter()
        .map(|c| CountryCount {
            country: c.to_string(),
            count: 0,
        })
        .collect();
    let mut chinese_by_year = [0u32; 16];
    for (row, class) in rows.iter().zip(CLASSIFICATION) {
        if row.date_start != class.date_start || row.country != class.country {
            return Err(format!(
                "record row {} {} is classified as {} {}: the table is out of step with the data",
                row.date_start, row.country, class.date_start, class.country
            ));
        }
        if let Class::Counted(group, country) = class.class {
            groups[group as usize] += 1;
            if let Some(c) = countries.iter_mut().find(|c| c.country == country) {
                c.count += 1;
            }
            if group == Group::ChineseExport {
                let year: usize = row.date_start[..4]
                    .parse()
                    .map_err(|_| format!("record row {}: no year in date_start", row.date_start))?;
                if (2010..=2025).contains(&year) {
                    chinese_by_year[year - 2010] += 1;
                }
            }
        }
    }
    Ok(Observed {
        groups,
        countries,
        chinese_by_year,
    })
}

/// Longest run of consecutive calendar years with no measure.
pub fn longest_quiet_run(by_year: &[u32]) -> u32 {
    let (mut best, mut run) = (0u32, 0u32);
    for &n in by_year {
        run = if n == 0 { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Most measures in any 3 consecutive calendar years (the whole window if shorter).
pub fn most_in_three_years(by_year: &[u32]) -> u32 {
    if by_year.len() < 3 {
        return by_year.iter().sum();
    }
    by_year
        .windows(3)
        .map(|w| w.iter().sum())
        .max()
        .unwrap_or(0)
}
