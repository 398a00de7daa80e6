//! Loading fixtures in several formats and CRSs: counts, reports, typed values, coordinates.

use std::path::Path;

use bourg::layer::{Layer, Value};
use geo::{CoordsIter, Geometry};

use crate::support::{fixture, lambert93, toml_path, LayerDir};

const TOLERANCE_DEG: f64 = 1e-6;

fn fixtures_dir() -> LayerDir {
    let dir = LayerDir::new();
    dir.layer(
        "wgs84",
        &format!("path = {}", toml_path(&fixture("wgs84.geojson"))),
        "name = \"string\"\ncode = \"string\"\npop = \"int\"\nshare = \"float\"\nacv = \"bool\"",
    );
    dir.layer(
        "gpkg",
        &format!(
            "path = {}\nlayer = \"sites\"",
            toml_path(&fixture("lambert93.gpkg"))
        ),
        "nom = \"string\"\nlogements = \"int\"",
    );
    dir.layer(
        "fgb",
        &format!("path = {}", toml_path(&fixture("sites_lambert93.fgb"))),
        "nom = \"string\"\nlogements = \"int\"",
    );
    dir.layer(
        "rpls",
        &format!(
            "path = {}\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\nencoding = \"ISO-8859-1\"",
            toml_path(&fixture("rpls_lambert93.csv"))
        ),
        "DEPCOM = \"string\"\nLIBCOM = \"string\"\nNBPIECE = \"int\"\nSURFHAB = \"float\"\nCONSTRUCT = \"int\"",
    );
    dir
}

fn string(layer: &Layer, feature: usize, property: &str) -> String {
    let i = layer.property_index(property).expect("property");
    match &layer.value(feature, i) {
        Value::String(s) => s.to_string(),
        other => panic!("{property} is {other:?}"),
    }
}

fn value(layer: &Layer, feature: usize, property: &str) -> Value {
    let i = layer.property_index(property).expect("property");
    layer.value(feature, i).clone()
}

fn assert_close(actual: (f64, f64), expected: (f64, f64), what: &str) {
    assert!(
        (actual.0 - expected.0).abs() < TOLERANCE_DEG
            && (actual.1 - expected.1).abs() < TOLERANCE_DEG,
        "{what}: got {actual:?}, expected {expected:?}"
    );
}

#[test]
fn geojson_wgs84_counts_skips_and_repairs() {
    let catalog = fixtures_dir().load().expect("fixtures load");
    let layer = catalog.get("wgs84").expect("layer");
    let r = &layer.report;
    assert_eq!(r.read, 6);
    assert_eq!(layer.len(), 4, "{r:#?}");
    assert_eq!(r.empty.count, 1, "null geometry");
    assert_eq!(
        r.out_of_range.count, 1,
        "latitude 89 has no Web Mercator image"
    );
    assert_eq!(r.repaired.count, 1, "the bow-tie polygon");
    assert_eq!(r.invalid.count, 0);
    assert_eq!(r.invalid_values["pop"].count, 1, "\"beaucoup\" is no int");
    assert!(
        r.out_of_range.examples[0].starts_with("feature 5:"),
        "{:?}",
        r.out_of_range
    );
    // The first feature keeps its exact coordinates (no reprojection error on WGS84 → WGS84).
    let Geometry::Point(p) = layer.geometries.get(0).expect("geometry") else {
        panic!("not a point")
    };
    assert_close((p.x(), p.y()), (2.831938, 50.432211), "Lens");
    assert_eq!(string(layer, 0, "name"), "Lens");
    assert_eq!(value(layer, 0, "pop"), Value::Int(32000));
    assert_eq!(value(layer, 0, "share"), Value::Float(12.5));
    assert_eq!(value(layer, 0, "acv"), Value::Bool(true));
    // A numeric string converts to the configured int; null stays null.
    assert_eq!(value(layer, 1, "pop"), Value::Int(31000));
    assert_eq!(value(layer, 2, "share"), Value::Null);
    assert_eq!(string(layer, 1, "name"), "Carré Liévin");
}

#[test]
fn geopackage_and_flatgeobuf_in_lambert93_match_an_independent_inverse() {
    let catalog = fixtures_dir().load().expect("fixtures load");
    // (name, Lambert-93 vertices); FlatGeobuf's spatial index reorders features, so match by name.
    let source: Vec<(&str, Vec<(f64, f64)>)> = vec![
        ("Origine Lambert-93", vec![(700_000.0, 6_600_000.0)]),
        ("Lens hôtel de ville", vec![(686_948.0, 7_036_264.0)]),
        (
            "Îlot Besançon",
            vec![
                (927_000.0, 6_688_000.0),
                (928_500.0, 6_688_000.0),
                (928_500.0, 6_689_200.0),
                (927_000.0, 6_689_200.0),
                (927_000.0, 6_688_000.0),
            ],
        ),
    ];
    for id in ["gpkg", "fgb"] {
        let layer = catalog.get(id).expect("layer");
        assert_eq!(layer.len(), 3, "{id}");
        for (name, expected) in &source {
            let i = (0..layer.len())
                .find(|&i| string(layer, i, "nom") == *name)
                .unwrap_or_else(|| panic!("{id}: no feature {name}"));
            let coords: Vec<_> = layer
                .geometries
                .get(i)
                .expect("geometry")
                .coords_iter()
                .collect();
            assert_eq!(coords.len(), expected.len(), "{id} {name}");
            for (c, &(x, y)) in coords.iter().zip(expected) {
                assert_close((c.x, c.y), lambert93::to_wgs84(x, y), id);
            }
            let logements = value(layer, i, "logements");
            assert!(matches!(logements, Value::Int(_)), "{logements:?}");
        }
    }
    // The origin of Lambert-93 is 3° E, 46.5° N by definition.
    let origin = catalog
        .get("gpkg")
        .expect("layer")
        .geometries
        .get(0)
        .expect("geometry")
        .coords_iter()
        .next()
        .expect("coord");
    assert_close((origin.x, origin.y), (3.0, 46.5), "origin");
}

#[test]
fn rpls_csv_latin1_semicolons_lambert93() {
    let catalog = fixtures_dir().load().expect("fixtures load");
    let layer = catalog.get("rpls").expect("layer");
    let r = &layer.report;
    assert_eq!(r.read, 6);
    assert_eq!(layer.len(), 4, "{r:#?}");
    assert_eq!(r.empty.count, 1);
    assert_eq!(r.empty.examples, vec!["line 6: no coordinates".to_owned()]);
    assert_eq!(r.invalid.count, 1);
    assert!(
        r.invalid.examples[0].starts_with("line 7: coordinates (\"abc\""),
        "{:?}",
        r.invalid
    );
    assert_eq!(r.invalid_values["NBPIECE"].count, 1);
    assert!(r.invalid_values["NBPIECE"].examples[0].starts_with("line 5:"));
    // ISO-8859-1 decoded, INSEE codes kept as text, decimal commas read.
    assert_eq!(string(layer, 1, "LIBCOM"), "Liévin");
    assert_eq!(string(layer, 2, "LIBCOM"), "Besançon");
    assert_eq!(string(layer, 0, "DEPCOM"), "62498");
    assert_eq!(value(layer, 0, "SURFHAB"), Value::Float(65.5));
    assert_eq!(value(layer, 3, "NBPIECE"), Value::Null);
    let expected = [
        (686_948.0, 7_036_264.0),
        (682_500.5, 7_034_200.25),
        (927_800.0, 6_688_600.0),
        (686_950.0, 7_036_270.0),
    ];
    for (feature, &(x, y)) in layer.features().zip(&expected) {
        let c = feature.wgs84.coords_iter().next().expect("coord");
        assert_close((c.x, c.y), lambert93::to_wgs84(x, y), "rpls");
    }
}

#[test]
fn bounds_hold_every_feature() {
    let catalog = fixtures_dir().load().expect("fixtures load");
    for layer in catalog.layers() {
        let b = layer.bounds.expect("bounds");
        for f in layer.features() {
            for c in f.wgs84.coords_iter() {
                assert!(b.contains(c), "{}: {c:?} outside {b}", layer.id());
            }
        }
        // Every feature is found by a query over the layer's own bounds.
        assert_eq!(layer.index.count(&b), layer.len());
    }
}

/// A gzip-compressed CSV (here ISO-8859-1 with `;`) loads exactly as the plain file; a cut one
/// is an error naming the file, not a shorter layer.
#[test]
fn gzip_csv_loads_like_the_plain_file_and_a_cut_one_is_an_error() {
    let plain = std::fs::read(fixture("rpls_lambert93.csv")).expect("fixture");
    let tmp = tempfile::tempdir().expect("temp dir");
    let gz = tmp.path().join("rpls.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, &plain).expect("gzip");
    let compressed = encoder.finish().expect("gzip");
    std::fs::write(&gz, &compressed).expect("write");
    let layer_of = |path: &Path| {
        let dir = LayerDir::new();
        dir.layer(
            "rpls",
            &format!(
                "path = {}\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\nencoding = \"ISO-8859-1\"",
                toml_path(path)
            ),
            "DEPCOM = \"string\"\nLIBCOM = \"string\"\nNBPIECE = \"int\"\nSURFHAB = \"float\"",
        );
        dir.load()
    };
    let a = layer_of(&fixture("rpls_lambert93.csv")).expect("plain loads");
    let b = layer_of(&gz).expect("gzip loads");
    let (a, b) = (a.get("rpls").expect("layer"), b.get("rpls").expect("layer"));
    assert_eq!(a.len(), 4);
    assert_eq!(a.len(), b.len());
    for (fa, fb) in a.features().zip(b.features()) {
        assert_eq!(
            fa.values().collect::<Vec<_>>(),
            fb.values().collect::<Vec<_>>()
        );
        assert_eq!(fa.wgs84, fb.wgs84);
    }
    assert_eq!(string(b, 1, "LIBCOM"), "Liévin");

    std::fs::write(&gz, &compressed[..compressed.len() - 10]).expect("write");
    let err = crate::support::chain(&layer_of(&gz).expect_err("a cut gzip file fails"));
    assert!(
        err.contains("rpls.csv.gz: is not a whole gzip file"),
        "{err}"
    );
}
