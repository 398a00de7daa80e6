//! The HTTP surface through the router: /health, /layers, /layers/{id}, the web folder, errors.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::support::{
    app, error_description, fixture, get_json, lambert93, send, toml_path, LayerDir,
};

fn fixture_app() -> axum::Router {
    let dir = LayerDir::new();
    dir.layer(
        "points",
        &format!("path = {}", toml_path(&fixture("wgs84.geojson"))),
        "name = \"string\"\npop = \"int\"\nshare = \"float\"\nacv = \"bool\"",
    );
    dir.layer(
        "sites",
        &format!(
            "path = {}\nlayer = \"sites\"",
            toml_path(&fixture("lambert93.gpkg"))
        ),
        "nom = \"string\"\nlogements = \"int\"",
    );
    dir.layer(
        "rpls",
        &format!(
            "path = {}\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\nencoding = \"ISO-8859-1\"",
            toml_path(&fixture("rpls_lambert93.csv"))
        ),
        "LIBCOM = \"string\"",
    );
    app(dir.load().expect("fixtures load"))
}

fn bounds(layer: &serde_json::Value) -> Vec<f64> {
    layer["bounds"]
        .as_array()
        .expect("bounds")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

/// Bounds of Lambert-93 vertices after the independent inverse projection.
fn expected_bounds(points: &[(f64, f64)]) -> Vec<f64> {
    let ll: Vec<(f64, f64)> = points
        .iter()
        .map(|&(x, y)| lambert93::to_wgs84(x, y))
        .collect();
    vec![
        ll.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
        ll.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
        ll.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
        ll.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
    ]
}

fn assert_bounds_close(actual: &[f64], expected: &[f64], what: &str) {
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-6, "{what}: {actual:?} vs {expected:?}");
    }
}

#[tokio::test]
async fn layers_describe_three_formats_in_two_crs() {
    let app = fixture_app();
    let (status, body) = get_json(&app, "/layers").await;
    assert_eq!(status, 200);
    let layers = body["layers"].as_array().expect("layers");
    let ids: Vec<&str> = layers
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["points", "rpls", "sites"], "sorted by id");

    let points = &layers[0];
    assert_eq!(points["feature_count"], 4);
    assert_eq!(points["geometry_type"], "Geometry", "points and polygons");
    assert_eq!(
        points["properties"],
        serde_json::json!([
            {"name": "name", "type": "string"},
            {"name": "pop", "type": "int"},
            {"name": "share", "type": "float"},
            {"name": "acv", "type": "bool"}
        ])
    );
    assert_eq!(
        points["attribution"]["text"],
        "Test (2026), Licence Ouverte 2.0"
    );
    assert_eq!(points["synthetic"], false);
    assert_eq!(points["load"]["empty"]["count"], 1);
    assert_eq!(points["load"]["out_of_range"]["count"], 1);
    assert_eq!(points["load"]["repaired"]["count"], 1);
    // WGS84 GeoJSON: the bounds are the extreme input coordinates.
    assert_bounds_close(&bounds(points), &[2.70, 50.30, 2.9, 50.5], "points");

    let sites = &layers[2];
    assert_eq!(sites["feature_count"], 3);
    let vertices = [
        (700_000.0, 6_600_000.0),
        (686_948.0, 7_036_264.0),
        (927_000.0, 6_688_000.0),
        (928_500.0, 6_688_000.0),
        (928_500.0, 6_689_200.0),
        (927_000.0, 6_689_200.0),
    ];
    assert_bounds_close(
        &bounds(sites),
        &expected_bounds(&vertices),
        "GeoPackage in EPSG:2154",
    );

    let rpls = &layers[1];
    assert_eq!(rpls["feature_count"], 4);
    assert_eq!(rpls["geometry_type"], "Point");
    let points = [
        (686_948.0, 7_036_264.0),
        (682_500.5, 7_034_200.25),
        (927_800.0, 6_688_600.0),
        (686_950.0, 7_036_270.0),
    ];
    assert_bounds_close(
        &bounds(rpls),
        &expected_bounds(&points),
        "CSV with Lambert-93 X/Y",
    );
    assert_eq!(
        rpls["load"]["empty"]["examples"][0],
        "line 6: no coordinates"
    );
}

#[tokio::test]
async fn one_layer_by_id_and_unknown_layer_is_404() {
    let app = fixture_app();
    let (status, body) = get_json(&app, "/layers/sites").await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], "sites");
    let (status, body) = get_json(&app, "/layers/nope").await;
    assert_eq!(status, 404);
    assert_eq!(error_description(&body), "no layer \"nope\"");
}

#[tokio::test]
async fn health_reports_layers_counts_and_load_time() {
    let app = fixture_app();
    let (status, body) = get_json(&app, "/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["feature_count"], 4 + 4 + 3);
    assert_eq!(body["layers"].as_array().expect("layers").len(), 3);
    assert!(body["load_time_ms"].as_f64().expect("load time") > 0.0);
}

#[tokio::test]
async fn unknown_path_and_method_get_json_errors() {
    let app = fixture_app();
    let (status, body) = get_json(&app, "/nowhere/at/all").await;
    assert_eq!(status, 404);
    assert!(error_description(&body).contains("/nowhere/at/all"));
    let request = Request::post("/layers")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, 405);
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert!(error_description(&body).contains("POST"));
}

#[tokio::test]
async fn web_folder_is_served_at_root() {
    let app = fixture_app();
    let request = Request::get("/").body(Body::empty()).expect("request");
    let (status, headers, body) = send(&app, request).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("Bourg"));
}

/// Sends a request built from a method, a URI and headers; returns the status, headers and the
/// JSON error description (panics when the body is not a JSON error).
async fn json_error(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (u16, axum::http::HeaderMap, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (status, headers, body) = send(app, request.body(Body::empty()).expect("request")).await;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert_eq!(content_type, "application/json", "{method} {uri}");
    let body: serde_json::Value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{method} {uri}: {e}: {}", String::from_utf8_lossy(&body)));
    (status.as_u16(), headers, error_description(&body))
}

/// Found by the abuse barrage: a path longer than a file name can be reached the file system
/// ("file name too long") and came back as an empty 500.
#[tokio::test]
async fn overlong_web_path_is_a_json_404_not_a_500() {
    let app = fixture_app();
    for uri in [
        format!("/{}", "a/".repeat(3_000)),
        format!("/{}", "a".repeat(300)),
        format!("/js/{}.js", "b".repeat(5_000)),
    ] {
        let (status, _, description) = json_error(&app, "GET", &uri, &[]).await;
        assert_eq!(status, 404, "{}", &uri[..40]);
        assert!(description.starts_with("no resource at /"), "{description}");
    }
}

/// Found by the abuse barrage: a method other than GET or HEAD on a path the web folder answers
/// was an empty 405 from the file service.
#[tokio::test]
async fn other_methods_on_web_paths_are_a_json_405() {
    let app = fixture_app();
    for (method, uri) in [
        ("PUT", "/index.html"),
        ("DELETE", "/js/app.js"),
        ("FOO", "/tiles/a/1/2/3/4.mvt"),
        ("TRACE", "/js/../../Cargo.toml"),
    ] {
        let (status, headers, description) = json_error(&app, method, uri, &[]).await;
        assert_eq!(status, 405, "{method} {uri}");
        assert_eq!(headers["allow"], "GET,HEAD");
        assert!(description.contains(method), "{description}");
    }
}

/// Found by the abuse barrage: an unsatisfiable `Range` or a failed `If-Unmodified-Since` on a web
/// file was an empty 416 or 412.
#[tokio::test]
async fn unsatisfiable_range_and_failed_precondition_are_json_errors() {
    let app = fixture_app();
    let (status, headers, description) =
        json_error(&app, "GET", "/index.html", &[("range", "bytes=999999999-")]).await;
    assert_eq!(status, 416);
    assert!(headers.contains_key("content-range"));
    assert!(description.contains("/index.html"), "{description}");
    let (status, _, description) = json_error(
        &app,
        "GET",
        "/index.html",
        &[("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT")],
    )
    .await;
    assert_eq!(status, 412);
    assert!(description.contains("If-Unmodified-Since"), "{description}");
}

/// Found by the abuse barrage: a layer id that is not UTF-8 once decoded was a plain-text 400
/// from the path extractor.
#[tokio::test]
async fn invalid_utf8_layer_id_is_a_json_400() {
    let app = fixture_app();
    let (status, _, description) = json_error(&app, "GET", "/layers/%ff%fe", &[]).await;
    assert_eq!(status, 400);
    assert!(description.contains("UTF-8"), "{description}");
}

/// The web folder keeps its files to itself: no traversal reaches the repository or the system.
#[tokio::test]
async fn traversal_never_leaves_the_web_folder() {
    let app = fixture_app();
    for uri in [
        "/..%2f..%2fetc/passwd",
        "/js/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "//etc/passwd",
        "/js/%2e%2e/%2e%2e/Cargo.toml",
        "/..%5c..%5cCargo.toml",
    ] {
        let (status, _, _) = json_error(&app, "GET", uri, &[]).await;
        assert_eq!(status, 404, "{uri}");
    }
}

#[tokio::test]
async fn search_finds_communes_by_name_or_code_whatever_the_accents() {
    let app = app(bourg::Catalog::load(&crate::support::demo_layers()).expect("demo loads"));
    for (q, code, name) in [
        ("lens", "62498", "Lens"),
        ("LIEVIN", "62510", "Liévin"),
        ("liévin", "62510", "Liévin"),
        ("besancon", "25056", "Besançon"),
        ("62498", "62498", "Lens"),
        ("saint omer", "62765", "Saint-Omer"),
        ("Saint-Omer", "62765", "Saint-Omer"),
    ] {
        let (status, body) = get_json(
            &app,
            &format!(
                "/api/search?q={}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ),
        )
        .await;
        assert_eq!(status, 200, "{q}");
        let first = &body["results"][0];
        assert_eq!(first["code"], code, "{q}: {body}");
        assert_eq!(first["name"], name);
        let c = first["center"].as_array().expect("center");
        let b = first["bbox"].as_array().expect("bbox");
        let (x, y) = (c[0].as_f64().expect("x"), c[1].as_f64().expect("y"));
        assert!(b[0].as_f64().expect("w") <= x && x <= b[2].as_f64().expect("e"));
        assert!(b[1].as_f64().expect("s") <= y && y <= b[3].as_f64().expect("n"));
    }
    let (_, body) = get_json(&app, "/api/search?q=sous%20lens&limit=3").await;
    let results = body["results"].as_array().expect("results");
    assert!(!results.is_empty() && results.len() <= 3);
    assert!(
        results
            .iter()
            .all(|r| r["name"].as_str().expect("name").contains("sous-Lens")),
        "{body}"
    );
    // EPCIs by name (abbreviated as people type it) or SIREN, départements by name or number;
    // the expected codes read from the files, and each hit opens a sheet of its kind.
    let demo = crate::support::demo_data();
    let code_of = |file: &str, key: &str, name_part: &str| -> String {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(demo.join(file)).expect("file"))
                .expect("GeoJSON");
        let f = doc["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| {
                f["properties"]["nom"]
                    .as_str()
                    .is_some_and(|n| n.contains(name_part))
            })
            .unwrap_or_else(|| panic!("{name_part} in {file}"));
        f["properties"][key].as_str().expect("code").to_owned()
    };
    let lens_epci = code_of("epci_62_25_cog2025.geojson", "siren_epci", "Lens - Liévin");
    let pas_de_calais = code_of("departements_62_25_cog2025.geojson", "dep", "Pas-de-Calais");
    for (q, layer, code, kind) in [
        ("CA de Lens", "epci", lens_epci.as_str(), "epci"),
        (
            "communauté d'agglomération de lens",
            "epci",
            &lens_epci,
            "epci",
        ),
        (lens_epci.as_str(), "epci", &lens_epci, "epci"),
        (
            "Pas-de-Calais",
            "departements",
            &pas_de_calais,
            "departement",
        ),
        (
            "pas de calais",
            "departements",
            &pas_de_calais,
            "departement",
        ),
        (
            pas_de_calais.as_str(),
            "departements",
            &pas_de_calais,
            "departement",
        ),
    ] {
        let uri = format!(
            "/api/search?q={}",
            form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let (status, body) = get_json(&app, &uri).await;
        assert_eq!(status, 200, "{q}");
        let first = &body["results"][0];
        assert_eq!(
            (&first["layer"], &first["code"]),
            (&json!(layer), &json!(code)),
            "{q}: {body}"
        );
        let (status, sheet) = get_json(&app, &format!("/api/territories/{code}")).await;
        assert_eq!(status, 200, "{code}");
        assert_eq!(sheet["territory"]["kind"], kind, "{code}");
    }
    let (_, body) = get_json(&app, "/api/search?q=zzzz").await;
    assert_eq!(body["results"], serde_json::json!([]));
    for (uri, words) in [
        ("/api/search", "q is required"),
        ("/api/search?q=%20", "q is required"),
        ("/api/search?q=lens&limit=0", "limit"),
        ("/api/search?q=lens&limit=51", "limit"),
        (
            "/api/search?q=lens&page=2",
            "unknown query parameter \"page\"",
        ),
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, 400, "{uri}");
        assert!(error_description(&body).contains(words), "{uri}: {body}");
    }
    let long = "a".repeat(101);
    let (status, _) = get_json(&app, &format!("/api/search?q={long}")).await;
    assert_eq!(status, 400);
}

/// `/health` reports memory per layer (shared commune polygons flagged) and the process's
/// resident memory, which holds at least the layers' own bytes.
#[tokio::test]
async fn health_reports_memory_per_layer() {
    let catalog = bourg::Catalog::load(&crate::support::demo_layers()).expect("demo loads");
    let app = crate::support::app(catalog);
    let (status, body) = get_json(&app, "/health").await;
    assert_eq!(status, 200);
    let layers = body["layers"].as_array().expect("layers");
    let layer = |id: &str| {
        layers
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let rpls = &layer("rpls")["memory"];
    // 33,835 residences: 16 bytes of coordinates each at least, and some 40 columns.
    let n = layer("rpls")["feature_count"].as_u64().expect("count");
    assert!(
        rpls["geometries"].as_u64().expect("bytes") >= 16 * n,
        "{rpls}"
    );
    assert!(
        rpls["properties"].as_u64().expect("bytes") >= 30 * n,
        "{rpls}"
    );
    assert!(rpls["index"].as_u64().expect("bytes") > 0, "{rpls}");
    assert_eq!(rpls["shared"], false);
    assert_eq!(layer("lovac")["memory"]["shared"], true);
    let own: u64 = ["geometries", "properties", "index"]
        .iter()
        .map(|k| rpls[*k].as_u64().expect("bytes"))
        .sum();
    let rss = body["rss_bytes"].as_u64().expect("rss on Linux");
    assert!(rss > own, "{rss} <= {own}");
    assert!(body["peak_rss_bytes"].as_u64().expect("peak") >= rss);
}
