//! The national reference: the indicators of every commune of a reference catalogue (the
//! `reference/` sub-folder of the layer folder: national tables of the same roles as the served
//! layers), computed once per load, for the territory sheet's « France » column.
//!
//! An indicator whose role has no reference layer (the social stock, synthetic and served for the
//! demo région only) has no national value: `null`, never a made-up one.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value as Json;

use super::indicators::{compute, Indicator, Source};
use super::territory::everything;
use crate::catalog::Catalog;

/// The name of the reference sub-folder of a layer folder.
pub const FOLDER: &str = "reference";

/// National values of the indicators.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Reference {
    pub name: String,
    /// Communes of the reference.
    pub communes: usize,
    /// Each indicator the reference layers allow, with its source.
    pub indicators: Vec<Indicator>,
    /// Load and computation time.
    #[serde(skip)]
    pub load_time: Duration,
}

impl Reference {
    /// Computes the reference of a loaded reference catalogue (`None` without a communes layer).
    pub fn of(catalog: &Catalog) -> Option<Self> {
        let started = Instant::now();
        let all = everything(catalog)?;
        Some(Self {
            name: "France".into(),
            communes: all.communes.len(),
            indicators: compute(catalog, &all),
            load_time: catalog.load_time + started.elapsed(),
        })
    }

    /// The national value of an indicator, `null` when the reference has none.
    pub fn value(&self, id: &str) -> Json {
        self.get(id).map_or(Json::Null, |i| i.value.clone())
    }

    /// The source of an indicator's national value.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.get(id).map(|i| &i.source)
    }

    fn get(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Whether `dir` has a reference sub-folder.
    pub fn exists_in(dir: &Path) -> bool {
        dir.join(FOLDER).is_dir()
    }
}
