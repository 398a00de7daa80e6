//! `GET /tiles/{layers}/{z}/{x}/{y}.mvt` (one layer or a comma-separated list) and
//! `GET /tiles/{layers}.json` (TileJSON 3.0.0).
//!
//! A tile with no feature is `204 No Content`. Tiles carry a strong ETag (`304` on
//! `If-None-Match`), the configured `Cache-Control`, and are gzip-compressed when the client
//! accepts it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value as Json_};

use super::base_url;
use crate::catalog::Catalog;
use crate::error::AppError;
use crate::layer::Layer;
use crate::tile::{Rendered, TileCoord};
use crate::AppState;

/// Media type of Mapbox Vector Tiles.
pub const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tiles/{layers}/{z}/{x}/{y}", get(get_tile))
        .route("/tiles/{spec}", get(get_tilejson))
}

/// The layers named by a comma-separated list, in order.
fn resolve(catalog: &Catalog, list: &str) -> Result<Vec<Arc<Layer>>, AppError> {
    let mut layers: Vec<Arc<Layer>> = Vec::new();
    for id in list.split(',') {
        if id.is_empty() {
            return Err(AppError::BadRequest(format!(
                "layer list {list:?} has an empty name"
            )));
        }
        if layers.iter().any(|l| l.id() == id) {
            return Err(AppError::BadRequest(format!(
                "layer {id:?} is listed twice"
            )));
        }
        layers.push(Arc::clone(catalog.layer(id)?));
    }
    Ok(layers)
}

/// Reads the `{z}/{x}/{y}.mvt` segments of a tile path (`.pbf` is accepted too).
///
/// # Errors
/// A 400 when the extension is missing or unknown, or the address does not exist.
pub fn parse_tile_path(z: &str, x: &str, y_ext: &str) -> Result<TileCoord, AppError> {
    let (y, ext) = y_ext.rsplit_once('.').ok_or_else(|| {
        AppError::BadRequest(format!("tile {y_ext:?} needs an extension: use .mvt"))
    })?;
    if !matches!(ext, "mvt" | "pbf") {
        return Err(AppError::BadRequest(format!(
            "unknown tile extension {ext:?}: use .mvt"
        )));
    }
    TileCoord::parse(z, x, y).map_err(|e| AppError::BadRequest(e.to_string()))
}

async fn get_tile(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path((list, z, x, y_ext)) = path?;
    let tile = parse_tile_path(&z, &x, &y_ext)?;
    let archive = state.catalog().archive(&list).cloned();
    if let Some(archive) = archive {
        return super::archives::archive_tile(&state, archive, tile, &headers).await;
    }
    tile_response(&state, &list, tile, &headers).await
}

/// The answer to a tile of a comma-separated layer list, as `/tiles/{layers}/{z}/{x}/{y}.mvt`
/// gives it (cached, ETag, `204` when empty, gzip when accepted): what every route serving the
/// catalogue's tiles answers with, so that they serve the same bytes.
///
/// # Errors
/// An unknown or repeated layer (404/400), a saturated server (503).
pub(crate) async fn tile_response(
    state: &AppState,
    list: &str,
    tile: TileCoord,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let catalog = state.catalog();
    let layers = resolve(&catalog, list)?;
    let generations: Vec<u64> = layers
        .iter()
        .map(|l| {
            catalog
                .layer_generation(l.id())
                .unwrap_or(catalog.generation)
        })
        .collect();
    let cache = state.tiles.clone();
    let rendered = state
        .blocking(move || {
            let with: Vec<(&Layer, u64)> =
                layers.iter().map(|l| l.as_ref()).zip(generations).collect();
            cache.tile(&with, tile)
        })
        .await?;
    Ok(respond(
        &rendered,
        headers,
        &state.settings.tile_cache_control,
    ))
}

fn respond(rendered: &Rendered, headers: &HeaderMap, cache_control: &str) -> Response {
    let body = if rendered.body.is_empty() {
        TileBody::Empty
    } else {
        TileBody::Both {
            plain: rendered.body.clone(),
            gzip: rendered.gzip.clone(),
        }
    };
    // Only a stored gzip body is ever decompressed: this one has its plain form.
    tile_answer(headers, cache_control, Some(&rendered.etag), body)
        .unwrap_or_else(IntoResponse::into_response)
}

/// What a tile answer sends: nothing (`204`), or MVT bytes in the forms at hand.
pub(super) enum TileBody {
    /// No feature there.
    Empty,
    /// Rendered: both forms.
    Both { plain: Bytes, gzip: Bytes },
    /// Stored gzipped (decompressed for a client that does not take gzip).
    Gzip(Bytes),
    /// Stored plain.
    Plain(Bytes),
}

/// The answer to a tile request, rendered or read from an archive: `Cache-Control`,
/// `Vary: Accept-Encoding` and the ETag; `304` when `If-None-Match` holds the ETag, `204`
/// when empty, else MVT, gzipped when the client accepts it and a gzip form is at hand.
///
/// # Errors
/// A stored gzip body that does not decompress (500).
pub(super) fn tile_answer(
    headers: &HeaderMap,
    cache_control: &str,
    etag: Option<&str>,
    body: TileBody,
) -> Result<Response, AppError> {
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(cache_control) {
        out.insert(header::CACHE_CONTROL, v);
    }
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(etag) = etag {
        if let Ok(v) = HeaderValue::from_str(etag) {
            out.insert(header::ETAG, v);
        }
        if matches_etag(headers, etag) {
            return Ok((StatusCode::NOT_MODIFIED, out).into_response());
        }
    }
    let gzip = accepts_gzip(headers);
    let bytes = match body {
        TileBody::Empty => return Ok((StatusCode::NO_CONTENT, out).into_response()),
        TileBody::Both { gzip: g, .. } | TileBody::Gzip(g) if gzip => {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            g
        }
        TileBody::Both { plain, .. } | TileBody::Plain(plain) => plain,
        TileBody::Gzip(g) => {
            let mut plain = Vec::with_capacity(g.len() * 3);
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&g[..]), &mut plain)
                .map_err(|e| AppError::Internal(Box::new(e)))?;
            Bytes::from(plain)
        }
    };
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_TYPE));
    Ok((out, bytes).into_response())
}

/// The answer of a tile computed per request (ranked sites, a campaign's residences): `204`
/// when it holds nothing, else the MVT bytes with their media type.
pub(crate) fn computed_tile(bytes: Vec<u8>) -> Response {
    if bytes.is_empty() {
        return axum::http::StatusCode::NO_CONTENT.into_response();
    }
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_TYPE));
    r
}

/// `If-None-Match` holds `*` or this ETag (weak comparison, as RFC 9110 asks for GET).
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let q_zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
        })
}

async fn get_tilejson(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Json_>, AppError> {
    let Path(spec) = path?;
    let list = spec.strip_suffix(".json").ok_or_else(|| {
        AppError::NotFound(format!(
            "no resource at /tiles/{spec}: TileJSON is at /tiles/{{layers}}.json"
        ))
    })?;
    let catalog = state.catalog();
    if let Some(archive) = catalog.archive(list) {
        return Ok(Json(super::archives::archive_tilejson(
            archive,
            &base_url(&headers),
        )));
    }
    let layers = resolve(&catalog, list)?;
    Ok(Json(tilejson(&layers, list, &base_url(&headers))))
}

/// The TileJSON 3.0.0 document of one or more layers, with their tile URL on this server.
pub(crate) fn tilejson(layers: &[Arc<Layer>], list: &str, base: &str) -> Json_ {
    let mut doc = crate::tilejson::document(layers);
    doc["tiles"] = json!([format!("{base}/tiles/{list}/{{z}}/{{x}}/{{y}}.mvt")]);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br, gzip;q=0.8"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "br")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn etag_matching() {
        let etag = "\"abc-1\"";
        assert!(matches_etag(
            &headers(&[("if-none-match", "\"x\", \"abc-1\"")]),
            etag
        ));
        assert!(matches_etag(
            &headers(&[("if-none-match", "W/\"abc-1\"")]),
            etag
        ));
        assert!(matches_etag(&headers(&[("if-none-match", "*")]), etag));
        assert!(!matches_etag(
            &headers(&[("if-none-match", "\"abc-2\"")]),
            etag
        ));
    }

    #[test]
    fn base_url_from_forwarded_headers() {
        assert_eq!(
            base_url(&headers(&[("host", "example.fr:8080")])),
            "http://example.fr:8080"
        );
        assert_eq!(
            base_url(&headers(&[
                ("host", "internal:8080"),
                ("x-forwarded-host", "carte.example.fr"),
                ("x-forwarded-proto", "https")
            ])),
            "https://carte.example.fr"
        );
        assert_eq!(
            base_url(&headers(&[("host", "evil.fr/<script>")])),
            "http://localhost"
        );
        assert_eq!(base_url(&HeaderMap::new()), "http://localhost");
    }
}
