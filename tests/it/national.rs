//! The national catalogue (`layers/france`, what `make run` serves): the sheets of Brest, of a
//! Petites villes de demain commune of Corrèze and of an EPCI of Bretagne — each with its
//! département and France columns — equal counts made here from the national files, read
//! without GDAL. Ignored by `cargo test` (it needs the national synthetic files, about 1 GB, and a
//! release build to be quick): `make test-national` runs it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use crate::support::{app, get_json, read_csv, read_text};

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("layers/data")
        .join(file)
}

/// Every commune of the national polygons with its population, département and EPCI.
struct Communes {
    population: HashMap<String, i64>,
    dep: HashMap<String, String>,
    epci: HashMap<String, String>,
}

fn communes() -> Communes {
    let polygons: geojson::FeatureCollection = read_text(&data(
        "france/communes_france_simplifiees_cog2025.geojson.gz",
    ))
    .parse()
    .expect("GeoJSON");
    let mut c = Communes {
        population: HashMap::new(),
        dep: HashMap::new(),
        epci: HashMap::new(),
    };
    for f in polygons.features {
        let text = |k: &str| {
            f.property(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let code = text("code");
        c.population.insert(
            code.clone(),
            f.property("pmun22").and_then(Value::as_i64).unwrap_or(0),
        );
        c.dep.insert(code.clone(), text("dep"));
        c.epci.insert(code, text("epci"));
    }
    c
}

/// The indicators of a set of communes, counted from the files.
fn expected(codes: &HashSet<String>, c: &Communes, social: &HashMap<String, i64>) -> Value {
    let population: i64 = codes.iter().map(|k| c.population[k]).sum();
    let (mut private, mut vacant, mut published) = (0.0, 0.0, 0);
    for r in read_csv(
        &data("france/lovac_vacance_longue_communes_2021.csv.gz"),
        ',',
    ) {
        if !codes.contains(&r["insee_com"]) {
            continue;
        }
        if let (Ok(n), Ok(pct)) = (
            r["nb_log_pp"].parse::<f64>(),
            r["pct_vacants_plus_2ans_pp"].parse::<f64>(),
        ) {
            private += n;
            vacant += n * pct / 100.0;
            published += 1;
        }
    }
    let zoned: HashMap<String, String> = read_csv(&data("france/zonage_abc_communes.csv.gz"), ',')
        .into_iter()
        .map(|r| (r["insee_com"].clone(), r["zonage_abc"].clone()))
        .collect();
    let mut zones: BTreeMap<String, usize> = BTreeMap::new();
    for code in codes {
        let zone = zoned.get(code).map_or("non renseigné", String::as_str);
        *zones.entry(zone.to_owned()).or_default() += 1;
    }
    let qpv: HashMap<String, i64> = read_csv(&data("france/qpv2024_communes.csv.gz"), ',')
        .into_iter()
        .filter(|r| codes.contains(&r["insee_com"]))
        .map(|r| {
            (
                r["insee_com"].clone(),
                r["n_qp_in_commune"].parse().expect("n"),
            )
        })
        .collect();
    let rows = |file: &str, pred: &dyn Fn(&BTreeMap<String, String>) -> bool| {
        read_csv(&data(file), ',')
            .iter()
            .filter(|r| codes.contains(&r["insee_com"]) && pred(r))
            .count()
    };
    json!({
        "population": population,
        "communes": codes.len(),
        "private_long_term_vacancy": vacant.round() as i64,
        "private_long_term_vacancy_rate": if private > 0.0 { json!((1000.0 * vacant / private).round() / 10.0) } else { Value::Null },
        "private_vacancy_unpublished": codes.len() - published,
        "zonage_abc": zones,
        "qpv": qpv.values().sum::<i64>(),
        "brownfields": rows("france/cartofriches_sites_2023.csv.gz", &|_| true),
        "acv_communes": rows("france/acv_communes.csv.gz", &|_| true),
        "pvd_communes": rows("france/pvd_communes.csv.gz", &|_| true),
        "ort_communes": rows("france/ort_conventions_communes.csv.gz", &|r| r["signee"] == "Signée"),
        "social_dwellings": codes.iter().filter_map(|k| social.get(k)).sum::<i64>(),
    })
}

/// Dwellings per commune of the national synthetic RPLS file, counted line by line.
fn social_dwellings() -> HashMap<String, i64> {
    use std::io::BufRead;
    let file = std::fs::File::open(data("synthetic/france/rpls.csv")).expect(
        "the national synthetic files: `make synth-france` (or `make test-national`) writes them",
    );
    let mut lines = std::io::BufReader::new(file).lines();
    let header = lines.next().expect("header").expect("text");
    let depcom = header
        .split(';')
        .position(|c| c == "DEPCOM")
        .expect("DEPCOM column");
    let mut out: HashMap<String, i64> = HashMap::new();
    for line in lines {
        let line = line.expect("text");
        let code = line.split(';').nth(depcom).expect("DEPCOM");
        *out.entry(code.to_owned()).or_default() += 1;
    }
    out
}

#[tokio::test]
#[ignore = "needs the national synthetic files and a release build: make test-national"]
async fn national_sheets_equal_counts_of_the_national_files() {
    let started = Instant::now();
    let catalog =
        bourg::Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("layers/france"))
            .expect("the national catalogue loads");
    eprintln!(
        "national catalogue loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for layer in catalog.layers() {
        eprintln!("  {:<20} {:>9} features", layer.id(), layer.len());
    }
    let c = communes();
    let social = social_dwellings();
    let app = app(catalog);

    let all: HashSet<String> = c.population.keys().cloned().collect();
    let france = expected(&all, &c, &social);
    let corrèze_pvd = read_csv(&data("france/pvd_communes.csv.gz"), ',')
        .into_iter()
        .find(|r| r["insee_dep"] == "19")
        .expect("a PVD commune in Corrèze")["insee_com"]
        .clone();
    let rennes_epci = c.epci["35238"].clone();
    for code in ["29019", corrèze_pvd.as_str(), rennes_epci.as_str()] {
        let (status, body) = get_json(&app, &format!("/api/territories/{code}")).await;
        assert_eq!(status, 200, "{code}: {body}");
        let codes: HashSet<String> = if code.len() == 9 {
            all.iter().filter(|k| c.epci[*k] == code).cloned().collect()
        } else {
            HashSet::from([code.to_owned()])
        };
        let dep = c.dep[codes.iter().next().expect("a commune")].clone();
        let dep_codes: HashSet<String> = all.iter().filter(|k| c.dep[*k] == dep).cloned().collect();
        let own = expected(&codes, &c, &social);
        let departement = expected(&dep_codes, &c, &social);
        assert_eq!(body["territory"]["communes"], json!(codes.len()), "{code}");
        assert_eq!(body["departement"]["code"], json!(dep), "{code}");
        let indicators = body["indicators"].as_array().expect("indicators");
        let mut checked = 0;
        for (id, value) in own.as_object().expect("object") {
            let Some(i) = indicators.iter().find(|i| i["id"] == *id) else {
                panic!("{code}: no indicator {id}");
            };
            assert_eq!(i["value"], *value, "{code}: {id}");
            assert_eq!(i["departement"], departement[id], "{code}: {id} in {dep}");
            assert_eq!(i["france"], france[id], "{code}: {id} in France");
            checked += 1;
        }
        eprintln!(
            "{code} ({}): {checked} indicators equal the files",
            body["territory"]["name"]
        );
    }
    assert_eq!(france["communes"], json!(34_867));
    assert!(france["social_dwellings"]
        .as_i64()
        .is_some_and(|n| n > 5_000_000));
}
