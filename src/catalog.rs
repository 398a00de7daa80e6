//! The catalogue of loaded layers, in layer-id order, built in parallel at start-up.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::config::{self, ConfigError, LayerConfig};
use crate::layer::{load_layer, Layer, LoadError};

/// Why the catalogue could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A layer file is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// One or more layers could not be loaded; every failure is listed.
    #[error("{}", list_errors(.0))]
    Load(Vec<LoadError>),
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

/// The loaded layers.
#[derive(Debug)]
pub struct Catalog {
    layers: IndexMap<String, Arc<Layer>>,
    /// The layer directory.
    pub dir: PathBuf,
    /// Wall time of the whole load.
    pub load_time: Duration,
}

impl Catalog {
    /// Reads every layer file of `dir` and loads the layers in parallel.
    ///
    /// # Errors
    /// The first configuration error, or every layer that failed to load.
    pub fn load(dir: &Path) -> Result<Self, CatalogError> {
        crate::init_gdal();
        let started = Instant::now();
        let configs = config::load_dir(dir)?;
        let results = load_parallel(&configs);
        let mut layers = IndexMap::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(layer) => {
                    layers.insert(layer.id().to_owned(), Arc::new(layer));
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(CatalogError::Load(errors));
        }
        Ok(Self {
            layers,
            dir: dir.to_owned(),
            load_time: started.elapsed(),
        })
    }

    /// The layer with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Layer>> {
        self.layers.get(id)
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

/// Loads the layers on as many threads as there are cores, keeping the configuration order.
fn load_parallel(configs: &[LayerConfig]) -> Vec<Result<Layer, LoadError>> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(configs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Layer, LoadError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(config) = configs.get(i) else {
                            break;
                        };
                        let result = load_layer(config);
                        if let Ok(layer) = &result {
                            tracing::info!(
                                layer = %layer.id(),
                                features = layer.report.features,
                                skipped = layer.report.skipped(),
                                ms = layer.report.load_ms as u64,
                                "layer loaded"
                            );
                        }
                        done.push((i, result));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
