//! A first pass over an uploaded GeoJSON, before GDAL parses it.
//!
//! GDAL's GeoJSON driver fetches a CRS given as a link (`"crs": {"type": "link", "properties":
//! {"href": "http://…"}}`, also `"url"`) from the network, at the top level or on any geometry:
//! the server would make requests an uploader chooses. Such a `crs` is refused here. GDAL also
//! builds the whole document in memory before the first feature is read (about 25 times the
//! text), so features and positions are counted here, against the same caps as the OGR
//! geometries later, and counting stops at the first one over.
//!
//! GDAL matches member names without case and up to a NUL (`"CRS"`, `"Type"` count) and types
//! by prefix (`"LINKED"` is a link); this pass does the same. Only strict JSON passes
//! (json-c, GDAL's parser, accepts more), so nothing GDAL reads escapes this pass.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{UploadError, UploadLimits};

/// Checks the document; memory does not grow with its size.
///
/// # Errors
/// [`UploadError::Unreadable`] for text that is not JSON, [`UploadError::Refused`] for a linked
/// CRS, [`UploadError::TooLarge`] past [`UploadLimits::max_features`] or
/// [`UploadLimits::max_vertices`].
pub fn check(bytes: &[u8], limits: &UploadLimits) -> Result<(), UploadError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut scan = Scan {
        limits,
        features: 0,
        positions: 0,
        stop: None,
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let result = Node {
        scan: &mut scan,
        at: At::Member,
    }
    .deserialize(&mut de)
    .and_then(|_| de.end());
    match (result, scan.stop) {
        (_, Some(stop)) => Err(stop),
        (Ok(()), None) => Ok(()),
        (Err(e), None) => Err(UploadError::Unreadable(format!(
            "the file cannot be read: it is not valid GeoJSON (JSON error at line {}, column {})",
            e.line(),
            e.column()
        ))),
    }
}

struct Scan<'l> {
    limits: &'l UploadLimits,
    features: usize,
    positions: usize,
    /// Why the pass stopped early, if it did.
    stop: Option<UploadError>,
}

impl Scan<'_> {
    fn stop<E: de::Error>(&mut self, why: UploadError) -> E {
        self.stop = Some(why);
        E::custom("stopped")
    }
}

/// Where a value sits: what its member is called.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Member,
    Crs,
    Type,
    /// Inside `coordinates`, at any depth of arrays.
    Coordinates,
}

/// What a value was, as far as its parent needs to know.
enum Seen {
    Number,
    /// A string under a `type` member.
    Type(String),
    Other,
}

struct Node<'s, 'l> {
    scan: &'s mut Scan<'l>,
    at: At,
}

/// A member name or type as GDAL compares it: up to a NUL, in lower case.
fn normal(name: &str) -> String {
    name.split('\0').next().unwrap_or("").to_ascii_lowercase()
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = Seen;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Seen, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = Seen;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Seen, E> {
        Ok(Seen::Number)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Seen, E> {
        Ok(Seen::Number)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Seen, E> {
        Ok(Seen::Number)
    }

    fn visit_unit<E>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_str<E>(self, v: &str) -> Result<Seen, E> {
        Ok(if self.at == At::Type {
            Seen::Type(normal(v))
        } else {
            Seen::Other
        })
    }

    /// An array of two or more numbers under `coordinates` is a position.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        let inside = if self.at == At::Coordinates {
            At::Coordinates
        } else {
            At::Member
        };
        let (mut len, mut numbers) = (0usize, true);
        while let Some(seen) = seq.next_element_seed(Node {
            scan: &mut *self.scan,
            at: inside,
        })? {
            len += 1;
            numbers &= matches!(seen, Seen::Number);
        }
        if self.at == At::Coordinates && numbers && len >= 2 {
            self.scan.positions += 1;
            if self.scan.positions > self.scan.limits.max_vertices {
                let why = super::too_many_vertices(self.scan.limits);
                return Err(self.scan.stop(why));
            }
        }
        Ok(Seen::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let mut feature = false;
        while let Some(key) = map.next_key::<String>()? {
            let at = match normal(&key).as_str() {
                "crs" => At::Crs,
                "type" => At::Type,
                "coordinates" => At::Coordinates,
                _ => At::Member,
            };
            let seen = map.next_value_seed(Node {
                scan: &mut *self.scan,
                at,
            })?;
            let Seen::Type(t) = seen else {
                continue;
            };
            if self.at == At::Crs && (t.starts_with("link") || t.starts_with("url")) {
                return Err(self.scan.stop(UploadError::Refused(
                    "the GeoJSON gives its CRS as a link, which the server does not follow: remove the \"crs\" member and set the crs parameter instead, e.g. crs=EPSG:2154".into(),
                )));
            }
            feature |= t == "feature";
        }
        if feature {
            self.scan.features += 1;
            if self.scan.features > self.scan.limits.max_features {
                let why = super::too_many_features(self.scan.limits);
                return Err(self.scan.stop(why));
            }
        }
        Ok(Seen::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_default(text: &str) -> Result<(), UploadError> {
        check(text.as_bytes(), &UploadLimits::default())
    }

    const SQUARE: &str =
        r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}"#;

    #[test]
    fn plain_geojson_passes() {
        check_default(SQUARE).unwrap();
        check_default(&format!("\u{FEFF}{SQUARE}")).unwrap();
        let named = r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:2154"}}, "features": []}"#;
        check_default(named).unwrap();
    }

    #[test]
    fn linked_crs_are_refused_wherever_and_however_written() {
        for crs in [
            r#""crs": {"type": "link", "properties": {"href": "http://x/"}}"#,
            r#""CRS": {"TYPE": "URL", "properties": {"url": "http://x/"}}"#,
            r#""crs\u0000x": {"type": "Linked\u0000", "properties": {"href": "http://x/"}}"#,
            r#""crs": {"type": "name", "type": "link", "properties": {"href": "http://x/"}}"#,
        ] {
            let top = format!(r#"{{"type": "FeatureCollection", {crs}, "features": []}}"#);
            let on_geometry = format!(
                r#"{{"type": "Feature", "properties": {{}}, "geometry": {{{crs}, "type": "Point", "coordinates": [0, 0]}}}}"#
            );
            for text in [top, on_geometry] {
                match check_default(&text) {
                    Err(UploadError::Refused(m)) => assert!(m.contains("link"), "{m}"),
                    other => panic!("{text}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn counting_stops_at_the_first_over() {
        let limits = UploadLimits {
            max_vertices: 3,
            ..UploadLimits::default()
        };
        assert!(
            matches!(check(SQUARE.as_bytes(), &limits), Err(UploadError::TooLarge(m)) if m.contains("max_vertices = 3"))
        );
        // A bbox or a numeric property is not a position.
        let three = r#"{"type": "Feature", "bbox": [0, 0, 1, 1], "properties": {"n": [1, 2]}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}}"#;
        check(three.as_bytes(), &limits).unwrap();
        let limits = UploadLimits {
            max_features: 2,
            ..UploadLimits::default()
        };
        let feature = r#"{"type": "Feature", "properties": {}, "geometry": null}"#;
        let collection = |n: usize| {
            format!(
                r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
                vec![feature; n].join(",")
            )
        };
        check(collection(2).as_bytes(), &limits).unwrap();
        assert!(
            matches!(check(collection(3).as_bytes(), &limits), Err(UploadError::TooLarge(m)) if m.contains("max_features = 2"))
        );
    }

    #[test]
    fn text_that_is_not_strict_json_is_unreadable() {
        for text in [
            "",
            "{\"type\": \"Polyg",
            "{\"a\": NaN}",
            "{} {}",
            "/* c */ {}",
            &"[".repeat(1000),
        ] {
            match check_default(text) {
                Err(UploadError::Unreadable(m)) => assert!(m.contains("not valid GeoJSON"), "{m}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
