//! `GET /api/territories/{code}` (commune INSEE code, EPCI SIREN, département, perimeter id) and
//! `POST /api/territories/stats` (a polygon: GeoJSON, zipped Shapefile or GeoPackage, any CRS):
//! indicators with their sources, compared with the département and with France (the national
//! reference, [`analysis::Reference`]; `null` where it has no value).

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::analysis::{self, upload, Territory};
use crate::catalog::Catalog;
use crate::error::AppError;
use crate::AppState;

/// The routes; uploads to `stats` are capped at `uploads.max_bytes`.
pub fn routes(uploads: &upload::UploadLimits) -> Router<AppState> {
    Router::new()
        .route("/api/territories/{code}", get(get_territory))
        .route(
            "/api/territories/stats",
            post(post_stats).layer(DefaultBodyLimit::max(uploads.max_bytes)),
        )
}

/// An upload's refusal as HTTP: 413 over a cap, 400 otherwise.
fn upload_error(e: upload::UploadError) -> AppError {
    match e {
        upload::UploadError::TooLarge(m) => AppError::PayloadTooLarge(m),
        other => AppError::BadRequest(other.to_string()),
    }
}

/// The indicators of a territory beside those of its département and of France.
fn report(state: &AppState, catalog: &Catalog, t: &Territory) -> Value {
    let dep = t.departement().and_then(|d| analysis::resolve(catalog, &d));
    let dep_indicators = dep.as_ref().map(|d| state.analysis.departement(catalog, d));
    let dep_values: std::collections::HashMap<&str, &Value> = dep_indicators
        .iter()
        .flat_map(|list| list.iter().map(|i| (i.id.as_ref(), &i.value)))
        .collect();
    let france = catalog.reference.as_deref();
    let indicators: Vec<Value> = analysis::compute(catalog, t)
        .into_iter()
        .map(|ind| {
            json!({
                "id": ind.id,
                "label": ind.label,
                "unit": ind.unit,
                "value": ind.value,
                "departement": dep_values.get(ind.id.as_ref()).map_or(Value::Null, |v| (*v).clone()),
                "france": france.map_or(Value::Null, |f| f.value(&ind.id)),
                "source": ind.source,
                "method": ind.method,
                "note": ind.note,
                "france_source": france.and_then(|f| f.source(&ind.id)),
            })
        })
        .collect();
    json!({
        "territory": {"kind": t.kind, "code": t.code, "name": t.name, "communes": t.communes.len(), "whole_communes": t.whole_communes()},
        "departement": dep.map(|d| json!({"code": d.code, "name": d.name})),
        "france": france.map(|f| json!({"name": f.name, "communes": f.communes})),
        "indicators": indicators,
    })
}

async fn get_territory(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, AppError> {
    let Path(code) = path?;
    let catalog = state.catalog();
    state.clone().blocking(move || {
        let t = analysis::resolve(&catalog, &code).ok_or_else(|| {
            AppError::NotFound(format!(
                "no territory {code:?}: give a commune INSEE code, an EPCI SIREN, a département or a perimeter id"
            ))
        })?;
        Ok(Json(report(&state, &catalog, &t)))
    })
    .await?
}

async fn post_stats(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, AppError> {
    let limits = state.settings.uploads;
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            upload_error(limits.body_too_large())
        } else {
            AppError::BadRequest(format!(
                "the request body cannot be read: {}",
                e.body_text()
            ))
        }
    })?;
    let mut crs = None;
    let mut name = "Périmètre envoyé".to_owned();
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "crs" => {
                let parsed = crate::ogc::crs::OgcCrs::parse(&v)
                    .map_err(|e| AppError::BadRequest(format!("crs: {e}")))?;
                crs = Some(match parsed {
                    crate::ogc::crs::OgcCrs::Epsg2154 => "EPSG:2154",
                    _ => "EPSG:4326",
                });
            }
            "name" => name = v.chars().take(200).collect(),
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown query parameter {other:?} (use crs and name)"
                )))
            }
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = upload::Format::of(content_type).map_err(upload_error)?;
    if body.is_empty() {
        return Err(AppError::BadRequest(
            "the request body is empty: send the perimeter".into(),
        ));
    }
    let catalog = state.catalog();
    state
        .clone()
        .blocking(move || {
            let polygon =
                upload::read(Vec::from(body), format, crs, &limits).map_err(upload_error)?;
            let t = analysis::from_polygon(&catalog, polygon, &name);
            Ok(Json(report(&state, &catalog, &t)))
        })
        .await?
}
