//! A perimeter sent by a user — GeoJSON, a zipped Shapefile or a GeoPackage, in any CRS — read
//! through GDAL's in-memory file system into one WGS84 multipolygon.
//!
//! An upload is untrusted: it is checked before GDAL sees it and read within [`UploadLimits`].
//! - Each format opens with its own driver only: an OGR VRT (or any driver that follows a path
//!   or URL written in the file) would read what the server can reach.
//! - A zip is read by [`zip`], not by GDAL: its central directory is checked (Shapefile parts
//!   with plain names, their sizes within the cap) before anything is inflated.
//! - GeoJSON is scanned by [`geojson`] first: a CRS given as a link, which GDAL would fetch, is
//!   refused, and features and positions are counted before GDAL builds the document.
//! - A GeoPackage's schema is read by [`sqlite`] first: no view, generated column or virtual
//!   table (but spatial indexes), since SQLite would run their SQL or code as GDAL reads.
//! - Features and vertices are counted from the OGR geometries, stopping at the first feature
//!   over a cap, before anything is copied, reprojected or converted.
//!
//! Messages are plain English for the client and never carry GDAL's own, which can name
//! `/vsimem/` or server paths; GDAL's detail goes to `tracing::debug!`.

mod geojson;
mod sqlite;
mod zip;

use std::sync::atomic::{AtomicU64, Ordering};

use gdal::vector::{Geometry, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{Coord, CoordsIter, MultiPolygon};

pub use zip::MAX_ENTRIES as MAX_ZIP_ENTRIES;

/// The caps on one upload. An upload is read in memory on a CPU permit, so each cap bounds what
/// one request can cost; the defaults leave a wide margin over real perimeters (an ORT or a
/// commune outline is a few thousand vertices, an EPCI tens of thousands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest request body, in bytes. Default 20 MiB: about a million positions of GeoJSON,
    /// which GDAL parses into about 25 times as much memory (~500 MB) before the first feature.
    pub max_bytes: usize,
    /// Largest total of a zip's files once inflated, in bytes, read from its central directory
    /// before anything is inflated; the parts are inflated in memory, so this is also the memory
    /// a zip costs. Default 100 MiB: the `.shp` of `max_vertices` takes 16 MB, leaving room for
    /// a wide `.dbf` (10 000 rows of 8 KB).
    pub max_uncompressed_bytes: u64,
    /// Most features. Default 10 000: a perimeter is a few polygons; the parcels of a town
    /// centre are a few thousand.
    pub max_features: usize,
    /// Most vertices over all features. Default 1 000 000: matches what `max_bytes` of GeoJSON
    /// holds; the analysis tests every commune in the perimeter's bounds against every vertex.
    pub max_vertices: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_bytes: 20 << 20,
            max_uncompressed_bytes: 100 << 20,
            max_features: 10_000,
            max_vertices: 1_000_000,
        }
    }
}

impl UploadLimits {
    /// The refusal of a body over [`UploadLimits::max_bytes`].
    pub fn body_too_large(&self) -> UploadError {
        UploadError::TooLarge(format!(
            "the perimeter is larger than {} (limit max_bytes = {})",
            mib(self.max_bytes as u64),
            self.max_bytes
        ))
    }
}

fn too_many_features(limits: &UploadLimits) -> UploadError {
    UploadError::TooLarge(format!(
        "the file has more than {0} features (limit max_features = {0})",
        limits.max_features
    ))
}

fn too_many_vertices(limits: &UploadLimits) -> UploadError {
    UploadError::TooLarge(format!(
        "the perimeter has more than {0} vertices (limit max_vertices = {0})",
        limits.max_vertices
    ))
}

/// A size in whole MiB when it is one, else in bytes.
fn mib(bytes: u64) -> String {
    if bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Why an upload cannot be used, by kind; the message says what is wrong, in plain English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// Over one of the [`UploadLimits`] (or [`MAX_ZIP_ENTRIES`]); the message names the cap
    /// and its value.
    #[error("{0}")]
    TooLarge(String),
    /// What the server does not open: another content type, a zip entry that is not a
    /// Shapefile part or has an unsafe name, a linked CRS, a GeoPackage view.
    #[error("{0}")]
    Refused(String),
    /// Not a file of the declared format, or a damaged one.
    #[error("{0}")]
    Unreadable(String),
    /// A readable file that gives no perimeter: no polygon, no CRS, an unknown CRS,
    /// coordinates outside the CRS.
    #[error("{0}")]
    Unusable(String),
}

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
            other => Err(UploadError::Refused(format!(
                "Content-Type {other:?} is not accepted: send GeoJSON (application/geo+json), a zipped Shapefile (application/zip) or a GeoPackage (application/geopackage+sqlite3)"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::ZippedShapefile => "Shapefile",
            Format::GeoPackage => "GeoPackage",
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Files of one upload in `/vsimem/`, removed when dropped.
struct MemFiles(Vec<String>);

impl MemFiles {
    fn add(&mut self, path: String, mut bytes: Vec<u8>) -> Result<(), UploadError> {
        // GDAL takes the buffer and frees it on unlink: an empty Vec's dangling pointer would
        // crash it (found by fuzzing), so an empty file gets a real allocation.
        if bytes.capacity() == 0 {
            bytes.reserve_exact(1);
        }
        gdal::vsi::create_mem_file(&path, bytes).map_err(|e| {
            tracing::debug!(error = %crate::gdal_message(&e), "upload: cannot create {path}");
            UploadError::Unreadable(
                "the file cannot be read: it cannot be stored for reading".into(),
            )
        })?;
        self.0.push(path);
        Ok(())
    }
}

impl Drop for MemFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = gdal::vsi::unlink_mem_file(path);
        }
    }
}

/// Reads the polygons of an upload into WGS84; `crs` (a definition GDAL knows) overrides the
/// file's own CRS (GeoJSON without one is CRS84).
///
/// # Errors
/// See [`UploadError`]: a file over a cap, refused, unreadable or without a usable polygon.
///
/// # Cost
/// Bounded by `limits`: a zip is inflated in memory (`max_uncompressed_bytes` at most), and
/// reading stops at the first feature over `max_features` or `max_vertices`.
pub fn read(
    bytes: Vec<u8>,
    format: Format,
    crs: Option<&str>,
    limits: &UploadLimits,
) -> Result<MultiPolygon<f64>, UploadError> {
    if bytes.len() > limits.max_bytes {
        return Err(limits.body_too_large());
    }
    crate::init_gdal();
    if bytes.is_empty() {
        return Err(UploadError::Unreadable("the file is empty".into()));
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut files = MemFiles(Vec::new());
    let path = match format {
        Format::GeoJson => {
            geojson::check(&bytes, limits)?;
            let path = format!("/vsimem/bourg-upload/{n}.geojson");
            files.add(path.clone(), bytes)?;
            path
        }
        Format::GeoPackage => {
            sqlite::check(&bytes)?;
            let path = format!("/vsimem/bourg-upload/{n}.gpkg");
            files.add(path.clone(), bytes)?;
            path
        }
        Format::ZippedShapefile => {
            let parts = zip::shapefile_parts(&bytes, limits)?;
            drop(bytes);
            let mut shp = None;
            for part in parts {
                let path = format!("/vsimem/bourg-upload/{n}/{}", part.name);
                shp.get_or_insert_with(|| path.clone());
                files.add(path, part.data)?;
            }
            shp.ok_or_else(|| UploadError::Unusable("the zip holds no .shp".into()))?
        }
    };
    read_dataset(&path, format, crs, limits)
}

fn read_dataset(
    path: &str,
    format: Format,
    crs: Option<&str>,
    limits: &UploadLimits,
) -> Result<MultiPolygon<f64>, UploadError> {
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
    let dataset = Dataset::open_ex(path, options).map_err(|e| {
        tracing::debug!(error = %crate::gdal_message(&e), "upload: GDAL cannot open it");
        UploadError::Unreadable(match format {
            Format::GeoJson => "the file cannot be read: it is not valid GeoJSON".to_owned(),
            Format::ZippedShapefile => {
                "the file cannot be read: the Shapefile in the zip is not valid".to_owned()
            }
            Format::GeoPackage => {
                "the file cannot be read: it is not a valid GeoPackage".to_owned()
            }
        })
    })?;
    let mut layer = dataset.layer(0).map_err(|_| {
        UploadError::Unusable(match format {
            Format::GeoPackage => "the GeoPackage holds no vector table".to_owned(),
            _ => "the file holds no vector layer".to_owned(),
        })
    })?;
    let srs =
        match crs {
            // GDAL takes a file name or a URL as a definition too: only EPSG codes reach it.
            Some(def) if !is_epsg_code(def) => {
                return Err(UploadError::Refused(format!(
                    "crs {def:?} is not an EPSG code such as EPSG:2154"
                )))
            }
            Some(def) => crate::crs::spatial_ref(def).map_err(|e| {
                tracing::debug!(error = %crate::gdal_message(&e), "upload: crs {def:?}");
                UploadError::Unusable(format!("crs {def:?} is not a known CRS"))
            })?,
            None => match layer.spatial_ref() {
                Some(s) => s,
                None if format == Format::GeoJson => crate::crs::wgs84().map_err(|e| {
                    tracing::debug!(error = %crate::gdal_message(&e), "upload: WGS84");
                    UploadError::Unusable("WGS84 is not available on this server".into())
                })?,
                None => return Err(UploadError::Unusable(
                    "the file has no CRS (a Shapefile needs its .prj): set crs, e.g. crs=EPSG:2154"
                        .into(),
                )),
            },
        };
    let transform = crate::crs::to_wgs84(&srs).map_err(|e| {
        tracing::debug!(error = %crate::gdal_message(&e), "upload: transformation to WGS84");
        UploadError::Unusable("the file's CRS cannot be transformed to WGS84".into())
    })?;
    let mut polygons = Vec::new();
    let mut vertices = 0usize;
    for (i, feature) in layer.features().enumerate() {
        if i >= limits.max_features {
            return Err(too_many_features(limits));
        }
        let Some(g) = feature.geometry() else {
            continue;
        };
        vertices = vertices.saturating_add(vertex_count(g));
        if vertices > limits.max_vertices {
            return Err(too_many_vertices(limits));
        }
        let mut g = g.clone();
        g.transform_inplace(&transform).map_err(|e| {
            tracing::debug!(error = %crate::gdal_message(&e), "upload: reprojection");
            UploadError::Unusable(
                "a geometry cannot be reprojected to WGS84 from the file's CRS".into(),
            )
        })?;
        match g.to_geo() {
            Ok(geo::Geometry::Polygon(p)) => polygons.push(p),
            Ok(geo::Geometry::MultiPolygon(mp)) => polygons.extend(mp.0),
            Ok(_) => {
                return Err(UploadError::Unusable(
                    "only polygons describe a territory; the file holds another geometry type"
                        .into(),
                ))
            }
            Err(e) => {
                tracing::debug!(error = %crate::gdal_message(&e), "upload: conversion");
                return Err(UploadError::Unusable(format!(
                    "a {} geometry is not supported: send polygons",
                    g.geometry_name()
                )));
            }
        }
    }
    if polygons.is_empty() {
        return Err(UploadError::Unusable(format!(
            "the {} holds no polygon",
            format.name()
        )));
    }
    let mp = MultiPolygon(polygons);
    let out_of_range = |c: Coord<f64>| {
        !(c.x.is_finite()
            && c.y.is_finite()
            && (-180.0..=180.0).contains(&c.x)
            && (-90.0..=90.0).contains(&c.y))
    };
    if let Some(c) = mp.coords_iter().find(|c| out_of_range(*c)) {
        return Err(UploadError::Unusable(format!(
            "coordinate ({}, {}) is not a longitude/latitude once reprojected: is the CRS right? (Lambert-93 coordinates need crs=EPSG:2154)",
            c.x, c.y
        )));
    }
    Ok(mp)
}

/// `EPSG:` and 1 to 6 digits.
fn is_epsg_code(def: &str) -> bool {
    def.strip_prefix("EPSG:")
        .is_some_and(|n| (1..=6).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The vertices of an OGR geometry, from the point counts of its rings and lines: nothing is
/// copied.
///
/// # Runtime
/// O(parts), not O(vertices).
fn vertex_count(g: &Geometry) -> usize {
    match g.geometry_count() {
        0 => g.point_count(),
        n => (0..n).map(|i| vertex_count(&g.get_geometry(i))).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/fuzz_targets/upload.rs`: gdal 0.19's `create_mem_file` gives GDAL the
    /// dangling pointer of an empty `Vec` with ownership, and GDAL frees it on unlink (SIGSEGV).
    #[test]
    fn fuzz_upload_empty_body() {
        for format in [Format::GeoJson, Format::ZippedShapefile, Format::GeoPackage] {
            let err = read(Vec::new(), format, None, &UploadLimits::default()).unwrap_err();
            assert_eq!(err.to_string(), "the file is empty");
        }
    }

    /// Found by fuzzing (`layer_toml`, then tried here): GDAL reads a CRS definition from a file
    /// name or a URL; an upload's `crs` may only be an EPSG code.
    #[test]
    fn an_upload_crs_is_never_a_path_or_url() {
        let prj = std::env::temp_dir().join(format!("bourg-l93-{}.prj", std::process::id()));
        std::fs::write(
            &prj,
            crate::crs::spatial_ref("EPSG:2154")
                .unwrap()
                .to_wkt()
                .unwrap(),
        )
        .unwrap();
        let polygon = br#"{"type":"Polygon","coordinates":[[[650000,7030000],[651000,7030000],[651000,7031000],[650000,7030000]]]}"#;
        for crs in [
            prj.to_str().unwrap(),
            "/etc/passwd",
            "http://127.0.0.1:9/crs",
            "EPSG:2154 +nadgrids=/etc/passwd",
            "+proj=longlat",
        ] {
            let err = read(
                polygon.to_vec(),
                Format::GeoJson,
                Some(crs),
                &UploadLimits::default(),
            )
            .unwrap_err();
            assert!(matches!(err, UploadError::Refused(_)), "{crs}: {err}");
        }
        let _ = std::fs::remove_file(&prj);
        let ok = read(
            polygon.to_vec(),
            Format::GeoJson,
            Some("EPSG:2154"),
            &UploadLimits::default(),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    /// The same through a zip: an empty part (a `.cpg`, a `.prj`) is stored without handing
    /// GDAL a dangling pointer.
    #[test]
    fn an_empty_part_is_stored_safely() {
        let mut files = MemFiles(Vec::new());
        files
            .add("/vsimem/bourg-upload/test-empty.cpg".into(), Vec::new())
            .unwrap();
        drop(files);
    }
}
