//! Qualification du parc through the router, on SQLite and on PostgreSQL (when
//! `BOURG_TEST_POSTGRES` names a server whose role may create databases; `make test` starts
//! one): accounts and sessions, campaigns, ratings and their conflicts, rights for each role,
//! consolidation against a recomputation from the raw rows read with plain SQL, exports read
//! back by independent readers, tiles decoded by another decoder, stable residence ids.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bourg::db::{Database, DatabaseUrl};
use serde_json::{json, Value};

use crate::support::{demo_layers, error_description, send, settings, LayerDir};

const ADMIN: &str = "admin-token-for-the-qualification-tests";

/// A fresh database: an SQLite file, or a new PostgreSQL database (see
/// [`crate::support::postgres`]); `None` when PostgreSQL is asked for and not configured.
struct Fresh {
    url: DatabaseUrl,
    _dir: tempfile::TempDir,
    _postgres: Option<crate::support::postgres::Database>,
}

fn fresh(postgres: bool) -> Option<Fresh> {
    let dir = tempfile::tempdir().expect("temp dir");
    if !postgres {
        return Some(Fresh {
            url: DatabaseUrl::Sqlite(dir.path().join("bourg.sqlite3")),
            _dir: dir,
            _postgres: None,
        });
    }
    let pg = crate::support::postgres::Database::fresh("qualif")?;
    Some(Fresh {
        url: DatabaseUrl::Postgres(pg.url().to_owned()),
        _dir: dir,
        _postgres: Some(pg),
    })
}

fn app_on(catalog: bourg::Catalog, db: Database) -> Router {
    let mut s = settings();
    s.admin_token = Some(bourg::AdminToken::new(ADMIN).expect("token"));
    bourg::router(bourg::AppState::new(catalog, s).with_database(db))
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let request = match body {
        Some(b) => r
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => r.body(Body::empty()),
    }
    .expect("request");
    send(app, request).await
}

async fn json_call(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (s, _, b) = call(app, method, uri, token, body, &[]).await;
    let v = if b.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&b)
            .unwrap_or_else(|_| panic!("{uri}: {}", String::from_utf8_lossy(&b)))
    };
    (s, v)
}

struct Partners {
    epci: (i64, String),
    landlord: (i64, String),
    other: (i64, String),
    campaign: i64,
}

/// Two partner organisations and one outsider, through the admin routes; a campaign on the CA
/// de Lens-Liévin piloted by the EPCI.
async fn setup(app: &Router) -> Partners {
    let mut made = Vec::new();
    for (name, kind) in [
        ("CA de Lens-Liévin", "epci"),
        ("Maisons & Cités", "bailleur"),
        ("Commune voisine", "commune"),
    ] {
        let (s, org) = json_call(
            app,
            "POST",
            "/admin/orgs",
            Some(ADMIN),
            Some(json!({"name": name, "kind": kind})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{org}");
        let id = org["id"].as_i64().expect("id");
        let (s, m) = json_call(
            app,
            "POST",
            &format!("/admin/orgs/{id}/members"),
            Some(ADMIN),
            Some(json!({"name": format!("membre de {name}")})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        made.push((id, m["token"].as_str().expect("token").to_owned()));
    }
    let (s, c) = json_call(
        app,
        "POST",
        "/api/campaigns",
        Some(&made[0].1),
        Some(json!({"name": "Qualification 2026", "territory": "246200364", "partners": [made[1].0], "opens": "2026-01-15", "closes": "2026-06-30"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["status"], "draft");
    assert_eq!(c["pilot"]["id"], made[0].0);
    assert_eq!(c["criteria"].as_array().map(Vec::len), Some(6));
    Partners {
        epci: made[0].clone(),
        landlord: made[1].clone(),
        other: made[2].clone(),
        campaign: c["id"].as_i64().expect("id"),
    }
}

async fn put_rating(
    app: &Router,
    campaign: i64,
    rid: &str,
    token: &str,
    body: Value,
    if_match: Option<i64>,
) -> (StatusCode, Value) {
    let etag = if_match.map(|r| format!("\"{r}\""));
    let headers: Vec<(&str, &str)> = etag.iter().map(|e| ("if-match", e.as_str())).collect();
    let (s, _, b) = call(
        app,
        "PUT",
        &format!("/api/campaigns/{campaign}/ratings/{rid}"),
        Some(token),
        Some(body),
        &headers,
    )
    .await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// The raw ratings, read with plain SQL: (residence, org) → scores.
fn raw_ratings(db: &Database, campaign: i64) -> BTreeMap<(String, i64), BTreeMap<String, i64>> {
    db.with(|c| -> Result<_, bourg::db::DbError> {
        Ok(c.query(
            "SELECT residence_id, org_id, scores FROM ratings WHERE campaign_id = ?",
            &[campaign.into()],
        )?
        .into_iter()
        .map(|r| {
            (
                (r[0].string(), r[1].int().unwrap_or_default()),
                serde_json::from_str(r[2].text().unwrap_or("{}")).expect("scores JSON"),
            )
        })
        .collect())
    })
    .expect("read ratings")
}

async fn scenario(postgres: bool) {
    let Some(f) = tokio::task::block_in_place(|| fresh(postgres)) else {
        return;
    };
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let db = tokio::task::block_in_place(|| Database::open(&f.url)).expect("open the database");
    let app = app_on(catalog, db.clone());
    let p = setup(&app).await;
    let id = p.campaign;
    let base = format!("/api/campaigns/{id}");

    // A draft: invisible to anonymous users and outsiders, visible to partners.
    assert_eq!(
        json_call(&app, "GET", &base, None, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_call(&app, "GET", &base, Some(&p.other.1), None)
            .await
            .0,
        StatusCode::FORBIDDEN,
        "a member outside the campaign"
    );
    let (_, list) = json_call(&app, "GET", "/api/campaigns", None, None).await;
    assert_eq!(list["campaigns"], json!([]));
    let (s, c) = json_call(&app, "GET", &base, Some(&p.landlord.1), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["you"]["can_rate"], false);
    let residences_total = c["progress"]["residences"].as_u64().expect("progress");
    assert!(residences_total > 100, "{c}");

    // The residences are those of the EPCI's communes in the RPLS file (brute force over the
    // layer's features).
    let (_, rows) = json_call(
        &app,
        "GET",
        &format!("{base}/residences"),
        Some(&p.epci.1),
        None,
    )
    .await;
    let rows = rows["residences"].as_array().expect("rows").clone();
    assert_eq!(rows.len() as u64, residences_total);
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), rows.len(), "ids are unique");
    for r in &rows {
        let id = r["id"].as_str().unwrap_or_default();
        assert!(
            id.starts_with(&format!("{}-", r["commune"].as_str().unwrap_or_default())),
            "{id}"
        );
    }
    let pick: Vec<String> = rows
        .iter()
        .step_by(rows.len() / 3)
        .take(3)
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect();

    // Not open yet: nobody rates.
    let scores = json!({"scores": {"cadre_de_vie": 4}});
    assert_eq!(
        put_rating(&app, id, &pick[0], &p.landlord.1, scores.clone(), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Only the pilot or the admin open it.
    assert_eq!(
        json_call(
            &app,
            "PATCH",
            &base,
            Some(&p.landlord.1),
            Some(json!({"status": "open"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, c) = json_call(
        &app,
        "PATCH",
        &base,
        Some(&p.epci.1),
        Some(json!({"status": "open"})),
    )
    .await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("open")));

    // Rights on writing.
    assert_eq!(
        put_rating(&app, id, &pick[0], "bourg_0000", scores.clone(), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _, _) = call(
        &app,
        "PUT",
        &format!("{base}/ratings/{}", pick[0]),
        None,
        Some(scores.clone()),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        put_rating(&app, id, &pick[0], &p.other.1, scores.clone(), None)
            .await
            .0,
        StatusCode::FORBIDDEN,
        "another organisation"
    );
    assert_eq!(
        put_rating(&app, id, &pick[0], ADMIN, scores.clone(), None)
            .await
            .0,
        StatusCode::FORBIDDEN,
        "the admin has no organisation"
    );
    assert_eq!(
        put_rating(&app, id, "62498-1-1", &p.landlord.1, scores.clone(), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = put_rating(
        &app,
        id,
        &pick[0],
        &p.landlord.1,
        json!({"scores": {"cadre_de_vie": 6}}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error_description(&e).contains("cadre_de_vie"), "{e}");
    let (s, e) = put_rating(
        &app,
        id,
        &pick[0],
        &p.landlord.1,
        json!({"scores": {"beaute": 3}}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error_description(&e).contains("beaute"), "{e}");

    // Three residences rated by both partners; two points apart on one of them.
    let grids = [
        (
            json!({"cadre_de_vie": 4, "tranquillite": 3, "etat_du_bati": 2}),
            json!({"cadre_de_vie": 4, "tranquillite": 3, "etat_du_bati": 3}),
        ),
        (
            json!({"cadre_de_vie": 5, "tranquillite": 5}),
            json!({"cadre_de_vie": 2, "tranquillite": 4}),
        ),
        (
            json!({"cadre_de_vie": 1}),
            json!({"cadre_de_vie": 2, "occupation_mixite": 1}),
        ),
    ];
    for (rid, (a, b)) in pick.iter().zip(&grids) {
        let (s, w) = put_rating(
            &app,
            id,
            rid,
            &p.epci.1,
            json!({"scores": a, "comment": "vu en visite"}),
            None,
        )
        .await;
        assert_eq!(
            (s, w["revision"].as_i64()),
            (StatusCode::CREATED, Some(1)),
            "{w}"
        );
        let (s, _) = put_rating(
            &app,
            id,
            rid,
            &p.landlord.1,
            json!({"scores": b, "comment": "avis du gardien ; « calme »"}),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }

    // Stale writes are refused, never applied.
    let rid = &pick[0];
    let (s, _) = put_rating(
        &app,
        id,
        rid,
        &p.landlord.1,
        json!({"scores": {"cadre_de_vie": 1}}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "exists, no revision given");
    let (s, w) = put_rating(&app, id, rid, &p.landlord.1, json!({"scores": {"cadre_de_vie": 3, "tranquillite": 3, "etat_du_bati": 3}, "comment": "revu"}), Some(1)).await;
    assert_eq!((s, w["revision"].as_i64()), (StatusCode::OK, Some(2)));
    let (s, _) = put_rating(
        &app,
        id,
        rid,
        &p.landlord.1,
        json!({"scores": {"cadre_de_vie": 1}}),
        Some(1),
    )
    .await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
    let (s, _) = put_rating(
        &app,
        id,
        rid,
        &p.landlord.1,
        json!({"scores": {"cadre_de_vie": 1}, "revision": 1}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let raw = tokio::task::block_in_place(|| raw_ratings(&db, id));
    assert_eq!(raw.len(), 6, "three residences × two partners");
    assert_eq!(
        raw[&(rid.clone(), p.landlord.0)]["cadre_de_vie"],
        3,
        "the stale writes changed nothing"
    );

    // History: both revisions of the landlord, with who and when.
    let (_, one) = json_call(
        &app,
        "GET",
        &format!("{base}/residences/{rid}"),
        Some(&p.landlord.1),
        None,
    )
    .await;
    let revisions: Vec<i64> = one["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["org"] == p.landlord.0)
        .map(|h| h["revision"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(revisions, [1, 2]);
    assert!(
        one["history"]
            .as_array()
            .expect("history")
            .iter()
            .all(|h| h["org"] == p.landlord.0),
        "a partner sees only its own history before publication"
    );

    // While open, a partner sees its own ratings and progress, not the consolidation.
    let (_, rows) = json_call(
        &app,
        "GET",
        &format!("{base}/residences"),
        Some(&p.landlord.1),
        None,
    )
    .await;
    let mine = rows["residences"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| !r["mine"].is_null())
        .count();
    assert_eq!(mine, 3);
    assert!(rows["residences"]
        .as_array()
        .expect("rows")
        .iter()
        .all(|r| r["overall"].is_null() && r["desaccord"].is_null() && r.get("ratings").is_none()));

    // The pilot sees the consolidation; it equals a recomputation from the raw rows.
    let (_, rows) = json_call(
        &app,
        "GET",
        &format!("{base}/residences?filter=desaccord"),
        Some(&p.epci.1),
        None,
    )
    .await;
    let flagged: Vec<&str> = rows["residences"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(flagged, [pick[1].as_str()], "5 vs 2 on cadre de vie");
    let (_, rows) = json_call(
        &app,
        "GET",
        &format!("{base}/residences"),
        Some(&p.epci.1),
        None,
    )
    .await;
    let raw = tokio::task::block_in_place(|| raw_ratings(&db, id));
    for r in rows["residences"].as_array().expect("rows") {
        let rid = r["id"].as_str().unwrap_or_default().to_owned();
        let mut by_criterion: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for ((res, _), s) in &raw {
            if *res == rid {
                for (k, v) in s {
                    by_criterion.entry(k.clone()).or_default().push(*v);
                }
            }
        }
        if by_criterion.is_empty() {
            assert!(r["overall"].is_null() && r["partners"] == 0, "{r}");
            continue;
        }
        let means: Vec<f64> = by_criterion
            .values()
            .map(|v| v.iter().sum::<i64>() as f64 / v.len() as f64)
            .collect();
        let overall = ((means.iter().sum::<f64>() / means.len() as f64) * 10.0).round() / 10.0;
        assert_eq!(r["overall"].as_f64(), Some(overall), "{r}");
        let spread = by_criterion
            .values()
            .filter(|v| v.len() > 1)
            .map(|v| v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0))
            .max();
        assert_eq!(r["spread"].as_i64(), spread, "{r}");
        assert_eq!(
            r["desaccord"].as_bool(),
            Some(spread.is_some_and(|s| s >= 2))
        );
        assert_eq!(r["partners"], 2);
        assert_eq!(r["etat"], "notee");
    }

    // Published: anonymous users see the consolidation only; partners see everyone's ratings.
    assert_eq!(
        json_call(
            &app,
            "PATCH",
            &base,
            Some(ADMIN),
            Some(json!({"status": "published"}))
        )
        .await
        .0,
        StatusCode::OK
    );
    let (s, rows) = json_call(
        &app,
        "GET",
        &format!("{base}/residences?filter=desaccord"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let public = &rows["residences"][0];
    assert_eq!(public["id"], pick[1].as_str());
    assert!(
        public.get("ratings").is_none() && public["mine"].is_null(),
        "{public}"
    );
    assert!(
        !rows.to_string().contains("gardien"),
        "no comment is public"
    );
    let (_, rows) = json_call(
        &app,
        "GET",
        &format!("{base}/residences?filter=mon_org"),
        Some(&p.landlord.1),
        None,
    )
    .await;
    assert_eq!(rows["residences"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        rows["residences"][0]["ratings"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        put_rating(
            &app,
            id,
            &pick[2],
            &p.landlord.1,
            json!({"scores": {"cadre_de_vie": 5}}),
            Some(1)
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "published: no more rating"
    );

    // Exports: CSV (BOM, ;), XLSX read by calamine, GeoPackage read by ogrinfo.
    let (s, h, csv) = call(
        &app,
        "GET",
        &format!("{base}/residences?f=csv&filter=mon_org"),
        Some(&p.landlord.1),
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/csv"));
    let text = String::from_utf8(csv).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'));
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        header.contains("note globale;écart entre partenaires;désaccord"),
        "{header}"
    );
    assert!(
        header.contains("commentaires des partenaires"),
        "published: comments for the partners"
    );
    assert_eq!(text.lines().count(), 4, "header and three residences");
    assert!(
        text.contains("\"avis du gardien ; « calme »\"")
            || text.contains("avis du gardien ; « calme »"),
        "{text}"
    );

    let (s, _, xlsx) = call(
        &app,
        "GET",
        &format!("{base}/residences?f=xlsx"),
        Some(&p.epci.1),
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let path = crate::support::temp_file("qualif.xlsx", &xlsx);
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("calamine opens it");
    assert_eq!(book.sheet_names(), ["Résidences", "Notes", "Méthode"]);
    let sheet = book.worksheet_range("Résidences").expect("sheet");
    let head: Vec<String> = sheet
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {head:?}"))
    };
    assert_eq!(sheet.rows().count() as u64, residences_total + 1);
    let flagged_row = sheet
        .rows()
        .find(|r| r[0].to_string() == pick[1])
        .expect("the désaccord residence");
    assert_eq!(
        flagged_row[col("désaccord")].to_string().to_lowercase(),
        "true"
    );
    assert_eq!(
        flagged_row[col("moyenne – Cadre de vie")].as_f64(),
        Some(3.5)
    );
    let notes = book.worksheet_range("Notes").expect("notes");
    assert_eq!(notes.rows().count(), 7, "header and six ratings");

    let (s, _, gpkg) = call(
        &app,
        "GET",
        &format!("{base}/residences?f=gpkg&filter=desaccord"),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let path = crate::support::temp_file("qualif.gpkg", &gpkg);
    let (ok, out, err) = crate::support::run(
        "ogrinfo",
        vec![
            "-ro".into(),
            "-al".into(),
            "-so".into(),
            path.display().to_string(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("Feature Count: 1"), "{out}");
    assert!(out.contains("desaccord: Integer"), "{out}");

    // Tiles: the residences with their progress, decoded by mvt-reader.
    let r = rows["residences"][0].clone();
    let (lon, lat) = (
        r["lon"].as_f64().unwrap_or_default(),
        r["lat"].as_f64().unwrap_or_default(),
    );
    let z = 14u32;
    let n = 2f64.powi(z as i32);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = ((1.0
        - (lat.to_radians().tan() + 1.0 / lat.to_radians().cos()).ln() / std::f64::consts::PI)
        / 2.0
        * n)
        .floor() as u32;
    let (s, h, tile) = call(
        &app,
        "GET",
        &format!("{base}/tiles/{z}/{x}/{y}.mvt"),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/vnd.mapbox-vector-tile");
    let reader = mvt_reader::Reader::new(tile).expect("a tile");
    let names = reader.get_layer_names().expect("layers");
    assert_eq!(names, ["residences"]);
    let features = reader.get_features(0).expect("features");
    let found = features.iter().find(|f| {
        f.properties.as_ref().and_then(|p| p.get("id")).is_some_and(|v| matches!(v, mvt_reader::feature::Value::String(s) if s == r["id"].as_str().unwrap_or_default()))
    });
    let props = found
        .expect("the residence is in its tile")
        .properties
        .clone()
        .expect("properties");
    assert!(
        matches!(props.get("etat"), Some(mvt_reader::feature::Value::String(s)) if s == "notee"),
        "{props:?}"
    );

    // A new campaign on the same territory compares with this one.
    let (s, c2) = json_call(&app, "POST", "/api/campaigns", Some(ADMIN), Some(json!({"name": "Qualification 2027", "territory": "246200364", "partners": [p.epci.0, p.landlord.0], "status": "open"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{c2}");
    assert_eq!(c2["previous"], id);
    assert!(c2["pilot"].is_null(), "made by the admin");
    let id2 = c2["id"].as_i64().unwrap_or_default();
    let (s, _) = put_rating(
        &app,
        id2,
        &pick[1],
        &p.landlord.1,
        json!({"scores": {"cadre_de_vie": 5, "tranquillite": 5}}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, one) = json_call(
        &app,
        "GET",
        &format!("/api/campaigns/{id2}/residences/{}", pick[1]),
        Some(ADMIN),
        None,
    )
    .await;
    // Before: cadre 3.5, tranquillité 4.5 → 4.0; now 5 and 5 → 5.0.
    assert_eq!(
        (
            one["previous_overall"].as_f64(),
            one["overall"].as_f64(),
            one["change"].as_f64()
        ),
        (Some(4.0), Some(5.0), Some(1.0)),
        "{one}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_end_to_end_on_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_end_to_end_on_postgres() {
    scenario(true).await;
}

/// Sessions: a token opens an HttpOnly SameSite cookie session that then authenticates; a wrong
/// token does not; signing out closes it; a revoked member's token and session stop working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_revocation() {
    let f = fresh(false).expect("sqlite");
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let db = tokio::task::block_in_place(|| Database::open(&f.url)).expect("open");
    let app = app_on(catalog, db);
    let p = setup(&app).await;
    let (s, _) = json_call(
        &app,
        "POST",
        "/api/session",
        None,
        Some(json!({"token": "bourg_nope"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, b) = call(
        &app,
        "POST",
        "/api/session",
        None,
        Some(json!({"token": p.landlord.1})),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let cookie = h["set-cookie"].to_str().expect("cookie").to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains(&p.landlord.1),
        "the cookie is not the token"
    );
    let pair = cookie.split(';').next().unwrap_or_default().to_owned();
    let (_, _, who) = call(
        &app,
        "GET",
        "/api/session",
        None,
        None,
        &[("cookie", &pair)],
    )
    .await;
    let who: Value = serde_json::from_slice(&who).expect("json");
    assert_eq!(who["org"]["name"], "Maisons & Cités");
    let (s, _, _) = call(
        &app,
        "GET",
        &format!("/api/campaigns/{}", p.campaign),
        None,
        None,
        &[("cookie", &pair)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the session sees its draft campaign");
    // Revoked: the token and the session stop at once.
    let (s, _, _) = call(&app, "DELETE", "/admin/members/2", Some(ADMIN), None, &[]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = call(
        &app,
        "GET",
        &format!("/api/campaigns/{}", p.campaign),
        None,
        None,
        &[("cookie", &pair)],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        json_call(&app, "GET", "/api/orgs", Some(&p.landlord.1), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // Signing out clears the cookie.
    let (s, h, _) = call(
        &app,
        "DELETE",
        "/api/session",
        None,
        None,
        &[("cookie", &pair)],
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(h["set-cookie"]
        .to_str()
        .unwrap_or_default()
        .contains("Max-Age=0"));
    // Other territories: a programme perimeter and a list of communes; an unknown code is named.
    for (territory, kind) in [
        (json!("acv-113"), "perimetre"),
        (json!(["62498", "62510"]), "communes"),
    ] {
        let (s, c) = json_call(
            &app,
            "POST",
            "/api/campaigns",
            Some(ADMIN),
            Some(json!({"name": "Autre", "territory": territory})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(c["territory"]["kind"], kind, "{c}");
    }
    let (s, e) = json_call(
        &app,
        "POST",
        "/api/campaigns",
        Some(ADMIN),
        Some(json!({"name": "X", "territory": "99999"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error_description(&e).contains("99999"), "{e}");
    let (s, _) = json_call(
        &app,
        "POST",
        "/api/campaigns",
        None,
        Some(json!({"name": "X", "territory": "62498"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // /health says where ratings live, without secrets, and that it answers.
    let (_, health) = json_call(&app, "GET", "/health", None, None).await;
    assert_eq!(health["database"]["reachable"], true, "{health}");
    assert!(health["database"]["url"]
        .as_str()
        .unwrap_or_default()
        .starts_with("sqlite:"));
    // Admin routes need the admin token.
    assert_eq!(
        json_call(&app, "GET", "/admin/orgs", Some(&p.epci.1), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (s, e) = json_call(
        &app,
        "POST",
        "/admin/orgs",
        Some(ADMIN),
        Some(json!({"name": "X", "kind": "banque"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error_description(&e).contains("bailleur"), "{e}");
}

/// Many writers on the same rating at once: each revision is won by exactly one, the others are
/// refused, and the history has no gap or duplicate.
async fn racing_writers(postgres: bool) {
    let Some(f) = tokio::task::block_in_place(|| fresh(postgres)) else {
        return;
    };
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let db = tokio::task::block_in_place(|| Database::open(&f.url)).expect("open");
    let app = app_on(catalog, db.clone());
    let p = setup(&app).await;
    let id = p.campaign;
    json_call(
        &app,
        "PATCH",
        &format!("/api/campaigns/{id}"),
        Some(ADMIN),
        Some(json!({"status": "open"})),
    )
    .await;
    let (_, rows) = json_call(
        &app,
        "GET",
        &format!("/api/campaigns/{id}/residences"),
        Some(ADMIN),
        None,
    )
    .await;
    let rid = rows["residences"][0]["id"].as_str().expect("id").to_owned();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (app, rid, token) = (app.clone(), rid.clone(), p.landlord.1.clone());
        tasks.push(tokio::spawn(async move {
            let score = 1 + i % 5;
            let (s, _) = put_rating(
                &app,
                id,
                &rid,
                &token,
                json!({"scores": {"cadre_de_vie": score}}),
                None,
            )
            .await;
            s
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT));
    // Updaters all read revision 1: one wins.
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (app, rid, token) = (app.clone(), rid.clone(), p.landlord.1.clone());
        tasks.push(tokio::spawn(async move {
            put_rating(
                &app,
                id,
                &rid,
                &token,
                json!({"scores": {"cadre_de_vie": 2}}),
                Some(1),
            )
            .await
            .0
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::OK => ok += 1,
            StatusCode::PRECONDITION_FAILED => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(ok, 1);
    let revisions = tokio::task::block_in_place(|| {
        db.with(|c| -> Result<_, bourg::db::DbError> {
            c.query(
                "SELECT revision FROM rating_revisions WHERE campaign_id = ? ORDER BY revision",
                &[id.into()],
            )
        })
    })
    .expect("history");
    let revisions: Vec<i64> = revisions.iter().filter_map(|r| r[0].int()).collect();
    assert_eq!(revisions, [1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_sqlite() {
    racing_writers(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_postgres() {
    racing_writers(true).await;
}

/// Residence ids come from the data: the same file with its rows in another order gives the
/// same ids, and two buildings rounding to the same metre get -2.
#[test]
fn residence_ids_survive_reordered_files() {
    let header = "DEPCOM;LIBCOM;X;Y;NUMVOIE;NOMVOIE";
    let rows = [
        "62498;Lens;685123.4;7034567.2;1;RUE A",
        "62498;Lens;685123.4;7034567.2;1;RUE A",
        "62498;Lens;685123.3;7034567.1;3;RUE A",
        "62510;Liévin;683000.0;7032000.0;5;RUE B",
    ];
    let ids = |order: &[usize]| {
        let dir = LayerDir::new();
        let mut text = String::from(header);
        for i in order {
            text.push('\n');
            text.push_str(rows[*i]);
        }
        std::fs::write(dir.path().join("rpls.csv"), text).expect("write");
        dir.write(
            "communes",
            r#"title = "c"
synthetic = false
[source]
path = "communes.geojson"
[properties]
code = "string"
nom = "string"
[analysis]
role = "communes"
[attribution]
producer = "test"
date = "2026"
"#,
        );
        std::fs::write(
            dir.path().join("communes.geojson"),
            r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"62498","nom":"Lens"},"geometry":{"type":"Polygon","coordinates":[[[2.7,50.3],[3.0,50.3],[3.0,50.6],[2.7,50.6],[2.7,50.3]]]}},
{"type":"Feature","properties":{"code":"62510","nom":"Liévin"},"geometry":{"type":"Polygon","coordinates":[[[2.6,50.3],[2.7,50.3],[2.7,50.6],[2.6,50.6],[2.6,50.3]]]}}]}"#,
        )
        .expect("write");
        dir.write(
            "rpls",
            r#"title = "r"
synthetic = true
[source]
path = "rpls.csv"
x = "X"
y = "Y"
crs = "EPSG:2154"
delimiter = ";"
[properties]
DEPCOM = "string"
LIBCOM = "string"
X = "float"
Y = "float"
NUMVOIE = "string"
NOMVOIE = "string"
[group]
by = ["X", "Y"]
count = "logements"
[analysis]
role = "residences"
[attribution]
producer = "test"
date = "2026"
"#,
        );
        let catalog = dir.load().expect("loads");
        let t = bourg::qualif::campaigns::resolve(&catalog, "62498,62510").expect("territory");
        bourg::qualif::residences::of_territory(&catalog, &t)
            .expect("residences")
            .into_iter()
            .map(|r| (r.id, r.address))
            .collect::<Vec<_>>()
    };
    let a = ids(&[0, 1, 2, 3]);
    let b = ids(&[3, 2, 1, 0]);
    assert_eq!(a, b);
    let names: Vec<&str> = a.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        names,
        [
            "62498-685123-7034567",
            "62498-685123-7034567-2",
            "62510-683000-7032000"
        ]
    );
}
