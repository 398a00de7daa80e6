//! Domain layers: RPLS dwellings grouped into residences, totals per commune, programme
//! perimeters, QPV membership, a user-supplied ORT perimeter — each checked against an
//! independent count of the source files.

use std::collections::{BTreeMap, BTreeSet};

use bourg::layer::{Layer, Value};
use geo::Contains;

use crate::support::{demo_data, demo_layers, fixture, lambert93, read_csv, toml_path, LayerDir};

fn value(layer: &Layer, i: usize, name: &str) -> Value {
    layer
        .value(
            i,
            layer
                .property_index(name)
                .unwrap_or_else(|| panic!("no {name}")),
        )
        .clone()
}

fn int(layer: &Layer, i: usize, name: &str) -> i64 {
    match value(layer, i, name) {
        Value::Int(n) => n,
        other => panic!("{name} = {other:?}"),
    }
}

const RPLS_GROUPING: &str = r#"
[group]
by = ["X", "Y"]
count = "logements"
[group.count_if]
vacants = { column = "OCCUPATION", values = ["vacant"] }
vides = { column = "OCCUPATION", values = ["vide"] }
[group.count_by]
DPEENERGIE = { prefix = "dpe_", values = ["A", "B", "C", "D", "E", "F", "G"], other = "dpe_inconnu" }
NBPIECE = { prefix = "t", values = ["1", "2", "3", "4"], other = "t5_plus" }
[group.any]
en_qpv = "QPV"
"#;

fn rpls_dir() -> LayerDir {
    let dir = LayerDir::new();
    dir.write(
        "rpls",
        &format!(
            "title = \"RPLS\"\nsynthetic = true\n[source]\npath = {}\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\n[properties]\nDEPCOM = \"string\"\nLIBCOM = \"string\"\nBAILLEUR = \"string\"\nCONSTRUCT = \"int\"\nNBPIECE = \"int\"\n{RPLS_GROUPING}\n[attribution]\nproducer = \"T\"\ndate = \"1\"\n",
            toml_path(&fixture("rpls_residences.csv"))
        ),
    );
    dir.write(
        "rpls_communes",
        &format!(
            "title = \"RPLS par commune\"\nsynthetic = true\n[source]\npath = {}\n[properties]\ncode = \"string\"\nnom = \"string\"\n[totals]\nlayer = \"rpls\"\nkey = \"DEPCOM\"\non = \"code\"\nsums = [\"logements\", \"vacants\", \"dpe_F\", \"dpe_G\"]\n[attribution]\nproducer = \"T\"\ndate = \"1\"\n",
            toml_path(&demo_data().join("communes_62_25_cog2025.geojson"))
        ),
    );
    dir
}

#[test]
fn dwellings_group_into_residences_with_counts() {
    let catalog = rpls_dir().load().expect("loads");
    let rpls = catalog.get("rpls").expect("rpls");
    let rows = read_csv(&fixture("rpls_residences.csv"), ';');
    // Independent grouping of the file by coordinates.
    let mut by_xy: BTreeMap<(String, String), Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for r in &rows {
        if !r["X"].is_empty() {
            by_xy
                .entry((r["X"].clone(), r["Y"].clone()))
                .or_default()
                .push(r);
        }
    }
    assert_eq!(rpls.len(), by_xy.len());
    assert_eq!(rpls.report.read as usize, rows.len());
    assert_eq!(rpls.report.empty.count, 1, "the row without coordinates");
    assert_eq!(rpls.report.grouped_rows as usize, rows.len() - 1);
    assert_eq!(rpls.report.invalid_values["NBPIECE"].count, 1, "\"deux\"");
    assert!(
        rpls.report.invalid_values["NBPIECE"].examples[0].starts_with("line 8:"),
        "{:?}",
        rpls.report.invalid_values
    );
    let total: i64 = (0..rpls.len()).map(|i| int(rpls, i, "logements")).sum();
    assert_eq!(total as usize, rows.len() - 1);
    for (i, f) in rpls.features().enumerate() {
        let c = geo::CoordsIter::coords_iter(f.wgs84).next().expect("point");
        let key = by_xy
            .keys()
            .find(|(x, y)| {
                let (lon, lat) = lambert93::to_wgs84(x.parse().expect("x"), y.parse().expect("y"));
                (lon - c.x).abs() < 1e-6 && (lat - c.y).abs() < 1e-6
            })
            .expect("residence at a file position")
            .clone();
        let group = &by_xy[&key];
        let count = |col: &str, v: &str| group.iter().filter(|r| r[col] == v).count() as i64;
        assert_eq!(int(rpls, i, "logements"), group.len() as i64);
        assert_eq!(int(rpls, i, "vacants"), count("OCCUPATION", "vacant"));
        assert_eq!(int(rpls, i, "vides"), count("OCCUPATION", "vide"));
        for dpe in ["A", "B", "C", "D", "E", "F", "G"] {
            assert_eq!(
                int(rpls, i, &format!("dpe_{dpe}")),
                count("DPEENERGIE", dpe)
            );
        }
        assert_eq!(int(rpls, i, "t2"), count("NBPIECE", "2"));
        assert_eq!(
            int(rpls, i, "t5_plus"),
            group
                .iter()
                .filter(|r| !["1", "2", "3", "4"].contains(&r["NBPIECE"].as_str()))
                .count() as i64
        );
        assert_eq!(
            value(rpls, i, "en_qpv"),
            Value::Bool(group.iter().any(|r| !r["QPV"].is_empty()))
        );
        assert_eq!(
            value(rpls, i, "LIBCOM"),
            Value::String(group[0]["LIBCOM"].as_str().into()),
            "kept from the first row"
        );
    }
}

#[test]
fn totals_per_commune_equal_the_file_and_report_merged_codes() {
    let catalog = rpls_dir().load().expect("loads");
    let communes = catalog.get("rpls_communes").expect("totals layer");
    let rows = read_csv(&fixture("rpls_residences.csv"), ';');
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r["X"].is_empty()) {
        *expected.entry(r["DEPCOM"].clone()).or_default() += 1;
    }
    let code = communes.property_index("code").expect("code");
    for (i, f) in communes.features().enumerate() {
        let Value::String(c) = &f.get(code).expect("property") else {
            panic!()
        };
        match expected.get(&**c) {
            Some(n) => assert_eq!(int(communes, i, "logements"), *n, "{c}"),
            None => assert_eq!(value(communes, i, "logements"), Value::Null, "{c}"),
        }
    }
    let report = &communes.report.joins[0];
    assert_eq!(report.table, "layer rpls");
    assert_eq!(
        report.unmatched_keys,
        vec!["62461".to_owned()],
        "a merged commune is reported"
    );
    assert_eq!(report.matched, 3);
}

#[test]
fn totals_layer_errors_name_the_problem() {
    let dir = rpls_dir();
    let text = std::fs::read_to_string(dir.path().join("rpls_communes.toml")).expect("read");
    std::fs::write(
        dir.path().join("rpls_communes.toml"),
        text.replace("\"vacants\",", "\"BAILLEUR\","),
    )
    .expect("write");
    let err = crate::support::chain(&dir.load().expect_err("must fail"));
    assert!(err.contains("rpls_communes.toml: totals of layer rpls: property \"BAILLEUR\" of layer \"rpls\" is not a number"), "{err}");
    std::fs::write(
        dir.path().join("rpls_communes.toml"),
        text.replace("layer = \"rpls\"", "layer = \"nope\""),
    )
    .expect("write");
    let err = crate::support::chain(&dir.load().expect_err("must fail"));
    assert!(
        err.contains("layer \"nope\" is not a grouped layer of the catalogue"),
        "{err}"
    );
}

#[test]
fn demo_perimeters_hold_the_programme_towns() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let codes = |id: &str| -> BTreeSet<String> {
        let l = catalog.get(id).expect(id);
        (0..l.len())
            .map(|i| match value(l, i, "code") {
                Value::String(s) => s.to_string(),
                v => panic!("{v:?}"),
            })
            .collect()
    };
    let listed = |file: &str| -> BTreeSet<String> {
        let text = std::fs::read_to_string(demo_data().join(file)).expect("read");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        doc["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                f["properties"]["insee_com"]
                    .as_str()
                    .expect("code")
                    .to_owned()
            })
            .collect()
    };
    let acv = codes("perimetres_acv");
    assert_eq!(acv, listed("acv_communes_62_25.geojson"));
    for town in ["62498", "62510", "62041", "62119", "25056"] {
        assert!(
            acv.contains(town),
            "{town} (Lens, Liévin, Arras, Béthune, Besançon)"
        );
    }
    assert!(!acv.contains("25462"), "Pontarlier is in neither real list");
    assert_eq!(
        codes("perimetres_pvd"),
        listed("pvd_communes_62_25.geojson")
    );
    // ORT status joined: Lens's convention is signed.
    let p = catalog.get("perimetres_acv").expect("acv");
    let lens = (0..p.len())
        .find(|&i| value(p, i, "code") == Value::String("62498".into()))
        .expect("Lens");
    assert_eq!(value(p, lens, "ort_signee"), Value::String("Signée".into()));
    assert_eq!(
        value(p, lens, "lib_acv"),
        Value::String("Lens - Liévin".into())
    );
    // QPV: one feature per commune with a QPV, every QPV code listed.
    let qpv_rows = read_csv(&demo_data().join("qpv2024_communes_62_25.csv"), ',');
    let communes_with_qpv: BTreeSet<String> =
        qpv_rows.iter().map(|r| r["insee_com"].clone()).collect();
    assert_eq!(codes("qpv"), communes_with_qpv);
    let q = catalog.get("qpv").expect("qpv");
    let listed_codes: usize = (0..q.len())
        .map(|i| match value(q, i, "code_qp") {
            Value::String(s) => s.split(", ").count(),
            v => panic!("{v:?}"),
        })
        .sum();
    assert_eq!(listed_codes, qpv_rows.len());
}

#[test]
fn user_ort_perimeter_shapefile_in_lambert93_loads() {
    let dir = LayerDir::new();
    dir.layer(
        "ort_lens",
        &format!("path = {}", toml_path(&fixture("ort_perimetre_lens.shp"))),
        "nom = \"string\"\nsignature = \"string\"",
    );
    let catalog = dir.load().expect("loads");
    let ort = catalog.get("ort_lens").expect("layer");
    assert_eq!(ort.len(), 1);
    assert_eq!(
        value(ort, 0, "nom"),
        Value::String("ORT Lens centre".into())
    );
    let (lon, lat) = lambert93::to_wgs84(686_948.0, 7_036_264.0);
    assert!(
        ort.geometries
            .get(0)
            .expect("geometry")
            .contains(&geo::Point::new(lon, lat)),
        "holds Lens town hall"
    );
    let corner = geo::CoordsIter::coords_iter(ort.geometries.get(0).expect("geometry"))
        .next()
        .expect("vertex");
    let (x, y) = lambert93::to_wgs84(686_000.0, 7_035_500.0);
    assert!((corner.x - x).abs() < 1e-6 && (corner.y - y).abs() < 1e-6);
}
