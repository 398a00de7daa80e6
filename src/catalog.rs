//! The catalogue of loaded layers, in layer-id order, built in parallel at start-up.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::analysis::Reference;
use crate::cache::{Cache, Fresh, Keys};
use crate::config::{self, ConfigError, LayerConfig};
use crate::layer::{load, Layer, LoadError, Reading, SharedSources};

/// Why the catalogue could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A layer file is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// One or more layers could not be loaded; every failure is listed.
    #[error("{}", list_errors(.0))]
    Load(Vec<LoadError>),
    /// An archive layer cannot be served.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
}

fn list_errors(errors: &[LoadError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| crate::error_chain(e)).collect();
    if lines.len() == 1 {
        lines.join("")
    } else {
        format!(
            "{} layers failed to load:\n  {}",
            lines.len(),
            lines.join("\n  ")
        )
    }
}

/// The reference of a folder, computed once per process for as long as its files are unchanged
/// (each server load and reload, and each test, would otherwise read the national tables again).
fn reference_of(dir: &Path, options: &LoadOptions) -> Result<Option<Arc<Reference>>, CatalogError> {
    type Cache = std::sync::Mutex<Vec<(PathBuf, Vec<Fingerprint>, Option<Arc<Reference>>)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let configs = config::load_dir(dir)?;
    let keys = Keys::of(&configs, &SharedSources::plan(&configs));
    let fingerprints: Vec<Fingerprint> = configs.iter().map(|c| keys.layer(&c.id)).collect();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, _, reference)) = cache
        .iter()
        .find(|(d, f, _)| d == dir && *f == fingerprints)
    {
        return Ok(reference.clone());
    }
    let catalog = Catalog::load_layers(dir, None, options)?.0;
    let reference = catalog.own_reference().map(Arc::new);
    if let Some(r) = &reference {
        tracing::info!(
            folder = %dir.display(),
            communes = r.communes,
            ms = r.load_time.as_millis() as u64,
            "national reference computed"
        );
    }
    cache.retain(|(d, _, _)| d != dir);
    cache.push((dir.to_owned(), fingerprints, reference.clone()));
    Ok(reference)
}

/// What a layer was loaded from: the hash of the content of its inputs ([`Keys::layer`]: its
/// TOML, source, side files and joins; for a `[totals]` layer, the layer it sums too). A
/// layer whose fingerprint is unchanged is reused on reload; `None` (an input cannot be read)
/// never matches.
type Fingerprint = Option<u128>;

/// How a catalogue is loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Folder of the prepared-catalogue cache ([`crate::cache`]): layers whose inputs are
    /// unchanged are read from it, the others loaded from their sources and written to it.
    /// `None` loads every layer from its sources and writes nothing.
    pub cache_dir: Option<PathBuf>,
    /// Write the cache on a background thread, so that the catalogue is ready sooner (a
    /// server), rather than before the load returns (a check, tests).
    pub write_in_background: bool,
    /// Read the cache but never write it (a replica: nothing is written to its disk).
    pub read_only_cache: bool,
}

/// The loaded layers.
#[derive(Debug)]
pub struct Catalog {
    layers: IndexMap<String, Arc<Layer>>,
    /// Archive layers (PMTiles, MBTiles): tiles only, served as stored.
    archives: IndexMap<String, Arc<crate::archive::Archive>>,
    fingerprints: IndexMap<String, Fingerprint>,
    /// A number no other layer of this process has, per layer: a reloaded layer gets a new
    /// one, an unchanged layer keeps its own. What cached tiles key on.
    layer_generations: IndexMap<String, u64>,
    /// The layer directory.
    pub dir: PathBuf,
    /// Wall time of the whole load.
    pub load_time: Duration,
    /// National comparison values: from the `reference/` sub-folder when there is one, else
    /// from the catalogue itself when its communes layer is `national`.
    pub reference: Option<Arc<Reference>>,
    /// A number no other catalogue of this process has: what caches of derived results key on.
    pub generation: u64,
    /// How it was loaded (and is reloaded).
    options: LoadOptions,
    /// Its prepared-catalogue cache, when it has one.
    cache: Option<Arc<Cache>>,
    /// The layers read from the cache, in layer-id order.
    from_cache: Vec<String>,
}

static GENERATION: AtomicU64 = AtomicU64::new(0);

impl Catalog {
    /// Reads every layer file of `dir` and loads the layers in parallel.
    ///
    /// # Errors
    /// The first configuration error, or every layer that failed to load.
    pub fn load(dir: &Path) -> Result<Self, CatalogError> {
        Self::load_with(dir, &LoadOptions::default())
    }

    /// As [`Catalog::load`], with a prepared-catalogue cache when `options` name one.
    ///
    /// # Errors
    /// As [`Catalog::load`]; the cache never makes a load fail.
    ///
    /// # Runtime
    /// With a current cache, the time to hash the inputs and read the cache files (about 1.3 s
    /// for the national catalogue on 2 cores) instead of a full load.
    pub fn load_with(dir: &Path, options: &LoadOptions) -> Result<Self, CatalogError> {
        Self::load_reusing(dir, None, options).map(|(catalog, _)| catalog)
    }

    /// Reads the layer folder again and loads the layers whose files changed (or are new),
    /// reusing the others.
    ///
    /// Returns the new catalogue and the ids of the layers that changed, appeared or disappeared.
    ///
    /// # Errors
    /// As [`Catalog::load`]; the current catalogue is untouched.
    pub fn reload(&self) -> Result<(Self, Vec<String>), CatalogError> {
        Self::load_reusing(&self.dir, Some(self), &self.options)
    }

    fn load_reusing(
        dir: &Path,
        old: Option<&Catalog>,
        options: &LoadOptions,
    ) -> Result<(Self, Vec<String>), CatalogError> {
        let (mut catalog, changed) = Self::load_layers(dir, old, options)?;
        if Reference::exists_in(dir) {
            catalog.reference =
                reference_of(&dir.join(crate::analysis::reference::FOLDER), options)?;
        } else if catalog.layers().any(|l| l.config.national) {
            // A national catalogue is its own reference.
            catalog.reference = catalog.own_reference().map(Arc::new);
        }
        Ok((catalog, changed))
    }

    fn load_layers(
        dir: &Path,
        old: Option<&Catalog>,
        options: &LoadOptions,
    ) -> Result<(Self, Vec<String>), CatalogError> {
        crate::init_gdal();
        let started = Instant::now();
        let configs = config::load_dir(dir)?;
        let mut archives = IndexMap::new();
        for c in config::load_archives(dir)? {
            archives.insert(c.id.clone(), Arc::new(crate::archive::Archive::open(c)?));
        }
        let mut shared = SharedSources::plan(&configs);
        let keys = Keys::of(&configs, &shared);
        let fingerprints: IndexMap<String, Fingerprint> = configs
            .iter()
            .map(|c| (c.id.clone(), keys.layer(&c.id)))
            .collect();
        let unchanged = |c: &LayerConfig| -> Option<Arc<Layer>> {
            let old = old?;
            let now = fingerprints.get(&c.id).copied().flatten()?;
            (old.fingerprints.get(&c.id).copied().flatten() == Some(now))
                .then(|| old.layers.get(&c.id).cloned())
                .flatten()
        };
        let regrouped = regrouped(&configs, &shared, |c| unchanged(c).is_some());
        let reusable =
            |c: &LayerConfig| unchanged(c).filter(|_| !regrouped.contains(c.id.as_str()));
        let cache = options.cache_dir.as_deref().map(|d| {
            let cache = Cache::new(d, dir, keys);
            Arc::new(if options.read_only_cache {
                cache.read_only()
            } else {
                cache
            })
        });
        if let Some(cache) = &cache {
            shared = shared.reusing(cache.reuse());
        }
        let mut fresh = Fresh::default();
        let mut from_cache = Vec::new();
        let mut loaded: IndexMap<String, Arc<Layer>> = IndexMap::new();
        let mut changed = Vec::new();
        let mut errors = Vec::new();
        // Phase 1: every layer but totals, in parallel; phase 2: totals, over phase 1's layers.
        for phase in [false, true] {
            let mut to_load: Vec<LayerConfig> = Vec::new();
            for c in configs.iter().filter(|c| c.totals.is_some() == phase) {
                match reusable(c) {
                    Some(layer) => {
                        loaded.insert(c.id.clone(), layer);
                    }
                    None => to_load.push(c.clone()),
                }
            }
            for result in load_parallel(&to_load, &loaded, &shared, cache.as_deref()) {
                match result {
                    Ok((layer, cached)) => {
                        let layer = Arc::new(layer);
                        changed.push(layer.id().to_owned());
                        if cached {
                            from_cache.push(layer.id().to_owned());
                        } else {
                            fresh.layers.push(layer.clone());
                        }
                        loaded.insert(layer.id().to_owned(), layer);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        if !errors.is_empty() {
            return Err(CatalogError::Load(errors));
        }
        from_cache.sort_by_key(|id| configs.iter().position(|c| c.id == *id));
        if let Some(cache) = &cache {
            fresh.reads = shared.reads();
            fresh.ids = configs.iter().map(|c| c.id.clone()).collect();
            write_cache(cache.clone(), fresh, options.write_in_background);
        }
        let mut layers = IndexMap::new();
        let mut layer_generations = IndexMap::new();
        for c in &configs {
            if let Some(layer) = loaded.swap_remove(&c.id) {
                let kept = old
                    .filter(|_| !changed.contains(&c.id))
                    .and_then(|old| old.layer_generations.get(&c.id).copied());
                let generation = kept.unwrap_or_else(|| GENERATION.fetch_add(1, Ordering::Relaxed));
                layer_generations.insert(c.id.clone(), generation);
                layers.insert(c.id.clone(), layer);
            }
        }
        if let Some(old) = old {
            changed.extend(
                old.layers
                    .keys()
                    .filter(|id| !layers.contains_key(*id))
                    .cloned(),
            );
        }
        Ok((
            Self {
                layers,
                archives,
                fingerprints,
                layer_generations,
                dir: dir.to_owned(),
                load_time: started.elapsed(),
                reference: None,
                generation: GENERATION.fetch_add(1, Ordering::Relaxed),
                options: options.clone(),
                cache,
                from_cache,
            },
            changed,
        ))
    }

    /// The national reference computed from this catalogue's own layers (see
    /// [`Reference::of`]), read from the cache when the layers are unchanged.
    fn own_reference(&self) -> Option<Reference> {
        const NAME: &str = "reference";
        let started = Instant::now();
        if let Some(bytes) = self.cache.as_ref().and_then(|c| c.read_derived(NAME)) {
            match serde_json::from_slice::<Reference>(&bytes) {
                Ok(mut r) => {
                    r.load_time = self.load_time + started.elapsed();
                    return Some(r);
                }
                Err(e) => tracing::warn!(error = %e, "cached reference unusable: computing it"),
            }
        }
        let reference = Reference::of(self)?;
        if let Some(cache) = &self.cache {
            match serde_json::to_vec(&reference) {
                Ok(bytes) => cache.write_derived(NAME, &bytes),
                Err(e) => tracing::warn!(error = %e, "cannot encode the reference for the cache"),
            }
        }
        Some(reference)
    }

    /// The generation of a layer (see [`Catalog::generation`]): it changes when the layer is
    /// reloaded, and only then.
    pub fn layer_generation(&self, id: &str) -> Option<u64> {
        self.layer_generations.get(id).copied()
    }

    /// The ids of the layers this load read from the prepared-catalogue cache (the others were
    /// loaded from their sources, or reused by a reload).
    pub fn from_cache(&self) -> &[String] {
        &self.from_cache
    }

    /// The layer with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Layer>> {
        self.layers.get(id)
    }

    /// The layer with this id, or the 404 error naming it.
    ///
    /// # Errors
    /// [`crate::error::AppError::NotFound`] for an unknown id.
    pub fn layer(&self, id: &str) -> Result<&Arc<Layer>, crate::error::AppError> {
        self.get(id).ok_or_else(|| {
            crate::error::AppError::NotFound(if self.archives.contains_key(id) {
                format!(
                    "layer {id:?} is a tile archive: it has tiles only, at /tiles/{id}/{{z}}/{{x}}/{{y}}.mvt, alone (no features, no composite)"
                )
            } else {
                format!("no layer {id:?}")
            })
        })
    }

    /// The archive layer with this id.
    pub fn archive(&self, id: &str) -> Option<&Arc<crate::archive::Archive>> {
        self.archives.get(id)
    }

    /// The archive layers, in id order.
    pub fn archives(&self) -> impl Iterator<Item = &Arc<crate::archive::Archive>> {
        self.archives.values()
    }

    /// All layers, in id order.
    pub fn layers(&self) -> impl Iterator<Item = &Arc<Layer>> {
        self.layers.values()
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there is no layer.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

/// The layers of the shared sources of which one layer changed (is not `unchanged`): they are
/// reloaded together, so that they share the source's new reading again (one copy, with the
/// prepared zooms of every one of them).
fn regrouped<'c>(
    configs: &'c [LayerConfig],
    shared: &SharedSources,
    unchanged: impl Fn(&LayerConfig) -> bool,
) -> HashSet<&'c str> {
    let changed: HashSet<String> = configs
        .iter()
        .filter(|c| !unchanged(c))
        .filter_map(|c| shared.group(c))
        .collect();
    configs
        .iter()
        .filter(|c| shared.group(c).is_some_and(|g| changed.contains(&g)))
        .map(|c| c.id.as_str())
        .collect()
}

/// Writes what was loaded from the sources to the cache, now or on a background thread.
fn write_cache(cache: Arc<Cache>, fresh: Fresh, background: bool) {
    if !background {
        cache.write(&fresh);
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("cache-write".into())
        .spawn(move || cache.write(&fresh));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the cache writer: nothing cached");
    }
}

/// A layer, and whether it was read from the cache; or why it could not be loaded.
type Loaded = Result<(Layer, bool), LoadError>;

/// Loads the layers on as many threads as there are cores, keeping the configuration order;
/// `[totals]` layers find the layer they sum in `loaded` (it must be grouped). A layer is read
/// from `cache` when it is there and current (then flagged `true`), else from its sources. A
/// load that panics is the load error of its layer (the others load on).
fn load_parallel(
    configs: &[LayerConfig],
    loaded: &IndexMap<String, Arc<Layer>>,
    shared: &SharedSources,
    cache: Option<&Cache>,
) -> Vec<Loaded> {
    // The largest sources first, so that the longest load does not start last.
    let mut order: Vec<usize> = (0..configs.len()).collect();
    let size = |c: &LayerConfig| std::fs::metadata(&c.source.path).map_or(0, |m| m.len());
    order.sort_by_key(|&i| std::cmp::Reverse(size(&configs[i])));
    let results = crate::parallel::map(&order, |&i| {
        let config = &configs[i];
        let load = std::panic::AssertUnwindSafe(|| load_one(config, loaded, shared, cache));
        std::panic::catch_unwind(load).unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            tracing::error!(layer = %config.id, %message, "the load of a layer panicked");
            Err(LoadError::panicked(config, message))
        })
    });
    let mut results: Vec<(usize, Loaded)> = order.into_iter().zip(results).collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Loads one layer, from the cache or its sources.
fn load_one(
    config: &LayerConfig,
    loaded: &IndexMap<String, Arc<Layer>>,
    shared: &SharedSources,
    cache: Option<&Cache>,
) -> Loaded {
    #[cfg(test)]
    tests::fail_point(&config.id);
    let started = Instant::now();
    if let Some(layer) = cache.and_then(|c| c.read_layer(config, shared)) {
        // Prepared polygons and cells come with it, as stored.
        tracing::info!(
            layer = %layer.id(),
            features = layer.report.features,
            ms = started.elapsed().as_millis() as u64,
            "layer read from cache"
        );
        return Ok((layer, true));
    }
    let base = config
        .totals
        .as_ref()
        .and_then(|t| loaded.get(&t.layer))
        .filter(|l| l.config.group.is_some())
        .map(|l| l.as_ref());
    let mut layer = load(config, base, Reading::Fast, Some(shared))?;
    if config.role == Some(crate::config::Role::Residences) {
        crate::analysis::fragility::enrich(&mut layer);
    }
    crate::tile::prepare(&layer);
    tracing::info!(
        layer = %layer.id(),
        features = layer.report.features,
        skipped = layer.report.skipped(),
        ms = layer.report.load_ms as u64,
        "layer loaded"
    );
    Ok((layer, false))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Layers whose load panics (loads run on threads of their own, so a global).
    static FAILING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    /// Panics when a test asked the load of this layer to.
    pub(crate) fn fail_point(id: &str) {
        if FAILING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|f| f == id)
        {
            panic!("test fail point in {id}");
        }
    }

    fn folder(ids: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (i, id) in ids.iter().enumerate() {
            let geojson = format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"n":{i}}},"geometry":{{"type":"Point","coordinates":[2.{i},48.5]}}}}]}}"#
            );
            std::fs::write(dir.path().join(format!("{id}.geojson")), geojson).unwrap();
            std::fs::write(
                dir.path().join(format!("{id}.toml")),
                format!(
                    "title = \"{id}\"\nsynthetic = false\n\n[source]\npath = \"{id}.geojson\"\n\n[properties]\nn = \"int\"\n\n[attribution]\nproducer = \"Test\"\ndate = \"2026\"\n"
                ),
            )
            .unwrap();
        }
        dir
    }

    #[test]
    fn a_panicking_loader_is_a_load_error_naming_its_layer() {
        let dir = folder(&["calm_layer", "panicky_layer"]);
        FAILING.lock().unwrap().push("panicky_layer".into());
        let result = Catalog::load(dir.path());
        FAILING.lock().unwrap().retain(|f| f != "panicky_layer");
        let Err(CatalogError::Load(errors)) = result else {
            panic!("the load should fail: {result:?}");
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].layer, "panicky_layer");
        let text = crate::error_chain(&CatalogError::Load(errors));
        assert!(text.contains("panicky_layer.toml"), "{text}");
        assert!(text.contains("test fail point in panicky_layer"), "{text}");
    }

    #[test]
    fn a_same_size_edit_with_the_old_time_is_a_change() {
        let dir = folder(&["kept", "edited"]);
        let catalog = Catalog::load(dir.path()).unwrap();
        let path = dir.path().join("edited.geojson");
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("48.5", "48.6");
        std::fs::write(&path, text).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let (reloaded, changed) = catalog.reload().unwrap();
        assert_eq!(changed, ["edited"]);
        assert_eq!(
            reloaded.layer_generation("kept"),
            catalog.layer_generation("kept")
        );
        assert_ne!(
            reloaded.layer_generation("edited"),
            catalog.layer_generation("edited")
        );
        assert!(Arc::ptr_eq(
            reloaded.get("kept").unwrap(),
            catalog.get("kept").unwrap()
        ));
        let (_, none) = reloaded.reload().unwrap();
        assert!(none.is_empty(), "{none:?}");
    }
}
