//! HTTP routes. Each resource module exposes `routes()`; this module merges them, serves the
//! web UI at `/` (see [`assets`]), and wraps them in what every request goes through (see [`guard`]):
//! limits, a deadline, JSON errors (the web folder's refusals too: 404, 405, 412, 416),
//! compression, CORS and security headers.

mod admin;
mod archives;
mod assets;
mod glyphs;
mod guard;
mod health;
mod layers;
mod metrics;
mod qualif;
mod search;
mod sites;
mod style;
mod territories;
mod tiles;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;

use crate::AppState;
pub use tiles::parse_tile_path;
pub(crate) use tiles::{computed_tile, tile_response, MVT_TYPE};

/// The application's router. It needs a Tokio runtime with timers (request deadlines).
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let web = std::sync::Arc::new(crate::web::WebFiles::with_dir(settings.web_dir.clone()));
    let mut router = Router::new()
        .merge(admin::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(layers::routes())
        .merge(tiles::routes())
        .merge(archives::routes())
        .merge(style::routes())
        .merge(glyphs::routes())
        .merge(search::routes())
        .merge(territories::routes(&state.settings.uploads))
        .merge(sites::routes())
        .merge(qualif::routes())
        .merge(crate::ogc::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(move |request: axum::extract::Request| assets::web_file(web.clone(), request))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(axum::middleware::from_fn(guard::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::bounded,
        ))
        // Layer tiles come gzipped from their cache when the client accepts it (see `tiles`):
        // an answer with a Content-Encoding is never compressed again.
        .layer(CompressionLayer::new())
        // Counts what leaves, compressed.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .layer(cors(&settings.cors_origins));
    // Archive layers read from another origin (a CDN): known when the router is built, so a new
    // origin takes a restart.
    let archive_origins: Vec<String> = state
        .catalog()
        .archives()
        .filter_map(|a| crate::archive::origin(a.config.url.as_deref()?))
        .collect();
    for (name, value) in guard::security_headers(&archive_origins) {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
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

/// The origins given (any when none) may read the public data (GET, HEAD); the headers clients
/// need are exposed. Write and admin routes are not open to other origins' pages.
fn cors(origins: &[HeaderValue]) -> tower_http::cors::CorsLayer {
    use axum::http::{header, HeaderName, Method};
    use tower_http::cors::AllowOrigin;
    let allow = if origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().cloned())
    };
    tower_http::cors::CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(tower_http::cors::Any)
        .expose_headers([
            header::ETAG,
            header::CONTENT_ENCODING,
            HeaderName::from_static("content-crs"),
        ])
}

async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> impl IntoResponse {
    method_not_allowed_on(&method, uri.path())
}

/// The 405 of a method on a path.
pub(crate) fn method_not_allowed_on(method: &axum::http::Method, path: &str) -> AppError {
    AppError::MethodNotAllowed(format!("{method} is not allowed on {path}"))
}

/// A download: the body with its media type, named for saving.
pub(crate) fn attachment(
    body: Vec<u8>,
    media_type: &'static str,
    name: &str,
) -> axum::response::Response {
    use axum::http::header;
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
