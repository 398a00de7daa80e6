//! The web UI at `/` (GET and HEAD), from [`crate::web::WebFiles`]: embedded in the binary, or
//! the `--web` folder. Only what the page loads is served (no hidden file, no `..`); every
//! refusal is a JSON error like the API's (404, 405, 412, 416).
//!
//! Caching: MapLibre under its fingerprint is `immutable` for a year; every other file is
//! revalidated (`no-cache`) with its strong `ETag` (`304` on `If-None-Match`). Text is sent in the
//! brotli or gzip form prepared once, as `Accept-Encoding` allows; a `Range` gets the plain bytes.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::web::{Found, WebFiles};

/// `Cache-Control` of fingerprinted files.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Longest path, and longest path segment, looked up in the web folder: longer ones name no file
/// there, and would reach the file system only to fail with "file name too long".
const MAX_WEB_PATH: usize = 1024;
const MAX_WEB_SEGMENT: usize = 255;

/// Whether the UI may serve this path (as requested, percent-encoded): no hidden file or
/// folder, no `..`, nothing of `node_modules` (MapLibre is vendored in `vendor/`).
pub(crate) fn servable(path: &str) -> bool {
    let Some(decoded) = percent_decode(path) else {
        return false;
    };
    if decoded.contains('\\') || decoded.contains('\0') {
        return false;
    }
    let hidden = decoded
        .split('/')
        .any(|segment| segment.starts_with('.') && !segment.is_empty());
    !hidden && !decoded.contains("node_modules")
}

/// `%xx` sequences decoded; `None` when one is malformed or the result is not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Serves a file of the UI.
pub(crate) async fn web_file(files: Arc<WebFiles>, request: Request) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    match serve(files, &method, &path, request.headers()).await {
        Ok(response) => response,
        Err(AppError::MethodNotAllowed(_)) => {
            let mut response = super::method_not_allowed_on(&method, &path).into_response();
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn serve(
    files: Arc<WebFiles>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(AppError::MethodNotAllowed(String::new()));
    }
    let not_found = || AppError::NotFound(format!("no resource at {path}"));
    if path.len() > MAX_WEB_PATH
        || path.split('/').any(|s| s.len() > MAX_WEB_SEGMENT)
        || !servable(path)
    {
        return Err(not_found());
    }
    let relative = percent_decode(path)
        .ok_or_else(not_found)?
        .trim_start_matches('/')
        .to_owned();
    // Reading and compressing a file the first time is blocking work.
    let found = tokio::task::spawn_blocking(move || files.get(&relative))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(format!("{path}: {e}").into()))?
        .ok_or_else(not_found)?;
    respond(&found, method, path, headers)
}

fn respond(
    found: &Found,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let asset = &found.asset;
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(
            header::CACHE_CONTROL,
            if found.immutable {
                IMMUTABLE
            } else {
                "no-cache"
            },
        )
        .header(header::ACCEPT_RANGES, "bytes");
    if asset.gzip.is_some() {
        builder = builder.header(header::VARY, "accept-encoding");
    }
    if let Some(modified) = asset.modified {
        builder = builder.header(header::LAST_MODIFIED, httpdate::fmt_http_date(modified));
    }
    if let Some(since) = header_text(headers, header::IF_UNMODIFIED_SINCE)
        .and_then(|t| httpdate::parse_http_date(t).ok())
    {
        if asset
            .modified
            .is_some_and(|m| whole_seconds(m) > whole_seconds(since))
        {
            return Err(AppError::PreconditionFailed(format!(
                "{path} was modified since If-Unmodified-Since"
            )));
        }
    }
    let range = header_text(headers, header::RANGE);
    let (encoding, body): (Option<&str>, &[u8]) = match range {
        Some(_) => (None, &asset.body),
        None => match accepted(headers, asset) {
            Some(("br", b)) => (Some("br"), b),
            Some((_, b)) => (Some("gzip"), b),
            None => (None, &asset.body),
        },
    };
    let etag = match encoding {
        Some("br") => format!("\"{}-br\"", asset.hash),
        Some(_) => format!("\"{}-gz\"", asset.hash),
        None => format!("\"{}\"", asset.hash),
    };
    builder = builder.header(header::ETAG, &etag);
    if let Some(tags) = header_text(headers, header::IF_NONE_MATCH) {
        if matches_tag(tags, &asset.hash) {
            return finish(builder.status(StatusCode::NOT_MODIFIED), Body::empty());
        }
    }
    if let Some(encoding) = encoding {
        builder = builder.header(header::CONTENT_ENCODING, encoding);
    }
    let (status, body) = match range {
        Some(range) => match byte_range(range, body.len()) {
            Some(Ok((start, end))) => {
                builder = builder.header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{end}/{}", body.len()),
                );
                (StatusCode::PARTIAL_CONTENT, &body[start..=end])
            }
            Some(Err(())) => {
                let mut refusal =
                    AppError::RangeNotSatisfiable(format!("the range is not within {path}"))
                        .into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", body.len())) {
                    refusal.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(refusal);
            }
            None => (StatusCode::OK, body),
        },
        None => (StatusCode::OK, body),
    };
    builder = builder
        .status(status)
        .header(header::CONTENT_LENGTH, body.len());
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body.to_vec())
    };
    finish(builder, body)
}

fn finish(builder: axum::http::response::Builder, body: Body) -> Result<Response, AppError> {
    builder.body(body).map_err(|e| AppError::Internal(e.into()))
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn whole_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether `If-None-Match` names this content (in any of its encodings), or is `*`.
fn matches_tag(tags: &str, hash: &str) -> bool {
    tags.split(',').map(str::trim).any(|tag| {
        let tag = tag.trim_start_matches("W/").trim_matches('"');
        tag == "*" || tag.split('-').next() == Some(hash)
    })
}

/// The compressed form the client takes, brotli first: `Accept-Encoding` tokens with a q-value
/// above 0 (`*` included).
fn accepted<'a>(
    headers: &HeaderMap,
    asset: &'a crate::web::Asset,
) -> Option<(&'static str, &'a [u8])> {
    let accept = header_text(headers, header::ACCEPT_ENCODING)?;
    let takes = |name: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';').map(str::trim);
            let token = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.strip_prefix("q="))
                .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
            (token.eq_ignore_ascii_case(name) || token == "*") && q > 0.0
        })
    };
    if let Some(br) = asset.brotli.as_deref().filter(|_| takes("br")) {
        return Some(("br", br));
    }
    asset
        .gzip
        .as_deref()
        .filter(|_| takes("gzip"))
        .map(|gz| ("gzip", gz))
}

/// The first range of `bytes=a-b`, `a-` or `-n` within `len` bytes, inclusive: `None` when the
/// header is not a byte range (the whole file is sent), `Some(Err)` when it lies outside.
fn byte_range(header: &str, len: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let first = spec.split(',').next()?.trim();
    let (a, b) = first.split_once('-')?;
    let parse = |s: &str| s.trim().parse::<usize>().ok();
    let range = match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, false) => {
            let n = parse(b)?;
            (n > 0 && len > 0).then(|| (len.saturating_sub(n), len - 1))
        }
        (false, true) => {
            let start = parse(a)?;
            (start < len).then(|| (start, len - 1))
        }
        (false, false) => {
            let (start, end) = (parse(a)?, parse(b)?);
            if start > end {
                return None;
            }
            (start < len).then(|| (start, end.min(len - 1)))
        }
        (true, true) => return None,
    };
    Some(range.ok_or(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_files_are_served() {
        assert!(servable("/"));
        assert!(servable("/js/app.js"));
        assert!(servable("/vendor/maplibre-gl/maplibre-gl.mjs"));
        assert!(servable("/vendor/maplibre-gl/maplibre-gl%2Dworker.mjs"));
        for refused in [
            "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
            "/node_modules/playwright-core/package.json",
            "/node_modules%2fplaywright-core/index.js",
            "/js/%2e%2e/%2e%2e/Cargo.toml",
            "/js/../../Cargo.toml",
            "/.git/config",
            "/%2egit/config",
            "/js/%zz.js",
            "/js/%ff.js",
            "/js/..%5c..%5cCargo.toml",
        ] {
            assert!(!servable(refused), "{refused}");
        }
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(byte_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(byte_range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(byte_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(byte_range("bytes=-0", 100), Some(Err(())));
        assert_eq!(byte_range("items=0-1", 100), None);
        assert_eq!(byte_range("bytes=9-1", 100), None);
    }

    #[test]
    fn entity_tags_match_in_every_encoding() {
        assert!(matches_tag("\"abc\"", "abc"));
        assert!(matches_tag("W/\"abc-gz\", \"x\"", "abc"));
        assert!(matches_tag("*", "abc"));
        assert!(!matches_tag("\"abd\"", "abc"));
    }
}
