//! `GET /fonts/{fontstack}/{start}-{end}.pbf`: the SDF glyphs of a range of 256 code points for
//! a comma-separated font stack (see [`crate::glyph`]), as the style's `glyphs` URL names them;
//! `GET /fonts.json`: the fonts served.

use std::sync::{Arc, OnceLock};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::AppError;
use crate::glyph::{self, GlyphCache, GlyphError};
use crate::AppState;

/// `Content-Type` of glyph ranges.
const PBF_TYPE: &str = "application/x-protobuf";

pub fn routes() -> Router<AppState> {
    let cache = Arc::new(GlyphCache::new());
    Router::new().route("/fonts.json", get(list_fonts)).route(
        "/fonts/{fontstack}/{range}",
        get(
            move |state: State<AppState>, path: Result<Path<(String, String)>, PathRejection>| {
                get_glyphs(state, cache.clone(), path)
            },
        ),
    )
}

impl From<GlyphError> for AppError {
    fn from(e: GlyphError) -> Self {
        match e {
            GlyphError::BadRange(_) | GlyphError::EmptyStack => AppError::BadRequest(e.to_string()),
            GlyphError::UnknownFont(_) => AppError::NotFound(e.to_string()),
            GlyphError::Render { .. } => AppError::Internal(e.into()),
        }
    }
}

async fn get_glyphs(
    State(state): State<AppState>,
    cache: Arc<GlyphCache>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, AppError> {
    let Path((stack, range)) = path?;
    let range = range.strip_suffix(".pbf").ok_or_else(|| {
        AppError::BadRequest(format!(
            "the glyph range {range:?} must end in .pbf, e.g. 0-255.pbf"
        ))
    })?;
    let start = glyph::parse_range(range)?;
    let fonts = glyph::parse_stack(&stack)?;
    let pbf = state.blocking(move || cache.pbf(&fonts, start)).await??;
    Ok((
        [
            (header::CONTENT_TYPE, PBF_TYPE),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        pbf,
    )
        .into_response())
}

/// The fonts, by name: family, style and the number of code points each has.
async fn list_fonts() -> Result<Json<Value>, AppError> {
    static LIST: OnceLock<Value> = OnceLock::new();
    if let Some(list) = LIST.get() {
        return Ok(Json(list.clone()));
    }
    let mut fonts = serde_json::Map::new();
    for font in &glyph::FONTS {
        let count = tokio::task::spawn_blocking(move || glyph::coverage(font)).await??;
        fonts.insert(
            font.name.to_owned(),
            json!({"family": font.family, "style": font.style, "glyphs": count}),
        );
    }
    Ok(Json(LIST.get_or_init(|| Value::Object(fonts)).clone()))
}
