//! Layers: features read once from a source, reprojected, and indexed.
//!
//! A [`Layer`] owns its features in a `Vec`; a feature's id is its position there, stable as long
//! as the source file and configuration do not change. Each feature keeps its geometry twice:
//! in WGS84 longitude/latitude (for GeoJSON output) and in Web Mercator metres (for tiles).

mod group;
mod join;
mod load;
mod source;
mod totals;
mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo::Geometry;
use serde::Serialize;

pub use join::JoinReport;
pub use load::{load_layer, load_layer_with};
pub use source::{check_gzip, field_text, GdalMessage, SourceError};
pub use value::{parse_float, Value};

use crate::bbox::BboxWgs84;
use crate::config::{LayerConfig, PropType};
use crate::index::SpatialIndex;

/// One feature of a layer.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Geometry in WGS84 longitude/latitude degrees.
    pub wgs84: Geometry<f64>,
    /// The same geometry in Web Mercator metres.
    pub mercator: Geometry<f64>,
    /// Property values, in the order of [`Layer::schema`].
    pub properties: Box<[Value]>,
}

/// A property of a layer's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// Property name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: PropType,
}

/// The geometry family of a layer; `Multi*` geometries belong to their simple type's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GeometryKind {
    /// Points and multi-points.
    Point,
    /// Line strings and multi-line strings.
    LineString,
    /// Polygons and multi-polygons.
    Polygon,
    /// A mixture, or geometry collections.
    Geometry,
    /// No feature at all.
    None,
}

impl GeometryKind {
    fn of(g: &Geometry<f64>) -> Self {
        match g {
            Geometry::Point(_) | Geometry::MultiPoint(_) => GeometryKind::Point,
            Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => {
                GeometryKind::LineString
            }
            Geometry::Polygon(_)
            | Geometry::MultiPolygon(_)
            | Geometry::Rect(_)
            | Geometry::Triangle(_) => GeometryKind::Polygon,
            Geometry::GeometryCollection(_) => GeometryKind::Geometry,
        }
    }

    /// The family shared by all geometries.
    pub fn of_all<'a>(geometries: impl IntoIterator<Item = &'a Geometry<f64>>) -> Self {
        geometries
            .into_iter()
            .map(Self::of)
            .reduce(|a, b| if a == b { a } else { GeometryKind::Geometry })
            .unwrap_or(GeometryKind::None)
    }
}

/// A count of features of one kind, with the first few examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// The first few, with their position in the source.
    pub examples: Vec<String>,
}

impl Tally {
    /// How many examples a tally keeps.
    pub const EXAMPLES: usize = 5;

    fn add(&mut self, example: String) {
        self.count += 1;
        if self.examples.len() < Self::EXAMPLES {
            self.examples.push(example);
        }
    }
}

/// What loading a layer found: features kept, skipped (and why), repaired, unconvertible values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadReport {
    /// Features read from the source.
    pub read: u64,
    /// Features kept.
    pub features: usize,
    /// Skipped: no geometry, or no coordinates.
    pub empty: Tally,
    /// Skipped: invalid geometry that could not be repaired, or unreadable coordinates.
    pub invalid: Tally,
    /// Skipped: coordinates that do not reproject, or fall outside WGS84 / Web Mercator.
    pub out_of_range: Tally,
    /// Kept after `MakeValid` repaired an invalid geometry.
    pub repaired: Tally,
    /// Per property: values that could not be converted to its type and became null.
    pub invalid_values: BTreeMap<String, Tally>,
    /// Rows counted into groups (grouped layers: the rows behind the features).
    pub grouped_rows: u64,
    /// One report per joined table, then one for totals.
    pub joins: Vec<JoinReport>,
    /// Time spent loading, in milliseconds.
    pub load_ms: f64,
}

impl LoadReport {
    /// Features skipped for any reason.
    pub fn skipped(&self) -> u64 {
        self.empty.count + self.invalid.count + self.out_of_range.count
    }
}

/// A layer could not be loaded: names the layer file, what was being read, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what} {path}", toml.display())]
pub struct LoadError {
    /// The layer id.
    pub layer: String,
    /// The layer's TOML file.
    pub toml: PathBuf,
    /// "source" or "join".
    pub what: &'static str,
    /// The path as written in the TOML file.
    pub path: String,
    /// Why (boxed: the error travels through `Result`s on the load path).
    #[source]
    pub kind: Box<SourceError>,
}

impl LoadError {
    fn new(config: &LayerConfig, what: &'static str, path: &str, kind: SourceError) -> Self {
        Self {
            layer: config.id.clone(),
            toml: config.toml_path.clone(),
            what,
            path: path.to_owned(),
            kind: Box::new(kind),
        }
    }
}

/// A loaded, indexed layer.
#[derive(Debug)]
pub struct Layer {
    /// Its configuration.
    pub config: LayerConfig,
    /// Its properties: the configured ones, then those of joined tables.
    pub schema: Vec<Property>,
    /// Its features; a feature's id is its position.
    pub features: Vec<Feature>,
    /// R-tree over the features' WGS84 envelopes.
    pub index: SpatialIndex,
    /// WGS84 bounds of all features, `None` when there is none.
    pub bounds: Option<BboxWgs84>,
    /// The geometry family.
    pub geometry_kind: GeometryKind,
    /// What loading found.
    pub report: LoadReport,
    /// Folded names and codes, for layers with `[search]`.
    pub search: Option<crate::search::SearchIndex>,
    /// One point inside each polygon feature, in Web Mercator, for layers with a label: tiles
    /// carry it once, in the tile holding it, so a name shows once and not at every tile edge.
    pub label_points: Vec<Option<geo::Coord<f64>>>,
}

impl Layer {
    /// The layer id.
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// The features whose envelope intersects the box, with their ids, in id order.
    ///
    /// # Runtime
    /// O(log n + k log k) through the R-tree.
    pub fn query(&self, bbox: &BboxWgs84) -> impl Iterator<Item = (u32, &Feature)> + '_ {
        self.index
            .query(bbox)
            .into_iter()
            .filter_map(|id| self.features.get(id as usize).map(|f| (id, f)))
    }

    /// Position of a property in [`Layer::schema`].
    pub fn property_index(&self, name: &str) -> Option<usize> {
        self.schema.iter().position(|p| p.name == name)
    }
}
