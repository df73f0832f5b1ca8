//! Capacity that arrives at a date or restarts when the price stays high. A country without
//! capacity for the material and stage gets a zero-capacity supplier appended after the
//! existing ones, so every existing supplier index is unchanged.

use super::horizon::parse_month;
use super::*;

pub(super) fn new_capacity(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    names: &Names,
    member_of: &[u64],
    horizon: (i32, u32),
    materials: &mut [MaterialModel],
) -> Vec<NewCapacityModel> {
    let mut out = Vec::new();
    for (i, nc) in raw.new_capacity.iter().enumerate() {
        let name = nc.name.as_str();
        if raw.new_capacity[..i].iter().any(|o| o.name == nc.name) {
            cx.err(
                &["new_capacity", name],
                format!("two `new_capacity` entries are named `{name}`; names must be unique"),
            );
        }
        if let Some(m) = build(cx, nc, names, member_of, horizon, materials) {
            out.push(m);
        }
    }
    out
}

fn build(
    cx: &mut Ctx,
    nc: &raw::NewCapacity,
    names: &Names,
    member_of: &[u64],
    horizon: (i32, u32),
    materials: &mut [MaterialModel],
) -> Option<NewCapacityModel> {
    let name = nc.name.as_str();
    let path = |f: &'static str| ["new_capacity", name, f];
    cx.finite_in(
        &path("tonnes_per_year"),
        nc.tonnes_per_year,
        0.0,
        1e12,
        "a capacity >= 0 tonnes per year",
    );
    cx.finite_in(
        &path("ramp_months"),
        nc.ramp_months,
        0.0,
        240.0,
        "months in [0, 240]",
    );
    let start = start(cx, nc, horizon);
    let country = index_of(&names.countries, &nc.country);
    if country.is_none() {
        cx.err(
            &path("country"),
            unknown_name_hint(
                &nc.country,
                "country",
                names.countries.iter().map(String::as_str),
            ),
        );
    }
    let material = index_of(&names.materials, &nc.material);
    if material.is_none() {
        cx.err(
            &path("material"),
            unknown_name_hint(
                &nc.material,
                "material",
                names.materials.iter().map(String::as_str),
            ),
        );
    }
    let (c, mi) = (country?, material?);
    let mat = &mut materials[mi];
    let Some(si) = mat.stages.iter().position(|s| s.name == nc.stage) else {
        cx.err(
            &path("stage"),
            unknown_name_hint(
                &nc.stage,
                &format!("stage of {}", nc.material),
                mat.stages.iter().map(|s| s.name.as_str()),
            ),
        );
        return None;
    };
    let suppliers = &mut mat.stages[si].suppliers;
    let k = match suppliers.iter().position(|s| s.country == c) {
        Some(k) => k,
        None => {
            suppliers.push(Supplier {
                country: c,
                capacity_t_per_month: 0.0,
                utilisation: 1.0,
                // The commissioning ramp already paces the new output; no second ramp.
                ramp_up_months: 0.0,
                unit_cost_usd_per_t: None,
                priority_blocs: member_of[c],
                member_of: member_of[c],
            });
            suppliers.len() - 1
        }
    };
    Some(NewCapacityModel {
        name: nc.name.clone(),
        material: mi,
        stage: si,
        supplier: k,
        tonnes_per_month: nc.tonnes_per_year / 12.0,
        start: start?,
        ramp_months: nc.ramp_months,
        source: nc.source.clone(),
    })
}

/// Exactly one of `online` (with an optional delay) and `restart_when_price_above`.
fn start(cx: &mut Ctx, nc: &raw::NewCapacity, horizon: (i32, u32)) -> Option<NewCapacityStart> {
    let name = nc.name.as_str();
    let path = |f: &'static str| ["new_capacity", name, f];
    match (&nc.online, &nc.restart_when_price_above) {
        (Some(month), None) => {
            let delay = match &nc.delay_months {
                None => Dist::Fixed(0.0),
                Some(p) => cx.dist(
                    &path("delay_months"),
                    p,
                    Bounds {
                        min: 0.0,
                        max: 600.0,
                        what: "a delay in [0, 600] months",
                    },
                ),
            };
            let Some((y, m)) = parse_month(month) else {
                cx.err(
                    &path("online"),
                    format!("found \"{month}\"; expected a month \"YYYY-MM\""),
                );
                return None;
            };
            let month = (y - horizon.0) as i64 * 12 + m as i64 - horizon.1 as i64;
            Some(NewCapacityStart::Scheduled { month, delay })
        }
        (None, Some(r)) => {
            if nc.delay_months.is_some() {
                cx.err(&path("delay_months"), "`delay_months` applies to scheduled capacity (`online`); restarted capacity comes online the month after its price condition is met");
            }
            let ok = cx.finite_in(
                &["new_capacity", name, "restart_when_price_above", "ratio"],
                r.ratio,
                1.0 + 1e-9,
                1000.0,
                "a price ratio above 1 (at most 1000)",
            );
            if r.months == 0 || r.months > MAX_MONTHS {
                cx.err(
                    &["new_capacity", name, "restart_when_price_above", "months"],
                    format!("found {}; expected months in [1, {MAX_MONTHS}]", r.months),
                );
                return None;
            }
            ok.then_some(NewCapacityStart::Restart {
                ratio: r.ratio,
                months: r.months,
            })
        }
        (Some(_), Some(_)) => {
            cx.err(&path("online"), "give only one of `online` (scheduled capacity) and `restart_when_price_above` (idle capacity restarting on price)");
            None
        }
        (None, None) => {
            cx.err(&["new_capacity", name], "no start; give `online: \"YYYY-MM\"` (scheduled capacity) or `restart_when_price_above: (ratio: .., months: ..)` (idle capacity restarting on price)");
            None
        }
    }
}
