//! Bounded work and the admin routes, through the router: 503 with Retry-After when the CPU
//! line is full or too slow, a deadline per request, the query-length limit, compression,
//! security headers, CORS, what the web folder serves, and the admin token.

use std::io::Read;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use bourg::{AdminToken, AppState, Settings};

use crate::support::{error_description, fixture, send, LayerDir};

const TOKEN: &str = "admin-token-for-the-tests-0123456789";

/// A small catalogue (one layer of the WGS84 fixture) that loads in a moment.
fn small() -> LayerDir {
    let dir = LayerDir::new();
    std::fs::copy(fixture("wgs84.geojson"), dir.path().join("a.geojson")).expect("copy");
    dir.layer("a", "path = \"a.geojson\"", "name = \"string\"");
    dir
}

fn settings(change: impl FnOnce(&mut Settings)) -> Settings {
    let mut settings = Settings::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web"));
    change(&mut settings);
    settings
}

fn app_with(dir: &LayerDir, change: impl FnOnce(&mut Settings)) -> (AppState, Router) {
    let state = AppState::new(dir.load().expect("loads"), settings(change));
    (state.clone(), bourg::router(state))
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

fn demo_app() -> &'static Router {
    static APP: std::sync::OnceLock<Router> = std::sync::OnceLock::new();
    APP.get_or_init(|| crate::support::app(crate::tiles::demo()))
}

const TILE: &str = "/tiles/a/0/0/0.mvt";

/// Holds every CPU permit for `for_how_long`.
fn occupy(state: &AppState, for_how_long: Duration) -> tokio::task::JoinHandle<()> {
    let permits = state.settings.cpu_work;
    let state = state.clone();
    let handle = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..permits {
            let s = state.clone();
            held.push(tokio::spawn(async move {
                let _ = s.blocking(move || std::thread::sleep(for_how_long)).await;
            }));
        }
        for h in held {
            let _ = h.await;
        }
    });
    handle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_line_answers_503_with_retry_after_at_once() {
    let dir = small();
    let (state, app) = app_with(&dir, |s| {
        s.cpu_work = 1;
        s.cpu_queue = 0;
    });
    let busy = occupy(&state, Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (status, headers, body) = send(&app, get(TILE)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(error_description(&json(&body)).contains("busy"));
    assert_eq!(state.refused.load(std::sync::atomic::Ordering::Relaxed), 1);
    let m = crate::metrics::scrape(&app).await;
    assert_eq!(m.value("bourg_work_refused_total", &[]), Some(1.0));
    assert_eq!(
        m.value(
            "bourg_http_requests_total",
            &[("route", "/tiles/{layers}/{z}/{x}/{y}"), ("status", "503")]
        ),
        Some(1.0)
    );
    busy.await.expect("task");
    // Free again: the same request is served.
    let (status, _, _) = send(&app, get(TILE)).await;
    assert!(status.is_success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_too_long_for_the_cpu_answers_503() {
    let dir = small();
    let (state, app) = app_with(&dir, |s| {
        s.cpu_work = 1;
        s.cpu_queue = 8;
        s.cpu_wait = Duration::from_millis(300);
    });
    let busy = occupy(&state, Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (status, headers, _) = send(&app, get(TILE)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key(header::RETRY_AFTER));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_millis(1500),
        "{waited:?}"
    );
    busy.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_answers_a_json_503() {
    let dir = small();
    let (state, app) = app_with(&dir, |s| {
        s.cpu_work = 1;
        s.cpu_wait = Duration::from_secs(10);
        s.request_timeout = Duration::from_millis(400);
    });
    let busy = occupy(&state, Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (status, headers, body) = send(&app, get(TILE)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(error_description(&json(&body)).contains("longer than 0.4 s"));
    busy.abort();
}

#[tokio::test]
async fn a_long_query_string_is_refused_with_414() {
    let dir = small();
    let (_, app) = app_with(&dir, |s| s.max_query_bytes = 1024);
    let long = format!("/ogc/collections/a/items?filter={}", "x".repeat(2000));
    let (status, _, body) = send(&app, get(&long)).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert!(error_description(&json(&body)).contains("1024"));
    let short = format!("/health?pad={}", "x".repeat(1000));
    let (status, _, _) = send(&app, get(&short)).await;
    assert!(status.is_success(), "{status}");
}

#[tokio::test]
async fn json_html_and_scripts_are_compressed_when_asked_and_tiles_once() {
    let app = demo_app();
    let gunzip = |bytes: &[u8]| {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gzip");
        out
    };
    for uri in [
        "/ogc/collections/communes/items?limit=200",
        "/ogc/collections/communes/items?limit=20&f=html",
        "/js/app.js",
        "/vendor/maplibre-gl/maplibre-gl.mjs",
        "/style.json",
    ] {
        let (status, plain_headers, plain) = send(app, get(uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(plain_headers.get(header::CONTENT_ENCODING).is_none());
        let request = Request::get(uri)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .expect("request");
        let (status, headers, gz) = send(app, request).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip", "{uri}");
        assert!(
            gz.len() * 2 < plain.len(),
            "{uri}: {} → {}",
            plain.len(),
            gz.len()
        );
        assert_eq!(gunzip(&gz), plain, "{uri}");
    }
    // A tile is gzipped when rendered; the compression layer leaves it alone.
    let request = Request::get("/tiles/communes/8/130/86.mvt")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .expect("request");
    let (status, headers, gz) = send(app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let tile = gunzip(&gz);
    let reader = mvt_reader::Reader::new(tile).expect("one gzip layer around an MVT");
    assert!(!reader.get_layer_names().expect("layers").is_empty());
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = demo_app();
    for uri in [
        "/",
        "/health",
        "/ogc",
        "/tiles/communes/8/130/86.mvt",
        "/nothing",
    ] {
        let (_, headers, _) = send(app, get(uri)).await;
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        let csp = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("text");
        assert!(csp.contains("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors"), "{uri}: {csp}");
    }
}

#[tokio::test]
async fn cors_is_open_by_default_and_limited_to_the_origins_given() {
    let request = |origin: &str| {
        Request::get("/health")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .expect("request")
    };
    let dir = small();
    let (_, open) = app_with(&dir, |_| {});
    let (_, headers, _) = send(&open, request("https://qgis.example")).await;
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let (_, closed) = app_with(&dir, |s| {
        s.cors_origins = vec!["https://carto.example.fr".parse().expect("origin")];
    });
    let (_, headers, _) = send(&closed, request("https://carto.example.fr")).await;
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://carto.example.fr"
    );
    let (_, headers, _) = send(&closed, request("https://other.example")).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn the_web_folder_serves_what_the_page_loads_and_nothing_else() {
    let app = demo_app();
    for uri in [
        "/",
        "/js/app.js",
        "/app.css",
        "/vendor/maplibre-gl/maplibre-gl.mjs",
        "/vendor/maplibre-gl/maplibre-gl-worker.mjs",
        "/vendor/maplibre-gl/maplibre-gl.css",
    ] {
        let (status, _, _) = send(app, get(uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    for uri in [
        "/node_modules/playwright-core/package.json",
        "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
        "/node_modules/maplibre-gl/dist/maplibre-gl-dev.mjs",
        "/node_modules/maplibre-gl/dist/maplibre-gl.mjs.map",
        "/node_modules/.package-lock.json",
        "/js/../../Cargo.toml",
        "/js/%2e%2e/%2e%2e/Cargo.toml",
        "/..%2f..%2fetc/passwd",
        "/.gitignore",
    ] {
        let (status, headers, body) = send(app, get(uri)).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{uri}: {status}"
        );
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .expect("text")
                .contains("json"),
            "{uri}"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("[package]") && !text.contains("root:"),
            "{uri}"
        );
    }
}

fn post_reload(token: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/admin/reload");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn admin_routes_are_off_without_a_token() {
    let dir = small();
    let (_, app) = app_with(&dir, |_| {});
    let (status, _, body) = send(&app, post_reload(Some(TOKEN))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    error_description(&json(&body));
}

#[tokio::test]
async fn admin_reload_needs_the_right_token_and_keeps_the_old_data_when_it_fails() {
    let dir = small();
    let (state, app) = app_with(&dir, |s| {
        s.admin_token = Some(AdminToken::new(TOKEN).expect("token"));
    });
    for (token, why) in [
        (None, "needs the admin token"),
        (Some("wrong-token-wrong-token-wrong"), "wrong"),
        (Some(&TOKEN[..TOKEN.len() - 1]), "wrong"),
    ] {
        let (status, headers, body) = send(&app, post_reload(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(headers[header::WWW_AUTHENTICATE]
            .to_str()
            .expect("text")
            .starts_with("Bearer"));
        assert!(error_description(&json(&body)).contains(why), "{token:?}");
    }
    // A GET is not a reload.
    let (status, _, _) = send(&app, get("/admin/reload")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // The right token: nothing changed.
    let (status, _, body) = send(&app, post_reload(Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK);
    let answer = json(&body);
    assert_eq!(answer["status"], "ok");
    assert_eq!(answer["changed"], serde_json::json!([]));
    // A same-size edit is a change.
    let path = dir.path().join("a.geojson");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replacen("\"Lens\"", "\"Lenz\"", 1);
    assert!(edited != text && edited.len() == text.len());
    std::fs::write(&path, edited).expect("write");
    let (status, _, body) = send(&app, post_reload(Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["changed"], serde_json::json!(["a"]));
    // A broken file: 409 with the reason, the old layer in service, /health says why.
    let features = state.catalog().get("a").expect("a").len();
    std::fs::write(&path, "{\"type\": \"FeatureCo").expect("write");
    let (status, _, body) = send(&app, post_reload(Some(TOKEN))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_description(&json(&body)).contains("a.toml"));
    assert_eq!(state.catalog().get("a").expect("a").len(), features);
    let (status, _, body) = send(&app, get("/health")).await;
    assert_eq!(status, StatusCode::OK);
    let health = json(&body);
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["last_reload"]["status"], "failed");
    assert!(health["last_reload"]["error"]
        .as_str()
        .expect("error")
        .contains("a.toml"));
    let (status, _, _) = send(&app, get(TILE)).await;
    assert!(status.is_success());
}

#[test]
fn short_or_odd_admin_tokens_are_refused_at_start() {
    assert!(AdminToken::new("short").is_err());
    assert!(AdminToken::new("a token with spaces in it, long enough").is_err());
    assert!(AdminToken::new("é-non-ascii-token-long-enough-0123").is_err());
    let token = AdminToken::new(TOKEN).expect("token");
    assert!(token.matches(TOKEN));
    assert!(!token.matches(""));
    assert!(!token.matches(&format!("{TOKEN}x")));
    assert!(
        !format!("{token:?}").contains("admin-token"),
        "never printed"
    );
}
