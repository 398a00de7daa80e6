//! Bourg's integration tests: one binary, the router called through `tower::ServiceExt::oneshot`.

mod support;

mod abuse;
mod assets;
mod cache;
mod csv_reader;
mod demo;
mod domain;
mod durability;
mod errors;
mod glyphs;
mod http;
mod labels;
mod limits;
mod load;
mod metrics;
mod national;
mod ogc;
mod ogc_gdal;
mod ogc_tiles;
mod perimeter;
mod qualif;
mod reference;
mod rpls_layouts;
mod shutdown;
mod site_exports;
mod site_filters;
mod site_sheet;
mod sites;
mod synth;
mod synth_errors;
mod territories;
mod tile_http;
mod tiles;
mod uploads;
mod watch;
