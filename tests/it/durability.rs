//! `kill -9` right after the last acknowledged rating, on the real binary: after a restart, every
//! rating a partner was told was saved (200 or 201) is there with its exact scores, comment and
//! revision, and its history holds every revision. On SQLite (a temporary file) and on PostgreSQL
//! (a fresh database on the server `BOURG_TEST_POSTGRES` names; skipped without it, failed
//! without it when `CI_REQUIRE_POSTGRES=1`, as `make test` sets).

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::support::demo_layers;
use crate::support::server::Server;

const ADMIN_TOKEN: &str = "durability-admin-token-0123456789abcdef";
/// Residences rated by each of the two organisations.
const RESIDENCES: usize = 100;
/// Every third rating is updated once (revision 2) in the same burst.
const UPDATE_EVERY: usize = 3;
const THREADS: usize = 8;

/// `bourg admin …` on the database; its one JSON line.
fn admin(database: &str, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bourg"))
        .arg("admin")
        .args(args)
        .args(["--database", database])
        .env("NO_COLOR", "1")
        .output()
        .expect("run bourg admin");
    assert!(
        out.status.success(),
        "bourg admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bourg admin {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn serve(database: &str) -> Server {
    Server::start([
        "--no-cache",
        "--layers",
        demo_layers().to_str().expect("UTF-8 path"),
        "--database",
        database,
        "--admin-token",
        ADMIN_TOKEN,
    ])
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The scores of one write: distinct per organisation, residence and revision.
fn scores(criteria: &[String], org: usize, residence: usize, revision: i64) -> Value {
    let grid: serde_json::Map<String, Value> = criteria
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let s = 1 + (residence * 7 + j * 3 + org * 2 + revision as usize) % 5;
            (c.clone(), json!(s))
        })
        .collect();
    Value::Object(grid)
}

/// What a partner was told is saved: (org id, residence id) → (scores, comment, revision).
type Acknowledged = BTreeMap<(i64, String), (Value, String, i64)>;

fn ratings_survive_kill_9(database: &str) {
    let orgs: Vec<i64> = [
        ("Bailleur du Bassin", "bailleur"),
        ("Ville de Lens", "commune"),
    ]
    .iter()
    .map(|(name, kind)| {
        let org = admin(database, &["org", "add", "--name", name, "--kind", kind]);
        assert_eq!(org["name"], *name, "{org}");
        org["id"].as_i64().expect("org id")
    })
    .collect();
    let tokens: Vec<String> = orgs
        .iter()
        .map(|org| {
            let member = admin(
                database,
                &["token", "add", "--org", &org.to_string(), "--name", "Agent"],
            );
            assert_eq!(member["org"], *org, "{member}");
            member["token"].as_str().expect("token").to_owned()
        })
        .collect();

    let mut server = serve(database);
    let admin_auth = bearer(ADMIN_TOKEN);
    let body = json!({
        "name": "Durabilité",
        "territory": "246200364",
        "partners": orgs,
        "status": "open",
    })
    .to_string();
    let created = server.request(
        "POST",
        "/api/campaigns",
        &[
            ("Authorization", &admin_auth),
            ("Content-Type", "application/json"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let campaign = created.json();
    let id = campaign["id"].as_i64().expect("campaign id");
    let criteria: Vec<String> = campaign["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .map(|c| c["id"].as_str().expect("criterion id").to_owned())
        .collect();
    let listing = server.request(
        "GET",
        &format!("/api/campaigns/{id}/residences"),
        &[("Authorization", &admin_auth)],
        None,
    );
    assert_eq!(listing.status, 200, "{}", listing.text());
    let residences: Vec<String> = listing.json()["residences"]
        .as_array()
        .expect("residences")
        .iter()
        .take(RESIDENCES)
        .map(|r| r["id"].as_str().expect("residence id").to_owned())
        .collect();
    assert_eq!(residences.len(), RESIDENCES, "residences in 246200364");

    // The burst: both organisations rate every residence at once, over THREADS connections in
    // parallel; every third rating is updated right after it was created.
    let tasks: Vec<(usize, usize)> = (0..RESIDENCES)
        .flat_map(|r| (0..orgs.len()).map(move |o| (o, r)))
        .collect();
    let acknowledged = Mutex::new(Acknowledged::new());
    let writes = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for part in tasks.chunks(tasks.len().div_ceil(THREADS)) {
            let (server, acknowledged, writes) = (&server, &acknowledged, &writes);
            let (orgs, tokens, residences, criteria) = (&orgs, &tokens, &residences, &criteria);
            scope.spawn(move || {
                for &(o, r) in part {
                    let auth = bearer(&tokens[o]);
                    let path = format!("/api/campaigns/{id}/ratings/{}", residences[r]);
                    let revisions = if r % UPDATE_EVERY == 0 { 2 } else { 1 };
                    for revision in 1..=revisions {
                        let comment = format!("revision {revision} of residence {r}");
                        let body = json!({
                            "scores": scores(criteria, o, r, revision),
                            "comment": comment,
                        })
                        .to_string();
                        let if_match = format!("\"{}\"", revision - 1);
                        let mut headers = vec![
                            ("Authorization", auth.as_str()),
                            ("Content-Type", "application/json"),
                        ];
                        if revision > 1 {
                            headers.push(("If-Match", &if_match));
                        }
                        let answer = server.request("PUT", &path, &headers, Some(body.as_bytes()));
                        let want = if revision == 1 { 201 } else { 200 };
                        assert_eq!(answer.status, want, "{path}: {}", answer.text());
                        assert_eq!(answer.json()["revision"], revision, "{path}");
                        let etag = format!("\"{revision}\"");
                        assert_eq!(answer.header("etag"), Some(etag.as_str()), "{path}");
                        acknowledged.lock().expect("lock").insert(
                            (orgs[o], residences[r].clone()),
                            (scores(criteria, o, r, revision), comment.clone(), revision),
                        );
                        *writes.lock().expect("lock") += 1;
                    }
                }
            });
        }
    });
    // Right after the last acknowledgement: no shutdown, no flush.
    server.kill_9();
    let acknowledged = acknowledged.into_inner().expect("lock");
    let writes = writes.into_inner().expect("lock");
    assert_eq!(
        writes,
        orgs.len() * (RESIDENCES + RESIDENCES.div_ceil(UPDATE_EVERY))
    );

    let server = serve(database);
    let listing = server.request(
        "GET",
        &format!("/api/campaigns/{id}/residences"),
        &[("Authorization", &admin_auth)],
        None,
    );
    assert_eq!(listing.status, 200, "{}", listing.text());
    let mut found = Acknowledged::new();
    for residence in listing.json()["residences"].as_array().expect("residences") {
        let rid = residence["id"].as_str().expect("residence id");
        for rating in residence["ratings"].as_array().into_iter().flatten() {
            let key = (rating["org"].as_i64().expect("org"), rid.to_owned());
            let value = (
                rating["scores"].clone(),
                rating["comment"].as_str().expect("comment").to_owned(),
                rating["revision"].as_i64().expect("revision"),
            );
            assert!(found.insert(key, value).is_none(), "one rating per org");
        }
    }
    assert_eq!(found.len(), acknowledged.len(), "ratings after kill -9");
    assert_eq!(found, acknowledged, "every acknowledged rating, exactly");

    // The history of an updated residence holds both revisions of both organisations.
    let updated = &residences[0];
    let sheet = server.request(
        "GET",
        &format!("/api/campaigns/{id}/residences/{updated}"),
        &[("Authorization", &admin_auth)],
        None,
    );
    assert_eq!(sheet.status, 200, "{}", sheet.text());
    let mut history: Vec<(i64, i64)> = sheet.json()["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            (
                h["org"].as_i64().expect("org"),
                h["revision"].as_i64().expect("rev"),
            )
        })
        .collect();
    history.sort_unstable();
    let mut want: Vec<(i64, i64)> = orgs.iter().flat_map(|&o| [(o, 1), (o, 2)]).collect();
    want.sort_unstable();
    assert_eq!(history, want, "history of {updated}");
}

#[test]
fn sqlite_keeps_every_acknowledged_rating_after_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("bourg.sqlite3").display());
    ratings_survive_kill_9(&url);
}

#[test]
fn postgres_keeps_every_acknowledged_rating_after_kill_9() {
    let Some(database) = crate::support::postgres::Database::fresh("durability") else {
        return;
    };
    ratings_survive_kill_9(database.url());
}
