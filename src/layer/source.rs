//! Opening a configured source through GDAL/OGR: CSV options and transcoding, layer choice,
//! column lookup. Shared by layer loading and table joins.
//!
//! CSV files are read with type detection off, so codes such as INSEE `01004` keep their
//! leading zeros; values are converted to the configured types afterwards. ISO-8859-1 files are
//! transcoded to UTF-8 in GDAL's in-memory file system before GDAL sees them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use gdal::vector::LayerAccess;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use crate::config::{Encoding, SourceConfig};

/// The message GDAL gave for a failure, as an error of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GdalMessage(pub String);

impl From<&gdal::errors::GdalError> for GdalMessage {
    fn from(e: &gdal::errors::GdalError) -> Self {
        GdalMessage(crate::gdal_message(e))
    }
}

/// Why a source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file does not exist.
    #[error("file not found")]
    NotFound,
    /// Loading it panicked: a bug of Bourg, with the panic's message.
    #[error("could not be loaded: the loader failed unexpectedly ({0}); please report it")]
    Panicked(String),
    /// The file cannot be read from disk.
    #[error("cannot be read")]
    Io(#[source] std::io::Error),
    /// A `.gz` file that does not decompress whole (truncated or corrupt).
    #[error("is not a whole gzip file")]
    Gzip(#[source] std::io::Error),
    /// GDAL cannot open the file (unknown format, truncated or corrupt content).
    #[error("cannot be opened by GDAL")]
    Open(#[source] GdalMessage),
    /// The dataset has no vector layer.
    #[error("holds no vector layer")]
    NoLayer,
    /// The configured OGR layer is not in the dataset.
    #[error("layer {name:?} not found (layers: {available})")]
    MissingLayer { name: String, available: String },
    /// Several layers and none chosen.
    #[error("holds several layers ({available}): set source.layer")]
    AmbiguousLayer { available: String },
    /// A configured column is not in the layer.
    #[error("column {name:?} not found (columns: {available})")]
    MissingColumn { name: String, available: String },
    /// No CRS in the file and none configured.
    #[error("has no CRS: set source.crs (e.g. \"EPSG:2154\")")]
    NoCrs,
    /// PROJ cannot transform the source CRS to WGS84.
    #[error("its CRS cannot be transformed to WGS84")]
    Transform(#[source] GdalMessage),
    /// The file's CRS or the configured one is not usable.
    #[error("CRS {0:?} is not usable")]
    Crs(String, #[source] GdalMessage),
    /// A `[totals]` layer names a layer that is not in the catalogue (or is not grouped).
    #[error("layer {0:?} is not a grouped layer of the catalogue")]
    UnknownLayer(String),
    /// A `[totals]` layer names a property the summed layer does not have.
    #[error("layer {layer:?} has no property {name:?} (properties: {available})")]
    MissingProperty {
        layer: String,
        name: String,
        available: String,
    },
    /// A `[totals]` sum names a property that is not a number.
    #[error("property {name:?} of layer {layer:?} is not a number")]
    NotNumeric { layer: String, name: String },
    /// The source, shared with other layers, could not be read.
    #[error("{0}")]
    Shared(std::sync::Arc<SourceError>),
    /// A reading thread stopped without an answer.
    #[error("could not be read: a reading thread failed")]
    Worker,
    /// More features than a `u32` position can address.
    #[error("holds more than {} features", u32::MAX)]
    TooManyFeatures,
}

/// A dataset opened from a source, with the in-memory copy it may rely on.
pub struct Opened {
    /// The GDAL dataset.
    pub dataset: Dataset,
    vsimem: Option<PathBuf>,
}

impl Drop for Opened {
    fn drop(&mut self) {
        if let Some(path) = self.vsimem.take() {
            // The dataset handle still points at the file; GDAL keeps the bytes until it closes.
            let _ = gdal::vsi::unlink_mem_file(&path);
        }
    }
}

impl Opened {
    /// The configured layer, or the only one.
    ///
    /// # Errors
    /// When the named layer is missing, or the dataset holds none or several without a name.
    pub fn layer(&self, name: Option<&str>) -> Result<gdal::vector::Layer<'_>, SourceError> {
        let names = || {
            self.dataset
                .layers()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            Some(name) => self
                .dataset
                .layer_by_name(name)
                .map_err(|_| SourceError::MissingLayer {
                    name: name.to_owned(),
                    available: names(),
                }),
            None => match self.dataset.layer_count() {
                0 => Err(SourceError::NoLayer),
                1 => self.dataset.layer(0).map_err(|_| SourceError::NoLayer),
                _ => Err(SourceError::AmbiguousLayer { available: names() }),
            },
        }
    }
}

static VSIMEM_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Opens a source read-only with the options its configuration implies.
///
/// # Errors
/// When the file is missing, unreadable, or not something GDAL can open as vector data.
pub fn open(source: &SourceConfig) -> Result<Opened, SourceError> {
    if !source.path.exists() {
        return Err(SourceError::NotFound);
    }
    let mut open_options: Vec<String> = Vec::new();
    let gzip = crate::config::is_gzip_path(&source.path);
    let mut path = if gzip {
        check_gzip(&source.path).map_err(SourceError::Gzip)?;
        let absolute = std::path::absolute(&source.path).unwrap_or_else(|_| source.path.clone());
        PathBuf::from(format!("/vsigzip/{}", absolute.display()))
    } else {
        source.path.clone()
    };
    let mut vsimem = None;
    if source.is_csv() {
        open_options.push("AUTODETECT_TYPE=NO".into());
        open_options.push("EMPTY_STRING_AS_NULL=YES".into());
        let separator = match source.delimiter {
            Some(';') => Some("SEMICOLON"),
            Some('\t') => Some("TAB"),
            Some(' ') => Some("SPACE"),
            Some('|') => Some("PIPE"),
            Some(',') => Some("COMMA"),
            _ => None,
        };
        if let Some(sep) = separator {
            open_options.push(format!("SEPARATOR={sep}"));
        }
        if source.encoding == Encoding::Latin1 {
            let bytes = if gzip {
                let mut bytes = Vec::new();
                let file = std::fs::File::open(&source.path).map_err(SourceError::Io)?;
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(file), &mut bytes)
                    .map_err(SourceError::Gzip)?;
                bytes
            } else {
                std::fs::read(&source.path).map_err(SourceError::Io)?
            };
            let text: String = bytes.iter().map(|&b| char::from(b)).collect();
            let n = VSIMEM_COUNTER.fetch_add(1, Ordering::Relaxed);
            let mem = PathBuf::from(format!("/vsimem/bourg/{n}.csv"));
            gdal::vsi::create_mem_file(&mem, text.into_bytes())
                .map_err(|e| SourceError::Open((&e).into()))?;
            path = mem.clone();
            vsimem = Some(mem);
        } else if !path
            .to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".csv")
        {
            path = PathBuf::from(format!("CSV:{}", path.display()));
        }
    }
    let option_refs: Vec<&str> = open_options.iter().map(String::as_str).collect();
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        open_options: (!option_refs.is_empty()).then_some(option_refs.as_slice()),
        ..Default::default()
    };
    let opened = Dataset::open_ex(&path, options);
    match opened {
        Ok(dataset) => Ok(Opened { dataset, vsimem }),
        Err(e) => {
            if let Some(mem) = &vsimem {
                let _ = gdal::vsi::unlink_mem_file(mem);
            }
            Err(SourceError::Open((&e).into()))
        }
    }
}

/// Decompresses a gzip file to nowhere, failing on any corruption or truncation: GDAL's
/// `/vsigzip/` reads a truncated file up to the damage without failing (about 50 ms for the
/// 13 MB national GeoJSON).
///
/// # Errors
/// When the file cannot be read or does not decompress whole.
pub fn check_gzip(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let mut decoder = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    std::io::copy(&mut decoder, &mut std::io::sink())?;
    Ok(())
}

/// A field of a row as trimmed text; empty when null or missing.
pub fn field_text(row: &gdal::vector::Feature<'_>, i: usize) -> String {
    row.field_as_string(i)
        .ok()
        .flatten()
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Index of each named column in a layer, in the order asked.
///
/// # Errors
/// The first name the layer does not have, with the columns it has.
pub fn column_indexes<'a>(
    layer: &gdal::vector::Layer<'_>,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<usize>, SourceError> {
    let columns: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    names
        .into_iter()
        .map(|name| {
            columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| SourceError::MissingColumn {
                    name: name.to_owned(),
                    available: abbreviate(&columns),
                })
        })
        .collect()
}

pub(super) fn abbreviate(names: &[String]) -> String {
    const SHOWN: usize = 25;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(", … {} more", names.len() - SHOWN));
    }
    if text.is_empty() {
        text.push_str("none");
    }
    text
}
