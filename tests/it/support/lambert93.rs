//! An independent inverse of Lambert-93 (EPSG:2154) to longitude/latitude, written from the
//! Lambert Conformal Conic 2SP formulas (Snyder, *Map Projections — A Working Manual*, 1987,
//! eq. 15-1 to 15-11 and 7-9), to check GDAL's reprojection without using GDAL.
//! RGF93 and WGS84 coincide at this precision (PROJ applies a null transformation).

const A: f64 = 6_378_137.0; // GRS80
const INV_F: f64 = 298.257_222_101;
const LAT1: f64 = 44.0;
const LAT2: f64 = 49.0;
const LAT0: f64 = 46.5;
const LON0: f64 = 3.0;
const X0: f64 = 700_000.0;
const Y0: f64 = 6_600_000.0;

fn e() -> f64 {
    let f = 1.0 / INV_F;
    (2.0 * f - f * f).sqrt()
}

fn m(phi: f64) -> f64 {
    let e = e();
    phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt()
}

fn t(phi: f64) -> f64 {
    let e = e();
    let s = e * phi.sin();
    (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(e / 2.0)
}

/// Lambert-93 (x, y) in metres → (longitude, latitude) in degrees.
pub fn to_wgs84(x: f64, y: f64) -> (f64, f64) {
    let e = e();
    let (p1, p2, p0) = (LAT1.to_radians(), LAT2.to_radians(), LAT0.to_radians());
    let n = (m(p1).ln() - m(p2).ln()) / (t(p1).ln() - t(p2).ln());
    let f = m(p1) / (n * t(p1).powf(n));
    let rho0 = A * f * t(p0).powf(n);
    let dx = x - X0;
    let dy = rho0 - (y - Y0);
    let rho = (dx * dx + dy * dy).sqrt();
    let tt = (rho / (A * f)).powf(1.0 / n);
    let theta = dx.atan2(dy);
    let lon = theta / n + LON0.to_radians();
    let mut phi = std::f64::consts::FRAC_PI_2 - 2.0 * tt.atan();
    for _ in 0..20 {
        let s = e * phi.sin();
        phi =
            std::f64::consts::FRAC_PI_2 - 2.0 * (tt * ((1.0 - s) / (1.0 + s)).powf(e / 2.0)).atan();
    }
    (lon.to_degrees(), phi.to_degrees())
}

#[test]
fn origin_is_3e_46_5n() {
    let (lon, lat) = to_wgs84(X0, Y0);
    assert!((lon - 3.0).abs() < 1e-12 && (lat - 46.5).abs() < 1e-12);
}
