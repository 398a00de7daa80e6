//! What every handler shares: the current catalogue (swapped whole on reload), the tile cache, the
//! cache of analysis results and the server settings.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;

use crate::catalog::{Catalog, CatalogError};
use crate::tile::TileCache;

/// Server settings that are not per layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The folder served at `/`; `None`: the UI compiled into the binary.
    pub web_dir: Option<PathBuf>,
    /// Memory budget of the tile cache, in bytes (0 disables it).
    pub tile_cache_bytes: u64,
    /// `Cache-Control` sent with tiles.
    pub tile_cache_control: String,
    /// CPU-bound request work run at once (see [`AppState::blocking`]).
    pub cpu_work: usize,
    /// Requests that may wait for a CPU permit; one more is refused at once (503).
    pub cpu_queue: usize,
    /// Longest wait for a CPU permit before a 503.
    pub cpu_wait: Duration,
    /// Longest time a request may take before a 503 (its work is not cut short, but its
    /// answer is).
    pub request_timeout: Duration,
    /// Largest request body (the upload route has its own cap), bytes.
    pub max_body_bytes: usize,
    /// Longest query string, bytes.
    pub max_query_bytes: usize,
    /// The bearer token of the admin routes; `None` turns them off (404).
    pub admin_token: Option<AdminToken>,
    /// The origins whose pages may read the API; empty means any (`*`).
    pub cors_origins: Vec<axum::http::HeaderValue>,
    /// On SIGTERM, how long in-flight requests may take to finish before the server exits.
    pub shutdown_grace: Duration,
    /// Caps on uploaded perimeters (`POST /api/territories/stats`).
    pub uploads: crate::analysis::upload::UploadLimits,
}

/// A secret that is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// Shortest token accepted.
    pub const MIN_LEN: usize = 24;

    /// A token of at least [`Self::MIN_LEN`] visible ASCII characters (what fits a header).
    ///
    /// # Errors
    /// Shorter, or with a space, control or non-ASCII character.
    pub fn new(token: &str) -> Result<Self, String> {
        if token.len() < Self::MIN_LEN {
            return Err(format!(
                "the admin token has {} characters: use at least {} (e.g. `openssl rand -hex 24`)",
                token.len(),
                Self::MIN_LEN
            ));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the admin token may only hold visible ASCII characters (no spaces)".to_owned(),
            );
        }
        Ok(Self(token.to_owned()))
    }

    /// Whether `candidate` is the token, in a time that does not depend on where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        use subtle::ConstantTimeEq;
        // Only the length may end the comparison early.
        bool::from(candidate.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl Settings {
    /// Defaults: the given web folder (`None`: the UI compiled into the binary), 256 MiB of tile
    /// cache, tiles cacheable for 5 minutes, CPU-bound work twice the number of cores at once
    /// with 256 more waiting up to 10 s, 30 s per request, 1 MiB bodies, 16 KiB query strings, no admin routes, any origin, 10 s to drain on SIGTERM,
    /// the default [`UploadLimits`](crate::analysis::upload::UploadLimits).
    pub fn new(web_dir: impl Into<Option<PathBuf>>) -> Self {
        Self {
            web_dir: web_dir.into(),
            tile_cache_bytes: 256 << 20,
            tile_cache_control: "public, max-age=300".to_owned(),
            cpu_work: 2 * crate::parallel::cores(),
            cpu_queue: 256,
            cpu_wait: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            max_query_bytes: 16 << 10,
            admin_token: None,
            cors_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(10),
            uploads: crate::analysis::upload::UploadLimits::default(),
        }
    }
}

/// The application state.
#[derive(Debug, Clone)]
pub struct AppState {
    catalog: Arc<ArcSwap<Catalog>>,
    /// Rendered tiles.
    pub tiles: TileCache,
    /// What is counted for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Analysis results worth keeping: département indicators, full site rankings.
    pub analysis: AnalysisCache,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Permits for CPU-bound request work (see [`AppState::blocking`]).
    work: Arc<tokio::sync::Semaphore>,
    /// Requests waiting for a permit.
    waiting: Arc<AtomicUsize>,
    /// Work refused because the server was saturated, since the start.
    pub refused: Arc<AtomicUsize>,
    /// The last reload, for `/health`; one reload at a time.
    reloads: Arc<Mutex<Option<ReloadReport>>>,
    /// Where ratings live (see [`crate::qualif`]); `None`: this server keeps none.
    pub db: Option<crate::db::Database>,
}

/// Why CPU-bound work did not run.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// Every permit is taken and the line is full, or the wait was too long: try again later.
    #[error("the server is busy: try again in {retry_after_s} s")]
    Saturated {
        /// A hint for `Retry-After`, seconds.
        retry_after_s: u64,
    },
    /// The work panicked.
    #[error("the work failed")]
    Failed(#[from] tokio::task::JoinError),
}

/// What asked for a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `POST /admin/reload`.
    Admin,
    /// SIGHUP.
    Signal,
    /// A change of the layer files, seen by the file watcher.
    Watch,
}

impl Trigger {
    /// How metrics and `/health` name it.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Admin => "admin",
            Trigger::Signal => "signal",
            Trigger::Watch => "watch",
        }
    }
}

/// How the last reload went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReloadReport {
    /// What asked for it: `admin`, `signal` or `watch`.
    pub trigger: &'static str,
    /// When it ended, seconds since the Unix epoch.
    pub at_unix_s: u64,
    /// `ok` or `failed`.
    pub status: &'static str,
    /// The layers reloaded (ok), none when it failed.
    pub changed: Vec<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// How long it took.
    pub ms: u64,
}

impl AppState {
    /// State over a loaded catalogue.
    pub fn new(catalog: Catalog, settings: Settings) -> Self {
        let work = Arc::new(tokio::sync::Semaphore::new(settings.cpu_work.max(1)));
        let metrics = Arc::new(crate::metrics::Metrics::default());
        metrics
            .loads
            .get(&["start", "ok"])
            .observe(catalog.load_time);
        Self {
            catalog: Arc::new(ArcSwap::from_pointee(catalog)),
            tiles: TileCache::new(settings.tile_cache_bytes, Arc::clone(&metrics)),
            metrics,
            analysis: AnalysisCache::default(),
            settings: Arc::new(settings),
            work,
            waiting: Arc::default(),
            refused: Arc::default(),
            reloads: Arc::default(),
            db: None,
        }
    }

    /// The same state, keeping ratings in `db`.
    pub fn with_database(mut self, db: crate::db::Database) -> Self {
        self.db = Some(db);
        self
    }

    /// Runs CPU-bound request work (rendering, analysis, encoding a page) on the blocking pool,
    /// at most [`Settings::cpu_work`] pieces at a time: the others wait their turn without a
    /// thread, at most [`Settings::cpu_queue`] of them and for [`Settings::cpu_wait`] at most.
    /// Under load, a request then waits in line and runs at full speed, instead of every request
    /// sharing the cores and the slowest ones taking many times their own time; past the line,
    /// the server says it is busy at once rather than queueing without bound.
    ///
    /// # Errors
    /// [`WorkError::Saturated`] when the line is full or the wait too long; `Failed` when the
    /// work panicked.
    pub async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkError> {
        let saturated = || {
            self.refused.fetch_add(1, Ordering::Relaxed);
            WorkError::Saturated {
                retry_after_s: self.settings.cpu_wait.as_secs().clamp(1, 30),
            }
        };
        let permit = match self.work.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let waiting = Waiting::enter(&self.waiting);
                if waiting.ahead > self.settings.cpu_queue {
                    return Err(saturated());
                }
                match tokio::time::timeout(
                    self.settings.cpu_wait,
                    self.work.clone().acquire_owned(),
                )
                .await
                {
                    // The semaphore is never closed.
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) | Err(_) => return Err(saturated()),
                }
            }
        };
        Ok(tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await?)
    }

    /// Requests waiting for a CPU permit now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The current catalogue; a reload does not change the one a request already holds.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Reloads the layers whose files changed, swaps the catalogue and empties those layers'
    /// cached tiles; one reload at a time, its outcome logged and kept for
    /// [`Self::last_reload`].
    /// Blocking: call it off the async runtime.
    ///
    /// # Errors
    /// When a layer fails to load; the current catalogue stays in service.
    pub fn reload(&self) -> Result<Vec<String>, CatalogError> {
        self.reload_for(Trigger::Admin)
    }

    /// As [`Self::reload`], counted in the metrics and reported for `/health` with what asked
    /// for it.
    ///
    /// # Errors
    /// As [`Self::reload`].
    pub fn reload_for(&self, trigger: Trigger) -> Result<Vec<String>, CatalogError> {
        let mut last = self
            .reloads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let started = Instant::now();
        let result = self.catalog().reload().map(|(catalog, changed)| {
            self.catalog.store(Arc::new(catalog));
            self.tiles.invalidate_layers(&changed);
            self.analysis.clear();
            changed
        });
        let at_unix_s = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match &result {
            Ok(changed) => tracing::info!(?changed, "layers reloaded"),
            Err(e) => tracing::error!(
                error = %crate::error_chain(e),
                "reload failed; keeping the current layers"
            ),
        }
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        self.metrics
            .loads
            .get(&[trigger.name(), outcome])
            .observe(started.elapsed());
        *last = Some(ReloadReport {
            trigger: trigger.name(),
            at_unix_s,
            status: if result.is_ok() { "ok" } else { "failed" },
            changed: result.as_ref().map(Clone::clone).unwrap_or_default(),
            error: result.as_ref().err().map(|e| crate::error_chain(e)),
            ms: started.elapsed().as_millis() as u64,
        });
        result
    }

    /// How the last reload went, when there was one.
    pub fn last_reload(&self) -> Option<ReloadReport> {
        self.reloads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A place in the line for a CPU permit, left when dropped.
struct Waiting<'a> {
    count: &'a AtomicUsize,
    /// Requests in line with this one.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let ahead = count.fetch_add(1, Ordering::Relaxed) + 1;
        Self { count, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Results of the analysis that many requests share, keyed by the catalogue's generation (so a
/// reload never serves an old one) and the canonical form of what was asked. Bounded in entries.
#[derive(Clone)]
pub struct AnalysisCache {
    departements: moka::sync::Cache<(u64, String), Arc<Vec<crate::analysis::Indicator>>>,
    sites: moka::sync::Cache<(u64, String), Arc<Vec<crate::analysis::sites::Site>>>,
    residences: moka::sync::Cache<(u64, String), Arc<Vec<crate::qualif::residences::Residence>>>,
}

impl Default for AnalysisCache {
    fn default() -> Self {
        Self {
            departements: moka::sync::Cache::new(200),
            sites: moka::sync::Cache::new(64),
            residences: moka::sync::Cache::new(64),
        }
    }
}

impl std::fmt::Debug for AnalysisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisCache")
            .field("departements", &self.departements.entry_count())
            .field("sites", &self.sites.entry_count())
            .finish()
    }
}

impl AnalysisCache {
    /// The indicators of a département of `catalog`, computed once.
    pub fn departement(
        &self,
        catalog: &Catalog,
        t: &crate::analysis::Territory,
    ) -> Arc<Vec<crate::analysis::Indicator>> {
        self.departements
            .get_with((catalog.generation, t.code.clone()), || {
                Arc::new(crate::analysis::compute(catalog, t))
            })
    }

    /// Every candidate of a site query (its `limit` aside), ranked, computed once.
    pub fn sites(
        &self,
        catalog: &Catalog,
        q: &crate::analysis::sites::Query,
    ) -> Arc<Vec<crate::analysis::sites::Site>> {
        self.sites.get_with((catalog.generation, q.key()), || {
            let all = crate::analysis::sites::Query {
                limit: usize::MAX,
                ..q.clone()
            };
            Arc::new(crate::analysis::sites::find(catalog, &all))
        })
    }

    /// The residences of a campaign's territory (as stored), with their ids, found once per
    /// catalogue.
    ///
    /// # Errors
    /// An unknown territory, or no residences layer fit for ids.
    pub fn residences(
        &self,
        catalog: &Catalog,
        territory: &str,
    ) -> Result<Arc<Vec<crate::qualif::residences::Residence>>, crate::qualif::QualifError> {
        let key = (catalog.generation, territory.to_owned());
        if let Some(found) = self.residences.get(&key) {
            return Ok(found);
        }
        let t = crate::qualif::campaigns::resolve(catalog, territory)?;
        let found = Arc::new(crate::qualif::residences::of_territory(catalog, &t)?);
        self.residences.insert(key, found.clone());
        Ok(found)
    }

    /// Forgets everything (after a reload).
    pub fn clear(&self) {
        self.departements.invalidate_all();
        self.sites.invalidate_all();
        self.residences.invalidate_all();
    }
}
