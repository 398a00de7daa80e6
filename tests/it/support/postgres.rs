//! A fresh PostgreSQL database per test, on the server `BOURG_TEST_POSTGRES` names (`make test`
//! starts one with `scripts/postgres-test.sh`); dropped when the test ends.

use ::postgres::{Client, NoTls};

/// A database created for one test.
pub struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    /// Creates `bourg_<what>_<pid>_<n>`, or returns `None` (the test is then skipped, saying so)
    /// when `BOURG_TEST_POSTGRES` is not set.
    ///
    /// # Panics
    /// When `BOURG_TEST_POSTGRES` is not set but `CI_REQUIRE_POSTGRES=1`, or the server refuses.
    pub fn fresh(what: &str) -> Option<Self> {
        let Ok(admin_url) = std::env::var("BOURG_TEST_POSTGRES") else {
            assert!(
                std::env::var("CI_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "CI_REQUIRE_POSTGRES=1 but BOURG_TEST_POSTGRES is not set (scripts/postgres-test.sh run -- …)"
            );
            eprintln!("skipped on PostgreSQL: BOURG_TEST_POSTGRES is not set");
            return None;
        };
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("bourg_{what}_{}_{n}", std::process::id());
        let mut client = Client::connect(&admin_url, NoTls)
            .unwrap_or_else(|e| panic!("connect to BOURG_TEST_POSTGRES: {e}"));
        // One statement per query: PostgreSQL runs neither inside a transaction block.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        // The same server and role, another database: the URL's path is the database name.
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (admin_url.as_str(), String::new()),
        };
        let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
        let url = format!("{server}/{name}{query}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Its connection URL, for `--database`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Database {
    /// Drops the database from a thread of its own: the `postgres` client blocks on a runtime,
    /// which Tokio forbids on a thread driving async tests (where the guard may be dropped).
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = Client::connect(&admin_url, NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}
