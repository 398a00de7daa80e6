//! The recycling-site finder: candidate sites for a social landlord — brownfields, buildings with
//! long-term private vacancy, fragile residences — in or near the programme communes (ACV, PVD,
//! signed or ongoing ORT convention) or in chosen territories, ranked by a score whose every
//! component, and its share of the score, is returned.
//!
//! `score = 100 × Σ wᵢ·cᵢ / Σ wᵢ`, in 0..=100, each component `cᵢ` in 0..1; a component's
//! `points` are `100 × wᵢ·cᵢ / Σ wᵢ` and sum to the score:
//!
//! | component | meaning | 1 when |
//! |---|---|---|
//! | `vacancy` | long-term vacant private dwellings within 300 m | ≥ 30 |
//! | `perimeter` | the site's commune is a programme commune (ACV, PVD, ORT signed or under way); outside, 0.5 at its boundary falling to 0 at 1 km | inside |
//! | `centre` | closeness to the town centre (the programme's town-hall point, else the commune's inner point) | at the centre; 0 from 2 km |
//! | `stock` | social dwellings of the landlords within 500 m | ≥ 200 |
//! | `size` | dwellings on the site (vacant or social), or a brownfield's land surface (5,000 m² → 1; 0.5 when unknown) | ≥ 50 dwellings or 5,000 m² |
//! | `detente` | market détente of the commune's zonage: C 1, B2 0.75, B1 0.4, A and Abis 0.1, unknown 0.5 | zone C |
//! | `fragility` | the residence's fragility score ÷ 100 (others 0) | 100 |
//!
//! The weights are normalised by their sum (all 0 is refused): raising one can only help the
//! sites strongest on that component against the others (the ranking is monotonic in each
//! weight). The defaults sum to 1.
//!
//! The work is split: [`context`] gathers what scoring needs and scores one feature,
//! [`weights`] holds the formula, [`label`] the French words, [`sheet`] one site in full; this
//! module selects the candidates and ranks them.

pub mod context;
pub mod label;
pub mod nearby;
pub mod sheet;
pub mod weights;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

pub use context::{Epci, Facts, Programme, Programmes};
pub use nearby::NEAR_M;
pub use weights::{Components, Weights, COMPONENTS, DEFAULT_WEIGHTS};

use super::territory::{layer_with, Kind, Territory};
use crate::bbox::BboxWgs84;
use crate::catalog::Catalog;
use crate::config::Role;

/// One candidate site.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub rank: usize,
    /// `friche`, `vacance` or `residence`.
    pub kind: &'static str,
    pub layer: String,
    pub id: u32,
    /// What it is, in French.
    pub label: String,
    /// The INSEE code of its commune.
    pub commune: String,
    /// Its commune's name, from the communes layer.
    pub commune_name: Option<Arc<str>>,
    /// Its commune's EPCI.
    pub epci: Option<Arc<Epci>>,
    /// Its address, when the data has one (never for a vacancy building).
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// 0..=100.
    pub score: f64,
    /// Each component, 0..1.
    pub components: Components,
    /// Each component's share of the score, in points.
    pub points: Components,
    /// The quantities behind the components.
    pub facts: Facts,
    pub synthetic: bool,
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Query {
    /// Restrict to these communes (a territory); `None`: the programme communes and surroundings.
    pub territory: Option<Territory>,
    pub bbox: Option<BboxWgs84>,
    pub weights: Weights,
    /// Residences count as candidates from this fragility score on.
    pub fragility_min: f64,
    /// Only these kinds of site (`friche`, `vacance`, `residence`); `None`: all.
    pub kinds: Option<BTreeSet<&'static str>>,
    /// Only sites in communes of these programmes; `None`: no such filter.
    pub programmes: Option<BTreeSet<Programme>>,
    pub limit: usize,
}

impl Query {
    /// The default query: programme communes and surroundings, every kind, default weights,
    /// fragility from 50, 50 sites.
    pub fn new() -> Self {
        Query {
            territory: None,
            bbox: None,
            weights: Weights::default(),
            fragility_min: 50.0,
            kinds: None,
            programmes: None,
            limit: 50,
        }
    }

    /// What determines the ranking, canonically (not `limit`): the territory's kind and code, or
    /// its communes when it has no code; the bbox; the weights; `fragility_min`; the kinds; the
    /// programmes.
    pub fn key(&self) -> String {
        let territory = self.territory.as_ref().map(|t| {
            if t.code.is_empty() {
                format!("{:?}:{:?}", t.kind, t.communes)
            } else {
                format!("{:?}:{}", t.kind, t.code)
            }
        });
        format!(
            "{territory:?}|{:?}|{:?}|{}|{:?}|{:?}",
            self.bbox.map(|b| b.to_array()),
            self.weights.values(),
            self.fragility_min,
            self.kinds,
            self.programmes
        )
    }
}

impl Default for Query {
    fn default() -> Self {
        Self::new()
    }
}

/// The kinds of site, as [`Site::kind`] says them.
pub const KINDS: [&str; 3] = ["friche", "vacance", "residence"];

/// The programme communes: those of the ACV and PVD perimeters, and those whose ORT convention is
/// signed or under way.
pub fn programme_communes(catalog: &Catalog) -> BTreeSet<String> {
    Programmes::of(catalog).all
}

/// The union of several territories: the communes of all, named by their codes joined with
/// commas (in the order given, repeats dropped).
pub fn union(catalog: &Catalog, parts: Vec<Territory>) -> Option<Territory> {
    if parts.len() == 1 {
        return parts.into_iter().next();
    }
    let communes = layer_with(catalog, Role::Communes)?;
    let mut codes: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut set = BTreeSet::new();
    for t in parts {
        if !codes.contains(&t.code) {
            codes.push(t.code);
            names.push(t.name);
        }
        set.extend(t.communes);
    }
    Some(Territory::of_communes(
        communes,
        Kind::Perimetre,
        &codes.join(","),
        names.join(", "),
        set,
    ))
}

/// The ranked candidates, the best `limit` of them.
pub fn find(catalog: &Catalog, q: &Query) -> Vec<Site> {
    let programmes = Programmes::of(catalog);
    let default;
    let territory = match (&q.territory, layer_with(catalog, Role::Communes)) {
        (Some(t), _) => t,
        (None, Some(communes)) => {
            default = Territory::of_communes(
                communes,
                Kind::Perimetre,
                "",
                "Communes des programmes et leurs abords".into(),
                nearby::with_neighbours(communes, &programmes.all),
            );
            &default
        }
        (None, None) => return Vec::new(),
    };
    let in_programmes: Option<BTreeSet<String>> = q.programmes.as_ref().map(|ps| {
        ps.iter()
            .flat_map(|p| programmes.communes(*p).iter().cloned())
            .collect()
    });
    let context = context::Context::new(catalog, &territory.communes);
    let mut sites = Vec::new();
    for (role, kind, code_property) in context::SOURCES {
        let Some(layer) = layer_with(catalog, role) else {
            continue;
        };
        if q.kinds.as_ref().is_some_and(|k| !k.contains(kind)) {
            continue;
        }
        // Cheap filters first (by code, bbox, fragility), then the scoring, split over the
        // cores, each part with its own projected polygons; the sort below gives one order
        // whatever the split.
        let members: Vec<u32> = territory
            .members(layer, code_property)
            .into_iter()
            .filter(|id| {
                let Some(f) = layer.feature(*id) else {
                    return false;
                };
                if let Some(set) = &in_programmes {
                    if !set.contains(&super::territory::text(layer, f, code_property)) {
                        return false;
                    }
                }
                if let Some(b) = &q.bbox {
                    let inside = geo::CoordsIter::coords_iter(f.wgs84)
                        .next()
                        .is_some_and(|c| b.contains(c));
                    if !inside {
                        return false;
                    }
                }
                // A residence whose fragility is unknown is no candidate.
                kind != "residence"
                    || super::indicators::number(layer, f, "fragilite")
                        .is_some_and(|v| v >= q.fragility_min)
            })
            .collect();
        let chunk = members.len().div_ceil(crate::parallel::cores()).max(1);
        let parts: Vec<&[u32]> = members.chunks(chunk).collect();
        let found = crate::parallel::map(&parts, |part| {
            let mut projected = HashMap::new();
            part.iter()
                .filter_map(|&id| {
                    let site = context.assess(
                        layer,
                        kind,
                        code_property,
                        id,
                        &q.weights,
                        &mut projected,
                    )?;
                    // Without a chosen territory, only the sites in or near the programme
                    // communes.
                    (q.territory.is_some() || site.components.0[1] > 0.0).then_some(site)
                })
                .collect::<Vec<_>>()
        });
        sites.extend(found.into_iter().flatten());
    }
    sites.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.layer.cmp(&b.layer))
            .then(a.id.cmp(&b.id))
    });
    sites.truncate(q.limit);
    for (i, s) in sites.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keys_differ_by_what_ranks_and_not_by_limit() {
        let q = Query::new();
        let same = Query {
            limit: 5,
            ..q.clone()
        };
        assert_eq!(q.key(), same.key());
        let variants = [
            Query {
                weights: Weights::parse("vacancy:0.3").unwrap(),
                ..q.clone()
            },
            Query {
                fragility_min: 60.0,
                ..q.clone()
            },
            Query {
                kinds: Some(["friche"].into_iter().collect()),
                ..q.clone()
            },
            Query {
                bbox: Some(BboxWgs84::parse("2,50,3,51").unwrap()),
                ..q.clone()
            },
            Query {
                programmes: Some([Programme::Acv].into_iter().collect()),
                ..q.clone()
            },
        ];
        let mut keys: Vec<String> = variants.iter().map(Query::key).collect();
        keys.push(q.key());
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 6, "{keys:?}");
    }

    #[test]
    fn programmes_parse_by_code() {
        assert_eq!(Programme::parse("ACV"), Some(Programme::Acv));
        assert_eq!(Programme::parse(" ort"), Some(Programme::Ort));
        assert_eq!(Programme::parse("opah"), None);
    }
}
