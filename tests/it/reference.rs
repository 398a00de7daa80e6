//! The national reference of the demo (`layers/reference`) equals counts made here from the
//! national files themselves, read without GDAL: the commune polygons (not the points Bourg
//! reads), LOVAC, zonage, QPV, Cartofriches, ACV and PVD tables.

use std::collections::{BTreeMap, HashMap, HashSet};

use geo::{Contains, MultiPolygon, Point};
use serde_json::{json, Value};

use crate::support::{app, demo_data, demo_layers, get_json, read_csv, read_text};

fn france(file: &str) -> std::path::PathBuf {
    demo_data().join("france").join(file)
}

#[test]
fn national_values_equal_independent_counts_of_the_files() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let reference = catalog
        .reference
        .clone()
        .expect("the demo has a national reference");
    let value = |id: &str| reference.value(id);

    // Communes and population from the national polygons.
    let polygons: geojson::FeatureCollection =
        read_text(&france("communes_france_simplifiees_cog2025.geojson.gz"))
            .parse()
            .expect("GeoJSON");
    let mut population = 0;
    let mut shapes: HashMap<String, MultiPolygon<f64>> = HashMap::new();
    for f in polygons.features {
        let code = f
            .property("code")
            .and_then(Value::as_str)
            .expect("code")
            .to_owned();
        population += f.property("pmun22").and_then(Value::as_i64).unwrap_or(0);
        let g: geo::Geometry<f64> = f.geometry.expect("geometry").value.try_into().expect("geo");
        let mp = match g {
            geo::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            other => panic!("{code}: {other:?}"),
        };
        shapes.insert(code, mp);
    }
    assert_eq!(reference.communes, 34_867);
    assert_eq!(reference.communes, shapes.len());
    assert_eq!(value("communes"), json!(shapes.len()));
    assert_eq!(value("population"), json!(population));
    assert!(population > 67_000_000, "{population}");

    // The points Bourg reads are each inside their commune's polygon.
    let points = read_csv(&france("communes_france_points_cog2025.csv.gz"), ',');
    assert_eq!(points.len(), shapes.len());
    for p in &points {
        let xy = Point::new(p["lon"].parse().unwrap(), p["lat"].parse().unwrap());
        assert!(shapes[&p["code"]].contains(&xy), "{} {xy:?}", p["code"]);
    }
    let codes: HashSet<&str> = shapes.keys().map(String::as_str).collect();

    // LOVAC over the communes of the COG (figures of merged or arrondissement codes do not join).
    let (mut private, mut vacant, mut published) = (0.0, 0.0, HashSet::new());
    for r in read_csv(&france("lovac_vacance_longue_communes_2021.csv.gz"), ',') {
        let (Ok(n), Ok(pct)) = (
            r["nb_log_pp"].parse::<f64>(),
            r["pct_vacants_plus_2ans_pp"].parse::<f64>(),
        ) else {
            continue;
        };
        if codes.contains(r["insee_com"].as_str()) {
            private += n;
            vacant += n * pct / 100.0;
            published.insert(r["insee_com"].clone());
        }
    }
    assert_eq!(
        value("private_long_term_vacancy"),
        json!(vacant.round() as i64)
    );
    assert_eq!(
        value("private_long_term_vacancy_rate"),
        json!((1000.0 * vacant / private).round() / 10.0)
    );
    assert_eq!(
        value("private_vacancy_unpublished"),
        json!(codes.len() - published.len())
    );

    // Zonage: communes per zone.
    let zoned: HashMap<String, String> = read_csv(&france("zonage_abc_communes.csv.gz"), ',')
        .into_iter()
        .map(|r| (r["insee_com"].clone(), r["zonage_abc"].clone()))
        .collect();
    let mut zones: BTreeMap<String, usize> = BTreeMap::new();
    for code in &codes {
        let zone = zoned.get(*code).map_or("non renseigné", String::as_str);
        *zones.entry(zone.to_owned()).or_default() += 1;
    }
    assert_eq!(zones["non renseigné"], 4);
    assert_eq!(value("zonage_abc"), json!(zones));

    // QPV: each commune's number of quartiers, once per commune.
    let qpv: HashMap<String, i64> = read_csv(&france("qpv2024_communes.csv.gz"), ',')
        .into_iter()
        .filter(|r| codes.contains(r["insee_com"].as_str()))
        .map(|r| {
            (
                r["insee_com"].clone(),
                r["n_qp_in_commune"].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(value("qpv"), json!(qpv.values().sum::<i64>()));

    // Brownfields, ACV and PVD communes: rows of their tables in the communes of the COG.
    // (Sites whose commune code is no longer in the COG 2025, merged since, are not counted.)
    let friches = read_csv(&france("cartofriches_sites_2023.csv.gz"), ',');
    let current = friches
        .iter()
        .filter(|r| codes.contains(r["insee_com"].as_str()))
        .count();
    assert_eq!(value("brownfields"), json!(current));
    assert!(friches.len() == 21_803 && current > 21_700, "{current}");
    assert_eq!(
        value("acv_communes"),
        json!(read_csv(&france("acv_communes.csv.gz"), ',').len())
    );
    assert_eq!(
        value("pvd_communes"),
        json!(read_csv(&france("pvd_communes.csv.gz"), ',').len())
    );

    // No national value for the synthetic social stock.
    for id in [
        "social_dwellings",
        "social_vacancy",
        "dpe_fg",
        "median_year",
    ] {
        assert_eq!(value(id), Value::Null, "{id}");
    }
}

#[tokio::test]
async fn the_sheet_of_lens_compares_with_france() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let reference = catalog.reference.clone().expect("reference");
    let app = app(catalog);
    let (status, body) = get_json(&app, "/api/territories/62498").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["france"],
        json!({"name": "France", "communes": 34_867})
    );
    let indicator = |id: &str| {
        body["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let rate = indicator("private_long_term_vacancy_rate");
    assert_eq!(
        rate["france"],
        reference.value("private_long_term_vacancy_rate")
    );
    assert!(
        rate["france"].as_f64().is_some_and(|v| v > 1.0 && v < 10.0),
        "{rate}"
    );
    assert_eq!(rate["france_source"]["date"], "2021-01-01");
    assert!(indicator("social_vacancy")["france"].is_null());
}
