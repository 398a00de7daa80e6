//! What scoring a site needs from the catalogue, gathered once per ranking: the programme
//! communes (ACV, PVD, ORT apart), the zonage, the centres, the communes' names and EPCI, the
//! neighbourhood layers; and [`Context::assess`], which turns one feature into a scored,
//! described [`Site`] with the raw quantities behind its components ([`Facts`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use geo::{Coord, CoordsIter, InteriorPoint};
use serde::Serialize;

use super::super::indicators::{self, BROWNFIELD_SURFACE, ORT_SIGNED};
use super::super::territory::{layer_with, text};
use super::nearby::{self, Projected, NEAR_M};
use super::weights::{round, Components, Weights};
use super::{label, Site};
use crate::catalog::Catalog;
use crate::config::Role;
use crate::layer::{Feature, Layer};

/// The state of an ORT convention under way (`signee`).
const ORT_UNDER_WAY: &str = "En cours";

/// Land surface of a brownfield that counts as a full-size site, in m².
pub const FULL_SITE_M2: f64 = 5000.0;

/// A programme a commune may belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Programme {
    /// Action Cœur de Ville.
    Acv,
    /// Petites villes de demain.
    Pvd,
    /// An ORT convention, signed or under way.
    Ort,
}

impl Programme {
    /// Every programme, in order.
    pub const ALL: [Programme; 3] = [Programme::Acv, Programme::Pvd, Programme::Ort];

    /// Its code in queries: `acv`, `pvd`, `ort`.
    pub fn code(self) -> &'static str {
        match self {
            Programme::Acv => "acv",
            Programme::Pvd => "pvd",
            Programme::Ort => "ort",
        }
    }

    /// Its short name in French text: ACV, PVD, ORT.
    pub fn short(self) -> &'static str {
        match self {
            Programme::Acv => "ACV",
            Programme::Pvd => "PVD",
            Programme::Ort => "ORT",
        }
    }

    /// The programme of a query code (`acv`, `pvd`, `ort`, any case).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// The communes of each programme.
#[derive(Debug, Clone, Default)]
pub struct Programmes {
    by: [BTreeSet<String>; 3],
    /// Their union.
    pub all: BTreeSet<String>,
}

impl Programmes {
    /// ACV and PVD communes from the perimeter layers (a layer with `id_acv`, or `id_pvd`), ORT
    /// communes whose convention is signed or under way.
    pub fn of(catalog: &Catalog) -> Self {
        let mut by: [BTreeSet<String>; 3] = Default::default();
        for l in catalog
            .layers()
            .filter(|l| l.config.role == Some(Role::Perimeters))
        {
            let slot = if l.property_index("id_acv").is_some() {
                0
            } else if l.property_index("id_pvd").is_some() {
                1
            } else {
                continue;
            };
            by[slot].extend(l.features().map(|f| text(l, f, "code")));
        }
        if let Some(ort) = layer_with(catalog, Role::Ort) {
            by[2].extend(
                ort.features()
                    .filter(|f| {
                        matches!(text(ort, f, "signee").as_str(), ORT_SIGNED | ORT_UNDER_WAY)
                    })
                    .map(|f| text(ort, f, "insee_com")),
            );
        }
        let all = by.iter().flatten().cloned().collect();
        Programmes { by, all }
    }

    /// The communes of one programme.
    pub fn communes(&self, p: Programme) -> &BTreeSet<String> {
        &self.by[p as usize]
    }

    /// The programmes of a commune.
    pub fn of_commune(&self, code: &str) -> Vec<Programme> {
        Programme::ALL
            .into_iter()
            .filter(|p| self.communes(*p).contains(code))
            .collect()
    }
}

/// An EPCI: its SIREN and, when an EPCI layer names it, its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Epci {
    pub siren: String,
    pub name: Option<String>,
}

/// A commune's name and EPCI.
#[derive(Debug, Clone, Default)]
struct Place {
    name: Option<Arc<str>>,
    epci: Option<Arc<Epci>>,
}

/// The raw quantities behind a site's components.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    /// Long-term vacant private dwellings within 300 m.
    pub vacant_300m: f64,
    /// Social dwellings within 500 m.
    pub social_500m: f64,
    /// Metres to the commune's centre; `None` when the centre is unknown.
    pub centre_m: Option<f64>,
    /// Metres to the nearest programme commune (0 inside one); `None` beyond 1 km.
    pub programme_m: Option<f64>,
    /// The programmes of the site's commune.
    pub programmes: Vec<&'static str>,
    /// A brownfield's land surface in m², when known.
    pub surface_m2: Option<f64>,
    /// Dwellings on the site: vacant ones in a building, all of a residence.
    pub dwellings: Option<f64>,
    /// A residence's fragility score (0..100), when known.
    pub fragility: Option<f64>,
    /// The commune's zonage A/B/C, when known.
    pub zonage: Option<&'static str>,
}

/// The candidate layers: the kind of site each holds and its INSEE code property.
pub const SOURCES: [(Role, &str, &str); 3] = [
    (Role::Friches, "friche", "insee_com"),
    (Role::Vacancy, "vacance", "DEPCOM"),
    (Role::Residences, "residence", "DEPCOM"),
];

/// The kind and INSEE code property of a candidate layer; `None` for another layer.
pub fn kind_of(catalog: &Catalog, layer: &Layer) -> Option<(&'static str, &'static str)> {
    SOURCES.iter().find_map(|(role, kind, code)| {
        layer_with(catalog, *role)
            .is_some_and(|l| l.id() == layer.id())
            .then_some((*kind, *code))
    })
}

/// Text of a property, `None` when null, missing or blank.
pub fn some_text(layer: &Layer, f: Feature<'_>, name: &str) -> Option<String> {
    Some(text(layer, f, name)).filter(|t| !t.trim().is_empty())
}

/// What scoring needs, gathered once.
pub struct Context<'a> {
    pub programmes: Programmes,
    communes: Option<&'a Layer>,
    zonage: HashMap<String, &'static str>,
    centres: HashMap<String, Coord<f64>>,
    places: HashMap<String, Place>,
    vacancy: Option<&'a Layer>,
    residences: Option<&'a Layer>,
}

/// The zones of the zonage A/B/C, as written in the data.
const ZONES: [&str; 5] = ["A", "Abis", "B1", "B2", "C"];

impl<'a> Context<'a> {
    /// Gathers the context; the communes' inner points (their centre when no town-hall point is
    /// known) are computed for the communes of `wanted` only.
    pub fn new(catalog: &'a Catalog, wanted: &BTreeSet<String>) -> Self {
        let communes = layer_with(catalog, Role::Communes);
        let zonage = layer_with(catalog, Role::Zonage)
            .map(|z| {
                z.features()
                    .filter_map(|f| {
                        let zone = text(z, f, "zonage_abc");
                        let zone = ZONES.iter().find(|known| **known == zone)?;
                        Some((text(z, f, "code"), *zone))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut centres = HashMap::new();
        let mut places = HashMap::new();
        if let Some(communes) = communes {
            let epci_names: HashMap<String, String> = catalog
                .get("epci")
                .map(|l| {
                    l.features()
                        .map(|f| (text(l, f, "siren_epci"), text(l, f, "nom")))
                        .collect()
                })
                .unwrap_or_default();
            let mut epcis: HashMap<String, Arc<Epci>> = HashMap::new();
            for f in communes.features() {
                let code = text(communes, f, "code");
                if wanted.contains(&code) {
                    if let Some(p) = f.wgs84.interior_point() {
                        centres.insert(code.clone(), p.0);
                    }
                }
                let epci = some_text(communes, f, "epci").map(|siren| {
                    epcis
                        .entry(siren.clone())
                        .or_insert_with(|| {
                            let name = epci_names.get(&siren).filter(|n| !n.is_empty()).cloned();
                            Arc::new(Epci { siren, name })
                        })
                        .clone()
                });
                let name = some_text(communes, f, "nom").map(Arc::from);
                places.insert(code, Place { name, epci });
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
        Context {
            programmes: Programmes::of(catalog),
            communes,
            zonage,
            centres,
            places,
            vacancy: layer_with(catalog, Role::Vacancy),
            residences: layer_with(catalog, Role::Residences),
        }
    }

    /// Scores and describes feature `id` of a candidate layer, whatever the filters (`None` only
    /// for a feature without a point). `rank` is left 0.
    pub fn assess(
        &self,
        layer: &Layer,
        kind: &'static str,
        code_property: &str,
        id: u32,
        weights: &Weights,
        projected: &mut Projected,
    ) -> Option<Site> {
        let f = layer.feature(id)?;
        let c = f.wgs84.coords_iter().next()?;
        let commune = text(layer, f, code_property);
        let number = |name: &str| indicators::number(layer, f, name);
        let mut facts = Facts {
            vacant_300m: nearby::sum_within(self.vacancy, c, 300.0, "NB_LOGVAC"),
            social_500m: nearby::sum_within(self.residences, c, 500.0, "logements"),
            centre_m: self.centres.get(&commune).map(|p| nearby::metres(c, *p)),
            programmes: self
                .programmes
                .of_commune(&commune)
                .into_iter()
                .map(Programme::short)
                .collect(),
            zonage: self.zonage.get(&commune).copied(),
            ..Facts::default()
        };
        facts.programme_m = if self.programmes.all.contains(&commune) {
            Some(0.0)
        } else {
            self.communes
                .and_then(|l| nearby::metres_to_programme(l, &self.programmes.all, c, projected))
        };
        let size = match kind {
            "friche" => {
                facts.surface_m2 = number(BROWNFIELD_SURFACE);
                facts
                    .surface_m2
                    .map_or(0.5, |m2| (m2 / FULL_SITE_M2).min(1.0))
            }
            "vacance" => {
                facts.dwellings = number("NB_LOGVAC");
                (facts.dwellings.unwrap_or(0.0) / 50.0).min(1.0)
            }
            _ => {
                facts.dwellings = number("logements");
                facts.fragility = number("fragilite");
                (facts.dwellings.unwrap_or(0.0) / 50.0).min(1.0)
            }
        };
        let perimeter = match facts.programme_m {
            Some(d) if d <= 0.0 && self.programmes.all.contains(&commune) => 1.0,
            Some(d) => 0.5 * (1.0 - d / NEAR_M),
            None => 0.0,
        };
        let values = [
            (facts.vacant_300m / 30.0).min(1.0),
            perimeter.clamp(0.0, 1.0),
            facts
                .centre_m
                .map_or(0.0, |m| (1.0 - m / 2000.0).clamp(0.0, 1.0)),
            (facts.social_500m / 200.0).min(1.0),
            size,
            match facts.zonage {
                Some("C") => 1.0,
                Some("B2") => 0.75,
                Some("B1") => 0.4,
                Some("A" | "Abis") => 0.1,
                _ => 0.5,
            },
            (facts.fragility.unwrap_or(0.0) / 100.0).clamp(0.0, 1.0),
        ];
        let (score, points) = weights.score(&values);
        let place = self.places.get(&commune).cloned().unwrap_or_default();
        let (label, address) = describe(layer, f, kind);
        Some(Site {
            rank: 0,
            kind,
            layer: layer.id().to_owned(),
            id,
            label,
            commune,
            commune_name: place.name,
            epci: place.epci,
            address,
            lon: c.x,
            lat: c.y,
            score: round(score, 2),
            components: Components(values.map(|v| round(v, 3))),
            points: Components(points.map(|v| round(v, 2))),
            facts,
            synthetic: layer.config.synthetic,
        })
    }
}

/// A site's label and address: a brownfield's CNIG address (else its name), a residence's
/// street address; a vacancy building has none in the data.
fn describe(layer: &Layer, f: Feature<'_>, kind: &str) -> (String, Option<String>) {
    let t = |name: &str| some_text(layer, f, name);
    match kind {
        "friche" => {
            let name = t("site_nom");
            let label = label::brownfield(
                name.as_deref(),
                &text(layer, f, "site_id"),
                t("site_statut").as_deref(),
            );
            (label, t("site_adresse").or(name))
        }
        "vacance" => {
            let int = |name: &str| indicators::number(layer, f, name).map(|v| v.round() as i64);
            (label::vacancy(int("NB_LOGVAC"), int("DUREE_VACANCE")), None)
        }
        _ => {
            let parts = ["NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE"].map(t);
            let address = label::address(parts.iter().map(Option::as_deref));
            // The landlord: the synthetic files' `SYNTH_BAILLEUR` (real RPLS files do not name
            // it), or a `BAILLEUR` column of the landlord's own file.
            let landlord = t("SYNTH_BAILLEUR").or_else(|| t("BAILLEUR"));
            (
                label::residence(address.as_deref(), landlord.as_deref()),
                address,
            )
        }
    }
}
