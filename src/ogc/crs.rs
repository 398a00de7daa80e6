//! The coordinate reference systems of the OGC API (Part 2): CRS84 (WGS84 longitude, latitude),
//! EPSG:4326 (WGS84 latitude, longitude: its authority axis order) and EPSG:2154 (RGF93 v1 /
//! Lambert-93, easting, northing). Features are stored in WGS84; other systems are reached with
//! GDAL's OSR, one transformation per thread, built on first use.

use std::cell::RefCell;

use gdal::spatial_ref::CoordTransform;
use geo::{Coord, Geometry, MapCoordsInPlace};

use crate::bbox::BboxWgs84;

/// A CRS the API can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OgcCrs {
    /// WGS84, longitude then latitude.
    Crs84,
    /// WGS84, latitude then longitude.
    Epsg4326,
    /// Lambert-93, easting then northing, metres.
    Epsg2154,
}

impl OgcCrs {
    /// Every supported CRS, the storage CRS first.
    pub const ALL: [OgcCrs; 3] = [OgcCrs::Crs84, OgcCrs::Epsg4326, OgcCrs::Epsg2154];

    /// The OGC URI.
    pub fn uri(self) -> &'static str {
        match self {
            OgcCrs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            OgcCrs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            OgcCrs::Epsg2154 => "http://www.opengis.net/def/crs/EPSG/0/2154",
        }
    }

    /// Parses a URI, a safe CURIE (`[EPSG:2154]`) or a short code (`EPSG:2154`, `CRS84`).
    ///
    /// # Errors
    /// A sentence naming the value and the supported systems.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim().trim_start_matches('[').trim_end_matches(']');
        let t = t
            .strip_prefix("http://www.opengis.net/def/crs/")
            .or_else(|| t.strip_prefix("https://www.opengis.net/def/crs/"))
            .map(|rest| rest.replace("/0/", ":").replace("/1.3/", ":"))
            .unwrap_or_else(|| t.to_owned());
        match t.to_ascii_uppercase().as_str() {
            "OGC:CRS84" | "CRS84" => Ok(OgcCrs::Crs84),
            "EPSG:4326" => Ok(OgcCrs::Epsg4326),
            "EPSG:2154" => Ok(OgcCrs::Epsg2154),
            _ => Err(format!(
                "{text:?} is not a supported CRS (use {}, {} or {})",
                OgcCrs::Crs84.uri(),
                OgcCrs::Epsg4326.uri(),
                OgcCrs::Epsg2154.uri()
            )),
        }
    }

    /// Output coordinates are rounded to this many decimals (about 1 mm).
    fn decimals(self) -> i32 {
        match self {
            OgcCrs::Crs84 | OgcCrs::Epsg4326 => 8,
            OgcCrs::Epsg2154 => 3,
        }
    }
}

thread_local! {
    static TO_L93: RefCell<Option<CoordTransform>> = const { RefCell::new(None) };
    static FROM_L93: RefCell<Option<CoordTransform>> = const { RefCell::new(None) };
}

fn with_transform<R>(
    cell: &'static std::thread::LocalKey<RefCell<Option<CoordTransform>>>,
    to_l93: bool,
    f: impl FnOnce(&CoordTransform) -> R,
) -> Result<R, String> {
    cell.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            let l93 = crate::crs::spatial_ref("EPSG:2154").map_err(|e| crate::gdal_message(&e))?;
            let wgs84 = crate::crs::wgs84().map_err(|e| crate::gdal_message(&e))?;
            let t = if to_l93 {
                CoordTransform::new(&wgs84, &l93)
            } else {
                CoordTransform::new(&l93, &wgs84)
            };
            *slot = Some(t.map_err(|e| crate::gdal_message(&e))?);
        }
        slot.as_ref()
            .map(f)
            .ok_or_else(|| "no transformation".to_owned())
    })
}

/// Transforms coordinates in place, in batches, through GDAL.
fn transform(coords: &mut [Coord<f64>], to_l93: bool) -> Result<(), String> {
    if coords.is_empty() {
        return Ok(());
    }
    let cell = if to_l93 { &TO_L93 } else { &FROM_L93 };
    let mut xs: Vec<f64> = coords.iter().map(|c| c.x).collect();
    let mut ys: Vec<f64> = coords.iter().map(|c| c.y).collect();
    let mut zs = vec![0.0; coords.len()];
    with_transform(cell, to_l93, |t| {
        t.transform_coords(&mut xs, &mut ys, &mut zs)
    })?
    .map_err(|e| crate::gdal_message(&e))?;
    for ((c, x), y) in coords.iter_mut().zip(xs).zip(ys) {
        *c = Coord { x, y };
    }
    Ok(())
}

/// The next of a geometry's transformed coordinates, in `coords_iter` order (which is the order
/// `map_coords_in_place` visits them).
fn take(coords: &[Coord<f64>], next: &std::cell::Cell<usize>) -> Coord<f64> {
    let i = next.get();
    next.set(i + 1);
    coords.get(i).copied().unwrap_or(Coord {
        x: f64::NAN,
        y: f64::NAN,
    })
}

/// Rewrites WGS84 geometries into `crs`, in output axis order, rounded.
///
/// # Errors
/// When GDAL cannot transform a coordinate.
pub fn to_output(geometries: &mut [Geometry<f64>], crs: OgcCrs) -> Result<(), String> {
    if crs == OgcCrs::Epsg2154 {
        let mut coords: Vec<Coord<f64>> = Vec::new();
        for g in geometries.iter() {
            use geo::CoordsIter;
            coords.extend(g.coords_iter());
        }
        transform(&mut coords, true)?;
        let next = std::cell::Cell::new(0usize);
        for g in geometries.iter_mut() {
            g.map_coords_in_place(|_| take(&coords, &next));
        }
    }
    let scale = 10f64.powi(crs.decimals());
    for g in geometries.iter_mut() {
        g.map_coords_in_place(|c| {
            let (x, y) = if crs == OgcCrs::Epsg4326 {
                (c.y, c.x)
            } else {
                (c.x, c.y)
            };
            Coord {
                x: (x * scale).round() / scale,
                y: (y * scale).round() / scale,
            }
        });
    }
    Ok(())
}

/// Rewrites a geometry given in `crs` (its axis order) into WGS84 longitude/latitude.
///
/// # Errors
/// When GDAL cannot transform a coordinate.
pub fn geometry_to_wgs84(g: &mut Geometry<f64>, crs: OgcCrs) -> Result<(), String> {
    match crs {
        OgcCrs::Crs84 => Ok(()),
        OgcCrs::Epsg4326 => {
            g.map_coords_in_place(|c| Coord { x: c.y, y: c.x });
            Ok(())
        }
        OgcCrs::Epsg2154 => {
            use geo::CoordsIter;
            let mut coords: Vec<Coord<f64>> = g.coords_iter().collect();
            transform(&mut coords, false)?;
            let next = std::cell::Cell::new(0usize);
            g.map_coords_in_place(|_| take(&coords, &next));
            Ok(())
        }
    }
}

/// Reads a `bbox` given in `crs` and its axis order (4 or 6 numbers) as a WGS84 box. A
/// Lambert-93 box is densified along its edges so the WGS84 box holds all of it.
///
/// # Errors
/// A sentence naming the bbox and what is wrong.
pub fn bbox_to_wgs84(text: &str, crs: OgcCrs) -> Result<BboxWgs84, String> {
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("bbox {text:?}: values must be numbers separated by commas"))?;
    let (a, b, c, d) = match values[..] {
        [a, b, c, d] | [a, b, _, c, d, _] => (a, b, c, d),
        _ => return Err(format!("bbox {text:?}: expected 4 numbers")),
    };
    match crs {
        OgcCrs::Crs84 => BboxWgs84::try_new(a, b, c, d).map_err(|e| e.to_string()),
        OgcCrs::Epsg4326 => BboxWgs84::try_new(b, a, d, c).map_err(|e| e.to_string()),
        OgcCrs::Epsg2154 => {
            if !(a.is_finite() && b.is_finite() && c.is_finite() && d.is_finite()) || a > c || b > d
            {
                return Err(format!(
                    "bbox {text:?}: expected minx,miny,maxx,maxy in EPSG:2154"
                ));
            }
            const STEPS: usize = 20;
            let mut ring: Vec<Coord<f64>> = Vec::with_capacity(4 * STEPS);
            for i in 0..STEPS {
                let t = i as f64 / STEPS as f64;
                ring.push(Coord {
                    x: a + (c - a) * t,
                    y: b,
                });
                ring.push(Coord {
                    x: c,
                    y: b + (d - b) * t,
                });
                ring.push(Coord {
                    x: c - (c - a) * t,
                    y: d,
                });
                ring.push(Coord {
                    x: a,
                    y: d - (d - b) * t,
                });
            }
            transform(&mut ring, false)?;
            if ring.iter().any(|p| !p.x.is_finite() || !p.y.is_finite()) {
                return Err(format!("bbox {text:?} is outside the area of EPSG:2154"));
            }
            let fold = |f: fn(f64, f64) -> f64, pick: fn(&Coord<f64>) -> f64, init: f64| {
                ring.iter().map(pick).fold(init, f)
            };
            BboxWgs84::try_new(
                fold(f64::min, |p| p.x, f64::INFINITY),
                fold(f64::min, |p| p.y, f64::INFINITY),
                fold(f64::max, |p| p.x, f64::NEG_INFINITY),
                fold(f64::max, |p| p.y, f64::NEG_INFINITY),
            )
            .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_and_codes() {
        assert_eq!(
            OgcCrs::parse("http://www.opengis.net/def/crs/EPSG/0/2154"),
            Ok(OgcCrs::Epsg2154)
        );
        assert_eq!(
            OgcCrs::parse("http://www.opengis.net/def/crs/OGC/1.3/CRS84"),
            Ok(OgcCrs::Crs84)
        );
        assert_eq!(OgcCrs::parse("[EPSG:4326]"), Ok(OgcCrs::Epsg4326));
        assert_eq!(OgcCrs::parse("epsg:2154"), Ok(OgcCrs::Epsg2154));
        assert!(OgcCrs::parse("EPSG:3857")
            .unwrap_err()
            .contains("not a supported CRS"));
        for crs in OgcCrs::ALL {
            assert_eq!(OgcCrs::parse(crs.uri()), Ok(crs));
        }
    }

    #[test]
    fn lambert93_origin_and_axis_order() {
        let mut g = vec![Geometry::Point(geo::Point::new(3.0, 46.5))];
        to_output(&mut g, OgcCrs::Epsg2154).unwrap();
        let Geometry::Point(p) = g[0] else { panic!() };
        assert!(
            (p.x() - 700_000.0).abs() < 0.001 && (p.y() - 6_600_000.0).abs() < 0.001,
            "{p:?}"
        );
        let mut g = vec![Geometry::Point(geo::Point::new(3.0, 46.5))];
        to_output(&mut g, OgcCrs::Epsg4326).unwrap();
        assert_eq!(g[0], Geometry::Point(geo::Point::new(46.5, 3.0)));
        let mut back = Geometry::Point(geo::Point::new(700_000.0, 6_600_000.0));
        geometry_to_wgs84(&mut back, OgcCrs::Epsg2154).unwrap();
        let Geometry::Point(p) = back else { panic!() };
        assert!((p.x() - 3.0).abs() < 1e-9 && (p.y() - 46.5).abs() < 1e-9);
    }

    #[test]
    fn bbox_in_each_crs() {
        let b = bbox_to_wgs84("50.3,2.7,50.5,2.9", OgcCrs::Epsg4326).unwrap();
        assert_eq!(b.to_array(), [2.7, 50.3, 2.9, 50.5]);
        let b = bbox_to_wgs84("680000,7030000,690000,7040000", OgcCrs::Epsg2154).unwrap();
        assert!(
            b.contains(Coord {
                x: 2.8319,
                y: 50.4322
            }),
            "{b}"
        );
        assert!(bbox_to_wgs84("690000,7030000,680000,7040000", OgcCrs::Epsg2154).is_err());
        assert!(bbox_to_wgs84("1,2,3", OgcCrs::Crs84).is_err());
    }
}
