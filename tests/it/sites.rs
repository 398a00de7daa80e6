//! The recycling-site finder on the demo: scores are the normalised weighted sums of their
//! components (0..=100) and their points add up, the ranking is monotonic in each weight, exports
//! re-read by GDAL equal the JSON, bad parameters are 400s.

use std::process::Command;

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

use crate::support::{app, demo_data, demo_layers, error_description, get_json, send};

/// The components' names, in the API's order (written here, not read from the crate).
pub(crate) const COMPONENTS: [&str; 7] = [
    "vacancy",
    "perimeter",
    "centre",
    "stock",
    "size",
    "detente",
    "fragility",
];

fn demo_app() -> axum::Router {
    app(bourg::Catalog::load(&demo_layers()).expect("demo loads"))
}

async fn sites(app: &axum::Router, query: &str) -> Vec<Value> {
    let (status, body) = get_json(app, &format!("/api/sites?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["sites"].as_array().expect("sites").clone()
}

fn components(s: &Value) -> [f64; 7] {
    COMPONENTS.map(|c| s["components"][c].as_f64().expect("component"))
}

#[tokio::test]
async fn scores_are_weighted_sums_and_ranking_is_monotonic_in_each_weight() {
    let app = demo_app();
    let base_query = "territory=acv-113&limit=1000";
    let base = sites(&app, base_query).await;
    assert!(base.len() > 50, "{} candidates", base.len());
    let kinds: std::collections::BTreeSet<&str> = base
        .iter()
        .map(|s| s["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.contains("friche") && kinds.contains("vacance") && kinds.contains("residence"),
        "{kinds:?}"
    );
    let defaults = [0.25, 0.20, 0.15, 0.10, 0.10, 0.10, 0.10];
    // 100 × Σ w·c / Σ w, written out here; the defaults sum to 1.
    let expected = |c: &[f64; 7], w: &[f64; 7]| -> f64 {
        100.0 * c.iter().zip(w).map(|(c, w)| c * w).sum::<f64>() / w.iter().sum::<f64>()
    };
    for s in &base {
        let c = components(s);
        assert!(c.iter().all(|v| (0.0..=1.0).contains(v)), "{s}");
        let score = s["score"].as_f64().expect("score");
        assert!((0.0..=100.0).contains(&score), "{s}");
        assert!((score - expected(&c, &defaults)).abs() < 0.1, "{s}");
        // Each component's points are its share: 100 w c / Σ w, and they add up to the score.
        let points: Vec<f64> = COMPONENTS
            .iter()
            .map(|c| s["points"][c].as_f64().expect("points"))
            .collect();
        for (k, p) in points.iter().enumerate() {
            assert!((p - 100.0 * defaults[k] * c[k]).abs() < 0.06, "{s}");
        }
        assert!((points.iter().sum::<f64>() - score).abs() < 0.05, "{s}");
    }
    let ranks: Vec<u64> = base
        .iter()
        .map(|s| s["rank"].as_u64().expect("rank"))
        .collect();
    assert_eq!(ranks, (1..=base.len() as u64).collect::<Vec<_>>());
    for (k, name) in COMPONENTS.iter().enumerate() {
        let mut weights = defaults;
        weights[k] += 0.5;
        let raised = sites(&app, &format!("{base_query}&weights={name}:{}", weights[k])).await;
        let score = |list: &[Value], s: &Value| -> f64 {
            list.iter()
                .find(|x| x["layer"] == s["layer"] && x["id"] == s["id"])
                .and_then(|x| x["score"].as_f64())
                .expect("same site")
        };
        // Each score is the normalised sum with the raised weight (Σ w = 1.5 now)…
        for s in &base {
            let want = expected(&components(s), &weights);
            assert!((score(&raised, s) - want).abs() < 0.1, "{name}: {s}");
        }
        // …so a site that ranked above another with at least as much of the component stays above.
        for (i, a) in base.iter().enumerate().take(120) {
            for b in base.iter().skip(i + 1).take(120) {
                if components(a)[k] >= components(b)[k] {
                    assert!(
                        score(&raised, a) + 1e-6 >= score(&raised, b) - 0.02,
                        "{name}: {} fell below {}",
                        a["label"],
                        b["label"]
                    );
                }
            }
        }
    }
}

async fn download(app: &axum::Router, query: &str, ext: &str) -> std::path::PathBuf {
    let (status, headers, body) = send(
        app,
        Request::get(format!("/api/sites?{query}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("attachment"));
    crate::support::temp_file(&format!("sites.{ext}"), &body)
}

/// A file read by GDAL (ogr2ogr to GeoJSON), its features' properties.
fn gdal_read(path: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let output = Command::new("ogr2ogr")
        .args(["-f", "GeoJSON", "/vsistdout/"])
        .args(extra)
        .arg(path)
        .output()
        .expect("ogr2ogr");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: Value = serde_json::from_slice(&output.stdout).expect("GeoJSON");
    doc["features"].as_array().expect("features").clone()
}

#[tokio::test]
async fn exports_read_back_by_gdal_equal_the_json() {
    let app = demo_app();
    let query = "territory=acv-113&limit=40&weights=fragility:0.3";
    let json = sites(&app, query).await;
    let gpkg = gdal_read(
        &download(&app, &format!("{query}&f=gpkg"), "gpkg").await,
        &[],
    );
    let geojson = gdal_read(
        &download(&app, &format!("{query}&f=geojson"), "geojson").await,
        &[],
    );
    for (name, features) in [("gpkg", &gpkg), ("geojson", &geojson)] {
        assert_eq!(features.len(), json.len(), "{name}");
        for (f, s) in features.iter().zip(&json) {
            let p = &f["properties"];
            assert_eq!(p["rank"].as_u64(), s["rank"].as_u64(), "{name}");
            assert_eq!(p["label"], s["label"], "{name}");
            assert_eq!(p["commune"], s["commune"], "{name}");
            assert_eq!(p["commune_name"], s["commune_name"], "{name}");
            assert_eq!(p["address"], s["address"], "{name}");
            assert_eq!(p["epci"], s["epci"]["name"], "{name}");
            assert!(
                (p["score"].as_f64().expect("score") - s["score"].as_f64().expect("score")).abs()
                    < 1e-9,
                "{name}"
            );
            for c in COMPONENTS {
                assert!(
                    (p[format!("c_{c}")].as_f64().expect("component")
                        - s["components"][c].as_f64().expect("component"))
                    .abs()
                        < 1e-9,
                    "{name} {c}"
                );
            }
            let xy = &f["geometry"]["coordinates"];
            assert!(
                (xy[0].as_f64().expect("lon") - s["lon"].as_f64().expect("lon")).abs() < 1e-9,
                "{name}"
            );
            assert!(
                (xy[1].as_f64().expect("lat") - s["lat"].as_f64().expect("lat")).abs() < 1e-9,
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn bad_site_queries_are_400s() {
    let app = demo_app();
    for (query, words) in [
        ("weights=speed:1", "unknown component \"speed\""),
        ("weights=vacancy:-2", "0..=10"),
        ("territory=00000", "no territory"),
        ("limit=0", "limit"),
        ("limit=5000", "limit 5000 is not in 1..=1000"),
        ("f=xlsx&limit=100001", "limit 100001 is not in 1..=100000"),
        ("f=ods", "f=\"ods\""),
        (
            "territory=62498,00000,99999",
            "no territory \"00000\", \"99999\"",
        ),
        ("territory=", "territory is empty"),
        (
            "programme=acv,opah",
            "programme \"opah\" is not one of acv, pvd, ort",
        ),
        (
            "weights=vacancy:0,perimeter:0,centre:0,stock:0,size:0,detente:0,fragility:0",
            "every weight is 0",
        ),
        ("fragility_min=120", "fragility_min"),
        ("bbox=1,2,3", "bbox"),
        (
            "kind=friche,usine",
            "kind \"usine\" is not one of friche, vacance, residence",
        ),
        ("kind=", "kind is empty"),
        ("color=red", "unknown query parameter \"color\""),
    ] {
        let (status, body) = get_json(&app, &format!("/api/sites?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(error_description(&body).contains(words), "{query}: {body}");
    }
}

#[tokio::test]
async fn sites_as_a_tile_layer_match_the_ranked_list() {
    use bourg::tile::{TileCoord, TileTransform};
    let app = demo_app();
    let query = "territory=acv-113&weights=fragility:0.4";
    let all = sites(&app, &format!("{query}&limit=1000")).await;
    let tile = TileCoord::containing(2.8319, 50.4322, 12);
    let (status, _, bytes) = send(
        &app,
        Request::get(format!("/api/sites/tiles/{tile}.mvt?{query}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200);
    let decoded = crate::tiles::decode(&bytes);
    assert_eq!(decoded[0].name, "sites");
    // Sites whose point falls in the buffered tile, by brute force over the JSON list.
    let t = TileTransform::new(tile, 4096);
    let expected: std::collections::BTreeMap<u64, f64> = all
        .iter()
        .filter(|s| {
            let c = bourg::mercator::from_wgs84(geo::Coord {
                x: s["lon"].as_f64().expect("lon"),
                y: s["lat"].as_f64().expect("lat"),
            });
            let p = t.apply(c);
            (-64.0..=4160.0).contains(&p.x) && (-64.0..=4160.0).contains(&p.y)
        })
        .map(|s| {
            (
                s["rank"].as_u64().expect("rank"),
                s["score"].as_f64().expect("score"),
            )
        })
        .collect();
    assert!(expected.len() > 10, "{} sites in the tile", expected.len());
    let got: std::collections::BTreeMap<u64, f64> = decoded[0]
        .features
        .iter()
        .map(|f| {
            let p = f.properties.as_ref().expect("properties");
            let score = match p.get("score") {
                Some(mvt_reader::feature::Value::Double(v)) => *v,
                other => panic!("score {other:?}"),
            };
            (f.id.expect("id"), score)
        })
        .collect();
    assert_eq!(got, expected);
    // Nowhere near: no content; a list-only parameter: 400.
    let (status, _, _) = send(
        &app,
        Request::get(format!("/api/sites/tiles/12/0/0.mvt?{query}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = get_json(&app, "/api/sites/tiles/12/0/0.mvt?limit=3").await;
    assert_eq!(status, 400);
    assert!(error_description(&body).contains("does not apply to tiles"));
}

/// The programme communes, from the files: ACV and PVD lists, ORT conventions signed or under way.
fn programme_codes() -> std::collections::HashSet<String> {
    let data = demo_data();
    let mut codes = std::collections::HashSet::new();
    for file in ["acv_communes_62_25.geojson", "pvd_communes_62_25.geojson"] {
        let fc: geojson::FeatureCollection = std::fs::read_to_string(data.join(file))
            .expect("read")
            .parse()
            .expect("GeoJSON");
        for f in fc.features {
            codes.insert(
                f.property("insee_com")
                    .and_then(Value::as_str)
                    .expect("code")
                    .to_owned(),
            );
        }
    }
    for r in crate::support::read_csv(&data.join("ort_conventions_62_25.csv"), ',') {
        if r["signee"] == "Signée" || r["signee"] == "En cours" {
            codes.insert(r["insee_com"].clone());
        }
    }
    codes
}

/// Without a territory, every candidate is in a programme commune (perimeter 1) or within 1 km
/// of one (0.5 at the boundary to 0 at 1 km), the distance checked on the sphere (Haversine, to
/// the closest point of the commune polygons read from the file) — not Bourg's Mercator one.
#[tokio::test]
async fn candidates_are_in_or_near_programme_communes_by_an_independent_distance() {
    use geo::{Distance, Haversine, HaversineClosestPoint, MultiPolygon, Point};
    let app = demo_app();
    // Brownfields, then the more fragile residences: each whole in one page (the vacant
    // buildings are more than a page).
    let mut all = Vec::new();
    for (query, kind) in [
        ("kind=friche", "friche"),
        ("kind=residence&fragility_min=60", "residence"),
    ] {
        let (status, body) = get_json(&app, &format!("/api/sites?{query}&limit=1000")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["matched"], body["count"],
            "{query}: not all in one page"
        );
        let page = body["sites"].as_array().expect("sites").clone();
        assert!(page.iter().all(|s| s["kind"] == kind), "{query}");
        all.extend(page);
    }
    let programme = programme_codes();
    let fc: geojson::FeatureCollection =
        std::fs::read_to_string(demo_data().join("communes_62_25_cog2025.geojson"))
            .expect("read")
            .parse()
            .expect("GeoJSON");
    let polygons: Vec<MultiPolygon<f64>> = fc
        .features
        .into_iter()
        .filter(|f| programme.contains(f.property("code").and_then(Value::as_str).expect("code")))
        .map(
            |f| match geo::Geometry::<f64>::try_from(f.geometry.expect("geometry").value) {
                Ok(geo::Geometry::Polygon(p)) => MultiPolygon::new(vec![p]),
                Ok(geo::Geometry::MultiPolygon(mp)) => mp,
                other => panic!("{other:?}"),
            },
        )
        .collect();
    let (mut inside, mut near, mut ort_only) = (0, 0, 0);
    let acv_pvd_ort_only = ["25031", "25529", "62550", "62743"];
    for s in &all {
        let p = s["components"]["perimeter"].as_f64().expect("perimeter");
        let commune = s["commune"].as_str().expect("commune");
        if programme.contains(commune) {
            assert_eq!(p, 1.0, "{s}");
            inside += 1;
            ort_only += usize::from(acv_pvd_ort_only.contains(&commune));
            continue;
        }
        assert!(p > 0.0 && p <= 0.5, "{s}");
        near += 1;
        let site = Point::new(s["lon"].as_f64().unwrap(), s["lat"].as_f64().unwrap());
        let metres = polygons
            .iter()
            .filter_map(|mp| match mp.haversine_closest_point(&site) {
                geo::Closest::SinglePoint(c) | geo::Closest::Intersection(c) => {
                    Some(Haversine.distance(site, c))
                }
                geo::Closest::Indeterminate => None,
            })
            .fold(f64::INFINITY, f64::min);
        let ours = 1000.0 * (1.0 - 2.0 * p);
        assert!(
            (ours - metres).abs() < 25.0,
            "{s}: {ours:.0} m against {metres:.0} m"
        );
    }
    assert!(inside > 100 && near > 5, "{inside} inside, {near} near");
    assert!(
        ort_only > 0,
        "no site in a commune that is in the ORT list only"
    );
    // With a territory, far sites are candidates too, at 0.
    let dep = sites(&app, "territory=62&kind=friche,residence&limit=1000").await;
    assert!(dep.iter().any(|s| s["components"]["perimeter"] == 0.0));
}

/// A brownfield's size is its land surface over 5,000 m² (from the CNIG extract), else 0.5.
#[tokio::test]
async fn brownfield_size_comes_from_the_land_surface() {
    let app = demo_app();
    let surfaces: std::collections::HashMap<String, f64> =
        crate::support::read_csv(&demo_data().join("cartofriches_cnig_62_25_2024.csv"), ',')
            .into_iter()
            .filter_map(|r| {
                Some((
                    r["site_id"].clone(),
                    r["unite_fonciere_surface"].parse().ok()?,
                ))
            })
            .collect();
    // The site ids by position, read from the sites file (positions are unique there).
    let key = |lon: f64, lat: f64| format!("{lon:.5},{lat:.5}");
    let mut site_ids: std::collections::HashMap<String, Vec<String>> = Default::default();
    for r in crate::support::read_csv(&demo_data().join("cartofriches_sites_62_25_2023.csv"), ',') {
        let (lon, lat) = (
            r["lon"].parse().expect("lon"),
            r["lat"].parse().expect("lat"),
        );
        site_ids
            .entry(key(lon, lat))
            .or_default()
            .push(r["site_id"].clone());
    }
    let friches = sites(&app, "territory=62&kind=friche&limit=1000").await;
    assert!(friches.iter().all(|s| s["kind"] == "friche"));
    let mut with_surface = 0;
    for s in friches.iter().filter(|s| s["kind"] == "friche") {
        let at = key(
            s["lon"].as_f64().expect("lon"),
            s["lat"].as_f64().expect("lat"),
        );
        let ids = &site_ids[&at];
        if ids.len() > 1 {
            continue;
        }
        let id = &ids[0];
        let size = s["components"]["size"].as_f64().unwrap();
        match surfaces.get(id.as_str()) {
            Some(m2) => {
                with_surface += 1;
                assert!((size - (m2 / 5000.0).min(1.0)).abs() < 0.001, "{s}");
            }
            None => assert_eq!(size, 0.5, "{s}"),
        }
    }
    assert!(with_surface > 20, "{with_surface}");
}

/// The neighbourhood components are the sums over every feature within their radius, counted by
/// brute force with the haversine distance: vacant dwellings within 300 m (`vacancy`, /30) and
/// social dwellings within 500 m (`stock`, /200). A point within a metre of the radius may be
/// counted either way (the server measures on an equirectangular plane).
#[tokio::test]
async fn neighbourhood_components_equal_brute_force_sums() {
    use geo::{Distance, Haversine, Point};
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let points = |id: &str, property: &str| -> Vec<(Point<f64>, f64)> {
        let layer = catalog.get(id).expect(id);
        let i = layer.property_index(property).expect(property);
        layer
            .features()
            .filter_map(|f| {
                let c = geo::CoordsIter::coords_iter(f.wgs84).next()?;
                Some((Point::from(c), f.number(i).unwrap_or(0.0)))
            })
            .collect()
    };
    let vacancy = points("vacance_batiments", "NB_LOGVAC");
    let stock = points("rpls", "logements");
    let app = app(bourg::Catalog::load(&demo_layers()).expect("demo loads"));
    let ranked = sites(&app, "limit=300").await;
    assert_eq!(ranked.len(), 300);
    let bounds = |all: &[(Point<f64>, f64)], p: Point<f64>, r: f64, scale: f64| {
        let sum = |r: f64| -> f64 {
            all.iter()
                .filter(|(q, _)| Haversine.distance(p, *q) <= r)
                .map(|(_, n)| n)
                .sum()
        };
        (
            (sum(r - 1.0) / scale).min(1.0),
            (sum(r + 1.0) / scale).min(1.0),
        )
    };
    for s in &ranked {
        let p = Point::new(
            s["lon"].as_f64().expect("lon"),
            s["lat"].as_f64().expect("lat"),
        );
        for (component, all, r, scale) in [
            ("vacancy", &vacancy, 300.0, 30.0),
            ("stock", &stock, 500.0, 200.0),
        ] {
            let value = s["components"][component].as_f64().expect(component);
            let (lo, hi) = bounds(all, p, r, scale);
            assert!(
                value >= lo - 0.0006 && value <= hi + 0.0006,
                "{} {}: {component} {value} not in [{lo}, {hi}]",
                s["layer"],
                s["id"]
            );
        }
    }
}
