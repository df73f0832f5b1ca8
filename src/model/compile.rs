//! Validation: a loaded scenario becomes a `Model`, or every problem found is reported at once.
//!
//! Each check names the field path the analyst wrote, what was found and what would be valid.
//! Problems in one section do not stop the checks of the others, so a file is fixed in one pass.

use std::collections::BTreeMap;

use super::dist::{self, Bounds, Dist};
use super::*;
use crate::scenario::diagnostic::{did_you_mean, unknown_name_hint, InvalidScenario, Issue};
use crate::scenario::raw::{self, DisruptionKind};
use crate::scenario::{LoadedScenario, Param};

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

/// Compile a loaded scenario into a validated model.
pub fn compile(src: &LoadedScenario) -> Result<Model, InvalidScenario> {
    let mut cx = Ctx {
        src,
        issues: Vec::new(),
    };
    let raw = &src.raw;

    // Horizon.
    let (start, months) = match &raw.horizon {
        None => ((2026, 1), 60),
        Some(h) => {
            let start = parse_month(&h.start).unwrap_or_else(|| {
                cx.err(
                    &["horizon", "start"],
                    format!("found \"{}\"; expected a month \"YYYY-MM\"", h.start),
                );
                (2026, 1)
            });
            if h.months == 0 || h.months > MAX_MONTHS {
                cx.err(
                    &["horizon", "months"],
                    format!("found {}; expected 1 to {MAX_MONTHS} months", h.months),
                );
            }
            (start, h.months.clamp(1, MAX_MONTHS) as usize)
        }
    };

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

    // Bloc membership, needed before suppliers are built.
    let mut member_of = vec![0u64; country_names.len()];
    let mut blocs: Vec<BlocModel> = Vec::new();
    for (b, (bname, bloc)) in raw.blocs.iter().enumerate() {
        let mut members = Vec::new();
        for m in &bloc.members {
            match index_of(&country_names, m) {
                Some(c) => {
                    members.push(c);
                    if b < MAX_BLOCS {
                        member_of[c] |= 1 << b;
                    }
                }
                None => cx.err(
                    &["blocs", bname, "members", m],
                    unknown_name_hint(m, "country", country_names.iter().map(String::as_str)),
                ),
            }
        }
        blocs.push(BlocModel {
            name: bname.clone(),
            members,
            shares_stock_with: vec![0; material_names.len()],
        });
    }

    // Materials and their stage chains.
    let mut materials: Vec<MaterialModel> = Vec::new();
    for (mname, m) in &raw.materials {
        let stages = order_stages(&mut cx, mname, m);
        for (sname, st) in &m.stages {
            if let Some(w) = st.world_production_t_per_year {
                cx.finite_in(
                    &[
                        "materials",
                        mname,
                        "stages",
                        sname,
                        "world_production_t_per_year",
                    ],
                    w,
                    f64::MIN_POSITIVE,
                    1e12,
                    "a world total > 0 tonnes per year",
                );
            }
        }
        let price = match &m.price {
            None => PriceParams {
                base_usd_per_t: 1.0,
                scarcity_sensitivity: 4.0,
                demand_elasticity: 0.05,
                max_substitution: 0.15,
            },
            Some(p) => {
                let path = |f: &'static str| ["materials", mname.as_str(), "price", f];
                cx.finite_in(
                    &path("base_usd_per_t"),
                    p.base_usd_per_t,
                    f64::MIN_POSITIVE,
                    f64::MAX,
                    "a price > 0 (USD per tonne)",
                );
                cx.finite_in(
                    &path("scarcity_sensitivity"),
                    p.scarcity_sensitivity,
                    0.0,
                    1000.0,
                    "a number in [0, 1000]",
                );
                cx.finite_in(
                    &path("demand_elasticity"),
                    p.demand_elasticity,
                    0.0,
                    10.0,
                    "a number in [0, 10]",
                );
                cx.finite_in(
                    &path("max_substitution"),
                    p.max_substitution,
                    0.0,
                    0.99,
                    "a share in [0, 0.99]",
                );
                PriceParams {
                    base_usd_per_t: p.base_usd_per_t,
                    scarcity_sensitivity: p.scarcity_sensitivity,
                    demand_elasticity: p.demand_elasticity,
                    max_substitution: p.max_substitution,
                }
            }
        };
        materials.push(MaterialModel {
            name: mname.clone(),
            unit: m.unit.clone().unwrap_or_else(|| "t".into()),
            critical: m.critical.unwrap_or(false) || m.strategic.unwrap_or(false),
            strategic: m.strategic.unwrap_or(false),
            stages: stages
                .into_iter()
                .map(|name| StageModel {
                    published_world_production: m
                        .stages
                        .get(&name)
                        .and_then(|st| st.world_production_t_per_year),
                    name,
                    suppliers: Vec::new(),
                })
                .collect(),
            price,
        });
    }

    // Suppliers: country capacities.
    for (c, (cname, country)) in raw.countries.iter().enumerate() {
        for (mname, by_stage) in &country.capacity {
            let Some(mi) = index_of(&material_names, mname) else {
                cx.err(
                    &["countries", cname, "capacity", mname],
                    unknown_name_hint(mname, "material", material_names.iter().map(String::as_str)),
                );
                continue;
            };
            for (sname, cap) in by_stage {
                let stage_names: Vec<String> = materials[mi]
                    .stages
                    .iter()
                    .map(|s| s.name.clone())
                    .collect();
                let Some(si) = index_of(&stage_names, sname) else {
                    cx.err(
                        &["countries", cname, "capacity", mname, sname],
                        unknown_name_hint(
                            sname,
                            &format!("stage of {mname}"),
                            stage_names.iter().map(String::as_str),
                        ),
                    );
                    continue;
                };
                let path = |f: &'static str| {
                    [
                        "countries",
                        cname.as_str(),
                        "capacity",
                        mname.as_str(),
                        sname.as_str(),
                        f,
                    ]
                };
                cx.finite_in(
                    &path("tonnes_per_year"),
                    cap.tonnes_per_year,
                    0.0,
                    1e12,
                    "a capacity >= 0 tonnes per year",
                );
                cx.finite_in(
                    &path("utilisation"),
                    cap.utilisation,
                    1e-9,
                    1.0,
                    "a share in (0, 1]",
                );
                cx.finite_in(
                    &path("ramp_up_months"),
                    cap.ramp_up_months,
                    0.0,
                    240.0,
                    "months in [0, 240]",
                );
                if let Some(cost) = cap.unit_cost_usd_per_t {
                    cx.finite_in(
                        &path("unit_cost_usd_per_t"),
                        cost,
                        0.0,
                        f64::MAX,
                        "a cost >= 0 USD per tonne",
                    );
                }
                materials[mi].stages[si].suppliers.push(Supplier {
                    country: c,
                    capacity_t_per_month: cap.tonnes_per_year / 12.0,
                    utilisation: cap.utilisation,
                    ramp_up_months: cap.ramp_up_months,
                    unit_cost_usd_per_t: cap.unit_cost_usd_per_t,
                    priority_blocs: member_of[c],
                    member_of: member_of[c],
                });
            }
        }
    }

    // Partnerships: priority access to spare output, stockpile sharing.
    for p in &raw.partnerships {
        let mut bloc_mask = 0u64;
        for b in &p.blocs {
            match index_of(&bloc_names, b) {
                Some(bi) if bi < MAX_BLOCS => bloc_mask |= 1 << bi,
                _ => cx.err(
                    &["partnerships", &p.name, "blocs", b],
                    unknown_name_hint(b, "bloc", bloc_names.iter().map(String::as_str)),
                ),
            }
        }
        let mut countries = Vec::new();
        for c in &p.countries {
            match index_of(&country_names, c) {
                Some(ci) => countries.push(ci),
                None => cx.err(
                    &["partnerships", &p.name, "countries", c],
                    unknown_name_hint(c, "country", country_names.iter().map(String::as_str)),
                ),
            }
        }
        let mut mats = Vec::new();
        for m in &p.materials {
            match index_of(&material_names, m) {
                Some(mi) => mats.push(mi),
                None => cx.err(
                    &["partnerships", &p.name, "materials", m],
                    unknown_name_hint(m, "material", material_names.iter().map(String::as_str)),
                ),
            }
        }
        if mats.is_empty() {
            mats = (0..materials.len()).collect();
        }
        for &mi in &mats {
            for stage in &mut materials[mi].stages {
                for s in &mut stage.suppliers {
                    if countries.contains(&s.country) {
                        s.priority_blocs |= bloc_mask;
                    }
                }
            }
            if p.stockpile_sharing {
                for (bi, bloc) in blocs.iter_mut().enumerate() {
                    if bi < MAX_BLOCS && bloc_mask & (1 << bi) != 0 {
                        bloc.shares_stock_with[mi] |= bloc_mask & !(1 << bi);
                    }
                }
            }
        }
    }

    // Cells: demand, sourcing, recycling, stockpiles.
    let mut cells: Vec<Vec<Option<Cell>>> = vec![vec![None; materials.len()]; blocs.len()];
    for (b, (bname, bloc)) in raw.blocs.iter().enumerate() {
        for mname in bloc
            .sourcing
            .keys()
            .chain(bloc.recycling.keys())
            .chain(bloc.stockpiles.keys())
        {
            if !bloc.demand.contains_key(mname) {
                let section = if bloc.sourcing.contains_key(mname) {
                    "sourcing"
                } else if bloc.recycling.contains_key(mname) {
                    "recycling"
                } else {
                    "stockpiles"
                };
                if index_of(&material_names, mname).is_none() {
                    cx.err(
                        &["blocs", bname, section, mname],
                        unknown_name_hint(
                            mname,
                            "material",
                            material_names.iter().map(String::as_str),
                        ),
                    );
                } else {
                    cx.err(&["blocs", bname, section, mname], format!("`{bname}` has no demand for {mname}; add `demand: {{ \"{mname}\": (tonnes_per_year: ..) }}` or remove this entry"));
                }
            }
        }
        for (mname, demand) in &bloc.demand {
            let Some(mi) = index_of(&material_names, mname) else {
                cx.err(
                    &["blocs", bname, "demand", mname],
                    unknown_name_hint(mname, "material", material_names.iter().map(String::as_str)),
                );
                continue;
            };
            if let Some(cell) = build_cell(
                &mut cx,
                b,
                bname,
                mi,
                &materials[mi],
                &country_names,
                bloc,
                demand,
            ) {
                cells[b][mi] = Some(cell);
            }
        }
    }

    // Disruptions.
    let disruption_names: Vec<String> = raw.disruptions.iter().map(|d| d.name.clone()).collect();
    for (i, n) in disruption_names.iter().enumerate() {
        if disruption_names[..i].contains(n) {
            cx.err(
                &["disruptions", n],
                format!("two disruptions are named `{n}`; names must be unique"),
            );
        }
    }
    // After `extends`, only names that matched no inherited disruption are left here.
    for n in &raw.remove_disruptions {
        let message = if src.texts.len() == 1 {
            format!("`remove_disruptions` drops inherited disruptions, but this file extends nothing; delete `{n}` from the list or add `extends`")
        } else {
            format!(
                "no inherited disruption is named `{n}`{}",
                did_you_mean(n, disruption_names.iter().map(String::as_str))
                    .map_or(String::new(), |g| format!("; did you mean `{g}`?"))
            )
        };
        cx.err(&["remove_disruptions", n], message);
    }
    // Disabled disruptions are validated too, so switching one on never reveals old errors.
    let mut disruptions = Vec::new();
    for d in raw.disruptions.iter() {
        if let Some(dm) = build_disruption(
            &mut cx,
            d,
            &materials,
            &material_names,
            &country_names,
            &bloc_names,
            &member_of,
            &disruption_names,
            (start, months),
        ) {
            if d.enabled {
                disruptions.push(dm);
            }
        }
    }
    // Trigger targets were validated by name against all disruptions; re-index to enabled ones.
    let enabled: Vec<&str> = raw
        .disruptions
        .iter()
        .filter(|d| d.enabled)
        .map(|d| d.name.as_str())
        .collect();
    for d in &mut disruptions {
        d.triggers.retain_mut(|t| {
            let name = &disruption_names[t.target];
            match enabled.iter().position(|n| n == name) {
                Some(k) => {
                    t.target = k;
                    true
                }
                None => false,
            }
        });
    }

    let tension = match &raw.tension {
        None => TensionModel::none(),
        Some(t) => build_tension(&mut cx, t),
    };
    for d in &mut disruptions {
        d.regime_multipliers = tension
            .regimes
            .iter()
            .map(|(_, m)| m.powf(d.tension_sensitivity))
            .collect();
    }

    let mut price_floors = Vec::new();
    for f in &raw.price_floors {
        let base = ["price_floors", f.name.as_str()];
        let Some(mi) = index_of(&material_names, &f.material) else {
            cx.err(
                &[base[0], base[1], "material"],
                unknown_name_hint(
                    &f.material,
                    "material",
                    material_names.iter().map(String::as_str),
                ),
            );
            continue;
        };
        let mat = &materials[mi];
        let stage = match &f.stage {
            None => mat.stages.len().saturating_sub(1),
            Some(s) => match mat.stages.iter().position(|st| &st.name == s) {
                Some(si) => si,
                None => {
                    cx.err(
                        &[base[0], base[1], "stage"],
                        unknown_name_hint(
                            s,
                            &format!("stage of {}", f.material),
                            mat.stages.iter().map(|s| s.name.as_str()),
                        ),
                    );
                    continue;
                }
            },
        };
        cx.finite_in(
            &[base[0], base[1], "floor_usd_per_t"],
            f.floor_usd_per_t,
            0.0,
            f64::MAX,
            "a price >= 0 USD per tonne",
        );
        let Some(paid_by) = index_of(&bloc_names, &f.paid_by) else {
            cx.err(
                &[base[0], base[1], "paid_by"],
                unknown_name_hint(&f.paid_by, "bloc", bloc_names.iter().map(String::as_str)),
            );
            continue;
        };
        let mut suppliers = Vec::new();
        for c in &f.countries {
            let Some(ci) = index_of(&country_names, c) else {
                cx.err(
                    &[base[0], base[1], "countries", c],
                    unknown_name_hint(c, "country", country_names.iter().map(String::as_str)),
                );
                continue;
            };
            match mat
                .stages
                .get(stage)
                .and_then(|st| st.suppliers.iter().position(|s| s.country == ci))
            {
                Some(si) => suppliers.push(si),
                None => cx.err(
                    &[base[0], base[1], "countries", c],
                    format!(
                        "{c} has no {} capacity for {}; a floor can only cover producers",
                        mat.stages.get(stage).map_or("", |s| s.name.as_str()),
                        f.material
                    ),
                ),
            }
        }
        price_floors.push(PriceFloorModel {
            name: f.name.clone(),
            material: mi,
            stage,
            floor_usd_per_t: f.floor_usd_per_t,
            suppliers,
            paid_by,
        });
    }

    // Costs and floors are compared with the market price, which needs a base price.
    for (mname, m) in &raw.materials {
        if m.price.is_some() {
            continue;
        }
        for (cname, c) in &raw.countries {
            for (sname, cap) in c.capacity.get(mname).into_iter().flatten() {
                if cap.unit_cost_usd_per_t.is_some() {
                    cx.err(
                        &["countries", cname, "capacity", mname, sname, "unit_cost_usd_per_t"],
                        format!("a unit cost needs a market price to compare with; add `price: (base_usd_per_t: ..)` to `materials.\"{mname}\"`"),
                    );
                }
            }
        }
        for f in raw.price_floors.iter().filter(|f| &f.material == mname) {
            cx.err(
                &["price_floors", &f.name, "floor_usd_per_t"],
                format!("a price floor needs a market price to compare with; add `price: (base_usd_per_t: ..)` to `materials.\"{mname}\"`"),
            );
        }
    }
    if !cx.issues.is_empty() {
        return Err(InvalidScenario { issues: cx.issues });
    }

    let mut model = Model {
        name: src.name(),
        description: raw.description.clone().unwrap_or_default(),
        sources: raw.sources.clone(),
        start,
        months,
        materials,
        countries: country_names,
        blocs,
        cells,
        disruptions,
        tension,
        price_floors,
        cap_report: Vec::new(),
        cap_watch: None,
        cap_level: None,
    };

    if let Some(cap) = &raw.supplier_cap {
        let spec = cap::resolve(&mut cx.issues, src, &model, cap);
        if cx.issues.is_empty() {
            if let Some(spec) = spec {
                model.cap_level = Some(spec.level);
                model.cap_report = cap::apply(&mut model, &spec);
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

fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1900..=2200).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

/// Stages ordered upstream-first, checking that they form one chain without cycles.
fn order_stages(cx: &mut Ctx, mname: &str, m: &raw::Material) -> Vec<String> {
    let names: Vec<String> = m.stages.keys().cloned().collect();
    if names.is_empty() {
        cx.err(
            &["materials", mname, "stages"],
            "no stages; give at least one, e.g. `stages: { \"mining\": () }`",
        );
        return vec!["mining".into()];
    }
    let mut upstream: BTreeMap<&str, &str> = BTreeMap::new();
    let mut ok = true;
    for (sname, stage) in &m.stages {
        if let Some(up) = &stage.draws_on {
            if !m.stages.contains_key(up) {
                cx.err(
                    &["materials", mname, "stages", sname, "draws_on"],
                    unknown_name_hint(
                        up,
                        &format!("stage of {mname}"),
                        names.iter().map(String::as_str),
                    ),
                );
                ok = false;
            } else if up == sname {
                cx.err(
                    &["materials", mname, "stages", sname, "draws_on"],
                    format!(
                        "stage `{sname}` draws on itself; stages must form a chain without cycles"
                    ),
                );
                ok = false;
            } else {
                upstream.insert(sname, up);
            }
        }
    }
    if !ok {
        return names;
    }
    // Cycle check: walk upstream from every stage.
    for start in upstream.keys() {
        let mut seen = vec![*start];
        let mut cur = *start;
        while let Some(up) = upstream.get(cur) {
            if seen.contains(up) {
                seen.push(up);
                cx.err(
                    &["materials", mname, "stages", start, "draws_on"],
                    format!(
                        "stages form a cycle: {}; each stage must draw on one further upstream",
                        seen.join(" → ")
                    ),
                );
                return names;
            }
            seen.push(up);
            cur = up;
        }
    }
    let roots: Vec<&String> = names
        .iter()
        .filter(|n| !upstream.contains_key(n.as_str()))
        .collect();
    let mut drawn_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (down, up) in &upstream {
        drawn_by.entry(up).or_default().push(down);
    }
    if roots.len() != 1 || drawn_by.values().any(|v| v.len() > 1) {
        cx.err(&["materials", mname, "stages"], {
            let branching: Vec<String> = drawn_by
                .iter()
                .filter(|(_, v)| v.len() > 1)
                .map(|(k, v)| format!("`{k}` is drawn on by {}", v.join(" and ")))
                .collect();
            let firsts: Vec<&str> = roots.iter().map(|r| r.as_str()).collect();
            format!(
                "stages must form a single chain (e.g. mining → processing → magnets); {}",
                if branching.is_empty() {
                    format!(
                        "found {} stages that draw on nothing ({})",
                        firsts.len(),
                        firsts.join(", ")
                    )
                } else {
                    branching.join("; ")
                }
            )
        });
        return names;
    }
    let mut order = vec![roots[0].clone()];
    while let Some(next) = drawn_by.get(order.last().unwrap().as_str()) {
        order.push(next[0].to_string());
    }
    order
}

#[allow(clippy::too_many_arguments)]
fn build_cell(
    cx: &mut Ctx,
    b: usize,
    bname: &str,
    mi: usize,
    mat: &MaterialModel,
    country_names: &[String],
    bloc: &raw::Bloc,
    demand: &raw::Demand,
) -> Option<Cell> {
    let mname = mat.name.as_str();
    let ok = cx.finite_in(
        &["blocs", bname, "demand", mname, "tonnes_per_year"],
        demand.tonnes_per_year,
        0.0,
        1e12,
        "a demand >= 0 tonnes per year",
    );
    let growth = match &demand.growth_per_year {
        None => Dist::Fixed(0.0),
        Some(p) => cx.dist(
            &["blocs", bname, "demand", mname, "growth_per_year"],
            p,
            dist::GROWTH,
        ),
    };
    let (recycling_start, recycling_end) = match bloc.recycling.get(mname) {
        None => (0.0, 0.0),
        Some(r) => {
            let path = ["blocs", bname, "recycling", mname];
            cx.finite_in(
                &[path[0], path[1], path[2], path[3], "share_of_demand"],
                r.share_of_demand,
                0.0,
                1.0,
                "a share in [0, 1]",
            );
            let end = r.share_at_end.unwrap_or(r.share_of_demand);
            cx.finite_in(
                &[path[0], path[1], path[2], path[3], "share_at_end"],
                end,
                0.0,
                1.0,
                "a share in [0, 1]",
            );
            (r.share_of_demand, end)
        }
    };
    let mut sourcing = Vec::new();
    let given = bloc.sourcing.get(mname);
    if let Some(given) = given {
        for sname in given.keys() {
            if !mat.stages.iter().any(|s| &s.name == sname) {
                cx.err(
                    &["blocs", bname, "sourcing", mname, sname],
                    unknown_name_hint(
                        sname,
                        &format!("stage of {mname}"),
                        mat.stages.iter().map(|s| s.name.as_str()),
                    ),
                );
            }
        }
    }
    for stage in &mat.stages {
        let sname = stage.name.as_str();
        let path = ["blocs", bname, "sourcing", mname, sname];
        match given.and_then(|g| g.get(sname)) {
            Some(shares) => {
                let mut row = Vec::new();
                let mut sum = 0.0;
                let mut all_valid = true;
                for (cname, &share) in shares {
                    let mut p = path.to_vec();
                    p.push(cname);
                    if !cx.finite_in(&p, share, 0.0, 1.0, "a share in [0, 1] (0.65, not 65)") {
                        all_valid = false;
                        continue;
                    }
                    sum += share;
                    let Some(ci) = index_of(country_names, cname) else {
                        cx.err(
                            &p,
                            unknown_name_hint(
                                cname,
                                "country",
                                country_names.iter().map(String::as_str),
                            ),
                        );
                        continue;
                    };
                    match stage.suppliers.iter().position(|s| s.country == ci) {
                        Some(si) => row.push((si, share)),
                        None => cx.err(&p, format!("{cname} has no {sname} capacity for {mname}; add it under `countries.\"{cname}\".capacity` or source from a country that has")),
                    }
                }
                if all_valid && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
                    cx.err(&path, format!("supplier shares sum to {sum:.4}; they must sum to 1 (within {SHARE_SUM_TOLERANCE})"));
                } else if sum > 0.0 {
                    // Normalise away rounding so that flows add up exactly.
                    for (_, s) in &mut row {
                        *s /= sum;
                    }
                }
                sourcing.push(row);
            }
            None => {
                // Market-average sourcing: the world production mix at this stage.
                let total: f64 = stage
                    .suppliers
                    .iter()
                    .map(|s| s.capacity_t_per_month * s.utilisation)
                    .sum();
                if total <= 0.0 && demand.tonnes_per_year > 0.0 {
                    cx.err(&path, format!("no country has {sname} capacity for {mname}, so `{bname}`'s demand cannot be sourced"));
                }
                let row = stage
                    .suppliers
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.capacity_t_per_month > 0.0)
                    .map(|(si, s)| (si, s.capacity_t_per_month * s.utilisation / total))
                    .collect();
                sourcing.push(row);
            }
        }
    }
    let stockpile = bloc.stockpiles.get(mname).map(|s| {
        let p = |f: &'static str| ["blocs", bname, "stockpiles", mname, f];
        cx.finite_in(
            &p("initial_months"),
            s.initial_months,
            0.0,
            240.0,
            "months of demand in [0, 240]",
        );
        let target = s.target_months.unwrap_or(s.initial_months);
        cx.finite_in(
            &p("target_months"),
            target,
            0.0,
            240.0,
            "months of demand in [0, 240]",
        );
        cx.finite_in(
            &p("max_release_share"),
            s.max_release_share,
            0.0,
            1.0,
            "a share of monthly demand in [0, 1]",
        );
        cx.finite_in(
            &p("release_threshold_share"),
            s.release_threshold_share,
            0.0,
            1.0,
            "a share of monthly demand in [0, 1]",
        );
        cx.finite_in(
            &p("refill_months"),
            s.refill_months,
            0.1,
            600.0,
            "months in [0.1, 600]",
        );
        StockpileModel {
            initial_months: s.initial_months,
            target_months: target,
            max_release_share: s.max_release_share,
            release_threshold_share: s.release_threshold_share,
            refill_months: s.refill_months,
        }
    });
    ok.then_some(Cell {
        bloc: b,
        material: mi,
        demand_t_per_month: demand.tonnes_per_year / 12.0,
        growth,
        recycling_start,
        recycling_end,
        sourcing,
        stockpile,
    })
}

#[allow(clippy::too_many_arguments)]
fn build_disruption(
    cx: &mut Ctx,
    d: &raw::Disruption,
    materials: &[MaterialModel],
    material_names: &[String],
    country_names: &[String],
    bloc_names: &[String],
    member_of: &[u64],
    all_names: &[String],
    horizon: ((i32, u32), usize),
) -> Option<DisruptionModel> {
    let name = d.name.as_str();
    let path = |f: &'static str| ["disruptions", name, f];
    let effect = match d.kind {
        DisruptionKind::ExportBan | DisruptionKind::ExportLicence | DisruptionKind::ExportQuota => {
            Effect::Trade
        }
        DisruptionKind::MarketFlood => Effect::Flood,
        _ => Effect::Capacity,
    };
    let (start, months) = horizon;
    let mut scheduled_start = None;
    if let Some(month) = &d.scheduled_start {
        match parse_month(month) {
            Some((y, m)) => {
                let offset = (y - start.0) * 12 + m as i32 - start.1 as i32;
                if offset < 0 || offset as usize >= months {
                    cx.err(
                        &path("scheduled_start"),
                        format!(
                            "\"{month}\" is outside the horizon ({months} months from {:04}-{:02})",
                            start.0, start.1
                        ),
                    );
                } else {
                    scheduled_start = Some(offset as u32);
                }
            }
            None => cx.err(
                &path("scheduled_start"),
                format!("found \"{month}\"; expected a month \"YYYY-MM\""),
            ),
        }
    }
    let rate_bounds = Bounds {
        min: 0.0,
        max: 1000.0,
        what: "a rate in [0, 1000] onsets per year",
    };
    let (monthly_rate, from_p) = match (&d.annual_probability, &d.rate_per_year, &d.scheduled_start)
    {
        (Some(p), None, None) => (
            cx.dist(&path("annual_probability"), p, dist::PROBABILITY),
            true,
        ),
        (None, Some(r), None) => (cx.dist(&path("rate_per_year"), r, rate_bounds), false),
        (None, None, Some(_)) => (Dist::Fixed(0.0), false),
        (None, None, None) => {
            cx.err(&["disruptions", name], "no frequency; give `annual_probability` (chance of an onset in a calm year), `rate_per_year`, or `scheduled_start` for a scripted event");
            (Dist::Fixed(0.0), false)
        }
        _ => {
            let field = if d.rate_per_year.is_some() {
                "rate_per_year"
            } else {
                "scheduled_start"
            };
            cx.err(
                &path(field),
                "give only one of `annual_probability`, `rate_per_year` and `scheduled_start`",
            );
            (Dist::Fixed(0.0), false)
        }
    };
    let duration = cx.dist(
        &path("duration_months"),
        &d.duration_months,
        Bounds {
            min: 0.0,
            max: 600.0,
            what: "a duration in [0, 600] months",
        },
    );
    let severity = cx.dist(&path("severity"), &d.severity, dist::SHARE);
    cx.finite_in(
        &path("tension_sensitivity"),
        d.tension_sensitivity,
        0.0,
        5.0,
        "an exponent in [0, 5]",
    );
    if effect != Effect::Trade && !d.target_blocs.is_empty() {
        cx.err(&path("target_blocs"), format!("{:?} is not a trade measure, so it cannot target blocs; only ExportBan, ExportLicence and ExportQuota take `target_blocs`", d.kind));
    }
    let mut targets = 0u64;
    for b in &d.target_blocs {
        match index_of(bloc_names, b) {
            Some(bi) if bi < MAX_BLOCS => targets |= 1 << bi,
            _ => cx.err(
                &["disruptions", name, "target_blocs", b],
                unknown_name_hint(b, "bloc", bloc_names.iter().map(String::as_str)),
            ),
        }
    }
    let all_blocs = if bloc_names.len() >= 64 {
        u64::MAX
    } else {
        (1u64 << bloc_names.len()) - 1
    };
    if targets == 0 {
        targets = all_blocs;
    }
    let mut countries = Vec::new();
    for c in &d.countries {
        match index_of(country_names, c) {
            Some(ci) => countries.push(ci),
            None => cx.err(
                &["disruptions", name, "countries", c],
                unknown_name_hint(c, "country", country_names.iter().map(String::as_str)),
            ),
        }
    }
    if d.countries.is_empty() {
        cx.err(
            &path("countries"),
            "no country; name the countries whose supply is hit",
        );
    }
    let mut mats = Vec::new();
    for m in &d.materials {
        match index_of(material_names, m) {
            Some(mi) => mats.push(mi),
            None => cx.err(
                &["disruptions", name, "materials", m],
                unknown_name_hint(m, "material", material_names.iter().map(String::as_str)),
            ),
        }
    }
    if d.materials.is_empty() {
        cx.err(&path("materials"), "no material; name the materials hit");
    }
    let mut hits = Vec::new();
    for &mi in &mats {
        let mat = &materials[mi];
        for s in &d.stages {
            if !mat.stages.iter().any(|st| &st.name == s) {
                cx.err(
                    &["disruptions", name, "stages", s],
                    unknown_name_hint(
                        s,
                        &format!("stage of {}", mat.name),
                        mat.stages.iter().map(|s| s.name.as_str()),
                    ),
                );
            }
        }
        for (si, stage) in mat.stages.iter().enumerate() {
            if !d.stages.is_empty() && !d.stages.contains(&stage.name) {
                continue;
            }
            for (ki, sup) in stage.suppliers.iter().enumerate() {
                if countries.contains(&sup.country) {
                    let blocs = match effect {
                        Effect::Trade => targets & !member_of[sup.country],
                        _ => all_blocs,
                    };
                    hits.push(Hit {
                        material: mi,
                        stage: si,
                        supplier: ki,
                        blocs,
                    });
                }
            }
        }
    }
    let stage_errors = mats.iter().any(|&mi| {
        d.stages
            .iter()
            .any(|s| !materials[mi].stages.iter().any(|st| &st.name == s))
    });
    if hits.is_empty()
        && !mats.is_empty()
        && !countries.is_empty()
        && effect != Effect::Flood
        && !stage_errors
    {
        cx.err(
            &["disruptions", name],
            "hits nothing: none of its countries has capacity for its materials at its stages",
        );
    }
    let mut triggers = Vec::new();
    for t in &d.triggers {
        let tp = ["disruptions", name, "triggers", t.disruption.as_str()];
        match all_names.iter().position(|n| n == &t.disruption) {
            Some(k) => triggers.push(TriggerModel {
                target: k,
                hazard_multiplier: t.hazard_multiplier,
                months: t.months,
            }),
            None => cx.err(
                &tp,
                unknown_name_hint(
                    &t.disruption,
                    "disruption",
                    all_names.iter().map(String::as_str),
                ),
            ),
        }
        cx.finite_in(
            &[tp[0], tp[1], tp[2], tp[3]],
            t.hazard_multiplier,
            0.0,
            1000.0,
            "a hazard multiplier in [0, 1000]",
        );
        if t.months > MAX_MONTHS {
            cx.err(
                &tp,
                format!("`months` = {}; expected at most {MAX_MONTHS}", t.months),
            );
        }
    }
    mats.sort_unstable();
    mats.dedup();
    Some(DisruptionModel {
        name: d.name.clone(),
        kind: d.kind,
        effect,
        monthly_rate,
        rate_from_probability: from_p,
        scheduled_start,
        duration_months: duration,
        severity,
        tension_sensitivity: d.tension_sensitivity,
        regime_multipliers: Vec::new(),
        triggers,
        hits,
        materials: mats,
        countries,
    })
}

fn build_tension(cx: &mut Ctx, t: &raw::Tension) -> TensionModel {
    let names: Vec<String> = t.regimes.keys().cloned().collect();
    let mut regimes = Vec::new();
    for (n, &m) in &t.regimes {
        cx.finite_in(
            &["tension", "regimes", n],
            m,
            0.0,
            1000.0,
            "a hazard multiplier in [0, 1000]",
        );
        regimes.push((n.clone(), m));
    }
    if names.is_empty() {
        cx.err(
            &["tension", "regimes"],
            "no regime; give e.g. `{ \"calm\": 1.0, \"crisis\": 5.0 }`",
        );
        return TensionModel::none();
    }
    let initial = index_of(&names, &t.initial).unwrap_or_else(|| {
        cx.err(
            &["tension", "initial"],
            unknown_name_hint(&t.initial, "regime", names.iter().map(String::as_str)),
        );
        0
    });
    let mut rows = vec![vec![0.0; names.len()]; names.len()];
    for (from, tos) in &t.monthly_transitions {
        let Some(fi) = index_of(&names, from) else {
            cx.err(
                &["tension", "monthly_transitions", from],
                unknown_name_hint(from, "regime", names.iter().map(String::as_str)),
            );
            continue;
        };
        for (to, &p) in tos {
            let path = ["tension", "monthly_transitions", from.as_str(), to.as_str()];
            let Some(ti) = index_of(&names, to) else {
                cx.err(
                    &path,
                    unknown_name_hint(to, "regime", names.iter().map(String::as_str)),
                );
                continue;
            };
            if cx.finite_in(&path, p, 0.0, 1.0, "a monthly probability in [0, 1]") {
                rows[fi][ti] = p;
            }
        }
        let leaving: f64 = rows[fi]
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != fi)
            .map(|(_, p)| p)
            .sum();
        if leaving > 1.0 + 1e-9 {
            cx.err(&["tension", "monthly_transitions", from], format!("monthly probabilities of leaving `{from}` sum to {leaving}; they must sum to at most 1"));
        }
    }
    let cumulative = rows
        .iter()
        .enumerate()
        .map(|(fi, row)| {
            let leaving: f64 = row
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != fi)
                .map(|(_, p)| p)
                .sum();
            let mut acc = 0.0;
            row.iter()
                .enumerate()
                .map(|(k, p)| {
                    acc += if k == fi {
                        (1.0 - leaving).max(0.0)
                    } else {
                        *p
                    };
                    acc
                })
                .collect()
        })
        .collect();
    TensionModel {
        regimes,
        initial,
        cumulative,
    }
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
