//! Who is asking: `Authorization: Bearer <token>` (a member's personal token, or the admin
//! token), or the session cookie the UI got from `POST /api/session`; and the routes that open,
//! read and close sessions, and let the admin token manage organisations and members.
//!
//! The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends
//! it), `Secure` behind HTTPS (`X-Forwarded-Proto: https`), and lasts 12 hours. Writes take
//! JSON bodies and methods other than GET/HEAD, which other origins' pages cannot send without a
//! CORS preflight this server never grants.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::api::admin::bearer;
use crate::db::Database;
use crate::error::AppError;
use crate::qualif::accounts::{self, Member, SESSION_SECONDS};
use crate::qualif::rights::Caller;
use crate::qualif::{OrgKind, QualifError};
use crate::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "bourg_session";

/// The database, or a 404 saying this server keeps no ratings.
pub fn database(state: &AppState) -> Result<Database, AppError> {
    state.db.clone().ok_or_else(|| {
        AppError::NotFound(
            "this server keeps no ratings: start it with a database (--database)".into(),
        )
    })
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The caller of a request. A wrong or revoked bearer token is refused (401); an expired or
/// unknown session cookie makes an anonymous caller.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(token) = bearer(&parts.headers) {
            if state
                .settings
                .admin_token
                .as_ref()
                .is_some_and(|t| t.matches(token))
            {
                return Ok(Auth(Caller::Admin));
            }
            let db = database(state)?;
            let token = token.to_owned();
            return match db
                .run(move |c| accounts::member_by_token(c, &token))
                .await?
            {
                Some(m) => Ok(Auth(Caller::Member(m))),
                None => Err(AppError::Unauthorized(
                    "this token is not valid (unknown, revoked or mistyped)".into(),
                )),
            };
        }
        if let (Some(secret), Some(db)) = (cookie(&parts.headers), state.db.clone()) {
            if let Some(m) = db
                .run(move |c| accounts::session_member(c, &secret))
                .await?
            {
                return Ok(Auth(Caller::Member(m)));
            }
        }
        Ok(Auth(Caller::Anonymous))
    }
}

impl Auth {
    /// The caller, who must be signed in.
    ///
    /// # Errors
    /// 401 for an anonymous caller.
    pub fn signed_in(self) -> Result<Caller, AppError> {
        match self.0 {
            Caller::Anonymous => Err(AppError::Unauthorized(
                "sign in: send Authorization: Bearer <your token>".into(),
            )),
            c => Ok(c),
        }
    }
}

pub fn routes() -> Router<AppState> {
    use axum::routing::{delete, get, post};
    Router::new()
        .route(
            "/api/session",
            get(get_session).post(post_session).delete(delete_session),
        )
        .route("/api/orgs", get(list_orgs))
        .route("/admin/orgs", get(admin_orgs).post(admin_add_org))
        .route("/admin/orgs/{id}/members", post(admin_add_member))
        .route("/admin/members/{id}", delete(admin_revoke_member))
}

fn member_json(m: &Member) -> serde_json::Value {
    json!({
        "member": {"id": m.id, "name": m.name},
        "org": m.org,
        "admin": false,
    })
}

async fn get_session(auth: Auth) -> Json<serde_json::Value> {
    Json(match auth.0 {
        Caller::Member(m) => member_json(&m),
        Caller::Admin => json!({"member": null, "org": null, "admin": true}),
        Caller::Anonymous => json!({"member": null, "org": null, "admin": false}),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

fn https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn set_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("bourg_session=; Max-Age=0"))
}

async fn post_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<SignIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(SignIn { token }) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let db = database(&state)?;
    let token = token.trim().to_owned();
    let opened = db
        .run(move |c| -> Result<_, QualifError> {
            let Some(m) = accounts::member_by_token(c, &token)? else {
                return Ok(None);
            };
            let secret = accounts::open_session(c, &m)?;
            Ok(Some((m, secret)))
        })
        .await?;
    let Some((member, secret)) = opened else {
        return Err(AppError::Unauthorized(
            "this token is not valid (unknown, revoked or mistyped)".into(),
        ));
    };
    let mut r = Json(member_json(&member)).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&secret, SESSION_SECONDS, https(&headers)),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let (Some(secret), Some(db)) = (cookie(&headers), state.db.clone()) {
        db.run(move |c| accounts::close_session(c, &secret)).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0, https(&headers)));
    Ok(r)
}

async fn list_orgs(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, AppError> {
    auth.signed_in()?;
    let orgs = database(&state)?.run(accounts::orgs).await?;
    Ok(Json(json!({ "orgs": orgs })))
}

async fn admin_orgs(
    _: crate::api::admin::Admin,
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, AppError> {
    let orgs = database(&state)?.run(accounts::orgs).await?;
    Ok(Json(json!({ "orgs": orgs })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrg {
    name: String,
    kind: String,
}

async fn admin_add_org(
    _: crate::api::admin::Admin,
    State(state): State<AppState>,
    body: Result<Json<NewOrg>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(new) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let kind = OrgKind::parse(&new.kind)?;
    let org = database(&state)?
        .run(move |c| accounts::add_org(c, &new.name, kind))
        .await?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMember {
    name: String,
}

async fn admin_add_member(
    _: crate::api::admin::Admin,
    State(state): State<AppState>,
    path: Result<axum::extract::Path<i64>, axum::extract::rejection::PathRejection>,
    body: Result<Json<NewMember>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let axum::extract::Path(org) = path?;
    let Json(new) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (member, token) = database(&state)?
        .run(move |c| accounts::add_member(c, org, &new.name))
        .await?;
    let mut r = (
        StatusCode::CREATED,
        Json(
            json!({"member": member.id, "org": member.org.id, "name": member.name, "token": token}),
        ),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn admin_revoke_member(
    _: crate::api::admin::Admin,
    State(state): State<AppState>,
    path: Result<axum::extract::Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, AppError> {
    let axum::extract::Path(id) = path?;
    database(&state)?
        .run(move |c| accounts::revoke_member(c, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
