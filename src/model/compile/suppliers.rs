//! Suppliers (country capacities per material and stage) and partnerships (priority access
//! to spare output, stockpile sharing).

use super::*;

pub(super) fn suppliers(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    names: &Names,
    member_of: &[u64],
    materials: &mut [MaterialModel],
) {
    let material_names = &names.materials[..];
    // Suppliers: country capacities.
    for (c, (cname, country)) in raw.countries.iter().enumerate() {
        for (mname, by_stage) in &country.capacity {
            let Some(mi) = index_of(material_names, mname) else {
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
}

pub(super) fn partnerships(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    names: &Names,
    materials: &mut [MaterialModel],
    blocs: &mut [BlocModel],
) {
    let (country_names, bloc_names, material_names) =
        (&names.countries[..], &names.blocs[..], &names.materials[..]);
    // Partnerships: priority access to spare output, stockpile sharing.
    for p in &raw.partnerships {
        let mut bloc_mask = 0u64;
        for b in &p.blocs {
            match index_of(bloc_names, b) {
                Some(bi) if bi < MAX_BLOCS => bloc_mask |= 1 << bi,
                _ => cx.err(
                    &["partnerships", &p.name, "blocs", b],
                    unknown_name_hint(b, "bloc", bloc_names.iter().map(String::as_str)),
                ),
            }
        }
        let mut countries = Vec::new();
        for c in &p.countries {
            match index_of(country_names, c) {
                Some(ci) => countries.push(ci),
                None => cx.err(
                    &["partnerships", &p.name, "countries", c],
                    unknown_name_hint(c, "country", country_names.iter().map(String::as_str)),
                ),
            }
        }
        let mut mats = Vec::new();
        for m in &p.materials {
            match index_of(material_names, m) {
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
}

/// Partnership priorities of the suppliers that new capacity names (some appended after
/// `partnerships` ran): its members' blocs plus every partnership naming its country and
/// covering the material. The same value `partnerships` gives an existing supplier.
pub(super) fn partnership_priorities(
    raw: &raw::ScenarioFile,
    names: &Names,
    new_capacity: &[NewCapacityModel],
    materials: &mut [MaterialModel],
) {
    for nc in new_capacity {
        let s = &mut materials[nc.material].stages[nc.stage].suppliers[nc.supplier];
        let country = &names.countries[s.country];
        let material = &names.materials[nc.material];
        let mut priority = s.member_of;
        for p in &raw.partnerships {
            let covers = p.materials.is_empty() || p.materials.contains(material);
            if covers && p.countries.contains(country) {
                for b in &p.blocs {
                    if let Some(bi) = index_of(&names.blocs, b).filter(|&bi| bi < MAX_BLOCS) {
                        priority |= 1 << bi;
                    }
                }
            }
        }
        s.priority_blocs = priority;
    }
}
