//! Setting one numeric field of a scenario by its path, for sweeps and goal seeking:
//! `supplier_cap.level`, `blocs.EU.stockpiles.gallium.initial_months`,
//! `disruptions.china-ga-ge-licence.annual_probability`, `price_floors.ndpr-floor.floor_usd_per_t`.
//!
//! The path walks the file as an analyst reads it: map keys and the names of listed entries
//! (disruptions, price floors) are segments. A field that holds a distribution becomes that fixed
//! value. Entries that a policy question naturally adds are created when missing: a stockpile
//! (other fields at their defaults), the supplier cap (on the EU, every strategic material and
//! stage), a recycling share. Everything else must already exist; a wrong segment is refused with
//! the names that would be valid. The result still goes through `model::compile`, so a value out
//! of range is refused there like any other.

use super::diagnostic::unknown_name_hint;
use super::raw::{Inventory, LicenceRecovery, Recycling, ScenarioFile, Stockpile, SupplierCap};
use super::Param;

/// One `PATH=value` assignment, checked for shape but not yet applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    /// The path as written, e.g. `blocs.EU.stockpile.gallium.months`.
    pub text: String,
    segments: Vec<String>,
}

impl FieldPath {
    /// Parse a dotted field path, refusing empty segments; whether the field exists is checked when
    /// the setting is applied.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let segments: Vec<String> = text.split('.').map(str::to_string).collect();
        if text.is_empty() || segments.iter().any(String::is_empty) {
            return Err(format!(
                "`{text}` is not a field path; write segments separated by dots, e.g. supplier_cap.level"
            ));
        }
        Ok(FieldPath {
            text: text.to_string(),
            segments,
        })
    }
}

/// Set the field at `path` to `value`.
pub fn set_number(raw: &mut ScenarioFile, path: &FieldPath, value: f64) -> Result<(), String> {
    let s: Vec<&str> = path.segments.iter().map(String::as_str).collect();
    set_at(raw, &s, value).map_err(|msg| format!("--set {}: {msg}", path.text))
}

/// The path of the cap's level, which `sweep --cap` sets: `cli::sweep` runs that axis as a cap
/// (highest level first, breaches recomputed; `--binds-from`) and names it in its errors. It
/// must match `set_at`'s `["supplier_cap", "level"]` arm below (a slice pattern cannot name a
/// constant; `creates_a_missing_cap_and_stockpile` sets through this constant, so the two cannot
/// drift apart unnoticed). `report::sweep` spells the path itself: report may not use the
/// scenario layer (tests/architecture.rs).
pub const CAP_LEVEL: &str = "supplier_cap.level";

/// The cap `supplier_cap.level` gives a scenario without one (at level 1, i.e. not yet binding
/// anything): the CRMA's, applied by the EU to every strategic material at every stage.
pub fn crma_cap() -> SupplierCap {
    SupplierCap {
        level: 1.0,
        blocs: vec!["EU".into()],
        stages: Vec::new(),
        materials: Vec::new(),
        binds_from: None,
        phase_in_months: None,
    }
}

fn set_at(raw: &mut ScenarioFile, s: &[&str], value: f64) -> Result<(), String> {
    let fail = Err::<(), String>;
    match s {
        ["supplier_cap", "level"] => {
            // A scenario without a cap gets the CRMA's, applied by the EU. Not the headline-bloc
            // rule (`report::headline_bloc`): scenario imports no other layer, and the CRMA is
            // the EU's regulation whichever bloc a reader looks at first.
            let cap = raw.supplier_cap.get_or_insert_with(crma_cap);
            cap.level = value;
            Ok(())
        }
        ["supplier_cap", f] => fail(leaf_hint(f, &["level"])),
        ["materials", m, "price", f] => set_price(raw, m, f, value),
        ["countries", c, "capacity", m, st, f] => set_capacity(raw, [c, m, st, f], value),
        ["blocs", b, "demand", m, f] => {
            let bloc = entry(&mut raw.blocs, b, "bloc")?;
            let demand = entry(&mut bloc.demand, m, "material")?;
            match *f {
                "tonnes_per_year" => demand.tonnes_per_year = value,
                "growth_per_year" => demand.growth_per_year = Some(Param::Fixed(value)),
                _ => return fail(leaf_hint(f, &["tonnes_per_year", "growth_per_year"])),
            }
            Ok(())
        }
        ["blocs", b, "stockpiles", m, f] => set_stockpile(raw, b, m, f, value),
        ["blocs", b, "inventories", m, f] => set_inventory(raw, b, m, f, value),
        ["blocs", b, "recycling", m, f] => {
            let bloc = entry(&mut raw.blocs, b, "bloc")?;
            let r = bloc
                .recycling
                .entry(m.to_string())
                .or_insert_with(|| Recycling {
                    share_of_demand: 0.0,
                    share_at_end: None,
                    targets: Vec::new(),
                });
            match *f {
                "share_of_demand" => r.share_of_demand = value,
                "share_at_end" => r.share_at_end = Some(value),
                _ => return fail(leaf_hint(f, &["share_of_demand", "share_at_end"])),
            }
            Ok(())
        }
        ["tension", "regimes", r] => {
            let Some(t) = raw.tension.as_mut() else {
                return fail("the scenario has no tension regime".into());
            };
            *entry(&mut t.regimes, r, "regime")? = value;
            Ok(())
        }
        ["disruptions", name, "licence_recovery", f] => set_licence(raw, name, f, value),
        ["disruptions", name, f] => set_disruption(raw, name, f, value),
        ["price_floors", name, "floor_usd_per_t"] => {
            let names: Vec<String> = raw.price_floors.iter().map(|p| p.name.clone()).collect();
            match raw.price_floors.iter_mut().find(|p| p.name == *name) {
                Some(p) => {
                    p.floor_usd_per_t = value;
                    Ok(())
                }
                None => fail(unknown_name_hint(
                    name,
                    "price floor",
                    names.iter().map(String::as_str),
                )),
            }
        }
        _ => fail(format!(
            "not a numeric field that can be set; settable fields are {SETTABLE}"
        )),
    }
}

/// `materials.M.price.F`.
fn set_price(raw: &mut ScenarioFile, m: &str, f: &str, value: f64) -> Result<(), String> {
    let fail = Err::<(), String>;
    let mat = entry(&mut raw.materials, m, "material")?;
    let Some(price) = mat.price.as_mut() else {
        return fail(format!("material `{m}` has no price model to change"));
    };
    match f {
        "base_usd_per_t" => price.base_usd_per_t = value,
        "scarcity_sensitivity" => price.scarcity_sensitivity = value,
        "demand_elasticity" => price.demand_elasticity = value,
        "max_substitution" => price.max_substitution = value,
        _ => {
            return fail(leaf_hint(
                f,
                &[
                    "base_usd_per_t",
                    "scarcity_sensitivity",
                    "demand_elasticity",
                    "max_substitution",
                ],
            ))
        }
    }
    Ok(())
}

/// `countries.C.capacity.M.STAGE.F`.
fn set_capacity(
    raw: &mut ScenarioFile,
    [c, m, st, f]: [&str; 4],
    value: f64,
) -> Result<(), String> {
    let fail = Err::<(), String>;
    let country = entry(&mut raw.countries, c, "country")?;
    let stages = entry(&mut country.capacity, m, "material")?;
    let cap = entry(stages, st, "stage")?;
    match f {
        "tonnes_per_year" => cap.tonnes_per_year = value,
        "utilisation" => cap.utilisation = value,
        "ramp_up_months" => cap.ramp_up_months = value,
        "unit_cost_usd_per_t" => cap.unit_cost_usd_per_t = Some(value),
        _ => {
            return fail(leaf_hint(
                f,
                &[
                    "tonnes_per_year",
                    "utilisation",
                    "ramp_up_months",
                    "unit_cost_usd_per_t",
                ],
            ))
        }
    }
    Ok(())
}

/// `blocs.B.stockpiles.M.F`; a stockpile the bloc does not have yet starts empty.
fn set_stockpile(
    raw: &mut ScenarioFile,
    b: &str,
    m: &str,
    f: &str,
    value: f64,
) -> Result<(), String> {
    let fail = Err::<(), String>;
    let sp = bloc_of_material(raw, b, m)?
        .stockpiles
        .entry(m.to_string())
        .or_insert_with(|| Stockpile {
            initial_months: 0.0,
            target_months: None,
            max_release_share: 1.0,
            release_threshold_share: 0.0,
            refill_months: 24.0,
        });
    match f {
        // A stockpile's size is its initial level and, unless set apart, its target.
        "initial_months" => sp.initial_months = value,
        "target_months" => sp.target_months = Some(value),
        "max_release_share" => sp.max_release_share = value,
        "release_threshold_share" => sp.release_threshold_share = value,
        "refill_months" => sp.refill_months = value,
        _ => {
            return fail(leaf_hint(
                f,
                &[
                    "initial_months",
                    "target_months",
                    "max_release_share",
                    "release_threshold_share",
                    "refill_months",
                ],
            ))
        }
    }
    Ok(())
}

/// `blocs.B.inventories.M.F`; an inventory the bloc does not have yet starts with no cover.
fn set_inventory(
    raw: &mut ScenarioFile,
    b: &str,
    m: &str,
    f: &str,
    value: f64,
) -> Result<(), String> {
    let inv = bloc_of_material(raw, b, m)?
        .inventories
        .entry(m.to_string())
        .or_insert_with(|| Inventory {
            cover_months: Param::Fixed(0.0),
            max_cover_months: None,
            restock_months: 6.0,
        });
    match f {
        "cover_months" => inv.cover_months = Param::Fixed(value),
        "max_cover_months" => inv.max_cover_months = Some(value),
        "restock_months" => inv.restock_months = value,
        _ => {
            return Err(leaf_hint(
                f,
                &["cover_months", "max_cover_months", "restock_months"],
            ))
        }
    }
    Ok(())
}

/// `disruptions.NAME.licence_recovery.F`; a disruption without a recovery gets one with no
/// recovery yet (half-life 600 months, residual 1), so setting one field means what it says.
fn set_licence(raw: &mut ScenarioFile, name: &str, f: &str, value: f64) -> Result<(), String> {
    let names: Vec<String> = raw.disruptions.iter().map(|d| d.name.clone()).collect();
    let Some(d) = raw.disruptions.iter_mut().find(|d| d.name == name) else {
        return Err(unknown_name_hint(
            name,
            "disruption",
            names.iter().map(String::as_str),
        ));
    };
    let r = d.licence_recovery.get_or_insert(LicenceRecovery {
        half_life_months: Param::Fixed(600.0),
        residual_share: Param::Fixed(1.0),
        processing_months: None,
    });
    match f {
        "half_life_months" => r.half_life_months = Param::Fixed(value),
        "residual_share" => r.residual_share = Param::Fixed(value),
        "processing_months" => r.processing_months = Some(Param::Fixed(value)),
        _ => {
            return Err(leaf_hint(
                f,
                &["half_life_months", "residual_share", "processing_months"],
            ))
        }
    }
    Ok(())
}

/// `disruptions.NAME.F`.
fn set_disruption(raw: &mut ScenarioFile, name: &str, f: &str, value: f64) -> Result<(), String> {
    let fail = Err::<(), String>;
    let names: Vec<String> = raw.disruptions.iter().map(|d| d.name.clone()).collect();
    let Some(d) = raw.disruptions.iter_mut().find(|d| d.name == name) else {
        return fail(unknown_name_hint(
            name,
            "disruption",
            names.iter().map(String::as_str),
        ));
    };
    match f {
        // One frequency replaces the other: the swept one is what the analyst means.
        "annual_probability" => {
            d.annual_probability = Some(Param::Fixed(value));
            d.rate_per_year = None;
        }
        "rate_per_year" => {
            d.rate_per_year = Some(Param::Fixed(value));
            d.annual_probability = None;
        }
        "duration_months" => d.duration_months = Param::Fixed(value),
        "severity" => d.severity = Param::Fixed(value),
        "tension_sensitivity" => d.tension_sensitivity = value,
        "announced_months" => d.announced_months = Some(Param::Fixed(value)),
        "prebuy_share" => d.prebuy_share = Some(value),
        "leakage_share" => d.leakage_share = Some(Param::Fixed(value)),
        _ => {
            return fail(leaf_hint(
                f,
                &[
                    "annual_probability",
                    "rate_per_year",
                    "duration_months",
                    "severity",
                    "tension_sensitivity",
                    "announced_months",
                    "prebuy_share",
                    "leakage_share",
                ],
            ))
        }
    }
    Ok(())
}

/// Every settable path, for `--help` and error messages.
pub const SETTABLE: &str = "supplier_cap.level, \
    blocs.B.stockpiles.M.{initial_months,target_months,max_release_share,release_threshold_share,refill_months}, \
    blocs.B.inventories.M.{cover_months,max_cover_months,restock_months}, \
    blocs.B.demand.M.{tonnes_per_year,growth_per_year}, blocs.B.recycling.M.{share_of_demand,share_at_end}, \
    disruptions.NAME.{annual_probability,rate_per_year,duration_months,severity,tension_sensitivity,announced_months,prebuy_share,leakage_share}, \
    disruptions.NAME.licence_recovery.{half_life_months,residual_share,processing_months}, \
    countries.C.capacity.M.STAGE.{tonnes_per_year,utilisation,ramp_up_months,unit_cost_usd_per_t}, \
    materials.M.price.{base_usd_per_t,scarcity_sensitivity,demand_elasticity,max_substitution}, \
    price_floors.NAME.floor_usd_per_t, tension.regimes.R";

/// Bloc `b`, for a setting about material `m` (stockpiles, inventories): both names must exist;
/// an unknown material is named against the materials the bloc demands.
fn bloc_of_material<'a>(
    raw: &'a mut ScenarioFile,
    b: &str,
    m: &str,
) -> Result<&'a mut super::raw::Bloc, String> {
    let known_material = raw.materials.contains_key(m);
    let bloc = entry(&mut raw.blocs, b, "bloc")?;
    if !known_material {
        let names: Vec<&str> = bloc.demand.keys().map(String::as_str).collect();
        return Err(unknown_name_hint(m, "material", names.iter().copied()));
    }
    Ok(bloc)
}

fn entry<'a, T>(
    map: &'a mut std::collections::BTreeMap<String, T>,
    key: &str,
    kind: &str,
) -> Result<&'a mut T, String> {
    if !map.contains_key(key) {
        let names: Vec<String> = map.keys().cloned().collect();
        return Err(unknown_name_hint(
            key,
            kind,
            names.iter().map(String::as_str),
        ));
    }
    Ok(map.get_mut(key).expect("checked above"))
}

fn leaf_hint(found: &str, valid: &[&str]) -> String {
    unknown_name_hint(found, "field", valid.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load;

    fn baseline() -> ScenarioFile {
        load("builtin:eu-2030").unwrap().raw
    }

    #[test]
    fn sets_a_disruption_frequency_and_replaces_its_distribution() {
        let mut raw = baseline();
        let path =
            FieldPath::parse("disruptions.drc-cobalt-export-ban.annual_probability").unwrap();
        set_number(&mut raw, &path, 0.42).unwrap();
        let d = raw
            .disruptions
            .iter()
            .find(|d| d.name == "drc-cobalt-export-ban")
            .unwrap();
        assert_eq!(d.annual_probability, Some(Param::Fixed(0.42)));
        assert_eq!(d.rate_per_year, None);
    }

    #[test]
    fn creates_a_missing_cap_and_stockpile() {
        let mut raw = baseline();
        assert!(raw.supplier_cap.is_none());
        set_number(&mut raw, &FieldPath::parse(CAP_LEVEL).unwrap(), 0.6).unwrap();
        let cap = raw.supplier_cap.as_ref().unwrap();
        assert_eq!(
            (cap.level, cap.blocs.clone()),
            (0.6, vec!["EU".to_string()])
        );
        let path = FieldPath::parse("blocs.Japan.stockpiles.tungsten.initial_months").unwrap();
        set_number(&mut raw, &path, 3.0).unwrap();
        assert_eq!(
            raw.blocs["Japan"].stockpiles["tungsten"].initial_months,
            3.0
        );
    }

    #[test]
    fn sets_the_buffer_fields() {
        let mut raw = baseline();
        let set = |raw: &mut ScenarioFile, p: &str, v: f64| {
            set_number(raw, &FieldPath::parse(p).unwrap(), v).unwrap();
        };
        set(&mut raw, "blocs.EU.inventories.cobalt.cover_months", 5.0);
        set(&mut raw, "blocs.EU.inventories.cobalt.restock_months", 9.0);
        let inv = &raw.blocs["EU"].inventories["cobalt"];
        assert!(matches!(inv.cover_months, Param::Fixed(v) if v == 5.0));
        assert_eq!(inv.restock_months, 9.0);
        let name = "china-ga-ge-licence";
        set(
            &mut raw,
            &format!("disruptions.{name}.licence_recovery.processing_months"),
            2.0,
        );
        set(&mut raw, &format!("disruptions.{name}.leakage_share"), 0.3);
        let d = raw.disruptions.iter().find(|d| d.name == name).unwrap();
        let r = d.licence_recovery.as_ref().unwrap();
        assert!(matches!(r.processing_months, Some(Param::Fixed(v)) if v == 2.0));
        assert!(matches!(d.leakage_share, Some(Param::Fixed(v)) if v == 0.3));
        let err = set_number(
            &mut raw,
            &FieldPath::parse(&format!("disruptions.{name}.licence_recovery.half_lif")).unwrap(),
            1.0,
        )
        .unwrap_err();
        assert!(err.contains("half_life_months"), "{err}");
    }

    #[test]
    fn misspelt_segments_get_a_suggestion() {
        let mut raw = baseline();
        let err = set_number(
            &mut raw,
            &FieldPath::parse("disruptions.drc-cobalt-export-bann.severity").unwrap(),
            0.5,
        )
        .unwrap_err();
        assert!(
            err.contains("did you mean `drc-cobalt-export-ban`"),
            "{err}"
        );
        let err = set_number(
            &mut raw,
            &FieldPath::parse("blocs.EU.stockpiles.gallium.months").unwrap(),
            1.0,
        )
        .unwrap_err();
        assert!(err.contains("unknown field `months`"), "{err}");
        let err =
            set_number(&mut raw, &FieldPath::parse("horizon.months").unwrap(), 1.0).unwrap_err();
        assert!(err.contains("settable fields are"), "{err}");
        assert!(FieldPath::parse("blocs..EU").is_err());
    }
}
