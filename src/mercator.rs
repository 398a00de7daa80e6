//! Spherical Web Mercator (EPSG:3857) from and to WGS84 longitude/latitude, in plain maths.
//!
//! The tile pyramid and every tile computation work in these metres. Latitudes beyond
//! ±[`MAX_LATITUDE`] have no Web Mercator image; loading counts such geometries as out of range.

use geo::{Coord, Geometry, MapCoords};

/// Earth radius of the spherical Web Mercator, in metres.
pub const EARTH_RADIUS: f64 = 6_378_137.0;
/// Half the side of the Web Mercator square, in metres (π·R).
pub const HALF_WORLD: f64 = std::f64::consts::PI * EARTH_RADIUS;
/// The latitude at which the Web Mercator square ends, in degrees.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// WGS84 (lon, lat) in degrees → Web Mercator (x, y) in metres.
pub fn from_wgs84(c: Coord<f64>) -> Coord<f64> {
    let x = c.x.to_radians() * EARTH_RADIUS;
    let lat = c.y.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let y = (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() * EARTH_RADIUS;
    Coord { x, y }
}

/// Web Mercator (x, y) in metres → WGS84 (lon, lat) in degrees.
pub fn to_wgs84(c: Coord<f64>) -> Coord<f64> {
    let lon = (c.x / EARTH_RADIUS).to_degrees();
    let lat = (2.0 * (c.y / EARTH_RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
    Coord { x: lon, y: lat }
}

/// Projects a whole WGS84 geometry to Web Mercator.
pub fn geometry_from_wgs84(g: &Geometry<f64>) -> Geometry<f64> {
    g.map_coords(from_wgs84)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_points() {
        let c = from_wgs84(Coord { x: 180.0, y: 0.0 });
        assert!((c.x - HALF_WORLD).abs() < 1e-6);
        let c = from_wgs84(Coord {
            x: 0.0,
            y: MAX_LATITUDE,
        });
        assert!((c.y - HALF_WORLD).abs() < 1e-3, "{}", c.y);
        // Lens (2.83 E, 50.43 N), computed independently with Python's math module.
        let c = from_wgs84(Coord { x: 2.83, y: 50.43 });
        assert!((c.x - 315_034.159).abs() < 1e-3, "{}", c.x);
        assert!((c.y - 6_521_079.996).abs() < 1e-3, "{}", c.y);
    }

    proptest! {
        #[test]
        fn round_trip(lon in -180.0f64..180.0, lat in -85.0f64..85.0) {
            let back = to_wgs84(from_wgs84(Coord { x: lon, y: lat }));
            prop_assert!((back.x - lon).abs() < 1e-9);
            prop_assert!((back.y - lat).abs() < 1e-9);
        }
    }
}
