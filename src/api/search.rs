//! `GET /api/search?q=…&limit=…`: places by name or INSEE code, accent- and case-insensitive,
//! over every layer with `[search]`.

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::AppError;
use crate::search::hit;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/search", get(search))
}

/// Longest accepted query.
const MAX_QUERY: usize = 100;
/// Default and largest number of results.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AppError> {
    let mut q = None;
    let mut limit = DEFAULT_LIMIT;
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "q" => q = Some(v.into_owned()),
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest(format!("limit {v:?} is not in 1..={MAX_LIMIT}"))
                    })?;
            }
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown query parameter {other:?} (use q and limit)"
                )))
            }
        }
    }
    let q = q.filter(|q| !q.trim().is_empty()).ok_or_else(|| {
        AppError::BadRequest("q is required: a commune name or INSEE code, e.g. q=Lens".into())
    })?;
    if q.chars().count() > MAX_QUERY {
        return Err(AppError::BadRequest(format!(
            "q is longer than {MAX_QUERY} characters"
        )));
    }
    let catalog = state.catalog();
    let mut ranked = Vec::new();
    for layer in catalog.layers() {
        let (Some(index), Some(cfg)) = (&layer.search, &layer.config.search) else {
            continue;
        };
        let (Some(name), Some(code)) = (
            layer.property_index(&cfg.name),
            layer.property_index(&cfg.code),
        ) else {
            continue;
        };
        for (rank, id) in index.search(&q, limit) {
            if let Some(h) = hit(layer, id, name, code) {
                ranked.push((rank, h.name.len(), h));
            }
        }
    }
    ranked.sort_by_key(|(rank, len, _)| (*rank, *len));
    let results: Vec<_> = ranked.into_iter().take(limit).map(|(_, _, h)| h).collect();
    Ok(Json(json!({"query": q, "results": results})))
}
