//! `bourg export`: PMTiles and MBTiles archives read by readers that are not ours (the PyPI
//! `pmtiles` reader, GDAL's MBTiles driver, SQLite), every tile equal to what the router serves
//! for the same URL, the count equal to a brute-force count of the server's non-empty tiles;
//! atomic writes; clear errors from the real binary.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bourg::bbox::BboxWgs84;

use crate::support::{app, demo_layers, run, send, tiles_over};

/// A composite of polygons (with labels from z10) and aggregated points, over a few tiles
/// around Lens, z0–z12.
const LIST: &str = "communes,rpls";
const BBOX: &str = "2.70,50.36,2.95,50.48";
const MAXZOOM: u8 = 12;

type Tiles = BTreeMap<(u8, u32, u32), Vec<u8>>;

/// The real binary with these arguments: (success, stdout, stderr).
async fn bourg(args: &[&str]) -> (bool, String, String) {
    run(
        env!("CARGO_BIN_EXE_bourg"),
        args.iter().map(|a| (*a).to_owned()).collect(),
    )
    .await
}

fn layers_arg() -> String {
    demo_layers().display().to_string()
}

/// The prepared-catalogue cache of the exports these tests run, in Cargo's folder for test files
/// (nothing written under $HOME; reused from run to run, as its keys are content hashes).
fn cache_arg() -> String {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("export-cache")
        .display()
        .to_string()
}

/// Exports the composite over the box, z0 to `maxzoom`.
async fn export(output: &Path, maxzoom: u8, extra: &[&str]) -> (bool, String, String) {
    let layers = layers_arg();
    let cache = cache_arg();
    let output = output.display().to_string();
    let maxzoom = maxzoom.to_string();
    let mut args = vec![
        "export",
        "--cache-dir",
        &cache,
        "--layers",
        &layers,
        "--layer",
        LIST,
        "--minzoom",
        "0",
        "--maxzoom",
        &maxzoom,
        "--bbox",
        BBOX,
        "--output",
        &output,
    ];
    args.extend_from_slice(extra);
    bourg(&args).await
}

/// Every non-empty tile the router serves for the composite over the box, by brute force over
/// every tile of every zoom (no gzip asked).
async fn server_tiles() -> Tiles {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let app = app(catalog);
    let bbox = BboxWgs84::parse(BBOX).expect("bbox");
    let mut tiles = Tiles::new();
    for z in 0..=MAXZOOM {
        for t in tiles_over(&bbox, z) {
            let uri = format!("/tiles/{LIST}/{t}.mvt");
            let request = Request::get(&uri).body(Body::empty()).expect("request");
            let (status, headers, body) = send(&app, request).await;
            assert!(headers.get("content-encoding").is_none(), "{uri}");
            match status {
                StatusCode::OK => {
                    tiles.insert((t.z(), t.x(), t.y()), body);
                }
                StatusCode::NO_CONTENT => {}
                other => panic!("{uri}: {other}"),
            }
        }
    }
    tiles
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

/// The Python of the venv holding the PyPI `pmtiles` package, or `None` (then the test is
/// skipped, unless `CI_REQUIRE_PMTILES=1`, as `make test` sets, makes it fail).
pub fn pmtiles_python() -> Option<PathBuf> {
    let venv = std::env::var_os("BOURG_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/bourg-venv")))?;
    let python = venv.join("bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import pmtiles.reader"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var("CI_REQUIRE_PMTILES").as_deref() != Ok("1"),
        "CI_REQUIRE_PMTILES=1 but {} cannot import pmtiles (make test installs it)",
        python.display()
    );
    eprintln!("skipped: no PyPI pmtiles in {}", venv.display());
    None
}

/// Reads a PMTiles archive with the PyPI `pmtiles` reader: header, metadata, the address of
/// every tile its directories list, and each of those tiles fetched by address (`Reader.get`),
/// written decompressed to `out`.
const READ_PMTILES: &str = r#"
import gzip, json, os, sys
from pmtiles.reader import MmapSource, Reader, all_tiles
path, out = sys.argv[1], sys.argv[2]
with open(path, "r+b") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header = reader.header()
    listed = [list(zxy) for zxy, _ in all_tiles(source)]
    for z, x, y in listed:
        data = reader.get(z, x, y)
        if header["tile_compression"].value == 2:
            data = gzip.decompress(data)
        with open(os.path.join(out, f"{z}-{x}-{y}.mvt"), "wb") as t:
            t.write(data)
    header = {k: (v.value if hasattr(v, "value") else v) for k, v in header.items()}
    print(json.dumps({"header": header, "metadata": reader.metadata(), "tiles": listed}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_hold_the_server_tiles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pm = dir.path().join("lens.pmtiles");
    let mb = dir.path().join("lens.mbtiles");
    let (ok, out, err) = export(&pm, MAXZOOM, &["--json"]).await;
    assert!(ok, "{err}");
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().expect("json"))
        .unwrap_or_else(|e| panic!("{e}: {out}"));
    let (ok, _, err) = export(&mb, MAXZOOM, &[]).await;
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        2,
        "no partial file left"
    );

    let server = server_tiles().await;
    assert!(server.len() > 20, "{} tiles: widen the box", server.len());
    assert_eq!(summary["tiles"], server.len(), "{summary}");
    assert!(
        summary["empty"].as_u64().expect("empty") > 0,
        "z0–z4 are empty"
    );
    assert_eq!(summary["bytes"], std::fs::metadata(&pm).expect("pm").len());

    check_mbtiles(&mb, &server);
    check_with_gdal(&mb, &server).await;
    check_pmtiles(&pm, &server).await;
}

/// Every row of the MBTiles, read with SQLite, is the server's tile (TMS rows flipped back).
fn check_mbtiles(path: &Path, server: &Tiles) {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let mut rows = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .expect("tiles");
    let archived: Tiles = rows
        .query_map([], |r| {
            let z: u8 = r.get(0)?;
            let row: u32 = r.get(2)?;
            Ok((
                (z, r.get(1)?, (1u32 << z) - 1 - row),
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .expect("query")
        .map(|r| {
            let (k, v) = r.expect("row");
            (k, gunzip(&v))
        })
        .collect();
    assert_eq!(archived.len(), server.len());
    for (k, body) in server {
        assert!(archived.get(k) == Some(body), "MBTiles tile {k:?} differs");
    }
    let meta: BTreeMap<String, String> = db
        .prepare("SELECT name, value FROM metadata")
        .expect("metadata")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(meta["format"], "pbf");
    assert_eq!(
        (meta["minzoom"].as_str(), meta["maxzoom"].as_str()),
        ("0", "12")
    );
    assert!(meta["attribution"].contains("IGN"), "{meta:?}");
    assert!(
        meta["attribution"].contains("données synthétiques"),
        "{meta:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&meta["json"]).expect("json");
    let ids: Vec<&str> = json["vector_layers"]
        .as_array()
        .expect("vector_layers")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, ["communes", "communes_label", "rpls"]);
    let bounds: Vec<f64> = meta["bounds"]
        .split(',')
        .map(|v| v.parse().expect("number"))
        .collect();
    let asked = BboxWgs84::parse(BBOX).expect("bbox").to_array();
    assert_eq!(bounds, asked, "the layers cover the whole box");
}

/// GDAL's MBTiles driver lists the layers, and at zoom 9 counts as many features per layer as
/// the server's tiles of that zoom hold (decoded with mvt-reader).
async fn check_with_gdal(path: &Path, server: &Tiles) {
    let file = path.display().to_string();
    let (ok, out, err) = run("ogrinfo", vec!["-ro".into(), "-so".into(), file.clone()]).await;
    assert!(ok, "{err}");
    for layer in ["communes", "rpls"] {
        assert!(
            out.contains(&format!(": {layer}")),
            "{layer} not listed: {out}"
        );
    }
    for layer in ["communes", "rpls"] {
        let expected: usize = server
            .iter()
            .filter(|((z, _, _), _)| *z == 9)
            .flat_map(|(_, body)| crate::tiles::decode(body))
            .filter(|d| d.name == layer)
            .map(|d| d.features.len())
            .sum();
        assert!(expected > 0);
        let (ok, out, err) = run(
            "ogrinfo",
            vec![
                "-ro".into(),
                "-so".into(),
                "-oo".into(),
                "ZOOM_LEVEL=9".into(),
                file.clone(),
                layer.into(),
            ],
        )
        .await;
        assert!(ok, "{err}");
        assert!(
            out.contains(&format!("Feature Count: {expected}\n")),
            "{layer}: expected {expected} features at z9: {out}"
        );
    }
}

/// The PyPI reader finds every server tile at its address, lists no other, and reads the
/// header and metadata as written.
async fn check_pmtiles(path: &Path, server: &Tiles) {
    let Some(python) = pmtiles_python() else {
        return;
    };
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (ok, out, err) = run(
        &python.display().to_string(),
        vec![
            "-c".into(),
            READ_PMTILES.into(),
            path.display().to_string(),
            out_dir.path().display().to_string(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let read: serde_json::Value = serde_json::from_str(&out).expect("json");
    let h = &read["header"];
    assert_eq!(h["tile_type"], 1, "MVT: {h}");
    assert_eq!(h["tile_compression"], 2, "gzip: {h}");
    assert_eq!(h["internal_compression"], 2, "gzip: {h}");
    assert_eq!(h["clustered"], true);
    assert_eq!(
        (h["min_zoom"].as_u64(), h["max_zoom"].as_u64()),
        (Some(0), Some(12))
    );
    assert_eq!(h["addressed_tiles_count"], server.len());
    let asked = BboxWgs84::parse(BBOX).expect("bbox");
    assert_eq!(h["min_lon_e7"], (asked.west * 1e7).round() as i64);
    assert_eq!(h["max_lat_e7"], (asked.north * 1e7).round() as i64);
    let m = &read["metadata"];
    assert!(m["attribution"]
        .as_str()
        .expect("attribution")
        .contains("données synthétiques"));
    assert_eq!(m["vector_layers"][0]["id"], "communes");
    assert_eq!(
        m["name"],
        "Communes + Parc social : résidences (RPLS, synthétique)"
    );
    let listed = read["tiles"].as_array().expect("tiles");
    assert_eq!(listed.len(), server.len());
    for ((z, x, y), body) in server {
        let file = out_dir.path().join(format!("{z}-{x}-{y}.mvt"));
        let archived = std::fs::read(&file).unwrap_or_else(|_| panic!("{z}/{x}/{y} not listed"));
        assert!(&archived == body, "PMTiles tile {z}/{x}/{y} differs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_output_is_kept_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("kept.mbtiles");
    std::fs::write(&out, b"mine").expect("write");
    let (ok, _, err) = export(&out, 6, &[]).await;
    assert!(!ok);
    assert!(err.contains("kept.mbtiles exists: pass --force"), "{err}");
    assert_eq!(std::fs::read(&out).expect("read"), b"mine");
    let (ok, _, err) = export(&out, 6, &["--force"]).await;
    assert!(ok, "{err}");
    assert_ne!(std::fs::read(&out).expect("read"), b"mine");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

/// A cancelled export (the injected failure) and a failing one leave nothing under the final
/// name, and no partial file either.
#[test]
fn a_failed_export_leaves_no_file() {
    use bourg::archive::export::{self, Options, Plan};
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["cancelled.pmtiles", "cancelled.mbtiles"] {
        let plan = Plan::try_new(
            &catalog,
            Options {
                layers: LIST.into(),
                minzoom: Some(5),
                maxzoom: Some(9),
                bbox: None,
                output: dir.path().join(name),
                format: None,
                force: false,
            },
        )
        .expect("plan");
        let result = export::run(&plan, |p| {
            if p.written >= 3 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        });
        assert!(
            matches!(result, Err(export::ExportError::Cancelled)),
            "{result:?}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
    // Nothing in the box (the Atlantic): an error, and no file.
    let plan = Plan::try_new(
        &catalog,
        Options {
            layers: LIST.into(),
            minzoom: None,
            maxzoom: Some(8),
            bbox: Some(BboxWgs84::parse("-30,40,-29,41").expect("bbox")),
            output: dir.path().join("ocean.pmtiles"),
            format: None,
            force: false,
        },
    )
    .expect("plan");
    let e = export::run(&plan, |_| std::ops::ControlFlow::Continue(())).expect_err("empty");
    assert_eq!(
        e.to_string(),
        "nothing to export: no tile of communes,rpls holds a feature at zooms 5–8 in bbox -30,40,-29,41"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

/// `kill -9` in the middle of an export leaves the partial file, never the final name; the next
/// export overwrites that stale partial file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_export_leaves_no_file_under_the_final_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("killed.pmtiles");
    let partial = dir.path().join(".killed.pmtiles.partial");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bourg"))
        .args([
            "export",
            "--cache-dir",
            &cache_arg(),
            "--layers",
            &layers_arg(),
            "--layer",
            "communes,rpls,lovac",
        ])
        .args(["--maxzoom", "14", "--output"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start");
    let started = std::time::Instant::now();
    while !partial.exists() {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "ended before writing"
        );
        assert!(started.elapsed().as_secs() < 120, "no partial file");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    assert!(!out.exists(), "a killed export left the final name");
    assert!(partial.exists());
    let (ok, _, err) = export(&out, 6, &[]).await;
    assert!(ok, "{err}");
    assert!(out.exists() && !partial.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_named() {
    let layers = layers_arg();
    let cache = cache_arg();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("a.pmtiles").display().to_string();
    let base = [
        "export",
        "--cache-dir",
        &cache,
        "--layers",
        &layers,
        "--output",
        &out,
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--layer", "communes,nope"], "no layer \"nope\""),
        (vec!["--layer", "communes,,rpls"], "has an empty name"),
        (
            vec!["--layer", "rpls,rpls"],
            "layer \"rpls\" is listed twice",
        ),
        (
            vec!["--layer", "rpls", "--bbox", "3,50,2"],
            "expected 4 numbers",
        ),
        (
            vec!["--layer", "rpls", "--bbox", "3,51,2,50"],
            "south edge is above",
        ),
        (
            vec!["--layer", "rpls", "--minzoom", "9", "--maxzoom", "5"],
            "minzoom 9 is above maxzoom 5",
        ),
        (
            vec!["--layer", "rpls", "--maxzoom", "21"],
            "maxzoom 21 is above 20",
        ),
        (vec!["--layer", "rpls", "--maxzoom", "300"], "--maxzoom"),
        (
            vec!["--layer", "rpls", "--format", "zip"],
            "unknown archive format \"zip\"",
        ),
        (vec!["--minzoom", "3"], "--layer"),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let (ok, _, err) = bourg(&args).await;
        assert!(!ok, "{extra:?} succeeded");
        assert!(err.contains(expected), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{extra:?}: {err}");
    }
    let txt = dir.path().join("a.txt").display().to_string();
    let (ok, _, err) = bourg(&[
        "export",
        "--cache-dir",
        &cache,
        "--layers",
        &layers,
        "--layer",
        "rpls",
        "-o",
        &txt,
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("a.txt: name it *.pmtiles or *.mbtiles"),
        "{err}"
    );
    let nowhere = dir.path().join("missing/a.pmtiles").display().to_string();
    let (ok, _, err) = bourg(&[
        "export",
        "--cache-dir",
        &cache,
        "--layers",
        &layers,
        "--layer",
        "rpls",
        "--maxzoom",
        "5",
        "-o",
        &nowhere,
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("cannot create") && err.contains("missing"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
