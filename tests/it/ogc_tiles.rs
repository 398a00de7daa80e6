//! OGC API – Tiles: the documents and their links through the router, tiles byte for byte those of
//! `/tiles/…`, every refused address a JSON 404/400 that says why, and GDAL's OGCAPI driver
//! reading a collection's tiles on a real socket, its features compared with the tiles decoded by
//! mvt-reader.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use bourg::tile::TileCoord;
use geo::BoundingRect;

use crate::support::{error_description, get_json, run, send, serve, state, tiles_over};
use crate::tiles::{decode, demo};

/// The demo catalogue's state, loaded once for the router tests of this file.
fn shared() -> &'static bourg::AppState {
    static STATE: std::sync::OnceLock<bourg::AppState> = std::sync::OnceLock::new();
    STATE.get_or_init(|| state(demo()))
}

/// A router over [`shared`].
fn router() -> Router {
    bourg::router(shared().clone())
}

const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
const MVT: &str = "application/vnd.mapbox-vector-tile";

/// The classes of OGC API – Tiles Part 1 and TMS 2.0 the server declares.
const TILES_CLASSES: [&str; 13] = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixsetlimits",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixsetlimits",
];

async fn get(
    app: &Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

/// The one link of a document with this relation (and media type, when given).
fn link<'a>(
    doc: &'a serde_json::Value,
    rel: &str,
    media_type: Option<&str>,
) -> &'a serde_json::Value {
    let found: Vec<&serde_json::Value> = doc["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter(|l| l["rel"] == rel && media_type.is_none_or(|t| l["type"] == t))
        .collect();
    assert_eq!(found.len(), 1, "one {rel} link in {doc}");
    found[0]
}

fn href(link: &serde_json::Value) -> &str {
    link["href"].as_str().expect("href")
}

/// The path of a link (the router's base is `http://localhost`).
fn path(link: &serde_json::Value) -> &str {
    href(link)
        .strip_prefix("http://localhost")
        .expect("a link of this server")
}

#[tokio::test]
async fn landing_page_conformance_and_collections_link_to_the_tilesets() {
    let ids: Vec<String> = shared()
        .catalog()
        .layers()
        .map(|l| l.id().to_owned())
        .collect();
    let app = router();
    let (status, landing) = get_json(&app, "/ogc").await;
    assert_eq!(status, 200);
    assert_eq!(
        path(link(
            &landing,
            REL_TILESETS_VECTOR,
            Some("application/json")
        )),
        "/ogc/tiles"
    );
    assert_eq!(
        path(link(
            &landing,
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
            Some("application/json")
        )),
        "/ogc/tileMatrixSets"
    );
    let (_, conformance) = get_json(&app, "/ogc/conformance").await;
    let classes: BTreeSet<&str> = conformance["conformsTo"]
        .as_array()
        .expect("conformsTo")
        .iter()
        .map(|c| c.as_str().expect("uri"))
        .collect();
    for class in TILES_CLASSES {
        assert!(classes.contains(class), "{class}");
    }
    // Only what is served: no raster tiles, no other tile encodings, no collection selection.
    for absent in [
        "png",
        "jpeg",
        "tiff",
        "geojson",
        "netcdf",
        "collections-selection",
        "datetime",
    ] {
        assert!(
            !classes.contains(
                format!("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{absent}").as_str()
            ),
            "{absent}"
        );
    }
    let (_, collections) = get_json(&app, "/ogc/collections").await;
    for (c, id) in collections["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .zip(&ids)
    {
        assert_eq!(c["id"], id.as_str());
        assert_eq!(
            path(link(c, REL_TILESETS_VECTOR, Some("application/json"))),
            format!("/ogc/collections/{id}/tiles")
        );
    }
}

#[tokio::test]
async fn the_tile_matrix_set_is_web_mercator_quad() {
    let app = router();
    let (status, list) = get_json(&app, "/ogc/tileMatrixSets").await;
    assert_eq!(status, 200);
    let sets = list["tileMatrixSets"].as_array().expect("tileMatrixSets");
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["id"], "WebMercatorQuad");
    assert_eq!(
        sets[0]["uri"],
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    );
    let (status, tms) = get_json(&app, path(link(&sets[0], "self", None))).await;
    assert_eq!(status, 200);
    assert_eq!(tms["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    let matrices = tms["tileMatrices"].as_array().expect("tileMatrices");
    assert_eq!(matrices.len(), 25, "tile matrices 0 to 24");
    // The OGC register's WebMercatorQuad.json, at its 15 significant digits.
    let register = [
        (0, 559_082_264.028_717, 156_543.033_928_041),
        (12, 136_494.693_366_386, 38.218_514_142_588_1),
        (24, 33.323_899_747_652_8, 0.009_330_691_929_342_8),
    ];
    for (z, scale, cell) in register {
        let m = &matrices[z];
        assert_eq!(m["id"], z.to_string());
        let close = |key: &str, expected: f64| {
            let v = m[key].as_f64().expect("number");
            assert!(
                ((v - expected) / expected).abs() < 1e-12,
                "{key} at {z}: {v}"
            );
        };
        close("scaleDenominator", scale);
        close("cellSize", cell);
        assert_eq!(m["matrixWidth"], 1u64 << z);
        assert_eq!(m["matrixHeight"], 1u64 << z);
        assert_eq!(m["tileWidth"], 256);
        assert_eq!(m["tileHeight"], 256);
        let origin = m["pointOfOrigin"].as_array().expect("pointOfOrigin");
        assert!((origin[0].as_f64().expect("x") + 20_037_508.342_789_2).abs() < 1e-6);
        assert!((origin[1].as_f64().expect("y") - 20_037_508.342_789_2).abs() < 1e-6);
    }
    let (status, body) = get_json(&app, "/ogc/tileMatrixSets/WorldCRS84Quad").await;
    assert_eq!(status, 404);
    assert!(
        error_description(&body).contains("WebMercatorQuad"),
        "{body}"
    );
}

/// A collection's tilesets list and tileset metadata; its limits hold every feature, each checked
/// on its own envelope.
#[tokio::test]
async fn a_collection_tileset_describes_its_layer_and_its_limits() {
    let catalog = shared().catalog();
    let layer = catalog.get("communes").expect("communes");
    let app = router();
    let (status, list) = get_json(&app, "/ogc/collections/communes/tiles").await;
    assert_eq!(status, 200);
    let tilesets = list["tilesets"].as_array().expect("tilesets");
    assert_eq!(tilesets.len(), 1);
    let summary = &tilesets[0];
    assert_eq!(summary["dataType"], "vector");
    assert_eq!(summary["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    assert_eq!(
        summary["tileMatrixSetURI"],
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    );
    assert_eq!(
        path(link(summary, REL_TILING_SCHEME, Some("application/json"))),
        "/ogc/tileMatrixSets/WebMercatorQuad"
    );
    let at = path(link(summary, "self", Some("application/json"))).to_owned();
    assert_eq!(at, "/ogc/collections/communes/tiles/WebMercatorQuad");

    let (status, tileset) = get_json(&app, &at).await;
    assert_eq!(status, 200);
    assert_eq!(tileset["dataType"], "vector");
    assert_eq!(tileset["title"], "Communes");
    assert_eq!(
        path(link(&tileset, REL_TILING_SCHEME, Some("application/json"))),
        "/ogc/tileMatrixSets/WebMercatorQuad"
    );
    let item = link(&tileset, "item", Some(MVT));
    assert_eq!(item["templated"], true);
    assert_eq!(
        path(item),
        "/ogc/collections/communes/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}?f=mvt"
    );
    assert_eq!(
        path(link(
            &tileset,
            "http://www.opengis.net/def/rel/ogc/1.0/geodata",
            None
        )),
        "/ogc/collections/communes"
    );
    assert_eq!(
        path(link(&tileset, "describedby", None)),
        "/tiles/communes.json"
    );
    // Its MVT layers: the communes (polygons, their properties) and their label points.
    let layers = tileset["layers"].as_array().expect("layers");
    let names: Vec<&str> = layers
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    assert_eq!(names, ["communes", "communes_label"]);
    assert_eq!(layers[0]["geometryDimension"], 2);
    assert_eq!(layers[0]["minTileMatrix"], "5");
    assert_eq!(layers[0]["maxTileMatrix"], "14");
    assert_eq!(
        layers[0]["propertiesSchema"]["properties"]["pmun22"]["type"],
        "integer"
    );
    assert_eq!(
        layers[1]["minTileMatrix"], "10",
        "labels from label_min_zoom"
    );
    assert_eq!(layers[1]["geometryDimension"], 0);

    // Limits: tile matrices 5 to 14, and at each every feature's envelope within them.
    let limits = tileset["tileMatrixSetLimits"].as_array().expect("limits");
    let matrices: Vec<&str> = limits
        .iter()
        .map(|l| l["tileMatrix"].as_str().expect("m"))
        .collect();
    assert_eq!(
        matrices,
        (5..=14).map(|z| z.to_string()).collect::<Vec<_>>()
    );
    for limit in limits {
        let z: u8 = limit["tileMatrix"]
            .as_str()
            .expect("m")
            .parse()
            .expect("zoom");
        let range = |k: &str| limit[k].as_u64().expect("integer") as u32;
        let (rows, cols) = (
            range("minTileRow")..=range("maxTileRow"),
            range("minTileCol")..=range("maxTileCol"),
        );
        for f in layer.features() {
            let r = f.wgs84.bounding_rect().expect("envelope");
            let b = bourg::bbox::BboxWgs84::from_rect(r);
            for t in tiles_over(&b, z) {
                assert!(
                    rows.contains(&t.y()) && cols.contains(&t.x()),
                    "feature {} at {t}",
                    f.id
                );
            }
        }
    }
}

/// The dataset's tileset: the layers the map draws by default, in id order.
#[tokio::test]
async fn the_dataset_tileset_holds_the_layers_drawn_by_default() {
    let catalog = shared().catalog();
    let drawn: Vec<String> = catalog
        .layers()
        .filter(|l| l.config.style.visible)
        .map(|l| l.id().to_owned())
        .collect();
    assert!(drawn.len() > 1 && drawn.len() < catalog.len(), "{drawn:?}");
    let app = router();
    let (status, list) = get_json(&app, "/ogc/tiles").await;
    assert_eq!(status, 200);
    let at = path(link(&list["tilesets"][0], "self", Some("application/json"))).to_owned();
    assert_eq!(at, "/ogc/tiles/WebMercatorQuad");
    let (status, tileset) = get_json(&app, &at).await;
    assert_eq!(status, 200);
    assert_eq!(
        path(link(
            &tileset,
            "http://www.opengis.net/def/rel/ogc/1.0/dataset",
            None
        )),
        "/ogc"
    );
    assert_eq!(
        path(link(&tileset, "describedby", None)),
        format!("/tiles/{}.json", drawn.join(","))
    );
    let layers: Vec<&str> = tileset["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .filter(|id| !id.ends_with("_label"))
        .collect();
    assert_eq!(layers, drawn);
    // Tile matrices from the lowest min_zoom (départements, 0) to the highest max_zoom (16).
    let limits = tileset["tileMatrixSetLimits"].as_array().expect("limits");
    assert_eq!(limits.first().expect("first")["tileMatrix"], "0");
    assert_eq!(limits.last().expect("last")["tileMatrix"], "16");
    // Its tiles are the composite tiles of those layers.
    for (lon, lat, z) in [
        (2.8319, 50.4322, 9),
        (6.0241, 47.2378, 12),
        (2.8319, 50.4322, 3),
    ] {
        let t = TileCoord::containing(lon, lat, z);
        let ogc = get(
            &app,
            &format!("/ogc/tiles/WebMercatorQuad/{}/{}/{}", t.z(), t.y(), t.x()),
            &[],
        )
        .await;
        let xyz = get(&app, &format!("/tiles/{}/{t}.mvt", drawn.join(",")), &[]).await;
        assert_eq!(ogc.0, 200, "{t}");
        assert_eq!(
            (ogc.0, &ogc.2, ogc.1.get("etag")),
            (xyz.0, &xyz.2, xyz.1.get("etag")),
            "{t}"
        );
        let names: BTreeSet<String> = decode(&ogc.2).into_iter().map(|l| l.name).collect();
        assert!(
            names
                .iter()
                .all(|n| drawn.iter().any(|d| n.starts_with(d.as_str()))),
            "{names:?}"
        );
    }
}

/// A collection's tiles are `/tiles/{id}/{z}/{x}/{y}.mvt` with row = y and column = x: same
/// status, bytes, ETag, gzip, 304 and 204.
#[tokio::test]
async fn collection_tiles_are_the_xyz_tiles() {
    let app = router();
    for (lon, lat, z) in [
        (2.8319, 50.4322, 8),
        (2.8319, 50.4322, 12),
        (6.0241, 47.2378, 14),
    ] {
        let t = TileCoord::containing(lon, lat, z);
        let ogc_uri = format!(
            "/ogc/collections/communes/tiles/WebMercatorQuad/{}/{}/{}",
            t.z(),
            t.y(),
            t.x()
        );
        let xyz_uri = format!("/tiles/communes/{t}.mvt");
        for headers in [
            &[][..],
            &[("accept-encoding", "gzip")][..],
            &[("accept", MVT)][..],
        ] {
            let ogc = get(&app, &ogc_uri, headers).await;
            let with_f = get(&app, &format!("{ogc_uri}?f=mvt"), headers).await;
            let xyz = get(&app, &xyz_uri, headers).await;
            assert_eq!(ogc.0, 200, "{ogc_uri}");
            for h in ["content-type", "content-encoding", "etag", "cache-control"] {
                assert_eq!(ogc.1.get(h), xyz.1.get(h), "{h} of {ogc_uri} {headers:?}");
            }
            assert_eq!(ogc.2, xyz.2, "{ogc_uri} {headers:?}");
            assert_eq!(with_f.2, xyz.2);
        }
        let etag = get(&app, &ogc_uri, &[]).await.1["etag"]
            .to_str()
            .expect("etag")
            .to_owned();
        let (status, _, body) = get(&app, &ogc_uri, &[("if-none-match", &etag)]).await;
        assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
    }
    // Inside the communes' limits (their box spans the Pas-de-Calais and the Doubs) but over the
    // Champagne, where the demo has no commune: empty, as /tiles says.
    let t = TileCoord::containing(4.5, 49.0, 10);
    let (status, _, body) = get(
        &app,
        &format!(
            "/ogc/collections/communes/tiles/WebMercatorQuad/10/{}/{}",
            t.y(),
            t.x()
        ),
        &[],
    )
    .await;
    assert_eq!((status, body.len()), (StatusCode::NO_CONTENT, 0));
    assert_eq!(
        get(&app, &format!("/tiles/communes/{t}.mvt"), &[]).await.0,
        StatusCode::NO_CONTENT
    );
}

/// Every address that names no tile of the tileset is a JSON 404, a malformed one a 400, each
/// saying what is wrong.
#[tokio::test]
async fn refused_tiles_say_why() {
    let app = router();
    let lens8 = TileCoord::containing(2.8319, 50.4322, 8);
    let brest8 = TileCoord::containing(-4.49, 48.39, 8);
    let c = "/ogc/collections/communes/tiles/WebMercatorQuad";
    let cases: Vec<(String, u16, &str)> = vec![
        (
            format!("{c}/25/0/0"),
            404,
            "tile matrix \"25\" is not in WebMercatorQuad (tile matrices 0 to 24)",
        ),
        (
            format!("{c}/x/0/0"),
            404,
            "tile matrix \"x\" is not in WebMercatorQuad",
        ),
        (
            format!("{c}/2/4/0"),
            404,
            "tileRow 4 / tileCol 0 is outside tile matrix 2 (rows and columns 0 to 3)",
        ),
        (
            format!("{c}/2/0/99999999999999999999999"),
            404,
            "outside tile matrix 2",
        ),
        (
            format!("{c}/8/-1/0"),
            400,
            "tileRow \"-1\" is not a non-negative integer",
        ),
        (
            format!("{c}/8/0/1.5"),
            400,
            "tileCol \"1.5\" is not a non-negative integer",
        ),
        (
            format!("{c}/3/2/4"),
            404,
            "tile matrix 3 is not in this tileset (tile matrices 5 to 14)",
        ),
        (
            format!("{c}/15/0/0"),
            404,
            "tile matrix 15 is not in this tileset",
        ),
        (
            format!("{c}/8/{}/{}", brest8.y(), brest8.x()),
            404,
            "is outside this tileset's limits: at tile matrix 8, rows",
        ),
        (
            format!("{c}/8/{}/{}?f=json", lens8.y(), lens8.x()),
            400,
            "f=\"json\" is not a tile format (use mvt)",
        ),
        (
            format!("{c}/8/{}/{}?z=1", lens8.y(), lens8.x()),
            400,
            "unknown query parameter \"z\"",
        ),
        (
            "/ogc/collections/communes/tiles/WorldCRS84Quad/8/0/0".into(),
            404,
            "no tile matrix set \"WorldCRS84Quad\"",
        ),
        (
            "/ogc/collections/communes/tiles/WorldCRS84Quad".into(),
            404,
            "no tile matrix set",
        ),
        (
            "/ogc/collections/nowhere/tiles".into(),
            404,
            "no layer \"nowhere\"",
        ),
        (
            "/ogc/collections/nowhere/tiles/WebMercatorQuad/8/0/0".into(),
            404,
            "no layer \"nowhere\"",
        ),
        (
            "/ogc/tiles/WebMercatorQuad/17/0/0".into(),
            404,
            "tile matrix 17 is not in this tileset (tile matrices 0 to 16)",
        ),
        (
            "/ogc/tiles?f=xml".into(),
            400,
            "f=\"xml\" is not a supported format",
        ),
    ];
    for (uri, status, message) in cases {
        let (got, body) = get_json(&app, &uri).await;
        assert_eq!(got.as_u16(), status, "{uri}: {body}");
        let description = error_description(&body);
        assert!(description.contains(message), "{uri}: {description}");
    }
}

#[tokio::test]
async fn tile_documents_have_html_pages() {
    let app = router();
    for uri in [
        "/ogc/tiles?f=html",
        "/ogc/tiles/WebMercatorQuad?f=html",
        "/ogc/collections/communes/tiles?f=html",
        "/ogc/collections/communes/tiles/WebMercatorQuad?f=html",
        "/ogc/tileMatrixSets?f=html",
        "/ogc/tileMatrixSets/WebMercatorQuad?f=html",
    ] {
        let (status, headers, body) = get(&app, uri, &[]).await;
        assert_eq!(status, 200, "{uri}");
        assert!(
            headers["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/html"),
            "{uri}"
        );
        let page = String::from_utf8(body).expect("UTF-8");
        assert!(
            page.starts_with("<!doctype html>") && page.contains("lang=\"fr\""),
            "{uri}"
        );
    }
    let (_, headers, body) = get(
        &app,
        "/ogc/collections/communes/tiles/WebMercatorQuad",
        &[("accept", "text/html")],
    )
    .await;
    assert!(headers["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    let page = String::from_utf8(body).expect("UTF-8");
    assert!(
        page.contains("<title>Tuiles vectorielles — Communes</title>"),
        "{page}"
    );
    // The tile template shows as a link.
    assert!(
        page.contains("{tileMatrix}/{tileRow}/{tileCol}?f=mvt"),
        "{page}"
    );
}

/// The OpenAPI document describes every tile path with OGC 20-057's operation id suffixes.
#[tokio::test]
async fn the_api_definition_describes_the_tiles() {
    let app = router();
    let (status, api) = get_json(&app, "/ogc/api").await;
    assert_eq!(status, 200);
    let paths = api["paths"].as_object().expect("paths");
    for (p, suffix) in [
        ("/ogc/tileMatrixSets", "getTileMatrixSetsList"),
        ("/ogc/tileMatrixSets/{tileMatrixSetId}", "getTileMatrixSet"),
        ("/ogc/tiles", ".dataset.vector.getTileSetsList"),
        ("/ogc/tiles/{tileMatrixSetId}", ".dataset.vector.getTileSet"),
        ("/ogc/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", ".dataset.vector.getTile"),
        ("/ogc/collections/{collectionId}/tiles", ".collection.vector.getTileSetsList"),
        ("/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}", ".collection.vector.getTileSet"),
        (
            "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
            ".collection.vector.getTile",
        ),
    ] {
        let id = paths[p]["get"]["operationId"].as_str().unwrap_or_else(|| panic!("{p}"));
        assert!(id.ends_with(suffix), "{p}: {id}");
    }
    let tile =
        &paths["/ogc/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"]["get"]["responses"];
    assert!(tile["200"]["content"][MVT].is_object());
    assert!(tile["204"].is_object() && tile["404"].is_object());
}

#[tokio::test]
async fn snapshot_departements_tileset() {
    let app = router();
    let (status, tileset) =
        get_json(&app, "/ogc/collections/departements/tiles/WebMercatorQuad").await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("departements_tileset", tileset);
}

/// Whether a decoded geometry (tile units) meets the tile proper, as GDAL's MVT driver decides
/// when it clips a tile to its square (its default): kept whole when its envelope lies in the
/// square, clipped when its envelope overlaps the square's inside and it meets the square,
/// dropped otherwise — the features drawn only in the tile's buffer.
fn meets_tile(g: &geo::Geometry<f64>) -> bool {
    use geo::Intersects;
    let Some(b) = g.bounding_rect() else {
        return false;
    };
    let e = 4096.0;
    if b.min().x >= 0.0 && b.min().y >= 0.0 && b.max().x <= e && b.max().y <= e {
        return true;
    }
    b.min().x < e
        && b.min().y < e
        && b.max().x > 0.0
        && b.max().y > 0.0
        && g.intersects(&geo::Rect::new((0.0, 0.0), (e, e)))
}

/// The venv Python with pyogrio (`make test` installs it), or `None` when missing and not
/// required (`CI_REQUIRE_PYOGRIO=1` makes a missing one fail the test).
fn pyogrio_python() -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("BOURG_VENV")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache/bourg-venv"))
        })?;
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import pyogrio"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var("CI_REQUIRE_PYOGRIO").as_deref() != Ok("1"),
        "CI_REQUIRE_PYOGRIO=1 but {} cannot import pyogrio (make test installs it)",
        python.display()
    );
    eprintln!(
        "skipped: {} cannot import pyogrio (make test installs it)",
        python.display()
    );
    None
}

/// GDAL's OGCAPI driver opens the communes' tileset on a real socket: it offers the tile
/// matrices of the limits and no other, reads EPSG:3857 features with the layer's properties,
/// one per feature and tile — exactly the features mvt-reader decodes from the same tiles of
/// `/tiles/communes/…` that meet the tile proper (GDAL drops what lies only in the buffer) — and
/// at zoom 8 every commune of the layer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_ogcapi_driver_reads_a_collection_tileset() {
    let Some(python) = pyogrio_python() else {
        return;
    };
    let addr = serve(demo()).await;
    let catalog = shared().catalog();
    let layer = catalog.get("communes").expect("communes");
    let (count, bounds) = (layer.len(), layer.bounds.expect("bounds"));
    let properties: Vec<String> = layer.schema.iter().map(|p| p.name.clone()).collect();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gdal/ogcapi_tiles.py");
    let (ok, out, err) = run(
        python.to_str().expect("path"),
        vec![
            script.display().to_string(),
            format!("OGCAPI:http://{addr}/ogc/collections/communes"),
            "4".into(),
            "5".into(),
            "8".into(),
            "15".into(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let read: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let matrices = &read["matrices"];
    assert!(
        matrices["4"].is_null() && matrices["15"].is_null(),
        "outside the limits: {read}"
    );
    let app = router();
    for z in [5u8, 8] {
        let m = &matrices[z.to_string()];
        assert_eq!(m["crs"], "EPSG:3857", "{}", read["gdal"]);
        let fields: Vec<&str> = m["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f.as_str().expect("name"))
            .collect();
        assert_eq!(fields[0], "mvt_id");
        assert_eq!(
            fields[1..],
            properties.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
        let mut gdal: Vec<u64> = m["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("id"))
            .collect();
        assert_eq!(m["geometries"], gdal.len());
        // The same tiles through /tiles, decoded by mvt-reader: the features of the first layer.
        let mut decoded: Vec<u64> = Vec::new();
        for t in tiles_over(&bounds, z) {
            let (status, _, body) = get(&app, &format!("/tiles/communes/{t}.mvt"), &[]).await;
            if status == StatusCode::NO_CONTENT {
                continue;
            }
            let layers = decode(&body);
            assert_eq!(
                (layers[0].name.as_str(), layers[0].extent),
                ("communes", 4096)
            );
            decoded.extend(
                layers[0]
                    .features
                    .iter()
                    .filter(|f| meets_tile(&f.geometry))
                    .map(|f| f.id.expect("feature id")),
            );
        }
        gdal.sort_unstable();
        decoded.sort_unstable();
        assert_eq!(gdal.len(), decoded.len(), "features read at zoom {z}");
        assert_eq!(gdal, decoded, "zoom {z}");
        if z == 8 {
            let distinct: BTreeSet<u64> = gdal.iter().copied().collect();
            assert_eq!(
                distinct,
                (0..count as u64).collect::<BTreeSet<_>>(),
                "every commune at zoom 8"
            );
        }
    }
}
