//! The demo region in `layers/`: every layer loads, with counts checked against the files.

use bourg::bbox::BboxWgs84;
use bourg::layer::Value;
use geo::{Contains, Point};

use crate::support::{app, demo_data, demo_layers, get_json};

/// Features of a GeoJSON file, counted with serde_json rather than GDAL.
fn geojson_count(name: &str) -> usize {
    let text = std::fs::read_to_string(demo_data().join(name)).expect("demo file");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("GeoJSON");
    doc["features"].as_array().expect("features").len()
}

/// Data rows of a plain CSV file (no quoted line breaks), counted by lines.
fn csv_rows(name: &str) -> usize {
    let text = std::fs::read_to_string(demo_data().join(name)).expect("demo file");
    text.lines().filter(|l| !l.trim().is_empty()).count() - 1
}

/// Rows, distinct X;Y positions and Lens rows of the synthetic RPLS file, by plain splitting.
fn rpls_file_counts() -> (usize, usize, usize) {
    let text = std::fs::read_to_string(demo_data().join("synthetic/rpls.csv")).expect("rpls");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (x, y, dep) = (col("X"), col("Y"), col("DEPCOM"));
    let mut positions = std::collections::HashSet::new();
    let (mut rows, mut lens) = (0, 0);
    for line in lines.filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(';').collect();
        rows += 1;
        positions.insert((cells[x].to_owned(), cells[y].to_owned()));
        lens += usize::from(cells[dep] == "62498");
    }
    (rows, positions.len(), lens)
}

#[tokio::test]
async fn demo_layers_are_listed_with_counts_and_bounds() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let app = app(catalog);
    let (status, body) = get_json(&app, "/layers").await;
    assert_eq!(status, 200);
    let layers = body["layers"].as_array().expect("layers");
    assert!(layers.len() >= 6, "{} layers", layers.len());
    for l in layers {
        assert!(l["feature_count"].as_u64().unwrap_or(0) > 0, "{}", l["id"]);
        assert!(l["attribution"]["producer"].is_string());
        assert!(l["attribution"]["date"].is_string());
        assert!(l["attribution"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("Licence Ouverte"));
        let synthetic = ["rpls", "rpls_communes", "vacance_batiments"]
            .contains(&l["id"].as_str().unwrap_or(""));
        assert_eq!(l["synthetic"], synthetic, "{}", l["id"]);
    }
    let communes = layers
        .iter()
        .find(|l| l["id"] == "communes")
        .expect("communes");
    let b: Vec<f64> = communes["bounds"]
        .as_array()
        .expect("bounds")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    // Lens, 50.43 N 2.83 E, lies inside; so does Besançon, 47.24 N 6.02 E.
    for (lon, lat) in [(2.83, 50.43), (6.02, 47.24)] {
        assert!(
            b[0] < lon && lon < b[2] && b[1] < lat && lat < b[3],
            "{b:?}"
        );
    }
    assert_eq!(communes["geometry_type"], "Polygon");
}

#[test]
fn demo_counts_equal_an_independent_count_of_the_files() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let count = |id: &str| catalog.get(id).expect(id).len();
    assert_eq!(
        count("communes"),
        geojson_count("communes_62_25_cog2025.geojson")
    );
    assert_eq!(
        count("communes"),
        887 + 563,
        "PROVENANCE: 887 (62) and 563 (25)"
    );
    assert_eq!(count("departements"), 2);
    assert_eq!(count("epci"), geojson_count("epci_62_25_cog2025.geojson"));
    assert_eq!(count("acv"), geojson_count("acv_communes_62_25.geojson"));
    assert_eq!(count("pvd"), geojson_count("pvd_communes_62_25.geojson"));
    assert_eq!(
        count("friches"),
        csv_rows("cartofriches_sites_62_25_2023.csv")
    );
    assert_eq!(
        count("friches"),
        564 + 157,
        "PROVENANCE: 564 sites in 62, 157 in 25"
    );
    assert_eq!(count("ort"), csv_rows("ort_conventions_62_25.csv"));
    // Dwellings become residences: one per distinct position, every row counted.
    let rpls = catalog.get("rpls").expect("rpls");
    let (rows, positions, lens) = rpls_file_counts();
    assert_eq!(rpls.report.grouped_rows as usize, rows);
    assert_eq!(count("rpls"), positions);
    assert_eq!(
        count("rpls"),
        csv_rows("synthetic/rpls.csv") - (rows - positions)
    );
    // Commune totals add up to the file, and Lens's equals its rows.
    let totals = catalog.get("rpls_communes").expect("rpls_communes");
    let logements = totals.property_index("logements").expect("logements");
    let code = totals.property_index("code").expect("code");
    let mut sum = 0;
    for f in totals.features() {
        if let Value::Int(n) = f.get(logements).expect("property") {
            sum += n as usize;
            if f.get(code).expect("property") == Value::String("62498".into()) {
                assert_eq!(n as usize, lens, "Lens");
            }
        }
    }
    assert_eq!(sum, rows, "every dwelling lands in a commune");
    assert_eq!(
        count("vacance_batiments"),
        csv_rows("synthetic/vacance_batiments.csv")
    );
    for layer in catalog.layers() {
        assert_eq!(
            layer.report.skipped(),
            0,
            "{}: {:#?}",
            layer.id(),
            layer.report
        );
    }
}

#[test]
fn lovac_join_accounts_for_every_row() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let lovac = catalog.get("lovac").expect("lovac");
    let join = &lovac.report.joins[0];
    assert_eq!(
        join.rows as usize,
        csv_rows("lovac_communes_62_25_2021.csv")
    );
    assert_eq!(join.matched + join.unmatched_features, lovac.len() as u64);
    assert_eq!(
        join.matched + join.unmatched_rows + join.empty_keys + join.duplicate_keys.count,
        join.rows
    );
    // Lens has a published LOVAC share.
    let code = lovac.property_index("code").expect("code");
    let share = lovac
        .property_index("pct_vacants_plus_2ans_pp")
        .expect("share");
    let lens = lovac
        .features()
        .find(|f| f.get(code).expect("property") == Value::String("62498".into()))
        .expect("Lens");
    assert!(matches!(lens.get(share).expect("property"), Value::Float(v) if v > 0.0 && v < 100.0));
}

#[test]
fn rtree_finds_the_commune_containing_lens() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let communes = catalog.get("communes").expect("communes");
    let lens = Point::new(2.8319, 50.4322);
    let bbox = BboxWgs84::try_new(2.8318, 50.4321, 2.8320, 50.4323).expect("bbox");
    let code = communes.property_index("code").expect("code");
    let containing: Vec<_> = communes
        .query(&bbox)
        .filter(|(_, f)| f.wgs84.contains(&lens))
        .map(|(_, f)| f.get(code).expect("property").clone())
        .collect();
    assert_eq!(containing, vec![Value::String("62498".into())]);
    // The same answer by brute force over every commune.
    let brute: Vec<_> = communes
        .features()
        .filter(|f| f.wgs84.contains(&lens))
        .map(|f| f.get(code).expect("property").clone())
        .collect();
    assert_eq!(containing, brute);
}
