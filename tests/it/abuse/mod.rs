//! The abuse barrage: thousands of malformed requests, generated from a fixed seed, against every
//! route family of the demo catalogue — tiles, TileJSON, OGC API, layers, search, territories,
//! uploads, sites, the web folder — with bad numbers, bad boxes, deep and huge CQL2 filters,
//! unknown, repeated and badly encoded parameters, invalid UTF-8, path traversal, long paths,
//! odd methods and headers.
//!
//! Whatever is sent, the server answers: never a 5xx, never a panic, every error a JSON
//! `{code, description}`, and no answer carries a server file. Valid requests are allowed (they
//! are a 200 or 204); the generator keeps the expensive ones (site rankings, territory reports,
//! low-zoom tiles) few, so the barrage runs in well under a minute in a debug build.
//!
//! [`probe`] holds the generator and the shared value lists, [`family`] one generator per route
//! family; the fixed probes named in the hardening issue are below.

mod family;
mod probe;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{app, demo_layers};
use family::{
    headers, items, layers, method, ogc_other, search, sites, static_path, stats, territory, tile,
    tilejson,
};
use probe::{enc, Probe, Rng, URI_ROOM};

/// Requests in the barrage (the fixed probes come on top).
const RANDOM_PROBES: usize = 6_000;
/// Text that only a server file holds: Cargo.toml, /etc/passwd, a layer file.
const LEAKS: [&str; 4] = ["[package]", "[dependencies]", ":0:0:root:", "[attribution]"];

/// The probes named in the issue, sent once each.
fn fixed() -> Vec<Probe> {
    let mut probes: Vec<Probe> = [
        "/..%2f..%2fetc/passwd",
        "/js/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "//etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/js/%2e%2e/%2e%2e/Cargo.toml",
        "/..%5c..%5cCargo.toml",
        "/%zz",
        "/%",
        "/%ff%fe",
        "/ogc/collections/%ff%fe/items",
        "/ogc/collections/communes/items?%ff%fe=1",
        "/ogc/collections/communes/items?nom=%ff%fe",
        "/layers/%ff%fe",
        "/tiles/%ff%fe/0/0/0.mvt",
        "/tiles/communes/%ff/0/0.mvt",
        "/api/territories/%ff%fe",
        "/api/search?q=%ff%fe",
        "/api/sites?territory=%ff%fe",
        "/tiles/communes/99/0/0.mvt",
        "/tiles/communes/-1/0/0.mvt",
        "/tiles/communes/0/0/0.png",
        "/tiles/communes/1/99999999999999999999999/0.mvt",
        "/api/sites/tiles/99/0/0.mvt",
        // Valid, expensive ones: once each.
        "/api/sites?limit=5",
        "/api/sites?territory=62498&weights=vacancy:0,perimeter:0,transport:0,fragility:0,stock:0",
        "/api/sites/tiles/14/8292/5444.mvt",
        "/api/territories/62498",
        "/ogc/collections/rpls/items?limit=10000&properties=",
        "/ogc/collections/communes/items?f=html&limit=50",
        "/ogc/api?f=html",
    ]
    .into_iter()
    .map(Probe::get)
    .collect();
    // Deep and huge CQL2 filters, as text and as JSON.
    let deep = format!("{}TRUE{}", "(".repeat(10_000), ")".repeat(10_000));
    let huge = format!("nom = '{}'", "x".repeat(URI_ROOM));
    let deep_json = format!(
        "{}{{\"op\":\"=\",\"args\":[1,1]}}{}",
        "{\"op\":\"not\",\"args\":[".repeat(1_000),
        "]}".repeat(1_000)
    );
    let huge_json = format!(
        "{{\"op\":\"=\",\"args\":[{{\"property\":\"nom\"}},\"{}\"]}}",
        "x".repeat(URI_ROOM)
    );
    for (text, lang) in [
        (&deep, "cql2-text"),
        (&huge, "cql2-text"),
        (&deep_json, "cql2-json"),
        (&huge_json, "cql2-json"),
        (&deep_json, "cql2-text"),
        (&huge_json, "cql2-text"),
    ] {
        probes.push(Probe::get(format!(
            "/ogc/collections/communes/items?filter-lang={lang}&filter={}",
            enc(text)
        )));
    }
    probes.push(Probe::get(format!(
        "/api/search?q={}",
        "x".repeat(URI_ROOM)
    )));
    probes.push(Probe::get(format!("/{}", "a".repeat(URI_ROOM))));
    probes.push(Probe::get(format!("/{}", "a/".repeat(URI_ROOM / 2))));
    // Conditional and partial requests of a file that exists.
    for (name, value) in [
        ("range", "bytes=999999999-"),
        ("range", "bytes=5-1"),
        ("range", "lines=1-2"),
        ("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("if-modified-since", "garbage"),
        ("if-match", "\"nope\""),
    ] {
        let mut probe = Probe::get("/index.html");
        probe.headers.push((name, value.as_bytes().to_vec()));
        probes.push(probe);
    }
    // A body over the upload limit (20 MiB).
    probes.push(Probe::post(
        "/api/territories/stats",
        b"application/geo+json",
        vec![b' '; (20 << 20) + 1],
    ));
    probes
}

/// What is wrong with an answer, if anything.
fn judge(method: &Method, status: StatusCode, content_type: &str, body: &[u8]) -> Option<String> {
    if status.is_server_error() {
        return Some(format!("{status}"));
    }
    let text = String::from_utf8_lossy(body);
    if let Some(leak) = LEAKS.iter().find(|l| text.contains(*l)) {
        return Some(format!("{status}: the body holds {leak:?}"));
    }
    if status.is_client_error() && method != Method::HEAD {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let shaped = json
            .as_ref()
            .is_some_and(|j| j["code"].is_string() && j["description"].is_string());
        if !shaped || !content_type.starts_with("application/json") {
            let start: String = text.chars().take(120).collect();
            return Some(format!(
                "{status}: not a JSON error ({content_type:?}): {start:?}"
            ));
        }
    }
    None
}

async fn fire(app: Router, probe: Probe) -> Result<(StatusCode, String, Vec<u8>), String> {
    let mut request = Request::builder()
        .method(probe.method.clone())
        .uri(&probe.uri);
    for (name, value) in &probe.headers {
        let value =
            HeaderValue::from_bytes(value).unwrap_or_else(|_| HeaderValue::from_static("x"));
        request = request.header(HeaderName::from_static(name), value);
    }
    let request = request
        .body(Body::from(probe.body))
        .map_err(|e| format!("not a request: {e}"))?;
    // A task of its own: a panic in a handler comes back as a JoinError, not as this test's.
    let response = tokio::spawn(app.oneshot(request))
        .await
        .map_err(|e| format!("the handler panicked: {e}"))?
        .map_err(|e| format!("the router failed: {e}"))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("the body failed: {e}"))?
        .to_bytes()
        .to_vec();
    Ok((status, content_type, body))
}

/// All the probes: the fixed ones, then the generated ones spread over the route families.
fn barrage() -> Vec<Probe> {
    let mut rng = Rng(0x0b0e_1c0d_e5ee_d5ee);
    let mut probes = fixed();
    let families: [fn(&mut Rng) -> Probe; 12] = [
        tile,
        tile,
        tilejson,
        items,
        items,
        items,
        ogc_other,
        static_path,
        layers,
        search,
        territory,
        sites,
    ];
    for i in 0..RANDOM_PROBES {
        let mut probe = match i % 20 {
            18 => stats(&mut rng),
            19 => method(&mut rng),
            _ => families[rng.below(families.len())](&mut rng),
        };
        if rng.chance(20) {
            headers(&mut rng, &mut probe);
        }
        probes.push(probe);
    }
    probes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_barrage_never_fails_and_answers_json_errors() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let app = app(catalog);
    let probes = barrage();
    let total = probes.len();
    assert!(total >= 5_000, "{total} probes");
    let started = std::time::Instant::now();
    let queue = Arc::new(Mutex::new(probes.into_iter().enumerate()));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let slowest = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (app, queue, failures, statuses, slowest) = (
                app.clone(),
                Arc::clone(&queue),
                Arc::clone(&failures),
                Arc::clone(&statuses),
                Arc::clone(&slowest),
            );
            tokio::spawn(async move {
                loop {
                    let Some((i, probe)) = queue.lock().expect("queue").next() else {
                        break;
                    };
                    let (label, method) = (probe.label(), probe.method.clone());
                    let sent = std::time::Instant::now();
                    let outcome = fire(app.clone(), probe).await;
                    slowest
                        .lock()
                        .expect("slowest")
                        .push((sent.elapsed(), label.clone()));
                    let judged = match outcome {
                        Ok((status, content_type, body)) => {
                            *statuses
                                .lock()
                                .expect("statuses")
                                .entry(status.as_u16())
                                .or_default() += 1;
                            judge(&method, status, &content_type, &body)
                        }
                        Err(e) => Some(e),
                    };
                    if let Some(what) = judged {
                        failures
                            .lock()
                            .expect("failures")
                            .push(format!("#{i} {label}: {what}"));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let failures = failures.lock().expect("failures");
    let mut slowest = slowest.lock().expect("slowest");
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (took, label) in slowest.iter().take(5) {
        eprintln!("slow: {:.0} ms {label}", took.as_secs_f64() * 1000.0);
    }
    eprintln!(
        "abuse barrage: {total} requests in {:.1} s, statuses {:?}",
        started.elapsed().as_secs_f64(),
        statuses.lock().expect("statuses")
    );
    assert!(
        failures.is_empty(),
        "{} of {total} requests went wrong:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Filters no request line could carry (1 MB, 100,000 levels), text and JSON, straight to the
/// parser: refused at once, without a deep recursion.
#[test]
fn huge_and_deep_filters_are_refused_by_the_parser() {
    use bourg::ogc::cql2::{parse, MAX_DEPTH, MAX_LENGTH};
    use bourg::ogc::crs::OgcCrs;
    let schema = [bourg::layer::Property {
        name: "nom".into(),
        ty: bourg::config::PropType::String,
    }];
    let refused = |text: &str| {
        parse(text, &schema, OgcCrs::Crs84)
            .expect_err("refused")
            .to_string()
    };
    let huge = format!("nom = '{}'", "x".repeat(1 << 20));
    let huge_json = format!(
        "{{\"op\":\"=\",\"args\":[{{\"property\":\"nom\"}},\"{}\"]}}",
        "x".repeat(1 << 20)
    );
    for text in [&huge, &huge_json] {
        assert!(
            refused(text).contains(&format!("more than {MAX_LENGTH}")),
            "{}",
            refused(text)
        );
    }
    // As deep as the length allows, and deeper than any stack would take unbounded.
    let deep = format!("{}TRUE{}", "(".repeat(4_000), ")".repeat(4_000));
    let nots = format!("{}TRUE", "NOT ".repeat(2_000));
    let deep_wkt = format!(
        "S_INTERSECTS(geometry, {}POINT(1 2){})",
        "GEOMETRYCOLLECTION(".repeat(300),
        ")".repeat(300)
    );
    for text in [&deep, &nots] {
        assert!(
            refused(text).contains(&format!("nests deeper than {MAX_DEPTH}")),
            "{}",
            refused(text)
        );
    }
    assert!(refused(&deep_wkt).contains("WKT"), "{}", refused(&deep_wkt));
}
