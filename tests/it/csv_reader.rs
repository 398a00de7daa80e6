//! The fast delimited-text reader gives exactly what GDAL's CSV driver gives: same features in
//! the same order, same geometries to the bit, same properties, same load report.

use bourg::config::{load_file, LayerConfig};
use bourg::layer::{load, Layer, Reading};

use crate::support::{demo_layers, LayerDir};

fn same(config: &LayerConfig, reading: Reading) {
    let gdal = load(config, None, Reading::Gdal, None).expect("GDAL reads it");
    let fast = load(config, None, reading, None).expect("the fast reader reads it");
    assert_equal(&gdal, &fast, &config.id);
}

fn assert_equal(gdal: &Layer, fast: &Layer, what: &str) {
    assert_eq!(gdal.len(), fast.len(), "{what}: features");
    assert_eq!(gdal.schema, fast.schema, "{what}: schema");
    for (a, b) in gdal.features().zip(fast.features()) {
        assert_eq!(a.wgs84, b.wgs84, "{what}: geometry of feature {}", a.id);
        assert_eq!(
            a.values().collect::<Vec<_>>(),
            b.values().collect::<Vec<_>>(),
            "{what}: properties of feature {}",
            a.id
        );
    }
    let (mut ra, mut rb) = (gdal.report.clone(), fast.report.clone());
    ra.load_ms = 0.0;
    rb.load_ms = 0.0;
    assert_eq!(ra, rb, "{what}: load report");
}

#[test]
fn demo_csv_layers_read_the_same_as_gdal() {
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(demo_layers()).expect("demo folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let config = load_file(&path).expect("layer file");
        if !config.source.is_csv() || config.source.xy.is_none() {
            continue;
        }
        for workers in [1, 2, 5] {
            same(&config, Reading::FastWith(workers));
        }
        checked.push(config.id.clone());
    }
    checked.sort();
    // The synthetic RPLS (grouped, 5.3 dwellings per residence on average) and vacancy files,
    // and the real brownfield and ORT tables.
    assert_eq!(checked, ["friches", "ort", "rpls", "vacance_batiments"]);
}

/// Quoted delimiters, doubled quotes, a line break inside quotes, blank lines, a BOM, CRLF line
/// ends, short rows, empty and non-numeric coordinates, values that do not convert, points out
/// of range, and groups whose rows are spread over the whole file.
#[test]
fn awkward_text_reads_the_same_as_gdal() {
    let dir = LayerDir::new();
    let mut csv = String::from("\u{feff}id;name;n;x;y;kind\r\n");
    for i in 0..400 {
        let name = match i % 7 {
            0 => "\"Rue \"\"du\"\" Moulin; bis\"".to_owned(),
            1 => "\"deux\nlignes\"".to_owned(),
            2 => String::new(),
            3 => "ab\"c;d\"e".to_owned(),
            _ => format!("nom {i}"),
        };
        let n = match i % 11 {
            0 => "x12".to_owned(),
            1 => String::new(),
            2 => "12,5".to_owned(),
            _ => (i * 3).to_string(),
        };
        let (x, y) = match i % 13 {
            0 => (String::new(), "47.1".to_owned()),
            1 => ("abc".to_owned(), "47.1".to_owned()),
            2 => ("2.5".to_owned(), "89.9".to_owned()),
            _ => (
                format!("{}", 2.0 + f64::from(i % 17) / 10.0),
                "47.25".to_owned(),
            ),
        };
        csv.push_str(&format!("{};{name};{n};{x};{y};k{}\r\n", i % 50, i % 3));
        if i % 37 == 0 {
            csv.push_str("\r\n");
        }
        if i % 41 == 0 {
            csv.push_str(&format!("{};court\r\n", i % 50));
        }
    }
    let file = dir.path().join("awkward.csv");
    std::fs::write(&file, csv).expect("write");
    let attribution = "[attribution]\nproducer = \"T\"\ndate = \"1\"\n";
    dir.write(
        "plain",
        &format!(
            "title = \"P\"\nsynthetic = true\n[source]\npath = \"awkward.csv\"\nx = \"x\"\ny = \"y\"\ncrs = \"EPSG:4326\"\ndelimiter = \";\"\n[properties]\nid = \"string\"\nname = \"string\"\nn = \"int\"\n{attribution}"
        ),
    );
    dir.write(
        "grouped",
        &format!(
            "title = \"G\"\nsynthetic = true\n[source]\npath = \"awkward.csv\"\nx = \"x\"\ny = \"y\"\ncrs = \"EPSG:4326\"\ndelimiter = \";\"\n[properties]\nname = \"string\"\nn = \"float\"\n[group]\nby = [\"id\"]\ncount = \"rows\"\n[group.count_if]\nk1 = {{ column = \"kind\", values = [\"k1\"] }}\n[group.any]\nnamed = \"name\"\n{attribution}"
        ),
    );
    for id in ["plain", "grouped"] {
        let config = load_file(&dir.path().join(format!("{id}.toml"))).expect("layer file");
        for workers in 1..=8 {
            same(&config, Reading::FastWith(workers));
        }
    }
}

/// Layers that read the same file share one copy of its geometries and columns, and hold what
/// each would have read alone.
#[test]
fn shared_sources_hold_what_separate_reads_give() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let communes = catalog.get("communes").expect("communes");
    let mut sharing = Vec::new();
    for layer in catalog.layers() {
        if !layer.geometries.shares_with(&communes.geometries) {
            continue;
        }
        sharing.push(layer.id().to_owned());
        if layer.config.totals.is_some() {
            continue;
        }
        let alone = load(&layer.config, None, Reading::Fast, None).expect("loads alone");
        assert_equal(&alone, layer, layer.id());
    }
    sharing.sort();
    assert_eq!(
        sharing,
        [
            "communes",
            "lovac",
            "perimetres_acv",
            "perimetres_pvd",
            "qpv",
            "rpls_communes",
            "zonage_abc"
        ]
    );
}
