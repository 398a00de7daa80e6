//! `GET /health`: the server is up, with its layers, feature counts, load time and memory (per
//! layer, and the process's resident memory now and at its peak, from `/proc/self/status`).

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
    /// Resident memory of the process (VmRSS), bytes; null where `/proc` is not available.
    rss_bytes: Option<u64>,
    /// Its peak (VmHWM), bytes.
    peak_rss_bytes: Option<u64>,
    /// The catalogue in service: what derived results and cached tiles key on.
    generation: u64,
    /// The last reload (`POST /admin/reload` or SIGHUP), when there was one: a failed one
    /// says why, and the layers before it stay in service.
    last_reload: Option<crate::state::ReloadReport>,
    /// CPU-bound work: requests waiting for a permit now, and refused (503) since the start.
    work: Work,
    /// Where ratings live, and whether it answers; null when this server keeps none.
    database: Option<DatabaseHealth>,
    layers: Vec<LayerHealth>,
}

#[derive(Serialize)]
struct DatabaseHealth {
    /// The URL without its password.
    url: String,
    /// Whether `SELECT 1` answered within 2 s.
    reachable: bool,
    /// Connections open now, and at most.
    connections: usize,
    max_connections: usize,
}

#[derive(Serialize)]
struct Work {
    permits: usize,
    waiting: usize,
    refused: usize,
}

#[derive(Serialize)]
struct LayerHealth {
    id: String,
    feature_count: usize,
    skipped: u64,
    load_ms: f64,
    memory: crate::layer::Memory,
}

/// A `kB` line of `/proc/self/status`, in bytes.
pub(crate) fn proc_status(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
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
            memory: l.memory(),
        })
        .collect();
    let last_reload = state.last_reload();
    let database = match &state.db {
        Some(db) => {
            let probe = db.run(|c| c.query("SELECT 1", &[]).map(|_| ()));
            let reachable = matches!(
                tokio::time::timeout(std::time::Duration::from_secs(2), probe).await,
                Ok(Ok(()))
            );
            let (connections, max_connections) = db.pool_state();
            Some(DatabaseHealth {
                url: db.describe(),
                reachable,
                connections,
                max_connections,
            })
        }
        None => None,
    };
    let unreachable = database.as_ref().is_some_and(|d| !d.reachable);
    Json(Health {
        status: match &last_reload {
            Some(r) if r.status == "failed" => "degraded",
            _ if unreachable => "degraded",
            _ => "ok",
        },
        database,
        version: env!("CARGO_PKG_VERSION"),
        load_time_ms: catalog.load_time.as_secs_f64() * 1000.0,
        feature_count: layers.iter().map(|l| l.feature_count).sum(),
        rss_bytes: proc_status("VmRSS:"),
        peak_rss_bytes: proc_status("VmHWM:"),
        generation: catalog.generation,
        last_reload,
        work: Work {
            permits: state.settings.cpu_work,
            waiting: state.waiting(),
            refused: state.refused.load(std::sync::atomic::Ordering::Relaxed),
        },
        layers,
    })
}
