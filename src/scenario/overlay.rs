//! `extends`: how a scenario that builds on another overrides it.
//!
//! The rule is "the child wins, at the finest level that still makes sense on its own":
//! named entries (materials, countries, blocs, stages, demand, stockpiles, inventories,
//! capacities) merge by name; a bloc's supplier shares for one stage are replaced as a whole,
//! because shares only make sense together (they must sum to 1); disruptions, partnerships,
//! price floors and new capacity replace an inherited entry of the same name or are appended.
//! Optional sections replace when given.

use super::diff::{diff_entries, Replaced};
use super::raw::*;

pub fn overlay(mut base: ScenarioFile, child: ScenarioFile) -> ScenarioFile {
    base.version = child.version;
    base.name = child.name.or(base.name);
    base.description = child.description.or(base.description);
    base.extends = None;
    base.sources.extend(child.sources);
    base.horizon = child.horizon.or(base.horizon);
    for (name, m) in child.materials {
        match base.materials.get_mut(&name) {
            Some(b) => overlay_material(b, m),
            None => {
                base.materials.insert(name, m);
            }
        }
    }
    for (name, c) in child.countries {
        let b = base.countries.entry(name).or_default();
        for (material, stages) in c.capacity {
            b.capacity.entry(material).or_default().extend(stages);
        }
    }
    for (name, c) in child.blocs {
        match base.blocs.get_mut(&name) {
            Some(b) => overlay_bloc(b, c),
            None => {
                base.blocs.insert(name, c);
            }
        }
    }
    let mut replaced = std::mem::take(&mut base.replaced);
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

fn overlay_material(base: &mut Material, child: Material) {
    base.unit = child.unit.or(base.unit.take());
    base.critical = child.critical.or(base.critical);
    base.strategic = child.strategic.or(base.strategic);
    base.stages.extend(child.stages);
    base.price = child.price.or(base.price.take());
}

fn overlay_bloc(base: &mut Bloc, child: Bloc) {
    if !child.members.is_empty() {
        base.members = child.members;
    }
    base.demand.extend(child.demand);
    for (material, stages) in child.sourcing {
        base.sourcing.entry(material).or_default().extend(stages);
    }
    base.recycling.extend(child.recycling);
    base.stockpiles.extend(child.stockpiles);
    base.inventories.extend(child.inventories);
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
