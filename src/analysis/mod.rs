//! Territory analysis: indicators for a commune, an EPCI, a département, a programme perimeter or
//! a drawn polygon, compared with its département and with France (the national reference).

pub mod fragility;
pub mod indicators;
pub mod reference;
pub mod sites;
pub mod territory;
pub mod upload;

pub use indicators::{compute, Indicator};
pub use reference::Reference;
pub use territory::{everything, from_polygon, resolve, Kind, Territory};
