//! Drawn perimeters that cut communes: what is known per commune (population, LOVAC) is an
//! estimate pro-rated by area, a count of quartiers is "not computable", what is known by point
//! stays exact — never a false 0. Checked on the hand-built fixture (areas known by hand) and on
//! the demo data around Lens, with the communes' shares computed by GDAL (GEOS), not by Bourg.

use std::collections::BTreeMap;

use gdal::vector::{Geometry, LayerAccess};
use serde_json::{json, Value};

use crate::support::{app, demo_data, demo_layers, read_csv};
use crate::territories::{catalog, post};

fn square(west: f64, south: f64, east: f64, north: f64) -> Value {
    json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}})
}

fn indicator<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no indicator {id} in {body}"))
}

async fn stats(app: &axum::Router, polygon: &Value) -> Value {
    let (status, body) = post(
        app,
        "/api/territories/stats",
        "application/geo+json",
        polygon.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Points of a `lon;lat` fixture file inside a box, with a column's values.
fn fixture_points_inside(file: &str, b: (f64, f64, f64, f64), column: &str) -> Vec<String> {
    read_csv(&crate::support::fixture(&format!("territory/{file}")), ';')
        .into_iter()
        .filter(|r| {
            let (x, y): (f64, f64) = (
                r["lon"].parse().expect("lon"),
                r["lat"].parse().expect("lat"),
            );
            x >= b.0 && x <= b.2 && y >= b.1 && y <= b.3
        })
        .map(|r| r.get(column).cloned().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_perimeter_inside_one_commune_estimates_what_is_known_per_commune() {
    let app = app(catalog());
    // A quarter of Alpha (a 0.1° square): 0.05° × 0.05° inside it.
    let b = (2.015, 50.015, 2.065, 50.065);
    let body = stats(&app, &square(b.0, b.1, b.2, b.3)).await;
    assert_eq!(body["territory"]["communes"], 1);
    assert_eq!(body["territory"]["whole_communes"], 0);
    // Alpha has 1,000 inhabitants and 20 long-term vacant private dwellings (5 %).
    let pop = indicator(&body, "population");
    assert_eq!(pop["value"], 250, "{pop}");
    assert_eq!(pop["method"], "estimated");
    assert!(
        pop["note"].as_str().expect("note").contains("prorata"),
        "{pop}"
    );
    let vacancy = indicator(&body, "private_long_term_vacancy");
    assert_eq!(
        (&vacancy["value"], &vacancy["method"]),
        (&json!(5), &json!("estimated"))
    );
    let rate = indicator(&body, "private_long_term_vacancy_rate");
    assert_eq!(
        (&rate["value"], &rate["method"]),
        (&json!(5.0), &json!("estimated"))
    );
    // QPVs are known per commune only: not computable, not 0 and not Alpha's 2.
    let qpv = indicator(&body, "qpv");
    assert_eq!(
        (&qpv["value"], &qpv["method"]),
        (&Value::Null, &json!("not_computable"))
    );
    assert!(qpv["note"]
        .as_str()
        .expect("note")
        .contains("Non calculable"));
    // Counts of communes are those touched, and say so.
    let communes = indicator(&body, "communes");
    assert_eq!(communes["value"], 1);
    assert!(communes["note"]
        .as_str()
        .expect("note")
        .contains("0 entièrement, 1 en partie"));
    assert_eq!(indicator(&body, "acv_communes")["value"], 1);
    // Point data stays exact: the residences and brownfields inside the square, counted from
    // the fixture files.
    let dwellings = fixture_points_inside("residences.csv", b, "DEPCOM").len();
    let social = indicator(&body, "social_dwellings");
    assert_eq!(
        (&social["value"], &social["method"]),
        (&json!(dwellings), &json!("exact"))
    );
    assert!(social["note"].is_null());
}

#[tokio::test]
async fn a_perimeter_across_communes_pro_rates_each_by_its_share() {
    let app = app(catalog());
    // Half of Alpha, all of Bêta (LOVAC unpublished), half of Gamma.
    let body = stats(&app, &square(2.05, 50.0, 2.25, 50.1)).await;
    assert_eq!(body["territory"]["communes"], 3);
    assert_eq!(body["territory"]["whole_communes"], 1);
    assert_eq!(
        indicator(&body, "population")["value"],
        1000 / 2 + 500 + 200 / 2
    );
    // LOVAC from the file: Σ share × dwellings × rate, and the rate of those estimates.
    let shares = BTreeMap::from([("99001", 0.5), ("99002", 1.0), ("98001", 0.5)]);
    let (mut private, mut vacant) = (0.0, 0.0);
    for r in read_csv(&crate::support::fixture("territory/lovac.csv"), ',') {
        let (Some(share), Ok(n), Ok(p)) = (
            shares.get(r["insee_com"].as_str()),
            r["nb_log_pp"].parse::<f64>(),
            r["pct_vacants_plus_2ans_pp"].parse::<f64>(),
        ) else {
            continue;
        };
        private += share * n;
        vacant += share * n * p / 100.0;
    }
    assert!(vacant > 0.0);
    assert_eq!(
        indicator(&body, "private_long_term_vacancy")["value"],
        vacant.round() as i64
    );
    assert_eq!(
        indicator(&body, "private_long_term_vacancy_rate")["value"],
        json!((1000.0 * vacant / private).round() / 10.0)
    );
    assert_eq!(indicator(&body, "private_vacancy_unpublished")["value"], 1);
    assert_eq!(indicator(&body, "qpv")["method"], "not_computable");
}

#[tokio::test]
async fn a_perimeter_traced_on_whole_communes_is_exact() {
    let app = app(catalog());
    let body = stats(&app, &square(2.0, 50.0, 2.2, 50.1)).await;
    assert_eq!(body["territory"]["communes"], 2);
    assert_eq!(body["territory"]["whole_communes"], 2);
    for i in body["indicators"].as_array().expect("indicators") {
        assert_eq!(i["method"], "exact", "{i}");
    }
    assert_eq!(indicator(&body, "population")["value"], 1500);
    assert_eq!(indicator(&body, "qpv")["value"], 2);
}

/// Each demo commune's share of its area inside a WGS84 polygon and its population, by GDAL
/// (GEOS) reading the communes file itself.
fn gdal_shares(wkt: &str) -> BTreeMap<String, (f64, f64)> {
    let ds = gdal::Dataset::open(demo_data().join("communes_62_25_cog2025.geojson")).expect("open");
    let square = Geometry::from_wkt(wkt).expect("wkt");
    let mut layer = ds.layer(0).expect("layer");
    let mut out = BTreeMap::new();
    for f in layer.features() {
        let g = f.geometry().expect("geometry");
        if !g.intersects(&square) {
            continue;
        }
        let inside = g.intersection(&square).map_or(0.0, |i| i.area());
        let field = |name: &str| f.field_index(name).expect(name);
        let code = f
            .field_as_string(field("code"))
            .expect("code")
            .expect("a code");
        let pop = f
            .field_as_double(field("pmun22"))
            .expect("pmun22")
            .expect("a population");
        out.insert(code, (inside / g.area(), pop));
    }
    out
}

/// Dwellings (rows) of the synthetic RPLS file inside a WGS84 box.
fn rpls_rows_inside(b: (f64, f64, f64, f64)) -> usize {
    let text = std::fs::read_to_string(demo_data().join("synthetic/rpls.csv")).expect("rpls");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (x, y) = (col("X"), col("Y"));
    lines
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let cells: Vec<&str> = l.split(';').collect();
            let (lon, lat) = crate::support::lambert93::to_wgs84(
                cells[x].parse().expect("X"),
                cells[y].parse().expect("Y"),
            );
            lon >= b.0 && lon <= b.2 && lat >= b.1 && lat <= b.3
        })
        .count()
}

#[tokio::test]
async fn lens_perimeters_inside_one_commune_and_across_four_have_no_false_zero() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let app = app(catalog);
    for (b, touched) in [
        ((2.826, 50.427, 2.836, 50.434), 1),
        ((2.81, 50.42, 2.845, 50.44), 4),
    ] {
        let wkt = format!(
            "POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))",
            w = b.0,
            s = b.1,
            e = b.2,
            n = b.3
        );
        let shares = gdal_shares(&wkt);
        let body = stats(&app, &square(b.0, b.1, b.2, b.3)).await;
        assert_eq!(shares.len(), touched, "{shares:?}");
        assert_eq!(
            body["territory"]["communes"], touched,
            "{}",
            body["territory"]
        );
        // Population: Σ share × population, GDAL's shares against Bourg's (within 0.5 %).
        let expected: f64 = shares.values().map(|(s, p)| s * p).sum();
        let pop = indicator(&body, "population");
        let got = pop["value"].as_f64().expect("a population");
        assert!(
            expected > 100.0 && (got - expected).abs() <= expected * 0.005 + 1.0,
            "{got} vs {expected}"
        );
        assert_eq!(pop["method"], "estimated");
        // LOVAC: the estimate is positive, as the communes have long-term vacancy.
        let vacancy = indicator(&body, "private_long_term_vacancy");
        assert!(
            vacancy["value"].as_f64().expect("vacancy") > 0.0,
            "{vacancy}"
        );
        assert_eq!(indicator(&body, "qpv")["method"], "not_computable");
        assert_eq!(indicator(&body, "communes")["value"], touched);
        // Social dwellings stay exact: the RPLS rows inside, counted from the file.
        let dwellings = rpls_rows_inside(b);
        assert!(dwellings > 0);
        assert_eq!(indicator(&body, "social_dwellings")["value"], dwellings);
        // Nothing is 0 that is positive in the communes touched.
        for i in body["indicators"].as_array().expect("indicators") {
            if [
                "population",
                "private_long_term_vacancy",
                "private_long_term_vacancy_rate",
            ]
            .contains(&i["id"].as_str().unwrap_or_default())
            {
                assert!(i["value"].as_f64().is_some_and(|v| v > 0.0), "{i}");
            }
        }
    }
}
