//! One site in full, for its sheet: its score and components as in the ranking, a French
//! sentence per component saying why (from the raw quantities of [`Facts`]), every property of
//! the feature, and where the data comes from.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::context::{kind_of, some_text, Context, Facts, FULL_SITE_M2};
use super::label::{count_fr, number_fr};
use super::nearby::NEAR_M;
use super::weights::{Components, Weights, COMPONENTS, FRENCH_NAMES};
use super::{Epci, Site};
use crate::catalog::Catalog;
use crate::layer::Value;

/// A property of the feature.
#[derive(Debug, Clone, Serialize)]
pub struct Property {
    pub name: String,
    pub value: Value,
}

/// Who produced a layer's data, and when.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub producer: String,
    pub date: String,
}

/// A site's sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Sheet {
    pub kind: &'static str,
    pub layer: String,
    pub id: u32,
    pub title: String,
    pub label: String,
    pub commune: String,
    pub commune_name: Option<Arc<str>>,
    pub epci: Option<Arc<Epci>>,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub score: f64,
    /// Its rank among the default candidates (programme communes and surroundings), `None` when
    /// it is not one of them.
    pub rank: Option<usize>,
    pub components: Components,
    pub points: Components,
    /// One French sentence per component, in component order.
    pub reasons: Vec<String>,
    pub facts: Facts,
    /// Every property of the feature, in schema order.
    pub properties: Vec<Property>,
    pub synthetic: bool,
    pub attribution: Source,
    /// A brownfield's own page (`site_url`, else its source's `source_url`).
    pub source_url: Option<String>,
}

/// The site `id` of a candidate layer, scored with `weights`, whatever the filters; `None` for
/// an unknown layer or feature, a layer that holds no candidates, or a feature without a point.
/// `rank` is its rank among the default candidates, if it is one.
pub fn sheet(
    catalog: &Catalog,
    layer_id: &str,
    id: u32,
    weights: &Weights,
    rank: Option<usize>,
) -> Option<Sheet> {
    let layer = catalog.get(layer_id)?;
    let (kind, code_property) = kind_of(catalog, layer)?;
    let f = layer.feature(id)?;
    let commune = super::super::territory::text(layer, f, code_property);
    let context = Context::new(catalog, &BTreeSet::from([commune]));
    let site = context.assess(layer, kind, code_property, id, weights, &mut HashMap::new())?;
    let t = |name: &str| some_text(layer, f, name);
    let title = match kind {
        "friche" => {
            t("site_nom").unwrap_or_else(|| format!("Friche {}", t("site_id").unwrap_or_default()))
        }
        "vacance" => "Bâtiment avec des logements privés vacants de longue durée".to_owned(),
        _ => match &site.address {
            Some(a) => format!("Résidence sociale, {a}"),
            None => "Résidence sociale".to_owned(),
        },
    };
    let properties = layer
        .schema
        .iter()
        .enumerate()
        .map(|(i, p)| Property {
            name: p.name.clone(),
            value: f.get(i).unwrap_or(Value::Null),
        })
        .collect();
    let source_url = if kind == "friche" {
        t("site_url").or_else(|| t("source_url"))
    } else {
        None
    };
    let Site {
        label,
        commune,
        commune_name,
        epci,
        address,
        lon,
        lat,
        score,
        components,
        points,
        facts,
        synthetic,
        ..
    } = site;
    Some(Sheet {
        kind,
        layer: layer.id().to_owned(),
        id,
        title,
        reasons: reasons(kind, &facts, &components, &points),
        label,
        commune,
        commune_name,
        epci,
        address,
        lon,
        lat,
        score,
        rank,
        components,
        points,
        facts,
        properties,
        synthetic,
        attribution: Source {
            producer: layer.config.attribution.producer.clone(),
            date: layer.config.attribution.date.clone(),
        },
        source_url,
    })
}

/// A French list: « ACV », « ACV et ORT », « ACV, PVD et ORT ».
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

/// Why each component has its value, one sentence each, ending with the component and its
/// points: « Vacance alentour : 42 logements privés vacants depuis plus de 2 ans à moins de
/// 300 m (composante 1,00, +25 points) ».
pub fn reasons(
    kind: &str,
    facts: &Facts,
    components: &Components,
    points: &Components,
) -> Vec<String> {
    let int = |v: f64| v.round() as i64;
    let metres = |m: f64| format!("{} m", number_fr(m.round(), 0));
    COMPONENTS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let why = match *name {
                "vacancy" => format!(
                    "{} depuis plus de 2 ans à moins de 300 m",
                    count_fr(
                        int(facts.vacant_300m),
                        "logement privé vacant",
                        "logements privés vacants"
                    )
                ),
                "perimeter" => match facts.programme_m {
                    Some(_) if !facts.programmes.is_empty() => {
                        format!("commune {}", and_list(&facts.programmes))
                    }
                    Some(d) => format!("à {} d'une commune ACV, PVD ou ORT", metres(d)),
                    None => format!(
                        "ni dans une commune ACV, PVD ou ORT ni à moins de {}",
                        metres(NEAR_M)
                    ),
                },
                "centre" => match facts.centre_m {
                    Some(m) => format!("à {} du centre de la commune", metres(m)),
                    None => "centre de la commune inconnu".to_owned(),
                },
                "stock" => format!(
                    "{} à moins de 500 m",
                    count_fr(
                        int(facts.social_500m),
                        "logement social",
                        "logements sociaux"
                    )
                ),
                "size" => match (kind, facts.surface_m2, facts.dwellings) {
                    ("friche", Some(m2), _) => format!(
                        "unité foncière de {} m² (pleine taille à {} m²)",
                        number_fr(m2, 0),
                        number_fr(FULL_SITE_M2, 0)
                    ),
                    ("friche", None, _) => {
                        "surface de l'unité foncière inconnue (0,5 par défaut)".to_owned()
                    }
                    ("vacance", _, Some(n)) => format!(
                        "{} dans le bâtiment",
                        count_fr(int(n), "logement vacant", "logements vacants")
                    ),
                    (_, _, Some(n)) => format!(
                        "{} dans la résidence",
                        count_fr(int(n), "logement", "logements")
                    ),
                    (_, _, None) => "nombre de logements inconnu".to_owned(),
                },
                "detente" => match facts.zonage {
                    Some(z) => format!("zone {z} du zonage ABC"),
                    None => "zonage ABC inconnu (0,5 par défaut)".to_owned(),
                },
                _ => match (kind, facts.fragility) {
                    ("residence", Some(v)) => {
                        format!("score de fragilité de {} sur 100", number_fr(v, 0))
                    }
                    ("residence", None) => "fragilité inconnue".to_owned(),
                    _ => "sans objet hors des résidences sociales".to_owned(),
                },
            };
            format!(
                "{} : {why} (composante {}, +{} points)",
                FRENCH_NAMES[i],
                number_fr(components.0[i], 2),
                points_fr(points.0[i])
            )
        })
        .collect()
}

/// Points with one decimal, without a trailing `,0`: « 25 », « 12,5 ».
fn points_fr(p: f64) -> String {
    let text = number_fr(p, 1);
    text.strip_suffix(",0").map_or(text.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_say_the_quantities_in_french() {
        let facts = Facts {
            vacant_300m: 42.0,
            social_500m: 1.0,
            centre_m: Some(1234.4),
            programme_m: Some(0.0),
            programmes: vec!["ACV", "ORT"],
            surface_m2: None,
            dwellings: None,
            fragility: None,
            zonage: Some("B2"),
        };
        let c = Components([1.0, 1.0, 0.383, 0.005, 0.5, 0.75, 0.0]);
        let p = Components([25.0, 20.0, 5.74, 0.05, 5.0, 7.5, 0.0]);
        let r = reasons("friche", &facts, &c, &p);
        assert_eq!(
            r[0],
            "Vacance alentour : 42 logements privés vacants depuis plus de 2 ans à moins de 300 m (composante 1,00, +25 points)"
        );
        assert_eq!(
            r[1],
            "Programme : commune ACV et ORT (composante 1,00, +20 points)"
        );
        assert_eq!(
            r[2],
            "Centralité : à 1\u{202f}234 m du centre de la commune (composante 0,38, +5,7 points)"
        );
        assert_eq!(
            r[3],
            "Parc social proche : 1 logement social à moins de 500 m (composante 0,01, +0,1 points)"
        );
        assert!(
            r[4].contains("surface de l'unité foncière inconnue"),
            "{}",
            r[4]
        );
        assert_eq!(
            r[5],
            "Détente du marché : zone B2 du zonage ABC (composante 0,75, +7,5 points)"
        );
        assert!(r[6].starts_with("Fragilité : sans objet"), "{}", r[6]);
        let outside = Facts {
            programme_m: Some(250.0),
            programmes: vec![],
            ..facts
        };
        assert!(reasons("vacance", &outside, &c, &p)[1]
            .contains("à 250 m d'une commune ACV, PVD ou ORT"));
    }

    #[test]
    fn french_lists() {
        assert_eq!(and_list(&["ACV"]), "ACV");
        assert_eq!(and_list(&["ACV", "PVD", "ORT"]), "ACV, PVD et ORT");
    }
}
