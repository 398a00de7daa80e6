//! An uploaded perimeter (`POST` bodies of the territory analysis): a zipped Shapefile when the
//! body starts as a zip does (`PK`), a GeoPackage when it starts as an SQLite file does, GeoJSON
//! otherwise, read with the file's own CRS and the default caps. What is accepted must be
//! longitude/latitude, as `read` promises.
#![no_main]

use bourg::analysis::upload::{read, Format, UploadLimits};
use geo::CoordsIter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let format = if data.starts_with(b"PK") {
        Format::ZippedShapefile
    } else if data.starts_with(b"SQLite format 3\0") {
        Format::GeoPackage
    } else {
        Format::GeoJson
    };
    if let Ok(mp) = read(data.to_vec(), format, None, &UploadLimits::default()) {
        assert!(!mp.0.is_empty());
        for c in mp.coords_iter() {
            assert!(
                (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y),
                "{c:?}"
            );
        }
    }
});
