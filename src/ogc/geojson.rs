//! The one writer of features as GeoJSON (RFC 7946 shape; coordinates in the requested CRS).

use geo::Geometry;
use serde_json::{json, Map, Value as Json};

use crate::layer::{Layer, Value};

/// A GeoJSON geometry object.
pub fn geometry(g: &Geometry<f64>) -> Json {
    let value = geojson::Value::from(g);
    serde_json::to_value(geojson::Geometry::new(value)).unwrap_or(Json::Null)
}

/// A GeoJSON feature with its id, geometry (already in the output CRS) and the chosen properties
/// (schema indexes; all when `None`). Null values are written as null.
pub fn feature(layer: &Layer, id: u32, g: &Geometry<f64>, properties: Option<&[usize]>) -> Json {
    let mut props = Map::new();
    let mut put = |i: usize| {
        if let (Some(p), Some(v)) = (layer.schema.get(i), layer.table.get(id as usize, i)) {
            props.insert(p.name.clone(), property(&v));
        }
    };
    match properties {
        Some(list) => list.iter().copied().for_each(&mut put),
        None => (0..layer.schema.len()).for_each(&mut put),
    }
    json!({"type": "Feature", "id": id, "geometry": geometry(g), "properties": props})
}

fn property(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
    }
}
