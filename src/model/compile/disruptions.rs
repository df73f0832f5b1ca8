//! Disruptions: kind and effect, frequency, duration and severity, what they hit, triggers.

use super::horizon::parse_month;
use super::*;
use crate::scenario::raw::DisruptionKind;

pub(super) fn disruptions(
    cx: &mut Ctx,
    src: &LoadedScenario,
    refs: &Refs,
    horizon: ((i32, u32), usize),
) -> Vec<DisruptionModel> {
    let raw = &src.raw;
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
        if let Some(dm) = build_disruption(cx, d, refs, &disruption_names, horizon) {
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
    disruptions
}

fn build_disruption(
    cx: &mut Ctx,
    d: &raw::Disruption,
    refs: &Refs,
    all_names: &[String],
    horizon: ((i32, u32), usize),
) -> Option<DisruptionModel> {
    let (materials, member_of) = (refs.materials, refs.member_of);
    let (country_names, bloc_names, material_names) = (
        &refs.names.countries[..],
        &refs.names.blocs[..],
        &refs.names.materials[..],
    );
    let name = d.name.as_str();
    let path = |f: &'static str| ["disruptions", name, f];
    let effect = effect_of(d.kind);
    let (scheduled_start, monthly_rate, from_p) = frequency(cx, d, horizon);
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
    let (targets, all_blocs) = target_mask(cx, d, bloc_names);
    let countries = indices_of(
        cx,
        name,
        "countries",
        &d.countries,
        country_names,
        "country",
    );
    if d.countries.is_empty() {
        cx.err(
            &path("countries"),
            "no country; name the countries whose supply is hit",
        );
    }
    let mut mats = indices_of(
        cx,
        name,
        "materials",
        &d.materials,
        material_names,
        "material",
    );
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
    let triggers = triggers(cx, d, all_names);
    let trade = trade_dynamics(cx, d, effect);
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
        trade,
    })
}

/// The blocs a trade measure targets as a bit mask (all blocs when none is listed), and the mask
/// of all blocs.
fn target_mask(cx: &mut Ctx, d: &raw::Disruption, bloc_names: &[String]) -> (u64, u64) {
    let mut targets = 0u64;
    for b in &d.target_blocs {
        match index_of(bloc_names, b) {
            Some(bi) if bi < MAX_BLOCS => targets |= 1 << bi,
            _ => cx.err(
                &["disruptions", &d.name, "target_blocs", b],
                unknown_name_hint(b, "bloc", bloc_names.iter().map(String::as_str)),
            ),
        }
    }
    let all_blocs = if bloc_names.len() >= 64 {
        u64::MAX
    } else {
        (1u64 << bloc_names.len()) - 1
    };
    (if targets == 0 { all_blocs } else { targets }, all_blocs)
}

/// The indices of `listed` among `known`, with a located "did you mean" error for each unknown
/// name (field `disruptions.<name>.<field>`).
fn indices_of(
    cx: &mut Ctx,
    name: &str,
    field: &str,
    listed: &[String],
    known: &[String],
    what: &str,
) -> Vec<usize> {
    let mut found = Vec::new();
    for item in listed {
        match index_of(known, item) {
            Some(i) => found.push(i),
            None => cx.err(
                &["disruptions", name, field, item],
                unknown_name_hint(item, what, known.iter().map(String::as_str)),
            ),
        }
    }
    found
}

/// Announcement, pre-buying, licence recovery and leakage: trade measures only (licence
/// recovery only on ExportLicence and ExportQuota).
fn trade_dynamics(cx: &mut Ctx, d: &raw::Disruption, effect: Effect) -> TradeDynamics {
    let name = d.name.as_str();
    let path = |f: &'static str| ["disruptions", name, f];
    let not_trade = |f: &str| {
        format!("{:?} is not a trade measure, so it cannot take `{f}`; only ExportBan, ExportLicence and ExportQuota do", d.kind)
    };
    let trade = effect == Effect::Trade;
    let months = Bounds {
        min: 0.0,
        max: 600.0,
        what: "months in [0, 600]",
    };
    let mut out = TradeDynamics {
        prebuy_share: 1.0,
        ..TradeDynamics::default()
    };
    if let Some(p) = &d.announced_months {
        if trade {
            out.announced_months = Some(cx.dist(&path("announced_months"), p, months));
        } else {
            cx.err(&path("announced_months"), not_trade("announced_months"));
        }
    }
    if let Some(share) = d.prebuy_share {
        if !trade {
            cx.err(&path("prebuy_share"), not_trade("prebuy_share"));
        } else if cx.finite_in(
            &path("prebuy_share"),
            share,
            0.0,
            100.0,
            "a share of the monthly contracted flow in [0, 100]",
        ) {
            out.prebuy_share = share;
        }
    }
    if let Some(l) = &d.leakage_share {
        if trade {
            out.leakage_share = Some(cx.dist(&path("leakage_share"), l, dist::SHARE));
        } else {
            cx.err(&path("leakage_share"), not_trade("leakage_share"));
        }
    }
    if let Some(r) = &d.licence_recovery {
        if matches!(
            d.kind,
            DisruptionKind::ExportLicence | DisruptionKind::ExportQuota
        ) {
            let half = cx.dist(
                &["disruptions", name, "licence_recovery", "half_life_months"],
                &r.half_life_months,
                Bounds {
                    min: 0.0,
                    max: 600.0,
                    what: "a half-life in [0, 600] months (draws below 0.1 count as 0.1)",
                },
            );
            let residual = cx.dist(
                &["disruptions", name, "licence_recovery", "residual_share"],
                &r.residual_share,
                dist::SHARE,
            );
            out.licence_recovery = Some((half, residual));
            if let Some(lag) = &r.processing_months {
                out.licence_processing = Some(cx.dist(
                    &["disruptions", name, "licence_recovery", "processing_months"],
                    lag,
                    Bounds {
                        min: 0.0,
                        max: 120.0,
                        what: "months in [0, 120] before the first licences are granted",
                    },
                ));
            }
        } else {
            cx.err(
                &path("licence_recovery"),
                format!("{:?} is not a licence regime, so it cannot take `licence_recovery`; only ExportLicence and ExportQuota do", d.kind),
            );
        }
    }
    out
}

/// How a kind of disruption acts in the month solve. Exhaustive on purpose: a new kind must be
/// given its effect here.
fn effect_of(kind: DisruptionKind) -> Effect {
    match kind {
        DisruptionKind::ExportBan | DisruptionKind::ExportLicence | DisruptionKind::ExportQuota => {
            Effect::Trade
        }
        DisruptionKind::MarketFlood => Effect::Flood,
        DisruptionKind::Conflict
        | DisruptionKind::Disaster
        | DisruptionKind::Accident
        | DisruptionKind::Nationalisation => Effect::Capacity,
    }
}

/// When the disruption can start: a scheduled month, or a rate of onsets (given as an annual
/// probability or a rate per year; exactly one of the three).
fn frequency(
    cx: &mut Ctx,
    d: &raw::Disruption,
    horizon: ((i32, u32), usize),
) -> (Option<u32>, Dist, bool) {
    let name = d.name.as_str();
    let path = |f: &'static str| ["disruptions", name, f];
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
    (scheduled_start, monthly_rate, from_p)
}

/// Other disruptions whose hazard this one multiplies while it lasts (by name among all).
fn triggers(cx: &mut Ctx, d: &raw::Disruption, all_names: &[String]) -> Vec<TriggerModel> {
    let name = d.name.as_str();
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
    triggers
}
