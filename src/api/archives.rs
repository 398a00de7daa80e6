//! Archive layers over HTTP: their tiles at `/tiles/{id}/{z}/{x}/{y}.mvt` as stored (gzip
//! bytes sent as they are to clients that accept gzip, decompressed for the others; `204` where
//! the archive has no tile; a strong ETag from the bytes), their TileJSON at `/tiles/{id}.json`
//! from the archive's metadata, and the PMTiles files themselves at `/archives/{id}.pmtiles`
//! with byte ranges, for maps that read them with the `pmtiles://` protocol. Only configured
//! archives are served: the path names a layer id, never a file.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::tiles::{tile_answer, TileBody};
use crate::archive::{Archive, Format, StoredTile};
use crate::error::AppError;
use crate::tile::TileCoord;
use crate::AppState;

/// Media type of PMTiles archives.
pub const PMTILES_TYPE: &str = "application/vnd.pmtiles";

pub fn routes() -> Router<AppState> {
    Router::new().route("/archives/{file}", get(get_archive_file))
}

/// The answer to a tile of an archive layer.
///
/// # Errors
/// A 500 when the archive cannot be read (logged with its cause).
pub(crate) async fn archive_tile(
    state: &AppState,
    archive: Arc<Archive>,
    tile: TileCoord,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let stored = tokio::task::spawn_blocking(move || archive.tile(tile))
        .await?
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    let cache_control = &state.settings.tile_cache_control;
    let Some(StoredTile { bytes, gzip }) = stored else {
        return tile_answer(headers, cache_control, None, TileBody::Empty);
    };
    let etag = format!(
        "\"a{:016x}-{:x}\"",
        xxhash_rust::xxh3::xxh3_64(&bytes),
        bytes.len()
    );
    let bytes = Bytes::from(bytes);
    let body = if gzip {
        TileBody::Gzip(bytes)
    } else {
        TileBody::Plain(bytes)
    };
    tile_answer(headers, cache_control, Some(&etag), body)
}

/// The TileJSON 3.0.0 of an archive layer: its metadata, with this server's tile URL.
pub(crate) fn archive_tilejson(archive: &Archive, base: &str) -> Value {
    let mut doc = archive.tilejson.clone();
    doc["tiles"] = json!([format!(
        "{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt",
        archive.id()
    )]);
    doc
}

/// `GET /archives/{id}.pmtiles`: a configured PMTiles archive, with `Range` support.
async fn get_archive_file(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Result<Response, AppError> {
    let Path(file) = path?;
    let catalog = state.catalog();
    let archive = file
        .strip_suffix(".pmtiles")
        .and_then(|id| catalog.archive(id))
        .filter(|a| a.format == Format::PmTiles)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no archive {file:?}: /archives/ serves the PMTiles archive layers as {{id}}.pmtiles"
            ))
        })?;
    let service = tower_http::services::ServeFile::new_with_mime(
        &archive.config.path,
        &PMTILES_TYPE
            .parse()
            .map_err(|e| AppError::Internal(Box::new(e)))?,
    );
    let response = service
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok(response.into_response())
}
