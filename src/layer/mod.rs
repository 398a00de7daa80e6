//! Layers: features read once from a source, reprojected, and indexed.
//!
//! A [`Layer`] holds its features' geometries (WGS84 longitude/latitude, stored once: tiles
//! project to Web Mercator per request, or read the generalised copies of [`Pyramid`]) and their
//! properties in a columnar [`Table`]. A feature's id is its position, stable as long as the
//! source file and configuration do not change. Layers that are views of the same source share
//! one copy of its geometries and columns.

mod csv;
mod group;
mod join;
mod le;
mod load;
mod pyramid;
mod shared;
mod source;
pub mod stored;
pub mod table;
mod totals;
mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use geo::Geometry;
use serde::{Deserialize, Serialize};

pub use join::JoinReport;
pub use load::{load, load_layer, load_layer_with, Reading};
pub use pyramid::{
    Prepared, PreparedCell, PreparedCells, PreparedFeature, PreparedPolygon, Pyramid,
    PREPARED_TOLERANCES, PREPARED_ZOOMS,
};
pub use shared::{Reuse, SharedRead, SharedSources};
pub use source::{check_gzip, field_text, GdalMessage, SourceError};
pub use table::{Column, Table};
pub use value::{parse_float, Value};

use crate::bbox::BboxWgs84;
use crate::config::{LayerConfig, PropType};
use crate::index::SpatialIndex;

/// One feature of a layer: a view of its geometry and its row of the layer's table.
#[derive(Debug, Clone, Copy)]
pub struct Feature<'a> {
    /// Its id (position in the layer).
    pub id: u32,
    /// Geometry in WGS84 longitude/latitude degrees.
    pub wgs84: &'a Geometry<f64>,
    table: &'a Table,
}

impl<'a> Feature<'a> {
    /// Row `id` of `table`, with its geometry.
    pub fn new(id: u32, wgs84: &'a Geometry<f64>, table: &'a Table) -> Self {
        Self { id, wgs84, table }
    }

    /// Property `i` (in the order of [`Layer::schema`]); `None` past the schema.
    pub fn get(&self, i: usize) -> Option<Value> {
        self.table.get(self.id as usize, i)
    }

    /// Property `i` as a number, when it is one; no allocation.
    pub fn number(&self, i: usize) -> Option<f64> {
        self.table.column(i)?.number(self.id as usize)
    }

    /// Property `i` as text, when it is text; no allocation.
    pub fn text(&self, i: usize) -> Option<&'a str> {
        self.table.column(i)?.text(self.id as usize)
    }

    /// Every property, in schema order.
    pub fn values(&self) -> impl Iterator<Item = Value> + 'a {
        let (table, row) = (self.table, self.id as usize);
        (0..table.width()).filter_map(move |i| table.get(row, i))
    }
}

/// Geometries of a layer: its own, or a selection of those of a source shared with other layers.
#[derive(Debug, Clone, Default)]
pub struct Geometries {
    all: Arc<Vec<Geometry<f64>>>,
    /// Position in `all` of each feature, when the layer keeps only some of them.
    rows: Option<Arc<[u32]>>,
    /// Generalised Web Mercator copies of `all`, per zoom band (lines and polygons).
    pyramid: Option<Arc<Pyramid>>,
    /// Polygons of `all` prepared for the tiles of the lowest zooms.
    prepared: Arc<Prepared>,
    /// Points of `all` aggregated in the cells of the lowest zooms.
    pub cells: Arc<PreparedCells>,
}

impl Geometries {
    /// Geometries owned by one layer.
    pub fn new(all: Vec<Geometry<f64>>) -> Self {
        Self {
            all: Arc::new(all),
            rows: None,
            pyramid: None,
            prepared: Arc::default(),
            cells: Arc::default(),
        }
    }

    /// The prepared polygons of zoom `z` at tolerance level `k` (the layer's tolerance times
    /// 2^k; indexed like every geometry of the source, see
    /// [`Geometries::source_index`]), computed by `fill` from the source's band geometries the
    /// first time; `None` for zooms that are not prepared.
    pub fn prepared<'g>(
        &'g self,
        z: u8,
        k: usize,
        fill: impl FnOnce(&dyn Fn(usize) -> Option<&'g Geometry<f64>>, usize) -> Vec<PreparedFeature>,
    ) -> Option<&'g [PreparedFeature]> {
        let pyramid = self.pyramid.as_ref()?;
        // Only zooms with a band: from max_zoom on, tiles use the exact geometry.
        pyramid.get(0, z)?;
        let band = |i: usize| pyramid.get(i, z).flatten();
        self.prepared.zoom(z, k, || fill(&band, self.all.len()))
    }

    /// The prepared polygons of zoom `z` at tolerance level `k` if they were computed.
    pub fn prepared_if_ready(&self, z: u8, k: usize) -> Option<&[PreparedFeature]> {
        self.prepared.get(z, k)
    }

    /// Feature `i`'s position among the geometries of its source.
    pub fn source_index(&self, i: usize) -> Option<usize> {
        match &self.rows {
            Some(rows) => rows.get(i).map(|&r| r as usize),
            None => Some(i),
        }
    }

    /// Builds the zoom bands (see [`Pyramid::build`]) of line and polygon geometries (`kind`),
    /// unless there are some already; points have none.
    pub fn generalise(&mut self, kind: GeometryKind, max_zoom: u8, tolerance: f64) {
        if matches!(kind, GeometryKind::Point | GeometryKind::None) {
            return;
        }
        if self.pyramid.is_none() {
            self.pyramid = Some(Arc::new(Pyramid::build(&self.all, max_zoom, tolerance)));
        }
    }

    /// The generalised Web Mercator geometry of feature `i` for zoom `z`: `None` when there is
    /// no band for `z` (project the exact one), `Some(None)` when the feature vanishes there.
    pub fn generalised(&self, i: usize, z: u8) -> Option<Option<&Geometry<f64>>> {
        self.pyramid.as_ref()?.get(self.source_index(i)?, z)
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(self.all.len(), |r| r.len())
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Feature `i`'s geometry.
    pub fn get(&self, i: usize) -> Option<&Geometry<f64>> {
        self.all.get(self.source_index(i)?)
    }

    /// Every geometry, in feature order.
    pub fn iter(&self) -> impl Iterator<Item = &Geometry<f64>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Only the features whose `keep` is true.
    pub fn retain(&self, keep: &[bool]) -> Self {
        let rows: Vec<u32> = (0..self.len())
            .filter(|&i| keep.get(i).copied().unwrap_or(false))
            .filter_map(|i| self.source_index(i).map(|r| r as u32))
            .collect();
        Self {
            all: self.all.clone(),
            rows: Some(rows.into()),
            pyramid: self.pyramid.clone(),
            prepared: self.prepared.clone(),
            // Cells count every feature: a selection has none prepared.
            cells: Arc::default(),
        }
    }

    /// Heap bytes of the geometries (shared ones counted whole), for `/health`.
    pub fn heap_bytes(&self) -> usize {
        use geo::CoordsIter;
        let coords: usize = self.all.iter().map(|g| g.coords_count()).sum();
        self.all.len() * std::mem::size_of::<Geometry<f64>>()
            + coords * 16
            + self.rows.as_ref().map_or(0, |r| r.len() * 4)
            + self
                .pyramid
                .as_ref()
                .map_or(0, |p| p.vertices() * 16 + p.bands() * self.all.len() * 56)
            + self.prepared.heap_bytes()
            + self.cells.len() * 96
    }

    /// Whether other layers hold the same geometries (one shared copy).
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.all) > 1
    }

    /// Whether two layers hold the same geometries (one shared copy).
    pub fn shares_with(&self, other: &Geometries) -> bool {
        Arc::ptr_eq(&self.all, &other.all)
    }
}

/// Memory held by a layer, in bytes (see [`Layer::memory`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Geometries, with their zoom bands.
    pub geometries: usize,
    /// Property columns, with their dictionaries.
    pub properties: usize,
    /// The R-tree.
    pub index: usize,
    /// Whether the geometries (and the columns read with them) are shared with other layers.
    pub shared: bool,
}

/// A property of a layer's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// Property name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: PropType,
}

/// The geometry family of a layer; `Multi*` geometries belong to their simple type's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

    /// The load of the layer panicked (a bug): the layer is not loaded, and says so.
    pub(crate) fn panicked(config: &LayerConfig, message: String) -> Self {
        Self::new(
            config,
            "source",
            &config.source.path.display().to_string(),
            SourceError::Panicked(message),
        )
    }
}

/// A loaded, indexed layer.
#[derive(Debug)]
pub struct Layer {
    /// Its configuration.
    pub config: LayerConfig,
    /// Its properties: the configured ones, then those of joined tables.
    pub schema: Vec<Property>,
    /// Its geometries, in WGS84; a feature's id is its position.
    pub geometries: Geometries,
    /// Its properties, one column per property of the schema.
    pub table: Table,
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

    /// Number of features.
    pub fn len(&self) -> usize {
        self.geometries.len()
    }

    /// Whether the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.geometries.is_empty()
    }

    /// Feature `id`, `None` past the end.
    pub fn feature(&self, id: u32) -> Option<Feature<'_>> {
        Some(Feature {
            id,
            wgs84: self.geometries.get(id as usize)?,
            table: &self.table,
        })
    }

    /// Bytes held by the layer: geometries (with their zoom bands), property columns and the
    /// R-tree (estimated at 48 bytes an entry). Geometries and columns shared with other layers
    /// are counted in each of them.
    pub fn memory(&self) -> Memory {
        Memory {
            geometries: self.geometries.heap_bytes(),
            properties: self.table.heap_bytes(),
            index: self.index.len() * 48,
            shared: self.geometries.is_shared(),
        }
    }

    /// Property `property` of feature `id`; null past the end.
    pub fn value(&self, id: usize, property: usize) -> Value {
        self.table.get(id, property).unwrap_or(Value::Null)
    }

    /// Every feature, in id order.
    pub fn features(&self) -> impl Iterator<Item = Feature<'_>> + '_ {
        (0..self.len() as u32).filter_map(|id| self.feature(id))
    }

    /// The features whose envelope intersects the box, with their ids, in id order.
    ///
    /// # Runtime
    /// O(log n + k log k) through the R-tree.
    pub fn query(&self, bbox: &BboxWgs84) -> impl Iterator<Item = (u32, Feature<'_>)> + '_ {
        self.index
            .query(bbox)
            .into_iter()
            .filter_map(|id| self.feature(id).map(|f| (id, f)))
    }

    /// Position of a property in [`Layer::schema`].
    pub fn property_index(&self, name: &str) -> Option<usize> {
        self.schema.iter().position(|p| p.name == name)
    }
}
