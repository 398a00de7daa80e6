//! The recycling-site finder: candidate sites for a social landlord — brownfields, buildings with
//! long-term private vacancy, fragile residences — in or near the programme communes (ACV, PVD,
//! signed or ongoing ORT convention) or in a chosen territory, ranked by a score whose every
//! component is returned.
//!
//! `score = 100 × Σ wᵢ·cᵢ`, each component `cᵢ` in 0..1:
//!
//! | component | meaning | 1 when |
//! |---|---|---|
//! | `vacancy` | long-term vacant private dwellings within 300 m | ≥ 30 |
//! | `perimeter` | the site's commune is a programme commune (ACV, PVD, ORT signed or under way); outside, 0.5 at its boundary falling to 0 at 1 km | inside |
//! | `centre` | closeness to the town centre (the programme's town-hall point, else the commune's inner point) | at the centre; 0 from 2 km |
//! | `stock` | social dwellings of the landlords within 500 m | ≥ 200 |
//! | `size` | dwellings on the site (vacant or social), or a brownfield's land surface (5,000 m² → 1; 0.5 when unknown) | ≥ 50 dwellings or 5,000 m² |
//! | `detente` | market détente of the commune's zonage: C 1, B2 0.75, B1 0.4, A and Abis 0.1 | zone C |
//! | `fragility` | the residence's fragility score ÷ 100 (others 0) | 100 |
//!
//! Weights are not renormalised: raising one can only help the sites strongest on that component
//! against the others (the ranking is monotonic in each weight). The defaults sum to 1.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo::{Coord, CoordsIter, Distance, Euclidean, InteriorPoint, Point};
use serde::Serialize;

use super::indicators::{BROWNFIELD_SURFACE, ORT_SIGNED};
use super::territory::{layer_with, text, Kind, Territory};
use crate::bbox::BboxWgs84;
use crate::catalog::Catalog;
use crate::config::Role;
use crate::layer::Layer;

/// Component names, in output order.
pub const COMPONENTS: [&str; 7] = [
    "vacancy",
    "perimeter",
    "centre",
    "stock",
    "size",
    "detente",
    "fragility",
];
/// Default weights, in [`COMPONENTS`] order.
pub const DEFAULT_WEIGHTS: [f64; 7] = [0.25, 0.20, 0.15, 0.10, 0.10, 0.10, 0.10];

/// Weights of the components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights(pub [f64; 7]);

impl Default for Weights {
    fn default() -> Self {
        Weights(DEFAULT_WEIGHTS)
    }
}

impl Weights {
    /// Parses `vacancy:0.5,perimeter:0.1`; unnamed components keep their default.
    ///
    /// # Errors
    /// An unknown component, or a weight that is not a number in 0..=10.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut w = DEFAULT_WEIGHTS;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once(':')
                .ok_or_else(|| format!("weights: {part:?} is not name:value"))?;
            let i = COMPONENTS
                .iter()
                .position(|c| *c == name.trim())
                .ok_or_else(|| {
                    format!(
                        "weights: unknown component {name:?} (components: {})",
                        COMPONENTS.join(", ")
                    )
                })?;
            let v: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && (0.0..=10.0).contains(v))
                .ok_or_else(|| format!("weights: {name} = {value:?} is not a number in 0..=10"))?;
            w[i] = v;
        }
        Ok(Weights(w))
    }
}

/// One candidate site.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub rank: usize,
    /// `friche`, `vacance` or `residence`.
    pub kind: &'static str,
    pub layer: String,
    pub id: u32,
    pub label: String,
    pub commune: String,
    pub lon: f64,
    pub lat: f64,
    pub score: f64,
    pub components: BTreeMap<&'static str, f64>,
    pub synthetic: bool,
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Query {
    /// Restrict to these communes (a territory); `None`: the programme communes.
    pub territory: Option<Territory>,
    pub bbox: Option<BboxWgs84>,
    pub weights: Weights,
    /// Residences count as candidates from this fragility score on.
    pub fragility_min: f64,
    /// Only these kinds of site (`friche`, `vacance`, `residence`); `None`: all.
    pub kinds: Option<BTreeSet<&'static str>>,
    pub limit: usize,
}

/// How far outside a programme commune a site still counts as near it, in metres.
pub const NEAR_M: f64 = 1000.0;

/// The state of an ORT convention under way (`signee`).
const ORT_UNDER_WAY: &str = "En cours";

/// Land surface of a brownfield that counts as a full-size site, in m².
const FULL_SITE_M2: f64 = 5000.0;

/// Metres from a WGS84 point to the nearest of the programme communes' polygons around it (0
/// inside one), if any lies within [`NEAR_M`]: Web Mercator distance scaled by cos(latitude).
/// `projected` keeps each programme commune's Web Mercator polygon once it was needed.
fn metres_to_programme(
    communes: &Layer,
    programme: &BTreeSet<String>,
    c: Coord<f64>,
    projected: &mut HashMap<u32, Option<geo::Geometry<f64>>>,
) -> Option<f64> {
    let scale = c.y.to_radians().cos();
    let p = Point::from(crate::mercator::from_wgs84(c));
    communes
        .query(&around(c, NEAR_M))
        .filter_map(|(id, f)| {
            let g = projected.entry(id).or_insert_with(|| {
                programme
                    .contains(&text(communes, f, "code"))
                    .then(|| crate::mercator::geometry_from_wgs84(f.wgs84))
            });
            g.as_ref().map(|g| Euclidean.distance(&p, g) * scale)
        })
        .filter(|d| *d <= NEAR_M)
        .min_by(f64::total_cmp)
}

impl Query {
    /// What determines the ranking, canonically (not `limit`): the territory's kind and code, or
    /// its communes when it has no code; the bbox; the weights; `fragility_min`; the kinds.
    pub fn key(&self) -> String {
        let territory = self.territory.as_ref().map(|t| {
            if t.code.is_empty() {
                format!("{:?}:{:?}", t.kind, t.communes)
            } else {
                format!("{:?}:{}", t.kind, t.code)
            }
        });
        format!(
            "{territory:?}|{:?}|{:?}|{}|{:?}",
            self.bbox.map(|b| b.to_array()),
            self.weights.0,
            self.fragility_min,
            self.kinds
        )
    }
}

/// East and north metres from `b` to `a` (equirectangular at their mean latitude: exact enough
/// within a few km).
fn offset_metres(a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let k = 111_320.0;
    let dx = (a.x - b.x) * k * ((a.y + b.y) / 2.0).to_radians().cos();
    (dx, (a.y - b.y) * k)
}

/// Metres between two WGS84 points (see [`offset_metres`]).
fn metres(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = offset_metres(a, b);
    dx.hypot(dy)
}

/// Whether two WGS84 points are within `r` metres, as [`metres`] measures (without its square
/// root).
fn within(a: Coord<f64>, b: Coord<f64>, r: f64) -> bool {
    let (dx, dy) = offset_metres(a, b);
    dx * dx + dy * dy <= r * r
}

fn around(c: Coord<f64>, r: f64) -> BboxWgs84 {
    let dlat = r / 111_320.0;
    let dlon = r / (111_320.0 * c.y.to_radians().cos().max(0.01));
    BboxWgs84 {
        west: (c.x - dlon).max(-180.0),
        south: (c.y - dlat).max(-90.0),
        east: (c.x + dlon).min(180.0),
        north: (c.y + dlat).min(90.0),
    }
}

/// A numeric property, 0 when null or missing.
fn number(layer: &Layer, f: crate::layer::Feature<'_>, name: &str) -> f64 {
    super::indicators::number(layer, f, name).unwrap_or(0.0)
}

/// Sum of a property over a point layer's features within `r` metres of `c` (nulls count 0).
/// Called for every candidate: visits the index without collecting, and reads the column.
fn sum_within(layer: Option<&Layer>, c: Coord<f64>, r: f64, property: &str) -> f64 {
    let Some(layer) = layer else { return 0.0 };
    let Some(column) = layer
        .property_index(property)
        .and_then(|i| layer.table.column(i))
    else {
        return 0.0;
    };
    let mut sum = 0.0;
    layer.index.visit(&around(c, r), |id| {
        let near = layer
            .geometries
            .get(id as usize)
            .and_then(|g| g.coords_iter().next())
            .is_some_and(|p| within(p, c, r));
        if near {
            sum += column.number(id as usize).unwrap_or(0.0);
        }
    });
    sum
}

/// The programme communes: those of the ACV and PVD perimeters, and those whose ORT convention is
/// signed or under way.
pub fn programme_communes(catalog: &Catalog) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = catalog
        .layers()
        .filter(|l| l.config.role == Some(Role::Perimeters))
        .flat_map(|l| l.features().map(move |f| text(l, f, "code")))
        .collect();
    if let Some(ort) = layer_with(catalog, Role::Ort) {
        set.extend(
            ort.features()
                .filter(|f| matches!(text(ort, f, "signee").as_str(), ORT_SIGNED | ORT_UNDER_WAY))
                .map(|f| text(ort, f, "insee_com")),
        );
    }
    set
}

/// The communes of `set` and those whose bounds come within [`NEAR_M`] of theirs.
fn with_neighbours(communes: &Layer, set: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = set.clone();
    for f in communes
        .features()
        .filter(|f| set.contains(&text(communes, f, "code")))
    {
        let Some(b) = geo::BoundingRect::bounding_rect(f.wgs84) else {
            continue;
        };
        let grown = around(b.min(), NEAR_M).union(&around(b.max(), NEAR_M));
        out.extend(
            communes
                .query(&grown)
                .map(|(_, g)| text(communes, g, "code")),
        );
    }
    out
}

/// What a site is, in words: a brownfield's id and status, a vacancy building's dwellings and
/// years, a residence's address and landlord.
fn label(layer: &Layer, f: crate::layer::Feature<'_>, kind: &str) -> String {
    match kind {
        "friche" => format!(
            "Friche {} ({})",
            text(layer, f, "site_id"),
            text(layer, f, "site_statut")
        ),
        "vacance" => format!(
            "{} logements vacants depuis {} ans",
            number(layer, f, "NB_LOGVAC"),
            number(layer, f, "DUREE_VACANCE")
        ),
        _ => {
            // The landlord: the synthetic files' `SYNTH_BAILLEUR` (real RPLS files do
            // not name it), or a `BAILLEUR` column of the landlord's own file.
            let landlord = [text(layer, f, "SYNTH_BAILLEUR"), text(layer, f, "BAILLEUR")]
                .into_iter()
                .find(|t| !t.is_empty())
                .map(|t| format!(" — {t}"))
                .unwrap_or_default();
            format!(
                "Résidence {} {} {}{landlord}",
                text(layer, f, "NUMVOIE"),
                text(layer, f, "TYPVOIE"),
                text(layer, f, "NOMVOIE"),
            )
        }
    }
}

/// The kinds of site, as [`Site::kind`] says them.
pub const KINDS: [&str; 3] = ["friche", "vacance", "residence"];

/// The ranked candidates, the best `limit` of them.
pub fn find(catalog: &Catalog, q: &Query) -> Vec<Site> {
    let programme = programme_communes(catalog);
    let default;
    let territory = match (&q.territory, layer_with(catalog, Role::Communes)) {
        (Some(t), _) => t,
        (None, Some(communes)) => {
            default = Territory::of_communes(
                communes,
                Kind::Perimetre,
                "",
                "Communes des programmes et leurs abords".into(),
                with_neighbours(communes, &programme),
            );
            &default
        }
        (None, None) => return Vec::new(),
    };
    let communes_layer = layer_with(catalog, Role::Communes);
    let wanted = &territory.communes;
    let zonage: HashMap<String, String> = layer_with(catalog, Role::Zonage)
        .map(|z| {
            z.features()
                .map(|f| (text(z, f, "code"), text(z, f, "zonage_abc")))
                .collect()
        })
        .unwrap_or_default();
    let mut centres: HashMap<String, Coord<f64>> = HashMap::new();
    if let Some(communes) = layer_with(catalog, Role::Communes) {
        for f in communes
            .features()
            .filter(|f| wanted.contains(&text(communes, f, "code")))
        {
            if let Some(p) = f.wgs84.interior_point() {
                centres.insert(text(communes, f, "code"), p.0);
            }
        }
    }
    for l in catalog
        .layers()
        .filter(|l| l.config.role == Some(Role::Centres))
    {
        for f in l.features() {
            if let Some(c) = f.wgs84.coords_iter().next() {
                centres.insert(text(l, f, "insee_com"), c);
            }
        }
    }
    let vacancy = layer_with(catalog, Role::Vacancy);
    let residences = layer_with(catalog, Role::Residences);
    let mut sites = Vec::new();
    let sources: [(Option<&Layer>, &'static str, &str); 3] = [
        (layer_with(catalog, Role::Friches), "friche", "insee_com"),
        (vacancy, "vacance", "DEPCOM"),
        (residences, "residence", "DEPCOM"),
    ];
    for (layer, kind, code_property) in sources {
        let Some(layer) = layer else { continue };
        if q.kinds.as_ref().is_some_and(|k| !k.contains(kind)) {
            continue;
        }
        // Each candidate sums its neighbours: split over the cores, each part with its own
        // projected polygons; the sort below gives one order whatever the split.
        let members = territory.members(layer, code_property);
        let rank = |id: u32,
                    projected: &mut HashMap<u32, Option<geo::Geometry<f64>>>,
                    out: &mut Vec<Site>| {
            let Some(f) = layer.feature(id) else {
                return;
            };
            let commune = text(layer, f, code_property);
            let Some(c) = f.wgs84.coords_iter().next() else {
                return;
            };
            if q.bbox.is_some_and(|b| !b.contains(c)) {
                return;
            }
            let fragility = if kind == "residence" {
                // A residence whose fragility is unknown is no candidate.
                match super::indicators::number(layer, f, "fragilite") {
                    Some(v) => v,
                    None => return,
                }
            } else {
                0.0
            };
            if kind == "residence" && fragility < q.fragility_min {
                return;
            }
            let size = match kind {
                "friche" => super::indicators::number(layer, f, BROWNFIELD_SURFACE)
                    .map_or(0.5, |m2| (m2 / FULL_SITE_M2).min(1.0)),
                "vacance" => (number(layer, f, "NB_LOGVAC") / 50.0).min(1.0),
                _ => (number(layer, f, "logements") / 50.0).min(1.0),
            };
            let detente = match zonage.get(&commune).map(String::as_str) {
                Some("C") => 1.0,
                Some("B2") => 0.75,
                Some("B1") => 0.4,
                Some("A" | "Abis") => 0.1,
                _ => 0.5,
            };
            let centre = centres
                .get(&commune)
                .map_or(0.0, |p| (1.0 - metres(c, *p) / 2000.0).clamp(0.0, 1.0));
            let perimeter = if programme.contains(&commune) {
                1.0
            } else {
                communes_layer
                    .and_then(|l| metres_to_programme(l, &programme, c, projected))
                    .map_or(0.0, |d| 0.5 * (1.0 - d / NEAR_M))
            };
            // Without a chosen territory, only the sites in or near the programme communes.
            if q.territory.is_none() && perimeter <= 0.0 {
                return;
            }
            let values = [
                (sum_within(vacancy, c, 300.0, "NB_LOGVAC") / 30.0).min(1.0),
                perimeter,
                centre,
                (sum_within(residences, c, 500.0, "logements") / 200.0).min(1.0),
                size,
                detente,
                (fragility / 100.0).clamp(0.0, 1.0),
            ];
            let score: f64 = values
                .iter()
                .zip(q.weights.0)
                .map(|(v, w)| v * w)
                .sum::<f64>()
                * 100.0;
            out.push(Site {
                rank: 0,
                kind,
                layer: layer.id().to_owned(),
                id,
                // Written for the sites kept only (below).
                label: String::new(),
                commune,
                lon: c.x,
                lat: c.y,
                score: (score * 100.0).round() / 100.0,
                components: COMPONENTS
                    .iter()
                    .copied()
                    .zip(values.map(|v| (v * 1000.0).round() / 1000.0))
                    .collect(),
                synthetic: layer.config.synthetic,
            });
        };
        let chunk = members.len().div_ceil(crate::parallel::cores()).max(1);
        let parts: Vec<&[u32]> = members.chunks(chunk).collect();
        let found = crate::parallel::map(&parts, |part| {
            let (mut projected, mut out) = (HashMap::new(), Vec::new());
            for &id in *part {
                rank(id, &mut projected, &mut out);
            }
            out
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
        if let Some((layer, f)) = catalog
            .get(&s.layer)
            .and_then(|l| Some((l, l.feature(s.id)?)))
        {
            s.label = label(layer, f, s.kind);
        }
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_with_defaults() {
        let w = Weights::parse("vacancy:0.5, fragility:0").unwrap();
        assert_eq!(w.0[0], 0.5);
        assert_eq!(w.0[6], 0.0);
        assert_eq!(w.0[1], DEFAULT_WEIGHTS[1]);
        assert!(Weights::parse("speed:1")
            .unwrap_err()
            .contains("unknown component \"speed\""));
        assert!(Weights::parse("vacancy:-1").unwrap_err().contains("0..=10"));
        assert!(Weights::parse("vacancy")
            .unwrap_err()
            .contains("name:value"));
        assert!((DEFAULT_WEIGHTS.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn query_keys_differ_by_what_ranks_and_not_by_limit() {
        let q = Query {
            territory: None,
            bbox: None,
            weights: Weights::default(),
            fragility_min: 50.0,
            kinds: None,
            limit: 50,
        };
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
        ];
        let mut keys: Vec<String> = variants.iter().map(Query::key).collect();
        keys.push(q.key());
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 5, "{keys:?}");
    }

    #[test]
    fn metres_are_right_at_french_latitudes() {
        // 0.01° of latitude ≈ 1113 m; 0.01° of longitude at 50° N ≈ 716 m.
        let a = Coord { x: 2.83, y: 50.43 };
        assert!((metres(a, Coord { x: 2.83, y: 50.44 }) - 1113.2).abs() < 1.0);
        assert!((metres(a, Coord { x: 2.84, y: 50.43 }) - 709.0).abs() < 10.0);
    }
}
