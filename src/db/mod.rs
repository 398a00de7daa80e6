//! The database: embedded SQLite by default (a file, WAL, every acknowledged write on disk), or
//! PostgreSQL when several Bourg replicas share one state. Both run the same versioned migrations
//! ([`migrations`]) and the same SQL, written once with `?` placeholders ([`Conn`] turns them into
//! PostgreSQL's `$n`); values are only integers and text, which both store alike.
//!
//! Work on the database is blocking: handlers run it through [`Database::run`], on Tokio's
//! blocking pool. SQLite has one connection (one writer; WAL lets nothing else in this process
//! need more); PostgreSQL a small pool.

mod migrations;
mod postgres;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

/// Where the data lives, parsed from `--database`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file (`sqlite:PATH`, or a plain path).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// The default: `bourg.sqlite3` in the current folder.
    pub const DEFAULT: &'static str = "sqlite:bourg.sqlite3";

    /// Parses `sqlite:PATH`, `sqlite://PATH`, `postgres://…`, `postgresql://…` or a plain path.
    ///
    /// # Errors
    /// An empty path, or another scheme.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err("`sqlite:` needs a file path, e.g. sqlite:bourg.sqlite3".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            s.parse::<::postgres::Config>()
                .map_err(|e| format!("the PostgreSQL URL is not valid: {e}"))?;
            return Ok(Self::Postgres(s.to_owned()));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "unknown database scheme {scheme:?}: use sqlite:PATH or postgres://user:password@host/database"
            ));
        }
        if s.is_empty() {
            return Err("the database is empty: use sqlite:PATH or postgres://…".into());
        }
        Ok(Self::Sqlite(PathBuf::from(s)))
    }

    /// The URL without its password, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite:{}", p.display()),
            Self::Postgres(url) => match url.split_once("://") {
                Some((scheme, rest)) => match rest.rsplit_once('@') {
                    Some((user, host)) => {
                        let user = user.split(':').next().unwrap_or_default();
                        format!("{scheme}://{user}:…@{host}")
                    }
                    None => url.clone(),
                },
                None => url.clone(),
            },
        }
    }
}

/// A value passed to or read from the database: integers and text, each possibly null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Val {
    /// An integer, or `None` for null or text.
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => *i,
            Val::Text(_) => None,
        }
    }

    /// Text, or `None` for null or an integer.
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Text(t) => t.as_deref(),
            Val::Int(_) => None,
        }
    }

    /// Owned text, empty for null.
    pub fn string(&self) -> String {
        self.text().unwrap_or_default().to_owned()
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}

impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}

impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_owned()))
    }
}

impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}

impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}

/// A row: its columns in the order of the query.
pub type Row = Vec<Val>;

/// Which SQL the database speaks, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be opened or reached.
    #[error("cannot open the database {url}: {message}")]
    Open { url: String, message: String },
    /// A statement failed.
    #[error("database error: {0}")]
    Query(String),
    /// A value has a type the code did not expect (a bug or a foreign schema).
    #[error("unexpected value in column {0}")]
    Type(usize),
    /// The database has migrations this binary does not know (a newer Bourg wrote it).
    #[error(
        "the database is at schema version {found}, newer than this Bourg's {known}: upgrade Bourg"
    )]
    TooNew { found: i64, known: i64 },
}

/// One connection, whatever the database. SQL uses `?` placeholders.
pub trait Conn: Send {
    /// Runs a query and returns its rows.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError>;
    /// Runs a statement and returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError>;
    /// Runs statements without parameters, separated by `;`.
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// The dialect.
    fn dialect(&self) -> Dialect;
}

impl dyn Conn + '_ {
    /// The first row, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise. On
    /// SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// read-then-write inside it sees no other writer.
    pub fn transaction<T, E: From<DbError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let begin = match self.dialect() {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        self.batch(begin)?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                // The error that matters is `e`; a failed rollback closes the connection.
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// The database of a server: opened once, shared by the handlers.
#[derive(Clone)]
pub struct Database {
    backend: Backend,
    url: Arc<DatabaseUrl>,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<std::sync::Mutex<sqlite::Connection>>),
    Postgres(Arc<postgres::Pool>),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish()
    }
}

impl Database {
    /// Opens the database and brings its schema to the current version. Blocking.
    ///
    /// # Errors
    /// When it cannot be opened or migrated, or is newer than this binary.
    pub fn open(url: &DatabaseUrl) -> Result<Self, DbError> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => Backend::Sqlite(Arc::new(std::sync::Mutex::new(
                sqlite::Connection::open(path)?,
            ))),
            DatabaseUrl::Postgres(s) => Backend::Postgres(Arc::new(postgres::Pool::new(s, 16)?)),
        };
        let db = Self {
            backend,
            url: Arc::new(url.clone()),
        };
        db.with(migrations::migrate)?;
        Ok(db)
    }

    /// Where it lives, without a password.
    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// Runs `f` on a connection. Blocking: on the async runtime, use [`Self::run`].
    ///
    /// # Errors
    /// `f`'s, or [`DbError`] when no connection can be had.
    pub fn with<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut c = c.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut *c)
            }
            Backend::Postgres(pool) => {
                let mut c = pool.get()?;
                f(&mut *c)
            }
        }
    }

    /// Runs `f` on a connection on Tokio's blocking pool.
    ///
    /// # Errors
    /// `f`'s; a panic in `f` becomes a [`DbError::Query`].
    pub async fn run<T: Send + 'static, E: From<DbError> + Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let db = self.clone();
        match tokio::task::spawn_blocking(move || db.with(f)).await {
            Ok(r) => r,
            Err(e) => Err(DbError::Query(format!("the database work failed: {e}")).into()),
        }
    }

    /// Connections open now and at most (PostgreSQL), or 1 and 1 (SQLite).
    pub fn pool_state(&self) -> (usize, usize) {
        match &self.backend {
            Backend::Sqlite(_) => (1, 1),
            Backend::Postgres(p) => p.state(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_hide_passwords() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:/tmp/a.db"),
            Ok(DatabaseUrl::Sqlite("/tmp/a.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/a.db"),
            Ok(DatabaseUrl::Sqlite("/tmp/a.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("data/b.sqlite3"),
            Ok(DatabaseUrl::Sqlite("data/b.sqlite3".into()))
        );
        let pg = DatabaseUrl::parse("postgres://bourg:secret@db.example:5432/bourg").unwrap();
        assert_eq!(pg.redacted(), "postgres://bourg:…@db.example:5432/bourg");
        assert!(!format!("{pg:?}").contains("secret"));
        assert!(DatabaseUrl::parse("mysql://x")
            .unwrap_err()
            .contains("mysql"));
        assert!(DatabaseUrl::parse("sqlite:").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }
}
