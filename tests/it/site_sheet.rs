//! `GET /api/sites/{layer}/{id}`: a brownfield's sheet carries the CNIG fields as the extract
//! has them (read here with our test CSV reader, empty cells as null), a vacancy building's and a
//! residence's sheets say what and where; the scores agree with the list; unknown sites are 404s.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{app, demo_data, demo_layers, error_description, get_json, read_csv};

fn demo_app() -> axum::Router {
    app(bourg::Catalog::load(&demo_layers()).expect("demo loads"))
}

/// The sheet agrees with the site's row in a list made with the same weights.
fn same_as_row(sheet: &Value, row: &Value) {
    for key in [
        "kind",
        "label",
        "commune",
        "commune_name",
        "epci",
        "address",
        "score",
        "components",
        "points",
        "lon",
        "lat",
    ] {
        assert_eq!(sheet[key], row[key], "{key}");
    }
}

/// Communes' names and EPCI SIREN, EPCI names, from the files.
fn places() -> (BTreeMap<String, (String, String)>, BTreeMap<String, String>) {
    let read = |file: &str| -> geojson::FeatureCollection {
        std::fs::read_to_string(demo_data().join(file))
            .expect("read")
            .parse()
            .expect("GeoJSON")
    };
    let s = |f: &geojson::Feature, k: &str| {
        f.property(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let communes = read("communes_62_25_cog2025.geojson")
        .features
        .iter()
        .map(|f| (s(f, "code"), (s(f, "nom"), s(f, "epci"))))
        .collect();
    let epci = read("epci_62_25_cog2025.geojson")
        .features
        .iter()
        .map(|f| (s(f, "siren_epci"), s(f, "nom")))
        .collect();
    (communes, epci)
}

fn check_place(sheet: &Value) {
    let (communes, epci) = places();
    let (name, siren) = &communes[sheet["commune"].as_str().expect("commune")];
    assert_eq!(sheet["commune_name"].as_str(), Some(name.as_str()));
    assert_eq!(sheet["epci"]["siren"].as_str(), Some(siren.as_str()));
    assert_eq!(sheet["epci"]["name"].as_str(), Some(epci[siren].as_str()));
}

/// A property of the sheet by name.
fn property<'a>(sheet: &'a Value, name: &str) -> &'a Value {
    sheet["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["value"])
        .unwrap_or_else(|| panic!("no property {name}"))
}

#[tokio::test]
async fn a_brownfield_sheet_carries_the_cnig_fields() {
    let app = demo_app();
    let cnig: BTreeMap<String, BTreeMap<String, String>> =
        read_csv(&demo_data().join("cartofriches_cnig_62_25_2024.csv"), ',')
            .into_iter()
            .map(|r| (r["site_id"].clone(), r))
            .collect();
    // Lens: brownfields of the CNIG extract (Chaudronnerie Bracq, with a BRGM page).
    let (status, list) = get_json(
        &app,
        "/api/sites?territory=62498&kind=friche&limit=1000&weights=vacancy:0.7",
    )
    .await;
    assert_eq!(status, 200);
    let list = list["sites"].as_array().expect("sites").clone();
    let mut checked = 0;
    for row in &list {
        let uri = format!(
            "/api/sites/{}/{}?weights=vacancy:0.7",
            row["layer"].as_str().expect("layer"),
            row["id"]
        );
        let (status, sheet) = get_json(&app, &uri).await;
        assert_eq!(status, 200, "{uri}: {sheet}");
        same_as_row(&sheet, row);
        let site_id = property(&sheet, "site_id").as_str().expect("site_id");
        let Some(r) = cnig.get(site_id) else {
            assert_eq!(property(&sheet, "site_url"), &Value::Null);
            continue;
        };
        checked += 1;
        let text = |k: &str| -> Value {
            if r[k].is_empty() {
                Value::Null
            } else {
                Value::from(r[k].clone())
            }
        };
        for k in [
            "site_nom",
            "site_adresse",
            "site_url",
            "site_securite",
            "site_occupation",
            "activite_libelle",
            "comm_nom",
            "bati_type",
            "bati_pollution",
            "bati_etat",
            "proprio_type",
            "sol_pollution_existe",
            "sol_pollution_origine",
            "urba_zone_type",
            "urba_zone_lib",
            "urba_doc_type",
            "source_nom",
            "source_url",
        ] {
            assert_eq!(property(&sheet, k), &text(k), "{site_id} {k}");
        }
        let int = |k: &str| r[k].parse::<i64>().map_or(Value::Null, Value::from);
        let float = |k: &str| r[k].parse::<f64>().map_or(Value::Null, Value::from);
        assert_eq!(property(&sheet, "bati_nombre"), &int("bati_nombre"));
        assert_eq!(property(&sheet, "bati_surface"), &float("bati_surface"));
        assert_eq!(
            property(&sheet, "unite_fonciere_surface"),
            &float("unite_fonciere_surface")
        );
        // The source page, the address (the name when there is none), the title and label.
        let url = text("site_url");
        let want_url = if url.is_null() {
            text("source_url")
        } else {
            url
        };
        assert_eq!(sheet["source_url"], want_url);
        let address = if r["site_adresse"].is_empty() {
            text("site_nom")
        } else {
            text("site_adresse")
        };
        assert_eq!(sheet["address"], address);
        if !r["site_nom"].is_empty() {
            assert_eq!(sheet["title"], text("site_nom"));
            assert_eq!(
                sheet["label"].as_str(),
                Some(format!("Friche « {} » ({})", r["site_nom"], r["site_statut"]).as_str())
            );
        }
        assert_eq!(sheet["kind"], "friche");
        assert_eq!(sheet["synthetic"], false);
        assert_eq!(sheet["attribution"]["producer"], "Cerema (Cartofriches)");
        check_place(&sheet);
        let reasons = sheet["reasons"].as_array().expect("reasons");
        assert_eq!(reasons.len(), 7);
        assert!(reasons[6]
            .as_str()
            .expect("text")
            .starts_with("Fragilité : sans objet"));
        match r["unite_fonciere_surface"].parse::<f64>() {
            Ok(_) => assert!(reasons[4]
                .as_str()
                .expect("text")
                .contains("unité foncière de")),
            Err(_) => assert!(reasons[4].as_str().expect("text").contains("inconnue")),
        }
    }
    assert!(checked >= 2, "{checked} brownfields of the extract in Lens");
}

#[tokio::test]
async fn vacancy_and_residence_sheets_say_what_and_where() {
    let app = demo_app();
    let (_, list) = get_json(
        &app,
        "/api/sites?territory=62510&kind=vacance,residence&limit=1000",
    )
    .await;
    let list = list["sites"].as_array().expect("sites").clone();
    let vacancy = list
        .iter()
        .find(|s| s["kind"] == "vacance")
        .expect("vacancy");
    let residence = list
        .iter()
        .find(|s| s["kind"] == "residence")
        .expect("residence");
    for row in [vacancy, residence] {
        let (status, sheet) = get_json(
            &app,
            &format!(
                "/api/sites/{}/{}",
                row["layer"].as_str().expect("l"),
                row["id"]
            ),
        )
        .await;
        assert_eq!(status, 200, "{sheet}");
        same_as_row(&sheet, row);
        check_place(&sheet);
        assert_eq!(sheet["synthetic"], true);
        assert_eq!(sheet["source_url"], Value::Null);
        // Points are the components' shares and add up to the score.
        let points: f64 = sheet["points"]
            .as_object()
            .expect("points")
            .values()
            .map(|v| v.as_f64().expect("points"))
            .sum();
        assert!((points - sheet["score"].as_f64().expect("score")).abs() < 0.05);
        // Every property of the layer, in schema order.
        let (_, layer) = get_json(
            &app,
            &format!("/layers/{}", row["layer"].as_str().expect("l")),
        )
        .await;
        let names: Vec<&Value> = sheet["properties"]
            .as_array()
            .expect("properties")
            .iter()
            .map(|p| &p["name"])
            .collect();
        let schema: Vec<&Value> = layer["properties"]
            .as_array()
            .expect("schema")
            .iter()
            .map(|p| &p["name"])
            .collect();
        assert_eq!(names, schema);
        let reasons: Vec<&str> = sheet["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r.as_str().expect("text"))
            .collect();
        let vacant = sheet["facts"]["vacant_300m"].as_f64().expect("facts") as i64;
        assert!(
            reasons[0].starts_with(&format!("Vacance alentour : {vacant} logement")),
            "{}",
            reasons[0]
        );
    }
    // The vacancy building: no address in the data, a label in agreement with its numbers.
    let (_, sheet) = get_json(
        &app,
        &format!(
            "/api/sites/{}/{}",
            vacancy["layer"].as_str().expect("l"),
            vacancy["id"]
        ),
    )
    .await;
    assert_eq!(sheet["address"], Value::Null);
    let n = property(&sheet, "NB_LOGVAC").as_i64().expect("NB_LOGVAC");
    let years = property(&sheet, "DUREE_VACANCE").as_i64().expect("years");
    let word = |k: i64, one: &str, many: &str| format!("{k} {}", if k < 2 { one } else { many });
    assert_eq!(
        sheet["label"].as_str(),
        Some(
            format!(
                "{} depuis {}",
                word(n, "logement vacant", "logements vacants"),
                word(years, "an", "ans")
            )
            .as_str()
        )
    );
    // The residence: its street address from the RPLS fields.
    let (_, sheet) = get_json(
        &app,
        &format!(
            "/api/sites/{}/{}",
            residence["layer"].as_str().expect("l"),
            residence["id"]
        ),
    )
    .await;
    let part = |k: &str| match property(&sheet, k) {
        Value::Null => String::new(),
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    };
    let address: Vec<String> = ["NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE"]
        .iter()
        .map(|k| part(k))
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(sheet["address"].as_str(), Some(address.join(" ").as_str()));
    assert!(sheet["label"]
        .as_str()
        .expect("label")
        .starts_with(&format!("Résidence {}", address.join(" "))));
}

/// The rank is the site's among the default candidates (read from the default GeoJSON download,
/// which holds all of them); a site outside them has none but is still scored.
#[tokio::test]
async fn the_rank_is_among_the_default_candidates() {
    let app = demo_app();
    let (status, _, body) = crate::support::send(
        &app,
        axum::http::Request::get("/api/sites?f=geojson")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_slice(&body).expect("GeoJSON");
    let features = doc["features"].as_array().expect("features");
    for f in [&features[0], &features[features.len() / 2]] {
        let p = &f["properties"];
        let (status, sheet) = get_json(
            &app,
            &format!("/api/sites/{}/{}", p["layer"].as_str().expect("l"), p["id"]),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(sheet["rank"], p["rank"]);
        assert_eq!(sheet["score"], p["score"]);
    }
    // A brownfield of the Doubs far from any programme commune, found in the département list.
    let (_, list) = get_json(&app, "/api/sites?territory=25&kind=friche&limit=1000").await;
    let far = list["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|s| s["components"]["perimeter"] == 0.0)
        .expect("a brownfield far from the programmes");
    let (_, sheet) = get_json(
        &app,
        &format!(
            "/api/sites/{}/{}",
            far["layer"].as_str().expect("l"),
            far["id"]
        ),
    )
    .await;
    assert_eq!(sheet["rank"], Value::Null);
    assert_eq!(sheet["score"], far["score"]);
    assert!(sheet["reasons"][1]
        .as_str()
        .expect("text")
        .contains("ni dans une commune ACV, PVD ou ORT"));
}

#[tokio::test]
async fn unknown_sites_are_404s_and_bad_parameters_400s() {
    let app = demo_app();
    for (uri, words) in [
        ("/api/sites/nope/1", "no layer \"nope\""),
        ("/api/sites/communes/1", "holds no recycling sites"),
        ("/api/sites/friches/99999999", "no site \"99999999\""),
        ("/api/sites/friches/abc", "no site \"abc\""),
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, 404, "{uri}: {body}");
        assert!(error_description(&body).contains(words), "{uri}: {body}");
    }
    for (uri, words) in [
        (
            "/api/sites/friches/0?limit=3",
            "unknown query parameter \"limit\"",
        ),
        ("/api/sites/friches/0?weights=speed:1", "unknown component"),
        ("/api/sites/friches/0?fragility_min=-1", "fragility_min"),
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert!(error_description(&body).contains(words), "{uri}: {body}");
    }
}
