//! Tiles over HTTP: headers, caching, errors, TileJSON, style, GDAL's MVT driver as a client,
//! snapshots of decoded tiles, and no tile path that makes the server fail.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use bourg::tile::{TileCoord, TileKey};
use proptest::prelude::*;

use crate::support::{app, error_description, fixture, get_json, send, state, LayerDir};
use crate::tiles::{decode, demo};

async fn tile_bytes(app: &Router, uri: &str) -> (u16, Vec<u8>) {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let (status, _, body) = send(app, request).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn tile_http_contract() {
    let app = app(demo());
    let lens = TileCoord::containing(2.8319, 50.4322, 12);
    let uri = format!("/tiles/communes/{lens}.mvt");
    let request = Request::get(&uri)
        .header("accept-encoding", "gzip, br")
        .body(Body::empty())
        .expect("request");
    let (status, headers, gz) = send(&app, request).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    assert!(etag.starts_with('"'), "strong ETag: {etag}");
    let (status, plain) = tile_bytes(&app, &uri).await;
    assert_eq!(status, 200);
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
        .expect("gzip");
    assert_eq!(unzipped, plain);
    let request = Request::get(&uri)
        .header("if-none-match", &etag)
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = send(&app, request).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(headers["etag"].to_str().expect("etag"), etag);
    // .pbf is accepted as an alias.
    assert_eq!(
        tile_bytes(&app, &format!("/tiles/communes/{lens}.pbf")).await,
        (200, plain)
    );
    // Composite: one MVT layer per source layer, in request order, each labelled polygon layer
    // followed by its label points.
    let (status, bytes) =
        tile_bytes(&app, &format!("/tiles/communes,friches,acv/{lens}.mvt")).await;
    assert_eq!(status, 200);
    let names: Vec<String> = decode(&bytes).into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["communes", "communes_label", "friches", "acv"]);
    // Nothing there (the Atlantic): 204, empty.
    let sea = TileCoord::containing(-30.0, 45.0, 8);
    assert_eq!(
        tile_bytes(&app, &format!("/tiles/communes/{sea}.mvt")).await,
        (204, vec![])
    );
    // Below a layer's min_zoom: 204.
    assert_eq!(tile_bytes(&app, "/tiles/communes/2/2/1.mvt").await.0, 204);
}

#[tokio::test]
async fn tile_errors_are_json_with_the_right_status() {
    let app = app(demo());
    for (uri, status, words) in [
        ("/tiles/communes/25/0/0.mvt", 400, "zoom 25 is above 24"),
        ("/tiles/communes/3/8/0.mvt", 400, "x and y must be below 8"),
        ("/tiles/communes/3/0/8.mvt", 400, "x and y must be below 8"),
        (
            "/tiles/communes/3/0/0.png",
            400,
            "unknown tile extension \"png\"",
        ),
        ("/tiles/communes/3/0/0", 400, "needs an extension"),
        (
            "/tiles/communes/a/0/0.mvt",
            400,
            "\"a\" is not a tile coordinate",
        ),
        (
            "/tiles/communes/3/-1/0.mvt",
            400,
            "\"-1\" is not a tile coordinate",
        ),
        (
            "/tiles/communes/99999999999999999999/0/0.mvt",
            400,
            "is not a tile coordinate",
        ),
        ("/tiles/nope/3/0/0.mvt", 404, "no layer \"nope\""),
        ("/tiles/communes,nope/3/0/0.mvt", 404, "no layer \"nope\""),
        ("/tiles/communes,,acv/3/0/0.mvt", 400, "empty name"),
        ("/tiles/acv,acv/3/0/0.mvt", 400, "listed twice"),
        ("/tiles/nope.json", 404, "no layer \"nope\""),
        ("/tiles/communes.xml", 404, "TileJSON is at"),
    ] {
        let (got, body) = get_json(&app, uri).await;
        assert_eq!(got.as_u16(), status, "{uri}: {body}");
        let description = error_description(&body);
        assert!(description.contains(words), "{uri}: {description}");
    }
}

#[tokio::test]
async fn tilejson_describes_layers_and_follows_forwarded_headers() {
    let app = app(demo());
    let request = Request::get("/tiles/communes,friches.json")
        .header("host", "internal:8080")
        .header("x-forwarded-host", "carte.example.fr")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, 200);
    let tj: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "https://carte.example.fr/tiles/communes,friches/{z}/{x}/{y}.mvt"
    );
    assert_eq!(tj["minzoom"], 5);
    assert_eq!(tj["maxzoom"], 16);
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .expect("bounds")
        .iter()
        .map(|v| v.as_f64().expect("f64"))
        .collect();
    assert!(b[0] < 2.83 && 2.83 < b[2] && b[1] < 50.43 && 50.43 < b[3]);
    assert_eq!(tj["center"].as_array().expect("center").len(), 3);
    let layers = tj["vector_layers"].as_array().expect("vector_layers");
    assert_eq!(layers[0]["id"], "communes");
    assert_eq!(layers[0]["fields"]["pmun22"], "Number");
    assert_eq!(layers[0]["fields"]["nom"], "String");
    assert_eq!(layers[1]["id"], "communes_label");
    assert_eq!(layers[1]["fields"]["nom"], "String");
    assert_eq!(layers[2]["id"], "friches");
    assert_eq!(layers[2]["fields"]["count"], "Number");
    let attribution = tj["attribution"].as_str().expect("attribution");
    assert!(
        attribution.contains("IGN") && attribution.contains("Cerema (Cartofriches) (2023-12"),
        "{attribution}"
    );
}

#[tokio::test]
async fn style_draws_every_layer() {
    let catalog = demo();
    let ids: BTreeSet<String> = catalog.layers().map(|l| l.id().to_owned()).collect();
    let app = app(catalog);
    let (status, style) = get_json(&app, "/style.json").await;
    assert_eq!(status, 200);
    assert_eq!(style["version"], 8);
    let source_layers: BTreeSet<String> = style["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["source-layer"].as_str().map(str::to_owned))
        .collect();
    let drawn: BTreeSet<String> = source_layers
        .iter()
        .filter(|l| !l.ends_with("_label") && *l != "sites")
        .cloned()
        .collect();
    assert_eq!(drawn, ids);
    // The ranked recycling sites, hidden until asked for, from the sites tiles.
    let sites = style["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["source-layer"] == "sites")
        .expect("a sites layer");
    assert_eq!(sites["layout"]["visibility"], "none");
    let template = style["sources"][sites["source"].as_str().expect("source")]["tiles"][0]
        .as_str()
        .expect("tiles URL");
    assert!(
        template.ends_with("/api/sites/tiles/{z}/{x}/{y}.mvt"),
        "{template}"
    );
    let tile = TileCoord::containing(2.83, 50.43, 12);
    let path = template
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .expect("path")
        .replace("{z}", &tile.z().to_string())
        .replace("{x}", &tile.x().to_string())
        .replace("{y}", &tile.y().to_string());
    let request = Request::get(&path).body(Body::empty()).expect("request");
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, 200, "{path}");
    let layers = decode(&body);
    assert_eq!(layers[0].name, "sites");
    assert!(!layers[0].features.is_empty());
    // Label layers read the label points of a drawn layer.
    for label in source_layers.iter().filter(|l| l.ends_with("_label")) {
        assert!(ids.contains(label.trim_end_matches("_label")), "{label}");
    }
    for id in &ids {
        let url = style["sources"][id]["url"].as_str().expect("source url");
        assert!(url.ends_with(&format!("/tiles/{id}.json")), "{url}");
    }
}

/// A decoded tile as stable JSON: per layer, per feature its id, type, ring or point counts,
/// first coordinates and properties (sorted).
fn summary(bytes: &[u8]) -> serde_json::Value {
    use geo::{CoordsIter, Geometry};
    let layers: Vec<serde_json::Value> = decode(bytes)
        .into_iter()
        .map(|d| {
            let mut features: Vec<serde_json::Value> = d
                .features
                .iter()
                .map(|f| {
                    let kind = match &f.geometry {
                        Geometry::Point(_) | Geometry::MultiPoint(_) => "point",
                        Geometry::LineString(_) | Geometry::MultiLineString(_) => "line",
                        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => "polygon",
                        _ => "other",
                    };
                    let first: Vec<[i64; 2]> = f
                        .geometry
                        .coords_iter()
                        .take(3)
                        .map(|c| [c.x as i64, c.y as i64])
                        .collect();
                    let props: std::collections::BTreeMap<String, String> = f
                        .properties
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, format!("{v:?}")))
                        .collect();
                    serde_json::json!({
                        "id": f.id,
                        "type": kind,
                        "vertices": f.geometry.coords_count(),
                        "first": first,
                        "properties": props,
                    })
                })
                .collect();
            features.sort_by_key(|f| f["id"].as_u64());
            serde_json::json!({"layer": d.name, "extent": d.extent, "features": features})
        })
        .collect();
    serde_json::Value::Array(layers)
}

#[tokio::test]
async fn snapshot_programmes_around_lens_z9() {
    let app = app(demo());
    let tile = TileCoord::containing(2.8319, 50.4322, 9);
    let (status, bytes) = tile_bytes(&app, &format!("/tiles/acv,pvd,ort/{tile}.mvt")).await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("programmes_lens_z9", summary(&bytes));
}

#[tokio::test]
async fn snapshot_departements_z4() {
    let app = app(demo());
    let (status, bytes) = tile_bytes(&app, "/tiles/departements/4/8/5.mvt").await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("departements_z4", summary(&bytes));
}

#[tokio::test]
async fn snapshot_friches_aggregated_z7() {
    let app = app(demo());
    let tile = TileCoord::containing(2.8319, 50.4322, 7);
    let (status, bytes) = tile_bytes(&app, &format!("/tiles/friches/{tile}.mvt")).await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("friches_aggregated_z7", summary(&bytes));
}

/// GDAL's MVT driver reads a served tile, georeferenced by its z/x/y: same layer, same feature
/// count as mvt-reader, and an extent inside the buffered tile in Web Mercator.
#[tokio::test]
async fn gdal_mvt_driver_opens_a_served_tile() {
    let app = app(demo());
    let tile = TileCoord::containing(2.8319, 50.4322, 12);
    let (status, bytes) = tile_bytes(&app, &format!("/tiles/communes/{tile}.mvt")).await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tile.mvt");
    std::fs::write(&path, &bytes).expect("write tile");
    let output = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", "-al", "-oo"])
        .arg(format!("X={}", tile.x()))
        .args([
            "-oo",
            &format!("Y={}", tile.y()),
            "-oo",
            &format!("Z={}", tile.z()),
        ])
        .arg(&path)
        .output()
        .expect("ogrinfo (gdal-bin) is installed by `make test`");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("using driver `MVT' successful"), "{text}");
    assert!(text.contains("Layer name: communes"), "{text}");
    let expected = decode(&bytes)[0].features.len();
    assert!(
        text.contains(&format!("Feature Count: {expected}")),
        "{expected} features: {text}"
    );
    // Extent: (minx, miny) - (maxx, maxy) in EPSG:3857, inside the tile grown by its buffer.
    let line = text
        .lines()
        .find(|l| l.starts_with("Extent:"))
        .expect("extent");
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|s| s.parse().ok())
        .collect();
    let b = tile.bounds_mercator();
    let grow = tile.size_mercator() * 64.0 / 4096.0 + 1.0;
    assert!(
        numbers[0] >= b.min().x - grow && numbers[2] <= b.max().x + grow,
        "{line}"
    );
    assert!(
        numbers[1] >= b.min().y - grow && numbers[3] <= b.max().y + grow,
        "{line}"
    );
}

/// MapLibre's own style validator (`gl-style-validate` from `@maplibre/maplibre-gl-style-spec`,
/// installed in `web/node_modules` by `make test`) accepts the served style.
#[tokio::test]
async fn style_passes_the_maplibre_validator() {
    let app = app(demo());
    let (status, style) = get_json(&app, "/style.json").await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("style.json");
    std::fs::write(&path, style.to_string()).expect("write style");
    let validator = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("web/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.mjs");
    assert!(
        validator.exists(),
        "run `make test` (it installs web/node_modules)"
    );
    let output = std::process::Command::new("node")
        .arg(&validator)
        .arg(&path)
        .output()
        .expect("node");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn reload_empties_the_cache_of_changed_layers_only() {
    let dir = LayerDir::new();
    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    std::fs::copy(fixture("wgs84.geojson"), &a).expect("copy");
    std::fs::copy(fixture("wgs84.geojson"), &b).expect("copy");
    for id in ["a", "b"] {
        dir.layer(id, &format!("path = \"{id}.geojson\""), "name = \"string\"");
    }
    let state = state(dir.load().expect("loads"));
    let tile = TileCoord::containing(2.83, 50.43, 10);
    let key_in = |catalog: &bourg::Catalog, layers: &str| {
        TileKey::new(
            layers.into(),
            layers
                .split(',')
                .map(|id| catalog.layer_generation(id).expect("layer")),
            tile,
        )
    };
    let render_in = |catalog: &bourg::Catalog, layers: &str| {
        let with: Vec<(&bourg::layer::Layer, u64)> = layers
            .split(',')
            .map(|id| {
                (
                    catalog.get(id).expect("layer").as_ref(),
                    catalog.layer_generation(id).expect("generation"),
                )
            })
            .collect();
        state.tiles.tile(&with, tile)
    };
    let key = |layers: &str| key_in(&state.catalog(), layers);
    let render = |layers: &str| render_in(&state.catalog(), layers);
    let before = render("a");
    render("b");
    render("a,b");
    let old = state.catalog();
    let b_layer = old.get("b").expect("b").clone();
    // Change a's data: keep only the first feature.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&a).expect("read")).expect("JSON");
    doc["features"]
        .as_array_mut()
        .expect("features")
        .truncate(1);
    std::fs::write(&a, doc.to_string()).expect("write");
    let changed = state.reload().expect("reload");
    assert_eq!(changed, vec!["a".to_owned()]);
    assert!(!state.tiles.contains(&key_in(&old, "a")));
    assert!(!state.tiles.contains(&key_in(&old, "a,b")));
    assert!(state.tiles.contains(&key("b")));
    // The parts too: a's old part is gone, b's (unchanged) is kept.
    let generation = |c: &bourg::Catalog, id: &str| c.layer_generation(id).expect("layer");
    assert!(!state.tiles.contains_part("a", generation(&old, "a"), tile));
    assert!(state
        .tiles
        .contains_part("b", generation(&state.catalog(), "b"), tile));
    assert_eq!(key_in(&old, "b"), key("b"));
    assert_ne!(key_in(&old, "a"), key("a"));
    // b was reused, not reloaded; a's new tile shows the new data.
    assert!(std::sync::Arc::ptr_eq(
        &b_layer,
        state.catalog().get("b").expect("b")
    ));
    // A request that began before the reload caches its tile of the old data when it ends:
    // the new catalogue's requests do not get it.
    let late = render_in(&old, "a");
    assert_eq!(late.etag, before.etag);
    let after = render("a");
    assert_ne!(before.etag, after.etag);
    assert_eq!(decode(&after.body)[0].features.len(), 1);
    // A broken reload keeps the layers in service, and says why in /health.
    std::fs::write(&a, "{\"type\": \"FeatureCo").expect("write");
    assert!(state.reload().is_err());
    assert_eq!(state.catalog().get("a").expect("a").len(), 1);
    let report = state.last_reload().expect("a reload report");
    assert_eq!(report.status, "failed");
    assert!(report.error.expect("why").contains("a.toml"));
}

fn shared_app() -> &'static Router {
    static APP: OnceLock<Router> = OnceLock::new();
    APP.get_or_init(|| app(demo()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No z/x/y, however wrong, makes the server fail: every answer is a tile, no content, or a
    /// JSON 400/404.
    #[test]
    fn no_tile_path_makes_the_server_fail(
        z in prop_oneof![0u64..=26, Just(u64::MAX)].prop_map(|v| v.to_string()),
        x in prop_oneof![0u64..70_000, any::<u64>()].prop_map(|v| v.to_string()),
        y in prop_oneof![0u64..70_000, any::<u64>()].prop_map(|v| v.to_string()),
        ext in prop_oneof![Just("mvt"), Just("pbf"), Just("png"), Just("")],
        junk in "[a-zA-Z0-9%._-]{0,6}",
        use_junk in 0u8..4,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        let (z, x) = if use_junk == 0 { (junk.clone(), x) } else if use_junk == 1 { (z, junk.clone()) } else { (z, x) };
        let uri = format!("/tiles/communes,friches/{z}/{x}/{y}.{ext}");
        let Ok(request) = Request::get(&uri).body(Body::empty()) else {
            return Ok(());
        };
        let (status, headers, body) = runtime.block_on(send(shared_app(), request));
        prop_assert!([200, 204, 400, 404].contains(&status.as_u16()), "{uri}: {status}");
        if status.is_client_error() {
            let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON error");
            prop_assert!(json["description"].is_string());
        } else if status == 200 {
            prop_assert_eq!(&headers["content-type"], "application/vnd.mapbox-vector-tile");
            decode(&body);
        }
    }
}

/// CPU-bound request work runs at most `cpu_work` pieces at a time (twice the cores by default),
/// the rest waiting their turn (what keeps the slowest tiles from taking many times their own time
/// under load); every piece is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_bound_work_runs_one_piece_per_core() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let state = crate::support::state(demo());
    let cores = state.settings.cpu_work;
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let pieces: Vec<_> = (0..4 * cores)
        .map(|i| {
            let (state, active, most) = (state.clone(), active.clone(), most.clone());
            tokio::spawn(async move {
                state
                    .blocking(move || {
                        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        active.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                    .expect("runs")
            })
        })
        .collect();
    let mut done = Vec::new();
    for p in pieces {
        done.push(p.await.expect("joins"));
    }
    assert_eq!(done, (0..4 * cores).collect::<Vec<_>>());
    let most = most.load(Ordering::SeqCst);
    assert!(
        (1..=cores).contains(&most),
        "{most} at once on {cores} cores"
    );
}
