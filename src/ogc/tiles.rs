//! OGC API – Tiles (Part 1 Core, OGC 20-057) under `/ogc`: the tile matrix set
//! (`/ogc/tileMatrixSets/WebMercatorQuad`), the vector tileset of the dataset (`/ogc/tiles`) and
//! of each collection (`/ogc/collections/{id}/tiles`), their metadata (TMS 2.0 tileset metadata
//! with `tileMatrixSetLimits`) and their tiles.
//!
//! A tile is the same answer as `/tiles/{layers}/{z}/{x}/{y}.mvt` for the same layers
//! ([`crate::api::tile_response`]: bytes, ETag, gzip, `204` when empty, cache), with
//! `{tileMatrix}/{tileRow}/{tileCol}` = `{z}/{y}/{x}`. A collection's tiles hold its layer (then its
//! label points, when it has a label). The dataset's hold the layers the map draws by default
//! (`[style] visible = true`), in id order — every layer when none is — as
//! `/tiles/{those ids, comma-separated}/…` does.
//!
//! A tile matrix the tileset does not have, or a tile outside its limits (the tiles meeting the
//! boxes of the layers drawn at that zoom), is a `404`; a row or column that is not a
//! non-negative integer a `400`.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value as Json};

use super::collections::{respond, schema_type};
use super::crs::OgcCrs;
use super::tms::{self, TileAddressError, TilesetLimits};
use super::{link, negotiate, only_f, HTML, JSON};
use crate::api::{base_url, tile_response, MVT_TYPE};
use crate::catalog::Catalog;
use crate::config::MAX_ZOOM;
use crate::error::AppError;
use crate::layer::{GeometryKind, Layer};
use crate::AppState;

/// Link relation of a resource's vector tilesets.
pub(crate) const REL_TILESETS_VECTOR: &str =
    "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
/// Link relation of the tile matrix sets list.
pub(crate) const REL_TILING_SCHEMES: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";
const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
const REL_GEODATA: &str = "http://www.opengis.net/def/rel/ogc/1.0/geodata";
const REL_DATASET: &str = "http://www.opengis.net/def/rel/ogc/1.0/dataset";
const REL_CONFORMANCE: &str = "http://www.opengis.net/def/rel/ogc/1.0/conformance";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc/tileMatrixSets", get(list_tile_matrix_sets))
        .route("/ogc/tileMatrixSets/{tms}", get(get_tile_matrix_set))
        .route("/ogc/tiles", get(list_dataset_tilesets))
        .route("/ogc/tiles/{tms}", get(get_dataset_tileset))
        .route(
            "/ogc/tiles/{tms}/{matrix}/{row}/{col}",
            get(get_dataset_tile),
        )
        .route("/ogc/collections/{id}/tiles", get(list_collection_tilesets))
        .route(
            "/ogc/collections/{id}/tiles/{tms}",
            get(get_collection_tileset),
        )
        .route(
            "/ogc/collections/{id}/tiles/{tms}/{matrix}/{row}/{col}",
            get(get_collection_tile),
        )
}

/// A vector tileset in WebMercatorQuad: its layers, in the tiles' order, and its limits.
struct Tileset {
    /// The collection it draws, `None` for the dataset.
    collection: Option<String>,
    layers: Vec<Arc<Layer>>,
    limits: TilesetLimits,
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
    fn dataset(catalog: &Catalog) -> Self {
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
    fn collection(catalog: &Catalog, id: &str) -> Result<Self, AppError> {
        let layer = Arc::clone(catalog.layer(id)?);
        Ok(Self::new(Some(id.to_owned()), vec![layer]))
    }

    /// The path of its tilesets list.
    fn path(&self) -> String {
        match &self.collection {
            Some(id) => format!("/ogc/collections/{id}/tiles"),
            None => "/ogc/tiles".to_owned(),
        }
    }

    /// Its layers as `/tiles/` names them.
    fn list(&self) -> String {
        self.layers
            .iter()
            .map(|l| l.id())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn title(&self) -> String {
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
    fn list_document(&self, base: &str) -> Json {
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
    fn metadata(&self, base: &str) -> Json {
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

/// The tile matrix set named in a path, which must be WebMercatorQuad.
///
/// # Errors
/// Any other name (404).
fn check_tms(name: &str) -> Result<(), AppError> {
    if name == tms::ID {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "no tile matrix set {name:?}: tiles are served in {}",
            tms::ID
        )))
    }
}

/// The error of a tile address: malformed (400) or naming no tile of the tileset (404).
fn address_error(e: TileAddressError) -> AppError {
    if e.is_malformed() {
        AppError::BadRequest(e.to_string())
    } else {
        AppError::NotFound(e.to_string())
    }
}

/// The title of a tileset's HTML page.
fn page_title(tileset: &Tileset, what: &str) -> String {
    format!("{what} — {}", tileset.title())
}

async fn list_tile_matrix_sets(
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let base = base_url(&headers);
    let at = format!("{base}/ogc/tileMatrixSets");
    let doc = json!({
        "links": [
            link(at.clone(), "self", JSON, "this document"),
            link(format!("{at}?f=html"), "alternate", HTML, "this document as HTML"),
        ],
        "tileMatrixSets": [{
            "id": tms::ID,
            "title": "Google Maps Compatible for the World",
            "uri": tms::URI,
            "crs": tms::CRS,
            "links": [link(format!("{at}/{}", tms::ID), "self", JSON, "the tile matrix set")],
        }],
    });
    Ok(respond(format, "Grilles de tuiles", &doc, JSON))
}

async fn get_tile_matrix_set(
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(name) = path?;
    check_tms(&name)?;
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let at = format!("{}/ogc/tileMatrixSets/{}", base_url(&headers), tms::ID);
    let mut doc = tms::definition();
    doc["links"] = json!([
        link(at.clone(), "self", JSON, "this document"),
        link(
            format!("{at}?f=html"),
            "alternate",
            HTML,
            "this document as HTML"
        ),
    ]);
    Ok(respond(
        format,
        "Grille de tuiles WebMercatorQuad",
        &doc,
        JSON,
    ))
}

/// A tilesets list, as negotiated.
fn tilesets(
    tileset: &Tileset,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let format = negotiate(only_f(query)?.as_deref(), headers)?;
    let doc = tileset.list_document(&base_url(headers));
    Ok(respond(
        format,
        &page_title(tileset, "Jeux de tuiles"),
        &doc,
        JSON,
    ))
}

/// A tileset's metadata, as negotiated.
fn tileset_metadata(
    tileset: &Tileset,
    tms_name: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    check_tms(tms_name)?;
    let format = negotiate(only_f(query)?.as_deref(), headers)?;
    let doc = tileset.metadata(&base_url(headers));
    Ok(respond(
        format,
        &page_title(tileset, "Tuiles vectorielles"),
        &doc,
        JSON,
    ))
}

/// A tile of a tileset: `f` may only ask for MVT.
async fn tile(
    state: &AppState,
    tileset: &Tileset,
    (tms_name, matrix, row, col): (String, String, String, String),
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    check_tms(&tms_name)?;
    if let Some(f) = only_f(query)? {
        if !f.eq_ignore_ascii_case("mvt") {
            return Err(AppError::BadRequest(format!(
                "f={f:?} is not a tile format (use mvt)"
            )));
        }
    }
    let tile = tms::parse_tile(&matrix, &row, &col).map_err(address_error)?;
    tileset.limits.check(tile).map_err(address_error)?;
    tile_response(state, &tileset.list(), tile, headers).await
}

async fn list_dataset_tilesets(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    tilesets(
        &Tileset::dataset(&state.catalog()),
        query.as_deref(),
        &headers,
    )
}

async fn get_dataset_tileset(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(tms_name) = path?;
    let tileset = Tileset::dataset(&state.catalog());
    tileset_metadata(&tileset, &tms_name, query.as_deref(), &headers)
}

async fn get_dataset_tile(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(address) = path?;
    let tileset = Tileset::dataset(&state.catalog());
    tile(&state, &tileset, address, query.as_deref(), &headers).await
}

async fn list_collection_tilesets(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(id) = path?;
    let tileset = Tileset::collection(&state.catalog(), &id)?;
    tilesets(&tileset, query.as_deref(), &headers)
}

async fn get_collection_tileset(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path((id, tms_name)) = path?;
    let tileset = Tileset::collection(&state.catalog(), &id)?;
    tileset_metadata(&tileset, &tms_name, query.as_deref(), &headers)
}

async fn get_collection_tile(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String, String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path((id, tms_name, matrix, row, col)) = path?;
    let tileset = Tileset::collection(&state.catalog(), &id)?;
    tile(
        &state,
        &tileset,
        (tms_name, matrix, row, col),
        query.as_deref(),
        &headers,
    )
    .await
}
