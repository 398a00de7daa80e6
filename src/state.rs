//! What every handler shares: the current catalogue (swapped whole on reload), the tile cache and
//! the server settings.

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
}

impl Settings {
    /// Defaults: `web/`, 256 MiB of tile cache, tiles cacheable for 5 minutes.
    pub fn new(web_dir: PathBuf) -> Self {
        Self {
            web_dir,
            tile_cache_bytes: 256 << 20,
            tile_cache_control: "public, max-age=300".to_owned(),
        }
    }
}

/// The application state.
#[derive(Debug, Clone)]
pub struct AppState {
    catalog: Arc<ArcSwap<Catalog>>,
    /// Rendered tiles.
    pub tiles: TileCache,
    /// Settings.
    pub settings: Arc<Settings>,
}

impl AppState {
    /// State over a loaded catalogue.
    pub fn new(catalog: Catalog, settings: Settings) -> Self {
        Self {
            catalog: Arc::new(ArcSwap::from_pointee(catalog)),
            tiles: TileCache::new(settings.tile_cache_bytes),
            settings: Arc::new(settings),
        }
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
        Ok(changed)
    }
}
