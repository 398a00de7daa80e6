//! The downloads of `/api/sites`: CSV for French spreadsheets, XLSX, GeoJSON and GeoPackage, all
//! with the same columns in the same order ([`COLUMNS`]): French headers in CSV and XLSX,
//! machine keys in GeoJSON and GeoPackage. Coordinates are WGS84 longitude and latitude.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::Serialize;

use crate::analysis::sites::weights::{FRENCH_DESCRIPTIONS, FRENCH_NAMES};
use crate::analysis::sites::{Site, Weights, COMPONENTS};
use crate::catalog::Catalog;
use crate::config::Role;
use crate::export::{Cell, Column, Table, Type};

/// One export column: its machine key, its French header, its type.
struct Col {
    key: &'static str,
    header: &'static str,
    ty: Type,
}

const fn col(key: &'static str, header: &'static str, ty: Type) -> Col {
    Col { key, header, ty }
}

/// Every export's columns, in order (components in [`COMPONENTS`] order, keys `c_<name>`).
const COLUMNS: [Col; 21] = [
    col("rank", "rang", Type::Int),
    col("kind", "type", Type::Text),
    col("score", "score", Type::Float),
    col("commune_name", "commune", Type::Text),
    col("commune", "code INSEE", Type::Text),
    col("epci", "EPCI", Type::Text),
    col("epci_siren", "SIREN EPCI", Type::Text),
    col("address", "adresse", Type::Text),
    col("label", "libellé", Type::Text),
    col("c_vacancy", "vacance alentour", Type::Float),
    col("c_perimeter", "programme", Type::Float),
    col("c_centre", "centralité", Type::Float),
    col("c_stock", "parc social proche", Type::Float),
    col("c_size", "taille", Type::Float),
    col("c_detente", "détente du marché", Type::Float),
    col("c_fragility", "fragilité", Type::Float),
    col("synthetic", "synthétique", Type::Bool),
    col("layer", "couche", Type::Text),
    col("id", "identifiant", Type::Int),
    col("lon", "lon", Type::Float),
    col("lat", "lat", Type::Float),
];

/// A site's cells, in [`COLUMNS`] order.
fn cells(s: &Site) -> Vec<Cell> {
    let text = |t: Option<&str>| t.map_or(Cell::Null, |t| Cell::Text(t.to_owned()));
    let mut out = vec![
        Cell::Int(s.rank as i64),
        Cell::Text(s.kind.to_owned()),
        Cell::Float(s.score),
        text(s.commune_name.as_deref()),
        Cell::Text(s.commune.clone()),
        text(s.epci.as_ref().and_then(|e| e.name.as_deref())),
        text(s.epci.as_ref().map(|e| e.siren.as_str())),
        text(s.address.as_deref()),
        Cell::Text(s.label.clone()),
    ];
    out.extend(s.components.0.iter().map(|v| Cell::Float(*v)));
    out.extend([
        Cell::Bool(s.synthetic),
        Cell::Text(s.layer.clone()),
        Cell::Int(i64::from(s.id)),
        Cell::Float(s.lon),
        Cell::Float(s.lat),
    ]);
    out
}

/// The sites as a table, in [`COLUMNS`] order: the score with one decimal and the components
/// with three in XLSX.
fn table(found: &[Site], name: &str) -> Table {
    let columns = COLUMNS
        .iter()
        .map(|c| {
            let column = Column::new(c.key, c.header, c.ty).width(match (c.key, c.ty) {
                ("label", _) => 48.0,
                ("address" | "epci", _) => 32.0,
                ("commune_name" | "layer", _) => 22.0,
                ("lon" | "lat", _) => 11.0,
                (_, Type::Text) => 14.0,
                _ => 12.0,
            });
            match c.key {
                "score" => column.format("0.0"),
                k if k.starts_with("c_") => column.format("0.000"),
                _ => column,
            }
        })
        .collect();
    Table {
        name: name.to_owned(),
        columns,
        rows: found.iter().map(cells).collect(),
        points: found.iter().map(|s| (s.lon, s.lat)).collect(),
    }
}

/// A CSV for a spreadsheet set to French: UTF-8 with a byte-order mark, `;` between cells,
/// decimal commas, CRLF line ends (see [`crate::export::csv`]).
pub fn csv(found: &[Site]) -> Vec<u8> {
    crate::export::csv(&table(found, "sites"))
}

/// A GeoJSON feature's properties: the cells under their keys, in column order.
struct Properties(Vec<Cell>);

impl Serialize for Properties {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(COLUMNS.len()))?;
        for (c, v) in COLUMNS.iter().zip(&self.0) {
            map.serialize_entry(c.key, v)?;
        }
        map.end()
    }
}

struct Features<'a>(&'a [Site]);

impl Serialize for Features<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Point {
            #[serde(rename = "type")]
            ty: &'static str,
            coordinates: [f64; 2],
        }
        #[derive(Serialize)]
        struct Feature {
            #[serde(rename = "type")]
            ty: &'static str,
            id: usize,
            geometry: Point,
            properties: Properties,
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for site in self.0 {
            seq.serialize_element(&Feature {
                ty: "Feature",
                id: site.rank,
                geometry: Point {
                    ty: "Point",
                    coordinates: [site.lon, site.lat],
                },
                properties: Properties(cells(site)),
            })?;
        }
        seq.end()
    }
}

/// The sites as a GeoJSON FeatureCollection (WGS84), properties in column order.
///
/// # Errors
/// Only if serialisation fails (it does not for these types).
pub fn geojson(found: &[Site]) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Collection<'a> {
        #[serde(rename = "type")]
        ty: &'static str,
        features: Features<'a>,
    }
    serde_json::to_vec(&Collection {
        ty: "FeatureCollection",
        features: Features(found),
    })
}

/// What the method sheet of a workbook says besides the sites.
pub struct Method<'a> {
    pub weights: Weights,
    /// The request's query, as sent.
    pub query: &'a str,
    pub matched: usize,
}

/// The sites as an XLSX workbook: sheet « Sites » (bold frozen header, autofilter, numbers as
/// numbers, the score with one decimal) and sheet « Méthode » (the formula, the weights, each
/// component in words, the sources with their producer and date, synthetic data marked).
///
/// # Errors
/// When the writer fails.
pub fn xlsx(
    catalog: &Catalog,
    found: &[Site],
    method: &Method<'_>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    crate::export::xlsx_sheet(&mut book, &table(found, "Sites"))?;
    let t = |x: &str| x.to_owned();
    let mut lines = vec![
        vec![t("#Sites à recycler — méthode")],
        vec![
            t("Score"),
            t(""),
            t("score = 100 × Σ (poids × composante) ÷ Σ poids, de 0 à 100 ; chaque composante va de 0 à 1"),
        ],
        vec![t("Sites retenus"), method.matched.to_string()],
        vec![t("Requête"), t(method.query)],
        vec![],
        vec![t("#Composante"), t("Poids"), t("Ce qu'elle mesure")],
    ];
    for (i, w) in method.weights.values().iter().enumerate() {
        lines.push(vec![
            t(FRENCH_NAMES[i]),
            w.to_string().replace('.', ","),
            t(FRENCH_DESCRIPTIONS[i]),
        ]);
    }
    debug_assert_eq!(FRENCH_NAMES.len(), COMPONENTS.len());
    lines.push(vec![]);
    lines.push(vec![t("#Source"), t("Date"), t("Producteur")]);
    for layer in sources(catalog) {
        let c = &layer.config;
        let producer = if c.synthetic {
            format!("{} — données synthétiques", c.attribution.producer)
        } else {
            c.attribution.producer.clone()
        };
        lines.push(vec![c.title.clone(), c.attribution.date.clone(), producer]);
    }
    crate::export::xlsx_text_sheet(&mut book, "Méthode", &[28.0, 14.0, 90.0], &lines)?;
    book.save_to_buffer()
}

/// The layers the finder reads, in a stable order.
fn sources(catalog: &Catalog) -> Vec<&crate::layer::Layer> {
    let roles = [
        Role::Friches,
        Role::Vacancy,
        Role::Residences,
        Role::Communes,
        Role::Perimeters,
        Role::Ort,
        Role::Centres,
        Role::Zonage,
    ];
    let mut out: Vec<&crate::layer::Layer> = roles
        .iter()
        .flat_map(|r| catalog.layers().filter(move |l| l.config.role == Some(*r)))
        .map(|l| l.as_ref())
        .collect();
    if let Some(epci) = catalog.get("epci") {
        out.push(epci);
    }
    out
}

/// The sites as a GeoPackage (layer `sites`, EPSG:4326), written by GDAL in memory in one
/// transaction.
///
/// # Errors
/// GDAL's message when it fails.
pub fn gpkg(found: &[Site]) -> Result<Vec<u8>, String> {
    crate::export::gpkg(&table(found, "sites"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_unique_and_components_in_order() {
        let keys: std::collections::BTreeSet<&str> = COLUMNS.iter().map(|c| c.key).collect();
        assert_eq!(keys.len(), COLUMNS.len());
        let components: Vec<&str> = COLUMNS
            .iter()
            .filter_map(|c| c.key.strip_prefix("c_"))
            .collect();
        assert_eq!(components, COMPONENTS);
    }
}
