//! A perimeter sent by a user — GeoJSON, a zipped Shapefile or a GeoPackage, in any CRS — read
//! through GDAL's in-memory file system into one WGS84 multipolygon.

use std::sync::atomic::{AtomicU64, Ordering};

use gdal::vector::LayerAccess;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{Coord, CoordsIter, MultiPolygon};

/// Why an upload cannot be used; the message is for the client (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UploadError(pub String);

/// The formats accepted, from the request's content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    ZippedShapefile,
    GeoPackage,
}

impl Format {
    /// The format of a `Content-Type`.
    ///
    /// # Errors
    /// Any other type.
    pub fn of(content_type: &str) -> Result<Self, UploadError> {
        let t = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match t.as_str() {
            "application/geo+json" | "application/json" => Ok(Format::GeoJson),
            "application/zip" | "application/x-zip-compressed" => Ok(Format::ZippedShapefile),
            "application/geopackage+sqlite3" | "application/x-sqlite3" => Ok(Format::GeoPackage),
            other => Err(UploadError(format!(
                "Content-Type {other:?} is not accepted: send GeoJSON (application/geo+json), a zipped Shapefile (application/zip) or a GeoPackage (application/geopackage+sqlite3)"
            ))),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Reads the polygons of an upload into WGS84; `crs` (a definition GDAL knows) overrides the
/// file's own CRS (GeoJSON without one is CRS84).
///
/// # Errors
/// An unreadable file, no polygon, no CRS, or coordinates that are not where the CRS says.
pub fn read(
    bytes: Vec<u8>,
    format: Format,
    crs: Option<&str>,
) -> Result<MultiPolygon<f64>, UploadError> {
    crate::init_gdal();
    // An empty Vec's dangling pointer would reach GDAL, which frees it on unlink.
    if bytes.is_empty() {
        return Err(UploadError("the file is empty".into()));
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let ext = match format {
        Format::GeoJson => "geojson",
        Format::ZippedShapefile => "zip",
        Format::GeoPackage => "gpkg",
    };
    let mem = format!("/vsimem/bourg-upload/{n}.{ext}");
    gdal::vsi::create_mem_file(&mem, bytes).map_err(|e| UploadError(crate::gdal_message(&e)))?;
    let result = read_mem(&mem, format, crs);
    let _ = gdal::vsi::unlink_mem_file(&mem);
    result
}

fn read_mem(
    mem: &str,
    format: Format,
    crs: Option<&str>,
) -> Result<MultiPolygon<f64>, UploadError> {
    let path = if format == Format::ZippedShapefile {
        format!("/vsizip/{mem}")
    } else {
        mem.to_owned()
    };
    // Only the declared format's own driver: GDAL would otherwise pick one by content, and an OGR
    // VRT (or any driver that follows a path or URL written in the file) would read what the
    // server can reach instead of what was uploaded.
    let driver: &[&str] = match format {
        Format::GeoJson => &["GeoJSON"],
        Format::ZippedShapefile => &["ESRI Shapefile"],
        Format::GeoPackage => &["GPKG"],
    };
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        allowed_drivers: Some(driver),
        ..Default::default()
    };
    let dataset = Dataset::open_ex(&path, options).map_err(|e| {
        UploadError(format!(
            "the file cannot be read as {format:?}: {}",
            crate::gdal_message(&e)
        ))
    })?;
    let mut layer = dataset
        .layer(0)
        .map_err(|_| UploadError("the file holds no vector layer".into()))?;
    let srs =
        match crs {
            Some(def) => crate::crs::spatial_ref(def)
                .map_err(|e| UploadError(format!("crs {def:?}: {}", crate::gdal_message(&e))))?,
            None => match layer.spatial_ref() {
                Some(s) => s,
                None if format == Format::GeoJson => {
                    crate::crs::wgs84().map_err(|e| UploadError(crate::gdal_message(&e)))?
                }
                None => return Err(UploadError(
                    "the file has no CRS (a Shapefile needs its .prj): set crs, e.g. crs=EPSG:2154"
                        .into(),
                )),
            },
        };
    let transform = crate::crs::to_wgs84(&srs).map_err(|e| {
        UploadError(format!(
            "its CRS cannot be transformed to WGS84: {}",
            crate::gdal_message(&e)
        ))
    })?;
    let mut polygons = Vec::new();
    for feature in layer.features() {
        let Some(g) = feature.geometry() else {
            continue;
        };
        let mut g = g.clone();
        g.transform_inplace(&transform).map_err(|e| {
            UploadError(format!(
                "a geometry cannot be reprojected: {}",
                crate::gdal_message(&e)
            ))
        })?;
        match g.to_geo() {
            Ok(geo::Geometry::Polygon(p)) => polygons.push(p),
            Ok(geo::Geometry::MultiPolygon(mp)) => polygons.extend(mp.0),
            Ok(_) => {
                return Err(UploadError(
                    "only polygons describe a territory; the file holds another geometry type"
                        .into(),
                ))
            }
            Err(e) => {
                return Err(UploadError(format!(
                    "unsupported geometry: {}",
                    crate::gdal_message(&e)
                )))
            }
        }
    }
    if polygons.is_empty() {
        return Err(UploadError("the file holds no polygon".into()));
    }
    let mp = MultiPolygon(polygons);
    let out_of_range = |c: Coord<f64>| {
        !(c.x.is_finite()
            && c.y.is_finite()
            && (-180.0..=180.0).contains(&c.x)
            && (-90.0..=90.0).contains(&c.y))
    };
    if let Some(c) = mp.coords_iter().find(|c| out_of_range(*c)) {
        return Err(UploadError(format!(
            "coordinate ({}, {}) is not a longitude/latitude once reprojected: is the CRS right? (Lambert-93 coordinates need crs=EPSG:2154)",
            c.x, c.y
        )));
    }
    Ok(mp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/fuzz_targets/upload.rs`: gdal 0.19's `create_mem_file` gives GDAL the
    /// dangling pointer of an empty `Vec` with ownership, and GDAL frees it on unlink (SIGSEGV).
    #[test]
    fn fuzz_upload_empty_body() {
        for format in [Format::GeoJson, Format::ZippedShapefile, Format::GeoPackage] {
            let err = read(Vec::new(), format, None).unwrap_err();
            assert_eq!(err.0, "the file is empty");
        }
    }
}
