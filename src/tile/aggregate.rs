//! Low-zoom aggregation of points into grid cells.
//!
//! Cells are squares of `cell_size` tile units aligned on the tile, and so on the whole pyramid
//! (the cell size divides the extent): a cell never straddles two tiles, and the cells a tile
//! shows in its buffer are exactly those its neighbour shows, with the same counts. Each cell
//! becomes one point at the mean position of its points, with `count`, the sums of the configured
//! properties and `aggregated = true`.

use rustc_hash::FxHashMap as HashMap;

use geo::{Coord, Geometry};

use super::coord::{TileCoord, TileTransform};
use super::mvt::{LayerBuilder, TileGeometry};
use crate::config::{PropType, EXTENT};
use crate::layer::{Layer, Value};

#[derive(Debug, Default)]
struct Cell {
    count: i64,
    sum_x: f64,
    sum_y: f64,
    sums: Vec<f64>,
    /// Per statistic: sum and number of the values, maximum.
    stats: Vec<(f64, u32, f64)>,
}

/// The tile units of a cell-aligned margin covering `buffer`.
pub fn margin(buffer: u32, cell_size: u32) -> u32 {
    buffer.div_ceil(cell_size) * cell_size
}

/// Adds one aggregated point per cell to `out`; returns the number of source points counted.
pub fn aggregate(
    layer: &Layer,
    tile: TileCoord,
    cell_size: u32,
    sums: &[String],
    stats: &[String],
    out: &mut LayerBuilder,
) -> usize {
    let buffer = layer.config.tiles.buffer;
    let margin = margin(buffer, cell_size);
    let transform = TileTransform::new(tile, EXTENT);
    let sum_index: Vec<(usize, PropType)> = sums
        .iter()
        .filter_map(|s| {
            Some((
                layer.property_index(s)?,
                layer.schema.get(layer.property_index(s)?)?.ty,
            ))
        })
        .collect();
    let stat_index: Vec<(usize, &str)> = stats
        .iter()
        .filter_map(|s| Some((layer.property_index(s)?, s.as_str())))
        .collect();
    let stat_names: Vec<(String, String)> = stat_index
        .iter()
        .map(|&(_, s)| (s.to_owned(), format!("{s}_max")))
        .collect();
    let lo = -f64::from(margin);
    let hi = f64::from(EXTENT + margin);
    let mut cells: HashMap<(i64, i64), Cell> = HashMap::default();
    let mut counted = 0;
    for (_, feature) in layer.query(&tile.bbox_wgs84(f64::from(margin), EXTENT)) {
        let Some(c) = representative_point(feature.wgs84).map(crate::mercator::from_wgs84) else {
            continue;
        };
        let p = transform.apply(c);
        // Half-open on the far side so a point on a shared edge counts in one tile only.
        if !(p.x >= lo && p.x < hi && p.y >= lo && p.y < hi) {
            continue;
        }
        let key = (
            (p.x / f64::from(cell_size)).floor() as i64,
            (p.y / f64::from(cell_size)).floor() as i64,
        );
        let cell = cells.entry(key).or_insert_with(|| Cell {
            sums: vec![0.0; sum_index.len()],
            stats: vec![(0.0, 0, f64::NEG_INFINITY); stat_index.len()],
            ..Cell::default()
        });
        for (slot, &(i, _)) in cell.stats.iter_mut().zip(&stat_index) {
            if let Some(v) = feature.number(i) {
                slot.0 += v;
                slot.1 += 1;
                slot.2 = slot.2.max(v);
            }
        }
        cell.count += 1;
        cell.sum_x += p.x;
        cell.sum_y += p.y;
        for (slot, &(i, _)) in cell.sums.iter_mut().zip(&sum_index) {
            *slot += feature.number(i).unwrap_or(0.0);
        }
        counted += 1;
    }
    let clip_lo = -f64::from(buffer);
    let clip_hi = f64::from(EXTENT + buffer);
    let cells_per_tile = i64::from(EXTENT / cell_size);
    let mut keys: Vec<_> = cells.keys().copied().collect();
    keys.sort_unstable_by_key(|&(cx, cy)| (cy, cx));
    let names: Vec<&str> = sum_index
        .iter()
        .map(|&(i, _)| layer.schema[i].name.as_str())
        .collect();
    for key in keys {
        let cell = &cells[&key];
        let n = cell.count as f64;
        let (x, y) = (cell.sum_x / n, cell.sum_y / n);
        if !(x >= clip_lo && x <= clip_hi && y >= clip_lo && y <= clip_hi) {
            continue;
        }
        let gx = i64::from(tile.x()) * cells_per_tile + key.0;
        let gy = i64::from(tile.y()) * cells_per_tile + key.1;
        let id = ((gy as u64) << 32) | (gx as u64 & 0xffff_ffff);
        let mut values: Vec<(&str, Value)> = vec![
            ("aggregated", Value::Bool(true)),
            ("count", Value::Int(cell.count)),
        ];
        for ((name, &(_, ty)), &sum) in names.iter().zip(&sum_index).zip(&cell.sums) {
            let v = if ty == PropType::Int {
                Value::Int(sum.round() as i64)
            } else {
                Value::Float(sum)
            };
            values.push((name, v));
        }
        for ((mean, max), &(sum, n, top)) in stat_names.iter().zip(&cell.stats) {
            if n > 0 {
                let m = (10.0 * sum / f64::from(n)).round() / 10.0;
                values.push((mean.as_str(), Value::Float(m)));
                values.push((max.as_str(), Value::Float(top)));
            }
        }
        let geometry = TileGeometry::Points(vec![[x.round() as i32, y.round() as i32]]);
        out.add_feature(id, &geometry, values.iter().map(|(k, v)| (*k, v)));
    }
    counted
}

/// The point a feature is counted at: itself, or the first point of a multi-point.
fn representative_point(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::Point(p) => Some(p.0),
        Geometry::MultiPoint(mp) => mp.0.first().map(|p| p.0),
        _ => None,
    }
}
