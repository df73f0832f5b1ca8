//! The tension regime (docs/model.md, "The tension regime"), and each disruption's hazard
//! multiplier per regime.

use super::*;

pub(super) fn tension(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    disruptions: &mut [DisruptionModel],
) -> TensionModel {
    let tension = match &raw.tension {
        None => TensionModel::none(),
        Some(t) => build_tension(cx, t),
    };
    for d in disruptions.iter_mut() {
        d.regime_multipliers = tension
            .regimes
            .iter()
            .map(|(_, m)| m.powf(d.tension_sensitivity))
            .collect();
    }
    tension
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
