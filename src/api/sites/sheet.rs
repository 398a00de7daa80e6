//! `GET /api/sites/{layer}/{id}`: one site's sheet — its score, components, points, a French
//! reason per component, every property of the feature, its source — with its rank among the
//! default candidates (the programme communes and surroundings). Parameters `weights` and
//! `fragility_min` as for the list; `404` for an unknown layer or feature, or a layer that holds
//! no candidate sites.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::analysis::sites::{self, Weights};
use crate::error::AppError;
use crate::AppState;

pub(super) async fn get_site(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let Path((layer_id, id)) = path?;
    let bad = AppError::BadRequest;
    let mut q = sites::Query::new();
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "weights" => q.weights = Weights::parse(&v).map_err(bad)?,
            "fragility_min" => {
                q.fragility_min = v
                    .parse()
                    .ok()
                    .filter(|f: &f64| (0.0..=100.0).contains(f))
                    .ok_or_else(|| bad(format!("fragility_min {v:?} is not in 0..=100")))?;
            }
            other => {
                return Err(bad(format!(
                    "unknown query parameter {other:?} (weights, fragility_min)"
                )))
            }
        }
    }
    let catalog = state.catalog();
    let layer = catalog
        .get(&layer_id)
        .ok_or_else(|| AppError::NotFound(format!("no layer {layer_id:?}")))?;
    if sites::context::kind_of(&catalog, layer).is_none() {
        return Err(AppError::NotFound(format!(
            "layer {layer_id:?} holds no recycling sites (brownfields, vacancy buildings, residences)"
        )));
    }
    let id: u32 = id
        .parse()
        .ok()
        .filter(|i| (*i as usize) < layer.len())
        .ok_or_else(|| AppError::NotFound(format!("no site {id:?} in layer {layer_id:?}")))?;
    state
        .clone()
        .blocking(move || {
            let ranked = state.analysis.sites(&catalog, &q);
            let rank = ranked
                .iter()
                .find(|s| s.layer == layer_id && s.id == id)
                .map(|s| s.rank);
            sites::sheet::sheet(&catalog, &layer_id, id, &q.weights, rank)
                .map(|s| Json(s).into_response())
                .ok_or_else(|| {
                    AppError::NotFound(format!("site {id} of layer {layer_id:?} has no position"))
                })
        })
        .await?
}
