//! Territory indicators on a hand-built fixture where every value is known: three square
//! communes (Alpha and Bêta in département 99 and one EPCI, Gamma in 98), ten dwellings in four
//! residences, LOVAC figures (Bêta unpublished), three brownfields (two with a surface), zonage,
//! an ACV commune, ORT conventions (Alpha's signed, Gamma's not), QPVs. Its `reference/` folder
//! (the national comparison) holds every layer but the residences.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};

use crate::support::{app, error_description, fixture, get_json, send, toml_path, LayerDir};

const ATTR: &str = "[attribution]\nproducer = \"Test\"\ndate = \"2026\"\n";

pub(crate) fn catalog() -> bourg::Catalog {
    let dir = LayerDir::new();
    let f = |name: &str| toml_path(&fixture(&format!("territory/{name}")));
    let communes = f("communes.geojson");
    std::fs::create_dir(dir.path().join("reference")).expect("reference folder");
    // Every layer but the residences is written twice: served, and in the reference.
    let twice = |id: &str, toml: String| {
        dir.write(id, &toml);
        dir.write(&format!("reference/{id}"), &toml);
    };
    let polygons = |id: &str, extra: &str, role: &str| {
        twice(id, format!("title = \"{id}\"\nsynthetic = false\n[source]\npath = {communes}\n[properties]\ncode = \"string\"\nnom = \"string\"\n{extra}\n[analysis]\nrole = \"{role}\"\n{ATTR}"));
    };
    polygons(
        "communes",
        "dep = \"string\"\nepci = \"string\"\npmun22 = \"int\"",
        "communes",
    );
    polygons("lovac", &format!("[[join]]\npath = {}\nkey = \"insee_com\"\non = \"code\"\n[join.properties]\nnb_log_pp = \"int\"\npct_vacants_plus_2ans_pp = \"float\"", f("lovac.csv")), "lovac");
    polygons("zonage", &format!("[[join]]\npath = {}\nkey = \"insee_com\"\non = \"code\"\n[join.properties]\nzonage_abc = \"string\"", f("zonage.csv")), "zonage");
    polygons("perimetres_acv", &format!("[[join]]\npath = {}\nkey = \"insee_com\"\non = \"code\"\nrequired = true\n[join.properties]\nid_acv = \"string\"", f("acv.csv")), "perimeters");
    polygons("qpv", &format!("[[join]]\npath = {}\nkey = \"insee_com\"\non = \"code\"\nrequired = true\nduplicates = \"concat\"\n[join.properties]\nn_qp_in_commune = \"int\"\ncode_qp = \"string\"", f("qpv.csv")), "qpv");
    dir.write("residences", &format!(
        "title = \"R\"\nsynthetic = true\n[source]\npath = {}\nx = \"lon\"\ny = \"lat\"\ncrs = \"EPSG:4326\"\ndelimiter = \";\"\n[properties]\nDEPCOM = \"string\"\nCONSTRUCT = \"int\"\n[group]\nby = [\"lon\", \"lat\"]\ncount = \"logements\"\n[group.count_if]\nvacants = {{ column = \"OCCUPATION\", values = [\"vacant\"] }}\n[group.count_by]\nDPEENERGIE = {{ prefix = \"dpe_\", values = [\"A\", \"B\", \"C\", \"D\", \"E\", \"F\", \"G\"] }}\n[group.any]\nen_qpv = \"QPV\"\n[analysis]\nrole = \"residences\"\n{ATTR}",
        f("residences.csv")
    ));
    twice("ort", format!(
        "title = \"O\"\nsynthetic = false\n[source]\npath = {}\nx = \"lon\"\ny = \"lat\"\ncrs = \"EPSG:4326\"\n[properties]\ninsee_com = \"string\"\nsignee = \"string\"\n[analysis]\nrole = \"ort\"\n{ATTR}",
        f("ort.csv")
    ));
    twice("friches", format!(
        "title = \"F\"\nsynthetic = false\n[source]\npath = {}\nx = \"lon\"\ny = \"lat\"\ncrs = \"EPSG:4326\"\n[properties]\nsite_id = \"string\"\ninsee_com = \"string\"\nunite_fonciere_surface = \"float\"\n[analysis]\nrole = \"friches\"\n{ATTR}",
        f("friches.csv")
    ));
    dir.load().expect("fixture loads")
}

/// (id, value, département value, national value) of every indicator.
fn values(body: &Value) -> Vec<(String, Value, Value, Value)> {
    body["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().expect("id").to_owned(),
                i["value"].clone(),
                i["departement"].clone(),
                i["france"].clone(),
            )
        })
        .collect()
}

/// Alpha's values, its département's (Alpha and Bêta) and the reference's (the three communes,
/// and no social-stock value: the reference has no residences).
fn expected_alpha() -> Vec<(&'static str, Value, Value, Value)> {
    let none = Value::Null;
    vec![
        ("population", json!(1000), json!(1500), json!(1700)),
        ("communes", json!(1), json!(2), json!(3)),
        ("social_dwellings", json!(6), json!(9), none.clone()),
        ("social_residences", json!(2), json!(3), none.clone()),
        ("social_vacancy", json!(16.7), json!(22.2), none.clone()),
        ("dpe_fg", json!(33.3), json!(22.2), none.clone()),
        ("qpv_dwellings", json!(4), json!(4), none.clone()),
        ("median_year", json!(1960), json!(1980), none),
        ("private_long_term_vacancy", json!(20), json!(20), json!(25)),
        (
            "private_long_term_vacancy_rate",
            json!(5.0),
            json!(5.0),
            json!(5.6),
        ),
        ("private_vacancy_unpublished", json!(0), json!(1), json!(1)),
        ("brownfields", json!(2), json!(2), json!(3)),
        ("brownfield_area", json!(1.2), json!(1.2), json!(1.7)),
        ("brownfields_with_area", json!(1), json!(1), json!(2)),
        (
            "zonage_abc",
            json!({"B2": 1}),
            json!({"B2": 1, "C": 1}),
            json!({"B2": 1, "C": 2}),
        ),
        ("acv_communes", json!(1), json!(1), json!(1)),
        ("ort_communes", json!(1), json!(1), json!(1)),
        ("qpv", json!(2), json!(2), json!(2)),
    ]
}

fn assert_alpha(body: &Value) {
    let got = values(body);
    let want = expected_alpha();
    assert_eq!(got.len(), want.len(), "{body}");
    for ((id, v, d, e), (wid, wv, wd, we)) in got.iter().zip(want) {
        assert_eq!(id, wid);
        assert_eq!((v, d, e), (&wv, &wd, &we), "{id}");
    }
}

#[tokio::test]
async fn commune_indicators_are_exact_with_sources_and_comparisons() {
    let app = app(catalog());
    let (status, body) = get_json(&app, "/api/territories/99001").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["territory"]["name"], "Alpha");
    assert_eq!(body["territory"]["kind"], "commune");
    assert_eq!(body["departement"]["code"], "99");
    assert_eq!(body["france"], json!({"name": "France", "communes": 3}));
    assert_alpha(&body);
    for i in body["indicators"].as_array().expect("indicators") {
        assert_eq!(i["source"]["producer"], "Test");
        assert_eq!(i["source"]["date"], "2026");
        let synthetic = i["source"]["layer"] == "residences";
        assert_eq!(i["source"]["synthetic"], synthetic, "{i}");
        // The national value's own source, where there is one.
        if synthetic {
            assert!(i["france_source"].is_null(), "{i}");
        } else {
            assert_eq!(i["france_source"]["layer"], i["source"]["layer"], "{i}");
        }
    }
}

#[tokio::test]
async fn epci_departement_and_perimeter_resolve_to_their_communes() {
    let app = app(catalog());
    let (_, epci) = get_json(&app, "/api/territories/999999999").await;
    assert_eq!(epci["territory"]["kind"], "epci");
    assert_eq!(epci["territory"]["communes"], 2);
    let (_, dep) = get_json(&app, "/api/territories/99").await;
    assert_eq!(values(&epci), values(&dep));
    let (_, acv) = get_json(&app, "/api/territories/acv-999").await;
    assert_eq!(acv["territory"]["kind"], "perimetre");
    assert_alpha(&acv);
    let (status, body) = get_json(&app, "/api/territories/12345").await;
    assert_eq!(status, 404);
    assert!(error_description(&body).contains("no territory \"12345\""));
}

pub(crate) async fn post(
    app: &axum::Router,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let request = Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request");
    let (status, _, bytes) = send(app, request).await;
    (
        status.as_u16(),
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes))),
    )
}

/// Alpha, drawn along its edges (its neighbours share an edge: no area).
pub(crate) fn alpha_polygon() -> Value {
    json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[2.0, 50.0], [2.1, 50.0], [2.1, 50.1], [2.0, 50.1], [2.0, 50.0]]]}})
}

/// The polygon converted by ogr2ogr to another format and CRS.
fn converted(format: &str, ext: &str) -> Vec<u8> {
    convert(&alpha_polygon(), format, ext)
}

/// GeoJSON converted by ogr2ogr to another format (`ext` names the output file) and to
/// Lambert-93.
pub(crate) fn convert(geojson: &Value, format: &str, ext: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("in.geojson");
    std::fs::write(&src, geojson.to_string()).expect("write");
    let out = dir.path().join(format!("out.{ext}"));
    let status = std::process::Command::new("ogr2ogr")
        .args(["-f", format, "-t_srs", "EPSG:2154"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("ogr2ogr");
    assert!(status.success());
    std::fs::read(&out).expect("read")
}

#[tokio::test]
async fn drawn_and_uploaded_perimeters_in_any_crs() {
    let app = app(catalog());
    let (status, body) = post(
        &app,
        "/api/territories/stats?name=Centre",
        "application/geo+json",
        alpha_polygon().to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["territory"]["kind"], "polygone");
    assert_eq!(body["territory"]["name"], "Centre");
    assert_alpha(&body);
    // Lambert-93: a zipped Shapefile, a GeoPackage, GeoJSON with crs given in the query.
    let (status, body) = post(
        &app,
        "/api/territories/stats",
        "application/zip",
        converted("ESRI Shapefile", "shp.zip"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_alpha(&body);
    let (status, body) = post(
        &app,
        "/api/territories/stats",
        "application/geopackage+sqlite3",
        converted("GPKG", "gpkg"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_alpha(&body);
    let mut l93: Value = serde_json::from_slice(&converted("GeoJSON", "geojson")).expect("GeoJSON");
    l93.as_object_mut().expect("object").remove("crs");
    let (status, body) = post(
        &app,
        "/api/territories/stats?crs=EPSG:2154",
        "application/geo+json",
        l93.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_alpha(&body);
    // The same Lambert-93 GeoJSON read as longitudes/latitudes: a clear 400, not a wrong answer.
    let (status, body) = post(
        &app,
        "/api/territories/stats",
        "application/geo+json",
        l93.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error_description(&body).contains("crs=EPSG:2154"), "{body}");
}

#[tokio::test]
async fn bad_uploads_are_400s_that_say_why() {
    let app = app(catalog());
    let point = json!({"type": "Point", "coordinates": [2.05, 50.05]})
        .to_string()
        .into_bytes();
    for (uri, content_type, body, words) in [
        (
            "/api/territories/stats",
            "application/geo+json",
            b"{\"type\": \"Polyg".to_vec(),
            "cannot be read",
        ),
        (
            "/api/territories/stats",
            "application/geo+json",
            point,
            "only polygons",
        ),
        (
            "/api/territories/stats",
            "text/plain",
            b"hello".to_vec(),
            "is not accepted",
        ),
        (
            "/api/territories/stats",
            "application/geo+json",
            Vec::new(),
            "body is empty",
        ),
        (
            "/api/territories/stats",
            "application/zip",
            b"not a zip".to_vec(),
            "cannot be read",
        ),
        (
            "/api/territories/stats?crs=EPSG:3857",
            "application/geo+json",
            alpha_polygon().to_string().into_bytes(),
            "crs",
        ),
        (
            "/api/territories/stats?colour=red",
            "application/geo+json",
            alpha_polygon().to_string().into_bytes(),
            "unknown query parameter",
        ),
    ] {
        let (status, body) = post(&app, uri, content_type, body).await;
        assert_eq!(status, 400, "{content_type}: {body}");
        assert!(
            error_description(&body).contains(words),
            "{content_type}: {body}"
        );
    }
    let (status, body) = post(
        &app,
        "/api/territories/stats",
        "application/geo+json",
        vec![b' '; 21 << 20],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(error_description(&body).contains("larger than 20 MiB"));
}

#[test]
fn residences_carry_an_explained_fragility_score() {
    let catalog = catalog();
    let r = catalog.get("residences").expect("residences");
    let get = |i: usize, name: &str| r.value(i, r.property_index(name).expect(name)).clone();
    let by_size = |n: i64| {
        (0..r.len())
            .find(|&i| get(i, "logements") == bourg::layer::Value::Int(n))
            .expect("residence")
    };
    use bourg::layer::Value::Float;
    // R1: 4 dwellings, 1 vacant (25 % → 1), F and G (2/4 → 0.5), 1960 (66 years → 1), QPV.
    let r1 = by_size(4);
    assert_eq!(get(r1, "fragilite"), Float(85.0));
    assert_eq!(
        [
            get(r1, "frag_vacance"),
            get(r1, "frag_dpe"),
            get(r1, "frag_age"),
            get(r1, "frag_qpv")
        ],
        [Float(1.0), Float(0.5), Float(1.0), Float(1.0)]
    );
    // R2: 2 dwellings, none vacant, B, 2000 (26 years → 0.22), outside QPV: 100 × 0.2 × 0.22.
    let r2 = by_size(2);
    assert_eq!(get(r2, "fragilite"), Float(4.4));
    assert_eq!(get(r2, "frag_age"), Float(0.22));
}

/// Code territories take their candidates from the R-tree in the communes' bounds: for every
/// demo commune the residences found equal a brute-force scan by INSEE code.
#[test]
fn rtree_membership_equals_a_scan_by_code() {
    let catalog = bourg::Catalog::load(&crate::support::demo_layers()).expect("demo loads");
    let rpls = catalog.get("rpls").expect("rpls");
    let communes = catalog.get("communes").expect("communes");
    let depcom = rpls.property_index("DEPCOM").expect("DEPCOM");
    let code = communes.property_index("code").expect("code");
    let mut checked = 0;
    for f in communes.features() {
        let bourg::layer::Value::String(c) = &f.get(code).expect("property") else {
            continue;
        };
        let t = bourg::analysis::resolve(&catalog, c).expect("commune");
        let mut found = t.members(rpls, "DEPCOM");
        found.sort_unstable();
        let brute: Vec<u32> = (0..rpls.len() as u32)
            .filter(|&i| rpls.value(i as usize, depcom) == bourg::layer::Value::String(c.clone()))
            .collect();
        assert_eq!(found, brute, "commune {c}");
        checked += usize::from(!brute.is_empty());
    }
    assert!(checked > 1000, "{checked} communes with residences");
}

/// Writes a valid polygon as `secret.geojson` in `dir` (a file of the server, for an upload) and
/// returns an OGR VRT naming it.
pub(crate) fn secret_vrt(dir: &std::path::Path) -> String {
    let secret = dir.join("secret.geojson");
    std::fs::write(&secret, alpha_polygon().to_string()).expect("write");
    format!(
        "<OGRVRTDataSource><OGRVRTLayer name=\"secret\"><SrcDataSource>{}</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        secret.display()
    )
}

/// An upload opens with its declared format's driver only: an OGR VRT naming a file of the server
/// (sent as GeoJSON, as a GeoPackage, or zipped as the only file of a "Shapefile") is refused,
/// never read. The file it points at is a valid polygon that would otherwise answer 200.
#[tokio::test]
async fn uploads_cannot_read_the_servers_files() {
    let app = app(catalog());
    let dir = tempfile::tempdir().expect("temp dir");
    let vrt = secret_vrt(dir.path());
    let secret = dir.path().join("secret.geojson");
    // The same file through the normal path is read: the refusals below are the driver's.
    let (status, body) = post(
        &app,
        "/api/territories/stats",
        "application/geo+json",
        std::fs::read(&secret).expect("read"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let zipped = {
        let zip = dir.path().join("vrt.zip");
        std::fs::write(dir.path().join("layer.vrt"), &vrt).expect("write");
        let status = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').write(sys.argv[2], 'layer.vrt')",
            ])
            .arg(&zip)
            .arg(dir.path().join("layer.vrt"))
            .status()
            .expect("python3");
        assert!(status.success());
        std::fs::read(&zip).expect("zip")
    };
    for (content_type, body) in [
        ("application/geo+json", vrt.clone().into_bytes()),
        ("application/geopackage+sqlite3", vrt.clone().into_bytes()),
        ("application/zip", zipped),
    ] {
        let (status, body) = post(&app, "/api/territories/stats", content_type, body).await;
        assert_eq!(status, 400, "{content_type}: {body}");
        assert!(
            !body.to_string().contains("communes"),
            "{content_type}: {body}"
        );
    }
}
