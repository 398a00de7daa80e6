//! `GET /metrics`: the Prometheus text format (0.0.4) of what [`crate::metrics`] counts, with
//! the values read at scrape time (layers, tile cache, CPU work, reloads, database pool,
//! process memory); and the middleware that counts every request by route template.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::metrics::{Counter, Exposition};
use crate::AppState;

/// Media type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(get_metrics))
}

/// Counts a request by the route template it matched (`fallback` for the UI's files and
/// unknown paths), its method and status, its latency to the headers, and its body's bytes
/// as sent (compressed) once streamed.
pub(crate) async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("fallback", |p| p.as_str())
        .to_owned();
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics.request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    let bytes = metrics.bytes_out.get(&[&route]);
    response.map(|body| Body::new(Counted { inner: body, bytes }))
}

/// A response body that adds the bytes it yields to a counter.
struct Counted {
    inner: Body,
    bytes: Arc<Counter>,
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.bytes.add(data.len() as u64);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

async fn get_metrics(State(state): State<AppState>) -> Response {
    let mut out = Exposition::default();
    state.metrics.write(&mut out);
    let catalog = state.catalog();
    for l in catalog.layers() {
        let labels = [("layer", l.id())];
        out.sample(
            "bourg_layer_features",
            "Features served per layer.",
            "gauge",
            &labels,
            l.len() as f64,
        );
    }
    for l in catalog.layers() {
        let m = l.memory();
        for (part, bytes) in [
            ("geometries", m.geometries),
            ("properties", m.properties),
            ("index", m.index),
        ] {
            out.sample(
                "bourg_layer_memory_bytes",
                "Memory held per layer and part (geometries shared between layers are counted in each).",
                "gauge",
                &[("layer", l.id()), ("part", part)],
                bytes as f64,
            );
        }
    }
    for l in catalog.layers() {
        out.sample(
            "bourg_layer_generation",
            "A number that changes when the layer reloads (what cached tiles and ETags key on).",
            "gauge",
            &[("layer", l.id())],
            catalog
                .layer_generation(l.id())
                .unwrap_or(catalog.generation) as f64,
        );
    }
    let [(tile_entries, tile_bytes), (part_entries, part_bytes)] = state.tiles.usage();
    for (cache, entries, bytes) in [
        ("tiles", tile_entries, tile_bytes),
        ("parts", part_entries, part_bytes),
    ] {
        out.sample(
            "bourg_tile_cache_entries",
            "Entries in the tile cache.",
            "gauge",
            &[("cache", cache)],
            entries as f64,
        );
        out.sample(
            "bourg_tile_cache_bytes",
            "Bytes weighed in the tile cache (its budget is --tile-cache-mb, half per cache).",
            "gauge",
            &[("cache", cache)],
            bytes as f64,
        );
    }
    out.sample(
        "bourg_work_refused_total",
        "Requests answered 503 because every CPU permit was taken and the line full or too long.",
        "counter",
        &[],
        state.refused.load(std::sync::atomic::Ordering::Relaxed) as f64,
    );
    out.sample(
        "bourg_work_waiting",
        "Requests waiting for a CPU permit.",
        "gauge",
        &[],
        state.waiting() as f64,
    );
    out.sample(
        "bourg_work_permits",
        "CPU-bound pieces of work run at once (--cpu-work).",
        "gauge",
        &[],
        state.settings.cpu_work as f64,
    );
    let last = state.last_reload();
    out.sample(
        "bourg_reload_failed",
        "1 when the last reload failed (the previous layers stay in service; /health says why), else 0.",
        "gauge",
        &[],
        if last.as_ref().is_some_and(|r| r.status == "failed") { 1.0 } else { 0.0 },
    );
    if let Some(r) = &last {
        out.sample(
            "bourg_reload_last_timestamp_seconds",
            "When the last reload ended, Unix time.",
            "gauge",
            &[],
            r.at_unix_s as f64,
        );
    }
    if let Some(db) = &state.db {
        let (connections, max) = db.pool_state();
        out.sample(
            "bourg_db_connections",
            "Open database connections.",
            "gauge",
            &[],
            connections as f64,
        );
        out.sample(
            "bourg_db_max_connections",
            "Most database connections the pool opens.",
            "gauge",
            &[],
            max as f64,
        );
    }
    if let Some(rss) = super::health::proc_status("VmRSS:") {
        out.sample(
            "process_resident_memory_bytes",
            "Resident memory of the server.",
            "gauge",
            &[],
            rss as f64,
        );
    }
    out.sample(
        "bourg_build_info",
        "The server's version.",
        "gauge",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    let mut response = out.finish().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROMETHEUS_TEXT),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
