//! # Bourg
//!
//! A map server for town-centre revitalisation in France. Bourg reads layers in any vector format
//! GDAL/OGR reads (social housing, vacancy, ACV/PVD/ORT perimeters, brownfields…), reprojects
//! them once to WGS84 and Web Mercator, indexes each in an R-tree, and serves them over HTTP.
//!
//! The pipeline: [`config`] (one TOML file per layer) → [`layer`] (GDAL → features) →
//! [`index`] (R-tree) → [`catalog`] (all layers, loaded in parallel) → [`router`] (axum).
//! [`synth`] generates the synthetic RPLS and vacancy files the demo serves.

pub mod analysis;
pub mod archive;
pub mod bbox;
pub mod cache;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod crs;
pub mod db;
pub mod error;
pub mod export;
pub mod glyph;
pub mod index;
pub mod layer;
pub mod mercator;
pub mod metrics;
pub mod ogc;
pub mod parallel;
pub mod qualif;
pub mod search;
pub mod synth;
pub mod tile;
pub mod tilejson;
pub mod watch;
pub mod web;

mod api;
mod state;

use std::sync::Once;

pub use api::router;
pub use catalog::{Catalog, CatalogError, LoadOptions};
pub use state::{AdminToken, AppState, ReloadReport, Settings, Trigger, WorkError};

/// Entry points of the fuzz targets (`fuzz/`) that are not public otherwise; not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::api::parse_tile_path;
}

/// Routes GDAL's own messages to `tracing` (once per process) instead of stderr.
pub fn init_gdal() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        gdal::config::set_error_handler(|class, number, message| {
            use gdal::errors::CplErrType;
            match class {
                CplErrType::Failure | CplErrType::Fatal => {
                    tracing::debug!(number, "GDAL error: {message}")
                }
                CplErrType::Warning => tracing::debug!(number, "GDAL warning: {message}"),
                _ => tracing::trace!(number, "GDAL: {message}"),
            }
        });
    });
}

/// The message of a GDAL error without the crate's wrapping ("GDAL method … returned …").
pub fn gdal_message(e: &gdal::errors::GdalError) -> String {
    use gdal::errors::GdalError;
    let text = match e {
        GdalError::NullPointer { msg, .. } | GdalError::CplError { msg, .. } => {
            msg.trim().to_owned()
        }
        other => other.to_string(),
    };
    if text.is_empty() {
        e.to_string()
    } else {
        text
    }
}

/// An error and all its causes on one line, separated by `": "`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
