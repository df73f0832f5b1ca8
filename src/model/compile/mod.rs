//! Validation: a loaded scenario becomes a `Model`, or every problem found is reported at once.
//!
//! Each check names the field path the analyst wrote, what was found and what would be valid.
//! Problems in one section do not stop the checks of the others, so a file is fixed in one pass.

use super::dist::{self, Bounds, Dist};
use super::*;
use crate::scenario::diagnostic::{did_you_mean, unknown_name_hint, InvalidScenario, Issue};
use crate::scenario::raw;
use crate::scenario::{LoadedScenario, Param};

mod blocs;
mod cells;
mod disruptions;
mod floors;
mod horizon;
pub(crate) use horizon::parse_month;
mod materials;
mod new_capacity;
mod suppliers;
mod tension;

/// Shares of one bloc, material and stage must sum to 1 within this.
pub const SHARE_SUM_TOLERANCE: f64 = 0.01;
/// Calm-time commitments may exceed a supplier's capacity by at most this share (rounding in data).
pub const CAPACITY_TOLERANCE: f64 = 0.01;
pub const MAX_MONTHS: u32 = 600;

struct Ctx<'a> {
    src: &'a LoadedScenario,
    issues: Vec<Issue>,
}

impl Ctx<'_> {
    fn err(&mut self, path: &[&str], message: impl Into<String>) {
        let issue = self.src.issue(path, message);
        self.issues.push(issue);
    }

    fn finite_in(&mut self, path: &[&str], v: f64, lo: f64, hi: f64, what: &str) -> bool {
        let ok = v.is_finite() && v >= lo && v <= hi;
        if !ok {
            self.err(path, format!("found {v}; expected {what}"));
        }
        ok
    }

    fn dist(&mut self, path: &[&str], p: &Param, bounds: Bounds) -> Dist {
        match Dist::build(p, bounds) {
            Ok(d) => d,
            Err(e) => {
                self.err(path, e);
                Dist::Fixed(bounds.min.max(0.0))
            }
        }
    }
}

fn index_of(names: &[String], name: &str) -> Option<usize> {
    names.iter().position(|n| n == name)
}

/// Names of the scenario's countries, blocs and materials, in index order: what references
/// are resolved against.
struct Names {
    countries: Vec<String>,
    blocs: Vec<String>,
    materials: Vec<String>,
}

impl Names {
    /// The names, and the errors of a scenario without materials or blocs, or with too many blocs.
    fn new(cx: &mut Ctx, raw: &raw::ScenarioFile) -> Names {
        let country_names: Vec<String> = raw.countries.keys().cloned().collect();
        let bloc_names: Vec<String> = raw.blocs.keys().cloned().collect();
        let material_names: Vec<String> = raw.materials.keys().cloned().collect();
        if material_names.is_empty() {
            cx.err(
                &["materials"],
                "the scenario defines no material; add at least one under `materials`",
            );
        }
        if bloc_names.is_empty() {
            cx.err(
                &["blocs"],
                "the scenario defines no bloc; add at least one consumer under `blocs`",
            );
        }
        if bloc_names.len() > MAX_BLOCS {
            cx.err(
                &["blocs"],
                format!(
                    "{} blocs; at most {MAX_BLOCS} are supported",
                    bloc_names.len()
                ),
            );
        }
        Names {
            countries: country_names,
            blocs: bloc_names,
            materials: material_names,
        }
    }
}

/// What disruptions are resolved against: the names, the materials with their suppliers, and
/// each country's bloc memberships.
struct Refs<'a> {
    names: &'a Names,
    materials: &'a [MaterialModel],
    member_of: &'a [u64],
}

/// Compile a loaded scenario into a validated model.
pub fn compile(src: &LoadedScenario) -> Result<Model, InvalidScenario> {
    let mut cx = Ctx {
        src,
        issues: Vec::new(),
    };
    let raw = &src.raw;

    let (start, months) = horizon::horizon(&mut cx, raw);
    let names = Names::new(&mut cx, raw);
    let (mut blocs, member_of) = blocs::blocs(&mut cx, raw, &names);
    let mut materials = materials::materials(&mut cx, raw);
    suppliers::suppliers(&mut cx, raw, &names, &member_of, &mut materials);
    suppliers::partnerships(&mut cx, raw, &names, &mut materials, &mut blocs);
    let cells = cells::cells(
        &mut cx,
        raw,
        &names,
        &materials,
        blocs.len(),
        (start, months),
    );
    // After the cells, so an appended zero-capacity supplier never enters a world mix; before
    // the disruptions, so measures on its country hit it.
    let new_capacity =
        new_capacity::new_capacity(&mut cx, raw, &names, &member_of, start, &mut materials);
    suppliers::partnership_priorities(raw, &names, &new_capacity, &mut materials);
    let refs = Refs {
        names: &names,
        materials: &materials,
        member_of: &member_of,
    };
    let mut disruptions = disruptions::disruptions(&mut cx, src, &refs, (start, months));
    let tension = tension::tension(&mut cx, raw, &mut disruptions);
    let price_floors = floors::price_floors(&mut cx, raw, &names, &materials);
    floors::check_priced(&mut cx, raw);
    if !cx.issues.is_empty() {
        return Err(InvalidScenario { issues: cx.issues });
    }

    let mut model = Model {
        name: src.name(),
        description: raw.description.clone().unwrap_or_default(),
        sources: raw.sources.iter().map(|s| s.text.clone()).collect(),
        source_confidence: raw.sources.iter().map(|s| s.confidence).collect(),
        start,
        months,
        materials,
        countries: names.countries,
        blocs,
        cells,
        disruptions,
        tension,
        price_floors,
        cap_report: Vec::new(),
        cap_watch: None,
        cap_level: None,
        cap_shift: None,
        new_capacity,
        parameter_sets: 0,
    };

    if let Some(cap) = &raw.supplier_cap {
        let spec = cap::resolve(&mut cx.issues, src, &model, cap);
        if cx.issues.is_empty() {
            if let Some(spec) = spec {
                model.cap_level = Some(spec.level);
                match spec.binding.filter(|b| !b.is_static()) {
                    // Binds from the first month: the sourcing is rebalanced once, here.
                    None => model.cap_report = cap::apply(&mut model, &spec),
                    // Binds later: the cells keep the market sourcing, and the kernel moves it
                    // toward the capped one from the binding month (docs/model.md, phase 2c).
                    Some(binding) => {
                        let mut capped = model.clone();
                        model.cap_report = cap::apply(&mut capped, &spec);
                        let links = cap::shift_links(&model, &capped, &model.cap_report);
                        model.cap_shift = Some(cap::CapShift { binding, links });
                    }
                }
                model.cap_watch = Some(spec);
            }
        }
    }
    check_capacity(&mut cx, &model);
    if !cx.issues.is_empty() {
        return Err(InvalidScenario { issues: cx.issues });
    }
    Ok(model)
}

/// Calm-time commitments (every bloc's need from a supplier) must fit in its capacity.
fn check_capacity(cx: &mut Ctx, model: &Model) {
    for (mi, mat) in model.materials.iter().enumerate() {
        for (si, stage) in mat.stages.iter().enumerate() {
            let committed = model.committed_flows(mi, si);
            for (ki, sup) in stage.suppliers.iter().enumerate() {
                if committed[ki] > sup.capacity_t_per_month * (1.0 + CAPACITY_TOLERANCE) + 1e-9 {
                    let cname = &model.countries[sup.country];
                    cx.err(
                        &["countries", cname, "capacity", &mat.name, &stage.name, "tonnes_per_year"],
                        format!(
                            "the blocs' sourcing asks {:.0} t/yr of {} {} from {cname}, more than its capacity {:.0} t/yr; raise the capacity or lower the blocs' shares from {cname}",
                            committed[ki] * 12.0,
                            mat.name,
                            stage.name,
                            sup.capacity_t_per_month * 12.0
                        ),
                    );
                }
            }
        }
    }
}
