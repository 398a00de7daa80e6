//! `[tiles]`: the vector tile settings of a layer — buffer, simplification tolerance, byte budget,
//! and low-zoom aggregation of points.

use serde::Deserialize;

use super::{ConfigError, LayerConfig, PropType, Validator};

/// Vector tile settings of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct TileConfig {
    /// Tile units (of [`EXTENT`]) kept around each tile.
    pub buffer: u32,
    /// Simplification tolerance in tile units below `max_zoom`; 0 snaps only.
    pub tolerance: f64,
    /// Byte budget of this layer in one tile; over it the server generalises further.
    pub max_bytes: usize,
    /// Low-zoom aggregation of point layers.
    pub aggregate: Option<AggregateConfig>,
}

/// Aggregation of points into grid cells at low zoom.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateConfig {
    /// Points are aggregated at zooms below this one.
    pub below_zoom: u8,
    /// Side of a cell in tile units: a power of two dividing [`EXTENT`].
    pub cell_size: u32,
    /// Numeric properties summed per cell.
    pub sums: Vec<String>,
    /// Numeric properties whose mean (under their own name, one decimal) and maximum (`<name>_max`)
    /// each cell carries, over the points that have a value.
    pub stats: Vec<String>,
}

/// Tile units across a tile.
pub const EXTENT: u32 = 4096;

impl Default for TileConfig {
    fn default() -> Self {
        Self {
            buffer: 64,
            tolerance: 4.0,
            max_bytes: 500_000,
            aggregate: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTiles {
    buffer: Option<i64>,
    tolerance: Option<f64>,
    max_bytes: Option<i64>,
    aggregate_below: Option<i64>,
    cell_size: Option<i64>,
    sums: Option<Vec<String>>,
    stats: Option<Vec<String>>,
}

impl Validator<'_> {
    pub(super) fn tiles(
        &self,
        raw: RawTiles,
        layer: &LayerConfig,
    ) -> Result<TileConfig, ConfigError> {
        let mut t = TileConfig::default();
        if let Some(b) = raw.buffer {
            t.buffer = u32::try_from(b)
                .ok()
                .filter(|b| *b <= EXTENT)
                .ok_or_else(|| {
                    self.invalid("tiles.buffer", format!("{b} is not in 0..={EXTENT}"))
                })?;
        }
        if let Some(tol) = raw.tolerance {
            if !(tol.is_finite() && (0.0..=f64::from(EXTENT)).contains(&tol)) {
                return Err(
                    self.invalid("tiles.tolerance", format!("{tol} is not in 0..={EXTENT}"))
                );
            }
            t.tolerance = tol;
        }
        if let Some(m) = raw.max_bytes {
            t.max_bytes = usize::try_from(m)
                .ok()
                .filter(|m| *m >= 1024)
                .ok_or_else(|| self.invalid("tiles.max_bytes", format!("{m} is below 1024")))?;
        }
        let aggregate_keys = raw.cell_size.is_some() || raw.sums.is_some() || raw.stats.is_some();
        match raw.aggregate_below {
            None if aggregate_keys => {
                return Err(self.invalid(
                    "tiles.aggregate_below",
                    "is required with tiles.cell_size, tiles.sums or tiles.stats",
                ))
            }
            None => {}
            Some(z) => {
                let below_zoom = self.zoom("tiles.aggregate_below", Some(z), 0)?;
                let cell_size = match raw.cell_size {
                    None => 128,
                    Some(c) => u32::try_from(c)
                        .ok()
                        .filter(|c| c.is_power_of_two() && (8..=EXTENT).contains(c))
                        .ok_or_else(|| {
                            self.invalid(
                                "tiles.cell_size",
                                format!("{c} is not a power of two in 8..={EXTENT}"),
                            )
                        })?,
                };
                let sums = raw.sums.unwrap_or_default();
                let stats = raw.stats.unwrap_or_default();
                for (key, names) in [("tiles.sums", &sums), ("tiles.stats", &stats)] {
                    for name in names {
                        self.numeric(key, name, layer)?;
                    }
                }
                t.aggregate = Some(AggregateConfig {
                    below_zoom,
                    cell_size,
                    sums,
                    stats,
                });
            }
        }
        Ok(t)
    }

    /// Checks that `name` is a numeric property of the layer (read, or added by its role).
    fn numeric(&self, key: &str, name: &str, layer: &LayerConfig) -> Result<(), ConfigError> {
        match layer.property_type(name) {
            Some(PropType::Int | PropType::Float) => Ok(()),
            Some(other) => {
                Err(self.invalid(key, format!("{name:?} is a {other} property, not a number")))
            }
            None => Err(self.invalid(key, format!("{name:?} is not a property of this layer"))),
        }
    }
}
