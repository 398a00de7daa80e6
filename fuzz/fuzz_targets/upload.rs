//! An uploaded perimeter (`POST` bodies of the territory analysis): a zipped Shapefile when the
//! body starts as a zip does (`PK`), GeoJSON otherwise, read with the file's own CRS. What is
//! accepted must be longitude/latitude, as `read` promises.
#![no_main]

use bourg::analysis::upload::{read, Format};
use geo::CoordsIter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let format = if data.starts_with(b"PK") {
        Format::ZippedShapefile
    } else {
        Format::GeoJson
    };
    if let Ok(mp) = read(data.to_vec(), format, None) {
        assert!(!mp.0.is_empty());
        for c in mp.coords_iter() {
            assert!(
                (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y),
                "{c:?}"
            );
        }
    }
});
