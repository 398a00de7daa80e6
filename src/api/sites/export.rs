//! The downloads of `/api/sites`: CSV for French spreadsheets, XLSX, GeoJSON and GeoPackage, all
//! with the same columns in the same order ([`COLUMNS`]): French headers in CSV and XLSX,
//! machine keys in GeoJSON and GeoPackage. Coordinates are WGS84 longitude and latitude.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::Serialize;

use crate::analysis::sites::weights::{FRENCH_DESCRIPTIONS, FRENCH_NAMES};
use crate::analysis::sites::{Site, Weights, COMPONENTS};
use crate::catalog::Catalog;
use crate::config::Role;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Int,
    Float,
    Text,
    Bool,
}

/// One export column: its machine key, its French header, its type.
struct Column {
    key: &'static str,
    header: &'static str,
    ty: Type,
}

const fn col(key: &'static str, header: &'static str, ty: Type) -> Column {
    Column { key, header, ty }
}

/// Every export's columns, in order (components in [`COMPONENTS`] order, keys `c_<name>`).
const COLUMNS: [Column; 21] = [
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

/// A cell.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Null,
}

impl Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Float(f) => s.serialize_f64(*f),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Null => s.serialize_none(),
        }
    }
}

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

/// A CSV for a spreadsheet set to French: UTF-8 with a byte-order mark, `;` between cells,
/// decimal commas, CRLF line ends; a cell holding `;`, `"`, CR or LF is quoted (`"` doubled).
/// Unknown values are empty cells; booleans `oui` / `non`.
pub fn csv(found: &[Site]) -> Vec<u8> {
    let quote = |t: &str| {
        if t.contains([';', '"', '\n', '\r']) {
            format!("\"{}\"", t.replace('"', "\"\""))
        } else {
            t.to_owned()
        }
    };
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = COLUMNS.iter().map(|c| quote(c.header)).collect();
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    for s in found {
        let row: Vec<String> = cells(s)
            .into_iter()
            .map(|c| match c {
                Cell::Int(i) => i.to_string(),
                Cell::Float(f) => f.to_string().replace('.', ","),
                Cell::Text(t) => quote(&t),
                Cell::Bool(b) => (if b { "oui" } else { "non" }).to_owned(),
                Cell::Null => String::new(),
            })
            .collect();
        out.push_str(&row.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
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
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let score = Format::new().set_num_format("0.0");
    let decimals = Format::new().set_num_format("0.000");
    let sheet = book.add_worksheet();
    sheet.set_name("Sites")?;
    for (j, c) in COLUMNS.iter().enumerate() {
        let j = j as u16;
        sheet.write_string_with_format(0, j, c.header, &bold)?;
        let width = match (c.key, c.ty) {
            ("label", _) => 48.0,
            ("address" | "epci", _) => 32.0,
            ("commune_name" | "layer", _) => 22.0,
            ("lon" | "lat", _) => 11.0,
            (_, Type::Text) => 14.0,
            _ => 12.0,
        };
        sheet.set_column_width(j, width)?;
    }
    for (i, s) in found.iter().enumerate() {
        let row = i as u32 + 1;
        for (j, (c, cell)) in COLUMNS.iter().zip(cells(s)).enumerate() {
            let j = j as u16;
            match cell {
                Cell::Int(v) => sheet.write_number(row, j, v as f64)?,
                Cell::Float(v) if c.key == "score" => {
                    sheet.write_number_with_format(row, j, v, &score)?
                }
                Cell::Float(v) if c.key.starts_with("c_") => {
                    sheet.write_number_with_format(row, j, v, &decimals)?
                }
                Cell::Float(v) => sheet.write_number(row, j, v)?,
                Cell::Text(t) => sheet.write_string(row, j, t)?,
                Cell::Bool(b) => sheet.write_boolean(row, j, b)?,
                Cell::Null => sheet,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, found.len() as u32, COLUMNS.len() as u16 - 1)?;

    let sheet = book.add_worksheet();
    sheet.set_name("Méthode")?;
    sheet.set_column_width(0, 28.0)?;
    sheet.set_column_width(1, 14.0)?;
    sheet.set_column_width(2, 90.0)?;
    let mut row = 0u32;
    let mut line = |sheet: &mut rust_xlsxwriter::Worksheet,
                    cells: &[&str],
                    bold_line: bool|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        for (j, t) in cells.iter().enumerate() {
            if bold_line {
                sheet.write_string_with_format(row, j as u16, *t, &bold)?;
            } else {
                sheet.write_string(row, j as u16, *t)?;
            }
        }
        row += 1;
        Ok(())
    };
    line(sheet, &["Sites à recycler — méthode"], true)?;
    line(
        sheet,
        &["Score", "", "score = 100 × Σ (poids × composante) ÷ Σ poids, de 0 à 100 ; chaque composante va de 0 à 1"],
        false,
    )?;
    let matched = method.matched.to_string();
    line(sheet, &["Sites retenus", &matched], false)?;
    line(sheet, &["Requête", method.query], false)?;
    line(sheet, &[], false)?;
    line(sheet, &["Composante", "Poids", "Ce qu'elle mesure"], true)?;
    for (i, w) in method.weights.values().iter().enumerate() {
        let weight = w.to_string().replace('.', ",");
        line(
            sheet,
            &[FRENCH_NAMES[i], &weight, FRENCH_DESCRIPTIONS[i]],
            false,
        )?;
    }
    debug_assert_eq!(FRENCH_NAMES.len(), COMPONENTS.len());
    line(sheet, &[], false)?;
    line(sheet, &["Source", "Date", "Producteur"], true)?;
    for layer in sources(catalog) {
        let c = &layer.config;
        let producer = if c.synthetic {
            format!("{} — données synthétiques", c.attribution.producer)
        } else {
            c.attribution.producer.clone()
        };
        line(sheet, &[&c.title, &c.attribution.date, &producer], false)?;
    }
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
    use gdal::vector::{
        Feature, FieldValue, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
    };
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = format!(
        "/vsimem/bourg-sites/{}.gpkg",
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let msg = |e: gdal::errors::GdalError| crate::gdal_message(&e);
    {
        let driver = gdal::DriverManager::get_driver_by_name("GPKG").map_err(msg)?;
        let mut ds = driver.create_vector_only(&path).map_err(msg)?;
        let srs = crate::crs::wgs84().map_err(msg)?;
        let mut txn = ds.start_transaction().map_err(msg)?;
        {
            let layer = txn
                .create_layer(LayerOptions {
                    name: "sites",
                    srs: Some(&srs),
                    ty: OGRwkbGeometryType::wkbPoint,
                    options: None,
                })
                .map_err(msg)?;
            let defs: Vec<(&str, OGRFieldType::Type)> = COLUMNS
                .iter()
                .map(|c| {
                    let ty = match c.ty {
                        Type::Int => OGRFieldType::OFTInteger64,
                        Type::Bool => OGRFieldType::OFTInteger,
                        Type::Float => OGRFieldType::OFTReal,
                        Type::Text => OGRFieldType::OFTString,
                    };
                    (c.key, ty)
                })
                .collect();
            layer.create_defn_fields(&defs).map_err(msg)?;
            for s in found {
                let mut feature = Feature::new(layer.defn()).map_err(msg)?;
                for (i, cell) in cells(s).into_iter().enumerate() {
                    let value = match cell {
                        Cell::Int(v) => FieldValue::Integer64Value(v),
                        Cell::Float(v) => FieldValue::RealValue(v),
                        Cell::Text(t) => FieldValue::StringValue(t),
                        Cell::Bool(b) => FieldValue::IntegerValue(i32::from(b)),
                        // Left unset: null.
                        Cell::Null => continue,
                    };
                    feature.set_field(i, &value).map_err(msg)?;
                }
                let mut point = Geometry::empty(OGRwkbGeometryType::wkbPoint).map_err(msg)?;
                point.add_point_2d((s.lon, s.lat));
                feature.set_geometry(point).map_err(msg)?;
                feature.create(&layer).map_err(msg)?;
            }
        }
        txn.commit().map_err(msg)?;
    }
    gdal::vsi::get_vsi_mem_file_bytes_owned(&path).map_err(msg)
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
