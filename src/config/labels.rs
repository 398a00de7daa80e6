//! The words of a layer: a human label for each property, how its values read, and the layer's
//! own noun. The map's popups, and any client of `GET /layers`, show these instead of raw column
//! names (`NB_LOGVAC`), raw codes (`3. Autre`) or numbers formatted the wrong way (a year "2 016").
//!
//! ```toml
//! noun = ["résidence", "résidences"]  # one, many: "1 résidence", "12 résidences regroupées"
//!
//! [labels]                            # property → label, for every property a feature can carry
//! NB_LOGVAC = "Logements vacants"
//! count = "Bâtiments regroupés"       # cells of an aggregated layer: their point count,
//! fragilite_mean = "Fragilité moyenne" # the mean of a `tiles.stats` property (carried under
//! fragilite_max = "Fragilité maximale" # its own name in a cell) and its maximum
//!
//! [formats]                           # how a value reads (see `Format`); numbers and text
//! CONSTRUCT = "year"                  # need none, booleans read oui/non
//! pct_vacants_plus_2ans_pp = "percent"
//!
//! [values.statut_commune]             # code → text; other values are shown as they are
//! "3. Autre" = "Autre commune"
//! ```
//!
//! Every key must name a property the layer has (read, joined, grouped, totalled, added by its
//! role, or carried by its cells), checked when the file is loaded. Whether every property has a
//! label is not required here (a layer of one's own may have none); the repository's catalogues
//! are held to it by a test.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{ConfigError, LayerConfig, PropType, Validator};

/// How the values of a property read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A calendar year, never with a thousands separator ("2016").
    Year,
    /// An ISO date, `YYYY-MM-DD` or `YYYY-MM` ("23 mars 2023").
    Date,
    /// A number already in percent ("12,5 %").
    Percent,
    /// A share between 0 and 1, shown in percent (0.125 → "12,5 %").
    Fraction,
    /// A surface in square metres ("1 250 m²").
    M2,
    /// A duration in years ("1 an", "8 ans").
    Years,
    /// A score out of 100 ("42 sur 100").
    Score,
    /// An identifier or code, shown as written (no thousands separator).
    Code,
}

impl Format {
    /// Whether the format reads values of type `t`.
    fn fits(self, t: PropType) -> bool {
        match self {
            Format::Date => t == PropType::String,
            Format::Code => matches!(t, PropType::String | PropType::Int),
            _ => matches!(t, PropType::Int | PropType::Float),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Year => "year",
            Format::Date => "date",
            Format::Percent => "percent",
            Format::Fraction => "fraction",
            Format::M2 => "m2",
            Format::Years => "years",
            Format::Score => "score",
            Format::Code => "code",
        }
    }
}

/// The noun counting a layer's features, singular and plural.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Noun {
    /// "résidence".
    pub one: String,
    /// "résidences".
    pub many: String,
}

/// Validated labels, formats, value texts and noun of a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Words {
    /// Property → human label, in file order.
    pub labels: IndexMap<String, String>,
    /// Property → format.
    pub formats: IndexMap<String, Format>,
    /// Property → (value as text → human text).
    pub values: IndexMap<String, IndexMap<String, String>>,
    /// The noun of the layer's features, when set.
    pub noun: Option<Noun>,
}

/// The raw tables, as written.
#[derive(Debug, Default)]
pub(super) struct RawWords {
    pub noun: Option<[String; 2]>,
    pub labels: IndexMap<String, String>,
    pub formats: IndexMap<String, Format>,
    pub values: IndexMap<String, IndexMap<String, String>>,
}

/// Name of the point count of an aggregated layer's cells.
pub const CELL_COUNT: &str = "count";

impl LayerConfig {
    /// Every property a feature or a cell of the layer can carry, in order, with its type
    /// (`None` for totals, typed from the summed layer at load). Cells add their point count and,
    /// per `tiles.stats` property, its maximum (`<name>_max`); `<name>_mean` names the mean a
    /// cell carries under `<name>`, for labels only.
    pub fn property_names(&self) -> Vec<(String, Option<PropType>)> {
        let mut out: Vec<(String, Option<PropType>)> = Vec::new();
        let mut push = |name: String, t: Option<PropType>| {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, t));
            }
        };
        for (name, t) in &self.properties {
            push(name.clone(), Some(*t));
        }
        for join in &self.joins {
            for (name, t) in join
                .property_names()
                .into_iter()
                .zip(join.properties.values())
            {
                push(name, Some(*t));
            }
        }
        if let Some(group) = &self.group {
            for (name, t) in group.properties() {
                push(name, Some(t));
            }
        }
        if let Some(totals) = &self.totals {
            for name in &totals.sums {
                push(name.clone(), None);
            }
        }
        if let Some(role) = self.role {
            for name in role.added_properties() {
                push((*name).to_owned(), Some(PropType::Float));
            }
        }
        if let Some(aggregate) = &self.tiles.aggregate {
            push(CELL_COUNT.to_owned(), Some(PropType::Int));
            for stat in &aggregate.stats {
                push(format!("{stat}_mean"), Some(PropType::Float));
                push(format!("{stat}_max"), Some(PropType::Float));
            }
        }
        out
    }
}

impl Validator<'_> {
    /// Checks every key against the layer's properties and every format against its type.
    pub(super) fn words(&self, raw: RawWords, layer: &LayerConfig) -> Result<Words, ConfigError> {
        let names = layer.property_names();
        let lookup = |table: &str, name: &str| -> Result<Option<PropType>, ConfigError> {
            names
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    self.invalid(
                        &format!("{table}.{name}"),
                        "is not a property of this layer",
                    )
                })
        };
        let noun = match raw.noun {
            None => None,
            Some([one, many]) => {
                if one.trim().is_empty() || many.trim().is_empty() {
                    return Err(self.invalid("noun", "the singular and plural must not be empty"));
                }
                Some(Noun { one, many })
            }
        };
        for (name, label) in &raw.labels {
            lookup("labels", name)?;
            if label.trim().is_empty() {
                return Err(self.invalid(&format!("labels.{name}"), "must not be empty"));
            }
        }
        for (name, format) in &raw.formats {
            // Totals are numbers of a type known at load.
            let t = lookup("formats", name)?.unwrap_or(PropType::Float);
            if !format.fits(t) {
                return Err(self.invalid(
                    &format!("formats.{name}"),
                    format!("{:?} does not apply to a {t} property", format.name()),
                ));
            }
        }
        for (name, texts) in &raw.values {
            let key = format!("values.{name}");
            match lookup("values", name)? {
                Some(PropType::String | PropType::Int) => {}
                Some(PropType::Bool) => {
                    return Err(self.invalid(&key, "a bool property reads oui/non already"))
                }
                Some(t @ PropType::Float) => {
                    return Err(self.invalid(&key, format!("applies to text or int, not {t}")))
                }
                None => return Err(self.invalid(&key, "applies to text or int, not totals")),
            }
            if texts.is_empty() {
                return Err(self.invalid(&key, "needs at least one value"));
            }
            if let Some((value, _)) = texts.iter().find(|(_, t)| t.trim().is_empty()) {
                return Err(self.invalid(&format!("{key}.{value}"), "must not be empty"));
            }
        }
        Ok(Words {
            labels: raw.labels,
            formats: raw.formats,
            values: raw.values,
            noun,
        })
    }
}
