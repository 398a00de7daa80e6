//! The query parameters of `/items`, parsed strictly: every unknown, repeated or malformed
//! parameter is a 400 that names it.

use crate::bbox::BboxWgs84;
use crate::config::PropType;
use crate::error::AppError;
use crate::layer::{parse_float, Layer, Value};

use super::cql2::{self, Expr};
use super::crs::{bbox_to_wgs84, OgcCrs};

/// Default page size.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size.
pub const MAX_LIMIT: usize = 10_000;
/// Largest offset: a feature's position is a `u32`, so no page starts beyond it.
pub const MAX_OFFSET: u64 = u32::MAX as u64;

/// The standard parameters of `/items` (property names are also accepted, as equality filters).
/// `datetime` is recognised only to refuse it clearly: the collections have no temporal extent,
/// so the API definition leaves it out (see [`documented`]).
pub const STANDARD: [&str; 12] = [
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "properties",
    "sortby",
    "crs",
    "f",
    "filter",
    "filter-lang",
    "filter-crs",
    "datetime",
];

/// The standard parameters the API definition declares: all but `datetime`.
pub fn documented() -> impl Iterator<Item = &'static str> {
    STANDARD.into_iter().filter(|p| *p != "datetime")
}

/// A validated `/items` request.
#[derive(Debug)]
pub struct ItemsQuery {
    /// Features must meet this WGS84 box.
    pub bbox: Option<BboxWgs84>,
    /// Page size.
    pub limit: usize,
    /// Features skipped before the page.
    pub offset: usize,
    /// Schema indexes of the properties to return (`None`: all; an empty `properties=` returns
    /// none, as OGC API – Features Part 6 reads it).
    pub properties: Option<Vec<usize>>,
    /// Sort keys: schema index and whether descending.
    pub sortby: Vec<(usize, bool)>,
    /// Output CRS.
    pub crs: OgcCrs,
    /// Equality filters on properties.
    pub equals: Vec<(usize, Value)>,
    /// CQL2 filter.
    pub filter: Option<Expr>,
    /// `f`.
    pub f: Option<String>,
    /// The pairs as received, for links.
    pub pairs: Vec<(String, String)>,
}

fn bad(message: String) -> AppError {
    AppError::BadRequest(message)
}

impl ItemsQuery {
    /// Parses the query string of an `/items` request for `layer`.
    ///
    /// # Errors
    /// A 400 naming the first unknown, repeated or malformed parameter.
    pub fn parse(query: Option<&str>, layer: &Layer) -> Result<Self, AppError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        for (k, _) in &pairs {
            if seen.contains(&k.as_str()) {
                return Err(bad(format!(
                    "query parameter {k:?} is given more than once"
                )));
            }
            seen.push(k);
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let crs_param = |name: &str| -> Result<OgcCrs, AppError> {
            get(name).map_or(Ok(OgcCrs::Crs84), |v| {
                OgcCrs::parse(v).map_err(|e| bad(format!("{name}: {e}")))
            })
        };
        let crs = crs_param("crs")?;
        // Without bbox, a valid bbox-crs has no effect: an OpenAPI 3.0 definition cannot make one
        // parameter depend on another, so refusing it would refuse a request the API allows.
        let bbox_crs = crs_param("bbox-crs")?;
        let bbox = match get("bbox") {
            None => None,
            Some(text) => Some(bbox_to_wgs84(text, bbox_crs).map_err(bad)?),
        };
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => {
                let n: usize = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("limit {v:?} is not a positive integer")))?;
                if n == 0 || n > MAX_LIMIT {
                    return Err(bad(format!("limit {n} is outside 1..={MAX_LIMIT}")));
                }
                n
            }
        };
        let offset = match get("offset") {
            None => 0,
            Some(v) => {
                let n: u64 = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("offset {v:?} is not a non-negative integer")))?;
                if n > MAX_OFFSET {
                    return Err(bad(format!("offset {n} is above {MAX_OFFSET}")));
                }
                usize::try_from(n).map_err(|_| bad(format!("offset {n} is too large")))?
            }
        };
        let property = |name: &str, param: &str| {
            layer.property_index(name).ok_or_else(|| {
                let names: Vec<&str> = layer.schema.iter().map(|p| p.name.as_str()).collect();
                bad(format!(
                    "{param}: unknown property {name:?} (properties: {})",
                    names.join(", ")
                ))
            })
        };
        let properties = match get("properties") {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| property(s.trim(), "properties"))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let mut sortby = Vec::new();
        if let Some(list) = get("sortby") {
            for key in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name, desc) = match key.as_bytes()[0] {
                    b'-' => (&key[1..], true),
                    b'+' => (&key[1..], false),
                    _ => (key, false),
                };
                sortby.push((property(name, "sortby")?, desc));
            }
        }
        match get("filter-lang") {
            None | Some("cql2-text") => {}
            Some(other) => {
                return Err(bad(format!(
                    "filter-lang {other:?} is not supported (use cql2-text)"
                )))
            }
        }
        if get("datetime").is_some() {
            return Err(bad(
                "datetime: the collections have no temporal extent".into()
            ));
        }
        let filter_crs = crs_param("filter-crs")?;
        // An empty filter (as a form with a blank filter field sends) selects everything.
        let filter = match get("filter") {
            None => None,
            Some(text) if text.trim().is_empty() => None,
            Some(text) => {
                Some(cql2::parse(text, &layer.schema, filter_crs).map_err(|e| bad(e.to_string()))?)
            }
        };
        let mut equals = Vec::new();
        for (k, v) in &pairs {
            if STANDARD.contains(&k.as_str()) {
                continue;
            }
            let Some(i) = layer.property_index(k) else {
                return Err(bad(format!(
                    "unknown query parameter {k:?}: neither a standard parameter ({}) nor a property of {}",
                    STANDARD.join(", "),
                    layer.id()
                )));
            };
            let value = match layer.schema[i].ty {
                PropType::String => Value::String(v.as_str().into()),
                PropType::Int => Value::Int(
                    v.trim()
                        .parse()
                        .map_err(|_| bad(format!("{k}={v:?}: {k} is an integer property")))?,
                ),
                PropType::Float => Value::Float(
                    parse_float(v)
                        .map_err(|_| bad(format!("{k}={v:?}: {k} is a number property")))?,
                ),
                PropType::Bool => Value::Bool(match v.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad(format!("{k}={v:?}: {k} is true or false"))),
                }),
            };
            equals.push((i, value));
        }
        Ok(Self {
            bbox,
            limit,
            offset,
            properties,
            sortby,
            crs,
            equals,
            filter,
            f: get("f").map(str::to_owned),
            pairs,
        })
    }
}
