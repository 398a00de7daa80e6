//! Configuration of derived features: `[group]` turns rows into features (dwellings into
//! residences), `[totals]` sums a grouped layer's counts onto polygons by code (residences onto
//! communes).
//!
//! ```toml
//! [group]
//! by = ["X", "Y"]                  # rows with equal values here form one feature
//! count = "logements"              # int property: rows in the group
//! [group.count_if]                 # int property: rows whose column holds one of the values
//! vacants = { column = "OCCUPATION", values = ["vacant"] }
//! [group.count_by]                 # one int property per value: prefix + value (+ other)
//! DPEENERGIE = { prefix = "dpe_", values = ["A", "B", "C", "D", "E", "F", "G"], other = "dpe_inconnu" }
//! [group.any]                      # bool property: some row has a non-empty value there
//! en_qpv = "QPV"
//!
//! [totals]
//! layer = "rpls"                   # a grouped layer of the catalogue
//! key = "DEPCOM"                   # its property holding the code
//! on = "code"                      # this layer's kept property matched against it
//! sums = ["logements", "vacants"]  # its int/float properties summed per code
//! ```

use indexmap::IndexMap;
use serde::Deserialize;

use super::{ConfigError, PropType};

/// Counting rows whose column holds one of some values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountIf {
    /// The column tested.
    pub column: String,
    /// The values counted (compared after trimming).
    pub values: Vec<String>,
}

/// One count per value of a column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountBy {
    /// Property names are `prefix` + value.
    pub prefix: String,
    /// The values given their own count, in order.
    pub values: Vec<String>,
    /// Property counting every other (or empty) value, when set.
    #[serde(default)]
    pub other: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    by: Vec<String>,
    count: String,
    #[serde(default)]
    count_if: IndexMap<String, CountIf>,
    #[serde(default)]
    count_by: IndexMap<String, CountBy>,
    #[serde(default)]
    any: IndexMap<String, String>,
}

/// Validated `[group]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupConfig {
    /// Key columns.
    pub by: Vec<String>,
    /// Name of the row-count property.
    pub count: String,
    /// Conditional counts, by property name.
    pub count_if: IndexMap<String, CountIf>,
    /// Per-value counts, by column.
    pub count_by: IndexMap<String, CountBy>,
    /// "Some row is non-empty" flags: property name → column.
    pub any: IndexMap<String, String>,
}

impl GroupConfig {
    /// The properties a group adds after the kept ones, in order, with their types.
    pub fn properties(&self) -> Vec<(String, PropType)> {
        let mut out = vec![(self.count.clone(), PropType::Int)];
        out.extend(self.count_if.keys().map(|k| (k.clone(), PropType::Int)));
        for by in self.count_by.values() {
            out.extend(
                by.values
                    .iter()
                    .map(|v| (format!("{}{v}", by.prefix), PropType::Int)),
            );
            if let Some(other) = &by.other {
                out.push((other.clone(), PropType::Int));
            }
        }
        out.extend(self.any.keys().map(|k| (k.clone(), PropType::Bool)));
        out
    }

    /// Every column a group reads, once each: keys, then tested columns.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .by
            .iter()
            .chain(self.count_if.values().map(|c| &c.column))
            .chain(self.count_by.keys())
            .chain(self.any.values());
        for c in all {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTotals {
    layer: String,
    key: String,
    on: String,
    sums: Vec<String>,
}

/// Validated `[totals]`. Whether `layer` exists and has `key` and `sums` is checked when the
/// catalogue is loaded, since it concerns another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsConfig {
    /// The grouped layer summed.
    pub layer: String,
    /// Its property holding the code.
    pub key: String,
    /// This layer's property matched against the code.
    pub on: String,
    /// Its numeric properties summed.
    pub sums: Vec<String>,
}

pub(super) fn group(
    raw: RawGroup,
    invalid: impl Fn(&str, String) -> ConfigError,
    kept: &[&str],
) -> Result<GroupConfig, ConfigError> {
    if raw.by.is_empty() {
        return Err(invalid("group.by", "needs at least one column".into()));
    }
    let config = GroupConfig {
        by: raw.by,
        count: raw.count,
        count_if: raw.count_if,
        count_by: raw.count_by,
        any: raw.any,
    };
    let mut names: Vec<String> = kept.iter().map(|s| (*s).to_owned()).collect();
    for (name, _) in config.properties() {
        if name.trim().is_empty() {
            return Err(invalid("group", "a property name is empty".into()));
        }
        if names.contains(&name) {
            return Err(invalid(
                "group",
                format!("property {name:?} is defined twice"),
            ));
        }
        names.push(name);
    }
    for (column, by) in &config.count_by {
        if by.values.is_empty() {
            return Err(invalid(
                &format!("group.count_by.{column}"),
                "needs at least one value".into(),
            ));
        }
    }
    for (name, c) in &config.count_if {
        if c.values.is_empty() {
            return Err(invalid(
                &format!("group.count_if.{name}"),
                "needs at least one value".into(),
            ));
        }
    }
    Ok(config)
}

pub(super) fn totals(
    raw: RawTotals,
    invalid: impl Fn(&str, String) -> ConfigError,
    kept: &[&str],
    own_id: &str,
) -> Result<TotalsConfig, ConfigError> {
    if raw.layer == own_id {
        return Err(invalid(
            "totals.layer",
            "a layer cannot total itself".into(),
        ));
    }
    if !kept.contains(&raw.on.as_str()) {
        return Err(invalid(
            "totals.on",
            format!("{:?} is not a kept property of this layer", raw.on),
        ));
    }
    if raw.sums.is_empty() {
        return Err(invalid("totals.sums", "needs at least one property".into()));
    }
    for s in &raw.sums {
        if kept.contains(&s.as_str()) {
            return Err(invalid(
                "totals.sums",
                format!("{s:?} is already a property of this layer"),
            ));
        }
    }
    Ok(TotalsConfig {
        layer: raw.layer,
        key: raw.key,
        on: raw.on,
        sums: raw.sums,
    })
}
