//! Cells (bloc × material): demand, sourcing, recycling and stockpiles.

use super::*;

pub(super) fn cells(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    names: &Names,
    materials: &[MaterialModel],
    n_blocs: usize,
    horizon: ((i32, u32), usize),
) -> Vec<Vec<Option<Cell>>> {
    let (country_names, material_names) = (&names.countries[..], &names.materials[..]);
    // Cells: demand, sourcing, recycling, stockpiles.
    let mut cells: Vec<Vec<Option<Cell>>> = vec![vec![None; materials.len()]; n_blocs];
    for (b, (bname, bloc)) in raw.blocs.iter().enumerate() {
        for mname in bloc
            .sourcing
            .keys()
            .chain(bloc.recycling.keys())
            .chain(bloc.stockpiles.keys())
            .chain(bloc.inventories.keys())
        {
            if !bloc.demand.contains_key(mname) {
                let section = if bloc.sourcing.contains_key(mname) {
                    "sourcing"
                } else if bloc.recycling.contains_key(mname) {
                    "recycling"
                } else if bloc.stockpiles.contains_key(mname) {
                    "stockpiles"
                } else {
                    "inventories"
                };
                if index_of(material_names, mname).is_none() {
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
            let Some(mi) = index_of(material_names, mname) else {
                cx.err(
                    &["blocs", bname, "demand", mname],
                    unknown_name_hint(mname, "material", material_names.iter().map(String::as_str)),
                );
                continue;
            };
            let bref = BlocRef {
                index: b,
                name: bname,
                raw: bloc,
            };
            if let Some(cell) = build_cell(
                cx,
                country_names,
                &bref,
                mi,
                &materials[mi],
                demand,
                horizon,
            ) {
                cells[b][mi] = Some(cell);
            }
        }
    }
    cells
}

/// The bloc a cell belongs to: its index, name and raw entry.
struct BlocRef<'a> {
    index: usize,
    name: &'a str,
    raw: &'a raw::Bloc,
}

/// One cell: the bloc's demand for material `mi` with its growth, recycling, sourcing and
/// stockpile; `None` when the demand itself is invalid.
fn build_cell(
    cx: &mut Ctx,
    country_names: &[String],
    bloc: &BlocRef,
    mi: usize,
    mat: &MaterialModel,
    demand: &raw::Demand,
    horizon: ((i32, u32), usize),
) -> Option<Cell> {
    let (b, bname, bloc) = (bloc.index, bloc.name, bloc.raw);
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
    let (recycling_start, recycling_end, recycling) = match bloc.recycling.get(mname) {
        None => (0.0, 0.0, vec![0.0; horizon.1]),
        Some(r) => recycling_path(cx, &["blocs", bname, "recycling", mname], r, horizon),
    };
    let sourcing = sourcing(cx, country_names, bname, mat, bloc, demand);
    let stockpile = bloc
        .stockpiles
        .get(mname)
        .map(|s| stockpile(cx, bname, mname, s));
    let inventory = bloc
        .inventories
        .get(mname)
        .map(|i| inventory(cx, bname, mname, i));
    ok.then_some(Cell {
        bloc: b,
        material: mi,
        demand_t_per_month: demand.tonnes_per_year / 12.0,
        growth,
        recycling_start,
        recycling_end,
        recycling,
        sourcing,
        stockpile,
        inventory,
    })
}

/// Per stage, the suppliers a bloc sources from and their shares (normalised to sum to 1), or
/// the world production mix where the scenario gives none.
fn sourcing(
    cx: &mut Ctx,
    country_names: &[String],
    bname: &str,
    mat: &MaterialModel,
    bloc: &raw::Bloc,
    demand: &raw::Demand,
) -> Vec<Vec<(usize, f64)>> {
    let mname = mat.name.as_str();
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
    sourcing
}

fn stockpile(cx: &mut Ctx, bname: &str, mname: &str, s: &raw::Stockpile) -> StockpileModel {
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
}

/// Commercial inventories: cover (a distribution in [0, 240] months), room and restock time.
fn inventory(cx: &mut Ctx, bname: &str, mname: &str, i: &raw::Inventory) -> InventoryModel {
    let p = |f: &'static str| ["blocs", bname, "inventories", mname, f];
    let cover_months = cx.dist(
        &p("cover_months"),
        &i.cover_months,
        Bounds {
            min: 0.0,
            max: 240.0,
            what: "months of demand in [0, 240]",
        },
    );
    if let Some(max) = i.max_cover_months {
        if cx.finite_in(
            &p("max_cover_months"),
            max,
            0.0,
            480.0,
            "months of demand in [0, 480]",
        ) {
            let (_, top) = i.cover_months.range();
            let bounded = !matches!(
                i.cover_months,
                Param::Normal { .. } | Param::LogNormal { .. } | Param::Exponential { .. }
            );
            if bounded && top > max {
                cx.err(
                    &p("max_cover_months"),
                    format!("found {max}, below the largest cover `cover_months` can take ({top}); expected at least {top} months"),
                );
            }
        }
    }
    cx.finite_in(
        &p("restock_months"),
        i.restock_months,
        0.1,
        600.0,
        "months in [0.1, 600]",
    );
    InventoryModel {
        cover_months,
        max_cover_months: i.max_cover_months,
        restock_months: i.restock_months,
    }
}

/// A cell's recycled share: the start and end shares and r_j(t) for every month of the horizon,
/// piecewise linear through the knots (0, r0), the targets (t_i, s_i) and (T', r1), with
/// T' = max(T, 2) − 1 (docs/model.md, "Demand, recycling, need and capacity"). Without targets
/// the knots are (0, r0) and (T', r1), and r0 + (r1 − r0) · ((t − 0) / (T' − 0)) is the linear
/// path's formula to the last bit.
fn recycling_path(
    cx: &mut Ctx,
    path: &[&str; 4],
    r: &raw::Recycling,
    (start, months): ((i32, u32), usize),
) -> (f64, f64, Vec<f64>) {
    let at = |f: &'static str| [path[0], path[1], path[2], path[3], f];
    let share = "a share in [0, 1]";
    cx.finite_in(&at("share_of_demand"), r.share_of_demand, 0.0, 1.0, share);
    let span = months.max(2) - 1;
    let mut knots: Vec<(usize, f64)> = vec![(0, r.share_of_demand)];
    for (i, target) in r.targets.iter().enumerate() {
        let by = target.by.as_str();
        let here = [path[0], path[1], path[2], path[3], "targets", by];
        let Some((y, m)) = parse_month(by) else {
            cx.err(
                &here,
                format!("targets[{i}].by: found \"{by}\"; expected a month \"YYYY-MM\", e.g. \"2030-01\""),
            );
            continue;
        };
        let month = (y - start.0) as i64 * 12 + m as i64 - start.1 as i64;
        if month < 1 || month >= months as i64 {
            cx.err(
                &here,
                format!(
                    "targets[{i}].by: found \"{by}\", month {month} of the horizon; expected a month after its first and within its {months} months (months 1 to {})",
                    months as i64 - 1
                ),
            );
            continue;
        }
        let last = knots.last().map_or(0, |k| k.0);
        if i > 0 && month as usize <= last {
            cx.err(
                &here,
                format!("targets[{i}].by: found \"{by}\", not after the previous target; expected targets in increasing months"),
            );
            continue;
        }
        let field = [path[0], path[1], path[2], path[3], "targets", by, "share"];
        if cx.finite_in(&field, target.share, 0.0, 1.0, share) {
            knots.push((month as usize, target.share));
        }
    }
    let last = *knots.last().expect("the start knot");
    let end = match (r.share_at_end, r.targets.is_empty()) {
        (Some(end), _) => end,
        (None, true) => r.share_of_demand,
        (None, false) => last.1,
    };
    cx.finite_in(&at("share_at_end"), end, 0.0, 1.0, share);
    if last.0 < span {
        knots.push((span, end));
    } else if r.share_at_end.is_some() && end != last.1 {
        cx.err(
            &at("share_at_end"),
            format!("found {end}, but the last target is the horizon's last month with share {}; give one of them", last.1),
        );
    }
    let table = (0..months)
        .map(|t| {
            let b = knots
                .partition_point(|k| k.0 <= t)
                .clamp(1, knots.len() - 1);
            let ((ta, sa), (tb, sb)) = (knots[b - 1], knots[b]);
            sa + (sb - sa) * ((t - ta) as f64 / (tb - ta) as f64)
        })
        .collect();
    (r.share_of_demand, end, table)
}
