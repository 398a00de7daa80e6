//! The tile matrix set Bourg serves, OGC 2D Tile Matrix Set 2.0 `WebMercatorQuad` (EPSG:3857
//! metres, the XYZ pyramid of [`TileCoord`] with 256-pixel tiles, tile matrices 0 to
//! [`MAX_ZOOM`]), and the limits of a tileset in it (OGC 17-083r4 `TileMatrixSetLimits`).
//!
//! Tile matrix `z` is zoom `z`; `tileRow` is the XYZ `y` (from the north edge southwards) and
//! `tileCol` the `x` (from the antimeridian eastwards). The tiles are Mapbox Vector Tiles of
//! 4096 units across: the TMS tile size (256) is the pixel size a renderer draws them at, as for
//! any XYZ vector tile.

use std::fmt;

use serde_json::{json, Value as Json};

use crate::bbox::BboxWgs84;
use crate::config::MAX_ZOOM;
use crate::mercator::HALF_WORLD;
use crate::tile::TileCoord;

/// The identifier of the tile matrix set.
pub const ID: &str = "WebMercatorQuad";
/// Its URI in the OGC register.
pub const URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
/// Its CRS, Web Mercator.
pub const CRS: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
/// The well-known scale set it follows.
const SCALE_SET: &str = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible";
/// Width and height of a tile, in pixels.
pub const TILE_SIZE: u32 = 256;
/// The standardised rendering pixel (0.28 mm) the scale denominators are computed for.
const PIXEL_M: f64 = 0.000_28;

/// Side of a pixel of tile matrix `z`, in metres.
pub fn cell_size(z: u8) -> f64 {
    2.0 * HALF_WORLD / (f64::from(TILE_SIZE) * f64::from(1u32 << z.min(MAX_ZOOM)))
}

/// Scale denominator of tile matrix `z`.
pub fn scale_denominator(z: u8) -> f64 {
    cell_size(z) / PIXEL_M
}

/// The tile matrix set definition (TMS 2.0 JSON), tile matrices 0 to [`MAX_ZOOM`].
pub fn definition() -> Json {
    let matrices: Vec<Json> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u32 << z;
            json!({
                "id": z.to_string(),
                "scaleDenominator": scale_denominator(z),
                "cellSize": cell_size(z),
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
                "tileWidth": TILE_SIZE,
                "tileHeight": TILE_SIZE,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    json!({
        "id": ID,
        "title": "Google Maps Compatible for the World",
        "uri": URI,
        "crs": CRS,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": SCALE_SET,
        "boundingBox": {
            "crs": CRS,
            "lowerLeft": [-HALF_WORLD, -HALF_WORLD],
            "upperRight": [HALF_WORLD, HALF_WORLD],
        },
        "tileMatrices": matrices,
    })
}

/// Why a tile address does not name a tile of a tileset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileAddressError {
    /// `tileRow` or `tileCol` is not a non-negative integer.
    #[error("{name} {value:?} is not a non-negative integer")]
    NotANumber { name: &'static str, value: String },
    /// The tile matrix is not one of the set's.
    #[error("tile matrix {0:?} is not in {ID} (tile matrices 0 to {MAX_ZOOM})")]
    NoSuchMatrix(String),
    /// The row or column is beyond the tile matrix.
    #[error("tileRow {row} / tileCol {col} is outside tile matrix {z} (rows and columns 0 to {})", (1u64 << z) - 1)]
    OutsideMatrix { z: u8, row: String, col: String },
    /// The tile matrix is not among the tileset's.
    #[error("tile matrix {z} is not in this tileset ({range})")]
    MatrixNotInTileset { z: u8, range: String },
    /// The tile lies outside the tileset's limits at its tile matrix.
    #[error("tile {z}/{row}/{col} (tileMatrix/tileRow/tileCol) is outside this tileset's limits: {limits}")]
    OutsideLimits {
        z: u8,
        row: u32,
        col: u32,
        limits: MatrixLimits,
    },
}

impl TileAddressError {
    /// Whether the address is malformed (rather than naming a tile that does not exist).
    pub fn is_malformed(&self) -> bool {
        matches!(self, Self::NotANumber { .. })
    }
}

/// Reads the `{tileMatrix}/{tileRow}/{tileCol}` segments of a tile path into a tile of the set.
///
/// # Errors
/// A row or column that is not a non-negative integer (in decimal digits); a tile matrix, row or
/// column that the set does not have, however large.
pub fn parse_tile(matrix: &str, row: &str, col: &str) -> Result<TileCoord, TileAddressError> {
    let z = matrix
        .parse::<u8>()
        .ok()
        .filter(|z| *z <= MAX_ZOOM && z.to_string() == matrix)
        .ok_or_else(|| TileAddressError::NoSuchMatrix(matrix.to_owned()))?;
    for (name, value) in [("tileRow", row), ("tileCol", col)] {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileAddressError::NotANumber {
                name,
                value: value.to_owned(),
            });
        }
    }
    let outside = || TileAddressError::OutsideMatrix {
        z,
        row: row.to_owned(),
        col: col.to_owned(),
    };
    // Digits that overflow u64 name a row or column beyond any matrix.
    let (y, x) = (
        row.parse::<u64>().map_err(|_| outside())?,
        col.parse::<u64>().map_err(|_| outside())?,
    );
    TileCoord::try_new(u64::from(z), x, y).map_err(|_| outside())
}

/// The rows and columns of one tile matrix that a tileset covers (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixLimits {
    /// The tile matrix (zoom).
    pub z: u8,
    /// First row (the XYZ y, from the north).
    pub min_row: u32,
    /// Last row.
    pub max_row: u32,
    /// First column (the XYZ x, from the antimeridian).
    pub min_col: u32,
    /// Last column.
    pub max_col: u32,
}

impl MatrixLimits {
    /// The tiles of matrix `z` that meet a box (every column when it crosses the antimeridian).
    pub fn covering(b: &BboxWgs84, z: u8) -> Self {
        let nw = TileCoord::containing(b.west, b.north, z);
        let se = TileCoord::containing(b.east, b.south, z);
        let (min_col, max_col) = if b.crosses_antimeridian() {
            (0, (1u32 << nw.z()) - 1)
        } else {
            (nw.x(), se.x())
        };
        Self {
            z: nw.z(),
            min_row: nw.y(),
            max_row: se.y(),
            min_col,
            max_col,
        }
    }

    /// Whether a tile of this matrix lies within the limits.
    pub fn contains(&self, tile: TileCoord) -> bool {
        tile.z() == self.z
            && (self.min_row..=self.max_row).contains(&tile.y())
            && (self.min_col..=self.max_col).contains(&tile.x())
    }

    /// The limits as TMS 2.0 JSON.
    pub fn to_json(&self) -> Json {
        json!({
            "tileMatrix": self.z.to_string(),
            "minTileRow": self.min_row,
            "maxTileRow": self.max_row,
            "minTileCol": self.min_col,
            "maxTileCol": self.max_col,
        })
    }
}

impl fmt::Display for MatrixLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at tile matrix {}, rows {} to {} and columns {} to {}",
            self.z, self.min_row, self.max_row, self.min_col, self.max_col
        )
    }
}

/// The part of the set a tileset covers: for each of its tile matrices, the tiles meeting the
/// boxes of the data drawn at that zoom.
#[derive(Debug, Clone, PartialEq)]
pub struct TilesetLimits {
    limits: Vec<MatrixLimits>,
}

impl TilesetLimits {
    /// The limits of data given as (WGS84 box, first zoom, last zoom) parts, one per layer: at
    /// each zoom, the tiles meeting the union of the boxes of the parts drawn at that zoom.
    ///
    /// # Runtime
    /// One union per part and zoom: O(parts × zooms).
    pub fn of(parts: &[(BboxWgs84, u8, u8)]) -> Self {
        let limits = (0..=MAX_ZOOM)
            .filter_map(|z| {
                parts
                    .iter()
                    .filter(|(_, min, max)| (*min..=*max).contains(&z))
                    .map(|(b, _, _)| *b)
                    .reduce(|a, b| a.union(&b))
                    .map(|b| MatrixLimits::covering(&b, z))
            })
            .collect();
        Self { limits }
    }

    /// The limits of each tile matrix of the tileset, from the lowest zoom.
    pub fn matrices(&self) -> &[MatrixLimits] {
        &self.limits
    }

    /// The lowest and highest tile matrices, `None` for a tileset without data.
    pub fn zooms(&self) -> Option<(u8, u8)> {
        Some((self.limits.first()?.z, self.limits.last()?.z))
    }

    /// Checks that a tile of the set belongs to the tileset.
    ///
    /// # Errors
    /// Its tile matrix is not the tileset's, or it lies outside the limits of its matrix.
    pub fn check(&self, tile: TileCoord) -> Result<(), TileAddressError> {
        let Some(limits) = self.limits.iter().find(|l| l.z == tile.z()) else {
            let range = match self.zooms() {
                Some((min, max)) => format!("tile matrices {min} to {max}"),
                None => "it holds no data".to_owned(),
            };
            return Err(TileAddressError::MatrixNotInTileset { z: tile.z(), range });
        };
        if limits.contains(tile) {
            Ok(())
        } else {
            Err(TileAddressError::OutsideLimits {
                z: tile.z(),
                row: tile.y(),
                col: tile.x(),
                limits: *limits,
            })
        }
    }

    /// The limits as the TMS 2.0 `tileMatrixSetLimits` array.
    pub fn to_json(&self) -> Json {
        Json::Array(self.limits.iter().map(MatrixLimits::to_json).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of the OGC register's WebMercatorQuad.json (2D-Tile-Matrix-Set, registry/json),
    /// given there with 15 significant digits.
    #[test]
    fn matrices_match_the_ogc_register() {
        let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-12;
        assert!(close(scale_denominator(0), 559_082_264.028_717));
        assert!(close(cell_size(0), 156_543.033_928_041));
        assert!(close(scale_denominator(24), 33.323_899_747_652_8));
        assert!(close(cell_size(24), 0.009_330_691_929_342_8));
        let d = definition();
        let matrices = d["tileMatrices"].as_array().unwrap();
        assert_eq!(matrices.len(), 25);
        assert_eq!(matrices[24]["matrixWidth"], 16_777_216);
        assert_eq!(matrices[24]["id"], "24");
        assert!(close(
            matrices[7]["pointOfOrigin"][1].as_f64().unwrap(),
            20_037_508.342_789_2
        ));
    }

    #[test]
    fn tile_addresses() {
        // Row is y, column is x.
        let t = parse_tile("8", "90", "130").unwrap();
        assert_eq!((t.z(), t.x(), t.y()), (8, 130, 90));
        assert!(parse_tile("25", "0", "0").is_err_and(|e| !e.is_malformed()));
        assert!(parse_tile("a", "0", "0").is_err_and(|e| !e.is_malformed()));
        assert!(parse_tile("08", "0", "0").is_err_and(|e| !e.is_malformed()));
        assert!(parse_tile("2", "-1", "0").is_err_and(|e| e.is_malformed()));
        assert!(parse_tile("2", "0", "x").is_err_and(|e| e.is_malformed()));
        assert!(parse_tile("2", "+1", "0").is_err_and(|e| e.is_malformed()));
        assert!(parse_tile("2", "0", "").is_err_and(|e| e.is_malformed()));
        assert!(parse_tile("2", "99999999999999999999999", "0").is_err_and(|e| !e.is_malformed()));
        let e = parse_tile("2", "4", "0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "tileRow 4 / tileCol 0 is outside tile matrix 2 (rows and columns 0 to 3)"
        );
    }

    #[test]
    fn limits_cover_the_boxes_drawn_at_each_zoom() {
        // Lens (2.83 E, 50.43 N) from zoom 5, Besançon (6.02 E, 47.24 N) from zoom 8.
        let lens = BboxWgs84::try_new(2.82, 50.4, 2.9, 50.5).unwrap();
        let besancon = BboxWgs84::try_new(6.0, 47.2, 6.1, 47.3).unwrap();
        let limits = TilesetLimits::of(&[(lens, 5, 14), (besancon, 8, 10)]);
        assert_eq!(limits.zooms(), Some((5, 14)));
        assert_eq!(limits.matrices().len(), 10);
        let at = |z: u8| *limits.matrices().iter().find(|l| l.z == z).unwrap();
        // Zoom 7: Lens alone, one tile: column ⌊(2.82 + 180) / 360 × 128⌋ = ⌊(2.9 + 180) / 360 × 128⌋ = 65,
        // row ⌊(1 − ln(tan φ + sec φ) / π) / 2 × 128⌋ = 43 for φ = 50.4° and 50.5°.
        assert_eq!(
            at(7),
            MatrixLimits {
                z: 7,
                min_row: 43,
                max_row: 43,
                min_col: 65,
                max_col: 65
            }
        );
        // Zoom 9: both, from Lens's column and row to Besançon's.
        let z9 = at(9);
        assert!(z9.contains(TileCoord::containing(2.83, 50.43, 9)));
        assert!(z9.contains(TileCoord::containing(6.02, 47.24, 9)));
        assert!(limits
            .check(TileCoord::containing(6.02, 47.24, 12))
            .is_err_and(|e| e.to_string().contains("outside this tileset's limits")));
        assert!(limits
            .check(TileCoord::try_new(3, 4, 2).unwrap())
            .is_err_and(|e| e.to_string().contains("tile matrices 5 to 14")));
        assert!(TilesetLimits::of(&[]).zooms().is_none());
    }
}
