//! WGS84 ↔ Lambert-93 (EPSG:2154) through GDAL's OSR, in batches, with the written precision.
//!
//! Output coordinates are Lambert-93 metres rounded to the decimetre ([`Decimetres`]) — what the
//! CSV holds. Both transformations use the traditional GIS axis order (x = easting/longitude),
//! built like [`crate::crs::to_wgs84`].

use gdal::spatial_ref::CoordTransform;
use geo::Coord;

use super::error::SynthError;
use crate::layer::GdalMessage;

/// A Lambert-93 position in whole decimetres, as written (`686948.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decimetres {
    /// Easting × 10.
    pub x: i64,
    /// Northing × 10.
    pub y: i64,
}

/// The two transformations.
pub struct Lambert93 {
    forward: CoordTransform,
    inverse: CoordTransform,
}

impl std::fmt::Debug for Lambert93 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lambert93")
    }
}

fn projection_error(e: &gdal::errors::GdalError) -> SynthError {
    SynthError::Projection(GdalMessage::from(e))
}

impl Lambert93 {
    /// Builds WGS84 → Lambert-93 and back.
    ///
    /// # Errors
    /// When GDAL's PROJ database is missing.
    pub fn new() -> Result<Self, SynthError> {
        let wgs84 = crate::crs::wgs84().map_err(|e| projection_error(&e))?;
        let l93 = crate::crs::spatial_ref("EPSG:2154").map_err(|e| projection_error(&e))?;
        Ok(Self {
            forward: CoordTransform::new(&wgs84, &l93).map_err(|e| projection_error(&e))?,
            inverse: crate::crs::to_wgs84(&l93).map_err(|e| projection_error(&e))?,
        })
    }

    /// Projects longitude/latitude points to Lambert-93, rounded to the decimetre.
    ///
    /// # Errors
    /// When PROJ fails on a point (not expected in metropolitan France).
    pub fn project(&self, points: &[Coord<f64>]) -> Result<Vec<Decimetres>, SynthError> {
        if points.is_empty() {
            return Ok(Vec::new());
        }
        let mut xs: Vec<f64> = points.iter().map(|c| c.x).collect();
        let mut ys: Vec<f64> = points.iter().map(|c| c.y).collect();
        self.forward
            .transform_coords(&mut xs, &mut ys, &mut [])
            .map_err(|e| projection_error(&e))?;
        Ok(xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| Decimetres {
                x: (x * 10.0).round() as i64,
                y: (y * 10.0).round() as i64,
            })
            .collect())
    }

    /// Longitude/latitude of Lambert-93 decimetre positions.
    ///
    /// # Errors
    /// When PROJ fails on a point.
    pub fn unproject(&self, points: &[Decimetres]) -> Result<Vec<Coord<f64>>, SynthError> {
        if points.is_empty() {
            return Ok(Vec::new());
        }
        let mut xs: Vec<f64> = points.iter().map(|p| p.x as f64 / 10.0).collect();
        let mut ys: Vec<f64> = points.iter().map(|p| p.y as f64 / 10.0).collect();
        self.inverse
            .transform_coords(&mut xs, &mut ys, &mut [])
            .map_err(|e| projection_error(&e))?;
        Ok(xs.iter().zip(&ys).map(|(&x, &y)| Coord { x, y }).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lens_round_trips_to_the_decimetre() {
        let l93 = Lambert93::new().unwrap();
        let lens = Coord {
            x: 2.8319,
            y: 50.4322,
        };
        let p = l93.project(&[lens]).unwrap();
        // Lens is about 688 km east, 7037 km north in Lambert-93.
        assert!((6_870_000..6_890_000).contains(&p[0].x), "{p:?}");
        assert!((70_340_000..70_380_000).contains(&p[0].y), "{p:?}");
        let back = l93.unproject(&p).unwrap();
        assert!((back[0].x - lens.x).abs() < 2e-6 && (back[0].y - lens.y).abs() < 2e-6);
    }

    #[test]
    fn origin_maps_to_false_easting_and_northing() {
        let l93 = Lambert93::new().unwrap();
        let p = l93.project(&[Coord { x: 3.0, y: 46.5 }]).unwrap();
        assert_eq!(
            p[0],
            Decimetres {
                x: 7_000_000,
                y: 66_000_000
            }
        );
        assert!(l93.project(&[]).unwrap().is_empty());
    }
}
