//! The prepared-catalogue cache: what loading a layer computes (geometries with their zoom
//! bands and prepared low-zoom polygons and point cells, columns, R-tree, search index, label
//! points, load report, fragility columns) is written to disk after a load, and read back on
//! the next start whose inputs are unchanged instead of reading the sources again.
//!
//! **Files.** One file per layer, `<folder>-<layer id>.layer`, and one per source shared by
//! several layers ([`crate::layer::SharedSources`]), `<folder>-<first layer id>.shared`, where
//! `<folder>` is a hash of the layer folder's canonical path (two folders never clash). One file
//! per layer lets the layers be read and written in parallel on every core, and a changed layer
//! rewrite its own file only; the shared file holds the shared geometries and columns once, and
//! every layer of the source takes them from it, so they stay one copy in memory as after a
//! load from the sources. Each file is written atomically and checked whole before use
//! ([`file`]); files of the folder that no current layer names are removed after a write.
//!
//! **Keys.** A file is used only when its key, a hash of everything it was built from, matches
//! ([`key`]): the build, the layer's TOML file and the *content* of every file it reads.
//!
//! **Failures.** A missing, unreadable, truncated, corrupt, stale or undecodable file is logged
//! with the reason and the layer is loaded from its sources, then its file rewritten. A cache
//! that cannot be written (read-only folder, full disk) is a warning, never a failed load.

pub mod file;
mod key;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::LayerConfig;
use crate::layer::{stored, Layer, Reuse, SharedRead, SharedSources};
pub use key::{input_files, Keys};

/// The default cache folder: `$XDG_CACHE_HOME/bourg`, else `$HOME/.cache/bourg`; `None` when
/// neither variable is set.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("bourg"))
}

/// The cache of one layer folder's load: where its files are and the keys they must carry.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    prefix: String,
    keys: Keys,
    read_only: bool,
}

/// What to write after a load: layers and shared sources read from their sources.
#[derive(Debug, Default)]
pub struct Fresh {
    /// Layers loaded from their sources.
    pub layers: Vec<Arc<Layer>>,
    /// Every shared reading of the load (those read from the cache are skipped).
    pub reads: Vec<(String, Arc<SharedRead>)>,
    /// Every layer of the folder, for the removal of files no layer names.
    pub ids: Vec<String>,
}

impl Cache {
    /// The cache in `dir` of the layers of `folder`, with the keys of their current inputs
    /// ([`Keys::of`]).
    pub fn new(dir: &Path, folder: &Path, keys: Keys) -> Self {
        let canonical = folder.canonicalize().unwrap_or_else(|_| folder.to_owned());
        let prefix = format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(canonical.as_os_str().as_encoded_bytes())
        );
        Self {
            dir: dir.to_owned(),
            prefix,
            keys,
            read_only: false,
        }
    }

    /// The same cache, read but never written (a replica whose disk is read-only).
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    fn layer_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{}-{id}.layer", self.prefix))
    }

    fn shared_path(&self, group: &str) -> Option<PathBuf> {
        let name = self.keys.name(group)?;
        Some(self.dir.join(format!("{}-{name}.shared", self.prefix)))
    }

    /// The layer as cached, when its file is whole and current (and so is the file of the
    /// source it shares); `None`, logged with the reason, otherwise.
    pub fn read_layer(&self, config: &LayerConfig, shared: &SharedSources) -> Option<Layer> {
        let id = &config.id;
        let key = self.keys.layer(id)?;
        let path = self.layer_path(id);
        let bytes = match file::read(&path, key) {
            Ok(bytes) => bytes,
            Err(why) => {
                unusable(id, &path, &why);
                return None;
            }
        };
        let read = match self.keys.group_of(id) {
            Some(_) => match shared.get(config) {
                Some(Ok(read)) if read.cached => Some(read),
                _ => {
                    tracing::info!(layer = %id, "its shared source is not cached: loading it");
                    return None;
                }
            },
            None => None,
        };
        match stored::read_layer(config, read.as_deref(), &bytes) {
            Ok(layer) => Some(layer),
            Err(e) => {
                tracing::warn!(layer = %id, file = %path.display(), error = %crate::error_chain(&e), "cache file unusable: loading the layer from its sources");
                None
            }
        }
    }

    fn catalog_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.{name}", self.prefix))
    }

    /// The payload of a file derived from the whole catalogue (the national reference, for
    /// instance), when it is whole and every layer is unchanged; `None`, logged, otherwise.
    pub fn read_derived(&self, name: &str) -> Option<Vec<u8>> {
        let path = self.catalog_path(name);
        match file::read(&path, self.keys.catalog()?) {
            Ok(bytes) => Some(bytes),
            Err(why) => {
                unusable(name, &path, &why);
                None
            }
        }
    }

    /// Writes a file derived from the whole catalogue; a failure is logged.
    pub fn write_derived(&self, name: &str, payload: &[u8]) {
        if self.read_only {
            return;
        }
        let Some(key) = self.keys.catalog() else {
            return;
        };
        let path = self.catalog_path(name);
        let result = std::fs::create_dir_all(&self.dir)
            .and_then(|()| file::write(&path, key, |out| out.write_all(payload)));
        if let Err(e) = result {
            tracing::warn!(file = %path.display(), error = %e, "cannot write a cache file");
        }
    }

    /// Where [`SharedSources`] finds the shared readings of the cache.
    pub fn reuse(self: &Arc<Self>) -> Reuse {
        let cache = Arc::clone(self);
        Arc::new(move |config: &LayerConfig| cache.read_shared(config))
    }

    fn read_shared(&self, config: &LayerConfig) -> Option<SharedRead> {
        let group = self.keys.group_of(&config.id)?;
        let key = self.keys.group(group)?;
        let path = self.shared_path(group)?;
        let started = Instant::now();
        let bytes = match file::read(&path, key) {
            Ok(bytes) => bytes,
            Err(why) => {
                unusable(&config.id, &path, &why);
                return None;
            }
        };
        match stored::read_shared(&bytes) {
            Ok(read) => {
                tracing::info!(
                    file = %path.display(),
                    ms = started.elapsed().as_millis() as u64,
                    "shared source read from cache"
                );
                Some(read)
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %crate::error_chain(&e), "cache file unusable: reading the shared source");
                None
            }
        }
    }

    /// Writes the files of what was loaded from the sources, on every core, then removes the
    /// files of the folder that no current layer names. Failures are logged, never returned.
    pub fn write(&self, fresh: &Fresh) {
        if self.read_only {
            if !fresh.layers.is_empty() {
                tracing::info!(
                    layers = fresh.layers.len(),
                    "read-only cache: the layers loaded from their sources are not cached"
                );
            }
            return;
        }
        if fresh.layers.is_empty() && fresh.reads.iter().all(|(_, r)| r.cached) {
            return;
        }
        if let Err(e) = std::fs::create_dir_all(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot create the cache folder: nothing cached");
            return;
        }
        let started = Instant::now();
        let mut jobs: Vec<Job<'_>> = fresh
            .reads
            .iter()
            .filter(|(_, r)| !r.cached)
            .map(|(g, r)| Job::Shared(g.as_str(), r.as_ref()))
            .chain(fresh.layers.iter().map(|l| Job::Layer(l)))
            .collect();
        // The largest first.
        jobs.sort_by_key(|j| std::cmp::Reverse(j.size()));
        crate::parallel::map(&jobs, |job| self.write_one(job, &fresh.reads));
        self.remove_others(fresh);
        tracing::info!(
            dir = %self.dir.display(),
            files = jobs.len(),
            ms = started.elapsed().as_millis() as u64,
            "cache written"
        );
    }

    fn write_one(&self, job: &Job<'_>, reads: &[(String, Arc<SharedRead>)]) {
        let started = Instant::now();
        let (what, path, result) = match *job {
            Job::Shared(group, read) => {
                let (Some(key), Some(path)) = (self.keys.group(group), self.shared_path(group))
                else {
                    return;
                };
                let result = file::write(&path, key, |out| stored::write_shared(read, out));
                ("shared source", path, result)
            }
            Job::Layer(layer) => {
                let Some(key) = self.keys.layer(layer.id()) else {
                    return;
                };
                let read = self.keys.group_of(layer.id()).and_then(|g| {
                    reads
                        .iter()
                        .find(|(group, _)| group == g)
                        .map(|(_, r)| r.as_ref())
                });
                let path = self.layer_path(layer.id());
                let result = file::write(&path, key, |out| stored::write_layer(layer, read, out));
                ("layer", path, result)
            }
        };
        match result {
            Ok(()) => tracing::debug!(
                file = %path.display(),
                ms = started.elapsed().as_millis() as u64,
                "{what} cached"
            ),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot write the cache file of a {what}")
            }
        }
    }

    /// Removes the files of this folder that no current layer or shared source names, and
    /// temporary files left by an interrupted write more than an hour ago.
    fn remove_others(&self, fresh: &Fresh) {
        let mut keep: HashSet<PathBuf> = fresh.ids.iter().map(|id| self.layer_path(id)).collect();
        keep.extend(
            fresh
                .ids
                .iter()
                .filter_map(|id| self.shared_path(self.keys.group_of(id)?)),
        );
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let hour = std::time::Duration::from_secs(3600);
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.starts_with(&format!("{}-", self.prefix));
            let temporary = name.starts_with(&format!(".{}-", self.prefix))
                && name.ends_with(".tmp")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > hour));
            if (ours && !keep.contains(&path)) || temporary {
                match std::fs::remove_file(&path) {
                    Ok(()) => tracing::debug!(file = %path.display(), "old cache file removed"),
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "cannot remove an old cache file")
                    }
                }
            }
        }
    }
}

enum Job<'a> {
    Shared(&'a str, &'a SharedRead),
    Layer(&'a Layer),
}

impl Job<'_> {
    /// A rough size, to write the largest first.
    fn size(&self) -> usize {
        match self {
            Job::Shared(_, r) => r.geometries.heap_bytes(),
            Job::Layer(l) => {
                let m = l.memory();
                m.geometries + m.properties + m.index
            }
        }
    }
}

fn unusable(id: &str, path: &Path, why: &file::Unusable) {
    if matches!(why, file::Unusable::Missing) {
        tracing::info!(layer = %id, file = %path.display(), "not cached yet: loading from the sources");
    } else {
        tracing::warn!(layer = %id, file = %path.display(), reason = %crate::error_chain(why), "cache file unusable: loading from the sources");
    }
}
