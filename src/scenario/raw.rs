//! The scenario file exactly as an analyst writes it: plain serde structs, no checks.
//!
//! Everything here is deliberately dumb: names are strings, numbers are whatever was written.
//! `model::compile` turns this into a validated, indexed `Model`; the kernel never sees these types.
//! Field names are the ones an analyst reads in the file, so they carry their unit where one applies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::param::Param;

/// Material name → value. Sorted maps keep every listing and output in a stable order.
pub type ByName<T> = BTreeMap<String, T>;

/// A whole scenario file (`version: 1`).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, rename = "Scenario")]
pub struct ScenarioFile {
    /// Format version; only 1 exists.
    pub version: u32,
    /// Short name, used for the output folder (`output/<name>/`). Defaults to the file stem.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Another scenario file (path relative to this one, or `builtin:eu-2030`) that this one builds on.
    #[serde(default)]
    pub extends: Option<String>,
    /// Where the figures come from; copied into every run's manifest. Each is a text, or
    /// `(text: "...", confidence: Weak)` to mark how far it can be cited.
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub horizon: Option<Horizon>,
    #[serde(default)]
    pub materials: ByName<Material>,
    #[serde(default)]
    pub countries: ByName<Country>,
    #[serde(default)]
    pub blocs: ByName<Bloc>,
    #[serde(default)]
    pub partnerships: Vec<Partnership>,
    /// The common-cause mechanism: a shared geopolitical tension regime.
    #[serde(default)]
    pub tension: Option<Tension>,
    #[serde(default)]
    pub disruptions: Vec<Disruption>,
    /// Names of inherited disruptions to drop (only meaningful with `extends`).
    #[serde(default)]
    pub remove_disruptions: Vec<String>,
    /// The single-supplier cap (CRMA Art. 5(1)(b): 65%).
    #[serde(default)]
    pub supplier_cap: Option<SupplierCap>,
    #[serde(default)]
    pub price_floors: Vec<PriceFloor>,
    /// Capacity that comes online at a date, or restarts when the price stays high.
    #[serde(default)]
    pub new_capacity: Vec<NewCapacity>,
    /// Inherited entries a child replaced whole through `extends`, with what each replacement
    /// changed (filled by `overlay`; never read from a file, never written).
    #[serde(skip)]
    pub replaced: Vec<super::diff::Replaced>,
}

/// Simulated period: monthly steps from `start`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    /// First simulated month, `"YYYY-MM"`.
    pub start: String,
    /// Number of monthly steps (1..=600).
    pub months: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// What a tonne means for this material (e.g. "t Li content"); shown in tables.
    #[serde(default)]
    pub unit: Option<String>,
    /// On the CRMA list of critical raw materials (Annex II).
    #[serde(default)]
    pub critical: Option<bool>,
    /// On the CRMA list of strategic raw materials (Annex I); the supplier cap applies to these.
    #[serde(default)]
    pub strategic: Option<bool>,
    /// Stage name → stage. Each stage names the stage it draws its input from.
    #[serde(default)]
    pub stages: ByName<Stage>,
    #[serde(default)]
    pub price: Option<PriceModel>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The upstream stage this one consumes (e.g. `processing` draws on `mining`). None for the first stage.
    #[serde(default)]
    pub draws_on: Option<String>,
    /// The published world total for this stage, t/yr (e.g. USGS's rounded world production).
    /// When given, `check` reports supplier shares of this figure, as the publication does;
    /// otherwise shares are of the sum over countries. Not used by the simulation.
    #[serde(default)]
    pub world_production_t_per_year: Option<f64>,
    /// Months of this stage's throughput that its processors hold as stock of the upstream
    /// stage's product (a refiner's feed): it covers a loss at the upstream stage and is not
    /// rebuilt within the horizon. None: no feed stock. Only on a stage that `draws_on` another.
    #[serde(default)]
    pub feed_stock_months: Option<f64>,
    /// Share of this stage's production that goes to uses the blocs' demand does not cover (rare
    /// earths: everything but magnets). `check` then compares the blocs' take with the rest of
    /// production. Not used by the simulation: output beyond the contracts is unmodelled use anyway.
    #[serde(default)]
    pub unmodelled_use_share: Option<f64>,
}

/// How the price of a material reacts to scarcity, and how demand reacts to price.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceModel {
    /// Calm-market price, USD per tonne.
    pub base_usd_per_t: f64,
    /// Price rise per unit of world supply gap: price = base × (1 + sensitivity × gap share).
    #[serde(default = "default_scarcity_sensitivity")]
    pub scarcity_sensitivity: f64,
    /// Share of demand given up per unit of relative price rise (short-run substitution).
    #[serde(default = "default_demand_elasticity")]
    pub demand_elasticity: f64,
    /// Upper bound on the share of demand that substitution can remove.
    #[serde(default = "default_max_substitution")]
    pub max_substitution: f64,
    /// What a tonne from a supplier other than the dominant one costs more than a tonne from
    /// it, as a share of the calm price (the premium of diversifying). Used only by the cost of
    /// complying with the supplier cap (`stress-cap`); the simulation ignores it.
    #[serde(default)]
    pub non_dominant_premium_share: Option<f64>,
}

fn default_scarcity_sensitivity() -> f64 {
    4.0
}
fn default_demand_elasticity() -> f64 {
    0.05
}
fn default_max_substitution() -> f64 {
    0.15
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Country {
    /// Material → stage → capacity.
    #[serde(default)]
    pub capacity: ByName<ByName<Capacity>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Nameplate capacity, tonnes per year.
    pub tonnes_per_year: f64,
    /// Share of capacity producing in calm times; the rest is spare that can ramp up in a crisis.
    #[serde(default = "default_utilisation")]
    pub utilisation: f64,
    /// Months for spare capacity to come fully online once a crisis starts.
    #[serde(default = "default_ramp_up_months")]
    pub ramp_up_months: f64,
    /// All-in production cost, USD per tonne (used by price floors and market floods).
    #[serde(default)]
    pub unit_cost_usd_per_t: Option<f64>,
}

fn default_utilisation() -> f64 {
    0.85
}
fn default_ramp_up_months() -> f64 {
    6.0
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Bloc {
    /// Countries inside the bloc: their supply counts as domestic and is never hit by trade
    /// measures aimed at the bloc.
    #[serde(default)]
    pub members: Vec<String>,
    /// Material → annual demand.
    #[serde(default)]
    pub demand: ByName<Demand>,
    /// Material → stage → supplier country → share of the bloc's need at that stage.
    /// A stage left out follows the world production mix at that stage.
    #[serde(default)]
    pub sourcing: ByName<ByName<ByName<f64>>>,
    /// Material → share of demand met by the bloc's own recycling (untouched by foreign measures).
    #[serde(default)]
    pub recycling: ByName<Recycling>,
    /// Material → strategic stockpile.
    #[serde(default)]
    pub stockpiles: ByName<Stockpile>,
    /// Material → commercial and pipeline inventories held by the bloc's traders and users
    /// (used before the strategic stockpile, restocked by buying spare supply).
    #[serde(default)]
    pub inventories: ByName<Inventory>,
}

/// Commercial inventories of one bloc and material, in months of its demand.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Months of demand held in calm times (drawn once per path).
    pub cover_months: Param,
    /// Most the bloc can hold, months of demand (room for pre-buying); defaults to twice the
    /// drawn cover.
    #[serde(default)]
    pub max_cover_months: Option<f64>,
    /// Months to restock from empty to the calm cover (the most bought back in a month is
    /// cover / restock_months).
    #[serde(default = "default_restock_months")]
    pub restock_months: f64,
}

fn default_restock_months() -> f64 {
    6.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Demand in the first simulated year, tonnes per year.
    pub tonnes_per_year: f64,
    /// Annual growth rate (0.05 = 5% a year); may be a distribution, drawn once per path.
    #[serde(default)]
    pub growth_per_year: Option<Param>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recycling {
    /// Share of demand met from recycling at the start of the horizon.
    pub share_of_demand: f64,
    /// Share reached by the end of the horizon (linear in between); defaults to `share_of_demand`,
    /// or with `targets` to the last target's share.
    #[serde(default)]
    pub share_at_end: Option<f64>,
    /// Shares to reach by given months, in increasing order: the share is piecewise linear
    /// between the start, the targets and the end (docs/model.md, "Demand, recycling, need and
    /// capacity").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<RecyclingTarget>,
}

/// A recycled share to reach by a month.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecyclingTarget {
    /// The month the share is reached, `"YYYY-MM"`, within the horizon and after its first month.
    pub by: String,
    /// The recycled share of demand in that month, in [0, 1].
    pub share: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stockpile {
    /// Stock at the start, in months of the bloc's (first-year) demand.
    pub initial_months: f64,
    /// Level the stockpile is refilled to, in months of current demand; defaults to `initial_months`.
    #[serde(default)]
    pub target_months: Option<f64>,
    /// Largest monthly release, as a share of the month's demand (1.0 = can cover a total cut).
    #[serde(default = "default_max_release_share")]
    pub max_release_share: f64,
    /// Release only when the month's gap exceeds this share of demand (0 = release on any gap).
    #[serde(default)]
    pub release_threshold_share: f64,
    /// Months to refill from empty to target once supply is normal again.
    #[serde(default = "default_refill_months")]
    pub refill_months: f64,
}

fn default_max_release_share() -> f64 {
    1.0
}
fn default_refill_months() -> f64 {
    24.0
}

/// Countries in a partnership serve the partner blocs first from their spare output in a crisis;
/// with `stockpile_sharing`, partner blocs lend each other stock once their own need is met.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    pub name: String,
    #[serde(default)]
    pub blocs: Vec<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    /// Materials covered; empty means all.
    #[serde(default)]
    pub materials: Vec<String>,
    #[serde(default)]
    pub stockpile_sharing: bool,
}

/// A Markov chain of geopolitical regimes that scales the hazard of every disruption sensitive to it,
/// so that export controls cluster in time as they did in 2023–2025.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tension {
    /// Regime name → hazard multiplier (calm is usually 1).
    pub regimes: ByName<f64>,
    /// Regime at the start of every path.
    pub initial: String,
    /// From regime → to regime → monthly probability. The probability of staying is what is left.
    pub monthly_transitions: ByName<ByName<f64>>,
}

/// What kind of disruption a process is. The kind decides its effect: trade measures cut the
/// country's exports to the target blocs, capacity losses cut its production for every customer
/// (docs/scenario-format.md, the kinds table).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum DisruptionKind {
    /// Trade measure: exports to the target blocs stop (severity ≈ 1).
    ExportBan,
    /// Trade measure: a licensing regime cuts exports to the target blocs by its severity; the cut
    /// can decay as licences are granted (`licence_recovery`).
    ExportLicence,
    /// Trade measure: a quota cuts exports to the target blocs by its severity (`licence_recovery`
    /// applies as for licences).
    ExportQuota,
    /// Capacity loss: war or unrest cuts the country's production at the stages hit.
    Conflict,
    /// Capacity loss: a natural disaster cuts the country's production at the stages hit.
    Disaster,
    /// Capacity loss: a mine or plant accident, a strike or an operational suspension.
    Accident,
    /// Capacity loss: nationalisation or a regulatory closure of producers.
    Nationalisation,
    /// A dominant supplier floods the market: the price falls by `severity` and producers whose
    /// unit cost exceeds the price shut unless a price floor covers them.
    MarketFlood,
}

impl DisruptionKind {
    /// Every kind's name as a scenario file spells it (the "did you mean" list).
    pub const ALL: [&'static str; 8] = [
        "ExportBan",
        "ExportLicence",
        "ExportQuota",
        "Conflict",
        "Disaster",
        "Accident",
        "Nationalisation",
        "MarketFlood",
    ];
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Disruption {
    /// Unique name; used by triggers, `remove_disruptions` and the tornado chart.
    pub name: String,
    pub kind: DisruptionKind,
    /// Countries whose capacity or exports are hit.
    pub countries: Vec<String>,
    pub materials: Vec<String>,
    /// Stages hit; empty means every stage of each material.
    #[serde(default)]
    pub stages: Vec<String>,
    /// For trade measures only: blocs the measure is aimed at; empty means every bloc the
    /// country is not a member of.
    #[serde(default)]
    pub target_blocs: Vec<String>,
    /// Chance of at least one onset in a calm year. Give this or `rate_per_year`.
    #[serde(default)]
    pub annual_probability: Option<Param>,
    /// Expected onsets per calm year (a Poisson rate). Give this or `annual_probability`.
    #[serde(default)]
    pub rate_per_year: Option<Param>,
    /// A scripted event instead of a random process: starts once, in this month ("YYYY-MM"),
    /// on every path. Give this instead of a frequency.
    #[serde(default)]
    pub scheduled_start: Option<String>,
    /// How long one episode lasts, months (drawn per episode).
    pub duration_months: Param,
    /// Share lost while active: of exports to the target blocs for trade measures, of capacity
    /// otherwise, of the price for a market flood. Drawn per episode, in [0, 1].
    pub severity: Param,
    /// Exponent on the tension multiplier: 1 follows tension fully, 0 ignores it (e.g. disasters).
    #[serde(default = "default_tension_sensitivity")]
    pub tension_sensitivity: f64,
    /// Other disruptions this one makes more likely when it starts.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// Trade measures only: months between announcement and effect (drawn per episode,
    /// rounded to whole months); importers pre-buy in between. None: no announcement.
    #[serde(default)]
    pub announced_months: Option<Param>,
    /// Trade measures only: the most pulled forward in one month of the announcement window,
    /// as a share of the normal monthly contracted flow from the hit suppliers (default 1).
    #[serde(default)]
    pub prebuy_share: Option<f64>,
    /// ExportLicence or ExportQuota only: licences are granted over time toward a residual cut.
    #[serde(default)]
    pub licence_recovery: Option<LicenceRecovery>,
    /// Trade measures only: share of the blocked flow that still arrives through third
    /// countries (drawn per episode, in [0, 1]).
    #[serde(default)]
    pub leakage_share: Option<Param>,
    /// Free text: the historical record this process was calibrated on.
    #[serde(default)]
    pub note: Option<String>,
}

fn default_tension_sensitivity() -> f64 {
    1.0
}
fn default_enabled() -> bool {
    true
}

/// How the cut of a licence regime recovers while the measure stays in force: the cut decays
/// from its full severity toward `residual_share` of it with the given half-life.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceRecovery {
    /// Months for the recoverable part of the cut to halve (drawn per episode, >= 0.1).
    pub half_life_months: Param,
    /// Share of the full cut that remains however long licences are granted (per episode, [0, 1]).
    pub residual_share: Param,
    /// Months after the measure takes effect before the first licences are granted: the full
    /// cut holds until then, and the recovery starts from there (per episode, [0, 120]).
    /// None: the recovery starts at once.
    #[serde(default)]
    pub processing_months: Option<Param>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Name of the disruption whose hazard rises.
    pub disruption: String,
    pub hazard_multiplier: f64,
    pub months: u32,
}

/// CRMA single-supplier cap: no single third country supplies more than `level` of a bloc's
/// consumption at the stages named.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierCap {
    pub level: f64,
    /// Blocs that apply it (e.g. `["EU"]`).
    pub blocs: Vec<String>,
    /// Stages; empty means all stages.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Materials; empty means every material marked `strategic`.
    #[serde(default)]
    pub materials: Vec<String>,
    /// First month the cap binds, "YYYY-MM"; before it sourcing follows the market. None: the
    /// cap binds from the horizon's start (the static cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binds_from: Option<String>,
    /// Months of linear phase-in from `binds_from` to the full cap (0 or none: at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_in_months: Option<u32>,
}

/// A guaranteed minimum price paid by a bloc's public purse to covered producers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFloor {
    pub name: String,
    pub material: String,
    /// Floor, USD per tonne.
    pub floor_usd_per_t: f64,
    /// Stage whose output the floor guarantees; defaults to the material's last stage.
    #[serde(default)]
    pub stage: Option<String>,
    /// Producer countries covered.
    pub countries: Vec<String>,
    /// Bloc whose public purse pays the difference.
    pub paid_by: String,
}

/// Capacity that arrives at a date (`online`) or restarts when the price stays above a ratio
/// (`restart_when_price_above`): exactly one of the two. It is uncommitted: it only adds spare.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewCapacity {
    /// Unique name; names the random stream of its delay.
    pub name: String,
    pub country: String,
    pub material: String,
    pub stage: String,
    /// Full capacity once ramped up, tonnes per year.
    pub tonnes_per_year: f64,
    /// Scheduled start, "YYYY-MM" (before any delay).
    #[serde(default)]
    pub online: Option<String>,
    /// Slippage after `online`, months (drawn once per path, rounded to whole months; default 0).
    #[serde(default)]
    pub delay_months: Option<Param>,
    /// Months from first output to full capacity (linear; 0 = a step).
    #[serde(default = "default_new_capacity_ramp")]
    pub ramp_months: f64,
    /// Idle capacity that restarts once the price ratio has stayed at or above `ratio` for
    /// `months` consecutive months.
    #[serde(default)]
    pub restart_when_price_above: Option<RestartRule>,
    /// Where the figure comes from.
    #[serde(default)]
    pub source: Option<String>,
}

fn default_new_capacity_ramp() -> f64 {
    12.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestartRule {
    /// Price ratio to the base price (> 1).
    pub ratio: f64,
    /// Consecutive months at or above the ratio before the restart (>= 1).
    pub months: u32,
}

/// One entry of a scenario's `sources`: a plain text, or `(text: "...", confidence: Weak)`.
/// Serialized back in the same form (a plain text stays a text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub text: String,
    /// How far the figures it gives can be cited; `None` when the file does not say.
    pub confidence: Option<Confidence>,
}

/// How far a source's figures can be cited, shown beside it in the report's sources table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Confidence {
    /// The figures were checked in the publisher's own document (a statistical office, a
    /// regulation, a company's report or release, a government's announcement).
    Primary,
    /// The figures were found only second-hand (an encyclopedia, a forum post, a news
    /// aggregator): a range to reason from, not an anchor.
    Weak,
}

impl Confidence {
    /// The mark as the report shows it.
    pub fn label(self) -> &'static str {
        match self {
            Confidence::Primary => "primary",
            Confidence::Weak => "weak",
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self.confidence {
            None => serializer.serialize_str(&self.text),
            Some(c) => {
                let mut st = serializer.serialize_struct("Source", 2)?;
                st.serialize_field("text", &self.text)?;
                st.serialize_field("confidence", &c)?;
                st.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> serde::de::Visitor<'de> for SourceVisitor {
    type Value = Source;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a text, or (text: \"...\", confidence: Primary or Weak)")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Source, E> {
        Ok(Source {
            text: v.to_string(),
            confidence: None,
        })
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Source, E> {
        Ok(Source {
            text: v,
            confidence: None,
        })
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Source, A::Error> {
        use serde::de::Error;
        const FIELDS: &[&str] = &["text", "confidence"];
        let (mut text, mut confidence) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "text" if text.is_some() => return Err(A::Error::duplicate_field("text")),
                "text" => text = Some(map.next_value::<String>()?),
                "confidence" if confidence.is_some() => {
                    return Err(A::Error::duplicate_field("confidence"))
                }
                "confidence" => confidence = Some(map.next_value::<Confidence>()?),
                other => return Err(A::Error::unknown_field(other, FIELDS)),
            }
        }
        Ok(Source {
            text: text.ok_or_else(|| A::Error::missing_field("text"))?,
            confidence,
        })
    }
}
