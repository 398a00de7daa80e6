//! `/ogc/api`: the OpenAPI 3.0 definition of the OGC API, one `items` path per collection so each
//! property filter is a declared parameter (anything undeclared is a 400).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value as Json};

use super::collections::{respond, schema_type};
use super::crs::OgcCrs;
use super::params::{DEFAULT_LIMIT, MAX_LIMIT};
use super::{negotiate, only_f, GEOJSON, OPENAPI};
use crate::api::base_url;
use crate::catalog::Catalog;
use crate::error::AppError;
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

fn ok(description: &str, media_type: &str, schema: Json) -> Json {
    json!({"description": description, "content": {media_type: {"schema": schema}}})
}

fn op(id: &str, summary: &str, parameters: Vec<Json>, response: Json, not_found: bool) -> Json {
    let mut responses = Map::new();
    responses.insert("200".into(), response);
    responses.insert(
        "400".into(),
        json!({"$ref": "#/components/responses/BadRequest"}),
    );
    if not_found {
        responses.insert(
            "404".into(),
            json!({"$ref": "#/components/responses/NotFound"}),
        );
    }
    responses.insert(
        "500".into(),
        json!({"$ref": "#/components/responses/ServerError"}),
    );
    json!({"get": {"operationId": id, "summary": summary, "parameters": parameters, "responses": responses}})
}

fn param(name: &str) -> Json {
    json!({"$ref": format!("#/components/parameters/{name}")})
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
            ok("The landing page", "application/json", object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/conformance".into(),
        op(
            "getConformance",
            "Conformance classes implemented",
            vec![param("f")],
            ok(
                "The conformance classes",
                "application/json",
                object.clone(),
            ),
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
            ok("The collections", "application/json", object.clone()),
            false,
        ),
    );
    paths.insert(
        "/ogc/collections/{collectionId}".into(),
        op(
            "getCollection",
            "One collection",
            vec![param("collectionId"), param("f")],
            ok("The collection", "application/json", object.clone()),
            true,
        ),
    );
    paths.insert(
        "/ogc/collections/{collectionId}/queryables".into(),
        op(
            "getQueryables",
            "Queryable properties (JSON Schema)",
            vec![param("collectionId"), param("f")],
            ok("The queryables", "application/schema+json", object.clone()),
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
                param("f"),
            ],
            ok("The feature", GEOJSON, object.clone()),
            true,
        ),
    );
    for layer in catalog.layers() {
        let id = layer.id();
        let mut parameters: Vec<Json> = super::params::documented().map(param).collect();
        for p in &layer.schema {
            parameters.push(json!({
                "name": p.name,
                "in": "query",
                "required": false,
                "description": format!("Features whose {} equals this value", p.name),
                "schema": {"type": schema_type(p.ty)},
                "style": "form",
                "explode": false,
            }));
        }
        paths.insert(
            format!("/ogc/collections/{id}/items"),
            op(
                &format!("getFeatures_{}", id.replace('-', "_")),
                &format!("Features of {}", layer.config.title),
                parameters,
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
    let error = json!({"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}, "description": {"type": "string"}}});
    let error_response = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Bourg — OGC API Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Social housing, vacancy, ACV/PVD/ORT perimeters and brownfields as OGC API Features (Part 1 Core, Part 2 CRS, Part 3 CQL2 text).",
            "license": {"name": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": {"exception": error},
            "responses": {
                "BadRequest": error_response("A parameter is malformed, unknown or out of range"),
                "NotFound": error_response("The collection or feature does not exist"),
                "ServerError": error_response("The server could not complete the request"),
            },
            "parameters": {
                "f": {"name": "f", "in": "query", "required": false, "description": "Representation", "schema": {"type": "string", "enum": ["json", "html"]}},
                "collectionId": {"name": "collectionId", "in": "path", "required": true, "description": "A collection", "schema": {"type": "string", "enum": ids}},
                "featureId": {"name": "featureId", "in": "path", "required": true, "description": "A feature id (its position in the collection)", "schema": {"type": "string"}},
                "bbox": {"name": "bbox", "in": "query", "required": false, "description": "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs", "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}, "style": "form", "explode": false},
                "bbox-crs": crs_param("bbox-crs", "CRS of bbox (default CRS84)"),
                "crs": crs_param("crs", "CRS of the response geometries (default CRS84)"),
                "filter-crs": crs_param("filter-crs", "CRS of geometry literals in filter (default CRS84)"),
                "limit": {"name": "limit", "in": "query", "required": false, "description": format!("Page size (beyond {MAX_LIMIT}: 400)"), "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                "offset": {"name": "offset", "in": "query", "required": false, "description": "Features skipped before the page", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                "properties": {"name": "properties", "in": "query", "required": false, "description": "Properties to return", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": false},
                "sortby": {"name": "sortby", "in": "query", "required": false, "description": "Sort keys: [+|-]property, comma-separated", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": false},
                "filter": {"name": "filter", "in": "query", "required": false, "description": "A CQL2 text filter", "schema": {"type": "string"}},
                "filter-lang": {"name": "filter-lang", "in": "query", "required": false, "description": "Filter language", "schema": {"type": "string", "enum": ["cql2-text"], "default": "cql2-text"}},
            },
        },
    })
}
