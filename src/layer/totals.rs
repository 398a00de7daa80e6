//! Totals: the sums of a grouped layer's counts attached to polygons by code — residences'
//! dwellings per commune, for instance. Codes that match no polygon (communes merged since the
//! data was produced) are counted and listed in the report, never dropped silently.

use std::collections::HashMap;

use super::join::{attach, JoinReport, Rows, Target};
use super::source::SourceError;
use super::value::Value;
use super::{Layer, Property};
use crate::config::{PropType, TotalsConfig};

/// Sums `base`'s properties per code and appends them to `features` (matched on property `on`).
/// Returns the report and the properties added.
///
/// # Errors
/// When `base` is missing, or lacks the key or a summed property, or a sum is not a number.
pub fn apply(
    totals: &TotalsConfig,
    base: Option<&Layer>,
    on: usize,
    target: &mut Target<'_>,
) -> Result<(JoinReport, Vec<Property>), SourceError> {
    let base = base.ok_or_else(|| SourceError::UnknownLayer(totals.layer.clone()))?;
    let find = |name: &str| {
        base.property_index(name)
            .ok_or_else(|| SourceError::MissingProperty {
                layer: base.id().to_owned(),
                name: name.to_owned(),
                available: base
                    .schema
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    };
    let key = find(&totals.key)?;
    let mut sums: Vec<(usize, PropType)> = Vec::with_capacity(totals.sums.len());
    for name in &totals.sums {
        let i = find(name)?;
        let ty = base.schema[i].ty;
        if !matches!(ty, PropType::Int | PropType::Float) {
            return Err(SourceError::NotNumeric {
                layer: base.id().to_owned(),
                name: name.clone(),
            });
        }
        sums.push((i, ty));
    }
    let mut report = JoinReport {
        table: format!("layer {}", base.id()),
        ..JoinReport::default()
    };
    let mut acc: HashMap<String, Vec<f64>> = HashMap::new();
    for f in base.features() {
        report.rows += 1;
        let Some(code) = f.get(key).and_then(|v| v.as_key()) else {
            report.empty_keys += 1;
            continue;
        };
        let slot = acc
            .entry(code.trim().to_owned())
            .or_insert_with(|| vec![0.0; sums.len()]);
        for (s, &(i, _)) in slot.iter_mut().zip(&sums) {
            *s += f.number(i).unwrap_or(0.0);
        }
    }
    let rows: Rows = acc
        .into_iter()
        .map(|(code, values)| {
            let values = values
                .into_iter()
                .zip(&sums)
                .map(|(v, &(_, ty))| {
                    if ty == PropType::Int {
                        Value::Int(v.round() as i64)
                    } else {
                        Value::Float(v)
                    }
                })
                .collect();
            (code, values)
        })
        .collect();
    let types: Vec<PropType> = sums.iter().map(|&(_, ty)| ty).collect();
    attach(&rows, &types, on, target, false, &mut report);
    let added = totals
        .sums
        .iter()
        .zip(&sums)
        .map(|(name, &(_, ty))| Property {
            name: name.clone(),
            ty,
        })
        .collect();
    Ok((report, added))
}
