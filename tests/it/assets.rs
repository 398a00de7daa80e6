//! The web UI compiled into the binary: what it serves (the page, its scripts, MapLibre's
//! vendored build under a fingerprint), with which headers (media types, ETag and 304,
//! immutable caching, brotli and gzip), the web folder's protections, `--web DIR` overriding it,
//! and the vendored MapLibre being the version `web/package-lock.json` pins.

use std::io::Read;
use std::path::Path;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use bourg::Settings;

use crate::support::{fixture, send, LayerDir};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A small catalogue and the UI from `web` (`None`: embedded).
fn app(web: Option<std::path::PathBuf>) -> Router {
    let dir = LayerDir::new();
    std::fs::copy(fixture("wgs84.geojson"), dir.path().join("a.geojson")).expect("copy");
    dir.layer("a", "path = \"a.geojson\"", "name = \"string\"");
    crate::support::app_with(dir.load().expect("loads"), Settings::new(web))
}

async fn get(
    app: &Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

/// The fingerprinted folder the page links to, read from the served page.
async fn fingerprinted(app: &Router) -> String {
    let (_, _, page) = get(app, "/", &[]).await;
    let page = String::from_utf8(page).expect("utf-8");
    let at = page
        .find("vendor/maplibre-gl/")
        .expect("the page links MapLibre");
    let rest = &page[at + "vendor/maplibre-gl/".len()..];
    let fp = &rest[..rest.find('/').expect("a folder")];
    assert!(
        fp.len() == 16 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
        "{fp}"
    );
    format!("/vendor/maplibre-gl/{fp}/")
}

#[tokio::test]
async fn the_embedded_ui_serves_the_page_and_maplibre_from_any_directory() {
    let app = app(None);
    let vendor = fingerprinted(&app).await;
    for (uri, disk, media) in [
        ("/", None, "text/html; charset=utf-8"),
        ("/app.css", Some("web/app.css"), "text/css; charset=utf-8"),
        ("/favicon.svg", Some("web/favicon.svg"), "image/svg+xml"),
        (
            "/js/hash.js",
            Some("web/js/hash.js"),
            "text/javascript; charset=utf-8",
        ),
        (
            &format!("{vendor}maplibre-gl.mjs"),
            Some("web/vendor/maplibre-gl/maplibre-gl.mjs"),
            "text/javascript; charset=utf-8",
        ),
        (
            &format!("{vendor}maplibre-gl-worker.mjs"),
            Some("web/vendor/maplibre-gl/maplibre-gl-worker.mjs"),
            "text/javascript; charset=utf-8",
        ),
        (
            &format!("{vendor}maplibre-gl.css"),
            Some("web/vendor/maplibre-gl/maplibre-gl.css"),
            "text/css; charset=utf-8",
        ),
    ] {
        let (status, headers, body) = get(&app, uri, &[]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], media, "{uri}");
        if let Some(disk) = disk {
            // Byte for byte the repository's file (read here from disk, not through the server).
            assert!(
                body == std::fs::read(root().join(disk)).expect("read"),
                "{uri}"
            );
        }
        let immutable = uri.starts_with(&vendor);
        assert_eq!(
            headers[header::CACHE_CONTROL],
            if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            },
            "{uri}"
        );
    }
    // The page and app.js name the fingerprinted files, and those exist.
    let (_, _, script) = get(&app, "/js/app.js", &[]).await;
    let script = String::from_utf8(script).expect("utf-8");
    assert!(
        script.contains(&format!("'..{vendor}maplibre-gl.mjs'")),
        "{}",
        &script[..300]
    );
    // Another fingerprint (an older MapLibre) is not found.
    let (status, _, _) = get(
        &app,
        "/vendor/maplibre-gl/0000000000000000/maplibre-gl.mjs",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn etags_revalidate_and_text_is_compressed_with_brotli_or_gzip() {
    let app = app(None);
    let vendor = fingerprinted(&app).await;
    for uri in [
        "/index.html".to_owned(),
        "/js/app.js".to_owned(),
        format!("{vendor}maplibre-gl.mjs"),
    ] {
        let (_, headers, plain) = get(&app, &uri, &[]).await;
        let etag = headers[header::ETAG].to_str().expect("text").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let (status, headers, body) = get(&app, &uri, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(body.is_empty());
        assert_eq!(headers[header::ETAG], etag.as_str());
        let (status, _, _) = get(&app, &uri, &[("if-none-match", "\"0000000000000000\"")]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");

        let (_, headers, br) = get(&app, &uri, &[("accept-encoding", "gzip, deflate, br")]).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "br", "{uri}");
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).expect("brotli");
        assert!(out == plain, "{uri}");
        let (_, headers, gz) = get(&app, &uri, &[("accept-encoding", "gzip, br;q=0")]).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip", "{uri}");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .expect("gzip");
        assert!(out == plain, "{uri}");
        assert!(br.len() * 2 < plain.len() && br.len() <= gz.len(), "{uri}");
        // A compressed form revalidates too.
        let etag = headers[header::ETAG].to_str().expect("text").to_owned();
        let (status, _, _) = get(
            &app,
            &uri,
            &[("if-none-match", &etag), ("accept-encoding", "gzip")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{uri}");
    }
}

#[tokio::test]
async fn the_embedded_ui_keeps_the_web_folder_protections() {
    let app = app(None);
    for uri in [
        "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
        "/node_modules/playwright-core/package.json",
        "/package.json",
        "/package-lock.json",
        "/js/../../Cargo.toml",
        "/js/%2e%2e/%2e%2e/Cargo.toml",
        "/..%2f..%2fetc/passwd",
        "/.gitignore",
        "/vendor/maplibre-gl/maplibre-gl.mjs.map",
        "/nothing.js",
    ] {
        let (status, headers, body) = get(&app, uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
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
    let request = Request::put("/index.html")
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET,HEAD");
    let (status, headers, _) = get(&app, "/index.html", &[("range", "bytes=99999999-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert!(headers[header::CONTENT_RANGE]
        .to_str()
        .expect("text")
        .starts_with("bytes */"));
    let (status, headers, part) = get(&app, "/index.html", &[("range", "bytes=0-14")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, b"<!doctype html>");
    assert!(headers[header::CONTENT_RANGE]
        .to_str()
        .expect("text")
        .starts_with("bytes 0-14/"));
    let (status, _, _) = get(
        &app,
        "/index.html",
        &[("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT")],
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let request = Request::head("/js/app.js")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty() && headers[header::CONTENT_LENGTH] != "0");
}

/// `--web DIR` serves that folder, and a changed file at once (with a new ETag).
#[tokio::test]
async fn a_web_folder_overrides_the_embedded_ui_and_is_read_again_when_changed() {
    let web = tempfile::tempdir().expect("temp dir");
    let vendor = web.path().join("vendor/maplibre-gl");
    std::fs::create_dir_all(&vendor).expect("mkdir");
    for f in [
        "maplibre-gl.mjs",
        "maplibre-gl-worker.mjs",
        "maplibre-gl.css",
    ] {
        std::fs::write(vendor.join(f), format!("/* {f} */")).expect("write");
    }
    std::fs::write(
        web.path().join("index.html"),
        "<link href=\"vendor/maplibre-gl/maplibre-gl.css\">one",
    )
    .expect("write");
    let app = app(Some(web.path().to_owned()));
    let (status, headers, body) = get(&app, "/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let first = String::from_utf8(body).expect("utf-8");
    assert!(
        first.ends_with("one") && !first.contains("\"vendor/maplibre-gl/maplibre-gl.css\""),
        "{first}"
    );
    let etag = headers[header::ETAG].clone();
    std::fs::write(
        web.path().join("index.html"),
        "<link href=\"vendor/maplibre-gl/maplibre-gl.css\">two!",
    )
    .expect("write");
    let (_, headers, body) = get(&app, "/", &[]).await;
    assert!(String::from_utf8(body).expect("utf-8").ends_with("two!"));
    assert_ne!(headers[header::ETAG], etag);
    // A new MapLibre is a new fingerprint in the page.
    std::fs::write(vendor.join("maplibre-gl.css"), "/* newer, longer */").expect("write");
    let (_, _, body) = get(&app, "/", &[]).await;
    let second = String::from_utf8(body).expect("utf-8");
    assert_ne!(
        first.split("two").next(),
        second.split("two").next(),
        "{second}"
    );
    // The embedded app.js is not in this folder.
    let (status, _, _) = get(&app, "/js/app.js", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `web/vendor/maplibre-gl` is the MapLibre `web/package-lock.json` pins: its VERSION, and its
/// files byte for byte those of `web/node_modules` (`make vendor-maplibre` refreshes them).
#[test]
fn vendored_maplibre_is_the_locked_version() {
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("web/package-lock.json")).expect("lock"))
            .expect("json");
    let locked = lock["packages"]["node_modules/maplibre-gl"]["version"]
        .as_str()
        .expect("locked version");
    let vendored =
        std::fs::read_to_string(root().join("web/vendor/maplibre-gl/VERSION")).expect("VERSION");
    assert_eq!(vendored.trim(), locked);
    let installed = root().join("web/node_modules/maplibre-gl");
    assert!(
        installed.exists(),
        "run `make test` (it installs web/node_modules)"
    );
    let package: serde_json::Value =
        serde_json::from_slice(&std::fs::read(installed.join("package.json")).expect("package"))
            .expect("json");
    assert_eq!(
        package["version"], locked,
        "web/node_modules is not the locked MapLibre: npm ci"
    );
    for f in [
        "dist/maplibre-gl.mjs",
        "dist/maplibre-gl-worker.mjs",
        "dist/maplibre-gl.css",
        "LICENSE.txt",
    ] {
        let name = f.trim_start_matches("dist/");
        assert!(
            std::fs::read(installed.join(f)).expect("installed")
                == std::fs::read(root().join("web/vendor/maplibre-gl").join(name))
                    .expect("vendored"),
            "{name} differs from MapLibre {locked}: run `make vendor-maplibre`"
        );
    }
}
