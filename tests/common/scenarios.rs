//! Small scenarios whose answers are worked out by hand, shared by the tests of the commands
//! that run them (tests/sweep.rs, tests/sensitivity.rs, tests/report_pages.rs).

/// One supplier, one bloc; a full 3-month export ban with annual probability 0.05. A stockpile
/// of k months (released in full, refilled within a month, no substitution to share the load)
/// covers a ban iff k >= 3, so
/// P(any shortfall) falls from 1 − 0.95^5 ≈ 22.6% at k = 0 to ~0.1% at k = 3: what is left
/// are bans that start within about a month of the previous one's end, before the stock has
/// refilled (rate 0.051/12 a month × 0.26 bans a path). The EU's stockpile of `x` is what a
/// sweep varies.
pub const STOCK: &str = r#"Scenario(
    version: 1,
    name: "stock",
    horizon: (start: "2026-01", months: 60),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, max_substitution: 0)) },
    countries: { "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }) },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200) },
                    stockpiles: { "x": (initial_months: 0, refill_months: 1) }) },
    disruptions: [
        (name: "ban", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: 0.05, duration_months: 3, severity: 1.0),
    ],
    sources: ["A made-up supplier, 2026: for tests only"],
)"#;

/// Two materials, each from one supplier with no spare anywhere, and two independent one-month
/// full export bans: `ban-x` on x (annual probability 0.1) and `ban-y` on y (0.2); `ban-y`
/// reaches EU y, `ban-x` cannot. Any onset is a shortfall, and a one-month episode pauses its
/// process only in its own month, so P(any shortfall of x in 5 years) = 1 − 0.9⁵ exactly, and
/// likewise for y with 0.8.
pub const TWO_BANS: &str = r#"Scenario(
    version: 1,
    name: "two-bans",
    horizon: (start: "2026-01", months: 60),
    materials: {
        "x": (stages: { "processing": () }),
        "y": (stages: { "processing": () }),
    },
    countries: {
        "A": (capacity: { "x": { "processing": (tonnes_per_year: 1200, utilisation: 1.0) } }),
        "B": (capacity: { "y": { "processing": (tonnes_per_year: 600, utilisation: 1.0) } }),
    },
    blocs: { "EU": (demand: { "x": (tonnes_per_year: 1200), "y": (tonnes_per_year: 600) }) },
    disruptions: [
        (name: "ban-x", kind: ExportBan, countries: ["A"], materials: ["x"],
         annual_probability: 0.1, duration_months: 1, severity: 1.0),
        (name: "ban-y", kind: ExportBan, countries: ["B"], materials: ["y"],
         annual_probability: 0.2, duration_months: 1, severity: 1.0),
    ],
)"#;
