//! HTTP routes. Each resource module exposes `routes()`; this module merges them, serves the
//! web UI folder at `/`, and turns unknown paths and methods into JSON errors (the web folder's
//! refusals too: 404, 405, 412, 416).

mod health;
mod layers;
mod search;
mod sites;
mod style;
mod territories;
mod tiles;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::ServeDir;

use crate::error::AppError;

use crate::AppState;
pub(crate) use tiles::MVT_TYPE;

/// The application's router.
pub fn router(state: AppState) -> Router {
    let web = ServeDir::new(&state.settings.web_dir).append_index_html_on_directories(true);
    Router::new()
        .merge(health::routes())
        .merge(layers::routes())
        .merge(tiles::routes())
        .merge(style::routes())
        .merge(search::routes())
        .merge(territories::routes())
        .merge(sites::routes())
        .merge(crate::ogc::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(move |request: Request| web_file(web.clone(), request))
        .layer(cors())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The public address of this server as the client sees it, from `X-Forwarded-Proto`,
/// `X-Forwarded-Host` and `Host`; header values with characters a host cannot hold are ignored.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let proto = match first("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host_ok = |h: &&str| {
        h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
    };
    let host = first("x-forwarded-host")
        .filter(host_ok)
        .or_else(|| first("host").filter(host_ok))
        .unwrap_or("localhost");
    format!("{proto}://{host}")
}

/// Any origin may read the public data (GET, HEAD); the headers clients need are exposed.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{header, HeaderName, Method};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(tower_http::cors::Any)
        .expose_headers([
            header::ETAG,
            header::CONTENT_ENCODING,
            HeaderName::from_static("content-crs"),
        ])
}

/// Longest path, and longest path segment, looked up in the web folder: longer ones name no file
/// there, and would reach the file system only to fail with "file name too long".
const MAX_WEB_PATH: usize = 1024;
const MAX_WEB_SEGMENT: usize = 255;

/// A file of the web folder (GET and HEAD), every refusal a JSON error like the API's.
async fn web_file(mut web: ServeDir, request: Request) -> Response {
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let path = uri.path();
    if method != Method::GET && method != Method::HEAD {
        let mut response = method_not_allowed(method, uri).await;
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        return response;
    }
    if path.len() > MAX_WEB_PATH || path.split('/').any(|s| s.len() > MAX_WEB_SEGMENT) {
        return not_found(uri).await;
    }
    match web.try_call(request).await {
        Ok(response) if response.status() == StatusCode::NOT_FOUND => not_found(uri).await,
        Ok(response) if response.status().is_client_error() => {
            let error = match response.status() {
                StatusCode::PRECONDITION_FAILED => AppError::PreconditionFailed(format!(
                    "{path} was modified since If-Unmodified-Since"
                )),
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    AppError::RangeNotSatisfiable(format!("the range is not within {path}"))
                }
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
        Ok(response) => response.map(Body::new),
        Err(e) => AppError::Internal(Box::new(e)).into_response(),
    }
}

async fn not_found(uri: Uri) -> Response {
    AppError::NotFound(format!("no resource at {}", uri.path())).into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let error = AppError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()));
    let mut response = error.into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
