//! The routes of *qualification du parc* (see [`crate::qualif`] and the README's contract):
//!
//! - `POST /api/campaigns`, `GET /api/campaigns`, `GET|PATCH /api/campaigns/{id}`;
//! - `GET /api/campaigns/{id}/residences?f=json|csv|xlsx|gpkg&filter=desaccord|a_noter|mon_org`;
//! - `GET /api/campaigns/{id}/residences/{rid}` (with the revision history);
//! - `PUT /api/campaigns/{id}/ratings/{rid}` (`If-Match` or `revision` for an update);
//! - `GET /api/campaigns/{id}/tiles/{z}/{x}/{y}.mvt`;
//! - sessions and the admin's organisations and members ([`auth`]).

mod auth;
mod export;
mod view;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::json;

use crate::error::AppError;
use crate::qualif::campaigns::{self, CampaignPatch, NewCampaign};
use crate::qualif::ratings::{self, Expect, RatingInput};
use crate::qualif::rights::{self, Caller};
use crate::qualif::QualifError;
use crate::AppState;
use auth::database;
pub use auth::Auth;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/campaigns", get(list).post(create))
        .route("/api/campaigns/{id}", get(one).patch(patch))
        .route("/api/campaigns/{id}/residences", get(residences))
        .route("/api/campaigns/{id}/residences/{rid}", get(residence))
        .route("/api/campaigns/{id}/ratings/{rid}", put(rate))
        .route("/api/campaigns/{id}/tiles/{z}/{x}/{y}", get(tile))
        .merge(auth::routes())
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn body<T>(b: JsonBody<T>) -> Result<T, AppError> {
    b.map(|Json(v)| v)
        .map_err(|e| AppError::BadRequest(e.body_text()))
}

fn campaign_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::NotFound(format!("no campaign {raw:?}")))
}

/// `POST /api/campaigns`: the admin, or a member whose organisation pilots it.
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    new: JsonBody<NewCampaign>,
) -> Result<Response, AppError> {
    let caller = auth.signed_in()?;
    let new = body(new)?;
    let db = database(&state)?;
    let catalog = state.catalog();
    let territory = campaigns::resolve(&catalog, &new.territory.stored())?;
    let pilot = caller.member().map(|m| m.org.clone());
    let c2 = caller.clone();
    let campaign = db
        .run(move |c| -> Result<_, QualifError> {
            let id = campaigns::add(c, &new, &territory, pilot.as_ref())?;
            campaigns::get(c, id)
        })
        .await?;
    let id = campaign.id;
    let you = rights::view(&c2, &campaign);
    let mut r = (
        StatusCode::CREATED,
        Json(view::campaign_json(&campaign, &you, None)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/campaigns/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// `GET /api/campaigns`: those the caller may see, newest first.
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, AppError> {
    let db = database(&state)?;
    let all = db.run(campaigns::list).await?;
    let shown: Vec<serde_json::Value> = all
        .iter()
        .filter_map(|c| {
            let you = rights::view(&auth.0, c);
            you.visible.then(|| view::campaign_json(c, &you, None))
        })
        .collect();
    Ok(Json(json!({ "campaigns": shown })))
}

/// `GET /api/campaigns/{id}`: with its progress.
async fn one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let g = view::gather(&state, &auth.0, campaign_id(&id)?).await?;
    let progress = {
        let state2 = state.clone();
        state
            .blocking(move || -> Result<_, QualifError> {
                let rows = g.rows(&state2)?;
                Ok((view::progress(&g, &rows), g))
            })
            .await??
    };
    let (progress, g) = progress;
    Ok(Json(view::campaign_json(
        &g.campaign,
        &g.you,
        Some(&progress),
    )))
}

/// `PATCH /api/campaigns/{id}`: the pilot or the admin.
async fn patch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    change: JsonBody<CampaignPatch>,
) -> Result<Json<serde_json::Value>, AppError> {
    let caller = auth.signed_in()?;
    let id = campaign_id(&id)?;
    let change = body(change)?;
    let db = database(&state)?;
    let c2 = caller.clone();
    let campaign = db
        .run(move |c| -> Result<_, QualifError> {
            let current = campaigns::get(c, id)?;
            let you = rights::view(&c2, &current);
            if !you.visible {
                return Err(view::hidden(&c2, &current));
            }
            if !you.can_manage {
                return Err(QualifError::Forbidden(
                    "only the pilot organisation or the admin manage this campaign".into(),
                ));
            }
            campaigns::update(c, id, &change)
        })
        .await?;
    let you = rights::view(&caller, &campaign);
    Ok(Json(view::campaign_json(&campaign, &you, None)))
}

/// The output formats of the residences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Xlsx,
    Gpkg,
}

fn residences_query(query: Option<&str>) -> Result<(Format, Option<view::Filter>), AppError> {
    let mut format = Format::Json;
    let mut filter = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*k {
            "f" => {
                format = match &*v {
                    "json" => Format::Json,
                    "csv" => Format::Csv,
                    "xlsx" => Format::Xlsx,
                    "gpkg" => Format::Gpkg,
                    other => {
                        return Err(AppError::BadRequest(format!(
                            "f={other}: use json, csv, xlsx or gpkg"
                        )))
                    }
                }
            }
            "filter" => {
                filter = match &*v {
                    "" => None,
                    other => Some(view::Filter::parse(other).ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "filter={other}: use desaccord, a_noter or mon_org"
                        ))
                    })?),
                }
            }
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown parameter {other:?}: use f and filter"
                )))
            }
        }
    }
    Ok((format, filter))
}

/// `GET /api/campaigns/{id}/residences`.
async fn residences(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (format, filter) = residences_query(query.as_deref())?;
    let g = view::gather(&state, &auth.0, campaign_id(&id)?).await?;
    let state2 = state.clone();
    let out = state
        .blocking(move || -> Result<Response, AppError> {
            let catalog = state2.catalog();
            let rows: Vec<view::Row> = g
                .rows(&state2)?
                .into_iter()
                .filter(|r| filter.is_none_or(|f| f.keeps(r, g.org.is_some())))
                .collect();
            let name = format!("qualification-{}", g.campaign.id);
            Ok(match format {
                Format::Json => Json(json!({
                    "campaign": view::campaign_json(&g.campaign, &g.you, None),
                    "criteria": g.campaign.criteria,
                    "scale": crate::qualif::SCALE,
                    "residences": rows,
                }))
                .into_response(),
                Format::Csv => crate::api::attachment(
                    crate::export::csv(&export::table(&g, &rows)),
                    "text/csv; charset=utf-8",
                    &format!("{name}.csv"),
                ),
                Format::Xlsx => crate::api::attachment(
                    export::xlsx(&catalog, &g, &rows)
                        .map_err(|e| AppError::Internal(Box::new(e)))?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    &format!("{name}.xlsx"),
                ),
                Format::Gpkg => crate::api::attachment(
                    crate::export::gpkg(&export::table(&g, &rows))
                        .map_err(|e| AppError::Internal(e.into()))?,
                    "application/geopackage+sqlite3",
                    &format!("{name}.gpkg"),
                ),
            })
        })
        .await??;
    Ok(out)
}

/// `GET /api/campaigns/{id}/residences/{rid}`: one residence, with the history of the ratings
/// the caller may see.
async fn residence(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, rid)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, AppError> {
    let id = campaign_id(&id)?;
    let g = view::gather(&state, &auth.0, id).await?;
    let rows = g.rows(&state)?;
    let row = rows
        .into_iter()
        .find(|r| r.id == rid)
        .ok_or_else(|| AppError::NotFound(format!("no residence {rid:?} in campaign {id}")))?;
    let org = if g.you.sees_ratings {
        None
    } else {
        match auth.0.member() {
            Some(m) => Some(m.org.id),
            None => Some(-1),
        }
    };
    let rid2 = rid.clone();
    let history = database(&state)?
        .run(move |c| ratings::history(c, id, &rid2, org))
        .await?;
    let mut v = serde_json::to_value(&row).map_err(|e| AppError::Internal(Box::new(e)))?;
    v["history"] = serde_json::to_value(history).map_err(|e| AppError::Internal(Box::new(e)))?;
    v["criteria"] = serde_json::to_value(&g.campaign.criteria).unwrap_or_default();
    v["you"] = serde_json::to_value(g.you).unwrap_or_default();
    Ok(Json(v))
}

fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    let inner = text.trim_start_matches("W/").trim_matches('"');
    inner.parse::<i64>().map(Some).map_err(|_| {
        AppError::BadRequest(format!(
            "If-Match {text:?}: send the revision you read, e.g. If-Match: \"3\""
        ))
    })
}

/// `PUT /api/campaigns/{id}/ratings/{rid}`: a partner member, while the campaign is open.
async fn rate(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, rid)): Path<(String, String)>,
    headers: HeaderMap,
    input: JsonBody<RatingInput>,
) -> Result<Response, AppError> {
    let caller = auth.signed_in()?;
    let id = campaign_id(&id)?;
    let input = body(input)?;
    let expect = match (if_match(&headers)?, input.revision) {
        (Some(r), _) => Expect::IfMatch(r),
        (None, Some(r)) => Expect::Body(r),
        (None, None) => Expect::New,
    };
    let db = database(&state)?;
    let c2 = caller.clone();
    let campaign = db.run(move |c| campaigns::get(c, id)).await?;
    let you = rights::view(&c2, &campaign);
    if !you.visible {
        return Err(view::hidden(&c2, &campaign).into());
    }
    let Caller::Member(member) = caller else {
        return Err(AppError::Forbidden(
            "the admin token belongs to no organisation: rate with a member's token".into(),
        ));
    };
    if !you.partner {
        return Err(AppError::Forbidden(format!(
            "{} is not a partner of this campaign",
            member.org.name
        )));
    }
    if !you.can_rate {
        return Err(AppError::Forbidden(format!(
            "the campaign is {}: ratings are written while it is open",
            campaign.status.code()
        )));
    }
    let scores = ratings::check_scores(&campaign, &input.scores)?;
    let known = state
        .analysis
        .residences(&state.catalog(), &campaign.territory)?
        .iter()
        .any(|r| r.id == rid);
    if !known {
        return Err(AppError::NotFound(format!(
            "no residence {rid:?} in the territory of campaign {id}"
        )));
    }
    let comment = input.comment.unwrap_or_default();
    let written = db
        .run(move |c| ratings::put(c, id, &rid, &member, &scores, &comment, expect))
        .await?;
    let status = if written.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut r = (status, Json(&written)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", written.revision)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// `GET /api/campaigns/{id}/tiles/{z}/{x}/{y}.mvt`: the residences as points of a layer
/// `residences` with their progress and, for who may see it, their consolidation.
async fn tile(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, z, x, y_ext)): Path<(String, String, String, String)>,
) -> Result<Response, AppError> {
    let y = y_ext
        .strip_suffix(".mvt")
        .ok_or_else(|| AppError::BadRequest(format!("tile {y_ext:?} must end in .mvt")))?;
    let tile = crate::tile::TileCoord::parse(&z, &x, y)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let g = view::gather(&state, &auth.0, campaign_id(&id)?).await?;
    let state2 = state.clone();
    let bytes = state
        .blocking(move || -> Result<Vec<u8>, AppError> {
            let rows = g.rows(&state2)?;
            Ok(view::tile(&rows, tile))
        })
        .await??;
    let mut r = crate::api::computed_tile(bytes);
    // Ratings change at any time, and the tile depends on who asks.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    r.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization"),
    );
    Ok(r)
}
