//! Grouping rows into features: every row whose key columns hold the same values joins the
//! feature created by the first such row (its geometry and kept properties), and adds to that
//! feature's counts. This is how RPLS dwellings become residences.
//!
//! Only a group's first row is reprojected: later rows are counted without touching geometry.
//! Counts live in one flat array (no allocation per row or per group but the key), and a row is
//! read as borrowed text, so 5.3 million dwellings group without allocating per row. Groupers of
//! consecutive parts of a file merge in file order ([`Grouper::absorb`]), which is how the fast
//! CSV reader groups in parallel.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::table::{Column, ColumnBuilder};
use super::value::Value;
use crate::config::{GroupConfig, PropType};

/// The running state of a grouping.
#[derive(Debug, Clone)]
pub struct Grouper {
    /// Position in the row's group columns of each key column.
    key_slots: Vec<usize>,
    /// For each count_if: slot of its column and its values.
    count_if: Vec<(usize, Vec<String>)>,
    /// For each count_by: slot of its column, its values, whether it has an "other".
    count_by: Vec<(usize, Vec<String>, bool)>,
    /// For each any: slot of its column.
    any: Vec<usize>,
    /// Group of each key.
    index: HashMap<Box<[u8]>, u32>,
    /// Keys in group order (to merge groupers).
    keys: Vec<Box<[u8]>>,
    /// Per group, `ints` counts (the row count first).
    counts: Vec<i64>,
    /// Per group, one flag per `any`.
    flags: Vec<bool>,
    ints: usize,
    key: Vec<u8>,
}

impl Grouper {
    /// A grouping of rows whose group columns are `config.columns()`, in that order.
    pub fn new(config: &GroupConfig) -> Self {
        let columns = config.columns();
        let slot = |name: &str| columns.iter().position(|c| c == name).unwrap_or_default();
        let trimmed = |v: &[String]| v.iter().map(|s| s.trim().to_owned()).collect::<Vec<_>>();
        let count_by: Vec<(usize, Vec<String>, bool)> = config
            .count_by
            .iter()
            .map(|(column, by)| (slot(column), trimmed(&by.values), by.other.is_some()))
            .collect();
        let ints = 1
            + config.count_if.len()
            + count_by
                .iter()
                .map(|(_, v, o)| v.len() + usize::from(*o))
                .sum::<usize>();
        Self {
            key_slots: config.by.iter().map(|c| slot(c)).collect(),
            count_if: config
                .count_if
                .values()
                .map(|c| (slot(&c.column), trimmed(&c.values)))
                .collect(),
            count_by,
            any: config.any.values().map(|c| slot(c)).collect(),
            index: HashMap::default(),
            keys: Vec::new(),
            counts: Vec::new(),
            flags: Vec::new(),
            ints,
            key: Vec::new(),
        }
    }

    /// Number of groups.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    fn make_key(&mut self, values: &[&str]) {
        self.key.clear();
        for (n, &s) in self.key_slots.iter().enumerate() {
            if n > 0 {
                self.key.push(0x1f);
            }
            self.key.extend_from_slice(values[s].as_bytes());
        }
    }

    /// The group of a row's key, when it has one already.
    pub fn existing(&mut self, values: &[&str]) -> Option<u32> {
        self.make_key(values);
        self.index.get(self.key.as_slice()).copied()
    }

    /// Counts a row into a group it belongs to.
    pub fn add_to(&mut self, group: u32, values: &[&str]) {
        self.count(group, values);
    }

    /// Counts a row (its group columns as trimmed text, in `config.columns()` order) and returns
    /// its group and whether the row created it.
    pub fn add(&mut self, values: &[&str]) -> (u32, bool) {
        self.make_key(values);
        let (group, new) = match self.index.get(self.key.as_slice()) {
            Some(&g) => (g, false),
            None => {
                let g = self.new_group(self.key.clone().into_boxed_slice());
                (g, true)
            }
        };
        self.count(group, values);
        (group, new)
    }

    fn new_group(&mut self, key: Box<[u8]>) -> u32 {
        let g = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.index.insert(key.clone(), g);
        self.keys.push(key);
        self.counts.extend(std::iter::repeat_n(0, self.ints));
        self.flags
            .extend(std::iter::repeat_n(false, self.any.len()));
        g
    }

    fn count(&mut self, group: u32, values: &[&str]) {
        let base = group as usize * self.ints;
        let counts = &mut self.counts[base..base + self.ints];
        counts[0] += 1;
        let mut slot = 1;
        for (column, wanted) in &self.count_if {
            if wanted.iter().any(|w| w == values[*column]) {
                counts[slot] += 1;
            }
            slot += 1;
        }
        for (column, wanted, other) in &self.count_by {
            match wanted.iter().position(|w| w == values[*column]) {
                Some(p) => counts[slot + p] += 1,
                None if *other => counts[slot + wanted.len()] += 1,
                None => {}
            }
            slot += wanted.len() + usize::from(*other);
        }
        let base = group as usize * self.any.len();
        for (n, column) in self.any.iter().enumerate() {
            self.flags[base + n] |= !values[*column].is_empty();
        }
    }

    /// Adds the groups of a grouper of the rows that follow this one's: their counts go to the
    /// groups of the same key; the others become new groups, in their order. Returns, for each
    /// of `later`'s groups, whether it is new here (its first row is the group's first row).
    pub fn absorb(&mut self, later: Grouper) -> Vec<bool> {
        let mut fresh = Vec::with_capacity(later.keys.len());
        let Grouper {
            keys,
            counts,
            flags,
            ..
        } = later;
        for (g, key) in keys.into_iter().enumerate() {
            let (target, new) = match self.index.get(&key) {
                Some(&t) => (t, false),
                None => (self.new_group(key), true),
            };
            fresh.push(new);
            let (src, dst) = (g * self.ints, target as usize * self.ints);
            for k in 0..self.ints {
                self.counts[dst + k] += counts[src + k];
            }
            let n = self.any.len();
            for k in 0..n {
                self.flags[target as usize * n + k] |= flags[g * n + k];
            }
        }
        fresh
    }

    /// The counts and flags as columns, in `GroupConfig::properties` order, and the number of
    /// rows grouped in all.
    pub fn finish(self) -> (Vec<Arc<Column>>, u64) {
        let groups = self.keys.len();
        let rows = (0..groups).map(|g| self.counts[g * self.ints] as u64).sum();
        let mut columns = Vec::with_capacity(self.ints + self.any.len());
        for k in 0..self.ints {
            let mut b = ColumnBuilder::new(PropType::Int);
            for g in 0..groups {
                b.push(Value::Int(self.counts[g * self.ints + k]));
            }
            columns.push(Arc::new(b.finish()));
        }
        let n = self.any.len();
        for k in 0..n {
            let mut b = ColumnBuilder::new(PropType::Bool);
            for g in 0..groups {
                b.push(Value::Bool(self.flags[g * n + k]));
            }
            columns.push(Arc::new(b.finish()));
        }
        (columns, rows)
    }
}
