//! Polygons prepared once per low zoom, so that a national low-zoom tile does not clip, simplify,
//! snap and clean thousands of commune outlines on every request.
//!
//! For each zoom below [`PREPARED_ZOOMS`] that has a band, every polygon of the band geometries
//! is simplified, snapped and cleaned once in *level* units (the tile units of tile 0/0 of the
//! zoom; see [`TileTransform::level`]). A tile's units are the level's minus the tile's corner, an
//! exact integer, and every step is translation-invariant (simplification works on coordinate
//! differences, which are exact; snapping and the integer cleaning commute with an integer
//! shift), so a polygon whose box lies inside the buffered tile comes out of the prepared copy
//! exactly as the per-tile path would draw it. The prepared polygon is kept as its MVT geometry
//! commands: all but the first point are relative, so a tile writes the first point shifted and
//! copies the rest. Polygons that cross the tile's edge, and tiles drawn with a tolerance that is
//! not prepared, go through the per-tile path. Tested equal, byte for byte, to the per-tile
//! rendering at every prepared tolerance (`tests/it/tiles.rs`).

use geo::{Coord, Geometry};

use super::coord::{TileCoord, TileTransform};
use super::generalise::{extent, Generaliser};
use super::mvt::Commands;
use crate::config::EXTENT;
use crate::layer::{Layer, PreparedFeature, PreparedPolygon, PREPARED_TOLERANCES, PREPARED_ZOOMS};

/// The tolerance level prepared for a tile tolerance: `k` for the layer's times 2^k.
pub fn level(tolerance: f64, configured: f64) -> Option<usize> {
    (0..PREPARED_TOLERANCES).find(|&k| tolerance == configured * 2f64.powi(k as i32))
}

/// Prepares the zooms of a layer's tiles that can be (from its `min_zoom`, below
/// [`PREPARED_ZOOMS`] and its `max_zoom`), at the layer's tolerance and at 2 to 32 times it (what
/// a tile over its byte budget chooses from). Shared geometries are prepared once.
///
/// # Runtime
/// One simplification and cleaning per polygon, zoom and tolerance: 0.1–0.3 s each for the 35,000
/// communes of France, on one core.
pub fn prepare(layer: &Layer) {
    let tolerance = layer.config.tiles.tolerance;
    for z in layer.config.min_zoom..PREPARED_ZOOMS.min(layer.config.max_zoom) {
        for k in 0..PREPARED_TOLERANCES {
            let t = tolerance * 2f64.powi(k as i32);
            layer.geometries.prepared(z, k, |band, n| {
                let started = std::time::Instant::now();
                let prepared = prepare_zoom(band, n, z, t);
                tracing::debug!(layer = %layer.id(), z, k, ms = started.elapsed().as_secs_f64() * 1000.0, "zoom prepared");
                prepared
            });
        }
    }
}

/// The prepared polygons of `n` band geometries at zoom `z`.
pub fn prepare_zoom<'g>(
    band: &dyn Fn(usize) -> Option<&'g Geometry<f64>>,
    n: usize,
    z: u8,
    tolerance: f64,
) -> Vec<PreparedFeature> {
    let Ok(origin) = TileCoord::try_new(u64::from(z), 0, 0) else {
        return vec![None; n];
    };
    let transform = TileTransform::new(origin, EXTENT);
    let generaliser = Generaliser::unclipped(transform, tolerance);
    (0..n)
        .map(|i| match band(i) {
            None => Some(Vec::new()),
            Some(Geometry::Polygon(p)) => Some(vec![polygon(&generaliser, &transform, p)]),
            Some(Geometry::MultiPolygon(mp)) => Some(
                mp.iter()
                    .map(|p| polygon(&generaliser, &transform, p))
                    .collect(),
            ),
            Some(_) => None,
        })
        .collect()
}

fn polygon(
    generaliser: &Generaliser,
    transform: &TileTransform,
    p: &geo::Polygon<f64>,
) -> PreparedPolygon {
    let exterior: Vec<Coord<f64>> = p.exterior().0.iter().map(|&c| transform.apply(c)).collect();
    let (lo, hi) = extent(&exterior).unwrap_or_default();
    let mut shapes = Vec::new();
    generaliser.polygon(p, &mut shapes);
    let start = shapes
        .iter()
        .flatten()
        .find(|ring| ring.len() >= 3)
        .map_or([0, 0], |ring| ring[0]);
    let mut commands = Commands::starting_at(start);
    for shape in &shapes {
        commands.shape(shape);
    }
    let end = commands.cursor();
    PreparedPolygon {
        lo: [lo.x, lo.y],
        hi: [hi.x, hi.y],
        start,
        end,
        commands: commands.into_rest().unwrap_or_default().into(),
    }
}

/// Writes a prepared feature's commands for a tile: the prepared commands of the polygons inside
/// it, shifted, and the others drawn by `generaliser` from the band geometry `g`. `false` when the
/// geometry does not match its preparation (then draw it the usual way).
pub fn draw(
    prepared: &[PreparedPolygon],
    g: &Geometry<f64>,
    generaliser: &Generaliser,
    offset: Coord<f64>,
    commands: &mut Commands,
) -> bool {
    let polygons: &[geo::Polygon<f64>] = match g {
        Geometry::Polygon(p) => std::slice::from_ref(p),
        Geometry::MultiPolygon(mp) => &mp.0,
        _ => return false,
    };
    if polygons.len() != prepared.len() {
        return false;
    }
    let shift = [offset.x as i32, offset.y as i32];
    let mut shapes = Vec::new();
    for (p, pp) in polygons.iter().zip(prepared) {
        let lo = Coord {
            x: pp.lo[0] - offset.x,
            y: pp.lo[1] - offset.y,
        };
        let hi = Coord {
            x: pp.hi[0] - offset.x,
            y: pp.hi[1] - offset.y,
        };
        match generaliser.placement(lo, hi) {
            (true, _) => {}
            (false, true) => {
                if !pp.commands.is_empty() {
                    commands.splice(pp.start, &pp.commands, pp.end, shift);
                }
            }
            (false, false) => {
                shapes.clear();
                generaliser.polygon(p, &mut shapes);
                for shape in &shapes {
                    commands.shape(shape);
                }
            }
        }
    }
    true
}

/// Bytes of commands and number of drawn polygons a prepared feature gives at most (every polygon
/// whole; a tile clips those that cross its edge).
pub fn size(prepared: &[PreparedPolygon]) -> usize {
    prepared
        .iter()
        .filter(|p| !p.commands.is_empty())
        .map(|p| p.commands.len() + 5)
        .sum()
}
