//! Why a synthetic run failed: bad arguments, unusable inputs, or output that cannot be written.
//!
//! Each variant names what the user has to fix (the département code, the file, the column);
//! the underlying cause (GDAL's message, the I/O error) is the `source`, never repeated in the text.

use std::path::PathBuf;

use crate::layer::GdalMessage;

/// An error of `bourg synth`.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Neither `--dep` nor `--france` was given.
    #[error("no département chosen: give --dep CODE (repeatable) or --france")]
    NoScope,
    /// A `--dep` code that is no metropolitan département of the commune file.
    #[error("--dep {code:?}: no commune of this département in {} (départements: {known})", path.display())]
    UnknownDepartement {
        /// The code as given.
        code: String,
        /// The national commune file searched.
        path: PathBuf,
        /// The known codes, abbreviated.
        known: String,
    },
    /// An overseas département: the RPLS coordinates are Lambert-93, defined for metropolitan
    /// France only.
    #[error("--dep {code}: overseas départements are not generated (the X/Y columns are Lambert-93, which covers metropolitan France only)")]
    Overseas {
        /// The code as given.
        code: String,
    },
    /// An input file is missing.
    #[error("{}: input file not found (run `python3 layers/data/extract.py` to rebuild layers/data)", path.display())]
    MissingInput {
        /// The file.
        path: PathBuf,
    },
    /// GDAL cannot open or read an input file.
    #[error("{}: cannot be read by GDAL", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// GDAL's message.
        #[source]
        source: GdalMessage,
    },
    /// A gzip input is corrupt or truncated (GDAL would read it only in part, silently).
    #[error("{}: not a complete gzip file", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decompression error.
        #[source]
        source: std::io::Error,
    },
    /// An input table lacks a column the generator reads.
    #[error("{}: column {column:?} not found", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A value of an input file cannot be used.
    #[error("{}: row {row}: {column} = {value:?} is not {expected}", path.display())]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based data row (or feature) number.
        row: usize,
        /// The column.
        column: String,
        /// The value found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A commune polygon that is no (multi)polygon or has no usable interior.
    #[error("{}: commune {code}: {reason}", path.display())]
    BadGeometry {
        /// The file.
        path: PathBuf,
        /// The commune.
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// The WGS84 ↔ Lambert-93 transformation cannot be built or applied.
    #[error("cannot reproject between WGS84 and Lambert-93 (EPSG:2154)")]
    Projection(#[source] GdalMessage),
    /// The output folder or a file in it cannot be created or written.
    #[error("{}: cannot write", path.display())]
    Write {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
