//! The residences a campaign rates, and their identifier.
//!
//! RPLS has no building identifier: Bourg groups dwellings into residences by their Lambert-93
//! coordinates (`[group] by = ["X", "Y"]`). A residence's id is built from the data alone —
//! `DEPCOM-X-Y`, its commune's INSEE code and its coordinates rounded to the metre, e.g.
//! `62498-685123-7034567` — so it survives reloads, re-ordered files and new vintages that keep
//! the building's position, and a partner can read where it is. Two residences of a commune
//! within the same square metre (different coordinates rounding alike) get `-2`, `-3`, … in the
//! order of their exact coordinates.
//!
//! The residences layer must therefore keep `DEPCOM`, `X` and `Y` as properties.

use std::collections::BTreeMap;

use geo::Geometry;

use super::QualifError;
use crate::analysis::indicators::number;
use crate::analysis::territory::{layer_with, text, Territory};
use crate::catalog::Catalog;
use crate::config::Role;
use crate::layer::Layer;

/// A residence of a campaign's territory.
#[derive(Debug, Clone, PartialEq)]
pub struct Residence {
    /// The stable id (see the module).
    pub id: String,
    /// Its feature in the residences layer (changes with reloads: never stored).
    pub feature: u32,
    pub lon: f64,
    pub lat: f64,
    /// INSEE code of its commune.
    pub commune: String,
    pub commune_name: Option<String>,
    /// Street address, when the data has one.
    pub address: Option<String>,
    /// The landlord, when the data names it.
    pub landlord: Option<String>,
    /// Social dwellings.
    pub dwellings: Option<i64>,
    /// The computed fragility index, 0..100.
    pub fragility: Option<f64>,
}

/// The properties an id is built from.
pub const ID_PROPERTIES: [&str; 3] = ["DEPCOM", "X", "Y"];

/// The residences layer, checked to hold what ids are built from.
///
/// # Errors
/// No residences layer, or one without `DEPCOM`, `X` or `Y`.
pub fn layer(catalog: &Catalog) -> Result<&Layer, QualifError> {
    let layer = layer_with(catalog, Role::Residences).ok_or_else(|| {
        QualifError::NotFound(
            "this server has no residences layer ([analysis] role = \"residences\")".into(),
        )
    })?;
    if let Some(missing) = ID_PROPERTIES
        .iter()
        .find(|p| layer.property_index(p).is_none())
    {
        return Err(QualifError::Invalid(format!(
            "the residences layer {} lacks the property {missing}: residence ids are built from {} (add them to its [properties])",
            layer.id(),
            ID_PROPERTIES.join(", ")
        )));
    }
    Ok(layer)
}

/// The residences of a territory, by id.
///
/// # Errors
/// See [`layer`].
pub fn of_territory(
    catalog: &Catalog,
    territory: &Territory,
) -> Result<Vec<Residence>, QualifError> {
    let layer = layer(catalog)?;
    let some = |f, name: &str| Some(text(layer, f, name)).filter(|t| !t.trim().is_empty());
    // Grouped by rounded key first, with the exact coordinates to order look-alikes.
    let mut by_key: BTreeMap<String, Vec<(f64, f64, Residence)>> = BTreeMap::new();
    for id in territory.members(layer, "DEPCOM") {
        let Some(f) = layer.feature(id) else { continue };
        let (Some(x), Some(y)) = (number(layer, f, "X"), number(layer, f, "Y")) else {
            continue;
        };
        let Geometry::Point(p) = f.wgs84 else {
            continue;
        };
        let commune = text(layer, f, "DEPCOM");
        let key = format!("{commune}-{}-{}", x.round() as i64, y.round() as i64);
        let parts = ["NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE"].map(|n| some(f, n));
        by_key.entry(key.clone()).or_default().push((
            x,
            y,
            Residence {
                id: key,
                feature: id,
                lon: p.x(),
                lat: p.y(),
                commune,
                commune_name: some(f, "LIBCOM"),
                address: crate::analysis::sites::label::address(parts.iter().map(Option::as_deref)),
                landlord: some(f, "SYNTH_BAILLEUR").or_else(|| some(f, "BAILLEUR")),
                dwellings: number(layer, f, "logements").map(|v| v.round() as i64),
                fragility: number(layer, f, "fragilite"),
            },
        ));
    }
    let mut out = Vec::new();
    for (_, mut same) in by_key {
        same.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for (i, (_, _, mut r)) in same.into_iter().enumerate() {
            if i > 0 {
                r.id = format!("{}-{}", r.id, i + 1);
            }
            out.push(r);
        }
    }
    Ok(out)
}
