//! `GET /health`: the server is up, with its layers, feature counts and load time.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/health", get(get_health))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    load_time_ms: f64,
    feature_count: usize,
    layers: Vec<LayerHealth>,
}

#[derive(Serialize)]
struct LayerHealth {
    id: String,
    feature_count: usize,
    skipped: u64,
    load_ms: f64,
}

async fn get_health(State(state): State<AppState>) -> Json<Health> {
    let catalog = state.catalog();
    let layers: Vec<LayerHealth> = catalog
        .layers()
        .map(|l| LayerHealth {
            id: l.id().to_owned(),
            feature_count: l.len(),
            skipped: l.report.skipped(),
            load_ms: l.report.load_ms,
        })
        .collect();
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        load_time_ms: catalog.load_time.as_secs_f64() * 1000.0,
        feature_count: layers.iter().map(|l| l.feature_count).sum(),
        layers,
    })
}
