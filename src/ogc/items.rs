//! `/ogc/collections/{id}/items` and `/items/{featureId}`: selection through the R-tree, filters,
//! sorting, paging with next/prev links, output CRS.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use geo::{Geometry, Intersects};
use serde_json::{json, Value as Json};

use super::crs::{to_output, OgcCrs};
use super::params::ItemsQuery;
use super::{cql2, geojson, html, link, negotiate, Format, GEOJSON, HTML, JSON};
use crate::api::base_url;
use crate::error::AppError;
use crate::layer::{Layer, Value};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc/collections/{id}/items", get(list_items))
        .route("/ogc/collections/{id}/items/{fid}", get(get_item))
}

/// Ids of the features the query selects, in output order.
///
/// # Runtime
/// With a bbox (or a filter that implies one) only the R-tree's candidates are examined.
pub fn select(layer: &Layer, q: &ItemsQuery) -> Vec<u32> {
    let implied = q.filter.as_ref().and_then(cql2::Expr::required_bbox);
    let candidates: Vec<u32> = match (q.bbox, implied) {
        (Some(b), _) | (None, Some(b)) => layer.index.query(&b),
        (None, None) => (0..layer.len() as u32).collect(),
    };
    let bbox_rects = q.bbox.map(|b| b.envelopes());
    let mut ids: Vec<u32> = candidates
        .into_iter()
        .filter(|&id| {
            let Some(f) = layer.feature(id) else {
                return false;
            };
            bbox_rects
                .as_ref()
                .is_none_or(|rects| rects.iter().any(|r| f.wgs84.intersects(r)))
                && q.equals.iter().all(|(i, v)| f.get(*i).as_ref() == Some(v))
                && q.filter.as_ref().is_none_or(|e| cql2::matches(e, &f))
        })
        .collect();
    if !q.sortby.is_empty() {
        ids.sort_by(|&a, &b| {
            for &(i, desc) in &q.sortby {
                let (va, vb) = (
                    layer.table.get(a as usize, i),
                    layer.table.get(b as usize, i),
                );
                let o = compare(
                    va.as_ref().unwrap_or(&Value::Null),
                    vb.as_ref().unwrap_or(&Value::Null),
                );
                let o = if desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.cmp(&b)
        });
    }
    ids
}

/// Orders values of one property; nulls last.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// The legacy GeoJSON `crs` member (GeoJSON 2008), added for Lambert-93 output so tools that
/// read a page URL directly (GDAL's GeoJSON driver, QGIS) see the right CRS. CRS84 needs none,
/// and EPSG:4326 is left without one (its latitude-first order is announced by `Content-Crs`).
fn legacy_crs_member(doc: &mut Json, crs: OgcCrs) {
    if crs == OgcCrs::Epsg2154 {
        doc["crs"] = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}});
    }
}

fn geojson_response(body: &Json, crs: OgcCrs) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        headers.insert("content-crs", v);
    }
    (headers, body.to_string()).into_response()
}

/// The link to this items request with other parameters replaced.
fn items_href(base: &str, id: &str, pairs: &[(String, String)], set: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !set.iter().any(|(name, _)| name == k) {
            s.append_pair(k, v);
        }
    }
    for (k, v) in set {
        s.append_pair(k, v);
    }
    let query = s.finish();
    let path = format!("{base}/ogc/collections/{id}/items");
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

async fn list_items(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(id) = path?;
    let catalog = state.catalog();
    let layer = Arc::clone(catalog.layer(&id)?);
    let q = ItemsQuery::parse(query.as_deref(), &layer)?;
    let format = negotiate(q.f.as_deref(), &headers)?;
    let base = base_url(&headers);
    let crs = q.crs;
    let body = state
        .blocking(move || -> Result<Json, AppError> {
            let ids = select(&layer, &q);
            let matched = ids.len();
            let page: Vec<u32> = ids.into_iter().skip(q.offset).take(q.limit).collect();
            let mut geometries: Vec<Geometry<f64>> = page
                .iter()
                .filter_map(|&i| layer.feature(i).map(|f| f.wgs84.clone()))
                .collect();
            to_output(&mut geometries, q.crs).map_err(|e| AppError::Internal(e.into()))?;
            let features: Vec<Json> = page
                .iter()
                .zip(&geometries)
                .map(|(&i, g)| geojson::feature(&layer, i, g, q.properties.as_deref()))
                .collect();
            let id = layer.id();
            let mut links = vec![
                link(
                    items_href(&base, id, &q.pairs, &[]),
                    "self",
                    GEOJSON,
                    "this page",
                ),
                link(
                    items_href(&base, id, &q.pairs, &[("f", "html".into())]),
                    "alternate",
                    HTML,
                    "this page as HTML",
                ),
                link(
                    format!("{base}/ogc/collections/{id}"),
                    "collection",
                    JSON,
                    &layer.config.title,
                ),
            ];
            if q.offset + page.len() < matched {
                let next = [
                    ("offset", (q.offset + q.limit).to_string()),
                    ("limit", q.limit.to_string()),
                ];
                links.push(link(
                    items_href(&base, id, &q.pairs, &next),
                    "next",
                    GEOJSON,
                    "next page",
                ));
            }
            if q.offset > 0 {
                let prev = [
                    ("offset", q.offset.saturating_sub(q.limit).to_string()),
                    ("limit", q.limit.to_string()),
                ];
                links.push(link(
                    items_href(&base, id, &q.pairs, &prev),
                    "prev",
                    GEOJSON,
                    "previous page",
                ));
            }
            let mut doc = json!({
                "type": "FeatureCollection",
                "numberMatched": matched,
                "numberReturned": page.len(),
                "timeStamp": timestamp(),
                "links": links,
                "features": features,
            });
            legacy_crs_member(&mut doc, crs);
            Ok(doc)
        })
        .await??;
    Ok(match format {
        Format::Json => geojson_response(&body, crs),
        Format::Html => Html(html::features(&format!("{id} — objets"), &body)).into_response(),
    })
}

async fn get_item(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path((id, fid)) = path?;
    let catalog = state.catalog();
    let layer = Arc::clone(catalog.layer(&id)?);
    let mut f = None;
    let mut crs = OgcCrs::Crs84;
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "f" => f = Some(v.into_owned()),
            "crs" => {
                crs = OgcCrs::parse(&v).map_err(|e| AppError::BadRequest(format!("crs: {e}")))?
            }
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown query parameter {other:?} (a feature accepts f and crs)"
                )))
            }
        }
    }
    let format = negotiate(f.as_deref(), &headers)?;
    let not_found = || AppError::NotFound(format!("no feature {fid:?} in collection {id:?}"));
    let index: u32 = fid.parse().map_err(|_| not_found())?;
    if index as usize >= layer.len() {
        return Err(not_found());
    }
    let base = base_url(&headers);
    let body = state
        .blocking(move || -> Result<Json, AppError> {
            let mut g: Vec<Geometry<f64>> = layer
                .feature(index)
                .map(|f| f.wgs84.clone())
                .into_iter()
                .collect();
            to_output(&mut g, crs).map_err(|e| AppError::Internal(e.into()))?;
            let mut feature = geojson::feature(&layer, index, &g[0], None);
            let lid = layer.id();
            feature["links"] = json!([
                link(
                    format!("{base}/ogc/collections/{lid}/items/{index}"),
                    "self",
                    GEOJSON,
                    "this feature"
                ),
                link(
                    format!("{base}/ogc/collections/{lid}/items/{index}?f=html"),
                    "alternate",
                    HTML,
                    "this feature as HTML"
                ),
                link(
                    format!("{base}/ogc/collections/{lid}"),
                    "collection",
                    JSON,
                    &layer.config.title
                ),
            ]);
            legacy_crs_member(&mut feature, crs);
            Ok(feature)
        })
        .await??;
    Ok(match format {
        Format::Json => geojson_response(&body, crs),
        Format::Html => Html(html::page(&format!("{id} — objet {fid}"), &body)).into_response(),
    })
}

/// Now, as RFC 3339 UTC.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}
