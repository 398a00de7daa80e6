//! MBTiles 1.3 written with the system SQLite: `metadata` (name, format `pbf`, bounds,
//! centre, zooms, attribution, and `json` with the `vector_layers`), and the tiles stored once
//! per distinct content (`images`, keyed by a hash of the tile) and addressed by `map`, joined
//! in the `tiles` view readers query. Rows are TMS: `tile_row` counts from the south.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

use super::file::AtomicFile;
use super::{ArchiveError, Metadata, Writer};
use crate::tile::TileCoord;

const SCHEMA: &str = "
    PRAGMA journal_mode = OFF;
    PRAGMA synchronous = OFF;
    CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
    CREATE UNIQUE INDEX metadata_name ON metadata (name);
    CREATE TABLE images (tile_id TEXT NOT NULL, tile_data BLOB NOT NULL);
    CREATE UNIQUE INDEX images_id ON images (tile_id);
    CREATE TABLE map (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                      tile_row INTEGER NOT NULL, tile_id TEXT NOT NULL);
    CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
    CREATE VIEW tiles AS
        SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,
               map.tile_row AS tile_row, images.tile_data AS tile_data
        FROM map JOIN images ON images.tile_id = map.tile_id;
    BEGIN;
";

/// Writes an MBTiles file into the partial file, in one transaction, renamed at the end.
pub struct MbTilesWriter {
    file: AtomicFile,
    db: Connection,
    path: PathBuf,
}

impl MbTilesWriter {
    /// Creates the partial file and its schema.
    ///
    /// # Errors
    /// As [`AtomicFile::create`], or when SQLite cannot create the schema.
    pub fn create(output: &Path, force: bool) -> Result<Self, ArchiveError> {
        let (file, handle) = AtomicFile::create(output, force)?;
        drop(handle);
        let path = file.partial().to_owned();
        let sql = |what| {
            let path = path.clone();
            move |source| ArchiveError::Sqlite { what, path, source }
        };
        let db = Connection::open(&path).map_err(sql("cannot open the database"))?;
        db.execute_batch(SCHEMA)
            .map_err(sql("cannot create the MBTiles tables"))?;
        Ok(Self { file, db, path })
    }

    fn error(&self, what: &'static str) -> impl FnOnce(rusqlite::Error) -> ArchiveError {
        let path = self.path.clone();
        move |source| ArchiveError::Sqlite { what, path, source }
    }
}

impl Writer for MbTilesWriter {
    fn add(&mut self, tile: TileCoord, gzip: &[u8], hash: u128) -> Result<(), ArchiveError> {
        let id = format!("{hash:032x}");
        let tms_row = (1u32 << tile.z()) - 1 - tile.y();
        self.db
            .prepare_cached("INSERT OR IGNORE INTO images (tile_id, tile_data) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![id, gzip]))
            .map_err(self.error("cannot insert a tile"))?;
        self.db
            .prepare_cached(
                "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![tile.z(), tile.x(), tms_row, id]))
            .map_err(self.error("cannot insert a tile"))?;
        Ok(())
    }

    fn finish(self: Box<Self>, metadata: &Metadata) -> Result<(), ArchiveError> {
        let doc = &metadata.tilejson;
        let text = |key: &str| doc[key].as_str().unwrap_or_default().to_owned();
        let b = metadata.bounds;
        let [lon, lat, zoom] = metadata.center;
        let rows: Vec<(&str, String)> = vec![
            ("name", text("name")),
            ("description", text("description")),
            ("attribution", text("attribution")),
            ("version", text("version")),
            ("type", "overlay".to_owned()),
            ("format", "pbf".to_owned()),
            ("minzoom", metadata.minzoom.to_string()),
            ("maxzoom", metadata.maxzoom.to_string()),
            (
                "bounds",
                format!("{},{},{},{}", b.west, b.south, b.east, b.north),
            ),
            ("center", format!("{lon},{lat},{zoom}")),
            (
                "json",
                serde_json::json!({ "vector_layers": doc["vector_layers"] }).to_string(),
            ),
        ];
        for (name, value) in rows {
            self.db
                .execute(
                    "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
                    params![name, value],
                )
                .map_err(self.error("cannot write the metadata"))?;
        }
        self.db
            .execute_batch("COMMIT;")
            .map_err(self.error("cannot commit the tiles"))?;
        let Self { file, db, path } = *self;
        db.close().map_err(|(_, source)| ArchiveError::Sqlite {
            what: "cannot close the database",
            path,
            source,
        })?;
        file.commit()
    }
}
