//! Hardened uploads (issue 12): the caps on size, inflated size, features and vertices refuse
//! before the work they would cost; nothing outside the upload is read (zip entries, GeoPackage
//! views and virtual tables, linked GeoJSON CRS); refusals say what is wrong and never carry
//! GDAL's messages. An OGR VRT sent as GeoJSON or GeoPackage:
//! `territories::uploads_cannot_read_the_servers_files`.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::Request;
use serde_json::{json, Value};

use crate::support::{app_with, error_description, send, settings};
use crate::territories::{alpha_polygon, catalog, convert, post, secret_vrt};

const STATS: &str = "/api/territories/stats";
const GEOJSON: &str = "application/geo+json";
const ZIP: &str = "application/zip";
const GPKG: &str = "application/geopackage+sqlite3";

fn app() -> axum::Router {
    app_with(catalog(), settings())
}

/// Posts an upload and asserts its refusal: the status, words of the message, no trace of
/// GDAL or of a server path in it, and an answer within 5 s (a debug build).
async fn refused(
    app: &axum::Router,
    content_type: &str,
    body: Vec<u8>,
    status: u16,
    words: &str,
) -> String {
    let started = Instant::now();
    let (got, body) = post(app, STATS, content_type, body).await;
    let took = started.elapsed();
    assert_eq!(got, status, "{content_type}: {body}");
    let description = error_description(&body);
    assert!(
        description.contains(words),
        "{description:?} lacks {words:?}"
    );
    for leak in ["vsimem", "/tmp", "GDAL", "sqlite3_", "ERROR"] {
        assert!(
            !description.contains(leak),
            "{description:?} shows {leak:?}"
        );
    }
    assert!(took < Duration::from_secs(5), "{words}: took {took:?}");
    description
}

/// A zip written by Python's zipfile (deflated), entry names kept exactly as given.
fn python_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec![
        "-c".to_owned(),
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nfor name, path in zip(sys.argv[2::2], sys.argv[3::2]):\n    z.writestr(zipfile.ZipInfo(name), open(path, 'rb').read(), zipfile.ZIP_DEFLATED)\nz.close()".to_owned(),
    ];
    let out = dir.path().join("out.zip");
    args.push(out.display().to_string());
    for (i, (name, data)) in entries.iter().enumerate() {
        let path = dir.path().join(i.to_string());
        std::fs::write(&path, data).expect("write");
        args.push((*name).to_owned());
        args.push(path.display().to_string());
    }
    let status = std::process::Command::new("python3")
        .args(&args)
        .status()
        .expect("python3");
    assert!(status.success());
    std::fs::read(out).expect("zip")
}

/// The parts of a Shapefile written by ogr2ogr (Lambert-93), by extension.
fn shapefile(geojson: &Value) -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("in.geojson");
    std::fs::write(&src, geojson.to_string()).expect("write");
    let status = std::process::Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-t_srs", "EPSG:2154"])
        .arg(dir.path().join("alpha.shp"))
        .arg(&src)
        .status()
        .expect("ogr2ogr");
    assert!(status.success());
    ["shp", "shx", "dbf", "prj"]
        .into_iter()
        .map(|ext| {
            let part = std::fs::read(dir.path().join(format!("alpha.{ext}"))).expect("part");
            (ext, part)
        })
        .collect()
}

/// A zip entry's name may not leave its folder, and only Shapefile parts are inflated: an OGR
/// VRT naming a server file, or the parts of a valid Shapefile under `../`, are refused before
/// GDAL opens anything. The same parts under plain names (in a folder, beside macOS's
/// `__MACOSX/` copies) are read.
#[tokio::test]
async fn zip_entries_must_be_shapefile_parts_with_plain_names() {
    let app = app();
    let dir = tempfile::tempdir().expect("temp dir");
    let vrt = secret_vrt(dir.path());
    let parts = shapefile(&alpha_polygon());
    let named = |prefix: &str| -> Vec<(String, &[u8])> {
        parts
            .iter()
            .map(|(ext, data)| (format!("{prefix}alpha.{ext}"), data.as_slice()))
            .collect()
    };
    let zipped = |entries: &[(String, &[u8])]| {
        python_zip(
            &entries
                .iter()
                .map(|(n, d)| (n.as_str(), *d))
                .collect::<Vec<_>>(),
        )
    };
    let mut plain = named("perimetre/");
    plain.extend(named("__MACOSX/perimetre/._"));
    let (status, body) = post(&app, STATS, ZIP, zipped(&plain)).await;
    assert_eq!(status, 200, "{body}");
    let d = refused(
        &app,
        ZIP,
        python_zip(&[("layer.vrt", vrt.as_bytes())]),
        400,
        "\"layer.vrt\"",
    )
    .await;
    assert!(d.contains("not a Shapefile part"), "{d}");
    let mut with_vrt = named("");
    with_vrt.push(("alpha.vrt".into(), vrt.as_bytes()));
    refused(&app, ZIP, zipped(&with_vrt), 400, "\"alpha.vrt\"").await;
    for prefix in ["../", "a/../../", "/srv/", "..\\"] {
        refused(&app, ZIP, zipped(&named(prefix)), 400, "unsafe path").await;
    }
}

/// A GeoPackage is SQLite, which runs SQL written in the file as it is read: a view (a layer,
/// or one standing in for `gpkg_contents`, which GDAL reads as it opens the file) counting to a
/// billion, a generated column computing 900 MB for every row. Such files, and virtual tables,
/// are refused before GDAL opens them. Reading outside the upload: GDAL 3.6 alone already fails
/// on a view naming an attached database (SQLite refuses the schema) and on GDAL's `VirtualOGR`
/// module, which opens any path (not registered on a GeoPackage); both shown with ogrinfo.
#[tokio::test]
async fn geopackages_that_would_run_sql_are_refused() {
    let app = app();
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = dir.path().join("secret.geojson");
    let mut feature = alpha_polygon();
    feature["properties"] = json!({"secret": "TOPSECRET"});
    std::fs::write(&secret, feature.to_string()).expect("write");
    let base = convert(&alpha_polygon(), "GPKG", "gpkg");
    let (status, body) = post(&app, STATS, GPKG, base.clone()).await;
    assert_eq!(status, 200, "{body}");
    // `row`: written into sqlite_master directly, as SQLite itself would not create it; `sql`:
    // run. A non-empty `layer` becomes the GeoPackage's layer.
    let forged = |mode: &str, kind: &str, layer: &str, sql: &str| -> std::path::PathBuf {
        let path = dir.path().join(format!(
            "{}.gpkg",
            dir.path().read_dir().expect("dir").count()
        ));
        std::fs::write(&path, &base).expect("write");
        let script = "import sys, sqlite3\npath, mode, kind, layer, sql = sys.argv[1:]\nc = sqlite3.connect(path)\nif mode == 'row':\n    c.execute('PRAGMA writable_schema=ON')\n    c.execute('INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES (?, ?, ?, 0, ?)', (kind, layer, layer, sql))\nelse:\n    c.executescript(sql)\nif layer:\n    for t in ['gpkg_contents', 'gpkg_geometry_columns']:\n        c.execute('UPDATE ' + t + ' SET table_name = ?', (layer,))\nc.commit()\nc.close()";
        let status = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .args([mode, kind, layer, sql])
            .status()
            .expect("python3");
        assert!(status.success());
        path
    };
    let ogrinfo = |path: &std::path::Path| {
        let out = std::process::Command::new("ogrinfo")
            .args(["-ro", "-al"])
            .arg(path)
            .output()
            .expect("ogrinfo");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let attached = forged(
        "row",
        "view",
        "attached",
        "CREATE VIEW attached AS SELECT * FROM aux.\"in\"",
    );
    let (ok, _, err) = ogrinfo(&attached);
    assert!(
        !ok && err.contains("cannot reference objects in database aux"),
        "{err}"
    );
    let virtual_ogr = forged(
        "row",
        "table",
        "secret",
        &format!(
            "CREATE VIRTUAL TABLE secret USING VirtualOGR('{}')",
            secret.display()
        ),
    );
    let (_, out, err) = ogrinfo(&virtual_ogr);
    assert!(
        !out.contains("TOPSECRET") && err.contains("no such module: VirtualOGR"),
        "{out}{err}"
    );
    let endless =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)";
    let slow_layer = forged(
        "sql",
        "",
        "slow",
        &format!("CREATE VIEW slow AS {endless} SELECT o.* FROM \"in\" o WHERE (SELECT count(*) FROM c) > 0"),
    );
    let slow_contents = forged(
        "sql",
        "",
        "",
        &format!("ALTER TABLE gpkg_contents RENAME TO contents; CREATE VIEW gpkg_contents AS {endless} SELECT * FROM contents WHERE (SELECT count(*) FROM c) > 0;"),
    );
    let generated = forged(
        "sql",
        "",
        "",
        "ALTER TABLE \"in\" ADD COLUMN big BLOB AS (zeroblob(900000000))",
    );
    for (path, words) in [
        (attached, "a view (\"attached\")"),
        (virtual_ogr, "a virtual table (\"secret\""),
        (slow_layer, "a view (\"slow\")"),
        (slow_contents, "a view (\"gpkg_contents\")"),
        (generated, "a generated column (table \"in\")"),
    ] {
        let bytes = std::fs::read(&path).expect("gpkg");
        let d = refused(&app, GPKG, bytes, 400, words).await;
        assert!(d.contains("would run SQL when read"), "{d}");
    }
}

/// GDAL fetches a GeoJSON CRS given as a link (shown with ogrinfo); the server refuses it and
/// connects nowhere.
#[tokio::test]
async fn a_linked_geojson_crs_is_never_fetched() {
    let linked = |listener: &std::net::TcpListener| {
        let url = format!("http://{}/crs", listener.local_addr().expect("address"));
        let mut collection = json!({"type": "FeatureCollection", "features": [alpha_polygon()]});
        collection["crs"] = json!({"type": "link", "properties": {"href": url, "type": "proj4"}});
        collection
    };
    let bind = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("non-blocking");
        l
    };
    // GDAL alone follows the link.
    let gdal = bind();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("linked.geojson");
    std::fs::write(&file, linked(&gdal).to_string()).expect("write");
    let mut ogrinfo = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ogrinfo");
    let connected = (0..200).any(|_| {
        let accepted = gdal.accept().is_ok();
        if !accepted {
            std::thread::sleep(Duration::from_millis(50));
        }
        accepted
    });
    ogrinfo.wait().expect("ogrinfo");
    assert!(connected, "ogrinfo did not fetch the linked CRS");
    // The server does not.
    let app = app();
    let server = bind();
    for text in [
        linked(&server).to_string(),
        linked(&server)
            .to_string()
            .replace("\"crs\"", "\"CRS\"")
            .replace("\"link\"", "\"LINK\""),
    ] {
        refused(&app, GEOJSON, text.into_bytes(), 400, "CRS as a link").await;
    }
    assert!(
        server.accept().is_err(),
        "the server connected to the linked CRS"
    );
}

/// The peak resident memory of this process, in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

/// A zip of one deflated entry, its sizes and CRC as given (APPNOTE.TXT).
fn one_entry_zip(name: &str, deflated: &[u8], crc: u32, size: u32) -> Vec<u8> {
    let header = |central: bool| {
        let mut h = Vec::new();
        h.extend(if central { 0x0201_4b50u32 } else { 0x0403_4b50 }.to_le_bytes());
        if central {
            h.extend(20u16.to_le_bytes());
        }
        h.extend(20u16.to_le_bytes()); // version needed
        h.extend(0u16.to_le_bytes()); // flags
        h.extend(8u16.to_le_bytes()); // deflate
        h.extend([0; 4]); // time, date
        h.extend(crc.to_le_bytes());
        h.extend((deflated.len() as u32).to_le_bytes());
        h.extend(size.to_le_bytes());
        h.extend((name.len() as u16).to_le_bytes());
        h.extend(0u16.to_le_bytes()); // extra
        if central {
            h.extend([0; 10]); // comment, disk, attributes
            h.extend(0u32.to_le_bytes()); // local header at 0
        }
        h.extend(name.as_bytes());
        h
    };
    let mut zip = header(false);
    zip.extend(deflated);
    let offset = zip.len() as u32;
    let central = header(true);
    zip.extend(&central);
    zip.extend(0x0605_4b50u32.to_le_bytes());
    zip.extend([0; 4]);
    zip.extend(1u16.to_le_bytes());
    zip.extend(1u16.to_le_bytes());
    zip.extend((central.len() as u32).to_le_bytes());
    zip.extend(offset.to_le_bytes());
    zip.extend(0u16.to_le_bytes());
    zip
}

/// Raw deflate for `mib` MiB of zeros and its CRC-32: one MiB deflated and closed by a full
/// flush (no later block refers back past it), repeated, then an empty final block.
fn deflated_zeros(mib: u32) -> (Vec<u8>, u32) {
    let zeros = vec![0u8; 1 << 20];
    let mut deflate = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(64 << 10);
    deflate
        .compress_vec(&zeros, &mut block, flate2::FlushCompress::Full)
        .expect("deflate");
    assert_eq!(deflate.total_in(), 1 << 20);
    let mut end = Vec::with_capacity(64);
    deflate
        .compress_vec(&[], &mut end, flate2::FlushCompress::Finish)
        .expect("deflate");
    let (mut crc, mut one) = (flate2::Crc::new(), flate2::Crc::new());
    one.update(&zeros);
    let mut out = Vec::with_capacity(block.len() * mib as usize + end.len());
    for _ in 0..mib {
        out.extend(&block);
        crc.combine(&one);
    }
    out.extend(&end);
    (out, crc.sum())
}

/// A zip whose one `.shp` inflates to 1 GiB of zeros (1 MiB of deflate) is refused from its
/// central directory: quickly and without the memory inflating it would take. A directory that
/// claims 4 GiB over data that is not even deflate is refused the same way, which shows the
/// sizes are checked before any data is read.
#[tokio::test]
async fn a_zip_bomb_is_refused_from_its_directory() {
    // The construction, checked on 4 MiB.
    let (small, crc) = deflated_zeros(4);
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::DeflateDecoder::new(&small[..]),
        &mut inflated,
    )
    .expect("inflate");
    let mut check = flate2::Crc::new();
    check.update(&inflated);
    assert_eq!((inflated.len(), check.sum()), (4 << 20, crc));
    assert!(inflated.iter().all(|&b| b == 0));
    let size: u32 = 1 << 30;
    let (deflated, crc) = deflated_zeros(size >> 20);
    assert!(deflated.len() < 2 << 20, "{} bytes", deflated.len());
    let app = app();
    let before = peak_memory();
    let d = refused(
        &app,
        ZIP,
        one_entry_zip("bomb.shp", &deflated, crc, size),
        413,
        "limit max_uncompressed_bytes = 104857600",
    )
    .await;
    assert!(d.contains("1024 MiB uncompressed"), "{d}");
    let grown = peak_memory().saturating_sub(before);
    assert!(grown < 512 << 20, "peak memory grew by {grown} bytes");
    let claimed = one_entry_zip("bomb.shp", b"not deflate at all", 0, u32::MAX - 1);
    refused(&app, ZIP, claimed, 413, "max_uncompressed_bytes").await;
}

/// A body generated as it is sent, in chunks, counting what was taken.
struct Generated {
    chunks: Box<dyn Iterator<Item = Bytes> + Send>,
    sent: Arc<AtomicUsize>,
}

impl axum::body::HttpBody for Generated {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        Poll::Ready(this.chunks.next().map(|chunk| {
            this.sent.fetch_add(chunk.len(), Ordering::Relaxed);
            Ok(http_body::Frame::data(chunk))
        }))
    }
}

/// A 10 million vertex polygon (about 230 MB of GeoJSON), streamed without a length, is refused
/// by the body cap once 20 MiB have arrived: the rest is never generated.
#[tokio::test]
async fn ten_million_vertices_stop_at_the_body_cap() {
    let vertex = "[2.0512345,50.0512345],";
    let per_chunk = 10_000;
    let chunk = Bytes::from(vertex.repeat(per_chunk));
    let chunks = 10_000_000 / per_chunk;
    let parts = std::iter::once(Bytes::from_static(
        br#"{"type": "Polygon", "coordinates": [["#,
    ))
    .chain(std::iter::repeat_n(chunk.clone(), chunks))
    .chain(std::iter::once(Bytes::from_static(
        b"[2.0512345,50.0512345]]]}",
    )));
    let sent = Arc::new(AtomicUsize::new(0));
    let body = Body::new(Generated {
        chunks: Box::new(parts),
        sent: sent.clone(),
    });
    let request = Request::post(STATS)
        .header("content-type", GEOJSON)
        .body(body)
        .expect("request");
    let started = Instant::now();
    let (status, _, bytes) = send(&app(), request).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&bytes));
    let body: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert!(
        error_description(&body).contains("larger than 20 MiB (limit max_bytes = 20971520)"),
        "{body}"
    );
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        sent < (20 << 20) + 2 * chunk.len(),
        "{sent} bytes generated"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A closed ring of `n` vertices inside Alpha, as a GeoJSON feature.
fn ring(n: usize) -> Value {
    let mut coordinates: Vec<[f64; 2]> = (0..n - 1)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / (n - 1) as f64;
            [2.05 + 0.04 * a.cos(), 50.05 + 0.04 * a.sin()]
        })
        .collect();
    coordinates.push(coordinates[0]);
    json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [coordinates]}})
}

fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// With the caps lowered in the settings, a perimeter just over `max_vertices` or
/// `max_features` is refused with a 413 naming the cap, in every format (GeoJSON counted as
/// text, Shapefile and GeoPackage from the OGR geometries), and one at the cap is read.
#[tokio::test]
async fn vertex_and_feature_caps_hold_under_the_body_cap() {
    let mut s = settings();
    s.uploads.max_vertices = 1000;
    s.uploads.max_features = 10;
    let app = app_with(catalog(), s);
    let vertices = "the perimeter has more than 1000 vertices (limit max_vertices = 1000)";
    let features = "the file has more than 10 features (limit max_features = 10)";
    let at_cap = collection(vec![ring(1000)]);
    let over = collection(vec![ring(1001)]);
    let (status, body) = post(&app, STATS, GEOJSON, at_cap.to_string().into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    refused(&app, GEOJSON, over.to_string().into_bytes(), 413, vertices).await;
    // Shapefile and GeoPackage: counted from OGR; two features of 600 vertices, the second
    // one over.
    let split = collection(vec![ring(600), ring(600)]);
    for (content_type, format, ext) in [(ZIP, "ESRI Shapefile", "shp.zip"), (GPKG, "GPKG", "gpkg")]
    {
        let (status, body) = post(&app, STATS, content_type, convert(&at_cap, format, ext)).await;
        assert_eq!(status, 200, "{content_type}: {body}");
        refused(
            &app,
            content_type,
            convert(&over, format, ext),
            413,
            vertices,
        )
        .await;
        refused(
            &app,
            content_type,
            convert(&split, format, ext),
            413,
            vertices,
        )
        .await;
    }
    let small = |n: usize| collection((0..n).map(|_| ring(5)).collect());
    let (status, body) = post(&app, STATS, GPKG, convert(&small(10), "GPKG", "gpkg")).await;
    assert_eq!(status, 200, "{body}");
    refused(
        &app,
        GPKG,
        convert(&small(11), "GPKG", "gpkg"),
        413,
        features,
    )
    .await;
    refused(
        &app,
        GEOJSON,
        small(11).to_string().into_bytes(),
        413,
        features,
    )
    .await;
}

/// Files that are not what they claim get a plain message per format; GDAL's own (which names
/// `/vsimem/` files) stays in the log.
#[tokio::test]
async fn unreadable_files_get_plain_messages() {
    let app = app();
    let parts = shapefile(&alpha_polygon());
    let mut broken: Vec<(String, Vec<u8>)> = parts
        .iter()
        .map(|(ext, data)| (format!("alpha.{ext}"), data.clone()))
        .collect();
    broken[0].1.truncate(50);
    let broken: Vec<(&str, &[u8])> = broken
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    for (content_type, body, words) in [
        (GEOJSON, b"{\"type\": [".to_vec(), "not valid GeoJSON"),
        (GEOJSON, b"[1, 2]".to_vec(), "not valid GeoJSON"),
        (ZIP, b"PK\x03\x04 truncated".to_vec(), "not a valid zip"),
        (
            ZIP,
            python_zip(&[("alpha.dbf", b"x")]),
            "the zip holds no .shp",
        ),
        (
            ZIP,
            python_zip(&broken),
            "the Shapefile in the zip is not valid",
        ),
        (
            GPKG,
            b"SQLite format 3\0 and nothing".to_vec(),
            "not a valid GeoPackage",
        ),
        (
            GPKG,
            alpha_polygon().to_string().into_bytes(),
            "not a valid GeoPackage",
        ),
    ] {
        refused(&app, content_type, body, 400, words).await;
    }
    // The same parts without the .prj are read once the crs is given.
    let no_prj: Vec<(String, &[u8])> = parts
        .iter()
        .filter(|(ext, _)| *ext != "prj")
        .map(|(ext, data)| (format!("a.{ext}"), data.as_slice()))
        .collect();
    let no_prj: Vec<(&str, &[u8])> = no_prj.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    refused(&app, ZIP, python_zip(&no_prj), 400, "needs its .prj").await;
    let uri = format!("{STATS}?crs=EPSG:2154");
    let (status, body) = post(&app, &uri, ZIP, python_zip(&no_prj)).await;
    assert_eq!(status, 200, "{body}");
}
