//! Price floors, and the check that costs and floors have a market price to compare with.

use super::*;

pub(super) fn price_floors(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    names: &Names,
    materials: &[MaterialModel],
) -> Vec<PriceFloorModel> {
    let (country_names, bloc_names, material_names) =
        (&names.countries[..], &names.blocs[..], &names.materials[..]);
    let mut price_floors = Vec::new();
    for f in &raw.price_floors {
        let base = ["price_floors", f.name.as_str()];
        let Some(mi) = index_of(material_names, &f.material) else {
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
        let Some(paid_by) = index_of(bloc_names, &f.paid_by) else {
            cx.err(
                &[base[0], base[1], "paid_by"],
                unknown_name_hint(&f.paid_by, "bloc", bloc_names.iter().map(String::as_str)),
            );
            continue;
        };
        let mut suppliers = Vec::new();
        for c in &f.countries {
            let Some(ci) = index_of(country_names, c) else {
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
    price_floors
}

pub(super) fn check_priced(cx: &mut Ctx, raw: &raw::ScenarioFile) {
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
}
