//! The site finder's filters — a list of territories, programmes — against counts made by brute
//! force over the source files (not through the server's own selection).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::{app, demo_data, demo_layers, get_json, read_csv};

fn demo_app() -> axum::Router {
    app(bourg::Catalog::load(&demo_layers()).expect("demo loads"))
}

/// `matched` and the page of a query.
async fn page(app: &axum::Router, query: &str) -> (usize, Vec<Value>) {
    let (status, body) = get_json(app, &format!("/api/sites?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    (
        body["matched"].as_u64().expect("matched") as usize,
        body["sites"].as_array().expect("sites").clone(),
    )
}

/// INSEE codes of the brownfields (one per row with a position) and of the vacancy buildings.
fn source_communes() -> (Vec<String>, Vec<String>) {
    let data = demo_data();
    let friches = read_csv(&data.join("cartofriches_sites_62_25_2023.csv"), ',')
        .into_iter()
        .filter(|r| !r["lon"].is_empty() && !r["lat"].is_empty())
        .map(|r| r["insee_com"].clone())
        .collect();
    let vacancy = read_csv(&data.join("synthetic/vacance_batiments.csv"), ';')
        .into_iter()
        .filter(|r| !r["X"].is_empty() && !r["Y"].is_empty())
        .map(|r| r["DEPCOM"].clone())
        .collect();
    (friches, vacancy)
}

fn count_in(codes: &[String], set: &BTreeSet<String>) -> usize {
    codes.iter().filter(|c| set.contains(*c)).count()
}

/// ACV, PVD and ORT (signed or under way) communes, from the files.
fn programmes() -> BTreeMap<&'static str, BTreeSet<String>> {
    let data = demo_data();
    let mut out = BTreeMap::new();
    for (name, file) in [
        ("acv", "acv_communes_62_25.geojson"),
        ("pvd", "pvd_communes_62_25.geojson"),
    ] {
        let fc: geojson::FeatureCollection = std::fs::read_to_string(data.join(file))
            .expect("read")
            .parse()
            .expect("GeoJSON");
        out.insert(
            name,
            fc.features
                .iter()
                .filter_map(|f| f.property("insee_com").and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
        );
    }
    out.insert(
        "ort",
        read_csv(&data.join("ort_conventions_62_25.csv"), ',')
            .into_iter()
            .filter(|r| r["signee"] == "Signée" || r["signee"] == "En cours")
            .map(|r| r["insee_com"].clone())
            .collect(),
    );
    out
}

#[tokio::test]
async fn a_list_of_territories_is_the_union_of_their_communes() {
    let app = demo_app();
    let (friches, vacancy) = source_communes();
    let lens_lievin: BTreeSet<String> = ["62498", "62510"].map(str::to_owned).into();
    let (both, sites) = page(&app, "territory=62498,62510&kind=friche,vacance&limit=1000").await;
    let expected = count_in(&friches, &lens_lievin) + count_in(&vacancy, &lens_lievin);
    assert_eq!(both, expected);
    assert!(count_in(&friches, &lens_lievin) > 0 && count_in(&vacancy, &lens_lievin) > 0);
    assert!(sites
        .iter()
        .all(|s| lens_lievin.contains(s["commune"].as_str().expect("commune"))));
    let (lens, _) = page(&app, "territory=62498&kind=friche,vacance").await;
    let (lievin, _) = page(&app, "territory=62510&kind=friche,vacance").await;
    assert_eq!(lens + lievin, both);
    assert!(lens > 0 && lievin > 0);
    // A repeated code counts once; a département and one of its communes: the département.
    let (again, _) = page(&app, "territory=62498,62510,62498&kind=friche,vacance").await;
    assert_eq!(again, both);
    let communes: geojson::FeatureCollection =
        std::fs::read_to_string(demo_data().join("communes_62_25_cog2025.geojson"))
            .expect("read")
            .parse()
            .expect("GeoJSON");
    let doubs: BTreeSet<String> = communes
        .features
        .iter()
        .filter(|f| f.property("dep").and_then(Value::as_str) == Some("25"))
        .filter_map(|f| f.property("code").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let mut doubs_and_lens = doubs.clone();
    doubs_and_lens.insert("62498".into());
    let (n, _) = page(&app, "territory=25,62498&kind=friche").await;
    assert_eq!(n, count_in(&friches, &doubs_and_lens));
    assert!(n > count_in(&friches, &doubs));
}

#[tokio::test]
async fn the_programme_filter_keeps_the_sites_of_those_programmes_communes() {
    let app = demo_app();
    let (friches, vacancy) = source_communes();
    let programmes = programmes();
    assert!(programmes.values().all(|p| !p.is_empty()));
    // Without a territory: every brownfield of an ACV commune is a candidate (perimeter 1).
    let (n, sites) = page(&app, "programme=acv&kind=friche&limit=1000").await;
    assert_eq!(n, count_in(&friches, &programmes["acv"]));
    assert!(n > 0);
    assert!(sites
        .iter()
        .all(|s| programmes["acv"].contains(s["commune"].as_str().expect("commune"))));
    // Several programmes: the union; with a territory: within it too.
    let pvd_ort: BTreeSet<String> = programmes["pvd"]
        .union(&programmes["ort"])
        .cloned()
        .collect();
    let in_62: BTreeSet<String> = pvd_ort
        .iter()
        .filter(|c| c.starts_with("62"))
        .cloned()
        .collect();
    let (n, _) = page(&app, "territory=62&programme=pvd,ort&kind=friche,vacance").await;
    assert_eq!(n, count_in(&friches, &in_62) + count_in(&vacancy, &in_62));
    assert!(count_in(&friches, &in_62) > 0);
    // Case does not matter; every programme is the whole programme set.
    let all: BTreeSet<String> = programmes.values().flatten().cloned().collect();
    let (n, _) = page(&app, "programme=ACV,Pvd,ort&kind=friche").await;
    assert_eq!(n, count_in(&friches, &all));
}
