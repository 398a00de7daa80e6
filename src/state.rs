//! What every handler shares: the current catalogue (swapped whole on reload), the tile cache, the
//! cache of analysis results and the server settings.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::catalog::{Catalog, CatalogError};
use crate::tile::TileCache;

/// Server settings that are not per layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The folder served at `/`.
    pub web_dir: PathBuf,
    /// Memory budget of the tile cache, in bytes (0 disables it).
    pub tile_cache_bytes: u64,
    /// `Cache-Control` sent with tiles.
    pub tile_cache_control: String,
    /// CPU-bound request work run at once (see [`AppState::blocking`]).
    pub cpu_work: usize,
    /// Caps on uploaded perimeters (`POST /api/territories/stats`).
    pub uploads: crate::analysis::upload::UploadLimits,
}

impl Settings {
    /// Defaults: `web/`, 256 MiB of tile cache, tiles cacheable for 5 minutes, CPU-bound work
    /// twice the number of cores at once, the default
    /// [`UploadLimits`](crate::analysis::upload::UploadLimits).
    pub fn new(web_dir: PathBuf) -> Self {
        Self {
            web_dir,
            tile_cache_bytes: 256 << 20,
            tile_cache_control: "public, max-age=300".to_owned(),
            cpu_work: 2 * crate::parallel::cores(),
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
    /// Analysis results worth keeping: département indicators, full site rankings.
    pub analysis: AnalysisCache,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Permits for CPU-bound request work, one per core (see [`AppState::blocking`]).
    work: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// State over a loaded catalogue.
    pub fn new(catalog: Catalog, settings: Settings) -> Self {
        let work = Arc::new(tokio::sync::Semaphore::new(settings.cpu_work.max(1)));
        Self {
            catalog: Arc::new(ArcSwap::from_pointee(catalog)),
            tiles: TileCache::new(settings.tile_cache_bytes),
            analysis: AnalysisCache::default(),
            settings: Arc::new(settings),
            work,
        }
    }

    /// Runs CPU-bound request work (rendering, analysis, encoding a page) on the blocking pool,
    /// at most [`Settings::cpu_work`] pieces at a time: the others wait their turn without a
    /// thread.
    /// Under load, a request then waits in line and runs at full speed, instead of every request
    /// sharing the cores and the slowest ones taking many times their own time.
    ///
    /// # Errors
    /// When the work panicked.
    pub async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        // The semaphore is never closed; without a permit the work runs anyway.
        let permit = self.work.clone().acquire_owned().await.ok();
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
    }

    /// The current catalogue; a reload does not change the one a request already holds.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Reloads the layers whose files changed, swaps the catalogue and empties those layers'
    /// cached tiles. Blocking: call it off the async runtime.
    ///
    /// # Errors
    /// When a layer fails to load; the current catalogue stays in service.
    pub fn reload(&self) -> Result<Vec<String>, CatalogError> {
        let (catalog, changed) = self.catalog().reload()?;
        self.catalog.store(Arc::new(catalog));
        self.tiles.invalidate_layers(&changed);
        self.analysis.clear();
        Ok(changed)
    }
}

/// Results of the analysis that many requests share, keyed by the catalogue's generation (so a
/// reload never serves an old one) and the canonical form of what was asked. Bounded in entries.
#[derive(Clone)]
pub struct AnalysisCache {
    departements: moka::sync::Cache<(u64, String), Arc<Vec<crate::analysis::Indicator>>>,
    sites: moka::sync::Cache<(u64, String), Arc<Vec<crate::analysis::sites::Site>>>,
}

impl Default for AnalysisCache {
    fn default() -> Self {
        Self {
            departements: moka::sync::Cache::new(200),
            sites: moka::sync::Cache::new(64),
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

    /// Forgets everything (after a reload).
    pub fn clear(&self) {
        self.departements.invalidate_all();
        self.sites.invalidate_all();
    }
}
