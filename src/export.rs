//! Tables downloaded the way French offices open them: CSV for a spreadsheet set to French
//! (UTF-8 with a byte-order mark, `;`, decimal commas, CRLF), XLSX sheets (bold frozen header,
//! autofilter, numbers as numbers) and GeoPackage points (WGS84, written by GDAL).

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Int,
    Float,
    Text,
    Bool,
}

/// A column: machine key (GeoPackage), French header (CSV, XLSX), type, XLSX number format
/// and width.
#[derive(Debug, Clone)]
pub struct Column {
    pub key: String,
    pub header: String,
    pub ty: Type,
    /// E.g. `0.0`; `None`: general.
    pub number_format: Option<&'static str>,
    pub width: f64,
}

impl Column {
    /// A column with the default format and a width by type.
    pub fn new(key: impl Into<String>, header: impl Into<String>, ty: Type) -> Self {
        Self {
            key: key.into(),
            header: header.into(),
            ty,
            number_format: None,
            width: if ty == Type::Text { 18.0 } else { 12.0 },
        }
    }

    /// With a number format.
    pub fn format(mut self, f: &'static str) -> Self {
        self.number_format = Some(f);
        self
    }

    /// With a width, in characters.
    pub fn width(mut self, w: f64) -> Self {
        self.width = w;
        self
    }
}

/// A cell. Unknown values are [`Cell::Null`]: an empty cell, never 0.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Null,
}

impl serde::Serialize for Cell {
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

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Null, Cell::Float)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Null, Cell::Int)
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Null, Cell::Text)
    }
}

impl From<Option<bool>> for Cell {
    fn from(v: Option<bool>) -> Self {
        v.map_or(Cell::Null, Cell::Bool)
    }
}

/// A table of points: rows of cells in column order, and each row's WGS84 position.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet and GeoPackage layer name.
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// (longitude, latitude) of each row.
    pub points: Vec<(f64, f64)>,
}

/// A CSV cell: quoted when it holds `;`, `"`, CR or LF (`"` doubled).
pub fn csv_text(t: &str) -> String {
    if t.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t.to_owned()
    }
}

/// The table as CSV for a spreadsheet set to French; booleans `oui` / `non`.
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = table.columns.iter().map(|c| csv_text(&c.header)).collect();
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Int(i) => i.to_string(),
                Cell::Float(f) => f.to_string().replace('.', ","),
                Cell::Text(t) => csv_text(t),
                Cell::Bool(b) => (if *b { "oui" } else { "non" }).to_owned(),
                Cell::Null => String::new(),
            })
            .collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Adds the table as a sheet: bold frozen header, autofilter, widths and number formats.
///
/// # Errors
/// The writer's.
pub fn xlsx_sheet(
    book: &mut rust_xlsxwriter::Workbook,
    table: &Table,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::Format;
    let bold = Format::new().set_bold();
    let formats: Vec<Option<Format>> = table
        .columns
        .iter()
        .map(|c| c.number_format.map(|f| Format::new().set_num_format(f)))
        .collect();
    let sheet = book.add_worksheet();
    sheet.set_name(&table.name)?;
    for (j, c) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, j as u16, &c.header, &bold)?;
        sheet.set_column_width(j as u16, c.width)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (j, cell) in row.iter().enumerate() {
            let j16 = j as u16;
            match (cell, formats.get(j).and_then(Option::as_ref)) {
                (Cell::Int(v), _) => sheet.write_number(r, j16, *v as f64)?,
                (Cell::Float(v), Some(f)) => sheet.write_number_with_format(r, j16, *v, f)?,
                (Cell::Float(v), None) => sheet.write_number(r, j16, *v)?,
                (Cell::Text(t), _) => sheet.write_string(r, j16, t)?,
                (Cell::Bool(b), _) => sheet.write_boolean(r, j16, *b)?,
                (Cell::Null, _) => sheet,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    if !table.columns.is_empty() {
        sheet.autofilter(
            0,
            0,
            table.rows.len() as u32,
            table.columns.len() as u16 - 1,
        )?;
    }
    Ok(())
}

/// Adds a sheet of text lines (a method or sources sheet); lines whose first cell starts with
/// `#` are bold headings (the `#` dropped).
///
/// # Errors
/// The writer's.
pub fn xlsx_text_sheet(
    book: &mut rust_xlsxwriter::Workbook,
    name: &str,
    widths: &[f64],
    lines: &[Vec<String>],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    for (j, w) in widths.iter().enumerate() {
        sheet.set_column_width(j as u16, *w)?;
    }
    for (i, line) in lines.iter().enumerate() {
        let heading = line.first().is_some_and(|t| t.starts_with('#'));
        for (j, t) in line.iter().enumerate() {
            let t = if heading && j == 0 {
                &t[1..]
            } else {
                t.as_str()
            };
            if heading {
                sheet.write_string_with_format(i as u32, j as u16, t, &bold)?;
            } else {
                sheet.write_string(i as u32, j as u16, t)?;
            }
        }
    }
    Ok(())
}

/// The table as a GeoPackage of points (EPSG:4326), written by GDAL in memory in one
/// transaction.
///
/// # Errors
/// GDAL's message when it fails.
pub fn gpkg(table: &Table) -> Result<Vec<u8>, String> {
    use gdal::vector::{
        Feature, FieldValue, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
    };
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = format!(
        "/vsimem/bourg-export/{}.gpkg",
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let msg = |e: gdal::errors::GdalError| crate::gdal_message(&e);
    let result = (|| {
        let driver = gdal::DriverManager::get_driver_by_name("GPKG").map_err(msg)?;
        let mut ds = driver.create_vector_only(&path).map_err(msg)?;
        let srs = crate::crs::wgs84().map_err(msg)?;
        let mut txn = ds.start_transaction().map_err(msg)?;
        {
            let layer = txn
                .create_layer(LayerOptions {
                    name: &table.name,
                    srs: Some(&srs),
                    ty: OGRwkbGeometryType::wkbPoint,
                    options: None,
                })
                .map_err(msg)?;
            let defs: Vec<(&str, OGRFieldType::Type)> = table
                .columns
                .iter()
                .map(|c| {
                    let ty = match c.ty {
                        Type::Int => OGRFieldType::OFTInteger64,
                        Type::Bool => OGRFieldType::OFTInteger,
                        Type::Float => OGRFieldType::OFTReal,
                        Type::Text => OGRFieldType::OFTString,
                    };
                    (c.key.as_str(), ty)
                })
                .collect();
            layer.create_defn_fields(&defs).map_err(msg)?;
            for (row, (lon, lat)) in table.rows.iter().zip(&table.points) {
                let mut feature = Feature::new(layer.defn()).map_err(msg)?;
                for (i, cell) in row.iter().enumerate() {
                    let value = match cell {
                        Cell::Int(v) => FieldValue::Integer64Value(*v),
                        Cell::Float(v) => FieldValue::RealValue(*v),
                        Cell::Text(t) => FieldValue::StringValue(t.clone()),
                        Cell::Bool(b) => FieldValue::IntegerValue(i32::from(*b)),
                        // Left unset: null.
                        Cell::Null => continue,
                    };
                    feature.set_field(i, &value).map_err(msg)?;
                }
                let mut point = Geometry::empty(OGRwkbGeometryType::wkbPoint).map_err(msg)?;
                point.add_point_2d((*lon, *lat));
                feature.set_geometry(point).map_err(msg)?;
                feature.create(&layer).map_err(msg)?;
            }
        }
        txn.commit().map_err(msg)?;
        Ok(())
    })();
    let bytes = gdal::vsi::get_vsi_mem_file_bytes_owned(&path).map_err(msg);
    result.and(bytes)
}
