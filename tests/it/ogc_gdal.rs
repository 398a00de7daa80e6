//! OGC API – Features read by real clients on a real socket: GDAL's OAPIF driver (paging, bbox),
//! GDAL's GeoJSON driver and gdaltransform (EPSG:2154 output), and the OpenAPI validator.

use std::collections::BTreeSet;

use crate::support::{demo_layers, run, serve};

fn demo() -> bourg::Catalog {
    bourg::Catalog::load(&demo_layers()).expect("demo loads")
}

async fn get_json(url: &str) -> serde_json::Value {
    let (ok, out, err) = run("curl", vec!["-sf".into(), url.into()]).await;
    assert!(ok, "{url}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// Reads a whole collection through GDAL's OAPIF driver into GeoJSON.
async fn gdal_read(
    addr: std::net::SocketAddr,
    id: &str,
    page: usize,
    spat: Option<[f64; 4]>,
) -> serde_json::Value {
    // -preserve_fid: GDAL's FID is our feature id (the OAPIF driver maps an integer id to it).
    let mut args: Vec<String> = vec![
        "-f".into(),
        "GeoJSON".into(),
        "/vsistdout/".into(),
        "-preserve_fid".into(),
        "-oo".into(),
        format!("PAGE_SIZE={page}"),
    ];
    args.push(format!("OAPIF:http://{addr}/ogc"));
    args.push(id.into());
    if let Some(s) = spat {
        args.push("-spat".into());
        args.extend(s.iter().map(|v| v.to_string()));
    }
    let (ok, out, err) = run("ogr2ogr", args).await;
    assert!(ok, "ogr2ogr {id}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{id}: {e}: {err}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_lists_every_collection() {
    let catalog = demo();
    let ids: BTreeSet<String> = catalog.layers().map(|l| l.id().to_owned()).collect();
    let addr = serve(catalog).await;
    let (ok, out, err) = run(
        "ogrinfo",
        vec![
            "-ro".into(),
            "-so".into(),
            format!("OAPIF:http://{addr}/ogc"),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let listed: BTreeSet<String> = out
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split(' ').next())
        .map(str::to_owned)
        .filter(|id| ids.contains(id))
        .collect();
    assert_eq!(listed, ids, "{out}");
}

/// Every collection, read whole by GDAL in small pages: every feature once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_every_collection_completely_with_paging() {
    let catalog = demo();
    let expected: Vec<(String, usize)> = catalog
        .layers()
        .map(|l| (l.id().to_owned(), l.len()))
        .collect();
    let addr = serve(catalog).await;
    for (id, count) in expected {
        // About 4 pages per collection (at least 2 features a page).
        let page = (count / 4).max(2);
        let doc = gdal_read(addr, &id, page, None).await;
        let features = doc["features"].as_array().expect("features");
        assert_eq!(features.len(), count, "{id}");
        let fids: BTreeSet<u64> = features
            .iter()
            .map(|f| f["id"].as_u64().expect("id"))
            .collect();
        assert_eq!(fids.len(), count, "{id}: duplicates");
        assert_eq!(
            fids.iter().max().copied(),
            Some(count as u64 - 1),
            "{id}: ids are positions"
        );
    }
}

/// A bbox over Lens read by GDAL through several pages: exactly numberMatched features, no
/// duplicates, and numberMatched equals a brute-force count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_bbox_over_lens_pages_to_number_matched() {
    use geo::Intersects;
    let catalog = demo();
    let bbox = [2.70, 50.35, 2.95, 50.50];
    let rect = geo::Rect::new((bbox[0], bbox[1]), (bbox[2], bbox[3]));
    let brute: usize = catalog
        .get("communes")
        .expect("communes")
        .features()
        .filter(|f| f.wgs84.intersects(&rect))
        .count();
    let addr = serve(catalog).await;
    let url = format!(
        "http://{addr}/ogc/collections/communes/items?bbox={},{},{},{}&limit=1",
        bbox[0], bbox[1], bbox[2], bbox[3]
    );
    let matched = get_json(&url).await["numberMatched"]
        .as_u64()
        .expect("numberMatched") as usize;
    assert_eq!(matched, brute);
    let doc = gdal_read(addr, "communes", 17, Some(bbox)).await;
    let codes: Vec<&str> = doc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["code"].as_str().expect("code"))
        .collect();
    let unique: BTreeSet<&str> = codes.iter().copied().collect();
    assert!(matched > 17 * 2, "several pages: {matched}");
    assert_eq!(codes.len(), matched);
    assert_eq!(unique.len(), matched);
    assert!(unique.contains("62498"), "Lens");
}

/// EPSG:2154 output: GDAL's GeoJSON driver reads each page (its CRS from the page), all pages
/// together give the whole collection, and every coordinate matches gdaltransform's own
/// reprojection of the CRS84 output to 1 cm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambert93_pages_match_gdal_to_one_centimetre() {
    let catalog = demo();
    let totals: Vec<(String, usize)> = ["friches", "communes", "epci"]
        .iter()
        .map(|id| (id.to_string(), catalog.get(id).expect(id).len()))
        .collect();
    let addr = serve(catalog).await;
    let l93 = "http://www.opengis.net/def/crs/EPSG/0/2154";
    for (id, total) in totals {
        let mut url = Some(format!(
            "http://{addr}/ogc/collections/{id}/items?crs={l93}&limit={}",
            total / 3 + 1
        ));
        let mut seen = 0;
        let mut pages = 0;
        while let Some(u) = url.take() {
            pages += 1;
            let (ok, out, err) = run(
                "ogrinfo",
                vec!["-ro".into(), "-so".into(), "-al".into(), u.clone()],
            )
            .await;
            assert!(ok, "{u}: {err}");
            assert!(
                out.contains("Lambert-93") || out.contains("\"EPSG\",2154"),
                "GDAL sees Lambert-93: {out}"
            );
            let count: usize = out
                .lines()
                .find_map(|l| l.strip_prefix("Feature Count: "))
                .and_then(|n| n.trim().parse().ok())
                .expect("count");
            seen += count;
            let doc = get_json(&u).await;
            url = doc["links"]
                .as_array()
                .expect("links")
                .iter()
                .find(|l| l["rel"] == "next")
                .and_then(|l| l["href"].as_str())
                .map(str::to_owned);
        }
        assert!(pages >= 3, "{id}: {pages} pages");
        assert_eq!(seen, total, "{id}");
    }
    // Coordinates: the same page in CRS84 and in EPSG:2154, the first through gdaltransform.
    let page = |crs: &str| {
        format!("http://{addr}/ogc/collections/communes/items?limit=25&offset=600&crs={crs}")
    };
    let wgs = get_json(&page("http://www.opengis.net/def/crs/OGC/1.3/CRS84")).await;
    let lam = get_json(&page(l93)).await;
    let coords = |doc: &serde_json::Value| -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for f in doc["features"].as_array().expect("features") {
            let text = f["geometry"]["coordinates"].to_string();
            let nums: Vec<f64> = text
                .split(['[', ']', ','])
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().expect("number"))
                .collect();
            out.extend(nums.chunks(2).map(|p| (p[0], p[1])));
        }
        out
    };
    let (w, l) = (coords(&wgs), coords(&lam));
    assert_eq!(w.len(), l.len());
    assert!(w.len() > 500, "{} vertices", w.len());
    let input: String = w.iter().map(|(x, y)| format!("{x} {y}\n")).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    std::fs::write(&path, input).expect("write");
    let (ok, out, err) = run(
        "sh",
        vec![
            "-c".into(),
            format!(
                "gdaltransform -s_srs EPSG:4326 -t_srs EPSG:2154 -output_xy < {}",
                path.display()
            ),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let gdal: Vec<(f64, f64)> = out
        .lines()
        .map(|line| {
            let v: Vec<f64> = line
                .split_whitespace()
                .map(|s| s.parse().expect("number"))
                .collect();
            (v[0], v[1])
        })
        .collect();
    assert_eq!(gdal.len(), l.len());
    for (i, (ours, theirs)) in l.iter().zip(&gdal).enumerate() {
        assert!(
            (ours.0 - theirs.0).abs() < 0.01 && (ours.1 - theirs.1).abs() < 0.01,
            "vertex {i}: {ours:?} vs GDAL {theirs:?}"
        );
    }
}

/// The OpenAPI document validates against the OpenAPI 3.0 schema (swagger-parser, installed in
/// web/node_modules by `make test`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_validates() {
    let addr = serve(demo()).await;
    let doc = get_json(&format!("http://{addr}/ogc/api")).await;
    assert_eq!(doc["openapi"], "3.0.3");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("api.json");
    std::fs::write(&path, doc.to_string()).expect("write");
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let script = "import SwaggerParser from '@apidevtools/swagger-parser';\
        try { await SwaggerParser.validate(process.argv[1]); } catch (e) { console.error(e.message); process.exit(1); }";
    let (ok, out, err) = run(
        "sh",
        vec![
            "-c".into(),
            format!(
                "cd {} && node --input-type=module -e \"{script}\" {}",
                web.display(),
                path.display()
            ),
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
}
