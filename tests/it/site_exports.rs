//! Every download of the site finder holds every match, with the same columns in the same order,
//! read back by readers that are not ours: Python's `csv` module (French Excel CSV), `calamine`
//! (XLSX), GDAL (GeoJSON, GeoPackage).

use std::process::Command;

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

use crate::sites::COMPONENTS;
use crate::support::{app, demo_layers, get_json, send, temp_file};

/// The French headers, in order (the contract with spreadsheet users).
const HEADERS: [&str; 21] = [
    "rang",
    "type",
    "score",
    "commune",
    "code INSEE",
    "EPCI",
    "SIREN EPCI",
    "adresse",
    "libellé",
    "vacance alentour",
    "programme",
    "centralité",
    "parc social proche",
    "taille",
    "détente du marché",
    "fragilité",
    "synthétique",
    "couche",
    "identifiant",
    "lon",
    "lat",
];

/// More than the 50 a JSON page holds by default, fewer than the 1,000 of its largest page.
const QUERY: &str = "territory=62498,62510&kind=friche,residence&weights=fragility:0.3";

async fn download(app: &axum::Router, query: &str) -> (axum::http::HeaderMap, Vec<u8>) {
    let (status, headers, body) = send(
        app,
        Request::get(format!("/api/sites?{query}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{query}: {}", String::from_utf8_lossy(&body));
    (headers, body.to_vec())
}

fn python(script: &str, arg: &std::path::Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(arg)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn every_export_holds_every_match_with_the_same_values() {
    let app = app(bourg::Catalog::load(&demo_layers()).expect("demo loads"));
    let (status, json) = get_json(&app, &format!("/api/sites?{QUERY}&limit=1000")).await;
    assert_eq!(status, 200);
    let matched = json["matched"].as_u64().expect("matched") as usize;
    let sites = json["sites"].as_array().expect("sites");
    assert!(matched > 50 && matched == sites.len(), "{matched}");
    let (_, default_page) = get_json(&app, &format!("/api/sites?{QUERY}")).await;
    assert_eq!(default_page["count"], 50);
    assert_eq!(default_page["matched"].as_u64(), Some(matched as u64));

    // CSV: BOM, `;`, CRLF, decimal commas, read by Python's csv module.
    let (headers, csv) = download(&app, &format!("{QUERY}&f=csv")).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("filename=\"sites.csv\""));
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    let text = std::str::from_utf8(&csv).expect("UTF-8");
    assert!(text.ends_with("\r\n"));
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    let rows = python(
        "import csv, json, sys\n\
         rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''), delimiter=';'))\n\
         print(json.dumps(rows))",
        &temp_file("sites.csv", &csv),
    );
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), matched + 1);
    let header: Vec<&str> = rows[0]
        .as_array()
        .expect("header")
        .iter()
        .map(|h| h.as_str().expect("text"))
        .collect();
    assert_eq!(header, HEADERS);
    let french = |cell: &Value| -> f64 {
        let t = cell.as_str().expect("text");
        assert!(!t.contains('.'), "{t} has a decimal point");
        t.replace(',', ".").parse().expect("number")
    };
    for (row, s) in rows[1..].iter().zip(sites) {
        let row = row.as_array().expect("row");
        assert_eq!(row.len(), HEADERS.len());
        assert_eq!(row[0].as_str(), Some(s["rank"].to_string().as_str()));
        assert_eq!(row[1], s["kind"]);
        assert!(close(french(&row[2]), s["score"].as_f64().expect("score")));
        assert_eq!(row[3], s["commune_name"]);
        assert_eq!(row[4], s["commune"]);
        assert_eq!(row[5], s["epci"]["name"]);
        assert_eq!(row[6], s["epci"]["siren"]);
        assert_eq!(row[7].as_str(), Some(s["address"].as_str().unwrap_or("")));
        assert_eq!(row[8], s["label"]);
        for (k, c) in COMPONENTS.iter().enumerate() {
            let v = s["components"][c].as_f64().expect("component");
            assert!(close(french(&row[9 + k]), v), "{c}");
        }
        let synthetic = if s["synthetic"] == true { "oui" } else { "non" };
        assert_eq!(row[16].as_str(), Some(synthetic));
        assert!(close(french(&row[19]), s["lon"].as_f64().expect("lon")));
        assert!(close(french(&row[20]), s["lat"].as_f64().expect("lat")));
    }

    // XLSX, read by calamine: numbers are numbers, one row per match.
    let (headers, xlsx) = download(&app, &format!("{QUERY}&f=xlsx")).await;
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(headers["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("filename=\"sites.xlsx\""));
    check_xlsx(&xlsx, matched, sites);

    // GeoJSON and GeoPackage, read by GDAL: every match, keys in the same order.
    for (ext, media) in [
        ("geojson", "application/geo+json"),
        ("gpkg", "application/geopackage+sqlite3"),
    ] {
        let (headers, bytes) = download(&app, &format!("{QUERY}&f={ext}")).await;
        assert_eq!(headers["content-type"], media);
        let path = temp_file(&format!("sites.{ext}"), &bytes);
        let out = Command::new("ogrinfo")
            .args(["-ro", "-al", "-so"])
            .arg(&path)
            .output()
            .expect("ogrinfo");
        let info = String::from_utf8_lossy(&out.stdout);
        assert!(
            info.contains(&format!("Feature Count: {matched}")),
            "{ext}: {info}"
        );
        // The fields, in order, after the header lines.
        let fields: Vec<&str> = info
            .lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
            .skip_while(|k| *k != "rank")
            .collect();
        assert_eq!(
            &fields[..5],
            ["rank", "kind", "score", "commune_name", "commune"],
            "{ext}"
        );
        assert_eq!(fields.len(), HEADERS.len(), "{ext}: {fields:?}");
    }
}

fn check_xlsx(bytes: &[u8], matched: usize, sites: &[Value]) {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    assert_eq!(book.sheet_names(), ["Sites", "Méthode"]);
    let range = book.worksheet_range("Sites").expect("Sites");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), matched + 1);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, HEADERS);
    let number = |d: &Data| match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("{other:?} is not a number"),
    };
    for (row, s) in rows[1..].iter().zip(sites) {
        assert_eq!(number(&row[0]) as u64, s["rank"].as_u64().expect("rank"));
        assert_eq!(row[1].to_string(), s["kind"].as_str().expect("kind"));
        assert!(close(number(&row[2]), s["score"].as_f64().expect("score")));
        assert_eq!(
            row[3].to_string(),
            s["commune_name"].as_str().expect("name")
        );
        assert_eq!(row[4].to_string(), s["commune"].as_str().expect("code"));
        match s["address"].as_str() {
            Some(a) => assert_eq!(row[7].to_string(), a),
            None => assert_eq!(row[7], Data::Empty),
        }
        assert_eq!(row[8].to_string(), s["label"].as_str().expect("label"));
        for (k, c) in COMPONENTS.iter().enumerate() {
            assert!(close(
                number(&row[9 + k]),
                s["components"][c].as_f64().expect("component")
            ));
        }
        assert_eq!(row[16], Data::Bool(s["synthetic"] == true));
        assert!(close(number(&row[19]), s["lon"].as_f64().expect("lon")));
    }
    let method = book.worksheet_range("Méthode").expect("Méthode");
    let text: Vec<String> = method
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    let all = text.join("\n");
    assert!(all.contains("Vacance alentour | 0,25 |"), "{all}");
    assert!(all.contains("Fragilité | 0,3 |"), "{all}");
    assert!(all.contains("Cerema (Cartofriches)"), "{all}");
    assert!(all.contains("données synthétiques"), "{all}");
    assert!(all.contains(&format!("Sites retenus | {matched}")), "{all}");
}

/// The sheet « Sites » has a frozen header row and an autofilter over every column, and the
/// score a one-decimal format (read in the workbook's XML with Python's zipfile).
#[tokio::test]
async fn the_workbook_has_a_frozen_filtered_header_and_a_score_format() {
    let app = app(bourg::Catalog::load(&demo_layers()).expect("demo loads"));
    let (_, xlsx) = download(&app, &format!("{QUERY}&f=xlsx&limit=60")).await;
    let parts = python(
        "import zipfile, json, sys\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         print(json.dumps({n: z.read(n).decode() for n in ['xl/worksheets/sheet1.xml', 'xl/styles.xml']}))",
        &temp_file("sites.xlsx", &xlsx),
    );
    let sheet = parts["xl/worksheets/sheet1.xml"].as_str().expect("sheet");
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "no frozen row"
    );
    assert!(
        sheet.contains("<autoFilter ref=\"A1:U61\""),
        "no autofilter"
    );
    let styles = parts["xl/styles.xml"].as_str().expect("styles");
    assert!(styles.contains("formatCode=\"0.0\""), "{styles}");
    assert!(styles.contains("<b/>"), "no bold");
}

/// Without a limit a download holds every match, so it refuses more than its ceiling; with a
/// limit it holds that many.
#[tokio::test]
async fn downloads_without_a_limit_are_whole_and_a_limit_cuts_them() {
    let app = app(bourg::Catalog::load(&demo_layers()).expect("demo loads"));
    let (_, csv) = download(&app, &format!("{QUERY}&f=csv&limit=7")).await;
    let text = String::from_utf8(csv).expect("UTF-8");
    assert_eq!(text.lines().count(), 8);
    // The whole demo (every vacancy building of two départements) is well under the ceiling.
    let (_, json) = get_json(&app, "/api/sites?territory=62,25&kind=vacance").await;
    let matched = json["matched"].as_u64().expect("matched") as usize;
    assert!(matched > 1000, "{matched}");
    let (_, geojson) = download(&app, "territory=62,25&kind=vacance&f=geojson").await;
    let doc: Value = serde_json::from_slice(&geojson).expect("GeoJSON");
    assert_eq!(doc["features"].as_array().expect("features").len(), matched);
    let keys: Vec<&String> = doc["features"][0]["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .collect();
    assert_eq!(keys.len(), HEADERS.len());
}
