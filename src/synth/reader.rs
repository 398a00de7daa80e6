//! Reading vector files through GDAL/OGR for the generator: gzip files through `/vsigzip/`
//! after checking them whole, CSV with type detection off (INSEE codes keep their leading zeros),
//! columns looked up by name, every failure a [`SynthError`] naming the file.

use std::path::{Path, PathBuf};

use gdal::vector::LayerAccess;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use super::error::SynthError;
use crate::layer::GdalMessage;

/// Opens a vector file read-only; `.gz` files through `/vsigzip/` once checked whole (GDAL
/// reads a truncated gzip file up to the damage without failing), CSV without type detection.
pub(super) fn open(path: &Path) -> Result<Dataset, SynthError> {
    if !path.is_file() {
        return Err(SynthError::MissingInput {
            path: path.to_owned(),
        });
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let name = path.to_string_lossy().to_ascii_lowercase();
    let gdal_path: PathBuf = if name.ends_with(".gz") {
        check_gzip(path)?;
        PathBuf::from(format!("/vsigzip/{}", absolute.display()))
    } else {
        absolute
    };
    let csv = name.ends_with(".csv") || name.ends_with(".csv.gz");
    let csv_options = ["AUTODETECT_TYPE=NO", "EMPTY_STRING_AS_NULL=YES"];
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        open_options: csv.then_some(&csv_options[..]),
        ..Default::default()
    };
    Dataset::open_ex(&gdal_path, options).map_err(|e| SynthError::Open {
        path: path.to_owned(),
        source: GdalMessage::from(&e),
    })
}

/// [`crate::layer::check_gzip`], its failure a [`SynthError::Corrupt`] naming the file.
fn check_gzip(path: &Path) -> Result<(), SynthError> {
    crate::layer::check_gzip(path).map_err(|source| SynthError::Corrupt {
        path: path.to_owned(),
        source,
    })
}

/// Reads the named columns of a table's single layer as text, calling `row` with the 1-based
/// row number and the values (`None` for empty cells).
///
/// # Errors
/// When the file cannot be opened, lacks a column, or `row` fails.
pub(super) fn read_table<const N: usize>(
    path: &Path,
    columns: [&str; N],
    mut row: impl FnMut(usize, [Option<String>; N]) -> Result<(), SynthError>,
) -> Result<(), SynthError> {
    let dataset = open(path)?;
    let mut layer = dataset.layer(0).map_err(|e| SynthError::Open {
        path: path.to_owned(),
        source: GdalMessage::from(&e),
    })?;
    let indexes = column_indexes(&layer, path, columns)?;
    for (n, feature) in layer.features().enumerate() {
        let values = indexes.map(|i| feature.field_as_string(i).ok().flatten());
        row(n + 1, values)?;
    }
    Ok(())
}

/// Positions of the named columns in a layer.
///
/// # Errors
/// The first column the layer lacks.
pub(super) fn column_indexes<const N: usize>(
    layer: &gdal::vector::Layer<'_>,
    path: &Path,
    columns: [&str; N],
) -> Result<[usize; N], SynthError> {
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let mut out = [0; N];
    for (slot, column) in out.iter_mut().zip(columns) {
        *slot =
            names
                .iter()
                .position(|n| n == column)
                .ok_or_else(|| SynthError::MissingColumn {
                    path: path.to_owned(),
                    column: column.to_owned(),
                })?;
    }
    Ok(out)
}

/// A [`SynthError::BadValue`].
pub(super) fn bad(
    path: &Path,
    row: usize,
    column: &str,
    value: &str,
    expected: &'static str,
) -> SynthError {
    SynthError::BadValue {
        path: path.to_owned(),
        row,
        column: column.to_owned(),
        value: value.to_owned(),
        expected,
    }
}
