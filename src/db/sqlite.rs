//! SQLite through the system library (rusqlite without `bundled`: a second SQLite beside GDAL's
//! crashes GDAL). The file is in WAL mode with `synchronous=FULL`: a commit returns once the
//! write-ahead log is on disk, so an acknowledged write survives a crash or `kill -9`.

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{Conn, DbError, Dialect, Row, Val};

/// One SQLite connection.
pub struct Connection(rusqlite::Connection);

fn err(e: rusqlite::Error) -> DbError {
    DbError::Query(e.to_string())
}

impl Connection {
    /// Opens (creating it if missing) the file, in WAL mode with full synchronisation, foreign
    /// keys enforced, and waiting up to 5 s for another process's lock.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let open_err = |e: &dyn std::fmt::Display| DbError::Open {
            url: format!("sqlite:{}", path.display()),
            message: e.to_string(),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(open_err(&format!(
                    "the folder {} does not exist",
                    parent.display()
                )));
            }
        }
        let c = rusqlite::Connection::open(path).map_err(|e| open_err(&e))?;
        c.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| open_err(&e))?;
        let mode: String = c
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| open_err(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_err(&format!(
                "the file cannot use a write-ahead log (journal mode {mode})"
            )));
        }
        c.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(|e| open_err(&e))?;
        Ok(Self(c))
    }
}

struct Param<'a>(&'a Val);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Val::Int(Some(i)) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Val::Text(Some(t)) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Val::Int(None) | Val::Text(None) => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

impl Conn for Connection {
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(err)?;
        let n = stmt.column_count();
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => Val::Text(None),
                    ValueRef::Integer(v) => Val::Int(Some(v)),
                    ValueRef::Text(t) => Val::Text(Some(String::from_utf8_lossy(t).into_owned())),
                    ValueRef::Real(_) | ValueRef::Blob(_) => return Err(DbError::Type(i)),
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(err)?;
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        Ok(stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(err)? as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.0.execute_batch(sql).map_err(err)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}
