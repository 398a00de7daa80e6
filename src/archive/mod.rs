//! Tile archives: PMTiles v3 and MBTiles files of pre-rendered vector tiles, written by
//! `bourg export` ([`export`]) and served as archive layers ([`Archive`]).
//!
//! Tiles are stored gzip-compressed, as Martin and tippecanoe store them, and identical tiles
//! are stored once. Archives are written atomically ([`file`]): the output name only ever holds a
//! complete archive. Addresses are XYZ (y down) everywhere but in MBTiles' own rows, which are TMS
//! (y up) as its specification says; bounds and centres are WGS84 degrees.

pub mod export;
pub mod file;
mod mbtiles;
pub mod pmtiles;
mod reader;

use std::path::{Path, PathBuf};

use crate::bbox::BboxWgs84;
use crate::tile::TileCoord;

pub use export::{ExportError, Plan, Progress, Summary};
pub use reader::{bounds_of, Archive, StoredTile};

/// Why an archive cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The output exists and overwriting it was not asked for.
    #[error("{} exists: pass --force to overwrite it", .0.display())]
    Exists(PathBuf),
    /// The output path names a folder, not a file.
    #[error("{} is not a file name", .0.display())]
    NoFileName(PathBuf),
    /// A file operation failed.
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An archive layer's file cannot be served.
    #[error("archive layer {id}: {}: {reason}", path.display())]
    Invalid {
        id: String,
        path: PathBuf,
        reason: String,
    },
    /// SQLite refused an MBTiles operation.
    #[error("{what} in {}", path.display())]
    Sqlite {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

impl ArchiveError {
    pub(crate) fn io(path: &Path, what: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }
}

/// The origin (`scheme://host[:port]`) of an `http(s)://` URL; `None` for a path on this server
/// or a URL whose host holds characters an origin cannot.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| format!("{scheme}://{host}"))
}

/// The archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PMTiles version 3: one file, clustered, for HTTP range requests (CDNs, object storage).
    PmTiles,
    /// MBTiles 1.3: an SQLite database (GDAL, QGIS, Martin, tileserver-gl).
    MbTiles,
}

impl Format {
    /// The format named `pmtiles` or `mbtiles` (any case).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "pmtiles" => Some(Self::PmTiles),
            "mbtiles" => Some(Self::MbTiles),
            _ => None,
        }
    }

    /// The format of a file name by its extension (`.pmtiles`, `.mbtiles`).
    pub fn of_path(path: &Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::parse)
    }

    /// The format's name, as its file extension.
    pub fn name(self) -> &'static str {
        match self {
            Self::PmTiles => "pmtiles",
            Self::MbTiles => "mbtiles",
        }
    }
}

/// What an archive says of itself: its TileJSON document (without `tiles`; see
/// [`crate::tilejson::document`]) and the fields its header or `metadata` table repeat.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// TileJSON 3.0.0 fields: name, description, attribution, vector_layers…
    pub tilejson: serde_json::Value,
    /// Lowest zoom.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
    /// Extent of the tiles' data, WGS84.
    pub bounds: BboxWgs84,
    /// `[lon, lat, zoom]`.
    pub center: [f64; 3],
}

/// Receives the rendered tiles of an export, then its metadata.
pub trait Writer {
    /// Adds a non-empty tile: its gzip-compressed MVT bytes and a 128-bit hash of the
    /// uncompressed bytes (equal hashes are taken as equal tiles and stored once). PMTiles needs
    /// the tiles in ascending [`pmtiles::tile_id`] order.
    ///
    /// # Errors
    /// When writing fails.
    fn add(&mut self, tile: TileCoord, gzip: &[u8], hash: u128) -> Result<(), ArchiveError>;

    /// Writes the directories and the metadata and moves the archive to its output name.
    ///
    /// # Errors
    /// When writing, flushing or renaming fails (the output name is then untouched).
    fn finish(self: Box<Self>, metadata: &Metadata) -> Result<(), ArchiveError>;
}

/// A writer of `format` for `output` (its partial file is created at once).
///
/// # Errors
/// When the output exists and `force` is false, or the partial file cannot be created.
pub fn writer(format: Format, output: &Path, force: bool) -> Result<Box<dyn Writer>, ArchiveError> {
    Ok(match format {
        Format::PmTiles => Box::new(pmtiles::PmTilesWriter::create(output, force)?),
        Format::MbTiles => Box::new(mbtiles::MbTilesWriter::create(output, force)?),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins_of_archive_urls() {
        use super::origin;
        assert_eq!(
            origin("https://cdn.example.fr/tiles/communes.pmtiles").as_deref(),
            Some("https://cdn.example.fr")
        );
        assert_eq!(
            origin("http://127.0.0.1:9000/a.pmtiles").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(origin("/archives/a.pmtiles"), None);
        assert_eq!(origin("https://evil.fr;script-src/a"), None);
    }
}
