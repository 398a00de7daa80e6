//! Delimited text with coordinate columns, read by the fast parallel reader as `load` does at
//! start (`Reading::Fast`). The first byte picks the layer (plain Lambert-93 with `;`, or WGS84
//! with `,` grouped by a column) and the number of workers; the rest is the file. The reading on
//! 2 to 4 workers must equal the reading on one; with `BOURG_FUZZ_CSV_GDAL` set, also the
//! reading of GDAL's CSV driver (see fuzz/README.md for the differences found and left open).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use bourg::config::LayerConfig;
use bourg::layer::{load, Layer, Reading};
use libfuzzer_sys::fuzz_target;

const ATTRIBUTION: &str = "[attribution]\nproducer = \"F\"\ndate = \"1\"\n";
const PLAIN: &str = "title = \"P\"\nsynthetic = true\n[source]\npath = \"rows.csv\"\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\n[properties]\nname = \"string\"\nn = \"int\"\nf = \"float\"\nok = \"bool\"\n";
const GROUPED: &str = "title = \"G\"\nsynthetic = true\n[source]\npath = \"rows.csv\"\nx = \"lon\"\ny = \"lat\"\ncrs = \"EPSG:4326\"\n[properties]\nname = \"string\"\nf = \"float\"\n[group]\nby = [\"id\"]\ncount = \"rows\"\n[group.count_if]\nk1 = { column = \"kind\", values = [\"k1\"] }\n[group.any]\nnamed = \"name\"\n";

/// This process's folder, with the two layer configurations reading `rows.csv` in it.
fn setup() -> &'static (PathBuf, [LayerConfig; 2]) {
    static SETUP: OnceLock<(PathBuf, [LayerConfig; 2])> = OnceLock::new();
    SETUP.get_or_init(|| {
        bourg::init_gdal();
        let dir = std::env::temp_dir().join(format!("bourg-fuzz-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        let config = |id: &str, text: &str| {
            bourg::config::parse(
                &dir.join(format!("{id}.toml")),
                &format!("{text}{ATTRIBUTION}"),
            )
            .expect("valid layer file")
        };
        let configs = [config("plain", PLAIN), config("grouped", GROUPED)];
        (dir, configs)
    })
}

/// Everything a reading gives that must not depend on the number of workers.
fn digest(layer: &Layer) -> String {
    let mut report = layer.report.clone();
    report.load_ms = 0.0;
    let features: Vec<_> = layer
        .features()
        .map(|f| (f.wgs84.clone(), f.values().collect::<Vec<_>>()))
        .collect();
    format!("{:?}\n{features:?}\n{report:?}", layer.schema)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rows)) = data.split_first() else {
        return;
    };
    let (dir, configs) = setup();
    std::fs::write(dir.join("rows.csv"), rows).expect("write rows.csv");
    let config = &configs[usize::from(control & 1)];
    let workers = 2 + usize::from(control >> 1) % 3;
    let one = load(config, None, Reading::FastWith(1), None);
    let many = load(config, None, Reading::FastWith(workers), None);
    match (one, many) {
        (Ok(one), Ok(many)) => {
            assert_eq!(digest(&one), digest(&many), "{workers} workers");
            // Known differences (fuzz/README.md): GDAL also ends a line at a lone `\r`, and stops
            // a line at a NUL byte.
            let known = rows.contains(&0)
                || rows
                    .iter()
                    .enumerate()
                    .any(|(i, &b)| b == b'\r' && rows.get(i + 1) != Some(&b'\n'));
            // A third: GDAL takes a first line with a numeric name for data (its HEADERS=AUTO)
            // and then misses the columns, which the fast reader finds.
            if !known && std::env::var_os("BOURG_FUZZ_CSV_GDAL").is_some() {
                if let Ok(gdal) = load(config, None, Reading::Gdal, None) {
                    assert_eq!(digest(&gdal), digest(&one), "GDAL's CSV driver");
                }
            }
        }
        (Err(_), Err(_)) => {}
        (one, many) => panic!(
            "1 worker: {:?}, {workers} workers: {:?}",
            one.map(|l| l.len()),
            many.map(|l| l.len())
        ),
    }
});
