//! HTTP routes. Each resource module exposes `routes()`; this module merges them, serves the
//! web UI folder at `/`, and turns unknown paths and methods into JSON errors.

mod health;
mod layers;

use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::services::ServeDir;

use crate::error::AppError;
use crate::AppState;

/// The application's router.
pub fn router(state: AppState) -> Router {
    let web = ServeDir::new(&state.web_dir)
        .append_index_html_on_directories(true)
        .not_found_service(axum::routing::any(not_found));
    Router::new()
        .merge(health::routes())
        .merge(layers::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(web)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
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
