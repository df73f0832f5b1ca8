//! `extends`: how a scenario that builds on another overrides it.
//!
//! The rule is "the child wins, at the finest level that still makes sense on its own":
//! named entries (materials, countries, blocs, stages, demand, stockpiles, inventories,
//! capacities) merge by name; a bloc's supplier shares for one stage are replaced as a whole,
//! because shares only make sense together (they must sum to 1); disruptions, partnerships,
//! price floors and new capacity replace an inherited entry of the same name or are appended.
//! Optional sections replace when given. Every inherited entry replaced whole (a named list's
//! entry or a map's: a stage, a capacity, a demand, a stage's sourcing shares, a recycling,
//! stockpile or inventory entry) is noted with what the replacement changed, so `check` can say
//! which fields went back to their defaults.

use super::diff::{diff_entries, Replaced};
use super::raw::*;

pub fn overlay(mut base: ScenarioFile, child: ScenarioFile) -> ScenarioFile {
    base.version = child.version;
    base.name = child.name.or(base.name);
    base.description = child.description.or(base.description);
    base.extends = None;
    base.sources.extend(child.sources);
    base.horizon = child.horizon.or(base.horizon);
    let mut replaced = std::mem::take(&mut base.replaced);
    for (name, m) in child.materials {
        match base.materials.get_mut(&name) {
            Some(b) => overlay_material(b, m, &format!("materials.{name}"), &mut replaced),
            None => {
                base.materials.insert(name, m);
            }
        }
    }
    for (name, c) in child.countries {
        let b = base.countries.entry(name.clone()).or_default();
        for (material, stages) in c.capacity {
            let section = format!("countries.{name}.capacity.{material}");
            let base_stages = b.capacity.entry(material).or_default();
            merge_map(&section, base_stages, stages, &mut replaced);
        }
    }
    for (name, c) in child.blocs {
        match base.blocs.get_mut(&name) {
            Some(b) => overlay_bloc(b, c, &format!("blocs.{name}"), &mut replaced),
            None => {
                base.blocs.insert(name, c);
            }
        }
    }
    Named::new("partnerships", &mut replaced).merge(
        &mut base.partnerships,
        child.partnerships,
        |p| &p.name,
    );
    base.tension = child.tension.or(base.tension);
    let base_names: Vec<String> = base.disruptions.iter().map(|d| d.name.clone()).collect();
    Named::new("disruptions", &mut replaced)
        .merge(&mut base.disruptions, child.disruptions, |d| &d.name);
    base.disruptions
        .retain(|d| !child.remove_disruptions.contains(&d.name));
    // Keep only names that matched nothing, so validation can refuse them.
    let inherited: Vec<String> = base_names;
    base.remove_disruptions = child
        .remove_disruptions
        .into_iter()
        .filter(|n| !inherited.contains(n))
        .collect();
    base.supplier_cap = child.supplier_cap.or(base.supplier_cap);
    Named::new("price_floors", &mut replaced).merge(
        &mut base.price_floors,
        child.price_floors,
        |p| &p.name,
    );
    Named::new("new_capacity", &mut replaced).merge(
        &mut base.new_capacity,
        child.new_capacity,
        |c| &c.name,
    );
    base.replaced = replaced;
    base
}

fn overlay_material(base: &mut Material, child: Material, at: &str, replaced: &mut Vec<Replaced>) {
    base.unit = child.unit.or(base.unit.take());
    base.critical = child.critical.or(base.critical);
    base.strategic = child.strategic.or(base.strategic);
    merge_map(
        &format!("{at}.stages"),
        &mut base.stages,
        child.stages,
        replaced,
    );
    base.price = child.price.or(base.price.take());
}

fn overlay_bloc(base: &mut Bloc, child: Bloc, at: &str, replaced: &mut Vec<Replaced>) {
    if !child.members.is_empty() {
        base.members = child.members;
    }
    merge_map(
        &format!("{at}.demand"),
        &mut base.demand,
        child.demand,
        replaced,
    );
    for (material, stages) in child.sourcing {
        let section = format!("{at}.sourcing.{material}");
        let base_stages = base.sourcing.entry(material).or_default();
        merge_map(&section, base_stages, stages, replaced);
    }
    merge_map(
        &format!("{at}.recycling"),
        &mut base.recycling,
        child.recycling,
        replaced,
    );
    merge_map(
        &format!("{at}.stockpiles"),
        &mut base.stockpiles,
        child.stockpiles,
        replaced,
    );
    merge_map(
        &format!("{at}.inventories"),
        &mut base.inventories,
        child.inventories,
        replaced,
    );
}

/// Merges a map of named entries (stages, capacities, demand, sourcing shares of a stage,
/// recycling, stockpiles, inventories): a child's entry replaces the inherited one of the same
/// name whole, and is noted with what that changed, as for the named lists.
fn merge_map<T: serde::Serialize>(
    section: &str,
    base: &mut ByName<T>,
    child: ByName<T>,
    replaced: &mut Vec<Replaced>,
) {
    for (name, item) in child {
        if let Some(old) = base.get(&name) {
            replaced.push(Replaced {
                section: section.to_string(),
                name: name.clone(),
                changes: diff_entries(old, &item),
            });
        }
        base.insert(name, item);
    }
}

/// Merges a named list and notes each inherited entry replaced whole, with what that changed
/// (`check` shows it: fields the child leaves out take their defaults, not the base's values).
struct Named<'a> {
    section: String,
    replaced: &'a mut Vec<Replaced>,
}

impl<'a> Named<'a> {
    fn new(section: &str, replaced: &'a mut Vec<Replaced>) -> Self {
        Named {
            section: section.to_string(),
            replaced,
        }
    }

    fn merge<T: serde::Serialize>(
        &mut self,
        base: &mut Vec<T>,
        child: Vec<T>,
        name: impl Fn(&T) -> &String,
    ) {
        for item in child {
            match base.iter().position(|b| name(b) == name(&item)) {
                Some(i) => {
                    self.replaced.push(Replaced {
                        section: self.section.clone(),
                        name: name(&item).clone(),
                        changes: diff_entries(&base[i], &item),
                    });
                    base[i] = item;
                }
                None => base.push(item),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ScenarioFile {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .expect("test scenario parses")
    }

    /// Every map entry a child writes under an inherited name is noted with the fields that went
    /// back to their defaults, and a new name is not noted.
    #[test]
    fn notes_each_map_entry_an_extends_child_replaces() {
        let base = parse(
            r#"Scenario(version: 1,
            materials: { "gallium": (stages: { "mining": (), "refining": (draws_on: "mining", feed_stock_months: 2.0) }) },
            countries: { "China": (capacity: { "gallium": { "refining": (tonnes_per_year: 600, utilisation: 0.8) } }) },
            blocs: { "EU": (
                demand: { "gallium": (tonnes_per_year: 85, growth_per_year: 0.05) },
                recycling: { "gallium": (share_of_demand: 0.1) },
                stockpiles: { "gallium": (initial_months: 3, max_release_share: 0.5) },
                inventories: { "gallium": (cover_months: 2, restock_months: 9) },
            ) },
        )"#,
        );
        let child = parse(
            r#"Scenario(version: 1,
            materials: { "gallium": (stages: { "refining": (draws_on: "mining") }) },
            countries: { "China": (capacity: { "gallium": { "refining": (tonnes_per_year: 700) } }) },
            blocs: { "EU": (
                demand: { "gallium": (tonnes_per_year: 90) },
                stockpiles: { "gallium": (initial_months: 6) },
                inventories: { "gallium": (cover_months: 2) },
                recycling: { "germanium": (share_of_demand: 0.2) },
            ) },
        )"#,
        );
        let merged = overlay(base, child);
        let lines: Vec<String> = merged.replaced.iter().map(|r| r.to_string()).collect();
        let expected = [
            "materials.gallium.stages[refining] replaced whole\n  feed_stock_months: 2.0 → (none)",
            "countries.China.capacity.gallium[refining] replaced whole\n  tonnes_per_year: 600.0 → 700.0\n  utilisation: 0.8 → 0.85",
            "blocs.EU.demand[gallium] replaced whole\n  growth_per_year: 0.05 → (none)\n  tonnes_per_year: 85.0 → 90.0",
            "blocs.EU.stockpiles[gallium] replaced whole\n  initial_months: 3.0 → 6.0\n  max_release_share: 0.5 → 1.0",
            "blocs.EU.inventories[gallium] replaced whole\n  restock_months: 9.0 → 6.0",
        ];
        assert_eq!(lines, expected);
        // The replacement took effect, and the untouched entries are inherited.
        let eu = &merged.blocs["EU"];
        assert_eq!(eu.stockpiles["gallium"].max_release_share, 1.0);
        assert_eq!(eu.recycling.len(), 2);
        assert!(merged.materials["gallium"].stages.contains_key("mining"));
    }
}
