//! The one mapping from errors to HTTP responses.
//!
//! Every error body is JSON `{"code", "description"}`. Client errors say what is wrong; a server
//! error logs its whole cause chain and tells the client nothing internal.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: 400.
    #[error("{0}")]
    BadRequest(String),
    /// The resource does not exist: 404.
    #[error("{0}")]
    NotFound(String),
    /// The request body is too large: 413.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The method is not allowed on this path: 405.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The query string is too long: 414.
    #[error("{0}")]
    UriTooLong(String),
    /// No or a wrong bearer token on an admin route: 401, with `WWW-Authenticate`.
    #[error("{0}")]
    Unauthorized(String),
    /// The server is saturated or the request took too long: 503, with `Retry-After`.
    #[error("{message}")]
    Unavailable {
        /// What happened.
        message: String,
        /// Seconds after which to try again.
        retry_after_s: u64,
    },
    /// Signed in, but not allowed: 403.
    #[error("{0}")]
    Forbidden(String),
    /// The write was made against a state that changed (a stale revision in the body, or none
    /// for something that exists): 409.
    #[error("{0}")]
    Conflict(String),
    /// A reload failed (admin routes only, so the cause may be shown): 409.
    #[error("{0}")]
    ReloadFailed(String),
    /// A conditional request (`If-Unmodified-Since`) of a web file does not hold: 412.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The `Range` of a web file request lies outside it: 416.
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// Anything else: 500, logged, not shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    description: String,
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "InvalidParameterValue"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
            AppError::UriTooLong(_) => (StatusCode::URI_TOO_LONG, "URITooLong"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            AppError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "Forbidden"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            AppError::ReloadFailed(_) => (StatusCode::CONFLICT, "ReloadFailed"),
            AppError::PreconditionFailed(_) => {
                (StatusCode::PRECONDITION_FAILED, "PreconditionFailed")
            }
            AppError::RangeNotSatisfiable(_) => {
                (StatusCode::RANGE_NOT_SATISFIABLE, "RangeNotSatisfiable")
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "ServerError"),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        AppError::BadRequest(format!("bad path: {}", r.body_text()))
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest(format!("bad query: {}", r.body_text()))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(Box::new(e))
    }
}

impl From<crate::state::WorkError> for AppError {
    fn from(e: crate::state::WorkError) -> Self {
        match e {
            crate::state::WorkError::Saturated { retry_after_s } => AppError::Unavailable {
                message: e.to_string(),
                retry_after_s,
            },
            crate::state::WorkError::Failed(e) => AppError::Internal(Box::new(e)),
        }
    }
}

impl From<crate::qualif::QualifError> for AppError {
    fn from(e: crate::qualif::QualifError) -> Self {
        use crate::qualif::QualifError as Q;
        match e {
            Q::Invalid(m) => AppError::BadRequest(m),
            Q::NotFound(m) => AppError::NotFound(m),
            Q::Unauthenticated(m) => AppError::Unauthorized(m),
            Q::Forbidden(m) => AppError::Forbidden(m),
            Q::Conflict {
                message,
                precondition: true,
                ..
            } => AppError::PreconditionFailed(message),
            Q::Conflict { message, .. } => AppError::Conflict(message),
            Q::Db(e) => AppError::Internal(Box::new(e)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let description = match &self {
            AppError::Internal(_) => {
                tracing::error!(error = %crate::error_chain(&self), "request failed");
                "the server could not complete the request".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = (status, Json(ErrorBody { code, description })).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::Unavailable { retry_after_s, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
            }
            AppError::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"bourg\""),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn internal_error_leaks_nothing() {
        let cause = std::io::Error::other("/secret/path/rpls.csv: permission denied");
        let (status, body) = body_of(AppError::Internal(Box::new(cause))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "ServerError");
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[tokio::test]
    async fn client_errors_say_what_is_wrong() {
        let (status, body) = body_of(AppError::BadRequest("z 30 is above 24".into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["description"], "z 30 is above 24");
        let (status, _) = body_of(AppError::NotFound("no layer".into())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_busy_server_says_when_to_come_back() {
        let response = AppError::Unavailable {
            message: "busy".into(),
            retry_after_s: 7,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        let response = AppError::Unauthorized("no token".into()).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }
}
