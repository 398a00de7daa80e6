//! A read-only R-tree over a layer's feature envelopes, in WGS84 degrees.
//!
//! The tree holds one rectangle and one `u32` position per feature ([`GeomWithData`]); it is
//! bulk-loaded once and never mutated (a reload builds a new one). Because Web Mercator maps
//! each axis monotonically, the WGS84 envelope of a feature maps exactly onto its Mercator
//! envelope: tiles convert their bounds to WGS84 and use the same queries.

use geo::Rect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::bbox::BboxWgs84;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The spatial index of one layer.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SpatialIndex {
    tree: RTree<Entry>,
}

impl SpatialIndex {
    /// Bulk-loads the envelopes; entry `i` of the iterator gets position `i`.
    ///
    /// # Runtime
    /// O(n log n), using the OMT bulk-load, which gives better queries than n insertions.
    ///
    /// # Panics
    /// Never for fewer than 2^32 envelopes; a layer with more is refused at load.
    pub fn bulk_load(envelopes: impl IntoIterator<Item = Rect<f64>>) -> Self {
        let entries = envelopes
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let pos = u32::try_from(i).unwrap_or(u32::MAX);
                GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    pos,
                )
            })
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Positions of the features whose envelope intersects the box (edges included), in
    /// ascending order, each once.
    ///
    /// # Runtime
    /// O(log n + k log k) for k results.
    pub fn query(&self, bbox: &BboxWgs84) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for rect in bbox.envelopes() {
            let aabb =
                AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            out.extend(
                self.tree
                    .locate_in_envelope_intersecting(&aabb)
                    .map(|e| e.data),
            );
        }
        out.sort_unstable();
        if bbox.crosses_antimeridian() {
            out.dedup();
        }
        out
    }

    /// Calls `visit` with each feature whose envelope intersects the box, in no particular
    /// order, without collecting them (a box crossing the antimeridian goes through
    /// [`SpatialIndex::query`], which removes duplicates).
    pub fn visit(&self, bbox: &BboxWgs84, mut visit: impl FnMut(u32)) {
        if bbox.crosses_antimeridian() {
            self.query(bbox).into_iter().for_each(visit);
            return;
        }
        let aabb = AABB::from_corners([bbox.west, bbox.south], [bbox.east, bbox.north]);
        for e in self.tree.locate_in_envelope_intersecting(&aabb) {
            visit(e.data);
        }
    }

    /// Number of features whose envelope intersects the box, without materialising them when
    /// the box does not cross the antimeridian.
    pub fn count(&self, bbox: &BboxWgs84) -> usize {
        if bbox.crosses_antimeridian() {
            return self.query(bbox).len();
        }
        let aabb = AABB::from_corners([bbox.west, bbox.south], [bbox.east, bbox.north]);
        self.tree.locate_in_envelope_intersecting(&aabb).count()
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Coord;
    use proptest::prelude::*;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect<f64> {
        Rect::new(Coord { x, y }, Coord { x: x + w, y: y + h })
    }

    fn brute_force(rects: &[Rect<f64>], b: &BboxWgs84) -> Vec<u32> {
        (0..rects.len() as u32)
            .filter(|&i| {
                let r = rects[i as usize];
                b.envelopes().iter().any(|e| {
                    r.min().x <= e.max().x
                        && r.max().x >= e.min().x
                        && r.min().y <= e.max().y
                        && r.max().y >= e.min().y
                })
            })
            .collect()
    }

    #[test]
    fn edge_touching_counts_as_intersecting() {
        let index = SpatialIndex::bulk_load([rect(0.0, 0.0, 1.0, 1.0)]);
        let b = BboxWgs84::try_new(1.0, 1.0, 2.0, 2.0).unwrap();
        assert_eq!(index.query(&b), vec![0]);
    }

    proptest! {
        #[test]
        fn query_equals_brute_force(
            boxes in prop::collection::vec((-180.0f64..179.0, -89.0f64..89.0, 0.0f64..5.0, 0.0f64..5.0), 0..300),
            q in (-180.0f64..180.0, -90.0f64..80.0, -180.0f64..180.0, 0.0f64..10.0),
        ) {
            let rects: Vec<_> = boxes.iter().map(|&(x, y, w, h)| rect(x, y, w.min(180.0 - x), h.min(90.0 - y))).collect();
            let index = SpatialIndex::bulk_load(rects.iter().copied());
            let b = BboxWgs84::try_new(q.0, q.1, q.2, (q.1 + q.3).min(90.0)).unwrap();
            let expected = brute_force(&rects, &b);
            prop_assert_eq!(index.query(&b), expected.clone());
            prop_assert_eq!(index.count(&b), expected.len());
        }
    }
}
