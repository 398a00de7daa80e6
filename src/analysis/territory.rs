//! Territories: a commune (INSEE code), an EPCI (SIREN), a département, a programme perimeter
//! (`acv-113`, `pvd-32-62-8`) or a drawn polygon, resolved to the INSEE codes of their communes
//! and, for a polygon, its WGS84 geometry.

use std::collections::{BTreeMap, BTreeSet};

use geo::{Area, BooleanOps, BoundingRect, Contains, MultiPolygon};

use crate::bbox::BboxWgs84;
use crate::catalog::Catalog;
use crate::config::Role;
use std::borrow::Borrow;

use crate::layer::{Feature, Layer};

/// What kind of territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Commune,
    Epci,
    Departement,
    Perimetre,
    Polygone,
    Ensemble,
}

/// A resolved territory.
#[derive(Debug, Clone)]
pub struct Territory {
    /// Its kind.
    pub kind: Kind,
    /// Its code (INSEE, SIREN, département, perimeter id; empty for a polygon).
    pub code: String,
    /// Its name.
    pub name: String,
    /// INSEE codes of its communes (for a polygon: the communes it touches, wholly or in part).
    pub communes: BTreeSet<String>,
    /// For a polygon: the share of each touched commune's area inside it, in (0, 1]; empty for
    /// code territories, whose communes are whole. Indicators known per commune are pro-rated
    /// by it (see [`Territory::share`]).
    pub shares: BTreeMap<String, f64>,
    /// The drawn polygon, WGS84; `None` for code territories (membership goes by INSEE code).
    pub polygon: Option<MultiPolygon<f64>>,
    /// The WGS84 bounds of its communes (of the polygon when drawn): the R-tree query that picks
    /// the candidate points.
    pub bbox: Option<BboxWgs84>,
}

/// Whether a point lies inside the polygon (another geometry: whether it meets it).
fn inside(p: &MultiPolygon<f64>, g: &geo::Geometry<f64>) -> bool {
    match g {
        geo::Geometry::Point(pt) => p.contains(pt),
        other => geo::Intersects::intersects(p, other),
    }
}

/// The first layer with a role.
pub fn layer_with(catalog: &Catalog, role: Role) -> Option<&Layer> {
    catalog
        .layers()
        .find(|l| l.config.role == Some(role))
        .map(|l| l.as_ref())
}

/// Text of a property, empty when missing.
/// (`f` is a feature or a reference to one.)
pub fn text<'a>(layer: &Layer, f: impl Borrow<Feature<'a>>, name: &str) -> String {
    let f = *f.borrow();
    layer
        .property_index(name)
        .and_then(|i| f.get(i))
        .and_then(|v| v.as_key())
        .unwrap_or_default()
}

fn communes_where(communes: &Layer, keep: impl Fn(&Feature<'_>) -> bool) -> BTreeSet<String> {
    communes
        .features()
        .filter(|f| keep(f))
        .map(|f| text(communes, f, "code"))
        .collect()
}

/// Margin added around communes' bounds, in degrees (about 1 km): a geocoded point may lie just
/// outside a simplified commune outline yet carry the commune's code.
const MARGIN_DEG: f64 = 0.01;

/// The WGS84 bounds of some communes, grown by [`MARGIN_DEG`].
fn bounds_of(communes: &Layer, codes: &BTreeSet<String>) -> Option<BboxWgs84> {
    let b = communes
        .features()
        .filter(|f| codes.contains(&text(communes, f, "code")))
        .filter_map(|f| f.wgs84.bounding_rect())
        .map(BboxWgs84::from_rect)
        .reduce(|a, b| a.union(&b))?;
    Some(BboxWgs84 {
        west: (b.west - MARGIN_DEG).max(-180.0),
        south: (b.south - MARGIN_DEG).max(-90.0),
        east: (b.east + MARGIN_DEG).min(180.0),
        north: (b.north + MARGIN_DEG).min(90.0),
    })
}

/// Resolves a code: INSEE commune, SIREN EPCI, département, or perimeter id.
pub fn resolve(catalog: &Catalog, code: &str) -> Option<Territory> {
    let communes = layer_with(catalog, Role::Communes)?;
    let code = code.trim();
    let one = |kind, name: String, set: BTreeSet<String>| {
        (!set.is_empty()).then(|| Territory::of_communes(communes, kind, code, name, set))
    };
    if let Some(f) = communes
        .features()
        .find(|f| text(communes, f, "code") == code)
    {
        return one(
            Kind::Commune,
            text(communes, f, "nom"),
            BTreeSet::from([code.to_owned()]),
        );
    }
    if code.len() == 9 && code.chars().all(|c| c.is_ascii_digit()) {
        let name = layer_with_id(catalog, "epci", "siren_epci", code, "nom")
            .unwrap_or_else(|| format!("EPCI {code}"));
        return one(
            Kind::Epci,
            name,
            communes_where(communes, |f| text(communes, f, "epci") == code),
        );
    }
    if code.len() <= 3 {
        let name = layer_with_id(catalog, "departements", "dep", code, "nom")
            .unwrap_or_else(|| format!("Département {code}"));
        return one(
            Kind::Departement,
            name,
            communes_where(communes, |f| text(communes, f, "dep") == code),
        );
    }
    for l in catalog
        .layers()
        .filter(|l| l.config.role == Some(Role::Perimeters))
    {
        for id_property in ["id_acv", "id_pvd"] {
            let set: BTreeSet<String> = l
                .features()
                .filter(|f| text(l, f, id_property) == code)
                .map(|f| text(l, f, "code"))
                .collect();
            if !set.is_empty() {
                let name = format!("{} ({code})", l.config.title);
                return one(Kind::Perimetre, name, set);
            }
        }
    }
    None
}

fn layer_with_id(
    catalog: &Catalog,
    id: &str,
    key: &str,
    value: &str,
    name: &str,
) -> Option<String> {
    let l = catalog.get(id)?;
    l.features()
        .find(|f| text(l, f, key) == value)
        .map(|f| text(l, f, name))
}

/// Below this share of its area inside a polygon, a commune counts as not touched: the
/// polygon's edge drawn along a boundary must not bring in the neighbour through a sliver.
pub const MIN_SHARE: f64 = 1e-4;
/// From this share on, a commune counts as wholly inside (a traced outline is not exact).
pub const WHOLE_SHARE: f64 = 0.995;

/// The share of a commune's area inside a polygon (both WGS84: within one commune the ratio of
/// areas in degrees is the ratio in square metres, the cos(latitude) factor cancelling out).
/// `None` for a commune without area.
pub fn share_inside(polygon: &MultiPolygon<f64>, commune: &geo::Geometry<f64>) -> Option<f64> {
    let commune: MultiPolygon<f64> = match commune {
        geo::Geometry::Polygon(p) => p.clone().into(),
        geo::Geometry::MultiPolygon(m) => m.clone(),
        _ => return None,
    };
    let whole = commune.unsigned_area();
    if whole <= 0.0 {
        return None;
    }
    let inside = commune.intersection(polygon).unsigned_area();
    Some((inside / whole).clamp(0.0, 1.0))
}

/// A drawn polygon: its communes are those it touches (more than [`MIN_SHARE`] of their area),
/// each with the share of its area inside.
pub fn from_polygon(catalog: &Catalog, polygon: MultiPolygon<f64>, name: &str) -> Territory {
    let mut shares = BTreeMap::new();
    if let (Some(communes), Some(rect)) =
        (layer_with(catalog, Role::Communes), polygon.bounding_rect())
    {
        for (_, f) in communes.query(&BboxWgs84::from_rect(rect)) {
            if let Some(share) = share_inside(&polygon, f.wgs84).filter(|s| *s > MIN_SHARE) {
                shares.insert(text(communes, f, "code"), share);
            }
        }
    }
    Territory {
        kind: Kind::Polygone,
        code: String::new(),
        name: name.to_owned(),
        bbox: polygon.bounding_rect().map(BboxWgs84::from_rect),
        communes: shares.keys().cloned().collect(),
        shares,
        polygon: Some(polygon),
    }
}

/// Every commune served.
pub fn everything(catalog: &Catalog) -> Option<Territory> {
    let communes = layer_with(catalog, Role::Communes)?;
    Some(Territory {
        kind: Kind::Ensemble,
        code: String::new(),
        name: "Ensemble des communes servies".into(),
        communes: communes_where(communes, |_| true),
        shares: BTreeMap::new(),
        polygon: None,
        bbox: None,
    })
}

impl Territory {
    /// A territory made of communes (by INSEE code), bounded by them.
    pub fn of_communes(
        communes: &Layer,
        kind: Kind,
        code: &str,
        name: String,
        set: BTreeSet<String>,
    ) -> Self {
        Territory {
            kind,
            code: code.to_owned(),
            name,
            bbox: bounds_of(communes, &set),
            communes: set,
            shares: BTreeMap::new(),
            polygon: None,
        }
    }

    /// The share of a commune of the territory inside it: 1 for code territories.
    pub fn share(&self, code: &str) -> f64 {
        if self.polygon.is_none() {
            return 1.0;
        }
        self.shares.get(code).copied().unwrap_or(0.0)
    }

    /// Whether some of its communes lie only partly inside (a polygon cutting communes): then an
    /// indicator known per commune can only be estimated.
    pub fn cuts_communes(&self) -> bool {
        self.shares.values().any(|s| *s < WHOLE_SHARE)
    }

    /// The communes wholly inside (all of them for a code territory).
    pub fn whole_communes(&self) -> usize {
        if self.polygon.is_none() {
            return self.communes.len();
        }
        self.shares.values().filter(|s| **s >= WHOLE_SHARE).count()
    }

    /// Whether a point feature of a layer belongs: by its INSEE code property for code
    /// territories, by position for a polygon.
    pub fn holds(&self, layer: &Layer, f: Feature<'_>, code_property: &str) -> bool {
        match &self.polygon {
            Some(p) => inside(p, f.wgs84),
            None => self.communes.contains(&text(layer, f, code_property)),
        }
    }

    /// The feature ids of a point layer inside the territory: the R-tree gives the candidates in
    /// the territory's bounds, each is then tested (inside the polygon, or by its INSEE code).
    /// Only the whole served area, which has no bounds, scans every feature.
    ///
    /// # Runtime
    /// O(log n + k) for k candidates.
    pub fn members(&self, layer: &Layer, code_property: &str) -> Vec<u32> {
        let holds = |f: Feature<'_>| self.holds(layer, f, code_property);
        match self.bbox {
            Some(b) => layer
                .query(&b)
                .filter(|(_, f)| holds(*f))
                .map(|(id, _)| id)
                .collect(),
            None if self.polygon.is_some() => Vec::new(),
            None => layer
                .features()
                .filter(|f| holds(*f))
                .map(|f| f.id)
                .collect(),
        }
    }

    /// The département most of its communes belong to.
    pub fn departement(&self) -> Option<String> {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for c in &self.communes {
            *counts.entry(c.chars().take(2).collect()).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(d, _)| d)
    }
}
