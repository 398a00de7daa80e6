//! Geometries generalised once per zoom band at load, as tippecanoe and geojson-vt do, so that a
//! low-zoom tile of national polygons does not simplify every commune outline again.
//!
//! A band starts at an even zoom `b` and serves zooms `b` and `b + 1`; its geometries are the
//! WGS84 ones projected to Web Mercator (metres) and simplified (Ramer–Douglas–Peucker) with the
//! layer's tolerance measured at zoom `b + 1`, the finer of the two, so that the per-tile
//! simplification that follows adds at most the same error again. From the layer's `max_zoom`
//! on, tiles use the exact geometry. Points are never generalised here.

use std::sync::OnceLock;

use geo::{Geometry, Simplify};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::EXTENT;
use crate::mercator;

/// Zooms at which bands start.
const BAND_STEP: u8 = 2;

/// The generalised copies of a layer's line and polygon geometries.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Pyramid {
    /// `bands[k]` serves zooms `2k` and `2k + 1`; one geometry per feature, `None` where the
    /// feature collapsed at that scale.
    bands: Vec<Vec<Option<Geometry<f64>>>>,
    /// From this zoom on, the exact geometry.
    max_zoom: u8,
}

impl Pyramid {
    /// Generalises every geometry for the bands below `max_zoom`, with a tolerance in tile units.
    ///
    /// # Runtime
    /// One projection and one simplification per vertex per band: about 0.5 s for the 35,000
    /// simplified communes of France on one core.
    pub fn build(geometries: &[Geometry<f64>], max_zoom: u8, tolerance: f64) -> Self {
        let bands = (0..max_zoom)
            .step_by(usize::from(BAND_STEP))
            .map(|b| {
                let metres = tolerance * tile_unit_metres(b + 1);
                geometries
                    .iter()
                    .map(|g| simplified(&mercator::geometry_from_wgs84(g), metres))
                    .collect()
            })
            .collect();
        Self { bands, max_zoom }
    }

    /// The generalised Mercator geometry of feature `i` for zoom `z`: `None` when zoom `z` has no
    /// band (use the exact geometry), `Some(None)` when the feature vanishes at that scale.
    pub fn get(&self, i: usize, z: u8) -> Option<Option<&Geometry<f64>>> {
        if z >= self.max_zoom {
            return None;
        }
        let band = self.bands.get(usize::from(z / BAND_STEP))?;
        Some(band.get(i).and_then(Option::as_ref))
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands.len()
    }

    /// Vertices stored, all bands together.
    pub fn vertices(&self) -> usize {
        use geo::CoordsIter;
        self.bands
            .iter()
            .flatten()
            .flatten()
            .map(|g| g.coords_count())
            .sum()
    }
}

/// The low zooms whose polygons can be prepared (see [`Prepared`]).
pub const PREPARED_ZOOMS: u8 = 9;
/// Tolerances prepared: the layer's, and 2, 4, 8, 16 and 32 times it (the steps a tile over its
/// byte budget takes).
pub const PREPARED_TOLERANCES: usize = 6;

/// One polygon of a feature made ready for the tiles of one zoom: simplified, snapped to the
/// level's integer grid, cleaned and encoded as MVT geometry commands, in level units (tile
/// units of tile 0/0 of the zoom). A tile that holds the polygon's whole box only shifts its
/// first point by the tile's corner, an exact integer: the other commands are relative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedPolygon {
    /// The box of its exterior before snapping, in level units.
    pub lo: [f64; 2],
    pub hi: [f64; 2],
    /// The first point of its commands, in level units.
    pub start: [i32; 2],
    /// Where its commands leave the cursor, in level units.
    pub end: [i32; 2],
    /// Its commands after the leading `MoveTo(1) 0 0` (relative to `start`); empty when
    /// nothing of the polygon is left at this zoom.
    pub commands: Box<[u8]>,
}

/// The polygons of one feature at one zoom; `None` for a feature that is not made of polygons.
pub type PreparedFeature = Option<Vec<PreparedPolygon>>;

/// Prepared polygons of every feature for the zooms below [`PREPARED_ZOOMS`], each zoom filled
/// once (by the tile module, which knows how) and shared like the geometries.
#[derive(Debug, Default)]
pub struct Prepared {
    zooms: [[OnceLock<Vec<PreparedFeature>>; PREPARED_TOLERANCES]; PREPARED_ZOOMS as usize],
}

impl Prepared {
    /// The prepared features of zoom `z` at tolerance level `k`, computed by `fill` the first
    /// time.
    pub fn zoom(
        &self,
        z: u8,
        k: usize,
        fill: impl FnOnce() -> Vec<PreparedFeature>,
    ) -> Option<&[PreparedFeature]> {
        Some(self.zooms.get(usize::from(z))?.get(k)?.get_or_init(fill))
    }

    /// The prepared features of zoom `z` at tolerance level `k`, when they were computed.
    pub fn get(&self, z: u8, k: usize) -> Option<&[PreparedFeature]> {
        self.zooms
            .get(usize::from(z))?
            .get(k)?
            .get()
            .map(Vec::as_slice)
    }

    /// Bytes held (commands and the fixed part of each polygon), all zooms together.
    pub fn heap_bytes(&self) -> usize {
        self.zooms
            .iter()
            .flatten()
            .filter_map(OnceLock::get)
            .flatten()
            .flatten()
            .flatten()
            .map(|p| p.commands.len() + std::mem::size_of::<PreparedPolygon>())
            .sum()
    }
}

/// One grid cell of aggregated points, in level units (see [`Prepared`]): its key is the
/// cell's column and row over the whole zoom level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreparedCell {
    /// Column and row of the cell in the level.
    pub key: (i64, i64),
    /// Points counted.
    pub count: i64,
    /// Sums of their level coordinates.
    pub sum_x: f64,
    pub sum_y: f64,
    /// Sums of the summed properties.
    pub sums: Vec<f64>,
    /// Per statistic: sum and number of the values, maximum.
    pub stats: Vec<(f64, u32, f64)>,
}

/// Point cells of the lowest zooms at the layer's cell size, each zoom filled once, sorted by
/// row then column.
#[derive(Debug, Default)]
pub struct PreparedCells {
    zooms: [OnceLock<Vec<PreparedCell>>; PREPARED_ZOOMS as usize],
}

impl PreparedCells {
    /// The cells of zoom `z`, computed by `fill` the first time.
    pub fn zoom(&self, z: u8, fill: impl FnOnce() -> Vec<PreparedCell>) -> Option<&[PreparedCell]> {
        Some(self.zooms.get(usize::from(z))?.get_or_init(fill))
    }

    /// The cells of zoom `z`, when they were computed.
    pub fn get(&self, z: u8) -> Option<&[PreparedCell]> {
        self.zooms.get(usize::from(z))?.get().map(Vec::as_slice)
    }

    /// Cells held, all zooms together.
    pub fn len(&self) -> usize {
        self.zooms
            .iter()
            .filter_map(OnceLock::get)
            .map(Vec::len)
            .sum()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The filled slots of `slots`, in order, `None` for the empty ones (what the cache stores).
fn serialize_slots<'a, T: Serialize + 'a, S: Serializer>(
    slots: impl Iterator<Item = &'a OnceLock<T>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(slots.map(OnceLock::get))
}

/// Fills `slots` from what [`serialize_slots`] stored; an error when the counts differ.
fn deserialize_slots<'de, 'a, T: Deserialize<'de> + 'a, D: Deserializer<'de>>(
    slots: impl ExactSizeIterator<Item = &'a OnceLock<T>>,
    d: D,
) -> Result<(), D::Error> {
    let stored: Vec<Option<T>> = Vec::deserialize(d)?;
    if stored.len() != slots.len() {
        return Err(serde::de::Error::invalid_length(
            stored.len(),
            &"one slot per prepared zoom (and tolerance)",
        ));
    }
    for (slot, value) in slots.zip(stored) {
        if let Some(v) = value {
            // A slot of a new value is empty: `set` cannot fail.
            let _ = slot.set(v);
        }
    }
    Ok(())
}

impl Serialize for Prepared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_slots(self.zooms.iter().flatten(), s)
    }
}

impl<'de> Deserialize<'de> for Prepared {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let prepared = Self::default();
        let slots: Vec<_> = prepared.zooms.iter().flatten().collect();
        deserialize_slots(slots.into_iter(), d)?;
        Ok(prepared)
    }
}

impl Serialize for PreparedCells {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_slots(self.zooms.iter(), s)
    }
}

impl<'de> Deserialize<'de> for PreparedCells {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let cells = Self::default();
        deserialize_slots(cells.zooms.iter(), d)?;
        Ok(cells)
    }
}

/// The side of one tile unit at zoom `z`, in Web Mercator metres.
fn tile_unit_metres(z: u8) -> f64 {
    2.0 * mercator::HALF_WORLD / f64::from(1u32 << z.min(30)) / f64::from(EXTENT)
}

/// The geometry simplified with a tolerance in metres; `None` when nothing with an area or a
/// length is left.
fn simplified(g: &Geometry<f64>, metres: f64) -> Option<Geometry<f64>> {
    use geo::BoundingRect;
    if matches!(g, Geometry::Point(_) | Geometry::MultiPoint(_)) {
        return Some(g.clone());
    }
    let r = g.bounding_rect()?;
    if r.width() < metres && r.height() < metres {
        // Smaller than the tolerance both ways: nothing would survive the tile grid.
        return None;
    }
    let out = match g {
        Geometry::Polygon(p) => {
            let s = p.simplify(metres);
            (s.exterior().0.len() >= 4).then_some(Geometry::Polygon(s))?
        }
        Geometry::MultiPolygon(mp) => {
            let s = mp.simplify(metres);
            let kept: Vec<_> =
                s.0.into_iter()
                    .filter(|p| p.exterior().0.len() >= 4)
                    .collect();
            if kept.is_empty() {
                return None;
            }
            Geometry::MultiPolygon(geo::MultiPolygon(kept))
        }
        Geometry::LineString(l) => Geometry::LineString(l.simplify(metres)),
        Geometry::MultiLineString(ml) => Geometry::MultiLineString(ml.simplify(metres)),
        other => other.clone(),
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Coord, LineString, Polygon};

    /// A circle of `n` vertices around (lon, lat), radius in degrees.
    fn circle(lon: f64, lat: f64, r: f64, n: usize) -> Geometry<f64> {
        let ring: Vec<Coord<f64>> = (0..=n)
            .map(|i| {
                let a = std::f64::consts::TAU * (i % n) as f64 / n as f64;
                Coord {
                    x: lon + r * a.cos(),
                    y: lat + r * a.sin(),
                }
            })
            .collect();
        Geometry::Polygon(Polygon::new(LineString::from(ring), vec![]))
    }

    #[test]
    fn bands_cut_vertices_at_low_zoom_and_keep_the_shape() {
        let g = vec![circle(2.83, 50.43, 0.5, 2000)];
        let pyramid = Pyramid::build(&g, 14, 4.0);
        assert_eq!(pyramid.bands(), 7);
        let exact = mercator::geometry_from_wgs84(&g[0]);
        let exact_area = exact.unsigned_area();
        let mut last = 0;
        for z in [0u8, 4, 8, 12] {
            let Some(Some(Geometry::Polygon(p))) = pyramid.get(0, z) else {
                panic!("band of z{z}")
            };
            let n = p.exterior().0.len();
            assert!(n >= last, "vertices grow with zoom: z{z} {n} < {last}");
            last = n;
            // The area moves by less than the tolerance band around the perimeter.
            let perimeter = 2.0 * std::f64::consts::PI * 0.5 * 111_000.0 * 1.6;
            let band = perimeter * 4.0 * tile_unit_metres(z + 1);
            assert!((p.unsigned_area() - exact_area).abs() <= band, "z{z}");
        }
        assert!(last < 2000);
        assert!(pyramid.get(0, 14).is_none(), "exact geometry from max_zoom");
    }

    #[test]
    fn tiny_polygons_vanish_at_low_zoom_only() {
        let g = vec![circle(2.83, 50.43, 0.0001, 8)];
        let pyramid = Pyramid::build(&g, 14, 4.0);
        assert_eq!(pyramid.get(0, 0), Some(None));
        assert!(matches!(pyramid.get(0, 12), Some(Some(_))));
    }
}
