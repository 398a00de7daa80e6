//! OGC API – Features under `/ogc`: Part 1 Core with GeoJSON, HTML and OpenAPI 3.0, Part 2 CRS
//! by reference (CRS84, EPSG:4326, EPSG:2154), Part 3 filtering with CQL2 text; and OGC API –
//! Tiles Part 1 (vector tilesets of the dataset and of each collection in WebMercatorQuad, see
//! [`tiles`]).
//!
//! Features are stored in WGS84 and served in CRS84 unless `crs` asks otherwise. Feature ids are
//! the features' positions in their layer, stable across requests.

mod collections;
pub mod cql2;
pub mod crs;
mod geojson;
pub(crate) mod html;
mod items;
mod openapi;
mod params;
mod tiles;
mod tileset;
pub mod tms;

use axum::http::{header, HeaderMap};
use axum::Router;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::AppState;

/// Media types.
pub const GEOJSON: &str = "application/geo+json";
pub const JSON: &str = "application/json";
pub const HTML: &str = "text/html";
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
pub const SCHEMA: &str = "application/schema+json";

/// The conformance classes implemented, and only those.
pub const CONFORMANCE: [&str; 27] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixsetlimits",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixsetlimits",
];

/// The `/ogc` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(collections::routes())
        .merge(items::routes())
        .merge(openapi::routes())
        .merge(tiles::routes())
}

/// A link object.
pub(crate) fn link(href: String, rel: &str, media_type: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": media_type, "title": title})
}

/// The representation a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Html,
}

/// Chooses JSON or HTML from `f` (wins) or `Accept` (a browser gets HTML).
///
/// # Errors
/// An `f` that is neither `json`, `geojson` nor `html`.
pub(crate) fn negotiate(f: Option<&str>, headers: &HeaderMap) -> Result<Format, AppError> {
    match f.map(str::to_ascii_lowercase).as_deref() {
        Some("json" | "geojson" | "application/json" | "application/geo+json") => Ok(Format::Json),
        Some("html" | "text/html") => Ok(Format::Html),
        Some(other) => Err(AppError::BadRequest(format!(
            "f={other:?} is not a supported format (use json or html)"
        ))),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if accept.contains("text/html") && !accept.contains("json") {
                Ok(Format::Html)
            } else {
                Ok(Format::Json)
            }
        }
    }
}

/// Query pairs of a request that accepts only `f`.
///
/// # Errors
/// Any other parameter, or a malformed query.
pub(crate) fn only_f(query: Option<&str>) -> Result<Option<String>, AppError> {
    let mut f = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "f" {
            f = Some(v.into_owned());
        } else {
            return Err(AppError::BadRequest(format!(
                "unknown query parameter {k:?} (this resource accepts only f)"
            )));
        }
    }
    Ok(f)
}
