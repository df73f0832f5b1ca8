//! The cap over time (docs/model.md, "The cap over time") against hand-worked markets.

use shortfall::cap_cost::{cap_cost, MaterialCost};
use shortfall::compliance::{
    compliance, drawn_arrivals, material_compliance, path_compliance, Arrival, Binding,
    LinkCompliance,
};
use shortfall::{compile, load_str};

/// EU consumes 1,200 t/yr (100 t/month) of gallium, 90% from China, 10% from Japan. The 65%
/// cap moves E = (0.90 − 0.65) · 100 = 25 t/month. Japan has 15 t/month at 2/3 utilisation:
/// output max(10, committed 10) = 10, spare S = 5 t/month. Greece (no capacity today) builds
/// 25 t/month scheduled for 2027-01 (month 12) plus `delay`. So before Greece arrives the gap
/// is 25 − 5 = 20 t/month (240 t/yr), after it max(0, 20 − 25) = 0.
fn market(delay: &str, ramp: f64) -> shortfall::Model {
    let text = format!(
        r#"Scenario(
    version: 1,
    name: "compliance-market",
    horizon: (start: "2026-01", months: 48),
    materials: {{
        "gallium": (strategic: true, stages: {{ "refining": () }}, price: (base_usd_per_t: 300000)),
    }},
    countries: {{
        "China": (capacity: {{ "gallium": {{ "refining": (tonnes_per_year: 6000, unit_cost_usd_per_t: 250000) }} }}),
        "Japan": (capacity: {{ "gallium": {{ "refining": (tonnes_per_year: 180, utilisation: 0.6666666666666666, unit_cost_usd_per_t: 400000) }} }}),
        "Greece": (),
    }},
    blocs: {{
        "EU": (
            demand: {{ "gallium": (tonnes_per_year: 1200) }},
            sourcing: {{ "gallium": {{ "refining": {{ "China": 0.9, "Japan": 0.1 }} }} }},
        ),
    }},
    supplier_cap: (level: 0.65, blocs: ["EU"]),
    new_capacity: [
        (
            name: "greece-gallium",
            country: "Greece",
            material: "gallium",
            stage: "refining",
            tonnes_per_year: 300,
            online: "2027-01",
            delay_months: {delay},
            ramp_months: {ramp},
        ),
    ],
    disruptions: [],
)"#
    );
    let loaded = load_str("compliance-market.ron", &text).expect("the market loads");
    compile(&loaded).expect("the market compiles")
}

const AT_ONCE: Binding = Binding {
    from: 0,
    phase_in_months: 0,
};

fn one_link(model: &shortfall::Model, paths: u64) -> LinkCompliance {
    let online = drawn_arrivals(model, 7, paths);
    let mut links = compliance(model, "EU", AT_ONCE, &online);
    assert_eq!(links.len(), 1, "one capped link: gallium refining, China");
    links.remove(0)
}

#[test]
fn compliance_month_is_the_arrival_month_and_the_gap_is_the_hand_figure() {
    let link = one_link(&market("Fixed(0)", 0.0), 4);
    assert!((link.excess_t_per_year - 300.0).abs() < 1e-6, "{link:?}");
    assert!((link.spare_t_per_year - 60.0).abs() < 1e-6, "{link:?}");
    assert!((link.pipeline_t_per_year - 300.0).abs() < 1e-9);
    assert!(
        link.months.iter().all(|m| *m == Some(12)),
        "{:?}",
        link.months
    );
    assert_eq!(link.month_median, Some(12));
    assert_eq!(link.p_not_by_end, 0.0);
    // Year 1 (months 0..12): 240 t/yr short every month; years 2–4: none.
    assert!(
        (link.gap_by_year_t[0] - 240.0).abs() < 1e-6,
        "{:?}",
        link.gap_by_year_t
    );
    assert!(link.gap_by_year_t[1..].iter().all(|g| *g == 0.0));
    // From month 0 the cap binds: 60 t/yr from spare, nothing new yet.
    assert!((link.from_spare_t_per_year - 60.0).abs() < 1e-6);
    assert_eq!(link.from_new_t_per_year, 0.0);
    assert_eq!(link.mean_months_in_breach, 12.0);
}

#[test]
fn a_fixed_delay_of_d_months_moves_compliance_by_exactly_d() {
    for d in [1usize, 7, 20] {
        let link = one_link(&market(&format!("Fixed({d})"), 0.0), 3);
        assert!(
            link.months.iter().all(|m| *m == Some(12 + d)),
            "delay {d}: {:?}",
            link.months
        );
    }
    // Pushed beyond the 48-month horizon: never.
    let late = one_link(&market("Fixed(40)", 0.0), 3);
    assert_eq!(late.month_median, None);
    assert_eq!(late.p_not_by_end, 1.0);
}

#[test]
fn a_ramp_delays_compliance_until_enough_is_online() {
    // 25 t/month ramping over 10 months: N(t) = 2.5 (t − 12); N ≥ 20 first at t = 20.
    let link = one_link(&market("Fixed(0)", 10.0), 2);
    assert_eq!(link.month_median, Some(20));
}

#[test]
fn drawn_delays_are_the_kernels_draws_per_path() {
    // Empirical delays of 0 or 12 months: each path complies at 12 + its own draw, so the
    // months take exactly the two values, and the same seed gives the same months.
    let model = market("Empirical(values: [0, 12])", 0.0);
    let a = one_link(&model, 400);
    let b = one_link(&model, 400);
    assert_eq!(a.months, b.months);
    let early = a.months.iter().filter(|m| **m == Some(12)).count();
    let late = a.months.iter().filter(|m| **m == Some(24)).count();
    assert_eq!(early + late, 400);
    assert!(early > 150 && late > 150, "{early} / {late}");
}

#[test]
fn phase_in_and_binding_month_split_the_moved_volume() {
    // E = 25, S = 5, one step of 25 t/month at month 12. Binding from month 6 with a 4-month
    // phase-in: φ = 1/4, 2/4, 3/4, 1 in months 6..=9; full from month 9.
    let arrivals = [Arrival {
        online: 12.0,
        ramp_months: 0.0,
        tonnes_per_month: 25.0,
    }];
    let binding = Binding {
        from: 6,
        phase_in_months: 4,
    };
    let p = path_compliance(25.0, 5.0, &arrivals, 24, binding);
    assert_eq!(p.month, Some(12));
    assert_eq!(p.from_spare[5], 0.0);
    assert!((p.from_spare[6] - 5.0).abs() < 1e-12); // min(6.25, 5)
    assert!((p.from_new[6]).abs() < 1e-12);
    assert!((p.from_new[13] - 20.0).abs() < 1e-12);
    // In breach in months 6..=11 (φ·E > 5 from month 6: 6.25 > 5).
    assert_eq!(p.months_in_breach, 6);
    assert!((binding.required_share(7) - 0.5).abs() < 1e-12);
}

/// A two-supplier market for the cost of the cap: the EU consumes 1,200 t/yr (100 t/month),
/// 90% from China and 10% from Japan. Japan has 720 t/yr at 50% utilisation: calm output
/// max(360, committed 120) = 360 t/yr, spare 360 t/yr. The 65% cap moves (0.90 − 0.65) × 1,200
/// = 300 t/yr from China to Japan, all of which Japan's spare takes. `costs` are the two unit
/// costs (USD/t) and `premium` the material's non-dominant premium share; price 300,000 USD/t.
fn two_suppliers(
    cap: bool,
    costs: Option<(f64, f64)>,
    premium: Option<f64>,
    japan_t: f64,
) -> shortfall::Model {
    let cost = |c: Option<f64>| c.map_or(String::new(), |c| format!(", unit_cost_usd_per_t: {c}"));
    let text = format!(
        r#"Scenario(
    version: 1,
    name: "two-suppliers",
    horizon: (start: "2026-01", months: 48),
    materials: {{
        "gallium": (strategic: true, stages: {{ "refining": () }}, price: (base_usd_per_t: 300000{})),
    }},
    countries: {{
        "China": (capacity: {{ "gallium": {{ "refining": (tonnes_per_year: 6000{}) }} }}),
        "Japan": (capacity: {{ "gallium": {{ "refining": (tonnes_per_year: {japan_t}, utilisation: 0.5{}) }} }}),
    }},
    blocs: {{
        "EU": (
            demand: {{ "gallium": (tonnes_per_year: 1200) }},
            sourcing: {{ "gallium": {{ "refining": {{ "China": 0.9, "Japan": 0.1 }} }} }},
        ),
    }},
    {}
    disruptions: [],
)"#,
        premium.map_or(String::new(), |p| format!(
            ", non_dominant_premium_share: {p}"
        )),
        cost(costs.map(|c| c.0)),
        cost(costs.map(|c| c.1)),
        if cap {
            r#"supplier_cap: (level: 0.65, blocs: ["EU"]),"#
        } else {
            ""
        },
    );
    let loaded = load_str("two-suppliers.ron", &text).expect("the market loads");
    compile(&loaded).expect("the market compiles")
}

fn cost_of(costs: Option<(f64, f64)>, premium: Option<f64>, japan_t: f64) -> MaterialCost {
    let without = two_suppliers(false, costs, premium, japan_t);
    let with = two_suppliers(true, costs, premium, japan_t);
    let mut all = cap_cost(&without, &with, "EU");
    assert_eq!(all.len(), 1, "one material moved: {all:?}");
    all.remove(0)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn the_cost_of_the_cap_on_two_suppliers_is_the_hand_figure() {
    // Unit costs China 250,000, Japan 400,000: 300 t/yr × 150,000 = 45 m USD a year; over the
    // 4-year horizon 180 m. Removing 3 pp of P(>10%) [1, 5]: 60 m USD per point. The same
    // 180 m buys 180e6 / 300,000 = 600 t of stockpile = 6 months of 100 t/month.
    let c = cost_of(Some((250_000.0, 400_000.0)), None, 720.0);
    assert!(close(c.moved_t_per_year, 300.0), "{c:?}");
    assert_eq!(c.moved.len(), 1);
    assert_eq!(
        (c.moved[0].supplier.as_str(), c.moved[0].from.as_str()),
        ("Japan", "China")
    );
    assert!(close(c.moved[0].premium_usd_per_t.unwrap(), 150_000.0));
    assert!(close(c.cost_usd_per_year.unwrap(), 45e6), "{c:?}");
    assert!(close(c.cost_usd_horizon.unwrap(), 180e6));
    assert_eq!(c.gap_t_per_year, 0.0);
    assert!(close(c.stockpile_t.unwrap(), 600.0));
    assert!(close(c.stockpile_months.unwrap(), 6.0));
    let c = c.with_risk(-0.03, -0.05, -0.01);
    let r = c.risk_removed_pp.unwrap();
    assert!(
        close(r[0], 3.0) && close(r[1], 1.0) && close(r[2], 5.0),
        "{r:?}"
    );
    assert!(close(c.usd_per_pp_removed.unwrap(), 60e6));
    // A cap that adds risk removes none: no cost per point.
    let worse = cost_of(Some((250_000.0, 400_000.0)), None, 720.0).with_risk(0.01, 0.0, 0.02);
    assert_eq!(worse.usd_per_pp_removed, None);
    // Nor does a removal whose interval includes zero: a cost divided by noise is no figure.
    let noise =
        cost_of(Some((250_000.0, 400_000.0)), None, 720.0).with_risk(-0.0001, -0.001, 0.0008);
    assert_eq!(noise.usd_per_pp_removed, None);
}

#[test]
fn without_unit_costs_the_premium_share_prices_the_move_and_the_gap() {
    // 20% of 300,000 = 60,000 USD/t on 300 t/yr = 18 m a year.
    let c = cost_of(None, Some(0.2), 720.0);
    assert!(close(c.cost_usd_per_year.unwrap(), 18e6), "{c:?}");
    // Japan at 480 t/yr: spare 240 − 120 ... calm output max(240, 120) = 240, spare 240 t/yr;
    // 240 t/yr move, a gap of 60 t/yr remains, priced at the same premium once built: 3.6 m.
    let c = cost_of(None, Some(0.2), 480.0);
    assert!(close(c.moved_t_per_year, 240.0), "{c:?}");
    assert!(close(c.cost_usd_per_year.unwrap(), 14.4e6));
    assert!(close(c.gap_t_per_year, 60.0));
    assert!(close(c.gap_cost_usd_per_year.unwrap(), 3.6e6));
    // Neither unit costs nor a premium: the move is not priced, and nothing pretends it is free.
    let c = cost_of(None, None, 720.0);
    assert_eq!(c.cost_usd_per_year, None);
    assert_eq!(c.usd_per_pp_removed, None);
    assert_eq!(c.stockpile_months, None);
}

#[test]
fn a_material_complies_when_its_last_link_does() {
    let link = |stage: &str, months: Vec<Option<usize>>| {
        let mut l = one_link(&market("Fixed(0)", 0.0), 1);
        l.stage = stage.into();
        l.months = months;
        l
    };
    let links = vec![
        link("mining", vec![Some(3), Some(10), Some(0), None]),
        link("refining", vec![Some(5), Some(2), Some(0), Some(1)]),
    ];
    let m = material_compliance(&links, "gallium").unwrap();
    // Per path: max(3, 5) = 5, max(10, 2) = 10, 0, never. Sorted 0, 5, 10, never.
    assert_eq!(m.p_not_by_end, 0.25);
    assert_eq!(
        (m.month_p10, m.month_median, m.month_p90),
        (Some(0), Some(5), None)
    );
    assert!(material_compliance(&links, "cobalt").is_none());
}

/// `check` says when a cap that binds later does, over the links it moves at full strength; a
/// static cap keeps its plain heading.
#[test]
fn check_says_when_the_cap_binds() {
    let check = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("shortfall")
            .unwrap()
            .arg("check")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let later = check(&["scenarios/eu-cap-65.ron"]);
    assert!(
        later.contains("Supplier cap at 65.0%, binding from 2030-01 (before it sourcing follows the market); at full strength it moves:\n  EU gallium mining: China 71.0% → 65.0%"),
        "{later}"
    );
    let json = check(&["scenarios/eu-cap-65.ron", "--json"]);
    assert!(json.contains("\"cap_binds\": \"from 2030-01\""), "{json}");
    let static_cap = check(&["tests/scenarios/good/cap-and-floor.ron"]);
    assert!(
        static_cap.contains("Supplier cap applied at 65.0%:\n  EU NdPr oxide separation"),
        "{static_cap}"
    );
    assert!(!static_cap.contains("binding from"));
}
