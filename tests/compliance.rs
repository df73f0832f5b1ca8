//! The cap over time (docs/model.md, "The cap over time") against hand-worked markets.

use shortfall::compliance::{
    compliance, drawn_arrivals, path_compliance, Arrival, Binding, LinkCompliance,
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
