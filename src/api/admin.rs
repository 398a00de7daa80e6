//! Admin routes, behind the bearer token of [`crate::Settings::admin_token`]; without a token
//! they do not exist (404).
//!
//! - `POST /admin/reload`: reloads the layers whose files changed (by content) and swaps the
//!   catalogue; a failed reload keeps the current layers, answers 409 with the reason and shows
//!   it in `/health`.

use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use crate::error::AppError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/reload", post(post_reload))
}

/// A request that carries the admin token (`Authorization: Bearer …`).
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(token) = &state.settings.admin_token else {
            return Err(AppError::NotFound(format!(
                "no resource at {}",
                parts.uri.path()
            )));
        };
        match bearer(&parts.headers) {
            None => Err(AppError::Unauthorized(
                "this route needs the admin token: Authorization: Bearer <token>".into(),
            )),
            Some(given) if token.matches(given) => Ok(Admin),
            Some(_) => Err(AppError::Unauthorized("the admin token is wrong".into())),
        }
    }
}

/// The token of `Authorization: Bearer <token>`, if the request has one.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

#[derive(Serialize)]
struct Reloaded {
    status: &'static str,
    changed: Vec<String>,
    generation: u64,
    ms: u64,
}

/// Reloads (the reload logs its outcome and keeps it for `/health`).
async fn post_reload(_: Admin, State(state): State<AppState>) -> Result<Json<Reloaded>, AppError> {
    let started = std::time::Instant::now();
    let s = state.clone();
    match tokio::task::spawn_blocking(move || s.reload()).await? {
        Ok(changed) => Ok(Json(Reloaded {
            status: "ok",
            changed,
            generation: state.catalog().generation,
            ms: started.elapsed().as_millis() as u64,
        })),
        Err(e) => Err(AppError::ReloadFailed(format!(
            "the reload failed and the current layers stay in service: {}",
            crate::error_chain(&e)
        ))),
    }
}
