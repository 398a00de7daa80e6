//! `GET /layers` and `GET /layers/{id}`: what each layer holds, where, and from whom.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::config::Attribution;
use crate::error::AppError;
use crate::layer::{GeometryKind, Layer, LoadReport, Property};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/layers", get(list_layers))
        .route("/layers/{id}", get(get_layer))
}

#[derive(Serialize)]
struct AttributionView<'a> {
    #[serde(flatten)]
    attribution: &'a Attribution,
    text: String,
}

/// The public description of a layer.
#[derive(Serialize)]
struct LayerView<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    geometry_type: GeometryKind,
    feature_count: usize,
    /// `[west, south, east, north]` in WGS84 degrees; null for an empty layer.
    bounds: Option<[f64; 4]>,
    min_zoom: u8,
    max_zoom: u8,
    properties: &'a [Property],
    attribution: AttributionView<'a>,
    synthetic: bool,
    /// Map look and legend (`[style]`), with the theme's label.
    style: &'a crate::config::StyleConfig,
    theme_title: &'static str,
    /// `labels` (property → label), `formats` (property → `year`, `date`, `percent`, …), `values`
    /// (property → code → text) and `noun` (`{one, many}` or null).
    #[serde(flatten)]
    words: &'a crate::config::Words,
    /// Below this zoom, points are drawn as counted cells.
    aggregate_below: Option<u8>,
    /// Properties whose mean (under their own name) and maximum (`<name>_max`) the cells carry.
    cell_stats: &'a [String],
    /// What the analyses take the layer for (`[analysis] role`): `friches`, `vacancy` and
    /// `residences` are the site finder's candidates, whose sheet the map opens.
    role: Option<crate::config::Role>,
    load: &'a LoadReport,
}

impl<'a> LayerView<'a> {
    fn of(layer: &'a Layer) -> Self {
        let c = &layer.config;
        LayerView {
            id: &c.id,
            title: &c.title,
            description: &c.description,
            geometry_type: layer.geometry_kind,
            feature_count: layer.len(),
            bounds: layer.bounds.map(|b| b.to_array()),
            min_zoom: c.min_zoom,
            max_zoom: c.max_zoom,
            properties: &layer.schema,
            attribution: AttributionView {
                attribution: &c.attribution,
                text: c.attribution.text(),
            },
            synthetic: c.synthetic,
            style: &c.style,
            words: &c.words,
            aggregate_below: c.tiles.aggregate.as_ref().map(|a| a.below_zoom),
            cell_stats: c
                .tiles
                .aggregate
                .as_ref()
                .map_or(&[], |a| a.stats.as_slice()),
            role: c.role,
            theme_title: crate::config::THEMES
                .iter()
                .find(|(id, _)| *id == c.style.theme)
                .map_or("Contexte", |(_, t)| *t),
            load: &layer.report,
        }
    }
}

#[derive(Serialize)]
struct LayerList<'a> {
    layers: Vec<LayerView<'a>>,
    /// Archive layers: pre-rendered tiles only (no features, properties or analyses).
    archives: Vec<serde_json::Value>,
}

/// The public description of an archive layer: its configuration and its TileJSON's fields.
fn archive_view(a: &crate::archive::Archive) -> serde_json::Value {
    let t = &a.tilejson;
    serde_json::json!({
        "id": a.id(),
        "title": a.config.title,
        "description": t["description"],
        "format": a.format.name(),
        "url": a.config.url,
        "tilejson": format!("tiles/{}.json", a.id()),
        "min_zoom": t["minzoom"],
        "max_zoom": t["maxzoom"],
        "bounds": t["bounds"],
        "attribution": t["attribution"],
        "vector_layers": a.vector_layers(),
        "color": a.config.color,
        "visible": a.config.visible,
    })
}

/// Serialises a view that borrows from the handler's state.
fn to_json(view: impl Serialize) -> Result<Json<serde_json::Value>, AppError> {
    serde_json::to_value(view)
        .map(Json)
        .map_err(|e| AppError::Internal(Box::new(e)))
}

async fn list_layers(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let catalog = state.catalog();
    to_json(LayerList {
        layers: catalog.layers().map(|l| LayerView::of(l)).collect(),
        archives: catalog.archives().map(|a| archive_view(a)).collect(),
    })
}

async fn get_layer(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Path(id) = path?;
    let catalog = state.catalog();
    let layer = catalog.layer(&id)?;
    to_json(LayerView::of(layer))
}
