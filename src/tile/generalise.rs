//! Per-tile generalisation of one feature: Web Mercator → tile units → clipped to the buffered
//! tile → simplified in tile space → snapped to the integer grid → cleaned.
//!
//! Clipping runs before snapping so that huge polygons at low zoom are cut before any further
//! work; cleaning after snapping is what guarantees validity: each polygon goes through
//! `i_overlay`'s integer simplification (even-odd rule), which resolves the self-intersections
//! that snapping or simplification can create, removes the zero-width edges that
//! Sutherland–Hodgman leaves along the box, drops what collapsed, and orients rings the MVT way
//! (exterior positive area in tile coordinates, holes negative). Every output coordinate is an
//! integer inside the buffered box.

use geo::{Coord, Geometry, LineString, Simplify};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions};
use i_overlay::core::simplify::Simplify as _;
use i_overlay::i_float::int::point::IntPoint;

use super::clip::{clip_line, clip_ring, ClipBox};
use super::coord::TileTransform;
use super::mvt::{TileGeometry, TilePoint};

/// Generalises geometries for one tile.
#[derive(Debug, Clone, Copy)]
pub struct Generaliser {
    transform: TileTransform,
    clip: ClipBox,
    tolerance: f64,
}

impl Generaliser {
    /// For a tile whose transform maps into `0..extent`, with `buffer` units around it and a
    /// simplification `tolerance` in tile units (0 = snap only).
    pub fn new(transform: TileTransform, extent: u32, buffer: u32, tolerance: f64) -> Self {
        Self {
            transform,
            clip: ClipBox {
                min: -f64::from(buffer),
                max: f64::from(extent) + f64::from(buffer),
            },
            tolerance,
        }
    }

    /// A generaliser that never clips: for work done once in level units (see
    /// [`TileTransform::level`]), valid for every tile that holds the whole geometry.
    pub fn unclipped(transform: TileTransform, tolerance: f64) -> Self {
        Self {
            transform,
            clip: ClipBox {
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            },
            tolerance,
        }
    }

    /// Whether the box `[lo, hi]` (tile units) misses the buffered tile, or lies inside it.
    pub fn placement(&self, lo: Coord<f64>, hi: Coord<f64>) -> (bool, bool) {
        (self.clip.misses_box(lo, hi), self.clip.contains_box(lo, hi))
    }

    /// The feature's parts in tile units; empty when nothing is left in the tile.
    /// A geometry collection gives one part per geometry family.
    pub fn geometry(&self, g: &Geometry<f64>) -> Vec<TileGeometry> {
        let mut points = Vec::new();
        let mut lines = Vec::new();
        let mut polygons = Vec::new();
        self.collect(g, &mut points, &mut lines, &mut polygons);
        let mut out = Vec::new();
        if !points.is_empty() {
            out.push(TileGeometry::Points(points));
        }
        if !lines.is_empty() {
            out.push(TileGeometry::Lines(lines));
        }
        if !polygons.is_empty() {
            out.push(TileGeometry::Polygons(polygons));
        }
        out
    }

    fn collect(
        &self,
        g: &Geometry<f64>,
        points: &mut Vec<TilePoint>,
        lines: &mut Vec<Vec<TilePoint>>,
        polygons: &mut Vec<Vec<Vec<TilePoint>>>,
    ) {
        match g {
            Geometry::Point(p) => self.point(p.0, points),
            Geometry::MultiPoint(mp) => mp.iter().for_each(|p| self.point(p.0, points)),
            Geometry::Line(l) => self.line(&[l.start, l.end], lines),
            Geometry::LineString(ls) => self.line(&ls.0, lines),
            Geometry::MultiLineString(mls) => mls.iter().for_each(|ls| self.line(&ls.0, lines)),
            Geometry::Polygon(p) => self.polygon(p, polygons),
            Geometry::MultiPolygon(mp) => mp.iter().for_each(|p| self.polygon(p, polygons)),
            Geometry::Rect(r) => self.polygon(&r.to_polygon(), polygons),
            Geometry::Triangle(t) => self.polygon(&t.to_polygon(), polygons),
            Geometry::GeometryCollection(gc) => gc
                .iter()
                .for_each(|g| self.collect(g, points, lines, polygons)),
        }
    }

    fn point(&self, c: Coord<f64>, out: &mut Vec<TilePoint>) {
        let t = self.transform.apply(c);
        if self.clip.contains(t) {
            out.push(snap(t));
        }
    }

    fn line(&self, coords: &[Coord<f64>], out: &mut Vec<Vec<TilePoint>>) {
        let tile: Vec<Coord<f64>> = coords.iter().map(|&c| self.transform.apply(c)).collect();
        let Some((lo, hi)) = extent(&tile) else {
            return;
        };
        if self.clip.misses_box(lo, hi) {
            return;
        }
        let parts = if self.clip.contains_box(lo, hi) {
            vec![tile]
        } else {
            clip_line(&tile, self.clip)
        };
        for part in parts {
            let part = if self.tolerance > 0.0 {
                LineString::from(part).simplify(self.tolerance).0
            } else {
                part
            };
            let mut snapped: Vec<TilePoint> = Vec::with_capacity(part.len());
            for c in part {
                let p = snap(c);
                if snapped.last() != Some(&p) {
                    snapped.push(p);
                }
            }
            if snapped.len() >= 2 {
                out.push(snapped);
            }
        }
    }

    /// Adds the cleaned shapes of one polygon to `out`.
    pub fn polygon(&self, p: &geo::Polygon<f64>, out: &mut Vec<Vec<Vec<TilePoint>>>) {
        let exterior: Vec<Coord<f64>> = p
            .exterior()
            .0
            .iter()
            .map(|&c| self.transform.apply(c))
            .collect();
        let Some((lo, hi)) = extent(&exterior) else {
            return;
        };
        if self.clip.misses_box(lo, hi) {
            return;
        }
        let inside = self.clip.contains_box(lo, hi);
        let mut contours: Vec<Vec<IntPoint>> = Vec::with_capacity(1 + p.interiors().len());
        let rings = std::iter::once(exterior).chain(
            p.interiors()
                .iter()
                .map(|r| r.0.iter().map(|&c| self.transform.apply(c)).collect()),
        );
        for ring in rings {
            let ring = if inside {
                ring
            } else {
                clip_ring(&ring, self.clip)
            };
            if ring.len() < 3 {
                continue;
            }
            let ring = if self.tolerance > 0.0 {
                let mut closed = ring;
                closed.push(closed[0]);
                let mut simplified = LineString::from(closed).simplify(self.tolerance).0;
                simplified.pop();
                simplified
            } else {
                ring
            };
            let mut contour: Vec<IntPoint> = Vec::with_capacity(ring.len());
            for c in ring {
                let [x, y] = snap(c);
                let point = IntPoint::new(x, y);
                if contour.last() != Some(&point) {
                    contour.push(point);
                }
            }
            while contour.len() > 1 && contour.first() == contour.last() {
                contour.pop();
            }
            if contour.len() >= 3 {
                contours.push(contour);
            }
        }
        if contours.is_empty() {
            return;
        }
        let options = IntOverlayOptions {
            output_direction: ContourDirection::CounterClockwise,
            ..IntOverlayOptions::default()
        };
        let shapes = contours.as_slice().simplify(FillRule::EvenOdd, options);
        for shape in shapes {
            let rings: Vec<Vec<TilePoint>> = shape
                .into_iter()
                .filter(|c| c.len() >= 3)
                .map(|c| c.into_iter().map(|p| [p.x, p.y]).collect())
                .collect();
            if !rings.is_empty() {
                out.push(rings);
            }
        }
    }
}

/// Rounds tile units to the integer grid.
fn snap(c: Coord<f64>) -> TilePoint {
    [c.x.round() as i32, c.y.round() as i32]
}

/// The box of some coordinates, `None` when there is none.
pub fn extent(coords: &[Coord<f64>]) -> Option<(Coord<f64>, Coord<f64>)> {
    let first = *coords.first()?;
    Some(coords.iter().fold((first, first), |(lo, hi), c| {
        (
            Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            },
            Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            },
        )
    }))
}

/// Twice the signed area of a ring by the surveyor's formula, in tile coordinates (y down):
/// positive for MVT exterior rings.
pub fn signed_area2(ring: &[TilePoint]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let [x1, y1] = ring[i];
            let [x2, y2] = ring[(i + 1) % n];
            i64::from(x1) * i64::from(y2) - i64::from(x2) * i64::from(y1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::coord::TileCoord;
    use geo::{polygon, Polygon};

    /// A generaliser whose tile units equal Web Mercator metres offset to the tile's corner.
    fn unit() -> (Generaliser, TileTransform) {
        let tile = TileCoord::try_new(0, 0, 0).unwrap();
        let t = TileTransform::new(tile, 4096);
        (Generaliser::new(t, 4096, 64, 0.0), t)
    }

    fn mercator_polygon(t: &TileTransform, rings: &[&[(f64, f64)]]) -> Geometry<f64> {
        let to_m = |&(x, y): &(f64, f64)| t.invert(Coord { x, y });
        let ext: Vec<Coord<f64>> = rings[0].iter().map(to_m).collect();
        let holes = rings[1..]
            .iter()
            .map(|r| LineString::from(r.iter().map(to_m).collect::<Vec<_>>()))
            .collect();
        Geometry::Polygon(Polygon::new(LineString::from(ext), holes))
    }

    #[test]
    fn polygon_rings_get_mvt_winding_whatever_the_input() {
        let (g, t) = unit();
        // Exterior given with negative area, hole with positive: both must be flipped.
        let square = [
            (100.0, 100.0),
            (100.0, 200.0),
            (200.0, 200.0),
            (200.0, 100.0),
            (100.0, 100.0),
        ];
        let hole = [
            (120.0, 120.0),
            (180.0, 120.0),
            (180.0, 180.0),
            (120.0, 180.0),
            (120.0, 120.0),
        ];
        let out = g.geometry(&mercator_polygon(&t, &[&square, &hole]));
        let TileGeometry::Polygons(polys) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 2);
        assert!(signed_area2(&polys[0][0]) > 0, "exterior {:?}", polys[0][0]);
        assert!(signed_area2(&polys[0][1]) < 0, "hole {:?}", polys[0][1]);
    }

    #[test]
    fn bow_tie_is_split_into_valid_parts() {
        let (g, t) = unit();
        let bow = [
            (0.0, 0.0),
            (100.0, 100.0),
            (100.0, 0.0),
            (0.0, 100.0),
            (0.0, 0.0),
        ];
        let out = g.geometry(&mercator_polygon(&t, &[&bow]));
        let TileGeometry::Polygons(polys) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(polys.len(), 2, "{polys:?}");
        for p in polys {
            assert!(signed_area2(&p[0]) > 0);
        }
    }

    #[test]
    fn polygon_outside_the_buffer_vanishes_and_edges_clip() {
        let (g, t) = unit();
        let far = [
            (5000.0, 5000.0),
            (5100.0, 5000.0),
            (5100.0, 5100.0),
            (5000.0, 5000.0),
        ];
        assert!(g.geometry(&mercator_polygon(&t, &[&far])).is_empty());
        let big = [
            (-1000.0, -1000.0),
            (9000.0, -1000.0),
            (9000.0, 9000.0),
            (-1000.0, 9000.0),
            (-1000.0, -1000.0),
        ];
        let out = g.geometry(&mercator_polygon(&t, &[&big]));
        let TileGeometry::Polygons(polys) = &out[0] else {
            panic!("{out:?}")
        };
        let xs: Vec<i32> = polys[0][0].iter().map(|p| p[0]).collect();
        assert_eq!(xs.iter().min(), Some(&-64));
        assert_eq!(xs.iter().max(), Some(&4160));
    }

    #[test]
    fn sliver_collapses_and_is_dropped() {
        let (g, t) = unit();
        let sliver = [(10.0, 10.0), (500.0, 10.2), (10.0, 10.3), (10.0, 10.0)];
        assert!(g.geometry(&mercator_polygon(&t, &[&sliver])).is_empty());
        let _: Polygon<f64> = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
    }

    #[test]
    fn points_outside_the_buffer_are_dropped() {
        let (g, t) = unit();
        let inside = Geometry::Point(t.invert(Coord { x: -60.0, y: 10.0 }).into());
        let outside = Geometry::Point(t.invert(Coord { x: -70.0, y: 10.0 }).into());
        assert_eq!(
            g.geometry(&inside),
            vec![TileGeometry::Points(vec![[-60, 10]])]
        );
        assert!(g.geometry(&outside).is_empty());
    }
}
