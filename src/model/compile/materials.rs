//! Materials: their stage chains (upstream first) and price parameters.

use super::*;
use std::collections::BTreeMap;

pub(super) fn materials(cx: &mut Ctx, raw: &raw::ScenarioFile) -> Vec<MaterialModel> {
    // Materials and their stage chains.
    let mut materials: Vec<MaterialModel> = Vec::new();
    for (mname, m) in &raw.materials {
        let stages = order_stages(cx, mname, m);
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
            if let Some(f) = st.feed_stock_months {
                let path = ["materials", mname, "stages", sname, "feed_stock_months"];
                if st.draws_on.is_none() {
                    cx.err(
                        &path,
                        "the first stage draws on nothing, so it has no feed to stock; put `feed_stock_months` on the stage that draws on the one whose loss it covers".to_string(),
                    );
                } else {
                    cx.finite_in(&path, f, 0.0, 120.0, "months of feed in [0, 120]");
                }
            }
            if let Some(u) = st.unmodelled_use_share {
                cx.finite_in(
                    &["materials", mname, "stages", sname, "unmodelled_use_share"],
                    u,
                    0.0,
                    0.99,
                    "a share in [0, 0.99]",
                );
            }
        }
        let price = match &m.price {
            None => PriceParams {
                base_usd_per_t: 1.0,
                scarcity_sensitivity: 4.0,
                demand_elasticity: 0.05,
                max_substitution: 0.15,
                non_dominant_premium_share: None,
            },
            Some(p) => {
                let path = |f: &'static str| ["materials", mname.as_str(), "price", f];
                cx.finite_in(
                    &path("base_usd_per_t"),
                    p.base_usd_per_t,
                    f64::MIN_POSITIVE,
                    // Bounded so shortfall values (tonnes × price) stay finite in summary.json.
                    1e10,
                    "a price > 0 and at most 1e10 USD per tonne",
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
                if let Some(share) = p.non_dominant_premium_share {
                    cx.finite_in(
                        &path("non_dominant_premium_share"),
                        share,
                        -1.0,
                        10.0,
                        "a share of the calm price in [-1, 10], e.g. 0.2 for 20% dearer",
                    );
                }
                PriceParams {
                    base_usd_per_t: p.base_usd_per_t,
                    scarcity_sensitivity: p.scarcity_sensitivity,
                    demand_elasticity: p.demand_elasticity,
                    max_substitution: p.max_substitution,
                    non_dominant_premium_share: p.non_dominant_premium_share,
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
                    feed_stock_months: m
                        .stages
                        .get(&name)
                        .and_then(|st| st.feed_stock_months)
                        .filter(|f| f.is_finite() && *f > 0.0)
                        .unwrap_or(0.0),
                    unmodelled_use_share: m
                        .stages
                        .get(&name)
                        .and_then(|st| st.unmodelled_use_share)
                        .unwrap_or(0.0),
                    name,
                    suppliers: Vec::new(),
                })
                .collect(),
            price,
        });
    }
    materials
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
