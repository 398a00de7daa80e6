//! OGC API – Tiles (Part 1 Core, OGC 20-057) under `/ogc`: the tile matrix set
//! (`/ogc/tileMatrixSets/WebMercatorQuad`), the vector tileset of the dataset (`/ogc/tiles`) and
//! of each collection (`/ogc/collections/{id}/tiles`), their metadata (see [`super::tileset`]) and
//! their tiles.
//!
//! A tile is the same answer as `/tiles/{layers}/{z}/{x}/{y}.mvt` for the same layers
//! ([`crate::api::tile_response`]: bytes, ETag, gzip, `204` when empty, cache), with
//! `{tileMatrix}/{tileRow}/{tileCol}` = `{z}/{y}/{x}`. A tile matrix the tileset does not have, or
//! a tile outside its limits (the tiles meeting the boxes of the layers drawn at that zoom), is a
//! `404`; a row or column that is not a non-negative integer a `400`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::collections::respond;
use super::tileset::Tileset;
use super::tms::{self, TileAddressError};
use super::{link, negotiate, only_f, HTML, JSON};
use crate::api::{base_url, tile_response};
use crate::error::AppError;
use crate::AppState;

/// The OGC API – Tiles routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc/tileMatrixSets", get(list_tile_matrix_sets))
        .route("/ogc/tileMatrixSets/{tms}", get(get_tile_matrix_set))
        .route("/ogc/tiles", get(list_dataset_tilesets))
        .route("/ogc/tiles/{tms}", get(get_tileset))
        .route("/ogc/tiles/{tms}/{matrix}/{row}/{col}", get(get_tile))
        .route("/ogc/collections/{id}/tiles", get(list_collection_tilesets))
        .route("/ogc/collections/{id}/tiles/{tms}", get(get_tileset))
        .route(
            "/ogc/collections/{id}/tiles/{tms}/{matrix}/{row}/{col}",
            get(get_tile),
        )
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

/// The segments of a tileset path; `id` under a collection only.
#[derive(Deserialize)]
struct TilesetPath {
    #[serde(default)]
    id: Option<String>,
    tms: String,
}

/// The segments of a tile path; `id` under a collection only.
#[derive(Deserialize)]
struct TilePath {
    #[serde(default)]
    id: Option<String>,
    tms: String,
    matrix: String,
    row: String,
    col: String,
}

/// The tileset of a collection, or of the dataset without one.
///
/// # Errors
/// An unknown collection (404).
fn tileset_of(state: &AppState, collection: Option<&str>) -> Result<Tileset, AppError> {
    let catalog = state.catalog();
    match collection {
        Some(id) => Tileset::collection(&catalog, id),
        None => Ok(Tileset::dataset(&catalog)),
    }
}

async fn list_dataset_tilesets(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    tilesets(&tileset_of(&state, None)?, query.as_deref(), &headers)
}

async fn list_collection_tilesets(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(id) = path?;
    tilesets(&tileset_of(&state, Some(&id))?, query.as_deref(), &headers)
}

/// A tileset's metadata, as negotiated.
async fn get_tileset(
    State(state): State<AppState>,
    path: Result<Path<TilesetPath>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(p) = path?;
    let tileset = tileset_of(&state, p.id.as_deref())?;
    check_tms(&p.tms)?;
    let format = negotiate(only_f(query.as_deref())?.as_deref(), &headers)?;
    let doc = tileset.metadata(&base_url(&headers));
    Ok(respond(
        format,
        &page_title(&tileset, "Tuiles vectorielles"),
        &doc,
        JSON,
    ))
}

/// A tile of a tileset: `f` may only ask for MVT.
async fn get_tile(
    State(state): State<AppState>,
    path: Result<Path<TilePath>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(p) = path?;
    let tileset = tileset_of(&state, p.id.as_deref())?;
    check_tms(&p.tms)?;
    if let Some(f) = only_f(query.as_deref())? {
        if !f.eq_ignore_ascii_case("mvt") {
            return Err(AppError::BadRequest(format!(
                "f={f:?} is not a tile format (use mvt)"
            )));
        }
    }
    let tile = tms::parse_tile(&p.matrix, &p.row, &p.col).map_err(address_error)?;
    tileset.limits.check(tile).map_err(address_error)?;
    tile_response(&state, &tileset.list(), tile, &headers).await
}
