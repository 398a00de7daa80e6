//! Grouping rows into features: every row whose key columns hold the same values joins the
//! feature created by the first such row (its geometry and kept properties), and adds to that
//! feature's counts. This is how RPLS dwellings become residences.
//!
//! Only a group's first row is reprojected: later rows are counted without touching geometry.

use std::collections::HashMap;

use super::source::{self, SourceError};
use super::value::Value;
use super::Feature;
use crate::config::GroupConfig;

/// The running state of a grouping.
pub struct Grouper {
    /// Field index of each column of `config.columns()`.
    fields: Vec<usize>,
    /// Position in `fields` of each key column.
    key_slots: Vec<usize>,
    /// For each count_if: slot of its column and its values.
    count_if: Vec<(usize, Vec<String>)>,
    /// For each count_by: slot of its column, its values, whether it has an "other".
    count_by: Vec<(usize, Vec<String>, bool)>,
    /// For each any: slot of its column.
    any: Vec<usize>,
    /// Feature index of each key.
    index: HashMap<String, usize>,
    /// Per feature: the int counts, then the flags.
    counts: Vec<Vec<i64>>,
    flags: Vec<Vec<bool>>,
}

impl Grouper {
    /// Resolves the group's columns in the source layer.
    ///
    /// # Errors
    /// A column the layer does not have.
    pub fn new(config: &GroupConfig, layer: &gdal::vector::Layer<'_>) -> Result<Self, SourceError> {
        let columns = config.columns();
        let fields = source::column_indexes(layer, columns.iter().map(String::as_str))?;
        let slot = |name: &str| columns.iter().position(|c| c == name).unwrap_or_default();
        let trimmed = |v: &[String]| v.iter().map(|s| s.trim().to_owned()).collect::<Vec<_>>();
        Ok(Self {
            key_slots: config.by.iter().map(|c| slot(c)).collect(),
            count_if: config
                .count_if
                .values()
                .map(|c| (slot(&c.column), trimmed(&c.values)))
                .collect(),
            count_by: config
                .count_by
                .iter()
                .map(|(column, by)| (slot(column), trimmed(&by.values), by.other.is_some()))
                .collect(),
            any: config.any.values().map(|c| slot(c)).collect(),
            fields,
            index: HashMap::new(),
            counts: Vec::new(),
            flags: Vec::new(),
        })
    }

    /// The group columns of a row, as trimmed text.
    pub fn read(&self, row: &gdal::vector::Feature<'_>) -> Vec<String> {
        self.fields
            .iter()
            .map(|&i| source::field_text(row, i))
            .collect()
    }

    /// The key of a row's values.
    pub fn key(&self, values: &[String]) -> String {
        let parts: Vec<&str> = self.key_slots.iter().map(|&s| values[s].as_str()).collect();
        parts.join("\u{1f}")
    }

    /// The feature already holding this key, if any.
    pub fn existing(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Records that feature `i` was created for `key`.
    pub fn insert(&mut self, key: String, i: usize) {
        self.index.insert(key, i);
        let ints = 1
            + self.count_if.len()
            + self
                .count_by
                .iter()
                .map(|(_, v, o)| v.len() + usize::from(*o))
                .sum::<usize>();
        while self.counts.len() <= i {
            self.counts.push(vec![0; ints]);
            self.flags.push(vec![false; self.any.len()]);
        }
    }

    /// Counts one row into feature `i`.
    pub fn count(&mut self, i: usize, values: &[String]) {
        let (Some(counts), Some(flags)) = (self.counts.get_mut(i), self.flags.get_mut(i)) else {
            return;
        };
        counts[0] += 1;
        let mut slot = 1;
        for (column, wanted) in &self.count_if {
            if wanted.iter().any(|w| *w == values[*column]) {
                counts[slot] += 1;
            }
            slot += 1;
        }
        for (column, wanted, other) in &self.count_by {
            match wanted.iter().position(|w| *w == values[*column]) {
                Some(p) => counts[slot + p] += 1,
                None if *other => counts[slot + wanted.len()] += 1,
                None => {}
            }
            slot += wanted.len() + usize::from(*other);
        }
        for (flag, column) in flags.iter_mut().zip(&self.any) {
            *flag |= !values[*column].is_empty();
        }
    }

    /// Appends the counts and flags to the features' properties, in `GroupConfig::properties`
    /// order. Returns how many rows were grouped in all.
    pub fn finish(self, features: &mut [Feature]) -> u64 {
        let mut rows = 0;
        for ((feature, counts), flags) in features.iter_mut().zip(self.counts).zip(self.flags) {
            rows += counts[0] as u64;
            let mut properties = std::mem::take(&mut feature.properties).into_vec();
            properties.extend(counts.into_iter().map(Value::Int));
            properties.extend(flags.into_iter().map(Value::Bool));
            feature.properties = properties.into_boxed_slice();
        }
        rows
    }
}
