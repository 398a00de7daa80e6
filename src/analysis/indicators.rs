//! Territory indicators, each with its source (producer, date, synthetic or not):
//! population, social dwellings, social vacancy, DPE F/G share, median construction year,
//! dwellings in QPV, private long-term vacancy (LOVAC), brownfields, zonage A/B/C, programme.
//!
//! Property names by role: communes `code, nom, pmun22`; residences `DEPCOM, logements, vacants,
//! dpe_F, dpe_G, CONSTRUCT, en_qpv` (a flag, or the number of dwellings in a QPV), optionally
//! `dpe_inconnu` (dwellings without a DPE label, left out of the F/G share); lovac `code,
//! nb_log_pp, pct_vacants_plus_2ans_pp`; friches `insee_com, unite_fonciere_surface` (m²,
//! optional); zonage `code, zonage_abc`; perimeters `code`; ort `insee_com, signee`; qpv `code,
//! n_qp_in_commune`. An indicator whose property the layer lacks (the real RPLS files have no
//! occupancy, so no `vacants`) is null — "non disponible" — never 0.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use super::territory::{layer_with, text, Territory};
use crate::catalog::Catalog;
use crate::config::Role;
use crate::layer::{Layer, Value};

/// The brownfields' land surface in m² (Cartofriches' CNIG standard).
pub const BROWNFIELD_SURFACE: &str = "unite_fonciere_surface";

/// The state of a signed ORT convention (`signee`).
pub const ORT_SIGNED: &str = "Signée";

/// The zonage breakdown's entry for communes the zonage table does not list.
pub const NO_ZONE: &str = "non renseigné";

/// Where an indicator comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub layer: String,
    pub producer: String,
    pub date: String,
    pub synthetic: bool,
}

impl Source {
    fn of(layer: &Layer) -> Self {
        Self {
            layer: layer.id().to_owned(),
            producer: layer.config.attribution.producer.clone(),
            date: layer.config.attribution.date.clone(),
            synthetic: layer.config.synthetic,
        }
    }
}

/// One indicator of one territory (its id, label and unit are the code's, or read back from the
/// cache).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indicator {
    pub id: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub unit: Cow<'static, str>,
    /// A number, a text or a breakdown; null when the data has nothing for the territory.
    pub value: Json,
    pub source: Source,
    /// Whether the value is exact, estimated or cannot be computed for this territory.
    #[serde(default)]
    pub method: Method,
    /// How the value was found, in French, when it is not a plain count (an estimate, the
    /// communes a polygon touches, why it cannot be computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How an indicator's value was found for a territory. A drawn or uploaded polygon cuts
/// communes: what is known per commune (population, LOVAC) is then pro-rated by the share of each
/// commune's area inside ([`Method::Estimated`]), or, when no share makes sense (a count of
/// quartiers), not computed ([`Method::NotComputable`], value null) — never a false 0. What is
/// known by point (residences, brownfields) stays exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    #[default]
    Exact,
    Estimated,
    NotComputable,
}

/// A numeric property of a feature (`None` when null, missing or not a number).
pub fn number<'a>(
    layer: &Layer,
    f: impl std::borrow::Borrow<crate::layer::Feature<'a>>,
    name: &str,
) -> Option<f64> {
    let f = *f.borrow();
    layer.property_index(name).and_then(|i| f.number(i))
}

/// The dwellings of a residence in a QPV: all of them when `en_qpv` is a flag (`[group.any]`),
/// the count when it is one (`[group.count_if]` on the file's QPV code); `None` when unknown.
pub(super) fn qpv_dwellings(layer: &Layer, f: crate::layer::Feature<'_>) -> Option<f64> {
    match layer.property_index("en_qpv").and_then(|k| f.get(k))? {
        Value::Bool(true) => number(layer, f, "logements"),
        Value::Bool(false) => Some(0.0),
        Value::Int(n) => Some(n as f64),
        _ => None,
    }
}

fn ratio(part: f64, whole: f64) -> Json {
    if whole > 0.0 {
        json!((1000.0 * part / whole).round() / 10.0)
    } else {
        Json::Null
    }
}

/// Every indicator the catalogue's layers allow for a territory.
pub fn compute(catalog: &Catalog, t: &Territory) -> Vec<Indicator> {
    let mut out: Vec<Indicator> = Vec::new();
    let mut push =
        |id: &'static str, label: &'static str, unit: &'static str, value, layer: &Layer| {
            out.push(Indicator {
                id: id.into(),
                label: label.into(),
                unit: unit.into(),
                value,
                source: Source::of(layer),
                method: Method::Exact,
                note: None,
            });
        };
    if let Some(communes) = layer_with(catalog, Role::Communes) {
        let pop: f64 = communes
            .features()
            .filter(|f| t.communes.contains(&text(communes, f, "code")))
            .filter_map(|f| {
                Some(number(communes, f, "pmun22")? * t.share(&text(communes, f, "code")))
            })
            .sum();
        push(
            "population",
            "Population municipale",
            "habitants",
            json!(pop.round() as i64),
            communes,
        );
        push(
            "communes",
            "Communes",
            "communes",
            json!(t.communes.len()),
            communes,
        );
    }
    if let Some(r) = layer_with(catalog, Role::Residences) {
        let members = t.members(r, "DEPCOM");
        let sum = |name: &str| -> f64 {
            members
                .iter()
                .filter_map(|&i| r.feature(i))
                .filter_map(|f| number(r, f, name))
                .sum()
        };
        // A property the layer lacks (a real RPLS file has no occupancy) gives null, never 0.
        let has = |name: &str| r.property_index(name).is_some();
        let dwellings = sum("logements");
        let in_qpv = has("en_qpv").then(|| {
            members
                .iter()
                .filter_map(|&i| r.feature(i))
                .filter_map(|f| qpv_dwellings(r, f))
                .sum::<f64>()
        });
        // DPE shares count the dwellings with a known label (`dpe_inconnu` when counted).
        let labelled = dwellings - sum("dpe_inconnu");
        push(
            "social_dwellings",
            "Logements sociaux",
            "logements",
            json!(dwellings as i64),
            r,
        );
        push(
            "social_residences",
            "Résidences sociales",
            "résidences",
            json!(members.len()),
            r,
        );
        push(
            "social_vacancy",
            "Vacance du parc social",
            "%",
            if has("vacants") {
                ratio(sum("vacants"), dwellings)
            } else {
                Json::Null
            },
            r,
        );
        push(
            "dpe_fg",
            "Logements sociaux en étiquette F ou G",
            "%",
            if has("dpe_F") && has("dpe_G") {
                ratio(sum("dpe_F") + sum("dpe_G"), labelled)
            } else {
                Json::Null
            },
            r,
        );
        push(
            "qpv_dwellings",
            "Logements sociaux en QPV",
            "logements",
            in_qpv.map_or(Json::Null, |n| json!(n as i64)),
            r,
        );
        let mut years: Vec<(f64, f64)> = members
            .iter()
            .filter_map(|&i| {
                let f = r.feature(i)?;
                Some((number(r, f, "CONSTRUCT")?, number(r, f, "logements")?))
            })
            .collect();
        years.sort_by(|a, b| a.0.total_cmp(&b.0));
        let half = years.iter().map(|(_, n)| n).sum::<f64>() / 2.0;
        let mut seen = 0.0;
        let median = years.iter().find(|(_, n)| {
            seen += n;
            seen >= half
        });
        push(
            "median_year",
            "Année médiane de construction (par logement)",
            "année",
            median.map_or(Json::Null, |(y, _)| json!(*y as i64)),
            r,
        );
    }
    if let Some(l) = layer_with(catalog, Role::Lovac) {
        let (mut private, mut vacant, mut missing) = (0.0, 0.0, 0);
        for f in l
            .features()
            .filter(|f| t.communes.contains(&text(l, f, "code")))
        {
            match (
                number(l, f, "nb_log_pp"),
                number(l, f, "pct_vacants_plus_2ans_pp"),
            ) {
                (Some(n), Some(p)) => {
                    let share = t.share(&text(l, f, "code"));
                    private += n * share;
                    vacant += n * p / 100.0 * share;
                }
                _ => missing += 1,
            }
        }
        push(
            "private_long_term_vacancy",
            "Logements privés vacants depuis plus de 2 ans",
            "logements",
            json!(vacant.round() as i64),
            l,
        );
        push(
            "private_long_term_vacancy_rate",
            "Part des logements privés vacants depuis plus de 2 ans",
            "%",
            ratio(vacant, private),
            l,
        );
        push(
            "private_vacancy_unpublished",
            "Communes sans chiffre LOVAC publié (secret statistique)",
            "communes",
            json!(missing),
            l,
        );
    }
    if let Some(f) = layer_with(catalog, Role::Friches) {
        let members = t.members(f, "insee_com");
        push(
            "brownfields",
            "Friches recensées",
            "sites",
            json!(members.len()),
            f,
        );
        // Land surface (m²), where the layer has it at all (the CNIG-standard extract).
        if f.property_index(BROWNFIELD_SURFACE).is_some() {
            let surfaces: Vec<f64> = members
                .iter()
                .filter_map(|&i| f.feature(i))
                .filter_map(|g| number(f, g, BROWNFIELD_SURFACE))
                .collect();
            push(
                "brownfield_area",
                "Surface des friches de surface connue (unité foncière)",
                "ha",
                if surfaces.is_empty() {
                    Json::Null
                } else {
                    json!((surfaces.iter().sum::<f64>() / 1000.0).round() / 10.0)
                },
                f,
            );
            push(
                "brownfields_with_area",
                "Friches de surface connue",
                "sites",
                json!(surfaces.len()),
                f,
            );
        }
    }
    if let Some(z) = layer_with(catalog, Role::Zonage) {
        let mut zones = std::collections::BTreeMap::<String, usize>::new();
        for f in z
            .features()
            .filter(|f| t.communes.contains(&text(z, f, "code")))
        {
            let zone = text(z, f, "zonage_abc");
            let zone = if zone.is_empty() {
                NO_ZONE.to_owned()
            } else {
                zone
            };
            *zones.entry(zone).or_default() += 1;
        }
        push(
            "zonage_abc",
            "Zonage A/B/C (communes par zone)",
            "communes",
            json!(zones),
            z,
        );
    }
    for p in catalog
        .layers()
        .filter(|l| l.config.role == Some(Role::Perimeters))
    {
        let n = p
            .features()
            .filter(|f| t.communes.contains(&text(p, f, "code")))
            .count();
        push(
            if p.id().contains("pvd") {
                "pvd_communes"
            } else {
                "acv_communes"
            },
            if p.id().contains("pvd") {
                "Communes Petites villes de demain"
            } else {
                "Communes Action Cœur de Ville"
            },
            "communes",
            json!(n),
            p,
        );
    }
    if let Some(o) = layer_with(catalog, Role::Ort) {
        let signed = o
            .features()
            .filter(|f| t.communes.contains(&text(o, f, "insee_com")))
            .filter(|f| text(o, f, "signee") == ORT_SIGNED)
            .count();
        push(
            "ort_communes",
            "Communes sous convention ORT signée",
            "communes",
            json!(signed),
            o,
        );
    }
    if let Some(q) = layer_with(catalog, Role::Qpv) {
        let n: f64 = q
            .features()
            .filter(|f| t.communes.contains(&text(q, f, "code")))
            .filter_map(|f| number(q, f, "n_qp_in_commune"))
            .sum();
        push(
            "qpv",
            "Quartiers prioritaires (QPV 2024)",
            "quartiers",
            json!(n as i64),
            q,
        );
    }
    qualify(t, &mut out);
    out
}

/// What a polygon cutting communes does to the indicators known per commune: estimates (pro-rated
/// by area), counts of touched communes, or nothing computable (see [`Method`]).
fn qualify(t: &Territory, indicators: &mut [Indicator]) {
    if t.polygon.is_none() {
        return;
    }
    let cuts = t.cuts_communes();
    let touched = t.communes.len();
    let whole = t.whole_communes();
    let partly = touched - whole;
    let touched_note = || {
        format!(
            "Communes touchées par le périmètre\u{a0}: {touched} ({whole} entièrement, {partly} en partie)."
        )
    };
    for ind in indicators {
        let (method, note) = match ind.id.as_ref() {
            "population" if cuts => (
                Method::Estimated,
                format!(
                    "Estimation\u{a0}: population municipale des {touched} communes touchées, au prorata de la part de leur surface comprise dans le périmètre (la population n’est publiée que par commune)."
                ),
            ),
            "private_long_term_vacancy" | "private_long_term_vacancy_rate" if cuts => (
                Method::Estimated,
                "Estimation\u{a0}: chiffres LOVAC des communes touchées, au prorata de la part de leur surface comprise dans le périmètre (LOVAC n’est publié ici que par commune). La couche des bâtiments vacants donne le détail par point.".to_owned(),
            ),
            "qpv" if cuts => {
                ind.value = Json::Null;
                (
                    Method::NotComputable,
                    "Non calculable à cette échelle\u{a0}: les quartiers prioritaires ne sont connus ici que par commune, pas par leur contour. Les logements sociaux en QPV, comptés par résidence, restent exacts.".to_owned(),
                )
            }
            "communes" | "zonage_abc" | "acv_communes" | "pvd_communes" | "ort_communes"
            | "private_vacancy_unpublished" => (Method::Exact, touched_note()),
            _ => continue,
        };
        ind.method = method;
        ind.note = Some(note);
    }
}
