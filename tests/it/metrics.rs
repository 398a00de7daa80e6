//! `/metrics` read by Prometheus's own Python client parser (`prometheus_client`, from apt's
//! `python3-prometheus-client`): requests per route and status, bytes out, renders per layer
//! and zoom, the two levels of the tile cache (composites assembled from shared layer parts),
//! evictions, layers, reloads.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bourg::tile::TileCoord;

use crate::support::{send, settings, LayerDir};

/// One sample as the parser read it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Every sample of a scrape, parsed by `prometheus_client` (which fails on a malformed
/// document), with each family's type.
pub struct Scrape {
    pub samples: Vec<Sample>,
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// The value of the sample of this name whose labels include these pairs; `None` when
    /// there is none, a panic when several match.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
        found.first().map(|s| s.value)
    }
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples, types = [], {}
for family in text_string_to_metric_families(sys.stdin.read()):
    types[family.name] = family.type
    for s in family.samples:
        samples.append({"name": s.name, "labels": s.labels, "value": s.value})
json.dump({"samples": samples, "types": types}, sys.stdout)
"#;

/// Scrapes `/metrics` through the router and parses it.
pub async fn scrape(app: &Router) -> Scrape {
    let (status, headers, body) = send(app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let mut child = std::process::Command::new("/usr/bin/python3")
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 (installed by `make test`)");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), &body).expect("write");
    let out = child.wait_with_output().expect("parser");
    assert!(
        out.status.success(),
        "prometheus_client (apt: python3-prometheus-client) refused the metrics: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&body)
    );
    #[derive(serde::Deserialize)]
    struct Parsed {
        samples: Vec<Sample>,
        types: BTreeMap<String, String>,
    }
    let parsed: Parsed = serde_json::from_slice(&out.stdout).expect("parser output");
    Scrape {
        samples: parsed.samples,
        types: parsed.types,
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

const TILES: &str = "/tiles/{layers}/{z}/{x}/{y}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composites_share_layer_parts_and_everything_is_counted() {
    let catalog = crate::tiles::demo();
    let communes = catalog.get("communes").expect("communes").clone();
    let rpls = catalog.get("rpls").expect("rpls").clone();
    let state = bourg::AppState::new(catalog, settings());
    let app = bourg::router(state.clone());
    let tile = TileCoord::containing(2.83, 50.43, 9);
    let path = |layers: &str| format!("/tiles/{layers}/{}/{}/{}.mvt", tile.z(), tile.x(), tile.y());
    let mut bytes_out = 0;
    let mut bodies = BTreeMap::new();
    for layers in [
        "communes",
        "communes,rpls",
        "rpls,communes",
        "communes,rpls",
    ] {
        let (status, _, body) = send(&app, get(&path(layers))).await;
        assert_eq!(status, StatusCode::OK, "{layers}");
        bytes_out += body.len();
        bodies.insert(layers, body);
    }
    let (status, _, body) = send(&app, get("/tiles/nope/0/0/0.mvt")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    bytes_out += body.len();
    // Assembled from cached parts, the bytes are those the layers rendered together give.
    assert_eq!(
        bodies["communes,rpls"],
        bourg::tile::render(&[&communes, &rpls], tile)
    );
    assert_eq!(
        bodies["rpls,communes"],
        bourg::tile::render(&[&rpls, &communes], tile)
    );
    assert_eq!(bodies["communes"], bourg::tile::render(&[&communes], tile));

    let m = scrape(&app).await;
    let requests = |status: &str| {
        m.value(
            "bourg_http_requests_total",
            &[("route", TILES), ("method", "GET"), ("status", status)],
        )
    };
    assert_eq!(requests("200"), Some(4.0));
    assert_eq!(requests("404"), Some(1.0));
    assert_eq!(
        m.value(
            "bourg_http_request_duration_seconds_count",
            &[("route", TILES), ("status", "200")]
        ),
        Some(4.0)
    );
    assert_eq!(
        m.value("bourg_http_response_bytes_total", &[("route", TILES)]),
        Some(bytes_out as f64)
    );
    // Each layer was drawn once at this zoom, for three different layer lists.
    for layer in ["communes", "rpls"] {
        assert_eq!(
            m.value(
                "bourg_tile_render_seconds_count",
                &[("layer", layer), ("zoom", "9")]
            ),
            Some(1.0),
            "{layer}"
        );
    }
    let cache = |name: &str, cache: &str| m.value(name, &[("cache", cache)]);
    assert_eq!(cache("bourg_tile_cache_misses_total", "tiles"), Some(3.0));
    assert_eq!(cache("bourg_tile_cache_hits_total", "tiles"), Some(1.0));
    assert_eq!(cache("bourg_tile_cache_misses_total", "parts"), Some(2.0));
    assert_eq!(cache("bourg_tile_cache_hits_total", "parts"), Some(3.0));
    assert_eq!(cache("bourg_tile_cache_entries", "tiles"), Some(3.0));
    assert_eq!(cache("bourg_tile_cache_entries", "parts"), Some(2.0));
    assert_eq!(m.types["bourg_http_request_duration_seconds"], "histogram");
    assert_eq!(m.types["bourg_tile_render_seconds"], "histogram");
    // Buckets are cumulative and end with the count.
    let buckets: Vec<&Sample> = m
        .samples
        .iter()
        .filter(|s| {
            s.name == "bourg_http_request_duration_seconds_bucket"
                && s.labels["route"] == TILES
                && s.labels["status"] == "200"
        })
        .collect();
    assert!(buckets.windows(2).all(|w| w[0].value <= w[1].value));
    assert_eq!(
        buckets.last().map(|s| s.labels["le"].as_str()),
        Some("+Inf")
    );
    assert_eq!(buckets.last().map(|s| s.value), Some(4.0));
    // Layers, from the same catalogue /health describes.
    let (_, health) = crate::support::get_json(&app, "/health").await;
    for layer in health["layers"].as_array().expect("layers") {
        let id = layer["id"].as_str().expect("id");
        assert_eq!(
            m.value("bourg_layer_features", &[("layer", id)]),
            layer["feature_count"].as_f64(),
            "{id}"
        );
        assert!(
            m.value(
                "bourg_layer_memory_bytes",
                &[("layer", id), ("part", "geometries")]
            )
            .is_some_and(|v| v > 0.0),
            "{id}"
        );
    }
    assert_eq!(
        m.value(
            "bourg_catalog_load_seconds_count",
            &[("trigger", "start"), ("outcome", "ok")]
        ),
        Some(1.0)
    );
    assert_eq!(m.value("bourg_reload_failed", &[]), Some(0.0));
    assert!(m
        .value("process_resident_memory_bytes", &[])
        .is_some_and(|v| v > 0.0));
    // No database: no pool gauges.
    assert_eq!(m.value("bourg_db_connections", &[]), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_cache_counts_its_evictions() {
    let catalog = crate::tiles::demo();
    let bounds = catalog
        .get("communes")
        .expect("communes")
        .bounds
        .expect("bounds");
    let mut s = settings();
    s.tile_cache_bytes = 64 << 10;
    let app = bourg::router(bourg::AppState::new(catalog, s));
    for tile in crate::support::tiles_over(&bounds, 9) {
        let uri = format!("/tiles/communes/{}/{}/{}.mvt", tile.z(), tile.x(), tile.y());
        let (status, _, _) = send(&app, get(&uri)).await;
        assert!(status.is_success(), "{uri}: {status}");
    }
    let m = scrape(&app).await;
    let evictions = |cache| {
        m.value("bourg_tile_cache_evictions_total", &[("cache", cache)])
            .expect("evictions")
    };
    assert!(
        evictions("tiles") > 0.0 && evictions("parts") > 0.0,
        "{:?}",
        m.samples
            .iter()
            .filter(|s| s.name.starts_with("bourg_tile_cache"))
            .collect::<Vec<_>>()
    );
    for cache in ["tiles", "parts"] {
        let bytes = m
            .value("bourg_tile_cache_bytes", &[("cache", cache)])
            .expect("bytes");
        assert!(bytes <= f64::from(32 << 10), "{cache}: {bytes}");
    }
}

/// A reload that fails is counted and shown; the one that follows the fix is counted too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_are_counted_by_outcome() {
    let dir = LayerDir::new();
    std::fs::copy(
        crate::support::fixture("wgs84.geojson"),
        dir.path().join("a.geojson"),
    )
    .expect("copy");
    let toml = dir.layer("a", "path = \"a.geojson\"", "name = \"string\"");
    let state = bourg::AppState::new(dir.load().expect("loads"), settings());
    let app = bourg::router(state.clone());
    let good = std::fs::read_to_string(&toml).expect("read");
    std::fs::write(&toml, good.replace("a.geojson", "missing.geojson")).expect("write");
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.reload())
        .await
        .expect("task")
        .expect_err("a missing source fails");
    let m = scrape(&app).await;
    assert_eq!(m.value("bourg_reload_failed", &[]), Some(1.0));
    assert_eq!(
        m.value(
            "bourg_catalog_load_seconds_count",
            &[("trigger", "admin"), ("outcome", "failed")]
        ),
        Some(1.0)
    );
    std::fs::write(&toml, good).expect("write");
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.reload())
        .await
        .expect("task")
        .expect("fixed");
    let m = scrape(&app).await;
    assert_eq!(m.value("bourg_reload_failed", &[]), Some(0.0));
    assert_eq!(
        m.value(
            "bourg_catalog_load_seconds_count",
            &[("trigger", "admin"), ("outcome", "ok")]
        ),
        Some(1.0)
    );
}
