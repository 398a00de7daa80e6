//! The TileJSON 3.0.0 description of one or more layers (a composite), without tile URLs: what
//! the server answers at `/tiles/{layers}.json` (adding its URL) and what archives carry as
//! their metadata. Bounds and centre are WGS84 degrees.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::bbox::BboxWgs84;
use crate::config::PropType;
use crate::layer::{GeometryKind, Layer};

/// The whole Web Mercator world, in WGS84.
const WORLD: BboxWgs84 = BboxWgs84 {
    west: -180.0,
    south: -crate::mercator::MAX_LATITUDE,
    east: 180.0,
    north: crate::mercator::MAX_LATITUDE,
};

/// The TileJSON 3.0.0 document of one or more layers, in order, without `tiles`: name,
/// description, attribution (producers, dates, synthetic mark), zooms, bounds, centre and
/// `vector_layers` (one per layer, and one per label layer).
pub fn document(layers: &[Arc<Layer>]) -> Value {
    let minzoom = layers.iter().map(|l| l.config.min_zoom).min().unwrap_or(0);
    let maxzoom = layers.iter().map(|l| l.config.max_zoom).max().unwrap_or(0);
    let bounds = bounds(layers).unwrap_or(WORLD);
    let mut vector_layers: Vec<Value> = Vec::new();
    for l in layers {
        vector_layers.push(vector_layer(l));
        if let (Some(label), false) = (&l.config.style.label, l.label_points.is_empty()) {
            vector_layers.push(json!({
                "id": crate::tile::label_layer_name(l.id()),
                "description": format!("{} — points d'étiquette", l.config.title),
                "minzoom": l.config.min_zoom,
                "maxzoom": l.config.max_zoom,
                "fields": {label: "String"},
            }));
        }
    }
    let name = layers
        .iter()
        .map(|l| l.config.title.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let description = layers
        .iter()
        .map(|l| l.config.description.as_str())
        .filter(|d| !d.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "description": description,
        "version": "1.0.0",
        "attribution": attribution_html(layers),
        "scheme": "xyz",
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds.to_array(),
        "center": center(&bounds, minzoom, maxzoom),
        "vector_layers": vector_layers,
    })
}

/// The union of the layers' bounds; `None` when no layer has any feature.
pub fn bounds(layers: &[Arc<Layer>]) -> Option<BboxWgs84> {
    layers
        .iter()
        .filter_map(|l| l.bounds)
        .reduce(|a, b| a.union(&b))
}

/// `[lon, lat, zoom]`: the middle of the bounds, at the middle zoom.
pub fn center(bounds: &BboxWgs84, minzoom: u8, maxzoom: u8) -> [f64; 3] {
    let zoom = minzoom
        .max(((u16::from(maxzoom) + u16::from(minzoom)) / 2) as u8)
        .min(maxzoom);
    [
        (bounds.west + bounds.east) / 2.0,
        (bounds.south + bounds.north) / 2.0,
        f64::from(zoom),
    ]
}

fn vector_layer(layer: &Layer) -> Value {
    let mut fields = serde_json::Map::new();
    for p in &layer.schema {
        let kind = match p.ty {
            PropType::String => "String",
            PropType::Int | PropType::Float => "Number",
            PropType::Bool => "Boolean",
        };
        fields.insert(p.name.clone(), Value::from(kind));
    }
    if layer.geometry_kind == GeometryKind::Point {
        fields.insert("aggregated".into(), "Boolean".into());
        fields.insert("count".into(), "Number".into());
    }
    json!({
        "id": layer.id(),
        "description": layer.config.title,
        "minzoom": layer.config.min_zoom,
        "maxzoom": layer.config.max_zoom,
        "fields": fields,
    })
}

/// Producer and date of each layer, HTML-escaped, with a mark on synthetic data.
pub fn attribution_html(layers: &[Arc<Layer>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for l in layers {
        let mut text = crate::ogc::html::escape(&l.config.attribution.text());
        if l.config.synthetic {
            text.push_str(" — données synthétiques");
        }
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    parts.join(" · ")
}
