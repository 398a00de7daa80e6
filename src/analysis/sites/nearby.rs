//! Distances and neighbourhoods of the site finder, in WGS84: metres between points on an
//! equirectangular plane at their mean latitude (exact enough within a few km), boxes around a
//! point, sums over the points of a layer within a radius, and the distance to the nearest
//! programme commune (Web Mercator scaled by cos(latitude)).

use std::collections::{BTreeSet, HashMap};

use geo::{Coord, CoordsIter, Distance, Euclidean, Point};

use super::super::territory::text;
use crate::bbox::BboxWgs84;
use crate::layer::Layer;

/// How far outside a programme commune a site still counts as near it, in metres.
pub const NEAR_M: f64 = 1000.0;

/// Projected programme-commune polygons (Web Mercator), kept by feature id once needed; `None` for
/// a commune outside the programmes.
pub type Projected = HashMap<u32, Option<geo::Geometry<f64>>>;

/// East and north metres from `b` to `a`.
fn offset_metres(a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let k = 111_320.0;
    let dx = (a.x - b.x) * k * ((a.y + b.y) / 2.0).to_radians().cos();
    (dx, (a.y - b.y) * k)
}

/// Metres between two WGS84 points (see the module doc).
pub fn metres(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = offset_metres(a, b);
    dx.hypot(dy)
}

/// Whether two WGS84 points are within `r` metres, as [`metres`] measures (without its root).
fn within(a: Coord<f64>, b: Coord<f64>, r: f64) -> bool {
    let (dx, dy) = offset_metres(a, b);
    dx * dx + dy * dy <= r * r
}

/// The WGS84 box `r` metres around a point.
pub fn around(c: Coord<f64>, r: f64) -> BboxWgs84 {
    let dlat = r / 111_320.0;
    let dlon = r / (111_320.0 * c.y.to_radians().cos().max(0.01));
    BboxWgs84 {
        west: (c.x - dlon).max(-180.0),
        south: (c.y - dlat).max(-90.0),
        east: (c.x + dlon).min(180.0),
        north: (c.y + dlat).min(90.0),
    }
}

/// Sum of a property over a point layer's features within `r` metres of `c` (nulls count 0).
/// Called for every candidate: visits the index without collecting, and reads the column.
pub fn sum_within(layer: Option<&Layer>, c: Coord<f64>, r: f64, property: &str) -> f64 {
    let Some(layer) = layer else { return 0.0 };
    let Some(column) = layer
        .property_index(property)
        .and_then(|i| layer.table.column(i))
    else {
        return 0.0;
    };
    let mut sum = 0.0;
    layer.index.visit(&around(c, r), |id| {
        let near = layer
            .geometries
            .get(id as usize)
            .and_then(|g| g.coords_iter().next())
            .is_some_and(|p| within(p, c, r));
        if near {
            sum += column.number(id as usize).unwrap_or(0.0);
        }
    });
    sum
}

/// Metres from a WGS84 point to the nearest of the programme communes' polygons around it (0
/// inside one), if any lies within [`NEAR_M`].
pub fn metres_to_programme(
    communes: &Layer,
    programme: &BTreeSet<String>,
    c: Coord<f64>,
    projected: &mut Projected,
) -> Option<f64> {
    let scale = c.y.to_radians().cos();
    let p = Point::from(crate::mercator::from_wgs84(c));
    communes
        .query(&around(c, NEAR_M))
        .filter_map(|(id, f)| {
            let g = projected.entry(id).or_insert_with(|| {
                programme
                    .contains(&text(communes, f, "code"))
                    .then(|| crate::mercator::geometry_from_wgs84(f.wgs84))
            });
            g.as_ref().map(|g| Euclidean.distance(&p, g) * scale)
        })
        .filter(|d| *d <= NEAR_M)
        .min_by(f64::total_cmp)
}

/// The communes of `set` and those whose bounds come within [`NEAR_M`] of theirs.
pub fn with_neighbours(communes: &Layer, set: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = set.clone();
    for f in communes
        .features()
        .filter(|f| set.contains(&text(communes, f, "code")))
    {
        let Some(b) = geo::BoundingRect::bounding_rect(f.wgs84) else {
            continue;
        };
        let grown = around(b.min(), NEAR_M).union(&around(b.max(), NEAR_M));
        out.extend(
            communes
                .query(&grown)
                .map(|(_, g)| text(communes, g, "code")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metres_are_right_at_french_latitudes() {
        // 0.01° of latitude ≈ 1113 m; 0.01° of longitude at 50° N ≈ 716 m.
        let a = Coord { x: 2.83, y: 50.43 };
        assert!((metres(a, Coord { x: 2.83, y: 50.44 }) - 1113.2).abs() < 1.0);
        assert!((metres(a, Coord { x: 2.84, y: 50.43 }) - 709.0).abs() < 10.0);
    }
}
