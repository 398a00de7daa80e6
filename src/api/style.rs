//! `GET /style.json`: a MapLibre style drawing every layer from its `[style]`: one vector source
//! per layer (a hidden layer fetches nothing), context polygons under thematic polygons under
//! lines under points, labels on top; choropleths as `step`, categories as `match` (features
//! without a value in a "no data" grey), aggregated cells as circles sized by their count.
//! Labels use the fonts Bourg serves at `/fonts/…` (see [`crate::glyph`]).
//!
//! Colours are written in the expression forms QGIS's MapLibre style converter imports (`step`
//! and `match` on a plain `["get", property]`, `case` on `has`), which draw the same in
//! MapLibre: the configuration guarantees a choropleth's property is a number and a category's a
//! text, so no `to-number` / `to-string` coercion is needed.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::base_url;
use crate::config::StyleConfig;
use crate::layer::{GeometryKind, Layer};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/style.json", get(get_style))
}

/// Colour of features without a value.
pub const NO_DATA: &str = "#d9d9d9";

fn draw_order(layer: &Layer) -> (u8, u8) {
    let s = &layer.config.style;
    let thematic = s.choropleth.is_some() || s.categories.is_some();
    let rank = match layer.geometry_kind {
        GeometryKind::Polygon | GeometryKind::Geometry if s.theme == "contexte" && !thematic => 0,
        GeometryKind::Polygon | GeometryKind::Geometry if thematic => 1,
        GeometryKind::Polygon | GeometryKind::Geometry => 2,
        GeometryKind::LineString => 3,
        GeometryKind::Point | GeometryKind::None => 4,
    };
    (rank, layer.config.min_zoom)
}

/// The colour expression of a layer: its choropleth, its categories or its plain colour.
pub fn color_expression(s: &StyleConfig) -> Value {
    if let Some(c) = &s.choropleth {
        return json!([
            "case",
            ["has", c.property],
            class_step(c, &c.property),
            NO_DATA
        ]);
    }
    if let Some(c) = &s.categories {
        let mut m = vec![json!("match"), json!(["get", c.property])];
        for (value, color) in &c.values {
            // A label list of one (`["A"]`), not the bare label: the same to MapLibre, and the
            // form QGIS's style importer reads (it turns a bare label into an empty `IN ()`).
            m.push(json!([value]));
            m.push(json!(color));
        }
        m.push(json!(NO_DATA));
        return Value::Array(m);
    }
    json!(s.color)
}

/// The choropleth's classes as a `step` on `property` (the choropleth's own, or a cell's maximum
/// of it).
fn class_step(c: &crate::config::Choropleth, property: &str) -> Value {
    let mut step = vec![json!("step"), json!(["get", property]), json!(c.colors[0])];
    for (b, color) in c.breaks.iter().zip(&c.colors[1..]) {
        step.push(json!(b));
        step.push(json!(color));
    }
    Value::Array(step)
}

/// The outline of a point layer's circles: white, except for the groups of a choropleth layer
/// whose cells carry the maximum of its property (`<property>_max`, `[tiles] stats`): their ring,
/// thicker, takes the class colour of that maximum — a group of sound residences holding one
/// fragile residence shows it. (Colour expression, width.)
fn max_stroke(layer: &Layer) -> (Value, Value) {
    let s = &layer.config.style;
    let carried = s.choropleth.as_ref().filter(|c| {
        layer
            .config
            .tiles
            .aggregate
            .as_ref()
            .is_some_and(|a| a.stats.contains(&c.property))
    });
    let Some(c) = carried else {
        return (json!("#ffffff"), json!(1));
    };
    let max = format!("{}_max", c.property);
    (
        json!(["case", ["has", max], class_step(c, &max), "#ffffff"]),
        json!(["case", ["has", max], 2.5, 1]),
    )
}

/// The colour of a point: aggregated cells (with `count`) take the plain colour unless they
/// carry the choropleth's property themselves (a mean, as residences' fragility). Written as one
/// `case` on `has` conditions (QGIS imports it; `!` and `all` it does not).
fn cell_color(s: &StyleConfig) -> Value {
    let plain = json!(s.color);
    match &s.choropleth {
        Some(c) => {
            let Value::Array(mut parts) = color_expression(s) else {
                return plain;
            };
            // ["case", ["has", p], step, NO_DATA] → ["case", ["has", p], step, ["has", "count"], plain, NO_DATA]
            let no_data = parts.pop().unwrap_or(json!(NO_DATA));
            parts.push(json!(["has", "count"]));
            parts.push(plain);
            parts.push(no_data);
            debug_assert_eq!(parts[1], json!(["has", c.property]));
            Value::Array(parts)
        }
        None => json!(["case", ["has", "count"], plain, color_expression(s)]),
    }
}

/// An archive layer's source and layers. With `url` configured, the source reads the PMTiles
/// file there with the `pmtiles://` protocol (a path on this server is made absolute), else it
/// is the server's TileJSON. Each vector layer of the archive is drawn plainly in the configured
/// colour: polygons filled and outlined, lines, points as circles.
fn archive_layers(archive: &crate::archive::Archive, base: &str) -> (Value, Vec<Value>) {
    let id = archive.id();
    let source = match &archive.config.url {
        Some(url) if url.starts_with('/') => {
            json!({"type": "vector", "url": format!("pmtiles://{base}{url}")})
        }
        Some(url) => json!({"type": "vector", "url": format!("pmtiles://{url}")}),
        None => json!({"type": "vector", "url": format!("{base}/tiles/{id}.json")}),
    };
    let color = &archive.config.color;
    let visibility = if archive.config.visible {
        "visible"
    } else {
        "none"
    };
    let mut layers = Vec::new();
    for vl in archive.vector_layers() {
        let layer = |suffix: &str, kind: &str, filter: Value, paint: Value| {
            json!({
                "id": format!("{id}-{vl}-{suffix}"),
                "type": kind,
                "source": id,
                "source-layer": vl,
                "filter": filter,
                "metadata": {"bourg:archive": id, "bourg:theme": "archives"},
                "layout": {"visibility": visibility},
                "paint": paint,
            })
        };
        layers.push(layer(
            "fill",
            "fill",
            json!(["==", ["geometry-type"], "Polygon"]),
            json!({"fill-color": color, "fill-opacity": 0.15}),
        ));
        layers.push(layer(
            "line",
            "line",
            json!(["!=", ["geometry-type"], "Point"]),
            json!({"line-color": color, "line-width": 1}),
        ));
        layers.push(layer(
            "circle",
            "circle",
            json!(["==", ["geometry-type"], "Point"]),
            json!({"circle-color": color, "circle-radius": 4, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}),
        ));
    }
    (source, layers)
}

/// The style source of the ranked recycling sites.
pub const SITES_SOURCE: &str = "bourg-sites";

/// The ranked recycling sites (`/api/sites/tiles`, default weights), hidden until asked for, when
/// the catalogue has candidates to rank: a circle per site, darker and larger as it scores higher.
fn sites_layer(catalog: &crate::catalog::Catalog, base: &str) -> Option<(Value, Value)> {
    use crate::config::Role;
    let candidates: Vec<&Layer> = catalog
        .layers()
        .filter(|l| {
            matches!(
                l.config.role,
                Some(Role::Friches | Role::Vacancy | Role::Residences)
            )
        })
        .map(|l| l.as_ref())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let attribution: Vec<String> = candidates
        .iter()
        .map(|l| {
            let a = &l.config.attribution;
            format!("{} ({})", a.producer, a.date)
        })
        .collect();
    let source = json!({
        "type": "vector",
        "tiles": [format!("{base}/api/sites/tiles/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": 16,
        "attribution": format!("Sites à recycler, score Bourg : {}", attribution.join(", ")),
    });
    let layer = json!({
        "id": "sites-ranked",
        "type": "circle",
        "source": SITES_SOURCE,
        "source-layer": "sites",
        "minzoom": 8,
        "metadata": {"bourg:analysis": "sites", "bourg:theme": "sites"},
        "layout": {"visibility": "none"},
        "paint": {
            // Classes of 20 points of the 0–100 score (the map's legend reads them from here).
            "circle-color": ["step", ["get", "score"], "#ffffb2", 20, "#fecc5c", 40, "#fd8d3c", 60, "#f03b20", 80, "#bd0026"],
            "circle-radius": ["interpolate", ["linear"], ["get", "score"], 20, 4, 90, 9],
            "circle-stroke-color": "#000000",
            "circle-stroke-width": 1,
        },
    });
    Some((source, layer))
}

async fn get_style(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let catalog = state.catalog();
    let mut layers: Vec<&Layer> = catalog.layers().map(|l| l.as_ref()).collect();
    layers.sort_by_key(|l| draw_order(l));
    let mut sources = serde_json::Map::new();
    let mut style_layers = vec![json!({
        "id": "background",
        "type": "background",
        "paint": {"background-color": "#f4f1ea"}
    })];
    let mut labels = Vec::new();
    for layer in &layers {
        let id = layer.id();
        let s = &layer.config.style;
        sources.insert(
            id.to_owned(),
            json!({"type": "vector", "url": format!("{base}/tiles/{id}.json")}),
        );
        let visibility = if s.visible { "visible" } else { "none" };
        let meta = json!({"bourg:layer": id, "bourg:theme": s.theme, "bourg:synthetic": layer.config.synthetic});
        let make = |suffix: &str, kind: &str, paint: Value, extra: Value| {
            let mut l = json!({
                "id": format!("{id}-{suffix}"),
                "type": kind,
                "source": id,
                "source-layer": id,
                "minzoom": layer.config.min_zoom,
                "metadata": meta,
                "layout": {"visibility": visibility},
                "paint": paint,
            });
            if let (Some(o), Some(e)) = (l.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            l
        };
        let color = color_expression(s);
        let thematic = s.choropleth.is_some() || s.categories.is_some();
        match layer.geometry_kind {
            GeometryKind::Polygon | GeometryKind::Geometry => {
                style_layers.push(make(
                    "fill",
                    "fill",
                    json!({"fill-color": color, "fill-opacity": if thematic { 0.7 } else if s.theme == "contexte" { 0.04 } else { 0.2 }}),
                    json!({"filter": ["==", ["geometry-type"], "Polygon"]}),
                ));
                style_layers.push(make(
                    "line",
                    "line",
                    json!({"line-color": if thematic { json!("#ffffff") } else { json!(s.color) }, "line-width": if thematic { 0.5 } else { 1.2 }, "line-opacity": 0.9}),
                    json!({}),
                ));
            }
            GeometryKind::LineString => style_layers.push(make(
                "line",
                "line",
                json!({"line-color": color, "line-width": 1.5}),
                json!({}),
            )),
            GeometryKind::Point | GeometryKind::None => {
                let (stroke, stroke_width) = max_stroke(layer);
                style_layers.push(make(
                    "circle",
                    "circle",
                    json!({
                        "circle-color": cell_color(s),
                        "circle-opacity": 0.85,
                        "circle-stroke-color": stroke,
                        "circle-stroke-width": stroke_width,
                        "circle-radius": ["case",
                            ["has", "count"],
                            ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 5, 100, 28],
                            5]
                    }),
                    json!({}),
                ));
            }
        }
        if let Some(label) = &s.label {
            let polygons = layer.geometry_kind != GeometryKind::Point;
            let mut l = make(
                "label",
                "symbol",
                json!({"text-color": "#333333", "text-halo-color": "#ffffff", "text-halo-width": 1.5}),
                json!({}),
            );
            l["minzoom"] = json!(s.label_min_zoom.max(layer.config.min_zoom));
            if polygons {
                l["source-layer"] = json!(crate::tile::label_layer_name(id));
            }
            l["layout"] = json!({
                "visibility": visibility,
                "text-field": ["get", label],
                "text-font": crate::glyph::STYLE_FONT_STACK,
                "text-size": 12,
                "text-max-width": 8,
                "symbol-placement": "point",
            });
            labels.push(l);
        }
    }
    for archive in catalog.archives() {
        let (source, layers) = archive_layers(archive, &base);
        sources.insert(archive.id().to_owned(), source);
        style_layers.extend(layers);
    }
    if let Some((source, layer)) = sites_layer(&catalog, &base) {
        sources.insert(SITES_SOURCE.to_owned(), source);
        style_layers.push(layer);
    }
    style_layers.extend(labels);
    let bounds = catalog
        .layers()
        .filter_map(|l| l.bounds)
        .reduce(|a, b| a.union(&b));
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
        "glyphs": format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"),
        "sources": sources,
        "layers": style_layers,
    }))
}
