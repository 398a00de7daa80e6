//! Attribute joins: a table (CSV or any OGR layer) adds properties to a layer's features by key,
//! e.g. LOVAC vacancy per INSEE code onto commune polygons. Totals of a grouped layer attach the
//! same way (see `totals`).
//!
//! Nothing is dropped silently: features without a row (dropped when the join is `required`),
//! rows without a feature (such as INSEE codes that merged away) and repeated keys are all counted
//! and listed in the [`JoinReport`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use gdal::vector::LayerAccess;
use serde::Serialize;

use super::source::{self, SourceError};
use super::table::{ColumnBuilder, Table};
use super::value::{self, Value};
use super::{Geometries, Tally};
use crate::config::{Duplicates, JoinConfig, PropType};

/// How many unmatched keys a report lists.
const LISTED_KEYS: usize = 50;

/// What a join found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct JoinReport {
    /// The table, as written in the layer file (or `layer <id>` for totals).
    pub table: String,
    /// Rows read from the table.
    pub rows: u64,
    /// Features that found a row.
    pub matched: u64,
    /// Features whose key is in no row (their joined properties are null).
    pub unmatched_features: u64,
    /// Of those, the features dropped because the join is required.
    pub dropped_features: u64,
    /// Distinct keys of the table that match no feature.
    pub unmatched_rows: u64,
    /// The first unmatched keys, sorted.
    pub unmatched_keys: Vec<String>,
    /// Rows with an empty key.
    pub empty_keys: u64,
    /// Rows whose key repeats an earlier row's: ignored (`first`) or merged (`concat`).
    pub duplicate_keys: Tally,
    /// Per property: values that could not be converted and became null.
    pub invalid_values: BTreeMap<String, Tally>,
}

/// Rows of a table by key.
pub type Rows = HashMap<String, Vec<Value>>;

/// Reads the join's table into rows by key.
///
/// # Errors
/// When the table cannot be opened or lacks the key or a configured column.
pub fn read_table(join: &JoinConfig) -> Result<(Rows, JoinReport), SourceError> {
    let opened = source::open(&join.source)?;
    let mut layer = opened.layer(join.source.layer.as_deref())?;
    let key_column = source::column_indexes(&layer, [join.key.as_str()])?[0];
    let columns = source::column_indexes(&layer, join.properties.keys().map(String::as_str))?;
    let mut report = JoinReport {
        table: join.source.path_written.clone(),
        ..JoinReport::default()
    };
    let mut rows: Rows = HashMap::new();
    for (n, row) in layer.features().enumerate() {
        report.rows += 1;
        let key = source::field_text(&row, key_column);
        if key.is_empty() {
            report.empty_keys += 1;
            continue;
        }
        let mut values = Vec::with_capacity(columns.len());
        for ((name, ty), &column) in join.properties.iter().zip(&columns) {
            let field = row.field(column).ok().flatten();
            match value::convert(field.as_ref(), *ty) {
                Ok(v) => values.push(v),
                Err(_) => {
                    let shown = field.map(|f| format!("{f:?}")).unwrap_or_default();
                    report
                        .invalid_values
                        .entry(name.clone())
                        .or_default()
                        .add(format!("row {}: {name} = {shown} is not a {ty}", n + 1));
                    values.push(Value::Null);
                }
            }
        }
        match rows.get_mut(&key) {
            None => {
                rows.insert(key, values);
            }
            Some(existing) => {
                report
                    .duplicate_keys
                    .add(format!("row {}: key {key:?} repeats an earlier row", n + 1));
                if join.duplicates == Duplicates::Concat {
                    merge(existing, values);
                }
            }
        }
    }
    Ok((rows, report))
}

/// Joins text values (each distinct one once); other values keep the first.
fn merge(existing: &mut [Value], more: Vec<Value>) {
    for (slot, v) in existing.iter_mut().zip(more) {
        match (&*slot, v) {
            (Value::String(a), Value::String(b)) if !a.split(", ").any(|part| part == &*b) => {
                *slot = Value::String(format!("{a}, {b}").into());
            }
            (Value::Null, v) => *slot = v,
            _ => {}
        }
    }
}

/// Appends each row's values as new columns of `table` (of types `types`), matched on column
/// `on` (nulls when no row matches), keeps only matched features when `required`, and completes
/// the report.
pub fn attach(
    rows: &Rows,
    types: &[PropType],
    on: usize,
    target: &mut Target<'_>,
    required: bool,
    report: &mut JoinReport,
) {
    let mut used: HashMap<&str, bool> = rows.keys().map(|k| (k.as_str(), false)).collect();
    let mut builders: Vec<ColumnBuilder> = types.iter().map(|&ty| ColumnBuilder::new(ty)).collect();
    let mut keep = vec![true; target.table.rows()];
    let key_column = target.table.column(on).cloned();
    for (row, keep) in keep.iter_mut().enumerate() {
        let key = key_column.as_ref().and_then(|c| c.get(row).as_key());
        let found = key.as_deref().and_then(|k| rows.get_key_value(k.trim()));
        match found {
            Some((k, values)) => {
                report.matched += 1;
                if let Some(flag) = used.get_mut(k.as_str()) {
                    *flag = true;
                }
                for (b, v) in builders.iter_mut().zip(values) {
                    b.push(v.clone());
                }
            }
            None => {
                report.unmatched_features += 1;
                if required {
                    report.dropped_features += 1;
                    *keep = false;
                }
                for b in &mut builders {
                    b.push(Value::Null);
                }
            }
        }
    }
    for b in builders {
        target.table.push(Arc::new(b.finish()));
    }
    if keep.iter().any(|k| !k) {
        *target.table = target.table.retain(&keep);
        *target.geometries = target.geometries.retain(&keep);
    }
    let mut unmatched: Vec<&str> = used
        .into_iter()
        .filter_map(|(k, used)| (!used).then_some(k))
        .collect();
    unmatched.sort_unstable();
    report.unmatched_rows = unmatched.len() as u64;
    report.unmatched_keys = unmatched
        .into_iter()
        .take(LISTED_KEYS)
        .map(str::to_owned)
        .collect();
}

/// The features a join adds columns to.
pub struct Target<'a> {
    /// Their properties.
    pub table: &'a mut Table,
    /// Their geometries (a required join drops features).
    pub geometries: &'a mut Geometries,
}

/// Reads the join's table and attaches it.
///
/// # Errors
/// As [`read_table`].
pub fn apply(
    join: &JoinConfig,
    on: usize,
    target: &mut Target<'_>,
) -> Result<JoinReport, SourceError> {
    let (rows, mut report) = read_table(join)?;
    let types: Vec<PropType> = join.properties.values().copied().collect();
    attach(&rows, &types, on, target, join.required, &mut report);
    Ok(report)
}
