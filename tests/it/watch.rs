//! Live reload by file watching: a change of a layer's data, written in several bursts,
//! reloads that layer once after the debounce; its tiles' ETags change, the others' do not; a
//! broken layer file keeps the layers in service and shows the error in `/health` and the
//! metrics; its fix is picked up too.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bourg::tile::TileCoord;

use crate::support::{fixture, get_json, send, settings, LayerDir};

const DEBOUNCE: Duration = Duration::from_millis(300);

async fn etag(app: &Router, layers: &str, tile: TileCoord) -> String {
    let uri = format!("/tiles/{layers}/{}/{}/{}.mvt", tile.z(), tile.x(), tile.y());
    let request = Request::get(&uri).body(Body::empty()).expect("request");
    let (status, headers, _) = send(app, request).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    headers["etag"].to_str().expect("etag").to_owned()
}

/// Waits for the n-th reload by the watcher (counted in the metrics) and returns `/health`.
async fn watched_reload(app: &Router, n: f64) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let m = crate::metrics::scrape(app).await;
        let reloads: f64 = ["ok", "failed"]
            .iter()
            .filter_map(|o| {
                m.value(
                    "bourg_catalog_load_seconds_count",
                    &[("trigger", "watch"), ("outcome", o)],
                )
            })
            .sum();
        if reloads >= n {
            assert_eq!(reloads, n, "one reload per settled change");
            return get_json(app, "/health").await.1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no reload {n} by the watcher after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_files_reload_their_layers_once_settled() {
    let dir = LayerDir::new();
    let a = dir.path().join("a.geojson");
    for id in ["a", "b"] {
        std::fs::copy(
            fixture("wgs84.geojson"),
            dir.path().join(format!("{id}.geojson")),
        )
        .expect("copy");
        dir.layer(id, &format!("path = \"{id}.geojson\""), "name = \"string\"");
    }
    let state = bourg::AppState::new(dir.load().expect("loads"), settings());
    let app = bourg::router(state.clone());
    let _watcher = bourg::watch::watch(state.clone(), DEBOUNCE).expect("watch");
    let tile = TileCoord::containing(2.83, 50.43, 10);
    let (a0, b0, ab0) = (
        etag(&app, "a", tile).await,
        etag(&app, "b", tile).await,
        etag(&app, "a,b", tile).await,
    );

    // a's data rewritten as a slow copy would: a broken half first, the whole a little later
    // (within the debounce), then touched again.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&a).expect("read")).expect("JSON");
    doc["features"]
        .as_array_mut()
        .expect("features")
        .truncate(1);
    let text = doc.to_string();
    std::fs::write(&a, &text[..text.len() / 2]).expect("write");
    tokio::time::sleep(DEBOUNCE / 3).await;
    std::fs::write(&a, &text).expect("write");
    tokio::time::sleep(DEBOUNCE / 3).await;
    std::fs::write(&a, &text).expect("write");
    let health = watched_reload(&app, 1.0).await;
    let last = &health["last_reload"];
    assert_eq!(last["trigger"], "watch", "{health}");
    assert_eq!(last["status"], "ok", "{health}");
    assert_eq!(last["changed"], serde_json::json!(["a"]), "{health}");
    let (a1, b1, ab1) = (
        etag(&app, "a", tile).await,
        etag(&app, "b", tile).await,
        etag(&app, "a,b", tile).await,
    );
    assert_ne!(a0, a1, "a's tile shows its new data");
    assert_ne!(ab0, ab1, "so does the composite");
    assert_eq!(b0, b1, "b's tile and ETag are unchanged");

    // A broken layer file: the reload fails, the layers stay in service, /health says why.
    let b_toml = dir.path().join("b.toml");
    let good = std::fs::read_to_string(&b_toml).expect("read");
    std::fs::write(&b_toml, "title = \"b\"\n[source\n").expect("write");
    let health = watched_reload(&app, 2.0).await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["last_reload"]["status"], "failed", "{health}");
    let error = health["last_reload"]["error"].as_str().expect("error");
    assert!(error.contains("b.toml"), "{error}");
    let m = crate::metrics::scrape(&app).await;
    assert_eq!(m.value("bourg_reload_failed", &[]), Some(1.0));
    assert_eq!(etag(&app, "b", tile).await, b0, "the old b is still served");

    // Fixed: the next reload succeeds and changes nothing that was served.
    std::fs::write(&b_toml, good).expect("write");
    let health = watched_reload(&app, 3.0).await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(etag(&app, "b", tile).await, b0);
    assert_eq!(etag(&app, "a", tile).await, a1);
}

/// Files beside the layers that no layer reads do not reload anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_files_are_ignored() {
    let dir = LayerDir::new();
    std::fs::copy(fixture("wgs84.geojson"), dir.path().join("a.geojson")).expect("copy");
    dir.layer("a", "path = \"a.geojson\"", "name = \"string\"");
    let state = bourg::AppState::new(dir.load().expect("loads"), settings());
    let _watcher = bourg::watch::watch(state.clone(), DEBOUNCE).expect("watch");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    std::fs::write(dir.path().join(".a.toml.swp"), "x").expect("write");
    std::fs::write(dir.path().join("unused.geojson"), "{}").expect("write");
    tokio::time::sleep(DEBOUNCE * 4).await;
    assert!(state.last_reload().is_none(), "{:?}", state.last_reload());
}
