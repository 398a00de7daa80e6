//! `/ogc/api`: the OpenAPI 3.0 definition of the OGC API, one `items` path per collection so each
//! property filter is a declared parameter (anything undeclared is a 400), and the tiles' paths.
//!
//! The definition says exactly what the server answers, so a client (or schemathesis, see
//! `tests/conformance/`) can hold it to it: every 200 in its JSON media type or as HTML
//! (`f=html`), the JSON errors `{code, description}` (400, 404 where the path names a resource,
//! 500, 503 with `Retry-After`), and the parameters with the values the server accepts.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value as Json};

use super::collections::{respond, schema_type};
use super::crs::OgcCrs;
use super::params::{documented, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
use super::{cql2, negotiate, only_f, tms, GEOJSON, HTML, JSON, OPENAPI, SCHEMA};
use crate::api::{base_url, MVT_TYPE};
use crate::catalog::Catalog;
use crate::config::{PropType, MAX_ZOOM};
use crate::error::AppError;
use crate::layer::Layer;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/ogc/api", get(get_api))
}

async fn get_api(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let doc = document(&state.catalog(), &base_url(&headers));
    Ok(respond(format, "Bourg — API", &doc, OPENAPI))
}

/// A 200 answer: the document in `media_type`, or the same as an HTML page (`f=html`).
fn ok(description: &str, media_type: &str, schema: Json) -> Json {
    json!({"description": description, "content": {
        media_type: {"schema": schema},
        HTML: {"schema": {"type": "string"}},
    }})
}

fn response(name: &str) -> Json {
    json!({"$ref": format!("#/components/responses/{name}")})
}

/// A GET operation and every answer it can give: 200, 400, 404 when its path names a resource,
/// 414 for a query string over the server's limit, 500, and 503 when the server is saturated or
/// the request passed its deadline.
fn op(id: &str, summary: &str, parameters: Vec<Json>, success: Json, not_found: bool) -> Json {
    let mut responses = Map::new();
    responses.insert("200".into(), success);
    responses.insert("400".into(), response("BadRequest"));
    if not_found {
        responses.insert("404".into(), response("NotFound"));
    }
    responses.insert("414".into(), response("URITooLong"));
    responses.insert("500".into(), response("ServerError"));
    responses.insert("503".into(), response("ServiceUnavailable"));
    json!({"get": {"operationId": id, "summary": summary, "parameters": parameters, "responses": responses}})
}

fn param(name: &str) -> Json {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

/// A comma-separated list of `values` (`style: form, explode: false`). Empty items are skipped,
/// so the empty string is among the values: `name=` reads as an empty list.
fn list_param(name: &str, description: &str, mut values: Vec<String>) -> Json {
    values.push(String::new());
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "schema": {"type": "array", "items": {"type": "string", "enum": values}},
        "style": "form",
        "explode": false,
    })
}

/// The parameters of one collection's `/items`: the standard ones (see [`documented`]), its
/// property names in `properties` and `sortby`, and one equality filter per property.
fn items_parameters(layer: &Layer) -> Vec<Json> {
    let names: Vec<String> = layer.schema.iter().map(|p| p.name.clone()).collect();
    let mut parameters: Vec<Json> = documented()
        .map(|name| match name {
            "properties" => list_param(
                name,
                "Properties to return (empty: none; absent: all)",
                names.clone(),
            ),
            "sortby" => list_param(
                name,
                "Sort keys: property, +property (ascending) or -property (descending)",
                names
                    .iter()
                    .flat_map(|n| [n.clone(), format!("+{n}"), format!("-{n}")])
                    .collect(),
            ),
            "f" => param("f-features"),
            other => param(other),
        })
        .collect();
    for p in &layer.schema {
        let schema = match p.ty {
            PropType::Int => json!({"type": "integer", "format": "int64",
                                    "minimum": i64::MIN, "maximum": i64::MAX}),
            other => json!({"type": schema_type(other)}),
        };
        parameters.push(json!({
            "name": p.name,
            "in": "query",
            "required": false,
            "description": format!("Features whose {} equals this value", p.name),
            "schema": schema,
            "style": "form",
            "explode": false,
        }));
    }
    parameters
}

/// A GET operation answering a tile: 200 (MVT), 204 (empty), 304 (`If-None-Match`), and the errors
/// of [`op`], 404 included.
fn tile_op(id: &str, summary: &str, parameters: Vec<Json>) -> Json {
    let mut operation = op(
        id,
        summary,
        parameters,
        json!({"description": "The tile", "content": {MVT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}),
        true,
    );
    let responses = &mut operation["get"]["responses"];
    responses["204"] = json!({"description": "The tile holds no feature"});
    responses["304"] = json!({"description": "The tile has not changed (If-None-Match)"});
    operation
}

/// The OGC API – Tiles paths: the tile matrix sets, then the dataset's and each collection's
/// tilesets (operation ids end with the suffixes of OGC 20-057, table 11).
fn tile_paths(paths: &mut Map<String, Json>) {
    let object = json!({"type": "object"});
    let tile_params = |mut first: Vec<Json>| {
        first.extend(
            [
                "tileMatrixSetId",
                "tileMatrix",
                "tileRow",
                "tileCol",
                "f-tile",
            ]
            .map(param),
        );
        first
    };
    paths.insert(
        "/ogc/tileMatrixSets".into(),
        op(
            "getTileMatrixSetsList",
            "The tile matrix sets",
            vec![param("f")],
            ok("The tile matrix sets", JSON, object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/tileMatrixSets/{tileMatrixSetId}".into(),
        op(
            "getTileMatrixSet",
            "A tile matrix set (OGC 2D TMS 2.0)",
            vec![param("tileMatrixSetId"), param("f")],
            ok("The tile matrix set", JSON, object.clone()),
            true,
        ),
    );
    for (prefix, origin, first) in [
        ("/ogc", "dataset", vec![]),
        (
            "/ogc/collections/{collectionId}",
            "collection",
            vec![param("collectionId")],
        ),
    ] {
        let with = |mut extra: Vec<Json>| {
            let mut all = first.clone();
            all.append(&mut extra);
            all
        };
        paths.insert(
            format!("{prefix}/tiles"),
            op(
                &format!("tiles.{origin}.vector.getTileSetsList"),
                &format!("The vector tilesets of the {origin}"),
                with(vec![param("f")]),
                ok("The tilesets", JSON, object.clone()),
                origin == "collection",
            ),
        );
        paths.insert(
            format!("{prefix}/tiles/{{tileMatrixSetId}}"),
            op(
                &format!("tiles.{origin}.vector.getTileSet"),
                &format!("A vector tileset of the {origin} (TMS 2.0 tileset metadata)"),
                with(vec![param("tileMatrixSetId"), param("f")]),
                ok("The tileset", JSON, object.clone()),
                true,
            ),
        );
        paths.insert(
            format!("{prefix}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"),
            tile_op(
                &format!("tiles.{origin}.vector.getTile"),
                &format!("A vector tile of the {origin}"),
                tile_params(first.clone()),
            ),
        );
    }
}

/// The OpenAPI document for the current catalogue.
pub fn document(catalog: &Catalog, base: &str) -> Json {
    let ids: Vec<&str> = catalog.layers().map(|l| l.id()).collect();
    let object = json!({"type": "object"});
    let mut paths = Map::new();
    paths.insert(
        "/ogc".into(),
        op(
            "getLandingPage",
            "Landing page",
            vec![param("f")],
            ok("The landing page", JSON, object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/conformance".into(),
        op(
            "getConformance",
            "Conformance classes implemented",
            vec![param("f")],
            ok("The conformance classes", JSON, object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/api".into(),
        op(
            "getApi",
            "This API definition",
            vec![param("f")],
            ok("The OpenAPI document", OPENAPI, object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/collections".into(),
        op(
            "getCollections",
            "The collections",
            vec![param("f")],
            ok("The collections", JSON, object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/collections/{collectionId}".into(),
        op(
            "getCollection",
            "One collection",
            vec![param("collectionId"), param("f")],
            ok("The collection", JSON, object.clone()),
            true,
        ),
    );
    paths.insert(
        "/ogc/collections/{collectionId}/queryables".into(),
        op(
            "getQueryables",
            "Queryable properties (JSON Schema)",
            vec![param("collectionId"), param("f")],
            ok("The queryables", SCHEMA, object.clone()),
            true,
        ),
    );
    paths.insert(
        "/ogc/collections/{collectionId}/items/{featureId}".into(),
        op(
            "getFeature",
            "One feature",
            vec![
                param("collectionId"),
                param("featureId"),
                param("crs"),
                param("f-features"),
            ],
            ok("The feature", GEOJSON, object.clone()),
            true,
        ),
    );
    tile_paths(&mut paths);
    for layer in catalog.layers() {
        let id = layer.id();
        paths.insert(
            format!("/ogc/collections/{id}/items"),
            op(
                &format!("getFeatures_{}", id.replace('-', "_")),
                &format!("Features of {}", layer.config.title),
                items_parameters(layer),
                ok("A page of features", GEOJSON, object.clone()),
                true,
            ),
        );
    }
    let crs_enum: Vec<&str> = OgcCrs::ALL.iter().map(|c| c.uri()).collect();
    let crs_param = |name: &str, description: &str| {
        json!({"name": name, "in": "query", "required": false, "description": description,
               "schema": {"type": "string", "format": "uri", "enum": crs_enum}})
    };
    // OGC's bbox fragment (4 or 6 numbers), each branch whole.
    let bbox_schema = |n: usize| json!({"type": "array", "minItems": n, "maxItems": n, "items": {"type": "number"}});
    let f_param = |values: &[&str]| {
        json!({"name": "f", "in": "query", "required": false,
               "description": "Representation (without f, an Accept header asking for text/html and not JSON gets HTML)",
               "schema": {"type": "string", "enum": values}})
    };
    let error = json!({"type": "object", "required": ["code", "description"], "properties": {"code": {"type": "string"}, "description": {"type": "string"}}});
    let error_response = |d: &str| json!({"description": d, "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}}});
    let mut unavailable =
        error_response("The server is saturated or the request took too long: try again later");
    unavailable["headers"] = json!({"Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": false,
        "schema": {"type": "integer", "minimum": 0},
    }});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Bourg — OGC API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Social housing, vacancy, ACV/PVD/ORT perimeters and brownfields as OGC API Features (Part 1 Core, Part 2 CRS, Part 3 CQL2 text) and OGC API Tiles (Part 1 Core, vector tiles in WebMercatorQuad). Every error is JSON {code, description}.",
            "license": {"name": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": {"exception": error},
            "responses": {
                "BadRequest": error_response("A parameter is malformed, unknown, repeated or out of range (for bbox: a box whose south edge is above its north edge, or outside its CRS)"),
                "NotFound": error_response("The collection, feature, tile matrix set or tile does not exist"),
                "URITooLong": error_response("The query string is longer than the server accepts"),
                "ServerError": error_response("The server could not complete the request"),
                "ServiceUnavailable": unavailable,
            },
            "parameters": {
                "f": f_param(&["json", "html"]),
                "f-features": f_param(&["json", "geojson", "html"]),
                "collectionId": {"name": "collectionId", "in": "path", "required": true, "description": "A collection", "schema": {"type": "string", "enum": ids}},
                "featureId": {"name": "featureId", "in": "path", "required": true, "description": "A feature id (its position in the collection)", "schema": {"type": "string"}},
                "tileMatrixSetId": {"name": "tileMatrixSetId", "in": "path", "required": true, "description": "The tile matrix set", "schema": {"type": "string", "enum": [tms::ID]}},
                "tileMatrix": {"name": "tileMatrix", "in": "path", "required": true, "description": "A tile matrix of the set (a zoom level); one the tileset does not have: 404", "schema": {"type": "string", "enum": (0..=MAX_ZOOM).map(|z| z.to_string()).collect::<Vec<_>>()}},
                "tileRow": {"name": "tileRow", "in": "path", "required": true, "description": "Row of the tile, from the north (the XYZ y); outside the tile matrix or the tileset's limits: 404", "schema": {"type": "integer", "minimum": 0}},
                "tileCol": {"name": "tileCol", "in": "path", "required": true, "description": "Column of the tile, from the antimeridian (the XYZ x); outside the tile matrix or the tileset's limits: 404", "schema": {"type": "integer", "minimum": 0}},
                "f-tile": {"name": "f", "in": "query", "required": false, "description": "Tile format: mvt, the only one (without f: mvt too, whatever the Accept header)", "schema": {"type": "string", "enum": ["mvt"]}},
                "bbox": {"name": "bbox", "in": "query", "required": false, "description": "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs; in CRS84 a west edge east of the east edge crosses the antimeridian", "schema": {"oneOf": [bbox_schema(4), bbox_schema(6)]}, "style": "form", "explode": false},
                "bbox-crs": crs_param("bbox-crs", "CRS of bbox (default CRS84; without bbox, no effect)"),
                "crs": crs_param("crs", "CRS of the response geometries (default CRS84)"),
                "filter-crs": crs_param("filter-crs", "CRS of geometry literals in filter (default CRS84)"),
                "limit": {"name": "limit", "in": "query", "required": false, "description": format!("Page size (beyond {MAX_LIMIT}: 400)"), "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                "offset": {"name": "offset", "in": "query", "required": false, "description": "Features skipped before the page", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                "filter": {"name": "filter", "in": "query", "required": false, "description": format!("A CQL2 text filter on the queryables (empty: none; nesting deeper than {}: 400)", cql2::MAX_DEPTH), "schema": {"type": "string", "format": "cql2-text"}},
                "filter-lang": {"name": "filter-lang", "in": "query", "required": false, "description": "Filter language", "schema": {"type": "string", "enum": ["cql2-text"], "default": "cql2-text"}},
            },
        },
    })
}
