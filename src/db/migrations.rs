//! The schema, in versions applied in order, each once, in a transaction, recorded in
//! `schema_migrations`. A migration is written once for both databases; `{id}` stands for an
//! auto-incremented integer primary key, `{int}` for a 64-bit integer. Never edit a released
//! migration: add the next one.
//!
//! Times are UTC RFC 3339 text, written by Bourg (so both databases hold the same text); score
//! grids and scores are JSON text.

use super::{Conn, DbError, Dialect, Val};

/// The migrations, version 1 first.
const MIGRATIONS: &[&str] = &[
    // 1: organisations, members and their sessions; campaigns, their partners, ratings and
    // every revision of a rating.
    "
    CREATE TABLE orgs (
        id {id},
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE members (
        id {id},
        org_id {int} NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        member_id {int} NOT NULL REFERENCES members(id),
        expires_at TEXT NOT NULL
    );
    CREATE TABLE campaigns (
        id {id},
        name TEXT NOT NULL,
        territory TEXT NOT NULL,
        territory_name TEXT NOT NULL,
        territory_kind TEXT NOT NULL,
        pilot_org_id {int} REFERENCES orgs(id),
        criteria TEXT NOT NULL,
        opens TEXT,
        closes TEXT,
        status TEXT NOT NULL,
        previous_id {int} REFERENCES campaigns(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE campaign_partners (
        campaign_id {int} NOT NULL REFERENCES campaigns(id),
        org_id {int} NOT NULL REFERENCES orgs(id),
        PRIMARY KEY (campaign_id, org_id)
    );
    CREATE TABLE ratings (
        campaign_id {int} NOT NULL REFERENCES campaigns(id),
        residence_id TEXT NOT NULL,
        org_id {int} NOT NULL REFERENCES orgs(id),
        scores TEXT NOT NULL,
        comment TEXT NOT NULL,
        revision {int} NOT NULL,
        member_id {int} NOT NULL REFERENCES members(id),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, residence_id, org_id)
    );
    CREATE TABLE rating_revisions (
        campaign_id {int} NOT NULL,
        residence_id TEXT NOT NULL,
        org_id {int} NOT NULL,
        revision {int} NOT NULL,
        scores TEXT NOT NULL,
        comment TEXT NOT NULL,
        member_id {int} NOT NULL REFERENCES members(id),
        at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, residence_id, org_id, revision),
        FOREIGN KEY (campaign_id, residence_id, org_id)
            REFERENCES ratings(campaign_id, residence_id, org_id)
    );
    CREATE INDEX members_org ON members(org_id);
    CREATE INDEX sessions_member ON sessions(member_id);
    ",
];

/// The schema version this binary writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

fn dialect_sql(sql: &str, d: Dialect) -> String {
    let (id, int) = match d {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "BIGINT"),
    };
    sql.replace("{id}", id).replace("{int}", int)
}

/// Applies the migrations the database lacks. Several replicas starting at once on PostgreSQL
/// take turns (an advisory lock), and SQLite's write lock does the same for processes.
///
/// # Errors
/// A failing migration (none is then recorded), or a database newer than this binary.
pub fn migrate(c: &mut dyn Conn) -> Result<(), DbError> {
    let d = c.dialect();
    c.batch(&dialect_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version {int} PRIMARY KEY, applied_at TEXT NOT NULL)",
        d,
    ))?;
    c.transaction(|c| {
        if d == Dialect::Postgres {
            // Any constant: Bourg's migrations.
            c.batch("SELECT pg_advisory_xact_lock(4242002154)")?;
        }
        let found = c
            .query_opt("SELECT MAX(version) FROM schema_migrations", &[])?
            .and_then(|r| r.first().and_then(Val::int))
            .unwrap_or(0);
        if found > CURRENT {
            return Err(DbError::TooNew {
                found,
                known: CURRENT,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            c.batch(&dialect_sql(sql, d))?;
            c.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                &[Val::from(i as i64 + 1), Val::from(crate::clock::now())],
            )?;
            tracing::info!(version = i + 1, "database migrated");
        }
        Ok(())
    })
}
