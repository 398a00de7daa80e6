//! Where buildings go: points strictly inside a commune polygon, denser near a centre.
//!
//! CRS: WGS84 longitude/latitude in and out. Distances are measured in a local equirectangular
//! frame around the commune's centre (metres per degree of longitude scaled by cos(latitude)),
//! accurate to a fraction of a percent over a commune. Sampling is rejection sampling: a 2-D
//! Gaussian around a centre, kept only when the point lies inside the polygon and at least
//! [`MARGIN_M`] from its boundary, so rounding and reprojection cannot push it out.
//!
//! Invariant: every point returned by [`Territory::sample_near`] satisfies
//! [`Territory::accepts`]; after [`MAX_GAUSSIAN_TRIES`] failures it falls back to uniform
//! sampling in the bounding box, then to the territory's centre, which is checked at construction.

use geo::{BoundingRect, ChamberlainDuquetteArea, Contains, Coord, InteriorPoint, MultiPolygon};

use super::error::SynthError;
use super::projection::{Decimetres, Lambert93};
use super::rng::Rng;

/// Smallest distance, in metres, between a sampled point and the commune boundary.
pub const MARGIN_M: f64 = 1.0;
/// Gaussian draws tried before falling back to uniform sampling.
pub const MAX_GAUSSIAN_TRIES: usize = 64;
/// Uniform draws in the bounding box tried before falling back to the centre.
const MAX_UNIFORM_TRIES: usize = 4096;
/// Metres per degree of latitude (mean, at French latitudes).
const M_PER_DEG_LAT: f64 = 111_200.0;

/// A commune polygon prepared for sampling.
#[derive(Debug, Clone)]
pub struct Territory {
    polygon: MultiPolygon<f64>,
    min: Coord<f64>,
    max: Coord<f64>,
    m_per_deg_lon: f64,
    /// A point inside with margin: the programme point when it qualifies, else an interior point.
    pub centre: Coord<f64>,
    /// Area in m² (Chamberlain–Duquette, on the sphere).
    pub area_m2: f64,
}

impl Territory {
    /// Prepares a polygon; `hint` (an ANCT programme point) becomes the centre when it lies
    /// inside with margin.
    ///
    /// # Errors
    /// When no point inside the polygon with margin is found (an empty or sliver polygon): the
    /// message says why.
    pub fn new(polygon: MultiPolygon<f64>, hint: Option<Coord<f64>>) -> Result<Self, String> {
        let rect = polygon
            .bounding_rect()
            .ok_or_else(|| "empty polygon".to_owned())?;
        let mid_lat = (rect.min().y + rect.max().y) / 2.0;
        let mut t = Self {
            area_m2: polygon.chamberlain_duquette_unsigned_area(),
            min: rect.min(),
            max: rect.max(),
            m_per_deg_lon: M_PER_DEG_LAT * mid_lat.to_radians().cos(),
            centre: rect.center(),
            polygon,
        };
        let interior = t.polygon.interior_point().map(|p| p.0);
        let candidate = hint
            .into_iter()
            .chain(interior)
            .find(|c| t.accepts(*c))
            .or_else(|| {
                // A deterministic scan of the bounding box for slivers.
                let mut rng = Rng::seeded(0);
                (0..MAX_UNIFORM_TRIES)
                    .map(|_| t.uniform(&mut rng))
                    .find(|c| t.accepts(*c))
            });
        t.centre = candidate
            .ok_or_else(|| format!("no point at least {MARGIN_M} m inside the polygon"))?;
        Ok(t)
    }

    /// Whether `c` is inside the polygon and at least [`MARGIN_M`] from its boundary.
    pub fn accepts(&self, c: Coord<f64>) -> bool {
        c.x > self.min.x
            && c.x < self.max.x
            && c.y > self.min.y
            && c.y < self.max.y
            && self.polygon.contains(&c)
            && self.boundary_distance_at_least(c, MARGIN_M)
    }

    /// Whether `c` is inside the polygon (no margin).
    pub fn contains(&self, c: Coord<f64>) -> bool {
        self.polygon.contains(&c)
    }

    fn boundary_distance_at_least(&self, c: Coord<f64>, metres: f64) -> bool {
        let d2 = metres * metres;
        let (kx, ky) = (self.m_per_deg_lon, M_PER_DEG_LAT);
        let rings = self
            .polygon
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
        for ring in rings {
            for seg in ring.0.windows(2) {
                let (ax, ay) = ((seg[0].x - c.x) * kx, (seg[0].y - c.y) * ky);
                let (bx, by) = ((seg[1].x - c.x) * kx, (seg[1].y - c.y) * ky);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (ax + t * dx, ay + t * dy);
                if px * px + py * py < d2 {
                    return false;
                }
            }
        }
        true
    }

    /// `c` moved by (`east_m`, `north_m`) metres.
    pub fn offset(&self, c: Coord<f64>, east_m: f64, north_m: f64) -> Coord<f64> {
        Coord {
            x: c.x + east_m / self.m_per_deg_lon,
            y: c.y + north_m / M_PER_DEG_LAT,
        }
    }

    /// Distance in metres between two points of the territory.
    pub fn distance_m(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        ((a.x - b.x) * self.m_per_deg_lon).hypot((a.y - b.y) * M_PER_DEG_LAT)
    }

    fn uniform(&self, rng: &mut Rng) -> Coord<f64> {
        Coord {
            x: self.min.x + rng.f64() * (self.max.x - self.min.x),
            y: self.min.y + rng.f64() * (self.max.y - self.min.y),
        }
    }

    /// A point drawn from a 2-D Gaussian of standard deviation `sigma_m` around `around`,
    /// inside the territory with margin (see the module invariant for the fallbacks).
    pub fn sample_near(&self, rng: &mut Rng, around: Coord<f64>, sigma_m: f64) -> Coord<f64> {
        for _ in 0..MAX_GAUSSIAN_TRIES {
            let c = self.offset(around, sigma_m * rng.normal(), sigma_m * rng.normal());
            if self.accepts(c) {
                return c;
            }
        }
        for _ in 0..MAX_UNIFORM_TRIES {
            let c = self.uniform(rng);
            if self.accepts(c) {
                return c;
            }
        }
        self.centre
    }

    /// Lambert-93 positions of `points`, checked after rounding to the decimetre: each position
    /// written, brought back to WGS84, is still inside the polygon. A point that fails (not
    /// expected with the margin) is replaced by a fresh draw around the centre, spread `sigma_m`.
    ///
    /// # Errors
    /// When PROJ fails.
    pub fn project_checked(
        &self,
        l93: &Lambert93,
        rng: &mut Rng,
        points: &[Coord<f64>],
        sigma_m: f64,
    ) -> Result<Vec<Decimetres>, SynthError> {
        let mut projected = l93.project(points)?;
        let back = l93.unproject(&projected)?;
        for (slot, c) in projected.iter_mut().zip(back) {
            if self.contains(c) {
                continue;
            }
            for attempt in 0..=MAX_GAUSSIAN_TRIES {
                let fresh = if attempt == MAX_GAUSSIAN_TRIES {
                    self.centre
                } else {
                    self.sample_near(rng, self.centre, sigma_m)
                };
                let p = l93.project(&[fresh])?;
                let checked = l93.unproject(&p)?;
                if checked.first().is_some_and(|c| self.contains(*c)) {
                    *slot = p[0];
                    break;
                }
            }
        }
        Ok(projected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Polygon};
    use proptest::prelude::{any, prop, prop_assert, proptest};

    fn square() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: 2.80, y: 50.40), (x: 2.86, y: 50.40), (x: 2.86, y: 50.45), (x: 2.80, y: 50.45)
        ]])
    }

    #[test]
    fn hint_outside_falls_back_to_an_interior_point() {
        let t = Territory::new(square(), Some(Coord { x: 3.5, y: 50.0 })).unwrap();
        assert!(t.accepts(t.centre));
        let inside = Coord { x: 2.83, y: 50.43 };
        assert_eq!(
            Territory::new(square(), Some(inside)).unwrap().centre,
            inside
        );
        // About 4.3 km × 5.6 km.
        assert!((t.area_m2 / 1e6 - 23.8).abs() < 1.0, "{}", t.area_m2);
    }

    #[test]
    fn margin_is_measured_in_metres() {
        let t = Territory::new(square(), None).unwrap();
        let one_metre_east = 1.0 / t.m_per_deg_lon;
        let near = Coord {
            x: 2.80 + 0.5 * one_metre_east,
            y: 50.42,
        };
        let far = Coord {
            x: 2.80 + 2.0 * one_metre_east,
            y: 50.42,
        };
        assert!(t.contains(near) && !t.accepts(near));
        assert!(t.accepts(far));
        assert!((t.distance_m(near, far) - 1.5).abs() < 1e-6);
    }

    #[test]
    fn empty_polygon_is_an_error() {
        assert!(Territory::new(MultiPolygon::new(vec![]), None).is_err());
        let sliver: Polygon<f64> = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1e-9)];
        assert!(Territory::new(MultiPolygon::new(vec![sliver]), None).is_err());
    }

    proptest! {
        /// Star-shaped polygons of random radii: every sample is inside with margin, whatever
        /// the centre and spread asked.
        #[test]
        fn samples_are_always_inside(
            radii in prop::collection::vec(200.0f64..5000.0, 5..24),
            seed in any::<u64>(),
            sigma in 10.0f64..20_000.0,
            dx in -8000.0f64..8000.0,
        ) {
            let centre = Coord { x: 2.8, y: 50.4 };
            let k = M_PER_DEG_LAT * 50.4f64.to_radians().cos();
            let n = radii.len();
            let mut ring: Vec<Coord<f64>> = radii.iter().enumerate().map(|(i, r)| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                Coord { x: centre.x + r * a.cos() / k, y: centre.y + r * a.sin() / M_PER_DEG_LAT }
            }).collect();
            ring.push(ring[0]);
            let poly = MultiPolygon::new(vec![Polygon::new(ring.into(), vec![])]);
            let t = Territory::new(poly.clone(), Some(centre)).unwrap();
            let mut rng = Rng::seeded(seed);
            let around = t.offset(centre, dx, 0.0);
            for _ in 0..50 {
                let p = t.sample_near(&mut rng, around, sigma);
                prop_assert!(poly.contains(&p));
                prop_assert!(t.accepts(p));
            }
        }
    }
}
