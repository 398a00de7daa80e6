//! The real RPLS layouts: each example TOML of `layers/examples/` loads its fixture of
//! `tests/fixtures/` (synthetic rows in the exact column layout, see `tests/fixtures/README.md`)
//! into the residences counted by hand from the fixture — plain string splitting here, not
//! Bourg — matched by position through the independent Lambert-93 inverse; the territory
//! indicators give "non disponible" (null), never 0, for what the files lack (occupancy); and
//! `bourg synth` writes the documented 2025 layout plus its synthetic additions.

use std::collections::BTreeMap;
use std::path::Path;

use bourg::layer::{Layer, Value};
use serde_json::{json, Value as Json};

use crate::support::{app, fixture, get_json, lambert93, toml_path, LayerDir};

/// The SDES "données détaillées au logement" of the RPLS at 1 January 2025 as DiDo serves it, as
/// documented in the README ("Fichiers RPLS réels", with its sources and what is inferred).
const DIDO_2025: &str = "REG_CODE;REG_LIBELLE;DEP_CODE;DEP_LIBELLE;EPCI_CODE;EPCI_LIBELLE;DROIT_CODE;DROIT_LIBELLE;DEPCOM;LIBCOM;CODEPOSTAL;NUMVOIE;INDREP;TYPVOIE;NOMVOIE;ETAGE;COMPLGEO;LIEUDIT;QPV_CODE;QPV_LIBELLE;TYPECONST_CODE;TYPECONST_LIBELLE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;PATRIMOINE;ORIGINE;FINAN_CODE;FINAN_LIBELLE;FINANAUTRE;CONV;NUMCONV;DATCONV;NEWLOGT_CODE;NEWLOGT_LIBELLE;CUS;DPEDATE;DPEENERGIE;DPESERRE;SRU_EXPIR;SRU_ALINEA;CODSEGPATRIM;LIBSEGPATRIM;PMR_CODE;PMR_LIBELLE;PLG_VOIE;EPSG;X;Y;PLG_QP24;PLG_QP15;PLG_IRIS2024_CODE;PLG_IRIS2024_LIBELLE;PLG_ZUS;PLG_QVA;QUALITE_VOIE;QUALITE_NUMERO;QUALITE_XY;DISTANCE_PRECISION;QUALITE_QP24;QUALITE_QP15;QUALITE_IRIS;QUALITE_ZUS;QUALITE_QVA;COMAQP;COMAZUS;UU2020;AAV2020;ZE2020";

/// The older regional layout, as documented in the README.
const REGIONAL: &str = "REG;LIBREG;DEP;LIBDEP;EPCI;LIBEPCI;DROIT;DEPCOM;CODEPOSTAL;LIBCOM;NUMVOIE;INDREP;TYPVOIE;NOMVOIE;NUMAPPT;NUMBOITE;ESC;COULOIR;ETAGE;COMPLIDENT;ENTREE;BAT;IMMEU;COMPLGEO;LIEUDIT;QPV;TYPECONST;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;PATRIMOINE;ORIGINE;FINAN;FINANAUTRE;CONV;NUMCONV;DATCONV;NEWLOGT;CUS;DPEDATE;DPEENERGIE;DPESERRE;SRU_EXPIR;SRU_ALINEA;CODSEGPATRIM;LIBSEGPATRIM;X;Y;PLG_IRIS";

/// The columns `bourg synth` adds after the official ones.
const SYNTHETIC_ADDITIONS: [&str; 2] = ["SYNTH_OCCUPATION", "SYNTH_BAILLEUR"];

/// One layout: its fixture, example TOML, the fixture's text encoding and column names.
struct Layout {
    fixture: &'static str,
    example: &'static str,
    latin1: bool,
    header: &'static str,
    qpv: &'static str,
    finan: &'static str,
}

const DIDO: Layout = Layout {
    fixture: "rpls_2025_dido.csv",
    example: "rpls_2025.toml",
    latin1: false,
    header: DIDO_2025,
    qpv: "QPV_CODE",
    finan: "FINAN_CODE",
};

const OLDER: Layout = Layout {
    fixture: "rpls_regional.csv",
    example: "rpls_regional.toml",
    latin1: true,
    header: REGIONAL,
    qpv: "QPV",
    finan: "FINAN",
};

/// A fixture's text: ISO-8859-1 bytes are Unicode code points 0–255.
fn text(layout: &Layout) -> String {
    let bytes = std::fs::read(fixture(layout.fixture)).expect("fixture");
    if layout.latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8(bytes).expect("UTF-8 fixture")
    }
}

/// A residence counted by hand: rows sharing X and Y.
#[derive(Debug, Default)]
struct Expected {
    x: f64,
    y: f64,
    first: BTreeMap<String, String>,
    dwellings: i64,
    dpe: BTreeMap<String, i64>,
    in_qpv: i64,
    plus: i64,
}

/// The residences of a fixture, in order of first appearance, by plain splitting.
fn by_hand(layout: &Layout) -> (usize, Vec<Expected>) {
    let text = text(layout);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    let mut out: Vec<Expected> = Vec::new();
    let mut rows = 0;
    for line in lines.filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(';').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        let row: BTreeMap<String, String> = header
            .iter()
            .zip(&cells)
            .map(|(h, c)| ((*h).to_owned(), (*c).to_owned()))
            .collect();
        rows += 1;
        let key = (row["X"].clone(), row["Y"].clone());
        let i = match out
            .iter()
            .position(|e| (e.first["X"].clone(), e.first["Y"].clone()) == key)
        {
            Some(i) => i,
            None => {
                out.push(Expected {
                    x: key.0.parse().expect("X"),
                    y: key.1.parse().expect("Y"),
                    first: row.clone(),
                    ..Expected::default()
                });
                out.len() - 1
            }
        };
        let e = &mut out[i];
        e.dwellings += 1;
        let dpe = row["DPEENERGIE"].clone();
        *e.dpe
            .entry(if dpe.is_empty() { "?".into() } else { dpe })
            .or_default() += 1;
        e.in_qpv += i64::from(row[layout.qpv] == "1");
        e.plus += i64::from(["12", "13", "50", "52", "55"].contains(&row[layout.finan].as_str()));
    }
    (rows, out)
}

/// The example TOML of a layout with `source.path` pointing at its fixture.
fn example_with_fixture(layout: &Layout) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("layers/examples")
        .join(layout.example);
    let toml = std::fs::read_to_string(&path).expect("example TOML");
    let line = toml
        .lines()
        .find(|l| l.starts_with("path = "))
        .expect("a source.path line");
    toml.replace(
        line,
        &format!("path = {}", toml_path(&fixture(layout.fixture))),
    )
}

/// A layer folder with the layout's example as `rpls.toml`, and the demo communes (for
/// territory lookups) when asked.
fn folder(layout: &Layout, with_communes: bool) -> LayerDir {
    let dir = LayerDir::new();
    dir.write("rpls", &example_with_fixture(layout));
    if with_communes {
        let communes = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("layers/data/communes_62_25_cog2025.geojson");
        dir.write(
            "communes",
            &format!(
                "title = \"Communes\"\nsynthetic = false\n[source]\npath = {}\n[properties]\ncode = \"string\"\nnom = \"string\"\ndep = \"string\"\nepci = \"string\"\npmun22 = \"int\"\n[analysis]\nrole = \"communes\"\n[attribution]\nproducer = \"IGN, INSEE\"\ndate = \"2025\"\n",
                toml_path(&communes)
            ),
        );
    }
    dir
}

fn value(layer: &Layer, f: &bourg::layer::Feature, name: &str) -> Value {
    let i = layer
        .property_index(name)
        .unwrap_or_else(|| panic!("no property {name}"));
    f.get(i).expect("property")
}

fn int(layer: &Layer, f: &bourg::layer::Feature, name: &str) -> i64 {
    match value(layer, f, name) {
        Value::Int(n) => n,
        other => panic!("{name}: {other:?}"),
    }
}

/// Loads a layout's example on its fixture and checks every residence against the hand count.
fn loads_into_hand_counted_residences(layout: &Layout, residences: usize, commune: &str) {
    let header = text(layout).lines().next().expect("header").to_owned();
    assert_eq!(
        header, layout.header,
        "{} is in the documented layout",
        layout.fixture
    );
    let (rows, expected) = by_hand(layout);
    assert_eq!(
        (rows, expected.len()),
        (20, residences),
        "the fixture as described"
    );

    let catalog = folder(layout, false)
        .load()
        .expect("example loads its fixture");
    let layer = catalog.get("rpls").expect("rpls");
    assert_eq!(layer.report.grouped_rows as usize, rows);
    assert_eq!(layer.len(), expected.len());
    assert_eq!(layer.report.skipped(), 0);
    assert!(
        layer.report.invalid_values.is_empty(),
        "{:?}",
        layer.report.invalid_values
    );
    assert!(
        layer.property_index("vacants").is_none(),
        "no occupancy column"
    );
    for e in &expected {
        let (lon, lat) = lambert93::to_wgs84(e.x, e.y);
        let f = layer
            .features()
            .find(|f| match f.wgs84 {
                geo::Geometry::Point(p) => (p.x() - lon).abs() < 1e-6 && (p.y() - lat).abs() < 1e-6,
                _ => false,
            })
            .unwrap_or_else(|| panic!("no residence at {}, {}", e.x, e.y));
        let f = &f;
        assert_eq!(int(layer, f, "logements"), e.dwellings, "{e:?}");
        for class in ["A", "B", "C", "D", "E", "F", "G"] {
            let n = e.dpe.get(class).copied().unwrap_or(0);
            assert_eq!(int(layer, f, &format!("dpe_{class}")), n, "{class} {e:?}");
        }
        assert_eq!(
            int(layer, f, "dpe_inconnu"),
            e.dpe.get("?").copied().unwrap_or(0)
        );
        assert_eq!(int(layer, f, "en_qpv"), e.in_qpv, "{e:?}");
        assert_eq!(int(layer, f, "fin_plus"), e.plus, "{e:?}");
        assert_eq!(
            value(layer, f, "CONSTRUCT"),
            Value::Int(e.first["CONSTRUCT"].parse().expect("year"))
        );
        assert_eq!(
            value(layer, f, "DEPCOM"),
            Value::String(commune.into()),
            "INSEE code kept as text"
        );
        assert_eq!(
            value(layer, f, "NOMVOIE"),
            Value::String(e.first["NOMVOIE"].as_str().into())
        );
        let surface: f64 = e.first["SURFHAB"]
            .replace(',', ".")
            .parse()
            .expect("surface");
        assert_eq!(value(layer, f, "SURFHAB"), Value::Float(surface));
        // Fragility: the vacancy part is unknown (null), the score stands on the three others.
        assert_eq!(value(layer, f, "frag_vacance"), Value::Null, "{e:?}");
        assert!(
            matches!(value(layer, f, "fragilite"), Value::Float(s) if (0.0..=100.0).contains(&s)),
            "{e:?}"
        );
    }
}

#[test]
fn dido_2025_example_loads_its_fixture_into_hand_counted_residences() {
    loads_into_hand_counted_residences(&DIDO, 5, "25056");
}

#[test]
fn regional_example_loads_its_latin1_fixture_into_hand_counted_residences() {
    loads_into_hand_counted_residences(&OLDER, 5, "62510");
    // The Latin-1 name comes through whole.
    let catalog = folder(&OLDER, false).load().expect("loads");
    let layer = catalog.get("rpls").expect("rpls");
    assert!(layer
        .features()
        .all(|f| value(layer, &f, "LIBCOM") == Value::String("Liévin".into())));
}

/// A commune's residences indicators, from the API.
async fn indicators(layout: &Layout, code: &str) -> BTreeMap<String, Json> {
    let catalog = folder(layout, true).load().expect("loads");
    let (status, body) = get_json(&app(catalog), &format!("/api/territories/{code}")).await;
    assert_eq!(status, 200, "{body}");
    body["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|i| (i["id"].as_str().expect("id").to_owned(), i["value"].clone()))
        .collect()
}

/// The indicators a layout's fixture gives, computed by hand.
fn hand_indicators(layout: &Layout) -> BTreeMap<&'static str, Json> {
    let (rows, residences) = by_hand(layout);
    let sum = |f: &dyn Fn(&Expected) -> i64| residences.iter().map(f).sum::<i64>();
    let fg = sum(&|e| e.dpe.get("F").unwrap_or(&0) + e.dpe.get("G").unwrap_or(&0));
    let labelled = rows as i64 - sum(&|e| *e.dpe.get("?").unwrap_or(&0));
    let share = (1000.0 * fg as f64 / labelled as f64).round() / 10.0;
    BTreeMap::from([
        ("social_dwellings", json!(rows)),
        ("social_residences", json!(residences.len())),
        ("social_vacancy", Json::Null),
        ("dpe_fg", json!(share)),
        ("qpv_dwellings", json!(sum(&|e| e.in_qpv))),
    ])
}

#[tokio::test]
async fn without_occupancy_social_vacancy_is_non_disponible_not_zero() {
    for (layout, code) in [(&DIDO, "25056"), (&OLDER, "62510")] {
        let got = indicators(layout, code).await;
        for (id, want) in hand_indicators(layout) {
            assert_eq!(got.get(id), Some(&want), "{}: {id}", layout.fixture);
        }
        // By hand from the fixtures: DiDo 3 F + 1 G of the 18 labelled dwellings (of 20);
        // regional 3 F + 2 G of 18. Dwellings without a label are not counted as good ones.
        let expected_share = if code == "25056" { 22.2 } else { 27.8 };
        assert_eq!(got["dpe_fg"], json!(expected_share), "{}", layout.fixture);
        assert!(got["social_vacancy"].is_null(), "never 0");
    }
}

#[test]
fn synth_writes_the_documented_2025_layout_plus_its_synthetic_additions() {
    let text = crate::synth::demo_rpls();
    let header: Vec<&str> = text.lines().next().expect("header").split(';').collect();
    // The documented header, literally (README, "Synthetic data").
    assert_eq!(header.join(";"), crate::synth::RPLS_COLUMNS);
    let (official, added) = header.split_at(header.len() - SYNTHETIC_ADDITIONS.len());
    assert_eq!(added, SYNTHETIC_ADDITIONS);
    // Every other column is an official one, in the official order: the 2025 layout with
    // the columns the generator cannot fill left out.
    let layout: Vec<&str> = DIDO_2025.split(';').collect();
    let kept: Vec<&str> = layout
        .iter()
        .copied()
        .filter(|c| official.contains(c))
        .collect();
    assert_eq!(official, kept.as_slice());
    // The fixture in the real layout and the generated file agree on those names.
    let fixture = self::text(&DIDO);
    let fixture_header: Vec<&str> = fixture.lines().next().expect("header").split(';').collect();
    assert!(official.iter().all(|c| fixture_header.contains(c)));
    assert!(header
        .iter()
        .all(|c| !c.starts_with("SYNTH_") || added.contains(c)));
}
