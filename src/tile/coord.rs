//! Tile coordinates of the XYZ Web Mercator pyramid (origin top-left, y down) and the mapping of
//! Web Mercator metres to tile units (`0..extent` across the tile, y down).

use std::fmt;

use geo::{Coord, Rect};

use crate::bbox::BboxWgs84;
use crate::config::MAX_ZOOM;
use crate::mercator::{self, HALF_WORLD};

/// A tile address, valid by construction: `z ≤ 24`, `x, y < 2^z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

/// Why a tile address is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileCoordError {
    /// The zoom is above the highest level.
    #[error("zoom {0} is above {MAX_ZOOM}")]
    Zoom(u64),
    /// x or y is outside the zoom's range.
    #[error("tile {z}/{x}/{y} does not exist: x and y must be below {}", 1u64 << z)]
    OutOfRange { z: u8, x: u64, y: u64 },
    /// A part is not a non-negative integer.
    #[error("{0:?} is not a tile coordinate (a non-negative integer)")]
    NotANumber(String),
}

impl TileCoord {
    /// Checks and builds a tile address.
    ///
    /// # Errors
    /// When `z > 24` or `x`/`y` ≥ 2^z.
    pub fn try_new(z: u64, x: u64, y: u64) -> Result<Self, TileCoordError> {
        if z > u64::from(MAX_ZOOM) {
            return Err(TileCoordError::Zoom(z));
        }
        let z = z as u8;
        let n = 1u64 << z;
        if x >= n || y >= n {
            return Err(TileCoordError::OutOfRange { z, x, y });
        }
        Ok(Self {
            z,
            x: x as u32,
            y: y as u32,
        })
    }

    /// Parses the three path parts of `/{z}/{x}/{y}`.
    ///
    /// # Errors
    /// When a part is not an integer or the address does not exist.
    pub fn parse(z: &str, x: &str, y: &str) -> Result<Self, TileCoordError> {
        let num = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| TileCoordError::NotANumber(s.to_owned()))
        };
        Self::try_new(num(z)?, num(x)?, num(y)?)
    }

    /// Zoom level.
    pub fn z(&self) -> u8 {
        self.z
    }

    /// Column, from the antimeridian eastwards.
    pub fn x(&self) -> u32 {
        self.x
    }

    /// Row, from the north edge southwards.
    pub fn y(&self) -> u32 {
        self.y
    }

    /// Side of the tile in Web Mercator metres.
    pub fn size_mercator(&self) -> f64 {
        2.0 * HALF_WORLD / f64::from(1u32 << self.z.min(31))
    }

    /// The tile's square in Web Mercator metres.
    pub fn bounds_mercator(&self) -> Rect<f64> {
        let size = self.size_mercator();
        let west = -HALF_WORLD + f64::from(self.x) * size;
        let north = HALF_WORLD - f64::from(self.y) * size;
        Rect::new(
            Coord {
                x: west,
                y: north - size,
            },
            Coord {
                x: west + size,
                y: north,
            },
        )
    }

    /// The tile's square grown by `margin` tile units on each side (of `extent` across), in
    /// WGS84, clamped to the Web Mercator world.
    pub fn bbox_wgs84(&self, margin: f64, extent: u32) -> BboxWgs84 {
        let b = self.bounds_mercator();
        let grow = margin / f64::from(extent) * self.size_mercator();
        let clamp = |v: f64| v.clamp(-HALF_WORLD, HALF_WORLD);
        let sw = mercator::to_wgs84(Coord {
            x: clamp(b.min().x - grow),
            y: clamp(b.min().y - grow),
        });
        let ne = mercator::to_wgs84(Coord {
            x: clamp(b.max().x + grow),
            y: clamp(b.max().y + grow),
        });
        BboxWgs84 {
            west: sw.x.max(-180.0),
            south: sw.y,
            east: ne.x.min(180.0),
            north: ne.y,
        }
    }

    /// The tile holding a WGS84 point at zoom `z` (points on the world's edge go to the last tile).
    pub fn containing(lon: f64, lat: f64, z: u8) -> Self {
        let z = z.min(MAX_ZOOM);
        let m = mercator::from_wgs84(Coord { x: lon, y: lat });
        let n = f64::from(1u32 << z);
        let last = (1u32 << z) - 1;
        let fx = ((m.x + HALF_WORLD) / (2.0 * HALF_WORLD) * n).floor();
        let fy = ((HALF_WORLD - m.y) / (2.0 * HALF_WORLD) * n).floor();
        Self {
            z,
            x: (fx.max(0.0) as u32).min(last),
            y: (fy.max(0.0) as u32).min(last),
        }
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Maps Web Mercator metres to one tile's units: `0..extent`, y down.
#[derive(Debug, Clone, Copy)]
pub struct TileTransform {
    /// Tile units per Web Mercator metre.
    scale: f64,
    /// The tile's corner in tile units of the whole zoom level (exact integers), subtracted from
    /// the level's coordinates: a point's tile coordinates are its level coordinates minus this
    /// offset, exactly, so work done once in level coordinates serves every tile.
    offset: Coord<f64>,
}

impl TileTransform {
    /// The transform for a tile with `extent` units across.
    pub fn new(tile: TileCoord, extent: u32) -> Self {
        Self {
            scale: f64::from(extent) / tile.size_mercator(),
            offset: Coord {
                x: f64::from(tile.x()) * f64::from(extent),
                y: f64::from(tile.y()) * f64::from(extent),
            },
        }
    }

    /// A Web Mercator point in units of the whole zoom level (tile units of tile 0/0).
    pub fn level(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x + HALF_WORLD) * self.scale,
            y: (HALF_WORLD - c.y) * self.scale,
        }
    }

    /// The tile's corner in level units.
    pub fn offset(&self) -> Coord<f64> {
        self.offset
    }

    /// A Web Mercator point in tile units (not rounded).
    pub fn apply(&self, c: Coord<f64>) -> Coord<f64> {
        let l = self.level(c);
        Coord {
            x: l.x - self.offset.x,
            y: l.y - self.offset.y,
        }
    }

    /// Tile units back to Web Mercator metres.
    pub fn invert(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x + self.offset.x) / self.scale - HALF_WORLD,
            y: HALF_WORLD - (c.y + self.offset.y) / self.scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_addresses() {
        assert_eq!(TileCoord::try_new(25, 0, 0), Err(TileCoordError::Zoom(25)));
        assert!(matches!(
            TileCoord::try_new(3, 8, 0),
            Err(TileCoordError::OutOfRange { .. })
        ));
        assert!(TileCoord::parse("3", "-1", "0").is_err());
        assert!(TileCoord::parse("3", "1", "0").is_ok());
        assert!(TileCoord::try_new(24, (1 << 24) - 1, (1 << 24) - 1).is_ok());
    }

    #[test]
    fn lens_at_z14() {
        // 2.8319 E, 50.4322 N → z14 tile 8320/5525 (computed with the OSM slippy-map formula).
        let t = TileCoord::containing(2.8319, 50.4322, 14);
        assert_eq!((t.x(), t.y()), (8320, 5525));
    }

    #[test]
    fn world_tile_bounds() {
        let b = TileCoord::try_new(0, 0, 0).unwrap().bbox_wgs84(0.0, 4096);
        assert!((b.west + 180.0).abs() < 1e-9 && (b.east - 180.0).abs() < 1e-9);
        assert!((b.north - mercator::MAX_LATITUDE).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn point_tile_bounds_round_trip(lon in -179.99f64..179.99, lat in -85.0f64..85.0, z in 0u8..=24) {
            let t = TileCoord::containing(lon, lat, z);
            let b = t.bbox_wgs84(0.0, 4096);
            prop_assert!(b.west - 1e-9 <= lon && lon <= b.east + 1e-9, "{} {:?}", lon, b);
            prop_assert!(b.south - 1e-9 <= lat && lat <= b.north + 1e-9, "{} {:?}", lat, b);
            // And the point lands inside 0..extent of that tile.
            let p = TileTransform::new(t, 4096).apply(mercator::from_wgs84(Coord { x: lon, y: lat }));
            prop_assert!((-1e-6..=4096.0 + 1e-6).contains(&p.x) && (-1e-6..=4096.0 + 1e-6).contains(&p.y));
        }

        #[test]
        fn transform_inverts(x in -2.0e7f64..2.0e7, y in -2.0e7f64..2.0e7, z in 0u8..=24) {
            let t = TileTransform::new(TileCoord::containing(0.0, 0.0, z), 4096);
            let back = t.invert(t.apply(Coord { x, y }));
            prop_assert!((back.x - x).abs() < 1e-6 * x.abs().max(1.0));
            prop_assert!((back.y - y).abs() < 1e-6 * y.abs().max(1.0));
        }
    }
}
