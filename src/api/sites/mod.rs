//! `GET /api/sites`: ranked recycling-site candidates, as JSON, or every match as CSV, XLSX,
//! GeoJSON or a GeoPackage (see [`export`]); `GET /api/sites/{layer}/{id}`: one site's sheet
//! (see [`sheet`]); `GET /api/sites/tiles/{z}/{x}/{y}.mvt`: the ranked sites as a tile layer.
//!
//! Parameters: `territory` (commune, EPCI, département or perimeter codes, comma-separated: the
//! union of their communes; default the programme communes and their surroundings), `bbox`,
//! `kind=friche,vacance,residence` (default all), `programme=acv,pvd,ort` (only sites in
//! communes of those programmes), `weights=vacancy:0.4,…`, `fragility_min` (residences, default
//! 50), `limit`, `f=json|csv|xlsx|geojson|gpkg`. The JSON returns `limit` sites (default 50, at
//! most 1,000) and says how many `matched`; a download holds every match (or the first `limit`
//! when given), up to [`MAX_EXPORT`].

mod export;
mod sheet;

use std::collections::BTreeSet;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::analysis::sites::{self, Programme, Weights};
use crate::bbox::BboxWgs84;
use crate::catalog::Catalog;
use crate::error::AppError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sites", get(list_sites))
        .route("/api/sites/tiles/{z}/{x}/{y}", get(get_sites_tile))
        .route("/api/sites/{layer}/{id}", get(sheet::get_site))
}

/// The most sites in a JSON page.
const MAX_LIMIT: usize = 1000;

/// The most sites in one download.
pub const MAX_EXPORT: usize = 100_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Json,
    Csv,
    Xlsx,
    GeoJson,
    Gpkg,
}

/// The territories of a comma-separated list of codes, as one territory (the union of their
/// communes).
///
/// # Errors
/// A 400 naming every code that is no territory, or an empty list.
fn territories(
    catalog: &Catalog,
    key: &str,
    list: &str,
) -> Result<crate::analysis::Territory, AppError> {
    let codes: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() {
        return Err(AppError::BadRequest(format!(
            "{key} is empty: give commune, EPCI, département or perimeter codes, comma-separated"
        )));
    }
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for code in codes {
        match crate::analysis::resolve(catalog, code) {
            Some(t) => found.push(t),
            None => unknown.push(format!("{code:?}")),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::BadRequest(format!(
            "{key}: no territory {} (give commune INSEE codes, EPCI SIRENs, département codes or perimeter ids, comma-separated)",
            unknown.join(", ")
        )));
    }
    sites::union(catalog, found)
        .ok_or_else(|| AppError::BadRequest(format!("{key}: no communes layer to resolve it")))
}

/// A comma-separated list of names, each one of `known`, as a set.
///
/// # Errors
/// A 400 naming the unknown names, or an empty list.
fn one_of<T: Ord + Copy>(
    key: &str,
    list: &str,
    known: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<BTreeSet<T>, AppError> {
    let names: Vec<&'static str> = known.iter().map(|k| name(*k)).collect();
    let mut set = BTreeSet::new();
    let mut unknown = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match known.iter().find(|k| name(**k) == part) {
            Some(k) => {
                set.insert(*k);
            }
            None => unknown.push(format!("{part:?}")),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::BadRequest(format!(
            "{key} {} is not one of {}",
            unknown.join(", "),
            names.join(", ")
        )));
    }
    if set.is_empty() {
        return Err(AppError::BadRequest(format!(
            "{key} is empty: give some of {}",
            names.join(", ")
        )));
    }
    Ok(set)
}

/// Parses the query of `/api/sites` (its tiles take neither `f` nor `limit`): the query, the
/// output, and the `limit` if one was given.
fn parse(
    catalog: &Catalog,
    query: Option<&str>,
    tiles: bool,
) -> Result<(sites::Query, Output, Option<usize>), AppError> {
    let bad = AppError::BadRequest;
    let mut q = sites::Query::new();
    let mut output = Output::Json;
    let mut limit = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "territory" | "perimeter" => q.territory = Some(territories(catalog, &k, &v)?),
            "bbox" => q.bbox = Some(BboxWgs84::parse(&v).map_err(|e| bad(e.to_string()))?),
            "weights" => q.weights = Weights::parse(&v).map_err(bad)?,
            "kind" => q.kinds = Some(one_of("kind", &v, &sites::KINDS, |k| k)?),
            "programme" => {
                let lower = v.to_ascii_lowercase();
                q.programmes = Some(one_of("programme", &lower, &Programme::ALL, Programme::code)?);
            }
            "fragility_min" => {
                q.fragility_min = v.parse().ok().filter(|f: &f64| (0.0..=100.0).contains(f)).ok_or_else(|| bad(format!("fragility_min {v:?} is not in 0..=100")))?;
            }
            "limit" | "f" if tiles => return Err(bad(format!("{k} does not apply to tiles"))),
            "limit" => {
                limit = Some(v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| bad(format!("limit {v:?} is not a whole number from 1")))?);
            }
            "f" => {
                output = match v.as_ref() {
                    "json" => Output::Json,
                    "csv" => Output::Csv,
                    "xlsx" => Output::Xlsx,
                    "geojson" => Output::GeoJson,
                    "gpkg" => Output::Gpkg,
                    other => return Err(bad(format!("f={other:?} is not json, csv, xlsx, geojson or gpkg"))),
                }
            }
            other => return Err(bad(format!("unknown query parameter {other:?} (territory, bbox, kind, programme, weights, fragility_min, limit, f)"))),
        }
    }
    let most = if output == Output::Json {
        MAX_LIMIT
    } else {
        MAX_EXPORT
    };
    if let Some(n) = limit.filter(|n| *n > most) {
        let what = if output == Output::Json {
            "a JSON page"
        } else {
            "a download"
        };
        return Err(bad(format!(
            "limit {n} is not in 1..={most} ({what} holds at most {most} sites)"
        )));
    }
    q.limit = limit.unwrap_or(q.limit);
    Ok((q, output, limit))
}

async fn list_sites(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let catalog = state.catalog();
    let (q, output, limit) = parse(&catalog, query.as_deref(), false)?;
    state.clone().blocking(move || {
        let all = state.analysis.sites(&catalog, &q);
        let matched = all.len();
        if output == Output::Json {
            let found = &all[..q.limit.min(matched)];
            return Ok(Json(json!({"weights": q.weights, "matched": matched, "count": found.len(), "export_max": MAX_EXPORT, "sites": found})).into_response());
        }
        // A download holds every match, or the first `limit` when given.
        let n = match limit {
            Some(n) => n.min(matched),
            None if matched > MAX_EXPORT => {
                return Err(AppError::BadRequest(format!(
                    "{matched} sites match, more than the {MAX_EXPORT} a download may hold: narrow the search (territory, bbox, kind, programme) or give a limit"
                )))
            }
            None => matched,
        };
        let found = &all[..n];
        let internal = |e: String| AppError::Internal(e.into());
        Ok(match output {
            Output::Json | Output::GeoJson => crate::api::attachment(
                export::geojson(found).map_err(|e| AppError::Internal(e.into()))?,
                "application/geo+json",
                "sites.geojson",
            ),
            Output::Csv => crate::api::attachment(export::csv(found), "text/csv; charset=utf-8", "sites.csv"),
            Output::Xlsx => {
                let method = export::Method {
                    weights: q.weights,
                    query: query.as_deref().unwrap_or(""),
                    matched,
                };
                crate::api::attachment(
                    export::xlsx(&catalog, found, &method).map_err(|e| internal(e.to_string()))?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "sites.xlsx",
                )
            }
            Output::Gpkg => crate::api::attachment(
                export::gpkg(found).map_err(internal)?,
                "application/geopackage+sqlite3",
                "sites.gpkg",
            ),
        })
    })
    .await?
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
    let (q, _, _) = parse(&catalog, query.as_deref(), true)?;
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
                        (
                            "commune_name",
                            s.commune_name
                                .clone()
                                .map_or(crate::layer::Value::Null, crate::layer::Value::String),
                        ),
                        ("score", crate::layer::Value::Float(s.score)),
                        ("synthetic", crate::layer::Value::Bool(s.synthetic)),
                        // What opens the site's sheet (/api/sites/{layer}/{id}).
                        (
                            "layer",
                            crate::layer::Value::String(s.layer.as_str().into()),
                        ),
                        ("id", crate::layer::Value::Int(i64::from(s.id))),
                    ];
                    for (name, v) in s.components.iter() {
                        props.push((name, crate::layer::Value::Float(v)));
                    }
                    (s.rank as u64, geo::Coord { x: s.lon, y: s.lat }, props)
                });
            crate::tile::render_points("sites", tile, BUFFER, points)
        })
        .await?;
    Ok(crate::api::computed_tile(bytes))
}
