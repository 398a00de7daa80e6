//! Bad input stops start-up with an error naming the file and the reason — never a panic.

use std::path::Path;
use std::process::Command;

use crate::support::{chain, fixture, toml_path, LayerDir};

/// Runs `bourg check --layers layers` in `cwd` and returns (success, stdout, stderr).
fn check_in(cwd: &Path) -> (bool, String, String) {
    check_folder(cwd, "layers")
}

/// Runs `bourg check --layers <layers>` in `cwd` (without the prepared-catalogue cache, which
/// would be written under `$HOME`) and returns (success, stdout, stderr).
fn check_folder(cwd: &Path, layers: &str) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bourg"))
        .args(["check", "--no-cache", "--layers", layers])
        .current_dir(cwd)
        .env("BOURG_LOG", "off")
        .output()
        .expect("run bourg");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A project folder with `layers/` and `layers/data/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("layers/data")).expect("mkdir");
    dir
}

const ATTRIBUTION: &str = "[attribution]\nproducer = \"Test\"\ndate = \"2026\"\n";

#[test]
fn missing_csv_column_names_file_source_and_column() {
    let dir = project();
    let csv = std::fs::read(fixture("rpls_lambert93.csv")).expect("fixture");
    std::fs::write(dir.path().join("layers/data/rpls.csv"), csv).expect("copy");
    let toml = format!(
        "title = \"RPLS\"\nsynthetic = true\n[source]\npath = \"data/rpls.csv\"\nx = \"XL93\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\nencoding = \"ISO-8859-1\"\n{ATTRIBUTION}"
    );
    std::fs::write(dir.path().join("layers/rpls.toml"), toml).expect("write");
    let (ok, _, stderr) = check_in(dir.path());
    assert!(!ok);
    assert!(
        stderr.contains("error: layers/rpls.toml: source data/rpls.csv: column \"XL93\" not found (columns: DEPCOM, LIBCOM,"),
        "{stderr}"
    );
}

#[test]
fn truncated_geojson_names_file_and_reason() {
    let dir = project();
    let text = std::fs::read_to_string(fixture("wgs84.geojson")).expect("fixture");
    std::fs::write(
        dir.path().join("layers/data/cut.geojson"),
        &text[..text.len() / 2],
    )
    .expect("write");
    let toml = format!(
        "title = \"Cut\"\nsynthetic = false\n[source]\npath = \"data/cut.geojson\"\n{ATTRIBUTION}"
    );
    std::fs::write(dir.path().join("layers/cut.toml"), toml).expect("write");
    let (ok, _, stderr) = check_in(dir.path());
    assert!(!ok);
    assert!(
        stderr.contains(
            "error: layers/cut.toml: source data/cut.geojson: cannot be opened by GDAL: "
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unknown_crs_names_file_key_and_crs() {
    let dir = project();
    let toml = format!(
        "title = \"X\"\nsynthetic = false\n[source]\npath = \"data/x.csv\"\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:999999\"\n{ATTRIBUTION}"
    );
    std::fs::write(dir.path().join("layers/x.toml"), toml).expect("write");
    let (ok, _, stderr) = check_in(dir.path());
    assert!(!ok);
    assert!(
        stderr
            .contains("error: layers/x.toml: source.crs: \"EPSG:999999\" is not a CRS GDAL knows"),
        "{stderr}"
    );
}

#[test]
fn unknown_key_names_file_and_key() {
    let dir = project();
    let toml = format!("title = \"X\"\nsynthetic = false\nmaxzoom = 3\n[source]\npath = \"a.geojson\"\n{ATTRIBUTION}");
    std::fs::write(dir.path().join("layers/x.toml"), toml).expect("write");
    let (ok, _, stderr) = check_in(dir.path());
    assert!(!ok);
    assert!(stderr.contains("error: layers/x.toml: "), "{stderr}");
    assert!(stderr.contains("unknown field `maxzoom`"), "{stderr}");
}

#[test]
fn check_prints_counts_for_the_demo() {
    let (ok, stdout, stderr) = check_folder(Path::new(env!("CARGO_MANIFEST_DIR")), "layers/demo");
    assert!(ok, "{stderr}");
    let communes = stdout
        .lines()
        .find(|l| l.starts_with("communes "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(communes.contains(" 1450 "), "{communes}");
    assert!(
        stdout.contains("join ../data/lovac_communes_62_25_2021.csv"),
        "{stdout}"
    );
}

#[test]
fn missing_file_ambiguous_layer_and_missing_property_are_all_listed() {
    let dir = LayerDir::new();
    dir.layer("gone", "path = \"nowhere.geojson\"", "");
    dir.layer(
        "two",
        &format!("path = {}", toml_path(&fixture("lambert93.gpkg"))),
        "",
    );
    dir.layer(
        "prop",
        &format!("path = {}", toml_path(&fixture("wgs84.geojson"))),
        "population = \"int\"",
    );
    let err = dir.load().expect_err("must fail");
    let text = chain(&err);
    assert!(text.starts_with("3 layers failed to load:"), "{text}");
    assert!(
        text.contains("gone.toml: source nowhere.geojson: file not found"),
        "{text}"
    );
    assert!(
        text.contains("two.toml: source ")
            && text.contains("holds several layers (sites, autre): set source.layer"),
        "{text}"
    );
    assert!(
        text.contains("column \"population\" not found (columns: name, code, pop, share, acv)"),
        "{text}"
    );
}

#[test]
fn join_with_missing_key_column_names_the_table() {
    let dir = LayerDir::new();
    let table = dir.path().join("t.csv");
    std::fs::write(&table, "code_insee,v\n62498,1\n").expect("write");
    dir.write(
        "j",
        &format!(
            "title = \"J\"\nsynthetic = false\n[source]\npath = {}\n[properties]\ncode = \"string\"\n[[join]]\npath = \"t.csv\"\nkey = \"insee_com\"\non = \"code\"\n[join.properties]\nv = \"int\"\n{ATTRIBUTION}",
            toml_path(&fixture("wgs84.geojson"))
        ),
    );
    let text = chain(&dir.load().expect_err("must fail"));
    assert!(
        text.ends_with(
            "j.toml: join t.csv: column \"insee_com\" not found (columns: code_insee, v)"
        ),
        "{text}"
    );
}

#[test]
fn empty_layer_folder_is_an_error() {
    let dir = LayerDir::new();
    let text = chain(&dir.load().expect_err("must fail"));
    assert!(text.ends_with("no layer file (*.toml) found"), "{text}");
}

/// A broken file of the national reference stops the load like any layer, naming the file; a
/// sound one is summed up by `bourg check`.
#[test]
fn reference_folder_errors_name_the_file_and_check_reports_it() {
    let dir = project();
    let communes = format!(
        "title = \"C\"\nsynthetic = false\n[source]\npath = {}\n[properties]\ncode = \"string\"\npmun22 = \"int\"\n[analysis]\nrole = \"communes\"\n{ATTRIBUTION}",
        toml_path(&fixture("territory/communes.geojson"))
    );
    std::fs::write(dir.path().join("layers/communes.toml"), &communes).expect("write");
    std::fs::create_dir(dir.path().join("layers/reference")).expect("mkdir");
    std::fs::write(dir.path().join("layers/reference/communes.toml"), &communes).expect("write");
    let (ok, stdout, stderr) = check_in(dir.path());
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("national reference from the reference/ folder: 3 communes"),
        "{stdout}"
    );
    std::fs::write(
        dir.path().join("layers/reference/lovac.toml"),
        format!("title = \"L\"\nsynthetic = false\n[source]\npath = \"nope.csv\"\nx = \"a\"\ny = \"b\"\ncrs = \"EPSG:4326\"\n{ATTRIBUTION}"),
    )
    .expect("write");
    let (ok, _, stderr) = check_in(dir.path());
    assert!(!ok);
    assert!(
        stderr.contains("layers/reference/lovac.toml: source nope.csv: file not found"),
        "{stderr}"
    );
}
