//! `bourg synth`: determinism, geometry, calibration and loading of the generated files, checked
//! against things the generator does not use: the demo polygons parsed with the `geojson` crate
//! (not GDAL), an independent Lambert-93 inverse (Snyder's formulas), the LOVAC figures
//! recomputed from the demo CSV, a plain line count.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bourg::synth::calibration::SocialModel;
use bourg::synth::{self, Options, Scope, Summary, RPLS_FILE, VACANCY_FILE};
use geo::{Contains, MultiPolygon, Point};

use crate::support::{lambert93, LayerDir};

/// The documented header of the synthetic RPLS file (README, "Synthetic data"): official
/// columns of the 2025 DiDo layout, then the two synthetic additions.
pub const RPLS_COLUMNS: &str = "REG_CODE;DEP_CODE;EPCI_CODE;DROIT_CODE;DEPCOM;LIBCOM;CODEPOSTAL;NUMVOIE;INDREP;TYPVOIE;NOMVOIE;QPV_CODE;TYPECONST_CODE;TYPECONST_LIBELLE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN_CODE;FINAN_LIBELLE;CONV;DPEENERGIE;DPESERRE;EPSG;X;Y;PLG_QP24;QUALITE_XY;SYNTH_OCCUPATION;SYNTH_BAILLEUR";
const VACANCY_COLUMNS: &str =
    "DEPCOM;LIBCOM;X;Y;NB_LOGVAC;DUREE_VACANCE;ANNEE_CONSTRUCTION;TYPE_LOCAL";

/// The repository's data folder.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("layers/data")
}

fn generate(deps: &[&str], seed: u64) -> (tempfile::TempDir, Summary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = synth::run(&Options {
        scope: Scope::Departements(deps.iter().map(|d| (*d).to_owned()).collect()),
        seed,
        data_dir: data_dir(),
        out_dir: dir.path().join("out"),
    })
    .expect("synth runs");
    (dir, summary)
}

/// The demo output (62 and 25, default seed), generated once for this test binary.
struct Demo {
    dir: tempfile::TempDir,
    summary: Summary,
    rpls: String,
    vacancy: String,
}

impl Demo {
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

/// The demo RPLS file's text.
pub fn demo_rpls() -> &'static str {
    &demo().rpls
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (dir, summary) = generate(&["62", "25"], synth::DEFAULT_SEED);
        let read = |f: &str| std::fs::read_to_string(dir.path().join("out").join(f)).expect(f);
        Demo {
            rpls: read(RPLS_FILE),
            vacancy: read(VACANCY_FILE),
            dir,
            summary,
        }
    })
}

/// Data rows split on `;` (the files quote nothing: checked by `files_have_the_official_layout`).
fn records(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).map(|l| l.split(';').collect())
}

/// Position of a column in a file's header.
fn col(text: &str, name: &str) -> usize {
    let header = text.lines().next().expect("header");
    header
        .split(';')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {header}"))
}

/// Commune polygons of the demo GeoJSON, parsed with the `geojson` crate.
fn demo_polygons() -> HashMap<String, MultiPolygon<f64>> {
    let text = std::fs::read_to_string(data_dir().join("communes_62_25_cog2025.geojson"))
        .expect("demo communes");
    polygons_of(&text)
}

/// Commune polygons of a GeoJSON text, by `code`.
fn polygons_of(text: &str) -> HashMap<String, MultiPolygon<f64>> {
    let collection: geojson::FeatureCollection = text.parse().expect("GeoJSON");
    collection
        .features
        .into_iter()
        .map(|f| {
            let code = f
                .property("code")
                .and_then(|c| c.as_str())
                .expect("code")
                .to_owned();
            let geometry: geo::Geometry<f64> =
                f.geometry.expect("geometry").value.try_into().expect("geo");
            let mp = match geometry {
                geo::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
                geo::Geometry::MultiPolygon(mp) => mp,
                other => panic!("{code}: {other:?}"),
            };
            (code, mp)
        })
        .collect()
}

fn number(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("{s:?} is not a number"))
}

#[test]
fn files_have_the_official_layout() {
    let d = demo();
    assert_eq!(d.rpls.lines().next(), Some(RPLS_COLUMNS));
    assert_eq!(d.vacancy.lines().next(), Some(VACANCY_COLUMNS));
    assert!(!d.rpls.contains('"') && !d.vacancy.contains('"'));
    for r in records(&d.rpls) {
        assert_eq!(r.len(), 30, "{r:?}");
    }
    for r in records(&d.vacancy) {
        assert_eq!(r.len(), 8, "{r:?}");
        assert!(number(r[5]) >= 2.0, "DUREE_VACANCE {r:?}");
        assert!(["maison", "appartement"].contains(&r[7]), "{r:?}");
        assert!(number(r[4]) >= 1.0 && number(r[6]) <= 2019.0, "{r:?}");
    }
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let (a, _) = generate(&["25"], synth::DEFAULT_SEED);
    let (b, _) = generate(&["25"], synth::DEFAULT_SEED);
    let (c, _) = generate(&["25"], 7);
    for file in [RPLS_FILE, VACANCY_FILE] {
        let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("out").join(file)).unwrap();
        assert_eq!(read(&a), read(&b), "{file}");
        assert_ne!(read(&a), read(&c), "{file}");
    }
    // A commune's rows do not depend on the other départements generated: the Doubs rows of
    // the 62 + 25 demo are the --dep 25 file.
    let alone = std::fs::read_to_string(a.path().join("out").join(RPLS_FILE)).unwrap();
    let depcom = col(&demo().rpls, "DEPCOM");
    let doubs: Vec<&str> = demo()
        .rpls
        .lines()
        .enumerate()
        .filter(|(i, l)| {
            *i == 0
                || l.split(';')
                    .nth(depcom)
                    .is_some_and(|c| c.starts_with("25"))
        })
        .map(|(_, l)| l)
        .collect();
    assert_eq!(doubs, alone.lines().collect::<Vec<_>>());
}

#[test]
fn every_point_is_strictly_inside_its_commune_polygon() {
    let polygons = demo_polygons();
    let d = demo();
    let checked = points_inside(&polygons, [&d.rpls, &d.vacancy]);
    assert!(checked > 50_000, "{checked} points");
}

/// Checks every distinct point of the files (`X`, `Y`, `DEPCOM`, `LIBCOM` columns) against the
/// polygon of its commune, through the independent Lambert-93 inverse; returns how many were
/// checked.
fn points_inside<'a>(
    polygons: &HashMap<String, MultiPolygon<f64>>,
    files: impl IntoIterator<Item = &'a String>,
) -> usize {
    let mut checked = 0;
    for text in files {
        let (x, y) = (col(text, "X"), col(text, "Y"));
        let (code, name) = (col(text, "DEPCOM"), col(text, "LIBCOM"));
        let mut last: Option<(f64, f64)> = None;
        for r in records(text) {
            let xy = (number(r[x]), number(r[y]));
            if last == Some(xy) {
                continue; // another dwelling of the same building
            }
            last = Some(xy);
            let (lon, lat) = lambert93::to_wgs84(xy.0, xy.1);
            let polygon = polygons
                .get(r[code])
                .unwrap_or_else(|| panic!("no polygon {}", r[code]));
            assert!(
                polygon.contains(&Point::new(lon, lat)),
                "{} ({}) at {xy:?} = ({lon}, {lat}) is outside its commune",
                r[code],
                r[name]
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn points_fall_in_no_other_commune() {
    // Brute force over every demo polygon, for a sample of buildings.
    let polygons = demo_polygons();
    let text = &demo().rpls;
    let (x, y, code) = (col(text, "X"), col(text, "Y"), col(text, "DEPCOM"));
    for r in records(text).step_by(997) {
        let (lon, lat) = lambert93::to_wgs84(number(r[x]), number(r[y]));
        let p = Point::new(lon, lat);
        let containing: Vec<&String> = polygons
            .iter()
            .filter(|(_, mp)| mp.contains(&p))
            .map(|(code, _)| code)
            .collect();
        assert_eq!(containing, vec![r[code]], "{r:?}");
    }
}

#[test]
fn private_vacancy_per_commune_equals_the_lovac_2021_figure() {
    let polygons = demo_polygons();
    let lovac = std::fs::read_to_string(data_dir().join("lovac_communes_62_25_2021.csv"))
        .expect("demo LOVAC");
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for line in lovac.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 4, "{line}");
        if f[2].is_empty() || f[3].is_empty() || !polygons.contains_key(f[0]) {
            continue;
        }
        let n = (number(f[2]) * number(f[3]) / 100.0).round() as u64;
        expected.insert(f[0].to_owned(), n);
    }
    assert!(
        expected.len() > 350,
        "{} published communes",
        expected.len()
    );
    let mut actual: BTreeMap<String, u64> = BTreeMap::new();
    for r in records(&demo().vacancy) {
        *actual.entry(r[0].to_owned()).or_default() += number(r[4]) as u64;
    }
    for (code, n) in &expected {
        assert_eq!(actual.get(code).copied().unwrap_or(0), *n, "commune {code}");
    }
    // Lens (62498) is published: 4.4 % of its private stock.
    assert!(expected["62498"] > 100);
    // The other communes are imputed, never left out when their population is not tiny.
    let imputed = actual.keys().filter(|c| !expected.contains_key(*c)).count();
    assert!(imputed > 800, "{imputed} imputed communes");
}

#[test]
fn totals_follow_the_national_calibration() {
    let inputs =
        synth::inputs::load(&data_dir(), &Scope::Departements(vec!["25".into()])).expect("inputs");
    let model = SocialModel::calibrate(&inputs.communes);
    let national: f64 = inputs.communes.iter().map(|c| model.expected(c)).sum();
    assert!((national - 5_300_000.0).abs() < 1.0, "{national}");
    assert!(inputs.communes.len() > 34_000, "all metropolitan communes");
    let d = &demo().summary;
    for (dep, range) in [("62", 90_000..140_000), ("25", 30_000..50_000)] {
        let t = d.by_departement[dep];
        let model_total: f64 = inputs
            .communes
            .iter()
            .filter(|c| c.dep == dep)
            .map(|c| model.expected(c))
            .sum();
        assert!((t.expected_dwellings - model_total).abs() < 1e-6 * model_total);
        let generated = t.dwellings as f64;
        assert!(
            (generated - model_total).abs() < 0.01 * model_total,
            "{dep}: {generated} vs {model_total}"
        );
        assert!(range.contains(&t.dwellings), "{dep}: {}", t.dwellings);
    }
    // The file holds exactly what the summary says, per département.
    let mut per_dep: BTreeMap<&str, u64> = BTreeMap::new();
    let code = col(&demo().rpls, "DEPCOM");
    for r in records(&demo().rpls) {
        *per_dep.entry(&r[code][..2]).or_default() += 1;
    }
    assert_eq!(per_dep["62"], d.by_departement["62"].dwellings);
    assert_eq!(per_dep["25"], d.by_departement["25"].dwellings);
}

#[test]
fn shares_are_within_the_documented_ranges() {
    let (mut n, mut collective, mut f_or_g, mut vacant, mut empty, mut mid_rooms) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let text = &demo().rpls;
    let c = |name| col(text, name);
    let (kind, dpe, occupancy, rooms) = (
        c("TYPECONST_CODE"),
        c("DPEENERGIE"),
        c("SYNTH_OCCUPATION"),
        c("NBPIECE"),
    );
    for r in records(text) {
        n += 1;
        collective += u64::from(r[kind] == "C");
        f_or_g += u64::from(r[dpe] == "F" || r[dpe] == "G");
        vacant += u64::from(r[occupancy] == "vacant");
        empty += u64::from(r[occupancy] == "vide");
        mid_rooms += u64::from(["2", "3", "4"].contains(&r[rooms]));
        assert!(
            ["occupe", "vacant", "vide"].contains(&r[occupancy]),
            "{r:?}"
        );
    }
    let share = |k: u64| k as f64 / n as f64;
    // README "Synthetic data": demo (62 + 25) ranges.
    assert!(
        (0.70..0.90).contains(&share(collective)),
        "{}",
        share(collective)
    );
    assert!((0.04..0.10).contains(&share(f_or_g)), "{}", share(f_or_g));
    assert!((0.025..0.06).contains(&share(vacant)), "{}", share(vacant));
    assert!((0.005..0.03).contains(&share(empty)), "{}", share(empty));
    assert!(share(mid_rooms) > 0.7, "{}", share(mid_rooms));
}

/// Records of a comma-separated text with RFC 4180 quoting (quoted cells may hold commas,
/// doubled quotes and line breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}

/// QPV codes by commune, read from the national table with flate2 and a CSV parser of our own
/// (not GDAL).
fn qpv_by_commune() -> HashMap<String, BTreeSet<String>> {
    use std::io::Read;
    let file =
        std::fs::File::open(data_dir().join("france/qpv2024_communes.csv.gz")).expect("test input");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("test input");
    let records = csv_records(&text);
    assert_eq!(records[0][..3], ["insee_com", "lib_com", "code_qp"]);
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for r in &records[1..] {
        out.entry(r[0].clone()).or_default().insert(r[2].clone());
    }
    out
}

#[test]
fn dwellings_of_a_building_share_its_attributes() {
    let qpv = qpv_by_commune();
    let text = &demo().rpls;
    let c = |name| col(text, name);
    // Key: commune and position; shared: address, postcode, QPV, type, years, financing,
    // right, landlord.
    let mut buildings: HashMap<(&str, &str, &str), (Vec<&str>, u32)> = HashMap::new();
    let shared: Vec<usize> = [
        "DROIT_CODE",
        "CODEPOSTAL",
        "NUMVOIE",
        "INDREP",
        "TYPVOIE",
        "NOMVOIE",
        "QPV_CODE",
        "TYPECONST_CODE",
        "CONSTRUCT",
        "LOCAT",
        "FINAN_CODE",
        "CONV",
        "PLG_QP24",
        "SYNTH_BAILLEUR",
    ]
    .into_iter()
    .map(c)
    .collect();
    let (code, x, y) = (c("DEPCOM"), c("X"), c("Y"));
    let (construct, locat, rooms) = (c("CONSTRUCT"), c("LOCAT"), c("NBPIECE"));
    let (landlord, plg_qp) = (c("SYNTH_BAILLEUR"), c("PLG_QP24"));
    for r in records(text) {
        let values: Vec<&str> = shared.iter().map(|&i| r[i]).collect();
        let entry = buildings
            .entry((r[code], r[x], r[y]))
            .or_insert_with(|| (values.clone(), 0));
        assert_eq!(entry.0, values, "{r:?}");
        entry.1 += 1;
        assert!(
            number(r[locat]) >= number(r[construct]),
            "LOCAT < CONSTRUCT: {r:?}"
        );
        assert!(r[landlord].ends_with("(synthétique)"), "{r:?}");
        assert!((1.0..=6.0).contains(&number(r[rooms])), "{r:?}");
        let commune_qpv = qpv.get(r[code]);
        match r[plg_qp] {
            "CSZ" => assert!(commune_qpv.is_none(), "CSZ in a commune with a QPV: {r:?}"),
            "HZ" => assert!(commune_qpv.is_some(), "HZ in a commune without QPV: {r:?}"),
            q => assert!(
                commune_qpv.is_some_and(|set| set.contains(q)),
                "QPV of another commune: {r:?}"
            ),
        }
    }
    // values[7] is TYPECONST_CODE.
    for ((code, ..), (values, count)) in &buildings {
        match values[7] {
            "C" => assert!((8..=150).contains(count), "{code}: {count} in a collective"),
            "I" => assert_eq!(*count, 1, "{code}: a house holds one dwelling"),
            other => panic!("TYPECONST_CODE {other}"),
        }
    }
}

/// The official columns the generator fills agree with each other and with independent
/// sources: the région and EPCI of each commune (the demo polygons' `epci`, parsed with the
/// `geojson` crate; Pas-de-Calais is in région 32, Doubs in 27), one label per code, the QPV
/// flag and the QPV code, Lambert-93 throughout.
#[test]
fn official_columns_agree_with_each_other() {
    let text = &demo().rpls;
    let c = |name: &str| col(text, name);
    let collection: geojson::FeatureCollection =
        std::fs::read_to_string(data_dir().join("communes_62_25_cog2025.geojson"))
            .expect("demo communes")
            .parse()
            .expect("GeoJSON");
    let epci: HashMap<String, String> = collection
        .features
        .iter()
        .map(|f| {
            let p = |k: &str| {
                f.property(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            (p("code"), p("epci"))
        })
        .collect();
    let mut labels: BTreeMap<(usize, &str), BTreeSet<&str>> = BTreeMap::new();
    for r in records(text) {
        let code = r[c("DEPCOM")];
        let region = match &code[..2] {
            "62" => "32",
            "25" => "27",
            other => panic!("département {other}"),
        };
        assert_eq!(r[c("REG_CODE")], region, "{r:?}");
        assert_eq!(r[c("DEP_CODE")], &code[..2], "{r:?}");
        assert_eq!(r[c("EPCI_CODE")], epci[code], "{r:?}");
        assert_eq!(r[c("EPSG")], "2154", "{r:?}");
        assert_eq!(r[c("QUALITE_XY")], "11", "{r:?}");
        let in_qpv = r[c("PLG_QP24")].starts_with('Q');
        assert_eq!(r[c("QPV_CODE")], if in_qpv { "1" } else { "2" }, "{r:?}");
        for (code_col, label_col) in [
            ("FINAN_CODE", "FINAN_LIBELLE"),
            ("TYPECONST_CODE", "TYPECONST_LIBELLE"),
        ] {
            assert!(!r[c(label_col)].is_empty(), "{r:?}");
            labels
                .entry((c(code_col), r[c(code_col)]))
                .or_default()
                .insert(r[c(label_col)]);
        }
    }
    for ((_, code), set) in &labels {
        assert_eq!(set.len(), 1, "code {code} has labels {set:?}");
    }
    let label = |column: &str, code: &str| {
        labels[&(c(column), code)]
            .iter()
            .next()
            .copied()
            .unwrap_or_default()
    };
    assert_eq!(label("TYPECONST_CODE", "C"), "collectif");
    assert_eq!(label("TYPECONST_CODE", "I"), "individuel");
    assert_eq!(label("FINAN_CODE", "13"), "PLUS/LLS dans les DOM");
    assert_eq!(label("FINAN_CODE", "52"), "HLM/O");
}

#[test]
fn generated_files_load_through_the_layer_files() {
    let d = demo();
    // The repository's layout: `demo/<id>.toml` reading `../data/synthetic/<file>`.
    let dir = LayerDir::new();
    let data = dir.path().join("data/synthetic");
    std::fs::create_dir_all(&data).expect("test input");
    std::fs::create_dir_all(dir.path().join("demo")).expect("test input");
    for (file, toml) in [(RPLS_FILE, "rpls"), (VACANCY_FILE, "vacance_batiments")] {
        std::fs::copy(d.out().join(file), data.join(file)).expect("test input");
        let text =
            std::fs::read_to_string(crate::support::demo_layers().join(format!("{toml}.toml")))
                .expect("test input");
        dir.write(&format!("demo/{toml}"), &text);
    }
    let catalog = bourg::Catalog::load(&dir.path().join("demo")).expect("synthetic layers load");
    for (id, text) in [("rpls", &d.rpls), ("vacance_batiments", &d.vacancy)] {
        let layer = catalog.get(id).expect(id);
        let lines = text.lines().count() - 1;
        if layer.config.group.is_some() {
            // Dwellings grouped into residences: every line counted, one feature per position.
            let (x, y) = (col(text, "X"), col(text, "Y"));
            let positions: std::collections::HashSet<(&str, &str)> = text
                .lines()
                .skip(1)
                .map(|l| {
                    let c: Vec<&str> = l.split(';').collect();
                    (c[x], c[y])
                })
                .collect();
            assert_eq!(layer.report.grouped_rows as usize, lines, "{id}");
            assert_eq!(layer.len(), positions.len(), "{id}");
        } else {
            assert_eq!(layer.len(), lines, "{id}");
        }
        assert_eq!(layer.report.skipped(), 0, "{id}");
        assert!(
            layer.report.invalid_values.is_empty(),
            "{id}: {:?}",
            layer.report.invalid_values
        );
        assert!(layer.config.synthetic);
        assert!(layer.config.tiles.aggregate.is_some());
    }
}

/// The whole of metropolitan France: 5.3 million dwellings. Slow in a debug build; run with
/// `cargo test --release -- --ignored france`.
#[test]
#[ignore]
fn france_totals_5_3_million_dwellings() {
    let dir = tempfile::tempdir().unwrap();
    let summary = synth::run(&Options {
        scope: Scope::France,
        seed: synth::DEFAULT_SEED,
        data_dir: data_dir(),
        out_dir: dir.path().to_owned(),
    })
    .expect("national run");
    let n = summary.rpls.dwellings as f64;
    assert!((n - 5_300_000.0).abs() < 5_000.0, "{n}");
    assert_eq!(summary.by_departement.len(), 96);
    let rpls = std::fs::read_to_string(dir.path().join(RPLS_FILE)).unwrap();
    let vacancy = std::fs::read_to_string(dir.path().join(VACANCY_FILE)).unwrap();
    assert_eq!(rpls.lines().count() as u64 - 1, summary.rpls.dwellings);
    // Every point inside its commune: the national polygons, or the demo ones where the
    // generator takes them.
    let mut national = String::new();
    let gz = std::fs::File::open(
        data_dir().join("france/communes_france_simplifiees_cog2025.geojson.gz"),
    )
    .unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut national).unwrap();
    let mut polygons = polygons_of(&national);
    polygons.extend(demo_polygons());
    let checked = points_inside(&polygons, [&rpls, &vacancy]);
    assert!(checked > 1_500_000, "{checked}");
}
