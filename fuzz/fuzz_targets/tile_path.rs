//! The `{z}/{x}/{y}.mvt` segments of `GET /tiles/{layers}/{z}/{x}/{y}.mvt`, as axum hands them
//! to the handler (decoded, no `/` inside a segment), through the handler's own parser; an
//! address it accepts must give a tile inside the world.
#![no_main]

use bourg::fuzzing::parse_tile_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '/');
    let (Some(z), Some(x), Some(y_ext)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    if y_ext.contains('/') {
        return;
    }
    let Ok(tile) = parse_tile_path(z, x, y_ext) else {
        return;
    };
    let n = 1u64 << tile.z();
    assert!(u64::from(tile.x()) < n && u64::from(tile.y()) < n, "{tile}");
    // What rendering derives from the address: the buffered WGS84 box the index is queried with.
    for margin in [0.0, 64.0, 4096.0] {
        let b = tile.bbox_wgs84(margin, 4096);
        assert!(
            bourg::bbox::BboxWgs84::try_new(b.west, b.south, b.east, b.north).is_ok(),
            "{tile} margin {margin}: {b:?}"
        );
    }
    let again = parse_tile_path(
        &tile.z().to_string(),
        &tile.x().to_string(),
        &format!("{}.mvt", tile.y()),
    );
    assert_eq!(again.ok(), Some(tile));
});
