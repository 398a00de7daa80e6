//! The `bbox` parameter, alone (`/sites`: `BboxWgs84::parse`) or after a `bbox-crs` value and a
//! line break (`/items`: `OgcCrs::parse` then `bbox_to_wgs84`). A box either parser accepts must
//! be a valid WGS84 box that prints and parses back to itself.
#![no_main]

use bourg::bbox::BboxWgs84;
use bourg::ogc::crs::{bbox_to_wgs84, OgcCrs};
use libfuzzer_sys::fuzz_target;

fn check(b: BboxWgs84, input: &str) {
    assert!(
        BboxWgs84::try_new(b.west, b.south, b.east, b.north).is_ok(),
        "{input:?} gave {b:?}"
    );
    assert_eq!(BboxWgs84::parse(&b.to_string()), Ok(b), "{input:?}");
    let envelopes = b.envelopes();
    assert!(!envelopes.is_empty() && envelopes.len() <= 2);
    let centre = envelopes[0].center();
    assert!(
        b.contains(centre),
        "{input:?}: {b:?} does not hold {centre:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (crs, bbox) = match text.split_once('\n') {
        Some((crs, bbox)) => match OgcCrs::parse(crs) {
            Ok(crs) => (crs, bbox),
            Err(_) => return,
        },
        None => (OgcCrs::Crs84, text),
    };
    if let Ok(b) = BboxWgs84::parse(bbox) {
        check(b, bbox);
    }
    if let Ok(b) = bbox_to_wgs84(bbox, crs) {
        check(b, bbox);
    }
});
