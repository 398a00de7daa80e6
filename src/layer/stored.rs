//! The stored form of loaded layers and shared readings, for the prepared-catalogue cache
//! ([`crate::cache`]): everything a load computes, in a compact binary encoding (bincode 1,
//! fixed-width little-endian integers), and back.
//!
//! A layer is stored as a sequence of values written one after the other — schema, geometries,
//! columns, R-tree, bounds, geometry kind, report, search index, label points — and read back in
//! the same order (`write_layer` and `read_layer` must change together; the round trip is
//! tested). Its configuration is not stored: it is read again from the TOML file.
//!
//! What a layer shares with the other views of its source ([`super::SharedRead`]) is stored once,
//! with the shared reading: a layer names the shared geometries and columns it holds, and reading
//! it back takes them from the same shared reading, so the layers of a source keep one copy.
//! Geometries are WGS84 longitude/latitude; zoom bands and prepared polygons as computed at load.

use std::sync::Arc;

use bincode::Options;
use geo::{Coord, Geometry};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::shared::SharedRead;
use super::table::{Column, Table};
use super::{
    Geometries, GeometryKind, Layer, LoadReport, Prepared, PreparedCells, Property, Pyramid,
};
use crate::bbox::BboxWgs84;
use crate::config::LayerConfig;
use crate::index::SpatialIndex;
use crate::search::SearchIndex;

/// Why stored bytes could not be turned back into a layer.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    /// The bytes do not decode.
    #[error("cannot decode the stored data")]
    Decode(#[source] bincode::Error),
    /// They decode to something inconsistent.
    #[error("inconsistent stored data: {0}")]
    Inconsistent(&'static str),
}

/// Bincode with fixed-width little-endian integers: larger than varints, faster to read.
type Encoding =
    bincode::config::WithOtherIntEncoding<bincode::DefaultOptions, bincode::config::FixintEncoding>;

fn options() -> Encoding {
    bincode::DefaultOptions::new().with_fixint_encoding()
}

/// Appends values to a buffer.
struct Writer<W: std::io::Write> {
    out: bincode::Serializer<W, Encoding>,
}

impl<W: std::io::Write> Writer<W> {
    fn new(out: W) -> Self {
        Self {
            out: bincode::Serializer::new(out, options()),
        }
    }

    fn put<T: Serialize + ?Sized>(&mut self, value: &T) -> std::io::Result<()> {
        value.serialize(&mut self.out).map_err(|e| match *e {
            bincode::ErrorKind::Io(e) => e,
            other => std::io::Error::other(other),
        })
    }
}

/// Reads values back in the order they were written.
struct Reader<'a> {
    input: bincode::Deserializer<bincode::de::read::SliceReader<'a>, Encoding>,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            input: bincode::Deserializer::from_slice(bytes, options()),
        }
    }

    fn take<T: DeserializeOwned>(&mut self) -> Result<T, StoredError> {
        T::deserialize(&mut self.input).map_err(StoredError::Decode)
    }
}

/// A column of a layer: one of its shared reading (by name), or its own.
#[derive(Serialize, Deserialize)]
enum StoredColumn<C> {
    Shared(String),
    Own(C),
}

/// Writes a layer; what it shares with `shared` is named, not copied.
///
/// # Errors
/// When `out` fails.
pub fn write_layer(
    layer: &Layer,
    shared: Option<&SharedRead>,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    let mut w = Writer::new(out);
    w.put(&layer.schema)?;
    let g = &layer.geometries;
    let same = shared.is_some_and(|s| {
        let s = &s.geometries;
        Arc::ptr_eq(&g.all, &s.all)
            && Arc::ptr_eq(&g.prepared, &s.prepared)
            && match (&g.pyramid, &s.pyramid) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    });
    w.put(&same)?;
    if !same {
        write_geometries(&mut w, g)?;
    }
    w.put(&g.rows.as_deref())?;
    let same_cells = shared.is_some_and(|s| Arc::ptr_eq(&g.cells, &s.geometries.cells));
    w.put(&same_cells)?;
    if !same_cells {
        w.put(g.cells.as_ref())?;
    }
    let columns: Vec<StoredColumn<&Column>> = layer
        .table
        .columns()
        .iter()
        .map(|c| {
            let name = shared.and_then(|s| {
                s.columns
                    .iter()
                    .find(|(_, sc)| Arc::ptr_eq(c, sc))
                    .map(|(name, _)| name.clone())
            });
            match name {
                Some(name) => StoredColumn::Shared(name),
                None => StoredColumn::Own(c.as_ref()),
            }
        })
        .collect();
    w.put(&layer.table.rows())?;
    w.put(&columns)?;
    w.put(&layer.index)?;
    w.put(&layer.bounds)?;
    w.put(&layer.geometry_kind)?;
    w.put(&layer.report)?;
    w.put(&layer.search)?;
    w.put(&layer.label_points)
}

/// Reads a layer written by [`write_layer`] with the same shared reading.
///
/// # Errors
/// When the bytes do not decode, or name a shared reading or column that is not there.
pub fn read_layer(
    config: &LayerConfig,
    shared: Option<&SharedRead>,
    bytes: &[u8],
) -> Result<Layer, StoredError> {
    let mut r = Reader::new(bytes);
    let schema: Vec<Property> = r.take()?;
    let missing = StoredError::Inconsistent("the layer shares a source that is not there");
    let mut geometries = if r.take::<bool>()? {
        let s = shared.ok_or(missing)?;
        Geometries {
            cells: Arc::default(),
            ..s.geometries.clone()
        }
    } else {
        read_geometries(&mut r)?
    };
    geometries.rows = r.take::<Option<Vec<u32>>>()?.map(Arc::from);
    geometries.cells = if r.take::<bool>()? {
        let s = shared.ok_or(StoredError::Inconsistent(
            "cells of a missing shared source",
        ))?;
        s.geometries.cells.clone()
    } else {
        Arc::new(r.take::<PreparedCells>()?)
    };
    if geometries
        .rows
        .as_ref()
        .is_some_and(|rows| rows.iter().any(|&i| i as usize >= geometries.all.len()))
    {
        return Err(StoredError::Inconsistent(
            "a feature past the shared geometries",
        ));
    }
    let rows: usize = r.take()?;
    let columns =
        r.take::<Vec<StoredColumn<Column>>>()?
            .into_iter()
            .map(|c| match c {
                StoredColumn::Own(c) => Ok(Arc::new(c)),
                StoredColumn::Shared(name) => {
                    shared.and_then(|s| s.columns.get(&name).cloned()).ok_or(
                        StoredError::Inconsistent("a shared column that is not there"),
                    )
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
    let table = Table::from_columns(rows, columns).ok_or(StoredError::Inconsistent(
        "a column of another length than the table",
    ))?;
    if table.rows() != geometries.len() || table.width() != schema.len() {
        return Err(StoredError::Inconsistent(
            "the table does not match the geometries or the schema",
        ));
    }
    let index: SpatialIndex = r.take()?;
    let bounds: Option<BboxWgs84> = r.take()?;
    let geometry_kind: GeometryKind = r.take()?;
    let report: LoadReport = r.take()?;
    let search: Option<SearchIndex> = r.take()?;
    let label_points: Vec<Option<Coord<f64>>> = r.take()?;
    Ok(Layer {
        config: config.clone(),
        schema,
        geometries,
        table,
        index,
        bounds,
        geometry_kind,
        report,
        search,
        label_points,
    })
}

/// Geometries as stored: points as one block of coordinates (a million residences decode in
/// one pass), anything else one by one.
#[derive(Serialize, Deserialize)]
enum StoredGeometries<G> {
    Points(#[serde(with = "super::le")] Vec<f64>),
    Any(G),
}

fn write_geometries<W: std::io::Write>(w: &mut Writer<W>, g: &Geometries) -> std::io::Result<()> {
    let points: Option<Vec<f64>> = g
        .all
        .iter()
        .map(|g| match g {
            Geometry::Point(p) => Some([p.x(), p.y()]),
            _ => None,
        })
        .collect::<Option<Vec<[f64; 2]>>>()
        .map(|xy| xy.into_iter().flatten().collect());
    match points {
        Some(xy) => w.put(&StoredGeometries::<()>::Points(xy))?,
        None => w.put(&StoredGeometries::Any(g.all.as_slice()))?,
    }
    w.put(&g.pyramid.as_deref())?;
    w.put(g.prepared.as_ref())
}

/// The geometries, zoom bands and prepared polygons written by `write_geometries` (no
/// selection, no cells).
fn read_geometries(r: &mut Reader<'_>) -> Result<Geometries, StoredError> {
    let all: Vec<Geometry<f64>> = match r.take::<StoredGeometries<Vec<Geometry<f64>>>>()? {
        StoredGeometries::Points(xy) if xy.len() % 2 != 0 => {
            return Err(StoredError::Inconsistent(
                "an odd number of point coordinates",
            ))
        }
        StoredGeometries::Points(xy) => xy
            .chunks_exact(2)
            .map(|c| Geometry::Point(geo::Point::new(c[0], c[1])))
            .collect(),
        StoredGeometries::Any(all) => all,
    };
    let pyramid: Option<Pyramid> = r.take()?;
    let prepared: Prepared = r.take()?;
    Ok(Geometries {
        all: Arc::new(all),
        rows: None,
        pyramid: pyramid.map(Arc::new),
        prepared: Arc::new(prepared),
        cells: Arc::default(),
    })
}

/// Writes a shared reading: its geometries (with their zoom bands, prepared polygons and cells),
/// its columns and its report.
///
/// # Errors
/// When `out` fails.
pub fn write_shared(read: &SharedRead, out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = Writer::new(out);
    write_geometries(&mut w, &read.geometries)?;
    w.put(&read.geometries.rows.as_deref())?;
    w.put(read.geometries.cells.as_ref())?;
    let mut columns: Vec<(&String, &Column)> =
        read.columns.iter().map(|(n, c)| (n, c.as_ref())).collect();
    columns.sort_by(|a, b| a.0.cmp(b.0));
    w.put(&columns)?;
    w.put(&read.report)
}

/// Reads a shared reading written by [`write_shared`], marked as cached.
///
/// # Errors
/// When the bytes do not decode.
pub fn read_shared(bytes: &[u8]) -> Result<SharedRead, StoredError> {
    let mut r = Reader::new(bytes);
    let mut geometries = read_geometries(&mut r)?;
    geometries.rows = r.take::<Option<Vec<u32>>>()?.map(Arc::from);
    geometries.cells = Arc::new(r.take::<PreparedCells>()?);
    let columns: Vec<(String, Column)> = r.take()?;
    if columns.iter().any(|(_, c)| c.len() != geometries.len()) {
        return Err(StoredError::Inconsistent(
            "a shared column of another length",
        ));
    }
    let report: LoadReport = r.take()?;
    Ok(SharedRead {
        geometries,
        columns: columns.into_iter().map(|(n, c)| (n, Arc::new(c))).collect(),
        report,
        cached: true,
    })
}
