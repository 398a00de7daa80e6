//! HTTP routes. Each resource module exposes `routes()`; this module merges them, serves the
//! web UI folder at `/`, and turns unknown paths and methods into JSON errors.

mod health;
mod layers;
mod search;
mod sites;
mod style;
mod territories;
mod tiles;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::services::ServeDir;

use crate::error::AppError;

use crate::AppState;
pub use tiles::parse_tile_path;
pub(crate) use tiles::MVT_TYPE;

/// The application's router.
pub fn router(state: AppState) -> Router {
    let web = ServeDir::new(&state.settings.web_dir)
        .append_index_html_on_directories(true)
        .not_found_service(axum::routing::any(not_found));
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
        .fallback_service(web)
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

async fn not_found(uri: Uri) -> impl IntoResponse {
    AppError::NotFound(format!("no resource at {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> impl IntoResponse {
    let error = AppError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()));
    let mut response = error.into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
