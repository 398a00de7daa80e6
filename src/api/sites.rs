//! `GET /api/sites`: ranked recycling-site candidates, as JSON, CSV, GeoJSON or a GeoPackage
//! (written through GDAL).
//!
//! Parameters: `territory` (a commune, EPCI, département or perimeter id; default the programme
//! communes and their surroundings), `bbox`, `kind=friche,vacance,residence` (default all),
//! `weights=vacancy:0.4,…`, `fragility_min` (residences, default 50), `limit` (default 50, at most
//! 1,000), `f=json|csv|geojson|gpkg`. The JSON says how many candidates `matched` in all.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::analysis::sites::{self, Site, Weights, COMPONENTS};
use crate::bbox::BboxWgs84;
use crate::error::AppError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sites", get(list_sites))
        .route("/api/sites/tiles/{z}/{x}/{y}", get(get_sites_tile))
}

const MAX_LIMIT: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Json,
    Csv,
    GeoJson,
    Gpkg,
}

/// Parses the query of `/api/sites` (its tiles take neither `f` nor `limit`).
fn parse(
    catalog: &crate::catalog::Catalog,
    query: Option<&str>,
    tiles: bool,
) -> Result<(sites::Query, Output), AppError> {
    let bad = AppError::BadRequest;
    let mut q = sites::Query {
        territory: None,
        bbox: None,
        weights: Weights::default(),
        fragility_min: 50.0,
        kinds: None,
        limit: 50,
    };
    let mut output = Output::Json;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "territory" | "perimeter" => {
                q.territory = Some(crate::analysis::resolve(catalog, &v).ok_or_else(|| bad(format!("{k}: no territory {v:?}")))?);
            }
            "bbox" => q.bbox = Some(BboxWgs84::parse(&v).map_err(|e| bad(e.to_string()))?),
            "weights" => q.weights = Weights::parse(&v).map_err(bad)?,
            "kind" => {
                let mut kinds = std::collections::BTreeSet::new();
                for k in v.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    let known = sites::KINDS.iter().find(|known| **known == k).ok_or_else(|| {
                        bad(format!("kind {k:?} is not one of {}", sites::KINDS.join(", ")))
                    })?;
                    kinds.insert(*known);
                }
                if kinds.is_empty() {
                    return Err(bad(format!("kind is empty: give some of {}", sites::KINDS.join(", "))));
                }
                q.kinds = Some(kinds);
            }
            "fragility_min" => {
                q.fragility_min = v.parse().ok().filter(|f: &f64| (0.0..=100.0).contains(f)).ok_or_else(|| bad(format!("fragility_min {v:?} is not in 0..=100")))?;
            }
            "limit" | "f" if tiles => return Err(bad(format!("{k} does not apply to tiles"))),
            "limit" => {
                q.limit = v.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| bad(format!("limit {v:?} is not in 1..={MAX_LIMIT}")))?;
            }
            "f" => {
                output = match v.as_ref() {
                    "json" => Output::Json,
                    "csv" => Output::Csv,
                    "geojson" => Output::GeoJson,
                    "gpkg" => Output::Gpkg,
                    other => return Err(bad(format!("f={other:?} is not json, csv, geojson or gpkg"))),
                }
            }
            other => return Err(bad(format!("unknown query parameter {other:?} (territory, bbox, kind, weights, fragility_min, limit, f)"))),
        }
    }
    Ok((q, output))
}

async fn list_sites(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let catalog = state.catalog();
    let (q, output) = parse(&catalog, query.as_deref(), false)?;
    state.clone().blocking(move || {
        let all = state.analysis.sites(&catalog, &q);
        let matched = all.len();
        let found = &all[..q.limit.min(matched)];
        let weights: serde_json::Map<String, Value> = COMPONENTS
            .iter()
            .zip(q.weights.0)
            .map(|(c, w)| ((*c).to_owned(), json!(w)))
            .collect();
        Ok(match output {
            Output::Json => Json(json!({"weights": weights, "matched": matched, "count": found.len(), "sites": found}))
                .into_response(),
            Output::GeoJson => {
                let body = geojson(found).to_string();
                attachment(body.into_bytes(), "application/geo+json", "sites.geojson")
            }
            Output::Csv => attachment(
                csv(found).into_bytes(),
                "text/csv; charset=utf-8",
                "sites.csv",
            ),
            Output::Gpkg => attachment(
                gpkg(found).map_err(|e| AppError::Internal(e.into()))?,
                "application/geopackage+sqlite3",
                "sites.gpkg",
            ),
        })
    })
    .await?
}

fn attachment(body: Vec<u8>, media_type: &'static str, name: &str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The flat properties of a site, in column order.
fn columns(s: &Site) -> Vec<(String, Value)> {
    let mut out = vec![
        ("rank".to_owned(), json!(s.rank)),
        ("kind".to_owned(), json!(s.kind)),
        ("layer".to_owned(), json!(s.layer)),
        ("id".to_owned(), json!(s.id)),
        ("label".to_owned(), json!(s.label)),
        ("commune".to_owned(), json!(s.commune)),
        ("score".to_owned(), json!(s.score)),
    ];
    out.extend(COMPONENTS.iter().map(|c| {
        (
            format!("c_{c}"),
            json!(s.components.get(c).copied().unwrap_or(0.0)),
        )
    }));
    out.push(("synthetic".to_owned(), json!(s.synthetic)));
    out
}

fn geojson(found: &[Site]) -> Value {
    let features: Vec<Value> = found
        .iter()
        .map(|s| {
            let props: serde_json::Map<String, Value> = columns(s).into_iter().collect();
            json!({"type": "Feature", "id": s.rank, "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]}, "properties": props})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

fn csv(found: &[Site]) -> String {
    let cell = |v: &Value| {
        let t = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        if t.contains([',', '"', '\n']) {
            format!("\"{}\"", t.replace('"', "\"\""))
        } else {
            t
        }
    };
    let mut out = String::new();
    let header: Vec<String> = ["lon".to_owned(), "lat".to_owned()]
        .into_iter()
        .chain(found.first().map_or_else(
            || {
                columns(&empty_site())
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>()
            },
            |s| columns(s).into_iter().map(|(k, _)| k).collect(),
        ))
        .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for s in found {
        let mut cells = vec![s.lon.to_string(), s.lat.to_string()];
        cells.extend(columns(s).iter().map(|(_, v)| cell(v)));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

fn empty_site() -> Site {
    Site {
        rank: 0,
        kind: "",
        layer: String::new(),
        id: 0,
        label: String::new(),
        commune: String::new(),
        lon: 0.0,
        lat: 0.0,
        score: 0.0,
        components: Default::default(),
        synthetic: false,
    }
}

/// The sites as a GeoPackage (layer `sites`, EPSG:4326), written by GDAL in memory.
fn gpkg(found: &[Site]) -> Result<Vec<u8>, String> {
    use gdal::vector::{
        Feature, FieldValue, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
    };
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = format!(
        "/vsimem/bourg-sites/{}.gpkg",
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let msg = |e: gdal::errors::GdalError| crate::gdal_message(&e);
    {
        let driver = gdal::DriverManager::get_driver_by_name("GPKG").map_err(msg)?;
        let mut ds = driver.create_vector_only(&path).map_err(msg)?;
        let srs = crate::crs::wgs84().map_err(msg)?;
        let layer = ds
            .create_layer(LayerOptions {
                name: "sites",
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbPoint,
                options: None,
            })
            .map_err(msg)?;
        let template = columns(&empty_site());
        let defs: Vec<(&str, OGRFieldType::Type)> = template
            .iter()
            .map(|(k, v)| {
                let ty = match (k.as_str(), v) {
                    ("rank" | "id", _) => OGRFieldType::OFTInteger64,
                    ("synthetic", _) => OGRFieldType::OFTInteger,
                    (_, Value::Number(_)) => OGRFieldType::OFTReal,
                    _ => OGRFieldType::OFTString,
                };
                (k.as_str(), ty)
            })
            .collect();
        layer.create_defn_fields(&defs).map_err(msg)?;
        for s in found {
            let mut feature = Feature::new(layer.defn()).map_err(msg)?;
            for (i, (_, v)) in columns(s).iter().enumerate() {
                let value = match (defs[i].1, v) {
                    (OGRFieldType::OFTInteger64, v) => {
                        FieldValue::Integer64Value(v.as_i64().unwrap_or_default())
                    }
                    (OGRFieldType::OFTInteger, Value::Bool(b)) => {
                        FieldValue::IntegerValue(i32::from(*b))
                    }
                    (OGRFieldType::OFTReal, v) => {
                        FieldValue::RealValue(v.as_f64().unwrap_or_default())
                    }
                    (_, v) => FieldValue::StringValue(v.as_str().unwrap_or_default().to_owned()),
                };
                feature.set_field(i, &value).map_err(msg)?;
            }
            let mut point = Geometry::empty(OGRwkbGeometryType::wkbPoint).map_err(msg)?;
            point.add_point_2d((s.lon, s.lat));
            feature.set_geometry(point).map_err(msg)?;
            feature.create(&layer).map_err(msg)?;
        }
    }
    let bytes = gdal::vsi::get_vsi_mem_file_bytes_owned(&path).map_err(msg)?;
    Ok(bytes)
}

/// The buffer of a sites tile, in tile units.
const BUFFER: u32 = 64;

/// The most sites in one tile: the best ranked of those in it.
pub const MAX_SITES_PER_TILE: usize = 5_000;

/// `GET /api/sites/tiles/{z}/{x}/{y}.mvt`: the ranked sites (same parameters as `/api/sites`,
/// every candidate) as a vector tile layer `sites`, with rank, kind, label, score and components;
/// at most [`MAX_SITES_PER_TILE`] per tile, the best ranked.
async fn get_sites_tile(
    State(state): State<AppState>,
    path: Result<
        axum::extract::Path<(String, String, String)>,
        axum::extract::rejection::PathRejection,
    >,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let axum::extract::Path((z, x, y_ext)) = path?;
    let y = y_ext
        .strip_suffix(".mvt")
        .ok_or_else(|| AppError::BadRequest(format!("tile {y_ext:?} must end in .mvt")))?;
    let tile = crate::tile::TileCoord::parse(&z, &x, y)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let catalog = state.catalog();
    let (q, _) = parse(&catalog, query.as_deref(), true)?;
    let bytes = state
        .clone()
        .blocking(move || {
            let found = state.analysis.sites(&catalog, &q);
            // Only the sites in the tile (and its buffer), the best ranked first, at most
            // MAX_SITES_PER_TILE of them: a low zoom over France stays a bounded tile.
            let area = tile.bbox_wgs84(f64::from(BUFFER), crate::config::EXTENT);
            let points = found
                .iter()
                .filter(|s| area.contains(geo::Coord { x: s.lon, y: s.lat }))
                .take(MAX_SITES_PER_TILE)
                .map(|s| {
                    let mut props: Vec<(&str, crate::layer::Value)> = vec![
                        ("rank", crate::layer::Value::Int(s.rank as i64)),
                        ("kind", crate::layer::Value::String(s.kind.into())),
                        (
                            "label",
                            crate::layer::Value::String(s.label.as_str().into()),
                        ),
                        (
                            "commune",
                            crate::layer::Value::String(s.commune.as_str().into()),
                        ),
                        ("score", crate::layer::Value::Float(s.score)),
                        ("synthetic", crate::layer::Value::Bool(s.synthetic)),
                    ];
                    for (name, v) in &s.components {
                        props.push((name, crate::layer::Value::Float(*v)));
                    }
                    (s.rank as u64, geo::Coord { x: s.lon, y: s.lat }, props)
                });
            crate::tile::render_points("sites", tile, BUFFER, points)
        })
        .await?;
    if bytes.is_empty() {
        return Ok(axum::http::StatusCode::NO_CONTENT.into_response());
    }
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::api::MVT_TYPE),
    );
    Ok(r)
}
