//! `GET /style.json`: a MapLibre style drawing every layer with a plain default look — one
//! vector source per layer (so hidden layers fetch nothing), polygons under lines under points,
//! aggregated cells as circles sized by their count. The map UI refines it.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::base_url;
use crate::layer::{GeometryKind, Layer};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/style.json", get(get_style))
}

/// Colours given to layers in order.
const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f",
];

fn draw_order(kind: GeometryKind) -> u8 {
    match kind {
        GeometryKind::Polygon | GeometryKind::Geometry => 0,
        GeometryKind::LineString => 1,
        GeometryKind::Point | GeometryKind::None => 2,
    }
}

async fn get_style(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let catalog = state.catalog();
    let mut layers: Vec<&Layer> = catalog.layers().map(|l| l.as_ref()).collect();
    // Polygons first, broad ones (low min_zoom) below detailed ones.
    layers.sort_by_key(|l| (draw_order(l.geometry_kind), l.config.min_zoom));
    let mut sources = serde_json::Map::new();
    let mut style_layers = vec![json!({
        "id": "background",
        "type": "background",
        "paint": {"background-color": "#f4f1ea"}
    })];
    let bounds = catalog
        .layers()
        .filter_map(|l| l.bounds)
        .reduce(|a, b| a.union(&b));
    for (i, layer) in layers.iter().enumerate() {
        let id = layer.id();
        let colour = PALETTE[i % PALETTE.len()];
        sources.insert(
            id.to_owned(),
            json!({"type": "vector", "url": format!("{base}/tiles/{id}.json")}),
        );
        let meta = json!({"bourg:layer": id, "bourg:synthetic": layer.config.synthetic});
        let common = |suffix: &str, kind: &str| {
            json!({
                "id": format!("{id}-{suffix}"),
                "type": kind,
                "source": id,
                "source-layer": id,
                "minzoom": layer.config.min_zoom,
                "metadata": meta,
            })
        };
        let mut add = |mut l: Value, extra: Value| {
            if let (Some(o), Some(e)) = (l.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            style_layers.push(l);
        };
        match layer.geometry_kind {
            GeometryKind::Polygon | GeometryKind::Geometry => {
                add(
                    common("fill", "fill"),
                    json!({
                        "filter": ["==", ["geometry-type"], "Polygon"],
                        "paint": {"fill-color": colour, "fill-opacity": 0.12}
                    }),
                );
                add(
                    common("line", "line"),
                    json!({"paint": {"line-color": colour, "line-width": 1, "line-opacity": 0.8}}),
                );
            }
            GeometryKind::LineString => add(
                common("line", "line"),
                json!({"paint": {"line-color": colour, "line-width": 1.5}}),
            ),
            GeometryKind::Point | GeometryKind::None => add(
                common("circle", "circle"),
                json!({
                    "paint": {
                        "circle-color": colour,
                        "circle-opacity": 0.8,
                        "circle-stroke-color": "#ffffff",
                        "circle-stroke-width": 1,
                        "circle-radius": ["case",
                            ["has", "count"],
                            ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 4, 100, 28],
                            4]
                    }
                }),
            ),
        }
    }
    let (center, zoom) = match bounds {
        Some(b) => ([(b.west + b.east) / 2.0, (b.south + b.north) / 2.0], 6),
        None => ([2.5, 46.6], 5),
    };
    Json(json!({
        "version": 8,
        "name": "Bourg",
        "metadata": {"bourg:base": base},
        "center": center,
        "zoom": zoom,
        "sources": sources,
        "layers": style_layers,
    }))
}
