//! PostgreSQL through the synchronous `postgres` client (run on Tokio's blocking pool, like
//! SQLite), with a small pool of connections.

use std::sync::{Condvar, Mutex};

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::{Conn, DbError, Dialect, Row, Val};

fn err(e: postgres::Error) -> DbError {
    // The server's own message says what failed (a constraint, a syntax error).
    match e.as_db_error() {
        Some(db) => DbError::Query(format!("{}: {}", db.code().code(), db.message())),
        None => DbError::Query(e.to_string()),
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (the SQL of this crate has no `?` in literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// One connection of the pool.
pub struct Connection(Client);

fn params(values: &[Val]) -> Vec<Box<dyn ToSql + Sync>> {
    values
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Val::Int(i) => Box::new(*i),
                Val::Text(t) => Box::new(t.clone()),
            }
        })
        .collect()
}

impl Conn for Connection {
    fn query(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Row>, DbError> {
        let stmt = self.0.prepare(&numbered(sql)).map_err(err)?;
        let boxed = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(&stmt, &refs).map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let t = column.type_();
                values.push(if *t == Type::INT8 {
                    Val::Int(row.try_get::<_, Option<i64>>(i).map_err(err)?)
                } else if *t == Type::INT4 {
                    Val::Int(
                        row.try_get::<_, Option<i32>>(i)
                            .map_err(err)?
                            .map(i64::from),
                    )
                } else if *t == Type::TEXT || *t == Type::VARCHAR {
                    Val::Text(row.try_get::<_, Option<String>>(i).map_err(err)?)
                } else {
                    return Err(DbError::Type(i));
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, values: &[Val]) -> Result<u64, DbError> {
        let boxed = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        self.0.execute(numbered(sql).as_str(), &refs).map_err(err)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.0.batch_execute(sql).map_err(err)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

/// Connections made on demand up to a maximum; a caller past it waits for one to come back.
pub struct Pool {
    config: postgres::Config,
    url: String,
    idle: Mutex<(Vec<Client>, usize)>,
    returned: Condvar,
    max: usize,
}

impl Pool {
    /// A pool of at most `max` connections; one is opened now, to fail early.
    pub fn new(url: &str, max: usize) -> Result<Self, DbError> {
        let redacted = super::DatabaseUrl::Postgres(url.to_owned()).redacted();
        let mut config: postgres::Config =
            url.parse().map_err(|e: postgres::Error| DbError::Open {
                url: redacted.clone(),
                message: e.to_string(),
            })?;
        // A server that does not answer fails a request rather than holding it forever.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(5));
        }
        let pool = Self {
            config,
            url: redacted,
            idle: Mutex::new((Vec::new(), 0)),
            returned: Condvar::new(),
            max: max.max(1),
        };
        let first = pool.connect()?;
        pool.lock().0.push(first);
        pool.lock().1 = 1;
        Ok(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<Client>, usize)> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn connect(&self) -> Result<Client, DbError> {
        self.config.connect(NoTls).map_err(|e| DbError::Open {
            url: self.url.clone(),
            message: e.to_string(),
        })
    }

    /// A connection, given back to the pool when dropped.
    pub fn get(&self) -> Result<Pooled<'_>, DbError> {
        let mut idle = self.lock();
        loop {
            if let Some(c) = idle.0.pop() {
                if !c.is_closed() {
                    return Ok(Pooled {
                        pool: self,
                        conn: Some(Connection(c)),
                    });
                }
                idle.1 -= 1;
                continue;
            }
            if idle.1 < self.max {
                idle.1 += 1;
                drop(idle);
                return match self.connect() {
                    Ok(c) => Ok(Pooled {
                        pool: self,
                        conn: Some(Connection(c)),
                    }),
                    Err(e) => {
                        self.lock().1 -= 1;
                        Err(e)
                    }
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Connections open, and the most there may be.
    pub fn state(&self) -> (usize, usize) {
        (self.lock().1, self.max)
    }
}

impl Drop for Pool {
    /// The `postgres` client blocks on its own runtime when it closes, which Tokio forbids on a
    /// thread that drives async tasks (where the last handle to the pool may go): the idle
    /// connections close on a thread of their own.
    fn drop(&mut self) {
        let clients = std::mem::take(&mut self.lock().0);
        if !clients.is_empty() {
            let _ = std::thread::Builder::new()
                .name("bourg-pg-close".into())
                .spawn(move || drop(clients));
        }
    }
}

/// A connection on loan from the pool.
pub struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(Connection(c)) = self.conn.take() {
            let mut idle = self.pool.lock();
            if c.is_closed() {
                idle.1 -= 1;
            } else {
                idle.0.push(c);
            }
            drop(idle);
            self.pool.returned.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(
            super::numbered("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
    }
}
