//! What every request goes through: the length of its query, a deadline, errors always in JSON,
//! and the security headers of every answer.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::AppState;

/// Refuses a query string longer than [`crate::Settings::max_query_bytes`] (414), and answers
/// 503 when the request takes longer than [`crate::Settings::request_timeout`].
pub(crate) async fn bounded(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let settings = &state.settings;
    if let Some(query) = request.uri().query() {
        if query.len() > settings.max_query_bytes {
            return AppError::UriTooLong(format!(
                "the query string has {} bytes, more than the {} this server accepts",
                query.len(),
                settings.max_query_bytes
            ))
            .into_response();
        }
    }
    let timeout = settings.request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Unavailable {
            message: format!(
                "the request took longer than {} s: narrow it (a smaller bbox or page) or try again later",
                timeout.as_secs_f64()
            ),
            retry_after_s: 5,
        }
        .into_response(),
    }
}

/// Turns the error answers that do not come from [`AppError`] (axum's extractor rejections,
/// the body limit, the static file service) into the same JSON body.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Rejection texts are short; anything else is replaced by the status's reason.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && !t.contains('<'));
    let description =
        text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(description),
        StatusCode::NOT_FOUND => AppError::NotFound(description),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed(description),
        StatusCode::URI_TOO_LONG => AppError::UriTooLong(description),
        s if s.is_server_error() => AppError::Internal(description.into()),
        _ => AppError::BadRequest(description),
    };
    let mut json = error.into_response();
    *json.status_mut() = status;
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = parts.headers.get(&name) {
            json.headers_mut().insert(name, v.clone());
        }
    }
    json
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"))
}

/// The page's own scripts and styles (MapLibre's inline styles and blob workers included), the
/// base maps' tiles (OpenStreetMap, IGN's Géoplateforme), and nothing else.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self'; \
     style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob: https://tile.openstreetmap.org https://data.geopf.fr; \
     connect-src 'self' https://tile.openstreetmap.org https://data.geopf.fr; \
     worker-src 'self' blob:; child-src 'self' blob:; \
     font-src 'self' data:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'self'";

/// The headers every answer carries (unless its handler set them).
/// `archive_origins`: the origins the map reads archive layers from (a CDN), which the page may
/// connect to besides the base maps'.
pub(crate) fn security_headers(archive_origins: &[String]) -> [(HeaderName, HeaderValue); 3] {
    let mut csp = CONTENT_SECURITY_POLICY.to_owned();
    if !archive_origins.is_empty() {
        let extra = format!("connect-src 'self' {}", archive_origins.join(" "));
        csp = csp.replacen("connect-src 'self'", &extra, 1);
    }
    [
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ]
}
