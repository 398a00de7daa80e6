//! Reading archive layers: PMTiles v3 (from any writer: leaf directories, run lengths, gzip or
//! uncompressed directories and tiles) and MBTiles (SQLite, read-only), served as they are
//! stored. Opening checks what serving needs — the file, its header or tables, a vector tile
//! type, a compression HTTP clients understand — so that a bad archive fails at load, named.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Map, Value};

use super::pmtiles::{self, Entry, Header};
use super::{ArchiveError, Format};
use crate::bbox::BboxWgs84;
use crate::config::ArchiveConfig;
use crate::tile::TileCoord;

/// Leaf directories kept in memory per PMTiles archive.
const LEAF_CACHE: u64 = 256;

/// An opened archive layer.
pub struct Archive {
    /// Its configuration.
    pub config: ArchiveConfig,
    /// PMTiles or MBTiles.
    pub format: Format,
    /// Its TileJSON without `tiles`, from the archive's metadata (zooms, bounds and centre from
    /// the PMTiles header).
    pub tilejson: Value,
    source: Source,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("id", &self.config.id)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

enum Source {
    PmTiles(PmTilesSource),
    MbTiles(Mutex<Connection>),
}

struct PmTilesSource {
    file: Mutex<File>,
    header: Header,
    root: Vec<Entry>,
    leaves: moka::sync::Cache<(u64, u32), Arc<Vec<Entry>>>,
}

/// A tile as the archive stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTile {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Whether they are gzip-compressed MVT (else plain MVT).
    pub gzip: bool,
}

impl Archive {
    /// Opens and checks the archive a layer file names.
    ///
    /// # Errors
    /// [`ArchiveError::Invalid`] naming the layer, the file and what is wrong: missing or
    /// unreadable, not a PMTiles v3 or MBTiles file, corrupt directories or metadata, raster
    /// tiles, a compression other than gzip or none.
    pub fn open(config: ArchiveConfig) -> Result<Self, ArchiveError> {
        let invalid = |reason: String| ArchiveError::Invalid {
            id: config.id.clone(),
            path: config.path.clone(),
            reason,
        };
        let format = Format::of_path(&config.path)
            .ok_or_else(|| invalid("neither *.pmtiles nor *.mbtiles".into()))?;
        if !config.path.is_file() {
            return Err(invalid("no such file".into()));
        }
        let (source, metadata) = match format {
            Format::PmTiles => open_pmtiles(&config.path).map_err(invalid)?,
            Format::MbTiles => open_mbtiles(&config.path).map_err(invalid)?,
        };
        let mut tilejson = metadata;
        tilejson["tilejson"] = "3.0.0".into();
        tilejson["scheme"] = "xyz".into();
        if tilejson["name"].as_str().is_none_or(str::is_empty) {
            tilejson["name"] = config.title.clone().into();
        }
        if !config.description.is_empty() {
            tilejson["description"] = config.description.clone().into();
        }
        if !tilejson["vector_layers"].is_array() {
            return Err(invalid(
                "its metadata has no vector_layers: is it a vector tile archive?".into(),
            ));
        }
        Ok(Self {
            config,
            format,
            tilejson,
            source,
        })
    }

    /// The layer id.
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// The ids of the vector layers its tiles hold, from its metadata.
    pub fn vector_layers(&self) -> Vec<String> {
        self.tilejson["vector_layers"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The tile at this address as stored, `None` when the archive has none there.
    ///
    /// # Errors
    /// When reading the file or database fails, or a directory is corrupt.
    ///
    /// # Runtime
    /// PMTiles: a binary search in the root directory and at most three in leaf directories
    /// (the last 256 read are kept), then one read. MBTiles: one indexed SQLite query.
    pub fn tile(&self, tile: TileCoord) -> Result<Option<StoredTile>, ArchiveError> {
        let fail = |reason: String| ArchiveError::Invalid {
            id: self.config.id.clone(),
            path: self.config.path.clone(),
            reason,
        };
        match &self.source {
            Source::PmTiles(pm) => pm.tile(tile).map_err(fail),
            Source::MbTiles(db) => {
                let db = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let row = (1u32 << tile.z()) - 1 - tile.y();
                let bytes: Option<Vec<u8>> = db
                    .prepare_cached(
                        "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                    )
                    .and_then(|mut s| {
                        s.query_row((tile.z(), tile.x(), row), |r| r.get(0))
                            .optional()
                    })
                    .map_err(|e| fail(format!("cannot read a tile: {e}")))?;
                Ok(bytes.filter(|b| !b.is_empty()).map(|bytes| StoredTile {
                    gzip: bytes.starts_with(&[0x1f, 0x8b]),
                    bytes,
                }))
            }
        }
    }
}

impl PmTilesSource {
    fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut bytes = vec![0u8; usize::try_from(length).map_err(|_| "length too large")?];
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| format!("cannot read {length} bytes at {offset}: {e}"))?;
        Ok(bytes)
    }

    fn directory(&self, offset: u64, length: u64) -> Result<Vec<Entry>, String> {
        let bytes = self.read(offset, length)?;
        let bytes = decompress(self.header.internal_compression, bytes)?;
        pmtiles::decode_directory(&bytes)
    }

    fn tile(&self, tile: TileCoord) -> Result<Option<StoredTile>, String> {
        let h = &self.header;
        if tile.z() < h.minzoom || tile.z() > h.maxzoom {
            return Ok(None);
        }
        let id = pmtiles::tile_id(tile);
        let mut found = find(&self.root, id);
        for _ in 0..3 {
            match found {
                Some(e) if e.run_length == 0 => {
                    let key = (e.offset, e.length);
                    let leaf = match self.leaves.get(&key) {
                        Some(leaf) => leaf,
                        None => {
                            let leaf = Arc::new(
                                self.directory(h.leaves_offset + e.offset, u64::from(e.length))?,
                            );
                            self.leaves.insert(key, leaf.clone());
                            leaf
                        }
                    };
                    found = find(&leaf, id);
                }
                _ => break,
            }
        }
        match found {
            Some(e) if e.run_length > 0 => Ok(Some(StoredTile {
                bytes: self.read(h.data_offset + e.offset, u64::from(e.length))?,
                gzip: h.tile_compression == pmtiles::GZIP,
            })),
            _ => Ok(None),
        }
    }
}

/// The entry holding tile `id`: the last entry at or before it, if it is a leaf pointer or its
/// run covers `id`.
fn find(entries: &[Entry], id: u64) -> Option<Entry> {
    let at = entries
        .partition_point(|e| e.tile_id <= id)
        .checked_sub(1)?;
    let e = entries[at];
    (e.run_length == 0 || id < e.tile_id + u64::from(e.run_length)).then_some(e)
}

fn decompress(compression: u8, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    match compression {
        pmtiles::GZIP => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .map_err(|e| format!("corrupt gzip data: {e}"))?;
            Ok(out)
        }
        1 => Ok(bytes),
        other => Err(format!(
            "{} compression is not supported (gzip or none)",
            compression_name(other)
        )),
    }
}

fn compression_name(code: u8) -> &'static str {
    match code {
        0 => "unknown",
        1 => "no",
        2 => "gzip",
        3 => "brotli",
        4 => "zstd",
        _ => "an unknown",
    }
}

fn open_pmtiles(path: &Path) -> Result<(Source, Value), String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut head = vec![0u8; pmtiles::HEADER_BYTES];
    file.read_exact(&mut head)
        .map_err(|_| "shorter than a PMTiles header".to_owned())?;
    let header = Header::parse(&head)?;
    if header.tile_type != pmtiles::MVT {
        let kind = match header.tile_type {
            2 => "PNG",
            3 => "JPEG",
            4 => "WebP",
            5 => "AVIF",
            _ => "unknown",
        };
        return Err(format!(
            "holds {kind} tiles: only MVT vector tiles are served"
        ));
    }
    if !matches!(header.tile_compression, 1 | pmtiles::GZIP) {
        return Err(format!(
            "tiles with {} compression are not supported (gzip or none)",
            compression_name(header.tile_compression)
        ));
    }
    let source = PmTilesSource {
        file: Mutex::new(file),
        header: header.clone(),
        root: Vec::new(),
        leaves: moka::sync::Cache::new(LEAF_CACHE),
    };
    let root = source
        .directory(header.root_offset, header.root_length)
        .map_err(|e| format!("root directory: {e}"))?;
    let meta = source.read(header.metadata_offset, header.metadata_length)?;
    let meta = decompress(header.internal_compression, meta)?;
    let mut metadata: Value = if meta.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&meta).map_err(|e| format!("metadata is not JSON: {e}"))?
    };
    if !metadata.is_object() {
        return Err("metadata is not a JSON object".into());
    }
    // Writers converting from MBTiles may keep the `json` field as text.
    if let Some(text) = metadata["json"].as_str() {
        if let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(text) {
            if let Some(layers) = inner.get("vector_layers") {
                metadata["vector_layers"] = layers.clone();
            }
        }
    }
    let b = header.bounds;
    metadata["minzoom"] = header.minzoom.into();
    metadata["maxzoom"] = header.maxzoom.into();
    metadata["bounds"] = json!([b.west, b.south, b.east, b.north]);
    metadata["center"] = json!([header.center_lon, header.center_lat, header.center_zoom]);
    Ok((Source::PmTiles(PmTilesSource { root, ..source }), metadata))
}

fn open_mbtiles(path: &Path) -> Result<(Source, Value), String> {
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open: {e}"))?;
    let rows: Vec<(String, String)> = db
        .prepare("SELECT name, value FROM metadata")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })?
            .collect()
        })
        .map_err(|e| format!("not an MBTiles file: {e}"))?;
    db.prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 0")
        .map_err(|e| format!("not an MBTiles file: {e}"))?;
    let meta: std::collections::HashMap<String, String> = rows.into_iter().collect();
    let format = meta.get("format").map(String::as_str).unwrap_or_default();
    if format != "pbf" {
        return Err(format!(
            "holds {format:?} tiles: only pbf (MVT vector) tiles are served"
        ));
    }
    let mut out = Map::new();
    for key in ["name", "description", "attribution", "version"] {
        if let Some(v) = meta.get(key) {
            out.insert(key.into(), v.clone().into());
        }
    }
    let numbers = |key: &str| -> Option<Vec<f64>> {
        meta.get(key)?
            .split(',')
            .map(|v| v.trim().parse::<f64>().ok())
            .collect()
    };
    for key in ["minzoom", "maxzoom"] {
        if let Some(z) = meta.get(key).and_then(|v| v.trim().parse::<u8>().ok()) {
            out.insert(key.into(), z.into());
        }
    }
    if let Some(b) = numbers("bounds").filter(|b| b.len() == 4) {
        out.insert("bounds".into(), json!(b));
    }
    if let Some(c) = numbers("center").filter(|c| c.len() == 3) {
        out.insert("center".into(), json!(c));
    }
    if let Some(text) = meta.get("json") {
        let inner: Value =
            serde_json::from_str(text).map_err(|e| format!("metadata json is not JSON: {e}"))?;
        if let Some(layers) = inner.get("vector_layers") {
            out.insert("vector_layers".into(), layers.clone());
        }
    }
    Ok((Source::MbTiles(Mutex::new(db)), Value::Object(out)))
}

/// The bounds an archive's TileJSON gives, if any.
pub fn bounds_of(tilejson: &Value) -> Option<BboxWgs84> {
    let b: Vec<f64> = tilejson["bounds"]
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    match b[..] {
        [w, s, e, n] => BboxWgs84::try_new(w, s, e, n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_covers_runs_and_leaves() {
        let e = |tile_id, run_length| Entry {
            tile_id,
            offset: 0,
            length: 1,
            run_length,
        };
        let entries = [e(5, 1), e(7, 3), e(20, 0)];
        assert_eq!(find(&entries, 4), None);
        assert_eq!(find(&entries, 5).map(|e| e.tile_id), Some(5));
        assert_eq!(find(&entries, 6), None);
        assert_eq!(find(&entries, 9).map(|e| e.tile_id), Some(7));
        assert_eq!(find(&entries, 10), None);
        assert_eq!(find(&entries, 99).map(|e| e.tile_id), Some(20), "leaf");
    }
}
