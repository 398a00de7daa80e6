//! Coordinate reference systems through GDAL's OSR.
//!
//! Every spatial reference built here uses the traditional GIS axis order (x = easting or
//! longitude, y = northing or latitude), whatever the authority says: GDAL 3 would otherwise give
//! EPSG:4326 as (lat, lon).

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

/// Builds a spatial reference from a definition GDAL understands (`EPSG:2154`, WKT, PROJ string).
///
/// # Errors
/// When GDAL does not know the definition.
pub fn spatial_ref(definition: &str) -> Result<SpatialRef, gdal::errors::GdalError> {
    let mut srs = SpatialRef::from_definition(definition)?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// WGS84 longitude/latitude (EPSG:4326 in x = lon, y = lat order; the same as OGC CRS84).
///
/// # Errors
/// Only when GDAL's PROJ database is missing.
pub fn wgs84() -> Result<SpatialRef, gdal::errors::GdalError> {
    spatial_ref("EPSG:4326")
}

/// Builds the transformation from `source` to WGS84 longitude/latitude.
///
/// # Errors
/// When PROJ knows no path between the two systems.
pub fn to_wgs84(source: &SpatialRef) -> Result<CoordTransform, gdal::errors::GdalError> {
    let mut source = source.clone();
    source.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&source, &wgs84()?)
}

/// Checks that GDAL knows a CRS definition; the error says which definition and why.
///
/// # Errors
/// A sentence naming the definition, for a configuration error.
pub fn validate(definition: &str) -> Result<(), String> {
    match spatial_ref(definition) {
        Ok(srs) => to_wgs84(&srs).map(|_| ()).map_err(|e| {
            format!(
                "{definition:?} cannot be transformed to WGS84: {}",
                crate::gdal_message(&e)
            )
        }),
        Err(e) => Err(format!(
            "{definition:?} is not a CRS GDAL knows: {}",
            crate::gdal_message(&e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_origin_is_3e_46_5n() {
        let t = to_wgs84(&spatial_ref("EPSG:2154").unwrap()).unwrap();
        let (mut x, mut y, mut z) = ([700_000.0], [6_600_000.0], [0.0]);
        t.transform_coords(&mut x, &mut y, &mut z).unwrap();
        assert!((x[0] - 3.0).abs() < 1e-9, "{}", x[0]);
        assert!((y[0] - 46.5).abs() < 1e-9, "{}", y[0]);
    }

    #[test]
    fn unknown_epsg_is_rejected_with_its_name() {
        let err = validate("EPSG:999999").unwrap_err();
        assert!(err.contains("EPSG:999999"), "{err}");
        assert!(validate("EPSG:2154").is_ok());
        assert!(validate("not a crs").is_err());
    }
}
