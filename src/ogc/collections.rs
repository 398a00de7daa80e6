//! `/ogc` (landing page), `/ogc/conformance`, `/ogc/collections`, `/ogc/collections/{id}` and
//! `/ogc/collections/{id}/queryables`, with links to the tilesets (see [`super::tiles`]).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value as Json};

use super::crs::OgcCrs;
use super::tileset::{REL_TILESETS_VECTOR, REL_TILING_SCHEMES};
use super::{
    html, link, negotiate, only_f, Format, CONFORMANCE, GEOJSON, HTML, JSON, OPENAPI, SCHEMA,
};
use crate::api::base_url;
use crate::config::PropType;
use crate::error::AppError;
use crate::layer::Layer;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(landing))
        .route("/ogc/", get(landing))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/collections", get(list_collections))
        .route("/ogc/collections/{id}", get(get_collection))
        .route("/ogc/collections/{id}/queryables", get(get_queryables))
}

/// JSON or HTML of a document, as negotiated.
pub(crate) fn respond(
    format: Format,
    title: &str,
    doc: &Json,
    media_type: &'static str,
) -> Response {
    match format {
        Format::Html => Html(html::page(title, doc)).into_response(),
        Format::Json => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
            doc.to_string(),
        )
            .into_response(),
    }
}

async fn landing(RawQuery(query): RawQuery, headers: HeaderMap) -> Result<Response, AppError> {
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let base = base_url(&headers);
    let doc = json!({
        "title": "Bourg",
        "description": "Parc social, vacance, périmètres Action Cœur de Ville, Petites villes de demain et ORT, friches : OGC API – Features (GeoJSON, CRS84, EPSG:4326, EPSG:2154, CQL2) et OGC API – Tiles (tuiles vectorielles MVT, WebMercatorQuad).",
        "links": [
            link(format!("{base}/ogc"), "self", JSON, "this document"),
            link(format!("{base}/ogc?f=html"), "alternate", HTML, "this document as HTML"),
            link(format!("{base}/ogc/api"), "service-desc", OPENAPI, "the API definition (OpenAPI 3.0)"),
            link(format!("{base}/ogc/api?f=html"), "service-doc", HTML, "the API documentation"),
            link(format!("{base}/ogc/conformance"), "conformance", JSON, "conformance classes implemented"),
            link(format!("{base}/ogc/collections"), "data", JSON, "the collections"),
            link(format!("{base}/ogc/tiles"), REL_TILESETS_VECTOR, JSON, "vector tilesets of the map's layers"),
            link(format!("{base}/ogc/tileMatrixSets"), REL_TILING_SCHEMES, JSON, "the tile matrix sets"),
        ],
    });
    Ok(respond(format, "Bourg — OGC API", &doc, JSON))
}

async fn conformance(RawQuery(query): RawQuery, headers: HeaderMap) -> Result<Response, AppError> {
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let base = base_url(&headers);
    let doc = json!({
        "conformsTo": CONFORMANCE,
        "links": [link(format!("{base}/ogc/conformance"), "self", JSON, "this document")],
    });
    Ok(respond(format, "Conformance", &doc, JSON))
}

/// The collection document of a layer.
pub(crate) fn collection(layer: &Layer, base: &str) -> Json {
    let id = layer.id();
    let c = &layer.config;
    let bbox = layer
        .bounds
        .map(|b| b.to_array())
        .unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let mut description = c.description.clone();
    if c.synthetic {
        description.push_str(" Données synthétiques.");
    }
    json!({
        "id": id,
        "title": c.title,
        "description": description.trim(),
        "attribution": c.attribution.text(),
        "links": [
            link(format!("{base}/ogc/collections/{id}"), "self", JSON, "this collection"),
            link(format!("{base}/ogc/collections/{id}?f=html"), "alternate", HTML, "this collection as HTML"),
            link(format!("{base}/ogc/collections/{id}/items"), "items", GEOJSON, "the features"),
            link(format!("{base}/ogc/collections/{id}/items?f=html"), "items", HTML, "the features as HTML"),
            link(format!("{base}/ogc/collections/{id}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA, "the queryable properties"),
            link(format!("{base}/ogc/collections/{id}/tiles"), REL_TILESETS_VECTOR, JSON, "vector tilesets"),
            link(format!("{base}/tiles/{id}.json"), "describedby", "application/json", "vector tiles (TileJSON)"),
        ],
        "extent": {"spatial": {"bbox": [bbox], "crs": OgcCrs::Crs84.uri()}},
        "itemType": "feature",
        "crs": OgcCrs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>(),
        "storageCrs": OgcCrs::Crs84.uri(),
        "synthetic": c.synthetic,
    })
}

async fn list_collections(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let base = base_url(&headers);
    let catalog = state.catalog();
    let doc = json!({
        "links": [
            link(format!("{base}/ogc/collections"), "self", JSON, "this document"),
            link(format!("{base}/ogc/collections?f=html"), "alternate", HTML, "this document as HTML"),
        ],
        "collections": catalog.layers().map(|l| collection(l, &base)).collect::<Vec<_>>(),
        "crs": OgcCrs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>(),
    });
    Ok(respond(format, "Collections", &doc, JSON))
}

async fn get_collection(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(id) = path?;
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let catalog = state.catalog();
    let layer = catalog.layer(&id)?;
    let doc = collection(layer, &base_url(&headers));
    Ok(respond(format, &layer.config.title, &doc, JSON))
}

/// The JSON Schema type of a property type.
pub(crate) fn schema_type(ty: PropType) -> &'static str {
    match ty {
        PropType::String => "string",
        PropType::Int => "integer",
        PropType::Float => "number",
        PropType::Bool => "boolean",
    }
}

async fn get_queryables(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(id) = path?;
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let catalog = state.catalog();
    let layer = catalog.layer(&id)?;
    let base = base_url(&headers);
    let mut properties = Map::new();
    properties.insert(
        "geometry".into(),
        json!({"title": "geometry", "format": "geometry-any"}),
    );
    for p in &layer.schema {
        properties.insert(
            p.name.clone(),
            json!({"title": p.name, "type": schema_type(p.ty)}),
        );
    }
    let doc = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/ogc/collections/{id}/queryables"),
        "type": "object",
        "title": layer.config.title,
        "properties": properties,
        "additionalProperties": false,
    });
    Ok(respond(
        format,
        &format!("{} — queryables", layer.config.title),
        &doc,
        SCHEMA,
    ))
}
