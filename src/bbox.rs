//! The one bounding-box type of Bourg, in WGS84 longitude/latitude degrees, and its parser.
//!
//! Tiles, OGC API `items` and the layer bounds all use [`BboxWgs84`]. A box whose west edge is
//! east of its east edge crosses the antimeridian; [`BboxWgs84::envelopes`] splits it in two.

use std::fmt;

use geo::{Coord, Rect};

/// A bounding box in WGS84 degrees: west, south, east, north.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BboxWgs84 {
    /// Western longitude.
    pub west: f64,
    /// Southern latitude.
    pub south: f64,
    /// Eastern longitude (smaller than `west` when the box crosses the antimeridian).
    pub east: f64,
    /// Northern latitude.
    pub north: f64,
}

/// Why a bounding box is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bbox {input:?}: {reason}")]
pub struct BboxError {
    input: String,
    reason: &'static str,
}

impl BboxWgs84 {
    /// Builds a box from its four edges.
    ///
    /// # Errors
    /// When a value is not finite, a latitude is outside ±90, a longitude outside ±180, or south
    /// is above north.
    pub fn try_new(west: f64, south: f64, east: f64, north: f64) -> Result<Self, BboxError> {
        let input = format!("{west},{south},{east},{north}");
        let fail = |reason| BboxError {
            input: input.clone(),
            reason,
        };
        if ![west, south, east, north].iter().all(|v| v.is_finite()) {
            return Err(fail("every value must be a finite number"));
        }
        if !(-180.0..=180.0).contains(&west) || !(-180.0..=180.0).contains(&east) {
            return Err(fail("longitudes must lie in -180..180"));
        }
        if !(-90.0..=90.0).contains(&south) || !(-90.0..=90.0).contains(&north) {
            return Err(fail("latitudes must lie in -90..90"));
        }
        if south > north {
            return Err(fail("the south edge is above the north edge"));
        }
        Ok(Self {
            west,
            south,
            east,
            north,
        })
    }

    /// Parses `west,south,east,north` (or the 3D form `west,south,min_z,east,north,max_z`).
    ///
    /// # Errors
    /// When the text has not 4 or 6 numbers, or the numbers do not make a box.
    pub fn parse(text: &str) -> Result<Self, BboxError> {
        let fail = |reason| BboxError {
            input: text.to_owned(),
            reason,
        };
        let values: Vec<f64> = text
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| fail("values must be numbers separated by commas"))?;
        let bbox = match values[..] {
            [w, s, e, n] => Self::try_new(w, s, e, n),
            [w, s, _, e, n, _] => Self::try_new(w, s, e, n),
            _ => return Err(fail("expected 4 numbers: west,south,east,north")),
        };
        bbox.map_err(|e| BboxError {
            input: text.to_owned(),
            reason: e.reason,
        })
    }

    /// The smallest box holding a rectangle given in WGS84.
    pub fn from_rect(r: Rect<f64>) -> Self {
        Self {
            west: r.min().x,
            south: r.min().y,
            east: r.max().x,
            north: r.max().y,
        }
    }

    /// Whether the box crosses the antimeridian (west > east).
    pub fn crosses_antimeridian(&self) -> bool {
        self.west > self.east
    }

    /// One rectangle, or two when the box crosses the antimeridian.
    pub fn envelopes(&self) -> Vec<Rect<f64>> {
        let rect = |w, e| {
            Rect::new(
                Coord {
                    x: w,
                    y: self.south,
                },
                Coord {
                    x: e,
                    y: self.north,
                },
            )
        };
        if self.crosses_antimeridian() {
            vec![rect(self.west, 180.0), rect(-180.0, self.east)]
        } else {
            vec![rect(self.west, self.east)]
        }
    }

    /// Whether a point lies inside or on the edge of the box.
    pub fn contains(&self, c: Coord<f64>) -> bool {
        self.envelopes()
            .iter()
            .any(|r| c.x >= r.min().x && c.x <= r.max().x && c.y >= r.min().y && c.y <= r.max().y)
    }

    /// The smallest box holding both boxes (neither crossing the antimeridian).
    pub fn union(&self, other: &Self) -> Self {
        Self {
            west: self.west.min(other.west),
            south: self.south.min(other.south),
            east: self.east.max(other.east),
            north: self.north.max(other.north),
        }
    }

    /// The four edges as `[west, south, east, north]`, as GeoJSON and TileJSON write them.
    pub fn to_array(&self) -> [f64; 4] {
        [self.west, self.south, self.east, self.north]
    }
}

impl fmt::Display for BboxWgs84 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.west, self.south, self.east, self.north
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_four_and_six_values() {
        let b = BboxWgs84::parse("2.7, 50.3,2.9,50.5").unwrap();
        assert_eq!(b.to_array(), [2.7, 50.3, 2.9, 50.5]);
        let b = BboxWgs84::parse("2.7,50.3,0,2.9,50.5,100").unwrap();
        assert_eq!(b.to_array(), [2.7, 50.3, 2.9, 50.5]);
    }

    #[test]
    fn rejects_bad_boxes_with_a_reason() {
        for (text, reason) in [
            ("1,2,3", "expected 4 numbers"),
            ("a,b,c,d", "must be numbers"),
            ("0,50,1,40", "south edge is above"),
            ("0,-91,1,40", "latitudes"),
            ("-200,0,1,1", "longitudes"),
            ("NaN,0,1,1", "finite"),
            ("", "must be numbers"),
        ] {
            let err = BboxWgs84::parse(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn antimeridian_bbox_is_split() {
        let b = BboxWgs84::parse("170,-10,-170,10").unwrap();
        let e = b.envelopes();
        assert_eq!(e.len(), 2);
        assert!(b.contains(Coord { x: 175.0, y: 0.0 }));
        assert!(b.contains(Coord { x: -175.0, y: 0.0 }));
        assert!(!b.contains(Coord { x: 0.0, y: 0.0 }));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,64}") {
            let _ = BboxWgs84::parse(&s);
        }

        #[test]
        fn display_parses_back(w in -180.0f64..180.0, s in -90.0f64..90.0, dx in 0.0f64..10.0, dy in 0.0f64..10.0) {
            let b = BboxWgs84::try_new(w, s, (w + dx).min(180.0), (s + dy).min(90.0)).unwrap();
            prop_assert_eq!(BboxWgs84::parse(&b.to_string()).unwrap(), b);
        }
    }
}
