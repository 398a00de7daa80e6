//! Sources shared by several layers: the national commune polygons are the geometry of seven
//! layers (communes, LOVAC, zonage, QPV, ACV and PVD perimeters, social stock per commune), each
//! adding its own joins. Such a source is read once, with the union of the properties its
//! layers keep, generalised once, and every layer holds the same geometries and columns through
//! `Arc` (a layer whose required join drops features keeps a list of positions).
//!
//! Two layers share a source when they read the same file the same way (path, OGR layer,
//! coordinate columns, CRS, delimiter, encoding), neither groups rows, and they generalise alike
//! (same `max_zoom` and tolerance). A property read by both with different types is not shared:
//! each layer then reads the file itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use indexmap::IndexMap;

use super::load::{read_features, Read};
use super::source::SourceError;
use super::table::Column;
use super::{Geometries, GeometryKind, LoadReport};
use crate::config::{LayerConfig, PropType};

/// What identifies a shared reading.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key(String);

impl Key {
    fn of(config: &LayerConfig) -> Option<Self> {
        if config.group.is_some() {
            return None;
        }
        let s = &config.source;
        Some(Self(format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
            s.path.display(),
            s.layer,
            s.xy.as_ref().map(|xy| (&xy.x, &xy.y)),
            s.crs,
            s.delimiter,
            s.encoding,
            config.max_zoom,
            config.tiles.tolerance,
        )))
    }
}

/// A source read once for several layers.
#[derive(Debug)]
pub struct SharedRead {
    /// Every feature's geometry, generalised when lines or polygons.
    pub geometries: Geometries,
    /// Every property any of its layers keeps.
    pub columns: HashMap<String, Arc<Column>>,
    /// What reading found.
    pub report: LoadReport,
    /// Whether it comes from the prepared-catalogue cache rather than from the source.
    pub cached: bool,
}

type Slot = Arc<OnceLock<Result<Arc<SharedRead>, Arc<SourceError>>>>;

/// Where a shared reading may be found before its source is read (the prepared-catalogue
/// cache): given a layer of the source, the reading or `None`.
pub type Reuse = Arc<dyn Fn(&LayerConfig) -> Option<SharedRead> + Send + Sync>;

/// The sources of a catalogue that more than one layer reads, each read at most once.
#[derive(Default)]
pub struct SharedSources {
    /// The union of the properties of the layers of each shared source.
    properties: HashMap<Key, IndexMap<String, PropType>>,
    slots: Mutex<HashMap<Key, Slot>>,
    reuse: Option<Reuse>,
}

impl std::fmt::Debug for SharedSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSources")
            .field("properties", &self.properties)
            .field("slots", &self.slots)
            .field("reuse", &self.reuse.is_some())
            .finish()
    }
}

impl SharedSources {
    /// Finds the sources read by more than one of `configs`.
    pub fn plan(configs: &[LayerConfig]) -> Self {
        let mut users: HashMap<Key, Vec<&LayerConfig>> = HashMap::new();
        for c in configs {
            if let Some(k) = Key::of(c) {
                users.entry(k).or_default().push(c);
            }
        }
        let mut properties = HashMap::new();
        for (key, layers) in users {
            if layers.len() < 2 {
                continue;
            }
            let mut union: IndexMap<String, PropType> = IndexMap::new();
            let mut agree = true;
            for l in &layers {
                for (name, ty) in &l.properties {
                    match union.get(name) {
                        Some(t) if t != ty => agree = false,
                        Some(_) => {}
                        None => {
                            union.insert(name.clone(), *ty);
                        }
                    }
                }
            }
            if agree {
                properties.insert(key, union);
            }
        }
        Self {
            properties,
            slots: Mutex::new(HashMap::new()),
            reuse: None,
        }
    }

    /// Looks for each shared reading with `reuse` first, reading the source only when it
    /// gives none.
    pub fn reusing(self, reuse: Reuse) -> Self {
        Self {
            reuse: Some(reuse),
            ..self
        }
    }

    /// What identifies the shared source of this layer (the same text for every layer that
    /// shares it); `None` when the layer reads its source alone.
    pub fn group(&self, config: &LayerConfig) -> Option<String> {
        let key = Key::of(config)?;
        self.properties.contains_key(&key).then_some(key.0)
    }

    /// The readings done (or reused) so far, each with its [`SharedSources::group`].
    pub fn reads(&self) -> Vec<(String, Arc<SharedRead>)> {
        let slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots
            .iter()
            .filter_map(|(key, slot)| Some((key.0.clone(), slot.get()?.as_ref().ok()?.clone())))
            .collect()
    }

    /// The shared reading of this layer's source, read now by the first layer that asks;
    /// `None` when the layer does not share its source.
    ///
    /// # Errors
    /// When the source cannot be read (every layer sharing it gets the error).
    pub fn get(&self, config: &LayerConfig) -> Option<Result<Arc<SharedRead>, Arc<SourceError>>> {
        let key = Key::of(config)?;
        let union = self.properties.get(&key)?;
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(key).or_default().clone()
        };
        Some(
            slot.get_or_init(|| {
                let mut merged = config.clone();
                merged.properties = union.clone();
                merged.joins.clear();
                merged.totals = None;
                if let Some(read) = self.reuse.as_ref().and_then(|reuse| reuse(config)) {
                    return Ok(Arc::new(read));
                }
                read_shared(&merged).map(Arc::new).map_err(Arc::new)
            })
            .clone(),
        )
    }
}

fn read_shared(config: &LayerConfig) -> Result<SharedRead, SourceError> {
    let Read {
        geometries,
        table,
        report,
    } = read_features(config)?;
    let mut geometries = Geometries::new(geometries);
    let kind = GeometryKind::of_all(geometries.iter());
    geometries.generalise(kind, config.max_zoom, config.tiles.tolerance);
    let columns = config
        .properties
        .keys()
        .enumerate()
        .filter_map(|(i, name)| Some((name.clone(), table.column(i)?.clone())))
        .collect();
    Ok(SharedRead {
        geometries,
        columns,
        report,
        cached: false,
    })
}
