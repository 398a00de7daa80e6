//! A layer file (`layers/<id>.toml`): TOML parsing then validation, as the server does at start
//! for each file of its `--layers` folder.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    bourg::init_gdal();
    let _ = bourg::config::parse(Path::new("layers/fuzz.toml"), text);
});
