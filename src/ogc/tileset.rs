//! A vector tileset of OGC API – Tiles in WebMercatorQuad and its documents: the entry of a
//! tilesets list and the TMS 2.0 tileset metadata (limits, MVT layers, links).
//!
//! The dataset's tileset holds the layers the map draws by default (`[style] visible = true`), in
//! id order — every layer when none is; a collection's, its layer. Its tiles are those of
//! `/tiles/{its layers, comma-separated}/…`. Boxes are WGS84 (CRS84 in the documents).

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::collections::schema_type;
use super::crs::OgcCrs;
use super::tms::{self, TilesetLimits};
use super::{link, HTML, JSON};
use crate::api::MVT_TYPE;
use crate::catalog::Catalog;
use crate::config::MAX_ZOOM;
use crate::error::AppError;
use crate::layer::{GeometryKind, Layer};

/// Link relation of a resource's vector tilesets.
pub(crate) const REL_TILESETS_VECTOR: &str =
    "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
/// Link relation of the tile matrix sets list.
pub(crate) const REL_TILING_SCHEMES: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";
const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
const REL_GEODATA: &str = "http://www.opengis.net/def/rel/ogc/1.0/geodata";
const REL_DATASET: &str = "http://www.opengis.net/def/rel/ogc/1.0/dataset";
const REL_CONFORMANCE: &str = "http://www.opengis.net/def/rel/ogc/1.0/conformance";

/// A vector tileset in WebMercatorQuad: its layers, in the tiles' order, and its limits.
pub(crate) struct Tileset {
    /// The collection it draws, `None` for the dataset.
    collection: Option<String>,
    layers: Vec<Arc<Layer>>,
    pub(crate) limits: TilesetLimits,
}

impl Tileset {
    fn new(collection: Option<String>, layers: Vec<Arc<Layer>>) -> Self {
        let parts: Vec<_> = layers
            .iter()
            .filter_map(|l| Some((l.bounds?, l.config.min_zoom, l.config.max_zoom)))
            .collect();
        Self {
            collection,
            limits: TilesetLimits::of(&parts),
            layers,
        }
    }

    /// The dataset's tileset: the layers drawn by default, or every layer when none is.
    pub(crate) fn dataset(catalog: &Catalog) -> Self {
        let drawn: Vec<Arc<Layer>> = catalog
            .layers()
            .filter(|l| l.config.style.visible)
            .cloned()
            .collect();
        let layers = if drawn.is_empty() {
            catalog.layers().cloned().collect()
        } else {
            drawn
        };
        Self::new(None, layers)
    }

    /// The tileset of one collection.
    ///
    /// # Errors
    /// An unknown collection (404).
    pub(crate) fn collection(catalog: &Catalog, id: &str) -> Result<Self, AppError> {
        let layer = Arc::clone(catalog.layer(id)?);
        Ok(Self::new(Some(id.to_owned()), vec![layer]))
    }

    /// The path of its tilesets list.
    pub(crate) fn path(&self) -> String {
        match &self.collection {
            Some(id) => format!("/ogc/collections/{id}/tiles"),
            None => "/ogc/tiles".to_owned(),
        }
    }

    /// Its layers as `/tiles/` names them.
    pub(crate) fn list(&self) -> String {
        self.layers
            .iter()
            .map(|l| l.id())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn title(&self) -> String {
        match (&self.collection, self.layers.first()) {
            (Some(_), Some(l)) => l.config.title.clone(),
            _ => "Bourg : les couches de la carte".to_owned(),
        }
    }

    fn description(&self) -> String {
        match (&self.collection, self.layers.first()) {
            (Some(_), Some(l)) => l.config.description.clone(),
            _ => format!(
                "Les couches que la carte affiche par défaut, en tuiles vectorielles : {}.",
                self.layers
                    .iter()
                    .map(|l| l.config.title.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The producers and dates of its layers, each once.
    fn attribution(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for text in self.layers.iter().map(|l| l.config.attribution.text()) {
            if !parts.contains(&text) {
                parts.push(text);
            }
        }
        parts.join(" · ")
    }

    /// The tileset's entry in its tilesets list.
    fn summary(&self, base: &str) -> Json {
        let at = format!("{base}{}/{}", self.path(), tms::ID);
        json!({
            "title": self.title(),
            "dataType": "vector",
            "crs": tms::CRS,
            "tileMatrixSetURI": tms::URI,
            "links": [
                link(at.clone(), "self", JSON, "the tileset"),
                link(format!("{at}?f=html"), "alternate", HTML, "the tileset as HTML"),
                link(format!("{base}/ogc/tileMatrixSets/{}", tms::ID), REL_TILING_SCHEME, JSON, "the tile matrix set"),
            ],
        })
    }

    /// The tilesets list.
    pub(crate) fn list_document(&self, base: &str) -> Json {
        let at = format!("{base}{}", self.path());
        json!({
            "links": [
                link(at.clone(), "self", JSON, "this document"),
                link(format!("{at}?f=html"), "alternate", HTML, "this document as HTML"),
            ],
            "tilesets": [self.summary(base)],
        })
    }

    /// The tileset metadata (TMS 2.0).
    pub(crate) fn metadata(&self, base: &str) -> Json {
        let at = format!("{base}{}/{}", self.path(), tms::ID);
        let mut links = vec![
            link(at.clone(), "self", JSON, "this document"),
            link(
                format!("{at}?f=html"),
                "alternate",
                HTML,
                "this document as HTML",
            ),
            link(
                format!("{base}/ogc/tileMatrixSets/{}", tms::ID),
                REL_TILING_SCHEME,
                JSON,
                "the tile matrix set",
            ),
            json!({
                "href": format!("{at}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}?f=mvt"),
                "rel": "item",
                "type": MVT_TYPE,
                "templated": true,
                "title": "a tile (Mapbox Vector Tile)",
            }),
            link(
                format!("{base}/tiles/{}.json", self.list()),
                "describedby",
                JSON,
                "the tileset as TileJSON 3.0.0",
            ),
            link(
                format!("{base}/ogc/conformance"),
                REL_CONFORMANCE,
                JSON,
                "conformance classes implemented",
            ),
        ];
        links.push(match &self.collection {
            Some(id) => link(
                format!("{base}/ogc/collections/{id}"),
                REL_GEODATA,
                JSON,
                "the collection",
            ),
            None => link(format!("{base}/ogc"), REL_DATASET, JSON, "the dataset"),
        });
        let mut doc = json!({
            "title": self.title(),
            "description": self.description().trim(),
            "attribution": self.attribution(),
            "dataType": "vector",
            "crs": tms::CRS,
            "tileMatrixSetURI": tms::URI,
            "mediaTypes": [MVT_TYPE],
            "tileMatrixSetLimits": self.limits.to_json(),
            "layers": self.layers.iter().flat_map(|l| layers(l, base)).collect::<Vec<_>>(),
            "links": links,
        });
        if let Some(b) = self
            .layers
            .iter()
            .filter_map(|l| l.bounds)
            .reduce(|a, b| a.union(&b))
        {
            doc["boundingBox"] = json!({
                "lowerLeft": [b.west, b.south],
                "upperRight": [b.east, b.north],
                "crs": OgcCrs::Crs84.uri(),
            });
        }
        doc
    }
}

/// The MVT layers a catalogue layer puts in tiles (TMS 2.0 `geospatialData`): its own, then its
/// label points when it has a label.
fn layers(layer: &Layer, base: &str) -> Vec<Json> {
    let id = layer.id();
    let c = &layer.config;
    let geodata = [link(
        format!("{base}/ogc/collections/{id}"),
        REL_GEODATA,
        JSON,
        "the collection",
    )];
    let mut properties = Map::new();
    for p in &layer.schema {
        properties.insert(p.name.clone(), json!({"type": schema_type(p.ty)}));
    }
    if let Some(a) = &c.tiles.aggregate {
        // Cells below `below_zoom` (see `tile::aggregate`).
        properties.insert("aggregated".into(), json!({"type": "boolean"}));
        properties.insert("count".into(), json!({"type": "integer"}));
        for s in &a.stats {
            properties.insert(format!("{s}_max"), json!({"type": "number"}));
        }
    }
    let mut own = json!({
        "id": id,
        "title": c.title,
        "dataType": "vector",
        "attribution": c.attribution.text(),
        "minTileMatrix": c.min_zoom.to_string(),
        "maxTileMatrix": c.max_zoom.to_string(),
        "maxScaleDenominator": tms::scale_denominator(c.min_zoom),
        "minScaleDenominator": tms::scale_denominator(c.max_zoom),
        "propertiesSchema": {"type": "object", "properties": properties},
        "links": geodata,
    });
    if let Some(dimension) = match layer.geometry_kind {
        GeometryKind::Point => Some(0),
        GeometryKind::LineString => Some(1),
        GeometryKind::Polygon => Some(2),
        GeometryKind::Geometry | GeometryKind::None => None,
    } {
        own["geometryDimension"] = json!(dimension);
    }
    if let Some(b) = layer.bounds {
        own["boundingBox"] = json!({
            "lowerLeft": [b.west, b.south],
            "upperRight": [b.east, b.north],
            "crs": OgcCrs::Crs84.uri(),
        });
    }
    let mut out = vec![own];
    if let (Some(label), false) = (&c.style.label, layer.label_points.is_empty()) {
        let from = c.min_zoom.max(c.style.label_min_zoom).min(MAX_ZOOM);
        let ty = layer
            .schema
            .iter()
            .find(|p| &p.name == label)
            .map_or("string", |p| schema_type(p.ty));
        out.push(json!({
            "id": crate::tile::label_layer_name(id),
            "title": format!("{} — points d'étiquette", c.title),
            "dataType": "vector",
            "geometryDimension": 0,
            "minTileMatrix": from.to_string(),
            "maxTileMatrix": c.max_zoom.to_string(),
            "propertiesSchema": {"type": "object", "properties": {label: {"type": ty}}},
            "links": geodata,
        }));
    }
    out
}
