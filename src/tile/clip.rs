//! Clipping to an axis-aligned box in tile units (the buffered tile): Sutherland–Hodgman for
//! polygon rings, Liang–Barsky for line segments. Works on `f64` tile units; the result is
//! snapped and cleaned afterwards (see `generalise`), so degenerate edges along the box edge that
//! Sutherland–Hodgman leaves are removed there.

use geo::Coord;

/// The clipping box, `min..=max` on both axes, in tile units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipBox {
    /// Lowest x and y.
    pub min: f64,
    /// Highest x and y.
    pub max: f64,
}

impl ClipBox {
    /// Whether a point is inside or on the edge.
    pub fn contains(&self, c: Coord<f64>) -> bool {
        c.x >= self.min && c.x <= self.max && c.y >= self.min && c.y <= self.max
    }

    /// Whether a box `[lo, hi]` lies entirely inside.
    pub fn contains_box(&self, lo: Coord<f64>, hi: Coord<f64>) -> bool {
        self.contains(lo) && self.contains(hi)
    }

    /// Whether a box `[lo, hi]` misses this one entirely.
    pub fn misses_box(&self, lo: Coord<f64>, hi: Coord<f64>) -> bool {
        hi.x < self.min || lo.x > self.max || hi.y < self.min || lo.y > self.max
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Left(f64),
    Right(f64),
    Top(f64),
    Bottom(f64),
}

impl Edge {
    fn inside(self, c: Coord<f64>) -> bool {
        match self {
            Edge::Left(v) => c.x >= v,
            Edge::Right(v) => c.x <= v,
            Edge::Top(v) => c.y >= v,
            Edge::Bottom(v) => c.y <= v,
        }
    }

    fn intersect(self, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        match self {
            Edge::Left(v) | Edge::Right(v) => {
                let t = (v - a.x) / (b.x - a.x);
                Coord {
                    x: v,
                    y: a.y + t * (b.y - a.y),
                }
            }
            Edge::Top(v) | Edge::Bottom(v) => {
                let t = (v - a.y) / (b.y - a.y);
                Coord {
                    x: a.x + t * (b.x - a.x),
                    y: v,
                }
            }
        }
    }
}

/// Clips a closed ring (first point may or may not be repeated at the end). Returns an open ring,
/// empty when nothing is left.
pub fn clip_ring(ring: &[Coord<f64>], b: ClipBox) -> Vec<Coord<f64>> {
    let mut points: Vec<Coord<f64>> = ring.to_vec();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    for edge in [
        Edge::Left(b.min),
        Edge::Right(b.max),
        Edge::Top(b.min),
        Edge::Bottom(b.max),
    ] {
        if points.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(points.len() + 4);
        let mut prev = points[points.len() - 1];
        for &cur in &points {
            match (edge.inside(prev), edge.inside(cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(edge.intersect(prev, cur)),
                (false, true) => {
                    out.push(edge.intersect(prev, cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
            prev = cur;
        }
        points = out;
    }
    points
}

/// Clips a line string; each part that stays inside becomes its own line.
pub fn clip_line(line: &[Coord<f64>], b: ClipBox) -> Vec<Vec<Coord<f64>>> {
    let mut parts: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut current: Vec<Coord<f64>> = Vec::new();
    for pair in line.windows(2) {
        match clip_segment(pair[0], pair[1], b) {
            Some((p, q)) => {
                if current.last() != Some(&p) {
                    if current.len() >= 2 {
                        parts.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(p);
                }
                current.push(q);
                // Leaving the box ends the part.
                if q != pair[1] {
                    if current.len() >= 2 {
                        parts.push(std::mem::take(&mut current));
                    }
                    current.clear();
                }
            }
            None => {
                if current.len() >= 2 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        parts.push(current);
    }
    parts
}

/// Liang–Barsky: the part of segment `a → b` inside the box.
fn clip_segment(a: Coord<f64>, b: Coord<f64>, bx: ClipBox) -> Option<(Coord<f64>, Coord<f64>)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.x - bx.min),
        (dx, bx.max - a.x),
        (-dy, a.y - bx.min),
        (dy, bx.max - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    let at = |t: f64| Coord {
        x: a.x + t * dx,
        y: a.y + t * dy,
    };
    let p = if t0 == 0.0 { a } else { at(t0) };
    let q = if t1 == 1.0 { b } else { at(t1) };
    Some((p, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const B: ClipBox = ClipBox {
        min: 0.0,
        max: 10.0,
    };

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn ring_inside_is_unchanged() {
        let ring = [c(1.0, 1.0), c(5.0, 1.0), c(5.0, 5.0), c(1.0, 1.0)];
        assert_eq!(clip_ring(&ring, B), ring[..3].to_vec());
    }

    #[test]
    fn ring_crossing_is_cut_at_the_edge() {
        let ring = [c(-5.0, 2.0), c(5.0, 2.0), c(5.0, 8.0), c(-5.0, 8.0)];
        let out = clip_ring(&ring, B);
        assert!(out.iter().all(|p| B.contains(*p)));
        assert!(out.contains(&c(0.0, 2.0)) && out.contains(&c(0.0, 8.0)));
    }

    #[test]
    fn ring_outside_vanishes() {
        let ring = [c(20.0, 20.0), c(30.0, 20.0), c(30.0, 30.0)];
        assert!(clip_ring(&ring, B).is_empty());
    }

    #[test]
    fn line_leaving_and_reentering_gives_two_parts() {
        let line = [c(1.0, 1.0), c(15.0, 1.0), c(15.0, 5.0), c(1.0, 5.0)];
        let parts = clip_line(&line, B);
        assert_eq!(
            parts,
            vec![
                vec![c(1.0, 1.0), c(10.0, 1.0)],
                vec![c(10.0, 5.0), c(1.0, 5.0)]
            ]
        );
    }

    proptest! {
        #[test]
        fn clipped_points_stay_in_the_box(pts in prop::collection::vec((-30.0f64..30.0, -30.0f64..30.0), 2..30)) {
            let pts: Vec<_> = pts.into_iter().map(|(x, y)| c(x, y)).collect();
            for p in clip_ring(&pts, B) {
                prop_assert!(p.x >= -1e-9 && p.x <= 10.0 + 1e-9 && p.y >= -1e-9 && p.y <= 10.0 + 1e-9);
            }
            for part in clip_line(&pts, B) {
                prop_assert!(part.len() >= 2);
                for p in part {
                    prop_assert!(p.x >= -1e-9 && p.x <= 10.0 + 1e-9 && p.y >= -1e-9 && p.y <= 10.0 + 1e-9);
                }
            }
        }
    }
}
