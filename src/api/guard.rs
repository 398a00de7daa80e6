//! What every request goes through: the length of its query, a deadline, errors always in JSON,
//! and the security headers of every answer.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::AppState;

/// Refuses a query string longer than [`crate::Settings::max_query_bytes`] (414), and answers
/// 503 when the request takes longer than [`crate::Settings::request_timeout`].
pub(crate) async fn bounded(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let settings = &state.settings;
    if let Some(query) = request.uri().query() {
        if query.len() > settings.max_query_bytes {
            return AppError::UriTooLong(format!(
                "the query string has {} bytes, more than the {} this server accepts",
                query.len(),
                settings.max_query_bytes
            ))
            .into_response();
        }
    }
    let timeout = settings.request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Unavailable {
            message: format!(
                "the request took longer than {} s: narrow it (a smaller bbox or page) or try again later",
                timeout.as_secs_f64()
            ),
            retry_after_s: 5,
        }
        .into_response(),
    }
}

/// Turns the error answers that do not come from [`AppError`] (axum's extractor rejections,
/// the body limit, the static file service) into the same JSON body.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Rejection texts are short; anything else is replaced by the status's reason.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && !t.contains('<'));
    let description =
        text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(description),
        StatusCode::NOT_FOUND => AppError::NotFound(description),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed(description),
        StatusCode::URI_TOO_LONG => AppError::UriTooLong(description),
        s if s.is_server_error() => AppError::Internal(description.into()),
        _ => AppError::BadRequest(description),
    };
    let mut json = error.into_response();
    *json.status_mut() = status;
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = parts.headers.get(&name) {
            json.headers_mut().insert(name, v.clone());
        }
    }
    json
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"))
}

/// The page's own scripts and styles (MapLibre's inline styles and blob workers included), the
/// base maps' tiles (OpenStreetMap, IGN's Géoplateforme), and nothing else.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self'; \
     style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob: https://tile.openstreetmap.org https://data.geopf.fr; \
     connect-src 'self' https://tile.openstreetmap.org https://data.geopf.fr; \
     worker-src 'self' blob:; child-src 'self' blob:; \
     font-src 'self' data:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'self'";

/// The headers every answer carries (unless its handler set them).
pub(crate) fn security_headers() -> [(HeaderName, HeaderValue); 3] {
    [
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ]
}

/// The files of `node_modules` the page loads; the rest of it (development tools, source
/// maps, other packages) is not served.
const NODE_MODULES: [&str; 3] = [
    "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
    "/node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs",
    "/node_modules/maplibre-gl/dist/maplibre-gl.css",
];

/// Whether the web folder may serve this path (as requested, percent-encoded): no hidden file
/// or folder, no `..`, and only what the page loads from `node_modules`.
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
    if hidden {
        return false;
    }
    !decoded.contains("node_modules") || NODE_MODULES.contains(&decoded.as_str())
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

/// Longest path, and longest path segment, looked up in the web folder: longer ones name no file
/// there, and would reach the file system only to fail with "file name too long".
const MAX_WEB_PATH: usize = 1024;
const MAX_WEB_SEGMENT: usize = 255;

/// The web folder (GET and HEAD), for the paths [`servable`] allows; every refusal a JSON error
/// like the API's.
pub(crate) async fn web_file(State(state): State<AppState>, request: Request) -> Response {
    use tower::ServiceExt;
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let not_found = || AppError::NotFound(format!("no resource at {path}")).into_response();
    if method != Method::GET && method != Method::HEAD {
        let mut response = super::method_not_allowed_on(&method, &path).into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        return response;
    }
    if path.len() > MAX_WEB_PATH
        || path.split('/').any(|s| s.len() > MAX_WEB_SEGMENT)
        || !servable(&path)
    {
        return not_found();
    }
    let files = tower_http::services::ServeDir::new(&state.settings.web_dir)
        .append_index_html_on_directories(true);
    let response = match files.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return not_found();
    }
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let error = match status {
        StatusCode::PRECONDITION_FAILED => {
            AppError::PreconditionFailed(format!("{path} was modified since If-Unmodified-Since"))
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            AppError::RangeNotSatisfiable(format!("the range is not within {path}"))
        }
        s if s.is_server_error() => AppError::Internal(format!("{path}: {s}").into()),
        other => AppError::BadRequest(format!("{path}: {other}")),
    };
    let mut refusal = error.into_response();
    if let Some(v) = response.headers().get(header::CONTENT_RANGE) {
        refusal
            .headers_mut()
            .insert(header::CONTENT_RANGE, v.clone());
    }
    refusal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_files_are_served() {
        assert!(servable("/"));
        assert!(servable("/js/app.js"));
        assert!(servable("/node_modules/maplibre-gl/dist/maplibre-gl.mjs"));
        assert!(servable(
            "/node_modules/maplibre-gl/dist/maplibre-gl%2Dworker.mjs"
        ));
        for refused in [
            "/node_modules/playwright-core/package.json",
            "/node_modules/maplibre-gl/dist/maplibre-gl.mjs.map",
            "/node_modules/maplibre-gl/dist/maplibre-gl-dev.mjs",
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
}
